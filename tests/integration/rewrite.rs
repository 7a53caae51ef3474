//! Rewrites of the fixtures in testdata/, through the library: each case checks what it must
//! exactly and keeps a snapshot (in snapshots/) of the diff it makes.

use std::path::Path;

use cdefang::{FileResult, write_diff};

use crate::util::{assert_snapshot, el5_rules, one_rule, read_testdata, setup};

const LINUX: &str = "defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)";

fn rule(action: &str, extra: &str, matcher: &str) -> String {
    one_rule("r", action, extra, matcher)
}

fn drop_unshare() -> String {
    rule(
        "drop",
        "",
        &format!("condition = \"{LINUX}\"\ncalls = [\"unshare\"]"),
    )
}

/// Run the rules over a fixture; returns the result and the new bytes (the old ones if
/// unchanged).
fn rewrite(fixture: &str, rules_toml: &str) -> (FileResult, Vec<u8>) {
    let rules = setup(rules_toml);
    let source = read_testdata(fixture);
    let name = Path::new(fixture).file_name().unwrap().to_string_lossy();
    let result = cdefang::process(&source, &name, &rules).expect("file processes");
    let output = result.output.clone().unwrap_or(source);
    (result, output)
}

/// The diff of a rewrite, with CR and non-UTF-8 bytes made visible for the snapshot.
fn visible_diff(fixture: &str, old: &[u8], new: &[u8]) -> String {
    let mut diff = Vec::new();
    write_diff(&mut diff, fixture, old, new).unwrap();
    let mut text = String::new();
    for chunk in diff.utf8_chunks() {
        text.push_str(&chunk.valid().replace('\r', "\\r"));
        for byte in chunk.invalid() {
            text.push_str(&format!("\\x{byte:02x}"));
        }
    }
    text
}

fn snapshot(name: &str, fixture: &str, new: &[u8]) {
    let diff = visible_diff(fixture, &read_testdata(fixture), new);
    let of = format!("diff of testdata/{fixture} (CR and non-UTF-8 bytes escaped)");
    assert_snapshot(name, &of, diff);
}

/// Running the rules again on the output changes nothing.
fn assert_idempotent(new: &[u8], rules_toml: &str) {
    let rules = setup(rules_toml);
    let again = cdefang::process(new, "again.c", &rules).unwrap();
    assert_eq!(again.output, None, "a second run changed the output");
}

#[test]
fn elif_chain_first_branch_dropped_turns_elif_into_if() {
    let rules = rule("drop", "", &format!("condition = \"{LINUX}\""));
    let (result, new) = rewrite("constructs/elif-chain.c", &rules);
    let text = String::from_utf8(new.clone()).unwrap();
    assert!(text.contains("int uwsgi_get_cores(void) {\n#if   defined(__FreeBSD__) /* bsd */\n\treturn bsd_cores();\n#else"));
    assert!(text.contains("\treturn threads();\n#else\n\treturn 0;\n#endif"));
    assert!(!text.contains("unshare_"));
    assert_eq!(result.counts[0].matches, 2);
    assert_idempotent(&new, &rules);
    snapshot("elif-chain", "constructs/elif-chain.c", &new);
}

#[test]
fn if_else_with_if_dropped_keeps_else_body_alone() {
    let (_, new) = rewrite("constructs/if-else.c", &drop_unshare());
    assert_eq!(
        String::from_utf8(new.clone()).unwrap(),
        "/* #if A ... #else B #endif with the #if branch dropped: B alone stays. */\n\
         void uwsgi_jail(void) {\n\tuwsgi_log(\"no namespaces\\n\");\n\tuwsgi_log(\"done\\n\");\n}\n"
    );
    snapshot("if-else", "constructs/if-else.c", &new);
}

#[test]
fn crlf_tabs_trailing_spaces_and_missing_final_newline_are_kept() {
    let (_, new) = rewrite("constructs/crlf.c", &drop_unshare());
    let expected = b"/* CRLF line endings, tabs, trailing spaces and no final newline. */\r\n\
void uwsgi_as_root(void) {\r\n\tint x = 1;   \r\n\tx++;  \t\r\n}";
    assert_eq!(new, expected.to_vec());
    snapshot("crlf", "constructs/crlf.c", &new);
}

#[test]
fn non_utf8_bytes_are_kept() {
    let (_, new) = rewrite("constructs/non-utf8.c", &drop_unshare());
    let expected = b"/* Latin-1 bytes: caf\xe9, na\xefve. */\nvoid uwsgi_as_root(void) {\n\tchar *s = \"\xff\xfe\";\n\tuwsgi_log(\"%s\\n\", s);\n}\n";
    assert_eq!(new, expected.to_vec());
    snapshot("non-utf8", "constructs/non-utf8.c", &new);
}

