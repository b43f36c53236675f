//! Spawning a Tessera on a free port, against a fresh SQLite file or a fresh
//! PostgreSQL database, with a hand-set clock; and talking to it like a browser.

use std::ops::Deref;
use std::sync::Arc;

use app::domain::{AccountKind, EmailAddress, NewPassword, Username};
use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use tessera_server::clock::{Clock, UnixTime};
use tessera_server::service::PasswordHasher;
use tessera_server::service::accounts::{self, NewAccount};
use tessera_server::service::mail::MailSettings;
use tokio::sync::Barrier;
use totp_rs::{Algorithm, Builder, Secret};

use crate::mail_sink::{MailSink, code_in};
use crate::mail_stack::{BACKEND_SECRET, MailStack, PROXY_SECRET, StartingStack};
use secrecy::SecretString;
use tessera_server::service::mail_auth::{Backends, MailAuthSettings};

/// Where every test's clock starts: 2027-01-15, on a 30-second step boundary.
pub const T0: UnixTime = 1_800_000_000;
/// Seconds per TOTP step.
pub const STEP: i64 = 30;
/// The password of every account the tests create.
pub const PASSWORD: &str = "correct horse battery staple";
pub const SESSION_COOKIE: &str = "tessera_session";
/// The sender of every mail an app with mail on sends.
pub const MAIL_FROM: &str = "Tessera <tessera@example.com>";
/// Seconds between two e-mailed codes to one login.
pub const RESEND_AFTER: i64 = 60;
/// What the sweeper removes by default: sessions idle 30 minutes, events
/// and sent notices older than 400 days.
pub const AGES: tessera_server::service::housekeeping::Ages = tessera_server::service::housekeeping::Ages {
    session_idle: 30 * 60,
    retention: 400 * 86_400,
};

/// Which database the app under test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Runs each listed `async fn name(db: Db)` twice, as `sqlite::name` and
/// `postgres::name`.
macro_rules! on_both_databases {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Db::Sqlite).await
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if $crate::helpers::skip_postgres() {
                        return;
                    }
                    super::$name($crate::helpers::Db::Postgres).await
                }
            )+
        }
    };
}
pub(crate) use on_both_databases;

const POSTGRES_URL_VAR: &str = "TESSERA_TEST_POSTGRES_URL";
const SKIP_POSTGRES_VAR: &str = "TESSERA_TEST_SKIP_POSTGRES";

/// Whether the PostgreSQL variants are to be skipped. Without a server to
/// test against they fail, unless skipping was asked for explicitly.
pub fn skip_postgres() -> bool {
    if std::env::var_os(POSTGRES_URL_VAR).is_some() {
        return false;
    }
    if std::env::var(SKIP_POSTGRES_VAR).is_ok_and(|v| v == "1") {
        eprintln!("{SKIP_POSTGRES_VAR}=1: skipping a PostgreSQL test");
        return true;
    }
    panic!(
        "{POSTGRES_URL_VAR} is not set. Run xtask/test.sh (it starts a throw-away PostgreSQL), \
         or set {POSTGRES_URL_VAR}=postgres://USER@HOST:PORT/postgres (a role that may CREATE DATABASE), \
         or set {SKIP_POSTGRES_VAR}=1 to skip the PostgreSQL variants."
    );
}

/// A running Tessera. Derefs to its default [`Browser`].
pub struct TestApp {
    /// `http://127.0.0.1:PORT`, which is also the origin browsers would send.
    pub address: String,
    pub port: u16,
    pub clock: Clock,
    pub db: DatabaseConnection,
    /// The database the app runs on, for the command line to reach it too.
    pub database_url: String,
    pub browser: Browser,
    /// Where it sends mail; `None`: mail is off.
    pub mail: Option<MailSettings>,
    /// Whom it answers on `/api/v1/mail/auth`; `None`: nobody.
    pub mail_auth: Option<MailAuthSettings>,
    hasher: PasswordHasher,
    /// The task that serves (and runs the outbox worker); `None` once stopped.
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    /// The SQLite file (if SQLite) and the key file, shared by every
    /// instance on the same database.
    state_dir: Arc<tempfile::TempDir>,
    /// `--secret-key-file`: beside the SQLite file, the default; given for PostgreSQL.
    pub key_file: std::path::PathBuf,
}

/// A Tessera with mail off, on a fresh database.
pub async fn spawn_app(db: Db) -> TestApp {
    let (database_url, state_dir) = fresh_database(db).await;
    start(database_url, state_dir, Clock::manual(T0), None, None).await
}

/// The mail proxy settings of the tests: the secrets of [`crate::mail_stack`],
/// asked from 127.0.0.1, with backends on ports nothing listens on (tests
/// that ask the endpoint themselves never reach them).
pub fn mail_auth_settings() -> MailAuthSettings {
    MailAuthSettings {
        secret: SecretString::from(PROXY_SECRET),
        proxies: vec!["127.0.0.1".parse().expect("an address")],
        backends: Backends {
            imap: Some("127.0.0.1:9".parse().expect("an address")),
            pop3: Some("127.0.0.1:9".parse().expect("an address")),
            smtp: Some("127.0.0.1:9".parse().expect("an address")),
        },
        backend_password: Some(SecretString::from(BACKEND_SECRET)),
        master_user: None,
        require_app_passwords: false,
    }
}

