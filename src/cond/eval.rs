//! Evaluation under assumptions, as unifdef's `-D`/`-U`/`-k`: three-valued, keeping what stays
//! unknown as a simplified expression.

use std::collections::BTreeMap;

use super::{BinaryOp, Expr, ExprKind, Number, UnaryOp};

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

    /// A symbol's value: its `-D` value when that is a number (`-DX=2`, `-DX=0x10UL`, `-DX=-1`),
    /// 0 when undefined, 1 for every other symbol with [`Assumptions::others_defined`]. A `-D`
    /// value that is not a number (`-DFOO=ZIG`, `-DFOO=bar()`) leaves the symbol unknown, as
    /// unifdef does: only a compiler can expand it.
    fn value(&self, name: &str) -> Option<Number> {
        self.value_within(name, 16)
    }

    /// [`Assumptions::value`], following a value that names another assumed symbol
    /// (`-DFOO=ZIG -DZIG`: FOO is 1, as unifdef takes it) at most `depth` times.
    fn value_within(&self, name: &str, depth: u8) -> Option<Number> {
        match self.defined.get(name) {
            Some(value) => Number::parse_value(value).or_else(|| {
                let value = value.trim();
                let is_name = value.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                    && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                (is_name && depth > 0 && self.defined.contains_key(value))
                    .then(|| self.value_within(value, depth - 1))
                    .flatten()
            }),
            None if self.undefined.iter().any(|undefined| undefined == name) => {
                Some(Number::signed(0))
            }
            None if self.others_defined => Some(Number::signed(1)),
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
        ExprKind::Ident(_) | ExprKind::Defined(_) | ExprKind::Call(..) | ExprKind::Opaque(_) => {
            true
        }
        ExprKind::Paren(inner) | ExprKind::Unary(_, inner) => tests_symbol(inner),
        ExprKind::Binary(_, left, right) => tests_symbol(left) || tests_symbol(right),
        ExprKind::Ternary(condition, then, otherwise) => {
            tests_symbol(condition) || tests_symbol(then) || tests_symbol(otherwise)
        }
    }
}

/// Evaluate `expr` under `assumptions`, simplifying what stays unknown. A known value is given
/// as the `i64` of its bits (only its truth matters to the callers); the arithmetic is C's, see
/// [`Number`].
pub fn simplify(expr: &Expr, assumptions: &Assumptions) -> Value {
    match evaluate(expr, assumptions, Use::Truth) {
        Typed::Known(number) => Value::Known(number.as_i64()),
        // The whole line needs no parentheses around a name left alone (`#if M`).
        Typed::Unknown(Expr {
            kind: ExprKind::Paren(inner),
            span: None,
        }) if matches!(inner.kind, ExprKind::Ident(_) | ExprKind::Call(..)) => {
            Value::Unknown(*inner)
        }
        Typed::Unknown(rest) => Value::Unknown(rest),
        // gcc refuses the line: it stays as it is.
        Typed::NoValue => Value::Unknown(expr.clone()),
    }
}

/// How an operand's value is used, which says what simplifying it may change. `Truth`: only
/// whether it is 0 matters (the directive's top level, the operands of `!`, `&&` and `||`, a `?:`
/// condition, and the branches of a `?:` that is itself used for its truth), so `A && B` with `A`
/// known true may become `B`. `Value`: the number itself matters (the operands of arithmetic,
/// bitwise and comparison operators, and of unary `-`, `+` and `~`), so it may not: `~(A && B)`
/// is never 0, `~B` may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Use {
    Truth,
    Value,
}

/// [`Value`] with the type of a known value kept, as the arithmetic needs.
enum Typed {
    Known(Number),
    Unknown(Expr),
    /// A division or remainder by zero in an operand C evaluates (or may evaluate, for all that
    /// is known): the whole line has no value (gcc refuses it), whatever the other operands. Only
    /// an operand C does not evaluate (after `&&`/`||` decided by the one before it, the branch
    /// of `?:` not taken) may divide by zero.
    NoValue,
}

