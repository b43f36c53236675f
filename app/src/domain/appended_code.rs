//! The User Panel's login: the current code typed straight after the password
//! (`T9D3K!px` + `189 145` → `T9D3K!px189145`).

use super::{OtpCode, RecoveryCode, SecondFactor};

/// A recovery code as shown, `k7m2-q9xp-4hf3-t8wa`: 16 characters and 3 dashes.
const RECOVERY_DISPLAY_LEN: usize = 19;

/// Splits what was typed into the password and the code appended to it, for a
/// login that has 2FA on; `None` when no code can be at the end.
///
/// A recovery code counts only in its shown form, with dashes
/// (`password` + `k7m2-q9xp-4hf3-t8wa`); otherwise the last six characters must
/// be digits. The password part must not be empty.
pub fn split_appended_code(input: &str) -> Option<(&str, SecondFactor)> {
    if let Some(split) = input.len().checked_sub(RECOVERY_DISPLAY_LEN)
        && split > 0
        && input.is_char_boundary(split)
    {
        let (password, tail) = input.split_at(split);
        if tail.as_bytes().get(4) == Some(&b'-')
            && let Ok(code) = RecoveryCode::parse(tail)
        {
            return Some((password, SecondFactor::Recovery(code)));
        }
    }
    let split = input.len().checked_sub(super::code::OTP_DIGITS).filter(|s| *s > 0)?;
    if !input.is_char_boundary(split) {
        return None;
    }
    let (password, digits) = input.split_at(split);
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    OtpCode::parse(digits)
        .ok()
        .map(|code| (password, SecondFactor::Totp(code)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(input: &str) -> Option<(&str, String)> {
        split_appended_code(input).map(|(p, f)| {
            let code = match f {
                SecondFactor::Totp(c) => c.as_str().to_owned(),
                SecondFactor::Recovery(c) => c.display(),
            };
            (p, code)
        })
    }

    #[test]
    fn the_help_page_example_splits_into_password_and_code() {
        assert_eq!(split("T9D3K!px189145"), Some(("T9D3K!px", "189145".to_owned())));
    }

    #[test]
    fn a_password_that_ends_in_digits_keeps_its_digits() {
        assert_eq!(split("summer2024123456"), Some(("summer2024", "123456".to_owned())));
    }

    #[test]
    fn a_recovery_code_with_dashes_may_be_appended() {
        assert_eq!(
            split("T9D3K!pxk7m2-q9xp-4hf3-t8wa"),
            Some(("T9D3K!px", "k7m2-q9xp-4hf3-t8wa".to_owned()))
        );
    }

    #[test]
    fn no_code_or_no_password_is_no_split() {
        for input in [
            "T9D3K!px",
            "189145",
            "T9D3K!px18914",
            "T9D3K!px18914a",
            "",
            "k7m2-q9xp-4hf3-t8wa",
        ] {
            assert_eq!(split(input), None, "{input:?}");
        }
    }

    #[test]
    fn multi_byte_characters_before_the_code_are_kept_whole() {
        assert_eq!(split("pässwörd€123456"), Some(("pässwörd€", "123456".to_owned())));
        assert_eq!(split("€€123456"), Some(("€€", "123456".to_owned())));
    }
}
