//! The demo tenant's communications: its message templates (a Spanish welcome and follow-up
//! e-mail, an SMS reminder, an approved WhatsApp template), its e-mail channel pointed at the
//! local mail catcher (`scripts/mail-catcher.sh`, so what a newcomer sends lands in its inbox at
//! http://127.0.0.1:1080/), and about seven months of conversations with some of its clients
//! on every channel: our messages and the providers' reports on them, the clients' answers
//! (glad, matter-of-fact or upset, which the sentiment score shows), and logged calls.
//!
//! Every message goes through the module's flows, dated when the conversation says it
//! happened: ours through `send_at` and then, as no worker sends the past, marked accepted by
//! its provider (`demo::mark_sent_at`) and moved on by the provider's reports
//! (`inbound::apply_report`); the clients' through `inbound::receive`. The WhatsApp and SMS
//! channels hold the demo's made-up accounts while the history is written, and are switched
//! off after it: there is no provider behind them, so the console says so instead of failing
//! each message a newcomer sends.

use std::collections::HashSet;

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc, Weekday};
use db::audit::Actor;
use db::crypto::TenantCipher;
use domain::communications::{CallOutcome, Channel, Direction, MessageStatus};
use serde_json::Value;
use uuid::Uuid;

use super::dice::Dice;
use super::{DemoCounts, Owners, SEED, acting};
use crate::communications::channels::{self, ChannelInput};
use crate::communications::inbound::{self, InboundMessage, StatusReport};
use crate::communications::templates::{self, TemplateInput};
use crate::communications::{self as comms, NewMessage};
use crate::{Error, Result, Scope};

/// Of every hundred live clients, how many have conversations.
const SHARE: i64 = 40;
/// How far back the conversations go (about seven months).
const DAYS: i64 = 210;
/// The most conversations one client has.
const MOST_THREADS: i64 = 4;

/// The demo's templates, in the order they are created: the first one's name marks a tenant
/// that has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Welcome,
    FollowUp,
    Reminder,
    WhatsappFollowUp,
}

impl Kind {
    const ALL: [Kind; 4] = [
        Kind::Welcome,
        Kind::FollowUp,
        Kind::Reminder,
        Kind::WhatsappFollowUp,
    ];

    fn input(self) -> TemplateInput {
        let (name, channel, subject, body) = match self {
            Kind::Welcome => (
                "Bienvenida",
                "email",
                Some("Bienvenidos, {{clientName}}"),
                "Hola {{contactName}}:\n\nGracias por confiar en nosotros. Desde hoy, \
                 {{today}}, soy la persona de contacto de {{clientName}} para lo que \
                 necesitéis: pedidos, dudas o cualquier cambio.\n\nUn cordial saludo,\n\
                 {{ownerName}}",
            ),
            Kind::FollowUp => (
                "Seguimiento",
                "email",
                Some("¿Qué tal va todo, {{clientName}}?"),
                "Hola {{contactName}}:\n\nTe escribo para saber qué tal os va con nuestro \
                 servicio y si hay algo en lo que podamos ayudaros este mes.\n\nQuedo a tu \
                 disposición.\n\n{{ownerName}}",
            ),
            Kind::Reminder => (
                "Recordatorio de cita (SMS)",
                "sms",
                None,
                "Hola {{contactName}}, le recordamos su cita con {{ownerName}}. Si necesita \
                 cambiarla, responda a este mensaje.",
            ),
            Kind::WhatsappFollowUp => (
                "Seguimiento (WhatsApp)",
                "whatsapp",
                None,
                "Hola {{contactName}}, soy {{ownerName}}. ¿Tienes un momento para hablar de \
                 {{clientName}}?",
            ),
        };
        TemplateInput {
            name: Some(name.to_owned()),
            channel: Some(channel.to_owned()),
            subject: subject.map(str::to_owned),
            body: Some(body.to_owned()),
            provider_name: (self == Kind::WhatsappFollowUp).then(|| "seguimiento_cliente".into()),
            provider_language: (self == Kind::WhatsappFollowUp).then(|| "es".into()),
        }
    }
}

