//! The binary: exit codes, error messages, inputs and outputs, `--stats`, streaming liveness.
//!
//! Every run happens in a fresh temp dir with no `LOGSCRUB_*` variable inherited.

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::mint::{self, Flavor};
use crate::util::{self, Sandbox, contains, show};

const DEFAULT_RULES: &str = include_str!("../rules/default.toml");

/// Generous: this checks that output is not held back, not how fast it comes.
const LIVENESS_TIMEOUT: Duration = Duration::from_secs(5);

/// 1-based line and column (in characters) of byte `offset` of `src`.
fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let before = src.get(..offset).expect("offset on a char boundary");
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, col)
}

/// Replaces the only occurrence of `from` in `src` with `to`; returns the new text and the
/// byte offset of `marker` (a substring of `to`) in it.
fn edit(src: &str, from: &str, to: &str, marker: &str) -> (String, usize) {
    assert_eq!(src.matches(from).count(), 1, "{from:?} must occur once in the rules");
    let at = src.find(from).expect("found above");
    let (head, tail) = (src.get(..at), src.get(at + from.len()..));
    let out = format!("{}{to}{}", head.expect("char boundary"), tail.expect("char boundary"));
    let offset = at + to.find(marker).expect("marker inside the replacement");
    (out, offset)
}

// ---- check and bad rule files ----------------------------------------------------------------------

#[test]
fn check_accepts_the_default_rules() {
    let sb = Sandbox::new();
    sb.write("rules.toml", DEFAULT_RULES);
    let run = sb.run(["check", "rules.toml"], b"");
    run.assert_code(0);
    let summary = String::from_utf8_lossy(run.stdout());
    assert!(!summary.trim().is_empty(), "check printed no summary\n{}", run.dump());
    assert!(run.stderr_str().trim().is_empty(), "a valid file gave warnings\n{}", run.dump());
}

#[test]
fn check_missing_file_exits_2() {
    let sb = Sandbox::new();
    let run = sb.run(["check", "nope.toml"], b"");
    run.assert_code(2);
    let err = run.stderr_str();
    assert!(err.contains("nope.toml"), "message names the file\n{}", run.dump());
}

/// A bad rule file: `check` and `--rules` both exit 2 with `FILE:LINE:COL:`, and the library
/// error displays the same position.
fn assert_bad_rules(src: &str, offset: usize, what: &str) {
    let (line, col) = line_col(src, offset);
    let expected = format!("bad.toml:{line}:{col}:");

    let err = logscrub::Rules::from_toml("bad.toml", src)
        .err()
        .unwrap_or_else(|| panic!("{what}: Rules::from_toml accepted the file"));
    let shown = err.to_string();
    assert!(
        shown.starts_with(&expected),
        "{what}: library error\nexpected prefix: {expected}\ngot:             {shown}"
    );

    let sb = Sandbox::new();
    sb.write("bad.toml", src);
    let run = sb.run(["check", "bad.toml"], b"");
    run.assert_code(2);
    assert!(
        run.stderr_str().lines().any(|l| l.starts_with(&expected)),
        "{what}: logscrub check\nexpected a stderr line starting with: {expected}\n{}",
        run.dump()
    );

    let run = sb.run(["--rules", "bad.toml"], b"password=x\n");
    run.assert_code(2);
    assert!(
        run.stderr_str().contains(&expected),
        "{what}: logscrub --rules\nexpected stderr to contain: {expected}\n{}",
        run.dump()
    );
    assert!(run.stdout().is_empty(), "{what}: output written with bad rules\n{}", run.dump());
}

#[test]
fn bad_rules_unknown_key() {
    let (src, at) = edit(DEFAULT_RULES, "[jwt]\n", "[jwt]\nbogus_option = true\n", "bogus_option");
    assert_bad_rules(&src, at, "unknown key");
}

#[test]
fn bad_rules_unknown_key_indented() {
    let (src, at) = edit(DEFAULT_RULES, "[basic]\n", "[basic]\n    flavour = \"x\"\n", "flavour");
    assert_bad_rules(&src, at, "unknown key, indented");
}

