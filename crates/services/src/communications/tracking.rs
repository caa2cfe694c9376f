//! E-mail engagement: a tracking image (opens) and redirect links (clicks), each signed with
//! the tenant's keyed hash so that nobody can count an open for a message, or turn the
//! redirect into an open redirect to an address of their choosing. Links are rewritten when
//! the worker sends the message, under the API's public address; the stored HTML keeps the
//! original links.

use chrono::{DateTime, Utc};
use db::crypto::TenantCipher;
use domain::EventType;
use serde_json::json;
use uuid::Uuid;

use super::flows::{channel_name, headline};
use crate::{Change, Error, Result, Scope, signed_link};

fn open_claim(id: Uuid) -> String {
    format!("open:{id}")
}

fn click_claim(id: Uuid, url: &str) -> String {
    format!("click:{id}:{url}")
}

/// Percent-encodes a URL for a query string.
fn encoded(url: &str) -> String {
    url.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The signed addresses of one message's tracking.
pub struct Tracker<'a> {
    pub cipher: &'a TenantCipher,
    /// The API's public address, without a trailing slash.
    pub base: String,
    pub tenant: Uuid,
    pub message: Uuid,
}

impl Tracker<'_> {
    /// The tracking image's address.
    pub fn open_url(&self) -> String {
        let s = signed_link::signature(self.cipher, &open_claim(self.message));
        format!("{}/t/o/{}/{}?s={s}", self.base, self.tenant, self.message)
    }

    /// The redirect through which a click on `url` is counted.
    pub fn click_url(&self, url: &str) -> String {
        let s = signed_link::signature(self.cipher, &click_claim(self.message, url));
        format!(
            "{}/t/c/{}/{}?u={}&s={s}",
            self.base,
            self.tenant,
            self.message,
            encoded(url)
        )
    }

    /// `html` with each `href="…"` of an `http(s)` link sent through the redirect and the
    /// tracking image added before `</body>`. The HTML is the CRM's own (`text_to_html`), whose
    /// link targets are escaped text.
    pub fn apply(&self, html: &str) -> String {
        let mut out = String::with_capacity(html.len() + 200);
        let mut rest = html;
        while let Some(at) = rest.find("href=\"") {
            let (before, after) = rest.split_at(at + 6);
            out.push_str(before);
            let end = after.find('"').unwrap_or(after.len());
            let target = unescape(&after[..end]);
            if target.starts_with("https://") || target.starts_with("http://") {
                out.push_str(&domain::templates::html_escape(&self.click_url(&target)));
            } else {
                out.push_str(&after[..end]);
            }
            rest = &after[end..];
        }
        out.push_str(rest);
        let pixel = format!(
            "<img src=\"{}\" width=\"1\" height=\"1\" alt=\"\">",
            domain::templates::html_escape(&self.open_url())
        );
        match out.rfind("</body>") {
            Some(at) => out.insert_str(at, &pixel),
            None => out.push_str(&pixel),
        }
        out
    }
}

/// Undoes `html_escape` on a link target.
fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Counts an open of message `id` when `signature` is the tenant's for it; records the first
/// on the timeline. [`Error::NotFound`] for a bad signature or an unknown message.
pub async fn record_open(
    scope: &mut Scope,
    cipher: &TenantCipher,
    id: Uuid,
    signature: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    if !signed_link::verifies(cipher, &open_claim(id), signature) {
        return Err(Error::NotFound);
    }
    if db::communications::record_open(&mut scope.tx, id, at).await? {
        first(scope, id, EventType::CommunicationOpened, "opened", at).await?;
    }
    Ok(())
}

/// Counts a click on `url` in message `id` when `signature` is the tenant's for that pair, and
/// returns the address to redirect to; [`Error::NotFound`] otherwise (no open redirect).
pub async fn record_click(
    scope: &mut Scope,
    cipher: &TenantCipher,
    id: Uuid,
    url: &str,
    signature: &str,
    at: DateTime<Utc>,
) -> Result<String> {
    let is_web = url.starts_with("https://") || url.starts_with("http://");
    if !is_web || !signed_link::verifies(cipher, &click_claim(id, url), signature) {
        return Err(Error::NotFound);
    }
    if db::communications::record_click(&mut scope.tx, id, at).await? {
        first(scope, id, EventType::CommunicationClicked, "clicked", at).await?;
    }
    Ok(url.to_owned())
}

/// Records the first open or click of a message on its client's timeline.
async fn first(
    scope: &mut Scope,
    id: Uuid,
    kind: EventType,
    what: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    let Some(row) = db::communications::get(&mut scope.tx, id).await? else {
        return Err(Error::NotFound);
    };
    let channel =
        domain::communications::Channel::parse(&row.channel).map_err(|e| Error::Corrupt(e.0))?;
    scope
        .record(
            Change::of(kind, "communication", id)
                .after(json!({ "at": at }))
                .on_timeline_of(
                    row.client_id,
                    format!("{} {what}: {}", channel_name(channel), headline(&row)),
                    json!({ "communication_id": id, "channel": row.channel }),
                )
                .dated(at),
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_percent_encoded_for_the_query() {
        assert_eq!(
            encoded("https://a.example/x?y=1&z=é"),
            "https%3A%2F%2Fa.example%2Fx%3Fy%3D1%26z%3D%C3%A9"
        );
    }
}
