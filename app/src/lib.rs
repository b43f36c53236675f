//! Tessera's web UI (Leptos, rendered on the server and hydrated in the
//! browser), its REST client, and the types and rules shared with the server.
//!
//! - [`domain`]: input rules, no Leptos, compiled for wasm32 and the server.
//! - [`api`]: the REST API's wire types.
//! - `client`: the browser's calls to the REST API (the UI's only way in).
//! - `pages`, `components`: the screens.

pub mod api;
pub mod client;
mod components;
pub mod domain;
mod pages;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

/// The HTML document the server renders around [`App`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                // `output_name` carries the bundle's content hash (server/src/assets.rs).
                <link rel="stylesheet" id="tessera" href=format!("/pkg/{}.css", options.output_name) />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The root component: the four surfaces and their pages.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title text="Tessera" />
        <Router>
            <Routes fallback=pages::NotFound>
                <Route path=path!("/") view=pages::LoginPage />
                <Route path=path!("/account") view=pages::AccountPage />
                <Route path=path!("/packages") view=pages::PackagesPage />
                <Route path=path!("/admin") view=pages::AdminPage />
                <Route path=path!("/webmail") view=pages::WebmailLoginPage />
                <Route path=path!("/webmail/inbox") view=pages::WebmailHomePage />
                <Route path=path!("/webmail/account") view=pages::WebmailAccountPage />
                <Route path=path!("/user-panel") view=pages::UserPanelLoginPage />
                <Route path=path!("/user-panel/home") view=pages::UserPanelHomePage />
                <Route path=path!("/this-wasnt-me") view=pages::NotMePage />
                <Route path=path!("/setup") view=pages::SetupLinkPage />
            </Routes>
        </Router>
    }
}
