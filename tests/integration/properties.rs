//! Property tests (proptest) on generated C-with-directives text.
//!
//! The generator builds a document model (code units and conditional groups, nested) and renders
//! it with the traps a real tree has: comments and strings holding `#` and `/*`, `//` comments
//! and code lines continued by `\`, `#define`s continued over lines, CRLF and LF mixed, trailing
//! blanks, non-UTF-8 bytes, directive spellings (`#  if defined( X )`, tabs, trailing comments)
//! and files without a final newline. Each property compares the engine with an independent
//! render of the same model, so a failure shrinks to a small document that shows the bug.

use cdefang::{RulesFile, Setup};
use proptest::prelude::*;

use crate::util::{one_rule, resolve_setup, setup};

/// A unit of code lines (no directive of the conditional family); several lines when a
/// comment, a continuation or a `#define` spans them.
const CODE_UNITS: &[&[&[u8]]] = &[
    &[b"int x = 1;"],
    &[b"static int counter;   "],
    &[b"\tcall(\"# not a directive\");"],
    &[b"char c = '#';"],
    &[b"const char *open = \"/*\"; int after_string;"],
    &[b"x = '\"'; /* a quote in a char */"],
    &[b"// #endif in a line comment"],
    &[b"/* #if 0 in a block comment */ y++;"],
    &[
        b"/* a block comment",
        b"#ifdef DROPME",
        b"#endif  still in the comment */",
    ],
    &[
        b"// a line comment continued \\",
        b"#ifdef DROPME (still the comment)",
    ],
    &[b"int long_line = \\", b"    2;"],
    &[b"#define SQUARE(a) \\", b"    ((a) * (a))"],
    &[b"#include <sys/types.h>"],
    &[b"# /* comment */ define TWO 2"],
    &[b"#pragma once"],
    &[b"#error \"#endif in a string\""],
    &[b"char *s = \"\xff\xfe\";"],
    &[b"/* caf\xe9 */ int latin1;"],
    &[b"unshare(CLONE_NEWNS);"],
    &[b""],
    &[b"   "],
];

/// Spellings of an opening directive whose condition is `defined(DROPME)`.
const DROPME_OPENERS: &[&[u8]] = &[
    b"#ifdef DROPME",
    b"#if defined(DROPME)",
    b"  #  if defined DROPME",
    b"#ifdef DROPME /* why */",
    b"#if defined( DROPME ) // note",
    b"#\tifdef\tDROPME",
    b"#if (defined(DROPME))",
];

/// Openers of other conditionals: the drop rule leaves their branches alone, but for the
/// `#else` right after `#ifndef DROPME` or `#if !defined(DROPME)` (see [`NEGATED_OPENERS`]).
const OTHER_OPENERS: &[&[u8]] = &[
    b"#ifdef FOO",
    b"#if defined(BAR) && X > 1",
    b"#ifndef DROPME",
    b"#if !defined(DROPME)",
    b"# if A || defined(C)",
    b"#if 0",
    b"#if defined(DROPME) && defined(C)",
];

/// The indices in OTHER_OPENERS of `!defined(DROPME)`: their `#else`, when no `#elif` comes
/// before it, is taken under `defined(DROPME)` and dropped.
const NEGATED_OPENERS: &[usize] = &[2, 3];

const ELIFS: &[&[u8]] = &[b"#elif defined(BAZ)", b"#  elif B == 2", b"#elif A && C"];
const ELSES: &[&[u8]] = &[b"#else", b"#else /* !DROPME */", b"# else", b"#else // x"];
const ENDIFS: &[&[u8]] = &[b"#endif", b"#endif /* DROPME */", b"#  endif", b"#endif\t"];
const ENDINGS: &[&[u8]] = &[b"\n", b"\r\n"];

#[derive(Clone, Debug)]
enum Item {
    Code { unit: usize, ending: usize },
    Group(Box<Group>),
}

#[derive(Clone, Debug)]
struct Group {
    /// `Some(spelling)` for a `defined(DROPME)` group, else an index into OTHER_OPENERS.
    dropme: Option<usize>,
    other: usize,
    then: Vec<Item>,
    /// Only in groups that are not DROPME groups.
    elifs: Vec<(usize, Vec<Item>)>,
    otherwise: Option<(usize, Vec<Item>)>,
    endif: usize,
    ending: usize,
}

#[derive(Clone, Debug)]
struct Document {
    items: Vec<Item>,
    /// Drop the final line ending (only when the file ends on a code unit).
    no_final_newline: bool,
}

