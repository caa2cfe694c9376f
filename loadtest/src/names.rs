//! Plausible Spanish company data from word lists: names, CIFs, e-mails, phones, addresses,
//! sectors and tags. Everything is drawn from the caller's seeded generator, so a seed gives the
//! same data set every time.

use rand::Rng;

pub const SURNAMES: &[&str] = &[
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
    "Alonso",
    "Gutiérrez",
    "Navarro",
    "Torres",
    "Domínguez",
    "Vázquez",
    "Ramos",
    "Gil",
    "Ramírez",
    "Serrano",
    "Blanco",
    "Molina",
    "Morales",
    "Suárez",
    "Ortega",
    "Delgado",
    "Castro",
    "Ortiz",
    "Rubio",
    "Marín",
    "Sanz",
    "Núñez",
    "Iglesias",
    "Medina",
    "Garrido",
    "Cortés",
    "Castillo",
    "Santos",
    "Lozano",
    "Guerrero",
    "Cano",
    "Prieto",
    "Méndez",
    "Cruz",
    "Calvo",
    "Gallego",
    "Vidal",
    "León",
    "Márquez",
    "Herrera",
    "Peña",
    "Flores",
    "Cabrera",
    "Campos",
    "Vega",
    "Fuentes",
    "Carrasco",
    "Díez",
    "Caballero",
    "Reyes",
    "Nieto",
    "Aguilar",
    "Pascual",
    "Santana",
    "Herrero",
    "Lorenzo",
    "Montero",
    "Hidalgo",
    "Giménez",
    "Ibáñez",
    "Ferrer",
    "Durán",
    "Santiago",
    "Benítez",
    "Mora",
    "Vicente",
    "Vargas",
    "Arias",
    "Carmona",
    "Crespo",
    "Román",
    "Pastor",
    "Soto",
    "Sáez",
    "Velasco",
    "Moya",
    "Soler",
    "Parra",
    "Esteban",
    "Bravo",
    "Gallardo",
    "Rojas",
    "Echeverría",
    "Urquijo",
    "Goikoetxea",
    "Etxeberria",
    "Puig",
    "Vila",
    "Casals",
    "Ferrándiz",
    "Llorente",
    "Quintana",
    "Bermúdez",
    "Villalobos",
    "Zamora",
    "Olmedo",
    "Cuesta",
    "Salinas",
    "Espinosa",
    "Mendoza",
    "Barrios",
    "Beltrán",
];

const GIVEN_NAMES: &[&str] = &[
    "antonio",
    "manuel",
    "jose",
    "francisco",
    "david",
    "juan",
    "javier",
    "daniel",
    "carlos",
    "jesus",
    "alejandro",
    "miguel",
    "rafael",
    "pablo",
    "sergio",
    "maria",
    "carmen",
    "ana",
    "laura",
    "isabel",
    "cristina",
    "marta",
    "lucia",
    "elena",
    "pilar",
    "raquel",
    "paula",
    "sara",
    "rosa",
    "nuria",
    "irene",
    "silvia",
    "beatriz",
    "alicia",
    "jorge",
    "alberto",
    "luis",
    "ramon",
];

const TRADES: &[&str] = &[
    "Construcciones",
    "Reformas",
    "Talleres",
    "Transportes",
    "Distribuciones",
    "Suministros",
    "Instalaciones",
    "Electricidad",
    "Fontanería",
    "Carpintería",
    "Metálicas",
    "Montajes",
    "Excavaciones",
    "Asesoría",
    "Gestoría",
    "Consultoría",
    "Inmobiliaria",
    "Promociones",
    "Bodegas",
    "Conservas",
    "Aceites",
    "Panificadora",
    "Cárnicas",
    "Frutas",
    "Viveros",
    "Jardinería",
    "Limpiezas",
    "Automoción",
    "Recambios",
    "Neumáticos",
    "Climatización",
    "Estructuras",
    "Mármoles",
    "Cerámicas",
    "Confecciones",
    "Calzados",
    "Muebles",
    "Gráficas",
    "Ópticas",
    "Embalajes",
    "Maderas",
    "Pinturas",
    "Hormigones",
    "Aluminios",
    "Cristalería",
    "Mudanzas",
    "Seguros",
    "Autocares",
    "Piensos",
    "Lácteos",
];

