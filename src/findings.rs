//! Findings reports: what leaked, where, and how bad it is — without ever printing the secret.
//!
//! The scrubber can record each [`Finding`] it rewrites ([`crate::Scratch::record_findings`]);
//! this module turns those records into [`Report`]s: the input name, line and column, the kind
//! and rule, the token's non-secret header members and kept claims, a keyed fingerprint, and
//! risk [`Flags`]. `logscrub --findings FILE` writes one [`Report::to_json`] line per finding;
//! `logscrub scan` prints them for people ([`Report::to_text`]) or as JSON.
//!
//! # Contract
//!
//! - **Nothing secret leaves.** A report holds positions, the kind, the rule name, the action,
//!   the header members `alg`, `kid`, `typ`, `enc`, and `iss` / `aud` only when the rules keep
//!   them ([`crate::ClaimInfo`] copies kept claims only), `exp` / `iat` / `nbf` as RFC 3339, and
//!   a fingerprint. Never a signature, a payload, an opaque value or a redacted claim value.
//! - **Fingerprints are keyed.** HMAC-SHA256 over the secret's bytes (a whole compact token, or
//!   an opaque value), cut to `[hash] hex_len` hex characters. The key is, in order: the
//!   `[hash]` key when it is configured and present (scope `key:<hash.key_id>`: the fingerprint
//!   of an opaque value then equals the hex of its `hash` pseudonym), the variable named by
//!   `[findings] fingerprint_key_env` (scope `key:<findings.fingerprint_key_id>`), else a random
//!   key made for this run (scope `run`: fingerprints match within one run only). The same
//!   leaked token is recognisable across lines, files and — with a key — runs, and a fingerprint
//!   cannot be turned back into the token without the key.
//! - **Flags come from the token itself**, its header and claims, judged against
//!   [`FindingSettings`] at an injected time `now` (seconds since the epoch; the library never
//!   reads the clock):
//!   - `live`: `exp` is after `now`, or there is no `exp` (a JWE's claims are encrypted, so a
//!     JWE is always `live`: fail closed);
//!   - `unsigned`: kind `unsecured` (`alg: none`, or an empty signature segment);
//!   - `long_lived`: `exp - iat` (`exp - nbf` without `iat`) above `max_lifetime`;
//!   - `foreign_environment`: a kept `iss`, or any kept `aud` value, outside a non-empty
//!     `allowed_issuers` / `allowed_audiences` (a token without that claim is not flagged);
//!   - `weak_alg`: the header `alg` is in `weak_algs`.
//!
//!   Opaque findings (bearer, basic, secret-key values, patterns) have no header or claims,
//!   hence no flags; select them by kind (see [`Selector`]).
//! - **Positions** are 1-based; the column counts bytes from the start of the line. A line
//!   longer than the stream's window (`--max-line`) is scrubbed in pieces and its columns count
//!   from the start of the piece.
//!
//! - **Single-threaded.** Reports come through a [`FindingSink`], which only the stream loop
//!   ([`crate::io::stream::scrub_stream`]) feeds; the parallel path has none, so
//!   `logscrub --findings` scrubs on one thread whatever `--threads` says.
//!
//! Findings are rare, so this path favours clarity over speed: it allocates per finding.
//!
//! ```
//! use logscrub::findings::{Assessor, Fingerprinter, ReportSink};
//! use logscrub::frame::{FrameConfig, Framer};
//! use logscrub::io::stream::scrub_stream;
//! use logscrub::{Rules, Scratch, Scrubber};
//!
//! let rules = Rules::embedded();
//! let scrubber = Scrubber::new(&rules)?;
//! let assessor = Assessor::new(&rules, Fingerprinter::new(b"test key", "t1", 16), 1_700_000_000);
//! let mut reports = Vec::new();
//! let mut sink = ReportSink::new(&assessor, "app.log", |r| reports.push(r));
//! let input = b"ok\nuser=bob password=hunter2 status=ok\n";
//! let (mut framer, mut scratch, mut out) = (Framer::new(FrameConfig::default()), Scratch::default(), Vec::new());
//! scrub_stream(&scrubber, &mut framer, &mut scratch, &mut &input[..], &mut out, Some(&mut sink))?;
//! drop(sink);
//! let json = reports[0].to_json();
//! assert!(json.starts_with(r#"{"source":"app.log","line":2,"col":19,"kind":"secret_key","rule":"password""#));
//! assert!(!json.contains("hunter2"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt::{self, Write as _};
use std::hash::{BuildHasher, Hasher};
use std::str::FromStr;

use hmac::{Hmac, KeyInit, Mac};
use serde::{Serialize, Serializer};
use sha2::Sha256;

use crate::io::stream::FindingSink;
use crate::rules::{Action, Rules};
use crate::scrub::{Finding, TokenFacts};
use crate::stats::FindingKind;

