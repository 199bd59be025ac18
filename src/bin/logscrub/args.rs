//! Command-line flags (clap derive): `-h` shows the one-line help, `--help` the long one.

use std::num::NonZeroUsize;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use logscrub::findings::Selector;
use logscrub::format::Format;

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

    /// Log format: auto, raw, json, docker, cri, logfmt (default auto).
    ///
    /// auto decides per line: `{"log":` starts a Docker json-file line, `<RFC 3339 time>
    /// <stdout|stderr> <P|F> ` a CRI line, `{` a JSON line when it parses; anything else is raw
    /// text. Docker and JSON lines stay valid JSON with only rewritten values changed; CRI
    /// partial (P) lines are joined per stream so a token split across them is found, and are
    /// written back as the same lines; json_fields rules apply to JSON objects. logfmt (only
    /// when asked for) treats an unquoted value as running to the next space. A line that does
    /// not parse as its format is scrubbed as raw text (counted as format_fallbacks).
    #[arg(long, value_name = "FORMAT", default_value = "auto", value_parser = parse_format)]
    pub(crate) format: Format,

    /// Print counters as one JSON object to standard error at exit.
    ///
    /// Keys: lines, lines_changed, bytes_in, bytes_out, findings (by kind: jws, jwe, unsecured,
    /// bearer, basic, secret_key, pattern), claims_redacted, long_line_cuts,
    /// oversized_runs_redacted, format_fallbacks, partial_groups_capped; with --findings also
    /// flags (by flag: live, unsigned, long_lived, foreign_environment, weak_alg).
    #[arg(long)]
    pub(crate) stats: bool,

    /// Write one JSON line per finding to FILE (`-`: standard error).
    ///
    /// Each line names the input, line and column, kind, rule and action; for tokens the
    /// header (alg, kid, typ, enc), kept iss/aud, exp/iat/nbf as RFC 3339 and risk flags
    /// (live, unsigned, long_lived, foreign_environment, weak_alg, set by the rules'
    /// [findings] section); and a keyed fingerprint. Never a signature, opaque value or
    /// redacted claim value. Findings are reported by the single-threaded path: with this
    /// flag --threads is ignored.
    #[arg(long, value_name = "FILE")]
    pub(crate) findings: Option<PathBuf>,

    /// Print one line per finding to standard error: `input:line:col kind rule action`.
    ///
    /// The rule is `jwt`, `bearer`, `basic`, the secret key's name or the pattern's name; a
    /// token's action is `rewrite`, followed by `claims[name=action …]` and, when
    /// [[jwt.conditions]] matched, `when[name,…]`. Never a secret or a claim value. Like
    /// --findings, it scrubs on one thread.
    #[arg(long)]
    pub(crate) explain: bool,

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

    /// The time findings are judged at (RFC 3339, or seconds since the epoch); default: the
    /// clock, or $LOGSCRUB_NOW. For tests.
    #[arg(long, value_name = "TIME", global = true, hide = true)]
    pub(crate) now: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Validate a rule file; with a sample, dry-run it; with a test file, check expectations.
    ///
    /// `check RULES`: exit 0 and print a summary, or exit 2 with FILE:LINE:COL errors.
    /// `check RULES SAMPLE`: scrub SAMPLE (`-`: standard input; output discarded) and count the
    /// findings; --explain prints `input:line:col kind rule action` per finding to standard
    /// output. `check RULES TEST.toml`: the same over the test file's `sample`, then check its
    /// [[expect]] list; exit 1 naming each expectation not met (TEST:LINE:COL).
    Check {
        /// The rule file to check.
        #[arg(value_name = "RULES")]
        rules_file: PathBuf,
        /// A sample log, or a test file (`.toml`) with `sample` and [[expect]].
        #[arg(value_name = "FILE")]
        sample: Option<PathBuf>,
        /// Print one line per finding in the sample.
        #[arg(long)]
        explain: bool,
        /// Log format of the sample (as the main command's --format).
        #[arg(long, value_name = "FORMAT", default_value = "auto", value_parser = parse_format)]
        format: Format,
    },
    /// Print the pseudonyms `hash` makes of VALUEs, under the active key and every retired key
    /// whose key is available: to find the log lines about a user across key rotations.
    ///
    /// Reads the keys the rule file names (`[hash]` and `[[hash.retired]]`). Values come from
    /// the arguments, or one per line from standard input. Prints one line per value: its
    /// pseudonyms, active key first, separated by spaces. Exit 2 when the active key is missing.
    Hash {
        /// Values to pseudonymise (default: lines of standard input).
        #[arg(value_name = "VALUE")]
        values: Vec<String>,
    },
    /// Report every token and secret in files and directories; exit 1 when one matches --fail-on.
    ///
    /// Walks PATHs (default: the current directory) as ripgrep does: .gitignore, .ignore and
    /// .git/info/exclude rules apply (also outside a git repository), hidden files and
    /// directories are skipped, symbolic links are not followed, and `.git` is never entered.
    /// A file with a NUL byte in its first 8 KiB is binary and skipped. Files are only read:
    /// nothing is rewritten. Prints `path:line:col: kind [flags] rule` per finding, or JSON
    /// lines with --json (the --findings format). Exit 0: nothing matched --fail-on; 1: a
    /// finding matched; 2: bad flags or rules, or a path could not be read.
    Scan(ScanArgs),
    /// Run as a sidecar: scrub lines from sockets, files or stdin to stdout, a file or a socket.
    ///
    /// Runs until SIGTERM or SIGINT, then stops accepting, drains every queue and exits within
    /// --shutdown-timeout. SIGHUP (or a change of the --rules file) reloads the rules; invalid
    /// rules keep the old ones. SIGUSR1 reopens file outputs. With only stdin as input, it stops
    /// at the end of stdin. Exit 0: drained; 1: stopped with lines not written; 2: bad flags,
    /// config, rules or address.
    #[cfg(feature = "sidecar")]
    Serve(logscrub::sidecar::ServeArgs),
}

/// `logscrub scan` flags.
#[derive(Debug, clap::Args)]
pub(crate) struct ScanArgs {
    /// Files and directories to scan (default: `.`).
    #[arg(value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,

    /// Print one JSON object per finding instead of text.
    #[arg(long)]
    pub(crate) json: bool,

    /// Exit 1 when a finding has one of these flags or kinds (comma-separated).
    ///
    /// Flags: live, unsigned, long_lived, foreign_environment, weak_alg. Kinds: jws, jwe,
    /// unsecured, bearer, basic, secret_key, pattern. Also `any` (every finding) and `none`
    /// (report only). Opaque secrets (bearer, basic, secret_key, pattern) carry no flags:
    /// list their kinds to gate on them.
    #[arg(long, value_name = "LIST", default_value = "live,unsigned", value_parser = parse_selector)]
    pub(crate) fail_on: Selector,

    /// Also scan hidden files and directories (`.env`, `.config/`); `.git` stays skipped.
    #[arg(long)]
    pub(crate) hidden: bool,

    /// Do not apply .gitignore, .ignore or .git/info/exclude rules.
    #[arg(long)]
    pub(crate) no_ignore: bool,
}

fn parse_selector(s: &str) -> Result<Selector, String> {
    s.parse()
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}
