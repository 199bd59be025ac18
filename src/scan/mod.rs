//! Candidate scan: one multi-literal pass over a whole buffer.
//!
//! The [`Scanner`] looks for every trigger literal the rules need — JWT header starts, `bearer`,
//! `basic`, secret-key names, pattern literals — ASCII case-insensitively, in one pass.
//!
//! # Contract
//!
//! False positives are allowed (every candidate is verified by [`crate::jwt`] or
//! [`crate::credential`]); false negatives are not: any token, credential or key the
//! verifiers would accept begins at or after a literal this scanner reports on the same line.
//!
//! What is reported, exactly (the naive reference in the tests): from a position, the leftmost
//! position where some literal matches — JWT starts and pattern literals byte for byte, every
//! other literal ASCII case-insensitively — and there the longest such literal.
//!
//! # How
//!
//! Every literal is found through an *anchor*: a short piece of it that a SIMD searcher (Teddy)
//! looks for, followed by a check of the whole literal around the anchor. Three searchers run
//! over a 64 KiB block:
//!
//! ```text
//! find(hay, from):
//!   block = hay[from .. from+BLOCK+longest-1]; folded = block with every byte | 0x20
//!   raw:      Teddy over the original bytes, 3-byte anchors: JWT starts (eyJ eyI eyA ewo ew0
//!             ewk) and every case variant of short key names (pwd PWD Pwd …)
//!   words:    Teddy over the folded block, one 4-byte anchor per longer word (bearer, basic,
//!             key names), shared where words share it (`_key` for api_key, secret_key, …)
//!   patterns: Teddy over the original bytes, the first 4 bytes of each pattern literal
//!   at each anchor hit: check the literals of that anchor at (hit - their offset) on the
//!   original bytes; keep the leftmost-longest; stop once no later hit can start earlier
//!   return the leftmost hit of all starting inside the block's first BLOCK bytes, else next block
//! ```
//!
//! (Literals shorter than 3 bytes, possible only with user rules, get a fourth searcher.)
//!
//! Why: one case-insensitive automaton over ~50 literals has no SIMD prefilter and runs at a
//! few hundred MB/s. Teddy's cost is a fixed pass plus a check at every fingerprint hit, and
//! the fingerprint hits grow with the number of needles sharing its 8 buckets: the 28 full
//! words (`pwd` alone took 8 needles, `pwd"` `pwd=` …) kept every bucket busy, and the word
//! pass cost 3.4 instructions a byte on clean logs; 12 anchors cost 1.8, most of it the fixed
//! pass and the fold. The anchors are chosen when the scanner is built: fewest anchors first,
//! then the rarest under a byte-frequency estimate for log text. Short names go to the JWT
//! searcher as case variants, which share one Teddy bucket. Pattern literals keep their own
//! pass: in the JWT searcher they would share buckets with the JWT starts, and base64 text
//! (token payloads) then hits those buckets constantly.
//!
//! `b | 0x20` lowercases ASCII letters and maps a few other bytes onto each other (`_` onto
//! DEL, `@` onto `` ` ``, control bytes onto punctuation): a superset, so it can only add
//! anchor hits, and the whole-literal check on the original bytes removes them. Each
//! searcher's next hit is cached, so a scan stays linear in the buffer length. The
//! `longest - 1` overlap means a literal starting in a block is seen whole. Where Teddy is
//! unavailable (no SSSE3/NEON) an Aho-Corasick automaton takes its place: same hits, slower.
//!
//! # Design rationale
//!
//! As in ripgrep's `find_candidate_line`, the scan runs over the whole buffer and only then
//! locates the line around a hit, so clean lines are never visited one by one: a buffer with no
//! hit is forwarded as one slice.

mod triggers;

use aho_corasick::packed;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use crate::rules::Rules;

pub(crate) use triggers::required_literals;
pub use triggers::{JWT_STARTS, Trigger};

/// Bytes lowercased and searched at a time.
const BLOCK: usize = 64 * 1024;

/// Anchor length of the raw searcher (JWT starts are 3 bytes).
const RAW_ANCHOR: usize = 3;
/// Anchor length of the folded searcher (Teddy's longest fingerprint).
const FOLDED_ANCHOR: usize = 4;

/// A literal hit: a position worth verifying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// Start of the literal in the haystack.
    pub start: usize,
    /// End (exclusive) of the literal.
    pub end: usize,
    /// Index into [`Scanner::triggers_of`].
    pub literal: u32,
}

