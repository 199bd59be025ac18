//! Ordered parallel scrubbing: one reader, N scrubbing workers, one writer.
//!
//! ```text
//! reader (caller's thread)      workers (N)                   writer (1 thread)
//!   read into an owned buffer ─▶ scrub_buf(chunk) ─────────▶ reorder by sequence number,
//!   split at the last '\n',        clean: send the buffer      write_all, flush after
//!   carry the tail                 back untouched              FLUSH_IDLE without work
//! ```
//!
//! - Each job is the whole lines of one read (so a slow producer's line leaves at once); a
//!   clean chunk is written from the very buffer it was read into.
//! - Output is strictly in input order: the writer holds finished chunks in a map until their
//!   turn. At most about `4 × N` chunks of `CHUNK` (256 KiB) bytes exist at once (queued, being
//!   scrubbed, waiting to be written), so memory stays bounded.
//! - Windows of overlong lines are scrubbed by the reader itself, in order, because whether
//!   the rest of a cut token run is swallowed depends on the result (see [`crate::frame`]).
//! - With a log format ([`scrub_parallel_format`]) workers scrub chunks through the
//!   [`FormatScrubber`]. A chunk with a CRI partial line, and every chunk while a partial
//!   group is open, is scrubbed by the reader in order instead: joining partial lines needs
//!   the previous chunk's state. Such chunks are rare (a message longer than 16 KiB).

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::format::{ChunkInfo, Format, FormatScrubber, FormatState};
use crate::frame::{FrameConfig, MIN_READ, cut_point, is_run_byte};
use crate::scrub::{Scratch, Scrubber};
use crate::stats::Stats;

/// Size of each read buffer (a chunk is the whole lines of one read).
const CHUNK: usize = 256 * 1024;

/// The writer flushes when no chunk arrived for this long.
const FLUSH_IDLE: Duration = Duration::from_millis(20);

struct Job {
    seq: u64,
    buf: Vec<u8>,
    len: usize,
    /// The first line began before this chunk (after long-line windows).
    continued: bool,
}

struct Done {
    seq: u64,
    buf: Vec<u8>,
    len: usize,
    /// The rewritten chunk, when anything changed.
    out: Option<Vec<u8>>,
    stats: Stats,
    /// `buf[..len]` is a long-line window, not scrubbed yet: the writer scrubs it when its
    /// turn comes and writes the pieces straight from `buf` and its scratch (no copy).
    window: bool,
}

type Pool = Arc<Mutex<Vec<Vec<u8>>>>;

/// How many chunks the writer has written, so the reader can wait for a window to leave
/// before reading the next one: at most one window-sized buffer (and its rewrite) is alive at
/// a time, whatever the line length. `u64::MAX` once the writer has stopped.
#[derive(Debug, Default)]
struct Progress {
    written: Mutex<u64>,
    cond: std::sync::Condvar,
    /// Whether the last window's final finding ran up to its end (set before `written`).
    touched_end: std::sync::atomic::AtomicBool,
}

impl Progress {
    fn set(&self, n: u64) {
        *self.written.lock().expect("progress lock") = n;
        self.cond.notify_all();
    }

    /// Blocks until chunk `seq` has been written (or the writer has stopped).
    fn wait_for(&self, seq: u64) {
        let mut w = self.written.lock().expect("progress lock");
        while *w <= seq {
            w = self.cond.wait(w).expect("progress lock");
        }
    }
}

/// Marks the writer stopped when it returns, on success or error, so the reader never waits
/// for a writer that is gone.
struct StopOnDrop<'a>(&'a Progress);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.set(u64::MAX);
    }
}

fn take(pool: &Pool, size: usize) -> Vec<u8> {
    let v = pool.lock().expect("pool lock").pop();
    match v {
        Some(mut v) => {
            if v.len() < size {
                v.resize(size, 0);
            }
            v
        }
        None => vec![0; size],
    }
}

/// Returns a buffer to its pool. Buffers grown past [`CHUNK`] for a long line are freed
/// instead, so a burst of long lines does not keep window-sized buffers alive.
fn give(pool: &Pool, v: Vec<u8>, cap: usize) {
    if v.capacity() > 2 * CHUNK {
        return;
    }
    let mut p = pool.lock().expect("pool lock");
    if p.len() < cap {
        p.push(v);
    }
}

/// Reads `rdr` in owned buffers and hands out whole-line chunks.
struct Chunker {
    carry: Vec<u8>,
    eof: bool,
    swallowing: bool,
    max_window: usize,
}

enum Next {
    Lines(Vec<u8>, usize),
    Window(Vec<u8>, usize),
    End,
}

