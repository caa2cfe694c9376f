//! "Draft a proposal and download its PDF", as salespeople do: a draft of a few lines for the
//! desk's client from the tenant's load-test template (`POST /api/v1/proposals`), then its PDF
//! (`GET /api/v1/proposals/{id}/render.pdf`) to check it before sending. The drafts are the load
//! test's own, on its own clients (`Loadtest desk <n>`, created by the first action that needs
//! one), and are left as drafts: nothing is sent. The template (`Loadtest proposal`) is made by
//! the working day's setup ([`prepare`]) through the templates' own flow in each tenant without
//! it; later runs find it again. The lines are those `proposal-bench` drafts too
//! ([`new_proposal`]).

use std::collections::HashMap;

use anyhow::Context;
use db::TenantTx;
use db::audit::Actor;
use rand::Rng;
use rand::rngs::StdRng;
use reqwest::Method;
use serde_json::{Value, json};
use services::proposals::content::{Section, VariableSpec};
use services::proposals::templates::{self, TemplateInput};
use sqlx::PgPool;
use uuid::Uuid;

use super::data::{DESKS, Shared};
use super::mix::{Call, Http, Staff, created_id, desk_client, expect};

/// The load test's proposal template, in every tenant.
pub const TEMPLATE_NAME: &str = "Loadtest proposal";
/// Lines of a working day's draft.
const ITEMS: usize = 8;

/// What salespeople sell: description, unit price range in cents, IVA.
#[rustfmt::skip]
const LINES: &[(&str, (i64, i64), &str)] = &[
    ("Portátil Lenovo ThinkPad E14, 16 GB, Windows 11 Pro", (89_900, 114_900), "21"),
    ("Monitor Dell P2425H de 24 pulgadas", (17_900, 21_900), "21"),
    ("Base de conexión USB-C", (14_900, 18_900), "21"),
    ("Licencia anual de Microsoft 365 Business Standard (por usuario)", (14_040, 14_040), "21"),
    ("Punto de acceso wifi Ubiquiti U6 Pro", (18_900, 20_900), "21"),
    ("Switch gestionable de 24 puertos PoE", (42_000, 69_000), "21"),
    ("Cortafuegos FortiGate 40F con un año de licencia UTP", (109_000, 129_000), "21"),
    ("Instalación y configuración in situ (horas de técnico)", (4_500, 6_500), "21"),
    ("Formación a usuarios, jornada de 4 horas", (32_000, 42_000), "21"),
    ("Alojamiento del técnico desplazado (noche de hotel)", (8_500, 12_000), "10"),
    ("Comida de trabajo en la jornada de formación (menú por persona)", (1_400, 1_900), "10"),
];

/// The load test's template (`proposal-bench`'s too): a letter, the scope, the price and the
/// validity, with one declared variable.
pub(crate) fn template() -> TemplateInput {
    let section = |title: &str, body: &str| Section {
        title: title.to_owned(),
        body: body.to_owned(),
    };
    TemplateInput {
        name: Some(TEMPLATE_NAME.to_owned()),
        sections: Some(vec![
            section(
                "Propuesta para {{clientName}}",
                "Fecha: {{proposalDate}}\n\nEstimados señores de {{clientName}}:\n\nLes \
                 presentamos nuestra propuesta para la renovación de sus equipos y su red.",
            ),
            section(
                "Alcance",
                "Suministro, instalación y puesta en marcha de los equipos detallados, y \
                 formación de las personas que los usarán.",
            ),
            section(
                "Condiciones económicas",
                "Importe total: {{total}}, IVA incluido (descuento sobre tarifa: \
                 {{discountPercentage}} %).\n\nForma de pago: {{paymentTerms}}.",
            ),
            section(
                "Validez",
                "Propuesta válida hasta el {{validUntil}}.\n\n{{ownerName}}",
            ),
        ]),
        variables: Some(vec![VariableSpec {
            name: "paymentTerms".into(),
            kind: "text".into(),
            label: Some("Forma de pago".into()),
        }]),
    }
}

/// A new proposal of `items` lines for `client` from `template`, as the API takes it (IVA 21
/// and 10, one line in five discounted).
pub(crate) fn new_proposal(
    rng: &mut StdRng,
    template: Uuid,
    client: Uuid,
    items: usize,
    title: String,
) -> Value {
    let items: Vec<Value> = (0..items)
        .map(|_| {
            let (description, cents, tax) = LINES[rng.gen_range(0..LINES.len())];
            let price = rng.gen_range(cents.0..=cents.1);
            let discount = if rng.gen_bool(0.2) { "10" } else { "0" };
            json!({
                "description": description,
                "quantity": rng.gen_range(1..=12).to_string(),
                "unit_price": format!("{}.{:02}", price / 100, price % 100),
                "discount_percentage": discount,
                "tax_rate": tax,
            })
        })
        .collect();
    json!({
        "client_id": client,
        "template_id": template,
        "title": title,
        "items": items,
        "variables": { "paymentTerms": "transferencia bancaria a 30 días" },
    })
}

