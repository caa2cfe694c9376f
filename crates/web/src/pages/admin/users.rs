//! `/admin/users`: the tenant's users with "load more"; inviting one (the invitation link is
//! shown once); a user's page to change their name and roles, and to disable or enable them.
//! Whoever acts on a user must hold every permission the user holds and every one they hand
//! out (`services::access`): the controls show only then, and the services refuse otherwise.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use services::Versioned;
use services::users::{NewUser, SignIn, UserChange, UserOut};

use super::{Fields, Refusal, RoleChoice, field_error, next_url, page_request, role_choices};
use crate::i18n::Locale;
use crate::page::{Page, PageError, PageResult};
use crate::pages::clients::parse_id;
use crate::render::{Chrome, html, html_with};

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    c: Chrome,
    rows: UserRows,
    can_invite: bool,
}

/// One page of users and the link to the next.
#[derive(Template)]
#[template(path = "admin_users_rows.html")]
struct UserRows {
    l: Locale,
    users: Vec<UserOut>,
    more: Option<String>,
}

/// `GET /admin/users` (the rows alone for htmx: "load more").
pub async fn list(mut page: Page, Query(q): Query<ListQuery>) -> PageResult {
    page.require("users.view").await?;
    let request = page_request(q.cursor.as_deref())?;
    let found = services::users::list(&mut page.ctx, request).await?;
    let rows = UserRows {
        l: page.locale,
        users: found.data,
        more: found
            .next_cursor
            .as_deref()
            .map(|c| next_url("/admin/users", c)),
    };
    if page.htmx {
        page.ctx.done();
        return Ok(html(&rows));
    }
    let body = UsersPage {
        c: Chrome::new(&page, "users", "admin-users-title"),
        can_invite: page.can("users.manage"),
        rows,
    };
    page.ctx.done();
    Ok(html(&body))
}

/// The invitation form, as filled in.
#[derive(Default)]
struct Invitee {
    email: String,
    display_name: String,
    roles: Vec<String>,
}

#[derive(Template)]
#[template(path = "admin_user_new.html")]
struct InvitePage {
    c: Chrome,
    form: Invitee,
    roles: Vec<RoleChoice>,
    refusal: Option<Refusal>,
}

/// `GET /admin/users/new`: the invitation form.
pub async fn new(mut page: Page) -> PageResult {
    page.require("users.manage").await?;
    let roles = role_choices(&mut page).await?;
    let body = InvitePage {
        c: Chrome::new(&page, "users", "admin-invite-title"),
        form: Invitee::default(),
        roles,
        refusal: None,
    };
    page.ctx.done();
    Ok(html(&body))
}

impl InvitePage {
    fn has_role(&self, name: &str) -> bool {
        self.form.roles.iter().any(|r| r == name)
    }

    fn error(&self, pointer: &str) -> Option<String> {
        field_error(&self.refusal, pointer)
    }
}

#[derive(Template)]
#[template(path = "admin_user_invited.html")]
struct InvitedPage {
    c: Chrome,
    user: UserOut,
    link: String,
}

/// `POST /admin/users`: invites a user, who is mailed the invitation link; the answer also
/// shows it, once (for an invitee the platform's mail cannot reach).
pub async fn invite(
    mut page: Page,
    headers: axum::http::HeaderMap,
    Form(fields): Form<Fields>,
) -> PageResult {
    page.require("users.manage").await?;
    let roles = role_choices(&mut page).await?;
    let form = Invitee {
        email: fields.one("email"),
        display_name: fields.one("display_name"),
        roles: fields.all("role"),
    };
    let (token, digest) = api::auth::sessions::new_invite(page.ctx.tenant());
    let input = NewUser {
        email: form.email.clone(),
        display_name: form.display_name.clone(),
        roles: form.roles.clone(),
        sign_in: SignIn::Invitation(digest),
    };
    let link = format!("/invitation?{}", query_of("token", &token));
    let mailed_link = format!("{}{link}", api::http::public_base(&page.app, &headers));
    let cipher = page.cipher().await?;
    match services::users::invite_and_mail(&mut page.ctx, &cipher, input, &mailed_link).await {
        Ok(user) => {
            let body = InvitedPage {
                c: Chrome::new(&page, "users", "admin-invited-title"),
                user: user.value,
                link,
            };
            page.ctx.commit().await?;
            Ok(html(&body))
        }
        Err(e) => {
            let refusal = Refusal::of(page.locale, e)?;
            let status = refusal.status();
            let body = InvitePage {
                c: Chrome::new(&page, "users", "admin-invite-title"),
                form,
                roles,
                refusal: Some(refusal),
            };
            page.ctx.done();
            Ok(html_with(status, &body))
        }
    }
}

