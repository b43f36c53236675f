//! `/account`: My Account, with the two-factor authentication section and
//! its dialogs (enable, disable, new recovery codes), the way on to Package
//! Management or the admin console, and the login's recent security events.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::api::{ActiveFactor, MeResponse, MfaStatus, SecurityEventList};
use crate::client::{self, ClientError};
use crate::components::{OwnMfaDialog, OwnMfaDialogs, SecurityEvents, redirect_when_logged_out, signed_in};
use crate::domain::AccountKind;

/// My Account.
#[component]
pub fn AccountPage() -> impl IntoView {
    let me = LocalResource::new(client::me);
    let events = LocalResource::new(client::my_events);
    let dialog = RwSignal::new(OwnMfaDialog::None);
    let navigate = use_navigate();
    redirect_when_logged_out(me, "/");

    let close = Callback::new(move |changed: bool| {
        dialog.set(OwnMfaDialog::None);
        if changed {
            me.refetch();
            // The change is itself a security event.
            events.refetch();
        }
    });
    let log_out = {
        let navigate = navigate.clone();
        move |_| {
            let navigate = navigate.clone();
            spawn_local(async move {
                let _ = client::logout().await;
                navigate("/", Default::default());
            });
        }
    };

    view! {
        <main class="page">
            <header class="topbar">
                <span class="brand"><span class="logo" aria-hidden="true">"▦"</span>"Tessera"</span>
                <button type="button" class="secondary" on:click=log_out>"Log out"</button>
            </header>
            <h1>"My Account"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || me.get().map(|result| signed_in(result, |me| view! {
                    <AccountDetails me dialog />
                    <RecentEvents events />
                }.into_any()))}
            </Suspense>
            <OwnMfaDialogs open=dialog close />
        </main>
    }
}

/// The account's name, kind, the way to the logins it manages, and its MFA section.
#[component]
fn AccountDetails(me: MeResponse, dialog: RwSignal<OwnMfaDialog>) -> impl IntoView {
    let contact = me.mfa.contact_email.clone();
    view! {
        <section class="card">
            <dl class="facts">
                <dt>"Username"</dt><dd>{me.username.clone()}</dd>
                <dt>"Login type"</dt><dd>{me.kind.label()}</dd>
                {contact.map(|address| view! {
                    <dt>"E-mail for codes and notices"</dt><dd data-testid="contact-email">{address}</dd>
                })}
            </dl>
            <ManagedLoginsLink kind=me.kind />
        </section>
        <section class="card" aria-labelledby="mfa-title">
            <h2 id="mfa-title">"Two-factor authentication"</h2>
            <MfaState mfa=me.mfa dialog />
        </section>
    }
}

/// Which second factor is active, what it means, and the buttons that change it.
#[component]
fn MfaState(mfa: MfaStatus, dialog: RwSignal<OwnMfaDialog>) -> impl IntoView {
    let left = mfa.recovery_codes_left;
    let period = mfa.totp.period;
    let contact = mfa.contact_email.clone().unwrap_or_default();
    match mfa.active {
        ActiveFactor::App => view! {
            <p class="status" data-testid="mfa-method">
                <span class="badge on">"active"</span>
                " Logging in needs your password and a code from your authenticator app ("
                {period} "-second codes)."
            </p>
            <p class="muted" data-testid="recovery-codes-left">{format!("Recovery codes left: {left}")}</p>
            {mfa.email_codes.then(|| view! {
                <p class="muted">{format!("Deactivating it returns this login to codes sent by e-mail to {contact}.")}</p>
            })}
            <div class="actions">
                <button type="button" class="danger" on:click=move |_| dialog.set(OwnMfaDialog::Disable)>
                    {if mfa.email_codes { "Deactivate two-factor authentication" } else { "Disable two-factor authentication" }}
                </button>
                <button type="button" class="secondary" on:click=move |_| dialog.set(OwnMfaDialog::Regenerate)>
                    "New recovery codes"
                </button>
            </div>
        }
        .into_any(),
        ActiveFactor::Email => view! {
            <p class="status" data-testid="mfa-method">
                <span class="badge email">"active: codes by e-mail"</span>
                {format!(" Logging in needs your password and a 6-digit code we e-mail to {contact}, valid for 15 minutes.")}
            </p>
            <p>"An authenticator app is more secure. Switch whenever you like:"</p>
            <FactorComparison period />
            <button type="button" on:click=move |_| dialog.set(OwnMfaDialog::Enable)>
                "Activate two-factor authentication with an app"
            </button>
        }
        .into_any(),
        ActiveFactor::None => view! {
            <p class="status" data-testid="mfa-method">
                <span class="badge off">"inactive"</span>
                " Your password alone protects this login."
            </p>
            <button type="button" on:click=move |_| dialog.set(OwnMfaDialog::Enable)>
                "inactive – click to enable"
            </button>
        }
        .into_any(),
    }
}