const REGIONS_ADJ: &[&str] = &[
    "Levante",
    "del Sur",
    "del Norte",
    "Mediterráneo",
    "Cantábrico",
    "Ibérica",
    "Castellana",
    "Andaluza",
    "Gallega",
    "Aragonesa",
    "Manchega",
    "Extremeña",
    "Riojana",
    "Navarra",
    "Asturiana",
    "Balear",
    "Canaria",
    "Valenciana",
    "Catalana",
    "Vasca",
    "de Madrid",
    "del Ebro",
    "del Duero",
    "del Tajo",
    "del Guadalquivir",
    "del Segura",
    "del Miño",
    "de la Sierra",
    "de la Vega",
    "del Valle",
];

const BRAND_HEADS: &[&str] = &[
    "Tec", "Inno", "Neo", "Eco", "Bio", "Info", "Data", "Logi", "Agro", "Hispa", "Ibero", "Medi",
    "Nova", "Sol", "Mar", "Terra", "Aqua", "Euro", "Iber", "Gal", "Astur", "Cantab", "Vale",
    "Levan", "Energ", "Quali", "Ondu", "Trans", "Proxi", "Alta", "Clima", "Digi", "Ferro", "Lumi",
    "Vita", "Geo", "Hidro", "Indus", "Multi", "Telco",
];

const BRAND_TAILS: &[&str] = &[
    "nova", "tek", "lia", "sys", "net", "lab", "tica", "mar", "gest", "plus", "via", "sur", "dent",
    "med", "form", "xia", "tel", "ria", "nor", "cor", "tex", "ware", "line", "zen",
];

const DESCRIPTORS: &[&str] = &[
    "Soluciones",
    "Consultores",
    "Sistemas",
    "Servicios Integrales",
    "Ingeniería",
    "Software",
    "Logística",
    "Energía",
    "Renovables",
    "Digital",
    "Comunicación",
    "Marketing",
    "Diseño",
    "Formación",
    "Salud",
    "Global",
    "Innovación",
    "Tecnologías",
    "Proyectos",
    "Gestión",
];

const SHOPS: &[&str] = &[
    "Bodegas",
    "Restaurante",
    "Hotel",
    "Panadería",
    "Farmacia",
    "Clínica Dental",
    "Clínica Veterinaria",
    "Autoescuela",
    "Academia",
    "Peluquería",
    "Floristería",
    "Ferretería",
    "Librería",
    "Gimnasio",
    "Óptica",
    "Carnicería",
    "Pastelería",
    "Cafetería",
];

