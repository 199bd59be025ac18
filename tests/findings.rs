//! Token risk findings (issue 7): `--findings`, `--stats` flag counts, `logscrub scan`.
//!
//! Every token is minted at test time (`jsonwebtoken` HMAC with a random secret; unsecured
//! tokens built by hand) with claims relative to a fixed, injected time [`NOW`], so no test
//! depends on the clock and no token string is committed. Every run of the binary happens in a
//! fresh temp dir with no `LOGSCRUB_*` variable inherited.

#![allow(unreachable_pub)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use b64::Engine as _;
use b64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::distributions::{Alphanumeric, DistString};
use serde_json::{Value, json};

use logscrub::findings::{Assessor, Fingerprinter, Report, ReportSink};
use logscrub::frame::{FrameConfig, Framer};
use logscrub::io::stream::scrub_stream;
use logscrub::{Rules, Scratch, Scrubber};

/// The injected "now": 2030-01-01T00:00:00Z.
const NOW: i64 = 1_893_456_000;
const NOW_TEXT: &str = "2030-01-01T00:00:00Z";

const DEFAULT_RULES: &str = include_str!("../rules/default.toml");

// ---- minting -------------------------------------------------------------------------------------

fn random(n: usize) -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), n)
}

/// A freshly minted HMAC token (random secret per call) over `claims`.
fn hmac_token(alg: Algorithm, claims: &Value) -> String {
    let secret = random(32);
    jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret.as_bytes())).expect("hmac encode")
}

/// `{"alg":"none"}` . payload . (empty signature)
fn unsecured_token(claims: &Value) -> String {
    let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let p = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{h}.{p}.")
}

/// Claims with personal values that must never reach a finding.
fn claims(iss: &str, aud: &str, exp: Option<i64>, iat: Option<i64>) -> Value {
    let mut c = json!({
        "sub": format!("user-{}", random(12)),
        "email": format!("{}@example.com", random(10)),
        "iss": iss,
        "aud": aud,
    });
    if let Some(exp) = exp {
        c["exp"] = json!(exp);
    }
    if let Some(iat) = iat {
        c["iat"] = json!(iat);
    }
    c
}

const QA_ISS: &str = "https://idp.qa.example";
const QA_AUD: &str = "api-qa";

/// The default rules with a `[findings]` section for QA logs.
fn qa_rules() -> String {
    let mut s = DEFAULT_RULES.to_string();
    for (from, to) in [
        ("# max_lifetime = \"24h\"", "max_lifetime = \"1h\""),
        ("\nallowed_issuers = []", &format!("\nallowed_issuers = [\"{QA_ISS}\"]")),
        ("\nallowed_audiences = []", &format!("\nallowed_audiences = [\"{QA_AUD}\"]")),
        ("\nweak_algs = []", "\nweak_algs = [\"HS256\"]"),
    ] {
        assert_eq!(s.matches(from).count(), 1, "{from:?} must occur once in rules/default.toml");
        s = s.replacen(from, to, 1);
    }
    s
}

// ---- running the binary --------------------------------------------------------------------------

struct Sandbox {
    dir: tempfile::TempDir,
}

struct Run {
    out: Output,
    what: String,
}

impl Run {
    fn code(&self) -> i32 {
        self.out.status.code().unwrap_or(-1)
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).into_owned()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }

    fn dump(&self) -> String {
        format!(
            "command: {}\nexit: {:?}\n--- stdout\n{}\n--- stderr\n{}\n---",
            self.what,
            self.out.status.code(),
            self.stdout(),
            self.stderr()
        )
    }

    fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code(), code, "unexpected exit code\n{}", self.dump());
        self
    }
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox { dir: tempfile::tempdir().expect("temp dir") }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, contents).expect("write");
        p
    }

    fn read(&self, name: &str) -> String {
        String::from_utf8(std::fs::read(self.path().join(name)).expect("read")).expect("utf-8")
    }

    fn run_env<I, S>(&self, args: I, env: &[(&str, &str)], stdin: &[u8]) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_os_string()).collect();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_logscrub"));
        cmd.args(&args).current_dir(self.path());
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("LOGSCRUB_") {
                cmd.env_remove(&k);
            }
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn logscrub");
        {
            use std::io::Write as _;
            let mut sin = child.stdin.take().expect("stdin");
            sin.write_all(stdin).expect("write stdin");
        }
        let out = child.wait_with_output().expect("wait");
        Run {
            out,
            what: format!("logscrub {}", args.iter().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" ")),
        }
    }

    fn run<I, S>(&self, args: I, stdin: &[u8]) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.run_env(args, &[], stdin)
    }
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn flags_of(v: &Value) -> Vec<String> {
    v["flags"].as_array().expect("flags array").iter().map(|f| f.as_str().expect("flag name").to_string()).collect()
}

