//! The single-threaded stream loop: read → frame → scrub → write, per input.
//!
//! Each chunk the framer hands out is scrubbed and written at once, and the writer is flushed
//! whenever the framer has nothing more buffered (the next step would block on a read): with
//! `tail -f app.log | logscrub` a line appears as soon as it is read, while a bulk input still
//! gets one large write per read.

use std::io::{self, Read, Write};

use crate::frame::{Chunk, FrameConfig, Framer};
use crate::scrub::{Finding, Scratch, Scrubber};
use crate::stats::Stats;

/// Receives findings with their line numbers (1-based) for one input.
pub trait FindingSink {
    /// Called for each finding of a chunk; `chunk` is the scrubbed input bytes the finding's
    /// offsets point into, `first_line` the line number of the chunk's first line.
    fn findings(&mut self, chunk: &[u8], first_line: u64, findings: &[Finding]);
}

/// The per-run options of the loop.
#[derive(Debug, Clone, Copy, Default)]
pub struct StreamOptions {
    /// Framing limits.
    pub frame: FrameConfig,
}

/// Scrubs `rdr` into `out` until end of input. Returns the stats of this input.
///
/// `framer` and `scratch` are reused across inputs. Errors are I/O errors of the reader or the
/// writer; a bad line never stops the stream.
pub fn scrub_stream<R: Read + ?Sized, W: Write + ?Sized>(
    scrubber: &Scrubber,
    framer: &mut Framer,
    scratch: &mut Scratch,
    rdr: &mut R,
    out: &mut W,
    mut sink: Option<&mut dyn FindingSink>,
) -> io::Result<Stats> {
    framer.reset();
    scratch.record_findings(sink.is_some());
    let (cuts0, swallowed0) = framer.counters();
    let mut line_no: u64 = 1;
    let mut stats = Stats::default();
    while let Some(chunk) = framer.next_chunk(rdr)? {
        let is_window = matches!(chunk, Chunk::Window(_));
        let bytes = chunk.bytes();
        let scrubbed = scrubber.scrub_buf(bytes, scratch);
        scrubbed.write_to(out)?;
        let touched_end = scratch.finding_touched_end();
        if let Some(s) = sink.as_deref_mut() {
            if !scratch.findings().is_empty() {
                s.findings(bytes, line_no, scratch.findings());
            }
        }
        let mut s = scratch.take_stats();
        if is_window {
            // A window is part of a line: count the line once, when it ends.
            s.lines = 0;
        }
        line_no += memchr::memchr_iter(b'\n', bytes).count() as u64;
        stats.merge(&s);
        if is_window && touched_end {
            framer.swallow_run();
        }
        if !framer.has_buffered() {
            out.flush()?;
        }
    }
    out.flush()?;
    let (cuts, swallowed) = framer.counters();
    stats.long_line_cuts += cuts - cuts0;
    stats.oversized_runs_redacted += swallowed - swallowed0;
    Ok(stats)
}