pub use crate::rules::FindingSettings;

// === Flags ===

/// One risk flag of a token finding. See the module docs for when each is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flag {
    /// Not expired at `now`, or no `exp`.
    Live,
    /// `alg: none` or an empty signature.
    Unsigned,
    /// `exp - iat` above `[findings] max_lifetime`.
    LongLived,
    /// `iss` or `aud` outside the allowed lists.
    ForeignEnvironment,
    /// `alg` in `[findings] weak_algs`.
    WeakAlg,
}

impl Flag {
    /// Every flag, in output order.
    pub const ALL: [Flag; 5] = [Flag::Live, Flag::Unsigned, Flag::LongLived, Flag::ForeignEnvironment, Flag::WeakAlg];

    /// The name used in reports, `--stats` and `--fail-on`.
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::Live => "live",
            Flag::Unsigned => "unsigned",
            Flag::LongLived => "long_lived",
            Flag::ForeignEnvironment => "foreign_environment",
            Flag::WeakAlg => "weak_alg",
        }
    }

    /// The flag named `name` (`-` may stand for `_`).
    pub fn from_name(name: &str) -> Option<Flag> {
        Flag::ALL.into_iter().find(|f| f.as_str() == name.replace('-', "_"))
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of [`Flag`]s. Serializes as an array of names in [`Flag::ALL`] order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Flags(u8);

impl Flags {
    /// No flag.
    pub const EMPTY: Flags = Flags(0);

    /// Adds `flag`.
    pub fn insert(&mut self, flag: Flag) {
        self.0 |= flag.bit();
    }

    /// Whether `flag` is set.
    pub fn contains(self, flag: Flag) -> bool {
        self.0 & flag.bit() != 0
    }

    /// Whether no flag is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether the two sets share a flag.
    pub fn intersects(self, other: Flags) -> bool {
        self.0 & other.0 != 0
    }

    /// The flags set, in [`Flag::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Flag> {
        Flag::ALL.into_iter().filter(move |f| self.contains(*f))
    }
}

impl FromIterator<Flag> for Flags {
    fn from_iter<I: IntoIterator<Item = Flag>>(iter: I) -> Self {
        let mut f = Flags::EMPTY;
        for flag in iter {
            f.insert(flag);
        }
        f
    }
}

impl fmt::Display for Flags {
    /// Comma-separated names (`live,weak_alg`); empty for no flag.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, flag) in self.iter().enumerate() {
            if i > 0 {
                f.write_char(',')?;
            }
            f.write_str(flag.as_str())?;
        }
        Ok(())
    }
}

impl Serialize for Flags {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter().map(Flag::as_str))
    }
}

/// Findings counted per flag (`--stats` prints them as `flags`). A finding with several flags
/// counts once under each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FlagCounts {
    /// `live` findings.
    pub live: u64,
    /// `unsigned` findings.
    pub unsigned: u64,
    /// `long_lived` findings.
    pub long_lived: u64,
    /// `foreign_environment` findings.
    pub foreign_environment: u64,
    /// `weak_alg` findings.
    pub weak_alg: u64,
}

impl FlagCounts {
    fn get_mut(&mut self, flag: Flag) -> &mut u64 {
        match flag {
            Flag::Live => &mut self.live,
            Flag::Unsigned => &mut self.unsigned,
            Flag::LongLived => &mut self.long_lived,
            Flag::ForeignEnvironment => &mut self.foreign_environment,
            Flag::WeakAlg => &mut self.weak_alg,
        }
    }

    /// Counts one finding with `flags`.
    pub fn add(&mut self, flags: Flags) {
        for f in flags.iter() {
            *self.get_mut(f) += 1;
        }
    }

    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: &FlagCounts) {
        for f in Flag::ALL {
            *self.get_mut(f) += other.get(f);
        }
    }

    /// The count for `flag`.
    pub fn get(&self, flag: Flag) -> u64 {
        match flag {
            Flag::Live => self.live,
            Flag::Unsigned => self.unsigned,
            Flag::LongLived => self.long_lived,
            Flag::ForeignEnvironment => self.foreign_environment,
            Flag::WeakAlg => self.weak_alg,
        }
    }
}

/// Whether `kind` is a compact JWT (the kinds that can carry flags).
pub fn is_token(kind: FindingKind) -> bool {
    matches!(kind, FindingKind::Jws | FindingKind::Jwe | FindingKind::Unsecured)
}

