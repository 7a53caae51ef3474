//! Line and statement targets (`target = "include" | "define" | "statement"`): each action on
//! small files through the library (exact bytes: neighbouring directives, CRLF, indentation,
//! a missing final newline), idempotence (a second pass finds the guard or the missing line and
//! changes nothing), the refusals (an unbraced body, a statement sharing its line), and through
//! the binary: --diff, --explain, --check, the drift alarm and rules-file errors.

use std::fs;

use cdefang::{Evidence, process};

use crate::util::{
    assert_contains, assert_exit, assert_stderr, run_with_rules, setup, stdout_of, write_rules,
};

/// A rules file of one target rule over `*.c` and `*.h`.
fn target_rule(target: &str, action: &str, rule_keys: &str, match_keys: &str) -> String {
    format!(
        "[[rule]]\nid = \"r\"\nmessage = \"m\"\nfiles = [\"*.c\", \"*.h\"]\ntarget = \"{target}\"\n\
         action = \"{action}\"\n{rule_keys}\n[rule.match]\n{match_keys}\n"
    )
}

/// The rule's output on `source` (the input when nothing changes) and its match count.
fn apply(rules: &str, source: &str) -> (String, u64) {
    let result = process(source.as_bytes(), "f.c", &setup(rules)).expect("processes");
    let output = result.output.unwrap_or_else(|| source.as_bytes().to_vec());
    (String::from_utf8(output).unwrap(), result.counts[0].matches)
}

/// Apply, then check that a second pass over the output changes nothing and finds no match,
/// and that the rule counts as applied there (no residue: no drift).
fn apply_twice(rules: &str, source: &str) -> (String, u64) {
    let (once, matches) = apply(rules, source);
    let again = process(once.as_bytes(), "f.c", &setup(rules)).expect("processes");
    assert_eq!(again.output, None, "a second pass changes nothing:\n{once}");
    assert_eq!(again.counts[0].matches, 0);
    assert!(
        matches!(again.evidence[0], Some(Evidence::Applied { .. })),
        "a second pass finds the rule applied: {:?}\n{once}",
        again.evidence[0]
    );
    (once, matches)
}

const CHAIN: &str = "#include <sys/ioctl.h>\n\n#ifdef __linux__\n#include <sys/sendfile.h>\n#include <sys/epoll.h>\n#elif defined(__GNU_kFreeBSD__)\n#include <sys/event.h>\n#else\n#include <sys/event.h>\n#endif\n";

#[test]
fn include_drop_removes_one_line_and_keeps_the_elif() {
    let rules = target_rule("include", "drop", "", "includes = [\"sys/epoll.h\"]");
    let (output, matches) = apply_twice(&rules, CHAIN);
    assert_eq!(matches, 1);
    assert_eq!(output, CHAIN.replace("#include <sys/epoll.h>\n", ""));
    // The old workaround, `drop` of the block that includes it, turned the #elif into #if.
    let block = "[[rule]]\nid = \"r\"\nmessage = \"m\"\nfiles = [\"*.c\"]\naction = \"drop\"\n[rule.match]\ncondition = \"defined(__linux__)\"\nincludes = [\"sys/epoll.h\"]\n";
    assert!(
        apply(block, CHAIN)
            .0
            .contains("#if   defined(__GNU_kFreeBSD__)")
    );
}

#[test]
fn include_selection_asks_the_conditions_around_the_line() {
    // Only the include under a `__linux__` branch (here nested in another conditional).
    let source = "#ifndef H\n#ifdef __linux__\n#  include \"sys/epoll.h\" /* x */\r\n#endif\n#endif\n#include <sys/epoll.h>\n";
    let rules = target_rule(
        "include",
        "drop",
        "",
        "includes = [\"sys/epoll.h\"]\ncondition = \"defined(__linux__)\"",
    );
    let (output, matches) = apply(&rules, source);
    assert_eq!(matches, 1);
    assert_eq!(
        output,
        source.replace("#  include \"sys/epoll.h\" /* x */\r\n", "")
    );
    // The other include is still there: not applied, drift.
    let again = process(output.as_bytes(), "f.c", &setup(&rules)).unwrap();
    assert_eq!(again.counts[0].matches, 0);
    assert!(
        matches!(again.evidence[0], Some(Evidence::Remains { .. })),
        "the header is still included elsewhere in scope: {:?}",
        again.evidence[0]
    );
}

