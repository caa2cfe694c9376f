//! Duplicate clients: finding them, merging one into another, and undoing a merge. A merge
//! snapshots both clients and remembers every contact and timeline event it moved, so undo
//! puts everything back as it was.

use std::collections::BTreeSet;

use db::crypto::TenantCipher;
use db::merges::Candidate;
use domain::{ClientStatus, EventType};
use serde::Serialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::clients::{self, ClientInput, ClientOut, redacted};
use crate::{Change, Error, Result, Scope};

/// A name at least this similar (0 to 1) makes a client a likely duplicate.
const SIMILAR_NAME: f32 = 0.6;

/// A likely duplicate of a client.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Duplicate {
    pub client: ClientOut,
    /// Why it looks like the same company: `tax_id`, `email`, `phone`, `name`.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub reasons: Vec<&'static str>,
    /// 0 to 1: how sure.
    pub score: f32,
}

/// Why a candidate looks like the same company, and how sure that is: the surest reason.
fn assess(c: &Candidate) -> (Vec<&'static str>, f32) {
    let mut reasons = Vec::new();
    let mut score: f32 = 0.0;
    for (hit, reason, weight) in [
        (c.same_tax_id, "tax_id", 1.0),
        (c.shared_email, "email", 0.8),
        (c.shared_phone, "phone", 0.7),
        (c.name_similarity >= SIMILAR_NAME, "name", c.name_similarity),
    ] {
        if hit {
            reasons.push(reason);
            score = score.max(weight);
        }
    }
    (reasons, score)
}

/// Likely duplicates of client `id`, surest first: the same tax id, a shared e-mail or phone,
/// or a similar name.
pub async fn duplicates(
    scope: &mut Scope,
    cipher: &TenantCipher,
    id: Uuid,
) -> Result<Vec<Duplicate>> {
    let me = clients::get(scope, cipher, id).await?.value;
    let name = domain::normalize_for_search(&me.company_name);
    let found = db::merges::candidates(&mut scope.tx, id, &name).await?;
    let mut out = Vec::with_capacity(found.len());
    for c in found {
        let (reasons, score) = assess(&c);
        let client = clients::get(scope, cipher, c.id).await?.value;
        out.push(Duplicate {
            client,
            reasons,
            score,
        });
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score));
    Ok(out)
}

