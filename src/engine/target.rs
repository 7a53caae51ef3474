//! Line and statement targets (`target = "include" | "define" | "statement"`): what they share.
//!
//! A target rule selects single things wherever they stand: an `#include` or `#define`/`#undef`
//! line (`lines.rs`), a statement or declaration (`statement.rs`). Each is a [`Candidate`]: the
//! whole lines it occupies and what selected it. The rule's `condition`/`uses` then ask about
//! the conditional branches around it (any of them, innermost first), `inside` about the
//! function around it. Every action is one edit on whole lines, so every other byte stays:
//! `drop` removes the lines, `replace`/`set` rewrite part of one directive line, `guard` wraps
//! the lines in `#if…`/`#endif` lines that take the line ending of the lines they wrap and the
//! indentation of the file's directive lines.
//!
//! "Already applied" is positive evidence, answered by [`already_applied`] (one function per
//! action below it): the guard around the selected lines is there; the line or statement is gone
//! from its scope while the scope is there; the header is replaced; the define has its new value.

use std::ops::Range;

use super::lines;
use super::matcher::{self, FileFacts};
use super::statement;
use crate::c::{Function, ParseFailure};
use crate::rules::{Action, Guard, Rule, Target};

/// What satisfied a rule, or shows it applied: (span, what) pairs.
pub type Evidence = Vec<(Range<usize>, String)>;

/// One thing a target rule could act on, before its `condition`/`uses` are asked.
#[derive(Clone, Debug)]
pub(super) struct Candidate {
    /// What was selected: the directive's text, or the statement.
    pub selected: Range<usize>,
    /// The whole lines it occupies, line endings included.
    pub lines: Range<usize>,
    /// What selected it (the header, the macro, the call), and `inside`'s function.
    pub evidence: Evidence,
    pub function: Option<Function>,
    /// Why it cannot be edited alone, if so: an error only where the rule would act on it.
    pub refusal: Option<Refusal>,
    /// A statement after a label: refused when the rule acts on the items after it too, up to
    /// the end of the block ([`statement::label_refusal`]).
    pub labelled: Option<statement::Labelled>,
}

/// Why a candidate cannot be edited alone.
#[derive(Clone, Debug)]
pub(super) struct Refusal {
    pub span: Range<usize>,
    pub message: String,
    pub help: String,
}

/// One place a target rule acts.
#[derive(Clone, Debug)]
pub struct TargetSite {
    pub rule: usize,
    pub selected: Range<usize>,
    pub lines: Range<usize>,
    pub evidence: Evidence,
    pub function: Option<Function>,
    /// The one edit, on the original bytes: the range replaced and the new text.
    pub range: Range<usize>,
    pub text: Vec<u8>,
}

/// What a run keeps of a target site, with its settled edits: one selected thing, no group.
pub(super) fn record(site: TargetSite, edits: Vec<super::Edit>) -> super::MatchRecord {
    super::MatchRecord {
        rule: site.rule,
        span: site.lines,
        branches: vec![site.selected],
        evidence: site.evidence,
        function_name: site.function.as_ref().map(|f| f.name_span.clone()),
        function: site.function.map(|f| f.name),
        group: Vec::new(),
        edits,
        shared_with: Vec::new(),
        subsumed_by: None,
    }
}

/// Why a target rule cannot act where it matched.
#[derive(Clone, Debug)]
pub enum TargetProblem {
    /// lang-c could not parse the function around a statement the rule looks for.
    Unparsable {
        rule: usize,
        item: Range<usize>,
        failure: ParseFailure,
    },
    /// The selected thing cannot be edited as whole lines, or editing it alone would change
    /// what the C means.
    Refused {
        rule: usize,
        span: Range<usize>,
        message: String,
        help: String,
    },
}

