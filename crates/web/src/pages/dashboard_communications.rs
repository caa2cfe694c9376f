//! The dashboard's communications row (issue 15), for holders of `communications.view`: the
//! last 30 days' messages per channel, both ways, as a chart, and the engagement and response
//! cards, from the same service as `GET /api/v1/kpis/communications`.

use serde_json::json;
use services::communications::kpis::CommunicationKpis;

use super::dashboard::KpiCard;
use crate::i18n::Locale;

/// The communications row: messages per channel as a chart, and its cards.
pub(super) struct CommunicationsRow {
    pub(super) per_channel: String,
    pub(super) cards: Vec<KpiCard>,
}

/// Hours with one decimal, or a dash.
fn hours(h: Option<f64>, locale: Locale) -> String {
    h.map(|h| super::dashboard::one_decimal(h, locale) + " h")
        .unwrap_or_else(|| "–".to_owned())
}

pub(super) fn communications_row(kpis: &CommunicationKpis, locale: Locale) -> CommunicationsRow {
    let labels: Vec<String> = kpis
        .by_channel
        .iter()
        .map(|c| locale.t(&format!("comms-channel-{}", c.channel)))
        .collect();
    let per_channel = json!({
        "labels": labels,
        "series": [
            { "label": locale.t("comms-outbound"), "values": kpis.by_channel.iter().map(|c| c.outbound).collect::<Vec<_>>() },
            { "label": locale.t("comms-inbound"), "values": kpis.by_channel.iter().map(|c| c.inbound).collect::<Vec<_>>() },
        ],
    });
    let card = |key: &'static str, value: String| KpiCard {
        key,
        label: locale.t(&format!("comms-{key}")),
        value,
    };
    CommunicationsRow {
        per_channel: per_channel.to_string(),
        cards: vec![
            card("sent", locale.int(kpis.sent)),
            card(
                "engagement_rate",
                kpis.engagement_rate
                    .map(|r| locale.percent(r))
                    .unwrap_or_else(|| "–".to_owned()),
            ),
            card(
                "average_response_hours",
                hours(kpis.average_response_hours, locale),
            ),
            card(
                "average_client_reply_hours",
                hours(kpis.average_client_reply_hours, locale),
            ),
        ],
    }
}
