//! Issue 9: partial masks, value-only replacement and keyed pseudonyms, in every context a
//! rule applies to (claims, bearer values, secret-key values, pattern matches).

// Test data here is ASCII (minted claims, alphanumeric values): byte indexes are char indexes.
#![allow(clippy::string_slice)]

use logscrub::{Rules, Scratch, Scrubber};
use serde_json::Value;

use crate::mint::{self, Claims, Flavor, alnum, b64url, unb64url};
use crate::util::show;

fn scrubber(toml: &str) -> Scrubber {
    let rules = Rules::from_toml("test.toml", toml).unwrap_or_else(|e| panic!("{e}"));
    Scrubber::with_hash_key(&rules, b"test hash key")
}

fn scrub(s: &Scrubber, line: &str) -> String {
    let out = s.scrub_line(line.as_bytes(), &mut Scratch::default()).into_owned();
    let out = String::from_utf8(out).expect("utf-8 in, utf-8 out");
    let again = s.scrub_line(out.as_bytes(), &mut Scratch::default()).into_owned();
    assert_eq!(show(&again), show(out.as_bytes()), "scrubbing twice must change nothing");
    out
}

/// The payload of the first compact token in `line`, decoded.
fn payload_of(line: &str, header: &str) -> Value {
    let at = line.find(header).expect("token header kept");
    let rest = &line[at + header.len() + 1..];
    let p: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    serde_json::from_slice(&unb64url(&p).expect("payload is base64url")).expect("payload is JSON")
}

#[test]
fn masks_apply_to_bearer_values_secret_keys_and_patterns() {
    let gho = format!("gho_{}", alnum(36));
    let opaque = alnum(40);
    let s = scrubber(
        r#"
[bearer]
action = "mask:first=3,last=4"
[[secret_keys]]
names = ["password"]
action = "mask:last=2"
[[secret_keys]]
names = ["email"]
action = "mask:email"
[[patterns]]
name = "github-token"
regex = '\bgh[pousr]_[A-Za-z0-9]{36,255}'
action = "mask:prefix"
"#,
    );
    let line = format!("Authorization: Bearer {opaque} password=hunter2xyz email=ada.l@example.org note {gho} end");
    let out = scrub(&s, &line);
    let want = format!(
        "Authorization: Bearer {}***{} password=***yz email=****@example.org note gho_*** end",
        &opaque[..3],
        &opaque[36..]
    );
    assert_eq!(out, want);
}

#[test]
fn masks_apply_to_claims_and_keep_the_payload_json() {
    let claims = Claims::random();
    let m = mint::mint_with(Flavor::Hs256, claims.clone());
    let s = scrubber(
        r#"
[jwt.claims]
iss = "keep"
email = "mask:email,first=2"
sub = "mask:last=4"
name = "mask:first=3"
"#,
    );
    let out = scrub(&s, &format!("token={}", m.token));
    let p = payload_of(&out, &m.header);
    let domain = claims.email.split('@').nth(1).unwrap();
    assert_eq!(p["email"], format!("{}****@{domain}", &claims.email[..2]));
    assert_eq!(p["sub"], format!("***{}", &claims.sub[claims.sub.len() - 4..]));
    assert_eq!(p["name"], format!("{}***", &claims.name[..3]));
    assert_eq!(p["iss"], claims.iss);
    assert!(!out.contains(m.signature()));
}