/// Every site where the target rule `rule` (index `rule_index`) acts in the file.
pub fn find(
    rule_index: usize,
    rule: &Rule,
    facts: &FileFacts,
) -> Result<Vec<TargetSite>, TargetProblem> {
    // The candidates it acts on, and what goes where a guard's condition is false: the
    // statements it acts on and the ones a guard already wraps.
    let mut acting = Vec::new();
    let mut going = Vec::new();
    for candidate in candidates(rule_index, rule, facts)? {
        if let Action::Guard(guard) = &rule.action
            && guarded_by(facts, &candidate.lines, guard).is_some()
        {
            going.push(candidate.selected);
            continue; // already applied here
        }
        let Some(evidence) = where_matches(rule, facts, candidate.selected.start) else {
            continue;
        };
        going.push(candidate.selected.clone());
        acting.push((candidate, evidence));
    }
    let mut sites = Vec::new();
    for (candidate, mut evidence) in acting {
        let refusal = candidate.refusal.clone().or_else(|| {
            let labelled = candidate.labelled.as_ref()?;
            statement::label_refusal(labelled, &going)
        });
        if let Some(refusal) = refusal {
            return Err(TargetProblem::Refused {
                rule: rule_index,
                span: refusal.span,
                message: refusal.message,
                help: refusal.help,
            });
        }
        let Some((range, text)) = edit(rule, facts, &candidate) else {
            continue; // `set` on a define that has the value already
        };
        evidence.extend(candidate.evidence);
        // The function around it, for the report and --explain (found already with `inside`).
        let function = candidate.function.or_else(|| match rule.target {
            Target::Statement => facts.enclosing_function(candidate.lines.clone()),
            _ => facts.default_function_at(candidate.selected.start),
        });
        sites.push(TargetSite {
            rule: rule_index,
            selected: candidate.selected,
            lines: candidate.lines,
            evidence,
            function,
            range,
            text,
        });
    }
    Ok(sites)
}

/// The things the rule's target and match select, condition aside (`inside` included).
pub(crate) fn candidates(
    rule_index: usize,
    rule: &Rule,
    facts: &FileFacts,
) -> Result<Vec<Candidate>, TargetProblem> {
    let found = match rule.target {
        Target::Include => lines::include_candidates(rule, facts),
        Target::Define => lines::define_candidates(rule, facts),
        Target::Statement => statement::candidates(rule_index, rule, facts)?,
        Target::Conditional => Vec::new(),
    };
    Ok(found
        .into_iter()
        .filter_map(|mut candidate| {
            let function = matcher::function_matches(
                rule,
                facts,
                candidate.lines.clone(),
                &mut candidate.evidence,
            )?;
            if function.is_some() {
                candidate.function = function;
            }
            Some(candidate)
        })
        .collect())
}

/// The rule's `condition` and `uses` asked of the branches around `offset`: the evidence of the
/// innermost branch that satisfies them (empty when the rule gives neither), or `None`.
pub(super) fn where_matches(rule: &Rule, facts: &FileFacts, offset: usize) -> Option<Evidence> {
    if rule.matcher.condition.is_none() && rule.matcher.uses.is_empty() {
        return Some(Vec::new());
    }
    matcher::enclosing_branches(facts.tree, offset)
        .into_iter()
        .rev()
        .find_map(|(conditional, index)| {
            let mut evidence = Vec::new();
            matcher::branch_matches(rule, facts, conditional, index, &mut evidence)
                .then_some(evidence)
        })
}

/// The conditional branch around `lines` whose condition is the guard's (`#ifdef X` and
/// `#if defined(X)` alike, or an `#else` taken under it: that of `#ifndef X`), as evidence
/// pointing at its directive.
pub(super) fn guarded_by(
    facts: &FileFacts,
    lines: &Range<usize>,
    guard: &Guard,
) -> Option<Evidence> {
    matcher::enclosing_branches(facts.tree, lines.start)
        .into_iter()
        .rev()
        .filter(|(conditional, index)| lines.end <= conditional.branches[*index].body.end)
        .find_map(|(conditional, index)| {
            let directive = conditional.branches[index].directive;
            (facts.taken_under(conditional, index)? == guard.condition).then(|| {
                vec![(
                    facts.scan.directives[directive].text_span(),
                    format!("already guarded by `{}`", guard.opening),
                )]
            })
        })
}

