//! "Log a communication", as sales and support do after hanging up: the call is logged on the
//! client (`POST /api/v1/clients/{id}/communications`, channel `phone`, with its direction,
//! length, outcome and notes), then the client's communications are listed to see it there.
//! The calls go to the load test's own clients (`Loadtest desk <n>`, created by the first action
//! that needs one), never to seeded ones, so the seeded data stays as `seed-large` wrote it. A
//! logged call sends nothing and queues no job.

use rand::Rng;
use rand::rngs::StdRng;
use reqwest::Method;
use serde_json::{Value, json};

use super::data::{DESKS, Shared};
use super::mix::{Call, Http, Staff, desk_client, expect, json_of, pick, with_query};

/// What people write after a call.
const NOTES: &[&str] = &[
    "Repasamos el pedido del mes y las fechas de entrega.",
    "Quiere una demostración para su equipo la próxima semana.",
    "Pregunta por la nueva tarifa; le envío la propuesta por correo.",
    "Incidencia con la última factura: la revisa administración.",
];

/// The call of staff member `slot` (on their own number), as the API takes it.
fn logged_call(rng: &mut StdRng, slot: usize) -> Value {
    let (outcome, seconds) = match rng.gen_range(0..10) {
        0 => ("no_answer", 0),
        1 => ("voicemail", rng.gen_range(20..60)),
        _ => ("answered", rng.gen_range(30..1_200)),
    };
    let direction = if rng.gen_bool(0.3) {
        "inbound"
    } else {
        "outbound"
    };
    json!({
        "channel": "phone",
        "to": format!("+3461{:07}", slot % 10_000_000),
        "direction": direction,
        "duration_seconds": seconds,
        "outcome": outcome,
        "body": pick(rng, NOTES).copied().unwrap_or_default(),
    })
}

/// Does "log a communication" as `staff`.
pub async fn log_call<H: Http>(
    http: &mut H,
    staff: &mut Staff,
    shared: &Shared,
) -> Result<(), String> {
    let number = staff.slot % DESKS;
    let desk = shared
        .desk(staff.tenant_index, number)
        .ok_or("the tenant has no desk")?;
    // The lock only while the desk's client may still have to be created.
    let id = {
        let mut current = desk.lock().await;
        desk_client(http, staff, number, &mut current).await?
    };
    let name = "/api/v1/clients/{id}/communications";
    let path = format!("/api/v1/clients/{id}/communications");
    let call = logged_call(&mut staff.rng, staff.slot);
    let reply = http
        .call(Call::send(
            name,
            Method::POST,
            path.clone(),
            &staff.token,
            None,
            call,
        ))
        .await?;
    expect(&reply, 201, name)?;
    let logged = json_of(&reply, name)?;
    if logged["status"] != "logged" {
        return Err(format!("{name} answered status {}", logged["status"]));
    }
    let listed = http
        .call(Call::get(
            name,
            with_query(&path, &[("limit", "20")]),
            &staff.token,
        ))
        .await?;
    expect(&listed, 200, name)?;
    let page = json_of(&listed, name)?;
    let found = page["data"]
        .as_array()
        .is_some_and(|d| d.iter().any(|m| m["id"] == logged["id"]));
    if found {
        Ok(())
    } else {
        Err(format!("{name}: the call just logged is not listed"))
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn a_logged_call_is_what_the_api_takes() {
        let mut rng = StdRng::seed_from_u64(7);
        for slot in 0..50 {
            let call = logged_call(&mut rng, slot * 1_000_003);
            assert_eq!(call["channel"], "phone");
            let seconds = call["duration_seconds"].as_i64().unwrap_or(-1);
            assert!((0..=86_400).contains(&seconds), "{call}");
            assert!(
                ["answered", "no_answer", "voicemail"]
                    .contains(&call["outcome"].as_str().unwrap_or(""))
            );
            assert!(
                call["to"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("+3461") && t.len() == 12),
                "{call}"
            );
        }
    }
}