/// The value is replaced and everything around it kept: key, quotes, delimiters, and JSON
/// escaping, so a JSON line stays JSON with the same keys.
#[test]
fn value_only_replacement_keeps_structure_and_json_escaping() {
    for action in ["redact", "hash", "mask", "mask:first=2,last=3", "mask:email", "mask:prefix,last=2"] {
        let s = scrubber(&format!(
            "[bearer]\naction = \"{action}\"\n[[secret_keys]]\nnames = [\"password\", \"token\", \"authorization\"]\naction = \"{action}\"\n"
        ));
        let secret = format!("p\\\"q\\\\r{}\\u00e9\\\"", alnum(20));
        let json = format!(
            r#"{{"level":"info","password":"{secret}","nested":{{"token":"{secret}"}},"headers":{{"Authorization":"Bearer {b}"}},"n":1}}"#,
            b = alnum(32)
        );
        let before: Value = serde_json::from_str(&json).expect("test input is JSON");
        let out = scrub(&s, &json);
        let after: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{action}: not JSON ({e}): {out}"));
        assert_eq!(after["level"], "info", "{action}");
        assert_eq!(after["n"], 1, "{action}");
        for (path, v) in [("/password", &before["password"]), ("/nested/token", &before["nested"]["token"])] {
            let got = after.pointer(path).unwrap_or_else(|| panic!("{action}: {path} kept"));
            assert!(got.is_string() && got != v, "{action}: {path} rewritten, got {got}");
        }
        let auth = after["headers"]["Authorization"].as_str().unwrap();
        assert!(auth.starts_with("Bearer ") && auth != before["headers"]["Authorization"], "{action}: {auth}");
        // Same shape in an escaped JSON string inside a JSON log line (a message holding JSON).
        let outer = serde_json::json!({ "msg": json }).to_string();
        let out = scrub(&s, &outer);
        let msg: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{action}: outer ({e}): {out}"));
        let inner: Value = serde_json::from_str(msg["msg"].as_str().unwrap())
            .unwrap_or_else(|e| panic!("{action}: inner JSON broken ({e}): {out}"));
        assert_ne!(inner["password"], before["password"], "{action}");
        assert_eq!(inner["level"], "info");
    }
}

#[test]
fn value_only_replacement_in_query_strings_headers_and_logfmt() {
    let s = scrubber("[[secret_keys]]\nnames = [\"access_token\", \"password\"]\naction = \"mask:last=3\"\n");
    let v = alnum(24);
    let tail = &v[21..];
    for (line, want) in [
        (
            format!("GET /cb?code=1&access_token={v}&state=x HTTP/1.1"),
            format!("GET /cb?code=1&access_token=***{tail}&state=x HTTP/1.1"),
        ),
        (format!("password: {v}"), format!("password: ***{tail}")),
        (format!("level=info password=\"{v}\" user=bob"), format!("level=info password=\"***{tail}\" user=bob")),
        (format!("{{'password': '{v}'}}"), format!("{{'password': '***{tail}'}}")),
    ] {
        assert_eq!(scrub(&s, &line), want);
    }
}

#[test]
fn a_redact_rule_does_not_trust_mask_shaped_values() {
    // `abcd***` looks like a mask's output; under `redact` it must still be redacted.
    let s = scrubber("[[secret_keys]]\nnames = [\"password\"]\naction = \"redact\"\n");
    assert_eq!(scrub(&s, "password=hunt***"), "password=[REDACTED]");
    assert_eq!(scrub(&s, "password=k1:0123456789abcdef"), "password=[REDACTED]");
    let m = scrubber("[[secret_keys]]\nnames = [\"password\"]\naction = \"mask:4\"\n");
    assert_eq!(scrub(&m, "password=hunt***"), "password=hunt***");
}

#[test]
fn mask_errors_are_located() {
    for (toml, want) in [
        (
            "[bearer]\naction = \"mask:last=65\"\n",
            "test.toml:2:10: `last` in a mask for `bearer.action` must be between 0 and 64, got 65",
        ),
        (
            "[jwt.claims]\nemail = \"mask:domain\"\n",
            "test.toml:2:9: unknown mask option `domain` in `mask:domain` for `jwt.claims.email`",
        ),
        (
            "[[patterns]]\nname = \"x\"\nregex = 'x[0-9]+'\naction = \"mask:first=two\"\n",
            "test.toml:4:10: `first` in a mask for `patterns.action` must be a number, got \"two\"",
        ),
    ] {
        let e = Rules::from_toml("test.toml", toml).unwrap_err().to_string();
        assert!(e.starts_with(want), "{e}\nwant: {want}");
    }
}

#[test]
fn b64url_helper_round_trips() {
    // Guards the decoding helper the claim tests rely on.
    assert_eq!(unb64url(&b64url(b"{\"a\":1}")).unwrap(), b"{\"a\":1}");
}

const ROTATED: &str = r#"
[hash]
key_id = "k2026q4"
key_env = "TEST_HASH_KEY_Q4"
[[hash.retired]]
key_id = "k2026q3"
key_env = "TEST_HASH_KEY_Q3"
[[hash.retired]]
key_id = "k2026q2"
[[secret_keys]]
names = ["user_email"]
action = "hash"
"#;

