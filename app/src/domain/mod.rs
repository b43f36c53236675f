//! The rules shared by browser and server: parsing user input into types that
//! can only hold valid values ("parse, don't validate").
//!
//! Nothing here imports Leptos or reads the clock, so the same functions give
//! the immediate inline message in the browser (wasm32) and the authoritative
//! answer on the server.

mod account_kind;
mod app_password;
mod appended_code;
mod code;
mod email;
mod password;
mod recovery_code;
mod return_to;
mod security_event;
mod time;
mod username;

pub use account_kind::AccountKind;
pub use app_password::{AppPasswordName, AppPasswordSecret, MailProtocol, MailProtocols, parse_lifetime_days};
pub use appended_code::split_appended_code;
pub use code::{OtpCode, SecondFactor};
pub use email::{EmailAddress, mask as mask_email};
pub use password::{NewPassword, Password};
pub use recovery_code::RecoveryCode;
pub use return_to::{login_leading_to, return_path};
pub use security_event::SecurityEventKind;
pub use time::{format_duration, format_utc};
pub use username::Username;

/// Why a piece of user input was refused, in words fit to show the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ValidationError {
    /// The input it concerns, as named in the API (`"code"`, `"username"`, ...).
    pub field: &'static str,
    pub message: &'static str,
}

impl ValidationError {
    pub(crate) const fn new(field: &'static str, message: &'static str) -> Self {
        Self { field, message }
    }
}

/// A TOTP secret in groups of four, for typing into an app by hand:
/// `JBSW Y3DP EHPK 3PXP`.
pub fn group_in_fours(secret: &str) -> String {
    grouped(secret, ' ')
}

/// `s` in groups of four characters joined by `separator`.
fn grouped(s: &str, separator: char) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 4);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push(separator);
        }
        out.push(c);
    }
    out
}

/// True for characters no human types into a login form.
fn is_control(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_grouped_in_fours() {
        assert_eq!(group_in_fours("JBSWY3DPEHPK3PXP"), "JBSW Y3DP EHPK 3PXP");
        assert_eq!(group_in_fours("ABCDEFGHIJ"), "ABCD EFGH IJ");
        assert_eq!(group_in_fours(""), "");
    }
}