/// One anchor searcher: Teddy when the CPU has it, an automaton otherwise.
#[derive(Debug, Clone)]
enum Engine {
    Teddy(packed::Searcher),
    Automaton(AhoCorasick),
}

impl Engine {
    /// All `anchors` have the same length, so at most one matches at a position.
    fn new(anchors: &[Vec<u8>]) -> Option<Engine> {
        if anchors.is_empty() {
            return None;
        }
        let teddy =
            packed::Config::new().match_kind(packed::MatchKind::LeftmostFirst).builder().extend(anchors).build();
        Some(match teddy {
            Some(s) => Engine::Teddy(s),
            None => Engine::Automaton(
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostFirst)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(anchors)
                    .or_else(|_| AhoCorasickBuilder::new().match_kind(MatchKind::LeftmostFirst).build(anchors))
                    .expect("trigger anchors are few and short"),
            ),
        })
    }

    /// Leftmost anchor hit in `hay[span]`: (start, anchor index), offsets into `hay`.
    fn find(&self, hay: &[u8], span: std::ops::Range<usize>) -> Option<(usize, usize)> {
        match self {
            Engine::Teddy(s) => {
                s.find_in(hay, aho_corasick::Span::from(span)).map(|m| (m.start(), m.pattern().as_usize()))
            }
            Engine::Automaton(ac) => {
                ac.find(aho_corasick::Input::new(hay).range(span)).map(|m| (m.start(), m.pattern().as_usize()))
            }
        }
    }
}

/// Which searcher: JWT starts and short key names (3-byte anchors, original bytes), words
/// (4-byte anchors, folded block), pattern literals (their first bytes, original bytes),
/// anything shorter than 3 bytes (original bytes).
const RAW: usize = 0;
const FOLDED: usize = 1;
const PATTERNS: usize = 2;
const SHORT: usize = 3;
const ENGINES: usize = 4;

/// The literals one anchor stands for.
#[derive(Debug, Clone, Copy)]
struct AnchorOf {
    /// Literal index.
    literal: u32,
    /// Where the anchor sits in the literal.
    offset: u32,
}

/// The compiled prefilter. Build once per [`Rules`], share freely.
#[derive(Debug, Clone)]
pub struct Scanner {
    engines: [Option<Engine>; ENGINES],
    /// Per searcher, per anchor: the literals to check around a hit.
    anchored: [Vec<Vec<AnchorOf>>; ENGINES],
    /// Per searcher: the largest anchor offset (a later hit can start at most this much earlier).
    max_offset: [usize; ENGINES],
    /// Per literal: what it stands for.
    triggers: Vec<Vec<Trigger>>,
    /// Per literal: its bytes as matched (lowercase when `nocase`).
    lits: Vec<Vec<u8>>,
    /// Per literal: whether it matches ASCII case-insensitively.
    nocase: Vec<bool>,
    /// Per literal: its bytes `| 0x20`, as they appear in a folded block.
    folded: Vec<Vec<u8>>,
    /// Per literal: whether all its bytes are ASCII letters (folded equality is then exact).
    letters_only: Vec<bool>,
    longest: usize,
    /// Per literal: bytes at its end that are not part of the trigger (a key terminator).
    trim: Vec<u8>,
    /// Patterns with no literal: their regex runs over every buffer.
    unanchored: Vec<u16>,
}

/// The next hit of one searcher, for hits at or after `from`.
#[derive(Debug, Clone, Copy, Default)]
struct Cached {
    valid: bool,
    from: usize,
    hit: Option<(usize, usize, u32)>,
}

/// The next anchor hit of one searcher: the first at or after `from` is `hit`.
#[derive(Debug, Clone, Copy, Default)]
struct NextAnchor {
    valid: bool,
    from: usize,
    hit: Option<(usize, usize)>,
}

/// A folded copy of one block of a haystack and each searcher's next hit, reused between
/// searches of the same haystack.
#[derive(Debug, Default)]
pub struct LowerBlock {
    buf: Vec<u8>,
    /// Identity of the haystack the block was cut from (address, length).
    hay: (usize, usize),
    /// `hay[start..end]` is in `buf`.
    start: usize,
    end: usize,
    /// Hits must start before this offset of the haystack to count in this block.
    nominal_end: usize,
    cache: [Cached; ENGINES],
    anchors: [NextAnchor; ENGINES],
}