/// Each tenant's load-test template, made through the templates' flow (as `crm_app`, one
/// transaction per tenant) where it is missing.
pub async fn prepare(app_url: &str, tenants: &[Uuid]) -> anyhow::Result<HashMap<Uuid, Uuid>> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(app_url)
        .await
        .with_context(|| format!("cannot connect to {app_url}"))?;
    let mut out = HashMap::new();
    let mut made = 0;
    for &tenant in tenants {
        let (id, new) = template_of(&pool, tenant)
            .await
            .with_context(|| format!("cannot prepare the proposal template of tenant {tenant}"))?;
        made += usize::from(new);
        out.insert(tenant, id);
    }
    pool.close().await;
    if made > 0 {
        eprintln!("made {made} load-test proposal templates");
    }
    Ok(out)
}

/// The tenant's load-test template, and whether it was made now.
async fn template_of(pool: &PgPool, tenant: Uuid) -> anyhow::Result<(Uuid, bool)> {
    let mut scope = services::Scope::new(TenantTx::begin(pool, tenant).await?, Actor::system());
    let found = db::proposal_templates::list(&mut scope.tx, None, 1_000)
        .await?
        .into_iter()
        .find(|t| t.name == TEMPLATE_NAME);
    if let Some(t) = found {
        scope.done();
        return Ok((t.id, false));
    }
    let id = templates::create(&mut scope, template()).await?.value.id;
    scope.commit().await?;
    Ok((id, true))
}

/// Does "draft a proposal and download its PDF" as `staff`.
pub async fn draft_proposal<H: Http>(
    http: &mut H,
    staff: &mut Staff,
    shared: &Shared,
) -> Result<(), String> {
    let template = staff
        .tenant
        .proposal_template
        .ok_or("the tenant has no load-test proposal template")?;
    let number = staff.slot % DESKS;
    let desk = shared
        .desk(staff.tenant_index, number)
        .ok_or("the tenant has no desk")?;
    // The lock only while the desk's client may still have to be created.
    let client = {
        let mut current = desk.lock().await;
        desk_client(http, staff, number, &mut current).await?
    };
    let title = format!("Loadtest proposal of staff {}", staff.slot);
    let body = new_proposal(&mut staff.rng, template, client, ITEMS, title);
    let name = "/api/v1/proposals";
    let reply = http
        .call(Call::send(
            name,
            Method::POST,
            name.to_owned(),
            &staff.token,
            None,
            body,
        ))
        .await?;
    expect(&reply, 201, name)?;
    let id = created_id(&reply, name)?;
    let name = "/api/v1/proposals/{id}/render.pdf";
    let path = format!("/api/v1/proposals/{id}/render.pdf");
    let reply = http.call(Call::get(name, path, &staff.token)).await?;
    expect(&reply, 200, name)?;
    if reply.body.starts_with("%PDF-") {
        Ok(())
    } else {
        Err(format!("{name} answered no PDF"))
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn a_proposal_has_the_lines_asked_for_at_spanish_rates() {
        let (template, client) = (Uuid::new_v4(), Uuid::new_v4());
        let mut rng = StdRng::seed_from_u64(3);
        let p = new_proposal(&mut rng, template, client, 20, "Propuesta 7".into());
        let items = p["items"].as_array().expect("items");
        assert_eq!(items.len(), 20);
        assert!(
            items
                .iter()
                .all(|i| i["tax_rate"] == "21" || i["tax_rate"] == "10")
        );
        assert!(items.iter().any(|i| i["tax_rate"] == "10"));
        assert!(items.iter().all(|i| {
            i["unit_price"]
                .as_str()
                .is_some_and(|s| s.split_once('.').is_some_and(|(_, c)| c.len() == 2))
        }));
        assert_eq!(
            (&p["template_id"], &p["client_id"]),
            (&json!(template), &json!(client))
        );
        assert_eq!(p["title"], "Propuesta 7");
    }

    #[test]
    fn the_template_is_valid_content() {
        let t = template();
        let content = services::proposals::content::check(
            t.sections.expect("sections"),
            t.variables.expect("variables"),
            &[],
        );
        assert!(content.is_ok(), "{content:?}");
    }
}
