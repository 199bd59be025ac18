//! Tokens minted at test time.
//!
//! Nothing here is a fixed token or key: every run generates fresh keys (HMAC secrets, RSA-2048,
//! P-256, Ed25519, AES-256), fresh random claim values, and signs or encrypts with real
//! implementations (`jsonwebtoken`, `rsa`, `aes-gcm`). Tests therefore never depend on a literal
//! token string, and no token or key is ever committed.
//!
//! Every minted token comes with its parts ([`Minted`]) so tests can assert what must vanish (the
//! signature, the JWE segments, the redacted claim values) and what must survive (the header
//! segment, the kept claims).

use std::sync::OnceLock;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use b64::Engine as _;
use b64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use rand::distributions::{Alphanumeric, DistString};
use rand::rngs::OsRng;
use rand::{Rng, RngCore};
use serde_json::{Value, json};

/// What kind of compact token this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Signed: `header.payload.signature`.
    Jws,
    /// `alg: none`: `header.payload.` (empty signature).
    Unsecured,
    /// Encrypted: `header.key.iv.ciphertext.tag` (key empty for `dir`).
    Jwe,
}

/// Every token flavour the suite mints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Hs256,
    Hs384,
    Hs512,
    Rs256,
    Ps256,
    Es256,
    EdDsa,
    /// HS256 whose header JSON is `{ "alg": ... }` (spaces), built by hand.
    Hs256SpacedHeader,
    /// HS256 whose header JSON starts with `{` + newline, pretty-printed, built by hand.
    Hs256NewlineHeader,
    /// `{"alg":"none"}`, empty signature, trailing dot.
    Unsecured,
    /// JWE `dir` + `A256GCM` (empty encrypted-key segment).
    JweDir,
    /// JWE `RSA-OAEP-256` + `A256GCM` (all five segments non-empty).
    JweRsaOaep,
}

impl Flavor {
    /// All flavours, in a stable order.
    pub const ALL: [Flavor; 12] = [
        Flavor::Hs256,
        Flavor::Hs384,
        Flavor::Hs512,
        Flavor::Rs256,
        Flavor::Ps256,
        Flavor::Es256,
        Flavor::EdDsa,
        Flavor::Hs256SpacedHeader,
        Flavor::Hs256NewlineHeader,
        Flavor::Unsecured,
        Flavor::JweDir,
        Flavor::JweRsaOaep,
    ];

    /// The signed (JWS) flavours: the first nine of [`Flavor::ALL`].
    pub const SIGNED: &[Flavor] = Flavor::ALL.split_at(9).0;

    pub fn kind(self) -> Kind {
        match self {
            Flavor::Unsecured => Kind::Unsecured,
            Flavor::JweDir | Flavor::JweRsaOaep => Kind::Jwe,
            _ => Kind::Jws,
        }
    }
}

/// Random claim values of one token. Each value carries a long random part, so finding it in
/// output is never a coincidence.
#[derive(Debug, Clone)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub exp: u64,
    pub nbf: u64,
    pub iat: u64,
    pub jti: String,
    pub scope: String,
    pub sub: String,
    pub email: String,
    pub name: String,
    /// Inside the nested `org` object.
    pub org_id: String,
    /// Inside the nested `org.roles` array.
    pub role: String,
    /// The value of a custom top-level claim (`tenant_ref`).
    pub custom: String,
}

impl Claims {
    pub fn random() -> Claims {
        let now = now();
        let mut rng = rand::thread_rng();
        Claims {
            iss: format!("https://idp-{}.example.org/", hex(6)),
            aud: format!("api-{}", hex(6)),
            exp: now + 3600 + rng.gen_range(0..100_000),
            nbf: now - rng.gen_range(0..600),
            iat: now - rng.gen_range(0..600),
            jti: uuid_ish(),
            scope: format!("openid profile read:{}", hex(4)),
            sub: format!("user-{}", hex(10)),
            email: format!("{}@mail-{}.example.com", alnum(12).to_lowercase(), hex(4)),
            name: format!("Ada{} Lovelace{}", alnum(8), alnum(8)),
            org_id: format!("org-{}", hex(10)),
            role: format!("role-{}", hex(10)),
            custom: format!("tenant-{}", hex(10)),
        }
    }

