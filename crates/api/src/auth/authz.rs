//! Authorization with casbin: RBAC with domains (domain = tenant). Built-in roles come from
//! code (domain `*`); custom roles and assignments from Postgres.
//!
//! Each role's permissions are one rule (a comma-separated list matched by `permIn`), and each
//! tenant gets its own enforcer, built on first use from a snapshot of every tenant's rules.
//! So a check evaluates the handful of rules of one tenant, not every rule of every tenant.
//! A Redis message or a periodic tick swaps in a fresh snapshot.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use casbin::prelude::*;
use casbin::rhai::Dynamic;
use casbin::{Adapter, CachedApi, DefaultCache, Filter, Model, function_map::dynamic_to_str};
use domain::BuiltinRole;
use uuid::Uuid;

pub const RELOAD_CHANNEL: &str = "crm:authz:reload";

const MODEL: &str = r#"
[request_definition]
r = sub, dom, perm

[policy_definition]
p = sub, dom, perms

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub, r.dom) && (p.dom == r.dom || p.dom == "*") && permIn(r.perm, p.perms)
"#;

/// Decisions each tenant's enforcer remembers.
const DECISIONS_CACHED_PER_TENANT: usize = 2_000;
/// Enforcers kept at once; beyond this the least recent snapshot's are dropped wholesale.
const MAX_ENFORCERS: usize = 20_000;

/// `permIn(perm, "a,b,c")`: whether the permission is in the role's list.
fn perm_in(perm: Dynamic, list: Dynamic) -> Dynamic {
    let perm = dynamic_to_str(&perm);
    dynamic_to_str(&list).split(',').any(|p| p == perm).into()
}

/// Loads a fixed set of rules into the model; the enforcer never writes back.
struct Rules(Vec<(String, Vec<String>)>);

#[async_trait::async_trait]
impl Adapter for Rules {
    async fn load_policy(&mut self, m: &mut dyn Model) -> casbin::Result<()> {
        for (ptype, rule) in self.0.drain(..) {
            m.add_policy(&ptype[..1], &ptype, rule);
        }
        Ok(())
    }
    async fn load_filtered_policy<'a>(
        &mut self,
        m: &mut dyn Model,
        _f: Filter<'a>,
    ) -> casbin::Result<()> {
        self.load_policy(m).await
    }
    async fn save_policy(&mut self, _m: &mut dyn Model) -> casbin::Result<()> {
        Ok(())
    }
    async fn clear_policy(&mut self) -> casbin::Result<()> {
        Ok(())
    }
    fn is_filtered(&self) -> bool {
        false
    }
    async fn add_policy(&mut self, _s: &str, _p: &str, _r: Vec<String>) -> casbin::Result<bool> {
        Ok(false)
    }
    async fn add_policies(
        &mut self,
        _s: &str,
        _p: &str,
        _r: Vec<Vec<String>>,
    ) -> casbin::Result<bool> {
        Ok(false)
    }
    async fn remove_policy(&mut self, _s: &str, _p: &str, _r: Vec<String>) -> casbin::Result<bool> {
        Ok(false)
    }
    async fn remove_policies(
        &mut self,
        _s: &str,
        _p: &str,
        _r: Vec<Vec<String>>,
    ) -> casbin::Result<bool> {
        Ok(false)
    }
    async fn remove_filtered_policy(
        &mut self,
        _s: &str,
        _p: &str,
        _i: usize,
        _v: Vec<String>,
    ) -> casbin::Result<bool> {
        Ok(false)
    }
}

/// A tenant's custom roles and assignments, as casbin rules.
#[derive(Default)]
struct TenantRules {
    /// `p, role, tenant, "perm1,perm2"`.
    roles: HashMap<String, Vec<String>>,
    /// `g, user, role, tenant`.
    assignments: Vec<(String, String)>,
}

/// The built-in roles as rules in the wildcard domain.
fn builtin_rules() -> Vec<(String, Vec<String>)> {
    BuiltinRole::ALL
        .iter()
        .map(|role| {
            (
                "p".to_owned(),
                vec![
                    role.name().to_owned(),
                    "*".to_owned(),
                    role.permissions().join(","),
                ],
            )
        })
        .collect()
}

/// Builds the enforcer of one tenant.
async fn build_for(tenant: &str, rules: Option<&TenantRules>) -> casbin::Result<CachedEnforcer> {
    let mut all = builtin_rules();
    if let Some(r) = rules {
        for (role, perms) in &r.roles {
            all.push((
                "p".into(),
                vec![role.clone(), tenant.to_owned(), perms.join(",")],
            ));
        }
        for (user, role) in &r.assignments {
            all.push((
                "g".into(),
                vec![user.clone(), role.clone(), tenant.to_owned()],
            ));
        }
    }
    let model = DefaultModel::from_str(MODEL).await?;
    let mut enforcer = CachedEnforcer::new(model, Rules(all)).await?;
    enforcer.add_function(
        "permIn",
        casbin::function_map::OperatorFunction::Arg2(perm_in),
    );
    enforcer.set_cache(Box::new(DefaultCache::new(DECISIONS_CACHED_PER_TENANT)));
    Ok(enforcer)
}

