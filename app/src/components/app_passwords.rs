//! App passwords: the list with each one's last use, creating one (shown
//! once, with Copy and the server settings a mail client asks for), and
//! revoking one or all. A mailbox manages its own (webmail, User Panel); a
//! customer those of its mailboxes, an administrator revokes them.

use leptos::prelude::*;

use crate::api::{
    ActiveFactor, AppPasswordCreated, AppPasswordList, AppPasswordSummary, MailClientSettings, NewAppPasswordRequest,
};
use crate::client::{self, ClientError};
use crate::components::{CopyButton, ErrorNote, Field, Modal, Submission};
use crate::domain::{
    AppPasswordName, MailProtocol, MailProtocols, Password, SecondFactor, format_duration, format_utc,
    parse_lifetime_days,
};

/// Whose app passwords a section shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppPasswordsOf {
    /// The logged-in mailbox's own: creating one asks for its password and,
    /// when it has one, its second factor.
    Me { factor: ActiveFactor },
    /// A mailbox the caller manages: its customer creates them with its own
    /// password, an administrator only revokes.
    Login {
        id: i32,
        username: String,
        may_create: bool,
    },
}

impl AppPasswordsOf {
    fn id(&self) -> Option<i32> {
        match self {
            Self::Me { .. } => None,
            Self::Login { id, .. } => Some(*id),
        }
    }

    fn may_create(&self) -> bool {
        match self {
            Self::Me { .. } => true,
            Self::Login { may_create, .. } => *may_create,
        }
    }
}

/// Which dialog is open over the section.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Dialog {
    None,
    Create,
    Revoke(AppPasswordSummary),
    RevokeAll(usize),
}

/// "App passwords: N" in a managed mailbox's row (Package Management, the
/// admin console), opening its list in place. Which row is open is the
/// page's, so it stays open while the page reloads its list.
#[component]
pub fn AppPasswordsToggle(
    id: i32,
    username: String,
    count: u32,
    may_create: bool,
    expanded: RwSignal<Option<i32>>,
    changed: Callback<String>,
) -> impl IntoView {
    let panel = format!("app-passwords-{id}");
    let open = move || expanded.get() == Some(id);
    let of = AppPasswordsOf::Login {
        id,
        username,
        may_create,
    };
    view! {
        <div class="app-passwords-toggle">
            <button type="button" class="secondary" aria-controls=panel.clone()
                aria-expanded=move || if open() { "true" } else { "false" }
                on:click=move |_| expanded.update(|e| *e = if *e == Some(id) { None } else { Some(id) })>
                {format!("App passwords: {count}")}
            </button>
            <Show when=open>
                <div class="app-passwords-panel" id=panel.clone()>
                    <AppPasswords of=of.clone() changed />
                </div>
            </Show>
        </div>
    }
    .into_any()
}

/// The list, and the buttons that create and revoke.
#[component]
pub fn AppPasswords(
    of: AppPasswordsOf,
    /// Told what changed, instead of saying it here (the pages that count
    /// them reload their list and say it there).
    #[prop(optional)]
    changed: Option<Callback<String>>,
) -> impl IntoView {
    let id = of.id();
    let list = LocalResource::new(move || client::app_passwords(id));
    let dialog = RwSignal::new(Dialog::None);
    let done = RwSignal::new(None::<String>);
    let close = Callback::new(move |message: Option<String>| {
        dialog.set(Dialog::None);
        if let Some(message) = message {
            list.refetch();
            match changed {
                Some(changed) => changed.run(message),
                None => done.set(Some(message)),
            }
        }
    });
    let may_create = of.may_create();
    let dialog_of = of.clone();
    let advice_of = of.clone();
    view! {
        <div class="app-passwords">
            <p role="status" class="done-note">{move || done.get()}</p>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || list.get().map(|result| match result {
                    Ok(list) => view! { <Listed list of=advice_of.clone() dialog may_create done /> }.into_any(),
                    Err(e) => view! { <p class="error-note" role="alert">{e.message}</p> }.into_any(),
                })}
            </Suspense>
            {move || match dialog.get() {
                Dialog::None => ().into_any(),
                Dialog::Create => view! { <CreateDialog of=dialog_of.clone() close /> }.into_any(),
                Dialog::Revoke(password) => view! { <RevokeDialog of=id password=Some(password) count=1 close /> }.into_any(),
                Dialog::RevokeAll(count) => view! { <RevokeDialog of=id password=None count close /> }.into_any(),
            }}
        </div>
    }
    .into_any()
}

