//! `seed-large`: 1,000 tenants, 1,000,000 clients and 10,000,000 timeline events (by default)
//! into a scratch database, through `COPY ... FROM STDIN` (text format) in large chunks.
//!
//! The data is planned in memory from a seed first (who, when, how many), then written in time
//! order, as a real system would have appended it: clients by `created_at` across all tenants,
//! timeline events by `event_date`. Tax ids are encrypted with each tenant's real data key, so
//! the API reads them back; `search_text` is computed exactly as the API computes it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::Args;
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};
use serde::Serialize;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, PgConnection, PgPool};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::copyfmt::Row;
use crate::names;

/// The slug of the tenant the benchmark signs in to.
pub const BIG_SLUG: &str = "big";
/// Every seeded owner's password (local load tests only).
pub const PASSWORD: &str = "loadtest-owner-password";
/// The master key that wraps the seeded tenants' data keys: a fixed, public, load-test-only key
/// (base64 of `loadtest-master-key-not-secret!!`), so `clients-bench` can start an API that
/// decrypts what `seed-large` encrypted.
pub const MASTER_KEYS: &str = "loadtest:bG9hZHRlc3QtbWFzdGVyLWtleS1ub3Qtc2VjcmV0ISE=";
/// Default database of `seed-large` and `clients-bench`.
pub const DEFAULT_DATABASE: &str = "crm_large";

pub fn owner_email(slug: &str) -> String {
    format!("owner@{slug}.example")
}

const DAY_MS: i64 = 86_400_000;
const SPAN_MS: i64 = 3 * 365 * DAY_MS;
/// Bytes of COPY data per message.
const CHUNK: usize = 4 << 20;

#[derive(Args, Clone)]
pub struct SeedLarge {
    /// Database to fill (created and migrated when missing).
    #[arg(long, default_value = DEFAULT_DATABASE)]
    pub database: String,
    /// Drop the database first and start over.
    #[arg(long)]
    pub drop: bool,
    /// Tenants, each with an owner user.
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub tenants: u32,
    /// Clients over all tenants.
    #[arg(long, default_value_t = 1_000_000)]
    pub clients: u32,
    /// Clients of the big tenant (slug `big`) that `clients-bench` signs in to.
    #[arg(long, default_value_t = 20_000)]
    pub big_clients: u32,
    /// Timeline events over all clients (at least one `client.created` per client).
    #[arg(long, default_value_t = 10_000_000)]
    pub events: u64,
    /// Share of clients with an (encrypted) CIF.
    #[arg(long, default_value_t = 0.6)]
    pub tax_id_share: f64,
    /// Seed of the generator: the same seed gives the same data.
    #[arg(long, default_value_t = 20_261_125)]
    pub seed: u64,
    /// Keep the secondary indexes during the load instead of dropping and rebuilding them.
    #[arg(long)]
    pub keep_indexes: bool,
    /// Master keys (`id:base64`) that wrap the tenants' data keys; clients-bench must get the same.
    #[arg(long, default_value = MASTER_KEYS)]
    pub master_keys: String,
    /// Postgres on this machine (superuser `postgres`, trust auth).
    #[arg(long, default_value = "127.0.0.1:5432")]
    pub pg_addr: String,
    /// Directory that receives seed-large.json and seed-large.md.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/results"))]
    pub out: PathBuf,
}

pub fn check_database_name(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    anyhow::ensure!(ok, "--database must match [a-z_][a-z0-9_]*, got {name}");
    anyhow::ensure!(
        !matches!(name, "postgres" | "crm" | "template0" | "template1"),
        "refusing to use database {name}"
    );
    Ok(())
}

pub fn url(pg_addr: &str, user: &str, database: &str) -> String {
    format!("postgres://{user}@{pg_addr}/{database}")
}

/// One timed step of the load.
#[derive(Debug, Serialize)]
pub struct Phase {
    pub name: String,
    pub rows: u64,
    pub seconds: f64,
    pub rows_per_s: f64,
}

#[derive(Debug, Serialize)]
struct SeedReport {
    benchmark: &'static str,
    unix_time: u64,
    cpus: usize,
    database: String,
    tenants: u32,
    clients: u64,
    events: u64,
    big_tenant_slug: &'static str,
    big_tenant_clients: u32,
    big_tenant_events: u64,
    largest_other_tenant_clients: u32,
    smallest_tenant_clients: u32,
    seed: u64,
    secondary_indexes: &'static str,
    phases: Vec<Phase>,
    total_seconds: f64,
    sizes: Vec<(String, String)>,
}

// ---------------------------------------------------------------------------------------------
// The plan: who exists, when, and how much history each client has.

struct TenantPlan {
    id: Uuid,
    slug: String,
    name: String,
    owner: Uuid,
    created_ms: i64,
    clients: u32,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Lead,
    Client,
    Inactive,
    Lost,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Self::Lead => "lead",
            Self::Client => "client",
            Self::Inactive => "inactive",
            Self::Lost => "lost",
        }
    }
}

struct ClientPlan {
    id: Uuid,
    tenant: u32,
    created_ms: i64,
    status: Status,
    has_owner: bool,
    converted_ms: Option<i64>,
    deleted_ms: Option<i64>,
    last_contact_ms: Option<i64>,
    updated_ms: i64,
    name: Box<str>,
}

/// Event kinds: the dotted type, its weight among the optional events, and whether it counts as
/// contact with the client (for `last_contact_at`).
const KINDS: &[(&str, u32, bool)] = &[
    ("client.created", 0, false),
    ("client.converted", 0, false),
    ("client.deleted", 0, false),
    ("client.updated", 8, false),
    ("communication.sent", 22, true),
    ("communication.received", 14, true),
    ("call.logged", 10, true),
    ("meeting.held", 5, true),
    ("note.added", 8, false),
    ("proposal.sent", 5, false),
    ("proposal.accepted", 2, false),
    ("opportunity.stage_changed", 6, false),
    ("ticket.opened", 6, false),
    ("ticket.closed", 5, false),
    ("ticket.sla_breached", 1, false),
    ("invoice.issued", 5, false),
    ("payment.received", 4, false),
    ("campaign.email_opened", 6, true),
];
const K_CREATED: u8 = 0;
const K_CONVERTED: u8 = 1;
const K_DELETED: u8 = 2;

