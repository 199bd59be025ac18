//! Rules: what to find and what to do with it.
//!
//! A rule file (TOML, see `rules/default.toml`) is parsed into [`file`] structs, then compiled
//! here into an immutable [`Rules`] value: actions resolved, regexes built with size limits,
//! key names lowercased. Rules *decide*; they never touch log bytes (that is [`crate::redact`]).
//!
//! ```
//! let rules = logscrub::Rules::embedded();
//! assert!(rules.summary().contains("secret keys"));
//! let err = logscrub::Rules::from_toml("x.toml", "[jwt]\nbogus = 1\n").unwrap_err();
//! assert!(err.to_string().starts_with("x.toml:2:1: unknown field `bogus`"));
//! ```

mod error;
mod file;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use regex::bytes::{Regex, RegexBuilder};
use toml::Spanned;

use error::line_col;
pub use error::{Problem, RuleError, RuleErrorKind};
use file::RawRules;

/// The rules compiled into the binary (`rules/default.toml`).
pub const DEFAULT_RULES_TOML: &str = include_str!("../../rules/default.toml");

/// Size limit for each user regex (compiled program and lazy DFA cache), as ripgrep sets them.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// What to do with a value that was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Leave it unchanged.
    Keep,
    /// Replace it with the redaction marker.
    Redact,
    /// Replace it with a keyed HMAC-SHA256 pseudonym `<key_id>:<hex>`.
    Hash,
    /// Keep the first `prefix` characters, then `***`.
    Mask {
        /// Characters kept.
        prefix: usize,
    },
    /// Remove it (JWT claims only).
    Drop,
}

impl Action {
    fn name(self) -> String {
        match self {
            Action::Keep => "keep".into(),
            Action::Redact => "redact".into(),
            Action::Hash => "hash".into(),
            Action::Mask { prefix } => format!("mask:{prefix}"),
            Action::Drop => "drop".into(),
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

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
}

/// A compiled `[[patterns]]` rule.
#[derive(Debug, Clone)]
pub struct PatternRule {
    /// The rule's name (used in stats and findings).
    pub name: String,
    /// The compiled regex (bytes mode, Unicode off for `\w`-style classes unless asked for).
    pub regex: Regex,
    /// What to do with a match.
    pub action: Action,
    /// Literals for the prefilter; empty means the regex runs over every buffer.
    pub triggers: Vec<String>,
}

/// A group of secret-bearing key names with one action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretKeyRule {
    /// Lowercase key names.
    pub names: Vec<String>,
    /// What to do with their values.
    pub action: Action,
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

    /// The compiled `[[patterns]]`.
    pub fn patterns(&self) -> &[PatternRule] {
        &self.patterns
    }

    /// The compiled `[[secret_keys]]` groups.
    pub fn secret_keys(&self) -> &[SecretKeyRule] {
        &self.secret_keys
    }

    /// Whether any rule uses the `hash` action (then a key is required).
    pub fn uses_hash(&self) -> bool {
        let mut all = [self.default_claim, self.bearer, self.basic].into_iter().chain(self.claims.values().copied());
        all.any(|a| a == Action::Hash)
            || self.secret_keys.iter().any(|k| k.action == Action::Hash)
            || self.patterns.iter().any(|p| p.action == Action::Hash)
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
        if self.uses_hash() {
            let _ = writeln!(s, "hash: key id {:?}, {} hex chars", self.hash.key_id, self.hash.hex_len);
        }
        s
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

    fn mask_prefix(&mut self, v: Option<Spanned<i64>>, key: &str) -> usize {
        match v {
            None => 4,
            Some(s) => {
                let n = *s.get_ref();
                if !(0..=64).contains(&n) {
                    self.problem(RuleErrorKind::BadValue, &s, format!("`{key}` must be between 0 and 64, got {n}"));
                    4
                } else {
                    n as usize
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
        prefix: usize,
    ) -> Action {
        let Some(v) = v else { return default };
        let text = v.get_ref().trim();
        let parsed = match text {
            "keep" => Some(Action::Keep),
            "redact" => Some(Action::Redact),
            "hash" => Some(Action::Hash),
            "mask" => Some(Action::Mask { prefix }),
            "drop" if matches!(allowed, Allowed::Claim) => Some(Action::Drop),
            t => t
                .strip_prefix("mask:")
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|n| *n <= 64)
                .map(|prefix| Action::Mask { prefix }),
        };
        match parsed {
            Some(a) => a,
            None => {
                let allowed_list = match allowed {
                    Allowed::Claim => "keep, redact, hash, mask, mask:N, drop",
                    Allowed::Value => "keep, redact, hash, mask, mask:N",
                };
                self.problem(
                    RuleErrorKind::UnknownAction,
                    &v,
                    format!("unknown action `{text}` for `{key}`, expected one of: {allowed_list}"),
                );
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

        let key_id = match raw.hash.key_id {
            None => "k1".to_string(),
            Some(s) => {
                let id = s.get_ref().clone();
                if id.is_empty()
                    || id.len() > 32
                    || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                {
                    self.problem(
                        RuleErrorKind::BadValue,
                        &s,
                        format!("`hash.key_id` must be 1 to 32 of A-Z a-z 0-9 - _, got {id:?}"),
                    );
                }
                id
            }
        };
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
        let hash = HashSettings {
            key_env: raw.hash.key_env.filter(|s| !s.is_empty()),
            key_file: raw.hash.key_file.filter(|s| !s.is_empty()).map(PathBuf::from),
            key_id,
            hex_len,
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
            let built = RegexBuilder::new(pat.regex.get_ref())
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
            patterns.push(PatternRule { name: pat.name, regex, action, triggers });
        }

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
        }
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
        assert_eq!(r.bearer, Action::Mask { prefix: 6 });
    }

    #[test]
    fn signature_marker_must_be_base64url() {
        let e = Rules::from_toml("r", "[markers]\nsignature = \"[X]\"\n").unwrap_err();
        assert_eq!(e.kind(), RuleErrorKind::BadValue);
    }

    #[test]
    fn wrong_type_is_a_syntax_error() {
        let e = Rules::from_toml("r", "[hash]\nhex_len = \"x\"\n").unwrap_err();
        assert_eq!(e.kind(), RuleErrorKind::Syntax);
        assert!(e.to_string().starts_with("r:2:11:"), "{e}");
    }
}
