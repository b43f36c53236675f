//! The `tessera` command line.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use app::domain::{AccountKind, EmailAddress, NewPassword, Username};
use clap::{Args, Parser, Subcommand};

use crate::clock::Clock;
use crate::config::{DEFAULT_DATABASE_URL, DEFAULT_LISTEN, DEFAULT_SITE_ROOT, Settings};
use crate::service::accounts::{self, NewAccount};
use crate::service::mail::MailSettings;
use crate::service::totp::TotpPolicy;
use crate::service::{PasswordHasher, ServiceError, mfa};
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
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web UI and the REST API.
    Serve(ServeArgs),
    /// Create and list logins; switch a login's 2FA off.
    #[command(subcommand)]
    Account(AccountCommand),
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
    /// Mark the session cookie Secure (serve behind https).
    #[arg(long, env = "TESSERA_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// The origin browsers use (e.g. https://panel.example.com) when a proxy changes the Host header.
    #[arg(long, env = "TESSERA_PUBLIC_ORIGIN")]
    pub public_origin: Option<String>,
    /// A reverse proxy (IP address) whose X-Forwarded-For header is believed
    /// for the security log; repeat, or comma-separate in the variable.
    #[arg(long = "trusted-proxy", env = "TESSERA_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The SMTP server for e-mailed codes and security notices, in lettre's
    /// format: smtp://127.0.0.1:2525, smtps://user:pass@mail.example.com,
    /// smtp://mail.example.com:587?tls=required. Without it, mail is off.
    #[arg(long, env = "TESSERA_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// The sender of every mail.
    #[arg(long, env = "TESSERA_MAIL_FROM", default_value = "Tessera <tessera@localhost>")]
    pub mail_from: String,
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
        Command::Serve(args) => serve(cli.database_url, args).await,
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
    }
}

async fn serve(database_url: String, args: ServeArgs) -> anyhow::Result<()> {
    let settings = Settings {
        listen: args.listen,
        site_root: args.site_root,
        totp: TotpPolicy {
            issuer: args.issuer,
            period: args.totp_period,
            ..TotpPolicy::default()
        },
        secure_cookies: args.secure_cookies,
        public_origin: args.public_origin,
        trusted_proxies: args.trusted_proxies,
        mail: args.smtp_url.map(|smtp_url| MailSettings {
            smtp_url,
            from: args.mail_from,
        }),
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
