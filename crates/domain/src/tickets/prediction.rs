//! How likely an open ticket is to breach its nearest SLA target: a documented logistic score.
//!
//! `probability = 1 / (1 + e^-z)` with `z = -4 + 5·u + 0.8·ln(1 + q) + 3·(r - 0.2) + k`, where
//! - `u` is the share of the target already used, `1 - minutes_left / target_minutes`, in 0..1;
//! - `q` is the assignee's open tickets;
//! - `r` is the category's historical breach rate, 0.2 when unknown;
//! - `k` is 0.5 for urgent, 0.25 for high, 0 for normal and -0.25 for low (tight targets slip).
//!
//! Every term grows with its input, so less time left or a longer queue never lowers the score.
//! A target with no whole minute left scores 1. The reason names the factors past half the
//! target, five open tickets, a 30 % breach rate, or a high or urgent priority, heaviest first.

use super::ticket::Priority;

/// The breach rate assumed for a category without history.
const BASELINE_BREACH_RATE: f64 = 0.2;
/// From this many open tickets the assignee's queue is named in the reason.
const BUSY_QUEUE: u32 = 5;
/// From this breach rate the category is named in the reason.
const RISKY_CATEGORY: f64 = 0.3;

/// What the score reads about a ticket's nearest open target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreachInputs {
    /// Business minutes left to the target (`TargetStatus::remaining_minutes`).
    pub minutes_left: i64,
    /// The target's length in business minutes.
    pub target_minutes: i64,
    /// Open tickets of the assignee (the queue this ticket waits in).
    pub assignee_open_tickets: u32,
    /// The ticket's priority.
    pub priority: Priority,
    /// Share of the category's past tickets that breached, 0..1, if known.
    pub category_breach_rate: Option<f64>,
}

/// A breach probability in 0..1 and the main factors behind it in plain English.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BreachPrediction {
    /// Likelihood of breaching, 0..1.
    pub probability: f64,
    /// The main factors, such as "12 of 60 business minutes left; assignee has 20 open tickets".
    pub reason: String,
}

/// The breach probability of a ticket and why.
pub fn predict_breach(inputs: &BreachInputs) -> BreachPrediction {
    let target = inputs.target_minutes.max(1);
    if inputs.minutes_left <= 0 {
        let reason = if inputs.minutes_left < 0 {
            format!(
                "already breached by {} business minutes",
                -inputs.minutes_left
            )
        } else {
            "due within the minute".to_owned()
        };
        return BreachPrediction {
            probability: 1.0,
            reason,
        };
    }
    let used = (1.0 - inputs.minutes_left as f64 / target as f64).clamp(0.0, 1.0);
    let queue = f64::from(inputs.assignee_open_tickets);
    let rate = inputs
        .category_breach_rate
        .filter(|r| r.is_finite())
        .map(|r| r.clamp(0.0, 1.0));
    let rate_or_baseline = rate.unwrap_or(BASELINE_BREACH_RATE);
    let weight = priority_weight(inputs.priority);
    let factors = [
        Factor {
            weight: 5.0 * used,
            notable: used >= 0.5,
            phrase: format!("{} of {target} business minutes left", inputs.minutes_left),
        },
        Factor {
            weight: 0.8 * queue.ln_1p(),
            notable: inputs.assignee_open_tickets >= BUSY_QUEUE,
            phrase: format!("assignee has {} open tickets", inputs.assignee_open_tickets),
        },
        Factor {
            weight: 3.0 * (rate_or_baseline - BASELINE_BREACH_RATE),
            notable: rate_or_baseline >= RISKY_CATEGORY,
            phrase: format!(
                "category breaches {:.0}% of the time",
                rate_or_baseline * 100.0
            ),
        },
        Factor {
            weight,
            notable: weight > 0.0,
            phrase: format!("{} priority", inputs.priority),
        },
    ];
    let z = -4.0 + factors.iter().map(|f| f.weight).sum::<f64>();
    let probability = (1.0 / (1.0 + (-z).exp())).clamp(0.0, 1.0);
    BreachPrediction {
        probability,
        reason: reason(&factors, probability, inputs),
    }
}

/// One term of the score, and whether the reason should name it.
struct Factor {
    weight: f64,
    notable: bool,
    phrase: String,
}

