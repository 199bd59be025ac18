//! Property tests: random lines, with and without minted tokens, against the naive oracle
//! (split the buffer into lines and scrub each one).
//!
//! Tokens are minted once per process (a small pool), outside the proptest loop: minting is
//! slow next to scrubbing, and the properties do not depend on the token being new.

use std::io::Read;
use std::sync::OnceLock;

use proptest::prelude::*;

use crate::mint::{self, Flavor, Kind};
use crate::util::{self, contains, show};

/// A token from the pool: its text and the strings that must not survive it.
#[derive(Debug)]
struct PoolToken {
    text: String,
    secrets: Vec<String>,
    /// Opaque values are only found after a scheme or key.
    opaque: bool,
}

fn pool() -> &'static [PoolToken] {
    static POOL: OnceLock<Vec<PoolToken>> = OnceLock::new();
    POOL.get_or_init(|| {
        let mut pool: Vec<PoolToken> = Flavor::ALL
            .iter()
            .map(|&f| {
                let m = mint::mint(f);
                let mut secrets: Vec<String> = m.secret_segments().into_iter().map(String::from).collect();
                if m.kind() != Kind::Jwe {
                    secrets.push(m.segments[1].clone());
                }
                PoolToken { text: m.token, secrets, opaque: false }
            })
            .collect();
        for v in mint::opaque_values() {
            pool.push(PoolToken { secrets: vec![v.clone()], text: v, opaque: true });
        }
        pool
    })
}

/// Text around an inserted token: (before, after). The bytes touching the token are never
/// base64url characters, so the token has clear edges whatever random text surrounds it.
const JWT_CONTEXTS: [(&str, &str); 6] = [
    (" ", " "),
    (" \"", "\" "),
    (" (", "), "),
    (" Authorization: Bearer ", " "),
    (" id_token=", "&x=1 "),
    (" {\"access_token\":\"", "\"} "),
];

/// Contexts that make an opaque value a secret.
const OPAQUE_CONTEXTS: [(&str, &str); 4] = [
    (" Authorization: Bearer ", " "),
    (" password=", " "),
    (" Cookie: session=", "; theme=dark "),
    (" {\"client_secret\":\"", "\"} "),
];

#[derive(Debug, Clone)]
enum Piece {
    Text(Vec<u8>),
    /// Index into the pool, and into the context list for the token's kind.
    Token(usize, usize),
}

#[derive(Debug, Clone)]
struct Line {
    pieces: Vec<Piece>,
    crlf: bool,
}

impl Line {
    fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.extend_from_slice(t),
                Piece::Token(i, c) => {
                    let tok = &pool()[*i];
                    let (before, after) = if tok.opaque {
                        OPAQUE_CONTEXTS[*c % OPAQUE_CONTEXTS.len()]
                    } else {
                        JWT_CONTEXTS[*c % JWT_CONTEXTS.len()]
                    };
                    out.extend_from_slice(before.as_bytes());
                    out.extend_from_slice(tok.text.as_bytes());
                    out.extend_from_slice(after.as_bytes());
                }
            }
        }
        if self.crlf {
            out.push(b'\r');
        }
        out
    }

    fn secrets(&self) -> Vec<&'static str> {
        self.pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Token(i, _) => Some(&pool()[*i]),
                Piece::Text(_) => None,
            })
            .flat_map(|t| t.secrets.iter().map(String::as_str))
            .collect()
    }

    /// No pool token, and no secret key name or auth scheme in the random text: a text such as
    /// `PwD=x` is a real finding, not a clean line.
    fn is_clean(&self) -> bool {
        static WORDS: OnceLock<Vec<String>> = OnceLock::new();
        let words = WORDS.get_or_init(|| {
            let rules = logscrub::Rules::embedded();
            let names = rules.secret_keys().iter().flat_map(|k| k.names.iter().cloned());
            names.chain(["bearer".to_string(), "basic".to_string()]).collect()
        });
        let lower = self.bytes().to_ascii_lowercase();
        self.pieces.iter().all(|p| matches!(p, Piece::Text(_)))
            && !words.iter().any(|w| lower.windows(w.len()).any(|win| win == w.as_bytes()))
    }
}

/// Printable ASCII, tabs and bytes that are not UTF-8 on their own; never `\n` or `\r`.
fn text() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            16 => 0x20u8..0x7f,
            1 => Just(b'\t'),
            2 => 0x80u8..=0xff,
        ],
        0..48,
    )
}

fn piece(with_tokens: bool) -> BoxedStrategy<Piece> {
    if with_tokens {
        prop_oneof![
            3 => text().prop_map(Piece::Text),
            1 => (0..pool().len(), 0usize..8).prop_map(|(i, c)| Piece::Token(i, c)),
        ]
        .boxed()
    } else {
        text().prop_map(Piece::Text).boxed()
    }
}

fn line() -> impl Strategy<Value = Line> {
    (any::<bool>(), any::<bool>()).prop_flat_map(|(with_tokens, crlf)| {
        prop::collection::vec(piece(with_tokens), 0..5).prop_map(move |pieces| Line { pieces, crlf })
    })
}

/// Lines and whether the buffer ends with a newline.
fn buffer() -> impl Strategy<Value = (Vec<Line>, bool)> {
    (prop::collection::vec(line(), 1..12), any::<bool>())
}

fn join(lines: &[Vec<u8>], final_newline: bool) -> Vec<u8> {
    let mut buf = lines.join(&b'\n');
    if final_newline {
        buf.push(b'\n');
    }
    buf
}

