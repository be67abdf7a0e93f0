//! Running the `asterism` binary in tests: arguments, standard input, a plan-cache folder, and a
//! scratch folder of files removed when the test ends.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

pub fn asterism(args: &[&str], stdin: Option<&[u8]>) -> Output {
    spawn(args, stdin, None)
}

/// Runs the binary with `args`, feeding `stdin`; `cache` is the plan-cache folder when given,
/// else there is none (nothing is written to the user's cache).
pub fn spawn(args: &[&str], stdin: Option<&[u8]>, cache: Option<&std::path::Path>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_asterism"));
    match cache {
        Some(dir) => command.env("ASTERISM_CACHE_DIR", dir),
        None => command.env("ASTERISM_NO_CACHE", "1"),
    };
    let mut child = command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    if let Some(bytes) = stdin {
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

/// A folder of its own for one test, removed when the test ends: its pipeline files, inputs and
/// plan cache.
pub struct Scratch(tempfile::TempDir);

impl Scratch {
    pub fn new() -> Scratch {
        Scratch(tempfile::Builder::new().prefix("asterism-cli-").tempdir().unwrap())
    }

    pub fn path(&self) -> &std::path::Path {
        self.0.path()
    }

    /// Writes `contents` to `name` in the folder; gives its path.
    pub fn file(&self, name: &str, contents: &[u8]) -> String {
        let path = self.path().join(name);
        std::fs::write(&path, contents).unwrap();
        path.to_string_lossy().into_owned()
    }

    /// The plan-cache folder (not yet created: the binary creates it).
    pub fn cache(&self) -> std::path::PathBuf {
        self.path().join("cache")
    }
}

pub fn json(out: &Output) -> serde_json::Value {
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(text.ends_with('\n') && text.lines().count() == 1, "one JSON document and a newline: {text:?}");
    serde_json::from_str(&text).unwrap()
}