/// A Tessera that answers the mail proxy with `mail_auth`, mail off.
pub async fn spawn_app_with_mail_auth(db: Db, mail_auth: MailAuthSettings) -> TestApp {
    let (database_url, state_dir) = fresh_database(db).await;
    start(database_url, state_dir, Clock::manual(T0), None, Some(mail_auth)).await
}

/// A Tessera that answers the mail proxy, with mail on (notices to the sink).
pub async fn spawn_app_with_mail_auth_and_mail(db: Db) -> (TestApp, MailSink) {
    let sink = MailSink::start();
    let mail = MailSettings {
        smtp_url: sink.smtp_url(),
        from: MAIL_FROM.to_owned(),
    };
    let (database_url, state_dir) = fresh_database(db).await;
    let app = start(
        database_url,
        state_dir,
        Clock::manual(T0),
        Some(mail),
        Some(mail_auth_settings()),
    )
    .await;
    (app, sink)
}

/// A Tessera behind real mail servers: Dovecot for IMAP and POP3, the SMTP
/// sink for SMTP (and Tessera's own notices), nginx's mail proxy in front.
pub async fn spawn_app_with_mail_stack(db: Db) -> (TestApp, MailSink, MailStack) {
    spawn_behind_mail_stack(db, None).await
}

/// [`spawn_app_with_mail_stack`], Dovecot trusting a master user instead
/// of a static passdb (README: the second way).
pub async fn spawn_app_with_mail_stack_and_master_user(db: Db, master_user: &str) -> (TestApp, MailSink, MailStack) {
    spawn_behind_mail_stack(db, Some(master_user)).await
}

async fn spawn_behind_mail_stack(db: Db, master_user: Option<&str>) -> (TestApp, MailSink, MailStack) {
    let sink = MailSink::start();
    let starting = match master_user {
        Some(master) => StartingStack::start_with_master_user(master),
        None => StartingStack::start(),
    };
    let mail = MailSettings {
        smtp_url: sink.smtp_url(),
        from: MAIL_FROM.to_owned(),
    };
    let mail_auth = MailAuthSettings {
        backends: Backends {
            imap: Some(([127, 0, 0, 1], starting.dovecot_imap).into()),
            pop3: Some(([127, 0, 0, 1], starting.dovecot_pop3).into()),
            smtp: Some(([127, 0, 0, 1], sink.port()).into()),
        },
        master_user: master_user.map(str::to_owned),
        ..mail_auth_settings()
    };
    let (database_url, state_dir) = fresh_database(db).await;
    let app = start(database_url, state_dir, Clock::manual(T0), Some(mail), Some(mail_auth)).await;
    let stack = starting.connect(app.port);
    (app, sink, stack)
}

/// A Tessera with mail on, on a fresh database, sending to a new [`MailSink`];
/// its outbox worker looks for notices every 100 ms.
pub async fn spawn_app_with_mail(db: Db) -> (TestApp, MailSink) {
    let sink = MailSink::start();
    let mail = MailSettings {
        smtp_url: sink.smtp_url(),
        from: MAIL_FROM.to_owned(),
    };
    let (database_url, state_dir) = fresh_database(db).await;
    let app = start(database_url, state_dir, Clock::manual(T0), Some(mail), None).await;
    (app, sink)
}

async fn fresh_database(db: Db) -> (String, Arc<tempfile::TempDir>) {
    let dir = tempfile::tempdir().expect("a temporary directory for the database and its keys");
    let url = match db {
        Db::Sqlite => format!("sqlite://{}/tessera.db?mode=rwc", dir.path().display()),
        Db::Postgres => fresh_postgres_database().await,
    };
    (url, Arc::new(dir))
}

/// A Tessera on SQLite that serves the site in `site_root` (its `pkg/`).
pub async fn spawn_app_with_site(site_root: &std::path::Path) -> TestApp {
    let (database_url, state_dir) = fresh_database(Db::Sqlite).await;
    let site_root = site_root.to_owned();
    try_start_with(database_url, state_dir, Clock::manual(T0), None, None, |s| {
        s.site_root = site_root;
    })
    .await
    .expect("the application builds")
}

/// A Tessera with mail off that marks its cookies `Secure`, as behind https.
pub async fn spawn_app_behind_https(db: Db) -> TestApp {
    let (database_url, state_dir) = fresh_database(db).await;
    try_start_with(database_url, state_dir, Clock::manual(T0), None, None, |s| {
        s.secure_cookies = true;
    })
    .await
    .expect("the application builds")
}

async fn start(
    database_url: String,
    state_dir: Arc<tempfile::TempDir>,
    clock: Clock,
    mail: Option<MailSettings>,
    mail_auth: Option<MailAuthSettings>,
) -> TestApp {
    try_start_with(database_url, state_dir, clock, mail, mail_auth, |_| ())
        .await
        .expect("the application builds")
}