    /// The JSON payload.
    pub fn to_json(&self) -> Value {
        json!({
            "iss": self.iss,
            "aud": self.aud,
            "exp": self.exp,
            "nbf": self.nbf,
            "iat": self.iat,
            "jti": self.jti,
            "scope": self.scope,
            "sub": self.sub,
            "email": self.email,
            "name": self.name,
            "org": { "id": self.org_id, "roles": [self.role], "verified": true },
            "tenant_ref": self.custom,
        })
    }

    /// Claim values that the default rules keep, with their names.
    pub fn kept(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("iss", json!(self.iss)),
            ("aud", json!(self.aud)),
            ("exp", json!(self.exp)),
            ("nbf", json!(self.nbf)),
            ("iat", json!(self.iat)),
            ("jti", json!(self.jti)),
            ("scope", json!(self.scope)),
        ]
    }

    /// Top-level claims the default rules redact.
    pub const REDACTED_NAMES: [&'static str; 5] = ["sub", "email", "name", "org", "tenant_ref"];

    /// Values that must not appear anywhere in a scrubbed payload.
    pub fn secret_values(&self) -> Vec<&str> {
        vec![&self.sub, &self.email, &self.name, &self.org_id, &self.role, &self.custom]
    }
}

/// One minted token and its parts.
#[derive(Debug, Clone)]
pub struct Minted {
    pub flavor: Flavor,
    /// The compact serialization.
    pub token: String,
    /// The first segment, byte for byte.
    pub header: String,
    /// Every segment (3 for JWS and unsecured, 5 for JWE).
    pub segments: Vec<String>,
    pub claims: Claims,
}

impl Minted {
    pub fn kind(&self) -> Kind {
        self.flavor.kind()
    }

    /// The signature segment (empty for unsecured, and for JWE: the tag).
    pub fn signature(&self) -> &str {
        self.segments.last().map(String::as_str).unwrap_or("")
    }

    /// Segments that must not survive scrubbing: the signature of a JWS, every non-empty
    /// segment but the header of a JWE.
    pub fn secret_segments(&self) -> Vec<&str> {
        match self.kind() {
            Kind::Jws => vec![self.signature()],
            Kind::Unsecured => vec![],
            Kind::Jwe => self.segments[1..].iter().map(String::as_str).filter(|s| !s.is_empty()).collect(),
        }
    }
}

/// Mints one token of the given flavour with fresh random claims.
pub fn mint(flavor: Flavor) -> Minted {
    mint_with(flavor, Claims::random())
}

/// Mints one token of the given flavour with the given claims.
pub fn mint_with(flavor: Flavor, claims: Claims) -> Minted {
    let payload = claims.to_json();
    let token = match flavor {
        Flavor::Hs256 | Flavor::Hs384 | Flavor::Hs512 => {
            let alg = match flavor {
                Flavor::Hs256 => Algorithm::HS256,
                Flavor::Hs384 => Algorithm::HS384,
                _ => Algorithm::HS512,
            };
            let mut header = Header::new(alg);
            header.kid = Some(hex(8));
            jsonwebtoken::encode(&header, &payload, &keys().hmac_enc).expect("hmac encode")
        }
        Flavor::Rs256 | Flavor::Ps256 => {
            let alg = if flavor == Flavor::Rs256 { Algorithm::RS256 } else { Algorithm::PS256 };
            let mut header = Header::new(alg);
            header.kid = Some(hex(8));
            jsonwebtoken::encode(&header, &payload, &keys().rsa.enc).expect("rsa encode")
        }
        Flavor::Es256 => {
            jsonwebtoken::encode(&Header::new(Algorithm::ES256), &payload, &keys().ec_enc).expect("ec encode")
        }
        Flavor::EdDsa => {
            jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &payload, &keys().ed_enc).expect("ed encode")
        }
        Flavor::Hs256SpacedHeader => {
            let header = format!("{{ \"alg\": \"HS256\", \"typ\": \"JWT\", \"kid\": \"{}\" }}", hex(8));
            sign_by_hand(header.as_bytes(), &payload)
        }
        Flavor::Hs256NewlineHeader => {
            let header = format!("{{\n  \"alg\": \"HS256\",\n  \"typ\": \"JWT\",\n  \"kid\": \"{}\"\n}}", hex(8));
            sign_by_hand(header.as_bytes(), &payload)
        }
        Flavor::Unsecured => {
            let header = b64url(br#"{"alg":"none","typ":"JWT"}"#);
            let body = b64url(payload.to_string().as_bytes());
            format!("{header}.{body}.")
        }
        Flavor::JweDir => {
            let cek = Aes256Gcm::generate_key(OsRng);
            jwe(&json!({"alg": "dir", "enc": "A256GCM"}), &[], &cek, &payload)
        }
        Flavor::JweRsaOaep => {
            let cek = Aes256Gcm::generate_key(OsRng);
            let encrypted_key = keys()
                .rsa
                .public
                .encrypt(&mut OsRng, rsa::Oaep::new::<rsa::sha2::Sha256>(), &cek[..])
                .expect("rsa-oaep encrypt");
            let header = json!({"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": hex(8)});
            jwe(&header, &encrypted_key, &cek, &payload)
        }
    };
    let segments: Vec<String> = token.split('.').map(str::to_owned).collect();
    Minted { flavor, header: segments[0].clone(), segments, token, claims }
}

