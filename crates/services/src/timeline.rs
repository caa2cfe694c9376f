//! Reading the timeline: one client's or the whole tenant's events, newest first and filtered;
//! their counts per period, for the temporal analysis chart; and the committed events a live
//! stream sends. (Events are written only by the change recorder, [`crate::Scope::record`].)

use chrono::{DateTime, Utc};
use db::timeline::{Event, Filter};
use serde::Serialize;
use uuid::Uuid;

use crate::{Error, InvalidField, Page, PageRequest, Result, Scope, query};

/// A timeline event as the API serves it and the live stream sends it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineEvent {
    pub id: Uuid,
    pub client_id: Option<Uuid>,
    pub event_type: String,
    pub description: String,
    pub event_date: DateTime<Utc>,
    /// `user`, `api_key`, `system`, `automation` or `integration`.
    pub triggered_by: String,
    pub actor_id: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub payload: serde_json::Value,
}

impl From<Event> for TimelineEvent {
    fn from(e: Event) -> Self {
        Self {
            id: e.id,
            client_id: e.client_id,
            event_type: e.event_type,
            description: e.description,
            event_date: e.event_date,
            triggered_by: e.actor_type,
            actor_id: e.actor_id,
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            payload: e.payload,
        }
    }
}

/// Where an event stands in the newest-first order: the sort key its cursor carries.
type Position = (DateTime<Utc>, Uuid);

/// Which events to list, as the caller gave them (the query parameters' text).
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    /// Comma-separated event types such as `client.created`; `ticket.*` matches a prefix.
    pub types: Option<String>,
    /// Inclusive.
    pub from: Option<String>,
    /// Exclusive.
    pub to: Option<String>,
    /// The user, key or integration that caused the event.
    pub actor_id: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

impl EventQuery {
    /// The repository's filter and the page size; each bad parameter is named.
    fn filter(&self, client_id: Option<Uuid>) -> Result<(Filter, u32)> {
        let mut problems = Vec::new();
        let mut f = Filter {
            client_id,
            ..Default::default()
        };
        for t in self
            .types
            .iter()
            .flat_map(|t| t.split(','))
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            if !is_type_pattern(t) {
                problems.push(InvalidField::query(
                    "type",
                    format!("'{t}' is not an event type like client.created or ticket.*"),
                ));
            } else if let Some(prefix) = t.strip_suffix('*') {
                f.prefixes.push(prefix.to_owned());
            } else {
                f.types.push(t.to_owned());
            }
        }
        f.from = query::time("from", self.from.as_deref(), &mut problems);
        f.to = query::time("to", self.to.as_deref(), &mut problems);
        f.actor_id = self.actor_id.clone();
        let page: PageRequest<Position> =
            PageRequest::parse(self.limit.as_deref(), self.cursor.as_deref(), &mut problems);
        f.before = page.after;
        f.limit = page.fetch_limit();
        Error::check(problems)?;
        Ok((f, page.limit))
    }
}

/// `client.created`, or a family such as `ticket.*`: dotted words of lower-case letters and `_`.
fn is_type_pattern(t: &str) -> bool {
    t.trim_end_matches(".*")
        .split('.')
        .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
}

/// One page of the whole tenant's events, newest first.
pub async fn tenant_events(scope: &mut Scope, q: &EventQuery) -> Result<Page<TimelineEvent>> {
    let (f, limit) = q.filter(None)?;
    page(scope, &f, limit).await
}

/// One page of a client's events (a deleted client's too), newest first; `NotFound` when the
/// client never existed here.
pub async fn client_events(
    scope: &mut Scope,
    client_id: Uuid,
    q: &EventQuery,
) -> Result<Page<TimelineEvent>> {
    if db::clients::get(&mut scope.tx, client_id, true)
        .await?
        .is_none()
    {
        return Err(Error::NotFound);
    }
    let (f, limit) = q.filter(Some(client_id))?;
    page(scope, &f, limit).await
}

async fn page(scope: &mut Scope, f: &Filter, limit: u32) -> Result<Page<TimelineEvent>> {
    let rows = db::timeline::list(&mut scope.tx, f).await?;
    Page::from_rows(
        rows,
        limit,
        |e| (e.event_date, e.id),
        |e| Ok(TimelineEvent::from(e)),
    )
}

/// The length of the periods events are counted in, in the tenant's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Period {
    Day,
    #[default]
    Week,
    Month,
}

