use super::Sentiment::{Negative, Neutral, Positive};
use super::*;

const SPANISH: &[(&str, Sentiment)] = &[
    ("¡Muchas gracias, todo perfecto!", Positive),
    ("El servicio fue excelente y muy rápido.", Positive),
    ("Estoy encantada con la atención recibida", Positive),
    ("Problema solucionado, gracias por la rapidez", Positive),
    ("Buenísimo, os lo recomiendo", Positive),
    ("No está nada mal", Positive),
    ("Sin ningún problema, llegó a tiempo", Positive),
    ("Era un poco caro, pero vale la pena", Positive),
    ("Genial 👍", Positive),
    ("El pedido llegó roto y nadie responde", Negative),
    ("Quiero cancelar y pedir un reembolso", Negative),
    ("Pésimo servicio, estoy muy decepcionado", Negative),
    ("La aplicación no funciona desde ayer", Negative),
    ("No me gustó nada el trato", Negative),
    ("Es la tercera queja que pongo, inaceptable", Negative),
    ("La entrega fue lentísima y tarde", Negative),
    (
        "La atención es buena, pero el producto es horrible",
        Negative,
    ),
    ("Muy poco profesional por su parte", Negative),
    ("Hay un error en la factura", Negative),
    ("¿A qué hora abren mañana?", Neutral),
    ("Buenas tardes, les escribo por el pedido 1234", Neutral),
    ("Adjunto la factura del mes de marzo.", Neutral),
    ("Mi dirección de envío es calle Mayor 5", Neutral),
];

const ENGLISH: &[(&str, Sentiment)] = &[
    ("Thank you so much, this is amazing!", Positive),
    ("Great service and very fast delivery", Positive),
    ("The issue was resolved quickly, I'm really happy", Positive),
    ("Not bad at all", Positive),
    ("No problems so far, everything works", Positive),
    ("I would highly recommend your team", Positive),
    ("It was a bit slow but the support was excellent", Positive),
    ("Loooove it 😍", Positive),
    ("The product arrived broken and nobody answered", Negative),
    ("This is the worst experience ever", Negative),
    (
        "I want to cancel my subscription and get a refund",
        Negative,
    ),
    ("The app doesn't work since yesterday", Negative),
    ("I'm not happy with the service", Negative),
    ("Terrible, totally unacceptable", Negative),
    ("The delivery was late again, very disappointed", Negative),
    ("Good price, but the quality is awful", Negative),
    ("There is an error on my invoice", Negative),
    (
        "Still waiting for an answer, this is ridiculous!!",
        Negative,
    ),
    ("What time do you open tomorrow?", Neutral),
    ("Please find attached the March invoice.", Neutral),
    ("Good morning, I am writing about order 1234", Neutral),
    ("My shipping address is 5 Main Street", Neutral),
    ("Kind regards, Ana", Neutral),
];

#[test]
fn known_sentences_get_their_polarity() {
    let mut wrong = Vec::new();
    for (text, expected) in SPANISH.iter().chain(ENGLISH) {
        let s = score(text);
        if label(s) != *expected {
            wrong.push(format!("{text:?}: {s:.3}, expected {expected:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(SPANISH.len() >= 20 && ENGLISH.len() >= 20);
}

#[test]
fn scores_stay_within_bounds() {
    let rant = "horrible terrible pésimo desastre estafa ".repeat(50) + "!!!!!!!!";
    let praise = "excelente perfecto genial maravilloso ".repeat(50);
    assert!((-1.0..-0.99).contains(&score(&rant)));
    assert!((0.99..=1.0).contains(&score(&praise)));
    assert_eq!(score(""), 0.0);
    assert_eq!(score("Adjunto el contrato firmado."), 0.0);
}

/// Asserts that each text scores strictly below the next one.
fn ascending(texts: &[&str]) {
    for pair in texts.windows(2) {
        let (a, b) = (score(pair[0]), score(pair[1]));
        assert!(
            a < b,
            "{:?} ({a:.3}) should score below {:?} ({b:.3})",
            pair[0],
            pair[1]
        );
    }
}

#[test]
fn intensifiers_scale_up_and_diminishers_scale_down() {
    ascending(&["bueno", "muy bueno", "extremadamente bueno"]);
    ascending(&["good", "really good", "extremely good"]);
    ascending(&["muy lento", "lento", "un poco lento"]);
    ascending(&["very slow", "slow", "a bit slow"]);
    ascending(&["rápido", "rapidísimo"]);
}

#[test]
fn negation_flips_and_dampens() {
    assert!(score("no es bueno") < 0.0);
    assert!(score("it is not good") < 0.0);
    assert!(score("isn't good") < 0.0);
    ascending(&["bad", "not bad", "good"]);
    ascending(&["malo", "no es malo", "bueno"]);
    ascending(&["nunca me ayudaron", "me ayudaron"]);
    ascending(&["really not good", "not good", "not very good", "good"]);
    ascending(&["muy poco útil", "poco útil", "útil"]);
    ascending(&["I don't like it", "It's fine"]);
    // Negation stops at punctuation: "No, gracias por todo" thanks.
    assert!(score("No. Gracias por todo") > 0.0);
}

#[test]
fn the_clause_after_but_weighs_more() {
    assert!(score("Caro, pero excelente") > 0.0);
    assert!(score("Excelente, pero caro") < score("Caro, pero excelente"));
    assert!(score("Nice people but a terrible product") < 0.0);
}

#[test]
fn exclamation_marks_intensify_slightly() {
    ascending(&["Gracias", "Gracias!", "Gracias!!!"]);
    ascending(&["Horrible!!!", "Horrible!", "Horrible"]);
    assert!(score("Gracias!!!!!!!!") - score("Gracias!!!") < 1e-6);
}

#[test]
fn accents_case_and_stretching_do_not_matter() {
    assert_eq!(score("RÁPIDO"), score("rapido"));
    assert_eq!(score("atención pésima"), score("atencion pesima"));
    assert!(score("graciaaaas") >= score("gracias"));
    assert!(score("problemas") < 0.0 && score("perfectas") > 0.0);
}

#[test]
fn greetings_and_sign_offs_carry_no_sentiment() {
    assert_eq!(score("Buenos días"), 0.0);
    assert_eq!(score("Best regards"), 0.0);
    assert_eq!(score("Nos vemos esta tarde"), 0.0);
    assert!(score("Llegó tarde") < 0.0);
}

#[test]
fn language_is_told_by_function_words() {
    assert_eq!(
        detect_language("Hola, el pedido no ha llegado"),
        Some(Locale::Es)
    );
    assert_eq!(
        detect_language("Hi, the order has not arrived"),
        Some(Locale::En)
    );
    assert_eq!(detect_language("OK 👍"), None);
    // Mixed messages still score with both word lists.
    assert!(score_in("Gracias, great service", Some(Locale::En)) > 0.5);
}

#[test]
fn labels_follow_the_thresholds() {
    assert_eq!(label(0.25), Positive);
    assert_eq!(label(0.2499), Neutral);
    assert_eq!(label(0.0), Neutral);
    assert_eq!(label(-0.25), Negative);
    assert_eq!(label(-1.0), Negative);
    assert_eq!(Sentiment::Negative.as_str(), "negative");
}
