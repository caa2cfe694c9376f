//! The proposal pass of one tenant (`Job::SweepProposals`, every few minutes): sent proposals
//! past their validity (in the tenant's date) expire with a timeline event, and the owner of a
//! proposal whose last valid day comes within [`REMIND_DAYS`] is mailed once. Each is done at
//! most once, with any number of workers and across restarts: the rows are locked and their
//! state checked in the pass's transaction.

use chrono::{DateTime, Duration, Utc};
use db::crypto::TenantCipher;
use domain::EventType;
use serde_json::json;

use super::draft::tenant_day;
use super::flows::described;
use crate::platform_mail::{MailKind, proposal_expiring, queue, tenant_voice};
use crate::{Change, Result, Scope};

/// Days before the last valid day the owner is reminded.
pub const REMIND_DAYS: i64 = 3;
/// Most proposals one pass expires or reminds about in a tenant (the rest next pass).
const MOST_PER_PASS: i64 = 1_000;

/// What one pass did in one tenant.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepCounts {
    pub expired: u64,
    pub reminded: u64,
}

impl std::ops::AddAssign for SweepCounts {
    fn add_assign(&mut self, o: Self) {
        self.expired += o.expired;
        self.reminded += o.reminded;
    }
}

/// Expires and reminds in the scope's tenant; `console_base` makes the reminder's link.
pub async fn sweep(
    scope: &mut Scope,
    cipher: &TenantCipher,
    console_base: Option<&str>,
    now: DateTime<Utc>,
) -> Result<SweepCounts> {
    let mut counts = SweepCounts::default();
    let today = tenant_day(scope).await?.today;
    for id in db::proposals::past_validity(&mut scope.tx, today, MOST_PER_PASS).await? {
        if super::decisions::expire(scope, id, now).await? {
            counts.expired += 1;
        }
    }
    let soon = today + Duration::days(REMIND_DAYS);
    let due = db::proposals::to_remind(&mut scope.tx, soon, MOST_PER_PASS).await?;
    if due.is_empty() {
        return Ok(counts);
    }
    let (_, locale) = tenant_voice(scope).await?;
    for row in due {
        if !db::proposals::mark_reminded(&mut scope.tx, row.id, now).await? {
            continue;
        }
        counts.reminded += 1;
        let owner = match row.owner_id {
            Some(id) => db::users::get(&mut scope.tx, id).await?,
            None => None,
        };
        let client = db::clients::get(&mut scope.tx, row.client_id, true).await?;
        if let (Some(owner), Some(client)) = (owner.filter(|u| u.status == "active"), client) {
            let link =
                console_base.map(|b| format!("{}/proposals/{}", b.trim_end_matches('/'), row.id));
            let letter = proposal_expiring(
                locale,
                &owner.display_name,
                &row.title,
                &client.company_name,
                &locale.long_date(row.valid_until),
                link.as_deref(),
            );
            queue(
                scope,
                cipher,
                MailKind::ProposalExpiring,
                &owner.email,
                &letter,
            )
            .await?;
        }
        scope
            .record(
                Change::of(EventType::ProposalExpiring, "proposal", row.id)
                    .after(json!({ "valid_until": row.valid_until, "owner_id": row.owner_id }))
                    .on_timeline_of(
                        row.client_id,
                        format!(
                            "Proposal expires soon without an answer: {} (valid until {})",
                            described(&row),
                            row.valid_until
                        ),
                        json!({ "proposal_id": row.id, "valid_until": row.valid_until }),
                    ),
            )
            .await?;
    }
    Ok(counts)
}
