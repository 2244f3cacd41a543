//! Second factor: TOTP (RFC 6238, HMAC-SHA1, 30 s, 6 digits), the form every
//! authenticator app reads. A code is accepted once: the time step it matched is stored
//! and no code of that step or an earlier one is taken again.

use totp_rs::{Algorithm, Secret, TOTP};

pub const STEP_SECONDS: u64 = 30;

fn totp(secret: &[u8]) -> TOTP {
    // skew is applied by `verify` itself, which needs to know the matching step.
    TOTP::new_unchecked(Algorithm::SHA1, 6, 0, STEP_SECONDS, secret.to_vec())
}

/// A new random 160-bit secret, base32 as authenticator apps expect.
pub fn new_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    Secret::Raw(bytes.to_vec()).to_encoded().to_string()
}

pub fn decode_secret(base32: &str) -> Option<Vec<u8>> {
    Secret::Encoded(base32.trim().replace(' ', "").to_uppercase())
        .to_bytes()
        .ok()
        .filter(|b| b.len() >= 16)
}

/// The code for `unix_time` (tests and demo).
pub fn code_at(base32: &str, unix_time: u64) -> Option<String> {
    decode_secret(base32).map(|s| totp(&s).generate(unix_time))
}

/// Checks `code` at `unix_time`, allowing one step of clock drift either way. Returns the
/// matched step when the code is right and newer than `last_step`.
pub fn verify(base32: &str, code: &str, unix_time: u64, last_step: i64) -> Option<i64> {
    let secret = decode_secret(base32)?;
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = totp(&secret);
    let now_step = (unix_time / STEP_SECONDS) as i64;
    (now_step - 1..=now_step + 1)
        .filter(|step| *step > last_step && *step >= 0)
        .find(|step| t.generate(*step as u64 * STEP_SECONDS) == code)
}

/// The `otpauth://` URI an authenticator app scans.
pub fn otpauth_uri(issuer: &str, account: &str, base32: &str) -> String {
    let label = percent_encode(&format!("{issuer}:{account}"));
    format!(
        "otpauth://totp/{label}?secret={base32}&issuer={}&algorithm=SHA1&digits=6&period=30",
        percent_encode(issuer)
    )
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The QR code of `text` as an SVG document, drawn on the server (no script, no CDN).
pub fn qr_svg(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 seed "12345678901234567890", last 6 digits.
    #[test]
    fn rfc6238_test_vectors() {
        let secret = Secret::Raw(b"12345678901234567890".to_vec())
            .to_encoded()
            .to_string();
        for (time, code) in [
            (59u64, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(code_at(&secret, time).unwrap(), code, "t={time}");
        }
    }

    #[test]
    fn a_code_works_once_and_drift_is_tolerated() {
        let s = new_secret();
        let t = 1_800_000_000;
        let code = code_at(&s, t).unwrap();
        let step = verify(&s, &code, t, 0).expect("fresh code accepted");
        assert_eq!(verify(&s, &code, t, step), None, "replay refused");
        // 30 s late still works (one step of drift), 90 s late does not.
        assert!(verify(&s, &code, t + 30, 0).is_some());
        assert!(verify(&s, &code, t + 90, 0).is_none());
        assert!(verify(&s, "12345", t, 0).is_none());
        assert!(verify(&s, "abcdef", t, 0).is_none());
    }

    #[test]
    fn uri_and_qr() {
        let uri = otpauth_uri("示范市民政", "admin", "JBSWY3DPEHPK3PXP");
        assert!(uri.starts_with("otpauth://totp/%E7%A4%BA"));
        assert!(uri.contains("secret=JBSWY3DPEHPK3PXP"));
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.contains("<svg"));
    }
}
