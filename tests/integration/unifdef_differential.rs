//! Differential test against the `unifdef` binary (Debian's package) on generated files.
//!
//! Each seed gives a file of nested `#if`/`#ifdef`/`#ifndef`/`#elif`/`#else`/`#endif` groups over
//! five symbols, with the operators unifdef 2.10 evaluates (`defined`, `!`, `&&`, `||`, `==`,
//! `!=`, `<`, `>`, `<=`, `>=`, parentheses), comments after directives, `#  if` spacing, CRLF
//! and no final newline, and a random set of `-D`/`-U`/`-k` options. `cdefang OPTIONS --stdout`
//! must give unifdef's bytes and exit status, with one difference by design: a condition that
//! stays unknown but loses known operands is simplified by cdefang (`#if A && B` under `-DA`
//! becomes `#if B`) and kept whole by unifdef. On such lines the two conditions must be
//! equivalent under the options, checked by a truth table over every value of the remaining
//! symbols, evaluated here independently of cdefang's simplifier.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use cdefang::{BinaryOp, Expr, ExprKind, UnaryOp};

const SYMBOLS: [&str; 5] = ["A", "B", "C", "D", "E"];
const FILES: u64 = 1200;

/// What a file is run with: per symbol, `None` unknown, `Some(None)` undefined, `Some(Some(v))`
/// defined to `v`.
struct Options {
    symbols: BTreeMap<&'static str, Option<i64>>,
    constants: bool,
}

impl Options {
    fn args(&self) -> Vec<String> {
        let mut args = Vec::new();
        for (name, value) in &self.symbols {
            match value {
                None => args.push(format!("-U{name}")),
                Some(1) => args.push(format!("-D{name}")),
                Some(value) => args.push(format!("-D{name}={value}")),
            }
        }
        if self.constants {
            args.push("-k".to_string());
        }
        args
    }
}

struct Generator {
    rng: fastrand::Rng,
    next_line: usize,
    eol: &'static str,
    out: String,
    /// Continue some directives onto a second line with `\`.
    continuations: bool,
}

