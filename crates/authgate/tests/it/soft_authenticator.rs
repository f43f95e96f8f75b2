//! A software WebAuthn authenticator for the tests: it answers the options
//! `Authenticator::begin_passkey_*` hands the browser as a browser with a
//! platform authenticator would (`none` attestation, an ES256 key, user
//! present and verified), and can be told to lie: another origin in the
//! client data, another RP id in the authenticator data, a counter of its
//! choosing, a foreign user handle.
//!
//! The encodings are WebAuthn's (W3C WebAuthn Level 2, §6.1 authenticator
//! data, §6.5 attestation object, §7 client data) and COSE's (RFC 9053,
//! EC2 keys), written by hand: a few bytes of CBOR need no library.

#![allow(dead_code)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::sign::Signer;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// User present.
const UP: u8 = 0x01;
/// User verified.
const UV: u8 = 0x04;
/// Attested credential data included.
const AT: u8 = 0x40;

/// What to lie about in one response.
#[derive(Debug, Clone, Default)]
pub struct Lie {
    /// The origin the client data names instead of the real one.
    pub origin: Option<String>,
    /// The RP id whose hash the authenticator data carries instead.
    pub rp_id: Option<String>,
    /// The challenge the client data carries instead (base64url).
    pub challenge: Option<String>,
    /// The signature counter to report instead of the next one.
    pub counter: Option<u32>,
    /// Leave user verification out.
    pub unverified: bool,
    /// The user handle to report instead of the stored one.
    pub user_handle: Option<Vec<u8>>,
    /// Flip a bit of the signature.
    pub bad_signature: bool,
}

/// One credential on a software authenticator.
pub struct SoftAuthenticator {
    key: PKey<Private>,
    x: Vec<u8>,
    y: Vec<u8>,
    /// The credential id.
    pub credential_id: Vec<u8>,
    /// The user handle the relying party gave at creation.
    pub user_handle: Vec<u8>,
    /// The RP id it was created for.
    pub rp_id: String,
    /// Its signature counter: raised by every assertion.
    pub counter: u32,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .expect("base64url in the options")
}

// ---- CBOR (RFC 8949), what WebAuthn needs of it -----------------------------------

