//! The `tessera` command line.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use app::api::MailServer;
use app::domain::{AccountKind, EmailAddress, MailProtocol, NewPassword, Username};
use clap::{Args, Parser, Subcommand};
use secrecy::SecretString;

use crate::clock::Clock;
use crate::config::{
    DEFAULT_DATABASE_URL, DEFAULT_LISTEN, DEFAULT_SITE_ROOT, Settings, default_secret_key_file, parse_mail_client,
};
use crate::service::accounts::{self, NewAccount};
use crate::service::guessing::Limits;
use crate::service::keys::Keys;
use crate::service::mail::MailSettings;
use crate::service::mail_auth::{Backends, MailAuthSettings};
use crate::service::totp::TotpPolicy;
use crate::service::{PasswordHasher, ServiceError, mfa, password_change, sealed};
use crate::{Application, database};

#[derive(Debug, Parser)]
#[command(
    name = "tessera",
    version,
    about = "Two-factor authentication for hosting control panels and webmail"
)]
pub struct Cli {
    /// SQLite (`sqlite://path?mode=rwc`) or PostgreSQL (`postgres://user:pass@host/db`).
    #[arg(long, global = true, env = "TESSERA_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// The keys that seal TOTP secrets and key code hashes in the database
    /// (made, mode 0600, on the first start). Default: beside the SQLite
    /// file (data/tessera.db → data/tessera.key); with PostgreSQL, give one
    /// file every instance shares. Back it up apart from the database.
    #[arg(long, global = true, env = "TESSERA_SECRET_KEY_FILE")]
    pub secret_key_file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web UI and the REST API.
    Serve(Box<ServeArgs>),
    /// Create and list logins; switch a login's 2FA off.
    #[command(subcommand)]
    Account(AccountCommand),
    /// The secret keys of --secret-key-file: what each protects; rotation.
    #[command(subcommand)]
    Keys(KeysCommand),
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Which keys the file holds, and how many stored secrets each protects.
    Status,
    /// Make a new current key and re-seal every TOTP secret under it, in
    /// batches; old keys go once nothing needs them. Safe beside a running
    /// server, and run again it finishes a rotation that was interrupted.
    Rotate,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[arg(long, env = "TESSERA_LISTEN", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,
    /// The built site (pkg/ and CSS); relative paths are from the working directory.
    #[arg(long, env = "TESSERA_SITE_ROOT", default_value = DEFAULT_SITE_ROOT)]
    pub site_root: PathBuf,
    /// The name authenticator apps show above the account.
    #[arg(long, env = "TESSERA_ISSUER", default_value = "Tessera")]
    pub issuer: String,
    /// Seconds per TOTP code.
    #[arg(long, env = "TESSERA_TOTP_PERIOD", default_value_t = 30, value_parser = parse_period)]
    pub totp_period: u32,
    /// Wrong passwords in a row, per username (or per browser that logged in
    /// before), that cost nothing; each one after doubles a delay from 1 s
    /// to 15 minutes, and 100 in a row hold for a day.
    #[arg(long, env = "TESSERA_PASSWORD_FREE_FAILURES", default_value_t = 10, value_parser = clap::value_parser!(i32).range(1..=99))]
    pub password_free_failures: i32,
    /// Wrong passwords per client address and hour, across usernames, before
    /// delays start (password spraying).
    #[arg(long, env = "TESSERA_PASSWORD_ADDRESS_BUDGET", default_value_t = 30, value_parser = clap::value_parser!(i32).range(1..=100_000))]
    pub password_address_budget: i32,
    /// Minutes a logged-in session lasts without a request (the page warns
    /// two minutes before); 12 hours after the login it ends in any case.
    #[arg(long, env = "TESSERA_SESSION_IDLE_MINUTES", default_value_t = 30, value_parser = clap::value_parser!(i64).range(5..=720))]
    pub session_idle_minutes: i64,
    /// Days security events and sent notices are kept before the sweeper removes them.
    #[arg(long, env = "TESSERA_RETENTION_DAYS", default_value_t = 400, value_parser = clap::value_parser!(i64).range(30..=3650))]
    pub retention_days: i64,
    /// Mark the session cookie Secure (serve behind https).
    #[arg(long, env = "TESSERA_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// The origin browsers use (e.g. https://panel.example.com) when a proxy changes the Host header.
    #[arg(long, env = "TESSERA_PUBLIC_ORIGIN")]
    pub public_origin: Option<String>,
    /// A reverse proxy (IP address) whose X-Forwarded-For header is believed
    /// for the security log; repeat, or comma-separate in the variable.
    #[arg(long = "trusted-proxy", env = "TESSERA_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<IpAddr>,
    /// The SMTP server for e-mailed codes and security notices, in lettre's
    /// format: smtp://127.0.0.1:2525, smtps://user:pass@mail.example.com,
    /// smtp://mail.example.com:587?tls=required. Without it, mail is off.
    #[arg(long, env = "TESSERA_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// The sender of every mail.
    #[arg(long, env = "TESSERA_MAIL_FROM", default_value = "Tessera <tessera@localhost>")]
    pub mail_from: String,
    #[command(flatten)]
    pub mail_auth: MailAuthArgs,
}

/// Answering nginx's mail proxy (`/api/v1/mail/auth`): off without a secret.
#[derive(Debug, Args)]
pub struct MailAuthArgs {
    /// A file holding the secret the mail proxy sends in X-Tessera-Mail-Secret
    /// (at least 16 characters); turns mail authentication on.
    #[arg(long, env = "TESSERA_MAIL_AUTH_SECRET_FILE")]
    pub mail_auth_secret_file: Option<PathBuf>,
    /// An address the mail proxy (or an ActiveSync gateway) calls from;
    /// repeat, or comma-separate in the variable.
    #[arg(
        long = "mail-proxy",
        env = "TESSERA_MAIL_PROXIES",
        value_delimiter = ',',
        default_value = "127.0.0.1,::1"
    )]
    pub mail_proxies: Vec<IpAddr>,
    /// Where IMAP logins go on to (an IP address and port: nginx wants an address).
    #[arg(long, env = "TESSERA_IMAP_BACKEND")]
    pub imap_backend: Option<SocketAddr>,
    #[arg(long, env = "TESSERA_POP3_BACKEND")]
    pub pop3_backend: Option<SocketAddr>,
    #[arg(long, env = "TESSERA_SMTP_BACKEND")]
    pub smtp_backend: Option<SocketAddr>,
    /// A file holding the password nginx gives the IMAP and POP3 backend
    /// instead of the user's (a static passdb, or the master user's password).
    #[arg(long, env = "TESSERA_MAIL_BACKEND_SECRET_FILE")]
    pub mail_backend_secret_file: Option<PathBuf>,
    /// Log in to Dovecot as this master user (`user*NAME`) instead of a static passdb.
    #[arg(long, env = "TESSERA_MAIL_BACKEND_MASTER_USER")]
    pub mail_backend_master_user: Option<String>,
    /// Every mailbox logs in to mail with app passwords, with 2FA or without.
    #[arg(long, env = "TESSERA_MAIL_REQUIRE_APP_PASSWORDS")]
    pub mail_require_app_passwords: bool,
    /// What mail clients are told for IMAP: HOST:PORT[/tls|/starttls|/plain].
    #[arg(long, env = "TESSERA_MAIL_CLIENT_IMAP", value_parser = |s: &str| parse_mail_client(MailProtocol::Imap, s))]
    pub mail_client_imap: Option<MailServer>,
    #[arg(long, env = "TESSERA_MAIL_CLIENT_POP3", value_parser = |s: &str| parse_mail_client(MailProtocol::Pop3, s))]
    pub mail_client_pop3: Option<MailServer>,
    #[arg(long, env = "TESSERA_MAIL_CLIENT_SMTP", value_parser = |s: &str| parse_mail_client(MailProtocol::Smtp, s))]
    pub mail_client_smtp: Option<MailServer>,
}

