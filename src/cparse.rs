//! lang-c on the C view: parse one item (a function definition, or the declarations of a
//! top-level branch) and pull facts out of its syntax tree, with spans in file offsets.
//!
//! lang-c 0.15 does not let a caller register typedef names, so the known ones are declared in a
//! prelude of `typedef int NAME;` put in front of the item; spans are shifted back by the
//! prelude's length.

use std::collections::BTreeSet;
use std::ops::Range;

use lang_c::ast::{CallExpression, Expression, StructType};
use lang_c::driver::{Config, parse_preprocessed};
use lang_c::span::Span;
use lang_c::visit::{self, Visit};

use crate::facts::{self, TokenKind};

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

/// Facts from a syntax tree. Spans are byte offsets in the file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CFacts {
    /// Callee names of call expressions whose callee is a plain identifier.
    pub calls: Vec<(String, Range<usize>)>,
    /// Identifiers used as expressions (not members, not declarator names).
    pub identifiers: Vec<(String, Range<usize>)>,
    /// Struct and union tags used.
    pub structs: Vec<(String, Range<usize>)>,
}

impl CFacts {
    /// The facts whose span lies in `range`.
    pub fn within(&self, range: &Range<usize>) -> CFacts {
        let keep = |list: &[(String, Range<usize>)]| {
            list.iter()
                .filter(|(_, span)| range.start <= span.start && span.end <= range.end)
                .cloned()
                .collect()
        };
        CFacts {
            calls: keep(&self.calls),
            identifiers: keep(&self.identifiers),
            structs: keep(&self.structs),
        }
    }
}

/// lang-c could not parse an item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseFailure {
    /// Where, as a byte offset in the file.
    pub offset: usize,
    pub message: String,
}

/// A lang-c parser that knows a set of typedef names.
#[derive(Clone, Debug)]
pub struct CParser {
    prelude: String,
    config: Config,
}

impl CParser {
    pub fn new<'a>(typedefs: impl IntoIterator<Item = &'a str>) -> CParser {
        let mut names: BTreeSet<&str> = LIBC_TYPEDEFS.iter().copied().collect();
        names.extend(typedefs);
        let mut prelude = String::new();
        for name in names {
            prelude.push_str("typedef int ");
            prelude.push_str(name);
            prelude.push(';');
        }
        prelude.push('\n');
        CParser {
            prelude,
            config: Config::with_gcc(),
        }
    }

    /// This parser with more typedef names.
    pub fn with_typedefs<'a>(&self, typedefs: impl IntoIterator<Item = &'a str>) -> CParser {
        let mut prelude = self.prelude.trim_end().to_string();
        for name in typedefs {
            prelude.push_str("typedef int ");
            prelude.push_str(name);
            prelude.push(';');
        }
        prelude.push('\n');
        CParser {
            prelude,
            config: self.config.clone(),
        }
    }

    /// Parse `view[item]` (ASCII, see [`crate::cview`]) as a translation unit.
    pub fn parse(&self, view: &[u8], item: Range<usize>) -> Result<CFacts, ParseFailure> {
        if let Some((offset, why)) = beyond_limits(&view[item.clone()]) {
            return Err(ParseFailure {
                offset: item.start + offset,
                message: format!(
                    "{why}: beyond what cdefang hands to lang-c (see README.md, \"C parsing\")"
                ),
            });
        }
        let text = String::from_utf8_lossy(&view[item.clone()]);
        let mut source = String::with_capacity(self.prelude.len() + text.len());
        source.push_str(&self.prelude);
        source.push_str(&text);
        let shift = |offset: usize| offset.saturating_sub(self.prelude.len()) + item.start;
        match parse_preprocessed(&self.config, source) {
            Ok(parse) => {
                let mut collector = Collector {
                    facts: CFacts::default(),
                    shift: &shift,
                };
                collector.visit_translation_unit(&parse.unit);
                Ok(collector.facts)
            }
            Err(error) => {
                let mut expected: Vec<&str> = error.expected.iter().copied().collect();
                expected.sort_unstable();
                expected.truncate(8);
                Err(ParseFailure {
                    offset: shift(error.offset).min(item.end),
                    message: format!(
                        "lang-c: unexpected token, expected one of {}",
                        expected.join(" ")
                    ),
                })
            }
        }
    }
}

