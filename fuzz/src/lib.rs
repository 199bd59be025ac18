//! The properties every fuzz target checks, as plain functions.
//!
//! Each `fuzz_targets/<name>.rs` is one line calling `check_<name>` here, so the same checks
//! run under libFuzzer (`cargo +nightly fuzz run <name>`) and, without libFuzzer, from this
//! crate's tests (`cargo test` replays `corpus/<name>/` and any crash files under
//! `regressions/<name>/`). A check panics when a property fails: that is what libFuzzer
//! reports as a crash.
//!
//! # The output bound
//!
//! Scrubbing only ever replaces a found span with its rewrite (`src/scrub.rs`, `line_into`),
//! so the output grows only where something was found. With the embedded rules (`redact`
//! everywhere, no `hash`, no `mask`), `m` the redaction marker's length and `s` the signature
//! marker's:
//!
//! - an opaque value (≥ 1 byte) becomes the marker, quoted when it was a bare JSON number:
//!   growth ≤ `m + 1`;
//! - a JWE keeps its header; each of its (≤ 4) other segments becomes the signature marker:
//!   growth ≤ `4·s`;
//! - a JWS keeps its header; a non-empty signature becomes `s` bytes (growth ≤ `s - 1`); a
//!   payload that is not a JSON object becomes `s` bytes (growth ≤ `s - 1`, counted as one
//!   changed claim); a JSON payload is re-encoded with each changed claim value (≥ 1 byte)
//!   replaced by `"<marker>"`, whitespace dropped: decoded length `J ≤ D + c·(m + 1)` for `c`
//!   changed claims, and since the `P` base64 characters decoded to `D ≤ 3P/4` bytes, the new
//!   segment has `⌈4J/3⌉ ≤ P + c·⌈4(m + 1)/3⌉ + 1` characters.
//!
//! Hence, per scrubbed buffer, with `F` findings and `C` changed claims (both counted in
//! [`logscrub::Stats`]):
//!
//! ```text
//! len(out) ≤ len(in) + F·max(m + 1, 4·s) + C·⌈4(m + 1)/3⌉
//!          = len(in) + 32·F + 15·C          (embedded rules: m = 10, s = 8)
//! ```

use std::io::{self, Read};

use logscrub::frame::{CONTEXT, FrameConfig, Framer, MIN_READ};
use logscrub::io::parallel::scrub_parallel;
use logscrub::io::stream::scrub_stream;
use logscrub::{Rules, Scratch, Scrubber, Stats};

/// The scrubber built once from the embedded rules.
pub fn scrubber() -> &'static Scrubber {
    static S: std::sync::OnceLock<Scrubber> = std::sync::OnceLock::new();
    S.get_or_init(|| Scrubber::new(&Rules::embedded()).expect("embedded rules build"))
}

/// Growth allowed per finding and per changed claim for `rules` (see the module docs). Only
/// valid for rules without `hash` and `mask` actions, which the targets use.
pub fn growth_per(rules: &Rules) -> (usize, usize) {
    let m = rules.redacted_marker().len();
    let s = rules.signature_marker().len();
    ((m + 1).max(4 * s), (4 * (m + 1)).div_ceil(3))
}

/// The largest output allowed for `in_len` input bytes with `stats`' findings.
pub fn output_bound(rules: &Rules, in_len: usize, stats: &Stats) -> usize {
    let (per_finding, per_claim) = growth_per(rules);
    in_len + stats.findings.total() as usize * per_finding + stats.claims_redacted as usize * per_claim
}

/// Bytes shown readably in a failure message (escaped, cut to 600 bytes).
fn show(b: &[u8]) -> String {
    let cut = &b[..b.len().min(600)];
    format!("{}{} ({} bytes)", cut.escape_ascii(), if b.len() > 600 { "…" } else { "" }, b.len())
}

