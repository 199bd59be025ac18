//! Container log formats (`--format`, `src/format/`), issue 4.
//!
//! Docker json-file lines are written here as Docker's json-file driver writes them (fields
//! `log`, `stream`, `time` in that order; Go's escaping: `\u003c` `\u003e` `\u0026`, control
//! bytes escaped; the message's `\n` at the end of `log`), CRI lines as containerd writes them
//! (RFC 3339 nano time, stream, `P`/`F` tag, message). Tokens are minted per run (HS256, a
//! random secret, random claims): no token string is ever written in this file.

#![allow(unreachable_pub)]
// Every string sliced here is ASCII: tokens, generated messages, escaped output.
#![allow(clippy::string_slice)]

use std::io::{self, Read, Write};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use logscrub::format::{ChunkInfo, Format, FormatScrubber, FormatState};
use logscrub::frame::{FrameConfig, Framer};
use logscrub::io::stream::scrub_stream_format;
use logscrub::rules::DEFAULT_RULES_TOML;
use logscrub::{Rules, Scratch, Scrubber, Stats};
use proptest::prelude::*;
use rand::Rng;
use rand::distributions::{Alphanumeric, DistString};
use serde_json::Value;

// ---- tokens and secrets ----------------------------------------------------------------------

/// A freshly minted HS256 JWT and the parts that must not survive scrubbing.
struct Jwt {
    token: String,
    payload: String,
    signature: String,
}

fn mint() -> Jwt {
    let mut rng = rand::thread_rng();
    let secret: [u8; 32] = rng.r#gen();
    let claims = serde_json::json!({
        "sub": alnum(12),
        "email": format!("{}@example.com", alnum(10).to_lowercase()),
        "name": alnum(14),
        "iss": "https://idp.example.com",
        "exp": 4_000_000_000u64 + rng.gen_range(0..100_000u64),
    });
    let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(&secret))
        .expect("HS256 signs");
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    Jwt { payload: parts[1].to_string(), signature: parts[2].to_string(), token }
}

fn alnum(n: usize) -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), n)
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Asserts no part of `t` that must vanish is in `out`.
fn assert_gone(out: &[u8], t: &Jwt, what: &str) {
    assert!(!contains(out, &t.signature), "{what}: the signature survived\n{}", show(out));
    assert!(!contains(out, &t.payload), "{what}: the original payload survived\n{}", show(out));
}

fn show(b: &[u8]) -> String {
    let s = b.escape_ascii().to_string();
    if s.len() > 3000 { format!("{}…[{} bytes]", &s[..3000], s.len()) } else { s }
}

// ---- what the runtimes write -------------------------------------------------------------------

/// A string body as Docker's json-file driver (Go) writes it.
fn go_string(s: &str) -> String {
    let mut o = String::new();
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            '<' => o.push_str("\\u003c"),
            '>' => o.push_str("\\u003e"),
            '&' => o.push_str("\\u0026"),
            '\u{2028}' => o.push_str("\\u2028"),
            '\u{2029}' => o.push_str("\\u2029"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o
}

/// RFC 3339 with nanoseconds, trailing zeros trimmed (Go's `RFC3339Nano`).
fn time(n: u64) -> String {
    let (secs, nanos) = (n / 1_000_000_000, n % 1_000_000_000);
    let mut frac = format!("{nanos:09}");
    while frac.ends_with('0') {
        frac.pop();
    }
    let (m, s) = (secs / 60 % 60, secs % 60);
    if frac.is_empty() {
        format!("2024-05-01T10:{m:02}:{s:02}Z")
    } else {
        format!("2024-05-01T10:{m:02}:{s:02}.{frac}Z")
    }
}

/// One json-file line for one message (the driver appends the message's newline to `log`).
fn docker_line(msg: &str, stream: &str, t: u64) -> String {
    format!("{{\"log\":\"{}\",\"stream\":\"{stream}\",\"time\":\"{}\"}}\n", go_string(&format!("{msg}\n")), time(t))
}

/// One CRI line as containerd writes it.
fn cri_line(t: u64, stream: &str, tag: char, msg: &str) -> String {
    format!("{} {stream} {tag} {msg}\n", time(t))
}

/// Splits a CRI line into (prefix `time stream tag`, message).
fn cri_parts(line: &str) -> Option<(&str, &str)> {
    let mut it = line.splitn(4, ' ');
    let (t, s, tag) = (it.next()?, it.next()?, it.next()?);
    let ok = t.len() > 11 && t.as_bytes()[10] == b'T' && (s == "stdout" || s == "stderr") && (tag == "P" || tag == "F");
    ok.then(|| (&line[..t.len() + s.len() + tag.len() + 2], it.next().unwrap_or("")))
}

// ---- running the format layer --------------------------------------------------------------------

fn scrubber() -> &'static Scrubber {
    static S: OnceLock<Scrubber> = OnceLock::new();
    S.get_or_init(|| Scrubber::new(&Rules::embedded()).expect("default rules"))
}

/// A reader that returns at most `n` bytes per read.
struct Trickle<'a>(&'a [u8], usize);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.1.min(buf.len()).min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

fn run_with(s: &Scrubber, format: Format, input: &[u8], per_read: usize, cap: usize) -> (Vec<u8>, Stats) {
    let fmt = FormatScrubber::new(s, format, cap);
    let mut framer = Framer::new(FrameConfig::default());
    let mut st = FormatState::default();
    let mut out = Vec::new();
    let stats = scrub_stream_format(&fmt, &mut framer, &mut st, &mut Trickle(input, per_read), &mut out, None)
        .expect("in-memory I/O");
    (out, stats)
}

fn run(format: Format, input: &[u8]) -> (Vec<u8>, Stats) {
    run_with(scrubber(), format, input, 1 << 20, 8 << 20)
}

fn lines(b: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(b).lines().map(str::to_string).collect()
}

/// Runs the binary with `stdin`; returns (exit code, stdout, stderr).
fn bin(args: &[&str], stdin: &[u8]) -> (i32, Vec<u8>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_logscrub"));
    cmd.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("LOGSCRUB_") {
            cmd.env_remove(k);
        }
    }
    let mut child = cmd.spawn().expect("run logscrub");
    let mut w = child.stdin.take().expect("stdin");
    let input = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = w.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait");
    feeder.join().expect("feeder");
    (out.status.code().unwrap_or(-1), out.stdout, String::from_utf8_lossy(&out.stderr).into_owned())
}