async fn try_start_with(
    database_url: String,
    state_dir: Arc<tempfile::TempDir>,
    clock: Clock,
    mail: Option<MailSettings>,
    mail_auth: Option<MailAuthSettings>,
    configure: impl FnOnce(&mut tessera_server::Settings),
) -> anyhow::Result<TestApp> {
    if std::env::var_os("TEST_LOG").is_some() {
        tessera_server::telemetry::init();
    }
    let mut settings = tessera_server::Settings::new(database_url.clone());
    settings.listen = "127.0.0.1:0".parse().expect("a socket address");
    settings.clock = clock.clone();
    settings.mail = mail.clone();
    settings.mail_auth = mail_auth.clone();
    settings.outbox_every = std::time::Duration::from_millis(100);
    // SQLite finds it beside its file; PostgreSQL must be told.
    let key_file = state_dir.path().join("tessera.key");
    if !database_url.starts_with("sqlite:") {
        settings.secret_key_file = Some(key_file.clone());
    }
    configure(&mut settings);
    let app = tessera_server::Application::build(settings).await?;
    let port = app.port();
    let database = app.db().clone();
    let server = tokio::spawn(app.run_until_stopped());
    let address = format!("http://127.0.0.1:{port}");
    Ok(TestApp {
        browser: Browser::new(&address),
        address,
        port,
        clock,
        db: database,
        database_url,
        mail,
        mail_auth,
        hasher: PasswordHasher::new().expect("a password hasher"),
        server: Some(server),
        state_dir,
        key_file,
    })
}

/// Creates `tessera_test_<random>` on the server named by
/// `TESSERA_TEST_POSTGRES_URL` and returns a URL for it.
async fn fresh_postgres_database() -> String {
    let admin_url = std::env::var(POSTGRES_URL_VAR)
        .unwrap_or_else(|_| panic!("{POSTGRES_URL_VAR} is not set: run xtask/test.sh, or set it"));
    let name = format!("tessera_test_{}", hex::encode(random::<8>()));
    let admin = Database::connect(admin_url.as_str())
        .await
        .expect("connecting to TESSERA_TEST_POSTGRES_URL");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("CREATE DATABASE");
    admin.close().await.expect("closing the admin connection");
    with_database_name(&admin_url, &name)
}

/// `postgres://u@h:p/postgres?x=y` with `postgres` replaced by `name`.
fn with_database_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("random bytes");
    bytes
}

impl Deref for TestApp {
    type Target = Browser;

    fn deref(&self) -> &Browser {
        &self.browser
    }
}

/// A user with TOTP on, as the tests know it.
#[derive(Debug, Clone)]
pub struct TotpUser {
    pub username: String,
    pub secret: String,
    pub recovery_codes: Vec<String>,
}

impl TestApp {
    /// Another Tessera on the same database, with the same clock and mail
    /// settings, on its own port: a restart, or a second server.
    pub async fn another_instance(&self) -> TestApp {
        start(
            self.database_url.clone(),
            self.state_dir.clone(),
            self.clock.clone(),
            self.mail.clone(),
            self.mail_auth.clone(),
        )
        .await
    }

    /// [`Self::another_instance`], or why it does not start.
    pub async fn try_another_instance(&self) -> anyhow::Result<TestApp> {
        try_start_with(
            self.database_url.clone(),
            self.state_dir.clone(),
            self.clock.clone(),
            self.mail.clone(),
            self.mail_auth.clone(),
            |_| (),
        )
        .await
    }

