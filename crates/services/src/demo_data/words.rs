//! The word lists demo companies and people are built from: Spanish and British company names,
//! people, places, sectors and what salespeople talk about. All invented here; e-mail domains
//! use the reserved `.example` top-level domain and British numbers Ofcom's drama ranges, so
//! no message a later module sends to demo data can reach anyone.

/// The sectors a company's trade belongs to, as the tenant (a Spanish company) names them.
pub(super) mod sector {
    pub const LOGISTICS: &str = "Logística y transporte";
    pub const INDUSTRY: &str = "Industria";
    pub const FOOD: &str = "Alimentación y bebidas";
    pub const CONSTRUCTION: &str = "Construcción";
    pub const TECHNOLOGY: &str = "Tecnología";
    pub const HOSPITALITY: &str = "Hostelería y turismo";
    pub const HEALTH: &str = "Salud";
    pub const SERVICES: &str = "Servicios profesionales";
    pub const ENERGY: &str = "Energía";
    pub const RETAIL: &str = "Comercio";
    pub const FASHION: &str = "Textil y moda";
    pub const MEDIA: &str = "Medios y comunicación";
}

/// The first word of a Spanish company's name, with its sector.
pub(super) const ES_TRADES: &[(&str, &str)] = &[
    ("Talleres", sector::INDUSTRY),
    ("Distribuciones", sector::LOGISTICS),
    ("Construcciones", sector::CONSTRUCTION),
    ("Transportes", sector::LOGISTICS),
    ("Suministros", sector::INDUSTRY),
    ("Industrias", sector::INDUSTRY),
    ("Comercial", sector::RETAIL),
    ("Bodegas", sector::FOOD),
    ("Conservas", sector::FOOD),
    ("Muebles", sector::RETAIL),
    ("Ferretería", sector::RETAIL),
    ("Panificadora", sector::FOOD),
    ("Ingeniería", sector::SERVICES),
    ("Consultoría", sector::SERVICES),
    ("Laboratorios", sector::HEALTH),
    ("Clínica Dental", sector::HEALTH),
    ("Gráficas", sector::MEDIA),
    ("Hoteles", sector::HOSPITALITY),
    ("Autocares", sector::HOSPITALITY),
    ("Aceites", sector::FOOD),
    ("Cerámicas", sector::CONSTRUCTION),
    ("Textiles", sector::FASHION),
    ("Confecciones", sector::FASHION),
    ("Instalaciones Eléctricas", sector::ENERGY),
    ("Solar", sector::ENERGY),
    ("Climatización", sector::CONSTRUCTION),
    ("Asesoría", sector::SERVICES),
    ("Software", sector::TECHNOLOGY),
    ("Sistemas", sector::TECHNOLOGY),
    ("Producciones", sector::MEDIA),
];

/// The proper name after a Spanish trade ("Talleres Moncayo").
pub(super) const ES_NAMES: &[&str] = &[
    "Moncayo",
    "Levante",
    "Cantábrico",
    "Guadalquivir",
    "Atlántico",
    "Miramar",
    "Peñalara",
    "Albarracín",
    "Sierra Nevada",
    "Costa Brava",
    "El Olivar",
    "Santa Lucía",
    "Los Pinares",
    "La Mancha",
    "Montes de Toledo",
    "Ribera",
    "Gredos",
    "Alhambra",
    "Valdemoro",
    "Navarro",
    "Hermanos Ruiz",
    "García",
    "Ortega",
    "Ibarra",
    "Mendizábal",
    "Vallés",
    "Txingudi",
    "Doñana",
    "Tramuntana",
    "Finisterre",
    "Montserrat",
    "Almanzora",
];

/// What may follow the proper name ("del Norte"); mostly nothing.
pub(super) const ES_TAILS: &[&str] = &[
    "",
    "",
    "",
    "",
    " del Norte",
    " del Sur",
    " y Asociados",
    " Hermanos",
    " Integral",
    " Global",
];

/// Spanish legal forms, how common each is, and the first letter of their CIF.
pub(super) const ES_FORMS: &[((&str, char), i64)] = &[
    (("S.L.", 'B'), 60),
    (("S.A.", 'A'), 20),
    (("S.L.U.", 'B'), 12),
    (("S. Coop.", 'F'), 8),
];

/// The first word of a British company's name.
pub(super) const EN_NAMES: &[&str] = &[
    "Northwind",
    "Ashford",
    "Kingsbridge",
    "Riverside",
    "Harbourside",
    "Oakwood",
    "Silverline",
    "Redbrook",
    "Westgate",
    "Pennine",
    "Greenfield",
    "Brightwater",
    "Blackthorn",
    "Hawthorne",
    "Larkspur",
    "Stonebridge",
    "Fairhaven",
    "Highgate",
    "Bramley",
    "Copperfield",
    "Thistle",
    "Wessex",
    "Cotswold",
    "Mersey",
];

