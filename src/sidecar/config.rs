//! Sidecar configuration: input and output specs, limits, and the `--config` TOML file.
//!
//! The same things can be said with flags (`--input unix:/run/app.sock --output stdout`) or in
//! a file that names them:
//!
//! ```toml
//! metrics_addr = "0.0.0.0:9464"
//! state_dir = "/var/lib/logscrub"
//! drop_policy = "block"          # or "drop"
//!
//! [inputs.app]
//! spec = "unix:/run/logscrub/app.sock"
//! socket_mode = "0660"
//!
//! [inputs.containers]
//! spec = "file:/var/log/containers/*.log"
//!
//! [outputs.collector]
//! spec = "tcp:fluent-bit.logging:5170"
//! ```
//!
//! The file is parsed with `deny_unknown_fields`, every problem is reported at once, and each
//! message is `FILE:LINE:COL: message`, as for rule files ([`crate::RuleError`]).

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

/// Default file mode of a Unix socket input.
pub const DEFAULT_SOCKET_MODE: u32 = 0o600;
/// Default number of lines each output queue holds before inputs wait (or drop).
pub const DEFAULT_QUEUE_LINES: usize = 65_536;
/// Default number of bytes each output queue holds before inputs wait (or drop).
pub const DEFAULT_QUEUE_BYTES: usize = 16 << 20;
/// Default connections per socket input.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// Default time a shutdown may take.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);
/// Default longest line held whole (the core's `--max-line`).
pub const DEFAULT_MAX_LINE: usize = 8 << 20;
/// Smallest accepted `max_line`: the long-line cut rules need room (see [`crate::frame`]).
pub const MIN_MAX_LINE: usize = crate::frame::FrameConfig::MIN_WINDOW;

/// What inputs do when an output's queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum DropPolicy {
    /// Wait: a slow or down output slows the inputs down and nothing is lost (default).
    #[default]
    Block,
    /// Drop the lines that do not fit and count them in `logscrub_dropped_lines_total`.
    Drop,
}

/// Format of the sidecar's own diagnostics on standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One human-readable line per event (default).
    #[default]
    Text,
    /// One JSON object per event.
    Json,
}

/// A TCP address as written: host (name or IP) and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPort {
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    /// Port.
    pub port: u16,
}

impl HostPort {
    fn parse(s: &str, default_host: Option<&str>) -> Result<HostPort, String> {
        let (host, port) = match s.rsplit_once(':') {
            Some((h, p)) => (h, p),
            None => ("", s),
        };
        let port: u16 = port.parse().map_err(|_| format!("bad port `{port}`: expected a number from 0 to 65535"))?;
        let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
        let host = match (host, default_host) {
            ("", Some(d)) => d,
            ("", None) => return Err("missing host: expected HOST:PORT".to_string()),
            (h, _) => h,
        };
        Ok(HostPort { host: host.to_string(), port })
    }
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Where lines come from: `stdin`, `unix:PATH`, `tcp:[HOST:]PORT` or `file:PATH` (a glob is
/// allowed: `file:/var/log/containers/*.log`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputSpec {
    /// Standard input (`stdin` or `-`).
    Stdin,
    /// A Unix stream socket the sidecar listens on.
    Unix(PathBuf),
    /// A TCP listener; the host defaults to 127.0.0.1.
    Tcp(HostPort),
    /// A file (or every file a glob matches) followed like `tail -F`.
    File(PathBuf),
}

impl FromStr for InputSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<InputSpec, String> {
        match s.split_once(':') {
            _ if s == "stdin" || s == "-" => Ok(InputSpec::Stdin),
            Some(("unix", p)) if !p.is_empty() => Ok(InputSpec::Unix(PathBuf::from(p))),
            Some(("file", p)) if !p.is_empty() => Ok(InputSpec::File(PathBuf::from(p))),
            Some(("tcp", a)) => {
                HostPort::parse(a, Some("127.0.0.1")).map(InputSpec::Tcp).map_err(|e| format!("input `{s}`: {e}"))
            }
            _ => Err(format!("unknown input `{s}`: expected stdin, unix:PATH, tcp:[HOST:]PORT or file:PATH")),
        }
    }
}

