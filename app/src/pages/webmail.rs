//! `/webmail`: the webmail surface. E-mail address and password; with 2FA the
//! code is asked in a pop-up over the login form. After login, a webmail-style
//! landing page whose user menu leads to My account > Account > MFA.
//!
//! The mail itself is not Tessera's: these pages are the reference for the
//! login and MFA screens a provider's webmail embeds (help page 003).

// Components here end in `.into_any()`: erasing their view types keeps the
// server crate, which renders them, under the compiler's type-depth limit.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::api::{ActiveFactor, ErrorCode, LoginRequest, LoginResponse, MeResponse, MfaMethod, PostedLogin};
use crate::client::{self, ClientError};
use crate::components::{
    AppPasswords, AppPasswordsOf, ChangePassword, CodeEntry, ErrorNote, Field, IdleWarning, MailboxLogin,
    MailboxLoginFields, MfaSection, Modal, MyEvents, MySessions, OwnMfaDialog, OwnMfaDialogs, ResendButton, Submission,
    Surface, redirect_when_logged_out, signed_in, use_hydrated, use_next_page, use_posted_login,
};

const LOGIN: &str = "/webmail";
const INBOX: &str = "/webmail/inbox";
const ACCOUNT: &str = "/webmail/account";

/// The webmail's login form; with 2FA on, the code pop-up opens over it.
#[component]
pub fn WebmailLoginPage() -> impl IntoView {
    provide_context(Surface::Webmail);
    let posted = use_posted_login();
    let live = use_hydrated();
    // The first pop-up may come from a form the browser posted: then the
    // server e-mailed its code, if it takes one, and a refused code belongs
    // in the pop-up; the rest on the form.
    let posted_popup = StoredValue::new(posted.mfa.map(|_| posted.message().map(str::to_owned)));
    let form = MailboxLogin::new(
        &PostedLogin {
            error: posted.error.filter(|_| posted.mfa.is_none()),
            ..posted.clone()
        },
        "Wrong e-mail address or password.",
    );
    let MailboxLogin { password, error, .. } = form;
    // The pop-up, with the second factors the login response offered.
    let asking_code = RwSignal::new(posted.mfa.map(ActiveFactor::methods));
    let navigate = use_navigate();
    let next = use_next_page(INBOX);
    super::prefetch::<super::WebmailHome>();

    let log_in = Submission::new(|request: &LoginRequest| client::login(request.clone()), {
        let (navigate, next) = (navigate.clone(), next.clone());
        move |answer: Result<LoginResponse, ClientError>| match answer {
            Ok(LoginResponse::Ok) => navigate(&next(), Default::default()),
            Ok(LoginResponse::MfaRequired { methods }) => {
                // The password has done its part; it should not sit in
                // the form behind the pop-up.
                password.set(String::new());
                asking_code.set(Some(methods));
            }
            // This form asks for an e-mail address, not a "username".
            Err(e) if e.code == ErrorCode::InvalidCredentials => {
                error.set(Some("Wrong e-mail address or password.".to_owned()));
            }
            Err(e) => error.set(Some(e.message)),
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if log_in.pending().get_untracked() {
            return;
        }
        if let Some((address, pass)) = form.take() {
            log_in.dispatch(LoginRequest {
                username: address.as_str().to_owned(),
                password: pass.expose().to_owned(),
            });
        }
    };
    let on_done = Callback::new(move |()| navigate(&next(), Default::default()));
    let on_restart = Callback::new(move |message: Option<String>| {
        asking_code.set(None);
        password.set(String::new());
        error.set(message);
    });

    view! {
        <div class="webmail">
            <WebmailBar />
            <main class="page narrow wm-login">
                <form class="card" method="post" on:submit=submit novalidate data-live=move || live.get().then_some("")>
                    <h1>"Log in to Webmail"</h1>
                    <MailboxLoginFields form busy=log_in.pending() />
                </form>
            </main>
            {move || asking_code.get().map(|methods| {
                let posted = posted_popup.try_update_value(Option::take).flatten();
                let code_sent = posted.is_some();
                let refused = posted.flatten();
                view! { <CodePopup methods code_sent refused on_done on_restart /> }
            })}
        </div>
    }
    .into_any()
}

/// "Login required": the pop-up asking for the app's code (or a recovery
/// code) after a right password. `on_restart` closes it and shows its message
/// on the login form.
#[component]
fn CodePopup(
    methods: Vec<MfaMethod>,
    /// The server e-mailed the first code already (the browser posted the form).
    code_sent: bool,
    /// A refusal of a code the browser posted itself.
    refused: Option<String>,
    on_done: Callback<()>,
    on_restart: Callback<Option<String>>,
) -> impl IntoView {
    let error = RwSignal::new(refused);
    let entry = CodeEntry::new(&methods, error, code_sent, on_done, on_restart);
    let code = entry.code;
    let code_error = entry.field_error();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        entry.submit();
    };
    view! {
        <Modal id="webmail-code" title="Login required" on_cancel=Callback::new(move |()| entry.cancel())>
            <form method="post" on:submit=submit novalidate>
                {move || if entry.by_email {
                    view! {
                        <p role="status">{move || entry.sent_note()}</p>
                        <Field id="wm-code" label="Code from the e-mail" value=code autocomplete="one-time-code"
                            inputmode="numeric" error=code_error autofocus=true />
                        <ResendButton entry />
                    }.into_any()
                } else if entry.use_recovery.get() {
                    view! {
                        <p>"Enter one of the recovery codes you saved when you turned on MFA. Each works once."</p>
                        <Field id="wm-code" label="Recovery code" hint="Like k7m2-q9xp-4hf3-t8wa"
                            value=code autocomplete="off" error=code_error autofocus=true />
                    }.into_any()
                } else {
                    view! {
                        <p>"Get the device code from the authenticator app on your mobile and fill it in below."</p>
                        <Field id="wm-code" label="Code" value=code autocomplete="one-time-code" inputmode="numeric"
                            error=code_error autofocus=true />
                    }.into_any()
                }}
                <ErrorNote message=error />
                {(!entry.by_email).then(|| view! {
                    <button type="button" class="link" on:click=move |_| entry.toggle()>{move || entry.toggle_label()}</button>
                })}
                <div class="actions split">
                    <button type="button" class="secondary" on:click=move |_| entry.cancel()>"Cancel"</button>
                    <button type="submit" disabled=move || entry.busy()>"Next"</button>
                </div>
            </form>
        </Modal>
    }
    .into_any()
}

/// The landing page after login: a webmail's frame around an honest note on
/// what this reference surface is.
#[component]
pub fn WebmailHomePage() -> impl IntoView {
    provide_context(Surface::Webmail);
    let me = LocalResource::new(client::me);
    redirect_when_logged_out(me, LOGIN);
    view! {
        <div class="webmail">
            <WebmailBar signed_in=true />
            <div class="wm-layout">
                <nav class="wm-folders" aria-label="Folders">
                    <ul>
                        <li><a href=INBOX aria-current="page">"Inbox"</a></li>
                        <li>"Sent"</li>
                        <li>"Drafts"</li>
                        <li>"Trash"</li>
                    </ul>
                </nav>
                <main class="wm-main">
                    <h1>"Inbox"</h1>
                    <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                        {move || me.get().map(|result| signed_in(result, |me| view! {
                            <p class="wm-empty">"No messages to show here."</p>
                            <div class="notice">
                                <p>
                                    "This is Tessera's reference webmail: Tessera provides its login and its "
                                    "multi-factor authentication (MFA). Your messages live in your provider's webmail, "
                                    "which is not part of Tessera."
                                </p>
                                <p>
                                    "You are logged in as " <strong>{me.username}</strong> ". To turn MFA on or off, "
                                    "open the user menu at the top right and choose " <a href=ACCOUNT>"My account"</a> "."
                                </p>
                            </div>
                        }.into_any()))}
                    </Suspense>
                </main>
            </div>
        </div>
    }
    .into_any()
}

/// The tabs of My account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Account,
    Activity,
}

