//! From the serde model to validated rules and test cases; every error names its span in the
//! TOML text and says what to do.

use std::collections::HashSet;

use toml::Spanned;

use super::schema::{ActionToml, ExpectToml, MatchToml, RuleToml, RulesToml, TestToml};
use super::{
    Action, Expect, ExpectedMatches, FileGlob, Match, Origin, Per, Rule, RulesError, RulesFile,
    TestCase, TestInput,
};
use crate::c::Macros;
use crate::cond::{self, Assumptions, Norm};

/// A rules file's bytes as text: TOML is UTF-8, so other bytes are an error at the first of
/// them.
pub fn text(bytes: &[u8]) -> Result<&str, RulesError> {
    std::str::from_utf8(bytes).map_err(|error| {
        let at = error.valid_up_to();
        RulesError::new(
            "the rules file is not UTF-8 text (TOML is UTF-8)",
            at..at + error.error_len().unwrap_or(1),
            "save the rules file as UTF-8 (a name or message in another encoding, such as Latin-1, is the usual cause)",
        )
    })
}

/// Parse and validate a rules file. `file` is its index among the rules files of the run.
pub fn load(text: &str, file: usize) -> Result<RulesFile, RulesError> {
    let parsed: RulesToml = toml::from_str(text).map_err(|error| {
        let span = error.span().unwrap_or(0..0);
        RulesError::new(
            error.message().trim().to_string(),
            span,
            "see README.md, section \"Rules\", for the format of a rules file",
        )
    })?;
    let has_hints = !(parsed.statement_macros.is_empty()
        && parsed.blank_macros.is_empty()
        && parsed.function_macros.is_empty()
        && parsed.typedefs.is_empty());
    if parsed.rule.is_empty() && parsed.test.is_empty() && !has_hints {
        return Err(RulesError::new(
            "the rules file has no rule, no test case and no parsing hint",
            0..text.len().min(1),
            "add [[rule]] tables (see README.md, section \"Rules\"), or check that this is the file you meant",
        ));
    }
    let mut rules: Vec<Rule> = Vec::new();
    // The ids so far: a set, so that checking n rules takes n lookups.
    let mut ids: HashSet<String> = HashSet::new();
    for rule in parsed.rule {
        let id_span = rule.id.span();
        if !ids.insert(rule.id.get_ref().clone()) {
            return Err(RulesError::new(
                format!("duplicate rule id `{}`", rule.id.get_ref()),
                id_span,
                "give every rule its own id",
            ));
        }
        if rule.id.get_ref().trim().is_empty() {
            return Err(RulesError::new("empty rule id", id_span, "name the rule"));
        }
        rules.push(validate(rule, file)?);
    }
    let mut tests: Vec<TestCase> = Vec::new();
    let mut names: HashSet<String> = HashSet::new();
    for test in parsed.test {
        let case = validate_test(test, &rules)?;
        if !names.insert(case.name.clone()) {
            return Err(RulesError::new(
                format!("duplicate test case name `{}`", case.name),
                case.span,
                "give every test case its own name (it names the case's snapshot)",
            ));
        }
        tests.push(case);
    }
    Ok(RulesFile {
        rules,
        macros: Macros {
            statements: parsed.statement_macros,
            blank: parsed.blank_macros,
            functions: parsed.function_macros,
        },
        typedefs: parsed.typedefs,
        tests,
    })
}

