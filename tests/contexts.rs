//! Minted tokens of every flavour, embedded in every context of issue 2.
//!
//! A context is a line template where `{T}` marks a token slot. For each slot the scrubbed line
//! is walked piece by piece: the text around the slots must come out byte-identical, an opaque
//! value must become the redaction marker, and a JWT must come out as a token with
//!
//! - the header segment byte-identical,
//! - the signature (JWS) or every non-empty non-header segment (JWE) replaced by `REDACTED`,
//! - a payload that still decodes, with the kept claims equal and the others `"[REDACTED]"`,
//! - none of the original secret material anywhere in the line.
//!
//! Each line is also checked for idempotence and through `scrub_buf` with LF and CRLF endings.

use std::borrow::Cow;

use serde_json::Value;

use crate::mint::{self, Claims, Flavor, Kind, Minted};
use crate::util::{self, contains, show};

/// What the default rules write for an opaque secret and a claim value.
const MARKER: &str = "[REDACTED]";
/// What the default rules write for a JWS signature and JWE segments.
const SIG_MARKER: &str = "REDACTED";

/// What goes into one `{T}` slot.
#[derive(Debug, Clone)]
enum Slot {
    Jwt(Box<Minted>),
    Opaque(String),
}

impl Slot {
    fn jwt(m: Minted) -> Slot {
        Slot::Jwt(Box::new(m))
    }

    fn text(&self) -> &str {
        match self {
            Slot::Jwt(m) => &m.token,
            Slot::Opaque(s) => s,
        }
    }

    /// Strings that must not survive anywhere in the scrubbed line.
    fn secrets(&self) -> Vec<String> {
        match self {
            Slot::Opaque(s) => vec![s.clone()],
            Slot::Jwt(m) => {
                let mut v: Vec<String> = m.secret_segments().into_iter().map(String::from).collect();
                if m.kind() != Kind::Jwe {
                    // The payload holds redacted claims, so its encoding must change.
                    v.push(m.segments[1].clone());
                }
                v.extend(m.claims.secret_values().into_iter().map(String::from));
                v
            }
        }
    }
}

fn fill(template: &str, slots: &[Slot]) -> String {
    let pieces: Vec<&str> = template.split("{T}").collect();
    assert_eq!(pieces.len(), slots.len() + 1, "template {template:?} has {} slots", pieces.len() - 1);
    let mut s = String::from(pieces[0]);
    for (slot, piece) in slots.iter().zip(&pieces[1..]) {
        s.push_str(slot.text());
        s.push_str(piece);
    }
    s
}

fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

fn expect_at(out: &[u8], pos: usize, want: &[u8], what: &str) -> Result<(), String> {
    let got = &out[pos.min(out.len())..];
    if got.starts_with(want) {
        Ok(())
    } else {
        let shown = &got[..got.len().min(want.len() + 16)];
        Err(format!("{what}: expected {:?} at byte {pos}, found {:?}", show(want), show(shown)))
    }
}

/// Walks the scrubbed `out` against the template; `Err` says what is wrong.
fn verify(template: &str, slots: &[Slot], out: &[u8]) -> Result<(), String> {
    let pieces: Vec<&str> = template.split("{T}").collect();
    let mut pos = 0;
    for (i, slot) in slots.iter().enumerate() {
        expect_at(out, pos, pieces[i].as_bytes(), "text before the token")?;
        pos += pieces[i].len();
        pos += match slot {
            Slot::Opaque(_) => {
                expect_at(out, pos, MARKER.as_bytes(), "opaque value replaced by the marker")?;
                MARKER.len()
            }
            Slot::Jwt(m) => verify_jwt(m, &out[pos..]).map_err(|e| format!("token {i}: {e}"))?,
        };
    }
    let tail = pieces[slots.len()].as_bytes();
    if &out[pos..] != tail {
        return Err(format!("text after the last token: expected {:?}, got {:?}", show(tail), show(&out[pos..])));
    }
    for slot in slots {
        for secret in slot.secrets() {
            if contains(out, secret.as_bytes()) {
                return Err(format!("secret {:?} survived", show(secret.as_bytes())));
            }
        }
    }
    Ok(())
}