/// The e-mail channel on the local mail catcher; the WhatsApp and SMS channels on made-up
/// accounts (switched off once the history is written).
pub(super) fn channel_settings(channel: Channel, enabled: bool) -> ChannelInput {
    let base = ChannelInput {
        enabled,
        ..ChannelInput::default()
    };
    match channel {
        Channel::Email => ChannelInput {
            host: Some("127.0.0.1".into()),
            port: Some(1025),
            security: Some("none".into()),
            from_address: Some("demo@crm.localhost".into()),
            from_name: Some("CRM demo".into()),
            ..base
        },
        Channel::Whatsapp => ChannelInput {
            phone_number_id: Some("100000000000001".into()),
            access_token: Some("demo-access-token".into()),
            app_secret: Some("demo-app-secret".into()),
            verify_token: Some("demo-verify-token".into()),
            ..base
        },
        Channel::Sms => ChannelInput {
            account_sid: Some("AC00000000000000000000000000000000".into()),
            auth_token: Some("demo-auth-token".into()),
            from: Some("+34600000000".into()),
            ..base
        },
        Channel::Phone => base,
    }
}

/// The language a client is written to in: English for a British one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    Es,
    En,
}

/// How a client feels when it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mood {
    Glad,
    Plain,
    Upset,
}

/// The clients' answers, by language and mood: the sentiment score reads each as its mood.
fn answers(lang: Lang, mood: Mood) -> &'static [&'static str] {
    match (lang, mood) {
        (Lang::Es, Mood::Glad) => &[
            "¡Muchas gracias! Todo perfecto, estamos muy contentos con el servicio.",
            "Genial, justo lo que necesitábamos. Gracias por la rapidez.",
            "Excelente atención, como siempre. ¡Seguimos en contacto!",
        ],
        (Lang::Es, Mood::Plain) => &[
            "Recibido. Lo revisamos esta semana y le decimos algo.",
            "De acuerdo, lo comento con mi socio y le contesto.",
            "Le paso los datos que nos pide el lunes.",
        ],
        (Lang::Es, Mood::Upset) => &[
            "Seguimos sin recibir el pedido y nadie nos contesta. Es un desastre.",
            "La última factura está mal otra vez. Estamos muy decepcionados.",
            "El servicio ha sido pésimo este mes y estamos pensando en cambiar de proveedor.",
        ],
        (Lang::En, Mood::Glad) => &[
            "Thank you so much! Everything is perfect, we are really happy with it.",
            "Great, that is exactly what we needed. Thanks for the quick reply!",
            "Excellent service as always. Much appreciated!",
        ],
        (Lang::En, Mood::Plain) => &[
            "Received. We will look at it this week and get back to you.",
            "Noted, I will check with my colleague and reply.",
            "I will send you the figures on Monday.",
        ],
        (Lang::En, Mood::Upset) => &[
            "We still have not received the order and nobody answers. This is terrible.",
            "The last invoice is wrong again. We are very disappointed.",
            "The service has been awful this month and we are thinking of leaving.",
        ],
    }
}

/// What we write by hand: e-mail subjects and bodies, chat and SMS answers, call notes.
struct Words {
    subject: &'static [&'static str],
    email: &'static [&'static str],
    reply: &'static [&'static str],
    sms: &'static str,
    call: &'static [&'static str],
    missed: &'static str,
}

const ES: Words = Words {
    subject: &[
        "Propuesta actualizada",
        "Su pedido de este mes",
        "Nueva tarifa para el próximo trimestre",
    ],
    email: &[
        "Buenos días:\n\nLe adjunto la propuesta con los cambios que comentamos. Cualquier \
         duda, quedo a su disposición.",
        "Buenos días:\n\nLe confirmo que su pedido sale esta semana. Le avisaré cuando esté en \
         camino.",
    ],
    reply: &[
        "Gracias por avisar. Lo revisamos hoy mismo y le digo algo.",
        "Entendido, lo dejamos resuelto esta semana.",
        "Perfecto, lo anoto. Gracias.",
    ],
    sms: "Su pedido ha salido hoy. Le llegará en 24-48 horas.",
    call: &[
        "Repasamos el pedido del mes y las fechas de entrega.",
        "Quiere una demostración para su equipo la próxima semana.",
        "Pregunta por la nueva tarifa; le enviaré la propuesta por correo.",
    ],
    missed: "No contesta; lo intento de nuevo mañana.",
};

