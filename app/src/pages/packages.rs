//! `/packages`: Package Management, where a customer sees its package and
//! mailbox logins and switches their 2FA on and off.
//!
//! The wording follows the control panel the customers know (seed 000): each
//! login's state is its button, "inactive – click to activate" or
//! "active – click to deactivate". The customer confirms with its *own*
//! password: the package or mailbox user is usually not at the keyboard.

use leptos::prelude::*;

use crate::api::{AccountFilter, AccountList, AccountSummary, MeResponse, MfaState};
use crate::client::{self, ClientError};
use crate::components::{
    AppPasswordsToggle, EnableDialog, ErrorNote, FlagBadge, FlagDismissed, Login, MfaTarget, Modal, SwitchOffDialog,
    TopBar, use_to_login,
};
use crate::domain::{AccountKind, format_duration};

/// Which dialog is open over the page.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Dialog {
    None,
    Activate(Login),
    Deactivate(Login),
    /// To the login's contact address.
    SendLink(Login, String),
}

/// What the page shows: the customer itself and the logins it owns.
#[derive(Debug, Clone)]
struct Managed {
    me: MeResponse,
    logins: AccountList,
}

/// Whose page this is.
#[derive(Debug, Clone)]
enum Viewer {
    Customer(Managed),
    /// Package, mailbox and administrator logins get an explanation instead.
    Other(AccountKind),
}

/// Both requests, so one refetch refreshes the whole page. Only a customer's
/// logins are asked for: an administrator's list would be every login, which
/// belongs in the admin console (and administrators do not set up 2FA for
/// others), and package and mailbox logins manage none.
async fn load() -> Result<Viewer, ClientError> {
    let me = client::me().await?;
    if me.kind != AccountKind::Customer {
        return Ok(Viewer::Other(me.kind));
    }
    let logins = client::accounts(&AccountFilter::default()).await?;
    Ok(Viewer::Customer(Managed { me, logins }))
}

/// Package Management.
#[component]
pub fn PackagesPage() -> impl IntoView {
    let managed = LocalResource::new(load);
    let dialog = RwSignal::new(Dialog::None);
    let done = RwSignal::new(None::<String>);
    let to_login = use_to_login("/");

    // Refreshed even when the enrolment was cancelled: once the password was
    // accepted, the login's set-up is pending and the list should say so.
    let close_activate = Callback::new(move |_changed: bool| {
        dialog.set(Dialog::None);
        managed.refetch();
    });
    let close_deactivate = Callback::new(move |switched_off: Option<String>| {
        dialog.set(Dialog::None);
        if let Some(username) = switched_off {
            done.set(Some(format!(
                "Two-factor authentication is now inactive for {username}."
            )));
            managed.refetch();
        }
    });
    provide_context(FlagDismissed(Callback::new(move |username: String| {
        done.set(Some(format!("The report on {username} is dismissed.")));
        managed.refetch();
    })));
    provide_context(AppPasswordsRow {
        expanded: RwSignal::new(None),
        changed: Callback::new(move |message: String| {
            done.set(Some(message));
            managed.refetch();
        }),
    });

    view! {
        <main class="page">
            <TopBar />
            <h1>"Package Management"</h1>
            <p role="status" class="done-note">{move || done.get()}</p>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || managed.get().map(|result| match result {
                    Ok(Viewer::Customer(m)) => view! { <ManagedLogins managed=m dialog done /> }.into_any(),
                    Ok(Viewer::Other(kind)) => view! { <NotACustomer kind /> }.into_any(),
                    Err(e) if e.is_not_logged_in() => {
                        to_login();
                        view! { <p class="muted">"Your session has ended. Redirecting to the login page…"</p> }.into_any()
                    }
                    // The login stopped being a customer between the two requests.
                    Err(e) if e.status == 404 => view! { <NotACustomer kind=AccountKind::Package /> }.into_any(),
                    Err(e) => view! { <p class="error-note" role="alert">{e.message}</p> }.into_any(),
                })}
            </Suspense>
            {move || match dialog.get() {
                Dialog::None => ().into_any(),
                Dialog::Activate(login) => view! {
                    <EnableDialog target=MfaTarget::Login { id: login.id, username: login.username } close=close_activate />
                }.into_any(),
                Dialog::Deactivate(login) => view! {
                    <SwitchOffDialog login close=close_deactivate
                        password_label="Your own password (customer login)" />
                }.into_any(),
                Dialog::SendLink(login, to) => view! {
                    <SendLinkDialog login to close=Callback::new(move |sent: Option<String>| {
                        dialog.set(Dialog::None);
                        if let Some(note) = sent {
                            done.set(Some(note));
                        }
                    }) />
                }.into_any(),
            }}
        </main>
    }
}

