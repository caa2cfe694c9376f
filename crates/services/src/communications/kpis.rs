//! The communications KPIs (`GET /api/v1/kpis/communications`, the dashboard's row): messages
//! per channel and per day or week, engagement of what was sent (opened, clicked, replied),
//! the clients' reply time and the team's response time, and the channel clients prefer; and
//! for one client (its page) the channel it prefers and its sentiment month by month.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::kpis::KpiParams;
use crate::{Error, Result, Scope};

/// Periods longer than this are counted by week rather than by day.
const DAILY_UP_TO_DAYS: i64 = 62;

/// Messages of one channel, both ways.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelMessages {
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::channel))]
    pub channel: String,
    pub outbound: i64,
    pub inbound: i64,
}

/// Messages of one channel in one day or week.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PeriodMessages {
    /// The first day of the period, in the tenant's time zone.
    pub period: NaiveDate,
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::channel))]
    pub channel: String,
    pub messages: i64,
}

/// How many clients prefer a channel.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreferredChannel {
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::channel))]
    pub channel: String,
    /// Clients who wrote on it most in the period.
    pub clients: i64,
}

/// The communications KPIs of a period.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommunicationKpis {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub by_channel: Vec<ChannelMessages>,
    /// `day` for periods up to 62 days, else `week`.
    pub period_unit: String,
    pub by_period: Vec<PeriodMessages>,
    /// Outbound messages the providers accepted in the period.
    pub sent: i64,
    pub opened: i64,
    pub clicked: i64,
    pub replied: i64,
    /// Share of the sent messages opened, clicked or replied to (0-1); null when none was sent.
    pub engagement_rate: Option<f64>,
    /// Mean hours from sending to the client's reply, over the replied ones.
    pub average_client_reply_hours: Option<f64>,
    /// Mean hours from a client's message to the team's next message or call to them.
    pub average_response_hours: Option<f64>,
    /// Clients' messages of the period the team answered.
    pub answered_inbound: i64,
    /// The channels clients wrote on most, by how many clients.
    pub preferred_channels: Vec<PreferredChannel>,
}

fn hours(seconds: Option<f64>) -> Option<f64> {
    seconds.map(|s| (s / 36.0).round() / 100.0)
}

/// The tenant's time zone, for periods and months.
async fn zone(scope: &mut Scope) -> Result<String> {
    Ok(crate::tenants::settings(scope).await?.time_zone)
}

/// The communications KPIs of `params`' period.
pub async fn communication_kpis(
    scope: &mut Scope,
    params: &KpiParams,
) -> Result<CommunicationKpis> {
    let (from, to) = (params.from, params.to);
    let tx = &mut scope.tx;
    let mut by_channel: Vec<ChannelMessages> = Vec::new();
    for row in db::communications_kpis::by_channel(tx, from, to).await? {
        let i = match by_channel.iter().position(|c| c.channel == row.channel) {
            Some(i) => i,
            None => {
                by_channel.push(ChannelMessages {
                    channel: row.channel.clone(),
                    ..Default::default()
                });
                by_channel.len() - 1
            }
        };
        match row.direction.as_str() {
            "inbound" => by_channel[i].inbound += row.messages,
            _ => by_channel[i].outbound += row.messages,
        }
    }
    let unit = if to - from > Duration::days(DAILY_UP_TO_DAYS) {
        "week"
    } else {
        "day"
    };
    let zone = zone(scope).await?;
    let tx = &mut scope.tx;
    let by_period = db::communications_kpis::by_period(tx, from, to, unit, &zone)
        .await?
        .into_iter()
        .map(|p| PeriodMessages {
            period: p.period,
            channel: p.channel,
            messages: p.messages,
        })
        .collect();
    let e = db::communications_kpis::engagement(tx, from, to).await?;
    let (answered, response) = db::communications_kpis::team_response(tx, from, to).await?;
    let preferred = db::communications_kpis::preferred_channels(tx, from, to).await?;
    Ok(CommunicationKpis {
        from,
        to,
        by_channel,
        period_unit: unit.to_owned(),
        by_period,
        sent: e.sent,
        opened: e.opened,
        clicked: e.clicked,
        replied: e.replied,
        engagement_rate: (e.sent > 0).then(|| e.engaged as f64 / e.sent as f64),
        average_client_reply_hours: hours(e.reply_seconds),
        average_response_hours: hours(response),
        answered_inbound: answered,
        preferred_channels: preferred
            .into_iter()
            .map(|(channel, clients)| PreferredChannel { channel, clients })
            .collect(),
    })
}

/// One month of a client's conversation.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SentimentMonth {
    /// The month's first day, in the tenant's time zone.
    pub month: NaiveDate,
    /// Messages both ways and calls.
    pub messages: i64,
    /// Mean sentiment (-1 to 1) of the client's own messages; null in a month they did not
    /// write.
    pub sentiment: Option<f64>,
}

/// A client's conversation in brief: the channel it prefers and its sentiment trend.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientConversation {
    /// The channel the client wrote on most; null if it never wrote.
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::channel_or_null))]
    pub preferred_channel: Option<String>,
    /// The last twelve months with messages, oldest first.
    pub months: Vec<SentimentMonth>,
}

/// The conversation summary of a client; [`Error::NotFound`] when there is no such client.
pub async fn client_conversation(scope: &mut Scope, client_id: Uuid) -> Result<ClientConversation> {
    if db::clients::get(&mut scope.tx, client_id, false)
        .await?
        .is_none()
    {
        return Err(Error::NotFound);
    }
    let zone = zone(scope).await?;
    let since = Utc::now() - Duration::days(366);
    let tx = &mut scope.tx;
    let months = db::communications_kpis::sentiment_by_month(tx, client_id, since, &zone)
        .await?
        .into_iter()
        .map(|m| SentimentMonth {
            month: m.month,
            messages: m.messages,
            sentiment: m.inbound_sentiment.map(|s| (s * 100.0).round() / 100.0),
        })
        .collect();
    Ok(ClientConversation {
        preferred_channel: db::communications_kpis::preferred_channel_of(tx, client_id).await?,
        months,
    })
}