/// A JWS over a hand-written header (jsonwebtoken always writes compact JSON), signed with
/// HMAC-SHA256 through jsonwebtoken's own signer.
fn sign_by_hand(header_json: &[u8], payload: &Value) -> String {
    hs256_raw(header_json, payload.to_string().as_bytes())
}

/// An HS256 JWS over arbitrary header and payload bytes (which need not be JSON), signed with
/// the process HMAC key.
pub fn hs256_raw(header_json: &[u8], payload: &[u8]) -> String {
    let signing_input = format!("{}.{}", b64url(header_json), b64url(payload));
    let sig =
        jsonwebtoken::crypto::sign(signing_input.as_bytes(), &keys().hmac_enc, Algorithm::HS256).expect("hmac sign");
    format!("{signing_input}.{sig}")
}

/// JWE compact serialization with AES-256-GCM content encryption (RFC 7516 §5.1): the AAD is
/// the ASCII of the encoded protected header.
fn jwe(header: &Value, encrypted_key: &[u8], cek: &aes_gcm::Key<Aes256Gcm>, payload: &Value) -> String {
    let protected = b64url(header.to_string().as_bytes());
    let mut iv = [0u8; 12];
    OsRng.fill_bytes(&mut iv);
    let sealed = Aes256Gcm::new(cek)
        .encrypt(&Nonce::from(iv), Payload { msg: payload.to_string().as_bytes(), aad: protected.as_bytes() })
        .expect("aes-gcm encrypt");
    let (ciphertext, tag) = sealed.split_at(sealed.len() - 16);
    format!("{protected}.{}.{}.{}.{}", b64url(encrypted_key), b64url(&iv), b64url(ciphertext), b64url(tag))
}

/// Keys generated once per test process.
pub struct Keys {
    pub hmac_secret: Vec<u8>,
    pub hmac_enc: EncodingKey,
    pub rsa: RsaKeys,
    pub ec_enc: EncodingKey,
    pub ec_public_pem: String,
    pub ed_enc: EncodingKey,
    pub ed_public_pem: String,
}

pub struct RsaKeys {
    pub private: rsa::RsaPrivateKey,
    pub public: rsa::RsaPublicKey,
    pub enc: EncodingKey,
    pub public_pem: String,
}

