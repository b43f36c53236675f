use serde::{Deserialize, Serialize};

use super::ValidationError;

/// What the security log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SecurityEventKind {
    LoginSucceeded,
    LoginFailed,
    CodeFailed,
    /// A wrong code while setting up the app: a typo, not an attack.
    SetupCodeFailed,
    Throttled,
    MfaEnabled,
    MfaDisabled,
    /// The app's secret was replaced by one on a new phone.
    AppMoved,
    MfaResetByAdmin,
    MfaResetByOwner,
    RecoveryCodeUsed,
    RecoveryCodesRegenerated,
    EmailCodeSent,
    SecondStepFailed,
    ReportedNotMe,
    ReportDismissed,
    AppPasswordCreated,
    AppPasswordRevoked,
    /// An app password logged in from an address it had not come from before.
    AppPasswordNewAddress,
    /// A customer e-mailed a login a link to set up its app.
    SetupLinkSent,
    /// A wrong password beyond the free ones: further attempts are slowed.
    PasswordThrottled,
    PasswordChanged,
}

impl SecurityEventKind {
    pub const ALL: [Self; 22] = [
        Self::LoginSucceeded,
        Self::LoginFailed,
        Self::CodeFailed,
        Self::SetupCodeFailed,
        Self::Throttled,
        Self::MfaEnabled,
        Self::MfaDisabled,
        Self::AppMoved,
        Self::MfaResetByAdmin,
        Self::MfaResetByOwner,
        Self::RecoveryCodeUsed,
        Self::RecoveryCodesRegenerated,
        Self::EmailCodeSent,
        Self::SecondStepFailed,
        Self::ReportedNotMe,
        Self::ReportDismissed,
        Self::AppPasswordCreated,
        Self::AppPasswordRevoked,
        Self::AppPasswordNewAddress,
        Self::SetupLinkSent,
        Self::PasswordThrottled,
        Self::PasswordChanged,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::LoginSucceeded => "login_succeeded",
            Self::LoginFailed => "login_failed",
            Self::CodeFailed => "code_failed",
            Self::SetupCodeFailed => "setup_code_failed",
            Self::Throttled => "throttled",
            Self::MfaEnabled => "mfa_enabled",
            Self::MfaDisabled => "mfa_disabled",
            Self::AppMoved => "app_moved",
            Self::MfaResetByAdmin => "mfa_reset_by_admin",
            Self::MfaResetByOwner => "mfa_reset_by_owner",
            Self::RecoveryCodeUsed => "recovery_code_used",
            Self::RecoveryCodesRegenerated => "recovery_codes_regenerated",
            Self::EmailCodeSent => "email_code_sent",
            Self::SecondStepFailed => "second_step_failed",
            Self::ReportedNotMe => "reported_not_me",
            Self::ReportDismissed => "report_dismissed",
            Self::AppPasswordCreated => "app_password_created",
            Self::AppPasswordRevoked => "app_password_revoked",
            Self::AppPasswordNewAddress => "app_password_new_address",
            Self::SetupLinkSent => "setup_link_sent",
            Self::PasswordThrottled => "password_throttled",
            Self::PasswordChanged => "password_changed",
        }
    }

    /// The wording a user sees in the log.
    pub const fn label(self) -> &'static str {
        match self {
            Self::LoginSucceeded => "Logged in",
            Self::LoginFailed => "Login failed (wrong password)",
            Self::CodeFailed => "Wrong or reused code",
            Self::SetupCodeFailed => "Code mistyped while setting up the app",
            Self::Throttled => "Attempt refused: too many wrong codes",
            Self::MfaEnabled => "2FA enabled",
            Self::MfaDisabled => "2FA disabled",
            Self::AppMoved => "Authenticator app moved to a new phone",
            Self::MfaResetByAdmin => "2FA switched off by an administrator",
            Self::MfaResetByOwner => "2FA switched off by the customer",
            Self::RecoveryCodeUsed => "Recovery code used",
            Self::RecoveryCodesRegenerated => "New recovery codes",
            Self::EmailCodeSent => "Login code sent by e-mail",
            Self::SecondStepFailed => "Login ended: 5 wrong codes after the right password",
            Self::ReportedNotMe => "Reported \u{201c}This wasn't me\u{201d}",
            Self::ReportDismissed => "Report dismissed",
            Self::AppPasswordCreated => "App password created",
            Self::AppPasswordRevoked => "App password revoked",
            Self::AppPasswordNewAddress => "App password used from a new address",
            Self::SetupLinkSent => "Set-up link e-mailed",
            Self::PasswordThrottled => "Password attempts slowed down",
            Self::PasswordChanged => "Password changed",
        }
    }

    /// Whether the event is a warning sign rather than routine.
    pub const fn is_alarming(self) -> bool {
        matches!(
            self,
            Self::LoginFailed
                | Self::CodeFailed
                | Self::Throttled
                | Self::MfaResetByAdmin
                | Self::MfaResetByOwner
                | Self::SecondStepFailed
                | Self::ReportedNotMe
                | Self::PasswordThrottled
        )
    }
}

impl std::fmt::Display for SecurityEventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for SecurityEventKind {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or(ValidationError::new(
                "event",
                "There is no security event of that name.",
            ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_round_trips_through_its_name_and_serde() {
        for kind in SecurityEventKind::ALL {
            assert_eq!(kind.as_str().parse::<SecurityEventKind>(), Ok(kind));
            assert_eq!(
                serde_json::to_value(kind).ok(),
                Some(serde_json::Value::String(kind.as_str().to_owned()))
            );
        }
        assert!("logged_in".parse::<SecurityEventKind>().is_err());
    }
}