/// My account: the Account tab with the MFA section, and the recent
/// security events of this mailbox.
#[component]
pub fn WebmailAccountPage() -> impl IntoView {
    provide_context(Surface::Webmail);
    let me = LocalResource::new(client::me);
    let changes = RwSignal::new(0_u32);
    redirect_when_logged_out(me, LOGIN);
    let dialog = RwSignal::new(OwnMfaDialog::None);
    let tab = RwSignal::new(Tab::Account);
    let close = Callback::new(move |changed: bool| {
        dialog.set(OwnMfaDialog::None);
        if changed {
            me.refetch();
            changes.update(|n| *n += 1);
        }
    });

    view! {
        <div class="webmail">
            <WebmailBar signed_in=true />
            <main class="page wm-account">
                <p class="wm-back"><a href=INBOX>"← Back to the inbox"</a></p>
                <h1>"My account"</h1>
                <Tabs tab />
                <div class="card wm-panel" role="tabpanel" id="wm-panel-account" aria-labelledby="wm-tab-account"
                    hidden=move || tab.get() != Tab::Account>
                    <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                        {move || me.get().map(|result| signed_in(result, |me| view! { <AccountTab me dialog /> }.into_any()))}
                    </Suspense>
                </div>
                <div class="card wm-panel" role="tabpanel" id="wm-panel-activity" aria-labelledby="wm-tab-activity"
                    hidden=move || tab.get() != Tab::Activity>
                    <h2>"Recent activity"</h2>
                    <MyEvents changes empty="Nothing recorded yet." login=LOGIN />
                </div>
            </main>
            <OwnMfaDialogs open=dialog close />
            <IdleWarning me login=LOGIN />
        </div>
    }
    .into_any()
}