    /// Everything a copy of the database holds: `pg_dump`'s output, or
    /// SQLite's files as they are on disk (the database and its WAL).
    pub async fn dump(&self) -> String {
        if self.database_url.starts_with("sqlite:") {
            let files = ["tessera.db", "tessera.db-wal"].map(|f| self.state_dir.path().join(f));
            return files
                .iter()
                .filter_map(|f| std::fs::read(f).ok())
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                .collect();
        }
        let url = self.database_url.clone();
        let output = tokio::task::spawn_blocking(move || {
            let pg_dump = std::fs::read_dir("/usr/lib/postgresql")
                .into_iter()
                .flatten()
                .flatten()
                .map(|version| version.path().join("bin/pg_dump"))
                .find(|path| path.exists())
                .unwrap_or_else(|| "pg_dump".into());
            std::process::Command::new(pg_dump).arg("--data-only").arg(url).output()
        })
        .await
        .expect("pg_dump runs to its end")
        .expect("pg_dump starts");
        assert!(
            output.status.success(),
            "pg_dump: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("pg_dump writes text")
    }

    /// Stops serving, and the outbox worker with it; the database stays.
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
            // Cancelled: the run future, and with it the worker's abort guard, is dropped.
            let _ = server.await;
        }
    }

    /// Another browser: its own cookie jar, so its own session.
    pub fn new_browser(&self) -> Browser {
        Browser::new(&self.address)
    }

    /// Another browser that sends `user_agent` as its User-Agent.
    pub fn new_browser_with_user_agent(&self, user_agent: &str) -> Browser {
        Browser::with_user_agent(&self.address, Some(user_agent))
    }

    pub fn now(&self) -> UnixTime {
        self.clock.now()
    }

    pub fn advance(&self, seconds: i64) {
        self.clock.advance(seconds);
    }

    /// A customer login with [`PASSWORD`], created the way the CLI does.
    pub async fn create_account(&self, username: &str) {
        self.create_login(AccountKind::Customer, username, None).await;
    }

    /// A login of any kind with [`PASSWORD`], created the way the CLI does;
    /// packages and mailboxes name their customer. Answers its id.
    pub async fn create_login(&self, kind: AccountKind, username: &str, owner: Option<&str>) -> i32 {
        self.create_login_with_password(kind, username, owner, PASSWORD).await
    }

    /// [`Self::create_login`] with a password of the test's choosing.
    pub async fn create_login_with_password(
        &self,
        kind: AccountKind,
        username: &str,
        owner: Option<&str>,
        password: &str,
    ) -> i32 {
        self.insert_login(kind, username, owner, password, None, false).await
    }

    /// [`Self::create_login`] with the contact address `email`; `email_codes`:
    /// whether it logs in with e-mailed codes (when mail is on and it has no app).
    pub async fn create_login_with_email(
        &self,
        kind: AccountKind,
        username: &str,
        owner: Option<&str>,
        email: &str,
        email_codes: bool,
    ) -> i32 {
        self.insert_login(kind, username, owner, PASSWORD, Some(email), email_codes)
            .await
    }

    async fn insert_login(
        &self,
        kind: AccountKind,
        username: &str,
        owner: Option<&str>,
        password: &str,
        email: Option<&str>,
        email_codes: bool,
    ) -> i32 {
        let new = NewAccount {
            kind,
            username: Username::parse(username).expect("a valid username"),
            password: NewPassword::parse(password).expect("a valid password"),
            owner: owner.map(|o| Username::parse(o).expect("a valid owner name")),
            email: email.map(|e| EmailAddress::parse(e).expect("a valid e-mail address")),
            email_codes,
        };
        accounts::create(&self.db, &self.hasher, new, self.now())
            .await
            .expect("the login is created")
            .id
    }

    /// A new browser logged in as `username`, a login with e-mailed codes:
    /// the password, a code sent to `email` and read from `sink`. The clock
    /// then moves on a minute, so the next code may be sent at once.
    pub async fn logged_in_by_email(&self, sink: &MailSink, username: &str, email: &str) -> Browser {
        let browser = self.new_browser();
        let response = expect_ok(browser.login(username, PASSWORD).await).await;
        assert_eq!(
            response,
            json!({"status": "mfa_required", "methods": ["email"]}),
            "{username} should get its code by e-mail"
        );
        expect_ok(browser.send_email_code().await).await;
        let code = code_sent_to(sink, email).await;
        assert_eq!(expect_ok(browser.login_mfa(&code).await).await, json!({"status": "ok"}));
        self.advance(RESEND_AFTER);
        browser
    }

    /// A new browser logged in as `username` (a login without 2FA) with [`PASSWORD`].
    pub async fn logged_in_as(&self, username: &str) -> Browser {
        let browser = self.new_browser();
        let response = expect_ok(browser.login(username, PASSWORD).await).await;
        assert_eq!(response, json!({"status": "ok"}), "{username} should need no code");
        browser
    }

    /// Sets up and activates TOTP for the login `id` through `owner`'s
    /// session (its customer), the code coming from the login user's app;
    /// answers the secret and the recovery codes. The clock then moves on one
    /// step, so the app's current code has not been used yet.
    pub async fn enable_totp_for(&self, owner: &Browser, id: i32) -> (String, Vec<String>) {
        let setup = owner
            .post_json(
                &format!("/api/v1/accounts/{id}/mfa/totp/setup"),
                json!({"password": PASSWORD}),
            )
            .await;
        let secret = expect_ok(setup).await["secret"]
            .as_str()
            .expect("setup answers the secret")
            .to_owned();
        let activated = owner
            .post_json(
                &format!("/api/v1/accounts/{id}/mfa/totp/activate"),
                json!({"code": self.code_now(&secret)}),
            )
            .await;
        let codes = recovery_codes_in(&expect_ok(activated).await);
        self.advance(STEP);
        (secret, codes)
    }

    /// The code the user's app shows now.
    pub fn code_now(&self, secret: &str) -> String {
        code_at(secret, self.now())
    }

    /// Sets up and activates TOTP for the user `browser` is logged in as;
    /// answers the secret and the recovery codes. The current step is used up.
    pub async fn enable_totp(&self, browser: &Browser) -> (String, Vec<String>) {
        let setup = browser
            .post_json("/api/v1/me/mfa/totp/setup", json!({"password": PASSWORD}))
            .await;
        let setup = expect_ok(setup).await;
        let secret = setup["secret"].as_str().expect("setup answers the secret").to_owned();
        let activated = browser
            .post_json("/api/v1/me/mfa/totp/activate", json!({"code": self.code_now(&secret)}))
            .await;
        let codes = recovery_codes_in(&expect_ok(activated).await);
        (secret, codes)
    }

    /// A new account with TOTP on, logged out again; the clock is then moved
    /// on one step, so the app's current code has not been used yet.
    pub async fn user_with_totp(&self, username: &str) -> TotpUser {
        self.create_account(username).await;
        let browser = self.new_browser();
        assert_status(browser.login(username, PASSWORD).await, StatusCode::OK).await;
        let (secret, recovery_codes) = self.enable_totp(&browser).await;
        assert_status(browser.logout().await, StatusCode::NO_CONTENT).await;
        self.advance(STEP);
        TotpUser {
            username: username.to_owned(),
            secret,
            recovery_codes,
        }
    }

    /// A new browser past the password step of `user`, waiting for its code.
    pub async fn pending_login(&self, username: &str) -> Browser {
        let browser = self.new_browser();
        let response = expect_ok(browser.login(username, PASSWORD).await).await;
        assert_eq!(response["status"], "mfa_required", "{username} should need a code");
        browser
    }

    /// A new browser fully logged in as `user` with the app's current code;
    /// the clock then moves on one step so the next code is fresh.
    pub async fn logged_in(&self, user: &TotpUser) -> Browser {
        let browser = self.pending_login(&user.username).await;
        expect_ok(browser.login_mfa(&self.code_now(&user.secret)).await).await;
        self.advance(STEP);
        browser
    }

    /// A request that carries `token` as its session cookie, from a client
    /// with no cookie jar: a stolen or replayed cookie.
    pub fn request_with_session(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        reqwest::Client::new()
            .request(method, format!("{}{path}", self.address))
            .header(COOKIE, format!("{SESSION_COOKIE}={token}"))
    }
}

