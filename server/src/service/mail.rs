//! Sending mail over SMTP (lettre). One connection per message: a mail
//! server that restarts costs nothing but the messages in flight, and those
//! the outbox retries.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How long one delivery may take before it counts as failed.
const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// What `tessera serve --smtp-url --mail-from` configures.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// lettre's URL format: `smtp://host:port`, `smtps://user:pass@host`,
    /// `smtp://host:587?tls=required`.
    pub smtp_url: String,
    /// `Tessera <security@example.com>`.
    pub from: String,
}

/// One mail, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Why a mail did not go out; the outbox records it and tries again.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the address {0:?} cannot be sent to")]
    Address(String),
    #[error("building the message: {0}")]
    Message(#[from] lettre::error::Error),
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
}

/// An SMTP connection's settings, and the sender every mail is from.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The transport holds the SMTP password, if any.
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl Mailer {
    pub fn new(settings: &MailSettings) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.smtp_url)
            .map_err(|e| anyhow::anyhow!("--smtp-url: {e}"))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        let from = settings
            .from
            .parse()
            .map_err(|e| anyhow::anyhow!("--mail-from {:?}: {e}", settings.from))?;
        Ok(Self { transport, from })
    }

    /// Sends `mail` as a text and an HTML alternative; `Ok` once the SMTP
    /// server accepted it.
    pub async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let to: Mailbox = mail.to.parse().map_err(|_| MailError::Address(mail.to.clone()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .multipart(MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone()))?;
        self.transport.send(message).await?;
        Ok(())
    }
}

/// When, from which address and with which browser something happened: the
/// lines every security mail shows.
pub struct Circumstances(Vec<String>);

impl Circumstances {
    pub fn new(at: i64, ip: Option<&str>, user_agent: Option<&str>) -> Self {
        let mut lines = vec![format!("When: {}", app::domain::format_utc(at))];
        if let Some(ip) = ip {
            lines.push(format!("From: {ip}"));
        }
        if let Some(agent) = user_agent {
            lines.push(format!("Browser: {}", browser(agent)));
        }
        Self(lines)
    }

    pub fn text(&self) -> String {
        self.0.join("\n")
    }

    pub fn html(&self) -> String {
        self.0
            .iter()
            .map(|line| escape_html(line))
            .collect::<Vec<_>>()
            .join("<br>")
    }
}

/// A User-Agent as a mail quotes it: anyone can send any text as one, so
/// only its start, enough to recognise a browser.
fn browser(user_agent: &str) -> String {
    const SHOWN: usize = 120;
    let mut shown: String = user_agent.chars().take(SHOWN).collect();
    if user_agent.chars().count() > SHOWN {
        shown.push('…');
    }
    shown
}

/// The HTML part of a mail: `body` (already escaped) in a plain page.
pub fn html_page(body: &str) -> String {
    format!("<!doctype html><html><body style=\"font-family:sans-serif;line-height:1.5\">{body}</body></html>")
}

/// `text` with `& < > " '` escaped, for the HTML part of a mail.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn the_url_forms_for_real_servers_are_accepted() {
        for url in [
            "smtp://127.0.0.1:2525",
            "smtp://user:secret@mail.example.com:587?tls=required",
            "smtps://user:secret@mail.example.com",
            "smtps://mail.example.com:465",
        ] {
            let settings = MailSettings {
                smtp_url: url.to_owned(),
                from: "Tessera <security@example.com>".to_owned(),
            };
            assert!(Mailer::new(&settings).is_ok(), "{url}");
        }
    }

    #[test]
    fn bad_settings_are_refused_with_the_option_named() {
        let bad_url = MailSettings {
            smtp_url: "carrier-pigeon://coop".to_owned(),
            from: "Tessera <t@example.com>".to_owned(),
        };
        assert!(Mailer::new(&bad_url).is_err_and(|e| e.to_string().contains("--smtp-url")));
        let bad_from = MailSettings {
            smtp_url: "smtp://127.0.0.1:2525".to_owned(),
            from: "not an address".to_owned(),
        };
        assert!(Mailer::new(&bad_from).is_err_and(|e| e.to_string().contains("--mail-from")));
    }
}
