//! The platform's own mail to users: invitations and password resets, sent by the worker
//! through the platform's SMTP server (`CRM_SMTP_*`) with the same SMTP client as the tenants'
//! e-mail. A mail is committed to the outbox with its job in the caller's transaction, its text
//! (which holds a one-time link) sealed with the tenant's data key and dropped once sent.

use chrono::{DateTime, Utc};
use db::crypto::TenantCipher;
use domain::templates::Locale;
use integrations::DeliveryError;
use integrations::mail::{MailTransport, OutgoingMail, SmtpSettings, message_id_for};
use uuid::Uuid;

use crate::jobs::{Job, enqueue};
use crate::{Result, Scope};

/// Attempts before a platform mail is given up.
pub const MAX_ATTEMPTS: i32 = 8;

/// What a platform mail is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    Invitation,
    PasswordReset,
    /// A ticket's SLA breached (`crate::sla_escalation`).
    SlaBreach,
    /// A sent proposal expires soon (`crate::proposals::expiry`).
    ProposalExpiring,
    /// An activity begins soon (`crate::calendar::reminders`).
    ActivityReminder,
}

impl MailKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Invitation => "invitation",
            Self::PasswordReset => "password_reset",
            Self::SlaBreach => "sla_breach",
            Self::ProposalExpiring => "proposal_expiring",
            Self::ActivityReminder => "activity_reminder",
        }
    }
}

/// A mail's subject and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    pub subject: String,
    pub text: String,
}

/// The invitation to join `tenant` through `link`.
pub fn invitation(locale: Locale, tenant: &str, name: &str, link: &str) -> Letter {
    match locale {
        Locale::Es => Letter {
            subject: format!("Invitación a {tenant} en el CRM"),
            text: format!(
                "Hola {name}:\n\nle han invitado a trabajar en {tenant}. Elija su contraseña \
                 aquí (el enlace sirve una vez):\n\n{link}\n\nSi no esperaba esta invitación, \
                 ignore este mensaje."
            ),
        },
        Locale::En => Letter {
            subject: format!("Your invitation to {tenant} on the CRM"),
            text: format!(
                "Hello {name},\n\nyou have been invited to work in {tenant}. Choose your password \
                 here (the link works once):\n\n{link}\n\nIf you did not expect this \
                 invitation, ignore this message."
            ),
        },
    }
}

/// The password-reset link for a user of `tenant`, valid `minutes`.
pub fn password_reset(
    locale: Locale,
    tenant: &str,
    name: &str,
    link: &str,
    minutes: i64,
) -> Letter {
    match locale {
        Locale::Es => Letter {
            subject: format!("Restablecer su contraseña de {tenant}"),
            text: format!(
                "Hola {name}:\n\nalguien ha pedido restablecer su contraseña de {tenant}. Elija \
                 una nueva aquí en los próximos {minutes} minutos (el enlace sirve una vez):\n\n\
                 {link}\n\nSi no lo ha pedido usted, ignore este mensaje: su contraseña no cambia."
            ),
        },
        Locale::En => Letter {
            subject: format!("Reset your {tenant} password"),
            text: format!(
                "Hello {name},\n\nsomeone asked to reset your {tenant} password. Choose a new \
                 one here within {minutes} minutes (the link works once):\n\n{link}\n\nIf it \
                 was not you, ignore this message: your password does not change."
            ),
        },
    }
}

/// The notice that ticket `title` breached its SLA (`why`), with its console `link` if known.
pub fn sla_breach(
    locale: Locale,
    tenant: &str,
    name: &str,
    title: &str,
    why: &str,
    link: Option<&str>,
) -> Letter {
    let link = link.map(|l| format!("\n\n{l}")).unwrap_or_default();
    match locale {
        Locale::Es => Letter {
            subject: format!("SLA incumplido: {title}"),
            text: format!(
                "Hola {name}:\n\nel ticket «{title}» de {tenant} ha incumplido su SLA ({why}). \
                 Su prioridad ha subido y, si su categoría tiene responsable, se le ha asignado.{link}"
            ),
        },
        Locale::En => Letter {
            subject: format!("SLA breached: {title}"),
            text: format!(
                "Hello {name},\n\nticket \"{title}\" of {tenant} has breached its SLA ({why}). \
                 Its priority went up and, if its category has a team lead, it is theirs now.{link}"
            ),
        },
    }
}

/// The reminder that proposal `title` for `client` is valid until `last_day` with no answer.
pub fn proposal_expiring(
    locale: Locale,
    name: &str,
    title: &str,
    client: &str,
    last_day: &str,
    link: Option<&str>,
) -> Letter {
    let link = link.map(|l| format!("\n\n{l}")).unwrap_or_default();
    match locale {
        Locale::Es => Letter {
            subject: format!("Propuesta a punto de caducar: {title}"),
            text: format!(
                "Hola {name}:\n\nla propuesta «{title}» para {client} es válida hasta el \
                 {last_day} y el cliente aún no ha respondido.{link}"
            ),
        },
        Locale::En => Letter {
            subject: format!("Proposal about to expire: {title}"),
            text: format!(
                "Hello {name},\n\nproposal \"{title}\" for {client} is valid until {last_day} \
                 and the client has not answered yet.{link}"
            ),
        },
    }
}

