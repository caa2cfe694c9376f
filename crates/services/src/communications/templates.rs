//! Message templates: a name, a channel, a subject (e-mail) and a body with `{{variable}}`
//! placeholders, checked by `domain::templates` when saved and again when used (a custom field
//! removed since makes its placeholder unknown). A WhatsApp template may name the template
//! Meta approved (`provider_name`, `provider_language`): it is then sent as that template, its
//! parameters being the values of the body's variables in order of first use, and may be sent
//! outside the 24-hour window.
//!
//! Template bodies are plain text: an e-mail's HTML part is made from the rendered text, every
//! character escaped ([`text_to_html`]), so a value can never inject markup.

use chrono::{DateTime, Utc};
use db::clients::ClientRow;
use db::message_templates::{TemplateData, TemplateRow};
use domain::EventType;
use domain::communications::Channel;
use domain::templates::{Escape, STANDARD_VARIABLES, Template, TemplateError, html_escape};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::input::{BODY_CHARS, SUBJECT_CHARS};
use super::values::{custom_fields, values_for};
use crate::{Change, Error, Expected, InvalidField, Result, Scope, Versioned, text};

/// Most characters of a template's name.
pub const NAME_CHARS: usize = 100;

/// A template as given: on create `name`, `channel` and `body` are required; on update an
/// absent member keeps its value.
#[derive(Debug, Default, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    /// 1-100 characters, unique in the tenant ignoring case.
    #[cfg_attr(feature = "openapi", schema(pattern = r"\S", max_length = 100))]
    pub name: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::template_channel_input))]
    pub channel: Option<String>,
    /// E-mail only, required there (1-300 characters, placeholders allowed).
    #[cfg_attr(feature = "openapi", schema(max_length = 300))]
    pub subject: Option<String>,
    /// 1-20,000 characters of plain text with `{{variable}}` placeholders: `clientName`,
    /// `companyName`, `contactName`, `ownerName`, `today`, `custom.<key>`.
    #[cfg_attr(feature = "openapi", schema(pattern = r"\S", max_length = 20000))]
    pub body: Option<String>,
    /// WhatsApp only: the name of the template Meta approved; blank: none.
    #[cfg_attr(feature = "openapi", schema(max_length = 512))]
    pub provider_name: Option<String>,
    /// WhatsApp only, with `provider_name`: its language code, such as `es` or `en_US`.
    #[cfg_attr(feature = "openapi", schema(max_length = 15))]
    pub provider_language: Option<String>,
}

/// A message template.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplateOut {
    pub id: Uuid,
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::template_channel))]
    pub channel: String,
    pub subject: String,
    pub body: String,
    pub provider_name: Option<String>,
    pub provider_language: Option<String>,
    /// The variables its subject and body use, in order of first use.
    pub variables: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A template rendered for one client.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreviewOut {
    pub subject: String,
    pub body: String,
    /// The HTML part of an e-mail; `null` for other channels.
    pub html: Option<String>,
}

/// What to render a template for (`POST /api/v1/templates/{id}/preview`).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PreviewInput {
    pub client_id: Uuid,
    /// A contact of that client (`{{contactName}}`).
    pub contact_id: Option<Uuid>,
}

/// A message's words, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
    pub html: Option<String>,
    pub template_id: Option<Uuid>,
    /// WhatsApp: the approved template (name, language) and its parameters.
    pub whatsapp_template: Option<(String, String, Vec<String>)>,
}

impl Rendered {
    /// Words written by hand.
    pub fn written(channel: Channel, subject: String, body: String) -> Self {
        let html = (channel == Channel::Email).then(|| text_to_html(&body));
        Self {
            subject,
            body,
            html,
            template_id: None,
            whatsapp_template: None,
        }
    }
}

/// Plain text as HTML: every character escaped, blank lines between paragraphs, line breaks
/// kept, and `http(s)://` addresses made links.
pub fn text_to_html(text: &str) -> String {
    let paragraphs: Vec<String> = text
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", linked(&html_escape(p)).replace('\n', "<br>\n")))
        .collect();
    format!(
        "<!DOCTYPE html><html><body style=\"font-family:sans-serif\">{}</body></html>",
        paragraphs.join("\n")
    )
}

/// Escaped text with each `http://` or `https://` address (up to a space or the end) made a
/// link to itself.
fn linked(escaped: &str) -> String {
    let mut out = String::with_capacity(escaped.len());
    let mut rest = escaped;
    loop {
        let at = match (rest.find("https://"), rest.find("http://")) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => match a.or(b) {
                Some(x) => x,
                None => break,
            },
        };
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let len = tail.find(char::is_whitespace).unwrap_or(tail.len());
        let url = tail[..len].trim_end_matches(['.', ',', ')', ';', ':']);
        out.push_str(&format!("<a href=\"{url}\">{url}</a>"));
        rest = &tail[url.len()..];
    }
    out.push_str(rest);
    out
}