/// Checks one scrubbed token at the start of `rest`; returns its length.
fn verify_jwt(m: &Minted, rest: &[u8]) -> Result<usize, String> {
    expect_at(rest, 0, m.header.as_bytes(), "header segment kept byte for byte")?;
    let mut pos = m.header.len();
    expect_at(rest, pos, b".", "dot after the header")?;
    pos += 1;
    match m.kind() {
        Kind::Jws | Kind::Unsecured => {
            let len = rest[pos..].iter().take_while(|&&b| is_b64url(b)).count();
            let payload = &rest[pos..pos + len];
            pos += len;
            expect_at(rest, pos, b".", "dot after the payload")?;
            pos += 1;
            if m.kind() == Kind::Jws {
                expect_at(rest, pos, SIG_MARKER.as_bytes(), "signature marker")?;
                pos += SIG_MARKER.len();
            }
            if rest.get(pos).is_some_and(|&b| is_b64url(b)) {
                return Err(format!("signature segment longer than expected: {:?}", show(&rest[..pos + 1])));
            }
            verify_payload(&m.claims, payload)?;
            verify_decodable(m, &rest[..pos])?;
        }
        Kind::Jwe => {
            for i in 1..5 {
                if i > 1 {
                    expect_at(rest, pos, b".", "dot between JWE segments")?;
                    pos += 1;
                }
                if !m.segments[i].is_empty() {
                    expect_at(rest, pos, SIG_MARKER.as_bytes(), &format!("JWE segment {i} marker"))?;
                    pos += SIG_MARKER.len();
                }
                if rest.get(pos).is_some_and(|&b| is_b64url(b)) {
                    return Err(format!("JWE segment {i} not replaced whole: {:?}", show(rest)));
                }
            }
        }
    }
    Ok(pos)
}

/// The rewritten payload: kept claims equal, redacted claims are the marker, no secret left.
pub fn verify_payload(claims: &Claims, payload_b64: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(payload_b64).map_err(|e| e.to_string())?;
    let raw = mint::unb64url(text).ok_or_else(|| format!("payload {text:?} is not base64url without padding"))?;
    let json: Value = serde_json::from_slice(&raw)
        .map_err(|e| format!("payload is not JSON ({e}): {:?}", String::from_utf8_lossy(&raw)))?;
    let shown = || String::from_utf8_lossy(&raw).into_owned();
    for (name, want) in claims.kept() {
        if json.get(name) != Some(&want) {
            return Err(format!("kept claim {name}: expected {want}, got {:?} in payload {}", json.get(name), shown()));
        }
    }
    for name in Claims::REDACTED_NAMES {
        if json.get(name) != Some(&Value::from(MARKER)) {
            return Err(format!("claim {name} should be {MARKER:?}, got {:?} in payload {}", json.get(name), shown()));
        }
    }
    for secret in claims.secret_values() {
        if contains(&raw, secret.as_bytes()) {
            return Err(format!("claim value {secret:?} survived in payload {}", shown()));
        }
    }
    Ok(())
}

/// A JWT library can still read the scrubbed token.
fn verify_decodable(m: &Minted, token: &[u8]) -> Result<(), String> {
    if m.kind() == Kind::Unsecured {
        // jsonwebtoken refuses `alg: none`; the payload was decoded by hand above.
        return Ok(());
    }
    let header = jsonwebtoken::decode_header(token)
        .map_err(|e| format!("jsonwebtoken::decode_header fails on the scrubbed token: {e}"))?;
    let (_, alg) = mint::decoding_key(m.flavor);
    if header.alg != alg {
        return Err(format!("decoded alg {:?}, expected {alg:?}", header.alg));
    }
    let data = jsonwebtoken::dangerous::insecure_decode::<Value>(token)
        .map_err(|e| format!("jsonwebtoken::dangerous::insecure_decode fails: {e}"))?;
    if data.claims["iss"] != m.claims.iss.as_str() {
        return Err(format!("decoded iss {}", data.claims["iss"]));
    }
    Ok(())
}

