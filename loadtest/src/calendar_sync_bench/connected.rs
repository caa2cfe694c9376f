//! The connected users: tenants, each with its share of the users (user `n` in tenant
//! `n % tenants`), each user with a Google connection (its tokens sealed with the tenant's data
//! key, as `services::calendar::connections::seal` seals them), a client, and the [`Agenda`]'s
//! planned activities assigned to the user, each linked to its event (ETag `"1"`, at the
//! activity's version) so the calendar already shows it. Every connection has a sync cursor,
//! so its next run is incremental, and is due tomorrow: a phase makes the ones it measures due.
//! Written as `postgres` in COPY statements, but the data keys as `crm_app` (row-level
//! security confines `tenant_cipher` to its tenant).

use std::time::Instant;

use anyhow::Context;
use chrono::{Duration, Utc};
use db::crypto::{MasterKeys, TenantCipher};
use serde::Serialize;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use uuid::Uuid;

use super::agenda::{self, Agenda};
use super::fake_google::WRITTEN_ETAG;
use crate::copyfmt::Row;
use crate::setup::Scratch;

/// The cursor every connection starts from: any sync token reads the changes.
const FIRST_CURSOR: &str = "c0";

/// What was seeded.
#[derive(Debug, Serialize)]
pub struct Seeded {
    pub tenants: u32,
    pub users: u32,
    /// Planned activities, each linked to its event.
    pub activities: u64,
    pub seconds: f64,
}

/// The rows of every table, in COPY's text format.
#[derive(Default)]
struct Rows {
    users: Vec<u8>,
    clients: Vec<u8>,
    connections: Vec<u8>,
    activities: Vec<u8>,
    links: Vec<u8>,
}

/// Seeds `users` connected users over `tenants` tenants.
pub async fn seed(
    scratch: &Scratch,
    admin: &PgPool,
    agenda: &Agenda,
    users: u32,
    tenants: u32,
    master: &MasterKeys,
) -> anyhow::Result<Seeded> {
    let started = Instant::now();
    let tenant_ids = write_tenants(admin, tenants).await?;
    let ciphers = data_keys(&scratch.app_url(), &tenant_ids, master).await?;
    let mut rows = Rows::default();
    for n in 0..users {
        let t = n as usize % tenant_ids.len();
        rows.push_user(agenda, tenant_ids[t], n, &ciphers[t]);
    }
    let mut conn = admin.acquire().await?;
    for (table, data) in [
        (
            "users (tenant_id, id, email, display_name, status)",
            rows.users,
        ),
        (
            "clients (tenant_id, id, company_name, status, owner_id)",
            rows.clients,
        ),
        (
            "calendar_connections (tenant_id, id, user_id, provider, access_token_cipher, \
             refresh_token_cipher, access_expires_at, sync_cursor, next_sync_at)",
            rows.connections,
        ),
        (
            "activities (tenant_id, id, client_id, kind, title, starts_at, ends_at, time_zone, \
             assignee_ids, occurs_until, created_by)",
            rows.activities,
        ),
        (
            "calendar_event_links (tenant_id, connection_id, external_id, activity_id, \
             ical_uid, etag, activity_version)",
            rows.links,
        ),
    ] {
        let mut copy = conn
            .copy_in_raw(&format!("COPY {table} FROM STDIN"))
            .await?;
        copy.send(data).await?;
        copy.finish()
            .await
            .with_context(|| format!("COPY {table}"))?;
    }
    sqlx::raw_sql("ANALYZE").execute(&mut *conn).await?;
    Ok(Seeded {
        tenants,
        users,
        activities: u64::from(users) * u64::from(agenda.linked),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// `n` tenants, `agenda-0` onwards.
async fn write_tenants(admin: &PgPool, n: u32) -> anyhow::Result<Vec<Uuid>> {
    let ids: Vec<Uuid> = (0..n).map(|_| Uuid::now_v7()).collect();
    let slugs: Vec<String> = (0..n).map(|t| format!("agenda-{t}")).collect();
    let names: Vec<String> = (0..n).map(|t| format!("Agenda {t} S.L.")).collect();
    sqlx::query("INSERT INTO tenants (id, slug, name) SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[])")
        .bind(&ids)
        .bind(&slugs)
        .bind(&names)
        .execute(admin)
        .await?;
    Ok(ids)
}

/// Each tenant's data key, created as `crm_app`.
async fn data_keys(
    app_url: &str,
    tenants: &[Uuid],
    master: &MasterKeys,
) -> anyhow::Result<Vec<TenantCipher>> {
    let app = PgPoolOptions::new()
        .max_connections(1)
        .connect(app_url)
        .await?;
    let mut ciphers = Vec::new();
    for tenant in tenants {
        let mut tx = db::TenantTx::begin(&app, *tenant).await?;
        ciphers.push(db::crypto::tenant_cipher(&mut tx, master).await?);
        tx.commit().await?;
    }
    app.close().await;
    Ok(ciphers)
}

impl Rows {
    /// User `n` of `tenant`: the user, a client, the connection, the activities and links.
    fn push_user(&mut self, agenda: &Agenda, tenant: Uuid, n: u32, cipher: &TenantCipher) {
        let user = agenda::user_id(n);
        Row::new(&mut self.users)
            .uuid(tenant)
            .uuid(user)
            .text(&format!("comercial{n}@agenda.example"))
            .text(&format!("Comercial {n}"))
            .text("active")
            .end();
        let client = Uuid::now_v7();
        Row::new(&mut self.clients)
            .uuid(tenant)
            .uuid(client)
            .text(&format!("Cliente {n} S.L."))
            .text("client")
            .uuid(user)
            .end();
        let connection = Uuid::now_v7();
        self.push_connection(tenant, connection, n, cipher);
        for k in 0..agenda.linked {
            self.push_activity(agenda, tenant, connection, client, n, k);
        }
    }

    fn push_connection(&mut self, tenant: Uuid, id: Uuid, n: u32, cipher: &TenantCipher) {
        let now = Utc::now();
        let expires = (now + Duration::days(7)).timestamp_millis();
        let due = (now + Duration::days(1)).timestamp_millis();
        Row::new(&mut self.connections)
            .uuid(tenant)
            .uuid(id)
            .uuid(agenda::user_id(n))
            .text("google")
            .bytea(&cipher.encrypt(&agenda::access_token(n)))
            .bytea(&cipher.encrypt(&format!("refresh-{n}")))
            .time_ms(expires)
            .text(FIRST_CURSOR)
            .time_ms(due)
            .end();
    }

    fn push_activity(
        &mut self,
        agenda: &Agenda,
        tenant: Uuid,
        connection: Uuid,
        client: Uuid,
        n: u32,
        k: u32,
    ) {
        let a = agenda.activity(n, k);
        let user = agenda::user_id(n).to_string();
        Row::new(&mut self.activities)
            .uuid(tenant)
            .uuid(a.id)
            .uuid(client)
            .text("meeting")
            .text(&a.title)
            .time_ms(a.starts_at.timestamp_millis())
            .time_ms(a.ends_at.timestamp_millis())
            .text("Europe/Madrid")
            .text_array(&[&user])
            .time_ms(a.ends_at.timestamp_millis())
            .text(&user)
            .end();
        Row::new(&mut self.links)
            .uuid(tenant)
            .uuid(connection)
            .text(&a.id.simple().to_string())
            .uuid(a.id)
            .text(&format!("{}@crm", a.id))
            .text(WRITTEN_ETAG)
            .text("1")
            .end();
    }
}
