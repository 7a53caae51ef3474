//! The serde model of a rules file, as written: every key of the README's "Rules" section,
//! with the spans of the values diagnostics point at. `validate.rs` turns it into rules; `learn`
//! builds it ([`RuleToml::new`]) and writes it ([`RulesToml::to_document`]), so that a file is
//! read and written by the same model. Serializing skips what is empty or the default, so a
//! written file says only what matters; spans serialize as their values.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use toml::Spanned;
use toml_edit::{Array, DocumentMut, Item, Table, Value};

use super::{Action, BodyScope, Fallback, Nesting, Per, Target};

#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RulesToml {
    // In the order an unknown key's error lists them; written with the rules after the hints.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) rule: Vec<RuleToml>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) statement_macros: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) blank_macros: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) function_macros: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) typedefs: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) test: Vec<TestToml>,
}

#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TestToml {
    pub(crate) name: Spanned<String>,
    pub(crate) file: Spanned<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) code: Option<Spanned<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) path: Option<Spanned<String>>,
    pub(crate) expect: Spanned<BTreeMap<Spanned<String>, Spanned<u64>>>,
}

/// A rule, its keys in the order a rules file writes them (`[rule.match]` comes last, as a
/// table; `define`/`undef` and `replacement` never stand together) and in which an unknown
/// key's error lists them.
#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleToml {
    pub(crate) id: Spanned<String>,
    pub(crate) message: String,
    /// Omitted: every file given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) files: Option<Spanned<StringList>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) exclude: Option<Spanned<StringList>>,
    /// What the action edits (`conditional` when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) target: Option<Spanned<Target>>,
    /// Required but for `resolve` rules, which may select by their assumptions alone.
    #[serde(rename = "match", default, skip_serializing_if = "Option::is_none")]
    pub(crate) matcher: Option<Spanned<MatchToml>>,
    pub(crate) action: Spanned<ActionToml>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) define: Vec<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) undef: Vec<Spanned<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) replacement: Option<Spanned<String>>,
    /// For `set`: the new replacement text of the `#define`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) value: Option<Spanned<String>>,
    /// For `guard`: the opening directive, `#ifdef NAME`, `#ifndef NAME` or `#if COND`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) guard: Option<Spanned<String>>,
    /// For `guard`: the closing line when it is not a plain `#endif` (`#endif /* NAME */`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) guard_end: Option<Spanned<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) expect: Option<Spanned<ExpectToml>>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub(crate) fallback: Fallback,
}

#[derive(Deserialize, Serialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum ActionToml {
    Drop,
    Keep,
    Resolve,
    ReplaceCondition,
    Replace,
    Set,
    Guard,
}

#[derive(Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct MatchToml {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) condition: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) uses: Vec<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) calls: Vec<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) includes: Vec<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) mentions: Vec<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) structs: Vec<Spanned<String>>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub(crate) references: bool,
    /// A function name or a list of them; one is written as a string.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "one_or_list"
    )]
    pub(crate) inside: Option<Spanned<StringList>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) not_inside: Option<Spanned<StringList>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) scope: Option<Spanned<BodyScope>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) nested: Option<Spanned<Nesting>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) defines: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) undefs: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) value: Option<String>,
}

/// A string or a list of strings, as written; a lone string's span is the value's (filled in
/// by validation from the [`Spanned`] around the list: here it is empty).
#[derive(Clone, Default)]
pub(crate) struct StringList(pub(crate) Vec<Spanned<String>>);

impl StringList {
    pub(crate) fn of(items: Vec<String>) -> StringList {
        StringList(items.into_iter().map(unspanned).collect())
    }

    /// The items, a lone string's span set to `whole` (the value's span).
    pub(crate) fn spanned(list: Spanned<StringList>) -> Vec<Spanned<String>> {
        let whole = list.span();
        list.into_inner()
            .0
            .into_iter()
            .map(|item| {
                if item.span().is_empty() {
                    Spanned::new(whole.clone(), item.into_inner())
                } else {
                    item
                }
            })
            .collect()
    }
}

impl<'de> Deserialize<'de> for StringList {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor;
        impl<'de> serde::de::Visitor<'de> for ListVisitor {
            type Value = StringList;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or a list of strings")
            }

            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<StringList, E> {
                Ok(StringList(vec![unspanned(value.to_string())]))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<StringList, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Spanned<String>>()? {
                    items.push(item);
                }
                Ok(StringList(items))
            }
        }
        deserializer.deserialize_any(ListVisitor)
    }
}

