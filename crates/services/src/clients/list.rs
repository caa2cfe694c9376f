//! The client list: search, filters and sort from the caller's query, and keyset pages in the
//! one cursor format (the sort key of the page's last client). The CSV export reads the same
//! list, page after page.

use chrono::{DateTime, Utc};
use db::clients::{ClientRow, Filter, Sort};
use db::crypto::TenantCipher;
use domain::{ClientStatus, CountryCode, TaxId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ClientOut, client_out};
use crate::{Error, InvalidField, Page, PageRequest, Result, Scope, query};

/// The orders of the list, by name; the first is the default.
pub(super) const SORTS: [(&str, Sort); 3] = [
    ("newest", Sort::Newest),
    ("oldest", Sort::Oldest),
    ("name", Sort::Name),
];

/// The list's query as a caller gives it: text, as in a query string. [`ClientQuery::parse`]
/// checks it.
#[derive(Debug, Default, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ClientQuery {
    /// Typo-tolerant search over name, e-mail and phone; exact over tax id.
    pub q: Option<String>,
    #[cfg_attr(feature = "openapi", param(schema_with = super::schema::status_param))]
    pub status: Option<String>,
    pub sector: Option<String>,
    /// The user who owns the client.
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::uuid))]
    pub owner_id: Option<String>,
    /// One tag (compared in lower case).
    pub tag: Option<String>,
    /// Created at or after this time.
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::date_time))]
    pub created_after: Option<String>,
    /// Created before this time.
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::date_time))]
    pub created_before: Option<String>,
    /// Clients with no contact since this time (or never).
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::date_time))]
    pub last_contact_before: Option<String>,
    /// A custom field's value as `key:value`, compared as text (`employees:250`, `vip:true`).
    #[cfg_attr(feature = "openapi", param(schema_with = super::schema::custom_field_param))]
    pub custom_field: Option<String>,
    /// Only these clients: their ids, comma-separated (at most 500), as a selection exports them.
    #[cfg_attr(feature = "openapi", param(schema_with = super::schema::ids_param))]
    pub ids: Option<String>,
    /// `true` keeps only clients with a ticket still open (new, open, pending customer or on
    /// hold).
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::flag))]
    pub has_open_tickets: Option<String>,
    /// `true` keeps only clients with pending proposals (none until proposals exist).
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::flag))]
    pub has_pending_proposals: Option<String>,
    #[cfg_attr(feature = "openapi", param(schema_with = super::schema::sort_param))]
    pub sort: Option<String>,
    /// Items per page (default 25).
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::limit))]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Which clients the list keeps, and in which order: the query's filters, checked.
#[derive(Debug, Clone)]
pub struct ClientFilter {
    /// Search text (trimmed): typo-tolerant over name, e-mails and phones, exact over a tax id.
    pub search: Option<String>,
    pub status: Option<ClientStatus>,
    pub sector: Option<String>,
    pub owner_id: Option<Uuid>,
    /// In lower case.
    pub tag: Option<String>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    /// No contact since this time, or never.
    pub last_contact_before: Option<DateTime<Utc>>,
    /// A custom field's key and its value as text.
    pub custom_field: Option<(String, String)>,
    /// Only these clients.
    pub ids: Option<Vec<Uuid>>,
    /// Only clients with a ticket still open (new, open, pending customer or on hold).
    pub has_open_tickets: bool,
    /// Only clients with pending proposals (none until proposals exist).
    pub has_pending_proposals: bool,
    pub sort: Sort,
}

