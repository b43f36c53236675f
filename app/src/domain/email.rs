use super::{AccountKind, Username, ValidationError};

/// A contact address: where e-mailed codes and security notices go.
///
/// Lower-cased and trimmed like a username, `local@domain.tld`, at most 254
/// characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let address = Username::parse(input)
            .ok()
            .filter(Username::is_email_address)
            .ok_or(ValidationError::new(
                "email",
                "Enter an e-mail address, like you@example.com.",
            ))?;
        Ok(Self(address.as_str().to_owned()))
    }

    /// The contact address of a login of `kind` named `username`. A mailbox's
    /// codes must not go to the mailbox they protect: whoever reads it could
    /// log in with them.
    pub fn for_login(input: &str, kind: AccountKind, username: &Username) -> Result<Self, ValidationError> {
        let address = Self::parse(input)?;
        if kind == AccountKind::Mailbox && address.0 == username.as_str() {
            return Err(ValidationError::new(
                "email",
                "A mailbox's codes go to another address than the mailbox itself.",
            ));
        }
        Ok(address)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address with most of its local part hidden, for a page anyone
    /// with the password sees: `c•••••@example.com`.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// `address` with all but the first character of its local part hidden.
pub fn mask(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let mut chars = local.chars();
            let first = chars.next().map(String::from).unwrap_or_default();
            format!("{first}{}@{domain}", "•".repeat(chars.count().clamp(3, 8)))
        }
        None => "•••".to_owned(),
    }
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_lower_cased_and_checked() {
        assert_eq!(
            EmailAddress::parse(" Owner@Example.COM ").map(|a| a.0),
            Ok("owner@example.com".to_owned())
        );
        for bad in [
            "",
            "owner",
            "owner@",
            "@example.com",
            "owner@example",
            "a b@example.com",
        ] {
            assert_eq!(EmailAddress::parse(bad).map_err(|e| e.field), Err("email"), "{bad:?}");
        }
    }

    #[test]
    fn a_mailbox_cannot_receive_its_own_codes() -> Result<(), ValidationError> {
        let mailbox = Username::parse("info@example.com")?;
        assert!(EmailAddress::for_login("INFO@example.com", AccountKind::Mailbox, &mailbox).is_err());
        assert!(EmailAddress::for_login("owner@example.net", AccountKind::Mailbox, &mailbox).is_ok());
        let customer = Username::parse("c10001")?;
        assert!(EmailAddress::for_login("c10001@example.com", AccountKind::Customer, &customer).is_ok());
        Ok(())
    }

    #[test]
    fn masking_keeps_the_first_character_and_the_domain() {
        assert_eq!(mask("customer@example.com"), "c•••••••@example.com");
        assert_eq!(mask("ab@example.com"), "a•••@example.com");
        assert_eq!(mask("nonsense"), "•••");
    }
}