/// The two second factors side by side, in short (help page 004).
#[component]
fn FactorComparison(period: u32) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="comparison" role="table">
                <caption class="visually-hidden">"Authenticator app and e-mailed codes compared"</caption>
                <thead>
                    <tr role="row"><th scope="col" role="columnheader"></th><th scope="col" role="columnheader">"Authenticator app (recommended)"</th><th scope="col" role="columnheader">"Codes by e-mail"</th></tr>
                </thead>
                <tbody>
                    <tr role="row"><th scope="row" role="rowheader">"Security"</th><td role="cell" data-label="Authenticator app">"Higher: codes are made on your phone"</td><td role="cell" data-label="Codes by e-mail">"Only as safe as your mailbox"</td></tr>
                    <tr role="row"><th scope="row" role="rowheader">"Without your inbox"</th><td role="cell" data-label="Authenticator app">"Works, offline too, on several devices"</td><td role="cell" data-label="Codes by e-mail">"Needs that one inbox"</td></tr>
                    <tr role="row"><th scope="row" role="rowheader">"Code"</th><td role="cell" data-label="Authenticator app">{format!("Right away; valid {period} seconds")}</td><td role="cell" data-label="Codes by e-mail">"Arrives by mail; valid 15 minutes"</td></tr>
                    <tr role="row"><th scope="row" role="rowheader">"Set-up"</th><td role="cell" data-label="Authenticator app">"An app on another device than the one you log in with"</td><td role="cell" data-label="Codes by e-mail">"Nothing to install"</td></tr>
                </tbody>
            </table>
        </div>
    }
}

/// Customers manage their package and mailbox logins, administrators every
/// login; package and mailbox logins manage none, so they get no link.
#[component]
fn ManagedLoginsLink(kind: AccountKind) -> impl IntoView {
    let (href, label, why) = match kind {
        AccountKind::Customer => (
            "/packages",
            "Package Management",
            "Two-factor authentication for your package and mailbox logins.",
        ),
        AccountKind::Admin => (
            "/admin",
            "Admin console",
            "Every login's two-factor authentication, and the security log.",
        ),
        AccountKind::Package | AccountKind::Mailbox => return ().into_any(),
    };
    view! {
        <p class="manage-link">
            <a class="button-link" href=href>{label}</a>
            <span class="muted">{why}</span>
        </p>
    }
    .into_any()
}

/// "Recent security events": the login's own newest events, so its user
/// notices a login or a 2FA change they did not make.
#[component]
fn RecentEvents(events: LocalResource<Result<SecurityEventList, ClientError>>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="events-title">
            <h2 id="events-title">"Recent security events"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || events.get().map(|result| match result {
                    Ok(list) => view! { <SecurityEvents events=list.events /> }.into_any(),
                    Err(e) => view! { <p class="error-note" role="alert">{e.message}</p> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}
