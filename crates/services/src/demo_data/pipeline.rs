//! The demo tenant's sales pipeline: opportunities with some of its clients and leads on the
//! default pipeline, in every stage. Open deals for IT, connectivity and telephony services
//! (Spanish titles, English ones for British clients, quoted in pounds), expected to close over
//! the coming months and owned by the client's salesperson; deals with clients won, deals lost
//! with the reason the client gave, and a few left in their stage past its rot days.
//!
//! Each opportunity is opened through the create flow by its owner, in the stage its story
//! starts in, and moved on by the move flow (won and lost deals, and some open ones a stage
//! further), so its client's timeline tells it. Only the rotting ones are dated back: the flows
//! stamp the current time, and the one statement that writes an opportunity's arrival in its
//! stage (`db::opportunities::set_place`, with the stage and rank it has) puts it past the
//! stage's rot days. Their stay and timeline events keep the time of seeding.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use db::audit::Actor;
use db::opportunities::{ListFilter, Place};
use serde_json::Value;
use uuid::Uuid;

use super::dice::Dice;
use super::{DemoCounts, Owners, SEED, acting};
use crate::pipeline::{self, MoveInput, NewOpportunity, StageOut};
use crate::{Error, Result, Scope};

/// Of every hundred live clients, how many have deals in the pipeline.
const CLIENT_SHARE: i64 = 45;
/// Of every hundred leads, how many are in the pipeline.
const LEAD_SHARE: i64 = 40;
/// Of every hundred inactive or lost clients, how many have a deal they lost.
const GONE_SHARE: i64 = 15;
/// Of every hundred open deals, how many are left in their stage past its rot days.
const ROTTING_SHARE: i64 = 12;
/// Of every hundred open deals past the first stage, how many were opened a stage earlier.
const ADVANCED_SHARE: i64 = 40;

/// Something the tenant sells, as a deal's title names it.
struct Offer {
    es: &'static str,
    en: &'static str,
    /// How many units (seats, users, lines, sites) the title names as `{n}` (never one: the
    /// titles say them in the plural); (1, 1) for none.
    units: (i64, i64),
    /// The price of one unit (of the whole, without units), from and to, in whole euros.
    price: (i64, i64),
}

const fn offer(es: &'static str, en: &'static str, units: (i64, i64), price: (i64, i64)) -> Offer {
    Offer {
        es,
        en,
        units,
        price,
    }
}

#[rustfmt::skip]
const OFFERS: &[Offer] = &[
    offer("Renovación del contrato de mantenimiento informático", "Managed IT support renewal", (1, 1), (6_000, 24_000)),
    offer("Instalación de fibra en la nueva nave", "Fibre installation at the new site", (1, 1), (3_500, 12_000)),
    offer("Centralita virtual para {n} puestos", "Cloud phone system for {n} seats", (8, 60), (180, 320)),
    offer("Licencias del ERP para {n} usuarios", "ERP licences for {n} users", (5, 40), (900, 1_600)),
    offer("Migración del correo y los archivos a la nube", "Mail and file migration to the cloud", (1, 1), (4_000, 15_000)),
    offer("Renovación de {n} portátiles del equipo comercial", "Laptop refresh for {n} sales staff", (6, 40), (950, 1_450)),
    offer("Plan de ciberseguridad y copias de seguridad", "Cyber security review and backups", (1, 1), (7_500, 30_000)),
    offer("Soporte técnico 24x7 para la planta de producción", "24/7 support for the production plant", (1, 1), (18_000, 72_000)),
    offer("Red wifi para el almacén", "Warehouse Wi-Fi upgrade", (1, 1), (5_000, 20_000)),
    offer("Ampliación de la instalación: {n} puestos más", "Office expansion: {n} more desks", (5, 30), (450, 800)),
    offer("Videovigilancia para {n} sedes", "CCTV for {n} sites", (2, 5), (4_500, 9_000)),
    offer("Integración de la tienda online con el ERP", "Online shop and ERP integration", (1, 1), (9_000, 35_000)),
    offer("Proyecto Kit Digital: web y comercio electrónico", "E-commerce website project", (1, 1), (2_000, 12_000)),
    offer("Formación en ciberseguridad para la plantilla", "Security awareness training for staff", (1, 1), (1_500, 6_000)),
    offer("{n} líneas móviles para el equipo comercial", "{n} mobile lines for the sales team", (5, 50), (180, 300)),
    offer("Conexión de respaldo 4G para {n} tiendas", "4G backup links for {n} shops", (2, 12), (600, 1_100)),
];

