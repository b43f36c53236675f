//! TOTP (RFC 6238) as Tessera uses it: SHA-1, 6 digits, 30 or 60 second steps,
//! the current step ±1, and no step accepted twice for one account.

use std::sync::Arc;

use app::domain::OtpCode;
use totp_rs::{Algorithm, Builder, Secret};

use super::keys::Keys;
use crate::clock::UnixTime;

/// Secret size: 160 bits, as RFC 4226 section 4 recommends.
pub const SECRET_BYTES: usize = 20;

/// How TOTP codes are made and checked; from configuration.
#[derive(Debug, Clone)]
pub struct TotpPolicy {
    /// Shown by authenticator apps above the account name.
    pub issuer: String,
    /// Seconds per step: 30 (the default every app assumes) or 60.
    pub period: u32,
    /// Steps either side of the current one that are still accepted.
    pub skew: u16,
}

impl Default for TotpPolicy {
    fn default() -> Self {
        Self {
            issuer: "Tessera".to_owned(),
            period: 30,
            skew: 1,
        }
    }
}

/// TOTP as a server runs it: the policy its codes follow, and the keys its
/// secrets are sealed with in the database.
pub struct Totp {
    pub policy: TotpPolicy,
    pub keys: Arc<Keys>,
}

/// A TOTP secret: raw bytes, base32 on the wire, sealed in the database.
pub struct TotpSecret(Secret);

impl TotpSecret {
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; SECRET_BYTES];
        getrandom::fill(&mut bytes)?;
        Ok(Self(Secret::from(bytes)))
    }

    pub fn from_base32(encoded: &str) -> Option<Self> {
        Secret::try_from_base32(encoded).ok().map(Self)
    }

    pub fn to_base32(&self) -> String {
        self.0.to_base32()
    }

    /// The raw bytes, as [`super::keys`] seals them; `None` when empty.
    pub fn from_bytes(bytes: Vec<u8>) -> Option<Self> {
        (!bytes.is_empty()).then(|| Self(Secret::from(bytes)))
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_ref()
    }
}

impl TotpPolicy {
    fn totp(&self, secret: &TotpSecret, account_name: &str) -> totp_rs::Totp {
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(6)
            .with_skew(self.skew)
            .with_step_duration(u64::from(self.period))
            .with_secret(secret.0.clone())
            .with_issuer(Some(self.issuer.replace(':', " ")))
            .with_account_name(account_name.replace(':', " "))
            .build_noncompliant()
    }

    /// The time step `code` belongs to, if it is valid at `now` (±skew).
    ///
    /// The caller must still refuse steps already used (see [`is_fresh`]).
    /// totp-rs compares the candidate codes in constant time.
    pub fn matching_step(&self, secret: &TotpSecret, code: &OtpCode, now: UnixTime) -> Option<i64> {
        let now = u64::try_from(now).ok()?;
        let step = self.totp(secret, "").check(code.as_str(), now)?;
        i64::try_from(step).ok()
    }

    /// The `otpauth://` URI apps import: label `issuer:username`, plus the
    /// `issuer` parameter that Google Authenticator, Aegis and Authy read.
    pub fn otpauth_uri(&self, secret: &TotpSecret, username: &str) -> Result<String, totp_rs::TotpError> {
        self.totp(secret, username).to_url()
    }
}

/// RFC 6238 section 5.2: a code is accepted once. A step is fresh only if it
/// is later than the last step this account used.
pub fn is_fresh(last_used_step: Option<i64>, step: i64) -> bool {
    last_used_step.is_none_or(|last| step > last)
}

/// The otpauth URI as an SVG QR code.
pub fn qr_svg(uri: &str) -> Result<String, qrcode::types::QrError> {
    let code = qrcode::QrCode::with_error_correction_level(uri, qrcode::EcLevel::M)?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}