/// Whose app passwords are open in place, and what to do after a change.
#[derive(Clone, Copy)]
struct AppPasswordsRow {
    expanded: RwSignal<Option<i32>>,
    changed: Callback<String>,
}

/// What a package, mailbox or administrator login sees instead, and the way on.
#[component]
fn NotACustomer(kind: AccountKind) -> impl IntoView {
    view! {
        <section class="card">
            <p role="alert">
                "Package Management is for customer logins: only a customer's master login \
                 manages package and mailbox logins."
            </p>
            {(kind == AccountKind::Admin).then(|| view! {
                <p>"Administrators deactivate two-factor authentication for any login in the "<a href="/admin">"Admin console"</a>"."</p>
            })}
            <p><a href="/account">"Back to My Account"</a></p>
        </section>
    }
}

/// The master login, then the packages and the mailboxes.
#[component]
fn ManagedLogins(managed: Managed, dialog: RwSignal<Dialog>, done: RwSignal<Option<String>>) -> impl IntoView {
    let Managed { me, logins } = managed;
    let (packages, mailboxes): (Vec<_>, Vec<_>) = logins
        .accounts
        .into_iter()
        .filter(|a| matches!(a.kind, AccountKind::Package | AccountKind::Mailbox))
        .partition(|a| a.kind == AccountKind::Package);
    let master_on = me.mfa.totp.enabled;
    view! {
        <section class="card" aria-labelledby="master-title">
            <h2 id="master-title">"Master login"</h2>
            <div class="login-row">
                <div class="login-name">
                    <strong>{me.username}</strong>
                    <span class="muted">{me.kind.label()}</span>
                </div>
                <div class="login-state">
                    <span class=if master_on { "badge on" } else { "badge off" }>
                        {if master_on { "active" } else { "inactive" }}
                    </span>
                    " "
                    <span class="muted">"Your own two-factor authentication is managed under "
                        <a href="/account">"My Account"</a>"."</span>
                </div>
            </div>
        </section>
        <LoginGroup id="packages-title" title="Packages" empty="You have no package logins." logins=packages dialog done />
        <LoginGroup id="mailboxes-title" title="Mailboxes (webmail)" empty="You have no mailbox logins."
            logins=mailboxes dialog done />
        {logins.truncated.then(|| view! {
            <p class="notice">"You have more logins than this page lists; ask support for the full list."</p>
        })}
    }
}

/// One group of logins, each with its 2FA button.
#[component]
fn LoginGroup(
    id: &'static str,
    title: &'static str,
    empty: &'static str,
    logins: Vec<AccountSummary>,
    dialog: RwSignal<Dialog>,
    done: RwSignal<Option<String>>,
) -> impl IntoView {
    let rows = if logins.is_empty() {
        view! { <p class="muted">{empty}</p> }.into_any()
    } else {
        let items = logins
            .into_iter()
            .map(|login| view! { <LoginItem login dialog done /> })
            .collect_view();
        view! { <ul class="logins">{items}</ul> }.into_any()
    };
    view! {
        <section class="card" aria-labelledby=id>
            <h2 id=id>{title}</h2>
            {rows}
        </section>
    }
}

