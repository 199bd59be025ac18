//! Line framing: a reusable read buffer that hands out whole lines, with bounded memory.
//!
//! [`Framer::next_chunk`] reads (at least [`MIN_READ`] bytes at a time) until the buffer holds a
//! line terminator, then returns *every* complete line in it as one [`Chunk::Lines`] slice; the
//! partial tail is carried to the next call (ripgrep's `LineBuffer::roll`). The buffer starts at
//! [`FrameConfig::initial`] and grows only while one line does not fit, up to
//! [`FrameConfig::max_window`]; memory is therefore bounded by `max_window` whatever the input.
//!
//! # Lines longer than the window
//!
//! A line that fills the whole window is cut into [`Chunk::Window`]s, never inside a secret:
//!
//! 1. The cut goes at the last *boundary byte* (whitespace or `,;&{}[]()<>|"'`) in the second
//!    half of the window, then moves back over up to two preceding words and their separators
//!    (at most [`CONTEXT`] bytes), so `Authorization: Bearer` or `password=` travels with the value
//!    that follows it.
//! 2. With no boundary in the second half, a *run* of token bytes reaches the end of the window.
//!    If the run starts inside the window, the cut goes at its start (rule 1's context included),
//!    so the run begins the next window. Otherwise the run is longer than half a window: the cut
//!    goes at the window's end, or just before the last JWT header start (`eyJ`…) in its final
//!    [`CONTEXT`]·256 bytes, so a token is never split inside its header.
//! 3. Fail closed: when the scrubber's last finding in a window runs up to the cut
//!    ([`crate::Scratch::finding_touched_end`]), the caller calls [`Framer::swallow_run`] and the
//!    rest of that run is dropped, not forwarded: the secret was replaced whole.
//!
//! Line terminators, CRLF, empty lines, a missing final newline and invalid UTF-8 pass through
//! exactly: the framer never changes a byte, it only decides where chunks end.

use std::io::{self, Read};

use crate::scan::JWT_STARTS;

/// Smallest read issued (ripgrep reads 64 KiB at a time too).
pub const MIN_READ: usize = 64 * 1024;

/// Bytes of context (key name, `Bearer `) carried with a value across a cut.
pub const CONTEXT: usize = 256;

/// Framing limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameConfig {
    /// Initial buffer size.
    pub initial: usize,
    /// Largest buffer: a line longer than this is cut into windows. Raised to
    /// [`FrameConfig::MIN_WINDOW`] ([`FrameConfig::window`]).
    pub max_window: usize,
}

impl FrameConfig {
    /// The smallest window, whatever `max_window` says (256 KiB): four times the
    /// [`CONTEXT`]·256 bytes rule 2 of the module docs searches for a late JWT start, and two
    /// reads, so the cut rules always make progress. Every framer ([`Framer`], the parallel
    /// chunker of [`crate::io::parallel`], the sidecar's) uses this one floor, so `-j 1` and
    /// `-j N` cut an over-long line at the same places.
    pub const MIN_WINDOW: usize = {
        let (a, b) = (4 * CONTEXT * 256, 2 * MIN_READ);
        if a > b { a } else { b }
    };

    /// The window in force: `max_window` raised to [`FrameConfig::MIN_WINDOW`].
    pub fn window(&self) -> usize {
        self.max_window.max(Self::MIN_WINDOW)
    }
}

impl Default for FrameConfig {
    fn default() -> Self {
        FrameConfig { initial: 256 * 1024, max_window: 8 * 1024 * 1024 }
    }
}

/// What [`Framer::next_chunk`] returns.
#[derive(Debug, PartialEq, Eq)]
pub enum Chunk<'a> {
    /// One or more whole lines; only the input's final line may lack its `\n`.
    Lines(&'a [u8]),
    /// A piece of a line longer than the window (no `\n` inside).
    Window(&'a [u8]),
}

impl Chunk<'_> {
    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Chunk::Lines(b) | Chunk::Window(b) => b,
        }
    }
}