/// The parts of a compact token that must never appear in a finding.
fn secret_parts(token: &str) -> Vec<String> {
    let segs: Vec<&str> = token.split('.').collect();
    let mut parts = vec![token.to_string(), segs[1].to_string()];
    if segs.len() > 2 && !segs[2].is_empty() {
        parts.push(segs[2].to_string());
    }
    parts
}

// ---- --findings ----------------------------------------------------------------------------------

/// One line per case: each flag on its own, expired and unexpired, against the QA rules.
#[test]
fn each_flag_is_reported_at_the_injected_time() {
    let sb = Sandbox::new();
    sb.write("qa.toml", qa_rules());
    let ok_claims = |exp| claims(QA_ISS, QA_AUD, exp, Some(NOW - 60));
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        ("unexpired", hmac_token(Algorithm::HS384, &ok_claims(Some(NOW + 600))), vec!["live"]),
        ("expired", hmac_token(Algorithm::HS384, &ok_claims(Some(NOW - 1))), vec![]),
        ("expires now", hmac_token(Algorithm::HS384, &ok_claims(Some(NOW))), vec![]),
        ("no exp", hmac_token(Algorithm::HS384, &ok_claims(None)), vec!["live"]),
        ("unsigned", unsecured_token(&ok_claims(Some(NOW - 10))), vec!["unsigned"]),
        (
            "long lived",
            hmac_token(Algorithm::HS384, &claims(QA_ISS, QA_AUD, Some(NOW - 10), Some(NOW - 10 - 3601))),
            vec!["long_lived"],
        ),
        (
            "one hour exactly is not long",
            hmac_token(Algorithm::HS384, &claims(QA_ISS, QA_AUD, Some(NOW - 10), Some(NOW - 10 - 3600))),
            vec![],
        ),
        (
            "foreign issuer",
            hmac_token(Algorithm::HS384, &claims("https://idp.prod.example", QA_AUD, Some(NOW - 10), None)),
            vec!["foreign_environment"],
        ),
        (
            "foreign audience",
            hmac_token(Algorithm::HS384, &claims(QA_ISS, "api-prod", Some(NOW - 10), None)),
            vec!["foreign_environment"],
        ),
        ("weak alg", hmac_token(Algorithm::HS256, &ok_claims(Some(NOW - 10))), vec!["weak_alg"]),
        (
            "everything",
            unsecured_token(&claims("https://idp.prod.example", "api-prod", Some(NOW + 86_400 * 30), Some(NOW))),
            vec!["live", "unsigned", "long_lived", "foreign_environment"],
        ),
    ];
    let mut input = String::new();
    for (_, tok, _) in &cases {
        input.push_str(&format!("GET /cb?id_token={tok}&state=1\n"));
    }
    sb.write("app.log", &input);
    let run =
        sb.run(["--rules", "qa.toml", "--now", NOW_TEXT, "--findings", "f.jsonl", "-o", "out.log", "app.log"], b"");
    run.assert_code(0);
    let found = json_lines(&sb.read("f.jsonl"));
    assert_eq!(found.len(), cases.len(), "one finding per line\n{found:#?}");
    for (i, ((what, _, want), f)) in cases.iter().zip(&found).enumerate() {
        assert_eq!(f["source"], "app.log", "{what}");
        assert_eq!(f["line"], i as u64 + 1, "{what}");
        assert_eq!(f["col"], 18, "{what}: column of the token after `GET /cb?id_token=`");
        assert_eq!(flags_of(f), *want, "{what}: {f}");
    }
    // Header and kept claims are there; times are RFC 3339.
    let first = &found[0];
    assert_eq!(first["kind"], "jws");
    // The rule is the key name that matched (`token` matches the end of `id_token`).
    assert!(first["rule"].as_str().is_some_and(|r| r.ends_with("token")), "{first}");
    assert_eq!(first["alg"], "HS384");
    assert_eq!(first["typ"], "JWT");
    assert_eq!(first["iss"], QA_ISS);
    assert_eq!(first["aud"], json!([QA_AUD]));
    assert_eq!(first["exp"], "2030-01-01T00:10:00Z");
    assert_eq!(first["iat"], "2029-12-31T23:59:00Z");
    assert_eq!(found[4]["kind"], "unsecured");
    assert_eq!(found[4]["alg"], "none");
    // The scrubbed output is the same as without --findings.
    let plain = sb.run(["--rules", "qa.toml", "-o", "plain.log", "app.log"], b"");
    plain.assert_code(0);
    assert_eq!(sb.read("out.log"), sb.read("plain.log"));
}

