//! Container log formats: Docker json-file and CRI with partial lines joined, JSON lines, logfmt.
//!
//! A [`FormatScrubber`] wraps a [`Scrubber`] and scrubs whole-line chunks (what the framer
//! hands out) in one of the [`Format`]s. It never parses a line it does not have to.
//!
//! # The chunk path
//!
//! ```text
//! scrub_chunk(chunk):
//!   prescan: literal searches over the whole chunk (Teddy, SIMD, like the core's scanner)
//!     - `\\` `\t` `\/` `\u00` and ` P `  escapes that can hide a secret, and the CRI
//!                                     partial marker (checked: after `stdout`/`stderr`);
//!     `{"log":"` at a line start whose `log` lacks its final `\n` (a Docker part)
//!     - [[json_fields]] keys (auto, docker, json, cri); logfmt: `=` + a byte the core
//!       stops at
//!   lines with a hit are classified (first bytes); a few become *special*:
//!     partial CRI lines, Docker parts -> joined per stream;  structured lines with a hit -> decoded
//!   runs of other lines ("segments") -> Scrubber::scrub_buf, exactly as with --format raw
//!     every line the core *changed* is classified and checked: a Docker or JSON line must
//!     still be one valid JSON object, a CRI line must keep its prefix, a logfmt line must
//!     not have a secret value the core cut short; a line that fails is scrubbed again as
//!     special (the segment is re-scrubbed without it, so each finding is counted once)
//!   output: slices of the chunk (a clean chunk is one slice: zero copies) + rewritten lines
//! ```
//!
//! So a raw line without a finding costs what it costs with `--format raw` plus one prescan
//! pass, and `auto` looks at a line's format only when the line has a finding or a prescan
//! hit. The core's output pieces are told apart by address (a piece inside the chunk is a
//! slice of it), so no line is scrubbed twice to learn which lines changed.
//!
//! # What each format needs, and why
//!
//! **Docker json-file** (`{"log":"…\n","stream":"stdout","time":"…"}`). The core scans the
//! raw line, and in Go's JSON escaping the things it looks for stay visible: tokens are
//! base64url, `Bearer `, `key=value`, query strings (`\u0026access_token=` still has the
//! key and `=`), and an application's own JSON appears as `{\"password\":\"…\"}`, which the
//! core reads as escaped JSON. Its replacements (the marker, base64url, hex) need no escaping,
//! so the line stays valid JSON. Raw scrubbing is therefore kept for a changed Docker line
//! when the result is still a valid json-file line — it nearly always is (an unterminated
//! `'` quote, which the core redacts to the end of the line, or a user pattern spanning a
//! quote, are the exceptions). Decoding is needed where an escape hides a secret from the raw
//! scan: a nested escaped JSON string (`\\\"password\\\":…`, JSON in a string in the
//! application's JSON), a tab written `\t` after `key:` or `Bearer`, `\/` inside a base64
//! value, `\u00XX` for a printable character (encoders other than Go's). Those lines, lines
//! with a `[[json_fields]]` key, and lines whose raw result fails the check are walked as JSON:
//! the `log` string is decoded, scrubbed as a message (a JSON object member by member,
//! otherwise as text), and only the changed part is re-encoded the way Go does; the bytes
//! around it stay. The other members are walked as in a JSON line, so a secret in `attrs`
//! (`--log-opt env=…`) is redacted too; `stream` and `time` keep their bytes (no rule matches
//! them).
//!
//! Docker also cuts messages longer than 16 KiB into lines whose `log` lacks the final `\n`
//! (every part but the last). Those are joined per stream like CRI partial lines (below): the
//! decoded `log` bodies make one message, scrubbed once, and each part goes back into its own
//! line: an unchanged part byte for byte, a changed one with only the changed region
//! re-encoded (Go's escaping), the envelope (`stream`, `time`, `attrs`) as it was. Docker and
//! CRI lines have groups of their own.
//!
//! **JSON lines.** The same reasoning: raw scrubbing, checked to leave valid JSON. Lines with
//! a hiding escape or a `[[json_fields]]` key are walked member by member (see the `json`
//! submodule): path rules, secret-key rules on the member (the core scrubs `"key":<value>`),
//! and every string value decoded and scrubbed as text.
//!
//! **CRI.** A complete (`F`) line is plain text after its prefix: raw scrubbing, checked to keep
//! the prefix. Partial (`P`) lines are joined per stream until the stream's `F` line (the
//! streams interleave); the joined message is scrubbed as one line, so a token cut across
//! lines is found; and it is written back **as the same lines**: same count, same timestamps,
//! streams and tags, each line carrying its original part of the message. A cut in unchanged
//! text stays where it was; a cut inside a rewritten secret moves to the end of its
//! replacement (the replacement stays whole on the line where the secret began). Output order
//! is input order: lines after an open partial line wait until its group is complete.
//!
//! Memory is bounded by `cap` (`--max-line`): when the joined messages and the waiting lines
//! exceed it, the oldest open group is scrubbed as it is and written out — fail closed: a
//! token run at its end is replaced by the marker, and the leading token run of that stream's
//! next message is dropped (as the framer does for an overlong run). A stream that never
//! sends `F` therefore never holds more than `cap`. A line longer than `--max-line` (framed as
//! windows) first closes open groups the same way. At the end of an input, open groups are
//! written out scrubbed.
//!
//! **logfmt** (`--format logfmt` only: nothing cheap tells logfmt from prose). See the
//! `logfmt` submodule: the core already handles `key=value` and `key="v"`; only an unquoted
//! secret value containing a byte the core stops at (`,;&|'"<>)]}\`), or starting with `{`
//! or `[` (which the core skips as nested JSON), is quoted before the core sees the line.
//!
//! # Malformed lines
//!
//! A line that the format says is structured but does not parse (truncated JSON, a bad escape,
//! a CRI line without its stream) is scrubbed as raw text and written, never dropped, and
//! counted in [`Stats::format_fallbacks`]. When the raw rewrite leaves a well-formed line (the
//! broken part was a value it redacted), that line is walked as well, so a second pass has
//! nothing left to find. Only lines the layer had to look at (a finding or a
//! prescan hit) are checked; a clean line passes through untouched either way.
//!
//! ```
//! use logscrub::format::{ChunkInfo, Format, FormatScrubber, FormatState};
//! use logscrub::{Rules, Scrubber};
//!
//! let scrubber = Scrubber::new(&Rules::embedded())?;
//! let fmt = FormatScrubber::new(&scrubber, Format::Auto, 8 << 20);
//! let mut st = FormatState::default();
//! let input = b"{\"log\":\"password=hunter2 \\u0026 more\\n\",\"stream\":\"stdout\",\"time\":\"2024-05-01T10:00:00Z\"}\n";
//! let out = fmt.scrub_chunk(input, &mut st, ChunkInfo::default()).to_vec();
//! assert_eq!(out, b"{\"log\":\"password=[REDACTED] \\u0026 more\\n\",\"stream\":\"stdout\",\"time\":\"2024-05-01T10:00:00Z\"}\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod cri;
mod docker;
mod json;
mod logfmt;

/// Strict checks that bytes are one JSON object (the token path validates payloads and
/// headers with them).
pub(crate) use json::{object_members, string_end, value_end};

use std::borrow::Cow;
use std::fmt;
use std::io::{self, Write};
use std::ops::Range;
use std::str::FromStr;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind, packed};

use crate::frame::is_run_byte;
use crate::rules::Action;
use crate::scrub::{Finding, Scratch, Scrubber};
use crate::stats::{FindingKind, Stats};

/// How lines are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Decided per line: `{"log":` starts a Docker line, `<time> <stream> <P|F> ` a CRI line,
    /// `{` a JSON line when it parses; anything else is raw.
    #[default]
    Auto,
    /// Plain text: the core scrubber alone.
    Raw,
    /// One JSON object per line.
    Json,
    /// Docker's json-file driver.
    Docker,
    /// CRI (containerd, CRI-O), with partial lines joined.
    Cri,
    /// `key=value key="quoted value"`.
    Logfmt,
}

