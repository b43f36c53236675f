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
}