#[test]
fn the_same_token_is_live_before_its_exp_and_not_after() {
    let sb = Sandbox::new();
    let tok = hmac_token(Algorithm::HS256, &claims(QA_ISS, QA_AUD, Some(NOW), Some(NOW - 300)));
    sb.write("app.log", format!("Authorization: Bearer {tok}\n"));
    for (now, live) in [("2029-12-31T23:59:59Z", true), ("2030-01-01T00:00:00Z", false), ("1893456001", false)] {
        let run = sb.run(["--now", now, "--findings", "f.jsonl", "-o", "out.log", "app.log"], b"");
        run.assert_code(0);
        let f = json_lines(&sb.read("f.jsonl"));
        assert_eq!(f.len(), 1);
        assert_eq!(flags_of(&f[0]).contains(&"live".to_string()), live, "now = {now}: {}", f[0]);
    }
    // The environment variable injects time too; --now wins over it.
    let env = [("LOGSCRUB_NOW", "2029-12-31T23:00:00+00:00")];
    let run = sb.run_env(["--findings", "-", "-o", "out.log", "app.log"], &env, b"");
    run.assert_code(0);
    assert_eq!(flags_of(&json_lines(&run.stderr())[0]), ["live"]);
    let run = sb.run_env(["--now", "2031-01-01T00:00:00Z", "--findings", "-", "-o", "out.log", "app.log"], &env, b"");
    assert!(flags_of(&json_lines(&run.stderr())[0]).is_empty(), "{}", run.dump());
    // A bad time is a usage error.
    let run = sb.run(["--now", "next tuesday", "--findings", "-", "app.log"], b"");
    run.assert_code(2);
    assert!(run.stderr().contains("--now"), "{}", run.dump());
    assert!(run.out.stdout.is_empty(), "scrubbed with a bad --now\n{}", run.dump());
}

/// The findings never contain a signature, a payload, an opaque bearer value or a redacted
/// claim value, in `--findings` JSON nor in `scan` text or JSON.
#[test]
fn findings_never_contain_secrets() {
    let sb = Sandbox::new();
    let c = claims(QA_ISS, QA_AUD, Some(NOW + 600), Some(NOW));
    let jws = hmac_token(Algorithm::HS256, &c);
    let uns = unsecured_token(&c);
    let opaque = random(40);
    let password = random(16);
    let ghp = format!("ghp_{}", random(36));
    let basic = STANDARD.encode(format!("admin:{}", random(12)));
    let input = format!(
        "a Authorization: Bearer {jws}\nb {{\"id_token\":\"{uns}\"}}\nc Authorization: Bearer {opaque}\n\
         d db_password={password} x=1\ne push {ghp}\nf Authorization: Basic {basic}\n"
    );
    sb.write("app.log", &input);
    let mut secrets = vec![opaque.clone(), password.clone(), ghp.clone(), basic.clone()];
    secrets.extend(secret_parts(&jws));
    secrets.extend(secret_parts(&uns));
    for claim in ["sub", "email"] {
        secrets.push(c[claim].as_str().expect("string claim").to_string());
    }

    let run = sb.run(["--now", NOW_TEXT, "--findings", "f.jsonl", "-o", "out.log", "app.log"], b"");
    run.assert_code(0);
    let scan_text = sb.run(["scan", "--now", NOW_TEXT, "--fail-on", "none", "app.log"], b"");
    scan_text.assert_code(0);
    let scan_json = sb.run(["scan", "--json", "--now", NOW_TEXT, "--fail-on", "none", "app.log"], b"");
    scan_json.assert_code(0);
    let findings = sb.read("f.jsonl");
    let kinds: Vec<Value> = json_lines(&findings).iter().map(|f| f["kind"].clone()).collect();
    assert_eq!(kinds, ["jws", "unsecured", "bearer", "secret_key", "pattern", "basic"], "{findings}");
    for (what, text) in
        [("--findings", findings.as_str()), ("scan", &scan_text.stdout()), ("scan --json", &scan_json.stdout())]
    {
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "{what} output contains a secret {s:?}:\n{text}");
        }
    }
    assert_eq!(json_lines(&scan_json.stdout()).len(), 6);
}