/// The risk flags of one finding at time `now` (seconds since the epoch). Opaque findings get
/// none; a token without recorded facts is judged as one with no claims.
pub fn assess(kind: FindingKind, token: Option<&TokenFacts>, settings: &FindingSettings, now: i64) -> Flags {
    let mut flags = Flags::EMPTY;
    if !is_token(kind) {
        return flags;
    }
    let none = TokenFacts::default();
    let facts = token.unwrap_or(&none);
    let c = &facts.claims;
    if c.exp.is_none_or(|exp| exp > now) {
        flags.insert(Flag::Live);
    }
    if kind == FindingKind::Unsecured {
        flags.insert(Flag::Unsigned);
    }
    if let (Some(max), Some(exp), Some(start)) = (settings.max_lifetime, c.exp, c.iat.or(c.nbf)) {
        if i128::from(exp) - i128::from(start) > i128::from(max) {
            flags.insert(Flag::LongLived);
        }
    }
    let foreign_iss = !settings.allowed_issuers.is_empty()
        && c.iss.as_ref().is_some_and(|iss| !settings.allowed_issuers.contains(iss));
    let foreign_aud =
        !settings.allowed_audiences.is_empty() && c.aud.iter().any(|aud| !settings.allowed_audiences.contains(aud));
    if foreign_iss || foreign_aud {
        flags.insert(Flag::ForeignEnvironment);
    }
    if facts.header.alg.as_deref().is_some_and(|alg| settings.weak_algs.iter().any(|w| w.eq_ignore_ascii_case(alg))) {
        flags.insert(Flag::WeakAlg);
    }
    flags
}

// === Selector ===

/// A set of flags and kinds, as `--fail-on live,unsigned,pattern` gives it: a report matches
/// when it has any listed flag or is of any listed kind. `any` matches every finding, `none`
/// (or an empty list) none.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector {
    any: bool,
    flags: Flags,
    kinds: Vec<FindingKind>,
    /// Other names: flags of `[[jwt.conditions]]`, checked against the rules with
    /// [`Selector::check_rule_flags`] once they are loaded.
    rule_flags: Vec<String>,
}

/// Whether `s` has the shape of a `[[jwt.conditions]]` flag: `a-z 0-9 _`, starting with a
/// letter (the length limit is the rules' to check).
pub(crate) fn is_flag_word(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The names of every kind (`--fail-on` items).
pub const KIND_NAMES: [&str; 7] = ["jws", "jwe", "unsecured", "bearer", "basic", "secret_key", "pattern"];

/// Every kind, in output order.
const KINDS: [FindingKind; 7] = [
    FindingKind::Jws,
    FindingKind::Jwe,
    FindingKind::Unsecured,
    FindingKind::Bearer,
    FindingKind::Basic,
    FindingKind::SecretKey,
    FindingKind::Pattern,
];

impl Selector {
    /// Whether a finding of `kind` with `flags` is selected.
    pub fn matches(&self, kind: FindingKind, flags: Flags) -> bool {
        self.any || flags.intersects(self.flags) || self.kinds.contains(&kind)
    }

    /// Whether `report` is selected.
    pub fn matches_report(&self, report: &Report) -> bool {
        self.matches(report.kind, report.flags) || report.rule_flags.iter().any(|f| self.rule_flags.contains(f))
    }

    /// Fails, naming the item, when the selector names a flag that neither is built in nor is the
    /// `flag` of one of the rules' `[[jwt.conditions]]` (a typo would otherwise select nothing).
    pub fn check_rule_flags(&self, settings: &FindingSettings) -> Result<(), String> {
        for name in &self.rule_flags {
            if !settings.condition_flags.iter().flatten().any(|f| f == name) {
                let declared: Vec<&str> = settings.condition_flags.iter().flatten().map(String::as_str).collect();
                let declared =
                    if declared.is_empty() { "none in these rules".to_string() } else { declared.join(", ") };
                return Err(format!(
                    "unknown item `{name}`: expected flags (live, unsigned, long_lived, foreign_environment, weak_alg), kinds (jws, jwe, unsecured, bearer, basic, secret_key, pattern), a [[jwt.conditions]] flag ({declared}), `any` or `none`"
                ));
            }
        }
        Ok(())
    }
}

impl FromStr for Selector {
    type Err = String;

    fn from_str(s: &str) -> Result<Selector, String> {
        let mut sel = Selector::default();
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let norm = item.to_ascii_lowercase().replace('-', "_");
            if norm == "any" {
                sel.any = true;
            } else if norm == "none" {
            } else if let Some(f) = Flag::from_name(&norm) {
                sel.flags.insert(f);
            } else if let Some(k) = KINDS.into_iter().find(|k| k.as_str() == norm) {
                if !sel.kinds.contains(&k) {
                    sel.kinds.push(k);
                }
            } else if is_flag_word(&norm) {
                if !sel.rule_flags.contains(&norm) {
                    sel.rule_flags.push(norm);
                }
            } else {
                return Err(format!(
                    "unknown item `{item}`: expected flags (live, unsigned, long_lived, foreign_environment, weak_alg), kinds (jws, jwe, unsecured, bearer, basic, secret_key, pattern), a [[jwt.conditions]] flag, `any` or `none`"
                ));
            }
        }
        Ok(sel)
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.any {
            return f.write_str("any");
        }
        let mut items: Vec<&str> = self.flags.iter().map(|f| f.as_str()).collect();
        items.extend(self.rule_flags.iter().map(String::as_str));
        items.extend(KINDS.into_iter().filter(|k| self.kinds.contains(k)).map(|k| k.as_str()));
        if items.is_empty() { f.write_str("none") } else { f.write_str(&items.join(",")) }
    }
}

