//! The API's one error type: a stable code (which fixes the status) and a
//! message, sent as `{"error":{"code","message"}}` (with `retry_after` and a
//! `Retry-After` header when waiting helps). Internal causes are logged,
//! never sent.

use std::borrow::Cow;

use app::api::{ErrorBody, ErrorCode as Code, ErrorDetail};
use app::domain::ValidationError;
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::service::ServiceError;

#[derive(Debug)]
pub struct ApiError {
    code: Code,
    message: Cow<'static, str>,
    retry_after: Option<u64>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: Code, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// Asks the client to wait `seconds` before trying again.
    fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds.max(1));
        self
    }

    pub fn not_logged_in() -> Self {
        Self::new(Code::NotLoggedIn, "Log in first.")
    }

    pub fn no_pending_login() -> Self {
        Self::new(
            Code::NoPendingLogin,
            "Your login has expired. Enter your password again.",
        )
    }

    pub fn not_found() -> Self {
        Self::new(Code::NotFound, "There is no such resource.")
    }

    pub fn method_not_allowed() -> Self {
        Self::new(Code::MethodNotAllowed, "That method is not allowed here.")
    }

    pub fn cross_origin() -> Self {
        Self::new(Code::CrossOriginRequest, "Requests from other sites are refused.")
    }

    pub fn internal() -> Self {
        Self::new(
            Code::InternalError,
            "Something went wrong on our side. Please try again.",
        )
    }

    pub fn code(&self) -> Code {
        self.code
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> Self {
        let (code, message): (Code, Cow<'static, str>) = match &err {
            ServiceError::Validation(v) => return v.clone().into(),
            ServiceError::InvalidCredentials => (Code::InvalidCredentials, "Wrong username or password.".into()),
            ServiceError::InvalidPassword => (Code::InvalidPassword, "That password is not right.".into()),
            ServiceError::SamePassword => (
                Code::InvalidInput,
                "Choose a new password: this one is your current password.".into(),
            ),
            ServiceError::InvalidCode => (Code::InvalidCode, "That code is wrong or has already been used.".into()),
            ServiceError::NoContactAddress => (
                Code::NoContactAddress,
                "This login has no contact address to send a link to: hand over the QR code instead.".into(),
            ),
            ServiceError::SupersededCode => (
                Code::SupersededCode,
                "A newer code was sent: use the latest e-mail.".into(),
            ),
            ServiceError::TooManyAttempts { retry_after } => {
                return Self::new(
                    Code::TooManyAttempts,
                    format!("Too many wrong codes. Try again in {retry_after} seconds."),
                )
                .retry_after(*retry_after);
            }
            ServiceError::LoginExpired => (
                Code::LoginExpired,
                "Too many wrong codes. Enter your password again.".into(),
            ),
            ServiceError::NoPendingLogin => return Self::no_pending_login(),
            ServiceError::TotpAlreadyEnabled => (
                Code::TotpAlreadyEnabled,
                "Two-factor authentication is already active.".into(),
            ),
            ServiceError::TotpNotEnabled => (Code::TotpNotEnabled, "Two-factor authentication is not active.".into()),
            ServiceError::NoPendingSetup => (
                Code::NoPendingSetup,
                "Start the set-up again: no QR code is waiting for its first code.".into(),
            ),
            ServiceError::UsernameTaken => (Code::UsernameTaken, "That username is taken.".into()),
            ServiceError::InvalidOwner(why) => (Code::InvalidOwner, (*why).into()),
            ServiceError::AccountNotFound | ServiceError::EventNotFound => return Self::not_found(),
            ServiceError::Forbidden(why) => (Code::Forbidden, (*why).into()),
            ServiceError::ResendTooSoon { retry_after } => {
                return Self::new(
                    Code::ResendTooSoon,
                    format!(
                        "A code was sent less than a minute ago and still works. You can ask for a new one in {retry_after} seconds."
                    ),
                ).retry_after(*retry_after);
            }
            ServiceError::MailUnavailable => {
                return Self::new(
                    Code::MailUnavailable,
                    "The code could not be sent: our mail server is not answering. Please try again in a moment.",
                )
                .retry_after(10);
            }
            ServiceError::EmailCodesNotOffered => (
                Code::EmailCodesNotOffered,
                "This login does not get its codes by e-mail.".into(),
            ),
            ServiceError::EmailCodeLogin => (
                Code::EmailCodeLogin,
                "This login gets its codes by e-mail: log in with the two-step login, which sends you one.".into(),
            ),
            ServiceError::LinkNotFound => (
                Code::LinkNotFound,
                "This link does not work: it was used already, has expired, or was copied incompletely.".into(),
            ),
            ServiceError::NotFlagged => (
                Code::NotFlagged,
                "Nobody has reported this login: there is nothing to dismiss.".into(),
            ),
            ServiceError::AppPasswordsNotOffered => (
                Code::AppPasswordsNotOffered,
                "Only mailbox logins have app passwords.".into(),
            ),
            ServiceError::TooManyAppPasswords => (
                Code::TooManyAppPasswords,
                format!(
                    "A mailbox has at most {} app passwords: revoke one you no longer use first.",
                    crate::service::app_passwords::MAX_PER_LOGIN
                )
                .into(),
            ),
            ServiceError::AppPasswordNameTaken => (
                Code::AppPasswordNameTaken,
                "An app password of that name exists already: choose another name.".into(),
            ),
            ServiceError::AppPasswordNotFound => return Self::not_found(),
            ServiceError::AppPasswordExpired => (
                Code::AppPasswordExpired,
                "This app password has expired: create a new one.".into(),
            ),
            ServiceError::AppPasswordNotForProtocol(protocol) => (
                Code::ProtocolNotAllowed,
                format!("This app password is not for {}: create one that is.", protocol.label()).into(),
            ),
            ServiceError::AppPasswordRequired { two_factor } => (
                Code::AppPasswordRequired,
                if *two_factor {
                    "This mailbox has two-factor authentication: mail apps log in with an app password, \
                     not with the mailbox's password."
                } else {
                    "Mail apps log in with an app password here, not with the mailbox's password."
                }
                .into(),
            ),
            ServiceError::PasswordThrottled { retry_after } => {
                return Self::new(
                    Code::TooManyAttempts,
                    format!("Too many failed logins. Try again in {}.", wait_in_words(*retry_after)),
                )
                .retry_after(*retry_after);
            }
            ServiceError::TooManyLoginFailures { retry_after } => {
                return Self::new(
                    Code::TooManyFailures,
                    format!(
                        "Too many failed logins from this address. Try again in {} minutes.",
                        retry_after.div_ceil(60)
                    ),
                )
                .retry_after(*retry_after);
            }
            ServiceError::SecondFactorRequired => (
                Code::InvalidInput,
                "Enter a current code: from your app, a recovery code, or the one we e-mailed you.".into(),
            ),
            ServiceError::Busy => {
                return Self::new(Code::ServerBusy, "Too many logins at once. Try again in a moment.").retry_after(1);
            }
            ServiceError::Database(cause) => {
                tracing::error!(error = %cause, "database error");
                return Self::internal();
            }
            ServiceError::Internal(cause) => {
                tracing::error!(error = %cause, "internal error");
                return Self::internal();
            }
        };
        Self::new(code, message)
    }
}

