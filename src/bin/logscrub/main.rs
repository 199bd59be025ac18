//! The `logscrub` command: scrub JWTs, bearer tokens and secrets from log streams.

#![forbid(unsafe_code)]

mod args;
mod exit;

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::fd::AsFd;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;

use logscrub::frame::{FrameConfig, Framer};
use logscrub::io::input::Input;
use logscrub::io::{parallel, stream};
use logscrub::{Rules, Scratch, Scrubber, Stats};

use args::{Args, Command};
use exit::Exit;

/// Output buffer: pieces smaller than this are coalesced, larger ones written straight through.
const OUT_BUF: usize = 128 * 1024;

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() { Exit::Usage } else { Exit::Success };
            let _ = e.print();
            return code.into();
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

fn load_rules(path: Option<&std::path::Path>) -> Result<Rules, logscrub::RuleError> {
    match path {
        Some(p) => Rules::from_path(p),
        None => Ok(Rules::embedded()),
    }
}

fn run(args: Args) -> anyhow::Result<Exit> {
    if let Some(Command::Check { rules_file }) = &args.command {
        return Ok(check(rules_file));
    }
    let rules = match load_rules(args.common.rules.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("logscrub: {e}");
            return Ok(Exit::Usage);
        }
    };
    let scrubber = match Scrubber::new(&rules) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("logscrub: {e}");
            return Ok(Exit::Usage);
        }
    };
    let threads =
        args.threads.map(|n| n.get()).unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let frame = FrameConfig { max_window: args.max_line.get(), ..FrameConfig::default() };

    let sink: Box<dyn Write + Send> = match &args.output {
        Some(p) => Box::new(File::create(p).with_context(|| format!("creating {}", p.display()))?),
        None => Box::new(raw_stdout()?),
    };
    let mut out = BufWriter::with_capacity(OUT_BUF, sink);

    let mut total = Stats::default();
    let mut status = Exit::Success;
    let mut framer = Framer::new(frame);
    let mut scratch = Scratch::default();
    for input in Input::from_args(&args.files) {
        let mut rdr = match input.open() {
            Ok(r) => r,
            Err(e) => {
                eprintln!("logscrub: {}: {e}", input.name());
                status = Exit::Usage;
                continue;
            }
        };
        let res = if threads > 1 {
            parallel::scrub_parallel(&scrubber, threads, frame, &mut *rdr, &mut out)
        } else {
            stream::scrub_stream(&scrubber, &mut framer, &mut scratch, &mut *rdr, &mut out, None)
        };
        match res {
            Ok(s) => total.merge(&s),
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(Exit::Success),
            Err(e) => {
                if args.stats {
                    eprintln!("{}", total.to_json());
                }
                return Err(anyhow::Error::new(e).context(format!("scrubbing {}", input.name())));
            }
        }
    }
    out.flush().context("writing output")?;
    if args.stats {
        eprintln!("{}", total.to_json());
    }
    Ok(status)
}

/// Standard output without std's line buffering: one `write` per buffer, not per line.
fn raw_stdout() -> anyhow::Result<File> {
    let fd = io::stdout().as_fd().try_clone_to_owned().context("duplicating stdout")?;
    Ok(File::from(fd))
}

fn check(path: &std::path::Path) -> Exit {
    match Rules::from_path(path) {
        Ok(rules) => {
            if let Err(e) = Scrubber::new(&rules) {
                // Valid rules, but they cannot run here (no hash key): say so, still exit 2.
                eprintln!("logscrub: {e}");
                return Exit::Usage;
            }
            print!("{}: ok\n{}", path.display(), rules.summary());
            Exit::Success
        }
        Err(e) => {
            eprintln!("{e}");
            Exit::Usage
        }
    }
}
