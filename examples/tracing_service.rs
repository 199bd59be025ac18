//! A service that scrubs its own logs: `cargo run --example tracing_service --features tracing`.
//!
//! It logs what real services do log by mistake — an `Authorization` header and the ID token it
//! just decoded — through three subscriber setups, and prints what reaches stdout. The tokens are
//! made at run time (random claims and a random dummy signature, nothing pasted), so the output
//! can be checked: the signature printed at the top must not appear anywhere below it.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use logscrub::tracing_writer::{ScrubFields, ScrubMakeWriter};
use logscrub::{Rules, Scrubber};
use rand::distributions::{Alphanumeric, DistString};
use rand::{Rng, RngCore};
use tracing::{info, info_span, warn};

/// An RS256-shaped ID token: real header and claims JSON, a random 256-byte "signature".
fn id_token() -> (String, String) {
    let mut rng = rand::thread_rng();
    let word = |n| Alphanumeric.sample_string(&mut rand::thread_rng(), n);
    let header = format!(r#"{{"alg":"RS256","typ":"JWT","kid":"{}"}}"#, word(8));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let claims = format!(
        r#"{{"iss":"https://idp.example","aud":"web-app","sub":"user-{}","email":"{}@mail.example","name":"Ada {}","iat":{now},"exp":{},"nonce":"{}"}}"#,
        word(10),
        word(6).to_lowercase(),
        word(5),
        now + rng.gen_range(600..3600),
        word(16),
    );
    let mut sig = [0u8; 256];
    rng.fill_bytes(&mut sig);
    let sig = URL_SAFE_NO_PAD.encode(sig);
    let token = format!("{}.{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(claims), sig);
    (token, sig)
}

/// One request handled by the service, logging as services do.
fn handle_request(id_token: &str, access_token: &str) {
    let span = info_span!("request", method = "GET", path = "/account", request_id = 7, session = "s-4f2a91c7e8");
    let _enter = span.enter();
    info!(authorization = %format!("Bearer {access_token}"), user_agent = "curl/8.5", "incoming request");
    info!(id_token = %id_token, iss = "https://idp.example", aud = "web-app", "decoded ID token");
    warn!("slow IdP, raw headers were: Authorization: Bearer {id_token}; Accept: */*");
    info!(password = "correct-horse", status = 200, "legacy login form accepted");
}

fn main() {
    let (token, signature) = id_token();
    let access = format!("at_{}", Alphanumeric.sample_string(&mut rand::thread_rng(), 32));
    let (head, sig_head) = (token.get(..24).unwrap_or_default(), signature.get(..10).unwrap_or_default());
    println!("ID token made for this run: {head}… (signature starts {sig_head}…)");

    // One scrubber for the whole process; writers and field formatters share it.
    let scrubber = Arc::new(Scrubber::new(&Rules::embedded()).expect("embedded rules"));

    println!("\n== fmt(), text, writer scrubbing ==");
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(ScrubMakeWriter::new(Arc::clone(&scrubber), std::io::stdout))
        .finish();
    tracing::subscriber::with_default(subscriber, || handle_request(&token, &access));

    println!("\n== fmt().json(), writer scrubbing ==");
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_writer(ScrubMakeWriter::new(Arc::clone(&scrubber), std::io::stdout))
        .finish();
    tracing::subscriber::with_default(subscriber, || handle_request(&token, &access));

    println!("\n== fmt().compact() with colours, field and writer scrubbing ==");
    let subscriber = tracing_subscriber::fmt()
        .compact()
        .with_ansi(true)
        .fmt_fields(ScrubFields::new(Arc::clone(&scrubber), tracing_subscriber::fmt::format::DefaultFields::new()))
        .with_writer(ScrubMakeWriter::new(Arc::clone(&scrubber), std::io::stdout))
        .finish();
    tracing::subscriber::with_default(subscriber, || handle_request(&token, &access));
}