const EN: Words = Words {
    subject: &[
        "Updated proposal",
        "Your order this month",
        "New prices for next quarter",
    ],
    email: &[
        "Good morning,\n\nPlease find the proposal with the changes we discussed. Let me \
         know if anything is unclear.",
        "Good morning,\n\nYour order ships this week; I will let you know when it is on its \
         way.",
    ],
    reply: &[
        "Thanks for letting us know. We are looking into it today.",
        "Understood, we will sort it out this week.",
        "Noted, thank you.",
    ],
    sms: "Your order shipped today and should arrive within 2 working days.",
    call: &[
        "Went through this month's order and delivery dates.",
        "Wants a demo for their team next week.",
        "Asked about the new prices; I will e-mail the proposal.",
    ],
    missed: "No answer; will try again tomorrow.",
};

impl Lang {
    fn words(self) -> &'static Words {
        match self {
            Lang::Es => &ES,
            Lang::En => &EN,
        }
    }
}

/// What our message says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Say {
    Template(Kind),
    Written {
        subject: Option<&'static str>,
        body: &'static str,
    },
}

/// How far the provider's reports take one of our messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Sent,
    Delivered,
    Read,
    Failed(&'static str),
}

/// One moment of a conversation.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    /// We write; the provider accepts it seconds later and reports how far it got.
    Out {
        channel: Channel,
        say: Say,
        fate: Fate,
    },
    /// The client writes (the counterpart of our last message on `channel`).
    In {
        channel: Channel,
        body: &'static str,
    },
    /// A call is logged.
    Call {
        direction: Direction,
        outcome: CallOutcome,
        seconds: i64,
        notes: &'static str,
    },
}

/// What is known of a client when its conversations are drawn.
#[derive(Debug, Clone, Copy)]
struct Whom {
    lang: Lang,
    /// Set inactive or lost: its answers are upset more often.
    gone: bool,
    /// Can be written to by WhatsApp and SMS (its contact has a mobile number).
    mobile: bool,
}

impl Whom {
    fn mood(self, dice: &mut Dice) -> Mood {
        if self.gone {
            dice.weighted(&[(Mood::Glad, 10), (Mood::Plain, 40), (Mood::Upset, 50)])
        } else {
            dice.weighted(&[(Mood::Glad, 45), (Mood::Plain, 40), (Mood::Upset, 15)])
        }
    }
}

/// A moment in working hours (Madrid, roughly) `days_ago` days before `now`, moved off the
/// weekend.
fn working_moment(dice: &mut Dice, now: DateTime<Utc>, days_ago: i64) -> DateTime<Utc> {
    let mut day = (now - Duration::days(days_ago)).date_naive();
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day -= Duration::days(1);
    }
    let (hour, minute) = (dice.range(7, 15) as u32, dice.range(0, 59) as u32);
    let at = day.and_hms_opt(hour, minute, dice.range(0, 59) as u32);
    at.map_or(now - Duration::days(days_ago), |t| {
        Utc.from_utc_datetime(&t)
    })
}