#[test]
fn include_replace_keeps_the_rest_of_the_line() {
    let source = "#ifdef __linux__\n#  include  <sys/epoll.h>  // events\r\n#endif";
    let rules = target_rule(
        "include",
        "replace",
        "replacement = \"<sys/poll.h>\"",
        "includes = [\"sys/epoll.h\"]",
    );
    let (output, matches) = apply_twice(&rules, source);
    assert_eq!(matches, 1);
    assert_eq!(
        output,
        "#ifdef __linux__\n#  include  <sys/poll.h>  // events\r\n#endif"
    );
}

#[test]
fn include_guard_takes_the_line_ending_and_a_last_line_without_one() {
    let source = "int a;\r\n#include <sys/epoll.h>";
    let rules = target_rule(
        "include",
        "guard",
        "guard = \"#ifdef HAVE_EPOLL\"",
        "includes = [\"sys/epoll.h\"]",
    );
    let (output, _) = apply_twice(&rules, source);
    assert_eq!(
        output,
        // The last line has no ending: the one before it says the file's, CRLF.
        "int a;\r\n#ifdef HAVE_EPOLL\r\n#include <sys/epoll.h>\r\n#endif"
    );
    let (output, _) = apply_twice(&rules, "#include <sys/epoll.h>");
    assert_eq!(output, "#ifdef HAVE_EPOLL\n#include <sys/epoll.h>\n#endif");
    let source = "#if A\r\n#endif\r\n#include <sys/epoll.h>\r\nint a;\r\n";
    let (output, _) = apply_twice(&rules, source);
    assert_eq!(
        output,
        "#if A\r\n#endif\r\n#ifdef HAVE_EPOLL\r\n#include <sys/epoll.h>\r\n#endif\r\nint a;\r\n"
    );
}

const DEFINES: &str = "#define _XOPEN_SOURCE 700\n#define MAX(a, b) \\\n  ((a) > (b) ? (a) : (b))\n#ifdef _GNU_SOURCE\n#undef _GNU_SOURCE\n#endif\n#define EMPTY\n";

#[test]
fn define_drop_set_and_guard() {
    let drop = target_rule("define", "drop", "", "undefs = [\"_GNU_SOURCE\"]");
    let (output, matches) = apply_twice(&drop, DEFINES);
    assert_eq!(matches, 1);
    assert_eq!(output, DEFINES.replace("#undef _GNU_SOURCE\n", ""));

    let set = target_rule(
        "define",
        "set",
        "value = \"600\"",
        "defines = [\"_XOPEN_SOURCE\"]",
    );
    let (output, _) = apply_twice(&set, DEFINES);
    assert_eq!(
        output,
        DEFINES.replace("_XOPEN_SOURCE 700", "_XOPEN_SOURCE 600")
    );
    // A function-like macro's value follows its parameters; a value on a continuation line is
    // replaced there, the continuation kept.
    let set = target_rule(
        "define",
        "set",
        "value = \"0\"",
        "defines = [\"MAX\", \"EMPTY\"]",
    );
    let (output, matches) = apply_twice(&set, DEFINES);
    assert_eq!(matches, 2);
    assert!(
        output.contains("#define MAX(a, b) \\\n  0\n#ifdef"),
        "{output}"
    );
    assert!(output.ends_with("#define EMPTY 0\n"), "{output}");
    // Selecting by value: spacing aside; the value selected by is gone once set, and the rule
    // still counts as applied.
    let by_value = target_rule(
        "define",
        "set",
        "value = \"600\"",
        "defines = [\"_XOPEN_SOURCE\"]\nvalue = \" 700 \"",
    );
    assert_eq!(apply_twice(&by_value, DEFINES).1, 1);
    let other_value = target_rule(
        "define",
        "set",
        "value = \"600\"",
        "defines = [\"_XOPEN_SOURCE\"]\nvalue = \"500\"",
    );
    assert_eq!(apply(&other_value, DEFINES), (DEFINES.to_string(), 0));

    let guard = target_rule(
        "define",
        "guard",
        "guard = \"#ifndef __sun__\"",
        "defines = [\"_XOPEN_SOURCE\"]",
    );
    let (output, _) = apply_twice(&guard, DEFINES);
    assert!(
        output.starts_with("#ifndef __sun__\n#define _XOPEN_SOURCE 700\n#endif\n#define MAX"),
        "{output}"
    );
}