impl fmt::Display for InputSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputSpec::Stdin => f.write_str("stdin"),
            InputSpec::Unix(p) => write!(f, "unix:{}", p.display()),
            InputSpec::Tcp(a) => write!(f, "tcp:{a}"),
            InputSpec::File(p) => write!(f, "file:{}", p.display()),
        }
    }
}

/// Where scrubbed lines go: `stdout`, `file:PATH`, `tcp:HOST:PORT` or `unix:PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputSpec {
    /// Standard output (`stdout` or `-`).
    Stdout,
    /// A file, appended to, reopened on SIGUSR1 (logrotate).
    File(PathBuf),
    /// A TCP forwarder to the next hop, reconnecting with backoff.
    Tcp(HostPort),
    /// A Unix socket forwarder to the next hop, reconnecting with backoff.
    Unix(PathBuf),
}

impl FromStr for OutputSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<OutputSpec, String> {
        match s.split_once(':') {
            _ if s == "stdout" || s == "-" => Ok(OutputSpec::Stdout),
            Some(("file", p)) if !p.is_empty() => Ok(OutputSpec::File(PathBuf::from(p))),
            Some(("unix", p)) if !p.is_empty() => Ok(OutputSpec::Unix(PathBuf::from(p))),
            Some(("tcp", a)) => HostPort::parse(a, None).map(OutputSpec::Tcp).map_err(|e| format!("output `{s}`: {e}")),
            _ => Err(format!("unknown output `{s}`: expected stdout, file:PATH, tcp:HOST:PORT or unix:PATH")),
        }
    }
}

impl fmt::Display for OutputSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutputSpec::Stdout => f.write_str("stdout"),
            OutputSpec::File(p) => write!(f, "file:{}", p.display()),
            OutputSpec::Tcp(a) => write!(f, "tcp:{a}"),
            OutputSpec::Unix(p) => write!(f, "unix:{}", p.display()),
        }
    }
}

/// Parses a file mode written in octal (`0600`, `600`, `0o600`).
pub fn parse_mode(s: &str) -> Result<u32, String> {
    let t = s.trim();
    let digits = t.strip_prefix("0o").unwrap_or(t);
    match u32::from_str_radix(digits, 8) {
        Ok(m) if !digits.is_empty() && m <= 0o7777 => Ok(m),
        _ => Err(format!("bad file mode `{s}`: expected octal such as 0600 or 0660")),
    }
}

/// One named input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputConfig {
    /// Name used in metrics labels and messages (the spec itself for `--input` flags).
    pub name: String,
    /// Where the lines come from.
    pub spec: InputSpec,
    /// Unix socket file mode (default: [`SidecarConfig::socket_mode`]).
    pub socket_mode: Option<u32>,
    /// Connection limit (default: [`SidecarConfig::max_connections`]).
    pub max_connections: Option<usize>,
    /// Idle timeout per connection (default: [`SidecarConfig::idle_timeout`]).
    pub idle_timeout: Option<Duration>,
    /// Names of the outputs these lines go to; empty: every output.
    pub outputs: Vec<String>,
}

impl InputConfig {
    /// An input named after its spec, with the global defaults.
    pub fn new(spec: InputSpec) -> InputConfig {
        InputConfig {
            name: spec.to_string(),
            spec,
            socket_mode: None,
            max_connections: None,
            idle_timeout: None,
            outputs: Vec::new(),
        }
    }

    /// The same input under another name.
    pub fn named(mut self, name: &str) -> InputConfig {
        self.name = name.to_string();
        self
    }
}

/// One named output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputConfig {
    /// Name used in metrics labels and messages (the spec itself for `--output` flags).
    pub name: String,
    /// Where the lines go.
    pub spec: OutputSpec,
}

