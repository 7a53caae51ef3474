//! `#if` arithmetic against `gcc -E`, the reference for C's rule (intmax_t/uintmax_t, the usual
//! arithmetic conversions, `U`/`L`/`LL` suffixes): generated expressions over literals of every
//! form and size, `-D` values (one of them ≥ 2^63, one negative) and every operator, each
//! decided by `cdefang -k -D… --stdout` and by `gcc -E -P` with the same definitions; and the
//! cases of issue #16 through the command line.

use std::process::Command;

use crate::util::{assert_exit, run, scratch, stdout_of};

/// Symbols and their `-D` values; `UNDEF` is given as `-UUNDEF` (gcc takes it as 0 anyway).
const DEFINES: [(&str, &str); 4] = [
    ("X", "2"),
    ("BIG", "0xffffffffffffffff"),
    ("NEG", "-1"),
    ("UV", "5u"),
];
const EXPRESSIONS: usize = 3000;

struct Generator {
    rng: fastrand::Rng,
}

impl Generator {
    fn literal(&mut self) -> String {
        let value: u64 = match self.rng.u8(..8) {
            0 => 0,
            1 => 1,
            2 => self.rng.u64(0..70),
            3 => i64::MAX as u64 + self.rng.u64(0..2),
            4 => u64::MAX - self.rng.u64(0..2),
            5 => 1 << self.rng.u32(0..64),
            _ => self.rng.u64(0..1_000_000),
        };
        let suffix = ["", "", "", "u", "U", "l", "LL", "ul", "ULL", "lu"][self.rng.usize(..10)];
        // A decimal literal ≥ 2^63 without `u` is unsigned with a warning; write it in hex.
        let hex = value > i64::MAX as u64 || self.rng.u8(..3) == 0;
        match (hex, self.rng.u8(..6)) {
            (true, _) => format!("0x{value:x}{suffix}"),
            (false, 0) if value > 0 => format!("0{value:o}{suffix}"),
            _ => format!("{value}{suffix}"),
        }
    }

    fn atom(&mut self) -> String {
        match self.rng.u8(..10) {
            0 => format!("defined({})", DEFINES[self.rng.usize(..DEFINES.len())].0),
            1 | 2 => DEFINES[self.rng.usize(..DEFINES.len())].0.to_string(),
            3 => "UNDEF".to_string(),
            4 => format!("'{}'", ['a', 'Z', '0'][self.rng.usize(..3)]),
            _ => self.literal(),
        }
    }

    fn expression(&mut self, depth: u32) -> String {
        if depth == 0 || self.rng.u8(..4) == 0 {
            return self.atom();
        }
        let operators = [
            "*", "/", "%", "+", "-", "<<", ">>", "<", ">", "<=", ">=", "==", "!=", "&", "^", "|",
            "&&", "||",
        ];
        match self.rng.u8(..10) {
            0 => format!("{}({})", ["-", "!", "~", "+"][self.rng.usize(..4)], {
                self.expression(depth - 1)
            }),
            1 => format!(
                "({} ? {} : {})",
                self.expression(depth - 1),
                self.expression(depth - 1),
                self.expression(depth - 1)
            ),
            _ => {
                let operator = operators[self.rng.usize(..operators.len())];
                let left = self.expression(depth - 1);
                let right = match operator {
                    // A divisor that is never 0: gcc refuses `/ 0` (cdefang leaves it unknown).
                    "/" | "%" => format!("{}", self.rng.u64(1..9)),
                    // gcc warns about shift counts ≥ 64 and negative ones but computes them.
                    _ => self.expression(depth - 1),
                };
                format!("({left} {operator} {right})")
            }
        }
    }
}

/// Each `#if` is `tN` if true, `fN` if false; cdefang leaves both when it cannot decide.
fn decisions(output: &str, count: usize) -> Vec<Option<bool>> {
    let mut decided = vec![None; count];
    let mut seen = vec![0u8; count];
    for line in output.lines() {
        let line = line.trim();
        let (truth, number) = match line.split_at_checked(1) {
            Some(("t", number)) => (true, number),
            Some(("f", number)) => (false, number),
            _ => continue,
        };
        if let Ok(index) = number.parse::<usize>() {
            decided[index] = Some(truth);
            seen[index] += 1;
        }
    }
    decided
        .into_iter()
        .zip(seen)
        .map(|(decision, times)| if times == 1 { decision } else { None })
        .collect()
}