/// An e-mail thread: ours (a template in Spanish, else written), perhaps the client's answer a
/// few hours later, perhaps ours back.
fn email_thread(dice: &mut Dice, whom: Whom, first: bool) -> Vec<(i64, Step)> {
    let w = whom.lang.words();
    let say = match whom.lang {
        Lang::Es if first => Say::Template(Kind::Welcome),
        Lang::Es if dice.chance(60) => Say::Template(Kind::FollowUp),
        _ => Say::Written {
            subject: Some(*dice.pick(w.subject)),
            body: dice.pick::<&str>(w.email),
        },
    };
    let out = |say| Step::Out {
        channel: Channel::Email,
        say,
        fate: Fate::Sent,
    };
    let mut steps = vec![(0, out(say))];
    if dice.chance(70) {
        let mood = whom.mood(dice);
        let body = *dice.pick(answers(whom.lang, mood));
        let answered = dice.range(2 * 60, 26 * 60);
        steps.push((
            answered,
            Step::In {
                channel: Channel::Email,
                body,
            },
        ));
        if mood != Mood::Glad || dice.chance(30) {
            let reply = Say::Written {
                subject: Some(*dice.pick(w.subject)),
                body: dice.pick::<&str>(w.reply),
            };
            steps.push((answered + dice.range(30, 240), out(reply)));
        }
    }
    steps
}

/// A WhatsApp thread: the approved template opens it (a few never arrive); inside the client's
/// 24-hour window we answer in free text.
fn whatsapp_thread(dice: &mut Dice, whom: Whom) -> Vec<(i64, Step)> {
    let out = |say, fate| Step::Out {
        channel: Channel::Whatsapp,
        say,
        fate,
    };
    let opened = dice.weighted(&[
        (Fate::Read, 80),
        (Fate::Delivered, 14),
        (
            Fate::Failed("131026: message undeliverable (not a WhatsApp number)"),
            6,
        ),
    ]);
    let mut steps = vec![(0, out(Say::Template(Kind::WhatsappFollowUp), opened))];
    if opened == Fate::Read && dice.chance(80) {
        let mood = whom.mood(dice);
        let answered = dice.range(10, 180);
        let body = *dice.pick(answers(whom.lang, mood));
        steps.push((
            answered,
            Step::In {
                channel: Channel::Whatsapp,
                body,
            },
        ));
        let reply = Say::Written {
            subject: None,
            body: dice.pick::<&str>(whom.lang.words().reply),
        };
        steps.push((answered + dice.range(5, 90), out(reply, Fate::Read)));
    }
    steps
}

/// An SMS: the appointment reminder (Spanish) or a shipping notice; a few never arrive.
fn sms_thread(dice: &mut Dice, whom: Whom) -> Vec<(i64, Step)> {
    let say = match whom.lang {
        Lang::Es if dice.chance(60) => Say::Template(Kind::Reminder),
        lang => Say::Written {
            subject: None,
            body: lang.words().sms,
        },
    };
    let fate = if dice.chance(25) {
        Fate::Failed("30006: landline or unreachable carrier")
    } else {
        Fate::Delivered
    };
    let mut steps = vec![(
        0,
        Step::Out {
            channel: Channel::Sms,
            say,
            fate,
        },
    )];
    if fate == Fate::Delivered && dice.chance(30) {
        let body = *dice.pick(answers(whom.lang, Mood::Plain));
        steps.push((
            dice.range(5, 120),
            Step::In {
                channel: Channel::Sms,
                body,
            },
        ));
    }
    steps
}

/// A call we make (answered, or not and tried again the next day), or one the client makes.
fn call_thread(dice: &mut Dice, whom: Whom) -> Vec<(i64, Step)> {
    let w = whom.lang.words();
    let held = |dice: &mut Dice, direction| Step::Call {
        direction,
        outcome: CallOutcome::Answered,
        seconds: dice.range(90, 1500),
        notes: dice.pick::<&str>(w.call),
    };
    if dice.chance(25) {
        return vec![(0, held(dice, Direction::Inbound))];
    }
    if dice.chance(70) {
        return vec![(0, held(dice, Direction::Outbound))];
    }
    let outcome = dice.weighted(&[(CallOutcome::NoAnswer, 3), (CallOutcome::Voicemail, 2)]);
    let missed = Step::Call {
        direction: Direction::Outbound,
        outcome,
        seconds: if outcome == CallOutcome::Voicemail {
            40
        } else {
            0
        },
        notes: w.missed,
    };
    vec![(0, missed), (24 * 60, held(dice, Direction::Outbound))]
}

