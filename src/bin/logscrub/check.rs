//! `logscrub check RULES [SAMPLE] [--explain]`: validate a rule file, and dry-run it on a sample.
//!
//! - `check RULES`: exit 0 and print a summary, or exit 2 with `FILE:LINE:COL` errors.
//! - `check RULES SAMPLE.log`: scrub the sample (output discarded) and count the findings;
//!   with `--explain`, print one `input:line:col kind rule action` line per finding.
//! - `check RULES TEST.toml`: the same over a golden test file's sample, then check its
//!   `[[expect]]` list ([`logscrub::rules::expect`]): exit 1, naming each expectation not met
//!   by `TEST:LINE:COL`, when one fails.
//!
//! A dry run needs no hash key: when the rules use `hash` and no key is set, a throwaway key
//! is used (and said on standard error), so pseudonyms differ from a real run's.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use logscrub::findings::{Assessor, Fingerprinter, Report, ReportSink};
use logscrub::format::{Format, FormatScrubber, FormatState};
use logscrub::frame::{FrameConfig, Framer};
use logscrub::io::stream;
use logscrub::rules::expect::RuleTest;
use logscrub::{BuildError, Rules, Scrubber, Stats};

use crate::args::Common;
use crate::exit::Exit;

/// `logscrub check`.
pub(crate) fn run(rules_path: &Path, sample: Option<&Path>, explain: bool, format: Format, common: &Common) -> Exit {
    let rules = match Rules::from_path(rules_path) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return Exit::Usage;
        }
    };
    let Some(sample) = sample else {
        if let Err(e) = Scrubber::new(&rules) {
            // Valid rules, but they cannot run here (no hash key): say so, still exit 2.
            eprintln!("logscrub: {e}");
            return Exit::Usage;
        }
        print!("{}: ok\n{}", rules_path.display(), rules.summary());
        if explain {
            eprintln!("logscrub: --explain needs a sample: `logscrub check --explain RULES FILE`");
        }
        return Exit::Success;
    };
    let scrubber = match Scrubber::new(&rules) {
        Ok(s) => s,
        Err(BuildError::MissingHashKey { .. }) => {
            eprintln!(
                "logscrub: no hash key is set: this dry run uses a throwaway key, so pseudonyms differ from a real run's"
            );
            // A per-run random key (a random-keyed HMAC, as hex): pseudonyms printed in failure
            // messages cannot be looked up by anyone, this run included.
            let key = Fingerprinter::random(64).fingerprint(b"logscrub check");
            Scrubber::with_hash_key(&rules, key.as_bytes())
        }
        Err(e) => {
            eprintln!("logscrub: {e}");
            return Exit::Usage;
        }
    };
    let now = match crate::resolve_now(common) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("logscrub: {e}");
            return Exit::Usage;
        }
    };
    let assessor = Assessor::new(&rules, Fingerprinter::random(16), now);
    let is_test = sample.extension().is_some_and(|e| e == "toml");
    if !is_test {
        // A plain sample is streamed (any size): only the reports are kept.
        let stdin = sample.as_os_str() == "-";
        let name = if stdin { "<stdin>".to_string() } else { sample.display().to_string() };
        let mut rdr: Box<dyn Read> = if stdin {
            Box::new(io::stdin().lock())
        } else {
            match File::open(sample) {
                Ok(f) => Box::new(f),
                Err(e) => {
                    eprintln!("logscrub: {name}: {e}");
                    return Exit::Usage;
                }
            }
        };
        return match dry_run(&scrubber, format, &assessor, &name, &mut rdr, &mut io::sink()) {
            Ok((stats, reports)) => {
                if explain {
                    reports.iter().for_each(|r| println!("{}", r.to_explain()));
                }
                eprintln!("{name}: {} finding(s) in {} line(s)", reports.len(), stats.lines);
                Exit::Success
            }
            Err(e) => {
                eprintln!("logscrub: {name}: {e}");
                Exit::Failure
            }
        };
    }
    let test = match RuleTest::from_path(sample) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{e}");
            return Exit::Usage;
        }
    };
    let mut output = Vec::new();
    let (stats, reports) =
        match dry_run(&scrubber, format, &assessor, &test.sample_name, &mut &test.sample[..], &mut output) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("logscrub: {}: {e}", test.sample_name);
                return Exit::Failure;
            }
        };
    if explain {
        reports.iter().for_each(|r| println!("{}", r.to_explain()));
    }
    let failures = test.check(&output, &reports);
    for f in &failures {
        eprintln!("{}:{}:{}: expectation not met: {}", test.name, f.at.0, f.at.1, f.message);
    }
    eprintln!(
        "{}: {} finding(s) in {} line(s); {} expectation(s), {} not met",
        test.name,
        reports.len(),
        stats.lines,
        test.expects.len() + usize::from(test.findings.is_some()),
        failures.len()
    );
    if failures.is_empty() { Exit::Success } else { Exit::Failure }
}

/// Scrubs `rdr` into `out` as the main command would (single-threaded, with findings) and
/// returns the counters and the reports.
fn dry_run(
    scrubber: &Scrubber,
    format: Format,
    assessor: &Assessor,
    name: &str,
    rdr: &mut dyn Read,
    out: &mut dyn Write,
) -> io::Result<(Stats, Vec<Report>)> {
    let frame = FrameConfig::default();
    let fmt = FormatScrubber::new(scrubber, format, frame.max_window);
    let mut reports = Vec::new();
    let mut sink = ReportSink::new(assessor, name, |r| reports.push(r));
    let (mut framer, mut state) = (Framer::new(frame), FormatState::default());
    let stats = stream::scrub_stream_format(&fmt, &mut framer, &mut state, rdr, out, Some(&mut sink))?;
    drop(sink);
    Ok((stats, reports))
}