#[test]
fn rotation_keeps_old_pseudonyms_and_makes_new_ones_with_the_active_key() {
    let old_rules = "[hash]\nkey_id = \"k2026q3\"\n[[secret_keys]]\nnames = [\"user_email\"]\naction = \"hash\"\n";
    let old = Scrubber::with_hash_key(&Rules::from_toml("old.toml", old_rules).unwrap(), b"q3 key");
    let line = "login user_email=ada@example.org ok";
    let scrubbed_q3 = scrub(&old, line);
    assert!(scrubbed_q3.starts_with("login user_email=k2026q3:"), "{scrubbed_q3}");

    let rules = Rules::from_toml("new.toml", ROTATED).unwrap();
    let new = Scrubber::with_hash_key(&rules, b"q4 key");
    // Logs scrubbed under the retired key pass through unchanged...
    assert_eq!(scrub(&new, &scrubbed_q3), scrubbed_q3);
    // ...new values get the active key's id, and the same value under each key differs.
    let scrubbed_q4 = scrub(&new, line);
    assert!(scrubbed_q4.starts_with("login user_email=k2026q4:"), "{scrubbed_q4}");
    assert_eq!(
        scrubbed_q4.trim_end_matches(" ok").rsplit(':').next().unwrap(),
        &logscrub::pseudonym(b"q4 key", "k2026q4", 16, b"ada@example.org")[8..]
    );
    let ids: Vec<&str> = rules.hash_settings().key_ids().collect();
    assert_eq!(ids, ["k2026q4", "k2026q3", "k2026q2"]);
    assert!(
        rules
            .summary()
            .contains("retired key ids (recognised, never used for new pseudonyms): \"k2026q3\", \"k2026q2\""),
        "{}",
        rules.summary()
    );
}

#[test]
fn hash_command_prints_pseudonyms_under_every_available_key() {
    let sb = crate::util::Sandbox::new();
    let rules = sb.write("rules.toml", ROTATED);
    let run = |vars: &[(&str, &str)], args: &[&str], stdin: &[u8]| {
        let mut cmd = sb.cmd(["hash", "--rules", rules.to_str().unwrap()]);
        cmd.args(args);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        crate::util::run_cmd(cmd, stdin)
    };
    let both = [("TEST_HASH_KEY_Q4", "q4 key"), ("TEST_HASH_KEY_Q3", "q3 key")];
    let r = run(&both, &["ada@example.org"], b"");
    r.assert_code(0);
    let want = format!(
        "{} {}\n",
        logscrub::pseudonym(b"q4 key", "k2026q4", 16, b"ada@example.org"),
        logscrub::pseudonym(b"q3 key", "k2026q3", 16, b"ada@example.org")
    );
    assert_eq!(String::from_utf8_lossy(r.stdout()), want);
    assert!(r.stderr_str().contains("retired key id \"k2026q2\" has no key available: skipped"), "{}", r.dump());
    // Values from standard input, one per line.
    let r = run(&both, &[], b"ada@example.org\nbob@example.org\n");
    r.assert_code(0);
    let out = String::from_utf8_lossy(r.stdout()).into_owned();
    assert_eq!(out.lines().count(), 2);
    assert!(out.starts_with(&want));
    // No active key: exit 2, named.
    let r = run(&[], &["x"], b"");
    r.assert_code(2);
    assert!(r.stderr_str().contains("no key for the active key id \"k2026q4\""), "{}", r.dump());
}

#[test]
fn keys_are_never_taken_from_the_rule_file_and_ids_are_unique() {
    let e = Rules::from_toml("r.toml", "[hash]\nkey = \"hunter2\"\n").unwrap_err().to_string();
    assert!(e.starts_with("r.toml:2:7: `hash.key`: keys are never read from the rule file"), "{e}");
    assert!(!e.contains("hunter2"), "the key must not be echoed: {e}");
    let e = Rules::from_toml(
        "r.toml",
        "[hash]\nkey_id = \"a\"\n[[hash.retired]]\nkey_id = \"b\"\nkey = \"x\"\n[[hash.retired]]\nkey_id = \"a\"\n",
    )
    .unwrap_err();
    let s = e.to_string();
    assert_eq!(e.problems().len(), 2, "{s}");
    assert!(s.contains("r.toml:5:7: `hash.retired.key`: keys are never read"), "{s}");
    assert!(s.contains("r.toml:7:10: key id \"a\" is used twice in [hash]"), "{s}");
    let e = Rules::from_toml("r.toml", "[[hash.retired]]\nkey_env = \"X\"\n").unwrap_err().to_string();
    assert!(e.starts_with("r.toml:1:1: missing field `key_id`"), "{e}");
}