/// The sort key of a client in the list, which a cursor holds: its id and, in name order,
/// its name in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListKey {
    pub id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl ClientQuery {
    /// The filter and the page asked for; each bad parameter is one problem of the
    /// [`Error::Invalid`] this fails with.
    pub fn parse(&self) -> Result<(ClientFilter, PageRequest<ListKey>)> {
        let mut problems = Vec::new();
        let filter = self.filter(&mut problems);
        let page = PageRequest::parse(self.limit.as_deref(), self.cursor.as_deref(), &mut problems);
        Error::check(problems)?;
        Ok((filter, page))
    }

    fn filter(&self, problems: &mut Vec<InvalidField>) -> ClientFilter {
        let status = self.status.as_deref().and_then(|s| {
            ClientStatus::parse(s)
                .map_err(|e| problems.push(InvalidField::query("status", e.0)))
                .ok()
        });
        let owner_id = query::uuid("owner_id", self.owner_id.as_deref(), problems);
        let created_after = query::time("created_after", self.created_after.as_deref(), problems);
        let created_before =
            query::time("created_before", self.created_before.as_deref(), problems);
        let last_contact_before = query::time(
            "last_contact_before",
            self.last_contact_before.as_deref(),
            problems,
        );
        let custom_field = self.custom_field.as_deref().and_then(|raw| {
            custom_field_value(raw)
                .map_err(|reason| problems.push(InvalidField::query("custom_field", reason)))
                .ok()
        });
        let ids = self.ids.as_deref().and_then(|raw| {
            client_ids(raw)
                .map_err(|reason| problems.push(InvalidField::query("ids", reason)))
                .ok()
        });
        let tickets = query::flag(
            "has_open_tickets",
            self.has_open_tickets.as_deref(),
            problems,
        );
        let proposals = query::flag(
            "has_pending_proposals",
            self.has_pending_proposals.as_deref(),
            problems,
        );
        ClientFilter {
            search: self
                .q
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
            status,
            sector: self.sector.clone(),
            owner_id,
            tag: self.tag.as_deref().map(|t| t.trim().to_lowercase()),
            created_after,
            created_before,
            last_contact_before,
            custom_field,
            ids,
            has_open_tickets: tickets.unwrap_or(false),
            has_pending_proposals: proposals.unwrap_or(false),
            sort: self.sort(problems),
        }
    }

    fn sort(&self, problems: &mut Vec<InvalidField>) -> Sort {
        let Some(raw) = self.sort.as_deref() else {
            return SORTS[0].1;
        };
        match SORTS.iter().find(|(name, _)| *name == raw) {
            Some((_, sort)) => *sort,
            None => {
                problems.push(InvalidField::query(
                    "sort",
                    "must be newest, oldest or name",
                ));
                SORTS[0].1
            }
        }
    }
}

/// Most clients one `?ids=` names.
pub const MAX_IDS: usize = 500;

/// `key:value`: the key as a custom field definition spells it, the value anything on one line
/// (a final line break, which the document's pattern allows, is dropped).
fn custom_field_value(raw: &str) -> std::result::Result<(String, String), &'static str> {
    const REASON: &str = "must be key:value, the key of a custom field (lower-case letters, \
                          digits or '_') and a value on one line";
    let raw = raw.strip_suffix('\n').unwrap_or(raw);
    let (key, value) = raw.split_once(':').ok_or(REASON)?;
    let key_ok = (1..=40).contains(&key.len())
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !key_ok || value.is_empty() || value.contains('\n') {
        return Err(REASON);
    }
    Ok((key.to_owned(), value.to_owned()))
}

/// Comma-separated client ids, each in its hyphenated form.
fn client_ids(raw: &str) -> std::result::Result<Vec<Uuid>, &'static str> {
    const REASON: &str = "must be 1 to 500 comma-separated client ids (hyphenated UUIDs)";
    let raw = raw.strip_suffix('\n').unwrap_or(raw);
    let ids: Vec<Uuid> = raw
        .split(',')
        .map(|id| match id.len() {
            36 => Uuid::try_parse(id).ok(),
            _ => None,
        })
        .collect::<Option<_>>()
        .ok_or(REASON)?;
    if ids.len() > MAX_IDS {
        return Err(REASON);
    }
    Ok(ids)
}

impl ClientFilter {
    /// The repository's filter for one page. The search text is also read as a Spanish tax
    /// id, whose keyed hash matches exactly.
    fn for_page(&self, cipher: &TenantCipher, page: &PageRequest<ListKey>) -> Filter {
        let search = self.search.as_deref();
        let tax_id =
            search.and_then(|text| TaxId::parse(CountryCode::parse("ES").ok()?, text).ok());
        Filter {
            q: search.map(domain::normalize_for_search),
            q_tax_hash: tax_id.map(|t| cipher.blind_index(t.as_str())),
            status: self.status.map(|s| s.as_str().to_owned()),
            sector: self.sector.clone(),
            owner_id: self.owner_id,
            tag: self.tag.clone(),
            created_after: self.created_after,
            created_before: self.created_before,
            last_contact_before: self.last_contact_before,
            custom_field: self.custom_field.clone(),
            ids: self.ids.clone(),
            has_open_tickets: self.has_open_tickets,
            // No client has pending proposals until that module exists.
            matches_nothing: self.has_pending_proposals,
            sort: Some(self.sort),
            after: page.after.as_ref().map(|k| (k.id, k.name.clone())),
            limit: page.fetch_limit(),
        }
    }

