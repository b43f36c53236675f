//! The REST API's wire types (`/api/v1`), shared by the server's handlers and
//! the browser's client so both sides agree on one contract.
//!
//! Requests refuse unknown fields: a typo in a client is an error, not a
//! silently ignored value.

use serde::{Deserialize, Serialize};

use crate::domain::{AccountKind, MailProtocol, SecurityEventKind};

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
    pub code: ErrorCode,
    /// For people; may change between versions.
    pub message: String,
    /// Seconds to wait before trying again (also sent as `Retry-After`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

/// Every error the API answers, by its stable code. The variant fixes the
/// HTTP status ([`ErrorCode::status`]), so no handler can pair a code with
/// another status, and the browser's client matches on variants, not strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // 400, 413, 415, 422: the request itself.
    BadRequest,
    MalformedJson,
    InvalidQuery,
    PayloadTooLarge,
    UnsupportedMediaType,
    InvalidJson,
    InvalidInput,
    InvalidOwner,
    // 401: who is asking.
    NotLoggedIn,
    NoPendingLogin,
    LoginExpired,
    InvalidCredentials,
    InvalidPassword,
    InvalidCode,
    /// An e-mailed code that a newer one replaced.
    SupersededCode,
    AppPasswordExpired,
    AppPasswordRequired,
    // 403, 404, 405
    Forbidden,
    CrossOriginRequest,
    ProtocolNotAllowed,
    NotFound,
    LinkNotFound,
    MethodNotAllowed,
    // 409: the state does not allow it.
    TotpAlreadyEnabled,
    TotpNotEnabled,
    NoPendingSetup,
    UsernameTaken,
    EmailCodesNotOffered,
    EmailCodeLogin,
    NoContactAddress,
    NotFlagged,
    AppPasswordsNotOffered,
    TooManyAppPasswords,
    AppPasswordNameTaken,
    // 429, 503: not now.
    TooManyAttempts,
    TooManyFailures,
    ResendTooSoon,
    MailUnavailable,
    ServerBusy,
    // 500
    InternalError,
    /// A code this client does not know (a newer server); never sent.
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    pub const fn status(self) -> u16 {
        match self {
            Self::BadRequest | Self::MalformedJson | Self::InvalidQuery => 400,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::InvalidJson | Self::InvalidInput | Self::InvalidOwner => 422,
            Self::NotLoggedIn
            | Self::NoPendingLogin
            | Self::LoginExpired
            | Self::InvalidCredentials
            | Self::InvalidPassword
            | Self::InvalidCode
            | Self::SupersededCode
            | Self::AppPasswordExpired
            | Self::AppPasswordRequired => 401,
            Self::Forbidden | Self::CrossOriginRequest | Self::ProtocolNotAllowed => 403,
            Self::NotFound | Self::LinkNotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::TotpAlreadyEnabled
            | Self::TotpNotEnabled
            | Self::NoPendingSetup
            | Self::UsernameTaken
            | Self::EmailCodesNotOffered
            | Self::EmailCodeLogin
            | Self::NoContactAddress
            | Self::NotFlagged
            | Self::AppPasswordsNotOffered
            | Self::TooManyAppPasswords
            | Self::AppPasswordNameTaken => 409,
            Self::TooManyAttempts | Self::TooManyFailures | Self::ResendTooSoon => 429,
            Self::MailUnavailable | Self::ServerBusy => 503,
            Self::InternalError | Self::Unknown => 500,
        }
    }

    /// The pending login is gone: only the password can start a new one.
    pub const fn ends_login(self) -> bool {
        matches!(self, Self::LoginExpired | Self::NoPendingLogin)
    }
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
    /// A 6-digit code e-mailed on request (`POST /api/v1/login/mfa/email`).
    Email,
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

/// Where a login form stands after the browser posted it itself (before the
/// WebAssembly was live, or without it): the query of the login page the
/// server sends it back to with a 303, which the page reads on both sides.
/// `/?mfa=app` asks for the code, `/webmail?error=invalid_credentials&username=…`
/// says what went wrong. Only codes travel, never words, so a link cannot
/// make a login page say what its sender likes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostedLogin {
    /// The code step comes next, with this factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa: Option<ActiveFactor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorCode>,
    /// What was typed in the username field, kept after a refusal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The page to go on to, as the login page was given it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

