//! Evaluation under assumptions, as unifdef's `-D`/`-U`/`-k`: three-valued, keeping what stays
//! unknown as a simplified expression.

use std::collections::BTreeMap;

use super::parse::parse_int;
use super::{BinaryOp, Expr, ExprKind, UnaryOp};

/// What is assumed about symbols, as with unifdef's `-D` and `-U`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Assumptions {
    /// Defined symbols and their values (`-DFOO` is `FOO=1`).
    pub defined: BTreeMap<String, String>,
    /// Symbols known to be undefined.
    pub undefined: Vec<String>,
    /// Every other symbol is taken as defined to 1 (instead of unknown).
    pub others_defined: bool,
    /// Resolve conditions that test no symbol at all (`#if 0`, `#if 1`), as `unifdef -k`. Off by
    /// default, as unifdef: such blocks are usually comments or switches left on purpose.
    pub constants: bool,
}

impl Assumptions {
    /// Add `NAME` or `NAME=VALUE` as defined.
    pub fn define(&mut self, spec: &str) {
        let (name, value) = spec.split_once('=').unwrap_or((spec, "1"));
        self.undefined.retain(|undefined| undefined != name);
        self.defined.insert(name.to_string(), value.to_string());
    }

    pub fn undefine(&mut self, name: &str) {
        self.defined.remove(name);
        if !self.undefined.iter().any(|undefined| undefined == name) {
            self.undefined.push(name.to_string());
        }
    }

    /// Nothing assumed: resolving would change nothing.
    pub fn is_empty(&self) -> bool {
        self.defined.is_empty() && self.undefined.is_empty() && !self.constants
    }

    /// Add `other`'s assumptions; where both speak of a symbol, `other` wins.
    pub fn merge(&mut self, other: &Assumptions) {
        for (name, value) in &other.defined {
            self.define(&format!("{name}={value}"));
        }
        for name in &other.undefined {
            self.undefine(name);
        }
        self.constants |= other.constants;
    }

    /// Each definition as `-D` and a rules file's `define` take it: `X` (for `X=1`), `X=2`.
    pub fn definitions(&self) -> Vec<String> {
        self.defined
            .iter()
            .map(|(name, value)| {
                if value == "1" {
                    name.clone()
                } else {
                    format!("{name}={value}")
                }
            })
            .collect()
    }

    /// The assumptions as unifdef's flags: `-DX`, `-DX=2`, `-UY`.
    pub fn flags(&self) -> Vec<String> {
        let mut flags: Vec<String> = self
            .definitions()
            .into_iter()
            .map(|definition| format!("-D{definition}"))
            .collect();
        flags.extend(self.undefined.iter().map(|name| format!("-U{name}")));
        flags
    }

    /// The assumptions in words: `X defined`, `X=2`, `Y undefined`, then the global ones.
    pub fn in_words(&self) -> Vec<String> {
        let mut parts: Vec<String> = self
            .defined
            .iter()
            .map(|(name, value)| {
                if value == "1" {
                    format!("{name} defined")
                } else {
                    format!("{name}={value}")
                }
            })
            .collect();
        parts.extend(
            self.undefined
                .iter()
                .map(|name| format!("{name} undefined")),
        );
        if self.others_defined {
            parts.push("every other symbol defined".to_string());
        }
        if self.constants {
            parts.push("constant conditions decided (-k)".to_string());
        }
        parts
    }

    /// The symbols assumed defined or undefined, in that order.
    pub fn symbols(&self) -> Vec<String> {
        let mut names: Vec<String> = self.defined.keys().cloned().collect();
        names.extend(self.undefined.iter().cloned());
        names
    }

    fn is_defined(&self, name: &str) -> Option<bool> {
        if self.defined.contains_key(name) {
            Some(true)
        } else if self.undefined.iter().any(|undefined| undefined == name) {
            Some(false)
        } else if self.others_defined {
            Some(true)
        } else {
            None
        }
    }

    fn value(&self, name: &str) -> Option<i64> {
        match self.defined.get(name) {
            Some(value) => parse_int(value.trim().as_bytes()).or_else(|| {
                value
                    .trim()
                    .strip_prefix('-')
                    .and_then(|digits| parse_int(digits.as_bytes()))
                    .map(|value| -value)
            }),
            None if self.undefined.iter().any(|undefined| undefined == name) => Some(0),
            None if self.others_defined => Some(1),
            None => None,
        }
    }
}

/// The value of a condition under assumptions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Known(i64),
    /// Still unknown; the expression is what remains of it after simplification.
    Unknown(Expr),
}

/// What resolving does with one condition, by unifdef's rule: a condition that tests no symbol
/// (`#if 0`, `#if 1 || 0`) stays as it is unless [`Assumptions::constants`]; any other is
/// evaluated and simplified, whether or not it tests an assumed symbol (`#if A && 0` is false).
pub fn resolve(expr: &Expr, assumptions: &Assumptions) -> Value {
    if !assumptions.constants && !tests_symbol(expr) {
        return Value::Unknown(expr.clone());
    }
    simplify(expr, assumptions)
}

