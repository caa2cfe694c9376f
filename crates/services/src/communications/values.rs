//! The values a template is rendered with for one client: its names, its contact, its owner,
//! today's date in the tenant's time zone, and its custom fields, in the tenant's locale.

use std::collections::BTreeMap;

use chrono::Utc;
use db::clients::ClientRow;
use domain::custom_field::FieldDefinition;
use domain::templates::{CustomValue, Locale, TemplateValues};
use uuid::Uuid;

use crate::{Error, Result, Scope};

/// The tenant's custom field definitions (their keys are the `custom.<key>` variables).
pub(super) async fn custom_fields(scope: &mut Scope) -> Result<Vec<FieldDefinition>> {
    crate::custom_fields::list(scope).await
}

/// Everything a template may say about `client` (and `contact_id`, a contact of it).
pub async fn values_for(
    scope: &mut Scope,
    client: &ClientRow,
    contact_id: Option<Uuid>,
) -> Result<TemplateValues> {
    let tenant = crate::tenants::settings(scope).await?;
    let locale = Locale::parse(&tenant.locale).unwrap_or(Locale::Es);
    let zone: chrono_tz::Tz = tenant.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let contact_name = match contact_id {
        Some(id) => Some(
            db::contacts::get(&mut scope.tx, client.id, id)
                .await?
                .ok_or(Error::NotFound)?
                .name,
        ),
        None => None,
    };
    let owner_name = match client.owner_id {
        Some(id) => db::users::get(&mut scope.tx, id)
            .await?
            .map(|u| u.display_name),
        None => None,
    };
    let mut custom = BTreeMap::new();
    for def in custom_fields(scope).await? {
        let stored = client.custom_fields.get(&def.key);
        custom.insert(
            def.key.clone(),
            CustomValue::from_field(def.field_type, stored),
        );
    }
    Ok(TemplateValues {
        client_name: client.company_name.clone(),
        company_name: client.company_name.clone(),
        contact_name,
        owner_name,
        today: Utc::now().with_timezone(&zone).date_naive(),
        custom,
        proposal: BTreeMap::new(),
        locale,
    })
}
