//! Golden tests for rule files: a sample and what the rules must do to it.
//!
//! `logscrub check [--explain] RULES TEST.toml` scrubs the test's sample with RULES and checks
//! each `[[expect]]`; it exits 1 when one is not met. Users keep such files beside their rule
//! files, so a rule change that stops redacting something (or starts changing clean lines)
//! fails their CI.
//!
//! ```toml
//! # The sample: inline, or `sample_file` (relative to this file).
//! sample = """
//! GET /cb?code=1&access_token=abc123def456 HTTP/1.1
//! user=alice password=hunter2
//! nothing to see
//! """
//! # Optional: the number of findings in the whole sample.
//! findings = 2
//!
//! [[expect]]
//! line = 1                     # 1-based line of the sample
//! kind = "secret_key"          # a finding on that line with this kind …
//! rule = "access_token"        # … and rule …
//! action = "redact"            # … and action (all optional; at least one check per expect)
//!
//! [[expect]]
//! line = 2
//! output = "user=alice password=[REDACTED]"   # the scrubbed line, exactly
//!
//! [[expect]]
//! line = 3
//! unchanged = true             # no finding, and the line comes out byte-identical
//!
//! [[expect]]
//! line = 2
//! contains = ["user=alice"]    # substrings the scrubbed line must hold …
//! excludes = ["hunter2"]       # … and must not
//! ```
//!
//! Test files are TOML, parsed as strictly as rule files: unknown keys, bad values and a `line`
//! past the end of the sample are errors located by file, line and column.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::error::{Problem, RuleError, RuleErrorKind, line_col};
use crate::findings::Report;

/// Largest sample a test file may name: its scrubbed output is held in memory to be checked.
pub const MAX_SAMPLE: u64 = 16 << 20;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTest {
    sample: Option<Spanned<String>>,
    sample_file: Option<Spanned<String>>,
    findings: Option<Spanned<u64>>,
    #[serde(default)]
    expect: Vec<Spanned<RawExpect>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpect {
    line: Spanned<i64>,
    col: Option<u64>,
    kind: Option<String>,
    rule: Option<String>,
    action: Option<String>,
    count: Option<u64>,
    output: Option<String>,
    unchanged: Option<bool>,
    #[serde(default)]
    contains: Vec<String>,
    #[serde(default)]
    excludes: Vec<String>,
}

/// One `[[expect]]`: checks on one line of the sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    /// Where it is written (line, column in the test file).
    pub at: (usize, usize),
    /// The sample line it is about (1-based).
    pub line: u64,
    /// A finding on the line must have this column, kind, rule and action (those given).
    pub col: Option<u64>,
    /// See `col`.
    pub kind: Option<String>,
    /// See `col`.
    pub rule: Option<String>,
    /// See `col`.
    pub action: Option<String>,
    /// Exactly this many findings on the line match the filters above (default: at least one,
    /// when any filter is given).
    pub count: Option<u64>,
    /// The scrubbed line, exactly.
    pub output: Option<String>,
    /// No finding on the line, and the line unchanged.
    pub unchanged: bool,
    /// Substrings the scrubbed line must contain.
    pub contains: Vec<String>,
    /// Substrings the scrubbed line must not contain.
    pub excludes: Vec<String>,
}

/// A parsed test file.
#[derive(Debug, Clone)]
pub struct RuleTest {
    /// The test file's name, for messages.
    pub name: String,
    /// The sample's bytes.
    pub sample: Vec<u8>,
    /// The sample's name in reports: the `sample_file` path, or `TEST[sample]`.
    pub sample_name: String,
    /// Expected number of findings in the whole sample.
    pub findings: Option<u64>,
    /// Where `findings` is written.
    findings_at: (usize, usize),
    /// The expectations, in file order.
    pub expects: Vec<Expectation>,
}

/// An expectation that was not met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Test file line and column of the `[[expect]]` (or of `findings`).
    pub at: (usize, usize),
    /// What was expected and what came out (scrubbed output only: never a secret).
    pub message: String,
}

impl RuleTest {
    /// Reads a test file; `sample_file` is resolved against the test file's directory.
    pub fn from_path(path: &Path) -> Result<RuleTest, RuleError> {
        let name = path.display().to_string();
        let src = std::fs::read_to_string(path)
            .map_err(|e| RuleError::single(&name, RuleErrorKind::Io, format!("cannot read test file: {e}")))?;
        RuleTest::from_toml(&name, &src, path.parent().unwrap_or(Path::new(".")))
    }

