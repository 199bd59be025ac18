//! The scrubber: ties scan → verify → decide → rewrite together.
//!
//! [`Scrubber`] is immutable, `Send + Sync`, built once from [`Rules`] and shared; each thread
//! owns a [`Scratch`] that it reuses for every buffer, so the steady state allocates nothing.
//!
//! # The buffer path
//!
//! ```text
//! scrub_buf(buf):                      buf holds whole lines (or one long-line window)
//!   pos = 0
//!   while scanner finds a literal at or after pos:
//!     (ls, le) = the line around it                  memrchr / memchr
//!     verify the line's candidates, continuing the buffer's scan up to le (the line is not
//!     scanned again)
//!     if the line has findings: rewrite it into scratch.out
//!        pieces += Input(emitted..ls), Scratch(rewritten line)
//!     pos = le + 1                                   the rest of that line is done
//!   pieces += Input(emitted..buf.len())
//! ```
//!
//! A buffer without a candidate becomes a single `Input` piece: the caller writes it straight
//! from its own read buffer, with no copy and no allocation. Lines are never reordered: pieces
//! cover the buffer exactly, in order.

use std::borrow::Cow;
use std::io::{self, Write};
use std::ops::Range;

use crate::credential::{self, Quote, Scheme, Value};
use crate::jwt::{self, TokenKind};
use crate::redact::{ClaimInfo, MASK_SUFFIX, PayloadBufs, Pseudonymizer, Redactor};
use crate::rules::{Action, Rules};
use crate::scan::{Candidate, JWT_STARTS, LowerBlock, Scanner, Trigger};
use crate::stats::{FindingKind, Stats};

/// Why a scrubber could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A rule uses `hash` and no key was found.
    #[error(
        "{source_name}: the `hash` action needs a key: set the environment variable named by `hash.key_env` or `hash.key_file` ({hint})"
    )]
    MissingHashKey {
        /// Rules file name.
        source_name: String,
        /// Where we looked.
        hint: String,
    },
    /// The key file could not be read.
    #[error("{source_name}: cannot read hash key file {path}: {err}")]
    KeyFile {
        /// Rules file name.
        source_name: String,
        /// The key file.
        path: String,
        /// The I/O error.
        err: io::Error,
    },
}

/// One finding, reported when [`Scratch::record_findings`] is on. Holds positions and
/// non-secret facts only: never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What was found.
    pub kind: FindingKind,
    /// The rule that fired: `jwt`, `bearer`, `basic`, the key name, or the pattern name.
    pub rule: String,
    /// The action applied.
    pub action: Action,
    /// Byte offset of the line's start in the scrubbed buffer.
    pub line_start: usize,
    /// Byte range of the secret in the scrubbed buffer (for keyed fingerprints by the caller).
    pub span: Range<usize>,
    /// For tokens: header and kept-claim facts.
    pub token: Option<Box<TokenFacts>>,
}

/// Non-secret facts about a token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenFacts {
    /// Header.
    pub header: jwt::Header,
    /// Kept claims and timestamps.
    pub claims: ClaimInfo,
}

/// Entries in the per-thread cache of recently rewritten tokens.
const TOKEN_CACHE_ENTRIES: usize = 64;
/// Tokens longer than this are not cached.
const TOKEN_CACHE_MAX: usize = 16 * 1024;

/// Recently rewritten tokens and their replacements: logs repeat the same token constantly
/// (every request of one client), and a repeat then costs a few comparisons instead of a
/// header decode and a payload rewrite. Entries belong to one scrubber (`owner`): a scratch
/// used with a rebuilt scrubber (new rules) starts afresh.
#[derive(Debug, Default)]
struct TokenCache {
    owner: u64,
    entries: Vec<CachedToken>,
    next: usize,
}

#[derive(Debug)]
struct CachedToken {
    /// The last (up to) 8 bytes of `bytes`, compared before the bytes themselves: a miss (the
    /// common case: a new token) then costs one integer compare per entry, not a `memcmp`.
    tail: u64,
    bytes: Vec<u8>,
    repl: Vec<u8>,
    changed: u64,
    kind: FindingKind,
    facts: Option<Box<TokenFacts>>,
}

impl TokenCache {
    /// The cached token that starts at `rest[0]` and ends where a parse would end it.
    fn lookup(&self, rest: &[u8], need_facts: bool) -> Option<&CachedToken> {
        self.entries.iter().find(|e| {
            let n = e.bytes.len();
            rest.len() >= n
                && jwt::tail8(&rest[..n]) == e.tail
                && rest[..n] == e.bytes[..]
                && ends_token(rest, n)
                && (!need_facts || e.facts.is_some())
        })
    }

    /// Stores a rewrite, reusing the buffers of the entry it replaces (round robin).
    fn insert(&mut self, bytes: &[u8], repl: &[u8], changed: u64, kind: FindingKind, facts: Option<Box<TokenFacts>>) {
        if self.entries.len() < TOKEN_CACHE_ENTRIES {
            let tail = jwt::tail8(bytes);
            self.entries.push(CachedToken { tail, bytes: bytes.to_vec(), repl: repl.to_vec(), changed, kind, facts });
            return;
        }
        let e = &mut self.entries[self.next];
        self.next = (self.next + 1) % TOKEN_CACHE_ENTRIES;
        e.tail = jwt::tail8(bytes);
        e.bytes.clear();
        e.bytes.extend_from_slice(bytes);
        e.repl.clear();
        e.repl.extend_from_slice(repl);
        (e.changed, e.kind, e.facts) = (changed, kind, facts);
    }
}

/// Whether a token of `n` bytes at the start of `rest` really ends there: no segment byte
/// follows, nor a dot that starts another segment.
fn ends_token(rest: &[u8], n: usize) -> bool {
    let seg = |b: &u8| jwt::is_b64url(*b) || matches!(b, b'+' | b'/' | b'=');
    // A separator is `.` or `%2E` (`jwt::dot_len`): one that starts another segment, or another
    // separator, means the token goes on; so does padding, `=` or `%3D` (`jwt::pad_len`).
    match jwt::dot_len(rest, n) {
        0 => !rest.get(n).is_some_and(seg) && jwt::pad_len(&rest[n..]) == 0,
        d => !rest.get(n + d).is_some_and(seg) && jwt::dot_len(rest, n + d) == 0,
    }
}

/// Whether `r` overlaps a finding made ahead of the scan (while not making them).
fn overlaps_ahead(scratch: &Scratch, r: &Range<usize>) -> bool {
    ahead_cut(scratch, r).is_some()
}