#[test]
fn if_arithmetic_equals_gcc_on_generated_expressions() {
    if Command::new("gcc").arg("--version").output().is_err() {
        eprintln!("SKIPPED: if_arithmetic_equals_gcc_on_generated_expressions: no gcc");
        return;
    }
    let dir = scratch();
    let mut generator = Generator {
        rng: fastrand::Rng::with_seed(16),
    };
    let mut text = String::new();
    let mut expressions = Vec::new();
    for index in 0..EXPRESSIONS {
        let expression = generator.expression(3);
        text.push_str(&format!(
            "#if {expression}\nt{index}\n#else\nf{index}\n#endif\n"
        ));
        expressions.push(expression);
    }
    std::fs::write(dir.path().join("exprs.c"), &text).unwrap();
    let mut flags: Vec<String> = DEFINES
        .iter()
        .map(|(name, value)| format!("-D{name}={value}"))
        .collect();
    let gcc = Command::new("gcc")
        .args(["-E", "-P", "-w"])
        .args(&flags)
        .arg("exprs.c")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        gcc.status.success(),
        "{}",
        String::from_utf8_lossy(&gcc.stderr)
    );
    flags.extend([
        "-UUNDEF".to_string(),
        "-k".to_string(),
        "--stdout".to_string(),
    ]);
    flags.push("exprs.c".to_string());
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let ours = run(dir.path(), &flags);
    assert_exit(&ours, 1);
    let expected = decisions(&String::from_utf8_lossy(&gcc.stdout), EXPRESSIONS);
    let found = decisions(&stdout_of(&ours), EXPRESSIONS);
    let mut differences = Vec::new();
    let mut decided = 0;
    for (index, expression) in expressions.iter().enumerate() {
        let Some(gcc_says) = expected[index] else {
            panic!("gcc left `{expression}` undecided");
        };
        match found[index] {
            Some(truth) if truth == gcc_says => decided += 1,
            Some(truth) => {
                differences.push(format!("{expression}: gcc {gcc_says}, cdefang {truth}"))
            }
            None => differences.push(format!("{expression}: gcc {gcc_says}, cdefang undecided")),
        }
    }
    assert!(
        differences.is_empty(),
        "{} of {EXPRESSIONS} differ:\n{}",
        differences.len(),
        differences[..differences.len().min(20)].join("\n")
    );
    assert_eq!(decided, EXPRESSIONS);
}

/// `cdefang ARGS --stdout t.c` on `#if CONDITION` / `yes` / `#else` / `no` / `#endif`.
fn decide(condition: &str, args: &[&str]) -> String {
    let dir = scratch();
    std::fs::write(
        dir.path().join("t.c"),
        format!("#if {condition}\nyes\n#else\nno\n#endif\n"),
    )
    .unwrap();
    let mut all = args.to_vec();
    all.extend(["--stdout", "t.c"]);
    stdout_of(&run(dir.path(), &all))
}

#[test]
fn unsigned_and_large_constants_compare_as_c_says() {
    assert_eq!(decide("X >= 0xffffffffffffffff", &["-DX=2"]), "no\n");
    assert_eq!(decide("X < 0xffffffffffffffffULL", &["-DX=2"]), "yes\n");
    assert_eq!(decide("-1 > 0u", &["-k"]), "yes\n");
    assert_eq!(decide("-1 > 0", &["-k"]), "no\n");
    assert_eq!(decide("0x8000000000000000 > 0", &["-k"]), "yes\n");
    assert_eq!(decide("X > 0", &["-DX=0x8000000000000000"]), "yes\n");
    assert_eq!(decide("X == -1", &["-DX=18446744073709551615u"]), "yes\n");
    assert_eq!(decide("(1 ? -1 : 0u) > 0", &["-k"]), "yes\n");
    assert_eq!(decide("-1 >> 70 == -1", &["-k"]), "yes\n");
}