/// Help page 002: "Make sure to setup an Application Password if you want
/// to use ActiveSync", for whoever reads the section.
fn advice(of: &AppPasswordsOf, required: bool) -> String {
    // In the page's own words: webmail says MFA, the User Panel 2FA.
    let noun = super::Surface::current().noun();
    match (of, required) {
        (AppPasswordsOf::Me { .. }, true) => "Make sure to set up an app password for each mail app (Outlook, \
            Thunderbird, your phone's Mail, ActiveSync): the mailbox's password no longer works in them."
            .to_owned(),
        (AppPasswordsOf::Me { .. }, false) => format!(
            "Mail apps and ActiveSync phones still log in with the mailbox's password. Once {noun} is on, each \
             needs an app password: one per device, so that a lost phone is revoked without changing your password."
        ),
        (AppPasswordsOf::Login { username, .. }, true) => {
            format!("{username} has {noun}: its mail apps log in with app passwords only.")
        }
        (AppPasswordsOf::Login { username, .. }, false) => {
            format!("{username} has no {noun}: its mail apps may also use its password.")
        }
    }
}

#[component]
fn Listed(
    list: AppPasswordList,
    of: AppPasswordsOf,
    dialog: RwSignal<Dialog>,
    may_create: bool,
    done: RwSignal<Option<String>>,
) -> impl IntoView {
    let count = list.app_passwords.len();
    let advice_class = if list.required {
        "notice app-password-advice"
    } else {
        "muted app-password-advice"
    };
    let advice = advice(&of, list.required);
    let full = count >= list.max as usize;
    let open = move |d: Dialog| {
        done.set(None);
        dialog.set(d);
    };
    let items = list
        .app_passwords
        .into_iter()
        .map(|password| view! { <Item password dialog done /> })
        .collect_view();
    view! {
        <p class=advice_class>{advice}</p>
        {if count == 0 {
            view! { <p class="muted">"No app passwords yet."</p> }.into_any()
        } else {
            view! { <ul class="app-password-list" aria-label="App passwords">{items}</ul> }.into_any()
        }}
        {full.then(|| view! {
            <p class="notice">{format!("This mailbox has the most app passwords it may have ({}): revoke one first.", list.max)}</p>
        })}
        <div class="actions">
            {may_create.then(|| view! {
                <button type="button" disabled=full on:click=move |_| open(Dialog::Create)>"Create app password"</button>
            })}
            {(count > 1).then(|| view! {
                <button type="button" class="secondary" on:click=move |_| open(Dialog::RevokeAll(count))>
                    "Revoke all"
                </button>
            })}
        </div>
    }
    .into_any()
}

/// The protocols as mail clients name them: `IMAP, SMTP`.
fn labels(protocols: &[MailProtocol]) -> String {
    protocols.iter().map(|p| p.label()).collect::<Vec<_>>().join(", ")
}