fn template_out(row: TemplateRow, variables: Vec<String>) -> Versioned<TemplateOut> {
    Versioned {
        version: row.version,
        value: TemplateOut {
            id: row.id,
            name: row.name,
            channel: row.channel,
            subject: row.subject,
            body: row.body,
            provider_name: row.provider_name,
            provider_language: row.provider_language,
            variables,
            created_at: row.created_at,
            updated_at: row.updated_at,
        },
    }
}

/// A template error as the problem of the member it is in.
fn template_problem(pointer: &str, e: &TemplateError) -> InvalidField {
    InvalidField::at(pointer, e.to_string())
}

/// The variables of a stored template (parsed leniently: a template stored earlier may name a
/// custom field removed since, which only sending refuses).
fn variables_of(row: &TemplateRow, keys: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for text in [&row.subject, &row.body] {
        if let Ok(t) = Template::parse(text, keys) {
            for v in t.variables() {
                let name = v.to_string();
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
    }
    names
}

/// The tenant's custom field keys.
async fn custom_keys(scope: &mut Scope) -> Result<Vec<String>> {
    Ok(custom_fields(scope)
        .await?
        .into_iter()
        .map(|d| d.key)
        .collect())
}

/// A template by id, as stored.
pub(super) async fn load(scope: &mut Scope, id: Uuid) -> Result<Option<TemplateRow>> {
    Ok(db::message_templates::get(&mut scope.tx, id).await?)
}

/// One template; [`Error::NotFound`] when there is none.
pub async fn get(scope: &mut Scope, id: Uuid) -> Result<Versioned<TemplateOut>> {
    let row = load(scope, id).await?.ok_or(Error::NotFound)?;
    let keys = custom_keys(scope).await?;
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let variables = variables_of(&row, &keys);
    Ok(template_out(row, variables))
}

/// Every template of the tenant, by name; of one channel when `channel` is given.
pub async fn list(scope: &mut Scope, channel: Option<&str>) -> Result<Vec<TemplateOut>> {
    if let Some(c) = channel
        && !matches!(
            Channel::parse(c),
            Ok(Channel::Email | Channel::Whatsapp | Channel::Sms)
        )
    {
        let why = "must be one of: email, whatsapp, sms";
        return Err(Error::Invalid(vec![InvalidField::query("channel", why)]));
    }
    let keys = custom_keys(scope).await?;
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let rows = db::message_templates::list(&mut scope.tx, channel).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let vars = variables_of(&r, &keys);
            template_out(r, vars).value
        })
        .collect())
}

/// The variables a template may use in this tenant: the standard ones and `custom.<key>`.
pub async fn available_variables(scope: &mut Scope) -> Result<Vec<String>> {
    let mut all: Vec<String> = STANDARD_VARIABLES.iter().map(|v| (*v).to_owned()).collect();
    all.extend(
        custom_keys(scope)
            .await?
            .into_iter()
            .map(|k| format!("custom.{k}")),
    );
    Ok(all)
}

/// The input applied onto `current` (none on create) and checked.
fn checked(
    input: TemplateInput,
    current: Option<&TemplateRow>,
    keys: &[&str],
) -> Result<TemplateData> {
    let mut problems = Vec::new();
    let name = text::required_or_current(
        "/name",
        input.name,
        current.map(|c| c.name.as_str()),
        NAME_CHARS,
        &mut problems,
    );
    let channel_text = input.channel.or_else(|| current.map(|c| c.channel.clone()));
    let channel = match channel_text.as_deref().map(Channel::parse) {
        None => {
            problems.push(InvalidField::at("/channel", "is required"));
            None
        }
        Some(Ok(Channel::Phone)) => {
            problems.push(InvalidField::at(
                "/channel",
                "must be one of: email, whatsapp, sms",
            ));
            None
        }
        Some(Ok(c)) => Some(c),
        Some(Err(e)) => {
            problems.push(InvalidField::at("/channel", e.0));
            None
        }
    };
    let body = text::required_or_current(
        "/body",
        input.body,
        current.map(|c| c.body.as_str()),
        BODY_CHARS,
        &mut problems,
    );
    let subject = input
        .subject
        .map(|s| s.trim().to_owned())
        .or_else(|| current.map(|c| c.subject.clone()))
        .unwrap_or_default();
    let is_email = channel == Some(Channel::Email);
    if is_email && subject.is_empty() {
        problems.push(InvalidField::at(
            "/subject",
            "an e-mail template needs a subject",
        ));
    } else if !is_email && channel.is_some() && !subject.is_empty() {
        problems.push(InvalidField::at(
            "/subject",
            "only an e-mail template has a subject",
        ));
    }
    if subject.chars().count() > SUBJECT_CHARS {
        problems.push(InvalidField::at(
            "/subject",
            "must be at most 300 characters",
        ));
    }
    for (pointer, text) in [("/subject", &subject), ("/body", &body)] {
        if let Err(e) = Template::parse(text, keys) {
            problems.push(template_problem(pointer, &e));
        }
    }
    let (provider_name, provider_language) = provider(
        channel,
        input.provider_name,
        input.provider_language,
        current,
        &mut problems,
    );
    Error::check(problems)?;
    Ok(TemplateData {
        name,
        channel: channel.map(Channel::as_str).unwrap_or_default().to_owned(),
        subject,
        body,
        provider_name,
        provider_language,
    })
}

