//! The normal form of a condition, for structural comparison, and what it tests.

use std::fmt;

use super::{BinaryOp, Expr, ExprKind, Number, UnaryOp, fold_c_space};

/// A condition in normal form, for structural comparison.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Norm {
    Int(Number),
    Ident(String),
    Defined(String),
    Call(String, Vec<Norm>),
    Unary(UnaryOp, Box<Norm>),
    Binary(BinaryOp, Box<Norm>, Box<Norm>),
    And(Vec<Norm>),
    Or(Vec<Norm>),
    Ternary(Box<Norm>, Box<Norm>, Box<Norm>),
    /// Text cdefang does not read (see [`ExprKind::Opaque`]), white space folded.
    Opaque(String),
}

/// The identifiers in a text cdefang does not read as an expression.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| word.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'))
}

impl Norm {
    /// Normalise a parsed expression.
    pub fn of(expr: &Expr) -> Norm {
        match &expr.kind {
            ExprKind::Int(value) => Norm::Int(*value),
            ExprKind::Ident(name) => Norm::Ident(name.clone()),
            ExprKind::Opaque(text) => Norm::Opaque(fold_c_space(text)),
            ExprKind::Defined(name) => Norm::Defined(name.clone()),
            ExprKind::Call(name, arguments) => {
                Norm::Call(name.clone(), arguments.iter().map(Norm::of).collect())
            }
            // `!(A || B)` is `!A && !B`, and `!(A && B)` is `!A || !B` (De Morgan), so that
            // either spelling compares equal.
            ExprKind::Unary(UnaryOp::Not, operand) => match Norm::of(operand) {
                inner @ (Norm::And(_) | Norm::Or(_)) => inner.negated(),
                inner => Norm::Unary(UnaryOp::Not, Box::new(inner)),
            },
            ExprKind::Unary(op, operand) => Norm::Unary(*op, Box::new(Norm::of(operand))),
            ExprKind::Binary(op @ (BinaryOp::And | BinaryOp::Or), left, right) => {
                let mut operands = Vec::new();
                for side in [Norm::of(left), Norm::of(right)] {
                    match (op, side) {
                        (BinaryOp::And, Norm::And(inner)) | (BinaryOp::Or, Norm::Or(inner)) => {
                            operands.extend(inner)
                        }
                        (_, other) => operands.push(other),
                    }
                }
                operands.sort();
                if *op == BinaryOp::And {
                    Norm::And(operands)
                } else {
                    Norm::Or(operands)
                }
            }
            ExprKind::Binary(op, left, right) => {
                Norm::Binary(*op, Box::new(Norm::of(left)), Box::new(Norm::of(right)))
            }
            ExprKind::Ternary(condition, then, otherwise) => Norm::Ternary(
                Box::new(Norm::of(condition)),
                Box::new(Norm::of(then)),
                Box::new(Norm::of(otherwise)),
            ),
            ExprKind::Paren(inner) => Norm::of(inner),
        }
    }

    /// The condition's negation: `!C`, or `C` when the condition is `!C` (the `#else` of an
    /// `#ifndef X` is `defined(X)`); over `&&` and `||`, by De Morgan (`!(A && B)` is
    /// `!A || !B`).
    pub fn negated(self) -> Norm {
        match self {
            Norm::Unary(UnaryOp::Not, operand) => *operand,
            Norm::And(operands) => Norm::any(operands.into_iter().map(Norm::negated)),
            Norm::Or(operands) => Norm::all(operands.into_iter().map(Norm::negated)),
            other => Norm::Unary(UnaryOp::Not, Box::new(other)),
        }
    }

    /// The disjunction of `conditions` in normal form (one condition is itself; none is `0`).
    pub fn any(conditions: impl IntoIterator<Item = Norm>) -> Norm {
        let mut operands = Vec::new();
        for condition in conditions {
            match condition {
                Norm::Or(inner) => operands.extend(inner),
                other => operands.push(other),
            }
        }
        match operands.len() {
            0 => Norm::Int(Number::signed(0)),
            1 => operands.remove(0),
            _ => {
                operands.sort();
                Norm::Or(operands)
            }
        }
    }

