//! The single-threaded stream loop: read → frame → scrub → write, per input.
//!
//! Each chunk the framer hands out is scrubbed and written at once, and the writer is flushed
//! whenever the framer has nothing more buffered (the next step would block on a read): with
//! `tail -f app.log | logscrub` a line appears as soon as it is read, while a bulk input still
//! gets one large write per read.
//!
//! [`scrub_stream`] scrubs raw text; [`scrub_stream_format`] reads a log [`Format`] through
//! a [`FormatScrubber`] (long-line windows are scrubbed raw in both).

use std::io::{self, Read, Write};

use crate::format::{ChunkInfo, Format, FormatScrubber, FormatState, Output};
use crate::frame::{Chunk, FrameConfig, Framer};
use crate::scrub::{Finding, Scratch, Scrubber};
use crate::stats::Stats;

/// Receives findings with their line numbers (1-based) for one input.
pub trait FindingSink {
    /// Called for each finding of a chunk; `chunk` is the scrubbed input bytes the finding's
    /// offsets point into, `first_line` the line number of the chunk's first line, and
    /// `col_base` the bytes of that line that came before the chunk (non-zero after long-line
    /// windows): columns on the chunk's first line are offset by it.
    fn findings(&mut self, chunk: &[u8], first_line: u64, col_base: u64, findings: &[Finding]);
}

/// The per-run options of the loop.
#[derive(Debug, Clone, Copy, Default)]
pub struct StreamOptions {
    /// Framing limits.
    pub frame: FrameConfig,
}

/// Where the next chunk starts: its line number and the bytes of its first line already seen.
/// Only findings need it (and the format layer only when recording findings), so the loops
/// advance it only when there is a finding sink: counting lines is a pass over every byte.
#[derive(Debug, Clone, Copy)]
struct Position {
    line: u64,
    col_base: u64,
}

impl Position {
    fn new() -> Position {
        Position { line: 1, col_base: 0 }
    }

    fn advance(&mut self, bytes: &[u8]) {
        match memchr::memrchr(b'\n', bytes) {
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', bytes).count() as u64;
                self.col_base = (bytes.len() - last - 1) as u64;
            }
            None => self.col_base += bytes.len() as u64,
        }
    }
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
    let mut at = Position::new();
    let mut stats = Stats::default();
    while let Some(chunk) = framer.next_chunk(rdr)? {
        let is_window = matches!(chunk, Chunk::Window(_));
        let bytes = chunk.bytes();
        let scrubbed =
            if is_window { scrubber.scrub_buf_uncounted(bytes, scratch) } else { scrubber.scrub_buf(bytes, scratch) };
        scrubbed.write_to(out)?;
        let touched_end = scratch.finding_touched_end();
        if let Some(s) = sink.as_deref_mut() {
            if !scratch.findings().is_empty() {
                s.findings(bytes, at.line, at.col_base, scratch.findings());
            }
        }
        // A window is part of a line (not counted): the line counts once, when it ends.
        let s = scratch.take_stats();
        if sink.is_some() {
            at.advance(bytes);
        }
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

/// Writes a format layer's output and hands its findings to the sink.
fn emit<'d, W: Write + ?Sized>(
    o: &Output<'_>,
    bytes: &[u8],
    at: Position,
    out: &mut W,
    sink: Option<&mut (dyn FindingSink + 'd)>,
) -> io::Result<()> {
    o.write_to(out)?;
    if let Some(s) = sink {
        if !o.findings().is_empty() {
            s.findings(bytes, at.line, at.col_base, o.findings());
        }
        for g in o.group_reports() {
            s.findings(&g.bytes, g.first_line, g.col_base, &g.findings);
        }
    }
    Ok(())
}

/// [`scrub_stream`] for a log format: each chunk of whole lines goes through `fmt` (see
/// [`crate::format`]); long-line windows are scrubbed raw, after open CRI partial groups are
/// closed; at the end of the input open groups are written out. With [`Format::Raw`] this is
/// exactly [`scrub_stream`].
pub fn scrub_stream_format<R: Read + ?Sized, W: Write + ?Sized>(
    fmt: &FormatScrubber<'_>,
    framer: &mut Framer,
    state: &mut FormatState,
    rdr: &mut R,
    out: &mut W,
    mut sink: Option<&mut dyn FindingSink>,
) -> io::Result<Stats> {
    if fmt.format() == Format::Raw {
        return scrub_stream(fmt.scrubber(), framer, state.scratch_mut(), rdr, out, sink);
    }
    framer.reset();
    state.reset();
    state.record_findings(sink.is_some());
    let (cuts0, swallowed0) = framer.counters();
    let mut at = Position::new();
    let mut stats = Stats::default();
    let mut continued = false;
    while let Some(chunk) = framer.next_chunk(rdr)? {
        match chunk {
            Chunk::Window(bytes) => {
                if fmt.pending(state) {
                    let o = fmt.break_groups(state);
                    emit(&o, b"", at, out, sink.as_deref_mut())?;
                    stats.merge(&state.take_stats());
                }
                let scratch = state.scratch_mut();
                let scrubbed = fmt.scrubber().scrub_buf_uncounted(bytes, scratch);
                scrubbed.write_to(out)?;
                let touched_end = scratch.finding_touched_end();
                if let Some(s) = sink.as_deref_mut() {
                    if !scratch.findings().is_empty() {
                        s.findings(bytes, at.line, at.col_base, scratch.findings());
                    }
                }
                stats.merge(&scratch.take_stats());
                if sink.is_some() {
                    at.advance(bytes);
                }
                continued = true;
                if touched_end {
                    framer.swallow_run();
                }
            }
            Chunk::Lines(bytes) => {
                let info = ChunkInfo { continued, first_line: at.line };
                let o = fmt.scrub_chunk(bytes, state, info);
                emit(&o, bytes, at, out, sink.as_deref_mut())?;
                stats.merge(&state.take_stats());
                if sink.is_some() {
                    at.advance(bytes);
                }
                continued = false;
            }
        }
        if !framer.has_buffered() {
            out.flush()?;
        }
    }
    let o = fmt.finish(state);
    emit(&o, b"", at, out, sink)?;
    stats.merge(&state.take_stats());
    out.flush()?;
    let (cuts, swallowed) = framer.counters();
    stats.long_line_cuts += cuts - cuts0;
    stats.oversized_runs_redacted += swallowed - swallowed0;
    Ok(stats)
}
