//! App passwords: what a mail client logs in with once its mailbox has 2FA
//! (help page 002: "an Application Password if you want to use ActiveSync").
//!
//! Generated, never chosen: 24 Crockford base32 characters (120 bits), shown
//! in groups of four and accepted with or without the spaces or dashes.

use serde::{Deserialize, Serialize};

use super::{ValidationError, is_control, recovery_code};

/// Characters per app password: 24 × 5 bits = 120 bits.
pub const LEN: usize = 24;
/// The longest name of an app password, in characters.
pub const NAME_MAX_CHARS: usize = 64;
/// The longest an app password may be set to last.
pub const MAX_DAYS: u32 = 3650;

/// An app password in canonical form: 24 lower-case Crockford characters.
#[derive(Clone, PartialEq, Eq)]
pub struct AppPasswordSecret(String);

impl AppPasswordSecret {
    /// `input` as an app password, if it has the shape of one (case, spaces,
    /// dashes and the look-alikes i, l, o aside); `None` for anything else,
    /// which may still be a mailbox's own password.
    pub fn parse(input: &str) -> Option<Self> {
        recovery_code::canonical(input, LEN).map(Self)
    }

    /// A password from 24 random alphabet indices (each taken modulo 32).
    pub fn from_indices(indices: [u8; LEN]) -> Self {
        Self(recovery_code::from_indices(&indices))
    }

    /// The form that is hashed and stored, and that Copy puts on the clipboard.
    pub fn canonical(&self) -> &str {
        &self.0
    }

    /// The form shown once: `k7m2 q9xp 4hf3 t8wa 3jkd 9xp2`.
    pub fn display(&self) -> String {
        super::group_in_fours(&self.0)
    }
}

impl std::fmt::Debug for AppPasswordSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppPasswordSecret(****)")
    }
}

/// What an app password is called: the device or app it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppPasswordName(String);

impl AppPasswordName {
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let name = input.trim();
        if name.is_empty() {
            return Err(ValidationError::new(
                "name",
                "Name it after the device or app that will use it, like iPhone Mail.",
            ));
        }
        if name.chars().count() > NAME_MAX_CHARS {
            return Err(ValidationError::new("name", "A name has at most 64 characters."));
        }
        if name.chars().any(is_control) {
            return Err(ValidationError::new(
                "name",
                "A name cannot contain control characters.",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A way a mail client reaches a mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum MailProtocol {
    Imap,
    Pop3,
    /// Sending (submission).
    Smtp,
    /// Exchange ActiveSync, through a gateway such as z-push or SOGo.
    Activesync,
}

impl MailProtocol {
    pub const ALL: [Self; 4] = [Self::Imap, Self::Pop3, Self::Smtp, Self::Activesync];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Imap => "imap",
            Self::Pop3 => "pop3",
            Self::Smtp => "smtp",
            Self::Activesync => "activesync",
        }
    }

    /// The name mail clients use.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Imap => "IMAP",
            Self::Pop3 => "POP3",
            Self::Smtp => "SMTP",
            Self::Activesync => "ActiveSync",
        }
    }

    /// What it is for, in a user's words.
    pub const fn purpose(self) -> &'static str {
        match self {
            Self::Imap => "reading mail, kept on the server",
            Self::Pop3 => "downloading mail",
            Self::Smtp => "sending mail",
            Self::Activesync => "phones that sync mail, contacts and calendars",
        }
    }

    const fn bit(self) -> u8 {
        match self {
            Self::Imap => 1,
            Self::Pop3 => 2,
            Self::Smtp => 4,
            Self::Activesync => 8,
        }
    }
}

impl std::fmt::Display for MailProtocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for MailProtocol {
    type Err = ValidationError;

    /// As nginx's `Auth-Protocol` and the API name them, any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or(ValidationError::new(
                "protocol",
                "The protocol is one of imap, pop3, smtp and activesync.",
            ))
    }
}

/// The protocols one app password works for: at least one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailProtocols(u8);

impl MailProtocols {
    pub fn parse(protocols: &[MailProtocol]) -> Result<Self, ValidationError> {
        let bits = protocols.iter().fold(0, |bits, p| bits | p.bit());
        if bits == 0 {
            return Err(ValidationError::new(
                "protocols",
                "Choose at least one protocol the app password is for.",
            ));
        }
        Ok(Self(bits))
    }