const EMPEROR: &str = "void f(void) {\r\n#ifdef __linux__\r\n    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0)) {\r\n        uwsgi_error(\"prctl()\");\r\n    }\r\n    prctl(PR_SET_NAME, \"x\", 0, 0, 0); /* name */\r\n#endif\r\n    int pid = getpid(); int *p = &pid;\r\n}\r\n";

#[test]
fn statement_guard_wraps_whole_lines_and_is_found_again() {
    let rules = target_rule(
        "statement",
        "guard",
        "guard = \"#ifdef PR_SET_PDEATHSIG\"",
        "calls = [\"prctl\"]\nmentions = [\"PR_SET_PDEATHSIG\"]",
    );
    let (output, matches) = apply_twice(&rules, EMPEROR);
    assert_eq!(matches, 1);
    assert_eq!(
        output,
        EMPEROR
            .replace(
                "    if (prctl(PR_SET_PDEATHSIG",
                "#ifdef PR_SET_PDEATHSIG\r\n    if (prctl(PR_SET_PDEATHSIG"
            )
            .replace("    }\r\n    prctl(", "    }\r\n#endif\r\n    prctl(")
    );
    // Another spelling of the same guard counts as applied.
    let spelled = EMPEROR
        .replace(
            "    if (prctl(PR_SET",
            "#if   defined(PR_SET_PDEATHSIG)\r\n    if (prctl(PR_SET",
        )
        .replace("    }\r\n    prctl(", "    }\r\n#endif\r\n    prctl(");
    let again = process(spelled.as_bytes(), "f.c", &setup(&rules)).unwrap();
    assert_eq!(
        (
            again.output,
            again.counts[0].matches,
            matches!(again.evidence[0], Some(Evidence::Applied { .. }))
        ),
        (None, 0, true)
    );
    // So does the `#else` of `#ifndef PR_SET_PDEATHSIG`: it is taken when the guard holds.
    let in_else = EMPEROR
        .replace(
            "    if (prctl(PR_SET",
            "#ifndef PR_SET_PDEATHSIG\r\n    no_pdeathsig();\r\n#else\r\n    if (prctl(PR_SET",
        )
        .replace("    }\r\n    prctl(", "    }\r\n#endif\r\n    prctl(");
    let again = process(in_else.as_bytes(), "f.c", &setup(&rules)).unwrap();
    assert_eq!(
        (
            again.output,
            again.counts[0].matches,
            matches!(again.evidence[0], Some(Evidence::Applied { .. }))
        ),
        (None, 0, true)
    );
    // A comment after the guard's condition is written as given, and found again.
    let commented_opening = target_rule(
        "statement",
        "guard",
        "guard = \"#ifdef PR_SET_PDEATHSIG /* EL4 */\"",
        "calls = [\"prctl\"]\nmentions = [\"PR_SET_PDEATHSIG\"]",
    );
    let (with_comment, _) = apply_twice(&commented_opening, EMPEROR);
    assert_eq!(
        with_comment,
        output.replace(
            "#ifdef PR_SET_PDEATHSIG\r\n",
            "#ifdef PR_SET_PDEATHSIG /* EL4 */\r\n"
        )
    );
    // `guard_end`: the closing line as written, comment and all; still found again.
    let commented = target_rule(
        "statement",
        "guard",
        "guard = \"#ifdef PR_SET_PDEATHSIG\"\nguard_end = \"#endif /* PR_SET_PDEATHSIG */\"",
        "calls = [\"prctl\"]\nmentions = [\"PR_SET_PDEATHSIG\"]",
    );
    let (with_comment, _) = apply_twice(&commented, EMPEROR);
    assert_eq!(
        with_comment,
        output.replace(
            "    }\r\n#endif\r\n",
            "    }\r\n#endif /* PR_SET_PDEATHSIG */\r\n"
        )
    );
    // A trailing comment is part of the line; the statement with the name, not its neighbour.
    let rules = target_rule("statement", "drop", "", "mentions = [\"PR_SET_NAME\"]");
    let (output, _) = apply_twice(&rules, EMPEROR);
    assert_eq!(
        output,
        EMPEROR.replace("    prctl(PR_SET_NAME, \"x\", 0, 0, 0); /* name */\r\n", "")
    );
}

