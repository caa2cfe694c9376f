//! "Open the board" and "move an opportunity", as salespeople do them: the kanban of the
//! tenant's default pipeline (`GET /api/v1/pipelines/{id}/board`), and a card opened
//! (`GET /api/v1/opportunities/{id}`) and dragged to a place near the top of an open stage
//! (`POST /api/v1/opportunities/{id}/move` with the version read; on `409 opportunity-moved`,
//! which another run on the same data can cause, the card is read again and moved once more).
//!
//! The cards moved are the load test's own: `Loadtest deal <n>` of each tenant, on the desks'
//! clients, opened by the working day's setup ([`prepare`]) through the pipeline's own flows,
//! and moved only between open stages (a won deal would convert its client, and the board keeps
//! its shape run after run). A lock per deal keeps two staff members of one run from dragging
//! the same card at once. A tenant without a pipeline (a data set loaded before the pipeline's
//! migration) is given its default one by the setup.

use std::collections::HashMap;

use anyhow::Context;
use db::TenantTx;
use db::audit::Actor;
use db::crypto::MasterKeys;
use db::opportunities::ListFilter;
use rand::Rng;
use reqwest::Method;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use super::data::{DESK_PREFIX, DESKS};
use super::mix::{Call, Http, Staff, expect, json_of};

/// The load test's own deals per tenant.
pub const DEALS: usize = 12;
/// Title prefix of the load test's deals (`Loadtest deal 0` ...).
pub const DEAL_PREFIX: &str = "Loadtest deal";
/// Cards of each stage a person drags a card among (the top of the column on the screen).
const TOP: i64 = 10;

/// A tenant's default pipeline as the staff work it.
pub struct Board {
    pub pipeline: Uuid,
    pub open_stages: Vec<Uuid>,
    /// The load test's deals, by number; each locked while someone moves it.
    pub deals: Vec<tokio::sync::Mutex<Uuid>>,
}

/// What [`prepare`] found or made in one tenant.
pub struct Prepared {
    pub board: Board,
    /// The desks' clients (`Loadtest desk <n>`), by number, with the ones made now.
    pub desk_clients: Vec<(usize, Uuid)>,
}

/// Gives each tenant what the pipeline work needs, through the product's flows as `crm_app`
/// (one transaction per tenant): its default pipeline if it has none, the desks' clients
/// `desk_clients` lacks (as the API would create them), and [`DEALS`] deals spread over the open
/// stages. Later runs find them again and make nothing.
pub async fn prepare(
    app_url: &str,
    master_keys: &str,
    tenants: &[Uuid],
    desk_clients: &HashMap<Uuid, Vec<(usize, Uuid)>>,
) -> anyhow::Result<HashMap<Uuid, Prepared>> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(app_url)
        .await
        .with_context(|| format!("cannot connect to {app_url}"))?;
    let master = MasterKeys::parse(master_keys)?;
    let mut out = HashMap::new();
    let mut made = 0;
    for &tenant in tenants {
        let known = desk_clients.get(&tenant).cloned().unwrap_or_default();
        let (prepared, n) = prepare_tenant(&pool, &master, tenant, known)
            .await
            .with_context(|| format!("cannot prepare the pipeline of tenant {tenant}"))?;
        made += n;
        out.insert(tenant, prepared);
    }
    pool.close().await;
    if made > 0 {
        eprintln!("opened {made} load-test deals");
    }
    Ok(out)
}

async fn prepare_tenant(
    pool: &PgPool,
    master: &MasterKeys,
    tenant: Uuid,
    mut desks: Vec<(usize, Uuid)>,
) -> anyhow::Result<(Prepared, usize)> {
    let mut scope = services::Scope::new(TenantTx::begin(pool, tenant).await?, Actor::system());
    if db::pipelines::default_id(&mut scope.tx).await?.is_none() {
        let locale = db::tenants::get(&mut scope.tx, tenant)
            .await?
            .map_or_else(|| "es".to_owned(), |t| t.locale);
        services::pipeline::pipelines::create_default(&mut scope, &locale).await?;
    }
    let pipeline = services::pipeline::pipelines::default_pipeline(&mut scope)
        .await?
        .value;
    let open_stages = pipeline.open_stage_ids();
    anyhow::ensure!(
        !open_stages.is_empty(),
        "the default pipeline has no open stage"
    );

    for number in 0..DESKS {
        if desks.iter().any(|(n, _)| *n == number) {
            continue;
        }
        let cipher = db::crypto::tenant_cipher(&mut scope.tx, master).await?;
        let input = services::clients::ClientInput {
            company_name: Some(format!("{DESK_PREFIX} {number}")),
            ..Default::default()
        };
        let id = services::clients::create(&mut scope, &cipher, input)
            .await?
            .value
            .id;
        desks.push((number, id));
    }
    desks.sort_unstable();

    let filter = ListFilter {
        pipeline_id: Some(pipeline.id),
        limit: 10_000,
        ..ListFilter::default()
    };
    let mut deals: Vec<Option<Uuid>> = vec![None; DEALS];
    for listed in db::opportunities::list(&mut scope.tx, &filter).await? {
        let row = listed.row;
        if let Some(n) = deal_number(&row.title)
            && let Some(slot) = deals.get_mut(n)
            && open_stages.contains(&row.stage_id)
        {
            *slot = Some(row.id);
        }
    }
    let mut made = 0;
    for (n, slot) in deals.iter_mut().enumerate() {
        if slot.is_some() {
            continue;
        }
        let input = services::pipeline::NewOpportunity {
            client_id: desks[n % desks.len()].1,
            title: format!("{DEAL_PREFIX} {n}"),
            estimated_value: Some(format!("{}", 1_000 * (n + 1))),
            currency: None,
            stage_id: Some(open_stages[n % open_stages.len()]),
            expected_close_date: None,
            owner_id: None,
            completion_percentage: None,
        };
        *slot = Some(
            services::pipeline::create(&mut scope, input)
                .await?
                .value
                .id,
        );
        made += 1;
    }
    scope.commit().await?;
    let board = Board {
        pipeline: pipeline.id,
        open_stages,
        deals: deals
            .into_iter()
            .flatten()
            .map(tokio::sync::Mutex::new)
            .collect(),
    };
    Ok((
        Prepared {
            board,
            desk_clients: desks,
        },
        made,
    ))
}

