//! The API's one error type: a status, a stable code and a message, sent as
//! `{"error":{"code","message"}}`. Internal causes are logged, never sent.

use std::borrow::Cow;

use app::api::{ErrorBody, ErrorDetail};
use app::domain::ValidationError;
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::service::ServiceError;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: Cow<'static, str>,
    retry_after: Option<u64>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn not_logged_in() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "not_logged_in", "Log in first.")
    }

    pub fn no_pending_login() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "no_pending_login",
            "Your login has expired. Enter your password again.",
        )
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "There is no such resource.")
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "That method is not allowed here.",
        )
    }

    pub fn cross_origin() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "cross_origin_request",
            "Requests from other sites are refused.",
        )
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Something went wrong on our side. Please try again.",
        )
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> Self {
        use StatusCode as S;
        let (status, code, message): (StatusCode, &'static str, Cow<'static, str>) = match &err {
            ServiceError::Validation(v) => return v.clone().into(),
            ServiceError::InvalidCredentials => (
                S::UNAUTHORIZED,
                "invalid_credentials",
                "Wrong username or password.".into(),
            ),
            ServiceError::InvalidPassword => (
                S::UNAUTHORIZED,
                "invalid_password",
                "That password is not right.".into(),
            ),
            ServiceError::InvalidCode => (
                S::UNAUTHORIZED,
                "invalid_code",
                "That code is wrong or has already been used.".into(),
            ),
            ServiceError::TooManyAttempts { retry_after } => {
                let mut e = Self::new(
                    S::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    format!("Too many wrong codes. Try again in {retry_after} seconds."),
                );
                e.retry_after = Some(*retry_after);
                return e;
            }
            ServiceError::LoginExpired => (
                S::UNAUTHORIZED,
                "login_expired",
                "Too many wrong codes. Enter your password again.".into(),
            ),
            ServiceError::TotpAlreadyEnabled => (
                S::CONFLICT,
                "totp_already_enabled",
                "Two-factor authentication is already active.".into(),
            ),
            ServiceError::TotpNotEnabled => (
                S::CONFLICT,
                "totp_not_enabled",
                "Two-factor authentication is not active.".into(),
            ),
            ServiceError::NoPendingSetup => (
                S::CONFLICT,
                "no_pending_setup",
                "Start the set-up again: no QR code is waiting for its first code.".into(),
            ),
            ServiceError::UsernameTaken => (S::CONFLICT, "username_taken", "That username is taken.".into()),
            ServiceError::InvalidOwner(why) => (S::UNPROCESSABLE_ENTITY, "invalid_owner", (*why).into()),
            ServiceError::AccountNotFound => return Self::not_found(),
            ServiceError::Forbidden(why) => (S::FORBIDDEN, "forbidden", (*why).into()),
            ServiceError::ResendTooSoon { retry_after } => {
                let mut e = Self::new(
                    S::TOO_MANY_REQUESTS,
                    "resend_too_soon",
                    format!(
                        "A code was sent less than a minute ago and still works. You can ask for a new one in {retry_after} seconds."
                    ),
                );
                e.retry_after = Some(*retry_after);
                return e;
            }
            ServiceError::MailUnavailable => {
                let mut e = Self::new(
                    S::SERVICE_UNAVAILABLE,
                    "mail_unavailable",
                    "The code could not be sent: our mail server is not answering. Please try again in a moment.",
                );
                e.retry_after = Some(10);
                return e;
            }
            ServiceError::EmailCodesNotOffered => (
                S::CONFLICT,
                "email_codes_not_offered",
                "This login does not get its codes by e-mail.".into(),
            ),
            ServiceError::EmailCodeLogin => (
                S::CONFLICT,
                "email_code_login",
                "This login gets its codes by e-mail: log in with the two-step login, which sends you one.".into(),
            ),
            ServiceError::LinkNotFound => (
                S::NOT_FOUND,
                "link_not_found",
                "This link does not work: it was used already, has expired, or was copied incompletely.".into(),
            ),
            ServiceError::NotFlagged => (
                S::CONFLICT,
                "not_flagged",
                "Nobody has reported this login: there is nothing to dismiss.".into(),
            ),
            ServiceError::AppPasswordsNotOffered => (
                S::CONFLICT,
                "app_passwords_not_offered",
                "Only mailbox logins have app passwords.".into(),
            ),
            ServiceError::TooManyAppPasswords => (
                S::CONFLICT,
                "too_many_app_passwords",
                format!(
                    "A mailbox has at most {} app passwords: revoke one you no longer use first.",
                    crate::service::app_passwords::MAX_PER_LOGIN
                )
                .into(),
            ),
            ServiceError::AppPasswordNameTaken => (
                S::CONFLICT,
                "app_password_name_taken",
                "An app password of that name exists already: choose another name.".into(),
            ),
            ServiceError::AppPasswordNotFound => return Self::not_found(),
            ServiceError::AppPasswordExpired => (
                S::UNAUTHORIZED,
                "app_password_expired",
                "This app password has expired: create a new one.".into(),
            ),
            ServiceError::AppPasswordNotForProtocol(protocol) => (
                S::FORBIDDEN,
                "protocol_not_allowed",
                format!("This app password is not for {}: create one that is.", protocol.label()).into(),
            ),
            ServiceError::AppPasswordRequired { two_factor } => (
                S::UNAUTHORIZED,
                "app_password_required",
                if *two_factor {
                    "This mailbox has two-factor authentication: mail apps log in with an app password, \
                     not with the mailbox's password."
                } else {
                    "Mail apps log in with an app password here, not with the mailbox's password."
                }
                .into(),
            ),
            ServiceError::TooManyLoginFailures { retry_after } => {
                let mut e = Self::new(
                    S::TOO_MANY_REQUESTS,
                    "too_many_failures",
                    format!(
                        "Too many failed logins from this address. Try again in {} minutes.",
                        retry_after.div_ceil(60)
                    ),
                );
                e.retry_after = Some(*retry_after);
                return e;
            }
            ServiceError::SecondFactorRequired => (
                S::UNPROCESSABLE_ENTITY,
                "invalid_input",
                "Enter a current code: from your app, a recovery code, or the one we e-mailed you.".into(),
            ),
            ServiceError::Busy => {
                let mut e = Self::new(
                    S::SERVICE_UNAVAILABLE,
                    "server_busy",
                    "Too many logins at once. Try again in a moment.",
                );
                e.retry_after = Some(1);
                return e;
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
        Self::new(status, code, message)
    }
}

impl From<ValidationError> for ApiError {
    fn from(err: ValidationError) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", err.message)
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("The query string does not fit: {}", rejection.body_text()),
        )
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let status = rejection.status();
        let (code, message): (&'static str, Cow<'static, str>) = match &rejection {
            JsonRejection::MissingJsonContentType(_) => (
                "unsupported_media_type",
                "Send JSON, with Content-Type: application/json.".into(),
            ),
            JsonRejection::JsonSyntaxError(_) => ("malformed_json", "The request body is not valid JSON.".into()),
            JsonRejection::JsonDataError(e) => (
                "invalid_json",
                format!("The request body does not fit: {}", e.body_text()).into(),
            ),
            JsonRejection::BytesRejection(_) if status == StatusCode::PAYLOAD_TOO_LARGE => {
                ("payload_too_large", "The request body is larger than 16 KiB.".into())
            }
            _ => ("bad_request", "The request body could not be read.".into()),
        };
        Self::new(status, code, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message.into_owned(),
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        }
        response
    }
}
