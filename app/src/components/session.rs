//! Pages that need a session: what they show, and where they send the
//! browser, once the API says there is none.

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};

use crate::api::{MeResponse, PostedLogin};
use crate::client::ClientError;
use crate::domain::{login_leading_to, return_path};

/// Sends the browser back to `login` once the API says the session is gone
/// (logged out, expired, or never there), with the page it was on as
/// `?next=`, so the login leads back to it. Navigating is a side effect, so
/// it runs in an effect rather than while rendering.
pub fn redirect_when_logged_out(me: LocalResource<Result<MeResponse, ClientError>>, login: &'static str) {
    let to_login = use_to_login(login);
    Effect::new(move |_| {
        if let Some(Err(e)) = me.get()
            && e.is_not_logged_in()
        {
            to_login();
        }
    });
}

/// Goes to `login`, leading back to the page the browser is on.
pub fn use_to_login(login: &'static str) -> impl Fn() + Clone + 'static {
    let navigate = use_navigate();
    let location = use_location();
    move || {
        let search = location.search.get_untracked();
        let here = match search.trim_start_matches('?') {
            "" => location.pathname.get_untracked(),
            query => format!("{}?{query}", location.pathname.get_untracked()),
        };
        navigate(&login_leading_to(login, &here), Default::default());
    }
}

/// What a login form the browser posted itself (before the WebAssembly was
/// live) left in this page's query, read alike on the server and while
/// hydrating, so both render the same step, message and username.
pub fn use_posted_login() -> PostedLogin {
    PostedLogin::from_query(&use_location().search.get_untracked())
}

/// Where a login page goes once logged in: its `?next=` when that is a page
/// of this site, else `default`.
pub fn use_next_page(default: &'static str) -> impl Fn() -> String + Clone + Send + Sync + 'static {
    let query = use_query_map();
    move || {
        query
            .with_untracked(|q| q.get("next").as_deref().and_then(return_path).map(str::to_owned))
            .unwrap_or_else(|| default.to_owned())
    }
}

/// A signed-in page's content for the `me` answer: the page, a note while the
/// redirect to the login form happens, or the error (a network failure, say).
pub fn signed_in(result: Result<MeResponse, ClientError>, page: impl FnOnce(MeResponse) -> AnyView) -> AnyView {
    match result {
        Ok(me) => page(me),
        Err(e) if e.is_not_logged_in() => {
            view! { <p class="muted">"Your session has ended. Redirecting to the login page…"</p> }.into_any()
        }
        Err(e) => view! { <p class="error-note" role="alert">{e.message}</p> }.into_any(),
    }
}