impl PostedLogin {
    /// Reads a login page's query; anything else in it, or a value that is
    /// not one of ours, leaves the form as if nothing was posted.
    pub fn from_query(query: &str) -> Self {
        serde_urlencoded::from_str(query.trim_start_matches('?')).unwrap_or_default()
    }

    /// `login` with this state as its query.
    pub fn url(&self, login: &str) -> String {
        match serde_urlencoded::to_string(self) {
            Ok(query) if !query.is_empty() => format!("{login}?{query}"),
            _ => login.to_owned(),
        }
    }

    /// The refusal in words. The JSON answers say the same, with figures
    /// where they have them ("in 42 seconds").
    pub fn message(&self) -> Option<&'static str> {
        Some(match self.error? {
            ErrorCode::InvalidCredentials => "Wrong username or password.",
            ErrorCode::InvalidCode => "That code is wrong or has already been used.",
            ErrorCode::SupersededCode => "A newer code was sent: use the latest e-mail.",
            ErrorCode::InvalidInput if self.mfa.is_some() => {
                "Enter a current code: from your app, a recovery code, or the one we e-mailed you."
            }
            ErrorCode::InvalidInput => "Fill in both fields.",
            ErrorCode::LoginExpired | ErrorCode::NoPendingLogin => "Your login has expired. Enter your password again.",
            ErrorCode::TooManyAttempts if self.mfa.is_none() => {
                "Too many failed logins. Wait a little, then try again."
            }
            ErrorCode::TooManyAttempts => "Too many wrong codes. Wait a minute, then try the code your app shows.",
            ErrorCode::TooManyFailures => "Too many failed logins from this address. Try again in a few minutes.",
            ErrorCode::ServerBusy => "Too many logins at once. Try again in a moment.",
            ErrorCode::MailUnavailable => "The code could not be e-mailed just now: ask for a new one.",
            ErrorCode::ResendTooSoon => "A code was e-mailed to you less than a minute ago and still works.",
            ErrorCode::EmailCodeLogin => {
                "This login gets its codes by e-mail: log in with the two-step login, which sends you one."
            }
            // Not a code of ours: someone else's link.
            ErrorCode::Unknown => return None,
            _ => "The login did not go through. Please try again.",
        })
    }
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
    /// This session logged in with a recovery code, and the app has not moved
    /// to a new phone since: the page offers to move it.
    #[serde(default)]
    pub via_recovery_code: bool,
    /// How long this session lasts, for the page to warn before it ends.
    #[serde(default)]
    pub session: SessionTimes,
}

/// A new password for the logged-in login.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    /// A current code (app, recovery or e-mailed) when the login has 2FA.
    #[serde(default)]
    pub code: Option<String>,
    /// At least 8 characters.
    pub new_password: String,
}

/// When a session ends: `idle_timeout` seconds after its last request, and
/// at `expires_at` (Unix seconds) whatever happens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct SessionTimes {
    pub idle_timeout: u64,
    pub expires_at: i64,
}

/// One of a login's sessions, as its owner sees it in My Account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct SessionInfo {
    /// Names the session for `DELETE /api/v1/me/sessions/{session_id}`.
    pub id: String,
    /// When it logged in (Unix seconds).
    pub created_at: i64,
    /// Its last request, to the minute.
    pub last_seen_at: i64,
    pub ip: Option<String>,
    /// The browser in words: `Firefox 128 on Windows 10`.
    pub device: Option<String>,
    /// The browser asking.
    pub current: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct SessionList {
    /// Most recently used first.
    pub sessions: Vec<SessionInfo>,
    pub idle_timeout: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct SessionsEnded {
    pub ended: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct MfaStatus {
    /// What the next login asks for after the password.
    pub active: ActiveFactor,
    pub totp: TotpStatus,
    /// Where e-mailed codes and security notices go.
    pub contact_email: Option<String>,
    /// E-mailed codes are this login's second factor whenever the app is not.
    pub email_codes: bool,
    /// Seconds an e-mailed code is valid.
    pub email_code_valid_for: u64,
    pub recovery_codes_left: u32,
}

/// The second factor a login uses now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActiveFactor {
    /// The password alone.
    None,
    /// A 6-digit code e-mailed at each login, valid 15 minutes.
    Email,
    /// A code from an authenticator app (TOTP), or a recovery code.
    App,
}

impl ActiveFactor {
    /// What the code step takes for this factor.
    pub fn methods(self) -> Vec<MfaMethod> {
        match self {
            Self::App => vec![MfaMethod::Totp, MfaMethod::RecoveryCode],
            Self::Email => vec![MfaMethod::Email],
            Self::None => Vec::new(),
        }
    }
}

/// `POST /api/v1/login/mfa/email`: a code is on its way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct EmailCodeSent {
    /// The address, mostly hidden: `c•••••@example.com`.
    pub sent_to: String,
    /// Seconds the code is valid.
    pub valid_for: u64,
    /// Seconds before another code may be asked for.
    pub resend_after: u64,
}

