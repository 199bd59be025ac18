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
//! # How
//!
//! Three searchers, each given only literals that keep it selective, run over a 64 KiB block:
//!
//! ```text
//! find(hay, from):
//!   block = hay[from .. from+BLOCK+longest-1]; words = block with every byte | 0x20
//!   jwt:      Teddy over the original bytes, exact needles eyJ eyI eyA ewo ew0 ewk
//!   words:    Teddy over the folded block, folded needles (bearer, basic, key names, user
//!             triggers); a hit is re-checked case-insensitively on the original bytes
//!   patterns: Teddy over the original bytes, the literals extracted from pattern regexes
//!   return the leftmost hit starting inside the block's first BLOCK bytes, else next block
//! ```
//!
//! Why: one case-insensitive automaton over ~50 literals has no SIMD prefilter and runs at a
//! few hundred MB/s; one Teddy over all of them (3-byte JWT needles among 4+-byte words) fills
//! its buckets and verifies constantly (~1.3 GB/s measured). Split, each runs at 4–15 GB/s.
//! `b | 0x20` lowercases ASCII letters and maps a few punctuation bytes onto others (`_` onto
//! DEL, `@` onto `` ` ``): a superset, so it can only add false positives, which the re-check
//! removes. Each searcher's next hit is cached, so a scan stays linear in the buffer length. The
//! `longest - 1` overlap means a literal crossing a block end is still seen whole. Where Teddy is
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

/// One literal searcher: Teddy when the CPU has it, an automaton otherwise.
#[derive(Debug, Clone)]
enum Engine {
    Teddy(packed::Searcher),
    Automaton(AhoCorasick),
}

impl Engine {
    fn new(lits: &[Vec<u8>]) -> Option<Engine> {
        if lits.is_empty() {
            return None;
        }
        let teddy = packed::Config::new().match_kind(packed::MatchKind::LeftmostLongest).builder().extend(lits).build();
        Some(match teddy {
            Some(s) => Engine::Teddy(s),
            None => Engine::Automaton(
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostLongest)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(lits)
                    .or_else(|_| AhoCorasickBuilder::new().match_kind(MatchKind::LeftmostLongest).build(lits))
                    .expect("trigger literals are few and short"),
            ),
        })
    }

    /// Leftmost-longest hit in `hay[span]`: (start, end, pattern index), offsets into `hay`.
    fn find(&self, hay: &[u8], span: std::ops::Range<usize>) -> Option<(usize, usize, usize)> {
        match self {
            Engine::Teddy(s) => {
                s.find_in(hay, aho_corasick::Span::from(span)).map(|m| (m.start(), m.end(), m.pattern().as_usize()))
            }
            Engine::Automaton(ac) => {
                ac.find(aho_corasick::Input::new(hay).range(span)).map(|m| (m.start(), m.end(), m.pattern().as_usize()))
            }
        }
    }
}

/// Which searcher: JWT starts, folded words, pattern literals.
const JWT: usize = 0;
const WORDS: usize = 1;
const PATTERNS: usize = 2;

/// The compiled prefilter. Build once per [`Rules`], share freely.
#[derive(Debug, Clone)]
pub struct Scanner {
    engines: [Option<Engine>; 3],
    /// Per engine: its pattern index -> literal index (into `triggers` and `lits`).
    ids: [Vec<u32>; 3],
    /// Per literal: what it stands for.
    triggers: Vec<Vec<Trigger>>,
    /// Per literal: its bytes (lowercase for words), for the case-insensitive re-check.
    lits: Vec<Vec<u8>>,
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
    cache: [Cached; 3],
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
        self.cache = [Cached::default(); 3];
    }
}