/// What [`check`] looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The scrubbed line, through `scrub_line` and `scrub_buf` (LF and CRLF).
    Shape,
    /// Scrubbing the output again changes nothing.
    Idempotent,
}

/// Scrubs the line built from `template` and `slots`, recording what is wrong.
fn check(label: &str, template: &str, slots: &[Slot], mode: Mode, failures: &mut Vec<String>) {
    let input = fill(template, slots);
    let out = util::scrub_line(input.as_bytes());
    let mut fail = |why: String, got: &[u8]| {
        failures.push(format!("[{label}] {why}\n    input: {}\n    got:   {}", show(input.as_bytes()), show(got)));
    };
    if mode == Mode::Idempotent {
        let again = util::scrub_line(&out);
        if again != out {
            fail(format!("not idempotent: second pass gave {}", show(&again)), &out);
        }
        return;
    }
    if let Err(why) = verify(template, slots, &out) {
        fail(why, &out);
        return;
    }
    for term in ["\n", "\r\n"] {
        let buf = format!("{input}{term}");
        let got = util::scrub_buf(buf.as_bytes());
        match got.strip_suffix(term.as_bytes()) {
            None => fail(format!("scrub_buf lost the {term:?} ending"), &got),
            Some(body) => {
                if let Err(why) = verify(template, slots, body) {
                    fail(format!("scrub_buf with {term:?}: {why}"), &got);
                }
            }
        }
    }
}

fn report(template: &str, failures: Vec<String>) {
    if !failures.is_empty() {
        panic!("\ncontext {template:?}: {} failure(s)\n{}\n", failures.len(), failures.join("\n"));
    }
}

/// Every flavour of JWT in every slot of the template.
fn check_jwts(template: &str, mode: Mode, failures: &mut Vec<String>) {
    let slots = template.matches("{T}").count();
    for flavor in Flavor::ALL {
        let tokens: Vec<Slot> = (0..slots).map(|_| Slot::jwt(mint::mint(flavor))).collect();
        check(&format!("{flavor:?}"), template, &tokens, mode, failures);
    }
}

/// Every shape of opaque value in every slot of the template.
fn check_opaque(template: &str, mode: Mode, failures: &mut Vec<String>) {
    let slots = template.matches("{T}").count();
    for shape in 0..mint::opaque_values().len() {
        let values: Vec<Slot> = (0..slots).map(|_| Slot::Opaque(mint::opaque_values()[shape].clone())).collect();
        let label = format!("opaque {}", show(values[0].text().as_bytes()));
        check(&label, template, &values, mode, failures);
    }
}

fn run_context(template: &str, opaque: bool) {
    let mut failures = Vec::new();
    check_jwts(template, Mode::Shape, &mut failures);
    if opaque {
        check_opaque(template, Mode::Shape, &mut failures);
    }
    report(template, failures);
}

/// One test per context, and the list of all of them for the idempotence tests.
macro_rules! contexts {
    ($($name:ident: $template:expr, opaque: $opaque:expr;)*) => {
        const CONTEXTS: &[(&str, bool)] = &[$(($template, $opaque)),*];
        $(
            #[test]
            fn $name() {
                run_context($template, $opaque);
            }
        )*
    };
}

