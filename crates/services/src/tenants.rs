//! Tenants: creating one with its first owner (`crm tenant create`, the tests' harness, the
//! load test's setup), the demo tenant with a user per built-in role (`crm seed-demo`), and
//! suspending and reactivating one. Passwords come judged and hashed by the caller (the API's
//! password rule and argon2id), as for every user ([`crate::users`]). Its administrators
//! change its settings later ([`update_settings`]).

mod settings;

pub use settings::{TenantOut, TenantSettingsInput, settings, update_settings};

use db::audit::Actor;
use db::{PgPool, TenantTx};
use domain::{BuiltinRole, Email, EventType, TenantSlug, tenant};
use serde_json::json;
use uuid::Uuid;

use crate::{Change, Error, InvalidField, Result, Scope};

/// The display name of a new tenant's first owner.
pub const OWNER_NAME: &str = "Owner";
/// The demo tenant's slug.
pub const DEMO_SLUG: &str = "demo";
/// The demo tenant's name.
pub const DEMO_NAME: &str = "Demo Company S.L.";

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
    /// A tenant in Madrid's time zone, in euros and Spanish.
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

/// A password judged by the password rule (the API's `auth::password`, which knows whose it
/// is): the hash to store, or why the rule refused it.
pub type JudgedPassword = std::result::Result<String, String>;

/// A user a tenant's setup creates: active at once, with a password and roles.
#[derive(Debug, Clone)]
pub struct SetupUser {
    pub email: String,
    pub display_name: String,
    pub password: JudgedPassword,
    /// Names of roles of the tenant.
    pub roles: Vec<String>,
}

/// A refused setting, named as the CLI's option is.
fn invalid(field: &str, detail: impl Into<String>) -> Error {
    Error::Invalid(vec![InvalidField::at(&format!("/{field}"), detail)])
}

/// Creates a tenant and its first owner, as the system; returns the tenant's id. The first
/// refused setting is reported; a slug in use is a conflict (`slug-taken`).
pub async fn create(
    pool: &PgPool,
    spec: &TenantSpec,
    owner_email: &str,
    owner_password: JudgedPassword,
) -> Result<Uuid> {
    let slug = TenantSlug::parse(&spec.slug).map_err(|e| invalid("slug", e.0))?;
    let name = tenant::parse_name(&spec.name).map_err(|e| invalid("name", e.0))?;
    let locale = tenant::parse_locale(&spec.locale).map_err(|e| invalid("locale", e.0))?;
    let currency = tenant::parse_currency(&spec.currency).map_err(|e| invalid("currency", e.0))?;
    let time_zone =
        tenant::parse_time_zone(&spec.time_zone).map_err(|e| invalid("time_zone", e.0))?;
    let id = Uuid::now_v7();
    let mut scope = Scope::new(TenantTx::begin(pool, id).await?, Actor::system());
    let new = db::tenants::NewTenant {
        slug: slug.as_str(),
        name,
        time_zone: &time_zone,
        currency: &currency,
        locale,
    };
    match db::tenants::insert(&mut scope.tx, &new).await {
        Err(e) if db::constraint_of(&e) == Some("tenants_slug_key") => {
            return Err(Error::conflict(
                "slug-taken",
                format!("a tenant with slug '{}' already exists", slug.as_str()),
            ));
        }
        other => other?,
    };
    let owner = SetupUser {
        email: owner_email.to_owned(),
        display_name: OWNER_NAME.to_owned(),
        password: owner_password,
        roles: vec![BuiltinRole::Owner.name().to_owned()],
    };
    add_user(&mut scope, owner).await?;
    crate::pipeline::pipelines::create_default(&mut scope, locale).await?;
    scope
        .record(
            Change::of(EventType::TenantCreated, "tenant", id)
                .after(json!({ "slug": slug.as_str(), "name": name })),
        )
        .await?;
    scope.commit().await?;
    Ok(id)
}