/// The trade in a British company's name, with its sector.
pub(super) const EN_TRADES: &[(&str, &str)] = &[
    ("Logistics", sector::LOGISTICS),
    ("Freight", sector::LOGISTICS),
    ("Engineering", sector::INDUSTRY),
    ("Robotics", sector::INDUSTRY),
    ("Foods", sector::FOOD),
    ("Dairy", sector::FOOD),
    ("Analytics", sector::TECHNOLOGY),
    ("Software", sector::TECHNOLOGY),
    ("Textiles", sector::FASHION),
    ("Builders", sector::CONSTRUCTION),
    ("Interiors", sector::CONSTRUCTION),
    ("Consulting", sector::SERVICES),
    ("Imports", sector::RETAIL),
    ("Pharma", sector::HEALTH),
    ("Energy", sector::ENERGY),
    ("Media", sector::MEDIA),
    ("Print", sector::MEDIA),
    ("Hotels", sector::HOSPITALITY),
];

/// British legal forms and how common each is.
pub(super) const EN_FORMS: &[(&str, i64)] =
    &[("Ltd", 65), ("PLC", 10), ("LLP", 10), ("Group Ltd", 15)];

/// A Spanish city: name, region, first three digits of its postal codes, its landline prefix
/// and its province's code (the first two digits of a CIF's number).
pub(super) struct SpanishCity {
    pub name: &'static str,
    pub region: &'static str,
    pub postal: &'static str,
    pub landline: &'static str,
    pub province: &'static str,
}

const fn es(
    name: &'static str,
    region: &'static str,
    postal: &'static str,
    landline: &'static str,
    province: &'static str,
) -> SpanishCity {
    SpanishCity {
        name,
        region,
        postal,
        landline,
        province,
    }
}

pub(super) const ES_CITIES: &[SpanishCity] = &[
    es("Madrid", "Comunidad de Madrid", "280", "91", "28"),
    es("Madrid", "Comunidad de Madrid", "280", "91", "28"),
    es("Barcelona", "Cataluña", "080", "93", "08"),
    es("Valencia", "Comunitat Valenciana", "460", "96", "46"),
    es("Sevilla", "Andalucía", "410", "95", "41"),
    es("Bilbao", "País Vasco", "480", "94", "48"),
    es("Zaragoza", "Aragón", "500", "976", "50"),
    es("Málaga", "Andalucía", "290", "952", "29"),
    es("Vigo", "Galicia", "362", "986", "36"),
    es("Valladolid", "Castilla y León", "470", "983", "47"),
    es("Murcia", "Región de Murcia", "300", "968", "30"),
    es("Pamplona", "Navarra", "310", "948", "31"),
    es("Santander", "Cantabria", "390", "942", "39"),
];

pub(super) const ES_STREETS: &[&str] = &[
    "Calle Mayor",
    "Avenida de la Constitución",
    "Calle Real",
    "Calle del Carmen",
    "Avenida de la Libertad",
    "Calle San Francisco",
    "Calle de la Industria",
    "Plaza de España",
    "Ronda de Poniente",
    "Polígono Industrial El Prado, nave",
    "Polígono Industrial Los Llanos, parcela",
];

/// A British city: name, nation, postcode districts, and its drama-range landline prefix
/// (Ofcom keeps `+44 20 7946 0xxx`, `+44 161 496 0xxx` ... for fiction).
pub(super) struct BritishCity {
    pub name: &'static str,
    pub nation: &'static str,
    pub districts: &'static [&'static str],
    pub landline: &'static str,
}

pub(super) const EN_CITIES: &[BritishCity] = &[
    BritishCity {
        name: "London",
        nation: "England",
        districts: &["EC2A", "SE1", "W1D", "N1", "E14"],
        landline: "+44 20 7946 0",
    },
    BritishCity {
        name: "Manchester",
        nation: "England",
        districts: &["M1", "M4", "M15"],
        landline: "+44 161 496 0",
    },
    BritishCity {
        name: "Leeds",
        nation: "England",
        districts: &["LS1", "LS11"],
        landline: "+44 113 496 0",
    },
    BritishCity {
        name: "Bristol",
        nation: "England",
        districts: &["BS1", "BS2"],
        landline: "+44 117 496 0",
    },
    BritishCity {
        name: "Birmingham",
        nation: "England",
        districts: &["B1", "B3"],
        landline: "+44 121 496 0",
    },
    BritishCity {
        name: "Glasgow",
        nation: "Scotland",
        districts: &["G1", "G2"],
        landline: "+44 141 496 0",
    },
    BritishCity {
        name: "Edinburgh",
        nation: "Scotland",
        districts: &["EH1", "EH3"],
        landline: "+44 131 496 0",
    },
];

