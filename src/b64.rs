//! base64url for token segments: the unpadded URL-safe text JWTs use, decoded and encoded
//! without the general-purpose engine's per-call overhead.
//!
//! A JWT payload is a few hundred bytes, decoded once and (when a claim changes) encoded once
//! per token, so the `base64` crate's block loop rarely gets going and its bookkeeping
//! dominates: on the token-heavy bench corpus the two calls cost more than a fifth of the
//! payload rewrite. Here:
//!
//! - [`decode`]: text that is *plainly* valid — only URL-safe alphabet bytes, a length that is
//!   not 1 mod 4 — is decoded 4 characters at a time through a table. Anything else (padding,
//!   the standard alphabet, a stray byte, a bad length) goes to [`crate::jwt::B64URL`], so the
//!   result is always what that engine gives (trailing bits are ignored by both).
//! - [`encode_extend`]: 3 bytes to 4 characters, no padding, appended to a `Vec`.
//!
//! Both are checked against the `base64` crate by property tests.

use base64::Engine as _;

use crate::jwt::B64URL;
use crate::runs::{self, Class};

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Each alphabet byte's 6-bit value (other bytes: 0; [`decode`] checks the alphabet first).
static VALUE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 64 {
        t[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// `text` in the URL-safe alphabet: the `+` and `/` of standard base64 (which some libraries
/// wrongly emit in JWT segments) mapped to `-` and `_`; borrowed when there are none.
pub(crate) fn url_alphabet(text: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if !text.iter().any(|&b| b == b'+' || b == b'/') {
        return std::borrow::Cow::Borrowed(text);
    }
    let map = |b: u8| match b {
        b'+' => b'-',
        b'/' => b'_',
        b => b,
    };
    std::borrow::Cow::Owned(text.iter().map(|&b| map(b)).collect())
}

/// Appends the bytes `text` encodes to `out`; `false` (with `out` in an unspecified state) if
/// it is not base64url as [`crate::jwt::B64URL`] reads it.
pub(crate) fn decode(text: &[u8], out: &mut Vec<u8>) -> bool {
    if text.len() % 4 == 1 || runs::run_end(text, 0, Class::B64Url) != text.len() {
        return B64URL.decode_vec(text, out).is_ok();
    }
    let v = |b: u8| u64::from(VALUE[b as usize]);
    let start = out.len();
    let tail = text.len() % 4;
    out.resize(start + text.len() / 4 * 3 + tail.saturating_sub(1), 0);
    let dst = &mut out[start..];
    // 8 characters (48 bits) at a time, then one group of 4, then the tail.
    // (Stores through fixed-size arrays, so each is one move, not a `memcpy` call.)
    let done = text.len() / 8;
    for i in 0..done {
        let c: &[u8; 8] = text[8 * i..8 * i + 8].try_into().expect("8 characters");
        let n = c.iter().fold(0u64, |n, &b| n << 6 | v(b));
        let [_, _, b @ ..] = n.to_be_bytes();
        let d: &mut [u8; 6] = (&mut dst[6 * i..6 * i + 6]).try_into().expect("6 bytes");
        *d = b;
    }
    let dst = &mut dst[done * 6..];
    let text = &text[done * 8..];
    let quads = text.len() / 4;
    for i in 0..quads {
        let c: &[u8; 4] = text[4 * i..4 * i + 4].try_into().expect("4 characters");
        let n = c.iter().fold(0u64, |n, &b| n << 6 | v(b));
        let [_, _, _, _, _, b @ ..] = n.to_be_bytes();
        let d: &mut [u8; 3] = (&mut dst[3 * i..3 * i + 3]).try_into().expect("3 bytes");
        *d = b;
    }
    let rest = &text[quads * 4..];
    if !rest.is_empty() {
        let n = rest.iter().enumerate().fold(0u32, |n, (i, &b)| n | (v(b) as u32) << (18 - 6 * i));
        let at = dst.len() - (tail - 1);
        dst[at..].copy_from_slice(&n.to_be_bytes()[1..tail]);
    }
    true
}

/// Appends the unpadded base64url encoding of `input` to `out`.
pub(crate) fn encode_extend(input: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    let tail = input.len() % 3;
    out.resize(start + input.len() / 3 * 4 + if tail == 0 { 0 } else { tail + 1 }, 0);
    let dst = &mut out[start..];
    let sym = |n: u32, shift: u32| ALPHABET[(n >> shift & 63) as usize];
    // 6 bytes (8 characters) at a time, then one group of 3, then the tail.
    let done = input.len() / 6;
    for i in 0..done {
        let c: &[u8; 6] = input[6 * i..6 * i + 6].try_into().expect("6 bytes");
        let n = c.iter().fold(0u64, |n, &b| n << 8 | u64::from(b));
        let s = |k: u64| ALPHABET[(n >> (42 - 6 * k) & 63) as usize];
        let d: &mut [u8; 8] = (&mut dst[8 * i..8 * i + 8]).try_into().expect("8 characters");
        *d = [s(0), s(1), s(2), s(3), s(4), s(5), s(6), s(7)];
    }
    let dst = &mut dst[done * 8..];
    let input = &input[done * 6..];
    let triples = input.len() / 3;
    for i in 0..triples {
        let c = &input[3 * i..3 * i + 3];
        let n = u32::from(c[0]) << 16 | u32::from(c[1]) << 8 | u32::from(c[2]);
        let d: &mut [u8; 4] = (&mut dst[4 * i..4 * i + 4]).try_into().expect("4 characters");
        *d = [sym(n, 18), sym(n, 12), sym(n, 6), sym(n, 0)];
    }
    let rest = &input[triples * 3..];
    if !rest.is_empty() {
        let n = rest.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        let at = dst.len() - (tail + 1);
        for (k, d) in dst[at..].iter_mut().enumerate() {
            *d = sym(n, 18 - 6 * k as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_trips_every_length_up_to_a_few_blocks() {
        for len in 0..70 {
            let input: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let mut enc = Vec::new();
            encode_extend(&input, &mut enc);
            assert_eq!(enc, B64URL.encode(&input).as_bytes(), "len {len}");
            let mut dec = vec![7u8]; // appends after what is there
            assert!(decode(&enc, &mut dec));
            assert_eq!(dec[1..], input[..], "len {len}");
        }
    }

    proptest! {
        #[test]
        fn encoding_agrees_with_the_base64_crate(input in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut enc = b"x".to_vec();
            encode_extend(&input, &mut enc);
            let want = B64URL.encode(&input);
            prop_assert_eq!(&enc[1..], want.as_bytes());
        }

        /// Same verdict and bytes as the engine for alphabet text of any length, with or
        /// without a stray byte (padding, standard alphabet, dot, anything).
        #[test]
        fn decoding_agrees_with_the_base64_crate(
            text in proptest::collection::vec(proptest::sample::select(ALPHABET.to_vec()), 0..300),
            stray in proptest::option::of((any::<proptest::sample::Index>(), prop_oneof![
                Just(b'='), Just(b'+'), Just(b'/'), Just(b'.'), any::<u8>()])),
        ) {
            let mut text = text;
            if let Some((at, b)) = stray {
                let at = at.index(text.len() + 1);
                text.insert(at, b);
            }
            let mut ours = Vec::new();
            let ok = decode(&text, &mut ours);
            let theirs = B64URL.decode(&text);
            prop_assert_eq!(ok, theirs.is_ok());
            if let Ok(t) = theirs {
                prop_assert_eq!(ours, t);
            }
        }
    }
}
