//! `logscrub serve`: a long-running sidecar that scrubs every line it is given (feature
//! `sidecar`).
//!
//! ```text
//!  unix:/run/app.sock ──┐  one Source per connection / file: own BytesMut framer + Scratch
//!  tcp:127.0.0.1:5140 ──┼─▶ frame ─▶ scrub (Arc<Scrubber> in ArcSwap) ─▶ Fanout ─┬─▶ queue ─▶ stdout | file
//!  file:/var/log/*.log ─┤                                                         └─▶ queue ─▶ tcp | unix forwarder
//!  stdin ───────────────┘       bounded queues (lines + bytes): block (default) or drop
//!
//!  SIGHUP / rules file change / POST /-/reload ─▶ compile aside ─▶ swap      SIGUSR1 ─▶ reopen file outputs
//!  SIGTERM / SIGINT ─▶ stop accepting ─▶ drain connections ─▶ close queues ─▶ flush outputs ─▶ exit 0
//!  GET /metrics /healthz /readyz (hyper)
//! ```
//!
//! - Each connection, file and stdin is framed on its own (`src/sidecar/lines.rs`): a partial line of one
//!   client never mixes with another's, and one source's lines reach each output in order.
//!   A final line without `\n` gets one. Lines longer than `max_line` are cut into windows
//!   outside token runs ([`crate::frame::cut_point`]) and each window is written as a line.
//! - Inputs, outputs and their guarantees: `src/sidecar/input/`, `src/sidecar/output.rs`; the
//!   queues and offset acknowledgements: `pipeline.rs`; kept file offsets: `state.rs`.
//! - Diagnostics go through `tracing` to standard error (text or JSON, level from
//!   `$LOGSCRUB_LOG`, default `info`). They name inputs, outputs, files and errors, never a
//!   line's content.
//!
//! [`run`] is the `logscrub serve` entry point (it owns the process: runtime, signals,
//! diagnostics); [`spawn`] runs the same server on a background thread for tests and
//! embedding, driven through [`Running`] instead of signals.

pub mod config;
mod http;
pub(crate) mod input;
pub(crate) mod lines;
mod metrics;
pub(crate) mod output;
pub(crate) mod pipeline;
mod reload;
pub(crate) mod state;

#[cfg(feature = "cli")]
mod args;

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

#[cfg(feature = "cli")]
pub use args::ServeArgs;
pub use config::{
    ConfigError, DropPolicy, HostPort, InputConfig, InputSpec, LogFormat, OutputConfig, OutputSpec, SidecarConfig,
    parse_mode,
};

use input::file::{FollowOpts, file_input, is_glob};
use input::{InputShared, Listener, Shutdown, accept_loop, stdin_loop};
use metrics::Metrics;
use pipeline::{Fanout, OutputQueue, SharedScrubber};
use state::StateStore;

