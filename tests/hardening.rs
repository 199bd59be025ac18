//! Hardening (issue 8): adversarial inputs through the library, in process.
//!
//! Each test feeds one hostile shape to `Scrubber::scrub_line` and/or the streaming loop
//! (`io::stream::scrub_stream`, with a small window so long-line framing is exercised) and
//! checks three things: no panic, bounded time (a generous wall-clock limit that only a
//! super-linear blow-up would miss, even in a debug build on a busy machine), and fail-closed
//! output (what must be redacted is gone; what holds no finding is byte-identical).
//!
//! Tokens are built here from JSON with junk signatures (never pasted). Crashes found by the
//! fuzz targets under `fuzz/` become `fuzz_*` tests at the bottom of this file.

#![allow(unreachable_pub)]

use std::borrow::Cow;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use logscrub::format::{ChunkInfo, Format, FormatScrubber, FormatState};
use logscrub::frame::{FrameConfig, Framer};
use logscrub::io::stream::scrub_stream;
use logscrub::{Rules, Scratch, Scrubber, Stats};

// ---- helpers -------------------------------------------------------------------------------------

/// A window far below the default 8 MiB, so long-line framing happens on test-sized inputs.
const SMALL: FrameConfig = FrameConfig { initial: 64 * 1024, max_window: 256 * 1024 };

/// Wall-clock limit per scrub: linear work on these inputs takes well under a second even
/// unoptimised; a quadratic path takes minutes.
const LIMIT: Duration = Duration::from_secs(20);

fn scrubber() -> &'static Scrubber {
    static S: OnceLock<Scrubber> = OnceLock::new();
    S.get_or_init(|| Scrubber::new(&Rules::embedded()).expect("embedded rules build"))
}

/// Runs `f`, failing the test when it takes longer than [`LIMIT`].
fn bounded<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let v = f();
    let took = t.elapsed();
    assert!(took < LIMIT, "{what}: took {took:?}, limit {LIMIT:?}");
    v
}

fn line(input: &[u8]) -> Vec<u8> {
    let mut scratch = Scratch::default();
    bounded("scrub_line", || scrubber().scrub_line(input, &mut scratch).into_owned())
}

fn line_is_unchanged(input: &[u8]) -> bool {
    let mut scratch = Scratch::default();
    bounded("scrub_line", || matches!(scrubber().scrub_line(input, &mut scratch), Cow::Borrowed(_)))
}

/// The streaming path with a small window; returns the output and the run's stats.
fn stream(input: &[u8]) -> (Vec<u8>, Stats) {
    let mut framer = Framer::new(SMALL);
    let mut scratch = Scratch::default();
    let mut out = Vec::new();
    let mut rdr = input;
    let stats = bounded("scrub_stream", || {
        scrub_stream(scrubber(), &mut framer, &mut scratch, &mut rdr, &mut out, None).expect("in-memory I/O")
    });
    (out, stats)
}

/// A deterministic pseudo-random base64url string (xorshift), for payload filler and junk
/// signatures that must not survive.
fn noise(n: usize, mut seed: u64) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut s = String::with_capacity(n);
    for _ in 0..n {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        s.push(ALPHABET[(seed % 64) as usize] as char);
    }
    s
}

