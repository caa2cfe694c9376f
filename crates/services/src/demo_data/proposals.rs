//! The demo tenant's proposals: its two templates in the tenant's language (`proposal_texts`),
//! and proposals on the deals of its Spanish clients in every status, priced with lines a
//! Spanish IT firm would quote (IVA 21, 10 for a hotel night or a meal, a discount here and
//! there). A deal won was won on an accepted proposal (a few on a second revision, after the
//! client turned the first down); a deal lost was lost on a rejected or expired one, or before
//! any proposal; a deal in the "proposal sent" stage or later awaits an answer to one, some
//! already opened by the client; a deal in the stage before has a draft being written.
//!
//! Each proposal is drafted, sent, opened and answered through the module's flows, as its owner
//! (the client, through the public link, for opening and answering) and at the moment its story
//! says; the e-mail it went with is marked accepted by the mail server at its moment (the demo's
//! past is never handed to a worker). The flows stamp drafting and sending with the current
//! time and a validity from today: `db::demo_proposals` dates them back afterwards, so an
//! expired proposal ran out weeks ago. Sending needs the e-mail channel: a tenant without one
//! gets the demo's, on the local mail catcher, as the communications part sets it.

use chrono::{DateTime, Duration, Utc};
use db::audit::Actor;
use db::crypto::TenantCipher;
use db::demo_proposals::ProposalDates;
use domain::templates::Locale;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::dice::Dice;
use super::proposal_texts::{self as texts, Kind, Line};
use super::{DemoCounts, Owners, SEED, acting};
use crate::communications::channels;
use crate::proposals::decisions::{self, Answer};
use crate::proposals::render::{self, Strictness};
use crate::proposals::templates::{self, TemplateInput};
use crate::proposals::{self, ItemInput, NewProposal, ProposalPatch, SendInput};
use crate::{Error, Expected, Result, Scope};

/// Of every hundred open deals in the "proposal sent" stage or later, how many await an answer
/// to a proposal.
const SENT_SHARE: i64 = 75;
/// Of every hundred open deals in the stage before it, how many have a draft being written.
const DRAFT_SHARE: i64 = 50;
/// Of every hundred lost deals, how many were lost on a proposal.
const LOST_ON_PROPOSAL_SHARE: i64 = 60;
/// Of those, how many expired unanswered (the others were turned down).
const EXPIRED_SHARE: i64 = 40;
/// Of every hundred won deals, how many were won on a second revision.
const REVISED_SHARE: i64 = 25;
/// Of every hundred proposals awaiting an answer, how many the client has opened.
const VIEWED_SHARE: i64 = 60;
/// Days a demo proposal holds from the day it is sent.
const VALID_DAYS: i64 = 30;
/// Services proposals drafted longer ago than this were made from the template's first
/// version (before the warranty section).
const FIRST_VERSION_DAYS: i64 = 45;
/// The address the links in the e-mails point at (`crm dev`'s).
const DEMO_BASE: &str = "http://127.0.0.1:8080";

/// How a proposal's story ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Draft,
    /// Sent, awaiting an answer.
    Sent,
    Accepted,
    /// Accepted on a second revision, after the client turned the first down.
    AcceptedRevised,
    Rejected,
    Expired,
}

/// Where a deal stands, as far as proposals go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    /// Open, before the stage before "proposal sent": too early for a proposal.
    Early,
    /// Open, in the stage just before "proposal sent".
    Preparing,
    /// Open, in the "proposal sent" stage or later.
    Proposed,
    Won,
    Lost,
}

/// A deal of a Spanish client that may have proposals.
#[derive(Debug, Clone)]
struct Deal {
    opportunity_id: Uuid,
    client_id: Uuid,
    owner: Option<Uuid>,
    title: String,
    /// Its estimated value, in cents.
    cents: i64,
    currency: String,
    standing: Standing,
    /// The client's person to write to (none: the client's own address); `None` for a client
    /// without any e-mail address, who gets no proposal.
    address: Option<Option<Uuid>>,
}