fn union(a: &[String], b: &[String]) -> Vec<String> {
    a.iter()
        .chain(b)
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// What the survivor becomes: its own values first, the other's where it has none, lists
/// joined; a lead merged with a client is a client.
fn merged_input(keep: &ClientOut, other: &ClientOut) -> Result<ClientInput> {
    let mut custom: Map<String, Value> =
        other.custom_fields.as_object().cloned().unwrap_or_default();
    custom.extend(keep.custom_fields.as_object().cloned().unwrap_or_default());
    let becomes_client = keep.client_status()? == ClientStatus::Lead
        && other.client_status()? == ClientStatus::Client;
    let mine = keep.tax_id.is_none();
    Ok(ClientInput {
        tax_id: mine.then(|| other.tax_id.clone()),
        tax_id_country: mine.then(|| other.tax_id_country.clone()).flatten(),
        emails: Some(union(&keep.emails, &other.emails)),
        phones: Some(union(&keep.phones, &other.phones)),
        sector: keep.sector.is_none().then(|| other.sector.clone()),
        website: keep.website.is_none().then(|| other.website.clone()),
        owner_id: keep.owner_id.is_none().then_some(other.owner_id),
        source: keep.source.is_none().then(|| other.source.clone()),
        tags: Some(union(&keep.tags, &other.tags)),
        custom_fields: Some(custom),
        status: becomes_client.then(|| ClientStatus::Client.as_str().to_owned()),
        ..ClientInput::default()
    })
}

/// A client's row exactly as stored, for the merge record.
async fn snapshot(scope: &mut Scope, id: Uuid) -> Result<Value> {
    db::merges::snapshot(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)
}

/// Merges client `other_id` into client `id`: the survivor takes the other's values where it
/// has none, its contacts, timeline and every linked record move over, and the other client
/// is retired. Returns the merge's id, which [`undo`] takes. An `other_id` that is this client
/// or no client of the tenant is invalid input.
pub async fn merge(
    scope: &mut Scope,
    cipher: &TenantCipher,
    id: Uuid,
    other_id: Uuid,
) -> Result<Uuid> {
    if id == other_id {
        return Err(Error::field(
            "/other_id",
            "a client cannot be merged into itself",
        ));
    }
    let keep = clients::get(scope, cipher, id).await?.value;
    let other = match clients::get(scope, cipher, other_id).await {
        Err(Error::NotFound) => return Err(Error::field("/other_id", "no such client")),
        found => found?.value,
    };
    let survivor_before = snapshot(scope, id).await?;
    let merged_before = snapshot(scope, other_id).await?;
    let data = clients::prepare(
        &mut scope.tx,
        cipher,
        merged_input(&keep, &other)?,
        Some(&keep),
    )
    .await?;
    db::clients::update(&mut scope.tx, id, &data).await?;
    let moved = db::merges::move_children(&mut scope.tx, other_id, id).await?;
    db::merges::retire(&mut scope.tx, other_id, id).await?;
    let merge_id = Uuid::now_v7();
    let merged_by = scope.user_id();
    db::merges::insert(
        &mut scope.tx,
        &db::merges::NewMerge {
            id: merge_id,
            survivor_id: id,
            merged_id: other_id,
            survivor_before: &survivor_before,
            merged_before: &merged_before,
            moved: &moved,
            merged_by,
        },
    )
    .await?;
    record_merge(scope, merge_id, &keep, &other, &moved).await?;
    Ok(merge_id)
}

/// Records a merge on the survivor, with how many records of each kind came over.
async fn record_merge(
    scope: &mut Scope,
    merge_id: Uuid,
    keep: &ClientOut,
    other: &ClientOut,
    moved: &db::merges::Moved,
) -> Result<()> {
    scope
        .record(
            Change::of_client(EventType::ClientMerged, keep.id)
                .before(json!({ "survivor": redacted(keep), "merged": redacted(other) }))
                .after(json!({ "merge_id": merge_id, "merged_id": other.id }))
                .on_timeline(
                    format!(
                        "{} was merged into {}",
                        other.company_name, keep.company_name
                    ),
                    json!({
                        "merge_id": merge_id,
                        "merged_id": other.id,
                        "moved_contacts": moved.contacts.len(),
                        "moved_events": moved.events.len(),
                        "moved_tickets": moved.tickets.len(),
                        "moved_communications": moved.communications.len(),
                        "moved_opportunities": moved.opportunities.len(),
                    }),
                ),
        )
        .await
}

/// Undoes merge `id`: both clients as they were, every moved record back. A merge
/// undone already is a conflict (`already-undone`).
pub async fn undo(scope: &mut Scope, id: Uuid) -> Result<()> {
    let m = db::merges::get_for_update(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    if m.undone_at.is_some() {
        return Err(Error::conflict(
            "already-undone",
            "This merge was already undone.",
        ));
    }
    db::merges::restore_snapshot(&mut scope.tx, m.survivor_id, &m.survivor_before).await?;
    db::merges::restore_snapshot(&mut scope.tx, m.merged_id, &m.merged_before).await?;
    db::merges::move_back(&mut scope.tx, m.merged_id, &m.moved()).await?;
    let by = scope.user_id();
    db::merges::mark_undone(&mut scope.tx, id, by).await?;
    for client in [m.survivor_id, m.merged_id] {
        scope
            .record(
                Change::of_client(EventType::ClientMergeUndone, client)
                    .after(json!({ "merge_id": id }))
                    .on_timeline(
                        "A merge was undone; both clients are back as they were",
                        json!({ "merge_id": id, "survivor_id": m.survivor_id, "merged_id": m.merged_id }),
                    ),
            )
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(tax: bool, email: bool, phone: bool, name: f32) -> Candidate {
        Candidate {
            id: Uuid::nil(),
            same_tax_id: tax,
            shared_email: email,
            shared_phone: phone,
            name_similarity: name,
        }
    }

    #[test]
    fn the_surest_reason_gives_the_score() {
        assert_eq!(
            assess(&candidate(true, false, true, 0.9)),
            (vec!["tax_id", "phone", "name"], 1.0)
        );
        assert_eq!(
            assess(&candidate(false, true, false, 0.2)),
            (vec!["email"], 0.8)
        );
        assert_eq!(
            assess(&candidate(false, false, false, 0.65)),
            (vec!["name"], 0.65)
        );
        assert_eq!(assess(&candidate(false, false, false, 0.5)), (vec![], 0.0));
    }
}