#[test]
fn directive_spellings_and_continued_lines_match_structurally() {
    let rules = drop_unshare();
    let (result, new) = rewrite("constructs/directive-forms.c", &rules);
    assert_eq!(
        result.counts[0].matches, 3,
        "three spellings of one condition"
    );
    let text = String::from_utf8(new.clone()).unwrap();
    assert!(text.contains("#if defined(__linux__) || !defined(OBSOLETE_LINUX_KERNEL)"));
    assert!(!text.contains("unshare(uwsgi"));
    assert!(!text.contains("\\\n"), "the continued directive went whole");
    assert_idempotent(&new, &rules);
    snapshot("directive-forms", "constructs/directive-forms.c", &new);
}

#[test]
fn only_real_calls_count_as_calls() {
    let (result, new) = rewrite("constructs/not-calls.c", &drop_unshare());
    let text = String::from_utf8(new.clone()).unwrap();
    for kept in [
        "uwsgi.unshare) uwsgi_log",
        "uwsgi_log(\"unshare()\")",
        "/* unshare( */",
        "uwsgi_build_unshare(",
        "\tint unshare(int);",
        "= unshare;",
    ] {
        assert!(text.contains(kept), "{kept} must not count as a call");
    }
    for dropped in [
        "if (unshare(m))",
        "(void) unshare(m)",
        "unshare /* split */",
    ] {
        assert!(!text.contains(dropped), "{dropped} is a call");
    }
    assert_eq!(result.counts[0].matches, 3);
    snapshot("not-calls", "constructs/not-calls.c", &new);
}

#[test]
fn inside_finds_a_function_whose_header_is_split_by_conditionals() {
    let rules = rule(
        "drop",
        "",
        &format!("condition = \"{LINUX}\"\ncalls = [\"unshare\"]\ninside = \"uwsgi_as_root\""),
    );
    let (result, new) = rewrite("constructs/split-function.c", &rules);
    assert_eq!(result.counts[0].matches, 1);
    assert_eq!(result.matches[0].function.as_deref(), Some("uwsgi_as_root"));
    let text = String::from_utf8(new.clone()).unwrap();
    assert!(text.contains("void uwsgi_not_root(void) {\n#if defined(__linux__)"));
    snapshot("split-function", "constructs/split-function.c", &new);
}

#[test]
fn keep_removes_directives_and_other_branches() {
    let rules = rule("keep", "", "condition = \"defined(UWSGI_SSL)\"");
    let (_, new) = rewrite("constructs/keep-replace.c", &rules);
    let text = String::from_utf8(new.clone()).unwrap();
    assert!(text.contains("void uwsgi_setup(void) {\n\tuwsgi_ssl_init();\n\n#ifndef UWSGI_PCRE"));
    assert!(!text.contains("no ssl"));
    snapshot("keep", "constructs/keep-replace.c", &new);
}

#[test]
fn replace_condition_writes_the_new_condition() {
    let rules = rule(
        "replace-condition",
        "replacement = \"!defined(UWSGI_PCRE) && !defined(UWSGI_PCRE2)\"",
        "condition = \"!defined(UWSGI_PCRE)\"",
    );
    let (_, new) = rewrite("constructs/keep-replace.c", &rules);
    let text = String::from_utf8(new.clone()).unwrap();
    assert!(text.contains(
        "#if !defined(UWSGI_PCRE) && !defined(UWSGI_PCRE2)\n\tuwsgi_log(\"no pcre\\n\");\n#endif"
    ));
    assert_idempotent(&new, &rules);
    snapshot("replace-condition", "constructs/keep-replace.c", &new);
}

#[test]
fn resolve_evaluates_like_unifdef() {
    let rules = rule(
        "resolve",
        "define = [\"BAR=2\", \"OBSOLETE_LINUX_KERNEL\"]\nundef = [\"FOO\"]",
        "",
    );
    let (_, new) = rewrite("constructs/resolve.c", &rules);
    let text = String::from_utf8(new.clone()).unwrap();
    let expected = "/* resolve under FOO undefined, BAR=2 and OBSOLETE_LINUX_KERNEL defined. */\n\
int foo = 0;\n\n\
#if defined(__linux__)\nint bar_linux = 1;\n#endif\n\n\
#if   defined(Y)\nint y = 1;\n#else\nint other = 1;\n#endif\n\n\n\
int always = 1;\n\n\
#if defined(__linux__)\nint untouched = 1;\n#endif\n";
    assert_eq!(text, expected);
    assert_idempotent(&new, &rules);
    snapshot("resolve", "constructs/resolve.c", &new);
}

