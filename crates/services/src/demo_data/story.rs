//! What happened between the tenant and a demo company. Its story (a long-standing client, a
//! lead converted today, an open lead, a client gone quiet, a lost lead) decides the status it
//! is created with and about nine months of backdated history: e-mails, calls and messages to
//! its people, and the status changes that ended a relationship.

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc, Weekday};
use domain::{ClientSource, ClientStatus, EventType};

use super::company::DemoCompany;
use super::dice::Dice;
use super::words;

/// How far back the history goes (about nine months).
pub(super) const HISTORY_DAYS: i64 = 270;

/// The kind of relationship a demo company has with the tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Story {
    /// A client since before the history starts, in touch every few weeks.
    Client,
    /// A lead courted over the last weeks and converted today, by the convert flow.
    Converted,
    /// A lead with a few first contacts, or none yet.
    Lead,
    /// A client who stopped ordering and was set inactive months ago.
    Inactive,
    /// A lead that said no.
    Lost,
}

impl Story {
    /// How common each story is.
    pub(super) const ODDS: &[(Story, i64)] = &[
        (Self::Client, 30),
        (Self::Converted, 12),
        (Self::Lead, 35),
        (Self::Inactive, 11),
        (Self::Lost, 12),
    ];

    /// The status the company is created with (a converted lead is created as a lead).
    pub(super) fn created_as(self) -> ClientStatus {
        match self {
            Self::Client => ClientStatus::Client,
            Self::Converted | Self::Lead => ClientStatus::Lead,
            Self::Inactive => ClientStatus::Inactive,
            Self::Lost => ClientStatus::Lost,
        }
    }

    /// Whether the company has bought from the tenant.
    pub(super) fn has_bought(self) -> bool {
        matches!(self, Self::Client | Self::Converted | Self::Inactive)
    }

    /// How companies of this story usually came.
    pub(super) fn sources(self) -> &'static [(ClientSource, i64)] {
        if matches!(self, Self::Client | Self::Inactive) {
            &[
                (ClientSource::Referral, 30),
                (ClientSource::Partner, 20),
                (ClientSource::Event, 15),
                (ClientSource::Import, 25),
                (ClientSource::Web, 10),
            ]
        } else {
            &[
                (ClientSource::Web, 35),
                (ClientSource::Campaign, 30),
                (ClientSource::Event, 15),
                (ClientSource::Referral, 15),
                (ClientSource::Other, 5),
            ]
        }
    }
}

/// One backdated event of a company's history.
#[derive(Debug, Clone)]
pub(super) struct Happening {
    pub at: DateTime<Utc>,
    pub kind: EventType,
    pub description: String,
    /// How a message went (`email`, `phone`, `whatsapp`, `sms`); none for a status change.
    pub channel: Option<&'static str>,
    /// The index, among the company's people, of the person spoken to.
    pub person: Option<usize>,
}

/// When contact happens: from `first` days ago towards `last` days ago, a step of `every` days
/// at a time, at most `most` times.
struct Span {
    first: i64,
    last: i64,
    every: (i64, i64),
    most: usize,
}

fn span(dice: &mut Dice, story: Story) -> Option<Span> {
    let (first, last, every, most) = match story {
        Story::Client if dice.chance(20) => (
            dice.range(HISTORY_DAYS - 70, HISTORY_DAYS - 5),
            dice.range(60, 120),
            (10, 25),
            40,
        ),
        Story::Client => (
            dice.range(HISTORY_DAYS - 70, HISTORY_DAYS - 5),
            dice.range(0, 40),
            (7, 21),
            40,
        ),
        Story::Converted => (dice.range(25, 85), dice.range(0, 4), (4, 12), 40),
        Story::Lead if dice.chance(25) => return None,
        Story::Lead => (dice.range(0, 100), 0, (3, 20), dice.range(1, 4) as usize),
        Story::Inactive => (
            dice.range(HISTORY_DAYS - 40, HISTORY_DAYS - 2),
            dice.range(130, 200),
            (10, 30),
            40,
        ),
        Story::Lost => (dice.range(30, 240), 0, (4, 15), dice.range(2, 5) as usize),
    };
    Some(Span {
        first,
        last,
        every,
        most,
    })
}

/// A working-hours moment `days_ago` days before `now` (a weekend day moves to the Friday
/// before), never later than a few minutes ago.
fn moment(dice: &mut Dice, now: DateTime<Utc>, days_ago: i64) -> DateTime<Utc> {
    let mut day = (now - Duration::days(days_ago)).date_naive();
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day -= Duration::days(1);
    }
    let time = day.and_hms_opt(dice.range(7, 17) as u32, dice.range(0, 59) as u32, 0);
    // Drawn whatever the hour, so the draws after it do not depend on when the seed runs.
    let earlier = now - Duration::minutes(dice.range(5, 180));
    match time.map(|t| Utc.from_utc_datetime(&t)) {
        Some(at) if at <= now - Duration::minutes(5) => at,
        _ => earlier,
    }
}

/// A message or a call through `channel` to one of the company's people about `topic`.
fn message(
    dice: &mut Dice,
    company: &DemoCompany,
    at: DateTime<Utc>,
    channel: &'static str,
    topic: &str,
) -> Happening {
    let person = (!company.people.is_empty())
        .then(|| dice.range(0, company.people.len() as i64 - 1) as usize);
    let whom = person.map_or(company.name.as_str(), |p| company.people[p].name.as_str());
    let description = match channel {
        "email" => format!("E-mail to {whom}: {topic}"),
        "phone" => format!("Call with {whom}: {topic}"),
        "whatsapp" => format!("WhatsApp message to {whom}: {topic}"),
        _ => format!("SMS to {whom}: {topic}"),
    };
    Happening {
        at,
        kind: EventType::CommunicationSent,
        description,
        channel: Some(channel),
        person,
    }
}

