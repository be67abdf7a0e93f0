//! The rules of the house (ARCHITECTURE.md), checked on the source: the libraries never print,
//! and within each crate the top-level modules import each other without a circle (floors whose
//! imports point down).

#[path = "support/files.rs"]
mod files;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The library source folders: everything but the command-line front end.
const LIBRARIES: [&str; 6] = ["lang/src", "registry/src", "compiler/src", "runtime/src", "bindings/src", "src"];

/// A file's text without its unit tests (tests may print and import anything).
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

fn is_cli(path: &Path) -> bool {
    let src = Path::new(ROOT).join("src");
    path == src.join("main.rs") || path == src.join("cli.rs") || path.starts_with(src.join("cli"))
}

#[test]
fn the_libraries_never_print() {
    let printing = ["print!(", "println!(", "eprint!(", "eprintln!(", "dbg!(", "io::stderr", "io::stdout"];
    let mut found = Vec::new();
    for dir in LIBRARIES {
        for file in files::below(&Path::new(ROOT).join(dir), "rs").iter().filter(|f| !is_cli(f)) {
            for (n, line) in code(file).lines().enumerate() {
                let line = line.trim_start();
                if !line.starts_with("//") && printing.iter().any(|p| line.contains(p)) {
                    found.push(format!("{}:{}: {line}", file.display(), n + 1));
                }
            }
        }
    }
    assert!(found.is_empty(), "libraries report through a Reporter, never print:\n{}", found.join("\n"));
}

/// The top-level modules of `src` (files and folders directly in it) and the modules each names
/// with a `crate::` path.
fn imports(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut modules: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for entry in std::fs::read_dir(src).unwrap().map(Result::unwrap) {
        let path = entry.path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "lib" || name == "main" || (path.is_file() && path.extension().is_none_or(|e| e != "rs")) {
            continue;
        }
        let sources = modules.entry(name).or_default();
        match path.is_dir() {
            true => sources.extend(files::below(&path, "rs")),
            false => sources.push(path),
        }
    }
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    modules
        .iter()
        .map(|(name, files)| {
            let mut used = BTreeSet::new();
            for file in files {
                let text = code(file);
                for (at, _) in text.match_indices("crate::") {
                    let rest = &text[at + "crate::".len()..];
                    let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
                    used.insert(rest[..end].to_string());
                }
                for (at, _) in text.match_indices("use crate::{") {
                    let group = &text[at + "use crate::{".len()..];
                    let group = &group[..group.find('}').unwrap_or(group.len())];
                    used.extend(group.split(',').filter_map(|p| p.split("::").next()).map(|p| p.trim().to_string()));
                }
            }
            used.retain(|u| u != name && names.contains(u));
            (name.clone(), used)
        })
        .collect()
}

/// The modules of `graph` that reach themselves through their imports.
fn in_circles(graph: &BTreeMap<String, BTreeSet<String>>) -> BTreeSet<String> {
    let reaches = |from: &String| {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<&String> = graph[from].iter().collect();
        while let Some(m) = todo.pop() {
            if seen.insert(m.clone()) {
                todo.extend(graph.get(m).into_iter().flatten());
            }
        }
        seen.contains(from)
    };
    graph.keys().filter(|m| reaches(m)).cloned().collect()
}

#[test]
fn no_crate_has_an_import_circle_between_its_modules() {
    for dir in LIBRARIES {
        let graph = imports(&Path::new(ROOT).join(dir));
        let circles = in_circles(&graph);
        assert!(circles.is_empty(), "{dir}: these modules import each other in a circle: {circles:?}\n{graph:#?}");
    }
}

#[test]
fn the_circle_check_finds_a_circle() {
    let graph: BTreeMap<String, BTreeSet<String>> = [("a", &["b"][..]), ("b", &["c"]), ("c", &["a"]), ("d", &["a"])]
        .into_iter()
        .map(|(m, uses)| (m.to_string(), uses.iter().map(|u| u.to_string()).collect()))
        .collect();
    assert_eq!(in_circles(&graph), ["a", "b", "c"].into_iter().map(String::from).collect());
}
