//! Closed-loop runs with goose: every goose user is one member of staff with their own HTTP
//! client (so their own keep-alive connection), who signs in when they arrive and then does the
//! working-day mix of their role, with or without think time between actions.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use goose::config::GooseConfiguration;
use goose::metrics::{GooseMetrics, GooseRequestMetricTimingData};
use goose::prelude::*;
use goose::test_plan::TestPlanStepAction;

use super::data::Shared;
use super::mix::{self, Action, Call, Http, Reply, Role, Staff};
use super::report::Row;
use crate::client::Outcome;
use crate::report::Stats;

/// How many goose users, how fast they arrive, how long they stay, how long they think.
pub struct Crowd {
    pub users: usize,
    pub increase_rate: usize,
    pub run_time: u64,
    pub think: Option<(Duration, Duration)>,
    pub seed: u64,
}

/// The figures of a run. Actions are timed here rather than taken from goose, because goose
/// resets its figures when the last person *starts* while the steady part begins when the last
/// sign-in is *answered* (sign-ins are slow on purpose, and a thousand of them queue).
pub struct CrowdResult {
    /// From the last arrival's sign-in answered to the end of the run: everyone at work.
    pub steady: Option<(Instant, Instant)>,
    pub seconds: f64,
    /// All actions together, each action (both roles) in the steady part, then the arrivals'
    /// sign-ins over the time they took.
    pub actions: Vec<Row>,
    /// Each request by route template, as goose measured it after the last person started.
    pub requests: Vec<Row>,
    /// Failed actions and sign-ins over the whole run, by message, most frequent first.
    pub errors: Vec<(String, usize)>,
    pub failures: u64,
}

/// One action's outcome; `None` is an arrival's sign-in.
struct Done {
    action: Option<Action>,
    started: Instant,
    took: Duration,
    error: Option<String>,
}

/// Every action of the run.
#[derive(Default)]
struct Journal(Mutex<Vec<Done>>);

impl Journal {
    fn note(&self, action: Option<Action>, started: Instant, result: &Result<(), String>) {
        let done = Done {
            action,
            started,
            took: started.elapsed(),
            error: result.as_ref().err().cloned(),
        };
        if let Ok(mut all) = self.0.lock() {
            all.push(done);
        }
    }
}

/// The goose user as an [`Http`] client: every call is a goose request, named by its route.
struct GooseHttp<'u>(&'u mut GooseUser);

impl Http for GooseHttp<'_> {
    async fn call(&mut self, call: Call<'_>) -> Result<Reply, String> {
        let method = match call.method {
            reqwest::Method::POST => GooseMethod::Post,
            reqwest::Method::PATCH => GooseMethod::Patch,
            reqwest::Method::PUT => GooseMethod::Put,
            reqwest::Method::DELETE => GooseMethod::Delete,
            _ => GooseMethod::Get,
        };
        let builder = self
            .0
            .get_request_builder(&method, &call.path)
            .map_err(|e| e.to_string())?;
        let request = GooseRequest::builder()
            .set_request_builder(call.prepare(builder))
            .name(call.name)
            .build();
        let mut goose = self.0.request(request).await.map_err(|e| e.to_string())?;
        // Goose follows redirects and counts the page they end on; no call of the mix expects
        // one (a console page redirects only a signed-out browser, to `/login`).
        if goose.request.redirected {
            let tag = format!("redirected to {}", goose.request.final_url);
            self.0
                .set_failure(&tag, &mut goose.request, None, None)
                .map_err(|e| e.to_string())?;
        }
        let response = goose.response.map_err(|e| format!("{}: {e}", call.name))?;
        mix::read(response, call.name).await
    }
}

type Boxed<'r> = Pin<Box<dyn Future<Output = TransactionResult> + Send + 'r>>;

/// Gives the closure the higher-ranked signature goose's transactions have.
fn function<F>(f: F) -> TransactionFunction
where
    F: for<'r> Fn(&'r mut GooseUser) -> Boxed<'r> + Send + Sync + 'static,
{
    Arc::new(f)
}

fn failed(e: String) -> Box<TransactionError> {
    Box::new(TransactionError::Custom(e))
}

/// The user arrives: takes the next staff slot and signs in.
async fn arrive(
    user: &mut GooseUser,
    shared: &Shared,
    journal: &Journal,
    seed: u64,
) -> TransactionResult {
    let mut staff = Staff::new(shared, shared.take_slot(), seed);
    let started = Instant::now();
    let result = mix::perform(Action::SignIn, &mut GooseHttp(user), &mut staff, shared).await;
    journal.note(None, started, &result);
    user.set_session_data(Some(staff));
    result.map_err(failed)
}

