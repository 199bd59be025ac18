//! Rules: what to find and what to do with it.
//!
//! A rule file (TOML, see `rules/default.toml`) is parsed into [`file`] structs, then compiled
//! here into an immutable [`Rules`] value: actions resolved, regexes built with size limits,
//! key names lowercased. Rules *decide*; they never touch log bytes (that is the private
//! `redact` module).
//!
//! ```
//! let rules = logscrub::Rules::embedded();
//! assert!(rules.summary().contains("secret keys"));
//! let err = logscrub::Rules::from_toml("x.toml", "[jwt]\nbogus = 1\n").unwrap_err();
//! assert!(err.to_string().starts_with("x.toml:2:1: unknown field `bogus`"));
//! ```

pub(crate) mod action;
mod error;
pub mod expect;
mod file;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use regex::bytes::{Regex, RegexBuilder};
use toml::Spanned;

pub use action::{Action, KNOWN_PREFIXES, Mask};
use error::line_col;

pub use error::{Problem, RuleError, RuleErrorKind};
use file::RawRules;

/// The rules compiled into the binary (`rules/default.toml`).
pub const DEFAULT_RULES_TOML: &str = include_str!("../../rules/default.toml");

/// Size limit for each user regex (compiled program and lazy DFA cache), as ripgrep sets them.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Where the keyed-hash key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashSettings {
    /// Environment variable holding the key.
    pub key_env: Option<String>,
    /// File holding the key (trailing newline ignored).
    pub key_file: Option<PathBuf>,
    /// Id written before every hash, so a reader knows which key made it.
    pub key_id: String,
    /// Hex characters of output kept.
    pub hex_len: usize,
    /// Keys that made pseudonyms before this one, newest first (`[[hash.retired]]`).
    pub retired: Vec<RetiredKey>,
}

impl HashSettings {
    /// The hash key: the value of `key_env` when it is set and non-empty, else the contents of
    /// `key_file` without a trailing newline; `Ok(None)` when neither gives a key. Fails only
    /// when the key file cannot be read.
    pub fn load_key(&self) -> std::io::Result<Option<Vec<u8>>> {
        load_key(self.key_env.as_deref(), self.key_file.as_deref())
    }

    /// Every key id a pseudonym may carry: the active one, then the retired ones.
    pub fn key_ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.key_id.as_str()).chain(self.retired.iter().map(|r| r.key_id.as_str()))
    }
}

/// A key that made pseudonyms before the active one. Its id is recognised (a pseudonym that
/// carries it is left as it is when logs are scrubbed again) and listed by `logscrub check`;
/// with a key source, `logscrub hash` also computes its pseudonyms, to find old log lines about
/// a value. It never makes new pseudonyms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetiredKey {
    /// The id its pseudonyms carry.
    pub key_id: String,
    /// Environment variable holding the key (optional).
    pub key_env: Option<String>,
    /// File holding the key (optional).
    pub key_file: Option<PathBuf>,
}

impl RetiredKey {
    /// The key, as [`HashSettings::load_key`] reads it; `Ok(None)` when none is configured or set.
    pub fn load_key(&self) -> std::io::Result<Option<Vec<u8>>> {
        load_key(self.key_env.as_deref(), self.key_file.as_deref())
    }
}

/// A key from an environment variable (when set and non-empty), else from a file (without a
/// trailing newline).
fn load_key(env: Option<&str>, file: Option<&Path>) -> std::io::Result<Option<Vec<u8>>> {
    if let Some(k) = env.and_then(std::env::var_os).filter(|k| !k.is_empty()) {
        return Ok(Some(k.into_encoded_bytes()));
    }
    if let Some(path) = file {
        let bytes = std::fs::read(path)?;
        let key = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
        let key = key.strip_suffix(b"\r").unwrap_or(key);
        if !key.is_empty() {
            return Ok(Some(key.to_vec()));
        }
    }
    Ok(None)
}

/// `[findings]`: how findings reports ([`crate::findings`]) flag and fingerprint what was found.
/// None of it changes what is redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingSettings {
    /// A token whose `exp - iat` (or `exp - nbf` without `iat`) is above this many seconds is
    /// `long_lived`; `None`: never.
    pub max_lifetime: Option<u64>,
    /// Issuers a token may come from; a kept `iss` outside them is `foreign_environment`.
    /// Empty: any issuer.
    pub allowed_issuers: Vec<String>,
    /// Audiences a token may be for; a kept `aud` value outside them is `foreign_environment`.
    /// Empty: any audience.
    pub allowed_audiences: Vec<String>,
    /// `alg` values that make a token `weak_alg` (compared ASCII case-insensitively).
    pub weak_algs: Vec<String>,
    /// Environment variable holding the fingerprint key, used when no `[hash]` key is set.
    pub fingerprint_key_env: Option<String>,
    /// Id naming that key in `fingerprint_scope` (`key:<id>`).
    pub fingerprint_key_id: String,
    /// The name of each `[[jwt.conditions]]` rule, by index (from the rules).
    pub condition_names: Vec<String>,
    /// The `flag` of each `[[jwt.conditions]]` rule, by index (from the rules).
    pub condition_flags: Vec<Option<String>>,
}

impl Default for FindingSettings {
    fn default() -> Self {
        FindingSettings {
            max_lifetime: None,
            allowed_issuers: Vec::new(),
            allowed_audiences: Vec::new(),
            weak_algs: Vec::new(),
            fingerprint_key_env: None,
            fingerprint_key_id: "f1".to_string(),
            condition_names: Vec::new(),
            condition_flags: Vec::new(),
        }
    }
}