/// Bytes that may belong to a token or secret value (base64, base64url, URL-encoding).
#[inline]
pub fn is_run_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'=' | b'+' | b'/' | b'%' | b'~')
}

#[inline]
fn is_boundary(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(b, b',' | b';' | b'&' | b'{' | b'}' | b'[' | b']' | b'(' | b')' | b'<' | b'>' | b'|' | b'"' | b'\'')
}

/// The reusable framing buffer. See the module docs.
#[derive(Debug)]
pub struct Framer {
    /// `buf[start..end]` is data read but not yet handed out.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// `buf[start..scanned]` is known to hold no `\n`: each byte is searched once, however
    /// small the reads (a line trickled in a byte per read would otherwise cost window²/2).
    scanned: usize,
    eof: bool,
    cfg: FrameConfig,
    /// Drop run bytes at the front before framing (a redacted run continues).
    swallowing: bool,
    cuts: u64,
    swallowed_runs: u64,
}

impl Framer {
    /// A framer with the given limits (`initial` is raised to [`MIN_READ`], `max_window` to
    /// [`FrameConfig::MIN_WINDOW`]).
    pub fn new(cfg: FrameConfig) -> Framer {
        let max_window = cfg.window();
        let initial = cfg.initial.clamp(MIN_READ, max_window);
        Framer {
            buf: vec![0; initial],
            start: 0,
            end: 0,
            scanned: 0,
            eof: false,
            cfg: FrameConfig { initial, max_window },
            swallowing: false,
            cuts: 0,
            swallowed_runs: 0,
        }
    }

    /// Starts a new input (a new file): forgets the old one's state, keeps the allocation.
    pub fn reset(&mut self) {
        self.start = 0;
        self.end = 0;
        self.scanned = 0;
        self.eof = false;
        self.swallowing = false;
    }

    /// Drops the rest of the current token run (see rule 3 in the module docs).
    pub fn swallow_run(&mut self) {
        self.swallowing = true;
        self.swallowed_runs += 1;
    }

    /// `(windows cut, runs swallowed)` so far.
    pub fn counters(&self) -> (u64, u64) {
        (self.cuts, self.swallowed_runs)
    }

    /// Whether data is already buffered (the next call may not need to read).
    pub fn has_buffered(&self) -> bool {
        self.start < self.end
    }

