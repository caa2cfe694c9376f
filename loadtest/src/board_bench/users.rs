//! The people at the board: each one opens the board (`GET /api/v1/pipelines/{id}/board`) and
//! drags cards they saw on it to a place near the top of an open stage (`POST
//! /api/v1/opportunities/{id}/move` with the version the board showed). A card someone else
//! moved since is refused with `409`: the person reads the card again (`GET
//! /api/v1/opportunities/{id}`) and drags it once more with the version read. Each person opens
//! the board first, then, action after action, opens it again `board_percent` times in a
//! hundred and otherwise drags a card, pausing between actions as people do (exponentially,
//! `think` on average; none at saturation).

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::bench::people::{Pace, exchange, merge, note, nothing};
use crate::client::Outcome;

/// Cards of each stage a person drags a card among (the top of the column on the screen).
const TOP: i64 = 10;

/// Where the people work.
pub struct Board {
    pub base: String,
    pub token: String,
    pub pipeline: Uuid,
    pub open_stages: Vec<Uuid>,
    pub board_percent: u32,
}

/// A card as the person last saw it.
#[derive(Debug, Clone, Copy)]
struct Card {
    id: Uuid,
    stage: Uuid,
    version: i64,
}

/// What a phase saw: each kind of request's latencies, and how the moves went.
pub struct Tally {
    pub board: Outcome,
    /// Every move answered: moved (200) or refused as stale (409).
    pub moves: Outcome,
    pub rereads: Outcome,
    /// Moves refused because someone had moved the card since it was read.
    pub conflicts: u64,
    /// Of those, moved again after the card was read again, and refused again.
    pub conflicts_again: u64,
    /// Cards moved (200).
    pub moved: u64,
    /// Actions done: board openings and drags (a drag with its re-read and retry is one).
    pub actions: u64,
}

impl Tally {
    fn new() -> Self {
        Self {
            board: nothing(),
            moves: nothing(),
            rereads: nothing(),
            conflicts: 0,
            conflicts_again: 0,
            moved: 0,
            actions: 0,
        }
    }

    fn add(&mut self, other: Tally) {
        merge(&mut self.board, other.board);
        merge(&mut self.moves, other.moves);
        merge(&mut self.rereads, other.rereads);
        self.conflicts += other.conflicts;
        self.conflicts_again += other.conflicts_again;
        self.moved += other.moved;
        self.actions += other.actions;
    }

    /// The phase's length, on each kind.
    fn lasted(&mut self, elapsed: Duration) {
        for o in [&mut self.board, &mut self.moves, &mut self.rereads] {
            o.elapsed = elapsed;
        }
    }

    pub fn errors(&self) -> u64 {
        self.board.errors + self.moves.errors + self.rereads.errors
    }

    pub fn first_error(&self) -> Option<&str> {
        [&self.board, &self.moves, &self.rereads]
            .into_iter()
            .find_map(|o| o.first_error.as_deref())
    }
}

fn card_of(v: &Value) -> Option<Card> {
    Some(Card {
        id: v["id"].as_str().and_then(|s| Uuid::try_parse(s).ok())?,
        stage: v["stage_id"]
            .as_str()
            .and_then(|s| Uuid::try_parse(s).ok())?,
        version: v["version"].as_i64()?,
    })
}

/// The cards of a column of the board (they carry no stage: the column is theirs).
fn cards_of_stage(stage: &Value) -> Vec<Card> {
    let Some(id) = stage["id"].as_str().and_then(|s| Uuid::try_parse(s).ok()) else {
        return Vec::new();
    };
    stage["cards"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| {
            Some(Card {
                id: c["id"].as_str().and_then(|s| Uuid::try_parse(s).ok())?,
                stage: id,
                version: c["version"].as_i64()?,
            })
        })
        .collect()
}

/// One person.
struct Person {
    board: Arc<Board>,
    http: reqwest::Client,
    rng: StdRng,
    seen: Vec<Card>,
}

impl Person {
    async fn open_board(&mut self, tally: &mut Tally) {
        let url = format!(
            "{}/api/v1/pipelines/{}/board",
            self.board.base, self.board.pipeline
        );
        let sent = Instant::now();
        let answer = exchange(self.http.get(url).bearer_auth(&self.board.token)).await;
        let took = sent.elapsed();
        let result = match answer {
            Ok((200, body)) => {
                self.seen = body["stages"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|s| s["kind"] == "open")
                    .flat_map(cards_of_stage)
                    .collect();
                if self.seen.is_empty() {
                    Err("the board shows no open card".to_owned())
                } else {
                    Ok(())
                }
            }
            Ok((status, body)) => Err(format!("board answered {status}: {body}")),
            Err(e) => Err(e),
        };
        note(&mut tally.board, took, result);
    }

