//! Command-line flags (clap derive): `-h` shows the one-line help, `--help` the long one.

use std::num::NonZeroUsize;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Scrub JWTs, bearer tokens and secrets from logs.
///
/// Reads FILEs in order (`-` or none: standard input), writes the scrubbed stream to standard
/// output. Lines with no finding come out byte-identical.
#[derive(Debug, Parser)]
#[command(name = "logscrub", version, args_conflicts_with_subcommands = true, max_term_width = 100)]
pub(crate) struct Args {
    #[command(subcommand)]
    pub(crate) command: Option<Command>,

    /// Input files (`-` is standard input).
    ///
    /// Each file is framed on its own: a final line without a newline is written as it is,
    /// not joined to the next file's first line.
    #[arg(value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,

    #[command(flatten)]
    pub(crate) common: Common,

    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,

    /// Print counters as one JSON object to standard error at exit.
    ///
    /// Keys: lines, lines_changed, bytes_in, bytes_out, findings (by kind: jws, jwe, unsecured,
    /// bearer, basic, secret_key, pattern), claims_redacted, long_line_cuts,
    /// oversized_runs_redacted.
    #[arg(long)]
    pub(crate) stats: bool,

    /// Scrub on N threads (default: the machine's cores); output stays in input order.
    #[arg(short = 'j', long, value_name = "N")]
    pub(crate) threads: Option<NonZeroUsize>,

    /// Largest line held whole in memory, in bytes (default 8 MiB).
    ///
    /// Longer lines are cut into windows outside token runs; a token longer than the window
    /// is redacted whole (fail closed).
    #[arg(long, value_name = "BYTES", default_value_t = NonZeroUsize::new(8 << 20).unwrap())]
    pub(crate) max_line: NonZeroUsize,
}

/// Flags shared by subcommands.
#[derive(Debug, clap::Args)]
pub(crate) struct Common {
    /// Rule file (TOML); default: the embedded rules/default.toml.
    #[arg(long, value_name = "FILE", global = true)]
    pub(crate) rules: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Validate a rule file: exit 0 and print a summary, or exit 2 with FILE:LINE:COL errors.
    Check {
        /// The rule file to check.
        #[arg(value_name = "RULES")]
        rules_file: PathBuf,
    },
}
