//! The `asterism check` contract of SPEC §11: exit codes, standard output, JSON shape.

#[path = "support/cli.rs"]
mod support;

use std::process::{Command, Output, Stdio};
use support::{Scratch, asterism, json, spawn};

#[test]
fn a_valid_program_exits_0_with_warnings_on_stderr() {
    let s = Scratch::new();
    let path = s.file("ok.cst", b"in x: Int\nin unused: Int\ny = x + 1\nout y\n");
    let out = asterism(&["check", &path], None);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("warning[W004]: Input 'unused' is never used\n"), "{stderr}");
    assert!(!stderr.contains('\x1b'), "no colours when stderr is not a terminal");
}

#[test]
fn json_output_has_the_shape_of_the_spec() {
    let s = Scratch::new();
    let path = s.file("bad.cst", b"in score: Int\nbonus = scroe + 10\nout bonus\n");
    let out = asterism(&["check", &path, "--json"], None);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    assert_eq!(
        doc,
        serde_json::json!({"ok": false, "diagnostics": [{
            "code": "E001", "severity": "error", "message": "Undefined variable: scroe",
            "line": 2, "column": 9, "end_line": 2, "end_column": 14, "help": ["did you mean 'score'?"]
        }]})
    );
    let ok = asterism(&["check", &s.file("good.cst", b"in x: Int\nout x\n"), "--json"], None);
    assert_eq!(json(&ok), serde_json::json!({"ok": true, "diagnostics": []}));
}

#[test]
fn human_output_is_rendered_like_rustc() {
    let s = Scratch::new();
    let path = s.file("lead.cst", b"in score: Int\nbonus = scroe + 10\nout bonus\n");
    let out = asterism(&["check", &path], None);
    assert_eq!(out.status.code(), Some(1));
    let expected = format!(
        "error[E001]: Undefined variable: scroe\n --> {path}:2:9\n  |\n2 | bonus = scroe + 10\n  |         ^^^^^\n  |\n  = help: did you mean 'score'?\n"
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), expected);
}

#[test]
fn dash_reads_standard_input() {
    let out = asterism(&["check", "-", "--json"], Some(b"x = 1\nout x\n"));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["ok"], true);
}

#[test]
fn invalid_utf8_is_a_syntax_error() {
    let out = asterism(&["check", "-", "--json"], Some(b"x = \"\xff\"\nout x\n"));
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    assert_eq!(doc["diagnostics"][0]["code"], "E020");
    assert_eq!(doc["diagnostics"][0]["message"], "source is not valid UTF-8");
    assert_eq!(doc["diagnostics"][0]["column"], 6);
}