// === Fingerprints ===

/// Which key made a fingerprint: fingerprints compare only within one scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FingerprintScope {
    /// A random key made for this run.
    Run,
    /// A configured key, by its id.
    Key(String),
}

impl fmt::Display for FingerprintScope {
    /// `run` or `key:<id>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FingerprintScope::Run => f.write_str("run"),
            FingerprintScope::Key(id) => write!(f, "key:{id}"),
        }
    }
}

/// The fingerprint key file named by `[hash] key_file` could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{source_name}: cannot read hash key file {path}: {err}")]
pub struct KeyFileError {
    /// Rules file name.
    pub source_name: String,
    /// The key file.
    pub path: String,
    /// The I/O error.
    pub err: std::io::Error,
}

/// Keyed fingerprints: HMAC-SHA256 of a secret's bytes, as short lowercase hex.
#[derive(Clone)]
pub struct Fingerprinter {
    mac: Hmac<Sha256>,
    scope: FingerprintScope,
    hex_len: usize,
}

impl fmt::Debug for Fingerprinter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material.
        f.debug_struct("Fingerprinter")
            .field("scope", &self.scope)
            .field("hex_len", &self.hex_len)
            .finish_non_exhaustive()
    }
}

impl Fingerprinter {
    /// A fingerprinter with an explicit key, scope `key:<key_id>`; `hex_len` is clamped to 8..=64.
    pub fn new(key: &[u8], key_id: &str, hex_len: usize) -> Fingerprinter {
        Fingerprinter::with_scope(key, FingerprintScope::Key(key_id.to_string()), hex_len)
    }

    fn with_scope(key: &[u8], scope: FingerprintScope, hex_len: usize) -> Fingerprinter {
        let mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
        Fingerprinter { mac, scope, hex_len: hex_len.clamp(8, 64) }
    }

    /// A fingerprinter with a random key for this run only (scope `run`).
    ///
    /// The key comes from the standard library's `RandomState`, which the OS's random source
    /// seeds (128 bits), so logscrub needs no random-number crate for it.
    pub fn random(hex_len: usize) -> Fingerprinter {
        let state = std::collections::hash_map::RandomState::new();
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let mut key = [0u8; 32];
        for (i, part) in key.chunks_mut(8).enumerate() {
            let mut h = state.build_hasher();
            h.write_usize(i);
            h.write_u128(nanos);
            h.write_u32(std::process::id());
            part.copy_from_slice(&h.finish().to_le_bytes());
        }
        Fingerprinter::with_scope(&key, FingerprintScope::Run, hex_len)
    }

    /// The key the rules point at (see the module docs for the order), else a random one.
    pub fn from_rules(rules: &Rules) -> Result<Fingerprinter, KeyFileError> {
        let h = rules.hash_settings();
        let key = h.load_key().map_err(|err| KeyFileError {
            source_name: rules.source_name().to_string(),
            path: h.key_file.as_ref().map_or_else(String::new, |p| p.display().to_string()),
            err,
        })?;
        if let Some(key) = key {
            return Ok(Fingerprinter::new(&key, &h.key_id, h.hex_len));
        }
        let f = rules.finding_settings();
        let env_key = |var: &Option<String>| var.as_ref().and_then(std::env::var_os).filter(|k| !k.is_empty());
        if let Some(k) = env_key(&f.fingerprint_key_env) {
            return Ok(Fingerprinter::new(k.as_encoded_bytes(), &f.fingerprint_key_id, h.hex_len));
        }
        Ok(Fingerprinter::random(h.hex_len))
    }

    /// The scope of this key.
    pub fn scope(&self) -> &FingerprintScope {
        &self.scope
    }

    /// The fingerprint of `secret`: the first `hex_len` hex characters of its HMAC.
    pub fn fingerprint(&self, secret: &[u8]) -> String {
        let mut mac = self.mac.clone();
        mac.update(secret);
        let digest = mac.finalize().into_bytes();
        let mut hex = String::with_capacity(64);
        for b in digest.iter() {
            let _ = write!(hex, "{b:02x}");
        }
        hex.truncate(self.hex_len);
        hex
    }
}

