//! Outputs: standard output, a file, or a TCP / Unix socket forwarder.
//!
//! Each output is one task draining its queue in order. A batch is written with a loop of
//! writes; it is flushed when the queue is momentarily empty, and only then are the file
//! offsets of the flushed batches acknowledged.
//!
//! A write that fails (a forward target gone, a full disk) keeps the batch: the output
//! closes the connection or file, waits (exponential backoff from [`BACKOFF_MIN`] to
//! [`BACKOFF_MAX`]), reconnects or reopens and writes the batch again: on a socket from the
//! start of the first line the kernel had not fully accepted, in a file (whose write error
//! only shows at the flush after each batch) the whole batch, so a line may then appear twice
//! but is never lost. Meanwhile the queue fills and, with
//! the `block` policy, the inputs wait: nothing is lost. A forwarder also watches its idle
//! connection and reconnects as soon as the peer closes it, so lines are not written into a
//! connection that is already gone. Plain TCP has no application acknowledgement: bytes the
//! kernel accepted just before the peer crashed can still be lost; a collector that must not
//! lose them needs an acknowledging protocol, which this forwarder does not speak.
//!
//! A file output is opened in append mode and reopened on SIGUSR1, after logrotate moved it.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};
use tokio::sync::{mpsc, watch};

use super::config::OutputSpec;
use super::metrics::{Metrics, OutputMetrics};
use super::pipeline::{Ack, Batch};

/// First retry delay after a failed write or connect.
pub(crate) const BACKOFF_MIN: Duration = Duration::from_millis(100);
/// Longest retry delay.
pub(crate) const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// Batches whose offsets wait for the next flush, at most.
const MAX_UNACKED: usize = 256;

enum Conn {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Conn {
    fn writer(&mut self) -> &mut (dyn AsyncWrite + Unpin + Send) {
        match self {
            Conn::Tcp(s) => s,
            Conn::Unix(s) => s,
        }
    }

    /// Waits until the peer closed the connection (`true`) or sent something (`false`).
    async fn closed(&self) -> bool {
        let ready = match self {
            Conn::Tcp(s) => s.readable().await,
            Conn::Unix(s) => s.readable().await,
        };
        if ready.is_err() {
            return true;
        }
        self.peer_gone()
    }

    /// Without waiting: whether the peer has closed the connection. Anything the peer sent
    /// is read and ignored.
    fn peer_gone(&self) -> bool {
        let mut buf = [0u8; 1024];
        let r = match self {
            Conn::Tcp(s) => s.try_read(&mut buf),
            Conn::Unix(s) => s.try_read(&mut buf),
        };
        match r {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => false,
            Err(_) => true,
        }
    }
}

enum Sink {
    Stdout(tokio::io::Stdout),
    File { path: PathBuf, file: Option<tokio::fs::File> },
    Net { spec: OutputSpec, conn: Option<Conn> },
}

impl Sink {
    fn new(spec: &OutputSpec) -> Sink {
        match spec {
            OutputSpec::Stdout => Sink::Stdout(tokio::io::stdout()),
            OutputSpec::File(p) => Sink::File { path: p.clone(), file: None },
            OutputSpec::Tcp(_) | OutputSpec::Unix(_) => Sink::Net { spec: spec.clone(), conn: None },
        }
    }

    fn is_open(&self) -> bool {
        match self {
            Sink::Stdout(_) => true,
            Sink::File { file, .. } => file.is_some(),
            Sink::Net { conn, .. } => conn.is_some(),
        }
    }

    /// Opens the file or connects, if not yet.
    async fn open(&mut self) -> io::Result<()> {
        match self {
            Sink::Stdout(_) => Ok(()),
            Sink::File { path, file } => {
                if file.is_none() {
                    *file = Some(tokio::fs::OpenOptions::new().create(true).append(true).open(&*path).await?);
                }
                Ok(())
            }
            Sink::Net { spec, conn } => {
                if conn.as_ref().is_some_and(Conn::peer_gone) {
                    *conn = None;
                }
                if conn.is_none() {
                    *conn = Some(match spec {
                        OutputSpec::Tcp(a) => {
                            let s = TcpStream::connect((a.host.as_str(), a.port)).await?;
                            s.set_nodelay(true)?;
                            Conn::Tcp(s)
                        }
                        OutputSpec::Unix(p) => Conn::Unix(UnixStream::connect(p).await?),
                        OutputSpec::Stdout | OutputSpec::File(_) => unreachable!("not a socket output"),
                    });
                }
                Ok(())
            }
        }
    }

    /// Drops the file or connection (the next write reopens it).
    fn close(&mut self) {
        match self {
            Sink::Stdout(_) => {}
            Sink::File { file, .. } => *file = None,
            Sink::Net { conn, .. } => *conn = None,
        }
    }

    fn writer(&mut self) -> Option<&mut (dyn AsyncWrite + Unpin + Send)> {
        match self {
            Sink::Stdout(s) => Some(s),
            Sink::File { file, .. } => file.as_mut().map(|f| f as &mut (dyn AsyncWrite + Unpin + Send)),
            Sink::Net { conn, .. } => conn.as_mut().map(Conn::writer),
        }
    }

