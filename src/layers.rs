//! The layering, checked: every module of the library uses only the modules of the layers below
//! its own, and no command of the binary uses another. Data flows one way (ARCHITECTURE.md).

use std::fs;
use std::path::{Path, PathBuf};

/// The library's modules, by layer, lowest first. A module may use the modules of the layers
/// before its own, never one of its own layer or above.
const LAYERS: &[&[&str]] = &[
    &["cond"],
    &["source"],
    &["c"],
    &["rules"],
    &["engine"],
    &["files", "output", "snapshot"],
    &["diag"],
    &["explain", "learn"],
];

/// The commands of the binary: none uses another.
const COMMANDS: &[&str] = &["rewrite", "symbols", "test", "learn"];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            out.push(path);
        }
    }
}

/// The modules `text` names as `crate::NAME` (in code and in doc links alike).
fn crate_paths(text: &str) -> Vec<&str> {
    text.match_indices("crate::")
        .filter(|(at, _)| !text[..*at].ends_with('$'))
        .map(|(at, found)| {
            let rest = &text[at + found.len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .collect()
}

#[test]
fn each_module_uses_only_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut checked = 0;
    let mut wrong = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap();
        let first = relative.components().next().unwrap().as_os_str();
        let first = first.to_str().unwrap().trim_end_matches(".rs");
        if matches!(first, "lib" | "layers" | "bin") {
            continue;
        }
        let own = layer(first).unwrap_or_else(|| panic!("{first} is in no layer of LAYERS"));
        let text = fs::read_to_string(&file).unwrap();
        for used in crate_paths(&text) {
            if used == first {
                continue;
            }
            match layer(used) {
                Some(level) if level < own => {}
                _ => wrong.push(format!("{} uses crate::{used}", relative.display())),
            }
        }
        checked += 1;
    }
    assert!(checked > 30, "only {checked} files read");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn no_command_uses_another() {
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bin/cdefang");
    for command in COMMANDS {
        let text = fs::read_to_string(bin.join(format!("{command}.rs"))).unwrap();
        for other in COMMANDS.iter().filter(|other| *other != command) {
            for form in [format!("crate::{other}"), format!("super::{other}")] {
                assert!(!text.contains(&form), "{command}.rs uses {form}");
            }
        }
    }
}

#[test]
fn the_check_sees_an_upward_use() {
    assert_eq!(
        crate_paths("use crate::engine::Edit; [`crate::cond`] $crate::x"),
        ["engine", "cond"]
    );
    assert!(layer("source") < layer("engine") && layer("learn") > layer("diag"));
}
