use serde::{Deserialize, Serialize};

/// The four kinds of login a hosting provider has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// A hosting customer's master login (customer number).
    Customer,
    /// A login for one of a customer's packages.
    Package,
    /// The webmail login of one mailbox.
    Mailbox,
    /// Provider staff.
    Admin,
}

impl AccountKind {
    pub const ALL: [AccountKind; 4] = [Self::Customer, Self::Package, Self::Mailbox, Self::Admin];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Package => "package",
            Self::Mailbox => "mailbox",
            Self::Admin => "admin",
        }
    }

    /// The wording a user sees, e.g. "Customer login".
    pub const fn label(self) -> &'static str {
        match self {
            Self::Customer => "Customer login",
            Self::Package => "Package login",
            Self::Mailbox => "Mailbox (webmail)",
            Self::Admin => "Administrator",
        }
    }
}

impl AccountKind {
    /// Webmail and the User Panel ask for an e-mail address, so that is what a
    /// mailbox login is called; no other kind of login looks like one.
    pub fn check_username(self, username: &super::Username) -> Result<(), super::ValidationError> {
        match (self, username.is_email_address()) {
            (Self::Mailbox, false) => Err(super::ValidationError::new(
                "username",
                "A mailbox login is its e-mail address, like info@example.com.",
            )),
            (Self::Customer | Self::Package | Self::Admin, true) => Err(super::ValidationError::new(
                "username",
                "Only mailbox logins are e-mail addresses; use a customer number or package name.",
            )),
            _ => Ok(()),
        }
    }
}

impl std::fmt::Display for AccountKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for AccountKind {
    type Err = super::ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or(super::ValidationError::new(
                "kind",
                "The kind is one of customer, package, mailbox or admin.",
            ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_name() {
        for kind in AccountKind::ALL {
            assert_eq!(kind.as_str().parse::<AccountKind>(), Ok(kind));
        }
        assert!("root".parse::<AccountKind>().is_err());
    }

    #[test]
    fn only_mailboxes_are_named_by_email_address() -> Result<(), super::super::ValidationError> {
        let email = super::super::Username::parse("info@example.com")?;
        let number = super::super::Username::parse("c10001")?;
        assert!(AccountKind::Mailbox.check_username(&email).is_ok());
        assert!(AccountKind::Mailbox.check_username(&number).is_err());
        for kind in [AccountKind::Customer, AccountKind::Package, AccountKind::Admin] {
            assert!(kind.check_username(&number).is_ok());
            assert!(kind.check_username(&email).is_err());
        }
        Ok(())
    }
}
