//! API keys for machine clients: scoped to one role, stored as the digest of their secret,
//! revocable. The secret's format is the API's (it authenticates with it): it hands the key's
//! id and the digest in.

use chrono::{DateTime, Utc};
use domain::EventType;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::{Change, Error, InvalidField, Page, PageRequest, Result, Scope, access, roles, text};

/// A key as the API shows it (never its secret).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyOut {
    pub id: Uuid,
    pub name: String,
    pub role: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<db::api_keys::ApiKey> for ApiKeyOut {
    fn from(k: db::api_keys::ApiKey) -> Self {
        Self {
            id: k.id,
            name: k.name,
            role: k.role_name,
            created_by: k.created_by,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
        }
    }
}

/// The key as recorded in the audit trail.
fn snapshot(k: &ApiKeyOut) -> Value {
    serde_json::to_value(k).unwrap_or_default()
}

/// One page of the tenant's keys, revoked ones included, by id.
pub async fn list(scope: &mut Scope, page: PageRequest<Uuid>) -> Result<Page<ApiKeyOut>> {
    let rows = db::api_keys::list(&mut scope.tx, page.after, page.fetch_limit()).await?;
    Page::from_rows(rows, page.limit, |k| k.id, |k| Ok(k.into()))
}

/// One key, revoked or not.
pub async fn get(scope: &mut Scope, id: Uuid) -> Result<ApiKeyOut> {
    let key = db::api_keys::get(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(key.into())
}

/// A key to create: its name and role as given, with the id and secret digest its secret
/// was made of.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub id: Uuid,
    pub name: String,
    pub role: String,
    pub secret_digest: Vec<u8>,
}

/// Creates a key with a role whose permissions the caller holds, made by the acting user.
pub async fn create(scope: &mut Scope, input: NewKey) -> Result<ApiKeyOut> {
    let mut problems = Vec::new();
    let name = text::required("/name", &input.name, 100, &mut problems);
    let mut unknown = Vec::new();
    let role = roles::existing(
        &mut scope.tx,
        "/role",
        std::slice::from_ref(&input.role),
        &mut unknown,
    )
    .await?;
    let role = match role.and_then(|mut r| r.pop()) {
        Some(role) => role,
        None => {
            problems.push(InvalidField::at(
                "/role",
                format!("no role named '{}'", input.role),
            ));
            String::new()
        }
    };
    Error::check(problems)?;
    access::require_roles(scope, std::slice::from_ref(&role), "give a key this role").await?;
    let created_by = scope.user_id();
    let key: ApiKeyOut = db::api_keys::insert(
        &mut scope.tx,
        input.id,
        &name,
        &role,
        &input.secret_digest,
        created_by,
    )
    .await?
    .into();
    scope
        .record(Change::of(EventType::ApiKeyCreated, "api_key", key.id).after(snapshot(&key)))
        .await?;
    Ok(key)
}

/// Revokes a key whose role's permissions the caller holds; it stops working at once. A
/// revoked key stays revoked, and nothing is recorded again.
pub async fn revoke(scope: &mut Scope, id: Uuid) -> Result<()> {
    let before = db::api_keys::get(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    access::require_roles(
        scope,
        std::slice::from_ref(&before.role_name),
        "revoke this key",
    )
    .await?;
    if before.revoked_at.is_some() {
        return Ok(());
    }
    let after = db::api_keys::revoke(&mut scope.tx, id).await?;
    let mut change = Change::of(EventType::ApiKeyRevoked, "api_key", id)
        .before(snapshot(&ApiKeyOut::from(before)));
    if let Some(after) = after {
        change = change.after(snapshot(&ApiKeyOut::from(after)));
    }
    scope.record(change).await?;
    Ok(())
}
