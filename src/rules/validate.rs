//! From the serde model to validated rules and test cases; every error names its span in the
//! TOML text and says what to do.

use std::collections::HashSet;
use std::ops::Range;

use toml::Spanned;

use super::schema::{ActionToml, ExpectToml, MatchToml, RuleToml, RulesToml, StringList, TestToml};
use super::{
    Action, BodyScope, Expect, ExpectedMatches, FileGlob, Guard, Match, NameKind, NamedSpan,
    Nesting, Origin, Per, Rule, RulesError, RulesFile, Target, TestCase, TestInput,
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
    super::keys::check(text)?;
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
            ..Macros::default()
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

/// The globs of `files` or `exclude` (`key`), compiled.
fn globs(key: &str, list: Option<Spanned<StringList>>) -> Result<Vec<FileGlob>, RulesError> {
    let Some(list) = list else {
        return Ok(Vec::new());
    };
    let span = list.span();
    let items = StringList::spanned(list);
    if items.is_empty() {
        return Err(RulesError::new(
            format!("`{key}` is empty"),
            span,
            "give globs such as \"core/*.c\" (or leave `files` out: every file given)",
        ));
    }
    items
        .into_iter()
        .map(|pattern| {
            // A shell's brace list is not glob syntax: `*.{c,h}` would be taken literally and
            // select nothing, in silence but for a warning.
            let text = pattern.get_ref();
            if let Some(open) = text.find('{')
                && text[open..].contains(',')
                && text[open..].contains('}')
            {
                return Err(RulesError::new(
                    format!("glob `{text}`: braces are not glob syntax here"),
                    pattern.span(),
                    format!(
                        "give a list instead: {key} = [{}]",
                        brace_alternatives(text)
                            .iter()
                            .map(|one| format!("\"{one}\""))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            let compiled = glob::Pattern::new(pattern.get_ref()).map_err(|error| {
                RulesError::new(
                    format!("invalid glob `{}`: {}", pattern.get_ref(), error.msg),
                    pattern.span(),
                    "globs use *, ?, [abc] and ** for any number of directories",
                )
            })?;
            Ok(FileGlob {
                pattern: compiled,
                span: pattern.span(),
            })
        })
        .collect()
}

/// The globs a shell would make of the first brace list of `text` (`*.{c,h}`: `*.c`, `*.h`),
/// for the help of the error that refuses it.
fn brace_alternatives(text: &str) -> Vec<String> {
    let (Some(open), Some(close)) = (text.find('{'), text.find('}')) else {
        return vec![text.to_string()];
    };
    if close < open {
        return vec![text.to_string()];
    }
    text[open + 1..close]
        .split(',')
        .map(|one| format!("{}{one}{}", &text[..open], &text[close + 1..]))
        .collect()
}

/// The names of a list of `[rule.match]`, with their spans recorded in `names`.
fn names(
    kind: NameKind,
    list: Vec<Spanned<String>>,
    names: &mut Vec<NamedSpan>,
) -> Result<Vec<String>, RulesError> {
    list.into_iter()
        .map(|item| {
            let span = item.span();
            let name = item.into_inner();
            if name.trim().is_empty() {
                return Err(RulesError::new(
                    format!("empty name in `{}`", kind.key()),
                    span,
                    "give a name, or remove the empty string",
                ));
            }
            names.push(NamedSpan {
                name: name.clone(),
                kind,
                span,
            });
            Ok(name)
        })
        .collect()
}

/// The symbols a condition tests, each with its span in the rules file: inside the string when
/// its offsets map (a plain one-line string), else the whole string.
fn condition_names(condition: &Spanned<String>, norm: &Norm, names: &mut Vec<NamedSpan>) {
    let span = condition.span();
    let text = condition.get_ref();
    let inner = span.start + 1..span.end.saturating_sub(1);
    let mut symbols = Vec::new();
    norm.symbols(&mut symbols);
    symbols.sort_unstable();
    symbols.dedup();
    for symbol in symbols {
        let at = if inner.len() == text.len() {
            word_at(text, symbol)
                .map(|start| inner.start + start..inner.start + start + symbol.len())
                .unwrap_or(span.clone())
        } else {
            span.clone()
        };
        names.push(NamedSpan {
            name: symbol.to_string(),
            kind: NameKind::Condition,
            span: at,
        });
    }
}

/// Where `word` first stands as a whole identifier in `text`.
fn word_at(text: &str, word: &str) -> Option<usize> {
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let bytes = text.as_bytes();
    text.match_indices(word).map(|(at, _)| at).find(|&at| {
        let before = at == 0 || !is_ident(bytes[at - 1]);
        let end = at + word.len();
        before && (end == bytes.len() || !is_ident(bytes[end]))
    })
}

fn validate(rule: RuleToml, file: usize) -> Result<Rule, RulesError> {
    let files = globs("files", rule.files)?;
    let exclude = globs("exclude", rule.exclude)?;

    let (match_span, matcher) = match rule.matcher {
        Some(matcher) => (matcher.span(), matcher.into_inner()),
        None => (rule.id.span(), MatchToml::default()),
    };
    let mut named = Vec::new();
    let condition = match &matcher.condition {
        Some(condition) => {
            let norm = parse_condition(condition)?;
            condition_names(condition, &norm, &mut named);
            Some(norm)
        }
        None => None,
    };
    let function_list = |list: Option<Spanned<StringList>>| list.map(StringList::spanned);
    let matcher = Match {
        condition,
        uses: names(NameKind::Uses, matcher.uses, &mut named)?,
        calls: names(NameKind::Calls, matcher.calls, &mut named)?,
        includes: names(NameKind::Includes, matcher.includes, &mut named)?,
        mentions: names(NameKind::Mentions, matcher.mentions, &mut named)?,
        structs: names(NameKind::Structs, matcher.structs, &mut named)?,
        references: matcher.references,
        inside: names(
            NameKind::Inside,
            function_list(matcher.inside).unwrap_or_default(),
            &mut named,
        )?,
        not_inside: names(
            NameKind::NotInside,
            function_list(matcher.not_inside).unwrap_or_default(),
            &mut named,
        )?,
        scope: matcher.scope.map(Spanned::into_inner).unwrap_or_default(),
        nested: matcher.nested.map(Spanned::into_inner).unwrap_or_default(),
        names: named,
        defines: matcher.defines,
        undefs: matcher.undefs,
        value: matcher.value,
    };
    let target = rule
        .target
        .as_ref()
        .map_or(Target::Conditional, |target| *target.get_ref());
    let target_span = rule
        .target
        .as_ref()
        .map_or(rule.action.span(), |target| target.span());

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
        ActionToml::Replace => {
            let replacement = rule.replacement.as_ref().ok_or_else(|| {
                RulesError::new(
                    "a `replace` rule needs `replacement`",
                    action_span.clone(),
                    "add replacement = \"<new/header.h>\" (or \"\\\"header.h\\\"\")",
                )
            })?;
            Action::Replace(check_header(replacement)?)
        }
        ActionToml::Set => {
            let value = rule.value.as_ref().ok_or_else(|| {
                RulesError::new(
                    "a `set` rule needs `value`",
                    action_span.clone(),
                    "add value = \"NEW VALUE\": the text the #define gets after its name",
                )
            })?;
            Action::SetValue(value.get_ref().trim().to_string())
        }
        ActionToml::Guard => {
            let guard = rule.guard.as_ref().ok_or_else(|| {
                RulesError::new(
                    "a `guard` rule needs `guard`",
                    action_span.clone(),
                    "add guard = \"#ifdef NAME\", \"#ifndef NAME\" or \"#if CONDITION\"",
                )
            })?;
            Action::Guard(parse_guard(guard, rule.guard_end.as_ref())?)
        }
    };
    check_target(
        target,
        target_span,
        &matcher,
        match_span.clone(),
        &action,
        action_span.clone(),
    )?;
    if let (Some(value), false) = (&rule.value, matches!(action, Action::SetValue(_))) {
        return Err(RulesError::new(
            "`value` belongs to `set` rules",
            value.span(),
            "remove it, or use target = \"define\" with action = \"set\"",
        ));
    }
    if let (Some(guard), false) = (&rule.guard, matches!(action, Action::Guard(_))) {
        return Err(RulesError::new(
            "`guard` belongs to `guard` rules",
            guard.span(),
            "remove it, or use action = \"guard\"",
        ));
    }
    if let (Some(end), false) = (&rule.guard_end, matches!(action, Action::Guard(_))) {
        return Err(RulesError::new(
            "`guard_end` belongs to `guard` rules",
            end.span(),
            "remove it, or use action = \"guard\" with guard = \"#ifdef NAME\"",
        ));
    }
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
        matches!(action, Action::ReplaceCondition(_) | Action::Replace(_)),
    ) {
        return Err(RulesError::new(
            "`replacement` belongs to `replace-condition` and `replace` rules",
            replacement.span(),
            "remove it, or use action = \"replace-condition\"",
        ));
    }
    let selects_anything = target != Target::Conditional
        || matcher.condition.is_some()
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
        exclude,
        matcher,
        target,
        action,
        expect,
        fallback: rule.fallback,
        origin: Origin {
            file,
            span: rule.id.span(),
        },
    })
}

/// Which actions and match keys each target takes: a key another target reads would be
/// silently ignored, so it is an error.
fn check_target(
    target: Target,
    target_span: Range<usize>,
    matcher: &Match,
    match_span: Range<usize>,
    action: &Action,
    action_span: Range<usize>,
) -> Result<(), RulesError> {
    let allowed: &[&str] = match target {
        Target::Conditional => &["drop", "keep", "resolve", "replace-condition"],
        Target::Include => &["drop", "replace", "guard"],
        Target::Define => &["drop", "set", "guard"],
        Target::Statement => &["drop", "guard"],
    };
    if !allowed.contains(&action.name()) {
        let quoted: Vec<String> = allowed.iter().map(|name| format!("\"{name}\"")).collect();
        return Err(RulesError::new(
            format!(
                "action `{}` does not act on target `{}`",
                action.name(),
                target.name()
            ),
            action_span,
            format!(
                "with target = \"{}\" the action is one of {}{}",
                target.name(),
                quoted.join(", "),
                match action {
                    Action::Replace(_) | Action::Guard(_) =>
                        " (replace takes target = \"include\"; guard: include, define or statement)",
                    Action::SetValue(_) => " (set takes target = \"define\")",
                    _ => " (drop/keep/resolve/replace-condition of whole #if groups: no target)",
                }
            ),
        ));
    }
    let body =
        !matcher.calls.is_empty() || !matcher.mentions.is_empty() || !matcher.structs.is_empty();
    let defines =
        !matcher.defines.is_empty() || !matcher.undefs.is_empty() || matcher.value.is_some();
    let (unused, needed): (Option<&str>, Option<&str>) = match target {
        Target::Conditional => (defines.then_some("`defines`, `undefs` and `value` select #define lines: they need target = \"define\""), None),
        Target::Include => (
            (body || defines).then_some("an include rule selects #include lines by `includes` (and `condition`, `uses`, `inside`)"),
            matcher.includes.is_empty().then_some("give includes = [\"sys/epoll.h\"]: the headers whose #include lines the rule selects"),
        ),
        Target::Define => (
            (body || !matcher.includes.is_empty()).then_some("a define rule selects #define/#undef lines by `defines`, `undefs`, `value` (and `condition`, `uses`, `inside`)"),
            (matcher.defines.is_empty() && matcher.undefs.is_empty()).then_some("give defines = [\"NAME\"] and/or undefs = [\"NAME\"]"),
        ),
        Target::Statement => (
            (defines || !matcher.includes.is_empty()).then_some("a statement rule selects statements by `calls`, `mentions`, `structs` (and `condition`, `uses`, `inside`)"),
            (!body).then_some("give calls = [\"f\"] or mentions = [\"NAME\"]: what the statement calls or uses"),
        ),
    };
    // `scope` and `nested` are about branches of #if groups: a line or statement target has
    // none to choose between.
    let branch_keys = target != Target::Conditional
        && (matcher.scope != BodyScope::Default || matcher.nested != Nesting::All);
    let unused = unused.or(branch_keys.then_some(
        "`scope` and `nested` choose among the branches of #if groups (the default target): a line or statement rule selects lines, not branches",
    ));
    if let Some(help) = unused {
        let given: Vec<&str> = [
            ("calls", !matcher.calls.is_empty()),
            ("mentions", !matcher.mentions.is_empty()),
            ("structs", !matcher.structs.is_empty()),
            ("includes", !matcher.includes.is_empty()),
            ("defines", !matcher.defines.is_empty()),
            ("undefs", !matcher.undefs.is_empty()),
            ("value", matcher.value.is_some()),
            ("scope", matcher.scope != BodyScope::Default),
            ("nested", matcher.nested != Nesting::All),
        ]
        .into_iter()
        .filter(|&(key, given)| given && !target_reads(target, key))
        .map(|(key, _)| key)
        .collect();
        return Err(RulesError::new(
            format!(
                "`[rule.match]` has {} that target `{}` does not read",
                match given.as_slice() {
                    [key] => format!("the key `{key}`"),
                    keys => format!(
                        "the keys {}",
                        keys.iter()
                            .map(|key| format!("`{key}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                },
                target.name()
            ),
            match_span,
            help,
        ));
    }
    if let Some(help) = needed {
        return Err(RulesError::new(
            format!(
                "the match selects no {}",
                match target {
                    Target::Include => "#include line",
                    Target::Define => "#define or #undef line",
                    _ => "statement",
                }
            ),
            match_span,
            help,
        ));
    }
    if matches!(action, Action::SetValue(_)) && matcher.defines.is_empty() {
        return Err(RulesError::new(
            "`set` gives #define lines a new value: it needs `defines`",
            target_span,
            "name the macros in defines = [\"NAME\"] (an #undef has no value)",
        ));
    }
    Ok(())
}

/// The header of a `replace` rule, as it goes on the line: `<x.h>` or `"x.h"`.
fn check_header(header: &Spanned<String>) -> Result<String, RulesError> {
    let text = header.get_ref().trim();
    let bracketed = text.len() > 2
        && ((text.starts_with('<') && text.ends_with('>'))
            || (text.starts_with('"') && text.ends_with('"')));
    if !bracketed || text.contains(char::is_whitespace) {
        return Err(RulesError::new(
            format!("`{text}` is not a header as an #include writes it"),
            header.span(),
            "write it with its brackets or quotes: \"<sys/poll.h>\" or \"\\\"compat.h\\\"\"",
        ));
    }
    Ok(text.to_string())
}

/// The opening directive of a `guard` rule: `#ifdef NAME`, `#ifndef NAME` or `#if CONDITION`
/// (the `#` optional), with its condition in normal form; and its closing line, `guard_end` or
/// a plain `#endif`.
fn parse_guard(
    guard: &Spanned<String>,
    guard_end: Option<&Spanned<String>>,
) -> Result<Guard, RulesError> {
    let written = guard.get_ref().trim();
    let after_hash = written.strip_prefix('#').unwrap_or(written);
    let text = after_hash.trim_start();
    let (keyword, rest) = text
        .split_once(|c: char| c.is_whitespace())
        .map_or((text, ""), |(keyword, rest)| (keyword, rest.trim()));
    // A comment after the condition (`#ifdef X /* EL4 */`) is written as given.
    let rest = without_trailing_comment(rest);
    if written.contains('\n') || written.ends_with('\\') {
        return Err(RulesError::new(
            format!("`{written}` is more than one line (a final backslash continues it)"),
            guard.span(),
            "write guard = \"#ifdef NAME\", \"#ifndef NAME\" or \"#if CONDITION\" on one line, without a backslash at its end",
        ));
    }
    let bad = |message: String| {
        RulesError::new(
            message,
            guard.span(),
            "write guard = \"#ifdef NAME\", \"#ifndef NAME\" or \"#if CONDITION\"",
        )
    };
    let condition = match keyword {
        "ifdef" | "ifndef" => {
            let name_ok = !rest.is_empty()
                && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !rest.starts_with(|c: char| c.is_ascii_digit());
            if !name_ok {
                return Err(bad(format!(
                    "`#{keyword}` takes one macro name, not `{rest}`"
                )));
            }
            let not = if keyword == "ifndef" { "!" } else { "" };
            format!("{not}defined({rest})")
        }
        "if" if !rest.is_empty() => rest.to_string(),
        _ => {
            return Err(bad(format!(
                "`{written}` is not an opening #if, #ifdef or #ifndef"
            )));
        }
    };
    let expr = cond::parse(condition.as_bytes(), 0)
        .map_err(|error| bad(format!("invalid condition in `guard`: {}", error.message)))?;
    Ok(Guard {
        opening: format!("#{after_hash}"),
        condition: Norm::of(&expr),
        closing: match guard_end {
            Some(end) => parse_guard_end(end)?,
            None => "#endif".to_string(),
        },
    })
}

/// A guard's closing line: `#endif`, then only blanks and one comment (`/* X */` or `// X`),
/// the `#` optional; as written, from its `#`.
fn parse_guard_end(end: &Spanned<String>) -> Result<String, RulesError> {
    let written = end.get_ref().trim();
    let after_hash = written.strip_prefix('#').unwrap_or(written);
    let closes = after_hash
        .trim_start()
        .strip_prefix("endif")
        .is_some_and(|rest| {
            (rest.is_empty() || rest.starts_with([' ', '\t', '/']))
                && without_trailing_comment(rest).is_empty()
        });
    // A backslash at the end would continue the line (and a `//` comment) onto the code.
    if !closes || written.contains('\n') || written.ends_with('\\') {
        return Err(RulesError::new(
            format!("`{written}` is not an #endif line"),
            end.span(),
            "write guard_end = \"#endif /* NAME */\": #endif and at most a comment",
        ));
    }
    Ok(format!("#{after_hash}"))
}

/// `text` without the one comment that ends it (`/* X */` or `// X`), trimmed.
fn without_trailing_comment(text: &str) -> &str {
    let text = text.trim();
    let is_comment = |rest: &str| {
        rest.starts_with("//")
            || rest.len() >= 4
                && rest.starts_with("/*")
                && rest.ends_with("*/")
                && !rest[2..rest.len() - 2].contains("*/")
    };
    let starts = text
        .match_indices("/*")
        .chain(text.match_indices("//"))
        .map(|(at, _)| at)
        .min();
    match starts {
        Some(at) if is_comment(&text[at..]) => text[..at].trim_end(),
        _ => text,
    }
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
mod tests;

/// Does a rule of `target` read the `[rule.match]` key `key` (one of those that only some
/// targets read)?
fn target_reads(target: Target, key: &str) -> bool {
    match target {
        Target::Conditional => !matches!(key, "defines" | "undefs" | "value"),
        Target::Include => key == "includes",
        Target::Define => matches!(key, "defines" | "undefs" | "value"),
        Target::Statement => matches!(key, "calls" | "mentions" | "structs"),
    }
}