/// The code in the next login-code mail to `to`; security notices to the
/// same address are left for later.
pub async fn code_sent_to(sink: &MailSink, to: &str) -> String {
    let mail = sink
        .wait_for_where(to, "a login code", |mail| mail.subject.starts_with("Your login code"))
        .await;
    code_in(&mail)
}

/// The `recovery_codes` of an activation or regeneration answer.
pub fn recovery_codes_in(body: &Value) -> Vec<String> {
    body["recovery_codes"]
        .as_array()
        .expect("the answer holds recovery codes")
        .iter()
        .map(|c| c.as_str().expect("a recovery code is a string").to_owned())
        .collect()
}

/// The 6-digit code an authenticator app shows at `time` for `secret`.
pub fn code_at(secret: &str, time: UnixTime) -> String {
    let secret = Secret::try_from_base32(secret).expect("the secret is base32");
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_secret(secret)
        .build_noncompliant()
        .generate(u64::try_from(time).expect("a time after 1970"))
        .to_string()
}

/// A six-digit code that is none of the codes valid around `time`.
pub fn wrong_code(secret: &str, time: UnixTime) -> String {
    let valid: Vec<String> = (-2..=2).map(|step| code_at(secret, time + step * STEP)).collect();
    (0..)
        .map(|n: u32| format!("{:06}", (n * 7919 + 123_457) % 1_000_000))
        .find(|c| !valid.contains(c))
        .expect("some six-digit code is wrong")
}

/// A reqwest client with its own cookie jar, pointed at the app.
#[derive(Clone)]
pub struct Browser {
    pub client: reqwest::Client,
    pub address: String,
    cookies: Arc<reqwest::cookie::Jar>,
}

impl Browser {
    fn new(address: &str) -> Self {
        Self::with_user_agent(address, None)
    }

    fn with_user_agent(address: &str, user_agent: Option<&str>) -> Self {
        let cookies = Arc::new(reqwest::cookie::Jar::default());
        let mut client = reqwest::Client::builder()
            .cookie_provider(cookies.clone())
            .redirect(reqwest::redirect::Policy::none());
        if let Some(user_agent) = user_agent {
            client = client.user_agent(user_agent);
        }
        let client = client.build().expect("a reqwest client");
        Self {
            client,
            address: address.to_owned(),
            cookies,
        }
    }

    /// The names of the cookies this browser would send.
    pub fn cookie_names(&self) -> Vec<String> {
        use reqwest::cookie::CookieStore as _;
        let url = self.address.parse().expect("the app's address is a URL");
        let Some(header) = self.cookies.cookies(&url) else {
            return Vec::new();
        };
        let header = header.to_str().expect("cookies are ASCII").to_owned();
        header
            .split("; ")
            .filter_map(|pair| pair.split_once('=').map(|(name, _)| name.to_owned()))
            .collect()
    }

