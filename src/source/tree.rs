//! Conditional tree: the nesting of `#if/#ifdef/#ifndef/#elif/#else/#endif` in one file.
//!
//! Built in one pass over the scanner's directives with an explicit stack of open conditionals.
//! Every node refers to its directives by index into [`Scan::directives`](super::Scan), so
//! the byte spans of each directive line and each branch body are exact offsets in the file.

use std::ops::Range;

use super::scan::{Directive, DirectiveKind};

/// One `#if … #endif` group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conditional {
    pub branches: Vec<Branch>,
    /// Index of the `#endif` directive.
    pub endif: usize,
}

/// One branch of a conditional: the directive that opens it and the lines up to the next one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Branch {
    /// Index of the `#if`/`#ifdef`/`#ifndef`/`#elif`/`#else` directive.
    pub directive: usize,
    /// From just after the directive line to the start of the next directive line of this group.
    pub body: Range<usize>,
    /// Conditionals nested directly in this branch, in file order.
    pub children: Vec<Conditional>,
}

impl Conditional {
    /// From the start of the `#if` line to the end of the `#endif` line.
    pub fn span(&self, directives: &[Directive]) -> Range<usize> {
        directives[self.branches[0].directive].line.start..directives[self.endif].line.end
    }

    /// Visit this conditional and every conditional nested in it, depth first, in file order.
    pub fn walk<'a>(&'a self, visit: &mut impl FnMut(&'a Conditional)) {
        visit(self);
        for branch in &self.branches {
            for child in &branch.children {
                child.walk(visit);
            }
        }
    }
}

/// The conditionals of a file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CondTree {
    /// Top-level conditionals in file order.
    pub roots: Vec<Conditional>,
}

impl CondTree {
    /// Every conditional of the file, outer before inner, in file order.
    pub fn all(&self) -> Vec<&Conditional> {
        let mut all = Vec::new();
        for root in &self.roots {
            root.walk(&mut |conditional| all.push(conditional));
        }
        all
    }
}

/// Why the conditionals of a file do not nest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TreeError {
    /// `#endif` with no open `#if`.
    StrayEndif { at: usize },
    /// `#else` or `#elif` with no open `#if`.
    StrayBranch { at: usize },
    /// A second `#else`, or an `#elif` after `#else`, in one group; `first_else` is the earlier one.
    AfterElse { at: usize, first_else: usize },
    /// An `#if` with no `#endif` before the end of the file.
    Unterminated { opened: usize },
}

impl TreeError {
    /// The directive the error is about, as an index into the directives.
    pub fn directive(&self) -> usize {
        match *self {
            TreeError::StrayEndif { at }
            | TreeError::StrayBranch { at }
            | TreeError::AfterElse { at, .. } => at,
            TreeError::Unterminated { opened } => opened,
        }
    }

    pub fn message(&self, directives: &[Directive]) -> String {
        match *self {
            TreeError::StrayEndif { .. } => "#endif without #if".to_string(),
            TreeError::StrayBranch { at } => {
                format!("#{} without #if", keyword_name(directives[at].kind))
            }
            TreeError::AfterElse { at, .. } => {
                format!("#{} after #else", keyword_name(directives[at].kind))
            }
            TreeError::Unterminated { .. } => "#if without #endif".to_string(),
        }
    }

    pub fn help(&self) -> &'static str {
        match self {
            TreeError::StrayEndif { .. } | TreeError::StrayBranch { .. } => {
                "remove it, or add the #if it belongs to"
            }
            TreeError::AfterElse { .. } => "a group has at most one #else, and it comes last",
            TreeError::Unterminated { .. } => "add the missing #endif",
        }
    }
}

fn keyword_name(kind: DirectiveKind) -> &'static str {
    match kind {
        DirectiveKind::If => "if",
        DirectiveKind::Ifdef => "ifdef",
        DirectiveKind::Ifndef => "ifndef",
        DirectiveKind::Elif => "elif",
        DirectiveKind::Elifdef => "elifdef",
        DirectiveKind::Elifndef => "elifndef",
        DirectiveKind::Else => "else",
        DirectiveKind::Endif => "endif",
        DirectiveKind::Include => "include",
        DirectiveKind::Define => "define",
        DirectiveKind::Undef => "undef",
        DirectiveKind::Other => "directive",
    }
}

