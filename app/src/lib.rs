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
use leptos_router::{Lazy, path};

/// The HTML document the server renders around [`App`]. `bundle` is where
/// the site's `pkg/` is served, a path that names its content
/// (`/bundle/3f9a…c1`, see server/src/assets.rs), or `""` for plain `/pkg/`.
pub fn shell(options: LeptosOptions, bundle: String) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <link rel="stylesheet" id="tessera" href=format!("{bundle}/{}/{}.css", options.site_pkg_dir, options.output_name) />
                <AutoReload options=options.clone() />
                <HydrationScripts options root=bundle />
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
                <Route path=path!("/") view={Lazy::<pages::Login>::new()} />
                <Route path=path!("/account") view={Lazy::<pages::Account>::new()} />
                <Route path=path!("/packages") view={Lazy::<pages::Packages>::new()} />
                <Route path=path!("/admin") view={Lazy::<pages::Admin>::new()} />
                <Route path=path!("/webmail") view={Lazy::<pages::WebmailLogin>::new()} />
                <Route path=path!("/webmail/inbox") view={Lazy::<pages::WebmailHome>::new()} />
                <Route path=path!("/webmail/account") view={Lazy::<pages::WebmailAccount>::new()} />
                <Route path=path!("/user-panel") view={Lazy::<pages::UserPanelLogin>::new()} />
                <Route path=path!("/user-panel/home") view={Lazy::<pages::UserPanelHome>::new()} />
                <Route path=path!("/this-wasnt-me") view={Lazy::<pages::NotMe>::new()} />
                <Route path=path!("/setup") view={Lazy::<pages::SetupLink>::new()} />
            </Routes>
        </Router>
    }
}