#[test]
fn bad_rules_bad_type() {
    let (src, at) = edit(DEFAULT_RULES, "hex_len = 16", "hex_len = \"sixteen\"", "\"sixteen\"");
    assert_bad_rules(&src, at, "bad type");
}

#[test]
fn bad_rules_bad_regex() {
    let src =
        format!("{DEFAULT_RULES}\n[[patterns]]\nname = \"broken\"\nregex = '(unclosed[a-'\naction = \"redact\"\n");
    let at = src.find("'(unclosed").expect("inserted above");
    assert_bad_rules(&src, at, "bad regex");
}

#[test]
fn bad_rules_unknown_action() {
    let (src, at) = edit(
        DEFAULT_RULES,
        "[bearer]\n# `Authorization: Bearer <opaque>`; a bearer JWT is redacted by the [jwt] rules instead.\naction = \"redact\"",
        "[bearer]\n# `Authorization: Bearer <opaque>`; a bearer JWT is redacted by the [jwt] rules instead.\naction = \"obliterate\"",
        "\"obliterate\"",
    );
    assert_bad_rules(&src, at, "unknown action");
}

#[test]
fn bad_rules_unknown_claim_action() {
    let (src, at) = edit(DEFAULT_RULES, "jti = \"keep\"", "jti = \"scramble\"", "\"scramble\"");
    assert_bad_rules(&src, at, "unknown claim action");
}

#[test]
fn bad_rules_syntax_error_names_the_line() {
    let (src, at) = edit(DEFAULT_RULES, "[bearer]\n", "[bearer\n", "[bearer");
    let (line, _) = line_col(&src, at);
    let sb = Sandbox::new();
    sb.write("bad.toml", &src);
    let run = sb.run(["check", "bad.toml"], b"");
    run.assert_code(2);
    let prefix = format!("bad.toml:{line}:");
    assert!(
        run.stderr_str().lines().any(|l| l.starts_with(&prefix)),
        "expected a stderr line starting with {prefix}\n{}",
        run.dump()
    );
}

// ---- input and output ----------------------------------------------------------------------------

#[test]
fn stdin_to_stdout() {
    let sb = Sandbox::new();
    let m = mint::mint(Flavor::Rs256);
    let input = format!("start\nAuthorization: Bearer {}\nplain line\n", m.token);
    let run = sb.run(Vec::<String>::new(), input.as_bytes());
    run.assert_code(0);
    let out = run.stdout();
    assert!(!contains(out, m.signature().as_bytes()), "{}", run.dump());
    assert!(out.starts_with(b"start\nAuthorization: Bearer "), "{}", run.dump());
    assert!(out.ends_with(b".REDACTED\nplain line\n"), "{}", run.dump());
    crate::eqnice!(util::scrub_buf(input.as_bytes()), out, "CLI vs library");
}

#[test]
fn dash_is_stdin() {
    let sb = Sandbox::new();
    let secret = mint::alnum(24);
    let input = format!("password={secret} ok\n");
    let run = sb.run(["-"], input.as_bytes());
    run.assert_code(0);
    crate::eqnice!(b"password=[REDACTED] ok\n", run.stdout());
}

#[test]
fn empty_input_gives_empty_output() {
    let sb = Sandbox::new();
    let run = sb.run(Vec::<String>::new(), b"");
    run.assert_code(0);
    crate::eqnice!(b"", run.stdout());
}

#[test]
fn bytes_pass_through_as_they_are() {
    let sb = Sandbox::new();
    let secret = mint::alnum(20);
    let head: &[u8] = b"\xff\xfe odd bytes\r\n\r\n\n\xc3 token=";
    let tail: &[u8] = b"\r\nno final newline \xe2\x82";
    let input = [head, secret.as_bytes(), tail].concat();
    let expected = [head, b"[REDACTED]", tail].concat();
    let run = sb.run(["-"], &input);
    run.assert_code(0);
    crate::eqnice!(expected, run.stdout(), "invalid UTF-8, CRLF, no final newline");
}

