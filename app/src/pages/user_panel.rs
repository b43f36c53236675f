//! `/user-panel`: the mail provider's User Panel. One form; with 2FA the
//! current code is appended to the password (help page 002:
//! `T9D3K!px` + `189 145` → `T9D3K!px189145`).

// Components here end in `.into_any()`: erasing their view types keeps the
// server crate, which renders them, under the compiler's type-depth limit.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::api::{ActiveFactor, CombinedLoginRequest, LoginResponse, MeResponse};
use crate::client::{self, ClientError};
use crate::components::{
    AppPasswords, AppPasswordsOf, ChangePassword, ErrorNote, IdleWarning, MailboxLogin, MailboxLoginFields, MfaSection,
    MySessions, OwnMfaDialog, OwnMfaDialogs, Submission, Surface, redirect_when_logged_out, signed_in, use_hydrated,
    use_next_page, use_posted_login,
};

const LOGIN: &str = "/user-panel";
const HOME: &str = "/user-panel/home";

/// The User Panel's login: e-mail address, and the password with the code
/// typed straight after it when 2FA is on.
#[component]
pub fn UserPanelLoginPage() -> impl IntoView {
    provide_context(Surface::UserPanel);
    let form = MailboxLogin::new(&use_posted_login(), "Wrong e-mail address, password or code.");
    let live = use_hydrated();
    let MailboxLogin { password, error, .. } = form;
    let navigate = use_navigate();
    let next = use_next_page(HOME);
    super::prefetch::<super::UserPanelHome>();

    let log_in = Submission::new(
        |request: &CombinedLoginRequest| client::login_combined(request.clone()),
        move |answer: Result<LoginResponse, ClientError>| match answer {
            Ok(LoginResponse::Ok) => navigate(&next(), Default::default()),
            Ok(LoginResponse::MfaRequired { .. }) => error.set(Some(
                "Add the 6-digit code from your authenticator app to the end of your password.".to_owned(),
            )),
            Err(e) => {
                // A code is used up once tried; the next attempt needs a new one.
                password.set(String::new());
                error.set(Some(e.message));
            }
        },
    );
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if log_in.pending().get_untracked() {
            return;
        }
        // Which part is the code only the server can tell: it knows whether
        // this mailbox has 2FA on.
        if let Some((address, typed)) = form.take() {
            log_in.dispatch(CombinedLoginRequest {
                username: address.as_str().to_owned(),
                password_and_code: typed.expose().to_owned(),
            });
        }
    };

    view! {
        <div class="user-panel">
            <header class="up-bar"><span class="up-brand">"User Panel"</span></header>
            <main class="page narrow up-login">
                <form class="card" method="post" on:submit=submit novalidate data-live=move || live.get().then_some("")>
                    <h1>"User Control Panel"</h1>
                    <MailboxLoginFields form busy=log_in.pending()
                        password_hint="With 2FA on: your password, then the 6-digit code from your app" />
                </form>
                <section class="card up-help" aria-labelledby="up-help-title">
                    <h2 id="up-help-title">"Two-factor authentication (2FA)"</h2>
                    <p>
                        "If you have 2FA enabled for your mailbox, add the 6-digit code provided by the app on "
                        "your phone at the end of your password."
                    </p>
                    <p data-testid="appended-code-example">
                        "For example, if your password is " <code>"T9D3K!px"</code> " and the 6-digit code is "
                        <code>"189 145"</code> ", you must enter " <code>"T9D3K!px189145"</code> "."
                    </p>
                    <p class="muted">
                        "Lost your phone? Type one of your recovery codes after the password instead, with its "
                        "dashes. The webmail asks for the code separately, in a pop-up."
                    </p>
                </section>
            </main>
        </div>
    }
    .into_any()
}

/// Which part of the User Panel is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Home,
    TwoFactor,
}