#[test]
fn statement_condition_and_inside_select_where() {
    let source =
        "void a(void) {\n#ifdef __linux__\n\tx();\n#endif\n\tx();\n}\nvoid b(void) {\n\tx();\n}\n";
    let rules = target_rule(
        "statement",
        "drop",
        "",
        "calls = [\"x\"]\ncondition = \"defined(__linux__)\"",
    );
    assert_eq!(
        apply(&rules, source),
        (source.replacen("\tx();\n", "", 1), 1)
    );
    // `condition` asks an `#else` for the condition it is taken under.
    let in_else = source.replace("#endif\n\tx();", "#else\n\ty();\n#endif\n\tx();");
    let rules = target_rule(
        "statement",
        "drop",
        "",
        "calls = [\"y\"]\ncondition = \"!defined(__linux__)\"",
    );
    assert_eq!(
        apply(&rules, &in_else),
        (in_else.replacen("\ty();\n", "", 1), 1)
    );
    let rules = target_rule("statement", "drop", "", "calls = [\"x\"]\ninside = \"b\"");
    let (output, matches) = apply_twice(&rules, source);
    assert_eq!(
        (output, matches),
        (
            source.replace("void b(void) {\n\tx();\n}", "void b(void) {\n}"),
            1
        )
    );
    // A declaration is a statement too; a nested call goes with its statement once.
    let source = "int f(void) {\n\tint fd = open(p, O_RDONLY | open(q, 0));\n\treturn fd;\n}\n";
    let rules = target_rule(
        "statement",
        "guard",
        "guard = \"#if HAVE_OPEN\"",
        "calls = [\"open\"]",
    );
    let (output, matches) = apply_twice(&rules, source);
    assert_eq!(matches, 1);
    assert!(
        output.contains("#if HAVE_OPEN\n\tint fd = open(p, O_RDONLY | open(q, 0));\n#endif\n"),
        "{output}"
    );
}

#[test]
fn statement_refusals_name_the_place_and_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let guard = target_rule(
        "statement",
        "guard",
        "guard = \"#ifdef X\"",
        "calls = [\"x\"]",
    );
    let rules = write_rules(dir.path(), &guard);
    for (source, message, help) in [
        (
            "void f(void) {\n\tif (a)\n\t\tx();\n\ty();\n}\n",
            "this statement is the unbraced body of `if`",
            "add braces",
        ),
        (
            "void f(void) {\n\twhile (a)\n\t\tx();\n}\n",
            "the unbraced body of `while`",
            "select the whole `wh…` statement",
        ),
        (
            "void f(void) {\n\ty(); x();\n}\n",
            "this statement shares a line with other code",
            "put it on lines of its own",
        ),
        // A comment that starts after other code and ends on the statement's line.
        (
            "void f(void) {\n\ty(); /* a\n\t b */ x();\n}\n",
            "this statement shares a line with other code",
            "put it on lines of its own",
        ),
        // A comment that starts on the statement's line and ends before other code.
        (
            "void f(void) {\n\tx(); /* a\n\t b */ y();\n}\n",
            "this statement shares a line with other code",
            "put it on lines of its own",
        ),
    ] {
        fs::write(dir.path().join("f.c"), source).unwrap();
        let output = run_with_rules(dir.path(), &rules, &["f.c"]);
        assert_stderr(
            &output,
            2,
            &[
                "error: rule `r` cannot act here: ",
                message,
                "f.c:",
                help,
                "no file was changed",
            ],
        );
        assert_eq!(fs::read_to_string(dir.path().join("f.c")).unwrap(), source);
    }
    // The whole if-statement, selected by its condition, is fine.
    fs::write(
        dir.path().join("f.c"),
        "void f(void) {\n\tif (x())\n\t\ty();\n}\n",
    )
    .unwrap();
    let output = run_with_rules(dir.path(), &rules, &["f.c"]);
    assert_exit(&output, 0);
    assert_eq!(
        fs::read_to_string(dir.path().join("f.c")).unwrap(),
        "void f(void) {\n#ifdef X\n\tif (x())\n\t\ty();\n#endif\n}\n"
    );
}

