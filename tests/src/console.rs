//! A browser without JavaScript for the console's server-side tests: no redirects followed,
//! the session and CSRF cookies sent by hand, forms posted with the CSRF token.

use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION};

use crate::TestApp;

/// The CSRF token the test browser holds in its cookie and sends with each form.
pub const CSRF: &str = "test-csrf-token";

/// Status, body and `Location` of an answer.
pub type Answer = (StatusCode, String, Option<String>);

pub struct Browser {
    pub http: reqwest::Client,
    pub base: String,
    /// The `Cookie` header it sends.
    pub cookies: String,
}

impl Browser {
    /// Signed in with `access_token`, or signed out.
    pub fn new(app: &TestApp, access_token: Option<&str>) -> Self {
        let mut cookies = format!("crm_csrf={CSRF}");
        if let Some(token) = access_token {
            cookies.push_str(&format!("; crm_access={token}"));
        }
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            base: app.url(""),
            cookies,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookies)
            .send()
            .await
            .expect("get");
        answer(r).await
    }

    /// Posts `form` with the CSRF token.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        let mut fields = vec![("_csrf", CSRF)];
        fields.extend_from_slice(form);
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookies)
            .form(&fields)
            .send()
            .await
            .expect("post");
        answer(r).await
    }
}

/// Reads an answer whole.
pub async fn answer(r: reqwest::Response) -> Answer {
    let status = r.status();
    let location = r
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, r.text().await.expect("body"), location)
}