/// The edit of the rule's action on a candidate: the range replaced and its new text; `None`
/// when there is nothing to change.
fn edit(rule: &Rule, facts: &FileFacts, candidate: &Candidate) -> Option<(Range<usize>, Vec<u8>)> {
    match &rule.action {
        Action::Drop => Some((candidate.lines.clone(), Vec::new())),
        Action::Guard(guard) => Some((
            candidate.lines.clone(),
            guard_text(facts, &candidate.lines, guard),
        )),
        Action::Replace(header) => lines::replace_header(facts, candidate, header),
        Action::SetValue(value) => lines::set_value(facts, candidate, value),
        Action::Keep | Action::Resolve(_) | Action::ReplaceCondition(_) => None,
    }
}

/// `lines` wrapped in the guard: `#OPENING` and `#endif` lines with the line ending of the
/// wrapped lines' first line, indented as the nearest directive line before them (or not at
/// all); a last line without a line ending gets one before the `#endif`, which then has none.
pub(super) fn guard_text(facts: &FileFacts, lines: &Range<usize>, guard: &Guard) -> Vec<u8> {
    let source = facts.source;
    let wrapped = &source[lines.clone()];
    // The lines' own ending; for a last line without one, the ending of the line before it.
    let ending_at = |text: &[u8]| match text.iter().position(|&byte| byte == b'\n') {
        Some(at) if at > 0 && text[at - 1] == b'\r' => Some(&b"\r\n"[..]),
        Some(_) => Some(&b"\n"[..]),
        None => None,
    };
    let before = &source[..lines.start];
    let previous_line = before.strip_suffix(b"\n").map_or(0, |rest| {
        rest.iter()
            .rposition(|&byte| byte == b'\n')
            .map_or(0, |at| at + 1)
    });
    let eol: &[u8] = ending_at(wrapped)
        .or_else(|| ending_at(&before[previous_line..]))
        .unwrap_or(b"\n");
    let indent: &[u8] = facts
        .scan
        .directives
        .iter()
        .rev()
        .find(|directive| directive.line.end <= lines.start)
        .map_or(b"", |directive| {
            &source[directive.line.start..directive.hash]
        });
    let mut text = Vec::with_capacity(wrapped.len() + 32);
    text.extend_from_slice(indent);
    text.extend_from_slice(guard.opening.as_bytes());
    text.extend_from_slice(eol);
    text.extend_from_slice(wrapped);
    let ends_line = wrapped.ends_with(b"\n");
    if !ends_line {
        text.extend_from_slice(eol);
    }
    text.extend_from_slice(indent);
    text.extend_from_slice(guard.closing.as_bytes());
    if ends_line {
        text.extend_from_slice(eol);
    }
    text
}

/// The whole lines around `span`, when nothing but blanks (and comments: `code` has them
/// blanked) shares them; `None` when other code does. A `/* … */` comment that the first line
/// starts inside or the last line ends inside takes its lines too (an edit never cuts a comment
/// in two), and then the code beside it on those lines counts.
pub(super) fn whole_lines(source: &[u8], code: &[u8], span: &Range<usize>) -> Option<Range<usize>> {
    let line_start = |at: usize| {
        source[..at]
            .iter()
            .rposition(|&byte| byte == b'\n')
            .map_or(0, |at| at + 1)
    };
    // Lexing from just after the last code byte before the statement (directive lines
    // included: the code view blanks them) says whether a comment is open where its line starts.
    let first_line = line_start(span.start);
    let resume = code[..span.start]
        .iter()
        .rposition(|byte| !byte.is_ascii_whitespace())
        .map_or(0, |at| at + 1);
    let start = match open_comment(source, resume.min(first_line), first_line) {
        Some(opener) => line_start(opener),
        None => first_line,
    };
    let end = line_end_outside_comments(source, span.end);
    let blank = |range: Range<usize>| {
        code[range]
            .iter()
            .all(|byte| byte.is_ascii_whitespace() || *byte == b'\\')
    };
    (blank(start..span.start) && blank(span.end..end)).then_some(start..end)
}