/// The tab list of My account; arrow keys move between the tabs, as the
/// ARIA tabs pattern expects.
#[component]
fn Tabs(tab: RwSignal<Tab>) -> impl IntoView {
    let account = NodeRef::<leptos::html::Button>::new();
    let activity = NodeRef::<leptos::html::Button>::new();
    let select = move |next: Tab| {
        tab.set(next);
        let button = match next {
            Tab::Account => account.get(),
            Tab::Activity => activity.get(),
        };
        if let Some(button) = button {
            let _ = button.focus();
        }
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let next = match (ev.key().as_str(), tab.get_untracked()) {
            ("ArrowRight" | "ArrowLeft", Tab::Account) | ("End", _) => Tab::Activity,
            ("ArrowRight" | "ArrowLeft", Tab::Activity) | ("Home", _) => Tab::Account,
            _ => return,
        };
        ev.prevent_default();
        select(next);
    };
    let selected = move |which: Tab| move || if tab.get() == which { "true" } else { "false" };
    let tabindex = move |which: Tab| move || if tab.get() == which { "0" } else { "-1" };
    view! {
        <div class="wm-tabs" role="tablist" aria-label="My account" on:keydown=on_key>
            <button type="button" role="tab" id="wm-tab-account" aria-controls="wm-panel-account" node_ref=account
                aria-selected=selected(Tab::Account) tabindex=tabindex(Tab::Account)
                on:click=move |_| tab.set(Tab::Account)>
                "Account"
            </button>
            <button type="button" role="tab" id="wm-tab-activity" aria-controls="wm-panel-activity" node_ref=activity
                aria-selected=selected(Tab::Activity) tabindex=tabindex(Tab::Activity)
                on:click=move |_| tab.set(Tab::Activity)>
                "Recent activity"
            </button>
        </div>
    }
    .into_any()
}

/// The Account tab: the mailbox and its MFA section.
#[component]
fn AccountTab(me: MeResponse, dialog: RwSignal<OwnMfaDialog>) -> impl IntoView {
    let factor = me.mfa.active;
    view! {
        <dl class="facts">
            <dt>"E-mail address"</dt><dd>{me.username}</dd>
        </dl>
        <ChangePassword factor />
        <section class="wm-mfa" aria-labelledby="wm-mfa-title">
            <h2 id="wm-mfa-title">"MFA"</h2>
            <MfaSection mfa=me.mfa dialog via_recovery_code=me.via_recovery_code />
        </section>
        <section class="wm-app-passwords" aria-labelledby="wm-app-passwords-title">
            <h2 id="wm-app-passwords-title">"App passwords"</h2>
            <AppPasswords of=AppPasswordsOf::Me { factor } />
        </section>
        <section class="wm-sessions" aria-labelledby="wm-sessions-title">
            <h2 id="wm-sessions-title">"Sessions"</h2>
            <MySessions />
        </section>
    }
    .into_any()
}