impl Format {
    /// Every format, in `--help` order.
    pub const ALL: [Format; 6] = [Format::Auto, Format::Raw, Format::Json, Format::Docker, Format::Cri, Format::Logfmt];

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::Raw => "raw",
            Format::Json => "json",
            Format::Docker => "docker",
            Format::Cri => "cri",
            Format::Logfmt => "logfmt",
        }
    }

    fn cri(self) -> bool {
        matches!(self, Format::Auto | Format::Cri)
    }

    fn docker(self) -> bool {
        matches!(self, Format::Auto | Format::Docker)
    }

    fn structured(self) -> bool {
        matches!(self, Format::Auto | Format::Json | Format::Docker | Format::Cri)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Format, String> {
        Format::ALL.into_iter().find(|f| f.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
            format!("unknown format `{s}`, expected one of: {}", names.join(", "))
        })
    }
}

/// Where a chunk sits in its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkInfo {
    /// The chunk's first line began in an earlier chunk (after long-line windows): it is
    /// scrubbed as raw text.
    pub continued: bool,
    /// Line number of the chunk's first line (1-based), for findings.
    pub first_line: u64,
}

impl Default for ChunkInfo {
    fn default() -> Self {
        ChunkInfo { continued: false, first_line: 1 }
    }
}

/// Findings of a joined CRI message: offsets point into `bytes` (the joined message), all on
/// line `first_line`, whose message starts `col_base` bytes into the line.
#[derive(Debug, Clone)]
pub struct GroupReport {
    /// The joined message.
    pub bytes: Vec<u8>,
    /// Line number of the line the findings start on.
    pub first_line: u64,
    /// Bytes of that line before its part of the message.
    pub col_base: u64,
    /// The findings (`line_start`: where that line's part begins in `bytes`).
    pub findings: Vec<Finding>,
}

/// Prescan hit kinds (bit flags).
const PARTIAL: u8 = 1;
const HAZARD: u8 = 2;
const WORD: u8 = 4;
const DOCKER_PART: u8 = 8;

/// Escapes that can hide a secret from the raw scan, in pattern order.
const ESCAPES: [&[u8]; 4] = [b"\\\\", b"\\t", b"\\/", b"\\u00"];

/// A CRI partial line holds its stream and the `P` tag: `stdout P ` or `stderr P `. The
/// prescan looks for the tag, `P `, then checks the stream before it.
const PARTIAL_TAG: &[u8] = b"P ";
const PARTIAL_STREAMS: [&[u8]; 2] = [b"stdout ", b"stderr "];

/// Bytes that end or skip an unquoted value for the core but not for logfmt (see `logfmt`).
const LOGFMT_STOPS: &[u8] = b"{[&;,')]}<>|\\";

/// Builds once per scrubber and format; scrubs chunks from any number of threads, each with
/// its own [`FormatState`].
#[derive(Debug)]
pub struct FormatScrubber<'a> {
    scrubber: &'a Scrubber,
    format: Format,
    cap: usize,
    /// Searchers, by index: [`ESCAPES`] that can hide a secret; words (`[[json_fields]]`
    /// keys, or logfmt's `=` + stop byte); CRI partial markers. Each keeps its own next hit
    /// (`FormatState::next`), so a chunk is searched once per searcher.
    finders: [Option<Finder>; FINDERS],
    /// Lowercase `[[secret_keys]]` names.
    secret_names: Vec<Vec<u8>>,
}

/// Which prescan searcher (index into `finders` and `FormatState::next`).
const ESCAPE_FINDER: usize = 0;
const WORD_FINDER: usize = 1;
const PARTIAL_FINDER: usize = 2;
const DOCKER_FINDER: usize = 3;
const FINDERS: usize = 4;

/// One prescan searcher: Teddy (SIMD) when the CPU has it and the search is case-sensitive,
/// an Aho-Corasick automaton otherwise; the marks have their own.
#[derive(Debug, Clone)]
enum Finder {
    Teddy(packed::Searcher),
    Automaton(AhoCorasick),
    /// [`ESCAPES`]: `memchr` for the backslash, then the escapes in order (pattern = index).
    /// Backslashes are rare in plain text and a few per line in JSON.
    Escapes,
    /// CRI partial markers: `memchr::memmem` for [`PARTIAL_TAG`], then one of
    /// [`PARTIAL_STREAMS`] before it (the hit spans both).
    Partial(memchr::memmem::Finder<'static>),
    /// Docker json-file lines cut from a longer message: `memchr::memmem` for the end of the
    /// `log` body ([`docker::STREAM`]), then the line's start, which must be [`docker::PREFIX`],
    /// and a body that lacks the final `\n` (checked exactly by [`docker::log_end`]). The hit
    /// is the prefix. Used only in input that is Docker's (see `FormatScrubber::docker_parts`):
    /// one hit per line there.
    DockerPart(memchr::memmem::Finder<'static>),
}

impl Finder {
    fn new(pats: &[Vec<u8>], nocase: bool) -> Option<Finder> {
        if pats.is_empty() {
            return None;
        }
        if !nocase {
            let teddy =
                packed::Config::new().match_kind(packed::MatchKind::LeftmostFirst).builder().extend(pats).build();
            if let Some(t) = teddy {
                return Some(Finder::Teddy(t));
            }
        }
        Some(Finder::Automaton(
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostFirst)
                .ascii_case_insensitive(nocase)
                .build(pats)
                .expect("a few short literals always build"),
        ))
    }

    /// The leftmost hit at or after `from`: (start, end, pattern).
    fn find(&self, hay: &[u8], from: usize) -> Option<(usize, usize, u32)> {
        let m = match self {
            Finder::Teddy(t) => t.find_in(hay, aho_corasick::Span::from(from..hay.len())),
            Finder::Automaton(a) => a.find(aho_corasick::Input::new(hay).range(from..)),
            Finder::Escapes => {
                let mut at = from;
                while let Some(i) = memchr::memchr(b'\\', hay.get(at..)?) {
                    let p = at + i;
                    if let Some(k) = ESCAPES.iter().position(|e| hay[p..].starts_with(e)) {
                        return Some((p, p + ESCAPES[k].len(), k as u32));
                    }
                    at = p + 1;
                }
                return None;
            }
            Finder::Partial(f) => {
                let mut at = from;
                while let Some(i) = f.find(hay.get(at..)?) {
                    let tag = at + i;
                    let s = tag.saturating_sub(PARTIAL_STREAMS[0].len());
                    if s >= from && PARTIAL_STREAMS.iter().any(|m| hay[s..tag] == **m) {
                        return Some((s, tag + PARTIAL_TAG.len(), 0));
                    }
                    at = tag + 1;
                }
                return None;
            }
            Finder::DockerPart(f) => {
                // In a valid json-file line the first `","stream":"` ends the `log` body: every
                // quote inside the body is escaped. A hit whose body lacks the final `\n` is a
                // candidate, checked exactly by `docker::log_end` from its line start.
                let mut at = from;
                while let Some(i) = f.find(hay.get(at..)?) {
                    let m = at + i;
                    let p = memchr::memrchr(b'\n', &hay[..m]).map_or(0, |k| k + 1);
                    if p >= from
                        && hay[p..m].starts_with(docker::PREFIX)
                        && !docker::ends_message(&hay[p + docker::PREFIX.len()..m])
                        && matches!(docker::log_end(&hay[p..]), Some((_, false)))
                    {
                        return Some((p, p + docker::PREFIX.len(), 0));
                    }
                    at = m + 1;
                }
                return None;
            }
        };
        m.map(|m| (m.start(), m.end(), m.pattern().as_u32()))
    }
}

impl<'a> FormatScrubber<'a> {
    /// A format layer over `scrubber`; `cap` bounds the bytes held for CRI partial lines (use
    /// the framer's `max_window`, `--max-line`).
    pub fn new(scrubber: &'a Scrubber, format: Format, cap: usize) -> FormatScrubber<'a> {
        let rules = scrubber.rules();
        let secret_names: Vec<Vec<u8>> =
            rules.secret_keys().iter().flat_map(|g| g.names.iter().map(|n| n.as_bytes().to_vec())).collect();
        // The prescan's cost on clean logs, 16 MiB pipe-fed (callgrind): one 2-byte Teddy pass
        // for the escapes and ` P ` 10.7 M instructions; `memchr2` for the backslash and `P`,
        // then a check, 7.7 M (`P` is one byte in 400); these two searchers 6.7 M (`memmem`
        // for ` P ` stopped at every word starting with `P`: 5.3 M of its own).
        let escapes = format.structured().then_some(Finder::Escapes);
        let partial = format.cri().then(|| Finder::Partial(memchr::memmem::Finder::new(PARTIAL_TAG).into_owned()));
        let docker_part =
            format.docker().then(|| Finder::DockerPart(memchr::memmem::Finder::new(docker::STREAM).into_owned()));
        let mut words: Vec<Vec<u8>> = Vec::new();
        let mut nocase = true;
        if format.structured() {
            for g in rules.json_fields() {
                for p in &g.paths {
                    words.push(p.literal().as_bytes().to_vec());
                }
            }
        } else if format == Format::Logfmt {
            // A value the core would skip or cut at its first byte (`token={…}`,
            // `password=,x`); values cut later show up as lines the core changed.
            words = LOGFMT_STOPS.iter().map(|&b| vec![b'=', b]).collect();
            nocase = false;
        }
        words.sort();
        words.dedup();
        FormatScrubber {
            scrubber,
            format,
            cap: cap.max(1),
            finders: [escapes, Finder::new(&words, nocase), partial, docker_part],
            secret_names,
        }
    }

    /// The format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The core scrubber.
    pub fn scrubber(&self) -> &'a Scrubber {
        self.scrubber
    }