/// What an activity's reminder tells: its title, client, local start and where it takes place.
pub struct ReminderFacts<'a> {
    pub title: &'a str,
    pub client: &'a str,
    /// Its start in its own time zone, as the reader's language writes it.
    pub starts: &'a str,
    pub place: Option<&'a str>,
    pub link: Option<&'a str>,
}

/// The reminder to `name` that an activity begins soon.
pub fn activity_reminder(locale: Locale, name: &str, f: &ReminderFacts<'_>) -> Letter {
    let place = f.place.map(|p| format!("\n{p}")).unwrap_or_default();
    let link = f.link.map(|l| format!("\n\n{l}")).unwrap_or_default();
    let (title, client, starts) = (f.title, f.client, f.starts);
    match locale {
        Locale::Es => Letter {
            subject: format!("Recordatorio: {title} ({starts})"),
            text: format!(
                "Hola {name}:\n\nle recordamos «{title}» con {client}, {starts}.{place}{link}"
            ),
        },
        Locale::En => Letter {
            subject: format!("Reminder: {title} ({starts})"),
            text: format!(
                "Hello {name},\n\na reminder of \"{title}\" with {client}, {starts}.{place}{link}"
            ),
        },
    }
}

/// Puts a mail in the outbox with its job, in the caller's transaction.
pub async fn queue(
    scope: &mut Scope,
    cipher: &TenantCipher,
    kind: MailKind,
    to: &str,
    letter: &Letter,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    let sealed = cipher.encrypt(&letter.text);
    db::platform_mails::insert(
        &mut scope.tx,
        id,
        kind.as_str(),
        to,
        &letter.subject,
        &sealed,
    )
    .await?;
    let job = Job::SendPlatformMail {
        tenant_id: scope.tenant(),
        mail_id: id,
    };
    enqueue(scope, &job, Some(format!("platform-mail-{id}"))).await?;
    Ok(id)
}

/// A mail ready to hand to the SMTP server.
pub struct Ready {
    pub id: Uuid,
    pub mail: OutgoingMail,
    pub attempts: i32,
}

/// Locks a queued mail and counts the attempt; `None` when it is no longer queued.
pub async fn prepare(
    scope: &mut Scope,
    cipher: &TenantCipher,
    id: Uuid,
    from_domain: &str,
) -> Result<Option<Ready>> {
    let Some(row) = db::platform_mails::get_for_update(&mut scope.tx, id).await? else {
        return Ok(None);
    };
    let Some(sealed) = row.body_cipher.filter(|_| row.status == "queued") else {
        return Ok(None);
    };
    db::platform_mails::count_attempt(&mut scope.tx, id).await?;
    Ok(Some(Ready {
        id,
        attempts: row.attempts + 1,
        mail: OutgoingMail {
            message_id: message_id_for(&id.to_string(), from_domain),
            to: row.recipient,
            to_name: None,
            subject: row.subject,
            text: cipher.decrypt(&sealed)?,
            html: None,
            in_reply_to: None,
            references: Vec::new(),
            attachments: Vec::new(),
        },
    }))
}

/// Sends a prepared mail with the platform's SMTP settings (none configured: refused).
pub async fn send(
    transport: &dyn MailTransport,
    smtp: Option<&SmtpSettings>,
    ready: &Ready,
) -> std::result::Result<(), DeliveryError> {
    let smtp = smtp.ok_or_else(|| {
        DeliveryError::rejected("no platform SMTP server is configured (CRM_SMTP_HOST)")
    })?;
    transport.send(smtp, &ready.mail).await
}

/// Records the outcome; true when the job should run again later.
pub async fn settle(
    scope: &mut Scope,
    ready: &Ready,
    result: std::result::Result<(), DeliveryError>,
    at: DateTime<Utc>,
) -> Result<bool> {
    let (status, reason, retry) = match &result {
        Ok(()) => ("sent", None, false),
        Err(DeliveryError::Rejected(r)) => ("failed", Some(r.clone()), false),
        Err(e) if ready.attempts >= MAX_ATTEMPTS => ("failed", Some(e.reason().to_owned()), false),
        Err(_) => return Ok(true),
    };
    db::platform_mails::finish(&mut scope.tx, ready.id, status, reason.as_deref(), at).await?;
    Ok(retry)
}

/// The tenant's name and locale, for a mail's words.
pub async fn tenant_voice(scope: &mut Scope) -> Result<(String, Locale)> {
    let t = crate::tenants::settings(scope).await?;
    Ok((t.name, Locale::parse(&t.locale).unwrap_or(Locale::Es)))
}