/// Always a list.
impl Serialize for StringList {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let items: Vec<&String> = self.0.iter().map(|item| item.get_ref()).collect();
        items.serialize(serializer)
    }
}

/// One item as a string, more as a list.
fn one_or_list<S: serde::Serializer>(
    list: &Option<Spanned<StringList>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match list.as_ref().map(|list| &list.get_ref().0[..]) {
        Some([one]) => serializer.serialize_str(one.get_ref()),
        Some(items) => {
            let items: Vec<&String> = items.iter().map(|item| item.get_ref()).collect();
            items.serialize(serializer)
        }
        None => serializer.serialize_none(),
    }
}

#[derive(Clone)]
pub(crate) enum ExpectToml {
    Exactly(u64),
    Range(ExpectRangeToml),
}

impl<'de> Deserialize<'de> for ExpectToml {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ExpectVisitor;
        impl<'de> serde::de::Visitor<'de> for ExpectVisitor {
            type Value = ExpectToml;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number of matches, or a table { min = N, max = N, per = \"run\" | \"file\" }")
            }

            fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<ExpectToml, E> {
                u64::try_from(value)
                    .map(ExpectToml::Exactly)
                    .map_err(|_| E::custom("`expect` cannot be negative"))
            }

            fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<ExpectToml, E> {
                Ok(ExpectToml::Exactly(value))
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<ExpectToml, A::Error> {
                let range = ExpectRangeToml::deserialize(
                    serde::de::value::MapAccessDeserializer::new(map),
                )?;
                Ok(ExpectToml::Range(range))
            }
        }
        deserializer.deserialize_any(ExpectVisitor)
    }
}

/// A number, or the table of a range: as it is read.
impl Serialize for ExpectToml {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ExpectToml::Exactly(count) => serializer.serialize_u64(*count),
            ExpectToml::Range(range) => range.serialize(serializer),
        }
    }
}

#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExpectRangeToml {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) min: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) max: Option<u64>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub(crate) per: Per,
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// A value written by a program rather than read from a text: its span is empty.
pub(crate) fn unspanned<T>(value: T) -> Spanned<T> {
    Spanned::new(0..0, value)
}

impl RuleToml {
    /// A rule as written, from validated parts: the action becomes `action` and, as validation
    /// reads them, `define`/`undef` or `replacement`. (Only `define`d and `undef`ined symbols
    /// are written: assumptions about every other symbol or about constant conditions are the
    /// command line's.)
    pub(crate) fn new(
        id: String,
        message: String,
        files: Vec<String>,
        action: &Action,
        matcher: MatchToml,
        expect: Option<ExpectToml>,
    ) -> RuleToml {
        let (mut value, mut guard, mut guard_end) = (None, None, None);
        let (action, define, undef, replacement) = match action {
            Action::Drop => (ActionToml::Drop, Vec::new(), Vec::new(), None),
            Action::Replace(header) => (
                ActionToml::Replace,
                Vec::new(),
                Vec::new(),
                Some(header.clone()),
            ),
            Action::SetValue(text) => {
                value = Some(unspanned(text.clone()));
                (ActionToml::Set, Vec::new(), Vec::new(), None)
            }
            Action::Guard(opening) => {
                guard = Some(unspanned(opening.opening.clone()));
                if opening.closing != "#endif" {
                    guard_end = Some(unspanned(opening.closing.clone()));
                }
                (ActionToml::Guard, Vec::new(), Vec::new(), None)
            }
            Action::Keep => (ActionToml::Keep, Vec::new(), Vec::new(), None),
            Action::Resolve(assumptions) => (
                ActionToml::Resolve,
                assumptions.definitions(),
                assumptions.undefined.clone(),
                None,
            ),
            Action::ReplaceCondition(replacement) => (
                ActionToml::ReplaceCondition,
                Vec::new(),
                Vec::new(),
                Some(replacement.clone()),
            ),
        };
        RuleToml {
            id: unspanned(id),
            message,
            files: Some(unspanned(StringList::of(files))),
            exclude: None,
            matcher: Some(unspanned(matcher)),
            action: unspanned(action),
            replacement: replacement.map(unspanned),
            define: define.into_iter().map(unspanned).collect(),
            undef: undef.into_iter().map(unspanned).collect(),
            expect: expect.map(unspanned),
            fallback: Fallback::default(),
            target: None,
            value,
            guard,
            guard_end,
        }
    }