    fn marker(&self) -> &str {
        self.scrubber.rules().redacted_marker()
    }

    /// Whether a member key is a secret key: it ends with a name, or with a name and a suffix
    /// (`password_confirmation`), as the scanner reads keys (`credential::key_names_secret`).
    fn is_secret_key(&self, key: &[u8]) -> bool {
        self.secret_names.iter().any(|n| crate::credential::key_names_secret(key, n))
    }

    /// The `[[json_fields]]` path matching the member at `path` (ranges into `keys`), and its
    /// group's action.
    fn field_match(&self, keys: &[u8], path: &[Range<usize>]) -> Option<(&str, Action)> {
        let rules = self.scrubber.rules().json_fields();
        if rules.is_empty() {
            return None;
        }
        let parts: Vec<&[u8]> = path.iter().map(|r| &keys[r.clone()]).collect();
        rules.iter().find_map(|g| g.paths.iter().find(|p| p.matches(&parts)).map(|p| (p.as_str(), g.action)))
    }

    /// Appends the JSON replacement of a `[[json_fields]]` value (`raw`: its JSON text) under
    /// `action`, or returns `false` when the value already is that action's output. Strings
    /// are rewritten from their decoded text and written back as JSON strings; other scalars
    /// from their JSON text; an object or an array is hashed from its text, masked whole.
    fn field_value(&self, raw: &[u8], action: Action, out: &mut Vec<u8>) -> bool {
        let marker = self.marker().as_bytes();
        let decoded = if raw.first() == Some(&b'"') { serde_json::from_slice::<String>(raw).ok() } else { None };
        let text: &[u8] = decoded.as_deref().map_or(raw, str::as_bytes);
        if decoded.as_ref().is_some_and(|d| self.scrubber.is_scrubbed(d.as_bytes(), action)) {
            return false;
        }
        let mut v = Vec::new();
        match action {
            Action::Mask(_) if matches!(raw.first(), Some(b'{' | b'[')) => v.extend_from_slice(b"***"),
            Action::Keep | Action::Drop | Action::Redact => v.extend_from_slice(marker),
            _ => {
                self.scrubber.rewrite_opaque(text, action, &mut v);
            }
        }
        let s = String::from_utf8_lossy(&v);
        serde_json::to_writer(&mut *out, &s).expect("writing to a Vec cannot fail");
        true
    }

    /// Whether the chunk must be scrubbed in order with the stream's reassembly state (it has
    /// a CRI partial line, or a partial group is open). The parallel path scrubs such chunks
    /// on its reader thread.
    pub fn needs_order(&self, chunk: &[u8], st: &mut FormatState) -> bool {
        st.cri.pending()
            || self.finders[PARTIAL_FINDER].iter().any(|f| f.find(chunk, 0).is_some())
            || (self.docker_parts(chunk, st) && self.finders[DOCKER_FINDER].iter().any(|f| f.find(chunk, 0).is_some()))
    }

    /// Whether Docker json-file lines cut from a longer message are joined in this input:
    /// with `--format docker` always; with `auto` when the input's first line is a json-file
    /// line, as a Docker log file's is. Decided once per input, on its first chunk (by the
    /// reader, with threads), so the output does not depend on how reads cut the input. Other
    /// input pays nothing for it: a search for such lines in every chunk cost 7–9% of the
    /// instructions on clean bench logs, a fifth of whose lines start with `{`.
    fn docker_parts(&self, chunk: &[u8], st: &mut FormatState) -> bool {
        match self.format {
            Format::Docker => !st.worker,
            Format::Auto => !st.worker && *st.docker_parts.get_or_insert_with(|| chunk.starts_with(docker::PREFIX)),
            _ => false,
        }
    }

    /// Whether partial lines are waiting for the rest of their message.
    pub fn pending(&self, st: &FormatState) -> bool {
        st.cri.pending()
    }

    // === the chunk path ===

    /// Scrubs a chunk of whole lines (the last may lack its `\n`). See the module docs.
    pub fn scrub_chunk<'s>(&self, chunk: &'s [u8], st: &'s mut FormatState, info: ChunkInfo) -> Output<'s> {
        st.begin(info);
        let docker = self.docker_parts(chunk, st);
        st.docker_on = docker;
        if self.format == Format::Raw {
            self.flush_segment(chunk, 0..chunk.len(), st, false);
            st.end(chunk);
            return st.output(chunk);
        }
        let len = chunk.len();
        let (mut pos, mut seg) = (0, 0);
        if info.continued {
            // The tail of a long line: raw text, as its windows were.
            pos = next_line(chunk, 0);
            self.flush_segment(chunk, 0..pos, st, false);
            seg = pos;
        }
        while pos < len {
            let (ls, le) = if st.cri.pending() {
                (pos, line_end(chunk, pos))
            } else {
                let Some(h) = self.next_hit(chunk, pos, st) else { break };
                (memchr::memrchr(b'\n', &chunk[pos..h]).map_or(pos, |i| pos + i + 1), line_end(chunk, h))
            };
            let kinds = self.hits_in_line(chunk, ls, le, st);
            let next = (le + 1).min(len);
            match self.line_action(&chunk[ls..le], kinds, st) {
                LineAction::Normal => {}
                LineAction::Member(c) => {
                    self.flush_segment(chunk, seg..ls, st, true);
                    self.member(chunk, ls, le, c, st);
                    seg = next;
                }
                LineAction::DockerMember(d) => {
                    self.flush_segment(chunk, seg..ls, st, true);
                    self.docker_member(chunk, ls, le, d, st);
                    seg = next;
                }
                LineAction::Special => {
                    self.flush_segment(chunk, seg..ls, st, true);
                    self.special(chunk, ls, le, st);
                    st.emit_input(chunk, le..next);
                    seg = next;
                }
            }
            self.enforce_cap(st);
            pos = next;
        }
        self.flush_segment(chunk, seg..len, st, true);
        self.enforce_cap(st);
        st.end(chunk);
        st.output(chunk)
    }

