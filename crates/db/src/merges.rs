//! Merging duplicate clients, and undoing a merge: both rows are snapshotted, and the rows that
//! moved are remembered, so undo puts everything back.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::TenantTx;

/// Likely duplicates of a client: same tax id, a shared e-mail or phone, or a similar name.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: Uuid,
    pub same_tax_id: bool,
    pub shared_email: bool,
    pub shared_phone: bool,
    pub name_similarity: f32,
}

/// The likely duplicates of client `id` (whose normalised name is `name_norm`), likeliest
/// first, at most 20. Similar names come from the SQL function `client_similar_ids`
/// (`20261125000007_search_vocabulary.sql`), which reaches the trigram index the row policy
/// would keep out of reach.
#[tracing::instrument(skip(tx))]
pub async fn candidates(
    tx: &mut TenantTx,
    id: Uuid,
    name_norm: &str,
) -> Result<Vec<Candidate>, sqlx::Error> {
    sqlx::query_as!(
        Candidate,
        r#"WITH me AS (SELECT tax_id_hash, emails, phones FROM clients WHERE id = $1)
           SELECT c.id,
                  coalesce(c.tax_id_hash = me.tax_id_hash, false) AS "same_tax_id!",
                  (c.emails && me.emails) AS "shared_email!",
                  (c.phones && me.phones) AS "shared_phone!",
                  word_similarity($2, c.search_text) AS "name_similarity!"
             FROM clients c, me
            WHERE c.id <> $1 AND c.deleted_at IS NULL
              AND ((c.tax_id_hash IS NOT NULL AND c.tax_id_hash = me.tax_id_hash)
                   OR c.emails && me.emails
                   OR c.phones && me.phones
                   OR c.id = ANY(ARRAY(SELECT client_similar_ids($2))))
            ORDER BY 2 DESC, 3 DESC, 4 DESC, 5 DESC
            LIMIT 20"#,
        id,
        name_norm
    )
    .fetch_all(tx.conn())
    .await
}

/// A client row as JSON, exactly as stored (for the merge record).
#[tracing::instrument(skip(tx))]
pub async fn snapshot(tx: &mut TenantTx, id: Uuid) -> Result<Option<Value>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT to_jsonb(c) AS "row!" FROM clients c WHERE id = $1"#,
        id
    )
    .fetch_optional(tx.conn())
    .await
}

/// Puts a client row back as a snapshot had it. The triggers on `clients` follow, as for
/// `clients::update`: counters, `client_emails` and the search vocabulary
/// (`20261130000009_client_counts_at_commit.sql`, `20261130000010_client_emails.sql`,
/// `20261125000007_search_vocabulary.sql`).
#[tracing::instrument(skip(tx, snapshot))]
pub async fn restore_snapshot(
    tx: &mut TenantTx,
    id: Uuid,
    snapshot: &Value,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE clients c SET
            company_name = s.company_name, tax_id_cipher = s.tax_id_cipher, tax_id_hash = s.tax_id_hash,
            tax_id_country = s.tax_id_country, emails = s.emails, phones = s.phones, sector = s.sector,
            address = s.address, website = s.website, status = s.status, owner_id = s.owner_id,
            source = s.source, tags = s.tags, custom_fields = s.custom_fields, search_text = s.search_text,
            converted_at = s.converted_at, converted_by = s.converted_by, last_contact_at = s.last_contact_at,
            deleted_at = s.deleted_at, merged_into = s.merged_into,
            version = c.version + 1, updated_at = now()
           FROM jsonb_populate_record(NULL::clients, $2) s
          WHERE c.id = $1",
        id,
        snapshot
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// What a merge moved from the absorbed client to the survivor, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Moved {
    pub contacts: Vec<Uuid>,
    pub events: Vec<Uuid>,
    pub tickets: Vec<Uuid>,
    pub communications: Vec<Uuid>,
    pub opportunities: Vec<Uuid>,
}

/// Moves a client's contacts, timeline, tickets, communications and opportunities to another
/// client; returns the moved ids.
#[tracing::instrument(skip(tx))]
pub async fn move_children(tx: &mut TenantTx, from: Uuid, to: Uuid) -> Result<Moved, sqlx::Error> {
    let contacts = sqlx::query_scalar!(
        "UPDATE contacts SET client_id = $2 WHERE client_id = $1 RETURNING id",
        from,
        to
    )
    .fetch_all(tx.conn())
    .await?;
    let events = sqlx::query_scalar!(
        "UPDATE timeline_events SET client_id = $2 WHERE client_id = $1 RETURNING id",
        from,
        to
    )
    .fetch_all(tx.conn())
    .await?;
    let tickets = sqlx::query_scalar!(
        "UPDATE tickets SET client_id = $2 WHERE client_id = $1 RETURNING id",
        from,
        to
    )
    .fetch_all(tx.conn())
    .await?;
    let communications = sqlx::query_scalar!(
        "UPDATE communications SET client_id = $2 WHERE client_id = $1 RETURNING id",
        from,
        to
    )
    .fetch_all(tx.conn())
    .await?;
    let opportunities = sqlx::query_scalar!(
        "UPDATE opportunities SET client_id = $2 WHERE client_id = $1 RETURNING id",
        from,
        to
    )
    .fetch_all(tx.conn())
    .await?;
    // The survivor now holds both histories, so its last contact is the later of the two.
    sqlx::query!(
        "UPDATE clients c SET last_contact_at = f.last_contact_at
           FROM clients f
          WHERE c.id = $2 AND f.id = $1 AND f.last_contact_at IS NOT NULL
            AND (c.last_contact_at IS NULL OR c.last_contact_at < f.last_contact_at)",
        from,
        to
    )
    .execute(tx.conn())
    .await?;
    Ok(Moved {
        contacts,
        events,
        tickets,
        communications,
        opportunities,
    })
}