/// Where `r` first runs into a finding made ahead of the scan: the earliest start among those
/// it overlaps (`None` when it overlaps none, or while they are being made).
fn ahead_cut(scratch: &Scratch, r: &Range<usize>) -> Option<usize> {
    if scratch.nesting {
        return None;
    }
    scratch.ahead.iter().filter(|f| f.start < r.end && r.start < f.end).map(|f| f.start).min()
}

/// Gives each scrubber an identity for [`TokenCache`].
static SCRUBBER_IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn next_scrubber_id() -> u64 {
    SCRUBBER_IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// The name of the rule that fired, turned into a `String` only when findings are recorded.
#[derive(Debug, Clone)]
enum RuleName<'a> {
    Static(&'a str),
    /// The key's bytes on the line (lowercased when resolved).
    Key(Range<usize>),
}

impl RuleName<'_> {
    fn resolve(&self, line: &[u8]) -> String {
        match self {
            RuleName::Static(s) => (*s).to_string(),
            RuleName::Key(r) => String::from_utf8_lossy(&line[r.clone()]).to_ascii_lowercase(),
        }
    }
}

/// A piece of output: a range of the input buffer or of the scratch buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Input(Range<usize>),
    Scratch(Range<usize>),
}

/// Where a line sits in the buffer being scrubbed, for [`Scrubber::line_into`].
#[derive(Debug, Clone, Copy)]
struct InBuf<'a> {
    buf: &'a [u8],
    /// Offset of the line in `buf`.
    base: usize,
    /// Offset in the line of its first plausible candidate (the line's length if none).
    first: usize,
}

/// A replacement on one line: `range` of the line becomes `repl` of `Scratch::repl`.
#[derive(Debug, Clone)]
struct Edit {
    range: Range<usize>,
    repl: Range<usize>,
}

/// Per-thread reusable buffers and counters. Cheap to create; reuse it.
#[derive(Debug, Default)]
pub struct Scratch {
    out: Vec<u8>,
    repl: Vec<u8>,
    tmp: Vec<u8>,
    pieces: Vec<Piece>,
    edits: Vec<Edit>,
    /// Every finding's range on the line being rewritten, edit or not (a token scrubbed before
    /// rewrites to itself): pattern matches are judged against these, the same on every pass.
    found: Vec<Range<usize>>,
    pattern_marks: Vec<bool>,
    extra: Vec<usize>,
    stats: Stats,
    record: bool,
    findings: Vec<Finding>,
    /// Offset of the current line in the buffer (for findings).
    line_base: usize,
    /// Whether the last edit of the last buffer ended exactly at its end.
    touched_end: bool,
    /// The same, for the line being rewritten.
    touched_end_line: bool,
    /// A secret key's value opened a JSON container that did not parse: the line's edits may
    /// make it parse, so the rewritten line is scrubbed again (`Scrubber::settle`).
    retry: bool,
    /// A pattern rewrote part of the line: its rewrite may join what it separated (an `@`
    /// gone makes two URLs one), so the line is scrubbed again (`Scrubber::settle`).
    pattern_edit: bool,
    /// End of the last secret container read ahead of the scan: keys inside it are covered.
    container_end: usize,
    /// Findings made ahead of the scan (a secret container's leaves, `Scrubber::try_trigger`)
    /// that it has not passed yet; `nesting` while they are made.
    ahead: std::collections::VecDeque<Range<usize>>,
    nesting: bool,
    /// The line holds the `protected` header of a JWS (`Some(false)`) or JWE (`Some(true)`) JSON
    /// serialization (see `Scrubber::serialized_into`).
    serialized: Option<bool>,
    /// A rewritten JWT payload before encoding.
    json: Vec<u8>,
    /// What the line holds open before each value (`credential::key_value_in`).
    openers: credential::Openers,
    /// Recently rewritten tokens.
    tokens: TokenCache,
    /// Recently decoded JWT headers.
    headers: jwt::HeaderCache,
    /// The members of the JWT payload being rewritten.
    members: Vec<crate::redact::Member>,
    /// Lowercased block of the buffer being scanned.
    lower: LowerBlock,
    /// Lowercased block of the line being verified.
    line_lower: LowerBlock,
}

impl Scratch {
    /// Turns per-finding records on or off (off by default: counting only).
    pub fn record_findings(&mut self, on: bool) {
        self.record = on;
    }

    /// Findings of the last `scrub_buf`/`scrub_line` call (when recording).
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// Counters accumulated since the last [`Scratch::take_stats`].
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Returns and resets the counters.
    pub fn take_stats(&mut self) -> Stats {
        std::mem::take(&mut self.stats)
    }

    /// Whether the last scrubbed buffer's final finding ran up to its very end (the stream
    /// loop uses it to keep redacting a token cut by a long-line window).
    pub fn finding_touched_end(&self) -> bool {
        self.touched_end
    }
}

/// A scrubbed buffer: slices of the input interleaved with rewritten lines.
#[derive(Debug)]
pub struct Scrubbed<'a> {
    input: &'a [u8],
    out: &'a [u8],
    pieces: &'a [Piece],
}

impl Scrubbed<'_> {
    /// Writes every piece in order: one `write_all` for an unchanged buffer, vectored writes
    /// (one `writev`, usually) for a rewritten one, so its pieces are never copied together.
    pub fn write_to<W: Write + ?Sized>(&self, w: &mut W) -> io::Result<()> {
        crate::io::write_all_pieces(w, self.pieces.iter().map(|p| self.slice(p)))
    }

    fn slice(&self, p: &Piece) -> &[u8] {
        match p {
            Piece::Input(r) => &self.input[r.clone()],
            Piece::Scratch(r) => &self.out[r.clone()],
        }
    }

    /// Whether the output is the input, unchanged.
    pub fn is_unchanged(&self) -> bool {
        self.pieces.iter().all(|p| matches!(p, Piece::Input(_)))
    }

    /// Output length in bytes.
    pub fn len(&self) -> usize {
        self.pieces.iter().map(|p| self.slice(p).len()).sum()
    }

    /// Whether the output is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The output as one owned buffer.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.len());
        for p in self.pieces {
            v.extend_from_slice(self.slice(p));
        }
        v
    }
}

