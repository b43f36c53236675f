//! `/webmail`: the webmail surface. E-mail address and password; with 2FA the
//! code is asked in a pop-up over the login form. After login, a webmail-style
//! landing page whose user menu leads to My account > Account > MFA.

use leptos::prelude::*;

/// Placeholder until the page is built.
#[component]
pub fn WebmailLoginPage() -> impl IntoView {
    view! { <main class="page"><h1>"WebmailLoginPage"</h1></main> }
}

/// Placeholder until the page is built.
#[component]
pub fn WebmailHomePage() -> impl IntoView {
    view! { <main class="page"><h1>"WebmailHomePage"</h1></main> }
}

/// Placeholder until the page is built.
#[component]
pub fn WebmailAccountPage() -> impl IntoView {
    view! { <main class="page"><h1>"WebmailAccountPage"</h1></main> }
}
