//! One sync run of one connected Google calendar, in the caller's transaction with the
//! connection locked (a run that finds it locked by another skips it): the access token refreshed when it expires
//! (a refused refresh token marks the connection for reauthorization), then **in**: the
//! changes since the last run's sync token, page after page (a 410 starts a full read of the
//! last 30 days again), each event applied on its own (`inbound`: a malformed one is set aside
//! with its error and never stops the rest), then **out**: every activity of the user the
//! calendar lacks or shows at an older version, created under an id derived from the activity
//! (a repeated insert is refused, never duplicated) or updated with the event's ETag (a 412
//! leaves it for the next run's read, where the conflict rule applies). The run ends with
//! its cursor, health and counts on the connection, and the next run planned.

use std::time::Duration;

use chrono::{DateTime, Utc};
use db::activities::ActivityRow;
use db::calendar_connections::{self as store, ConnectionRow, RunEnd};
use db::calendar_event_links::{self as links, LinkRow, Unsynced};
use db::crypto::TenantCipher;
use integrations::google_calendar::{CalendarError, GoogleCalendar, ReadFrom};
use integrations::oauth::{OAuthClient, OAuthError};
use uuid::Uuid;

use super::google_event::{self, body_of, event_id_of, ical_uid_of};
use super::inbound::{self, Applied};
use crate::calendar::connections::seal;
use crate::calendar::providers::{CalendarProviders, ProviderKind, Registration};
use crate::{Error, Result, Scope};

/// How far back a full read starts.
pub const FULL_READ_DAYS: i64 = 30;
/// The reconciliation: a connection is read again at the latest this long after its last run,
/// push notices or not.
pub const RECONCILE_EVERY_MINUTES: i64 = 15;
/// Activities sent per run (the rest go in the next).
pub const PUSHES_PER_RUN: i64 = 500;
/// How long a push channel is asked to live, and how long before its end it is renewed.
pub const CHANNEL_DAYS: u64 = 7;
pub const CHANNEL_RENEW_HOURS: i64 = 24;

/// The provider clients a sync calls.
pub struct SyncClients {
    pub oauth: OAuthClient,
    pub google: Option<GoogleCalendar>,
}

impl SyncClients {
    /// Clients for the registered providers.
    pub fn new(providers: &CalendarProviders) -> anyhow::Result<Self> {
        Ok(Self {
            oauth: OAuthClient::new()?,
            google: match &providers.google {
                Some(reg) => Some(GoogleCalendar::new(&reg.api_base_url)?),
                None => None,
            },
        })
    }
}

/// How a run ended, for the worker's metrics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunReport {
    pub provider: String,
    /// `ok`, `failed`, `throttled`, `reauthorize` or `skipped`.
    pub outcome: &'static str,
    pub changes_in: i64,
    pub changes_out: i64,
    pub conflicts: i64,
    pub set_aside: i64,
    /// How long the connection waited past its due time.
    pub lag_seconds: f64,
}

/// What the run is working with.
struct Run<'a> {
    conn: ConnectionRow,
    tenant: Uuid,
    notices_base: Option<&'a str>,
    reg: &'a Registration,
    google: &'a GoogleCalendar,
    oauth: &'a OAuthClient,
    cipher: &'a TenantCipher,
    access: String,
    refreshed: bool,
    report: RunReport,
}