fn priority_weight(priority: Priority) -> f64 {
    match priority {
        Priority::Urgent => 0.5,
        Priority::High => 0.25,
        Priority::Normal => 0.0,
        Priority::Low => -0.25,
    }
}

/// The notable factors, heaviest first, at most three; or the plain figures when none is.
fn reason(factors: &[Factor], probability: f64, inputs: &BreachInputs) -> String {
    let mut notable: Vec<&Factor> = factors.iter().filter(|f| f.notable).collect();
    notable.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    if notable.is_empty() {
        let figures = format!(
            "{} of {} business minutes left, assignee has {} open tickets",
            inputs.minutes_left,
            inputs.target_minutes.max(1),
            inputs.assignee_open_tickets
        );
        return if probability < 0.25 {
            format!("on track: {figures}")
        } else {
            figures
        };
    }
    notable
        .iter()
        .take(3)
        .map(|f| f.phrase.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(minutes_left: i64, queue: u32) -> BreachInputs {
        BreachInputs {
            minutes_left,
            target_minutes: 240,
            assignee_open_tickets: queue,
            priority: Priority::Normal,
            category_breach_rate: None,
        }
    }

    fn p(inputs: BreachInputs) -> f64 {
        predict_breach(&inputs).probability
    }

    #[test]
    fn little_time_and_a_long_queue_rank_first() {
        let pressed = predict_breach(&ticket(20, 25));
        let relaxed = predict_breach(&ticket(220, 2));
        assert!(pressed.probability > relaxed.probability);
        assert!(pressed.probability > 0.9, "{pressed:?}");
        assert!(relaxed.probability < 0.1, "{relaxed:?}");
        assert_eq!(
            pressed.reason,
            "20 of 240 business minutes left; assignee has 25 open tickets"
        );
        assert!(
            relaxed.reason.starts_with("on track: 220 of 240"),
            "{relaxed:?}"
        );
    }

    #[test]
    fn already_breached_is_certain() {
        let late = predict_breach(&ticket(-15, 0));
        assert_eq!(late.probability, 1.0);
        assert_eq!(late.reason, "already breached by 15 business minutes");
        assert_eq!(p(ticket(0, 0)), 1.0);
    }

    #[test]
    fn monotone_in_time_left_and_queue() {
        for queue in [0, 1, 5, 30] {
            let mut last = 1.0;
            for left in (1..=240).step_by(7) {
                let now = p(ticket(left, queue));
                assert!(now <= last, "left {left}, queue {queue}");
                last = now;
            }
        }
        for left in [1, 60, 200] {
            let mut last = 0.0;
            for queue in 0..50 {
                let now = p(ticket(left, queue));
                assert!(now >= last, "left {left}, queue {queue}");
                last = now;
            }
        }
    }

    #[test]
    fn history_and_priority_push_up() {
        let base = ticket(120, 3);
        let risky = BreachInputs {
            category_breach_rate: Some(0.6),
            ..base
        };
        let safe = BreachInputs {
            category_breach_rate: Some(0.0),
            ..base
        };
        assert!(p(risky) > p(base) && p(base) > p(safe));
        let urgent = BreachInputs {
            priority: Priority::Urgent,
            ..base
        };
        let low = BreachInputs {
            priority: Priority::Low,
            ..base
        };
        assert!(p(urgent) > p(base) && p(base) > p(low));
        let reason = predict_breach(&BreachInputs {
            category_breach_rate: Some(0.7),
            priority: Priority::Urgent,
            ..ticket(200, 0)
        })
        .reason;
        assert_eq!(reason, "category breaches 70% of the time; urgent priority");
    }

    #[test]
    fn odd_inputs_stay_in_range() {
        for inputs in [
            ticket(10_000, 0),
            ticket(1, u32::MAX),
            BreachInputs {
                target_minutes: 0,
                ..ticket(5, 3)
            },
            BreachInputs {
                category_breach_rate: Some(f64::NAN),
                ..ticket(5, 3)
            },
            BreachInputs {
                category_breach_rate: Some(7.0),
                ..ticket(5, 3)
            },
        ] {
            let prediction = p(inputs);
            assert!((0.0..=1.0).contains(&prediction), "{inputs:?}");
        }
    }
}