    /// Parses a test file from text; `base` is where `sample_file` is looked for.
    pub fn from_toml(name: &str, src: &str, base: &Path) -> Result<RuleTest, RuleError> {
        let raw: RawTest = toml::from_str(src).map_err(|e| {
            let (line, col) = e.span().map_or((0, 0), |s| line_col(src, s.start));
            RuleError::new(
                name,
                vec![Problem { kind: RuleErrorKind::Syntax, line, col, message: e.message().trim().to_string() }],
            )
        })?;
        let mut problems = Vec::new();
        let mut problem = |at: std::ops::Range<usize>, message: String| {
            let (line, col) = line_col(src, at.start);
            problems.push(Problem { kind: RuleErrorKind::BadValue, line, col, message });
        };
        let sample_name = match &raw.sample_file {
            Some(f) => base.join(f.get_ref()).display().to_string(),
            None => format!("{name}[sample]"),
        };
        let sample = match (&raw.sample, &raw.sample_file) {
            (Some(s), None) => s.get_ref().as_bytes().to_vec(),
            (None, Some(f)) => {
                let p: PathBuf = base.join(f.get_ref());
                let size = std::fs::metadata(&p).map_or(0, |m| m.len());
                if size > MAX_SAMPLE {
                    problem(
                        f.span(),
                        format!(
                            "sample file {} is {size} bytes; a test sample may hold at most {MAX_SAMPLE} bytes (run `logscrub check RULES FILE` on large logs)",
                            p.display()
                        ),
                    );
                    return Err(RuleError::new(name, problems));
                }
                match std::fs::read(&p) {
                    Ok(b) => b,
                    Err(e) => {
                        problem(f.span(), format!("cannot read sample file {}: {e}", p.display()));
                        Vec::new()
                    }
                }
            }
            (Some(s), Some(_)) => {
                problem(s.span(), "give either `sample` or `sample_file`, not both".to_string());
                Vec::new()
            }
            (None, None) => {
                problem(0..0, "a test file needs a `sample` (text) or a `sample_file` (path)".to_string());
                Vec::new()
            }
        };
        let lines = sample_lines(&sample).len() as u64;
        let mut expects = Vec::new();
        for e in raw.expect {
            let at = line_col(src, e.span().start);
            let e = e.into_inner();
            let line = *e.line.get_ref();
            if line < 1 || line as u64 > lines {
                problem(
                    e.line.span(),
                    format!("`line` must be between 1 and {lines} (the sample's lines), got {line}"),
                );
                continue;
            }
            let x = Expectation {
                at,
                line: line as u64,
                col: e.col,
                kind: e.kind,
                rule: e.rule,
                action: e.action,
                count: e.count,
                output: e.output,
                unchanged: e.unchanged.unwrap_or(false),
                contains: e.contains,
                excludes: e.excludes,
            };
            let checks = x.has_finding_filter()
                || x.count.is_some()
                || x.output.is_some()
                || x.unchanged
                || !x.contains.is_empty()
                || !x.excludes.is_empty();
            if !checks {
                problem(
                    e.line.span(),
                    "this [[expect]] checks nothing: give kind, rule, action, col, count, output, unchanged, contains or excludes".to_string(),
                );
                continue;
            }
            expects.push(x);
        }
        let findings_at = raw.findings.as_ref().map_or((0, 0), |f| line_col(src, f.span().start));
        if !problems.is_empty() {
            return Err(RuleError::new(name, problems));
        }
        Ok(RuleTest {
            name: name.to_string(),
            sample,
            sample_name,
            findings: raw.findings.map(|f| *f.get_ref()),
            findings_at,
            expects,
        })
    }