#[test]
fn output_file() {
    let sb = Sandbox::new();
    let m = mint::mint(Flavor::EdDsa);
    sb.write("in.log", format!("id_token={}\n", m.token));
    let run = sb.run(["-o", "out.log", "in.log"], b"");
    run.assert_code(0);
    assert!(run.stdout().is_empty(), "stdout not empty with -o\n{}", run.dump());
    let out = sb.read("out.log");
    assert!(out.starts_with(format!("id_token={}.", m.header).as_bytes()), "{}", show(&out));
    assert!(out.ends_with(b".REDACTED\n"), "{}", show(&out));
    assert!(!contains(&out, m.signature().as_bytes()), "{}", show(&out));
}

#[test]
fn several_files_in_order() {
    let sb = Sandbox::new();
    let secrets: Vec<String> = (0..3).map(|_| mint::alnum(24)).collect();
    let a = format!("a1\napi_key={}\n", secrets[0]);
    let stdin = format!("s1\npassword={}\n", secrets[1]);
    // The last file has no final newline: it stays without one.
    let b = format!("b1\nCookie: session={}; theme=dark", secrets[2]);
    sb.write("a.log", &a);
    sb.write("b.log", &b);
    let run = sb.run(["a.log", "-", "b.log"], stdin.as_bytes());
    run.assert_code(0);
    let expected = "a1\napi_key=[REDACTED]\ns1\npassword=[REDACTED]\nb1\nCookie: session=[REDACTED]; theme=dark";
    crate::eqnice!(expected, run.stdout(), "a.log - b.log");
}

#[test]
fn file_without_final_newline_is_not_joined_to_the_next() {
    let sb = Sandbox::new();
    sb.write("a.log", "first");
    sb.write("b.log", "second\n");
    let run = sb.run(["a.log", "b.log"], b"");
    run.assert_code(0);
    crate::eqnice!(b"firstsecond\n", run.stdout());
}

#[test]
fn unreadable_input_exits_2() {
    let sb = Sandbox::new();
    let run = sb.run(["missing.log"], b"");
    run.assert_code(2);
    let err = run.stderr_str();
    assert!(err.starts_with("logscrub: "), "{}", run.dump());
    assert!(err.contains("missing.log"), "message names the file\n{}", run.dump());
}

#[test]
fn directory_as_input_exits_2() {
    let sb = Sandbox::new();
    std::fs::create_dir(sb.path().join("logs")).expect("mkdir");
    let run = sb.run(["logs"], b"");
    run.assert_code(2);
    assert!(run.stderr_str().starts_with("logscrub: "), "{}", run.dump());
    assert!(run.stderr_str().contains("logs"), "message names the input\n{}", run.dump());
}

#[test]
fn write_failure_mid_stream_exits_1() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("no /dev/full on this system: skipped");
        return;
    };
    let sb = Sandbox::new();
    sb.write("in.log", "line one\npassword=x\n".repeat(1000));
    let mut cmd = sb.cmd(["in.log"]);
    cmd.stdout(full);
    let out = cmd.stderr(Stdio::piped()).stdin(Stdio::null()).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(stderr.starts_with("logscrub: "), "stderr: {stderr}");
}

fn bad_flags() -> Vec<Vec<&'static str>> {
    vec![vec!["--frobnicate"], vec!["--threads", "many"], vec!["--threads", "0"], vec!["-o"]]
}

#[test]
fn bad_flag_exits_2() {
    let sb = Sandbox::new();
    for args in bad_flags() {
        let run = sb.run(&args, b"");
        run.assert_code(2);
        assert!(!run.stderr_str().trim().is_empty(), "no message\n{}", run.dump());
        assert!(run.stdout().is_empty(), "{}", run.dump());
    }
}

#[test]
fn bad_flag_message_starts_with_program_name() {
    let sb = Sandbox::new();
    for args in bad_flags() {
        let run = sb.run(&args, b"");
        assert!(run.stderr_str().starts_with("logscrub: "), "message should start with `logscrub: `\n{}", run.dump());
    }
}