impl MailAuthArgs {
    /// The settings, with the secrets read from their files.
    fn settings(&self) -> anyhow::Result<Option<MailAuthSettings>> {
        let Some(secret_file) = &self.mail_auth_secret_file else {
            if self.imap_backend.is_some() || self.pop3_backend.is_some() || self.smtp_backend.is_some() {
                bail!("--imap-backend, --pop3-backend and --smtp-backend need --mail-auth-secret-file");
            }
            return Ok(None);
        };
        let backend_password = self
            .mail_backend_secret_file
            .as_deref()
            .map(|file| read_secret_file(file, "--mail-backend-secret-file"))
            .transpose()?;
        if backend_password.is_none() && (self.imap_backend.is_some() || self.pop3_backend.is_some()) {
            bail!(
                "--imap-backend and --pop3-backend need --mail-backend-secret-file: the password nginx gives the \
                 backend instead of the user's"
            );
        }
        if let Some(master) = &self.mail_backend_master_user
            && (master.is_empty() || !master.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)))
        {
            bail!("--mail-backend-master-user: letters, digits and . _ - only");
        }
        Ok(Some(MailAuthSettings {
            secret: read_secret_file(secret_file, "--mail-auth-secret-file")?,
            proxies: self.mail_proxies.iter().map(IpAddr::to_canonical).collect(),
            backends: Backends {
                imap: self.imap_backend,
                pop3: self.pop3_backend,
                smtp: self.smtp_backend,
            },
            backend_password,
            master_user: self.mail_backend_master_user.clone(),
            require_app_passwords: self.mail_require_app_passwords,
        }))
    }

    fn clients(&self) -> Vec<MailServer> {
        [&self.mail_client_imap, &self.mail_client_pop3, &self.mail_client_smtp]
            .into_iter()
            .flatten()
            .cloned()
            .collect()
    }
}