fn query_of(name: &str, value: &str) -> String {
    serde_urlencoded::to_string([(name, value)]).unwrap_or_default()
}

/// The change form, as filled in (the user's current values when first shown).
struct Changes {
    display_name: String,
    roles: Vec<String>,
    version: String,
}

#[derive(Template)]
#[template(path = "admin_user.html")]
struct UserPage {
    c: Chrome,
    user: UserOut,
    form: Changes,
    roles: Vec<RoleChoice>,
    /// The signed-in admin may change this user (`users.manage` and every permission the
    /// user holds).
    can_change: bool,
    can_manage: bool,
    is_me: bool,
    refusal: Option<Refusal>,
}

impl UserRows {
    fn status(&self, status: &str) -> String {
        status_label(self.l, status)
    }
}

impl UserPage {
    fn status(&self, status: &str) -> String {
        status_label(self.c.locale, status)
    }

    fn has_role(&self, name: &str) -> bool {
        self.form.roles.iter().any(|r| r == name)
    }

    fn error(&self, pointer: &str) -> Option<String> {
        field_error(&self.refusal, pointer)
    }
}

/// A user's page, with the change form filled in as `form` (or with the user's values).
async fn user_page(
    page: &mut Page,
    user: Versioned<UserOut>,
    form: Option<Changes>,
    refusal: Option<Refusal>,
) -> Result<UserPage, PageError> {
    let roles = role_choices(page).await?;
    let holds_only_grantable = user
        .value
        .roles
        .iter()
        .all(|r| roles.iter().any(|c| c.name == *r && c.grantable));
    let form = form.unwrap_or_else(|| Changes {
        display_name: user.value.display_name.clone(),
        roles: user.value.roles.clone(),
        version: user.version.to_string(),
    });
    Ok(UserPage {
        c: Chrome::new(page, "users", "admin-user-title"),
        can_change: page.can("users.manage") && holds_only_grantable,
        can_manage: page.can("users.manage"),
        is_me: page.me.id == user.value.id,
        user: user.value,
        form,
        roles,
        refusal,
    })
}

/// `GET /admin/users/{id}`
pub async fn show(mut page: Page, Path(id): Path<String>) -> PageResult {
    page.require("users.view").await?;
    let id = parse_id(&id)?;
    let user = services::users::get(&mut page.ctx, id).await?;
    let body = user_page(&mut page, user, None, None).await?;
    page.ctx.done();
    Ok(html(&body))
}

/// Applies `change` to the user `id` at the form's version: 303 back to their page, or the
/// page again with the services' refusal.
async fn change_user(
    mut page: Page,
    id: &str,
    fields: &Fields,
    change: UserChange,
    form: impl FnOnce(&UserOut) -> Changes,
) -> PageResult {
    page.require("users.manage").await?;
    let id = parse_id(id)?;
    // Read before trying, so the page can be shown again from the same transaction.
    let before = services::users::get(&mut page.ctx, id).await?;
    let mut body = user_page(&mut page, before, None, None).await?;
    match services::users::update(&mut page.ctx, id, &fields.expected(), change).await {
        Ok(_) => {
            page.ctx.commit().await?;
            Ok(Redirect::to(&format!("/admin/users/{id}")).into_response())
        }
        Err(e) => {
            let refusal = Refusal::of(page.locale, e)?;
            let status = refusal.status();
            body.form = form(&body.user);
            body.refusal = Some(refusal);
            page.ctx.done();
            Ok(html_with(status, &body))
        }
    }
}

/// `POST /admin/users/{id}`: the user's name and roles.
pub async fn update(page: Page, Path(id): Path<String>, Form(fields): Form<Fields>) -> PageResult {
    let change = UserChange {
        display_name: Some(fields.one("display_name")),
        status: None,
        roles: Some(fields.all("role")),
    };
    let form = |_: &UserOut| Changes {
        display_name: fields.one("display_name"),
        roles: fields.all("role"),
        version: fields.one("version"),
    };
    change_user(page, &id, &fields, change, form).await
}

/// `POST /admin/users/{id}/status`: disables or enables the user.
pub async fn set_status(
    page: Page,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> PageResult {
    let change = UserChange {
        status: Some(fields.one("status")),
        ..Default::default()
    };
    let form = |user: &UserOut| Changes {
        display_name: user.display_name.clone(),
        roles: user.roles.clone(),
        version: fields.one("version"),
    };
    change_user(page, &id, &fields, change, form).await
}

/// A user's status in `l`'s words.
fn status_label(l: Locale, status: &str) -> String {
    l.t(match status {
        "active" => "admin-user-active",
        "invited" => "admin-user-invited",
        _ => "admin-user-disabled",
    })
}