/// JWS and JWE `alg` names registered with IANA (RFC 7518, RFC 8037, RFC 8812, RFC 9864 and
/// the ML-DSA draft): `findings.weak_algs` entries must be one of them, so a typo is an error
/// rather than a flag that never fires.
const KNOWN_ALGS: &[&str] = &[
    "none",
    "HS256",
    "HS384",
    "HS512",
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "ES256K",
    "EdDSA",
    "Ed25519",
    "Ed448",
    "ML-DSA-44",
    "ML-DSA-65",
    "ML-DSA-87",
    "RSA1_5",
    "RSA-OAEP",
    "RSA-OAEP-256",
    "RSA-OAEP-384",
    "RSA-OAEP-512",
    "A128KW",
    "A192KW",
    "A256KW",
    "dir",
    "ECDH-ES",
    "ECDH-ES+A128KW",
    "ECDH-ES+A192KW",
    "ECDH-ES+A256KW",
    "A128GCMKW",
    "A192GCMKW",
    "A256GCMKW",
    "PBES2-HS256+A128KW",
    "PBES2-HS384+A192KW",
    "PBES2-HS512+A256KW",
];

/// Parses a duration such as `90s`, `15m`, `24h`, `7d`, `2w` or `1h30m` into seconds.
fn parse_duration(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let mut total: u64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let (num, tail) = rest.split_at(digits);
        let n: u64 = num.parse().ok()?;
        let mut chars = tail.chars();
        let unit = match chars.next()? {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
        rest = chars.as_str();
    }
    Some(total)
}

/// Formats seconds as the shortest `1d2h3m4s`-style duration (`0s` for zero).
fn format_duration(mut secs: u64) -> String {
    if secs == 0 {
        return "0s".to_string();
    }
    let mut s = String::new();
    for (unit, name) in [(86_400, 'd'), (3600, 'h'), (60, 'm'), (1, 's')] {
        if secs >= unit {
            let _ = write!(s, "{}{name}", secs / unit);
            secs %= unit;
        }
    }
    s
}

/// A compiled `[[patterns]]` rule.
#[derive(Debug, Clone)]
pub struct PatternRule {
    /// The rule's name (used in stats and findings).
    pub name: String,
    /// The compiled regex: bytes mode, Unicode off (`\b`, `\w`, `\s` are ASCII; `(?u)` turns it on).
    pub regex: Regex,
    /// What to do with a match.
    pub action: Action,
    /// Literals for the prefilter; empty means the regex runs over every buffer.
    pub triggers: Vec<String>,
    /// Exact literals a line must hold, besides a trigger, before the regex runs on it (a cheap
    /// second filter for patterns whose trigger is common, such as `://`).
    pub requires: Vec<String>,
    /// Index of the capture group named `secret`: when the regex has one, only that group of a
    /// match is rewritten (`postgres://user:(?P<secret>…)@host` keeps the URL around it).
    pub secret_group: Option<usize>,
}

/// A group of secret-bearing key names with one action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretKeyRule {
    /// Lowercase key names.
    pub names: Vec<String>,
    /// What to do with their values.
    pub action: Action,
}

/// One segment of a [`JsonPath`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum PathSeg {
    /// A key, lowercase (keys compare ASCII case-insensitively, as secret keys do).
    Key(String),
    /// `*`: any one key.
    Any,
}

/// A `[[json_fields]]` path: keys separated by dots, `*` for any one key.
///
/// A path matches a member whose key path *ends* with it, at any depth (`headers.authorization`
/// matches `request.headers.authorization`); a path starting with `$.` is anchored at the top
/// level. Array elements belong to their array's key (`users.email` matches
/// `{"users":[{"email":…}]}`). Keys compare ASCII case-insensitively.
///
/// ```
/// let rules = logscrub::Rules::from_toml("r", "[[json_fields]]\npaths = [\"*.email\", \"$.token\"]\n")?;
/// let p = &rules.json_fields()[0].paths;
/// assert!(p[0].matches(&[&b"user"[..], b"Email"]));
/// assert!(!p[0].matches(&[&b"email"[..]]));
/// assert!(p[1].matches(&[&b"token"[..]]) && !p[1].matches(&[&b"a"[..], b"token"]));
/// # Ok::<(), logscrub::RuleError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath {
    text: String,
    anchored: bool,
    segs: Vec<PathSeg>,
}

impl JsonPath {
    /// Parses a path; `None` when it is empty, has an empty segment or names no key.
    fn parse(text: &str) -> Option<JsonPath> {
        let t = text.trim();
        let (anchored, rest) = match t.strip_prefix("$.") {
            Some(r) => (true, r),
            None => (false, t),
        };
        let mut segs = Vec::new();
        for s in rest.split('.') {
            if s.is_empty() || s.bytes().any(|b| b.is_ascii_control() || b == b'"') {
                return None;
            }
            segs.push(if s == "*" { PathSeg::Any } else { PathSeg::Key(s.to_ascii_lowercase()) });
        }
        if !segs.iter().any(|s| matches!(s, PathSeg::Key(_))) {
            return None;
        }
        Some(JsonPath { text: t.to_string(), anchored, segs })
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The last key the path names (lowercase): every member it matches has that key on its
    /// path, so the key is a literal a prefilter can look for.
    pub fn literal(&self) -> &str {
        self.segs
            .iter()
            .rev()
            .find_map(|s| match s {
                PathSeg::Key(k) => Some(k.as_str()),
                PathSeg::Any => None,
            })
            .expect("a parsed path names a key")
    }

    /// Whether a member at `path` (its keys from the top level, decoded) matches.
    pub fn matches<K: AsRef<[u8]>>(&self, path: &[K]) -> bool {
        let n = self.segs.len();
        if path.len() < n || (self.anchored && path.len() != n) {
            return false;
        }
        self.segs.iter().zip(&path[path.len() - n..]).all(|(s, k)| match s {
            PathSeg::Any => true,
            PathSeg::Key(name) => k.as_ref().eq_ignore_ascii_case(name.as_bytes()),
        })
    }
}

/// A compiled `[[json_fields]]` group: paths and what to do with their values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonFieldRule {
    /// The paths.
    pub paths: Vec<JsonPath>,
    /// The action: `redact`, `hash` or a `mask`.
    pub action: Action,
}

/// Most `[[jwt.conditions]]` in one rule file (matches are kept in a 64-bit set).
pub const MAX_CONDITIONS: usize = 64;