/// Every tenant's rules at one moment, and the enforcers built from them so far.
#[derive(Default)]
struct Snapshot {
    tenants: HashMap<String, TenantRules>,
    enforcers: Mutex<HashMap<String, Arc<CachedEnforcer>>>,
}

impl Snapshot {
    fn from_rows(rows: Vec<db::authz::PolicyRow>) -> Self {
        let mut tenants: HashMap<String, TenantRules> = HashMap::new();
        for r in rows {
            // p rows: subject = role, domain = tenant, object = permission.
            // g rows: subject = user, domain = role, object = tenant.
            match r.kind.as_str() {
                "p" => tenants
                    .entry(r.domain)
                    .or_default()
                    .roles
                    .entry(r.subject)
                    .or_default()
                    .push(r.object),
                "g" => tenants
                    .entry(r.object)
                    .or_default()
                    .assignments
                    .push((r.subject, r.domain)),
                _ => {}
            }
        }
        Self {
            tenants,
            enforcers: Mutex::default(),
        }
    }

    async fn enforcer(&self, tenant: &str) -> casbin::Result<Arc<CachedEnforcer>> {
        if let Some(e) = self.lock().get(tenant) {
            return Ok(e.clone());
        }
        let built = Arc::new(build_for(tenant, self.tenants.get(tenant)).await?);
        let mut map = self.lock();
        if map.len() >= MAX_ENFORCERS {
            map.clear();
        }
        Ok(map.entry(tenant.to_owned()).or_insert(built).clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<CachedEnforcer>>> {
        self.enforcers.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The process's authorization state.
pub struct Authorizer {
    current: RwLock<Arc<Snapshot>>,
    /// One reload at a time: a reload that read the rows before a role change committed must
    /// not install its snapshot after one that read them since (the change would be lost until
    /// the next reload).
    reloading: tokio::sync::Mutex<()>,
}

impl Authorizer {
    /// An authorizer over policy rows read from Postgres.
    pub fn new(rows: Vec<db::authz::PolicyRow>) -> Self {
        Self {
            current: RwLock::new(Arc::new(Snapshot::from_rows(rows))),
            reloading: tokio::sync::Mutex::new(()),
        }
    }

    /// Whether `subject` (a user id, or a role name for API keys) holds `permission` in `tenant`.
    pub async fn allowed(&self, subject: &str, tenant: Uuid, permission: &str) -> bool {
        let snapshot = self
            .current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let tenant = tenant.to_string();
        match snapshot.enforcer(&tenant).await {
            Ok(e) => e
                .enforce((subject, tenant.as_str(), permission))
                .unwrap_or(false),
            Err(err) => {
                tracing::error!(error = %err, "authorization model failed; denying");
                false
            }
        }
    }

    /// Replaces the snapshot with the database's current policies.
    pub async fn reload(&self, pool: &db::PgPool) -> anyhow::Result<()> {
        let _one_at_a_time = self.reloading.lock().await;
        let rows = db::authz::load_policy_rows(pool).await?;
        let fresh = Arc::new(Snapshot::from_rows(rows));
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kind: &str, subject: &str, domain: &str, object: &str) -> db::authz::PolicyRow {
        db::authz::PolicyRow {
            kind: kind.into(),
            subject: subject.into(),
            domain: domain.into(),
            object: object.into(),
        }
    }

    #[tokio::test]
    async fn roles_apply_only_in_their_tenant() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let (alice, bob) = (Uuid::now_v7().to_string(), Uuid::now_v7().to_string());
        let authz = Authorizer::new(vec![
            row("p", "auditor", &a.to_string(), "audit.view"),
            row("p", "auditor", &a.to_string(), "users.view"),
            row("g", &alice, "auditor", &a.to_string()),
            row("g", &bob, "sales", &b.to_string()),
        ]);
        assert!(authz.allowed(&alice, a, "audit.view").await);
        assert!(authz.allowed(&alice, a, "users.view").await);
        assert!(!authz.allowed(&alice, a, "users.manage").await);
        assert!(
            !authz.allowed(&alice, b, "audit.view").await,
            "a's role leaked into b"
        );
        assert!(authz.allowed(&bob, b, "clients.create").await);
        assert!(!authz.allowed(&bob, b, "clients.delete").await);
        assert!(!authz.allowed(&bob, a, "clients.create").await);
        // API keys act as their role directly.
        assert!(authz.allowed("viewer", a, "clients.view").await);
        assert!(!authz.allowed("viewer", a, "clients.edit").await);
        assert!(!authz.allowed("auditor", b, "audit.view").await);
        // A permission that is a prefix of another is not confused with it.
        assert!(!authz.allowed(&alice, a, "audit").await);
    }
}
