//! From a source's bytes to the output queues: scrub, fan out, account, acknowledge.
//!
//! ```text
//! source ─read─▶ LineFramer ─Frame─▶ Source::scrub (ArcSwap<Scrubber>, own Scratch)
//!        ─Bytes─▶ Fanout ─Batch─▶ one bounded queue per output ─▶ output task ─▶ Ack
//! ```
//!
//! A [`Batch`] is every complete line of one read, as one shared [`Bytes`] (the input buffer
//! itself when nothing was found). Each output queue is bounded in lines and in bytes by two
//! semaphores whose permits travel with the batch and are released once it is written: with
//! [`DropPolicy::Block`] a full queue makes the source wait (and so the writer, through the
//! socket's flow control), with [`DropPolicy::Drop`] the batch is counted and dropped.
//! A batch read from a file carries an [`Ack`]; when every output has written it, the file's
//! committed offset moves ([`super::state`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use arc_swap::ArcSwap;
use bytes::{BufMut, Bytes, BytesMut};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use super::config::DropPolicy;
use super::lines::{Frame, LineFramer};
use super::metrics::Metrics;
use super::state::FileCursor;
use crate::frame::is_run_byte;
use crate::{Scratch, Scrubber};

/// The scrubber every source uses; a reload swaps it.
pub(crate) type SharedScrubber = Arc<ArcSwap<Scrubber>>;

/// Acknowledges a file batch once every output wrote it.
#[derive(Debug)]
pub(crate) struct Ack {
    cursor: Arc<FileCursor>,
    generation: u64,
    offset: u64,
    remaining: AtomicUsize,
}

impl Ack {
    /// One output wrote (or deliberately dropped) the batch.
    pub(crate) fn done(&self) {
        if self.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.cursor.commit(self.generation, self.offset);
        }
    }
}

/// Lines on their way to one output.
#[derive(Debug)]
pub(crate) struct Batch {
    pub(crate) data: Bytes,
    pub(crate) lines: u64,
    pub(crate) ack: Option<Arc<Ack>>,
    _permits: (OwnedSemaphorePermit, OwnedSemaphorePermit),
}

/// The sending side of one output's queue.
#[derive(Debug)]
pub(crate) struct OutputQueue {
    pub(crate) idx: usize,
    tx: mpsc::UnboundedSender<Batch>,
    lines: Arc<Semaphore>,
    bytes: Arc<Semaphore>,
    cap_lines: u32,
    cap_bytes: u32,
}

impl OutputQueue {
    /// A queue holding at most `lines` lines and `bytes` bytes, and its receiving end.
    pub(crate) fn new(idx: usize, lines: usize, bytes: usize) -> (OutputQueue, mpsc::UnboundedReceiver<Batch>) {
        let cap_lines = u32::try_from(lines).unwrap_or(u32::MAX).max(1);
        let cap_bytes = u32::try_from(bytes).unwrap_or(u32::MAX).max(1);
        let (tx, rx) = mpsc::unbounded_channel();
        let q = OutputQueue {
            idx,
            tx,
            lines: Arc::new(Semaphore::new(cap_lines as usize)),
            bytes: Arc::new(Semaphore::new(cap_bytes as usize)),
            cap_lines,
            cap_bytes,
        };
        (q, rx)
    }

    /// The line permits (the queue-depth gauge reads them).
    pub(crate) fn line_permits(&self) -> (Arc<Semaphore>, usize) {
        (self.lines.clone(), self.cap_lines as usize)
    }
}

/// Sends one source's batches to the outputs it is routed to.
#[derive(Debug)]
pub(crate) struct Fanout {
    pub(crate) targets: Vec<Arc<OutputQueue>>,
    pub(crate) policy: DropPolicy,
    pub(crate) metrics: Arc<Metrics>,
}

impl Fanout {
    /// Queues `data` (`lines` lines) on every target; `ack`: the file offset it ends at.
    pub(crate) async fn send(&self, data: Bytes, lines: u64, ack: Option<(&Arc<FileCursor>, u64)>) {
        let ack = ack.map(|(cursor, offset)| {
            Arc::new(Ack {
                cursor: cursor.clone(),
                generation: cursor.generation(),
                offset,
                remaining: AtomicUsize::new(self.targets.len()),
            })
        });
        if self.targets.is_empty() {
            return;
        }
        for q in &self.targets {
            let nl = u32::try_from(lines).unwrap_or(u32::MAX).min(q.cap_lines);
            let nb = u32::try_from(data.len()).unwrap_or(u32::MAX).min(q.cap_bytes);
            let permits = match self.policy {
                DropPolicy::Block => {
                    match (q.lines.clone().acquire_many_owned(nl).await, q.bytes.clone().acquire_many_owned(nb).await) {
                        (Ok(l), Ok(b)) => Some((l, b)),
                        _ => None,
                    }
                }
                DropPolicy::Drop => {
                    match (q.lines.clone().try_acquire_many_owned(nl), q.bytes.clone().try_acquire_many_owned(nb)) {
                        (Ok(l), Ok(b)) => Some((l, b)),
                        _ => None,
                    }
                }
            };
            let Some(permits) = permits else {
                self.metrics.outputs[q.idx].dropped.fetch_add(lines, Ordering::Relaxed);
                if let Some(a) = &ack {
                    a.done();
                }
                continue;
            };
            let batch = Batch { data: data.clone(), lines, ack: ack.clone(), _permits: permits };
            if q.tx.send(batch).is_err() {
                // The output task is gone (forced stop): the lines are not written, not acked.
                self.metrics.outputs[q.idx].dropped.fetch_add(lines, Ordering::Relaxed);
            }
        }
    }
}