/// Why a client said no, by language.
const LOST_ES: &[&str] = &[
    "Han elegido a otro proveedor con un precio más bajo",
    "El proyecto se ha cancelado por falta de presupuesto",
    "Se quedan con su proveedor actual, que ha igualado la oferta",
    "Sin respuesta tras tres seguimientos",
    "Nuestros plazos de instalación no les encajan",
    "Lo aplazan al año que viene",
];
const LOST_EN: &[&str] = &[
    "They chose a cheaper supplier",
    "The project was cancelled for lack of budget",
    "They are staying with their current supplier, who matched our offer",
    "No answer after three follow-ups",
    "Our installation lead time did not suit them",
    "Postponed to next year",
];

/// How a deal's story ends (so far), by the index of the open stage it stands in or left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Open(usize),
    Won(usize),
    Lost(usize),
}

/// Which clients a deal is drawn for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    Client,
    Lead,
    /// Inactive or lost.
    Gone,
}

/// A demo client that may have deals.
struct Prospect {
    id: Uuid,
    owner: Option<Uuid>,
    standing: Standing,
    english: bool,
}

/// One deal to open: its story and details, drawn.
#[derive(Debug, Clone)]
struct Deal {
    client_id: Uuid,
    owner: Option<Uuid>,
    fate: Fate,
    /// Opened in the open stage before its own, and moved on.
    advanced: bool,
    rotting: bool,
    title: String,
    value: i64,
    currency: &'static str,
    expected_close: NaiveDate,
    completion: i16,
    lost_reason: Option<&'static str>,
    /// Where it is opened among the others (the board's order within a stage).
    order: i64,
}

/// A fate for a deal of a client of `standing`, on a pipeline of `open` open stages.
fn fate(dice: &mut Dice, standing: Standing, open: usize) -> Fate {
    let last = open.saturating_sub(1);
    let stage = |dice: &mut Dice, early: bool| {
        // Leads are mostly early on; clients anywhere.
        let weights: Vec<(usize, i64)> = (0..open)
            .map(|i| (i, if early { (open - i) as i64 * 3 } else { 4 }))
            .collect();
        dice.weighted(&weights)
    };
    match standing {
        Standing::Gone => Fate::Lost(stage(dice, true)),
        Standing::Lead => match dice.range(0, 99) {
            0..=83 => Fate::Open(stage(dice, true)),
            _ => Fate::Lost(stage(dice, true)),
        },
        Standing::Client => match dice.range(0, 99) {
            0..=57 => Fate::Open(stage(dice, false)),
            58..=81 => Fate::Won(last.saturating_sub(usize::from(dice.chance(25)))),
            _ => Fate::Lost(stage(dice, false)),
        },
    }
}