/// When the steps of a proposal happen, in days (and hours) back from now.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Moments {
    drafted: DateTime<Utc>,
    sent: DateTime<Utc>,
    /// The client's first look, if any.
    viewed: Option<DateTime<Utc>>,
    /// The answer, or the expiry.
    decided: DateTime<Utc>,
}

/// One proposal drawn: its template, lines, values and story.
#[derive(Debug, Clone)]
struct Plan {
    fate: Fate,
    kind: Kind,
    items: Vec<ItemInput>,
    variables: Map<String, Value>,
    moments: Moments,
    /// The second revision's moments (`AcceptedRevised`).
    second: Option<Moments>,
    /// What the client wrote with the answer.
    note: Option<&'static str>,
}

/// A working moment `days` days before `now` (08:00-17:00 UTC), never later than ten minutes
/// ago.
fn moment(dice: &mut Dice, now: DateTime<Utc>, days: i64) -> DateTime<Utc> {
    let day = (now - Duration::days(days)).date_naive();
    let at = day.and_hms_opt(8, 0, 0).unwrap_or_default().and_utc()
        + Duration::minutes(dice.range(0, 9 * 60));
    at.min(now - Duration::minutes(10))
}

/// The fate of a deal's proposal, if it has one.
fn fate(dice: &mut Dice, standing: Standing) -> Option<Fate> {
    match standing {
        Standing::Early => None,
        Standing::Preparing => dice.chance(DRAFT_SHARE).then_some(Fate::Draft),
        Standing::Proposed => dice.chance(SENT_SHARE).then_some(Fate::Sent),
        Standing::Won if dice.chance(REVISED_SHARE) => Some(Fate::AcceptedRevised),
        Standing::Won => Some(Fate::Accepted),
        Standing::Lost if !dice.chance(LOST_ON_PROPOSAL_SHARE) => None,
        Standing::Lost if dice.chance(EXPIRED_SHARE) => Some(Fate::Expired),
        Standing::Lost => Some(Fate::Rejected),
    }
}

/// The moments of a proposal sent `sent_days` ago and answered `answer_days` later.
fn sent_moments(
    dice: &mut Dice,
    now: DateTime<Utc>,
    sent_days: i64,
    answer_days: i64,
    viewed: bool,
) -> Moments {
    let sent = moment(dice, now, sent_days);
    Moments {
        drafted: sent - Duration::days(dice.range(1, 3)) - Duration::minutes(dice.range(5, 300)),
        sent,
        viewed: viewed.then(|| sent + Duration::minutes(dice.range(30, 20 * 60))),
        decided: if answer_days == 0 {
            sent
        } else {
            moment(dice, now, sent_days - answer_days)
        },
    }
}

/// When each step of a proposal of `fate` happens.
fn moments(dice: &mut Dice, now: DateTime<Utc>, fate: Fate) -> (Moments, Option<Moments>) {
    match fate {
        Fate::Draft => {
            let days = dice.range(0, 5);
            let drafted = moment(dice, now, days);
            let m = Moments {
                drafted,
                sent: drafted,
                viewed: None,
                decided: drafted,
            };
            (m, None)
        }
        Fate::Sent => {
            let (days, viewed) = (dice.range(1, 28), dice.chance(VIEWED_SHARE));
            (sent_moments(dice, now, days, 0, viewed), None)
        }
        Fate::Accepted | Fate::Rejected => {
            let (days, answer) = (dice.range(18, 120), dice.range(2, 12));
            (sent_moments(dice, now, days, answer, true), None)
        }
        Fate::AcceptedRevised => {
            let (days, answer) = (dice.range(40, 120), dice.range(3, 8));
            let first = sent_moments(dice, now, days, answer, true);
            let drafted = first.decided + Duration::days(1);
            let sent = drafted + Duration::days(1) + Duration::minutes(dice.range(10, 240));
            let second = Moments {
                drafted,
                sent,
                viewed: Some(sent + Duration::minutes(dice.range(30, 600))),
                decided: sent + Duration::days(dice.range(2, 7)),
            };
            (first, Some(second))
        }
        Fate::Expired => {
            let (days, viewed) = (dice.range(VALID_DAYS + 5, 120), dice.chance(50));
            let mut m = sent_moments(dice, now, days, 0, viewed);
            // Expired by the worker's first pass after the last valid day.
            let last_day = m.sent.date_naive() + Duration::days(VALID_DAYS);
            m.decided = (last_day + Duration::days(1))
                .and_hms_opt(5, 0, 0)
                .unwrap_or_default()
                .and_utc()
                + Duration::minutes(dice.range(0, 50));
            (m, None)
        }
    }
}

