//! Reading the audit log: the tenant's recorded changes, newest first, filtered. (Rows are
//! written only by the change recorder, [`crate::Scope::record`], and never changed.)

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::{Error, Page, PageRequest, Result, Scope, query};

/// Which entries to list, as the caller gave them (the query parameters' text).
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// The user or API key that acted.
    pub actor_id: Option<String>,
    /// `resource.verb`, or a prefix such as `user.*`.
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// Inclusive.
    pub from: Option<String>,
    /// Exclusive.
    pub to: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

/// One entry of the audit log.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEventOut {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

impl From<db::audit::AuditEvent> for AuditEventOut {
    fn from(e: db::audit::AuditEvent) -> Self {
        Self {
            id: e.id,
            occurred_at: e.occurred_at,
            actor_type: e.actor_type,
            actor_id: e.actor_id,
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            before: e.before,
            after: e.after,
            ip: e.ip,
            user_agent: e.user_agent,
            request_id: e.request_id,
        }
    }
}

impl AuditQuery {
    /// The repository's filter and the page size; each bad parameter is named.
    fn filter(&self) -> Result<(db::audit::Filter, u32)> {
        let mut problems = Vec::new();
        let page: PageRequest<Uuid> =
            PageRequest::parse(self.limit.as_deref(), self.cursor.as_deref(), &mut problems);
        let actor_id = query::uuid("actor_id", self.actor_id.as_deref(), &mut problems);
        let from = query::time("from", self.from.as_deref(), &mut problems);
        let to = query::time("to", self.to.as_deref(), &mut problems);
        Error::check(problems)?;
        let filter = db::audit::Filter {
            actor_id,
            action: self.action.clone(),
            target_type: self.target_type.clone(),
            target_id: self.target_id.clone(),
            from,
            to,
            before_id: page.after,
            limit: page.fetch_limit(),
        };
        Ok((filter, page.limit))
    }
}

/// One page of the tenant's audit log, newest first (ids are time-ordered).
pub async fn list(scope: &mut Scope, q: &AuditQuery) -> Result<Page<AuditEventOut>> {
    let (filter, limit) = q.filter()?;
    let rows = db::audit::list(&mut scope.tx, &filter).await?;
    Page::from_rows(rows, limit, |e| e.id, |e| Ok(AuditEventOut::from(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_parameter_is_named_at_once() {
        let q = AuditQuery {
            actor_id: Some("me".into()),
            from: Some("yesterday".into()),
            cursor: Some("zzz".into()),
            ..Default::default()
        };
        let names = match q.filter() {
            Err(Error::Invalid(fields)) => fields.into_iter().filter_map(|f| f.parameter).collect(),
            _ => Vec::new(),
        };
        assert_eq!(names, ["cursor", "actor_id", "from"]);
    }
}