fn evaluate(expr: &Expr, assumptions: &Assumptions, used: Use) -> Typed {
    use Typed as Value;
    let known = Value::Known;
    let truth = |value: bool| Value::Known(Number::truth(value));
    match &expr.kind {
        ExprKind::Int(value) => known(*value),
        ExprKind::Ident(name) => match assumptions.value(name) {
            Some(value) => known(value),
            None => Value::Unknown(expr.clone()),
        },
        ExprKind::Defined(name) => match assumptions.is_defined(name) {
            Some(defined) => truth(defined),
            None => Value::Unknown(expr.clone()),
        },
        ExprKind::Call(..) | ExprKind::Opaque(_) => Value::Unknown(expr.clone()),
        ExprKind::Paren(inner) => match evaluate(inner, assumptions, used) {
            Value::NoValue => Value::NoValue,
            Value::Known(value) => known(value),
            Value::Unknown(simplified) if simplified == **inner => Value::Unknown(expr.clone()),
            Value::Unknown(simplified) => Value::Unknown(match simplified.kind {
                // What is left is a single operand: its parentheses are no longer needed, but
                // around a name (or a macro call): a macro may expand to an expression
                // (`#define M X+1`), and `!(M)` is not `!M`.
                ExprKind::Defined(_)
                | ExprKind::Opaque(_)
                | ExprKind::Paren(_)
                | ExprKind::Int(_) => simplified,
                _ => Expr {
                    kind: ExprKind::Paren(Box::new(simplified)),
                    span: None,
                },
            }),
        },
        ExprKind::Unary(op, operand) => match evaluate(
            operand,
            assumptions,
            if *op == UnaryOp::Not {
                Use::Truth
            } else {
                Use::Value
            },
        ) {
            Value::NoValue => Value::NoValue,
            Value::Known(value) => known(match op {
                UnaryOp::Not => Number::truth(!value.is_true()),
                UnaryOp::Neg => value.negate(),
                UnaryOp::Plus => value,
                UnaryOp::BitNot => value.complement(),
            }),
            Value::Unknown(simplified) if simplified == **operand => Value::Unknown(expr.clone()),
            Value::Unknown(simplified) => Value::Unknown(Expr {
                kind: ExprKind::Unary(*op, Box::new(simplified)),
                span: None,
            }),
        },
        ExprKind::Binary(op @ (BinaryOp::And | BinaryOp::Or), left, right) => {
            logical(expr, *op, left, right, assumptions, used)
        }
        ExprKind::Binary(op, left, right) => {
            match (
                evaluate(left, assumptions, Use::Value),
                evaluate(right, assumptions, Use::Value),
            ) {
                (Value::NoValue, _) | (_, Value::NoValue) => Value::NoValue,
                // By zero, whatever the dividend: no value.
                (_, Value::Known(divisor))
                    if matches!(op, BinaryOp::Div | BinaryOp::Rem) && !divisor.is_true() =>
                {
                    Value::NoValue
                }
                (Value::Known(a), Value::Known(b)) => match a.binary(*op, b) {
                    Some(value) => known(value),
                    None => Value::NoValue,
                },
                _ => Value::Unknown(expr.clone()),
            }
        }
        ExprKind::Ternary(condition, then, otherwise) => {
            ternary(expr, condition, then, otherwise, assumptions, used)
        }
    }
}

