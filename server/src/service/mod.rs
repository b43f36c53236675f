//! The rules. Functions here take a database handle, parsed domain values and
//! `now`, and know nothing of HTTP.

pub mod accounts;
pub mod app_passwords;
pub mod audit;
pub mod device;
pub mod email_codes;
pub mod guessing;
pub mod housekeeping;
pub mod keys;
pub mod login;
pub mod mail;
pub mod mail_auth;
pub mod mfa;
pub mod notices;
pub mod password;
pub mod password_change;
pub mod sealed;
pub mod sessions;
pub mod setup_links;
pub mod totp;

use app::domain::{MailProtocol, ValidationError};

pub use password::PasswordHasher;

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// Everything a rule can refuse, plus the failures that are nobody's fault
/// but ours (`Database`, `Internal`), which are logged and never shown.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Validation(#[from] ValidationError),
    #[error("wrong username or password")]
    InvalidCredentials,
    #[error("wrong password")]
    InvalidPassword,
    #[error("wrong or already used code")]
    InvalidCode,
    #[error("an e-mailed code that a newer one replaced")]
    SupersededCode,
    #[error("no such event in the login's own log")]
    EventNotFound,
    #[error("the login has no contact address")]
    NoContactAddress,
    #[error("too many wrong codes; retry in {retry_after} s")]
    TooManyAttempts { retry_after: u64 },
    #[error("the pending login ended: too many wrong codes")]
    LoginExpired,
    #[error("no login is waiting for its code")]
    NoPendingLogin,
    #[error("two-factor authentication is already on")]
    TotpAlreadyEnabled,
    #[error("two-factor authentication is off")]
    TotpNotEnabled,
    #[error("no set-up is waiting for its first code")]
    NoPendingSetup,
    #[error("username taken")]
    UsernameTaken,
    #[error("{0}")]
    InvalidOwner(&'static str),
    #[error("no such account")]
    AccountNotFound,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("a code was sent less than a minute ago; retry in {retry_after} s")]
    ResendTooSoon { retry_after: u64 },
    #[error("the mail server did not take the mail")]
    MailUnavailable,
    #[error("this login does not use e-mailed codes")]
    EmailCodesNotOffered,
    #[error("this login gets its codes by e-mail: the one-step login cannot ask for one")]
    EmailCodeLogin,
    #[error("no such link, or used, or expired")]
    LinkNotFound,
    #[error("the login is not flagged")]
    NotFlagged,
    #[error("only mailbox logins have app passwords")]
    AppPasswordsNotOffered,
    #[error("the login has the most app passwords it may have")]
    TooManyAppPasswords,
    #[error("the login has an app password of that name")]
    AppPasswordNameTaken,
    #[error("no such app password")]
    AppPasswordNotFound,
    #[error("the app password has expired")]
    AppPasswordExpired,
    #[error("the app password is not for {0}")]
    AppPasswordNotForProtocol(MailProtocol),
    #[error("mail clients log in with app passwords here (2FA: {two_factor})")]
    AppPasswordRequired { two_factor: bool },
    #[error("too many failed mail logins from one address; retry in {retry_after} s")]
    TooManyLoginFailures { retry_after: u64 },
    #[error("the new password is the current one")]
    SamePassword,
    /// Too many wrong passwords for this username (or from this address):
    /// see [`guessing`].
    #[error("too many failed logins; retry in {retry_after} s")]
    PasswordThrottled { retry_after: u64 },
    #[error("a current second factor is needed")]
    SecondFactorRequired,
    #[error("busy: too many password checks in flight")]
    Busy,
    #[error("database")]
    Database(#[from] sea_orm::DbErr),
    #[error("{0}")]
    Internal(String),
}

impl ServiceError {
    pub fn internal(cause: impl Into<String>) -> Self {
        Self::Internal(cause.into())
    }
}

/// Fills `buf` from the operating system's CSPRNG.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| ServiceError::internal(format!("getrandom: {e}")))?;
    Ok(buf)
}

/// SHA-256, hex: how tokens and recovery codes are stored.
pub(crate) fn sha256_hex(parts: &[&[u8]]) -> String {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hex::encode(hasher.finalize())
}