/// A package or mailbox login and the button that switches its 2FA.
#[component]
fn LoginItem(login: AccountSummary, dialog: RwSignal<Dialog>, done: RwSignal<Option<String>>) -> impl IntoView {
    let target = Login::from(&login);
    let flag_target = target.clone();

    let open = move |d: Dialog| {
        done.set(None);
        dialog.set(d);
    };
    // Its user sets the app up on their own, from a link to the login's
    // contact address.
    let send_link = match (login.mfa, login.contact_email.clone()) {
        (MfaState::On, _) => None,
        (_, Some(to)) => {
            let target = target.clone();
            Some(view! {
                <button type="button" class="secondary" on:click=move |_| open(Dialog::SendLink(target.clone(), to.clone()))>
                    "E-mail a set-up link"
                </button>
            }
            .into_any())
        }
        (_, None) => None,
    };
    // The same id in both states: once the dialog closes and the list is
    // loaded again, the focus goes back to this login's button.
    let button_id = format!("mfa-state-{}", login.id);
    let (button, note) = match login.mfa {
        MfaState::On => (
            view! {
                <button type="button" class="state-on" id=button_id on:click=move |_| open(Dialog::Deactivate(target.clone()))>
                    "active – click to deactivate"
                </button>
            }
            .into_any(),
            None,
        ),
        MfaState::Off | MfaState::Pending | MfaState::Email => (
            view! {
                <button type="button" class="secondary state-off" id=button_id on:click=move |_| open(Dialog::Activate(target.clone()))>
                    "inactive – click to activate"
                </button>
            }
            .into_any(),
            match login.mfa {
                // A QR code was shown but no code confirmed: starting again shows a new one.
                MfaState::Pending => Some(
                    "Set-up was started but not finished (no code was confirmed). Start again for a new QR code."
                        .to_owned(),
                ),
                MfaState::Email => login
                    .contact_email
                    .as_deref()
                    .map(|to| format!("Login codes go by e-mail to {to}. Activating the app replaces them.")),
                _ => None,
            },
        ),
    };
    let app_passwords = use_context::<AppPasswordsRow>()
        .filter(|_| login.kind == AccountKind::Mailbox)
        .map(|row| {
            view! {
                <AppPasswordsToggle id=login.id username=login.username.clone() count=login.app_passwords
                    may_create=true expanded=row.expanded changed=row.changed />
            }
        });
    // The state in words too, not only in the button's style.
    let (badge, state) = match login.mfa {
        MfaState::On => ("badge on", "active"),
        MfaState::Email => ("badge email", "active: codes by e-mail"),
        MfaState::Pending => ("badge pending", "set-up not finished"),
        MfaState::Off => ("badge off", "inactive"),
    };
    view! {
        <li class="login-row" data-mfa=login.mfa.as_str()>
            <div class="login-name">
                <strong>{login.username}</strong>
                <span class=badge data-testid="mfa-state">{state}</span>
                {login.flagged_at.map(|flagged_at| view! { <FlagBadge login=flag_target.clone() flagged_at /> })}
            </div>
            <div class="login-state">
                {button}
                {send_link}
                {note.map(|n| view! { <p class="muted pending-note">{n}</p> })}
            </div>
            {app_passwords}
        </li>
    }
}

/// "E-mail a set-up link": to whom, for how long, and that the login's user
/// needs its password; then the link goes out.
#[component]
fn SendLinkDialog(login: Login, to: String, close: Callback<Option<String>>) -> impl IntoView {
    let Login { id, username } = login;
    let send = Action::new_local(move |_: &()| client::send_setup_link(id));
    Effect::new(move |_| {
        if let Some(Ok(sent)) = send.value().get() {
            close.run(Some(format!(
                "A set-up link is on its way to {}. It works once, for {}.",
                sent.sent_to,
                format_duration(sent.valid_for)
            )));
        }
    });
    let error = Signal::derive(move || match send.value().get() {
        Some(Err(e)) => Some(e.message),
        _ => None,
    });
    view! {
        <Modal id="send-setup-link" title="E-mail a set-up link" on_cancel=Callback::new(move |()| close.run(None))>
            <p class="question"><strong>{format!("Send the user of {username} a link to set up the app on their own phone?")}</strong></p>
            <p>{format!(
                "It goes to {to}, works once, for 24 hours, and asks for the password of {username}: \
                 you relay no QR code and no 6-digit code."
            )}</p>
            <ErrorNote message=error />
            <div class="actions">
                <button type="button" disabled=move || send.pending().get() on:click=move |_| { send.dispatch(()); }>
                    "Send the link"
                </button>
                <button type="button" class="secondary" on:click=move |_| close.run(None)>"Cancel"</button>
            </div>
        </Modal>
    }
    .into_any()
}