/// A conditional still waiting for its `#endif`.
struct Open {
    branches: Vec<Branch>,
    else_at: Option<usize>,
}

/// Build the tree from a file's directives.
pub fn build(directives: &[Directive]) -> Result<CondTree, TreeError> {
    let mut stack: Vec<Open> = Vec::new();
    let mut roots = Vec::new();
    for (index, directive) in directives.iter().enumerate() {
        let kind = directive.kind;
        if kind.opens() {
            stack.push(Open {
                branches: vec![Branch {
                    directive: index,
                    body: directive.line.end..directive.line.end,
                    children: Vec::new(),
                }],
                else_at: None,
            });
        } else if kind.continues() || kind == DirectiveKind::Else {
            let open = stack
                .last_mut()
                .ok_or(TreeError::StrayBranch { at: index })?;
            if let Some(first_else) = open.else_at {
                return Err(TreeError::AfterElse {
                    at: index,
                    first_else,
                });
            }
            if kind == DirectiveKind::Else {
                open.else_at = Some(index);
            }
            close_branch(open, directive);
            open.branches.push(Branch {
                directive: index,
                body: directive.line.end..directive.line.end,
                children: Vec::new(),
            });
        } else if kind == DirectiveKind::Endif {
            let mut open = stack.pop().ok_or(TreeError::StrayEndif { at: index })?;
            close_branch(&mut open, directive);
            let conditional = Conditional {
                branches: open.branches,
                endif: index,
            };
            match stack.last_mut() {
                Some(parent) => match parent.branches.last_mut() {
                    Some(branch) => branch.children.push(conditional),
                    None => roots.push(conditional),
                },
                None => roots.push(conditional),
            }
        }
    }
    if let Some(open) = stack.first() {
        let opened = open.branches.first().map_or(0, |branch| branch.directive);
        return Err(TreeError::Unterminated { opened });
    }
    Ok(CondTree { roots })
}

/// End the body of the open conditional's last branch at the start of `next`'s line.
fn close_branch(open: &mut Open, next: &Directive) {
    if let Some(branch) = open.branches.last_mut() {
        branch.body.end = next.line.start;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::scan;

    fn tree(source: &[u8]) -> Result<CondTree, TreeError> {
        build(&scan(source).unwrap().directives)
    }

    #[test]
    fn nested_groups_with_exact_bodies() {
        let source = b"#if A\na;\n#ifdef B\nb;\n#endif\n#elif C\nc;\n#else\nd;\n#endif\n";
        let tree = tree(source).unwrap();
        assert_eq!(tree.roots.len(), 1);
        let root = &tree.roots[0];
        assert_eq!(root.branches.len(), 3);
        assert_eq!(
            &source[root.branches[0].body.clone()],
            b"a;\n#ifdef B\nb;\n#endif\n"
        );
        assert_eq!(&source[root.branches[1].body.clone()], b"c;\n");
        assert_eq!(&source[root.branches[2].body.clone()], b"d;\n");
        assert_eq!(root.branches[0].children.len(), 1);
        assert_eq!(tree.all().len(), 2);
    }

    #[test]
    fn unbalanced_files_are_errors() {
        assert_eq!(tree(b"x;\n#endif\n"), Err(TreeError::StrayEndif { at: 0 }));
        assert_eq!(tree(b"#else\n"), Err(TreeError::StrayBranch { at: 0 }));
        assert_eq!(
            tree(b"#if A\n#else\n#else\n#endif\n"),
            Err(TreeError::AfterElse {
                at: 2,
                first_else: 1
            })
        );
        assert_eq!(
            tree(b"#if A\n#else\n#elif B\n#endif\n"),
            Err(TreeError::AfterElse {
                at: 2,
                first_else: 1
            })
        );
        assert_eq!(
            tree(b"#if A\n#if B\n#endif\n"),
            Err(TreeError::Unterminated { opened: 0 })
        );
    }
}
