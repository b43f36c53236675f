//! The dialogs that change a second factor: enrol (for oneself, or for a
//! customer's package or mailbox login), move to a new phone, disable, new
//! recovery codes.

use leptos::prelude::*;

use crate::api::ErrorCode;
use crate::api::{RecoveryCodesResponse, TotpSetupResponse};
use crate::client::{self, ClientError};
use crate::components::{CopyButton, ErrorNote, Field, Modal, RecoveryCodesReveal, Submission, Surface};
use crate::domain::{self, OtpCode, Password, SecondFactor};

/// Whose second factor a dialog sets up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MfaTarget {
    /// The logged-in user's own.
    Me,
    /// A login the user manages (a customer's package or mailbox login).
    Login { id: i32, username: String },
    /// The login a set-up link was e-mailed to, set up by its own user
    /// without a session: the link's token and the login's password.
    Link { token: String },
}

impl MfaTarget {
    /// The managed login's name; `None` for one's own (a link's too: its
    /// user sets up their own phone).
    fn username(&self) -> Option<String> {
        match self {
            Self::Me | Self::Link { .. } => None,
            Self::Login { username, .. } => Some(username.clone()),
        }
    }
}

/// Enrolment in a dialog: password → QR code and secret → first code →
/// recovery codes. `close` gets `true` once 2FA is on, which it is from the
/// verified code on: the recovery codes are shown under that news.
#[component]
pub fn EnableDialog(target: MfaTarget, close: Callback<bool>) -> impl IntoView {
    let steps = EnableState::new();
    // Once the recovery codes show, only their confirmed "saved" closes the
    // dialog: they are never shown again.
    // Nor while the code that turns it on is out: its answer holds them.
    let on_cancel = Callback::new(move |()| {
        if steps.codes.with_untracked(Option::is_none) && !steps.activating.get_untracked() {
            close.run(false);
        }
    });
    view! {
        <Modal id="enable-mfa" title=Surface::current().enable() on_cancel>
            <EnableSteps target steps close />
        </Modal>
    }
}

/// Where an enrolment stands.
#[derive(Clone, Copy)]
pub struct EnableState {
    setup: RwSignal<Option<TotpSetupResponse>>,
    codes: RwSignal<Option<RecoveryCodesResponse>>,
    /// The first code is out; its answer brings the recovery codes.
    activating: RwSignal<bool>,
}

impl EnableState {
    pub fn new() -> Self {
        Self {
            setup: RwSignal::new(None),
            codes: RwSignal::new(None),
            activating: RwSignal::new(false),
        }
    }
}

/// The steps of an enrolment, in a dialog or on a page of their own (the
/// set-up link's).
#[component]
pub fn EnableSteps(target: MfaTarget, steps: EnableState, close: Callback<bool>) -> impl IntoView {
    let surface = Surface::current();
    let EnableState {
        setup,
        codes,
        activating,
    } = steps;
    let activate = {
        let target = target.clone();
        Submission::new(
            move |code: &String| {
                let (target, code) = (target.clone(), code.clone());
                async move {
                    match target {
                        MfaTarget::Me => client::totp_activate(code).await,
                        MfaTarget::Login { id, .. } => client::account_totp_activate(id, code).await,
                        MfaTarget::Link { token } => client::setup_link_activate(token, code).await,
                    }
                }
            },
            move |answer| {
                if let Ok(activated) = answer {
                    codes.set(Some(activated));
                }
            },
        )
    };
    let sending = activate.pending();
    Effect::new(move |_| activating.set(sending.get()));
    move || match (setup.get(), codes.get()) {
        (_, Some(codes)) => {
            let news = match target.username() {
                None => surface.now_on(),
                Some(username) => format!(
                    "{} is now {} for {username}.",
                    surface.noun_first(),
                    surface.on().to_lowercase()
                ),
            };
            view! {
                <RecoveryCodesReveal codes owner=target.username() news
                    on_done=Callback::new(move |()| close.run(true)) />
            }
            .into_any()
        }
        (Some(s), None) => view! {
            <ScanAndVerify target=target.clone() setup=s verify=activate submit_label="Verify & Enable" close />
        }
        .into_any(),
        (None, None) => view! { <ConfirmPassword target=target.clone() setup close /> }.into_any(),
    }
}