contexts! {
    authorization_header: "Authorization: Bearer {T}", opaque: true;
    authorization_header_lowercase: "authorization: bearer {T}", opaque: true;
    authorization_header_uppercase_scheme: "AUTHORIZATION: BEARER {T}", opaque: true;
    authorization_header_extra_spaces: "Authorization:   Bearer    {T}", opaque: true;
    authorization_header_tabs: "Authorization:\tBearer\t{T}", opaque: true;
    authorization_header_in_log_prefix: "2024-05-01 10:00:00 DEBUG http: > Authorization: Bearer {T}", opaque: true;
    proxy_authorization_header: "Proxy-Authorization: Bearer {T}", opaque: true;
    header_dump: "headers={Host: api.example.com, Authorization: Bearer {T}, Accept: */*}", opaque: true;
    json_authorization_bearer: r#"{"authorization":"Bearer {T}","path":"/v1/users"}"#, opaque: true;
    json_id_token: r#"{"id_token":"{T}","expires_in":3600}"#, opaque: true;
    json_access_token_spaced: r#"{"access_token": "{T}", "token_type": "Bearer"}"#, opaque: true;
    escaped_json_in_json_string: r#"{"level":"info","msg":"{\"access_token\":\"{T}\",\"ok\":true}"}"#, opaque: true;
    query_string: "GET /cb?access_token={T}&y=1 HTTP/1.1", opaque: true;
    url_fragment: "redirect to https://app.example.com/cb#id_token={T}&state=af0ifjsldkj", opaque: true;
    cookie_header: "Cookie: session={T}; theme=dark", opaque: true;
    set_cookie_header: "Set-Cookie: session={T}; Path=/; HttpOnly", opaque: true;
    logfmt: "ts=2024-05-01T10:00:00Z level=info token={T} path=/login", opaque: true;
    logfmt_quoted: r#"level=info token="{T}" status=200"#, opaque: true;
    python_dict_repr: "{'password': '{T}', 'user': 'bob'}", opaque: true;
    json_spaces_around_colon: r#"{"password" : "{T}" , "user" : "bob"}"#, opaque: true;
    yaml_style_key: "  password: {T}", opaque: true;
    env_style_longer_key: "export DB_PASSWORD={T}", opaque: true;
    cookie_among_others: "Cookie: theme=dark; sessionid={T}; lang=en", opaque: true;
    api_key_header: "X-Api-Key: {T}", opaque: true;
    url_encoded_bearer_space: "GET /api?auth=Bearer%20{T}&y=1 HTTP/1.1", opaque: true;
    url_encoded_bearer_plus: "GET /api?authorization=Bearer+{T}&y=1", opaque: true;
    url_encoded_redirect_uri: "Location: /login?redirect_uri=https%3A%2F%2Fapp%2Fcb%3Faccess_token%3D{T}&state=xyz", opaque: true;
    form_body: "grant_type=refresh_token&refresh_token={T}&client_id=app", opaque: true;
    url_encoded_json: "GET /log?q=%7B%22id_token%22%3A%22{T}%22%7D HTTP/1.1", opaque: true;
    escaped_json_authorization_bearer: r#"{"headers":"{\"Authorization\":\"Bearer {T}\"}"}"#, opaque: true;
    several_secret_keys_per_line: "access_token={T}&refresh_token={T}&id_token={T}", opaque: true;

    quoted: r#"upstream returned "{T}" to the client"#, opaque: false;
    single_quoted: "upstream returned '{T}' to the client", opaque: false;
    in_parentheses: "validation failed ({T})", opaque: false;
    in_brackets: "cache miss [{T}] evicted", opaque: false;
    before_comma: "seen {T}, retrying", opaque: false;
    before_semicolon: "seen {T}; retrying", opaque: false;
    sentence_end: "The upstream handed us {T}.", opaque: false;
    at_line_start: "{T} was rejected", opaque: false;
    whole_line: "{T}", opaque: false;
    at_line_end: "rejected jwt {T}", opaque: false;
    at_line_end_before_cr: "rejected jwt {T}\r", opaque: false;
    after_tab: "jwt\t{T}\tok", opaque: false;
    non_secret_key_value: "trace={T}&x=1", opaque: false;
    angle_brackets: "<{T}>", opaque: false;
    several_bare_tokens_per_line: "a {T} b {T} c {T}", opaque: false;
    url_encoded_redirect_uri_with_more_params: "redirect_uri=https%3A%2F%2Fapp%2Fcb%3Faccess_token%3D{T}%26x%3D1&state=s", opaque: false;
}

#[test]
fn jwt_scrubbing_is_idempotent_in_every_context() {
    let mut failures = Vec::new();
    for (template, _) in CONTEXTS {
        check_jwts(template, Mode::Idempotent, &mut failures);
    }
    report("every context", failures);
}

