//! Hot reload of the rules: on SIGHUP, `POST /-/reload`, or a change of the rules file.
//!
//! New rules are compiled off to the side (on a blocking thread) and swapped into the shared
//! [`ArcSwap`] only when both the rules and the scrubber build; every source picks the new
//! scrubber up at its next batch. Invalid rules keep the old ones: the error (a rule-file
//! position and message, never log content) is logged and counted in
//! `logscrub_reloads_total{result="error"}`. Reloads run one at a time.
//!
//! The file watch polls: the path's canonical target, device, inode, modification time and
//! length. Kubernetes updates a mounted ConfigMap by swapping the `..data` symlink to a new
//! directory, so the canonical target changes even when the size and time do not.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, SystemTime};

use tokio::sync::{mpsc, oneshot};

use super::Error;
use super::input::Shutdown;
use super::metrics::Metrics;
use super::pipeline::SharedScrubber;
use crate::{Rules, Scrubber};

/// Why a reload was asked for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Trigger {
    Signal,
    Http,
    FileChange,
    Api,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Signal => "SIGHUP",
            Trigger::Http => "POST /-/reload",
            Trigger::FileChange => "rules file changed",
            Trigger::Api => "API",
        }
    }
}

/// A reload request; `reply` gets the outcome.
#[derive(Debug)]
pub(crate) struct Request {
    pub(crate) trigger: Trigger,
    pub(crate) reply: Option<oneshot::Sender<Result<(), String>>>,
}

/// Loads rules (the embedded ones without a path) and builds a scrubber.
pub(crate) fn build(path: Option<&Path>) -> Result<Scrubber, Error> {
    let rules = match path {
        Some(p) => Rules::from_path(p)?,
        None => Rules::embedded(),
    };
    Ok(Scrubber::new(&rules)?)
}

/// Serves reload requests one at a time until every sender is gone.
pub(crate) async fn reload_task(
    path: Option<PathBuf>,
    current: SharedScrubber,
    metrics: Arc<Metrics>,
    mut rx: mpsc::UnboundedReceiver<Request>,
) {
    while let Some(req) = rx.recv().await {
        let p = path.clone();
        let built = tokio::task::spawn_blocking(move || build(p.as_deref()))
            .await
            .unwrap_or_else(|e| Err(Error::Io(std::io::Error::other(e.to_string()))));
        let res = match built {
            Ok(s) => {
                current.store(Arc::new(s));
                metrics.reloads_ok.fetch_add(1, Relaxed);
                tracing::info!(trigger = req.trigger.as_str(), "rules reloaded");
                Ok(())
            }
            Err(e) => {
                metrics.reloads_error.fetch_add(1, Relaxed);
                let msg = e.to_string();
                tracing::error!(trigger = req.trigger.as_str(), error = %msg, "reload failed; keeping the old rules");
                Err(msg)
            }
        };
        if let Some(reply) = req.reply {
            let _ = reply.send(res);
        }
    }
}

/// What identifies one version of the rules file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fingerprint {
    target: PathBuf,
    dev: u64,
    ino: u64,
    mtime: Option<SystemTime>,
    len: u64,
}

fn fingerprint(path: &Path) -> Option<Fingerprint> {
    use std::os::unix::fs::MetadataExt;
    let target = std::fs::canonicalize(path).ok()?;
    let m = std::fs::metadata(&target).ok()?;
    Some(Fingerprint { target, dev: m.dev(), ino: m.ino(), mtime: m.modified().ok(), len: m.len() })
}

/// Polls the rules file and asks for a reload when it changes. A file that is missing for a
/// moment (mid-swap) is skipped until it is back.
pub(crate) async fn watch_task(
    path: PathBuf,
    every: Duration,
    tx: mpsc::UnboundedSender<Request>,
    mut shutdown: Shutdown,
) {
    let mut last = fingerprint(&path);
    loop {
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = shutdown.wait() => return,
        }
        let now = tokio::task::spawn_blocking({
            let p = path.clone();
            move || fingerprint(&p)
        })
        .await
        .ok()
        .flatten();
        if now.is_some() && now != last {
            last = now;
            if tx.send(Request { trigger: Trigger::FileChange, reply: None }).is_err() {
                return;
            }
        }
    }
}
