//! Read offsets of followed files, kept in `STATE_DIR/offsets.json`.
//!
//! A file is known by its identity, not its name: `(device, inode)` plus a checksum of its
//! first bytes (up to [`HEAD`]), as Vector's file source does, so a new file that reuses a
//! deleted file's inode number starts from 0 instead of inheriting a stale offset. A rotated
//! file found again under its new name (a glob matching `app.log.1`) resumes where its old
//! name left off.
//!
//! The offset saved is the *committed* one: the end of the last line every output has
//! written ([`super::pipeline::Ack`]). A partial last line is never committed, so a restart
//! reads it again, whole. Offsets are saved when they change, at most once per second, and
//! once more after the final drain: a graceful restart neither loses nor repeats a line; a
//! crash repeats at most the last second.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

/// Bytes of a file's start that identify it.
pub(crate) const HEAD: u64 = 256;

/// Files remembered at most (followed ones, and rotated ones kept for a rediscovery).
const MAX_ENTRIES: usize = 10_000;

/// FNV-1a, 64 bits: a stable checksum (std's hasher may change between releases).
fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Checksum of the first `len` bytes of `file`; `None` when it is shorter.
pub(crate) fn head_hash(file: &File, len: u64) -> Option<u64> {
    let mut buf = vec![0u8; len as usize];
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], done as u64) {
            Ok(0) => return None,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    Some(fnv1a(&buf))
}

#[derive(Debug, Serialize, Deserialize)]
struct Saved {
    version: u32,
    files: Vec<Entry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    path: String,
    dev: u64,
    ino: u64,
    offset: u64,
    head_len: u64,
    head_hash: u64,
}

/// Wakes the saver when an offset moved.
#[derive(Debug, Default)]
pub(crate) struct Dirty {
    flag: AtomicBool,
    notify: Notify,
}

impl Dirty {
    fn mark(&self) {
        if !self.flag.swap(true, Ordering::AcqRel) {
            self.notify.notify_one();
        }
    }
}

#[derive(Debug)]
struct CursorState {
    /// Bumped on truncation: acks of the old content no longer count.
    generation: u64,
    committed: u64,
    /// End of what was read and handed to the queues (lines and flushed partials).
    read_end: u64,
    head_len: u64,
    head_hash: u64,
}

/// One followed file's offsets.
#[derive(Debug)]
pub(crate) struct FileCursor {
    dev: u64,
    ino: u64,
    path: String,
    state: Mutex<CursorState>,
    dirty: Arc<Dirty>,
    retired: AtomicBool,
    order: AtomicU64,
}

impl FileCursor {
    fn lock(&self) -> MutexGuard<'_, CursorState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The generation acks must carry to count.
    pub(crate) fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Every output wrote the lines up to `offset`.
    pub(crate) fn commit(&self, generation: u64, offset: u64) {
        let mut st = self.lock();
        if st.generation == generation && offset > st.committed {
            st.committed = offset;
            drop(st);
            self.dirty.mark();
        }
    }

    /// Lines up to `offset` were handed to the queues.
    pub(crate) fn set_read_end(&self, offset: u64) {
        self.lock().read_end = offset;
    }

    /// The file shrank: start over at 0.
    pub(crate) fn truncated(&self) {
        let mut st = self.lock();
        st.generation += 1;
        st.committed = 0;
        st.read_end = 0;
        st.head_len = 0;
        st.head_hash = fnv1a(b"");
        drop(st);
        self.dirty.mark();
    }

    /// Whether the identifying head is still shorter than [`HEAD`] and `pos` allows more.
    pub(crate) fn head_short(&self, pos: u64) -> bool {
        let st = self.lock();
        st.head_len < HEAD && pos > st.head_len
    }

    /// Records a longer identifying head.
    pub(crate) fn set_head(&self, len: u64, hash: u64) {
        let mut st = self.lock();
        st.head_len = len;
        st.head_hash = hash;
    }

