//! Custom fields: the tenant's own fields of a client (text, number, date, select, boolean),
//! defined by its administrators. Values stored under a key stay when its definition changes
//! or goes; `clients::prepare` checks new values against the definitions.

use domain::{EventType, FieldDefinition};
use serde_json::Value;

use crate::{Change, Error, Expected, Result, Scope, Versioned};

/// A stored definition as the tenant defined it.
fn definition_of(row: db::custom_fields::DefinitionRow) -> Result<Versioned<FieldDefinition>> {
    let value =
        serde_json::from_value(row.definition).map_err(|e| Error::Corrupt(e.to_string()))?;
    Ok(Versioned {
        value,
        version: row.version,
    })
}

/// Fails with the first thing wrong with a definition.
fn validate(def: &FieldDefinition) -> Result<()> {
    def.validate_definition()
        .map_err(|e| Error::field(&e.pointer, e.reason.0))
}

/// The definition as stored (and as recorded in the audit trail).
fn stored(def: &FieldDefinition) -> Result<Value> {
    serde_json::to_value(def).map_err(|e| Error::Corrupt(e.to_string()))
}

/// Every definition of the tenant, by key.
pub async fn list(scope: &mut Scope) -> Result<Vec<FieldDefinition>> {
    db::custom_fields::list(&mut scope.tx)
        .await?
        .into_iter()
        .map(|row| definition_of(row).map(|d| d.value))
        .collect()
}

/// One definition, by key.
pub async fn get(scope: &mut Scope, key: &str) -> Result<Versioned<FieldDefinition>> {
    let row = db::custom_fields::get(&mut scope.tx, key)
        .await?
        .ok_or(Error::NotFound)?;
    definition_of(row)
}

/// Defines a field; a field with the same key is a conflict (`field-exists`).
pub async fn create(scope: &mut Scope, def: FieldDefinition) -> Result<Versioned<FieldDefinition>> {
    validate(&def)?;
    let value = stored(&def)?;
    let row = match db::custom_fields::insert(&mut scope.tx, &def.key, &value).await {
        Err(e) if db::constraint_of(&e) == Some("custom_field_definitions_pkey") => {
            return Err(Error::conflict(
                "field-exists",
                "A custom field with this key already exists.",
            ));
        }
        other => other?,
    };
    scope
        .record(Change::of(EventType::CustomFieldCreated, "custom_field", &def.key).after(value))
        .await?;
    Ok(Versioned {
        value: def,
        version: row.version,
    })
}

/// Replaces the definition of `key` (which cannot change) if its version is `expected`.
pub async fn update(
    scope: &mut Scope,
    key: &str,
    expected: &Expected,
    def: FieldDefinition,
) -> Result<Versioned<FieldDefinition>> {
    let before = db::custom_fields::get(&mut scope.tx, key)
        .await?
        .ok_or(Error::NotFound)?;
    expected.check(before.version)?;
    if def.key != key {
        return Err(Error::field("/key", "the key of a field cannot change"));
    }
    validate(&def)?;
    let value = stored(&def)?;
    let row = db::custom_fields::update(&mut scope.tx, key, &value).await?;
    scope
        .record(
            Change::of(EventType::CustomFieldUpdated, "custom_field", key)
                .before(before.definition)
                .after(value),
        )
        .await?;
    Ok(Versioned {
        value: def,
        version: row.version,
    })
}

/// Deletes the definition of `key`; values stored under it stay in the clients' data.
pub async fn delete(scope: &mut Scope, key: &str) -> Result<()> {
    let before = db::custom_fields::get(&mut scope.tx, key)
        .await?
        .ok_or(Error::NotFound)?;
    db::custom_fields::delete(&mut scope.tx, key).await?;
    scope
        .record(
            Change::of(EventType::CustomFieldDeleted, "custom_field", key)
                .before(before.definition),
        )
        .await?;
    Ok(())
}