/// Adds an active user with a password and roles to the scope's tenant.
pub async fn add_user(scope: &mut Scope, user: SetupUser) -> Result<Uuid> {
    let email = Email::parse(&user.email).map_err(|e| invalid("admin_email", e.0))?;
    let hash = user
        .password
        .map_err(|why| invalid("admin_password", why))?;
    let id = Uuid::now_v7();
    let new = db::users::NewUser {
        id,
        email: email.as_str(),
        display_name: &user.display_name,
        password_hash: Some(&hash),
        status: "active",
        invite_hash: None,
    };
    db::users::insert(&mut scope.tx, &new).await?;
    db::users::set_roles(&mut scope.tx, id, &user.roles).await?;
    scope
        .record(
            Change::of(EventType::UserCreated, "user", id)
                .after(json!({ "email": email.as_str(), "roles": user.roles })),
        )
        .await?;
    scope.policies_changed();
    Ok(id)
}

/// One of the demo tenant's users, with its documented local-only password.
#[derive(Debug, Clone)]
pub struct DemoUser {
    pub email: String,
    pub password: String,
    pub display_name: String,
    pub role: &'static str,
}

/// The demo tenant's users: one per built-in role, the owner first.
pub fn demo_users() -> Vec<DemoUser> {
    BuiltinRole::ALL
        .iter()
        .map(|r| DemoUser {
            email: format!("{}@{DEMO_SLUG}.example", r.name()),
            password: format!("{}-lighthouse-tangerine", r.name()),
            display_name: if *r == BuiltinRole::Owner {
                OWNER_NAME.to_owned()
            } else {
                format!("Demo {}", r.name())
            },
            role: r.name(),
        })
        .collect()
}

/// What [`seed_demo`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoSeed {
    /// Whether the demo tenant was created now (with its users).
    pub created: bool,
    /// The demo data added now; empty when the tenant had it already.
    pub added: crate::demo_data::DemoCounts,
}

/// Creates the demo tenant with `users` (the [`demo_users`], their passwords judged), the
/// owner first, unless it exists; then gives it its demo data unless it has that already
/// ([`crate::demo_data::fill`]), so a demo tenant made before the data existed gets it once.
pub async fn seed_demo(
    pool: &PgPool,
    master: &db::crypto::MasterKeys,
    users: Vec<SetupUser>,
) -> Result<DemoSeed> {
    let (id, created) = match db::tenants::find_by_slug(pool, DEMO_SLUG).await? {
        Some(tenant) => (tenant.id, false),
        None => create_demo(pool, users).await?,
    };
    let added = crate::demo_data::fill(pool, master, id).await?;
    Ok(DemoSeed { created, added })
}

/// Creates the demo tenant and its users; when another process created it meanwhile, finds
/// that one. Returns its id and whether it was created here.
async fn create_demo(pool: &PgPool, users: Vec<SetupUser>) -> Result<(Uuid, bool)> {
    let mut users = users.into_iter();
    let Some(owner) = users.next() else {
        return Err(invalid("users", "the demo tenant needs an owner"));
    };
    let spec = TenantSpec::new(DEMO_SLUG, DEMO_NAME);
    let id = match create(pool, &spec, &owner.email, owner.password).await {
        Err(Error::Conflict { .. }) => {
            let found = db::tenants::find_by_slug(pool, DEMO_SLUG).await?;
            return found.map(|t| (t.id, false)).ok_or(Error::NotFound);
        }
        other => other?,
    };
    let mut scope = Scope::new(TenantTx::begin(pool, id).await?, Actor::system());
    for user in users {
        add_user(&mut scope, user).await?;
    }
    scope.commit().await?;
    Ok((id, true))
}

/// Suspends the tenant with this slug: its users and keys are refused until it is activated.
pub async fn suspend(pool: &PgPool, slug: &str) -> Result<()> {
    set_status(pool, slug, "suspended").await
}

/// Activates the tenant with this slug again.
pub async fn activate(pool: &PgPool, slug: &str) -> Result<()> {
    set_status(pool, slug, "active").await
}

async fn set_status(pool: &PgPool, slug: &str, status: &str) -> Result<()> {
    if db::tenants::set_status(pool, slug, status).await? {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_has_a_user_per_role_the_owner_first() {
        let users = demo_users();
        assert_eq!(users.len(), BuiltinRole::ALL.len());
        assert_eq!(users[0].role, BuiltinRole::Owner.name());
        assert_eq!(users[0].email, "owner@demo.example");
        assert!(
            users[1..]
                .iter()
                .all(|u| u.display_name == format!("Demo {}", u.role))
        );
    }
}
