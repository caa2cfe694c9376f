//! The external calendars users may connect: the platform's registration with each provider
//! (its OAuth endpoints and the application's client id and secret) and where its calendar
//! API is. A provider without a registration cannot be connected.

use integrations::oauth::{ClientCredentials, Provider};

/// A provider users connect their calendars from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    Google,
    Microsoft,
}

impl ProviderKind {
    pub const ALL: [Self; 2] = [Self::Google, Self::Microsoft];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Google => "google",
            Self::Microsoft => "microsoft",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text)
    }
}

/// The platform's registration with one provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub oauth: Provider,
    pub client_id: String,
    pub client_secret: String,
    /// The calendar API's base URL (Google Calendar's, Microsoft Graph's).
    pub api_base_url: String,
}

impl Registration {
    /// The credentials of a call whose user comes back to `redirect_uri`.
    pub fn credentials(&self, redirect_uri: &str) -> ClientCredentials {
        ClientCredentials {
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            redirect_uri: redirect_uri.to_owned(),
        }
    }

    /// Google's endpoints, asking for its events (offline: with a refresh token).
    pub fn google(client_id: String, client_secret: String) -> Self {
        Self {
            oauth: Provider {
                authorize_url: "https://accounts.google.com/o/oauth2/v2/auth".into(),
                token_url: "https://oauth2.googleapis.com/token".into(),
                revoke_url: Some("https://oauth2.googleapis.com/revoke".into()),
                scopes: vec!["https://www.googleapis.com/auth/calendar.events".into()],
                extra: vec![
                    ("access_type".into(), "offline".into()),
                    ("prompt".into(), "consent".into()),
                ],
            },
            client_id,
            client_secret,
            api_base_url: integrations::google_calendar::DEFAULT_BASE_URL.into(),
        }
    }

    /// Microsoft identity platform's endpoints for any account, asking for calendars.
    /// Microsoft has no RFC 7009 revocation: a disconnect deletes the tokens.
    pub fn microsoft(client_id: String, client_secret: String) -> Self {
        let base = "https://login.microsoftonline.com/common/oauth2/v2.0";
        Self {
            oauth: Provider {
                authorize_url: format!("{base}/authorize"),
                token_url: format!("{base}/token"),
                revoke_url: None,
                scopes: vec![
                    "offline_access".into(),
                    "https://graph.microsoft.com/Calendars.ReadWrite".into(),
                ],
                extra: Vec::new(),
            },
            client_id,
            client_secret,
            api_base_url: integrations::microsoft_calendar::DEFAULT_BASE_URL.into(),
        }
    }
}

/// The providers this platform is registered with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CalendarProviders {
    pub google: Option<Registration>,
    pub microsoft: Option<Registration>,
    /// The API's public address (`CRM_PUBLIC_URL`), where providers send change notices.
    /// None: no push channels; the reconciliation alone keeps calendars in step.
    pub notices_base: Option<String>,
}

impl CalendarProviders {
    pub fn get(&self, kind: ProviderKind) -> Option<&Registration> {
        match kind {
            ProviderKind::Google => self.google.as_ref(),
            ProviderKind::Microsoft => self.microsoft.as_ref(),
        }
    }

    /// The providers users may connect.
    pub fn configured(&self) -> Vec<ProviderKind> {
        ProviderKind::ALL
            .into_iter()
            .filter(|k| self.get(*k).is_some())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_provider_reads_back_from_its_name() {
        for kind in ProviderKind::ALL {
            assert_eq!(ProviderKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(ProviderKind::parse("calendly"), None);
    }

    #[test]
    fn only_registered_providers_can_be_connected() {
        let providers = CalendarProviders {
            google: None,
            microsoft: Some(Registration::microsoft("id".into(), "secret".into())),
            notices_base: None,
        };
        assert_eq!(providers.configured(), vec![ProviderKind::Microsoft]);
        assert_eq!(
            providers
                .get(ProviderKind::Microsoft)
                .map(|r| r.credentials("https://crm/cb").redirect_uri),
            Some("https://crm/cb".into())
        );
    }
}