/// True if the expression names any symbol (`defined(X)`, `X`, `X(...)`).
fn tests_symbol(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Int(_) => false,
        ExprKind::Ident(_) | ExprKind::Defined(_) | ExprKind::Call(..) => true,
        ExprKind::Paren(inner) | ExprKind::Unary(_, inner) => tests_symbol(inner),
        ExprKind::Binary(_, left, right) => tests_symbol(left) || tests_symbol(right),
        ExprKind::Ternary(condition, then, otherwise) => {
            tests_symbol(condition) || tests_symbol(then) || tests_symbol(otherwise)
        }
    }
}

/// Evaluate `expr` under `assumptions`, simplifying what stays unknown.
pub fn simplify(expr: &Expr, assumptions: &Assumptions) -> Value {
    let known = |value: i64| Value::Known(value);
    match &expr.kind {
        ExprKind::Int(value) => known(*value),
        ExprKind::Ident(name) => match assumptions.value(name) {
            Some(value) => known(value),
            None => Value::Unknown(expr.clone()),
        },
        ExprKind::Defined(name) => match assumptions.is_defined(name) {
            Some(defined) => known(i64::from(defined)),
            None => Value::Unknown(expr.clone()),
        },
        ExprKind::Call(..) => Value::Unknown(expr.clone()),
        ExprKind::Paren(inner) => match simplify(inner, assumptions) {
            Value::Known(value) => known(value),
            Value::Unknown(simplified) if simplified == **inner => Value::Unknown(expr.clone()),
            Value::Unknown(simplified) => Value::Unknown(match simplified.kind {
                // What is left is a single operand: its parentheses are no longer needed.
                ExprKind::Ident(_)
                | ExprKind::Defined(_)
                | ExprKind::Call(..)
                | ExprKind::Paren(_)
                | ExprKind::Int(_) => simplified,
                _ => Expr {
                    kind: ExprKind::Paren(Box::new(simplified)),
                    span: None,
                },
            }),
        },
        ExprKind::Unary(op, operand) => match simplify(operand, assumptions) {
            Value::Known(value) => known(match op {
                UnaryOp::Not => i64::from(value == 0),
                UnaryOp::Neg => value.wrapping_neg(),
                UnaryOp::Plus => value,
                UnaryOp::BitNot => !value,
            }),
            Value::Unknown(simplified) if simplified == **operand => Value::Unknown(expr.clone()),
            Value::Unknown(simplified) => Value::Unknown(Expr {
                kind: ExprKind::Unary(*op, Box::new(simplified)),
                span: None,
            }),
        },
        ExprKind::Binary(op @ (BinaryOp::And | BinaryOp::Or), left, right) => {
            let is_and = *op == BinaryOp::And;
            let left_value = simplify(left, assumptions);
            // A known operand that decides the result short-circuits, unknown or not the other.
            if let Value::Known(value) = left_value
                && (value != 0) != is_and
            {
                return known(i64::from(!is_and));
            }
            let right_value = simplify(right, assumptions);
            if let Value::Known(value) = right_value
                && (value != 0) != is_and
            {
                return known(i64::from(!is_and));
            }
            match (left_value, right_value) {
                (Value::Known(_), Value::Known(_)) => known(i64::from(is_and)),
                (Value::Known(_), Value::Unknown(rest))
                | (Value::Unknown(rest), Value::Known(_)) => Value::Unknown(rest),
                (Value::Unknown(new_left), Value::Unknown(new_right)) => {
                    if new_left == **left && new_right == **right {
                        Value::Unknown(expr.clone())
                    } else {
                        Value::Unknown(Expr {
                            kind: ExprKind::Binary(*op, Box::new(new_left), Box::new(new_right)),
                            span: None,
                        })
                    }
                }
            }
        }
        ExprKind::Binary(op, left, right) => {
            match (simplify(left, assumptions), simplify(right, assumptions)) {
                (Value::Known(a), Value::Known(b)) => match arithmetic(*op, a, b) {
                    Some(value) => known(value),
                    None => Value::Unknown(expr.clone()),
                },
                _ => Value::Unknown(expr.clone()),
            }
        }
        ExprKind::Ternary(condition, then, otherwise) => match simplify(condition, assumptions) {
            Value::Known(value) if value != 0 => simplify(then, assumptions),
            Value::Known(_) => simplify(otherwise, assumptions),
            Value::Unknown(_) => Value::Unknown(expr.clone()),
        },
    }
}

fn arithmetic(op: BinaryOp, a: i64, b: i64) -> Option<i64> {
    Some(match op {
        BinaryOp::Mul => a.wrapping_mul(b),
        BinaryOp::Div => a.checked_div(b)?,
        BinaryOp::Rem => a.checked_rem(b)?,
        BinaryOp::Add => a.wrapping_add(b),
        BinaryOp::Sub => a.wrapping_sub(b),
        BinaryOp::Shl => a.wrapping_shl(u32::try_from(b).ok()?),
        BinaryOp::Shr => a.wrapping_shr(u32::try_from(b).ok()?),
        BinaryOp::Lt => i64::from(a < b),
        BinaryOp::Gt => i64::from(a > b),
        BinaryOp::Le => i64::from(a <= b),
        BinaryOp::Ge => i64::from(a >= b),
        BinaryOp::Eq => i64::from(a == b),
        BinaryOp::Ne => i64::from(a != b),
        BinaryOp::BitAnd => a & b,
        BinaryOp::BitXor => a ^ b,
        BinaryOp::BitOr => a | b,
        BinaryOp::And => i64::from(a != 0 && b != 0),
        BinaryOp::Or => i64::from(a != 0 || b != 0),
    })
}
