//! The SRE view stays honest: every metric that a Grafana dashboard (charts/crm/dashboards/*.json)
//! or a Prometheus rule (charts/crm/rules/crm-alerts.yaml) queries is exported by a real
//! `crm serve` or `crm worker`, or recorded by the rules file itself. A dashboard panel on a
//! metric that does not exist would show "No data" forever and an alert on one would never fire.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tests::*;

const CRM: &str = env!("CARGO_BIN_EXE_crm");

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

// --------------------------------------------------------------------------- PromQL names

/// Aggregation operators: followed by `(` or by `by`/`without`, never metric names.
const AGGREGATIONS: &[&str] = &[
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
    "limitk",
    "limit_ratio",
];
/// Keywords whose parenthesised list holds label names.
const LABEL_LISTS: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];
/// Other keywords and literals that look like identifiers.
const KEYWORDS: &[&str] = &[
    "and", "or", "unless", "bool", "offset", "atan2", "inf", "nan", "start", "end",
];

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == ':'
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

/// Index just past the string literal starting at `i` (quote at `i`).
fn skip_string(s: &[char], i: usize) -> usize {
    let quote = s[i];
    let mut j = i + 1;
    while j < s.len() && s[j] != quote {
        if s[j] == '\\' && quote != '`' {
            j += 1;
        }
        j += 1;
    }
    j + 1
}

/// Index just past the bracket closing the one at `i`, strings inside skipped.
fn skip_group(s: &[char], i: usize, open: char, close: char) -> usize {
    let mut depth = 0;
    let mut j = i;
    while j < s.len() {
        match s[j] {
            '"' | '\'' | '`' => {
                j = skip_string(s, j);
                continue;
            }
            c if c == open => depth += 1,
            c if c == close => {
                depth -= 1;
                if depth == 0 {
                    return j + 1;
                }
            }
            _ => {}
        }
        j += 1;
    }
    s.len()
}

fn next_non_space(s: &[char], mut i: usize) -> Option<usize> {
    while i < s.len() && s[i].is_whitespace() {
        i += 1;
    }
    (i < s.len()).then_some(i)
}

fn read_ident(s: &[char], i: usize) -> (String, usize) {
    let mut j = i;
    while j < s.len() && is_ident(s[j]) {
        j += 1;
    }
    (s[i..j].iter().collect(), j)
}

