//! `/admin`: the admin console: every login with its 2FA state, switching
//! 2FA off, and the security log.
//!
//! Switching 2FA off is the support desk's answer to a lost phone (seed 001:
//! the administrator can switch 2FA off for any user); the security log
//! records who did it, and the user sees it under My Account.

use leptos::prelude::*;

use crate::api::{AccountFilter, AccountSummary, ActiveFactor, AuditFilter, MfaState, SecurityEvent};
use crate::client::{self, ClientError};
use crate::components::{
    AppPasswordsToggle, Field, FlagBadge, FlagDismissed, IdleWarning, Login, SecurityEvents, Submission, Surface,
    SwitchOffDialog, TopBar, redirect_when_logged_out, signed_in,
};
use crate::domain::{AccountKind, SecurityEventKind, format_utc};

/// Events per page of the security log.
const PAGE: u32 = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Accounts,
    Log,
}

/// The admin console.
#[component]
pub fn AdminPage() -> impl IntoView {
    provide_context(Surface::Admin);
    let me = LocalResource::new(client::me);
    redirect_when_logged_out(me, "/");
    view! {
        <main class="page wide">
            <TopBar />
            <h1>"Admin console"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || me.get().map(|result| signed_in(result, |me| match me.kind {
                    AccountKind::Admin => view! {
                        {(me.mfa.active == ActiveFactor::None).then(|| view! {
                            <div class="warning admin-nudge" role="status">
                                <p>
                                    <strong>"Your administrator login has no 2FA."</strong>
                                    " It can deactivate anyone's: protect it with an authenticator app."
                                </p>
                                <a class="button-link" href="/account">"Activate 2FA under My Account"</a>
                            </div>
                        })}
                        <Console me=me.username />
                    }.into_any(),
                    _ => view! {
                        <section class="card">
                            <p role="alert">"This page is for administrators."</p>
                            <p><a href="/account">"Back to My Account"</a></p>
                        </section>
                    }.into_any(),
                }))}
            </Suspense>
            <IdleWarning me login="/" />
        </main>
    }
}

/// The two tabs. Both panels stay mounted (one hidden), so a search or a
/// filter survives switching back and forth. Both tabs stay in the Tab
/// order: there is no arrow-key roving focus to reach a `tabindex=-1` one.
#[component]
fn Console(
    /// The administrator's own username: its own 2FA is switched off under
    /// My Account, with a current code, not here.
    me: String,
) -> impl IntoView {
    let tab = RwSignal::new(Tab::Accounts);
    let tab_button = move |which: Tab, id: &'static str, panel: &'static str, label: &'static str| {
        view! {
            <button type="button" role="tab" id=id aria-controls=panel
                aria-selected=move || if tab.get() == which { "true" } else { "false" }
                class="tab" on:click=move |_| tab.set(which)>
                {label}
            </button>
        }
    };
    view! {
        <div class="tabs" role="tablist" aria-label="Admin console">
            {tab_button(Tab::Accounts, "tab-accounts", "panel-accounts", "Accounts")}
            {tab_button(Tab::Log, "tab-log", "panel-log", "Security log")}
        </div>
        <div role="tabpanel" id="panel-accounts" aria-labelledby="tab-accounts" hidden=move || tab.get() != Tab::Accounts>
            <AccountsTab me />
        </div>
        <div role="tabpanel" id="panel-log" aria-labelledby="tab-log" hidden=move || tab.get() != Tab::Log>
            <SecurityLogTab active=Signal::derive(move || tab.get() == Tab::Log) />
        </div>
    }
}

/// A `<select>`'s value as a filter: its option values are the wire names,
/// and `""` ("any") parses as no filter.
fn parse_choice<T: std::str::FromStr>(value: &str) -> Option<T> {
    value.parse().ok()
}

/// [`parse_choice`] for the 2FA state, which has no `FromStr`.
fn mfa_choice(value: &str) -> Option<MfaState> {
    [MfaState::Off, MfaState::Pending, MfaState::Email, MfaState::On]
        .into_iter()
        .find(|s| s.as_str() == value)
}