fn code_item() -> impl Strategy<Value = Item> {
    (0..CODE_UNITS.len(), 0..ENDINGS.len()).prop_map(|(unit, ending)| Item::Code { unit, ending })
}

fn items() -> impl Strategy<Value = Vec<Item>> {
    let leaf = prop::collection::vec(code_item(), 0..4);
    leaf.prop_recursive(4, 48, 6, |inner| {
        let group = (
            prop::option::weighted(0.5, 0..DROPME_OPENERS.len()),
            0..OTHER_OPENERS.len(),
            inner.clone(),
            prop::collection::vec((0..ELIFS.len(), inner.clone()), 0..3),
            prop::option::of((0..ELSES.len(), inner.clone())),
            0..ENDIFS.len(),
            0..ENDINGS.len(),
        )
            .prop_map(|(dropme, other, then, elifs, otherwise, endif, ending)| {
                let elifs = if dropme.is_some() { Vec::new() } else { elifs };
                Item::Group(Box::new(Group {
                    dropme,
                    other,
                    then,
                    elifs,
                    otherwise,
                    endif,
                    ending,
                }))
            });
        prop::collection::vec(prop_oneof![2 => code_item(), 1 => group], 0..6)
    })
}

fn document() -> impl Strategy<Value = Document> {
    (items(), any::<bool>()).prop_map(|(items, no_final_newline)| Document {
        items,
        no_final_newline,
    })
}

fn render_code(out: &mut Vec<u8>, unit: usize, ending: usize) {
    for line in CODE_UNITS[unit] {
        out.extend_from_slice(line);
        out.extend_from_slice(ENDINGS[ending]);
    }
}

fn directive(out: &mut Vec<u8>, line: &[u8], ending: usize) {
    out.extend_from_slice(line);
    out.extend_from_slice(ENDINGS[ending]);
}

/// The source text of a document.
fn render(document: &Document) -> Vec<u8> {
    fn items(out: &mut Vec<u8>, list: &[Item]) {
        for item in list {
            match item {
                Item::Code { unit, ending } => render_code(out, *unit, *ending),
                Item::Group(group) => {
                    let opener = match group.dropme {
                        Some(spelling) => DROPME_OPENERS[spelling],
                        None => OTHER_OPENERS[group.other],
                    };
                    directive(out, opener, group.ending);
                    items(out, &group.then);
                    for (elif, body) in &group.elifs {
                        directive(out, ELIFS[*elif], group.ending);
                        items(out, body);
                    }
                    if let Some((spelling, body)) = &group.otherwise {
                        directive(out, ELSES[*spelling], group.ending);
                        items(out, body);
                    }
                    directive(out, ENDIFS[group.endif], group.ending);
                }
            }
        }
    }
    let mut out = Vec::new();
    items(&mut out, &document.items);
    strip_final_newline(document, &mut out);
    out
}

fn strip_final_newline(document: &Document, out: &mut Vec<u8>) {
    if document.no_final_newline && matches!(document.items.last(), Some(Item::Code { .. })) {
        if out.ends_with(b"\r\n") {
            out.truncate(out.len() - 2);
        } else if out.ends_with(b"\n") {
            out.truncate(out.len() - 1);
        }
    }
}

/// What dropping every `defined(DROPME)` branch must give, and how many matches that is: a
/// DROPME group goes whole, except that its `#else` body stays (without the directives); the
/// `#else` of a `!defined(DROPME)` group without `#elif` goes with its body; a match inside a
/// dropped body is swallowed; everything else is copied.
fn render_dropped(document: &Document) -> (Vec<u8>, u64) {
    fn items(out: &mut Vec<u8>, list: &[Item], matches: &mut u64) {
        for item in list {
            match item {
                Item::Code { unit, ending } => render_code(out, *unit, *ending),
                Item::Group(group) => match group.dropme {
                    Some(_) => {
                        *matches += 1;
                        if let Some((_, body)) = &group.otherwise {
                            items(out, body, matches);
                        }
                    }
                    None => {
                        directive(out, OTHER_OPENERS[group.other], group.ending);
                        items(out, &group.then, matches);
                        for (elif, body) in &group.elifs {
                            directive(out, ELIFS[*elif], group.ending);
                            items(out, body, matches);
                        }
                        match &group.otherwise {
                            Some(_)
                                if group.elifs.is_empty()
                                    && NEGATED_OPENERS.contains(&group.other) =>
                            {
                                *matches += 1;
                            }
                            Some((spelling, body)) => {
                                directive(out, ELSES[*spelling], group.ending);
                                items(out, body, matches);
                            }
                            None => {}
                        }
                        directive(out, ENDIFS[group.endif], group.ending);
                    }
                },
            }
        }
    }
    let mut out = Vec::new();
    let mut matches = 0;
    items(&mut out, &document.items, &mut matches);
    strip_final_newline(document, &mut out);
    (out, matches)
}