async fn act(
    action: Action,
    user: &mut GooseUser,
    shared: &Shared,
    journal: &Journal,
) -> TransactionResult {
    let staff = user
        .get_session_data_mut::<Option<Staff>>()
        .and_then(Option::take);
    let Some(mut staff) = staff else {
        return Err(failed("no staff member: the user never arrived".into()));
    };
    let started = Instant::now();
    let result = mix::perform(action, &mut GooseHttp(user), &mut staff, shared).await;
    journal.note(Some(action), started, &result);
    user.set_session_data(Some(staff));
    result.map_err(failed)
}

fn scenario(
    role: Role,
    shared: &Arc<Shared>,
    journal: &Arc<Journal>,
    crowd: &Crowd,
) -> anyhow::Result<Scenario> {
    let seed = crowd.seed;
    let (s, j) = (shared.clone(), journal.clone());
    let mut scenario = Scenario::new(role.label())
        .set_weight(role.share())?
        .register_transaction(
            Transaction::new(function(move |user| {
                let (s, j) = (s.clone(), j.clone());
                Box::pin(async move { arrive(user, &s, &j, seed).await })
            }))
            .set_name("sign in (arrival)")
            .set_on_start(),
        );
    if let Some((min, max)) = crowd.think {
        scenario = scenario.set_wait_time(min, max)?;
    }
    for action in Action::ALL {
        let weight = action.weight(role);
        if !action.built() || weight == 0 {
            continue;
        }
        let (s, j) = (shared.clone(), journal.clone());
        let transaction = Transaction::new(function(move |user| {
            let (s, j) = (s.clone(), j.clone());
            Box::pin(async move { act(action, user, &s, &j).await })
        }))
        .set_name(action.label())
        .set_weight(weight)?;
        scenario = scenario.register_transaction(transaction);
    }
    Ok(scenario)
}

/// Runs the crowd against `host` until `run_time` after the last user arrived.
pub async fn run(shared: &Arc<Shared>, host: &str, crowd: &Crowd) -> anyhow::Result<CrowdResult> {
    shared.reset_slots();
    let journal = Arc::new(Journal::default());
    let args: Vec<String> = vec![
        "--host".into(),
        host.into(),
        "--users".into(),
        crowd.users.to_string(),
        "--increase-rate".into(),
        crowd.increase_rate.max(1).to_string(),
        "--run-time".into(),
        format!("{}s", crowd.run_time),
        "--timeout".into(),
        "60".into(),
        "--no-telnet".into(),
        "--no-gzip".into(),
        "--no-print-metrics".into(),
        "--quiet".into(),
    ];
    let config = GooseConfiguration::parse_args_default(&args)
        .map_err(|e| anyhow::anyhow!("goose configuration: {e}"))?;
    let mut attack = GooseAttack::initialize_with_config(config)
        .map_err(|e| anyhow::anyhow!("goose: {e}"))?
        .set_scheduler(GooseScheduler::Random);
    for role in Role::ALL {
        attack = attack.register_scenario(scenario(role, shared, &journal, crowd)?);
    }
    // Goose stamps its steps in UTC; the journal in Instants.
    let clock = (Instant::now(), Utc::now());
    let metrics = attack
        .execute()
        .await
        .map_err(|e| anyhow::anyhow!("goose run failed: {e}"))?;
    anyhow::ensure!(
        !goose::is_killswitch_triggered(),
        "the goose run was stopped (Ctrl-C)"
    );
    let done = std::mem::take(
        &mut *journal
            .0
            .lock()
            .map_err(|_| anyhow::anyhow!("journal poisoned"))?,
    );
    figures(&metrics, done, clock)
}

/// When goose's steady step ended, on the journal's clock.
fn maintained_until(metrics: &GooseMetrics, clock: (Instant, DateTime<Utc>)) -> Option<Instant> {
    let at = metrics
        .history
        .iter()
        .position(|h| matches!(h.action, TestPlanStepAction::Maintaining))?;
    let end = metrics.history.get(at + 1)?.timestamp;
    Some(clock.0 + (end - clock.1).to_std().ok()?)
}

fn empty() -> Outcome {
    Outcome {
        ok: 0,
        errors: 0,
        latencies_us: Vec::new(),
        elapsed: Duration::ZERO,
        first_error: None,
    }
}

fn add(o: &mut Outcome, d: &Done) {
    match &d.error {
        None => {
            o.ok += 1;
            o.latencies_us
                .push(u32::try_from(d.took.as_micros()).unwrap_or(u32::MAX));
        }
        Some(e) => {
            o.errors += 1;
            o.first_error.get_or_insert_with(|| e.clone());
        }
    }
}

