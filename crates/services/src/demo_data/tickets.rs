//! The demo tenant's help desk: the Madrid office's business calendar, three ticket categories
//! with their SLA, and sixty tickets of demo clients in every status, in Spanish and English,
//! with their threads of public replies, internal notes and customer messages, spread over the
//! last weeks: most within their targets, some at risk, some breached.
//!
//! Each ticket is opened and changed through the ticket flows, which stamp the current time;
//! after each step `db::demo_tickets::backdate` dates it when the ticket's story says it
//! happened (comments, never changed once written, are written at their moment, and their
//! timeline events dated, as `story.rs` dates a company's history). A story's moments are
//! shares of its resolution target in business time on its category's calendar, so whenever the
//! demo is seeded, the at-risk tickets are at risk and the breached ones breached.

use chrono::{DateTime, Duration, Utc};
use db::audit::Actor;
use domain::tickets::{
    BusinessCalendar, PREMIUM_TIERS, Priority, SlaPolicy, SlaTargets, TicketStatus, WeeklyHoursSpec,
};
use serde_json::Value;
use uuid::Uuid;

use super::dice::Dice;
use super::{DemoCounts, Owners, SEED, acting};
use crate::tickets::sla::{Policy, policies, refresh_due_times};
use crate::tickets::{
    self, CalendarInput, CategoryInput, CommentInput, NewTicket, TicketOut, TicketPatch,
};
use crate::{Error, Expected, Result, Scope};

/// The business calendar the office desks work on.
const CALENDAR: &str = "Madrid office";

/// Spain's national holidays of 2026 and 2027.
const HOLIDAYS: &[&str] = &[
    "2026-01-01",
    "2026-01-06",
    "2026-04-03",
    "2026-05-01",
    "2026-08-15",
    "2026-10-12",
    "2026-11-01",
    "2026-12-06",
    "2026-12-08",
    "2026-12-25",
    "2027-01-01",
    "2027-01-06",
    "2027-03-26",
    "2027-05-01",
    "2027-08-15",
    "2027-10-12",
    "2027-11-01",
    "2027-12-06",
    "2027-12-08",
    "2027-12-25",
];

/// The demo's ticket categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Desk {
    /// Around the clock, short targets.
    Outages,
    /// On office hours.
    Billing,
    /// On office hours, long targets.
    Questions,
}

use Desk::{Billing, Outages, Questions};

impl Desk {
    /// In the order they are created: the first one, needing no calendar, marks a filled desk.
    const ALL: [Desk; 3] = [Outages, Billing, Questions];

    fn name(self) -> &'static str {
        match self {
            Outages => "Averías / Outages",
            Billing => "Facturación / Billing",
            Questions => "Consultas / Questions",
        }
    }

    /// First response, next response and resolution, in business minutes, urgent to low.
    fn targets(self) -> [(i64, i64, i64); 4] {
        match self {
            Outages => [
                (15, 30, 240),
                (30, 60, 480),
                (60, 120, 1440),
                (120, 240, 2880),
            ],
            Billing => [
                (60, 120, 480),
                (120, 240, 960),
                (240, 480, 2400),
                (480, 960, 4800),
            ],
            Questions => [
                (120, 240, 960),
                (240, 480, 1440),
                (480, 960, 2400),
                (960, 1920, 4800),
            ],
        }
    }

    fn sla(self) -> SlaPolicy {
        let [urgent, high, normal, low] =
            self.targets().map(|(first, next, resolution)| SlaTargets {
                first_response_minutes: Some(first),
                next_response_minutes: Some(next),
                resolution_minutes: Some(resolution),
            });
        SlaPolicy {
            urgent,
            high,
            normal,
            low,
        }
    }

    fn default_priority(self) -> Priority {
        match self {
            Outages => Priority::High,
            Billing => Priority::Normal,
            Questions => Priority::Low,
        }
    }

    /// Whether its SLA runs on the office's hours (else around the clock).
    fn office_hours(self) -> bool {
        self != Outages
    }

    fn team(self) -> &'static str {
        match self {
            Outages => "Técnico",
            Billing => "Administración",
            Questions => "Atención al cliente",
        }
    }

    /// The built-in role of its team lead, who takes its breached tickets.
    fn lead_role(self) -> &'static str {
        match self {
            Outages | Billing => "admin",
            Questions => "support",
        }
    }
}

/// The office's hours: Monday to Thursday 09:00-14:00 and 15:00-18:00, Friday 08:00-15:00.
fn weekly_hours() -> WeeklyHoursSpec {
    let spans = |spans: &[(&str, &str)]| -> Vec<[String; 2]> {
        spans
            .iter()
            .map(|(from, to)| [(*from).to_owned(), (*to).to_owned()])
            .collect()
    };
    let split = spans(&[("09:00", "14:00"), ("15:00", "18:00")]);
    WeeklyHoursSpec {
        mon: split.clone(),
        tue: split.clone(),
        wed: split.clone(),
        thu: split,
        fri: spans(&[("08:00", "15:00")]),
        ..WeeklyHoursSpec::default()
    }
}

fn office_calendar() -> CalendarInput {
    CalendarInput {
        name: Some(CALENDAR.to_owned()),
        time_zone: Some("Europe/Madrid".to_owned()),
        weekly_hours: Some(weekly_hours()),
        holidays: Some(HOLIDAYS.iter().map(|d| (*d).to_owned()).collect()),
    }
}

/// The language a client writes in, and the agents answer in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    Es,
    En,
}

