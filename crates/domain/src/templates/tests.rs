use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::*;

const KEYS: &[&str] = &["tier", "renewal", "seats", "vip", "budget", "notes"];

fn values(locale: Locale) -> TemplateValues {
    let custom = BTreeMap::from([
        ("tier".to_owned(), CustomValue::Text("Gold".to_owned())),
        (
            "renewal".to_owned(),
            CustomValue::Date(NaiveDate::from_ymd_opt(2027, 3, 1).expect("a date")),
        ),
        ("seats".to_owned(), CustomValue::Number(1234.5)),
        ("vip".to_owned(), CustomValue::Bool(true)),
        (
            "budget".to_owned(),
            CustomValue::Money {
                amount: "1234.5".to_owned(),
                currency: "EUR".to_owned(),
            },
        ),
        ("notes".to_owned(), CustomValue::Missing),
    ]);
    TemplateValues {
        client_name: "Acme".to_owned(),
        company_name: "Acme Ibérica S.L.".to_owned(),
        contact_name: Some("Ana Peña".to_owned()),
        owner_name: None,
        today: NaiveDate::from_ymd_opt(2026, 12, 5).expect("a date"),
        custom,
        proposal: BTreeMap::from([
            (
                "total".to_owned(),
                CustomValue::Money {
                    amount: "1210.00".to_owned(),
                    currency: "EUR".to_owned(),
                },
            ),
            ("discountPercentage".to_owned(), CustomValue::Number(12.5)),
        ]),
        locale,
    }
}

fn render(text: &str, locale: Locale) -> String {
    Template::parse(text, KEYS)
        .expect("a valid template")
        .render(&values(locale), Escape::Text)
}

fn error(text: &str) -> TemplateError {
    Template::parse(text, KEYS).expect_err("an invalid template")
}

#[test]
fn placeholders_are_replaced_and_spaces_inside_braces_are_allowed() {
    assert_eq!(
        render(
            "Hola {{clientName}}, {{ contactName }} ({{  companyName\t}})",
            Locale::Es
        ),
        "Hola Acme, Ana Peña (Acme Ibérica S.L.)"
    );
}

#[test]
fn a_template_without_placeholders_is_its_own_text() {
    let t = Template::parse("Gracias por su pedido.", KEYS).expect("valid");
    assert!(t.variables().is_empty());
    assert_eq!(
        t.render(&values(Locale::Es), Escape::Html),
        "Gracias por su pedido."
    );
    assert_eq!(render("", Locale::En), "");
}

#[test]
fn unicode_text_around_placeholders_is_kept() {
    assert_eq!(
        render(
            "¡Hola, {{clientName}}! 😀 Mañana… «{{custom.tier}}»",
            Locale::Es
        ),
        "¡Hola, Acme! 😀 Mañana… «Gold»"
    );
}

#[test]
fn variables_are_listed_once_in_order_of_first_use() {
    let t = Template::parse(
        "{{today}} {{custom.tier}} {{clientName}} {{today}} {{ custom.tier }}",
        KEYS,
    )
    .expect("valid");
    assert_eq!(
        t.variables(),
        vec![
            Variable::Today,
            Variable::Custom("tier".to_owned()),
            Variable::ClientName
        ]
    );
    assert_eq!(
        Variable::Custom("tier".to_owned()).to_string(),
        "custom.tier"
    );
    assert_eq!(Variable::OwnerName.to_string(), "ownerName");
}

#[test]
fn values_are_written_in_the_tenants_locale() {
    let text =
        "{{today}} | {{custom.renewal}} | {{custom.seats}} | {{custom.budget}} | {{custom.vip}}";
    assert_eq!(
        render(text, Locale::Es),
        "5 de diciembre de 2026 | 1 de marzo de 2027 | 1.234,5 | 1.234,50 € | sí"
    );
    assert_eq!(
        render(text, Locale::En),
        "December 5, 2026 | March 1, 2027 | 1,234.5 | €1,234.50 | yes"
    );
}

#[test]
fn missing_values_render_as_empty_text() {
    // No owner, a field marked missing, and a defined field the client has no entry for.
    let t =
        Template::parse("[{{ownerName}}][{{custom.notes}}][{{custom.tier}}]", KEYS).expect("valid");
    let mut v = values(Locale::En);
    v.custom.remove("tier");
    assert_eq!(t.render(&v, Escape::Text), "[][][]");
}

#[test]
fn html_escaping_applies_to_values_but_not_to_the_templates_markup() {
    let t = Template::parse("<p class=\"x\">Hi {{clientName}} & co</p>", KEYS).expect("valid");
    let mut v = values(Locale::En);
    v.client_name = "<script>alert('x')</script> & \"Sons\"".to_owned();
    assert_eq!(
        t.render(&v, Escape::Html),
        "<p class=\"x\">Hi &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Sons&quot; & co</p>"
    );
    assert_eq!(
        t.render(&v, Escape::Text),
        "<p class=\"x\">Hi <script>alert('x')</script> & \"Sons\" & co</p>"
    );
}

#[test]
fn lone_closing_braces_and_single_braces_are_text() {
    let css = "<style>@media (x){a{color:red}}</style>{{clientName}} {x} }}";
    assert_eq!(
        render(css, Locale::En),
        "<style>@media (x){a{color:red}}</style>Acme {x} }}"
    );
}

