//! The Spanish lexicon: the words clients use with a support or sales team.
//!
//! Words are listed in their base form; plurals, feminines and superlatives (`rápidas`,
//! `lentísimo`) are reduced to it by the lookup, so only irregular forms and verbs are
//! spelled out. Bare `poco` ("poco útil") reads as a negation, unlike `un poco` ("un poco
//! lento"), which diminishes. `nada`, `nadie`, `ningún` negate even after `no`: Spanish double
//! negatives reinforce rather than cancel.

use super::lexicon::Lexicon;

/// The Spanish word lists.
pub(super) const SPANISH: Lexicon = Lexicon {
    valence,
    booster,
    negator,
    contrast,
    stopword,
    phrases: PHRASES,
};

/// Idioms, greetings and sign-offs that must not count word by word, and multi-word rules.
const PHRASES: &[&str] = &[
    "vale la pena",
    "merece la pena",
    "a tiempo",
    "lo siento",
    "de baja",
    "sin embargo",
    "no obstante",
    "un poco",
    "un tanto",
    "de verdad",
    "ni siquiera",
    "no solo",
    "buenos dias",
    "buen dia",
    "buenas tardes",
    "buenas noches",
    "esta tarde",
    "la tarde",
    "una tarde",
    "mas tarde",
    "saludos cordiales",
    "cordiales saludos",
    "un cordial saludo",
    "de nada",
    "saludo cordial",
    "sin falta",
    "sin duda",
    "no funciona",
    "no funcionan",
    "no funciono",
];

#[rustfmt::skip]
fn valence(word: &str) -> Option<f32> {
    Some(match word {
        // Praise and delight.
        "excelente" | "perfecto" | "fantastico" | "maravilloso" | "extraordinario" | "impecable"
        | "inmejorable" | "espectacular" | "estupendo" | "magnifico" | "sobresaliente"
        | "encantado" | "encanta" | "encantan" | "encanto" | "encantaron" | "felicidades"
        | "felicitaciones" | "enhorabuena" | "genial" | "feliz" | "maravilla" | "buenisimo"
        | "excepcional" => 3.5,
        "increible" | "brillante" | "alegria" | "precioso" | "hermoso" | "agradecido"
        | "agradezco" | "agradecemos" | "contento" | "satisfecho" | "encantador" | "fenomenal"
        | "recomendadisimo" => 3.0,
        "bueno" | "buen" | "bien" | "mejor" | "amable" | "amabilisimo" | "util" | "rapido"
        | "rapidez" | "rapidamente" | "eficiente" | "eficaz" | "atento" | "solucionado"
        | "resuelto" | "resolvieron" | "soluciono" | "solucionaron" | "gusta" | "gustan"
        | "gusto" | "gustado" | "gustaron" | "puntual" | "ideal" | "optimo" | "confiable"
        | "fiable" | "exito" | "exitoso" | "alegra" | "alegre" | "guay" | "bonito" | "lindo"
        | "favorito" | "recomiendo" | "recomendado" | "recomendable" | "recomendaria"
        | "recomendare" | "satisfaccion" | "agradable" | "agradecer" | "agradecimiento"
        | "simpatico" | "resolutivo" | "divertido" | "valioso" | "disfrutar" | "disfrute"
        | "disfrutamos" | "vale la pena" | "merece la pena" | "eficacia" => 2.0,
        "gracias" | "profesional" | "profesionalidad" | "facil" | "comodo" | "correcto"
        | "puntualidad" | "confianza" | "ayudaron" | "ayudo" | "ayudado" | "mejorado"
        | "cumplido" | "cumplieron" | "cumplen" | "cordial" | "educado" | "bienvenido"
        | "interesante" | "positivo" | "ganga" | "a tiempo" | "chulo" | "tranquilo" => 1.5,
        "funciona" | "funcionan" | "funciono" | "funcionando" | "claro" | "sencillo" | "mejora"
        | "economico" | "barato" | "paciencia" | "suerte" | "respondieron" | "contestaron"
        | "responden" | "contestan" | "respuesta" | "entregado" => 1.0,
        // Complaints, faults and anger.
        "horrible" | "terrible" | "pesimo" | "desastroso" | "nefasto" | "horroroso" | "furioso"
        | "estafa" | "estafador" | "fraude" | "mierda" | "asco" | "asqueroso" => -3.5,
        "fatal" | "desastre" | "vergonzoso" | "verguenza" | "penoso" | "lamentable"
        | "inaceptable" | "indignado" | "indignante" | "odio" | "odiar" | "detesto" | "timo"
        | "robo" | "engano" | "enganado" | "enganaron" | "decepcion" | "decepcionado"
        | "decepcionante" | "decepciono" | "peor" | "basura" | "porqueria" | "incompetente"
        | "incompetencia" | "grosero" | "maleducado" | "abusivo" | "cabreado" | "ridiculo"
        | "tomadura" => -3.0,
        "malo" | "mal" | "roto" | "rompio" | "estropeado" | "defectuoso" | "danado" | "enfadado"
        | "enojado" | "harto" | "insatisfecho" | "descontento" | "disgustado" | "inutil"
        | "mentira" | "mienten" | "mintieron" | "desagradable" | "irresponsable" | "denuncia"
        | "denunciar" | "falso" | "incomodo" | "frustrado" | "frustrante" | "disgusta"
        // Faults: "funciona" alone is mildly good, its negation is a clear complaint.
        | "no funciona" | "no funcionan" | "no funciono" => -2.5,
        "problema" | "error" | "fallo" | "falla" | "fallan" | "fallando" | "fallido"
        | "averia" | "averiado" | "dano" | "queja" | "quejarme" | "quejar" | "reclamacion"
        | "reclamo" | "reclamar" | "molesto" | "triste" | "tristeza" | "retraso" | "retrasado"
        | "demora" | "demorado" | "tardanza" | "imposible" | "incorrecto" | "equivocado"
        | "equivocacion" | "ineficiente" | "ignorado" | "ignoran" | "caida" | "caido" | "grave"
        | "peligroso" | "miedo" | "sucio" | "feo" | "estresado" | "agobiado" | "indebido"
        | "desesperado" | "desesperante" | "preocupante" => -2.0,
        "lento" | "lentitud" | "tarde" | "tardan" | "tardado" | "tardo" | "tardaron" | "caro"
        | "cancelar" | "cancelado" | "cancelacion" | "cancelo" | "de baja" | "reembolso"
        | "dificil" | "complicado" | "confuso" | "confusion" | "incompleto" | "perdido"
        | "perdi" | "perder" | "pierdo" | "molestia" | "preocupado" | "preocupa"
        | "preocupacion" | "bloqueado" | "cuelga" | "colgado" | "lastima" | "pena"
        | "lamentablemente" | "desafortunadamente" | "desgraciadamente" | "abandonar"
        | "olvidaron" | "olvido" | "estres" | "spam" | "insistir" | "insisto" => -1.5,
        "devolucion" | "devolver" | "falta" | "faltan" | "urgente" | "urgencia"
        | "lo siento" => -1.0,
        "esperando" | "perdon" | "disculpas" => -0.5,
        // Forms the inflection rules would misread: goods, afternoons, help (not "I help").
        "bienes" | "tardes" | "ayuda" => 0.0,
        _ => return None,
    })
}

