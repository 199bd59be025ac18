//! Byte-class runs: where a run of base64 bytes ends, where a JSON string's plain bytes stop.
//!
//! The verifiers spend most of their time walking bytes that need no decision: a token's
//! segments (hundreds of base64url bytes) and the insides of JSON strings. Both walks ask one
//! question per byte — "is this byte in the class?" — so both are answered here 16 bytes at a
//! time.
//!
//! ```text
//! run_end(hay, i, class):
//!   while 16 bytes remain at i:
//!     mask = one bit per byte of hay[i..i+16]: is it in the class?   (SSE2 compares)
//!     if every bit is set: i += 16, continue
//!     return i + number of trailing set bits
//!   finish byte by byte (table lookup)
//! ```
//!
//! - x86_64 has SSE2 in its baseline, so there is no runtime feature check; elsewhere, and for
//!   the last 15 bytes, a 256-entry table answers per byte (the naive oracle the tests compare
//!   the vector path with).
//! - The intrinsics come through `safe_arch`, so this module needs no `unsafe` (the crate
//!   forbids it); a load is a plain unaligned load of a `[u8; 16]`.
//! - Class membership for ASCII ranges uses signed byte compares: bytes ≥ 0x80 are negative as
//!   `i8` and fall outside every range with a positive lower bound, which is what both classes
//!   want (neither contains a non-ASCII byte).

/// A byte class the run functions can scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// `A-Z a-z 0-9 - _` (RFC 4648 §5).
    B64Url,
    /// [`Class::B64Url`] plus `+` and `/` (standard base64, which some libraries wrongly emit).
    B64Any,
    /// Bytes that may appear raw inside a JSON string and need no decision: everything except
    /// `"`, `\` and control bytes (< 0x20).
    JsonPlain,
    /// RFC 6750 `b64token` bytes without the trailing `=`: `A-Z a-z 0-9 - . _ ~ + /`.
    B64Token,
    /// [`Class::B64Token`] plus `%` (a value inside a URL-encoded string).
    B64TokenPct,
    /// Bytes of an unquoted value that need no decision: everything but ASCII whitespace and
    /// `& ; , " ' ) ] } > < | \` (where `credential` decides whether a value ends).
    Unquoted,
    /// Bytes that open, close or escape nothing: everything but `( [ { < ) ] } > " ' \`
    /// (what `credential` counts to know what a line holds open).
    Unbracketed,
}

/// The bytes [`Class::Unbracketed`] leaves out.
const BRACKETS: &[u8] = b"([{<)]}>\"'\\";

/// The bytes where an unquoted value may end, besides ASCII whitespace.
const DELIMS: &[u8] = b"&;,\"')]}><|\\";

const fn table(class: Class) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = match class {
            Class::B64Url => b.is_ascii_alphanumeric() || b == b'-' || b == b'_',
            Class::B64Any => b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'+' | b'/'),
            Class::JsonPlain => b >= 0x20 && b != b'"' && b != b'\\',
            Class::B64Token => b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/'),
            Class::B64TokenPct => {
                b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'%')
            }
            Class::Unbracketed => {
                let mut k = 0;
                let mut inside = true;
                while k < BRACKETS.len() {
                    inside &= BRACKETS[k] != b;
                    k += 1;
                }
                inside
            }
            Class::Unquoted => {
                let mut delim = b.is_ascii_whitespace();
                let mut k = 0;
                while k < DELIMS.len() {
                    delim |= DELIMS[k] == b;
                    k += 1;
                }
                !delim
            }
        };
        i += 1;
    }
    t
}

static B64URL: [bool; 256] = table(Class::B64Url);
static B64ANY: [bool; 256] = table(Class::B64Any);
static JSON_PLAIN: [bool; 256] = table(Class::JsonPlain);
static B64TOKEN: [bool; 256] = table(Class::B64Token);
static B64TOKEN_PCT: [bool; 256] = table(Class::B64TokenPct);
static UNQUOTED: [bool; 256] = table(Class::Unquoted);
static UNBRACKETED: [bool; 256] = table(Class::Unbracketed);

/// Whether `b` is in `class`.
#[inline]
pub(crate) fn is_in(class: Class, b: u8) -> bool {
    let t = match class {
        Class::B64Url => &B64URL,
        Class::B64Any => &B64ANY,
        Class::JsonPlain => &JSON_PLAIN,
        Class::B64Token => &B64TOKEN,
        Class::B64TokenPct => &B64TOKEN_PCT,
        Class::Unquoted => &UNQUOTED,
        Class::Unbracketed => &UNBRACKETED,
    };
    t[b as usize]
}

