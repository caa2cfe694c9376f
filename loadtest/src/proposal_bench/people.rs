//! The salespeople: each drafts a proposal of `items` lines for one of the desk's clients
//! (`POST /api/v1/proposals`), opens its PDF to check it (`GET
//! /api/v1/proposals/{id}/render.pdf`), and sends it (`POST /api/v1/proposals/{id}/send`: the
//! PDF rendered again, attached to an e-mail queued in the same transaction; at the version the
//! draft was answered with), pausing between
//! actions as people do (none at saturation), proposal after proposal until the phase ends.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use uuid::Uuid;

use crate::bench::people::{Pace, exchange, fetch, merge, note, nothing};
use crate::client::Outcome;
use crate::day::proposal_work::new_proposal;

/// Where the people work.
pub struct Office {
    pub base: String,
    pub token: String,
    pub template: Uuid,
    pub clients: Vec<Uuid>,
    pub items: usize,
}

/// What a phase saw: each request's latencies, the PDFs' sizes, the proposals sent.
pub struct Tally {
    pub create: Outcome,
    pub pdf: Outcome,
    pub send: Outcome,
    pub pdf_bytes: Vec<usize>,
    pub sent: u64,
    /// Requests made (each is one action).
    pub actions: u64,
}

impl Tally {
    fn new() -> Self {
        Self {
            create: nothing(),
            pdf: nothing(),
            send: nothing(),
            pdf_bytes: Vec::new(),
            sent: 0,
            actions: 0,
        }
    }

    fn add(&mut self, other: Tally) {
        merge(&mut self.create, other.create);
        merge(&mut self.pdf, other.pdf);
        merge(&mut self.send, other.send);
        self.pdf_bytes.extend(other.pdf_bytes);
        self.sent += other.sent;
        self.actions += other.actions;
    }

    /// The phase's length, on each kind.
    fn lasted(&mut self, elapsed: Duration) {
        for o in [&mut self.create, &mut self.pdf, &mut self.send] {
            o.elapsed = elapsed;
        }
    }

    pub fn errors(&self) -> u64 {
        self.create.errors + self.pdf.errors + self.send.errors
    }

    pub fn first_error(&self) -> Option<&str> {
        [&self.create, &self.pdf, &self.send]
            .into_iter()
            .find_map(|o| o.first_error.as_deref())
    }
}

/// A new draft's id and version, as the API answers it.
fn draft_of(body: &serde_json::Value) -> Option<(Uuid, i64)> {
    let id = body["id"].as_str().and_then(|s| Uuid::try_parse(s).ok())?;
    Some((id, body["version"].as_i64()?))
}

/// One salesperson.
struct Person {
    office: Arc<Office>,
    http: reqwest::Client,
    rng: StdRng,
    made: u64,
}

impl Person {
    /// Drafts a proposal; its id and version.
    async fn create(&mut self, tally: &mut Tally) -> Option<(Uuid, i64)> {
        let client = self.office.clients[self.rng.gen_range(0..self.office.clients.len())];
        self.made += 1;
        let title = format!("Renovación de equipos y red, propuesta {}", self.made);
        let (template, items) = (self.office.template, self.office.items);
        let body = new_proposal(&mut self.rng, template, client, items, title);
        let url = format!("{}/api/v1/proposals", self.office.base);
        let request = self.http.post(url).bearer_auth(&self.office.token);
        let sent = Instant::now();
        let answer = exchange(request.json(&body)).await;
        let took = sent.elapsed();
        let (result, id) = match answer {
            Ok((201, body)) => match draft_of(&body) {
                Some(draft) => (Ok(()), Some(draft)),
                None => (
                    Err(format!("create answered no id or version: {body}")),
                    None,
                ),
            },
            Ok((status, body)) => (Err(format!("create answered {status}: {body}")), None),
            Err(e) => (Err(e), None),
        };
        note(&mut tally.create, took, result);
        id
    }

    async fn open_pdf(&mut self, tally: &mut Tally, id: Uuid) -> bool {
        let url = format!("{}/api/v1/proposals/{id}/render.pdf", self.office.base);
        let sent = Instant::now();
        let answer = fetch(self.http.get(url).bearer_auth(&self.office.token)).await;
        let took = sent.elapsed();
        let result = match answer {
            Ok((200, body)) if body.starts_with(b"%PDF-") => {
                tally.pdf_bytes.push(body.len());
                Ok(())
            }
            Ok((status, body)) => Err(format!(
                "render.pdf answered {status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            )),
            Err(e) => Err(e),
        };
        let ok = result.is_ok();
        note(&mut tally.pdf, took, result);
        ok
    }

    /// Sends the draft at the version it was drafted at (the one the person checked).
    async fn send(&mut self, tally: &mut Tally, id: Uuid, version: i64) {
        let url = format!("{}/api/v1/proposals/{id}/send", self.office.base);
        let request = self.http.post(url).bearer_auth(&self.office.token);
        let sent = Instant::now();
        let answer = exchange(request.json(&json!({ "version": version }))).await;
        let took = sent.elapsed();
        let result = match answer {
            Ok((200, body)) if body["status"] == "sent" => {
                tally.sent += 1;
                Ok(())
            }
            Ok((status, body)) => Err(format!("send answered {status}: {body}")),
            Err(e) => Err(e),
        };
        note(&mut tally.send, took, result);
    }

    /// Drafts, checks and sends one proposal, pausing after each step; stops when the phase
    /// ends or a step fails.
    async fn one_proposal(&mut self, tally: &mut Tally, pace: &Pace) {
        tally.actions += 1;
        let id = self.create(tally).await;
        pace.pause(&mut self.rng).await;
        let Some((id, version)) = id.filter(|_| pace.going()) else {
            return;
        };
        tally.actions += 1;
        let opened = self.open_pdf(tally, id).await;
        pace.pause(&mut self.rng).await;
        if !opened || !pace.going() {
            return;
        }
        tally.actions += 1;
        self.send(tally, id, version).await;
        pace.pause(&mut self.rng).await;
    }
}

/// `people` salespeople at work until `duration` is over.
pub async fn phase(
    office: &Arc<Office>,
    http: &reqwest::Client,
    people: usize,
    think: Duration,
    duration: Duration,
    seed: u64,
) -> Tally {
    let started = Instant::now();
    let pace = Pace::new(think, started + duration);
    let mut tasks = Vec::with_capacity(people);
    for p in 0..people {
        let mut person = Person {
            office: office.clone(),
            http: http.clone(),
            rng: StdRng::seed_from_u64(seed ^ (p as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)),
            made: 0,
        };
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::new();
            pace.stagger(&mut person.rng).await;
            while pace.going() {
                person.one_proposal(&mut tally, &pace).await;
            }
            tally
        }));
    }
    let mut total = Tally::new();
    for task in tasks {
        match task.await {
            Ok(t) => total.add(t),
            Err(e) => {
                total.create.errors += 1;
                total
                    .create
                    .first_error
                    .get_or_insert(format!("a person failed: {e}"));
            }
        }
    }
    total.lasted(started.elapsed());
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_is_read_from_the_answer() {
        let id = Uuid::new_v4();
        assert_eq!(
            draft_of(&json!({ "id": id, "version": 1, "status": "draft" })),
            Some((id, 1))
        );
        assert_eq!(draft_of(&json!({ "id": id })), None);
        assert_eq!(draft_of(&serde_json::Value::Null), None);
    }
}
