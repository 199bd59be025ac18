//! The rule file as written: serde structs that mirror `rules/default.toml` one to one.
//!
//! Unknown keys are errors (`deny_unknown_fields`); values checked after parsing (actions,
//! regexes) are kept as [`toml::Spanned`] so their errors can point at the value.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRules {
    #[serde(default)]
    pub(crate) markers: RawMarkers,
    #[serde(default)]
    pub(crate) jwt: RawJwt,
    #[serde(default)]
    pub(crate) hash: RawHash,
    #[serde(default)]
    pub(crate) bearer: RawScheme,
    #[serde(default)]
    pub(crate) basic: RawScheme,
    #[serde(default)]
    pub(crate) secret_keys: Vec<RawSecretKeys>,
    #[serde(default)]
    pub(crate) patterns: Vec<RawPattern>,
    #[serde(default)]
    pub(crate) findings: RawFindings,
    #[serde(default)]
    pub(crate) json_fields: Vec<RawJsonFields>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMarkers {
    pub(crate) redacted: Option<Spanned<String>>,
    pub(crate) signature: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawJwt {
    pub(crate) default_claim_action: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) claims: BTreeMap<String, Spanned<String>>,
    /// N for `mask` claim actions without an inline `mask:N`.
    pub(crate) mask_prefix: Option<Spanned<i64>>,
    /// Claim rules that apply when other claims have given values.
    #[serde(default)]
    pub(crate) conditions: Vec<RawCondition>,
}

/// `[[jwt.conditions]]`: claim actions and a findings flag for tokens whose claims match.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCondition {
    pub(crate) name: Option<Spanned<String>>,
    /// Claim name -> value (or list of values) it must equal.
    pub(crate) when: Spanned<BTreeMap<String, Spanned<toml::Value>>>,
    /// Claim actions for matching tokens, as in `[jwt.claims]`.
    #[serde(default)]
    pub(crate) claims: BTreeMap<String, Spanned<String>>,
    /// A findings flag set on matching tokens.
    pub(crate) flag: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHash {
    pub(crate) key_env: Option<String>,
    pub(crate) key_file: Option<String>,
    pub(crate) key_id: Option<Spanned<String>>,
    pub(crate) hex_len: Option<Spanned<i64>>,
    /// Keys used before the active one (rotation).
    #[serde(default)]
    pub(crate) retired: Vec<RawRetiredKey>,
    /// Never accepted: read only to say where keys come from instead.
    pub(crate) key: Option<Spanned<toml::Value>>,
}

/// `[[hash.retired]]`: a key that made pseudonyms before the active one.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRetiredKey {
    pub(crate) key_id: Spanned<String>,
    pub(crate) key_env: Option<String>,
    pub(crate) key_file: Option<String>,
    /// Never accepted (see [`RawHash::key`]).
    pub(crate) key: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScheme {
    pub(crate) action: Option<Spanned<String>>,
    pub(crate) mask_prefix: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSecretKeys {
    pub(crate) names: Vec<Spanned<String>>,
    pub(crate) action: Option<Spanned<String>>,
    pub(crate) mask_prefix: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPattern {
    pub(crate) name: String,
    pub(crate) regex: Spanned<String>,
    pub(crate) action: Option<Spanned<String>>,
    pub(crate) mask_prefix: Option<Spanned<i64>>,
    /// Literals that must occur in any match (ASCII case-insensitive); used for the prefilter.
    pub(crate) triggers: Option<Vec<String>>,
    /// Literals (exact) a line must also hold before the regex runs on it.
    #[serde(default)]
    pub(crate) requires: Vec<Spanned<String>>,
}

/// `[findings]`: risk flags and fingerprints of findings reports; never changes redaction.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFindings {
    /// A duration such as `"24h"`: `exp - iat` above it is `long_lived`.
    pub(crate) max_lifetime: Option<Spanned<String>>,
    pub(crate) allowed_issuers: Option<Spanned<Vec<String>>>,
    pub(crate) allowed_audiences: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub(crate) weak_algs: Vec<Spanned<String>>,
    pub(crate) fingerprint_key_env: Option<String>,
    pub(crate) fingerprint_key_id: Option<Spanned<String>>,
}

/// `[[json_fields]]`: values of JSON members chosen by key name or path (`src/format/`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawJsonFields {
    /// `password`, `*.email`, `headers.authorization`, `$.user.ssn`.
    pub(crate) paths: Vec<Spanned<String>>,
    pub(crate) action: Option<Spanned<String>>,
}