impl OutputConfig {
    /// An output named after its spec.
    pub fn new(spec: OutputSpec) -> OutputConfig {
        OutputConfig { name: spec.to_string(), spec }
    }

    /// The same output under another name.
    pub fn named(mut self, name: &str) -> OutputConfig {
        self.name = name.to_string();
        self
    }
}

/// Everything `logscrub serve` needs, validated. Build it from flags
/// (`ServeArgs::to_config`, feature `cli`), from a file
/// ([`SidecarConfig::from_path`]) or in code (`SidecarConfig { inputs, ..Default::default() }`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SidecarConfig {
    /// Inputs; empty means standard input.
    pub inputs: Vec<InputConfig>,
    /// Outputs; empty means standard output. Every line goes to every output its input names.
    pub outputs: Vec<OutputConfig>,
    /// Address of `/metrics`, `/healthz`, `/readyz` (and `/-/reload`); `None`: no HTTP server.
    pub metrics_addr: Option<SocketAddr>,
    /// File mode of Unix socket inputs (default 0600).
    pub socket_mode: u32,
    /// Connections per socket input; further clients wait in the listen backlog.
    pub max_connections: usize,
    /// A connection that sends nothing for this long is closed; `None`: never.
    pub idle_timeout: Option<Duration>,
    /// What a full output queue does to inputs.
    pub drop_policy: DropPolicy,
    /// Lines each output queue holds.
    pub queue_lines: usize,
    /// Bytes each output queue holds.
    pub queue_bytes: usize,
    /// Deadline for a graceful shutdown.
    pub shutdown_timeout: Duration,
    /// Where followed files' read offsets are kept; `None`: not kept (a restart reads files
    /// from the start).
    pub state_dir: Option<PathBuf>,
    /// Serve `POST /-/reload` on the metrics address.
    pub reload_http: bool,
    /// Longest line held whole; longer lines are cut into windows (at least [`MIN_MAX_LINE`]).
    pub max_line: usize,
    /// How often a followed file at its end is checked for new data, rotation and truncation.
    pub file_poll_interval: Duration,
    /// How often file globs are matched again to find new files.
    pub glob_interval: Duration,
    /// How often the rules file is checked for a change.
    pub rules_poll_interval: Duration,
    /// Format of the sidecar's own diagnostics.
    pub log_format: LogFormat,
}

impl Default for SidecarConfig {
    fn default() -> Self {
        SidecarConfig {
            inputs: Vec::new(),
            outputs: Vec::new(),
            metrics_addr: None,
            socket_mode: DEFAULT_SOCKET_MODE,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            idle_timeout: None,
            drop_policy: DropPolicy::Block,
            queue_lines: DEFAULT_QUEUE_LINES,
            queue_bytes: DEFAULT_QUEUE_BYTES,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            state_dir: None,
            reload_http: false,
            max_line: DEFAULT_MAX_LINE,
            file_poll_interval: Duration::from_millis(250),
            glob_interval: Duration::from_secs(5),
            rules_poll_interval: Duration::from_secs(1),
            log_format: LogFormat::Text,
        }
    }
}

/// A configuration that cannot be used, with every problem found. `Display` prints one
/// `FILE:LINE:COL: message` line per problem (`FILE: message` when there is no position).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    source_name: String,
    problems: Vec<(usize, usize, String)>,
}

impl ConfigError {
    /// A problem with no position (a flag, or an unreadable file).
    pub fn new(source_name: &str, message: String) -> ConfigError {
        ConfigError { source_name: source_name.to_string(), problems: vec![(0, 0, message)] }
    }

    /// `(line, col, message)` for every problem; line and col are 1-based, 0 when unknown.
    pub fn problems(&self) -> &[(usize, usize, String)] {
        &self.problems
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (line, col, msg)) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            if *line > 0 {
                write!(f, "{}:{line}:{col}: {msg}", self.source_name)?;
            } else {
                write!(f, "{}: {msg}", self.source_name)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// 1-based (line, column in characters) of a byte offset.
fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = src.get(..offset).unwrap_or(src);
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before.get(start..).map_or(1, |s| s.chars().count() + 1))
}