    /// Sends one move; the status it was answered with (200 or 409), or an error.
    async fn send_move(
        &mut self,
        tally: &mut Tally,
        card: Card,
        to: Uuid,
        position: i64,
    ) -> Option<(u16, Value)> {
        let url = format!("{}/api/v1/opportunities/{}/move", self.board.base, card.id);
        let body = json!({ "stage_id": to, "position": position, "version": card.version });
        let sent = Instant::now();
        let answer = exchange(
            self.http
                .post(url)
                .bearer_auth(&self.board.token)
                .json(&body),
        )
        .await;
        let took = sent.elapsed();
        match answer {
            Ok((status @ (200 | 409), body)) => {
                note(&mut tally.moves, took, Ok(()));
                Some((status, body))
            }
            Ok((status, body)) => {
                note(
                    &mut tally.moves,
                    took,
                    Err(format!("move answered {status}: {body}")),
                );
                None
            }
            Err(e) => {
                note(&mut tally.moves, took, Err(e));
                None
            }
        }
    }

    async fn reread(&mut self, tally: &mut Tally, id: Uuid) -> Option<Card> {
        let url = format!("{}/api/v1/opportunities/{id}", self.board.base);
        let sent = Instant::now();
        let answer = exchange(self.http.get(url).bearer_auth(&self.board.token)).await;
        let took = sent.elapsed();
        match answer.map(|(status, body)| (status, card_of(&body), body)) {
            Ok((200, Some(card), _)) => {
                note(&mut tally.rereads, took, Ok(()));
                Some(card)
            }
            Ok((status, _, body)) => {
                note(
                    &mut tally.rereads,
                    took,
                    Err(format!("card answered {status}: {body}")),
                );
                None
            }
            Err(e) => {
                note(&mut tally.rereads, took, Err(e));
                None
            }
        }
    }

    /// Drags a card seen on the board; on 409 reads it again and drags it once more.
    async fn drag(&mut self, tally: &mut Tally) {
        if self.seen.is_empty() {
            return self.open_board(tally).await;
        }
        let at = self.rng.gen_range(0..self.seen.len());
        let card = self.seen[at];
        let stages = &self.board.open_stages;
        let to = if self.rng.gen_bool(0.25) {
            card.stage
        } else {
            stages[self.rng.gen_range(0..stages.len())]
        };
        let position = self.rng.gen_range(0..TOP);
        let Some((mut status, mut body)) = self.send_move(tally, card, to, position).await else {
            return;
        };
        if status == 409 {
            tally.conflicts += 1;
            let Some(fresh) = self.reread(tally, card.id).await else {
                return;
            };
            let Some(again) = self.send_move(tally, fresh, to, position).await else {
                return;
            };
            (status, body) = again;
            if status == 409 {
                tally.conflicts_again += 1;
                if let Some(now) = card_of(&body["current"]) {
                    self.seen[at] = now;
                }
                return;
            }
        }
        tally.moved += 1;
        if let Some(moved) = card_of(&body) {
            self.seen[at] = moved;
        }
    }
}

/// `people` people at the board until `duration` is over.
pub async fn phase(
    board: &Arc<Board>,
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
            board: board.clone(),
            http: http.clone(),
            rng: StdRng::seed_from_u64(seed ^ (p as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)),
            seen: Vec::new(),
        };
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::new();
            pace.stagger(&mut person.rng).await;
            let mut first = true;
            while pace.going() {
                if first || person.rng.gen_range(0..100) < person.board.board_percent {
                    person.open_board(&mut tally).await;
                } else {
                    person.drag(&mut tally).await;
                }
                first = false;
                tally.actions += 1;
                pace.pause(&mut person.rng).await;
            }
            tally
        }));
    }
    let mut total = Tally::new();
    for task in tasks {
        match task.await {
            Ok(t) => total.add(t),
            Err(e) => {
                total.board.errors += 1;
                total
                    .board
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
    fn a_card_is_read_from_an_answer() {
        let id = Uuid::new_v4();
        let stage = Uuid::new_v4();
        let v = json!({ "id": id, "stage_id": stage, "version": 3, "title": "x" });
        let card = card_of(&v).expect("a card");
        assert_eq!((card.id, card.stage, card.version), (id, stage, 3));
        assert!(card_of(&json!({ "id": id, "version": 3 })).is_none());
        assert!(card_of(&Value::Null).is_none());
    }

    #[test]
    fn a_column_gives_its_cards_its_stage() {
        let (stage, a, b) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let column = json!({ "id": stage, "kind": "open", "cards": [
            { "id": a, "version": 1 }, { "id": b, "version": 7 }, { "version": 2 }
        ] });
        let cards = cards_of_stage(&column);
        assert_eq!(cards.len(), 2);
        assert!(cards.iter().all(|c| c.stage == stage));
        assert_eq!((cards[1].id, cards[1].version), (b, 7));
    }

    #[test]
    fn tallies_add_up() {
        let mut a = Tally::new();
        note(&mut a.moves, Duration::from_millis(2), Ok(()));
        a.conflicts = 1;
        let mut b = Tally::new();
        note(&mut b.moves, Duration::from_millis(3), Err("boom".into()));
        note(&mut b.board, Duration::from_millis(9), Ok(()));
        b.moved = 4;
        a.add(b);
        assert_eq!((a.moves.ok, a.moves.errors, a.board.ok), (1, 1, 1));
        assert_eq!((a.conflicts, a.moved, a.errors()), (1, 4, 1));
        assert_eq!(a.first_error(), Some("boom"));
        assert_eq!(a.moves.latencies_us, vec![2_000]);
    }
}