    /// As stored: `imap,smtp`. Anything else is not a set of protocols.
    pub fn from_stored(stored: &str) -> Option<Self> {
        let protocols: Vec<MailProtocol> = stored.split(',').map(str::parse).collect::<Result<_, _>>().ok()?;
        Self::parse(&protocols).ok()
    }

    pub fn contains(self, protocol: MailProtocol) -> bool {
        self.0 & protocol.bit() != 0
    }

    /// In the order of [`MailProtocol::ALL`].
    pub fn to_vec(self) -> Vec<MailProtocol> {
        MailProtocol::ALL.into_iter().filter(|p| self.contains(*p)).collect()
    }

    pub fn to_stored(self) -> String {
        self.to_vec().iter().map(|p| p.as_str()).collect::<Vec<_>>().join(",")
    }
}

/// How many days a new app password works; `None`: until revoked.
pub fn parse_lifetime_days(days: Option<u32>) -> Result<Option<u32>, ValidationError> {
    match days {
        Some(d) if !(1..=MAX_DAYS).contains(&d) => Err(ValidationError::new(
            "expires_in_days",
            "An app password lasts 1 to 3650 days, or until it is revoked.",
        )),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_app_password_is_read_with_or_without_separators_in_any_case() {
        let secret = AppPasswordSecret::from_indices(core::array::from_fn(|i| i as u8 * 7));
        let shown = secret.display();
        assert_eq!(shown.len(), LEN + 5, "{shown}");
        for typed in [
            shown.clone(),
            shown.to_uppercase(),
            shown.replace(' ', ""),
            shown.replace(' ', "-"),
            format!("  {shown} "),
        ] {
            assert_eq!(AppPasswordSecret::parse(&typed), Some(secret.clone()), "{typed}");
        }
    }

    #[test]
    fn anything_else_is_not_an_app_password() {
        for typed in [
            "",
            "T9D3K!px",
            "correct horse battery staple",
            "k7m2 q9xp 4hf3 t8wa 3jkd 9xp",
            "k7m2 q9xp 4hf3 t8wa 3jkd 9xp2 z",
            "k7m2 q9xp 4hf3 t8wa 3jkd 9xpu",
        ] {
            assert_eq!(AppPasswordSecret::parse(typed), None, "{typed}");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            AppPasswordName::parse("  iPhone Mail ").map(|n| n.0),
            Ok("iPhone Mail".to_owned())
        );
        assert!(AppPasswordName::parse("   ").is_err());
        assert!(AppPasswordName::parse(&"x".repeat(65)).is_err());
        assert!(AppPasswordName::parse(&"ä".repeat(64)).is_ok());
        assert!(AppPasswordName::parse("tab\there").is_err());
    }

    #[test]
    fn protocols_round_trip_through_their_stored_form() {
        let set = MailProtocols::parse(&[MailProtocol::Smtp, MailProtocol::Imap, MailProtocol::Imap]);
        assert_eq!(set.clone().map(MailProtocols::to_stored), Ok("imap,smtp".to_owned()));
        assert_eq!(MailProtocols::from_stored("imap,smtp"), set.ok());
        assert!(MailProtocols::parse(&[]).is_err());
        assert_eq!(MailProtocols::from_stored(""), None);
        assert_eq!(MailProtocols::from_stored("imap,gopher"), None);
        assert_eq!("IMAP".parse::<MailProtocol>(), Ok(MailProtocol::Imap));
        assert_eq!(
            serde_json::to_value(MailProtocol::Activesync).ok(),
            Some(serde_json::json!("activesync"))
        );
    }

    #[test]
    fn a_lifetime_is_one_day_to_ten_years() {
        assert_eq!(parse_lifetime_days(None), Ok(None));
        assert_eq!(parse_lifetime_days(Some(1)), Ok(Some(1)));
        assert_eq!(parse_lifetime_days(Some(MAX_DAYS)), Ok(Some(MAX_DAYS)));
        assert!(parse_lifetime_days(Some(0)).is_err());
        assert!(parse_lifetime_days(Some(MAX_DAYS + 1)).is_err());
    }
}