impl From<ValidationError> for ApiError {
    fn from(err: ValidationError) -> Self {
        Self::new(Code::InvalidInput, err.message)
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::new(
            Code::InvalidQuery,
            format!("The query string does not fit: {}", rejection.body_text()),
        )
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let status = rejection.status();
        let (code, message): (Code, Cow<'static, str>) = match &rejection {
            JsonRejection::MissingJsonContentType(_) => (
                Code::UnsupportedMediaType,
                "Send JSON, with Content-Type: application/json.".into(),
            ),
            JsonRejection::JsonSyntaxError(_) => (Code::MalformedJson, "The request body is not valid JSON.".into()),
            JsonRejection::JsonDataError(e) => (
                Code::InvalidJson,
                format!("The request body does not fit: {}", e.body_text()).into(),
            ),
            JsonRejection::BytesRejection(_) if status == StatusCode::PAYLOAD_TOO_LARGE => {
                (Code::PayloadTooLarge, "The request body is larger than 16 KiB.".into())
            }
            _ => (Code::BadRequest, "The request body could not be read.".into()),
        };
        Self::new(code, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message.into_owned(),
                retry_after: self.retry_after,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// "42 seconds", "15 minutes", "24 hours".
fn wait_in_words(seconds: u64) -> String {
    let (n, unit) = match seconds {
        0..120 => (seconds.max(1), "second"),
        120..7_200 => (seconds.div_ceil(60), "minute"),
        _ => (seconds.div_ceil(3_600), "hour"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}