#[test]
fn opaque_scrubbing_is_idempotent_in_every_context() {
    let mut failures = Vec::new();
    for (template, opaque) in CONTEXTS {
        if *opaque {
            check_opaque(template, Mode::Idempotent, &mut failures);
        }
    }
    for template in BASIC_CONTEXTS {
        let slots = [Slot::Opaque(mint::basic_credentials().1)];
        check("basic", template, &slots, Mode::Idempotent, &mut failures);
    }
    for template in PADDED_CONTEXTS {
        let slots = [Slot::Opaque(mint::opaque_b64_padded())];
        check("padded b64", template, &slots, Mode::Idempotent, &mut failures);
    }
    report("every context", failures);
}

#[test]
fn mixed_kinds_on_one_line() {
    let template = r#"Authorization: Bearer {T} id_token={T} Cookie: session={T}; x={T} "{T}" api_key={T}"#;
    let slots = vec![
        Slot::jwt(mint::mint(Flavor::Rs256)),
        Slot::jwt(mint::mint(Flavor::JweRsaOaep)),
        Slot::Opaque(mint::opaque_values()[0].clone()),
        Slot::jwt(mint::mint(Flavor::Unsecured)),
        Slot::jwt(mint::mint(Flavor::JweDir)),
        Slot::Opaque(mint::opaque_values()[1].clone()),
    ];
    let mut failures = Vec::new();
    check("mixed", template, &slots, Mode::Shape, &mut failures);
    check("mixed", template, &slots, Mode::Idempotent, &mut failures);
    report(template, failures);
}

#[test]
fn every_flavor_on_one_line() {
    let template = vec!["{T}"; Flavor::ALL.len()].join(" | ");
    let slots: Vec<Slot> = Flavor::ALL.iter().map(|&f| Slot::jwt(mint::mint(f))).collect();
    let mut failures = Vec::new();
    check("all flavours", &template, &slots, Mode::Shape, &mut failures);
    check("all flavours", &template, &slots, Mode::Idempotent, &mut failures);
    report(&template, failures);
}

const PADDED_CONTEXTS: [&str; 2] = ["Authorization: Bearer {T}", r#"{"authorization":"Bearer {T}"}"#];

#[test]
fn padded_standard_base64_bearer_value() {
    let mut failures = Vec::new();
    for template in PADDED_CONTEXTS {
        let value = Slot::Opaque(mint::opaque_b64_padded());
        check("padded b64", template, &[value], Mode::Shape, &mut failures);
    }
    report("padded base64 bearer", failures);
}

const BASIC_CONTEXTS: [&str; 5] = [
    "Authorization: Basic {T}",
    "authorization: basic {T}",
    "Proxy-Authorization: Basic {T}",
    r#"{"authorization":"Basic {T}","method":"GET"}"#,
    "curl -H 'Authorization: Basic {T}' https://api.example.com",
];

#[test]
fn basic_credentials() {
    let mut failures = Vec::new();
    for template in BASIC_CONTEXTS {
        let (plain, encoded) = mint::basic_credentials();
        let slots = [Slot::Opaque(encoded)];
        check(&format!("basic {plain}"), template, &slots, Mode::Shape, &mut failures);
    }
    report("basic credentials", failures);
}

#[test]
fn github_style_token_in_prose() {
    let mut failures = Vec::new();
    let value = Slot::Opaque(format!("gho_{}", mint::alnum(36)));
    check("gho_", "cloned with {T} successfully", std::slice::from_ref(&value), Mode::Shape, &mut failures);
    check("gho_", "cloned with {T} successfully", &[value], Mode::Idempotent, &mut failures);
    report("github token", failures);
}

#[test]
fn payload_with_only_kept_claims_keeps_its_bytes() {
    let claims = Claims::random();
    let payload = serde_json::json!({"iss": claims.iss, "aud": claims.aud, "exp": claims.exp});
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &payload,
        &mint::keys().hmac_enc,
    )
    .expect("encode");
    let (unsigned, signature) = token.rsplit_once('.').expect("three segments");
    let line = format!("Authorization: Bearer {token}");
    let expected = format!("Authorization: Bearer {unsigned}.{SIG_MARKER}");
    let got = util::scrub_line(line.as_bytes());
    crate::eqnice!(expected, got, "input: {line}");
    assert!(!contains(&got, signature.as_bytes()));
}