impl Generator {
    fn symbol(&mut self) -> &'static str {
        SYMBOLS[self.rng.usize(..SYMBOLS.len())]
    }

    fn atom(&mut self) -> String {
        let symbol = self.symbol();
        let number = self.rng.i64(0..3);
        let relation = ["==", "!=", "<", ">", "<=", ">="][self.rng.usize(..6)];
        match self.rng.u8(..9) {
            0 => format!("defined({symbol})"),
            1 => format!("defined {symbol}"),
            2 => format!("!defined({symbol})"),
            3 => symbol.to_string(),
            4 => format!("!{symbol}"),
            5 | 6 => format!("{symbol} {relation} {number}"),
            7 => number.to_string(),
            _ => format!("defined({symbol})"),
        }
    }

    fn expression(&mut self, depth: u32) -> String {
        if depth == 0 || self.rng.u8(..3) == 0 {
            return self.atom();
        }
        match self.rng.u8(..5) {
            0 | 1 => format!(
                "{} && {}",
                self.expression(depth - 1),
                self.expression(depth - 1)
            ),
            2 | 3 => format!(
                "{} || {}",
                self.expression(depth - 1),
                self.expression(depth - 1)
            ),
            _ if self.rng.bool() => format!("({})", self.expression(depth - 1)),
            _ => format!("!({})", self.expression(depth - 1)),
        }
    }

    fn comment(&mut self) -> &'static str {
        match self.rng.u8(..8) {
            0 => " /* note */",
            1 => " // note",
            _ => "",
        }
    }

    fn hash(&mut self) -> &'static str {
        match self.rng.u8(..10) {
            0 => "#  ",
            1 => "  #",
            _ => "#",
        }
    }

    fn line(&mut self, text: &str) {
        self.out.push_str(text);
        self.out.push_str(self.eol);
    }

    fn code(&mut self) {
        self.next_line += 1;
        let text = format!("int line_{};", self.next_line);
        self.line(&text);
    }

    fn condition(&mut self, keyword: &str) -> String {
        let hash = self.hash();
        let comment = self.comment();
        let constant = self.rng.u8(..12) == 0;
        let expression = if constant {
            ["0", "1", "(0)", "1 || 0"][self.rng.usize(..4)].to_string()
        } else {
            self.expression(2)
        };
        let mut line = format!("{hash}{keyword} {expression}{comment}");
        if self.continuations && self.rng.bool() {
            for operator in [" && ", " || "] {
                if let Some(at) = line.find(operator) {
                    let continued = format!("{} \\{}    ", &operator[..3], self.eol);
                    line.replace_range(at..at + 4, &continued);
                    break;
                }
            }
        }
        line
    }

    fn group(&mut self, depth: u32) {
        let opener = match self.rng.u8(..4) {
            0 => {
                let (hash, symbol, comment) = (self.hash(), self.symbol(), self.comment());
                format!("{hash}ifdef {symbol}{comment}")
            }
            1 => {
                let (hash, symbol, comment) = (self.hash(), self.symbol(), self.comment());
                format!("{hash}ifndef {symbol}{comment}")
            }
            _ => self.condition("if"),
        };
        self.line(&opener);
        self.body(depth);
        for _ in 0..self.rng.usize(..3) {
            let elif = self.condition("elif");
            self.line(&elif);
            self.body(depth);
        }
        if self.rng.bool() {
            let text = format!("{}else{}", self.hash(), self.comment());
            self.line(&text);
            self.body(depth);
        }
        let text = format!("{}endif{}", self.hash(), self.comment());
        self.line(&text);
    }

    fn body(&mut self, depth: u32) {
        for _ in 0..self.rng.usize(..3) {
            if depth > 0 && self.rng.u8(..3) == 0 {
                self.group(depth - 1);
            } else {
                self.code();
            }
        }
    }

    fn file(seed: u64, continuations: bool) -> (String, Options) {
        let mut generator = Generator {
            rng: fastrand::Rng::with_seed(seed),
            next_line: 0,
            eol: "\n",
            out: String::new(),
            continuations,
        };
        if generator.rng.u8(..8) == 0 {
            generator.eol = "\r\n";
        }
        generator.code();
        for _ in 0..generator.rng.usize(1..5) {
            generator.group(2);
            generator.code();
        }
        if generator.rng.u8(..10) == 0 {
            let trimmed = generator.out.trim_end_matches(['\r', '\n']).len();
            generator.out.truncate(trimmed);
        }
        let mut symbols = BTreeMap::new();
        for symbol in SYMBOLS {
            match generator.rng.u8(..6) {
                0 | 1 => {}
                2 => {
                    symbols.insert(symbol, None);
                }
                3 | 4 => {
                    symbols.insert(symbol, Some(1));
                }
                _ => {
                    symbols.insert(symbol, Some(generator.rng.i64(0..3)));
                }
            }
        }
        let constants = generator.rng.u8(..5) == 0;
        (generator.out, Options { symbols, constants })
    }
}

