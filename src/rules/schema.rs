//! The serde model of a rules file, as written: every key of the README's "Rules" section,
//! with the spans of the values diagnostics point at. `validate.rs` turns it into rules.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::{Fallback, Per};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RulesToml {
    #[serde(default)]
    pub(super) rule: Vec<RuleToml>,
    #[serde(default)]
    pub(super) statement_macros: Vec<String>,
    #[serde(default)]
    pub(super) blank_macros: Vec<String>,
    #[serde(default)]
    pub(super) function_macros: Vec<String>,
    #[serde(default)]
    pub(super) typedefs: Vec<String>,
    #[serde(default)]
    pub(super) test: Vec<TestToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TestToml {
    pub(super) name: Spanned<String>,
    pub(super) file: Spanned<String>,
    pub(super) code: Option<Spanned<String>>,
    pub(super) path: Option<Spanned<String>>,
    pub(super) expect: Spanned<BTreeMap<Spanned<String>, Spanned<u64>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RuleToml {
    pub(super) id: Spanned<String>,
    pub(super) message: String,
    pub(super) files: Spanned<Vec<Spanned<String>>>,
    #[serde(rename = "match")]
    pub(super) matcher: Spanned<MatchToml>,
    pub(super) action: Spanned<ActionToml>,
    #[serde(default)]
    pub(super) define: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) undef: Vec<Spanned<String>>,
    pub(super) replacement: Option<Spanned<String>>,
    pub(super) expect: Option<Spanned<ExpectToml>>,
    #[serde(default)]
    pub(super) fallback: Fallback,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub(super) enum ActionToml {
    Drop,
    Keep,
    Resolve,
    ReplaceCondition,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct MatchToml {
    pub(super) condition: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) uses: Vec<String>,
    #[serde(default)]
    pub(super) calls: Vec<String>,
    #[serde(default)]
    pub(super) includes: Vec<String>,
    #[serde(default)]
    pub(super) mentions: Vec<String>,
    #[serde(default)]
    pub(super) structs: Vec<String>,
    #[serde(default)]
    pub(super) references: bool,
    pub(super) inside: Option<String>,
}

pub(super) enum ExpectToml {
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ExpectRangeToml {
    pub(super) min: Option<u64>,
    pub(super) max: Option<u64>,
    #[serde(default)]
    pub(super) per: Per,
}