/// The approved WhatsApp template's name and language, checked.
fn provider(
    channel: Option<Channel>,
    name: Option<String>,
    language: Option<String>,
    current: Option<&TemplateRow>,
    problems: &mut Vec<InvalidField>,
) -> (Option<String>, Option<String>) {
    let name = match name {
        Some(n) => text::optional("/provider_name", Some(n), 512, problems),
        None => current.and_then(|c| c.provider_name.clone()),
    };
    let language = match language {
        Some(l) => text::optional("/provider_language", Some(l), 15, problems),
        None => current.and_then(|c| c.provider_language.clone()),
    };
    if channel.is_some_and(|c| c != Channel::Whatsapp) {
        if name.is_some() {
            problems.push(InvalidField::at(
                "/provider_name",
                "only a WhatsApp template has one",
            ));
        }
        return (None, None);
    }
    match (&name, &language) {
        (Some(_), None) => problems.push(InvalidField::at(
            "/provider_language",
            "is required with provider_name",
        )),
        (None, Some(_)) => problems.push(InvalidField::at(
            "/provider_name",
            "is required with provider_language",
        )),
        (Some(n), Some(l)) => {
            if !n
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                problems.push(InvalidField::at(
                    "/provider_name",
                    "must be lower-case letters, digits and underscores, as Meta spells it",
                ));
            }
            if l.len() < 2 || !l.chars().all(|c| c.is_ascii_alphabetic() || c == '_') {
                problems.push(InvalidField::at(
                    "/provider_language",
                    "must be a language code such as es or en_US",
                ));
            }
        }
        (None, None) => {}
    }
    (name, language)
}

/// A name already taken, as the problem of `/name`.
fn taken(e: sqlx::Error) -> Error {
    if db::constraint_of(&e) == Some("message_templates_name") {
        Error::conflict("template-exists", "Another template has this name.")
    } else {
        e.into()
    }
}

/// Creates a template.
pub async fn create(scope: &mut Scope, input: TemplateInput) -> Result<Versioned<TemplateOut>> {
    let keys = custom_keys(scope).await?;
    let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let data = checked(input, None, &key_refs)?;
    let id = Uuid::now_v7();
    let row = db::message_templates::insert(&mut scope.tx, id, &data)
        .await
        .map_err(taken)?;
    scope
        .record(
            Change::of(EventType::MessageTemplateCreated, "message_template", id)
                .after(json!({ "name": data.name, "channel": data.channel })),
        )
        .await?;
    let vars = variables_of(&row, &key_refs);
    Ok(template_out(row, vars))
}

