//! A small real SMTP server on the loopback for tests: it speaks enough of RFC 5321 for a
//! real client (EHLO/HELO, AUTH PLAIN and LOGIN, MAIL, RCPT, DATA with dot-unstuffing, RSET,
//! NOOP, QUIT), keeps what it receives, and can be told to refuse a step or to drop the
//! connection after the message's final dot without answering.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

/// A message the server accepted (or took before dropping the connection).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The content as sent, dot-unstuffed, lines joined by CRLF, without the final dot.
    pub data: String,
}

/// A step whose answer a test may choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The answer to RCPT TO.
    Rcpt,
    /// The answer to the DATA command (before the content).
    Data,
    /// The answer after the content's final dot.
    Message,
}

/// What the server does at a step, instead of accepting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Answer with this code and text (e.g. 450 or 550).
    Code(u16, String),
    /// Keep the message, then close the connection without answering (only at `Message`).
    Drop,
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    logins: Vec<(String, String)>,
    replies: Vec<(Step, Reply)>,
}

type Shared = Arc<Mutex<State>>;

fn lock(state: &Shared) -> std::sync::MutexGuard<'_, State> {
    state.lock().expect("smtp server state")
}

/// The running server; it stops accepting when dropped.
pub struct SmtpServer {
    pub port: u16,
    state: Shared,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl SmtpServer {
    /// Listens on 127.0.0.1 on a free port.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind smtp");
        let port = listener.local_addr().expect("addr").port();
        let state = Shared::default();
        let shared = state.clone();
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(Session::run(stream, shared.clone()));
            }
        });
        Self {
            port,
            state,
            accept,
        }
    }

    /// The messages received so far.
    pub fn received(&self) -> Vec<Received> {
        lock(&self.state).received.clone()
    }

    /// The (user, password) pairs clients authenticated with.
    pub fn logins(&self) -> Vec<(String, String)> {
        lock(&self.state).logins.clone()
    }

    /// Answers `step` with `reply` from now on; `None` goes back to accepting.
    pub fn set_reply(&self, step: Step, reply: Option<Reply>) {
        let mut state = lock(&self.state);
        state.replies.retain(|(s, _)| *s != step);
        if let Some(r) = reply {
            state.replies.push((step, r));
        }
    }

    /// Waits until `n` messages arrived; fails the test after `timeout`.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let received = self.received();
            if received.len() >= n {
                return received;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the SMTP server got {} of {n} messages in {timeout:?}",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// One client connection.
struct Session {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    state: Shared,
    from: Option<String>,
    to: Vec<String>,
}

/// The address inside `<...>` after `FROM:` or `TO:`.
fn path_of(argument: &str) -> String {
    let start = argument.find('<').map_or(0, |i| i + 1);
    let end = argument[start..]
        .find('>')
        .map_or(argument.len(), |i| start + i);
    argument[start..end].to_owned()
}

fn decode(text: &str) -> String {
    String::from_utf8_lossy(&BASE64.decode(text.trim()).unwrap_or_default()).into_owned()
}

impl Session {
    async fn run(stream: TcpStream, state: Shared) {
        let (read, writer) = stream.into_split();
        let mut session = Session {
            reader: BufReader::new(read),
            writer,
            state,
            from: None,
            to: Vec::new(),
        };
        // A write or read failing means the client went away: the session just ends.
        if session.send("220 fake.test ESMTP ready").await.is_some() {
            while let Some(true) = session.command().await {}
        }
    }

    async fn send(&mut self, line: &str) -> Option<()> {
        self.writer
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .ok()?;
        self.writer.flush().await.ok()
    }

    /// One line without its CRLF; `None` at end of stream.
    async fn line(&mut self) -> Option<String> {
        let mut buf = Vec::new();
        let n = self.reader.read_until(b'\n', &mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        let text = String::from_utf8_lossy(&buf).into_owned();
        Some(text.trim_end_matches(['\r', '\n']).to_owned())
    }

    fn reply_for(&self, step: Step) -> Option<Reply> {
        let state = lock(&self.state);
        state
            .replies
            .iter()
            .find(|(s, _)| *s == step)
            .map(|(_, r)| r.clone())
    }

    /// Handles one command; `Some(false)` ends the session.
    async fn command(&mut self) -> Option<bool> {
        let line = self.line().await?;
        let (verb, argument) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        let argument = argument.to_owned();
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                self.send("250-fake.test greets you").await?;
                self.send("250-AUTH PLAIN LOGIN").await?;
                self.send("250-8BITMIME").await?;
                self.send("250-SMTPUTF8").await?;
                self.send("250 SIZE 10485760").await?;
            }
            "HELO" => self.send("250 fake.test").await?,
            "AUTH" => self.auth(&argument).await?,
            "MAIL" => {
                self.from = Some(path_of(&argument));
                self.to.clear();
                self.send("250 sender ok").await?;
            }
            "RCPT" => self.rcpt(&argument).await?,
            "DATA" => self.data().await?,
            "RSET" => {
                self.from = None;
                self.to.clear();
                self.send("250 reset").await?;
            }
            "NOOP" => self.send("250 ok").await?,
            "QUIT" => {
                self.send("221 bye").await?;
                return Some(false);
            }
            _ => self.send("500 unknown command").await?,
        }
        Some(true)
    }

    async fn auth(&mut self, argument: &str) -> Option<()> {
        let (mechanism, initial) = argument.split_once(' ').unwrap_or((argument, ""));
        let (user, password) = match mechanism.to_ascii_uppercase().as_str() {
            "PLAIN" => {
                let response = if initial.is_empty() {
                    self.send("334 ").await?;
                    self.line().await?
                } else {
                    initial.to_owned()
                };
                // authzid NUL authcid NUL password
                let decoded = decode(&response);
                let mut parts = decoded.split('\0').skip(1);
                let user = parts.next().unwrap_or_default().to_owned();
                (user, parts.next().unwrap_or_default().to_owned())
            }
            "LOGIN" => {
                let user = if initial.is_empty() {
                    self.send("334 VXNlcm5hbWU6").await?;
                    decode(&self.line().await?)
                } else {
                    decode(initial)
                };
                self.send("334 UGFzc3dvcmQ6").await?;
                (user, decode(&self.line().await?))
            }
            _ => return self.send("504 mechanism not supported").await,
        };
        lock(&self.state).logins.push((user, password));
        self.send("235 authenticated").await
    }

    async fn rcpt(&mut self, argument: &str) -> Option<()> {
        if self.from.is_none() {
            return self.send("503 MAIL first").await;
        }
        match self.reply_for(Step::Rcpt) {
            Some(Reply::Code(code, text)) => self.send(&format!("{code} {text}")).await,
            _ => {
                self.to.push(path_of(argument));
                self.send("250 recipient ok").await
            }
        }
    }

    async fn data(&mut self) -> Option<()> {
        if self.from.is_none() || self.to.is_empty() {
            return self.send("503 need MAIL and RCPT first").await;
        }
        if let Some(Reply::Code(code, text)) = self.reply_for(Step::Data) {
            return self.send(&format!("{code} {text}")).await;
        }
        self.send("354 end with <CRLF>.<CRLF>").await?;
        let mut lines = Vec::new();
        loop {
            let line = self.line().await?;
            if line == "." {
                break;
            }
            // Dot-unstuffing (RFC 5321 4.5.2).
            lines.push(line.strip_prefix('.').map_or(line.clone(), str::to_owned));
        }
        let message = Received {
            from: self.from.take().unwrap_or_default(),
            to: std::mem::take(&mut self.to),
            data: lines.join("\r\n"),
        };
        match self.reply_for(Step::Message) {
            Some(Reply::Code(code, text)) => self.send(&format!("{code} {text}")).await,
            Some(Reply::Drop) => {
                lock(&self.state).received.push(message);
                // Gone without a word: the client cannot know the message arrived.
                let _ = self.writer.shutdown().await;
                None
            }
            None => {
                lock(&self.state).received.push(message);
                self.send("250 queued").await
            }
        }
    }
}
