//! The layering, checked: every module of the library uses only the modules of the layers below
//! its own, and no command of the binary uses another. Data flows one way (ARCHITECTURE.md).
//!
//! The check reads the sources: every path that leaves a module (`crate::x`, `crate::{x, y}`,
//! `super::super::x` climbing out of the file's top module) names the top module it reaches,
//! which must be in a lower layer. Test modules (from `#[cfg(test)]` on) are not checked: they
//! may use anything.

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

/// The commands of the binary: each uses the library, and nothing of the binary but itself.
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

/// The code of a file without its test module.
fn without_tests(text: &str) -> &str {
    text.find("#[cfg(test)]").map_or(text, |at| &text[..at])
}

/// The module path of a file under `src/`: `source/lines.rs` is `[source, lines]`,
/// `source/mod.rs` is `[source]`.
fn module_path(relative: &Path) -> Vec<String> {
    let mut path: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if path.last().is_some_and(|last| last == "mod") {
        path.pop();
    }
    path
}

/// An identifier at the start of `text`.
fn ident(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The top modules of the crate that the code of the module at `path` names: through
/// `crate::x`, `crate::{x, y}`, and `super::` chains that climb out of its top module.
fn crate_modules_named(path: &[String], code: &str) -> Vec<String> {
    let mut named = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        if code[..at].ends_with(|c: char| c == '$' || c.is_ascii_alphanumeric() || c == '_') {
            continue; // `$crate::`, `cdefang_crate::`
        }
        let rest = &code[at + "crate::".len()..];
        match rest.strip_prefix('{') {
            Some(group) => {
                let group = &group[..group.find('}').unwrap_or(group.len())];
                for item in group.split(',') {
                    let name = ident(item.trim());
                    if !name.is_empty() {
                        named.push(name.to_string());
                    }
                }
            }
            None => named.push(ident(rest).to_string()),
        }
    }
    for (at, _) in code.match_indices("super::") {
        if code[..at].ends_with("super::") {
            continue; // counted from the first `super::` of the chain
        }
        let mut rest = &code[at..];
        let mut climbs = 0;
        while let Some(after) = rest.strip_prefix("super::") {
            climbs += 1;
            rest = after;
        }
        // From the file's module, `climbs` levels up; reaching the crate root names a top module.
        if climbs >= path.len() {
            named.push(ident(rest).to_string());
        }
    }
    named
}

/// What the module at `path` (under `src/`) uses that it must not.
fn violations(path: &[String], code: &str) -> Vec<String> {
    let Some(top) = path.first() else {
        return Vec::new();
    };
    let Some(own) = layer(top) else {
        return vec![format!("{top} is in no layer of LAYERS")];
    };
    crate_modules_named(path, code)
        .into_iter()
        .filter(|used| used != top && layer(used).is_none_or(|level| level >= own))
        .map(|used| format!("{} uses {used}", path.join("::")))
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
        let path = module_path(file.strip_prefix(&src).unwrap());
        if matches!(path[0].as_str(), "lib" | "layers" | "bin") {
            continue;
        }
        let text = fs::read_to_string(&file).unwrap();
        wrong.extend(violations(&path, without_tests(&text)));
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
        let code = without_tests(&text);
        // The library is `cdefang::`; the binary's own modules are reached only through
        // `crate::` or `super::`, which a command has no reason to use.
        for form in ["crate::", "super::"] {
            assert!(!code.contains(form), "{command}.rs uses {form}");
        }
    }
}

#[test]
fn the_check_sees_every_way_up() {
    let path = |text: &str| text.split("::").map(String::from).collect::<Vec<_>>();
    let lines = path("source::lines");
    assert!(violations(&lines, "use super::scan::Scan; use crate::cond::Expr;").is_empty());
    for upward in [
        "use crate::engine::Setup;",
        "let x = crate::engine::process;",
        "use crate::{cond, engine};",
        "use super::super::engine::Setup;",
        "/// See [`crate::engine`].",
    ] {
        assert_eq!(
            violations(&lines, upward),
            ["source::lines uses engine"],
            "{upward}"
        );
    }
    // Within one top module, `super::` never leaves it; `$crate::` is a macro's.
    assert!(violations(&path("c::view"), "use super::tokens; $crate::engine").is_empty());
    assert_eq!(
        violations(&path("files"), "use super::learn::Hints;"),
        ["files uses learn"]
    );
    assert_eq!(
        without_tests("a\n#[cfg(test)]\nmod tests { use crate::engine; }"),
        "a\n"
    );
}
