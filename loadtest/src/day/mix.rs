//! The actions of a working day, their weights for sales and support staff, and the requests
//! each one makes — one implementation for the goose users (closed loop) and the open-loop
//! driver, so both send the same mix.
//!
//! The console's actions are a browser's page views: the same access token in the session
//! cookie, and a full HTML page expected back (a redirect to `/login` is a failure).
//!
//! Actions whose module is not in the API yet (the assistant)
//! are listed with their intended weights and reported as "not built: module missing"; when a
//! module lands, give its action a body in `perform` and drop it from `missing_module`.

use std::future::Future;
use std::sync::Arc;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::{Value, json};

use super::data::{DESK_PREFIX, DESKS, Shared, Tenant};
use super::{calendar_work, communication_work, pipeline_work, proposal_work, ticket_work};

/// Who is at work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Sales,
    Support,
}

impl Role {
    pub const ALL: [Role; 2] = [Role::Sales, Role::Support];

    pub fn label(self) -> &'static str {
        match self {
            Role::Sales => "sales",
            Role::Support => "support",
        }
    }

    /// Of every five people at work, three sell and two support.
    pub fn share(self) -> usize {
        match self {
            Role::Sales => 3,
            Role::Support => 2,
        }
    }
}

/// One thing a person does in the CRM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    SignIn,
    Dashboard,
    DashboardPage,
    ListClients,
    ClientsPage,
    SearchClients,
    OpenClient,
    ClientPage,
    TenantTimeline,
    EditClient,
    LogCommunication,
    OpenBoard,
    MoveOpportunity,
    DraftProposal,
    PlanMeeting,
    WorkTicket,
    AskAssistant,
}