#[test]
fn custom_keys_are_checked_against_the_tenants_fields() {
    assert!(Template::parse("{{custom.tier}}", KEYS).is_ok());
    let e = Template::parse("{{custom.tier}}", &[]).expect_err("no such field");
    assert_eq!(e.kind, TemplateErrorKind::UnknownCustomField);
    assert_eq!(
        e.to_string(),
        "unknown custom field {{custom.tier}} at character 1"
    );
    let e = error("{{custom.Tier}}");
    assert_eq!(e.kind, TemplateErrorKind::BadCustomKey);
    assert_eq!(error("{{custom.}}").kind, TemplateErrorKind::BadCustomKey);
    let long = format!("{{{{custom.{}}}}}", "k".repeat(41));
    assert_eq!(error(&long).kind, TemplateErrorKind::BadCustomKey);
}

#[test]
fn an_unknown_variable_is_named_with_its_position() {
    let e = error("Dear client {{foo}}");
    assert_eq!(
        e.kind,
        TemplateErrorKind::UnknownVariable { suggestion: None }
    );
    assert_eq!((e.placeholder.as_str(), e.offset), ("{{foo}}", 13));
    assert!(
        e.to_string()
            .starts_with("unknown variable {{foo}} at character 13: the variables are clientName"),
        "{e}"
    );
}

#[test]
fn an_unknown_variable_suggests_the_likely_one() {
    let e = error("{{ ClientName }}");
    assert_eq!(
        e.to_string(),
        "unknown variable {{ ClientName }} at character 1: did you mean {{clientName}}?"
    );
    let e = error("{{tier}}");
    assert_eq!(
        e.kind,
        TemplateErrorKind::UnknownVariable {
            suggestion: Some("custom.tier".to_owned())
        }
    );
}

#[test]
fn an_unclosed_placeholder_is_an_error() {
    let e = error("Hi {{clientName, welcome");
    assert_eq!(e.kind, TemplateErrorKind::Unclosed);
    assert_eq!(e.offset, 4);
    assert_eq!(e.placeholder, "{{clientName, welcome");
    assert_eq!(
        e.to_string(),
        "unclosed placeholder {{clientName, welcome at character 4: {{ needs }} on the same line"
    );
    // Closed only on a later line, or only after another placeholder opens.
    assert_eq!(error("{{clientName\n}}").kind, TemplateErrorKind::Unclosed);
    let e = error("{{clientName {{today}}");
    assert_eq!((e.kind, e.offset), (TemplateErrorKind::Unclosed, 1));
    assert_eq!(error("ok {{today}} {{").offset, 14);
}

#[test]
fn an_empty_placeholder_is_an_error() {
    assert_eq!(error("{{}}").kind, TemplateErrorKind::Empty);
    let e = error("a {{   }}");
    assert_eq!(e.to_string(), "empty placeholder {{   }} at character 3");
}

#[test]
fn a_name_with_spaces_or_signs_is_malformed() {
    let e = error("{{client name}}");
    assert_eq!(e.kind, TemplateErrorKind::BadName);
    assert_eq!(
        e.to_string(),
        "malformed placeholder {{client name}} at character 1: a variable name has no spaces or signs"
    );
    assert_eq!(error("{{client-name}}").kind, TemplateErrorKind::BadName);
    assert_eq!(error("{{ a{b }}").kind, TemplateErrorKind::BadName);
}

#[test]
fn three_braces_are_malformed() {
    let e = error("x {{{clientName}}} y");
    assert_eq!(e.kind, TemplateErrorKind::TooManyBraces);
    assert_eq!((e.placeholder.as_str(), e.offset), ("{{{clientName}}}", 3));
    let e = error("{{clientName}}} y");
    assert_eq!(e.kind, TemplateErrorKind::TooManyBraces);
    assert_eq!(e.placeholder, "{{clientName}}}");
    assert_eq!(
        error("{{{clientName").kind,
        TemplateErrorKind::TooManyBraces
    );
}

#[test]
fn positions_count_characters_and_lines() {
    let e = error("Señor {{x}}");
    assert_eq!(e.offset, 7, "ñ is one character, not two bytes");
    let e = error("Hola,\r\n\nGracias 😀 {{ foo }}\nAdiós");
    assert_eq!((e.offset, e.line, e.column), (19, 3, 11));
    assert_eq!(
        e.to_string(),
        "unknown variable {{ foo }} at line 3, column 11: the variables are clientName, \
         companyName, contactName, ownerName, today and custom.<key>"
    );
}

#[test]
fn a_long_unclosed_placeholder_is_quoted_shortened() {
    let e = error(&format!("{{{{clientName {}", "x".repeat(100)));
    assert_eq!(e.placeholder.chars().count(), 41);
    assert!(e.placeholder.ends_with("x…"));
}

#[test]
fn proposal_variables_are_known_only_where_a_proposal_allows_them() {
    let names = Names {
        custom_keys: KEYS,
        proposal: &["total", "discountPercentage", "paymentTerms"],
    };
    let t = Template::parse_with("Total {{total}} ({{discountPercentage}} % off)", names)
        .expect("a proposal template");
    assert_eq!(
        t.render(&values(Locale::Es), Escape::Text),
        "Total 1.210,00 € (12,5 % off)"
    );
    assert_eq!(
        t.render(&values(Locale::En), Escape::Text),
        "Total €1,210.00 (12.5 % off)"
    );
    let declared = Template::parse_with("{{paymentTerms}}", names).expect("declared");
    assert_eq!(declared.render(&values(Locale::Es), Escape::Text), "");
    let outside = Template::parse("{{total}}", KEYS).expect_err("not in a message");
    assert!(matches!(
        outside.kind,
        TemplateErrorKind::UnknownVariable { .. }
    ));
    let typo = Template::parse_with("{{Total}}", names).expect_err("a typo");
    assert_eq!(
        typo.kind,
        TemplateErrorKind::UnknownVariable {
            suggestion: Some("total".into())
        }
    );
}