// ---- Docker json-file ------------------------------------------------------------------------------

/// Checks an output json-file line against its input: valid JSON, keys `log`, `stream`, `time`
/// in that order, and every byte after the `log` string unchanged. Returns the decoded `log`.
fn check_docker(input: &str, out: &str) -> String {
    let v: Value = serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"));
    let keys: Vec<&str> = v.as_object().expect("an object").keys().map(String::as_str).collect();
    assert_eq!(keys, ["log", "stream", "time"], "{out}");
    let tail = |l: &str| l[l.rfind("\",\"stream\":").expect("stream field")..].to_string();
    assert_eq!(tail(input), tail(out), "bytes after `log` changed");
    v["log"].as_str().expect("log is a string").to_string()
}

#[test]
fn docker_lines_keep_their_envelope_and_lose_their_secrets() {
    let (t1, t2, t3, t4) = (mint(), mint(), mint(), mint());
    let (pw1, pw2, pw3) = (alnum(16), alnum(18), alnum(20));
    let msgs: Vec<(String, Option<String>)> = vec![
        (format!("GET /cb?access_token={}&state=<x> HTTP/1.1", t1.token), None),
        (format!("Authorization: Bearer {}", t2.token), None),
        // The application logs JSON: escaped once inside `log`.
        (format!(r#"{{"level":"info","user":"bob","token":"{}","note":"a <b> & c"}}"#, t3.token), None),
        // JSON holding JSON in a string: escaped twice inside `log`; the raw scan cannot see it.
        (
            format!(r#"{{"msg":"request","body":"{{\"password\":\"{pw1}\",\"user\":\"bob\"}}"}}"#),
            Some(r#"{"msg":"request","body":"{\"password\":\"[REDACTED]\",\"user\":\"bob\"}"}"#.to_string() + "\n"),
        ),
        // A tab after the key: `\t` inside `log`.
        (format!("login password:\t{pw2} ok"), Some("login password:\t[REDACTED] ok\n".to_string())),
        (format!("\u{1b}[32mINFO\u{1b}[0m id_token={} & more", t4.token), None),
        (format!("db_password={pw3} <host>"), Some("db_password=[REDACTED] <host>\n".to_string())),
        ("nothing to see <b>here</b> & \"quoted\" \\ done".to_string(), None),
        ("é ünïcode \u{2028} line sep".to_string(), None),
    ];
    let mut input = String::new();
    for (i, (m, _)) in msgs.iter().enumerate() {
        input.push_str(&docker_line(m, if i % 2 == 0 { "stdout" } else { "stderr" }, 1_000_000_123 + i as u64 * 7));
    }
    for format in [Format::Auto, Format::Docker] {
        for per_read in [7, 4096, 1 << 20] {
            let (out, stats) = run_with(scrubber(), format, input.as_bytes(), per_read, 8 << 20);
            let (ins, outs) = (lines(input.as_bytes()), lines(&out));
            assert_eq!(ins.len(), outs.len(), "{format}: line count\n{}", show(&out));
            for (k, (i, o)) in ins.iter().zip(&outs).enumerate() {
                let log = check_docker(i, o);
                if let Some(want) = &msgs[k].1 {
                    assert_eq!(&log, want, "{format}: line {k}");
                }
            }
            for t in [&t1, &t2, &t3, &t4] {
                assert_gone(&out, t, &format!("{format}/{per_read}"));
            }
            for pw in [&pw1, &pw2, &pw3] {
                assert!(!contains(&out, pw), "{format}: {pw} survived\n{}", show(&out));
            }
            // Clean lines are byte-identical.
            assert_eq!(ins[7], outs[7]);
            assert_eq!(ins[8], outs[8]);
            assert_eq!(stats.format_fallbacks, 0);
            assert_eq!(stats.lines, ins.len() as u64);
            assert_eq!(stats.lines_changed, 7, "{stats:?}");
            assert_eq!(stats.findings.jws, 4, "{stats:?}");
            assert_eq!(stats.findings.secret_key, 3, "{stats:?}");
        }
    }
    // Raw scrubbing misses the secrets hidden by escapes: that is what decoding is for.
    let (raw, _) = run(Format::Raw, input.as_bytes());
    assert!(contains(&raw, &pw1) && contains(&raw, &pw2));
}

#[test]
fn docker_rewrites_keep_go_escaping_around_the_change() {
    let pw = alnum(16);
    let line = docker_line(&format!("<a href=\"/x?y=1&z=2\">\tpassword:\t{pw}</a> & done"), "stdout", 5);
    let (out, _) = run(Format::Auto, line.as_bytes());
    let want = line.replace(&pw, "[REDACTED]");
    assert_eq!(String::from_utf8(out).unwrap(), want);
}

#[test]
fn a_rewrite_that_would_break_the_json_is_redone_on_the_decoded_message() {
    // The core redacts an unterminated `'` value to the end of the line: raw, that would eat
    // the closing quote and the other fields. The line is then scrubbed as a message instead.
    let pw = alnum(12);
    let line = docker_line(&format!("login password='{pw} failed"), "stderr", 42);
    for format in [Format::Auto, Format::Docker] {
        let (out, stats) = run(format, line.as_bytes());
        let out = String::from_utf8(out).unwrap();
        let log = check_docker(line.trim_end(), out.trim_end());
        assert_eq!(log, "login password='[REDACTED]\n");
        assert_eq!((stats.findings.secret_key, stats.lines_changed, stats.format_fallbacks), (1, 1, 0), "{stats:?}");
    }
    let (raw, _) = run(Format::Raw, line.as_bytes());
    assert!(serde_json::from_slice::<Value>(&raw).is_err(), "raw scrubbing breaks this line");
}

#[test]
fn docker_attrs_are_scrubbed_too() {
    let (pw, t) = (alnum(14), mint());
    let line = format!(
        "{{\"log\":\"GET /x \\u0026 id_token={} \\\\ done\\n\",\"stream\":\"stdout\",\"attrs\":{{\"DB_PASSWORD\":\"{pw}\",\"app\":\"web\"}},\"time\":\"{}\"}}\n",
        t.token,
        time(3)
    );
    for format in [Format::Auto, Format::Docker] {
        let (out, stats) = run(format, line.as_bytes());
        let out = String::from_utf8(out).unwrap();
        let v: Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(v["attrs"]["DB_PASSWORD"], "[REDACTED]", "{out}");
        assert_eq!(v["attrs"]["app"], "web");
        assert!(v["log"].as_str().unwrap().ends_with(".REDACTED \\ done\n"), "{out}");
        assert_gone(out.as_bytes(), &t, "attrs");
        assert_eq!(stats.findings.secret_key, 1);
        assert_eq!(stats.findings.jws, 1);
    }
}

#[test]
fn a_docker_line_longer_than_the_window_is_scrubbed_raw_in_windows() {
    let t = mint();
    let msg = format!("{} Authorization: Bearer {} end", "word ".repeat(70_000), t.token);
    let line = docker_line(&msg, "stdout", 1) + &docker_line("next", "stdout", 2);
    let fmt = FormatScrubber::new(scrubber(), Format::Docker, 256 * 1024);
    let mut framer = Framer::new(FrameConfig { initial: 64 * 1024, max_window: 256 * 1024 });
    let mut st = FormatState::default();
    let mut out = Vec::new();
    let stats = scrub_stream_format(&fmt, &mut framer, &mut st, &mut line.as_bytes(), &mut out, None).unwrap();
    assert!(stats.long_line_cuts >= 1, "{stats:?}");
    assert_eq!(stats.format_fallbacks, 0, "the tail of a cut line is not a malformed line: {stats:?}");
    assert_gone(&out, &t, "long docker line");
    for (i, o) in lines(line.as_bytes()).iter().zip(lines(&out)) {
        check_docker(i, &o);
    }
}

/// One json-file line for a part of a message Docker cut (at 16 KiB): no final newline in `log`.
fn docker_part(part: &str, stream: &str, t: u64) -> String {
    format!("{{\"log\":\"{}\",\"stream\":\"{stream}\",\"time\":\"{}\"}}\n", go_string(part), time(t))
}

/// Checks output json-file lines against input lines (same count, each a valid line with its
/// envelope unchanged); returns the joined `log`s of stdout and stderr.
fn check_docker_parts(input: &[u8], out: &[u8]) -> (String, String) {
    let (ins, outs) = (lines(input), lines(out));
    assert_eq!(ins.len(), outs.len(), "line count\n{}\n--\n{}", show(input), show(out));
    let (mut so, mut se) = (String::new(), String::new());
    for (i, o) in ins.iter().zip(&outs) {
        let log = check_docker(i, o);
        if o.contains(r#","stream":"stdout","#) { so.push_str(&log) } else { se.push_str(&log) }
    }
    (so, se)
}

#[test]
fn docker_token_cut_across_parts_at_every_offset_is_redacted() {
    let t = mint();
    let msg = format!("GET /a?x=<1> Authorization: Bearer {} done & ok", t.token);
    let start = msg.find("eyJ").unwrap();
    for cut in 1..msg.len() {
        let input = [
            docker_part(&msg[..cut], "stdout", 1),
            docker_line("interleaved stderr line", "stderr", 2),
            docker_line(&msg[cut..], "stdout", 3),
        ]
        .concat();
        for format in [Format::Auto, Format::Docker] {
            let (out, stats) = run(format, input.as_bytes());
            assert_gone(&out, &t, &format!("{format}: cut at {cut}"));
            let (so, se) = check_docker_parts(input.as_bytes(), &out);
            assert_eq!(se, "interleaved stderr line\n");
            assert!(so.starts_with("GET /a?x=<1> Authorization: Bearer eyJ"), "{cut}: {so}");
            assert!(so.ends_with(".REDACTED done & ok\n"), "{cut}: {so}");
            // A cut before the token stays where it was, Go escaping and all.
            if cut <= start {
                assert_eq!(lines(&out)[0], lines(input.as_bytes())[0], "{cut}");
            }
            assert_eq!((stats.findings.jws, stats.lines, stats.format_fallbacks), (1, 3, 0), "{cut}: {stats:?}");
        }
    }
}

#[test]
fn docker_secret_value_cut_across_parts_is_redacted() {
    let pw = alnum(24);
    let msg = format!("user=bob password={pw} status=ok");
    for cut in 1..msg.len() {
        let input = [docker_part(&msg[..cut], "stderr", 1), docker_line(&msg[cut..], "stderr", 2)].concat();
        let (out, _) = run(Format::Auto, input.as_bytes());
        let (_, se) = check_docker_parts(input.as_bytes(), &out);
        assert_eq!(se, "user=bob password=[REDACTED] status=ok\n", "{cut}");
        assert!(!contains(&out, &pw[..8]) && !contains(&out, &pw[16..]), "{cut}: {}", show(&out));
    }
}

#[test]
fn clean_docker_parts_come_out_byte_identical() {
    let msg = "a long message <cut> by the \"runtime\" into parts, é ü \t nothing secret & done ".repeat(30);
    let chars: Vec<char> = msg.chars().collect();
    let mut input = String::new();
    let mut t = 0;
    for part in chars.chunks(97) {
        t += 1;
        input.push_str(&docker_part(&part.iter().collect::<String>(), "stdout", t));
        input.push_str(&docker_line("other stream", "stderr", t));
    }
    input.push_str(&docker_line("", "stdout", t + 1));
    // An unfinished message at the end of the input, without a final newline.
    input.push_str(docker_part("unfinished", "stderr", t + 2).trim_end());
    for format in [Format::Auto, Format::Docker] {
        for per_read in [5, 100, 1 << 20] {
            let (out, stats) = run_with(scrubber(), format, input.as_bytes(), per_read, 8 << 20);
            assert_eq!(show(&out), show(input.as_bytes()));
            assert_eq!(stats.lines_changed, 0);
        }
    }
}

#[test]
fn docker_parts_are_joined_by_the_parallel_path_too() {
    let toks: Vec<Jwt> = (0..40).map(|_| mint()).collect();
    let mut input = String::new();
    for (i, t) in toks.iter().enumerate() {
        let msg = format!("req {i} Bearer {} end", t.token);
        let cut = 10 + i * 7 % (msg.len() - 20);
        input.push_str(&docker_part(&msg[..cut], "stdout", i as u64 * 3));
        input.push_str(&docker_line(&format!("filler {}", "x".repeat(3000)), "stderr", i as u64 * 3 + 1));
        input.push_str(&docker_line(&msg[cut..], "stdout", i as u64 * 3 + 2));
    }
    let (c1, one, e1) = bin(&["-j1"], input.as_bytes());
    let (c2, two, e2) = bin(&["-j2"], input.as_bytes());
    assert_eq!((c1, c2), (0, 0), "{e1}{e2}");
    assert_eq!(show(&one), show(&two));
    for t in &toks {
        assert_gone(&two, t, "-j2");
    }
    check_docker_parts(input.as_bytes(), &two);
}

#[test]
fn docker_parts_are_joined_in_docker_input_and_with_format_docker() {
    // `auto` joins Docker parts when the input's first line is a json-file line (a Docker
    // log file); after another first line it leaves them as lines of their own, however the
    // input is read. `--format docker` joins them anyway.
    let t = mint();
    let msg = format!("Authorization: Bearer {} done", t.token);
    let cut = msg.find('.').unwrap() + 5;
    let parts = [docker_part(&msg[..cut], "stdout", 1), docker_line(&msg[cut..], "stdout", 2)].concat();
    let docker_first = parts.clone() + "plain text line\n";
    let text_first = "plain text line\n".to_string() + &parts;
    for per_read in [3, 64, 1 << 20] {
        let (out, _) = run_with(scrubber(), Format::Auto, docker_first.as_bytes(), per_read, 8 << 20);
        assert_gone(&out, &t, "docker first");
        let (out, _) = run_with(scrubber(), Format::Docker, text_first.as_bytes(), per_read, 8 << 20);
        assert_gone(&out, &t, "--format docker");
        let (out, _) = run_with(scrubber(), Format::Auto, text_first.as_bytes(), per_read, 8 << 20);
        assert!(contains(&out, &t.signature), "auto after a text line joins nothing: {}", show(&out));
    }
}

#[test]
fn a_docker_stream_that_never_ends_its_message_stays_under_the_cap() {
    const CAP: usize = 64 * 1024;
    let t = mint();
    let word = "lorem ipsum dolor sit amet ".repeat(37);
    let mut input = String::new();
    let mut n = 0;
    for _ in 0..60 {
        n += 1;
        input.push_str(&docker_part(&word, "stdout", n));
    }
    let half = t.token.len() / 2;
    n += 1;
    input.push_str(&docker_part(&format!("{word} Authorization: Bearer {}", &t.token[..half]), "stdout", n));
    n += 1;
    input.push_str(&docker_part(&t.token[half..], "stdout", n));
    for _ in 0..400 {
        n += 1;
        input.push_str(&docker_part(&word, "stdout", n));
        n += 1;
        input.push_str(&docker_line("the other stream keeps talking", "stderr", n));
    }
    let read = std::rc::Rc::new(std::cell::Cell::new(0));
    let fmt = FormatScrubber::new(scrubber(), Format::Docker, CAP);
    let mut framer = Framer::new(FrameConfig { initial: 64 * 1024, max_window: 256 * 1024 });
    let mut st = FormatState::default();
    let mut sink = Lag { read: read.clone(), written: 0, max: 0, out: Vec::new() };
    let mut rdr = Counting { inner: Trickle(input.as_bytes(), 4096), read };
    let stats = scrub_stream_format(&fmt, &mut framer, &mut st, &mut rdr, &mut sink, None).unwrap();
    // Docker lines are kept whole to be written back, so more is held than for CRI.
    assert!(sink.max <= 2 * CAP + 16 * 1024, "output lagged {} bytes behind input (cap {CAP})", sink.max);
    assert!(stats.partial_groups_capped >= 5, "{stats:?}");
    assert_gone(&sink.out, &t, "capped");
    check_docker_parts(input.as_bytes(), &sink.out);
}

// ---- CRI -------------------------------------------------------------------------------------------

/// Checks output CRI lines against input lines: same count, same prefixes, valid lines.
/// Returns the joined messages of stdout and stderr.
fn check_cri(input: &[u8], out: &[u8]) -> (String, String) {
    let (ins, outs) = (lines(input), lines(out));
    assert_eq!(ins.len(), outs.len(), "line count\n{}\n--\n{}", show(input), show(out));
    let (mut so, mut se) = (String::new(), String::new());
    for (i, o) in ins.iter().zip(&outs) {
        let (pi, _) = cri_parts(i).expect("input is CRI");
        let (po, msg) = cri_parts(o).unwrap_or_else(|| panic!("not a CRI line: {o}"));
        assert_eq!(pi, po, "prefix changed");
        if po.contains(" stdout ") {
            so.push_str(msg)
        } else {
            se.push_str(msg)
        }
        if po.ends_with(" F") {
            if po.contains(" stdout ") { so.push('\n') } else { se.push('\n') }
        }
    }
    (so, se)
}

#[test]
fn cri_token_split_at_every_offset_is_redacted() {
    let t = mint();
    let msg = format!("Authorization: Bearer {} done", t.token);
    let start = msg.find("eyJ").unwrap();
    for cut in 1..msg.len() {
        for second in [1, 7, 40] {
            let cut2 = (cut + second).min(msg.len());
            let input = [
                cri_line(1, "stdout", 'P', &msg[..cut]),
                cri_line(2, "stderr", 'F', "interleaved stderr line"),
                cri_line(3, "stdout", 'P', &msg[cut..cut2]),
                cri_line(4, "stdout", 'F', &msg[cut2..]),
            ]
            .concat();
            let (out, stats) = run(Format::Cri, input.as_bytes());
            assert_gone(&out, &t, &format!("cut at {cut}+{second}"));
            let (so, se) = check_cri(input.as_bytes(), &out);
            assert_eq!(se, "interleaved stderr line\n");
            assert!(so.starts_with("Authorization: Bearer eyJ") && so.ends_with(".REDACTED done\n"), "{cut}: {so}");
            // A cut before the token stays where it was.
            if cut <= start {
                assert!(lines(&out)[0].ends_with(&msg[..cut]), "{cut}: {}", show(&out));
            }
            assert_eq!(stats.findings.jws, 1, "{cut}");
            assert_eq!(stats.lines, 4);
        }
    }
}

#[test]
fn cri_secret_value_split_at_every_offset_is_redacted() {
    let pw = alnum(24);
    let msg = format!("user=bob password={pw} status=ok");
    for cut in 1..msg.len() {
        let input = [cri_line(1, "stderr", 'P', &msg[..cut]), cri_line(2, "stderr", 'F', &msg[cut..])].concat();
        for format in [Format::Auto, Format::Cri] {
            let (out, _) = run(format, input.as_bytes());
            let (_, se) = check_cri(input.as_bytes(), &out);
            assert_eq!(se, "user=bob password=[REDACTED] status=ok\n", "{cut}");
            assert!(!contains(&out, &pw[..8]) && !contains(&out, &pw[16..]), "{cut}: {}", show(&out));
        }
    }
}

#[test]
fn interleaved_partials_of_both_streams_are_joined_per_stream() {
    let (a, b) = (mint(), mint());
    let ma = format!("out {} end", a.token);
    let mb = format!("err Bearer {} end", b.token);
    let (a1, a2) = (ma.len() / 3, 2 * ma.len() / 3);
    let b1 = mb.len() / 2;
    let input = [
        cri_line(1, "stdout", 'P', &ma[..a1]),
        cri_line(2, "stderr", 'P', &mb[..b1]),
        cri_line(3, "stdout", 'P', &ma[a1..a2]),
        cri_line(4, "stderr", 'F', &mb[b1..]),
        cri_line(5, "stdout", 'F', "plain F in between? no: this ends stdout's group"),
    ]
    .concat();
    // stdout's group is P P F: its message is ma[..a2] + the last line.
    let (out, _) = run(Format::Auto, input.as_bytes());
    let (so, se) = check_cri(input.as_bytes(), &out);
    assert!(se.starts_with("err Bearer [REDACTED]") || se.starts_with("err Bearer eyJ"), "{se}");
    assert!(!se.contains(&b.signature));
    assert_gone(&out, &b, "stderr");
    assert!(!so.contains(&a.signature[..a.signature.len().min(10)]) || !so.contains(&a.token));
    // Order is input order, line by line.
    let times: Vec<String> = lines(&out).iter().map(|l| l[..l.find(' ').unwrap()].to_string()).collect();
    assert_eq!(times, (1..=5).map(time).collect::<Vec<_>>());

    // Both tokens whole, both streams interleaved P/P/P/F/F.
    let input = [
        cri_line(1, "stdout", 'P', &ma[..a1]),
        cri_line(2, "stderr", 'P', &mb[..b1]),
        cri_line(3, "stdout", 'P', &ma[a1..a2]),
        cri_line(4, "stderr", 'F', &mb[b1..]),
        cri_line(5, "stdout", 'F', &ma[a2..]),
    ]
    .concat();
    for per_read in [1, 13, 1 << 20] {
        let (out, stats) = run_with(scrubber(), Format::Cri, input.as_bytes(), per_read, 8 << 20);
        let (so, se) = check_cri(input.as_bytes(), &out);
        assert_gone(&out, &a, "stdout");
        assert_gone(&out, &b, "stderr");
        assert!(so.starts_with("out eyJ") && so.ends_with(".REDACTED end\n"), "{so}");
        assert!(se.starts_with("err Bearer eyJ") && se.ends_with(".REDACTED end\n"), "{se}");
        assert_eq!(stats.findings.jws, 2);
    }
}

#[test]
fn clean_partial_groups_come_out_byte_identical() {
    let msg = "a long message that the runtime cut into pieces, nothing secret in it".repeat(20);
    let mut input = String::new();
    let mut t = 0;
    for chunk in msg.as_bytes().chunks(97) {
        t += 1;
        input.push_str(&cri_line(t, "stdout", 'P', std::str::from_utf8(chunk).unwrap()));
        input.push_str(&cri_line(t, "stderr", 'F', "other stream"));
    }
    input.push_str(&cri_line(t + 1, "stdout", 'F', ""));
    // No trailing newline on the last line, a P line at the end of the input.
    input.push_str(cri_line(t + 2, "stderr", 'P', "unfinished").trim_end());
    for per_read in [5, 100, 1 << 20] {
        let (out, stats) = run_with(scrubber(), Format::Auto, input.as_bytes(), per_read, 8 << 20);
        assert_eq!(show(&out), show(input.as_bytes()));
        assert_eq!(stats.lines_changed, 0);
    }
}

/// Tracks how far output lags behind input.
struct Lag {
    read: std::rc::Rc<std::cell::Cell<usize>>,
    written: usize,
    max: usize,
    out: Vec<u8>,
}

impl Write for Lag {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.written += buf.len();
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.max = self.max.max(self.read.get().saturating_sub(self.written));
        Ok(())
    }
}

struct Counting<'a> {
    inner: Trickle<'a>,
    read: std::rc::Rc<std::cell::Cell<usize>>,
}

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n);
        Ok(n)
    }
}

