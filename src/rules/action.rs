//! Actions: what a rule does with a value it found, and how an action is written in a rule file.
//!
//! ```text
//! keep                     leave the value as it is
//! redact                   the redaction marker
//! hash                     keyed pseudonym `<key_id>:<hex>`
//! drop                     remove the claim (JWT claims only)
//! mask                     first N characters, then `***` (N: the section's `mask_prefix`, 4)
//! mask:N                   first N characters, then `***`
//! mask:first=N,last=M      first N and last M characters around `***`
//! mask:email               `****@example.com`: an email's domain (`first=N`: also N
//!                          characters of the local part)
//! mask:prefix              a known token prefix (`gho_***`, `ya29.***`, `sk_live_***`)
//! ```
//!
//! Options of `mask:` combine with commas (`mask:prefix,last=4`). Whatever the options, a value
//! that is not at least twice as long as what would be shown is masked whole (`***`): a mask
//! never shows half a secret.

use std::fmt;

/// Known token prefixes that `mask:prefix` keeps: they name the issuer and kind of a token
/// (useful for triage) and carry no secret. Longest first, so `sk_live_` wins over `sk_`.
pub const KNOWN_PREFIXES: &[&str] = &[
    "github_pat_",
    "sk-proj-",
    "sk_live_",
    "sk_test_",
    "rk_live_",
    "rk_test_",
    "pk_live_",
    "pk_test_",
    "dop_v1_",
    "glpat-",
    "shpat_",
    "shpss_",
    "xoxa-",
    "xoxb-",
    "xoxp-",
    "xoxr-",
    "xoxs-",
    "xapp-",
    "ya29.",
    "pypi-",
    "gho_",
    "ghp_",
    "ghu_",
    "ghs_",
    "ghr_",
    "npm_",
    "AKIA",
    "ASIA",
    "AIza",
    "hf_",
    "SG.",
];

/// Most characters a mask may show at either end.
const MASK_MAX_SHOWN: usize = 64;

/// How `mask` shows part of a value (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Mask {
    /// Characters kept at the start (of the local part, with `email`).
    pub first: u8,
    /// Characters kept at the end (ignored for an email whose domain is kept).
    pub last: u8,
    /// Keep the domain of a value that is an email address.
    pub email: bool,
    /// Keep a known token prefix ([`KNOWN_PREFIXES`]) instead of `first` characters.
    pub known_prefix: bool,
}

impl Mask {
    /// `first` characters, then `***`: the plain `mask` / `mask:N`.
    pub const fn first(n: u8) -> Mask {
        Mask { first: n, last: 0, email: false, known_prefix: false }
    }
}

impl fmt::Display for Mask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.email && !self.known_prefix && self.last == 0 {
            return write!(f, "mask:{}", self.first);
        }
        let mut parts = Vec::new();
        if self.email {
            parts.push("email".to_string());
        }
        if self.known_prefix {
            parts.push("prefix".to_string());
        }
        if self.first > 0 {
            parts.push(format!("first={}", self.first));
        }
        if self.last > 0 {
            parts.push(format!("last={}", self.last));
        }
        write!(f, "mask:{}", parts.join(","))
    }
}

/// What to do with a value that was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Leave it unchanged.
    Keep,
    /// Replace it with the redaction marker.
    Redact,
    /// Replace it with a keyed HMAC-SHA256 pseudonym `<key_id>:<hex>`.
    Hash,
    /// Show part of it around `***` (see [`Mask`]).
    Mask(Mask),
    /// Remove it (JWT claims only).
    Drop,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Keep => f.write_str("keep"),
            Action::Redact => f.write_str("redact"),
            Action::Hash => f.write_str("hash"),
            Action::Mask(m) => m.fmt(f),
            Action::Drop => f.write_str("drop"),
        }
    }
}