impl Period {
    pub const NAMES: [&'static str; 3] = ["day", "week", "month"];

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "day" => Some(Self::Day),
            "week" => Some(Self::Week),
            "month" => Some(Self::Month),
            _ => None,
        }
    }

    /// The name, as `date_trunc` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
        }
    }
}

/// Which counts to make, as the caller gave them (the query parameters' text).
#[derive(Debug, Clone, Default)]
pub struct StatsQuery {
    /// Only this client's events.
    pub client_id: Option<String>,
    /// `day`, `week` (the default) or `month`.
    pub bucket: Option<String>,
    /// Inclusive.
    pub from: Option<String>,
    /// Exclusive.
    pub to: Option<String>,
}

/// How many events of one type one period holds.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatsBucket {
    pub period: DateTime<Utc>,
    pub event_type: String,
    pub count: i64,
}

/// Event counts per type per period (in the tenant's time zone), oldest period first.
pub async fn stats(scope: &mut Scope, q: &StatsQuery) -> Result<Vec<StatsBucket>> {
    let mut problems = Vec::new();
    let period = match q.bucket.as_deref() {
        None => Period::default(),
        Some(name) => Period::from_name(name).unwrap_or_else(|| {
            problems.push(InvalidField::query("bucket", "must be day, week or month"));
            Period::default()
        }),
    };
    let client_id = query::uuid("client_id", q.client_id.as_deref(), &mut problems);
    let from = query::time("from", q.from.as_deref(), &mut problems);
    let to = query::time("to", q.to.as_deref(), &mut problems);
    Error::check(problems)?;
    let tenant_id = scope.tenant();
    let tenant = db::tenants::get(&mut scope.tx, tenant_id)
        .await?
        .ok_or(Error::NotFound)?;
    let rows = db::timeline::stats(
        &mut scope.tx,
        client_id,
        period.name(),
        &tenant.time_zone,
        from,
        to,
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|b| StatsBucket {
            period: b.period,
            event_type: b.event_type,
            count: b.count,
        })
        .collect())
}

/// The events with these ids, oldest first, as committed (their dates are the database's):
/// what a live stream sends after a commit.
pub async fn recorded(scope: &mut Scope, ids: &[Uuid]) -> Result<Vec<TimelineEvent>> {
    let rows = db::live::events(&mut scope.tx, ids).await?;
    Ok(rows.into_iter().map(TimelineEvent::from).collect())
}

/// The tenant's events recorded from the moment of `from_id` (a UUIDv7) on, oldest first, at
/// most `limit`: what a resumed live stream resends.
pub async fn recorded_since(
    scope: &mut Scope,
    from_id: Uuid,
    limit: i64,
) -> Result<Vec<TimelineEvent>> {
    let rows = db::live::since(&mut scope.tx, from_id, limit).await?;
    Ok(rows.into_iter().map(TimelineEvent::from).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parameters(e: Error) -> Vec<String> {
        match e {
            Error::Invalid(fields) => fields.into_iter().filter_map(|f| f.parameter).collect(),
            other => vec![other.to_string()],
        }
    }

    #[test]
    fn types_and_families_are_split() {
        let q = EventQuery {
            types: Some(" client.created, ticket.* ,,".into()),
            ..Default::default()
        };
        let (f, limit) = q.filter(None).expect("valid");
        assert_eq!(f.types, ["client.created"]);
        assert_eq!(f.prefixes, ["ticket."]);
        assert_eq!((limit, f.limit), (25, 26));
    }

    #[test]
    fn bad_parameters_are_named_in_order() {
        let q = EventQuery {
            types: Some("Client".into()),
            from: Some("soon".into()),
            limit: Some("0".into()),
            cursor: Some("zzz".into()),
            ..Default::default()
        };
        let err = q.filter(None).err().map(parameters);
        assert_eq!(
            err,
            Some(vec![
                "type".into(),
                "from".into(),
                "limit".into(),
                "cursor".into()
            ])
        );
    }

    #[test]
    fn a_cursor_carries_the_position_of_the_last_event() {
        let at = DateTime::from_timestamp_micros(1_790_000_000_123_456).expect("time");
        let position = (at, Uuid::now_v7());
        let q = EventQuery {
            cursor: Some(crate::page::encode(&position)),
            ..Default::default()
        };
        let (f, _) = q.filter(None).expect("valid");
        assert_eq!(f.before, Some(position));
    }

    #[test]
    fn periods_by_name() {
        for name in Period::NAMES {
            assert_eq!(Period::from_name(name).map(Period::name), Some(name));
        }
        assert_eq!(Period::from_name("year"), None);
    }
}