// ---- [[jwt.conditions]] ---------------------------------------------------------------------

const CONDITIONS: &str = r#"
[jwt.claims]
iss = "keep"
aud = "keep"
role = "keep"
tier = "keep"

[[jwt.conditions]]
name = "service-role"
when = { role = "service_role" }
claims = { role = "redact", tier = "hash" }

[[jwt.conditions]]
name = "production-api"
when = { aud = ["api.prod.example.com", "admin.prod.example.com"] }
flag = "prod_token"

[[jwt.conditions]]
name = "prod-service"
when = { aud = "api.prod.example.com", role = "service_role" }
claims = { tier = "drop" }
flag = "prod_service_token"
"#;

fn token(payload: &Value) -> String {
    mint::hs256_raw(br#"{"alg":"HS256","typ":"JWT"}"#, payload.to_string().as_bytes())
}

fn scrubbed_payload(s: &Scrubber, tok: &str) -> Value {
    let out = scrub(s, &format!("auth ok token={tok} done"));
    let header = tok.split('.').next().unwrap();
    payload_of(&out, header)
}

#[test]
fn conditions_change_claim_actions_only_for_matching_tokens() {
    let s = scrubber(CONDITIONS);
    let anon = serde_json::json!({"iss": "https://idp", "aud": "api.qa.example.com", "role": "anon", "tier": "gold"});
    assert_eq!(scrubbed_payload(&s, &token(&anon)), anon, "no condition matches: [jwt.claims] as written");

    let svc =
        serde_json::json!({"iss": "https://idp", "aud": "api.qa.example.com", "role": "service_role", "tier": "gold"});
    let p = scrubbed_payload(&s, &token(&svc));
    assert_eq!(p["role"], "[REDACTED]");
    assert_eq!(p["tier"], logscrub::pseudonym(b"test hash key", "k1", 16, b"gold"));
    assert_eq!(p["iss"], "https://idp");

    // Both clauses of the third condition hold: it is later, so its `tier = drop` wins.
    let prod_svc = serde_json::json!({"aud": ["x", "api.prod.example.com"], "role": ["service_role"], "tier": "gold"});
    let p = scrubbed_payload(&s, &token(&prod_svc));
    assert_eq!(p["role"], "[REDACTED]");
    assert!(p.get("tier").is_none(), "{p}");
    // One clause only: not matched.
    let prod_anon = serde_json::json!({"aud": "api.prod.example.com", "role": "anon", "tier": "gold"});
    assert_eq!(scrubbed_payload(&s, &token(&prod_anon))["tier"], "gold");
}

#[test]
fn conditions_flag_tokens_in_findings_and_gate_scan() {
    let sb = crate::util::Sandbox::new();
    sb.write("rules.toml", format!("{CONDITIONS}\n[hash]\nkey_env = \"TEST_HASH_KEY\"\n"));
    let prod = serde_json::json!({"aud": "admin.prod.example.com", "role": "anon", "exp": 4_000_000_000u64});
    let qa = serde_json::json!({"aud": "api.qa.example.com", "role": "anon", "exp": 4_000_000_000u64});
    sb.write("app.log", format!("a {}\nb {}\n", token(&prod), token(&qa)));
    let mut cmd = sb.cmd(["--rules", "rules.toml", "--findings", "f.jsonl", "-o", "out.log", "app.log"]);
    cmd.env("TEST_HASH_KEY", "k");
    crate::util::run_cmd(cmd, b"").assert_code(0);
    let f = String::from_utf8(sb.read("f.jsonl")).unwrap();
    let reports: Vec<Value> = f.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(reports.len(), 2, "{f}");
    assert_eq!(reports[0]["rule_flags"], serde_json::json!(["prod_token"]), "{f}");
    assert_eq!(reports[0]["conditions"], serde_json::json!(["production-api"]), "{f}");
    assert!(reports[1].get("rule_flags").is_none() && reports[1].get("conditions").is_none(), "{f}");

    let scan = |fail_on: &str| {
        let mut cmd = sb.cmd(["scan", "--rules", "rules.toml", "--fail-on", fail_on, "app.log"]);
        cmd.env("TEST_HASH_KEY", "k");
        crate::util::run_cmd(cmd, b"")
    };
    let r = scan("prod_token");
    r.assert_code(1);
    let text = String::from_utf8_lossy(r.stdout()).into_owned();
    assert!(text.starts_with("app.log:1:3: jws [live,prod_token] jwt"), "{}", r.dump());
    scan("prod_service_token").assert_code(0);
    let r = scan("prod_tokn");
    r.assert_code(2);
    assert!(r.stderr_str().contains("unknown item `prod_tokn`"), "{}", r.dump());
    assert!(r.stderr_str().contains("prod_token, prod_service_token"), "{}", r.dump());
}

#[test]
fn condition_errors_are_located() {
    let src = r#"
[[jwt.conditions]]
when = { role = { nested = 1 } }
claims = { role = "shred" }
[[jwt.conditions]]
when = {}
flag = "live"
[[jwt.conditions]]
when = { a = "b" }
[[jwt.conditions]]
when = { a = "b" }
flag = "Bad Flag"
"#;
    let e = Rules::from_toml("c.toml", src).unwrap_err();
    let s = e.to_string();
    for want in [
        "c.toml:3:17: `jwt.conditions.when.role` must be a string, number or boolean, or a non-empty list of them",
        "c.toml:4:19: unknown action `shred` for `jwt.conditions.claims.role`",
        "c.toml:6:8: `jwt.conditions.when` must name at least one claim",
        "c.toml:7:8: `jwt.conditions.flag` \"live\" is a built-in flag or kind name",
        "c.toml:9:8: condition `condition 3` does nothing",
        "c.toml:12:8: `jwt.conditions.flag` must be 1 to 32 of a-z 0-9 _",
    ] {
        assert!(s.contains(want), "missing: {want}\n{s}");
    }
    assert_eq!(e.problems().len(), 6, "{s}");
    let e = Rules::from_toml("c.toml", "[[jwt.conditions]]\nwhen = { a = 1 }\nflag = \"x\"\nthen = 1\n").unwrap_err();
    assert!(e.to_string().starts_with("c.toml:4:1: unknown field `then`"), "{e}");
}

// ---- --explain and check --------------------------------------------------------------------

#[test]
fn explain_names_every_finding_and_never_a_secret() {
    let sb = crate::util::Sandbox::new();
    sb.write(
        "rules.toml",
        format!("{CONDITIONS}\n[hash]\nkey_env = \"LOGSCRUB_HASH_KEY\"\n[[secret_keys]]\nnames = [\"password\"]\n"),
    );
    let svc = serde_json::json!({"iss": "https://idp", "aud": "api.prod.example.com", "role": "service_role", "email": "ada@example.org"});
    let tok = token(&svc);
    let pw = alnum(16);
    let bearer = alnum(32);
    let log = format!("a password={pw}\nclean line\nAuthorization: Bearer {bearer}\nx {tok}\n");
    sb.write("app.log", &log);
    let mut cmd = sb.cmd(["--rules", "rules.toml", "--explain", "app.log"]);
    cmd.env("LOGSCRUB_HASH_KEY", "k");
    let r = crate::util::run_cmd(cmd, b"");
    r.assert_code(0);
    let err = r.stderr_str();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines,
        [
            "app.log:1:12 secret_key password redact",
            "app.log:3:23 bearer bearer redact",
            "app.log:4:3 jws jwt rewrite claims[iss=keep aud=keep role=redact email=redact] when[service-role,production-api,prod-service]",
        ],
        "{}",
        r.dump()
    );
    for secret in [&pw, &bearer, "service_role", "ada@example.org", tok.split('.').nth(2).unwrap()] {
        assert!(!err.contains(secret) && !String::from_utf8_lossy(r.stdout()).contains(secret), "{secret} leaked");
    }
    // From standard input, the input is named `<stdin>`; the scrubbed stream is unchanged by it.
    let keyed = |args: &[&str]| {
        let mut cmd = sb.cmd(args);
        cmd.env("LOGSCRUB_HASH_KEY", "k");
        crate::util::run_cmd(cmd, log.as_bytes())
    };
    let plain = keyed(&["--rules", "rules.toml"]);
    let r = keyed(&["--rules", "rules.toml", "--explain", "-j", "2"]);
    assert!(r.stderr_str().starts_with("<stdin>:1:12 secret_key password redact\n"), "{}", r.dump());
    assert_eq!(r.stdout(), plain.stdout());
}