/// An amount in cents as the API writes it.
fn money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// A unit price from a range in cents: in whole euros, unless the range is one exact price.
fn list_price(dice: &mut Dice, (lo, hi): (i64, i64)) -> i64 {
    if lo == hi {
        lo
    } else {
        dice.range(lo / 100, hi / 100) * 100
    }
}

/// The lines of a proposal for a deal worth `cents`: the deal itself as its main line (about
/// two thirds of its value, sometimes discounted), then a few lines of the template's kind.
fn items(dice: &mut Dice, kind: Kind, title: &str, cents: i64, locale: Locale) -> Vec<ItemInput> {
    let main = (cents * dice.range(55, 75) / 100 / 1_000 * 1_000).max(30_000);
    let mut out = vec![ItemInput {
        description: title.to_owned(),
        quantity: "1".into(),
        unit_price: money(main),
        discount_percentage: dice
            .chance(30)
            .then(|| dice.pick(&["5", "8", "10"]).to_string()),
        tax_rate: Some("21".into()),
    }];
    let catalogue: &[Line] = match kind {
        Kind::Services => texts::SERVICES_LINES,
        Kind::Support => texts::SUPPORT_LINES,
    };
    let extra = dice.range(2, 5) as usize;
    for line in dice.some(catalogue, extra) {
        let discount = (line.discounted && dice.chance(35)).then(|| *dice.pick(&["5", "10", "15"]));
        out.push(ItemInput {
            description: line.text.in_(locale).to_owned(),
            quantity: dice.range(line.quantity.0, line.quantity.1).to_string(),
            unit_price: money(list_price(dice, line.cents)),
            discount_percentage: discount.map(str::to_owned),
            tax_rate: Some(line.tax_rate.to_string()),
        });
    }
    out
}

/// The values a salesperson gives for the template's declared variables.
fn variables(dice: &mut Dice, kind: Kind, locale: Locale) -> Map<String, Value> {
    let mut out = Map::new();
    match kind {
        Kind::Services => {
            let (terms, deposit) = dice.pick(texts::PAYMENT_TERMS);
            out.insert("paymentTerms".into(), json!(terms.in_(locale)));
            out.insert("depositPercentage".into(), json!(deposit));
        }
        Kind::Support => {
            let terms = dice.pick(texts::SUPPORT_TERMS);
            out.insert("paymentTerms".into(), json!(terms.in_(locale)));
            out.insert(
                "responseHours".into(),
                json!(dice.pick(texts::RESPONSE_HOURS)),
            );
        }
    }
    out
}

/// Which template suits a deal: the support contract for support and maintenance deals.
fn kind_of(title: &str) -> Kind {
    let t = title.to_lowercase();
    if ["mantenimiento", "soporte", "support"]
        .iter()
        .any(|w| t.contains(w))
    {
        Kind::Support
    } else {
        Kind::Services
    }
}