    /// The sort key of a client in this filter's order.
    fn key(&self, row: &ClientRow) -> ListKey {
        ListKey {
            id: row.id,
            name: (self.sort == Sort::Name).then(|| row.company_name.to_lowercase()),
        }
    }
}

/// One page of the clients and leads `filter` keeps, in its order.
pub async fn list(
    scope: &mut Scope,
    cipher: &TenantCipher,
    filter: &ClientFilter,
    page: &PageRequest<ListKey>,
) -> Result<Page<ClientOut>> {
    let rows = db::clients::list(&mut scope.tx, &filter.for_page(cipher, page)).await?;
    Ok(Page::from_rows(
        rows,
        page.limit,
        |row| filter.key(row),
        |row| client_out(row, cipher),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parameters(problems: &Error) -> Vec<&str> {
        match problems {
            Error::Invalid(fields) => fields
                .iter()
                .filter_map(|f| f.parameter.as_deref())
                .collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_bad_parameter_is_one_problem() {
        let q = ClientQuery {
            status: Some("prospect".into()),
            owner_id: Some("me".into()),
            created_after: Some("soon".into()),
            has_open_tickets: Some("yes".into()),
            sort: Some("random".into()),
            limit: Some("0".into()),
            cursor: Some("zzz".into()),
            ..ClientQuery::default()
        };
        let err = q.parse().expect_err("invalid");
        assert_eq!(
            parameters(&err),
            [
                "status",
                "owner_id",
                "created_after",
                "has_open_tickets",
                "sort",
                "limit",
                "cursor"
            ]
        );
    }

    #[test]
    fn defaults_and_cursors() {
        let (filter, page) = ClientQuery::default().parse().expect("valid");
        assert_eq!(
            (filter.sort, filter.search, page.limit),
            (Sort::Newest, None, 25)
        );
        let key = ListKey {
            id: Uuid::now_v7(),
            name: Some("acme".into()),
        };
        let q = ClientQuery {
            q: Some("  acme ".into()),
            sort: Some("name".into()),
            tag: Some(" VIP".into()),
            cursor: Some(crate::page::encode(&key)),
            ..ClientQuery::default()
        };
        let (filter, page) = q.parse().expect("valid");
        assert_eq!(filter.search.as_deref(), Some("acme"));
        assert_eq!(filter.tag.as_deref(), Some("vip"));
        assert_eq!(page.after, Some(key));
    }

    #[test]
    fn a_custom_field_is_a_key_and_a_value_on_one_line() {
        let ok = |raw: &str| custom_field_value(raw).ok();
        assert_eq!(
            ok("employees:250"),
            Some(("employees".into(), "250".into()))
        );
        assert_eq!(
            ok("plan:pro:annual"),
            Some(("plan".into(), "pro:annual".into()))
        );
        assert_eq!(ok("vip:true\n"), Some(("vip".into(), "true".into())));
        for bad in [
            "employees",
            "employees:",
            "Employees:1",
            "1st:x",
            "a:b\nc",
            "a:b\n\n",
            ":x",
        ] {
            assert_eq!(ok(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn ids_are_hyphenated_uuids_and_at_most_500() {
        let id = Uuid::now_v7();
        let two = format!("{id},{}", id.simple().to_string().to_uppercase());
        assert!(
            client_ids(&two).is_err(),
            "the simple form is not the documented one"
        );
        let upper = id.hyphenated().to_string().to_uppercase();
        assert_eq!(client_ids(&format!("{id},{upper}")), Ok(vec![id, id]));
        assert!(client_ids("").is_err());
        assert!(client_ids(&vec![id.to_string(); 500].join(",")).is_ok());
        assert!(client_ids(&vec![id.to_string(); 501].join(",")).is_err());
    }
}