/// C before C23 wants a statement after a label (gcc before 11: "label at end of compound
/// statement"): a statement after `case`, `default` or a goto label is refused when nothing
/// but what the rule removes or guards would follow the label; not when a statement stays.
#[test]
fn a_label_is_never_left_without_its_statement() {
    let dir = tempfile::tempdir().unwrap();
    let drop = target_rule("statement", "drop", "", "calls = [\"fsync\"]");
    let guard = target_rule(
        "statement",
        "guard",
        "guard = \"#ifdef HAVE_FSYNC\"",
        "calls = [\"fsync\"]",
    );
    for (rules, source, label, fate) in [
        (
            &drop,
            "void f(int k, int fd) {\n\tswitch (k) {\n\tcase 0:\n\t\tbreak;\n\tdefault:\n\t\tfsync(fd);\n\t}\n}\n",
            "`default:`",
            "would end its block",
        ),
        (
            &guard,
            "int f(int fd) {\n\tif (fd < 0)\n\t\tgoto out;\n\tclose(fd);\nout:\n\tfsync(fd);\n}\n",
            "`out:`",
            "would end its block",
        ),
        (
            &drop,
            "void f(int k, int fd) {\n\tswitch (k) {\n\tcase 1:\n\tcase 2:\n\t\tfsync(fd);\n\t}\n}\n",
            "`case 1: case 2:`",
            "would end its block",
        ),
        // The statements after it that the rule removes too do not count.
        (
            &drop,
            "void f(int fd, int g) {\nout:\n\tfsync(fd);\n\tfsync(g);\n}\n",
            "`out:`",
            "would end its block",
        ),
        (
            &drop,
            "void f(int fd) {\nout:\n\tfsync(fd);\n\tint z = 0;\n\tclose(z);\n}\n",
            "`out:`",
            "would stand before a declaration",
        ),
    ] {
        let rules = write_rules(dir.path(), rules);
        fs::write(dir.path().join("f.c"), source).unwrap();
        let output = run_with_rules(dir.path(), &rules, &["f.c"]);
        assert_stderr(
            &output,
            2,
            &[
                "error: rule `r` cannot act here: without the statement after it, the label ",
                label,
                fate,
                "f.c:",
                "label at end of compound statement",
                "write `;` after the label in the source",
                "no file was changed",
            ],
        );
        assert_eq!(fs::read_to_string(dir.path().join("f.c")).unwrap(), source);
    }
    // A statement that stays after it keeps the label fine; so does the `;` the help asks for.
    // A ternary's `:` and a bit-field's are no labels.
    for (rules, source, expected) in [
        (
            &drop,
            "void f(int k, int fd) {\n\tswitch (k) {\n\tcase 0:\n\t\tfsync(fd);\n\t\tbreak;\n\t}\n}\n",
            "void f(int k, int fd) {\n\tswitch (k) {\n\tcase 0:\n\t\tbreak;\n\t}\n}\n",
        ),
        (
            &drop,
            "void f(int k, int fd) {\n\tswitch (k) {\n\tdefault: ;\n\t\tfsync(fd);\n\t}\n}\n",
            "void f(int k, int fd) {\n\tswitch (k) {\n\tdefault: ;\n\t}\n}\n",
        ),
        (
            &guard,
            "int f(int fd) {\nout:\n\tfsync(fd);\n\treturn close(fd);\n}\n",
            "int f(int fd) {\nout:\n#ifdef HAVE_FSYNC\n\tfsync(fd);\n#endif\n\treturn close(fd);\n}\n",
        ),
        (
            &drop,
            "struct s {\n\tint x : 3;\n};\nint f(int k, int fd) {\n\tint r = k ? 1 : 0;\n\tr = k ? fsync(fd) : 0;\n}\n",
            "struct s {\n\tint x : 3;\n};\nint f(int k, int fd) {\n\tint r = k ? 1 : 0;\n}\n",
        ),
    ] {
        let (output, matches) = apply(rules, source);
        assert_eq!((output.as_str(), matches), (expected, 1));
    }
}