impl LowerBlock {
    /// Forgets the cached block. Call it whenever the haystack's bytes may have changed: a
    /// reused buffer can have the same address and length with new content.
    pub fn invalidate(&mut self) {
        self.hay = (0, 0);
        self.nominal_end = 0;
    }

    fn covers(&self, hay: &[u8], at: usize) -> bool {
        self.hay == (hay.as_ptr() as usize, hay.len()) && self.start <= at && at < self.nominal_end
    }

    #[inline(never)]
    fn fill(&mut self, hay: &[u8], at: usize, longest: usize, fold: bool) {
        let nominal_end = (at + BLOCK).min(hay.len());
        let end = (nominal_end + longest.saturating_sub(1)).min(hay.len());
        self.buf.clear();
        if fold {
            self.buf.extend(hay[at..end].iter().map(|b| b | 0x20));
        }
        self.hay = (hay.as_ptr() as usize, hay.len());
        self.start = at;
        self.end = end;
        self.nominal_end = nominal_end;
        self.cache = [Cached::default(); ENGINES];
        self.anchors = [NextAnchor::default(); ENGINES];
    }

    /// The first hit of searcher `which` at or after `q` in this block (absolute offsets).
    fn next_anchor(&mut self, engine: &Engine, which: usize, hay: &[u8], q: usize) -> Option<(usize, usize)> {
        let c = &self.anchors[which];
        if c.valid && c.from <= q && c.hit.is_none_or(|(p, _)| p >= q) {
            return c.hit;
        }
        let (buf, base) = if which == FOLDED { (&self.buf[..], self.start) } else { (hay, 0) };
        let hit = if q < self.end { engine.find(buf, q - base..self.end - base) } else { None };
        let hit = hit.map(|(p, a)| (p + base, a));
        self.anchors[which] = NextAnchor { valid: true, from: q, hit };
        hit
    }
}

/// Collects anchors for one searcher, merging literals that share an anchor.
#[derive(Debug, Default)]
struct AnchorSet {
    anchors: Vec<Vec<u8>>,
    of: Vec<Vec<AnchorOf>>,
}

impl AnchorSet {
    fn add(&mut self, anchor: &[u8], literal: usize, offset: usize) {
        let a = AnchorOf { literal: literal as u32, offset: offset as u32 };
        match self.anchors.iter().position(|x| x == anchor) {
            Some(i) => self.of[i].push(a),
            None => {
                self.anchors.push(anchor.to_vec());
                self.of.push(vec![a]);
            }
        }
    }
}