/// A secret from its file: one line of at least 16 characters.
fn read_secret_file(path: &std::path::Path, option: &str) -> anyhow::Result<SecretString> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{option}: reading {}", path.display()))?;
    let secret = text.trim_end_matches(['\r', '\n']);
    // Letters, digits and . _ - only: the secret goes into HTTP headers and
    // Dovecot's config, where % and : mean something.
    if secret.len() < 16 || !secret.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)) {
        bail!(
            "{option}: {} must hold one line of at least 16 letters, digits, '.', '_' or '-' \
             (for example: openssl rand -hex 32)",
            path.display()
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 != 0) {
            tracing::warn!(file = %path.display(), "{option}: others may read this file; chmod 600 it");
        }
    }
    Ok(SecretString::from(secret.to_owned()))
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create a login; the password is read from standard input.
    Create {
        /// customer, package, mailbox or admin.
        #[arg(long)]
        kind: AccountKind,
        #[arg(long)]
        username: String,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
        /// The customer a package or mailbox login belongs to.
        #[arg(long)]
        owner: Option<String>,
        /// Where e-mailed codes and security notices go (for a mailbox, another address).
        #[arg(long)]
        email: Option<String>,
        /// The kinds of login that get e-mailed codes from creation (when they have --email).
        #[arg(
            long,
            env = "TESSERA_EMAIL_CODES_FOR",
            value_delimiter = ',',
            default_value = "customer"
        )]
        email_codes_for: Vec<AccountKind>,
    },
    /// List every login.
    List,
    /// Set a login's password (read from the first line of standard input):
    /// every session of the login ends, and its contact address is told.
    SetPassword {
        /// Customer number, package name or e-mail address.
        username: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Switch a login's 2FA off (for an operator without a browser): its
    /// pending set-up, secret and recovery codes are removed, and the
    /// security log records it.
    ResetMfa {
        /// Customer number, package name or e-mail address.
        username: String,
    },
}

fn parse_period(s: &str) -> Result<u32, String> {
    match s {
        "30" => Ok(30),
        "60" => Ok(60),
        _ => Err("a TOTP period is 30 or 60 seconds".to_owned()),
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve(cli.database_url, cli.secret_key_file, *args).await,
        Command::Account(AccountCommand::Create {
            kind,
            username,
            password_stdin: _,
            owner,
            email,
            email_codes_for,
        }) => {
            let password = read_password_line(std::io::stdin().lock())?;
            let new = NewAccount {
                kind,
                username: Username::parse(&username)?,
                password: NewPassword::parse(&password)?,
                owner: owner.as_deref().map(Username::parse).transpose()?,
                email: None,
                email_codes: email_codes_for.contains(&kind),
            };
            let email = email
                .as_deref()
                .map(|e| EmailAddress::for_login(e, kind, &new.username))
                .transpose()?;
            create_account(&cli.database_url, NewAccount { email, ..new }).await
        }
        Command::Account(AccountCommand::List) => list_accounts(&cli.database_url).await,
        Command::Account(AccountCommand::ResetMfa { username }) => reset_mfa(&cli.database_url, &username).await,
        Command::Account(AccountCommand::SetPassword { username, .. }) => {
            let password = read_password_line(std::io::stdin().lock())?;
            set_password(&cli.database_url, &username, &NewPassword::parse(&password)?).await
        }
        Command::Keys(command) => {
            let file = cli
                .secret_key_file
                .or_else(|| default_secret_key_file(&cli.database_url))
                .context("--secret-key-file: needed with PostgreSQL")?;
            let db = database::connect(&cli.database_url).await?;
            match command {
                KeysCommand::Status => key_status(&db, &file).await,
                KeysCommand::Rotate => rotate_keys(&db, &file).await,
            }
        }
    }
}

