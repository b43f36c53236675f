//! The REST API's wire types (`/api/v1`), shared by the server's handlers and
//! the browser's client so both sides agree on one contract.
//!
//! Requests refuse unknown fields: a typo in a client is an error, not a
//! silently ignored value.

use serde::{Deserialize, Serialize};

use crate::domain::AccountKind;

#[cfg(feature = "ssr")]
use utoipa::ToSchema;

/// The shape of every error the API returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct ErrorDetail {
    /// Stable and machine-readable, e.g. `invalid_code`.
    pub code: String,
    /// For people; may change between versions.
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// A second factor the current login may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MfaMethod {
    Totp,
    RecoveryCode,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LoginResponse {
    /// Logged in.
    Ok,
    /// The password was right; `POST /api/v1/login/mfa` with a code comes next.
    MfaRequired { methods: Vec<MfaMethod> },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MfaCodeRequest {
    /// An app code (`"189 145"` or `"189145"`) or a recovery code.
    pub code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct MeResponse {
    pub username: String,
    pub kind: AccountKind,
    pub mfa: MfaStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct MfaStatus {
    pub totp: TotpStatus,
    pub recovery_codes_left: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct TotpStatus {
    pub enabled: bool,
    /// Seconds a code is valid: 30, or 60 where so configured.
    pub period: u32,
}

/// Confirms a sensitive change with the current password.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordRequest {
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct TotpSetupResponse {
    /// Base32, for typing into an app by hand.
    pub secret: String,
    pub otpauth_uri: String,
    /// The otpauth URI as a QR code, an SVG document.
    pub qr_svg: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TotpActivateRequest {
    pub code: String,
}

/// A fresh set of recovery codes, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct RecoveryCodesResponse {
    pub recovery_codes: Vec<String>,
}

/// Confirms a change to the second factor with the password and a current code
/// (an app code or a recovery code).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordAndCodeRequest {
    pub password: String,
    pub code: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_responses_carry_their_status_as_a_tag() {
        let mfa = LoginResponse::MfaRequired {
            methods: vec![MfaMethod::Totp, MfaMethod::RecoveryCode],
        };
        assert_eq!(
            serde_json::to_value(&mfa).ok(),
            Some(serde_json::json!({"status": "mfa_required", "methods": ["totp", "recovery_code"]}))
        );
        assert_eq!(
            serde_json::to_value(LoginResponse::Ok).ok(),
            Some(serde_json::json!({"status": "ok"}))
        );
    }

    #[test]
    fn requests_refuse_unknown_fields() {
        let parsed = serde_json::from_str::<LoginRequest>(r#"{"username":"a","password":"b","admin":true}"#);
        assert!(parsed.is_err());
    }
}