/// The metric names a PromQL expression (or a Grafana `label_values(...)` query) reads: every
/// identifier that is not a function, an aggregation, a keyword, a label inside `{...}` or a
/// `by (...)` list, a duration inside `[...]`, a string or a Grafana `$variable`; plus the
/// value of a `{__name__="..."}` matcher.
pub fn metric_names(expr: &str) -> BTreeSet<String> {
    let s: Vec<char> = expr.chars().collect();
    let mut names = BTreeSet::new();
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        match c {
            '"' | '\'' | '`' => i = skip_string(&s, i),
            '#' => {
                while i < s.len() && s[i] != '\n' {
                    i += 1;
                }
            }
            '{' => {
                let end = skip_group(&s, i, '{', '}');
                let inner: String = s[i..end].iter().collect();
                if let Some(pos) = inner.find("__name__") {
                    let rest = inner[pos + "__name__".len()..].trim_start();
                    if let Some(value) = rest.strip_prefix('=').map(str::trim_start)
                        && let Some(q) = value.chars().next().filter(|q| *q == '"' || *q == '\'')
                        && let Some(close) = value[1..].find(q)
                    {
                        names.insert(value[1..=close].to_owned());
                    }
                }
                i = end;
            }
            '[' => i = skip_group(&s, i, '[', ']'),
            '$' => {
                i += 1;
                if i < s.len() && s[i] == '{' {
                    i = skip_group(&s, i, '{', '}');
                } else {
                    while i < s.len() && (s[i].is_ascii_alphanumeric() || s[i] == '_') {
                        i += 1;
                    }
                }
            }
            c if c.is_ascii_digit()
                || (c == '.' && s.get(i + 1).is_some_and(char::is_ascii_digit)) =>
            {
                while i < s.len() && (s[i].is_ascii_alphanumeric() || s[i] == '.') {
                    i += 1;
                }
            }
            c if is_ident_start(c) => {
                let (word, end) = read_ident(&s, i);
                let next = next_non_space(&s, end);
                let followed_by = next.map(|n| s[n]);
                let lower = word.to_ascii_lowercase();
                if LABEL_LISTS.contains(&word.as_str()) {
                    i = match (next, followed_by) {
                        (Some(n), Some('(')) => skip_group(&s, n, '(', ')'),
                        _ => end,
                    };
                } else if word == "label_values" && followed_by == Some('(') {
                    // Grafana: label_values(label) or label_values(selector, label).
                    let n = next.unwrap_or(end);
                    let close = skip_group(&s, n, '(', ')');
                    let args: String = s[n + 1..close.saturating_sub(1)].iter().collect();
                    if let Some((selector, _label)) = split_top_level_comma(&args) {
                        names.extend(metric_names(&selector));
                    }
                    i = close;
                } else if followed_by == Some('(')
                    || KEYWORDS.contains(&lower.as_str())
                    || (AGGREGATIONS.contains(&word.as_str())
                        && next.is_some_and(|n| {
                            let (w, _) = read_ident(&s, n);
                            w == "by" || w == "without"
                        }))
                {
                    i = end; // a function, an aggregation or a keyword
                } else {
                    names.insert(word);
                    i = end;
                }
            }
            _ => i += 1,
        }
    }
    names
}

fn split_top_level_comma(args: &str) -> Option<(String, String)> {
    let s: Vec<char> = args.chars().collect();
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            '"' | '\'' | '`' => i = skip_string(&s, i),
            '{' => i = skip_group(&s, i, '{', '}'),
            '(' => i = skip_group(&s, i, '(', ')'),
            '[' => i = skip_group(&s, i, '[', ']'),
            ',' => {
                return Some((
                    s[..i].iter().collect(),
                    s[i + 1..].iter().collect::<String>(),
                ));
            }
            _ => i += 1,
        }
    }
    None
}

// --------------------------------------------------------------------------- where queries live

