//! What the working day needs to know about the `seed-large` data, read once as `postgres` (no
//! row-level security): the tenants the staff work for, a sample of each one's clients, a ticket
//! category of each, and the load test's own clients, tickets, deals and proposals (the only
//! ones it changes). The deals (and the default pipeline of a tenant loaded without one) and the
//! proposal template are made here the first time, through the product's flows
//! (`pipeline_work::prepare`, `proposal_work::prepare`).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use super::pipeline_work::{self, Board};
use super::proposal_work;
use crate::names;
use crate::seed;

/// Clients sampled per tenant: ids to open, names to search for, sectors and tags to filter by.
const SAMPLE: i64 = 200;
/// The load test's own clients per tenant (`Loadtest desk 0`, `Loadtest desk 1`): the edits go
/// to these, never to seeded clients, so repeated runs add no clients after the first.
pub const DESKS: usize = 2;
/// Name prefix of the load test's own clients, and title prefix of its own tickets (one open
/// ticket per desk: `Loadtest desk 0`, `Loadtest desk 1`).
pub const DESK_PREFIX: &str = "Loadtest desk";

/// tenant_id, id, company_name, sector, tags.
type SampledClient = (Uuid, Uuid, String, Option<String>, Vec<String>);

/// One tenant the staff work for.
pub struct Tenant {
    pub slug: String,
    pub id: Uuid,
    pub live_clients: i64,
    pub clients: Vec<Uuid>,
    pub search_terms: Vec<String>,
    pub sectors: Vec<String>,
    pub tags: Vec<String>,
    /// A ticket category of the tenant (the first by name), for the desk's tickets: its SLA
    /// applies to them. None when the tenant has none (the tickets then have no SLA).
    pub ticket_category: Option<Uuid>,
    /// Its default pipeline and the load test's deals on it.
    pub board: Option<Board>,
    /// The load test's proposal template (`Loadtest proposal`).
    pub proposal_template: Option<Uuid>,
}

/// A client (or a ticket) the load test changes, created through the API on first use. The lock
/// keeps two staff members from changing it at once (which would be a 412 on `If-Match`, not
/// load).
pub type Desk = tokio::sync::Mutex<Option<Uuid>>;

/// The data set, the roster of staff (slot → tenant) and the desks.
pub struct Shared {
    pub tenants: Vec<Arc<Tenant>>,
    /// `roster[slot % len]` is the tenant of staff member `slot`.
    roster: Vec<usize>,
    desks: HashMap<(usize, usize), Desk>,
    /// The open ticket each desk works on (`Loadtest desk <n>`), by (tenant, desk).
    ticket_desks: HashMap<(usize, usize), Desk>,
    /// The next staff slot a starting goose user takes; reset before each phase so every phase
    /// has the same staff.
    next_slot: AtomicUsize,
    pub seeded: serde_json::Value,
    pub password: String,
}

impl Shared {
    /// The tenant (its index) of staff member `slot`.
    pub fn tenant_of(&self, slot: usize) -> usize {
        self.roster[slot % self.roster.len()]
    }

    pub fn take_slot(&self) -> usize {
        self.next_slot.fetch_add(1, Ordering::Relaxed)
    }

    pub fn reset_slots(&self) {
        self.next_slot.store(0, Ordering::Relaxed);
    }

    pub fn desk(&self, tenant: usize, desk: usize) -> Option<&Desk> {
        self.desks.get(&(tenant, desk % DESKS))
    }

    pub fn ticket_desk(&self, tenant: usize, desk: usize) -> Option<&Desk> {
        self.ticket_desks.get(&(tenant, desk % DESKS))
    }

    /// How many staff members of the first `staff` slots work for each tenant, largest first.
    pub fn spread(&self, staff: usize) -> Vec<(String, usize)> {
        let mut counts = vec![0usize; self.tenants.len()];
        for slot in 0..staff {
            counts[self.tenant_of(slot)] += 1;
        }
        let mut out: Vec<(String, usize)> = counts
            .into_iter()
            .enumerate()
            .filter(|(_, n)| *n > 0)
            .map(|(i, n)| (self.tenants[i].slug.clone(), n))
            .collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out
    }
}