/// A deal drawn for `client`, seen from `today`.
fn deal(
    dice: &mut Dice,
    client: &Prospect,
    owner: Option<Uuid>,
    open: &[&StageOut],
    today: NaiveDate,
) -> Deal {
    let offer = dice.pick(OFFERS);
    let units = dice.range(offer.units.0, offer.units.1);
    let price = dice.range(offer.price.0, offer.price.1) / 10 * 10;
    let title = if client.english { offer.en } else { offer.es };
    let fate = fate(dice, client.standing, open.len());
    let stage_index = match fate {
        Fate::Open(i) | Fate::Won(i) | Fate::Lost(i) => i,
    };
    let probability = open.get(stage_index).map_or(0, |s| s.probability);
    let rotting = matches!(fate, Fate::Open(_)) && dice.chance(ROTTING_SHARE);
    // Later stages close sooner; a rotting deal's date may have passed; a closed one's was near.
    let days_ahead = match fate {
        Fate::Open(_) if rotting => dice.range(-20, 15),
        Fate::Open(i) => {
            let later = (open.len() - i) as i64;
            dice.range(7 + later * 5, 30 + later * 35)
        }
        Fate::Won(_) => dice.range(-10, 10),
        Fate::Lost(_) => dice.range(10, 90),
    };
    Deal {
        client_id: client.id,
        owner,
        fate,
        advanced: stage_index > 0
            && matches!(fate, Fate::Open(_) | Fate::Won(_))
            && dice.chance(ADVANCED_SHARE),
        rotting,
        title: title.replace("{n}", &units.to_string()),
        value: units * price,
        currency: if client.english { "GBP" } else { "EUR" },
        expected_close: today + Duration::days(days_ahead),
        completion: (i64::from(probability) + dice.range(-5, 10)).clamp(0, 100) as i16,
        lost_reason: match fate {
            Fate::Lost(_) => Some(*dice.pick(if client.english { LOST_EN } else { LOST_ES })),
            _ => None,
        },
        order: dice.range(0, 1_000_000),
    }
}

/// Whether the tenant has opportunities already (the demo's, or its own). Locks its default
/// pipeline first, so that a concurrent fill waits here and then finds this one's.
pub(super) async fn filled_already(scope: &mut Scope) -> Result<bool> {
    let Some(default) = db::pipelines::default_id(&mut scope.tx).await? else {
        return Ok(true);
    };
    db::pipelines::get_for_update(&mut scope.tx, default).await?;
    let one = ListFilter {
        limit: 1,
        ..ListFilter::default()
    };
    Ok(!db::opportunities::list(&mut scope.tx, &one)
        .await?
        .is_empty())
}

/// The live clients by name (the same ones on every machine), with their owner, standing and
/// language.
async fn prospects(scope: &mut Scope) -> Result<Vec<Prospect>> {
    let filter = db::clients::Filter {
        sort: Some(db::clients::Sort::Name),
        limit: 2000,
        ..Default::default()
    };
    let rows = db::clients::list(&mut scope.tx, &filter).await?;
    Ok(rows
        .into_iter()
        .map(|c| {
            let country = c.address.as_ref().and_then(|a| a.get("country"));
            Prospect {
                id: c.id,
                owner: c.owner_id,
                standing: match c.status.as_str() {
                    "client" => Standing::Client,
                    "lead" => Standing::Lead,
                    _ => Standing::Gone,
                },
                english: country.and_then(Value::as_str) == Some("GB"),
            }
        })
        .collect())
}

/// Who sells to a client: its owner when that user works the pipeline, else the sales user.
fn seller(owners: &Owners, owner: Option<Uuid>) -> Option<Uuid> {
    let sells = |id: &Uuid| {
        owners
            .0
            .iter()
            .any(|(role, user)| user == id && matches!(role.as_str(), "sales" | "admin" | "owner"))
    };
    owner.filter(sells).or_else(|| owners.pick(Some("sales")))
}

/// The deals of the demo's clients, in the order they are opened.
fn draw(
    prospects: &[Prospect],
    owners: &Owners,
    open: &[&StageOut],
    today: NaiveDate,
) -> Vec<Deal> {
    let mut dice = Dice::new(SEED ^ 0x0091_9E11);
    let mut deals = Vec::new();
    for client in prospects {
        let (share, most) = match client.standing {
            Standing::Client => (CLIENT_SHARE, 2),
            Standing::Lead => (LEAD_SHARE, 1),
            Standing::Gone => (GONE_SHARE, 1),
        };
        if !dice.chance(share) {
            continue;
        }
        let owner = seller(owners, client.owner);
        for _ in 0..dice.range(1, most) {
            deals.push(deal(&mut dice, client, owner, open, today));
        }
    }
    deals.sort_by_key(|d| d.order);
    deals
}