/// A compiled `[[jwt.conditions]]` rule: when every claim in `when` has one of its values, the
/// claim actions in `claims` replace those of `[jwt.claims]` for that token, and the token's
/// findings get `flag`.
///
/// Values compare as JSON values: a string claim equals a TOML string, a number a TOML
/// integer or float of the same JSON form, a boolean a boolean. A claim whose value is an array
/// (`aud`, `roles`) matches when any element does. A claim missing from the token never
/// matches. Later conditions override earlier ones for the same claim.
///
/// ```
/// let src = "[[jwt.conditions]]\nname = \"svc\"\nwhen = { role = \"service_role\" }\nclaims = { role = \"redact\" }\n";
/// let rules = logscrub::Rules::from_toml("r", src)?;
/// let c = &rules.conditions()[0];
/// assert!(c.clause_matches(0, &serde_json::json!("service_role")));
/// assert!(c.clause_matches(0, &serde_json::json!(["anon", "service_role"])));
/// assert!(!c.clause_matches(0, &serde_json::json!("anon")));
/// # Ok::<(), logscrub::RuleError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimCondition {
    /// The rule's name (`name`, or `condition N` counting from 1).
    pub name: String,
    /// Claim name and the values it may have (any of them).
    pub when: Vec<(String, Vec<serde_json::Value>)>,
    /// Claim actions for tokens that match.
    pub claims: Vec<(String, Action)>,
    /// The findings flag matching tokens get.
    pub flag: Option<String>,
}

impl ClaimCondition {
    /// Whether a claim value satisfies clause `i` of `when`.
    pub fn clause_matches(&self, i: usize, value: &serde_json::Value) -> bool {
        let want = &self.when[i].1;
        want.contains(value) || value.as_array().is_some_and(|a| a.iter().any(|v| want.contains(v)))
    }

    /// The action this condition gives `claim`, if it names it.
    pub fn claim_action(&self, claim: &str) -> Option<Action> {
        self.claims.iter().find(|(k, _)| k == claim).map(|(_, a)| *a)
    }
}

/// Compiled, validated rules. Cheap to share; build a [`crate::Scrubber`] from them.
#[derive(Debug, Clone)]
pub struct Rules {
    pub(crate) source_name: String,
    pub(crate) redacted_marker: String,
    pub(crate) signature_marker: String,
    pub(crate) default_claim: Action,
    pub(crate) claims: HashMap<String, Action>,
    pub(crate) hash: HashSettings,
    pub(crate) bearer: Action,
    pub(crate) basic: Action,
    pub(crate) secret_keys: Vec<SecretKeyRule>,
    pub(crate) patterns: Vec<PatternRule>,
    pub(crate) findings: FindingSettings,
    pub(crate) json_fields: Vec<JsonFieldRule>,
    pub(crate) conditions: Vec<ClaimCondition>,
}

impl Rules {
    /// The embedded default rules. They are tested to compile, so this cannot fail.
    pub fn embedded() -> Rules {
        Rules::from_toml("<default>", DEFAULT_RULES_TOML).expect("embedded default rules compile")
    }

    /// Reads and compiles a rule file.
    pub fn from_path(path: &Path) -> Result<Rules, RuleError> {
        let name = path.display().to_string();
        let src = std::fs::read_to_string(path)
            .map_err(|e| RuleError::single(&name, RuleErrorKind::Io, format!("cannot read rule file: {e}")))?;
        Rules::from_toml(&name, &src)
    }

    /// Compiles rules from TOML text; `source_name` is used in error messages.
    pub fn from_toml(source_name: &str, src: &str) -> Result<Rules, RuleError> {
        let raw: RawRules = toml::from_str(src).map_err(|e| {
            let (line, col) = e.span().map_or((0, 0), |s| line_col(src, s.start));
            let message = e.message().trim().to_string();
            RuleError::new(source_name, vec![Problem { kind: RuleErrorKind::Syntax, line, col, message }])
        })?;
        let mut c = Compiler { src, problems: Vec::new() };
        let rules = c.compile(source_name, raw);
        if c.problems.is_empty() { Ok(rules) } else { Err(RuleError::new(source_name, c.problems)) }
    }

    /// The file name these rules came from (`<default>` for the embedded ones).
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// Action for a JWT claim by name.
    pub fn claim_action(&self, claim: &str) -> Action {
        self.claims.get(claim).copied().unwrap_or(self.default_claim)
    }

    /// The marker that replaces opaque values.
    pub fn redacted_marker(&self) -> &str {
        &self.redacted_marker
    }

    /// The marker that replaces JWS signatures and JWE segments.
    pub fn signature_marker(&self) -> &str {
        &self.signature_marker
    }

    /// Keyed-hash settings.
    pub fn hash_settings(&self) -> &HashSettings {
        &self.hash
    }

    /// Findings settings (`[findings]`).
    pub fn finding_settings(&self) -> &FindingSettings {
        &self.findings
    }

    /// The compiled `[[patterns]]`.
    pub fn patterns(&self) -> &[PatternRule] {
        &self.patterns
    }

    /// The compiled `[[secret_keys]]` groups.
    pub fn secret_keys(&self) -> &[SecretKeyRule] {
        &self.secret_keys
    }

    /// The compiled `[[json_fields]]` groups (applied by [`crate::format`] to JSON lines).
    pub fn json_fields(&self) -> &[JsonFieldRule] {
        &self.json_fields
    }

    /// The compiled `[[jwt.conditions]]`, in file order.
    pub fn conditions(&self) -> &[ClaimCondition] {
        &self.conditions
    }

    /// Whether any rule uses the `hash` action (then a key is required).
    pub fn uses_hash(&self) -> bool {
        let mut all = [self.default_claim, self.bearer, self.basic].into_iter().chain(self.claims.values().copied());
        all.any(|a| a == Action::Hash)
            || self.secret_keys.iter().any(|k| k.action == Action::Hash)
            || self.patterns.iter().any(|p| p.action == Action::Hash)
            || self.conditions.iter().any(|c| c.claims.iter().any(|(_, a)| *a == Action::Hash))
            || self.json_fields.iter().any(|g| g.action == Action::Hash)
    }