    /// Closes open partial groups fail-closed (before a long-line window) and returns what
    /// became ready.
    pub fn break_groups<'s>(&self, st: &'s mut FormatState) -> Output<'s> {
        st.begin(ChunkInfo::default());
        while let Some(s) = st.cri.oldest() {
            self.finalize(s, true, st);
        }
        st.end(b"");
        st.output(b"")
    }

    /// Ends an input: writes out open partial groups (scrubbed; the message simply ends) and
    /// resets the reassembly state.
    pub fn finish<'s>(&self, st: &'s mut FormatState) -> Output<'s> {
        st.begin(ChunkInfo::default());
        while let Some(s) = st.cri.oldest() {
            self.finalize(s, false, st);
        }
        st.end(b"");
        st.cri.reset();
        st.docker_parts = None;
        st.output(b"")
    }

    /// The next prescan hit at or after `from`.
    fn next_hit(&self, chunk: &[u8], from: usize, st: &mut FormatState) -> Option<usize> {
        let mut best: Option<usize> = None;
        for (i, f) in self.finders.iter().enumerate() {
            let Some(f) = f.as_ref().filter(|_| i != DOCKER_FINDER || st.docker_on) else { continue };
            if let Some((s, _, _)) = st.next[i].get(f, chunk, from) {
                best = Some(best.map_or(s, |b| b.min(s)));
            }
        }
        best
    }

    /// Consumes the hits inside `ls..le` and returns their kinds.
    fn hits_in_line(&self, chunk: &[u8], ls: usize, le: usize, st: &mut FormatState) -> u8 {
        let mut kinds = 0;
        for (i, f) in self.finders.iter().enumerate() {
            let Some(f) = f.as_ref().filter(|_| i != DOCKER_FINDER || st.docker_on) else { continue };
            let mut from = ls;
            while let Some((s, e, pat)) = st.next[i].get(f, chunk, from) {
                if s >= le {
                    break;
                }
                kinds |= match i {
                    ESCAPE_FINDER if hides_secret(chunk, s, pat) => HAZARD,
                    ESCAPE_FINDER => 0,
                    WORD_FINDER => WORD,
                    DOCKER_FINDER => DOCKER_PART,
                    _ => PARTIAL,
                };
                from = e;
            }
        }
        kinds
    }

    fn classify(&self, line: &[u8]) -> Class {
        let json_led = || line.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        match self.format {
            Format::Raw => Class::Raw,
            Format::Logfmt => Class::Logfmt,
            Format::Docker if line.starts_with(docker::PREFIX) => Class::Docker,
            Format::Json if json_led() => Class::Json,
            Format::Cri => cri::parse(line).map_or(Class::Malformed, Class::Cri),
            Format::Docker | Format::Json => Class::Malformed,
            Format::Auto => {
                if line.starts_with(docker::PREFIX) {
                    Class::Docker
                } else if let Some(c) = cri::parse(line) {
                    Class::Cri(c)
                } else if json_led() {
                    Class::Json
                } else {
                    Class::Raw
                }
            }
        }
    }

    fn line_action(&self, line: &[u8], kinds: u8, st: &FormatState) -> LineAction {
        if st.docker_on && (kinds & DOCKER_PART != 0 || st.cri.pending()) {
            if let Some(d) = docker::part(line) {
                if d.partial || st.cri.has_group(cri::Slot::docker(d.stream)) {
                    return LineAction::DockerMember(d);
                }
            }
        }
        if self.format.cri() && (kinds & PARTIAL != 0 || st.cri.pending()) {
            if let Some(c) = cri::parse(line) {
                if c.partial || st.cri.has_group(cri::Slot::cri(c.stream)) {
                    return LineAction::Member(c);
                }
            }
        }
        if kinds & (HAZARD | WORD) == 0 {
            return LineAction::Normal;
        }
        let special = match self.classify(strip_cr(line).0) {
            Class::Docker | Class::Json => true,
            Class::Cri(c) => line.get(c.content) == Some(&b'{'),
            Class::Logfmt => kinds & WORD != 0 && self.logfmt_needs_quotes(line),
            Class::Raw | Class::Malformed => false,
        };
        if special { LineAction::Special } else { LineAction::Normal }
    }

    /// Scrubs `range` (whole lines) with the core and emits it; with `check`, changed
    /// structured lines are verified and those that fail are scrubbed as special instead.
    fn flush_segment(&self, chunk: &[u8], range: Range<usize>, st: &mut FormatState, check: bool) {
        if range.is_empty() {
            return;
        }
        let seg = &chunk[range.clone()];
        let out_base = st.out.len();
        let mut rec = std::mem::take(&mut st.rec);
        rec.clear();
        // Lines are counted per chunk (`FormatState::end`), not per segment.
        let scrubbed = self.scrubber.scrub_buf_uncounted(seg, &mut st.work.scratch);
        if scrubbed.is_unchanged() {
            st.work.absorb(true);
            st.emit_input(chunk, range);
            st.rec = rec;
            return;
        }
        let mut recorder =
            Recorder { base: seg.as_ptr() as usize, len: seg.len(), off: range.start, rec: &mut rec, out: &mut st.out };
        scrubbed.write_to(&mut recorder).expect("recording cannot fail");

        // Verify every changed line: the gaps between the core's input pieces are the lines
        // it rewrote, and the bytes it wrote in between are their rewrites.
        let mut bad: Vec<Range<usize>> = Vec::new();
        let mut fallbacks = 0;
        if check && self.format != Format::Raw {
            let mut cursor = range.start;
            let mut own: Option<Range<usize>> = None;
            for r in rec.iter().map(Some).chain([None]) {
                let gap_end = match r {
                    Some(Rec::Own(or)) => {
                        own = Some(own.map_or(or.clone(), |o| o.start..or.end));
                        continue;
                    }
                    Some(Rec::Input(ir)) => ir.start,
                    None => range.end,
                };
                if gap_end > cursor {
                    let ownb = own.take().map_or(&b""[..], |o| &st.out[o]);
                    self.check_region(&chunk[..gap_end], cursor, ownb, &mut bad, &mut fallbacks);
                }
                own = None;
                if let Some(Rec::Input(ir)) = r {
                    cursor = ir.end;
                }
            }
        }
        if bad.is_empty() {
            st.work.stats.format_fallbacks += fallbacks;
            st.work.absorb_findings(range.start);
            st.work.absorb(true);
            for r in &rec {
                match r {
                    Rec::Input(ir) => st.emit_input(chunk, ir.clone()),
                    Rec::Own(or) => st.emit_out(or.clone()),
                }
            }
            st.rec = rec;
            return;
        }
        // Some rewrites broke their format: scrub the segment again around those lines, and
        // the lines themselves as special (so nothing is counted twice).
        st.out.truncate(out_base);
        st.work.discard();
        st.rec = rec;
        let mut from = range.start;
        for b in bad {
            self.flush_segment(chunk, from..b.start, st, false);
            let next = (b.end + 1).min(range.end);
            self.special(chunk, b.start, b.end, st);
            st.emit_input(chunk, b.end..next);
            from = next;
        }
        self.flush_segment(chunk, from..range.end, st, false);
    }

    /// Checks the lines of `chunk[from..]` (rewritten by the core into `out`, line for line)
    /// and notes those to redo.
    fn check_region(&self, chunk: &[u8], from: usize, out: &[u8], bad: &mut Vec<Range<usize>>, fallbacks: &mut u64) {
        // Input and output lines are walked in lockstep (one `memchr` per line on each side,
        // no separate count: a gap is usually a line or two, and per-call costs dominate).
        // Verdicts have no other effect, so if the two run out of lines at different
        // places, what was noted is rolled back and the whole region redone.
        let (noted, fell_back) = (bad.len(), *fallbacks);
        let (mut i, mut j) = (from, 0);
        loop {
            let ie = memchr::memchr(b'\n', &chunk[i..]).map_or(chunk.len(), |k| i + k);
            let je = memchr::memchr(b'\n', &out[j..]).map_or(out.len(), |k| j + k);
            let (in_last, out_last) = (ie == chunk.len(), je == out.len());
            if in_last != out_last {
                // Not line for line (never expected): redo every line of the region.
                bad.truncate(noted);
                *fallbacks = fell_back;
                let mut s = from;
                for e in memchr::memchr_iter(b'\n', &chunk[from..]).map(|k| from + k).chain([chunk.len()]) {
                    bad.push(s..e);
                    s = e + 1;
                }
                return;
            }
            match self.verdict(&chunk[i..ie], &out[j..je]) {
                Verdict::Keep => {}
                Verdict::Fallback => *fallbacks += 1,
                Verdict::Redo => bad.push(i..ie),
            }
            if in_last {
                return;
            }
            (i, j) = (ie + 1, je + 1);
        }
    }

    /// Whether the core's rewrite `out` of the changed line `input` keeps the line's format.
    fn verdict(&self, input: &[u8], out: &[u8]) -> Verdict {
        let (inp, _) = strip_cr(input);
        let (outp, _) = strip_cr(out);
        match self.classify(inp) {
            Class::Raw => Verdict::Keep,
            Class::Logfmt if self.logfmt_needs_quotes(input) => Verdict::Redo,
            Class::Logfmt => Verdict::Keep,
            Class::Malformed => Verdict::Fallback,
            // A valid result is kept (the core rewrites values only, so a valid result came
            // from a valid line); otherwise the input decides: malformed, or to redo.
            Class::Docker if docker::still_valid(outp) => Verdict::Keep,
            Class::Docker => match docker::parse(inp) {
                None => Verdict::Fallback,
                Some(_) => Verdict::Redo,
            },
            Class::Json if json::is_object(outp) => Verdict::Keep,
            Class::Json if !json::is_object(inp) => Verdict::Fallback,
            Class::Json => Verdict::Redo,
            Class::Cri(c) => {
                let same_prefix = out.get(..c.content) == Some(&input[..c.content]);
                let content = &input[c.content..];
                let json_ok = !(content.first() == Some(&b'{') && json::is_object(strip_cr(content).0))
                    || out.get(c.content..).is_some_and(|o| json::is_object(strip_cr(o).0));
                if same_prefix && json_ok { Verdict::Keep } else { Verdict::Redo }
            }
        }
    }

    /// Scrubs one special line and emits it (without its terminator).
    fn special(&self, chunk: &[u8], ls: usize, le: usize, st: &mut FormatState) {
        let line = &chunk[ls..le];
        let (body, cr) = strip_cr(line);
        st.work.line_start = ls;
        let mut out = std::mem::take(&mut st.line_out);
        out.clear();
        let changed = match self.scrub_structured(body, &mut st.work, &mut out) {
            Some(true) => {
                if cr {
                    out.push(b'\r');
                }
                true
            }
            Some(false) => false,
            None => {
                st.work.stats.format_fallbacks += 1;
                out.clear();
                match st.work.scrub_text(self, line, None, 0) {
                    Some(v) => {
                        // Redacting a broken value can leave a well-formed line
                        // (`{"\u0070wd=x":"\c"}` -> `{"\u0070wd=x":"[REDACTED]"}`) whose escapes
                        // the raw pass could not read: it is walked too, as a second pass would
                        // walk it. (Findings of the walk point into the rewritten line.)
                        let (vb, vcr) = strip_cr(&v);
                        if self.scrub_structured(vb, &mut st.work, &mut out) != Some(true) {
                            out.clear();
                            out.extend_from_slice(&v);
                        } else if vcr {
                            out.push(b'\r');
                        }
                        true
                    }
                    None => false,
                }
            }
        };
        if changed {
            st.work.stats.lines_changed += 1;
            st.emit_bytes(&out);
        } else {
            st.emit_input(chunk, ls..le);
        }
        st.line_out = out;
    }

    /// Scrubs a structured line by its format into `out`: `Some(changed)`, or `None` when it
    /// is malformed.
    fn scrub_structured(&self, body: &[u8], work: &mut Work, out: &mut Vec<u8>) -> Option<bool> {
        match self.classify(body) {
            Class::Docker => {
                docker::parse(body)?;
                json::scrub_object(self, work, body, out, true)
            }
            Class::Json => {
                if !json::is_object(body) {
                    return None;
                }
                json::scrub_object(self, work, body, out, false)
            }
            Class::Cri(c) => {
                work.push_xlate(None, c.content);
                let new = self.scrub_message(work, &body[c.content..]);
                work.xlate.pop();
                let Some(new) = new else { return Some(false) };
                out.extend_from_slice(&body[..c.content]);
                out.extend_from_slice(&new);
                Some(true)
            }
            Class::Logfmt => Some(self.scrub_logfmt(work, body, out)),
            Class::Raw => match work.scrub_text(self, body, None, 0) {
                Some(v) => {
                    out.extend_from_slice(&v);
                    Some(true)
                }
                None => Some(false),
            },
            Class::Malformed => None,
        }
    }

    /// Scrubs a message (Docker's decoded `log`, a CRI message): a JSON object member by
    /// member, anything else as text. `None` when nothing changed.
    fn scrub_message(&self, work: &mut Work, text: &[u8]) -> Option<Vec<u8>> {
        if text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') && json::is_object(text) {
            let mut o = Vec::new();
            return match json::scrub_object(self, work, text, &mut o, false) {
                Some(true) => Some(o),
                _ => None,
            };
        }
        work.scrub_text(self, text, None, 0)
    }

    /// Whether a joined message is a JSON object with a prescan hit (a hiding escape or a
    /// `[[json_fields]]` key), which the core alone would not handle.
    fn needs_walk(&self, msg: &[u8]) -> bool {
        if msg.first() != Some(&b'{') {
            return false;
        }
        let hazard = self.finders[ESCAPE_FINDER].as_ref().is_some_and(|f| {
            let mut from = 0;
            while let Some((s, e, pat)) = f.find(msg, from) {
                if hides_secret(msg, s, pat) {
                    return true;
                }
                from = e;
            }
            false
        });
        let word =
            self.format.structured() && self.finders[WORD_FINDER].as_ref().is_some_and(|f| f.find(msg, 0).is_some());
        (hazard || word) && json::is_object(msg)
    }

    fn logfmt_needs_quotes(&self, line: &[u8]) -> bool {
        let mut ps = Vec::new();
        logfmt::pairs(line, &mut ps);
        ps.iter().any(|p| {
            !p.quoted && self.is_secret_key(&line[p.key.clone()]) && logfmt::needs_quotes(&line[p.value.clone()])
        })
    }

    /// See the `logfmt` submodule. Appends the rewritten line to `out` and returns `true`, or
    /// returns `false` when nothing changed.
    fn scrub_logfmt(&self, work: &mut Work, line: &[u8], out: &mut Vec<u8>) -> bool {
        let mut ps = Vec::new();
        logfmt::pairs(line, &mut ps);
        let (mut wrapped, mut map) = (Vec::with_capacity(line.len() + 16), Vec::with_capacity(line.len() + 16));
        let mut quoted_idx = Vec::new();
        let mut prev = 0;
        for (i, p) in ps.iter().enumerate() {
            let v = &line[p.value.clone()];
            if p.quoted || !self.is_secret_key(&line[p.key.clone()]) || !logfmt::needs_quotes(v) {
                continue;
            }
            wrapped.extend_from_slice(&line[prev..p.value.start]);
            map.extend((prev..p.value.start).map(|x| x as u32));
            logfmt::quote(v, p.value.start, &mut wrapped, &mut map);
            prev = p.value.end;
            quoted_idx.push(i);
        }
        wrapped.extend_from_slice(&line[prev..]);
        map.extend((prev..=line.len()).map(|x| x as u32));
        let Some(new) = work.scrub_text(self, &wrapped, Some(&map), 0) else {
            return false;
        };
        // Take the added quotes off again where the rewritten value needs none.
        let mut ps2 = Vec::new();
        logfmt::pairs(&new, &mut ps2);
        if ps2.len() != ps.len() {
            out.extend_from_slice(&new);
            return true;
        }
        let mut prev = 0;
        for &i in &quoted_idx {
            let p = &ps2[i];
            // Not quoted, or its quote no longer closed (the rewrite ran past it): left as is.
            if !p.quoted || p.value.end >= new.len() {
                continue;
            }
            if let Some(v) = logfmt::unquoted(&new[p.value.clone()]) {
                out.extend_from_slice(&new[prev..p.value.start - 1]);
                out.extend_from_slice(&v);
                prev = p.value.end + 1;
            }
        }
        out.extend_from_slice(&new[prev..]);
        true
    }

    // === CRI partial lines ===

    fn member(&self, chunk: &[u8], ls: usize, le: usize, c: cri::Line, st: &mut FormatState) {
        let line = &chunk[ls..le];
        let j = Joined {
            slot: cri::Slot::cri(c.stream),
            partial: c.partial,
            prefix: &line[..c.tag_end],
            sep: c.content > c.tag_end,
            content: &line[c.content..],
            docker: None,
        };
        self.join(chunk, ls, le, j, st);
    }

    /// [`Self::member`] for a Docker json-file line: its decoded `log` body joins the stream's
    /// message; the line around the body is kept to write it back.
    fn docker_member(&self, chunk: &[u8], ls: usize, le: usize, d: docker::Part, st: &mut FormatState) {
        let line = &chunk[ls..le];
        let body = &line[d.body.clone()];
        let (mut content, mut map) = (Vec::new(), Vec::new());
        if json::decode(body, &mut content, &mut map).is_none() {
            // `docker::part` checked the line is valid JSON, so its body decodes; were it not
            // so, the body is joined as it is written (fail closed: it is still scrubbed).
            content.clear();
            content.extend_from_slice(body);
        }
        let (mut raw, mut suffix) = (st.take_buf(), st.take_buf());
        raw.extend_from_slice(body);
        suffix.extend_from_slice(&line[d.body.end..]);
        let j = Joined {
            slot: cri::Slot::docker(d.stream),
            partial: d.partial,
            prefix: &line[..d.body.start],
            sep: false,
            content: &content,
            docker: Some(cri::DockerLine { raw, suffix }),
        };
        self.join(chunk, ls, le, j, st);
    }

    /// Adds a line's part of a message to its group, and finishes the group at the message's
    /// last part.
    fn join(&self, chunk: &[u8], ls: usize, le: usize, j: Joined<'_>, st: &mut FormatState) {
        let Joined { slot: s, partial, prefix: line_prefix, sep, mut content, docker } = j;
        let mut swallowed = false;
        if *st.cri.swallow_mut(s) {
            let n = content.iter().take_while(|&&b| is_run_byte(b)).count();
            swallowed = n > 0;
            content = &content[n..];
            if !content.is_empty() || !partial {
                *st.cri.swallow_mut(s) = false;
            }
        }
        let line_no = if st.work.record { st.line_no_at(chunk, ls) } else { 0 };
        let seq = st.cri.queue.push_waiting();
        let mut prefix = st.take_buf();
        prefix.extend_from_slice(line_prefix);
        if !st.cri.has_group(s) {
            *st.cri.group_mut(s) = Some(st.free_groups.pop().unwrap_or_default());
        }
        let g = st.cri.group_mut(s).as_mut().expect("just opened");
        g.kept += docker.as_ref().map_or(0, |d| d.raw.len() + d.suffix.len());
        g.members.push(cri::Member {
            seq,
            prefix,
            sep,
            len: content.len(),
            term: le < chunk.len(),
            swallowed,
            line_no,
            docker,
        });
        g.msg.extend_from_slice(content);
        if !partial {
            self.finalize(s, false, st);
        }
    }

    /// Keeps held bytes under the cap by closing the oldest open group, fail closed.
    fn enforce_cap(&self, st: &mut FormatState) {
        while st.cri.held() > self.cap {
            let Some(s) = st.cri.oldest() else { break };
            self.finalize(s, true, st);
        }
    }

    /// Scrubs a stream's joined message and puts it back into its lines (see the module docs).
    fn finalize(&self, slot: cri::Slot, capped: bool, st: &mut FormatState) {
        let Some(mut g) = st.cri.group_mut(slot).take() else { return };
        let msg = std::mem::take(&mut g.msg);
        let mut spans: Vec<Range<usize>> = Vec::new();
        let mut found: Vec<Finding> = Vec::new();
        let (new, touched_end) = if !capped && self.needs_walk(&msg) {
            let saved = std::mem::take(&mut st.work.findings);
            let (line_start, xlate) = (st.work.line_start, std::mem::take(&mut st.work.xlate));
            st.work.line_start = 0;
            let new = self.scrub_message(&mut st.work, &msg);
            found = std::mem::replace(&mut st.work.findings, saved);
            (st.work.line_start, st.work.xlate) = (line_start, xlate);
            (new, false)
        } else {
            st.work.scratch.record_findings(true);
            let scrubbed = self.scrubber.scrub_buf(&msg, &mut st.work.scratch);
            let new = (!scrubbed.is_unchanged()).then(|| scrubbed.to_vec());
            let touched = st.work.scratch.finding_touched_end();
            spans.extend(st.work.scratch.findings().iter().map(|f| f.span.clone()));
            if st.work.record {
                found.extend(st.work.scratch.findings().iter().cloned());
            }
            st.work.scratch.record_findings(st.work.record);
            st.work.absorb(false);
            (new, touched)
        };
        let mut new = match new {
            Some(v) => Cow::Owned(v),
            None => Cow::Borrowed(&msg[..]),
        };
        if capped {
            st.work.stats.partial_groups_capped += 1;
            // Fail closed: the run at the cut may be the start of a secret whose rest never
            // came; its rest in the stream's next message is dropped.
            let last_edit = spans.iter().map(|r| r.end).max().unwrap_or(0);
            let run = msg.iter().rev().take_while(|&&b| is_run_byte(b)).count().min(msg.len() - last_edit);
            if run > 0 && !touched_end {
                let n = new.to_mut();
                n.truncate(n.len() - run);
                n.extend_from_slice(self.marker().as_bytes());
                spans.push(msg.len() - run..msg.len());
            }
            *st.cri.swallow_mut(slot) = true;
        }
        let lens: Vec<usize> = g.members.iter().map(|m| m.len).collect();
        let cuts = cri::split_back(&msg, &new, &lens, &spans);
        if st.work.record && !found.is_empty() {
            st.add_group_reports(&g.members, &msg, found);
        }
        let mut off = 0;
        for (k, m) in g.members.iter().enumerate() {
            let part = &new[cuts[k]..cuts[k + 1]];
            let orig = &msg[off..off + m.len];
            let mut line = st.take_buf();
            line.extend_from_slice(&m.prefix);
            let changed = match &m.docker {
                None => {
                    let sep = m.sep || !part.is_empty();
                    if sep {
                        line.push(b' ');
                    }
                    line.extend_from_slice(part);
                    m.swallowed || sep != m.sep || part != orig
                }
                Some(d) => {
                    let changed = m.swallowed || part != orig;
                    if changed {
                        // Only the changed region is re-encoded (as Docker's Go encoder
                        // writes it); the body's other bytes stay as they were written.
                        let (mut old, mut map) = (Vec::new(), Vec::new());
                        if json::decode(&d.raw, &mut old, &mut map).is_some() {
                            json::splice_body(&d.raw, &old, &map, part, json::Style::Go, &mut line);
                        } else {
                            json::encode_go(part, &mut line);
                        }
                    } else {
                        line.extend_from_slice(&d.raw);
                    }
                    line.extend_from_slice(&d.suffix);
                    changed
                }
            };
            if changed {
                st.work.stats.lines_changed += 1;
            }
            off += m.len;
            if m.term {
                line.push(b'\n');
            }
            st.cri.queue.set_ready(m.seq, line);
        }
        drop(new);
        for m in g.members.drain(..) {
            st.give_buf(m.prefix);
            if let Some(d) = m.docker {
                st.give_buf(d.raw);
                st.give_buf(d.suffix);
            }
        }
        g.kept = 0;
        g.msg = msg;
        g.msg.clear();
        if g.msg.capacity() <= SPARE_MAX && st.free_groups.len() < 2 {
            st.free_groups.push(g);
        }
        st.drain_queue();
    }
}