#[test]
fn threads_do_not_change_output() {
    let sb = Sandbox::new();
    let mut input = Vec::new();
    let tokens: Vec<_> =
        [Flavor::Hs256, Flavor::Es256, Flavor::JweDir, Flavor::Unsecured].iter().map(|&f| mint::mint(f)).collect();
    for i in 0..4000 {
        let line = match i % 7 {
            0 => format!("{i} Authorization: Bearer {}\n", tokens[i % tokens.len()].token),
            3 => format!("{i} password={}\r\n", mint::alnum(12)),
            _ => format!("{i} plain log line with nothing in it, version 1.2.{i}\n"),
        };
        input.extend_from_slice(line.as_bytes());
    }
    sb.write("big.log", &input);
    let one = sb.run(["--threads", "1", "big.log"], b"");
    one.assert_code(0);
    crate::eqnice!(util::scrub_buf(&input), one.stdout(), "--threads 1 vs library");
    for n in ["2", "3"] {
        let many = sb.run(["--threads", n, "big.log"], b"");
        many.assert_code(0);
        crate::eqnice!(one.stdout(), many.stdout(), "--threads {n} vs --threads 1");
    }
}

// ---- --rules -------------------------------------------------------------------------------------

#[test]
fn rules_file_changes_claim_actions() {
    let sb = Sandbox::new();
    let (src, _) = edit(DEFAULT_RULES, "sub = \"redact\"", "sub = \"keep\"", "keep");
    sb.write("keep-sub.toml", &src);
    let m = mint::mint(Flavor::Hs512);
    let input = format!("id_token={}\n", m.token);
    let run = sb.run(["--rules", "keep-sub.toml"], input.as_bytes());
    run.assert_code(0);
    let out = String::from_utf8(run.stdout().to_vec()).expect("utf-8");
    let token = out.trim_end().strip_prefix("id_token=").expect("key kept");
    let claims: Value =
        jsonwebtoken::dangerous::insecure_decode_claims(token).unwrap_or_else(|e| panic!("unreadable ({e}): {out}"));
    assert_eq!(claims["sub"], Value::from(m.claims.sub.as_str()), "{out}");
    assert_eq!(claims["email"], "[REDACTED]", "{out}");
    assert!(!out.contains(m.signature()), "{out}");
}

#[test]
fn hash_without_key_refuses_to_start() {
    let sb = Sandbox::new();
    let (src, _) = edit(DEFAULT_RULES, "sub = \"redact\"", "sub = \"hash\"", "hash");
    sb.write("hash.toml", &src);
    let run = sb.run(["--rules", "hash.toml"], b"password=x\n");
    assert_ne!(run.code(), Some(0), "started without a hash key\n{}", run.dump());
    assert!(run.stdout().is_empty(), "{}", run.dump());
    assert!(run.stderr_str().starts_with("logscrub: ") || run.stderr_str().starts_with("hash.toml"), "{}", run.dump());
}

#[test]
fn hash_with_key_is_stable_and_keyed() {
    let sb = Sandbox::new();
    let (src, _) = edit(DEFAULT_RULES, "sub = \"redact\"", "sub = \"hash\"", "hash");
    sb.write("hash.toml", &src);
    let claims = mint::Claims::random();
    let t1 = mint::mint_with(Flavor::Hs256, claims.clone());
    let t2 = mint::mint_with(Flavor::Es256, claims.clone());
    let input = format!("id_token={}\nid_token={}\n", t1.token, t2.token);
    let sub_of = |key: &str| -> Vec<Value> {
        let mut cmd = sb.cmd(["--rules", "hash.toml"]);
        cmd.env("LOGSCRUB_HASH_KEY", key);
        let run = util::run_cmd(cmd, input.as_bytes());
        run.assert_code(0);
        let out = String::from_utf8(run.stdout().to_vec()).expect("utf-8");
        assert!(!out.contains(&claims.sub), "sub in clear: {out}");
        out.lines()
            .map(|l| {
                let token = l.strip_prefix("id_token=").expect("key kept");
                let c: Value = jsonwebtoken::dangerous::insecure_decode_claims(token)
                    .unwrap_or_else(|e| panic!("unreadable ({e}): {l}"));
                c["sub"].clone()
            })
            .collect()
    };
    let a = sub_of(&mint::hex(32));
    assert_eq!(a[0], a[1], "same sub, same key: same pseudonym");
    let shown = a[0].as_str().expect("hashed sub is a string");
    let hex = shown.strip_prefix("k1:").unwrap_or_else(|| panic!("`k1:` prefix: {shown}"));
    assert_eq!(hex.len(), 16, "hex_len 16: {shown}");
    assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()), "{shown}");
    let b = sub_of(&mint::hex(32));
    assert_ne!(a[0], b[0], "another key, another pseudonym");
}

