//! The browser's REST client: one typed function per endpoint of `/api/v1`.
//!
//! Requests are only ever made in the browser (from event handlers and local
//! resources); the server renders pages without calling its own API.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::{
    ErrorBody, LoginRequest, LoginResponse, MeResponse, MfaCodeRequest, PasswordAndCodeRequest, PasswordRequest,
    RecoveryCodesResponse, TotpActivateRequest, TotpSetupResponse,
};

/// A failed call, ready to show: the API's error, or a network failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientError {
    /// HTTP status; 0 when the server could not be reached.
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl ClientError {
    fn network() -> Self {
        Self {
            status: 0,
            code: "network".to_owned(),
            message: "Tessera could not be reached. Check your connection and try again.".to_owned(),
        }
    }

    fn unexpected(status: u16) -> Self {
        Self {
            status,
            code: "unexpected".to_owned(),
            message: format!("Unexpected answer from the server ({status})."),
        }
    }

    /// The session is gone (logged out, expired): the login page is next.
    pub fn is_not_logged_in(&self) -> bool {
        self.code == "not_logged_in"
    }
}

pub async fn login(request: &LoginRequest) -> Result<LoginResponse, ClientError> {
    post_json("/api/v1/login", request).await
}

pub async fn login_mfa(code: String) -> Result<LoginResponse, ClientError> {
    post_json("/api/v1/login/mfa", &MfaCodeRequest { code }).await
}

pub async fn logout() -> Result<(), ClientError> {
    post_no_content("/api/v1/logout", None::<&()>).await
}

pub async fn me() -> Result<MeResponse, ClientError> {
    get_json("/api/v1/me").await
}

pub async fn totp_setup(password: String) -> Result<TotpSetupResponse, ClientError> {
    post_json("/api/v1/me/mfa/totp/setup", &PasswordRequest { password }).await
}

pub async fn totp_activate(code: String) -> Result<RecoveryCodesResponse, ClientError> {
    post_json("/api/v1/me/mfa/totp/activate", &TotpActivateRequest { code }).await
}

pub async fn totp_disable(password: String, code: String) -> Result<(), ClientError> {
    post_no_content(
        "/api/v1/me/mfa/totp/disable",
        Some(&PasswordAndCodeRequest { password, code }),
    )
    .await
}

pub async fn regenerate_recovery_codes(password: String, code: String) -> Result<RecoveryCodesResponse, ClientError> {
    post_json(
        "/api/v1/me/mfa/recovery-codes",
        &PasswordAndCodeRequest { password, code },
    )
    .await
}

async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, ClientError> {
    let (status, body) = transport::send("GET", path, None).await?;
    decode(status, &body)
}

async fn post_json<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, ClientError> {
    let json = serde_json::to_string(body).map_err(|_| ClientError::unexpected(0))?;
    let (status, body) = transport::send("POST", path, Some(json)).await?;
    decode(status, &body)
}

async fn post_no_content<B: Serialize>(path: &str, body: Option<&B>) -> Result<(), ClientError> {
    let json = body
        .map(serde_json::to_string)
        .transpose()
        .map_err(|_| ClientError::unexpected(0))?;
    let (status, body) = transport::send("POST", path, json).await?;
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(error_from(status, &body))
    }
}

fn decode<T: DeserializeOwned>(status: u16, body: &str) -> Result<T, ClientError> {
    if (200..300).contains(&status) {
        serde_json::from_str(body).map_err(|_| ClientError::unexpected(status))
    } else {
        Err(error_from(status, body))
    }
}

fn error_from(status: u16, body: &str) -> ClientError {
    match serde_json::from_str::<ErrorBody>(body) {
        Ok(ErrorBody { error }) => ClientError {
            status,
            code: error.code,
            message: error.message,
        },
        Err(_) => ClientError::unexpected(status),
    }
}

#[cfg(feature = "hydrate")]
mod transport {
    use super::ClientError;
    use gloo_net::http::{Method, RequestBuilder};

    /// Sends one request with the session cookie; answers status and body text.
    pub async fn send(method: &str, path: &str, json: Option<String>) -> Result<(u16, String), ClientError> {
        let method = if method == "GET" { Method::GET } else { Method::POST };
        let builder = RequestBuilder::new(path)
            .method(method)
            .header("Accept", "application/json");
        let request = match json {
            Some(json) => builder.header("Content-Type", "application/json").body(json),
            None => builder.build(),
        }
        .map_err(|_| ClientError::network())?;
        let response = request.send().await.map_err(|_| ClientError::network())?;
        let body = response.text().await.map_err(|_| ClientError::network())?;
        Ok((response.status(), body))
    }
}

#[cfg(not(feature = "hydrate"))]
mod transport {
    use super::ClientError;

    /// The server never calls its own API while rendering: it renders the
    /// loading state, and the browser fetches after hydration.
    pub async fn send(_method: &str, _path: &str, _json: Option<String>) -> Result<(u16, String), ClientError> {
        Err(ClientError::network())
    }
}