/// The deepest nesting of `(`, `[` and `{` handed to lang-c.
pub const MAX_NESTING: usize = 256;

/// The longest run of prefix operators (`!`, `~`, `-`, `+`, `*`, `&`) handed to lang-c.
pub const MAX_PREFIX_RUN: usize = 256;

/// The longest run of `+` and `-` handed to lang-c: its parser backtracks over each way to split
/// a run into `++`, `--`, `+` and `-`, which takes time exponential in the run's length (32
/// characters: half a second; 48: minutes). Real code has a few (`i++ + ++j`, `a - -b`).
pub const MAX_SIGN_RUN: usize = 12;

/// The most operators one expression (between `;`, `,`, `{` and `}`) may have for lang-c.
pub const MAX_OPERATORS: usize = 4096;

/// Where code goes beyond what lang-c can take, and how: nesting its recursive parser (and the
/// recursive walks of its tree) cannot take on a thread's stack, or a run of `+`/`-` it takes
/// exponential time over; `None` when it is within the limits. Real code is far inside them;
/// generated or hostile input is answered with a parse failure, not a crash or a hang.
fn beyond_limits(code: &[u8]) -> Option<(usize, String)> {
    let mut depth = 0usize;
    let mut prefix_run = 0usize;
    let mut sign_run = 0usize;
    let mut operators = 0usize;
    let mut index = 0;
    while let Some(&byte) = code.get(index) {
        match byte {
            b'"' | b'\'' => {
                // Skip the literal, escapes included; it ends at its quote or the line's end.
                index += 1;
                while let Some(&inner) = code.get(index) {
                    if inner == b'\\' {
                        index += 1;
                    } else if inner == byte || inner == b'\n' {
                        break;
                    }
                    index += 1;
                }
                prefix_run = 0;
                sign_run = 0;
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some((index, format!("nested more than {MAX_NESTING} levels deep")));
                }
                prefix_run = 0;
                sign_run = 0;
                if byte == b'{' {
                    operators = 0;
                }
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                prefix_run = 0;
                sign_run = 0;
                if byte == b'}' {
                    operators = 0;
                }
            }
            b';' | b',' => {
                operators = 0;
                prefix_run = 0;
                sign_run = 0;
            }
            b'!' | b'~' | b'-' | b'+' | b'*' | b'&' | b'/' | b'%' | b'<' | b'>' | b'=' | b'|'
            | b'^' | b'?' => {
                operators += 1;
                if operators > MAX_OPERATORS {
                    return Some((
                        index,
                        format!("more than {MAX_OPERATORS} operators in one expression"),
                    ));
                }
                if matches!(byte, b'+' | b'-') {
                    sign_run += 1;
                    if sign_run > MAX_SIGN_RUN {
                        return Some((
                            index,
                            format!("more than {MAX_SIGN_RUN} `+` and `-` in a row"),
                        ));
                    }
                } else {
                    sign_run = 0;
                }
                if matches!(byte, b'!' | b'~' | b'-' | b'+' | b'*' | b'&') {
                    prefix_run += 1;
                    if prefix_run > MAX_PREFIX_RUN {
                        return Some((
                            index,
                            format!("more than {MAX_PREFIX_RUN} prefix operators in a row"),
                        ));
                    }
                } else {
                    prefix_run = 0;
                }
            }
            b' ' | b'\t' | b'\n' | b'\r' => {}
            _ => {
                prefix_run = 0;
                sign_run = 0;
            }
        }
        index += 1;
    }
    None
}

struct Collector<'s> {
    facts: CFacts,
    shift: &'s dyn Fn(usize) -> usize,
}

impl Collector<'_> {
    fn span(&self, span: &Span) -> Range<usize> {
        (self.shift)(span.start)..(self.shift)(span.end)
    }
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_expression(&mut self, expression: &'ast Expression, span: &'ast Span) {
        if let Expression::Identifier(identifier) = expression {
            let range = self.span(&identifier.span);
            self.facts
                .identifiers
                .push((identifier.node.name.clone(), range));
        }
        visit::visit_expression(self, expression, span);
    }

    fn visit_call_expression(&mut self, call: &'ast CallExpression, span: &'ast Span) {
        if let Expression::Identifier(identifier) = &call.callee.node {
            let range = self.span(&identifier.span);
            self.facts.calls.push((identifier.node.name.clone(), range));
        }
        visit::visit_call_expression(self, call, span);
    }

    fn visit_struct_type(&mut self, struct_type: &'ast StructType, span: &'ast Span) {
        if let Some(identifier) = &struct_type.identifier {
            let range = self.span(&identifier.span);
            self.facts
                .structs
                .push((identifier.node.name.clone(), range));
        }
        visit::visit_struct_type(self, struct_type, span);
    }
}

