//! Typedef names: those of the C library and POSIX, those a file or a tree's headers declare
//! (`typedef … NAME;`), and those a file uses without declaring them, guessed from the shapes
//! only a declaration has. lang-c needs them all to tell a declaration from an expression.

use std::collections::BTreeSet;

use rayon::prelude::*;

use super::keywords;
use super::tokens::{Token, TokenKind, Tokens, top_level_items};
use crate::source::Scan;

/// Typedef names of the C library and POSIX that headers outside a tree declare.
pub const LIBC_TYPEDEFS: &[&str] = &[
    "size_t",
    "ssize_t",
    "ptrdiff_t",
    "off_t",
    "off64_t",
    "pid_t",
    "uid_t",
    "gid_t",
    "mode_t",
    "time_t",
    "suseconds_t",
    "clock_t",
    "clockid_t",
    "socklen_t",
    "sa_family_t",
    "in_addr_t",
    "in_port_t",
    "dev_t",
    "ino_t",
    "nlink_t",
    "blksize_t",
    "blkcnt_t",
    "key_t",
    "id_t",
    "useconds_t",
    "sigset_t",
    "int8_t",
    "int16_t",
    "int32_t",
    "int64_t",
    "uint8_t",
    "uint16_t",
    "uint32_t",
    "uint64_t",
    "intptr_t",
    "uintptr_t",
    "intmax_t",
    "uintmax_t",
    "u_int8_t",
    "u_int16_t",
    "u_int32_t",
    "u_int64_t",
    "u_char",
    "u_short",
    "u_int",
    "u_long",
    "ushort",
    "uint",
    "ulong",
    "wchar_t",
    "wint_t",
    "va_list",
    "__gnuc_va_list",
    "FILE",
    "DIR",
    "fd_set",
    "jmp_buf",
    "sigjmp_buf",
    "pthread_t",
    "pthread_attr_t",
    "pthread_mutex_t",
    "pthread_mutexattr_t",
    "pthread_cond_t",
    "pthread_condattr_t",
    "pthread_key_t",
    "pthread_once_t",
    "pthread_rwlock_t",
    "pthread_rwlockattr_t",
    "pthread_spinlock_t",
    "pthread_barrier_t",
    "sem_t",
    "regex_t",
    "regmatch_t",
    "glob_t",
    "nfds_t",
    "rlim_t",
    "cpu_set_t",
    "locale_t",
    "sig_atomic_t",
    "siginfo_t",
    "stack_t",
    "ucontext_t",
    "bool",
    "float_t",
    "double_t",
    "iconv_t",
    "mqd_t",
    "timer_t",
    "fsblkcnt_t",
    "fsfilcnt_t",
    "Dl_info",
    "caddr_t",
    "loff_t",
];

/// Declaration specifiers that may come before a type name.
const SPECIFIERS: &[&[u8]] = &[
    b"static",
    b"const",
    b"extern",
    b"volatile",
    b"register",
    b"inline",
    b"__inline__",
    b"__thread",
    b"auto",
];

/// Type names a file uses without declaring them (they come from headers outside the tree),
/// guessed from the shapes only a declaration has: at the start of a statement, a parameter or
/// a cast, `T x`, `T *x` or `T **x` followed by `=`, `;`, `,`, `[`, `)` (or `(` at the top
/// level, a function returning `T`), and `(T *)`.
pub fn guess_type_names(code: &[u8]) -> Vec<String> {
    let mut names = BTreeSet::new();
    for tokens in top_level_items(code) {
        let text = |index: usize| {
            tokens
                .get(index)
                .map_or(&b""[..], |t| &code[t.span.clone()])
        };
        let is_name = |index: usize| {
            tokens
                .get(index)
                .is_some_and(|t| t.kind == TokenKind::Ident && !keywords::is_keyword(text(index)))
        };
        let mut depth = 0usize;
        for index in 0..tokens.len() {
            match text(index) {
                b"{" => depth += 1,
                b"}" => depth = depth.saturating_sub(1),
                _ => {}
            }
            if !is_name(index) {
                continue;
            }
            // What stands before: the start of a statement, parameter or cast, or specifiers.
            let mut before = index;
            while before > 0 && SPECIFIERS.contains(&text(before - 1)) {
                before -= 1;
            }
            let starts =
                before == 0 || matches!(text(before - 1), b"{" | b"}" | b";" | b"(" | b",");
            if !starts {
                continue;
            }
            let mut next = index + 1;
            while text(next) == b"*" || text(next) == b"const" {
                next += 1;
            }
            let stars = next > index + 1;
            let declares = is_name(next)
                && match text(next + 1) {
                    b"=" | b";" | b"," | b"[" | b")" => true,
                    b"(" => depth == 0,
                    _ => false,
                };
            let opens_cast = text(before.wrapping_sub(1)) == b"("
                && !before.checked_sub(2).is_some_and(|callee| {
                    tokens[callee].kind == TokenKind::Ident || matches!(text(callee), b")" | b"]")
                });
            // `(T *) x`, and `(T) x` where `x` starts an operand.
            let cast = opens_cast
                && text(next) == b")"
                && (stars
                    || tokens.get(next + 1).is_some_and(|operand| {
                        matches!(
                            operand.kind,
                            TokenKind::Ident | TokenKind::Number | TokenKind::Literal
                        ) && !keywords::is_keyword(text(next + 1))
                    }));
            if declares || cast {
                names.insert(String::from_utf8_lossy(text(index)).into_owned());
            }
        }
    }
    names.into_iter().collect()
}