/// Evaluate a condition with every symbol known (`None` undefined), as the C preprocessor does.
fn evaluate(expr: &Expr, values: &BTreeMap<&str, Option<i64>>) -> i64 {
    let value_of = |name: &str| values.get(name).copied().flatten();
    match &expr.kind {
        ExprKind::Int(value) => value.as_i64(),
        ExprKind::Ident(name) => value_of(name).unwrap_or(0),
        ExprKind::Defined(name) => i64::from(value_of(name).is_some()),
        ExprKind::Call(..) | ExprKind::Opaque(_) => panic!("no calls are generated"),
        ExprKind::Paren(inner) => evaluate(inner, values),
        ExprKind::Unary(op, operand) => {
            let value = evaluate(operand, values);
            match op {
                UnaryOp::Not => i64::from(value == 0),
                UnaryOp::Neg => -value,
                UnaryOp::Plus => value,
                UnaryOp::BitNot => !value,
            }
        }
        ExprKind::Binary(op, left, right) => {
            let (a, b) = (evaluate(left, values), evaluate(right, values));
            i64::from(match op {
                BinaryOp::And => a != 0 && b != 0,
                BinaryOp::Or => a != 0 || b != 0,
                BinaryOp::Eq => a == b,
                BinaryOp::Ne => a != b,
                BinaryOp::Lt => a < b,
                BinaryOp::Gt => a > b,
                BinaryOp::Le => a <= b,
                BinaryOp::Ge => a >= b,
                other => panic!("{other:?} is not generated"),
            })
        }
        ExprKind::Ternary(..) => panic!("no ternaries are generated"),
    }
}

/// A directive line split into its keyword and its condition without comments.
fn directive(line: &str) -> Option<(&str, Expr)> {
    let text = line.trim_start().strip_prefix('#')?.trim_start();
    let keyword_end = text.find(|c: char| !c.is_ascii_alphabetic())?;
    let (keyword, rest) = text.split_at(keyword_end);
    if keyword != "if" && keyword != "elif" {
        return None;
    }
    let rest = rest.split("/*").next()?.split("//").next()?;
    Some((keyword, cdefang::parse_condition(rest.as_bytes(), 0).ok()?))
}

/// Every assignment of the symbols the options leave unknown: undefined or defined to 0..=2.
fn assignments(options: &Options) -> Vec<BTreeMap<&'static str, Option<i64>>> {
    let mut all = vec![BTreeMap::new()];
    for symbol in SYMBOLS {
        let choices: Vec<Option<i64>> = match options.symbols.get(symbol) {
            Some(known) => vec![*known],
            None => vec![None, Some(0), Some(1), Some(2)],
        };
        all = all
            .into_iter()
            .flat_map(|values| {
                choices.iter().map(move |choice| {
                    let mut values = values.clone();
                    values.insert(symbol, *choice);
                    values
                })
            })
            .collect();
    }
    all
}

/// Why cdefang's line is not an acceptable stand-in for unifdef's, if it is not.
fn compare_lines(unifdef: &str, cdefang: &str, options: &Options) -> Result<(), String> {
    let (Some((u_keyword, u_expr)), Some((c_keyword, c_expr))) =
        (directive(unifdef), directive(cdefang))
    else {
        return Err("only #if/#elif conditions may differ".to_string());
    };
    if u_keyword != c_keyword {
        return Err(format!("keyword `{u_keyword}` became `{c_keyword}`"));
    }
    for values in assignments(options) {
        if (evaluate(&u_expr, &values) != 0) != (evaluate(&c_expr, &values) != 0) {
            return Err(format!("conditions differ for {values:?}"));
        }
    }
    Ok(())
}

fn run(program: &str, args: &[String], file: &Path) -> (Vec<u8>, i32) {
    let output = Command::new(program)
        .args(args)
        .arg(file)
        .output()
        .unwrap_or_else(|error| panic!("cannot run {program} ({error}); apt-get install unifdef"));
    (output.stdout, output.status.code().unwrap_or(-1))
}

/// Splice `\`-continued lines, as the preprocessor's second translation phase does.
fn join_continuations(text: &str) -> String {
    text.replace("\\\r\n", "").replace("\\\n", "")
}

#[test]
fn cdefang_agrees_with_unifdef_on_generated_conditionals() {
    differential(false);
}

/// unifdef leaves a `\`-continued directive as it is, known value or not; cdefang resolves it
/// like any other. So on files with continued directives, cdefang's output is checked against
/// unifdef's on the same file with its continuations spliced (and cdefang's output spliced too,
/// as conditions it keeps stay continued).
#[test]
fn cdefang_resolves_continued_directives_as_unifdef_does_spliced_ones() {
    differential(true);
}

