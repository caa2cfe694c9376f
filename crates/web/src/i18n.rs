//! Spanish and English: the message catalogues (Project Fluent, `locales/*.ftl`), the locale a
//! page is shown in, and numbers written the way that locale writes them. Dates travel as
//! `<time datetime>` in UTC and are written in the tenant's time zone by the browser
//! (`Intl.DateTimeFormat`, `static/console.js`).

use std::borrow::Cow;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// A language the console speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Locale {
    #[default]
    Es,
    En,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::Es, Locale::En];

    /// `es` or `en`, as tenants and users store it (`es-ES` counts as `es`).
    pub fn from_tag(tag: &str) -> Option<Self> {
        match tag.get(..2)?.to_ascii_lowercase().as_str() {
            "es" => Some(Self::Es),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    pub fn tag(self) -> &'static str {
        match self {
            Self::Es => "es",
            Self::En => "en",
        }
    }

    /// The first language of an `Accept-Language` header the console speaks (for pages shown
    /// before sign-in).
    pub fn from_accept_language(header: Option<&str>) -> Self {
        header
            .into_iter()
            .flat_map(|h| h.split(','))
            .find_map(|part| Self::from_tag(part.trim()))
            .unwrap_or_default()
    }

    /// A whole number with this locale's digit grouping: 12.345 or 12,345.
    pub fn int(self, n: i64) -> String {
        let digits = n.unsigned_abs().to_string();
        let sep = match self {
            Self::Es => '.',
            Self::En => ',',
        };
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
        if n < 0 {
            out.push('-');
        }
        for (i, c) in digits.chars().enumerate() {
            // Spanish groups only from five digits on (RAE: 1000, 10 000).
            let group = digits.len() > 4 || self == Self::En;
            if group && i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(sep);
            }
            out.push(c);
        }
        out
    }

    /// A percentage with one decimal: 12,5 % or 12.5%.
    pub fn percent(self, ratio: f64) -> String {
        let text = format!("{:.1}", ratio * 100.0);
        match self {
            Self::Es => format!("{} %", text.replace('.', ",")),
            Self::En => format!("{text}%"),
        }
    }

    /// The message `key` in this locale (the key itself when missing, so a gap shows).
    pub fn t(self, key: &str) -> String {
        self.t_with(key, &[])
    }

    /// The message `key` with its arguments (`{ $name }` in the catalogue).
    pub fn t_with(self, key: &str, args: &[(&str, Arg)]) -> String {
        let bundle = &catalogues()[self as usize];
        let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
            tracing::warn!(key, locale = self.tag(), "missing message");
            return key.to_owned();
        };
        let mut fargs = FluentArgs::new();
        for (name, value) in args {
            match value {
                Arg::Text(s) => fargs.set(*name, FluentValue::String(Cow::Owned(s.clone()))),
                Arg::Number(n) => fargs.set(*name, FluentValue::from(*n)),
            }
        }
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(&fargs), &mut errors);
        if !errors.is_empty() {
            tracing::warn!(key, ?errors, "message formatting failed");
        }
        text.into_owned()
    }
}

/// An argument of a message.
#[derive(Debug, Clone)]
pub enum Arg {
    Text(String),
    Number(i64),
}

/// The catalogue files of each language: one per section of the console (a module adds its
/// own file to both lists).
macro_rules! catalogue {
    ($lang:literal: $($file:literal),+) => {
        ($lang, &[$(include_str!(concat!("../locales/", $lang, "/", $file, ".ftl"))),+])
    };
}

const SOURCES: [(&str, &[&str]); 2] = [
    catalogue!("es": "main", "admin", "clients", "contacts", "settings", "tickets", "communications", "pipeline", "proposals", "calendar"),
    catalogue!("en": "main", "admin", "clients", "contacts", "settings", "tickets", "communications", "pipeline", "proposals", "calendar"),
];

fn catalogues() -> &'static [FluentBundle<FluentResource>; 2] {
    static CATALOGUES: OnceLock<[FluentBundle<FluentResource>; 2]> = OnceLock::new();
    CATALOGUES.get_or_init(|| SOURCES.map(|(tag, sources)| bundle(tag, sources)))
}

fn bundle(tag: &str, sources: &[&str]) -> FluentBundle<FluentResource> {
    let lang: unic_langid::LanguageIdentifier = tag.parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![lang]);
    // Directional isolation marks would end up inside attributes and test selectors.
    bundle.set_use_isolating(false);
    for source in sources {
        let resource =
            FluentResource::try_new((*source).to_owned()).unwrap_or_else(|(res, errors)| {
                tracing::error!(tag, ?errors, "message catalogue has syntax errors");
                res
            });
        if let Err(errors) = bundle.add_resource(resource) {
            tracing::error!(tag, ?errors, "message catalogue has duplicate keys");
        }
    }
    bundle
}

/// Every message key of a catalogue, for the test that both languages say everything.
#[cfg(test)]
fn keys(source: &str) -> std::collections::BTreeSet<String> {
    source
        .lines()
        .filter(|l| !l.starts_with([' ', '#', '-', '*', '}', '[']) && l.contains(" ="))
        .filter_map(|l| l.split(" =").next().map(str::to_owned))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogues_parse_and_hold_the_same_keys() {
        for (tag, sources) in SOURCES {
            for source in sources {
                assert!(
                    FluentResource::try_new((*source).to_owned()).is_ok(),
                    "{tag}"
                );
            }
        }
        let all = |sources: &[&str]| {
            let mut keys_seen = std::collections::BTreeSet::new();
            for source in sources {
                for key in keys(source) {
                    assert!(keys_seen.insert(key.clone()), "{key} is defined twice");
                }
            }
            keys_seen
        };
        let es = all(SOURCES[0].1);
        let en = all(SOURCES[1].1);
        assert!(es.len() > 50, "{}", es.len());
        assert_eq!(
            es.symmetric_difference(&en).collect::<Vec<_>>(),
            Vec::<&String>::new()
        );
    }

    #[test]
    fn messages_take_arguments() {
        let text = Locale::En.t_with("clients-count", &[("count", Arg::Number(3))]);
        assert_eq!(text, "3 clients");
        let text = Locale::Es.t_with("clients-count", &[("count", Arg::Number(1))]);
        assert_eq!(text, "1 cliente");
    }

    #[test]
    fn numbers_are_grouped_per_locale() {
        assert_eq!(Locale::En.int(1234567), "1,234,567");
        assert_eq!(Locale::Es.int(1234567), "1.234.567");
        assert_eq!(Locale::Es.int(1234), "1234");
        assert_eq!(Locale::En.int(-1234), "-1,234");
        assert_eq!(Locale::Es.percent(0.125), "12,5 %");
        assert_eq!(Locale::En.percent(0.125), "12.5%");
    }

    #[test]
    fn the_first_language_spoken_wins() {
        assert_eq!(
            Locale::from_accept_language(Some("fr-FR, en-GB;q=0.8, es;q=0.5")),
            Locale::En
        );
        assert_eq!(Locale::from_accept_language(None), Locale::Es);
    }
}
