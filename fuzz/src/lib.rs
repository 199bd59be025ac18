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

use logscrub::format::{ChunkInfo, Format, FormatScrubber, FormatState};
use logscrub::frame::{FrameConfig, Framer};
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
/// least `FrameConfig::MIN_WINDOW` = 256 KiB, so 256 KiB is the real window.
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
    let window = STREAM_FRAME.window();
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
/// the offset, lies inside the input, has 2 to 5 segments separated by `.` or `%2E`, the first
/// of which is a header with `alg`; parsing the token alone gives the same token.
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
        // A separator is one dot, or `%2E` in a token URL-encoded whole (`jwt::dot_len`).
        let sep = &hay[w[0].end..w[1].start];
        assert!(sep == b"." || sep.eq_ignore_ascii_case(b"%2E"), "segments are separated by a dot: {sep:?}");
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

// === log formats ===

/// The rules of the format targets: the embedded rules plus a `[[json_fields]]` group, so the
/// JSON walk's path rule runs too (a `json_fields` redaction counts as a finding).
pub const FORMAT_FIELDS: &str =
    "\n[[json_fields]]\npaths = [\"email\", \"*.phone\", \"$.user.ssn\"]\naction = \"redact\"\n";

/// The scrubber of the format targets (see [`FORMAT_FIELDS`]).
pub fn format_scrubber() -> &'static Scrubber {
    static S: std::sync::OnceLock<Scrubber> = std::sync::OnceLock::new();
    S.get_or_init(|| {
        let src = format!("{}{FORMAT_FIELDS}", logscrub::rules::DEFAULT_RULES_TOML);
        let rules = Rules::from_toml("fuzz-format.toml", &src).expect("format rules parse");
        Scrubber::new(&rules).expect("format rules build")
    })
}

/// The timestamp of the lines [`shape`] builds.
const TIME: &[u8] = b"2024-05-01T10:00:00.000000001Z";

/// Appends `s` as the body of a JSON string. `go`: as Docker's json-file driver (Go's
/// `encoding/json`) writes it: invalid UTF-8 as U+FFFD, `<`, `>`, `&` as `\u00XX`. Otherwise
/// only `"`, `\` and control bytes are escaped and other bytes (invalid UTF-8 too) stay raw.
fn json_str(s: &[u8], go: bool, out: &mut Vec<u8>) {
    let lossy;
    let s = if go {
        lossy = String::from_utf8_lossy(s).into_owned().into_bytes();
        &lossy[..]
    } else {
        s
    };
    for &b in s {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'<' | b'>' | b'&' if go => out.extend_from_slice(format!("\\u{:04x}", b).as_bytes()),
            0..0x20 => out.extend_from_slice(format!("\\u{:04x}", b).as_bytes()),
            _ => out.push(b),
        }
    }
}

