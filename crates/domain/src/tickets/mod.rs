//! Support tickets: statuses and priorities, business calendars, SLA policies and clocks,
//! automatic priority and breach prediction. Pure rules: no database, no HTTP.

mod business_time;
mod calendar;
mod ical;
mod prediction;
mod priority_rules;
mod sla;
mod sla_clock;
mod ticket;

pub use calendar::{BusinessCalendar, CalendarSpec, HOLIDAYS_LIMIT, WeeklyHoursSpec};
pub use ical::holidays_from_ical;
pub use prediction::{BreachInputs, BreachPrediction, predict_breach};
pub use priority_rules::{
    LARGE_PIPELINE_CENTS, NEGATIVE_SENTIMENT, PREMIUM_TIERS, PriorityInputs, suggest_priority,
};
pub use sla::{SlaPolicy, SlaTargets, TARGET_LIMIT_MINUTES};
pub use sla_clock::{Pause, SlaClock, SlaStatus, SlaTarget, TargetStatus};
pub use ticket::{Priority, TicketStatus};