/// Why the sidecar could not start, or did not stop cleanly.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A bad flag or configuration file.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Bad rules (at start; a bad reload keeps the old rules instead).
    #[error(transparent)]
    Rules(#[from] crate::RuleError),
    /// The rules need a key that is missing.
    #[error(transparent)]
    Build(#[from] crate::BuildError),
    /// An input could not listen.
    #[error("input `{input}`: cannot listen: {err}")]
    Bind {
        /// The input's name.
        input: String,
        /// Why.
        err: io::Error,
    },
    /// A file output could not be opened.
    #[error("output `{output}`: cannot open: {err}")]
    Output {
        /// The output's name.
        output: String,
        /// Why.
        err: io::Error,
    },
    /// The metrics address could not be bound.
    #[error("metrics address {addr}: cannot listen: {err}")]
    Metrics {
        /// The address.
        addr: SocketAddr,
        /// Why.
        err: io::Error,
    },
    /// The state directory could not be used.
    #[error("state directory {dir}: {err}")]
    State {
        /// The directory.
        dir: String,
        /// Why.
        err: io::Error,
    },
    /// The shutdown deadline passed before every queued line was written (an output was
    /// down), or a second signal stopped the drain.
    #[error("stopped before draining: {lines} queued lines not written")]
    Undrained {
        /// Lines still queued.
        lines: u64,
    },
    /// Any other I/O failure (the runtime could not start).
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl Error {
    /// Whether the cause is a bad flag, configuration, rule file or address (exit code 2),
    /// rather than a failure while running (exit code 1).
    pub fn is_usage(&self) -> bool {
        !matches!(self, Error::Undrained { .. } | Error::Io(_))
    }
}

/// Messages from signals and [`Running`] to the server.
#[derive(Debug)]
enum Control {
    Shutdown,
    Reload(Option<oneshot::Sender<Result<(), String>>>),
    Reopen,
}

/// What the server reports once every input is bound.
#[derive(Debug)]
struct Started {
    metrics: Arc<Metrics>,
    metrics_addr: Option<SocketAddr>,
    tcp: Vec<(String, SocketAddr)>,
}

/// Installs the sidecar's diagnostics subscriber on standard error (once per process;
/// later calls do nothing). The level comes from `$LOGSCRUB_LOG` (`error`, `warn`, `info`,
/// `debug`, `trace`; default `info`).
pub fn init_tracing(format: LogFormat) {
    use tracing::level_filters::LevelFilter;
    let level = std::env::var("LOGSCRUB_LOG").ok().and_then(|v| v.trim().parse::<LevelFilter>().ok());
    let b = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level.unwrap_or(LevelFilter::INFO))
        .with_ansi(false)
        .with_target(false);
    let _ = match format {
        LogFormat::Json => b.json().try_init(),
        LogFormat::Text => b.try_init(),
    };
}

/// Runs `logscrub serve` until SIGTERM or SIGINT (or, with only stdin as input, its end),
/// then drains and returns. Builds its own runtime, installs the diagnostics subscriber
/// ([`init_tracing`]) and the signal handlers: SIGHUP reloads the rules, SIGUSR1 reopens
/// file outputs, a second SIGTERM/SIGINT stops without waiting for the drain.
///
/// `rules_path`: the rule file (`--rules`); `None`: the embedded rules.
pub fn run(config: SidecarConfig, rules_path: Option<PathBuf>) -> Result<(), Error> {
    init_tracing(config.log_format);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("logscrub-serve").build()?;
    let (tx, rx) = mpsc::unbounded_channel();
    let res = rt.block_on(async move {
        install_signals(tx)?;
        serve(config, rules_path, rx, Box::new(|_| {})).await
    });
    // Standard input may be blocked in a read that cannot be cancelled: do not wait for it.
    rt.shutdown_timeout(Duration::from_millis(200));
    res
}

fn install_signals(tx: mpsc::UnboundedSender<Control>) -> io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut usr1 = signal(SignalKind::user_defined1())?;
    tokio::spawn(async move {
        loop {
            let c = tokio::select! {
                Some(()) = term.recv() => Control::Shutdown,
                Some(()) = int.recv() => Control::Shutdown,
                Some(()) = hup.recv() => Control::Reload(None),
                Some(()) = usr1.recv() => Control::Reopen,
                else => break,
            };
            if tx.send(c).is_err() {
                break;
            }
        }
    });
    Ok(())
}

/// Starts the sidecar on a background thread (its own runtime, no signal handlers, no
/// diagnostics subscriber) and returns once every input is bound. Drive it through the
/// returned [`Running`].
pub fn spawn(config: SidecarConfig, rules_path: Option<PathBuf>) -> Result<Running, Error> {
    let (tx, rx) = mpsc::unbounded_channel();
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let thread = std::thread::Builder::new().name("logscrub-sidecar".to_string()).spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        let report = Box::new(move |s: Started| {
            let _ = started_tx.send(s);
        });
        let res = rt.block_on(serve(config, rules_path, rx, report));
        rt.shutdown_timeout(Duration::from_millis(200));
        res
    })?;
    match started_rx.recv() {
        Ok(s) => {
            Ok(Running { thread: Some(thread), ctl: tx, metrics: s.metrics, metrics_addr: s.metrics_addr, tcp: s.tcp })
        }
        Err(_) => match thread.join() {
            Ok(Err(e)) => Err(e),
            Ok(Ok(())) => Err(Error::Io(io::Error::other("the sidecar stopped before it started"))),
            Err(_) => Err(Error::Io(io::Error::other("the sidecar thread panicked"))),
        },
    }
}