#[test]
fn diff_explain_check_and_the_drift_alarm() {
    let dir = tempfile::tempdir().unwrap();
    let rules = write_rules(
        dir.path(),
        &target_rule(
            "statement",
            "guard",
            "guard = \"#ifdef PR_SET_PDEATHSIG\"\nexpect = 1",
            "calls = [\"prctl\"]\nmentions = [\"PR_SET_PDEATHSIG\"]",
        ),
    );
    fs::write(dir.path().join("f.c"), EMPEROR).unwrap();
    let output = run_with_rules(dir.path(), &rules, &["--diff", "--explain", "f.c"]);
    assert_exit(&output, 1);
    assert_contains(
        &stdout_of(&output),
        &[
            "+#ifdef PR_SET_PDEATHSIG\r\n     if (prctl(PR_SET_PDEATHSIG",
            "+#endif\r\n",
        ],
    );
    assert_contains(
        &String::from_utf8_lossy(&output.stderr),
        &[
            "note[r]: m",
            "calls `prctl`; uses `PR_SET_PDEATHSIG`: guarded",
            "guard with `#ifdef PR_SET_PDEATHSIG`: lines 3–5 are wrapped",
        ],
    );
    assert_exit(&run_with_rules(dir.path(), &rules, &["--check", "f.c"]), 1);
    assert_exit(&run_with_rules(dir.path(), &rules, &["f.c"]), 0);
    // Applied: quiet, nothing to do.
    assert_exit(&run_with_rules(dir.path(), &rules, &["--check", "f.c"]), 0);
    // The code gone (no call, no guard): the drift alarm.
    fs::write(dir.path().join("f.c"), "void f(void) {\n\tg();\n}\n").unwrap();
    let output = run_with_rules(dir.path(), &rules, &["f.c"]);
    assert_stderr(
        &output,
        2,
        &["drift: rule `r` found 0 match(es), expected 1"],
    );
}

