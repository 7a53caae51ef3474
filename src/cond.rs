//! Condition expressions of `#if`/`#elif`: parsing, structural normalisation and partial evaluation.
//!
//! - [`parse`] turns the text after `#if` into an [`Expr`] whose nodes keep their byte spans, so
//!   errors point into the file and a simplified condition can be written back from its own text.
//! - [`Norm`] is the normalised form used to compare a rule's condition with a file's:
//!   `defined X` ≡ `defined(X)`, parentheses dropped, `&&`/`||` flattened and their operands
//!   sorted. `#ifdef X` and `#ifndef X` normalise to `defined(X)` and `!defined(X)`.
//! - [`simplify`] evaluates under assumptions the way unifdef does: three-valued (known true,
//!   known false, unknown), with `&&`/`||` short-circuiting on known operands and keeping the
//!   unknown ones.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

/// A parsed expression node. `span` is the node's text in the source (`None` for a node built by
/// simplification, which is rendered from its parts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Option<Range<usize>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExprKind {
    Int(i64),
    Ident(String),
    Defined(String),
    /// A function-like macro in a condition (`KERNEL_VERSION(2,6,0)`): never evaluated.
    Call(String, Vec<Expr>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Ternary(Box<Expr>, Box<Expr>, Box<Expr>),
    Paren(Box<Expr>),
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
    fn precedence(self) -> u8 {
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

/// A condition that does not parse. `at` is a byte offset in the text given to [`parse`] plus
/// its `base`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub span: Range<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Int(i64),
    Ident(String),
    Punct(&'static str),
}

const PUNCTS: [&str; 25] = [
    "&&", "||", "==", "!=", "<=", ">=", "<<", ">>", "(", ")", "!", "~", "*", "/", "%", "+", "-",
    "<", ">", "&", "^", "|", "?", ":", ",",
];

fn lex(text: &[u8], base: usize) -> Result<Vec<(Token, Range<usize>)>, ParseError> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let byte = text[i];
        if byte.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if byte.is_ascii_alphabetic() || byte == b'_' {
            while i < text.len() && (text[i].is_ascii_alphanumeric() || text[i] == b'_') {
                i += 1;
            }
            let name = String::from_utf8_lossy(&text[start..i]).into_owned();
            tokens.push((Token::Ident(name), base + start..base + i));
        } else if byte.is_ascii_digit() {
            while i < text.len() && (text[i].is_ascii_alphanumeric() || text[i] == b'_') {
                i += 1;
            }
            let value = parse_int(&text[start..i]).ok_or_else(|| ParseError {
                message: format!(
                    "invalid integer literal `{}`",
                    String::from_utf8_lossy(&text[start..i])
                ),
                span: base + start..base + i,
            })?;
            tokens.push((Token::Int(value), base + start..base + i));
        } else if byte == b'\'' {
            // A character literal: 'a' or a simple escape.
            let (value, len) = parse_char(&text[i..]).ok_or_else(|| ParseError {
                message: "invalid character literal".to_string(),
                span: base + start..base + text.len(),
            })?;
            i += len;
            tokens.push((Token::Int(value), base + start..base + i));
        } else {
            let punct = PUNCTS
                .iter()
                .find(|punct| text[i..].starts_with(punct.as_bytes()))
                .ok_or_else(|| ParseError {
                    message: format!(
                        "unexpected `{}` in condition",
                        String::from_utf8_lossy(&text[i..i + 1])
                    ),
                    span: base + i..base + i + 1,
                })?;
            i += punct.len();
            tokens.push((Token::Punct(punct), base + start..base + i));
        }
    }
    Ok(tokens)
}

/// An integer literal with an optional `u`/`l` suffix, in decimal, octal or hex.
fn parse_int(text: &[u8]) -> Option<i64> {
    let digits_end = text
        .iter()
        .rposition(|byte| !matches!(byte, b'u' | b'U' | b'l' | b'L'))
        .map_or(0, |last| last + 1);
    let digits = std::str::from_utf8(&text[..digits_end]).ok()?;
    let value = if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        u64::from_str_radix(hex, 16).ok()?
    } else if digits.len() > 1 && digits.starts_with('0') {
        u64::from_str_radix(&digits[1..], 8).ok()?
    } else {
        digits.parse::<u64>().ok()?
    };
    Some(value as i64)
}

