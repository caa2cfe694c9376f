//! What a person or an integration gives for a ticket: a new ticket, a change, a comment; and
//! the checks every flow shares (the client and contact, the category, the assignee).

use db::clients::ClientRow;
use db::ticket_categories::CategoryRow;
use domain::tickets::{Priority, TicketStatus};
use serde::Deserialize;
use uuid::Uuid;

use crate::{InvalidField, Result, Scope, text};

/// Most characters of a ticket's title.
pub const TITLE_CHARS: usize = 300;
/// Most characters of a ticket's description, and of a comment.
pub const BODY_CHARS: usize = 20_000;
/// Most characters of a team's name.
pub const TEAM_CHARS: usize = 100;
/// Most characters of the reason for a priority or a status.
pub const REASON_CHARS: usize = 500;

use crate::patch::present;

/// A new ticket. Without `priority`, the automatic rules suggest one (category default,
/// keywords in Spanish and English, the client's value) and say why in `priority_reason`.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewTicket {
    /// A client of the tenant.
    pub client_id: Uuid,
    /// A contact of that client.
    pub contact_id: Option<Uuid>,
    /// A ticket category (`GET /api/v1/ticket-categories`): its SLA applies; none, no SLA.
    pub category_id: Option<Uuid>,
    /// 1-300 characters.
    #[cfg_attr(feature = "openapi", schema(pattern = r"\S", max_length = 300))]
    pub title: String,
    /// At most 20,000 characters.
    #[cfg_attr(feature = "openapi", schema(max_length = 20000))]
    pub description: Option<String>,
    /// `null` or absent: suggested by the rules.
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::priority))]
    pub priority: Option<String>,
    /// Why this priority, when it is given (at most 500 characters).
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub priority_reason: Option<String>,
    /// A user of the tenant.
    pub assignee_id: Option<Uuid>,
    /// At most 100 characters.
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub team: Option<String>,
}

/// A change of a ticket: an absent member keeps its value, `null` clears an optional one.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TicketPatch {
    /// 1-300 characters.
    #[cfg_attr(feature = "openapi", schema(pattern = r"\S", max_length = 300))]
    pub title: Option<String>,
    /// At most 20,000 characters; blank empties it.
    #[cfg_attr(feature = "openapi", schema(max_length = 20000))]
    pub description: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::status))]
    pub status: Option<String>,
    /// Why the status changes (at most 500 characters): kept with the pause when the new status
    /// stops the SLA clock, and on the timeline.
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub status_reason: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::priority))]
    pub priority: Option<String>,
    /// Why the priority is what it is (at most 500 characters); required when `priority`
    /// changes it.
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub priority_reason: Option<String>,
    /// A user of the tenant; `null` unassigns.
    #[serde(default, deserialize_with = "present")]
    pub assignee_id: Option<Option<Uuid>>,
    /// At most 100 characters; `null` or blank clears it.
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub team: Option<Option<String>>,
    /// A ticket category; `null`: none (no SLA).
    #[serde(default, deserialize_with = "present")]
    pub category_id: Option<Option<Uuid>>,
    /// A contact of the ticket's client; `null`: none.
    #[serde(default, deserialize_with = "present")]
    pub contact_id: Option<Option<Uuid>>,
    /// The client's satisfaction, 1-5, once the ticket is resolved (or closed).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 5))]
    pub satisfaction: Option<i64>,
}

impl TicketPatch {
    /// Whether the change asks for nothing.
    pub(super) fn is_empty(&self) -> bool {
        let TicketPatch {
            title,
            description,
            status,
            status_reason,
            priority,
            priority_reason,
            assignee_id,
            team,
            category_id,
            contact_id,
            satisfaction,
        } = self;
        title.is_none()
            && description.is_none()
            && status.is_none()
            && status_reason.is_none()
            && priority.is_none()
            && priority_reason.is_none()
            && assignee_id.is_none()
            && team.is_none()
            && category_id.is_none()
            && contact_id.is_none()
            && satisfaction.is_none()
    }
}