#[derive(Clone, Copy)]
struct EventPlan {
    date_ms: i64,
    client: u32,
    kind: u8,
}

struct Plan {
    now_ms: i64,
    tenants: Vec<TenantPlan>,
    clients: Vec<ClientPlan>,
    events: Vec<EventPlan>,
}

fn v7<R: RngCore>(rng: &mut R, ms: i64) -> Uuid {
    let mut random = [0u8; 10];
    rng.fill_bytes(&mut random);
    uuid::Builder::from_unix_timestamp_millis(ms.max(0) as u64, &random).into_uuid()
}

/// Clients per tenant: the big one gets its fixed share; the rest follow a Zipf-like curve
/// (weight 1/(rank+20)^1.2), so a few tenants are large and most are small.
fn tenant_sizes(tenants: u32, clients: u32, big: u32) -> Vec<u32> {
    let big = big.min(clients);
    let mut sizes = vec![big];
    let others = tenants as usize - 1;
    if others == 0 {
        sizes[0] = clients;
        return sizes;
    }
    let rest = f64::from(clients - big);
    let weights: Vec<f64> = (0..others)
        .map(|i| 1.0 / (i as f64 + 20.0).powf(1.2))
        .collect();
    let total: f64 = weights.iter().sum();
    let exact: Vec<f64> = weights.iter().map(|w| rest * w / total).collect();
    let mut floors: Vec<u32> = exact.iter().map(|x| x.floor() as u32).collect();
    let mut missing = (clients - big) - floors.iter().sum::<u32>();
    // Largest remainders first.
    let mut order: Vec<usize> = (0..others).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .partial_cmp(&(exact[a] - exact[a].floor()))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    for &i in order.iter().cycle() {
        if missing == 0 {
            break;
        }
        floors[i] += 1;
        missing -= 1;
    }
    sizes.extend(floors);
    sizes
}

fn plan(args: &SeedLarge, now_ms: i64) -> Plan {
    let mut rng = StdRng::seed_from_u64(args.seed);
    let start_ms = now_ms - SPAN_MS;
    let sizes = tenant_sizes(args.tenants, args.clients, args.big_clients);
    let tenants: Vec<TenantPlan> = sizes
        .iter()
        .enumerate()
        .map(|(i, &clients)| {
            let created_ms = start_ms - rng.gen_range(DAY_MS..60 * DAY_MS);
            let (slug, name) = if i == 0 {
                (
                    BIG_SLUG.to_owned(),
                    "Gran Distribuidora Ibérica S.A.".to_owned(),
                )
            } else {
                (format!("t{i:05}"), names::company_name(&mut rng))
            };
            TenantPlan {
                id: v7(&mut rng, created_ms),
                owner: v7(&mut rng, created_ms + 1000),
                slug,
                name,
                created_ms,
                clients,
            }
        })
        .collect();

    // When each client was created: more recently more often (density grows like t^0.5).
    let mut slots: Vec<(i64, u32)> = Vec::with_capacity(args.clients as usize);
    for (t, tenant) in tenants.iter().enumerate() {
        for _ in 0..tenant.clients {
            let frac = rng.gen_range(0.0f64..1.0).powf(1.0 / 1.5);
            let created = start_ms + (frac * (SPAN_MS - DAY_MS) as f64) as i64;
            slots.push((created.max(tenant.created_ms + DAY_MS), t as u32));
        }
    }
    slots.sort_unstable();

    let mut clients: Vec<ClientPlan> = slots
        .into_iter()
        .map(|(created_ms, tenant)| {
            let (_, status) = names::weighted(&mut rng, names::STATUSES);
            let status = match status {
                "lead" => Status::Lead,
                "client" => Status::Client,
                "inactive" => Status::Inactive,
                _ => Status::Lost,
            };
            let age = now_ms - created_ms;
            let converted_ms = (status == Status::Client)
                .then(|| created_ms + rng.gen_range(0..age.clamp(1, 180 * DAY_MS)));
            let deleted = matches!(status, Status::Inactive | Status::Lost) && rng.gen_ratio(2, 25);
            ClientPlan {
                id: v7(&mut rng, created_ms),
                tenant,
                created_ms,
                status,
                has_owner: rng.gen_bool(0.8),
                converted_ms,
                deleted_ms: deleted.then_some(0),
                last_contact_ms: None,
                updated_ms: created_ms,
                name: names::company_name(&mut rng).into_boxed_str(),
            }
        })
        .collect();

    // Every client has its `client.created` event (and `converted`/`deleted` when they apply);
    // the other events are shared out by age and an exponential "how busy" factor.
    let mandatory: u64 = clients
        .iter()
        .map(|c| 1 + u64::from(c.converted_ms.is_some()) + u64::from(c.deleted_ms.is_some()))
        .sum();
    let extra = args.events.saturating_sub(mandatory);
    let weights: Vec<f64> = clients
        .iter()
        .map(|c| {
            let age = (now_ms - c.created_ms) as f64 / SPAN_MS as f64;
            (0.3 + 0.7 * age) * -(1.0 - rng.gen_range(0.0f64..1.0)).ln()
        })
        .collect();
    let total_w: f64 = weights.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    let mut counts: Vec<u32> = weights
        .iter()
        .map(|w| (extra as f64 * w / total_w).floor() as u32)
        .collect();
    let mut missing = extra.saturating_sub(counts.iter().map(|&c| u64::from(c)).sum());
    while missing > 0 && !counts.is_empty() {
        let i = rng.gen_range(0..counts.len());
        counts[i] += 1;
        missing -= 1;
    }

    let optional: Vec<(u8, u32)> = KINDS
        .iter()
        .enumerate()
        .filter(|(_, (_, w, _))| *w > 0)
        .map(|(i, (_, w, _))| (i as u8, *w))
        .collect();
    let mut events: Vec<EventPlan> = Vec::with_capacity((mandatory + extra) as usize);
    for (i, c) in clients.iter_mut().enumerate() {
        let client = i as u32;
        events.push(EventPlan {
            date_ms: c.created_ms,
            client,
            kind: K_CREATED,
        });
        if let Some(at) = c.converted_ms {
            events.push(EventPlan {
                date_ms: at,
                client,
                kind: K_CONVERTED,
            });
        }
        let mut last = c.converted_ms.unwrap_or(c.created_ms);
        for _ in 0..counts[i] {
            let date_ms = rng.gen_range(c.created_ms..now_ms.max(c.created_ms + 1));
            let (_, kind) = names::weighted(&mut rng, &optional);
            if KINDS[kind as usize].2 {
                c.last_contact_ms = Some(c.last_contact_ms.map_or(date_ms, |l| l.max(date_ms)));
            }
            last = last.max(date_ms);
            events.push(EventPlan {
                date_ms,
                client,
                kind,
            });
        }
        if c.deleted_ms.is_some() {
            // Deleted some time after the last thing that happened, before now.
            let at = rng.gen_range(last..=now_ms.max(last));
            c.deleted_ms = Some(at);
            last = at;
            events.push(EventPlan {
                date_ms: at,
                client,
                kind: K_DELETED,
            });
        }
        c.updated_ms = last;
    }
    events.sort_unstable_by_key(|e| (e.date_ms, e.client));
    Plan {
        now_ms,
        tenants,
        clients,
        events,
    }
}