/// One source (connection, file, stdin): its framer, scratch and route.
#[derive(Debug)]
pub(crate) struct Source {
    pub(crate) framer: LineFramer,
    scratch: Scratch,
    scrubber: SharedScrubber,
    fanout: Arc<Fanout>,
    input: usize,
}

impl Source {
    pub(crate) fn new(max_line: usize, scrubber: SharedScrubber, fanout: Arc<Fanout>, input: usize) -> Source {
        Source { framer: LineFramer::new(max_line), scratch: Scratch::default(), scrubber, fanout, input }
    }

    /// Scrubs and queues every frame of what was read. `file`: the cursor and the file
    /// offset just past the bytes read, so each batch acknowledges the offset it ends at.
    pub(crate) async fn pump(&mut self, file: Option<(&Arc<FileCursor>, u64)>) {
        while let Some(frame) = self.framer.next_frame() {
            let ack = file.map(|(c, pos)| (c, pos - self.framer.buffered() as u64));
            match frame {
                Frame::Lines(b) => {
                    let (out, lines) = self.scrub_lines(b);
                    self.fanout.send(out, lines, ack).await;
                }
                Frame::Window(w) => {
                    let (out, touched_end) = self.scrub_window(&w);
                    if touched_end {
                        self.framer.swallow_run();
                    }
                    self.fanout.send(out, 1, ack).await;
                }
            }
        }
    }

    /// At the end of a source (or of a rotated file): queues the partial last line, with a
    /// `\n` appended, so it cannot join another source's line.
    pub(crate) async fn finish(&mut self, file: Option<(&Arc<FileCursor>, u64)>) {
        if let Some(b) = self.framer.finish() {
            let (out, lines) = self.scrub_lines(b);
            self.fanout.send(out, lines, file).await;
        }
    }

    /// When the server ends a connection mid-line (idle timeout, drain deadline, read error),
    /// the partial line is cut, not ended by its writer. It is scrubbed and queued with a `\n`
    /// as [`Source::finish`] does, and, fail closed, a run of token bytes at its end that no
    /// finding reached is replaced by the marker: it may be the start of a secret whose rest
    /// never came (a capped CRI group ends the same way, `src/format/mod.rs`).
    pub(crate) async fn finish_cut(&mut self) {
        let Some(line) = self.framer.finish() else { return };
        let body = &line[..line.len() - 1];
        let scrubber = self.scrubber.load();
        let mut data = scrubber.scrub_buf(body, &mut self.scratch).to_vec();
        if !self.scratch.finding_touched_end() {
            let run = data.iter().rev().take_while(|&&b| is_run_byte(b)).count();
            if run > 0 {
                data.truncate(data.len() - run);
                data.extend_from_slice(scrubber.rules().redacted_marker().as_bytes());
            }
        }
        data.push(b'\n');
        let stats = self.scratch.take_stats();
        self.fanout.metrics.inputs[self.input].add(&stats);
        self.fanout.send(Bytes::from(data), stats.lines, None).await;
    }

    fn scrub_lines(&mut self, b: Bytes) -> (Bytes, u64) {
        let scrubber = self.scrubber.load();
        let out = scrubber.scrub_buf(&b, &mut self.scratch);
        let data = if out.is_unchanged() { b.clone() } else { Bytes::from(out.to_vec()) };
        let stats = self.scratch.take_stats();
        self.fanout.metrics.inputs[self.input].add(&stats);
        (data, stats.lines)
    }

    fn scrub_window(&mut self, w: &[u8]) -> (Bytes, bool) {
        let scrubber = self.scrubber.load();
        let out = scrubber.scrub_buf(w, &mut self.scratch);
        let mut data = BytesMut::with_capacity(out.len() + 1);
        if out.is_unchanged() {
            data.extend_from_slice(w);
        } else {
            data.extend_from_slice(&out.to_vec());
        }
        data.put_u8(b'\n');
        let touched_end = self.scratch.finding_touched_end();
        let stats = self.scratch.take_stats();
        let m = &self.fanout.metrics.inputs[self.input];
        m.add(&stats);
        m.long_line_cuts.fetch_add(1, Ordering::Relaxed);
        if touched_end {
            m.oversized_runs.fetch_add(1, Ordering::Relaxed);
        }
        (data.freeze(), touched_end)
    }
}