/// `(where, expr)` of every query of a Grafana dashboard: panel targets and query variables.
pub fn dashboard_queries(name: &str, json: &str) -> Vec<(String, String)> {
    fn walk(v: &serde_json::Value, at: &str, out: &mut Vec<(String, String)>) {
        match v {
            serde_json::Value::Object(map) => {
                let here = map
                    .get("title")
                    .or_else(|| map.get("name"))
                    .and_then(|t| t.as_str())
                    .map(|t| format!("{at} > {t}"))
                    .unwrap_or_else(|| at.to_owned());
                if let Some(e) = map.get("expr").and_then(|e| e.as_str()) {
                    out.push((here.clone(), e.to_owned()));
                }
                for (k, child) in map {
                    if k != "expr" {
                        walk(child, &here, out);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|c| walk(c, at, out)),
            _ => {}
        }
    }
    let dash: serde_json::Value = serde_json::from_str(json).expect("dashboard JSON");
    let mut out = Vec::new();
    walk(&dash["panels"], name, &mut out);
    for var in dash["templating"]["list"].as_array().into_iter().flatten() {
        if var["type"] == "query" {
            let q = var["query"]
                .as_str()
                .or_else(|| var["query"]["query"].as_str())
                .unwrap_or_default();
            out.push((
                format!("{name} > variable {}", var["name"].as_str().unwrap_or("?")),
                q.to_owned(),
            ));
        }
    }
    out
}

/// `(where, expr)` of every `expr:` of a Prometheus rules file, and the names its `record:`s
/// define. A small reader for the YAML shapes rule files use: plain, quoted and block scalars.
pub fn rule_queries(name: &str, yaml: &str) -> (Vec<(String, String)>, BTreeSet<String>) {
    let lines: Vec<&str> = yaml.lines().collect();
    let mut exprs = Vec::new();
    let mut records = BTreeSet::new();
    let unquote = |v: &str| {
        let v = v.trim();
        if v.len() >= 2
            && ((v.starts_with('"') && v.ends_with('"'))
                || (v.starts_with('\'') && v.ends_with('\'')))
        {
            v[1..v.len() - 1].replace("''", "'").replace("\\\"", "\"")
        } else {
            v.to_owned()
        }
    };
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let body = line.trim_start();
        let body = body.strip_prefix("- ").unwrap_or(body);
        let indent = line.len() - line.trim_start().len();
        if let Some(v) = body.strip_prefix("record:") {
            records.insert(unquote(v));
        } else if let Some(v) = body.strip_prefix("expr:") {
            let v = v.trim();
            if v.starts_with('|') || v.starts_with('>') {
                let mut block = Vec::new();
                let mut j = i + 1;
                while j < lines.len() {
                    let l = lines[j];
                    let l_indent = l.len() - l.trim_start().len();
                    if !l.trim().is_empty() && l_indent <= indent {
                        break;
                    }
                    block.push(l.trim());
                    j += 1;
                }
                exprs.push((format!("{name}:{}", i + 1), block.join("\n")));
                i = j;
                continue;
            }
            exprs.push((format!("{name}:{}", i + 1), unquote(v)));
        }
        i += 1;
    }
    (exprs, records)
}

/// Names of the samples in a Prometheus text exposition (`x_bucket`, `x_sum`, `x_count` for a
/// histogram `x`: classic histograms have no series named `x` itself).
pub fn exposed_names(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            l.split(|c: char| c == '{' || c.is_whitespace())
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

/// Every referenced name that is neither exposed nor recorded, with where it is referenced.
pub fn unknown_metrics(
    queries: &[(String, String)],
    exposed: &BTreeSet<String>,
    recorded: &BTreeSet<String>,
) -> BTreeMap<String, Vec<String>> {
    let mut missing: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (at, expr) in queries {
        for name in metric_names(expr) {
            if !exposed.contains(&name) && !recorded.contains(&name) {
                missing.entry(name).or_default().push(at.clone());
            }
        }
    }
    missing
}

fn all_queries() -> (Vec<(String, String)>, BTreeSet<String>, usize) {
    let mut queries = Vec::new();
    let mut dashboards = 0;
    let dir = repo().join("charts/crm/dashboards");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("charts/crm/dashboards")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    for path in files {
        dashboards += 1;
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(&path).expect("read dashboard");
        queries.extend(dashboard_queries(&name, &text));
    }
    let rules = std::fs::read_to_string(repo().join("charts/crm/rules/crm-alerts.yaml"))
        .expect("charts/crm/rules/crm-alerts.yaml");
    let (rule_exprs, recorded) = rule_queries("crm-alerts.yaml", &rules);
    queries.extend(rule_exprs);
    (queries, recorded, dashboards)
}

/// Which process's `/metrics` each dashboard reads: its queries are checked against that
/// process alone (the alert rules, which span both, against the two together).
const DASHBOARD_PROCESS: &[(&str, Process)] = &[
    ("crm-api.json", Process::Serve),
    ("crm-worker.json", Process::Worker),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Process {
    Serve,
    Worker,
    Both,
}

/// The process a query (`where` as `dashboard_queries` and `rule_queries` name it) reads.
fn process_of(at: &str) -> Process {
    let file = at.split([' ', ':']).next().unwrap_or_default();
    if !file.ends_with(".json") {
        return Process::Both;
    }
    DASHBOARD_PROCESS
        .iter()
        .find(|(name, _)| *name == file)
        .map(|(_, p)| *p)
        .unwrap_or_else(|| panic!("{file}: say in DASHBOARD_PROCESS which process it reads"))
}

/// `unknown_metrics` with each query checked against the names its own process exposes.
fn unknown_per_process(
    queries: &[(String, String)],
    serve: &BTreeSet<String>,
    worker: &BTreeSet<String>,
    recorded: &BTreeSet<String>,
) -> BTreeMap<String, Vec<String>> {
    let both: BTreeSet<String> = serve.union(worker).cloned().collect();
    let mut missing: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (process, exposed) in [
        (Process::Serve, serve),
        (Process::Worker, worker),
        (Process::Both, &both),
    ] {
        let mine: Vec<(String, String)> = queries
            .iter()
            .filter(|(at, _)| process_of(at) == process)
            .cloned()
            .collect();
        for (name, places) in unknown_metrics(&mine, exposed, recorded) {
            missing.entry(name).or_default().extend(places);
        }
    }
    missing
}

// --------------------------------------------------------------------------- unit tests

#[test]
fn observability_extractor_finds_metric_names_and_nothing_else() {
    let cases: &[(&str, &[&str])] = &[
        (
            r#"sum by (route) (rate(http_requests_total{namespace="$namespace", route=~"$route", status=~"5.."}[$__rate_interval]))"#,
            &["http_requests_total"],
        ),
        (
            "histogram_quantile(0.95, sum by (le, route) (rate(http_request_duration_seconds_bucket{job=~\"$job\"}[5m])))",
            &["http_request_duration_seconds_bucket"],
        ),
        (
            "sum(rate(x_sum[5m])) by (kind) / sum without (instance) (rate(x_count[5m] offset 1h))",
            &["x_count", "x_sum"],
        ),
        (
            "crm:ratio_rate1h > (14.4 * 0.001) and on (job) group_left (team) up_team_info or vector(0)",
            &["crm:ratio_rate1h", "up_team_info"],
        ),
        (
            "max(worker_queue_oldest_pending_seconds) > 300 unless process_resident_memory_bytes < bool 1e9",
            &[
                "process_resident_memory_bytes",
                "worker_queue_oldest_pending_seconds",
            ],
        ),
        (
            r#"label_replace(redis_up, "dst", "$1", "src", "(.*)") # comment naming fake_metric"#,
            &["redis_up"],
        ),
        (
            r#"{__name__="db_pool_connections", job="x"} - ignoring(pod) db_pool_idle_connections"#,
            &["db_pool_connections", "db_pool_idle_connections"],
        ),
        (
            "label_values(worker_jobs_total{namespace=\"$namespace\"}, kind)",
            &["worker_jobs_total"],
        ),
        ("label_values(namespace)", &[]),
        (
            "topk(5, sum by(route)(rate(a_total[1m:10s])))",
            &["a_total"],
        ),
    ];
    for (expr, want) in cases {
        let got: Vec<String> = metric_names(expr).into_iter().collect();
        assert_eq!(got, *want, "{expr}");
    }
}

#[test]
fn observability_check_catches_a_made_up_metric() {
    let scrape = "# HELP http_requests_total HTTP requests served\n\
                  # TYPE http_requests_total counter\n\
                  http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 3\n\
                  # TYPE http_request_duration_seconds histogram\n\
                  http_request_duration_seconds_bucket{le=\"0.5\"} 3\n\
                  http_request_duration_seconds_sum 0.01\n\
                  http_request_duration_seconds_count 3\n\
                  redis_up 1\n";
    let exposed = exposed_names(scrape);
    let dashboard = r#"{"panels": [{"title": "Row", "type": "row", "panels": []},
        {"title": "Made up", "targets": [{"expr": "sum(rate(crm_made_up_total{route=\"x\"}[5m]))"}]},
        {"title": "Real", "targets": [{"expr": "sum(rate(http_requests_total[5m]))"}]},
        {"title": "Bare histogram", "targets": [{"expr": "rate(http_request_duration_seconds[5m])"}]}],
        "templating": {"list": [{"name": "ns", "type": "query",
            "query": {"query": "label_values(crm_made_up_info, namespace)"}}]}}"#;
    let rules = "groups:\n  - name: g\n    rules:\n      - record: crm:ok:rate5m\n        expr: |\n          sum(rate(http_requests_total[5m]))\n      - alert: A\n        expr: crm:ok:rate5m > 1 and redis_up == 0\n      - alert: B\n        expr: 'crm:not_recorded:rate5m > 0'\n      - alert: C\n        expr: >-\n          max(http_request_duration_seconds_count)\n          + another_made_up_metric\n        for: 5m\n";
    let mut queries = dashboard_queries("d.json", dashboard);
    let (rule_exprs, recorded) = rule_queries("r.yaml", rules);
    assert_eq!(rule_exprs.len(), 4, "{rule_exprs:?}");
    assert_eq!(
        recorded,
        BTreeSet::from(["crm:ok:rate5m".to_owned()]),
        "{recorded:?}"
    );
    queries.extend(rule_exprs);
    let missing = unknown_metrics(&queries, &exposed, &recorded);
    let names: Vec<&str> = missing.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "another_made_up_metric",
            "crm:not_recorded:rate5m",
            "crm_made_up_info",
            "crm_made_up_total",
            "http_request_duration_seconds",
        ],
        "{missing:#?}"
    );
    assert_eq!(missing["crm_made_up_total"], ["d.json > Made up"]);
}

