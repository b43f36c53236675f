//! `/`: the control panel login — password, then (with 2FA) the code on a
//! second step, or a recovery code instead.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api::{LoginRequest, LoginResponse, MfaMethod};
use crate::client::{self, ClientError};
use crate::components::{
    Brand, CodeEntry, ErrorNote, Field, ResendButton, Submission, use_hydrated, use_next_page, use_posted_login,
};
use crate::domain::{Password, Username};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Password,
    /// With the methods the login response offered; `posted` when the
    /// browser posted the password form itself (the server e-mailed the
    /// first code, if the login takes one).
    Code {
        methods: Vec<MfaMethod>,
        posted: bool,
    },
}

/// The login form.
#[component]
pub fn LoginPage() -> impl IntoView {
    // Until the page is live the browser posts the form itself; the server
    // sends it back here with the outcome in the query.
    let posted = use_posted_login();
    let live = use_hydrated();
    let step = RwSignal::new(match posted.mfa {
        Some(factor) => Step::Code {
            methods: factor.methods(),
            posted: true,
        },
        None => Step::Password,
    });
    let username = RwSignal::new(posted.username.clone().unwrap_or_default());
    let password = RwSignal::new(String::new());
    let username_error = RwSignal::new(None::<String>);
    let password_error = RwSignal::new(None::<String>);
    let error = RwSignal::new(posted.message().map(str::to_owned));
    let navigate = use_navigate();
    let next = use_next_page("/account");
    super::prefetch::<super::Account>();
    let log_in = Submission::new(|request: &LoginRequest| client::login(request.clone()), {
        let (navigate, next) = (navigate.clone(), next.clone());
        move |answer: Result<LoginResponse, ClientError>| match answer {
            Ok(LoginResponse::Ok) => navigate(&next(), Default::default()),
            Ok(LoginResponse::MfaRequired { methods }) => {
                password.set(String::new());
                step.set(Step::Code { methods, posted: false });
            }
            Err(e) => error.set(Some(e.message)),
        }
    });
    let busy = log_in.pending();

    let submit_password = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let user = Username::parse(&username.get_untracked());
        let pass = Password::parse(&password.get_untracked());
        username_error.set(user.as_ref().err().map(|e| e.message.to_owned()));
        password_error.set(pass.as_ref().err().map(|e| e.message.to_owned()));
        if user.is_err() || pass.is_err() || busy.get_untracked() {
            return;
        }
        error.set(None);
        log_in.dispatch(LoginRequest {
            username: username.get_untracked(),
            password: password.get_untracked(),
        });
    };

    let back_to_password = move |message: Option<String>| {
        step.set(Step::Password);
        error.set(message);
    };

    view! {
        <main class="page narrow">
            <header><Brand /></header>
            <h1>"Log in"</h1>
            {move || match step.get() {
                Step::Password => view! {
                    <form class="card" method="post" on:submit=submit_password novalidate data-live=move || live.get().then_some("")>
                        <Field id="username" label="Username" hint="Customer number, package name or e-mail address"
                            value=username autocomplete="username" error=username_error />
                        <Field id="password" label="Password" value=password input_type="password"
                            autocomplete="current-password" error=password_error />
                        <ErrorNote message=error />
                        <button type="submit" disabled=move || busy.get()>"Log in"</button>
                    </form>
                }.into_any(),
                Step::Code { methods, posted } => view! {
                    <CodeStep
                        methods
                        code_sent=posted
                        on_done=Callback::new({
                            let navigate = navigate.clone();
                            let next = next.clone();
                            move |()| navigate(&next(), Default::default())
                        })
                        on_restart=Callback::new(back_to_password)
                        error=error
                    />
                }.into_any(),
            }}
        </main>
    }
}

/// The second step: the app's code or a recovery code, or the code that
/// was e-mailed.
#[component]
fn CodeStep(
    methods: Vec<MfaMethod>,
    /// The server e-mailed the first code already.
    code_sent: bool,
    on_done: Callback<()>,
    on_restart: Callback<Option<String>>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let entry = CodeEntry::new(&methods, error, code_sent, on_done, on_restart);
    let live = use_hydrated();
    if entry.by_email {
        return view! { <EmailCodeStep entry live /> }.into_any();
    }
    let code = entry.code;
    let code_error = entry.field_error();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        entry.submit();
    };

    view! {
        <form class="card" method="post" on:submit=submit novalidate data-live=move || live.get().then_some("")>
            <p>"Your account is protected by two-factor authentication."</p>
            {move || if entry.use_recovery.get() {
                view! {
                    <Field id="code" label="Recovery code" hint="One of the codes you saved when you turned on 2FA, like k7m2-q9xp-4hf3-t8wa"
                        value=code autocomplete="off" error=code_error autofocus=true />
                }.into_any()
            } else {
                view! {
                    <Field id="code" label="Authentication code" hint="The 6-digit code your authenticator app shows now"
                        value=code autocomplete="one-time-code" inputmode="numeric" error=code_error autofocus=true />
                }.into_any()
            }}
            <ErrorNote message=error />
            <button type="submit" disabled=move || entry.busy()>"Verify"</button>
            <div class="actions split">
                <button type="button" class="link" on:click=move |_| entry.toggle()>{move || entry.toggle_label()}</button>
                <button type="button" class="link" on:click=move |_| entry.cancel()>"Cancel"</button>
            </div>
        </form>
    }
    .into_any()
}

/// The second step with a code sent by e-mail (seed 004: valid 15 minutes).
#[component]
fn EmailCodeStep(entry: CodeEntry, live: ReadSignal<bool>) -> impl IntoView {
    let code = entry.code;
    let code_error = entry.field_error();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        entry.submit();
    };
    view! {
        <form class="card" method="post" on:submit=submit novalidate data-live=move || live.get().then_some("")>
            <p>"Your account is protected by two-factor authentication with codes sent by e-mail."</p>
            <p class="sent-note" role="status">{move || entry.sent_note()}</p>
            <Field id="code" label="Code from the e-mail" hint="6 digits; nobody from support will ever ask you for it"
                value=code autocomplete="one-time-code" inputmode="numeric" error=code_error autofocus=true />
            <ErrorNote message=entry.error />
            <button type="submit" disabled=move || entry.busy()>"Verify"</button>
            <div class="actions split">
                <ResendButton entry />
                <button type="button" class="link" on:click=move |_| entry.cancel()>"Cancel"</button>
            </div>
        </form>
    }
}