// === Time ===

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Seconds since the epoch as RFC 3339 UTC (`2024-05-01T12:00:00Z`); `None` outside years
/// 0000–9999, which RFC 3339 cannot write.
pub fn format_rfc3339(secs: i64) -> Option<String> {
    const MIN: i64 = -62_167_219_200; // 0000-01-01T00:00:00Z
    const MAX: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z
    if !(MIN..=MAX).contains(&secs) {
        return None;
    }
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    Some(format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60))
}

/// Parses an RFC 3339 date-time (`2024-05-01T12:00:00Z`, `2024-05-01 14:00:00.5+02:00`) into
/// seconds since the epoch (fractions dropped; a leap second counts as the next second).
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(r)?;
        if part.iter().all(u8::is_ascii_digit) { std::str::from_utf8(part).ok()?.parse().ok() } else { None }
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let mdays = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&mo) || d < 1 || d > mdays[(mo - 1) as usize] || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let offset = match b.get(i..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), ..] if b.len() == i + 6 && b[i + 3] == b':' => {
            let (oh, om) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let o = oh * 3600 + om * 60;
            if *sign == b'-' { -o } else { o }
        }
        _ => return None,
    };
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec - offset)
}

/// A JWT time claim: serializes as RFC 3339 UTC, or as the raw number when the year is
/// outside 0000–9999.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp(pub i64);

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match format_rfc3339(self.0) {
            Some(t) => s.serialize_str(&t),
            None => s.serialize_i64(self.0),
        }
    }
}

// === Reports ===

fn display<T: fmt::Display, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// One finding, ready to print. Holds no secret (see the module docs).
///
/// JSON fields, in order: `source`, `line`, `col`, `kind`, `rule`, `action`, `flags`, then for
/// tokens (each only when present) `alg`, `kid`, `typ`, `enc`, `iss`, `aud` (an array), `exp`,
/// `iat`, `nbf`, and always `fingerprint`, `fingerprint_scope`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The input name (a path, or `<stdin>`).
    pub source: String,
    /// 1-based line number.
    pub line: u64,
    /// 1-based byte column of the secret's first byte.
    pub col: u64,
    /// What was found.
    pub kind: FindingKind,
    /// The rule that fired: `jwt`, `bearer`, `basic`, the key name, or the pattern name.
    pub rule: String,
    /// The action applied.
    #[serde(serialize_with = "display")]
    pub action: Action,
    /// Risk flags (empty for opaque findings).
    pub flags: Flags,
    /// Flags set by the `[[jwt.conditions]]` the token matched, in rule order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rule_flags: Vec<String>,
    /// Names of the `[[jwt.conditions]]` the token matched, in rule order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<String>,
    /// For tokens: each claim's name and the action applied, in payload order. Not in the JSON
    /// report (claim names of arbitrary tokens are noise there); `--explain` prints them.
    #[serde(skip)]
    pub claim_actions: Vec<(String, Action)>,
    /// Header `alg`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Header `kid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Header `typ`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
    /// Header `enc` (JWE).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enc: Option<String>,
    /// `iss`, when the rules keep it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// `aud` values, when the rules keep it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aud: Vec<String>,
    /// `exp`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<Timestamp>,
    /// `iat`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<Timestamp>,
    /// `nbf`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbf: Option<Timestamp>,
    /// Keyed fingerprint of the secret (short hex).
    pub fingerprint: String,
    /// Which key made the fingerprint: `run` or `key:<id>`.
    #[serde(serialize_with = "display")]
    pub fingerprint_scope: FingerprintScope,
}

impl Report {
    /// One line of JSON (no trailing newline).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("report serializes")
    }

    /// `source:line:col: kind [flags] rule`, for people. Control characters in the source
    /// name and rule are escaped, so a file name cannot forge a line.
    pub fn to_text(&self) -> String {
        let mut flags = self.flags.to_string();
        for f in &self.rule_flags {
            if !flags.is_empty() {
                flags.push(',');
            }
            flags.push_str(f);
        }
        format!(
            "{}:{}:{}: {} [{}] {}",
            escape_controls(&self.source),
            self.line,
            self.col,
            self.kind.as_str(),
            flags,
            escape_controls(&self.rule)
        )
    }
}