impl Scanner {
    /// Builds the literal searchers from the rules.
    pub fn new(rules: &Rules) -> Scanner {
        let set = triggers::literal_set(rules);
        let mut lits = Vec::with_capacity(set.len());
        let mut nocase = Vec::with_capacity(set.len());
        let mut triggers = Vec::with_capacity(set.len());
        for (lit, ts) in set {
            let exact = ts.contains(&Trigger::JwtStart)
                || ts.iter().all(|t| matches!(t, Trigger::Pattern(_))) && lit.len() >= 2;
            let bytes: Vec<u8> = if ts.contains(&Trigger::JwtStart) {
                JWT_STARTS.iter().find(|s| s.eq_ignore_ascii_case(&lit)).expect("a JWT start").as_bytes().to_vec()
            } else if exact {
                rules.patterns[pattern_of(&ts)]
                    .triggers
                    .iter()
                    .find(|t| t.eq_ignore_ascii_case(&lit))
                    .expect("literal of its pattern")
                    .as_bytes()
                    .to_vec()
            } else {
                lit.into_bytes()
            };
            lits.push(bytes);
            nocase.push(!exact);
            triggers.push(ts);
        }
        let longest = lits.iter().map(Vec::len).max().unwrap_or(1);
        let trim: Vec<u8> = lits
            .iter()
            .zip(&triggers)
            .map(|(l, ts): (&Vec<u8>, &Vec<Trigger>)| {
                let short_key = ts.iter().all(|t| matches!(t, Trigger::Key(_))) && l.len() <= triggers::MIN_WORD;
                u8::from(short_key && l.last().is_some_and(|b| triggers::KEY_TERMINATORS.contains(b)))
            })
            .collect();

        // Anchors. A literal's core is what precedes its trimmed terminator (`pwd` of `pwd=`).
        let mut sets: [AnchorSet; ENGINES] = Default::default();
        let mut words: Vec<(usize, Vec<u8>)> = Vec::new();
        let mut patterns: Vec<usize> = Vec::new();
        let short_len = lits
            .iter()
            .enumerate()
            .map(|(i, l)| l.len() - usize::from(trim[i]))
            .filter(|&n| n < RAW_ANCHOR && n > 0)
            .min()
            .unwrap_or(RAW_ANCHOR);
        for (i, l) in lits.iter().enumerate() {
            let core = &l[..l.len() - usize::from(trim[i])];
            if core.is_empty() {
                continue;
            }
            if nocase[i] && core.len() >= FOLDED_ANCHOR {
                words.push((i, core.iter().map(|b| b | 0x20).collect()));
            } else if !nocase[i] && !triggers[i].contains(&Trigger::JwtStart) && core.len() >= RAW_ANCHOR {
                patterns.push(i);
            } else if core.len() >= RAW_ANCHOR {
                for v in case_variants(&core[..RAW_ANCHOR], nocase[i]) {
                    sets[RAW].add(&v, i, 0);
                }
            } else {
                for v in case_variants(&core[..short_len], nocase[i]) {
                    sets[SHORT].add(&v, i, 0);
                }
            }
        }
        for (i, anchor, offset) in choose_word_anchors(&words) {
            sets[FOLDED].add(&anchor, i, offset);
        }
        let pattern_len = patterns.iter().map(|&i| lits[i].len()).min().unwrap_or(0).min(FOLDED_ANCHOR);
        for &i in &patterns {
            sets[PATTERNS].add(&lits[i][..pattern_len], i, 0);
        }
        let engines = sets.each_ref().map(|s| Engine::new(&s.anchors));
        let anchored = sets.map(|s| s.of);
        let max_offset =
            std::array::from_fn(|w| anchored[w].iter().flatten().map(|a| a.offset as usize).max().unwrap_or(0));
        let unanchored =
            rules.patterns.iter().enumerate().filter(|(_, p)| p.triggers.is_empty()).map(|(i, _)| i as u16).collect();
        let folded = lits.iter().map(|l| l.iter().map(|b| b | 0x20).collect()).collect();
        let letters_only = lits.iter().map(|l| l.iter().all(u8::is_ascii_alphabetic)).collect();
        Scanner {
            engines,
            anchored,
            max_offset,
            triggers,
            lits,
            nocase,
            folded,
            letters_only,
            longest,
            trim,
            unanchored,
        }
    }

    /// Whether every searcher in use is SIMD (Teddy).
    pub fn is_simd(&self) -> bool {
        self.engines.iter().flatten().all(|e| matches!(e, Engine::Teddy(_)))
    }

    /// The leftmost candidate starting at or after `from` (longest literal wins at a position).
    pub fn find(&self, hay: &[u8], from: usize, block: &mut LowerBlock) -> Option<Candidate> {
        let mut at = from;
        while at < hay.len() {
            if !block.covers(hay, at) {
                block.fill(hay, at, self.longest, self.engines[FOLDED].is_some());
            }
            let mut best: Option<(usize, usize, u32)> = None;
            for which in [RAW, FOLDED, PATTERNS, SHORT] {
                let Some(engine) = &self.engines[which] else { continue };
                let c = &block.cache[which];
                let fresh = c.valid && c.from <= at && c.hit.is_none_or(|h| h.0 >= at);
                let hit = if fresh { c.hit } else { self.search(engine, which, hay, at, block) };
                block.cache[which] = Cached { valid: true, from: at, hit };
                if let Some(h) = hit {
                    if best.is_none_or(|b| h.0 < b.0 || (h.0 == b.0 && h.1 > b.1)) {
                        best = Some(h);
                    }
                }
            }
            match best {
                Some((s, e, literal)) if s < block.nominal_end => {
                    let e = e - usize::from(self.trim[literal as usize]);
                    return Some(Candidate { start: s, end: e, literal });
                }
                _ => at = block.nominal_end,
            }
        }
        None
    }