/// The proposals of the deals, in the order the deals come.
fn draw(deals: &[Deal], now: DateTime<Utc>, locale: Locale) -> Vec<(usize, Plan)> {
    let mut dice = Dice::new(SEED ^ 0x0090_0DA1);
    let mut plans = Vec::new();
    for (i, deal) in deals.iter().enumerate() {
        let Some(fate) = fate(&mut dice, deal.standing) else {
            continue;
        };
        if deal.address.is_none() && fate != Fate::Draft {
            continue;
        }
        let kind = kind_of(&deal.title);
        let (moments, second) = moments(&mut dice, now, fate);
        let note = match fate {
            Fate::Rejected | Fate::AcceptedRevised => Some(*dice.pick(texts::REJECTIONS)),
            Fate::Accepted if dice.chance(40) => Some(*dice.pick(texts::ACCEPTANCES)),
            _ => None,
        };
        plans.push((
            i,
            Plan {
                fate,
                kind,
                items: items(&mut dice, kind, &deal.title, deal.cents, locale),
                variables: variables(&mut dice, kind, locale),
                moments,
                second,
                note,
            },
        ));
    }
    plans
}

/// Whether the tenant has proposal templates already (the demo's, or its own).
pub(super) async fn filled_already(scope: &mut Scope) -> Result<bool> {
    Ok(!db::proposal_templates::list(&mut scope.tx, None, 1)
        .await?
        .is_empty())
}

/// The demo's templates (the services proposal at its second version); None when another
/// fill created the first one meanwhile.
async fn create_templates(
    scope: &mut Scope,
    locale: Locale,
    counts: &mut DemoCounts,
) -> Result<Option<[Uuid; 2]>> {
    // A concurrent fill waits on the first name, then finds it taken: this one gives way.
    let services = match templates::create(scope, texts::services_template(locale)).await {
        Err(Error::Conflict { .. }) => return Ok(None),
        other => other?.value,
    };
    let mut sections = services.sections.clone();
    sections.insert(sections.len() - 1, texts::warranty_section(locale));
    let second = TemplateInput {
        sections: Some(sections),
        ..TemplateInput::default()
    };
    templates::update(scope, services.id, second, &Expected::Any).await?;
    let support = templates::create(scope, texts::support_template(locale)).await?;
    counts.proposal_templates += 2;
    Ok(Some([services.id, support.value.id]))
}

/// The deals of the tenant's Spanish clients on its default pipeline, by client name and title
/// (the same ones on every machine), with where they stand and whom to write to; a deal
/// without an owner is the sales user's.
async fn deals(scope: &mut Scope, owners: &Owners) -> Result<Vec<Deal>> {
    let pipeline = crate::pipeline::pipelines::default_pipeline(scope)
        .await?
        .value;
    let open: Vec<_> = pipeline
        .stages
        .iter()
        .filter(|s| s.kind == "open")
        .collect();
    let proposal_at = open
        .iter()
        .position(|s| s.on_proposal_sent)
        .unwrap_or(open.len() / 2);
    let standing = |stage: Uuid| match pipeline.stages.iter().find(|s| s.id == stage) {
        Some(s) if s.kind == "won" => Standing::Won,
        Some(s) if s.kind == "lost" => Standing::Lost,
        _ => match open.iter().position(|s| s.id == stage) {
            Some(i) if i >= proposal_at => Standing::Proposed,
            Some(i) if i + 1 == proposal_at => Standing::Preparing,
            _ => Standing::Early,
        },
    };
    let filter = db::opportunities::ListFilter {
        pipeline_id: Some(pipeline.id),
        limit: 5_000,
        ..Default::default()
    };
    let opportunities = db::opportunities::list(&mut scope.tx, &filter).await?;
    let clients = db::clients::list(
        &mut scope.tx,
        &db::clients::Filter {
            sort: Some(db::clients::Sort::Name),
            limit: 2000,
            ..Default::default()
        },
    )
    .await?;
    let mut out = Vec::new();
    for client in clients {
        let country = client.address.as_ref().and_then(|a| a.get("country"));
        if country.and_then(Value::as_str) == Some("GB") {
            continue;
        }
        let mut theirs: Vec<_> = opportunities
            .iter()
            .map(|o| &o.row)
            .filter(|o| o.client_id == client.id)
            .collect();
        if theirs.is_empty() {
            continue;
        }
        theirs.sort_by(|a, b| (&a.title, a.estimated_value).cmp(&(&b.title, b.estimated_value)));
        let address = address_of(scope, &client).await?;
        for o in theirs {
            out.push(Deal {
                opportunity_id: o.id,
                client_id: o.client_id,
                owner: o.owner_id.or_else(|| owners.pick(Some("sales"))),
                title: o.title.clone(),
                cents: (o.estimated_value * rust_decimal::Decimal::ONE_HUNDRED)
                    .to_i64()
                    .unwrap_or(0),
                currency: o.currency.clone(),
                standing: standing(o.stage_id),
                address,
            });
        }
    }
    Ok(out)
}

