//! Unquoted secret values that hold punctuation (SECURITY.md "Known issues" 2, fixed): the
//! whole value is redacted, while query strings, cookies, logfmt, JSON, XML, access-log lines
//! and prose still end a value where they did.
//!
//! The rule (`credential::unquoted_end`): an unquoted value runs to whitespace or the end of
//! the line. Inside it a run of punctuation ends it early only where structure starts: a
//! separator (`& ; , |`) followed by the next member (`&next=`, `;b=`, `,"x":`, `&amp;next=`)
//! or by the end of the word (`secret, retrying`); a closer (`) ] } > " '`) that closes an
//! opener before the value (`(password=x)`, `msg="… password=x"`), at the end of the word or
//! before a separator; a tag (`</td>`); an escaped line break, tab or quote (`\n`, `\"`).
//!
//! Every case goes through `key_forms::scrub`: scrubbed twice (the second pass changes
//! nothing) and once through `--format auto` (same output). Values are obviously fake
//! passwords built here, never token shapes.

use crate::key_forms::{check, unchanged};
use crate::util::show;

/// The bytes that used to end an unquoted value.
const PUNCTUATION: [char; 12] = ['\'', '&', ';', ',', '\\', '"', '|', ')', ']', '}', '<', '>'];

/// A fake password with `p` inside it.
fn fake(p: char) -> String {
    format!("pa{p}ssw0rd")
}

/// [`check`] for cases built at run time.
fn check_built(cases: &[(String, &str)]) {
    check(&cases.iter().map(|(a, b)| (a.as_str(), *b)).collect::<Vec<_>>());
}

// ---- 1. punctuation inside a value ------------------------------------------------------------

#[test]
fn each_punctuation_byte_inside_a_value_is_redacted_with_it() {
    let mut cases = Vec::new();
    for p in PUNCTUATION {
        let v = fake(p);
        cases.push((format!("password={v}"), "password=[REDACTED]"));
        cases.push((format!("login password={v} user=bob"), "login password=[REDACTED] user=bob"));
        cases.push((format!("X-Api-Key: {v}"), "X-Api-Key: [REDACTED]"));
        cases.push((format!("client_secret={v}&grant_type=x"), "client_secret=[REDACTED]&grant_type=x"));
    }
    check_built(&cases);
}