/// How a ticket's story ends (so far).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// Nobody has answered yet.
    New,
    /// Answered, and the conversation answered up to date.
    Open,
    /// Waiting for the customer's answer (the clock stopped).
    PendingCustomer,
    /// Waiting on someone else (the clock stopped).
    OnHold,
    /// Solved; the client's score, if given.
    Resolved(Option<i64>),
    /// Solved and closed; the client's score, if given.
    Closed(Option<i64>),
    /// Solved, reopened by the customer, solved again and closed.
    Reopened,
}

/// One demo ticket.
#[derive(Debug, Clone, Copy)]
struct Story {
    lang: Lang,
    desk: Desk,
    fate: Fate,
    /// Business time since it was opened, as a share of its resolution target: an open ticket
    /// past 0.8 is at risk, past 1 breached.
    age: f64,
    /// The priority it gets: from the rules (their outcome, checked by a test) unless `triage`.
    priority: Priority,
    /// The agent's reason when the agent sets the priority.
    triage: Option<&'static str>,
    /// Opened by a client of a premium tier (a rule raises its priority).
    premium: bool,
    title: &'static str,
    description: &'static str,
}

impl Story {
    const fn triaged(self, reason: &'static str) -> Self {
        Self {
            triage: Some(reason),
            ..self
        }
    }

    const fn premium(self) -> Self {
        Self {
            premium: true,
            ..self
        }
    }
}

const fn es(
    desk: Desk,
    fate: Fate,
    age: f64,
    priority: Priority,
    title: &'static str,
    description: &'static str,
) -> Story {
    Story {
        lang: Lang::Es,
        desk,
        fate,
        age,
        priority,
        triage: None,
        premium: false,
        title,
        description,
    }
}

const fn en(
    desk: Desk,
    fate: Fate,
    age: f64,
    priority: Priority,
    title: &'static str,
    description: &'static str,
) -> Story {
    Story {
        lang: Lang::En,
        ..es(desk, fate, age, priority, title, description)
    }
}

use Fate::{Closed, New, OnHold, Open, PendingCustomer, Reopened, Resolved};
use Priority::{High, Low, Normal, Urgent};