async fn key_status(db: &sea_orm::DatabaseConnection, file: &std::path::Path) -> anyhow::Result<()> {
    let ring = Keys::load(file)?.current();
    let usage = sealed::usage(db).await?;
    println!("{}:", file.display());
    for (n, id) in ring.ids().enumerate() {
        let role = if n == 0 { "current" } else { "older" };
        let counts = usage.by_key.get(&id).copied().unwrap_or_default();
        println!("  key {id} ({role}): {counts}");
    }
    for (id, counts) in usage.missing_from(&ring) {
        println!("  key {id} (NOT IN THE FILE): {counts}");
    }
    if usage.plain.total() > 0 {
        println!("  in the clear (sealed when the server next starts): {}", usage.plain);
    }
    Ok(())
}

async fn rotate_keys(db: &sea_orm::DatabaseConnection, file: &std::path::Path) -> anyhow::Result<()> {
    let rotation = sealed::rotate(db, file, |done| {
        if done > 0 {
            eprintln!("  re-sealed {done} TOTP secrets so far");
        }
    })
    .await?;
    match rotation.new_key {
        Some(id) => println!("new current key {id} in {}", file.display()),
        None => println!(
            "finished the rotation to key {} that had stopped half way",
            rotation.current
        ),
    }
    println!("re-sealed {} TOTP secrets under it", rotation.resealed);
    if rotation.voided_email_codes > 0 {
        println!(
            "voided {} e-mailed codes sent under the old key (their users ask for a new one)",
            rotation.voided_email_codes
        );
    }
    for id in &rotation.retired {
        println!("removed key {id} from the file: nothing needs it any more");
    }
    for (id, counts) in &rotation.kept {
        println!(
            "kept key {id} for {counts}: they cannot be hashed again without the codes themselves \
             (an app password moves to the new key when next used; recovery codes when renewed)"
        );
    }
    Ok(())
}

async fn serve(database_url: String, secret_key_file: Option<PathBuf>, args: ServeArgs) -> anyhow::Result<()> {
    let settings = Settings {
        secret_key_file,
        listen: args.listen,
        site_root: args.site_root,
        totp: TotpPolicy {
            issuer: args.issuer,
            period: args.totp_period,
            ..TotpPolicy::default()
        },
        guessing: Limits {
            free_failures: args.password_free_failures,
            address_budget: args.password_address_budget,
        },
        session_idle: args.session_idle_minutes * 60,
        retention_days: args.retention_days,
        secure_cookies: args.secure_cookies,
        public_origin: args.public_origin,
        trusted_proxies: args.trusted_proxies,
        mail: args.smtp_url.map(|smtp_url| MailSettings {
            smtp_url,
            from: args.mail_from,
        }),
        mail_auth: args.mail_auth.settings()?,
        mail_clients: args.mail_auth.clients(),
        ..Settings::new(database_url)
    };
    if !settings.site_root.join("pkg").is_dir() {
        tracing::warn!(
            site_root = %settings.site_root.display(),
            "no built site here (pkg/ missing): the API works, the web pages will not hydrate; \
             build with xtask/run.sh (cargo leptos build) or pass --site-root"
        );
    }
    let database = database::redact(&settings.database_url);
    let app = Application::build(settings).await?;
    tracing::info!(port = app.port(), %database, "Tessera is listening");
    app.run_until_stopped().await?;
    Ok(())
}

fn read_password_line(input: impl std::io::BufRead) -> anyhow::Result<String> {
    let line = input.lines().next().context("no password on standard input")??;
    Ok(line.strip_suffix('\r').unwrap_or(&line).to_owned())
}