/// Search, filter, and switch 2FA off.
#[component]
fn AccountsTab(me: String) -> impl IntoView {
    let q = RwSignal::new(String::new());
    let kind = RwSignal::new(String::new());
    let mfa = RwSignal::new(String::new());
    // The filter of the last search; the form's fields may differ until submitted.
    let applied = RwSignal::new(AccountFilter::default());
    let list = LocalResource::new(move || {
        let filter = applied.get();
        async move { client::accounts(&filter).await }
    });
    let switching = RwSignal::new(None::<Login>);
    let done = RwSignal::new(None::<String>);

    let search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        done.set(None);
        let q = q.get_untracked();
        let filter = AccountFilter {
            q: Some(q.trim().to_owned()).filter(|q| !q.is_empty()),
            kind: parse_choice(&kind.get_untracked()),
            mfa: mfa_choice(&mfa.get_untracked()),
        };
        if applied.get_untracked() == filter {
            // The same filter again still means "look again".
            list.refetch();
        } else {
            applied.set(filter);
        }
    };
    let close = Callback::new(move |switched_off: Option<String>| {
        switching.set(None);
        if let Some(username) = switched_off {
            done.set(Some(format!("2FA is now inactive for {username}.")));
            list.refetch();
        }
    });
    provide_context(FlagDismissed(Callback::new(move |username: String| {
        done.set(Some(format!("The report on {username} is dismissed.")));
        list.refetch();
    })));
    let expanded = RwSignal::new(None::<i32>);
    let app_passwords_changed = Callback::new(move |message: String| {
        done.set(Some(message));
        list.refetch();
    });

    view! {
        <form class="card filters" role="search" on:submit=search novalidate>
            <Field id="admin-q" label="Username contains" value=q />
            <Select id="admin-kind" label="Login type" value=kind
                options=std::iter::once(("", "Any type"))
                    .chain(AccountKind::ALL.into_iter().map(|k| (k.as_str(), k.label())))
                    .map(|(v, text)| (v, text.to_owned()))
                    .collect() />
            <Select id="admin-mfa" label="2FA" value=mfa
                options=[("", "Any state"), ("off", "Inactive"), ("pending", "Set-up not finished"), ("email", "Active (codes by e-mail)"), ("on", "Active (app)")]
                    .map(|(v, text)| (v, text.to_owned()))
                    .into() />
            <div class="filter-submit"><button type="submit">"Search"</button></div>
        </form>
        <p role="status" class="done-note">{move || done.get()}</p>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || list.get().map(|result| match result {
                Ok(list) => {
                    let count = match list.accounts.len() {
                        1 => "1 login".to_owned(),
                        n => format!("{n} logins"),
                    };
                    let rows = list.accounts.into_iter()
                        .map(|account| {
                            let own = account.username == me;
                            view! { <AccountRow account own switching done expanded app_passwords_changed /> }
                        })
                        .collect_view();
                    view! {
                        <p class="muted result-count">{count}</p>
                        {list.truncated.then(|| view! {
                            <p class="notice">"More logins match than are shown: narrow the search."</p>
                        })}
                        <ul class="logins admin-logins" aria-label="Logins">{rows}</ul>
                    }.into_any()
                }
                Err(e) => view! { <p class="error-note" role="alert">{e.message}</p> }.into_any(),
            })}
        </Suspense>
        {move || switching.get().map(|login| view! {
            <SwitchOffDialog login close password_label="Your administrator password" />
        })}
    }
}

/// One login: name, type, owner, 2FA state, last login, and the switch.
#[component]
fn AccountRow(
    account: AccountSummary,
    /// The administrator's own login.
    own: bool,
    switching: RwSignal<Option<Login>>,
    done: RwSignal<Option<String>>,
    /// The mailbox whose app passwords are open in place.
    expanded: RwSignal<Option<i32>>,
    app_passwords_changed: Callback<String>,
) -> impl IntoView {
    let login = Login::from(&account);
    // Administrators revoke a mailbox's app passwords; its customer creates them.
    let app_passwords = (account.kind == AccountKind::Mailbox).then(|| {
        view! {
            <AppPasswordsToggle id=account.id username=account.username.clone() count=account.app_passwords
                may_create=false expanded changed=app_passwords_changed />
        }
    });
    let (badge, state) = match account.mfa {
        MfaState::On => ("badge on", "2FA active (app)"),
        MfaState::Pending => ("badge pending", "2FA set-up not finished"),
        MfaState::Email => ("badge email", "2FA active (codes by e-mail)"),
        MfaState::Off => ("badge off", "2FA inactive"),
    };
    let flagged = account
        .flagged_at
        .map(|flagged_at| view! { <FlagBadge login=login.clone() flagged_at /> });
    let last_login = account.last_login_at.map_or_else(|| "never".to_owned(), format_utc);
    let switch = match (account.mfa, own) {
        (MfaState::Off | MfaState::Email, _) => None,
        (_, true) => Some(view! { <a href="/account">"Yours: manage it under My Account"</a> }.into_any()),
        (_, false) => Some(
            view! {
                <button type="button" class="danger" on:click=move |_| {
                    done.set(None);
                    switching.set(Some(login.clone()));
                }>"Deactivate 2FA"</button>
            }
            .into_any(),
        ),
    };
    view! {
        <li class="login-row" data-mfa=account.mfa.as_str()>
            <div class="login-name">
                <strong>{account.username}</strong>
                <span class="muted">
                    {account.kind.label()}
                    {account.owner.map(|o| format!(" of {o}"))}
                </span>
            </div>
            <div class="login-state">
                <span class=badge>{state}</span>
                {flagged}
                <span class="muted">"Last login: "{last_login}</span>
                {switch}
            </div>
            {app_passwords}
        </li>
    }
}