    /// This rule acting on `target` (written only when it is not the default).
    pub(crate) fn with_target(mut self, target: Target) -> RuleToml {
        self.target = (target != Target::Conditional).then(|| unspanned(target));
        self
    }
}

/// How wide a `key = [...]` line may be before its array is wrapped.
const COLUMNS: usize = 100;

impl RulesToml {
    /// The file as a TOML document laid out as the shipped rules files are: the top-level keys
    /// first, then each rule as a `[[rule]]` table followed by its `[rule.match]` table, then
    /// each `[[test]]` (its `expect` inline); an array on one line when `key = [...]` fits in
    /// 100 columns, else wrapped, as many items a line as fit, indented by four. Comments are
    /// the caller's to add (as the decor of keys and tables).
    pub(crate) fn to_document(&self) -> Result<DocumentMut, toml_edit::ser::Error> {
        let mut document = toml_edit::ser::to_document(self)?;
        let root = document.as_table_mut();
        for (key, inner) in [("rule", &["match"][..]), ("test", &[])] {
            if let Some(item) = root.remove(key) {
                root.insert(key, tables(item, inner));
            }
        }
        wrap_arrays(root);
        basic_strings(root);
        Ok(document)
    }
}

/// Every string of `table` and the tables under it written as a basic string, `"…"`, with `"`,
/// `\` and control characters escaped (`\u0009`), as the shipped rules files write them (the
/// serializer would choose a literal or multi-line string for some).
fn basic_strings(table: &mut Table) {
    fn restring(value: &mut Value) {
        match value {
            Value::String(text) => {
                let decor = text.decor().clone();
                if let Ok(Value::String(mut basic)) = basic_string(text.value()).parse::<Value>() {
                    *basic.decor_mut() = decor;
                    *text = basic;
                }
            }
            Value::Array(array) => array.iter_mut().for_each(restring),
            Value::InlineTable(table) => table.iter_mut().for_each(|(_, item)| restring(item)),
            _ => {}
        }
    }
    for (_, item) in table.iter_mut() {
        match item {
            Item::Value(item) => restring(item),
            Item::Table(table) => basic_strings(table),
            Item::ArrayOfTables(tables) => tables.iter_mut().for_each(basic_strings),
            Item::None => {}
        }
    }
}

/// `text` as a TOML basic string.
fn basic_string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if c.is_control() => quoted.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// An array of inline tables (as serialized) as an array of tables, and in each, the inline
/// tables under the keys `inner` as tables. Anything else stays as it is.
fn tables(item: Item, inner: &[&str]) -> Item {
    let mut tables = match item.into_array_of_tables() {
        Ok(tables) => tables,
        Err(item) => return item,
    };
    for table in tables.iter_mut() {
        for &key in inner {
            if let Some(item) = table.remove(key) {
                table.insert(key, item.into_table().map_or_else(|item| item, Item::Table));
            }
        }
    }
    Item::ArrayOfTables(tables)
}

/// Wrap the arrays of `table` and of the tables under it whose `key = [...]` line is too wide.
fn wrap_arrays(table: &mut Table) {
    for (key, item) in table.iter_mut() {
        match item {
            Item::Value(Value::Array(array)) => {
                let line = key.display_repr().len() + " = ".len() + array.to_string().len();
                if line > COLUMNS {
                    wrap(array);
                }
            }
            Item::Table(table) => wrap_arrays(table),
            Item::ArrayOfTables(tables) => tables.iter_mut().for_each(wrap_arrays),
            _ => {}
        }
    }
}