/// A file mode: `"0600"` or the TOML integer `0o600`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawMode {
    Int(i64),
    Str(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    metrics_addr: Option<Spanned<String>>,
    socket_mode: Option<Spanned<RawMode>>,
    max_connections: Option<Spanned<i64>>,
    idle_timeout: Option<Spanned<i64>>,
    drop_policy: Option<DropPolicy>,
    queue_lines: Option<Spanned<i64>>,
    queue_bytes: Option<Spanned<i64>>,
    shutdown_timeout: Option<Spanned<i64>>,
    state_dir: Option<PathBuf>,
    reload_http: Option<bool>,
    max_line: Option<Spanned<i64>>,
    file_poll_ms: Option<Spanned<i64>>,
    glob_interval_ms: Option<Spanned<i64>>,
    rules_poll_ms: Option<Spanned<i64>>,
    log_format: Option<LogFormat>,
    #[serde(default)]
    inputs: BTreeMap<String, RawInput>,
    #[serde(default)]
    outputs: BTreeMap<String, RawOutput>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInput {
    spec: Spanned<String>,
    socket_mode: Option<Spanned<RawMode>>,
    max_connections: Option<Spanned<i64>>,
    idle_timeout: Option<Spanned<i64>>,
    #[serde(default)]
    outputs: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutput {
    spec: Spanned<String>,
}

/// Collects located problems while a raw file is turned into a [`SidecarConfig`].
struct Checker<'a> {
    src: &'a str,
    problems: Vec<(usize, usize, String)>,
}

impl Checker<'_> {
    fn at<T>(&mut self, v: &Spanned<T>, msg: String) {
        let (l, c) = line_col(self.src, v.span().start);
        self.problems.push((l, c, msg));
    }

    fn mode(&mut self, key: &str, v: &Spanned<RawMode>) -> Option<u32> {
        let r = match v.get_ref() {
            RawMode::Int(i) if (0..=0o7777).contains(i) => Ok(*i as u32),
            RawMode::Int(i) => Err(format!("bad file mode {i:#o}: expected 0 to 0o7777")),
            RawMode::Str(s) => parse_mode(s),
        };
        r.map_err(|e| self.at(v, format!("`{key}`: {e}"))).ok()
    }

    fn positive(&mut self, key: &str, v: &Spanned<i64>) -> Option<usize> {
        match usize::try_from(*v.get_ref()) {
            Ok(n) if n > 0 => Some(n),
            _ => {
                self.at(v, format!("`{key}` must be a positive integer, not {}", v.get_ref()));
                None
            }
        }
    }

    fn secs(&mut self, key: &str, v: &Spanned<i64>) -> Option<Duration> {
        match u64::try_from(*v.get_ref()) {
            Ok(n) => Some(Duration::from_secs(n)),
            Err(_) => {
                self.at(v, format!("`{key}` must be a number of seconds (0 or more), not {}", v.get_ref()));
                None
            }
        }
    }

    fn millis(&mut self, key: &str, v: &Spanned<i64>) -> Option<Duration> {
        self.positive(key, v).map(|n| Duration::from_millis(n as u64))
    }
}

impl SidecarConfig {
    /// Reads and validates a `--config` file.
    pub fn from_path(path: &Path) -> Result<SidecarConfig, ConfigError> {
        let name = path.display().to_string();
        let src = std::fs::read_to_string(path).map_err(|e| ConfigError::new(&name, format!("cannot read: {e}")))?;
        SidecarConfig::from_toml(&name, &src)
    }

