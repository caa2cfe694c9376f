//! `/admin/roles`: the tenant's roles; a role's page as a permission matrix (the catalogue's
//! permissions as rows grouped by module, one column of checkboxes for the role). Built-in
//! roles are shown read-only; custom ones are created, changed at the version shown and
//! deleted. Nobody puts a permission they do not hold in a role (`services::access`).

use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect};
use services::Versioned;
use services::roles::{NewRole, RoleChange, RoleOut};

use super::{Fields, Refusal, field_error};
use crate::page::{Page, PageError, PageResult, encode_component};
use crate::render::{Chrome, html, html_with};

#[derive(Template)]
#[template(path = "admin_roles.html")]
struct RolesPage {
    c: Chrome,
    roles: Vec<RoleOut>,
    can_manage: bool,
}

/// `GET /admin/roles`
pub async fn list(mut page: Page) -> PageResult {
    page.require("users.view").await?;
    let roles = services::roles::list(&mut page.ctx).await?;
    let body = RolesPage {
        c: Chrome::new(&page, "roles", "admin-roles-title"),
        roles,
        can_manage: page.can("roles.manage"),
    };
    page.ctx.done();
    Ok(html(&body))
}

/// One permission of the matrix.
pub struct PermissionRow {
    pub name: &'static str,
    /// The checkbox's id.
    pub id: String,
    pub label: String,
    pub granted: bool,
    /// The signed-in admin holds it, so may put it in a role.
    pub held: bool,
}

/// The permissions of one module (`clients` of `clients.view`), in catalogue order.
pub struct ModuleRows {
    pub label: String,
    pub permissions: Vec<PermissionRow>,
}

/// The catalogue grouped by module, with the `granted` permissions ticked.
fn matrix(page: &Page, granted: &[String]) -> Vec<ModuleRows> {
    let mut modules: Vec<ModuleRows> = Vec::new();
    let mut current = "";
    for name in domain::permissions::ALL {
        let module = name.split('.').next().unwrap_or(name);
        if module != current || modules.is_empty() {
            current = module;
            modules.push(ModuleRows {
                label: page.locale.t(&format!("module-{module}")),
                permissions: Vec::new(),
            });
        }
        let key = name.replace('.', "-");
        let row = PermissionRow {
            name,
            id: format!("perm-{key}"),
            label: page.locale.t(&format!("perm-{key}")),
            granted: granted.iter().any(|g| g == name),
            held: page.can(name),
        };
        if let Some(m) = modules.last_mut() {
            m.permissions.push(row);
        }
    }
    modules
}

/// The role form, as filled in (the role's current values when first shown).
struct RoleForm {
    name: String,
    description: String,
    permissions: Vec<String>,
    version: String,
}

impl RoleForm {
    fn of(role: &Versioned<RoleOut>) -> Self {
        Self {
            name: role.value.name.clone(),
            description: role.value.description.clone(),
            permissions: role.value.permissions.clone(),
            version: role.version.to_string(),
        }
    }

    fn posted(name: String, fields: &Fields) -> Self {
        Self {
            name,
            description: fields.one("description"),
            permissions: fields.all("permission"),
            version: fields.one("version"),
        }
    }
}

#[derive(Template)]
#[template(path = "admin_role.html")]
struct RolePage {
    c: Chrome,
    form: RoleForm,
    matrix: Vec<ModuleRows>,
    /// Creating a role (no name yet).
    is_new: bool,
    built_in: bool,
    /// The form can be sent: a custom role (or a new one), `roles.manage`, and every
    /// permission the role has held by the admin.
    editable: bool,
    /// A custom role the admin may not change because it has a permission they do not hold.
    beyond_reach: bool,
    refusal: Option<Refusal>,
}

impl RolePage {
    fn error(&self, pointer: &str) -> Option<String> {
        field_error(&self.refusal, pointer)
    }

    /// Where the form goes.
    fn action(&self) -> String {
        if self.is_new {
            "/admin/roles".to_owned()
        } else {
            format!("/admin/roles/{}", encode_component(&self.form.name))
        }
    }
}