#[test]
fn check_runs_the_shipped_golden_test_of_the_default_rules() {
    let root = env!("CARGO_MANIFEST_DIR");
    let sb = crate::util::Sandbox::new();
    let r = sb.run(
        ["check", "--explain", &format!("{root}/rules/default.toml"), &format!("{root}/rules/default.test.toml")],
        b"",
    );
    r.assert_code(0);
    let out = String::from_utf8_lossy(r.stdout()).into_owned();
    assert_eq!(out.lines().count(), 5, "{}", r.dump());
    assert!(out.lines().all(|l| l.contains("/rules/default.test.toml[sample]:")), "{}", r.dump());
    assert!(r.stderr_str().contains("7 expectation(s), 0 not met"), "{}", r.dump());
}

#[test]
fn check_names_each_expectation_not_met_and_exits_1() {
    let sb = crate::util::Sandbox::new();
    sb.write("sample.log", "user=bob password=hunter2\nall quiet\nAuthorization: Bearer abc.def\n");
    sb.write(
        "t.toml",
        r#"sample_file = "sample.log"
findings = 3

[[expect]]
line = 1
rule = "password"
action = "mask:4"

[[expect]]
line = 2
unchanged = true

[[expect]]
line = 1
output = "user=bob password=hunter2"

[[expect]]
line = 3
excludes = ["abc.def"]
count = 1
kind = "bearer"
"#,
    );
    let r = sb.run(["check", "--explain", "rules.toml", "t.toml"], b"");
    r.assert_code(2); // rules.toml does not exist yet
    assert!(r.stderr_str().contains("rules.toml"), "{}", r.dump());
    sb.write("rules.toml", "[[secret_keys]]\nnames = [\"password\"]\n");
    let r = sb.run(["check", "rules.toml", "t.toml"], b"");
    r.assert_code(1);
    let err = r.stderr_str();
    assert!(r.stdout().is_empty(), "no --explain, no finding lines\n{}", r.dump());
    assert!(err.contains("t.toml:2:12: expectation not met: expected 3 findings in the sample, got 2"), "{err}");
    assert!(
        err.contains("t.toml:4:1: expectation not met: line 1: expected a finding with rule password, action mask:4, found 0: [1:19 secret_key password redact]"),
        "{err}"
    );
    assert!(err.contains("t.toml:13:1: expectation not met: line 1: expected output \"user=bob password=hunter2\", got \"user=bob password=[REDACTED]\""), "{err}");
    assert!(!err.contains("t.toml:9:1") && !err.contains("t.toml:17:1"), "met expectations are quiet: {err}");
    assert!(err.contains("t.toml: 2 finding(s) in 3 line(s); 5 expectation(s), 3 not met"), "{err}");
    // A bad test file is a usage error, located.
    sb.write("bad.toml", "sample = \"x\"\n[[expect]]\nline = 2\nunchanged = true\n");
    let r = sb.run(["check", "rules.toml", "bad.toml"], b"");
    r.assert_code(2);
    assert!(r.stderr_str().contains("bad.toml:3:8: `line` must be between 1 and 1"), "{}", r.dump());
}

