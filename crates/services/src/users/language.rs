//! The language a user chooses for themselves, over their tenant's.

use domain::{EventType, tenant};
use serde_json::json;

use crate::access::{self, MeResponse};
use crate::{Change, Error, Result, Scope};

/// Sets the signed-in user's own language (`es`, `en`; `None` follows the tenant's) and
/// returns them as `GET /me` shows them. Recorded as `user.updated` when it changes; an API
/// key has no language of its own.
pub async fn set_locale(scope: &mut Scope, locale: Option<&str>) -> Result<MeResponse> {
    let Some(id) = scope.user_id() else {
        return Err(Error::Forbidden(
            "Only a signed-in user has a language of their own.".to_owned(),
        ));
    };
    let locale = locale
        .map(|l| tenant::parse_locale(l).map_err(|e| Error::field("/locale", e.0)))
        .transpose()?;
    let before = db::users::me(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?
        .user_locale;
    if before.as_deref() != locale {
        db::users::set_locale(&mut scope.tx, id, locale).await?;
        scope
            .record(
                Change::of(EventType::UserUpdated, "user", id)
                    .before(json!({ "locale": before }))
                    .after(json!({ "locale": locale })),
            )
            .await?;
    }
    access::me(scope).await?.ok_or(Error::NotFound)
}