#[component]
fn ConfirmPassword(
    target: MfaTarget,
    setup: RwSignal<Option<TotpSetupResponse>>,
    close: Callback<bool>,
) -> impl IntoView {
    // Whose password: a customer confirms with its own, not the login's.
    let (password_label, intro) = match &target {
        MfaTarget::Me => ("Current password", "Enter your current password to start.".to_owned()),
        MfaTarget::Login { username, .. } => (
            "Your own password",
            format!("You are setting up two-factor authentication for {username}. Enter your own password to start."),
        ),
        MfaTarget::Link { .. } => (
            "Password of the login",
            "Enter the password of the login this link sets up: the one you log in with.".to_owned(),
        ),
    };
    let password = RwSignal::new(String::new());
    let password_error = RwSignal::new(None::<String>);
    let start = Action::new_local(move |password: &String| {
        let (target, password) = (target.clone(), password.clone());
        async move {
            match target {
                MfaTarget::Me => client::totp_setup(password).await,
                MfaTarget::Login { id, .. } => client::account_totp_setup(id, password).await,
                MfaTarget::Link { token } => client::setup_link_start(token, password)
                    .await
                    .map(|started| started.setup),
            }
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(started)) = start.value().get() {
            setup.set(Some(started));
        }
    });
    let error = Signal::derive(move || match start.value().get() {
        Some(Err(e)) => Some(e.message),
        _ => None,
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = password.get_untracked();
        password_error.set(Password::parse(&value).err().map(|e| e.message.to_owned()));
        if password_error.get_untracked().is_none() && !start.pending().get_untracked() {
            start.dispatch(value);
        }
    };
    view! {
        <form on:submit=submit novalidate>
            <p>{intro}</p>
            <Field id="enable-password" label=password_label value=password input_type="password"
                autocomplete="current-password" error=password_error autofocus=true />
            <ErrorNote message=error />
            <div class="actions">
                <button type="submit" disabled=move || start.pending().get()>"Continue"</button>
                <button type="button" class="secondary" on:click=move |_| close.run(false)>"Cancel"</button>
            </div>
        </form>
    }
}

/// The QR code and key of a new secret, and the form for the first code from
/// the app; `verify` sends that code (enrolment, or a move to a new phone).
#[component]
fn ScanAndVerify<T>(
    target: MfaTarget,
    setup: TotpSetupResponse,
    verify: Submission<String, Result<T, ClientError>>,
    submit_label: &'static str,
    /// The steps for a second phone, the login's app already set up.
    #[prop(optional)]
    new_phone: bool,
    close: Callback<bool>,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
{
    let own = target.username().is_none();
    let qr_label = match target.username() {
        None => "QR code for your authenticator app".to_owned(),
        Some(username) => format!("QR code for the authenticator app of {username}"),
    };
    let whose = match &target {
        MfaTarget::Me | MfaTarget::Link { .. } => None,
        MfaTarget::Login { username, .. } => Some(format!(
            "Hand this over to the user of {username}: they scan the code with their phone and tell you the 6-digit \
             code. Not at hand? Cancel, and e-mail them a set-up link instead."
        )),
    };
    let code = RwSignal::new(String::new());
    let submitted_error = RwSignal::new(None::<String>);
    let (answer, sending) = (verify.answer(), verify.pending());
    let error = Signal::derive(move || match &*answer.read() {
        Some(Err(e)) if !sending.get() => Some(e.message.clone()),
        _ => None,
    });
    let code_error = Signal::derive(move || {
        submitted_error
            .get()
            .or_else(|| OtpCode::check_partial(&code.get()).err().map(|e| e.message.to_owned()))
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = code.get_untracked();
        submitted_error.set(OtpCode::parse(&value).err().map(|e| e.message.to_owned()));
        if submitted_error.get_untracked().is_none() {
            verify.dispatch(value);
        }
    };
    Effect::new(move |_| {
        code.track();
        submitted_error.set(None);
    });
    let grouped = domain::group_in_fours(&setup.secret);
    // On a phone, the authenticator may be on the same phone: the otpauth
    // link opens it with the account filled in (shown on touch screens).
    let same_phone = own.then(|| {
        view! {
            <a class="button-link only-touch" href=setup.otpauth_uri.clone()>"Open in authenticator app"</a>
        }
    });
    let only_device = own.then(|| {
        view! {
            <p class="hint only-touch">
                "Is this phone your only device? Tap \u{201c}Open in authenticator app\u{201d}, or copy the key and \
                 add it in the app by hand; then come back here and enter the code the app shows."
            </p>
        }
    });
    view! {
        <form on:submit=submit novalidate>
            {whose.map(|w| view! { <p class="notice">{w}</p> })}
            <ol class="steps">
                <li>{if new_phone {
                    "On the new phone, open your authenticator app (Google Authenticator, Aegis, Authy, …) and add \
                     an account."
                } else {
                    "Open your authenticator app (Google Authenticator, Aegis, Authy, …) and add an account."
                }}</li>
                <li>"Scan the QR code, or type the secret key by hand."</li>
                <li>"Enter the 6-digit code the app shows."</li>
            </ol>
            <div class="enrol">
                <div class="qr" role="img" aria-label=qr_label inner_html=setup.qr_svg></div>
                <div>
                    <p class="muted">"Secret key (for manual entry)"</p>
                    <p class="secret" data-testid="totp-secret" data-secret=setup.secret.clone()><code>{grouped}</code></p>
                    <div class="actions key-actions">
                        {same_phone}
                        <CopyButton text=setup.secret.clone() label="Copy key"
                            failed="Copying failed: select the key and copy it by hand." />
                    </div>
                    {only_device}
                    <p class="advice">
                        "Safest: keep the app on a different device from the one you log in on. Even on the same \
                         phone it stops anyone who only knows your password."
                    </p>
                </div>
            </div>
            <Field id="enable-code" label="6-digit code from the app" value=code autocomplete="one-time-code"
                inputmode="numeric" error=code_error />
            <ErrorNote message=error />
            <div class="actions">
                <button type="submit" disabled=move || sending.get()>{submit_label}</button>
                <button type="button" class="secondary" disabled=move || sending.get() on:click=move |_| close.run(false)>
                    "Cancel"
                </button>
            </div>
        </form>
    }
}

/// A password-and-current-code form awaiting its confirmation; shared by the
/// dialogs that change an active second factor. `send` posts both once the
/// warning is confirmed.
struct ProofForm<T: 'static> {
    password: RwSignal<String>,
    code: RwSignal<String>,
    password_error: RwSignal<Option<String>>,
    code_error: RwSignal<Option<String>>,
    error: RwSignal<Option<String>>,
    confirming: RwSignal<bool>,
    send: Submission<(String, String), Result<T, ClientError>>,
}

impl<T> Clone for ProofForm<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for ProofForm<T> {}

impl<T: Clone + Send + Sync + 'static> ProofForm<T> {
    /// A form whose confirmation runs `request(password, code)`; `on_ok` gets
    /// the answer, and a refusal returns to the form with its message.
    fn new<Fut>(request: impl Fn(String, String) -> Fut + 'static, on_ok: impl Fn(T) + 'static) -> Self
    where
        Fut: Future<Output = Result<T, ClientError>> + 'static,
    {
        let (code, error, confirming) = (RwSignal::new(String::new()), RwSignal::new(None), RwSignal::new(false));
        let send = Submission::new(
            move |(password, code): &(String, String)| request(password.clone(), code.clone()),
            move |answer| match answer {
                Ok(value) => on_ok(value),
                Err(e) => {
                    confirming.set(false);
                    code.set(String::new());
                    error.set(Some(e.message));
                }
            },
        );
        Self {
            password: RwSignal::new(String::new()),
            code,
            password_error: RwSignal::new(None),
            code_error: RwSignal::new(None),
            error,
            confirming,
            send,
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

    /// Sends password and code, once at a time.
    fn confirm(self) {
        self.send
            .dispatch((self.password.get_untracked(), self.code.get_untracked()));
    }
}

/// The form of a [`ProofForm`], then its warning with a confirm button.
#[component]
fn ProofStep<T>(
    form: ProofForm<T>,
    /// What the change does, above the fields.
    intro: String,
    /// Asked once both fields pass.
    warning: String,
    confirm_label: String,
    back_label: &'static str,
    /// Styles the buttons as destructive.
    #[prop(optional)]
    danger: bool,
    close: Callback<bool>,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
{
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
                    <p>{intro.clone()}</p>
                    <Field id="proof-password" label="Current password" value=form.password input_type="password"
                        autocomplete="current-password" error=form.password_error autofocus=true />
                    <Field id="proof-code" label="Code from your app (or a recovery code)" value=form.code
                        autocomplete="one-time-code" error=form.code_error />
                    <ErrorNote message=form.error />
                    <div class="actions">
                        <button type="submit" class=class>"Continue"</button>
                        <button type="button" class="secondary" on:click=move |_| close.run(false)>"Cancel"</button>
                    </div>
                </form>
            }
        >
            <p role="alert">{warning.clone()}</p>
            <div class="actions">
                <button type="button" class=class disabled=move || form.send.pending().get()
                    on:click=move |_| form.confirm()>
                    {confirm_label.clone()}
                </button>
                <button type="button" class="secondary" on:click=move |_| form.confirming.set(false)>{back_label}</button>
            </div>
        </Show>
    }
}

/// Switching one's own app off: password and a current code, then what
/// protects the login afterwards, and the confirmation.
#[component]
fn DisableDialog(
    /// Where the login's codes go instead, when e-mailed codes take over.
    back_to_email: Option<String>,
    close: Callback<bool>,
) -> impl IntoView {
    let surface = Surface::current();
    let form = ProofForm::new(client::totp_disable, move |()| close.run(true));
    let afterwards = match back_to_email {
        Some(to) => format!("Logging in will need a 6-digit code sent by e-mail to {to} again"),
        None => "Your password alone will then protect this login".to_owned(),
    };
    view! {
        <Modal id="disable-mfa" title=surface.disable() on_cancel=Callback::new(move |()| close.run(false))>
            <ProofStep form danger=true close
                intro="Enter your password and a current code from your app, or one of your recovery codes.".to_owned()
                warning=format!("{}? {afterwards}, and your recovery codes will stop working.", surface.disable())
                confirm_label=surface.disable() back_label="Keep it" />
        </Modal>
    }
}

/// New recovery codes: password and a current code, a confirmation, then the reveal.
#[component]
fn RegenerateDialog(close: Callback<bool>) -> impl IntoView {
    let codes = RwSignal::new(None::<RecoveryCodesResponse>);
    let form = ProofForm::new(client::regenerate_recovery_codes, move |r| codes.set(Some(r)));
    view! {
        // Not while the new codes are on their way: they are shown only once.
        <Modal id="regenerate-codes" title="New recovery codes" on_cancel=Callback::new(move |()| {
            if codes.with_untracked(Option::is_none) && !form.send.pending().get_untracked() {
                close.run(false);
            }
        })>
            {move || match codes.get() {
                Some(codes) => view! {
                    <RecoveryCodesReveal codes news="Your new recovery codes are ready; the old ones no longer work.".to_owned()
                        on_done=Callback::new(move |()| close.run(true)) />
                }.into_any(),
                None => view! {
                    <ProofStep form close
                        intro="You get 10 new recovery codes, and all of your current ones stop working at once. \
                               Enter your password and a current code from your app (or a recovery code).".to_owned()
                        warning="All of your current recovery codes will stop working. Make new ones?".to_owned()
                        confirm_label="Make new recovery codes".to_owned() back_label="Back" />
                }.into_any(),
            }}
        </Modal>
    }
}

/// Moving the app to a new phone: the password and a current code (from the
/// old app, or a recovery code when it is gone), then the new phone scans its
/// QR code and confirms with its first code. Until then the old app works.
#[component]
fn MoveDialog(close: Callback<bool>) -> impl IntoView {
    let setup = RwSignal::new(None::<TotpSetupResponse>);
    let moved = RwSignal::new(false);
    let form = ProofForm::new(client::totp_move_start, move |started| setup.set(Some(started)));
    let confirm = Submission::new(
        |code: &String| client::totp_move_confirm(code.clone()),
        move |answer| match answer {
            Ok(()) => moved.set(true),
            // Reset, or moved from another tab meanwhile: start again.
            Err(e) if matches!(e.code, ErrorCode::NoPendingSetup | ErrorCode::TotpNotEnabled) => {
                form.error.set(Some(e.message));
                setup.set(None);
            }
            Err(_) => {}
        },
    );
    view! {
        <Modal id="move-app" title="Move to a new phone" on_cancel=Callback::new(move |()| close.run(moved.get_untracked()))>
            {move || match (setup.get(), moved.get()) {
                (_, true) => view! {
                    <p role="status">
                        "Your authenticator app is on the new phone now. Codes from the old one no longer work, and \
                         every other session of this login was logged out. Your other recovery codes still work."
                    </p>
                    <p class="hint">"Moved the app with its accounts? Delete the old entry, so only one is left."</p>
                    <div class="actions">
                        <button type="button" on:click=move |_| close.run(true)>"Done"</button>
                    </div>
                }.into_any(),
                (Some(started), false) => view! {
                    <ScanAndVerify target=MfaTarget::Me setup=started verify=confirm submit_label="Verify & Move"
                        new_phone=true close />
                }.into_any(),
                (None, false) => view! {
                    <ProofStep form close
                        intro="Install an authenticator app on the new phone first. Then enter your password and a \
                               code from the old phone\u{2019}s app or, if it is gone, one of your recovery codes."
                            .to_owned()
                        warning="The new phone gets a new QR code. Once you enter its first code, the old phone\u{2019}s \
                                 codes stop working and your other sessions end; your other recovery codes still \
                                 work.".to_owned()
                        confirm_label="Show the new QR code".to_owned() back_label="Back" />
                }.into_any(),
            }}
        </Modal>
    }
}

/// Which dialog about one's own second factor is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnMfaDialog {
    None,
    Enable,
    Disable {
        /// E-mailed codes take over, to this address.
        back_to_email: Option<String>,
    },
    Regenerate,
    /// Move the app to a new phone.
    Move,
}

/// The open [`OwnMfaDialog`], in the page's [`Surface`]'s words. `close`
/// gets `true` after a change.
#[component]
pub fn OwnMfaDialogs(open: RwSignal<OwnMfaDialog>, close: Callback<bool>) -> impl IntoView {
    move || match open.get() {
        OwnMfaDialog::None => ().into_any(),
        OwnMfaDialog::Enable => view! { <EnableDialog target=MfaTarget::Me close /> }.into_any(),
        OwnMfaDialog::Disable { back_to_email } => view! { <DisableDialog back_to_email close /> }.into_any(),
        OwnMfaDialog::Regenerate => view! { <RegenerateDialog close /> }.into_any(),
        OwnMfaDialog::Move => view! { <MoveDialog close /> }.into_any(),
    }
}