/// `left && right` or `left || right`, short-circuiting on a known operand that decides it. Apart
/// from [`evaluate`] to keep its frame small.
#[inline(never)]
fn logical(
    expr: &Expr,
    op: BinaryOp,
    left: &Expr,
    right: &Expr,
    assumptions: &Assumptions,
    used: Use,
) -> Typed {
    use Typed as Value;
    let truth = |value: bool| Value::Known(Number::truth(value));
    let is_and = op == BinaryOp::And;
    let left_value = evaluate(left, assumptions, Use::Truth);
    // A known operand that decides the result short-circuits, unknown or not the other; but
    // the left one is always evaluated, and the right one whenever the left does not decide.
    if let Value::NoValue = left_value {
        return Value::NoValue;
    }
    if let Value::Known(value) = left_value
        && value.is_true() != is_and
    {
        return truth(!is_and);
    }
    let right_value = evaluate(right, assumptions, Use::Truth);
    if let Value::NoValue = right_value {
        return Value::NoValue;
    }
    if let Value::Known(value) = right_value
        && value.is_true() != is_and
    {
        return truth(!is_and);
    }
    match (left_value, right_value) {
        (Value::NoValue, _) | (_, Value::NoValue) => Value::NoValue,
        (Value::Known(_), Value::Known(_)) => truth(is_and),
        // A known operand that does not decide the result leaves its truth to the
        // other; but the result is 0 or 1 and the other's value may be anything, so
        // only where the truth alone is used may the operation go.
        (Value::Known(_), Value::Unknown(rest)) | (Value::Unknown(rest), Value::Known(_))
            if used == Use::Truth =>
        {
            Value::Unknown(rest)
        }
        (Value::Known(_), Value::Unknown(new_right)) => rebuilt(expr, op, left.clone(), new_right),
        (Value::Unknown(new_left), Value::Known(_)) => rebuilt(expr, op, new_left, right.clone()),
        (Value::Unknown(new_left), Value::Unknown(new_right)) => {
            rebuilt(expr, op, new_left, new_right)
        }
    }
}

/// `expr`, a binary operation, with its operands `left` and `right` (simplified or as written):
/// `expr` itself when they are its own, else a new node.
fn rebuilt(expr: &Expr, op: BinaryOp, left: Expr, right: Expr) -> Typed {
    if let ExprKind::Binary(_, old_left, old_right) = &expr.kind
        && left == **old_left
        && right == **old_right
    {
        return Typed::Unknown(expr.clone());
    }
    Typed::Unknown(Expr {
        kind: ExprKind::Binary(op, Box::new(left), Box::new(right)),
        span: None,
    })
}

/// `condition ? then : otherwise`: the result has the type both branches convert to
/// (`1 ? -1 : 0u` is unsigned), so with the condition known it is the taken branch only where
/// that type cannot change what is used: its truth alone (conversions keep the bits), or a
/// taken branch that is already unsigned, or one whose type the other branch, known and signed,
/// leaves as it is. Otherwise (`(A ? -1 : B) > 0`: true if `B` is unsigned) it stays as it is.
/// Apart from [`evaluate`] to keep its frame small.
#[inline(never)]
fn ternary(
    expr: &Expr,
    condition: &Expr,
    then: &Expr,
    otherwise: &Expr,
    assumptions: &Assumptions,
    used: Use,
) -> Typed {
    let value = match evaluate(condition, assumptions, Use::Truth) {
        Typed::Known(value) => value,
        Typed::NoValue => return Typed::NoValue,
        // Either branch may be evaluated.
        Typed::Unknown(_) => {
            let divides_by_zero =
                |branch: &Expr| matches!(evaluate(branch, assumptions, used), Typed::NoValue);
            if divides_by_zero(then) || divides_by_zero(otherwise) {
                return Typed::NoValue;
            }
            return Typed::Unknown(expr.clone());
        }
    };
    let (taken, other) = if value.is_true() {
        (then, otherwise)
    } else {
        (otherwise, then)
    };
    let taken = evaluate(taken, assumptions, used);
    if used == Use::Truth || matches!(taken, Typed::NoValue) {
        return taken;
    }
    match (taken, evaluate(other, assumptions, used)) {
        (Typed::Known(number), Typed::Known(other)) => Typed::Known(number.common(other).0),
        (Typed::Known(number), _) if number.unsigned => Typed::Known(number),
        (Typed::Unknown(rest), Typed::Known(other)) if !other.unsigned => Typed::Unknown(rest),
        _ => Typed::Unknown(expr.clone()),
    }
}