/// The client's conversations, oldest first: each step at its moment, all before `now`.
fn conversations(dice: &mut Dice, whom: Whom, now: DateTime<Utc>) -> Vec<(DateTime<Utc>, Step)> {
    let threads = dice.range(1, MOST_THREADS);
    let mut starts: Vec<i64> = (0..threads).map(|_| dice.range(3, DAYS)).collect();
    starts.sort_unstable_by(|a, b| b.cmp(a));
    let mut steps = Vec::new();
    for (i, days_ago) in starts.into_iter().enumerate() {
        let start = working_moment(dice, now, days_ago);
        let channels: &[(Channel, i64)] = if whom.mobile {
            &[
                (Channel::Email, 45),
                (Channel::Phone, 25),
                (Channel::Whatsapp, 18),
                (Channel::Sms, 12),
            ]
        } else {
            &[(Channel::Email, 65), (Channel::Phone, 35)]
        };
        let thread = match dice.weighted(channels) {
            Channel::Email => email_thread(dice, whom, i == 0),
            Channel::Whatsapp => whatsapp_thread(dice, whom),
            Channel::Sms => sms_thread(dice, whom),
            Channel::Phone => call_thread(dice, whom),
        };
        for (minutes, step) in thread {
            steps.push((start + Duration::minutes(minutes), step));
        }
    }
    // Threads on close days may interleave; the WhatsApp window holds within each.
    steps.sort_by_key(|(at, _)| *at);
    steps
}

/// A demo client with conversations.
struct Client {
    id: Uuid,
    owner: Option<Uuid>,
    whom: Whom,
    /// Its first contact: who is written to.
    contact: Option<Uuid>,
}

/// The live clients of the tenant, by name (so the same ones are drawn on every machine), with
/// their first contact and whether that contact has a mobile number. Clients with an open
/// ticket are left out: a client's e-mail or WhatsApp message lands on its open ticket, and the
/// demo's tickets tell their own story.
async fn clients(scope: &mut Scope, cipher: &TenantCipher) -> Result<Vec<Client>> {
    let with_tickets = db::clients::Filter {
        has_open_tickets: true,
        limit: 2000,
        ..Default::default()
    };
    let busy: HashSet<Uuid> = db::clients::list(&mut scope.tx, &with_tickets)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let filter = db::clients::Filter {
        sort: Some(db::clients::Sort::Name),
        limit: 2000,
        ..Default::default()
    };
    let mut out = Vec::new();
    for c in db::clients::list(&mut scope.tx, &filter).await? {
        if busy.contains(&c.id) {
            continue;
        }
        let contacts = db::contacts::list_for_client(&mut scope.tx, c.id, None, 10).await?;
        let contact = contacts.into_iter().find(|p| p.erased_at.is_none());
        let phones: Vec<String> = match contact.as_ref().and_then(|p| p.phones_cipher.as_deref()) {
            Some(sealed) => serde_json::from_str(&cipher.decrypt(sealed)?)
                .map_err(|e| Error::Corrupt(e.to_string()))?,
            None => Vec::new(),
        };
        let country = c.address.as_ref().and_then(|a| a.get("country"));
        out.push(Client {
            id: c.id,
            owner: c.owner_id,
            whom: Whom {
                lang: if country.and_then(Value::as_str) == Some("GB") {
                    Lang::En
                } else {
                    Lang::Es
                },
                gone: matches!(c.status.as_str(), "inactive" | "lost"),
                mobile: !phones.is_empty(),
            },
            contact: contact.map(|p| p.id),
        });
    }
    Ok(out)
}

/// Whether the tenant has message templates already (the demo's, or its own).
pub(super) async fn filled_already(scope: &mut Scope) -> Result<bool> {
    Ok(!db::message_templates::list(&mut scope.tx, None)
        .await?
        .is_empty())
}

