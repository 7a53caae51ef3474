//! Writing a condition back as text: spanned nodes from their own text, built ones from their
//! parts, never gluing two operators into one token (`- -B`, not `--B`).

use super::{Expr, ExprKind, UnaryOp, fold_c_space};

/// Write an expression back as text: nodes that kept their span are copied from `source` (with
/// runs of white space, such as a former line continuation, folded to one space); nodes built by
/// simplification are rendered from their parts.
pub fn render(expr: &Expr, source: &[u8]) -> String {
    if let Some(span) = &expr.span {
        let text = String::from_utf8_lossy(&source[span.clone()]);
        return fold_c_space(&text);
    }
    match &expr.kind {
        ExprKind::Int(value) => value.to_string(),
        ExprKind::Ident(name) | ExprKind::Opaque(name) => name.clone(),
        ExprKind::Defined(name) => format!("defined({name})"),
        ExprKind::Call(name, arguments) => {
            let arguments: Vec<String> = arguments.iter().map(|a| render(a, source)).collect();
            format!("{name}({})", arguments.join(", "))
        }
        ExprKind::Unary(op, operand) => {
            let symbol = op.symbol();
            let operand = render(operand, source);
            // `-` before `-B` (or `+` before `+B`) glued would read as `--`, a decrement, which
            // `#if` refuses: a space keeps them two operators.
            let space = if matches!(op, UnaryOp::Neg | UnaryOp::Plus) && operand.starts_with(symbol)
            {
                " "
            } else {
                ""
            };
            format!("{symbol}{space}{operand}")
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
