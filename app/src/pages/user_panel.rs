//! `/user-panel`: the mail provider's User Panel. One form; with 2FA the
//! current code is appended to the password.

use leptos::prelude::*;

/// Placeholder until the page is built.
#[component]
pub fn UserPanelLoginPage() -> impl IntoView {
    view! { <main class="page"><h1>"UserPanelLoginPage"</h1></main> }
}

/// Placeholder until the page is built.
#[component]
pub fn UserPanelHomePage() -> impl IntoView {
    view! { <main class="page"><h1>"UserPanelHomePage"</h1></main> }
}