impl Report {
    /// The `--explain` line: `source:line:col kind rule action`, then for tokens the claims
    /// and the conditions that matched:
    ///
    /// ```text
    /// app.log:3:14 secret_key password redact
    /// app.log:7:22 jws jwt rewrite claims[iss=keep sub=redact email=mask:email] when[service-role]
    /// ```
    ///
    /// A token's action is `rewrite`: header kept, claims by rule, signature (JWE: every
    /// segment but the header) replaced. Never a value: names, positions and actions only.
    /// Control characters and spaces in names are escaped so every field stays one word.
    pub fn to_explain(&self) -> String {
        let word = |s: &str| escape_controls(s).replace(' ', "\\x20");
        let mut s = format!("{}:{}:{}", escape_controls(&self.source), self.line, self.col);
        let action = if is_token(self.kind) { "rewrite".to_string() } else { self.action.to_string() };
        let _ = write!(s, " {} {} {action}", self.kind.as_str(), word(&self.rule));
        if !self.claim_actions.is_empty() {
            let claims: Vec<String> = self.claim_actions.iter().map(|(k, a)| format!("{}={a}", word(k))).collect();
            let _ = write!(s, " claims[{}]", claims.join(" "));
        }
        if !self.conditions.is_empty() {
            let names: Vec<String> = self.conditions.iter().map(|n| word(n)).collect();
            let _ = write!(s, " when[{}]", names.join(","));
        }
        s
    }
}

fn escape_controls(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect()
}

/// Turns findings into [`Report`]s: settings, a fingerprint key and the time of judgement.
#[derive(Debug, Clone)]
pub struct Assessor {
    settings: FindingSettings,
    fingerprinter: Fingerprinter,
    now: i64,
}

impl Assessor {
    /// An assessor for `rules`' `[findings]` settings, judging at `now` (seconds since the epoch).
    pub fn new(rules: &Rules, fingerprinter: Fingerprinter, now: i64) -> Assessor {
        Assessor { settings: rules.finding_settings().clone(), fingerprinter, now }
    }

    /// [`Assessor::new`] with the key the rules point at ([`Fingerprinter::from_rules`]).
    pub fn from_rules(rules: &Rules, now: i64) -> Result<Assessor, KeyFileError> {
        Ok(Assessor::new(rules, Fingerprinter::from_rules(rules)?, now))
    }

    /// The fingerprinter.
    pub fn fingerprinter(&self) -> &Fingerprinter {
        &self.fingerprinter
    }

    /// The flags of `finding`.
    pub fn flags(&self, finding: &Finding) -> Flags {
        assess(finding.kind, finding.token.as_deref(), &self.settings, self.now)
    }

    /// The report of one finding of `chunk` on line `line`.
    pub fn report(&self, source: &str, line: u64, chunk: &[u8], f: &Finding) -> Report {
        let secret = chunk.get(f.span.clone()).unwrap_or_default();
        let col = f.span.start.saturating_sub(f.line_start) as u64 + 1;
        let (h, c) = match f.token.as_deref() {
            Some(t) => (t.header.clone(), t.claims.clone()),
            None => Default::default(),
        };
        let matched = |i: usize| i < 64 && c.conditions & (1 << i) != 0;
        let s = &self.settings;
        let rule_flags =
            s.condition_flags.iter().enumerate().filter(|(i, _)| matched(*i)).filter_map(|(_, f)| f.clone()).collect();
        let conditions =
            s.condition_names.iter().enumerate().filter(|(i, _)| matched(*i)).map(|(_, n)| n.clone()).collect();
        Report {
            source: source.to_string(),
            line,
            col,
            kind: f.kind,
            rule: f.rule.clone(),
            action: f.action,
            flags: self.flags(f),
            rule_flags,
            conditions,
            claim_actions: c.actions.clone(),
            alg: h.alg.as_deref().map(str::to_owned),
            kid: h.kid.as_deref().map(str::to_owned),
            typ: h.typ.as_deref().map(str::to_owned),
            enc: h.enc.as_deref().map(str::to_owned),
            iss: c.iss,
            aud: c.aud,
            exp: c.exp.map(Timestamp),
            iat: c.iat.map(Timestamp),
            nbf: c.nbf.map(Timestamp),
            fingerprint: self.fingerprinter.fingerprint(secret),
            fingerprint_scope: self.fingerprinter.scope.clone(),
        }
    }

    /// Appends the reports of one scrubbed chunk, as [`FindingSink`] receives it, sorted by
    /// line and column.
    ///
    /// Line numbers: findings come in line order, so the newlines between one finding's line
    /// start and the next are counted once, walking the chunk forward.
    pub fn reports(&self, source: &str, chunk: &[u8], first_line: u64, findings: &[Finding], out: &mut Vec<Report>) {
        let start = out.len();
        let (mut pos, mut line) = (0, first_line);
        for f in findings {
            let ls = f.line_start.min(chunk.len());
            if ls < pos {
                (pos, line) = (0, first_line); // out of order: count again from the start
            }
            line += memchr::memchr_iter(b'\n', &chunk[pos..ls]).count() as u64;
            pos = ls;
            out.push(self.report(source, line, chunk, f));
        }
        out[start..].sort_by_key(|r| (r.line, r.col));
    }
}

/// A [`FindingSink`] for one input: assesses each finding, counts its flags and hands the
/// [`Report`] to `emit` (which writes or collects it).
pub struct ReportSink<'a, F> {
    assessor: &'a Assessor,
    source: String,
    counts: FlagCounts,
    reports: u64,
    buf: Vec<Report>,
    emit: F,
}