/// Groups a base32 secret in fours for typing by hand: `JBSW Y3DP ...`.
pub fn group_for_reading(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    fn code(s: &str) -> OtpCode {
        OtpCode::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn secret() -> TotpSecret {
        TotpSecret(Secret::from(RFC_SECRET.to_vec()))
    }

    /// RFC 6238 Appendix B, the SHA-1 rows (8 digits there, as the RFC prints them).
    #[test]
    fn rfc_6238_appendix_b_sha1_vectors() {
        let totp = Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(8)
            .with_step_duration(30)
            .with_secret(RFC_SECRET.to_vec())
            .build_noncompliant();
        for (time, expected) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(totp.generate(time).to_string(), expected, "T = {time}");
        }
    }

    #[test]
    fn six_digit_codes_are_the_last_six_digits_of_the_rfc_values() {
        let policy = TotpPolicy::default();
        // 94287082 at T = 59 (step 1): the 6-digit code is 287082.
        assert_eq!(policy.matching_step(&secret(), &code("287082"), 59), Some(1));
        assert_eq!(policy.matching_step(&secret(), &code("287 082"), 59), Some(1));
    }

    #[test]
    fn codes_of_the_previous_and_next_step_are_accepted_but_no_further() {
        let policy = TotpPolicy::default();
        let at_step_1 = code("287082");
        assert_eq!(policy.matching_step(&secret(), &at_step_1, 30), Some(1), "same step");
        assert_eq!(
            policy.matching_step(&secret(), &at_step_1, 89),
            Some(1),
            "one step later"
        );
        assert_eq!(
            policy.matching_step(&secret(), &at_step_1, 0),
            Some(1),
            "one step earlier"
        );
        assert_eq!(policy.matching_step(&secret(), &at_step_1, 90), None, "two steps later");
        let strict = TotpPolicy {
            skew: 0,
            ..TotpPolicy::default()
        };
        assert_eq!(strict.matching_step(&secret(), &at_step_1, 60), None, "no skew");
    }

    #[test]
    fn a_sixty_second_period_halves_the_step_count() {
        let policy = TotpPolicy {
            period: 60,
            ..TotpPolicy::default()
        };
        let totp = policy.totp(&secret(), "");
        let at_120 = code(&totp.generate(120).to_string());
        assert_eq!(policy.matching_step(&secret(), &at_120, 150), Some(2));
    }

    #[test]
    fn a_used_step_and_every_earlier_one_are_refused() {
        assert!(is_fresh(None, 1));
        assert!(is_fresh(Some(41), 42));
        assert!(!is_fresh(Some(42), 42), "replay");
        assert!(!is_fresh(Some(42), 41), "older code still in the window");
    }

    #[test]
    fn the_otpauth_uri_names_issuer_and_account() {
        let policy = TotpPolicy {
            issuer: "Example Hosting".to_owned(),
            ..TotpPolicy::default()
        };
        let uri = policy.otpauth_uri(&secret(), "c12345").unwrap_or_default();
        assert_eq!(
            uri,
            format!(
                "otpauth://totp/Example%20Hosting:c12345?secret={}&issuer=Example%20Hosting",
                secret().to_base32()
            )
        );
        let sixty = TotpPolicy {
            period: 60,
            ..TotpPolicy::default()
        };
        assert!(
            sixty
                .otpauth_uri(&secret(), "a")
                .unwrap_or_default()
                .ends_with("&period=60")
        );
    }

    #[test]
    fn secrets_are_160_bits_and_round_trip_through_base32() {
        let generated = TotpSecret::generate().map(|s| s.to_base32()).unwrap_or_default();
        assert_eq!(generated.len(), 32, "160 bits are 32 base32 characters");
        let again = TotpSecret::from_base32(&generated).map(|s| s.to_base32());
        assert_eq!(again.as_deref(), Some(generated.as_str()));
    }

    #[test]
    fn the_qr_code_is_an_svg() {
        let svg = qr_svg("otpauth://totp/Tessera:a?secret=AAAA").unwrap_or_default();
        assert!(
            svg.starts_with("<?xml") && svg.contains("<svg"),
            "{}",
            &svg[..svg.len().min(80)]
        );
    }
}
