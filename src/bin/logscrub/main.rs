//! The `logscrub` command: scrub JWTs, bearer tokens and secrets from log streams.

#![forbid(unsafe_code)]

mod args;
mod check;
mod exit;
mod scan;

use std::fs::File;
use std::io::{self, BufRead as _, BufWriter, Write};
use std::os::fd::AsFd;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;

use logscrub::findings::{self, Assessor, FlagCounts, Report};
use logscrub::format::{FormatScrubber, FormatState};
use logscrub::frame::{FrameConfig, Framer};
use logscrub::io::input::Input;
use logscrub::io::stream::FindingSink;
use logscrub::io::{parallel, stream};
use logscrub::{Finding, Rules, Scrubber, Stats};

use args::{Args, Command, Common};
use exit::Exit;

/// Output buffer: writes smaller than this are coalesced, larger ones go straight to the
/// file or pipe. A chunk is one read (64 KiB from a pipe), written whole or, when rewritten,
/// as one vectored write of its pieces; at 16 KiB both pass through without being copied
/// into the buffer (at 128 KiB every pipe-sized chunk was copied once more: 14% of the
/// instructions on clean input), while small chunks from a slow producer still coalesce.
const OUT_BUF: usize = 16 * 1024;

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            if !e.use_stderr() {
                let _ = e.print(); // --help, --version
                return Exit::Success.into();
            }
            let msg = e.render().to_string();
            let msg = msg.strip_prefix("error: ").unwrap_or(&msg);
            eprint!("logscrub: {msg}");
            return Exit::Usage.into();
        }
    };
    match run(args) {
        Ok(code) => code.into(),
        Err(err) => {
            if is_broken_pipe(&err) {
                return Exit::Success.into();
            }
            eprintln!("logscrub: {err:#}");
            Exit::Failure.into()
        }
    }
}

/// A closed stdout (`logscrub … | head`) is a normal way to stop, as in ripgrep.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| e.downcast_ref::<io::Error>().is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe))
}

/// Loads the rules named by `--rules` (or the embedded ones) and builds the scrubber; on failure
/// prints the located error and returns the exit code (2).
pub(crate) fn build_scrubber(common: &Common) -> Result<(Rules, Scrubber), Exit> {
    let rules = load_rules(common.rules.as_deref()).map_err(|e| {
        eprintln!("logscrub: {e}");
        Exit::Usage
    })?;
    let scrubber = Scrubber::new(&rules).map_err(|e| {
        eprintln!("logscrub: {e}");
        Exit::Usage
    })?;
    Ok((rules, scrubber))
}

pub(crate) fn load_rules(path: Option<&std::path::Path>) -> Result<Rules, logscrub::RuleError> {
    match path {
        Some(p) => Rules::from_path(p),
        None => Ok(Rules::embedded()),
    }
}

/// The time findings are judged at: `--now`, else `$LOGSCRUB_NOW`, else the clock. Each is
/// RFC 3339 or seconds since the epoch.
pub(crate) fn resolve_now(common: &Common) -> Result<i64, String> {
    let (text, from) = match (&common.now, std::env::var("LOGSCRUB_NOW")) {
        (Some(t), _) => (t.clone(), "--now"),
        (None, Ok(t)) if !t.trim().is_empty() => (t, "LOGSCRUB_NOW"),
        _ => {
            let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            return Ok(i64::try_from(since.as_secs()).unwrap_or(i64::MAX));
        }
    };
    let t = text.trim();
    t.parse::<i64>().ok().or_else(|| findings::parse_rfc3339(t)).ok_or_else(|| {
        format!("bad {from} value {text:?}: expected an RFC 3339 time such as 2024-05-01T12:00:00Z, or seconds since the epoch")
    })
}

/// The assessor for findings reports: `[findings]` settings, fingerprint key, time.
pub(crate) fn assessor(rules: &Rules, common: &Common) -> Result<Assessor, String> {
    let now = resolve_now(common)?;
    Assessor::from_rules(rules, now).map_err(|e| e.to_string())
}

/// `--findings` output: JSON lines, flushed once per scrubbed chunk (as the scrubbed stream
/// is, so `tail -f app.log | logscrub --findings f.jsonl` reports as it goes). A write error
/// cannot stop the stream loop from inside the sink: the first one is kept and reported after
/// the input.
struct FindingsOut {
    assessor: Assessor,
    /// `--findings`: JSON lines.
    out: Option<BufWriter<Box<dyn Write>>>,
    /// `--explain`: one text line per finding to standard error.
    explain: Option<BufWriter<io::Stderr>>,
    err: Option<io::Error>,
    counts: FlagCounts,
    /// The current input's name.
    source: String,
    reports: Vec<Report>,
}