impl Action {
    pub const ALL: [Action; 17] = [
        Action::SignIn,
        Action::Dashboard,
        Action::DashboardPage,
        Action::ListClients,
        Action::ClientsPage,
        Action::SearchClients,
        Action::OpenClient,
        Action::ClientPage,
        Action::TenantTimeline,
        Action::EditClient,
        Action::LogCommunication,
        Action::OpenBoard,
        Action::MoveOpportunity,
        Action::DraftProposal,
        Action::PlanMeeting,
        Action::WorkTicket,
        Action::AskAssistant,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Action::SignIn => "sign in",
            Action::Dashboard => "dashboard KPIs",
            Action::DashboardPage => "dashboard page (console)",
            Action::ListClients => "list clients",
            Action::ClientsPage => "client list page (console)",
            Action::SearchClients => "search clients",
            Action::OpenClient => "open a client and its timeline",
            Action::ClientPage => "client page (console)",
            Action::TenantTimeline => "recent activity",
            Action::EditClient => "edit a client",
            Action::LogCommunication => "log a communication",
            Action::OpenBoard => "open the pipeline board",
            Action::MoveOpportunity => "move an opportunity",
            Action::DraftProposal => "draft a proposal and download its PDF",
            Action::PlanMeeting => "plan a meeting in the calendar",
            Action::WorkTicket => "open and update a ticket",
            Action::AskAssistant => "ask the assistant",
        }
    }

    /// The requests the action makes.
    pub fn requests(self) -> &'static str {
        match self {
            Action::SignIn => "POST /api/v1/auth/login",
            Action::Dashboard => "GET /api/v1/kpis/clients",
            Action::DashboardPage => "GET / (console, session cookie)",
            Action::ListClients => {
                "GET /api/v1/clients filtered by status, sector or tag, or sorted by name (a \
                 quarter also the next page)"
            }
            Action::ClientsPage => {
                "GET /clients filtered by status, sector or tag, or sorted by name (console, \
                 session cookie)"
            }
            Action::SearchClients => {
                "GET /api/v1/clients?q= (a word of a real name, 1 in 5 with a typo)"
            }
            Action::OpenClient => "GET /api/v1/clients/{id}, GET /api/v1/clients/{id}/timeline",
            Action::ClientPage => {
                "GET /clients/{id}: the client, its contacts and timeline (console, session \
                 cookie)"
            }
            Action::TenantTimeline => "GET /api/v1/timeline (half with a type filter)",
            Action::EditClient => {
                "GET /api/v1/clients/{id}, PATCH with If-Match (POST /api/v1/clients the first time)"
            }
            Action::LogCommunication => {
                "POST /api/v1/clients/{id}/communications (a phone call logged), then GET \
                 /api/v1/clients/{id}/communications (on the desk's client, created the first \
                 time)"
            }
            Action::OpenBoard => "GET /api/v1/pipelines/{id}/board (the default pipeline)",
            Action::MoveOpportunity => {
                "GET /api/v1/opportunities/{id}, then POST /api/v1/opportunities/{id}/move with \
                 its version, near the top of an open stage (on 409, read again and move again)"
            }
            Action::DraftProposal => {
                "POST /api/v1/proposals (8 lines, the tenant's load-test template, on the desk's \
                 client), then GET /api/v1/proposals/{id}/render.pdf"
            }
            Action::PlanMeeting => {
                "POST /api/v1/activities (a meeting on the desk's client in the next working \
                 days), GET /api/v1/activities?from=&to=&assignee_id= (its week), PATCH \
                 /api/v1/activities/{id} with If-Match (an hour later), then PATCH to done with an \
                 outcome (1 in 3) or DELETE /api/v1/activities/{id}"
            }
            Action::WorkTicket => {
                "GET /api/v1/tickets/{id} (a quarter first GET /api/v1/tickets?open=true), then a \
                 public reply POST /api/v1/tickets/{id}/comments or, one in three, PATCH of the \
                 status with If-Match (POST /api/v1/tickets the first time)"
            }
            Action::AskAssistant => "POST a question about a client (AI assistant)",
        }
    }

    /// The module the action needs while it is not in the API.
    pub fn missing_module(self) -> Option<&'static str> {
        match self {
            Action::AskAssistant => Some("AI assistant"),
            _ => None,
        }
    }

    pub fn built(self) -> bool {
        self.missing_module().is_none()
    }

    /// Of 100 actions in a working day of `role`: sales live in lists, the dashboard, the
    /// pipeline and their calendar; support opens the client who calls, found by name, and works
    /// tickets. Part of the dashboard, list and client views happen in the browser console, part
    /// through the API.
    pub fn weight(self, role: Role) -> usize {
        let (sales, support) = match self {
            Action::SignIn => (2, 2),
            Action::Dashboard => (5, 2),
            Action::DashboardPage => (5, 2),
            Action::ListClients => (12, 5),
            Action::ClientsPage => (6, 3),
            Action::SearchClients => (6, 22),
            Action::OpenClient => (16, 20),
            Action::ClientPage => (10, 10),
            Action::TenantTimeline => (4, 8),
            Action::EditClient => (6, 6),
            Action::LogCommunication => (8, 6),
            Action::OpenBoard => (4, 0),
            Action::MoveOpportunity => (6, 0),
            Action::DraftProposal => (3, 0),
            Action::PlanMeeting => (5, 0),
            Action::WorkTicket => (0, 12),
            Action::AskAssistant => (2, 2),
        };
        match role {
            Role::Sales => sales,
            Role::Support => support,
        }
    }

    /// The built actions with their share of all work (both roles, by head count).
    pub fn built_mix() -> Vec<(Action, u32)> {
        Action::ALL
            .into_iter()
            .filter(|a| a.built())
            .map(|a| {
                let w: usize = Role::ALL.iter().map(|r| a.weight(*r) * r.share()).sum();
                (a, u32::try_from(w).unwrap_or(u32::MAX))
            })
            .filter(|(_, w)| *w > 0)
            .collect()
    }
}