// ---------------------------------------------------------------------------------------------
// Writing rows.

fn write_tenants(plan: &Plan, hash: &str) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let (mut t, mut u, mut r) = (Vec::new(), Vec::new(), Vec::new());
    let owner_role = domain::BuiltinRole::Owner.name();
    for tenant in &plan.tenants {
        Row::new(&mut t)
            .uuid(tenant.id)
            .text(&tenant.slug)
            .text(&tenant.name)
            .text("active")
            .text("Europe/Madrid")
            .text("EUR")
            .text("es")
            .time_ms(tenant.created_ms)
            .time_ms(tenant.created_ms)
            .end();
        Row::new(&mut u)
            .uuid(tenant.id)
            .uuid(tenant.owner)
            .text(&owner_email(&tenant.slug))
            .text("Owner")
            .text(hash)
            .text("active")
            .time_ms(tenant.created_ms)
            .time_ms(tenant.created_ms)
            .end();
        Row::new(&mut r)
            .uuid(tenant.id)
            .uuid(tenant.owner)
            .text(owner_role)
            .end();
    }
    (t, u, r)
}

const CLIENT_COLUMNS: &str = "tenant_id, id, company_name, tax_id_cipher, tax_id_hash, tax_id_country, emails, \
     phones, sector, address, website, status, owner_id, source, tags, custom_fields, search_text, \
     converted_at, converted_by, last_contact_at, created_at, updated_at, deleted_at";

fn write_client<R: Rng>(
    rng: &mut R,
    buf: &mut Vec<u8>,
    plan: &Plan,
    c: &ClientPlan,
    cipher: &db::crypto::TenantCipher,
    tax_id_share: f64,
) {
    let tenant = &plan.tenants[c.tenant as usize];
    let city = rng.gen_range(0..names::CITIES.len());
    let province = names::CITIES[city].1;
    let domain = names::domain_of(rng, &c.name);
    let emails = names::emails(rng, &domain);
    let phones = names::phones(rng, province);
    let sector = rng
        .gen_bool(0.95)
        .then(|| names::weighted(rng, names::SECTORS).1);
    let address = rng
        .gen_bool(0.85)
        .then(|| names::address(rng, city).to_string());
    let website = rng.gen_bool(0.55).then(|| format!("https://www.{domain}"));
    let (_, source) = names::weighted(rng, names::SOURCES);
    let mut tags: Vec<&str> = names::TAGS
        .iter()
        .filter(|(_, p)| rng.gen_bool(*p))
        .map(|(t, _)| *t)
        .collect();
    tags.sort_unstable();
    let tax = rng
        .gen_bool(tax_id_share)
        .then(|| names::cif(rng, province));
    // Exactly what the API stores (crates/services/src/clients.rs, `apply`).
    let search_text = domain::normalize_for_search(&format!(
        "{} {} {}",
        c.name,
        emails.join(" "),
        phones.join(" ")
    ));
    let owner = c.has_owner.then_some(tenant.owner);
    let mut row = Row::new(buf);
    row.uuid(tenant.id).uuid(c.id).text(&c.name);
    match &tax {
        Some(t) => row
            .bytea(&cipher.encrypt(t))
            .bytea(&cipher.blind_index(t))
            .text("ES"),
        None => row.null().null().null(),
    };
    row.text_array(&emails)
        .text_array(&phones)
        .opt_text(sector)
        .opt_text(address.as_deref())
        .opt_text(website.as_deref())
        .text(c.status.as_str())
        .opt_uuid(owner)
        .text(source)
        .text_array(&tags)
        .text("{}")
        .text(&search_text)
        .opt_time_ms(c.converted_ms)
        .opt_uuid(c.converted_ms.and(Some(tenant.owner)))
        .opt_time_ms(c.last_contact_ms)
        .time_ms(c.created_ms)
        .time_ms(c.updated_ms)
        .opt_time_ms(c.deleted_ms)
        .end();
}

const EVENT_COLUMNS: &str = "tenant_id, id, client_id, event_type, description, event_date, actor_type, actor_id, \
     entity_type, entity_id, payload";

const SUBJECTS: &[&str] = &[
    "Presupuesto solicitado",
    "Seguimiento de la oferta",
    "Factura pendiente",
    "Renovación del contrato",
    "Consulta sobre el pedido",
    "Cambio de dirección de entrega",
    "Propuesta de colaboración",
    "Incidencia en la instalación",
    "Confirmación de la reunión",
    "Catálogo 2025",
    "Condiciones de pago",
    "Alta de nuevo contacto",
];
const STAGES: &[&str] = &[
    "prospecting",
    "qualified",
    "proposal",
    "negotiation",
    "won",
    "lost",
];
const INTEGRATIONS: &[&str] = &["gmail", "outlook", "holded", "stripe", "zendesk"];

