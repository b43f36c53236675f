//! Real mail servers for the tests: `xtask/mail_stack.py` starts Dovecot
//! (IMAP, POP3) and nginx's mail proxy on free ports of 127.0.0.1, nginx
//! asking the Tessera under test; `xtask/mail_client.py` logs in with
//! Python's imaplib, poplib and smtplib. Nothing here is a mock.
//!
//! The stack's stdin is a pipe this process holds: when the test ends (or
//! the test binary dies), it closes, and the script stops both servers.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

const STACK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../xtask/mail_stack.py");
const CLIENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../xtask/mail_client.py");
const NOT_INSTALLED: &str = "Dovecot and nginx's mail module are needed: run xtask/test.sh (it installs them)";
/// How long the stack may take to start each server.
const STARTUP: Duration = Duration::from_secs(30);

/// The proxy's shared secret (`--mail-auth-secret-file`) in every test.
pub const PROXY_SECRET: &str = "proxy-secret-of-the-tests-0123456789";
/// What nginx hands Dovecot instead of the user's password.
pub const BACKEND_SECRET: &str = "backend-secret-of-the-tests-9876543210";

/// Dovecot up, nginx not yet: [`Self::connect`] points nginx at Tessera.
pub struct StartingStack {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
    dir: TempDir,
    pub dovecot_imap: u16,
    pub dovecot_pop3: u16,
}

/// Dovecot and nginx, running.
pub struct MailStack {
    child: Child,
    stdin: Option<ChildStdin>,
    _dir: TempDir,
    /// Dovecot's own IMAP port, behind the proxy.
    pub dovecot_imap: u16,
    /// nginx's ports: where mail clients connect.
    pub imap: u16,
    pub pop3: u16,
    pub smtp: u16,
}

impl StartingStack {
    /// Dovecot with a static passdb that takes the backend secret from 127.0.0.1.
    pub fn start() -> StartingStack {
        Self::start_with(None)
    }

    /// Dovecot with `master_user` (its password: the backend secret) beside
    /// an empty passdb of the users' own: nginx logs in as `user*master`.
    pub fn start_with_master_user(master_user: &str) -> StartingStack {
        Self::start_with(Some(master_user))
    }

    fn start_with(master_user: Option<&str>) -> StartingStack {
        let dir = tempfile::tempdir().expect("a temporary directory for the mail stack");
        let proxy = dir.path().join("proxy.secret");
        let backend = dir.path().join("backend.secret");
        std::fs::write(&proxy, PROXY_SECRET).expect("writing the proxy secret");
        std::fs::write(&backend, BACKEND_SECRET).expect("writing the backend secret");
        let mut command = Command::new("python3");
        command
            .arg(STACK)
            .arg("--dir")
            .arg(dir.path().join("stack"))
            .arg("--proxy-secret-file")
            .arg(&proxy)
            .arg("--backend-secret-file")
            .arg(&backend);
        if let Some(master_user) = master_user {
            command.arg("--master-user").arg(master_user);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("running {STACK}: {e}"));
        let stdin = child.stdin.take().expect("the stack's stdin is piped");
        let lines = read_lines(child.stdout.take().expect("the stack's stdout is piped"));
        let ports = expect_line(&mut child, &lines, "DOVECOT");
        StartingStack {
            dovecot_imap: port(&ports, "imap"),
            dovecot_pop3: port(&ports, "pop3"),
            child,
            stdin,
            lines,
            dir,
        }
    }

    /// Starts nginx, asking the Tessera on `tessera_port`.
    pub fn connect(mut self, tessera_port: u16) -> MailStack {
        writeln!(self.stdin, "TESSERA {tessera_port}").expect("telling the stack Tessera's port");
        self.stdin.flush().expect("flushing");
        let ports = expect_line(&mut self.child, &self.lines, "NGINX");
        MailStack {
            imap: port(&ports, "imap"),
            pop3: port(&ports, "pop3"),
            smtp: port(&ports, "smtp"),
            dovecot_imap: self.dovecot_imap,
            child: self.child,
            stdin: Some(self.stdin),
            _dir: self.dir,
        }
    }
}

impl Drop for MailStack {
    fn drop(&mut self) {
        // Closing stdin makes the script stop Dovecot and nginx, then exit.
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

fn read_lines(stdout: ChildStdout) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

/// The next line, which must start with `word`; its `name=port` pairs.
fn expect_line(child: &mut Child, lines: &mpsc::Receiver<String>, word: &str) -> Vec<(String, u16)> {
    match lines.recv_timeout(STARTUP) {
        Ok(line) if line.starts_with(word) => line
            .split_whitespace()
            .skip(1)
            .filter_map(|pair| {
                let (name, port) = pair.split_once('=')?;
                Some((name.to_owned(), port.parse().ok()?))
            })
            .collect(),
        other => {
            let _ = child.kill();
            panic!("the mail stack printed {other:?} instead of {word} …: {NOT_INSTALLED}")
        }
    }
}

fn port(ports: &[(String, u16)], name: &str) -> u16 {
    ports
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, p)| *p)
        .unwrap_or_else(|| panic!("no {name} port in {ports:?}"))
}

/// A mail client's attempt: `{"ok": true, …}` or `{"ok": false, "error": …}`.
pub async fn mail_client(protocol: &str, port: u16, user: &str, password: &str, extra: &[&str]) -> Value {
    let mut command = Command::new("python3");
    command
        .arg(CLIENT)
        .arg(protocol)
        .arg(port.to_string())
        .arg(user)
        .arg(password)
        .args(extra)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit());
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("the mail client runs to its end")
        .expect("python3 runs the mail client");
    let text = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("the mail client printed {text:?}: {e}"))
}

/// Logs in over IMAP and selects INBOX.
pub async fn imap(port: u16, user: &str, password: &str) -> Value {
    mail_client("imap", port, user, password, &[]).await
}

pub async fn pop3(port: u16, user: &str, password: &str) -> Value {
    mail_client("pop3", port, user, password, &[]).await
}

/// Logs in over SMTP and sends one message to `to`.
pub async fn smtp(port: u16, user: &str, password: &str, to: &str) -> Value {
    mail_client("smtp", port, user, password, &[to]).await
}

/// Asserts a refused login whose message contains `words`.
pub fn assert_refused(answer: &Value, words: &str) {
    assert_eq!(answer["ok"], false, "{answer}");
    let error = answer["error"].as_str().unwrap_or_default();
    assert!(error.contains(words), "expected {words:?} in {error:?}");
}

/// Asserts a login that went through.
pub fn assert_logged_in(answer: &Value) {
    assert_eq!(answer["ok"], true, "{answer}");
}
