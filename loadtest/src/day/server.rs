//! The API under test as its own process (`crm serve`), so its memory and its connections can be
//! read from `/proc` apart from the load generator's; or an API already running elsewhere.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

/// How `crm serve` is started.
pub struct Launch<'a> {
    pub bin: &'a Path,
    pub database_url: String,
    pub redis_url: String,
    pub master_keys: &'a str,
    pub pool_size: u32,
    pub log_filter: &'a str,
    pub log_file: PathBuf,
}

/// A running API.
pub struct Server {
    pub base: String,
    pub port: u16,
    pub pid: Option<u32>,
    child: Option<Child>,
    pub log_file: Option<PathBuf>,
}

fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// `target/release/crm` beside this binary.
pub fn default_bin() -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe().context("cannot find this executable")?;
    Ok(me.with_file_name("crm"))
}

impl Server {
    /// Starts `crm serve` on free ports with a fresh signing key, the seed's master key, sign-in
    /// limits out of the way (hundreds of staff share one owner account per tenant) and hour-long
    /// tokens; waits until `/readyz` answers 200.
    pub async fn start(launch: &Launch<'_>, http: &reqwest::Client) -> anyhow::Result<Self> {
        anyhow::ensure!(
            launch.bin.is_file(),
            "{} is missing: build it with `cargo build --release -p crm`",
            launch.bin.display()
        );
        let (port, metrics) = (free_port()?, free_port()?);
        let log = std::fs::File::create(&launch.log_file)
            .with_context(|| format!("cannot create {}", launch.log_file.display()))?;
        let child = Command::new(launch.bin)
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DATABASE_URL", &launch.database_url)
            .env("REDIS_URL", &launch.redis_url)
            .env("CRM_HTTP_ADDR", format!("127.0.0.1:{port}"))
            .env("CRM_METRICS_ADDR", format!("127.0.0.1:{metrics}"))
            .env(
                "CRM_JWT_PRIVATE_KEY",
                api::auth::tokens::generate_private_key_pem(),
            )
            .env("CRM_MASTER_KEYS", launch.master_keys)
            .env("CRM_LOGIN_LIMIT_PER_ACCOUNT", "1000000")
            .env("CRM_LOGIN_LIMIT_PER_IP", "1000000")
            .env("CRM_ACCESS_TOKEN_TTL_SECS", "3600")
            .env("CRM_DB_MAX_CONNECTIONS", launch.pool_size.to_string())
            .env("CRM_SHUTDOWN_GRACE", "4")
            .env("CRM_SHUTDOWN_DELAY", "0")
            .env("CRM_LOG", launch.log_filter)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", launch.bin.display()))?;
        let mut server = Self {
            base: format!("http://127.0.0.1:{port}"),
            port,
            pid: child.id(),
            child: Some(child),
            log_file: Some(launch.log_file.clone()),
        };
        if let Err(e) = server.wait_ready(http).await {
            let tail = server.log_tail();
            server.stop().await;
            return Err(e.context(format!(
                "crm serve did not become ready; its log ends:\n{tail}"
            )));
        }
        Ok(server)
    }

    /// An API someone else runs; its memory is read when its process id is given.
    pub fn external(url: &str, pid: Option<u32>) -> anyhow::Result<Self> {
        let parsed = reqwest::Url::parse(url).with_context(|| format!("bad --api-url {url}"))?;
        let host = parsed.host_str().unwrap_or_default();
        anyhow::ensure!(
            matches!(host, "127.0.0.1" | "localhost"),
            "--api-url must be on 127.0.0.1, got {url}"
        );
        Ok(Self {
            base: url.trim_end_matches('/').to_owned(),
            port: parsed.port_or_known_default().unwrap_or(80),
            pid,
            child: None,
            log_file: None,
        })
    }

    async fn wait_ready(&mut self, http: &reqwest::Client) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let url = format!("{}/readyz", self.base);
        loop {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                anyhow::bail!("crm serve exited with {status}");
            }
            if let Ok(r) = http.get(&url).send().await
                && r.status().is_success()
            {
                return Ok(());
            }
            anyhow::ensure!(Instant::now() < deadline, "no 200 from {url} within 60 s");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    fn log_tail(&self) -> String {
        let Some(path) = &self.log_file else {
            return String::new();
        };
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// SIGTERM (the product's graceful drain), then SIGKILL after a few seconds.
    pub async fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Some(pid) = child.id() {
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .await;
        }
        if tokio::time::timeout(Duration::from_secs(8), child.wait())
            .await
            .is_err()
        {
            let _ = child.kill().await;
        }
    }
}

/// Resident memory of a process, in KiB (`VmRSS` in `/proc/<pid>/status`).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Established TCP connections whose local port is `port`: the server's side of its clients'
/// connections (the clients' own sockets have the port as the remote one).
pub fn established(port: u16) -> usize {
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .map(|text| {
            text.lines()
                .skip(1)
                .filter(|line| {
                    let mut fields = line.split_whitespace();
                    let local = fields.nth(1);
                    let state = fields.nth(1);
                    state == Some("01")
                        && local
                            .and_then(|l| l.rsplit_once(':'))
                            .and_then(|(_, p)| u16::from_str_radix(p, 16).ok())
                            == Some(port)
                })
                .count()
        })
        .sum()
}

/// One reading of the server.
#[derive(Clone, Copy)]
pub struct Sample {
    pub at: Instant,
    pub rss_kib: Option<u64>,
    pub connections: usize,
}

/// Reads the server's memory and connections every 250 ms until stopped.
pub struct Sampler {
    stop: Arc<AtomicBool>,
    task: JoinHandle<Vec<Sample>>,
}

impl Sampler {
    pub fn start(pid: Option<u32>, port: u16) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let task = tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut tick = tokio::time::interval(Duration::from_millis(250));
            while !flag.load(Ordering::Relaxed) {
                tick.tick().await;
                samples.push(Sample {
                    at: Instant::now(),
                    rss_kib: pid.and_then(rss_kib),
                    connections: established(port),
                });
            }
            samples
        });
        Self { stop, task }
    }

    pub async fn finish(self) -> Vec<Sample> {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap_or_default()
    }
}

/// The process's open-file limit (soft), from `/proc/self/limits`.
pub fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        assert!(rss_kib(std::process::id()).is_some_and(|k| k > 0));
        assert!(open_file_limit().is_some_and(|n| n > 0));
    }

    #[test]
    fn counts_a_connection_on_its_port() -> anyhow::Result<()> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let _client = std::net::TcpStream::connect(("127.0.0.1", port))?;
        let _server = listener.accept()?;
        assert_eq!(established(port), 1);
        Ok(())
    }
}