fn differential(continuations: bool) {
    let directory = tempfile::tempdir().unwrap();
    let cdefang = env!("CARGO_BIN_EXE_cdefang");
    let (mut identical, mut simplified_files, mut simplified_lines, mut changed) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    let mut continued = 0;
    for seed in 0..FILES {
        let (source, options) = Generator::file(seed, continuations);
        continued += usize::from(source.contains("\\\n") || source.contains("\\\r\n"));
        let path = directory.path().join(format!("gen-{seed}.c"));
        std::fs::write(&path, &source).unwrap();
        let spliced = directory.path().join(format!("gen-{seed}-spliced.c"));
        std::fs::write(&spliced, join_continuations(&source)).unwrap();
        let args = options.args();
        let (expected, expected_status) = run("unifdef", &args, &spliced);
        assert_ne!(
            expected_status, 2,
            "unifdef failed on seed {seed}:\n{source}"
        );
        let mut cdefang_args = args.clone();
        cdefang_args.push("--stdout".to_string());
        let (actual, status) = run(cdefang, &cdefang_args, &path);
        let actual = match continuations {
            true => join_continuations(&String::from_utf8(actual).unwrap()).into_bytes(),
            false => actual,
        };
        if expected_status == 1 {
            changed += 1;
        }
        if actual == expected && status == expected_status {
            identical += 1;
            continue;
        }
        let (expected, actual) = (
            String::from_utf8(expected).unwrap(),
            String::from_utf8(actual).unwrap(),
        );
        let (expected_lines, actual_lines): (Vec<_>, Vec<_>) = (
            expected.split_inclusive('\n').collect(),
            actual.split_inclusive('\n').collect(),
        );
        let mut verdict = Ok(0);
        if status != 1 {
            verdict = Err(format!("exit status {status}, unifdef's {expected_status}"));
        } else if expected_lines.len() != actual_lines.len() {
            verdict = Err("different line counts".to_string());
        } else {
            for (number, (u, c)) in expected_lines.iter().zip(&actual_lines).enumerate() {
                if u == c {
                    continue;
                }
                match compare_lines(u, c, &options) {
                    Ok(()) => verdict = verdict.map(|count| count + 1),
                    Err(why) => {
                        verdict = Err(format!(
                            "line {}: {why}\n  unifdef: {u}  cdefang: {c}",
                            number + 1
                        ));
                        break;
                    }
                }
            }
        }
        match verdict {
            Ok(lines) => {
                simplified_files += 1;
                simplified_lines += lines;
            }
            Err(why) => failures.push(format!(
                "seed {seed}, options {}: {why}\n--- input\n{source}\n--- unifdef\n{expected}\n--- cdefang\n{actual}",
                args.join(" ")
            )),
        }
    }
    eprintln!(
        "{FILES} files: {identical} byte-identical, {simplified_files} equal but for \
         {simplified_lines} simplified conditions, {} disagree; unifdef changed {changed}; \
         {continued} with continued directives",
        failures.len()
    );
    for failure in &failures {
        eprintln!("{}", failure.lines().next().unwrap_or_default());
    }
    assert!(
        failures.is_empty(),
        "{} of {FILES} files disagree; the first:\n{}",
        failures.len(),
        failures[0]
    );
    // The generator must exercise something: most files change, some are only simplified.
    assert!(changed > FILES / 2, "only {changed} files changed");
    assert!(simplified_files > 0 && identical > FILES / 2);
    assert_eq!(
        continuations,
        continued > 0,
        "{continued} files have continued directives"
    );
}

