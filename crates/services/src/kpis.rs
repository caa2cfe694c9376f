//! KPIs of the clients module, for the dashboard and the live stream: counts, activity and lead
//! conversion, from one snapshot of committed data.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::{Error, InvalidField, Result, Scope, query};

/// A client is active with any timeline event in this many days, unless asked otherwise.
pub const DEFAULT_ACTIVE_DAYS: u32 = 90;
/// The longest activity window asked for.
pub const MAX_ACTIVE_DAYS: u32 = 3650;
/// The conversion period's length, unless both bounds are given.
const DEFAULT_PERIOD_DAYS: i64 = 30;

/// The validated parameters of a KPI computation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KpiParams {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub active_days: u32,
}

impl KpiParams {
    /// The defaults: the last 30 days up to `now`, activity over 90 days.
    pub fn defaults(now: DateTime<Utc>) -> Self {
        Self {
            from: now - Duration::days(DEFAULT_PERIOD_DAYS),
            to: now,
            active_days: DEFAULT_ACTIVE_DAYS,
        }
    }

    /// From the `from`, `to` and `active_days` parameters as given: a missing bound comes from
    /// the other (or `now`) and the default length; the period must end after it starts. Each
    /// bad parameter is named.
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        active_days: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        let mut problems = Vec::new();
        let active_days = match active_days.map(str::parse::<u32>) {
            None => DEFAULT_ACTIVE_DAYS,
            Some(Ok(n)) if (1..=MAX_ACTIVE_DAYS).contains(&n) => n,
            Some(_) => {
                problems.push(InvalidField::query(
                    "active_days",
                    "must be a whole number from 1 to 3650",
                ));
                DEFAULT_ACTIVE_DAYS
            }
        };
        let given_to = to.is_some();
        let from = query::time("from", from, &mut problems);
        let to = query::time("to", to, &mut problems).unwrap_or(now);
        let from = from.unwrap_or(to - Duration::days(DEFAULT_PERIOD_DAYS));
        if problems.is_empty() && from >= to {
            let name = if given_to { "to" } else { "from" };
            problems.push(InvalidField::query(
                name,
                "the period must end after it starts",
            ));
        }
        Error::check(problems)?;
        Ok(Self {
            from,
            to,
            active_days,
        })
    }
}

/// The conversion period and the two counts its rate is made of.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KpiPeriod {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Clients whose `converted_at` falls in the period.
    pub converted: i64,
    /// Clients created in the period that are still leads.
    pub still_leads: i64,
}

/// The clients module's KPIs. Deleted (and merged-away) clients are never counted.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientKpis {
    /// Every client, whatever its status.
    pub total: i64,
    pub leads: i64,
    pub clients: i64,
    /// Clients with any timeline event in the last `active_days` days.
    pub active: i64,
    /// Always 0 until the proposals module exists.
    pub pending_proposals: i64,
    /// Created since the start of the current month in the tenant's time zone.
    pub new_this_month: i64,
    /// `converted / (converted + still_leads)` of `period`, from 0 to 1; null when both are 0.
    pub conversion_rate: Option<f64>,
    pub period: KpiPeriod,
    pub active_days: u32,
}

/// Leads converted in the period over themselves plus the period's leads still open.
fn conversion_rate(converted: i64, still_leads: i64) -> Option<f64> {
    let considered = converted + still_leads;
    (considered > 0).then(|| converted as f64 / considered as f64)
}

/// The client KPIs, computed in one statement so they come from one snapshot.
pub async fn client_kpis(scope: &mut Scope, p: &KpiParams) -> Result<ClientKpis> {
    let active_days = i32::try_from(p.active_days).unwrap_or(i32::MAX);
    let c = db::kpis::client_counts(&mut scope.tx, p.from, p.to, active_days).await?;
    Ok(ClientKpis {
        total: c.total,
        leads: c.leads,
        clients: c.clients,
        active: c.active,
        pending_proposals: 0,
        new_this_month: c.new_this_month,
        conversion_rate: conversion_rate(c.converted, c.still_leads),
        period: KpiPeriod {
            from: p.from,
            to: p.to,
            converted: c.converted,
            still_leads: c.still_leads,
        },
        active_days: p.active_days,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-15T12:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn parameters(e: Error) -> Vec<String> {
        match e {
            Error::Invalid(fields) => fields.into_iter().filter_map(|f| f.parameter).collect(),
            other => vec![other.to_string()],
        }
    }

    #[test]
    fn defaults_are_the_last_30_days_and_90_days_of_activity() {
        let p = KpiParams::parse(None, None, None, now()).ok();
        assert_eq!(p, Some(KpiParams::defaults(now())));
        let p = KpiParams::defaults(now());
        assert_eq!(p.to - p.from, Duration::days(30));
        assert_eq!(p.active_days, 90);
    }

    #[test]
    fn a_lone_bound_takes_the_other_from_the_default_length() {
        let p = KpiParams::parse(None, Some("2026-02-01T00:00:00Z"), None, now())
            .map(|p| (p.from.to_rfc3339(), p.to.to_rfc3339()))
            .ok();
        assert_eq!(
            p,
            Some((
                "2026-01-02T00:00:00+00:00".to_owned(),
                "2026-02-01T00:00:00+00:00".to_owned()
            ))
        );
        let p = KpiParams::parse(Some("2026-03-01T00:00:00+01:00"), None, None, now())
            .map(|p| (p.from.to_rfc3339(), p.to))
            .ok();
        assert_eq!(p, Some(("2026-02-28T23:00:00+00:00".to_owned(), now())));
    }

    #[test]
    fn bad_parameters_are_named() {
        let march = Some("2026-03-01T00:00:00Z");
        for ((from, to, days), name) in [
            ((None, None, Some("0")), "active_days"),
            ((None, None, Some("3651")), "active_days"),
            ((None, None, Some("-1")), "active_days"),
            ((None, None, Some("ninety")), "active_days"),
            ((Some("yesterday"), None, None), "from"),
            ((None, Some("2026-13-01T00:00:00Z"), None), "to"),
            ((march, march, None), "to"),
            ((Some("2026-04-01T00:00:00Z"), None, None), "from"),
        ] {
            let err = KpiParams::parse(from, to, days, now())
                .err()
                .map(parameters);
            assert_eq!(err, Some(vec![name.to_owned()]), "{from:?} {to:?} {days:?}");
        }
        assert!(KpiParams::parse(None, None, Some("3650"), now()).is_ok());
        assert!(KpiParams::parse(None, None, Some("1"), now()).is_ok());
    }

    #[test]
    fn the_conversion_rate_is_converted_over_converted_plus_open_leads() {
        assert_eq!(conversion_rate(0, 0), None);
        assert_eq!(conversion_rate(0, 4), Some(0.0));
        assert_eq!(conversion_rate(2, 1), Some(2.0 / 3.0));
        assert_eq!(conversion_rate(3, 0), Some(1.0));
    }
}