/// How a call is signed in.
#[derive(Clone, Copy, Debug)]
pub enum Credential<'a> {
    None,
    /// The API's way: `Authorization: Bearer <access token>`.
    Bearer(&'a str),
    /// The browser console's way: the same access token in the session cookie.
    Cookie(&'a str),
}

/// One HTTP exchange. `name` is the route template the figures are reported under.
pub struct Call<'a> {
    pub name: &'static str,
    pub method: Method,
    pub path: String,
    pub credential: Credential<'a>,
    pub if_match: Option<&'a str>,
    pub json: Option<Value>,
}

impl<'a> Call<'a> {
    pub(super) fn get(name: &'static str, path: String, token: &'a str) -> Self {
        Self {
            name,
            method: Method::GET,
            path,
            credential: Credential::Bearer(token),
            if_match: None,
            json: None,
        }
    }

    /// A JSON request signed in by the bearer token, with `If-Match` when given.
    pub(super) fn send(
        name: &'static str,
        method: Method,
        path: String,
        token: &'a str,
        if_match: Option<&'a str>,
        json: Value,
    ) -> Self {
        Self {
            name,
            method,
            path,
            credential: Credential::Bearer(token),
            if_match,
            json: Some(json),
        }
    }

    /// A console page, as a signed-in browser asks for it.
    fn page(name: &'static str, path: String, token: &'a str) -> Self {
        Self {
            credential: Credential::Cookie(token),
            ..Self::get(name, path, token)
        }
    }

    /// Adds the call's credential, `If-Match` and JSON body to a request of any client.
    pub fn prepare(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let mut request = match self.credential {
            Credential::None => request,
            Credential::Bearer(t) => request.bearer_auth(t),
            Credential::Cookie(t) => {
                request.header(reqwest::header::COOKIE, format!("crm_access={t}"))
            }
        };
        if let Some(e) = self.if_match {
            request = request.header(reqwest::header::IF_MATCH, e);
        }
        if let Some(j) = &self.json {
            request = request.json(j);
        }
        request
    }
}

/// An answer, read in full.
pub struct Reply {
    pub status: u16,
    pub etag: Option<String>,
    /// The path of the URL that answered: not the one asked for when redirects were followed.
    pub path: String,
    pub body: String,
}

/// Sends a call and reads the whole answer; the goose user and the plain client implement it.
pub trait Http: Send {
    fn call(&mut self, call: Call<'_>) -> impl Future<Output = Result<Reply, String>> + Send;
}

/// One person at work: their tenant, their session and their own dice.
#[derive(Clone)]
pub struct Staff {
    pub slot: usize,
    pub tenant_index: usize,
    pub tenant: Arc<Tenant>,
    pub token: String,
    pub rng: StdRng,
    edits: u64,
}

impl Staff {
    pub fn new(shared: &Shared, slot: usize, seed: u64) -> Self {
        let tenant_index = shared.tenant_of(slot);
        Self {
            slot,
            tenant_index,
            tenant: shared.tenants[tenant_index].clone(),
            token: String::new(),
            rng: StdRng::seed_from_u64(seed ^ (slot as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)),
            edits: 0,
        }
    }
}

pub(super) fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> Option<&'a T> {
    (!items.is_empty()).then(|| &items[rng.gen_range(0..items.len())])
}

/// `path?k=v&...` with the values percent-encoded.
pub(super) fn with_query(path: &str, pairs: &[(&str, &str)]) -> String {
    let mut url = match reqwest::Url::parse("http://api.invalid") {
        Ok(u) => u,
        Err(_) => return path.to_owned(),
    };
    url.set_path(path);
    url.query_pairs_mut().extend_pairs(pairs);
    match url.query() {
        Some(q) if !q.is_empty() => format!("{path}?{q}"),
        _ => path.to_owned(),
    }
}

pub(super) fn expect(reply: &Reply, status: u16, name: &str) -> Result<(), String> {
    if reply.status == status {
        Ok(())
    } else {
        let body: String = reply.body.chars().take(200).collect();
        Err(format!("{name} answered {}: {body}", reply.status))
    }
}

