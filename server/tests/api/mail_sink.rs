//! A real SMTP server for the tests: `xtask/smtp_sink.py` (aiosmtpd) in a child
//! process on a free port of 127.0.0.1, storing every message it accepts as a
//! file in a temporary directory, which this module reads back and parses.
//!
//! The sink writes each file before it answers 250, so once the application's
//! send succeeded the mail is visible here. Its stdin is a pipe this process
//! holds: if the test binary dies, the sink sees EOF and exits by itself.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock, PoisonError, mpsc};
use std::time::{Duration, Instant};

use mail_parser::{MessageParser, PartType};
use tempfile::TempDir;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../xtask/smtp_sink.py");
const PYTHON_VAR: &str = "TESSERA_TEST_PYTHON";
const NO_PYTHON: &str = "no Python with aiosmtpd: run xtask/test.sh (it installs it), or set TESSERA_TEST_PYTHON";
/// How long the sink may take to print its port.
const STARTUP: Duration = Duration::from_secs(10);
/// How long `restart` keeps trying to bind the old port.
const REBIND: Duration = Duration::from_secs(5);
const POLL: Duration = Duration::from_millis(50);
const PATIENCE: Duration = Duration::from_secs(20);

/// A running SMTP sink; killed when dropped.
pub struct MailSink {
    /// The sink process, with its stdin pipe still open; `None` after `stop`.
    child: Option<Child>,
    port: u16,
    dir: TempDir,
    /// Indices in `messages()` of the mails `wait_for` or `wait_for_where` returned.
    taken: Mutex<HashSet<usize>>,
}

/// A received message.
#[derive(Debug, Clone)]
pub struct Mail {
    /// The envelope recipients (RCPT TO), lower-cased.
    pub to: Vec<String>,
    /// The address of the From header (the envelope sender if there is none).
    pub from: String,
    pub subject: String,
    /// The first text/plain body part (or the first HTML part rendered as text).
    pub text: String,
    /// The first text/html body part, if the message has one.
    pub html: Option<String>,
    /// The message as the sink received it (headers and body, CRLF line ends).
    pub raw: String,
}

