//! The literal set the scanner looks for, derived from the compiled rules.

use regex_syntax::hir::literal::Extractor;

use crate::rules::Rules;

/// What a literal hit means; several meanings may share one literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The base64url of a JSON header start: `{"` (`eyJ`, `eyI`), `{ ` (`eyA`), `{\n` (`ewo`),
    /// `{\r` (`ew0`), `{\t` (`ewk`). Matched case-insensitively, so the parser re-checks case.
    JwtStart,
    /// The word `bearer`.
    Bearer,
    /// The word `basic`.
    Basic,
    /// A secret-bearing key name: index into `Rules::secret_keys`.
    Key(u16),
    /// A `[[patterns]]` rule's required literal: index into `Rules::patterns`.
    Pattern(u16),
}

/// The six base64url prefixes a JSON object's first two bytes can encode to, for `{` followed
/// by `"`, a letter/digit-led key (after `"`), space, `\n`, `\r` or `\t`.
pub const JWT_STARTS: [&str; 6] = ["eyJ", "eyI", "eyA", "ewo", "ew0", "ewk"];

/// Shortest key name that is a literal as is; shorter names count only with a key terminator
/// after them (`pwd=`), which keeps `pwd` inside other words from becoming candidates. The
/// scanner finds them by the name alone (its case variants, in the raw searcher) and checks
/// the terminator.
pub(super) const MIN_WORD: usize = 4;

/// Bytes that can follow a key name (see `credential::key_value`); `]` closes a bracketed key
/// (`[pwd] => …` in PHP's `print_r`, `user[pwd]=…` in form parameters). Each adds a literal
/// per short name (`pwd]`, `sig]`), found through the name's existing anchors.
pub(super) const KEY_TERMINATORS: &[u8] = b"\"'=: \t%\\>]";

/// Literals (lowercase) and the triggers each stands for, deduplicated.
///
/// A key name is left out when a shorter name of the same group is a suffix of it: keys match
/// by their end (`access_token` ends in `token`), so the shorter literal finds both and the set
/// stays small enough for the SIMD searcher.
pub(super) fn literal_set(rules: &Rules) -> Vec<(String, Vec<Trigger>)> {
    let mut set: Vec<(String, Vec<Trigger>)> = Vec::new();
    let mut add = |lit: &str, t: Trigger| {
        let lit = lit.to_ascii_lowercase();
        match set.iter_mut().find(|(l, _)| *l == lit) {
            Some((_, ts)) => {
                if !ts.contains(&t) {
                    ts.push(t)
                }
            }
            None => set.push((lit, vec![t])),
        }
    };
    for s in JWT_STARTS {
        add(s, Trigger::JwtStart);
    }
    add("bearer", Trigger::Bearer);
    add("basic", Trigger::Basic);
    for (i, group) in rules.secret_keys.iter().enumerate() {
        for name in &group.names {
            let covered = group.names.iter().any(|o| o.len() < name.len() && name.ends_with(o.as_str()));
            if covered {
                continue;
            }
            if name.len() < MIN_WORD {
                // A short name alone is a common substring: `name` + each byte that can end a
                // key instead.
                for t in KEY_TERMINATORS {
                    add(&format!("{name}{}", *t as char), Trigger::Key(i as u16));
                }
            } else {
                add(name, Trigger::Key(i as u16));
            }
        }
    }
    for (i, p) in rules.patterns.iter().enumerate() {
        for lit in &p.triggers {
            add(lit, Trigger::Pattern(i as u16));
        }
    }
    set
}

/// Literals every match of `regex` must start with, or empty when there is no short finite set.
///
/// Used to put a `[[patterns]]` rule into the one-pass prefilter. Literals shorter than two
/// bytes or not UTF-8 are not worth it; then the pattern's regex runs over the whole buffer.
pub(crate) fn required_literals(regex: &str) -> Vec<String> {
    let Ok(hir) = regex_syntax::Parser::new().parse(regex) else { return Vec::new() };
    let mut ex = Extractor::new();
    ex.limit_total(64);
    let seq = ex.extract(&hir);
    let Some(lits) = seq.literals() else { return Vec::new() };
    if lits.is_empty() || lits.len() > 64 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for l in lits {
        match std::str::from_utf8(l.as_bytes()) {
            Ok(s) if s.len() >= 2 => out.push(s.to_string()),
            _ => return Vec::new(),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_starts_are_what_json_headers_encode_to() {
        use base64::Engine as _;
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        for (json, want) in [
            (&br#"{"alg":"x"}"#[..], "eyJ"),
            (br#"{"0":1}"#, "eyI"),
            (br#"{ "alg": "x" }"#, "eyA"),
            (b"{\n \"alg\"", "ewo"),
            (b"{\r\n\"alg\"", "ew0"),
            (b"{\t\"alg\"", "ewk"),
        ] {
            let enc = e.encode(json);
            assert!(enc.starts_with(want), "{enc} should start with {want}");
            assert!(JWT_STARTS.contains(&want));
        }
    }

    #[test]
    fn literals_of_prefixed_patterns() {
        let mut l = required_literals(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b");
        l.sort();
        assert_eq!(l, vec!["AKIA", "ASIA"]);
        assert!(required_literals(r"[a-z]+@[a-z]+\.com").is_empty());
    }
}
