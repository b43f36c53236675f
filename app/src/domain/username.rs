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

    /// A mailbox's login: its full e-mail address, as webmail and the User
    /// Panel ask for it.
    pub fn parse_email(input: &str) -> Result<Self, ValidationError> {
        let name = Self::parse(input).map_err(|e| match e.message {
            "Enter your username." => ValidationError::new("username", "Enter your e-mail address."),
            _ => e,
        })?;
        if !name.is_email_address() {
            return Err(ValidationError::new(
                "username",
                "Enter your full e-mail address, like info@example.com.",
            ));
        }
        Ok(name)
    }

    /// `local@domain.tld`: one `@`, something before it, a dot inside the domain.
    pub fn is_email_address(&self) -> bool {
        match self.0.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.split('.').count() >= 2
                    && domain.split('.').all(|label| !label.is_empty())
            }
            None => false,
        }
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
    fn mailbox_logins_are_full_email_addresses() {
        assert_eq!(
            Username::parse_email(" Info@Example.com").map(|u| u.0),
            Ok("info@example.com".to_owned())
        );
        for bad in [
            "info",
            "info@",
            "@example.com",
            "info@example",
            "a@b@c.de",
            "info@example..com",
            "",
        ] {
            assert!(Username::parse_email(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            Username::parse_email("").map_err(|e| e.message),
            Err("Enter your e-mail address.")
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