#[component]
fn Item(password: AppPasswordSummary, dialog: RwSignal<Dialog>, done: RwSignal<Option<String>>) -> impl IntoView {
    let last_used = match &password.last_used {
        Some(used) => format!(
            "Last used {} ({}{})",
            format_utc(used.at),
            used.protocol.label(),
            used.ip.as_deref().map(|ip| format!(" from {ip}")).unwrap_or_default()
        ),
        None => "Not used yet".to_owned(),
    };
    let expires = match password.expires_at {
        Some(at) if password.expired => format!("Expired {}: it opens nothing", format_utc(at)),
        Some(at) => format!("Expires {}", format_utc(at)),
        None => "Never expires".to_owned(),
    };
    let name = password.name.clone();
    let data_name = password.name.clone();
    view! {
        <li class="app-password" data-name=data_name>
            <div class="app-password-head">
                <strong>{name}</strong>
                <span class="muted">{labels(&password.protocols)}</span>
            </div>
            <p class="app-password-meta muted">
                <span>{format!("Created {}", format_utc(password.created_at))}</span>
                <span>{expires}</span>
                <span data-testid="last-used">{last_used}</span>
            </p>
            <button type="button" class="secondary" on:click=move |_| {
                done.set(None);
                dialog.set(Dialog::Revoke(password.clone()));
            }>"Revoke"</button>
        </li>
    }
    .into_any()
}

/// The lifetimes offered: days, `None` for until revoked.
const LIFETIMES: [(&str, Option<u32>); 4] = [
    ("Until I revoke it", None),
    ("30 days", Some(30)),
    ("90 days", Some(90)),
    ("1 year", Some(365)),
];

/// Name, protocols, lifetime and the confirmation, then the new password.
#[component]
fn CreateDialog(of: AppPasswordsOf, close: Callback<Option<String>>) -> impl IntoView {
    let created = RwSignal::new(None::<AppPasswordCreated>);
    // Escape once the password is shown is its Done: it exists now.
    let on_cancel = Callback::new(move |()| {
        let ready = created.with_untracked(|c| c.as_ref().map(|c| ready_message(&c.app_password.name)));
        close.run(ready);
    });
    view! {
        <Modal id="create-app-password" title="Create app password" on_cancel>
            {move || match created.get() {
                Some(created) => view! { <Reveal created close /> }.into_any(),
                None => view! { <CreateForm of=of.clone() created close /> }.into_any(),
            }}
        </Modal>
    }
    .into_any()
}

