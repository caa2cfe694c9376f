//! "Open and update a ticket", as a support person does it: sometimes a look at the open queue
//! first, then the ticket, then a public reply to the customer or, now and then, a change of its
//! status (on hold while waiting for something, open again after). The work goes to the load
//! test's own tickets (`Loadtest desk <n>` of each tenant, on the desk's client), one per desk,
//! under the desk's lock, so changes never race on `If-Match`. A desk's ticket is resolved
//! after a few holds (each is a pause its SLA clock reads back) and the next action opens the
//! next one.

use rand::Rng;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use super::data::{DESK_PREFIX, DESKS, Shared};
use super::mix::{Call, Http, Staff, created_id, desk_client, expect, json_of, with_query};

/// Holds a desk's ticket goes through before it is resolved and the next one opened.
const HOLDS_PER_TICKET: usize = 10;

/// What the support person does with the ticket once it is open on their screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A public reply (the customer sees it; the first one meets the first-response target).
    Reply,
    /// A change of status, with the reason given for it.
    Status {
        to: &'static str,
        reason: &'static str,
    },
    /// Nothing more to do on this ticket: the desk opens a new one next time.
    Done,
}

/// The next step on a ticket in `status` that has been on hold `holds` times; `change_status`
/// is the dice (one time in three).
pub fn next_step(status: &str, holds: usize, change_status: bool) -> Step {
    match status {
        "resolved" | "closed" => Step::Done,
        _ if holds >= HOLDS_PER_TICKET && status != "on_hold" => Step::Status {
            to: "resolved",
            reason: "Solved on the phone with the customer",
        },
        "on_hold" if change_status || holds >= HOLDS_PER_TICKET => Step::Status {
            to: "open",
            reason: "The part from the supplier arrived",
        },
        _ if change_status => Step::Status {
            to: "on_hold",
            reason: "Waiting for a part from the supplier",
        },
        _ => Step::Reply,
    }
}

/// Does "open and update a ticket" as `staff`.
pub async fn work_ticket<H: Http>(
    http: &mut H,
    staff: &mut Staff,
    shared: &Shared,
) -> Result<(), String> {
    let number = staff.slot % DESKS;
    let desk = shared
        .ticket_desk(staff.tenant_index, number)
        .ok_or("the tenant has no desk")?;
    let mut current = desk.lock().await;
    if staff.rng.gen_bool(0.25) {
        read_queue(http, staff).await?;
    }
    let Some(id) = *current else {
        *current = Some(open_ticket(http, staff, shared, number).await?);
        return Ok(());
    };
    let path = format!("/api/v1/tickets/{id}");
    let name = "/api/v1/tickets/{id}";
    let reply = http
        .call(Call::get(name, path.clone(), &staff.token))
        .await?;
    expect(&reply, 200, name)?;
    let etag = reply.etag.clone().ok_or("the ticket answered no ETag")?;
    let ticket = json_of(&reply, name)?;
    let status = ticket["status"].as_str().unwrap_or("open");
    let holds = ticket["pauses"].as_array().map_or(0, Vec::len);
    let change_status = staff.rng.gen_bool(1.0 / 3.0);
    match next_step(status, holds, change_status) {
        Step::Reply => reply_publicly(http, staff, id).await,
        Step::Status { to, reason } => {
            let body = json!({ "status": to, "status_reason": reason });
            let reply = http
                .call(Call::send(
                    name,
                    Method::PATCH,
                    path,
                    &staff.token,
                    Some(&etag),
                    body,
                ))
                .await?;
            expect(&reply, 200, name)?;
            if to == "resolved" {
                *current = None;
            }
            Ok(())
        }
        Step::Done => {
            *current = None;
            Ok(())
        }
    }
}

/// The first page of the tenant's open tickets, as the queue shows them.
async fn read_queue<H: Http>(http: &mut H, staff: &Staff) -> Result<(), String> {
    let name = "/api/v1/tickets?open=true";
    let path = with_query("/api/v1/tickets", &[("open", "true")]);
    let reply = http.call(Call::get(name, path, &staff.token)).await?;
    expect(&reply, 200, name)
}

/// Opens the desk's next ticket, on the desk's client (created first when no run has yet), in
/// the tenant's ticket category when it has one; the priority is left to the rules.
async fn open_ticket<H: Http>(
    http: &mut H,
    staff: &mut Staff,
    shared: &Shared,
    number: usize,
) -> Result<Uuid, String> {
    let client_desk = shared
        .desk(staff.tenant_index, number)
        .ok_or("the tenant has no desk")?;
    let client = {
        let mut client_id = client_desk.lock().await;
        desk_client(http, staff, number, &mut client_id).await?
    };
    let mut body = json!({
        "client_id": client,
        "title": format!("{DESK_PREFIX} {number}"),
        "description": "The printer in the front office does not print since this morning.",
    });
    if let Some(category) = staff.tenant.ticket_category {
        body["category_id"] = Value::from(category.to_string());
    }
    let name = "/api/v1/tickets";
    let reply = http
        .call(Call::send(
            name,
            Method::POST,
            name.to_owned(),
            &staff.token,
            None,
            body,
        ))
        .await?;
    expect(&reply, 201, name)?;
    created_id(&reply, name)
}

async fn reply_publicly<H: Http>(http: &mut H, staff: &mut Staff, id: Uuid) -> Result<(), String> {
    let name = "/api/v1/tickets/{id}/comments";
    let body = json!({
        "body": format!(
            "Thank you for your patience: we are on it (from desk {}).",
            staff.slot
        ),
        "public": true,
    });
    let reply = http
        .call(Call::send(
            name,
            Method::POST,
            format!("/api/v1/tickets/{id}/comments"),
            &staff.token,
            None,
            body,
        ))
        .await?;
    expect(&reply, 201, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mostly_replies_sometimes_a_hold_and_back() {
        assert_eq!(next_step("new", 0, false), Step::Reply);
        assert_eq!(next_step("open", 3, false), Step::Reply);
        assert!(matches!(
            next_step("open", 3, true),
            Step::Status { to: "on_hold", .. }
        ));
        assert!(matches!(
            next_step("new", 0, true),
            Step::Status { to: "on_hold", .. }
        ));
        assert!(matches!(
            next_step("on_hold", 3, true),
            Step::Status { to: "open", .. }
        ));
        // A ticket on hold still gets replies (the customer is told what it waits for).
        assert_eq!(next_step("on_hold", 3, false), Step::Reply);
    }

    #[test]
    fn a_ticket_is_resolved_after_its_holds_and_the_desk_moves_on() {
        let last = HOLDS_PER_TICKET;
        assert!(matches!(
            next_step("on_hold", last, false),
            Step::Status { to: "open", .. }
        ));
        assert!(matches!(
            next_step("open", last, false),
            Step::Status { to: "resolved", .. }
        ));
        assert_eq!(next_step("resolved", last, true), Step::Done);
        assert_eq!(next_step("closed", 0, false), Step::Done);
    }
}
