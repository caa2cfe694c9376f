//! The timeline the script and the load share: one line per event (unix ms, process, event,
//! detail, tab-separated), and what it tells: when to stop, the phases, the restarts.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use serde::Serialize;
use tokio::sync::watch;

/// A line of the shared timeline.
#[derive(Debug, Clone)]
pub(super) struct Event {
    unix_ms: i64,
    process: String,
    event: String,
    detail: String,
}

pub(super) fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

pub(super) fn append_event(path: &Path, process: &str, event: &str) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    // One write per line, so the script's lines and ours never interleave.
    file.write_all(format!("{}\t{process}\t{event}\t\n", unix_ms()).as_bytes())?;
    Ok(())
}

pub(super) fn read_events(path: &Path) -> Vec<Event> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split('\t');
            Some(Event {
                unix_ms: fields.next()?.parse().ok()?,
                process: fields.next()?.to_owned(),
                event: fields.next()?.to_owned(),
                detail: fields.next().unwrap_or_default().to_owned(),
            })
        })
        .collect()
}

/// Ends the load `tail` after the script says its restarts are done, or at `max`.
pub(super) async fn stop_when_done(
    events: PathBuf,
    tail: Duration,
    max: Duration,
    stop: watch::Sender<bool>,
) {
    let deadline = Instant::now() + max;
    while Instant::now() < deadline {
        let done = read_events(&events)
            .iter()
            .any(|e| e.process == "script" && e.event == "restarts-done");
        if done {
            tokio::time::sleep(tail.min(deadline.saturating_duration_since(Instant::now()))).await;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = stop.send(true);
}

/// A stretch of the run between two events of the script, with the load's figures in it.
/// Cuts the load into phases at the script's events: before the restarts, each process
/// draining (SIGTERM to exit) and down (exit to ready again), and all up in between.
pub(super) fn phase_bounds(events: &[Event], start: i64, stop: i64) -> Vec<(String, i64, i64)> {
    let mut bounds = Vec::new();
    let (mut label, mut from) = ("all up, before the restarts".to_owned(), start);
    for e in events
        .iter()
        .filter(|e| e.unix_ms > start && e.unix_ms < stop)
    {
        let next = match e.event.as_str() {
            "sigterm" => format!("{} draining (SIGTERM → exit)", e.process),
            "exited" => format!("{} down (exit → ready)", e.process),
            "ready" => "all up".to_owned(),
            "restarts-done" => "all up, after the restarts".to_owned(),
            _ => continue,
        };
        bounds.push((std::mem::replace(&mut label, next), from, e.unix_ms));
        from = e.unix_ms;
    }
    bounds.push((label, from, stop));
    bounds.retain(|(_, from, to)| to > from);
    bounds
}

/// One SIGTERM restart, from the script's events.
#[derive(Debug, Serialize)]
pub(super) struct Restart {
    pub(super) process: String,
    pub(super) sigterm_to_exit_s: f64,
    pub(super) exit_code: Option<i32>,
    pub(super) killed: bool,
    pub(super) exit_to_ready_s: Option<f64>,
    pub(super) clean: bool,
}

pub(super) fn restarts(events: &[Event], grace_s: f64) -> Vec<Restart> {
    let mut out = Vec::new();
    for (i, e) in events.iter().enumerate() {
        if e.event != "sigterm" {
            continue;
        }
        let later = || events[i + 1..].iter().filter(|x| x.process == e.process);
        let exited = later().find(|x| x.event == "exited");
        let killed = later().any(|x| x.event == "sigkill");
        let ready = later().find(|x| x.event == "ready");
        let exit_code = exited.and_then(|x| x.detail.strip_prefix("code=")?.parse().ok());
        let sigterm_to_exit_s =
            exited.map_or(f64::INFINITY, |x| (x.unix_ms - e.unix_ms) as f64 / 1000.0);
        out.push(Restart {
            process: e.process.clone(),
            sigterm_to_exit_s,
            exit_code,
            killed,
            exit_to_ready_s: exited
                .zip(ready)
                .map(|(x, r)| (r.unix_ms - x.unix_ms) as f64 / 1000.0),
            clean: exit_code == Some(0) && !killed && sigterm_to_exit_s <= grace_s,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(lines: &[(i64, &str, &str, &str)]) -> Vec<Event> {
        lines
            .iter()
            .map(|(ms, p, e, d)| Event {
                unix_ms: *ms,
                process: (*p).to_owned(),
                event: (*e).to_owned(),
                detail: (*d).to_owned(),
            })
            .collect()
    }

    #[test]
    fn phases_follow_the_script() {
        let e = events(&[
            (900, "api1", "ready", ""),
            (1000, "load", "start", ""),
            (2000, "api1", "sigterm", "pid=1"),
            (7000, "api1", "exited", "code=0"),
            (7001, "api1", "started", "pid=2"),
            (7200, "api1", "ready", ""),
            (9000, "script", "restarts-done", ""),
        ]);
        let labels: Vec<(String, i64, i64)> = phase_bounds(&e, 1000, 12000);
        assert_eq!(
            labels,
            vec![
                ("all up, before the restarts".to_owned(), 1000, 2000),
                ("api1 draining (SIGTERM → exit)".to_owned(), 2000, 7000),
                ("api1 down (exit → ready)".to_owned(), 7000, 7200),
                ("all up".to_owned(), 7200, 9000),
                ("all up, after the restarts".to_owned(), 9000, 12000),
            ]
        );
    }

    #[test]
    fn a_restart_is_clean_only_with_code_0_within_the_grace() {
        let e = events(&[
            (0, "api1", "sigterm", "pid=1"),
            (6000, "api1", "exited", "code=0"),
            (6300, "api1", "ready", ""),
            (10000, "worker1", "sigterm", "pid=3"),
            (40000, "worker1", "sigkill", "pid=3"),
            (40010, "worker1", "exited", "code=137"),
            (40500, "worker1", "ready", ""),
        ]);
        let r = restarts(&e, 20.0);
        assert_eq!(r.len(), 2);
        assert!(r[0].clean);
        assert_eq!(r[0].exit_to_ready_s, Some(0.3));
        assert!(!r[1].clean);
        assert!(r[1].killed);
        assert_eq!(r[1].exit_code, Some(137));
    }
}