    /// The conjunction of `conditions` in normal form (one condition is itself; none is `1`).
    pub fn all(conditions: impl IntoIterator<Item = Norm>) -> Norm {
        let mut operands = Vec::new();
        for condition in conditions {
            match condition {
                Norm::And(inner) => operands.extend(inner),
                other => operands.push(other),
            }
        }
        match operands.len() {
            0 => Norm::Int(Number::signed(1)),
            1 => operands.remove(0),
            _ => {
                operands.sort();
                Norm::And(operands)
            }
        }
    }

    /// True if the condition tests `name` (as `defined(name)` or as a value).
    pub fn uses(&self, name: &str) -> bool {
        match self {
            Norm::Int(_) => false,
            Norm::Opaque(text) => words(text).any(|word| word == name),
            Norm::Ident(ident) | Norm::Defined(ident) => ident == name,
            Norm::Call(callee, arguments) => {
                callee == name || arguments.iter().any(|argument| argument.uses(name))
            }
            Norm::Unary(_, operand) => operand.uses(name),
            Norm::Binary(_, left, right) => left.uses(name) || right.uses(name),
            Norm::And(operands) | Norm::Or(operands) => {
                operands.iter().any(|operand| operand.uses(name))
            }
            Norm::Ternary(a, b, c) => a.uses(name) || b.uses(name) || c.uses(name),
        }
    }

    /// True if the condition tests one of `names`.
    pub fn uses_any(&self, names: &[String]) -> bool {
        names.iter().any(|name| self.uses(name))
    }

    /// Every symbol the condition tests, with repeats.
    pub fn symbols<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Norm::Int(_) | Norm::Opaque(_) => {}
            Norm::Ident(name) | Norm::Defined(name) => out.push(name),
            Norm::Call(_, arguments) => arguments.iter().for_each(|a| a.symbols(out)),
            Norm::Unary(_, operand) => operand.symbols(out),
            Norm::Binary(_, left, right) => {
                left.symbols(out);
                right.symbols(out);
            }
            Norm::And(operands) | Norm::Or(operands) => {
                operands.iter().for_each(|operand| operand.symbols(out))
            }
            Norm::Ternary(a, b, c) => {
                a.symbols(out);
                b.symbols(out);
                c.symbols(out);
            }
        }
    }
}

impl fmt::Display for Norm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Norm::Int(value) => write!(f, "{value}"),
            Norm::Ident(name) | Norm::Opaque(name) => write!(f, "{name}"),
            Norm::Defined(name) => write!(f, "defined({name})"),
            Norm::Call(name, arguments) => {
                write!(f, "{name}(")?;
                for (index, argument) in arguments.iter().enumerate() {
                    if index > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{argument}")?;
                }
                write!(f, ")")
            }
            Norm::Unary(op, operand) => {
                let symbol = op.symbol();
                match **operand {
                    // A binary operation and a ternary write their own parentheses.
                    Norm::And(_) | Norm::Or(_) => write!(f, "{symbol}({operand})"),
                    _ => write!(f, "{symbol}{operand}"),
                }
            }
            Norm::Binary(op, left, right) => write!(f, "({left} {} {right})", op.symbol()),
            Norm::And(operands) | Norm::Or(operands) => {
                let joiner = if matches!(self, Norm::And(_)) {
                    " && "
                } else {
                    " || "
                };
                for (index, operand) in operands.iter().enumerate() {
                    if index > 0 {
                        f.write_str(joiner)?;
                    }
                    match operand {
                        Norm::And(_) | Norm::Or(_) => write!(f, "({operand})")?,
                        _ => write!(f, "{operand}")?,
                    }
                }
                Ok(())
            }
            Norm::Ternary(a, b, c) => write!(f, "({a} ? {b} : {c})"),
        }
    }
}