/// Whom a client's proposals are addressed to: its first person with an e-mail address, else
/// the client's own address (`Some(None)`); `None` when it has no address at all.
async fn address_of(
    scope: &mut Scope,
    client: &db::clients::ClientRow,
) -> Result<Option<Option<Uuid>>> {
    let people = db::contacts::list_for_client(&mut scope.tx, client.id, None, 10).await?;
    let person = people
        .iter()
        .find(|p| p.erased_at.is_none() && !p.emails.is_empty());
    Ok(match person {
        Some(p) => Some(Some(p.id)),
        None => (!client.emails.is_empty()).then_some(None),
    })
}

/// Sets the demo's e-mail channel (the local mail catcher) when the tenant has none ready.
async fn ensure_mail_channel(scope: &mut Scope, cipher: &TenantCipher) -> Result<()> {
    let ready = db::channel_settings::get(&mut scope.tx, "email")
        .await?
        .is_some_and(|s| s.enabled);
    if !ready {
        let settings =
            super::communications::channel_settings(domain::communications::Channel::Email, true);
        channels::put(scope, cipher, "email", settings).await?;
    }
    Ok(())
}

/// Gives the tenant the demo's proposal templates and proposals; false when another fill got
/// there first.
pub(super) async fn add(
    scope: &mut Scope,
    cipher: &TenantCipher,
    owners: &Owners,
    now: DateTime<Utc>,
    counts: &mut DemoCounts,
) -> Result<bool> {
    let tenant = crate::tenants::settings(scope).await?;
    let locale = Locale::parse(&tenant.locale).unwrap_or(Locale::Es);
    scope.actor = acting(owners.pick(Some("admin")));
    let Some(templates) = create_templates(scope, locale, counts).await? else {
        return Ok(false);
    };
    let deals = deals(scope, owners).await?;
    let plans = draw(&deals, now, locale);
    if plans.iter().any(|(_, p)| p.fate != Fate::Draft) {
        ensure_mail_channel(scope, cipher).await?;
    }
    for (i, plan) in plans {
        let deal = &deals[i];
        let template = match plan.kind {
            Kind::Services => templates[0],
            Kind::Support => templates[1],
        };
        play(scope, cipher, deal, template, &plan, now, counts).await?;
    }
    scope.actor = Actor::system();
    Ok(true)
}