/// Reads the data set: `big` plus `count - 1` other tenants spread evenly over the size ranking,
/// a sample of each one's clients, a ticket category of each, and the desks (clients and open
/// tickets) that exist from earlier runs; gives each tenant its deals and its proposal template
/// when it has none yet. The migrations run first (as `crm migrate`, a no-op on a current
/// schema), since these need the pipeline's and the proposals' tables.
pub async fn load(
    pg_addr: &str,
    database: &str,
    master_keys: &str,
    count: usize,
    seed_value: u64,
) -> anyhow::Result<Shared> {
    let (pool, seeded) = seed::open_seeded(pg_addr, database).await?;
    db::migrate::run(&pool, &worker::queue::migrations())
        .await
        .context("cannot migrate the database")?;

    // The load test's own clients do not count, so every run picks the same tenants.
    let ranked: Vec<(Uuid, String, i64)> = sqlx::query_as(
        "SELECT t.id, t.slug, count(c.id) FROM tenants t
           LEFT JOIN clients c ON c.tenant_id = t.id AND c.deleted_at IS NULL
                              AND c.company_name NOT LIKE 'Loadtest %'
          WHERE t.status = 'active'
          GROUP BY t.id, t.slug ORDER BY count(c.id) DESC, t.slug",
    )
    .fetch_all(&pool)
    .await?;
    let chosen = choose(&ranked, count);
    anyhow::ensure!(!chosen.is_empty(), "the database has no active tenant");
    let ids: Vec<Uuid> = chosen.iter().map(|t| t.0).collect();

    let rows: Vec<SampledClient> = sqlx::query_as(
        "SELECT tenant_id, id, company_name, sector, tags FROM (
           SELECT tenant_id, id, company_name, sector, tags,
                  row_number() OVER (PARTITION BY tenant_id ORDER BY hashtext(id::text)) AS n
             FROM clients
            WHERE tenant_id = ANY($1) AND deleted_at IS NULL
              AND company_name NOT LIKE 'Loadtest %') s
          WHERE n <= $2",
    )
    .bind(&ids)
    .bind(SAMPLE)
    .fetch_all(&pool)
    .await
    .context("cannot sample the tenants' clients")?;

    let mut existing: Vec<(Uuid, String, Uuid)> = sqlx::query_as(
        "SELECT tenant_id, company_name, id FROM clients
          WHERE tenant_id = ANY($1) AND deleted_at IS NULL AND company_name LIKE $2",
    )
    .bind(&ids)
    .bind(format!("{DESK_PREFIX} %"))
    .fetch_all(&pool)
    .await?;
    let tickets = ticket_data(&pool, &ids).await?;
    pool.close().await;
    let mut boards = pipeline_boards(pg_addr, database, master_keys, &ids, &mut existing).await?;
    let app_url = seed::url(pg_addr, "crm_app", database);
    let mut proposal_templates = proposal_work::prepare(&app_url, &ids).await?;

    let mut rng = StdRng::seed_from_u64(seed_value);
    let index: HashMap<Uuid, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut tenants: Vec<Tenant> = chosen
        .iter()
        .map(|(id, slug, live)| Tenant {
            slug: slug.clone(),
            id: *id,
            live_clients: *live,
            clients: Vec::new(),
            search_terms: Vec::new(),
            sectors: Vec::new(),
            tags: Vec::new(),
            ticket_category: tickets.categories.get(id).copied(),
            board: boards.remove(id),
            proposal_template: proposal_templates.remove(id),
        })
        .collect();
    for (tenant, id, name, sector, tags) in rows {
        let Some(&i) = index.get(&tenant) else {
            continue;
        };
        let t = &mut tenants[i];
        t.clients.push(id);
        t.search_terms.push(search_term(&mut rng, &name));
        if let Some(s) = sector
            && !t.sectors.contains(&s)
        {
            t.sectors.push(s);
        }
        for tag in tags {
            if !t.tags.contains(&tag) {
                t.tags.push(tag);
            }
        }
    }
    tenants.retain(|t| !t.clients.is_empty());
    anyhow::ensure!(!tenants.is_empty(), "the chosen tenants have no clients");

    let desks = desks_of(&tenants, existing);
    let ticket_desks = desks_of(&tenants, tickets.desks);
    let roster = roster(&tenants, &mut rng);
    Ok(Shared {
        tenants: tenants.into_iter().map(Arc::new).collect(),
        roster,
        desks,
        ticket_desks,
        next_slot: AtomicUsize::new(0),
        seeded,
        password: seed::PASSWORD.to_owned(),
    })
}