/// City, province code (first two digits of postal codes and CIFs), region.
pub const CITIES: &[(&str, u8, &str)] = &[
    ("Madrid", 28, "Comunidad de Madrid"),
    ("Barcelona", 8, "Cataluña"),
    ("Valencia", 46, "Comunidad Valenciana"),
    ("Sevilla", 41, "Andalucía"),
    ("Zaragoza", 50, "Aragón"),
    ("Málaga", 29, "Andalucía"),
    ("Murcia", 30, "Región de Murcia"),
    ("Palma", 7, "Illes Balears"),
    ("Las Palmas de Gran Canaria", 35, "Canarias"),
    ("Bilbao", 48, "País Vasco"),
    ("Alicante", 3, "Comunidad Valenciana"),
    ("Córdoba", 14, "Andalucía"),
    ("Valladolid", 47, "Castilla y León"),
    ("Vigo", 36, "Galicia"),
    ("Gijón", 33, "Principado de Asturias"),
    ("A Coruña", 15, "Galicia"),
    ("Vitoria-Gasteiz", 1, "País Vasco"),
    ("Granada", 18, "Andalucía"),
    ("Elche", 3, "Comunidad Valenciana"),
    ("Oviedo", 33, "Principado de Asturias"),
    ("Pamplona", 31, "Navarra"),
    ("Almería", 4, "Andalucía"),
    ("San Sebastián", 20, "País Vasco"),
    ("Santander", 39, "Cantabria"),
    ("Burgos", 9, "Castilla y León"),
    ("Castellón de la Plana", 12, "Comunidad Valenciana"),
    ("Albacete", 2, "Castilla-La Mancha"),
    ("Logroño", 26, "La Rioja"),
    ("Badajoz", 6, "Extremadura"),
    ("Salamanca", 37, "Castilla y León"),
    ("Huelva", 21, "Andalucía"),
    ("Lleida", 25, "Cataluña"),
    ("Tarragona", 43, "Cataluña"),
    ("León", 24, "Castilla y León"),
    ("Cádiz", 11, "Andalucía"),
    ("Jaén", 23, "Andalucía"),
    ("Ourense", 32, "Galicia"),
    ("Girona", 17, "Cataluña"),
    ("Lugo", 27, "Galicia"),
    ("Cáceres", 10, "Extremadura"),
    ("Toledo", 45, "Castilla-La Mancha"),
    ("Guadalajara", 19, "Castilla-La Mancha"),
    ("Pontevedra", 36, "Galicia"),
    ("Palencia", 34, "Castilla y León"),
    ("Ciudad Real", 13, "Castilla-La Mancha"),
    ("Zamora", 49, "Castilla y León"),
    ("Ávila", 5, "Castilla y León"),
    ("Cuenca", 16, "Castilla-La Mancha"),
    ("Huesca", 22, "Aragón"),
    ("Segovia", 40, "Castilla y León"),
    ("Soria", 42, "Castilla y León"),
    ("Teruel", 44, "Aragón"),
];

const STREETS: &[&str] = &[
    "Calle Mayor",
    "Avenida de la Constitución",
    "Calle Real",
    "Paseo de la Castellana",
    "Calle de Alcalá",
    "Gran Vía",
    "Polígono Industrial El Sequero, nave",
    "Calle San Francisco",
    "Avenida de Andalucía",
    "Calle del Carmen",
    "Plaza de España",
    "Calle Nueva",
    "Camino Viejo",
    "Avenida de Europa",
    "Calle de la Iglesia",
    "Ronda Norte",
    "Polígono Industrial Los Llanos, parcela",
    "Calle Cervantes",
    "Calle Goya",
    "Avenida del Mediterráneo",
];

/// Sectors, with weights: a few are much more common than the rest.
pub const SECTORS: &[(&str, u32)] = &[
    ("Construcción", 14),
    ("Comercio minorista", 13),
    ("Hostelería", 11),
    ("Servicios profesionales", 10),
    ("Tecnología", 8),
    ("Transporte y logística", 7),
    ("Alimentación", 6),
    ("Industria manufacturera", 6),
    ("Inmobiliaria", 4),
    ("Salud", 4),
    ("Agricultura", 3),
    ("Automoción", 3),
    ("Educación", 2),
    ("Energía", 2),
    ("Turismo", 2),
    ("Textil", 1),
    ("Banca y seguros", 1),
    ("Telecomunicaciones", 1),
    ("Metalurgia", 1),
    ("Química", 1),
];

/// Tags, each with its own chance of being on a client.
pub const TAGS: &[(&str, f64)] = &[
    ("pyme", 0.35),
    ("newsletter", 0.25),
    ("seguimiento", 0.12),
    ("madrid", 0.10),
    ("barcelona", 0.08),
    ("exportador", 0.08),
    ("distribuidor", 0.07),
    ("feria-2025", 0.06),
    ("recomendado", 0.06),
    ("vip", 0.05),
    ("black-friday", 0.05),
    ("partner", 0.04),
    ("moroso", 0.03),
    ("sector-publico", 0.03),
];