/// The User Panel after login: HOME and 2-FACTOR AUTH.
#[component]
pub fn UserPanelHomePage() -> impl IntoView {
    provide_context(Surface::UserPanel);
    let me = LocalResource::new(client::me);
    redirect_when_logged_out(me, LOGIN);
    let section = RwSignal::new(Section::Home);
    let dialog = RwSignal::new(OwnMfaDialog::None);
    let error = RwSignal::new(None::<String>);
    let navigate = use_navigate();
    let close = Callback::new(move |changed: bool| {
        dialog.set(OwnMfaDialog::None);
        if changed {
            me.refetch();
        }
    });
    let log_out = move |_| {
        let navigate = navigate.clone();
        spawn_local(async move {
            match client::logout().await {
                Ok(()) => navigate(LOGIN, Default::default()),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    let current = move |which: Section| move || (section.get() == which).then_some("page");

    view! {
        <div class="user-panel">
            <header class="up-bar">
                <span class="up-brand">"User Panel"</span>
                <button type="button" class="secondary" on:click=log_out>"Log out"</button>
            </header>
            <nav class="up-menu" aria-label="User Panel">
                <button type="button" aria-current=current(Section::Home) on:click=move |_| section.set(Section::Home)>
                    "HOME"
                </button>
                <button type="button" aria-current=current(Section::TwoFactor)
                    on:click=move |_| section.set(Section::TwoFactor)>
                    "2-FACTOR AUTH"
                </button>
            </nav>
            <main class="page">
                <ErrorNote message=error />
                <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || me.get().map(|result| signed_in(result, |me| match section.get() {
                        Section::Home => view! { <Home me section /> }.into_any(),
                        Section::TwoFactor => view! { <TwoFactor me dialog /> }.into_any(),
                    }))}
                </Suspense>
            </main>
            <OwnMfaDialogs open=dialog close />
            <IdleWarning me login=LOGIN />
        </div>
    }
    .into_any()
}

/// HOME: the mailbox and where its 2FA stands.
#[component]
fn Home(me: MeResponse, section: RwSignal<Section>) -> impl IntoView {
    let status = match me.mfa.active {
        ActiveFactor::App => "Enabled",
        ActiveFactor::Email => "Codes by e-mail (log in through webmail)",
        ActiveFactor::None => "Disabled",
    };
    view! {
        <h1>"Home"</h1>
        <section class="card" aria-labelledby="up-mailbox-title">
            <h2 id="up-mailbox-title">"Your mailbox"</h2>
            <dl class="facts">
                <dt>"Mailbox"</dt><dd>{me.username}</dd>
                <dt>"2-factor authentication"</dt><dd data-testid="home-2fa-status">{status}</dd>
            </dl>
            <div class="actions">
                <button type="button" class="secondary" on:click=move |_| section.set(Section::TwoFactor)>
                    "Manage 2-factor authentication"
                </button>
            </div>
        </section>
        <section class="card" aria-labelledby="up-password-title">
            <h2 id="up-password-title">"Password"</h2>
            <ChangePassword factor=me.mfa.active />
        </section>
        <section class="card" aria-labelledby="up-sessions-title">
            <h2 id="up-sessions-title">"Sessions"</h2>
            <MySessions />
        </section>
        <p class="notice">
            "Tessera provides the login, the password and the 2-factor authentication of this User Panel. "
            "Your provider's User Panel keeps the other settings (vacation message, filters)."
        </p>
    }
    .into_any()
}

/// 2-FACTOR AUTH: status, and switching it on or off.
#[component]
fn TwoFactor(me: MeResponse, dialog: RwSignal<OwnMfaDialog>) -> impl IntoView {
    let factor = me.mfa.active;
    view! {
        <h1>"2-Factor Authentication"</h1>
        <section class="card" aria-labelledby="up-2fa-title">
            <h2 id="up-2fa-title">"2-factor authentication"</h2>
            <MfaSection mfa=me.mfa dialog via_recovery_code=me.via_recovery_code />
        </section>
        <section class="card" aria-labelledby="up-app-passwords-title">
            <h2 id="up-app-passwords-title">"Application passwords"</h2>
            <AppPasswords of=AppPasswordsOf::Me { factor } />
        </section>
    }
    .into_any()
}