/// Drafts a deal's proposal and plays its story.
async fn play(
    scope: &mut Scope,
    cipher: &TenantCipher,
    deal: &Deal,
    template: Uuid,
    plan: &Plan,
    now: DateTime<Utc>,
    counts: &mut DemoCounts,
) -> Result<()> {
    let seller = acting(deal.owner);
    scope.actor = seller.clone();
    let early = now - plan.moments.drafted > Duration::days(FIRST_VERSION_DAYS);
    let input = NewProposal {
        client_id: deal.client_id,
        opportunity_id: Some(deal.opportunity_id),
        template_id: template,
        template_version: (plan.kind == Kind::Services && early).then_some(1),
        title: deal.title.clone(),
        currency: Some(deal.currency.clone()),
        items: plan.items.clone(),
        valid_until: None,
        variables: plan.variables.clone(),
        owner_id: deal.owner,
    };
    let first = proposals::create(scope, input).await?.value.id;
    counts.proposals += 1;
    let m = plan.moments;
    if plan.fate == Fate::Draft {
        return backdate(scope, first, &m, false).await;
    }
    send(scope, cipher, deal, first, &m).await?;
    counts.communications += 1;
    scope.actor = Actor::system();
    if let Some(at) = m.viewed {
        decisions::open(scope, first, at).await?;
    }
    match plan.fate {
        Fate::Sent => counts.proposals_pending += 1,
        Fate::Accepted => {
            let note = plan.note.map(str::to_owned);
            decisions::answer(scope, first, Answer::Accept, note, m.decided).await?;
            counts.proposals_accepted += 1;
        }
        Fate::Rejected | Fate::AcceptedRevised => {
            let note = plan.note.map(str::to_owned);
            decisions::answer(scope, first, Answer::Reject, note, m.decided).await?;
            counts.proposals_rejected += 1;
        }
        Fate::Expired => {
            decisions::expire(scope, first, m.decided).await?;
            counts.proposals_expired += 1;
        }
        Fate::Draft => {}
    }
    backdate(scope, first, &m, true).await?;
    if let Some(second) = plan.second {
        scope.actor = seller;
        revised(scope, cipher, deal, first, plan, &second, counts).await?;
    }
    Ok(())
}

/// The second revision of a turned-down proposal, a further discount on its main line, sent
/// and accepted.
async fn revised(
    scope: &mut Scope,
    cipher: &TenantCipher,
    deal: &Deal,
    first: Uuid,
    plan: &Plan,
    m: &Moments,
    counts: &mut DemoCounts,
) -> Result<()> {
    let id = proposals::revise(scope, first).await?.value.id;
    counts.proposals += 1;
    let mut items = plan.items.clone();
    let given = items[0]
        .discount_percentage
        .as_deref()
        .and_then(|d| d.parse::<i64>().ok())
        .unwrap_or(0);
    items[0].discount_percentage = Some((given + 5).min(15).to_string());
    let patch = ProposalPatch {
        items: Some(items),
        ..ProposalPatch::default()
    };
    proposals::update(scope, id, patch, &Expected::Any).await?;
    send(scope, cipher, deal, id, m).await?;
    counts.communications += 1;
    scope.actor = Actor::system();
    if let Some(at) = m.viewed {
        decisions::open(scope, id, at).await?;
    }
    decisions::answer(scope, id, Answer::Accept, None, m.decided).await?;
    counts.proposals_accepted += 1;
    backdate(scope, id, m, true).await
}

/// Sends a draft to the deal's client as its owner, and marks the e-mail accepted by the mail
/// server a few seconds after the moment it was sent.
async fn send(
    scope: &mut Scope,
    cipher: &TenantCipher,
    deal: &Deal,
    id: Uuid,
    m: &Moments,
) -> Result<()> {
    let input = SendInput {
        contact_id: deal.address.flatten(),
        ..SendInput::default()
    };
    proposals::send(scope, cipher, DEMO_BASE, id, input, &Expected::Any).await?;
    let queued = db::communications::Filter {
        client_id: Some(deal.client_id),
        channel: Some("email".into()),
        status: Some("queued".into()),
        limit: 1,
        ..Default::default()
    };
    let mail = db::communications::list(&mut scope.tx, &queued)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| Error::Corrupt("a sent proposal's e-mail is not queued".into()))?;
    let provider_id = integrations::mail::message_id_for(&mail.id.to_string(), "crm.localhost");
    let accepted = m.sent + Duration::seconds(4);
    crate::communications::demo::mark_sent_at(scope, mail.id, &provider_id, accepted).await?;
    db::demo_proposals::backdate_mail(&mut scope.tx, mail.id, m.sent).await?;
    Ok(())
}

