//! `search-in-db`: typo search in the database alone, without HTTP. Makes one typo (as
//! `clients-bench` does, `names::typo`) in a word of each of the first clients of a tenant, in a
//! fixed order and with a fixed seed, and calls `client_search_ids` as `crm_app` with the tenant
//! set: how many typos find the client they were made from, and how long each call takes (timed
//! here, one round trip on 127.0.0.1 included), per kind of typo and for the words themselves.

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use rand::SeedableRng;
use rand::rngs::StdRng;
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use crate::client::Outcome;
use crate::report::Stats;

#[derive(Args)]
pub struct SearchInDb {
    /// The seeded database.
    #[arg(long, default_value = "crm_large")]
    database: String,
    /// The tenant whose clients give the words (by slug).
    #[arg(long, default_value = "big")]
    tenant: String,
    /// How many typos to make (one per client).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    terms: u32,
    /// Postgres on this machine (`postgres` and `crm_app` with trust auth).
    #[arg(long, default_value = "127.0.0.1:5432")]
    pg_addr: String,
}

/// One kind of term's calls: latencies, and how many found their client.
#[derive(Default)]
struct Kind {
    latencies_us: Vec<u32>,
    found: u64,
}

pub async fn run(args: SearchInDb) -> anyhow::Result<()> {
    crate::ensure_local(&args.pg_addr, "--pg-addr")?;
    let url = |user: &str| format!("postgres://{user}@{}/{}", args.pg_addr, args.database);
    let mut owner = PgConnection::connect(&url("postgres")).await?;
    let tenant: Uuid = sqlx::query_scalar("SELECT id FROM tenants WHERE slug = $1")
        .bind(&args.tenant)
        .fetch_optional(&mut owner)
        .await?
        .with_context(|| format!("no tenant {} in {}", args.tenant, args.database))?;
    let clients: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT id, search_text FROM clients WHERE tenant_id = $1 AND deleted_at IS NULL
          ORDER BY md5(id::text) LIMIT $2",
    )
    .bind(tenant)
    .bind(i64::from(args.terms) * 4)
    .fetch_all(&mut owner)
    .await?;
    owner.close().await?;

    let mut rng = StdRng::seed_from_u64(7);
    let mut terms: Vec<(Uuid, String, &str)> = Vec::new();
    let mut words: Vec<(Uuid, String, &str)> = Vec::new();
    for (id, text) in clients {
        if let Some(t) = crate::names::typo(&mut rng, &text) {
            terms.push((id, t.typo, t.kind));
            words.push((id, t.word, "the word itself"));
        }
        if terms.len() == args.terms as usize {
            break;
        }
    }

    let mut app = PgConnection::connect(&url("crm_app")).await?;
    sqlx::query("SELECT set_config('app.tenant_id', $1, false)")
        .bind(tenant.to_string())
        .execute(&mut app)
        .await?;
    let kinds = ["dropped", "swapped", "replaced", "the word itself"];
    let mut results: Vec<Kind> = kinds.iter().map(|_| Kind::default()).collect();
    for (client, term, kind) in terms.iter().chain(&words) {
        let started = Instant::now();
        let ids: Vec<Uuid> = sqlx::query_scalar("SELECT ARRAY(SELECT client_search_ids($1, NULL))")
            .bind(term)
            .fetch_one(&mut app)
            .await?;
        let us = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
        let k = &mut results[kinds.iter().position(|k| k == kind).unwrap_or(0)];
        k.latencies_us.push(us);
        k.found += u64::from(ids.contains(client));
    }
    app.close().await?;

    println!(
        "`client_search_ids` as `crm_app` in `{}`, tenant `{}`: {} one-typo words of its clients' names, and the words they came from.\n",
        args.database,
        args.tenant,
        terms.len()
    );
    println!("| terms | calls | found their client | p50 ms | p95 ms | max ms |");
    println!("|---|---:|---:|---:|---:|---:|");
    let (typos, words) = results.split_at(3);
    let mut all = Kind::default();
    for (name, k) in kinds.iter().zip(typos) {
        print_row(name, k);
        all.latencies_us.extend(&k.latencies_us);
        all.found += k.found;
    }
    print_row("all typos", &all);
    print_row(kinds[3], &words[0]);
    Ok(())
}

fn print_row(name: &str, k: &Kind) {
    let calls = k.latencies_us.len() as u64;
    let s = Stats::new(
        name,
        Outcome {
            ok: calls,
            errors: 0,
            latencies_us: k.latencies_us.clone(),
            elapsed: Duration::ZERO,
            first_error: None,
        },
    );
    println!(
        "| {name} | {calls} | {} | {:.2} | {:.2} | {:.2} |",
        k.found, s.p50_ms, s.p95_ms, s.max_ms
    );
}
