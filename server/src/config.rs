//! Settings for `tessera serve`, filled from the command line and `TESSERA_*`
//! environment variables (see `cli.rs`), or built directly by tests.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use app::api::{MailSecurity, MailServer};
use app::domain::MailProtocol;

use crate::clock::Clock;
use crate::service::guessing::Limits;
use crate::service::mail::MailSettings;
use crate::service::mail_auth::MailAuthSettings;
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
    /// The keys that seal secrets in the database; `None`: beside the SQLite
    /// file ([`default_secret_key_file`]).
    pub secret_key_file: Option<PathBuf>,
    /// The wrong passwords that cost nothing, per username and per address.
    pub guessing: Limits,
    /// Seconds a full session lasts without a request (at most 12 hours in all).
    pub session_idle: i64,
    /// Days security events and sent notices are kept.
    pub retention_days: i64,
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
    /// The mail proxy's questions (`/api/v1/mail/auth`); `None`: refused.
    pub mail_auth: Option<MailAuthSettings>,
    /// The servers mail clients are told to use, beside a new app password.
    pub mail_clients: Vec<MailServer>,
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
            secret_key_file: None,
            guessing: Limits::default(),
            session_idle: crate::service::sessions::DEFAULT_IDLE,
            retention_days: crate::service::housekeeping::DEFAULT_RETENTION_DAYS,
            secure_cookies: false,
            public_origin: None,
            trusted_proxies: Vec::new(),
            mail: None,
            outbox_every: Duration::from_secs(1),
            mail_auth: None,
            mail_clients: Vec::new(),
            clock: Clock::System,
        }
    }
}

/// Where the secret keys live when not told: beside the SQLite file
/// (`data/tessera.db` → `data/tessera.key`). `None` for PostgreSQL, whose
/// instances must be given one file they share.
pub fn default_secret_key_file(database_url: &str) -> Option<PathBuf> {
    let path = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))?;
    let path = path.split_once('?').map_or(path, |(path, _)| path);
    if path.is_empty() || path.starts_with(':') {
        return None; // :memory:
    }
    Some(PathBuf::from(path).with_extension("key"))
}

/// A server mail clients are told about: `HOST:PORT`, optionally followed by
/// `/tls`, `/starttls` or `/plain`; without it the port decides (993, 995,
/// 465: TLS; 143, 110, 587, 25: STARTTLS; any other: plain).
pub fn parse_mail_client(protocol: MailProtocol, input: &str) -> Result<MailServer, String> {
    let (address, security) = match input.rsplit_once('/') {
        Some((address, "tls")) => (address, Some(MailSecurity::Tls)),
        Some((address, "starttls")) => (address, Some(MailSecurity::Starttls)),
        Some((address, "plain")) => (address, Some(MailSecurity::None)),
        Some((_, other)) => return Err(format!("{other:?} is not tls, starttls or plain")),
        None => (input, None),
    };
    let (host, port) = address
        .rsplit_once(':')
        .ok_or_else(|| format!("{input:?} is not HOST:PORT"))?;
    let port: u16 = port.parse().map_err(|_| format!("{port:?} is not a port"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() || port == 0 {
        return Err(format!("{input:?} is not HOST:PORT"));
    }
    let security = security.unwrap_or(match port {
        993 | 995 | 465 => MailSecurity::Tls,
        143 | 110 | 587 | 25 => MailSecurity::Starttls,
        _ => MailSecurity::None,
    });
    Ok(MailServer {
        protocol,
        host: host.to_owned(),
        port,
        security,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keys_live_beside_the_sqlite_file_unless_told() {
        let beside = |url| default_secret_key_file(url).map(|p| p.display().to_string());
        assert_eq!(
            beside("sqlite://data/tessera.db?mode=rwc").as_deref(),
            Some("data/tessera.key")
        );
        assert_eq!(
            beside("sqlite:///var/lib/tessera/db.sqlite").as_deref(),
            Some("/var/lib/tessera/db.key")
        );
        assert_eq!(beside("sqlite::memory:"), None);
        assert_eq!(beside("postgres://tessera@localhost/tessera"), None);
    }

    #[test]
    fn mail_client_servers_take_their_security_from_the_port_unless_told() {
        let imap = parse_mail_client(MailProtocol::Imap, "mail.example.com:993");
        assert_eq!(
            imap.map(|s| (s.host, s.port, s.security)),
            Ok(("mail.example.com".to_owned(), 993, MailSecurity::Tls))
        );
        let smtp = parse_mail_client(MailProtocol::Smtp, "mail.example.com:587");
        assert_eq!(smtp.map(|s| s.security), Ok(MailSecurity::Starttls));
        let demo = parse_mail_client(MailProtocol::Imap, "127.0.0.1:40143");
        assert_eq!(demo.map(|s| s.security), Ok(MailSecurity::None));
        let told = parse_mail_client(MailProtocol::Imap, "[::1]:8993/tls");
        assert_eq!(
            told.map(|s| (s.host, s.security)),
            Ok(("::1".to_owned(), MailSecurity::Tls))
        );
        for bad in [
            "mail.example.com",
            "mail.example.com:imap",
            ":993",
            "mail.example.com:993/ssl",
            "x:0",
        ] {
            assert!(parse_mail_client(MailProtocol::Imap, bad).is_err(), "{bad}");
        }
    }
}