    /// Checks the expectations against the scrubbed sample (`output`, same line count) and the
    /// reports of its findings.
    pub fn check(&self, output: &[u8], reports: &[Report]) -> Vec<Failure> {
        let out_lines = sample_lines(output);
        let in_lines = sample_lines(&self.sample);
        let mut failures = Vec::new();
        if let Some(n) = self.findings {
            if reports.len() as u64 != n {
                failures.push(Failure {
                    at: self.findings_at,
                    message: format!("expected {n} findings in the sample, got {}", reports.len()),
                });
            }
        }
        for x in &self.expects {
            let i = (x.line - 1) as usize;
            let got = out_lines.get(i).copied().unwrap_or_default();
            let shown = String::from_utf8_lossy(got);
            let on_line: Vec<&Report> = reports.iter().filter(|r| r.line == x.line).collect();
            let mut fail = |message: String| failures.push(Failure { at: x.at, message });
            if x.has_finding_filter() || x.count.is_some() {
                let n = on_line.iter().filter(|r| x.matches(r)).count() as u64;
                let ok = match x.count {
                    Some(c) => n == c,
                    None => n > 0,
                };
                if !ok {
                    let found: Vec<String> = on_line
                        .iter()
                        .map(|r| format!("{}:{} {} {} {}", r.line, r.col, r.kind.as_str(), r.rule, r.action))
                        .collect();
                    let want = match x.count {
                        Some(c) => format!("{c} finding(s)"),
                        None => "a finding".to_string(),
                    };
                    fail(format!(
                        "line {}: expected {want} with {}, found {}: [{}]",
                        x.line,
                        x.filter_text(),
                        n,
                        found.join(", ")
                    ));
                }
            }
            if let Some(o) = &x.output {
                if got != o.as_bytes() {
                    fail(format!("line {}: expected output {o:?}, got {shown:?}", x.line));
                }
            }
            if x.unchanged && (!on_line.is_empty() || in_lines.get(i) != Some(&got)) {
                fail(format!("line {}: expected unchanged, got {} finding(s) and {shown:?}", x.line, on_line.len()));
            }
            for c in &x.contains {
                if !contains(got, c.as_bytes()) {
                    fail(format!("line {}: expected to contain {c:?}, got {shown:?}", x.line));
                }
            }
            for c in &x.excludes {
                if contains(got, c.as_bytes()) {
                    fail(format!("line {}: expected not to contain {c:?}, got {shown:?}", x.line));
                }
            }
        }
        failures
    }
}

impl Expectation {
    fn has_finding_filter(&self) -> bool {
        self.col.is_some() || self.kind.is_some() || self.rule.is_some() || self.action.is_some()
    }

    fn matches(&self, r: &Report) -> bool {
        let action = if crate::findings::is_token(r.kind) { "rewrite".to_string() } else { r.action.to_string() };
        self.col.is_none_or(|c| c == r.col)
            && self.kind.as_deref().is_none_or(|k| k == r.kind.as_str())
            && self.rule.as_deref().is_none_or(|k| k == r.rule)
            && self.action.as_deref().is_none_or(|a| a == action)
    }

    fn filter_text(&self) -> String {
        let mut parts = Vec::new();
        if let Some(c) = self.col {
            parts.push(format!("col {c}"));
        }
        for (k, v) in [("kind", &self.kind), ("rule", &self.rule), ("action", &self.action)] {
            if let Some(v) = v {
                parts.push(format!("{k} {v}"));
            }
        }
        if parts.is_empty() { "any kind".to_string() } else { parts.join(", ") }
    }
}

/// The sample's lines without their `\n` (a final newline does not start another line).
fn sample_lines(b: &[u8]) -> Vec<&[u8]> {
    let b = b.strip_suffix(b"\n").unwrap_or(b);
    if b.is_empty() {
        return Vec::new();
    }
    b.split(|&c| c == b'\n').collect()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || memchr::memmem::find(hay, needle).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_files_are_located_and_strict() {
        let base = Path::new(".");
        let ok = "sample = \"a\\nb\\n\"\n[[expect]]\nline = 2\nunchanged = true\n";
        let t = RuleTest::from_toml("t.toml", ok, base).unwrap();
        assert_eq!((t.sample.len(), t.expects.len(), t.expects[0].at), (4, 1, (2, 1)));
        for (src, want) in [
            (
                "sample = \"a\\n\"\n[[expect]]\nline = 3\nunchanged = true\n",
                "t.toml:3:8: `line` must be between 1 and 1",
            ),
            ("sample = \"a\\n\"\n[[expect]]\nline = 1\n", "t.toml:3:8: this [[expect]] checks nothing"),
            ("sample = \"a\"\n[[expect]]\nline = 1\ncolour = 1\n", "t.toml:4:1: unknown field `colour`"),
            ("[[expect]]\nline = 1\nunchanged = true\n", "t.toml:1:1: a test file needs a `sample`"),
            ("sample_file = \"no/such.log\"\n", "t.toml:1:15: cannot read sample file"),
        ] {
            let e = RuleTest::from_toml("t.toml", src, base).unwrap_err().to_string();
            assert!(e.starts_with(want), "{e}\nwant: {want}");
        }
    }

    #[test]
    fn sample_lines_ignore_one_final_newline() {
        assert_eq!(sample_lines(b"a\nb\n"), [&b"a"[..], b"b"]);
        assert_eq!(sample_lines(b"a\n\n"), [&b"a"[..], b""]);
        assert!(sample_lines(b"").is_empty());
    }
}