/// Gives the tenant the demo's opportunities on its default pipeline.
pub(super) async fn add(
    scope: &mut Scope,
    owners: &Owners,
    now: DateTime<Utc>,
    counts: &mut DemoCounts,
) -> Result<()> {
    let pipeline = pipeline::pipelines::default_pipeline(scope).await?.value;
    let open: Vec<&StageOut> = pipeline
        .stages
        .iter()
        .filter(|s| s.kind == "open")
        .collect();
    let won = pipeline.stages.iter().find(|s| s.kind == "won");
    let lost = pipeline.stages.iter().find(|s| s.kind == "lost");
    let (Some(won), Some(lost)) = (won, lost) else {
        return Err(Error::Corrupt(
            "the default pipeline lacks a won or lost stage".into(),
        ));
    };
    let prospects = prospects(scope).await?;
    for deal in draw(&prospects, owners, &open, now.date_naive()) {
        scope.actor = acting(deal.owner);
        open_deal(scope, &deal, &open, won, lost, now).await?;
        counts.opportunities += 1;
        match deal.fate {
            Fate::Won(_) => counts.opportunities_won += 1,
            Fate::Lost(_) => counts.opportunities_lost += 1,
            Fate::Open(_) => counts.opportunities_rotting += usize::from(deal.rotting),
        }
    }
    scope.actor = Actor::system();
    Ok(())
}

/// Opens one deal in the stage its story starts in and plays the rest of it.
async fn open_deal(
    scope: &mut Scope,
    deal: &Deal,
    open: &[&StageOut],
    won: &StageOut,
    lost: &StageOut,
    now: DateTime<Utc>,
) -> Result<()> {
    let (index, closing) = match deal.fate {
        Fate::Open(i) => (i, None),
        Fate::Won(i) => (i, Some(won)),
        Fate::Lost(i) => (i, Some(lost)),
    };
    let (Some(stage), Some(first)) = (open.get(index), open.get(index.saturating_sub(1))) else {
        return Err(Error::Corrupt(
            "the default pipeline has no open stage".into(),
        ));
    };
    let input = NewOpportunity {
        client_id: deal.client_id,
        title: deal.title.clone(),
        estimated_value: Some(deal.value.to_string()),
        currency: Some(deal.currency.to_owned()),
        stage_id: Some(if deal.advanced { first.id } else { stage.id }),
        expected_close_date: Some(deal.expected_close),
        owner_id: deal.owner,
        completion_percentage: Some(deal.completion),
    };
    let mut opportunity = pipeline::create(scope, input).await?.value;
    let mut moves: Vec<(&StageOut, Option<&str>)> = Vec::new();
    if deal.advanced {
        moves.push((stage, None));
    }
    if let Some(closing) = closing {
        moves.push((closing, deal.lost_reason));
    }
    for (to, lost_reason) in moves {
        let input = MoveInput {
            stage_id: to.id,
            position: 0,
            version: opportunity.version,
            lost_reason: lost_reason.map(str::to_owned),
        };
        opportunity = pipeline::move_opportunity(scope, opportunity.id, input)
            .await?
            .value;
    }
    if deal.rotting {
        let rot_days = i64::from(stage.rot_days.unwrap_or(14));
        let entered = now - Duration::days(rot_days + 2 + deal.order % 24);
        leave_in_stage_since(scope, opportunity.id, entered).await?;
    }
    Ok(())
}