/// One row of items after another, each row as long as fits in [`COLUMNS`] after its indent.
fn wrap(array: &mut Array) {
    const INDENT: &str = "    ";
    let mut row = 0;
    for item in array.iter_mut() {
        // Each item with its `, `, as the row is written.
        let width = item.to_string().len() + 2;
        if row == 0 || INDENT.len() + row + width > COLUMNS {
            item.decor_mut().set_prefix(format!("\n{INDENT}"));
            row = 0;
        } else {
            item.decor_mut().set_prefix(" ");
        }
        item.decor_mut().set_suffix("");
        row += width;
    }
    array.set_trailing("\n");
    array.set_trailing_comma(false);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cond::Assumptions;

    #[test]
    fn strings_are_written_as_basic_strings() {
        assert_eq!(
            basic_string("a \"b\" \\ \t"),
            "\"a \\\"b\\\" \\\\ \\u0009\""
        );
        let rules = RulesToml {
            rule: Vec::new(),
            statement_macros: vec!["q'\"\\".to_string(), "line\nbreak".to_string()],
            blank_macros: Vec::new(),
            function_macros: Vec::new(),
            typedefs: Vec::new(),
            test: Vec::new(),
        };
        let text = rules.to_document().unwrap().to_string();
        assert_eq!(
            text,
            "statement_macros = [\"q'\\\"\\\\\", \"line\\u000Abreak\"]\n"
        );
        let read: RulesToml = toml::from_str(&text).unwrap();
        assert_eq!(read.statement_macros, rules.statement_macros);
    }

    #[test]
    fn a_rule_written_reads_back_the_same() {
        let mut assumptions = Assumptions::default();
        assumptions.define("OBSOLETE_LINUX_KERNEL");
        assumptions.define("LEVEL=2");
        assumptions.undefine("__linux__");
        let matcher = MatchToml {
            uses: vec![unspanned("OBSOLETE_LINUX_KERNEL".to_string())],
            ..MatchToml::default()
        };
        let names: Vec<String> = (0..30).map(|index| format!("MACRO_{index}")).collect();
        let file = RulesToml {
            statement_macros: vec!["uwsgi_foreach".to_string()],
            blank_macros: names.clone(),
            function_macros: Vec::new(),
            typedefs: Vec::new(),
            rule: vec![RuleToml::new(
                "a \"quoted\" \\ \t id".to_string(),
                "resolve them".to_string(),
                vec!["core/*.c".to_string()],
                &Action::Resolve(assumptions.clone()),
                matcher,
                Some(ExpectToml::Exactly(2)),
            )],
            test: Vec::new(),
        };
        let text = file.to_document().unwrap().to_string();
        assert!(
            text.starts_with(
                "statement_macros = [\"uwsgi_foreach\"]\nblank_macros = [\n    \"MACRO_0\", "
            ),
            "{text}"
        );
        assert!(text.lines().all(|line| line.len() <= COLUMNS), "{text}");
        assert!(text.contains("\n[[rule]]\n"), "{text}");
        assert!(
            text.contains("\nexpect = 2\n\n[rule.match]\nuses = [\"OBSOLETE_LINUX_KERNEL\"]\n"),
            "{text}"
        );
        let loaded = super::super::load(&text, 0).unwrap();
        assert_eq!(loaded.macros.blank, names);
        let rule = &loaded.rules[0];
        assert_eq!(rule.id, "a \"quoted\" \\ \t id");
        assert_eq!(rule.action, Action::Resolve(assumptions));
        assert_eq!(
            rule.expect.as_ref().map(|expect| (expect.min, expect.max)),
            Some((2, 2))
        );
        assert_eq!(rule.matcher.uses, vec!["OBSOLETE_LINUX_KERNEL".to_string()]);
    }

    #[test]
    fn every_key_written_reads_back() {
        let text = r#"
[[rule]]
id = "a"
message = "m"
files = ["*.c"]
action = "drop"
expect = { min = 1, max = 2, per = "file" }
fallback = "tokens"
[rule.match]
condition = "defined(X)"
calls = ["f"]
references = true

[[test]]
name = "one"
file = "x.c"
code = '''
int x;
'''
expect = { a = 1 }
"#;
        let written = |text: &str| {
            let model: RulesToml = toml::from_str(text).unwrap();
            model.to_document().unwrap().to_string()
        };
        let once = written(text);
        for part in [
            "\nexpect = { min = 1, max = 2, per = \"file\" }\nfallback = \"tokens\"\n\n[rule.match]\n",
            "\nreferences = true\n\n[[test]]\n",
        ] {
            assert!(once.contains(part), "{once}");
        }
        assert!(once.ends_with("\nexpect = { a = 1 }\n"), "{once}");
        assert_eq!(written(&once), once);
        let loaded = super::super::load(&once, 0).unwrap();
        assert_eq!(loaded.rules[0].fallback, Fallback::Tokens);
        assert_eq!(loaded.tests[0].expect[0].matches, 1);
    }
}