#[component]
fn CreateForm(
    of: AppPasswordsOf,
    created: RwSignal<Option<AppPasswordCreated>>,
    close: Callback<Option<String>>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let checked = MailProtocol::ALL.map(|p| RwSignal::new(matches!(p, MailProtocol::Imap | MailProtocol::Smtp)));
    let lifetime = RwSignal::new(0_usize);
    let password = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let name_error = RwSignal::new(None::<String>);
    let protocols_error = RwSignal::new(None::<String>);
    let password_error = RwSignal::new(None::<String>);
    let code_error = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let sent = RwSignal::new(None::<String>);

    let factor = match &of {
        AppPasswordsOf::Me { factor } => *factor,
        AppPasswordsOf::Login { .. } => ActiveFactor::None,
    };
    let password_label = match of {
        AppPasswordsOf::Me { .. } => "Current password",
        AppPasswordsOf::Login { .. } => "Your own password (customer login)",
    };
    let intro = match &of {
        AppPasswordsOf::Me { .. } => {
            "Give it the name of the device or app that will use it, and choose what it may do.".to_owned()
        }
        AppPasswordsOf::Login { username, .. } => format!(
            "An app password for {username}: give it to the mailbox's user for their mail app. \
             Confirm with your own password."
        ),
    };
    let id = of.id();
    let chosen = move || -> Vec<MailProtocol> {
        MailProtocol::ALL
            .into_iter()
            .zip(checked)
            .filter(|(_, on)| on.get_untracked())
            .map(|(p, _)| p)
            .collect()
    };
    let create = Submission::new(
        move |request: &NewAppPasswordRequest| client::create_app_password(id, request.clone()),
        move |answer| match answer {
            Ok(answer) => created.set(Some(answer)),
            Err(e) => {
                password.set(String::new());
                code.set(String::new());
                error.set(Some(e.message));
            }
        },
    );
    let busy = create.pending();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let protocols = chosen();
        name_error.set(
            AppPasswordName::parse(&name.get_untracked())
                .err()
                .map(|e| e.message.to_owned()),
        );
        protocols_error.set(MailProtocols::parse(&protocols).err().map(|e| e.message.to_owned()));
        password_error.set(
            Password::parse(&password.get_untracked())
                .err()
                .map(|e| e.message.to_owned()),
        );
        let typed_code = code.get_untracked();
        code_error.set(match factor {
            ActiveFactor::None => None,
            _ => SecondFactor::parse(&typed_code).err().map(|e| e.message.to_owned()),
        });
        let expires_in_days = LIFETIMES[lifetime.get_untracked().min(LIFETIMES.len() - 1)].1;
        let invalid = [name_error, protocols_error, password_error, code_error]
            .iter()
            .any(|e| e.get_untracked().is_some())
            || parse_lifetime_days(expires_in_days).is_err();
        if invalid || busy.get_untracked() {
            return;
        }
        error.set(None);
        create.dispatch(NewAppPasswordRequest {
            name: name.get_untracked(),
            protocols,
            expires_in_days,
            password: password.get_untracked(),
            code: (factor != ActiveFactor::None).then_some(typed_code),
        });
    };
    let mail_code = Submission::new(
        |(): &()| client::send_confirmation_code(),
        move |answer| {
            sent.set(Some(match answer {
                Ok(answer) => format!(
                    "We sent a code to {} at {}. It is valid for {}.",
                    answer.sent_to,
                    super::clock::now_hh_mm(),
                    format_duration(answer.valid_for)
                ),
                Err(ClientError { message, .. }) => message,
            }))
        },
    );
    let send_code = move |_| {
        sent.set(None);
        mail_code.dispatch(());
    };
    let protocol_boxes = MailProtocol::ALL
        .into_iter()
        .zip(checked)
        .map(|(protocol, on)| {
            view! {
                <label class="checkbox">
                    <input type="checkbox" name="protocol" value=protocol.as_str() bind:checked=on />
                    <span><strong>{protocol.label()}</strong>" – "{protocol.purpose()}</span>
                </label>
            }
        })
        .collect_view();
    view! {
        <form on:submit=submit novalidate>
            <p>{intro}</p>
            <Field id="app-password-name" label="Name" hint="Like iPhone Mail or Thunderbird at home" value=name
                error=name_error autofocus=true />
            <fieldset class="protocols" aria-describedby="app-password-protocols-error">
                <legend>"It may be used for"</legend>
                {protocol_boxes}
                {move || protocols_error.get().map(|e| view! {
                    <p class="field-error" id="app-password-protocols-error">{e}</p>
                })}
            </fieldset>
            <div class="field">
                <label for="app-password-lifetime">"Works for"</label>
                <select id="app-password-lifetime" name="lifetime"
                    on:change=move |ev| lifetime.set(event_target_value(&ev).parse().unwrap_or(0))>
                    {LIFETIMES.iter().enumerate().map(|(i, (text, _))| view! {
                        <option value=i.to_string() selected=i == 0>{*text}</option>
                    }).collect_view()}
                </select>
            </div>
            <Field id="app-password-password" label=password_label value=password input_type="password"
                autocomplete="current-password" error=password_error />
            {match factor {
                ActiveFactor::None => ().into_any(),
                ActiveFactor::App => view! {
                    <Field id="app-password-code" label="Code from your app (or a recovery code)" value=code
                        autocomplete="one-time-code" error=code_error />
                }.into_any(),
                ActiveFactor::Email => view! {
                    <Field id="app-password-code" label="Code from the e-mail" value=code
                        autocomplete="one-time-code" inputmode="numeric" error=code_error />
                    <button type="button" class="link" on:click=send_code>"Send me a code"</button>
                    {move || sent.get().map(|s| view! { <p class="hint" role="status">{s}</p> })}
                }.into_any(),
            }}
            <ErrorNote message=error />
            <div class="actions">
                <button type="submit" disabled=move || busy.get()>"Create"</button>
                <button type="button" class="secondary" on:click=move |_| close.run(None)>"Cancel"</button>
            </div>
        </form>
    }
    .into_any()
}