/// A full console page: 200, answered by the page asked for (the HTTP clients follow redirects,
/// so a signed-out browser's 303 to `/login` would otherwise pass), and HTML.
fn expect_page(reply: &Reply, asked: &str, name: &str) -> Result<(), String> {
    expect(reply, 200, name)?;
    let asked = asked.split('?').next().unwrap_or(asked);
    if reply.path != asked {
        return Err(format!("{name} was redirected to {}", reply.path));
    }
    let doctype = "<!doctype html";
    let head = reply.body.trim_start().get(..doctype.len());
    if head.is_some_and(|h| h.eq_ignore_ascii_case(doctype)) {
        Ok(())
    } else {
        let body: String = reply.body.chars().take(200).collect();
        Err(format!("{name} answered no HTML page: {body}"))
    }
}

/// GETs a console page signed in by the session cookie and checks it is one.
async fn page<H: Http>(
    http: &mut H,
    name: &'static str,
    path: String,
    token: &str,
) -> Result<(), String> {
    let reply = http.call(Call::page(name, path.clone(), token)).await?;
    expect_page(&reply, &path, name)
}

pub(super) fn json_of(reply: &Reply, name: &str) -> Result<Value, String> {
    serde_json::from_str(&reply.body).map_err(|e| format!("{name} answered no JSON: {e}"))
}

/// Does `action` as `staff`, through `http`.
pub async fn perform<H: Http>(
    action: Action,
    http: &mut H,
    staff: &mut Staff,
    shared: &Shared,
) -> Result<(), String> {
    match action {
        Action::SignIn => sign_in(http, staff, shared).await,
        Action::Dashboard => {
            let name = "/api/v1/kpis/clients";
            let reply = http
                .call(Call::get(name, name.to_owned(), &staff.token))
                .await?;
            expect(&reply, 200, name)
        }
        Action::DashboardPage => page(http, "/ (dashboard)", "/".to_owned(), &staff.token).await,
        Action::ListClients => list_clients(http, staff).await,
        Action::ClientsPage => {
            let pairs = list_filter(staff);
            let path = with_query("/clients", &borrowed(&pairs));
            page(http, "/clients (filtered)", path, &staff.token).await
        }
        Action::ClientPage => {
            let id = pick(&mut staff.rng, &staff.tenant.clients)
                .copied()
                .ok_or("the tenant has no sampled client")?;
            page(
                http,
                "/clients/{id}",
                format!("/clients/{id}"),
                &staff.token,
            )
            .await
        }
        Action::SearchClients => {
            let name = "/api/v1/clients?q=";
            let term = pick(&mut staff.rng, &staff.tenant.search_terms)
                .cloned()
                .unwrap_or_else(|| "garcia".to_owned());
            let path = with_query("/api/v1/clients", &[("q", &term)]);
            let reply = http.call(Call::get(name, path, &staff.token)).await?;
            expect(&reply, 200, name)
        }
        Action::OpenClient => {
            let id = pick(&mut staff.rng, &staff.tenant.clients)
                .copied()
                .ok_or("the tenant has no sampled client")?;
            let name = "/api/v1/clients/{id}";
            let reply = http
                .call(Call::get(
                    name,
                    format!("/api/v1/clients/{id}"),
                    &staff.token,
                ))
                .await?;
            expect(&reply, 200, name)?;
            let name = "/api/v1/clients/{id}/timeline";
            let reply = http
                .call(Call::get(
                    name,
                    format!("/api/v1/clients/{id}/timeline"),
                    &staff.token,
                ))
                .await?;
            expect(&reply, 200, name)
        }
        Action::TenantTimeline => {
            let name = "/api/v1/timeline";
            let path = if staff.rng.gen_bool(0.5) {
                with_query(
                    "/api/v1/timeline",
                    &[("type", "communication.*,call.logged,meeting.held")],
                )
            } else {
                name.to_owned()
            };
            let reply = http.call(Call::get(name, path, &staff.token)).await?;
            expect(&reply, 200, name)
        }
        Action::EditClient => edit_client(http, staff, shared).await,
        Action::WorkTicket => ticket_work::work_ticket(http, staff, shared).await,
        Action::LogCommunication => communication_work::log_call(http, staff, shared).await,
        Action::OpenBoard => pipeline_work::open_board(http, staff).await,
        Action::MoveOpportunity => pipeline_work::move_deal(http, staff).await,
        Action::DraftProposal => proposal_work::draft_proposal(http, staff, shared).await,
        Action::PlanMeeting => calendar_work::plan_meeting(http, staff, shared).await,
        other => Err(format!(
            "not built: module missing ({})",
            other.missing_module().unwrap_or("?")
        )),
    }
}