/// Parses an action as written in a rule file. `default_first` is N for a bare `mask`;
/// `allow_drop` says whether `drop` is allowed here. The error is the message (without the
/// position), naming `key`.
pub(crate) fn parse(text: &str, key: &str, default_first: u8, allow_drop: bool) -> Result<Action, String> {
    let t = text.trim();
    match t {
        "keep" => return Ok(Action::Keep),
        "redact" => return Ok(Action::Redact),
        "hash" => return Ok(Action::Hash),
        "mask" => return Ok(Action::Mask(Mask::first(default_first))),
        "drop" if allow_drop => return Ok(Action::Drop),
        _ => {}
    }
    let Some(opts) = t.strip_prefix("mask:") else {
        let allowed = if allow_drop {
            "keep, redact, hash, mask, mask:OPTIONS, drop"
        } else {
            "keep, redact, hash, mask, mask:OPTIONS"
        };
        return Err(format!("unknown action `{t}` for `{key}`, expected one of: {allowed}"));
    };
    if let Ok(n) = opts.trim().parse::<usize>() {
        return Ok(Action::Mask(Mask::first(count(n, "mask:N", key)?)));
    }
    let mut m = Mask::default();
    for opt in opts.split(',').map(str::trim) {
        match opt.split_once('=').map(|(k, v)| (k.trim(), v.trim())) {
            None if opt == "email" => m.email = true,
            None if opt == "prefix" => m.known_prefix = true,
            Some(("first", v)) => m.first = count_str(v, "first", key)?,
            Some(("last", v)) => m.last = count_str(v, "last", key)?,
            _ => {
                return Err(format!(
                    "unknown mask option `{opt}` in `{t}` for `{key}`, expected N, first=N, last=N, email or prefix, separated by commas"
                ));
            }
        }
    }
    Ok(Action::Mask(m))
}

fn count_str(v: &str, what: &str, key: &str) -> Result<u8, String> {
    let n = v.parse::<usize>().map_err(|_| format!("`{what}` in a mask for `{key}` must be a number, got {v:?}"))?;
    count(n, what, key)
}

fn count(n: usize, what: &str, key: &str) -> Result<u8, String> {
    if n > MASK_MAX_SHOWN {
        return Err(format!("`{what}` in a mask for `{key}` must be between 0 and {MASK_MAX_SHOWN}, got {n}"));
    }
    Ok(n as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_parse_and_print_back() {
        for text in [
            "keep",
            "redact",
            "hash",
            "mask:4",
            "mask:0",
            "mask:first=2,last=4",
            "mask:last=4",
            "mask:email",
            "mask:email,first=1",
            "mask:prefix",
            "mask:prefix,last=4",
        ] {
            let a = parse(text, "k", 4, false).unwrap();
            assert_eq!(a.to_string(), text);
            assert_eq!(parse(&a.to_string(), "k", 4, false), Ok(a));
        }
        assert_eq!(parse("mask", "k", 6, false), Ok(Action::Mask(Mask::first(6))));
        assert_eq!(parse(" mask:first=3 ", "k", 6, false), Ok(Action::Mask(Mask::first(3))));
        assert_eq!(parse("drop", "k", 4, true), Ok(Action::Drop));
    }

    #[test]
    fn bad_actions_say_what_is_allowed() {
        let e = parse("drop", "bearer.action", 4, false).unwrap_err();
        assert_eq!(
            e,
            "unknown action `drop` for `bearer.action`, expected one of: keep, redact, hash, mask, mask:OPTIONS"
        );
        let e = parse("mask:last=99", "k", 4, false).unwrap_err();
        assert_eq!(e, "`last` in a mask for `k` must be between 0 and 64, got 99");
        let e = parse("mask:domain", "k", 4, false).unwrap_err();
        assert!(e.starts_with("unknown mask option `domain` in `mask:domain` for `k`"), "{e}");
        let e = parse("mask:first=x", "k", 4, false).unwrap_err();
        assert_eq!(e, "`first` in a mask for `k` must be a number, got \"x\"");
        assert!(parse("mask:", "k", 4, false).is_err());
        assert!(parse("mask:65", "k", 4, false).is_err());
    }

    #[test]
    fn known_prefixes_are_longest_first_where_they_overlap() {
        for (i, a) in KNOWN_PREFIXES.iter().enumerate() {
            for b in &KNOWN_PREFIXES[i + 1..] {
                assert!(!b.starts_with(a), "{b} must come before {a}");
            }
        }
    }
}