impl<F> fmt::Debug for ReportSink<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReportSink").field("source", &self.source).field("counts", &self.counts).finish_non_exhaustive()
    }
}

impl<'a, F: FnMut(Report)> ReportSink<'a, F> {
    /// A sink reporting findings of the input named `source`.
    pub fn new(assessor: &'a Assessor, source: impl Into<String>, emit: F) -> Self {
        ReportSink { assessor, source: source.into(), counts: FlagCounts::default(), reports: 0, buf: Vec::new(), emit }
    }

    /// Findings per flag so far.
    pub fn counts(&self) -> &FlagCounts {
        &self.counts
    }

    /// Findings reported so far.
    pub fn reported(&self) -> u64 {
        self.reports
    }
}

impl<F: FnMut(Report)> FindingSink for ReportSink<'_, F> {
    fn findings(&mut self, chunk: &[u8], first_line: u64, col_base: u64, findings: &[Finding]) {
        self.buf.clear();
        self.assessor.reports(&self.source, chunk, first_line, findings, &mut self.buf);
        for mut r in self.buf.drain(..) {
            if r.line == first_line {
                r.col += col_base;
            }
            self.counts.add(r.flags);
            self.reports += 1;
            (self.emit)(r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ClaimInfo;
    use crate::jwt::Header;

    fn facts(alg: &str, iss: Option<&str>, aud: &[&str], exp: Option<i64>, iat: Option<i64>) -> TokenFacts {
        TokenFacts {
            header: Header { alg: Some(alg.into()), ..Header::default() },
            claims: ClaimInfo {
                iss: iss.map(Into::into),
                aud: aud.iter().map(|s| s.to_string()).collect(),
                exp,
                iat,
                nbf: None,
                conditions: 0,
                actions: Vec::new(),
            },
        }
    }

    fn settings() -> FindingSettings {
        FindingSettings {
            max_lifetime: Some(3600),
            allowed_issuers: vec!["https://idp.qa".into()],
            allowed_audiences: vec!["api-qa".into()],
            weak_algs: vec!["HS256".into()],
            ..FindingSettings::default()
        }
    }

    #[test]
    fn rfc3339_round_trips_and_knows_its_range() {
        for (secs, text) in [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (1_700_000_000, "2023-11-14T22:13:20Z"),
            (-1, "1969-12-31T23:59:59Z"),
            (253_402_300_799, "9999-12-31T23:59:59Z"),
            (-62_167_219_200, "0000-01-01T00:00:00Z"),
        ] {
            assert_eq!(format_rfc3339(secs).as_deref(), Some(text));
            assert_eq!(parse_rfc3339(text), Some(secs), "{text}");
        }
        assert_eq!(format_rfc3339(253_402_300_800), None);
        assert_eq!(parse_rfc3339("2023-11-15T00:13:20.75+02:00"), Some(1_700_000_000));
        assert_eq!(parse_rfc3339("2023-11-14 21:13:20-01:00"), Some(1_700_000_000));
        for bad in ["2023-02-29T00:00:00Z", "2023-11-14T22:13:20", "2023-13-01T00:00:00Z", "yesterday", ""] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_day_of_four_centuries_round_trips() {
        for day in (-150_000..150_000).step_by(7) {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
    }

    #[test]
    fn live_means_unexpired_or_no_exp() {
        let s = FindingSettings::default();
        let now = 1_000;
        let f = |exp| assess(FindingKind::Jws, Some(&facts("RS256", None, &[], exp, None)), &s, now);
        assert!(f(Some(1_001)).contains(Flag::Live));
        assert!(!f(Some(1_000)).contains(Flag::Live));
        assert!(!f(Some(10)).contains(Flag::Live));
        assert!(f(None).contains(Flag::Live));
        // A JWE's claims are encrypted: no exp is known, so it is live (fail closed).
        assert!(assess(FindingKind::Jwe, Some(&TokenFacts::default()), &s, now).contains(Flag::Live));
    }

    #[test]
    fn opaque_findings_have_no_flags() {
        assert!(assess(FindingKind::Bearer, None, &settings(), 0).is_empty());
        assert!(assess(FindingKind::Pattern, None, &settings(), 0).is_empty());
    }

    #[test]
    fn each_flag_fires_on_its_own() {
        let s = settings();
        let ok = facts("RS256", Some("https://idp.qa"), &["api-qa"], Some(100), Some(50));
        assert_eq!(assess(FindingKind::Jws, Some(&ok), &s, 200), Flags::EMPTY);
        let one = |kind, t: &TokenFacts| assess(kind, Some(t), &s, 200).iter().collect::<Vec<_>>();
        assert_eq!(one(FindingKind::Unsecured, &ok), [Flag::Unsigned]);
        let long = facts("RS256", Some("https://idp.qa"), &["api-qa"], Some(100), Some(100 - 3601));
        assert_eq!(one(FindingKind::Jws, &long), [Flag::LongLived]);
        let prod = facts("RS256", Some("https://idp.prod"), &["api-qa"], Some(100), None);
        assert_eq!(one(FindingKind::Jws, &prod), [Flag::ForeignEnvironment]);
        let aud = facts("RS256", Some("https://idp.qa"), &["api-qa", "api-prod"], Some(100), None);
        assert_eq!(one(FindingKind::Jws, &aud), [Flag::ForeignEnvironment]);
        let weak = facts("hs256", Some("https://idp.qa"), &[], Some(100), None);
        assert_eq!(one(FindingKind::Jws, &weak), [Flag::WeakAlg]);
    }

    #[test]
    fn selector_parses_flags_kinds_and_words() {
        let s: Selector = "live, unsigned,secret-key".parse().unwrap();
        assert!(s.matches(FindingKind::Jws, [Flag::Live].into_iter().collect()));
        assert!(s.matches(FindingKind::SecretKey, Flags::EMPTY));
        assert!(!s.matches(FindingKind::Jws, [Flag::WeakAlg].into_iter().collect()));
        assert_eq!(s.to_string(), "live,unsigned,secret_key");
        assert!("any".parse::<Selector>().unwrap().matches(FindingKind::Basic, Flags::EMPTY));
        assert!(!"none".parse::<Selector>().unwrap().matches(FindingKind::Jws, Flag::ALL.into_iter().collect()));
        // A word that is no built-in name may be a [[jwt.conditions]] flag: known once the
        // rules are loaded, and an error then if they do not declare it.
        let typo: Selector = "live,lve".parse().unwrap();
        let e = typo.check_rule_flags(&FindingSettings::default()).unwrap_err();
        assert!(e.starts_with("unknown item `lve`") && e.contains("(none in these rules)"), "{e}");
        let declared =
            FindingSettings { condition_flags: vec![None, Some("lve".into())], ..FindingSettings::default() };
        assert!(typo.check_rule_flags(&declared).is_ok());
        assert_eq!(typo.to_string(), "live,lve");
        assert!("live!".parse::<Selector>().unwrap_err().contains("`live!`"));
    }

    #[test]
    fn kind_names_are_the_kinds() {
        assert_eq!(KINDS.map(|k| k.as_str()), KIND_NAMES);
    }

    #[test]
    fn fingerprints_are_keyed_and_short() {
        let a = Fingerprinter::new(b"k", "x", 16);
        assert_eq!(a.fingerprint(b"tok").len(), 16);
        assert_eq!(a.fingerprint(b"tok"), a.fingerprint(b"tok"));
        assert_ne!(a.fingerprint(b"tok"), Fingerprinter::new(b"other", "x", 16).fingerprint(b"tok"));
        let r = Fingerprinter::random(16);
        assert_eq!(r.scope().to_string(), "run");
        assert_ne!(r.fingerprint(b"tok"), Fingerprinter::random(16).fingerprint(b"tok"));
        assert!(!format!("{a:?}").contains("mac"));
    }

    #[test]
    fn line_numbers_walk_the_chunk() {
        let rules = Rules::embedded();
        let scrubber = crate::Scrubber::new(&rules).unwrap();
        let mut scratch = crate::Scratch::default();
        scratch.record_findings(true);
        let buf = b"a\npassword=x1 token=y2\n\nb\nsecret=z3\n";
        let _ = scrubber.scrub_buf(buf, &mut scratch);
        let assessor = Assessor::new(&rules, Fingerprinter::new(b"k", "t", 8), 0);
        let mut out = Vec::new();
        assessor.reports("f", buf, 10, scratch.findings(), &mut out);
        let at: Vec<(u64, u64, &str)> = out.iter().map(|r| (r.line, r.col, r.rule.as_str())).collect();
        assert_eq!(at, [(11, 10, "password"), (11, 19, "token"), (14, 8, "secret")]);
        let text = out[0].to_text();
        assert_eq!(text, "f:11:10: secret_key [] password");
    }

    #[test]
    fn text_escapes_control_characters_in_names() {
        let assessor = Assessor::new(&Rules::embedded(), Fingerprinter::new(b"k", "t", 8), 0);
        let f = Finding {
            kind: FindingKind::Bearer,
            rule: "bearer".into(),
            action: Action::Redact,
            line_start: 0,
            span: 7..10,
            token: None,
        };
        let r = assessor.report("evil\nname", 1, b"Bearer abc", &f);
        assert_eq!(r.to_text(), "evil\\nname:1:8: bearer [] bearer");
    }
}
