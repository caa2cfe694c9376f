//! Taking an import's rows: each is validated as a request's input would be; a row that
//! repeats an earlier row of the file or an existing client is reported; and unless the import
//! is a dry run the rest become clients through the flow a request's client goes through
//! ([`clients::create_prepared`]), told as imported.

use std::collections::HashSet;

use db::clients::ClientData;
use db::crypto::TenantCipher;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Row, Unreadable, column_of};
use crate::clients::{self, Origin};
use crate::{Error, Result, Scope};

/// One entry of an import's report: the row's line, the column at fault (empty when the whole
/// row is), and why.
pub fn row_error(line: u64, column: &str, detail: &str) -> Value {
    json!({ "line": line, "column": column, "detail": detail })
}

impl Unreadable {
    /// This row's entry in the import's report.
    pub fn report(&self) -> Value {
        row_error(self.line, &self.column, &self.detail)
    }
}

/// What became of one row.
#[derive(Debug)]
pub enum Taken {
    /// Its client was created.
    Imported,
    /// It is fine, and the import is a dry run.
    Checked,
    /// It was refused: its entries in the import's report.
    Refused(Vec<Value>),
}

/// The rows of one import being taken, with what the rows taken so far hold (their repeats
/// are refused).
#[derive(Debug)]
pub struct Importer {
    import_id: Uuid,
    dry_run: bool,
    seen_tax: HashSet<Vec<u8>>,
    seen_emails: HashSet<String>,
}

impl Importer {
    /// The rows of the import `import_id`, none taken yet; a dry run creates nothing.
    pub fn new(import_id: Uuid, dry_run: bool) -> Self {
        Self {
            import_id,
            dry_run,
            seen_tax: HashSet::new(),
            seen_emails: HashSet::new(),
        }
    }

    /// Takes one row: validates it and, unless it is refused or the import is a dry run,
    /// creates its client in the scope's transaction.
    pub async fn take(
        &mut self,
        scope: &mut Scope,
        cipher: &TenantCipher,
        Row { line, input }: Row,
    ) -> Result<Taken> {
        let data = match clients::prepare(&mut scope.tx, cipher, input, None).await {
            Ok(data) => data,
            Err(Error::Invalid(problems)) => {
                let report = problems
                    .iter()
                    .map(|p| row_error(line, &column_of(&p.pointer), &p.detail))
                    .collect();
                return Ok(Taken::Refused(report));
            }
            Err(other) => return Err(other),
        };
        if let Some(repeat) = self.repeat(scope, line, &data).await? {
            return Ok(Taken::Refused(vec![repeat]));
        }
        self.seen_tax.extend(data.tax_id_hash.clone());
        self.seen_emails.extend(data.emails.iter().cloned());
        if self.dry_run {
            return Ok(Taken::Checked);
        }
        let origin = Origin::Import {
            import_id: self.import_id,
            line,
        };
        clients::create_prepared(scope, cipher, &data, origin).await?;
        Ok(Taken::Imported)
    }

    /// The report entry of a row that repeats an earlier row of the file or an existing
    /// client (same tax id or a shared e-mail).
    async fn repeat(
        &self,
        scope: &mut Scope,
        line: u64,
        data: &ClientData,
    ) -> Result<Option<Value>> {
        let in_file = data
            .tax_id_hash
            .as_ref()
            .is_some_and(|h| self.seen_tax.contains(h))
            || data.emails.iter().any(|e| self.seen_emails.contains(e));
        if in_file {
            return Ok(Some(row_error(
                line,
                "",
                "duplicates an earlier row of this file (same tax id or e-mail)",
            )));
        }
        let existing =
            db::clients::find_existing(&mut scope.tx, data.tax_id_hash.as_deref(), &data.emails)
                .await?;
        Ok(existing.map(|existing| {
            let column = if data.tax_id_hash.is_some() {
                "tax_id"
            } else {
                "emails"
            };
            row_error(
                line,
                column,
                &format!("duplicates existing client {existing}"),
            )
        }))
    }
}