fn write_event<R: Rng>(rng: &mut R, buf: &mut Vec<u8>, plan: &Plan, e: &EventPlan) {
    let c = &plan.clients[e.client as usize];
    let tenant = &plan.tenants[c.tenant as usize];
    let kind = KINDS[e.kind as usize].0;
    let id = v7(rng, e.date_ms);
    let subject = SUBJECTS[rng.gen_range(0..SUBJECTS.len())];
    let n = rng.gen_range(1..100_000u32);
    let client_id = c.id.to_string();
    let (description, entity_type, entity_id, payload): (String, &str, String, String) =
        match e.kind {
            K_CREATED => (
                format!("{} was created as lead", c.name),
                "client",
                client_id,
                r#"{"status": "lead"}"#.to_owned(),
            ),
            K_CONVERTED => (
                format!("{} became a client", c.name),
                "client",
                client_id,
                format!(r#"{{"converted_by": "{}"}}"#, tenant.owner),
            ),
            K_DELETED => (
                format!("{} was deleted", c.name),
                "client",
                client_id,
                "{}".to_owned(),
            ),
            _ => match kind {
                "client.updated" => (
                    format!("{} was updated: phones, tags", c.name),
                    "client",
                    client_id,
                    r#"{"changed": ["phones", "tags"]}"#.to_owned(),
                ),
                "communication.sent" | "communication.received" | "campaign.email_opened" => (
                    format!("E-mail: {subject}"),
                    "email",
                    format!("msg-{n}"),
                    format!(r#"{{"channel": "email", "subject": "{subject}"}}"#),
                ),
                "call.logged" => (
                    format!("Call: {subject}"),
                    "call",
                    format!("call-{n}"),
                    format!(
                        r#"{{"direction": "outbound", "duration_s": {}}}"#,
                        rng.gen_range(20..1800)
                    ),
                ),
                "meeting.held" => (
                    format!("Meeting: {subject}"),
                    "meeting",
                    format!("mtg-{n}"),
                    r#"{"attendees": 3}"#.to_owned(),
                ),
                "note.added" => (
                    format!("Note: {subject}"),
                    "note",
                    format!("note-{n}"),
                    "{}".to_owned(),
                ),
                "proposal.sent" | "proposal.accepted" => (
                    format!("Proposal P-{n}"),
                    "proposal",
                    format!("P-{n}"),
                    format!(r#"{{"amount_eur": {}}}"#, rng.gen_range(300..90_000)),
                ),
                "opportunity.stage_changed" => {
                    let stage = STAGES[rng.gen_range(0..STAGES.len())];
                    (
                        format!("Opportunity O-{n} moved to {stage}"),
                        "opportunity",
                        format!("O-{n}"),
                        format!(r#"{{"stage": "{stage}"}}"#),
                    )
                }
                "ticket.opened" | "ticket.closed" | "ticket.sla_breached" => (
                    format!("Ticket T-{n}: {subject}"),
                    "ticket",
                    format!("T-{n}"),
                    format!(
                        r#"{{"priority": "{}"}}"#,
                        ["baja", "media", "alta"][rng.gen_range(0..3)]
                    ),
                ),
                _ => (
                    format!("Invoice F-{n}"),
                    "invoice",
                    format!("F-{n}"),
                    format!(r#"{{"amount_eur": {}}}"#, rng.gen_range(50..40_000)),
                ),
            },
        };
    let owner = tenant.owner.to_string();
    let (actor_type, actor_id): (&str, Option<&str>) = match rng.gen_range(0..10) {
        0..=5 => ("user", Some(&owner)),
        6..=7 => ("system", None),
        8 => ("automation", Some("workflow-follow-up")),
        _ => (
            "integration",
            Some(INTEGRATIONS[rng.gen_range(0..INTEGRATIONS.len())]),
        ),
    };
    Row::new(buf)
        .uuid(tenant.id)
        .uuid(id)
        .uuid(c.id)
        .text(kind)
        .text(&description)
        .time_ms(e.date_ms)
        .text(actor_type)
        .opt_text(actor_id)
        .text(entity_type)
        .text(&entity_id)
        .text(&payload)
        .end();
}

// ---------------------------------------------------------------------------------------------
// The load.

async fn connect(url: &str, max: u32) -> anyhow::Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(|conn, _| {
            Box::pin(async move {
                sqlx::raw_sql("SET synchronous_commit = off")
                    .execute(conn)
                    .await?;
                Ok(())
            })
        })
        .connect(url)
        .await
        .with_context(|| format!("cannot connect to {url}"))
}

/// Where the `seed-large` data set is and how to open it: the arguments every benchmark on it
/// shares.
#[derive(clap::Args)]
pub struct Seeded {
    /// Database filled by `seed-large`.
    #[arg(long, default_value = DEFAULT_DATABASE)]
    pub database: String,
    /// The master keys `seed-large` used.
    #[arg(long, default_value = MASTER_KEYS)]
    pub master_keys: String,
    /// Postgres on this machine (superuser `postgres` and `crm_app`, trust auth).
    #[arg(long, default_value = "127.0.0.1:5432")]
    pub pg_addr: String,
    /// Redis on this machine.
    #[arg(long, default_value = "127.0.0.1:6379")]
    pub redis_addr: String,
}

impl Seeded {
    /// Benchmarks only ever run against this machine's services.
    pub fn ensure_local(&self) -> anyhow::Result<()> {
        crate::ensure_local(&self.pg_addr, "--pg-addr")?;
        crate::ensure_local(&self.redis_addr, "--redis-addr")
    }
}

/// A connection (as `postgres`) to a database `seed-large` filled to the end, and what it
/// recorded about the data set.
pub async fn open_seeded(
    pg_addr: &str,
    database: &str,
) -> anyhow::Result<(sqlx::PgPool, serde_json::Value)> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&url(pg_addr, "postgres", database))
        .await
        .with_context(|| format!("cannot connect to database {database}: run seed-large first"))?;
    let info: serde_json::Value =
        sqlx::query_scalar("SELECT info FROM loadtest_seed_info WHERE id = 1")
            .fetch_optional(&pool)
            .await
            .ok()
            .flatten()
            .with_context(|| {
                format!(
                    "database {database} was not seeded to the end: run seed-large (with --drop)"
                )
            })?;
    Ok((pool, info))
}

async fn loader_connection(url: &str) -> anyhow::Result<PgConnection> {
    let options: PgConnectOptions = url.parse()?;
    let mut conn = options.connect().await?;
    // Bulk-load settings of this session only: no waiting for WAL flushes; foreign-key
    // triggers off (the generator writes consistent rows); big sorts for index builds.
    sqlx::raw_sql(
        "SET synchronous_commit = off; SET session_replication_role = replica; \
         SET maintenance_work_mem = '1GB'; SET statement_timeout = 0",
    )
    .execute(&mut conn)
    .await?;
    Ok(conn)
}

/// Creates (or re-creates with `--drop`) the database and runs the migrations.
pub async fn prepare_database(
    pg_addr: &str,
    database: &str,
    drop_first: bool,
) -> anyhow::Result<PgPool> {
    let admin = connect(&url(pg_addr, "postgres", "postgres"), 1).await?;
    if drop_first {
        sqlx::query(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {database} WITH (FORCE)"
        )))
        .execute(&admin)
        .await?;
    }
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(database)
            .fetch_one(&admin)
            .await?;
    if !exists {
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {database}")))
            .execute(&admin)
            .await
            .with_context(|| format!("cannot create database {database}"))?;
    }
    admin.close().await;
    let pool = connect(&url(pg_addr, "postgres", database), 8).await?;
    db::migrate::run(&pool, &worker::queue::migrations())
        .await
        .context("migrations failed")?;
    Ok(pool)
}

