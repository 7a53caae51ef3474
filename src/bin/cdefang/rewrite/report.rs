//! What a run tells about its rules and files: the warnings of files that were planned, the
//! per-rule summaries and their states, every match, the `--parse-stats` report, and the
//! diagnostics of unknown names and drift.

use cdefang::{
    Drift, EvidenceReport, FileParse, MatchReport, ParseReport, PlannedFile, Problem, Rule,
    RuleStatus, RuleSummary, Shortfall, SourceError, UnknownName,
};

use super::RulesSource;

/// A warning for each site where lang-c failed and a rule fell back to tokens, and for each
/// condition cdefang cannot read, left as it is.
pub(super) fn warn_fallbacks(planned: &[PlannedFile], rules: &[Rule], problems: &mut Vec<Problem>) {
    for file in planned {
        if file.result.warnings.is_empty() && file.result.unreadable.is_empty() {
            continue;
        }
        // The file's text, made once for all its warnings.
        let shown = cdefang::ShownText::new(&file.source);
        for unreadable in &file.result.unreadable {
            let SourceError::Condition { error, directive } = unreadable else {
                continue;
            };
            problems.push(
                Problem::warning(format!(
                    "cannot read condition: {}; the group is left as it is",
                    error.message
                ))
                .at_text(&file.file.display, &shown, error.span.clone(), error.message.clone())
                .also(directive.clone(), "taken as unknown")
                .with_note("a rule whose `condition` or `uses` names a symbol of this line stops the run here"),
            );
        }
        for warning in &file.result.warnings {
            let rule = &rules[warning.rule];
            let offset = warning.failure.offset;
            problems.push(
                Problem::warning(format!(
                    "rule `{}`: lang-c cannot parse this; answered at the token level (fallback = \"tokens\")",
                    rule.id
                ))
                .at_text(&file.file.display, &shown, offset..offset + 1, warning.failure.message.clone())
                .also(warning.body.start..warning.body.start, "the block the rule asks about starts here"),
            );
        }
    }
}

/// `--parse-stats`: lang-c's coverage, per file and in total.
pub(super) fn parse_report(planned: &[PlannedFile]) -> ParseReport {
    let mut parse = ParseReport::default();
    for file in planned {
        let Some(stats) = &file.result.parse else {
            continue;
        };
        parse.functions += stats.functions;
        parse.parsed += stats.parsed;
        parse.failed += stats.failed.len() as u64;
        let lines = cdefang::Lines::new(&file.source);
        parse.files.push(FileParse {
            path: cdefang::json_path(&file.file.path),
            functions: stats.functions,
            parsed: stats.parsed,
            failed: stats.failed.len() as u64,
            errors: stats
                .failed
                .iter()
                .map(|failed| {
                    let (line, column) = lines.line_column(failed.failure.offset);
                    cdefang::FunctionParseError {
                        function: failed.name.clone(),
                        line,
                        column,
                        message: failed.failure.message.clone(),
                    }
                })
                .collect(),
        });
    }
    parse
}

pub(super) fn summarise(
    rules: &[Rule],
    planned: &[PlannedFile],
    statuses: &[RuleStatus],
) -> Vec<RuleSummary> {
    rules
        .iter()
        .zip(statuses)
        .enumerate()
        .map(|(index, (rule, status))| {
            let mut summary = RuleSummary {
                id: rule.id.clone(),
                status: status.state.name().to_string(),
                evidence: status
                    .evidence
                    .iter()
                    .map(|(file, what, at)| {
                        let file = &planned[*file];
                        EvidenceReport {
                            file: cdefang::json_path(&file.file.path),
                            evidence: what.clone(),
                            line: at.as_ref().map(|at| {
                                cdefang::Lines::new(&file.source).line_column(at.start).0
                            }),
                        }
                    })
                    .collect(),
                ..RuleSummary::default()
            };
            for file in planned {
                if !file.result.applies[index] {
                    continue;
                }
                let count = &file.result.counts[index];
                summary.files += 1;
                summary.files_matched += u64::from(count.matches > 0);
                summary.matches += count.matches;
                summary.edits += count.edits;
            }
            summary
        })
        .collect()
}

/// Every match of the run, in the order of the files, each where its first selected branch's
/// directive starts.
pub(super) fn match_reports(rules: &[Rule], planned: &[PlannedFile]) -> Vec<MatchReport> {
    let mut reports = Vec::new();
    for file in planned {
        let lines = cdefang::Lines::new(&file.source);
        for record in &file.result.matches {
            let rule = &rules[record.rule];
            // A conditional's selected directive; a line or statement: the thing selected.
            let at = record
                .group
                .iter()
                .find(|line| line.selected)
                .map(|line| line.keyword.start)
                .or_else(|| record.branches.first().map(|selected| selected.start))
                .unwrap_or(record.span.start);
            let (line, column) = lines.line_column(at);
            let (state, with) = if let Some(outer) = record.subsumed_by {
                ("subsumed", vec![rules[outer].id.clone()])
            } else if !record.shared_with.is_empty() {
                let with = record
                    .shared_with
                    .iter()
                    .map(|&other| rules[other].id.clone());
                ("shared", with.collect())
            } else if record.edits.is_empty() {
                ("unchanged", Vec::new())
            } else {
                ("applied", Vec::new())
            };
            reports.push(MatchReport {
                rule: rule.id.clone(),
                file: cdefang::json_path(&file.file.path),
                line,
                column,
                function: record.function.clone(),
                action: rule.action.name().to_string(),
                state: state.to_string(),
                with,
            });
        }
    }
    reports
}

