//! Tests of `load`: every error with its span and help, the keys told at once.

use super::*;

const GOOD: &str = r#"
[[rule]]
id = "drop-unshare"
message = "no unshare"
files = ["core/utils.c"]
action = "drop"
expect = { min = 1, max = 2 }
[rule.match]
condition = "defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)"
calls = ["unshare"]
inside = "uwsgi_as_root"

[[rule]]
id = "stub"
message = "no inotify"
files = ["core/event.c"]
action = "resolve"
define = ["OBSOLETE_LINUX_KERNEL"]
expect = 1
[rule.match]
"#;

#[test]
fn loads_a_good_file() {
    let rules = load(GOOD, 0).unwrap().rules;
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0].action, Action::Drop);
    assert_eq!(rules[0].expect.as_ref().unwrap().min, 1);
    assert_eq!(rules[0].matcher.calls, vec!["unshare".to_string()]);
    assert!(matches!(rules[1].action, Action::Resolve(_)));
    assert_eq!(rules[1].expect.as_ref().unwrap().max, 1);
}

fn error_at(text: &str) -> (String, String) {
    let error = load(text, 0).unwrap_err();
    (error.message, text[error.span].to_string())
}

#[test]
fn errors_point_into_the_toml() {
    let (message, at) = error_at(&GOOD.replace("action = \"drop\"", "action = \"dorp\""));
    assert!(message.contains("unknown variant"), "{message}");
    assert_eq!(at, "\"dorp\"");

    let (message, at) = error_at(&GOOD.replace("calls =", "callz ="));
    assert!(message.contains("unknown field"), "{message}");
    assert!(message.contains("(did you mean `calls`?)"), "{message}");
    assert_eq!(at, "callz");
    // The keys an unknown one could have been, in the order the README lists them.
    let (message, _) = error_at(&format!("rulez = 1\n{GOOD}"));
    assert!(
        message.contains("expected one of `rule`, `statement_macros`, `blank_macros`, `function_macros`, `typedefs`, `test`"),
        "{message}"
    );
    let (message, _) = error_at(&GOOD.replacen("files =", "filez = 1\nfiles =", 1));
    assert!(
        message.contains("`target`, `match`, `action`, `define`, `undef`, `replacement`, `value`, `guard`, `guard_end`, `expect`, `fallback`"),
        "{message}"
    );

    // A guard whose line would continue onto the code (a final backslash) is refused.
    let guard_rule = |keys: &str| {
        format!(
            "[[rule]]\nid = \"g\"\nmessage = \"m\"\ntarget = \"statement\"\naction = \"guard\"\n{keys}\n[rule.match]\ncalls = [\"f\"]\n"
        )
    };
    let (message, _) = error_at(&guard_rule("guard = '#ifdef X // EL4 \\'"));
    assert!(message.contains("more than one line"), "{message}");
    let (message, _) = error_at(&guard_rule(
        "guard = \"#ifdef X\"\nguard_end = '#endif // X \\'",
    ));
    assert!(message.contains("is not an #endif line"), "{message}");
    assert!(load(&guard_rule("guard = \"#ifdef X // EL4\""), 0).is_ok());

    // A shell's brace list is refused, with the list to write instead.
    let text = GOOD.replacen(
        "files = [\"core/utils.c\"]",
        "files = [\"core/{utils,event}.c\"]",
        1,
    );
    assert_ne!(text, GOOD);
    let error = load(&text, 0).unwrap_err();
    assert!(
        error.message.contains("braces are not glob syntax here"),
        "{}",
        error.message
    );
    assert_eq!(&text[error.span.clone()], "\"core/{utils,event}.c\"");
    assert!(
        error
            .help
            .contains("files = [\"core/utils.c\", \"core/event.c\"]"),
        "{}",
        error.help
    );

    let (message, at) = error_at(&GOOD.replace("&& !defined", "&& @defined"));
    assert!(message.starts_with("invalid condition"), "{message}");
    assert_eq!(at, "@");

    let (message, _) = error_at(&GOOD.replace("expect = 1", "expect = \"one\""));
    assert!(message.contains("expect"), "{message}");

    let (message, at) = error_at(&GOOD.replace("define = [\"OBSOLETE_LINUX_KERNEL\"]", ""));
    assert!(message.contains("needs assumptions"), "{message}");
    assert_eq!(at, "\"resolve\"");

    // Every key problem of the file at once: the unknown `filez` of both rules.
    let text = GOOD.replace("files =", "filez = 1\nfiles =");
    let error = load(&text, 0).unwrap_err();
    assert_eq!(
        error.message,
        "2 problems with the keys of this file, each labelled below"
    );
    assert_eq!(&text[error.span.clone()], "filez");
    assert_eq!(error.also.len(), 1);
    assert_eq!(&text[error.also[0].0.clone()], "filez");
    assert!(error.also[0].0.start > error.span.start);

    let (message, _) = error_at("[[rule]\n");
    assert!(!message.is_empty());
}