/// Each tenant's board for the pipeline work, the desks' clients it made added to `existing`.
async fn pipeline_boards(
    pg_addr: &str,
    database: &str,
    master_keys: &str,
    tenants: &[Uuid],
    existing: &mut Vec<(Uuid, String, Uuid)>,
) -> anyhow::Result<HashMap<Uuid, Board>> {
    let mut known: HashMap<Uuid, Vec<(usize, Uuid)>> = HashMap::new();
    for (tenant, name, id) in existing.iter() {
        if let Some(n) = desk_number(name) {
            known.entry(*tenant).or_default().push((n, *id));
        }
    }
    let app_url = seed::url(pg_addr, "crm_app", database);
    let prepared = pipeline_work::prepare(&app_url, master_keys, tenants, &known).await?;
    let mut boards = HashMap::new();
    for (tenant, p) in prepared {
        for (n, id) in p.desk_clients {
            if !existing.iter().any(|(_, _, e)| *e == id) {
                existing.push((tenant, format!("{DESK_PREFIX} {n}"), id));
            }
        }
        boards.insert(tenant, p.board);
    }
    Ok(boards)
}

/// What the data set holds for the ticket work: a category per tenant and the desks' open
/// tickets (none of either before the tickets module's migration).
#[derive(Default)]
struct TicketData {
    categories: HashMap<Uuid, Uuid>,
    /// tenant_id, title, id.
    desks: Vec<(Uuid, String, Uuid)>,
}

async fn ticket_data(pool: &sqlx::PgPool, tenants: &[Uuid]) -> anyhow::Result<TicketData> {
    let migrated: bool = sqlx::query_scalar("SELECT to_regclass('public.tickets') IS NOT NULL")
        .fetch_one(pool)
        .await?;
    if !migrated {
        return Ok(TicketData::default());
    }
    let categories: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "SELECT DISTINCT ON (tenant_id) tenant_id, id FROM ticket_categories
          WHERE tenant_id = ANY($1) ORDER BY tenant_id, lower(name)",
    )
    .bind(tenants)
    .fetch_all(pool)
    .await
    .context("cannot read the tenants' ticket categories")?;
    // The newest open ticket of each desk; resolved ones stay behind as history.
    let desks: Vec<(Uuid, String, Uuid)> = sqlx::query_as(
        "SELECT DISTINCT ON (tenant_id, title) tenant_id, title, id FROM tickets
          WHERE tenant_id = ANY($1) AND title LIKE $2
            AND status IN ('new', 'open', 'pending_customer', 'on_hold')
          ORDER BY tenant_id, title, created_at DESC",
    )
    .bind(tenants)
    .bind(format!("{DESK_PREFIX} %"))
    .fetch_all(pool)
    .await
    .context("cannot read the desks' tickets")?;
    Ok(TicketData {
        categories: categories.into_iter().collect(),
        desks,
    })
}

/// The desk number in a desk client's name or a desk ticket's title (`Loadtest desk 1`).
fn desk_number(name: &str) -> Option<usize> {
    name.strip_prefix(DESK_PREFIX)?.trim().parse().ok()
}

