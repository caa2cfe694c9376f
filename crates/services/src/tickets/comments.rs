//! The thread of a ticket: agents' public replies and internal notes, and the customer's
//! messages. A public agent reply meets the first response (once) and answers the customer's
//! latest message (next response); a note counts for nothing; a customer message restarts the
//! next-response target and, on a ticket pending the customer, reopens it.

use chrono::{DateTime, Utc};
use db::tickets::{NewComment, TicketData, TicketRow};
use domain::EventType;
use domain::tickets::TicketStatus;
use serde_json::json;
use uuid::Uuid;

use super::flows::{move_status, now, save};
use super::input::{Author, CommentInput};
use super::output::CommentOut;
use crate::{Change, Error, Page, PageRequest, Result, Scope};

/// Longest excerpt of a comment put on the timeline, in characters.
const EXCERPT_CHARS: usize = 200;

fn excerpt(body: &str) -> String {
    let mut cut: String = body.chars().take(EXCERPT_CHARS).collect();
    if body.chars().count() > EXCERPT_CHARS {
        cut.push('…');
    }
    cut
}

/// The kind of change a comment is.
fn kind_of(author: Author, public: bool) -> EventType {
    match (author, public) {
        (Author::Customer, _) => EventType::TicketCustomerReplied,
        (Author::Agent, true) => EventType::TicketReplied,
        (Author::Agent, false) => EventType::TicketNoted,
    }
}

/// What a comment does to the ticket's SLA inputs (and status) at `now`.
async fn apply(
    scope: &mut Scope,
    row: &TicketRow,
    kind: EventType,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<TicketData> {
    let mut after = TicketData::from(row);
    match kind {
        EventType::TicketReplied => {
            after.first_response_at.get_or_insert(now);
            after.last_agent_reply_at = Some(now);
        }
        EventType::TicketCustomerReplied => {
            after.last_customer_at = Some(now);
            let from = TicketStatus::parse(&row.status).map_err(|e| Error::Corrupt(e.0))?;
            if from == TicketStatus::PendingCustomer {
                let to = TicketStatus::Open;
                after.status = to.as_str().to_owned();
                move_status(scope, row.id, &mut after, (from, to), None, now).await?;
            }
        }
        _ => {}
    }
    Ok(after)
}

/// Adds a comment to a ticket: an agent's (the caller's) public reply or internal note, or the
/// customer's message (written by the ticket's contact). Replies and customer messages move the
/// SLA (and the ticket's version); a note changes only the thread.
pub async fn add(scope: &mut Scope, ticket_id: Uuid, input: CommentInput) -> Result<CommentOut> {
    add_at(scope, ticket_id, input, now()).await
}

/// [`add`] as written at `now` (the demo data's past moments; everyone else's is the present).
pub async fn add_at(
    scope: &mut Scope,
    ticket_id: Uuid,
    input: CommentInput,
    now: DateTime<Utc>,
) -> Result<CommentOut> {
    let (body, author) = input.parse()?;
    let row = db::tickets::get_for_update(&mut scope.tx, ticket_id)
        .await?
        .ok_or(Error::NotFound)?;
    let public = input.public || author == Author::Customer;
    let kind = kind_of(author, public);
    let author_id = match author {
        Author::Agent => scope.user_id(),
        Author::Customer => row.contact_id,
    };
    let comment = NewComment {
        ticket_id,
        author_kind: author.as_str(),
        author_id,
        body: &body,
        public,
        created_at: now,
    };
    let id = Uuid::now_v7();
    let stored = db::tickets::insert_comment(&mut scope.tx, id, &comment).await?;
    let after = apply(scope, &row, kind, now).await?;
    let before = TicketData::from(&row);
    let reopened = after.status != before.status;
    if after != before {
        save(scope, &row, after, now).await?;
    }
    let description = match kind {
        EventType::TicketReplied => format!("Reply on ticket {}", row.title),
        EventType::TicketCustomerReplied if reopened => {
            format!(
                "The client wrote on ticket {}, which is open again",
                row.title
            )
        }
        EventType::TicketCustomerReplied => format!("The client wrote on ticket {}", row.title),
        _ => format!("Internal note on ticket {}", row.title),
    };
    scope
        .record(
            Change::of(kind, "ticket", ticket_id)
                .after(
                    json!({ "comment_id": id, "public": public, "author_kind": author.as_str() }),
                )
                .on_timeline_of(
                    row.client_id,
                    description,
                    json!({ "ticket_id": ticket_id, "comment_id": id, "excerpt": excerpt(&body) }),
                )
                .dated(now),
        )
        .await?;
    Ok(stored.into())
}

/// One page of a ticket's thread, oldest first; [`Error::NotFound`] when there is no such
/// ticket.
pub async fn list(
    scope: &mut Scope,
    ticket_id: Uuid,
    page: &PageRequest<Uuid>,
) -> Result<Page<CommentOut>> {
    if db::tickets::get(&mut scope.tx, ticket_id).await?.is_none() {
        return Err(Error::NotFound);
    }
    let rows = db::tickets::list_comments(&mut scope.tx, ticket_id, page.after, page.fetch_limit())
        .await?;
    Page::from_rows(rows, page.limit, |c| c.id, |c| Ok(c.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_replies_and_customer_messages_are_contact() {
        assert_eq!(kind_of(Author::Agent, true), EventType::TicketReplied);
        assert_eq!(kind_of(Author::Agent, false), EventType::TicketNoted);
        assert_eq!(
            kind_of(Author::Customer, true),
            EventType::TicketCustomerReplied
        );
        assert!(!kind_of(Author::Agent, false).counts_as_contact());
    }

    #[test]
    fn long_comments_are_cut_on_the_timeline() {
        assert_eq!(excerpt("short"), "short");
        let long = "é".repeat(300);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), EXCERPT_CHARS + 1);
        assert!(cut.ends_with('…'));
    }
}