/// Builds once from rules, scrubs many buffers, from any number of threads.
///
/// ```
/// use logscrub::{Rules, Scrubber, Scratch};
/// let scrubber = Scrubber::new(&Rules::embedded()).unwrap();
/// let mut scratch = Scratch::default();
/// let out = scrubber.scrub_line(b"GET /cb?access_token=s3cr3t&x=1", &mut scratch);
/// assert_eq!(&*out, b"GET /cb?access_token=[REDACTED]&x=1");
/// let clean = scrubber.scrub_line(b"version 1.2.3 on example.com", &mut scratch);
/// assert!(matches!(clean, std::borrow::Cow::Borrowed(_)));
/// ```
#[derive(Debug)]
pub struct Scrubber {
    scanner: Scanner,
    red: Redactor,
    /// Identity for per-scratch caches.
    id: u64,
    /// Every pattern trigger literal (ASCII case-insensitive) and its pattern, for regions the
    /// scan skips ([`Scrubber::mark_patterns_in`]); `None` without triggered patterns.
    pattern_lits: Option<(aho_corasick::AhoCorasick, Vec<u16>)>,
}

/// The automaton over every pattern's trigger literals, and the pattern of each literal.
fn pattern_literals(rules: &Rules) -> Option<(aho_corasick::AhoCorasick, Vec<u16>)> {
    let mut lits = Vec::new();
    let mut of = Vec::new();
    for (i, p) in rules.patterns.iter().enumerate() {
        for t in p.triggers.iter().filter(|t| !t.is_empty()) {
            lits.push(t.as_bytes());
            of.push(i as u16);
        }
    }
    if lits.is_empty() {
        return None;
    }
    let ac = aho_corasick::AhoCorasick::builder().ascii_case_insensitive(true).build(&lits).ok()?;
    Some((ac, of))
}

impl Scrubber {
    /// Compiles the scanner and loads the hash key when any rule uses `hash`.
    pub fn new(rules: &Rules) -> Result<Scrubber, BuildError> {
        let pseudo = if rules.uses_hash() { Some(load_key(rules)?) } else { None };
        Ok(Scrubber {
            scanner: Scanner::new(rules),
            red: Redactor::new(rules.clone(), pseudo),
            id: next_scrubber_id(),
            pattern_lits: pattern_literals(rules),
        })
    }

    /// Builds with an explicit hash key (tests, and library users holding the key themselves).
    pub fn with_hash_key(rules: &Rules, key: &[u8]) -> Scrubber {
        Scrubber {
            scanner: Scanner::new(rules),
            red: Redactor::new(rules.clone(), Some(Pseudonymizer::for_settings(key, &rules.hash))),
            id: next_scrubber_id(),
            pattern_lits: pattern_literals(rules),
        }
    }

    /// The rules this scrubber applies.
    pub fn rules(&self) -> &Rules {
        &self.red.rules
    }