impl MailSink {
    /// Spawns the sink on a free port and waits until it listens.
    pub fn start() -> MailSink {
        let dir = tempfile::tempdir().expect("a temporary directory for the mail sink");
        let (child, port) = spawn(0, dir.path()).unwrap_or_else(|error| panic!("starting the SMTP sink: {error}"));
        MailSink {
            child: Some(child),
            port,
            dir,
            taken: Mutex::new(HashSet::new()),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn smtp_url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Kills the sink (SIGKILL) and reaps it: connections to its port are then refused.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // An error means it has already exited; `wait` still reaps it.
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the sink again on the same port and directory (stopping it first
    /// if it runs), retrying the bind for up to 5 seconds.
    pub fn restart(&mut self) {
        self.stop();
        let deadline = Instant::now() + REBIND;
        loop {
            match spawn(self.port, self.dir.path()) {
                Ok((child, port)) => {
                    assert_eq!(port, self.port, "the restarted SMTP sink listens on its old port");
                    self.child = Some(child);
                    return;
                }
                Err(error) if Instant::now() >= deadline => {
                    panic!("restarting the SMTP sink on port {}: {error}", self.port)
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// Every message received so far, in arrival order.
    pub fn messages(&self) -> Vec<Mail> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .expect("reading the mail sink's directory")
            .map(|entry| entry.expect("a directory entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
            .collect();
        // Zero-padded counters: name order is arrival order.
        files.sort();
        files.iter().map(|file| read_mail(file)).collect()
    }

    /// All messages, once there are at least `n`; panics after 20 seconds.
    pub async fn wait_for_count(&self, n: usize) -> Vec<Mail> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let mails = self.messages();
            if mails.len() >= n {
                return mails;
            }
            if Instant::now() >= deadline {
                panic!(
                    "waited 20 s for {n} mails, the sink has {}:\n{}",
                    mails.len(),
                    summary(&mails)
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The first message to `to` (case-insensitive) that no earlier `wait_for`
    /// or `wait_for_where` on this sink returned; panics after 20 seconds.
    pub async fn wait_for(&self, to: &str) -> Mail {
        self.wait_for_where(to, "any mail", |_| true).await
    }

    /// The first message to `to` (case-insensitive) for which `matches` holds
    /// and that no earlier `wait_for` or `wait_for_where` returned; mails it
    /// passes over are left for later calls. Panics after 20 seconds, saying
    /// it waited for `what`.
    pub async fn wait_for_where(&self, to: &str, what: &str, matches: impl Fn(&Mail) -> bool) -> Mail {
        let to = to.to_lowercase();
        let deadline = Instant::now() + PATIENCE;
        loop {
            let mut mails = self.messages();
            {
                let mut taken = self.taken.lock().unwrap_or_else(PoisonError::into_inner);
                let found =
                    (0..mails.len()).find(|&i| !taken.contains(&i) && mails[i].to.contains(&to) && matches(&mails[i]));
                if let Some(index) = found {
                    taken.insert(index);
                    return mails.swap_remove(index);
                }
            }
            if Instant::now() >= deadline {
                panic!(
                    "waited 20 s for a new mail to {to} ({what}), the sink has:\n{}",
                    summary(&mails)
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

impl Drop for MailSink {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The 6-digit code in a mail's text part: the first run of exactly 6 ASCII
/// digits standing alone (not part of a longer digit run), e.g. "Your code: 482913".
pub fn code_in(mail: &Mail) -> String {
    mail.text
        .split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() == 6)
        .unwrap_or_else(|| panic!("no 6-digit code in the mail {:?}:\n{}", mail.subject, mail.text))
        .to_owned()
}

/// The first http(s) URL in the text part that contains `needle`.
pub fn link_in(mail: &Mail, needle: &str) -> String {
    mail.text
        .split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\''))
        .filter_map(|word| {
            let start = [word.find("https://"), word.find("http://")]
                .into_iter()
                .flatten()
                .min()?;
            // Sentence punctuation after a link is not part of it.
            Some(word[start..].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']']))
        })
        .find(|url| url.contains(needle))
        .unwrap_or_else(|| {
            panic!(
                "no link containing {needle:?} in the mail {:?}:\n{}",
                mail.subject, mail.text
            )
        })
        .to_owned()
}

/// The Python to run the sink with, checked once to import aiosmtpd.
fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let python = std::env::var_os(PYTHON_VAR).map(PathBuf::from).or_else(|| {
            std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache/tessera-tools/venv/bin/python"))
        });
        let works = python.as_ref().is_some_and(|python| {
            Command::new(python)
                .args(["-c", "import aiosmtpd"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        });
        match python {
            Some(python) if works => python,
            _ => panic!("{NO_PYTHON}"),
        }
    })
}

/// Runs the sink on `port` (0: any free one) and waits for its "PORT <n>" line.
fn spawn(port: u16, dir: &Path) -> Result<(Child, u16), String> {
    let mut child = Command::new(python())
        .arg(SCRIPT)
        .arg("--port")
        .arg(port.to_string())
        .arg("--dir")
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|error| format!("running {SCRIPT}: {error}"))?;
    let mut stdout = BufReader::new(child.stdout.take().expect("the sink's stdout is piped"));
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = sender.send(stdout.read_line(&mut line).map(|_| line));
        // Keep reading until the sink exits, so it never writes into a closed pipe.
        let _ = std::io::copy(&mut stdout, &mut std::io::sink());
    });
    let answer = receiver.recv_timeout(STARTUP);
    let port = match &answer {
        Ok(Ok(line)) => line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|port| port.parse::<u16>().ok()),
        _ => None,
    };
    match port {
        Some(port) => Ok((child, port)),
        None => {
            let _ = child.kill();
            let status = child.wait();
            Err(format!(
                "the sink printed {answer:?} instead of \"PORT <n>\", then exited: {status:?}"
            ))
        }
    }
}

/// Reads one file the sink wrote: two envelope header lines, then the message.
fn read_mail(file: &Path) -> Mail {
    let bytes = std::fs::read(file).unwrap_or_else(|error| panic!("reading {}: {error}", file.display()));
    let (envelope_from, rest) = envelope_line(&bytes, "X-Envelope-From: ", file);
    let (envelope_to, raw) = envelope_line(rest, "X-Envelope-To: ", file);
    let message = MessageParser::default()
        .parse(raw)
        .unwrap_or_else(|| panic!("mail-parser cannot parse {}", file.display()));
    let html = message.html_part(0).and_then(|part| match &part.body {
        // Without an HTML part, mail-parser answers the text part converted to HTML.
        PartType::Html(html) => Some(html.to_string()),
        _ => None,
    });
    Mail {
        to: envelope_to
            .split(',')
            .map(|address| address.trim().to_lowercase())
            .filter(|address| !address.is_empty())
            .collect(),
        from: message
            .from()
            .and_then(|from| from.first())
            .and_then(|from| from.address())
            .unwrap_or(&envelope_from)
            .to_owned(),
        subject: message.subject().unwrap_or_default().to_owned(),
        text: message.body_text(0).map(|text| text.into_owned()).unwrap_or_default(),
        html,
        raw: String::from_utf8_lossy(raw).into_owned(),
    }
}

/// Splits `<name>value\r\n` off the start of `bytes`.
fn envelope_line<'a>(bytes: &'a [u8], name: &str, file: &Path) -> (String, &'a [u8]) {
    let end = bytes.windows(2).position(|pair| pair == b"\r\n");
    match end.and_then(|end| Some((bytes[..end].strip_prefix(name.as_bytes())?, &bytes[end + 2..]))) {
        Some((value, rest)) => (String::from_utf8_lossy(value).into_owned(), rest),
        None => panic!("{} does not start with an {name:?} line", file.display()),
    }
}

fn summary(mails: &[Mail]) -> String {
    mails
        .iter()
        .map(|mail| format!("  to {:?}: {:?}\n", mail.to, mail.subject))
        .collect()
}