fn validate_test(test: TestToml, rules: &[Rule]) -> Result<TestCase, RulesError> {
    let name = test.name.get_ref();
    let name_span = test.name.span();
    let valid_name = name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !valid_name {
        return Err(RulesError::new(
            format!("invalid test case name `{name}`"),
            name_span,
            "a test case name is letters, digits, `_`, `-` and `.`, starting with a letter or digit (it names the snapshot file)",
        ));
    }
    let file = test.file.get_ref();
    if file.is_empty() || file.chars().any(char::is_control) {
        return Err(RulesError::new(
            "`file` must be a path on one line",
            test.file.span(),
            "give the path the case pretends to have, such as \"core/utils.c\"; the rules' globs are matched against it",
        ));
    }
    let input = match (test.code, test.path) {
        (Some(code), None) => TestInput::Code {
            span: code.span(),
            text: code.into_inner(),
        },
        (None, Some(path)) if path.get_ref().is_empty() => {
            return Err(RulesError::new(
                "`path` is empty",
                path.span(),
                "give a C file's path relative to the rules file's directory",
            ));
        }
        (None, Some(path)) if path.get_ref().starts_with('/') => {
            return Err(RulesError::new(
                format!("test case `{name}`: `path` is absolute"),
                path.span(),
                "give the file relative to the rules file's directory, so that the rules, their \
                 cases and their snapshots move together (copy the file beside them)",
            ));
        }
        (None, Some(path)) => TestInput::Path {
            span: path.span(),
            path: path.into_inner(),
        },
        (Some(_), Some(path)) => {
            return Err(RulesError::new(
                format!("test case `{name}` has both `code` and `path`"),
                path.span(),
                "give the C text inline with `code` or name a file with `path`, not both",
            ));
        }
        (None, None) => {
            return Err(RulesError::new(
                format!("test case `{name}` has no input"),
                name_span,
                "add code = '''…''' (inline C) or path = \"FILE\" (relative to the rules file's directory)",
            ));
        }
    };
    let expect_span = test.expect.span();
    let entries = test.expect.into_inner();
    if entries.is_empty() {
        return Err(RulesError::new(
            format!("test case `{name}` expects nothing"),
            expect_span,
            "say how many matches a rule must find here, such as expect = { drop-unshare-blocks = 2 } (0: no match)",
        ));
    }
    let mut expect = Vec::new();
    for (id, matches) in entries {
        let Some(rule) = rules.iter().position(|rule| rule.id == *id.get_ref()) else {
            let known: Vec<&str> = rules.iter().map(|rule| rule.id.as_str()).collect();
            return Err(RulesError::new(
                format!(
                    "test case `{name}` expects a rule `{}` that does not exist",
                    id.get_ref()
                ),
                id.span(),
                if known.is_empty() {
                    "this rules file has no rules".to_string()
                } else {
                    format!("the rules of this file are: {}", known.join(", "))
                },
            ));
        };
        expect.push(ExpectedMatches {
            rule,
            matches: *matches.get_ref(),
            span: id.span().start..matches.span().end,
        });
    }
    expect.sort_by_key(|entry| entry.rule);
    Ok(TestCase {
        name: name.clone(),
        span: name_span,
        file: file.clone(),
        input,
        expect,
    })
}

fn validate(rule: RuleToml, file: usize) -> Result<Rule, RulesError> {
    let files_span = rule.files.span();
    if rule.files.get_ref().is_empty() {
        return Err(RulesError::new(
            "`files` is empty",
            files_span,
            "list the files the rule applies to, as globs such as \"core/*.c\"",
        ));
    }
    let mut files = Vec::new();
    for pattern in rule.files.into_inner() {
        let compiled = glob::Pattern::new(pattern.get_ref()).map_err(|error| {
            RulesError::new(
                format!("invalid glob `{}`: {}", pattern.get_ref(), error.msg),
                pattern.span(),
                "globs use *, ?, [abc] and ** for any number of directories",
            )
        })?;
        files.push(FileGlob {
            pattern: compiled,
            span: pattern.span(),
        });
    }

    let (match_span, matcher) = match rule.matcher {
        Some(matcher) => (matcher.span(), matcher.into_inner()),
        None => (rule.id.span(), MatchToml::default()),
    };
    let condition = match &matcher.condition {
        Some(condition) => Some(parse_condition(condition)?),
        None => None,
    };
    let matcher = Match {
        condition,
        uses: matcher.uses,
        calls: matcher.calls,
        includes: matcher.includes,
        mentions: matcher.mentions,
        structs: matcher.structs,
        references: matcher.references,
        inside: matcher.inside,
    };

    let action_span = rule.action.span();
    let action = match rule.action.into_inner() {
        ActionToml::Drop => Action::Drop,
        ActionToml::Keep => Action::Keep,
        ActionToml::Resolve => {
            let mut assumptions = Assumptions::default();
            for spec in &rule.define {
                check_symbol(spec, true)?;
                assumptions.define(spec.get_ref());
            }
            for spec in &rule.undef {
                check_symbol(spec, false)?;
                if assumptions.defined.contains_key(spec.get_ref()) {
                    return Err(RulesError::new(
                        format!("`{}` is both defined and undefined", spec.get_ref()),
                        spec.span(),
                        "keep it in `define` or in `undef`, not in both",
                    ));
                }
                assumptions.undefine(spec.get_ref());
            }
            if assumptions.is_empty() {
                return Err(RulesError::new(
                    "a `resolve` rule needs assumptions",
                    action_span,
                    "add define = [\"NAME\"] or define = [\"NAME=VALUE\"], and/or undef = [\"NAME\"]",
                ));
            }
            Action::Resolve(assumptions)
        }
        ActionToml::ReplaceCondition => {
            let replacement = rule.replacement.as_ref().ok_or_else(|| {
                RulesError::new(
                    "a `replace-condition` rule needs `replacement`",
                    action_span.clone(),
                    "add replacement = \"NEW CONDITION\"",
                )
            })?;
            parse_condition(replacement)?;
            Action::ReplaceCondition(replacement.get_ref().trim().to_string())
        }
    };
    if !matches!(action, Action::Resolve(_))
        && let Some(first) = rule.define.first().or(rule.undef.first())
    {
        return Err(RulesError::new(
            "`define` and `undef` belong to `resolve` rules",
            first.span(),
            "remove them, or use action = \"resolve\"",
        ));
    }
    if let (Some(replacement), false) = (
        &rule.replacement,
        matches!(action, Action::ReplaceCondition(_)),
    ) {
        return Err(RulesError::new(
            "`replacement` belongs to `replace-condition` rules",
            replacement.span(),
            "remove it, or use action = \"replace-condition\"",
        ));
    }
    let selects_anything = matcher.condition.is_some()
        || !matcher.uses.is_empty()
        || matches!(action, Action::Resolve(_));
    if !selects_anything {
        return Err(RulesError::new(
            "the match selects no conditional",
            match_span,
            "give `condition` or `uses` so the rule knows which #if blocks it is about",
        ));
    }

    let expect = rule.expect.map(|expect| {
        let span = expect.span();
        match expect.into_inner() {
            ExpectToml::Exactly(count) => Expect {
                min: count,
                max: count,
                per: Per::Run,
                span,
            },
            ExpectToml::Range(range) => Expect {
                min: range.min.unwrap_or(0),
                max: range.max.unwrap_or(u64::MAX),
                per: range.per,
                span,
            },
        }
    });
    if let Some(expect) = &expect
        && expect.min > expect.max
    {
        return Err(RulesError::new(
            "`expect` has min greater than max",
            expect.span.clone(),
            "swap them",
        ));
    }

    Ok(Rule {
        id: rule.id.get_ref().clone(),
        message: rule.message,
        files,
        matcher,
        action,
        expect,
        fallback: rule.fallback,
        origin: Origin {
            file,
            span: rule.id.span(),
        },
    })
}

