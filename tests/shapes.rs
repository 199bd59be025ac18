//! Token and secret shapes a black-box sweep found passing unchanged (2026-12-06), each now
//! redacted. Tokens are minted here at test time; none is stored in the repository.
//!
//! - a JWS whose header is standard base64 holding `+` or `/` (a `jku` URL with `?`, `&`, `~`);
//! - a header that repeats a member (`kid` twice): JSON parsers keep the last, so PyJWT and
//!   others accept the token;
//! - a padded token percent-encoded whole (`%3D` padding, `%2E` dots) in a query string;
//! - a secret key whose JSON value is an array or an object;
//! - JWS and JWE JSON serializations, XML elements named by a secret key, Google API keys.

use b64::Engine as _;
use b64::engine::general_purpose::STANDARD_NO_PAD;

use crate::mint;
use crate::util::{self, Sandbox, contains, show};

/// The signature of a compact token (its last segment).
fn signature(token: &str) -> &str {
    token.rsplit('.').next().expect("a segment")
}

/// A line with a bare token must lose the token's signature and the payload's secret, and keep
/// the words around it.
fn assert_bare_token_scrubbed(token: &str, secret: &str) {
    let line = format!("login ok token {token} for user");
    let got = util::scrub_line(line.as_bytes());
    let why = format!("\ninput: {line}\ngot:   {}", show(&got));
    assert!(got.starts_with(b"login ok token ") && got.ends_with(b" for user"), "context kept{why}");
    assert!(!contains(&got, signature(token).as_bytes()), "signature gone{why}");
    assert!(!contains(&got, secret.as_bytes()), "payload secret gone{why}");
    // The decoded payload must not hold it either.
    let payload = String::from_utf8_lossy(&got).split('.').nth(1).map(str::to_owned).unwrap_or_default();
    let decoded = mint::unb64url(&payload).unwrap_or_default();
    assert!(!contains(&decoded, secret.as_bytes()), "decoded payload secret gone{why}");
}

fn payload(secret: &str) -> String {
    serde_json::json!({"sub": secret, "email": format!("{secret}@example.com"), "exp": mint::now() + 3600}).to_string()
}

#[test]
fn standard_base64_header_with_plus_or_slash_is_a_token() {
    // Look for a kid that makes the standard encoding of the header hold `+` or `/`.
    let (header_b64, header) = (0..1000)
        .map(|_| {
            format!(
                r#"{{"alg":"HS256","typ":"JWT","jku":"https://keys.example/jwks?x=1&y=2~z","kid":"{}"}}"#,
                mint::alnum(7)
            )
        })
        .map(|h| (STANDARD_NO_PAD.encode(&h), h))
        .find(|(e, _)| e.contains('+') || e.contains('/'))
        .expect("some kid gives a + or / in 1000 tries");
    assert!(header.starts_with('{'));
    let secret = format!("user{}", mint::hex(10));
    let signing_input = format!("{header_b64}.{}", STANDARD_NO_PAD.encode(payload(&secret)));
    // A real HMAC-SHA256 signature from jsonwebtoken's signer (its input differs: only the
    // signature's shape matters here).
    let sig = mint::hs256_raw(header.as_bytes(), signing_input.as_bytes());
    let token = format!("{signing_input}.{}", signature(&sig));
    assert_bare_token_scrubbed(&token, &secret);
}

