//! One's own second factor as every surface shows it: its state in the
//! surface's words, what that means at the next login, the recovery codes
//! left, and the buttons that open the dialogs.

use leptos::prelude::*;

use super::OwnMfaDialog;
use crate::api::{ActiveFactor, MfaStatus};
use crate::domain::{SecurityEventKind, format_duration};

/// The surface a page belongs to. Each keeps its help page's words, one noun
/// and one pair of verbs: the control panel "two-factor authentication",
/// activate/deactivate, active/inactive (seeds 000, 004); its admin console
/// the same with "2FA" in its tables; webmail "MFA", enable/disable,
/// Enabled/Disabled (seed 003); the User Panel "2FA" (seed 002).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    ControlPanel,
    Admin,
    Webmail,
    UserPanel,
}

impl Surface {
    /// The surface of the page being rendered: each page provides its own;
    /// the control panel's when none did.
    pub fn current() -> Self {
        use_context::<Self>().unwrap_or(Self::ControlPanel)
    }

    pub const fn noun(self) -> &'static str {
        match self {
            Self::ControlPanel => "two-factor authentication",
            Self::Admin | Self::UserPanel => "2FA",
            Self::Webmail => "MFA",
        }
    }

    /// The noun at the start of a sentence.
    pub const fn noun_first(self) -> &'static str {
        match self {
            Self::ControlPanel => "Two-factor authentication",
            other => other.noun(),
        }
    }

    /// The state words of the badge.
    pub const fn on(self) -> &'static str {
        match self {
            Self::ControlPanel | Self::Admin => "active",
            Self::Webmail | Self::UserPanel => "Enabled",
        }
    }

    pub const fn off(self) -> &'static str {
        match self {
            Self::ControlPanel | Self::Admin => "inactive",
            Self::Webmail | Self::UserPanel => "Disabled",
        }
    }

    const fn verbs(self) -> (&'static str, &'static str) {
        match self {
            Self::ControlPanel | Self::Admin => ("Activate", "Deactivate"),
            Self::Webmail | Self::UserPanel => ("Enable", "Disable"),
        }
    }

    /// "Activate two-factor authentication", "Enable MFA".
    pub fn enable(self) -> String {
        format!("{} {}", self.verbs().0, self.noun())
    }

    /// "Deactivate two-factor authentication", "Disable MFA".
    pub fn disable(self) -> String {
        format!("{} {}", self.verbs().1, self.noun())
    }

    /// "Two-factor authentication is now active."
    pub fn now_on(self) -> String {
        format!("{} is now {}.", self.noun_first(), self.on().to_lowercase())
    }

    /// An event as this surface's log shows it: "MFA enabled" in webmail,
    /// "Two-factor authentication deactivated by an administrator" in the
    /// control panel. Events that name no second factor keep their label.
    pub fn event_label(self, kind: SecurityEventKind) -> String {
        // Every verb ends in "e": "activate" → "activated".
        let past = |verb: &str| format!("{}d", verb.to_lowercase());
        let (on, off) = self.verbs();
        let noun = self.noun_first();
        match kind {
            SecurityEventKind::MfaEnabled => format!("{noun} {}", past(on)),
            SecurityEventKind::MfaDisabled => format!("{noun} {}", past(off)),
            SecurityEventKind::MfaResetByAdmin => format!("{noun} {} by an administrator", past(off)),
            SecurityEventKind::MfaResetByOwner => format!("{noun} {} by the customer", past(off)),
            other => other.label().to_owned(),
        }
    }
}

/// Recovery codes left from which the section warns.
pub const FEW_RECOVERY_CODES: u32 = 3;

