//! Files followed like `tail -F`, and globs that find new files.
//!
//! A follower reads its path to the end, then polls (every `file_poll_interval`):
//!
//! - **growth**: read on;
//! - **rotation** (the path now names another inode, or is gone): read the old file to its
//!   end once more, queue its partial last line, then open the new file from offset 0;
//! - **truncation** (the open file is shorter than the read offset, as with logrotate's
//!   `copytruncate`): queue the partial line and start again at 0. A truncation followed by
//!   writes that outgrow the old offset before the next poll cannot be seen (as with
//!   `tail -F`).
//!
//! Where reading starts, and the committed offsets, come from [`StateStore`]: a file seen
//! before resumes at its committed offset, a new one starts at 0. Offsets move only once
//! every output wrote the lines (see [`super::super::pipeline::Ack`]).
//!
//! A glob (`*`, `?`, `[`) is matched again every `glob_interval`; each new match gets a
//! follower, which ends when its file is deleted. Two names for one file (a symlink and its
//! target both matched) are followed once.

use std::fs::File;
use std::io::{self, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio::task::JoinSet;

use super::InputShared;
use crate::sidecar::state::{FileCursor, HEAD, StateStore, head_hash};

/// Whether a `file:` path is a glob.
pub(crate) fn is_glob(path: &Path) -> bool {
    path.to_string_lossy().contains(['*', '?', '['])
}

/// How files are followed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FollowOpts {
    pub(crate) poll: Duration,
    pub(crate) glob_interval: Duration,
}

/// Follows `path`, or every file its glob matches, until shutdown.
pub(crate) async fn file_input(path: PathBuf, sh: Arc<InputShared>, store: Arc<StateStore>, opts: FollowOpts) {
    if !is_glob(&path) {
        follow(path, sh, store, opts, false).await;
        return;
    }
    let pattern = path.to_string_lossy().into_owned();
    let followed: Arc<Mutex<std::collections::HashSet<PathBuf>>> = Arc::default();
    let mut tasks = JoinSet::new();
    let mut shutdown = sh.shutdown.clone();
    loop {
        match glob::glob(&pattern) {
            Ok(paths) => {
                for p in paths.flatten() {
                    if !p.is_file() {
                        continue;
                    }
                    let new = followed.lock().unwrap_or_else(|e| e.into_inner()).insert(p.clone());
                    if new {
                        let (sh, store, followed) = (sh.clone(), store.clone(), followed.clone());
                        tasks.spawn(async move {
                            follow(p.clone(), sh, store, opts, true).await;
                            followed.lock().unwrap_or_else(|e| e.into_inner()).remove(&p);
                        });
                    }
                }
            }
            Err(e) => {
                tracing::error!(input = %sh.name, error = %e, "bad glob");
                return;
            }
        }
        while tasks.try_join_next().is_some() {}
        tokio::select! {
            () = tokio::time::sleep(opts.glob_interval) => {}
            () = shutdown.wait() => break,
        }
    }
    while tasks.join_next().await.is_some() {}
}

/// An open followed file.
struct Open {
    file: tokio::fs::File,
    /// A second handle for reading the identifying head without moving `file`'s offset.
    head: File,
    cursor: Arc<FileCursor>,
    dev: u64,
    ino: u64,
    /// File offset just past the bytes read.
    pos: u64,
}

enum OpenError {
    Gone,
    /// The same file is followed under another name.
    Busy,
    Io(io::Error),
}

async fn open(path: &Path, store: &StateStore) -> Result<Open, OpenError> {
    let std_file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(OpenError::Gone),
        Err(e) => return Err(OpenError::Io(e)),
    };
    let meta = std_file.metadata().map_err(OpenError::Io)?;
    let (dev, ino) = (meta.dev(), meta.ino());
    let Some((start, cursor)) = store.track(path, &std_file, dev, ino, meta.len()) else {
        return Err(OpenError::Busy);
    };
    let head = std_file.try_clone().map_err(OpenError::Io)?;
    let mut file = tokio::fs::File::from_std(std_file);
    if start > 0 {
        file.seek(SeekFrom::Start(start)).await.map_err(OpenError::Io)?;
    }
    Ok(Open { file, head, cursor, dev, ino, pos: start })
}

