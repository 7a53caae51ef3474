//! The integers of `#if` arithmetic, as C says (C17 6.10.1p4) and `gcc -E` does: every value is
//! an `intmax_t` or a `uintmax_t` (64 bits here), a literal is unsigned when it has a `u`/`U`
//! suffix or does not fit in `intmax_t`, and each operator applies the usual arithmetic
//! conversions (one unsigned operand makes the operation unsigned). Overflow wraps; division by
//! zero has no value; shifts follow cpplib (a negative count shifts the other way, a count of 64
//! or more gives 0, or -1 for a negative signed value shifted right).

use std::fmt;

use super::BinaryOp;

/// One `#if` value: its 64 bits and whether they are a `uintmax_t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Number {
    pub bits: u64,
    pub unsigned: bool,
}

impl Number {
    pub fn signed(value: i64) -> Number {
        Number {
            bits: value as u64,
            unsigned: false,
        }
    }

    pub fn truth(value: bool) -> Number {
        Number::signed(i64::from(value))
    }

    pub fn is_true(self) -> bool {
        self.bits != 0
    }

    /// The value as an `i64` of the same bits (a `uintmax_t` above `i64::MAX` is negative).
    pub fn as_i64(self) -> i64 {
        self.bits as i64
    }

    /// An integer literal: a whole pp-number (`0x1e+1` is one, and not a literal), in decimal,
    /// octal, hexadecimal or binary, with one of C's suffixes: `u`, `l`, `ul`, `lu`, `ll`, `ull`
    /// or `llu`, in any case but with both `l`s of `ll` in the same one (`10UL`, `1ull`,
    /// `0x7fffffffLL`; not `1lL`, `1lul`, `1uu`). `None` for anything else, or a value beyond
    /// 64 bits.
    pub fn parse_literal(text: &[u8]) -> Option<Number> {
        let digits_end = text
            .iter()
            .rposition(|byte| !matches!(byte, b'u' | b'U' | b'l' | b'L'))
            .map_or(0, |last| last + 1);
        let suffix_unsigned = suffix_is_unsigned(&text[digits_end..])?;
        let digits = std::str::from_utf8(&text[..digits_end]).ok()?;
        let (radix, digits) = if let Some(hex) = digits
            .strip_prefix("0x")
            .or_else(|| digits.strip_prefix("0X"))
        {
            (16, hex)
        } else if let Some(binary) = digits
            .strip_prefix("0b")
            .or_else(|| digits.strip_prefix("0B"))
        {
            (2, binary)
        } else if digits.len() > 1 && digits.starts_with('0') {
            (8, &digits[1..])
        } else {
            (10, digits)
        };
        if digits.is_empty() || digits.starts_with(['+', '-']) {
            return None;
        }
        let bits = u64::from_str_radix(digits, radix).ok()?;
        Some(Number {
            bits,
            unsigned: suffix_unsigned || bits > i64::MAX as u64,
        })
    }

    /// A `-D` value: a literal, optionally negated (`-1`, `-0x10`).
    pub fn parse_value(text: &str) -> Option<Number> {
        let text = text.trim();
        match text.strip_prefix('-') {
            Some(rest) => Number::parse_literal(rest.trim_start().as_bytes()).map(Number::negate),
            None => Number::parse_literal(text.as_bytes()),
        }
    }

    pub fn negate(self) -> Number {
        Number {
            bits: self.bits.wrapping_neg(),
            unsigned: self.unsigned,
        }
    }

    pub fn complement(self) -> Number {
        Number {
            bits: !self.bits,
            unsigned: self.unsigned,
        }
    }

    /// `self OP other`, or `None` where C gives no value (division by zero).
    pub fn binary(self, op: BinaryOp, other: Number) -> Option<Number> {
        let unsigned = self.unsigned || other.unsigned;
        let typed = |bits: u64| Number { bits, unsigned };
        let (a, b) = (self.bits, other.bits);
        let (sa, sb) = (a as i64, b as i64);
        Some(match op {
            BinaryOp::Mul => typed(a.wrapping_mul(b)),
            BinaryOp::Add => typed(a.wrapping_add(b)),
            BinaryOp::Sub => typed(a.wrapping_sub(b)),
            BinaryOp::Div | BinaryOp::Rem if b == 0 => return None,
            BinaryOp::Div if unsigned => typed(a / b),
            BinaryOp::Rem if unsigned => typed(a % b),
            BinaryOp::Div => typed(sa.wrapping_div(sb) as u64),
            BinaryOp::Rem => typed(sa.wrapping_rem(sb) as u64),
            BinaryOp::Shl => self.shift(other, true),
            BinaryOp::Shr => self.shift(other, false),
            BinaryOp::Lt => Number::truth(self.compare(other).is_lt()),
            BinaryOp::Gt => Number::truth(self.compare(other).is_gt()),
            BinaryOp::Le => Number::truth(self.compare(other).is_le()),
            BinaryOp::Ge => Number::truth(self.compare(other).is_ge()),
            BinaryOp::Eq => Number::truth(a == b),
            BinaryOp::Ne => Number::truth(a != b),
            BinaryOp::BitAnd => typed(a & b),
            BinaryOp::BitXor => typed(a ^ b),
            BinaryOp::BitOr => typed(a | b),
            BinaryOp::And => Number::truth(a != 0 && b != 0),
            BinaryOp::Or => Number::truth(a != 0 || b != 0),
        })
    }