    /// Sets a cookie as if the server had (a forged one, say).
    pub fn add_cookie(&self, name: &str, value: &str) {
        let url = self.address.parse().expect("the app's address is a URL");
        self.cookies.add_cookie_str(&format!("{name}={value}; Path=/"), &url);
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, format!("{}{path}", self.address))
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path)
            .send()
            .await
            .expect("the GET request is answered")
    }

    pub async fn post_json(&self, path: &str, body: Value) -> Response {
        self.request(Method::POST, path)
            .json(&body)
            .send()
            .await
            .expect("the POST request is answered")
    }

    /// A POST with any body and content type (or none).
    pub async fn post_raw(&self, path: &str, content_type: Option<&str>, body: impl Into<reqwest::Body>) -> Response {
        let mut request = self.request(Method::POST, path).body(body);
        if let Some(content_type) = content_type {
            request = request.header(CONTENT_TYPE, content_type);
        }
        request.send().await.expect("the POST request is answered")
    }

    pub async fn login(&self, username: &str, password: &str) -> Response {
        self.post_json("/api/v1/login", json!({"username": username, "password": password}))
            .await
    }

    pub async fn login_mfa(&self, code: &str) -> Response {
        self.post_json("/api/v1/login/mfa", json!({"code": code})).await
    }

    /// The pending login asks for a code by e-mail.
    pub async fn send_email_code(&self) -> Response {
        self.request(Method::POST, "/api/v1/login/mfa/email")
            .send()
            .await
            .expect("the request for a code is answered")
    }

    /// "This wasn't me", with the token of a notice's link.
    pub async fn not_me(&self, token: &str) -> Response {
        self.post_json("/api/v1/not-me", json!({"token": token})).await
    }

    pub async fn logout(&self) -> Response {
        self.request(Method::POST, "/api/v1/logout")
            .send()
            .await
            .expect("the logout is answered")
    }

    pub async fn me(&self) -> Response {
        self.get("/api/v1/me").await
    }

    /// A GET expected to succeed; answers the JSON body.
    pub async fn get_ok(&self, path: &str) -> Value {
        expect_ok(self.get(path).await).await
    }

    /// The User Panel's login: the code appended to the password.
    pub async fn login_combined(&self, username: &str, password_and_code: &str) -> Response {
        self.post_json(
            "/api/v1/login/combined",
            json!({"username": username, "password_and_code": password_and_code}),
        )
        .await
    }

    /// `GET /api/v1/me`, expected to succeed.
    pub async fn me_ok(&self) -> Value {
        expect_ok(self.me().await).await
    }
}

/// The session token a response sets, if it sets one (an empty value clears it).
pub fn session_token_set_by(response: &Response) -> Option<String> {
    session_set_cookie(response).map(|header| {
        let pair = header.split(';').next().unwrap_or_default();
        pair.trim_start_matches(SESSION_COOKIE)
            .trim_start_matches('=')
            .to_owned()
    })
}

/// The whole `Set-Cookie` header for the session cookie, attributes included.
pub fn session_set_cookie(response: &Response) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{SESSION_COOKIE}=")))
        .map(str::to_owned)
}

/// Asserts a 200 and answers the JSON body.
pub async fn expect_ok(response: Response) -> Value {
    let status = response.status();
    let url = response.url().path().to_owned();
    let body = response.text().await.expect("a response body");
    assert_eq!(status, StatusCode::OK, "{url}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{url}: not JSON ({e}): {body}"))
}

/// Asserts the status, whatever the body.
pub async fn assert_status(response: Response, expected: StatusCode) {
    let status = response.status();
    let url = response.url().path().to_owned();
    let body = response.text().await.unwrap_or_default();
    assert_eq!(status, expected, "{url}: {body}");
}

/// Asserts an API error: this status, this `error.code`, some message.
/// Answers the headers, for the callers that look at Retry-After.
pub async fn assert_error(response: Response, status: StatusCode, code: &str) -> reqwest::header::HeaderMap {
    let headers = response.headers().clone();
    let url = response.url().path().to_owned();
    let (actual_status, body) = error_body(response).await;
    assert_eq!(
        (actual_status, body["error"]["code"].as_str()),
        (status, Some(code)),
        "{url}: {body}"
    );
    headers
}

/// The status and JSON body of an error; asserts the `{"error":{"code","message"}}` shape.
pub async fn error_body(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let url = response.url().path().to_owned();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = response.text().await.expect("a response body");
    assert!(
        content_type.starts_with("application/json"),
        "{url} {status}: content type {content_type:?}: {text}"
    );
    let body: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url} {status}: not JSON ({e}): {text}"));
    let code = body["error"]["code"].as_str().unwrap_or_default();
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        !code.is_empty() && !message.is_empty(),
        "{url} {status}: not an API error: {body}"
    );
    (status, body)
}

/// The Retry-After header, in seconds.
/// The value of the header `name`, when it has one in ASCII.
pub fn header_of(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.parse().ok()
}

/// Two customers, each with a package and a mailbox login, and an
/// administrator; every password is [`PASSWORD`]. Ids by role.
#[derive(Debug, Clone, Copy)]
pub struct Logins {
    pub customer: i32,
    pub package: i32,
    pub mailbox: i32,
    pub other_customer: i32,
    pub other_package: i32,
    pub other_mailbox: i32,
    pub admin: i32,
}

