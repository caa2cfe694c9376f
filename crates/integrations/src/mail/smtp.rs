//! The SMTP transaction, driven step by step on lettre's connection so a failure can be
//! placed: before DATA's final dot nothing was accepted; once the content was being written,
//! the server may have queued the message even if its answer never arrived (`maybe_sent`).

use async_trait::async_trait;
use lettre::address::Envelope;
use lettre::transport::smtp::Error as SmtpError;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};

use super::message::{Prepared, prepare};
use super::{MailTransport, OutgoingMail, SmtpSecurity, SmtpSettings};
use crate::delivery::DeliveryError;

/// The real transport: one connection per mail (each tenant has its own server, and a
/// tenant's sends are rare enough that pooling buys little).
#[derive(Debug, Clone, Default)]
pub struct SmtpMailer;

impl SmtpMailer {
    /// A mailer; it holds no state.
    pub fn new() -> Self {
        Self
    }
}

/// How far the transaction got: it decides what a failure means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Connecting, greeting, TLS, authentication, MAIL, RCPT, DATA: no content yet.
    Envelope,
    /// The content is being written or its answer awaited.
    Content,
}

/// Why a transaction stopped.
enum Failure {
    /// lettre's error, in the phase it happened.
    Smtp(SmtpError, Phase),
    /// Our own decision not to go on.
    Refused(DeliveryError),
}

#[async_trait]
impl MailTransport for SmtpMailer {
    #[tracing::instrument(skip_all, fields(host = %settings.host, port = settings.port))]
    async fn send(
        &self,
        settings: &SmtpSettings,
        mail: &OutgoingMail,
    ) -> Result<(), DeliveryError> {
        let prepared = prepare(settings, mail)?;
        let mut phase = Phase::Envelope;
        let run = deliver(settings, &prepared, &mut phase);
        match tokio::time::timeout(settings.timeout, run).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(Failure::Smtp(e, at))) => Err(classify(&e, at)),
            Ok(Err(Failure::Refused(e))) => Err(e),
            Err(_) => Err(DeliveryError::transient(
                format!("SMTP timed out after {:?}", settings.timeout),
                phase == Phase::Content,
            )),
        }
    }
}

/// Connects, runs the transaction, then says goodbye (or drops the connection on failure).
async fn deliver(
    settings: &SmtpSettings,
    prepared: &Prepared,
    phase: &mut Phase,
) -> Result<(), Failure> {
    let mut conn = open(settings).await?;
    match transaction(&mut conn, &prepared.envelope, &prepared.bytes, phase).await {
        Ok(()) => {
            // Accepted: a failed QUIT changes nothing.
            let _ = conn.quit().await;
            Ok(())
        }
        Err(failure) => {
            conn.abort().await;
            Err(failure)
        }
    }
}

fn tls_parameters(host: &str) -> Result<TlsParameters, Failure> {
    TlsParameters::new(host.to_owned()).map_err(|e| Failure::Smtp(e, Phase::Envelope))
}

/// Connects (in TLS from the start, or upgraded by STARTTLS) and authenticates.
async fn open(settings: &SmtpSettings) -> Result<AsyncSmtpConnection, Failure> {
    let smtp = |e| Failure::Smtp(e, Phase::Envelope);
    let hello = ClientId::default();
    let wrapped = match settings.security {
        SmtpSecurity::Tls => Some(tls_parameters(&settings.host)?),
        SmtpSecurity::None | SmtpSecurity::StartTls => None,
    };
    let server = (settings.host.as_str(), settings.port);
    let mut conn =
        AsyncSmtpConnection::connect_tokio1(server, Some(settings.timeout), &hello, wrapped, None)
            .await
            .map_err(smtp)?;
    if settings.security == SmtpSecurity::StartTls {
        if !conn.can_starttls() {
            conn.abort().await;
            // Possibly stripped on the way: never fall back to plain text; try again later.
            return Err(Failure::Refused(DeliveryError::transient(
                "the server does not offer STARTTLS",
                false,
            )));
        }
        conn.starttls(tls_parameters(&settings.host)?, &hello)
            .await
            .map_err(smtp)?;
    }
    if let (Some(user), Some(password)) = (&settings.username, &settings.password) {
        let credentials = Credentials::new(user.clone(), password.clone());
        if let Err(e) = conn
            .auth(&[Mechanism::Plain, Mechanism::Login], &credentials)
            .await
        {
            conn.abort().await;
            return Err(smtp(e));
        }
    }
    Ok(conn)
}

/// MAIL FROM with the extensions the content needs, RCPT TO, DATA, then the content.
async fn transaction(
    conn: &mut AsyncSmtpConnection,
    envelope: &Envelope,
    bytes: &[u8],
    phase: &mut Phase,
) -> Result<(), Failure> {
    let smtp = |e| Failure::Smtp(e, Phase::Envelope);
    let parameters = mail_parameters(conn, envelope, bytes)?;
    conn.command(Mail::new(envelope.from().cloned(), parameters))
        .await
        .map_err(smtp)?;
    for recipient in envelope.to() {
        conn.command(Rcpt::new(recipient.clone(), vec![]))
            .await
            .map_err(smtp)?;
    }
    conn.command(Data).await.map_err(smtp)?;
    *phase = Phase::Content;
    conn.message(bytes)
        .await
        .map_err(|e| Failure::Smtp(e, Phase::Content))?;
    Ok(())
}

/// SMTPUTF8 for non-ASCII addresses and 8BITMIME for non-ASCII content, when the server
/// offers them; a message that needs one the server lacks cannot go through this server.
fn mail_parameters(
    conn: &AsyncSmtpConnection,
    envelope: &Envelope,
    bytes: &[u8],
) -> Result<Vec<MailParameter>, Failure> {
    let info = conn.server_info();
    let mut parameters = Vec::new();
    let addresses_ascii = envelope
        .from()
        .into_iter()
        .chain(envelope.to())
        .all(|a| AsRef::<str>::as_ref(a).is_ascii());
    if !addresses_ascii {
        if !info.supports_feature(Extension::SmtpUtfEight) {
            return Err(Failure::Refused(DeliveryError::rejected(
                "the server does not accept non-ASCII addresses (no SMTPUTF8)",
            )));
        }
        parameters.push(MailParameter::SmtpUtfEight);
    }
    if !bytes.is_ascii() {
        if !info.supports_feature(Extension::EightBitMime) {
            return Err(Failure::Refused(DeliveryError::rejected(
                "the server does not accept 8-bit content (no 8BITMIME)",
            )));
        }
        parameters.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    Ok(parameters)
}

/// A server's reply decides by its class (4xx later, 5xx never); anything else is a broken
/// conversation, which may have delivered only if it broke while the content was on its way.
fn classify(e: &SmtpError, phase: Phase) -> DeliveryError {
    let reason = format!("SMTP: {e}");
    if e.is_permanent() {
        DeliveryError::rejected(reason)
    } else if e.is_transient() {
        DeliveryError::transient(reason, false)
    } else {
        DeliveryError::transient(reason, phase == Phase::Content)
    }
}