/// The process-wide keys. RSA-2048 generation takes a moment, so it happens once.
pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        use ed25519_dalek::pkcs8::EncodePrivateKey as _;
        use ed25519_dalek::pkcs8::EncodePublicKey as _;
        use rsa::pkcs1::{EncodeRsaPrivateKey as _, EncodeRsaPublicKey as _, LineEnding};

        let mut hmac_secret = vec![0u8; 64];
        OsRng.fill_bytes(&mut hmac_secret);
        let hmac_enc = EncodingKey::from_secret(&hmac_secret);

        let private = rsa::RsaPrivateKey::new(&mut OsRng, 2048).expect("rsa keygen");
        let public = rsa::RsaPublicKey::from(&private);
        // PEM round trip, the way a service loads its key.
        let pem = private.to_pkcs1_pem(LineEnding::LF).expect("rsa pem");
        let enc = EncodingKey::from_rsa_pem(pem.as_bytes()).expect("rsa EncodingKey");
        let public_pem = public.to_pkcs1_pem(LineEnding::LF).expect("rsa public pem");

        let ec = p256::SecretKey::random(&mut OsRng);
        let ec_der = p256::pkcs8::EncodePrivateKey::to_pkcs8_der(&ec).expect("p256 der");
        let ec_enc = EncodingKey::from_ec_der(ec_der.as_bytes());
        let ec_public_pem =
            p256::pkcs8::EncodePublicKey::to_public_key_pem(&ec.public_key(), LineEnding::LF).expect("p256 public pem");

        let ed = ed25519_dalek::SigningKey::generate(&mut OsRng);
        let ed_pem = ed.to_pkcs8_pem(LineEnding::LF).expect("ed25519 pem");
        let ed_enc = EncodingKey::from_ed_pem(ed_pem.as_bytes()).expect("ed EncodingKey");
        let ed_public_pem = ed.verifying_key().to_public_key_pem(LineEnding::LF).expect("ed25519 public pem");

        Keys {
            hmac_secret,
            hmac_enc,
            rsa: RsaKeys { private, public, enc, public_pem },
            ec_enc,
            ec_public_pem,
            ed_enc,
            ed_public_pem,
        }
    })
}

/// The key that verifies a flavour's signature (signed flavours only).
pub fn decoding_key(flavor: Flavor) -> (DecodingKey, Algorithm) {
    let k = keys();
    match flavor {
        Flavor::Hs256 | Flavor::Hs256SpacedHeader | Flavor::Hs256NewlineHeader => {
            (DecodingKey::from_secret(&k.hmac_secret), Algorithm::HS256)
        }
        Flavor::Hs384 => (DecodingKey::from_secret(&k.hmac_secret), Algorithm::HS384),
        Flavor::Hs512 => (DecodingKey::from_secret(&k.hmac_secret), Algorithm::HS512),
        Flavor::Rs256 | Flavor::Ps256 => (
            DecodingKey::from_rsa_pem(k.rsa.public_pem.as_bytes()).expect("rsa DecodingKey"),
            if flavor == Flavor::Rs256 { Algorithm::RS256 } else { Algorithm::PS256 },
        ),
        Flavor::Es256 => {
            (DecodingKey::from_ec_pem(k.ec_public_pem.as_bytes()).expect("ec DecodingKey"), Algorithm::ES256)
        }
        Flavor::EdDsa => {
            (DecodingKey::from_ed_pem(k.ed_public_pem.as_bytes()).expect("ed DecodingKey"), Algorithm::EdDSA)
        }
        other => panic!("{other:?} is not signed"),
    }
}

/// Decrypts a JWE minted here; used to check the minting itself.
pub fn decrypt_jwe(m: &Minted) -> Value {
    assert_eq!(m.kind(), Kind::Jwe);
    let seg = |i: usize| unb64url(&m.segments[i]).expect("JWE segment is base64url");
    let cek = match m.flavor {
        Flavor::JweRsaOaep => {
            keys().rsa.private.decrypt(rsa::Oaep::new::<rsa::sha2::Sha256>(), &seg(1)).expect("rsa-oaep decrypt")
        }
        _ => panic!("the dir key is not kept; decrypt only RSA-OAEP tokens"),
    };
    let mut sealed = seg(3);
    sealed.extend_from_slice(&seg(4));
    let plain = Aes256Gcm::new_from_slice(&cek)
        .expect("cek length")
        .decrypt(
            &Nonce::from(<[u8; 12]>::try_from(seg(2).as_slice()).expect("96-bit IV")),
            Payload { msg: &sealed, aad: m.segments[0].as_bytes() },
        )
        .expect("aes-gcm decrypt");
    serde_json::from_slice(&plain).expect("JWE plaintext is JSON")
}

// ---- random values ----------------------------------------------------------------------------

pub fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock after 1970").as_secs()
}

/// `n` random bytes as lowercase hex (2n characters).
pub fn hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// `n` random ASCII letters and digits.
pub fn alnum(n: usize) -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), n)
}

pub fn uuid_ish() -> String {
    let groups: Vec<String> = [4, 2, 2, 2, 6].iter().map(|&n| hex(n)).collect();
    groups.join("-")
}