/// Client sources as the API names them, with weights.
pub const SOURCES: &[(&str, u32)] = &[
    ("web", 30),
    ("referral", 20),
    ("campaign", 15),
    ("import", 15),
    ("event", 8),
    ("partner", 7),
    ("other", 5),
];

/// Statuses with weights: lead, client, inactive, lost.
pub const STATUSES: &[(&str, u32)] =
    &[("lead", 40), ("client", 38), ("inactive", 12), ("lost", 10)];

/// A weighted pick from `(item, weight)` pairs.
pub fn weighted<T: Copy, R: Rng>(rng: &mut R, items: &[(T, u32)]) -> (usize, T) {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.gen_range(0..total);
    for (i, (item, w)) in items.iter().enumerate() {
        if x < *w {
            return (i, *item);
        }
        x -= w;
    }
    (items.len() - 1, items[items.len() - 1].0)
}

fn pick<'a, R: Rng>(rng: &mut R, items: &[&'a str]) -> &'a str {
    items[rng.gen_range(0..items.len())]
}

/// A company name such as "Construcciones Fernández e Hijos S.L." or "Tecnova Soluciones S.L.".
pub fn company_name<R: Rng>(rng: &mut R) -> String {
    let base = match rng.gen_range(0..100) {
        0..=21 => format!("{} {}", pick(rng, SURNAMES), pick(rng, SURNAMES)),
        22..=44 => {
            let family = if rng.gen_bool(0.2) { " e Hijos" } else { "" };
            format!("{} {}{family}", pick(rng, TRADES), pick(rng, SURNAMES))
        }
        45..=59 => format!("{} {}", pick(rng, TRADES), pick(rng, REGIONS_ADJ)),
        60..=77 => format!(
            "{}{} {}",
            pick(rng, BRAND_HEADS),
            pick(rng, BRAND_TAILS),
            pick(rng, DESCRIPTORS)
        ),
        78..=83 => format!("{} & Asociados", pick(rng, SURNAMES)),
        84..=93 => {
            let shop = pick(rng, SHOPS);
            if rng.gen_bool(0.5) {
                format!("{shop} {}", pick(rng, SURNAMES))
            } else {
                format!("{shop} {}", CITIES[rng.gen_range(0..CITIES.len())].0)
            }
        }
        94..=96 => format!("Hermanos {}", pick(rng, SURNAMES)),
        _ => format!(
            "Cooperativa Agrícola de {}",
            CITIES[rng.gen_range(0..CITIES.len())].0
        ),
    };
    let base = if rng.gen_ratio(1, 25) {
        format!("{base} {}", rng.gen_range(1975..2025))
    } else {
        base
    };
    let suffix = if base.starts_with("Cooperativa") {
        "S.Coop."
    } else {
        match rng.gen_range(0..100) {
            0..=54 => "S.L.",
            55..=66 => "S.A.",
            67..=76 => "S.L.U.",
            77..=81 => "C.B.",
            82..=84 => "S.L.P.",
            _ => "",
        }
    };
    if suffix.is_empty() {
        base
    } else {
        format!("{base} {suffix}")
    }
}

/// Lower-case ASCII letters and digits of `s`, accents folded, everything else dropped.
pub fn ascii_slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'á' | 'à' | 'ä' | 'â' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            out.push(c);
        }
    }
    out
}

/// The web domain of a company: its name without the legal form, e.g. `construccionesfernandez.es`.
pub fn domain_of<R: Rng>(rng: &mut R, company: &str) -> String {
    let words: Vec<&str> = company
        .split_whitespace()
        .filter(|w| !w.contains('.') && !matches!(*w, "e" | "y" | "&" | "de" | "del" | "la"))
        .take(3)
        .collect();
    let mut slug = ascii_slug(&words.join(""));
    slug.truncate(40);
    if slug.is_empty() {
        slug.push_str("empresa");
    }
    let tld = match rng.gen_range(0..10) {
        0..=5 => "es",
        6..=8 => "com",
        _ => "net",
    };
    format!("{slug}.{tld}")
}

