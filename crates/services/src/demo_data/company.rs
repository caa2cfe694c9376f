//! One demo company: who it is (a Spanish or a British firm, its trade and town), how to reach
//! it, its people, and what the tenant recorded about it (owner, source, tags, custom fields),
//! drawn from the word lists. Also the custom fields the demo tenant defines.

use std::collections::HashSet;

use chrono::{Duration, NaiveDate};
use domain::{ClientSource, FieldDefinition, FieldType};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::dice::Dice;
use super::story::Story;
use super::words::{self, BritishCity, SpanishCity};
use crate::clients::{Address, ClientInput};
use crate::contacts::ContactInput;

/// How many of the companies are a second record of another one (a lead that filled in the
/// web form again), for the duplicate finder to show.
const DUPLICATES: usize = 4;

/// A person at a demo company.
#[derive(Debug, Clone)]
pub(super) struct Person {
    pub name: String,
    pub role: String,
    pub email: String,
    pub phone: Option<String>,
}

impl Person {
    /// The person as the contacts flow takes it.
    pub(super) fn input(&self) -> ContactInput {
        ContactInput {
            name: Some(self.name.clone()),
            role: Some(self.role.clone()),
            emails: Some(vec![self.email.clone()]),
            phones: Some(self.phone.iter().cloned().collect()),
        }
    }
}

/// A demo company, as its record will be created.
#[derive(Debug, Clone)]
pub(super) struct DemoCompany {
    pub name: String,
    pub story: Story,
    /// Deleted once created (a few leads that went nowhere).
    pub deleted: bool,
    /// The built-in role of the user who owns it; none for an unassigned one.
    pub owner_role: Option<&'static str>,
    /// ISO country of its tax id and phone numbers.
    pub country: &'static str,
    pub tax_id: Option<String>,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub sector: &'static str,
    pub address: Address,
    pub website: Option<String>,
    pub source: ClientSource,
    pub tags: Vec<String>,
    pub custom_fields: Map<String, Value>,
    pub people: Vec<Person>,
}

impl DemoCompany {
    /// The company as the client create flow takes it, owned by `owner`.
    pub(super) fn input(&self, owner: Option<Uuid>) -> ClientInput {
        ClientInput {
            company_name: Some(self.name.clone()),
            tax_id: Some(self.tax_id.clone()),
            tax_id_country: Some(self.country.to_owned()),
            emails: Some(self.emails.clone()),
            phones: Some(self.phones.clone()),
            sector: Some(Some(self.sector.to_owned())),
            address: Some(Some(self.address.clone())),
            website: Some(self.website.clone()),
            status: Some(self.story.created_as().as_str().to_owned()),
            owner_id: Some(owner),
            source: Some(Some(self.source.as_str().to_owned())),
            tags: Some(self.tags.clone()),
            custom_fields: Some(self.custom_fields.clone()),
        }
    }
}

/// The custom fields of the demo tenant; the first one's key marks a filled tenant.
pub(super) fn definitions() -> Vec<FieldDefinition> {
    let field = |key: &str, label: &str, field_type, options: &[&str]| FieldDefinition {
        key: key.to_owned(),
        label: label.to_owned(),
        field_type,
        required: false,
        options: options.iter().map(|o| (*o).to_owned()).collect(),
        max_length: None,
    };
    vec![
        field(
            "tier",
            "Nivel",
            FieldType::Select,
            &["Platino", "Oro", "Plata", "Bronce"],
        ),
        field("employees", "Empleados", FieldType::Number, &[]),
        field(
            "renewal_date",
            "Renovación del contrato",
            FieldType::Date,
            &[],
        ),
        field("newsletter", "Recibe el boletín", FieldType::Boolean, &[]),
    ]
}