#[test]
fn rules_file_errors_for_targets() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("f.c"), "int a;\n").unwrap();
    for (text, wanted) in [
        (
            target_rule("include", "keep", "", "includes = [\"a.h\"]"),
            "action `keep` does not act on target `include`",
        ),
        (
            target_rule("statement", "guard", "", "calls = [\"f\"]"),
            "a `guard` rule needs `guard`",
        ),
        (
            target_rule(
                "statement",
                "guard",
                "guard = \"#ifdef 1X\"",
                "calls = [\"f\"]",
            ),
            "`#ifdef` takes one macro name",
        ),
        (
            target_rule(
                "include",
                "replace",
                "replacement = \"sys/poll.h\"",
                "includes = [\"a.h\"]",
            ),
            "is not a header as an #include writes it",
        ),
        (
            target_rule("define", "drop", "", "calls = [\"f\"]"),
            "`[rule.match]` has the key `calls` that target `define` does not read",
        ),
        (
            target_rule(
                "statement",
                "drop",
                "",
                "calls = [\"f\"]\nscope = \"nested\"\nnested = \"innermost\"",
            ),
            "`[rule.match]` has the keys `scope`, `nested` that target `statement` does not read",
        ),
        (
            target_rule("statement", "drop", "", "condition = \"A\""),
            "the match selects no statement",
        ),
        (
            target_rule("define", "set", "value = \"1\"", "undefs = [\"X\"]"),
            "`set` gives #define lines a new value",
        ),
        (
            target_rule("lines", "drop", "", "includes = [\"a.h\"]"),
            "unknown variant `lines`",
        ),
        (
            target_rule(
                "statement",
                "guard",
                "guard = \"#ifdef X\"\nguard_end = \"#endif X\"",
                "calls = [\"f\"]",
            ),
            "`#endif X` is not an #endif line",
        ),
        (
            target_rule(
                "statement",
                "guard",
                "guard = \"#ifdef X\"\nguard_end = \"#else\"",
                "calls = [\"f\"]",
            ),
            "`#else` is not an #endif line",
        ),
        (
            target_rule(
                "statement",
                "drop",
                "guard_end = \"#endif\"",
                "calls = [\"f\"]",
            ),
            "`guard_end` belongs to `guard` rules",
        ),
    ] {
        let rules = write_rules(dir.path(), &text);
        let output = run_with_rules(dir.path(), &rules, &["f.c"]);
        assert_stderr(&output, 2, &["invalid rules file", wanted, "rules.toml:"]);
    }
}

/// An edit never cuts a `/* … */` comment in two: a statement whose line ends inside a comment,
/// or starts inside one, takes the comment's lines with it (drop and guard alike); a string's
/// `/*` and a `//` comment are not block comments.
#[test]
fn statement_edits_take_the_lines_of_a_comment_they_start_or_end_in() {
    let drop = target_rule("statement", "drop", "", "calls = [\"prctl\"]");
    let guard = target_rule(
        "statement",
        "guard",
        "guard = \"#ifdef P\"",
        "calls = [\"prctl\"]",
    );
    let trailing = "void f(void)\n{\n\tprctl(1); /* a comment\n\t   that continues */\n\tx();\n}\n";
    assert_eq!(
        apply_twice(&drop, trailing).0,
        "void f(void)\n{\n\tx();\n}\n"
    );
    assert_eq!(
        apply_twice(&guard, trailing).0,
        "void f(void)\n{\n#ifdef P\n\tprctl(1); /* a comment\n\t   that continues */\n#endif\n\tx();\n}\n"
    );
    let leading =
        "void f(void)\n{\n\t/* a comment\n\t   that ends */ prctl(1); // more\n\tx();\n}\n";
    assert_eq!(
        apply_twice(&drop, leading).0,
        "void f(void)\n{\n\tx();\n}\n"
    );
    assert_eq!(
        apply_twice(&guard, leading).0,
        "void f(void)\n{\n#ifdef P\n\t/* a comment\n\t   that ends */ prctl(1); // more\n#endif\n\tx();\n}\n"
    );
    // Not block comments: `/*` in a string, and a `//` comment.
    let not_comments = "void f(void)\n{\n\ts = \"/*\";\n\tprctl(1); // /* no\n\tx(\"*/\");\n}\n";
    assert_eq!(
        apply_twice(&drop, not_comments).0,
        "void f(void)\n{\n\ts = \"/*\";\n\tx(\"*/\");\n}\n"
    );
}

/// `--report` and `--list` place a line or statement match at the thing selected (not its
/// line's first column) and name the function around it, as for a conditional's match, with or
/// without `inside`.
#[test]
fn the_report_places_a_statement_match_and_names_its_function() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("e.c"),
        "#include <sys/prctl.h>\nvoid fn(void)\n{\n\tprctl(PR_SET_PDEATHSIG, 9);\n}\n",
    )
    .unwrap();
    let rules = write_rules(
        dir.path(),
        &target_rule(
            "statement",
            "guard",
            "guard = \"#ifdef PR_SET_PDEATHSIG\"",
            "calls = [\"prctl\"]",
        ),
    );
    let output = run_with_rules(
        dir.path(),
        &rules,
        &["--list", "--report", "report.json", "e.c"],
    );
    assert_exit(&output, 0);
    assert_eq!(stdout_of(&output), "e.c:4:2: r: guard\n");
    let report: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    let found = &report["matches"][0];
    assert_eq!((&found["line"], &found["column"]), (&4.into(), &2.into()));
    assert_eq!(found["function"], "fn");
    // An #include at the top level: no function.
    let rules = write_rules(
        dir.path(),
        &target_rule("include", "drop", "", "includes = [\"sys/prctl.h\"]"),
    );
    let output = run_with_rules(
        dir.path(),
        &rules,
        &["--list", "--report", "report.json", "e.c"],
    );
    assert_eq!(stdout_of(&output), "e.c:1:1: r: drop\n");
    let report: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    assert!(report["matches"][0]["function"].is_null());
}