/// C keywords (with GNU spellings): never a type name.
const KEYWORDS: &[&[u8]] = &[
    b"auto",
    b"break",
    b"case",
    b"char",
    b"const",
    b"continue",
    b"default",
    b"do",
    b"double",
    b"else",
    b"enum",
    b"extern",
    b"float",
    b"for",
    b"goto",
    b"if",
    b"inline",
    b"int",
    b"long",
    b"register",
    b"restrict",
    b"return",
    b"short",
    b"signed",
    b"sizeof",
    b"static",
    b"struct",
    b"switch",
    b"typedef",
    b"union",
    b"unsigned",
    b"void",
    b"volatile",
    b"while",
    b"_Bool",
    b"_Complex",
    b"_Atomic",
    b"_Thread_local",
    b"_Noreturn",
    b"_Alignas",
    b"_Alignof",
    b"_Static_assert",
    b"__inline",
    b"__inline__",
    b"__restrict",
    b"__restrict__",
    b"__const",
    b"__volatile__",
    b"__attribute__",
    b"__extension__",
    b"__typeof__",
    b"typeof",
    b"asm",
    b"__asm__",
    b"__thread",
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
    let tokens = facts::tokens(code, 0..code.len());
    let text = |index: usize| {
        tokens
            .get(index)
            .map_or(&b""[..], |t| &code[t.span.clone()])
    };
    let is_name = |index: usize| {
        tokens
            .get(index)
            .is_some_and(|t| t.kind == TokenKind::Ident && !KEYWORDS.contains(&text(index)))
    };
    let mut names = BTreeSet::new();
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
        let starts = before == 0 || matches!(text(before - 1), b"{" | b"}" | b";" | b"(" | b",");
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
                    ) && !KEYWORDS.contains(&text(next + 1))
                }));
        if declares || cast {
            names.insert(String::from_utf8_lossy(text(index)).into_owned());
        }
    }
    names.into_iter().collect()
}

/// The typedef names a file declares at its top level (from its code view): the last identifier
/// of each `typedef …;`, or the name in `typedef … (*NAME)(…);`.
pub fn typedef_names(code: &[u8]) -> Vec<String> {
    let tokens = facts::tokens(code, 0..code.len());
    let mut names = Vec::new();
    let mut depth = 0usize;
    let mut index = 0;
    while index < tokens.len() {
        let text = &code[tokens[index].span.clone()];
        match text {
            b"{" => depth += 1,
            b"}" => depth = depth.saturating_sub(1),
            b"typedef" if depth == 0 => {
                let start = index;
                let mut inner = 0usize;
                let mut end = index;
                while end < tokens.len() {
                    match &code[tokens[end].span.clone()] {
                        b"{" | b"(" | b"[" => inner += 1,
                        b"}" | b")" | b"]" => inner = inner.saturating_sub(1),
                        b";" if inner == 0 => break,
                        _ => {}
                    }
                    end += 1;
                }
                if let Some(name) = typedef_name(code, &tokens[start..end.min(tokens.len())]) {
                    names.push(name);
                }
                index = end;
            }
            _ => {}
        }
        index += 1;
    }
    names
}

