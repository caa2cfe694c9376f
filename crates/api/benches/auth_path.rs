//! The per-request auth path without I/O: access-token verification, the casbin check, and
//! both together, against a realistic policy set (1,000 tenants, each with 2 custom roles of
//! 5 permissions and 10 users holding built-in or custom roles).
//!
//! Run: `cargo bench -p api --bench auth_path` (add `-- --quick` for a short run).

use std::hint::black_box;
use std::time::Duration;

use api::auth::authz::Authorizer;
use api::auth::tokens::{TokenKeys, generate_private_key_pem};
use criterion::{Criterion, criterion_group, criterion_main};
use db::authz::PolicyRow;
use domain::BuiltinRole;
use domain::permissions::ALL;
use uuid::Uuid;

const TENANTS: usize = 1_000;
const USERS_PER_TENANT: usize = 10;
const CUSTOM_ROLES: [&str; 2] = ["key_accounts", "field_ops"];
const PERMS_PER_CUSTOM_ROLE: usize = 5;

/// One user's request: who, where, and a permission the user holds (`allowed`) or lacks.
struct Request {
    user: Uuid,
    tenant: Uuid,
    allowed: &'static str,
    denied: &'static str,
    /// Whether the user's role is built in (its rules come first) or the tenant's own.
    builtin: bool,
}

/// Five consecutive catalogue entries, starting at a tenant- and role-dependent offset.
fn custom_permissions(tenant: usize, role: usize) -> Vec<&'static str> {
    let start = (tenant * 7 + role * 11) % ALL.len();
    (0..PERMS_PER_CUSTOM_ROLE)
        .map(|i| ALL[(start + i) % ALL.len()])
        .collect()
}

/// Policy rows shaped exactly as `authz_policy_rows()` returns them:
/// `p`: subject = role name, domain = tenant id, object = permission;
/// `g`: subject = user id, domain = role name, object = tenant id.
fn policy(tenants: &[Uuid]) -> (Vec<PolicyRow>, Vec<Request>) {
    let row = |kind: &str, subject: String, domain: String, object: String| PolicyRow {
        kind: kind.to_owned(),
        subject,
        domain,
        object,
    };
    let mut rows = Vec::new();
    let mut requests = Vec::new();
    for (t, tenant) in tenants.iter().enumerate() {
        let custom: Vec<Vec<&'static str>> = (0..CUSTOM_ROLES.len())
            .map(|r| custom_permissions(t, r))
            .collect();
        for (name, perms) in CUSTOM_ROLES.iter().zip(&custom) {
            for perm in perms {
                rows.push(row(
                    "p",
                    (*name).to_owned(),
                    tenant.to_string(),
                    (*perm).to_owned(),
                ));
            }
        }
        // A typical team: one owner, one admin, sales, support, marketing, a viewer, and
        // three people on the tenant's own roles.
        let roles: [&str; USERS_PER_TENANT] = [
            "owner",
            "admin",
            "sales",
            "sales",
            "support",
            "marketing",
            "viewer",
            CUSTOM_ROLES[0],
            CUSTOM_ROLES[0],
            CUSTOM_ROLES[1],
        ];
        for (u, role) in roles.iter().enumerate() {
            let user = Uuid::now_v7();
            rows.push(row(
                "g",
                user.to_string(),
                (*role).to_owned(),
                tenant.to_string(),
            ));
            let builtin = BuiltinRole::from_name(role).is_some();
            let held: Vec<&'static str> = match BuiltinRole::from_name(role) {
                Some(b) => b.permissions(),
                None => custom[CUSTOM_ROLES
                    .iter()
                    .position(|c| c == role)
                    .expect("custom role")]
                .clone(),
            };
            let allowed = held[(t + u) % held.len()];
            let denied = ALL
                .iter()
                .copied()
                .find(|p| !held.contains(p))
                // The owner holds everything: ask for something outside the catalogue.
                .unwrap_or("nothing.at_all");
            requests.push(Request {
                user,
                tenant: *tenant,
                allowed,
                denied,
                builtin,
            });
        }
    }
    (rows, requests)
}