#[test]
fn a_stream_that_never_ends_its_partials_stays_under_the_cap() {
    const CAP: usize = 64 * 1024;
    let t = mint();
    let mut input = String::new();
    let word = "lorem ipsum dolor sit amet ".repeat(37); // ~1 KiB, short runs
    let mut n = 0;
    for _ in 0..60 {
        n += 1;
        input.push_str(&cri_line(n, "stdout", 'P', &word));
    }
    // A token cut across partials right where the cap forces the group out.
    let half = t.token.len() / 2;
    n += 1;
    input.push_str(&cri_line(n, "stdout", 'P', &format!("{} Authorization: Bearer {}", word, &t.token[..half])));
    n += 1;
    input.push_str(&cri_line(n, "stdout", 'P', &t.token[half..]));
    for _ in 0..400 {
        n += 1;
        input.push_str(&cri_line(n, "stdout", 'P', &word));
        n += 1;
        input.push_str(&cri_line(n, "stderr", 'F', "the other stream keeps talking"));
    }
    let read = std::rc::Rc::new(std::cell::Cell::new(0));
    let fmt = FormatScrubber::new(scrubber(), Format::Cri, CAP);
    let mut framer = Framer::new(FrameConfig { initial: 64 * 1024, max_window: 256 * 1024 });
    let mut st = FormatState::default();
    let mut sink = Lag { read: read.clone(), written: 0, max: 0, out: Vec::new() };
    let mut rdr = Counting { inner: Trickle(input.as_bytes(), 4096), read };
    let stats = scrub_stream_format(&fmt, &mut framer, &mut st, &mut rdr, &mut sink, None).unwrap();
    assert!(sink.max <= CAP + 16 * 1024, "output lagged {} bytes behind input (cap {CAP})", sink.max);
    assert!(stats.partial_groups_capped >= 5, "{stats:?}");
    assert_gone(&sink.out, &t, "capped");
    check_cri(input.as_bytes(), &sink.out);
}

