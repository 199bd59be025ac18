//! Inputs: Unix and TCP listeners, standard input, followed files.
//!
//! Every connection (and every file, and stdin) is a [`Source`] of its own: its own framer,
//! so a partial line never mixes with another source's; its own scratch; its batches reach
//! each output in the order they were read.
//!
//! # Shutdown
//!
//! When the shutdown starts, listeners stop accepting (a Unix socket file is removed), and
//! each open connection keeps reading what its client already sent until the client is
//! quiet for [`DRAIN_QUIET`], closes, or the input deadline passes; its partial last line is
//! then queued with a `\n`. Followed files are read to their end. Only then do the queues
//! close behind the last batch.
//!
//! # Partial lines
//!
//! A connection's partial last line is scrubbed and queued with a `\n` when it ends. When its
//! client ended it (end of file), that is all. When the server did (`--idle-timeout`, the
//! drain above, a read error), the line was cut mid-way: fail closed, a run of token bytes at
//! its end that no finding reached is replaced by the marker, since it may be the start of a
//! secret whose rest never came ([`Source::finish_cut`]).
//!
//! # Limits
//!
//! Each connection holds one read buffer (64 KiB reserved, up to `max_line` for a long line);
//! at most `--max-connections` are open per input. Further clients wait in the kernel's
//! listen backlog (`net.core.somaxconn` for a Unix socket, 128 for TCP), unread, until a
//! connection closes, while the open ones keep being served; logscrub refuses none (past the
//! backlog the kernel holds a Unix client in `connect`, and drops a TCP SYN, which the client
//! sends again). `--idle-timeout` closes a connection silent that long (a client trickling a
//! byte now and then stays open: the timeout is for silence); a connection's memory does not
//! grow while it trickles.

pub(crate) mod file;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::metrics::Metrics;
use super::pipeline::{Fanout, SharedScrubber, Source};

/// A draining connection that sends nothing for this long is done.
pub(crate) const DRAIN_QUIET: Duration = Duration::from_millis(250);

/// Far enough to mean "never" for a timer.
const NEVER: Duration = Duration::from_secs(365 * 24 * 3600);

/// The shutdown signal as inputs see it: `Some(deadline)` once draining, where the deadline
/// is when inputs must stop reading so the outputs have time left to flush.
#[derive(Debug, Clone)]
pub(crate) struct Shutdown(pub(crate) watch::Receiver<Option<Instant>>);

impl Shutdown {
    pub(crate) fn deadline(&self) -> Option<Instant> {
        *self.0.borrow()
    }

    pub(crate) fn is_set(&self) -> bool {
        self.0.borrow().is_some()
    }

    /// Resolves once the shutdown has started.
    pub(crate) async fn wait(&mut self) {
        // An error means the sender is gone: that is a shutdown too.
        drop(self.0.wait_for(Option::is_some).await);
    }
}

/// What every source of one input shares.
#[derive(Debug)]
pub(crate) struct InputShared {
    pub(crate) idx: usize,
    pub(crate) name: String,
    pub(crate) fanout: Arc<Fanout>,
    pub(crate) scrubber: SharedScrubber,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) shutdown: Shutdown,
    pub(crate) max_line: usize,
    pub(crate) idle_timeout: Option<Duration>,
}

impl InputShared {
    pub(crate) fn source(&self) -> Source {
        Source::new(self.max_line, self.scrubber.clone(), self.fanout.clone(), self.idx)
    }
}

/// Reads one stream until it ends, idles out or drains at shutdown. See the module docs.
pub(crate) async fn read_stream<R: AsyncRead + Unpin>(mut rdr: R, sh: &InputShared) {
    let mut src = sh.source();
    let mut shutdown = sh.shutdown.clone();
    let idle = sh.idle_timeout;
    // Whether we end the stream (idle, drain, error) rather than its writer (end of file).
    let mut cut = true;
    loop {
        let read = if let Some(deadline) = shutdown.deadline() {
            let until = (Instant::now() + DRAIN_QUIET).min(deadline);
            match tokio::time::timeout_at(until, rdr.read_buf(src.framer.read_buf())).await {
                Ok(r) => r,
                Err(_) => break,
            }
        } else {
            tokio::select! {
                r = rdr.read_buf(src.framer.read_buf()) => r,
                () = shutdown.wait() => continue,
                () = tokio::time::sleep(idle.unwrap_or(NEVER)), if idle.is_some() => {
                    tracing::debug!(input = %sh.name, "closing an idle connection");
                    break;
                }
            }
        };
        match read {
            Ok(0) => {
                cut = false;
                break;
            }
            Ok(_) => src.pump(None).await,
            Err(e) => {
                sh.metrics.inputs[sh.idx].errors.fetch_add(1, Relaxed);
                tracing::warn!(input = %sh.name, error = %e, "read failed; closing the connection");
                break;
            }
        }
    }
    if cut {
        src.finish_cut().await;
    } else {
        src.finish(None).await;
    }
}

