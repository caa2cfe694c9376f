//! The words of the demo's proposals, in the tenant's language: its two templates (a services
//! proposal, whose second version adds a warranty section, and a support contract), the
//! lines a proposal is priced with (Spanish VAT: IVA 21, and 10 for a hotel night or a meal),
//! the payment terms a salesperson picks, and what clients answer.

use domain::templates::Locale;

use crate::proposals::content::{Section, VariableSpec};
use crate::proposals::templates::TemplateInput;

/// Which of the demo's templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Projects: installations, equipment, licences, migrations.
    Services,
    /// A yearly support and maintenance contract.
    Support,
}

/// Text in each of the tenant's languages.
#[derive(Debug, Clone, Copy)]
pub(super) struct Words {
    pub es: &'static str,
    pub en: &'static str,
}

impl Words {
    pub fn in_(self, locale: Locale) -> &'static str {
        match locale {
            Locale::Es => self.es,
            Locale::En => self.en,
        }
    }
}

const fn words(es: &'static str, en: &'static str) -> Words {
    Words { es, en }
}

fn section(locale: Locale, title: Words, body: Words) -> Section {
    Section {
        title: title.in_(locale).to_owned(),
        body: body.in_(locale).to_owned(),
    }
}

fn variable(locale: Locale, name: &str, kind: &str, label: Words) -> VariableSpec {
    VariableSpec {
        name: name.to_owned(),
        kind: kind.to_owned(),
        label: Some(label.in_(locale).to_owned()),
    }
}

/// The services proposal as first written (version 1).
pub(super) fn services_template(locale: Locale) -> TemplateInput {
    let sections = vec![
        section(
            locale,
            words(
                "Propuesta para {{clientName}}",
                "Proposal for {{clientName}}",
            ),
            words(
                "Fecha: {{proposalDate}}\n\nEstimados señores de {{clientName}}:\n\nGracias por \
                 su interés en nuestros servicios. Como acordamos en nuestra última \
                 conversación, les presentamos nuestra propuesta para el proyecto que nos han \
                 planteado: el alcance de los trabajos y el detalle económico.",
                "Date: {{proposalDate}}\n\nDear {{clientName}} team,\n\nThank you for your \
                 interest in our services. As agreed when we last spoke, here is our proposal \
                 for the project you described: the scope of the work and its price.",
            ),
        ),
        section(
            locale,
            words("Alcance de los trabajos", "Scope of work"),
            words(
                "Nuestro equipo técnico se encargará del análisis previo, la instalación y la \
                 puesta en marcha, y de formar a las personas de {{clientName}} que vayan a usar \
                 el sistema.\n\nLos trabajos se harán en horario laborable y coordinados con \
                 ustedes, para no interrumpir su actividad.",
                "Our engineers will carry out the preliminary analysis, the installation and the \
                 go-live, and train the people at {{clientName}} who will use the system.\n\nThe \
                 work is done in office hours and planned with you, so that your business is not \
                 interrupted.",
            ),
        ),
        section(
            locale,
            words("Condiciones económicas", "Price and payment"),
            words(
                "El importe total de la propuesta es de {{total}}, IVA incluido (descuento \
                 sobre nuestra tarifa: {{discountPercentage}} %).\n\nA la aceptación se \
                 facturará un anticipo del {{depositPercentage}} % del total; el resto se \
                 abonará {{paymentTerms}}.",
                "The total of this proposal is {{total}}, VAT included (discount on our list \
                 prices: {{discountPercentage}} %).\n\nA deposit of {{depositPercentage}} % of \
                 the total is invoiced on acceptance; the rest is paid {{paymentTerms}}.",
            ),
        ),
        section(
            locale,
            words("Validez", "Validity"),
            words(
                "Esta propuesta es válida hasta el {{validUntil}}. Para aceptarla basta con \
                 pulsar «Aceptar» en el enlace que acompaña a este correo.\n\nQuedamos a su \
                 disposición para cualquier aclaración.\n\n{{ownerName}}",
                "This proposal is valid until {{validUntil}}. To accept it, press \"Accept\" on \
                 the link that came with this e-mail.\n\nDo not hesitate to contact us with any \
                 question.\n\n{{ownerName}}",
            ),
        ),
    ];
    TemplateInput {
        name: Some(
            words("Propuesta de servicios", "Services proposal")
                .in_(locale)
                .to_owned(),
        ),
        sections: Some(sections),
        variables: Some(vec![
            variable(
                locale,
                "paymentTerms",
                "text",
                words("Pago del resto", "How the rest is paid"),
            ),
            variable(
                locale,
                "depositPercentage",
                "percentage",
                words("Anticipo (%)", "Deposit (%)"),
            ),
        ]),
    }
}

