//! What the ticket pages show of a ticket's state, the same way on every page: statuses,
//! priorities and SLA targets in the page's language, business durations, the countdown to the
//! nearest due time (ticking in the browser, `static/console.js`), and each target's row of
//! the SLA panel.

use chrono::{DateTime, Utc};
use domain::tickets::{Priority, TicketStatus};
use services::tickets::{TargetOut, TicketSla};

use crate::i18n::{Arg, Locale};

/// Every status with its label, in life-cycle order.
pub fn statuses(locale: Locale) -> Vec<(&'static str, String)> {
    TicketStatus::ALL
        .iter()
        .map(|s| (s.as_str(), status_label(locale, s.as_str())))
        .collect()
}

/// Every priority with its label, most urgent first.
pub fn priorities(locale: Locale) -> Vec<(&'static str, String)> {
    Priority::ALL
        .iter()
        .map(|p| (p.as_str(), priority_label(locale, p.as_str())))
        .collect()
}

pub fn status_label(locale: Locale, status: &str) -> String {
    locale.t(&format!("ticket-status-{status}"))
}

pub fn priority_label(locale: Locale, priority: &str) -> String {
    locale.t(&format!("ticket-priority-{priority}"))
}

/// The badge colour of a status.
pub fn status_class(status: &str) -> &'static str {
    match status {
        "new" => "text-bg-info",
        "open" => "text-bg-primary",
        "pending_customer" | "on_hold" => "text-bg-warning",
        "resolved" => "text-bg-success",
        _ => "text-bg-secondary",
    }
}

/// The badge colour of a priority.
pub fn priority_class(priority: &str) -> &'static str {
    match priority {
        "urgent" => "text-bg-danger",
        "high" => "text-bg-warning",
        "normal" => "text-bg-light border",
        _ => "text-bg-secondary",
    }
}

/// A length of time as the console writes it in both languages: `45 min`, `2 h 05 min`,
/// `3 d 4 h` (console.js writes the countdowns the same way).
pub fn duration(minutes: i64) -> String {
    let m = minutes.unsigned_abs();
    match m {
        0..60 => format!("{m} min"),
        60..1440 => format!("{} h {:02} min", m / 60, m % 60),
        _ => format!("{} d {} h", m / 1440, (m % 1440) / 60),
    }
}

/// The countdown to a ticket's nearest due time, as first shown; the browser keeps it ticking
/// from `due_at` with the two labels (`{time}` stands for the time).
pub struct Countdown {
    pub due_at: Option<DateTime<Utc>>,
    pub text: String,
    pub late: bool,
    pub left_label: String,
    pub late_label: String,
}

impl Countdown {
    pub fn of(locale: Locale, sla: &TicketSla, now: DateTime<Utc>) -> Self {
        let template = |key: &str| locale.t_with(key, &[("time", Arg::Text("{time}".into()))]);
        let (left_label, late_label) = (template("countdown-left"), template("countdown-late"));
        let (due_at, late, text) = match sla.next_due_at {
            _ if sla.paused => (None, false, locale.t("countdown-paused")),
            Some(due) => {
                let minutes = (due - now).num_minutes();
                let label = if due <= now { &late_label } else { &left_label };
                (
                    Some(due),
                    due <= now,
                    label.replace("{time}", &duration(minutes)),
                )
            }
            None if has_targets(sla) && sla.breached => (None, true, locale.t("sla-breached")),
            None if has_targets(sla) => (None, false, locale.t("ticket-sla-met")),
            None => (None, false, locale.t("countdown-none")),
        };
        Self {
            due_at,
            text,
            late,
            left_label,
            late_label,
        }
    }
}

fn has_targets(sla: &TicketSla) -> bool {
    sla.first_response.is_some() || sla.next_response.is_some() || sla.resolution.is_some()
}

/// One target of the SLA panel.
pub struct TargetRow {
    /// `first_response`, `next_response` or `resolution`.
    pub name: &'static str,
    pub label: String,
    pub due_at: Option<DateTime<Utc>>,
    /// Business time left, or how late.
    pub remaining: String,
    pub used_percent: i64,
    pub state: String,
    /// The state's name for scripts and tests: `met`, `met-late`, `breached`, `paused`,
    /// `at-risk` or `running`.
    pub state_name: &'static str,
    /// The state's badge colour.
    pub class: &'static str,
}