    /// One searcher's leftmost-longest literal starting at or after `at`, found through its
    /// anchors within the block (absolute offsets).
    ///
    /// ```text
    /// for each anchor hit p at or after `at`, in order:
    ///   for each literal L of the anchor, at offset k in L:
    ///     if hay[p-k ..] starts with L (case-insensitively unless exact): keep the
    ///     leftmost, then longest
    ///   stop once a literal was kept at s and p + 1 > s + max_offset (later hits start after s)
    /// ```
    ///
    /// The next anchor hit is cached with the block, so the look past a found literal is not
    /// searched again by the next call.
    fn search(
        &self,
        engine: &Engine,
        which: usize,
        hay: &[u8],
        at: usize,
        block: &mut LowerBlock,
    ) -> Option<(usize, usize, u32)> {
        let mut q = at;
        let mut best: Option<(usize, usize, u32)> = None;
        while let Some((p, anchor)) = block.next_anchor(engine, which, hay, q) {
            if best.is_some_and(|b| p > b.0 + self.max_offset[which]) {
                break;
            }
            for a in &self.anchored[which][anchor] {
                let Some(s) = p.checked_sub(a.offset as usize).filter(|&s| s >= at) else { continue };
                if best.is_some_and(|b| s > b.0) {
                    continue;
                }
                let i = a.literal as usize;
                let e = s + self.lits[i].len();
                if self.matches(i, hay, s, e, which == FOLDED, block) && best.is_none_or(|b| s < b.0 || e > b.1) {
                    best = Some((s, e, a.literal));
                }
            }
            if best.is_some_and(|b| p >= b.0 + self.max_offset[which]) {
                break;
            }
            q = p + 1;
        }
        best
    }

    /// Whether literal `i` is at `hay[s..e]`. On the folded block a byte comparison of the
    /// folded forms comes first; it decides alone for literals made of letters only.
    fn matches(&self, i: usize, hay: &[u8], s: usize, e: usize, folded: bool, block: &LowerBlock) -> bool {
        let lit = &self.lits[i];
        if !self.nocase[i] {
            return hay.get(s..e) == Some(&lit[..]);
        }
        if folded && e <= block.end {
            if block.buf[s - block.start..e - block.start] != self.folded[i][..] {
                return false;
            }
            if self.letters_only[i] {
                return true;
            }
        }
        hay.get(s..e).is_some_and(|got| got.eq_ignore_ascii_case(lit))
    }

    /// Every candidate in `hay`, in order, non-overlapping.
    pub fn candidates<'h>(&'h self, hay: &'h [u8]) -> impl Iterator<Item = Candidate> + 'h {
        let mut block = LowerBlock::default();
        block.invalidate();
        let mut at = 0;
        std::iter::from_fn(move || {
            let c = self.find(hay, at, &mut block)?;
            at = c.end;
            Some(c)
        })
    }

    /// What a candidate's literal stands for.
    pub fn triggers_of(&self, c: &Candidate) -> &[Trigger] {
        &self.triggers[c.literal as usize]
    }

    /// Pattern rules that have no literal and must be run over every buffer.
    pub fn unanchored_patterns(&self) -> &[u16] {
        &self.unanchored
    }
}

/// Every ASCII case variant of `bytes` (just `bytes` when `nocase` is off): at most 8, since
/// anchors are at most 3 bytes.
fn case_variants(bytes: &[u8], nocase: bool) -> Vec<Vec<u8>> {
    let mut out = vec![Vec::with_capacity(bytes.len())];
    for &b in bytes {
        let alts: &[u8] =
            if nocase && b.is_ascii_alphabetic() { &[b.to_ascii_lowercase(), b.to_ascii_uppercase()] } else { &[b] };
        out = out
            .iter()
            .flat_map(|v| {
                alts.iter().map(move |&c| {
                    let mut w = v.clone();
                    w.push(c);
                    w
                })
            })
            .collect();
    }
    out
}

/// Rough share (per 10 000) of a folded byte in log text: letters by English frequency,
/// digits and common punctuation high, everything else rare. Only relative order matters.
fn folded_share(b: u8) -> f64 {
    match b {
        b' ' => 1200.0,
        b'e' => 600.0,
        b't' | b'a' => 450.0,
        b'o' | b'i' | b'n' | b's' | b'r' => 400.0,
        b'l' => 250.0,
        b'c' => 230.0,
        b'0'..=b'9' | b'd' => 200.0,
        b'u' | b'h' => 180.0,
        b'm' => 160.0,
        b'p' | b'.' => 150.0,
        b'g' => 120.0,
        b'f' | b':' | b'-' | b'/' => 100.0,
        b'b' | b'w' | b'y' | b'"' => 80.0,
        b'v' => 60.0,
        b'k' | b',' | 0x7f => 50.0,
        b'=' => 40.0,
        b'x' => 30.0,
        b'j' => 15.0,
        b'q' | b'z' => 10.0,
        _ => 20.0,
    }
}