fn role_page(
    page: &Page,
    form: RoleForm,
    is_new: bool,
    built_in: bool,
    held_before: &[String],
    refusal: Option<Refusal>,
) -> RolePage {
    let manage = page.can("roles.manage") && !built_in;
    let within_reach = held_before.iter().all(|p| page.can(p));
    let title = if is_new {
        "admin-role-new-title"
    } else {
        "admin-role-title"
    };
    RolePage {
        c: Chrome::new(page, "roles", title),
        matrix: matrix(page, &form.permissions),
        form,
        is_new,
        built_in,
        editable: manage && within_reach,
        beyond_reach: manage && !within_reach,
        refusal,
    }
}

/// `GET /admin/roles/new`
pub async fn new(page: Page) -> PageResult {
    page.require("roles.manage").await?;
    let form = RoleForm {
        name: String::new(),
        description: String::new(),
        permissions: Vec::new(),
        version: String::new(),
    };
    let body = role_page(&page, form, true, false, &[], None);
    page.ctx.done();
    Ok(html(&body))
}

/// `POST /admin/roles`: creates a custom role, then shows it.
pub async fn create(mut page: Page, Form(fields): Form<Fields>) -> PageResult {
    page.require("roles.manage").await?;
    let form = RoleForm::posted(fields.one("name"), &fields);
    let input = NewRole {
        name: form.name.clone(),
        description: Some(form.description.clone()),
        permissions: form.permissions.clone(),
    };
    match services::roles::create(&mut page.ctx, input).await {
        Ok(role) => {
            page.ctx.commit().await?;
            Ok(see_role(&role.value.name))
        }
        Err(e) => {
            let refusal = Refusal::of(page.locale, e)?;
            let status = refusal.status();
            let body = role_page(&page, form, true, false, &[], Some(refusal));
            page.ctx.done();
            Ok(html_with(status, &body))
        }
    }
}

fn see_role(name: &str) -> axum::response::Response {
    Redirect::to(&format!("/admin/roles/{}", encode_component(name))).into_response()
}

/// `GET /admin/roles/{name}`
pub async fn show(mut page: Page, Path(name): Path<String>) -> PageResult {
    page.require("users.view").await?;
    let role = services::roles::get(&mut page.ctx, &name).await?;
    let body = role_page(
        &page,
        RoleForm::of(&role),
        false,
        role.value.built_in,
        &role.value.permissions,
        None,
    );
    page.ctx.done();
    Ok(html(&body))
}

/// Loads the role `name` for a change: the form's page again when the services refuse.
async fn load(page: &mut Page, name: &str) -> Result<Versioned<RoleOut>, PageError> {
    page.require("roles.manage").await?;
    Ok(services::roles::get(&mut page.ctx, name).await?)
}

/// The role's page with the posted form and the services' refusal.
fn refused(
    page: Page,
    role: &Versioned<RoleOut>,
    form: RoleForm,
    error: services::Error,
) -> PageResult {
    let refusal = Refusal::of(page.locale, error)?;
    let status = refusal.status();
    let body = role_page(
        &page,
        form,
        false,
        role.value.built_in,
        &role.value.permissions,
        Some(refusal),
    );
    page.ctx.done();
    Ok(html_with(status, &body))
}

/// `POST /admin/roles/{name}`: a custom role's description and permissions, at the version
/// the form was filled in at.
pub async fn update(
    mut page: Page,
    Path(name): Path<String>,
    Form(fields): Form<Fields>,
) -> PageResult {
    let role = load(&mut page, &name).await?;
    let form = RoleForm::posted(role.value.name.clone(), &fields);
    let change = RoleChange {
        description: Some(form.description.clone()),
        permissions: Some(form.permissions.clone()),
    };
    match services::roles::update(&mut page.ctx, &name, &fields.expected(), change).await {
        Ok(role) => {
            page.ctx.commit().await?;
            Ok(see_role(&role.value.name))
        }
        Err(e) => refused(page, &role, form, e),
    }
}

/// `POST /admin/roles/{name}/delete`: deletes a custom role (and takes it from every user).
pub async fn delete(
    mut page: Page,
    Path(name): Path<String>,
    Form(fields): Form<Fields>,
) -> PageResult {
    let role = load(&mut page, &name).await?;
    match services::roles::delete(&mut page.ctx, &name, &fields.expected()).await {
        Ok(()) => {
            page.ctx.commit().await?;
            Ok(Redirect::to("/admin/roles").into_response())
        }
        Err(e) => {
            let form = RoleForm::of(&role);
            refused(page, &role, form, e)
        }
    }
}