impl FindingSink for FindingsOut {
    fn findings(&mut self, chunk: &[u8], first_line: u64, col_base: u64, found: &[Finding]) {
        self.reports.clear();
        self.assessor.reports(&self.source, chunk, first_line, found, &mut self.reports);
        for r in &mut self.reports {
            if r.line == first_line {
                r.col += col_base;
            }
            self.counts.add(r.flags);
        }
        if self.err.is_some() {
            return;
        }
        if let Some(out) = &mut self.out {
            let res = self.reports.iter().try_for_each(|r| writeln!(out, "{}", r.to_json())).and_then(|()| out.flush());
            if let Err(e) = res {
                self.err = Some(e);
            }
        }
        if let Some(out) = &mut self.explain {
            // Standard error going away is no reason to stop scrubbing.
            let _ =
                self.reports.iter().try_for_each(|r| writeln!(out, "{}", r.to_explain())).and_then(|()| out.flush());
        }
    }
}

impl FindingsOut {
    fn flush(&mut self) -> io::Result<()> {
        if let Some(e) = &mut self.explain {
            let _ = e.flush();
        }
        self.out.as_mut().map_or(Ok(()), Write::flush)
    }
}

/// Prints `--stats`: the counters, plus `flags` when findings were assessed.
fn print_stats(total: &Stats, flags: Option<&FlagCounts>) {
    match flags {
        None => eprintln!("{}", total.to_json()),
        Some(f) => {
            let mut v = serde_json::to_value(total).expect("stats serialize");
            if let serde_json::Value::Object(map) = &mut v {
                map.insert("flags".to_string(), serde_json::to_value(f).expect("flag counts serialize"));
            }
            eprintln!("{v}");
        }
    }
}

fn run(args: Args) -> anyhow::Result<Exit> {
    match &args.command {
        Some(Command::Check { rules_file, sample, explain, format }) => {
            return Ok(check::run(rules_file, sample.as_deref(), *explain, *format, &args.common));
        }
        Some(Command::Scan(scan_args)) => return scan::run(scan_args, &args.common),
        Some(Command::Hash { values }) => return hash(values, &args.common),
        #[cfg(feature = "sidecar")]
        Some(Command::Serve(serve_args)) => return Ok(serve(serve_args, &args.common)),
        None => {}
    }
    let (rules, scrubber) = match build_scrubber(&args.common) {
        Ok(built) => built,
        Err(exit) => return Ok(exit),
    };
    let mut findings = if args.findings.is_none() && !args.explain {
        None
    } else {
        let assessor = match assessor(&rules, &args.common) {
            Ok(a) => a,
            Err(e) => {
                eprintln!("logscrub: {e}");
                return Ok(Exit::Usage);
            }
        };
        let out = match &args.findings {
            None => None,
            Some(path) if path.as_os_str() == "-" => Some(BufWriter::new(Box::new(io::stderr()) as Box<dyn Write>)),
            Some(path) => Some(BufWriter::new(Box::new(
                File::create(path).with_context(|| format!("creating {}", path.display()))?,
            ) as Box<dyn Write>)),
        };
        Some(FindingsOut {
            assessor,
            out,
            explain: args.explain.then(|| BufWriter::new(io::stderr())),
            err: None,
            counts: FlagCounts::default(),
            source: String::new(),
            reports: Vec::new(),
        })
    };
    let threads =
        args.threads.map(|n| n.get()).unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let frame = FrameConfig { max_window: args.max_line.get(), ..FrameConfig::default() };
    // CRI partial lines are held up to the framer's effective window (it raises tiny values).
    let cap = frame.window();
    let fmt = FormatScrubber::new(&scrubber, args.format, cap);

    let sink: Box<dyn Write + Send> = match &args.output {
        Some(p) => Box::new(File::create(p).with_context(|| format!("creating {}", p.display()))?),
        None => Box::new(raw_stdout()?),
    };
    let mut out = BufWriter::with_capacity(OUT_BUF, sink);

    let mut total = Stats::default();
    let mut status = Exit::Success;
    let mut framer = Framer::new(frame);
    let mut state = FormatState::default();
    for input in Input::from_args(&args.files) {
        let mut rdr = match input.open() {
            Ok(r) => r,
            Err(e) => {
                eprintln!("logscrub: {}: {e}", input.name());
                status = Exit::Usage;
                continue;
            }
        };
        let res = match &mut findings {
            // Findings need the single-threaded loop: only it has a finding sink.
            Some(f) => {
                f.source = input.name();
                stream::scrub_stream_format(&fmt, &mut framer, &mut state, &mut *rdr, &mut out, Some(f))
            }
            None if threads > 1 => parallel::scrub_parallel_format(&fmt, threads, frame, &mut *rdr, &mut out),
            None => stream::scrub_stream_format(&fmt, &mut framer, &mut state, &mut *rdr, &mut out, None),
        };
        let flags = findings.as_ref().map(|f| &f.counts);
        match res {
            Ok(s) => total.merge(&s),
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                if let Some(f) = &mut findings {
                    let _ = f.flush();
                }
                return Ok(Exit::Success);
            }
            Err(e) => {
                if args.stats {
                    print_stats(&total, flags);
                }
                return Err(anyhow::Error::new(e).context(format!("scrubbing {}", input.name())));
            }
        }
        if let Some(f) = &mut findings {
            if let Some(e) = f.err.take() {
                return Err(anyhow::Error::new(e).context("writing findings"));
            }
        }
    }
    out.flush().context("writing output")?;
    if let Some(f) = &mut findings {
        f.flush().context("writing findings")?;
    }
    if args.stats {
        print_stats(&total, findings.as_ref().map(|f| &f.counts));
    }
    Ok(status)
}