/// A shortfall as the report's drift entry.
pub(super) fn drift_of(rule: &Rule, shortfall: &Shortfall, planned: &[PlannedFile]) -> Drift {
    Drift {
        rule: rule.id.clone(),
        expected: rule
            .expect
            .as_ref()
            .map_or_else(String::new, |expect| expect.describe()),
        found: shortfall.found,
        file: shortfall
            .file
            .map(|file| cdefang::json_path(&planned[file].file.path)),
        reason: if shortfall.no_file {
            Some("its `files` select no file of the run".to_string())
        } else {
            shortfall.remains.as_ref().map(|(file, what, at)| {
                let file = &planned[*file];
                let (line, column) = cdefang::Lines::new(&file.source).line_column(at.start);
                format!("{}:{line}:{column}: {what}", file.file.display)
            })
        },
    }
}

/// A name the rule looks for that no file of the run has: an error at the name in the rules
/// file (a warning with --allow-drift), with the closest name of the files it scans.
pub(super) fn unknown_name_problem(
    rule: &Rule,
    unknown: &UnknownName,
    sources: &[RulesSource],
    allowed: bool,
) -> Problem {
    let name = &unknown.name;
    let message = format!(
        "rule `{}`: `{}` ({}) is in none of the files the rule scans, nor in any other file of the run",
        rule.id,
        name.name,
        name.kind.key()
    );
    let problem = if allowed {
        Problem::warning(message)
    } else {
        Problem::error(message)
    };
    let Some(source) = sources.get(rule.origin.file) else {
        return problem;
    };
    let label = match name.kind {
        cdefang::NameKind::Includes => "no file includes this header",
        cdefang::NameKind::Inside | cdefang::NameKind::NotInside => "no such name in the code",
        _ => "no such name in the code",
    };
    let mut problem = problem
        .at_text(&source.name, &source.shown, name.span.clone(), label)
        .also(rule.origin.span.clone(), "in this rule");
    problem = match &unknown.suggestion {
        Some(suggestion) => problem.help(format!("did you mean `{suggestion}`?")),
        None => problem.help(
            "check the spelling, and that the files given hold the code the rule is about (a name that the code has lost is drift: adjust the rule for this version)",
        ),
    };
    if allowed {
        problem.with_note("--allow-drift: going on")
    } else {
        problem.with_note("no file was changed")
    }
}

pub(super) fn drift_problem(
    index: usize,
    rule: &Rule,
    drift: &Drift,
    shortfall: &Shortfall,
    planned: &[PlannedFile],
    sources: &[RulesSource],
    allowed: bool,
) -> Problem {
    let place = match &drift.file {
        Some(file) => format!(" in {file}"),
        None => String::new(),
    };
    let message = format!(
        "drift: rule `{}` found {} match(es){place}, expected {}",
        rule.id, drift.found, drift.expected
    );
    let problem = if allowed {
        Problem::warning(message)
    } else {
        Problem::error(message)
    };
    let remains = shortfall.remains.as_ref().map(|(file, what, at)| {
        let file = &planned[*file];
        let (line, column) = cdefang::Lines::new(&file.source).line_column(at.start);
        format!("{}:{line}:{column}: {what}", file.file.display)
    });
    // Else why a file it selects does not show its work done, when one says.
    let remains = remains.or_else(|| {
        planned
            .iter()
            .enumerate()
            .filter(|(position, _)| shortfall.file.is_none_or(|file| file == *position))
            .find_map(|(_, file)| match file.result.evidence.get(index)? {
                Some(cdefang::Evidence::Unknown { why }) if file.result.applies[index] => {
                    Some(format!("{}: {why}", file.file.display))
                }
                _ => None,
            })
    });
    let Some(source) = sources.get(rule.origin.file) else {
        return problem;
    };
    let span = rule
        .expect
        .as_ref()
        .map_or(rule.origin.span.clone(), |expect| expect.span.clone());
    let mut problem = problem
        .at_text(&source.name, &source.shown, span, "expected here")
        .also(rule.origin.span.clone(), "this rule");
    if shortfall.no_file {
        problem = problem.with_note(
            "its `files` select no file of the run: the files it is about were renamed or moved, or are not among the paths given",
        );
    } else if drift.found == 0 {
        problem = problem.with_note(match &remains {
            Some(remains) => format!("not already applied: {remains}"),
            None => "not already applied: nothing in the files it scans shows its work done (see README, \"Expectations and drift\")".to_string(),
        });
    }
    if allowed {
        problem.with_note("--allow-drift: going on")
    } else {
        problem
            .help("the code has moved away from what the rule was written for: check the rule against this version, then adjust the rule or its `expect` (or pass --allow-drift)")
            .with_note("no file was changed")
    }
}