/// `scrub_line`: no panic, the output bound, a line without findings unchanged, the same
/// output from a scratch that has seen the line before (its token cache is warm), and
/// idempotence.
pub fn check_scrub_line(data: &[u8]) {
    // A line has no terminator: turn any `\n` into a space rather than lose the rest.
    let line: Vec<u8> = data.iter().map(|&b| if b == b'\n' { b' ' } else { b }).collect();
    let s = scrubber();
    let mut scratch = Scratch::default();
    let out = s.scrub_line(&line, &mut scratch).into_owned();
    let stats = scratch.take_stats();
    let bound = output_bound(s.rules(), line.len(), &stats);
    assert!(out.len() <= bound, "output {} > bound {bound}\nin:  {}\nout: {}", out.len(), show(&line), show(&out));
    if stats.findings.total() == 0 {
        assert_eq!(out, line, "no finding, yet the line changed");
    }
    let warm = s.scrub_line(&line, &mut scratch).into_owned();
    assert!(warm == out, "warm cache differs\nin:    {}\ncold:  {}\nwarm:  {}", show(&line), show(&out), show(&warm));
    let again = s.scrub_line(&out, &mut scratch).into_owned();
    assert!(again == out, "not idempotent\nin:     {}\nonce:   {}\ntwice:  {}", show(&line), show(&out), show(&again));
}

/// A reader handing out the input in read sizes taken from a small cyclic schedule.
struct Schedule<'a> {
    data: &'a [u8],
    sizes: [usize; 4],
    i: usize,
}

impl Read for Schedule<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.sizes[self.i % 4].min(buf.len()).min(self.data.len());
        self.i += 1;
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// The small window the stream target runs with. `Framer::new` raises `max_window` to at
/// least `4·CONTEXT·256` = 256 KiB and `2·MIN_READ`, so 256 KiB is the real window.
pub const STREAM_FRAME: FrameConfig = FrameConfig { initial: 64 * 1024, max_window: 256 * 1024 };

fn stream(input: &[u8], sizes: [usize; 4]) -> (Vec<u8>, Stats) {
    let mut framer = Framer::new(STREAM_FRAME);
    let mut scratch = Scratch::default();
    let mut out = Vec::new();
    let mut rdr = Schedule { data: input, sizes, i: 0 };
    let stats = scrub_stream(scrubber(), &mut framer, &mut scratch, &mut rdr, &mut out, None)
        .expect("a Vec reader and writer do not fail");
    (out, stats)
}

/// One read size from a byte: tiny, small, page-ish, or everything at once.
fn read_size(b: u8) -> usize {
    let v = usize::from(b >> 2);
    match b & 3 {
        0 => 1 + v % 8,
        1 => 1 + v * 17,
        2 => 4096 + v * 1021,
        _ => usize::MAX,
    }
}

/// Whether some line (a run between `\n`s) is at least `window` bytes long.
fn has_long_line(input: &[u8], window: usize) -> bool {
    input.split(|&b| b == b'\n').any(|l| l.len() >= window)
}

/// `scrub_stream`: the first 5 bytes pick four read sizes and whether the rest is repeated
/// into a long input (so lines longer than the window, cuts and swallowed runs happen).
/// Checks: no panic; the output bound; the same output whatever the read sizes and from the
/// parallel path (`io::parallel`, 2 threads); and, when no line reaches the window, exactly
/// `scrub_buf` of the whole input.
pub fn check_scrub_stream(data: &[u8]) {
    if data.len() < 5 {
        return;
    }
    let sizes = [read_size(data[0]), read_size(data[1]), read_size(data[2]), read_size(data[3])];
    let body = &data[5..];
    let input: Vec<u8> = if data[4] >= 0xc0 && !body.is_empty() {
        // Repeat the body to between 256 KiB and 640 KiB.
        let target = 256 * 1024 + usize::from(data[4] & 0x3f) * 6 * 1024;
        body.iter().copied().cycle().take(target).collect()
    } else {
        body.to_vec()
    };
    let (out, stats) = stream(&input, sizes);
    let bound = output_bound(scrubber().rules(), input.len(), &stats);
    assert!(out.len() <= bound, "stream output {} > bound {bound}", out.len());
    let (whole, _) = stream(&input, [usize::MAX; 4]);
    assert!(out == whole, "output depends on read sizes {sizes:?}\nin: {}", show(&input));
    let mut par = Vec::new();
    // The parallel path starts a job per read's worth of lines: reads of at least 4 KiB keep
    // it at a few jobs per input (framing itself is checked at any read size above).
    let mut rdr = Schedule { data: &input, sizes: sizes.map(|n| n.max(4096)), i: 0 };
    scrub_parallel(scrubber(), 2, STREAM_FRAME, &mut rdr, &mut par).expect("a Vec reader and writer do not fail");
    assert!(
        par == out,
        "parallel != stream\nin:       {}\nstream:   {}\nparallel: {}",
        show(&input),
        show(&out),
        show(&par)
    );
    let window = STREAM_FRAME.max_window.max(4 * CONTEXT * 256).max(2 * MIN_READ);
    if !has_long_line(&input, window) {
        let mut scratch = Scratch::default();
        let buf = scrubber().scrub_buf(&input, &mut scratch).to_vec();
        assert!(
            out == buf,
            "stream != scrub_buf\nin:     {}\nstream: {}\nbuf:    {}",
            show(&input),
            show(&out),
            show(&buf)
        );
    }
}