/// A message about one of `topics`, or of `short` topics for a WhatsApp message or an SMS.
fn any_message(
    dice: &mut Dice,
    company: &DemoCompany,
    at: DateTime<Utc>,
    (topics, short): (&[&str], &[&str]),
) -> Happening {
    let channel = dice.weighted(&[("email", 50), ("phone", 30), ("whatsapp", 13), ("sms", 7)]);
    let topics = if matches!(channel, "email" | "phone") {
        topics
    } else {
        short
    };
    let topic = *dice.pick(topics);
    message(dice, company, at, channel, topic)
}

/// The company's status set to what its story ended in, told as the update flow tells it.
fn status_change(company: &DemoCompany, at: DateTime<Utc>) -> Happening {
    Happening {
        at,
        kind: EventType::ClientUpdated,
        description: format!("{} was updated: status", company.name),
        channel: None,
        person: None,
    }
}

/// The company's backdated history up to `now`, oldest first.
pub(super) fn history(
    dice: &mut Dice,
    company: &DemoCompany,
    now: DateTime<Utc>,
) -> Vec<Happening> {
    let Some(span) = span(dice, company.story) else {
        return Vec::new();
    };
    let topics = if company.story.has_bought() && company.story != Story::Converted {
        (words::ACCOUNT_TOPICS, words::SHORT_ACCOUNT_TOPICS)
    } else {
        (words::PROSPECT_TOPICS, words::SHORT_PROSPECT_TOPICS)
    };
    let mut events = Vec::new();
    let mut days_ago = span.first;
    while events.len() < span.most {
        let at = moment(dice, now, days_ago);
        events.push(any_message(dice, company, at, topics));
        let step = dice.range(span.every.0, span.every.1);
        if days_ago - step < span.last {
            break;
        }
        days_ago -= step;
    }
    match company.story {
        Story::Lost => {
            let days_ago = (days_ago - dice.range(1, 3)).max(0);
            let at = moment(dice, now, days_ago);
            let channel = *dice.pick(&["email", "phone"]);
            let topic = *dice.pick(words::LOSS_TOPICS);
            events.push(message(dice, company, at, channel, topic));
            let later = Duration::minutes(dice.range(10, 90)).min(now - at);
            events.push(status_change(company, at + later));
        }
        Story::Inactive => {
            let days_ago = days_ago - dice.range(20, 35);
            let at = moment(dice, now, days_ago);
            events.push(status_change(company, at));
        }
        _ => {}
    }
    events.sort_by_key(|e| e.at);
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo_data::company::companies;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-16T10:30:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    /// Every demo company with its history, as `fill` draws them.
    fn demo() -> Vec<(DemoCompany, Vec<Happening>)> {
        let mut dice = Dice::new(crate::demo_data::SEED);
        let all = companies(&mut dice, 300, now().date_naive());
        all.into_iter()
            .map(|c| {
                let h = history(&mut dice, &c, now());
                (c, h)
            })
            .collect()
    }

    #[test]
    fn history_is_in_the_past_nine_months_on_working_days_and_in_order() {
        let oldest = now() - Duration::days(HISTORY_DAYS + 3);
        for (company, events) in demo() {
            assert!(
                events.windows(2).all(|w| w[0].at <= w[1].at),
                "{}",
                company.name
            );
            for e in &events {
                assert!(
                    e.at >= oldest && e.at <= now(),
                    "{}: {}",
                    company.name,
                    e.at
                );
                if e.kind == EventType::CommunicationSent {
                    assert!(
                        !matches!(e.at.weekday(), Weekday::Sat | Weekday::Sun)
                            || now() - e.at < Duration::hours(4)
                    );
                    assert!(e.person.is_some_and(|p| p < company.people.len()));
                }
            }
        }
    }

    #[test]
    fn each_story_ends_as_it_should() {
        let all = demo();
        let of = |story: Story| all.iter().filter(move |(c, _)| c.story == story);
        for story in [
            Story::Client,
            Story::Converted,
            Story::Lead,
            Story::Inactive,
            Story::Lost,
        ] {
            assert!(of(story).count() >= 10, "{story:?}");
        }
        let recent = now() - Duration::days(90);
        let active = of(Story::Client)
            .filter(|(_, h)| h.last().is_some_and(|e| e.at >= recent))
            .count();
        assert!(active * 10 >= of(Story::Client).count() * 6, "{active}");
        for (c, h) in of(Story::Inactive) {
            let last = h.last().map(|e| (e.kind, e.at));
            assert!(
                matches!(last, Some((EventType::ClientUpdated, at)) if at < recent),
                "{}",
                c.name
            );
        }
        for (c, h) in of(Story::Lost) {
            assert_eq!(
                h.last().map(|e| e.kind),
                Some(EventType::ClientUpdated),
                "{}",
                c.name
            );
        }
        for (c, h) in of(Story::Converted) {
            assert!(
                h.len() >= 2 && h.iter().all(|e| e.kind == EventType::CommunicationSent),
                "{}",
                c.name
            );
        }
        let months: std::collections::BTreeSet<u32> = all
            .iter()
            .flat_map(|(_, h)| h.iter().map(|e| e.at.month()))
            .collect();
        assert!(months.len() >= 9, "{months:?}");
    }
}