/// One 4-byte anchor per word (folded cores): a greedy set cover that takes, each round, the
/// 4-gram with the least estimated frequency (plus a fixed cost per anchor, so fewer anchors
/// win) per word it covers. Returns (literal, anchor, offset in the literal).
fn choose_word_anchors(words: &[(usize, Vec<u8>)]) -> Vec<(usize, Vec<u8>, usize)> {
    /// Fixed cost of one more anchor, in the units of a 4-gram's estimated frequency.
    const ANCHOR_COST: f64 = 1e-5;
    let freq = |g: &[u8]| g.iter().map(|&b| folded_share(b) / 10_000.0).product::<f64>();
    let mut left: Vec<&(usize, Vec<u8>)> = words.iter().collect();
    let mut out = Vec::with_capacity(words.len());
    while !left.is_empty() {
        let mut grams: Vec<&[u8]> = left.iter().flat_map(|(_, w)| w.windows(FOLDED_ANCHOR)).collect();
        grams.sort_unstable();
        grams.dedup();
        let cost = |g: &[u8]| {
            let n = left.iter().filter(|(_, w)| w.windows(FOLDED_ANCHOR).any(|x| x == g)).count();
            (freq(g) + ANCHOR_COST) / n as f64
        };
        let best = grams
            .iter()
            .copied()
            .min_by(|a, b| cost(a).total_cmp(&cost(b)).then(a.cmp(b)))
            .expect("words have 4-grams")
            .to_vec();
        left.retain(|(i, w)| match w.windows(FOLDED_ANCHOR).position(|x| x == &best[..]) {
            Some(off) => {
                out.push((*i, best.clone(), off));
                false
            }
            None => true,
        });
    }
    out
}

