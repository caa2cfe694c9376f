//! The ticket queue: filters from the caller's query (status, priority, assignee, client,
//! category, team; the caller's own, the breached and the at-risk tickets), newest first or
//! by the nearest due time, in keyset pages of the one cursor format. Each ticket comes with
//! its SLA as it stands when the page is read.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use db::tickets::{Filter, Sort, TicketRow};
use domain::tickets::{Priority, TicketStatus};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::flows::now;
use super::output::{TicketOut, ticket_out};
use super::sla::{AT_RISK_PROBABILITY, pauses, policies};
use crate::{Error, InvalidField, Page, PageRequest, Result, Scope, query};

/// The orders of the list, by name; the first is the default.
pub(super) const SORTS: [(&str, Sort); 2] = [("newest", Sort::Newest), ("due", Sort::Due)];

/// The list's query as a caller gives it: text, as in a query string. [`TicketQuery::parse`]
/// checks it. Filters add up (a ticket must match all of them).
#[derive(Debug, Default, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct TicketQuery {
    #[cfg_attr(feature = "openapi", param(schema_with = super::schema::status_param))]
    pub status: Option<String>,
    /// `true` keeps only open tickets: new, open, pending customer and on hold.
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::flag))]
    pub open: Option<String>,
    #[cfg_attr(feature = "openapi", param(schema_with = super::schema::priority_param))]
    pub priority: Option<String>,
    /// The user the tickets are assigned to.
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::uuid))]
    pub assignee_id: Option<String>,
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::uuid))]
    pub client_id: Option<String>,
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::uuid))]
    pub category_id: Option<String>,
    #[cfg_attr(feature = "openapi", param(schema_with = super::schema::team_param))]
    pub team: Option<String>,
    /// `true` keeps only the tickets assigned to the caller (none for an API key).
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::flag))]
    pub mine: Option<String>,
    /// `true` keeps only open tickets with a target overdue now.
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::flag))]
    pub breached: Option<String>,
    /// `true` keeps only open tickets not overdue but at risk now: a target past its category's
    /// warning share, or a predicted breach risk of at least 0.5.
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::flag))]
    pub at_risk: Option<String>,
    /// `newest` (the default) or `due` (the nearest due time first; tickets without one last).
    #[cfg_attr(feature = "openapi", param(schema_with = super::schema::sort_param))]
    pub sort: Option<String>,
    /// Items per page (default 25).
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::limit))]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Which tickets the list keeps, and in which order: the query's filters, checked.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub status: Option<TicketStatus>,
    pub open_only: bool,
    pub priority: Option<Priority>,
    pub assignee_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    pub category_id: Option<Uuid>,
    /// Trimmed.
    pub team: Option<String>,
    /// Only the caller's tickets.
    pub mine: bool,
    pub breached: bool,
    pub at_risk: bool,
    pub sort: Sort,
}

/// The sort key of a ticket in the list, which a cursor holds: its id and, in due order, its
/// due time (none: after every due time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketKey {
    pub id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<DateTime<Utc>>,
}

impl TicketQuery {
    /// The filter and the page asked for; each bad parameter is one problem of the
    /// [`Error::Invalid`] this fails with.
    pub fn parse(&self) -> Result<(TicketFilter, PageRequest<TicketKey>)> {
        let mut problems = Vec::new();
        let filter = self.filter(&mut problems);
        let page = PageRequest::parse(self.limit.as_deref(), self.cursor.as_deref(), &mut problems);
        Error::check(problems)?;
        Ok((filter, page))
    }

    fn filter(&self, problems: &mut Vec<InvalidField>) -> TicketFilter {
        let flag = |name: &str, raw: &Option<String>, p: &mut Vec<InvalidField>| {
            query::flag(name, raw.as_deref(), p).unwrap_or(false)
        };
        TicketFilter {
            status: self.status.as_deref().and_then(|s| {
                TicketStatus::parse(s)
                    .map_err(|e| problems.push(InvalidField::query("status", e.0)))
                    .ok()
            }),
            open_only: flag("open", &self.open, problems),
            priority: self.priority.as_deref().and_then(|s| {
                Priority::parse(s)
                    .map_err(|e| problems.push(InvalidField::query("priority", e.0)))
                    .ok()
            }),
            assignee_id: query::uuid("assignee_id", self.assignee_id.as_deref(), problems),
            client_id: query::uuid("client_id", self.client_id.as_deref(), problems),
            category_id: query::uuid("category_id", self.category_id.as_deref(), problems),
            team: self.team(problems),
            mine: flag("mine", &self.mine, problems),
            breached: flag("breached", &self.breached, problems),
            at_risk: flag("at_risk", &self.at_risk, problems),
            sort: self.sort(problems),
        }
    }

    fn team(&self, problems: &mut Vec<InvalidField>) -> Option<String> {
        let team = self.team.as_deref()?.trim();
        if team.is_empty() || team.chars().count() > super::input::TEAM_CHARS {
            problems.push(InvalidField::query("team", "must be 1-100 characters"));
            return None;
        }
        Some(team.to_owned())
    }

    fn sort(&self, problems: &mut Vec<InvalidField>) -> Sort {
        let Some(raw) = self.sort.as_deref() else {
            return SORTS[0].1;
        };
        match SORTS.iter().find(|(name, _)| *name == raw) {
            Some((_, sort)) => *sort,
            None => {
                problems.push(InvalidField::query("sort", "must be newest or due"));
                SORTS[0].1
            }
        }
    }
}