/// Dates an opportunity's arrival in the stage it stands in back to `entered`, keeping its
/// place (see the module's doc).
async fn leave_in_stage_since(scope: &mut Scope, id: Uuid, entered: DateTime<Utc>) -> Result<()> {
    let row = db::opportunities::get(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    let place = Place {
        stage_id: row.stage_id,
        rank: row.rank,
        stage_entered_at: entered,
        closed_at: row.closed_at,
        lost_reason: row.lost_reason.clone(),
    };
    db::opportunities::set_place(&mut scope.tx, id, row.stage_id, &place).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stages() -> Vec<StageOut> {
        [
            ("Nuevo", 10, 14),
            ("Cualificado", 25, 21),
            ("Propuesta", 50, 21),
            ("Negociación", 75, 14),
        ]
        .into_iter()
        .enumerate()
        .map(|(i, (name, probability, rot))| StageOut {
            id: Uuid::now_v7(),
            name: name.into(),
            position: i as i32,
            probability,
            kind: "open".into(),
            rot_days: Some(rot),
            on_proposal_sent: false,
        })
        .collect()
    }

    fn prospects() -> Vec<Prospect> {
        let standing = [
            Standing::Client,
            Standing::Lead,
            Standing::Client,
            Standing::Gone,
        ];
        (0..300)
            .map(|i| Prospect {
                id: Uuid::now_v7(),
                owner: None,
                standing: standing[i % standing.len()],
                english: i % 7 == 0,
            })
            .collect()
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 9).expect("date")
    }

    fn drawn(clients: &[Prospect]) -> Vec<Deal> {
        let stages = stages();
        let open: Vec<&StageOut> = stages.iter().collect();
        draw(clients, &Owners(Vec::new()), &open, today())
    }

    #[test]
    fn every_stage_and_outcome_is_drawn_and_leads_are_never_won() {
        let clients = prospects();
        let deals = drawn(&clients);
        assert!((80..=200).contains(&deals.len()), "{}", deals.len());
        for i in 0..4 {
            let here = deals.iter().filter(|d| d.fate == Fate::Open(i)).count();
            assert!(here >= 5, "stage {i}: {here}");
        }
        let won = deals
            .iter()
            .filter(|d| matches!(d.fate, Fate::Won(_)))
            .count();
        let lost = deals
            .iter()
            .filter(|d| matches!(d.fate, Fate::Lost(_)))
            .count();
        let rotting = deals.iter().filter(|d| d.rotting).count();
        assert!(
            won >= 8 && lost >= 8 && rotting >= 3,
            "{won} {lost} {rotting}"
        );
        let standing = |id: Uuid| clients.iter().find(|c| c.id == id).map(|c| c.standing);
        for d in &deals {
            if matches!(d.fate, Fate::Won(_)) {
                assert_eq!(standing(d.client_id), Some(Standing::Client), "{}", d.title);
            }
            if standing(d.client_id) == Some(Standing::Gone) {
                assert!(matches!(d.fate, Fate::Lost(_)), "{}", d.title);
            }
            assert_eq!(d.lost_reason.is_some(), matches!(d.fate, Fate::Lost(_)));
        }
    }

    #[test]
    fn deals_read_as_real_ones() {
        let today = today();
        for d in drawn(&prospects()) {
            assert!(!d.title.contains('{') && d.title.chars().count() <= pipeline::TITLE_CHARS);
            assert!(
                d.value >= 500 && d.value % 10 == 0,
                "{}: {}",
                d.title,
                d.value
            );
            assert!((0..=100).contains(&d.completion));
            assert!(!d.title.contains(" 1 "), "{}", d.title);
            if matches!(d.fate, Fate::Open(_)) && !d.rotting {
                assert!(d.expected_close > today, "{}", d.title);
                assert!(
                    d.expected_close < today + Duration::days(200),
                    "{}",
                    d.title
                );
            }
        }
    }

    #[test]
    fn the_same_seed_draws_the_same_deals() {
        let titles = |deals: Vec<Deal>| {
            deals
                .into_iter()
                .map(|d| (d.title, d.value))
                .collect::<Vec<_>>()
        };
        let clients = prospects();
        assert_eq!(titles(drawn(&clients)), titles(drawn(&clients)));
    }
}