/// The demo's templates by kind; None when another fill created the first one meanwhile.
async fn create_templates(scope: &mut Scope, counts: &mut DemoCounts) -> Result<Option<[Uuid; 4]>> {
    let mut ids = [Uuid::nil(); 4];
    for (i, kind) in Kind::ALL.into_iter().enumerate() {
        // A concurrent fill waits on the first name, then finds it taken: this one gives way.
        ids[i] = match templates::create(scope, kind.input()).await {
            Err(Error::Conflict { .. }) => return Ok(None),
            other => other?.value.id,
        };
        counts.message_templates += 1;
    }
    Ok(Some(ids))
}

/// Gives the tenant the demo's templates, channels and conversations; false when another fill
/// got there first.
pub(super) async fn add(
    scope: &mut Scope,
    cipher: &TenantCipher,
    owners: &Owners,
    now: DateTime<Utc>,
    counts: &mut DemoCounts,
) -> Result<bool> {
    scope.actor = acting(owners.pick(Some("admin")));
    let Some(templates) = create_templates(scope, counts).await? else {
        return Ok(false);
    };
    for channel in [Channel::Email, Channel::Whatsapp, Channel::Sms] {
        channels::put(
            scope,
            cipher,
            channel.as_str(),
            channel_settings(channel, true),
        )
        .await?;
    }
    let mut dice = Dice::new(SEED ^ 0xC0_33E5);
    let sales = owners.pick(Some("sales"));
    for client in clients(scope, cipher).await? {
        if !dice.chance(SHARE) {
            continue;
        }
        let steps = conversations(&mut dice, client.whom, now);
        let mut talk = Talk {
            client: &client,
            templates: &templates,
            as_owner: acting(client.owner.or(sales)),
            last_to: Vec::new(),
            now,
        };
        for (at, step) in steps {
            talk.play(scope, cipher, &mut dice, at, step).await?;
            counts.communications += 1;
        }
    }
    scope.actor = acting(owners.pick(Some("admin")));
    for channel in [Channel::Whatsapp, Channel::Sms] {
        channels::put(
            scope,
            cipher,
            channel.as_str(),
            channel_settings(channel, false),
        )
        .await?;
    }
    scope.actor = Actor::system();
    Ok(true)
}

/// One client's conversations being written.
struct Talk<'a> {
    client: &'a Client,
    templates: &'a [Uuid; 4],
    /// Our side: the client's owner (else the sales user).
    as_owner: Actor,
    /// The address or number we last wrote to, by channel: where the client answers from.
    last_to: Vec<(Channel, String)>,
    now: DateTime<Utc>,
}