async fn create_account(database_url: &str, new: NewAccount) -> anyhow::Result<()> {
    let username = new.username.clone();
    let db = database::connect(database_url).await?;
    let hasher = PasswordHasher::new()?;
    let now = Clock::System.now();
    match accounts::create(&db, &hasher, new, now).await {
        Ok(account) => {
            let second_factor = match (&account.email, account.email_codes) {
                (Some(email), true) => format!("codes by e-mail to {email}"),
                (Some(email), false) => format!("notices to {email}, no second factor yet"),
                (None, _) => "no contact address, no second factor yet".to_owned(),
            };
            println!(
                "created {} login {} (id {}): {second_factor}",
                account.kind, account.username, account.id
            );
            Ok(())
        }
        Err(ServiceError::UsernameTaken) => bail!("a login named {username} exists already"),
        Err(e) => Err(e.into()),
    }
}

async fn list_accounts(database_url: &str) -> anyhow::Result<()> {
    let db = database::connect(database_url).await?;
    let all = accounts::list(&db).await?;
    let owners: std::collections::HashMap<i32, &str> = all.iter().map(|a| (a.id, a.username.as_str())).collect();
    println!(
        "{:<5} {:<9} {:<32} {:<20} {:<8} E-MAIL",
        "ID", "KIND", "USERNAME", "OWNER", "2FA"
    );
    for a in &all {
        let owner = a.owner_id.and_then(|id| owners.get(&id).copied()).unwrap_or("-");
        let mfa = accounts::mfa_state(a).as_str();
        let email = a.email.as_deref().unwrap_or("-");
        println!(
            "{:<5} {:<9} {:<32} {:<20} {:<8} {email}",
            a.id, a.kind, a.username, owner, mfa
        );
    }
    Ok(())
}

async fn set_password(database_url: &str, username: &str, password: &NewPassword) -> anyhow::Result<()> {
    let name = Username::parse(username)?;
    let db = database::connect(database_url).await?;
    let Some(account) = accounts::find_by_username(&db, &name).await? else {
        bail!("there is no login named {name}");
    };
    let hasher = PasswordHasher::new()?;
    password_change::set_by_operator(&db, &hasher, &account, password, Clock::System.now()).await?;
    println!(
        "the password of {} login {} is set; its sessions have ended",
        account.kind, account.username
    );
    Ok(())
}

async fn reset_mfa(database_url: &str, username: &str) -> anyhow::Result<()> {
    let name = Username::parse(username)?;
    let db = database::connect(database_url).await?;
    let Some(account) = accounts::find_by_username(&db, &name).await? else {
        bail!("there is no login named {name}");
    };
    match mfa::reset_by_operator(&db, &account, Clock::System.now()).await {
        Ok(()) => {
            println!("2FA is now off for {} login {}", account.kind, account.username);
            Ok(())
        }
        Err(ServiceError::TotpNotEnabled) => bail!("{name} has no 2FA to switch off"),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_the_first_line_without_its_line_ending() -> anyhow::Result<()> {
        assert_eq!(read_password_line("T9D3K!px\nignored".as_bytes())?, "T9D3K!px");
        assert_eq!(read_password_line("with spaces \r\n".as_bytes())?, "with spaces ");
        assert!(read_password_line("".as_bytes()).is_err());
        Ok(())
    }

    #[test]
    fn the_command_line_parses() {
        let cli = Cli::try_parse_from([
            "tessera",
            "account",
            "create",
            "--kind",
            "mailbox",
            "--username",
            "a@b.c",
            "--password-stdin",
            "--owner",
            "c1",
        ]);
        assert!(matches!(
            cli.map(|c| c.command),
            Ok(Command::Account(AccountCommand::Create {
                kind: AccountKind::Mailbox,
                ..
            }))
        ));
        assert!(Cli::try_parse_from(["tessera", "serve", "--totp-period", "45"]).is_err());
        assert!(matches!(
            Cli::try_parse_from(["tessera", "account", "reset-mfa", "info@example.com"]).map(|c| c.command),
            Ok(Command::Account(AccountCommand::ResetMfa { username })) if username == "info@example.com"
        ));
        assert!(
            Cli::try_parse_from([
                "tessera",
                "account",
                "create",
                "--kind",
                "root",
                "--username",
                "x",
                "--password-stdin"
            ])
            .is_err()
        );
    }
}