/// Code lines only: directive lines dropped (cdefang simplifies what unifdef keeps whole),
/// trailing newlines trimmed (unifdef adds a final one).
fn code_lines(text: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(text)
        .trim_end_matches(['\r', '\n'])
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// Does a condition of the file use what cdefang reads and unifdef 2.10 does not (README, "unifdef
/// mode"): integer suffixes (`199901L`) or arithmetic operators (`+ - * / % << >> & | ^ ~ ?:`)?
fn beyond_unifdef(text: &str) -> bool {
    text.lines()
        .map(str::trim_start)
        .filter(|line| line.starts_with('#'))
        .filter(|line| {
            let rest = line[1..].trim_start();
            rest.starts_with("if") || rest.starts_with("elif")
        })
        .any(|line| {
            let condition = line
                .split("/*")
                .next()
                .unwrap_or(line)
                .split("//")
                .next()
                .unwrap_or(line)
                .replace("&&", " ")
                .replace("||", " ");
            let bytes = condition.as_bytes();
            let suffix = bytes.windows(2).any(|pair| {
                pair[0].is_ascii_digit() && matches!(pair[1], b'u' | b'U' | b'l' | b'L')
            });
            suffix
                || condition.contains(['+', '-', '*', '/', '%', '^', '~', '?', '&', '|'])
                || condition.contains("<<")
                || condition.contains(">>")
        })
}

/// Is `part` `whole` with some lines left out?
fn is_subsequence(part: &[String], whole: &[String]) -> bool {
    let mut rest = whole.iter();
    part.iter().all(|line| rest.any(|other| other == line))
}

/// On real code bases (scripts/fetch-corpora.sh), with the four symbols their conditions test
/// most (the first and third defined, the others undefined): for every file, with continued
/// lines spliced for both, cdefang and unifdef keep the same code lines. Directive lines are not
/// compared: cdefang simplifies partly known conditions (README, "unifdef mode"). In a file
/// whose conditions use integer suffixes or arithmetic, which cdefang decides and unifdef 2.10
/// leaves whole, cdefang may decide more: there its code lines must be unifdef's with some left
/// out (never a line unifdef drops, never a changed one).
#[test]
fn cdefang_agrees_with_unifdef_on_real_code_bases() {
    if Command::new("unifdef").arg("-h").output().is_err() {
        eprintln!("SKIPPED: cdefang_agrees_with_unifdef_on_real_code_bases: no unifdef");
        return;
    }
    for name in ["zlib", "lua", "zstd", "curl", "libgit2"] {
        let Some(tree) = crate::util::corpus(name) else {
            continue;
        };
        let symbols = crate::util::run(&tree, &["--symbols", "."]);
        let mut counted: Vec<(u64, String)> = String::from_utf8_lossy(&symbols.stdout)
            .lines()
            .filter_map(|line| {
                let (symbol, count) = line.split_once(' ')?;
                Some((count.parse().ok()?, symbol.to_string()))
            })
            .collect();
        counted.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let args: Vec<String> = counted
            .iter()
            .take(4)
            .enumerate()
            .map(|(index, (_, symbol))| {
                if index % 2 == 0 {
                    format!("-D{symbol}")
                } else {
                    format!("-U{symbol}")
                }
            })
            .collect();
        let dir = crate::util::scratch();
        let mut differences = Vec::new();
        let mut compared = 0;
        let mut decided_more = 0;
        for entry in walkdir::WalkDir::new(&tree).sort_by_file_name() {
            let entry = entry.unwrap();
            let path = entry.path();
            if !matches!(path.extension().and_then(|e| e.to_str()), Some("c" | "h")) {
                continue;
            }
            let bytes = std::fs::read(path).unwrap();
            if bytes.contains(&0) {
                continue;
            }
            let spliced = join_continuations(&String::from_utf8_lossy(&bytes));
            std::fs::write(dir.path().join("f.c"), &spliced).unwrap();
            let mut ours: Vec<&str> = args.iter().map(String::as_str).collect();
            ours.extend(["--stdout", "f.c"]);
            let cdefang = crate::util::run(dir.path(), &ours);
            let mut theirs: Vec<&str> = args.iter().map(String::as_str).collect();
            theirs.push("f.c");
            let unifdef = crate::util::unifdef(dir.path(), &theirs);
            if unifdef.status.code() == Some(2) {
                continue; // unifdef refuses the file (its own limits); not compared
            }
            compared += 1;
            let (a, b) = (code_lines(&unifdef.stdout), code_lines(&cdefang.stdout));
            if a != b && beyond_unifdef(&spliced) && is_subsequence(&b, &a) {
                decided_more += 1;
            } else if a != b {
                let at = a
                    .iter()
                    .zip(&b)
                    .position(|(x, y)| x != y)
                    .unwrap_or(a.len().min(b.len()));
                differences.push(format!(
                    "{}: line {at}: unifdef {:?} / cdefang {:?}",
                    path.display(),
                    a.get(at),
                    b.get(at)
                ));
            }
        }
        eprintln!(
            "{name}: {} with {args:?}: {compared} files compared, {decided_more} where cdefang decides more (suffixes, arithmetic)",
            tree.display()
        );
        assert!(compared > 10, "{name}: only {compared} files compared");
        assert!(
            differences.is_empty(),
            "{name} {args:?}: {} files differ:\n{}",
            differences.len(),
            differences.join("\n")
        );
    }
}

/// unifdef's own test cases (unifdef 2.10's tests/, from scripts/fetch-corpora.sh) that are one
/// `unifdef` command with `-D`/`-U`/`-k` and one file: cdefang's output and exit status must be
/// the expected ones, except for the cases README ("unifdef mode") lists as decided otherwise.
const UNIFDEF_CASES_DECIDED_OTHERWISE: [(&str, &str); 3] = [
    (
        "args1",
        "a function-like macro named in -D (`FOO(arg)`) stays unknown",
    ),
    (
        "args2",
        "a function-like macro named in -D (`FOO(arg)`) stays unknown",
    ),
    (
        "whitespace-1",
        "a line longer than unifdef's buffer, which unifdef refuses",
    ),
];

#[test]
fn cdefang_passes_unifdefs_own_test_cases() {
    let Some(unifdef) = crate::util::corpus("unifdef") else {
        return;
    };
    let tests = unifdef.join("tests");
    let mut names: Vec<String> = std::fs::read_dir(&tests)
        .unwrap()
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            Some(name.strip_suffix(".sh")?.to_string())
        })
        .collect();
    names.sort();
    let mut compared = 0;
    let mut differing = Vec::new();
    for name in names {
        let script = std::fs::read_to_string(tests.join(format!("{name}.sh"))).unwrap();
        let lines: Vec<&str> = script
            .lines()
            .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
            .collect();
        let [line] = lines.as_slice() else { continue };
        let mut words = line.split_whitespace();
        if words.next() != Some("unifdef") {
            continue;
        }
        let (options, files): (Vec<&str>, Vec<&str>) =
            words.partition(|word| word.starts_with('-'));
        let plain = options
            .iter()
            .all(|option| option.starts_with("-D") || option.starts_with("-U") || *option == "-k");
        if !plain || files.len() != 1 || line.contains(['<', '>', '|']) {
            continue;
        }
        let mut args = options.clone();
        args.extend(["--stdout", files[0]]);
        let output = crate::util::run(&tests, &args);
        let expected = std::fs::read(tests.join(format!("{name}.expout"))).unwrap();
        let status: i32 = std::fs::read_to_string(tests.join(format!("{name}.exprc")))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        compared += 1;
        if output.stdout != expected || output.status.code() != Some(status) {
            differing.push(name);
        }
    }
    let decided: Vec<&str> = UNIFDEF_CASES_DECIDED_OTHERWISE
        .iter()
        .map(|(name, _)| *name)
        .collect();
    assert!(
        compared >= 30,
        "only {compared} of unifdef's cases compared"
    );
    assert_eq!(differing, decided, "{compared} cases compared");
}
