//! Counters: what went through and what was found.
//!
//! The scrubber adds to a [`Stats`] in its [`crate::Scratch`] per buffer; the stream loop
//! drains it once per buffer ([`Stats::merge`]), never per line (Vector's "emit per batch").
//! `--stats` prints it as one JSON object; the sidecar turns it into metrics.

use serde::Serialize;

/// Kinds of finding, for counters and findings output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A signed compact JWT.
    Jws,
    /// An encrypted compact JWT.
    Jwe,
    /// An unsecured (`alg: none` or empty signature) JWT.
    Unsecured,
    /// An opaque `Bearer` credential.
    Bearer,
    /// A `Basic` credential.
    Basic,
    /// The value of a secret-bearing key.
    SecretKey,
    /// A `[[patterns]]` match.
    Pattern,
}

impl FindingKind {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Jws => "jws",
            FindingKind::Jwe => "jwe",
            FindingKind::Unsecured => "unsecured",
            FindingKind::Bearer => "bearer",
            FindingKind::Basic => "basic",
            FindingKind::SecretKey => "secret_key",
            FindingKind::Pattern => "pattern",
        }
    }
}

/// Findings by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FindingCounts {
    /// Signed JWTs.
    pub jws: u64,
    /// Encrypted JWTs.
    pub jwe: u64,
    /// Unsecured JWTs.
    pub unsecured: u64,
    /// Opaque bearer credentials.
    pub bearer: u64,
    /// Basic credentials.
    pub basic: u64,
    /// Secret-key values.
    pub secret_key: u64,
    /// Pattern matches.
    pub pattern: u64,
}

impl FindingCounts {
    /// Adds one finding of `kind`.
    pub fn add(&mut self, kind: FindingKind) {
        *self.get_mut(kind) += 1;
    }

    fn get_mut(&mut self, kind: FindingKind) -> &mut u64 {
        match kind {
            FindingKind::Jws => &mut self.jws,
            FindingKind::Jwe => &mut self.jwe,
            FindingKind::Unsecured => &mut self.unsecured,
            FindingKind::Bearer => &mut self.bearer,
            FindingKind::Basic => &mut self.basic,
            FindingKind::SecretKey => &mut self.secret_key,
            FindingKind::Pattern => &mut self.pattern,
        }
    }

    /// All findings.
    pub fn total(&self) -> u64 {
        self.jws + self.jwe + self.unsecured + self.bearer + self.basic + self.secret_key + self.pattern
    }

    /// `(name, count)` for every kind, in a fixed order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> {
        [
            ("jws", self.jws),
            ("jwe", self.jwe),
            ("unsecured", self.unsecured),
            ("bearer", self.bearer),
            ("basic", self.basic),
            ("secret_key", self.secret_key),
            ("pattern", self.pattern),
        ]
        .into_iter()
    }
}

/// Counters for one run (or one buffer, before merging).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Lines seen (a final line without newline counts).
    pub lines: u64,
    /// Lines that were changed.
    pub lines_changed: u64,
    /// Bytes read.
    pub bytes_in: u64,
    /// Bytes written.
    pub bytes_out: u64,
    /// Findings by kind.
    pub findings: FindingCounts,
    /// JWT claims whose value was redacted, hashed, masked or dropped.
    pub claims_redacted: u64,
    /// Long lines cut into windows (see `frame`).
    pub long_line_cuts: u64,
    /// Token-character runs longer than the window, redacted whole (fail closed).
    pub oversized_runs_redacted: u64,
    /// Lines of a structured `--format` that did not parse and were scrubbed as raw text
    /// (see `format`).
    pub format_fallbacks: u64,
    /// CRI partial-line groups written out at the size cap before their `F` line (fail
    /// closed, see `format`).
    pub partial_groups_capped: u64,
}

impl Stats {
    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: &Stats) {
        self.lines += other.lines;
        self.lines_changed += other.lines_changed;
        self.bytes_in += other.bytes_in;
        self.bytes_out += other.bytes_out;
        for (k, o) in [
            (FindingKind::Jws, other.findings.jws),
            (FindingKind::Jwe, other.findings.jwe),
            (FindingKind::Unsecured, other.findings.unsecured),
            (FindingKind::Bearer, other.findings.bearer),
            (FindingKind::Basic, other.findings.basic),
            (FindingKind::SecretKey, other.findings.secret_key),
            (FindingKind::Pattern, other.findings.pattern),
        ] {
            *self.findings.get_mut(k) += o;
        }
        self.claims_redacted += other.claims_redacted;
        self.long_line_cuts += other.long_line_cuts;
        self.oversized_runs_redacted += other.oversized_runs_redacted;
        self.format_fallbacks += other.format_fallbacks;
        self.partial_groups_capped += other.partial_groups_capped;
    }

    /// One-line JSON (`--stats`).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("stats serialize")
    }
}