#[rustfmt::skip]
fn booster(word: &str) -> Option<f32> {
    Some(match word {
        "extremadamente" | "sumamente" | "tremendamente" | "absolutamente" | "increiblemente"
        | "enormemente" => 1.7,
        "muy" | "mucho" | "mucha" | "muchos" | "muchas" | "super" | "totalmente"
        | "completamente" | "demasiado" | "demasiada" | "demasiados" | "demasiadas"
        | "altamente" => 1.5,
        "realmente" | "verdaderamente" | "de verdad" | "bastante" | "tan" | "tanto" | "tanta"
        | "mil" | "especialmente" | "siempre" => 1.3,
        "gran" | "grandes" => 1.4,
        "mas" => 1.2,
        "medio" | "algo" | "un tanto" | "casi" | "relativamente" => 0.6,
        "un poco" | "ligeramente" => 0.5,
        _ => return None,
    })
}

fn negator(word: &str) -> bool {
    matches!(
        word,
        "no" | "nunca"
            | "jamas"
            | "tampoco"
            | "ni"
            | "ni siquiera"
            | "sin"
            | "nada"
            | "nadie"
            | "ningun"
            | "ninguno"
            | "ninguna"
            | "ningunos"
            | "ningunas"
            | "apenas"
            | "poco"
            | "poca"
            | "pocos"
            | "pocas"
    )
}

fn contrast(word: &str) -> bool {
    matches!(word, "pero" | "sin embargo" | "no obstante")
}

#[rustfmt::skip]
fn stopword(word: &str) -> bool {
    matches!(
        word,
        "de" | "la" | "que" | "el" | "en" | "y" | "o" | "los" | "del" | "se" | "las" | "por"
            | "un" | "una" | "para" | "con" | "es" | "lo" | "como" | "pero" | "sus" | "le"
            | "les" | "ya" | "este" | "esta" | "esto" | "estoy" | "estan" | "muy" | "hay"
            | "nos" | "mi" | "mis" | "ha" | "han" | "hola" | "gracias" | "todo" | "tengo"
            | "tiene" | "cuando" | "porque" | "donde" | "usted" | "ustedes" | "su" | "al"
            | "fue" | "pedido" | "nunca" | "tambien" | "hemos" | "nuestro" | "quiero"
    )
}
