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
//! looks for, followed by a check of the whole literal around the anchor. Two searchers run
//! over a 64 KiB block:
//!
//! ```text
//! find(hay, from):
//!   block = hay[from .. from+BLOCK+longest-1]; folded = block with every byte | 0x20
//!   raw:      Teddy over the original bytes, 3-byte anchors: JWT starts (eyJ eyI eyA ewo ew0
//!             ewk), every case variant of short key names (pwd PWD Pwd …) and the first 3
//!             bytes of each pattern literal (AKI gho xox ://)
//!   words:    Teddy over the folded block, one 4-byte anchor per longer word (bearer, basic,
//!             key names), shared where words share it (`_key` for api_key, secret_key, …)
//!   at each anchor hit: check the literals of that anchor at (hit - their offset) on the
//!   original bytes; keep the leftmost-longest; stop once no later hit can start earlier
//!   return the leftmost hit of all starting inside the block's first BLOCK bytes, else next block
//! ```
//!
//! (Literals shorter than 3 bytes, possible only with user rules, get a third searcher.)
//!
//! Why: one case-insensitive automaton over ~50 literals has no SIMD prefilter and runs at a
//! few hundred MB/s. Teddy's cost is a fixed pass (about 0.85 instructions a byte for 3-byte
//! anchors) plus a check at every fingerprint hit, so the tricks are fewer passes and fewer
//! fingerprint hits:
//!
//! 1. *Anchors, not words.* The 28 full words (`pwd` alone took 8 needles, `pwd"` `pwd=` …)
//!    kept all 8 buckets busy and the word pass cost 3.4 instructions a byte on clean logs; 12
//!    anchors cost 1.8, most of it the fixed pass and the fold. The anchors are chosen when the
//!    scanner is built: fewest anchors first, then the rarest under a byte-frequency estimate
//!    for log text.
//! 2. *One pass over the original bytes.* Everything matched on the original bytes — JWT
//!    starts and pattern literals byte for byte, short names as case variants — shares one
//!    3-byte searcher instead of a pass each (a whole fixed pass less: 125 → 108 M instructions
//!    for 16 MiB of clean logs). Sound because every anchor has the same length: at most one
//!    matches at a position, and an anchor shared by literals of different kinds lists them
//!    all, so the leftmost-longest check sees the same literals as separate searchers would.
//! 3. *Buckets placed by cost* (`teddy_order`). Teddy tests the low and the high nibble of
//!    each byte separately, so a bucket's fingerprint accepts every mix of its anchors'
//!    nibbles. aho-corasick picks a group's bucket from its index in the pattern list, so the
//!    order the anchors are handed over in decides which share a bucket; in the given order
//!    `pwd` and `sig` shared one (accepting `pid`, common in logs) and the merged searcher
//!    cost 154 M instead of 108 M. Each nibble group instead joins the bucket where it adds
//!    the least estimated fingerprint hits under the byte-frequency estimate, and the order is
//!    laid out to put it there. Sound because only the bucket changes: Teddy still reports
//!    exactly the anchors present, and a repeated anchor (a filler in the order) rejoins its
//!    own group and maps back to the same anchor.
//! 4. *Fold once, 4-byte anchors.* Words are matched ASCII case-insensitively through a
//!    `b | 0x20` copy of the block: 4-byte anchors there need one needle each, where case
//!    variants would need 16.
//!
//! `b | 0x20` lowercases ASCII letters and maps a few other bytes onto each other (`_` onto
//! DEL, `@` onto `` ` ``, control bytes onto punctuation): a superset, so it can only add
//! anchor hits, and the whole-literal check on the original bytes removes them. Each
//! searcher's next hit is cached, so a scan stays linear in the buffer length. The
//! `longest - 1` overlap means a literal starting in a block is seen whole. Where Teddy is
//! unavailable (no SSSE3/NEON, or more than 64 anchors) an Aho-Corasick automaton takes its
//! place: same hits, slower.
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
    /// Teddy over the anchors in bucket order (see [`teddy_order`]): pattern `k` is anchor
    /// `ids[k]`.
    Teddy(packed::Searcher, Vec<u32>),
    Automaton(AhoCorasick),
}