/// Standard output without std's line buffering: one `write` per buffer, not per line.
pub(crate) fn raw_stdout() -> anyhow::Result<File> {
    let fd = io::stdout().as_fd().try_clone_to_owned().context("duplicating stdout")?;
    Ok(File::from(fd))
}

/// `logscrub hash`: pseudonyms of values under the active and retired keys.
fn hash(values: &[String], common: &Common) -> anyhow::Result<Exit> {
    let rules = match load_rules(common.rules.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("logscrub: {e}");
            return Ok(Exit::Usage);
        }
    };
    let h = rules.hash_settings();
    let read = |id: &str, k: io::Result<Option<Vec<u8>>>| {
        k.with_context(|| format!("{}: reading the key of key id {id:?}", rules.source_name()))
    };
    let Some(active) = read(&h.key_id, h.load_key())? else {
        eprintln!(
            "logscrub: {}: no key for the active key id {:?}: set the variable named by `hash.key_env` or `hash.key_file`",
            rules.source_name(),
            h.key_id
        );
        return Ok(Exit::Usage);
    };
    let mut keys = vec![(h.key_id.as_str(), active)];
    for r in &h.retired {
        match read(&r.key_id, r.load_key())? {
            Some(k) => keys.push((r.key_id.as_str(), k)),
            None => eprintln!("logscrub: retired key id {:?} has no key available: skipped", r.key_id),
        }
    }
    let mut out = io::stdout().lock();
    let mut one = |v: &[u8]| -> io::Result<()> {
        let ps: Vec<String> = keys.iter().map(|(id, k)| logscrub::pseudonym(k, id, h.hex_len, v)).collect();
        writeln!(out, "{}", ps.join(" "))
    };
    if values.is_empty() {
        for line in io::stdin().lock().split(b'\n') {
            let line = line.context("reading standard input")?;
            one(line.strip_suffix(b"\r").unwrap_or(&line))?;
        }
    } else {
        for v in values {
            one(v.as_bytes())?;
        }
    }
    Ok(Exit::Success)
}

/// `logscrub serve`: the sidecar (src/sidecar/).
#[cfg(feature = "sidecar")]
fn serve(serve_args: &logscrub::sidecar::ServeArgs, common: &Common) -> Exit {
    let config = match serve_args.to_config() {
        Ok(c) => c,
        Err(e) => {
            for line in e.to_string().lines() {
                eprintln!("logscrub: {line}");
            }
            return Exit::Usage;
        }
    };
    match logscrub::sidecar::run(config, common.rules.clone()) {
        Ok(()) => Exit::Success,
        Err(e) => {
            for line in e.to_string().lines() {
                eprintln!("logscrub: {line}");
            }
            if e.is_usage() { Exit::Usage } else { Exit::Failure }
        }
    }
}
