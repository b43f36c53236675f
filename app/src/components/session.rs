//! Pages that need a session: what they show, and where they send the
//! browser, once the API says there is none.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api::MeResponse;
use crate::client::ClientError;

/// Sends the browser back to `login` once the API says the session is gone
/// (logged out, expired, or never there). Navigating is a side effect, so it
/// runs in an effect rather than while rendering.
pub fn redirect_when_logged_out(me: LocalResource<Result<MeResponse, ClientError>>, login: &'static str) {
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Err(e)) = me.get()
            && e.is_not_logged_in()
        {
            navigate(login, Default::default());
        }
    });
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