/// The section version 2 of the services proposal adds before its validity.
pub(super) fn warranty_section(locale: Locale) -> Section {
    section(
        locale,
        words("Garantía y soporte", "Warranty and support"),
        words(
            "Los equipos suministrados tienen tres años de garantía del fabricante. Durante los \
             90 días siguientes a la puesta en marcha, el soporte técnico remoto está incluido \
             sin coste adicional.",
            "The equipment supplied carries the maker's three-year warranty. Remote support is \
             included at no extra cost for 90 days after the go-live.",
        ),
    )
}

/// The support contract.
pub(super) fn support_template(locale: Locale) -> TemplateInput {
    let sections = vec![
        section(
            locale,
            words(
                "Mantenimiento informático para {{clientName}}",
                "IT support for {{clientName}}",
            ),
            words(
                "Fecha: {{proposalDate}}\n\nLes presentamos nuestra propuesta de mantenimiento \
                 informático para {{clientName}}: soporte a los usuarios, mantenimiento \
                 preventivo de los equipos y de la red, y copias de seguridad supervisadas.",
                "Date: {{proposalDate}}\n\nHere is our proposal for the IT support of \
                 {{clientName}}: a help desk for your staff, preventive maintenance of computers \
                 and network, and monitored backups.",
            ),
        ),
        section(
            locale,
            words("Nivel de servicio", "Service level"),
            words(
                "Atendemos las incidencias de lunes a viernes, de 8:00 a 19:00. El tiempo máximo \
                 de respuesta es de {{responseHours}} horas laborables desde el aviso.\n\nCada \
                 trimestre les enviaremos un informe con las incidencias atendidas y nuestras \
                 recomendaciones.",
                "We answer requests Monday to Friday, 8:00 to 19:00, within {{responseHours}} \
                 working hours of the call.\n\nEvery quarter we send you a report of the requests \
                 handled and our recommendations.",
            ),
        ),
        section(
            locale,
            words("Importe y condiciones", "Price and terms"),
            words(
                "Importe total: {{total}}, IVA incluido (descuento aplicado: \
                 {{discountPercentage}} %).\n\nForma de pago: {{paymentTerms}}.\n\nPropuesta \
                 válida hasta el {{validUntil}}.\n\n{{ownerName}}",
                "Total: {{total}}, VAT included (discount: {{discountPercentage}} %).\n\nPayment \
                 terms: {{paymentTerms}}.\n\nThis proposal is valid until {{validUntil}}.\n\n\
                 {{ownerName}}",
            ),
        ),
    ];
    TemplateInput {
        name: Some(
            words("Contrato de mantenimiento", "Support contract")
                .in_(locale)
                .to_owned(),
        ),
        sections: Some(sections),
        variables: Some(vec![
            variable(
                locale,
                "responseHours",
                "number",
                words("Tiempo de respuesta (horas)", "Response time (hours)"),
            ),
            variable(
                locale,
                "paymentTerms",
                "text",
                words("Forma de pago", "Payment terms"),
            ),
        ]),
    }
}

/// A line a proposal may carry: its words, the unit price range in cents, the quantity range
/// and the VAT rate.
#[derive(Debug, Clone, Copy)]
pub(super) struct Line {
    pub text: Words,
    pub cents: (i64, i64),
    pub quantity: (i64, i64),
    pub tax_rate: i64,
    /// Whether a salesperson discounts it now and then (licences, equipment).
    pub discounted: bool,
}

const fn line(text: Words, cents: (i64, i64), quantity: (i64, i64), tax_rate: i64) -> Line {
    Line {
        text,
        cents,
        quantity,
        tax_rate,
        discounted: false,
    }
}

const fn discounted(line: Line) -> Line {
    Line {
        discounted: true,
        ..line
    }
}