async fn sign_in<H: Http>(http: &mut H, staff: &mut Staff, shared: &Shared) -> Result<(), String> {
    let name = "/api/v1/auth/login";
    let slug = &staff.tenant.slug;
    let reply = http
        .call(Call {
            name,
            method: Method::POST,
            path: name.to_owned(),
            credential: Credential::None,
            if_match: None,
            json: Some(json!({
                "tenant": slug,
                "email": crate::seed::owner_email(slug),
                "password": shared.password,
            })),
        })
        .await?;
    expect(&reply, 200, name)?;
    staff.token = json_of(&reply, name)?["access_token"]
        .as_str()
        .ok_or("login answered no access_token")?
        .to_owned();
    Ok(())
}

/// One of the client list's filters (the API's and the console's): a status, a sector, a tag,
/// clients of a sector, or all by name.
fn list_filter(staff: &mut Staff) -> Vec<(&'static str, String)> {
    let sector = pick(&mut staff.rng, &staff.tenant.sectors).cloned();
    let tag = pick(&mut staff.rng, &staff.tenant.tags).cloned();
    let mut pairs = Vec::new();
    match staff.rng.gen_range(0..6) {
        0 => pairs.push(("status", "lead".to_owned())),
        1 => pairs.push(("status", "client".to_owned())),
        2 => pairs.extend(sector.map(|s| ("sector", s))),
        3 => pairs.extend(tag.map(|t| ("tag", t))),
        4 => {
            pairs.push(("status", "client".to_owned()));
            pairs.extend(sector.map(|s| ("sector", s)));
        }
        _ => pairs.push(("sort", "name".to_owned())),
    }
    pairs
}