/// The state of one's own second factor and the buttons that change it.
/// After a login with a recovery code (`via_recovery_code`) it offers to move
/// the app to a new phone: whoever needed one has probably lost the old one.
#[component]
pub fn MfaSection(
    mfa: MfaStatus,
    dialog: RwSignal<OwnMfaDialog>,
    #[prop(optional)] via_recovery_code: bool,
) -> impl IntoView {
    let surface = Surface::current();
    let period = mfa.totp.period;
    let contact = mfa.contact_email.clone().unwrap_or_default();
    let valid_for = format_duration(mfa.email_code_valid_for);
    match mfa.active {
        ActiveFactor::App => {
            let back_to_email = mfa.email_codes.then(|| contact.clone());
            let how = match surface {
                Surface::Webmail => format!(
                    "After your password, the webmail asks for the code from your authenticator app ({period}-second \
                     codes) in a pop-up. In the User Panel, type the code straight after your password."
                ),
                Surface::UserPanel => format!(
                    "Log in to the User Panel with your password followed by the current 6-digit code \
                     ({period}-second codes); the webmail asks for the code in a pop-up."
                ),
                Surface::ControlPanel | Surface::Admin => format!(
                    "Logging in needs your password and a code from your authenticator app ({period}-second codes)."
                ),
            };
            let fallback = back_to_email.as_ref().map(|to| {
                format!(
                    "{} it returns this login to codes sent by e-mail to {to}.",
                    match surface {
                        Surface::ControlPanel | Surface::Admin => "Deactivating",
                        Surface::Webmail | Surface::UserPanel => "Disabling",
                    }
                )
            });
            let lost_phone = via_recovery_code.then(|| {
                view! {
                    <div class="warning" role="status" data-testid="lost-phone">
                        <p>
                            "You logged in with a recovery code. Lost or replaced your phone? Move the authenticator \
                             app to the new one now: the old phone\u{2019}s codes then stop working."
                        </p>
                        <button type="button" on:click=move |_| dialog.set(OwnMfaDialog::Move)>
                            "Move to a new phone"
                        </button>
                    </div>
                }
            });
            view! {
                <p class="status" data-testid="mfa-method">
                    <span class="badge on">{surface.on()}</span>" "{how}
                </p>
                {lost_phone}
                <RecoveryCodesLeft left=mfa.recovery_codes_left dialog />
                {fallback.map(|f| view! { <p class="muted">{f}</p> })}
                <div class="actions">
                    <button type="button" class="danger" id="mfa-action"
                        on:click=move |_| dialog.set(OwnMfaDialog::Disable { back_to_email: back_to_email.clone() })>
                        {surface.disable()}
                    </button>
                    <button type="button" class="secondary" id="mfa-regenerate" aria-describedby="mfa-regenerate-hint"
                        on:click=move |_| dialog.set(OwnMfaDialog::Regenerate)>
                        "New recovery codes"
                    </button>
                    // Once: the offer above has the button after a recovery-code login.
                    {(!via_recovery_code).then(|| view! {
                        <button type="button" class="secondary" id="mfa-move"
                            on:click=move |_| dialog.set(OwnMfaDialog::Move)>
                            "Move to a new phone"
                        </button>
                    })}
                </div>
                <p class="hint" id="mfa-regenerate-hint">
                    "New recovery codes replace all of your current ones: those stop working."
                </p>
            }
            .into_any()
        }
        ActiveFactor::Email => {
            let (badge, how) = match surface {
                Surface::Webmail => (
                    "Codes by e-mail",
                    format!(
                        "After your password, the webmail e-mails a 6-digit code to {contact}, valid for {valid_for}. \
                         An authenticator app is more secure and replaces it."
                    ),
                ),
                Surface::UserPanel => (
                    "Codes by e-mail",
                    format!(
                        "Logging in needs a 6-digit code we e-mail to {contact}. This one-field login cannot send \
                         one: log in through webmail, or enable 2FA with an authenticator app and type its code \
                         after your password here."
                    ),
                ),
                Surface::ControlPanel | Surface::Admin => (
                    "active: codes by e-mail",
                    format!(
                        "Logging in needs your password and a 6-digit code we e-mail to {contact}, valid for {valid_for}."
                    ),
                ),
            };
            let comparison = matches!(surface, Surface::ControlPanel).then(|| {
                view! {
                    <p>"An authenticator app is more secure. Switch whenever you like:"</p>
                    <FactorComparison period valid_for=valid_for.clone() />
                }
            });
            view! {
                <p class="status" data-testid="mfa-method">
                    <span class="badge email">{badge}</span>" "{how}
                </p>
                {comparison}
                <div class="actions">
                    <button type="button" id="mfa-action" on:click=move |_| dialog.set(OwnMfaDialog::Enable)>
                        {format!("{} with an app", surface.enable())}
                    </button>
                </div>
            }
            .into_any()
        }
        ActiveFactor::None => {
            let (how, label) = match surface {
                Surface::Webmail => (
                    "Your password alone protects this mailbox. With MFA, logging in also needs the 6-digit code \
                     from an authenticator app on your phone.",
                    surface.enable(),
                ),
                Surface::UserPanel => (
                    "You need a smartphone with an authenticator app, such as Authy or Google Authenticator. Then \
                     scan the QR code and confirm with the 6-digit code the app shows.",
                    surface.enable(),
                ),
                // The control panel's own words (seed 000).
                Surface::ControlPanel | Surface::Admin => (
                    "Your password alone protects this login.",
                    "inactive – click to activate".to_owned(),
                ),
            };
            view! {
                <p class="status" data-testid="mfa-method">
                    <span class="badge off">{surface.off()}</span>" "{how}
                </p>
                <div class="actions">
                    <button type="button" id="mfa-action" on:click=move |_| dialog.set(OwnMfaDialog::Enable)>
                        {label}
                    </button>
                </div>
            }
            .into_any()
        }
    }
}