    /// The two values after the usual arithmetic conversions, as a `?:` gives its result.
    pub fn common(self, other: Number) -> (Number, Number) {
        let unsigned = self.unsigned || other.unsigned;
        (
            Number {
                bits: self.bits,
                unsigned,
            },
            Number {
                bits: other.bits,
                unsigned,
            },
        )
    }

    fn compare(self, other: Number) -> std::cmp::Ordering {
        if self.unsigned || other.unsigned {
            self.bits.cmp(&other.bits)
        } else {
            (self.bits as i64).cmp(&(other.bits as i64))
        }
    }

    /// A shift keeps the left operand's type (no usual arithmetic conversions).
    fn shift(self, count: Number, left: bool) -> Number {
        let negative_count = !count.unsigned && (count.bits as i64) < 0;
        let (left, amount) = if negative_count {
            (!left, (count.bits as i64).unsigned_abs())
        } else {
            (left, count.bits)
        };
        let negative = !self.unsigned && (self.bits as i64) < 0;
        let bits = match (left, amount >= 64) {
            (true, true) => 0,
            (true, false) => self.bits << amount,
            (false, true) if negative => u64::MAX,
            (false, true) => 0,
            (false, false) if self.unsigned => self.bits >> amount,
            (false, false) => ((self.bits as i64) >> amount) as u64,
        };
        Number {
            bits,
            unsigned: self.unsigned,
        }
    }
}

/// Whether an integer suffix makes the literal unsigned, or `None` if it is not one of C's:
/// an optional `u` before or after nothing, `l` or `ll` (`LL`), in any case.
fn suffix_is_unsigned(suffix: &[u8]) -> Option<bool> {
    let is_u = |byte: &u8| byte.eq_ignore_ascii_case(&b'u');
    let (unsigned, length) = match (suffix.first(), suffix.last()) {
        (Some(first), _) if is_u(first) => (true, &suffix[1..]),
        (_, Some(last)) if is_u(last) => (true, &suffix[..suffix.len() - 1]),
        _ => (false, suffix),
    };
    matches!(length, b"" | b"l" | b"L" | b"ll" | b"LL").then_some(unsigned)
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.unsigned {
            write!(f, "{}u", self.bits)
        } else {
            write!(f, "{}", self.bits as i64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literal(text: &str) -> Number {
        Number::parse_literal(text.as_bytes()).unwrap()
    }

    #[test]
    fn literals_take_their_type_from_suffix_and_size() {
        assert_eq!(literal("10"), Number::signed(10));
        assert!(literal("10u").unsigned && literal("10ULL").unsigned && literal("1lu").unsigned);
        for suffix in [
            "u", "U", "l", "L", "ul", "Lu", "uL", "LU", "ll", "LL", "ull", "LLU", "uLL", "llU",
        ] {
            assert_eq!(
                literal(&format!("7{suffix}")).unsigned,
                suffix.contains(['u', 'U']),
                "7{suffix}"
            );
        }
        assert!(!literal("10L").unsigned && !literal("0x7fffffffffffffff").unsigned);
        assert!(literal("0x8000000000000000").unsigned);
        assert!(literal("18446744073709551615").unsigned);
        assert_eq!(literal("0xffffffffffffffff").bits, u64::MAX);
        assert_eq!(literal("017"), Number::signed(15));
        assert_eq!(literal("0b101"), Number::signed(5));
        for bad in [
            "18446744073709551616",
            "1uu",
            "1lL",
            "1lll",
            "1lul",
            "1ulu",
            "1Ll",
            "1lu8",
            "0x1e+1",
            "1e+1",
            "0x",
            "09",
            "1a",
        ] {
            assert_eq!(Number::parse_literal(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn operators_apply_the_usual_arithmetic_conversions() {
        let minus_one = Number::signed(-1);
        assert!(
            minus_one
                .binary(BinaryOp::Gt, literal("0u"))
                .unwrap()
                .is_true()
        );
        assert!(
            !minus_one
                .binary(BinaryOp::Gt, literal("0"))
                .unwrap()
                .is_true()
        );
        assert!(
            literal("0x8000000000000000")
                .binary(BinaryOp::Gt, literal("0"))
                .unwrap()
                .is_true()
        );
        assert!(
            !Number::signed(2)
                .binary(BinaryOp::Ge, literal("0xffffffffffffffff"))
                .unwrap()
                .is_true()
        );
        assert_eq!(
            Number::signed(1).binary(BinaryOp::Div, Number::signed(0)),
            None
        );
        assert_eq!(Number::signed(1).binary(BinaryOp::Rem, literal("0u")), None);
        let min = Number::signed(i64::MIN);
        assert_eq!(min.binary(BinaryOp::Div, minus_one), Some(min));
        assert_eq!(
            min.binary(BinaryOp::Rem, minus_one),
            Some(Number::signed(0))
        );
        assert_eq!(
            Number::signed(i64::MAX).binary(BinaryOp::Add, Number::signed(1)),
            Some(min)
        );
        assert_eq!(
            Number::signed(1).binary(BinaryOp::Shl, Number::signed(64)),
            Some(Number::signed(0))
        );
        assert_eq!(
            minus_one.binary(BinaryOp::Shr, Number::signed(100)),
            Some(minus_one)
        );
        assert_eq!(
            Number::signed(8).binary(BinaryOp::Shl, Number::signed(-2)),
            Some(Number::signed(2))
        );
        assert_eq!(
            literal("0xffffffffffffffff").binary(BinaryOp::Shr, Number::signed(60)),
            Some(literal("15u"))
        );
        assert_eq!(
            Number::signed(1).binary(BinaryOp::Shl, literal("1u")),
            Some(Number::signed(2))
        );
    }
}
