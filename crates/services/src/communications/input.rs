//! What a person gives for a message: the channel, the words or a template, and for a phone
//! call its length and outcome. [`NewMessage::check`] turns it into a checked [`Draft`].

use chrono::{DateTime, Utc};
use domain::communications::{CallOutcome, Channel, Direction};
use serde::Deserialize;
use uuid::Uuid;

use crate::{InvalidField, text};

/// Most characters of a subject.
pub const SUBJECT_CHARS: usize = 300;
/// Most characters of a message's body.
pub const BODY_CHARS: usize = 20_000;
/// Most characters of an address or number given by hand.
pub const ADDRESS_CHARS: usize = 320;
/// The longest call that can be logged: 24 hours.
pub const MAX_CALL_SECONDS: i64 = 86_400;

/// A message to send, or a call to log. Either `body` or `template_id` (not both) says what
/// the message says; a phone call needs `duration_seconds` and `outcome` and sends nothing.
#[derive(Debug, Default, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::channel))]
    pub channel: String,
    /// A contact of the client: the message goes to their address or number.
    pub contact_id: Option<Uuid>,
    /// The address (e-mail) or E.164 number (WhatsApp, SMS, phone) to use; by default the
    /// contact's, else the client's first.
    #[cfg_attr(feature = "openapi", schema(max_length = 320))]
    pub to: Option<String>,
    /// E-mail only (1-300 characters); a template brings its own.
    #[cfg_attr(feature = "openapi", schema(max_length = 300))]
    pub subject: Option<String>,
    /// 1-20,000 characters; required unless `template_id` is given. For a call, the notes.
    #[cfg_attr(feature = "openapi", schema(max_length = 20000))]
    pub body: Option<String>,
    /// A template of the same channel (`GET /api/v1/templates`), rendered for this client.
    pub template_id: Option<Uuid>,
    /// Phone only: who called (`outbound`: we did, the default).
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::direction_input))]
    pub direction: Option<String>,
    /// Phone only, required: the call's length in seconds (0-86,400).
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 86400))]
    pub duration_seconds: Option<i64>,
    /// Phone only, required.
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::outcome))]
    pub outcome: Option<String>,
    /// Phone only: when the call took place (default now; not in the future).
    pub occurred_at: Option<DateTime<Utc>>,
}

/// What a message says, as given.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    Written { subject: String, body: String },
    Template(Uuid),
}

/// A checked message.
#[derive(Debug, Clone)]
pub struct Draft {
    pub channel: Channel,
    pub content: Content,
    pub to: Option<String>,
    pub call: Option<Call>,
}

/// The facts of a logged call.
#[derive(Debug, Clone, Copy)]
pub struct Call {
    pub direction: Direction,
    pub duration_seconds: i32,
    pub outcome: CallOutcome,
    pub occurred_at: Option<DateTime<Utc>>,
}

impl NewMessage {
    /// The checked message; each bad member is one problem.
    pub fn check(&self, now: DateTime<Utc>, problems: &mut Vec<InvalidField>) -> Option<Draft> {
        let channel = Channel::parse(&self.channel)
            .map_err(|e| problems.push(InvalidField::at("/channel", e.0)))
            .ok();
        let to = text::optional("/to", self.to.clone(), ADDRESS_CHARS, problems);
        let content = self.content(channel, problems);
        let call = match channel {
            Some(Channel::Phone) => self.call(now, problems),
            _ => {
                self.no_call_members(problems);
                None
            }
        };
        Some(Draft {
            channel: channel?,
            content: content?,
            to,
            call,
        })
        .filter(|_| problems.is_empty())
    }

    fn content(
        &self,
        channel: Option<Channel>,
        problems: &mut Vec<InvalidField>,
    ) -> Option<Content> {
        let subject = text::optional("/subject", self.subject.clone(), SUBJECT_CHARS, problems);
        if subject.is_some() && channel.is_some_and(|c| !c.has_subject()) {
            problems.push(InvalidField::at("/subject", "only an e-mail has a subject"));
        }
        match (&self.body, self.template_id) {
            (Some(_), Some(_)) => {
                problems.push(InvalidField::at(
                    "/template_id",
                    "give either body or template_id, not both",
                ));
                None
            }
            (None, Some(id)) if channel == Some(Channel::Phone) => {
                let _ = id;
                problems.push(InvalidField::at("/template_id", "a call has no template"));
                None
            }
            (None, Some(id)) => {
                if subject.is_some() {
                    problems.push(InvalidField::at(
                        "/subject",
                        "a template brings its subject",
                    ));
                }
                Some(Content::Template(id))
            }
            (body, None) => {
                let body = match channel {
                    // A call's notes may be empty.
                    Some(Channel::Phone) => {
                        text::optional("/body", body.clone(), BODY_CHARS, problems)
                            .unwrap_or_default()
                    }
                    _ => {
                        text::required("/body", body.as_deref().unwrap_or(""), BODY_CHARS, problems)
                    }
                };
                if channel == Some(Channel::Email) && subject.is_none() {
                    problems.push(InvalidField::at("/subject", "an e-mail needs a subject"));
                }
                Some(Content::Written {
                    subject: subject.unwrap_or_default(),
                    body,
                })
            }
        }
    }

