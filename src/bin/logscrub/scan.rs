//! `logscrub scan [PATH]...`: report every token and secret in a source tree, and gate on them.
//!
//! Walks with the `ignore` crate (ripgrep's walker): `.gitignore`, `.ignore` and
//! `.git/info/exclude` apply even outside a git repository (a tree exported without `.git` is
//! judged by the same rules), hidden entries are skipped unless `--hidden`, links are not
//! followed, `.git` is never entered, and entries come in file-name order so output is stable.
//! A file whose first 8 KiB hold a NUL byte is binary and skipped, as ripgrep does.
//!
//! Each file goes through the ordinary single-threaded stream loop with a findings sink and
//! its scrubbed output discarded: the file is only read. Findings are printed per file, as
//! text (`path:line:col: kind [flags] rule`) or JSON lines (`--json`, the `--findings` format).
//!
//! Exit: 2 when rules or a path could not be used (the other paths are still scanned), else 1
//! when a finding matched `--fail-on`, else 0.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use ignore::WalkBuilder;

use logscrub::findings::{Assessor, FlagCounts, Report, ReportSink};
use logscrub::frame::{FrameConfig, Framer};
use logscrub::io::stream;
use logscrub::{Scratch, Scrubber};

use crate::args::{Common, ScanArgs};
use crate::exit::Exit;

/// Bytes looked at for a NUL to call a file binary (ripgrep's heuristic).
const BINARY_PROBE: usize = 8 * 1024;

/// What a scan has seen so far.
#[derive(Debug, Default)]
struct Tally {
    files: u64,
    binary: u64,
    findings: u64,
    matched: u64,
    errors: u64,
    flags: FlagCounts,
}

/// Reused state for scanning one file after another.
struct Scanner<'a> {
    scrubber: &'a Scrubber,
    assessor: &'a Assessor,
    framer: Framer,
    scratch: Scratch,
}

impl Scanner<'_> {
    /// The reports of one file, or `None` when it is binary.
    fn file(&mut self, path: &Path, name: &str) -> io::Result<Option<Vec<Report>>> {
        let mut file = File::open(path)?;
        let mut head = vec![0u8; BINARY_PROBE];
        let mut n = 0;
        while n < head.len() {
            match file.read(&mut head[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        head.truncate(n);
        if head.contains(&0) {
            return Ok(None);
        }
        let mut rdr = io::Cursor::new(head).chain(file);
        let mut reports = Vec::new();
        let mut sink = ReportSink::new(self.assessor, name, |r| reports.push(r));
        stream::scrub_stream(
            self.scrubber,
            &mut self.framer,
            &mut self.scratch,
            &mut rdr,
            &mut io::sink(),
            Some(&mut sink),
        )?;
        drop(sink);
        Ok(Some(reports))
    }
}

pub(crate) fn run(args: &ScanArgs, common: &Common) -> anyhow::Result<Exit> {
    let (rules, scrubber) = match crate::build_scrubber(common) {
        Ok(built) => built,
        Err(exit) => return Ok(exit),
    };
    if let Err(e) = args.fail_on.check_rule_flags(rules.finding_settings()) {
        eprintln!("logscrub: --fail-on: {e}");
        return Ok(Exit::Usage);
    }
    let assessor = match crate::assessor(&rules, common) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("logscrub: {e}");
            return Ok(Exit::Usage);
        }
    };

    let defaulted = args.paths.is_empty();
    let roots = if defaulted { vec![PathBuf::from(".")] } else { args.paths.clone() };
    let mut walk = WalkBuilder::new(&roots[0]);
    for r in &roots[1..] {
        walk.add(r);
    }
    let use_ignores = !args.no_ignore;
    walk.hidden(!args.hidden)
        .ignore(use_ignores)
        .git_ignore(use_ignores)
        .git_exclude(use_ignores)
        .git_global(use_ignores)
        .parents(use_ignores)
        .require_git(false)
        .follow_links(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(|e| e.file_name() != ".git");

    let mut out = BufWriter::new(crate::raw_stdout()?);
    let mut scanner = Scanner {
        scrubber: &scrubber,
        assessor: &assessor,
        framer: Framer::new(FrameConfig::default()),
        scratch: Scratch::default(),
    };
    let mut tally = Tally::default();
    for entry in walk.build() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                eprintln!("logscrub: {e}");
                tally.errors += 1;
                continue;
            }
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.path();
        let shown = if defaulted { path.strip_prefix("./").unwrap_or(path) } else { path };
        let name = shown.display().to_string();
        let reports = match scanner.file(path, &name) {
            Ok(Some(r)) => r,
            Ok(None) => {
                tally.binary += 1;
                continue;
            }
            Err(e) => {
                eprintln!("logscrub: {name}: {e}");
                tally.errors += 1;
                continue;
            }
        };
        tally.files += 1;
        for r in &reports {
            tally.findings += 1;
            tally.flags.add(r.flags);
            if args.fail_on.matches_report(r) {
                tally.matched += 1;
            }
            let line = if args.json { r.to_json() } else { r.to_text() };
            writeln!(out, "{line}").context("writing output")?;
        }
    }
    out.flush().context("writing output")?;

    if !args.json {
        eprintln!("logscrub: {}", summary(&tally, &args.fail_on.to_string()));
    }
    Ok(if tally.errors > 0 {
        Exit::Usage
    } else if tally.matched > 0 {
        Exit::Failure
    } else {
        Exit::Success
    })
}

/// `scanned 12 files (1 binary skipped): 3 findings (live 2, unsigned 1); 2 match --fail-on live,unsigned`
fn summary(t: &Tally, fail_on: &str) -> String {
    let mut s = format!("scanned {} file{}", t.files, if t.files == 1 { "" } else { "s" });
    if t.binary > 0 {
        s += &format!(" ({} binary skipped)", t.binary);
    }
    s += &format!(": {} finding{}", t.findings, if t.findings == 1 { "" } else { "s" });
    let flags: Vec<String> = logscrub::findings::Flag::ALL
        .into_iter()
        .filter(|f| t.flags.get(*f) > 0)
        .map(|f| format!("{f} {}", t.flags.get(f)))
        .collect();
    if !flags.is_empty() {
        s += &format!(" ({})", flags.join(", "));
    }
    s += &format!("; {} match --fail-on {fail_on}", t.matched);
    if t.errors > 0 {
        s += &format!("; {} error{}", t.errors, if t.errors == 1 { "" } else { "s" });
    }
    s
}