/// What the list says once a new password was shown.
fn ready_message(name: &str) -> String {
    format!("\u{201c}{name}\u{201d} is ready.")
}

/// The new password, this once, with Copy and what the mail app asks for.
#[component]
fn Reveal(created: AppPasswordCreated, close: Callback<Option<String>>) -> impl IntoView {
    // The clipboard gets it without spaces: some mail apps keep them.
    let plain: String = created.password.chars().filter(|c| *c != ' ').collect();
    let name = created.app_password.name.clone();
    let done_message = ready_message(&name);
    view! {
        <p>
            {format!("The app password \u{201c}{name}\u{201d} for {}: ", labels(&created.app_password.protocols))}
            <strong>"it will not be shown again."</strong>
            " Enter it in the mail app instead of the mailbox's password."
        </p>
        <p class="app-password-secret" data-testid="new-app-password"><code>{created.password.clone()}</code></p>
        <div class="actions">
            <CopyButton text=plain failed="Copying failed: select the password and copy it by hand." />
        </div>
        <ServerSettings settings=created.settings />
        <div class="actions">
            <button type="button" on:click=move |_| close.run(Some(done_message.clone()))>"Done"</button>
        </div>
    }
    .into_any()
}

/// What a mail client's account set-up asks for.
#[component]
fn ServerSettings(settings: MailClientSettings) -> impl IntoView {
    let servers = settings
        .servers
        .into_iter()
        .map(|server| {
            let role = match server.protocol {
                MailProtocol::Smtp => "outgoing",
                _ => "incoming",
            };
            view! {
                <dt>{format!("{} ({role})", server.protocol.label())}</dt>
                <dd>{format!("{}, port {}, {}", server.host, server.port, server.security.label())}</dd>
            }
        })
        .collect_view();
    view! {
        <h3 class="settings-title">"Settings for the mail app"</h3>
        <dl class="facts mail-settings">
            <dt>"User name"</dt><dd>{settings.username}</dd>
            <dt>"Password"</dt><dd>"the app password above"</dd>
            {servers}
        </dl>
    }
    .into_any()
}

/// "Revoke X?" (or all of them), then the revocation.
#[component]
fn RevokeDialog(
    of: Option<i32>,
    password: Option<AppPasswordSummary>,
    count: usize,
    close: Callback<Option<String>>,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let (question, done_message) = match &password {
        Some(p) => (
            format!("Revoke \u{201c}{}\u{201d}?", p.name),
            format!("\u{201c}{}\u{201d} is revoked.", p.name),
        ),
        None => (
            format!("Revoke all {count} app passwords?"),
            "All app passwords are revoked.".to_owned(),
        ),
    };
    let target = password.map(|p| p.id);
    let revoke = Submission::new(
        move |(): &()| async move {
            match target {
                Some(id) => client::revoke_app_password(of, id).await,
                None => client::revoke_all_app_passwords(of).await,
            }
        },
        move |answer| match answer {
            Ok(()) => close.run(Some(done_message.clone())),
            // Revoked meanwhile (another tab, an administrator): done too.
            Err(e) if e.status == 404 => close.run(Some(done_message.clone())),
            Err(e) => error.set(Some(e.message)),
        },
    );
    let busy = revoke.pending();
    view! {
        <Modal id="revoke-app-password" title="Revoke app password" on_cancel=Callback::new(move |()| close.run(None))>
            <p class="question"><strong>{question}</strong></p>
            <p>"Mail apps that use it can no longer log in, at once. This cannot be undone: they need a new one."</p>
            <ErrorNote message=error />
            <div class="actions">
                <button type="button" class="danger" disabled=move || busy.get()
                    on:click=move |_| {
                        revoke.dispatch(());
                    }>
                    "Revoke"
                </button>
                <button type="button" class="secondary" on:click=move |_| close.run(None)>"Cancel"</button>
            </div>
        </Modal>
    }
    .into_any()
}
