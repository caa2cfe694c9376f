//! The demo tenant's calendar: a realistic working week for each demo user who plans
//! activities (owner, admin, sales, support). Calls, meetings, demos, tasks and deadlines with
//! the live clients they own (or any live client), between 09:00 and 18:00 in the tenant's time
//! zone on this week's weekdays, a weekly follow-up meeting on Mondays that started a month
//! ago, and those already past logged as done with their outcome (about one in ten
//! cancelled). Each is
//! planned through the create flow by its user, so the clients' timelines tell it; added once
//! to a tenant without activities.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use db::activities::WindowFilter;
use uuid::Uuid;

use super::dice::Dice;
use super::{DemoCounts, Owners, SEED, acting};
use crate::calendar::{self, NewActivity};
use crate::{Result, Scope};

/// The roles whose demo users get a week of activities.
const ROLES: [&str; 4] = ["owner", "admin", "sales", "support"];
/// Activities each of them has on each weekday.
const PER_DAY: (i64, i64) = (1, 3);

/// A kind of activity with how long it lasts (minutes; 0 for a moment) and its titles.
struct Kind {
    kind: &'static str,
    minutes: i64,
    titles: &'static [&'static str],
}

const KINDS: &[Kind] = &[
    Kind {
        kind: "call",
        minutes: 30,
        titles: &[
            "Llamada de seguimiento",
            "Llamada para confirmar la instalación",
            "Llamada sobre la factura de noviembre",
            "Llamada para renovar el soporte",
        ],
    },
    Kind {
        kind: "meeting",
        minutes: 60,
        titles: &[
            "Reunión de revisión del contrato",
            "Visita a sus oficinas",
            "Reunión con dirección financiera",
        ],
    },
    Kind {
        kind: "demo",
        minutes: 45,
        titles: &[
            "Demo de la centralita virtual",
            "Demo del portal de clientes",
            "Demo de la copia de seguridad en la nube",
        ],
    },
    Kind {
        kind: "task",
        minutes: 30,
        titles: &[
            "Preparar la propuesta",
            "Enviar la documentación firmada",
            "Revisar el inventario de equipos",
        ],
    },
    Kind {
        kind: "deadline",
        minutes: 0,
        titles: &["Vence la oferta", "Fin del periodo de prueba"],
    },
];

const OUTCOMES: &[&str] = &[
    "Quieren la propuesta antes del viernes",
    "Todo en orden; próxima revisión en tres meses",
    "Piden presupuesto para dos sedes más",
    "Sin respuesta; volver a llamar la semana que viene",
];

/// Whether the tenant has activities already.
pub(super) async fn filled_already(scope: &mut Scope) -> Result<bool> {
    let any = WindowFilter::default();
    Ok(!db::activities::in_window(&mut scope.tx, &any, 1)
        .await?
        .is_empty())
}

/// The live clients, and those each user owns.
async fn clients(scope: &mut Scope) -> Result<Vec<(Uuid, Option<Uuid>)>> {
    let filter = db::clients::Filter {
        sort: Some(db::clients::Sort::Name),
        status: Some("client".into()),
        limit: 2000,
        ..Default::default()
    };
    let rows = db::clients::list(&mut scope.tx, &filter).await?;
    Ok(rows.into_iter().map(|c| (c.id, c.owner_id)).collect())
}

/// Gives each demo user who plans activities this week's and last week's.
pub(super) async fn add(
    scope: &mut Scope,
    owners: &Owners,
    now: DateTime<Utc>,
    counts: &mut DemoCounts,
) -> Result<()> {
    let tenant = scope.tenant();
    let zone_name = db::tenants::get(&mut scope.tx, tenant)
        .await?
        .map_or_else(|| "Europe/Madrid".to_owned(), |t| t.time_zone);
    let zone = zone_name
        .parse::<chrono_tz::Tz>()
        .unwrap_or(chrono_tz::Europe::Madrid);
    let clients = clients(scope).await?;
    if clients.is_empty() {
        return Ok(());
    }
    let today = now.with_timezone(&zone).date_naive();
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let mut dice = Dice::new(SEED ^ 0x00CA_1E4D);
    let at = |day: NaiveDate, minute: i64| {
        let time = NaiveTime::MIN + Duration::minutes(minute);
        domain::local_time::resolve_local(zone, day.and_time(time))
    };
    for role in ROLES {
        let Some(user) = owners.pick(Some(role)).filter(|_| owners.has(role)) else {
            continue;
        };
        scope.actor = acting(Some(user));
        let theirs: Vec<Uuid> = clients
            .iter()
            .filter(|(_, owner)| *owner == Some(user))
            .map(|(id, _)| *id)
            .collect();
        let pool: Vec<Uuid> = if theirs.len() >= 5 {
            theirs
        } else {
            clients.iter().map(|(id, _)| *id).collect()
        };
        // The weekly follow-up, every Monday at 09:30 since four weeks ago.
        let first = at(monday - Duration::weeks(4), 9 * 60 + 30);
        let mut weekly = planned(
            user,
            *dice.pick(&pool),
            "meeting",
            "Reunión semanal de seguimiento",
            first,
            30,
            &zone_name,
        );
        weekly.recurrence = Some("FREQ=WEEKLY;BYDAY=MO".into());
        calendar::create(scope, weekly).await?;
        counts.activities += 1;
        for week in [-1, 0] {
            for weekday in 0..5 {
                let day = monday + Duration::weeks(week) + Duration::days(weekday);
                let mut minute = 10 * 60 + 30 + dice.range(0, 2) * 30;
                for _ in 0..dice.range(PER_DAY.0, PER_DAY.1) {
                    let k = dice.pick(KINDS);
                    let start = at(day, minute);
                    let client = *dice.pick(&pool);
                    let title: &&str = dice.pick(k.titles);
                    let mut a = planned(user, client, k.kind, title, start, k.minutes, &zone_name);
                    if start < now {
                        if dice.chance(10) {
                            a.status = Some("cancelled".into());
                        } else {
                            a.status = Some("done".into());
                            a.outcome = Some((*dice.pick(OUTCOMES)).to_owned());
                        }
                    }
                    calendar::create(scope, a).await?;
                    counts.activities += 1;
                    minute += k.minutes.max(30) + dice.range(1, 4) * 30;
                    if minute > 17 * 60 {
                        break;
                    }
                }
            }
        }
    }
    Ok(())
}

/// A planned activity of `user`'s.
fn planned(
    user: Uuid,
    client: Uuid,
    kind: &str,
    title: &str,
    start: DateTime<Utc>,
    minutes: i64,
    zone: &str,
) -> NewActivity {
    NewActivity {
        client_id: client,
        contact_id: None,
        opportunity_id: None,
        ticket_id: None,
        kind: kind.to_owned(),
        title: title.to_owned(),
        notes: None,
        starts_at: start,
        ends_at: Some(start + Duration::minutes(minutes)),
        all_day: None,
        time_zone: Some(zone.to_owned()),
        location: (kind == "meeting").then(|| "Oficinas del cliente".to_owned()),
        video_url: (kind == "demo").then(|| "https://meet.example.com/demo".to_owned()),
        assignee_ids: Some(vec![user]),
        status: None,
        outcome: None,
        recurrence: None,
        exceptions: None,
        // Demos are prepared the day before; the rest follow each user's default.
        reminder_minutes: (kind == "demo").then(|| vec![15, 1440]),
    }
}