// ---- JSON lines and [[json_fields]] ---------------------------------------------------------------

fn field_scrubber() -> &'static Scrubber {
    static S: OnceLock<Scrubber> = OnceLock::new();
    S.get_or_init(|| {
        let extra = "\n[[json_fields]]\npaths = [\"password\", \"*.email\", \"headers.authorization\", \"$.ssn\"]\n";
        let rules = Rules::from_toml("fields.toml", &format!("{DEFAULT_RULES_TOML}{extra}")).expect("rules");
        Scrubber::new(&rules).expect("scrubber")
    })
}

const OBJ: &str = r#"{ "ts" : "2024-05-01", "user":{"email":"a@b.example","id":7}, "email":"top@x.example", "request":{"headers":{"Authorization":"Basic dXNlcjpwYXNz","x":"1"}}, "ssn":"123-45-6789", "nested":{"ssn":"kept"}, "list":[{"email":"l@x.example"},{"n":null}], "password":12345, "u":"caf\u00e9 <b>" }"#;
const OBJ_SCRUBBED: &str = r#"{ "ts" : "2024-05-01", "user":{"email":"[REDACTED]","id":7}, "email":"top@x.example", "request":{"headers":{"Authorization":"[REDACTED]","x":"1"}}, "ssn":"[REDACTED]", "nested":{"ssn":"kept"}, "list":[{"email":"[REDACTED]"},{"n":null}], "password":"[REDACTED]", "u":"caf\u00e9 <b>" }"#;