    /// The next chunk, or `None` at the end of the input.
    pub fn next_chunk<R: Read + ?Sized>(&mut self, rdr: &mut R) -> io::Result<Option<Chunk<'_>>> {
        loop {
            if self.swallowing {
                let data = &self.buf[self.start..self.end];
                let n = data.iter().position(|&b| !is_run_byte(b)).unwrap_or(data.len());
                self.start += n;
                if self.start < self.end {
                    self.swallowing = false;
                }
            }
            let from = self.scanned.max(self.start);
            if let Some(i) = memchr::memrchr(b'\n', &self.buf[from..self.end]) {
                let (s, nl) = (self.start, from + i);
                self.start = nl + 1;
                self.scanned = self.end;
                return Ok(Some(Chunk::Lines(&self.buf[s..=nl])));
            }
            self.scanned = self.end;
            if self.eof {
                if self.start < self.end {
                    let s = self.start;
                    self.start = self.end;
                    return Ok(Some(Chunk::Lines(&self.buf[s..self.end])));
                }
                return Ok(None);
            }
            if self.end - self.start >= self.cfg.max_window {
                let cut = cut_point(&self.buf[self.start..self.end]);
                debug_assert!(cut > 0, "cut must make progress");
                let s = self.start;
                self.start += cut;
                self.cuts += 1;
                return Ok(Some(Chunk::Window(&self.buf[s..s + cut])));
            }
            self.fill(rdr)?;
        }
    }

    /// Makes room (roll, then grow up to the window) and reads once.
    fn fill<R: Read + ?Sized>(&mut self, rdr: &mut R) -> io::Result<()> {
        if self.buf.len() - self.end < MIN_READ && self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.scanned = self.scanned.saturating_sub(self.start);
            self.start = 0;
        }
        if self.buf.len() - self.end < MIN_READ && self.buf.len() < self.cfg.max_window {
            let new = (self.buf.len() * 2).min(self.cfg.max_window);
            self.buf.resize(new, 0);
        }
        let room = (self.buf.len() - self.end).min(self.cfg.max_window - (self.end - self.start));
        debug_assert!(room > 0);
        loop {
            match rdr.read(&mut self.buf[self.end..self.end + room]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

/// Where to cut a full window with no line terminator (rules 1 and 2 of the module docs).
/// Always in `1..=data.len()`.
pub fn cut_point(data: &[u8]) -> usize {
    let len = data.len();
    let half = len / 2;
    if let Some(b) = data[half..].iter().rposition(|&c| is_boundary(c)) {
        let cut = half + b + 1;
        return match with_context(data, cut) {
            0 => cut,
            c => c,
        };
    }
    // A run reaches the end of the window. Where does it start?
    let run_start = data[..half].iter().rposition(|&c| is_boundary(c)).map_or(0, |b| b + 1);
    let cut = with_context(data, run_start);
    if cut > 0 {
        return cut;
    }
    // The run (with its context) fills the window: cut at the end, or before a late JWT start.
    let tail_from = len.saturating_sub(CONTEXT * 256);
    let tail = &data[tail_from..];
    let late = JWT_STARTS.iter().filter_map(|s| memchr::memmem::rfind(tail, s.as_bytes())).max();
    match late {
        Some(p) if tail_from + p > 0 => tail_from + p,
        _ => len,
    }
}

/// Moves a cut back so a value never starts a window without its key or scheme.
///
/// From the cut, look at the separators and the word before it. Keep moving back while the
/// separators hold `=`, `:` or `%` (a `key=`/`Key:`/`%3D` before a value) or the word is an
/// auth scheme (`Bearer`, `Basic`, `token`…), so `password=`, `Authorization: Bearer` and
/// `"token":"` travel with what follows them; stop after a plain word and whitespace. At most
/// [`CONTEXT`] bytes back; if that is not enough, the cut stays where it was (the window then
/// ends at a boundary, and rule 3 of the module docs still applies to the run after it).
/// Returns 0 when the context reaches the start of `data`.
fn with_context(data: &[u8], cut: usize) -> usize {
    let is_sep = |b: u8| matches!(b, b' ' | b'\t' | b':' | b'=' | b'"' | b'\'' | b'+' | b'%' | b'\\' | b'>');
    let is_word = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
    let floor = cut.saturating_sub(CONTEXT);
    let mut i = cut;
    loop {
        let mut j = i;
        while j > floor && is_sep(data[j - 1]) {
            j -= 1;
        }
        let mut k = j;
        while k > floor && is_word(data[k - 1]) {
            k -= 1;
        }
        let (seps, word) = (&data[j..i], &data[k..j]);
        let binds = seps.iter().any(|b| matches!(b, b'=' | b':' | b'%'))
            || crate::credential::SCHEMES.iter().any(|s| word.eq_ignore_ascii_case(s));
        if !binds || word.is_empty() {
            return i; // may be 0: the caller decides what a cut at the start means
        }
        if k == floor && floor > 0 {
            return cut; // the context runs past CONTEXT bytes: keep the boundary cut
        }
        i = k;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that returns at most `n` bytes per read.
    struct Trickle<'a>(&'a [u8], usize);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn frames(input: &[u8], per_read: usize, cfg: FrameConfig) -> Vec<Vec<u8>> {
        let mut f = Framer::new(cfg);
        let mut r = Trickle(input, per_read);
        let mut out = Vec::new();
        while let Some(c) = f.next_chunk(&mut r).unwrap() {
            out.push(c.bytes().to_vec());
        }
        out
    }

    #[test]
    fn chunks_concatenate_to_the_input_at_any_read_size() {
        let input = b"a\r\nbb\n\nccc\nno final newline".repeat(5000);
        for per_read in [1, 3, 7, 4096, 1 << 20] {
            let got: Vec<u8> = frames(&input, per_read, FrameConfig::default()).concat();
            assert_eq!(got, input, "per_read {per_read}");
        }
    }

    #[test]
    fn lines_chunks_end_at_newlines() {
        let input = b"one\ntwo\nthree".to_vec();
        let f = frames(&input, 5, FrameConfig::default());
        for c in &f[..f.len() - 1] {
            assert_eq!(c.last(), Some(&b'\n'));
        }
        assert_eq!(f.last().unwrap().as_slice(), b"three");
    }

    #[test]
    fn long_line_is_cut_at_a_boundary_with_its_context() {
        let cfg = FrameConfig { initial: MIN_READ, max_window: 256 * 1024 };
        let mut line = b"x ".repeat(200 * 1024);
        line.extend_from_slice(b"Authorization: Bearer abcdef123456 tail\n");
        let f = frames(&line, 1 << 20, cfg);
        assert!(f.len() > 1);
        assert_eq!(f.concat(), line);
        assert!(f.iter().any(|c| c.starts_with(b"Authorization: Bearer abcdef123456")
            || c.windows(35).any(|w| w == b"Authorization: Bearer abcdef123456 ")));
        for c in &f {
            // Never split inside the credential.
            assert!(!c.ends_with(b"abcdef") && !c.starts_with(b"123456"));
        }
    }

    #[test]
    fn cut_point_keeps_key_with_value() {
        let mut d = b"a".repeat(10);
        d.extend_from_slice(b" password=");
        d.extend(std::iter::repeat_n(b'Z', 100));
        d.extend_from_slice(b" tail ");
        d.extend(std::iter::repeat_n(b'q', 30));
        let c = cut_point(&d);
        assert!(c > 0 && c <= d.len());
        let mut d2 = b"b ".repeat(60);
        d2.extend_from_slice(b"password=");
        d2.extend(std::iter::repeat_n(b'Z', 200));
        let c2 = cut_point(&d2);
        let after = &d2[c2..];
        let z = after.iter().position(|&b| b == b'Z').unwrap();
        assert!(after[..z].ends_with(b"password="), "the key travels with its value");
    }

    #[test]
    fn cut_never_separates_a_key_or_scheme_from_its_value() {
        let unit = b"user=bob password=s3cr3tvalue Authorization: Bearer abcdef0123456789 ";
        for pad in 0..unit.len() {
            let mut d = b"x".repeat(pad);
            while d.len() < 4096 {
                d.extend_from_slice(unit);
            }
            let c = cut_point(&d);
            let after = &d[c..];
            for (value, key) in [(&b"s3cr3tvalue"[..], &b"password="[..]), (b"abcdef0123456789", b"Bearer ")] {
                if after.starts_with(value) {
                    panic!("pad {pad}: window starts with a value without its key {key:?}");
                }
            }
            let before = &d[..c];
            assert!(
                !before.ends_with(b"password=")
                    && !before.ends_with(b"Bearer ")
                    && !before.ends_with(b"Authorization: "),
                "pad {pad}"
            );
        }
    }

    #[test]
    fn a_run_longer_than_the_window_is_cut_before_a_late_jwt_start() {
        let mut d = b"A".repeat(300 * 1024);
        d.extend_from_slice(b"eyJhbGciOi");
        d.extend(std::iter::repeat_n(b'B', 100));
        let c = cut_point(&d);
        assert_eq!(&d[c..c + 3], b"eyJ");
    }

    #[test]
    fn swallow_drops_the_rest_of_a_run() {
        let cfg = FrameConfig { initial: MIN_READ, max_window: 256 * 1024 };
        let mut input = b"K".repeat(600 * 1024);
        input.extend_from_slice(b" after\n");
        let mut f = Framer::new(cfg);
        let mut r = Trickle(&input, 1 << 20);
        let first = f.next_chunk(&mut r).unwrap().unwrap().bytes().len();
        assert!(first > 0);
        f.swallow_run();
        let rest = f.next_chunk(&mut r).unwrap().unwrap().bytes().to_vec();
        assert_eq!(rest, b" after\n");
    }
}