struct Timer {
    phases: Vec<Phase>,
}

impl Timer {
    fn record(&mut self, name: &str, rows: u64, started: Instant) {
        let seconds = started.elapsed().as_secs_f64();
        let rows_per_s = if seconds > 0.0 {
            rows as f64 / seconds
        } else {
            0.0
        };
        eprintln!(
            "  {name}: {rows} rows in {seconds:.1} s ({})",
            if rows > 0 {
                format!("{rows_per_s:.0} rows/s")
            } else {
                "-".to_owned()
            }
        );
        self.phases.push(Phase {
            name: name.to_owned(),
            rows,
            seconds,
            rows_per_s,
        });
    }
}

/// Streams COPY data produced by `produce` (on a thread of its own) into `statement`, in one
/// transaction that first truncates `truncate` so the rows can be written frozen.
async fn copy_stream<F>(
    conn: &mut PgConnection,
    truncate: &str,
    statement: &str,
    total_rows: u64,
    label: &'static str,
    produce: F,
) -> anyhow::Result<u64>
where
    F: FnOnce(&mpsc::Sender<(Vec<u8>, u64)>) + Send + 'static,
{
    let (tx, mut rx) = mpsc::channel::<(Vec<u8>, u64)>(4);
    let producer = std::thread::spawn(move || produce(&tx));
    let mut txn = conn.begin().await?;
    sqlx::raw_sql(AssertSqlSafe(truncate.to_owned()))
        .execute(&mut *txn)
        .await?;
    let mut copy = txn.copy_in_raw(statement).await?;
    let started = Instant::now();
    let mut last_report = Instant::now();
    let mut rows = 0u64;
    while let Some((chunk, n)) = rx.recv().await {
        copy.send(chunk).await?;
        rows += n;
        if last_report.elapsed() >= Duration::from_secs(15) {
            last_report = Instant::now();
            let s = started.elapsed().as_secs_f64();
            eprintln!(
                "    {label}: {rows}/{total_rows} rows, {:.0} rows/s",
                rows as f64 / s
            );
        }
    }
    let copied = copy.finish().await?;
    txn.commit().await?;
    producer
        .join()
        .map_err(|_| anyhow::anyhow!("the {label} generator panicked"))?;
    anyhow::ensure!(
        copied == rows,
        "{label}: COPY reported {copied} rows, generated {rows}"
    );
    Ok(copied)
}

/// A secondary index dropped for the load, to rebuild after it.
struct SavedIndex {
    name: String,
    definition: String,
}

async fn drop_secondary_indexes(conn: &mut PgConnection) -> anyhow::Result<Vec<SavedIndex>> {
    // Indexes that back no constraint (primary keys and unique constraints stay).
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.relname::text, pg_get_indexdef(i.indexrelid)
           FROM pg_index i
           JOIN pg_class c ON c.oid = i.indexrelid
           JOIN pg_class t ON t.oid = i.indrelid
          WHERE t.relnamespace = 'public'::regnamespace
            AND t.relname IN ('clients', 'timeline_events', 'search_vocabulary')
            AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
          ORDER BY (c.relname LIKE '%search%' OR c.relname LIKE '%words%') DESC,
                   t.relname DESC, c.relname",
    )
    .fetch_all(&mut *conn)
    .await?;
    // Kept in the database too, so an interrupted load can be repaired by hand.
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS loadtest_dropped_indexes (name text PRIMARY KEY, definition text NOT NULL)",
    )
    .execute(&mut *conn)
    .await?;
    let mut saved = Vec::new();
    for (name, definition) in rows {
        sqlx::query("INSERT INTO loadtest_dropped_indexes VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(&name)
            .bind(&definition)
            .execute(&mut *conn)
            .await?;
        sqlx::query(AssertSqlSafe(format!("DROP INDEX public.\"{name}\"")))
            .execute(&mut *conn)
            .await?;
        saved.push(SavedIndex { name, definition });
    }
    Ok(saved)
}