/// Largest buffer kept for reuse; bigger ones (long messages) are freed.
const SPARE_MAX: usize = 64 * 1024;

/// Whether the escape found at `at` (pattern `pat` of [`ESCAPES`]) can hide a secret.
fn hides_secret(hay: &[u8], at: usize, pat: u32) -> bool {
    let prev = at.checked_sub(1).map(|i| hay[i]);
    let b64 = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'=' | b'-' | b'_'));
    match pat {
        0 => true, // `\\`: a string nested in a string
        1 => {
            // `\t` as a separator after `key:`, `key=`, `Bearer`, `Basic`
            let before = &hay[..at];
            matches!(prev, Some(b':' | b'='))
                || [&b"bearer"[..], b"basic"]
                    .iter()
                    .any(|w| before.len() >= w.len() && before[before.len() - w.len()..].eq_ignore_ascii_case(w))
        }
        2 => b64(prev) && b64(hay.get(at + 2).copied()), // `\/` inside a base64 value
        _ => {
            // `\u00XX` for a printable character other than Go's `<`, `>`, `&`, or a tab; and
            // Go's `>` after `=`: the `=>` separator (`:password =\u003e "…"`, PHP's
            // `[password] =\u003e …`).
            let v = hay
                .get(at + 4..at + 6)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            v.is_some_and(|v| {
                v == b'\t'
                    || ((0x20..0x7f).contains(&v) && !matches!(v, b'<' | b'>' | b'&'))
                    || (v == b'>' && prev == Some(b'='))
            })
        }
    }
}

