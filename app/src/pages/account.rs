//! `/account`: My Account, with the two-factor authentication section and
//! its dialogs (enable, disable, new recovery codes), the way on to Package
//! Management or the admin console, and the login's recent security events.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::api::{ActiveFactor, MeResponse};
use crate::client;
use crate::components::{
    Brand, ChangePassword, IdleWarning, MfaSection, MyEvents, MySessions, OwnMfaDialog, OwnMfaDialogs,
    redirect_when_logged_out, signed_in,
};
use crate::domain::AccountKind;

/// My Account.
#[component]
pub fn AccountPage() -> impl IntoView {
    let me = LocalResource::new(client::me);
    let changes = RwSignal::new(0_u32);
    let dialog = RwSignal::new(OwnMfaDialog::None);
    let navigate = use_navigate();
    redirect_when_logged_out(me, "/");

    let close = Callback::new(move |changed: bool| {
        dialog.set(OwnMfaDialog::None);
        if changed {
            me.refetch();
            // The change is itself a security event.
            changes.update(|n| *n += 1);
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
                <Brand />
                <button type="button" class="secondary" on:click=log_out>"Log out"</button>
            </header>
            <h1>"My Account"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || me.get().map(|result| signed_in(result, |me| view! {
                    <AccountDetails me dialog />
                    <section class="card" aria-labelledby="sessions-title">
                        <h2 id="sessions-title">"Where you are logged in"</h2>
                        <MySessions />
                    </section>
                    <RecentEvents changes />
                }.into_any()))}
            </Suspense>
            <OwnMfaDialogs open=dialog close />
            <IdleWarning me login="/" />
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
            <ChangePassword factor=me.mfa.active />
            <ManagedLoginsLink kind=me.kind />
        </section>
        {(me.kind == AccountKind::Admin && me.mfa.active == ActiveFactor::None).then(|| view! {
            <div class="warning admin-nudge" role="status">
                <p>
                    <strong>"Your administrator login has no two-factor authentication."</strong>
                    " It can deactivate anyone's: protect it with an authenticator app."
                </p>
                <button type="button" on:click=move |_| dialog.set(OwnMfaDialog::Enable)>
                    "Activate two-factor authentication"
                </button>
            </div>
        })}
        <section class="card" aria-labelledby="mfa-title">
            <h2 id="mfa-title">"Two-factor authentication"</h2>
            <MfaSection mfa=me.mfa dialog via_recovery_code=me.via_recovery_code />
        </section>
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
fn RecentEvents(changes: RwSignal<u32>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="events-title">
            <h2 id="events-title">"Recent security events"</h2>
            <MyEvents changes login="/" />
        </section>
    }
}