#[test]
fn usage_errors_exit_10_with_empty_stdout() {
    for args in [
        &["check"][..],
        &["check", "/no/such/file.cst", "--json"],
        &["check", "x.cst", "--frobnicate"],
        &["frobnicate"],
        &[],
    ] {
        let out = asterism(args, None);
        assert_eq!(out.status.code(), Some(10), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn help_and_version_exit_0() {
    for flag in ["--help", "--version"] {
        let out = asterism(&[flag], None);
        assert_eq!(out.status.code(), Some(0));
        assert!(!out.stdout.is_empty());
    }
}

fn run_args(args: &[&str], stdin: Option<&[u8]>, cache: &std::path::Path) -> Output {
    spawn(args, stdin, Some(cache))
}

#[test]
fn run_reports_statuses_with_their_exit_codes() {
    let s = Scratch::new();
    let cache = s.cache();
    let path = s.file("div.cst", b"in a: Int\nin b: Int\nq = a / b\nok = a * 10\nout q\nout ok\n");
    let completed = run_args(&["run", &path, "-i", "a=7", "-i", "b=2", "--json"], None, &cache);
    assert_eq!(completed.status.code(), Some(0));
    assert_eq!(json(&completed), serde_json::json!({"status": "completed", "outputs": {"q": 3, "ok": 70}}));
    let failed = run_args(&["run", &path, "-i", "a=7", "-i", "b=0", "--json"], None, &cache);
    assert_eq!(failed.status.code(), Some(2));
    assert_eq!(
        json(&failed),
        serde_json::json!({"status": "failed", "outputs": {"ok": 70}, "errors": [{"message": "division by zero", "line": 3}]})
    );
    let missing = run_args(&["run", &path, "-i", "a=7", "--json"], None, &cache);
    assert_eq!(missing.status.code(), Some(3));
    assert_eq!(
        json(&missing),
        serde_json::json!({"status": "input_error", "errors": ["missing input 'b' of type Int"]})
    );
    let broken = run_args(&["run", &s.file("broken.cst", b"x = y\nout x\n"), "--json"], None, &cache);
    assert_eq!(broken.status.code(), Some(1));
    assert_eq!(json(&broken)["status"], "compile_error");
    assert_eq!(json(&broken)["diagnostics"][0]["code"], "E001");
}

#[test]
fn inputs_come_from_a_file_or_stdin_and_i_overrides() {
    let s = Scratch::new();
    let cache = s.cache();
    let path = s.file("greet.cst", b"in name: String\nin n: Int\ng = \"${name}${n}\"\nout g\n");
    let inputs = s.file("in.json", br#"{"name": "Ada", "n": 1}"#);
    let from_file = run_args(&["run", &path, "-f", &inputs, "-i", "n=2", "--json"], None, &cache);
    assert_eq!(json(&from_file)["outputs"], serde_json::json!({"g": "Ada2"}));
    let from_stdin = run_args(&["run", &path, "-f", "-", "--json"], Some(br#"{"name": "Bo", "n": 3}"#), &cache);
    assert_eq!(json(&from_stdin)["outputs"], serde_json::json!({"g": "Bo3"}));
    // VALUE is JSON when it parses, else a string: `-i 'name="007"'` is the string 007.
    let quoted = run_args(&["run", &path, "-i", "name=\"007\"", "-i", "n=0", "--json"], None, &cache);
    assert_eq!(json(&quoted)["outputs"], serde_json::json!({"g": "0070"}));
    let not_object = run_args(&["run", &path, "-f", "-", "--json"], Some(b"[1]"), &cache);
    assert_eq!(not_object.status.code(), Some(3));
    let unreadable = run_args(&["run", &path, "-f", "/no/such.json", "--json"], None, &cache);
    assert_eq!(unreadable.status.code(), Some(3));
    for bad in [&["run", &path, "-i", "novalue"][..], &["run", &path, "-f", "a", "-f", "b"]] {
        let out = run_args(bad, None, &cache);
        assert_eq!(out.status.code(), Some(10), "{bad:?}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn a_second_run_uses_the_plan_cache_and_prints_the_same() {
    let s = Scratch::new();
    let cache = s.cache();
    let path = s.file("cached.cst", b"in a: Int\nx = a + 1\nout x\n");
    let first = run_args(&["run", &path, "-i", "a=1"], None, &cache);
    let second = run_args(&["run", &path, "-i", "a=1"], None, &cache);
    assert!(std::fs::read_dir(cache.join("plans")).unwrap().count() == 1, "the plan was cached");
    assert_eq!(first.stdout, second.stdout);
    assert_eq!(String::from_utf8_lossy(&second.stdout), "{\n  \"x\": 2\n}\n");
    assert!(second.stderr.is_empty(), "{}", String::from_utf8_lossy(&second.stderr));
}

#[test]
fn stream_prints_each_output_then_the_final_document() {
    let s = Scratch::new();
    let cache = s.cache();
    let path = s.file("stream.cst", b"in a: Int\nx = a + 1\ny = [a]\nout x\nout y\n");
    let out = run_args(&["run", &path, "-i", "a=1", "--stream"], None, &cache);
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(
        lines,
        [
            serde_json::json!({"output": "x", "value": 2}),
            serde_json::json!({"output": "y", "value": [1]}),
            serde_json::json!({"status": "completed", "outputs": {"x": 2, "y": [1]}}),
        ]
    );
}

#[test]
fn compile_emits_each_stage() {
    let s = Scratch::new();
    let path = s.file("emit.cst", b"in a: Int\nx = a + 1 + 2\nout x\n");
    let dag = asterism(&["compile", &path, "--emit", "dag"], None);
    assert_eq!(dag.status.code(), Some(0));
    let text = String::from_utf8_lossy(&dag.stdout);
    assert!(text.starts_with("dag ") && text.contains("in a: Int") && text.contains("out x"), "{text}");
    let spec: serde_json::Value =
        serde_json::from_slice(&asterism(&["compile", &path, "--emit", "json"], None).stdout).unwrap();
    assert_eq!(spec["version"], 2);
    let dot = asterism(&["compile", &path, "--emit", "dot"], None);
    assert!(String::from_utf8_lossy(&dot.stdout).starts_with("digraph dag {"));
    let ir = asterism(&["compile", &path, "--emit", "ir"], None);
    assert!(String::from_utf8_lossy(&ir.stdout).contains("graph 0 (main):"));
    assert_eq!(asterism(&["compile", &s.file("e.cst", b"x = y\nout x\n")], None).status.code(), Some(1));
}

#[test]
fn stats_report_the_call_caches_and_log_lines_go_to_stderr() {
    let s = Scratch::new();
    let cache = s.cache();
    let src = b"in x: Int\na = add(x, 1) with cache: 1min\nb = add(x, 1) with cache: 1min\n\
                d = divide(x, 0) with on_error: log\nout a\nout b\nout d\n";
    let path = s.file("stats.cst", src);
    let out = run_args(&["run", &path, "-i", "x=3", "--json", "--stats"], None, &cache);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out), serde_json::json!({"status": "completed", "outputs": {"a": 4, "b": 4, "d": 0}}));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("[asterism] stdlib.math.divide: division by zero (on_error: log)\n"), "{stderr}");
    assert!(stderr.contains("stats: cache 'default': 1 hit, 1 miss, 1 entry\n"), "{stderr}");
    let plain = run_args(&["run", &path, "-i", "x=3"], None, &cache);
    assert!(!String::from_utf8_lossy(&plain.stderr).contains("stats:"));
}

#[test]
fn run_errors_render_like_diagnostics_pointing_at_the_failing_expression() {
    let s = Scratch::new();
    let cache = s.cache();
    let path = s.file("render.cst", b"in b: Int\nq = 10 / b\nok = 1 + 1\nout q\nout ok\n");
    let out = run_args(&["run", &path, "-i", "b=0"], None, &cache);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "{\n  \"ok\": 2\n}\n");
    let expected = format!("error: division by zero\n --> {path}:2:5\n  |\n2 | q = 10 / b\n  |     ^^^^^^\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), expected);
}

#[test]
fn a_value_given_with_i_is_read_once_and_an_error_names_it() {
    let s = Scratch::new();
    let cache = s.cache();
    let path = s.file("given.cst", b"in n: Int\nin tags: List<String>\nx = n + 1\nout x\n");
    let out = run_args(&["run", &path, "-i", "n=abc", "-i", "tags=[1", "--json"], None, &cache);
    assert_eq!(out.status.code(), Some(3));
    let errors = json(&out)["errors"].clone();
    assert_eq!(
        errors,
        serde_json::json!([
            "input 'n' (-i n): expected Int, got String",
            "input 'tags' (-i tags): expected List<String>, got String"
        ])
    );
    // A value given with -i replaces the document's, whose problems then do not count.
    let doc = s.file("given.json", br#"{"n": "not a number", "tags": ["a"]}"#);
    let replaced = run_args(&["run", &path, "-f", &doc, "-i", "n=41", "--json"], None, &cache);
    assert_eq!(json(&replaced), serde_json::json!({"status": "completed", "outputs": {"x": 42}}));
}

#[test]
fn log_lines_reach_stderr_through_the_cli_in_every_mode() {
    let s = Scratch::new();
    let cache = s.cache();
    let path = s.file("log.cst", b"in s: String\nx = log(s)\nout x\n");
    for mode in [&[][..], &["--json"], &["--stream"]] {
        let mut args = vec!["run", &path, "-i", "s=hello"];
        args.extend_from_slice(mode);
        let out = run_args(&args, None, &cache);
        assert_eq!(out.status.code(), Some(0), "{mode:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), "[asterism] hello\n", "{mode:?}");
        assert!(!String::from_utf8_lossy(&out.stdout).contains("[asterism]"), "{mode:?}");
    }
}

#[test]
fn relative_cache_locations_are_ignored() {
    let s = Scratch::new();
    let path = s.file("where.cst", b"x = 1\nout x\n");
    let dir = s.path().join("cwd");
    std::fs::create_dir(&dir).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_asterism"))
        .args(["run", &path])
        .current_dir(&dir)
        .env_remove("ASTERISM_CACHE_DIR")
        .env_remove("ASTERISM_NO_CACHE")
        .env("XDG_CACHE_HOME", "relative-xdg")
        .env("HOME", "relative-home")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert!(left.is_empty(), "nothing is written below the working directory: {left:?}");
}

#[test]
fn output_that_cannot_be_written_is_an_error() {
    let s = Scratch::new();
    let path = s.file("full.cst", b"x = 1\nout x\n");
    for args in
        [&["run", &path][..], &["run", &path, "--json"], &["run", &path, "--stream"], &["check", &path, "--json"]]
    {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_asterism"))
            .args(args)
            .env("ASTERISM_NO_CACHE", "1")
            .stdout(full)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(74), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with("error: cannot write output: "), "{args:?}: {stderr}");
    }
}

#[test]
fn a_pipeline_path_need_not_be_utf8() {
    use std::os::unix::ffi::OsStrExt;
    let s = Scratch::new();
    let path = s.path().join(std::ffi::OsStr::from_bytes(b"caf\xe9.cst"));
    std::fs::write(&path, b"in n: Int\nx = n + 1\nout x\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_asterism"))
        .arg("run")
        .arg(&path)
        .args(["-i", "n=1", "--json"])
        .env("ASTERISM_NO_CACHE", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json(&out)["outputs"], serde_json::json!({"x": 2}));
}

/// The single entry of a plan-cache folder after one run of `path`.
fn only_entry(cache: &std::path::Path) -> std::path::PathBuf {
    let entries: Vec<_> = std::fs::read_dir(cache.join("plans")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    entries[0].clone()
}

#[test]
fn a_damaged_plan_is_a_miss_and_is_replaced() {
    let s = Scratch::new();
    let cache = s.cache();
    let path = s.file("medal.cst", b"x = \"silver\"\nout x\n");
    run_args(&["run", &path], None, &cache);
    let entry = only_entry(&cache);
    let mut bytes = std::fs::read(&entry).unwrap();
    let at = bytes.windows(6).position(|w| w == b"silver").expect("the constant is in the plan");
    bytes[at..at + 6].copy_from_slice(b"gold!!");
    std::fs::write(&entry, &bytes).unwrap();
    let out = run_args(&["run", &path, "--json"], None, &cache);
    assert_eq!(json(&out), serde_json::json!({"status": "completed", "outputs": {"x": "silver"}}));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("warning: ignoring a damaged plan cache entry"), "{stderr}");
    let again = run_args(&["run", &path, "--json"], None, &cache);
    assert!(again.stderr.is_empty(), "the entry was replaced: {}", String::from_utf8_lossy(&again.stderr));
}

#[cfg(unix)]
#[test]
fn the_plan_cache_reads_only_regular_files_and_writes_through_no_link() {
    let s = Scratch::new();
    let cache = s.cache();
    let path = s.file("links.cst", b"x = 1\nout x\n");
    run_args(&["run", &path], None, &cache);
    let entry = only_entry(&cache);
    // A FIFO in its place: no hang.
    std::fs::remove_file(&entry).unwrap();
    assert!(Command::new("mkfifo").arg(&entry).status().unwrap().success());
    let out = run_args(&["run", &path, "--json"], None, &cache);
    assert_eq!(json(&out)["outputs"], serde_json::json!({"x": 1}));
    // A link to an endless device: not followed.
    std::fs::remove_file(&entry).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &entry).unwrap();
    let out = run_args(&["run", &path, "--json"], None, &cache);
    assert_eq!(json(&out)["outputs"], serde_json::json!({"x": 1}));
    // A link to one of the user's files: the file is left alone, the link replaced.
    let victim = s.file("victim.txt", b"precious");
    std::fs::remove_file(&entry).unwrap();
    std::os::unix::fs::symlink(&victim, &entry).unwrap();
    run_args(&["run", &path], None, &cache);
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    assert!(!std::fs::symlink_metadata(&entry).unwrap().file_type().is_symlink());
}

#[test]
fn nothing_is_cached_for_a_run_that_fails_on_its_inputs() {
    let s = Scratch::new();
    let cache = s.cache();
    let path = s.file("needs.cst", b"in n: Int\nx = n + 1\nout x\n");
    let out = run_args(&["run", &path], None, &cache);
    assert_eq!(out.status.code(), Some(3));
    let stored = std::fs::read_dir(cache.join("plans")).map(|d| d.count()).unwrap_or(0);
    assert_eq!(stored, 0);
    run_args(&["run", &path, "-i", "n=1"], None, &cache);
    only_entry(&cache);
}

#[test]
fn long_error_lists_show_a_hundred_and_count_the_rest() {
    let s = Scratch::new();
    let cache = s.cache();
    let undefined: String = (0..150).map(|i| format!("x{i} = y{i} + 1\n")).collect();
    let path = s.file("undefined.cst", format!("{undefined}out x0\n").as_bytes());
    let out = asterism(&["check", &path, "--json"], None);
    let doc = json(&out);
    assert_eq!(doc["diagnostics"].as_array().unwrap().len(), 100);
    assert_eq!(doc["omitted"], 50);
    let text = String::from_utf8_lossy(&asterism(&["check", &path], None).stderr).into_owned();
    assert!(text.ends_with("\n… and 50 more errors\n"), "{}", &text[text.len() - 200..]);
    let failing: String = (0..150).map(|i| format!("x{i} = 1 / 0\n")).collect();
    let path = s.file("failing.cst", format!("in z: Int\n{failing}out z\n").as_bytes());
    let out = run_args(&["run", &path, "-i", "z=1", "--json"], None, &cache);
    let doc = json(&out);
    assert_eq!((doc["errors"].as_array().unwrap().len(), doc["omitted"].clone()), (100, serde_json::json!(50)));
    assert_eq!(doc["outputs"], serde_json::json!({"z": 1}));
}

#[test]
fn a_pipeline_that_doubles_a_string_fails_its_node_not_the_process() {
    let s = Scratch::new();
    let cache = s.cache();
    let mut src = String::from("s0 = \"abcdefghijklmnop\"\n");
    for i in 1..=40 {
        src += &format!("s{i} = s{p} + s{p}\n", p = i - 1);
    }
    let path = s.file("double.cst", format!("{src}k = 1\nout s40\nout k\n").as_bytes());
    let out = run_args(&["run", &path, "--json"], None, &cache);
    assert_eq!(out.status.code(), Some(2));
    let doc = json(&out);
    assert_eq!(doc["outputs"], serde_json::json!({"k": 1}));
    assert!(doc["errors"][0]["message"].as_str().unwrap().starts_with("value too large: a string of"));
    let small = run_args(&["run", &path, "--json", "--max-memory", "4MiB"], None, &cache);
    assert_eq!(
        json(&small)["errors"][0]["message"],
        "memory budget exceeded: the run's values take more than 4 MiB (--max-memory)"
    );
    let both = run_args(&["run", &path, "--json", "--max-resources", "time=1min,memory=4MiB"], None, &cache);
    assert_eq!(json(&both)["errors"][0]["message"], json(&small)["errors"][0]["message"]);
    let overridden =
        run_args(&["run", &path, "--json", "--max-resources", "memory=4MiB", "--max-memory", "1GiB"], None, &cache);
    assert!(json(&overridden)["errors"][0]["message"].as_str().unwrap().starts_with("value too large"));
    for bad in [
        "--max-memory=lots",
        "--max-time=5sec",
        "--max-time=0s",
        "--max-resources=memory=1GiB,memory=2GiB",
        "--max-resources=cpu=2",
        "--max-resources=",
    ] {
        assert_eq!(run_args(&["run", &path, bad], None, &cache).status.code(), Some(10), "{bad}");
    }
}

#[test]
fn stream_prints_an_output_as_soon_as_it_is_ready() {
    let s = Scratch::new();
    use std::io::BufRead;
    let path = s.file(
        "early.cst",
        b"in n: Int\nfast = n + 1\nxs = Range(0, n)\nslow = map(xs, i => reduce(xs, 0, (a, j) => a + j * i))\nout fast\nout slow\n",
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_asterism"))
        .args(["run", &path, "-i", "n=100000", "--stream"])
        .env("ASTERISM_NO_CACHE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let still_running = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(first, "{\"output\":\"fast\",\"value\":100001}\n");
    assert!(still_running, "the first output came while the slow work still ran");
}