pub(super) const EN_STREETS: &[&str] = &[
    "High Street",
    "Station Road",
    "Church Lane",
    "Victoria Road",
    "Mill Lane",
    "Riverside Business Park, Unit",
    "Kings Road",
    "Queen Street",
];

pub(super) const ES_FIRST_NAMES: &[&str] = &[
    "María",
    "Carmen",
    "Lucía",
    "Marta",
    "Elena",
    "Laura",
    "Ana",
    "Isabel",
    "Pilar",
    "Cristina",
    "Sofía",
    "Nuria",
    "Begoña",
    "Montserrat",
    "Javier",
    "Antonio",
    "Manuel",
    "José",
    "David",
    "Daniel",
    "Carlos",
    "Miguel",
    "Alejandro",
    "Pablo",
    "Sergio",
    "Jorge",
    "Álvaro",
    "Raúl",
    "Iñaki",
    "Jordi",
];

pub(super) const ES_SURNAMES: &[&str] = &[
    "García",
    "Fernández",
    "González",
    "Rodríguez",
    "López",
    "Martínez",
    "Sánchez",
    "Pérez",
    "Gómez",
    "Martín",
    "Jiménez",
    "Ruiz",
    "Hernández",
    "Díaz",
    "Moreno",
    "Muñoz",
    "Álvarez",
    "Romero",
    "Navarro",
    "Torres",
    "Domínguez",
    "Vázquez",
    "Ramos",
    "Gil",
    "Serrano",
    "Molina",
    "Ortega",
    "Castro",
    "Iglesias",
    "Etxeberria",
    "Puig",
];

pub(super) const EN_FIRST_NAMES: &[&str] = &[
    "Oliver", "George", "Harry", "Jack", "Charlie", "Thomas", "James", "William", "Emily",
    "Olivia", "Amelia", "Isla", "Ava", "Sophie", "Grace", "Chloe", "Hannah", "Priya", "Mohammed",
    "Aisha", "Liam", "Fiona", "Rhys", "Siobhan",
];

pub(super) const EN_SURNAMES: &[&str] = &[
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Clarke",
    "Hughes", "Campbell", "Murray", "Khan", "Lewis",
];

pub(super) const ES_ROLES: &[&str] = &[
    "Gerente",
    "Responsable de compras",
    "Responsable de administración",
    "Responsable de logística",
    "Responsable de marketing",
    "Dirección general",
    "Dirección financiera",
    "CEO",
];

pub(super) const EN_ROLES: &[&str] = &[
    "Managing Director",
    "Head of Procurement",
    "Finance Director",
    "Operations Manager",
    "Office Manager",
    "Marketing Lead",
    "IT Manager",
];

/// The mailbox of a Spanish company beside `info@`.
pub(super) const ES_MAILBOXES: &[&str] = &["ventas", "compras", "administracion", "pedidos"];
/// The mailbox of a British company beside `info@`.
pub(super) const EN_MAILBOXES: &[&str] = &["sales", "accounts", "orders", "hello"];

/// Tags a salesperson puts on companies.
pub(super) const TAGS: &[&str] = &[
    "vip",
    "export",
    "pyme",
    "b2b",
    "recurring",
    "distributor",
    "public-sector",
    "priority",
    "trade-fair",
    "partner",
    "seasonal",
];

/// What a conversation with a lead was about.
pub(super) const PROSPECT_TOPICS: &[&str] = &[
    "introduction and first needs",
    "sent the product catalogue",
    "sent a price proposal",
    "followed up on the proposal",
    "booked a product demo",
    "answered questions about delivery times",
    "asked about their decision timeline",
    "shared two customer references",
    "adjusted the proposal to their volumes",
];

/// What a conversation with a client was about.
pub(super) const ACCOUNT_TOPICS: &[&str] = &[
    "confirmed the monthly order",
    "sent last month's invoice",
    "reviewed next quarter's volumes",
    "agreed the delivery schedule",
    "handled a complaint about a late delivery",
    "shared the new price list",
    "checked satisfaction after the installation",
    "discussed the contract renewal",
    "sent the quarterly usage report",
    "introduced the new account manager",
    "offered the spring promotion",
];

/// What a short message (WhatsApp, SMS) to a lead said.
pub(super) const SHORT_PROSPECT_TOPICS: &[&str] = &[
    "confirmed tomorrow's visit",
    "reminded them of the demo",
    "asked for a good time to call",
    "sent the link to the catalogue",
];

/// What a short message (WhatsApp, SMS) to a client said.
pub(super) const SHORT_ACCOUNT_TOPICS: &[&str] = &[
    "confirmed tomorrow's visit",
    "sent the tracking link",
    "reminded them of the meeting",
    "thanked them for the order",
    "asked for a good time to call",
];

/// How a lost lead ended.
pub(super) const LOSS_TOPICS: &[&str] = &[
    "they chose another supplier",
    "the project was cancelled on their side",
    "our price was above their budget",
    "no answer after three follow-ups",
];