/// The token from a notice's "This wasn't me" link.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NotMeRequest {
    pub token: String,
}

/// "This wasn't me" about one of one's own security events.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EventNotMeRequest {
    pub event_id: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct NotMeResponse {
    /// The login that was secured.
    pub username: String,
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

/// `POST /api/v1/accounts/{id}/mfa/setup-link`: the link is on its way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct SetupLinkSent {
    /// The login's contact address, mostly hidden.
    pub sent_to: String,
    /// Seconds the link works.
    pub valid_for: u64,
}

/// The first step from a set-up link: its token and the login's password.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetupLinkStartRequest {
    pub token: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct SetupLinkStarted {
    /// The login the link sets up.
    pub username: String,
    pub setup: TotpSetupResponse,
}

/// The second step: the token and the first code from the app.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetupLinkActivateRequest {
    pub token: String,
    pub code: String,
}

/// A fresh set of recovery codes, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct RecoveryCodesResponse {
    /// The login they belong to.
    pub username: String,
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

/// The User Panel's one-step login: with 2FA on, the current 6-digit code
/// (or a recovery code, with its dashes) follows the password directly.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CombinedLoginRequest {
    pub username: String,
    /// `T9D3K!px` + `189 145` → `T9D3K!px189145`; the password alone when 2FA is off.
    pub password_and_code: String,
}

/// Where a login's second factor stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MfaState {
    /// Password only.
    Off,
    /// A QR code was shown; no code from it has been verified yet.
    Pending,
    /// Logging in needs a code sent by e-mail.
    Email,
    /// Logging in needs a code from the authenticator app.
    On,
}

impl MfaState {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Pending => "pending",
            Self::Email => "email",
            Self::On => "on",
        }
    }
}

/// A login as an administrator or its customer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct AccountSummary {
    pub id: i32,
    pub username: String,
    pub kind: AccountKind,
    /// The customer a package or mailbox login belongs to.
    pub owner: Option<String>,
    pub mfa: MfaState,
    pub contact_email: Option<String>,
    /// How many app passwords a mailbox login has (0 for other kinds).
    pub app_passwords: u32,
    /// When its user reported a notice as "This wasn't me" (Unix seconds).
    pub flagged_at: Option<i64>,
    /// Unix seconds.
    pub last_login_at: Option<i64>,
    /// Unix seconds.
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct AccountList {
    pub accounts: Vec<AccountSummary>,
    /// More logins matched than were sent: narrow the search.
    pub truncated: bool,
}

/// `GET /api/v1/accounts`: every filter is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct AccountFilter {
    /// Part of the username, any case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<AccountKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa: Option<MfaState>,
}

/// One entry of the security log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct SecurityEvent {
    pub id: i32,
    /// Unix seconds.
    pub at: i64,
    pub event: SecurityEventKind,
    /// The login it concerns (for a failed login, the name that was typed).
    pub account: Option<String>,
    /// Who did it, when not the login itself: a customer, an administrator, the CLI.
    pub actor: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The user agent in words: `Firefox 128 on Windows 10`.
    #[serde(default)]
    pub device: Option<String>,
    /// What it was about beyond its kind, e.g. the app password's name.
    #[serde(default)]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct SecurityEventList {
    /// Newest first.
    pub events: Vec<SecurityEvent>,
    /// Older events match too: ask again with `before` the last id.
    #[serde(default)]
    pub more: bool,
}

/// `GET /api/v1/me/events`: paging by id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct MyEventsFilter {
    /// Only events older than this id (the next page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<i32>,
}

