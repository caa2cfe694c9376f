//! The HTTP API: routers per module, authentication and authorization, problems, OpenAPI,
//! metrics. `run` serves it until the shutdown future resolves.

pub mod auth;
pub mod config;
pub mod http;
pub mod live;
pub mod metrics;
pub mod rate_limit;
pub mod redis;
pub mod routes;
pub mod state;

use std::future::Future;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::IntoResponse;
use axum::routing::get;
use futures::StreamExt;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::services::ServeDir;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;

pub use config::ApiConfig;
use http::ApiError;
use state::{AppState, Inner};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "CRM API",
        description = "The hosted CRM's JSON API. Errors are RFC 9457 problems \
            (`application/problem+json`)."
    ),
    modifiers(&BearerScheme)
)]
struct ApiDoc;

struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            http::openapi_contract::BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT or API key")
                    .build(),
            ),
        );
    }
}

impl AppState {
    /// After a committed change to roles or assignments: reload here at once, and tell every
    /// other process through Redis (they also reload periodically, should the message be lost).
    pub async fn policies_changed(&self) {
        if let Err(e) = self.authz.reload(&self.db).await {
            tracing::error!(error = %e, "authorization reload failed");
        }
        self.redis
            .publish(auth::authz::RELOAD_CHANNEL, "changed")
            .await;
    }
}

/// Connects to Postgres and Redis and loads keys and policies.
pub async fn build_state(config: ApiConfig) -> anyhow::Result<AppState> {
    let options = PgConnectOptions::from_str(config.database_url.expose())
        .context("DATABASE_URL is not a Postgres connection URL")?
        .options(http::timeout::connection_options(config.statement_timeout));
    let db = PgPoolOptions::new()
        .max_connections(config.database_max_connections)
        .acquire_timeout(Duration::from_secs(5))
        // sqlx already tests each connection when it is released; testing it again on
        // acquire would put one more round trip on every request's path.
        .test_before_acquire(false)
        .connect_with(options)
        .await
        .context("cannot connect to Postgres (DATABASE_URL)")?;
    let tokens = auth::tokens::TokenKeys::new(
        config.jwt_private_key_pem.expose(),
        &config.jwt_previous_public_keys_pem,
        &config.jwt_issuer,
        &config.jwt_audience,
        config.access_token_ttl,
    )?;
    let rows = db::authz::load_policy_rows(&db)
        .await
        .context("cannot read authorization policies: has `crm migrate` run?")?;
    let authz = auth::authz::Authorizer::new(rows);
    let redis = redis::Redis::new(config.redis_url.expose());
    let master_keys = db::crypto::MasterKeys::parse(config.master_keys.expose())?;
    Ok(AppState(Arc::new(Inner {
        config,
        db,
        redis,
        tokens,
        authz,
        metrics: metrics::Metrics::new()?,
        limiter: rate_limit::RateLimiter::default(),
        master_keys,
        ciphers: db::crypto::CipherCache::new(std::time::Duration::from_secs(60)),
        draining: AtomicBool::new(false),
        live: live::Hub::default(),
        openapi_json: Default::default(),
        oauth: integrations::oauth::OAuthClient::new()?,
    })))
}

/// Unknown paths: a problem under `/api/` (and everywhere without a console), the console's
/// page elsewhere.
fn fallback(
    console_not_found: Option<fn(&axum::http::HeaderMap) -> axum::response::Response>,
) -> impl Fn(axum::http::Uri, axum::http::HeaderMap) -> std::future::Ready<axum::response::Response>
+ Clone
+ Send
+ Sync
+ 'static {
    move |uri, headers| {
        std::future::ready(match console_not_found {
            Some(page) if !uri.path().starts_with("/api/") => page(&headers),
            _ => ApiError::not_found().into_response(),
        })
    }
}

async fn method_not_allowed() -> impl IntoResponse {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        "This resource does not support that method.",
    )
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    ApiError::internal("handler panicked").into_response()
}

/// Every module behind authentication, without middleware.
fn protected_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(routes::me::router())
        .merge(routes::tenant::router())
        .merge(routes::users::router())
        .merge(routes::roles::router())
        .merge(routes::api_keys::router())
        .merge(routes::audit::router())
        .merge(routes::clients::router())
        .merge(routes::contacts::router())
        .merge(routes::merges::router())
        .merge(routes::export::router())
        .merge(routes::imports::router())
        .merge(routes::custom_fields::router())
        .merge(routes::timeline::router())
        .merge(routes::kpis::router())
        .merge(routes::tickets::router())
        .merge(routes::ticket_categories::router())
        .merge(routes::business_calendars::router())
        .merge(routes::communications::router())
        .merge(routes::message_templates::router())
        .merge(routes::channels::router())
        .merge(routes::pipelines::router())
        .merge(routes::opportunities::router())
        .merge(routes::proposal_templates::router())
        .merge(routes::proposals::router())
        .merge(routes::activities::router())
        .merge(routes::calendar_connections::router())
        .merge(routes::calendar_feed::router())
        .merge(routes::calendar_settings::router())
        .merge(routes::events::router())
}

/// The documented API under `/api/v1`, and its OpenAPI document completed as a contract.
fn documented(protected: OpenApiRouter<AppState>) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (api, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1/auth", routes::auth::router())
        .nest("/api/v1", protected)
        .split_for_parts();
    utoipa::Modify::modify(&http::openapi_contract::Contract, &mut doc);
    (api, doc)
}

/// The OpenAPI document served at `/api/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented(protected_routes()).1
}

/// A face served beside the API by the same process (the web console): its routes, and the
/// answer for an unknown path outside `/api/` (an HTML page rather than a problem).
pub struct Console {
    pub routes: Router<AppState>,
    pub not_found: fn(&axum::http::HeaderMap) -> axum::response::Response,
}