const CASE: &str = r#"
[[test]]
name = "one"
file = "core/utils.c"
expect = { stub = 0, drop-unshare = 2 }
code = '''
int a;
'''
"#;

#[test]
fn loads_test_cases() {
    let text = format!(
        "{GOOD}{CASE}[[test]]\nname = \"two_2\"\nfile = \"x.c\"\npath = \"../t/x.c\"\nexpect = {{ stub = 1 }}\n"
    );
    let file = load(&text, 0).unwrap();
    assert_eq!(file.tests.len(), 2);
    let one = &file.tests[0];
    assert_eq!(one.name, "one");
    assert_eq!(&text[one.span.clone()], "\"one\"");
    assert_eq!(one.file, "core/utils.c");
    let TestInput::Code { text: code, span } = &one.input else {
        panic!("inline code expected");
    };
    assert_eq!(code, "int a;\n");
    assert!(text[span.clone()].starts_with("'''"));
    // In the order of the rules, whatever the order in the table.
    let expect: Vec<(usize, u64, &str)> = one
        .expect
        .iter()
        .map(|entry| (entry.rule, entry.matches, &text[entry.span.clone()]))
        .collect();
    assert_eq!(expect, vec![(0, 2, "drop-unshare = 2"), (1, 0, "stub = 0")]);
    let at = text.find("\"../t/x.c\"").unwrap();
    assert_eq!(
        file.tests[1].input,
        TestInput::Path {
            path: "../t/x.c".into(),
            span: at..at + "\"../t/x.c\"".len(),
        }
    );
}

#[test]
fn test_case_errors_point_into_the_toml() {
    let cases = format!("{GOOD}{CASE}");
    let (message, at) = error_at(&cases.replace("stub = 0", "stubb = 0"));
    assert_eq!(
        message,
        "test case `one` expects a rule `stubb` that does not exist"
    );
    assert_eq!(at, "stubb");

    let (message, at) = error_at(&cases.replace("file = \"core", "path = \"a.c\"\nfile = \"core"));
    assert_eq!(message, "test case `one` has both `code` and `path`");
    assert_eq!(at, "\"a.c\"");

    let no_code =
        format!("{GOOD}[[test]]\nname = \"n\"\nfile = \"x.c\"\nexpect = {{ stub = 1 }}\n");
    let (message, at) = error_at(&no_code);
    assert_eq!(message, "test case `n` has no input");
    assert_eq!(at, "\"n\"");

    let (message, at) = error_at(&cases.replace("name = \"one\"", "name = \"a b\""));
    assert_eq!(message, "invalid test case name `a b`");
    assert_eq!(at, "\"a b\"");
    let absolute = format!(
        "{GOOD}[[test]]\nname = \"abs\"\nfile = \"x.c\"\npath = \"/etc/passwd\"\nexpect = {{ stub = 1 }}\n"
    );
    let (message, at) = error_at(&absolute);
    assert_eq!(message, "test case `abs`: `path` is absolute");
    assert_eq!(at, "\"/etc/passwd\"");
    let (message, _) = error_at(&cases.replace("name = \"one\"", "name = \"../one\""));
    assert_eq!(message, "invalid test case name `../one`");
    let versioned = cases.replace("name = \"one\"", "name = \"utils-2.0.30\"");
    assert!(load(&versioned, 0).is_ok());

    let (message, at) = error_at(&format!("{cases}{CASE}"));
    assert_eq!(message, "duplicate test case name `one`");
    assert_eq!(at, "\"one\"");

    let (message, at) = error_at(&cases.replace("{ stub = 0, drop-unshare = 2 }", "{}"));
    assert_eq!(message, "test case `one` expects nothing");
    assert_eq!(at, "{}");

    let (message, at) = error_at(&cases.replace("stub = 0", "stub = -1"));
    assert!(message.contains("invalid value"), "{message}");
    assert_eq!(at, "-1");

    let (message, at) = error_at(&cases.replace("code =", "cod ="));
    assert!(message.contains("unknown field"), "{message}");
    assert_eq!(at, "cod");

    let (message, _) = error_at(&cases.replace("file = \"core/utils.c\"\n", ""));
    assert!(message.contains("missing field `file`"), "{message}");
}

#[test]
fn an_empty_list_of_names_is_an_error_not_a_wider_rule() {
    let (message, at) = error_at(&GOOD.replace("calls = [\"unshare\"]", "calls = []"));
    assert!(message.contains("`calls` is empty"), "{message}");
    assert_eq!(at, "calls");
}