impl Scanner {
    /// Builds the literal searchers from the rules.
    pub fn new(rules: &Rules) -> Scanner {
        let set = triggers::literal_set(rules);
        let mut lit_sets: [Vec<Vec<u8>>; 3] = Default::default();
        let mut ids: [Vec<u32>; 3] = Default::default();
        let mut lits = Vec::with_capacity(set.len());
        let mut triggers = Vec::with_capacity(set.len());
        for (i, (lit, ts)) in set.into_iter().enumerate() {
            let which = if ts.contains(&Trigger::JwtStart) {
                JWT
            } else if ts.iter().all(|t| matches!(t, Trigger::Pattern(_))) && lit.len() >= 2 {
                PATTERNS
            } else {
                WORDS
            };
            let bytes: Vec<u8> = match which {
                JWT => {
                    JWT_STARTS.iter().find(|s| s.eq_ignore_ascii_case(&lit)).expect("a JWT start").as_bytes().to_vec()
                }
                PATTERNS => rules.patterns[pattern_of(&ts)]
                    .triggers
                    .iter()
                    .find(|t| t.eq_ignore_ascii_case(&lit))
                    .expect("literal of its pattern")
                    .as_bytes()
                    .to_vec(),
                _ => lit.as_bytes().iter().map(|b| b | 0x20).collect(),
            };
            lit_sets[which].push(bytes);
            ids[which].push(i as u32);
            lits.push(lit.into_bytes());
            triggers.push(ts);
        }
        let longest = lits.iter().map(Vec::len).max().unwrap_or(1);
        let trim = lits
            .iter()
            .zip(&triggers)
            .map(|(l, ts): (&Vec<u8>, &Vec<Trigger>)| {
                let short_key = ts.iter().all(|t| matches!(t, Trigger::Key(_))) && l.len() <= triggers::MIN_WORD;
                u8::from(short_key && l.last().is_some_and(|b| triggers::KEY_TERMINATORS.contains(b)))
            })
            .collect();
        let engines = [Engine::new(&lit_sets[JWT]), Engine::new(&lit_sets[WORDS]), Engine::new(&lit_sets[PATTERNS])];
        let unanchored =
            rules.patterns.iter().enumerate().filter(|(_, p)| p.triggers.is_empty()).map(|(i, _)| i as u16).collect();
        Scanner { engines, ids, triggers, lits, longest, trim, unanchored }
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
                block.fill(hay, at, self.longest, self.engines[WORDS].is_some());
            }
            let mut best: Option<(usize, usize, u32)> = None;
            for which in [JWT, WORDS, PATTERNS] {
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

    /// One searcher's leftmost hit at or after `at` within the block (absolute offsets).
    fn search(
        &self,
        engine: &Engine,
        which: usize,
        hay: &[u8],
        at: usize,
        block: &LowerBlock,
    ) -> Option<(usize, usize, u32)> {
        if which != WORDS {
            return engine.find(hay, at..block.end).map(|(s, e, p)| (s, e, self.ids[which][p]));
        }
        let mut rel = at - block.start;
        while let Some((s, e, p)) = engine.find(&block.buf, rel..block.buf.len()) {
            let lit = self.ids[WORDS][p];
            let (s, e) = (block.start + s, block.start + e);
            if hay[s..e].eq_ignore_ascii_case(&self.lits[lit as usize]) {
                return Some((s, e, lit));
            }
            rel = s - block.start + 1;
        }
        None
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

    /// The naive oracle: every literal at every position, case-insensitively.
    fn naive(s: &Scanner, lits: &[(String, Vec<Trigger>)], hay: &[u8]) -> Vec<usize> {
        let _ = s;
        let lower: Vec<u8> = hay.to_ascii_lowercase();
        (0..hay.len()).filter(|&i| lits.iter().any(|(l, _)| lower[i..].starts_with(l.as_bytes()))).collect()
    }

    #[test]
    fn literals_across_block_boundaries_are_found() {
        let rules = Rules::embedded();
        let s = Scanner::new(&rules);
        let lits = triggers::literal_set(&rules);
        for shift in [0usize, 1, 3, 5, 7, 12] {
            let mut hay = vec![b'.'; BLOCK - shift];
            hay.extend_from_slice(b"PassWord=x Bearer y eyJz");
            hay.extend(std::iter::repeat_n(b'-', BLOCK));
            hay.extend_from_slice(b"authorization");
            let got: Vec<usize> = s.candidates(&hay).map(|c| c.start).collect();
            let want = naive(&s, &lits, &hay);
            for w in &want {
                assert!(got.contains(w), "shift {shift}: literal at {w} missed");
            }
        }
    }
}