/// Rebuilds the dropped indexes on two connections at once (biggest first).
async fn rebuild_indexes(db_url: &str, saved: Vec<SavedIndex>) -> anyhow::Result<()> {
    let queue = Arc::new(std::sync::Mutex::new(
        saved.into_iter().collect::<std::collections::VecDeque<_>>(),
    ));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..2 {
        let queue = queue.clone();
        let db_url = db_url.to_owned();
        workers.spawn(async move {
            let mut conn = loader_connection(&db_url).await?;
            loop {
                let next = queue
                    .lock()
                    .map_err(|_| anyhow::anyhow!("poisoned"))?
                    .pop_front();
                let Some(index) = next else { break };
                let started = Instant::now();
                sqlx::raw_sql(AssertSqlSafe(index.definition.clone()))
                    .execute(&mut conn)
                    .await
                    .with_context(|| format!("cannot rebuild {}", index.name))?;
                sqlx::query("DELETE FROM loadtest_dropped_indexes WHERE name = $1")
                    .bind(&index.name)
                    .execute(&mut conn)
                    .await?;
                eprintln!(
                    "    index {} in {:.1} s",
                    index.name,
                    started.elapsed().as_secs_f64()
                );
            }
            anyhow::Ok(())
        });
    }
    while let Some(done) = workers.join_next().await {
        done??;
    }
    Ok(())
}

async fn data_keys(
    pool: &PgPool,
    tenants: &[TenantPlan],
    master: &db::crypto::MasterKeys,
) -> anyhow::Result<Vec<db::crypto::TenantCipher>> {
    let mut set = tokio::task::JoinSet::new();
    let mut out: Vec<Option<db::crypto::TenantCipher>> = (0..tenants.len()).map(|_| None).collect();
    let mut next = 0usize;
    loop {
        while set.len() < 6 && next < tenants.len() {
            let (i, id, pool, master) = (next, tenants[next].id, pool.clone(), master.clone());
            set.spawn(async move {
                let mut tx = db::TenantTx::begin(&pool, id).await?;
                let cipher = db::crypto::tenant_cipher(&mut tx, &master).await?;
                tx.commit().await?;
                anyhow::Ok((i, cipher))
            });
            next += 1;
        }
        match set.join_next().await {
            Some(done) => {
                let (i, cipher) = done??;
                out[i] = Some(cipher);
            }
            None => break,
        }
    }
    out.into_iter()
        .map(|c| c.context("a tenant has no data key"))
        .collect()
}

/// Reads a sample back as the API would (as `crm_app`, one tenant at a time): each sampled
/// tenant sees exactly its own clients, tax ids decrypt to valid CIFs whose keyed hashes match,
/// and `search_text` is what the API would compute. Returns the rows checked.
async fn verify(
    app_url: &str,
    plan: &Plan,
    ciphers: &[db::crypto::TenantCipher],
) -> anyhow::Result<u64> {
    type Sample = (Vec<u8>, Vec<u8>, String, String, Vec<String>, Vec<String>);
    let es = domain::CountryCode::parse("ES").map_err(|e| anyhow::anyhow!("{e}"))?;
    let options: PgConnectOptions = app_url.parse()?;
    let mut conn = options.connect().await?;
    let step = (plan.tenants.len() / 25).max(1);
    let mut checked = 0u64;
    for (i, tenant) in plan.tenants.iter().enumerate().step_by(step) {
        let mut tx = conn.begin().await?;
        sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
            .bind(tenant.id.to_string())
            .execute(&mut *tx)
            .await?;
        let visible: i64 = sqlx::query_scalar("SELECT count(*) FROM clients")
            .fetch_one(&mut *tx)
            .await?;
        anyhow::ensure!(
            visible == i64::from(tenant.clients),
            "tenant {} sees {visible} clients, expected {}",
            tenant.slug,
            tenant.clients
        );
        let rows: Vec<Sample> = sqlx::query_as(
            "SELECT tax_id_cipher, tax_id_hash, search_text, company_name, emails, phones
               FROM clients WHERE tax_id_cipher IS NOT NULL LIMIT 20",
        )
        .fetch_all(&mut *tx)
        .await?;
        for (sealed, hash, search_text, name, emails, phones) in rows {
            let plain = ciphers[i].decrypt(&sealed)?;
            let tax = domain::TaxId::parse(es, &plain)
                .map_err(|e| anyhow::anyhow!("stored tax id {plain} is invalid: {e}"))?;
            anyhow::ensure!(tax.kind() == domain::TaxIdKind::Cif && tax.as_str() == plain);
            anyhow::ensure!(
                ciphers[i].blind_index(&plain) == hash,
                "tax id hash mismatch"
            );
            let want = domain::normalize_for_search(&format!(
                "{name} {} {}",
                emails.join(" "),
                phones.join(" ")
            ));
            anyhow::ensure!(search_text == want, "search_text of {name} differs");
            checked += 1;
        }
        tx.rollback().await?;
    }
    conn.close().await?;
    Ok(checked)
}

fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

