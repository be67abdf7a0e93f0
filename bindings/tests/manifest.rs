//! Manifests as users write them: what they bind, and every way they can be wrong, each problem
//! at its line and column, never a panic.

use asterism_bindings::manifest::{Kind, parse};
use asterism_bindings::{Bound, StderrSink, load, register};
use asterism_registry::Registry;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

fn errors(text: &str) -> Vec<String> {
    match parse(Path::new("m.toml"), text) {
        Ok(entries) => panic!("accepted: {entries:?}"),
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn both_kinds_are_read_with_their_defaults_in_file_order() {
    let text = r#"
[modules."text.embed"]
kind = "http"
signature = "(text: String) -> List<Float>"
url = "http://127.0.0.1:8000/embed"
version = "2"
headers = { "x-api-key" = "k" }

[modules."demo.reverse"]
kind = "process"
signature = "(text: String) -> String"
command = ["python3", "reverse.py"]
instances = 2
timeout = "5s"
"#;
    let entries = parse(Path::new("dir/asterism.toml"), text).unwrap().entries;
    assert_eq!(entries.len(), 2);
    let (embed, reverse) = (&entries[0], &entries[1]);
    assert_eq!(embed.signature.to_string(), "text.embed(text: String) -> List<Float>");
    assert_eq!((embed.version.as_str(), embed.at.to_string()), ("2", "dir/asterism.toml:2:1".to_string()));
    let Kind::Http(http) = &embed.kind else { panic!("http") };
    assert_eq!(http.url.to_string(), "http://127.0.0.1:8000/embed");
    assert_eq!((http.timeout, http.max_body), (Duration::from_secs(30), 16 << 20));
    assert_eq!(http.headers, [("x-api-key".to_string(), "k".to_string())]);
    assert_eq!(reverse.version, "0");
    let Kind::Process(p) = &reverse.kind else { panic!("process") };
    assert_eq!((p.instances, p.timeout, p.dir.as_path()), (2, Duration::from_secs(5), Path::new("dir")));
}

#[test]
fn problems_are_placed_at_their_line_and_column() {
    let bad_kind = "[modules.a]\nkind = \"grpc\"\nsignature = \"() -> Int\"\n";
    assert_eq!(
        errors(bad_kind),
        [
            "m.toml:2:8: unknown kind 'grpc' of module 'a': expected \"http\", \"process\", \"openai\", \"kserve\" or \"onnx\""
        ]
    );
    let bad_sig = "[modules.a]\nkind = \"process\"\ncommand = [\"x\"]\nsignature = \"(x: Strin) -> Int\"\n";
    let e = errors(bad_sig);
    assert!(e.len() == 1 && e[0].starts_with("m.toml:4:13: invalid signature of 'a': "), "{e:?}");
    let generic = "[modules.a]\nkind = \"process\"\ncommand = [\"x\"]\nsignature = \"(x: T) -> T\"\n";
    assert!(errors(generic)[0].contains("type variable T"));
    let syntax = "[modules.a]\nkind = \"http\"\nsignature = (\n";
    assert!(errors(syntax)[0].starts_with("m.toml:3:13: "), "{:?}", errors(syntax));
    let unknown_key = "[modules.a]\nkind = \"http\"\nurl = \"http://h/\"\nsignature = \"() -> Int\"\nretries = 3\n";
    let e = errors(unknown_key);
    assert!(e[0].starts_with("m.toml:5:1: unknown field `retries`"), "{e:?}");
}

#[test]
fn settings_must_fit_their_kind() {
    let wrong = "[modules.a]\nkind = \"process\"\ncommand = [\"w\"]\nurl = \"http://h/\"\nsignature = \"() -> Int\"\n";
    let e = errors(wrong);
    assert!(e[0].starts_with("m.toml:4:7: 'url' is not a setting of kind 'process'"), "{e:?}");
    let missing = "[modules.a]\nkind = \"http\"\nsignature = \"() -> Int\"\n";
    assert!(errors(missing)[0].contains("needs a 'url'"));
    let no_program = "[modules.a]\nkind = \"process\"\ncommand = []\nsignature = \"() -> Int\"\n";
    assert!(errors(no_program)[0].contains("at least the program"));
    let https = "[modules.a]\nkind = \"http\"\nurl = \"https://h/\"\nsignature = \"() -> Int\"\n";
    assert!(errors(https)[0].contains("plain HTTP only"));
    let zero = "[modules.a]\nkind = \"process\"\ncommand = [\"w\"]\ninstances = 0\nsignature = \"() -> Int\"\n";
    assert!(errors(zero)[0].contains("between 1 and 256"));
    let duration = "[modules.a]\nkind = \"http\"\nurl = \"http://h/\"\ntimeout = \"5 s\"\nsignature = \"() -> Int\"\n";
    assert!(errors(duration)[0].contains("not a duration"));
    let header =
        "[modules.a]\nkind = \"http\"\nurl = \"http://h/\"\nheaders = { \"a b\" = \"x\" }\nsignature = \"() -> Int\"\n";
    assert!(errors(header)[0].contains("invalid header name 'a b'"));
    // Several problems of one manifest are all reported.
    assert_eq!(errors(&format!("{wrong}\n{}", missing.replace("modules.a", "modules.b"))).len(), 2);
}

fn sink() -> StderrSink {
    Arc::new(|_: &str, _: &str| {})
}

fn bound(dir: &Path, text: &str) -> Vec<Bound> {
    let path = dir.join("asterism.toml");
    std::fs::write(&path, text).unwrap();
    load(&path, sink()).unwrap().modules
}

#[test]
fn names_of_the_standard_library_are_not_taken() {
    let dir = tempfile::tempdir().unwrap();
    let entry = |name: &str| {
        format!("[modules.\"{name}\"]\nkind = \"process\"\ncommand = [\"w\"]\nsignature = \"(t: String) -> String\"\n")
    };
    let none = |_: &str| None;
    for (name, why) in [
        ("Uppercase", "prelude"),
        ("stdlib.mine", "belong to the standard library"),
        ("text.trim", "ambiguous with the standard function 'stdlib.string.trim'"),
    ] {
        let mut registry = Registry::standard();
        let e = register(&bound(dir.path(), &entry(name)), &mut registry, &none).unwrap_err();
        assert!(e[0].message.contains(why), "{name}: {e:?}");
        assert_eq!(registry.len(), Registry::standard().len(), "nothing registered");
    }
    // A name declared before, in another manifest, is a duplicate that says where.
    let mut registry = Registry::standard();
    register(&bound(dir.path(), &entry("demo.rev")), &mut registry, &none).unwrap();
    let earlier = |_: &str| Some(asterism_bindings::Place { file: "first.toml".into(), line: 1, column: 1 });
    let e = register(&bound(dir.path(), &entry("demo.rev")), &mut registry, &earlier).unwrap_err();
    assert_eq!(e[0].message, "module 'demo.rev' is already declared at first.toml:1:1");
}

#[test]
fn missing_and_absurd_manifests_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let e = load(&dir.path().join("none.toml"), sink()).unwrap_err();
    assert!(e[0].message.starts_with("cannot read the manifest"));
    let big = dir.path().join("big.toml");
    std::fs::write(&big, "#".repeat(5 << 20)).unwrap();
    assert!(load(&big, sink()).unwrap_err()[0].message.contains("larger than"));
}

proptest::proptest! {
    #[test]
    fn no_text_makes_the_reader_panic(text in "(\\[modules\\.[a-z\"]{1,3}\\]|kind|url|signature|=|\"[a-z:/(). >-]{0,12}\"|\\[|\\]|,|\n| |[0-9]{1,3}){0,40}") {
        let _ = parse(Path::new("m.toml"), &text);
    }
}

#[test]
fn caches_are_read_in_file_order_and_their_problems_placed() {
    use asterism_bindings::manifest::{CacheSpec, RedisUrl};
    let text = r#"
[caches.shared]
kind = "redis"
url_env = "REDIS_URL"
timeout = "20ms"

[caches.local]
kind = "disk"
path = "cache"
max_size = "64MiB"
ttl = "1h"

[caches.default]
tiers = ["memory", "local", "shared"]
"#;
    let caches = parse(Path::new("dir/asterism.toml"), text).unwrap().caches;
    let names: Vec<&str> = caches.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["shared", "local", "default"]);
    let CacheSpec::Redis(redis) = &caches[0].spec else { panic!("redis") };
    assert!(matches!(&redis.url, RedisUrl::Env(v) if v == "REDIS_URL"));
    assert_eq!(redis.timeout, Some(Duration::from_millis(20)));
    let CacheSpec::Disk { path, max_size, ttl, .. } = &caches[1].spec else { panic!("disk") };
    assert_eq!(
        (path.as_deref(), *max_size, *ttl),
        (Some(Path::new("dir/cache")), Some(64 << 20), Some(Duration::from_secs(3600)))
    );
    assert!(matches!(&caches[2].spec, CacheSpec::Tiers(t) if t.len() == 3));
    assert_eq!(caches[2].at.to_string(), "dir/asterism.toml:13:1");

    assert_eq!(
        errors("[caches.a]\nkind = \"memcached\"\n"),
        ["m.toml:2:8: unknown kind 'memcached' of cache 'a': expected \"memory\", \"disk\" or \"redis\""]
    );
    assert_eq!(
        errors("[caches.a]\nkind = \"disk\"\nurl = \"redis://x\"\n"),
        ["m.toml:3:7: 'url' is not a setting of a disk cache (it takes: path, max_entries, max_size, ttl)"]
    );
    assert_eq!(
        errors("[caches.a]\ntiers = [\"memory\", \"b\"]\n"),
        ["m.toml:2:9: tier 'b' of cache 'a' is not a cache of this manifest (declare [caches.b], or use \"memory\")"]
    );
    assert_eq!(
        errors("[caches.a]\nkind = \"redis\"\nurl = \"rediss://h:6379\"\n")[0],
        "m.toml:3:7: 'rediss://h:6379': this build speaks to Redis without TLS (a server beside the engine, or a local tunnel)"
    );
    assert_eq!(
        errors("[caches.a]\nkind = \"redis\"\n"),
        ["m.toml:2:8: cache 'a' of kind 'redis' needs a 'url' or a 'url_env'"]
    );
    assert_eq!(
        errors("[caches.a]\nmax_entries = 3\n"),
        ["m.toml:1:1: cache 'a' needs a 'kind' (\"memory\", \"disk\" or \"redis\") or 'tiers'"]
    );
    assert_eq!(
        errors("[caches.a]\nkind = \"memory\"\nmax_entries = 0\n"),
        ["m.toml:3:15: 'max_entries' must be between 1 and 4294967296, not 0"]
    );
    assert_eq!(
        errors("[caches.a]\nkind = \"memory\"\n[caches.b]\ntiers = [\"a\", \"a\"]\n")[0],
        "m.toml:4:9: tier 'a' of cache 'b' is named twice"
    );
}
