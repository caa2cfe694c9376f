//! Checks that a webhook comes from the provider: Meta signs the raw body with the app
//! secret (`X-Hub-Signature-256`), Twilio signs the URL and the form parameters with the
//! account's auth token (`X-Twilio-Signature`), Mailgun signs a timestamp and a random token
//! with the domain's webhook signing key, Calendly signs a timestamp and the raw body with the
//! subscription's signing key (`Calendly-Webhook-Signature: t=…,v1=…`). Comparisons take
//! constant time.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;
use subtle::ConstantTimeEq;

const META_PREFIX: &str = "sha256=";

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes a key of any length, so `new_from_slice` cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hmac_sha1(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// The `X-Hub-Signature-256` value Meta sends with `raw_body`: `sha256=<hex>`.
pub fn sign_meta(app_secret: &[u8], raw_body: &[u8]) -> String {
    format!(
        "{META_PREFIX}{}",
        hex::encode(hmac_sha256(app_secret, raw_body))
    )
}

/// Whether `header` (the `X-Hub-Signature-256` value) signs `raw_body` with the app secret.
pub fn verify_meta(app_secret: &[u8], raw_body: &[u8], header: Option<&str>) -> bool {
    let Some(given) = header.and_then(|h| h.trim().strip_prefix(META_PREFIX)) else {
        return false;
    };
    let Ok(given) = hex::decode(given.to_ascii_lowercase()) else {
        return false;
    };
    bool::from(hmac_sha256(app_secret, raw_body).ct_eq(&given))
}

/// The text Twilio signs: the full URL, then each parameter's name and value, sorted by name.
fn twilio_payload(full_url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut text = full_url.to_owned();
    for (name, value) in sorted {
        text.push_str(name);
        text.push_str(value);
    }
    text
}

/// The `X-Twilio-Signature` value for a POST of `params` to `full_url` (as Twilio called it,
/// query string included).
pub fn sign_twilio(auth_token: &str, full_url: &str, params: &[(String, String)]) -> String {
    let payload = twilio_payload(full_url, params);
    BASE64.encode(hmac_sha1(auth_token.as_bytes(), payload.as_bytes()))
}

/// Whether `header` (the `X-Twilio-Signature` value) signs this request with the auth token.
pub fn verify_twilio(
    auth_token: &str,
    full_url: &str,
    params: &[(String, String)],
    header: Option<&str>,
) -> bool {
    let Some(given) = header.and_then(|h| BASE64.decode(h.trim()).ok()) else {
        return false;
    };
    let payload = twilio_payload(full_url, params);
    bool::from(hmac_sha1(auth_token.as_bytes(), payload.as_bytes()).ct_eq(&given))
}

/// How far a Mailgun timestamp may be from now, either way, in seconds.
pub const MAILGUN_TOLERANCE_SECS: i64 = 15 * 60;

/// The `signature` Mailgun sends with `timestamp` and `token`: the hex HMAC-SHA256 of the two
/// concatenated, keyed with the webhook signing key.
pub fn sign_mailgun(signing_key: &str, timestamp: &str, token: &str) -> String {
    hex::encode(hmac_sha256(
        signing_key.as_bytes(),
        format!("{timestamp}{token}").as_bytes(),
    ))
}

/// Whether `signature` signs `timestamp` and `token` with the signing key, and the timestamp
/// (Unix seconds) is within [`MAILGUN_TOLERANCE_SECS`] of `now`.
pub fn verify_mailgun(
    signing_key: &str,
    timestamp: &str,
    token: &str,
    signature: &str,
    now: i64,
) -> bool {
    let fresh = timestamp
        .parse::<i64>()
        .is_ok_and(|t| (t - now).abs() <= MAILGUN_TOLERANCE_SECS);
    let expected = sign_mailgun(signing_key, timestamp, token);
    fresh
        && !signing_key.is_empty()
        && bool::from(expected.as_bytes().ct_eq(signature.trim().as_bytes()))
}

/// How far a Calendly signature's time may be from ours: older ones are replays.
pub const CALENDLY_TOLERANCE_SECS: i64 = 180;

/// The `Calendly-Webhook-Signature` value for `raw_body` sent at `t` (Unix seconds):
/// `t=<t>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`.
pub fn sign_calendly(signing_key: &str, t: i64, raw_body: &[u8]) -> String {
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(raw_body);
    format!(
        "t={t},v1={}",
        hex::encode(hmac_sha256(signing_key.as_bytes(), &signed))
    )
}

/// Whether `header` (the `Calendly-Webhook-Signature` value) signs `raw_body` with the signing
/// key at a time within [`CALENDLY_TOLERANCE_SECS`] of `now`.
pub fn verify_calendly(signing_key: &str, raw_body: &[u8], header: Option<&str>, now: i64) -> bool {
    let Some(header) = header else {
        return false;
    };
    let (mut t, mut v1) = (None, None);
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1 = hex::decode(value.to_ascii_lowercase()).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(given)) = (t, v1) else {
        return false;
    };
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(raw_body);
    let expected = hmac_sha256(signing_key.as_bytes(), &signed);
    (t - now).abs() <= CALENDLY_TOLERANCE_SECS
        && !signing_key.is_empty()
        && bool::from(expected.ct_eq(&given))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendly_signatures_are_checked_in_constant_time_and_must_be_fresh() {
        let body = br#"{"event":"invitee.created"}"#;
        // python3 -c 'import hmac,hashlib; print(hmac.new(b"sk-1",
        //   b"1700000000." + b"{\"event\":\"invitee.created\"}", hashlib.sha256).hexdigest())'
        let header = sign_calendly("sk-1", 1_700_000_000, body);
        assert_eq!(
            header,
            "t=1700000000,v1=e5b4bb40fdeeb2e0351de520a73dee04f6a27bed8e3e97598b153a6b4933b2b7"
        );
        let now = 1_700_000_100;
        assert!(verify_calendly("sk-1", body, Some(&header), now));
        assert!(
            !verify_calendly("sk-2", body, Some(&header), now),
            "another key"
        );
        assert!(
            !verify_calendly("sk-1", b"{}", Some(&header), now),
            "another body"
        );
        assert!(
            !verify_calendly("sk-1", body, Some(&header), now + 200),
            "a replay"
        );
        assert!(!verify_calendly("sk-1", body, None, now));
        assert!(!verify_calendly("sk-1", body, Some("t=1700000000"), now));
        assert!(!verify_calendly(
            "",
            body,
            Some(&sign_calendly("", 1_700_000_000, body)),
            now
        ));
        let swapped = header.replace("t=1700000000,", "") + ",t=1700000000";
        assert!(
            verify_calendly("sk-1", body, Some(&swapped), now),
            "parts in any order"
        );
    }

    #[test]
    fn mailgun_signatures_are_checked_and_must_be_fresh() {
        // python3 -c 'import hmac,hashlib; print(hmac.new(b"key-1", b"1700000000tok",
        //   hashlib.sha256).hexdigest())'
        let sig = sign_mailgun("key-1", "1700000000", "tok");
        assert_eq!(
            sig,
            "dc8bfeb77b457e9967c657a5bf176acfc5f802cebb6f075c5975259ec2a0ff54"
        );
        assert!(verify_mailgun(
            "key-1",
            "1700000000",
            "tok",
            &sig,
            1_700_000_100
        ));
        assert!(!verify_mailgun(
            "key-2",
            "1700000000",
            "tok",
            &sig,
            1_700_000_100
        ));
        assert!(!verify_mailgun(
            "key-1",
            "1700000000",
            "tok2",
            &sig,
            1_700_000_100
        ));
        assert!(
            !verify_mailgun("key-1", "1700000000", "tok", &sig, 1_700_009_000),
            "stale"
        );
        assert!(!verify_mailgun(
            "",
            "1700000000",
            "tok",
            &sign_mailgun("", "1700000000", "tok"),
            1_700_000_000
        ));
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    // python3 -c 'import hmac,hashlib; print(hmac.new(b"app-secret",
    //   b"{\"object\":\"whatsapp_business_account\",\"entry\":[]}", hashlib.sha256).hexdigest())'
    const META_BODY: &[u8] = br#"{"object":"whatsapp_business_account","entry":[]}"#;
    const META_SIG: &str =
        "sha256=d3e4f9da0ce6c71ab3dba55929b8eeeee2455349e534924ead19f98d143e904f";

    #[test]
    fn meta_signature_matches_an_independent_computation() {
        assert_eq!(sign_meta(b"app-secret", META_BODY), META_SIG);
        assert!(verify_meta(b"app-secret", META_BODY, Some(META_SIG)));
        assert!(verify_meta(
            b"app-secret",
            META_BODY,
            Some(&META_SIG.to_uppercase().replace("SHA256=", "sha256="))
        ));
    }

    #[test]
    fn meta_refuses_a_wrong_secret_body_or_header() {
        assert!(!verify_meta(b"other", META_BODY, Some(META_SIG)));
        assert!(!verify_meta(b"app-secret", b"{}", Some(META_SIG)));
        assert!(!verify_meta(b"app-secret", META_BODY, None));
        assert!(!verify_meta(b"app-secret", META_BODY, Some("sha1=abc")));
        assert!(!verify_meta(b"app-secret", META_BODY, Some("sha256=zz")));
        assert!(!verify_meta(
            b"app-secret",
            META_BODY,
            Some(&META_SIG[..20])
        ));
    }

    // Twilio's documented example (token 12345):
    // python3 -c 'import hmac,hashlib,base64; u="https://mycompany.com/myapp.php?foo=1&bar=2";
    //   p={"CallSid":"CA1234567890ABCDE","Caller":"+12349013030","Digits":"1234",
    //      "From":"+12349013030","To":"+18005551212"};
    //   s=u+"".join(k+p[k] for k in sorted(p));
    //   print(base64.b64encode(hmac.new(b"12345",s.encode(),hashlib.sha1).digest()).decode())'
    #[test]
    fn twilio_signature_matches_the_documented_example() {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let params = pairs(&[
            ("To", "+18005551212"),
            ("CallSid", "CA1234567890ABCDE"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("Caller", "+12349013030"),
        ]);
        assert_eq!(
            sign_twilio("12345", url, &params),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        );
        assert!(verify_twilio(
            "12345",
            url,
            &params,
            Some("0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
        ));
    }

    // Same command with u="https://crm.example.com/webhooks/twilio/sms?tenant=acme", token
    // "auth-token" and the parameters below (a UTF-8 body): cD123rRLh7NvNWSjD2FQG0xu6fA=
    #[test]
    fn twilio_signs_utf8_values_and_refuses_tampering() {
        let url = "https://crm.example.com/webhooks/twilio/sms?tenant=acme";
        let params = pairs(&[
            ("MessageSid", "SM123"),
            ("Body", "Hola, ¿qué tal?"),
            ("From", "+34600111222"),
            ("To", "+34910000000"),
            ("AccountSid", "AC9"),
        ]);
        let sig = "cD123rRLh7NvNWSjD2FQG0xu6fA=";
        assert_eq!(sign_twilio("auth-token", url, &params), sig);
        assert!(verify_twilio("auth-token", url, &params, Some(sig)));
        let mut changed = params.clone();
        changed[1].1 = "Hola".to_owned();
        assert!(!verify_twilio("auth-token", url, &changed, Some(sig)));
        assert!(!verify_twilio(
            "auth-token",
            "https://crm.example.com/other",
            &params,
            Some(sig)
        ));
        assert!(!verify_twilio("wrong", url, &params, Some(sig)));
        assert!(!verify_twilio("auth-token", url, &params, None));
        assert!(!verify_twilio(
            "auth-token",
            url,
            &params,
            Some("not base64!")
        ));
    }
}