/// Usernames of [`Logins`].
pub const CUSTOMER: &str = "c10001";
pub const PACKAGE: &str = "web1.c10001";
pub const MAILBOX: &str = "info@example.com";
pub const OTHER_CUSTOMER: &str = "c20002";
pub const OTHER_PACKAGE: &str = "web1.c20002";
pub const OTHER_MAILBOX: &str = "info@other.example";
pub const ADMIN: &str = "admin";

impl TestApp {
    /// Creates the [`Logins`].
    pub async fn two_customers(&self) -> Logins {
        use AccountKind::{Admin, Customer, Mailbox, Package};
        Logins {
            customer: self.create_login(Customer, CUSTOMER, None).await,
            package: self.create_login(Package, PACKAGE, Some(CUSTOMER)).await,
            mailbox: self.create_login(Mailbox, MAILBOX, Some(CUSTOMER)).await,
            other_customer: self.create_login(Customer, OTHER_CUSTOMER, None).await,
            other_package: self.create_login(Package, OTHER_PACKAGE, Some(OTHER_CUSTOMER)).await,
            other_mailbox: self.create_login(Mailbox, OTHER_MAILBOX, Some(OTHER_CUSTOMER)).await,
            admin: self.create_login(Admin, ADMIN, None).await,
        }
    }
}

/// The usernames in a `GET /api/v1/accounts` answer, in its order.
pub fn usernames_in(list: &Value) -> Vec<String> {
    list["accounts"]
        .as_array()
        .expect("the answer lists accounts")
        .iter()
        .map(|a| a["username"].as_str().expect("a username").to_owned())
        .collect()
}

/// Sends the requests all at once; answers status and body of each, in order.
pub async fn race_requests(requests: Vec<RequestBuilder>) -> Vec<(StatusCode, serde_json::Value)> {
    let barrier = Arc::new(Barrier::new(requests.len()));
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|request| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let response = request.send().await.expect("the request is answered");
                let status = response.status();
                let body = response.json::<serde_json::Value>().await.unwrap_or_default();
                (status, body)
            })
        })
        .collect();
    let mut answers = Vec::with_capacity(tasks.len());
    for task in tasks {
        answers.push(task.await.expect("the request task finishes"));
    }
    answers
}

impl TestApp {
    /// Runs the real `tessera` binary against this app's database; answers
    /// its exit status, standard output and standard error.
    pub async fn tessera(&self, args: &[&str]) -> (std::process::ExitStatus, String, String) {
        self.tessera_with_input(args, "").await
    }

    /// [`Self::tessera`], with `input` on its standard input.
    pub async fn tessera_with_input(&self, args: &[&str], input: &str) -> (std::process::ExitStatus, String, String) {
        use std::io::Write as _;
        use std::process::Stdio;
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"));
        command
            .arg("--database-url")
            .arg(&self.database_url)
            .arg("--secret-key-file")
            .arg(&self.key_file)
            .args(args)
            .env_remove("TESSERA_DATABASE_URL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let input = input.to_owned();
        let output = tokio::task::spawn_blocking(move || {
            let mut child = command.spawn()?;
            if let Some(mut stdin) = child.stdin.take() {
                stdin.write_all(input.as_bytes())?;
            }
            child.wait_with_output()
        })
        .await
        .expect("the command line runs to its end")
        .expect("the tessera binary starts");
        (
            output.status,
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    /// Rows in `table` whose `account_id` is `account_id`, read straight from the database.
    pub async fn rows_of(&self, table: &str, account_id: i32) -> i64 {
        use sea_orm::Statement;
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                self.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table} WHERE account_id = {account_id}"),
            ))
            .await
            .expect("the table can be read")
            .expect("COUNT answers a row");
        row.try_get("", "n").expect("a count")
    }
}