    /// Scrubs one line (without its terminator). Borrowed when nothing was found.
    pub fn scrub_line<'a>(&self, line: &'a [u8], scratch: &mut Scratch) -> Cow<'a, [u8]> {
        scratch.findings.clear();
        scratch.out.clear();
        scratch.line_base = 0;
        scratch.stats.lines += 1;
        scratch.stats.bytes_in += line.len() as u64;
        let changed = self.line_into(line, scratch, None);
        if changed {
            self.settle(line, 0, scratch);
            scratch.stats.lines_changed += 1;
            scratch.stats.bytes_out += scratch.out.len() as u64;
            Cow::Owned(scratch.out.clone())
        } else {
            scratch.stats.bytes_out += line.len() as u64;
            Cow::Borrowed(line)
        }
    }

    /// Scrubs a buffer of whole lines (the last one may lack its `\n`). See the module docs.
    pub fn scrub_buf<'a>(&self, buf: &'a [u8], scratch: &'a mut Scratch) -> Scrubbed<'a> {
        self.scrub_buf_counting(buf, scratch, true)
    }

    /// [`Scrubber::scrub_buf`] without counting the buffer's lines into the stats, for callers
    /// that count them themselves or throw the count away (format layer, long-line windows):
    /// the count is a pass over every byte.
    pub(crate) fn scrub_buf_uncounted<'a>(&self, buf: &'a [u8], scratch: &'a mut Scratch) -> Scrubbed<'a> {
        self.scrub_buf_counting(buf, scratch, false)
    }

    fn scrub_buf_counting<'a>(&self, buf: &'a [u8], scratch: &'a mut Scratch, count_lines: bool) -> Scrubbed<'a> {
        scratch.out.clear();
        scratch.pieces.clear();
        scratch.findings.clear();
        scratch.touched_end = false;
        scratch.stats.bytes_in += buf.len() as u64;
        if count_lines {
            let nl = memchr::memchr_iter(b'\n', buf).count();
            scratch.stats.lines += (nl + usize::from(buf.last().is_some_and(|&b| b != b'\n'))) as u64;
        }

        scratch.lower.invalidate();
        self.unanchored_starts(buf, scratch);
        let mut extra_i = 0;
        let mut emitted = 0;
        let mut pos = 0;
        while pos < buf.len() {
            let mut from = pos;
            let lit = loop {
                match self.scanner.find(buf, from, &mut scratch.lower) {
                    Some(c) if self.plausible(buf, &c) => break Some(c.start),
                    Some(c) => from = c.end,
                    None => break None,
                }
            };
            while extra_i < scratch.extra.len() && scratch.extra[extra_i] < pos {
                extra_i += 1;
            }
            let ex = scratch.extra.get(extra_i).copied();
            let at = match (lit, ex) {
                (Some(a), Some(b)) => a.min(b),
                (Some(a), None) | (None, Some(a)) => a,
                (None, None) => break,
            };
            let ls = memchr::memrchr(b'\n', &buf[..at]).map_or(0, |i| i + 1);
            let le = memchr::memchr(b'\n', &buf[at..]).map_or(buf.len(), |i| at + i);
            let start = scratch.out.len();
            scratch.line_base = ls;
            // Candidates before the first plausible one cannot verify: the line's scan starts
            // there, on the buffer's own scan state.
            let first = lit.filter(|&a| a < le).map_or(le, |a| a.max(ls)) - ls;
            if self.line_into(&buf[ls..le], scratch, Some(InBuf { buf, base: ls, first })) {
                self.settle(&buf[ls..le], start, scratch);
                scratch.stats.lines_changed += 1;
                if ls > emitted {
                    scratch.pieces.push(Piece::Input(emitted..ls));
                }
                match scratch.pieces.last_mut() {
                    Some(Piece::Scratch(r)) if r.end == start && emitted == ls => r.end = scratch.out.len(),
                    _ => scratch.pieces.push(Piece::Scratch(start..scratch.out.len())),
                }
                emitted = le;
                if le == buf.len() {
                    scratch.touched_end = scratch.touched_end_line;
                }
            }
            pos = le + 1;
        }
        if emitted < buf.len() {
            scratch.pieces.push(Piece::Input(emitted..buf.len()));
        }
        let out_len: usize = scratch
            .pieces
            .iter()
            .map(|p| match p {
                Piece::Input(r) | Piece::Scratch(r) => r.len(),
            })
            .sum();
        scratch.stats.bytes_out += out_len as u64;
        Scrubbed { input: buf, out: &scratch.out, pieces: &scratch.pieces }
    }

    /// A cheap look at the bytes right after a candidate: can any of its triggers verify?
    /// False positives are fine (the line is then verified in full); a `false` must mean no
    /// trigger could ever accept this candidate.
    fn plausible(&self, hay: &[u8], c: &Candidate) -> bool {
        let next = hay.get(c.end).copied();
        self.scanner.triggers_of(c).iter().any(|t| match t {
            Trigger::JwtStart => {
                next.is_some_and(|b| jwt::is_b64url(b) || matches!(b, b'.' | b'=' | b'%' | b'+' | b'/'))
            }
            Trigger::Bearer | Trigger::Basic => matches!(next, Some(b' ' | b'\t' | b'%' | b'+')),
            // Past a suffix (`password_confirmation=`); `]` closes `[password] =>`.
            Trigger::Key(_) => matches!(
                hay.get(credential::key_end(hay, c.end)),
                Some(b'"' | b'\'' | b'\\' | b'%' | b'=' | b':' | b' ' | b'\t' | b'>' | b']')
            ),
            Trigger::Pattern(_) => true,
        })
    }

    /// Start offsets of matches of literal-less patterns (they are few; usually none).
    fn unanchored_starts(&self, buf: &[u8], scratch: &mut Scratch) {
        scratch.extra.clear();
        for &i in self.scanner.unanchored_patterns() {
            let re = &self.red.rules.patterns[i as usize].regex;
            scratch.extra.extend(re.find_iter(buf).map(|m| m.start()));
        }
        if self.scanner.unanchored_patterns().len() > 1 {
            scratch.extra.sort_unstable();
        }
    }

    /// Scrubs a rewritten line (`scratch.out[start..]`, from `line` by `scratch.edits`) again
    /// until it stops changing, at most twice more, when an edit changed how its neighbours
    /// read: a word byte beside an edit whose edge byte changed between word and non-word (a
    /// `\b` a pattern needs appears beside `"[REDACTED]"`; a scheme word keeps only part of
    /// itself), or when a secret key's JSON container did not parse and edits inside it may
    /// have made it parse (`Scratch::retry`), or when a pattern rewrote part of the line (its
    /// marker may join what the match's end separated: an `@` gone makes two URLs one, fuzz
    /// `scrub_line`). Scrubbed output must scrub to itself. The first
    /// pass's findings and counters stand; the extra passes only rewrite. Edits between
    /// separators (nearly all) skip this.
    fn settle(&self, line: &[u8], start: usize, scratch: &mut Scratch) {
        if scratch.retry || scratch.pattern_edit {
            return self.settle_again(start, scratch);
        }
        if self.red.rules.patterns.is_empty() {
            return;
        }
        let word = |b: Option<&u8>| b.is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_');
        let edge_changed = scratch.edits.iter().any(|e| {
            let (old, new) = (&line[e.range.clone()], &scratch.repl[e.repl.clone()]);
            let before = e.range.start.checked_sub(1).and_then(|i| line.get(i));
            (word(before) && word(old.first()) != word(new.first()))
                || (word(line.get(e.range.end)) && word(old.last()) != word(new.last()))
        });
        if !edge_changed {
            return;
        }
        self.settle_again(start, scratch);
    }

    /// [`Scrubber::settle`]'s extra passes.
    fn settle_again(&self, start: usize, scratch: &mut Scratch) {
        let (stats, record, base, touched) =
            (scratch.stats.clone(), scratch.record, scratch.line_base, scratch.touched_end_line);
        let found = scratch.findings.len();
        scratch.record = false;
        let mut touched_any = touched;
        for _ in 0..2 {
            let line = scratch.out.split_off(start);
            if !self.line_into(&line, scratch, None) {
                scratch.out.extend_from_slice(&line);
                break;
            }
            touched_any |= scratch.touched_end_line;
        }
        scratch.findings.truncate(found);
        (scratch.stats, scratch.record, scratch.line_base, scratch.touched_end_line) =
            (stats, record, base, touched_any);
    }

    /// Finds and rewrites everything on one line; appends the rewritten line to `scratch.out`
    /// and returns `true`, or appends nothing and returns `false`.
    ///
    /// With `in_buf` the line is `buf[base..]` and its candidates come from the scan of the
    /// whole buffer (`scratch.lower`), from `first` on: the line is not scanned a second time.
    /// Without it (a lone line, or a literal that runs past the line's end) the line is scanned
    /// on its own.
    fn line_into(&self, line: &[u8], scratch: &mut Scratch, mut in_buf: Option<InBuf<'_>>) -> bool {
        scratch.edits.clear();
        scratch.found.clear();
        scratch.repl.clear();
        scratch.touched_end_line = false;
        scratch.serialized = None;
        scratch.ahead.clear();
        scratch.container_end = 0;
        scratch.openers.reset();
        scratch.retry = false;
        scratch.pattern_edit = false;
        let npat = self.red.rules.patterns.len();
        scratch.pattern_marks.clear();
        scratch.pattern_marks.resize(npat, false);
        for &i in self.scanner.unanchored_patterns() {
            scratch.pattern_marks[i as usize] = true;
        }

        let mut lower = std::mem::take(&mut scratch.line_lower);
        lower.invalidate();
        let mut buf_lower = std::mem::take(&mut scratch.lower);
        let mut at = in_buf.as_ref().map_or(0, |b| b.first);
        // End of a base64url run known to hold no token start: every `eyJ` in one run ends its
        // header at the run's end, so when no `.` follows the run none of them is a token, and
        // trying each would rescan the run (quadratic on `eyJeyJeyJ…`).
        let mut no_jwt_before = 0;
        // The base64url run around the last failed start: every later start inside it shares
        // its end, so the run is measured once, not once per `eyJ` (`eyJeyJ….e30.c2ln`).
        let mut run_known = 0..0;
        loop {
            let c = match &in_buf {
                Some(b) => match self.scanner.find(b.buf, b.base + at, &mut buf_lower) {
                    Some(c) if c.start >= b.base + line.len() => None,
                    Some(c) if c.end <= b.base + line.len() => {
                        Some(Candidate { start: c.start - b.base, end: c.end - b.base, literal: c.literal })
                    }
                    // Runs past the line's end (a pattern literal holding a newline): what the
                    // line alone holds may differ, so scan it alone from here.
                    Some(_) => {
                        in_buf = None;
                        continue;
                    }
                    None => None,
                },
                None => self.scanner.find(line, at, &mut lower),
            };
            let Some(c) = c else { break };
            // Inside a finding made ahead of the scan (a secret container's leaves).
            while scratch.ahead.front().is_some_and(|f| f.end <= c.start) {
                scratch.ahead.pop_front();
            }
            if let Some(f) = scratch.ahead.iter().find(|f| f.start <= c.start && c.start < f.end) {
                at = f.end.max(c.end);
                continue;
            }
            at = c.end;
            for &t in self.scanner.triggers_of(&c) {
                if t == Trigger::JwtStart && c.start < no_jwt_before {
                    continue;
                }
                if let Some(end) = self.try_trigger(line, &c, t, scratch) {
                    at = end.max(c.end);
                    // The scan resumes after the value. A pattern literal in what it skipped but
                    // did not rewrite (the scheme word of `Authorization: xoxb-… b` is a Slack
                    // token) still marks its pattern, so the line is judged the same when
                    // scrubbed again, when the rewritten value no longer stops the scan.
                    if let Some(f) = scratch.found.last().cloned() {
                        self.mark_patterns_in(&line[c.end..f.start.clamp(c.end, at)], scratch);
                        self.mark_patterns_in(&line[f.end.clamp(c.end, at)..at], scratch);
                    }
                    break;
                }
                if t == Trigger::JwtStart {
                    if scratch.serialized.is_none() {
                        scratch.serialized = self.protected_member(line, c.start, scratch);
                    }
                    let run = if run_known.contains(&c.start) {
                        run_known.end
                    } else {
                        // Where every header starting in this segment ends (padding and the
                        // standard alphabet included, as `jwt::parse_at` reads headers).
                        let end = jwt::segment_end(line, c.start, true);
                        run_known = c.start..end;
                        end
                    };
                    if jwt::dot_len(line, run) == 0 {
                        no_jwt_before = run;
                    }
                }
            }
        }
        scratch.line_lower = lower;
        scratch.lower = buf_lower;
        if let Some(jwe) = scratch.serialized {
            self.serialized_into(line, jwe, scratch);
        }
        if scratch.pattern_marks.iter().any(|&m| m) {
            self.patterns_into(line, scratch);
        }
        if scratch.edits.is_empty() {
            return false;
        }
        // A secret container's leaves are edited ahead of the scan, which then goes on inside.
        if !scratch.edits.is_sorted_by_key(|e| e.range.start) {
            scratch.edits.sort_by_key(|e| e.range.start);
        }
        let mut prev = 0;
        for e in &scratch.edits {
            scratch.out.extend_from_slice(&line[prev..e.range.start]);
            scratch.out.extend_from_slice(&scratch.repl[e.repl.clone()]);
            prev = e.range.end;
        }
        scratch.out.extend_from_slice(&line[prev..]);
        scratch.touched_end_line = prev == line.len();
        true
    }

    /// Verifies one trigger at a candidate; on a finding, records the edit and returns the end
    /// of what it consumed.
    fn try_trigger(&self, line: &[u8], c: &Candidate, t: Trigger, scratch: &mut Scratch) -> Option<usize> {
        match t {
            Trigger::JwtStart => {
                if !JWT_STARTS.iter().any(|s| line[c.start..c.end] == *s.as_bytes()) {
                    return None;
                }
                self.token_at(line, c.start, RuleName::Static("jwt"), scratch)
            }
            Trigger::Bearer | Trigger::Basic => {
                let v = credential::scheme_value(line, c.start..c.end)?;
                let (kind, action, rule) = if t == Trigger::Bearer {
                    (FindingKind::Bearer, self.red.rules.bearer, RuleName::Static("bearer"))
                } else {
                    (FindingKind::Basic, self.red.rules.basic, RuleName::Static("basic"))
                };
                self.value_edit(line, &v, kind, action, rule, scratch)
            }
            Trigger::Key(g) => {
                // The key goes on past a suffix that names the same secret (`password_hash`).
                let kend = credential::key_end(line, c.end);
                let v = credential::key_value_in(
                    line,
                    c.start..kend,
                    &mut scratch.openers,
                    self.red.rules.redacted_marker.as_bytes(),
                );
                // A JSON array or object as the value: each of its strings and numbers is the
                // key's secret (`"password":["a","b"]`, `"token":{"access":"…"}`).
                // A key inside a container already read is covered by it.
                let outside = c.start >= scratch.container_end;
                let nested = if v.is_none() && outside { credential::nested_values(line, c.start..kend) } else { None };
                if v.is_none() && nested.is_none() {
                    scratch.retry |= outside && credential::opens_container(line, c.start..kend);
                    return None;
                }
                let group = &self.red.rules.secret_keys[g as usize];
                // The whole key (`id_token`, not the literal `token`), named only when recorded.
                // At most 32 bytes of `[A-Za-z0-9_-]` before the literal, never a `.` (a token or a
                // `ghp_…` glued by a dot) and never into an earlier edit: a finding must not carry
                // a neighbouring secret. A longer prefix names the literal alone.
                let key_byte = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-');
                let floor = c.start.saturating_sub(32).max(scratch.edits.last().map_or(0, |e| e.range.end));
                let mut kstart = c.start;
                while kstart > floor && key_byte(line[kstart - 1]) {
                    kstart -= 1;
                }
                if kstart == floor && kstart > 0 && key_byte(line[kstart - 1]) {
                    kstart = c.start;
                }
                // A flag's dashes are not its name (`--password` is `password`).
                while kstart < c.start && line[kstart] == b'-' {
                    kstart += 1;
                }
                let rule = RuleName::Key(kstart..kend);
                // The shell's working-directory variables (`env` dumps in CI logs) are not the
                // `pwd` password: `PWD=/home/bob`, `OLDPWD=/tmp`, upper case, an absolute path.
                if matches!(&line[kstart..c.end], b"PWD" | b"OLDPWD")
                    && v.as_ref().is_some_and(|v| v.quote == Quote::None && line[v.range.start] == b'/')
                {
                    return None;
                }
                let v = match (v, nested) {
                    (Some(v), _) => v,
                    (None, Some((leaves, end))) => {
                        scratch.container_end = end;
                        let mut found = false;
                        scratch.nesting = true;
                        for leaf in &leaves {
                            found |= self
                                .value_edit(line, leaf, FindingKind::SecretKey, group.action, rule.clone(), scratch)
                                .is_some();
                        }
                        scratch.nesting = false;
                        // The scan goes on inside the container: its object keys are text
                        // (`{"password":{"id_token=eyJ…":1}}`), read as on a second pass, when
                        // the leaves are markers. Candidates inside the leaves are skipped.
                        return found.then_some(c.end);
                    }
                    (None, None) => return None,
                };
                let authorization =
                    line[kstart..kend].len() >= 13 && line[kend - 13..kend].eq_ignore_ascii_case(b"authorization");
                if let Some((scheme, cred)) = credential::split_scheme_in(line, &v, authorization, &mut scratch.openers)
                {
                    let (kind, action) = match scheme {
                        Scheme::Bearer => (FindingKind::Bearer, self.red.rules.bearer),
                        Scheme::Basic => (FindingKind::Basic, self.red.rules.basic),
                        Scheme::Other => (FindingKind::SecretKey, group.action),
                    };
                    return self.value_edit(line, &cred, kind, action, rule, scratch);
                }
                self.value_edit(line, &v, FindingKind::SecretKey, group.action, rule, scratch)
            }
            Trigger::Pattern(i) => {
                scratch.pattern_marks[i as usize] = true;
                None
            }
        }
    }

    /// Rewrites an opaque value — or, when the value is a compact JWT, the token by the JWT
    /// rules. Returns the end of the value on a finding.
    fn value_edit(
        &self,
        line: &[u8],
        v: &Value,
        kind: FindingKind,
        action: Action,
        rule: RuleName<'_>,
        scratch: &mut Scratch,
    ) -> Option<usize> {
        let mut r = v.range.clone();
        // A value that runs into a finding made ahead of the scan (an unterminated quote up
        // to the end of the line, over a secret container's leaf) ends where that finding
        // starts: the rest is rewritten on its own. Dropped, the value would stay in clear,
        // and be rewritten by a second pass once the leaf is a marker (fuzz `scrub_line`).
        if let Some(cut) = ahead_cut(scratch, &r) {
            if cut <= r.start {
                return None;
            }
            r.end = cut;
        }
        if r.is_empty() {
            return None;
        }
        if let Some(end) = self.token_at(line, r.start, rule.clone(), scratch) {
            return Some(end);
        }
        let value = &line[r.clone()];
        // A marker cut short by a delimiter (`Bearer [REDACTED]` ends the run at `]`) is ours.
        // And one with punctuation after it: a key the first pass did not read (inside another
        // finding) may read an output and the punctuation after it as its value.
        let bare = || credential::trim_punct_end(value);
        if line[r.start..].starts_with(self.red.rules.redacted_marker.as_bytes())
            || self.red.is_scrubbed(value, action)
            || (v.quote == Quote::None
                && value.last().is_some_and(|&b| credential::is_punct(b))
                && !bare().is_empty()
                && self.red.is_scrubbed(bare(), action))
            || self.scrubbed_cut_short(line, r.clone(), action)
        {
            return None;
        }
        let start = scratch.repl.len();
        if !self.red.opaque(value, action, v.json_number, &mut scratch.repl) {
            return None;
        }
        self.push_edit(line, r.clone(), start, kind, rule, action, None, scratch);
        Some(r.end)
    }

    /// Appends `action`'s rewrite of an opaque value (marker, pseudonym or mask); `false`
    /// (nothing appended) for `keep`. For the format layer's `[[json_fields]]`.
    pub(crate) fn rewrite_opaque(&self, value: &[u8], action: Action, out: &mut Vec<u8>) -> bool {
        self.red.opaque(value, action, false, out)
    }

    /// Whether `v` already is what `action` makes of a value (see `Redactor::is_scrubbed`).
    pub(crate) fn is_scrubbed(&self, v: &[u8], action: Action) -> bool {
        self.red.is_scrubbed(v, action)
    }

    /// Whether the value at `r` is the head of this action's output that a delimiter cut short:
    /// a bearer value is a `b64token`, so in `Bearer gho_***wxyz` the value is `gho_`, and in
    /// `Bearer k1:0a1b…` it is `k1`.
    fn scrubbed_cut_short(&self, line: &[u8], r: Range<usize>, action: Action) -> bool {
        let extend = |mut end: usize, ok: fn(u8) -> bool| {
            while end < line.len() && ok(line[end]) {
                end += 1;
            }
            end
        };
        match action {
            Action::Mask(m) if line[r.end..].starts_with(MASK_SUFFIX) => {
                let end = extend(r.end + MASK_SUFFIX.len(), crate::frame::is_run_byte);
                crate::redact::is_mask_output(&line[r.start..end], m)
            }
            Action::Hash if line.get(r.end) == Some(&b':') => {
                let end = extend(r.end + 1, |b| b.is_ascii_hexdigit());
                self.red.is_scrubbed(&line[r.start..end], action)
            }
            _ => false,
        }
    }

    /// Rewrites the compact token starting at `at`, if there is one; returns its end.
    fn token_at(&self, line: &[u8], at: usize, rule: RuleName<'_>, scratch: &mut Scratch) -> Option<usize> {
        if scratch.tokens.owner != self.id {
            scratch.tokens = TokenCache { owner: self.id, ..TokenCache::default() };
        }
        let action = self.red.rules.default_claim;
        if let Some(hit) = scratch.tokens.lookup(&line[at..], scratch.record) {
            let (n, changed, kind, facts) = (hit.bytes.len(), hit.changed, hit.kind, hit.facts.clone());
            let start = scratch.repl.len();
            scratch.repl.extend_from_slice(&hit.repl);
            scratch.stats.claims_redacted += changed;
            self.push_edit(line, at..at + n, start, kind, rule, action, facts, scratch);
            return Some(at + n);
        }
        let tok = jwt::parse_at_cached(line, at, &mut scratch.tmp, &mut scratch.headers)?;
        let start = scratch.repl.len();
        let mut info = scratch.record.then(ClaimInfo::default);
        let mut bufs =
            PayloadBufs { decoded: &mut scratch.tmp, json: &mut scratch.json, members: &mut scratch.members };
        let changed = self.red.token(line, &tok, &mut bufs, &mut scratch.repl, info.as_mut());
        scratch.stats.claims_redacted += changed;
        let kind = match tok.kind {
            TokenKind::Jws => FindingKind::Jws,
            TokenKind::Jwe => FindingKind::Jwe,
            TokenKind::Unsecured => FindingKind::Unsecured,
        };
        let facts = info.map(|claims| Box::new(TokenFacts { header: tok.header.clone(), claims }));
        if tok.span.len() <= TOKEN_CACHE_MAX {
            scratch.tokens.insert(&line[tok.span.clone()], &scratch.repl[start..], changed, kind, facts.clone());
        }
        self.push_edit(line, tok.span.clone(), start, kind, rule, action, facts, scratch);
        Some(tok.span.end)
    }

    #[allow(clippy::too_many_arguments)]
    fn push_edit(
        &self,
        line: &[u8],
        range: Range<usize>,
        repl_start: usize,
        kind: FindingKind,
        rule: RuleName<'_>,
        action: Action,
        token: Option<Box<TokenFacts>>,
        scratch: &mut Scratch,
    ) {
        // Findings never overlap (one found ahead of the scan, in a secret container, is
        // reached again by it).
        if overlaps_ahead(scratch, &range) {
            scratch.repl.truncate(repl_start);
            return;
        }
        if scratch.nesting {
            scratch.ahead.push_back(range.clone());
        }
        let repl = repl_start..scratch.repl.len();
        scratch.stats.findings.add(kind);
        if scratch.record {
            let base = scratch.line_base;
            scratch.findings.push(Finding {
                kind,
                rule: rule.resolve(line),
                action,
                line_start: base,
                span: base + range.start..base + range.end,
                token,
            });
        }
        scratch.found.push(range.clone());
        // A rewrite that changes nothing (a token scrubbed before) is a finding, not an edit:
        // the line stays borrowed and unchanged.
        if scratch.repl[repl.clone()] != line[range.clone()] {
            scratch.edits.push(Edit { range, repl });
        }
    }

    /// Whether the JWT start at `at` (not a compact token) is the value of a `"protected"` member
    /// whose header is a JWT header: a JWS or JWE in JSON serialization (RFC 7515 §7.2, RFC 7516
    /// §7.2, general or flattened). Returns whether it is a JWE's (`enc` in the header).
    fn protected_member(&self, line: &[u8], at: usize, scratch: &mut Scratch) -> Option<bool> {
        let before = line[..at].strip_suffix(b"\"")?;
        let before = before.trim_ascii_end().strip_suffix(b":")?.trim_ascii_end();
        if !before.ends_with(b"\"protected\"") {
            return None;
        }
        let end = jwt::segment_end(line, at, true);
        if line.get(end) != Some(&b'"') {
            return None;
        }
        let header = jwt::decode_protected(&line[at..end], &mut scratch.tmp)?;
        Some(header.enc.is_some())
    }

    /// Rewrites the members of a JSON-serialized JWS or JWE on this line (its `protected` header
    /// was seen, `jwe` tells which), as the compact form's segments are: a JWS's `"payload"`
    /// claim by claim (its `"signature"` is a secret key already), a JWE's `"encrypted_key"`,
    /// `"iv"`, `"ciphertext"` and `"tag"` replaced by the signature marker. Any such member on
    /// the line counts, before or after the header, outside earlier findings; a value that is
    /// not a plain JSON string of base64url is left alone.
    fn serialized_into(&self, line: &[u8], jwe: bool, scratch: &mut Scratch) {
        const JWS: [&[u8]; 1] = [b"\"payload\""];
        const JWE: [&[u8]; 4] = [b"\"encrypted_key\"", b"\"iv\"", b"\"ciphertext\"", b"\"tag\""];
        let had = scratch.edits.len();
        let sig = self.red.rules.signature_marker.as_bytes();
        for name in if jwe { &JWE[..] } else { &JWS[..] } {
            for k in memchr::memmem::find_iter(line, name) {
                let Some(v) = credential::string_member_value(line, k + name.len()) else { continue };
                if v.is_empty()
                    || jwt::segment_end(line, v.start, true) != v.end
                    || scratch.found.iter().any(|f| f.start < v.end && v.start < f.end)
                {
                    continue;
                }
                let start = scratch.repl.len();
                let kind = if jwe {
                    if line[v.clone()] == *sig {
                        continue;
                    }
                    scratch.repl.extend_from_slice(sig);
                    FindingKind::Jwe
                } else {
                    let mut bufs = PayloadBufs {
                        decoded: &mut scratch.tmp,
                        json: &mut scratch.json,
                        members: &mut scratch.members,
                    };
                    let changed = self.red.payload(&line[v.clone()], &mut bufs, &mut scratch.repl, None);
                    scratch.stats.claims_redacted += changed;
                    FindingKind::Jws
                };
                let action = self.red.rules.default_claim;
                self.push_edit(line, v, start, kind, RuleName::Static("jwt"), action, None, scratch);
            }
        }
        if scratch.edits.len() > had {
            scratch.edits.sort_by_key(|e| e.range.start);
        }
    }

    /// Runs the marked pattern regexes over the line; matches that overlap an edit are skipped.
    /// A pattern with a `secret` capture group rewrites that group only.
    fn patterns_into(&self, line: &[u8], scratch: &mut Scratch) {
        let had = scratch.edits.len();
        for (i, p) in self.red.rules.patterns.iter().enumerate() {
            if !scratch.pattern_marks[i]
                || !p.requires.iter().all(|r| memchr::memmem::find(line, r.as_bytes()).is_some())
            {
                continue;
            }
            match p.secret_group {
                None => {
                    for m in p.regex.find_iter(line) {
                        self.pattern_match(line, m.range(), p, scratch);
                    }
                }
                Some(g) => {
                    for c in p.regex.captures_iter(line) {
                        if let Some(m) = c.get(g) {
                            self.pattern_match(line, m.range(), p, scratch);
                        }
                    }
                }
            }
        }
        if scratch.edits.len() > had {
            scratch.edits.sort_by_key(|e| e.range.start);
        }
    }

    /// Marks the patterns whose trigger literal (ASCII case-insensitive) occurs in `region`, a
    /// stretch the scan skipped because a finding consumed it.
    fn mark_patterns_in(&self, region: &[u8], scratch: &mut Scratch) {
        let Some((ac, of)) = &self.pattern_lits else { return };
        for m in ac.find_overlapping_iter(region) {
            scratch.pattern_marks[of[m.pattern().as_usize()] as usize] = true;
        }
    }

    fn pattern_match(&self, line: &[u8], r: Range<usize>, p: &crate::rules::PatternRule, scratch: &mut Scratch) {
        // Markers only (`[REDACTED][REDACTED]`, what a match over other findings leaves: see
        // below) hold nothing left to rewrite; rewritten whole, a second pass would shorten them
        // (fuzz `scrub_line`: `u://:session=\x02)@`).
        let marker = self.red.rules.redacted_marker.as_bytes();
        let markers_only = |v: &[u8]| v.len() % marker.len() == 0 && v.chunks(marker.len()).all(|c| c == marker);
        if r.is_empty() || self.red.is_scrubbed(&line[r.clone()], p.action) || markers_only(&line[r.clone()]) {
            return;
        }
        if !scratch.found.iter().any(|f| f.start < r.end && r.start < f.end) {
            self.pattern_piece(line, r, p, scratch);
            return;
        }
        // The match overlaps earlier findings (a `ghp_…` glued to a JWT): the parts outside them
        // are rewritten on their own, fail closed, rather than the whole match skipped.
        let mut overlaps: Vec<Range<usize>> =
            scratch.found.iter().filter(|f| f.start < r.end && r.start < f.end).cloned().collect();
        overlaps.sort_by_key(|f| f.start);
        let mut at = r.start;
        for f in overlaps {
            if f.start > at {
                self.pattern_piece(line, at..f.start, p, scratch);
            }
            at = at.max(f.end);
        }
        if at < r.end {
            self.pattern_piece(line, at..r.end, p, scratch);
        }
    }

    /// Rewrites `r`, a pattern match or the part of one outside other findings.
    fn pattern_piece(&self, line: &[u8], r: Range<usize>, p: &crate::rules::PatternRule, scratch: &mut Scratch) {
        if self.red.is_scrubbed(&line[r.clone()], p.action) {
            return;
        }
        let start = scratch.repl.len();
        if self.red.opaque(&line[r.clone()], p.action, false, &mut scratch.repl) {
            self.push_edit(line, r, start, FindingKind::Pattern, RuleName::Static(&p.name), p.action, None, scratch);
            scratch.pattern_edit = true;
        }
    }
}