    fn entry(&self) -> Entry {
        let st = self.lock();
        Entry {
            path: self.path.clone(),
            dev: self.dev,
            ino: self.ino,
            offset: st.committed,
            head_len: st.head_len,
            head_hash: st.head_hash,
        }
    }
}

#[derive(Debug)]
enum Known {
    /// Loaded from the state file, not opened in this run yet.
    Saved(Entry),
    /// Opened in this run (followed, or retired after a rotation).
    Live(Arc<FileCursor>),
}

/// All offsets; see the module docs.
#[derive(Debug)]
pub(crate) struct StateStore {
    file: Option<PathBuf>,
    known: Mutex<HashMap<(u64, u64), Known>>,
    dirty: Arc<Dirty>,
    order: AtomicU64,
    save_lock: Mutex<()>,
}

impl StateStore {
    /// Loads `dir/offsets.json` (creating `dir`); `None`: nothing is kept.
    pub(crate) fn open(dir: Option<&Path>) -> io::Result<StateStore> {
        let mut known = HashMap::new();
        let file = match dir {
            None => None,
            Some(d) => {
                std::fs::create_dir_all(d)?;
                let f = d.join("offsets.json");
                match std::fs::read(&f) {
                    Ok(bytes) => match serde_json::from_slice::<Saved>(&bytes) {
                        Ok(saved) => {
                            for e in saved.files {
                                known.insert((e.dev, e.ino), Known::Saved(e));
                            }
                        }
                        Err(e) => tracing::warn!(file = %f.display(), error = %e, "ignoring unreadable offsets file"),
                    },
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
                Some(f)
            }
        };
        Ok(StateStore {
            file,
            known: Mutex::new(known),
            dirty: Arc::new(Dirty::default()),
            order: AtomicU64::new(0),
            save_lock: Mutex::new(()),
        })
    }

    /// Whether offsets are kept across restarts.
    pub(crate) fn persistent(&self) -> bool {
        self.file.is_some()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<(u64, u64), Known>> {
        self.known.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts following the file `file` (at `path`, `len` bytes long): where to start reading,
    /// and its cursor. `None` when another follower has this very file open (a second name
    /// for it): the caller tries again later.
    pub(crate) fn track(
        &self,
        path: &Path,
        file: &File,
        dev: u64,
        ino: u64,
        len: u64,
    ) -> Option<(u64, Arc<FileCursor>)> {
        let mut known = self.lock();
        let resume = match known.get(&(dev, ino)) {
            Some(Known::Live(c)) if !c.retired.load(Ordering::Acquire) => return None,
            Some(Known::Live(c)) => {
                let st = c.lock();
                Some((st.read_end, st.committed, st.head_len, st.head_hash))
            }
            Some(Known::Saved(e)) => Some((e.offset, e.offset, e.head_len, e.head_hash)),
            None => None,
        };
        let start = match resume {
            Some((read_end, _, head_len, hash)) if read_end <= len && head_hash(file, head_len) == Some(hash) => {
                read_end
            }
            _ => 0,
        };
        let committed = match resume {
            Some((_, committed, _, _)) if start > 0 => committed.min(start),
            _ => 0,
        };
        let head_len = len.min(HEAD);
        let hash = head_hash(file, head_len).unwrap_or_else(|| fnv1a(b""));
        let cursor = Arc::new(FileCursor {
            dev,
            ino,
            path: path.to_string_lossy().into_owned(),
            state: Mutex::new(CursorState { generation: 0, committed, read_end: start, head_len, head_hash: hash }),
            dirty: self.dirty.clone(),
            retired: AtomicBool::new(false),
            order: AtomicU64::new(self.order.fetch_add(1, Ordering::Relaxed)),
        });
        known.insert((dev, ino), Known::Live(cursor.clone()));
        if known.len() > MAX_ENTRIES {
            evict(&mut known);
        }
        drop(known);
        self.dirty.mark();
        Some((start, cursor))
    }

    /// The follower let go of this file (rotated away, deleted, or the input stopped); its
    /// offsets stay known, so it resumes if found again.
    pub(crate) fn retire(&self, cursor: &FileCursor) {
        cursor.retired.store(true, Ordering::Release);
        cursor.order.store(self.order.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
    }

    /// Writes the offsets file (temporary file, then rename) when anything changed.
    pub(crate) fn save_if_dirty(&self) -> io::Result<()> {
        if !self.dirty.flag.swap(false, Ordering::AcqRel) {
            return Ok(());
        }
        let r = self.save();
        if r.is_err() {
            self.dirty.flag.store(true, Ordering::Release);
        }
        r
    }

    fn save(&self) -> io::Result<()> {
        let Some(file) = &self.file else { return Ok(()) };
        let _one_at_a_time = self.save_lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut files: Vec<Entry> = self
            .lock()
            .values()
            .map(|k| match k {
                Known::Saved(e) => e.clone(),
                Known::Live(c) => c.entry(),
            })
            .collect();
        files.sort_by(|a, b| a.path.cmp(&b.path).then(a.ino.cmp(&b.ino)));
        let json = serde_json::to_vec_pretty(&Saved { version: 1, files }).map_err(io::Error::other)?;
        let tmp = file.with_extension("json.tmp");
        {
            use std::io::Write as _;
            let mut f = File::create(&tmp)?;
            f.write_all(&json)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, file)
    }

    /// Resolves when an offset moved.
    pub(crate) async fn changed(&self) {
        if self.dirty.flag.load(Ordering::Acquire) {
            return;
        }
        self.dirty.notify.notified().await;
    }
}

/// Drops the oldest retired or saved entries down to [`MAX_ENTRIES`].
fn evict(known: &mut HashMap<(u64, u64), Known>) {
    let mut old: Vec<((u64, u64), u64)> = known
        .iter()
        .filter_map(|(k, v)| match v {
            Known::Saved(_) => Some((*k, 0)),
            Known::Live(c) if c.retired.load(Ordering::Acquire) => Some((*k, c.order.load(Ordering::Relaxed))),
            Known::Live(_) => None,
        })
        .collect();
    old.sort_by_key(|&(_, o)| o);
    let excess = known.len().saturating_sub(MAX_ENTRIES);
    for (k, _) in old.into_iter().take(excess) {
        known.remove(&k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn offsets_survive_a_restart_only_for_the_same_file() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("app.log");
        std::fs::write(&log, b"one\ntwo\n").unwrap();
        let f = File::open(&log).unwrap();
        let m = f.metadata().unwrap();
        {
            let store = StateStore::open(Some(dir.path())).unwrap();
            let (start, c) = store.track(&log, &f, m.dev(), m.ino(), m.len()).unwrap();
            assert_eq!(start, 0);
            c.set_read_end(8);
            c.commit(c.generation(), 4);
            store.save_if_dirty().unwrap();
        }
        let store = StateStore::open(Some(dir.path())).unwrap();
        assert_eq!(store.track(&log, &f, m.dev(), m.ino(), m.len()).unwrap().0, 4);
        // Same inode, different content: start over.
        std::fs::write(&log, b"ONE\nTWO\n").unwrap();
        let store = StateStore::open(Some(dir.path())).unwrap();
        let f = File::open(&log).unwrap();
        assert_eq!(store.track(&log, &f, m.dev(), m.ino(), 8).unwrap().0, 0);
    }

    #[test]
    fn a_file_open_under_another_name_is_not_followed_twice() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("a.log");
        std::fs::write(&log, b"x\n").unwrap();
        let f = File::open(&log).unwrap();
        let m = f.metadata().unwrap();
        let store = StateStore::open(None).unwrap();
        let (_, c) = store.track(&log, &f, m.dev(), m.ino(), 2).unwrap();
        assert!(store.track(&log, &f, m.dev(), m.ino(), 2).is_none());
        c.set_read_end(2);
        store.retire(&c);
        assert_eq!(store.track(&log, &f, m.dev(), m.ino(), 2).unwrap().0, 2, "a rotated file resumes");
    }
}
