//! `POST /pipeline/opportunities/{id}/move`: where `static/console.js` posts a card dropped on
//! the board (a form: the stage, the 0-based place among the stage's other cards and the
//! version the board showed; the CSRF token in its header), answered with JSON for the script:
//! 200 with the card's new place and version; 409 when someone else moved or changed it first
//! (`opportunity-moved`, with the message to show and the card as it stands; the script redraws
//! the board); 422 with each problem. The one service flow is the API's own
//! (`services::pipeline::move_opportunity`).

use axum::Form;
use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use services::InvalidField;
use services::pipeline::MoveInput;

use crate::i18n::{Arg, Locale};
use crate::page::{Page, PageResult};
use crate::pages::clients::parse_id;

/// The drop as console.js posts it.
#[derive(Debug, Default, Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    stage_id: String,
    #[serde(default)]
    position: String,
    #[serde(default)]
    version: String,
    /// Why it was lost (blank: none or the one it had).
    #[serde(default)]
    lost_reason: String,
}

impl MoveForm {
    /// The service's input, or each field that is not even of its type.
    fn input(&self) -> Result<MoveInput, Vec<InvalidField>> {
        let mut problems = Vec::new();
        let stage_id = uuid::Uuid::try_parse(self.stage_id.trim())
            .map_err(|_| problems.push(InvalidField::at("/stage_id", "must be a stage's id")))
            .ok();
        let position = self
            .position
            .trim()
            .parse::<i64>()
            .map_err(|_| problems.push(InvalidField::at("/position", "must be a whole number")))
            .ok();
        let version = self
            .version
            .trim()
            .parse::<i32>()
            .map_err(|_| problems.push(InvalidField::at("/version", "must be a whole number")))
            .ok();
        match (stage_id, position, version) {
            (Some(stage_id), Some(position), Some(version)) => Ok(MoveInput {
                stage_id,
                position,
                version,
                lost_reason: Some(self.lost_reason.trim().to_owned()).filter(|r| !r.is_empty()),
            }),
            _ => Err(problems),
        }
    }
}

fn invalid(locale: Locale, fields: Vec<InvalidField>) -> Response {
    let body = json!({
        "code": "invalid",
        "message": locale.t("pipeline-move-invalid"),
        "errors": fields,
    });
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

fn conflict(
    locale: Locale,
    code: &str,
    detail: &str,
    current: Option<Box<serde_json::Value>>,
) -> Response {
    let message = match code {
        "opportunity-moved" => locale.t("pipeline-move-conflict"),
        _ => locale.t_with(
            "admin-conflict",
            &[("detail", Arg::Text(detail.to_owned()))],
        ),
    };
    let body = json!({ "code": code, "message": message, "current": current });
    (StatusCode::CONFLICT, Json(body)).into_response()
}

/// `POST /pipeline/opportunities/{id}/move`
pub async fn move_card(
    mut page: Page,
    Path(id): Path<String>,
    Form(form): Form<MoveForm>,
) -> PageResult {
    page.require("pipeline.edit").await?;
    let id = parse_id(&id)?;
    let locale = page.locale;
    let input = match form.input() {
        Ok(input) => input,
        Err(fields) => return Ok(invalid(locale, fields)),
    };
    match services::pipeline::move_opportunity(&mut page.ctx, id, input).await {
        Ok(moved) => {
            page.ctx.commit().await?;
            let o = moved.value;
            let body = json!({
                "id": o.id,
                "stage_id": o.stage_id,
                "position": o.position,
                "state": o.state,
                "version": moved.version,
            });
            Ok(Json(body).into_response())
        }
        Err(services::Error::Conflict {
            code,
            detail,
            current,
        }) => Ok(conflict(locale, code, &detail, current)),
        Err(services::Error::Invalid(fields)) => Ok(invalid(locale, fields)),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drop_is_read_and_each_bad_field_named() {
        let stage = uuid::Uuid::now_v7();
        let form = MoveForm {
            stage_id: stage.to_string(),
            position: " 2 ".into(),
            version: "7".into(),
            lost_reason: " ".into(),
        };
        let input = form.input().expect("a move");
        assert_eq!(
            (input.stage_id, input.position, input.version),
            (stage, 2, 7)
        );
        assert_eq!(input.lost_reason, None);
        let bad = MoveForm {
            stage_id: "x".into(),
            position: "first".into(),
            version: String::new(),
            lost_reason: String::new(),
        };
        let pointers: Vec<String> = bad
            .input()
            .expect_err("refused")
            .into_iter()
            .map(|f| f.pointer)
            .collect();
        assert_eq!(pointers, ["/stage_id", "/position", "/version"]);
    }
}
