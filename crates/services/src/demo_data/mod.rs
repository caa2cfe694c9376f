//! The demo tenant's living data set (`crm seed-demo`): about 300 Spanish and British clients
//! and leads with their people, tags, custom fields and nine months of backdated history, so a
//! newcomer who signs in sees a CRM at work. Everything is drawn from a fixed seed (the same
//! companies on every machine) and written through the same flows as a user's changes, in one
//! transaction. A tenant that holds clients, or the demo's first custom field, is left as it is,
//! so seeding again adds nothing. A later module adds its own records here, in [`fill`]: the
//! help desk (`tickets`) is added once to a tenant without ticket categories, and the
//! communications (`communications`) once to a tenant without message templates, and the sales
//! pipeline's opportunities (`pipeline`) once to a tenant without opportunities, and the
//! proposals with their templates (`proposals`) once to a tenant without proposal templates, and
//! the demo users' weeks of activities (`calendar`) once to a tenant without activities, so a
//! demo tenant filled before they existed gets them too.

mod calendar;
mod communications;
mod company;
mod dice;
mod pipeline;
mod proposal_texts;
mod proposals;
mod story;
mod tickets;
mod words;

use chrono::{DateTime, Utc};
use db::audit::Actor;
use db::crypto::{MasterKeys, TenantCipher};
use db::timeline::NewEvent;
use db::{PgPool, TenantTx};
use serde_json::json;
use uuid::Uuid;

use crate::{Error, Expected, Result, Scope, clients, contacts, custom_fields};
use company::DemoCompany;
use dice::Dice;
use story::Story;

/// The seed every demo draw starts from.
const SEED: u64 = 0x00DE_3000_CAFE_2026;
/// How many companies the demo tenant gets.
pub const COMPANIES: usize = 300;

/// What [`fill`] added; all zero when the tenant had its data already.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoCounts {
    /// Clients and leads, the deleted ones included.
    pub clients: usize,
    /// Leads converted into clients (today, by the convert flow).
    pub converted: usize,
    /// Clients and leads deleted after their creation.
    pub deleted: usize,
    pub contacts: usize,
    pub custom_fields: usize,
    /// Backdated timeline events (messages and status changes), besides the events the flows
    /// record as they create, convert and delete.
    pub history_events: usize,
    /// Support tickets, in every status.
    pub tickets: usize,
    /// Their public replies, internal notes and customer messages.
    pub ticket_comments: usize,
    /// Messages to and from clients on every channel, and logged calls (with the e-mails the
    /// proposals were sent with).
    pub communications: usize,
    pub message_templates: usize,
    /// Opportunities on the default pipeline, in every stage.
    pub opportunities: usize,
    /// Of them, those won and those lost (with a reason).
    pub opportunities_won: usize,
    pub opportunities_lost: usize,
    /// Of the open ones, those left in their stage past its rot days.
    pub opportunities_rotting: usize,
    pub proposal_templates: usize,
    /// Proposals in every status, each revision counted.
    pub proposals: usize,
    /// Of them, those sent and awaiting an answer, accepted, rejected and expired (the rest
    /// are drafts).
    pub proposals_pending: usize,
    pub proposals_accepted: usize,
    pub proposals_rejected: usize,
    pub proposals_expired: usize,
    /// Activities on the demo users' calendars (a weekly series counted once).
    pub activities: usize,
}

impl DemoCounts {
    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

impl std::fmt::Display for DemoCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} clients and leads ({} converted today, {} deleted), {} contacts, {} custom fields \
             and {} events of history; {} tickets with {} comments; {} messages and calls, {} \
             message templates; {} opportunities ({} won, {} lost, {} rotting); {} proposals \
             ({} awaiting an answer, {} accepted, {} rejected, {} expired) from {} templates; \
             {} activities",
            self.clients,
            self.converted,
            self.deleted,
            self.contacts,
            self.custom_fields,
            self.history_events,
            self.tickets,
            self.ticket_comments,
            self.communications,
            self.message_templates,
            self.opportunities,
            self.opportunities_won,
            self.opportunities_lost,
            self.opportunities_rotting,
            self.proposals,
            self.proposals_pending,
            self.proposals_accepted,
            self.proposals_rejected,
            self.proposals_expired,
            self.proposal_templates,
            self.activities
        )
    }
}