#[test]
fn division_by_zero_shifts_and_overflow_never_panic() {
    // Division by zero has no value: the line stays as it is (gcc refuses it).
    let kept = "#if X / 0\nyes\n#else\nno\n#endif\n";
    assert_eq!(decide("X / 0", &["-DX=2"]), kept);
    assert_eq!(
        decide("X % (X - 2)", &["-DX=2"]),
        kept.replace("X / 0", "X % (X - 2)")
    );
    for condition in [
        "0x7fffffffffffffff + 1 < 0",
        "(-0x7fffffffffffffff - 1) / -1 < 0",
        "1 << 63 < 0",
        "1 << 64 == 0",
        "1 << -1 == 0",
        "-9223372036854775807 - 1 < 0",
    ] {
        assert_eq!(decide(condition, &["-k"]), "yes\n", "{condition}");
    }
}

#[test]
fn indirect_values_are_followed_as_unifdef_follows_them() {
    assert_eq!(decide("FOO", &["-DFOO=ZIG", "-DZIG"]), "yes\n");
    assert_eq!(decide("FOO == 42", &["-DFOO=ZIG", "-DZIG=42"]), "yes\n");
    // A cycle, or a name not assumed, stays unknown.
    let kept = "#if FOO\nyes\n#else\nno\n#endif\n";
    assert_eq!(decide("FOO", &["-DFOO=BAR", "-DBAR=FOO"]), kept);
    assert_eq!(decide("FOO", &["-DFOO=ZIG"]), kept);
}

/// Character constants take the value gcc gives them in `#if` (each case checked with
/// `gcc -E`): a plain one is a signed `char` on this target, several characters pack into an
/// `int`, and the escapes are C's (simple, octal, hexadecimal); `L'…'` and `u'…'` are wide.
#[test]
fn character_constants_have_gccs_values() {
    for condition in [
        "'a' == 97",
        "'\\n' == 10",
        "'\\x41' == 65",
        "'\\xff' == -1",
        "'\\377' == -1",
        "'\\x80' == -128",
        "'\\x7f' == 127",
        "'\\0' == 0",
        "'\\101' == 65",
        "'ab' == 0x6162",
        "'abcd' == 0x61626364",
        "'\\e' == 27",
        "'\\a' == 7 && '\\v' == 11 && '\\f' == 12",
        "'\\\\' == 92 && '\\'' == 39 && '\"' == 34 && '\\?' == 63",
        "L'\\xff' == 255",
        "u'\\xffff' == 65535",
    ] {
        assert_eq!(decide(condition, &["-k"]), "yes\n", "#if {condition}");
    }
}

/// `u'…'`, `U'…'` and `u8'…'` have unsigned types, so their value is unsigned in `#if` (the
/// usual arithmetic conversions then make `u'a' - 'b'` a large unsigned number); `L'…'` is a
/// signed `wchar_t`. A prefixed constant of several characters is its last one (`u8'ab'` is
/// refused, as gcc refuses it). Each case checked with `gcc -E` (`-std=c2x` for `u8`).
#[test]
fn unicode_character_constants_are_unsigned() {
    for condition in [
        "A && u'a' - 'b' > 0",
        "A && U'a' - 'b' > 0",
        "A && u8'a' - 'b' > 0",
        "A && !(L'a' - 'b' > 0)",
        "A && U'\\xffffffff' > 0",
        "A && L'\\xffffffff' < 0",
        "A && u'ab' == 'b'",
        "A && L'ab' == 'b'",
    ] {
        assert_eq!(decide(condition, &["-DA"]), "yes\n", "#if {condition}");
    }
    assert_eq!(
        decide("A && u8'ab'", &["-DA"]),
        "#if A && u8'ab'\nyes\n#else\nno\n#endif\n"
    );
    // A character outside ASCII: its code point in a prefixed constant, its bytes in a plain
    // one (gcc reads the source as UTF-8).
    for condition in [
        "A && L'\u{e9}' == 233",
        "A && u'\u{e9}' == 233",
        "A && U'\u{20ac}' == 0x20ac",
        "A && '\u{e9}' == 0xC3A9",
    ] {
        assert_eq!(decide(condition, &["-DA"]), "yes\n", "#if {condition}");
    }
}

