use leptos::prelude::*;

use super::CopyButton;
use super::copy_button::browser;
use crate::api::RecoveryCodesResponse;

/// Recovery codes, shown this once: copy, download, and a confirmation that
/// they are saved before the dialog can close.
#[component]
pub fn RecoveryCodesReveal(
    codes: RecoveryCodesResponse,
    #[prop(into)] on_done: Callback<()>,
    /// What just happened ("MFA is now enabled."), said first.
    news: String,
    /// Whose codes these are, when not the user's own (a customer setting up
    /// one of its logins passes them on to that login's user).
    #[prop(default = None)]
    owner: Option<String>,
) -> impl IntoView {
    let saved = RwSignal::new(false);
    let (note, set_note) = signal(None::<&'static str>);
    let RecoveryCodesResponse {
        username,
        recovery_codes,
    } = codes;
    let text = recovery_codes.join("\n");
    let download = {
        let codes = recovery_codes.clone();
        move |_| {
            let site = browser::site_host();
            let date = super::clock::today();
            let file = CodesFile::new(&username, &site, &date, &codes);
            if !browser::download_text(&file.name, &file.text) {
                set_note.set(Some("The download failed: copy the codes instead."));
            }
        }
    };
    view! {
        <p class="done-note" role="status"><strong>{news}</strong></p>
        <p>
            {match owner {
                None => "Save these recovery codes somewhere safe. If you lose your phone, each code lets you log in once. "
                    .to_owned(),
                Some(owner) => format!(
                    "These are the recovery codes of {owner}: hand them to its user to keep somewhere safe. \
                     If the phone is lost, each code lets that login in once. "
                ),
            }}
            <strong>"They will not be shown again."</strong>
        </p>
        <ul class="recovery-codes" aria-label="Recovery codes">
            {recovery_codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
        </ul>
        <div class="actions">
            <CopyButton text failed="Copying failed: select the codes and copy them by hand." />
            <button type="button" class="secondary" on:click=download>"Download"</button>
        </div>
        {move || note.get().map(|n| view! { <p class="hint" role="status">{n}</p> })}
        <label class="checkbox">
            <input type="checkbox" bind:checked=saved />
            "I have saved these codes"
        </label>
        <div class="actions">
            <button type="button" disabled=move || !saved.get() on:click=move |_| on_done.run(())>"Close"</button>
        </div>
    }
}

/// The downloaded file: named for the login and the day, and saying what
/// the codes are, so a file found months later still makes sense.
#[derive(Debug, PartialEq, Eq)]
struct CodesFile {
    name: String,
    text: String,
}

impl CodesFile {
    fn new(username: &str, site: &str, date: &str, codes: &[String]) -> Self {
        let safe: String = username
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._@-".contains(c) {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let text = format!(
            "Recovery codes for {username} at {site}, made {date}\n\
             \n\
             Each code logs you in once instead of a code from your authenticator app,\n\
             for when your phone is lost or not at hand. Keep them as safe as a password.\n\
             Making new recovery codes replaces all of these.\n\
             \n\
             {}\n",
            codes.join("\n")
        );
        Self {
            name: format!("recovery-codes-{safe}-{date}.txt"),
            text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_named_for_the_login_and_day_and_says_what_it_holds() {
        let codes = vec!["k7m2-q9xp-4hf3-t8wa".to_owned(), "3jkd-9xp2-m4rt-7wqa".to_owned()];
        let file = CodesFile::new("info@example.com", "panel.example.net", "2026-12-02", &codes);
        assert_eq!(file.name, "recovery-codes-info@example.com-2026-12-02.txt");
        assert!(
            file.text
                .starts_with("Recovery codes for info@example.com at panel.example.net, made 2026-12-02\n")
        );
        assert!(file.text.contains("instead of a code from your authenticator app"));
        assert!(file.text.ends_with("k7m2-q9xp-4hf3-t8wa\n3jkd-9xp2-m4rt-7wqa\n"));
        let odd = CodesFile::new("a b/../c", "x", "2026-12-02", &codes);
        assert_eq!(odd.name, "recovery-codes-a-b-..-c-2026-12-02.txt");
    }
}