#[rustfmt::skip]
const STORIES: &[Story] = &[
    // Outages, around the clock.
    es(Outages, New, 0.02, High, "Sin conexión a internet en la oficina central",
       "Desde las ocho no hay conexión en ninguna planta. El router tiene la luz roja fija y ya lo hemos reiniciado dos veces."),
    es(Outages, New, 0.2, High, "La centralita no recibe llamadas",
       "Los clientes nos dicen que al llamar da ocupado. Las llamadas salientes salen con normalidad."),
    en(Outages, New, 0.03, High, "Website down since this morning",
       "Our shop website shows a 502 error to every visitor. Nothing changed on our side."),
    es(Outages, Open, 0.3, High, "Servidor de ficheros caído",
       "Nadie puede abrir las carpetas compartidas desde primera hora; el servidor no responde al ping."),
    es(Outages, Open, 0.88, Normal, "Error al sincronizar el correo en los móviles",
       "Desde la actualización de ayer, los móviles de dirección no descargan el correo nuevo. En el ordenador va bien.")
        .triaged("Solo afecta a dos móviles y el correo se puede leer en el ordenador"),
    en(Outages, Open, 0.9, Low, "Crackling on outbound calls",
       "Line 3 has a crackle on most outbound calls since Monday. Inbound calls sound fine.")
        .triaged("Calls still go through; one line affected"),
    es(Outages, Open, 1.6, High, "Cortes intermitentes de la VPN",
       "Los comerciales pierden la VPN cada media hora desde el lunes y tienen que volver a conectar."),
    es(Outages, Open, 2.5, Urgent, "ERP sin respuesta en el almacén",
       "Los terminales del almacén se quedan colgados al confirmar pedidos. Tenemos camiones esperando.")
        .triaged("Almacén parado: no pueden servir pedidos"),
    en(Outages, Open, 1.3, High, "Card payments failing at the till",
       "The payment terminal in our Bristol shop declines every card with error 05 since opening time."),
    es(Outages, Open, 0.4, High, "El TPV de la tienda de Valencia se reinicia solo",
       "Cada pocos minutos el TPV se apaga y vuelve a arrancar. Estamos cobrando a mano."),
    en(Outages, PendingCustomer, 0.6, High, "Emails bouncing for the sales team",
       "Messages to our sales address come back with 'mailbox unavailable'. Other addresses are fine."),
    es(Outages, OnHold, 1.5, High, "Cámaras de seguridad sin imagen",
       "Las cuatro cámaras del aparcamiento muestran la pantalla en negro desde la tormenta del fin de semana."),
    es(Outages, Resolved(Some(5)), 12.0, High, "La impresora de etiquetas del almacén no funciona",
       "La impresora no saca etiquetas y parpadea la luz de error."),
    en(Outages, Resolved(Some(4)), 20.0, High, "Wi-Fi outage on the first floor",
       "None of the laptops upstairs can see the office network."),
    es(Outages, Closed(Some(5)), 40.0, High, "Caída de la fibra en la nave de Getafe",
       "La nave de Getafe se ha quedado sin línea y el operador dice que el problema está en nuestra instalación."),
    es(Outages, Closed(None), 15.0, Normal, "Pantalla parpadeando en recepción",
       "El monitor de recepción parpadea de vez en cuando, sobre todo por las mañanas.")
        .triaged("Afecta a un solo puesto"),
    en(Outages, Closed(Some(3)), 25.0, High, "Server room alarm keeps beeping",
       "The UPS in the server room has been beeping every few minutes since last night."),
    es(Outages, Reopened, 3.0, High, "El lector de tarjetas no abre la puerta",
       "El lector del acceso principal da luz verde, pero la puerta no se abre."),
    es(Outages, Open, 0.25, Urgent, "Tercera caída de la línea este mes",
       "Es la tercera vez este mes que nos quedamos sin línea. Si vuelve a pasar, tendremos que cancelar el contrato."),
    en(Outages, Open, 0.35, Urgent, "Stock system slow at the warehouse",
       "Scanning orders takes ten seconds per item since this morning.")
        .premium(),
    // Billing, on office hours.
    es(Billing, New, 0.03, Normal, "Factura duplicada de marzo",
       "Nos han cargado dos veces la factura F-2026-0311 en la cuenta."),
    en(Billing, New, 0.085, Normal, "Invoice sent to the wrong address",
       "Our last invoice went to our old office in Croydon. Please resend it to the new address."),
    es(Billing, Open, 0.45, Normal, "El importe del recibo no coincide con la oferta",
       "La oferta firmada era de 180 € al mes y el recibo de este mes es de 215 €."),
    es(Billing, Open, 0.86, Normal, "Solicitud de factura rectificativa",
       "La factura de febrero lleva el NIF antiguo; necesitamos una rectificativa para contabilidad."),
    en(Billing, Open, 0.87, High, "Missing invoices for the audit",
       "Our auditors need copies of the invoices from October to December.")
        .triaged("Their year-end close is on Friday"),
    es(Billing, Open, 1.4, High, "Necesitamos la factura urgente para cerrar el trimestre",
       "Sin la factura de enero no podemos presentar el IVA del trimestre."),
    en(Billing, Open, 1.8, Normal, "Charged twice for the annual plan",
       "We paid the annual renewal by transfer and you also took it by direct debit."),
    es(Billing, Open, 0.35, High, "Queremos dar de baja dos licencias",
       "Hemos cerrado la delegación de Sevilla y ya no usamos esas dos licencias."),
    en(Billing, Open, 0.2, High, "Purchase order number on invoices",
       "From next month every invoice must show our purchase order number.")
        .premium(),
    es(Billing, PendingCustomer, 0.5, Normal, "Cambio de cuenta bancaria para los recibos",
       "Queremos domiciliar los recibos en otra cuenta a partir del mes que viene."),
    en(Billing, PendingCustomer, 1.2, Normal, "Please update our VAT number",
       "Our VAT registration changed after the merger; the new number is on the attached certificate."),
    es(Billing, OnHold, 0.9, Normal, "Cargo no reconocido en la tarjeta",
       "Aparece un cargo de 49 € que no sabemos a qué corresponde."),
    es(Billing, Resolved(Some(4)), 3.0, Normal, "Error en el NIF de las facturas",
       "Las facturas de este año salen con una letra equivocada en el NIF."),
    en(Billing, Resolved(Some(5)), 2.5, Normal, "Credit note for the returned router",
       "We returned the spare router in January and are still waiting for the credit note."),
    es(Billing, Resolved(None), 2.2, Normal, "Duda sobre el IVA en servicios para Canarias",
       "¿Debemos pagar IVA en los servicios que nos facturáis para la tienda de Las Palmas?"),
    es(Billing, Closed(Some(4)), 3.5, Normal, "Certificado de pagos para Hacienda",
       "Necesitamos un certificado con todos los pagos de 2026 para la declaración."),
    en(Billing, Closed(Some(2)), 4.0, High, "We want to cancel the premium add-on",
       "We no longer use the premium reports and would like to stop paying for them."),
    es(Billing, Reopened, 2.0, Normal, "Descuento no aplicado en la factura",
       "El descuento del 10 % acordado para este año no aparece en la factura."),
    // Questions, on office hours.
    es(Questions, New, 0.02, Low, "¿Cómo añado un usuario nuevo?",
       "Ha entrado una persona nueva en administración y necesita acceso."),
    en(Questions, New, 0.03, Low, "Do you offer on-site training?",
       "We have five new starters next month and would like a half-day session at our office."),
    es(Questions, New, 0.01, Normal, "Información sobre la migración a fibra",
       "Queremos saber qué supone pasar a fibra y cuánto duraría el corte.")
        .premium(),
    es(Questions, Open, 0.3, Low, "¿Podemos exportar los informes a Excel?",
       "Querríamos sacar el informe mensual de consumo en Excel para contabilidad."),
    es(Questions, Open, 0.5, Low, "Diferencia entre el plan Básico y el Profesional",
       "Estamos pensando en cambiar de plan y no tenemos claro qué incluye cada uno."),
    en(Questions, Open, 0.4, Low, "Can we add a second delivery address?",
       "We are opening a second warehouse in Derby and need deliveries there too."),
    es(Questions, Open, 0.85, Low, "Horario de atención en agosto",
       "¿Cuál es vuestro horario en agosto? Tenemos una instalación prevista para mediados de mes."),
    en(Questions, Open, 0.9, Normal, "Question about data retention",
       "How long do you keep our call recordings, and can we ask for them to be deleted sooner?")
        .triaged("Asked by their managing director"),
    es(Questions, Open, 1.5, Low, "Cómo configurar la firma del correo",
       "No conseguimos que la firma con el logotipo salga en los correos enviados desde el móvil."),
    en(Questions, Open, 1.2, Normal, "Renewal terms for next year",
       "Before our renewal meeting we would like the price list for next year.")
        .triaged("Renewal meeting next week"),
    es(Questions, Open, 0.15, Low, "¿Tenéis servicio técnico en Canarias?",
       "Vamos a abrir una tienda en Tenerife y queremos saber si cubrís las islas."),
    es(Questions, Open, 0.6, Low, "Cambio de persona de contacto",
       "A partir de ahora la persona de contacto para temas técnicos será Lucía, de sistemas."),
    en(Questions, PendingCustomer, 0.4, Low, "How do we reset a user's password?",
       "One of our staff is locked out of the portal after too many attempts."),
    es(Questions, PendingCustomer, 0.8, Low, "Consulta sobre la ampliación de la garantía",
       "¿Se puede ampliar a tres años la garantía de los equipos comprados en enero?"),
    es(Questions, PendingCustomer, 1.5, Low, "Presupuesto para ampliar la instalación",
       "Queremos añadir diez puestos más en la segunda planta."),
    es(Questions, OnHold, 0.7, Low, "Documentación para la subvención Kit Digital",
       "Necesitamos un certificado de vuestros servicios para justificar la subvención."),
    en(Questions, OnHold, 1.1, Low, "Accessibility statement for our tender",
       "A public tender asks for your accessibility statement; can you send it?"),
    es(Questions, Resolved(Some(5)), 2.0, Low, "Formación para el equipo nuevo",
       "¿Podéis hacer una sesión de formación para tres personas nuevas?"),
    en(Questions, Resolved(Some(4)), 2.0, Low, "Opening hours over Christmas",
       "Will your support line be open between Christmas and New Year?"),
    es(Questions, Closed(Some(5)), 2.2, Low, "¿Cómo descargo las facturas antiguas?",
       "Necesitamos las facturas de 2025 y en el portal solo vemos las del último año."),
    es(Questions, Closed(None), 2.5, Low, "Alta de una nueva sede",
       "Hemos abierto una oficina en Zaragoza; ¿qué datos necesitáis para darla de alta?"),
    en(Questions, Closed(Some(4)), 2.1, Low, "Where can we find the user guide?",
       "Our new receptionist would like the guide for the phone system."),
];