impl Engine {
    /// All `anchors` have the same length, so at most one matches at a position. `share`
    /// estimates how common a byte is in the searched bytes (it places the anchors in Teddy's
    /// buckets).
    fn new(anchors: &[Vec<u8>], share: fn(u8) -> f64) -> Option<Engine> {
        if anchors.is_empty() {
            return None;
        }
        // Slim Teddy (8 buckets), which aho-corasick would trade for fat Teddy (16 buckets,
        // half the bytes per step) past 32 patterns; it takes at most 64.
        let mut ids = teddy_order(anchors, share);
        if ids.len() > TEDDY_MAX {
            ids = (0..anchors.len() as u32).collect();
        }
        let teddy = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .only_teddy_fat(Some(false))
            .builder()
            .extend(ids.iter().map(|&i| &anchors[i as usize]))
            .build();
        Some(match teddy {
            Some(s) => Engine::Teddy(s, ids),
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
            Engine::Teddy(s, ids) => s
                .find_in(hay, aho_corasick::Span::from(span))
                .map(|m| (m.start(), ids[m.pattern().as_usize()] as usize)),
            Engine::Automaton(ac) => {
                ac.find(aho_corasick::Input::new(hay).range(span)).map(|m| (m.start(), m.pattern().as_usize()))
            }
        }
    }
}

/// Slim Teddy's buckets.
const BUCKETS: usize = 8;
/// The most patterns aho-corasick's Teddy takes.
const TEDDY_MAX: usize = 64;

/// Teddy's fingerprint group of an anchor: the low nibbles of its first `len` bytes. Anchors
/// of one group always share a bucket (aho-corasick groups them so; case variants of a word
/// are one group).
fn nibble_group(anchor: &[u8], len: usize) -> Vec<u8> {
    anchor[..len].iter().map(|b| b & 0x0f).collect()
}

/// What Teddy's fingerprint of a bucket accepts: per anchor byte (at most 4), the low
/// nibbles and the high nibbles seen there in the bucket's anchors (one bit each). Teddy tests
/// the two nibbles separately, so a byte passes when both of its nibbles are in the sets.
#[derive(Debug, Clone, Copy, Default)]
struct Nibbles([(u16, u16); 4]);

impl Nibbles {
    fn of(anchor: &[u8], len: usize) -> Nibbles {
        let mut n = Nibbles::default();
        for (k, &b) in anchor[..len].iter().enumerate() {
            n.0[k] = (1 << (b & 0x0f), 1 << (b >> 4));
        }
        n
    }

    fn union(self, o: Nibbles) -> Nibbles {
        Nibbles(std::array::from_fn(|k| (self.0[k].0 | o.0[k].0, self.0[k].1 | o.0[k].1)))
    }

