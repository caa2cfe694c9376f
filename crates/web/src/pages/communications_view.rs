//! How the communications pages show a message: its channel's icon and name, which way it
//! went, its delivery status as a coloured badge (with the reason when it failed), its
//! sentiment, a call's length and outcome, and who wrote it. One [`MessageItem`] per message,
//! shared by a client's thread and the inbox.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::communications::{CallOutcome, Channel, Direction, MessageStatus};
use domain::sentiment::{Sentiment, label};
use services::communications::CommunicationOut;
use uuid::Uuid;

use crate::i18n::Locale;

/// A message as the thread and the inbox show it, every label in the page's language.
pub struct MessageItem {
    pub id: Uuid,
    pub client_id: Uuid,
    /// The client's name (the inbox), when known.
    pub client: Option<String>,
    pub channel: String,
    pub channel_icon: &'static str,
    pub channel_label: String,
    pub direction: String,
    pub direction_icon: &'static str,
    pub direction_label: String,
    pub status: String,
    pub status_label: String,
    pub status_class: &'static str,
    pub failure_reason: Option<String>,
    pub counterpart: String,
    /// The contact it went to or came from, by name.
    pub contact: Option<String>,
    /// The user who sent or logged it.
    pub author: Option<String>,
    pub subject: String,
    pub body: String,
    /// A call's length, such as "3 min 05 s".
    pub duration: Option<String>,
    pub outcome: Option<String>,
    pub sentiment: Option<SentimentBadge>,
    pub occurred_at: DateTime<Utc>,
    /// An inbound message nobody of the tenant has read yet.
    pub unseen: bool,
}

impl MessageItem {
    /// The subject, else the first words of the body (the inbox's one line).
    pub fn headline(&self) -> String {
        if !self.subject.is_empty() {
            return self.subject.clone();
        }
        let mut cut: String = self.body.chars().take(120).collect();
        if self.body.chars().count() > 120 {
            cut.push('…');
        }
        cut
    }
}

/// How a message's sentiment is shown: its reading, the badge's class and the score.
pub struct SentimentBadge {
    pub label: String,
    pub class: &'static str,
    pub score: String,
}

/// The names a message's ids are shown by.
#[derive(Default)]
pub struct Names {
    pub clients: HashMap<Uuid, String>,
    pub contacts: HashMap<Uuid, String>,
    pub users: HashMap<Uuid, String>,
}

/// The icon (Bootstrap Icons) of a channel.
pub fn channel_icon(channel: &str) -> &'static str {
    match Channel::parse(channel) {
        Ok(Channel::Email) => "envelope",
        Ok(Channel::Whatsapp) => "whatsapp",
        Ok(Channel::Sms) => "chat-dots",
        Ok(Channel::Phone) => "telephone",
        Err(_) => "chat",
    }
}

/// The badge class of a delivery status.
pub fn status_class(status: &str) -> &'static str {
    match MessageStatus::parse(status) {
        Ok(MessageStatus::Queued) => "text-bg-secondary",
        Ok(MessageStatus::Sent) => "text-bg-info",
        Ok(MessageStatus::Delivered) => "text-bg-primary",
        Ok(MessageStatus::Read) => "text-bg-success",
        Ok(MessageStatus::Failed) => "text-bg-danger",
        Ok(MessageStatus::Received) => "text-bg-warning",
        Ok(MessageStatus::Logged) | Err(_) => "text-bg-light border",
    }
}

/// A spelled value's label (`comm-{kind}-{value}`), the value itself when unknown.
fn spelled(locale: Locale, kind: &str, value: &str) -> String {
    locale.t(&format!("comm-{kind}-{value}"))
}