/// How many recovery codes are left, and a warning with the way to new ones
/// when they run low.
#[component]
fn RecoveryCodesLeft(left: u32, dialog: RwSignal<OwnMfaDialog>) -> impl IntoView {
    let warning = (left <= FEW_RECOVERY_CODES).then(|| {
        let text = match left {
            0 => "No recovery codes are left: without your phone you could not log in.".to_owned(),
            1 => "Only 1 recovery code is left.".to_owned(),
            n => format!("Only {n} recovery codes are left."),
        };
        view! {
            <div class="warning" role="status" data-testid="recovery-codes-warning">
                <p>{text}" Make new ones now, while you can still log in."</p>
                <button type="button" class="secondary" on:click=move |_| dialog.set(OwnMfaDialog::Regenerate)>
                    "New recovery codes"
                </button>
            </div>
        }
    });
    view! {
        <p class="muted" data-testid="recovery-codes-left">{format!("Recovery codes left: {left}")}</p>
        {warning}
    }
}

/// The two second factors side by side, in short (help page 004).
#[component]
fn FactorComparison(period: u32, valid_for: String) -> impl IntoView {
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
                    <tr role="row"><th scope="row" role="rowheader">"Code"</th><td role="cell" data-label="Authenticator app">{format!("Right away; valid {period} seconds")}</td><td role="cell" data-label="Codes by e-mail">{format!("Arrives by mail; valid {valid_for}")}</td></tr>
                    <tr role="row"><th scope="row" role="rowheader">"Set-up"</th><td role="cell" data-label="Authenticator app">"An app on another device than the one you log in with"</td><td role="cell" data-label="Codes by e-mail">"Nothing to install"</td></tr>
                </tbody>
            </table>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_surface_logs_the_second_factor_in_its_own_words() {
        let cases = [
            (
                Surface::ControlPanel,
                SecurityEventKind::MfaEnabled,
                "Two-factor authentication activated",
            ),
            (
                Surface::Admin,
                SecurityEventKind::MfaResetByOwner,
                "2FA deactivated by the customer",
            ),
            (Surface::Webmail, SecurityEventKind::MfaEnabled, "MFA enabled"),
            (
                Surface::Webmail,
                SecurityEventKind::MfaResetByAdmin,
                "MFA disabled by an administrator",
            ),
            (Surface::UserPanel, SecurityEventKind::MfaDisabled, "2FA disabled"),
            (
                Surface::Webmail,
                SecurityEventKind::AppMoved,
                "Authenticator app moved to a new phone",
            ),
        ];
        for (surface, kind, label) in cases {
            assert_eq!(surface.event_label(kind), label, "{surface:?} {kind:?}");
        }
    }
}