impl TicketFilter {
    /// The repository's filter for one page read at `now` by `user` (None: not a user).
    fn for_page(
        &self,
        page: &PageRequest<TicketKey>,
        user: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Filter {
        let mut assignee_id = self.assignee_id;
        let mut matches_nothing = false;
        if self.mine {
            match user {
                Some(me) if assignee_id.is_none_or(|a| a == me) => assignee_id = Some(me),
                _ => matches_nothing = true,
            }
        }
        Filter {
            status: self.status.map(|s| s.as_str().to_owned()),
            open_only: self.open_only,
            priority: self.priority.map(|p| p.as_str().to_owned()),
            assignee_id,
            client_id: self.client_id,
            category_id: self.category_id,
            team: self.team.clone(),
            breached_at: self.breached.then_some(now),
            at_risk_at: self.at_risk.then_some(now),
            risk_from: AT_RISK_PROBABILITY,
            matches_nothing,
            sort: self.sort,
            after: page.after.as_ref().map(|k| (k.id, k.due)),
            limit: page.fetch_limit(),
        }
    }

    /// The sort key of a ticket in this filter's order.
    fn key(&self, row: &TicketRow) -> TicketKey {
        TicketKey {
            id: row.id,
            due: (self.sort == Sort::Due)
                .then_some(row.next_due_at)
                .flatten(),
        }
    }
}

/// One page of the tickets `filter` keeps, in its order, each with its SLA now.
pub async fn list(
    scope: &mut Scope,
    filter: &TicketFilter,
    page: &PageRequest<TicketKey>,
) -> Result<Page<TicketOut>> {
    let now = now();
    let user = scope.user_id();
    let rows = db::tickets::list(&mut scope.tx, &filter.for_page(page, user, now)).await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let categories: BTreeSet<Uuid> = rows.iter().filter_map(|r| r.category_id).collect();
    let categories: Vec<Uuid> = categories.into_iter().collect();
    let pauses = pauses(scope, &ids).await?;
    let policies = policies(scope, &categories).await?;
    Page::from_rows(
        rows,
        page.limit,
        |row| filter.key(row),
        |row| {
            let own = pauses.get(&row.id).map(Vec::as_slice).unwrap_or_default();
            let policy = row.category_id.and_then(|c| policies.get(&c));
            ticket_out(row, own, policy, now).map(|v| v.value)
        },
    )
}

/// One page of a client's tickets (the filter's own `client_id`, if another, keeps none);
/// [`Error::NotFound`] when there is no such client.
pub async fn list_of_client(
    scope: &mut Scope,
    client_id: Uuid,
    filter: &TicketFilter,
    page: &PageRequest<TicketKey>,
) -> Result<Page<TicketOut>> {
    if db::clients::get(&mut scope.tx, client_id, false)
        .await?
        .is_none()
    {
        return Err(Error::NotFound);
    }
    if filter.client_id.is_some_and(|c| c != client_id) {
        return Ok(Page {
            data: Vec::new(),
            next_cursor: None,
        });
    }
    let filter = TicketFilter {
        client_id: Some(client_id),
        ..filter.clone()
    };
    list(scope, &filter, page).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parameters(problems: &Error) -> Vec<&str> {
        match problems {
            Error::Invalid(fields) => fields
                .iter()
                .filter_map(|f| f.parameter.as_deref())
                .collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_bad_parameter_is_one_problem() {
        let q = TicketQuery {
            status: Some("done".into()),
            open: Some("yes".into()),
            priority: Some("critical".into()),
            assignee_id: Some("me".into()),
            team: Some("  ".into()),
            at_risk: Some("1".into()),
            sort: Some("oldest".into()),
            limit: Some("500".into()),
            ..TicketQuery::default()
        };
        let err = q.parse().expect_err("invalid");
        assert_eq!(
            parameters(&err),
            [
                "status",
                "open",
                "priority",
                "assignee_id",
                "team",
                "at_risk",
                "sort",
                "limit"
            ]
        );
    }

    #[test]
    fn mine_is_the_caller_and_nobody_for_a_key() {
        let me = Uuid::now_v7();
        let filter = TicketFilter {
            mine: true,
            ..TicketFilter::default()
        };
        let page = PageRequest::default();
        let now = Utc::now();
        assert_eq!(filter.for_page(&page, Some(me), now).assignee_id, Some(me));
        assert!(filter.for_page(&page, None, now).matches_nothing);
        let other = TicketFilter {
            assignee_id: Some(Uuid::now_v7()),
            ..filter
        };
        assert!(other.for_page(&page, Some(me), now).matches_nothing);
    }

    #[test]
    fn due_order_keys_hold_the_due_time() {
        let (filter, _) = TicketQuery {
            sort: Some("due".into()),
            ..TicketQuery::default()
        }
        .parse()
        .expect("valid");
        assert_eq!(filter.sort, Sort::Due);
        let key = TicketKey {
            id: Uuid::now_v7(),
            due: Some(Utc::now()),
        };
        assert_eq!(
            crate::page::decode::<TicketKey>(&crate::page::encode(&key)),
            Some(key)
        );
    }
}