impl Talk<'_> {
    async fn play(
        &mut self,
        scope: &mut Scope,
        cipher: &TenantCipher,
        dice: &mut Dice,
        at: DateTime<Utc>,
        step: Step,
    ) -> Result<()> {
        match step {
            Step::Out { channel, say, fate } => {
                scope.actor = self.as_owner.clone();
                let sent = comms::send_at(
                    scope,
                    cipher,
                    self.client.id,
                    self.message(channel, say),
                    at,
                )
                .await?;
                self.last_to.retain(|(c, _)| *c != channel);
                self.last_to.push((channel, sent.counterpart.clone()));
                scope.actor = Actor::system();
                deliver(scope, dice, &sent, fate, at).await
            }
            Step::In { channel, body } => {
                scope.actor = Actor::system();
                let Some((_, from)) = self.last_to.iter().find(|(c, _)| *c == channel) else {
                    return Err(Error::Corrupt(format!("no message to answer on {channel}")));
                };
                let message = InboundMessage {
                    channel,
                    from: from.clone(),
                    subject: String::new(),
                    body: body.to_owned(),
                    provider_id: format!("demo-in-{}", Uuid::now_v7().simple()),
                    received_at: at,
                    sender_name: None,
                    in_reply_to: None,
                };
                let id = inbound::receive(scope, cipher, message).await?;
                // Read in the console, but for the last fortnight's.
                if let Some(id) = id.filter(|_| at < self.now - Duration::days(14)) {
                    comms::mark_seen(scope, id).await?;
                }
                Ok(())
            }
            Step::Call {
                direction,
                outcome,
                seconds,
                notes,
            } => {
                scope.actor = self.as_owner.clone();
                let call = NewMessage {
                    channel: Channel::Phone.as_str().to_owned(),
                    contact_id: self.contact(Channel::Phone),
                    body: Some(notes.to_owned()),
                    direction: Some(direction.as_str().to_owned()),
                    duration_seconds: Some(seconds),
                    outcome: Some(outcome.as_str().to_owned()),
                    ..NewMessage::default()
                };
                comms::send_at(scope, cipher, self.client.id, call, at).await?;
                scope.actor = Actor::system();
                Ok(())
            }
        }
    }

    /// The contact written to or called on `channel`: the first one, unless it has no phone
    /// number to call (then the client's own number is called).
    fn contact(&self, channel: Channel) -> Option<Uuid> {
        self.client
            .contact
            .filter(|_| channel == Channel::Email || self.client.whom.mobile)
    }

    /// Our message as the send flow takes it: to the client's first contact's address or
    /// mobile number.
    fn message(&self, channel: Channel, say: Say) -> NewMessage {
        let (subject, body, template_id) = match say {
            Say::Template(kind) => {
                let i = Kind::ALL
                    .iter()
                    .position(|k| *k == kind)
                    .unwrap_or_default();
                (None, None, Some(self.templates[i]))
            }
            Say::Written { subject, body } => {
                (subject.map(str::to_owned), Some(body.to_owned()), None)
            }
        };
        NewMessage {
            channel: channel.as_str().to_owned(),
            contact_id: self.contact(channel),
            subject,
            body,
            template_id,
            ..NewMessage::default()
        }
    }
}