#[test]
fn positions_count_bytes_per_line_and_restart_per_input() {
    let sb = Sandbox::new();
    let tok = hmac_token(Algorithm::HS384, &claims(QA_ISS, QA_AUD, None, None));
    // "é" is two bytes: the column counts bytes.
    sb.write("one.log", format!("clean\r\n\né x password=hunter2\r\nlast {tok}"));
    sb.write("two.log", format!("{tok} and token=abc\n"));
    let run = sb.run(["--findings", "-", "-o", "out.log", "one.log", "-", "two.log"], b"stdin\nBearer zzz999\n");
    run.assert_code(0);
    let at: Vec<(String, u64, u64, String)> = json_lines(&run.stderr())
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (s("source"), f["line"].as_u64().unwrap(), f["col"].as_u64().unwrap(), s("kind"))
        })
        .collect();
    let want = [
        ("one.log", 3, 15, "secret_key"),
        ("one.log", 4, 6, "jws"),
        ("<stdin>", 2, 8, "bearer"),
        ("two.log", 1, 1, "jws"),
        ("two.log", 1, tok.len() as u64 + 12, "secret_key"),
    ];
    let want: Vec<(String, u64, u64, String)> =
        want.iter().map(|(s, l, c, k)| (s.to_string(), *l, *c, k.to_string())).collect();
    assert_eq!(at, want, "{}", run.dump());
}

