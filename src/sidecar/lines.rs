//! Per-source line framing over [`BytesMut`].
//!
//! Every connection, file and stdin owns one [`LineFramer`]: bytes are read into its buffer,
//! and [`LineFramer::next_frame`] splits off *all* complete lines at once with
//! `split_to(..).freeze()`, so a batch leaves as a shared [`Bytes`] without a copy, and the
//! partial tail stays behind for the next read. One source's partial line therefore never
//! mixes with another's.
//!
//! A batch that would fill less than half of its buffer (a short read: a quiet client) is
//! copied out instead, so what waits in a queue never pins more than twice its size in
//! buffers: queue memory stays within twice the queue's byte bound.
//!
//! # Long lines
//!
//! A line longer than `max_line` would hold unbounded memory. When the buffer reaches
//! `max_line` bytes without a newline, it is cut with [`crate::frame::cut_point`] (at a
//! boundary byte, never inside a token run, with the key or `Bearer` word carried along), and
//! the window leaves as a [`Frame::Window`]. The sidecar writes each window as a line of its
//! own (it appends `\n`), so a long line arrives as several lines of at most `max_line` bytes.
//! Fail closed: when the scrubber's finding runs to the end of a window,
//! [`LineFramer::swallow_run`] drops the rest of that run of token bytes.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::frame::{cut_point, is_run_byte};

/// Bytes reserved for each read.
pub(crate) const READ_SIZE: usize = 64 * 1024;

/// What [`LineFramer::next_frame`] hands out.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Frame {
    /// One or more complete lines, each ending with `\n`.
    Lines(Bytes),
    /// A piece of a line longer than the limit (no `\n` inside).
    Window(Bytes),
}

/// See the module docs.
#[derive(Debug)]
pub(crate) struct LineFramer {
    buf: BytesMut,
    /// `buf[..scanned]` holds no `\n`.
    scanned: usize,
    max_line: usize,
    swallowing: bool,
}

impl LineFramer {
    pub(crate) fn new(max_line: usize) -> LineFramer {
        LineFramer { buf: BytesMut::new(), scanned: 0, max_line, swallowing: false }
    }

    /// The buffer to read into, with room for one read.
    pub(crate) fn read_buf(&mut self) -> &mut BytesMut {
        self.buf.reserve(READ_SIZE);
        &mut self.buf
    }

    /// Bytes held that are not yet handed out (a partial line).
    pub(crate) fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next frame of what was read, or `None` until more is read.
    pub(crate) fn next_frame(&mut self) -> Option<Frame> {
        if self.swallowing {
            let n = self.buf.iter().position(|&b| !is_run_byte(b)).unwrap_or(self.buf.len());
            self.buf.advance(n);
            self.scanned = 0;
            if self.buf.is_empty() {
                return None;
            }
            self.swallowing = false;
        }
        if let Some(i) = memchr::memrchr(b'\n', &self.buf[self.scanned..]) {
            let at = self.scanned + i + 1;
            let lines = if at * 2 < self.buf.capacity() {
                // A small batch would pin a read buffer many times its size while it waits in
                // a queue: copy it, and the buffer is reused for the next read.
                let b = Bytes::copy_from_slice(&self.buf[..at]);
                self.buf.advance(at);
                b
            } else {
                self.buf.split_to(at).freeze()
            };
            self.scanned = self.buf.len();
            return Some(Frame::Lines(lines));
        }
        self.scanned = self.buf.len();
        if self.buf.len() >= self.max_line {
            let cut = cut_point(&self.buf[..self.max_line]);
            let window = self.buf.split_to(cut).freeze();
            self.scanned = self.buf.len();
            return Some(Frame::Window(window));
        }
        None
    }

    /// Drops the rest of the current token run (the scrubber's finding reached a window's end).
    pub(crate) fn swallow_run(&mut self) {
        self.swallowing = true;
    }

    /// At the end of a source: the partial line, with `\n` appended, if any.
    pub(crate) fn finish(&mut self) -> Option<Bytes> {
        if self.swallowing {
            let n = self.buf.iter().position(|&b| !is_run_byte(b)).unwrap_or(self.buf.len());
            self.buf.advance(n);
            self.swallowing = false;
        }
        self.scanned = 0;
        if self.buf.is_empty() {
            return None;
        }
        let mut line = std::mem::take(&mut self.buf);
        line.put_u8(b'\n');
        Some(line.freeze())
    }

    /// Forgets what is buffered (a followed file was truncated or replaced).
    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        self.scanned = 0;
        self.swallowing = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(f: &mut LineFramer, data: &[u8]) -> Vec<Frame> {
        f.read_buf().extend_from_slice(data);
        std::iter::from_fn(|| f.next_frame()).collect()
    }

    #[test]
    fn complete_lines_leave_together_and_the_tail_waits() {
        let mut f = LineFramer::new(1 << 20);
        assert_eq!(feed(&mut f, b"a\nb\r\nc"), vec![Frame::Lines(Bytes::from_static(b"a\nb\r\n"))]);
        assert_eq!(feed(&mut f, b"cc"), vec![]);
        assert_eq!(feed(&mut f, b"\n"), vec![Frame::Lines(Bytes::from_static(b"ccc\n"))]);
        assert_eq!(f.finish(), None);
        feed(&mut f, b"tail");
        assert_eq!(f.finish(), Some(Bytes::from_static(b"tail\n")));
    }

    #[test]
    fn a_long_line_is_cut_into_windows_at_boundaries() {
        let max = 256 * 1024;
        let mut f = LineFramer::new(max);
        let mut line = b"word ".repeat(120_000);
        line.push(b'\n');
        let mut frames = Vec::new();
        for piece in line.chunks(10_000) {
            frames.extend(feed(&mut f, piece));
        }
        assert!(frames.len() > 2);
        let mut joined = Vec::new();
        for fr in &frames {
            match fr {
                Frame::Window(w) => {
                    assert!(w.len() <= max);
                    assert!(w.ends_with(b" "), "cut after a boundary byte");
                    joined.extend_from_slice(w);
                }
                Frame::Lines(l) => joined.extend_from_slice(l),
            }
        }
        assert_eq!(joined, line);
    }

    #[test]
    fn swallow_drops_the_rest_of_the_run() {
        let mut f = LineFramer::new(256 * 1024);
        f.swallow_run();
        assert_eq!(feed(&mut f, b"AAAA"), vec![]);
        assert_eq!(feed(&mut f, b"BB rest\n"), vec![Frame::Lines(Bytes::from_static(b" rest\n"))]);
    }
}