/// `GET /api/v1/audit`: filters, and paging by id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct AuditFilter {
    /// The login's username, exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<SecurityEventKind>,
    /// Only events older than this id (the next page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<i32>,
    /// 1–500; 100 when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// `POST /api/v1/me/app-passwords` (and `/accounts/{id}/app-passwords`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAppPasswordRequest {
    /// The device or app it is for: `iPhone Mail`.
    pub name: String,
    /// At least one.
    pub protocols: Vec<MailProtocol>,
    /// 1–3650; left out: until revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_days: Option<u32>,
    /// The current password: the mailbox's own, or (for one's mailboxes)
    /// the customer's.
    pub password: String,
    /// A current second factor when the mailbox has 2FA (its own app
    /// passwords only): an app code, a recovery code or an e-mailed code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// An app password as listed; its secret is never shown again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct AppPasswordSummary {
    pub id: i32,
    pub name: String,
    pub protocols: Vec<MailProtocol>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; `None`: until revoked.
    pub expires_at: Option<i64>,
    /// Past `expires_at`: it opens nothing and takes no place among the 20.
    pub expired: bool,
    /// Its last use, to the minute.
    pub last_used: Option<AppPasswordUse>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct AppPasswordUse {
    /// Unix seconds.
    pub at: i64,
    pub protocol: MailProtocol,
    /// The mail client's address.
    pub ip: Option<String>,
}

/// A mailbox's app passwords, and what a mail client needs to know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct AppPasswordList {
    /// Newest first.
    pub app_passwords: Vec<AppPasswordSummary>,
    /// How many one mailbox may have.
    pub max: u32,
    /// Whether mail clients must use one: the mailbox's own password is
    /// refused on IMAP, POP3 and SMTP (it has 2FA, or the server says so).
    pub required: bool,
    pub settings: MailClientSettings,
}

/// A new app password: its secret, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct AppPasswordCreated {
    pub app_password: AppPasswordSummary,
    /// In groups of four: `k7m2 q9xp 4hf3 t8wa 3jkd 9xp2` (spaces optional).
    pub password: String,
    pub settings: MailClientSettings,
}

/// The server settings a mail client asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct MailClientSettings {
    /// The user name to enter: the mailbox's address.
    pub username: String,
    /// Incoming and outgoing servers, as the provider configured them.
    pub servers: Vec<MailServer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct MailServer {
    pub protocol: MailProtocol,
    pub host: String,
    pub port: u16,
    pub security: MailSecurity,
}

/// How a mail client secures its connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum MailSecurity {
    /// SSL/TLS from the first byte (993, 995, 465).
    Tls,
    /// STARTTLS (143, 110, 587).
    Starttls,
    /// None: only on a trusted network.
    None,
}

impl MailSecurity {
    /// As mail clients' settings call it.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Tls => "SSL/TLS",
            Self::Starttls => "STARTTLS",
            Self::None => "no encryption",
        }
    }
}

/// `POST /api/v1/mail/auth`: the check nginx's mail proxy makes, for
/// gateways that cannot speak through it (ActiveSync: z-push, SOGo).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MailAuthRequest {
    /// The mailbox's address.
    pub username: String,
    /// An app password, or the mailbox's own password where that is allowed.
    pub password: String,
    pub protocol: MailProtocol,
    /// The mail client's address (throttling, last use, notices).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct MailAuthResponse {
    pub username: String,
    /// The name of the app password that was used; `None`: the mailbox's
    /// own password (a mailbox without 2FA).
    pub app_password: Option<String>,
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
    fn a_posted_login_travels_in_the_query() {
        let posted = PostedLogin {
            mfa: Some(ActiveFactor::App),
            error: Some(ErrorCode::InvalidCode),
            username: Some("info@example.com".to_owned()),
            next: Some("/webmail/account?tab=mfa".to_owned()),
        };
        let url = posted.url("/webmail");
        assert_eq!(
            url,
            "/webmail?mfa=app&error=invalid_code&username=info%40example.com&next=%2Fwebmail%2Faccount%3Ftab%3Dmfa"
        );
        assert_eq!(PostedLogin::from_query(url.trim_start_matches("/webmail")), posted);
        assert_eq!(PostedLogin::default().url("/"), "/");
    }

    #[test]
    fn a_foreign_query_posts_nothing() {
        for query in ["?mfa=sms", "?error=You+won", "?mfa=app&mfa=email", "?%zz"] {
            assert_eq!(PostedLogin::from_query(query).message(), None, "{query}");
        }
        assert_eq!(PostedLogin::from_query("?utm_source=mail"), PostedLogin::default());
    }

    #[test]
    fn requests_refuse_unknown_fields() {
        let parsed = serde_json::from_str::<LoginRequest>(r#"{"username":"a","password":"b","admin":true}"#);
        assert!(parsed.is_err());
    }
}