/// Parse a condition written in a TOML string. Spans in the error point at the string's
/// contents when it is a plain one-line string, else at the whole string.
fn parse_condition(condition: &Spanned<String>) -> Result<Norm, RulesError> {
    let span = condition.span();
    let text = condition.get_ref();
    cond::parse(text.as_bytes(), 0)
        .map(|expr| Norm::of(&expr))
        .map_err(|error| {
            // Inside a basic string the text starts one byte after the opening quote; escapes
            // would shift offsets, so only point inside when the lengths agree.
            let inner = span.start + 1..span.end.saturating_sub(1);
            let at = if inner.len() == text.len() {
                inner.start + error.span.start..inner.start + error.span.end.max(error.span.start)
            } else {
                span.clone()
            };
            RulesError::new(
                format!("invalid condition: {}", error.message),
                at,
                "write a C preprocessor condition, such as defined(__linux__) && !defined(X)",
            )
        })
}

fn check_symbol(spec: &Spanned<String>, allow_value: bool) -> Result<(), RulesError> {
    let text = spec.get_ref();
    let name = if allow_value {
        text.split_once('=').map_or(text.as_str(), |(name, _)| name)
    } else {
        text.as_str()
    };
    let valid = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    // A value is what the preprocessor would read: an expression (`2`, `0x10`, `OTHER`).
    let value = text.split_once('=').map(|(_, value)| value);
    if valid
        && allow_value
        && let Some(value) = value
        && cond::parse(value.as_bytes(), 0).is_err()
    {
        return Err(RulesError::new(
            format!("`{value}` is not a value `{name}` can have in a condition"),
            spec.span(),
            "write NAME=VALUE with a number or a name as VALUE (NAME=2, NAME=OTHER)",
        ));
    }
    if valid {
        Ok(())
    } else {
        Err(RulesError::new(
            format!("`{text}` is not a macro name"),
            spec.span(),
            if allow_value {
                "write NAME or NAME=VALUE"
            } else {
                "write NAME"
            },
        ))
    }
}

#[cfg(test)]
mod tests {
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
        assert_eq!(at, "callz");
        // The keys an unknown one could have been, in the order the README lists them.
        let (message, _) = error_at(&format!("rulez = 1\n{GOOD}"));
        assert!(
            message.contains("expected one of `rule`, `statement_macros`, `blank_macros`, `function_macros`, `typedefs`, `test`"),
            "{message}"
        );
        let (message, _) = error_at(&GOOD.replace("files =", "filez = 1\nfiles ="));
        assert!(
            message.contains("`action`, `define`, `undef`, `replacement`, `expect`, `fallback`"),
            "{message}"
        );

        let (message, at) = error_at(&GOOD.replace("&& !defined", "&& @defined"));
        assert!(message.starts_with("invalid condition"), "{message}");
        assert_eq!(at, "@");

        let (message, _) = error_at(&GOOD.replace("expect = 1", "expect = \"one\""));
        assert!(message.contains("expect"), "{message}");

        let (message, at) = error_at(&GOOD.replace("define = [\"OBSOLETE_LINUX_KERNEL\"]", ""));
        assert!(message.contains("needs assumptions"), "{message}");
        assert_eq!(at, "\"resolve\"");

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

        let (message, at) =
            error_at(&cases.replace("file = \"core", "path = \"a.c\"\nfile = \"core"));
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
}
