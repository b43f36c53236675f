use super::{RecoveryCode, ValidationError, is_control};

/// A one-time code as typed: exactly six ASCII digits once spaces are removed,
/// so "189 145" and "189145" are the same code.
#[derive(Clone, PartialEq, Eq)]
pub struct OtpCode(String);

/// The number of digits of every code Tessera issues or accepts.
pub const OTP_DIGITS: usize = 6;

const CODE_MESSAGE: &str = "Enter the 6-digit code (digits 0–9; spaces are fine).";

impl OtpCode {
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let digits: String = input.chars().filter(|c| *c != ' ').collect();
        if digits.is_empty() {
            return Err(ValidationError::new("code", "Enter the 6-digit code."));
        }
        if digits.len() != OTP_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValidationError::new("code", CODE_MESSAGE));
        }
        Ok(Self(digits))
    }

    /// While the user is still typing: refuses only what more typing cannot
    /// fix (a letter, a seventh digit), so "12" passes and "12a" does not.
    pub fn check_partial(input: &str) -> Result<(), ValidationError> {
        let mut digits = 0;
        for c in input.chars() {
            match c {
                ' ' => {}
                '0'..='9' => digits += 1,
                _ => return Err(ValidationError::new("code", CODE_MESSAGE)),
            }
        }
        if digits > OTP_DIGITS {
            return Err(ValidationError::new("code", CODE_MESSAGE));
        }
        Ok(())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for OtpCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OtpCode(******)")
    }
}

/// What the second login step accepts: a code from the app, or a recovery code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecondFactor {
    Totp(OtpCode),
    Recovery(RecoveryCode),
}

impl SecondFactor {
    /// Six digits are an app code; anything else must be a well-formed recovery code.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let trimmed = input.trim_matches(' ');
        if trimmed.is_empty() {
            return Err(ValidationError::new("code", "Enter the 6-digit code."));
        }
        if trimmed.chars().any(is_control) {
            return Err(ValidationError::new(
                "code",
                "The code contains characters that cannot be typed.",
            ));
        }
        if trimmed.chars().all(|c| c.is_ascii_digit() || c == ' ') {
            return OtpCode::parse(trimmed).map(Self::Totp);
        }
        RecoveryCode::parse(trimmed).map(Self::Recovery).map_err(|_| {
            ValidationError::new(
                "code",
                "Enter the 6-digit code from your app, or a recovery code like k7m2-q9xp-4hf3-t8wa.",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_digits_with_or_without_spaces_are_a_code() {
        assert_eq!(OtpCode::parse("189145").map(|c| c.0), Ok("189145".to_owned()));
        assert_eq!(OtpCode::parse("189 145").map(|c| c.0), Ok("189145".to_owned()));
        assert_eq!(OtpCode::parse(" 1 8 9 1 4 5 ").map(|c| c.0), Ok("189145".to_owned()));
    }

    #[test]
    fn anything_else_is_refused_with_a_readable_message() {
        for bad in [
            "",
            "   ",
            "12a",
            "12345",
            "1234567",
            "١٢٣٤٥٦",
            "１２３４５６",
            "12345\u{0}6",
            "12\t3456",
        ] {
            let err = OtpCode::parse(bad).expect_err(bad);
            assert_eq!(err.field, "code");
            assert!(err.message.starts_with("Enter"), "{bad:?}: {}", err.message);
        }
    }

    #[test]
    fn while_typing_only_hopeless_input_is_flagged() {
        for fine in ["", "1", "12", "189 14", "189145"] {
            assert_eq!(OtpCode::check_partial(fine), Ok(()), "{fine}");
        }
        for hopeless in ["12a", "1234567", "12-34", "x"] {
            assert!(OtpCode::check_partial(hopeless).is_err(), "{hopeless}");
        }
    }

    #[test]
    fn second_factor_tells_app_codes_from_recovery_codes() {
        assert!(matches!(SecondFactor::parse("189 145"), Ok(SecondFactor::Totp(_))));
        assert!(matches!(
            SecondFactor::parse("K7M2-Q9XP-4HF3-T8WA"),
            Ok(SecondFactor::Recovery(_))
        ));
        assert!(SecondFactor::parse("12a").is_err());
        assert!(SecondFactor::parse("1234\u{7}56").is_err());
        assert!(SecondFactor::parse("").is_err());
    }
}