/// Changes a template (`expected`: the versions the caller's `If-Match` allows).
pub async fn update(
    scope: &mut Scope,
    id: Uuid,
    input: TemplateInput,
    expected: &Expected,
) -> Result<Versioned<TemplateOut>> {
    let current = db::message_templates::get_for_update(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    expected.check(current.version)?;
    let keys = custom_keys(scope).await?;
    let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let data = checked(input, Some(&current), &key_refs)?;
    let row = db::message_templates::update(&mut scope.tx, id, &data)
        .await
        .map_err(taken)?;
    scope
        .record(
            Change::of(EventType::MessageTemplateUpdated, "message_template", id)
                .before(json!({ "name": current.name, "channel": current.channel }))
                .after(json!({ "name": data.name, "channel": data.channel })),
        )
        .await?;
    let vars = variables_of(&row, &key_refs);
    Ok(template_out(row, vars))
}

/// Deletes a template; messages written from it keep their words.
pub async fn delete(scope: &mut Scope, id: Uuid, expected: &Expected) -> Result<()> {
    let current = db::message_templates::get_for_update(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    expected.check(current.version)?;
    if db::communications::queued_with_template(&mut scope.tx, id).await? > 0 {
        // A queued WhatsApp message is sent as the approved template it names.
        return Err(Error::conflict(
            "template-in-use",
            "Messages written from this template are still waiting to be sent; delete it once \
             they are sent.",
        ));
    }
    db::message_templates::delete(&mut scope.tx, id).await?;
    scope
        .record(
            Change::of(EventType::MessageTemplateDeleted, "message_template", id)
                .before(json!({ "name": current.name, "channel": current.channel })),
        )
        .await
}

/// A template rendered for a client, as it would be sent.
pub async fn preview(scope: &mut Scope, id: Uuid, input: PreviewInput) -> Result<PreviewOut> {
    let row = load(scope, id).await?.ok_or(Error::NotFound)?;
    let client = db::clients::get(&mut scope.tx, input.client_id, false)
        .await?
        .ok_or_else(|| Error::field("/client_id", "is not a client of the tenant"))?;
    if let Some(contact) = input.contact_id
        && db::contacts::get(&mut scope.tx, client.id, contact)
            .await?
            .is_none()
    {
        return Err(Error::field(
            "/contact_id",
            "is not a contact of this client",
        ));
    }
    let r = render_for(scope, &row, &client, input.contact_id, "/body").await?;
    Ok(PreviewOut {
        subject: r.subject,
        body: r.body,
        html: r.html,
    })
}

/// Renders `row` for `client`, checking it against the tenant's custom fields as they are
/// now; a placeholder that no longer names a variable is a problem at `pointer`.
pub(super) async fn render_for(
    scope: &mut Scope,
    row: &TemplateRow,
    client: &ClientRow,
    contact_id: Option<Uuid>,
    pointer: &str,
) -> Result<Rendered> {
    let keys = custom_keys(scope).await?;
    let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let parse = |text: &str| {
        Template::parse(text, &key_refs)
            .map_err(|e| Error::Invalid(vec![template_problem(pointer, &e)]))
    };
    let subject = parse(&row.subject)?;
    let body = parse(&row.body)?;
    let values = values_for(scope, client, contact_id).await?;
    let channel = Channel::parse(&row.channel).map_err(|e| Error::Corrupt(e.0))?;
    let mut out = Rendered::written(
        channel,
        subject.render(&values, Escape::Text),
        body.render(&values, Escape::Text),
    );
    out.template_id = Some(row.id);
    if let (Some(name), Some(language)) = (&row.provider_name, &row.provider_language) {
        let parameters = body.variables().iter().map(|v| values.text_of(v)).collect();
        out.whatsapp_template = Some((name.clone(), language.clone(), parameters));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_parts_escape_every_character_of_the_text() {
        let html = text_to_html("Hola <b>Ana</b> & co\nline two\n\nsecond");
        assert!(html.contains("<p>Hola &lt;b&gt;Ana&lt;/b&gt; &amp; co<br>\nline two</p>"));
        assert!(html.contains("<p>second</p>"));
        assert!(!html.contains("<b>"));
    }

    #[test]
    fn web_addresses_become_links_and_stay_escaped() {
        let html = text_to_html("See https://shop.example/a?x=1&y=2. Or http://b.example");
        assert!(
            html.contains(
                "<a href=\"https://shop.example/a?x=1&amp;y=2\">https://shop.example/a?x=1&amp;y=2</a>."
            ),
            "{html}"
        );
        assert!(
            html.contains("<a href=\"http://b.example\">http://b.example</a>"),
            "{html}"
        );
        assert!(!text_to_html("javascript:alert(1)").contains("href"));
    }

    #[test]
    fn a_template_is_checked_member_by_member() {
        let input = TemplateInput {
            name: Some("Welcome".into()),
            channel: Some("email".into()),
            subject: Some("Hi {{clientname}}".into()),
            body: Some("Dear {{custom.tier}}".into()),
            ..Default::default()
        };
        let Err(Error::Invalid(problems)) = checked(input, None, &[]) else {
            panic!("must fail");
        };
        let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(pointers, ["/subject", "/body"]);
        assert!(
            problems[0].detail.contains("clientname"),
            "{}",
            problems[0].detail
        );
    }

    #[test]
    fn only_whatsapp_templates_name_an_approved_template() {
        let input = TemplateInput {
            name: Some("Seguimiento".into()),
            channel: Some("sms".into()),
            body: Some("Hola {{clientName}}".into()),
            provider_name: Some("follow_up".into()),
            ..Default::default()
        };
        assert!(checked(input.clone(), None, &[]).is_err());
        let whatsapp = TemplateInput {
            channel: Some("whatsapp".into()),
            provider_language: Some("es".into()),
            ..input
        };
        let data = checked(whatsapp, None, &[]).expect("valid");
        assert_eq!(data.provider_name.as_deref(), Some("follow_up"));
    }
}
