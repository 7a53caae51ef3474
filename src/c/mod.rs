//! The C layer: what cdefang reads of the code between the directives, without a preprocessor.
//!
//! - `tokens`: C tokens of a code view, and the token-level calls and mentions of names;
//! - `keywords`: the one list of C keywords;
//! - `functions`: function definitions found by brace depth, and the function around an offset;
//! - `view`: the offset-preserving C view lang-c parses (one branch of each conditional active,
//!   macros lang-c cannot read rewritten in place, same length);
//! - `parse`: lang-c on a view, one item at a time, and the facts of its syntax tree;
//! - `typedefs`: the typedef names lang-c must know;
//! - `hints`: the parsing hint that would explain where lang-c stopped (`--suggest-hints`);
//! - `defines`: the blank, statement and type macros the code's own `#define`s give the view.

mod defines;
mod functions;
mod hints;
mod keywords;
mod parse;
mod tokens;
mod typedefs;
mod view;

pub use defines::{DefinedMacros, add_header_hints, define_facts, defined_macros};
pub use functions::{Enclosing, Function, FunctionIndex, enclosing, functions};
pub use hints::{HintKind, suggest_hint};
pub use parse::{CFacts, CParser, CStatement, CSyntax, Followed, ParseFailure, StatementKind};
pub use tokens::{TokenKind, Tokens, calls, mentions, names_used, tokens, top_level_items};
pub use typedefs::{guess_type_names, typedef_names};
pub use view::{Macros, view};