/// What agents and customers write in a thread, in one language.
struct Words {
    first: &'static [&'static str],
    question: &'static [&'static str],
    follow_up: &'static [&'static str],
    update: &'static [&'static str],
    note: &'static [&'static str],
    thanks: &'static [&'static str],
    solved: &'static [&'static str],
    reopen: &'static [&'static str],
    pending: &'static [&'static str],
    /// Why a ticket waits on someone else, per desk.
    hold: [&'static str; 3],
}

const ES: Words = Words {
    first: &[
        "Hola, gracias por avisarnos. Ya lo estamos revisando y le escribimos en cuanto sepamos algo.",
        "Buenos días. Hemos recibido su aviso y un técnico se encarga ya de él.",
        "Gracias por escribirnos. Lo estamos mirando ahora mismo; le mantenemos informado.",
    ],
    question: &[
        "Para avanzar, ¿nos puede enviar una captura de pantalla y la hora a la que ocurrió?",
        "¿Nos confirma el número de cliente y el de la factura afectada, por favor?",
        "¿Nos indica un teléfono y un horario para llamarle y revisarlo juntos?",
    ],
    follow_up: &[
        "¿Hay alguna novedad? Seguimos igual.",
        "Buenos días, ¿cómo va lo nuestro?",
        "Lo hemos vuelto a comprobar esta mañana y sigue pasando.",
    ],
    update: &[
        "Hemos aplicado un cambio en la configuración. ¿Puede comprobar si ya está bien?",
        "Seguimos con ello: ya tenemos todos los datos y lo estamos revisando con el proveedor.",
        "Le hemos enviado la información por correo; cualquier duda, nos dice.",
    ],
    note: &[
        "Revisado en remoto: parece un problema de configuración en su lado.",
        "Hablado con el comercial de la cuenta: conviene cuidarles, están valorando ampliar.",
        "Consultado con administración; lo revisan esta semana.",
        "Mismo síntoma que el mes pasado; ver el ticket anterior de este cliente.",
    ],
    thanks: &[
        "Confirmado, ya está solucionado. ¡Gracias!",
        "Perfecto, todo correcto por nuestra parte.",
    ],
    solved: &[
        "Resuelto: hemos corregido el problema. Si vuelve a ocurrir, responda a este mensaje.",
        "Queda solucionado y le hemos enviado el detalle por correo. Gracias por su paciencia.",
    ],
    reopen: &[
        "Ha vuelto a pasar esta mañana.",
        "Perdonad, pero seguimos con el mismo problema.",
    ],
    pending: &[
        "Esperando datos del cliente",
        "Esperando la respuesta del cliente",
    ],
    hold: [
        "Pendiente de una pieza del proveedor",
        "A la espera del cierre contable del mes",
        "Pendiente de otro departamento",
    ],
};

const EN: Words = Words {
    first: &[
        "Hello, thanks for letting us know. We are looking into it and will update you shortly.",
        "Good morning. We have your request and an engineer is on it.",
        "Thanks for getting in touch. We are checking it now and will keep you posted.",
    ],
    question: &[
        "To move forward, could you send us a screenshot and the time it happened?",
        "Could you confirm your account number and the invoice concerned, please?",
        "Could you give us a phone number and a good time to call so we can check it together?",
    ],
    follow_up: &[
        "Any news? Nothing has changed on our side.",
        "Good morning, how is this going?",
        "We checked again this morning and it is still happening.",
    ],
    update: &[
        "We have changed the configuration on our side. Could you check whether it is fine now?",
        "Still on it: we have everything we need and are checking with our supplier.",
        "We have e-mailed you the details; let us know if anything is unclear.",
    ],
    note: &[
        "Checked remotely: looks like a configuration issue on their side.",
        "Spoke to the account manager: worth looking after, they are thinking of expanding.",
        "Asked accounts; they will look at it this week.",
        "Same symptom as last month; see this client's previous ticket.",
    ],
    thanks: &[
        "Confirmed, all sorted. Thank you!",
        "Perfect, everything is fine on our side now.",
    ],
    solved: &[
        "Resolved: we have fixed the problem. If it happens again, just reply to this message.",
        "All fixed, and we have e-mailed you the details. Thanks for your patience.",
    ],
    reopen: &[
        "It happened again this morning.",
        "Sorry, but we still have the same problem.",
    ],
    pending: &[
        "Waiting for details from the client",
        "Waiting for the client's answer",
    ],
    hold: [
        "Waiting for a replacement part",
        "Waiting for the month-end close",
        "Waiting for another team",
    ],
};