/// Lexing `source[from..to]` from code: the offset of the `/*` of a comment still open at `to`.
fn open_comment(source: &[u8], from: usize, to: usize) -> Option<usize> {
    let mut lexer = CommentLexer::default();
    for at in from..to {
        lexer.step(source, at);
    }
    lexer.block_opened_at
}

/// The end of the line (past its newline) on which code that ends at `from` ends, once every
/// `/* … */` comment open there is closed: the first newline after `from` outside a block
/// comment.
fn line_end_outside_comments(source: &[u8], from: usize) -> usize {
    let mut lexer = CommentLexer::default();
    for at in from..source.len() {
        // A newline ends the line unless a block comment or a backslash carries it on.
        if source[at] == b'\n'
            && matches!(
                lexer.state,
                LexState::Code | LexState::LineComment | LexState::Quoted(_)
            )
        {
            return at + 1;
        }
        lexer.step(source, at);
    }
    source.len()
}

/// Just enough of C's lexing to follow comments: strings and character constants (whose
/// `/*` is not a comment), `//` comments continued by a backslash-newline, `/* … */`.
#[derive(Default)]
struct CommentLexer {
    state: LexState,
    /// Where the `/*` of the block comment being read is.
    block_opened_at: Option<usize>,
}

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum LexState {
    #[default]
    Code,
    LineComment,
    BlockComment,
    Quoted(u8),
    /// Just after a backslash, in a quoted literal or a `//` comment.
    Escaped(&'static LexState),
}

impl CommentLexer {
    /// Read the byte at `at` (`source[at - 1]` was read before it).
    fn step(&mut self, source: &[u8], at: usize) {
        let byte = source[at];
        let previous = at.checked_sub(1).map(|before| source[before]);
        self.state = match self.state {
            LexState::Code => match byte {
                b'"' | b'\'' => LexState::Quoted(byte),
                b'/' if source.get(at + 1) == Some(&b'/') => LexState::LineComment,
                b'/' if source.get(at + 1) == Some(&b'*') => {
                    self.block_opened_at = Some(at);
                    LexState::BlockComment
                }
                _ => LexState::Code,
            },
            LexState::LineComment => match byte {
                b'\\' => LexState::Escaped(&LexState::LineComment),
                b'\n' => LexState::Code,
                _ => LexState::LineComment,
            },
            LexState::BlockComment => {
                // `*/`, the `*` not the one of the opening `/*`.
                if byte == b'/'
                    && previous == Some(b'*')
                    && self.block_opened_at.is_some_and(|opened| at >= opened + 3)
                {
                    self.block_opened_at = None;
                    LexState::Code
                } else {
                    LexState::BlockComment
                }
            }
            LexState::Quoted(quote) => match byte {
                b'\\' => LexState::Escaped(if quote == b'"' {
                    &LexState::Quoted(b'"')
                } else {
                    &LexState::Quoted(b'\'')
                }),
                b'\n' => LexState::Code,
                _ if byte == quote => LexState::Code,
                _ => LexState::Quoted(quote),
            },
            LexState::Escaped(back) => *back,
        };
    }
}

/// Is the rule already applied in this file? Positive evidence, per action, for a rule that
/// found nothing to do here (see the module's doc); `None` when it is not (no match there is
/// drift). The rule must be a target rule.
pub fn already_applied(rule_index: usize, rule: &Rule, facts: &FileFacts) -> Option<Evidence> {
    match &rule.action {
        Action::Guard(guard) => guard_already_applied(rule_index, rule, facts, guard),
        Action::Drop => drop_already_applied(rule_index, rule, facts),
        Action::Replace(header) => lines::replace_already_applied(rule, facts, header),
        Action::SetValue(value) => lines::set_already_applied(rule, facts, value),
        Action::Keep | Action::Resolve(_) | Action::ReplaceCondition(_) => None,
    }
}

/// `guard`: some selected line or statement stands in a branch whose condition is the guard's.
pub fn guard_already_applied(
    rule_index: usize,
    rule: &Rule,
    facts: &FileFacts,
    guard: &Guard,
) -> Option<Evidence> {
    let candidates = candidates(rule_index, rule, facts).ok()?;
    let evidence: Evidence = candidates
        .iter()
        .filter_map(|candidate| {
            let mut found = guarded_by(facts, &candidate.lines, guard)?;
            found.extend(candidate.evidence.iter().cloned());
            Some(found)
        })
        .flatten()
        .collect();
    (!evidence.is_empty()).then_some(evidence)
}

/// `drop`: nothing the rule selects is left behind in its scope (see [`left_behind`]), and the
/// scope is there: the function `inside` names, the branches its `condition`/`uses` select, or
/// else the file.
pub fn drop_already_applied(rule_index: usize, rule: &Rule, facts: &FileFacts) -> Option<Evidence> {
    if !left_behind(rule, facts, candidates(rule_index, rule, facts).ok()?).is_empty() {
        return None;
    }
    scope_evidence(rule, facts)
}

/// Of the candidates a rule with no match has (none stands where its `condition`/`uses`
/// select), those that are its code left behind: outside every conditional, or in a branch
/// that tests a symbol of the rule's selection (the `#ifdef __linux__` widened upstream into
/// `#if defined(__linux__) || defined(__ANDROID__)`). The same line in another platform's
/// branch (`#ifdef __FreeBSD__` for a rule on `defined(__linux__)`) is not the rule's.
pub(super) fn left_behind(
    rule: &Rule,
    facts: &FileFacts,
    candidates: Vec<Candidate>,
) -> Vec<Candidate> {
    let mut symbols: Vec<&str> = Vec::new();
    if let Some(condition) = &rule.matcher.condition {
        condition.symbols(&mut symbols);
    }
    symbols.extend(rule.matcher.uses.iter().map(String::as_str));
    if symbols.is_empty() {
        return candidates;
    }
    let symbols: Vec<String> = symbols.into_iter().map(str::to_string).collect();
    candidates
        .into_iter()
        .filter(|candidate| {
            let around = matcher::enclosing_branches(facts.tree, candidate.lines.start);
            around.is_empty()
                || around.iter().any(|(conditional, index)| {
                    facts
                        .taken_under(conditional, *index)
                        .is_some_and(|condition| condition.uses_any(&symbols))
                })
        })
        .collect()
}

/// Where the rule's scope stands in the file, as evidence; `None` when it is not there.
pub(super) fn scope_evidence(rule: &Rule, facts: &FileFacts) -> Option<Evidence> {
    let what = rule.target.name();
    if !rule.matcher.inside.is_empty() {
        let function = rule
            .matcher
            .inside
            .iter()
            .find_map(|name| facts.functions_named(name).into_iter().next())?;
        return Some(vec![(
            function.name_span.clone(),
            format!("no {what} the rule selects is left in `{}`", function.name),
        )]);
    }
    if rule.matcher.condition.is_some() || !rule.matcher.uses.is_empty() {
        let branch = facts.tree.all().into_iter().find_map(|conditional| {
            conditional
                .branches
                .iter()
                .enumerate()
                .find_map(|(index, branch)| {
                    matcher::branch_matches(rule, facts, conditional, index, &mut Vec::new())
                        .then(|| facts.scan.directives[branch.directive].text_span())
                })
        })?;
        return Some(vec![(
            branch,
            format!("no {what} the rule selects is left under this condition"),
        )]);
    }
    Some(vec![(
        0..0,
        format!("no {what} the rule selects is left in the file"),
    )])
}
