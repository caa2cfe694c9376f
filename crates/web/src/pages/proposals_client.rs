//! The proposals tab of a client's page (for holders of `proposals.view`): the client's
//! proposals, newest first, each with its status, total, validity and revision, and the way
//! to draft a new one for the client.

use services::proposals::ProposalQuery;
use uuid::Uuid;

use super::proposals::{ProposalLine, lines};
use crate::page::{Page, PageError};

/// Most proposals the tab lists (the list page shows them all).
const LISTED: &str = "50";

/// The tab's content.
pub struct ClientProposals {
    pub lines: Vec<ProposalLine>,
    /// More than are listed.
    pub more: bool,
    pub list_url: String,
    pub new_url: Option<String>,
}

/// The proposals tab of `client`.
pub async fn of_client(page: &mut Page, client: Uuid) -> Result<ClientProposals, PageError> {
    let q = ProposalQuery {
        client_id: Some(client.to_string()),
        limit: Some(LISTED.into()),
        ..ProposalQuery::default()
    };
    let (filter, request) = q.parse()?;
    let found = services::proposals::list(&mut page.ctx, &filter, &request).await?;
    let more = found.next_cursor.is_some();
    Ok(ClientProposals {
        lines: lines(page, found.data).await?,
        more,
        list_url: format!("/proposals?client_id={client}"),
        new_url: page
            .can("proposals.create")
            .then(|| format!("/proposals/new?client_id={client}")),
    })
}