#[test]
fn sub_alone_is_redacted_and_the_rest_kept() {
    let claims = Claims::random();
    let payload = serde_json::json!({"iss": claims.iss, "sub": claims.sub, "exp": claims.exp});
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256),
        &payload,
        &mint::keys().ec_enc,
    )
    .expect("encode");
    let line = format!("id_token={token}");
    let got = util::scrub_line(line.as_bytes());
    let got_text = String::from_utf8(got.clone()).expect("utf-8 out");
    let out_token = got_text.strip_prefix("id_token=").expect("key kept");
    let data = jsonwebtoken::dangerous::insecure_decode::<Value>(out_token)
        .unwrap_or_else(|e| panic!("scrubbed token unreadable ({e}): {got_text}"));
    assert_eq!(
        data.claims,
        serde_json::json!({"iss": claims.iss, "sub": MARKER, "exp": claims.exp}),
        "scrubbed: {got_text}"
    );
    assert!(!got_text.contains(&claims.sub));
}

#[test]
fn non_json_payload_is_redacted_whole() {
    let secret = format!("user-{}", mint::hex(12));
    let header = format!(r#"{{"alg":"HS256","typ":"JWT","kid":"{}"}}"#, mint::hex(4));
    let token = mint::hs256_raw(header.as_bytes(), format!("plain text {secret}").as_bytes());
    let parts: Vec<&str> = token.split('.').collect();
    let line = format!("Authorization: Bearer {token}");
    let got = util::scrub_line(line.as_bytes());
    let text = String::from_utf8_lossy(&got).into_owned();
    let why = || format!("\ninput: {line}\ngot:   {text}");
    let out_token = text.strip_prefix("Authorization: Bearer ").unwrap_or_else(|| panic!("prefix changed{}", why()));
    let out: Vec<&str> = out_token.split('.').collect();
    assert_eq!(out.len(), 3, "still three segments{}", why());
    assert_eq!(out[0], parts[0], "header kept{}", why());
    assert_ne!(out[1], parts[1], "payload rewritten{}", why());
    assert_eq!(out[2], SIG_MARKER, "signature replaced{}", why());
    let decoded = mint::unb64url(out[1]).unwrap_or_default();
    assert!(!contains(&decoded, secret.as_bytes()), "payload secret gone{}", why());
}

// ---- negatives: no credential, so byte-identical -----------------------------------------------

fn untouched(lines: &[String]) {
    let mut failures = Vec::new();
    for line in lines {
        let out = util::scrub_line(line.as_bytes());
        if out != line.as_bytes() {
            failures.push(util::diff_report("scrub_line changed a clean line", line.as_bytes(), &out));
            continue;
        }
        for term in ["\n", "\r\n"] {
            let buf = format!("{line}{term}");
            let got = util::scrub_buf(buf.as_bytes());
            if got != buf.as_bytes() {
                failures.push(util::diff_report("scrub_buf changed a clean line", buf.as_bytes(), &got));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn owned(lines: &[&str]) -> Vec<String> {
    lines.iter().map(|s| s.to_string()).collect()
}

fn challenge_lines() -> Vec<String> {
    owned(&[
        r#"WWW-Authenticate: Bearer realm="api", error="invalid_token""#,
        r#"WWW-Authenticate: Bearer realm="example""#,
        r#"www-authenticate: Bearer error="insufficient_scope", scope="read""#,
    ])
}

fn prose_lines() -> Vec<String> {
    owned(&[
        "Bearer authentication failed",
        "2024-05-01 WARN auth: Bearer authentication failed for client 42",
        r#"{"token_type":"Bearer","expires_in":3600}"#,
    ])
}

fn dotted_lines() -> Vec<String> {
    owned(&[
        "upgraded to v1.2.3 from 1.2.2-rc.1",
        "connecting to app.example.com:443",
        "extracted archive.tar.gz to /tmp/x",
        "at com.example.Foo.bar(Foo.java:42)",
        "java.lang.IllegalStateException: a.b.c",
        "loaded module foo.bar.baz in 3.5.7 ms",
    ])
}

fn blob_lines() -> Vec<String> {
    use b64::Engine as _;
    use rand::RngCore as _;
    let blob = |n: usize| {
        let mut raw = vec![0u8; n];
        rand::thread_rng().fill_bytes(&mut raw);
        // `Q` keeps clear of the `{"` prefix a real header encodes to.
        format!("Q{}", mint::b64url(&raw))
    };
    let (a, b, c) = (blob(24), blob(30), blob(12));
    let std_blob = b64::engine::general_purpose::STANDARD.encode(mint::hex(20));
    vec![
        format!("sha256={}", mint::hex(32)),
        format!("commit {} merged", mint::hex(20)),
        format!("blob {a}.{b}.{c} stored"),
        format!("{a}.{b}.{c}"),
        format!("data: {std_blob}.{std_blob}.{std_blob}"),
        format!("five {a}.{b}.{c}.{a}.{b} parts"),
    ]
}

fn lone_header_lines() -> Vec<String> {
    let header = mint::b64url(br#"{"alg":"HS256","typ":"JWT"}"#);
    vec![format!("kid hint {header} end"), header.clone(), format!("header={header}")]
}

fn garbage_eyj_lines() -> Vec<String> {
    let no_alg = mint::b64url(format!(r#"{{"typ":"JWT","kid":"{}"}}"#, mint::hex(4)).as_bytes());
    let payload = mint::b64url(br#"{"exp":1}"#);
    vec![
        format!("eyJ{}.{}.{}", mint::alnum(10), mint::alnum(8), mint::alnum(8)),
        format!("ref eyJfoo.bar.baz and eyJ{}.x.y", mint::alnum(6)),
        format!("no alg {no_alg}.{payload}.{}", mint::alnum(43)),
    ]
}

fn non_secret_key_lines() -> Vec<String> {
    owned(&[
        r#"{"user":"bob","status":"ok","count":3}"#,
        "level=info user=bob path=/login status=200",
        "Content-Type: application/json",
        "Accept: */*",
    ])
}

#[test]
fn www_authenticate_challenge_is_not_a_credential() {
    untouched(&challenge_lines());
}

#[test]
fn bearer_in_prose_is_not_a_credential() {
    untouched(&prose_lines());
}

#[test]
fn dotted_look_alikes_are_not_tokens() {
    untouched(&dotted_lines());
}

#[test]
fn hashes_and_random_blobs_are_not_tokens() {
    untouched(&blob_lines());
}

#[test]
fn lone_header_segment_is_not_a_token() {
    untouched(&lone_header_lines());
}

#[test]
fn eyj_with_garbage_segments_is_not_a_token() {
    untouched(&garbage_eyj_lines());
}

#[test]
fn non_secret_keys_are_not_touched() {
    untouched(&non_secret_key_lines());
}

/// `scrub_line` documents `Cow::Borrowed` when nothing was found: a clean line is not copied.
#[test]
fn clean_lines_are_borrowed_not_copied() {
    let all = [
        challenge_lines(),
        prose_lines(),
        dotted_lines(),
        blob_lines(),
        lone_header_lines(),
        garbage_eyj_lines(),
        non_secret_key_lines(),
    ]
    .concat();
    let mut copied = Vec::new();
    for line in &all {
        let mut scratch = logscrub::Scratch::default();
        let out = util::scrubber().scrub_line(line.as_bytes(), &mut scratch);
        if *out == *line.as_bytes() && matches!(out, Cow::Owned(_)) {
            copied.push(show(line.as_bytes()));
        }
    }
    assert!(copied.is_empty(), "clean lines came back Cow::Owned:\n{}", copied.join("\n"));
}