/// The API router with every module, its middleware and its OpenAPI document.
pub fn app(state: AppState) -> Router {
    app_with(state, None)
}

/// The API router with the console mounted beside it, under the same middleware.
pub fn app_with(state: AppState, console: Option<Console>) -> Router {
    let protected = protected_routes()
        .route_layer(from_fn_with_state(
            state.clone(),
            http::idempotency::middleware,
        ))
        .route_layer(from_fn_with_state(
            state.clone(),
            auth::principal::authenticate,
        ));
    let (api, doc) = documented(protected);
    let _ = state
        .openapi_json
        .set(doc.to_json().unwrap_or_else(|_| "{}".to_owned()));
    let assets = ServeDir::new(&state.config.assets_dir);
    api.route("/healthz", get(routes::health::healthz))
        .route("/readyz", get(routes::health::readyz))
        .route("/.well-known/jwks.json", get(routes::auth::jwks))
        .route("/api/v1/openapi.json", get(routes::docs::openapi))
        .route("/docs", get(routes::docs::page))
        .route("/assets/docs/init.js", get(routes::docs::init_js))
        .nest_service("/assets", assets)
        .merge(routes::webhooks::router())
        .merge(routes::tracking::router())
        .merge(
            console
                .as_ref()
                .map(|c| c.routes.clone())
                .unwrap_or_default(),
        )
        .fallback(fallback(console.map(|c| c.not_found)))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn(http::uri_text::middleware))
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(from_fn_with_state(state.clone(), metrics::track))
        .layer(from_fn(http::request_id::middleware))
        .with_state(state)
}

/// The metrics port's router.
pub fn metrics_app(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics::render))
        .with_state(state)
}

/// Keeps the authorization policies fresh: on every Redis message, and on a timer.
fn spawn_policy_reloaders(state: &AppState, mut stop: watch::Receiver<bool>) {
    let s = state.clone();
    let mut stop_timer = stop.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(s.config.authz_reload_every);
        tick.tick().await;
        loop {
            tokio::select! {
                _ = tick.tick() => reload(&s, "timer").await,
                _ = stop_timer.changed() => break,
            }
        }
    });
    let s = state.clone();
    tokio::spawn(async move {
        loop {
            let listen = listen_for_policy_changes(&s);
            tokio::select! {
                result = listen => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "policy subscription lost; retrying");
                    }
                }
                _ = stop.changed() => break,
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = stop.changed() => break,
            }
        }
    });
}

async fn reload(state: &AppState, trigger: &str) {
    let outcome = match state.authz.reload(&state.db).await {
        Ok(()) => "ok",
        Err(e) => {
            tracing::warn!(error = %e, trigger, "authorization reload failed");
            "error"
        }
    };
    state
        .metrics
        .authz_reloads
        .with_label_values(&[trigger, outcome])
        .inc();
}

async fn listen_for_policy_changes(state: &AppState) -> anyhow::Result<()> {
    let client = deadpool_redis::redis::Client::open(state.redis.url())?;
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(auth::authz::RELOAD_CHANNEL).await?;
    // Messages may have been missed while unsubscribed.
    reload(state, "resubscribe").await;
    let mut messages = pubsub.on_message();
    while messages.next().await.is_some() {
        reload(state, "pubsub").await;
    }
    anyhow::bail!("subscription closed")
}

/// How long the exit waits for the last commits' live updates to be published.
const FLUSH_WITHIN: Duration = Duration::from_secs(2);

/// Serves the API on `listener` and metrics on `metrics_listener` until `shutdown` resolves;
/// then readiness answers 503, in-flight requests finish, and it returns within the grace period.
pub async fn run(
    state: AppState,
    listener: TcpListener,
    metrics_listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let router = app(state.clone());
    run_with(state, router, listener, metrics_listener, shutdown).await
}

/// [`run`] serving `router` (the API with the console, [`app_with`]).
pub async fn run_with(
    state: AppState,
    router: Router,
    listener: TcpListener,
    metrics_listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    spawn_policy_reloaders(&state, stop_rx.clone());
    live::spawn_relay(&state, stop_rx.clone());
    let grace = state.config.shutdown_grace;
    let delay = state.config.shutdown_delay.min(grace / 2);
    let draining_state = state.clone();
    tokio::spawn(async move {
        shutdown.await;
        draining_state.draining.store(true, Ordering::SeqCst);
        tracing::info!(
            delay_ms = delay.as_millis() as u64,
            "shutting down: readiness is 503"
        );
        tokio::time::sleep(delay).await;
        tracing::info!("closing the listener; finishing in-flight requests");
        // Live streams end with the listener, not at SIGTERM: a client reconnecting during
        // the delay would often reach this process again, while the load balancer still
        // sends it traffic; once the listener is closed it reaches another one.
        draining_state.live.close();
        let _ = stop_tx.send(true);
    });
    let wait_stop = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|v| *v).await;
    };

    let api = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(wait_stop(stop_rx.clone()));
    let metrics = axum::serve(metrics_listener, metrics_app(state.clone()))
        .with_graceful_shutdown(wait_stop(stop_rx.clone()));
    let metrics = tokio::spawn(async move { metrics.await });

    let deadline = async {
        wait_stop(stop_rx.clone()).await;
        tokio::time::sleep(grace.saturating_sub(delay)).await;
    };
    let drained = tokio::select! {
        result = api => {
            result.context("API server failed")?;
            true
        }
        _ = deadline => {
            tracing::warn!("grace period over; closing remaining connections");
            false
        }
    };
    if drained && !state.live.flush(FLUSH_WITHIN).await {
        tracing::warn!("exiting with live updates of the last commits unpublished");
    }
    metrics.abort();
    Ok(())
}