#[test]
fn several_punctuation_bytes_in_one_value_are_redacted_together() {
    check(&[
        (r#"password=a'b&c;d,e\f"g|h)i]j}k<1>m tail"#, "password=[REDACTED] tail"),
        ("token=x;y;z", "token=[REDACTED]"),
        ("password=p@ss'w0rd!", "password=[REDACTED]"),
        ("password=f(x)", "password=[REDACTED]"),
        ("password=a[1]", "password=[REDACTED]"),
        (r"password=C:\dir\x22name", "password=[REDACTED]"),
        (r"password=back\\slash", "password=[REDACTED]"),
    ]);
}

#[test]
fn a_closer_at_the_end_of_a_value_with_no_opener_before_the_key_is_the_value() {
    let mut cases = Vec::new();
    for p in [')', ']', '}', '>', '"', '\''] {
        cases.push((format!("password=hunter2{p}"), "password=[REDACTED]"));
        cases.push((format!("password=hunter2{p} next"), "password=[REDACTED] next"));
    }
    check_built(&cases);
}

// ---- 2. query strings, cookies, logfmt ---------------------------------------------------------

#[test]
fn query_strings_still_end_a_value_at_the_next_parameter() {
    check(&[
        ("GET /cb?password=x&next=1", "GET /cb?password=[REDACTED]&next=1"),
        (
            "GET /login?user=bob&password=pa'ss&next=/home HTTP/1.1",
            "GET /login?user=bob&password=[REDACTED]&next=/home HTTP/1.1",
        ),
        ("/cb?access_token=a;b&state=1", "/cb?access_token=[REDACTED]&state=1"),
        ("/cb?access_token=a,b&state=1", "/cb?access_token=[REDACTED]&state=1"),
        ("/cb?password=abc&", "/cb?password=[REDACTED]&"),
        ("/cb?password=abc&user[name]=bob", "/cb?password=[REDACTED]&user[name]=bob"),
        // A parameter with no `=` is not a member: fail closed.
        ("/cb?password=abc&debug", "/cb?password=[REDACTED]"),
        // HTML-escaped ampersands.
        (r#"<a href="/cb?access_token=pa'ss&amp;state=1">"#, r#"<a href="/cb?access_token=[REDACTED]&amp;state=1">"#),
        // URL-encoded: `%26` ends the value, as before.
        ("next=%2Fcb%3Faccess_token%3Dabc%26state%3D1", "next=%2Fcb%3Faccess_token%3D[REDACTED]%26state%3D1"),
    ]);
}

#[test]
fn cookies_still_end_a_value_at_the_next_cookie_or_attribute() {
    check(&[
        ("Cookie: a=1; session=pa'ss; b=2", "Cookie: a=1; session=[REDACTED]; b=2"),
        ("Cookie: session=abc;theme=dark", "Cookie: session=[REDACTED];theme=dark"),
        ("Cookie: session=a,b; theme=dark", "Cookie: session=[REDACTED]; theme=dark"),
        ("Set-Cookie: session=abc; Path=/; HttpOnly", "Set-Cookie: session=[REDACTED]; Path=/; HttpOnly"),
        ("Set-Cookie: session=abc;Path=/;Secure", "Set-Cookie: session=[REDACTED];Path=/;Secure"),
        ("Set-Cookie: session=abc", "Set-Cookie: session=[REDACTED]"),
    ]);
}

#[test]
fn logfmt_and_pipe_separated_values() {
    check(&[
        ("level=info password=pa,ss;w|rd user=bob", "level=info password=[REDACTED] user=bob"),
        (r#"msg="login ok" token=a"b user=bob"#, r#"msg="login ok" token=[REDACTED] user=bob"#),
        ("user=bob|password=pa)ss|ip=10.0.0.1", "user=bob|password=[REDACTED]|ip=10.0.0.1"),
        ("password=abc,user=bob", "password=[REDACTED],user=bob"),
    ]);
}

// ---- 3. JSON and XML ---------------------------------------------------------------------------

#[test]
fn a_key_value_inside_a_json_string_ends_at_the_string() {
    check(&[
        (r#"{"msg":"password=pa'ss","user":"bob"}"#, r#"{"msg":"password=[REDACTED]","user":"bob"}"#),
        (r#"{"msg":"login password=pa;ss"}"#, r#"{"msg":"login password=[REDACTED]"}"#),
        (r#"{"a":{"msg":"password=abc"},"b":1}"#, r#"{"a":{"msg":"password=[REDACTED]"},"b":1}"#),
        (r#"["password=abc","x"]"#, r#"["password=[REDACTED]","x"]"#),
        (r#"{"log":"password=pa;ss\n","stream":"stdout"}"#, r#"{"log":"password=[REDACTED]\n","stream":"stdout"}"#),
        (r#"{"log":"{\"msg\":\"password=abc\"}"}"#, r#"{"log":"{\"msg\":\"password=[REDACTED]\"}"}"#),
        (r#"{"log":"password=pa\"ss end"}"#, r#"{"log":"password=[REDACTED] end"}"#),
        (r#"{"password": pa,ss}"#, r#"{"password": [REDACTED]}"#),
        (r#"{password: pa'ss, user: bob}"#, r#"{password: [REDACTED], user: bob}"#),
    ]);
}

#[test]
fn a_key_value_inside_xml_ends_at_the_tag() {
    check(&[
        ("<td>password=pa'ss</td>", "<td>password=[REDACTED]</td>"),
        ("<entry>token=a;b</entry><next/>", "<entry>token=[REDACTED]</entry><next/>"),
        (r#"<arg value="--password=pa|ss"/>"#, r#"<arg value="--password=[REDACTED]"/>"#),
        ("<a href=/cb?token=abc>", "<a href=/cb?token=[REDACTED]>"),
        // A quoted attribute's closing quote ends the value before the tag's own punctuation.
        (r#"<a href="/cb?token=a;b">link</a>"#, r#"<a href="/cb?token=[REDACTED]">link</a>"#),
        (r#"<img src='/i?token=a|b'/> x"#, r#"<img src='/i?token=[REDACTED]'/> x"#),
    ]);
}

// ---- 4. access-log lines -----------------------------------------------------------------------

#[test]
fn apache_and_nginx_access_lines_keep_their_fields() {
    check(&[
        (
            r#"127.0.0.1 - - [10/Oct/2026:13:55:36 +0000] "GET /login?user=bob&password=pa'ss HTTP/1.1" 200 512 "-" "curl/8.0""#,
            r#"127.0.0.1 - - [10/Oct/2026:13:55:36 +0000] "GET /login?user=bob&password=[REDACTED] HTTP/1.1" 200 512 "-" "curl/8.0""#,
        ),
        (
            r#"10.0.0.2 - - [10/Oct/2026:13:55:36 +0000] "GET /cb?access_token=a;b" 302 0 "https://app.example/?token=x,y" "Mozilla/5.0 (X11; Linux)""#,
            r#"10.0.0.2 - - [10/Oct/2026:13:55:36 +0000] "GET /cb?access_token=[REDACTED]" 302 0 "https://app.example/?token=[REDACTED]" "Mozilla/5.0 (X11; Linux)""#,
        ),
        // nginx writes a `"` inside a field as `\x22`: part of the value.
        (
            r#"10.0.0.3 - - [10/Oct/2026:13:55:36 +0000] "POST /login?password=ab\x22cd HTTP/1.1" 401 0"#,
            r#"10.0.0.3 - - [10/Oct/2026:13:55:36 +0000] "POST /login?password=[REDACTED] HTTP/1.1" 401 0"#,
        ),
    ]);
}

// ---- 5. prose ----------------------------------------------------------------------------------

#[test]
fn trailing_punctuation_in_prose_stays_outside_the_value() {
    check(&[
        ("login failed (password=hunter2)", "login failed (password=[REDACTED])"),
        ("login failed (password=hunter2).", "login failed (password=[REDACTED])."),
        ("retry [password=hunter2]", "retry [password=[REDACTED]]"),
        ("cfg {password=hunter2}", "cfg {password=[REDACTED]}"),
        ("password=hunter2, retrying", "password=[REDACTED], retrying"),
        ("set password=hunter2; retrying", "set password=[REDACTED]; retrying"),
        ("msg='password=hunter2' sent", "msg='password=[REDACTED]' sent"),
        (r#"msg="password=hunter2" sent"#, r#"msg="password=[REDACTED]" sent"#),
        // A value's own brackets and quotes stay with it.
        ("(password=f(x))", "(password=[REDACTED])"),
        (r#"msg="password=pa"ss" sent"#, r#"msg="password=[REDACTED]" sent"#),
        // A full stop has always been part of an unquoted value.
        ("password=hunter2.", "password=[REDACTED]"),
    ]);
}

// ---- 6. look-alikes ----------------------------------------------------------------------------

#[test]
fn look_alikes_with_punctuation_stay_byte_identical() {
    unchanged(&[
        "password_policy=a,b;c",
        "/reset?password_reset=1&next=/login",
        "token_type=Bearer;x",
        "passwordless=true)",
        "(password=null)",
        "password=null)",
        "password=***;",
        "password=-, retrying",
        "?password=&next=1",
        "Cookie: session=; theme=dark",
        "<p>password</p>",
        "[password required]",
        "(no password, retrying)",
        r#"{"tags":["password","token"]}"#,
        "Failed password for root from 10.0.0.1 port 22",
        "password=[REDACTED]) token=[REDACTED]&x=1",
    ]);
}

// ---- 7. idempotence on punctuation-heavy lines -------------------------------------------------

/// Pieces that make lines full of keys, separators, openers, closers and escapes.
const PIECES: [&str; 34] = [
    "password=",
    "token=",
    "session=",
    "x=",
    " ",
    "a",
    "b1",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "<",
    ">",
    "\"",
    "'",
    "&",
    ";",
    ",",
    "|",
    "\\",
    "\\n",
    "\\\"",
    "amp;",
    "</td>",
    ".",
    ":",
    "=",
    "%26",
    "\"k\":",
    "Cookie: ",
    "\\x22",
    "null",
];

/// A scrubber with `action` for the secret keys of the default rules' names used above.
fn scrubber_with(action: &str) -> logscrub::Scrubber {
    let toml = format!(
        "[[secret_keys]]\nnames = [\"password\", \"token\", \"session\", \"authorization\"]\naction = \"{action}\"\n"
    );
    let rules = logscrub::Rules::from_toml("test.toml", &toml).unwrap_or_else(|e| panic!("{e}"));
    logscrub::Scrubber::with_hash_key(&rules, b"test hash key")
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256),
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    })]

    /// Scrubbing a line of keys glued by punctuation twice changes nothing, for `redact` and
    /// `hash`: what is open before a value is read the same on both passes (the values read
    /// before it count for nothing). A `mask` keeps some of a value's bytes, so a value
    /// holding brackets of its own may balance differently once masked: it is checked on
    /// lines without brackets (SECURITY.md, known issues).
    #[test]
    fn punctuation_heavy_lines_scrub_to_themselves(picks in proptest::collection::vec(0..PIECES.len(), 0..40)) {
        let line: String = picks.iter().map(|&i| PIECES[i]).collect();
        let once = crate::util::scrub_line(line.as_bytes());
        let twice = crate::util::scrub_line(&once);
        proptest::prop_assert!(twice == once, "redact: not idempotent\ninput: {}\nonce:  {}\ntwice: {}", line, show(&once), show(&twice));
        let brackets = line.contains(['(', '[', '{', '<']);
        for action in ["hash", "mask"].into_iter().filter(|&a| a != "mask" || !brackets) {
            let s = scrubber_with(action);
            let once = s.scrub_line(line.as_bytes(), &mut logscrub::Scratch::default()).into_owned();
            let twice = s.scrub_line(&once, &mut logscrub::Scratch::default()).into_owned();
            proptest::prop_assert!(twice == once, "{}: not idempotent\ninput: {}\nonce:  {}\ntwice: {}", action, line, show(&once), show(&twice));
        }
    }
}
