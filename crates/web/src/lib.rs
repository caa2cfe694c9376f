//! The web console: server-rendered pages (askama templates, htmx for partial updates,
//! Bootstrap 5) mounted by `crm serve` beside the JSON API. Every page calls the same service
//! functions as the API, inside the same tenant transaction (the API's `Ctx`), with the same
//! permission checks and problem codes; a rule written a second time here is a defect.
//! How to add a page: docs/adding-a-module.md ("Console pages").

pub mod assets;
pub mod cookies;
pub mod csrf;
pub mod errors;
pub mod form;
pub mod headers;
pub mod i18n;
pub mod page;
pub mod pages;
pub mod render;
pub mod session;
pub mod state;

use api::state::AppState;
use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::Redirect;
use axum::routing::{get, post};

use crate::state::WebState;

/// The console, ready for [`api::app_with`].
pub fn console(app: &AppState) -> api::Console {
    let ws = WebState::new(app.clone());
    errors::use_assets(&ws.assets);
    let favicon = ws.assets.url("favicon.svg");
    let pages = Router::new()
        .route("/", get(pages::dashboard::show))
        .route("/login", get(pages::auth::show).post(pages::auth::submit))
        .route("/logout", post(pages::auth::sign_out))
        .route("/clients", get(pages::clients::list))
        .route(
            "/clients/new",
            get(pages::client_forms::new).post(pages::client_forms::create),
        )
        .route("/clients/{id}", get(pages::clients::show))
        .route(
            "/clients/{id}/edit",
            get(pages::client_forms::edit).post(pages::client_forms::update),
        )
        .route("/clients/{id}/convert", post(pages::client_forms::convert))
        .route("/clients/{id}/delete", post(pages::client_forms::delete))
        .route("/clients/{id}/restore", post(pages::client_forms::restore))
        .route("/clients/{id}/timeline", get(pages::clients::timeline))
        .route("/timeline", get(pages::timeline::show))
        .route("/clients/{id}/duplicates", get(pages::merges::list))
        .route("/clients/{id}/merge", post(pages::merges::merge))
        .route("/merges/{id}/undo", post(pages::merges::undo))
        .route("/clients/import", get(pages::imports::new))
        .route("/imports/{id}", get(pages::imports::show))
        .merge(pages::admin::routes())
        .merge(pages::settings::routes())
        .merge(pages::contacts::routes())
        .merge(pages::tickets::routes())
        .merge(pages::communications::routes())
        .merge(pages::pipeline::routes())
        .merge(pages::proposals::routes())
        .merge(pages::calendar::routes())
        .route(
            "/invitation",
            get(pages::auth::show_invitation).post(pages::auth::accept_invitation),
        )
        .route(
            "/forgot-password",
            get(pages::password_reset::show_forgot).post(pages::password_reset::request),
        )
        .route(
            "/reset-password",
            get(pages::password_reset::show_reset).post(pages::password_reset::reset),
        )
        .with_state(ws.clone());
    // The live stream is the API's own handler, authenticated here from the cookies.
    // The API's own handlers where the console needs exactly their answer, authenticated here
    // from the cookies: the live stream, the CSV export (a download) and the CSV upload (sent
    // as `text/csv` by console.js, like the API's clients send it).
    let live: Router<AppState> = Router::new()
        .route("/live", get(api::routes::events::live_events))
        .route(
            "/clients/export.csv",
            get(api::routes::export::export_clients),
        )
        .route(
            "/clients/import",
            post(api::routes::imports::start_import).layer(axum::extract::DefaultBodyLimit::max(
                services::import::MAX_FILE_BYTES,
            )),
        );
    let protected = pages
        .merge(live)
        .layer(from_fn_with_state(ws.clone(), session::attach))
        .layer(from_fn_with_state(ws.clone(), csrf::protect))
        .layer(from_fn(errors::render_problems));
    // The client's page of a sent proposal and a user's iCal feed: no session and no CSRF
    // cookie, the signed link or the secret URL is the capability (`pages::proposal_public`,
    // `pages::calendar_feed`).
    let public = pages::proposal_public::routes()
        .route("/ical/{file}", get(pages::calendar_feed::read))
        .with_state(ws.clone())
        .layer(from_fn(errors::render_problems));
    let files = Router::new()
        .route("/static/{*file}", get(assets::serve))
        .route(
            "/favicon.ico",
            get(move || async move { Redirect::permanent(&favicon) }),
        )
        .with_state(ws);
    api::Console {
        routes: protected
            .merge(public)
            .merge(files)
            .layer(from_fn(headers::security)),
        not_found: errors::not_found,
    }
}