/// A bound listener.
#[derive(Debug)]
pub(crate) enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener, PathBuf),
}

/// Creates a new directory in `dir` that only this process's user can enter (mode 0700;
/// creation fails rather than reuse an existing one), with a short name so the socket path
/// inside it stays short.
fn private_dir(dir: &Path) -> io::Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let mut last = None;
    for i in 0..8u32 {
        let name =
            format!(".ls{:x}", (seed ^ std::process::id().rotate_left(16)).wrapping_add(i.wrapping_mul(0x9e37_79b9)));
        let p = dir.join(name);
        match std::fs::DirBuilder::new().mode(0o700).create(&p) {
            Ok(()) => return Ok(p),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no private directory")))
}

enum Conn {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Listener {
    /// Binds a Unix socket: a stale socket file is removed first (anything else at `path` is
    /// an error), and the file gets `mode`.
    ///
    /// `bind` creates the file with the mode the umask leaves (0777 & !umask), so between
    /// `bind` and `chmod` a client that `mode` shuts out could connect, and stay connected.
    /// The socket is therefore bound inside a new directory only this process can enter
    /// (0700), given its mode there, and renamed into place: at `path` it has `mode` from the
    /// start. (Only if that longer path does not fit a socket address is it bound in place.)
    pub(crate) fn bind_unix(path: &Path, mode: u32) -> io::Result<Listener> {
        use std::os::unix::fs::{FileTypeExt, PermissionsExt};
        match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_socket() => std::fs::remove_file(path)?,
            Ok(_) => {
                return Err(io::Error::new(io::ErrorKind::AlreadyExists, "the path exists and is not a socket"));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let perms = || std::fs::Permissions::from_mode(mode);
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let private = private_dir(dir)?;
        let tmp = private.join("s");
        let bound = UnixListener::bind(&tmp).and_then(|l| {
            std::fs::set_permissions(&tmp, perms()).and_then(|()| std::fs::rename(&tmp, path)).map(|()| l)
        });
        let _ = std::fs::remove_file(&tmp);
        let _ = std::fs::remove_dir(&private);
        let l = match bound {
            Ok(l) => l,
            // A path near the socket address limit (108 bytes): bind in place.
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
                let l = UnixListener::bind(path)?;
                std::fs::set_permissions(path, perms())?;
                l
            }
            Err(e) => return Err(e),
        };
        Ok(Listener::Unix(l, path.to_path_buf()))
    }

    /// Binds a TCP listener.
    pub(crate) async fn bind_tcp(host: &str, port: u16) -> io::Result<Listener> {
        Ok(Listener::Tcp(TcpListener::bind((host, port)).await?))
    }

    /// The bound TCP address.
    pub(crate) fn local_addr(&self) -> Option<std::net::SocketAddr> {
        match self {
            Listener::Tcp(l) => l.local_addr().ok(),
            Listener::Unix(..) => None,
        }
    }

    async fn accept(&self) -> io::Result<Conn> {
        match self {
            Listener::Tcp(l) => l.accept().await.map(|(s, _)| Conn::Tcp(s)),
            Listener::Unix(l, _) => l.accept().await.map(|(s, _)| Conn::Unix(s)),
        }
    }
}

/// Accepts connections (at most `max_conn` open; more wait in the backlog) until shutdown,
/// then waits for the open ones to drain.
pub(crate) async fn accept_loop(listener: Listener, sh: Arc<InputShared>, max_conn: usize) {
    let slots = Arc::new(Semaphore::new(max_conn.max(1)));
    let mut conns = JoinSet::new();
    let mut shutdown = sh.shutdown.clone();
    let m = &sh.metrics.inputs[sh.idx];
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            () = shutdown.wait() => break,
        };
        let conn = tokio::select! {
            c = listener.accept() => c,
            () = shutdown.wait() => break,
        };
        match conn {
            Ok(conn) => {
                m.connections_total.fetch_add(1, Relaxed);
                m.connections.fetch_add(1, Relaxed);
                let sh = sh.clone();
                conns.spawn(async move {
                    match conn {
                        Conn::Tcp(s) => read_stream(s, &sh).await,
                        Conn::Unix(s) => read_stream(s, &sh).await,
                    }
                    sh.metrics.inputs[sh.idx].connections.fetch_sub(1, Relaxed);
                    drop(permit);
                });
            }
            Err(e) => {
                m.errors.fetch_add(1, Relaxed);
                tracing::warn!(input = %sh.name, error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        while conns.try_join_next().is_some() {}
    }
    if let Listener::Unix(_, path) = &listener {
        let _ = std::fs::remove_file(path);
    }
    drop(listener);
    while conns.join_next().await.is_some() {}
}

/// Reads standard input until its end (or the drain at shutdown).
pub(crate) async fn stdin_loop(sh: Arc<InputShared>) {
    read_stream(tokio::io::stdin(), &sh).await;
}