fn parse_char(text: &[u8]) -> Option<(i64, usize)> {
    match text {
        [b'\'', b'\\', escaped, b'\'', ..] => {
            let value = match escaped {
                b'n' => b'\n',
                b't' => b'\t',
                b'r' => b'\r',
                b'0' => 0,
                other => *other,
            };
            Some((i64::from(value), 4))
        }
        [b'\'', byte, b'\'', ..] => Some((i64::from(*byte), 3)),
        _ => None,
    }
}

/// The most tokens a condition may have: real ones have a few dozen. The limit (with
/// [`MAX_NESTING`]) bounds the depth of an [`Expr`], which the passes over it walk recursively.
pub const MAX_TOKENS: usize = 1024;

/// The deepest nesting of parentheses, unary operators and `?:` a condition may have.
pub const MAX_NESTING: usize = 256;

struct Parser {
    tokens: Vec<(Token, Range<usize>)>,
    position: usize,
    end: usize,
    /// How deep `expression`/`unary` are nested now.
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position).map(|(token, _)| token)
    }

    fn peek_punct(&self) -> Option<&'static str> {
        match self.peek() {
            Some(Token::Punct(punct)) => Some(punct),
            _ => None,
        }
    }

    fn span_here(&self) -> Range<usize> {
        self.tokens
            .get(self.position)
            .map_or(self.end..self.end, |(_, span)| span.clone())
    }

    fn next(&mut self) -> Option<(Token, Range<usize>)> {
        let token = self.tokens.get(self.position).cloned();
        self.position += 1;
        token
    }

    fn error<T>(&self, message: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError {
            message: message.into(),
            span: self.span_here(),
        })
    }

    fn expect(&mut self, punct: &'static str) -> Result<Range<usize>, ParseError> {
        if self.peek_punct() == Some(punct) {
            let (_, span) = self.next().ok_or_else(|| ParseError {
                message: format!("expected `{punct}`"),
                span: self.end..self.end,
            })?;
            Ok(span)
        } else {
            self.error(format!("expected `{punct}`"))
        }
    }

    /// Go one level deeper, or fail if that is beyond [`MAX_NESTING`]; `leave` undoes it.
    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return self.error(format!(
                "condition nested more than {MAX_NESTING} levels deep (parentheses, unary operators, `?:`)"
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// `parse` one level deeper.
    fn nested(
        &mut self,
        parse: impl FnOnce(&mut Self) -> Result<Expr, ParseError>,
    ) -> Result<Expr, ParseError> {
        self.enter()?;
        let expr = parse(self);
        self.leave();
        expr
    }

    fn expression(&mut self) -> Result<Expr, ParseError> {
        let condition = self.binary(1)?;
        if self.peek_punct() != Some("?") {
            return Ok(condition);
        }
        self.next();
        let then = self.nested(Self::expression)?;
        self.expect(":")?;
        let otherwise = self.nested(Self::expression)?;
        let span = join(&condition, &otherwise);
        Ok(Expr {
            kind: ExprKind::Ternary(Box::new(condition), Box::new(then), Box::new(otherwise)),
            span,
        })
    }

    fn binary(&mut self, min_precedence: u8) -> Result<Expr, ParseError> {
        let mut left = self.unary()?;
        while let Some(op) = self.peek_punct().and_then(binary_op) {
            if op.precedence() < min_precedence {
                break;
            }
            self.next();
            let right = self.binary(op.precedence() + 1)?;
            let span = join(&left, &right);
            left = Expr {
                kind: ExprKind::Binary(op, Box::new(left), Box::new(right)),
                span,
            };
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        let op = match self.peek_punct() {
            Some("!") => Some(UnaryOp::Not),
            Some("-") => Some(UnaryOp::Neg),
            Some("+") => Some(UnaryOp::Plus),
            Some("~") => Some(UnaryOp::BitNot),
            _ => None,
        };
        if let Some(op) = op {
            let start = self.span_here().start;
            self.next();
            let operand = self.nested(Self::unary)?;
            let end = operand.span.as_ref().map_or(start, |span| span.end);
            return Ok(Expr {
                kind: ExprKind::Unary(op, Box::new(operand)),
                span: Some(start..end),
            });
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let Some((token, span)) = self.next() else {
            self.position -= 1;
            return self.error("expected an expression");
        };
        match token {
            Token::Int(value) => Ok(Expr {
                kind: ExprKind::Int(value),
                span: Some(span),
            }),
            Token::Punct("(") => {
                let inner = self.nested(Self::expression)?;
                let close = self.expect(")")?;
                Ok(Expr {
                    kind: ExprKind::Paren(Box::new(inner)),
                    span: Some(span.start..close.end),
                })
            }
            Token::Ident(name) if name == "defined" => self.defined(span.start),
            Token::Ident(name) => {
                if self.peek_punct() != Some("(") {
                    return Ok(Expr {
                        kind: ExprKind::Ident(name),
                        span: Some(span),
                    });
                }
                self.next();
                let mut arguments = Vec::new();
                if self.peek_punct() != Some(")") {
                    loop {
                        arguments.push(self.nested(Self::expression)?);
                        if self.peek_punct() != Some(",") {
                            break;
                        }
                        self.next();
                    }
                }
                let close = self.expect(")")?;
                Ok(Expr {
                    kind: ExprKind::Call(name, arguments),
                    span: Some(span.start..close.end),
                })
            }
            Token::Punct(punct) => {
                self.position -= 1;
                self.error(format!("expected an expression, found `{punct}`"))
            }
        }
    }

    fn defined(&mut self, start: usize) -> Result<Expr, ParseError> {
        let parenthesised = self.peek_punct() == Some("(");
        if parenthesised {
            self.next();
        }
        let name = match self.next() {
            Some((Token::Ident(name), span)) => (name, span),
            _ => {
                self.position -= 1;
                return self.error("expected a macro name after `defined`");
            }
        };
        let end = if parenthesised {
            self.expect(")")?.end
        } else {
            name.1.end
        };
        Ok(Expr {
            kind: ExprKind::Defined(name.0),
            span: Some(start..end),
        })
    }
}

fn binary_op(punct: &str) -> Option<BinaryOp> {
    Some(match punct {
        "*" => BinaryOp::Mul,
        "/" => BinaryOp::Div,
        "%" => BinaryOp::Rem,
        "+" => BinaryOp::Add,
        "-" => BinaryOp::Sub,
        "<<" => BinaryOp::Shl,
        ">>" => BinaryOp::Shr,
        "<" => BinaryOp::Lt,
        ">" => BinaryOp::Gt,
        "<=" => BinaryOp::Le,
        ">=" => BinaryOp::Ge,
        "==" => BinaryOp::Eq,
        "!=" => BinaryOp::Ne,
        "&" => BinaryOp::BitAnd,
        "^" => BinaryOp::BitXor,
        "|" => BinaryOp::BitOr,
        "&&" => BinaryOp::And,
        "||" => BinaryOp::Or,
        _ => return None,
    })
}

fn join(left: &Expr, right: &Expr) -> Option<Range<usize>> {
    match (&left.span, &right.span) {
        (Some(left), Some(right)) => Some(left.start..right.end),
        _ => None,
    }
}

/// Parse a condition. `text` is the expression's bytes (comments already blanked), `base` the
/// offset of its first byte in the file, so that spans are file offsets.
pub fn parse(text: &[u8], base: usize) -> Result<Expr, ParseError> {
    let tokens = lex(text, base)?;
    if tokens.is_empty() {
        return Err(ParseError {
            message: "missing condition".to_string(),
            span: base..base + text.len(),
        });
    }
    if tokens.len() > MAX_TOKENS {
        return Err(ParseError {
            message: format!(
                "condition too long: {} tokens, cdefang reads up to {MAX_TOKENS}",
                tokens.len()
            ),
            span: base..base + text.len(),
        });
    }
    let mut parser = Parser {
        tokens,
        position: 0,
        end: base + text.len(),
        depth: 0,
    };
    let expr = parser.expression()?;
    if parser.position < parser.tokens.len() {
        return parser.error("unexpected token after the condition");
    }
    Ok(expr)
}

/// A condition in normal form, for structural comparison.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Norm {
    Int(i64),
    Ident(String),
    Defined(String),
    Call(String, Vec<Norm>),
    Unary(UnaryOp, Box<Norm>),
    Binary(BinaryOp, Box<Norm>, Box<Norm>),
    And(Vec<Norm>),
    Or(Vec<Norm>),
    Ternary(Box<Norm>, Box<Norm>, Box<Norm>),
}

impl Norm {
    /// Normalise a parsed expression.
    pub fn of(expr: &Expr) -> Norm {
        match &expr.kind {
            ExprKind::Int(value) => Norm::Int(*value),
            ExprKind::Ident(name) => Norm::Ident(name.clone()),
            ExprKind::Defined(name) => Norm::Defined(name.clone()),
            ExprKind::Call(name, arguments) => {
                Norm::Call(name.clone(), arguments.iter().map(Norm::of).collect())
            }
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

    /// True if the condition tests `name` (as `defined(name)` or as a value).
    pub fn uses(&self, name: &str) -> bool {
        match self {
            Norm::Int(_) => false,
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

    /// Every symbol the condition tests, with repeats.
    pub fn symbols<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Norm::Int(_) => {}
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
            Norm::Ident(name) => write!(f, "{name}"),
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
                let symbol = match op {
                    UnaryOp::Not => "!",
                    UnaryOp::Neg => "-",
                    UnaryOp::Plus => "+",
                    UnaryOp::BitNot => "~",
                };
                match **operand {
                    Norm::Binary(..) | Norm::And(_) | Norm::Or(_) | Norm::Ternary(..) => {
                        write!(f, "{symbol}({operand})")
                    }
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

/// Write an expression back as text: nodes that kept their span are copied from `source` (with
/// runs of white space, such as a former line continuation, folded to one space); nodes built by
/// simplification are rendered from their parts.
pub fn render(expr: &Expr, source: &[u8]) -> String {
    if let Some(span) = &expr.span {
        let text = String::from_utf8_lossy(&source[span.clone()]);
        return text.split_ascii_whitespace().collect::<Vec<_>>().join(" ");
    }
    match &expr.kind {
        ExprKind::Int(value) => value.to_string(),
        ExprKind::Ident(name) => name.clone(),
        ExprKind::Defined(name) => format!("defined({name})"),
        ExprKind::Call(name, arguments) => {
            let arguments: Vec<String> = arguments.iter().map(|a| render(a, source)).collect();
            format!("{name}({})", arguments.join(", "))
        }
        ExprKind::Unary(op, operand) => {
            let symbol = match op {
                UnaryOp::Not => "!",
                UnaryOp::Neg => "-",
                UnaryOp::Plus => "+",
                UnaryOp::BitNot => "~",
            };
            format!("{symbol}{}", render(operand, source))
        }
        ExprKind::Binary(op, left, right) => {
            let side = |side: &Expr| {
                let text = render(side, source);
                match &side.kind {
                    ExprKind::Binary(inner, ..) if inner.precedence() < op.precedence() => {
                        format!("({text})")
                    }
                    _ => text,
                }
            };
            format!("{} {} {}", side(left), op.symbol(), side(right))
        }
        ExprKind::Ternary(a, b, c) => format!(
            "{} ? {} : {}",
            render(a, source),
            render(b, source),
            render(c, source)
        ),
        ExprKind::Paren(inner) => format!("({})", render(inner, source)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pass over the deepest and longest conditions the limits allow, on a thread with
    /// the 2 MiB stack Rust gives spawned threads, in a debug build; one step beyond each limit
    /// is a `ParseError`, not a stack overflow.
    #[test]
    fn limits_bound_the_depth_of_every_pass() {
        let deepest = [
            format!(
                "{}A{}",
                "(".repeat(MAX_NESTING - 1),
                ")".repeat(MAX_NESTING - 1)
            ),
            format!("{}A", "!".repeat(MAX_NESTING - 1)),
            format!("A{}", " ? A : A".repeat((MAX_TOKENS - 1) / 4)),
            format!("A{}", " + 1".repeat((MAX_TOKENS - 1) / 2)),
            format!("A{}", " && B".repeat((MAX_TOKENS - 1) / 2)),
        ];
        let too_deep = [
            format!(
                "{}A{}",
                "(".repeat(MAX_NESTING + 1),
                ")".repeat(MAX_NESTING + 1)
            ),
            format!("{}A", "!".repeat(MAX_NESTING + 1)),
            format!("A{}", " ? A : A".repeat(MAX_NESTING + 1)),
            format!("A{}", " + 1".repeat(MAX_TOKENS / 2)),
        ];
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                let mut assumptions = Assumptions::default();
                assumptions.define("A");
                for text in &deepest {
                    let expr = parse(text.as_bytes(), 0)
                        .unwrap_or_else(|error| panic!("{}: {error:?}", &text[..20]));
                    let _ = Norm::of(&expr).to_string();
                    let _ = render(&expr, text.as_bytes());
                    let _ = resolve(&expr, &assumptions);
                    if let Value::Unknown(rest) = simplify(&expr, &Assumptions::default()) {
                        let _ = render(&rest, text.as_bytes());
                    }
                }
                for text in &too_deep {
                    let Err(error) = parse(text.as_bytes(), 0) else {
                        panic!("{}… parses", &text[..20]);
                    };
                    assert!(
                        error.message.contains("levels deep") || error.message.contains("too long"),
                        "{}",
                        error.message
                    );
                }
            })
            .unwrap()
            .join()
            .unwrap();
    }

    fn norm(text: &str) -> Norm {
        Norm::of(&parse(text.as_bytes(), 0).unwrap())
    }

    #[test]
    fn structural_equality_ignores_spelling() {
        assert_eq!(
            norm("defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)"),
            norm("!defined OBSOLETE_LINUX_KERNEL&&(defined   __linux__)")
        );
        assert_eq!(norm("(A || B) || C"), norm("C || (B || A)"));
        assert_ne!(norm("A && B || C"), norm("A && (B || C)"));
        assert_ne!(norm("A < B"), norm("B < A"));
    }

    #[test]
    fn precedence_and_literals() {
        assert_eq!(
            norm("1 + 2 * 3 == 7 && 0x10 == 16 && 010 == 8 && 2L > 1u"),
            norm("((1 + (2 * 3)) == 7) && (0x10 == 16) && (010 == 8) && (2L > 1u)")
        );
        let value = simplify(
            &parse(b"1 + 2 * 3 == 7 && 0x10 == 16 && 010 == 8", 0).unwrap(),
            &Assumptions::default(),
        );
        assert_eq!(value, Value::Known(1));
    }

    #[test]
    fn parse_errors_point_at_the_token() {
        let error = parse(b"defined(A) &&", 10).unwrap_err();
        assert_eq!(error.span, 23..23);
        let error = parse(b"A @ B", 0).unwrap_err();
        assert_eq!(error.span, 2..3);
        assert!(parse(b"(A", 0).is_err());
        assert!(parse(b"", 0).is_err());
        assert!(parse(b"defined", 0).is_err());
    }

    fn simplified(text: &str, assumptions: &Assumptions) -> String {
        match simplify(&parse(text.as_bytes(), 0).unwrap(), assumptions) {
            Value::Known(value) => format!("= {value}"),
            Value::Unknown(expr) => render(&expr, text.as_bytes()),
        }
    }

    #[test]
    fn three_valued_simplification() {
        let mut assumptions = Assumptions::default();
        assumptions.define("FOO");
        assumptions.define("BAR=2");
        assumptions.undefine("BAZ");
        assert_eq!(simplified("FOO && X", &assumptions), "X");
        assert_eq!(simplified("defined(BAZ) && X", &assumptions), "= 0");
        assert_eq!(simplified("X || defined FOO", &assumptions), "= 1");
        assert_eq!(simplified("BAR == 2", &assumptions), "= 1");
        assert_eq!(simplified("BAZ", &assumptions), "= 0");
        assert_eq!(simplified("(X || FOO) && Y", &assumptions), "Y");
        assert_eq!(
            simplified("(X || BAZ) && (Y || Z)", &assumptions),
            "X && (Y || Z)"
        );
        assert_eq!(simplified("!defined(FOO) || Y", &assumptions), "Y");
        assert_eq!(
            simplified("defined(X) &&   Y", &assumptions),
            "defined(X) && Y"
        );
        assert_eq!(simplified("KERNEL(2, 6)", &assumptions), "KERNEL(2, 6)");
        assert_eq!(
            simplified("BAR * 2 + 1 > 4 && BAR << 1 == 4", &assumptions),
            "= 1"
        );
        assert_eq!(simplified("FOO ? BAR : X", &assumptions), "= 2");
    }

    #[test]
    fn symbolic_values_stay_unknown_but_are_defined() {
        let mut assumptions = Assumptions::default();
        assumptions.define("ARCH=X86");
        assumptions.define("NEG=-3");
        assert_eq!(simplified("defined(ARCH)", &assumptions), "= 1");
        assert_eq!(simplified("ARCH == 2", &assumptions), "ARCH == 2");
        assert_eq!(simplified("NEG < 0", &assumptions), "= 1");
    }

    #[test]
    fn resolve_leaves_symbol_free_conditions_unless_asked() {
        let resolved = |text: &str, constants: bool| {
            let assumptions = Assumptions {
                constants,
                ..Assumptions::default()
            };
            match resolve(&parse(text.as_bytes(), 0).unwrap(), &assumptions) {
                Value::Known(value) => format!("= {value}"),
                Value::Unknown(expr) => render(&expr, text.as_bytes()),
            }
        };
        assert_eq!(resolved("0", false), "0");
        assert_eq!(resolved("1 || 0", false), "1 || 0");
        assert_eq!(resolved("0", true), "= 0");
        assert_eq!(resolved("X && 0", false), "= 0");
        assert_eq!(resolved("X || (1)", false), "= 1");
    }
}