fn line_end(chunk: &[u8], from: usize) -> usize {
    memchr::memchr(b'\n', &chunk[from..]).map_or(chunk.len(), |i| from + i)
}

fn next_line(chunk: &[u8], from: usize) -> usize {
    (line_end(chunk, from) + 1).min(chunk.len())
}

fn strip_cr(line: &[u8]) -> (&[u8], bool) {
    match line.last() {
        Some(b'\r') => (&line[..line.len() - 1], true),
        _ => (line, false),
    }
}

#[derive(Debug, Clone, Copy)]
enum Class {
    Raw,
    Docker,
    Json,
    Cri(cri::Line),
    Logfmt,
    /// Not the (explicit) format.
    Malformed,
}

/// How a line joins its stream's message (see `FormatScrubber::join`).
struct Joined<'l> {
    slot: cri::Slot,
    /// More of the message follows.
    partial: bool,
    /// The line before its part of the message.
    prefix: &'l [u8],
    /// A space separates `prefix` from the part (CRI).
    sep: bool,
    /// The line's part of the message (decoded, for Docker).
    content: &'l [u8],
    /// What a Docker line keeps to be written back.
    docker: Option<cri::DockerLine>,
}

enum LineAction {
    Normal,
    Member(cri::Line),
    DockerMember(docker::Part),
    Special,
}