fn typedef_name(code: &[u8], tokens: &[facts::Token]) -> Option<String> {
    let text = |token: &facts::Token| &code[token.span.clone()];
    // `typedef int (*name)(int);`
    let pointer_name = tokens.windows(3).find_map(|window| {
        (text(&window[0]) == b"(" && text(&window[1]) == b"*" && window[2].kind == TokenKind::Ident)
            .then(|| String::from_utf8_lossy(text(&window[2])).into_owned())
    });
    if pointer_name.is_some() {
        return pointer_name;
    }
    // Otherwise the last identifier outside brackets and braces.
    let mut depth = 0usize;
    let mut last = None;
    for token in tokens {
        match text(token) {
            b"{" | b"(" | b"[" => depth += 1,
            b"}" | b")" | b"]" => depth = depth.saturating_sub(1),
            _ if depth == 0 && token.kind == TokenKind::Ident => last = Some(token),
            _ => {}
        }
    }
    last.map(|token| String::from_utf8_lossy(text(token)).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_limits_count_code_not_literals() {
        let parens = "(".repeat(MAX_NESTING);
        let in_literals = format!("char *s = \"{parens}\\\"{parens}\"; char c = '(';");
        assert_eq!(beyond_limits(in_literals.as_bytes()), None);
        let deep = format!(
            "int x = {}1{};",
            "(".repeat(MAX_NESTING + 1),
            ")".repeat(MAX_NESTING + 1)
        );
        assert_eq!(
            beyond_limits(deep.as_bytes()).map(|(offset, _)| offset),
            Some(8 + MAX_NESTING)
        );
        // Operators are counted per expression: a long table is not one expression.
        let table = format!("int t[] = {{ {} }};", "1 + 1, ".repeat(MAX_OPERATORS * 2));
        assert_eq!(beyond_limits(table.as_bytes()), None);
        let signs = format!(
            "int x = y{}z; int w = i++ + ++j - -k;",
            "+".repeat(MAX_SIGN_RUN + 1)
        );
        assert!(
            beyond_limits(signs.as_bytes()).is_some_and(|(offset, _)| offset == 9 + MAX_SIGN_RUN)
        );
        assert_eq!(beyond_limits(&signs.as_bytes()[MAX_SIGN_RUN..]), None);
        let chain = format!("int x = 1{};", " - 1".repeat(MAX_OPERATORS + 1));
        assert!(beyond_limits(chain.as_bytes()).is_some_and(|(_, why)| why.contains("operators")));
    }

    fn facts_of(source: &str, typedefs: &[&str]) -> Result<CFacts, ParseFailure> {
        let parser = CParser::new(typedefs.iter().copied());
        parser.parse(source.as_bytes(), 0..source.len())
    }

    fn names(list: &[(String, Range<usize>)]) -> Vec<&str> {
        list.iter().map(|(name, _)| name.as_str()).collect()
    }

    #[test]
    fn calls_are_call_expressions_only() {
        let source = "void f(void) { int unshare(int); if (unshare(m)) x.unshare = 1; g = unshare; (void) h(\"unshare()\"); }";
        let facts = facts_of(source, &[]).unwrap();
        assert_eq!(names(&facts.calls), vec!["unshare", "h"]);
        let (_, span) = &facts.calls[0];
        assert_eq!(&source[span.clone()], "unshare");
        assert!(names(&facts.identifiers).contains(&"g"));
        assert_eq!(
            names(&facts.identifiers)
                .iter()
                .filter(|name| **name == "unshare")
                .count(),
            2,
            "the callee and the reference `g = unshare`, not the member or the declarator"
        );
    }

    #[test]
    fn typedef_names_are_needed_and_collected() {
        let source = "void f(void) { PyObject *o = 0; use(o); }";
        assert!(facts_of(source, &[]).is_err());
        assert!(facts_of(source, &["PyObject"]).is_ok());
        let header = b"typedef struct _object { int a; } PyObject;\ntypedef int (*handler_t)(int);\ntypedef unsigned long long u64;\nstruct s { int typedef_like; };\n";
        assert_eq!(typedef_names(header), vec!["PyObject", "handler_t", "u64"]);
        let user = b"static PyObject *f(PyObject *self, VALUE v) { cap_t caps = x; ushort *a; y = (SV *) z; g(c, d); k = m * n; if (ready) go(); w = (uLong) len; q = f(r) s; return (PyObject *) e; }";
        assert_eq!(
            guess_type_names(user),
            vec!["PyObject", "SV", "VALUE", "cap_t", "uLong", "ushort"]
        );
    }

    #[test]
    fn structs_and_failure_offsets() {
        let source = "\n\nvoid f(void) { struct inotify_event ie; read(0, &ie, sizeof(struct inotify_event)); }";
        let facts = facts_of(source, &[]).unwrap();
        assert_eq!(
            names(&facts.structs),
            vec!["inotify_event", "inotify_event"]
        );
        let broken = "void f(void) { x = ; }";
        let failure = facts_of(broken, &[]).unwrap_err();
        assert_eq!(failure.offset, broken.find(';').unwrap());
    }
}