// ---- --stats -------------------------------------------------------------------------------------

#[test]
fn stats_json_counts_findings() {
    let sb = Sandbox::new();
    let jws: Vec<_> = [Flavor::Hs256, Flavor::Rs256, Flavor::Es256].iter().map(|&f| mint::mint(f)).collect();
    let mut lines = vec!["clean 1".to_string(), "version 1.2.3 on app.example.com".into()];
    for m in &jws {
        lines.push(format!("got {} from idp", m.token));
    }
    for _ in 0..2 {
        lines.push(format!("x {} y", mint::mint(Flavor::Unsecured).token));
    }
    lines.push(format!("id_token={}", mint::mint(Flavor::JweRsaOaep).token));
    for v in &mint::opaque_values()[..2] {
        lines.push(format!("Authorization: Bearer {v}"));
    }
    lines.push(format!("Authorization: Basic {}", mint::basic_credentials().1));
    lines.push(format!("db_password={}", mint::alnum(16)));
    lines.push(format!("key AKIA{} used", mint::alnum(16).to_uppercase()));
    lines.push("clean 2".into());
    let input = lines.join("\n") + "\n";

    let run = sb.run(["--stats"], input.as_bytes());
    run.assert_code(0);
    let json = stats_of(&run);
    let n = |path: &[&str]| -> u64 {
        let mut v = &json;
        for p in path {
            v = &v[*p];
        }
        v.as_u64().unwrap_or_else(|| panic!("{path:?} is not a number in {json}"))
    };
    let mut problems = Vec::new();
    let mut expect = |path: &[&str], want: u64| {
        let got = n(path);
        if got != want {
            problems.push(format!("{}: expected {want}, got {got}", path.join(".")));
        }
    };
    expect(&["lines"], lines.len() as u64);
    expect(&["bytes_in"], input.len() as u64);
    expect(&["bytes_out"], run.stdout().len() as u64);
    expect(&["findings", "jws"], 3);
    expect(&["findings", "unsecured"], 2);
    expect(&["findings", "jwe"], 1);
    expect(&["findings", "bearer"], 2);
    expect(&["findings", "basic"], 1);
    expect(&["findings", "secret_key"], 1);
    expect(&["findings", "pattern"], 1);
    // 3 JWS + 2 unsecured, each with sub, email, name, org and tenant_ref redacted.
    expect(&["claims_redacted"], 5 * 5);
    assert!(problems.is_empty(), "{}\nstats: {json}", problems.join("\n"));
}

/// The `--stats` object: all of stderr, one JSON object.
fn stats_of(run: &util::Run) -> Value {
    let json: Value = serde_json::from_str(run.stderr_str().trim())
        .unwrap_or_else(|e| panic!("stderr is not one JSON object ({e})\n{}", run.dump()));
    assert!(json.is_object(), "{json}");
    json
}

#[test]
fn stats_off_means_quiet_stderr() {
    let sb = Sandbox::new();
    let run = sb.run(Vec::<String>::new(), b"password=x\n");
    run.assert_code(0);
    assert!(run.stderr_str().is_empty(), "{}", run.dump());
}

// ---- streaming -----------------------------------------------------------------------------------

/// The binary reading a pipe we write to, with its output lines arriving on a channel.
struct Live {
    child: std::process::Child,
    stdin: Option<std::process::ChildStdin>,
    lines: mpsc::Receiver<Vec<u8>>,
    _sandbox: Sandbox,
}

impl Live {
    fn start() -> Live {
        let sandbox = Sandbox::new();
        let mut child = sandbox
            .cmd(Vec::<String>::new())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn logscrub");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut line = Vec::new();
                match r.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        if tx.send(line).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        Live { child, stdin, lines: rx, _sandbox: sandbox }
    }

