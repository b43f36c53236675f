use super::ValidationError;

/// A login name: customer number, package name or e-mail address.
///
/// Stored and compared in lower case; 1–254 characters of `a-z 0-9 . _ - @ +`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

pub const MAX_LEN: usize = 254;

impl Username {
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let name = input.trim().to_ascii_lowercase();
        if name.is_empty() {
            return Err(ValidationError::new("username", "Enter your username."));
        }
        if name.len() > MAX_LEN {
            return Err(ValidationError::new(
                "username",
                "A username has at most 254 characters.",
            ));
        }
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b".-_@+".contains(&b)) {
            return Err(ValidationError::new(
                "username",
                "A username has only letters, digits and . _ - @ +",
            ));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Username {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_lower_cased() {
        assert_eq!(Username::parse("  C12345 ").map(|u| u.0), Ok("c12345".to_owned()));
        assert_eq!(
            Username::parse("Info@Example.COM").map(|u| u.0),
            Ok("info@example.com".to_owned())
        );
    }

    #[test]
    fn empty_long_and_odd_names_are_refused() {
        let long = "a".repeat(MAX_LEN + 1);
        for bad in ["", "  ", "a b", "näme", "x\u{0}y", "a/b", long.as_str()] {
            assert_eq!(Username::parse(bad).map_err(|e| e.field), Err("username"), "{bad:?}");
        }
    }
}