/// The typedef names a file declares at its top level (from its code view): the last identifier
/// of each `typedef …;`, or the name in `typedef … (*NAME)(…);`.
pub fn typedef_names(code: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    let mut depth = 0usize;
    // The tokens of the `typedef … ;` being read (a file's tokens are not held at once), and
    // its bracket depth.
    let mut typedef: Option<(Vec<Token>, usize)> = None;
    for token in Tokens::new(code, 0..code.len()) {
        let text = &code[token.span.clone()];
        if let Some((tokens, inner)) = &mut typedef {
            match text {
                b"{" | b"(" | b"[" => *inner += 1,
                b"}" | b")" | b"]" => *inner = inner.saturating_sub(1),
                b";" if *inner == 0 => {
                    names.extend(typedef_name(code, tokens));
                    typedef = None;
                    continue;
                }
                _ => {}
            }
            tokens.push(token);
            continue;
        }
        match text {
            b"{" => depth += 1,
            b"}" => depth = depth.saturating_sub(1),
            b"typedef" if depth == 0 => typedef = Some((vec![token], 0)),
            _ => {}
        }
    }
    if let Some((tokens, _)) = typedef {
        names.extend(typedef_name(code, &tokens));
    }
    names
}

fn typedef_name(code: &[u8], tokens: &[Token]) -> Option<String> {
    let text = |token: &Token| &code[token.span.clone()];
    let is_name =
        |token: &Token| token.kind == TokenKind::Ident && !keywords::is_keyword(text(token));
    // `typedef int (*name)(int);`, and `typedef void (name)(int);` (a function type).
    let declarator_name = tokens.windows(3).find_map(|window| {
        let pointer = text(&window[1]) == b"*" && is_name(&window[2]);
        let function = is_name(&window[1]) && text(&window[2]) == b")";
        (text(&window[0]) == b"(" && (pointer || function)).then(|| {
            let name = if pointer { &window[2] } else { &window[1] };
            String::from_utf8_lossy(text(name)).into_owned()
        })
    });
    if declarator_name.is_some() {
        return declarator_name;
    }
    // Otherwise the last identifier outside brackets and braces that is not a keyword.
    let mut depth = 0usize;
    let mut last = None;
    for token in tokens {
        match text(token) {
            b"{" | b"(" | b"[" => depth += 1,
            b"}" | b")" | b"]" => depth = depth.saturating_sub(1),
            _ if depth == 0 && is_name(token) => last = Some(token),
            _ => {}
        }
    }
    last.map(|token| String::from_utf8_lossy(text(token)).into_owned())
}

/// The typedef names the headers of a tree declare (`headers`: their scans), sorted, each
/// once: what lang-c must know to parse any file of the tree. Headers are read in parallel.
pub fn tree_typedefs(headers: &[&Scan]) -> Vec<String> {
    let mut names: Vec<String> = headers
        .par_iter()
        .flat_map_iter(|scan| typedef_names(&scan.code_view()))
        .collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::c::parse::CParser;

    fn parses(source: &str, typedefs: &[&str]) -> bool {
        CParser::new(typedefs.iter().copied())
            .parse(source.as_bytes(), 0..source.len())
            .is_ok()
    }

    #[test]
    fn typedef_names_are_needed_and_collected() {
        let source = "void f(void) { PyObject *o = 0; use(o); }";
        assert!(!parses(source, &[]));
        assert!(parses(source, &["PyObject"]));
        let header = b"typedef struct _object { int a; } PyObject;\ntypedef int (*handler_t)(int);\ntypedef unsigned long long u64;\nstruct s { int typedef_like; };\n";
        assert_eq!(typedef_names(header), vec!["PyObject", "handler_t", "u64"]);
        // A function type declares its name, never `void`.
        let functions =
            b"typedef void (F)(int);\ntypedef int (G) (void);\ntypedef void (*H)(void);\n";
        assert_eq!(typedef_names(functions), vec!["F", "G", "H"]);
        let user = b"static PyObject *f(PyObject *self, VALUE v) { cap_t caps = x; ushort *a; y = (SV *) z; g(c, d); k = m * n; if (ready) go(); w = (uLong) len; q = f(r) s; return (PyObject *) e; }";
        assert_eq!(
            guess_type_names(user),
            vec!["PyObject", "SV", "VALUE", "cap_t", "uLong", "ushort"]
        );
    }
}