/// Opaque (non-JWT) bearer values of several shapes.
pub fn opaque_values() -> Vec<String> {
    let mut raw = vec![0u8; 30];
    rand::thread_rng().fill_bytes(&mut raw);
    vec![
        // base64url, no padding
        b64url(&raw),
        // hex, as many session ids look
        hex(20),
        // GitHub-style OAuth token
        format!("gho_{}", alnum(36)),
        // letters and digits with dashes
        format!("{}-{}-{}", alnum(10), alnum(10), alnum(10)),
    ]
}

/// A standard base64 value with `+`, `/` and `=` padding (RFC 6750 `b64token`).
pub fn opaque_b64_padded() -> String {
    loop {
        let mut raw = vec![0u8; 31];
        rand::thread_rng().fill_bytes(&mut raw);
        let s = STANDARD.encode(&raw);
        if s.contains('+') || s.contains('/') {
            return s;
        }
    }
}

/// `user:password` for Basic credentials, and its base64.
pub fn basic_credentials() -> (String, String) {
    let plain = format!("svc-{}:{}", alnum(6), alnum(20));
    let encoded = STANDARD.encode(plain.as_bytes());
    (plain, encoded)
}

pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn unb64url(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s).ok()
}

// ---- the minting itself is checked ------------------------------------------------------------

#[test]
fn signed_tokens_verify_with_jsonwebtoken() {
    for &flavor in Flavor::SIGNED {
        let m = mint(flavor);
        let (key, alg) = decoding_key(flavor);
        let mut validation = jsonwebtoken::Validation::new(alg);
        validation.set_audience(&[&m.claims.aud]);
        validation.set_issuer(&[&m.claims.iss]);
        let data = jsonwebtoken::decode::<Value>(&m.token, &key, &validation)
            .unwrap_or_else(|e| panic!("{flavor:?}: minted token does not verify: {e}"));
        assert_eq!(data.claims, m.claims.to_json(), "{flavor:?}");
        assert_eq!(m.segments.len(), 3, "{flavor:?}");
        assert!(!m.signature().is_empty(), "{flavor:?}");
    }
}

#[test]
fn hand_built_headers_have_whitespace() {
    let spaced = unb64url(&mint(Flavor::Hs256SpacedHeader).header).unwrap();
    assert!(spaced.starts_with(b"{ \""), "{}", String::from_utf8_lossy(&spaced));
    let newline = unb64url(&mint(Flavor::Hs256NewlineHeader).header).unwrap();
    assert!(newline.starts_with(b"{\n"), "{}", String::from_utf8_lossy(&newline));
    for h in [spaced, newline] {
        let v: Value = serde_json::from_slice(&h).unwrap();
        assert_eq!(v["alg"], "HS256");
    }
}

#[test]
fn unsecured_token_has_alg_none_and_empty_signature() {
    let m = mint(Flavor::Unsecured);
    assert!(m.token.ends_with('.'));
    assert_eq!(m.segments.len(), 3);
    assert_eq!(m.signature(), "");
    // jsonwebtoken refuses `none`, so the header is read as plain JSON.
    let header: Value = serde_json::from_slice(&unb64url(&m.header).unwrap()).unwrap();
    assert_eq!(header["alg"], "none");
    let payload: Value = serde_json::from_slice(&unb64url(&m.segments[1]).unwrap()).unwrap();
    assert_eq!(payload, m.claims.to_json());
}

#[test]
fn jwe_tokens_have_five_segments_and_decrypt() {
    for flavor in [Flavor::JweDir, Flavor::JweRsaOaep] {
        let m = mint(flavor);
        assert_eq!(m.segments.len(), 5, "{flavor:?}");
        let header: Value = serde_json::from_slice(&unb64url(&m.header).unwrap()).unwrap();
        assert_eq!(header["enc"], "A256GCM", "{flavor:?}");
        assert_eq!(m.segments[1].is_empty(), flavor == Flavor::JweDir, "{flavor:?}");
        assert!(m.segments[2..].iter().all(|s| !s.is_empty()), "{flavor:?}");
    }
    let m = mint(Flavor::JweRsaOaep);
    assert_eq!(decrypt_jwe(&m), m.claims.to_json());
}

#[test]
fn every_mint_is_fresh() {
    for flavor in Flavor::ALL {
        let (a, b) = (mint(flavor), mint(flavor));
        assert_ne!(a.token, b.token, "{flavor:?}");
        assert_ne!(a.claims.sub, b.claims.sub, "{flavor:?}");
    }
}
