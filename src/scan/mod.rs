//! Candidate scan: one multi-literal pass over a whole buffer.
//!
//! The [`Scanner`] runs a single Aho-Corasick automaton (SIMD-accelerated prefilter) over the
//! buffer for every trigger literal the rules need: JWT header starts, `bearer`, `basic`,
//! secret-key names and pattern literals, ASCII case-insensitively.
//!
//! # Contract
//!
//! False positives are allowed (every candidate is verified by [`crate::jwt`] or
//! [`crate::credential`]); false negatives are not: any token, credential or key the
//! verifiers would accept begins at or after a literal this scanner reports on the same line.
//!
//! # Design rationale
//!
//! As in ripgrep's `find_candidate_line`, the scan runs over the whole buffer and only then
//! locates the line around a hit, so clean lines are never visited one by one: a buffer with no
//! hit is forwarded as one slice.

mod triggers;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::rules::Rules;

pub(crate) use triggers::required_literals;
pub use triggers::{JWT_STARTS, Trigger};

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

/// The compiled prefilter. Build once per [`Rules`], share freely.
#[derive(Debug, Clone)]
pub struct Scanner {
    ac: AhoCorasick,
    triggers: Vec<Vec<Trigger>>,
    /// Patterns with no literal: their regex runs over every buffer.
    unanchored: Vec<u16>,
}

impl Scanner {
    /// Builds the literal automaton from the rules.
    pub fn new(rules: &Rules) -> Scanner {
        let set = triggers::literal_set(rules);
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(set.iter().map(|(l, _)| l.as_bytes()))
            .expect("trigger literals are few and short");
        let triggers = set.into_iter().map(|(_, t)| t).collect();
        let unanchored =
            rules.patterns.iter().enumerate().filter(|(_, p)| p.triggers.is_empty()).map(|(i, _)| i as u16).collect();
        Scanner { ac, triggers, unanchored }
    }

    /// Every candidate in `hay`, in order, non-overlapping (longest literal wins at a position).
    pub fn candidates<'h>(&'h self, hay: &'h [u8]) -> impl Iterator<Item = Candidate> + 'h {
        self.ac.find_iter(hay).map(|m| Candidate { start: m.start(), end: m.end(), literal: m.pattern().as_u32() })
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
}
