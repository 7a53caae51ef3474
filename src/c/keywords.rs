//! C keywords, with their GNU spellings: the one list the C layer consults, each keyword with
//! the places it may stand that matter to cdefang's token-level readings.

/// May stand right before a call (`return f(x)`), unlike a type before a declarator
/// (`int f(int)`).
const BEFORE_CALL: u8 = 1;
/// May stand next to a string literal (`return "x";`, `asm("…")`), unlike a macro that stands
/// for a string (`"%" PRIu64`).
const BESIDE_STRING: u8 = 2;
/// Writes (part of) a type: `unsigned long`, `const char`.
const TYPE_WORD: u8 = 4;

/// Every keyword (never a type name, never a macro), with its places.
const KEYWORDS: &[(&[u8], u8)] = &[
    (b"auto", 0),
    (b"break", 0),
    (b"case", BEFORE_CALL | BESIDE_STRING),
    (b"char", TYPE_WORD),
    (b"const", TYPE_WORD),
    (b"continue", 0),
    (b"default", 0),
    (b"do", BEFORE_CALL | BESIDE_STRING),
    (b"double", TYPE_WORD),
    (b"else", BEFORE_CALL | BESIDE_STRING),
    (b"enum", 0),
    (b"extern", 0),
    (b"float", TYPE_WORD),
    (b"for", 0),
    (b"goto", BEFORE_CALL),
    (b"if", 0),
    (b"inline", 0),
    (b"int", TYPE_WORD),
    (b"long", TYPE_WORD),
    (b"register", 0),
    (b"restrict", 0),
    (b"return", BEFORE_CALL | BESIDE_STRING),
    (b"short", TYPE_WORD),
    (b"signed", TYPE_WORD),
    (b"sizeof", BEFORE_CALL | BESIDE_STRING),
    (b"static", 0),
    (b"struct", 0),
    (b"switch", 0),
    (b"typedef", 0),
    (b"union", 0),
    (b"unsigned", TYPE_WORD),
    (b"void", TYPE_WORD),
    (b"volatile", TYPE_WORD),
    (b"while", 0),
    (b"_Bool", TYPE_WORD),
    (b"_Complex", 0),
    (b"_Atomic", 0),
    (b"_Thread_local", 0),
    (b"_Noreturn", 0),
    (b"_Alignas", 0),
    (b"_Alignof", 0),
    (b"_Static_assert", BESIDE_STRING),
    (b"__inline", 0),
    (b"__inline__", 0),
    (b"__restrict", 0),
    (b"__restrict__", 0),
    (b"__const", 0),
    (b"__volatile__", 0),
    (b"__attribute__", 0),
    (b"__extension__", 0),
    (b"__typeof__", 0),
    (b"typeof", 0),
    (b"asm", BESIDE_STRING),
    (b"__asm__", BESIDE_STRING),
    (b"__thread", 0),
];

fn places(word: &[u8]) -> Option<u8> {
    KEYWORDS
        .iter()
        .find(|(keyword, _)| *keyword == word)
        .map(|&(_, places)| places)
}

/// A C keyword (never a type name).
pub fn is_keyword(word: &[u8]) -> bool {
    places(word).is_some()
}

/// A keyword that may stand right before a call: `return f(x)`, `else f(x)`.
pub fn may_precede_call(word: &[u8]) -> bool {
    places(word).is_some_and(|places| places & BEFORE_CALL != 0)
}

/// A keyword that may stand next to a string literal: `return "x"`, `asm("…")`.
pub fn may_stand_beside_string(word: &[u8]) -> bool {
    places(word).is_some_and(|places| places & BESIDE_STRING != 0)
}

/// A keyword a type is written with (`unsigned`, `char`, `const`…).
pub fn is_type_word(word: &[u8]) -> bool {
    places(word).is_some_and(|places| places & TYPE_WORD != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_and_their_places() {
        assert!(is_keyword(b"typedef") && !is_keyword(b"PyObject"));
        assert!(may_precede_call(b"return") && !may_precede_call(b"int"));
        assert!(may_stand_beside_string(b"__asm__") && !may_stand_beside_string(b"goto"));
        assert!(is_type_word(b"unsigned") && !is_type_word(b"struct") && !is_type_word(b"x"));
    }
}
