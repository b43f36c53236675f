use super::ValidationError;

/// Crockford's base32 alphabet, lower case: no i, l, o or u to misread.
pub const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
/// Characters per code: 16 × 5 bits = 80 bits of entropy.
pub const LEN: usize = 16;

/// `input` as `len` lower-case Crockford characters, if it is that once
/// case, separators (`-` or spaces) and the look-alikes `i`/`l` (`1`) and
/// `o` (`0`) are set aside.
pub(super) fn canonical(input: &str, len: usize) -> Option<String> {
    let mut canonical = String::with_capacity(len);
    for c in input.chars() {
        let c = match c.to_ascii_lowercase() {
            '-' | ' ' => continue,
            'i' | 'l' => '1',
            'o' => '0',
            c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c,
            _ => return None,
        };
        if canonical.len() == len {
            return None;
        }
        canonical.push(c);
    }
    (canonical.len() == len).then_some(canonical)
}

/// Random alphabet indices (each taken modulo 32) as characters.
pub(super) fn from_indices(indices: &[u8]) -> String {
    indices.iter().map(|i| ALPHABET[usize::from(i % 32)] as char).collect()
}

/// A recovery code in canonical form (16 lower-case Crockford characters).
///
/// Accepted case-insensitively, with or without separators (`-` or spaces),
/// and with the look-alikes `i`/`l` read as `1` and `o` as `0`.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode(String);

impl RecoveryCode {
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        canonical(input, LEN).map(Self).ok_or_else(Self::malformed)
    }

    /// Builds a code from 16 random alphabet indices (each taken modulo 32).
    pub fn from_indices(indices: [u8; LEN]) -> Self {
        Self(from_indices(&indices))
    }

    /// The canonical form, the one that is hashed and stored.
    pub fn canonical(&self) -> &str {
        &self.0
    }

    /// The form shown to the user: `k7m2-q9xp-4hf3-t8wa`.
    pub fn display(&self) -> String {
        super::grouped(&self.0, '-')
    }

    fn malformed() -> ValidationError {
        ValidationError::new(
            "code",
            "A recovery code has 16 letters and digits, like k7m2-q9xp-4hf3-t8wa.",
        )
    }
}

impl std::fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryCode(****)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_case_insensitively_with_or_without_separators() {
        let canonical = RecoveryCode::parse("k7m2-q9xp-4hf3-t8wa").map(|c| c.0);
        for variant in ["K7M2-Q9XP-4HF3-T8WA", "k7m2q9xp4hf3t8wa", " k7m2 q9xp 4hf3 t8wa "] {
            assert_eq!(RecoveryCode::parse(variant).map(|c| c.0), canonical, "{variant}");
        }
    }

    #[test]
    fn look_alike_letters_are_read_as_digits() {
        assert_eq!(
            RecoveryCode::parse("oooo-iiii-llll-0000").map(|c| c.0),
            Ok("0000111111110000".to_owned())
        );
    }

    #[test]
    fn malformed_codes_are_refused() {
        for bad in [
            "",
            "k7m2-q9xp-4hf3",
            "k7m2-q9xp-4hf3-t8wa-x",
            "k7m2-q9xp-4hf3-t8wu",
            "k7m2_q9xp_4hf3_t8wa",
            "k7m2-q9xp-4hf3-t8wä",
        ] {
            assert!(RecoveryCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn display_groups_in_fours_and_parses_back() {
        let code = RecoveryCode::from_indices([31, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 255]);
        assert_eq!(code.display(), "z012-3456-789a-bcdz");
        assert_eq!(RecoveryCode::parse(&code.display()), Ok(code));
    }
}