/// Builds the input of a format target from the fuzzer's bytes, line by line, so that most
/// lines are well-formed for the format while every byte stays under the fuzzer's control. A
/// line whose first byte is a small control byte is wrapped; any other line is taken as it is
/// (so malformed and foreign lines are fuzzed too):
///
/// - CRI: `\x01`..`\x04` + text: `<time> stdout|stderr P|F text` (`\x01` stdout P, `\x02`
///   stdout F, `\x03` stderr P, `\x04` stderr F);
/// - Docker: `\x01` + text: `{"log":"<text, Go-escaped>\n","stream":"stdout","time":…}`, `\x02`:
///   the same without the `\n` (a message Docker split at 16 KiB);
/// - JSON: `\x01` + text: `{"level":"info","msg":"<text>"}`; `\x02` + `k=v`:
///   `{"<k>":"<v>","n":1}`; `\x03` + text: `{"user":{"ssn":"<text>"},"email":[1,"<text>"]}`;
/// - logfmt: taken as it is.
pub fn shape(format: Format, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() * 2 + 64);
    for (i, line) in body.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        let (tag, rest) = match line.split_first() {
            Some((&t, rest)) if (1..=4).contains(&t) => (t, rest),
            _ => (0, line),
        };
        match (format, tag) {
            (Format::Cri, 1..=4) => {
                out.extend_from_slice(TIME);
                out.extend_from_slice(if tag <= 2 { b" stdout " } else { b" stderr " });
                out.push(if tag % 2 == 1 { b'P' } else { b'F' });
                out.push(b' ');
                out.extend_from_slice(rest);
            }
            (Format::Docker, 1 | 2) => {
                out.extend_from_slice(br#"{"log":""#);
                json_str(rest, true, &mut out);
                if tag == 1 {
                    out.extend_from_slice(b"\\n");
                }
                out.extend_from_slice(br#"","stream":"stdout","time":""#);
                out.extend_from_slice(TIME);
                out.extend_from_slice(br#""}"#);
            }
            (Format::Json, 1) => {
                out.extend_from_slice(br#"{"level":"info","msg":""#);
                json_str(rest, false, &mut out);
                out.extend_from_slice(br#""}"#);
            }
            (Format::Json, 2) => {
                let (k, v) = match rest.iter().position(|&b| b == b'=') {
                    Some(i) => (&rest[..i], &rest[i + 1..]),
                    None => (&b"password"[..], rest),
                };
                out.extend_from_slice(b"{\"");
                json_str(k, false, &mut out);
                out.extend_from_slice(b"\":\"");
                json_str(v, false, &mut out);
                out.extend_from_slice(br#"","n":1}"#);
            }
            (Format::Json, 3) => {
                out.extend_from_slice(br#"{"user":{"ssn":""#);
                json_str(rest, false, &mut out);
                out.extend_from_slice(br#""},"email":[1,""#);
                json_str(rest, false, &mut out);
                out.extend_from_slice(br#""]}"#);
            }
            _ => out.extend_from_slice(line),
        }
    }
    out
}

/// Growth a format adds on top of the core's: see [`format_bound`].
fn format_slack(format: Format, input: &[u8]) -> usize {
    let count = |f: &dyn Fn(u8) -> bool| input.iter().filter(|&&b| f(b)).count();
    let go = || 5 * count(&|b| matches!(b, b'<' | b'>' | b'&') || b >= 0x80);
    let lines = || count(&|b| b == b'\n') + 1;
    match format {
        Format::Raw | Format::Json => 0,
        Format::Docker => go(),
        Format::Cri => lines(),
        Format::Logfmt => 2 * count(&|b| b == b'=') + count(&|b| matches!(b, b'"' | b'\\')),
        Format::Auto => go() + lines(),
    }
}

/// The largest output allowed for `input` in `format` with `stats`' findings:
///
/// ```text
/// len(out) ≤ len(in) + F·max(m + 7, 4·s) + C·⌈4(m + 1)/3⌉ + P·m + slack(format, in)
///          = len(in) + 32·F + 15·C + 10·P + slack        (embedded rules: m = 10, s = 8)
/// ```
///
/// with `F` findings, `C` changed claims and `P` capped CRI groups (all in [`Stats`]). Per
/// finding, the core's growth (see the module docs) plus the escaping of the two quotes it may
/// add around a bare JSON number: `\"` in a JSON string (+2), `\\\"` in an escaped JSON string
/// inside a Docker `log` (+6). A capped CRI group ends in the marker, which replaces a run of
/// at least one byte. And per format, what re-encoding or framing may add to bytes that hold
/// no finding:
///
/// - JSON: nothing. Decoding never lengthens a string (an escape is at least as long as what
///   it stands for) and the minimal encoder writes back the same escapes for `"`, `\` and
///   control bytes and the rest raw.
/// - Docker: the changed part of a `log` string (from its first to its last change) is
///   re-encoded as Go does; a byte there that was raw in the input but that Go escapes (`<`,
///   `>`, `&` as `\u003c`…, an invalid UTF-8 byte as `\ufffd`, U+2028/9 as `\u2028`) grows by
///   at most 5: slack = 5 × (count of `<`, `>`, `&` and non-ASCII bytes).
/// - CRI: a line of a partial group whose share of the message was empty and becomes
///   non-empty (a cut inside a secret moved) gains the space after its tag: slack = lines.
/// - logfmt: an unquoted secret value the core would cut short is quoted (two quotes, `"` and
///   `\` escaped) before the core sees it; the quotes are taken off again only when the
///   rewritten value needs none: slack = 2 × (count of `=`) + count of `"` and `\`.
/// - auto: Docker's and CRI's.
pub fn format_bound(format: Format, input: &[u8], stats: &Stats) -> usize {
    let rules = format_scrubber().rules();
    let m = rules.redacted_marker().len();
    let s = rules.signature_marker().len();
    let per_claim = (4 * (m + 1)).div_ceil(3);
    input.len()
        + stats.findings.total() as usize * (m + 7).max(4 * s)
        + stats.claims_redacted as usize * per_claim
        + stats.partial_groups_capped as usize * m
        + format_slack(format, input)
}

/// The chunk the CRI cap allows: from the control byte, small (so capped groups happen) or
/// the default `--max-line`.
fn format_cap(ctl: u8) -> usize {
    if ctl & 0x80 != 0 { 32 << (ctl & 7) } else { 8 << 20 }
}

/// Scrubs `input` as one chunk (`per_line` false) or as one chunk per line, then ends the
/// input. Returns the output and the summed stats. With `per_line`, `line_check` is called for
/// each line whose output is known to be its own (no CRI group open before or after it) with
/// (line, its output, its stats).
fn format_run(
    fmt: &FormatScrubber<'_>,
    input: &[u8],
    per_line: bool,
    mut line_check: impl FnMut(&[u8], &[u8], &Stats),
) -> (Vec<u8>, Stats) {
    let mut st = FormatState::default();
    let mut out = Vec::new();
    let mut stats = Stats::default();
    let chunks: Vec<&[u8]> = if per_line { input.split_inclusive(|&b| b == b'\n').collect() } else { vec![input] };
    for (i, chunk) in chunks.into_iter().enumerate() {
        let before = fmt.pending(&st);
        let info = ChunkInfo { continued: false, first_line: i as u64 + 1 };
        let o = fmt.scrub_chunk(chunk, &mut st, info).to_vec();
        let s = st.take_stats();
        if per_line && !before && !fmt.pending(&st) {
            line_check(chunk, &o, &s);
        }
        out.extend_from_slice(&o);
        stats.merge(&s);
    }
    out.extend_from_slice(&fmt.finish(&mut st).to_vec());
    stats.merge(&st.take_stats());
    (out, stats)
}

/// The format targets (`format_json`, `format_docker`, `format_cri`, `format_logfmt`): the
/// first byte is a control byte (bit 7: a small CRI cap, bits 0–2 its size), the rest is
/// shaped into lines of `format` by [`shape`]. The input is scrubbed in `format` and in
/// `auto`, each with [`format_scrubber`]. Checks, for each: no panic; the output bound
/// ([`format_bound`]); no finding (and no capped group) ⇒ the chunk is unchanged; a line
/// without a finding is unchanged; and, unless a CRI group was capped (a size limit: see the
/// comments below), the same output whether the lines come as one chunk or one chunk per line,
/// and idempotence.
pub fn check_format(format: Format, data: &[u8]) {
    let Some((&ctl, body)) = data.split_first() else { return };
    let input = shape(format, body);
    for f in [format, Format::Auto] {
        let fmt = FormatScrubber::new(format_scrubber(), f, format_cap(ctl));
        let (out, stats) = format_run(&fmt, &input, false, |_, _, _| {});
        let bound = format_bound(f, &input, &stats);
        assert!(
            out.len() <= bound,
            "{f}: output {} > bound {bound} ({stats:?})\nin:  {}\nout: {}",
            out.len(),
            show(&input),
            show(&out)
        );
        let capped = stats.partial_groups_capped > 0;
        if stats.findings.total() == 0 && !capped {
            assert!(out == input, "{f}: no finding, yet the input changed\nin:  {}\nout: {}", show(&input), show(&out));
        }
        let (lines, lines_stats) = format_run(&fmt, &input, true, |line, o, s| {
            if s.findings.total() == 0 && s.partial_groups_capped == 0 {
                assert!(o == line, "{f}: a line without a finding changed\nin:  {}\nout: {}", show(line), show(o));
            }
        });
        // The cap counts the lines waiting behind an open group once they leave the chunk being
        // scrubbed, so where a capped group closes depends on the chunks: the cut (marker or
        // dropped run, both fail closed) may differ, nothing else.
        assert!(
            lines == out || capped || lines_stats.partial_groups_capped > 0,
            "{f}: one chunk and one chunk per line differ\nin:       {}\nchunk:    {}\nper line: {}",
            show(&input),
            show(&out),
            show(&lines)
        );
        if !capped {
            let (again, again_stats) = format_run(&fmt, &out, false, |_, _, _| {});
            // A cap is a size: the first pass may lengthen a group (a marker for a short value)
            // past it, and the second then closes that group early. Only then may they differ.
            assert!(
                again == out || again_stats.partial_groups_capped > 0,
                "{f}: not idempotent\nin:     {}\nonce:   {}\ntwice:  {}",
                show(&input),
                show(&out),
                show(&again)
            );
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

    #[test]
    fn format_json_seeds() {
        replay("format_json", |d| super::check_format(super::Format::Json, d));
    }

    #[test]
    fn format_docker_seeds() {
        replay("format_docker", |d| super::check_format(super::Format::Docker, d));
    }

    #[test]
    fn format_cri_seeds() {
        replay("format_cri", |d| super::check_format(super::Format::Cri, d));
    }

    #[test]
    fn format_logfmt_seeds() {
        replay("format_logfmt", |d| super::check_format(super::Format::Logfmt, d));
    }
}