/// The number in a load-test deal's title (`Loadtest deal 7`).
fn deal_number(title: &str) -> Option<usize> {
    title.strip_prefix(DEAL_PREFIX)?.trim().parse().ok()
}

/// Does "open the board" as `staff`.
pub async fn open_board<H: Http>(http: &mut H, staff: &mut Staff) -> Result<(), String> {
    let board = staff
        .tenant
        .board
        .as_ref()
        .ok_or("the tenant has no pipeline")?;
    let name = "/api/v1/pipelines/{id}/board";
    let path = format!("/api/v1/pipelines/{}/board", board.pipeline);
    let reply = http.call(Call::get(name, path, &staff.token)).await?;
    expect(&reply, 200, name)?;
    let stages = json_of(&reply, name)?["stages"]
        .as_array()
        .map_or(0, Vec::len);
    if stages >= board.open_stages.len() {
        Ok(())
    } else {
        Err(format!("{name} answered {stages} stages"))
    }
}

/// Does "move an opportunity" as `staff`: one of the tenant's load-test deals to a place near
/// the top of an open stage (another one, three times in four).
pub async fn move_deal<H: Http>(http: &mut H, staff: &mut Staff) -> Result<(), String> {
    let tenant = staff.tenant.clone();
    let board = tenant.board.as_ref().ok_or("the tenant has no pipeline")?;
    if board.deals.is_empty() {
        return Err("the tenant has no load-test deal".into());
    }
    let deal = board.deals[staff.rng.gen_range(0..board.deals.len())]
        .lock()
        .await;
    let id = *deal;
    let (stage, version) = read_card(http, staff, id).await?;
    let other: Vec<Uuid> = board
        .open_stages
        .iter()
        .copied()
        .filter(|s| *s != stage)
        .collect();
    let to = if other.is_empty() || staff.rng.gen_bool(0.25) {
        stage
    } else {
        other[staff.rng.gen_range(0..other.len())]
    };
    let position = staff.rng.gen_range(0..TOP);
    let reply = send_move(http, staff, id, to, position, version).await?;
    if reply.status != 409 {
        return expect(&reply, 200, "/api/v1/opportunities/{id}/move");
    }
    let (_, version) = read_card(http, staff, id).await?;
    let reply = send_move(http, staff, id, to, position, version).await?;
    expect(&reply, 200, "/api/v1/opportunities/{id}/move")
}

/// The card as it stands: its stage and version.
async fn read_card<H: Http>(http: &mut H, staff: &Staff, id: Uuid) -> Result<(Uuid, i64), String> {
    let name = "/api/v1/opportunities/{id}";
    let reply = http
        .call(Call::get(
            name,
            format!("/api/v1/opportunities/{id}"),
            &staff.token,
        ))
        .await?;
    expect(&reply, 200, name)?;
    let card = json_of(&reply, name)?;
    let stage = card["stage_id"]
        .as_str()
        .and_then(|s| Uuid::try_parse(s).ok())
        .ok_or_else(|| format!("{name} answered no stage_id"))?;
    let version = card["version"]
        .as_i64()
        .ok_or_else(|| format!("{name} answered no version"))?;
    Ok((stage, version))
}

async fn send_move<H: Http>(
    http: &mut H,
    staff: &Staff,
    id: Uuid,
    to: Uuid,
    position: i64,
    version: i64,
) -> Result<super::mix::Reply, String> {
    http.call(Call::send(
        "/api/v1/opportunities/{id}/move",
        Method::POST,
        format!("/api/v1/opportunities/{id}/move"),
        &staff.token,
        None,
        json!({ "stage_id": to, "position": position, "version": version }),
    ))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deals_are_found_by_their_number() {
        assert_eq!(deal_number("Loadtest deal 11"), Some(11));
        assert_eq!(deal_number("Loadtest deal 0"), Some(0));
        assert_eq!(deal_number("Loadtest desk 1"), None);
        assert_eq!(deal_number("Renovación del contrato"), None);
    }
}
