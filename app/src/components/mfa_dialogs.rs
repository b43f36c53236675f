//! The dialogs that change a second factor: enrol (for oneself, or for a
//! customer's package or mailbox login), disable, new recovery codes.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{RecoveryCodesResponse, TotpSetupResponse};
use crate::client::{self, ClientError};
use crate::components::{ErrorNote, Field, Modal, RecoveryCodesReveal};
use crate::domain::{self, OtpCode, Password, SecondFactor};

/// Whose second factor a dialog sets up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MfaTarget {
    /// The logged-in user's own.
    Me,
    /// A login the user manages (a customer's package or mailbox login).
    Login { id: i32, username: String },
}

impl MfaTarget {
    /// The managed login's name; `None` for one's own.
    fn username(&self) -> Option<String> {
        match self {
            Self::Me => None,
            Self::Login { username, .. } => Some(username.clone()),
        }
    }
}

/// Enrolment: password → QR code and secret → first code → recovery codes.
/// `close` gets `true` once 2FA is on.
#[component]
pub fn EnableDialog(
    target: MfaTarget,
    #[prop(default = "Enable two-factor authentication")] title: &'static str,
    /// The button that closes the dialog after the recovery codes.
    #[prop(default = "Done")]
    done_label: &'static str,
    close: Callback<bool>,
) -> impl IntoView {
    let setup = RwSignal::new(None::<TotpSetupResponse>);
    let codes = RwSignal::new(None::<Vec<String>>);
    view! {
        <Modal id="enable-mfa" title=title>
            {move || match (setup.get(), codes.get()) {
                (_, Some(codes)) => view! {
                    <RecoveryCodesReveal codes done_label owner=target.username()
                        on_done=Callback::new(move |()| close.run(true)) />
                }.into_any(),
                (Some(s), None) => view! { <ScanAndVerify target=target.clone() setup=s codes close /> }.into_any(),
                (None, None) => view! { <ConfirmPassword target=target.clone() setup close /> }.into_any(),
            }}
        </Modal>
    }
}

#[component]
fn ConfirmPassword(
    target: MfaTarget,
    setup: RwSignal<Option<TotpSetupResponse>>,
    close: Callback<bool>,
) -> impl IntoView {
    // Whose password: a customer confirms with its own, not the login's.
    let password_label = match target {
        MfaTarget::Me => "Current password",
        MfaTarget::Login { .. } => "Your own password",
    };
    let intro = match &target {
        MfaTarget::Me => "Enter your current password to start.".to_owned(),
        MfaTarget::Login { username, .. } => {
            format!("You are setting up two-factor authentication for {username}. Enter your own password to start.")
        }
    };
    let password = RwSignal::new(String::new());
    let password_error = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = password.get_untracked();
        password_error.set(Password::parse(&value).err().map(|e| e.message.to_owned()));
        if password_error.get_untracked().is_some() || busy.get_untracked() {
            return;
        }
        busy.set(true);
        let target = target.clone();
        spawn_local(async move {
            let started = match target {
                MfaTarget::Me => client::totp_setup(value).await,
                MfaTarget::Login { id, .. } => client::account_totp_setup(id, value).await,
            };
            match started {
                Ok(s) => setup.set(Some(s)),
                Err(e) => error.set(Some(e.message)),
            }
            busy.set(false);
        });
    };
    view! {
        <form on:submit=submit novalidate>
            <p>{intro}</p>
            <Field id="enable-password" label=password_label value=password input_type="password"
                autocomplete="current-password" error=password_error autofocus=true />
            <ErrorNote message=error />
            <div class="actions">
                <button type="submit" disabled=move || busy.get()>"Continue"</button>
                <button type="button" class="secondary" on:click=move |_| close.run(false)>"Cancel"</button>
            </div>
        </form>
    }
}

