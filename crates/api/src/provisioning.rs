//! Creating tenants and their first users (used by `crm tenant create`, `crm seed-demo`, tests).

use db::TenantTx;
use db::audit::{Actor, Change};
use domain::{BuiltinRole, Email, TenantSlug, tenant};
use uuid::Uuid;

use crate::auth::password;

/// What a new tenant needs.
#[derive(Debug, Clone)]
pub struct TenantSpec {
    pub slug: String,
    pub name: String,
    pub time_zone: String,
    pub currency: String,
    pub locale: String,
}

impl TenantSpec {
    pub fn new(slug: &str, name: &str) -> Self {
        Self {
            slug: slug.to_owned(),
            name: name.to_owned(),
            time_zone: "Europe/Madrid".to_owned(),
            currency: "EUR".to_owned(),
            locale: "es".to_owned(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("a tenant with slug '{0}' already exists")]
    SlugTaken(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

fn invalid(field: &'static str) -> impl Fn(domain::Invalid) -> ProvisionError {
    move |e| ProvisionError::Invalid { field, reason: e.0 }
}

/// Creates a tenant and its first owner; returns the tenant id.
pub async fn create_tenant(
    pool: &db::PgPool,
    spec: &TenantSpec,
    admin_email: &str,
    admin_password: &str,
) -> Result<Uuid, ProvisionError> {
    let slug = TenantSlug::parse(&spec.slug).map_err(invalid("slug"))?;
    let name = spec.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ProvisionError::Invalid {
            field: "name",
            reason: "must be 1-200 characters".into(),
        });
    }
    let locale = tenant::parse_locale(&spec.locale).map_err(invalid("locale"))?;
    let currency = tenant::parse_currency(&spec.currency).map_err(invalid("currency"))?;
    let time_zone = tenant::parse_time_zone(&spec.time_zone).map_err(invalid("time_zone"))?;
    let id = Uuid::now_v7();
    let mut tx = TenantTx::begin(pool, id)
        .await
        .map_err(anyhow::Error::from)?;
    let inserted = db::tenants::insert(
        &mut tx,
        &db::tenants::NewTenant {
            slug: slug.as_str(),
            name,
            time_zone: &time_zone,
            currency: &currency,
            locale,
        },
    )
    .await;
    match inserted {
        Err(e) if db::constraint_of(&e) == Some("tenants_slug_key") => {
            return Err(ProvisionError::SlugTaken(slug.as_str().to_owned()));
        }
        other => other.map_err(anyhow::Error::from)?,
    };
    add_user(
        &mut tx,
        admin_email,
        "Owner",
        admin_password,
        &[BuiltinRole::Owner.name()],
    )
    .await?;
    db::audit::record(
        &mut tx,
        &Actor::system(),
        Change {
            action: "tenant.created",
            target_type: "tenant",
            target_id: Some(id.to_string()),
            before: None,
            after: Some(serde_json::json!({ "slug": slug.as_str(), "name": name })),
        },
    )
    .await
    .map_err(anyhow::Error::from)?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(id)
}

/// Adds an active user with a password and roles, audited as a system action.
pub async fn add_user(
    tx: &mut TenantTx,
    email: &str,
    display_name: &str,
    password: &str,
    roles: &[&str],
) -> Result<Uuid, ProvisionError> {
    let email = Email::parse(email).map_err(invalid("admin_email"))?;
    let owner = password::Owner::in_tenant(tx, email.as_str(), display_name)
        .await
        .map_err(anyhow::Error::from)?;
    password::check_policy(password, &owner)
        .await
        .map_err(|reason| ProvisionError::Invalid {
            field: "admin_password",
            reason,
        })?;
    let hash = password::hash(password.to_owned()).await?;
    let id = Uuid::now_v7();
    db::users::insert(
        tx,
        &db::users::NewUser {
            id,
            email: email.as_str(),
            display_name,
            password_hash: Some(&hash),
            status: "active",
            invite_hash: None,
        },
    )
    .await
    .map_err(anyhow::Error::from)?;
    let roles: Vec<String> = roles.iter().map(|r| (*r).to_owned()).collect();
    db::users::set_roles(tx, id, &roles)
        .await
        .map_err(anyhow::Error::from)?;
    db::audit::record(
        tx,
        &Actor::system(),
        Change {
            action: "user.created",
            target_type: "user",
            target_id: Some(id.to_string()),
            before: None,
            after: Some(serde_json::json!({ "email": email.as_str(), "roles": roles })),
        },
    )
    .await
    .map_err(anyhow::Error::from)?;
    Ok(id)
}

/// The demo tenant's users: one per built-in role, with documented local-only passwords.
pub fn demo_users() -> Vec<(String, String, &'static str)> {
    BuiltinRole::ALL
        .iter()
        .map(|r| {
            (
                format!("{}@demo.example", r.name()),
                format!("{}-lighthouse-tangerine", r.name()),
                r.name(),
            )
        })
        .collect()
}

/// Creates the `demo` tenant with a user per built-in role; false when it already exists.
pub async fn seed_demo(pool: &db::PgPool) -> Result<bool, ProvisionError> {
    if db::tenants::find_by_slug(pool, "demo")
        .await
        .map_err(anyhow::Error::from)?
        .is_some()
    {
        return Ok(false);
    }
    let users = demo_users();
    let (owner_email, owner_password, _) = &users[0];
    let spec = TenantSpec::new("demo", "Demo Company S.L.");
    let id = match create_tenant(pool, &spec, owner_email, owner_password).await {
        Err(ProvisionError::SlugTaken(_)) => return Ok(false),
        other => other?,
    };
    let mut tx = TenantTx::begin(pool, id)
        .await
        .map_err(anyhow::Error::from)?;
    for (email, password, role) in &users[1..] {
        let name = format!("Demo {role}");
        add_user(&mut tx, email, &name, password, &[role]).await?;
    }
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(true)
}
