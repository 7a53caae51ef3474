//! Macros read from the code itself: the `#define`s of a tree's headers and of the file, so that
//! the C view can rewrite what lang-c cannot read without a hints file.
//!
//! Only definitions whose meaning for the parse is plain are taken. Over every definition of a
//! name in the files read (all branches of every conditional): a type when every definition
//! is one; blank (or a statement head) when one definition is and no other is of another kind
//! (`#define ZEXPORT WINAPI` under `#ifdef WIN32`, `#define ZEXPORT` otherwise: blank; blanking
//! a name some other configuration defines as an expression still leaves C that parses where it
//! decorates a declaration, and a blanked `LOG(x)` statement is an empty statement):
//!
//! - **blank**: a body of declaration decorations only: nothing (`#define ZEXPORT`), storage
//!   classes, `inline` and qualifiers (`#define local static`, `#define MEM_STATIC static
//!   inline`), `__attribute__((…))`, `__declspec(…)`, calling conventions, or other blank
//!   macros (`#define HINT_INLINE static INLINE_KEYWORD FORCE_INLINE_ATTR`); object-like or
//!   function-like (`#define JEMALLOC_ATTR(s) __attribute__((s))`). The view blanks the name
//!   and its arguments: what is left declares the same thing to lang-c.
//! - **statement**: a function-like macro whose body heads a statement, `for (…)`, `while (…)`,
//!   `if (…)`, `switch (…)` or another statement macro, and does not end with `;`
//!   (`#define list_foreach(x, l) for (x = (l)->first; x; x = x->next)`): the view makes it `if`.
//! - **unwrap**: a function-like macro of one parameter whose body is decorations and then
//!   that parameter (`#define GIT_INLINE(type) static inline type`): the view blanks the name
//!   and the parentheses around the argument.
//! - **typedef**: an object-like macro whose body is a type (`#define Byte unsigned char`,
//!   `#define BOOL int`, another type name): declared to lang-c as a type name.
//!
//! Anything else (expressions, code fragments, token pasting) is left alone.
//!
//! The bodies of `#define`s are also code the body predicates of a rule see
//! ([`define_facts`]): `#define my_gmtime(t, r) gmtime_r(t, r)` calls `gmtime_r`.

use std::collections::{BTreeMap, BTreeSet};

use super::keywords;
use super::parse::CFacts;
use super::tokens::{TokenKind, calls, names_used, tokens};
use super::typedefs::tree_typedefs;
use super::view::Macros;
use crate::cond;
use crate::source::{DirectiveKind, Scan};

/// What a tree's headers (`headers`: their scans) tell the C view of every file of the tree,
/// added to the hints (`macros`, `typedefs`): their typedef names, then the macros their
/// `#define`s define under those (`#define local static`), the type macros as typedef names. The
/// one place a run over a tree and `learn` over a source directory take the headers.
pub fn add_header_hints(headers: &[&Scan], macros: &mut Macros, typedefs: &mut Vec<String>) {
    typedefs.extend(tree_typedefs(headers));
    let defined = defined_macros(headers, macros, typedefs);
    macros.add_missing(&defined.macros);
    typedefs.extend(defined.typedefs);
}

/// What the `#define`s of some files mean to the C view.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DefinedMacros {
    /// Blank and statement macros.
    pub macros: Macros,
    /// Names defined as types.
    pub typedefs: Vec<String>,
}

/// Words that only decorate a declaration: dropping them leaves the same declaration to parse.
const DECORATIONS: &[&[u8]] = &[
    b"static",
    b"extern",
    b"inline",
    b"__inline",
    b"__inline__",
    b"__forceinline",
    b"const",
    b"__const",
    b"volatile",
    b"register",
    b"_Noreturn",
    b"__extension__",
    b"__cdecl",
    b"__stdcall",
    b"__fastcall",
    b"__thiscall",
    b"__vectorcall",
];

/// Words that decorate with an argument list: `__attribute__((unused))`, `__declspec(dllexport)`.
const DECORATIONS_WITH_ARGUMENTS: &[&[u8]] = &[
    b"__attribute__",
    b"__attribute",
    b"__declspec",
    b"_Alignas",
    b"__asm__",
    b"__asm",
];