fn b64(b: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

/// `s[r]` for the ASCII strings built here (clippy's `string_slice`: no byte index into text).
fn cut(s: &str, r: impl std::slice::SliceIndex<str, Output = str>) -> &str {
    s.get(r).expect("ASCII text")
}

/// Base64url with `=` padding, as some libraries write it.
fn padded(b: impl AsRef<[u8]>) -> String {
    base64::engine::general_purpose::URL_SAFE.encode(b)
}

/// `b64(header).b64(payload).<43 noise characters>`: shaped like an HS256 JWS.
fn jws(header: &str, payload: &[u8], seed: u64) -> (String, String) {
    let sig = noise(43, seed);
    (format!("{}.{}.{sig}", b64(header), b64(payload)), sig)
}

const HS256: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// Whether `needle` occurs in `hay`.
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

/// Asserts that no `piece`-byte slice of `secret`, taken every `stride` bytes, is in `out`:
/// nothing of a long secret survived.
fn assert_nothing_of(out: &[u8], secret: &[u8], piece: usize, stride: usize) {
    let mut at = 0;
    while at + piece <= secret.len() {
        assert!(
            !contains(out, &secret[at..at + piece]),
            "bytes {at}..{} of the secret survived in {} bytes of output",
            at + piece,
            out.len()
        );
        at += stride;
    }
}

/// The longest run of base64url bytes in `b`.
fn longest_b64_run(b: &[u8]) -> usize {
    b.split(|&c| !(c.is_ascii_alphanumeric() || c == b'-' || c == b'_')).map(<[u8]>::len).max().unwrap_or(0)
}

// ---- long and repetitive lines ---------------------------------------------------------------

#[test]
fn a_line_of_a_million_dots_passes_through_unchanged() {
    let dots = vec![b'.'; 1_000_000];
    assert!(line_is_unchanged(&dots));
    let mut input = dots.clone();
    input.push(b'\n');
    let (out, stats) = stream(&input);
    assert!(out == input, "dots changed in the stream");
    assert!(stats.long_line_cuts >= 3, "the 1 MB line was cut into 256 KiB windows: {stats:?}");
}

#[test]
fn eyj_repeated_100k_times_is_not_a_token() {
    let input = b"eyJ".repeat(100_000);
    assert!(line_is_unchanged(&input));
    let (out, _) = stream(&input);
    assert!(out == input);
}

#[test]
fn eyj_repeated_before_a_dot_is_not_a_token() {
    // Every `eyJ` starts a header candidate that reaches the dot. The run is measured once and
    // each candidate's header is probed (256 base64 characters must start a JSON object)
    // before it is scanned to the dot: 10.7 s -> 0.08 s for this input in release; runs of
    // 64 KiB each ending in a dot: 70 s -> 1.2 s for 8 MiB (SECURITY.md). A real token after
    // the run is still found.
    let mut input = b"eyJ".repeat(100_000);
    input.extend_from_slice(b".e30.c2ln");
    assert!(line_is_unchanged(&input));
    let mut runs = Vec::new();
    for _ in 0..8 {
        runs.extend_from_slice(&b"eyJ".repeat(21_845));
        runs.extend_from_slice(b".e30.c2ln ");
    }
    assert!(line_is_unchanged(&runs));
    let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let p = URL_SAFE_NO_PAD.encode(br#"{"sub":"someone","email":"a@b.example"}"#);
    let before = runs.len();
    runs.extend_from_slice(format!("{h}.{p}.c2lnbmF0dXJlc2lnbmF0dXJl").as_bytes());
    let out = line(&runs);
    assert!(out.starts_with(&runs[..before]), "the runs are unchanged");
    assert!(!contains(&out, b"c2lnbmF0dXJlc2lnbmF0dXJl") && !contains(&out, b"someone"), "token after the runs");
}

#[test]
fn a_hundred_thousand_password_keys_on_one_line() {
    // Glued: the first value runs to the end of the line and is redacted whole.
    let glued = b"password=".repeat(100_000);
    assert_eq!(line(&glued), b"password=[REDACTED]");
    // Separated: every value is its own finding.
    let spaced = b"password=hunter2 ".repeat(100_000);
    let out = line(&spaced);
    assert_eq!(out, b"password=[REDACTED] ".repeat(100_000));
    let (out, stats) = stream(&spaced);
    assert_eq!(out, b"password=[REDACTED] ".repeat(100_000));
    assert_eq!(stats.findings.secret_key, 100_000);
}

#[test]
fn a_hundred_thousand_keys_glued_by_punctuation_cost_linear_time() {
    // An unquoted value reads on past punctuation (`credential::unquoted_end`), at most
    // `UNQUOTED_READ_MAX` bytes by its rule: each key costs a bounded read, and what the line
    // holds open before the keys is counted once along the line.
    let max = logscrub::credential::UNQUOTED_READ_MAX;
    let glued = b"password=a)".repeat(100_000);
    let out = line(&glued);
    assert!(out.starts_with(b"password=[REDACTED])password=[REDACTED]"), "{}", String::from_utf8_lossy(&out[..80]));
    // One `password=[REDACTED])` (20 bytes) per value of about `max` bytes.
    assert!(out.len() < 2 * 20 * glued.len() / max, "each value reads about {max} bytes: {}", out.len());
    assert!(line(&out) == out, "idempotent");
    // Values already redacted are no findings: every key reads its value again.
    let scrubbed = b"password=[REDACTED])".repeat(100_000);
    assert!(line_is_unchanged(&scrubbed));
    // Closers of openers before each key.
    let wrapped = b"(password=a) [token=b] \"secret=c\" ".repeat(50_000);
    let want = b"(password=[REDACTED]) [token=[REDACTED]] \"secret=[REDACTED]\" ".repeat(50_000);
    assert!(line(&wrapped) == want, "each closer balances the opener before its key");
    // Through a small window a cut may fall after an opener: the value then keeps its closer
    // (fail closed), and nothing of a value is left.
    let (out, _) = stream(&wrapped);
    for left in [&b"=a"[..], b"=b", b"=c"] {
        assert!(!contains(&out, left), "a value survived the window cuts");
    }
}

#[test]
fn a_hundred_thousand_bearer_words_on_one_line() {
    let input = b"Bearer ".repeat(100_000);
    assert!(line_is_unchanged(&input), "`Bearer Bearer` is prose, not a credential");
    let input = b"Bearer%20".repeat(100_000);
    let out = line(&input);
    assert_eq!(out, b"Bearer%20[REDACTED]");
}

// ---- a 10 MiB token ------------------------------------------------------------------------------

/// A JWS whose payload segment is about 10 MiB of base64url.
fn huge_token() -> (String, String, String) {
    let filler = noise(8_000_000, 7);
    let payload = format!(r#"{{"sub":"user-1","blob":"{filler}"}}"#);
    let (tok, sig) = jws(HS256, payload.as_bytes(), 11);
    let payload_b64 = b64(&payload);
    assert!(payload_b64.len() > 10 * 1024 * 1024);
    (tok, payload_b64, sig)
}

#[test]
fn a_token_with_a_10_mib_payload_is_redacted_on_one_line() {
    let (tok, payload, sig) = huge_token();
    let input = format!("Authorization: Bearer {tok} end");
    let out = line(input.as_bytes());
    assert!(out.len() < 1024, "rewritten to a small token: {} bytes", out.len());
    assert!(!contains(&out, sig.as_bytes()));
    assert_nothing_of(&out, payload.as_bytes(), 32, 4096);
    assert!(out.ends_with(b".REDACTED end"), "{}", out.escape_ascii());
}

#[test]
fn a_token_with_a_10_mib_payload_streams_fail_closed_through_a_small_window() {
    let (tok, payload, sig) = huge_token();
    let input = format!("t=1 Authorization: Bearer {tok} tail=ok\nnext line\n");
    let (out, stats) = stream(input.as_bytes());
    // The framer's window was used: the line was cut, and the run past the first window was
    // dropped rather than forwarded.
    assert!(stats.long_line_cuts >= 1, "{stats:?}");
    assert_eq!(stats.oversized_runs_redacted, 1, "{stats:?}");
    assert!(out.len() < 1024, "{} bytes out", out.len());
    assert!(!contains(&out, sig.as_bytes()));
    assert_nothing_of(&out, payload.as_bytes(), 32, 4096);
    assert!(longest_b64_run(&out) < 200, "a long base64 run survived: {}", longest_b64_run(&out));
    assert!(out.starts_with(b"t=1 Authorization: Bearer eyJ"), "{}", out.escape_ascii());
    assert!(out.ends_with(b" tail=ok\nnext line\n"), "{}", out.escape_ascii());
}

#[test]
fn an_opaque_run_longer_than_the_window_is_dropped_after_its_key() {
    let secret = noise(3 * 1024 * 1024, 5);
    let input = format!("password={secret} after\n");
    let (out, stats) = stream(input.as_bytes());
    assert_eq!(out, b"password=[REDACTED] after\n");
    assert_eq!(stats.oversized_runs_redacted, 1);
}

// ---- nesting -----------------------------------------------------------------------------------

/// The decoded payload (second segment) of the first token-shaped word after `prefix`.
fn payload_of(out: &[u8], prefix: &str) -> Vec<u8> {
    let rest = &out[prefix.len()..];
    let tok = rest.split(|&b| b == b' ').next().expect("a word");
    let seg = tok.split(|&b| b == b'.').nth(1).expect("a payload segment");
    URL_SAFE_NO_PAD.decode(seg).expect("a base64url payload")
}

#[test]
fn deeply_nested_json_in_a_payload_is_redacted_as_one_claim() {
    // serde_json skips an ignored value without recursing, so depth is no limit: the payload is
    // still an object, and the nested claim (not kept) is redacted whole.
    let depth = 100_000;
    let payload = format!(r#"{{"sub":"x","n":{}1{}}}"#, "[".repeat(depth), "]".repeat(depth));
    let (tok, sig) = jws(HS256, payload.as_bytes(), 3);
    let out = line(format!("id_token={tok}").as_bytes());
    assert!(!contains(&out, sig.as_bytes()));
    assert_eq!(payload_of(&out, "id_token="), br#"{"sub":"[REDACTED]","n":"[REDACTED]"}"#);
    // A kept claim (`aud`) holding the same nesting is copied as it is; the signature goes.
    let payload = format!(r#"{{"aud":{}"x"{}}}"#, "[".repeat(depth), "]".repeat(depth));
    let (tok, sig) = jws(HS256, payload.as_bytes(), 5);
    let out = line(format!("id_token={tok} x").as_bytes());
    assert!(!contains(&out, sig.as_bytes()));
    assert!(out.ends_with(b".REDACTED x"), "{}", out.escape_ascii());
}

#[test]
fn deeply_nested_json_in_a_header_is_still_a_token_up_to_the_header_limit() {
    // 20 000 brackets: a 27 KB header, under the 64 KiB limit: a token, redacted.
    let nested = |depth: usize| format!(r#"{{"alg":"HS256","x":{}1{}}}"#, "[".repeat(depth), "]".repeat(depth));
    let (tok, sig) = jws(&nested(10_000), br#"{"sub":"alice"}"#, 4);
    let out = line(format!("t {tok} x").as_bytes());
    assert!(!contains(&out, sig.as_bytes()) && !contains(&out, b64(r#"{"sub":"alice"}"#).as_bytes()));
    // 60 000 brackets: past the header limit, bare it is not a token (nothing here reads it
    // as one) and stays; where a credential is expected it is redacted as an opaque value.
    let (tok, sig) = jws(&nested(30_000), br#"{"sub":"alice"}"#, 6);
    assert!(line_is_unchanged(format!("t {tok} x").as_bytes()));
    let out = line(format!("Authorization: Bearer {tok} x").as_bytes());
    assert_eq!(out, b"Authorization: Bearer [REDACTED] x");
    assert!(!contains(&out, sig.as_bytes()));
}

#[test]
fn deeply_nested_json_log_line_still_redacts_its_keys() {
    let depth = 100_000;
    let mut input = r#"{"a":"#.repeat(depth);
    input.push_str(r#"{"password":"hunter2","ok":1}"#);
    input.push_str(&"}".repeat(depth));
    let out = line(input.as_bytes());
    let want = input.replace("hunter2", "[REDACTED]");
    assert!(out == want.as_bytes());
    let brackets = "[".repeat(1_000_000);
    assert!(line_is_unchanged(brackets.as_bytes()));
}

// ---- encodings -----------------------------------------------------------------------------------

#[test]
fn invalid_base64_and_padding_in_tokens_fail_closed() {
    let h = b64(HS256);
    let p = b64(r#"{"sub":"alice","email":"a@example.com"}"#);
    let s = noise(43, 9);
    let cases = [
        // Payload has a lone trailing character (6 bits): not decodable.
        format!("{h}.{p}A.{s}"),
        // Padding where base64 puts it, where it does not belong, and more of it than allowed.
        format!("{}.{}.{s}=", padded(HS256), padded(r#"{"sub":"alice","email":"a@example.com"}"#)),
        format!("{h}==.{p}==.{s}=="),
        format!("{h}.{p}.{s}==="),
        // Standard alphabet in payload and signature.
        format!("{h}.{}.{}", p.replace('_', "/"), s.replace('-', "+")),
        // Decodes, but not to JSON / not to an object.
        format!("{h}.{}.{s}", b64([0xff, 0xfe, 0x00, 0x80])),
        format!("{h}.{}.{s}", b64("[1,2,3]")),
    ];
    for c in &cases {
        let out = line(format!("x {c} y").as_bytes());
        let shown = out.escape_ascii().to_string();
        assert!(!contains(&out, s.as_bytes()), "signature survived: {shown}");
        assert!(!contains(&out, b"alice"), "claim survived: {shown}");
        assert!(!contains(&out, p.as_bytes()), "payload survived: {shown}");
    }
    // A payload that is not base64 at all ends the token at its first byte: the token is
    // `header.` (cut short), and what follows is no token's segment.
    let out = line(format!("x {h}.%%%%.{s} y").as_bytes());
    assert_eq!(idempotent(&out), out);
    // A header that is not base64url, or whose padding is in the middle, is no token.
    for c in [format!("{}!.{p}.{s}", cut(&h, ..h.len() - 1)), format!("{}=={}.{p}.{s}", cut(&h, ..8), cut(&h, 8..))] {
        assert!(line_is_unchanged(c.as_bytes()), "{c}");
    }
}

#[test]
fn overlong_utf8_passes_through_and_values_are_still_redacted() {
    // Overlong encodings of `/`, `=` and NUL, and a lone continuation byte.
    let junk: &[u8] = b"\xc0\xaf \xe0\x80\xaf \xf0\x80\x80\xaf \xc0\xbd \xc0\x80 \x80 \xff";
    assert!(line_is_unchanged(junk));
    let mut input = junk.to_vec();
    input.extend_from_slice(b" password=\xc0\xafs3cr3t\xe0\x80\xaf tail \xc0\xbd");
    let out = line(&input);
    let mut want = junk.to_vec();
    want.extend_from_slice(b" password=[REDACTED] tail \xc0\xbd");
    assert_eq!(out, want);
    // `password` followed by an overlong `=` is not a key=value pair: nothing to find.
    assert!(line_is_unchanged(b"password\xc0\xbdsecret"));
    // A payload whose JSON strings hold overlong UTF-8: the claim is redacted like any other.
    let mut payload = br#"{"sub":""#.to_vec();
    payload.extend_from_slice(b"\xc0\xaf\xe0\x80\xaf");
    payload.extend_from_slice(br#"","exp":1}"#);
    let (tok, sig) = jws(HS256, &payload, 21);
    let out = line(format!("id_token={tok}").as_bytes());
    assert!(!contains(&out, sig.as_bytes()));
    assert_eq!(payload_of(&out, "id_token="), br#"{"sub":"[REDACTED]","exp":1}"#);
}

#[test]
fn nul_bytes_pass_through_and_values_are_still_redacted() {
    let nuls = vec![0u8; 100_000];
    assert!(line_is_unchanged(&nuls));
    let out = line(b"\0\0password=\0s3cr3t\0 Authorization: Bearer abc\0def \0");
    // NUL is no delimiter for a key's value: `abc\0def` goes whole.
    assert_eq!(out, b"\0\0password=[REDACTED] Authorization: Bearer [REDACTED] \0");
    assert_eq!(line(b"x Bearer abc123\0def"), b"x Bearer [REDACTED]\0def");
    let (tok, sig) = jws(HS256, br#"{"sub":"x"}"#, 8);
    let out = line(format!("\0{tok}\0").as_bytes());
    assert!(!contains(&out, sig.as_bytes()));
    assert!(out.starts_with(b"\0eyJ") && out.ends_with(b"\0"));
}

#[test]
fn an_unterminated_quoted_value_is_redacted_to_the_end_of_the_line() {
    let cases: [(&[u8], &[u8]); 5] = [
        (br#"{"password":"s3cr3t and more"#, br#"{"password":"[REDACTED]"#),
        (b"password='s3cr3t and more", b"password='[REDACTED]"),
        (br#"msg="{\"token\":\"s3cr3t and more"#, br#"msg="{\"token\":\"[REDACTED]"#),
        (b"x=a%26token%3D%22s3cr3t and more", b"x=a%26token%3D%22[REDACTED]"),
        (br#"password="s3cr3t \" still \\\" inside"#, br#"password="[REDACTED]"#),
    ];
    for (input, want) in cases {
        let out = line(input);
        assert_eq!(out, want, "{}", input.escape_ascii());
    }
    // Unterminated, a million bytes long: still one finding, still bounded.
    let mut input = br#"{"client_secret":""#.to_vec();
    input.extend(std::iter::repeat_n(b'x', 1_000_000));
    assert_eq!(line(&input), br#"{"client_secret":"[REDACTED]"#);
}

#[test]
fn a_single_padded_bearer_credential_closing_a_quoted_string_is_redacted() {
    // `Bearer x=` followed by a quote read as a challenge's `realm="…"`: a base64 credential
    // with one `=` of padding at the end of a quoted message stayed in clear.
    assert_eq!(line(br#"msg="Bearer YWJjZGU=" x"#), br#"msg="Bearer [REDACTED]" x"#);
    assert_eq!(line(br#"{"m":"Bearer YWJjZGU="}"#), br#"{"m":"Bearer [REDACTED]"}"#);
    assert!(line_is_unchanged(br#"WWW-Authenticate: Bearer realm="api", error="invalid_token""#));
}

// ---- what leaves the process -----------------------------------------------------------------

#[test]
fn finding_rule_names_carry_no_neighbouring_secret() {
    // A finding names the key (`db_password`), read back from the line. Bytes glued before the
    // key (here a look-alike GitHub token and a token, joined by `.`) must not be copied into
    // the finding with it.
    let ghp = format!("ghp_{}", noise(36, 31).replace(['-', '_'], "x"));
    let (tok, _) = jws(HS256, br#"{"sub":"x"}"#, 32);
    let mut scratch = Scratch::default();
    scratch.record_findings(true);
    for input in [format!("{ghp}.password=hunter2"), format!("{tok}.password=hunter2")] {
        let out = scrubber().scrub_line(input.as_bytes(), &mut scratch).into_owned();
        assert!(!contains(&out, b"hunter2"));
        for f in scratch.findings() {
            let low_ghp = ghp.to_ascii_lowercase();
            let low_tok = tok.to_ascii_lowercase();
            assert!(
                !f.rule.contains(cut(&low_ghp, 4..20)) && !f.rule.contains(cut(&low_tok, 40..60)),
                "finding rule {:?} carries input bytes of a secret",
                f.rule
            );
        }
    }
}

// ---- regressions from fuzzing ------------------------------------------------------------------

/// Scrubs twice; asserts the second pass changes nothing.
fn idempotent(input: &[u8]) -> Vec<u8> {
    let once = line(input);
    let twice = line(&once);
    assert!(twice == once, "not idempotent\nonce:  {}\ntwice: {}", once.escape_ascii(), twice.escape_ascii());
    once
}

#[test]
fn fuzz_padding_inside_a_segment_takes_the_segment_whole() {
    // fuzz/regressions/scrub_line/crash-69f1ee…: the payload segment `…9=1` was cut after its
    // padding, so the marker came out glued to the tail (`REDACTED1`) and a second pass
    // changed it. A segment now runs over padding that alphabet bytes follow.
    let h = b64(r#"{"alg":"none"}"#);
    let p = b64(r#"{"sub":"u2"}"#);
    let input = format!("id_token={h}.{}=1 rest.&x=1", cut(&p, 4..));
    assert_eq!(idempotent(input.as_bytes()), format!("id_token={h}.REDACTED rest.&x=1").as_bytes());
    // Three `=` (one more than base64 allows) on a signature: the segment takes all three.
    let s = noise(43, 41);
    let input = format!("t {}.{p}.{s}=== x", b64(HS256));
    let out = idempotent(input.as_bytes());
    assert!(out.ends_with(b".REDACTED x"), "{}", out.escape_ascii());
    // Padding in the middle of a signature: the rest of it is redacted with it.
    let input = format!("t {}.{p}.{}=={} x", b64(HS256), cut(&s, ..20), cut(&s, 20..));
    let out = idempotent(input.as_bytes());
    assert!(!contains(&out, cut(&s, 20..).as_bytes()), "{}", out.escape_ascii());
}

#[test]
fn fuzz_an_auth_param_stays_one_after_its_value_is_redacted() {
    // fuzz/regressions/scrub_line/crash-a626a5…: `basic x_token=abc` is a challenge's
    // auth-param (`name=value`), so `basic` takes no credential and the key `x_token` gets
    // its value redacted. On a second pass `x_token=` followed by the marker was no longer
    // an auth-param and was redacted as a Basic credential.
    for input in ["WWW-Authenticate: basic did_token=abc122b x", "Bearer error=x_token=abc"] {
        idempotent(input.as_bytes());
    }
    assert_eq!(idempotent(b"basic did_token=abc122b x"), b"basic did_token=[REDACTED] x");
}

/// A reader that hands out one byte per read: a producer writing a long line slowly.
struct Trickle<'a>(&'a [u8]);

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = usize::from(!self.0.is_empty() && !buf.is_empty());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[test]
fn fuzz_a_long_line_read_one_byte_at_a_time_is_framed_in_linear_time() {
    // Found by `fuzz/` target `scrub_stream` (13 executions a second): the framer searched
    // the whole buffered line for `\n` again after every read, so a line trickled in one
    // byte per read cost window²/2 byte compares (8 MiB default window: ~3·10¹³).
    let mut input = noise(2 * 1024 * 1024, 77).into_bytes();
    for i in (0..input.len()).step_by(100) {
        input[i] = b' ';
    }
    input.push(b'\n');
    let mut framer = Framer::new(SMALL);
    let mut scratch = Scratch::default();
    let mut out = Vec::new();
    let stats = bounded("trickled scrub_stream", || {
        scrub_stream(scrubber(), &mut framer, &mut scratch, &mut Trickle(&input), &mut out, None).expect("in-memory")
    });
    assert!(out == input);
    assert!(stats.long_line_cuts >= 8, "{stats:?}");
}

#[test]
fn fuzz_a_value_followed_by_stars_is_judged_the_same_on_both_passes() {
    // `basic ~~~~id_token=` is followed by `***h…`, so it passes for a masked value (`x***`) and
    // is left; the key `id_token` then gets `***h~~bG.` redacted. On the second pass the
    // `***` is gone, and `~~~~id_token=` is redacted as a Basic credential.
    idempotent(b"basic ~~~~id_token=***h~~bG.");
}

#[test]
fn fuzz_keys_inside_a_secret_container_are_scanned_on_the_first_pass() {
    // `"password":{…}` redacts the object's leaves; the scan must still read its keys, as the
    // second pass does once the leaves are markers (it skipped the container, and a second
    // pass then found `token=` in the key: fuzz `scrub_line`, fourth stop).
    let out = idempotent(br#"{"a","password":{"sec d_token=abc123def&x=1":"s","n":[7,"t"]}}"#);
    assert_eq!(
        String::from_utf8_lossy(&out),
        r#"{"a","password":{"sec d_token=[REDACTED]&x=1":"[REDACTED]","n":["[REDACTED]","[REDACTED]"]}}"#
    );
}

#[test]
fn fuzz_a_cached_token_does_not_end_before_percent_encoded_padding() {
    // fuzz/regressions/scrub_line/crash-c62acd…: `H.P.sig%3Da` (padding then more alphabet: one
    // malformed segment, taken whole) and, later, `H.P.sig%…`. The second token, cached, was
    // taken as a prefix of the first on a warm pass: a cached token's end did not count `%3D`
    // as padding that goes on, so the warm output kept `%3Da`.
    let h = b64(r#"{"alg":"HS256"}"#);
    let text = format!("x {h}.WzJ9.Woken%3Da.bc y {h}.WzJ9.Woken%zz");
    let mut scratch = Scratch::default();
    let cold = scrubber().scrub_line(text.as_bytes(), &mut scratch).into_owned();
    let warm = scrubber().scrub_line(text.as_bytes(), &mut scratch).into_owned();
    assert_eq!(warm.escape_ascii().to_string(), cold.escape_ascii().to_string(), "warm cache differs");
    assert!(!contains(&cold, b"Woken"), "{}", cold.escape_ascii());
}

#[test]
fn fuzz_a_secret_container_made_valid_by_an_edit_is_read_on_the_first_pass() {
    // fuzz/regressions/scrub_line/crash-151a7e…: a raw control byte in a string leaves
    // `"secret":{…}` malformed, so its leaves are not read; the string, under `password`, is
    // redacted, which makes the object well formed, and a second pass redacted the number.
    // Such a line is now scrubbed again at once (`Scrubber::settle`).
    let out = idempotent(b"{\"secret\":{\"password\":\"pq\x01w\",\"n\":68443}}");
    assert_eq!(String::from_utf8_lossy(&out), r#"{"secret":{"password":"[REDACTED]","n":"[REDACTED]"}}"#);
}

#[test]
fn fuzz_a_value_running_into_a_container_leaf_ends_there() {
    // fuzz/regressions/scrub_line/crash-23bd43…: an unterminated `'` value (redacted to the end
    // of the line) ran over the leaf of a secret container read ahead of the scan; the value
    // was dropped, left in clear, and a second pass, with the leaf a marker, redacted it. The
    // value now ends where the leaf starts.
    let line = br#"{"password":{"k token='tail part": "s"}}"#;
    let out = idempotent(line);
    assert!(!contains(&out, b"tail part") && !contains(&out, b"\"s\""), "{}", out.escape_ascii());
    assert!(out.starts_with(br#"{"password":{"k token='[REDACTED]"#), "{}", out.escape_ascii());
}

#[test]
fn fuzz_a_flag_followed_by_another_blank_has_no_value() {
    // fuzz/regressions/scrub_line/crash-ffff88…: `--token` then a space and a `\r` (a blank
    // the flag reader did not skip): an empty value, indexed (a panic).
    for input in [&b"--token \r x"[..], b"a --api-key \r", b"--token \x0c--x y"] {
        let out = idempotent(input);
        assert_eq!(out, input, "{}", out.escape_ascii());
    }
    assert_eq!(idempotent(b"--token \tabc123 x"), b"--token \t[REDACTED] x");
}

#[test]
fn fuzz_a_pattern_match_of_markers_only_is_left_alone() {
    // fuzz/regressions/scrub_line/crash-minimized-17492b: the URL password `session=\x02)` holds
    // a key finding, so the pattern rewrote the parts around it: three markers in a row. A
    // second pass took those for the password and made them one. Markers only are now left.
    // Since an unquoted value reads on past punctuation (`credential::unquoted_end`), the
    // key's value is `\x02)@`, to the end of the line: two markers.
    let out = idempotent(b"u://:session=\x02)@");
    assert_eq!(out, b"u://:[REDACTED][REDACTED]");
    let out = idempotent(b"u://:session=\x02)x@ y");
    assert_eq!(out, b"u://:[REDACTED][REDACTED] y");
}

#[test]
fn fuzz_a_pattern_rewrite_that_joins_two_urls_is_settled_on_the_first_pass() {
    // fuzz/regressions/scrub_line/crash-284963… and crash-c5e61f…: a URL password's marker
    // replaced an `@` and a `://` of the next URL, so a second pass read one URL where the first
    // read two, and redacted more. A line a pattern rewrote is now scrubbed again at once
    // (`Scrubber::settle`). Each input: the first pass is final, and no password is left.
    for input in [
        &b"i://o:session=a@in=mAut:ession=a@in=i://e)ssion=a@i"[..],
        b"i://(=eO)Oi:Autsession=ac\xda@i\xb1n=mefAut:ession=ac\xda@in=mef5eO\x90i://(=eO)\x1cssion=ac\xda@i",
    ] {
        let out = idempotent(input);
        assert!(!contains(&out, b"ssion=a"), "{}", out.escape_ascii());
    }
}

#[test]
fn fuzz_a_var_dump_visibility_closes_the_key_on_both_passes() {
    // fuzz/regressions/scrub_line/crash-minimized-fa70ad: the `[` of `["secret":protected]` was
    // the value of an earlier key, so the first pass redacted it and read the property's
    // visibility; the second, with no `[` left, read `protected` as the value.
    let out = idempotent(br#"secret:"["secret":protected]"#);
    assert_eq!(out, br#"secret:"[REDACTED]"secret":protected]"#);
    assert_eq!(
        idempotent(br#"["password":protected]=> string(3) "abc""#),
        br#"["password":protected]=> string(3) "[REDACTED]""#
    );
    // fuzz/regressions/scrub_line/crash-6417a0…: a class name holding a secret name
    // (`"Kpassword":private]`): its `private` was read as that key's value on the first pass,
    // and the outer key's `"Kpassword"` as its value on the second. Visibility is no value.
    let out = idempotent(br#"CenticaKpassword":"Kpassword":private]:"p\"x","token=hi"#);
    assert!(contains(&out, b"\"Kpassword\":private]"), "{}", out.escape_ascii());
}

#[test]
fn fuzz_an_xml_element_value_ends_at_the_next_tag_on_both_passes() {
    // fuzz/regressions/scrub_line/crash-minimized-7cc009: `<token>` holding markup was no
    // value, so the first pass redacted only `secret:"<`'s `<`; the second, with no `<` left,
    // read the element's text to the end of the line. The value now ends at the element's own
    // end tag, markup inside included, or without one at any next tag.
    assert_eq!(idempotent(br#"<token>secret:"<"#), b"<token>[REDACTED]<");
    assert_eq!(idempotent(b"<password>abc<br/>def</password>"), b"<password>[REDACTED]</password>");
    assert_eq!(idempotent(b"<pwd><![CDATA[a<b]]></pwd> <n>1</n>"), b"<pwd>[REDACTED]</pwd> <n>1</n>");
    assert_eq!(idempotent(b"<password>abc</pass> def</password>"), b"<password>[REDACTED]</password>");
    assert_eq!(idempotent(b"<token>abc<b>def"), b"<token>[REDACTED]<b>def");
    assert_eq!(idempotent(b"<Password>hunter2</Password>"), b"<Password>[REDACTED]</Password>");
}

#[test]
fn secret_containers_nested_in_secret_containers_are_read_once() {
    // Found while fixing the above: a secret key inside a secret container read its own
    // container again and edited its leaves twice (overlapping edits: a panic).
    for (input, want) in [
        (r#"{"token":{"token":["abc"]}}"#, r#"{"token":{"token":["[REDACTED]"]}}"#),
        (
            r#"{"secret":{"password":{"x":"q"},"k":{"token":"z"}},"token":["w",{"pwd":[1]}]}"#,
            r#"{"secret":{"password":{"x":"[REDACTED]"},"k":{"token":"[REDACTED]"}},"token":["[REDACTED]",{"pwd":["[REDACTED]"]}]}"#,
        ),
    ] {
        assert_eq!(String::from_utf8_lossy(&idempotent(input.as_bytes())), want);
    }
    // Deep nesting stays linear: each container is read once.
    let deep = format!("{}1{}", r#"{"token":"#.repeat(100), "}".repeat(100));
    let out = idempotent(deep.as_bytes());
    assert_eq!(String::from_utf8_lossy(&out), deep.replace(":1}", r#":"[REDACTED]"}"#));
}

// ---- regressions from fuzzing the log formats (fuzz/ targets format_*) ---------------------------

/// Scrubs `input` in `format` (one chunk, then the end of the input); asserts a second pass
/// changes nothing; returns the output.
fn format_idempotent(format: Format, input: &[u8]) -> Vec<u8> {
    let run = |input: &[u8]| {
        let fmt = FormatScrubber::new(scrubber(), format, 8 << 20);
        let mut st = FormatState::default();
        let mut out = bounded("scrub_chunk", || fmt.scrub_chunk(input, &mut st, ChunkInfo::default()).to_vec());
        out.extend_from_slice(&fmt.finish(&mut st).to_vec());
        out
    };
    let once = run(input);
    let twice = run(&once);
    assert!(
        twice == once,
        "{format}: not idempotent\nin:    {}\nonce:  {}\ntwice: {}",
        input.escape_ascii(),
        once.escape_ascii(),
        twice.escape_ascii()
    );
    once
}

#[test]
fn fuzz_a_json_key_is_scrubbed_like_a_value() {
    // fuzz/regressions/format_json/crash-dea70d…, format_docker/crash-f6ff17…: a line with an
    // escape that can hide a secret (`\\`, `\u0070`) is walked member by member, and the walk
    // scrubbed values only; a line without one is scrubbed raw, keys included. So
    // `{"Bearer _secret":"\\"}` kept its key on the first pass and lost it on the second, and
    // a map keyed by a token kept the token whenever some value had such an escape.
    assert_eq!(
        format_idempotent(Format::Json, br#"{"Bearer _secret":"\\","n":1}"#),
        br#"{"Bearer [REDACTED]":"[REDACTED]","n":1}"#
    );
    let out = format_idempotent(Format::Auto, br#"{"":"passwd:\"\\","token:e":""}"#);
    assert_eq!(out, br#"{"":"passwd:\"[REDACTED]","token:[REDACTED]":""}"#);
    let (tok, sig) = jws(HS256, br#"{"sub":"alice"}"#, 51);
    let line = format!(r#"{{"sessions":{{"{tok}":{{"user":"b\u006fb"}}}}}}"#);
    for f in [Format::Json, Format::Auto] {
        let out = format_idempotent(f, line.as_bytes());
        assert!(!contains(&out, sig.as_bytes()) && contains(&out, br#""user":"b\u006fb""#), "{}", out.escape_ascii());
    }
}

#[test]
fn fuzz_a_broken_json_line_that_redaction_mends_is_walked_too() {
    // fuzz/regressions/format_json/crash-4f47eb…: `"\c"` is no JSON escape, so the line was
    // scrubbed raw, which redacted that value (it follows the key `pwd`) and so made the line
    // valid JSON; a second pass then walked it and decoded the key `\u0070wd=pwd` to
    // `pwd=pwd`, a secret the raw pass could not see. Such a line is now walked at once.
    let out = format_idempotent(Format::Json, br#"{"\u0070wd=pwd":"\c"}"#);
    assert_eq!(out, br#"{"\u0070wd=[REDACTED]":"[REDACTED]"}"#);
}

#[test]
fn fuzz_an_open_logfmt_quote_does_not_hide_the_lines_secret_values() {
    // fuzz/regressions/format_logfmt/crash-ac94bb…: with an unterminated quote anywhere, the
    // logfmt reader gave up on the line, so `apikey=[Bearer` (a value the core skips as nested
    // JSON) was left, and `X="` was read as a Bearer credential instead. Once redacted, the
    // line parsed, and the second pass redacted the key's value. An open quote now runs to the
    // end of the line, as the core reads it.
    assert_eq!(format_idempotent(Format::Logfmt, br#"apikey=[Bearer X=""#), br#"apikey=[REDACTED] X=""#);
    assert_eq!(format_idempotent(Format::Logfmt, br#"password={a,b} msg="open"#), br#"password=[REDACTED] msg="open"#);
}

// ---- the container runs unprivileged (deploy/) ---------------------------------------------------

/// A YAML value, as far as the manifests under `deploy/k8s` use YAML: block maps and lists,
/// flow maps and lists (`{ drop: [ALL] }`), plain and quoted scalars; block scalars (`|`) are
/// kept as `Str("|")` (their text is checked elsewhere: `tests/sidecar.rs`).
#[derive(Debug, Clone, PartialEq)]
enum Yaml {
    Map(Vec<(String, Yaml)>),
    List(Vec<Yaml>),
    Str(String),
}

impl Yaml {
    fn get(&self, key: &str) -> Option<&Yaml> {
        match self {
            Yaml::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// `a.b.c`
    fn at(&self, path: &str) -> Option<&Yaml> {
        path.split('.').try_fold(self, |y, k| y.get(k))
    }

    fn str(&self) -> Option<&str> {
        match self {
            Yaml::Str(s) => Some(s),
            _ => None,
        }
    }

    fn list(&self) -> &[Yaml] {
        match self {
            Yaml::List(l) => l,
            _ => &[],
        }
    }
}

struct YLine {
    indent: usize,
    text: String,
}

/// The documents of a manifest file.
fn yaml_docs(text: &str) -> Vec<Yaml> {
    let mut docs = Vec::new();
    for doc in text.split("\n---\n") {
        let mut lines: Vec<YLine> = Vec::new();
        let mut block: Option<usize> = None;
        for raw in doc.lines() {
            let indent = raw.len() - raw.trim_start().len();
            let t = raw.trim();
            if let Some(b) = block {
                if t.is_empty() || indent > b {
                    continue;
                }
                block = None;
            }
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            if t.ends_with(": |") || t == "- |" || t.ends_with(": |-") {
                block = Some(indent);
            }
            lines.push(YLine { indent, text: t.to_string() });
        }
        if !lines.is_empty() {
            let mut i = 0;
            let first = lines[0].indent;
            docs.push(yaml_block(&mut lines, &mut i, first));
            assert_eq!(i, lines.len(), "unparsed YAML from: {}", lines[i].text);
        }
    }
    docs
}

fn yaml_block(lines: &mut [YLine], i: &mut usize, indent: usize) -> Yaml {
    let list = lines[*i].text == "-" || lines[*i].text.starts_with("- ");
    let mut map = Vec::new();
    let mut items = Vec::new();
    while *i < lines.len() && lines[*i].indent == indent {
        let text = lines[*i].text.clone();
        if list {
            let Some(rest) = text.strip_prefix('-') else { break };
            let rest = rest.trim_start();
            if rest.is_empty() {
                *i += 1;
                let ind = lines[*i].indent;
                items.push(yaml_block(lines, i, ind));
            } else if !rest.starts_with(['{', '[', '"']) && (rest.contains(": ") || rest.ends_with(':')) {
                // `- key: value` starts a map whose keys line up with `key`.
                let ind = indent + (text.len() - rest.len());
                lines[*i] = YLine { indent: ind, text: rest.to_string() };
                items.push(yaml_block(lines, i, ind));
            } else {
                items.push(yaml_flow(rest));
                *i += 1;
            }
        } else {
            if text.starts_with('-') {
                break;
            }
            let (k, v) = match text.split_once(": ") {
                Some((k, v)) => (k.to_string(), v.trim().to_string()),
                None => (
                    text.strip_suffix(':').unwrap_or_else(|| panic!("not a YAML map line: {text}")).to_string(),
                    String::new(),
                ),
            };
            *i += 1;
            let value = if !v.is_empty() {
                yaml_flow(&v)
            } else if *i < lines.len()
                && (lines[*i].indent > indent || (lines[*i].indent == indent && lines[*i].text.starts_with('-')))
            {
                let ind = lines[*i].indent;
                yaml_block(lines, i, ind)
            } else {
                Yaml::Str(String::new())
            };
            map.push((k.trim_matches('"').to_string(), value));
        }
    }
    if list { Yaml::List(items) } else { Yaml::Map(map) }
}

/// A flow value: `{ a: b, c: [x, y] }`, `[x, y]`, `"quoted"`, `plain`.
fn yaml_flow(s: &str) -> Yaml {
    fn value(b: &[u8], i: &mut usize) -> Yaml {
        while b[*i] == b' ' {
            *i += 1;
        }
        match b[*i] {
            b'{' | b'[' => {
                let close = if b[*i] == b'{' { b'}' } else { b']' };
                *i += 1;
                let (mut map, mut list) = (Vec::new(), Vec::new());
                loop {
                    while b[*i] == b' ' || b[*i] == b',' {
                        *i += 1;
                    }
                    if b[*i] == close {
                        *i += 1;
                        break;
                    }
                    if close == b'}' {
                        let start = *i;
                        while b[*i] != b':' {
                            *i += 1;
                        }
                        let key = String::from_utf8_lossy(&b[start..*i]).trim().to_string();
                        *i += 1;
                        map.push((key, value(b, i)));
                    } else {
                        list.push(value(b, i));
                    }
                }
                if close == b'}' { Yaml::Map(map) } else { Yaml::List(list) }
            }
            _ => {
                let start = *i;
                if b[*i] == b'"' {
                    *i += 1;
                    while b[*i] != b'"' {
                        *i += 1;
                    }
                    *i += 1;
                } else {
                    while *i < b.len() && !matches!(b[*i], b',' | b'}' | b']') {
                        *i += 1;
                    }
                }
                Yaml::Str(String::from_utf8_lossy(&b[start..*i]).trim().trim_matches('"').to_string())
            }
        }
    }
    let mut i = 0;
    let v = value(s.as_bytes(), &mut i);
    assert!(s.get(i..).is_some_and(|r| r.trim().is_empty()), "trailing text in YAML flow value {s:?}");
    v
}

/// Containers that run as root on purpose, with the reason: the node DaemonSet reads every
/// container's log, which runtimes write as root with mode 0640 (containerd) or 0600 (CRI-O).
/// It does so as the files' owner with every capability dropped, so root gains it nothing else.
const ROOT_ON_PURPOSE: &[(&str, &str)] = &[("daemonset.yaml", "logscrub")];

/// Every container of every workload in `deploy/k8s`: a read-only root filesystem, no
/// privilege escalation, every capability dropped and none added, not privileged, and a
/// non-root user (`runAsNonRoot: true` on the container or pod, no `runAsUser: 0`), except
/// [`ROOT_ON_PURPOSE`], which must then say `runAsUser: 0` and keep everything else; its
/// host-path log mounts are read-only. The image's last `USER` is numeric and not 0.
#[test]
fn the_container_runs_unprivileged_with_a_read_only_root() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy");
    let mut checked = Vec::new();
    for file in ["daemonset.yaml", "sidecar-deployment.yaml"] {
        let text = std::fs::read_to_string(root.join("k8s").join(file)).unwrap();
        for doc in yaml_docs(&text) {
            let Some(pod) = doc.at("spec.template.spec") else { continue };
            let pod_sc = pod.get("securityContext");
            let pod_val = |k: &str| pod_sc.and_then(|s| s.get(k)).and_then(Yaml::str);
            let containers = pod.get("containers").map(Yaml::list).unwrap_or_default();
            let inits = pod.get("initContainers").map(Yaml::list).unwrap_or_default();
            for c in containers.iter().chain(inits) {
                let name = c.get("name").and_then(Yaml::str).unwrap();
                let what = format!("{file}: container `{name}`");
                let sc = c.get("securityContext").unwrap_or_else(|| panic!("{what}: no securityContext"));
                let val = |k: &str| sc.at(k).and_then(Yaml::str);
                assert_eq!(val("readOnlyRootFilesystem"), Some("true"), "{what}");
                assert_eq!(val("allowPrivilegeEscalation"), Some("false"), "{what}");
                assert_ne!(val("privileged"), Some("true"), "{what}");
                let drop = sc.at("capabilities.drop").map(Yaml::list).unwrap_or_default();
                assert!(drop.contains(&Yaml::Str("ALL".into())), "{what}: capabilities.drop lacks ALL");
                assert!(sc.at("capabilities.add").is_none(), "{what}: adds capabilities");
                let user = val("runAsUser").or(pod_val("runAsUser"));
                if ROOT_ON_PURPOSE.contains(&(file, name)) {
                    assert_eq!(user, Some("0"), "{what}: listed as root on purpose");
                    for m in c.get("volumeMounts").map(Yaml::list).unwrap_or_default() {
                        let vol = m.get("name").and_then(Yaml::str).unwrap();
                        let host = pod
                            .get("volumes")
                            .map(Yaml::list)
                            .unwrap_or_default()
                            .iter()
                            .any(|v| v.get("name").and_then(Yaml::str) == Some(vol) && v.get("hostPath").is_some());
                        let path = m.get("mountPath").and_then(Yaml::str).unwrap();
                        if host && path.starts_with("/var/log") {
                            assert_eq!(m.get("readOnly").and_then(Yaml::str), Some("true"), "{what}: {path} writable");
                        }
                    }
                } else {
                    let non_root = val("runAsNonRoot").or(pod_val("runAsNonRoot"));
                    assert_eq!(non_root, Some("true"), "{what}: runAsNonRoot");
                    assert_ne!(user, Some("0"), "{what}: runAsUser 0");
                }
                checked.push(format!("{file}:{name}"));
            }
        }
    }
    checked.sort();
    assert_eq!(checked, ["daemonset.yaml:logscrub", "sidecar-deployment.yaml:app", "sidecar-deployment.yaml:logscrub"]);

    let dockerfile = std::fs::read_to_string(root.join("Dockerfile")).unwrap();
    let last_stage = dockerfile.rsplit_once("\nFROM ").expect("a FROM line").1;
    let user =
        last_stage.lines().filter_map(|l| l.strip_prefix("USER ")).next_back().expect("a USER in the final stage");
    let uid = user.trim().split(':').next().unwrap();
    assert!(uid.parse::<u32>().is_ok_and(|u| u != 0), "USER {user}: not a numeric non-root user");
}

/// fuzz `scrub_line` (this stop): a `ghp_…` token glued to a JWT header. The GitHub pattern's
/// match overlapped the JWT's finding and was skipped whole, leaving the `ghp_…` part in clear
/// until a second pass (where the JWT rewrote to itself and no longer counted). Now the part of
/// a pattern match outside other findings is rewritten on the first pass.
#[test]
fn fuzz_a_pattern_glued_to_a_token_is_rewritten_outside_it() {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let input = format!("k ghp_{}aaaaaaa{header}.eyaaaaaaaaaa", "0123456789".repeat(4));
    let once = line(input.as_bytes());
    assert!(!contains(&once, b"ghp_"), "{}", String::from_utf8_lossy(&once));
    assert!(contains(&once, header.as_bytes()), "the JWT header stays: {}", String::from_utf8_lossy(&once));
    assert_eq!(line(&once), once, "idempotent");
}

/// fuzz `scrub_line` (this stop): `\xa0ya29.…` — a pattern's Unicode `\b` next to an invalid
/// UTF-8 byte matched on the second pass and not on the first. Pattern regexes now run with
/// Unicode off (ASCII `\b`), the same on every pass.
#[test]
fn fuzz_a_word_boundary_next_to_invalid_utf8_is_judged_the_same_on_both_passes() {
    let input = b"AKIAABCDEFGHIJKLMNOP\xa0ya29.aaaaaaaaauthorization: x\xa0ya29.0123456789abcdefghij0123";
    let once = line(input);
    assert!(!contains(&once, b"ya29."), "{}", String::from_utf8_lossy(&once));
    assert_eq!(line(&once), once, "idempotent");
}

/// fuzz `scrub_line` (this stop): `authorization: xoxo-… b`. The scheme word (a Slack-token
/// shape) sat in the stretch the key's finding consumed, so the scan never saw its literal; once
/// the credential was a marker, the second pass did. Literals in skipped, unrewritten stretches
/// now mark their patterns on the first pass.
#[test]
fn fuzz_a_pattern_in_a_skipped_scheme_word_is_found_on_the_first_pass() {
    let input = b"authorization: xoxo-basicthorizatiOiJ b dX==";
    let once = line(input);
    assert!(!contains(&once, b"xoxo-"), "{}", String::from_utf8_lossy(&once));
    assert_eq!(line(&once), once, "idempotent");
}

/// fuzz `scrub_line` (this stop): `"token":12346xoxp-…`. The number is redacted to a quoted
/// marker, which put a word boundary before `xoxp-`: with a leading `\b` the Slack pattern
/// matched only on the second pass. The default patterns' distinctive prefixes no longer need
/// `\b`, so the first pass finds it.
#[test]
fn fuzz_a_boundary_made_by_a_rewrite_does_not_change_the_second_pass() {
    let input = br#"{"token":12346xoxp-BeEdXNl0rizat0Authion}"#;
    let once = line(input);
    assert!(!contains(&once, b"xoxp-"), "{}", String::from_utf8_lossy(&once));
    assert_eq!(line(&once), once, "idempotent");
}

/// fuzz `scrub_line` (this stop): the same with a trailing `\b`: `AKIA…` glued to `ya29.…`
/// matched only once the Google token beside it was redacted. The AWS pattern ends without it.
#[test]
fn fuzz_a_trailing_boundary_made_by_a_rewrite_does_not_change_the_second_pass() {
    let input = b"key AKIAABCDEFGHIJKLMNOPya29.aaaaaaaaaaaaaaaaaaaaaaaa";
    let once = line(input);
    assert!(!contains(&once, b"AKIA") && !contains(&once, b"ya29."), "{}", String::from_utf8_lossy(&once));
    assert_eq!(line(&once), once, "idempotent");
}

/// fuzz `scrub_line` (this stop): `authorization: baOxoxa-OOOO… <credential>`. The first pass
/// rewrote the credential and the Slack-shaped tail of the scheme word; the second read
/// `baO[REDACTED` as the value. A line whose edit changes how a neighbouring word byte reads is
/// now scrubbed again until it stops changing (`Scrubber::settle`).
#[test]
fn fuzz_a_rewrite_that_changes_how_its_neighbours_read_settles_on_the_first_pass() {
    let input = b"authorization: baOxoxa-OOOOOOOOOOOOOO \0\0\0OOxoxa-OOOOOOOOOOOOOO\0\0E";
    let once = line(input);
    assert!(!contains(&once, b"xoxa-"), "{}", String::from_utf8_lossy(&once));
    assert_eq!(line(&once), once, "idempotent");
    // A user pattern with `\b` next to a value that gets rewritten: the same.
    let rules = Rules::from_toml(
        "r.toml",
        "[[secret_keys]]\nnames = [\"token\"]\n[[patterns]]\nname = \"t\"\nregex = '\\bxox[ab]-[0-9A-Za-z]{10,}'\n",
    )
    .unwrap();
    let s = Scrubber::new(&rules).unwrap();
    let once = s.scrub_line(br#"{"token":12346xoxb-BeEdXNl0rizat0}"#, &mut Scratch::default()).into_owned();
    assert!(!contains(&once, b"xoxb-"), "{}", String::from_utf8_lossy(&once));
    assert_eq!(s.scrub_line(&once, &mut Scratch::default()).into_owned(), once);
}

/// fuzz `scrub_line` (this stop, after 1.1 M executions): the token cache took a cached token
/// for the whole of a longer one whose next segment followed a `%2e` separator, so a warm
/// scratch and a cold one rewrote the line differently. `%2E` now continues a token for the
/// cache as `.` does.
#[test]
fn fuzz_the_token_cache_knows_percent_encoded_separators() {
    let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256"}"#);
    let p = URL_SAFE_NO_PAD.encode(br#"{"sub":"someone"}"#);
    let input = format!("t {h}.{p} {h}.{p}%2e{p}sig");
    let s = scrubber();
    let mut warm = Scratch::default();
    let _ = s.scrub_line(input.as_bytes(), &mut warm);
    let warm_out = s.scrub_line(input.as_bytes(), &mut warm).into_owned();
    let cold_out = s.scrub_line(input.as_bytes(), &mut Scratch::default()).into_owned();
    assert_eq!(String::from_utf8_lossy(&warm_out), String::from_utf8_lossy(&cold_out));
    assert!(!contains(&cold_out, b"sig"), "{}", String::from_utf8_lossy(&cold_out));
}

/// A Docker json-file line carrying `msg` on stdout.
fn docker_line(msg: &str) -> String {
    format!(r#"{{"log":{},"stream":"stdout","time":"2024-05-01T10:00:00Z"}}"#, serde_json::to_string(msg).unwrap())
}

#[test]
fn fuzz_a_separator_inside_a_quoted_key_stays_in_the_key() {
    // fuzz/regressions/format_docker/crash-6bc024…: `"id_token:":"<jwt>"` read raw took the
    // first `:` for the separator and `":"` for a quoted value, so `:` became `[REDACTED]`;
    // the same line walked as JSON (it had an escape) kept its key. A Docker line whose
    // message changed from one to the other between passes was not idempotent.
    let (tok, sig) = jws(HS256, br#"{"sub":"u1","n":1}"#, 52);
    let inner = format!(r#"{{"password":"p\"w","id_token:":"{tok}"}}"#);
    let docker = docker_line(&inner);
    for (f, line) in [(Format::Docker, &docker), (Format::Auto, &docker), (Format::Raw, &inner), (Format::Json, &inner)]
    {
        let out = format_idempotent(f, line.as_bytes());
        assert!(!contains(&out, sig.as_bytes()) && !contains(&out, b"p\\\"w"), "{f}: {}", out.escape_ascii());
        assert!(
            contains(&out, br#"id_token:\":\"eyJ"#) || contains(&out, br#"id_token:":"eyJ"#),
            "{f}: {}",
            out.escape_ascii()
        );
    }
    let raw = format_idempotent(Format::Raw, br#"x "token:":"abc" y"#);
    assert_eq!(raw, br#"x "token:":"[REDACTED]" y"#);
}

#[test]
fn fuzz_a_blank_value_is_judged_the_same_decoded_and_escaped() {
    // fuzz/regressions/format_docker/crash-d58450…: a Docker message ending in `"id_token":"`
    // and a newline. Walked as JSON (the line had an escape that can hide a secret), the
    // decoded value was the newline: blank, left alone. Read raw on the second pass (the
    // escape had been redacted), the value was the two bytes `\n` and became `[REDACTED]`.
    let inner = "token=x\",\"password\":\"p\\\"w\",\"id_token\":\"\n";
    let docker = docker_line(inner);
    for f in [Format::Docker, Format::Auto] {
        let out = format_idempotent(f, docker.as_bytes());
        assert!(contains(&out, br#"id_token\":\"\n""#), "{f}: {}", out.escape_ascii());
        assert!(!contains(&out, b"p\\\\\\\"w"), "{f}: {}", out.escape_ascii());
    }
    assert_eq!(format_idempotent(Format::Raw, br#"a "k":"v","token":"\n\t" b"#), br#"a "k":"v","token":"\n\t" b"#);
}

#[test]
fn fuzz_a_tab_escaped_after_a_scheme_word_separates_the_credential() {
    // fuzz/regressions/format_json/crash-minimized-583e63: `Authorization:Be\t\u0015` in a
    // line walked as JSON (it had a `\\`) was read decoded: the scheme `Be`, a tab, the
    // credential. Re-encoded, the tab is `\t` again; read raw on the second pass, `\t` was no
    // separator, so the value was `Be` alone and was redacted. The same raw reading left the
    // credential after any scheme word but Bearer and Basic in clear on the first pass. An
    // escaped tab now separates a scheme word from its credential, decoded or raw.
    let out = format_idempotent(Format::Json, br#"{"level":"info","msg":"Authorization:Be\t\u0015,password:\"h\\m"}"#);
    assert_eq!(out, br#"{"level":"info","msg":"Authorization:Be\t[REDACTED],password:\"[REDACTED]"}"#);
    let (tok, sig) = jws(HS256, br#"{"sub":"u1"}"#, 53);
    let opaque = noise(40, 54);
    for (scheme, cred, secret) in [("JWT", tok.as_str(), sig.as_str()), ("SSWS", opaque.as_str(), opaque.as_str())] {
        let json = format!(r#"{{"msg":"Authorization: {scheme}\t{cred}","n":1}}"#);
        let docker = docker_line(&format!("Authorization: {scheme}\t{cred}\n"));
        for (f, line) in [(Format::Json, &json), (Format::Auto, &json), (Format::Raw, &json), (Format::Docker, &docker)]
        {
            let out = format_idempotent(f, line.as_bytes());
            assert!(!contains(&out, secret.as_bytes()), "{f}: {}", out.escape_ascii());
            assert!(contains(&out, format!(r"Authorization: {scheme}\t").as_bytes()), "{f}: {}", out.escape_ascii());
        }
    }
}