    /// A short human-readable summary of the effective rules (`logscrub check`).
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let mut kept: Vec<&str> =
            self.claims.iter().filter(|(_, a)| **a == Action::Keep).map(|(k, _)| k.as_str()).collect();
        kept.sort_unstable();
        let mut other: Vec<String> =
            self.claims.iter().filter(|(_, a)| **a != Action::Keep).map(|(k, a)| format!("{k}={a}")).collect();
        other.sort_unstable();
        let _ = writeln!(s, "jwt: signature -> {:?}, other claims -> {}", self.signature_marker, self.default_claim);
        let _ = writeln!(s, "  claims kept: {}", kept.join(", "));
        if !other.is_empty() {
            let _ = writeln!(s, "  claims: {}", other.join(", "));
        }
        let _ = writeln!(s, "bearer: {}, basic: {}", self.bearer, self.basic);
        let nkeys: usize = self.secret_keys.iter().map(|k| k.names.len()).sum();
        let _ = writeln!(s, "secret keys: {nkeys} names in {} group(s)", self.secret_keys.len());
        for k in &self.secret_keys {
            let _ = writeln!(s, "  {} -> {}", k.names.join(", "), k.action);
        }
        let _ = writeln!(s, "patterns: {}", self.patterns.len());
        for p in &self.patterns {
            let _ = writeln!(s, "  {} -> {}", p.name, p.action);
        }
        if !self.json_fields.is_empty() {
            let npaths: usize = self.json_fields.iter().map(|g| g.paths.len()).sum();
            let _ = writeln!(s, "json fields: {npaths} paths in {} group(s)", self.json_fields.len());
            for g in &self.json_fields {
                let paths: Vec<&str> = g.paths.iter().map(JsonPath::as_str).collect();
                let _ = writeln!(s, "  {} -> {}", paths.join(", "), g.action);
            }
        }
        if !self.conditions.is_empty() {
            let _ = writeln!(s, "jwt conditions: {}", self.conditions.len());
            for c in &self.conditions {
                let when: Vec<String> = c
                    .when
                    .iter()
                    .map(|(k, vs)| {
                        let vs: Vec<String> = vs.iter().map(ToString::to_string).collect();
                        format!("{k} in [{}]", vs.join(", "))
                    })
                    .collect();
                let claims: Vec<String> = c.claims.iter().map(|(k, a)| format!("{k}={a}")).collect();
                let flag = c.flag.as_ref().map_or_else(String::new, |f| format!(", flag {f}"));
                let _ = writeln!(s, "  {}: when {} -> claims: {}{flag}", c.name, when.join(" and "), claims.join(", "));
            }
        }
        if self.uses_hash() {
            let _ = writeln!(s, "hash: key id {:?}, {} hex chars", self.hash.key_id, self.hash.hex_len);
            if !self.hash.retired.is_empty() {
                let ids: Vec<String> = self.hash.retired.iter().map(|k| format!("{:?}", k.key_id)).collect();
                let _ =
                    writeln!(s, "  retired key ids (recognised, never used for new pseudonyms): {}", ids.join(", "));
            }
        }
        let f = &self.findings;
        let lifetime = f.max_lifetime.map_or_else(|| "unlimited".to_string(), format_duration);
        let list = |v: &[String]| if v.is_empty() { "any".to_string() } else { v.join(", ") };
        let _ = writeln!(
            s,
            "findings: max lifetime {lifetime}, issuers {}, audiences {}, weak algs {}",
            list(&f.allowed_issuers),
            list(&f.allowed_audiences),
            if f.weak_algs.is_empty() { "none listed".to_string() } else { f.weak_algs.join(", ") },
        );
        s
    }
}

/// A `[[jwt.conditions]]` value as the JSON value a claim is compared with.
fn condition_value(v: &toml::Value) -> Option<serde_json::Value> {
    match v {
        toml::Value::String(s) => Some(serde_json::Value::String(s.clone())),
        toml::Value::Integer(i) => Some(serde_json::Value::from(*i)),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f).map(serde_json::Value::Number),
        toml::Value::Boolean(b) => Some(serde_json::Value::Bool(*b)),
        _ => None,
    }
}

/// Which actions a place in the file allows.
#[derive(Clone, Copy)]
enum Allowed {
    Value,
    Claim,
}

struct Compiler<'s> {
    src: &'s str,
    problems: Vec<Problem>,
}

