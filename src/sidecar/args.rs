//! `logscrub serve` flags (clap derive, feature `cli`).

use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Duration;

use super::config::{
    ConfigError, DropPolicy, InputConfig, InputSpec, OutputConfig, OutputSpec, SidecarConfig, parse_mode,
};

/// Flags of `logscrub serve`. Flags override the `--config` file; `--input` and `--output`
/// add to its inputs and outputs (named by their spec).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// Where lines come from (repeatable; default: stdin).
    ///
    /// `unix:PATH` (a Unix stream socket; many concurrent writers), `tcp:[HOST:]PORT` (a TCP
    /// listener; HOST defaults to 127.0.0.1), `file:PATH` (followed like `tail -F` across
    /// rotation and truncation; a glob such as `file:/var/log/containers/*.log` finds new
    /// files as they appear), or `stdin`.
    #[arg(long = "input", value_name = "SPEC", value_parser = parse_input)]
    pub input: Vec<InputSpec>,

    /// Where scrubbed lines go (repeatable: every line goes to each; default: stdout).
    ///
    /// `stdout`, `file:PATH` (appended to; reopened on SIGUSR1), `tcp:HOST:PORT` or
    /// `unix:PATH` (a forwarder that reconnects with backoff and keeps unsent lines).
    #[arg(long = "output", value_name = "SPEC", value_parser = parse_output)]
    pub output: Vec<OutputSpec>,

    /// Serve /metrics, /healthz and /readyz on ADDR (e.g. 127.0.0.1:9464); off when absent.
    #[arg(long, value_name = "ADDR")]
    pub metrics_addr: Option<SocketAddr>,

    /// Named inputs and outputs and every setting below, in a TOML file.
    ///
    /// Errors are reported as FILE:LINE:COL: message, every one at once.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// File mode of Unix socket inputs, in octal (default 0600).
    #[arg(long, value_name = "OCTAL", value_parser = parse_mode)]
    pub socket_mode: Option<u32>,

    /// Open connections per socket input (default 1024); more wait in the listen backlog.
    #[arg(long, value_name = "N")]
    pub max_connections: Option<NonZeroUsize>,

    /// Close a connection that sends nothing for SECS seconds (default: never).
    #[arg(long, value_name = "SECS")]
    pub idle_timeout: Option<u64>,

    /// When an output's queue is full: `block` slows the inputs and loses nothing (default);
    /// `drop` drops lines and counts them in logscrub_dropped_lines_total.
    #[arg(long, value_name = "POLICY", value_enum)]
    pub drop_policy: Option<DropPolicy>,

    /// Lines each output queue holds (default 65536).
    #[arg(long, value_name = "N")]
    pub queue_lines: Option<NonZeroUsize>,

    /// Seconds a graceful shutdown (SIGTERM, SIGINT) may take to drain (default 10).
    #[arg(long, value_name = "SECS")]
    pub shutdown_timeout: Option<u64>,

    /// Keep followed files' read offsets in DIR, so a restart neither loses nor repeats lines.
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,

    /// Serve POST /-/reload (reload the rules) on the metrics address.
    #[arg(long)]
    pub reload_http: bool,
}

fn parse_input(s: &str) -> Result<InputSpec, String> {
    s.parse()
}

fn parse_output(s: &str) -> Result<OutputSpec, String> {
    s.parse()
}

impl ServeArgs {
    /// The configuration these flags (and their `--config` file) describe, validated.
    pub fn to_config(&self) -> Result<SidecarConfig, ConfigError> {
        let mut cfg = match &self.config {
            Some(p) => SidecarConfig::from_path(p)?,
            None => SidecarConfig::default(),
        };
        cfg.inputs.extend(self.input.iter().cloned().map(InputConfig::new));
        cfg.outputs.extend(self.output.iter().cloned().map(OutputConfig::new));
        if let Some(a) = self.metrics_addr {
            cfg.metrics_addr = Some(a);
        }
        if let Some(m) = self.socket_mode {
            cfg.socket_mode = m;
        }
        if let Some(n) = self.max_connections {
            cfg.max_connections = n.get();
        }
        if let Some(s) = self.idle_timeout {
            cfg.idle_timeout = (s > 0).then(|| Duration::from_secs(s));
        }
        if let Some(p) = self.drop_policy {
            cfg.drop_policy = p;
        }
        if let Some(n) = self.queue_lines {
            cfg.queue_lines = n.get();
        }
        if let Some(s) = self.shutdown_timeout {
            cfg.shutdown_timeout = Duration::from_secs(s);
        }
        if let Some(d) = &self.state_dir {
            cfg.state_dir = Some(d.clone());
        }
        cfg.reload_http |= self.reload_http;
        cfg.validate()?;
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    #[test]
    fn flags_build_a_config() {
        let cli = Cli::parse_from([
            "x",
            "--input",
            "unix:/tmp/a.sock",
            "--input",
            "tcp:5140",
            "--output",
            "tcp:collector:24224",
            "--socket-mode",
            "0660",
            "--drop-policy",
            "drop",
            "--idle-timeout",
            "30",
        ]);
        let cfg = cli.serve.to_config().unwrap();
        assert_eq!(cfg.inputs.len(), 2);
        assert_eq!(cfg.inputs[1].name, "tcp:127.0.0.1:5140");
        assert_eq!(cfg.socket_mode, 0o660);
        assert_eq!(cfg.drop_policy, DropPolicy::Drop);
        assert_eq!(cfg.idle_timeout, Some(Duration::from_secs(30)));
        assert_eq!(cfg.outputs[0].spec.to_string(), "tcp:collector:24224");
    }

    #[test]
    fn bad_specs_fail_at_parse_time() {
        assert!(Cli::try_parse_from(["x", "--input", "udp:1"]).is_err());
        assert!(Cli::try_parse_from(["x", "--socket-mode", "999"]).is_err());
        assert!(Cli::try_parse_from(["x", "--input", "stdin", "--input", "-"]).unwrap().serve.to_config().is_err());
    }
}
