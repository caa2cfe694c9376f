//! Authorization with casbin: RBAC with domains (domain = tenant). Built-in roles come from
//! code (domain `*`); custom roles and assignments from Postgres. Every process keeps an
//! enforcer in memory and swaps in a fresh one on a Redis message or a periodic tick.

use std::sync::{Arc, RwLock};

use casbin::prelude::*;
use casbin::{Adapter, Filter, Model};
use domain::BuiltinRole;
use uuid::Uuid;

pub const RELOAD_CHANNEL: &str = "crm:authz:reload";

const MODEL: &str = r#"
[request_definition]
r = sub, dom, perm

[policy_definition]
p = sub, dom, perm

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub, r.dom) && (p.dom == r.dom || p.dom == "*") && r.perm == p.perm
"#;

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

/// The built-in roles as rules in the wildcard domain.
fn builtin_rules() -> Vec<(String, Vec<String>)> {
    BuiltinRole::ALL
        .iter()
        .flat_map(|role| {
            role.permissions().into_iter().map(move |perm| {
                (
                    "p".to_owned(),
                    vec![role.name().to_owned(), "*".to_owned(), perm.to_owned()],
                )
            })
        })
        .collect()
}

/// Builds an enforcer from policy rows read from Postgres.
pub async fn build(rows: Vec<db::authz::PolicyRow>) -> casbin::Result<CachedEnforcer> {
    let mut rules = builtin_rules();
    rules.extend(
        rows.into_iter()
            .map(|r| (r.kind, vec![r.subject, r.domain, r.object])),
    );
    let model = DefaultModel::from_str(MODEL).await?;
    CachedEnforcer::new(model, Rules(rules)).await
}

/// The process's current enforcer.
pub struct Authorizer {
    current: RwLock<Arc<CachedEnforcer>>,
}

impl Authorizer {
    pub fn new(enforcer: CachedEnforcer) -> Self {
        Self {
            current: RwLock::new(Arc::new(enforcer)),
        }
    }

    /// Whether `subject` (a user id, or a role name for API keys) holds `permission` in `tenant`.
    pub fn allowed(&self, subject: &str, tenant: Uuid, permission: &str) -> bool {
        let enforcer = self
            .current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let tenant = tenant.to_string();
        enforcer
            .enforce((subject, tenant.as_str(), permission))
            .unwrap_or(false)
    }

    /// Replaces the enforcer with one built from the database's current policies.
    pub async fn reload(&self, pool: &db::PgPool) -> anyhow::Result<()> {
        let rows = db::authz::load_policy_rows(pool).await?;
        let fresh = build(rows).await?;
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(fresh);
        Ok(())
    }
}