/// A known operand of `&&`, `||` or `?:` dropped leaves a name in its parentheses: the name may
/// be a macro whose text is an expression (`-DM=X+1`, `#define M X+1`), and `!(M)` is not `!M`.
/// A name left alone as the whole line needs none.
#[test]
fn a_name_left_by_a_simplification_keeps_its_parentheses() {
    assert_eq!(
        decide("!(A && M)", &["-DA"]),
        "#if !(M)\nyes\n#else\nno\n#endif\n"
    );
    assert_eq!(
        decide("!(Z ? 7 : M)", &["-UZ"]),
        "#if !(M)\nyes\n#else\nno\n#endif\n"
    );
    assert_eq!(
        decide("(A && M)", &["-DA"]),
        "#if M\nyes\n#else\nno\n#endif\n"
    );
}

/// An integer is read as the preprocessor reads it, one whole pp-number, then checked: `0x1e+1`
/// is one pp-number with the invalid suffix `+1` (not `0x1e + 1`), and a suffix is one of `u`,
/// `l`, `ul`, `lu`, `ll`, `ull`, `llu` (any case, `ll` in one case). gcc refuses the others;
/// cdefang leaves such a line as it is, with a warning, as any condition it cannot read. A `-D`
/// value that is no number (`-DA=1lul`) leaves the symbol defined with an unknown value.
#[test]
fn integers_are_whole_pp_numbers_with_cs_suffixes() {
    for condition in [
        "A && 0x1e+1 == 31",
        "A && 0x1E-1",
        "A && 1lul",
        "A && 1lL",
        "A && 1e+1",
    ] {
        let dir = scratch();
        let file = format!("#if {condition}\nyes\n#else\nno\n#endif\n");
        std::fs::write(dir.path().join("t.c"), &file).unwrap();
        let output = run(dir.path(), &["-DA", "--stdout", "t.c"]);
        assert_eq!(stdout_of(&output), file, "#if {condition}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("warning: cannot read condition: invalid integer literal"),
            "#if {condition}: {stderr}"
        );
    }
    for condition in [
        "A && 0x1E - 1 == 0x1d",
        "A && 1uLL == 1",
        "A && 0xeLLu == 14",
    ] {
        assert_eq!(decide(condition, &["-DA"]), "yes\n", "#if {condition}");
    }
    assert_eq!(
        decide("A", &["-DA=1lul"]),
        "#if A\nyes\n#else\nno\n#endif\n"
    );
    assert_eq!(decide("defined(A)", &["-DA=1lul"]), "yes\n");
}

/// A vertical tab and a form feed are white space in a directive, as for gcc: between `#` and
/// the keyword, between the keyword and the condition, and between a condition's tokens.
#[test]
fn vertical_tab_and_form_feed_are_blanks_in_directives() {
    let dir = scratch();
    let file = "#\x0bifdef\x0bA\na\n#endif\n#\x0cif\x0cB\x0b&&\x0cA\nb\n#else\x0b\nc\n#endif\x0c\n";
    std::fs::write(dir.path().join("t.c"), file).unwrap();
    let output = run(dir.path(), &["-DA", "--stdout", "t.c"]);
    assert_eq!(
        stdout_of(&output),
        "a\n#\x0cif B\nb\n#else\x0b\nc\n#endif\x0c\n"
    );
    assert_exit(&output, 1);
}

/// `gcc -E -P` on `text` with `flags`, or `None` when gcc refuses it (or there is no gcc).
fn gcc_output(text: &str, flags: &[String]) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.c"), text).unwrap();
    let gcc = Command::new("gcc")
        .args(["-E", "-P", "-w", "-x", "c"])
        .args(flags)
        .arg("t.c")
        .current_dir(dir.path())
        .output()
        .ok()?;
    gcc.status
        .success()
        .then(|| String::from_utf8_lossy(&gcc.stdout).into_owned())
}

/// cdefang's result for `#if CONDITION` under `args` (which assume everything but `B`), and,
/// when gcc is there, the check that it means what the original means: for each value `B` may
/// have, gcc takes the same branch of both files.
fn simplify_checked_by_gcc(condition: &str, args: &[&str]) -> String {
    let original = format!("#if {condition}\nyes\n#else\nno\n#endif\n");
    let simplified = decide(condition, args);
    if Command::new("gcc").arg("--version").output().is_ok() {
        for value in ["-1", "0", "1", "2", "0u", "-1u"] {
            let mut flags: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
            flags.push(format!("-DB={value}"));
            assert_eq!(
                gcc_output(&simplified, &flags),
                gcc_output(&original, &flags),
                "#if {condition} {args:?} became\n{simplified}which gcc reads otherwise with B={value}"
            );
        }
    }
    simplified
}

