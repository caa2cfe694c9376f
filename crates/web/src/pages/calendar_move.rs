//! `POST /calendar/activities/{id}/move`: where `static/calendar.js` posts an event dragged or
//! resized on the calendar (a form: `start` and `end` as RFC 3339 instants, or as days
//! `YYYY-MM-DD` for an all-day slot; the version the calendar showed; the CSRF token in its
//! header), answered with JSON for the script: 200 with the new version; 409 when someone else
//! changed the activity first (the script puts the event back and reloads the window); 422
//! with each problem. The one service flow is `services::calendar::reschedule`.

use axum::Form;
use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;
use services::calendar::Slot;
use services::{Expected, InvalidField};

use crate::i18n::Locale;
use crate::page::{Page, PageResult};
use crate::pages::clients::parse_id;

/// The drop as calendar.js posts it.
#[derive(Debug, Default, Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    start: String,
    /// Blank: the activity keeps its length (one day for a day).
    #[serde(default)]
    end: String,
    #[serde(default)]
    version: String,
}

/// One end of the slot: an instant, or a day.
enum End {
    At(DateTime<Utc>),
    Day(NaiveDate),
}

fn end(raw: &str) -> Option<End> {
    let raw = raw.trim();
    if let Ok(day) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Some(End::Day(day));
    }
    DateTime::parse_from_rfc3339(raw)
        .ok()
        .map(|t| End::At(t.with_timezone(&Utc)))
}

impl MoveForm {
    /// The slot and version, or each field that is not even of its type.
    fn input(&self) -> Result<(Slot, i32), Vec<InvalidField>> {
        let mut problems = Vec::new();
        let version = self.version.trim().parse::<i32>().ok();
        if version.is_none() {
            problems.push(InvalidField::at("/version", "must be a whole number"));
        }
        let last = (!self.end.trim().is_empty()).then(|| end(&self.end));
        let slot = match (end(&self.start), last) {
            (_, Some(None)) => {
                problems.push(InvalidField::at(
                    "/end",
                    "must be a day or an RFC 3339 time",
                ));
                None
            }
            (Some(End::At(starts_at)), Some(Some(End::At(t)))) => Some(Slot::Timed {
                starts_at,
                ends_at: Some(t),
            }),
            (Some(End::At(starts_at)), None) => Some(Slot::Timed {
                starts_at,
                ends_at: None,
            }),
            (Some(End::Day(first)), Some(Some(End::Day(d)))) => Some(Slot::Days {
                first,
                end: Some(d),
            }),
            (Some(End::Day(first)), None) => Some(Slot::Days { first, end: None }),
            (Some(_), Some(Some(_))) => {
                problems.push(InvalidField::at(
                    "/end",
                    "must be of the same kind as start",
                ));
                None
            }
            (None, _) => {
                problems.push(InvalidField::at(
                    "/start",
                    "must be a day or an RFC 3339 time",
                ));
                None
            }
        };
        match (slot, version) {
            (Some(slot), Some(version)) if problems.is_empty() => Ok((slot, version)),
            _ => Err(problems),
        }
    }
}

fn refused(locale: Locale, status: StatusCode, key: &str, fields: Vec<InvalidField>) -> Response {
    let body = json!({ "message": locale.t(key), "errors": fields });
    (status, Json(body)).into_response()
}

/// `POST /calendar/activities/{id}/move`
pub async fn move_activity(
    mut page: Page,
    Path(id): Path<String>,
    Form(form): Form<MoveForm>,
) -> PageResult {
    page.require("calendar.edit").await?;
    let id = parse_id(&id)?;
    let locale = page.locale;
    let (slot, version) = match form.input() {
        Ok(input) => input,
        Err(fields) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(refused(locale, status, "calendar-move-invalid", fields));
        }
    };
    let expected = Expected::OneOf(vec![version]);
    match services::calendar::reschedule(&mut page.ctx, id, slot, &expected).await {
        Ok(moved) => {
            page.ctx.commit().await?;
            Ok(Json(json!({ "id": id, "version": moved.version })).into_response())
        }
        Err(services::Error::Stale) => Ok(refused(
            locale,
            StatusCode::CONFLICT,
            "calendar-move-conflict",
            Vec::new(),
        )),
        Err(services::Error::Invalid(fields)) => Ok(refused(
            locale,
            StatusCode::UNPROCESSABLE_ENTITY,
            "calendar-move-invalid",
            fields,
        )),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(start: &str, end: &str, version: &str) -> MoveForm {
        MoveForm {
            start: start.into(),
            end: end.into(),
            version: version.into(),
        }
    }

    #[test]
    fn instants_and_days_are_read_and_a_mix_is_refused() {
        let (slot, version) = form("2026-12-08T10:00:00+01:00", "", "3")
            .input()
            .expect("a move");
        let at = DateTime::parse_from_rfc3339("2026-12-08T09:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        assert_eq!(
            (slot, version),
            (
                Slot::Timed {
                    starts_at: at,
                    ends_at: None
                },
                3
            )
        );
        let (slot, _) = form("2026-12-08", "2026-12-10", "1").input().expect("days");
        let day = |d| NaiveDate::from_ymd_opt(2026, 12, d).expect("day");
        assert_eq!(
            slot,
            Slot::Days {
                first: day(8),
                end: Some(day(10))
            }
        );
        let pointers = |f: MoveForm| -> Vec<String> {
            f.input()
                .expect_err("refused")
                .into_iter()
                .map(|p| p.pointer)
                .collect()
        };
        assert_eq!(
            pointers(form("2026-12-08", "2026-12-08T10:00:00Z", "1")),
            ["/end"]
        );
        assert_eq!(pointers(form("tomorrow", "", "x")), ["/version", "/start"]);
    }
}