/// Runs connection `id`'s sync at `now`.
pub async fn sync_connection(
    scope: &mut Scope,
    cipher: &TenantCipher,
    providers: &CalendarProviders,
    clients: &SyncClients,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<RunReport> {
    let Some(conn) = store::get_for_run(&mut scope.tx, id).await? else {
        return Ok(skipped(""));
    };
    if conn.status != "active" || conn.next_sync_at > now {
        return Ok(skipped(&conn.provider));
    }
    let kind = ProviderKind::parse(&conn.provider);
    let (Some(ProviderKind::Google), Some(reg), Some(google)) = (
        kind,
        kind.and_then(|k| providers.get(k)),
        clients.google.as_ref(),
    ) else {
        let end = failed_end(now, format!("syncing {} is not available", conn.provider));
        store::end_run(&mut scope.tx, id, &end).await?;
        return Ok(skipped(&conn.provider));
    };
    let lag = (now - conn.next_sync_at).num_milliseconds().max(0) as f64 / 1000.0;
    let access = cipher.decrypt(&conn.access_token_cipher)?;
    let run = Run {
        report: RunReport {
            provider: conn.provider.clone(),
            lag_seconds: lag,
            ..RunReport::default()
        },
        conn,
        tenant: scope.tenant(),
        notices_base: providers.notices_base.as_deref(),
        reg,
        google,
        oauth: &clients.oauth,
        cipher,
        access,
        refreshed: false,
    };
    run.go(scope, now).await
}

fn skipped(provider: &str) -> RunReport {
    RunReport {
        provider: provider.to_owned(),
        outcome: "skipped",
        ..RunReport::default()
    }
}

fn failed_end(now: DateTime<Utc>, error: String) -> RunEnd {
    RunEnd {
        cursor: None,
        succeeded: false,
        error: Some(error),
        changes_in: 0,
        changes_out: 0,
        next_sync_at: now + chrono::Duration::minutes(RECONCILE_EVERY_MINUTES),
    }
}

/// Why a run stopped early.
enum Stop {
    Reauthorize(String),
    Throttled(Option<Duration>),
    Failed(String),
}

impl<'a> Run<'a> {
    async fn go(mut self, scope: &mut Scope, now: DateTime<Utc>) -> Result<RunReport> {
        let id = self.conn.id;
        let steps = self.steps(scope, now).await?;
        let mut end = RunEnd {
            cursor: None,
            succeeded: false,
            error: None,
            changes_in: self.report.changes_in,
            changes_out: self.report.changes_out,
            next_sync_at: now + chrono::Duration::minutes(RECONCILE_EVERY_MINUTES),
        };
        match steps {
            Ok(cursor) => {
                end.cursor = cursor;
                end.succeeded = true;
                self.report.outcome = "ok";
                self.renew_channel(scope, now).await?;
            }
            Err(Stop::Reauthorize(why)) => {
                store::needs_reauthorization(&mut scope.tx, id, &why).await?;
                self.report.outcome = "reauthorize";
                return Ok(self.report);
            }
            Err(Stop::Throttled(wait)) => {
                let wait = wait
                    .unwrap_or(Duration::from_secs(60))
                    .min(Duration::from_secs(3600));
                end.error = Some("the provider asked to slow down".into());
                end.next_sync_at = now + chrono::Duration::seconds(wait.as_secs() as i64);
                self.report.outcome = "throttled";
            }
            Err(Stop::Failed(why)) => {
                end.error = Some(why);
                self.report.outcome = "failed";
            }
        }
        store::end_run(&mut scope.tx, id, &end).await?;
        Ok(self.report)
    }

    /// Opens a push channel when there is none or it ends within a day; the old one is
    /// stopped. A channel that cannot be opened leaves the reconciliation to keep up.
    async fn renew_channel(&mut self, scope: &mut Scope, now: DateTime<Utc>) -> Result<()> {
        let Some(base) = self.notices_base else {
            return Ok(());
        };
        let renew_at = now + chrono::Duration::hours(CHANNEL_RENEW_HOURS);
        if self.conn.channel_expires_at.is_some_and(|t| t > renew_at) {
            return Ok(());
        }
        let address = format!(
            "{}/api/v1/webhooks/google-calendar/{}",
            base.trim_end_matches('/'),
            self.tenant
        );
        // The channel's id is its secret: a notice naming it is believed.
        let channel_id = Uuid::new_v4().to_string();
        let ttl = Duration::from_secs(CHANNEL_DAYS * 86_400);
        let cal = self.conn.calendar_id.clone();
        let opened = self
            .google
            .watch(&self.access, &cal, &channel_id, &address, "crm", ttl)
            .await;
        let Ok(channel) = opened else {
            return Ok(());
        };
        let expires_at = channel
            .expiration
            .as_deref()
            .and_then(|ms| ms.parse::<i64>().ok())
            .and_then(DateTime::from_timestamp_millis)
            .unwrap_or(now + chrono::Duration::days(CHANNEL_DAYS as i64));
        store::set_channel(
            &mut scope.tx,
            self.conn.id,
            &channel.id,
            &channel.resource_id,
            expires_at,
        )
        .await?;
        if let (Some(old), Some(resource)) = (&self.conn.channel_id, &self.conn.channel_resource_id)
        {
            // Best effort: an old channel left open ends by itself and its notices are ignored.
            let _ = self.google.stop(&self.access, old, resource).await;
        }
        Ok(())
    }

    /// Token, reading, sending; gives the next cursor or why it stopped.
    async fn steps(
        &mut self,
        scope: &mut Scope,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<Option<String>, Stop>> {
        if let Err(stop) = self.fresh_token(scope, now).await? {
            return Ok(Err(stop));
        }
        let cursor = match self.read_changes(scope, now).await? {
            Ok(cursor) => cursor,
            Err(stop) => return Ok(Err(stop)),
        };
        if let Err(stop) = self.push_changes(scope, now).await? {
            return Ok(Err(stop));
        }
        Ok(Ok(cursor))
    }

    /// A new access token from the refresh token.
    async fn refresh(&mut self, scope: &mut Scope) -> Result<std::result::Result<(), Stop>> {
        let Some(sealed) = self.conn.refresh_token_cipher.as_deref() else {
            return Ok(Err(Stop::Reauthorize(
                "no refresh token: connect again".into(),
            )));
        };
        let refresh = self.cipher.decrypt(sealed)?;
        let creds = self.reg.credentials("");
        match self.oauth.refresh(&self.reg.oauth, &creds, &refresh).await {
            Ok(tokens) => {
                store::set_tokens(&mut scope.tx, self.conn.id, &seal(self.cipher, &tokens)).await?;
                self.access = tokens.access_token;
                self.refreshed = true;
                Ok(Ok(()))
            }
            Err(OAuthError::Reauthorize(why)) => Ok(Err(Stop::Reauthorize(why))),
            Err(e) => Ok(Err(Stop::Failed(e.to_string()))),
        }
    }

    async fn fresh_token(
        &mut self,
        scope: &mut Scope,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<(), Stop>> {
        let expiring = self
            .conn
            .access_expires_at
            .is_some_and(|t| t <= now + chrono::Duration::minutes(1));
        if expiring {
            return self.refresh(scope).await;
        }
        Ok(Ok(()))
    }

    /// Reads every change since the cursor; gives the next cursor.
    async fn read_changes(
        &mut self,
        scope: &mut Scope,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<Option<String>, Stop>> {
        let full = ReadFrom::Full {
            time_min: Some((now - chrono::Duration::days(FULL_READ_DAYS)).to_rfc3339()),
        };
        let mut from = match self.conn.sync_cursor.clone() {
            Some(sync_token) => ReadFrom::Changes { sync_token },
            None => full.clone(),
        };
        let mut page_token: Option<String> = None;
        let mut restarted = false;
        loop {
            let page = self
                .google
                .read_page(
                    &self.access,
                    &self.conn.calendar_id,
                    &from,
                    page_token.as_deref(),
                )
                .await;
            match page {
                Ok(page) => {
                    for item in page.items {
                        self.take_in(scope, item).await?;
                    }
                    match page.next_page_token {
                        Some(next) => page_token = Some(next),
                        None => return Ok(Ok(page.next_sync_token)),
                    }
                }
                Err(CalendarError::FullSyncNeeded) if !restarted => {
                    restarted = true;
                    from = full.clone();
                    page_token = None;
                }
                Err(CalendarError::Unauthorized) if !self.refreshed => {
                    if let Err(stop) = self.refresh(scope).await? {
                        return Ok(Err(stop));
                    }
                }
                Err(e) => return Ok(Err(stop_of(e))),
            }
        }
    }

    /// Applies one item read; a malformed or refused one is set aside with why.
    async fn take_in(&mut self, scope: &mut Scope, item: serde_json::Value) -> Result<()> {
        let external_id = google_event::id_of(&item);
        let conn = self.conn.id;
        let event = match google_event::read(item) {
            Ok(e) => e,
            Err(why) => return self.set_aside(scope, &external_id, &why).await,
        };
        match inbound::apply(scope, &self.conn, event).await {
            Ok(applied) => {
                links::take_back(&mut scope.tx, conn, &external_id).await?;
                match applied {
                    Applied::Changed => self.report.changes_in += 1,
                    Applied::Conflict => {
                        self.report.changes_in += 1;
                        self.report.conflicts += 1;
                    }
                    Applied::Unchanged | Applied::Ignored => {}
                }
                Ok(())
            }
            Err(Error::Invalid(fields)) => {
                let why = fields
                    .iter()
                    .map(|f| format!("{}: {}", f.pointer, f.detail))
                    .collect::<Vec<_>>()
                    .join("; ");
                self.set_aside(scope, &external_id, &why).await
            }
            Err(e) => Err(e),
        }
    }

    async fn set_aside(&mut self, scope: &mut Scope, external_id: &str, why: &str) -> Result<()> {
        links::set_aside(&mut scope.tx, self.conn.id, external_id, why).await?;
        self.report.set_aside += 1;
        Ok(())
    }

    /// Sends the user's activities the calendar lacks or shows at an older version.
    async fn push_changes(
        &mut self,
        scope: &mut Scope,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<(), Stop>> {
        let since = now - chrono::Duration::days(1);
        let user = self.conn.user_id;
        let todo =
            links::unsynced(&mut scope.tx, self.conn.id, user, since, PUSHES_PER_RUN).await?;
        for item in todo {
            if let Err(stop) = self.push_one(scope, item).await? {
                return Ok(Err(stop));
            }
        }
        Ok(Ok(()))
    }

    async fn push_one(
        &mut self,
        scope: &mut Scope,
        item: Unsynced,
    ) -> Result<std::result::Result<(), Stop>> {
        let Some(row) = db::activities::get(&mut scope.tx, item.activity_id).await? else {
            return Ok(Ok(()));
        };
        let written = self.write(&row, &item).await;
        let (external_id, etag) = match written {
            Ok(done) => done,
            // Changed there since: the next read brings it, and the conflict rule applies.
            Err(CalendarError::Changed) => return Ok(Ok(())),
            Err(CalendarError::NotFound) => {
                if let Some(ext) = &item.external_id {
                    links::remove(&mut scope.tx, self.conn.id, ext).await?;
                }
                return Ok(Ok(()));
            }
            Err(CalendarError::Refused(why)) => {
                let ext = item.external_id.unwrap_or_else(|| event_id_of(row.id));
                self.set_aside(scope, &ext, &format!("not accepted by the calendar: {why}"))
                    .await?;
                return Ok(Ok(()));
            }
            Err(e) => return Ok(Err(stop_of(e))),
        };
        let link = LinkRow {
            connection_id: self.conn.id,
            external_id,
            activity_id: row.id,
            ical_uid: Some(ical_uid_of(row.id)),
            etag,
            activity_version: row.version,
            synced_at: Utc::now(),
            conflict: None,
        };
        links::save(&mut scope.tx, &link).await?;
        self.report.changes_out += 1;
        Ok(Ok(()))
    }
}

impl Run<'_> {
    /// Creates the activity's event, or updates it at the ETag last seen; gives the event's id
    /// and new ETag.
    async fn write(
        &self,
        row: &ActivityRow,
        item: &Unsynced,
    ) -> std::result::Result<(String, Option<String>), CalendarError> {
        let cal = &self.conn.calendar_id;
        let Some(ext) = &item.external_id else {
            return match self
                .google
                .insert(&self.access, cal, &body_of(row, true))
                .await
            {
                Ok(e) => Ok((e.id, Some(e.etag))),
                // Inserted by a run whose transaction was lost: link it.
                Err(CalendarError::Duplicate) => Ok((event_id_of(row.id), None)),
                Err(e) => Err(e),
            };
        };
        let etag = item.etag.as_deref();
        let e = self
            .google
            .update(&self.access, cal, ext, etag, &body_of(row, false))
            .await?;
        Ok((e.id, Some(e.etag)))
    }
}

fn stop_of(e: CalendarError) -> Stop {
    match e {
        CalendarError::RateLimited { retry_after } => Stop::Throttled(retry_after),
        CalendarError::Unauthorized => Stop::Failed("the calendar refused the access token".into()),
        other => Stop::Failed(other.to_string()),
    }
}