fn request_row(
    key: &str,
    t: &GooseRequestMetricTimingData,
    ok: usize,
    errors: usize,
    seconds: f64,
) -> Row {
    let ms = |q: f32| t.percentile_us(q) as f64 / 1000.0;
    Row {
        name: key.to_owned(),
        kind: "request",
        ok: ok as u64,
        errors: errors as u64,
        seconds,
        throughput_rps: if seconds > 0.0 {
            ok as f64 / seconds
        } else {
            0.0
        },
        p50_ms: ms(0.50),
        p95_ms: ms(0.95),
        p99_ms: ms(0.99),
        max_ms: t.maximum_time_us as f64 / 1000.0,
        throughput_vs_bare: None,
        p50_vs_bare: None,
    }
}

fn figures(
    metrics: &GooseMetrics,
    done: Vec<Done>,
    clock: (Instant, DateTime<Utc>),
) -> anyhow::Result<CrowdResult> {
    let end = maintained_until(metrics, clock).unwrap_or_else(Instant::now);
    let arrivals: Vec<&Done> = done.iter().filter(|d| d.action.is_none()).collect();
    let everyone_in = arrivals.iter().map(|d| d.started + d.took).max();
    let steady = everyone_in
        .filter(|from| *from < end)
        .map(|from| (from, end));
    let seconds = steady.map_or(0.0, |(a, b)| (b - a).as_secs_f64());

    let mut all = empty();
    let mut each: Vec<(Action, Outcome)> = Vec::new();
    if let Some((from, to)) = steady {
        for d in done.iter().filter(|d| d.started >= from && d.started < to) {
            let Some(action) = d.action else { continue };
            add(&mut all, d);
            match each.iter_mut().find(|(a, _)| *a == action) {
                Some((_, o)) => add(o, d),
                None => {
                    let mut o = empty();
                    add(&mut o, d);
                    each.push((action, o));
                }
            }
        }
    }
    let elapsed = Duration::from_secs_f64(seconds);
    all.elapsed = elapsed;
    let mut actions = vec![Row::from_stats(&Stats::new("all actions", all), "total")];
    for a in Action::ALL {
        if let Some((_, mut o)) = each
            .iter()
            .position(|(x, _)| *x == a)
            .map(|i| each.swap_remove(i))
        {
            o.elapsed = elapsed;
            actions.push(Row::from_stats(&Stats::new(a.label(), o), "action"));
        }
    }
    let mut arrived = empty();
    for d in &arrivals {
        add(&mut arrived, d);
    }
    let first = arrivals.iter().map(|d| d.started).min();
    arrived.elapsed = match (first, everyone_in) {
        (Some(a), Some(b)) => b - a,
        _ => Duration::ZERO,
    };
    actions.push(Row::from_stats(
        &Stats::new("sign in (arrival)", arrived),
        "action",
    ));

    // Goose's figures start when the last person started: close to the steady part.
    let goose_seconds = metrics
        .history
        .iter()
        .position(|h| matches!(h.action, TestPlanStepAction::Maintaining))
        .and_then(|at| {
            let b = metrics.history.get(at + 1)?.timestamp;
            Some((b - metrics.history[at].timestamp).num_milliseconds() as f64 / 1000.0)
        })
        .unwrap_or(metrics.duration as f64);
    let mut requests: Vec<Row> = metrics
        .requests
        .iter()
        .map(|(key, r)| {
            request_row(
                key,
                &r.raw_data,
                r.success_count,
                r.fail_count,
                goose_seconds,
            )
        })
        .filter(|r| r.ok + r.errors > 0)
        .collect();
    requests.sort_by(|a, b| b.ok.cmp(&a.ok).then_with(|| a.name.cmp(&b.name)));

    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    for e in done.iter().filter_map(|d| d.error.as_ref()) {
        *errors.entry(e.chars().take(120).collect()).or_default() += 1;
    }
    let failures = errors.values().sum::<usize>() as u64;
    let mut errors: Vec<(String, usize)> = errors.into_iter().collect();
    errors.sort_by_key(|e| std::cmp::Reverse(e.1));
    Ok(CrowdResult {
        steady,
        seconds,
        actions,
        requests,
        errors,
        failures,
    })
}

/// One line for the console.
pub fn describe(result: &CrowdResult) -> String {
    let total = result.actions.first();
    format!(
        "{:.0} actions/s over {:.1} s, p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, {} errors",
        total.map_or(0.0, |t| t.throughput_rps),
        result.seconds,
        total.map_or(0.0, |t| t.p50_ms),
        total.map_or(0.0, |t| t.p95_ms),
        total.map_or(0.0, |t| t.p99_ms),
        result.failures,
    )
}