/// An empty desk of each number for every tenant, filled with the `(tenant_id, name, id)` that
/// exist.
fn desks_of(
    tenants: &[Tenant],
    existing: Vec<(Uuid, String, Uuid)>,
) -> HashMap<(usize, usize), Desk> {
    let by_id: HashMap<Uuid, usize> = tenants.iter().enumerate().map(|(i, t)| (t.id, i)).collect();
    let mut desks: HashMap<(usize, usize), Desk> = HashMap::new();
    for i in 0..tenants.len() {
        for d in 0..DESKS {
            desks.insert((i, d), tokio::sync::Mutex::new(None));
        }
    }
    for (tenant, name, id) in existing {
        if let (Some(&t), Some(d)) = (by_id.get(&tenant), desk_number(&name))
            && let Some(slot) = desks.get_mut(&(t, d))
        {
            *slot.get_mut() = Some(id);
        }
    }
    desks
}

/// `big` (or the largest tenant) and `count - 1` others at even steps down the size ranking, so
/// large, middling and small companies all have staff at work.
fn choose(ranked: &[(Uuid, String, i64)], count: usize) -> Vec<(Uuid, String, i64)> {
    let count = count.clamp(1, ranked.len().max(1));
    let big = ranked
        .iter()
        .position(|t| t.1 == seed::BIG_SLUG)
        .unwrap_or(0);
    let others: Vec<&(Uuid, String, i64)> = ranked
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != big)
        .map(|(_, t)| t)
        .collect();
    let mut out = Vec::with_capacity(count);
    if let Some(b) = ranked.get(big) {
        out.push(b.clone());
    }
    let want = count - 1;
    for k in 0..want.min(others.len()) {
        out.push(others[k * others.len() / want].clone());
    }
    out
}

/// What staff type into the search box: a word of a real name, one time in five with a typo.
fn search_term(rng: &mut StdRng, name: &str) -> String {
    if rng.gen_bool(0.2)
        && let Some(t) = names::typo_fragment(rng, name)
    {
        return t;
    }
    let words: Vec<&str> = name
        .split_whitespace()
        .filter(|w| w.chars().count() >= 5 && w.chars().all(char::is_alphabetic))
        .collect();
    match words.len() {
        0 => name.chars().take(12).collect(),
        n => words[rng.gen_range(0..n)].to_lowercase(),
    }
}

/// Staff per tenant grow with the square root of its clients: a company ten times larger has
/// about three times the sales and support people.
fn roster(tenants: &[Tenant], rng: &mut StdRng) -> Vec<usize> {
    let weights: Vec<(usize, u32)> = tenants
        .iter()
        .enumerate()
        .map(|(i, t)| (i, ((t.live_clients.max(1) as f64).sqrt() * 10.0) as u32 + 1))
        .collect();
    (0..4096)
        .map(|_| names::weighted(rng, &weights).1)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranked(n: usize) -> Vec<(Uuid, String, i64)> {
        (0..n)
            .map(|i| {
                let slug = if i == 3 {
                    seed::BIG_SLUG.to_owned()
                } else {
                    format!("t{i:05}")
                };
                (Uuid::new_v4(), slug, (n - i) as i64)
            })
            .collect()
    }

    #[test]
    fn desks_are_found_by_their_number() {
        assert_eq!(desk_number("Loadtest desk 1"), Some(1));
        assert_eq!(desk_number("Loadtest desk 0"), Some(0));
        assert_eq!(desk_number("Loadtest desk one"), None);
        assert_eq!(desk_number("Acme desk 1"), None);
    }

    #[test]
    fn big_first_then_spread_over_the_ranking() {
        let all = ranked(1000);
        let chosen = choose(&all, 100);
        assert_eq!(chosen.len(), 100);
        assert_eq!(chosen[0].1, seed::BIG_SLUG);
        let slugs: std::collections::HashSet<&str> = chosen.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(slugs.len(), 100);
        // From the largest to (nearly) the smallest.
        assert!(slugs.contains("t00000"));
        let last = chosen.iter().map(|t| t.2).min().unwrap_or(i64::MAX);
        assert!(last <= 20, "the smallest chosen has {last} clients");
        assert_eq!(choose(&all, 5000).len(), 1000);
        assert_eq!(choose(&all, 1).len(), 1);
    }
}
