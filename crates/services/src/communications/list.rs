//! Lists of messages: the tenant's (the inbox) and one client's (its conversation), with
//! filters on channel, direction, status, sentiment and time, newest first, in keyset pages of
//! the one cursor format.

use chrono::{DateTime, Utc};
use domain::communications::{Channel, Direction, MessageStatus};
use serde::Deserialize;
use uuid::Uuid;

use super::output::{CommunicationOut, communication_out};
use crate::{Error, InvalidField, Page, PageRequest, Result, Scope, query};

/// The list's query as a caller gives it, as text. Filters add up.
#[derive(Debug, Default, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct CommunicationQuery {
    #[cfg_attr(feature = "openapi", param(schema_with = super::schema::channel_param))]
    pub channel: Option<String>,
    #[cfg_attr(feature = "openapi", param(schema_with = super::schema::direction_param))]
    pub direction: Option<String>,
    #[cfg_attr(feature = "openapi", param(schema_with = super::schema::status_param))]
    pub status: Option<String>,
    /// Only messages scored at least this (-1 to 1).
    #[cfg_attr(feature = "openapi", param(schema_with = super::schema::sentiment))]
    pub sentiment_min: Option<String>,
    /// Only messages scored at most this (-1 to 1).
    #[cfg_attr(feature = "openapi", param(schema_with = super::schema::sentiment))]
    pub sentiment_max: Option<String>,
    /// Only messages from this moment on (RFC 3339).
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::date_time))]
    pub from: Option<String>,
    /// Only messages before this moment (RFC 3339).
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::date_time))]
    pub to: Option<String>,
    /// `true` keeps only inbound messages nobody of the tenant has read.
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::flag))]
    pub unseen: Option<String>,
    /// Items per page (default 25).
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::limit))]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Which messages the list keeps: the query's filters, checked.
#[derive(Debug, Clone, Default)]
pub struct CommunicationFilter {
    pub channel: Option<Channel>,
    pub direction: Option<Direction>,
    pub status: Option<MessageStatus>,
    pub sentiment_min: Option<f32>,
    pub sentiment_max: Option<f32>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub unseen_only: bool,
}

fn spelled<T>(
    name: &str,
    raw: Option<&str>,
    parse: impl Fn(&str) -> std::result::Result<T, domain::Invalid>,
    problems: &mut Vec<InvalidField>,
) -> Option<T> {
    parse(raw?)
        .map_err(|e| problems.push(InvalidField::query(name, e.0)))
        .ok()
}

fn sentiment(name: &str, raw: Option<&str>, problems: &mut Vec<InvalidField>) -> Option<f32> {
    match raw?.parse::<f32>() {
        Ok(v) if (-1.0..=1.0).contains(&v) => Some(v),
        _ => {
            problems.push(InvalidField::query(name, "must be a number from -1 to 1"));
            None
        }
    }
}

impl CommunicationQuery {
    /// The filter and the page asked for; each bad parameter is one problem.
    pub fn parse(&self) -> Result<(CommunicationFilter, PageRequest<Uuid>)> {
        let mut p = Vec::new();
        let filter = CommunicationFilter {
            channel: spelled("channel", self.channel.as_deref(), Channel::parse, &mut p),
            direction: spelled(
                "direction",
                self.direction.as_deref(),
                Direction::parse,
                &mut p,
            ),
            status: spelled(
                "status",
                self.status.as_deref(),
                MessageStatus::parse,
                &mut p,
            ),
            sentiment_min: sentiment("sentiment_min", self.sentiment_min.as_deref(), &mut p),
            sentiment_max: sentiment("sentiment_max", self.sentiment_max.as_deref(), &mut p),
            from: query::time("from", self.from.as_deref(), &mut p),
            to: query::time("to", self.to.as_deref(), &mut p),
            unseen_only: query::flag("unseen", self.unseen.as_deref(), &mut p).unwrap_or(false),
        };
        if let (Some(min), Some(max)) = (filter.sentiment_min, filter.sentiment_max)
            && min > max
        {
            p.push(InvalidField::query(
                "sentiment_min",
                "must not exceed sentiment_max",
            ));
        }
        if let (Some(from), Some(to)) = (filter.from, filter.to)
            && from >= to
        {
            p.push(InvalidField::query("from", "must be before to"));
        }
        let page = PageRequest::parse(self.limit.as_deref(), self.cursor.as_deref(), &mut p);
        Error::check(p)?;
        Ok((filter, page))
    }
}

/// One page of the tenant's messages `filter` keeps, newest first.
pub async fn list(
    scope: &mut Scope,
    filter: &CommunicationFilter,
    page: &PageRequest<Uuid>,
) -> Result<Page<CommunicationOut>> {
    read(scope, None, filter, page).await
}

/// One page of a client's messages; [`Error::NotFound`] when there is no such client.
pub async fn list_of_client(
    scope: &mut Scope,
    client_id: Uuid,
    filter: &CommunicationFilter,
    page: &PageRequest<Uuid>,
) -> Result<Page<CommunicationOut>> {
    if db::clients::get(&mut scope.tx, client_id, false)
        .await?
        .is_none()
    {
        return Err(Error::NotFound);
    }
    read(scope, Some(client_id), filter, page).await
}

async fn read(
    scope: &mut Scope,
    client_id: Option<Uuid>,
    f: &CommunicationFilter,
    page: &PageRequest<Uuid>,
) -> Result<Page<CommunicationOut>> {
    let filter = db::communications::Filter {
        client_id,
        channel: f.channel.map(|c| c.as_str().to_owned()),
        direction: f.direction.map(|d| d.as_str().to_owned()),
        status: f.status.map(|s| s.as_str().to_owned()),
        sentiment_min: f.sentiment_min,
        sentiment_max: f.sentiment_max,
        from: f.from,
        to: f.to,
        unseen_only: f.unseen_only,
        after: page.after,
        limit: page.fetch_limit(),
    };
    let rows = db::communications::list(&mut scope.tx, &filter).await?;
    Page::from_rows(rows, page.limit, |r| r.id, |r| Ok(communication_out(r)))
}