#[test]
fn json_fields_redact_by_name_and_path_and_keep_every_other_byte() {
    for format in [Format::Auto, Format::Json] {
        let input = format!("{OBJ}\n{{\"clean\":\"line\"}}\n");
        let (out, stats) = run_with(field_scrubber(), format, input.as_bytes(), 1 << 20, 8 << 20);
        assert_eq!(String::from_utf8(out).unwrap(), format!("{OBJ_SCRUBBED}\n{{\"clean\":\"line\"}}\n"), "{format}");
        assert_eq!(stats.lines_changed, 1);
        assert_eq!(stats.findings.secret_key, 5, "{stats:?}");
    }
    // Idempotent.
    let (again, _) = run_with(field_scrubber(), Format::Auto, OBJ_SCRUBBED.as_bytes(), 1 << 20, 8 << 20);
    assert_eq!(String::from_utf8(again).unwrap(), OBJ_SCRUBBED);
}

#[test]
fn json_fields_apply_inside_docker_and_cri_messages() {
    let compact: Value = serde_json::from_str(OBJ).unwrap();
    let msg = compact.to_string();
    let line = docker_line(&msg, "stdout", 9);
    let (out, _) = run_with(field_scrubber(), Format::Auto, line.as_bytes(), 1 << 20, 8 << 20);
    let out = String::from_utf8(out).unwrap();
    let log = check_docker(line.trim_end(), out.trim_end());
    let v: Value = serde_json::from_str(&log).unwrap();
    assert_eq!(v["user"]["email"], "[REDACTED]");
    assert_eq!(v["email"], "top@x.example");
    assert_eq!(v["request"]["headers"]["Authorization"], "[REDACTED]");
    assert_eq!(v["password"], "[REDACTED]");
    assert_eq!(v["u"], "café <b>");

    let line = cri_line(3, "stdout", 'F', &msg);
    let (out, _) = run_with(field_scrubber(), Format::Auto, line.as_bytes(), 1 << 20, 8 << 20);
    let out = String::from_utf8(out).unwrap();
    let (_, m) = cri_parts(out.trim_end()).unwrap();
    let v: Value = serde_json::from_str(m).unwrap();
    assert_eq!(v["list"][0]["email"], "[REDACTED]");
    assert_eq!(v["ssn"], "[REDACTED]");
}