    /// Estimated chance that the fingerprint fires at a position, bytes drawn by `share`
    /// (normalized); 0 for an empty bucket.
    fn cost(self, len: usize, share: &[f64; 256]) -> f64 {
        let bits = |mut set: u16| {
            std::iter::from_fn(move || {
                let n = set.trailing_zeros() as usize;
                set &= set.wrapping_sub(1);
                (n < 16).then_some(n)
            })
        };
        self.0[..len]
            .iter()
            .map(|&(lo, hi)| bits(hi).flat_map(|h| bits(lo).map(move |l| share[h << 4 | l])).sum::<f64>())
            .product()
    }
}

/// The order to hand the anchors to Teddy in, as anchor indices (an anchor may repeat).
///
/// aho-corasick puts a new nibble group into bucket `7 - id % 8`, `id` being the pattern
/// index of the group's first anchor, so the order decides which groups share a bucket; in
/// the given order unrelated words could land together and their fingerprints then accept
/// each other's byte mixes (`pwd` and `sig` together accept `pid`). Here each group, the
/// costliest first, joins the bucket where it adds the least estimated fingerprint hits
/// ([`Nibbles::cost`]); then the groups' first anchors are laid out at indices of their
/// bucket, with the groups' other anchors (or, lacking those, a repeat of the first anchor,
/// which only rejoins its own group) in the gaps. Which anchor a hit is stays exact: the order
/// only maps indices.
fn teddy_order(anchors: &[Vec<u8>], share: fn(u8) -> f64) -> Vec<u32> {
    let len = anchors.iter().map(Vec::len).min().unwrap_or(0).min(4);
    let total: f64 = (0..=255u8).map(share).sum();
    let share: [f64; 256] = std::array::from_fn(|b| share(b as u8) / total);
    // Groups: (low nibbles, fingerprint, anchors).
    let mut groups: Vec<(Vec<u8>, Nibbles, Vec<usize>)> = Vec::new();
    for (i, a) in anchors.iter().enumerate() {
        let key = nibble_group(a, len);
        let n = Nibbles::of(a, len);
        match groups.iter_mut().find(|(k, ..)| *k == key) {
            Some((_, m, members)) => {
                *m = m.union(n);
                members.push(i);
            }
            None => groups.push((key, n, vec![i])),
        }
    }
    let mut by_cost: Vec<(f64, usize)> =
        groups.iter().enumerate().map(|(g, (_, n, _))| (n.cost(len, &share), g)).collect();
    by_cost.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut buckets: Vec<(Nibbles, Vec<usize>)> = vec![(Nibbles::default(), Vec::new()); BUCKETS];
    for (_, g) in by_cost {
        let n = groups[g].1;
        let added = |(m, members): &(Nibbles, Vec<usize>)| {
            let was = if members.is_empty() { 0.0 } else { m.cost(len, &share) };
            m.union(n).cost(len, &share) - was
        };
        let best = (0..BUCKETS).min_by(|&x, &y| added(&buckets[x]).total_cmp(&added(&buckets[y])).then(x.cmp(&y)));
        let b = &mut buckets[best.expect("buckets")];
        b.0 = b.0.union(n);
        b.1.push(g);
    }
    let buckets: Vec<Vec<usize>> = buckets.into_iter().map(|(_, g)| g).collect();
    // Used buckets take Teddy's bucket numbers 7, 6, … so the first round needs no filler.
    let mut pending: Vec<std::collections::VecDeque<usize>> =
        buckets.into_iter().filter(|b| !b.is_empty()).map(Into::into).collect();
    let mut spare: Vec<usize> = Vec::new();
    let mut out: Vec<u32> = Vec::new();
    while pending.iter().any(|p| !p.is_empty()) {
        let slot = out.len() % BUCKETS;
        match pending.get_mut(slot).and_then(|p| p.pop_front()) {
            Some(g) => {
                let (first, rest) = groups[g].2.split_first().expect("a group has an anchor");
                out.push(*first as u32);
                spare.extend(rest.iter().rev());
            }
            None => out.push(spare.pop().unwrap_or(out[0] as usize) as u32),
        }
    }
    out.extend(spare.iter().rev().map(|&i| i as u32));
    out
}

/// Which searcher: JWT starts, short key names and pattern literals (3-byte anchors, original
/// bytes), words (4-byte anchors, folded block), anything shorter than 3 bytes (original
/// bytes).
const RAW: usize = 0;
const FOLDED: usize = 1;
const SHORT: usize = 2;
const ENGINES: usize = 3;

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
        let mut which = 0;
        let engines = sets.each_ref().map(|s| {
            which += 1;
            Engine::new(&s.anchors, if which - 1 == FOLDED { folded_share } else { raw_share })
        });
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
        self.engines.iter().flatten().all(|e| matches!(e, Engine::Teddy(..)))
    }

    /// The leftmost candidate starting at or after `from` (longest literal wins at a position).
    pub fn find(&self, hay: &[u8], from: usize, block: &mut LowerBlock) -> Option<Candidate> {
        let mut at = from;
        while at < hay.len() {
            if !block.covers(hay, at) {
                block.fill(hay, at, self.longest, self.engines[FOLDED].is_some());
            }
            let mut best: Option<(usize, usize, u32)> = None;
            for which in [RAW, FOLDED, SHORT] {
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
/// digits and common punctuation high, everything else rare (and bytes folding never makes,
/// those without bit 0x20, none). Only relative order matters.
fn folded_share(b: u8) -> f64 {
    match b {
        _ if b | 0x20 != b => 0.0,
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

/// Rough share of a byte in log text as is (not folded): [`folded_share`] for lowercase
/// letters and the punctuation that folding leaves alone, a tenth of it for capitals, little
/// for the rest except `_` and line ends.
fn raw_share(b: u8) -> f64 {
    match b {
        b'A'..=b'Z' => folded_share(b | 0x20) / 10.0,
        b'_' | b'\n' => 50.0,
        _ if b | 0x20 == b => folded_share(b),
        _ => 5.0,
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

    /// Teddy's bucket of each anchor under `order`, by aho-corasick's rule: a nibble group
    /// takes bucket `7 - id % 8` of its first pattern, later members join it.
    fn teddy_buckets(anchors: &[Vec<u8>], order: &[u32]) -> Vec<usize> {
        let len = anchors.iter().map(Vec::len).min().unwrap().min(4);
        let mut group_bucket: Vec<(Vec<u8>, usize)> = Vec::new();
        let mut out = vec![usize::MAX; anchors.len()];
        for (id, &a) in order.iter().enumerate() {
            let key = nibble_group(&anchors[a as usize], len);
            let b = match group_bucket.iter().find(|(k, _)| *k == key) {
                Some(&(_, b)) => b,
                None => {
                    group_bucket.push((key, BUCKETS - 1 - id % BUCKETS));
                    BUCKETS - 1 - id % BUCKETS
                }
            };
            let a = a as usize;
            assert!(out[a] == usize::MAX || out[a] == b, "a repeated anchor stays in its bucket");
            out[a] = b;
        }
        out
    }

    #[test]
    fn teddy_order_places_every_anchor_and_halves_the_fingerprint_hits() {
        let rules = Rules::embedded();
        let s = Scanner::new(&rules);
        // The raw searcher's anchors, rebuilt the way `Scanner::new` makes them.
        let mut raw = AnchorSet::default();
        for (i, l) in s.lits.iter().enumerate() {
            let core = &l[..l.len() - usize::from(s.trim[i])];
            if core.len() >= RAW_ANCHOR && !(s.nocase[i] && core.len() >= FOLDED_ANCHOR) {
                for v in case_variants(&core[..RAW_ANCHOR], s.nocase[i]) {
                    raw.add(&v, i, 0);
                }
            }
        }
        assert_eq!(raw.of.len(), s.anchored[RAW].len());
        let order = teddy_order(&raw.anchors, raw_share);
        assert!(order.len() <= TEDDY_MAX);
        let buckets = teddy_buckets(&raw.anchors, &order);
        assert!(buckets.iter().all(|&b| b < BUCKETS), "every anchor is handed to Teddy");
        let bucket_of = |a: &[u8]| buckets[raw.anchors.iter().position(|x| x == a).unwrap()];
        // Together `pwd` and `sig` would accept `pid` (the given order put them together).
        assert_ne!(bucket_of(b"pwd"), bucket_of(b"sig"));
        // The estimated fingerprint hits of a placement: the sum of its buckets' costs.
        let total: f64 = (0..=255u8).map(raw_share).sum();
        let share: [f64; 256] = std::array::from_fn(|b| raw_share(b as u8) / total);
        let cost = |buckets: &[usize]| {
            (0..BUCKETS)
                .map(|b| {
                    let n = (0..raw.anchors.len())
                        .filter(|&i| buckets[i] == b)
                        .map(|i| Nibbles::of(&raw.anchors[i], RAW_ANCHOR))
                        .reduce(Nibbles::union);
                    n.map_or(0.0, |n| n.cost(RAW_ANCHOR, &share))
                })
                .sum::<f64>()
        };
        let given: Vec<u32> = (0..raw.anchors.len() as u32).collect();
        assert!(cost(&buckets) < cost(&teddy_buckets(&raw.anchors, &given)) / 2.0);
        for which in [RAW, FOLDED] {
            assert!(matches!(s.engines[which], Some(Engine::Teddy(..))));
        }
    }

    #[test]
    fn teddy_order_with_crowded_buckets_repeats_only_placed_anchors() {
        // 20 groups of one anchor (one per low nibble pattern) and one of four: more groups
        // than buckets, so rounds need fillers.
        let mut anchors: Vec<Vec<u8>> = (0..20u8).map(|i| vec![b'a' + i, b'q', b'z']).collect();
        anchors.extend(case_variants(b"pw", true).into_iter().map(|mut v| {
            v.push(b'd');
            v
        }));
        let order = teddy_order(&anchors, raw_share);
        let buckets = teddy_buckets(&anchors, &order);
        assert!(buckets.iter().all(|&b| b < BUCKETS));
        let mut seen = vec![false; anchors.len()];
        for &a in &order {
            seen[a as usize] = true;
        }
        assert!(seen.iter().all(|&x| x));
    }

    /// More pattern literals than Teddy takes: the raw searcher falls back to an automaton and
    /// still reports the naive candidates.
    #[test]
    fn many_pattern_literals_are_the_naive_ones() {
        let mut toml = String::new();
        let mut hay = Vec::new();
        for i in 0..70 {
            let lit = format!("{}{}{}", (b'A' + i / 26) as char, (b'A' + i % 26) as char, i % 10);
            toml.push_str(&format!(
                "[[patterns]]\nname = \"p{i}\"\nregex = '{lit}[0-9]{{4}}'\naction = \"redact\"\n\n"
            ));
            hay.extend_from_slice(format!("x {lit}1234 {} pwd= eyJ ", lit.to_lowercase()).as_bytes());
        }
        let rules = Rules::from_toml("many.toml", &toml).unwrap();
        let s = Scanner::new(&rules);
        assert_eq!(s.candidates(&hay).collect::<Vec<_>>(), naive(&s, &hay));
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
