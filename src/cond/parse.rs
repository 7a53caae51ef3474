//! The condition parser: a lexer (integers with their suffixes, character constants,
//! identifiers, punctuation) and a recursive-descent parser by precedence, bounded by
//! [`MAX_TOKENS`] and [`MAX_NESTING`].

use std::ops::Range;

use super::{BinaryOp, Expr, ExprKind, Number, UnaryOp, is_c_space};

/// A condition that does not parse. `at` is a byte offset in the text given to [`parse`] plus
/// its `base`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub span: Range<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Int(Number),
    Ident(String),
    Punct(&'static str),
    /// `__has_include(<version>)`, `__has_include_next("x.h")`: a header name is not an
    /// expression, the whole term is kept as text.
    Opaque(String),
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
        if is_c_space(&byte) {
            i += 1;
            continue;
        }
        let start = i;
        if byte.is_ascii_alphabetic() || byte == b'_' {
            while i < text.len() && (text[i].is_ascii_alphanumeric() || text[i] == b'_') {
                i += 1;
            }
            let name = String::from_utf8_lossy(&text[start..i]).into_owned();
            // A wide or Unicode character constant: `L'x'`, `u'x'`, `U'x'`, `u8'x'`.
            if matches!(name.as_str(), "L" | "u" | "U" | "u8") && text.get(i) == Some(&b'\'') {
                let (value, len) = parse_char(&text[i..], &name).ok_or_else(|| ParseError {
                    message: "invalid character constant".to_string(),
                    span: base + start..base + text.len(),
                })?;
                i += len;
                tokens.push((Token::Int(value), base + start..base + i));
                continue;
            }
            let open = i + text[i..].iter().take_while(|byte| is_c_space(byte)).count();
            if matches!(name.as_str(), "__has_include" | "__has_include_next")
                && text.get(open) == Some(&b'(')
                && let Some(close) = text[open..].iter().position(|&byte| byte == b')')
            {
                i = open + close + 1;
                let whole = String::from_utf8_lossy(&text[start..i]).into_owned();
                tokens.push((Token::Opaque(whole), base + start..base + i));
                continue;
            }
            tokens.push((Token::Ident(name), base + start..base + i));
        } else if byte.is_ascii_digit()
            || (byte == b'.' && text.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            i = start + pp_number_len(&text[start..]);
            let value = Number::parse_literal(&text[start..i]).ok_or_else(|| ParseError {
                message: format!(
                    "invalid integer literal `{}`",
                    String::from_utf8_lossy(&text[start..i])
                ),
                span: base + start..base + i,
            })?;
            tokens.push((Token::Int(value), base + start..base + i));
        } else if byte == b'\'' {
            let (value, len) = parse_char(&text[i..], "").ok_or_else(|| ParseError {
                message: "invalid character constant".to_string(),
                span: base + start..base + text.len(),
            })?;
            i += len;
            tokens.push((Token::Int(value), base + start..base + i));
        } else if text[i..].starts_with(b"--") || text[i..].starts_with(b"++") {
            // One token for the preprocessor, and not one `#if` takes (gcc refuses it), not
            // two signs.
            return Err(ParseError {
                message: format!(
                    "`{}` is not valid in a condition",
                    String::from_utf8_lossy(&text[i..i + 2])
                ),
                span: base + i..base + i + 2,
            });
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

/// The length of the pp-number at the start of `text` (C17 6.4.8: a digit or `.` digit, then
/// digits, letters, `_`, `.`, and a sign after `e`, `E`, `p` or `P`), which the preprocessor
/// reads as one token before it asks whether it is an integer: `0x1e+1` is one pp-number (not
/// `0x1e + 1`), `1lul` one with a bad suffix.
fn pp_number_len(text: &[u8]) -> usize {
    let mut length = 1;
    while let Some(&byte) = text.get(length) {
        let sign_after_exponent =
            matches!(byte, b'+' | b'-') && matches!(text[length - 1], b'e' | b'E' | b'p' | b'P');
        if byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'.' || sign_after_exponent {
            length += 1;
        } else {
            break;
        }
    }
    length
}

/// A character constant at the start of `text` (from its `'`; `prefix`: `""`, `L`, `u`, `U` or
/// `u8`): its value and type as gcc gives them in `#if`, and its length. A plain one is a `char`
/// (signed, as on x86: `'\xff'` is -1); several characters make an `int`, each shifting the ones
/// before by 8 bits (`'ab'` is 0x6162). `L'…'` is a `wchar_t`, a signed 32-bit `int`; `u'…'`
/// (16 bits), `U'…'` (32 bits) and `u8'…'` (8 bits, C23) are unsigned types, so their value is
/// unsigned in `#if` (`u'a' - 'b' > 0` is true), as cpplib makes it. A prefixed constant of
/// several characters is its last one (gcc warns that it is too long for its type), except
/// `u8'…'`, which gcc refuses. Escapes: the simple ones, octal (up to three digits) and
/// hexadecimal. A character outside ASCII in a prefixed constant is its code point (the
/// source is read as UTF-8, as gcc reads it); in a plain one, its bytes.
fn parse_char(text: &[u8], prefix: &str) -> Option<(Number, usize)> {
    if text.first() != Some(&b'\'') {
        return None;
    }
    let mut values: Vec<i64> = Vec::new();
    let mut i = 1;
    loop {
        match *text.get(i)? {
            b'\'' => break,
            b'\n' => return None,
            b'\\' => {
                i += 1;
                let escaped = *text.get(i)?;
                i += 1;
                let value = match escaped {
                    b'n' => 10,
                    b't' => 9,
                    b'r' => 13,
                    b'a' => 7,
                    b'b' => 8,
                    b'f' => 12,
                    b'v' => 11,
                    b'e' | b'E' => 27,
                    b'\\' | b'\'' | b'"' | b'?' => i64::from(escaped),
                    b'0'..=b'7' => {
                        let mut value = i64::from(escaped - b'0');
                        for _ in 0..2 {
                            match text.get(i) {
                                Some(digit @ b'0'..=b'7') => {
                                    value = value * 8 + i64::from(digit - b'0');
                                    i += 1;
                                }
                                _ => break,
                            }
                        }
                        value
                    }
                    b'x' => {
                        let digits = text[i..]
                            .iter()
                            .take_while(|byte| byte.is_ascii_hexdigit())
                            .count();
                        if digits == 0 {
                            return None;
                        }
                        let mut value: i64 = 0;
                        for digit in &text[i..i + digits] {
                            let digit = i64::from((*digit as char).to_digit(16)?);
                            value = value.wrapping_mul(16).wrapping_add(digit);
                        }
                        i += digits;
                        value
                    }
                    _ => return None,
                };
                values.push(value);
            }
            // A wide or Unicode constant holds characters, not bytes: `L'é'` is 233, as gcc
            // reads the UTF-8 source (a plain `'é'` is its two bytes packed, 0xC3A9).
            byte if byte >= 0x80 && !prefix.is_empty() => {
                let length = match byte {
                    0xc0..=0xdf => 2,
                    0xe0..=0xef => 3,
                    0xf0..=0xf7 => 4,
                    _ => return None,
                };
                let character = std::str::from_utf8(text.get(i..i + length)?)
                    .ok()?
                    .chars()
                    .next()?;
                let code = i64::from(u32::from(character));
                // One UTF-16 unit or one byte is all `u'…'` and `u8'…'` hold.
                if (prefix == "u" && code > 0xffff) || prefix == "u8" {
                    return None;
                }
                values.push(code);
                i += length;
            }
            byte => {
                values.push(i64::from(byte));
                i += 1;
            }
        }
    }
    let unsigned = |bits: i64, mask: i64| Number {
        bits: (bits & mask) as u64,
        unsigned: true,
    };
    let value = match (prefix, values.as_slice()) {
        (_, []) | ("u8", [_, _, ..]) => return None,
        ("L", [.., last]) => Number::signed(i64::from(*last as i32)),
        ("u", [.., last]) => unsigned(*last, 0xffff),
        ("U", [.., last]) => unsigned(*last, 0xffff_ffff),
        ("u8", [one]) => unsigned(*one, 0xff),
        (_, [one]) => Number::signed(i64::from(*one as u8 as i8)),
        (_, many) => {
            let packed = many
                .iter()
                .fold(0i64, |packed, value| (packed << 8) | (value & 0xff));
            Number::signed(i64::from(packed as i32))
        }
    };
    Some((value, i + 1))
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
            Token::Opaque(text) => Ok(Expr {
                kind: ExprKind::Opaque(text),
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