/// `cases` by default, or `PROPTEST_CASES` when set (for a longer local run).
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(cases),
        // Failures are reported with the shrunk input; nothing is written to the repo.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn each_line_loses_its_secrets_and_clean_lines_stay(line in line()) {
        let input = line.bytes();
        let out = util::scrub_line(&input);
        for secret in line.secrets() {
            prop_assert!(
                !contains(&out, secret.as_bytes()),
                "secret {} survived\ninput: {}\ngot:   {}", secret, show(&input), show(&out)
            );
        }
        if line.is_clean() {
            prop_assert!(out == input, "clean line changed\ninput: {}\ngot:   {}", show(&input), show(&out));
        }
        prop_assert!(!out.contains(&b'\n'), "a newline appeared\ninput: {}\ngot:   {}", show(&input), show(&out));
        prop_assert_eq!(out.ends_with(b"\r"), line.crlf, "CR\ninput: {}\ngot:   {}", show(&input), show(&out));
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn scrubbing_a_line_twice_changes_nothing(line in line()) {
        let once = util::scrub_line(&line.bytes());
        let twice = util::scrub_line(&once);
        prop_assert!(twice == once, "not idempotent\nonce:  {}\ntwice: {}", show(&once), show(&twice));
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn scrub_buf_equals_scrubbing_each_line((lines, final_newline) in buffer()) {
        let raw: Vec<Vec<u8>> = lines.iter().map(Line::bytes).collect();
        let buf = join(&raw, final_newline);
        let scrubbed_lines: Vec<Vec<u8>> = raw.iter().map(|l| util::scrub_line(l)).collect();
        let expected = join(&scrubbed_lines, final_newline);

        let got = util::scrub_buf(&buf);
        prop_assert!(got == expected, "{}", util::diff_report("scrub_buf vs scrub_line per line", &expected, &got));
        let written = util::scrub_buf_written(&buf);
        prop_assert!(written == expected, "{}", util::diff_report("write_to vs scrub_line per line", &expected, &written));

        // Count and order: line i of the output is the scrubbed line i of the input.
        let out_lines: Vec<&[u8]> = got.split(|&b| b == b'\n').collect();
        let in_lines: Vec<&[u8]> = buf.split(|&b| b == b'\n').collect();
        prop_assert_eq!(out_lines.len(), in_lines.len());
        for (i, line) in lines.iter().enumerate() {
            if line.is_clean() {
                prop_assert!(out_lines[i] == in_lines[i], "clean line {} changed: {}", i, show(out_lines[i]));
            }
            for secret in line.secrets() {
                prop_assert!(!contains(out_lines[i], secret.as_bytes()), "secret survived on line {}: {}", i, show(out_lines[i]));
            }
        }
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn scrubbing_a_buffer_twice_changes_nothing((lines, final_newline) in buffer()) {
        let raw: Vec<Vec<u8>> = lines.iter().map(Line::bytes).collect();
        let once = util::scrub_buf(&join(&raw, final_newline));
        let twice = util::scrub_buf(&once);
        prop_assert!(twice == once, "{}", util::diff_report("scrub_buf not idempotent", &once, &twice));
    }
}

proptest! {
    #![proptest_config(config(64))]

    /// Lines of arbitrary bytes (controls and `\r` included, no token): nothing changes.
    #[test]
    fn arbitrary_bytes_without_triggers_pass_through(lines in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 1..8)) {
        // Bytes only, no letters: no trigger literal can form.
        let lines: Vec<Vec<u8>> = lines
            .into_iter()
            .map(|l| l.into_iter().filter(|b| !b.is_ascii_alphabetic() && *b != b'\n').collect())
            .collect();
        let buf = join(&lines, true);
        let got = util::scrub_buf(&buf);
        prop_assert!(got == buf, "{}", util::diff_report("clean bytes changed", &buf, &got));
    }
}

/// A reader that hands out its data in the given read sizes, cycling: tokens straddle reads.
struct ChunkedReader {
    data: Vec<u8>,
    pos: usize,
    sizes: Vec<usize>,
    next: usize,
}

impl Read for ChunkedReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let want = self.sizes[self.next % self.sizes.len()];
        self.next += 1;
        let n = want.min(buf.len()).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

proptest! {
    #![proptest_config(config(64))]

    /// The stream loop, fed in reads of a few bytes, writes what `scrub_buf` makes of the
    /// whole input.
    #[test]
    fn streaming_in_small_reads_equals_scrub_buf(
        (lines, final_newline) in buffer(),
        sizes in prop::collection::vec(1usize..40, 1..8),
    ) {
        let raw: Vec<Vec<u8>> = lines.iter().map(Line::bytes).collect();
        let buf = join(&raw, final_newline);
        let expected = util::scrub_buf(&buf);
        let mut reader = ChunkedReader { data: buf.clone(), pos: 0, sizes, next: 0 };
        let mut framer = logscrub::frame::Framer::new(logscrub::frame::FrameConfig::default());
        let mut scratch = logscrub::Scratch::default();
        let mut out = Vec::new();
        logscrub::io::stream::scrub_stream(util::scrubber(), &mut framer, &mut scratch, &mut reader, &mut out, None)
            .expect("in-memory stream cannot fail");
        prop_assert!(out == expected, "{}", util::diff_report("stream vs scrub_buf", &expected, &out));
    }
}
