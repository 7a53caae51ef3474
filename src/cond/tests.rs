//! Tests of the condition passes together.

use super::parse::{MAX_NESTING, MAX_TOKENS};
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
    // De Morgan: a negated `&&`/`||` equals its operands negated under the other operator.
    assert_eq!(
        norm("!(defined(A) || defined(B))"),
        norm("!defined(B) && !defined(A)")
    );
    assert_eq!(norm("!(P && !Q)"), norm("!P || Q"));
    assert_ne!(norm("!(A && B)"), norm("!A && !B"));
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
    // A name left in its parentheses keeps them: it may be a macro for `a || b`.
    assert_eq!(
        simplified("(X || BAZ) && (Y || Z)", &assumptions),
        "(X) && (Y || Z)"
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

/// Two unary operators rendered next to each other never make one token: `- -B` glued is `--B`,
/// a decrement that `#if` refuses.
#[test]
fn render_never_glues_unary_operators() {
    let built = |op: UnaryOp, operand: Expr| Expr {
        kind: ExprKind::Unary(op, Box::new(operand)),
        span: None,
    };
    let name = Expr {
        kind: ExprKind::Ident("B".to_string()),
        span: None,
    };
    let cases = [
        (UnaryOp::Neg, UnaryOp::Neg, "- -B"),
        (UnaryOp::Plus, UnaryOp::Plus, "+ +B"),
        (UnaryOp::Neg, UnaryOp::Plus, "-+B"),
        (UnaryOp::Plus, UnaryOp::Neg, "+-B"),
        (UnaryOp::Not, UnaryOp::Not, "!!B"),
        (UnaryOp::Neg, UnaryOp::BitNot, "-~B"),
    ];
    for (outer, inner, expected) in cases {
        let expr = built(outer, built(inner, name.clone()));
        assert_eq!(render(&expr, b""), expected);
        assert!(parse(expected.as_bytes(), 0).is_ok(), "{expected}");
    }
    // Glued, they are one token, which no condition may hold.
    for glued in ["--B", "++B", "A--", "1 + ++B"] {
        assert!(parse(glued.as_bytes(), 0).is_err(), "{glued}");
    }
    // A spanned operand that starts with `-` keeps its distance too.
    let text = b"-1";
    let expr = built(UnaryOp::Neg, parse(text, 0).unwrap());
    assert_eq!(render(&expr, text), "- -1");
}