/// One permission check, driven to completion (it only awaits when it builds an enforcer).
fn check(
    rt: &tokio::runtime::Runtime,
    authz: &Authorizer,
    subject: &str,
    tenant: Uuid,
    perm: &str,
) -> bool {
    rt.block_on(authz.allowed(subject, tenant, perm))
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime");
    let keys = TokenKeys::new(
        &generate_private_key_pem(),
        &[],
        "crm",
        "crm-api",
        Duration::from_secs(3600),
    )
    .expect("token keys");
    let tenants: Vec<Uuid> = (0..TENANTS).map(|_| Uuid::now_v7()).collect();
    let (rows, requests) = policy(&tenants);
    let authorizer = Authorizer::new(rows);
    let tokens: Vec<String> = requests
        .iter()
        .map(|r| keys.issue(r.tenant, r.user, Uuid::now_v7()).expect("token"))
        .collect();

    // Sanity: the rows mean what they should, or the figures below measure nothing. A sample
    // across all tenants and roles (checking all 10,000 uncached takes minutes).
    for r in requests.iter().step_by(97) {
        assert!(check(
            &runtime,
            &authorizer,
            &r.user.to_string(),
            r.tenant,
            r.allowed
        ));
        assert!(!check(
            &runtime,
            &authorizer,
            &r.user.to_string(),
            r.tenant,
            r.denied
        ));
    }
    assert!(!check(
        &runtime,
        &authorizer,
        &requests[0].user.to_string(),
        tenants[1],
        requests[0].allowed
    ));

    c.bench_function("verify_token", |b| {
        b.iter(|| black_box(keys.verify(black_box(&tokens[0]))).expect("valid"))
    });

    let mut g = c.benchmark_group("enforce");
    let first = &requests[0];
    let first_subject = first.user.to_string();
    g.bench_function("cached_same_request", |b| {
        b.iter(|| {
            check(
                &runtime,
                &authorizer,
                black_box(&first_subject),
                black_box(first.tenant),
                black_box(first.allowed),
            )
        })
    });
    let subjects: Vec<String> = requests.iter().map(|r| r.user.to_string()).collect();
    // 10,000 distinct (user, tenant, permission) keys cycle through casbin's 200-entry cache.
    let mut i = 0;
    g.bench_function("distinct_users_allowed", |b| {
        b.iter(|| {
            i = (i + 1) % requests.len();
            let r = &requests[i];
            check(&runtime, &authorizer, &subjects[i], r.tenant, r.allowed)
        })
    });
    // The same, split by where the user's role rules sit in the policy list.
    for (name, builtin) in [
        ("distinct_users_builtin_role", true),
        ("distinct_users_custom_role", false),
    ] {
        let picked: Vec<usize> = (0..requests.len())
            .filter(|&k| requests[k].builtin == builtin)
            .collect();
        let mut i = 0;
        g.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) % picked.len();
                let r = &requests[picked[i]];
                check(
                    &runtime,
                    &authorizer,
                    &subjects[picked[i]],
                    r.tenant,
                    r.allowed,
                )
            })
        });
    }
    // A permission never asked before: a guaranteed cache miss, scanning the tenant's rules.
    let mut n = 0u64;
    g.bench_function("uncached_distinct_permission", |b| {
        b.iter(|| {
            n += 1;
            let r = &requests[(n as usize) % requests.len()];
            let perm = format!("never.asked_{n}");
            check(
                &runtime,
                &authorizer,
                &subjects[(n as usize) % requests.len()],
                r.tenant,
                &perm,
            )
        })
    });
    // Building one tenant's enforcer: what the first check after a reload pays.
    let one_tenant: Vec<PolicyRow> = policy(&tenants[..1]).0;
    g.bench_function("first_check_after_reload", |b| {
        b.iter(|| {
            let fresh = Authorizer::new(one_tenant.clone());
            check(&runtime, &fresh, "viewer", tenants[0], "clients.view")
        })
    });
    let mut i = 0;
    g.bench_function("distinct_users_denied", |b| {
        b.iter(|| {
            i = (i + 1) % requests.len();
            let r = &requests[i];
            check(&runtime, &authorizer, &subjects[i], r.tenant, r.denied)
        })
    });
    g.finish();

    // What a request pays before its first database round trip: verify the token, derive the
    // casbin subject as `Ctx` does, check one permission.
    let mut g = c.benchmark_group("verify_then_enforce");
    g.bench_function("same_user", |b| {
        b.iter(|| {
            let claims = keys.verify(black_box(&tokens[0])).expect("valid");
            check(
                &runtime,
                &authorizer,
                &claims.sub.to_string(),
                claims.tid,
                first.allowed,
            )
        })
    });
    let mut i = 0;
    g.bench_function("distinct_users", |b| {
        b.iter(|| {
            i = (i + 1) % requests.len();
            let claims = keys.verify(&tokens[i]).expect("valid");
            check(
                &runtime,
                &authorizer,
                &claims.sub.to_string(),
                claims.tid,
                requests[i].allowed,
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