#[test]
fn json_lines_get_token_rules_in_every_string() {
    let (t1, t2) = (mint(), mint());
    let pw = alnum(12);
    let line = format!(
        "{{\"a\":\"x {} y\",\"b\":[\"Bearer {}\"],\"c\":{{\"db_password\":\"{pw}\\tz\"}},\"d\":\"C:\\\\path\"}}\n",
        t1.token, t2.token
    );
    let (out, stats) = run(Format::Json, line.as_bytes());
    assert_gone(&out, &t1, "json");
    assert_gone(&out, &t2, "json");
    assert!(!contains(&out, &pw));
    let v: Value = serde_json::from_slice(&out).expect("still JSON");
    assert_eq!(v["c"]["db_password"], "[REDACTED]");
    assert_eq!(v["d"], "C:\\path");
    assert_eq!(stats.findings.jws, 2);
}

// ---- logfmt ------------------------------------------------------------------------------------------

#[test]
fn logfmt_secret_values_run_to_the_next_space() {
    let t = mint();
    let (p1, p2, p3) = (alnum(10), alnum(10), alnum(10));
    let input = format!(
        "level=info user=bob password={p1},{p2};x msg=\"done\"\n\
         api_key=\"{p3} with space\" token={{{p2}}} ok=1\n\
         authorization=\"Bearer {}\" id_token={}\n\
         level=debug msg=\"nothing secret, here\" password=null\n",
        t.token, t.token
    );
    let (out, stats) = run(Format::Logfmt, input.as_bytes());
    let out = String::from_utf8(out).unwrap();
    let got = lines(out.as_bytes());
    assert_eq!(got[0], "level=info user=bob password=[REDACTED] msg=\"done\"");
    assert_eq!(got[1], "api_key=\"[REDACTED]\" token=[REDACTED] ok=1");
    assert!(
        got[2].starts_with("authorization=\"Bearer eyJ") && got[2].contains(".REDACTED\" id_token=eyJ"),
        "{}",
        got[2]
    );
    assert_eq!(got[3], "level=debug msg=\"nothing secret, here\" password=null");
    assert_gone(out.as_bytes(), &t, "logfmt");
    for p in [&p1, &p2, &p3] {
        assert!(!out.contains(p.as_str()), "{p} survived: {out}");
    }
    assert_eq!(stats.lines_changed, 3);
    // Without --format logfmt the core's extent applies (the part after `,` stays).
    let (auto, _) = run(Format::Auto, input.as_bytes());
    assert!(contains(&auto, &p2));
}