pub async fn run(args: SeedLarge) -> anyhow::Result<()> {
    crate::ensure_local(&args.pg_addr, "--pg-addr")?;
    check_database_name(&args.database)?;
    anyhow::ensure!(
        (0.0..=1.0).contains(&args.tax_id_share),
        "--tax-id-share must be within 0..=1"
    );
    anyhow::ensure!(args.clients >= 1, "--clients must be at least 1");
    let master = db::crypto::MasterKeys::parse(&args.master_keys)?;
    let all = Instant::now();
    let mut timer = Timer { phases: Vec::new() };

    let started = Instant::now();
    let pool = prepare_database(&args.pg_addr, &args.database, args.drop).await?;
    let existing: i64 = sqlx::query_scalar("SELECT count(*) FROM tenants")
        .fetch_one(&pool)
        .await?;
    anyhow::ensure!(
        existing == 0,
        "database {} already holds {existing} tenants: use it as it is, or pass --drop to start over",
        args.database
    );
    timer.record("create and migrate the database", 0, started);

    let started = Instant::now();
    let plan = Arc::new(plan(&args, unix_ms()));
    let n_events = plan.events.len() as u64;
    timer.record("plan in memory (who, when, how many)", n_events, started);
    let big_events = plan
        .events
        .iter()
        .filter(|e| plan.clients[e.client as usize].tenant == 0)
        .count() as u64;

    let db_url = url(&args.pg_addr, "postgres", &args.database);
    let mut conn = loader_connection(&db_url).await?;

    // Tenants, owners and their role, with one argon2id hash shared by every owner.
    let started = Instant::now();
    let hash = api::auth::password::hash(PASSWORD.to_owned()).await?;
    let (t, u, r) = write_tenants(&plan, &hash);
    for (statement, data) in [
        (
            "COPY tenants (id, slug, name, status, time_zone, currency, locale, created_at, updated_at) FROM STDIN",
            t,
        ),
        (
            "COPY users (tenant_id, id, email, display_name, password_hash, status, created_at, updated_at) FROM STDIN",
            u,
        ),
        (
            "COPY user_roles (tenant_id, user_id, role_name) FROM STDIN",
            r,
        ),
    ] {
        let mut copy = conn.copy_in_raw(statement).await?;
        copy.send(data).await?;
        copy.finish().await?;
    }
    timer.record(
        "tenants, owners, roles (COPY)",
        3 * u64::from(args.tenants),
        started,
    );

    let started = Instant::now();
    // As `crm_app`, so row-level security confines `tenant_cipher` to each tenant: as the
    // superuser it would see (and reuse) the first tenant's key for every tenant.
    let app_pool = connect(&url(&args.pg_addr, "crm_app", &args.database), 6).await?;
    let ciphers = Arc::new(data_keys(&app_pool, &plan.tenants, &master).await?);
    app_pool.close().await;
    timer.record(
        "tenant data keys (tenant_cipher)",
        u64::from(args.tenants),
        started,
    );

    let saved = if args.keep_indexes {
        Vec::new()
    } else {
        let started = Instant::now();
        let saved = drop_secondary_indexes(&mut conn).await?;
        eprintln!(
            "  dropped {} secondary indexes: {}",
            saved.len(),
            saved
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        timer.record("drop secondary indexes", 0, started);
        saved
    };

    let started = Instant::now();
    let (p, ci, share, seed) = (plan.clone(), ciphers.clone(), args.tax_id_share, args.seed);
    let copied = copy_stream(
        &mut conn,
        "TRUNCATE clients CASCADE",
        &format!("COPY clients ({CLIENT_COLUMNS}) FROM STDIN WITH (FORMAT text, FREEZE true)"),
        p.clients.len() as u64,
        "clients",
        move |tx| {
            let mut rng = StdRng::seed_from_u64(seed ^ 0xc1);
            let mut buf = Vec::with_capacity(CHUNK + 4096);
            let mut n = 0u64;
            for c in &p.clients {
                write_client(&mut rng, &mut buf, &p, c, &ci[c.tenant as usize], share);
                n += 1;
                if buf.len() >= CHUNK {
                    let full = std::mem::replace(&mut buf, Vec::with_capacity(CHUNK + 4096));
                    if tx.blocking_send((full, n)).is_err() {
                        return;
                    }
                    n = 0;
                }
            }
            let _ = tx.blocking_send((buf, n));
        },
    )
    .await?;
    timer.record("clients (COPY FREEZE)", copied, started);

    let started = Instant::now();
    let p = plan.clone();
    let copied = copy_stream(
        &mut conn,
        "TRUNCATE timeline_events",
        &format!(
            "COPY timeline_events ({EVENT_COLUMNS}) FROM STDIN WITH (FORMAT text, FREEZE true)"
        ),
        n_events,
        "timeline_events",
        move |tx| {
            let mut rng = StdRng::seed_from_u64(seed ^ 0xe7);
            let mut buf = Vec::with_capacity(CHUNK + 4096);
            let mut n = 0u64;
            for e in &p.events {
                write_event(&mut rng, &mut buf, &p, e);
                n += 1;
                if buf.len() >= CHUNK {
                    let full = std::mem::replace(&mut buf, Vec::with_capacity(CHUNK + 4096));
                    if tx.blocking_send((full, n)).is_err() {
                        return;
                    }
                    n = 0;
                }
            }
            let _ = tx.blocking_send((buf, n));
        },
    )
    .await?;
    timer.record("timeline_events (COPY FREEZE)", copied, started);

    // The COPY ran with triggers off, so the search vocabulary is filled from the rows (before
    // its trigram index is rebuilt).
    let started = Instant::now();
    let words = sqlx::raw_sql(
        "DELETE FROM search_vocabulary;
         INSERT INTO search_vocabulary (tenant_id, word)
         SELECT DISTINCT tenant_id, w FROM clients, unnest(search_words(search_text)) w
          WHERE deleted_at IS NULL",
    )
    .execute(&mut conn)
    .await?
    .rows_affected();
    timer.record("search vocabulary from the clients", words, started);

    // Likewise the e-mail index of the duplicate check.
    let started = Instant::now();
    let emails = sqlx::raw_sql(
        "DELETE FROM client_emails;
         INSERT INTO client_emails (tenant_id, email, client_id)
         SELECT tenant_id, e, id FROM clients, unnest(emails) e WHERE deleted_at IS NULL
         ON CONFLICT DO NOTHING",
    )
    .execute(&mut conn)
    .await?
    .rows_affected();
    timer.record("client e-mails from the clients", emails, started);

    if !saved.is_empty() {
        let started = Instant::now();
        rebuild_indexes(&db_url, saved).await?;
        sqlx::raw_sql("DROP TABLE IF EXISTS loadtest_dropped_indexes")
            .execute(&mut conn)
            .await?;
        timer.record("rebuild secondary indexes (2 at a time)", 0, started);
    }

    // The COPY ran with triggers off, so the kept client counters are filled from the rows.
    let started = Instant::now();
    sqlx::raw_sql(
        "DELETE FROM client_stats;
         INSERT INTO client_stats (tenant_id, total, leads, clients)
         SELECT tenant_id, count(*), count(*) FILTER (WHERE status = 'lead'),
                count(*) FILTER (WHERE status = 'client')
           FROM clients WHERE deleted_at IS NULL GROUP BY tenant_id",
    )
    .execute(&mut conn)
    .await?;
    timer.record("client_stats from the clients", 0, started);

    let started = Instant::now();
    sqlx::raw_sql("VACUUM (ANALYZE)").execute(&mut conn).await?;
    timer.record("VACUUM (ANALYZE)", 0, started);

    let started = Instant::now();
    let checked = verify(
        &url(&args.pg_addr, "crm_app", &args.database),
        &plan,
        &ciphers,
    )
    .await
    .context("the loaded data does not read back as the API reads it")?;
    timer.record(
        "verify a sample as crm_app (RLS, decrypt, search_text)",
        checked,
        started,
    );

    let sizes: Vec<(String, String)> = sqlx::query_as(
        "SELECT r, pg_size_pretty(s) FROM (VALUES
            ('clients (heap)', pg_relation_size('clients')),
            ('clients (indexes)', pg_indexes_size('clients')),
            ('timeline_events (heap)', pg_relation_size('timeline_events')),
            ('timeline_events (indexes)', pg_indexes_size('timeline_events')),
            ('database', pg_database_size(current_database()))) AS v(r, s)",
    )
    .fetch_all(&mut conn)
    .await?;

    let info = serde_json::json!({
        "complete": true,
        "big_tenant_slug": BIG_SLUG,
        "password": PASSWORD,
        "seed": args.seed,
        "tenants": args.tenants,
        "clients": plan.clients.len(),
        "events": n_events,
        "now_ms": plan.now_ms,
    });
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS loadtest_seed_info (id int PRIMARY KEY, info jsonb NOT NULL)",
    )
    .execute(&mut conn)
    .await?;
    sqlx::query(
        "INSERT INTO loadtest_seed_info VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET info = $1",
    )
    .bind(&info)
    .execute(&mut conn)
    .await?;
    conn.close().await?;
    pool.close().await;

    let total_seconds = all.elapsed().as_secs_f64();
    let sizes_of = |i: usize| plan.tenants.get(i).map_or(0, |t| t.clients);
    let report = SeedReport {
        benchmark: "seed-large",
        unix_time: (plan.now_ms / 1000) as u64,
        cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
        database: args.database.clone(),
        tenants: args.tenants,
        clients: plan.clients.len() as u64,
        events: n_events,
        big_tenant_slug: BIG_SLUG,
        big_tenant_clients: sizes_of(0),
        big_tenant_events: big_events,
        largest_other_tenant_clients: sizes_of(1),
        smallest_tenant_clients: plan.tenants.iter().map(|t| t.clients).min().unwrap_or(0),
        seed: args.seed,
        secondary_indexes: if args.keep_indexes {
            "kept during the load"
        } else {
            "dropped, then rebuilt after the load"
        },
        phases: timer.phases,
        total_seconds,
        sizes,
    };
    let md = markdown(&report);
    print!("{md}");
    std::fs::create_dir_all(&args.out)?;
    std::fs::write(
        args.out.join("seed-large.json"),
        serde_json::to_string_pretty(&report)? + "\n",
    )?;
    std::fs::write(args.out.join("seed-large.md"), md)?;
    eprintln!("wrote {}/seed-large.{{json,md}}", args.out.display());
    Ok(())
}

