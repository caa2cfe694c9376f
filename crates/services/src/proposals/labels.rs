//! The words a rendered proposal prints around its content, in the tenant's language.

use domain::templates::Locale;

pub struct Labels {
    pub client: &'static str,
    pub date: &'static str,
    pub valid_until: &'static str,
    pub reference: &'static str,
    pub columns: [&'static str; 6],
    pub subtotal: &'static str,
    /// Before a rate: "IVA 21 %".
    pub tax: &'static str,
    pub total: &'static str,
    /// The e-mail that carries a proposal.
    pub mail_subject: &'static str,
    pub mail_body: &'static str,
}

impl Labels {
    pub fn of(locale: Locale) -> Self {
        match locale {
            Locale::Es => Self {
                client: "Cliente",
                date: "Fecha",
                valid_until: "Válida hasta",
                reference: "Referencia",
                columns: [
                    "Descripción",
                    "Cantidad",
                    "Precio",
                    "Dto. %",
                    "IVA %",
                    "Importe",
                ],
                subtotal: "Subtotal",
                tax: "IVA",
                total: "Total",
                mail_subject: "Propuesta",
                mail_body: "Le enviamos nuestra propuesta, adjunta en PDF. Puede verla, aceptarla o \
                            rechazarla en este enlace, válido hasta",
            },
            Locale::En => Self {
                client: "Client",
                date: "Date",
                valid_until: "Valid until",
                reference: "Reference",
                columns: [
                    "Description",
                    "Quantity",
                    "Unit price",
                    "Disc. %",
                    "Tax %",
                    "Amount",
                ],
                subtotal: "Subtotal",
                tax: "Tax",
                total: "Total",
                mail_subject: "Proposal",
                mail_body: "Please find our proposal attached as a PDF. You can view, accept or \
                            decline it at this link, valid until",
            },
        }
    }
}