/// A sidecar started by [`spawn`]. Dropping it starts a shutdown without waiting for it.
#[derive(Debug)]
pub struct Running {
    thread: Option<std::thread::JoinHandle<Result<(), Error>>>,
    ctl: mpsc::UnboundedSender<Control>,
    metrics: Arc<Metrics>,
    metrics_addr: Option<SocketAddr>,
    tcp: Vec<(String, SocketAddr)>,
}

impl Running {
    /// The bound metrics address (useful with port 0).
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// The bound address of the TCP input named `input` (useful with port 0).
    pub fn tcp_addr(&self, input: &str) -> Option<SocketAddr> {
        self.tcp.iter().find(|(n, _)| n == input).map(|(_, a)| *a)
    }

    /// What `GET /metrics` would answer.
    pub fn metrics_text(&self) -> String {
        self.metrics.render()
    }

    /// What `GET /readyz` would decide: `Ok`, or why not.
    pub fn readiness(&self) -> Result<(), String> {
        self.metrics.readiness()
    }

    /// Reloads the rules and waits for the outcome (the rule file's errors on failure; the
    /// old rules stay). Blocks: do not call it from inside an async runtime.
    pub fn reload(&self) -> Result<(), String> {
        let (tx, rx) = oneshot::channel();
        self.ctl.send(Control::Reload(Some(tx))).map_err(|_| "the sidecar has stopped".to_string())?;
        rx.blocking_recv().unwrap_or_else(|_| Err("the sidecar has stopped".to_string()))
    }

    /// Reopens file outputs, as SIGUSR1 does.
    pub fn reopen_outputs(&self) {
        let _ = self.ctl.send(Control::Reopen);
    }

    /// Starts a graceful shutdown, as SIGTERM does.
    pub fn shutdown(&self) {
        let _ = self.ctl.send(Control::Shutdown);
    }

    /// Shuts down gracefully and waits for the end of the drain.
    pub fn stop(mut self) -> Result<(), Error> {
        self.shutdown();
        self.join_thread()
    }

    /// Waits until the sidecar stops by itself (its only input, stdin, ended) or through
    /// [`Running::shutdown`].
    pub fn wait(mut self) -> Result<(), Error> {
        self.join_thread()
    }

    fn join_thread(&mut self) -> Result<(), Error> {
        match self.thread.take().map(std::thread::JoinHandle::join) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(Error::Io(io::Error::other("the sidecar thread panicked"))),
            None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.ctl.send(Control::Shutdown);
    }
}

/// Saves file offsets when they move, at most once per second, until the shutdown (the
/// final save follows the drain).
async fn save_loop(store: Arc<StateStore>, mut shutdown: Shutdown) {
    if !store.persistent() {
        return;
    }
    loop {
        tokio::select! {
            () = store.changed() => {}
            () = shutdown.wait() => return,
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            () = shutdown.wait() => return,
        }
        save(&store).await;
    }
}

async fn save(store: &Arc<StateStore>) {
    let s = store.clone();
    match tokio::task::spawn_blocking(move || s.save_if_dirty()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "cannot save file offsets"),
        Err(e) => tracing::warn!(error = %e, "cannot save file offsets"),
    }
}