/// Words that head a statement.
const STATEMENT_HEADS: &[&[u8]] = &[b"for", b"while", b"if", b"switch"];

struct Definition {
    function_like: bool,
    /// The parameters of a function-like macro.
    parameters: Vec<Vec<u8>>,
    body: Vec<u8>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Blank,
    Statement,
    Type,
    Unwrap,
}

/// The macros the `#define`s of `scans` define, as far as the view needs them. `known`: macros
/// and type names already known (hints, a tree's headers), which a body may use.
pub fn defined_macros(scans: &[&Scan], known: &Macros, known_types: &[String]) -> DefinedMacros {
    let mut definitions: BTreeMap<Vec<u8>, Vec<Definition>> = BTreeMap::new();
    for scan in scans {
        for directive in &scan.directives {
            if directive.kind != DirectiveKind::Define {
                continue;
            }
            if let Some((name, definition)) = definition(scan, directive.rest.clone()) {
                definitions.entry(name).or_default().push(definition);
            }
        }
    }
    let mut classes: BTreeMap<Vec<u8>, Class> = BTreeMap::new();
    for name in &known.blank {
        classes.insert(name.as_bytes().to_vec(), Class::Blank);
    }
    for name in &known.statements {
        classes.insert(name.as_bytes().to_vec(), Class::Statement);
    }
    for name in known_types {
        classes.insert(name.as_bytes().to_vec(), Class::Type);
    }
    let mut found: BTreeMap<&[u8], Class> = BTreeMap::new();
    // Until nothing new: a body may use a macro classified in an earlier round.
    loop {
        let mut changed = false;
        for (name, list) in &definitions {
            if found.contains_key(name.as_slice()) || classes.contains_key(name) {
                continue;
            }
            let found_classes: Vec<Option<Class>> = list
                .iter()
                .map(|definition| classify(definition, &classes))
                .collect();
            let all = |class: Class| found_classes.iter().all(|found| *found == Some(class));
            let some_and_no_other = |class: Class| {
                found_classes.contains(&Some(class))
                    && found_classes
                        .iter()
                        .all(|found| found.is_none() || *found == Some(class))
            };
            let agreed = if all(Class::Type) {
                Some(Class::Type)
            } else if some_and_no_other(Class::Blank) {
                Some(Class::Blank)
            } else if some_and_no_other(Class::Statement) {
                Some(Class::Statement)
            } else if some_and_no_other(Class::Unwrap) {
                Some(Class::Unwrap)
            } else {
                None
            };
            if let Some(class) = agreed {
                found.insert(name, class);
                classes.insert(name.clone(), class);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut defined = DefinedMacros::default();
    let mut typedefs = BTreeSet::new();
    for (name, class) in found {
        let name = String::from_utf8_lossy(name).into_owned();
        match class {
            Class::Blank => defined.macros.blank.push(name),
            Class::Statement => defined.macros.statements.push(name),
            Class::Unwrap => defined.macros.unwrap.push(name),
            Class::Type => {
                typedefs.insert(name);
            }
        }
    }
    defined.typedefs = typedefs.into_iter().collect();
    defined
}

/// The facts of the bodies of the `#define`s whose directive lies in `range`, read at the token
/// level (a body is not C on its own): a name followed by `(` is a call, a name used is an
/// identifier, `struct X` a tag. The macro's own parameters are not names of the code (`fn(x)`
/// in `#define APPLY(fn, x) fn(x)` calls nothing). Spans are offsets in the file.
pub fn define_facts(scan: &Scan, range: std::ops::Range<usize>) -> CFacts {
    let mut facts = CFacts::default();
    let code = &scan.clean;
    for directive in &scan.directives {
        if directive.line.start < range.start
            || directive.line.end > range.end
            || directive.kind != DirectiveKind::Define
        {
            continue;
        }
        let Some(Parts {
            parameters, body, ..
        }) = parts(code, directive.rest.clone())
        else {
            continue;
        };
        let tokens = tokens(code, body);
        let text = |span: &std::ops::Range<usize>| &code[span.clone()];
        let own = |span: &std::ops::Range<usize>| {
            !parameters.iter().any(|parameter| *parameter == text(span))
        };
        let named = |span: std::ops::Range<usize>| {
            (String::from_utf8_lossy(text(&span)).into_owned(), span)
        };
        let identifiers: Vec<String> = tokens
            .iter()
            .filter(|token| {
                token.kind == TokenKind::Ident
                    && own(&token.span)
                    && !keywords::is_keyword(text(&token.span))
            })
            .map(|token| String::from_utf8_lossy(text(&token.span)).into_owned())
            .collect();
        facts
            .calls
            .extend(calls(code, &tokens, &identifiers).into_iter().map(named));
        facts.identifiers.extend(
            names_used(code, &tokens)
                .filter(|span| own(span) && !keywords::is_keyword(text(span)))
                .map(named),
        );
        facts.structs.extend(
            tokens
                .windows(2)
                .filter(|pair| {
                    matches!(text(&pair[0].span), b"struct" | b"union")
                        && pair[1].kind == TokenKind::Ident
                })
                .map(|pair| named(pair[1].span.clone())),
        );
    }
    facts
}

/// The parts of a `#define` (`rest`: what follows `define`, in `code`, which is `scan.clean`):
/// the macro's name, whether it takes arguments, its parameters, and its body as a range of the
/// file. The one reading of a definition that [`definition`] and [`define_facts`] share.
struct Parts<'c> {
    name: &'c [u8],
    function_like: bool,
    parameters: Vec<&'c [u8]>,
    body: std::ops::Range<usize>,
}

fn parts(code: &[u8], rest: std::ops::Range<usize>) -> Option<Parts<'_>> {
    let text = &code[rest.clone()];
    let start = text.iter().position(|byte| !cond::is_c_space(byte))?;
    let name_end = start
        + text[start..]
            .iter()
            .position(|&byte| !(byte.is_ascii_alphanumeric() || byte == b'_'))
            .unwrap_or(text.len() - start);
    let name = &text[start..name_end];
    if name.is_empty() {
        return None;
    }
    if text.get(name_end) != Some(&b'(') {
        return Some(Parts {
            name,
            function_like: false,
            parameters: Vec::new(),
            body: rest.start + name_end..rest.end,
        });
    }
    let close = name_end + text[name_end..].iter().position(|&byte| byte == b')')?;
    let parameters = text[name_end + 1..close]
        .split(|&byte| byte == b',')
        .map(cond::trim_c_space)
        .collect();
    Some(Parts {
        name,
        function_like: true,
        parameters,
        body: rest.start + close + 1..rest.end,
    })
}

/// The name and definition of a `#define` (`rest`: what follows `define`, in `scan.clean`).
fn definition(scan: &Scan, rest: std::ops::Range<usize>) -> Option<(Vec<u8>, Definition)> {
    let parts = parts(&scan.clean, rest)?;
    let name = parts.name;
    if name[0].is_ascii_digit() || keywords::is_keyword(name) {
        return None;
    }
    Some((
        name.to_vec(),
        Definition {
            function_like: parts.function_like,
            parameters: parts.parameters.iter().map(|one| one.to_vec()).collect(),
            body: cond::trim_c_space(&scan.clean[parts.body]).to_vec(),
        },
    ))
}

/// What one definition is, given the classes known so far.
fn classify(definition: &Definition, classes: &BTreeMap<Vec<u8>, Class>) -> Option<Class> {
    let body = &definition.body;
    if body.contains(&b'#') {
        return None;
    }
    let tokens = tokens(body, 0..body.len());
    let text = |index: usize| tokens.get(index).map(|token| &body[token.span.clone()]);
    if decorations_only(body, &tokens, classes) {
        return Some(Class::Blank);
    }
    if definition.function_like
        && let [parameter] = definition.parameters.as_slice()
        && let Some(last) = tokens.last()
        && body[last.span.clone()] == parameter[..]
        && decorations_only(body, &tokens[..tokens.len() - 1], classes)
    {
        // `#define GIT_INLINE(type) static inline type`: decorations, then the argument.
        return Some(Class::Unwrap);
    }
    if definition.function_like {
        let first = text(0)?;
        let heads =
            STATEMENT_HEADS.contains(&first) || classes.get(first) == Some(&Class::Statement);
        let ends_statement = matches!(text(tokens.len() - 1), Some(b";" | b"}"));
        return (heads && text(1) == Some(b"(") && !ends_statement).then_some(Class::Statement);
    }
    let is_type_word = |index: usize| {
        let word = text(index).unwrap_or_default();
        keywords::is_type_word(word)
            || (tokens[index].kind == TokenKind::Ident && classes.get(word) == Some(&Class::Type))
    };
    let tagged = tokens.len() == 2
        && matches!(text(0), Some(b"struct" | b"union" | b"enum"))
        && tokens[1].kind == TokenKind::Ident;
    let typed = !tokens.is_empty()
        && (0..tokens.len()).all(is_type_word)
        && !(0..tokens.len()).all(|index| matches!(text(index), Some(b"const" | b"volatile")));
    (tagged || typed).then_some(Class::Type)
}

/// Every token of `body` decorates a declaration (an empty body too).
fn decorations_only(
    body: &[u8],
    tokens: &[super::tokens::Token],
    classes: &BTreeMap<Vec<u8>, Class>,
) -> bool {
    let text = |index: usize| &body[tokens[index].span.clone()];
    let mut index = 0;
    while index < tokens.len() {
        let word = text(index);
        if tokens[index].kind != TokenKind::Ident {
            return false;
        }
        let with_arguments =
            DECORATIONS_WITH_ARGUMENTS.contains(&word) || classes.get(word) == Some(&Class::Blank);
        if !(DECORATIONS.contains(&word) || with_arguments) {
            return false;
        }
        index += 1;
        if with_arguments && index < tokens.len() && text(index) == b"(" {
            let mut depth = 0usize;
            while index < tokens.len() {
                match text(index) {
                    b"(" => depth += 1,
                    b")" => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                index += 1;
            }
            if index == tokens.len() {
                return false;
            }
            index += 1;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::scan;

    #[test]
    fn plain_definitions_are_classified_when_every_definition_agrees() {
        let header = "#define local static\n#define ZEXPORT\n#define ZEXTERN extern\n\
            #ifdef X\n#define MEM_STATIC static inline\n#else\n#define MEM_STATIC static __inline UNUSED_ATTR\n#endif\n\
            #define UNUSED_ATTR __attribute__((unused))\n\
            #define ATTR(s) __attribute__((s))\n#define ALWAYS_INLINE static inline ATTR(always_inline)\n\
            #define foreach(x, l) for (x = (l)->first; x; x = x->next)\n\
            #define each_item(x) foreach(x, items)\n\
            #define CALL(x) do { f(x); } while (0)\n#define MAX 10\n#define Byte unsigned char\n\
            #define Bytef Byte\n#define tag struct tag_s\n#define DEBUG(x) printf x\n\
            #ifdef D\n#define LOG(x) log(x)\n#else\n#define LOG(x)\n#endif\n#define FOO_H\n\
            #ifdef W\n#define ZEXPORT2 WINAPI\n#else\n#define ZEXPORT2\n#endif\n\
            #ifdef W\n#define Mixed int\n#else\n#define Mixed\n#endif\n\
            #ifdef I\n#define INL(type) static __inline type\n#else\n#define INL(type) static type\n#endif\n";
        let scanned = scan(header.as_bytes()).unwrap();
        let defined = defined_macros(&[&scanned], &Macros::default(), &[]);
        assert_eq!(
            defined.macros.blank,
            [
                "ALWAYS_INLINE",
                "ATTR",
                "FOO_H",
                "LOG",
                "MEM_STATIC",
                "UNUSED_ATTR",
                "ZEXPORT",
                "ZEXPORT2",
                "ZEXTERN",
                "local"
            ]
        );
        assert_eq!(defined.macros.statements, ["each_item", "foreach"]);
        assert_eq!(defined.typedefs, ["Byte", "Bytef", "tag"]);
        assert_eq!(defined.macros.unwrap, ["INL"]);
    }
}