/// A comment on a ticket: an agent's public reply or internal note, or the customer's message.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CommentInput {
    /// 1-20,000 characters.
    #[cfg_attr(feature = "openapi", schema(pattern = r"\S", max_length = 20000))]
    pub body: String,
    /// `true`: a reply the client sees (an agent's first one meets the first-response target);
    /// `false`: an internal note, which counts for no target.
    pub public: bool,
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::author_kind))]
    pub author_kind: Option<String>,
}

/// Who wrote a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Author {
    Agent,
    Customer,
}

impl Author {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agent => "agent",
            Self::Customer => "customer",
        }
    }
}

impl CommentInput {
    /// The body (trimmed) and the author, checked; a customer's message is always public.
    pub(super) fn parse(&self) -> Result<(String, Author)> {
        let mut problems = Vec::new();
        let body = text::required("/body", &self.body, BODY_CHARS, &mut problems);
        let author = match self.author_kind.as_deref() {
            None | Some("agent") => Author::Agent,
            Some("customer") => Author::Customer,
            Some(_) => {
                problems.push(InvalidField::at(
                    "/author_kind",
                    "must be one of: agent, customer",
                ));
                Author::Agent
            }
        };
        if author == Author::Customer && !self.public {
            problems.push(InvalidField::at(
                "/public",
                "a customer's message is always public",
            ));
        }
        crate::Error::check(problems)?;
        Ok((body, author))
    }
}

/// A status as given.
pub(super) fn status(raw: &str, problems: &mut Vec<InvalidField>) -> Option<TicketStatus> {
    TicketStatus::parse(raw)
        .map_err(|e| problems.push(InvalidField::at("/status", e.0)))
        .ok()
}

/// A priority as given.
pub(super) fn priority(raw: &str, problems: &mut Vec<InvalidField>) -> Option<Priority> {
    Priority::parse(raw)
        .map_err(|e| problems.push(InvalidField::at("/priority", e.0)))
        .ok()
}

/// The client of a new ticket, if it is one of the tenant (a problem at `/client_id` if not).
pub(super) async fn client(
    scope: &mut Scope,
    client_id: Uuid,
    problems: &mut Vec<InvalidField>,
) -> Result<Option<ClientRow>> {
    let found = db::clients::get(&mut scope.tx, client_id, false).await?;
    if found.is_none() {
        problems.push(InvalidField::at(
            "/client_id",
            "is not a client of this tenant",
        ));
    }
    Ok(found)
}

/// Checks that the contact (if any) is one of the client's contacts, not erased.
pub(super) async fn check_contact(
    scope: &mut Scope,
    client_id: Uuid,
    contact_id: Option<Uuid>,
    problems: &mut Vec<InvalidField>,
) -> Result<()> {
    if let Some(contact) = contact_id {
        let found = db::contacts::get(&mut scope.tx, client_id, contact).await?;
        if found.is_none_or(|c| c.erased_at.is_some()) {
            problems.push(InvalidField::at(
                "/contact_id",
                "is not a contact of the ticket's client",
            ));
        }
    }
    Ok(())
}

/// The category (if any), when it is one of the tenant (a problem at `/category_id` if not).
pub(super) async fn category(
    scope: &mut Scope,
    category_id: Option<Uuid>,
    problems: &mut Vec<InvalidField>,
) -> Result<Option<CategoryRow>> {
    let Some(id) = category_id else {
        return Ok(None);
    };
    let found = db::ticket_categories::get(&mut scope.tx, id).await?;
    if found.is_none() {
        problems.push(InvalidField::at(
            "/category_id",
            "is not a ticket category of this tenant",
        ));
    }
    Ok(found)
}

/// Checks that the assignee is a user of the tenant.
pub(super) async fn check_assignee(
    scope: &mut Scope,
    assignee_id: Option<Uuid>,
    problems: &mut Vec<InvalidField>,
) -> Result<()> {
    crate::users::check_is_user(&mut scope.tx, assignee_id, "/assignee_id", problems).await
}