/// Loads the hash key from the environment variable or key file named in the rules.
fn load_key(rules: &Rules) -> Result<Pseudonymizer, BuildError> {
    let h = &rules.hash;
    let key = h.load_key().map_err(|err| BuildError::KeyFile {
        source_name: rules.source_name.clone(),
        path: h.key_file.as_ref().map_or_else(String::new, |p| p.display().to_string()),
        err,
    })?;
    if let Some(key) = key {
        return Ok(Pseudonymizer::for_settings(&key, h));
    }
    let hint = match (&h.key_env, &h.key_file) {
        (Some(v), Some(f)) => format!("${v} is unset and {} is empty", f.display()),
        (Some(v), None) => format!("${v} is unset or empty"),
        (None, Some(f)) => format!("{} is empty", f.display()),
        (None, None) => "neither is configured".to_string(),
    };
    Err(BuildError::MissingHashKey { source_name: rules.source_name.clone(), hint })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn token(sub: &str) -> String {
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let h = e.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let p = e.encode(format!(r#"{{"sub":"{sub}","iss":"https://idp","exp":2000000000}}"#));
        format!("{h}.{p}.{}", e.encode([7u8; 32]))
    }

    #[test]
    fn repeated_tokens_scrub_the_same_as_the_first() {
        let s = Scrubber::new(&Rules::embedded()).unwrap();
        let t = token("alice");
        let line = format!("a {t} b {t}. c {t}.x");
        let mut warm = Scratch::default();
        let first = s.scrub_line(line.as_bytes(), &mut warm).into_owned();
        let again = s.scrub_line(line.as_bytes(), &mut warm).into_owned();
        let cold = s.scrub_line(line.as_bytes(), &mut Scratch::default()).into_owned();
        assert_eq!(first, again);
        assert_eq!(first, cold);
        assert_eq!(warm.stats().findings.jws, 6);
    }

    /// The buffer path hands each line the buffer scan's candidates; a literal that runs past
    /// the line's end (one holding a newline) must leave the line as the line alone scrubs.
    #[test]
    fn buffer_and_line_paths_agree_when_a_literal_spans_lines() {
        let toml = "[[patterns]]\nname = \"nl\"\nregex = 'ab\\ncd[0-9]+'\naction = \"redact\"\n\n\
                    [[patterns]]\nname = \"end\"\nregex = 'ab$'\naction = \"redact\"\n";
        let rules = Rules::from_toml("nl.toml", toml).unwrap();
        let s = Scrubber::new(&rules).unwrap();
        let t = token("carol");
        let buf = format!("a ab\ncd12 {t} ab\nb Bearer abc.def ab\ncd\n");
        let mut scratch = Scratch::default();
        let whole = s.scrub_buf(buf.as_bytes(), &mut scratch).to_vec();
        let mut by_line = Vec::new();
        for line in buf.as_bytes().split_inclusive(|&b| b == b'\n') {
            let body = line.strip_suffix(b"\n").unwrap_or(line);
            by_line.extend_from_slice(&s.scrub_line(body, &mut Scratch::default()));
            by_line.extend_from_slice(&line[body.len()..]);
        }
        assert_eq!(String::from_utf8_lossy(&whole), String::from_utf8_lossy(&by_line));
        assert!(s.scanner.candidates(buf.as_bytes()).any(|c| buf.as_bytes()[c.start..c.end].contains(&b'\n')));
        assert_ne!(whole, buf.as_bytes(), "the token is rewritten");
        assert!(whole.starts_with(b"a [REDACTED]\n"), "`ab` at the line's end is found as on the line alone");
    }

    #[test]
    fn a_scratch_shared_by_two_scrubbers_does_not_mix_their_rules() {
        let keep_sub = Rules::from_toml("r", "[jwt.claims]\nsub = \"keep\"\niss = \"keep\"\n").unwrap();
        let a = Scrubber::new(&Rules::embedded()).unwrap();
        let b = Scrubber::new(&keep_sub).unwrap();
        let t = token("bob");
        let mut scratch = Scratch::default();
        let by_a = a.scrub_line(t.as_bytes(), &mut scratch).into_owned();
        let by_b = b.scrub_line(t.as_bytes(), &mut scratch).into_owned();
        assert_ne!(by_a, by_b, "b keeps sub; a cached rewrite must not leak into b's output");
        assert_eq!(by_b, b.scrub_line(t.as_bytes(), &mut Scratch::default()).into_owned());
    }
}