/// Follows one path; `ephemeral`: found by a glob, so it ends when the file is deleted.
async fn follow(path: PathBuf, sh: Arc<InputShared>, store: Arc<StateStore>, opts: FollowOpts, ephemeral: bool) {
    let mut src = sh.source();
    let mut shutdown = sh.shutdown.clone();
    let m = &sh.metrics.inputs[sh.idx];
    let mut cur: Option<Open> = None;
    let mut warned = false;
    loop {
        let Some(f) = cur.as_mut() else {
            if shutdown.is_set() {
                break;
            }
            match open(&path, &store).await {
                Ok(o) => {
                    tracing::debug!(input = %sh.name, file = %path.display(), offset = o.pos, "following");
                    m.files.fetch_add(1, Relaxed);
                    cur = Some(o);
                    warned = false;
                    continue;
                }
                Err(OpenError::Gone | OpenError::Busy) if ephemeral => break,
                Err(OpenError::Gone | OpenError::Busy) => {}
                Err(OpenError::Io(e)) => {
                    m.errors.fetch_add(1, Relaxed);
                    if !warned {
                        tracing::warn!(input = %sh.name, file = %path.display(), error = %e, "cannot open; retrying");
                        warned = true;
                    }
                    if ephemeral {
                        break;
                    }
                }
            }
            tokio::select! {
                () = tokio::time::sleep(opts.poll) => {}
                () = shutdown.wait() => {}
            }
            continue;
        };
        if shutdown.deadline().is_some_and(|d| tokio::time::Instant::now() >= d) {
            break;
        }
        match f.file.read_buf(src.framer.read_buf()).await {
            Ok(n) if n > 0 => {
                f.pos += n as u64;
                src.pump(Some((&f.cursor, f.pos))).await;
                f.cursor.set_read_end(f.pos - src.framer.buffered() as u64);
                if f.cursor.head_short(f.pos) {
                    let len = f.pos.min(HEAD);
                    if let Some(h) = head_hash(&f.head, len) {
                        f.cursor.set_head(len, h);
                    }
                }
                continue;
            }
            Ok(_) => {}
            Err(e) => {
                m.errors.fetch_add(1, Relaxed);
                tracing::warn!(input = %sh.name, file = %path.display(), error = %e, "read failed; reopening");
                close(&mut cur, &mut src, &store, m, false).await;
                continue;
            }
        }
        // At the end of the file.
        if shutdown.is_set() {
            break;
        }
        let replaced = match tokio::fs::metadata(&path).await {
            Ok(meta) => (meta.dev(), meta.ino()) != (f.dev, f.ino),
            Err(_) => true,
        };
        if replaced {
            // Rotated or deleted: whatever was appended to the old file before the switch.
            while let Ok(n) = f.file.read_buf(src.framer.read_buf()).await {
                if n == 0 {
                    break;
                }
                f.pos += n as u64;
                src.pump(Some((&f.cursor, f.pos))).await;
            }
            tracing::debug!(input = %sh.name, file = %path.display(), "rotated or removed");
            close(&mut cur, &mut src, &store, m, true).await;
            continue;
        }
        let len = match f.file.metadata().await {
            Ok(meta) => meta.len(),
            Err(_) => f.pos,
        };
        if len < f.pos {
            tracing::debug!(input = %sh.name, file = %path.display(), "truncated; reading from the start");
            src.finish(Some((&f.cursor, f.pos))).await;
            src.framer.clear();
            f.cursor.truncated();
            if f.file.seek(SeekFrom::Start(0)).await.is_err() {
                close(&mut cur, &mut src, &store, m, false).await;
            } else {
                f.pos = 0;
            }
            continue;
        }
        tokio::select! {
            () = tokio::time::sleep(opts.poll) => {}
            () = shutdown.wait() => {}
        }
    }
    if cur.is_some() {
        // Without kept offsets the partial line would be lost: queue it. With them, it is
        // read again (whole) after a restart.
        let flush = !store.persistent();
        close(&mut cur, &mut src, &store, m, flush).await;
    }
}

/// Lets go of the open file; `flush`: queue its partial last line first.
async fn close(
    cur: &mut Option<Open>,
    src: &mut super::Source,
    store: &StateStore,
    m: &super::super::metrics::InputMetrics,
    flush: bool,
) {
    if let Some(f) = cur.take() {
        if flush {
            src.finish(Some((&f.cursor, f.pos))).await;
            f.cursor.set_read_end(f.pos);
        }
        src.framer.clear();
        store.retire(&f.cursor);
        m.files.fetch_sub(1, Relaxed);
    }
}