enum Verdict {
    Keep,
    Fallback,
    Redo,
}

/// A piece of the core's output: a range of the chunk or of `FormatState::out`.
#[derive(Debug, Clone)]
enum Rec {
    Input(Range<usize>),
    Own(Range<usize>),
}

/// Captures [`crate::Scrubbed`] pieces: slices of the scrubbed buffer are recognised by their
/// address and recorded as ranges (no copy); rewritten lines are copied.
struct Recorder<'r> {
    base: usize,
    len: usize,
    off: usize,
    rec: &'r mut Vec<Rec>,
    out: &'r mut Vec<u8>,
}

impl Write for Recorder<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let p = buf.as_ptr() as usize;
        if p >= self.base && p + buf.len() <= self.base + self.len {
            let s = self.off + (p - self.base);
            self.rec.push(Rec::Input(s..s + buf.len()));
        } else {
            let s = self.out.len();
            self.out.extend_from_slice(buf);
            self.rec.push(Rec::Own(s..self.out.len()));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A searcher's next hit, cached so each chunk is searched once per searcher.
#[derive(Debug, Clone, Copy, Default)]
struct NextHit {
    /// Searched from here...
    from: usize,
    /// ...and found this (or nothing up to the end).
    hit: Option<(usize, usize, u32)>,
    valid: bool,
}

impl NextHit {
    fn get(&mut self, f: &Finder, hay: &[u8], from: usize) -> Option<(usize, usize, u32)> {
        let fresh = self.valid
            && self.from <= from
            && match self.hit {
                Some((s, _, _)) => s >= from,
                None => true,
            };
        if !fresh {
            self.from = from;
            self.valid = true;
            self.hit = f.find(hay, from);
        }
        self.hit
    }
}

/// Offsets of an inner text (a decoded string) in its enclosing text: `base + map[o]`.
#[derive(Debug, Default)]
struct Xlate {
    map: Vec<u32>,
    base: usize,
}

/// Per-thread scrubbing state shared by the handlers: the core's scratch, counters, findings.
#[derive(Debug, Default)]
struct Work {
    scratch: Scratch,
    record: bool,
    /// Findings of the current chunk, in chunk coordinates.
    findings: Vec<Finding>,
    xlate: Vec<Xlate>,
    /// Start of the line being scrubbed, in the chunk.
    line_start: usize,
    /// Findings, claims, changed lines and fallbacks of the current chunk.
    stats: Stats,
    mini: Vec<u8>,
}

impl Work {
    /// Takes the scratch's counters: findings and claims always, changed lines when
    /// `keep_changed` (otherwise the caller counts lines itself).
    fn absorb(&mut self, keep_changed: bool) {
        let mut s = self.scratch.take_stats();
        s.lines = 0;
        s.bytes_in = 0;
        s.bytes_out = 0;
        if !keep_changed {
            s.lines_changed = 0;
        }
        self.stats.merge(&s);
    }

    /// Drops the scratch's counters (a pass whose result is thrown away).
    fn discard(&mut self) {
        self.scratch.take_stats();
    }

    /// Copies the scratch's findings of a segment starting at `off` of the chunk.
    fn absorb_findings(&mut self, off: usize) {
        if !self.record {
            return;
        }
        for f in self.scratch.findings() {
            let mut f = f.clone();
            f.line_start += off;
            f.span = f.span.start + off..f.span.end + off;
            self.findings.push(f);
        }
    }

    fn push_xlate(&mut self, map: Option<&[u32]>, base: usize) {
        let map = if self.record { map.map(<[u32]>::to_vec).unwrap_or_default() } else { Vec::new() };
        self.xlate.push(Xlate { map, base });
    }

    /// An offset of the innermost text, as an offset of the line.
    fn to_line(&self, mut o: usize) -> usize {
        for x in self.xlate.iter().rev() {
            let m = if x.map.is_empty() { o } else { x.map[o.min(x.map.len() - 1)] as usize };
            o = x.base + m;
        }
        o
    }

    /// Records the scratch's findings (offsets in the innermost text).
    fn take_findings(&mut self) {
        if !self.record {
            return;
        }
        let ls = self.line_start;
        for f in self.scratch.findings() {
            let (s, e) = (self.to_line(f.span.start), self.to_line(f.span.end));
            let mut f = f.clone();
            f.line_start = ls;
            f.span = ls + s..ls + e.max(s);
            self.findings.push(f);
        }
    }

    /// Scrubs `text` with the core (one pass). `map`/`base` place its offsets in the enclosing
    /// text. `None` when nothing changed.
    fn scrub_text(
        &mut self,
        ctx: &FormatScrubber<'_>,
        text: &[u8],
        map: Option<&[u32]>,
        base: usize,
    ) -> Option<Vec<u8>> {
        let new = match ctx.scrubber.scrub_line(text, &mut self.scratch) {
            std::borrow::Cow::Borrowed(_) => None,
            std::borrow::Cow::Owned(v) => Some(v),
        };
        self.push_xlate(map, base);
        self.take_findings();
        self.xlate.pop();
        self.absorb(false);
        new
    }

    /// The rewrite of a secret key's member value (`raw`: the value's JSON text at `at` in the
    /// object text): the core scrubs the mini line `"key":<value>`, so the key's own rule
    /// (marker, hash, mask, scheme word kept, JWT rules) applies to the whole value. `lead`
    /// goes first: a JSON serialization's `"protected":"…",`, so that the core rewrites a
    /// `payload` (or a JWE's `ciphertext`, …) member as it would on the raw line.
    fn secret_member(
        &mut self,
        ctx: &FormatScrubber<'_>,
        lead: &[u8],
        key: &[u8],
        raw: &[u8],
        is_string: bool,
        at: usize,
    ) -> Option<Vec<u8>> {
        let mut mini = std::mem::take(&mut self.mini);
        mini.clear();
        mini.extend_from_slice(lead);
        mini.push(b'"');
        json::encode_min(key, &mut mini);
        mini.extend_from_slice(b"\":");
        let prefix = mini.len();
        if is_string && raw.contains(&b'\\') {
            let (mut dec, mut map) = (Vec::new(), Vec::new());
            json::decode(&raw[1..raw.len() - 1], &mut dec, &mut map)?;
            mini.push(b'"');
            json::encode_min(&dec, &mut mini);
            mini.push(b'"');
        } else {
            mini.extend_from_slice(raw);
        }
        let out = ctx.scrubber.scrub_line(&mini, &mut self.scratch);
        let result = match out {
            std::borrow::Cow::Borrowed(_) => None,
            std::borrow::Cow::Owned(o) => {
                let v = o.get(prefix..).filter(|_| o.starts_with(&mini[..prefix])).unwrap_or_default();
                let valid = json::value_end(v, 0, 0) == Some(v.len());
                Some(if valid {
                    v.to_vec()
                } else {
                    let mut m = vec![b'"'];
                    m.extend_from_slice(ctx.marker().as_bytes());
                    m.push(b'"');
                    m
                })
            }
        };
        // Findings land on the value (positions inside it are approximate when it has escapes).
        if self.record && result.is_some() {
            let ls = self.line_start;
            let found: Vec<Finding> = self.scratch.findings().to_vec();
            for mut f in found {
                let s = self.to_line(at + f.span.start.saturating_sub(prefix));
                let e = self.to_line(at + f.span.end.saturating_sub(prefix));
                f.line_start = ls;
                f.span = ls + s..ls + e.max(s);
                self.findings.push(f);
            }
        }
        self.absorb(false);
        self.mini = mini;
        result
    }

    /// Counts a `[[json_fields]]` rewrite of the value at `range` of the object text.
    fn field_redacted(&mut self, rule: &str, action: Action, range: Range<usize>) {
        self.stats.findings.add(FindingKind::SecretKey);
        if self.record {
            let ls = self.line_start;
            let (s, e) = (self.to_line(range.start), self.to_line(range.end));
            self.findings.push(Finding {
                kind: FindingKind::SecretKey,
                rule: rule.to_string(),
                action,
                line_start: ls,
                span: ls + s..ls + e.max(s),
                token: None,
            });
        }
    }
}

/// A piece of a chunk's output.
#[derive(Debug, Clone)]
enum Piece {
    /// A range of the chunk.
    Input(Range<usize>),
    /// A range of `FormatState::out`.
    Own(Range<usize>),
    /// A line released from the CRI queue (`FormatState::released`).
    Released(usize),
}

/// Per-thread (per-stream) state: reusable buffers, the CRI reassembly, counters. Reuse it for
/// every chunk of an input; [`FormatScrubber::finish`] ends an input.
#[derive(Debug, Default)]
pub struct FormatState {
    work: Work,
    out: Vec<u8>,
    pieces: Vec<Piece>,
    released: Vec<Vec<u8>>,
    rec: Vec<Rec>,
    line_out: Vec<u8>,
    cri: cri::State,
    /// Reusable line buffers and groups for the CRI path.
    spare: Vec<Vec<u8>>,
    free_groups: Vec<cri::Group>,
    next: [NextHit; FINDERS],
    reports: Vec<GroupReport>,
    stats: Stats,
    /// Line counting cursor for findings: (offset in the chunk, line number there).
    cursor: (usize, u64),
    info: ChunkInfo,
    /// Whether this input's Docker parts are joined (`auto`: decided by the input's first
    /// line, see [`FormatScrubber::docker_parts`]); `None` until the first chunk.
    docker_parts: Option<bool>,
    /// [`Self::docker_parts`] for the chunk being scrubbed.
    docker_on: bool,
    /// A parallel worker's state: it never joins Docker parts (chunks that have them are
    /// scrubbed in order by the reader).
    worker: bool,
}

impl FormatState {
    /// The state of a parallel worker, which sees chunks out of order and never holds a
    /// group: chunks that need one go to the reader ([`FormatScrubber::needs_order`]).
    pub(crate) fn worker() -> FormatState {
        FormatState { worker: true, ..FormatState::default() }
    }

    /// Turns per-finding records on or off (off by default).
    pub fn record_findings(&mut self, on: bool) {
        self.work.record = on;
        self.work.scratch.record_findings(on);
    }

    /// The core's scratch (for long-line windows, which are scrubbed raw).
    pub fn scratch_mut(&mut self) -> &mut Scratch {
        &mut self.work.scratch
    }

    /// Findings of the last call, in the chunk's coordinates.
    pub fn findings(&self) -> &[Finding] {
        &self.work.findings
    }

    /// Findings in joined CRI messages completed by the last call.
    pub fn group_reports(&self) -> &[GroupReport] {
        &self.reports
    }

    /// Counters of the last call (lines and bytes of its chunk, findings, fallbacks).
    pub fn take_stats(&mut self) -> Stats {
        std::mem::take(&mut self.stats)
    }

    /// Forgets the current input's reassembly state (a new input).
    pub fn reset(&mut self) {
        self.cri.reset();
        self.next = Default::default();
    }

    fn take_buf(&mut self) -> Vec<u8> {
        self.spare.pop().unwrap_or_default()
    }

    fn give_buf(&mut self, mut b: Vec<u8>) {
        if b.capacity() <= SPARE_MAX && self.spare.len() < 1024 {
            b.clear();
            self.spare.push(b);
        }
    }

    fn begin(&mut self, info: ChunkInfo) {
        self.out.clear();
        self.pieces.clear();
        let mut released = std::mem::take(&mut self.released);
        for b in released.drain(..) {
            self.give_buf(b);
        }
        self.released = released;
        self.work.findings.clear();
        self.work.xlate.clear();
        self.work.stats = Stats::default();
        self.reports.clear();
        self.next = Default::default();
        self.cursor = (0, info.first_line);
        self.info = info;
    }

    fn end(&mut self, chunk: &[u8]) {
        let mut s = std::mem::take(&mut self.work.stats);
        let nl = memchr::memchr_iter(b'\n', chunk).count();
        s.lines = (nl + usize::from(chunk.last().is_some_and(|&b| b != b'\n'))) as u64;
        s.bytes_in = chunk.len() as u64;
        s.bytes_out = self.pieces.iter().map(|p| self.piece(chunk, p).len()).sum::<usize>() as u64;
        self.stats = s;
    }

    fn output<'s>(&'s self, chunk: &'s [u8]) -> Output<'s> {
        Output { chunk, st: self }
    }

    fn piece<'s>(&'s self, chunk: &'s [u8], p: &Piece) -> &'s [u8] {
        match p {
            Piece::Input(r) => &chunk[r.clone()],
            Piece::Own(r) => &self.out[r.clone()],
            Piece::Released(i) => &self.released[*i],
        }
    }

    fn emit_input(&mut self, chunk: &[u8], r: Range<usize>) {
        if r.is_empty() {
            return;
        }
        if !self.cri.queue.is_empty() {
            let mut b = self.take_buf();
            b.extend_from_slice(&chunk[r]);
            self.cri.queue.push_ready(b);
            return;
        }
        match self.pieces.last_mut() {
            Some(Piece::Input(q)) if q.end == r.start => q.end = r.end,
            _ => self.pieces.push(Piece::Input(r)),
        }
    }

    fn emit_out(&mut self, r: Range<usize>) {
        if r.is_empty() {
            return;
        }
        if !self.cri.queue.is_empty() {
            let mut b = self.take_buf();
            b.extend_from_slice(&self.out[r]);
            self.cri.queue.push_ready(b);
            return;
        }
        match self.pieces.last_mut() {
            Some(Piece::Own(q)) if q.end == r.start => q.end = r.end,
            _ => self.pieces.push(Piece::Own(r)),
        }
    }

    fn emit_bytes(&mut self, b: &[u8]) {
        let s = self.out.len();
        self.out.extend_from_slice(b);
        self.emit_out(s..self.out.len());
    }

    fn drain_queue(&mut self) {
        while let Some(b) = self.cri.queue.pop_ready() {
            self.released.push(b);
            self.pieces.push(Piece::Released(self.released.len() - 1));
        }
    }

    fn line_no_at(&mut self, chunk: &[u8], pos: usize) -> u64 {
        let (p, n) = self.cursor;
        let n = n + memchr::memchr_iter(b'\n', &chunk[p.min(pos)..pos]).count() as u64;
        self.cursor = (pos, n);
        n
    }

    /// Turns a group's findings (offsets in the joined message) into one report per line.
    fn add_group_reports(&mut self, members: &[cri::Member], msg: &[u8], found: Vec<Finding>) {
        let mut starts = Vec::with_capacity(members.len());
        let mut off = 0;
        for m in members {
            starts.push(off);
            off += m.len;
        }
        for (k, m) in members.iter().enumerate() {
            let end = starts.get(k + 1).copied().unwrap_or(usize::MAX);
            let mine: Vec<Finding> = found
                .iter()
                .filter(|f| f.span.start >= starts[k] && (f.span.start < end || k + 1 == members.len()))
                .cloned()
                .map(|mut f| {
                    f.line_start = starts[k];
                    f
                })
                .collect();
            if !mine.is_empty() {
                self.reports.push(GroupReport {
                    bytes: msg.to_vec(),
                    first_line: m.line_no,
                    col_base: (m.prefix.len() + usize::from(m.sep)) as u64,
                    findings: mine,
                });
            }
        }
    }
}

/// A scrubbed chunk: slices of the chunk interleaved with rewritten lines.
#[derive(Debug)]
pub struct Output<'s> {
    chunk: &'s [u8],
    st: &'s FormatState,
}

