//! The login forms as the browser posts them itself: in a slow phone's first
//! seconds, before the WebAssembly is live, or without it. The same steps as
//! the JSON endpoints in `auth.rs`, answered with a 303: on to the next page,
//! or back to the login page with a [`PostedLogin`] query, which the page
//! reads to show the code step or the refusal. A login that takes an
//! e-mailed code gets its first one from here, as the page would ask for it
//! only once live. Behind the API's layers, so a form posted from another
//! site is refused (CSRF).

use app::api::{ActiveFactor, ErrorCode, PostedLogin};
use app::domain::return_path;
use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, post};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::extract::PendingLogin;
use super::{ApiError, AppState, auth};
use crate::service::audit::Trail;
use crate::service::{accounts, email_codes};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(CONTROL_PANEL.login, form(CONTROL_PANEL))
        .route(WEBMAIL.login, form(WEBMAIL))
        .route(USER_PANEL.login, form(USER_PANEL))
}

/// A login page and how its form works.
#[derive(Clone, Copy)]
struct Surface {
    login: &'static str,
    /// Where a login goes without a `next`.
    home: &'static str,
    /// The password with the code appended, in one step (the User Panel).
    one_step: bool,
}

const CONTROL_PANEL: Surface = Surface {
    login: "/",
    home: "/account",
    one_step: false,
};
const WEBMAIL: Surface = Surface {
    login: "/webmail",
    home: "/webmail/inbox",
    one_step: false,
};
const USER_PANEL: Surface = Surface {
    login: "/user-panel",
    home: "/user-panel/home",
    one_step: true,
};

/// The fields of the three forms: the mailbox surfaces call the username
/// `email`, and webmail's code field is `wm-code`.
#[derive(Debug, Default, Deserialize)]
struct Fields {
    #[serde(alias = "email")]
    username: Option<String>,
    password: Option<String>,
    #[serde(alias = "wm-code")]
    code: Option<String>,
}

/// The form of `surface`, posted.
fn form(surface: Surface) -> MethodRouter<AppState> {
    post(
        move |state: State<AppState>,
              jar: CookieJar,
              pending: Result<PendingLogin, ApiError>,
              trail: Trail,
              query: RawQuery,
              form: Result<Form<Fields>, FormRejection>| {
            posted(surface, state, jar, pending, trail, query, form)
        },
    )
}

/// One posted form: a password (with the code appended on the User Panel),
/// or the code of the step after it.
async fn posted(
    surface: Surface,
    State(state): State<AppState>,
    jar: CookieJar,
    pending: Result<PendingLogin, ApiError>,
    trail: Trail,
    RawQuery(query): RawQuery,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    // A body that is not a form of ours is a form with nothing filled in.
    let fields = form.map(|Form(fields)| fields).unwrap_or_default();
    let asked = PostedLogin::from_query(query.as_deref().unwrap_or_default());
    let next = asked.next.filter(|n| return_path(n).is_some());
    let back = |mfa: Option<ActiveFactor>, error: Option<ErrorCode>, username: Option<String>| {
        let state = PostedLogin {
            mfa,
            error,
            username,
            next: next.clone(),
        };
        Redirect::to(&state.url(surface.login))
    };
    let onward = Redirect::to(next.as_deref().unwrap_or(surface.home));
    let username = fields.username.unwrap_or_default();
    let password = fields.password.unwrap_or_default();

    if let Some(code) = fields.code.filter(|_| !surface.one_step) {
        // The code step of a login whose password was right.
        let factor = asked.mfa.unwrap_or(ActiveFactor::App);
        let result = match &pending {
            Ok(pending) => auth::code_step(&state, jar, pending, &trail, &code).await,
            Err(_) => Err(ApiError::no_pending_login()),
        };
        return match result {
            Ok(jar) => (jar, onward).into_response(),
            Err(e) if e.code().ends_login() => back(None, Some(e.code()), None).into_response(),
            Err(e) => back(Some(factor), Some(e.code()), None).into_response(),
        };
    }
    let kept = Some(username.clone()).filter(|u| !u.is_empty());
    if surface.one_step {
        return match auth::combined_step(&state, jar, &trail, &username, &password).await {
            Ok(jar) => (jar, onward).into_response(),
            Err(e) => back(None, Some(e.code()), kept).into_response(),
        };
    }
    match auth::password_step(&state, jar, &trail, &username, &password).await {
        Ok((jar, logged_in)) => match logged_in.code_step() {
            None => (jar, onward).into_response(),
            Some(ActiveFactor::Email) => {
                // The page asks for the first code once it is live, so here
                // the server does: the browser may not have the app yet, or
                // run none. A failure shows on the code step, which can ask
                // for another.
                let sent = first_email_code(&state, logged_in.account_id, &trail).await;
                (jar, back(Some(ActiveFactor::Email), sent.err(), None)).into_response()
            }
            Some(factor) => (jar, back(Some(factor), None, None)).into_response(),
        },
        Err(e) => back(None, Some(e.code()), kept).into_response(),
    }
}

/// E-mails the first code of a login the browser posted the password of.
async fn first_email_code(state: &AppState, account_id: i32, trail: &Trail) -> Result<(), ErrorCode> {
    let account = accounts::get(&state.db, account_id)
        .await
        .map_err(|e| ApiError::from(e).code())?;
    auth::email_code(state, &account, email_codes::Purpose::Login, trail)
        .await
        .map(drop)
        .map_err(|e| e.code())
}
