//! What real C code bases need (issue #16): conditions cdefang cannot read left alone with a
//! warning, C parsing without hints (function types, BSD-style return types, the tree's own
//! macro definitions, types passed to macros), and `--parse-stats` coverage floors on real code
//! bases fetched by scripts/fetch-corpora.sh into .cache/corpora/ (skipped with a message when
//! absent, fetched with CDEFANG_FETCH=1).

use std::path::Path;

use crate::util::{assert_contains, assert_exit, corpus, run, scratch, stderr_of, stdout_of};

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

const UNREADABLE: &str = "#if __has_include(<version>)\n#include <version>\n#endif\n\
#ifdef FOO\nint a;\n#else\nint b;\n#endif\n#if FOO @ 3\nint c;\n#endif\n";

#[test]
fn unreadable_conditions_do_not_stop_unifdef_mode() {
    let dir = scratch();
    write(dir.path(), "t.c", UNREADABLE);
    let output = run(dir.path(), &["-DFOO", "--stdout", "t.c"]);
    assert_exit(&output, 1);
    assert_eq!(
        stdout_of(&output),
        "#if __has_include(<version>)\n#include <version>\n#endif\nint a;\n#if FOO @ 3\nint c;\n#endif\n"
    );
    assert_contains(
        &stderr_of(&output),
        &["warning: cannot read condition", "t.c:9:9", "left as it is"],
    );
    // In place over a tree: the other files are still written.
    write(dir.path(), "u.c", "#ifdef FOO\nint x;\n#endif\n");
    let output = run(dir.path(), &["-DFOO", "."]);
    assert_exit(&output, 0);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("u.c")).unwrap(),
        "int x;\n"
    );
}

#[test]
fn only_a_rule_that_depends_on_an_unreadable_condition_fails() {
    let dir = scratch();
    // BAR is tested by a readable conditional of its own: a rule about it does not depend on
    // the unreadable line (and a name in no file at all would be an error of its own).
    write(
        dir.path(),
        "t.c",
        &format!("{UNREADABLE}#ifdef BAR\nint d;\n#endif\n"),
    );
    let rule = |symbol: &str| {
        format!(
            "[[rule]]\nid = \"r\"\nmessage = \"m\"\nfiles = [\"*.c\"]\naction = \"drop\"\n[rule.match]\nuses = [\"{symbol}\"]\n"
        )
    };
    write(dir.path(), "foo.toml", &rule("FOO"));
    write(dir.path(), "bar.toml", &rule("BAR"));
    let output = run(dir.path(), &["--rules", "foo.toml", "--check", "t.c"]);
    assert_exit(&output, 2);
    assert_contains(
        &stderr_of(&output),
        &["error: cannot read condition", "t.c:9:9"],
    );
    let output = run(dir.path(), &["--rules", "bar.toml", "--check", "t.c"]);
    // --check: exit 1, the BAR block would be dropped.
    assert_exit(&output, 1);
    assert_contains(&stderr_of(&output), &["warning: cannot read condition"]);
}

/// `cdefang --parse-stats FILES…` in `dir`: (functions, parsed) from the total line.
fn parse_stats(dir: &Path, args: &[&str]) -> (u64, u64) {
    let mut all = vec!["--parse-stats"];
    all.extend(args);
    let output = run(dir, &all);
    assert_exit(&output, 0);
    let text = stdout_of(&output) + &stderr_of(&output);
    let total = text
        .lines()
        .find(|line| line.starts_with("total: "))
        .unwrap_or_else(|| panic!("no total in:\n{text}"));
    let numbers: Vec<u64> = total
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|word| word.parse().ok())
        .collect();
    (numbers[0], numbers[1])
}

#[test]
fn a_function_type_does_not_make_void_a_typedef() {
    let dir = scratch();
    write(dir.path(), "a.c", "int f(int a) { return a + 1; }\n");
    write(dir.path(), "t.h", "typedef void (F)(int);\n");
    assert_eq!(parse_stats(dir.path(), &["a.c", "t.h"]), (1, 1));
}