/// Gives the tenant (the demo tenant) its companies, unless it holds clients or the demo's
/// custom fields already, its help desk, unless it has ticket categories, its conversations
/// with clients, unless it has message templates, its opportunities, unless it has some, and
/// its proposals, unless it has proposal templates; returns what was added.
pub async fn fill(pool: &PgPool, master: &MasterKeys, tenant_id: Uuid) -> Result<DemoCounts> {
    let mut scope = Scope::new(TenantTx::begin(pool, tenant_id).await?, Actor::system());
    let now = Utc::now();
    let owners = Owners::load(&mut scope).await?;
    let mut counts = DemoCounts::default();
    // Each part gives way (its transaction rolls back) when a concurrent fill got there first.
    if !filled_already(&mut scope).await?
        && !add_companies(&mut scope, master, &owners, now, &mut counts).await?
    {
        return Ok(DemoCounts::default());
    }
    if !tickets::filled_already(&mut scope).await?
        && !tickets::add(&mut scope, &owners, now, &mut counts).await?
    {
        return Ok(DemoCounts::default());
    }
    if !communications::filled_already(&mut scope).await? {
        let cipher = db::crypto::tenant_cipher(&mut scope.tx, master).await?;
        if !communications::add(&mut scope, &cipher, &owners, now, &mut counts).await? {
            return Ok(DemoCounts::default());
        }
    }
    if !pipeline::filled_already(&mut scope).await? {
        pipeline::add(&mut scope, &owners, now, &mut counts).await?;
    }
    if !proposals::filled_already(&mut scope).await? {
        let cipher = db::crypto::tenant_cipher(&mut scope.tx, master).await?;
        if !proposals::add(&mut scope, &cipher, &owners, now, &mut counts).await? {
            return Ok(DemoCounts::default());
        }
    }
    if !calendar::filled_already(&mut scope).await? {
        calendar::add(&mut scope, &owners, now, &mut counts).await?;
    }
    if counts.is_empty() {
        scope.done();
    } else {
        scope.commit().await?;
    }
    Ok(counts)
}

/// The demo's custom fields and companies; false when another fill got there first.
async fn add_companies(
    scope: &mut Scope,
    master: &MasterKeys,
    owners: &Owners,
    now: DateTime<Utc>,
    counts: &mut DemoCounts,
) -> Result<bool> {
    for def in company::definitions() {
        // The first definition's key is the mark of a filled tenant: a concurrent fill waits
        // on it and then finds it taken, and this one gives way.
        match custom_fields::create(scope, def).await {
            Err(Error::Conflict { .. }) => return Ok(false),
            other => other?,
        };
        counts.custom_fields += 1;
    }
    let cipher = db::crypto::tenant_cipher(&mut scope.tx, master).await?;
    let mut dice = Dice::new(SEED);
    for company in company::companies(&mut dice, COMPANIES, now.date_naive()) {
        add(scope, &cipher, owners, &mut dice, &company, now, counts).await?;
    }
    Ok(true)
}

/// Whether the tenant holds a live client or the demo's marking custom field.
async fn filled_already(scope: &mut Scope) -> Result<bool> {
    let one = db::clients::Filter {
        limit: 1,
        ..Default::default()
    };
    let marker = &company::definitions()[0].key;
    Ok(!db::clients::list(&mut scope.tx, &one).await?.is_empty()
        || db::custom_fields::get(&mut scope.tx, marker)
            .await?
            .is_some())
}

/// The tenant's users by built-in role, who own the demo companies and act on them.
struct Owners(Vec<(String, Uuid)>);

impl Owners {
    async fn load(scope: &mut Scope) -> Result<Self> {
        let users = db::users::list(&mut scope.tx, None, 100).await?;
        let ids: Vec<Uuid> = users.iter().map(|u| u.id).collect();
        let roles = db::users::roles_of(&mut scope.tx, &ids).await?;
        Ok(Self(
            roles.into_iter().map(|(id, role)| (role, id)).collect(),
        ))
    }