fn borrowed<'a>(pairs: &'a [(&'static str, String)]) -> Vec<(&'a str, &'a str)> {
    pairs.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

async fn list_clients<H: Http>(http: &mut H, staff: &mut Staff) -> Result<(), String> {
    let name = "/api/v1/clients (filtered)";
    let filter = list_filter(staff);
    let mut pairs = borrowed(&filter);
    let reply = http
        .call(Call::get(
            name,
            with_query("/api/v1/clients", &pairs),
            &staff.token,
        ))
        .await?;
    expect(&reply, 200, name)?;
    if !staff.rng.gen_bool(0.25) {
        return Ok(());
    }
    let Some(cursor) = json_of(&reply, name)?["next_cursor"]
        .as_str()
        .map(str::to_owned)
    else {
        return Ok(());
    };
    pairs.push(("cursor", &cursor));
    let name = "/api/v1/clients (next page)";
    let reply = http
        .call(Call::get(
            name,
            with_query("/api/v1/clients", &pairs),
            &staff.token,
        ))
        .await?;
    expect(&reply, 200, name)
}

/// Opens the desk's client and changes its website under `If-Match`; creates the client the
/// first time any run needs it. The desk's lock is held throughout, so edits never race.
async fn edit_client<H: Http>(
    http: &mut H,
    staff: &mut Staff,
    shared: &Shared,
) -> Result<(), String> {
    let number = staff.slot % DESKS;
    let desk = shared
        .desk(staff.tenant_index, number)
        .ok_or("the tenant has no desk")?;
    let mut current = desk.lock().await;
    let website = next_website(staff, number);
    let Some(id) = *current else {
        *current = Some(create_desk_client(http, staff, number, website).await?);
        return Ok(());
    };
    let path = format!("/api/v1/clients/{id}");
    let name = "/api/v1/clients/{id}";
    let reply = http
        .call(Call::get(name, path.clone(), &staff.token))
        .await?;
    expect(&reply, 200, name)?;
    let etag = reply.etag.ok_or("the client answered no ETag")?;
    let reply = http
        .call(Call::send(
            name,
            Method::PATCH,
            path,
            &staff.token,
            Some(&etag),
            json!({ "website": website }),
        ))
        .await?;
    expect(&reply, 200, name)
}

/// A website no earlier edit of the desk's client gave it.
fn next_website(staff: &mut Staff, number: usize) -> String {
    staff.edits += 1;
    format!(
        "https://desk{number}.loadtest.example/{}/{}",
        staff.slot, staff.edits
    )
}

/// The client of desk `number`, created through the API when no run has yet (the caller holds
/// the desk's lock: `desk` is its content).
pub(super) async fn desk_client<H: Http>(
    http: &mut H,
    staff: &mut Staff,
    number: usize,
    desk: &mut Option<uuid::Uuid>,
) -> Result<uuid::Uuid, String> {
    if let Some(id) = *desk {
        return Ok(id);
    }
    let website = next_website(staff, number);
    let id = create_desk_client(http, staff, number, website).await?;
    *desk = Some(id);
    Ok(id)
}

async fn create_desk_client<H: Http>(
    http: &mut H,
    staff: &Staff,
    number: usize,
    website: String,
) -> Result<uuid::Uuid, String> {
    let name = "/api/v1/clients";
    let reply = http
        .call(Call::send(
            name,
            Method::POST,
            name.to_owned(),
            &staff.token,
            None,
            json!({
                "company_name": format!("{DESK_PREFIX} {number}"),
                "website": website,
            }),
        ))
        .await?;
    expect(&reply, 201, name)?;
    created_id(&reply, name)
}

/// The `id` of what a POST created.
pub(super) fn created_id(reply: &Reply, name: &str) -> Result<uuid::Uuid, String> {
    json_of(reply, name)?["id"]
        .as_str()
        .and_then(|s| uuid::Uuid::try_parse(s).ok())
        .ok_or_else(|| format!("{name} answered no id"))
}

/// The plain client of the open-loop driver.
pub struct Plain {
    pub client: reqwest::Client,
    pub base: String,
}

impl Http for Plain {
    async fn call(&mut self, call: Call<'_>) -> Result<Reply, String> {
        let request = self
            .client
            .request(call.method.clone(), format!("{}{}", self.base, call.path));
        let response = call
            .prepare(request)
            .send()
            .await
            .map_err(|e| format!("{}: {e}", call.name))?;
        read(response, call.name).await
    }
}

/// Status, ETag and the whole body.
pub async fn read(response: reqwest::Response, name: &str) -> Result<Reply, String> {
    let status = response.status().as_u16();
    let etag = response
        .headers()
        .get(reqwest::header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let path = response.url().path().to_owned();
    let body = response
        .text()
        .await
        .map_err(|e| format!("{name}: reading the body: {e}"))?;
    Ok(Reply {
        status,
        etag,
        path,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_a_hundred_actions_per_role() {
        for role in Role::ALL {
            let total: usize = Action::ALL.iter().map(|a| a.weight(role)).sum();
            assert_eq!(total, 100, "{}", role.label());
        }
    }

    #[test]
    fn missing_modules_are_not_in_the_built_mix() {
        let mix = Action::built_mix();
        assert!(mix.iter().all(|(a, _)| a.built()));
        assert!(mix.iter().any(|(a, _)| *a == Action::OpenClient));
        assert!(!mix.iter().any(|(a, _)| *a == Action::AskAssistant));
    }

    #[test]
    fn sales_work_the_pipeline() {
        let mix = Action::built_mix();
        // Sales' 4 and 6 of 100, three salespeople in every five; support does not.
        assert!(mix.contains(&(Action::OpenBoard, 12)));
        assert!(mix.contains(&(Action::MoveOpportunity, 18)));
        assert_eq!(Action::MoveOpportunity.weight(Role::Support), 0);
    }

    #[test]
    fn sales_draft_proposals() {
        // Sales' 3 of 100, three salespeople in every five; support does not.
        assert!(Action::built_mix().contains(&(Action::DraftProposal, 9)));
        assert_eq!(Action::DraftProposal.weight(Role::Support), 0);
    }

    #[test]
    fn sales_plan_meetings() {
        assert!(Action::PlanMeeting.built());
        // Sales' 5 of 100, three salespeople in every five; support does not.
        assert!(Action::built_mix().contains(&(Action::PlanMeeting, 15)));
        assert_eq!(Action::PlanMeeting.weight(Role::Support), 0);
    }

    #[test]
    fn staff_log_their_calls() {
        assert!(Action::LogCommunication.built());
        // Sales' 8 and support's 6 of 100: 3 × 8 + 2 × 6 in every five people.
        assert!(Action::built_mix().contains(&(Action::LogCommunication, 36)));
    }

    #[test]
    fn support_works_tickets() {
        assert!(Action::WorkTicket.built());
        let mix = Action::built_mix();
        // Support's 12 of 100, two support people in every five.
        assert!(mix.contains(&(Action::WorkTicket, 24)));
    }

    #[test]
    fn console_pages_take_their_share_from_the_api_actions() {
        let pairs = [
            (Action::Dashboard, Action::DashboardPage, (10, 4)),
            (Action::ListClients, Action::ClientsPage, (18, 8)),
            (Action::OpenClient, Action::ClientPage, (26, 30)),
        ];
        for (api, page, (sales, support)) in pairs {
            assert_eq!(api.weight(Role::Sales) + page.weight(Role::Sales), sales);
            assert_eq!(
                api.weight(Role::Support) + page.weight(Role::Support),
                support
            );
            assert!(page.built(), "{}", page.label());
        }
        assert_eq!(
            (
                Action::ClientPage.weight(Role::Sales),
                Action::ClientPage.weight(Role::Support)
            ),
            (10, 10)
        );
        let mix = Action::built_mix();
        for page in [
            Action::DashboardPage,
            Action::ClientsPage,
            Action::ClientPage,
        ] {
            assert!(mix.iter().any(|(a, w)| *a == page && *w > 0));
        }
    }

    fn reply(status: u16, path: &str, body: &str) -> Reply {
        Reply {
            status,
            etag: None,
            path: path.to_owned(),
            body: body.to_owned(),
        }
    }

    #[test]
    fn a_page_is_html_from_the_page_asked_for() {
        let html = "<!DOCTYPE html>\n<html lang=\"es\">";
        assert!(expect_page(&reply(200, "/clients", html), "/clients?tag=vip", "p").is_ok());
        assert!(expect_page(&reply(200, "/", "\n<!doctype html><html>"), "/", "p").is_ok());
        let to_login = expect_page(&reply(200, "/login", html), "/clients/1", "p");
        assert!(to_login.is_err_and(|e| e.contains("redirected to /login")));
        assert!(expect_page(&reply(303, "/", ""), "/", "p").is_err());
        assert!(expect_page(&reply(200, "/", "{\"id\":1}"), "/", "p").is_err());
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(
            with_query("/api/v1/clients", &[("q", "fernández e hijos")]),
            "/api/v1/clients?q=fern%C3%A1ndez+e+hijos"
        );
        assert_eq!(with_query("/api/v1/timeline", &[]), "/api/v1/timeline");
    }
}