impl TestApp {
    /// The one value (column `v`) of one row `sql` selects, read straight from the database.
    pub async fn sql_value<T: sea_orm::TryGetable>(&self, sql: &str) -> T {
        use sea_orm::Statement;
        let row = self
            .db
            .query_one_raw(Statement::from_string(self.db.get_database_backend(), sql.to_owned()))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .unwrap_or_else(|| panic!("{sql}: no row"));
        row.try_get("", "v").unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Runs `sql` straight on the database: a schema change that breaks the server, say.
    pub async fn sql_exec(&self, sql: &str) {
        self.db
            .execute_unprepared(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Every row of the `notices` table (the outbox), by id.
    pub async fn notices(&self) -> Vec<NoticeRow> {
        use sea_orm::Statement;
        let rows = self
            .db
            .query_all_raw(Statement::from_string(
                self.db.get_database_backend(),
                "SELECT id, account_id, kind, created_at, attempts, next_attempt_at, sent_at, last_error \
                 FROM notices ORDER BY id",
            ))
            .await
            .expect("the notices can be read");
        rows.iter()
            .map(|row| NoticeRow {
                id: row.try_get("", "id").expect("id"),
                account_id: row.try_get("", "account_id").expect("account_id"),
                kind: row.try_get("", "kind").expect("kind"),
                created_at: row.try_get("", "created_at").expect("created_at"),
                attempts: row.try_get("", "attempts").expect("attempts"),
                next_attempt_at: row.try_get("", "next_attempt_at").expect("next_attempt_at"),
                sent_at: row.try_get("", "sent_at").expect("sent_at"),
                last_error: row.try_get("", "last_error").expect("last_error"),
            })
            .collect()
    }

    /// Waits (up to 20 s) until `check` holds for the notices; answers them.
    pub async fn wait_for_notices(&self, what: &str, check: impl Fn(&[NoticeRow]) -> bool) -> Vec<NoticeRow> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let notices = self.notices().await;
            if check(&notices) {
                return notices;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "waited 20 s for notices {what}: {notices:#?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Waits until every queued notice is marked sent; answers them.
    pub async fn wait_until_notices_sent(&self) -> Vec<NoticeRow> {
        self.wait_for_notices("all sent", |notices| notices.iter().all(|n| n.sent_at.is_some()))
            .await
    }
}

/// A row of the `notices` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRow {
    pub id: i32,
    pub account_id: i32,
    pub kind: String,
    pub created_at: i64,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub sent_at: Option<i64>,
    pub last_error: Option<String>,
}

/// How nginx's mail proxy asks about one login (its `auth_http` request).
#[derive(Debug, Clone, Copy)]
pub struct MailLogin<'a> {
    pub user: &'a str,
    pub password: &'a str,
    /// `imap`, `pop3` or `smtp`.
    pub protocol: &'a str,
    pub client_ip: &'a str,
}

impl<'a> MailLogin<'a> {
    /// An IMAP login from 203.0.113.7.
    pub fn imap(user: &'a str, password: &'a str) -> Self {
        Self {
            user,
            password,
            protocol: "imap",
            client_ip: "203.0.113.7",
        }
    }
}

/// nginx's answer to one login: its `Auth-*` headers.
#[derive(Debug, Clone)]
pub struct MailAnswer {
    pub status: String,
    pub wait: Option<u64>,
    pub server: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub pass: Option<String>,
    pub error_code: Option<String>,
}

impl MailAnswer {
    pub fn is_ok(&self) -> bool {
        self.status == "OK"
    }
}

impl TestApp {
    /// Asks `/api/v1/mail/auth` as nginx's mail proxy does, with the secret.
    pub async fn ask_as_mail_proxy(&self, login: MailLogin<'_>) -> MailAnswer {
        let response = self
            .mail_proxy_request(login)
            .header("x-tessera-mail-secret", PROXY_SECRET)
            .send()
            .await
            .expect("the mail auth request is answered");
        assert_eq!(response.status(), StatusCode::OK, "nginx's protocol answers 200");
        let header = |name: &str| header_of(&response, name);
        MailAnswer {
            status: header("auth-status").expect("an Auth-Status header"),
            wait: header("auth-wait").and_then(|w| w.parse().ok()),
            server: header("auth-server"),
            port: header("auth-port").and_then(|p| p.parse().ok()),
            user: header("auth-user"),
            pass: header("auth-pass"),
            error_code: header("auth-error-code"),
        }
    }

    /// The request nginx sends for `login`, without the secret; URL-escaped
    /// as nginx escapes (`%`, space and control characters).
    pub fn mail_proxy_request(&self, login: MailLogin<'_>) -> RequestBuilder {
        let escape = |s: &str| s.replace('%', "%25").replace(' ', "%20");
        reqwest::Client::new()
            .get(format!("{}/api/v1/mail/auth", self.address))
            .header("auth-method", "plain")
            .header("auth-user", escape(login.user))
            .header("auth-pass", escape(login.password))
            .header("auth-protocol", login.protocol)
            .header("auth-login-attempt", "1")
            .header("client-ip", login.client_ip)
    }

    /// A mailbox login (no 2FA) owned by a new customer `c90009`; answers its id.
    pub async fn create_mailbox(&self, address: &str) -> i32 {
        if accounts::find_by_username(&self.db, &Username::parse("c90009").expect("a username"))
            .await
            .expect("the accounts can be read")
            .is_none()
        {
            self.create_login(AccountKind::Customer, "c90009", None).await;
        }
        self.create_login(AccountKind::Mailbox, address, Some("c90009")).await
    }
}

impl Browser {
    /// Creates an app password for the logged-in mailbox; answers the response.
    pub async fn create_app_password(&self, name: &str, protocols: &[&str], code: Option<&str>) -> Response {
        let mut body = json!({"name": name, "protocols": protocols, "password": PASSWORD});
        if let Some(code) = code {
            body["code"] = json!(code);
        }
        self.post_json("/api/v1/me/app-passwords", body).await
    }

    /// [`Self::create_app_password`], expected to succeed; answers the secret.
    pub async fn new_app_password(&self, name: &str, protocols: &[&str], code: Option<&str>) -> String {
        let response = self.create_app_password(name, protocols, code).await;
        let status = response.status();
        let body: Value = response.json().await.expect("a JSON answer");
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["password"].as_str().expect("the new password").to_owned()
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.request(Method::DELETE, path)
            .send()
            .await
            .expect("the DELETE request is answered")
    }
}