#[test]
fn header_with_a_repeated_member_is_a_token() {
    for header in [
        format!(r#"{{"alg":"HS256","kid":"{}","kid":"{}"}}"#, mint::hex(4), mint::hex(4)),
        r#"{"alg":"HS256","typ":"JWT","typ":"JWT"}"#.to_owned(),
        r#"{"alg":"none","alg":"HS256"}"#.to_owned(),
    ] {
        let secret = format!("user{}", mint::hex(10));
        let token = mint::hs256_raw(header.as_bytes(), payload(&secret).as_bytes());
        assert_bare_token_scrubbed(&token, &secret);
    }
}

#[test]
fn percent_encoded_padded_token_in_a_query_is_redacted() {
    // Header and payload lengths chosen so both segments carry `=` padding.
    let secret = format!("user{}", mint::hex(10));
    let mut p = payload(&secret);
    while p.len() % 3 == 0 {
        p.push(' ');
    }
    let header = r#"{"alg":"HS256","typ":"JWT"} "#; // 28 bytes: one `=` of padding
    let token = mint::hs256_raw(header.as_bytes(), p.as_bytes());
    let pad = |s: &str| {
        let n = (4 - s.len() % 4) % 4;
        format!("{s}{}", "%3D".repeat(n))
    };
    let parts: Vec<&str> = token.split('.').collect();
    let encoded = format!("{}%2E{}%2E{}", pad(parts[0]), pad(parts[1]), parts[2]);
    assert!(encoded.matches("%3D").count() >= 2, "{encoded}");
    let line = format!("GET /callback?state=s1&x={encoded}&lang=en HTTP/1.1");
    let got = util::scrub_line(line.as_bytes());
    let why = format!("\ninput: {line}\ngot:   {}", show(&got));
    assert!(got.starts_with(b"GET /callback?state=s1&x=") && got.ends_with(b"&lang=en HTTP/1.1"), "context{why}");
    assert!(!contains(&got, parts[2].as_bytes()), "signature gone{why}");
    let text = String::from_utf8_lossy(&got).into_owned();
    let out_payload = text.split('.').nth(1).unwrap_or_default();
    let decoded = mint::unb64url(out_payload).unwrap_or_default();
    assert!(!decoded.is_empty() && !contains(&decoded, secret.as_bytes()), "payload rewritten{why}");
    // Scrubbing again changes nothing.
    assert_eq!(util::scrub_line(&got), got, "idempotent{why}");
}

/// The JSON lines of the nested-value tests, with their secrets.
fn nested_lines() -> Vec<(String, Vec<String>)> {
    let (a, b, c, d) = (mint::alnum(12), mint::alnum(12), mint::alnum(16), mint::hex(9));
    let n: u64 = 100_000_000 + u64::from_str_radix(&mint::hex(6), 16).expect("hex");
    vec![
        (format!(r#"{{"user":"bob","password":["{a}","{b}"],"ok":true}}"#), vec![a.clone(), b.clone()]),
        (
            format!(r#"{{"client_secret":{{"value":"{c}","version":{n},"rotated":false}},"level":"info"}}"#),
            vec![c.clone(), n.to_string()],
        ),
        (format!(r#"{{"auth":{{"token":{{"access":"{d}","kinds":["a{d}"]}}}}}}"#), vec![d.clone()]),
    ]
}

#[test]
fn secret_key_with_an_array_or_object_value_is_redacted() {
    for (line, secrets) in nested_lines() {
        let got = util::scrub_line(line.as_bytes());
        let why = format!("\ninput: {line}\ngot:   {}", show(&got));
        for s in &secrets {
            assert!(!contains(&got, s.as_bytes()), "{s} gone{why}");
        }
        // Still JSON, same shape: only leaves changed.
        let v: serde_json::Value = serde_json::from_slice(&got).unwrap_or_else(|e| panic!("JSON ({e}){why}"));
        let before: serde_json::Value = serde_json::from_str(&line).expect("test line is JSON");
        assert_eq!(v.as_object().map(|o| o.len()), before.as_object().map(|o| o.len()), "{why}");
        assert_eq!(util::scrub_line(&got), got, "idempotent{why}");
    }
    // Booleans, nulls and empty containers are no secret: unchanged.
    for line in [r#"{"password":[]}"#, r#"{"password":[null,true]}"#, r#"{"token":{}}"#] {
        assert_eq!(util::scrub_line(line.as_bytes()), line.as_bytes(), "{line}");
    }
}

#[test]
fn secret_key_with_an_array_or_object_value_is_redacted_by_the_json_walk() {
    // A `\\` in the line makes the format layer walk the object member by member (the core
    // alone handles the lines above); both must agree.
    let sandbox = Sandbox::new();
    for (line, secrets) in nested_lines() {
        let line = line.replacen('{', r#"{"path":"C:\\temp","#, 1);
        for format in ["auto", "json"] {
            let run = sandbox.run(["--format", format], format!("{line}\n").as_bytes());
            assert_eq!(run.code(), Some(0), "{}", run.description);
            let got = run.stdout();
            let why = format!("\n--format {format}\ninput: {line}\ngot:   {}", show(got));
            for s in &secrets {
                assert!(!contains(got, s.as_bytes()), "{s} gone{why}");
            }
            assert!(contains(got, br#""path":"C:\\temp""#), "rest kept{why}");
            serde_json::from_slice::<serde_json::Value>(got).unwrap_or_else(|e| panic!("JSON ({e}){why}"));
        }
    }
}

/// JWS and JWE JSON serializations (RFC 7515 §7.2, RFC 7516 §7.2) built from minted compact
/// tokens: flattened and general, `payload` before or after the header.
fn serialized_lines() -> Vec<(String, Vec<String>)> {
    let es = mint::mint(mint::Flavor::Es256);
    let rs = mint::mint(mint::Flavor::Rs256);
    let jwe = mint::mint(mint::Flavor::JweRsaOaep);
    let s = |m: &mint::Minted| m.segments.clone();
    let (e, r, j) = (s(&es), s(&rs), s(&jwe));
    let kid = mint::uuid_ish();
    let jws_secrets = |m: &mint::Minted| {
        let mut v: Vec<String> = m.claims.secret_values().iter().map(|x| (*x).to_owned()).collect();
        v.push(m.signature().to_owned());
        v
    };
    let flattened = serde_json::json!({"payload": e[1], "protected": e[0], "header": {"kid": kid}, "signature": e[2]});
    let general = serde_json::json!({
        "payload": r[1],
        "signatures": [{"protected": r[0], "header": {"kid": kid}, "signature": r[2]}],
    });
    // A JWE whose protected header holds `enc` only (its `alg` is in the unprotected header).
    let enc_only = mint::b64url(br#"{"enc":"A256GCM"}"#);
    let jwe_flat = serde_json::json!({
        "protected": enc_only, "header": {"alg": "RSA-OAEP-256", "kid": kid},
        "encrypted_key": j[1], "iv": j[2], "ciphertext": j[3], "tag": j[4],
    });
    let jwe_secrets: Vec<String> = j[1..].to_vec();
    vec![
        (flattened.to_string(), jws_secrets(&es)),
        (format!("request body: {general} status=200"), jws_secrets(&rs)),
        (jwe_flat.to_string(), jwe_secrets),
    ]
}

#[test]
fn json_serialized_jws_and_jwe_are_scrubbed_like_compact_ones() {
    for (line, secrets) in serialized_lines() {
        let got = util::scrub_line(line.as_bytes());
        let why = format!("\ninput: {line}\ngot:   {}", show(&got));
        for s in &secrets {
            assert!(!contains(&got, s.as_bytes()), "{s} gone{why}");
        }
        // The payload is rewritten claim by claim, not dropped: still base64url JSON.
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some(p) = text.split(r#""payload":""#).nth(1).and_then(|r| r.split('"').next()) {
            let claims: serde_json::Value =
                serde_json::from_slice(&mint::unb64url(p).unwrap_or_default()).unwrap_or_else(|e| panic!("{e}{why}"));
            assert!(claims.get("iss").is_some(), "iss kept{why}");
        }
        assert_eq!(util::scrub_line(&got), got, "idempotent{why}");
    }
}

#[test]
fn json_serialized_jws_and_jwe_are_scrubbed_by_the_json_walk() {
    let sandbox = Sandbox::new();
    for (line, secrets) in serialized_lines() {
        // A `\\` makes the format layer walk the object (see above).
        let line = line.replacen('{', r#"{"path":"C:\\temp","#, 1);
        let run = sandbox.run(["--format", "auto"], format!("{line}\n").as_bytes());
        let got = run.stdout();
        let why = format!("\ninput: {line}\ngot:   {}", show(got));
        for s in &secrets {
            assert!(!contains(got, s.as_bytes()), "{s} gone{why}");
        }
    }
}

#[test]
fn xml_elements_named_by_a_secret_key_are_redacted() {
    let (pw, key) = (format!("Pw-{}!", mint::alnum(10)), mint::alnum(20));
    let line = format!(
        "<soap:Body><Login><Username>bob</Username><Password>{pw}</Password>\
         <ns1:api_key>{key}</ns1:api_key></Login></soap:Body>"
    );
    let got = util::scrub_line(line.as_bytes());
    let why = format!("\ninput: {line}\ngot:   {}", show(&got));
    let want = "<soap:Body><Login><Username>bob</Username><Password>[REDACTED]</Password>\
                <ns1:api_key>[REDACTED]</ns1:api_key></Login></soap:Body>";
    assert_eq!(String::from_utf8_lossy(&got), want, "{why}");
    // An element that goes on past the line is redacted to the line's end (fail closed).
    let open = format!("<client_secret>{key}");
    assert_eq!(util::scrub_line(open.as_bytes()), b"<client_secret>[REDACTED]", "{open}");
    // Markup inside runs to the element's own end tag: a CDATA section is its text too.
    let cdata = format!("<password><![CDATA[{pw}]]></password>");
    assert_eq!(util::scrub_line(cdata.as_bytes()), b"<password>[REDACTED]</password>", "{cdata}");
    // Not an element of that name, or empty: unchanged.
    for line in ["<password></password>", "<token/>", "a->token> b"] {
        assert_eq!(util::scrub_line(line.as_bytes()), line.as_bytes(), "{line}");
    }
}

#[test]
fn google_api_keys_are_redacted() {
    let key = format!("AIza{}", mint::alnum(35));
    let line = format!("GET /maps/api/geocode/json?address=x&k={key} HTTP/1.1 or bare {key}.");
    let got = util::scrub_line(line.as_bytes());
    assert_eq!(
        String::from_utf8_lossy(&got),
        "GET /maps/api/geocode/json?address=x&k=[REDACTED] HTTP/1.1 or bare [REDACTED].",
        "{line}"
    );
    for line in ["AIzaWord is not a key", "AIza_short-one"] {
        assert_eq!(util::scrub_line(line.as_bytes()), line.as_bytes(), "{line}");
    }
}

#[test]
fn shell_working_directory_variables_are_not_passwords() {
    let line = "PWD=/home/bob OLDPWD=/tmp SHELL=/bin/bash";
    assert_eq!(util::scrub_line(line.as_bytes()), line.as_bytes());
    // Any other spelling, or a value that is no absolute path, is still a `pwd` password.
    let secret = mint::alnum(12);
    for key in ["pwd", "DB_PWD", "Pwd", "PWD"] {
        let v = if key == "PWD" { secret.clone() } else { format!("/{secret}") };
        let line = format!("{key}={v} next");
        assert_eq!(util::scrub_line(line.as_bytes()), format!("{key}=[REDACTED] next").as_bytes(), "{line}");
    }
}
