use super::{ValidationError, is_control};

/// The longest password accepted, in bytes: enough for any passphrase, short
/// enough that nobody can make the server hash megabytes.
pub const MAX_BYTES: usize = 1024;
/// The shortest password a new account may get (NIST SP 800-63B: at least 8).
pub const MIN_CHARS: usize = 8;

/// A password presented at login or to confirm a change. Checked only for
/// presence and size: the stored hash decides whether it is right.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        if input.is_empty() {
            return Err(ValidationError::new("password", "Enter your password."));
        }
        if input.len() > MAX_BYTES {
            return Err(ValidationError::new("password", "A password has at most 1024 bytes."));
        }
        Ok(Self(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(****)")
    }
}

/// A password chosen for a new account: 8–1024 bytes, no control characters.
#[derive(Clone)]
pub struct NewPassword(Password);

impl NewPassword {
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let password = Password::parse(input)?;
        if input.chars().count() < MIN_CHARS {
            return Err(ValidationError::new(
                "password",
                "A password has at least 8 characters.",
            ));
        }
        if input.chars().any(is_control) {
            return Err(ValidationError::new(
                "password",
                "A password cannot contain control characters.",
            ));
        }
        Ok(Self(password))
    }

    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(****)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_passwords_need_only_be_present_and_bounded() {
        assert!(Password::parse("x").is_ok());
        assert!(Password::parse("").is_err());
        assert!(Password::parse(&"x".repeat(MAX_BYTES + 1)).is_err());
    }

    #[test]
    fn new_passwords_have_eight_characters_and_no_controls() {
        assert!(NewPassword::parse("T9D3K!px").is_ok());
        assert!(NewPassword::parse("passphrase with spaces").is_ok());
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse("tab\tinside-it").is_err());
    }
}