/// Lower-case ASCII letters and digits of `text`, its words joined by `-` (for domains and
/// mailboxes).
pub(super) fn fold(text: &str) -> String {
    let mut out = String::new();
    for c in text.to_lowercase().chars() {
        let c = match c {
            'á' | 'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' => 'o',
            'ú' | 'ù' | 'ü' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// `n` random decimal digits.
fn digits(dice: &mut Dice, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + dice.range(0, 9) as u8))
        .collect()
}

/// What is drawn for a company before its contact data: its name, the key that tells it apart
/// from the others, its sector and town.
struct Identity {
    name: String,
    key: String,
    sector: &'static str,
    place: Place,
}

#[derive(Clone, Copy)]
enum Place {
    Spain(&'static SpanishCity, char),
    Britain(&'static BritishCity),
}

fn spanish_identity(dice: &mut Dice) -> Identity {
    let (trade, sector) = *dice.pick(words::ES_TRADES);
    let base = format!(
        "{trade} {}{}",
        dice.pick(words::ES_NAMES),
        dice.pick(words::ES_TAILS)
    );
    let (form, cif_letter) = dice.weighted(words::ES_FORMS);
    Identity {
        name: format!("{base} {form}"),
        key: fold(&base),
        sector,
        place: Place::Spain(dice.pick(words::ES_CITIES), cif_letter),
    }
}

fn british_identity(dice: &mut Dice) -> Identity {
    let (trade, sector) = *dice.pick(words::EN_TRADES);
    let base = format!("{} {trade}", dice.pick(words::EN_NAMES));
    let form = dice.weighted(words::EN_FORMS);
    Identity {
        name: format!("{base} {form}"),
        key: fold(&base),
        sector,
        place: Place::Britain(dice.pick(words::EN_CITIES)),
    }
}

/// A street address: "Calle Mayor, 12" in Spain, "12 High Street" in Britain, and a unit or an
/// industrial estate's plot after its name in both.
fn street(dice: &mut Dice, streets: &[&str], spanish: bool) -> String {
    let street = *dice.pick(streets);
    let number = dice.range(1, 150);
    if street.ends_with("nave") || street.ends_with("parcela") || street.ends_with("Unit") {
        format!("{street} {number}")
    } else if spanish {
        format!("{street}, {number}")
    } else {
        format!("{number} {street}")
    }
}

fn address(dice: &mut Dice, place: &Place) -> Address {
    match place {
        Place::Spain(city, _) => Address {
            street: Some(street(dice, words::ES_STREETS, true)),
            city: Some(city.name.to_owned()),
            postal_code: Some(format!("{}{:02}", city.postal, dice.range(1, 52))),
            region: Some(city.region.to_owned()),
            country: Some("ES".to_owned()),
        },
        Place::Britain(city) => {
            const INWARD: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";
            let inward: String = (0..2).map(|_| char::from(*dice.pick(INWARD))).collect();
            Address {
                street: Some(street(dice, words::EN_STREETS, false)),
                city: Some(city.name.to_owned()),
                postal_code: Some(format!(
                    "{} {}{inward}",
                    dice.pick(city.districts),
                    dice.range(1, 9)
                )),
                region: Some(city.nation.to_owned()),
                country: Some("GB".to_owned()),
            }
        }
    }
}

/// 1-3 people of a company whose mail goes to `domain`.
fn people(dice: &mut Dice, spanish: bool, domain: &str) -> Vec<Person> {
    let count = dice.weighted(&[(1, 45), (2, 35), (3, 20)]);
    let mut seen = HashSet::new();
    let mut people = Vec::new();
    while people.len() < count {
        let (name, mailbox) = if spanish {
            let first = *dice.pick(words::ES_FIRST_NAMES);
            let (one, two) = (
                *dice.pick(words::ES_SURNAMES),
                *dice.pick(words::ES_SURNAMES),
            );
            (
                format!("{first} {one} {two}"),
                fold(&format!("{first}.{one}")),
            )
        } else {
            let (first, last) = (
                *dice.pick(words::EN_FIRST_NAMES),
                *dice.pick(words::EN_SURNAMES),
            );
            (format!("{first} {last}"), fold(&format!("{first}.{last}")))
        };
        if !seen.insert(mailbox.clone()) {
            continue;
        }
        let phone = dice.chance(80).then(|| {
            if spanish {
                format!("+34 6{}", digits(dice, 8))
            } else {
                format!("+44 7700 900{}", digits(dice, 3))
            }
        });
        let role = *dice.pick(if spanish {
            words::ES_ROLES
        } else {
            words::EN_ROLES
        });
        people.push(Person {
            name,
            role: role.to_owned(),
            email: format!("{}@{domain}", mailbox.replace('-', ".")),
            phone,
        });
    }
    people
}

/// Values of the demo's custom fields for a company with this story.
fn custom_fields(dice: &mut Dice, story: Story, today: NaiveDate) -> Map<String, Value> {
    let mut values = Map::new();
    if story.has_bought() || dice.chance(15) {
        let tier = dice.weighted(&[("Platino", 10), ("Oro", 25), ("Plata", 35), ("Bronce", 30)]);
        values.insert("tier".into(), json!(tier));
    }
    if dice.chance(80) {
        let (lo, hi) = dice.weighted(&[
            ((3, 9), 25),
            ((10, 49), 35),
            ((50, 249), 25),
            ((250, 2500), 15),
        ]);
        values.insert("employees".into(), json!(dice.range(lo, hi)));
    }
    if matches!(story, Story::Client | Story::Converted) {
        let renewal = today + Duration::days(dice.range(20, 365));
        values.insert(
            "renewal_date".into(),
            json!(renewal.format("%Y-%m-%d").to_string()),
        );
    }
    if dice.chance(60) {
        values.insert("newsletter".into(), json!(dice.chance(70)));
    }
    values
}

/// A company with `identity`, drawn whole.
fn company(
    dice: &mut Dice,
    identity: Identity,
    tax_ids: &mut HashSet<String>,
    today: NaiveDate,
) -> DemoCompany {
    let story = dice.weighted(Story::ODDS);
    let spanish = matches!(identity.place, Place::Spain(..));
    let domain = format!("{}.example", identity.key);
    let mut emails = vec![format!("info@{domain}")];
    if dice.chance(40) {
        let boxes = if spanish {
            words::ES_MAILBOXES
        } else {
            words::EN_MAILBOXES
        };
        emails.push(format!("{}@{domain}", dice.pick(boxes)));
    }
    let (country, phone, tax_id) = match identity.place {
        Place::Spain(city, letter) => {
            let rest = digits(dice, 9 - city.landline.len());
            let body = format!("{}{}", city.province, digits(dice, 5));
            let cif = format!(
                "{letter}{body}{}",
                domain::tax_id::cif_check_digit(body.as_bytes())
            );
            (
                "ES",
                format!("+34 {}{rest}", city.landline),
                dice.chance(85).then_some(cif),
            )
        }
        Place::Britain(city) => {
            let vat = format!("GB{}", digits(dice, 9));
            (
                "GB",
                format!("{}{}", city.landline, digits(dice, 3)),
                dice.chance(50).then_some(vat),
            )
        }
    };
    let tax_id = tax_id.filter(|t| tax_ids.insert(t.clone()));
    let tag_count = dice.range(0, 3) as usize;
    let mut tags: Vec<String> = dice
        .some(words::TAGS, tag_count)
        .into_iter()
        .map(|t| (*t).to_owned())
        .collect();
    if !spanish && dice.chance(50) && !tags.iter().any(|t| t == "export") {
        tags.push("export".to_owned());
    }
    let owner_role = dice.weighted(&[
        (Some("sales"), 65),
        (Some("owner"), 12),
        (Some("marketing"), 10),
        (Some("admin"), 8),
        (None, 5),
    ]);
    DemoCompany {
        deleted: matches!(story, Story::Lead | Story::Lost) && dice.chance(10),
        owner_role,
        country,
        tax_id,
        phones: vec![phone],
        sector: identity.sector,
        address: address(dice, &identity.place),
        website: dice.chance(70).then(|| format!("https://www.{domain}")),
        source: dice.weighted(story.sources()),
        tags,
        custom_fields: custom_fields(dice, story, today),
        people: people(dice, spanish, &domain),
        name: identity.name,
        emails,
        story,
    }
}

/// A second record of `original`: the lead filled in the web form again, under its name
/// without the legal form, with the same e-mail and phone and one of its people.
fn duplicate_of(original: &DemoCompany) -> DemoCompany {
    let forms = words::ES_FORMS.iter().map(|((form, _), _)| *form);
    let short = forms
        .chain(words::EN_FORMS.iter().map(|(form, _)| *form))
        .find_map(|form| original.name.strip_suffix(&format!(" {form}")))
        .unwrap_or(&original.name);
    DemoCompany {
        name: short.to_owned(),
        story: Story::Lead,
        deleted: false,
        owner_role: Some("sales"),
        tax_id: None,
        emails: original.emails[..1].to_vec(),
        website: None,
        source: ClientSource::Web,
        tags: Vec::new(),
        custom_fields: Map::new(),
        people: original.people[..1].to_vec(),
        ..original.clone()
    }
}

/// `n` companies, about seven in ten Spanish and the rest British, with different names, a
/// few of them a second record of another.
pub(super) fn companies(dice: &mut Dice, n: usize, today: NaiveDate) -> Vec<DemoCompany> {
    let mut keys = HashSet::new();
    let mut tax_ids = HashSet::new();
    let mut all = Vec::with_capacity(n);
    while all.len() < n.saturating_sub(DUPLICATES) {
        let identity = if dice.chance(70) {
            spanish_identity(dice)
        } else {
            british_identity(dice)
        };
        if keys.insert(identity.key.clone()) {
            all.push(company(dice, identity, &mut tax_ids, today));
        }
    }
    let originals: Vec<usize> = (0..all.len())
        .filter(|i| !all[*i].deleted)
        .step_by(all.len().max(DUPLICATES) / DUPLICATES)
        .take(DUPLICATES.min(n))
        .collect();
    for i in originals {
        let copy = duplicate_of(&all[i]);
        all.push(copy);
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::{CountryCode, Email, Phone, TaxId, TaxIdKind};

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 16).unwrap_or_default()
    }

    fn demo() -> Vec<DemoCompany> {
        companies(&mut Dice::new(super::super::SEED), 300, today())
    }

    #[test]
    fn the_same_seed_draws_the_same_companies() {
        let (a, b) = (demo(), demo());
        let names = |c: &[DemoCompany]| c.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&a), names(&b));
        assert_eq!(a.len(), 300);
    }

    #[test]
    fn names_differ_but_for_the_few_duplicates_which_share_an_email() {
        let all = demo();
        let keys: HashSet<String> = all.iter().map(|c| c.name.clone()).collect();
        assert_eq!(keys.len(), all.len());
        let originals = &all[..all.len() - DUPLICATES];
        for copy in &all[all.len() - DUPLICATES..] {
            assert!(
                originals
                    .iter()
                    .any(|o| o.name.starts_with(&copy.name) && o.emails[0] == copy.emails[0]),
                "{}",
                copy.name
            );
        }
        let spanish = all.iter().filter(|c| c.country == "ES").count();
        assert!((150..=250).contains(&spanish), "{spanish}");
    }

    #[test]
    fn every_value_passes_the_rules_of_the_domain() {
        let defs = definitions();
        for def in &defs {
            assert_eq!(def.validate_definition(), Ok(()), "{}", def.key);
        }
        for c in demo() {
            let country = CountryCode::parse(c.country).ok();
            for e in c.emails.iter().chain(c.people.iter().map(|p| &p.email)) {
                let parsed = Email::parse(e).map(|e| e.as_str().to_owned());
                assert!(parsed.is_ok_and(|p| p.ends_with(".example")), "{e}");
            }
            for p in &c.phones {
                assert!(Phone::parse(p, country).is_ok(), "{p}");
            }
            for p in c.people.iter().filter_map(|p| p.phone.as_ref()) {
                assert!(
                    Phone::parse(p, CountryCode::parse("ES").ok()).is_ok(),
                    "{p}"
                );
            }
            if let (Some(t), Some(country)) = (&c.tax_id, country) {
                let kind = TaxId::parse(country, t).map(|t| t.kind());
                let expected = if c.country == "ES" {
                    TaxIdKind::Cif
                } else {
                    TaxIdKind::Other
                };
                assert_eq!(kind, Ok(expected), "{t}");
            }
            assert!(
                domain::validate_values(&defs, &c.custom_fields).is_ok(),
                "{:?}",
                c.custom_fields
            );
            assert!((1..=3).contains(&c.people.len()));
        }
    }

    #[test]
    fn folding_keeps_letters_and_digits_of_the_words() {
        assert_eq!(
            fold("Talleres Peñalara del Norte"),
            "talleres-penalara-del-norte"
        );
        assert_eq!(fold("Álvaro.Muñoz"), "alvaro-munoz");
        assert_eq!(fold("Hermanos Ruiz & Co. "), "hermanos-ruiz-co");
    }
}