/// A declaration at the top level outside any conditional is selected as one inside a
/// conditional is (README: "the top-level declaration or definition around it when no statement
/// holds it"): dropped or guarded, and then found done on the second run. It used to be skipped,
/// and a `drop` then said `already-applied` with the name still there.
#[test]
fn a_top_level_declaration_outside_conditionals_is_selected() {
    let drop = target_rule(
        "statement",
        "drop",
        "expect = 1",
        "mentions = [\"MY_CONST\"]",
    );
    let (output, matches) = apply_twice(&drop, "int a;\nint y = MY_CONST;\nint b;\n");
    assert_eq!((output.as_str(), matches), ("int a;\nint b;\n", 1));
    let guard = target_rule(
        "statement",
        "guard",
        "guard = \"#ifdef HAVE_INOTIFY\"",
        "structs = [\"inotify_event\"]",
    );
    let (output, matches) = apply_twice(
        &guard,
        "static struct inotify_event *ev;\nint z;\nint f(void)\n{\n\treturn 0;\n}\n",
    );
    assert_eq!(matches, 1);
    assert_eq!(
        output,
        "#ifdef HAVE_INOTIFY\nstatic struct inotify_event *ev;\n#endif\nint z;\nint f(void)\n{\n\treturn 0;\n}\n"
    );
}

/// `#define` and `#undef` are read as the preprocessor reads them, a keyword split by
/// backslash-newline included: a define rule finds `#def\<newline>ine X`, and the C view sees
/// the include guard it makes.
#[test]
fn a_define_whose_keyword_is_split_by_a_continuation_is_a_define() {
    let rules = target_rule(
        "define",
        "set",
        "value = \"0\"",
        "defines = [\"USE_EPOLL\"]",
    );
    let source = "#def\\\nine USE_EPOLL 1\nint x;\n";
    let (output, matches) = apply_twice(&rules, source);
    assert_eq!(matches, 1);
    assert_eq!(output, "#def\\\nine USE_EPOLL 0\nint x;\n");
}

/// A line or statement drop whose `condition` selects an `#else` shows its work done on the
/// second run, as under `#ifndef`: the scope is the `#else` taken under that condition.
#[test]
fn a_drop_in_an_else_is_already_applied_on_its_second_run() {
    let source = "#ifdef _WIN32\n#include <winsock2.h>\n#else\n#include <sys/socket.h>\n#include <netdb.h>\n#endif\nvoid f(void)\n{\n#ifdef HAVE_PIPE2\n\tpipe2(p, 0);\n#else\n\tpipe(p);\n\tset_cloexec(p);\n#endif\n}\n";
    let include = target_rule(
        "include",
        "drop",
        "",
        "includes = [\"netdb.h\"]\ncondition = \"!defined(_WIN32)\"",
    );
    let (output, matches) = apply_twice(&include, source);
    assert_eq!(
        (output, matches),
        (source.replace("#include <netdb.h>\n", ""), 1)
    );
    let statement = target_rule(
        "statement",
        "drop",
        "",
        "calls = [\"set_cloexec\"]\ncondition = \"!defined(HAVE_PIPE2)\"",
    );
    let (output, matches) = apply_twice(&statement, source);
    assert_eq!(
        (output, matches),
        (source.replace("\tset_cloexec(p);\n", ""), 1)
    );
}