/// The rule that drops `defined(DROPME)` branches, with `extra` keys of the rule and of its
/// match.
fn drop_rule(rule_keys: &str, match_keys: &str) -> String {
    one_rule(
        "drop-dropme",
        "drop",
        rule_keys,
        &format!("condition = \"defined(DROPME)\"\n{match_keys}"),
    )
}

/// Arbitrary bytes, biased towards the ones the scanner treats specially.
fn noisy_bytes() -> impl Strategy<Value = Vec<u8>> {
    let special = prop::sample::select(vec![
        b'#', b'/', b'*', b'"', b'\'', b'\\', b'\n', b'\r', b' ', b'\t', b'i', b'f', b'e', b'n',
        b'd', b'l', b's', b'(', b')', b'!', b'&', b'|', 0xff, 0,
    ]);
    prop::collection::vec(prop_oneof![3 => special, 1 => any::<u8>()], 0..600)
}

/// A generated document with a few bytes overwritten, deleted or inserted.
fn mutated_document() -> impl Strategy<Value = Vec<u8>> {
    (
        document(),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 1..6),
    )
        .prop_map(|(document, mutations)| {
            let mut bytes = render(&document);
            for (at, byte, how) in mutations {
                if bytes.is_empty() {
                    bytes.push(byte);
                    continue;
                }
                let at = at.index(bytes.len());
                match how {
                    0 => bytes[at] = byte,
                    1 => {
                        bytes.remove(at);
                    }
                    _ => bytes.insert(at, byte),
                }
            }
            bytes
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// The scanner and the tree builder answer every input with a value, never a panic, and
    /// every span they give lies inside the input, on the line structure of the input.
    #[test]
    fn scanner_and_tree_never_panic(bytes in prop_oneof![noisy_bytes(), mutated_document()]) {
        if let Ok(found) = cdefang::scan(&bytes) {
            prop_assert_eq!(found.clean.len(), bytes.len());
            for directive in &found.directives {
                prop_assert!(directive.line.start <= directive.hash);
                prop_assert!(directive.keyword.start <= directive.rest.start);
                prop_assert!(directive.rest.end <= directive.line.end);
                prop_assert!(directive.line.end <= bytes.len());
            }
            let _ = cdefang::build_tree(&found.directives);
        }
    }

    /// The whole engine, with a rule that parses with lang-c, never panics either.
    #[test]
    fn engine_never_panics(bytes in prop_oneof![noisy_bytes(), mutated_document()]) {
        let rules = setup(&drop_rule("fallback = \"tokens\"", "calls = [\"unshare\"]"));
        let _ = cdefang::process(&bytes, "x.c", &rules);
        let _ = cdefang::process(&bytes, "x.c", &resolve_setup(&["A"], &["B", "DROPME"]));
    }

    /// A rules file with no rules changes nothing, whatever the input.
    #[test]
    fn no_rules_change_nothing(bytes in prop_oneof![noisy_bytes(), mutated_document(), document().prop_map(|d| render(&d))]) {
        let empty = Setup::from_rules_file(RulesFile::default());
        if let Ok(result) = cdefang::process(&bytes, "x.c", &empty) {
            prop_assert!(result.output.is_none());
        }
    }

    /// The generated text scans and nests without error, and its directives are exactly the
    /// ones the model put there.
    #[test]
    fn generated_documents_scan(document in document()) {
        let source = render(&document);
        let found = cdefang::scan(&source).map_err(|error| TestCaseError::fail(format!("{error:?}")))?;
        cdefang::build_tree(&found.directives).map_err(|error| TestCaseError::fail(format!("{error:?}")))?;
    }

    /// Dropping `defined(DROPME)` removes exactly the DROPME groups (keeping their `#else`
    /// bodies), copies every other byte, counts the matches the model has, and a second run
    /// changes nothing.
    #[test]
    fn drop_removes_exactly_the_matched_blocks(document in document()) {
        let source = render(&document);
        let (expected, matches) = render_dropped(&document);
        let rules = setup(&drop_rule("", ""));
        let result = cdefang::process(&source, "x.c", &rules)
            .map_err(|error| TestCaseError::fail(format!("{error:?}")))?;
        prop_assert_eq!(result.counts[0].matches, matches);
        let output = result.output.unwrap_or_else(|| source.clone());
        prop_assert_eq!(String::from_utf8_lossy(&output), String::from_utf8_lossy(&expected));
        prop_assert_eq!(&output, &expected);
        let again = cdefang::process(&output, "x.c", &rules)
            .map_err(|error| TestCaseError::fail(format!("{error:?}")))?;
        prop_assert!(again.output.is_none(), "a second run changed the file");
        prop_assert_eq!(again.counts[0].matches, 0);
    }

    /// Resolving with -DA -UB -UDROPME decides every condition that tests A, B or DROPME: the
    /// result's directives mention none of them, and a second run changes nothing.
    #[test]
    fn resolve_is_idempotent(document in document()) {
        let source = render(&document);
        let rules = resolve_setup(&["A"], &["B", "DROPME"]);
        let result = cdefang::process(&source, "x.c", &rules)
            .map_err(|error| TestCaseError::fail(format!("{error:?}")))?;
        let output = result.output.unwrap_or_else(|| source.clone());
        let found = cdefang::scan(&output).map_err(|error| TestCaseError::fail(format!("{error:?}")))?;
        let conditionals = cdefang::build_tree(&found.directives)
            .map_err(|error| TestCaseError::fail(format!("{error:?}")))?;
        for conditional in conditionals.all() {
            for branch in &conditional.branches {
                let directive = &found.directives[branch.directive];
                let words = directive_words(&found.clean[directive.line.clone()]);
                for symbol in ["A", "B", "DROPME"] {
                    prop_assert!(
                        !words.iter().any(|word| word == symbol),
                        "{} still tested in {:?}", symbol, String::from_utf8_lossy(&output[directive.line.clone()])
                    );
                }
            }
        }
        let again = cdefang::process(&output, "x.c", &rules)
            .map_err(|error| TestCaseError::fail(format!("{error:?}")))?;
        prop_assert!(again.output.is_none(), "a second run changed the file");
    }
}

/// The identifiers of a directive line (read from the scan's clean text: comments blanked).
fn directive_words(line: &[u8]) -> Vec<String> {
    line.split(|byte| !(byte.is_ascii_alphanumeric() || *byte == b'_'))
        .filter(|word| !word.is_empty())
        .map(|word| String::from_utf8_lossy(word).into_owned())
        .collect()
}

/// The generator reaches what the properties are about: DROPME groups (with and without
/// `#else`, nested), other groups with `#elif`, and files without a final newline.
#[test]
fn generator_covers_the_cases() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    fn visit(list: &[Item], depth: usize, seen: &mut [u32; 6]) {
        for item in list {
            if let Item::Group(group) = item {
                if group.dropme.is_some() {
                    seen[0] += 1;
                    seen[1] += u32::from(group.otherwise.is_some());
                }
                seen[2] += u32::from(!group.elifs.is_empty());
                seen[3] += u32::from(depth > 0);
                seen[5] += u32::from(
                    group.dropme.is_none()
                        && group.elifs.is_empty()
                        && group.otherwise.is_some()
                        && NEGATED_OPENERS.contains(&group.other),
                );
                visit(&group.then, depth + 1, seen);
                for (_, body) in &group.elifs {
                    visit(body, depth + 1, seen);
                }
                if let Some((_, body)) = &group.otherwise {
                    visit(body, depth + 1, seen);
                }
            }
        }
    }
    let mut runner = TestRunner::deterministic();
    let mut seen = [0u32; 6];
    let mut bytes = 0;
    for _ in 0..200 {
        let document = document().new_tree(&mut runner).unwrap().current();
        visit(&document.items, 0, &mut seen);
        let source = render(&document);
        seen[4] += u32::from(!source.ends_with(b"\n") && !source.is_empty());
        bytes += source.len();
    }
    let [
        dropme,
        dropme_else,
        elif,
        nested,
        unterminated,
        negated_else,
    ] = seen;
    eprintln!(
        "200 documents, {bytes} bytes: {dropme} DROPME groups ({dropme_else} with #else), \
         {elif} with #elif, {nested} nested, {unterminated} without final newline, \
         {negated_else} #else of !defined(DROPME)"
    );
    assert!(dropme > 50 && dropme_else > 20 && elif > 20 && nested > 50 && unterminated > 10);
    assert!(negated_else > 5);
}