#[test]
fn fingerprints_match_within_a_scope() {
    let sb = Sandbox::new();
    let tok = hmac_token(Algorithm::HS256, &claims(QA_ISS, QA_AUD, None, None));
    let other = hmac_token(Algorithm::HS256, &claims(QA_ISS, QA_AUD, None, None));
    sb.write("app.log", format!("Authorization: Bearer {tok}\nid_token={tok}\nAuthorization: Bearer {other}\n"));
    let fps = |env: &[(&str, &str)], rules: Option<&str>| -> Vec<(String, String)> {
        let mut args = vec!["--findings", "-", "-o", "out.log"];
        if let Some(r) = rules {
            args.extend(["--rules", r]);
        }
        args.push("app.log");
        let run = sb.run_env(args, env, b"");
        run.assert_code(0);
        json_lines(&run.stderr())
            .iter()
            .map(|f| {
                (f["fingerprint"].as_str().unwrap().to_string(), f["fingerprint_scope"].as_str().unwrap().to_string())
            })
            .collect()
    };
    // Per-run random key: same token, same fingerprint within the run; not across runs.
    let a = fps(&[], None);
    assert_eq!(a[0].1, "run");
    assert_eq!(a[0].0, a[1].0, "same token, same run");
    assert_ne!(a[0].0, a[2].0, "different tokens");
    assert_eq!(a[0].0.len(), 16);
    assert!(a[0].0.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_ne!(a[0].0, fps(&[], None)[0].0, "a run key must not repeat across runs");
    // The findings key: stable across runs.
    let key = [("LOGSCRUB_FINGERPRINT_KEY", "fp-test-key-1")];
    let b = fps(&key, None);
    assert_eq!(b[0].1, "key:f1");
    assert_eq!(b, fps(&key, None));
    // The [hash] key wins, with its id.
    let both = [("LOGSCRUB_FINGERPRINT_KEY", "fp-test-key-1"), ("LOGSCRUB_HASH_KEY", "hash-test-key")];
    let c = fps(&both, None);
    assert_eq!(c[0].1, "key:k1");
    assert_ne!(c[0].0, b[0].0);
}

/// With the hash key, an opaque value's fingerprint is the hex of its `hash` pseudonym, so a
/// finding can be matched to the scrubbed line.
#[test]
fn with_the_hash_key_an_opaque_fingerprint_is_its_pseudonym() {
    let sb = Sandbox::new();
    let rules = DEFAULT_RULES.replacen("[bearer]\n# `Authorization: Bearer <opaque>`; a bearer JWT is redacted by the [jwt] rules instead.\naction = \"redact\"", "[bearer]\naction = \"hash\"", 1);
    assert_ne!(rules, DEFAULT_RULES);
    sb.write("hash.toml", rules);
    let run = sb.run_env(
        ["--rules", "hash.toml", "--findings", "-"],
        &[("LOGSCRUB_HASH_KEY", "hash-test-key")],
        format!("Authorization: Bearer {}\n", random(30)).as_bytes(),
    );
    run.assert_code(0);
    let f = &json_lines(&run.stderr())[0];
    assert_eq!(f["action"], "hash");
    let fp = f["fingerprint"].as_str().unwrap();
    assert_eq!(run.stdout(), format!("Authorization: Bearer k1:{fp}\n"));
}

#[test]
fn stats_count_findings_per_flag() {
    let sb = Sandbox::new();
    sb.write("qa.toml", qa_rules());
    let live_weak = hmac_token(Algorithm::HS256, &claims(QA_ISS, QA_AUD, Some(NOW + 60), None));
    let expired = hmac_token(Algorithm::HS384, &claims(QA_ISS, QA_AUD, Some(NOW - 60), None));
    let uns = unsecured_token(&claims("https://other", QA_AUD, None, None));
    sb.write("app.log", format!("Bearer {live_weak}\nBearer {expired}\ntoken={uns}\npassword=x\n"));
    let run = sb.run(
        ["--rules", "qa.toml", "--now", NOW_TEXT, "--stats", "--findings", "f.jsonl", "-j", "2", "-o", "o", "app.log"],
        b"",
    );
    run.assert_code(0);
    let stats: Value = serde_json::from_str(run.stderr().trim()).expect("stats JSON");
    assert_eq!(
        stats["flags"],
        json!({"live": 2, "unsigned": 1, "long_lived": 0, "foreign_environment": 1, "weak_alg": 1})
    );
    assert_eq!(stats["findings"]["jws"], 2);
    assert_eq!(stats["findings"]["secret_key"], 1);
    assert_eq!(json_lines(&sb.read("f.jsonl")).len(), 4);
    // Without --findings the stats keep their old shape.
    let run = sb.run(["--stats", "-o", "o", "app.log"], b"");
    let stats: Value = serde_json::from_str(run.stderr().trim()).expect("stats JSON");
    assert!(stats.get("flags").is_none(), "{stats}");
}

/// `tail -f app.log | logscrub --findings f.jsonl`: a finding is written while the input is
/// still open, not at exit.
#[test]
fn findings_are_written_as_the_stream_goes() {
    use std::io::Write as _;
    let sb = Sandbox::new();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_logscrub"));
    cmd.args(["--findings", "f.jsonl", "-o", "out.log"]).current_dir(sb.path());
    cmd.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = cmd.spawn().expect("spawn logscrub");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"first\npassword=hunter2\n").expect("write");
    stdin.flush().expect("flush");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut seen = String::new();
    while std::time::Instant::now() < deadline {
        seen = std::fs::read_to_string(sb.path().join("f.jsonl")).unwrap_or_default();
        if seen.ends_with('\n') {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    drop(stdin);
    let status = child.wait().expect("wait");
    assert!(status.success());
    let f = json_lines(&seen);
    assert_eq!(f.len(), 1, "no finding written while the input was open: {seen:?}");
    assert_eq!((f[0]["line"].as_u64(), f[0]["rule"].as_str()), (Some(2), Some("password")));
}

#[test]
fn long_lines_and_small_buffers_keep_line_numbers() {
    let rules = Rules::embedded();
    let scrubber = Scrubber::new(&rules).unwrap();
    let assessor = Assessor::new(&rules, Fingerprinter::new(b"k", "t", 16), NOW);
    let tok = hmac_token(Algorithm::HS384, &claims(QA_ISS, QA_AUD, Some(NOW + 1), None));
    let mut input = String::new();
    let mut want = Vec::new();
    for i in 1..=40u64 {
        match i % 4 {
            0 => {
                input.push_str(&format!("{i} token={tok}\n"));
                want.push((i, "jws"));
            }
            1 => {
                input.push_str(&format!("{i} password=p{i} and more\n"));
                want.push((i, "secret_key"));
            }
            _ => input.push_str(&format!("{i} nothing to see {}\n", "x".repeat(i as usize * 7))),
        }
    }
    for initial in [64, 300, 4096, 1 << 20] {
        let mut reports: Vec<Report> = Vec::new();
        let mut sink = ReportSink::new(&assessor, "mem", |r| reports.push(r));
        let mut framer = Framer::new(FrameConfig { initial, max_window: 1 << 20 });
        let mut out = Vec::new();
        scrub_stream(&scrubber, &mut framer, &mut Scratch::default(), &mut input.as_bytes(), &mut out, Some(&mut sink))
            .unwrap();
        assert_eq!(sink.reported(), want.len() as u64);
        assert_eq!(sink.counts().live, 10);
        drop(sink);
        let got: Vec<(u64, &str)> = reports.iter().map(|r| (r.line, r.kind.as_str())).collect();
        assert_eq!(got, want, "buffer {initial}");
    }
}

// ---- rules ---------------------------------------------------------------------------------------

#[test]
fn bad_findings_rules_are_located() {
    let sb = Sandbox::new();
    for (from, to, needle) in [
        ("# max_lifetime = \"24h\"", "max_lifetime = \"one day\"", "\"one day\""),
        ("\nweak_algs = []", "\nweak_algs = [\"HS256\", \"HS265\"]", "\"HS265\""),
    ] {
        let src = DEFAULT_RULES.replacen(from, to, 1);
        let offset = src.find(needle).expect("needle");
        let before = &src.as_bytes()[..offset];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let col = offset - before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1) + 1;
        let prefix = format!("bad.toml:{line}:{col}:");
        sb.write("bad.toml", &src);
        let run = sb.run(["check", "bad.toml"], b"");
        run.assert_code(2);
        assert!(run.stderr().starts_with(&prefix), "expected {prefix}\n{}", run.dump());
        let run = sb.run(["scan", "--rules", "bad.toml", "."], b"");
        run.assert_code(2);
        assert!(run.stderr().contains(&prefix), "expected {prefix}\n{}", run.dump());
    }
    // An issuer allow list needs `iss` kept.
    let src = qa_rules().replacen("iss = \"keep\"", "iss = \"redact\"", 1);
    let err = Rules::from_toml("q.toml", &src).unwrap_err().to_string();
    assert!(err.contains("`findings.allowed_issuers` needs the `iss` claim kept"), "{err}");
    sb.write("good.toml", qa_rules());
    let run = sb.run(["check", "good.toml"], b"");
    run.assert_code(0);
    assert!(run.stdout().contains("findings: max lifetime 1h"), "{}", run.dump());
}

// ---- scan ----------------------------------------------------------------------------------------

/// A tree with nested folders, a .gitignore'd file, a binary file and a hidden folder.
fn scan_tree(sb: &Sandbox) -> (String, String) {
    let live = hmac_token(Algorithm::HS384, &claims(QA_ISS, QA_AUD, None, None));
    let expired = hmac_token(Algorithm::HS384, &claims(QA_ISS, QA_AUD, Some(NOW - 60), None));
    let uns = unsecured_token(&claims(QA_ISS, QA_AUD, Some(NOW - 60), None));
    sb.write("src/app/deep/nested/config.yml", format!("auth:\n  token: {live}\n"));
    sb.write("docs/example.md", format!("# Example\n\n    curl -H 'Authorization: Bearer {expired}'\n"));
    sb.write("README.txt", "nothing here\n");
    sb.write("src/app/settings.properties", format!("db.url=postgres://db\ndb_password={}\n", random(20)));
    sb.write("src/.gitignore", "*.local\n");
    sb.write("src/app/dev.local", format!("id_token={uns}\n"));
    let mut binary = b"\x7fELF\0\0\0".to_vec();
    binary.extend_from_slice(format!("\ntoken={uns}\n").as_bytes());
    sb.write("bin/tool.bin", binary);
    sb.write(".secrets/env.txt", format!("token={uns}\n"));
    (live, uns)
}

#[test]
fn scan_walks_a_tree_and_gates_on_fail_on() {
    let sb = Sandbox::new();
    scan_tree(&sb);
    let run = sb.run(["scan", "--now", NOW_TEXT], b"");
    run.assert_code(1);
    let out = run.stdout();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.dump());
    // `path:line:col: kind [flags] rule`; the rule is the whole key that carried the secret.
    assert!(lines[0].starts_with("docs/example.md:3:36: jws [] "), "{}", run.dump());
    assert_eq!(lines[1], "src/app/deep/nested/config.yml:2:10: jws [live] token", "{}", run.dump());
    assert_eq!(lines[2], "src/app/settings.properties:2:13: secret_key [] db_password", "{}", run.dump());
    assert!(run.stderr().contains("1 binary skipped"), "{}", run.dump());
    assert!(run.stderr().contains("1 match --fail-on live,unsigned"), "{}", run.dump());

    // Report-only, and a set the tree does not match: exit 0.
    sb.run(["scan", "--now", NOW_TEXT, "--fail-on", "none"], b"").assert_code(0);
    sb.run(["scan", "--now", NOW_TEXT, "--fail-on", "unsigned,weak_alg"], b"").assert_code(0);
    // Kinds select too; `any` selects every finding.
    sb.run(["scan", "--now", NOW_TEXT, "--fail-on", "secret-key"], b"").assert_code(1);
    sb.run(["scan", "--now", NOW_TEXT, "--fail-on", "jws", "docs"], b"").assert_code(1);
    sb.run(["scan", "--now", NOW_TEXT, "--fail-on", "bearer,basic,pattern"], b"").assert_code(0);
    sb.run(["scan", "--now", NOW_TEXT, "--fail-on", "any", "docs"], b"").assert_code(1);
    // At a time before the docs token expired, the docs path alone fails on live.
    sb.run(["scan", "--now", "2029-12-31T23:00:00Z", "docs"], b"").assert_code(1);
    sb.run(["scan", "--now", NOW_TEXT, "docs"], b"").assert_code(0);

    // The ignored file, the hidden folder: only on request. The binary file: never.
    let run = sb.run(["scan", "--now", NOW_TEXT, "--no-ignore", "--fail-on", "unsigned", "src"], b"");
    run.assert_code(1);
    assert!(run.stdout().contains("src/app/dev.local:1:10: unsecured [unsigned] "), "{}", run.dump());
    let run = sb.run(["scan", "--now", NOW_TEXT, "--hidden", "--fail-on", "unsigned"], b"");
    run.assert_code(1);
    assert!(run.stdout().contains(".secrets/env.txt:1:7: unsecured [unsigned] token"), "{}", run.dump());
    assert!(!run.stdout().contains("tool.bin"), "{}", run.dump());
    assert!(!run.stdout().contains("dev.local"), "{}", run.dump());

    // Remove the live token: the default gate passes.
    std::fs::remove_file(sb.path().join("src/app/deep/nested/config.yml")).unwrap();
    let run = sb.run(["scan", "--now", NOW_TEXT], b"");
    run.assert_code(0);
    assert_eq!(run.stdout().lines().count(), 2, "{}", run.dump());
}