/// Marks our message accepted by its provider a few seconds after `at`, then applies the
/// provider's reports up to its fate.
async fn deliver(
    scope: &mut Scope,
    dice: &mut Dice,
    sent: &comms::CommunicationOut,
    fate: Fate,
    at: DateTime<Utc>,
) -> Result<()> {
    let channel = Channel::parse(&sent.channel).map_err(|e| Error::Corrupt(e.0))?;
    let key = sent.id.simple();
    let provider_id = match channel {
        Channel::Email => integrations::mail::message_id_for(&sent.id.to_string(), "crm.localhost"),
        Channel::Whatsapp => format!("wamid.demo{key}"),
        _ => format!("SM{key}"),
    };
    let mut when = at + Duration::seconds(dice.range(2, 20));
    comms::demo::mark_sent_at(scope, sent.id, &provider_id, when).await?;
    let reports: &[MessageStatus] = match fate {
        Fate::Sent => &[],
        Fate::Delivered => &[MessageStatus::Delivered],
        Fate::Read => &[MessageStatus::Delivered, MessageStatus::Read],
        Fate::Failed(_) => &[MessageStatus::Failed],
    };
    for status in reports {
        // Read within the first minutes: before the client's answer, which comes later.
        when += Duration::seconds(dice.range(3, 90));
        let report = StatusReport {
            channel,
            provider_id: provider_id.clone(),
            client_reference: None,
            status: *status,
            reason: match fate {
                Fate::Failed(why) => Some(why.to_owned()),
                _ => None,
            },
            at: when,
        };
        inbound::apply_report(scope, report).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use domain::sentiment::{Sentiment, label, score};

    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-16T10:30:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn whom(lang: Lang, gone: bool, mobile: bool) -> Whom {
        Whom { lang, gone, mobile }
    }

    /// One client's conversation: its steps and when each happens.
    type Conversation = Vec<(DateTime<Utc>, Step)>;

    /// Conversations of many clients of every kind, as `add` draws them.
    fn drawn() -> Vec<(Whom, Conversation)> {
        let mut dice = Dice::new(SEED ^ 0xC0_33E5);
        let kinds = [
            whom(Lang::Es, false, true),
            whom(Lang::En, false, true),
            whom(Lang::Es, true, true),
            whom(Lang::Es, false, false),
        ];
        (0..400)
            .map(|i| {
                let w = kinds[i % kinds.len()];
                (w, conversations(&mut dice, w, now()))
            })
            .collect()
    }

    #[test]
    fn every_answer_reads_as_its_mood() {
        for lang in [Lang::Es, Lang::En] {
            for (mood, expected) in [
                (Mood::Glad, Sentiment::Positive),
                (Mood::Plain, Sentiment::Neutral),
                (Mood::Upset, Sentiment::Negative),
            ] {
                for answer in answers(lang, mood) {
                    assert_eq!(
                        label(score(answer)),
                        expected,
                        "{answer}: {}",
                        score(answer)
                    );
                }
            }
        }
    }

    #[test]
    fn templates_use_the_standard_variables_and_are_spanish() {
        for kind in Kind::ALL {
            let input = kind.input();
            let body = input.body.unwrap_or_default();
            let parsed = domain::templates::Template::parse(&body, &[]);
            assert!(parsed.is_ok(), "{kind:?}: {parsed:?}");
            assert!(body.contains("{{contactName}}"), "{kind:?}");
            assert_eq!(
                input.provider_name.is_some(),
                input.channel.as_deref() == Some("whatsapp")
            );
        }
        let welcome = Kind::Welcome.input().body.unwrap_or_default();
        for var in ["{{clientName}}", "{{ownerName}}", "{{today}}"] {
            assert!(welcome.contains(var), "{var}");
        }
    }

    #[test]
    fn conversations_are_past_in_order_and_keep_the_channels_rules() {
        for (w, steps) in drawn() {
            assert!(!steps.is_empty());
            assert!(steps.windows(2).all(|s| s[0].0 <= s[1].0));
            let mut last_inbound_whatsapp: Option<DateTime<Utc>> = None;
            let mut written_to: Vec<Channel> = Vec::new();
            for (at, step) in &steps {
                assert!(*at < now() - Duration::hours(6), "{at}");
                assert!(*at > now() - Duration::days(DAYS + 4), "{at}");
                match step {
                    Step::Out { channel, say, .. } => {
                        assert!(w.mobile || !matches!(channel, Channel::Whatsapp | Channel::Sms));
                        let free_whatsapp =
                            *channel == Channel::Whatsapp && matches!(say, Say::Written { .. });
                        if free_whatsapp {
                            let last = last_inbound_whatsapp.expect("the client wrote first");
                            assert!(*at - last < Duration::hours(24), "{at} {last}");
                        }
                        if let Say::Template(kind) = say {
                            assert!(w.lang == Lang::Es || *kind == Kind::WhatsappFollowUp);
                        }
                        written_to.push(*channel);
                    }
                    Step::In { channel, .. } => {
                        assert!(written_to.contains(channel), "{channel}");
                        if *channel == Channel::Whatsapp {
                            last_inbound_whatsapp = Some(*at);
                        }
                    }
                    Step::Call { .. } => {}
                }
            }
        }
    }

    #[test]
    fn every_channel_and_mood_is_drawn() {
        let all = drawn();
        let steps = || {
            all.iter()
                .flat_map(|(_, s)| s.iter().map(|(_, step)| *step))
        };
        for channel in Channel::ALL {
            let used = steps().any(|s| match s {
                Step::Out { channel: c, .. } | Step::In { channel: c, .. } => c == *channel,
                Step::Call { .. } => *channel == Channel::Phone,
            });
            assert!(used, "{channel}");
        }
        let labels: Vec<Sentiment> = steps()
            .filter_map(|s| match s {
                Step::In { body, .. } => Some(label(score(body))),
                _ => None,
            })
            .collect();
        for l in [Sentiment::Positive, Sentiment::Neutral, Sentiment::Negative] {
            assert!(labels.iter().filter(|x| **x == l).count() >= 20, "{l:?}");
        }
        assert!(steps().any(|s| matches!(
            s,
            Step::Out {
                fate: Fate::Failed(_),
                ..
            }
        )));
        assert!(steps().any(|s| matches!(
            s,
            Step::Call {
                direction: Direction::Inbound,
                ..
            }
        )));
    }
}