#[test]
fn check_dry_runs_a_plain_sample_without_a_hash_key() {
    let sb = crate::util::Sandbox::new();
    sb.write("rules.toml", "[[secret_keys]]\nnames = [\"password\"]\naction = \"hash\"\n");
    let r = sb.run(["check", "--explain", "rules.toml", "-"], b"password=x1\nok\npassword=x2\n");
    r.assert_code(0);
    assert_eq!(
        String::from_utf8_lossy(r.stdout()),
        "<stdin>:1:10 secret_key password hash\n<stdin>:3:10 secret_key password hash\n"
    );
    let err = r.stderr_str();
    assert!(err.contains("throwaway key") && err.contains("<stdin>: 2 finding(s) in 3 line(s)"), "{err}");
    // Without a sample, a rule file that cannot run here is still an error.
    sb.run(["check", "rules.toml"], b"").assert_code(2);
}

// ---- [[json_fields]] with hash and mask -----------------------------------------------------

fn format_scrub(s: &Scrubber, input: &str) -> String {
    use logscrub::format::{Format, FormatScrubber, FormatState};
    use logscrub::frame::{FrameConfig, Framer};
    let fmt = FormatScrubber::new(s, Format::Auto, 1 << 20);
    let (mut framer, mut state, mut out) = (Framer::new(FrameConfig::default()), FormatState::default(), Vec::new());
    logscrub::io::stream::scrub_stream_format(&fmt, &mut framer, &mut state, &mut input.as_bytes(), &mut out, None)
        .expect("in-memory scrub");
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn json_fields_take_hash_and_mask_and_stay_json() {
    let s = scrubber(
        r#"
[[json_fields]]
paths = ["user.email"]
action = "mask:email"
[[json_fields]]
paths = ["$.user_id", "phone"]
action = "hash"
[[json_fields]]
paths = ["card"]
action = "mask:last=4"
[[json_fields]]
paths = ["profile"]
action = "mask"
"#,
    );
    let line = r#"{"msg":"signup","user":{"email":"ada.l\u0040example.org"},"user_id":90210,"phone":"+44 20 7946 0958","card":"4111111111111111","profile":{"a":[1,2]},"ok":true}"#;
    let out = format_scrub(&s, &format!("{line}\n"));
    let v: Value = serde_json::from_str(out.trim_end()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["user"]["email"], "****@example.org", "decoded before masking: {out}");
    assert_eq!(v["user_id"], logscrub::pseudonym(b"test hash key", "k1", 16, b"90210"));
    assert_eq!(v["phone"], logscrub::pseudonym(b"test hash key", "k1", 16, b"+44 20 7946 0958"));
    assert_eq!(v["card"], "***1111");
    assert_eq!(v["profile"], "***");
    assert_eq!((&v["msg"], &v["ok"]), (&Value::from("signup"), &Value::from(true)));
    assert_eq!(format_scrub(&s, &out), out, "idempotent");
    let e = Rules::from_toml("r.toml", "[[json_fields]]\npaths = [\"a\"]\naction = \"hash\"\n").map(|r| r.uses_hash());
    assert_eq!(e, Ok(true), "a hash json_fields rule needs a key");
}

/// Every value action in every opaque context, against the rewrite functions' public results:
/// the same action gives the same text wherever the value sits.
#[test]
fn each_action_applies_in_each_opaque_context() {
    let v = format!("sk_live_{}", alnum(24));
    for action in ["keep", "redact", "hash", "mask:4", "mask:last=4", "mask:prefix", "mask:email"] {
        let want = match action {
            "keep" => v.clone(),
            "redact" => "[REDACTED]".to_string(),
            "hash" => logscrub::pseudonym(b"test hash key", "k1", 16, v.as_bytes()),
            "mask:4" => format!("{}***", &v[..4]),
            "mask:last=4" => format!("***{}", &v[v.len() - 4..]),
            "mask:prefix" => "sk_live_***".to_string(),
            _ => "***".to_string(), // not an email
        };
        let s = scrubber(&format!(
            "[bearer]\naction = \"{action}\"\n[[secret_keys]]\nnames = [\"api_key\"]\naction = \"{action}\"\n[[patterns]]\nname = \"stripe\"\nregex = 'sk_live_[0-9A-Za-z]{{24}}'\naction = \"{action}\"\n"
        ));
        for (line, expected) in [
            (format!("Authorization: Bearer {v}"), format!("Authorization: Bearer {want}")),
            (format!("api_key={v}&x=1"), format!("api_key={want}&x=1")),
            (format!("charged with {v} ok"), format!("charged with {want} ok")),
        ] {
            assert_eq!(scrub(&s, &line), expected, "{action}");
        }
    }
}

// ---- wider default coverage (found by probing public fixtures and header conventions) --------

#[test]
fn authorization_headers_take_any_scheme_word() {
    let v = alnum(32);
    let m = mint::mint(Flavor::Hs256);
    for (line, want) in [
        (format!("Authorization: JWT {v}"), "Authorization: JWT [REDACTED]".to_string()),
        (format!("proxy-authorization: SSWS {v} next"), "proxy-authorization: SSWS [REDACTED] next".to_string()),
        (format!("{{\"Authorization\":\"Bot {v}\"}}"), "{\"Authorization\":\"Bot [REDACTED]\"}".to_string()),
        (
            format!("Authorization: Digest username=\"bob\", realm=\"r\", response=\"{v}\", qop=auth next"),
            "Authorization: Digest [REDACTED] next".to_string(),
        ),
        ("authorization failed for user bob".to_string(), "authorization failed for user bob".to_string()),
    ] {
        assert_eq!(crate::util::scrub_line(line.as_bytes()), want.as_bytes(), "{line}");
    }
    // A JWT after an unknown scheme is rewritten by the JWT rules, not redacted whole.
    let out = String::from_utf8(crate::util::scrub_line(format!("Authorization: JWT {}", m.token).as_bytes())).unwrap();
    assert!(out.starts_with(&format!("Authorization: JWT {}.", m.header)) && !out.contains(m.signature()), "{out}");
}

#[test]
fn url_passwords_camel_case_keys_and_sas_signatures_are_redacted() {
    let pw = alnum(20);
    for (line, want) in [
        (
            format!("DATABASE_URL=postgres://admin:{pw}@db.example.com:5432/app"),
            "DATABASE_URL=postgres://admin:[REDACTED]@db.example.com:5432/app".to_string(),
        ),
        (
            format!("connecting to redis://:{pw}@cache:6379/0"),
            "connecting to redis://:[REDACTED]@cache:6379/0".to_string(),
        ),
        (format!("amqp+ssl://user:{pw}@mq/vhost ok"), "amqp+ssl://user:[REDACTED]@mq/vhost ok".to_string()),
        (
            format!("{{\"privateKey\":\"{pw}\",\"secretKey\":\"{pw}\"}}"),
            "{\"privateKey\":\"[REDACTED]\",\"secretKey\":\"[REDACTED]\"}".to_string(),
        ),
        (
            format!("GET /c/b.txt?sv=2021-06-08&sr=b&sig={pw}%3D HTTP/1.1"),
            "GET /c/b.txt?sv=2021-06-08&sr=b&sig=[REDACTED] HTTP/1.1".to_string(),
        ),
    ] {
        assert_eq!(String::from_utf8(crate::util::scrub_line(line.as_bytes())).unwrap(), want);
    }
    // Look-alikes stay: ports, user-only URLs, e-mail addresses, `@` after the path.
    for line in [
        "GET https://shop.example.com:8443/api?x=1 HTTP/1.1",
        "git clone ssh://git@github.com/org/repo.git",
        "mailto:ada@example.org and https://example.com/@user:profile",
        "referer https://example.com/a?b=c:d@e",
    ] {
        assert_eq!(crate::util::scrub_line(line.as_bytes()), line.as_bytes(), "{line}");
    }
}

#[test]
fn pattern_secret_group_and_requires() {
    let s = scrubber(
        r#"
[[patterns]]
name = "internal-ticket-key"
regex = 'tkt-(?P<secret>[0-9a-f]{16})\b'
action = "mask:last=4"
requires = ["ticket"]
"#,
    );
    assert_eq!(scrub(&s, "ticket tkt-0123456789abcdef opened"), "ticket tkt-***cdef opened");
    assert_eq!(scrub(&s, "no word here: tkt-0123456789abcdef"), "no word here: tkt-0123456789abcdef");
    let e = Rules::from_toml("r.toml", "[[patterns]]\nname = \"x\"\nregex = 'ab+'\nrequires = [\"\"]\n").unwrap_err();
    assert!(e.to_string().starts_with("r.toml:4:13: `patterns.requires` of `x` has an empty literal"), "{e}");
}

#[test]
fn tokens_with_percent_encoded_dots_are_found() {
    for flavor in [Flavor::Hs256, Flavor::Rs256, Flavor::Es256] {
        let m = mint::mint(flavor);
        for enc in ["%2E", "%2e"] {
            let line = format!("GET /next?ref={}&x=1 HTTP/1.1", m.token.replace('.', enc));
            let out = String::from_utf8(crate::util::scrub_line(line.as_bytes())).unwrap();
            assert!(!out.contains(m.signature()), "{flavor:?} {enc}: signature left in {out}");
            for secret in m.claims.secret_values() {
                assert!(!out.contains(secret), "{flavor:?} {enc}: claim left in {out}");
            }
            assert!(
                out.starts_with(&format!("GET /next?ref={}.", m.header)) && out.ends_with("&x=1 HTTP/1.1"),
                "{out}"
            );
            assert_eq!(crate::util::scrub_line(out.as_bytes()), out.as_bytes(), "idempotent");
        }
    }
}