#[test]
fn scan_json_lines_carry_the_findings_format() {
    let sb = Sandbox::new();
    scan_tree(&sb);
    let run = sb.run(["scan", "--json", "--now", NOW_TEXT, "src", "docs/example.md"], b"");
    run.assert_code(1);
    let found = json_lines(&run.stdout());
    assert_eq!(found.len(), 3, "{}", run.dump());
    assert_eq!(found[0]["source"], "src/app/deep/nested/config.yml");
    assert_eq!(flags_of(&found[0]), ["live"]);
    assert_eq!(found[0]["iss"], QA_ISS);
    assert_eq!(found[1]["source"], "src/app/settings.properties");
    assert_eq!(found[1]["kind"], "secret_key");
    assert!(found[1].get("exp").is_none() && flags_of(&found[1]).is_empty(), "{}", found[1]);
    assert_eq!(found[2]["source"], "docs/example.md");
    assert_eq!(found[2]["exp"], "2029-12-31T23:59:00Z");
    assert!(run.stderr().is_empty(), "--json keeps stderr for errors\n{}", run.dump());
}

#[test]
fn scan_usage_errors_exit_2() {
    let sb = Sandbox::new();
    sb.write("a.txt", "password=x\n");
    let run = sb.run(["scan", "--fail-on", "live,bogus", "a.txt"], b"");
    run.assert_code(2);
    assert!(run.stderr().contains("bogus"), "{}", run.dump());
    let run = sb.run(["scan", "a.txt", "missing-dir"], b"");
    run.assert_code(2);
    assert!(run.stderr().contains("missing-dir"), "{}", run.dump());
    sb.run(["scan", "--rules", "nope.toml", "a.txt"], b"").assert_code(2);
    sb.run(["scan", "--now", "soon", "a.txt"], b"").assert_code(2);
    // A findings flag belongs to the main command, not to scan.
    sb.run(["--findings", "-", "scan", "a.txt"], b"").assert_code(2);
}