/// Every value of a kind with its label, for a select.
pub fn options(locale: Locale, kind: &str, values: &[&'static str]) -> Vec<(&'static str, String)> {
    values
        .iter()
        .map(|v| (*v, spelled(locale, kind, v)))
        .collect()
}

/// The channels a message can be written on (a call is logged with its own form).
pub fn message_channels(locale: Locale) -> Vec<(&'static str, String)> {
    let sent: Vec<&'static str> = Channel::ALL
        .iter()
        .filter(|c| c.is_sent_by_provider())
        .map(|c| c.as_str())
        .collect();
    options(locale, "channel", &sent)
}

/// Every channel, direction, status or call outcome, with its label.
pub fn all_of(locale: Locale, kind: &str) -> Vec<(&'static str, String)> {
    let values: Vec<&'static str> = match kind {
        "channel" => Channel::ALL.iter().map(|c| c.as_str()).collect(),
        "direction" => Direction::ALL.iter().map(|d| d.as_str()).collect(),
        "status" => MessageStatus::ALL.iter().map(|s| s.as_str()).collect(),
        _ => CallOutcome::ALL.iter().map(|o| o.as_str()).collect(),
    };
    options(locale, kind, &values)
}

/// A call's length as "3 min 05 s".
pub fn call_length(seconds: i32) -> String {
    format!("{} min {:02} s", seconds / 60, seconds % 60)
}

/// A score with two decimals, in the locale's decimal sign.
fn score_text(locale: Locale, score: f32) -> String {
    let text = format!("{score:+.2}");
    match locale {
        Locale::Es => text.replace('.', ","),
        Locale::En => text,
    }
}

fn sentiment(locale: Locale, score: f32) -> SentimentBadge {
    let reading = label(score);
    let class = match reading {
        Sentiment::Positive => "text-bg-success",
        Sentiment::Neutral => "text-bg-light border",
        Sentiment::Negative => "text-bg-danger",
    };
    SentimentBadge {
        label: spelled(locale, "sentiment", reading.as_str()),
        class,
        score: score_text(locale, score),
    }
}

/// A message as shown, its ids named from `names`.
pub fn item(locale: Locale, m: CommunicationOut, names: &Names) -> MessageItem {
    let inbound = m.direction == Direction::Inbound.as_str();
    MessageItem {
        client: names.clients.get(&m.client_id).cloned(),
        channel_icon: channel_icon(&m.channel),
        channel_label: spelled(locale, "channel", &m.channel),
        direction_icon: if inbound {
            "arrow-down-left"
        } else {
            "arrow-up-right"
        },
        direction_label: spelled(locale, "direction", &m.direction),
        status_label: spelled(locale, "status", &m.status),
        status_class: status_class(&m.status),
        contact: m.contact_id.and_then(|c| names.contacts.get(&c).cloned()),
        author: m.created_by.and_then(|u| names.users.get(&u).cloned()),
        duration: m.duration_seconds.map(call_length),
        outcome: m.outcome.as_deref().map(|o| spelled(locale, "outcome", o)),
        sentiment: m.sentiment_score.map(|s| sentiment(locale, s)),
        unseen: inbound && m.seen_at.is_none(),
        id: m.id,
        client_id: m.client_id,
        channel: m.channel,
        direction: m.direction,
        status: m.status,
        failure_reason: m.failure_reason,
        counterpart: m.counterpart,
        subject: m.subject,
        body: m.body,
        occurred_at: m.occurred_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_scores_and_statuses_are_written_for_people() {
        assert_eq!(call_length(185), "3 min 05 s");
        assert_eq!(score_text(Locale::Es, 0.6), "+0,60");
        assert_eq!(score_text(Locale::En, -0.5), "-0.50");
        assert_eq!(status_class("failed"), "text-bg-danger");
        assert_eq!(channel_icon("whatsapp"), "whatsapp");
        let badge = sentiment(Locale::En, -0.4);
        assert_eq!(badge.label, "Negative");
        assert_eq!(badge.class, "text-bg-danger");
    }

    #[test]
    fn every_value_has_a_label_in_both_languages() {
        for locale in Locale::ALL {
            for kind in ["channel", "direction", "status", "outcome"] {
                for (value, label) in all_of(locale, kind) {
                    assert!(!label.starts_with("comm-"), "{kind} {value}: {label}");
                }
            }
            assert_eq!(message_channels(locale).len(), 3);
        }
    }
}