/// An `&&` or `||` with one operand known may become its other operand only where the truth of
/// its result is all that is used (the top level, the operands of `!`, `&&`, `||`, a `?:`
/// condition): elsewhere its value, 0 or 1, is used, and the other operand's is not that.
#[test]
fn and_or_keep_their_value_where_it_is_used() {
    let kept = |condition: &str| format!("#if {condition}\nyes\n#else\nno\n#endif\n");
    for (condition, args) in [
        ("~(A && B)", &["-DA"][..]),
        ("(A && B) + 1", &["-DA"]),
        ("(A || B) == 2", &["-UA"]),
        ("-(B || A) < 0", &["-UA"]),
        ("(A && B) << 1 == 2", &["-DA"]),
    ] {
        assert_eq!(
            simplify_checked_by_gcc(condition, args),
            kept(condition),
            "#if {condition} {args:?}"
        );
    }
    for (condition, args, simplified) in [
        ("A && B", &["-DA"][..], "B"),
        // A name left in parentheses keeps them (a macro may stand for an expression).
        ("!(A && B)", &["-DA"], "!(B)"),
        ("(A || B) && (C || B)", &["-UA", "-UC"], "(B) && (B)"),
        ("~(A && (C && B))", &["-DA", "-DC"], "~(A && (B))"),
        ("A ? (C && B) : 2", &["-DA", "-DC"], "B"),
    ] {
        assert_eq!(
            simplify_checked_by_gcc(condition, args),
            kept(simplified),
            "#if {condition} {args:?}"
        );
    }
}

/// A `?:` with a known condition has the type both branches convert to, so its value is the
/// taken branch's only when the other's type is known too, or cannot change it (the taken one is
/// unsigned already), or only its truth is used: `(A ? -1 : B) > 0` is true if `B` is unsigned.
#[test]
fn a_conditional_operator_is_decided_only_when_its_type_is_known() {
    let kept = |condition: &str| format!("#if {condition}\nyes\n#else\nno\n#endif\n");
    for (condition, args) in [
        ("(A ? -1 : B) > 0", &["-DA"][..]),
        ("(A ? B : -1) > 0", &["-UA"]),
        ("(A ? B : 0u) > 0", &["-DA"]),
        ("(A ? B : C) > 0", &["-DA"]),
        ("-(A ? -1 : B) > 0", &["-DA"]),
    ] {
        assert_eq!(
            simplify_checked_by_gcc(condition, args),
            kept(condition),
            "#if {condition} {args:?}"
        );
    }
    for (condition, args, decided) in [
        ("(A ? -1u : B) > 0", &["-DA"][..], "yes\n"),
        ("(A ? -1 : 0u) > 0", &["-DA"], "yes\n"),
        ("(A ? -1 : 0) > 0", &["-DA"], "no\n"),
        ("A ? -1 : B", &["-DA"], "yes\n"),
        ("!(A ? 0 : B)", &["-DA"], "yes\n"),
        ("(A ? 0 : B) || (A ? -1 : B)", &["-DA"], "yes\n"),
        ("~(A ? B : -1)", &["-DA"], &kept("~(B)")),
        ("~(A ? B : 0u) == 0", &["-DA"], &kept("~(A ? B : 0u) == 0")),
        ("~(A ? B : 0u)", &["-DA"], &kept("~(A ? B : 0u)")),
    ] {
        assert_eq!(
            simplify_checked_by_gcc(condition, args),
            decided,
            "#if {condition} {args:?}"
        );
    }
}