#[test]
fn a_return_type_alone_on_its_line_stays() {
    let dir = scratch();
    write(
        dir.path(),
        "bsd.c",
        "int x;\nvoid\nf(int a)\n{\n\tx = a;\n}\n\nstatic ngx_int_t\nngx_g(void)\n{\n\tngx_foo\n\treturn 0;\n}\n",
    );
    assert_eq!(parse_stats(dir.path(), &["bsd.c"]), (2, 2));
}

#[test]
fn the_trees_own_macro_definitions_are_applied_without_hints() {
    let dir = scratch();
    write(
        dir.path(),
        "conf.h",
        "#ifdef _WIN32\n#  define ZEXPORT WINAPI\n#else\n#  define ZEXPORT\n#endif\n\
         #define local static\n#define ALWAYS_INLINE static inline __attribute__((always_inline))\n\
         #define INL(type) static __inline type\n\
         #define list_foreach(x, l) for (x = (l)->first; x; x = x->next)\n\
         #define Byte unsigned char\n",
    );
    write(
        dir.path(),
        "z.c",
        "#include \"conf.h\"\n#define MY_UNUSED __attribute__((unused))\n\
         int ZEXPORT f(int a) { return a; }\nlocal int g(void) { return 0; }\n\
         ALWAYS_INLINE int h(void) { return 1; }\nINL(int) i(void) { return 2; }\n\
         int j(struct list *l) { struct item *x; list_foreach(x, l) { use(x); } return 0; }\n\
         int k(Byte b MY_UNUSED) { return 0; }\n\
         int m(va_list ap) { char *s = va_arg(ap, char *); return offsetof(struct s, m); }\n",
    );
    assert_eq!(parse_stats(dir.path(), &["conf.h", "z.c"]), (7, 7));
}

/// The real code bases and their `--parse-stats` floors (no hints), in .cache/corpora/.
const CORPORA: [(&str, f64); 5] = [
    ("zlib", 97.0),
    ("lua", 97.0),
    ("curl", 97.0),
    ("zstd", 97.0),
    ("libgit2", 97.0),
];

#[test]
fn parse_coverage_without_hints_on_real_code_bases() {
    for (name, floor) in CORPORA {
        let Some(dir) = corpus(name) else {
            continue;
        };
        let (functions, parsed) = parse_stats(&dir, &["."]);
        let percent = 100.0 * parsed as f64 / functions as f64;
        eprintln!("{name}: {parsed}/{functions} = {percent:.2} %");
        assert!(functions > 100, "{name}: only {functions} functions found");
        assert!(percent >= floor, "{name}: {percent:.2} % < {floor} %");
    }
}

#[test]
fn suggested_hints_are_a_rules_file_that_fixes_the_parse() {
    let dir = scratch();
    write(
        dir.path(),
        "s.c",
        "void f(struct list *l) { struct item *x; each_item(x, l) { use(x); } }\n\
         EXPORTED const char *g(void) { return 0; }\n\
         static my_int_t h(void) { return 0; }\n",
    );
    let output = run(dir.path(), &["--parse-stats", "--suggest-hints", "s.c"]);
    assert_exit(&output, 0);
    let stdout = stdout_of(&output);
    let toml = &stdout[stdout.find("# C parsing hints").expect("hints printed")..];
    assert_eq!(
        toml.lines()
            .filter(|line| !line.starts_with('#'))
            .collect::<Vec<_>>(),
        [
            "statement_macros = [",
            "    \"each_item\", # 1 function",
            "]",
            "blank_macros = [",
            "    \"EXPORTED\", # 1 function",
            "]",
        ]
    );
    // `my_int_t` is guessed a type from its shape; the other two need the hints.
    assert_eq!(parse_stats(dir.path(), &["s.c"]), (3, 1));
    write(dir.path(), "hints.toml", toml);
    assert_eq!(
        parse_stats(dir.path(), &["--rules", "hints.toml", "s.c"]),
        (3, 3)
    );
}