/// Moves what a merge moved back to its client (undo).
#[tracing::instrument(skip(tx, moved))]
pub async fn move_back(tx: &mut TenantTx, to: Uuid, moved: &Moved) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE contacts SET client_id = $1 WHERE id = ANY($2)",
        to,
        &moved.contacts
    )
    .execute(tx.conn())
    .await?;
    sqlx::query!(
        "UPDATE timeline_events SET client_id = $1 WHERE id = ANY($2)",
        to,
        &moved.events
    )
    .execute(tx.conn())
    .await?;
    sqlx::query!(
        "UPDATE tickets SET client_id = $1 WHERE id = ANY($2)",
        to,
        &moved.tickets
    )
    .execute(tx.conn())
    .await?;
    sqlx::query!(
        "UPDATE communications SET client_id = $1 WHERE id = ANY($2)",
        to,
        &moved.communications
    )
    .execute(tx.conn())
    .await?;
    sqlx::query!(
        "UPDATE opportunities SET client_id = $1 WHERE id = ANY($2)",
        to,
        &moved.opportunities
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Marks the absorbed client as merged (soft-deleted, pointing at the survivor). As for
/// `clients::set_deleted`, the triggers on `clients` take it out of the counters, of
/// `client_emails` and (through the prune job) of the search vocabulary.
#[tracing::instrument(skip(tx))]
pub async fn retire(tx: &mut TenantTx, merged: Uuid, survivor: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE clients SET deleted_at = now(), merged_into = $2, version = version + 1, updated_at = now()
          WHERE id = $1",
        merged,
        survivor
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub struct NewMerge<'a> {
    pub id: Uuid,
    pub survivor_id: Uuid,
    pub merged_id: Uuid,
    pub survivor_before: &'a Value,
    pub merged_before: &'a Value,
    pub moved: &'a Moved,
    pub merged_by: Option<Uuid>,
}

/// Records a merge, with what undoing it needs.
#[tracing::instrument(skip_all)]
pub async fn insert(tx: &mut TenantTx, m: &NewMerge<'_>) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query!(
        "INSERT INTO client_merges (tenant_id, id, survivor_id, merged_id, survivor_before, merged_before,
                                    moved_contacts, moved_events, moved_tickets,
                                    moved_communications, moved_opportunities, merged_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        tenant,
        m.id,
        m.survivor_id,
        m.merged_id,
        m.survivor_before,
        m.merged_before,
        &m.moved.contacts,
        &m.moved.events,
        &m.moved.tickets,
        &m.moved.communications,
        &m.moved.opportunities,
        m.merged_by
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[derive(Debug)]
pub struct Merge {
    pub id: Uuid,
    pub survivor_id: Uuid,
    pub merged_id: Uuid,
    pub survivor_before: Value,
    pub merged_before: Value,
    pub moved_contacts: Vec<Uuid>,
    pub moved_events: Vec<Uuid>,
    pub moved_tickets: Vec<Uuid>,
    pub moved_communications: Vec<Uuid>,
    pub moved_opportunities: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub undone_at: Option<DateTime<Utc>>,
}

/// A merge, locked for the undo that reads it.
#[tracing::instrument(skip(tx))]
pub async fn get_for_update(tx: &mut TenantTx, id: Uuid) -> Result<Option<Merge>, sqlx::Error> {
    sqlx::query_as!(
        Merge,
        "SELECT id, survivor_id, merged_id, survivor_before, merged_before, moved_contacts, moved_events,
                moved_tickets, moved_communications, moved_opportunities, created_at, undone_at
           FROM client_merges WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(tx.conn())
    .await
}

/// Records that a merge was undone, and by whom.
#[tracing::instrument(skip(tx))]
pub async fn mark_undone(tx: &mut TenantTx, id: Uuid, by: Option<Uuid>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE client_merges SET undone_at = now(), undone_by = $2 WHERE id = $1",
        id,
        by
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

impl Merge {
    /// What the merge moved, to move back.
    pub fn moved(&self) -> Moved {
        Moved {
            contacts: self.moved_contacts.clone(),
            events: self.moved_events.clone(),
            tickets: self.moved_tickets.clone(),
            communications: self.moved_communications.clone(),
            opportunities: self.moved_opportunities.clone(),
        }
    }
}