    /// Whether a user holds `role`.
    fn has(&self, role: &str) -> bool {
        self.0.iter().any(|(name, _)| name == role)
    }

    /// The user with `role`, else the owner, else anyone; none for an unassigned company.
    fn pick(&self, role: Option<&str>) -> Option<Uuid> {
        let with = |r: &str| self.0.iter().find(|(name, _)| name == r).map(|(_, id)| *id);
        with(role?)
            .or_else(|| with("owner"))
            .or_else(|| self.0.first().map(|(_, id)| *id))
    }
}

/// The user `id` acting, or the system when there is none.
fn acting(id: Option<Uuid>) -> Actor {
    match id {
        Some(id) => Actor {
            kind: "user",
            id: Some(id),
            ..Actor::default()
        },
        None => Actor::system(),
    }
}

/// Creates one company as its owner would (a sales user, mostly): the client, its people, its
/// backdated history, then the conversion or deletion its story ends in.
async fn add(
    scope: &mut Scope,
    cipher: &TenantCipher,
    owners: &Owners,
    dice: &mut Dice,
    company: &DemoCompany,
    now: DateTime<Utc>,
    counts: &mut DemoCounts,
) -> Result<()> {
    let owner = owners.pick(company.owner_role);
    scope.actor = acting(owner.or_else(|| owners.pick(Some("sales"))));
    let id = clients::create(scope, cipher, company.input(owner))
        .await?
        .value
        .id;
    let mut people = Vec::new();
    for person in &company.people {
        let contact = contacts::create(scope, cipher, id, person.input()).await?;
        people.push(contact.value.id);
    }
    counts.clients += 1;
    counts.contacts += people.len();
    for happening in story::history(dice, company, now) {
        let contact = happening.person.map(|p| people[p]);
        let event = NewEvent {
            client_id: Some(id),
            event_type: happening.kind,
            description: happening.description,
            event_date: Some(happening.at),
            // A message names a person: filed under the contact, so erasing that contact's
            // personal data scrubs it too (`db::contacts::erase`).
            entity_type: Some(if contact.is_some() {
                "contact"
            } else {
                "client"
            }),
            entity_id: Some(contact.unwrap_or(id).to_string()),
            payload: match happening.channel {
                Some(channel) => json!({ "channel": channel, "contact_id": contact }),
                None => json!({ "changed": ["status"] }),
            },
        };
        db::timeline::record(&mut scope.tx, &scope.actor, event).await?;
        counts.history_events += 1;
    }
    if company.story == Story::Converted {
        clients::convert(scope, cipher, id).await?;
        counts.converted += 1;
    }
    if company.deleted {
        clients::set_deleted(scope, cipher, id, true, &Expected::Any).await?;
        counts.deleted += 1;
    }
    scope.actor = Actor::system();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_tell_what_was_added() {
        let counts = DemoCounts {
            clients: 300,
            converted: 30,
            deleted: 12,
            contacts: 550,
            custom_fields: 4,
            history_events: 3000,
            tickets: 60,
            ticket_comments: 200,
            communications: 700,
            message_templates: 4,
            opportunities: 120,
            opportunities_won: 20,
            opportunities_lost: 15,
            opportunities_rotting: 8,
            proposal_templates: 2,
            proposals: 40,
            proposals_pending: 12,
            proposals_accepted: 10,
            proposals_rejected: 6,
            proposals_expired: 4,
            activities: 90,
        };
        assert!(!counts.is_empty());
        assert!(DemoCounts::default().is_empty());
        assert_eq!(
            counts.to_string(),
            "300 clients and leads (30 converted today, 12 deleted), 550 contacts, 4 custom \
             fields and 3000 events of history; 60 tickets with 200 comments; 700 messages and \
             calls, 4 message templates; 120 opportunities (20 won, 15 lost, 8 rotting); 40 \
             proposals (12 awaiting an answer, 10 accepted, 6 rejected, 4 expired) from 2 \
             templates; 90 activities"
        );
    }
}