fn markdown(r: &SeedReport) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(s, "## seed-large\n");
    let _ = writeln!(
        s,
        "Database `{}`: {} tenants, {} clients, {} timeline events (seed {}); big tenant `{}`: {} \
         clients, {} events; other tenants from {} down to {} clients. Secondary indexes {}. \
         {} CPUs shared with Postgres.\n",
        r.database,
        r.tenants,
        r.clients,
        r.events,
        r.seed,
        r.big_tenant_slug,
        r.big_tenant_clients,
        r.big_tenant_events,
        r.largest_other_tenant_clients,
        r.smallest_tenant_clients,
        r.secondary_indexes,
        r.cpus
    );
    let _ = writeln!(s, "| phase | rows | seconds | rows/s |");
    let _ = writeln!(s, "|---|---:|---:|---:|");
    for p in &r.phases {
        let rate = if p.rows > 0 {
            format!("{:.0}", p.rows_per_s)
        } else {
            "-".to_owned()
        };
        let _ = writeln!(s, "| {} | {} | {:.1} | {rate} |", p.name, p.rows, p.seconds);
    }
    let _ = writeln!(s, "| **total** | | **{:.1}** | |", r.total_seconds);
    let _ = writeln!(s, "\n| relation | size |\n|---|---:|");
    for (name, size) in &r.sizes {
        let _ = writeln!(s, "| {name} | {size} |");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_add_up_and_the_big_tenant_is_the_biggest() {
        let sizes = tenant_sizes(1000, 1_000_000, 20_000);
        assert_eq!(sizes.len(), 1000);
        assert_eq!(sizes.iter().map(|&s| u64::from(s)).sum::<u64>(), 1_000_000);
        assert_eq!(sizes[0], 20_000);
        assert!(sizes[1..].iter().all(|&s| s < 20_000 && s > 50));
        assert_eq!(tenant_sizes(1, 10, 20_000), vec![10]);
    }

    #[test]
    fn plan_is_consistent() {
        let args = SeedLarge {
            database: "x".into(),
            drop: false,
            tenants: 20,
            clients: 2_000,
            big_clients: 300,
            events: 20_000,
            tax_id_share: 0.6,
            seed: 1,
            keep_indexes: false,
            master_keys: MASTER_KEYS.into(),
            pg_addr: "127.0.0.1:5432".into(),
            out: PathBuf::new(),
        };
        let now = 1_790_000_000_000;
        let p = plan(&args, now);
        assert_eq!(p.clients.len(), 2_000);
        assert_eq!(p.events.len(), 20_000);
        assert!(p.events.windows(2).all(|w| w[0].date_ms <= w[1].date_ms));
        for e in &p.events {
            let c = &p.clients[e.client as usize];
            assert!(
                e.date_ms >= c.created_ms && e.date_ms <= now,
                "event out of range"
            );
        }
        assert!(
            p.clients
                .windows(2)
                .all(|w| w[0].id < w[1].id || w[0].created_ms == w[1].created_ms)
        );
        let big = p.clients.iter().filter(|c| c.tenant == 0).count();
        assert_eq!(big, 300);
    }

    #[test]
    fn master_key_parses() {
        assert!(db::crypto::MasterKeys::parse(MASTER_KEYS).is_ok());
    }
}