/// The targets of a ticket's SLA, in the order they come due.
pub fn target_rows(locale: Locale, sla: &TicketSla) -> Vec<TargetRow> {
    [
        ("first_response", &sla.first_response),
        ("next_response", &sla.next_response),
        ("resolution", &sla.resolution),
    ]
    .into_iter()
    .filter_map(|(name, target)| {
        target
            .as_ref()
            .map(|t| target_row(locale, name, t, sla.paused))
    })
    .collect()
}

fn target_row(locale: Locale, name: &'static str, t: &TargetOut, paused: bool) -> TargetRow {
    let (state_name, state, class) = match (t.met, t.breached) {
        (true, false) => ("met", "ticket-sla-met", "text-bg-success"),
        (true, true) => ("met-late", "ticket-sla-met-late", "text-bg-warning"),
        (false, true) => ("breached", "sla-breached", "text-bg-danger"),
        _ if paused => ("paused", "ticket-sla-paused-state", "text-bg-secondary"),
        _ if t.at_risk => ("at-risk", "risk-at-risk", "text-bg-warning"),
        _ => ("running", "ticket-sla-running", "text-bg-light border"),
    };
    let minutes = t.remaining_business_minutes;
    let remaining = if minutes < 0 {
        locale.t_with("countdown-late", &[("time", Arg::Text(duration(minutes)))])
    } else {
        duration(minutes)
    };
    TargetRow {
        name,
        label: locale.t(&format!("ticket-target-{name}")),
        due_at: t.due_at,
        remaining,
        used_percent: t.used_percent.clamp(0, 100),
        state: locale.t(state),
        state_name,
        class,
    }
}

/// The predicted chance of a breach as a badge's text (`Risk 72.0%`).
pub fn risk(locale: Locale, breach_risk: Option<f32>) -> Option<String> {
    breach_risk.map(|r| {
        let percent = locale.percent(f64::from(r));
        locale.t_with("risk-badge", &[("percent", Arg::Text(percent))])
    })
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    #[test]
    fn durations_read_the_same_in_both_languages() {
        assert_eq!(duration(0), "0 min");
        assert_eq!(duration(45), "45 min");
        assert_eq!(duration(-125), "2 h 05 min");
        assert_eq!(duration(60 * 24 * 3 + 4 * 60 + 59), "3 d 4 h");
    }

    fn target(remaining: i64, met: bool, breached: bool) -> TargetOut {
        TargetOut {
            due_at: None,
            remaining_business_minutes: remaining,
            breached,
            met,
            met_at: None,
            used_percent: 140,
            at_risk: false,
        }
    }

    #[test]
    fn the_countdown_says_what_is_left_or_how_late() {
        let now = Utc::now();
        let sla = TicketSla {
            next_due_at: Some(now + Duration::minutes(90)),
            resolution: Some(target(90, false, false)),
            ..TicketSla::default()
        };
        let c = Countdown::of(Locale::En, &sla, now);
        assert_eq!(c.text, "1 h 30 min left");
        assert!(!c.late);
        assert_eq!(c.left_label, "{time} left");
        let late = TicketSla {
            next_due_at: Some(now - Duration::minutes(5)),
            ..sla.clone()
        };
        let c = Countdown::of(Locale::Es, &late, now);
        assert_eq!(c.text, "vencido hace 5 min");
        assert!(c.late);
        let paused = TicketSla {
            paused: true,
            ..sla.clone()
        };
        assert_eq!(Countdown::of(Locale::En, &paused, now).due_at, None);
        let none = TicketSla::default();
        assert_eq!(Countdown::of(Locale::En, &none, now).text, "No SLA");
    }

    #[test]
    fn each_target_says_its_state() {
        let sla = TicketSla {
            first_response: Some(target(10, true, false)),
            resolution: Some(target(-30, false, true)),
            ..TicketSla::default()
        };
        let rows = target_rows(Locale::En, &sla);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].name, rows[0].state.as_str()),
            ("first_response", "Met")
        );
        assert_eq!(rows[1].state, "Breached");
        assert_eq!(rows[1].remaining, "30 min overdue");
        assert_eq!(rows[1].used_percent, 100);
    }
}