#[component]
fn ScanAndVerify(
    target: MfaTarget,
    setup: TotpSetupResponse,
    codes: RwSignal<Option<Vec<String>>>,
    close: Callback<bool>,
) -> impl IntoView {
    let qr_label = match target.username() {
        None => "QR code for your authenticator app".to_owned(),
        Some(username) => format!("QR code for the authenticator app of {username}"),
    };
    let whose = match &target {
        MfaTarget::Me => None,
        MfaTarget::Login { username, .. } => Some(format!(
            "Hand this over to the user of {username}: they scan the code with their phone and tell you the 6-digit code."
        )),
    };
    let code = RwSignal::new(String::new());
    let submitted_error = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let code_error = Signal::derive(move || {
        submitted_error
            .get()
            .or_else(|| OtpCode::check_partial(&code.get()).err().map(|e| e.message.to_owned()))
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = code.get_untracked();
        submitted_error.set(OtpCode::parse(&value).err().map(|e| e.message.to_owned()));
        if submitted_error.get_untracked().is_some() || busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let target = target.clone();
        spawn_local(async move {
            let activated = match target {
                MfaTarget::Me => client::totp_activate(value).await,
                MfaTarget::Login { id, .. } => client::account_totp_activate(id, value).await,
            };
            match activated {
                Ok(r) => codes.set(Some(r.recovery_codes)),
                Err(e) => error.set(Some(e.message)),
            }
            busy.set(false);
        });
    };
    Effect::new(move |_| {
        code.track();
        submitted_error.set(None);
    });
    let grouped = domain::group_in_fours(&setup.secret);
    view! {
        <form on:submit=submit novalidate>
            {whose.map(|w| view! { <p class="notice">{w}</p> })}
            <ol class="steps">
                <li>"Open your authenticator app (Google Authenticator, Aegis, Authy, …) and add an account."</li>
                <li>"Scan the QR code, or type the secret key by hand."</li>
                <li>"Enter the 6-digit code the app shows."</li>
            </ol>
            <div class="enrol">
                <div class="qr" role="img" aria-label=qr_label inner_html=setup.qr_svg></div>
                <div>
                    <p class="muted">"Secret key (for manual entry)"</p>
                    <p class="secret" data-testid="totp-secret" data-secret=setup.secret.clone()><code>{grouped}</code></p>
                    <p class="advice">
                        "For security, do not use the same device for the authenticator app that you use to log in."
                    </p>
                </div>
            </div>
            <Field id="enable-code" label="6-digit code from the app" value=code autocomplete="one-time-code"
                inputmode="numeric" error=code_error />
            <ErrorNote message=error />
            <div class="actions">
                <button type="submit" disabled=move || busy.get()>"Verify & Enable"</button>
                <button type="button" class="secondary" on:click=move |_| close.run(false)>"Cancel"</button>
            </div>
        </form>
    }
}

/// A password-and-current-code form awaiting its confirmation; shared by the
/// dialogs that change an active second factor.
#[derive(Clone, Copy)]
struct ProofForm {
    password: RwSignal<String>,
    code: RwSignal<String>,
    password_error: RwSignal<Option<String>>,
    code_error: RwSignal<Option<String>>,
    error: RwSignal<Option<String>>,
    confirming: RwSignal<bool>,
    busy: RwSignal<bool>,
}

impl ProofForm {
    fn new() -> Self {
        Self {
            password: RwSignal::new(String::new()),
            code: RwSignal::new(String::new()),
            password_error: RwSignal::new(None),
            code_error: RwSignal::new(None),
            error: RwSignal::new(None),
            confirming: RwSignal::new(false),
            busy: RwSignal::new(false),
        }
    }

    /// Checks both fields with the shared rules; on success the warning comes next.
    fn review(self) {
        let password = self.password.get_untracked();
        let code = self.code.get_untracked();
        self.password_error
            .set(Password::parse(&password).err().map(|e| e.message.to_owned()));
        self.code_error
            .set(SecondFactor::parse(&code).err().map(|e| e.message.to_owned()));
        if self.password_error.get_untracked().is_none() && self.code_error.get_untracked().is_none() {
            self.error.set(None);
            self.confirming.set(true);
        }
    }

    /// Sends password and code once; a refusal returns to the form with its message.
    fn send<T, Fut>(self, request: impl FnOnce(String, String) -> Fut, on_ok: impl FnOnce(T) + 'static)
    where
        T: 'static,
        Fut: Future<Output = Result<T, ClientError>> + 'static,
    {
        if self.busy.get_untracked() {
            return;
        }
        self.busy.set(true);
        let sent = request(self.password.get_untracked(), self.code.get_untracked());
        spawn_local(async move {
            let result = sent.await;
            self.busy.set(false);
            match result {
                Ok(value) => on_ok(value),
                Err(e) => {
                    self.confirming.set(false);
                    self.code.set(String::new());
                    self.error.set(Some(e.message));
                }
            }
        });
    }
}

/// The form of a [`ProofForm`], then its warning with a confirm button.
#[component]
fn ProofStep(
    form: ProofForm,
    submit_label: &'static str,
    warning: &'static str,
    confirm_label: &'static str,
    back_label: &'static str,
    /// Styles the buttons as destructive.
    #[prop(optional)]
    danger: bool,
    on_confirm: Callback<()>,
    close: Callback<bool>,
) -> impl IntoView {
    let class = if danger { "danger" } else { "" };
    let review = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        form.review();
    };
    view! {
        <Show
            when=move || form.confirming.get()
            fallback=move || view! {
                <form on:submit=review novalidate>
                    <Field id="proof-password" label="Current password" value=form.password input_type="password"
                        autocomplete="current-password" error=form.password_error autofocus=true />
                    <Field id="proof-code" label="Code from your app (or a recovery code)" value=form.code
                        autocomplete="one-time-code" error=form.code_error />
                    <ErrorNote message=form.error />
                    <div class="actions">
                        <button type="submit" class=class>{submit_label}</button>
                        <button type="button" class="secondary" on:click=move |_| close.run(false)>"Cancel"</button>
                    </div>
                </form>
            }
        >
            <p role="alert">{warning}</p>
            <div class="actions">
                <button type="button" class=class disabled=move || form.busy.get() on:click=move |_| on_confirm.run(())>
                    {confirm_label}
                </button>
                <button type="button" class="secondary" on:click=move |_| form.confirming.set(false)>{back_label}</button>
            </div>
        </Show>
    }
}

/// Disabling one's own 2FA: password and a current code, then a confirmation.
#[component]
fn DisableDialog(
    #[prop(default = "Disable two-factor authentication")] title: &'static str,
    /// The button that finally switches 2FA off (webmail's help pages: "Save").
    #[prop(default = "Yes, disable")]
    confirm_label: &'static str,
    close: Callback<bool>,
) -> impl IntoView {
    let form = ProofForm::new();
    let disable = Callback::new(move |()| form.send(client::totp_disable, move |()| close.run(true)));
    view! {
        <Modal id="disable-mfa" title=title>
            <ProofStep form danger=true close on_confirm=disable
                submit_label="Disable two-factor authentication"
                warning="Really disable two-factor authentication? Your password alone will protect this login, \
                         and your recovery codes will stop working."
                confirm_label back_label="Keep it on" />
        </Modal>
    }
}

/// New recovery codes: password and a current code, a confirmation, then the reveal.
#[component]
fn RegenerateDialog(close: Callback<bool>) -> impl IntoView {
    let form = ProofForm::new();
    let codes = RwSignal::new(None::<Vec<String>>);
    let regenerate = Callback::new(move |()| {
        form.send(client::regenerate_recovery_codes, move |r: RecoveryCodesResponse| {
            codes.set(Some(r.recovery_codes))
        })
    });
    view! {
        <Modal id="regenerate-codes" title="New recovery codes">
            {move || match codes.get() {
                Some(codes) => view! {
                    <RecoveryCodesReveal codes on_done=Callback::new(move |()| close.run(true)) />
                }.into_any(),
                None => view! {
                    <ProofStep form close on_confirm=regenerate
                        submit_label="Generate new codes"
                        warning="Your current recovery codes will stop working. Continue?"
                        confirm_label="Yes, make new codes" back_label="Back" />
                }.into_any(),
            }}
        </Modal>
    }
}

/// Which dialog about one's own second factor is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnMfaDialog {
    None,
    Enable,
    Disable,
    Regenerate,
}

/// The open [`OwnMfaDialog`], in a surface's own words (webmail says "MFA"
/// and "Save", the User Panel "2FA"). `close` gets `true` after a change.
#[component]
pub fn OwnMfaDialogs(
    open: RwSignal<OwnMfaDialog>,
    close: Callback<bool>,
    #[prop(default = "Enable two-factor authentication")] enable_title: &'static str,
    #[prop(default = "Disable two-factor authentication")] disable_title: &'static str,
    /// The last button of enabling and of disabling; "Done" and "Yes, disable" when left out.
    #[prop(optional)]
    save_label: Option<&'static str>,
) -> impl IntoView {
    move || match open.get() {
        OwnMfaDialog::None => ().into_any(),
        OwnMfaDialog::Enable => view! {
            <EnableDialog target=MfaTarget::Me title=enable_title done_label=save_label.unwrap_or("Done") close />
        }
        .into_any(),
        OwnMfaDialog::Disable => view! {
            <DisableDialog title=disable_title confirm_label=save_label.unwrap_or("Yes, disable") close />
        }
        .into_any(),
        OwnMfaDialog::Regenerate => view! { <RegenerateDialog close /> }.into_any(),
    }
}