#[test]
fn observability_a_dashboard_is_checked_against_its_own_process() {
    let serve = exposed_names("http_requests_total{a=\"b\"} 1\nprocess_resident_memory_bytes 1\n");
    let worker = exposed_names("worker_jobs_total{a=\"b\"} 1\nprocess_resident_memory_bytes 1\n");
    let queries = vec![
        (
            "crm-api.json > Jobs".to_owned(),
            "sum(worker_jobs_total)".to_owned(),
        ),
        (
            "crm-api.json > Memory".to_owned(),
            "process_resident_memory_bytes".to_owned(),
        ),
        (
            "crm-worker.json > Requests".to_owned(),
            "sum(http_requests_total)".to_owned(),
        ),
        (
            "crm-alerts.yaml:3".to_owned(),
            "http_requests_total + worker_jobs_total".to_owned(),
        ),
    ];
    let missing = unknown_per_process(&queries, &serve, &worker, &BTreeSet::new());
    assert_eq!(
        missing,
        BTreeMap::from([
            (
                "http_requests_total".to_owned(),
                vec!["crm-worker.json > Requests".to_owned()]
            ),
            (
                "worker_jobs_total".to_owned(),
                vec!["crm-api.json > Jobs".to_owned()]
            ),
        ])
    );
}

// --------------------------------------------------------------------------- against the binary