/// One to three e-mails at the company's domain (sometimes a personal one), or none.
pub fn emails<R: Rng>(rng: &mut R, domain: &str) -> Vec<String> {
    const BOXES: &[&str] = &[
        "info",
        "contacto",
        "administracion",
        "ventas",
        "comercial",
        "facturacion",
        "pedidos",
        "rrhh",
    ];
    let n = match rng.gen_range(0..100) {
        0..=4 => 0,
        5..=64 => 1,
        65..=92 => 2,
        _ => 3,
    };
    let mut out: Vec<String> = Vec::with_capacity(n);
    while out.len() < n {
        let e = if rng.gen_bool(0.3) {
            format!(
                "{}.{}@{domain}",
                pick(rng, GIVEN_NAMES),
                ascii_slug(pick(rng, SURNAMES))
            )
        } else {
            format!("{}@{domain}", pick(rng, BOXES))
        };
        if !out.contains(&e) {
            out.push(e);
        }
    }
    out
}

/// One or two Spanish numbers in E.164 (landlines start with 9, mobiles with 6 or 7), or none.
pub fn phones<R: Rng>(rng: &mut R, province: u8) -> Vec<String> {
    let n = match rng.gen_range(0..100) {
        0..=4 => 0,
        5..=69 => 1,
        _ => 2,
    };
    (0..n)
        .map(|i| {
            if i == 0 && rng.gen_bool(0.6) {
                // Landline: 9, then a two-digit area code derived from the province.
                format!(
                    "+349{:02}{:06}",
                    10 + u32::from(province) % 90,
                    rng.gen_range(0..1_000_000)
                )
            } else {
                let lead = if rng.gen_bool(0.8) { 6 } else { 7 };
                format!("+34{lead}{:08}", rng.gen_range(0..100_000_000))
            }
        })
        .collect()
}

