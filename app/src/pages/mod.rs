//! The screens, one module each.

mod account;
mod admin;
mod login;
mod not_me;
mod packages;
mod setup_link;
mod user_panel;
mod webmail;

pub use account::AccountPage;
pub use admin::AdminPage;
pub use login::LoginPage;
pub use not_me::NotMePage;
pub use packages::PackagesPage;
pub use setup_link::SetupLinkPage;
pub use user_panel::{UserPanelHomePage, UserPanelLoginPage};
pub use webmail::{WebmailAccountPage, WebmailHomePage, WebmailLoginPage};

use leptos::prelude::*;

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