impl Output<'_> {
    /// Writes every piece in order: one `write_all` for an unchanged chunk, vectored writes
    /// (one `writev`, usually) for a rewritten one, so its pieces are never copied together.
    pub fn write_to<W: Write + ?Sized>(&self, w: &mut W) -> io::Result<()> {
        crate::io::write_all_pieces(w, self.st.pieces.iter().map(|p| self.st.piece(self.chunk, p)))
    }

    /// Whether the output is the chunk, unchanged.
    pub fn is_unchanged(&self) -> bool {
        match self.st.pieces.as_slice() {
            [] => self.chunk.is_empty(),
            [Piece::Input(r)] => *r == (0..self.chunk.len()),
            _ => false,
        }
    }

    /// Output length in bytes.
    pub fn len(&self) -> usize {
        self.st.pieces.iter().map(|p| self.st.piece(self.chunk, p).len()).sum()
    }

    /// Whether the output is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The output as one owned buffer.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.len());
        self.write_to(&mut v).expect("writing to a Vec cannot fail");
        v
    }

    /// Findings, in the chunk's coordinates (when recording: [`FormatState::record_findings`]).
    pub fn findings(&self) -> &[Finding] {
        self.st.findings()
    }

    /// Findings in joined CRI messages completed by this call.
    pub fn group_reports(&self) -> &[GroupReport] {
        self.st.group_reports()
    }
}