impl Chunker {
    fn next<R: Read + ?Sized>(&mut self, rdr: &mut R, pool: &Pool) -> io::Result<Next> {
        let mut buf = take(pool, CHUNK.max(self.carry.len() + MIN_READ));
        let mut len = self.carry.len();
        buf[..len].copy_from_slice(&self.carry);
        self.carry.clear();
        let mut scanned = 0;
        loop {
            if self.swallowing {
                let n = buf[..len].iter().position(|&b| !is_run_byte(b)).unwrap_or(len);
                buf.copy_within(n..len, 0);
                len -= n;
                if len > 0 {
                    self.swallowing = false;
                }
            }
            if let Some(i) = memchr::memrchr(b'\n', &buf[scanned..len]) {
                let end = scanned + i + 1;
                self.carry.extend_from_slice(&buf[end..len]);
                return Ok(Next::Lines(buf, end));
            }
            scanned = len;
            if self.eof {
                if len == 0 {
                    give(pool, buf, usize::MAX);
                    return Ok(Next::End);
                }
                return Ok(Next::Lines(buf, len));
            }
            if len >= self.max_window {
                let cut = cut_point(&buf[..len]);
                self.carry.extend_from_slice(&buf[cut..len]);
                return Ok(Next::Window(buf, cut));
            }
            if buf.len() - len < MIN_READ {
                let new = (buf.len() * 2).min(self.max_window.max(len + MIN_READ));
                buf.resize(new, 0);
            }
            let room = (buf.len() - len).min(self.max_window - len);
            match rdr.read(&mut buf[len..len + room]) {
                Ok(0) => self.eof = true,
                Ok(n) => len += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// Scrubs `rdr` into `out` on `threads` worker threads; output in input order.
pub fn scrub_parallel<R: Read + ?Sized, W: Write + Send + ?Sized>(
    scrubber: &Scrubber,
    threads: usize,
    cfg: FrameConfig,
    rdr: &mut R,
    out: &mut W,
) -> io::Result<Stats> {
    let fmt = FormatScrubber::new(scrubber, Format::Raw, cfg.max_window);
    scrub_parallel_format(&fmt, threads, cfg, rdr, out)
}

/// [`scrub_parallel`] for a log format (see [`crate::format`] and the module docs).
pub fn scrub_parallel_format<R: Read + ?Sized, W: Write + Send + ?Sized>(
    fmt: &FormatScrubber<'_>,
    threads: usize,
    cfg: FrameConfig,
    rdr: &mut R,
    out: &mut W,
) -> io::Result<Stats> {
    let threads = threads.max(1);
    let in_pool: Pool = Arc::default();
    let out_pool: Pool = Arc::default();
    // The framer's floor, so `-j 1` and `-j N` cut over-long lines at the same places.
    let max_window = cfg.window();
    let (job_tx, job_rx) = sync_channel::<Job>(threads);
    let job_rx = Arc::new(Mutex::new(job_rx));
    let (done_tx, done_rx) = sync_channel::<Done>(threads * 2);

    std::thread::scope(|s| {
        for _ in 0..threads {
            let rx = Arc::clone(&job_rx);
            let tx = done_tx.clone();
            let out_pool = Arc::clone(&out_pool);
            s.spawn(move || worker(fmt, &rx, &tx, &out_pool));
        }
        let in_pool_w = Arc::clone(&in_pool);
        let out_pool_w = Arc::clone(&out_pool);
        let progress = Arc::new(Progress::default());
        let progress_w = Arc::clone(&progress);
        let scrubber = fmt.scrubber();
        let writer = s.spawn(move || {
            let _stop = StopOnDrop(&progress_w);
            write_in_order(scrubber, done_rx, out, &in_pool_w, &out_pool_w, threads * 3, &progress_w)
        });

        let read_result = read_loop(fmt, rdr, &in_pool, max_window, &job_tx, &done_tx, &progress);
        drop(job_tx);
        drop(done_tx);
        let write_result = writer.join().expect("writer thread");
        match (read_result, write_result) {
            (_, Err(e)) => Err(e),
            (Err(e), _) => Err(e),
            (Ok(()), Ok(stats)) => Ok(stats),
        }
    })
}

fn read_loop<R: Read + ?Sized>(
    fmt: &FormatScrubber<'_>,
    rdr: &mut R,
    pool: &Pool,
    max_window: usize,
    job_tx: &SyncSender<Job>,
    done_tx: &SyncSender<Done>,
    progress: &Progress,
) -> io::Result<()> {
    let mut chunker = Chunker { carry: Vec::new(), eof: false, swallowing: false, max_window };
    // The reader's own state: windows, and chunks that need the partial-line state.
    let mut st = FormatState::default();
    let mut seq = 0;
    let mut continued = false;
    let (mut cuts, mut swallowed) = (0, 0);
    loop {
        match chunker.next(rdr, pool)? {
            Next::End => break,
            Next::Lines(buf, len) => {
                if fmt.needs_order(&buf[..len], &mut st) {
                    let info = ChunkInfo { continued, first_line: 0 };
                    let o = fmt.scrub_chunk(&buf[..len], &mut st, info);
                    let out = (!o.is_unchanged()).then(|| o.to_vec());
                    let stats = st.take_stats();
                    if done_tx.send(Done { seq, buf, len, out, stats, window: false }).is_err() {
                        break;
                    }
                } else if job_tx.send(Job { seq, buf, len, continued }).is_err() {
                    break; // the writer failed; its error is reported
                }
                continued = false;
            }
            Next::Window(buf, len) => {
                if fmt.pending(&st) {
                    let o = fmt.break_groups(&mut st);
                    let out = Some(o.to_vec());
                    let stats = st.take_stats();
                    if done_tx.send(Done { seq, buf: Vec::new(), len: 0, out, stats, window: false }).is_err() {
                        break;
                    }
                    seq += 1;
                }
                cuts += 1;
                continued = true;
                // The writer scrubs the window when its turn comes and writes it from this very
                // buffer and its scratch: no copy of the rewrite, and (as the next read waits
                // for it) at most one window and its rewrite alive at a time.
                let stats = Stats::default();
                if done_tx.send(Done { seq, buf, len, out: None, stats, window: true }).is_err() {
                    break;
                }
                progress.wait_for(seq);
                if progress.touched_end.load(std::sync::atomic::Ordering::Acquire) {
                    chunker.swallowing = true;
                    swallowed += 1;
                }
            }
        }
        seq += 1;
    }
    if fmt.pending(&st) {
        let o = fmt.finish(&mut st);
        let out = Some(o.to_vec());
        let stats = st.take_stats();
        let _ = done_tx.send(Done { seq, buf: Vec::new(), len: 0, out, stats, window: false });
        seq += 1;
    }
    if cuts > 0 {
        let stats = Stats { long_line_cuts: cuts, oversized_runs_redacted: swallowed, ..Stats::default() };
        let _ = done_tx.send(Done { seq, buf: Vec::new(), len: 0, out: None, stats, window: false });
    }
    Ok(())
}

fn worker(fmt: &FormatScrubber<'_>, rx: &Mutex<Receiver<Job>>, tx: &SyncSender<Done>, out_pool: &Pool) {
    let mut scratch = Scratch::default();
    let mut st = FormatState::worker();
    loop {
        let job = match rx.lock().expect("job lock").recv() {
            Ok(j) => j,
            Err(_) => return,
        };
        let chunk = &job.buf[..job.len];
        let (out, stats) = if fmt.format() == Format::Raw {
            let scrubbed = fmt.scrubber().scrub_buf(chunk, &mut scratch);
            let out = (!scrubbed.is_unchanged()).then(|| {
                let mut v = out_pool.lock().expect("pool lock").pop().unwrap_or_default();
                v.clear();
                scrubbed.write_to(&mut v).expect("writing to a Vec cannot fail");
                v
            });
            (out, scratch.take_stats())
        } else {
            let o = fmt.scrub_chunk(chunk, &mut st, ChunkInfo { continued: job.continued, first_line: 0 });
            let out = (!o.is_unchanged()).then(|| {
                let mut v = out_pool.lock().expect("pool lock").pop().unwrap_or_default();
                v.clear();
                o.write_to(&mut v).expect("writing to a Vec cannot fail");
                v
            });
            (out, st.take_stats())
        };
        if tx.send(Done { seq: job.seq, buf: job.buf, len: job.len, out, stats, window: false }).is_err() {
            return;
        }
    }
}

fn write_in_order<W: Write + ?Sized>(
    scrubber: &Scrubber,
    rx: Receiver<Done>,
    out: &mut W,
    in_pool: &Pool,
    out_pool: &Pool,
    keep: usize,
    progress: &Progress,
) -> io::Result<Stats> {
    let mut pending: BTreeMap<u64, Done> = BTreeMap::new();
    let mut scratch = Scratch::default();
    let mut next = 0;
    let mut stats = Stats::default();
    let mut dirty = false;
    loop {
        match rx.recv_timeout(FLUSH_IDLE) {
            Ok(d) => {
                pending.insert(d.seq, d);
                while let Some(d) = pending.remove(&next) {
                    if d.window {
                        // A window is part of a line: its line is counted once, when it ends.
                        scrubber.scrub_buf_uncounted(&d.buf[..d.len], &mut scratch).write_to(out)?;
                        let touched = scratch.finding_touched_end();
                        progress.touched_end.store(touched, std::sync::atomic::Ordering::Release);
                        stats.merge(&scratch.take_stats());
                    }
                    match &d.out {
                        Some(o) => out.write_all(o)?,
                        None if d.window => {}
                        None => out.write_all(&d.buf[..d.len])?,
                    }
                    stats.merge(&d.stats);
                    dirty = true;
                    next += 1;
                    // Buffers go back (or are freed) before the reader may read on.
                    if !d.buf.is_empty() {
                        give(in_pool, d.buf, keep);
                    }
                    if let Some(o) = d.out {
                        give(out_pool, o, keep);
                    }
                    progress.set(next);
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                if dirty {
                    out.flush()?;
                    dirty = false;
                }
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    debug_assert!(pending.is_empty(), "every chunk is written");
    out.flush()?;
    Ok(stats)
}