/// A division or remainder by zero in an operand C evaluates makes the line have no value (gcc
/// refuses it), so it stays as it is, whatever the other operands say: the left operand of
/// `&&`/`||` is always evaluated, the right one whenever the left does not decide, and either
/// branch of a `?:` whose condition is unknown. Only what C does not evaluate may divide by
/// zero.
#[test]
fn division_by_zero_in_an_evaluated_operand_leaves_the_line() {
    let kept = |condition: &str| format!("#if {condition}\nyes\n#else\nno\n#endif\n");
    let gcc = Command::new("gcc").arg("--version").output().is_ok();
    for (condition, args, gcc_refuses) in [
        ("A/0 || B", &["-DA", "-DB"][..], true),
        ("(A % 0) && 0", &["-DA"], true),
        ("-(A / (A - 1)) || B", &["-DA", "-DB"], true),
        ("A ? 1 / 0 : 1", &["-DA"], true),
        ("(A ? 1 / 0 : 1) || B", &["-DA", "-DB"], true),
        ("(A ? -1 : 1 / 0) > 0", &["-DA"], false),
        ("X / 0 || B", &["-DB"], true),
        ("X || A / 0", &["-DA"], false),
        ("(X ? 1 / 0 : 1) || B", &["-DB"], false),
    ] {
        assert_eq!(decide(condition, args), kept(condition), "#if {condition}");
        if gcc && gcc_refuses {
            let flags: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
            assert_eq!(
                gcc_output(&kept(condition), &flags),
                None,
                "gcc: #if {condition}"
            );
        }
    }
    for (condition, args, decided) in [
        ("B || A / 0", &["-DA", "-DB"][..], "yes\n"),
        ("0 && A / 0", &["-DA"], "no\n"),
        ("A ? 1 : 1 / 0", &["-DA"], "yes\n"),
        ("A ? 1 / 0 : 2", &["-UA"], "yes\n"),
        ("(A ? -1u : 1 / 0) > 0", &["-DA"], "yes\n"),
    ] {
        assert_eq!(decide(condition, args), decided, "#if {condition}");
        if gcc {
            let flags: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
            assert_eq!(
                gcc_output(&kept(condition), &flags).as_deref(),
                Some(decided),
                "gcc: #if {condition}"
            );
        }
    }
}

/// A line left as it is because it has no value under a `resolve` rule's assumptions still
/// tests them: the rule is `no-match`, not `already-applied` ("no conditional tests them"); and
/// unifdef mode's -D/-U claim nothing of a file they change nothing in.
#[test]
fn a_line_without_a_value_is_not_told_as_already_applied() {
    let dir = scratch();
    std::fs::write(dir.path().join("z.c"), "#if A/0 || B\nx\n#endif\n").unwrap();
    std::fs::write(
        dir.path().join("r.toml"),
        "[[rule]]\nid = \"ab\"\nmessage = \"m\"\naction = \"resolve\"\ndefine = [\"A\", \"B\"]\n",
    )
    .unwrap();
    let output = run(dir.path(), &["--rules", "r.toml", "--check", "z.c"]);
    assert_exit(&output, 0);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("ab: 0 files, 0 matches, 0 edits: no-match"),
        "{stderr}"
    );
    let output = run(dir.path(), &["-DC", "--check", "z.c"]);
    assert_exit(&output, 0);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("resolve: 0 files, 0 matches, 0 edits: no-match"),
        "{stderr}"
    );
}

/// A directive's keyword split by backslash-newline is one word, as for gcc: `#ifd\<newline>ef A`
/// is `#ifdef A` (it used to be an unknown directive, and its `#else` and `#endif` unbalanced).
#[test]
fn a_keyword_split_by_line_continuations_is_read_whole() {
    let dir = scratch();
    let file = "#ifd\\\nef A\na\n#el\\\nse\nb\n#en\\\ndif\n#if X\nc\n#el\\\r\nif A\nd\n#endif\n";
    std::fs::write(dir.path().join("t.c"), file).unwrap();
    let defined = run(dir.path(), &["-DA", "--stdout", "t.c"]);
    assert_eq!(stdout_of(&defined), "a\n#if X\nc\n#else\nd\n#endif\n");
    assert_exit(&defined, 1);
    let undefined = run(dir.path(), &["-UA", "--stdout", "t.c"]);
    assert_eq!(stdout_of(&undefined), "b\n#if X\nc\n#endif\n");
    let explained = run(dir.path(), &["-DA", "--explain", "--stdout", "t.c"]);
    assert_exit(&explained, 1);
}