// ---- malformed lines --------------------------------------------------------------------------------

#[test]
fn malformed_lines_are_scrubbed_raw_forwarded_and_counted() {
    let t = mint();
    let pw = alnum(12);
    let input = [
        format!("{{\"log\":\"token={pw} truncated"),
        format!("{{\"log\":\"bad \\x escape password={pw}\\n\",\"stream\":\"stdout\",\"time\":\"{}\"}}", time(1)),
        format!("{{\"a\": \"unterminated {} \n", t.token).trim_end().to_string(),
        format!("{} F no stream field password={pw}", time(2)),
        format!("{} stdout P ok password={pw}", time(3)),
        format!("{} stdout F  tail", time(4)),
        "\u{ff} plain".to_string(),
    ]
    .join("\n")
        + "\n";
    let mut input = input.into_bytes();
    input.extend_from_slice(b"{\"log\":\"\xff\xfe password=x1\\n\",\"stream\":\"stdout\",\"time\":\"t\"}\n");
    for format in [Format::Auto, Format::Docker, Format::Cri, Format::Json] {
        let (out, stats) = run(format, &input);
        assert_eq!(lines(&out).len(), lines(&input).len(), "{format}: a line was dropped\n{}", show(&out));
        assert!(!contains(&out, &pw), "{format}: {}", show(&out));
        assert!(!contains(&out, "x1"), "{format}: {}", show(&out));
        assert_gone(&out, &t, &format!("{format}"));
        assert!(stats.format_fallbacks >= 2, "{format}: {stats:?}");
        assert!(contains(&out, "truncated") && contains(&out, "no stream field") && contains(&out, " tail"));
    }
    let (out, stats) = run(Format::Cri, &input);
    assert!(contains(&out, &format!("{} F no stream field password=[REDACTED]", time(2))), "{}", show(&out));
    // Not CRI: the Docker-looking, JSON-looking and stream-less lines with a finding.
    assert_eq!(stats.format_fallbacks, 5, "{stats:?}");
}

// ---- properties -------------------------------------------------------------------------------------

/// Lines of every kind, built from text that may hold anything (quotes, backslashes, braces,
/// tabs, `stdout P `), so escapes and partial markers appear.
fn any_line() -> impl Strategy<Value = String> {
    let text = "[ -~\t]{0,60}|(stdout P |stderr F |\\\\|\\{|\"|=){1,6}";
    prop_oneof![
        text.prop_map(|t| t.to_string()),
        (text, any::<bool>(), 0..1_000_000u64).prop_map(|(t, e, n)| docker_line(
            &t,
            if e { "stderr" } else { "stdout" },
            n
        )
        .trim_end()
        .to_string()),
        (text, any::<bool>(), any::<bool>(), 0..1_000_000u64).prop_map(|(t, e, p, n)| {
            cri_line(n, if e { "stderr" } else { "stdout" }, if p { 'P' } else { 'F' }, &t).trim_end().to_string()
        }),
        text.prop_map(|t| format!("{{\"msg\":\"{}\",\"n\":1}}", go_string(&t))),
    ]
}

/// Whether the raw core finds nothing in the lines, in decoded Docker messages and in joined
/// CRI messages: then no format may change a byte.
fn clean(lines: &[String]) -> bool {
    let mut scratch = Scratch::default();
    let mut is_clean = |b: &[u8]| scrubber().scrub_line(b, &mut scratch).as_ref() == b;
    let mut joined = [String::new(), String::new()];
    for l in lines {
        if !is_clean(l.as_bytes()) {
            return false;
        }
        if let Ok(Value::Object(o)) = serde_json::from_str::<Value>(l) {
            for v in o.values() {
                if let Some(s) = v.as_str() {
                    if !is_clean(s.as_bytes()) {
                        return false;
                    }
                }
            }
        }
        if let Some((p, m)) = cri_parts(l) {
            let k = usize::from(p.contains(" stderr "));
            joined[k].push_str(m);
            if p.ends_with(" F") {
                if !is_clean(joined[k].as_bytes()) {
                    return false;
                }
                joined[k].clear();
            }
        }
    }
    joined.iter().all(|j| is_clean(j.as_bytes()))
}

proptest! {
    // 256 cases by default; PROPTEST_CASES=N for more.
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn auto_never_changes_a_clean_line(ls in prop::collection::vec(any_line(), 1..40), per_read in 1usize..300, crlf in any::<bool>()) {
        prop_assume!(clean(&ls));
        let sep = if crlf { "\r\n" } else { "\n" };
        let input = ls.join(sep) + sep;
        for format in [Format::Auto, Format::Cri, Format::Docker, Format::Json, Format::Logfmt] {
            let (out, stats) = run_with(scrubber(), format, input.as_bytes(), per_read, 8 << 20);
            prop_assert_eq!(show(&out), show(input.as_bytes()), "{}", format);
            prop_assert_eq!(stats.lines_changed, 0);
        }
    }

    #[test]
    fn any_bytes_keep_their_line_count_in_every_format(
        parts in prop::collection::vec(prop_oneof![
            prop::collection::vec(any::<u8>(), 0..40),
            Just(b"{\"log\":\"".to_vec()),
            Just(b"\",\"stream\":\"stdout\",\"time\":\"t\"}".to_vec()),
            Just(b"2024-05-01T10:00:00Z stdout P ".to_vec()),
            Just(b"2024-05-01T10:00:00Z stderr F ".to_vec()),
            Just(b"password=".to_vec()),
            Just(b"\\u00".to_vec()),
            Just(b"\\\\\"".to_vec()),
            Just(b"\n".to_vec()),
            Just(b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.".to_vec()),
        ], 0..60),
        per_read in 1usize..200,
    ) {
        let input: Vec<u8> = parts.concat();
        let nl = memchr_count(&input);
        for format in Format::ALL {
            let (out, _) = run_with(scrubber(), format, &input, per_read, 64 * 1024);
            prop_assert_eq!(memchr_count(&out), nl, "{}", format);
        }
    }

    #[test]
    fn every_split_of_a_cri_message_finds_its_token(cuts in prop::collection::vec(1usize..400, 0..6), per_read in 1usize..500) {
        let t = mint();
        let msg = format!("request done; Authorization: Bearer {} user=x", t.token);
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % msg.len()).filter(|&c| c > 0).collect();
        cuts.sort_unstable();
        cuts.dedup();
        let mut input = String::new();
        let mut prev = 0;
        for (i, &c) in cuts.iter().enumerate() {
            input.push_str(&cri_line(i as u64, "stdout", 'P', &msg[prev..c]));
            input.push_str(&cri_line(i as u64, "stderr", 'F', "noise"));
            prev = c;
        }
        input.push_str(&cri_line(99, "stdout", 'F', &msg[prev..]));
        let (out, _) = run_with(scrubber(), Format::Auto, input.as_bytes(), per_read, 8 << 20);
        prop_assert!(!contains(&out, &t.signature));
        prop_assert!(!contains(&out, &t.payload));
        let (so, _) = check_cri(input.as_bytes(), &out);
        prop_assert!(so.ends_with(".REDACTED user=x\n"), "{}", so);
    }
}