    /// Parses and validates configuration text; `source_name` is used in messages.
    pub fn from_toml(source_name: &str, src: &str) -> Result<SidecarConfig, ConfigError> {
        let raw: RawConfig = toml::from_str(src).map_err(|e| {
            let (line, col) = e.span().map_or((0, 0), |s| line_col(src, s.start));
            let msg = e.message().trim_end().to_string();
            ConfigError { source_name: source_name.to_string(), problems: vec![(line, col, msg)] }
        })?;
        let mut ck = Checker { src, problems: Vec::new() };
        let mut cfg = SidecarConfig::default();
        if let Some(a) = &raw.metrics_addr {
            match a.get_ref().parse::<SocketAddr>() {
                Ok(addr) => cfg.metrics_addr = Some(addr),
                Err(_) => {
                    ck.at(a, format!("bad `metrics_addr` `{}`: expected IP:PORT such as 127.0.0.1:9464", a.get_ref()))
                }
            }
        }
        if let Some(m) = raw.socket_mode.as_ref().and_then(|m| ck.mode("socket_mode", m)) {
            cfg.socket_mode = m;
        }
        if let Some(n) = raw.max_connections.as_ref().and_then(|v| ck.positive("max_connections", v)) {
            cfg.max_connections = n;
        }
        if let Some(d) = raw.idle_timeout.as_ref().and_then(|v| ck.secs("idle_timeout", v)) {
            cfg.idle_timeout = (!d.is_zero()).then_some(d);
        }
        cfg.drop_policy = raw.drop_policy.unwrap_or_default();
        if let Some(n) = raw.queue_lines.as_ref().and_then(|v| ck.positive("queue_lines", v)) {
            cfg.queue_lines = n;
        }
        if let Some(n) = raw.queue_bytes.as_ref().and_then(|v| ck.positive("queue_bytes", v)) {
            cfg.queue_bytes = n;
        }
        if let Some(d) = raw.shutdown_timeout.as_ref().and_then(|v| ck.secs("shutdown_timeout", v)) {
            cfg.shutdown_timeout = d;
        }
        cfg.state_dir = raw.state_dir;
        cfg.reload_http = raw.reload_http.unwrap_or(false);
        if let Some(v) = &raw.max_line {
            match ck.positive("max_line", v) {
                Some(n) if n < MIN_MAX_LINE => {
                    ck.at(v, format!("`max_line` must be at least {MIN_MAX_LINE} bytes, not {n}"))
                }
                Some(n) => cfg.max_line = n,
                None => {}
            }
        }
        if let Some(d) = raw.file_poll_ms.as_ref().and_then(|v| ck.millis("file_poll_ms", v)) {
            cfg.file_poll_interval = d;
        }
        if let Some(d) = raw.glob_interval_ms.as_ref().and_then(|v| ck.millis("glob_interval_ms", v)) {
            cfg.glob_interval = d;
        }
        if let Some(d) = raw.rules_poll_ms.as_ref().and_then(|v| ck.millis("rules_poll_ms", v)) {
            cfg.rules_poll_interval = d;
        }
        cfg.log_format = raw.log_format.unwrap_or_default();

        for (name, out) in &raw.outputs {
            match out.spec.get_ref().parse::<OutputSpec>() {
                Ok(spec) => cfg.outputs.push(OutputConfig { name: name.clone(), spec }),
                Err(e) => ck.at(&out.spec, format!("outputs.{name}: {e}")),
            }
        }
        for (name, inp) in &raw.inputs {
            let spec = match inp.spec.get_ref().parse::<InputSpec>() {
                Ok(s) => s,
                Err(e) => {
                    ck.at(&inp.spec, format!("inputs.{name}: {e}"));
                    continue;
                }
            };
            let mut ic = InputConfig::new(spec).named(name);
            ic.socket_mode = inp.socket_mode.as_ref().and_then(|m| ck.mode("socket_mode", m));
            ic.max_connections = inp.max_connections.as_ref().and_then(|v| ck.positive("max_connections", v));
            ic.idle_timeout = inp.idle_timeout.as_ref().and_then(|v| ck.secs("idle_timeout", v));
            for o in &inp.outputs {
                if raw.outputs.contains_key(o.get_ref()) {
                    ic.outputs.push(o.get_ref().clone());
                } else {
                    let known: Vec<&str> = raw.outputs.keys().map(String::as_str).collect();
                    ck.at(
                        o,
                        format!("inputs.{name}: unknown output `{}` (outputs: {})", o.get_ref(), known.join(", ")),
                    );
                }
            }
            cfg.inputs.push(ic);
        }
        if ck.problems.is_empty() {
            Ok(cfg)
        } else {
            Err(ConfigError { source_name: source_name.to_string(), problems: ck.problems })
        }
    }