impl Compiler<'_> {
    fn problem<T>(&mut self, kind: RuleErrorKind, at: &Spanned<T>, message: String) {
        let (line, col) = line_col(self.src, at.span().start);
        self.problems.push(Problem { kind, line, col, message });
    }

    fn mask_prefix(&mut self, v: Option<Spanned<i64>>, key: &str) -> u8 {
        match v {
            None => 4,
            Some(s) => {
                let n = *s.get_ref();
                if !(0..=64).contains(&n) {
                    self.problem(RuleErrorKind::BadValue, &s, format!("`{key}` must be between 0 and 64, got {n}"));
                    4
                } else {
                    n as u8
                }
            }
        }
    }

    fn action(
        &mut self,
        v: Option<Spanned<String>>,
        key: &str,
        default: Action,
        allowed: Allowed,
        prefix: u8,
    ) -> Action {
        let Some(v) = v else { return default };
        match action::parse(v.get_ref(), key, prefix, matches!(allowed, Allowed::Claim)) {
            Ok(a) => a,
            Err(message) => {
                let kind = if message.starts_with("unknown action") {
                    RuleErrorKind::UnknownAction
                } else {
                    RuleErrorKind::BadValue
                };
                self.problem(kind, &v, message);
                default
            }
        }
    }

    fn marker(&mut self, v: Option<Spanned<String>>, key: &str, default: &str, base64url_only: bool) -> String {
        let Some(v) = v else { return default.to_string() };
        let m = v.get_ref().clone();
        if m.is_empty() || m.len() > 64 {
            self.problem(RuleErrorKind::BadValue, &v, format!("`{key}` must be 1 to 64 bytes long, got {m:?}"));
        } else if base64url_only && !m.bytes().all(crate::jwt::is_b64url) {
            self.problem(
                RuleErrorKind::BadValue,
                &v,
                format!("`{key}` must use base64url characters only (A-Z a-z 0-9 - _), got {m:?}"),
            );
        } else if !base64url_only && m.bytes().any(|b| b == b'"' || b == b'\\' || b.is_ascii_control()) {
            self.problem(
                RuleErrorKind::BadValue,
                &v,
                format!("`{key}` must not contain quotes, backslashes or control characters, got {m:?}"),
            );
        }
        m
    }

    fn key_id(&mut self, v: Option<Spanned<String>>, key: &str, default: &str) -> String {
        let Some(s) = v else { return default.to_string() };
        let id = s.get_ref().clone();
        if id.is_empty() || id.len() > 32 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            self.problem(
                RuleErrorKind::BadValue,
                &s,
                format!("`{key}` must be 1 to 32 of A-Z a-z 0-9 - _, got {id:?}"),
            );
        }
        id
    }

    /// A key written into the rule file is refused: rule files are committed and shared, keys
    /// must not be.
    fn no_inline_key(&mut self, v: Option<&Spanned<toml::Value>>, key: &str) {
        if let Some(v) = v {
            self.problem(
                RuleErrorKind::BadValue,
                v,
                format!("`{key}`: keys are never read from the rule file; name an environment variable (`key_env`) or a file (`key_file`)"),
            );
        }
    }

    /// `[findings]`. `claim_kept` tells which claims are kept: an allow list of issuers or
    /// audiences needs that claim kept, since only kept claims reach a finding.
    fn findings(&mut self, raw: file::RawFindings, claim_kept: impl Fn(&str) -> bool) -> FindingSettings {
        let mut f = FindingSettings::default();
        if let Some(v) = raw.max_lifetime {
            match parse_duration(v.get_ref()) {
                Some(secs) => f.max_lifetime = Some(secs),
                None => self.problem(
                    RuleErrorKind::BadValue,
                    &v,
                    format!(
                        "`findings.max_lifetime` must be a duration like \"90m\", \"24h\", \"7d\" or \"1h30m\" (units s, m, h, d, w), got {:?}",
                        v.get_ref()
                    ),
                ),
            }
        }
        for (list, claim, key, out) in [
            (raw.allowed_issuers, "iss", "findings.allowed_issuers", &mut f.allowed_issuers),
            (raw.allowed_audiences, "aud", "findings.allowed_audiences", &mut f.allowed_audiences),
        ] {
            let Some(list) = list else { continue };
            if !list.get_ref().is_empty() && !claim_kept(claim) {
                self.problem(
                    RuleErrorKind::BadValue,
                    &list,
                    format!(
                        "`{key}` needs the `{claim}` claim kept (`jwt.claims.{claim} = \"keep\"`): a redacted `{claim}` cannot be compared"
                    ),
                );
            }
            if list.get_ref().iter().any(String::is_empty) {
                self.problem(RuleErrorKind::BadValue, &list, format!("`{key}` must not contain an empty string"));
            }
            *out = list.into_inner();
        }
        for alg in raw.weak_algs {
            let name = alg.get_ref().trim();
            match KNOWN_ALGS.iter().find(|k| k.eq_ignore_ascii_case(name)) {
                Some(k) => f.weak_algs.push((*k).to_string()),
                None => self.problem(
                    RuleErrorKind::BadValue,
                    &alg,
                    format!(
                        "unknown algorithm {name:?} in `findings.weak_algs`, expected a JWS or JWE `alg` name such as none, HS256, RS256, ES256, EdDSA, RSA1_5 or dir"
                    ),
                ),
            }
        }
        f.fingerprint_key_env = raw.fingerprint_key_env.filter(|s| !s.is_empty());
        f.fingerprint_key_id = self.key_id(raw.fingerprint_key_id, "findings.fingerprint_key_id", "f1");
        f
    }

    fn compile(&mut self, source_name: &str, raw: RawRules) -> Rules {
        let redacted_marker = self.marker(raw.markers.redacted, "markers.redacted", "[REDACTED]", false);
        let signature_marker = self.marker(raw.markers.signature, "markers.signature", "REDACTED", true);

        let claim_prefix = self.mask_prefix(raw.jwt.mask_prefix, "jwt.mask_prefix");
        let default_claim = self.action(
            raw.jwt.default_claim_action,
            "jwt.default_claim_action",
            Action::Redact,
            Allowed::Claim,
            claim_prefix,
        );
        let mut claims = HashMap::new();
        for (name, a) in raw.jwt.claims {
            let key = format!("jwt.claims.{name}");
            let action = self.action(Some(a), &key, default_claim, Allowed::Claim, claim_prefix);
            claims.insert(name, action);
        }

        let key_id = self.key_id(raw.hash.key_id, "hash.key_id", "k1");
        let hex_len = match raw.hash.hex_len {
            None => 16,
            Some(s) => {
                let n = *s.get_ref();
                if !(8..=64).contains(&n) {
                    self.problem(
                        RuleErrorKind::BadValue,
                        &s,
                        format!("`hash.hex_len` must be between 8 and 64, got {n}"),
                    );
                    16
                } else {
                    n as usize
                }
            }
        };
        self.no_inline_key(raw.hash.key.as_ref(), "hash.key");
        let mut retired: Vec<RetiredKey> = Vec::new();
        for r in raw.hash.retired {
            self.no_inline_key(r.key.as_ref(), "hash.retired.key");
            let id = self.key_id(Some(r.key_id.clone()), "hash.retired.key_id", "");
            if id == key_id || retired.iter().any(|k| k.key_id == id) {
                self.problem(
                    RuleErrorKind::BadValue,
                    &r.key_id,
                    format!("key id {id:?} is used twice in [hash]: each key needs its own id"),
                );
            }
            retired.push(RetiredKey {
                key_id: id,
                key_env: r.key_env.filter(|s| !s.is_empty()),
                key_file: r.key_file.filter(|s| !s.is_empty()).map(PathBuf::from),
            });
        }
        let hash = HashSettings {
            key_env: raw.hash.key_env.filter(|s| !s.is_empty()),
            key_file: raw.hash.key_file.filter(|s| !s.is_empty()).map(PathBuf::from),
            key_id,
            hex_len,
            retired,
        };

        let p = self.mask_prefix(raw.bearer.mask_prefix, "bearer.mask_prefix");
        let bearer = self.action(raw.bearer.action, "bearer.action", Action::Redact, Allowed::Value, p);
        let p = self.mask_prefix(raw.basic.mask_prefix, "basic.mask_prefix");
        let basic = self.action(raw.basic.action, "basic.action", Action::Redact, Allowed::Value, p);

        let mut secret_keys = Vec::new();
        for group in raw.secret_keys {
            let p = self.mask_prefix(group.mask_prefix, "secret_keys.mask_prefix");
            let action = self.action(group.action, "secret_keys.action", Action::Redact, Allowed::Value, p);
            let mut names = Vec::new();
            for n in group.names {
                let name = n.get_ref().trim().to_ascii_lowercase();
                if name.len() < 2
                    || name.len() > 64
                    || name.bytes().any(|b| !(b.is_ascii_graphic()) || matches!(b, b'"' | b'\'' | b'=' | b':'))
                {
                    self.problem(
                        RuleErrorKind::BadValue,
                        &n,
                        format!(
                            "secret key name must be 2 to 64 visible characters without quotes, `=` or `:`, got {:?}",
                            n.get_ref()
                        ),
                    );
                    continue;
                }
                names.push(name);
            }
            secret_keys.push(SecretKeyRule { names, action });
        }

        let mut patterns = Vec::new();
        for pat in raw.patterns {
            let p = self.mask_prefix(pat.mask_prefix, "patterns.mask_prefix");
            let action = self.action(pat.action, "patterns.action", Action::Redact, Allowed::Value, p);
            // Unicode off: `\b`, `\w`, `\s` are ASCII and `.`/`[^…]` match any byte. Log lines
            // are not always UTF-8, and a Unicode `\b` next to an invalid byte matched on one pass
            // and not on the next (fuzz). `(?u)` in a pattern turns Unicode back on.
            let built = RegexBuilder::new(pat.regex.get_ref())
                .unicode(false)
                .size_limit(REGEX_SIZE_LIMIT)
                .dfa_size_limit(REGEX_SIZE_LIMIT)
                .build();
            let regex = match built {
                Ok(r) => r,
                Err(e) => {
                    let msg = e.to_string().lines().last().unwrap_or("invalid regex").trim().to_string();
                    let msg = msg.strip_prefix("error: ").unwrap_or(&msg).to_string();
                    self.problem(
                        RuleErrorKind::BadRegex,
                        &pat.regex,
                        format!("bad regex in pattern `{}`: {msg}", pat.name),
                    );
                    continue;
                }
            };
            if regex.is_match(b"") {
                self.problem(
                    RuleErrorKind::BadRegex,
                    &pat.regex,
                    format!("regex of pattern `{}` matches the empty string", pat.name),
                );
                continue;
            }
            let triggers = match pat.triggers {
                Some(t) => t.into_iter().filter(|t| !t.is_empty()).collect(),
                None => crate::scan::required_literals(pat.regex.get_ref()),
            };
            let secret_group = regex.capture_names().position(|n| n == Some("secret"));
            let mut requires = Vec::new();
            for r in pat.requires {
                if r.get_ref().is_empty() {
                    self.problem(
                        RuleErrorKind::BadValue,
                        &r,
                        format!("`patterns.requires` of `{}` has an empty literal", pat.name),
                    );
                } else {
                    requires.push(r.into_inner());
                }
            }
            patterns.push(PatternRule { name: pat.name, regex, action, triggers, requires, secret_group });
        }

        let conditions = self.conditions(raw.jwt.conditions, default_claim, claim_prefix);
        let mut findings =
            self.findings(raw.findings, |c| claims.get(c).copied().unwrap_or(default_claim) == Action::Keep);
        findings.condition_names = conditions.iter().map(|c| c.name.clone()).collect();
        findings.condition_flags = conditions.iter().map(|c| c.flag.clone()).collect();
        let json_fields = raw.json_fields.into_iter().map(|g| self.json_fields(g)).collect();

        Rules {
            source_name: source_name.to_string(),
            redacted_marker,
            signature_marker,
            default_claim,
            claims,
            hash,
            bearer,
            basic,
            secret_keys,
            patterns,
            findings,
            json_fields,
            conditions,
        }
    }

    /// `[[jwt.conditions]]`.
    fn conditions(&mut self, raw: Vec<file::RawCondition>, default: Action, prefix: u8) -> Vec<ClaimCondition> {
        let mut out = Vec::new();
        let mut flags_seen: Vec<String> = Vec::new();
        for (i, rc) in raw.into_iter().enumerate() {
            if i == MAX_CONDITIONS {
                self.problem(
                    RuleErrorKind::BadValue,
                    &rc.when,
                    format!("at most {MAX_CONDITIONS} [[jwt.conditions]] are allowed"),
                );
                break;
            }
            let name = match &rc.name {
                Some(n)
                    if !n.get_ref().trim().is_empty()
                        && n.get_ref().len() <= 64
                        && !n.get_ref().chars().any(char::is_control) =>
                {
                    n.get_ref().trim().to_string()
                }
                Some(n) => {
                    self.problem(
                        RuleErrorKind::BadValue,
                        n,
                        format!(
                            "`jwt.conditions.name` must be 1 to 64 characters without control characters, got {:?}",
                            n.get_ref()
                        ),
                    );
                    String::new()
                }
                None => format!("condition {}", i + 1),
            };
            let mut when = Vec::new();
            if rc.when.get_ref().is_empty() {
                self.problem(
                    RuleErrorKind::BadValue,
                    &rc.when,
                    "`jwt.conditions.when` must name at least one claim and its value".to_string(),
                );
            }
            for (claim, v) in rc.when.get_ref() {
                let values: Option<Vec<serde_json::Value>> = match v.get_ref() {
                    toml::Value::Array(a) if !a.is_empty() => a.iter().map(condition_value).collect(),
                    other => condition_value(other).map(|j| vec![j]),
                };
                match values {
                    Some(vs) => when.push((claim.clone(), vs)),
                    None => self.problem(
                        RuleErrorKind::BadValue,
                        v,
                        format!("`jwt.conditions.when.{claim}` must be a string, number or boolean, or a non-empty list of them"),
                    ),
                }
            }
            let mut claims = Vec::new();
            for (claim, a) in rc.claims {
                let key = format!("jwt.conditions.claims.{claim}");
                claims.push((claim, self.action(Some(a), &key, default, Allowed::Claim, prefix)));
            }
            let flag = rc.flag.as_ref().map(|f| {
                let name = f.get_ref().clone();
                let builtin = crate::findings::Flag::from_name(&name).is_some()
                    || crate::findings::KIND_NAMES.contains(&name.as_str())
                    || name == "any"
                    || name == "none";
                let shaped = name.len() <= 32 && crate::findings::is_flag_word(&name);
                if !shaped {
                    self.problem(
                        RuleErrorKind::BadValue,
                        f,
                        format!(
                            "`jwt.conditions.flag` must be 1 to 32 of a-z 0-9 _ starting with a letter, got {name:?}"
                        ),
                    );
                } else if builtin {
                    self.problem(
                        RuleErrorKind::BadValue,
                        f,
                        format!("`jwt.conditions.flag` {name:?} is a built-in flag or kind name: choose another"),
                    );
                }
                if !flags_seen.contains(&name) {
                    flags_seen.push(name.clone());
                }
                name
            });
            if claims.is_empty() && flag.is_none() {
                self.problem(
                    RuleErrorKind::BadValue,
                    &rc.when,
                    format!("condition `{name}` does nothing: give it `claims` to change, a `flag`, or both"),
                );
            }
            out.push(ClaimCondition { name, when, claims, flag });
        }
        out
    }

    /// One `[[json_fields]]` group: `redact`, `hash` or a `mask`.
    fn json_fields(&mut self, raw: file::RawJsonFields) -> JsonFieldRule {
        let mut paths = Vec::new();
        for p in raw.paths {
            match JsonPath::parse(p.get_ref()) {
                Some(path) => paths.push(path),
                None => self.problem(
                    RuleErrorKind::BadValue,
                    &p,
                    format!(
                        "json field path must be keys separated by dots (`*` for any one key, `$.` to anchor at the top level) and name at least one key, got {:?}",
                        p.get_ref()
                    ),
                ),
            }
        }
        let action = match raw.action {
            None => Action::Redact,
            Some(a) => {
                let text = a.get_ref().trim().to_string();
                let before = self.problems.len();
                let parsed = self.action(Some(a.clone()), "json_fields.action", Action::Redact, Allowed::Value, 4);
                if parsed == Action::Keep && self.problems.len() == before {
                    self.problem(
                        RuleErrorKind::UnknownAction,
                        &a,
                        format!(
                            "action `{text}` does nothing for `json_fields.action`, expected: redact, hash or mask"
                        ),
                    );
                }
                parsed
            }
        };
        JsonFieldRule { paths, action }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_rules_compile_and_keep_iss() {
        let r = Rules::embedded();
        assert_eq!(r.claim_action("iss"), Action::Keep);
        assert_eq!(r.claim_action("email"), Action::Redact);
        assert_eq!(r.claim_action("sub"), Action::Redact);
        assert!(!r.uses_hash());
    }

    #[test]
    fn unknown_key_points_at_line_and_column() {
        let e = Rules::from_toml("r.toml", "[bearer]\naction = \"redact\"\n  colour = 1\n").unwrap_err();
        assert_eq!(e.kind(), RuleErrorKind::Syntax);
        assert!(e.to_string().starts_with("r.toml:3:3: unknown field `colour`"), "{e}");
    }

    #[test]
    fn unknown_action_echoes_value_and_lists_allowed() {
        let e = Rules::from_toml("r.toml", "[jwt.claims]\nemail = \"mask2\"\n").unwrap_err();
        assert_eq!(e.kind(), RuleErrorKind::UnknownAction);
        let s = e.to_string();
        assert!(s.starts_with("r.toml:2:9: unknown action `mask2` for `jwt.claims.email`"), "{s}");
        assert!(s.contains("drop"));
    }

    #[test]
    fn drop_is_for_claims_only() {
        let e = Rules::from_toml("r.toml", "[bearer]\naction = \"drop\"\n").unwrap_err();
        assert_eq!(e.kind(), RuleErrorKind::UnknownAction);
    }

    #[test]
    fn bad_regex_is_located() {
        let src = "[[patterns]]\nname = \"x\"\nregex = 'a(b'\n";
        let e = Rules::from_toml("r.toml", src).unwrap_err();
        assert_eq!(e.kind(), RuleErrorKind::BadRegex);
        assert!(e.to_string().starts_with("r.toml:3:9: bad regex in pattern `x`"), "{e}");
    }

    #[test]
    fn all_problems_are_reported_at_once() {
        let src = "[bearer]\naction = \"nope\"\n[basic]\naction = \"nah\"\n";
        let e = Rules::from_toml("r.toml", src).unwrap_err();
        assert_eq!(e.problems().len(), 2);
    }

    #[test]
    fn mask_with_inline_prefix() {
        let r = Rules::from_toml("r", "[bearer]\naction = \"mask:6\"\n").unwrap();
        assert_eq!(r.bearer, Action::Mask(Mask::first(6)));
    }

    #[test]
    fn signature_marker_must_be_base64url() {
        let e = Rules::from_toml("r", "[markers]\nsignature = \"[X]\"\n").unwrap_err();
        assert_eq!(e.kind(), RuleErrorKind::BadValue);
    }

    #[test]
    fn findings_section_compiles() {
        let src = "[findings]\nmax_lifetime = \"1h30m\"\nallowed_issuers = [\"https://idp.qa\"]\nweak_algs = [\"hs256\", \"none\"]\nfingerprint_key_env = \"FP\"\n";
        let r = Rules::from_toml("r", &format!("[jwt.claims]\niss = \"keep\"\n{src}")).unwrap();
        let f = r.finding_settings();
        assert_eq!(f.max_lifetime, Some(5400));
        assert_eq!(f.allowed_issuers, ["https://idp.qa"]);
        assert_eq!(f.weak_algs, ["HS256", "none"]);
        assert_eq!(f.fingerprint_key_env.as_deref(), Some("FP"));
        assert_eq!(f.fingerprint_key_id, "f1");
        assert!(r.summary().contains("findings: max lifetime 1h30m, issuers https://idp.qa"), "{}", r.summary());
        assert_eq!(Rules::from_toml("r", "").unwrap().finding_settings(), &FindingSettings::default());
    }

    #[test]
    fn durations_take_units_and_combine() {
        for (s, secs) in
            [("90s", 90), ("15m", 900), ("24h", 86_400), ("7d", 604_800), ("2w", 1_209_600), ("1h30m", 5400)]
        {
            assert_eq!(parse_duration(s), Some(secs), "{s}");
            assert_eq!(parse_duration(&format_duration(secs)), Some(secs));
        }
        for bad in ["", "24", "h", "1 day", "1.5h", "-1h", "99999999999999999999w"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn bad_findings_values_are_located_and_all_reported() {
        let src = "[findings]\nmax_lifetime = \"a day\"\nweak_algs = [\"HS256\", \"HS265\"]\nfingerprint_key_id = \"no spaces\"\n";
        let e = Rules::from_toml("r.toml", src).unwrap_err();
        let s = e.to_string();
        assert_eq!(e.problems().len(), 3, "{s}");
        assert!(s.starts_with("r.toml:2:16: `findings.max_lifetime` must be a duration"), "{s}");
        assert!(s.contains("r.toml:3:23: unknown algorithm \"HS265\" in `findings.weak_algs`"), "{s}");
        assert!(s.contains("r.toml:4:22: `findings.fingerprint_key_id` must be 1 to 32"), "{s}");
        let e = Rules::from_toml("r.toml", "[findings]\ncolour = 1\n").unwrap_err();
        assert!(e.to_string().starts_with("r.toml:2:1: unknown field `colour`"), "{e}");
    }

    #[test]
    fn allow_lists_need_their_claim_kept() {
        let src = "[jwt.claims]\naud = \"hash\"\n[hash]\nkey_env = \"K\"\n[findings]\nallowed_audiences = [\"api\"]\n";
        let e = Rules::from_toml("r.toml", src).unwrap_err();
        assert!(
            e.to_string().starts_with("r.toml:6:21: `findings.allowed_audiences` needs the `aud` claim kept"),
            "{e}"
        );
        // With the default allowlist of claims, `iss` and `aud` are redacted unless listed.
        let e = Rules::from_toml("r.toml", "[findings]\nallowed_issuers = [\"x\"]\n").unwrap_err();
        assert!(e.to_string().contains("needs the `iss` claim kept"), "{e}");
        assert!(Rules::from_toml("r.toml", "[findings]\nallowed_issuers = []\n").is_ok());
    }

    #[test]
    fn json_fields_compile_and_match_suffixes() {
        let src = "[[json_fields]]\npaths = [\"password\", \"*.email\", \"headers.authorization\", \"$.ssn\"]\n";
        let r = Rules::from_toml("r", src).unwrap();
        let g = &r.json_fields()[0];
        assert_eq!(g.action, Action::Redact);
        let m = |i: usize, path: &[&str]| g.paths[i].matches(&path.iter().map(|s| s.as_bytes()).collect::<Vec<_>>());
        assert!(m(0, &["password"]) && m(0, &["a", "b", "Password"]) && !m(0, &["password", "x"]));
        assert!(m(1, &["user", "email"]) && m(1, &["a", "user", "email"]) && !m(1, &["email"]));
        assert!(m(2, &["request", "headers", "authorization"]) && !m(2, &["authorization"]));
        assert!(m(3, &["ssn"]) && !m(3, &["user", "ssn"]));
        assert_eq!(g.paths[1].literal(), "email");
        assert!(r.summary().contains("json fields: 4 paths in 1 group(s)"), "{}", r.summary());
    }

    #[test]
    fn bad_json_fields_are_located() {
        let src = "[[json_fields]]\npaths = [\"a..b\", \"*\", \"ok\"]\naction = \"keep\"\n[[json_fields]]\npaths = [\"x\"]\naction = \"mask9\"\n";
        let e = Rules::from_toml("r.toml", src).unwrap_err();
        let s = e.to_string();
        assert_eq!(e.problems().len(), 4, "{s}");
        assert!(s.starts_with("r.toml:2:10: json field path must be keys separated by dots"), "{s}");
        assert!(s.contains("r.toml:2:18: json field path"), "{s}");
        assert!(s.contains("r.toml:3:10: action `keep` does nothing for `json_fields.action`"), "{s}");
        let r = Rules::from_toml("r", "[[json_fields]]\npaths = [\"email\"]\naction = \"mask:email\"\n").unwrap();
        assert_eq!(r.json_fields()[0].action.to_string(), "mask:email");
        assert!(s.contains("r.toml:6:10: unknown action `mask9` for `json_fields.action`"), "{s}");
        let e = Rules::from_toml("r.toml", "[[json_fields]]\npaths = [\"a\"]\ncolour = 1\n").unwrap_err();
        assert!(e.to_string().starts_with("r.toml:3:1: unknown field `colour`"), "{e}");
    }

    #[test]
    fn wrong_type_is_a_syntax_error() {
        let e = Rules::from_toml("r", "[hash]\nhex_len = \"x\"\n").unwrap_err();
        assert_eq!(e.kind(), RuleErrorKind::Syntax);
        assert!(e.to_string().starts_with("r:2:11:"), "{e}");
    }
}