    /// Writes `data[*off..]`, moving `off` as the kernel accepts bytes.
    async fn write_from(&mut self, data: &[u8], off: &mut usize) -> io::Result<()> {
        self.open().await?;
        let is_file = matches!(self, Sink::File { .. });
        let w = self.writer().ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))?;
        while *off < data.len() {
            let n = w.write(&data[*off..]).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            *off += n;
        }
        if is_file {
            // A file write completes in the background: its error shows at the flush, and
            // then how much was written is unknown, so the whole batch is written again.
            if let Err(e) = w.flush().await {
                *off = 0;
                return Err(e);
            }
        }
        Ok(())
    }

    async fn flush(&mut self) -> io::Result<()> {
        match self.writer() {
            Some(w) => w.flush().await,
            None => Ok(()),
        }
    }

    /// Resolves when a forwarder's idle connection was closed by the peer.
    async fn peer_closed(&self) -> bool {
        match self {
            Sink::Net { conn: Some(c), .. } => c.closed().await,
            _ => std::future::pending().await,
        }
    }
}

/// One output's task state.
struct Output {
    name: String,
    sink: Sink,
    backoff: Duration,
    failing: bool,
    metrics: Arc<Metrics>,
    idx: usize,
}

impl Output {
    fn m(&self) -> &OutputMetrics {
        &self.metrics.outputs[self.idx]
    }

    fn failed(&mut self, what: &str, e: &io::Error) {
        self.m().errors.fetch_add(1, Relaxed);
        self.m().ready.store(false, Relaxed);
        if !self.failing {
            tracing::warn!(output = %self.name, error = %e, "{what} failed; retrying with backoff");
            self.failing = true;
        } else {
            tracing::debug!(output = %self.name, error = %e, "{what} failed again");
        }
        self.sink.close();
    }

    fn recovered(&mut self) {
        self.backoff = BACKOFF_MIN;
        self.m().ready.store(self.sink.is_open(), Relaxed);
        if self.failing {
            tracing::info!(output = %self.name, "output is back");
            self.failing = false;
        }
    }

    async fn wait_backoff(&mut self) {
        tokio::time::sleep(self.backoff).await;
        self.backoff = (self.backoff * 2).min(BACKOFF_MAX);
    }

    /// Writes one batch, retrying until it is written. See the module docs.
    async fn deliver(&mut self, data: &[u8]) {
        let mut off = 0;
        loop {
            match self.sink.write_from(data, &mut off).await {
                Ok(()) => {
                    if self.failing || !self.m().ready.load(Relaxed) {
                        self.recovered();
                    }
                    return;
                }
                Err(e) => {
                    self.failed("write", &e);
                    // Resend from the start of the line the kernel had not fully taken.
                    off = memchr::memrchr(b'\n', &data[..off]).map_or(0, |i| i + 1);
                    self.wait_backoff().await;
                }
            }
        }
    }

    /// Flushes and acknowledges what was written so far.
    async fn flush(&mut self, acks: &mut Vec<Arc<Ack>>) {
        if let Err(e) = self.sink.flush().await {
            // The bytes in a failed flush may be lost: their offsets stay unacknowledged, so a
            // restart reads them again (at least once).
            self.failed("flush", &e);
            acks.clear();
            return;
        }
        for a in acks.drain(..) {
            a.done();
        }
    }
}

/// Opens a file output once at start, so a bad path is an error before anything is bound.
pub(crate) fn check_file(path: &std::path::Path) -> io::Result<()> {
    std::fs::OpenOptions::new().create(true).append(true).open(path).map(drop)
}

/// Runs one output until its queue is closed and drained.
pub(crate) async fn run_output(
    idx: usize,
    spec: OutputSpec,
    metrics: Arc<Metrics>,
    mut rx: mpsc::UnboundedReceiver<Batch>,
    mut reopen: watch::Receiver<u64>,
) {
    let name = metrics.outputs[idx].name.clone();
    let mut out = Output { name, sink: Sink::new(&spec), backoff: BACKOFF_MIN, failing: false, metrics, idx };
    match out.sink.open().await {
        Ok(()) => out.recovered(),
        Err(e) => out.failed("connect", &e),
    }
    let is_file = matches!(spec, OutputSpec::File(_));
    let mut acks: Vec<Arc<Ack>> = Vec::new();
    loop {
        let reconnect = !out.sink.is_open();
        tokio::select! {
            biased;
            Ok(()) = reopen.changed(), if is_file => {
                out.flush(&mut acks).await;
                out.sink.close();
                match out.sink.open().await {
                    Ok(()) => {
                        tracing::info!(output = %out.name, "reopened");
                        out.recovered();
                    }
                    Err(e) => out.failed("reopen", &e),
                }
            }
            b = rx.recv() => {
                let Some(mut batch) = b else { break };
                out.deliver(&batch.data).await;
                let m = out.m();
                m.lines.fetch_add(batch.lines, Relaxed);
                m.bytes.fetch_add(batch.data.len() as u64, Relaxed);
                if let Some(a) = batch.ack.take() {
                    acks.push(a);
                }
                drop(batch);
                if rx.is_empty() || acks.len() >= MAX_UNACKED {
                    out.flush(&mut acks).await;
                }
            }
            closed = out.sink.peer_closed() => {
                if closed {
                    tracing::info!(output = %out.name, "the peer closed the connection; reconnecting");
                    out.sink.close();
                    out.m().ready.store(false, Relaxed);
                }
            }
            () = tokio::time::sleep(out.backoff), if reconnect => {
                match out.sink.open().await {
                    Ok(()) => out.recovered(),
                    Err(e) => {
                        out.failed("connect", &e);
                        out.backoff = (out.backoff * 2).min(BACKOFF_MAX);
                    }
                }
            }
        }
    }
    out.flush(&mut acks).await;
}