/// A labelled `<select>` bound to a signal holding the chosen option's value.
#[component]
fn Select(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    /// `(value, text)` pairs.
    options: Vec<(&'static str, String)>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <select id=id name=id prop:value=move || value.get()
                on:change=move |ev| value.set(event_target_value(&ev))>
                {options.into_iter().map(|(v, text)| view! {
                    <option value=v selected=move || value.get() == v>{text}</option>
                }).collect_view()}
            </select>
        </div>
    }
}

/// The security log: filters, newest first, and older pages appended below.
/// Opening the tab loads the newest events again, so a change just made in
/// the Accounts tab is there.
#[component]
fn SecurityLogTab(active: Signal<bool>) -> impl IntoView {
    let account = RwSignal::new(String::new());
    let event = RwSignal::new(String::new());
    let applied = RwSignal::new(AuditFilter::default());
    // One growing list rather than page-by-page views: an administrator
    // reading back through an incident keeps what was already on screen.
    let events = RwSignal::new(Vec::<SecurityEvent>::new());
    let more = RwSignal::new(false);
    // Until the first page arrives, "No events match." would be a lie.
    let loaded = RwSignal::new(false);
    let error = RwSignal::new(None::<ClientError>);

    // `before` = None for the first page of a new filter.
    let load = Submission::new(
        |filter: &AuditFilter| {
            let filter = filter.clone();
            async move { (filter.before, client::audit(&filter).await) }
        },
        move |(before, page)| match page {
            Ok(page) => {
                more.set(page.more);
                loaded.set(true);
                error.set(None);
                events.update(|all| {
                    if before.is_none() {
                        all.clear();
                    }
                    all.extend(page.events);
                });
            }
            Err(e) => error.set(Some(e)),
        },
    );
    let loading = load.pending();
    let fetch = move |before: Option<i32>| {
        if !loading.get_untracked() {
            load.dispatch(AuditFilter {
                before,
                limit: Some(PAGE),
                ..applied.get_untracked()
            });
        }
    };
    // Effects run only in the browser, never while the server renders.
    Effect::new(move |_| {
        if active.get() {
            fetch(None);
        }
    });

    let show = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        applied.set(AuditFilter {
            account: Some(account.get_untracked().trim().to_owned()).filter(|a| !a.is_empty()),
            event: parse_choice::<SecurityEventKind>(&event.get_untracked()),
            ..AuditFilter::default()
        });
        fetch(None);
    };
    let older = move |_| fetch(events.with_untracked(|all| all.last().map(|e| e.id)));

    view! {
        <form class="card filters" role="search" on:submit=show novalidate>
            <Field id="log-account" label="Login (username)" value=account />
            <Select id="log-event" label="Event" value=event
                options=std::iter::once(("", "All events".to_owned()))
                    .chain(SecurityEventKind::ALL.into_iter().map(|k| (k.as_str(), Surface::Admin.event_label(k))))
                    .collect() />
            <div class="filter-submit"><button type="submit" disabled=move || loading.get()>"Show"</button></div>
        </form>
        {move || error.get().map(|e| view! { <p class="error-note" role="alert">{e.message}</p> })}
        <section class="card" aria-label="Security events">
            {move || loaded.get().then(|| view! {
                <SecurityEvents events=events.get() show_account=true
                    empty="No events match." />
            })}
            <Show when=move || more.get()>
                <div class="actions">
                    <button type="button" class="secondary" disabled=move || loading.get() on:click=older>
                        "Older events"
                    </button>
                </div>
            </Show>
            <Show when=move || loading.get()>
                <p class="muted">"Loading…"</p>
            </Show>
        </section>
    }
}