    fn call(&self, now: DateTime<Utc>, problems: &mut Vec<InvalidField>) -> Option<Call> {
        let direction = match self.direction.as_deref() {
            None => Some(Direction::Outbound),
            Some(raw) => Direction::parse(raw)
                .map_err(|e| problems.push(InvalidField::at("/direction", e.0)))
                .ok(),
        };
        let duration = match self.duration_seconds {
            None => {
                problems.push(InvalidField::at(
                    "/duration_seconds",
                    "a call needs its length",
                ));
                None
            }
            Some(s) if !(0..=MAX_CALL_SECONDS).contains(&s) => {
                problems.push(InvalidField::at(
                    "/duration_seconds",
                    "must be from 0 to 86400 seconds",
                ));
                None
            }
            Some(s) => i32::try_from(s).ok(),
        };
        let outcome = match self.outcome.as_deref() {
            None => {
                problems.push(InvalidField::at("/outcome", "a call needs its outcome"));
                None
            }
            Some(raw) => CallOutcome::parse(raw)
                .map_err(|e| problems.push(InvalidField::at("/outcome", e.0)))
                .ok(),
        };
        if self.occurred_at.is_some_and(|t| t > now) {
            problems.push(InvalidField::at(
                "/occurred_at",
                "must not be in the future",
            ));
        }
        Some(Call {
            direction: direction?,
            duration_seconds: duration?,
            outcome: outcome?,
            occurred_at: self.occurred_at,
        })
    }

    fn no_call_members(&self, problems: &mut Vec<InvalidField>) {
        let given = [
            ("/direction", self.direction.is_some()),
            ("/duration_seconds", self.duration_seconds.is_some()),
            ("/outcome", self.outcome.is_some()),
            ("/occurred_at", self.occurred_at.is_some()),
        ];
        for (pointer, present) in given {
            if present {
                problems.push(InvalidField::at(pointer, "only a phone call has this"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pointers(m: &NewMessage) -> Vec<String> {
        let mut problems = Vec::new();
        m.check(Utc::now(), &mut problems);
        problems.into_iter().map(|p| p.pointer).collect()
    }

    #[test]
    fn an_email_needs_subject_and_body() {
        let m = NewMessage {
            channel: "email".into(),
            ..Default::default()
        };
        assert_eq!(pointers(&m), ["/body", "/subject"]);
    }

    #[test]
    fn body_and_template_exclude_each_other() {
        let m = NewMessage {
            channel: "sms".into(),
            body: Some("hola".into()),
            template_id: Some(Uuid::nil()),
            ..Default::default()
        };
        assert_eq!(pointers(&m), ["/template_id"]);
    }

    #[test]
    fn a_call_needs_length_and_outcome_and_others_refuse_them() {
        let call = NewMessage {
            channel: "phone".into(),
            ..Default::default()
        };
        assert_eq!(pointers(&call), ["/duration_seconds", "/outcome"]);
        let sms = NewMessage {
            channel: "sms".into(),
            body: Some("hola".into()),
            outcome: Some("answered".into()),
            ..Default::default()
        };
        assert_eq!(pointers(&sms), ["/outcome"]);
    }

    #[test]
    fn a_good_call_checks() {
        let call = NewMessage {
            channel: "phone".into(),
            duration_seconds: Some(125),
            outcome: Some("answered".into()),
            body: Some("Talked about renewal".into()),
            ..Default::default()
        };
        let mut problems = Vec::new();
        let draft = call.check(Utc::now(), &mut problems).expect("checks");
        assert!(problems.is_empty());
        assert_eq!(draft.call.map(|c| c.duration_seconds), Some(125));
    }
}