async fn scrape(url: &str) -> String {
    match reqwest::get(url).await {
        Ok(r) if r.status() == 200 => r.text().await.unwrap_or_default(),
        _ => String::new(),
    }
}

#[tokio::test]
async fn observability_dashboards_and_rules_query_only_exported_metrics() {
    let (queries, recorded, dashboards) = all_queries();
    assert!(dashboards >= 2, "expected the api and worker dashboards");
    assert!(
        queries.len() >= 40,
        "only {} queries found: is the extraction broken?",
        queries.len()
    );
    for (at, expr) in &queries {
        assert!(
            !metric_names(expr).is_empty(),
            "{at}: no metric found in {expr:?}"
        );
    }

    let db = fresh_database().await;
    let (http, metrics, worker_metrics) = (free_port(), free_port(), free_port());
    // The processes' logs go to files, shown when something fails.
    let log_path =
        |role: &str| std::env::temp_dir().join(format!("crm-observability-{db}-{role}.log"));
    let log_file =
        |role: &str| Stdio::from(std::fs::File::create(log_path(role)).expect("log file"));
    let mut serve = tokio::process::Command::new(CRM)
        .arg("serve")
        .env("DATABASE_URL", app_url(&db))
        .env("REDIS_URL", REDIS)
        .env("CRM_JWT_PRIVATE_KEY", test_key_pem())
        .env("CRM_MASTER_KEYS", test_master_keys())
        .env("CRM_HTTP_ADDR", format!("127.0.0.1:{http}"))
        .env("CRM_METRICS_ADDR", format!("127.0.0.1:{metrics}"))
        .env("CRM_AUTHZ_RELOAD_SECS", "1")
        .env("CRM_SHUTDOWN_DELAY", "0")
        .stdout(Stdio::null())
        .stderr(log_file("serve"))
        .kill_on_drop(true)
        .spawn()
        .expect("spawn crm serve");
    let mut worker = tokio::process::Command::new(CRM)
        .arg("worker")
        .env("DATABASE_URL", app_url(&db))
        .env("REDIS_URL", REDIS)
        .env("CRM_JWT_PRIVATE_KEY", test_key_pem())
        .env("CRM_MASTER_KEYS", test_master_keys())
        .env(
            "CRM_WORKER_METRICS_ADDR",
            format!("127.0.0.1:{worker_metrics}"),
        )
        .env("CRM_WORKER_HEARTBEAT_SECS", "1")
        .stdout(Stdio::null())
        .stderr(log_file("worker"))
        .kill_on_drop(true)
        .spawn()
        .expect("spawn crm worker");

    let base = format!("http://127.0.0.1:{http}");
    let deadline = Instant::now() + Duration::from_secs(30);
    let (mut serve_text, mut worker_text);
    let mut missing;
    loop {
        // Requests of several kinds, so the http series (and their histogram buckets) exist.
        for path in [
            "/healthz",
            "/readyz",
            "/api/v1/me",
            "/no-such-route",
            "/api/v1/openapi.json",
        ] {
            let _ = reqwest::get(format!("{base}{path}")).await;
        }
        serve_text = scrape(&format!("http://127.0.0.1:{metrics}/metrics")).await;
        worker_text = scrape(&format!("http://127.0.0.1:{worker_metrics}/metrics")).await;
        missing = unknown_per_process(
            &queries,
            &exposed_names(&serve_text),
            &exposed_names(&worker_text),
            &recorded,
        );
        // Series appear as the processes work (reloads, jobs): wait for them up to the deadline.
        let exited =
            matches!(serve.try_wait(), Ok(Some(_))) || matches!(worker.try_wait(), Ok(Some(_)));
        if missing.is_empty() || exited || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let _ = serve.start_kill();
    let _ = worker.start_kill();
    let _ = serve.wait().await;
    let _ = worker.wait().await;
    let logs = |role: &str| {
        let text = std::fs::read_to_string(log_path(role)).unwrap_or_default();
        let _ = std::fs::remove_file(log_path(role));
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    };
    let (serve_log, worker_log) = (logs("serve"), logs("worker"));

    assert!(
        serve_text.contains("http_requests_total{"),
        "crm serve exported no http series:\n{serve_text}\n--- its log:\n{serve_log}"
    );
    let build = format!(
        "crm_build_info{{revision=\"{}\",version=\"{}\"}} 1",
        domain::build_info::REVISION,
        domain::build_info::VERSION
    );
    for (role, text) in [("serve", &serve_text), ("worker", &worker_text)] {
        assert!(
            text.contains(&build),
            "crm {role} does not say {build}:\n{text}"
        );
    }
    assert!(
        worker_text.contains("worker_jobs_total{"),
        "crm worker ran no job:\n{worker_text}\n--- its log:\n{worker_log}"
    );
    assert!(
        missing.is_empty(),
        "dashboards query metrics their process (crm serve for crm-api.json, crm worker for \
         crm-worker.json) does not export, or rules metrics neither exports (nor a recording \
         rule defines):\n{missing:#?}\n--- crm serve /metrics:\n{serve_text}\n--- crm worker /metrics:\n{worker_text}"
    );
}