impl Lang {
    fn words(self) -> &'static Words {
        match self {
            Lang::Es => &ES,
            Lang::En => &EN,
        }
    }
}

/// One thing that happens to a ticket after it is opened.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    /// An agent's public reply.
    Reply(&'static str),
    /// An agent's internal note.
    Note(&'static str),
    /// The customer's message.
    Customer(&'static str),
    /// A change of status, with its reason.
    Status(TicketStatus, Option<&'static str>),
    /// The client's satisfaction score.
    Score(i64),
}

impl Step {
    fn is_comment(self) -> bool {
        matches!(self, Self::Reply(_) | Self::Note(_) | Self::Customer(_))
    }
}

/// One of `items`, drawn.
fn say(dice: &mut Dice, items: &'static [&'static str]) -> &'static str {
    dice.pick::<&str>(items)
}

/// A story's steps, each at a share of its resolution target after it was opened.
fn script(story: &Story, dice: &mut Dice) -> Vec<(f64, Step)> {
    let w = story.lang.words();
    let age = story.age;
    let mut steps = Vec::new();
    if story.fate != New {
        steps.push((0.01, Step::Status(TicketStatus::Open, None)));
    }
    match story.fate {
        New => {
            if age > 0.1 {
                steps.push((age / 2.0, Step::Note(say(dice, w.note))));
            }
        }
        Open => {
            steps.push((0.02, Step::Reply(say(dice, w.first))));
            if age >= 0.25 {
                steps.push((age * 0.5, Step::Customer(say(dice, w.follow_up))));
                steps.push((age * 0.5 + 0.02, Step::Reply(say(dice, w.update))));
                steps.push((age * 0.7, Step::Note(say(dice, w.note))));
            }
        }
        PendingCustomer => {
            steps.push((0.02, Step::Reply(say(dice, w.question))));
            let why = say(dice, w.pending);
            steps.push((
                0.025,
                Step::Status(TicketStatus::PendingCustomer, Some(why)),
            ));
        }
        OnHold => {
            steps.push((0.02, Step::Reply(say(dice, w.first))));
            steps.push((0.04, Step::Note(say(dice, w.note))));
            let why = w.hold[story.desk as usize];
            steps.push((0.05, Step::Status(TicketStatus::OnHold, Some(why))));
        }
        Resolved(score) | Closed(score) => {
            steps.push((0.02, Step::Reply(say(dice, w.first))));
            steps.push((0.15, Step::Customer(say(dice, w.follow_up))));
            steps.push((0.17, Step::Reply(say(dice, w.update))));
            // One in five was solved late: the history behind the compliance figures.
            let solved = if dice.chance(20) {
                1.2
            } else {
                dice.range(35, 75) as f64 / 100.0
            };
            steps.push((solved - 0.04, Step::Customer(say(dice, w.thanks))));
            steps.push((solved - 0.02, Step::Reply(say(dice, w.solved))));
            steps.push((solved, Step::Status(TicketStatus::Resolved, None)));
            if let Some(score) = score {
                steps.push((solved + 0.05, Step::Score(score)));
            }
            if matches!(story.fate, Closed(_)) {
                steps.push((solved + 0.3, Step::Status(TicketStatus::Closed, None)));
            }
        }
        Reopened => {
            steps.extend([
                (0.02, Step::Reply(say(dice, w.first))),
                (0.38, Step::Reply(say(dice, w.solved))),
                (0.4, Step::Status(TicketStatus::Resolved, None)),
                (0.5, Step::Customer(say(dice, w.reopen))),
                (0.51, Step::Status(TicketStatus::Open, None)),
                (0.53, Step::Reply(say(dice, w.update))),
                (0.78, Step::Reply(say(dice, w.solved))),
                (0.8, Step::Status(TicketStatus::Resolved, None)),
                (0.85, Step::Score(4)),
                (1.0, Step::Status(TicketStatus::Closed, None)),
            ]);
        }
    }
    steps
}

/// A story's script and how many seconds (under five minutes) before its age it was opened.
fn draw(story: &Story, dice: &mut Dice) -> (Vec<(f64, Step)>, Duration) {
    let script = script(story, dice);
    (script, Duration::seconds(dice.range(0, 299)))
}

/// A ticket's story laid on the calendar: when it was opened, and when each step happened.
#[derive(Debug, Clone)]
struct Plan {
    opened: DateTime<Utc>,
    steps: Vec<(DateTime<Utc>, Step)>,
}

impl Plan {
    fn comments(&self) -> usize {
        self.steps.iter().filter(|(_, s)| s.is_comment()).count()
    }
}

fn whole_second(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(at.timestamp(), 0).unwrap_or(at)
}

/// The latest instant (to 20 seconds) from which `minutes` of business time have passed by
/// `now`.
fn business_ago(calendar: &BusinessCalendar, now: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
    let mut span = Duration::minutes(minutes.max(1));
    while calendar.business_minutes_between(now - span, now) < minutes
        && span < Duration::days(3650)
    {
        span = span * 2;
    }
    let (mut early, mut late) = (now - span, now);
    while late - early > Duration::seconds(20) {
        let middle = early + (late - early) / 2;
        if calendar.business_minutes_between(middle, now) >= minutes {
            early = middle;
        } else {
            late = middle;
        }
    }
    early
}

/// Each step at least a second after the one before, the last a minute before `now` at most.
fn in_order(opened: DateTime<Utc>, steps: &mut [(DateTime<Utc>, Step)], now: DateTime<Utc>) {
    let mut earliest = opened + Duration::seconds(1);
    for (at, _) in steps.iter_mut() {
        *at = (*at).max(earliest);
        earliest = *at + Duration::seconds(1);
    }
    let mut latest = now - Duration::minutes(1);
    for (at, _) in steps.iter_mut().rev() {
        *at = (*at).min(latest);
        latest = *at - Duration::seconds(1);
    }
}

/// A story's script laid on its policy's calendar, seen from `now`; opened `jitter` earlier
/// than its age says (a few minutes at most: people do not write on the minute).
fn plan(
    story: &Story,
    (script, jitter): (Vec<(f64, Step)>, Duration),
    policy: &Policy,
    now: DateTime<Utc>,
) -> Plan {
    let resolution = policy
        .targets(story.priority)
        .resolution_minutes
        .unwrap_or(24 * 60) as f64;
    let minutes = |share: f64| (share * resolution).round() as i64;
    let calendar = &policy.calendar;
    let opened = whole_second(business_ago(calendar, now, minutes(story.age)) - jitter);
    let mut steps: Vec<(DateTime<Utc>, Step)> = script
        .into_iter()
        .map(|(share, step)| {
            let at = calendar.add_business(opened, minutes(share)).unwrap_or(now);
            (whole_second(at), step)
        })
        .collect();
    in_order(opened, &mut steps, now);
    Plan { opened, steps }
}

/// Whether the tenant has ticket categories already (the demo's, or its own).
pub(super) async fn filled_already(scope: &mut Scope) -> Result<bool> {
    Ok(!db::ticket_categories::list(&mut scope.tx).await?.is_empty())
}

/// Creates the demo's categories (and the office calendar), by desk; None when another fill
/// created the first one meanwhile.
async fn open_desks(scope: &mut Scope, owners: &Owners) -> Result<Option<[Uuid; 3]>> {
    let mut calendar = None;
    let mut ids = [Uuid::nil(); 3];
    for desk in Desk::ALL {
        if desk.office_hours() && calendar.is_none() {
            calendar = Some(
                tickets::calendars::create(scope, office_calendar())
                    .await?
                    .value
                    .id,
            );
        }
        let input = CategoryInput {
            name: Some(desk.name().to_owned()),
            calendar_id: Some(calendar.filter(|_| desk.office_hours())),
            sla: Some(desk.sla()),
            default_priority: Some(Some(desk.default_priority().as_str().to_owned())),
            warn_at_percent: Some(80),
            team_lead_id: Some(owners.pick(Some(desk.lead_role()))),
        };
        // A concurrent fill waits on the first name, then finds it taken: this one gives way.
        ids[desk as usize] = match tickets::categories::create(scope, input).await {
            Err(Error::Conflict { .. }) => return Ok(None),
            other => other?.value.id,
        };
    }
    Ok(Some(ids))
}

/// The demo's clients (not leads) who open tickets: by language, and by whether their tier
/// raises their tickets' priority.
struct Customers {
    /// Spanish, Spanish premium, English, English premium.
    pools: [Vec<Uuid>; 4],
    taken: [usize; 4],
}

impl Customers {
    async fn load(scope: &mut Scope) -> Result<Self> {
        let filter = db::clients::Filter {
            status: Some("client".to_owned()),
            sort: Some(db::clients::Sort::Oldest),
            limit: 1000,
            ..Default::default()
        };
        let mut pools: [Vec<Uuid>; 4] = Default::default();
        for client in db::clients::list(&mut scope.tx, &filter).await? {
            let country = client.address.as_ref().and_then(|a| a.get("country"));
            let english = country.and_then(Value::as_str) == Some("GB");
            let premium = client
                .tags
                .iter()
                .any(|t| PREMIUM_TIERS.contains(&t.as_str()));
            pools[usize::from(english) * 2 + usize::from(premium)].push(client.id);
        }
        Ok(Self {
            pools,
            taken: [0; 4],
        })
    }

    /// The next client of the story's language, of a premium tier as the story says (any of
    /// the language when there is none).
    fn next(&mut self, story: &Story) -> Option<Uuid> {
        let base = if story.lang == Lang::En { 2 } else { 0 };
        let wanted = base + usize::from(story.premium);
        let pool = if self.pools[wanted].is_empty() {
            base
        } else {
            wanted
        };
        let clients = &self.pools[pool];
        let client = *clients.get(self.taken[pool] % clients.len().max(1))?;
        self.taken[pool] += 1;
        Some(client)
    }
}

/// A client's first contact not erased, who writes the customer's messages.
async fn contact_of(scope: &mut Scope, client_id: Uuid) -> Result<Option<Uuid>> {
    let contacts = db::contacts::list_for_client(&mut scope.tx, client_id, None, 10).await?;
    Ok(contacts
        .into_iter()
        .find(|c| c.erased_at.is_none())
        .map(|c| c.id))
}

/// One ticket to open: its story, its plan, its client and assignee.
struct Planned {
    story: &'static Story,
    plan: Plan,
    client_id: Uuid,
    assignee: Option<Uuid>,
}

/// Gives the tenant the demo's help desk and tickets (opened by the support user); false when
/// another fill got there first.
pub(super) async fn add(
    scope: &mut Scope,
    owners: &Owners,
    now: DateTime<Utc>,
    counts: &mut DemoCounts,
) -> Result<bool> {
    scope.actor = acting(owners.pick(Some("admin")));
    let Some(desks) = open_desks(scope, owners).await? else {
        return Ok(false);
    };
    let policies = policies(scope, &desks).await?;
    let mut customers = Customers::load(scope).await?;
    let (support, admin) = (owners.pick(Some("support")), owners.pick(Some("admin")));
    let mut dice = Dice::new(SEED ^ 0x7111_C4E7);
    let mut planned = Vec::new();
    for story in STORIES {
        let drawn = draw(story, &mut dice);
        let assignee = match story.fate {
            New if dice.chance(50) => None,
            _ if dice.chance(20) => admin,
            _ => support,
        };
        let (Some(policy), Some(client_id)) = (
            policies.get(&desks[story.desk as usize]),
            customers.next(story),
        ) else {
            continue;
        };
        planned.push(Planned {
            plan: plan(story, drawn, policy, now),
            story,
            client_id,
            assignee,
        });
    }
    // Opened in the order of their stories, so the queue's newest first is true.
    planned.sort_by_key(|p| p.plan.opened);
    scope.actor = acting(support);
    for p in &planned {
        let category_id = desks[p.story.desk as usize];
        open(scope, category_id, p).await?;
        counts.tickets += 1;
        counts.ticket_comments += p.plan.comments();
    }
    refresh_due_times(scope, &desks).await?;
    scope.actor = Actor::system();
    Ok(true)
}

/// Opens one ticket and plays its story, each step dated at its moment.
async fn open(scope: &mut Scope, category_id: Uuid, p: &Planned) -> Result<()> {
    let story = p.story;
    let input = NewTicket {
        client_id: p.client_id,
        contact_id: contact_of(scope, p.client_id).await?,
        category_id: Some(category_id),
        title: story.title.to_owned(),
        description: Some(story.description.to_owned()),
        priority: story.triage.map(|_| story.priority.as_str().to_owned()),
        priority_reason: story.triage.map(str::to_owned),
        assignee_id: p.assignee,
        team: Some(story.desk.team().to_owned()),
    };
    let ticket = tickets::create(scope, input).await?.value;
    db::demo_tickets::backdate(&mut scope.tx, ticket.id, p.plan.opened).await?;
    for (at, step) in &p.plan.steps {
        take(scope, &ticket, *step, *at).await?;
        db::demo_tickets::backdate(&mut scope.tx, ticket.id, *at).await?;
    }
    Ok(())
}

/// One step of a ticket's story: a change through the ticket flow, or a comment.
async fn take(scope: &mut Scope, ticket: &TicketOut, step: Step, at: DateTime<Utc>) -> Result<()> {
    let patch = match step {
        Step::Status(to, why) => TicketPatch {
            status: Some(to.as_str().to_owned()),
            status_reason: why.map(str::to_owned),
            ..TicketPatch::default()
        },
        Step::Score(score) => TicketPatch {
            satisfaction: Some(score),
            ..TicketPatch::default()
        },
        _ => return comment(scope, ticket, step, at).await,
    };
    tickets::update(scope, ticket.id, patch, &Expected::Any).await?;
    Ok(())
}

/// A comment written at its moment `at`, through the comment flow.
async fn comment(
    scope: &mut Scope,
    ticket: &TicketOut,
    step: Step,
    at: DateTime<Utc>,
) -> Result<()> {
    let (body, public, author_kind) = match step {
        Step::Reply(body) => (body, true, "agent"),
        Step::Customer(body) => (body, true, "customer"),
        Step::Note(body) => (body, false, "agent"),
        Step::Status(..) | Step::Score(_) => return Ok(()),
    };
    let input = CommentInput {
        body: body.to_owned(),
        public,
        author_kind: Some(author_kind.to_owned()),
    };
    tickets::comments::add_at(scope, ticket.id, input, at).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use db::tickets::{PauseRow, TicketData};
    use domain::tickets::{CalendarSpec, PriorityInputs, suggest_priority};

    use super::*;
    use crate::tickets::sla::{due_times, sla_view};

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .map(|t| t.with_timezone(&Utc))
            .expect("time")
    }

    fn policy(desk: Desk) -> Policy {
        let calendar = if desk.office_hours() {
            let spec = CalendarSpec {
                time_zone: "Europe/Madrid".into(),
                weekly_hours: weekly_hours(),
                holidays: HOLIDAYS.iter().map(|d| (*d).to_owned()).collect(),
            };
            spec.validate().expect("the office calendar")
        } else {
            BusinessCalendar::always()
        };
        Policy {
            calendar,
            sla: desk.sla(),
            warn_at_percent: 80,
        }
    }

    /// The ticket a plan leaves behind, as the flows would keep it.
    fn replay(story: &Story, plan: &Plan) -> (TicketData, Vec<PauseRow>) {
        let mut d = TicketData {
            contact_id: None,
            category_id: None,
            title: story.title.into(),
            description: String::new(),
            status: "new".into(),
            priority: story.priority.as_str().into(),
            priority_reason: String::new(),
            assignee_id: None,
            team: None,
            first_response_at: None,
            last_customer_at: None,
            last_agent_reply_at: None,
            resolved_at: None,
            closed_at: None,
            satisfaction: None,
            next_due_at: None,
            next_warn_at: None,
        };
        let mut pauses: Vec<PauseRow> = Vec::new();
        let pause = |started_at, ended_at, reason: &str| PauseRow {
            ticket_id: Uuid::nil(),
            started_at,
            ended_at,
            reason: reason.into(),
            note: None,
        };
        for (at, step) in &plan.steps {
            let at = *at;
            match step {
                Step::Reply(_) => {
                    d.first_response_at.get_or_insert(at);
                    d.last_agent_reply_at = Some(at);
                }
                Step::Customer(_) => d.last_customer_at = Some(at),
                Step::Note(_) | Step::Score(_) => {}
                Step::Status(to, _) => {
                    let from = TicketStatus::parse(&d.status).expect("status");
                    assert!(
                        TicketStatus::can_change(from, *to).is_ok(),
                        "{}",
                        story.title
                    );
                    if from.is_paused()
                        && let Some(p) = pauses.last_mut()
                    {
                        p.ended_at = Some(at);
                    }
                    if !from.is_open() && to.is_open() {
                        if let Some(r) = d.resolved_at.take() {
                            pauses.push(pause(r, Some(at), "resolved"));
                        }
                        d.closed_at = None;
                    }
                    if to.is_paused() {
                        pauses.push(pause(at, None, to.as_str()));
                    }
                    match to {
                        TicketStatus::Resolved => d.resolved_at = Some(at),
                        TicketStatus::Closed => d.closed_at = Some(at),
                        _ => {}
                    }
                    d.status = to.as_str().into();
                }
            }
        }
        (d, pauses)
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Standing {
        Healthy,
        AtRisk,
        Breached,
    }

    /// How a story's ticket should stand in the queue: open ones by their age, new ones by
    /// their first response.
    fn expected(story: &Story) -> Standing {
        let (first, _, resolution) = story.desk.targets()[Priority::ALL
            .iter()
            .position(|p| *p == story.priority)
            .expect("priority")];
        let used = match story.fate {
            New => story.age * resolution as f64 / first as f64,
            Open => story.age,
            _ => 0.0,
        };
        match used {
            u if u >= 1.0 => Standing::Breached,
            u if u >= 0.8 => Standing::AtRisk,
            _ => Standing::Healthy,
        }
    }

    #[test]
    fn the_rules_give_the_stories_their_priority() {
        for story in STORIES.iter().filter(|s| s.triage.is_none()) {
            let text = format!("{}\n{}", story.title, story.description);
            let (priority, reason) = suggest_priority(&PriorityInputs {
                category_default: Some(story.desk.default_priority()),
                client_tier: story.premium.then_some("vip"),
                text: &text,
                ..PriorityInputs::default()
            });
            assert_eq!(priority, story.priority, "{}: {reason}", story.title);
        }
    }

    #[test]
    fn every_status_in_both_languages_most_healthy() {
        assert_eq!(STORIES.len(), 60);
        let count = |f: &dyn Fn(&Story) -> bool| STORIES.iter().filter(|s| f(s)).count();
        for fate in [New, Open, PendingCustomer, OnHold] {
            assert!(count(&|s| s.fate == fate) >= 4, "{fate:?}");
        }
        assert!(count(&|s| matches!(s.fate, Resolved(Some(_)))) >= 5);
        assert!(count(&|s| matches!(s.fate, Closed(_) | Reopened)) >= 8);
        assert!(count(&|s| s.lang == Lang::En) >= 15);
        let breached = count(&|s| expected(s) == Standing::Breached);
        let at_risk = count(&|s| expected(s) == Standing::AtRisk);
        assert!(breached >= 5 && at_risk >= 5, "{breached} {at_risk}");
        assert!(breached + at_risk < STORIES.len() / 3);
        for story in STORIES {
            assert!(story.title.chars().count() <= tickets::TITLE_CHARS);
        }
    }

    #[test]
    fn whenever_seeded_each_ticket_stands_as_its_story_says() {
        for now in [
            "2026-03-16T10:30:00Z", // a Monday morning
            "2026-03-20T14:50:00Z", // a Friday, after the office closed
            "2026-03-21T12:00:00Z", // a Saturday
            "2026-03-29T01:30:00Z", // the night clocks go forward
            "2026-04-03T09:00:00Z", // Good Friday
            "2026-08-17T07:05:00Z", // a Monday, five minutes into the day
            "2026-12-08T10:00:00Z", // a holiday on a Tuesday
            "2027-01-01T00:30:00Z", // New Year
        ]
        .map(at)
        {
            let mut dice = Dice::new(SEED);
            // Opened on the minute its age says, or as early as the jitter takes it.
            for (story, jitter) in STORIES.iter().flat_map(|s| [(s, 0), (s, 299)]) {
                let policy = policy(story.desk);
                let (script, _) = draw(story, &mut dice);
                let plan = plan(story, (script, Duration::seconds(jitter)), &policy, now);
                let mut last = plan.opened;
                for (step_at, step) in &plan.steps {
                    assert!(*step_at > last, "{now}: {}: {step:?}", story.title);
                    last = *step_at;
                }
                assert!(last < now, "{now}: {}", story.title);
                let (d, pauses) = replay(story, &plan);
                let times = due_times(plan.opened, &d, &pauses, Some(&policy), now).expect("due");
                let standing = match (times.due, times.warn) {
                    (Some(due), _) if due <= now => Standing::Breached,
                    (Some(_), Some(warn)) if warn <= now => Standing::AtRisk,
                    _ => Standing::Healthy,
                };
                assert_eq!(standing, expected(story), "{now}: {}", story.title);
                let view =
                    sla_view(plan.opened, &d, None, &pauses, Some(&policy), now).expect("view");
                assert_eq!(
                    view.at_risk,
                    standing == Standing::AtRisk,
                    "{now}: {}",
                    story.title
                );
                if d.status != "resolved" && d.status != "closed" {
                    assert_eq!(
                        view.breached,
                        standing == Standing::Breached,
                        "{now}: {}",
                        story.title
                    );
                }
            }
        }
    }
}