#[rustfmt::skip]
pub(super) const SERVICES_LINES: &[Line] = &[
    line(words("Análisis previo y diseño de la solución (horas)", "Preliminary analysis and design (hours)"), (7_000, 9_500), (6, 24), 21),
    line(words("Instalación y configuración in situ (horas de técnico)", "On-site installation and set-up (engineer hours)"), (4_500, 6_500), (8, 40), 21),
    discounted(line(words("Licencia anual de Microsoft 365 Business Standard (por usuario)", "Microsoft 365 Business Standard yearly licence (per user)"), (14_040, 14_040), (5, 40), 21)),
    discounted(line(words("Portátil Lenovo ThinkPad E14, 16 GB, Windows 11 Pro", "Lenovo ThinkPad E14 laptop, 16 GB, Windows 11 Pro"), (89_900, 114_900), (2, 12), 21)),
    discounted(line(words("Punto de acceso wifi Ubiquiti U6 Pro", "Ubiquiti U6 Pro Wi-Fi access point"), (18_900, 20_900), (2, 10), 21)),
    discounted(line(words("Switch gestionable de 24 puertos PoE", "Managed 24-port PoE switch"), (42_000, 69_000), (1, 3), 21)),
    line(words("Cortafuegos FortiGate 40F con un año de licencia UTP", "FortiGate 40F firewall with a year of UTP licence"), (109_000, 129_000), (1, 2), 21),
    line(words("Copia de seguridad en la nube, 1 TB (cuota mensual)", "Cloud backup, 1 TB (monthly fee)"), (4_500, 5_900), (12, 12), 21),
    line(words("Formación a usuarios, jornada de 4 horas", "User training, half-day session"), (32_000, 42_000), (1, 3), 21),
    line(words("Desplazamiento del equipo técnico", "Engineers' travel"), (6_000, 18_000), (1, 1), 21),
    line(words("Alojamiento del técnico desplazado (noche de hotel)", "Engineer's hotel stay (per night)"), (8_500, 12_000), (1, 4), 10),
    line(words("Comida de trabajo en la jornada de formación (menú por persona)", "Working lunch on the training day (per person)"), (1_400, 1_900), (6, 20), 10),
];

#[rustfmt::skip]
pub(super) const SUPPORT_LINES: &[Line] = &[
    line(words("Cuota mensual de mantenimiento informático (hasta 25 puestos)", "Monthly IT support fee (up to 25 desks)"), (39_000, 89_000), (12, 12), 21),
    discounted(line(words("Bolsa de 20 horas de soporte técnico remoto", "Block of 20 hours of remote support"), (98_000, 118_000), (1, 2), 21)),
    line(words("Visita trimestral de mantenimiento preventivo", "Quarterly preventive maintenance visit"), (18_000, 26_000), (4, 4), 21),
    discounted(line(words("Antivirus gestionado y supervisión de copias (por equipo y año)", "Managed antivirus and backup monitoring (per computer and year)"), (3_600, 5_400), (10, 60), 21)),
    line(words("Alta y puesta en marcha del servicio", "Service set-up"), (25_000, 45_000), (1, 1), 21),
    line(words("Alojamiento del técnico en las visitas (noche de hotel)", "Engineer's hotel stay on visits (per night)"), (8_500, 11_000), (2, 4), 10),
];

/// How the rest is paid after the deposit asked on acceptance (services proposals).
#[rustfmt::skip]
pub(super) const PAYMENT_TERMS: &[(Words, i64)] = &[
    (words("por transferencia bancaria a 30 días de la fecha de factura", "by bank transfer within 30 days of the invoice"), 20),
    (words("por transferencia a la puesta en marcha", "by bank transfer at go-live"), 30),
    (words("en tres recibos mensuales domiciliados", "in three monthly direct debits"), 50),
    (words("mediante recibo domiciliado a 60 días de la fecha de factura", "by direct debit 60 days after the invoice"), 25),
];

/// How a support contract is paid.
pub(super) const SUPPORT_TERMS: &[Words] = &[
    words("recibo domiciliado mensual", "monthly direct debit"),
    words(
        "pago trimestral por adelantado, por transferencia",
        "quarterly in advance, by bank transfer",
    ),
];

/// The response times a support contract promises, in working hours.
pub(super) const RESPONSE_HOURS: &[i64] = &[4, 8, 24];

/// What a client writes when turning a proposal down (the demo's proposals go to its Spanish
/// clients, who answer in Spanish whatever the tenant's language).
pub(super) const REJECTIONS: &[&str] = &[
    "El importe supera el presupuesto que tenemos aprobado para este año.",
    "Hemos decidido seguir con nuestro proveedor actual.",
    "Necesitamos la instalación terminada antes de fin de mes y el plazo no nos encaja.",
    "El proyecto se aplaza al próximo ejercicio.",
];

/// What a client may write when accepting.
pub(super) const ACCEPTANCES: &[&str] = &[
    "Adelante. Llamadnos para fijar la fecha de instalación.",
    "Aceptada. La factura del anticipo, a nombre de administración, por favor.",
];
