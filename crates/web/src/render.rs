//! The one template renderer, and what every signed-in page's layout shows (the chrome):
//! title, navigation limited to what the user may open, the user and tenant, the locale, the
//! CSRF token for htmx, and the hashed URLs of the browser files.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::assets::Assets;
use crate::i18n::Locale;
use crate::page::Page;

/// Renders a template as the answer (a fragment for htmx or a whole page alike).
pub fn html<T: Template>(template: &T) -> Response {
    html_with(StatusCode::OK, template)
}

/// Renders a template with a status other than 200 (a form shown again with its errors).
pub fn html_with<T: Template>(status: StatusCode, template: &T) -> Response {
    match template.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "The page could not be shown.",
            )
                .into_response()
        }
    }
}

/// One entry of the navigation bar.
pub struct NavItem {
    pub href: &'static str,
    pub icon: &'static str,
    pub label: String,
    pub active: bool,
}

/// The navigation: (section, path, icon, message key, permission needed).
const NAV: [(&str, &str, &str, &str, &str); 8] = [
    (
        "dashboard",
        "/",
        "speedometer2",
        "nav-dashboard",
        "clients.view",
    ),
    (
        "clients",
        "/clients",
        "building",
        "nav-clients",
        "clients.view",
    ),
    (
        "pipeline",
        "/pipeline",
        "kanban",
        "nav-pipeline",
        "pipeline.view",
    ),
    (
        "proposals",
        "/proposals",
        "file-earmark-text",
        "nav-proposals",
        "proposals.view",
    ),
    (
        "tickets",
        "/tickets",
        "life-preserver",
        "nav-tickets",
        "tickets.view",
    ),
    (
        "calendar",
        "/calendar",
        "calendar3",
        "nav-calendar",
        "calendar.view",
    ),
    (
        "timeline",
        "/timeline",
        "clock-history",
        "nav-timeline",
        "timeline.view",
    ),
    (
        "communications",
        "/communications",
        "inbox",
        "nav-communications",
        "communications.view",
    ),
];

/// The administration menu: (section, path, message key, permission needed).
const ADMIN: [(&str, &str, &str, &str); 10] = [
    ("users", "/admin/users", "nav-users", "users.view"),
    ("roles", "/admin/roles", "nav-roles", "roles.manage"),
    (
        "api-keys",
        "/admin/api-keys",
        "nav-api-keys",
        "api_keys.manage",
    ),
    ("audit", "/admin/audit", "nav-audit", "audit.view"),
    (
        "settings",
        "/admin/settings",
        "nav-settings",
        "tenant.settings",
    ),
    (
        "ticket-categories",
        "/admin/ticket-categories",
        "nav-ticket-categories",
        "tickets.config",
    ),
    (
        "business-calendars",
        "/admin/business-calendars",
        "nav-business-calendars",
        "tickets.config",
    ),
    (
        "templates",
        "/templates",
        "nav-templates",
        "communications.templates",
    ),
    (
        "channels",
        "/admin/channels",
        "nav-channels",
        "tenant.settings",
    ),
    (
        "pipelines",
        "/admin/pipelines",
        "nav-pipelines",
        "pipeline.config",
    ),
];

/// The layout's data.
pub struct Chrome {
    pub title: String,
    pub locale: Locale,
    pub csrf: String,
    pub user_name: String,
    pub tenant_name: String,
    pub time_zone: String,
    pub nav: Vec<NavItem>,
    pub admin: Vec<NavItem>,
    /// The signed-in user's id when their reminders reach the console live (they have a
    /// calendar and may read the event stream).
    pub reminders_for: Option<String>,
    assets: Assets,
}

impl Chrome {
    /// The chrome of a page of `section`, titled by the message `title_key`.
    pub fn new(page: &Page, section: &str, title_key: &str) -> Self {
        let locale = page.locale;
        let nav = NAV
            .iter()
            .filter(|(.., permission)| page.can(permission))
            .map(|(name, href, icon, key, _)| NavItem {
                href,
                icon,
                label: locale.t(key),
                active: *name == section,
            })
            .collect();
        let admin = ADMIN
            .iter()
            .filter(|(.., permission)| page.can(permission))
            .map(|(name, href, key, _)| NavItem {
                href,
                icon: "gear",
                label: locale.t(key),
                active: *name == section,
            })
            .collect();
        Self {
            title: locale.t(title_key),
            locale,
            csrf: page.csrf.clone(),
            user_name: page.me.display_name.clone().unwrap_or_default(),
            tenant_name: page.me.tenant.name.clone(),
            time_zone: page.me.tenant.time_zone.clone(),
            nav,
            admin,
            reminders_for: (page.can("calendar.view") && page.can("timeline.view"))
                .then(|| page.me.id.to_string()),
            assets: page.assets.clone(),
        }
    }

    /// A message in the page's language.
    pub fn t(&self, key: &str) -> String {
        self.locale.t(key)
    }

    /// The hashed URL of a browser file.
    pub fn asset(&self, name: &str) -> String {
        self.assets.url(name)
    }

    pub fn int(&self, n: &i64) -> String {
        self.locale.int(*n)
    }
}

/// The chrome of a page shown to nobody in particular (sign-in, errors).
pub struct Plain {
    pub title: String,
    pub locale: Locale,
    pub csrf: String,
    assets: Assets,
}

impl Plain {
    pub fn new(assets: &Assets, locale: Locale, csrf: String, title_key: &str) -> Self {
        Self {
            title: locale.t(title_key),
            locale,
            csrf,
            assets: assets.clone(),
        }
    }

    pub fn t(&self, key: &str) -> String {
        self.locale.t(key)
    }

    pub fn asset(&self, name: &str) -> String {
        self.assets.url(name)
    }
}
