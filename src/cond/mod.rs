//! Condition expressions of `#if`/`#elif`: the expression tree, and the passes over it, one per
//! file:
//!
//! - [`parse`] (in `parse.rs`: a lexer and a recursive-descent parser) turns the text after `#if`
//!   into an [`Expr`] whose nodes keep their byte spans, so errors point into the file and a
//!   simplified condition can be written back from its own text.
//! - [`Norm`] (`norm.rs`) is the normalised form used to compare a rule's condition with a
//!   file's: `defined X` ≡ `defined(X)`, parentheses dropped, `&&`/`||` flattened and their
//!   operands sorted. `#ifdef X` and `#ifndef X` normalise to `defined(X)` and `!defined(X)`.
//! - [`simplify`] (`eval.rs`) evaluates under [`Assumptions`] the way unifdef does:
//!   three-valued (known true, known false, unknown), with `&&`/`||` short-circuiting on known
//!   operands and keeping the unknown ones.
//! - [`render`] (`render.rs`) writes an expression back as text.

mod eval;
mod norm;
mod number;
mod parse;
mod render;

use std::ops::Range;

pub use eval::{Assumptions, Value, resolve, simplify};
pub use norm::Norm;
pub use number::Number;
pub use parse::{ParseError, parse};
pub use render::render;

/// A parsed expression node. `span` is the node's text in the source (`None` for a node built by
/// simplification, which is rendered from its parts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Option<Range<usize>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExprKind {
    Int(Number),
    Ident(String),
    Defined(String),
    /// A function-like macro in a condition (`KERNEL_VERSION(2,6,0)`): never evaluated.
    Call(String, Vec<Expr>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Ternary(Box<Expr>, Box<Expr>, Box<Expr>),
    Paren(Box<Expr>),
    /// What cdefang cannot read but the preprocessor can: `__has_include(<version>)`, or a
    /// whole condition that does not parse. Its text; never evaluated (always unknown).
    Opaque(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UnaryOp {
    Not,
    Neg,
    Plus,
    BitNot,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BinaryOp {
    Mul,
    Div,
    Rem,
    Add,
    Sub,
    Shl,
    Shr,
    Lt,
    Gt,
    Le,
    Ge,
    Eq,
    Ne,
    BitAnd,
    BitXor,
    BitOr,
    And,
    Or,
}

impl BinaryOp {
    pub(crate) fn precedence(self) -> u8 {
        match self {
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => 10,
            BinaryOp::Add | BinaryOp::Sub => 9,
            BinaryOp::Shl | BinaryOp::Shr => 8,
            BinaryOp::Lt | BinaryOp::Gt | BinaryOp::Le | BinaryOp::Ge => 7,
            BinaryOp::Eq | BinaryOp::Ne => 6,
            BinaryOp::BitAnd => 5,
            BinaryOp::BitXor => 4,
            BinaryOp::BitOr => 3,
            BinaryOp::And => 2,
            BinaryOp::Or => 1,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Shl => "<<",
            BinaryOp::Shr => ">>",
            BinaryOp::Lt => "<",
            BinaryOp::Gt => ">",
            BinaryOp::Le => "<=",
            BinaryOp::Ge => ">=",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::BitAnd => "&",
            BinaryOp::BitXor => "^",
            BinaryOp::BitOr => "|",
            BinaryOp::And => "&&",
            BinaryOp::Or => "||",
        }
    }
}

impl UnaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            UnaryOp::Not => "!",
            UnaryOp::Neg => "-",
            UnaryOp::Plus => "+",
            UnaryOp::BitNot => "~",
        }
    }
}

/// C's white space in a directive line: space, horizontal and vertical tab, form feed, and the
/// carriage return and newline that a comment spanning lines leaves in the scanner's clean text.
/// `u8::is_ascii_whitespace` leaves out the vertical tab, which gcc takes as a blank anywhere in a
/// directive (`#<VT>ifdef A` is `#ifdef A`): every reader of directive text skips blanks with this.
pub(crate) fn is_c_space(byte: &u8) -> bool {
    byte.is_ascii_whitespace() || *byte == b'\x0b'
}

/// `text` without the [`is_c_space`] blanks at either end.
pub(crate) fn trim_c_space(text: &[u8]) -> &[u8] {
    let start = text
        .iter()
        .position(|byte| !is_c_space(byte))
        .unwrap_or(text.len());
    let end = text
        .iter()
        .rposition(|byte| !is_c_space(byte))
        .map_or(start, |last| last + 1);
    &text[start..end]
}

/// `text` with every run of [`is_c_space`] blanks as one space, and none at either end.
pub(crate) fn fold_c_space(text: &str) -> String {
    text.split(|c: char| u8::try_from(c).is_ok_and(|byte| is_c_space(&byte)))
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests;