/// Dates a proposal's drafting and sending as its story says, and its validity from the day
/// it was sent (a draft: drafted); what the client received is rendered again on that day.
async fn backdate(scope: &mut Scope, id: Uuid, m: &Moments, sent: bool) -> Result<()> {
    let zone: chrono_tz::Tz = crate::tenants::settings(scope)
        .await?
        .time_zone
        .parse()
        .unwrap_or(chrono_tz::UTC);
    let from = if sent { m.sent } else { m.drafted };
    let day = from.with_timezone(&zone).date_naive();
    let dates = ProposalDates {
        drafted: m.drafted,
        sent: sent.then_some(m.sent),
        valid_until: day + Duration::days(VALID_DAYS),
    };
    db::demo_proposals::backdate(&mut scope.tx, id, &dates).await?;
    if sent {
        let row = db::proposals::get(&mut scope.tx, id)
            .await?
            .ok_or(Error::NotFound)?;
        let document = render::render(scope, &row, day, Strictness::Send).await?;
        let used = Value::Object(document.variables_used);
        db::demo_proposals::set_sent_document(&mut scope.tx, id, &used, &document.html).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-09T11:20:00Z")
            .map(|t| t.with_timezone(&Utc))
            .expect("a time")
    }

    fn deals() -> Vec<Deal> {
        let standings = [
            Standing::Early,
            Standing::Preparing,
            Standing::Proposed,
            Standing::Won,
            Standing::Lost,
            Standing::Proposed,
        ];
        let titles = [
            "Centralita virtual para 24 puestos",
            "Renovación del contrato de mantenimiento informático",
            "Red wifi para el almacén",
        ];
        (0..150)
            .map(|i| Deal {
                opportunity_id: Uuid::now_v7(),
                client_id: Uuid::now_v7(),
                owner: None,
                title: titles[i % titles.len()].to_owned(),
                cents: 1_200_000 + i as i64 * 10_000,
                currency: "EUR".into(),
                standing: standings[i % standings.len()],
                address: (i % 17 != 0).then_some(None),
            })
            .collect()
    }

    #[test]
    fn every_status_is_drawn_for_the_deals_it_fits() {
        let deals = deals();
        let plans = draw(&deals, now(), Locale::Es);
        for fate in [
            Fate::Draft,
            Fate::Sent,
            Fate::Accepted,
            Fate::AcceptedRevised,
            Fate::Rejected,
            Fate::Expired,
        ] {
            let n = plans.iter().filter(|(_, p)| p.fate == fate).count();
            assert!(n >= 2, "{fate:?}: {n}");
        }
        for (i, plan) in &plans {
            let deal = &deals[*i];
            let fits = match plan.fate {
                Fate::Draft => deal.standing == Standing::Preparing,
                Fate::Sent => deal.standing == Standing::Proposed,
                Fate::Accepted | Fate::AcceptedRevised => deal.standing == Standing::Won,
                Fate::Rejected | Fate::Expired => deal.standing == Standing::Lost,
            };
            assert!(fits, "{:?} for a deal {:?}", plan.fate, deal.standing);
            assert!(plan.fate == Fate::Draft || deal.address.is_some());
            assert_eq!(
                plan.note.is_some() && plan.fate != Fate::Accepted,
                matches!(plan.fate, Fate::Rejected | Fate::AcceptedRevised)
            );
        }
    }

    #[test]
    fn each_story_happens_in_order_and_in_the_past() {
        let now = now();
        let today = now.date_naive();
        for (_, plan) in draw(&deals(), now, Locale::Es) {
            let mut steps = vec![plan.moments];
            steps.extend(plan.second);
            for m in &steps {
                assert!(m.drafted <= m.sent && m.sent <= m.decided, "{plan:?}");
                assert!(m.decided < now, "{plan:?}");
                if let Some(v) = m.viewed {
                    assert!(m.sent < v && v < now, "{plan:?}");
                    assert!(plan.fate == Fate::Sent || v < m.decided, "{plan:?}");
                }
            }
            if let Some(second) = plan.second {
                assert!(plan.moments.decided < second.drafted, "{plan:?}");
            }
            let last_day = plan.moments.sent.date_naive() + Duration::days(VALID_DAYS);
            match plan.fate {
                Fate::Expired => {
                    assert!(last_day < today && plan.moments.decided.date_naive() > last_day);
                }
                Fate::Sent => assert!(last_day >= today, "{plan:?}"),
                Fate::Accepted | Fate::Rejected => {
                    assert!(plan.moments.decided.date_naive() <= last_day, "{plan:?}");
                }
                _ => {}
            }
        }
    }

    #[test]
    fn proposals_price_as_spanish_quotes() {
        let plans = draw(&deals(), now(), Locale::Es);
        let mut reduced_rate = 0;
        let mut discounted = 0;
        for (_, plan) in &plans {
            assert!((3..=6).contains(&plan.items.len()), "{plan:?}");
            for item in &plan.items {
                let input = domain::proposals::LineInput {
                    description: item.description.clone(),
                    quantity: item.quantity.clone(),
                    unit_price: item.unit_price.clone(),
                    discount_percentage: item.discount_percentage.clone(),
                    tax_rate: item.tax_rate.clone(),
                };
                assert!(domain::proposals::line(&input).is_ok(), "{item:?}");
                let rate = item.tax_rate.as_deref();
                assert!(matches!(rate, Some("21" | "10")), "{item:?}");
                reduced_rate += usize::from(rate == Some("10"));
                discounted += usize::from(item.discount_percentage.is_some());
            }
            let declared: &[&str] = match plan.kind {
                Kind::Services => &["depositPercentage", "paymentTerms"],
                Kind::Support => &["paymentTerms", "responseHours"],
            };
            let given: Vec<&str> = plan.variables.keys().map(String::as_str).collect();
            assert_eq!(given, declared);
        }
        assert!(
            reduced_rate >= 3 && discounted >= 5,
            "{reduced_rate} {discounted}"
        );
    }

    #[test]
    fn the_templates_use_only_what_they_declare_and_the_proposals_variables() {
        for locale in [Locale::Es, Locale::En] {
            for input in [
                texts::services_template(locale),
                texts::support_template(locale),
            ] {
                let mut sections = input.sections.clone().expect("sections");
                sections.push(texts::warranty_section(locale));
                let specs = input.variables.clone().expect("variables");
                let content =
                    crate::proposals::content::check(sections, specs, &[]).expect("valid");
                let bodies: String = content.sections.iter().map(|s| s.body.as_str()).collect();
                for name in ["clientName", "proposalDate", "validUntil", "total"] {
                    assert!(
                        bodies.contains(&format!("{{{{{name}}}}}"))
                            || content.sections[0].title.contains(name),
                        "{name}"
                    );
                }
                for declared in &content.variables {
                    assert!(bodies.contains(&format!("{{{{{}}}}}", declared.name)));
                }
            }
        }
        assert_eq!(
            kind_of("Renovación del contrato de mantenimiento"),
            Kind::Support
        );
        assert_eq!(kind_of("Red wifi para el almacén"), Kind::Services);
    }

    #[test]
    fn the_same_seed_draws_the_same_proposals() {
        let deals = deals();
        let prices = |plans: Vec<(usize, Plan)>| {
            plans
                .into_iter()
                .map(|(i, p)| (i, p.items[0].unit_price.clone(), p.moments.sent))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            prices(draw(&deals, now(), Locale::Es)),
            prices(draw(&deals, now(), Locale::Es))
        );
    }
}
