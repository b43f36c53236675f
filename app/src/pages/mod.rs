//! The screens, one module each.

mod account;
mod admin;
mod login;
mod not_me;
mod packages;
mod setup_link;
mod user_panel;
mod webmail;

use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};

/// One lazy route per page: a build split with `cargo leptos build --split`
/// (or xtask's `split-wasm`) gives each page's code its own wasm chunks,
/// fetched when the page is first shown, so a phone opening the login page
/// downloads the login page and not the admin console. The server renders
/// the page as usual and links the chunks it needs for preloading.
macro_rules! lazy_pages {
    ($($(#[$doc:meta])* $route:ident => $page:path;)*) => {$(
        $(#[$doc])*
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                $page().into_any()
            }
        }
    )*};
}

/// Fetches the chunks of `R`, the page a login form leads to, once this page
/// is live, so that arriving there after the login waits for no download:
/// the bandwidth is idle while the user types. In an effect, so only in the
/// browser: on the server the call would add `R`'s chunks to this page's
/// preloads, ahead of what the form needs.
fn prefetch<R: LazyRoute>() {
    Effect::new(|_| leptos::task::spawn_local(R::preload()));
}

lazy_pages! {
    /// `/`
    Login => login::LoginPage;
    /// `/account`
    Account => account::AccountPage;
    /// `/packages`
    Packages => packages::PackagesPage;
    /// `/admin`
    Admin => admin::AdminPage;
    /// `/webmail`
    WebmailLogin => webmail::WebmailLoginPage;
    /// `/webmail/inbox`
    WebmailHome => webmail::WebmailHomePage;
    /// `/webmail/account`
    WebmailAccount => webmail::WebmailAccountPage;
    /// `/user-panel`
    UserPanelLogin => user_panel::UserPanelLoginPage;
    /// `/user-panel/home`
    UserPanelHome => user_panel::UserPanelHomePage;
    /// `/this-wasnt-me`
    NotMe => not_me::NotMePage;
    /// `/setup`
    SetupLink => setup_link::SetupLinkPage;
}

/// Any path the router does not know.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="page narrow">
            <h1>"Page not found"</h1>
            <p><a href="/">"Go to the login page"</a></p>
        </main>
    }
}