/// The pattern a pattern-only literal belongs to (the first, if shared).
fn pattern_of(ts: &[Trigger]) -> usize {
    ts.iter()
        .find_map(|t| match t {
            Trigger::Pattern(i) => Some(*i as usize),
            _ => None,
        })
        .expect("a pattern trigger")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_literals_case_insensitively() {
        let s = Scanner::new(&Rules::embedded());
        let hay = b"x AUTHORIZATION: Bearer eyJhb";
        let c: Vec<_> = s.candidates(hay).map(|c| (c.start, s.triggers_of(&c).to_vec())).collect();
        assert!(c.iter().any(|(at, t)| *at == 2 && matches!(t[0], Trigger::Key(_))));
        assert!(c.iter().any(|(at, t)| *at == 17 && t[0] == Trigger::Bearer));
        assert!(c.iter().any(|(at, t)| *at == 24 && t[0] == Trigger::JwtStart));
    }

    #[test]
    fn clean_text_has_no_candidates() {
        let s = Scanner::new(&Rules::embedded());
        assert_eq!(s.candidates(b"2024-01-01 INFO started server on port 8080\n").count(), 0);
    }

    #[test]
    fn default_rules_get_the_simd_searcher() {
        assert!(Scanner::new(&Rules::embedded()).is_simd());
    }

    /// The naive reference: from each position on, every literal (byte for byte when exact,
    /// ASCII case-insensitively otherwise); at the first position with a match the longest
    /// literal wins, and the next search starts at the candidate's end.
    fn naive(s: &Scanner, hay: &[u8]) -> Vec<Candidate> {
        let mut out = Vec::new();
        let mut at = 0;
        while let Some(c) = (at..hay.len()).find_map(|i| {
            let best = (0..s.lits.len())
                .filter(|&l| {
                    let lit = &s.lits[l];
                    hay.get(i..i + lit.len())
                        .is_some_and(|got| if s.nocase[l] { got.eq_ignore_ascii_case(lit) } else { got == &lit[..] })
                })
                .max_by_key(|&l| (s.lits[l].len(), std::cmp::Reverse(l)))?;
            let end = i + s.lits[best].len() - usize::from(s.trim[best]);
            Some(Candidate { start: i, end, literal: best as u32 })
        }) {
            at = c.end;
            out.push(c);
        }
        out
    }

    /// Rules with a 2-byte key (`pw`), a 2-byte pattern literal and a key that is
    /// also a JWT start, so every searcher is in use.
    fn odd_rules() -> Rules {
        let toml = "[[secret_keys]]\nnames = [\"pw\", \"token\", \"x-auth\", \"eyJ\"]\naction = \"redact\"\n\n\
                    [[patterns]]\nname = \"two\"\nregex = 'q9[0-9]{4}'\naction = \"redact\"\n";
        Rules::from_toml("odd.toml", toml).unwrap()
    }

    #[test]
    fn literals_across_block_boundaries_are_found() {
        for rules in [Rules::embedded(), odd_rules()] {
            let s = Scanner::new(&rules);
            for shift in [0usize, 1, 3, 5, 7, 12, 13, 14, 17] {
                let mut hay = vec![b'.'; BLOCK - shift];
                hay.extend_from_slice(b"PassWord=x Bearer y eyJz secret_ACCESS_key=1 PWD=2 q912345");
                hay.extend(std::iter::repeat_n(b'-', BLOCK - 40));
                hay.extend_from_slice(b"x-api-key: connect.sid=");
                hay.extend(std::iter::repeat_n(b'a', BLOCK - shift));
                hay.extend_from_slice(b"authorization");
                let got: Vec<Candidate> = s.candidates(&hay).collect();
                assert_eq!(got, naive(&s, &hay), "shift {shift}");
            }
        }
    }

    #[test]
    fn every_searcher_is_used_by_odd_rules() {
        let s = Scanner::new(&odd_rules());
        assert!(s.engines.iter().all(Option::is_some));
    }

    #[test]
    fn words_sharing_an_anchor_report_the_leftmost_longest() {
        let s = Scanner::new(&Rules::embedded());
        for hay in [&b"xsecret_access_key=1"[..], b"api_key", b"SESSION_ID sessionid phpsessid", b"ssession_id"] {
            assert_eq!(s.candidates(hay).collect::<Vec<_>>(), naive(&s, hay), "{}", String::from_utf8_lossy(hay));
        }
    }

    /// Pieces of literals in several cases, fold look-alikes (`_`/DEL, `@`/`` ` ``, TAB/`)`, CR/`-`)
    /// and filler: random input that hits anchors often and literals sometimes.
    fn piece() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        prop_oneof![
            3 => proptest::sample::select(vec![
                "token", "TOKEN", "Token", "oken", "session", "sess", "essi", "_id", "ID", "id", "phpsessid",
                "pwd", "PWD", "Pwd", "pw", "PW", "k", "K", "=", ":", "\"", "'", " ", "\t", "%", "\\", "secret",
                "_key", "-key", "api", "apikey", "secret_access", "private", "authorization", "AUTHORIZ",
                "bearer", "Basic", "signature", "passphrase", "password", "passwd", "connect.sid", ".sid",
                "eyJ", "eyj", "EYJ", "eyI", "eyA", "ewo", "ew0", "ewk", "AKIA", "ASIA", "akia", "ghp_", "gho",
                "github_pat_", "xoxb-", "xox", "sk_live_", "rk_test_", "ya29.", "q9", "Q9", "x-auth", "X-AUTH",
            ]).prop_map(|s| s.as_bytes().to_vec()),
            1 => proptest::collection::vec(
                proptest::sample::select(b"_\x7f@`\t)\r-\x00 aeiokKqQ.:"[..].to_vec()), 1..4),
            1 => proptest::collection::vec(any::<u8>(), 1..4),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        #[test]
        fn candidates_are_the_naive_ones(pieces in proptest::collection::vec(piece(), 0..40)) {
            let hay: Vec<u8> = pieces.concat();
            for rules in [Rules::embedded(), odd_rules()] {
                let s = Scanner::new(&rules);
                proptest::prop_assert_eq!(s.candidates(&hay).collect::<Vec<_>>(), naive(&s, &hay));
            }
        }
    }

    #[test]
    fn candidates_on_the_loghub_corpus_are_the_naive_ones() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/loghub");
        let Ok(entries) = std::fs::read_dir(&dir) else { return };
        let s = Scanner::new(&Rules::embedded());
        for e in entries.flatten() {
            let hay = std::fs::read(e.path()).unwrap();
            // The naive reference is quadratic-ish: a slice of each file is enough.
            let hay = &hay[..hay.len().min(64 * 1024)];
            assert_eq!(s.candidates(hay).collect::<Vec<_>>(), naive(&s, hay), "{}", e.path().display());
        }
    }
}