fn memchr_count(b: &[u8]) -> usize {
    b.iter().filter(|&&c| c == b'\n').count()
}

// ---- the binary -------------------------------------------------------------------------------------

#[test]
fn format_flag_is_checked_and_stats_count_fallbacks() {
    let (code, _, err) = bin(&["--format", "xml"], b"");
    assert_eq!(code, 2);
    assert!(err.starts_with("logscrub: ") && err.contains("unknown format `xml`"), "{err}");
    let input = "{\"log\":\"password=abc truncated\n{\"log\":\"fine\\n\",\"stream\":\"stdout\",\"time\":\"t\"}\n";
    let (code, out, err) = bin(&["--stats", "--format", "docker"], input.as_bytes());
    assert_eq!(code, 0, "{err}");
    assert_eq!(String::from_utf8(out).unwrap(), input.replace("abc", "[REDACTED]"));
    let stats: Value = serde_json::from_str(err.trim()).expect("stats JSON");
    assert_eq!(stats["format_fallbacks"], 1, "{stats}");
    assert_eq!(stats["partial_groups_capped"], 0, "{stats}");
}

#[test]
fn threads_and_single_thread_give_the_same_bytes() {
    let mut input = String::new();
    let mut secrets = Vec::new();
    let mut n = 0u64;
    while input.len() < 3 << 20 {
        n += 1;
        let t = mint();
        let msg = format!("{} request id={n} Authorization: Bearer {} {}", "x".repeat(200), t.token, "y".repeat(100));
        let cut = msg.len() / 2 + (n as usize % 50);
        input.push_str(&cri_line(n, "stdout", 'P', &msg[..cut]));
        input.push_str(&docker_line(&format!("a docker line {n} & <b>"), "stdout", n));
        input.push_str(&cri_line(n, "stdout", 'F', &msg[cut..]));
        input.push_str(&format!("plain line {n} password=p{n}x\n"));
        secrets.push(t.signature);
    }
    let (c1, one, e1) = bin(&["-j1", "--stats"], input.as_bytes());
    let (c2, two, e2) = bin(&["-j2", "--stats"], input.as_bytes());
    assert_eq!((c1, c2), (0, 0), "{e1}{e2}");
    assert!(one == two, "-j1 and -j2 differ");
    assert_eq!(lines(&one).len(), lines(input.as_bytes()).len());
    for s in secrets.iter().step_by(97) {
        assert!(!contains(&one, s));
    }
    let (s1, s2): (Value, Value) = (serde_json::from_str(e1.trim()).unwrap(), serde_json::from_str(e2.trim()).unwrap());
    assert_eq!(s1, s2);
}

#[test]
fn findings_columns_count_from_the_line_start_after_windows() {
    // A line longer than the (smallest) window: the secret sits in its second window.
    let mut line = "x ".repeat(150_000);
    let col = line.len() + 1 + "password=".len();
    line.push_str("password=s3cr3tVALUE123 end\n");
    for format in ["raw", "auto"] {
        let (code, out, err) = bin(&["--max-line", "1", "--format", format, "--findings", "-"], line.as_bytes());
        assert_eq!(code, 0, "{err}");
        assert!(contains(&out, "password=[REDACTED] end"));
        let f: Value = serde_json::from_str(err.lines().next().expect("a finding")).unwrap();
        assert_eq!(f["line"], 1);
        assert_eq!(f["col"], col as u64, "{format}: {f}");
    }
}

#[test]
fn findings_in_joined_partials_point_at_their_line() {
    let t = mint();
    let first = format!("hello Authorization: Bearer {}", &t.token[..30]);
    let input = [
        cri_line(1, "stderr", 'F', "before"),
        cri_line(2, "stdout", 'P', &first),
        cri_line(3, "stdout", 'F', &format!("{} bye", &t.token[30..])),
    ]
    .concat();
    let (code, _, err) = bin(&["--findings", "-", "--now", "2024-05-01T00:00:00Z"], input.as_bytes());
    assert_eq!(code, 0, "{err}");
    let f: Value = serde_json::from_str(err.lines().next().expect("a finding")).unwrap();
    assert_eq!(f["kind"], "jws", "{f}");
    assert_eq!(f["line"], 2, "{f}");
    let prefix = format!("{} stdout P ", time(2));
    assert_eq!(f["col"], (prefix.len() + first.find("eyJ").unwrap() + 1) as u64, "{f}");
}

#[test]
fn the_shared_corpus_comes_out_identical_in_auto_mode() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus/loghub");
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "log") {
            let bytes = std::fs::read(&p).unwrap();
            let (out, _) = run(Format::Auto, &bytes);
            assert!(out == bytes, "{} changed", p.display());
            // Wrapped as Docker and CRI lines it stays identical too.
            let text = String::from_utf8_lossy(&bytes);
            let docker: String = text.lines().enumerate().map(|(i, l)| docker_line(l, "stdout", i as u64)).collect();
            let (out, _) = run(Format::Auto, docker.as_bytes());
            assert!(out == docker.as_bytes(), "{} (docker) changed", p.display());
        }
    }
}

#[test]
fn chunk_api_reports_unchanged_for_clean_chunks() {
    let fmt = FormatScrubber::new(scrubber(), Format::Auto, 1 << 20);
    let mut st = FormatState::default();
    let clean = docker_line("hello & <world>", "stdout", 1) + &cri_line(2, "stdout", 'F', "ok");
    let o = fmt.scrub_chunk(clean.as_bytes(), &mut st, ChunkInfo::default());
    assert!(o.is_unchanged());
    assert_eq!(o.len(), clean.len());
}