/// `jwt::parse_at` at an offset taken from the first two bytes: no panic; a token starts at
/// the offset, lies inside the input, has 2 to 5 ordered segments the first of which is a
/// header with `alg`; parsing the token alone gives the same token.
pub fn check_jwt_parse(data: &[u8]) {
    if data.len() < 2 {
        return;
    }
    let hay = &data[2..];
    let at = usize::from(u16::from_le_bytes([data[0], data[1]])) % (hay.len() + 1);
    let mut buf = Vec::new();
    let Some(tok) = logscrub::jwt::parse_at(hay, at, &mut buf) else { return };
    assert_eq!(tok.span.start, at);
    assert!(tok.span.end <= hay.len());
    assert!((2..=5).contains(&tok.segments.len()), "{} segments", tok.segments.len());
    assert_eq!(tok.segments[0].start, at);
    assert_eq!(tok.segments.last().map(|s| s.end), Some(tok.span.end));
    for w in tok.segments.windows(2) {
        assert_eq!(w[0].end + 1, w[1].start, "segments are separated by one dot");
        assert_eq!(hay[w[0].end], b'.');
    }
    assert!(tok.header.alg.is_some());
    assert!(logscrub::jwt::decode_header(&hay[tok.segments[0].clone()], &mut buf).is_some());
    let alone = logscrub::jwt::parse_at(&hay[tok.span.clone()], 0, &mut buf).expect("the token alone parses");
    assert_eq!(alone.span, 0..tok.span.len());
    assert_eq!(alone.kind, tok.kind);
    assert_eq!(alone.segments.len(), tok.segments.len());
}

/// `Rules::from_toml` on any text: no panic; an error names the source and gives every
/// problem a position inside the text; rules that compile build a scrubber that scrubs.
pub fn check_rules_parse(data: &[u8]) {
    let src = String::from_utf8_lossy(data);
    match Rules::from_toml("fuzz.toml", &src) {
        Ok(rules) => {
            let s = if rules.uses_hash() {
                Scrubber::with_hash_key(&rules, b"fuzz key")
            } else {
                match Scrubber::new(&rules) {
                    Ok(s) => s,
                    Err(_) => return,
                }
            };
            let mut scratch = Scratch::default();
            let line = b"Authorization: Bearer abc123 password=hunter2 token=x eyJhbGciOiJub25lIn0.e30. ghp_x";
            let _ = s.scrub_line(line, &mut scratch);
        }
        Err(e) => {
            let text = e.to_string();
            let lines = src.split('\n').count();
            for (p, shown) in e.problems().iter().zip(text.split('\n')) {
                assert!(shown.starts_with("fuzz.toml:"), "{shown}");
                assert!(p.line >= 1 && p.col >= 1, "problem without a position: {shown}");
                assert!(p.line <= lines, "line {} past the end ({lines} lines): {shown}", p.line);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Runs `check` over every file in `corpus/<name>` and `regressions/<name>`.
    fn replay(name: &str, check: fn(&[u8])) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut n = 0;
        for dir in [root.join("corpus").join(name), root.join("regressions").join(name)] {
            let Ok(rd) = std::fs::read_dir(&dir) else { continue };
            for e in rd {
                let p = e.expect("read_dir entry").path();
                if p.is_file() {
                    check(&std::fs::read(&p).expect("read seed"));
                    n += 1;
                }
            }
        }
        assert!(n > 0, "no seeds for {name}");
    }

    #[test]
    fn scrub_line_seeds() {
        replay("scrub_line", super::check_scrub_line);
    }

    #[test]
    fn scrub_stream_seeds() {
        replay("scrub_stream", super::check_scrub_stream);
    }

    #[test]
    fn jwt_parse_seeds() {
        replay("jwt_parse", super::check_jwt_parse);
    }

    #[test]
    fn rules_parse_seeds() {
        replay("rules_parse", super::check_rules_parse);
    }
}