    fn write(&mut self, bytes: &[u8]) {
        let w = self.stdin.as_mut().expect("stdin open");
        w.write_all(bytes).expect("write to logscrub");
        w.flush().expect("flush to logscrub");
    }

    fn next_line(&self, what: &str) -> Vec<u8> {
        self.lines
            .recv_timeout(LIVENESS_TIMEOUT)
            .unwrap_or_else(|_| panic!("{what}: no output line within {LIVENESS_TIMEOUT:?} while input paused"))
    }

    fn finish(mut self) {
        drop(self.stdin.take());
        let status = self.child.wait().expect("wait");
        assert!(status.success(), "exit status {status:?}");
        assert!(self.lines.recv_timeout(LIVENESS_TIMEOUT).is_err(), "unexpected trailing output");
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        if self.stdin.is_some() {
            // A failed test: do not leave the child behind.
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn lines_are_flushed_when_input_pauses() {
    let mut live = Live::start();
    for i in 0..3 {
        let line = format!("plain line {i}\n");
        live.write(line.as_bytes());
        crate::eqnice!(line, live.next_line(&format!("clean line {i}")));
        let secret = mint::alnum(20);
        live.write(format!("password={secret} {i}\n").as_bytes());
        crate::eqnice!(format!("password=[REDACTED] {i}\n"), live.next_line(&format!("secret line {i}")));
    }
    live.finish();
}

#[test]
fn token_split_across_reads_is_redacted() {
    let mut live = Live::start();
    for flavor in [Flavor::Rs256, Flavor::JweDir] {
        let m = mint::mint(flavor);
        let line = format!("Authorization: Bearer {}\n", m.token);
        // Cut inside the token, after the header and a bit of the payload.
        let cut = "Authorization: Bearer ".len() + m.header.len() + 7;
        live.write(&line.as_bytes()[..cut]);
        std::thread::sleep(Duration::from_millis(100));
        live.write(&line.as_bytes()[cut..]);
        let out = live.next_line(&format!("{flavor:?} split token"));
        for s in m.secret_segments() {
            assert!(!contains(&out, s.as_bytes()), "{flavor:?}: secret survived: {}", show(&out));
        }
        assert!(out.starts_with(format!("Authorization: Bearer {}.", m.header).as_bytes()), "{}", show(&out));
        crate::eqnice!(util::scrub_buf(line.as_bytes()), out, "{flavor:?}: streamed vs library");
    }
    // A secret key cut between key and value.
    let secret = mint::alnum(24);
    live.write(b"user=bob pass");
    std::thread::sleep(Duration::from_millis(100));
    live.write(format!("word={secret} ok\n").as_bytes());
    crate::eqnice!(b"user=bob password=[REDACTED] ok\n", live.next_line("split key"));
    live.finish();
}

/// The smallest window the framers allow (`--max-line` is raised to it): 256 KiB.
const MIN_WINDOW: usize = logscrub::frame::FrameConfig::MIN_WINDOW;

#[test]
fn long_line_with_tokens_is_scrubbed_in_windows() {
    let sb = Sandbox::new();
    let tokens: Vec<_> = (0..40).map(|i| mint::mint(Flavor::ALL[i % Flavor::ALL.len()])).collect();
    let secrets: Vec<String> = (0..40).map(|_| mint::alnum(24)).collect();
    let mut line = String::new();
    let filler = "lorem ipsum dolor sit amet ".repeat(900);
    for (m, secret) in tokens.iter().zip(&secrets) {
        line.push_str(&filler);
        line.push_str(&format!("Authorization: Bearer {} password={secret} ", m.token));
    }
    line.push_str("end\n");
    assert!(line.len() > 3 * MIN_WINDOW, "the line must span several windows");
    sb.write("long.log", &line);
    let run = sb.run(["--max-line", "1", "--stats", "long.log"], b"");
    run.assert_code(0);
    assert!(
        stats_of(&run)["long_line_cuts"].as_u64().unwrap_or(0) >= 2,
        "the line was not cut into windows, so this test tests nothing\n{}",
        run.stderr_str()
    );
    let out = run.stdout();
    for m in &tokens {
        for s in m.secret_segments() {
            assert!(!contains(out, s.as_bytes()), "{:?} secret survived a window cut", m.flavor);
        }
    }
    for s in &secrets {
        assert!(!contains(out, s.as_bytes()), "password value survived a window cut");
    }
    crate::eqnice!(util::scrub_buf(line.as_bytes()), out, "windows vs whole line");
}

/// Over-long lines cut with a small `--max-line`: `-j 1` (the framer) and `-j 2` (the parallel
/// chunker) must cut them at the same places, so their output is byte-identical. Each line
/// holds shapes whose result depends on where a cut falls: a quoted value longer than half the
/// floor window, a long token run after a key, secrets and tokens between filler words.
#[test]
fn threads_cut_over_long_lines_at_the_same_places() {
    let sb = Sandbox::new();
    let token = mint::mint(Flavor::Hs256).token;
    let words = |n: usize| (0..n).map(|i| format!("w{i} ")).collect::<String>();
    let mut input = String::new();
    for shape in 0..4 {
        match shape {
            // A quoted value of about 190 KiB: longer than half a 256 KiB window.
            0 => input.push_str(&format!("{}password=\"{}\" tail {}\n", words(9_000), words(30_000), words(20_000))),
            // A run of token bytes of about 200 KiB after a key.
            1 => input.push_str(&format!("{}token={} tail {}\n", words(12_000), mint::alnum(200 * 1024), words(9_000))),
            // Secrets and tokens spread through filler.
            2 => {
                for k in 0..60 {
                    input.push_str(&words(1_500));
                    input.push_str(&format!("password={} Authorization: Bearer {token} ", mint::alnum(16 + k % 7)));
                }
                input.push('\n');
            }
            _ => input.push_str(&format!("{}msg=\"{}{}\"\n", words(40_000), words(20_000), mint::alnum(90_000))),
        }
    }
    assert!(input.lines().all(|l| l.len() > MIN_WINDOW), "every line must be cut");
    sb.write("long.log", &input);
    let one = sb.run(["--max-line", "1000", "--threads", "1", "long.log"], b"");
    one.assert_code(0);
    let two = sb.run(["--max-line", "1000", "--threads", "2", "long.log"], b"");
    two.assert_code(0);
    crate::eqnice!(one.stdout(), two.stdout(), "--threads 2 vs --threads 1 with --max-line 1000");
}

#[test]
fn token_longer_than_the_window_fails_closed() {
    let sb = Sandbox::new();
    let giant = mint::alnum(MIN_WINDOW + 50_000);
    let header = format!(r#"{{"alg":"HS256","typ":"JWT","kid":"{}"}}"#, mint::hex(4));
    let payload = format!(r#"{{"iss":"x","blob":"{giant}"}}"#);
    let token = mint::hs256_raw(header.as_bytes(), payload.as_bytes());
    let signature = token.rsplit('.').next().expect("three segments").to_string();
    let input = format!("before Authorization: Bearer {token} after\nnext line\n");
    sb.write("huge.log", &input);
    let run = sb.run(["--max-line", "1", "--stats", "huge.log"], b"");
    run.assert_code(0);
    assert!(
        stats_of(&run)["oversized_runs_redacted"].as_u64().unwrap_or(0) >= 1,
        "no oversized run was reported\n{}",
        run.stderr_str()
    );
    let out = run.stdout();
    assert!(!contains(out, signature.as_bytes()), "signature survived");
    // The payload is base64: look for a long stretch of it.
    let payload_b64 = token.split('.').nth(1).expect("payload");
    let probe = payload_b64.get(payload_b64.len() / 2..payload_b64.len() / 2 + 64).expect("base64 is ASCII");
    assert!(!contains(out, probe.as_bytes()), "payload survived");
    assert!(out.starts_with(b"before Authorization: Bearer "), "{}", show(&out[..out.len().min(200)]));
    assert!(out.ends_with(b" after\nnext line\n"), "{}", show(&out[out.len().saturating_sub(200)..]));
    assert!(out.len() < input.len(), "output should be much shorter than the input");
}