#[test]
fn el5_rules_on_the_uwsgi_shaped_tree() {
    let rules = setup(&std::fs::read_to_string(el5_rules()).unwrap());
    for (file, changes) in [
        ("core/utils.c", true),
        ("core/event.c", true),
        ("core/fsmon.c", true),
        ("core/master.c", false),
    ] {
        let fixture = format!("uwsgi/{file}");
        let source = read_testdata(&fixture);
        let result = cdefang::process(&source, file, &rules).unwrap();
        assert_eq!(result.output.is_some(), changes, "{file}");
        if let Some(new) = &result.output {
            let text = String::from_utf8_lossy(new);
            assert!(!text.contains("unshare(uwsgi"), "{file}");
            assert!(!text.contains("sys/inotify.h"), "{file}");
            snapshot(&format!("el5-{}", file.replace('/', "-")), &fixture, new);
        }
    }
    // utils.c: the block without a call, and the one outside uwsgi_as_root, stay.
    let result =
        cdefang::process(&read_testdata("uwsgi/core/utils.c"), "core/utils.c", &rules).unwrap();
    let text = String::from_utf8(result.output.unwrap()).unwrap();
    assert!(text.contains("namespace mask %d"));
    assert!(text.contains("if (unshare(flags))"));
    assert_eq!(result.counts[0].matches, 2);
}

/// A new condition replaces the old one only: a comment after it on the directive line stays
/// (`replace-condition`, and a condition `resolve` simplifies).
#[test]
fn a_new_condition_keeps_the_comment_after_the_old_one() {
    let source = "#ifdef FEAT_X // why\nx\n#endif /* FEAT_X */\n#if A && B /* both */\ny\n#endif\n";
    let replace = rule(
        "replace-condition",
        "replacement = \"defined(FEAT_X) && !defined(NO_X)\"",
        "condition = \"defined(FEAT_X)\"",
    );
    let result = cdefang::process(source.as_bytes(), "f.c", &setup(&replace)).unwrap();
    assert_eq!(
        String::from_utf8(result.output.unwrap()).unwrap(),
        source.replace(
            "#ifdef FEAT_X // why",
            "#if defined(FEAT_X) && !defined(NO_X) // why"
        )
    );
    let resolve = crate::util::resolve_setup(&["A"], &[]);
    let result = cdefang::process(source.as_bytes(), "f.c", &resolve).unwrap();
    assert_eq!(
        String::from_utf8(result.output.unwrap()).unwrap(),
        source.replace("#if A && B /* both */", "#if B /* both */")
    );
}

#[test]
fn an_else_branch_is_selected_by_the_condition_it_is_taken_under() {
    // `#ifdef X … #else`: the `#else` is `!defined(X)`; `#ifndef X … #else` is `defined(X)`;
    // after an `#elif` chain it is the negation of every condition before it, in any order.
    let rules = [
        one_rule(
            "no-epoll",
            "keep",
            "",
            "condition = \"!defined(HAVE_EPOLL)\"",
        ),
        one_rule(
            "accept4",
            "drop",
            "",
            "condition = \"defined(HAVE_ACCEPT4)\"",
        ),
        one_rule(
            "portable",
            "drop",
            "",
            "condition = \"!(defined(__FreeBSD__) || defined(__APPLE__)) && !defined(__linux__)\"",
        ),
    ]
    .concat();
    let (result, new) = rewrite("constructs/else-branches.c", &rules);
    let text = String::from_utf8(new.clone()).unwrap();
    assert!(text.contains("taken under. */\n#include <poll.h>\n\n#ifndef HAVE_ACCEPT4\n"));
    assert!(!text.contains("epoll.h"));
    assert!(text.contains("return accept(fd, 0, 0); }\n#endif\n"));
    assert!(!text.contains("SOCK_CLOEXEC"));
    assert!(text.contains("\treturn kqueue();\n#endif\n}"));
    assert!(!text.contains("poll_queue"));
    let matches: Vec<u64> = result.counts.iter().map(|count| count.matches).collect();
    assert_eq!(matches, [1, 1, 1]);
    assert_idempotent(&new, &rules);
    snapshot("else-branches", "constructs/else-branches.c", &new);
}

#[test]
fn an_else_branch_is_not_selected_by_uses_resolve_or_replace_condition() {
    for rules in [
        // `uses` asks what a condition tests; an `#else` has none of its own.
        one_rule(
            "uses",
            "drop",
            "",
            "uses = [\"HAVE_EPOLL\"]\ncalls = [\"poll_queue\"]",
        ),
        // An `#else` has no condition to replace.
        one_rule(
            "replace",
            "replace-condition",
            "replacement = \"!defined(HAVE_EPOLL) && 1\"",
            "condition = \"!defined(HAVE_EPOLL)\"",
        ),
        // The condition a branch is taken under is not its own: `#elif` is its own condition.
        one_rule(
            "elif",
            "drop",
            "",
            "condition = \"!defined(__linux__) && (defined(__FreeBSD__) || defined(__APPLE__))\"",
        ),
    ] {
        let (result, _) = rewrite("constructs/else-branches.c", &rules);
        assert_eq!(result.output, None, "{rules}");
        assert_eq!(result.counts[0].matches, 0, "{rules}");
    }
}