/// The webmail's top bar: its brand and, on signed-in pages, the user menu.
#[component]
fn WebmailBar(#[prop(optional)] signed_in: bool) -> impl IntoView {
    view! {
        <header class="wm-bar">
            <span class="wm-brand"><span class="wm-logo" aria-hidden="true">"✉"</span>"Webmail"</span>
            {signed_in.then(|| view! { <UserMenu /> })}
        </header>
    }
    .into_any()
}

/// The user icon at the top right and its menu: My account, Log out (the
/// ARIA menu-button pattern: arrows move, Escape closes, focus goes back).
#[component]
fn UserMenu() -> impl IntoView {
    let open = RwSignal::new(false);
    let focused = RwSignal::new(0_usize);
    let error = RwSignal::new(None::<String>);
    let button = NodeRef::<leptos::html::Button>::new();
    let account_item = NodeRef::<leptos::html::A>::new();
    let logout_item = NodeRef::<leptos::html::Button>::new();
    let navigate = use_navigate();

    // An opened menu takes the focus, on its first item; after the next
    // frame, once the menu is no longer hidden and can take it.
    Effect::new(move |_| {
        if open.get() {
            request_animation_frame(move || {
                if let Some(item) = account_item.get_untracked() {
                    let _ = item.focus();
                }
            });
        }
    });
    let focus_item = move |index: usize| {
        let _ = match index {
            0 => account_item.get().map(|a| a.focus()),
            _ => logout_item.get().map(|b| b.focus()),
        };
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if !open.get_untracked() {
            return;
        }
        match ev.key().as_str() {
            "Escape" => {
                open.set(false);
                if let Some(b) = button.get() {
                    let _ = b.focus();
                }
            }
            "ArrowDown" | "ArrowUp" => {
                ev.prevent_default();
                focus_item(1 - focused.get_untracked());
            }
            "Home" => focus_item(0),
            "End" => focus_item(1),
            "Tab" => open.set(false),
            _ => {}
        }
    };
    let log_out = move |_| {
        let navigate = navigate.clone();
        spawn_local(async move {
            match client::logout().await {
                Ok(()) => navigate(LOGIN, Default::default()),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };

    view! {
        <div class="wm-user" on:keydown=on_key>
            <button type="button" class="wm-user-button" node_ref=button aria-label="User menu"
                aria-haspopup="menu" aria-controls="wm-user-menu"
                aria-expanded=move || if open.get() { "true" } else { "false" }
                on:click=move |_| open.update(|o| *o = !*o)>
                <svg aria-hidden="true" viewBox="0 0 24 24" width="24" height="24" fill="none"
                    stroke="currentColor" stroke-width="2" stroke-linecap="round">
                    <circle cx="12" cy="8" r="4" />
                    <path d="M4 21c0-4 4-6 8-6s8 2 8 6" />
                </svg>
            </button>
            // The scrim closes the menu on a click anywhere else.
            <div class="wm-scrim" hidden=move || !open.get() on:click=move |_| open.set(false)></div>
            <div class="wm-menu" hidden=move || !open.get()>
                <ul id="wm-user-menu" role="menu" aria-label="User menu">
                    <li role="none">
                        <a role="menuitem" href=ACCOUNT tabindex="-1" node_ref=account_item
                            on:focus=move |_| focused.set(0) on:click=move |_| open.set(false)>
                            "My account"
                        </a>
                    </li>
                    <li role="none">
                        <button type="button" role="menuitem" tabindex="-1" node_ref=logout_item
                            on:focus=move |_| focused.set(1) on:click=log_out>
                            "Log out"
                        </button>
                    </li>
                </ul>
                <ErrorNote message=error />
            </div>
        </div>
    }
    .into_any()
}
