//! The source layer: a C file's bytes read once into what every later layer works on, with
//! every position a byte offset into the original bytes.
//!
//! [`scan`] finds the directive lines (an explicit state machine over the bytes), [`build`]
//! nests the conditionals, and [`ParsedFile`] holds both with the parsed condition of each
//! directive: built once per file and used by every command. [`Lines`] is the one line index.

mod lines;
mod scan;
mod tree;

use std::ops::Range;
use std::sync::OnceLock;

pub use lines::Lines;
pub use scan::{Directive, DirectiveKind, Include, Scan, ScanError, blank, scan};
pub use tree::{Branch, CondTree, Conditional, TreeError, build};

use crate::cond::{self, Expr, ExprKind, UnaryOp};

/// One file, read: its bytes, its directives, its conditional tree and the condition of each
/// directive. The conditions are parsed when first asked for ([`ParsedFile::conditions`]), so a
/// file no rule selects costs none, and one that does not parse is reported only to a caller
/// that needs them.
#[derive(Debug)]
pub struct ParsedFile<'a> {
    pub source: &'a [u8],
    pub scan: Scan,
    pub tree: CondTree,
    conditions: OnceLock<Conditions>,
}

/// The parsed condition of each directive, and the conditions that did not parse.
#[derive(Debug)]
struct Conditions {
    parsed: Vec<Option<Expr>>,
    unreadable: Vec<SourceError>,
}

/// Why a file cannot be read as C with conditionals; each variant carries byte spans in the file.
#[derive(Clone, Debug)]
pub enum SourceError {
    Scan(ScanError),
    Tree {
        error: TreeError,
        /// The directive the error names, then any earlier one it refers to (the first `#else`).
        at: Range<usize>,
        related: Option<Range<usize>>,
        message: String,
    },
    /// A condition that does not parse; `directive` is the directive from `#` to the end of
    /// its text.
    Condition {
        error: cond::ParseError,
        directive: Range<usize>,
    },
}

impl<'a> ParsedFile<'a> {
    /// Scan `source` and nest its conditionals.
    pub fn new(source: &'a [u8]) -> Result<ParsedFile<'a>, SourceError> {
        let scan = scan(source).map_err(SourceError::Scan)?;
        let tree = build(&scan.directives).map_err(|error| tree_error(&scan, error))?;
        Ok(ParsedFile {
            source,
            scan,
            tree,
            conditions: OnceLock::new(),
        })
    }

    /// The parsed condition of each directive (`None` for directives that have none, such as
    /// `#else`); parsed once, on the first call. A condition that does not parse is an
    /// [`ExprKind::Opaque`] of its text (unknown under any assumptions), and its error is in
    /// [`ParsedFile::unreadable`].
    pub fn conditions(&self) -> Result<&[Option<Expr>], SourceError> {
        Ok(&self.parsed_conditions().parsed)
    }

    /// The conditions that do not parse ([`SourceError::Condition`]s), in file order: a warning
    /// where they are left alone, an error for a rule whose decision depends on them.
    pub fn unreadable(&self) -> &[SourceError] {
        &self.parsed_conditions().unreadable
    }

    fn parsed_conditions(&self) -> &Conditions {
        self.conditions.get_or_init(|| parse_conditions(&self.scan))
    }
}

/// A tree error with the spans of the directives it names.
fn tree_error(scan: &Scan, error: TreeError) -> SourceError {
    let line = |index: usize| scan.directives[index].text_span();
    SourceError::Tree {
        at: line(error.directive()),
        related: match error {
            TreeError::AfterElse { first_else, .. } => Some(line(first_else)),
            _ => None,
        },
        message: error.message(&scan.directives),
        error,
    }
}

fn parse_conditions(scan: &Scan) -> Conditions {
    let mut conditions = Vec::with_capacity(scan.directives.len());
    let mut unreadable = Vec::new();
    for directive in &scan.directives {
        let rest = &scan.clean[directive.rest.clone()];
        let base = directive.rest.start;
        let condition = match directive.kind {
            DirectiveKind::If | DirectiveKind::Elif => Some(cond::parse(rest, base)),
            DirectiveKind::Ifdef | DirectiveKind::Elifdef => Some(defined(rest, base)),
            DirectiveKind::Ifndef | DirectiveKind::Elifndef => {
                Some(defined(rest, base).map(|expr| Expr {
                    span: expr.span.clone(),
                    kind: ExprKind::Unary(UnaryOp::Not, Box::new(expr)),
                }))
            }
            _ => None,
        };
        let condition = match condition.transpose() {
            Ok(condition) => condition,
            Err(error) => {
                unreadable.push(SourceError::Condition {
                    error,
                    directive: directive.text_span(),
                });
                let text = scan.rest_text(directive);
                let start = base
                    + rest
                        .iter()
                        .take_while(|byte| cond::is_c_space(byte))
                        .count();
                Some(Expr {
                    kind: ExprKind::Opaque(String::from_utf8_lossy(text).into_owned()),
                    span: Some(start..start + text.len()),
                })
            }
        };
        conditions.push(condition);
    }
    Conditions {
        parsed: conditions,
        unreadable,
    }
}

/// `#ifdef NAME`: exactly one identifier.
fn defined(rest: &[u8], base: usize) -> Result<Expr, cond::ParseError> {
    let expr = cond::parse(rest, base)?;
    match expr.kind {
        ExprKind::Ident(name) => Ok(Expr {
            kind: ExprKind::Defined(name),
            span: expr.span,
        }),
        _ => Err(cond::ParseError {
            message: "#ifdef and #ifndef take one macro name".to_string(),
            span: base..base + rest.len(),
        }),
    }
}