/// The first index at or after `from` whose byte is not in `class`, or `hay.len()` (`from`
/// itself when it is past the end).
#[inline]
pub(crate) fn run_end(hay: &[u8], from: usize, class: Class) -> usize {
    let mut i = from;
    #[cfg(target_arch = "x86_64")]
    {
        while i + 16 <= hay.len() {
            let m = sse2::mask(&hay[i..i + 16], class);
            if m != 0xFFFF {
                return i + m.trailing_ones() as usize;
            }
            i += 16;
        }
    }
    while i < hay.len() && is_in(class, hay[i]) {
        i += 1;
    }
    i
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    //! SSE2 is part of the x86_64 baseline; `safe_arch` wraps its intrinsics as safe functions
    //! (they exist only when the build enables SSE2, which every x86_64 target does).
    use safe_arch::{
        bitand_m128i, bitor_m128i, cmp_eq_mask_i8_m128i, cmp_gt_mask_i8_m128i, cmp_lt_mask_i8_m128i,
        load_unaligned_m128i, m128i, max_u8_m128i, move_mask_i8_m128i, set_splat_i8_m128i, zeroed_m128i,
    };

    use super::Class;

    #[inline(always)]
    fn splat(b: u8) -> m128i {
        set_splat_i8_m128i(b as i8)
    }

    /// Bytes in `lo..=hi` (both ASCII, `lo > 0`): signed compares, so bytes ≥ 0x80 are out.
    #[inline(always)]
    fn within(x: m128i, lo: u8, hi: u8) -> m128i {
        debug_assert!(lo > 0 && hi < 0x7f);
        bitand_m128i(cmp_gt_mask_i8_m128i(x, splat(lo - 1)), cmp_lt_mask_i8_m128i(x, splat(hi + 1)))
    }

    /// One bit per byte of `chunk` (16 bytes), bit `k` set when `chunk[k]` is in `class`.
    #[inline(always)]
    pub(super) fn mask(chunk: &[u8], class: Class) -> u32 {
        let x = load_unaligned_m128i(chunk.try_into().expect("16-byte chunk"));
        let any_of =
            |set: &[u8]| set.iter().fold(zeroed_m128i(), |m, &b| bitor_m128i(m, cmp_eq_mask_i8_m128i(x, splat(b))));
        // `| 0x20` maps A-Z onto a-z and nothing else onto a-z.
        let alnum = || bitor_m128i(within(bitor_m128i(x, splat(0x20)), b'a', b'z'), within(x, b'0', b'9'));
        let bits = |m: m128i| move_mask_i8_m128i(m) as u32 & 0xFFFF;
        match class {
            Class::B64Url => bits(bitor_m128i(alnum(), any_of(b"-_"))),
            Class::B64Any => bits(bitor_m128i(alnum(), any_of(b"-_+/"))),
            Class::B64Token => bits(bitor_m128i(alnum(), any_of(b"-._~+/"))),
            Class::B64TokenPct => bits(bitor_m128i(alnum(), any_of(b"-._~+/%"))),
            Class::JsonPlain => {
                // A byte stops the run if it is `"`, `\` or ≤ 0x1f (max(x, 0x1f) == 0x1f).
                let ctl = cmp_eq_mask_i8_m128i(max_u8_m128i(x, splat(0x1f)), splat(0x1f));
                !bits(bitor_m128i(ctl, any_of(b"\"\\"))) & 0xFFFF
            }
            Class::Unquoted => {
                // ASCII whitespace is `\t \n \x0c \r` and space.
                !bits(bitor_m128i(any_of(b"\t\n\x0c\r "), any_of(super::DELIMS))) & 0xFFFF
            }
            Class::Unbracketed => !bits(any_of(super::BRACKETS)) & 0xFFFF,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CLASSES: [Class; 7] = [
        Class::B64Url,
        Class::B64Any,
        Class::JsonPlain,
        Class::B64Token,
        Class::B64TokenPct,
        Class::Unquoted,
        Class::Unbracketed,
    ];

    /// The oracle: one byte at a time, straight from the definitions.
    fn naive(hay: &[u8], from: usize, class: Class) -> usize {
        let inside = |b: u8| match class {
            Class::B64Url => b.is_ascii_alphanumeric() || b == b'-' || b == b'_',
            Class::B64Any => b.is_ascii_alphanumeric() || b"-_+/".contains(&b),
            Class::JsonPlain => b >= 0x20 && b != b'"' && b != b'\\',
            Class::B64Token => b.is_ascii_alphanumeric() || b"-._~+/".contains(&b),
            Class::B64TokenPct => b.is_ascii_alphanumeric() || b"-._~+/%".contains(&b),
            Class::Unquoted => !(b" \t\n\x0c\r&;,\"')]}><|\\".contains(&b)),
            Class::Unbracketed => !(b"([{<)]}>\"'\\".contains(&b)),
        };
        let mut i = from;
        while i < hay.len() && inside(hay[i]) {
            i += 1;
        }
        i
    }

    #[test]
    fn every_byte_value_at_every_lane() {
        // A run of class bytes with one byte of each value placed at each position of a
        // 48-byte haystack: covers every lane of the vector path and the scalar tail.
        for class in CLASSES {
            let filler = if class == Class::JsonPlain { b'a' } else { b'Q' };
            for b in 0..=255u8 {
                for pos in 0..48 {
                    let mut hay = vec![filler; 48];
                    hay[pos] = b;
                    for from in [0, 1, 15, 16, 17, 40] {
                        assert_eq!(
                            run_end(&hay, from, class),
                            naive(&hay, from, class),
                            "{class:?} {b:#x} @{pos} from {from}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn empty_and_out_of_range_starts() {
        for class in CLASSES {
            assert_eq!(run_end(b"", 0, class), 0);
            assert_eq!(run_end(b"abc", 3, class), 3);
        }
    }

    proptest! {
        #[test]
        fn agrees_with_the_naive_scan(hay in proptest::collection::vec(
            prop_oneof![
                4 => proptest::sample::select(b"abcXYZ019-_+/~%&;,)]}><|'\"\\ \t\n\x0b\x0c\r\x1f\x7f\x80\xff=.".to_vec()),
                1 => any::<u8>(),
            ], 0..200), from in 0usize..200) {
            let from = from.min(hay.len());
            for class in CLASSES {
                prop_assert_eq!(run_end(&hay, from, class), naive(&hay, from, class));
            }
        }
    }
}