    /// The inputs to run: [`SidecarConfig::inputs`], or standard input when there are none.
    pub(crate) fn effective_inputs(&self) -> Vec<InputConfig> {
        if self.inputs.is_empty() { vec![InputConfig::new(InputSpec::Stdin)] } else { self.inputs.clone() }
    }

    /// The outputs to run: [`SidecarConfig::outputs`], or standard output when there are none.
    pub(crate) fn effective_outputs(&self) -> Vec<OutputConfig> {
        if self.outputs.is_empty() { vec![OutputConfig::new(OutputSpec::Stdout)] } else { self.outputs.clone() }
    }

    /// Checks what the file format cannot: unique names, known output names, one stdin.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        let mut problems = Vec::new();
        let inputs = self.effective_inputs();
        let outputs = self.effective_outputs();
        let mut seen = std::collections::HashSet::new();
        for i in &inputs {
            if !seen.insert(&i.name) {
                problems.push((0, 0, format!("input `{}` is given twice", i.name)));
            }
            for o in &i.outputs {
                if !outputs.iter().any(|x| &x.name == o) {
                    problems.push((0, 0, format!("input `{}` names unknown output `{o}`", i.name)));
                }
            }
        }
        if inputs.iter().filter(|i| i.spec == InputSpec::Stdin).count() > 1 {
            problems.push((0, 0, "stdin can be read by one input only".to_string()));
        }
        let mut seen = std::collections::HashSet::new();
        for o in &outputs {
            if !seen.insert(&o.name) {
                problems.push((0, 0, format!("output `{}` is given twice", o.name)));
            }
        }
        if self.max_line < MIN_MAX_LINE {
            problems.push((0, 0, format!("max_line must be at least {MIN_MAX_LINE} bytes")));
        }
        if problems.is_empty() { Ok(()) } else { Err(ConfigError { source_name: "serve".to_string(), problems }) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_specs_parse_and_print_back() {
        for s in ["stdin", "unix:/run/a.sock", "tcp:127.0.0.1:5140", "file:/var/log/containers/*.log", "tcp:[::1]:80"] {
            assert_eq!(s.parse::<InputSpec>().unwrap().to_string(), s);
        }
        assert_eq!("tcp:5140".parse::<InputSpec>().unwrap().to_string(), "tcp:127.0.0.1:5140");
        assert!("tcp:host:x".parse::<InputSpec>().is_err());
        assert!("udp:1".parse::<InputSpec>().unwrap_err().contains("unknown input"));
    }

    #[test]
    fn output_tcp_needs_a_host() {
        assert!("tcp:5140".parse::<OutputSpec>().is_err());
        assert_eq!("tcp:collector:5140".parse::<OutputSpec>().unwrap().to_string(), "tcp:collector:5140");
    }

    #[test]
    fn modes_are_octal() {
        assert_eq!(parse_mode("0600"), Ok(0o600));
        assert_eq!(parse_mode("0o660"), Ok(0o660));
        assert!(parse_mode("0800").is_err());
        assert!(parse_mode("").is_err());
    }

    #[test]
    fn every_problem_is_reported_with_its_position() {
        let src = "socket_mode = \"999\"\nqueue_lines = 0\n[inputs.a]\nspec = \"udp:1\"\n";
        let e = SidecarConfig::from_toml("s.toml", src).unwrap_err().to_string();
        assert!(e.contains("s.toml:1:15: `socket_mode`: bad file mode"), "{e}");
        assert!(e.contains("s.toml:2:15: `queue_lines` must be a positive integer"), "{e}");
        assert!(e.contains("s.toml:4:8: inputs.a: unknown input `udp:1`"), "{e}");
    }
}