fn head(major: u8, n: u64, out: &mut Vec<u8>) {
    let m = major << 5;
    match n {
        0..=23 => out.push(m | n as u8),
        24..=0xff => out.extend([m | 24, n as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend((n as u16).to_be_bytes());
        }
        _ => {
            out.push(m | 26);
            out.extend((n as u32).to_be_bytes());
        }
    }
}

fn int(v: i64, out: &mut Vec<u8>) {
    if v >= 0 {
        head(0, v as u64, out);
    } else {
        head(1, (-1 - v) as u64, out);
    }
}

fn bytes(b: &[u8], out: &mut Vec<u8>) {
    head(2, b.len() as u64, out);
    out.extend_from_slice(b);
}

fn text(t: &str, out: &mut Vec<u8>) {
    head(3, t.len() as u64, out);
    out.extend_from_slice(t.as_bytes());
}

fn map(n: usize, out: &mut Vec<u8>) {
    head(5, n as u64, out);
}

impl SoftAuthenticator {
    /// A new credential: a fresh P-256 key and a random 32-byte id.
    pub fn new() -> Self {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let ec = EcKey::generate(&group).unwrap();
        let (mut x, mut y) = (BigNum::new().unwrap(), BigNum::new().unwrap());
        let mut ctx = BigNumContext::new().unwrap();
        ec.public_key()
            .affine_coordinates(&group, &mut x, &mut y, &mut ctx)
            .unwrap();
        let mut credential_id = vec![0; 32];
        openssl::rand::rand_bytes(&mut credential_id).unwrap();
        SoftAuthenticator {
            x: x.to_vec_padded(32).unwrap(),
            y: y.to_vec_padded(32).unwrap(),
            key: PKey::from_ec_key(ec).unwrap(),
            credential_id,
            user_handle: Vec::new(),
            rp_id: String::new(),
            counter: 0,
        }
    }

    fn cose_key(&self) -> Vec<u8> {
        let mut out = Vec::new();
        map(5, &mut out);
        int(1, &mut out); // kty
        int(2, &mut out); // EC2
        int(3, &mut out); // alg
        int(-7, &mut out); // ES256
        int(-1, &mut out); // crv
        int(1, &mut out); // P-256
        int(-2, &mut out); // x
        bytes(&self.x, &mut out);
        int(-3, &mut out); // y
        bytes(&self.y, &mut out);
        out
    }

    fn auth_data(rp_id: &str, flags: u8, counter: u32) -> Vec<u8> {
        let mut out = Sha256::digest(rp_id.as_bytes()).to_vec();
        out.push(flags);
        out.extend(counter.to_be_bytes());
        out
    }

    fn client_data(kind: &str, challenge: &str, origin: &str) -> Vec<u8> {
        json!({
            "type": kind,
            "challenge": challenge,
            "origin": origin,
            "crossOrigin": false,
        })
        .to_string()
        .into_bytes()
    }

    /// `navigator.credentials.create` with `options` (the JSON the relying
    /// party sent) on a page at `origin`: the response JSON.
    pub fn create(&mut self, options: &str, origin: &str) -> String {
        self.create_lying(options, origin, &Lie::default())
    }

    /// [`SoftAuthenticator::create`], lying as told.
    pub fn create_lying(&mut self, options: &str, origin: &str, lie: &Lie) -> String {
        let options: Value = serde_json::from_str(options).expect("JSON options");
        let pk = &options["publicKey"];
        let challenge = lie
            .challenge
            .clone()
            .unwrap_or_else(|| pk["challenge"].as_str().expect("a challenge").to_string());
        self.rp_id = pk["rp"]["id"].as_str().expect("an RP id").to_string();
        self.user_handle = unb64(pk["user"]["id"].as_str().expect("a user id"));
        assert_eq!(
            pk["authenticatorSelection"]["residentKey"], "required",
            "passkeys are discoverable credentials"
        );
        let client_data = Self::client_data(
            "webauthn.create",
            &challenge,
            lie.origin.as_deref().unwrap_or(origin),
        );
        let flags = UP | AT | if lie.unverified { 0 } else { UV };
        let rp_id = lie.rp_id.clone().unwrap_or_else(|| self.rp_id.clone());
        let mut auth_data = Self::auth_data(&rp_id, flags, self.counter);
        auth_data.extend([0; 16]); // AAGUID: none
        auth_data.extend((self.credential_id.len() as u16).to_be_bytes());
        auth_data.extend(&self.credential_id);
        auth_data.extend(self.cose_key());
        let mut attestation = Vec::new();
        map(3, &mut attestation);
        text("fmt", &mut attestation);
        text("none", &mut attestation);
        text("attStmt", &mut attestation);
        map(0, &mut attestation);
        text("authData", &mut attestation);
        bytes(&auth_data, &mut attestation);
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "attestationObject": b64(&attestation),
                "clientDataJSON": b64(&client_data),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        })
        .to_string()
    }

    /// `navigator.credentials.get` with `options` on a page at `origin`:
    /// the response JSON. The counter goes up by one.
    pub fn get(&mut self, options: &str, origin: &str) -> String {
        self.get_lying(options, origin, &Lie::default())
    }

    /// [`SoftAuthenticator::get`], lying as told.
    pub fn get_lying(&mut self, options: &str, origin: &str, lie: &Lie) -> String {
        let options: Value = serde_json::from_str(options).expect("JSON options");
        let pk = &options["publicKey"];
        let challenge = lie
            .challenge
            .clone()
            .unwrap_or_else(|| pk["challenge"].as_str().expect("a challenge").to_string());
        assert_eq!(pk["rpId"], self.rp_id.as_str(), "asked for another RP id");
        if let Some(allowed) = pk["allowCredentials"].as_array() {
            if !allowed.is_empty() {
                let mine = b64(&self.credential_id);
                assert!(
                    allowed
                        .iter()
                        .any(|c| c["id"].as_str() == Some(mine.as_str())),
                    "a browser would not offer a credential the options leave out"
                );
            }
        }
        self.counter += 1;
        let counter = lie.counter.unwrap_or(self.counter);
        let client_data = Self::client_data(
            "webauthn.get",
            &challenge,
            lie.origin.as_deref().unwrap_or(origin),
        );
        let flags = UP | if lie.unverified { 0 } else { UV };
        let rp_id = lie.rp_id.clone().unwrap_or_else(|| self.rp_id.clone());
        let auth_data = Self::auth_data(&rp_id, flags, counter);
        let mut signed = auth_data.clone();
        signed.extend(Sha256::digest(&client_data));
        let mut signer = Signer::new(MessageDigest::sha256(), &self.key).unwrap();
        let mut signature = signer.sign_oneshot_to_vec(&signed).unwrap();
        if lie.bad_signature {
            let last = signature.len() - 1;
            signature[last] ^= 1;
        }
        let handle = lie
            .user_handle
            .clone()
            .unwrap_or_else(|| self.user_handle.clone());
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "authenticatorData": b64(&auth_data),
                "clientDataJSON": b64(&client_data),
                "signature": b64(&signature),
                "userHandle": b64(&handle),
            },
            "clientExtensionResults": {},
        })
        .to_string()
    }

    /// The credential id as authgate stores it (base64url).
    pub fn id(&self) -> String {
        b64(&self.credential_id)
    }
}
