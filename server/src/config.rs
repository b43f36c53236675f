//! Settings for `tessera serve`, filled from the command line and `TESSERA_*`
//! environment variables (see `cli.rs`), or built directly by tests.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::clock::Clock;
use crate::service::mail::MailSettings;
use crate::service::totp::TotpPolicy;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/tessera.db?mode=rwc";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:3000";
/// Where `cargo leptos build` (run by `xtask/run.sh`) puts the site: pkg/ and the CSS.
pub const DEFAULT_SITE_ROOT: &str = "target/site";

#[derive(Debug, Clone)]
pub struct Settings {
    /// Port 0 picks a free port; [`crate::Application::port`] tells which.
    pub listen: SocketAddr,
    pub database_url: String,
    pub site_root: PathBuf,
    pub totp: TotpPolicy,
    /// Mark the session cookie `Secure` (behind https).
    pub secure_cookies: bool,
    /// The exact origin browsers use, e.g. `https://panel.example.com`, when a
    /// proxy rewrites the Host header; otherwise Origin must match Host.
    pub public_origin: Option<String>,
    /// Reverse proxies whose `X-Forwarded-For` is believed: the security log
    /// then shows the browser's address instead of the proxy's.
    pub trusted_proxies: Vec<IpAddr>,
    /// SMTP, for e-mailed codes and security notices; `None`: mail is off,
    /// e-mailed codes are not asked for, notices wait in the outbox.
    pub mail: Option<MailSettings>,
    /// How often the outbox worker looks for notices to send.
    pub outbox_every: Duration,
    pub clock: Clock,
}

impl Settings {
    /// Defaults for everything but the database.
    pub fn new(database_url: impl Into<String>) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            database_url: database_url.into(),
            site_root: PathBuf::from(DEFAULT_SITE_ROOT),
            totp: TotpPolicy::default(),
            secure_cookies: false,
            public_origin: None,
            trusted_proxies: Vec::new(),
            mail: None,
            outbox_every: Duration::from_secs(1),
            clock: Clock::System,
        }
    }
}
