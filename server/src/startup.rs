//! Building the application: database, state, routes, listener.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use app::{App, shell};
use axum::Router;
use axum::http::StatusCode;
use axum::http::{HeaderValue, header};
use axum::routing::get;
use axum::{Json, extract::State};
use leptos::config::LeptosOptions;
use leptos_axum::{LeptosRoutes, generate_route_list};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::api::{self, ApiError, AppState};
use crate::assets::Bundle;
use crate::clock::Clock;
use crate::config::{Settings, default_secret_key_file};
use crate::database;
use crate::service::mail::Mailer;
use crate::service::totp::Totp;
use crate::service::{PasswordHasher, accounts, housekeeping, notices, sealed};

/// A built Tessera, bound to its port, not yet serving.
pub struct Application {
    listener: TcpListener,
    router: Router,
    db: DatabaseConnection,
    clock: Clock,
    /// What the sweeper removes.
    ages: housekeeping::Ages,
    outbox: Option<Outbox>,
}

/// What the outbox worker needs; it runs while the application serves.
struct Outbox {
    mailer: Mailer,
    base_url: Arc<str>,
    clock: Clock,
    every: Duration,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = database::connect(&settings.database_url).await?;
        let key_file = match &settings.secret_key_file {
            Some(file) => file.clone(),
            None => default_secret_key_file(&settings.database_url)
                .context("--secret-key-file: needed with PostgreSQL (give every instance the same file)")?,
        };
        let keys = Arc::new(sealed::open_keys(&db, &key_file).await?);
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("binding {}", settings.listen))?;
        let mailer = match &settings.mail {
            Some(mail) => {
                tracing::info!(smtp = %database::redact(&mail.smtp_url), from = %mail.from, "mail is on");
                Some(Mailer::new(mail)?)
            }
            None => {
                let exposed = accounts::count_on_email_codes(&db).await?;
                tracing::warn!(
                    logins_on_email_codes = exposed,
                    "mail is off (no --smtp-url): e-mailed codes are not offered, so the logins that use them \
                     need their password only; security notices wait in the outbox until mail is on"
                );
                None
            }
        };
        if mailer.is_some() && settings.public_origin.is_none() {
            let served = listener.local_addr()?;
            if served.ip().is_unspecified() {
                tracing::warn!(
                    "links in mails would point to http://{served}; set --public-origin to the address users know"
                );
            } else {
                tracing::info!("links in mails point to http://{served} (--public-origin changes that)");
            }
        }
        // Where links in mails point: the public origin, else the address served.
        let base_url: Arc<str> = match &settings.public_origin {
            Some(origin) => origin.as_str().into(),
            None => format!("http://{}", listener.local_addr()?).into(),
        };
        let outbox = mailer.clone().map(|mailer| Outbox {
            mailer,
            base_url: base_url.clone(),
            clock: settings.clock.clone(),
            every: settings.outbox_every,
        });
        match &settings.mail_auth {
            Some(mail) => tracing::info!(
                imap = ?mail.backends.imap,
                pop3 = ?mail.backends.pop3,
                smtp = ?mail.backends.smtp,
                proxies = ?mail.proxies,
                require_app_passwords = mail.require_app_passwords,
                "mail authentication is on (/api/v1/mail/auth)"
            ),
            None => tracing::info!("mail authentication is off (no --mail-auth-secret-file)"),
        }
        let bundle = Bundle::load(&settings.site_root);
        let site_root = settings.site_root.to_string_lossy().into_owned();
        let leptos = LeptosOptions::builder()
            .output_name("tessera")
            .site_root(site_root)
            .site_pkg_dir("pkg")
            .site_addr(listener.local_addr()?)
            .build();
        let state = AppState {
            db: db.clone(),
            hasher: PasswordHasher::new()?,
            totp: Arc::new(Totp {
                policy: settings.totp,
                keys: keys.clone(),
            }),
            keys,
            guessing: settings.guessing,
            session_idle: settings.session_idle,
            clock: settings.clock.clone(),
            secure_cookies: settings.secure_cookies,
            public_origin: settings.public_origin.map(Into::into),
            trusted_proxies: settings.trusted_proxies.into(),
            mailer: mailer.map(Arc::new),
            links_base: base_url,
            mail_auth: settings.mail_auth.map(Arc::new),
            mail_failures: Arc::default(),
            mail_clients: settings.mail_clients.into(),
            leptos: leptos.clone(),
        };
        let pages = generate_route_list(App);
        let page_shell = {
            let (leptos, root) = (leptos.clone(), bundle.root.clone());
            move || shell(leptos.clone(), root.clone())
        };
        let error_shell = {
            let root = bundle.root.clone();
            move |options| shell(options, root.clone())
        };
        let router = Router::new()
            .route("/healthz", get(healthz))
            .merge(api::router(state.clone()))
            .merge(bundle.routes())
            .leptos_routes(&state, pages, page_shell)
            .fallback(leptos_axum::file_and_error_handler::<AppState, _>(error_shell));
        let router = with_security_headers(router, state.secure_cookies)
            .layer(TraceLayer::new_for_http())
            .layer(CatchPanicLayer::custom(|_| {
                tracing::error!("a request handler panicked");
                axum::response::IntoResponse::into_response(ApiError::internal())
            }))
            .with_state(state);
        Ok(Self {
            listener,
            router,
            db,
            clock: settings.clock,
            ages: housekeeping::Ages {
                session_idle: settings.session_idle,
                retention: settings.retention_days * 86_400,
            },
            outbox,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map_or(0, |a| a.port())
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Serves, and delivers the outbox, until the process gets Ctrl-C or SIGTERM.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        // Aborted when serving ends, or when this future is dropped.
        let _sweeper = AbortOnDrop(housekeeping::spawn(
            self.db.clone(),
            self.clock.clone(),
            self.ages,
            housekeeping::EVERY,
        ));
        let _worker = self.outbox.map(|o| {
            AbortOnDrop(notices::spawn_worker(
                self.db.clone(),
                o.mailer,
                o.base_url,
                o.clock,
                o.every,
            ))
        });
        let router = self
            .router
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(self.listener, router)
            .with_graceful_shutdown(shutdown_signal())
            .await
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = terminate => {} }
}

/// `GET /healthz`: 200 when the database answers.
async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, Json(serde_json::json!({"status": "ok"}))),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "database unreachable"})),
            )
        }
    }
}

/// What every answer, page or API, tells the browser: never to show it in
/// another site's frame (the 2FA dialogs and "This wasn't me" cannot be
/// clickjacked), not to guess content types, to send no `Referer` (the "This
/// wasn't me" page must not leak its link), and, behind https, to come back
/// only over https.
fn with_security_headers(router: Router<AppState>, https: bool) -> Router<AppState> {
    let set = |name, value| SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value));
    let router = router
        .layer(set(
            header::CONTENT_SECURITY_POLICY,
            "frame-ancestors 'none'; base-uri 'none'; object-src 'none'; form-action 'self'",
        ))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
        .layer(set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(set(header::REFERRER_POLICY, "no-referrer"));
    if https {
        router.layer(set(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"))
    } else {
        router
    }
}