/// The server: binds, runs until told to stop (or every input ended), drains.
async fn serve(
    cfg: SidecarConfig,
    rules_path: Option<PathBuf>,
    mut ctl: mpsc::UnboundedReceiver<Control>,
    started: Box<dyn FnOnce(Started) + Send>,
) -> Result<(), Error> {
    cfg.validate()?;
    let inputs = cfg.effective_inputs();
    let outputs = cfg.effective_outputs();
    for i in &inputs {
        if let InputSpec::File(p) = &i.spec {
            if is_glob(p) {
                let bad = |m: String| ConfigError::new("serve", format!("input `{}`: bad glob: {m}", i.name));
                let pat = p.to_str().ok_or_else(|| bad("not UTF-8".to_string()))?;
                glob::Pattern::new(pat).map_err(|e| bad(e.to_string()))?;
            }
        }
    }
    let scrubber: SharedScrubber = Arc::new(ArcSwap::from_pointee(reload::build(rules_path.as_deref())?));
    let store = Arc::new(StateStore::open(cfg.state_dir.as_deref()).map_err(|err| Error::State {
        dir: cfg.state_dir.as_deref().map(|d| d.display().to_string()).unwrap_or_default(),
        err,
    })?);

    // Queues, then the metrics that watch them.
    let mut queues = Vec::new();
    let mut receivers = Vec::new();
    for (i, o) in outputs.iter().enumerate() {
        if let OutputSpec::File(p) = &o.spec {
            output::check_file(p).map_err(|err| Error::Output { output: o.name.clone(), err })?;
        }
        let (q, rx) = OutputQueue::new(i, cfg.queue_lines, cfg.queue_bytes);
        queues.push(Arc::new(q));
        receivers.push(rx);
    }
    let metrics = Arc::new(Metrics::new(
        inputs.iter().map(|i| i.name.clone()).collect(),
        outputs
            .iter()
            .zip(&queues)
            .map(|(o, q)| {
                let (sem, cap) = q.line_permits();
                (o.name.clone(), sem, cap)
            })
            .collect(),
    ));

    // Bind every listener before anything runs: a bad address is a start-up error.
    let (shutdown_tx, shutdown_rx) = watch::channel(None);
    let shutdown = Shutdown(shutdown_rx);
    let mut bound = Vec::new();
    for (idx, ic) in inputs.iter().enumerate() {
        let targets: Vec<Arc<OutputQueue>> = if ic.outputs.is_empty() {
            queues.clone()
        } else {
            queues.iter().filter(|q| ic.outputs.contains(&outputs[q.idx].name)).cloned().collect()
        };
        let sh = Arc::new(InputShared {
            idx,
            name: ic.name.clone(),
            fanout: Arc::new(Fanout { targets, policy: cfg.drop_policy, metrics: metrics.clone() }),
            scrubber: scrubber.clone(),
            metrics: metrics.clone(),
            shutdown: shutdown.clone(),
            max_line: cfg.max_line,
            idle_timeout: ic.idle_timeout.or(cfg.idle_timeout).filter(|d| !d.is_zero()),
        });
        let bind_err = |err| Error::Bind { input: ic.name.clone(), err };
        let listener = match &ic.spec {
            InputSpec::Unix(p) => {
                Some(Listener::bind_unix(p, ic.socket_mode.unwrap_or(cfg.socket_mode)).map_err(bind_err)?)
            }
            InputSpec::Tcp(a) => Some(Listener::bind_tcp(&a.host, a.port).await.map_err(bind_err)?),
            InputSpec::Stdin | InputSpec::File(_) => None,
        };
        bound.push((sh, listener, ic.max_connections.unwrap_or(cfg.max_connections)));
    }
    let http_listener = match cfg.metrics_addr {
        Some(addr) => Some(TcpListener::bind(addr).await.map_err(|err| Error::Metrics { addr, err })?),
        None => None,
    };

    // Outputs.
    let (reopen_tx, reopen_rx) = watch::channel(0u64);
    let mut out_tasks = JoinSet::new();
    for ((i, o), rx) in outputs.iter().enumerate().zip(receivers) {
        out_tasks.spawn(output::run_output(i, o.spec.clone(), metrics.clone(), rx, reopen_rx.clone()));
    }

    // Inputs.
    let follow = FollowOpts { poll: cfg.file_poll_interval, glob_interval: cfg.glob_interval };
    let mut in_tasks = JoinSet::new();
    let mut tcp = Vec::new();
    for (sh, listener, max_conn) in bound {
        match (listener, &inputs[sh.idx].spec) {
            (Some(l), _) => {
                if let Some(a) = l.local_addr() {
                    tcp.push((sh.name.clone(), a));
                }
                in_tasks.spawn(accept_loop(l, sh, max_conn));
            }
            (None, InputSpec::File(p)) => {
                in_tasks.spawn(file_input(p.clone(), sh, store.clone(), follow));
            }
            (None, _) => {
                in_tasks.spawn(stdin_loop(sh));
            }
        }
    }
    metrics.inputs_ready.store(true, Relaxed);

    // Reloads, the HTTP endpoints, the offset saver.
    let (reload_tx, reload_rx) = mpsc::unbounded_channel();
    tokio::spawn(reload::reload_task(rules_path.clone(), scrubber.clone(), metrics.clone(), reload_rx));
    if let Some(p) = &rules_path {
        tokio::spawn(reload::watch_task(p.clone(), cfg.rules_poll_interval, reload_tx.clone(), shutdown.clone()));
    }
    let (http_stop_tx, http_stop_rx) = watch::channel(false);
    let mut metrics_addr = None;
    if let Some(l) = http_listener {
        metrics_addr = l.local_addr().ok();
        let st =
            Arc::new(http::HttpState { metrics: metrics.clone(), reload: cfg.reload_http.then(|| reload_tx.clone()) });
        tokio::spawn(http::serve(l, st, http_stop_rx));
    }
    let saver = tokio::spawn(save_loop(store.clone(), shutdown.clone()));

    tracing::info!(
        inputs = %inputs.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join(","),
        outputs = %outputs.iter().map(|o| o.name.as_str()).collect::<Vec<_>>().join(","),
        tcp = %tcp.iter().map(|(n, a)| format!("{n}={a}")).collect::<Vec<_>>().join(","),
        metrics = %metrics_addr.map_or_else(|| "off".to_string(), |a| a.to_string()),
        "serving"
    );
    started(Started { metrics: metrics.clone(), metrics_addr, tcp });

    loop {
        tokio::select! {
            c = ctl.recv() => match c {
                Some(Control::Shutdown) | None => break,
                Some(Control::Reload(reply)) => {
                    let trigger = if reply.is_some() { reload::Trigger::Api } else { reload::Trigger::Signal };
                    let _ = reload_tx.send(reload::Request { trigger, reply });
                }
                Some(Control::Reopen) => reopen_tx.send_modify(|n| *n += 1),
            },
            r = in_tasks.join_next() => if r.is_none() {
                tracing::info!("every input ended");
                break;
            },
        }
    }

    // Drain: stop accepting, let connections and files finish, close the queues behind the
    // last batch, let the outputs write everything.
    let t0 = Instant::now();
    let deadline = t0 + cfg.shutdown_timeout;
    let reserve = (cfg.shutdown_timeout / 4).min(Duration::from_secs(2));
    metrics.shutting_down.store(true, Relaxed);
    let _ = shutdown_tx.send(Some(deadline - reserve));
    tracing::info!(timeout = ?cfg.shutdown_timeout, "shutting down: draining");
    drop(queues);
    let drained = async {
        while in_tasks.join_next().await.is_some() {}
        while out_tasks.join_next().await.is_some() {}
    };
    let outcome = tokio::select! {
        r = tokio::time::timeout_at(deadline, drained) => r.is_ok(),
        () = async {
            loop {
                match ctl.recv().await {
                    Some(Control::Shutdown) => return,
                    Some(_) => {}
                    None => std::future::pending::<()>().await,
                }
            }
        } => false,
    };
    let result = if outcome {
        tracing::info!(elapsed = ?t0.elapsed(), "drained");
        Ok(())
    } else {
        let lines = metrics.queued_lines();
        tracing::error!(lines, "stopping before every queued line was written");
        in_tasks.abort_all();
        out_tasks.abort_all();
        Err(Error::Undrained { lines })
    };
    saver.abort();
    save(&store).await;
    let _ = http_stop_tx.send(true);
    result
}