/// The CIF check digit (see `crates/domain/src/tax_id/spain.rs`): digits in even places
/// (counting from zero) doubled and their digits added, the others added, and the last digit of
/// the total taken from 10.
pub fn cif_check_digit(body: &[u8; 7]) -> u8 {
    let sum: u32 = body
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 0 {
                (2 * d) / 10 + (2 * d) % 10
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// A valid CIF: the letter of the kind of organisation, the province, five digits, and the
/// control character (a digit for companies, a letter for public bodies and foreign entities).
pub fn cif<R: Rng>(rng: &mut R, province: u8) -> String {
    const LETTERS: &[u8] = b"JABCDEFGHI";
    let first = match rng.gen_range(0..1000) {
        0..=679 => b'B',   // sociedad limitada
        680..=879 => b'A', // sociedad anónima
        880..=919 => b'E', // comunidad de bienes
        920..=939 => b'H', // comunidad de propietarios
        940..=959 => b'F', // cooperativa
        960..=974 => b'G', // asociación
        975..=984 => b'J', // sociedad civil
        985..=989 => b'N', // entidad extranjera
        990..=994 => b'P', // corporación local
        995..=997 => b'Q', // organismo público
        _ => b'W',         // establecimiento permanente
    };
    let mut body = [0u8; 7];
    body[0] = province / 10;
    body[1] = province % 10;
    for d in &mut body[2..] {
        *d = rng.gen_range(0..10);
    }
    let check = cif_check_digit(&body);
    let control = if b"NPQRSW".contains(&first) {
        LETTERS[usize::from(check)]
    } else {
        b'0' + check
    };
    let mut out = String::with_capacity(9);
    out.push(char::from(first));
    for d in body {
        out.push(char::from(b'0' + d));
    }
    out.push(char::from(control));
    out
}

/// A postal address as the API stores it.
pub fn address<R: Rng>(rng: &mut R, city: usize) -> serde_json::Value {
    let (name, province, region) = CITIES[city];
    serde_json::json!({
        "street": format!("{}, {}", pick(rng, STREETS), rng.gen_range(1..200)),
        "city": name,
        "postal_code": format!("{:02}{:03}", province, rng.gen_range(1..100)),
        "region": region,
        "country": "ES",
    })
}

/// One typo made in a word of a name.
pub struct Typo {
    /// The word, lower-case.
    pub word: String,
    pub typo: String,
    /// "dropped", "swapped" or "replaced".
    pub kind: &'static str,
}

/// A word of the name with one typo (a letter dropped, swapped with the next or replaced), for
/// typo-tolerant search; None when the name has no word long enough.
pub fn typo_fragment<R: Rng>(rng: &mut R, name: &str) -> Option<String> {
    typo(rng, name).map(|t| t.typo)
}

/// As [`typo_fragment`], with the word it came from and the kind of typo.
pub fn typo<R: Rng>(rng: &mut R, name: &str) -> Option<Typo> {
    let words: Vec<&str> = name
        .split_whitespace()
        .filter(|w| w.chars().count() >= 6 && w.chars().all(char::is_alphabetic))
        .collect();
    if words.is_empty() {
        return None;
    }
    let word: Vec<char> = words[rng.gen_range(0..words.len())]
        .to_lowercase()
        .chars()
        .collect();
    // Never the first letter: people rarely get that one wrong.
    let at = rng.gen_range(1..word.len() - 1);
    let mut w = word.clone();
    let mut kind = match rng.gen_range(0..3) {
        0 => {
            w.remove(at);
            "dropped"
        }
        1 => {
            w.swap(at, at + 1);
            "swapped"
        }
        _ => {
            let c = b"aeioulrnst"[rng.gen_range(0..10)] as char;
            w[at] = if w[at] == c { 'x' } else { c };
            "replaced"
        }
    };
    if w == word {
        w.remove(at);
        kind = "dropped";
    }
    Some(Typo {
        word: word.into_iter().collect(),
        typo: w.into_iter().collect(),
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn cifs_are_valid_for_the_domain_rules() {
        let es = domain::CountryCode::parse("ES").expect("ES");
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..20_000 {
            let (_, province, _) = CITIES[rng.gen_range(0..CITIES.len())];
            let id = cif(&mut rng, province);
            let parsed = domain::TaxId::parse(es, &id).unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(parsed.kind(), domain::TaxIdKind::Cif, "{id}");
            assert_eq!(parsed.as_str(), id);
        }
        // A published example: B12345674 (check digit 4).
        assert_eq!(cif_check_digit(&[1, 2, 3, 4, 5, 6, 7]), 4);
    }

    #[test]
    fn emails_and_phones_are_what_the_api_would_store() {
        let mut rng = StdRng::seed_from_u64(8);
        for _ in 0..5_000 {
            let name = company_name(&mut rng);
            assert!((1..=300).contains(&name.chars().count()));
            let domain = domain_of(&mut rng, &name);
            for e in emails(&mut rng, &domain) {
                let parsed = domain::Email::parse(&e).unwrap_or_else(|err| panic!("{e}: {err}"));
                assert_eq!(parsed.as_str(), e);
            }
            for p in phones(&mut rng, 28) {
                let parsed =
                    domain::Phone::parse(&p, None).unwrap_or_else(|err| panic!("{p}: {err}"));
                assert_eq!(parsed.as_str(), p);
            }
        }
    }

    #[test]
    fn typos_change_one_thing() {
        let mut rng = StdRng::seed_from_u64(9);
        for _ in 0..1000 {
            let name = company_name(&mut rng);
            if let Some(t) = typo_fragment(&mut rng, &name) {
                assert!(t.chars().count() >= 5, "{name} -> {t}");
                assert!(!name.to_lowercase().contains(&t), "{name} -> {t}");
            }
        }
    }
}
