//! The real `jiafang` binary under test: a fresh database (SQLite file or a
//! new PostgreSQL database) and storage directory, the demo data, and a
//! process the harness may `kill -9` and start again on the same port.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct ServerSpec {
    pub bin: PathBuf,
    pub database_url: String,
    pub storage_dir: PathBuf,
    pub port: u16,
    pub log: PathBuf,
}

pub struct Server {
    pub spec: ServerSpec,
    child: Option<Child>,
    /// How long each start took until `/healthz` answered.
    pub start_times: Vec<Duration>,
}

/// A scratch directory removed when the run passes (kept for a look when
/// it fails: the server log is in it).
pub struct Scratch {
    pub dir: PathBuf,
}

impl Scratch {
    pub fn new(label: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "jiafang-soak-{label}-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).expect("creating the scratch directory");
        Scratch { dir }
    }

    pub fn remove(&self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A port nobody listens on right now (the server binds it a moment later).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("finding a free loopback port")
}

/// The database for one run: a new SQLite file under `scratch`, or a new
/// database in the cluster `JIAFANG_TEST_PG_URL` points at.
pub fn fresh_database(scratch: &Path, postgres: bool) -> Result<String, String> {
    if !postgres {
        return Ok(format!(
            "sqlite://{}?mode=rwc",
            scratch.join("jiafang.sqlite").display()
        ));
    }
    let base = std::env::var("JIAFANG_TEST_PG_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .ok_or("--postgres needs JIAFANG_TEST_PG_URL (run under scripts/with-postgres.sh)")?;
    let name = format!("soak_{}", uuid::Uuid::new_v4().simple());
    let psql = find_psql().ok_or("psql not found (PATH or /usr/lib/postgresql/*/bin)")?;
    let status = Command::new(psql)
        .args([
            base.as_str(),
            "-q",
            "-c",
            &format!("CREATE DATABASE {name}"),
        ])
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("running psql: {e}"))?;
    if !status.success() {
        return Err(format!("psql could not create database {name}"));
    }
    let (prefix, _) = base
        .rsplit_once('/')
        .ok_or("JIAFANG_TEST_PG_URL must end with /<database>")?;
    Ok(format!("{prefix}/{name}"))
}

fn find_psql() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("psql"))
            .find(|p| p.is_file())
    });
    on_path.or_else(|| {
        let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("bin/psql"))
            .filter(|p| p.is_file())
            .collect();
        found.sort();
        found.pop()
    })
}

impl Server {
    pub fn new(spec: ServerSpec) -> Server {
        Server {
            spec,
            child: None,
            start_times: Vec::new(),
        }
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.spec.port)
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.spec.bin);
        cmd.env("JIAFANG_DATABASE_URL", &self.spec.database_url)
            .env("JIAFANG_BIND", self.addr())
            .env("JIAFANG_STORAGE_DIR", &self.spec.storage_dir)
            .env("JIAFANG_DEMO", "0")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null());
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.spec.log)
            .expect("opening the server log");
        let log2 = log.try_clone().expect("cloning the log handle");
        cmd.stdout(log).stderr(log2);
        cmd
    }

    /// `jiafang seed-demo` (migrates first), then start serving.
    pub async fn seed_and_start(&mut self) -> Result<(), String> {
        let status = self
            .command()
            .arg("seed-demo")
            .status()
            .map_err(|e| format!("running {}: {e}", self.spec.bin.display()))?;
        if !status.success() {
            return Err(format!(
                "seed-demo failed ({status}); see {}",
                self.spec.log.display()
            ));
        }
        self.start().await
    }

    /// Start serving and wait until `/healthz` answers.
    pub async fn start(&mut self) -> Result<(), String> {
        let began = Instant::now();
        let child = self
            .command()
            .spawn()
            .map_err(|e| format!("starting {}: {e}", self.spec.bin.display()))?;
        self.child = Some(child);
        let url = format!("http://{}/healthz", self.addr());
        let client = reqwest::Client::new();
        while began.elapsed() < Duration::from_secs(120) {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                return Err(format!(
                    "server exited at start ({status}); see {}",
                    self.spec.log.display()
                ));
            }
            if let Ok(r) = client.get(&url).send().await
                && r.status().is_success()
            {
                self.start_times.push(began.elapsed());
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err("server did not answer /healthz within 120 s".into())
    }

    /// SIGKILL (`kill -9`): no shutdown, no flushing, exactly like a crash
    /// or the OOM killer.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Peak resident memory of the running server (VmHWM), in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()?)).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// Ends the server (SIGKILL: the database is thrown away anyway).
    pub fn stop(&mut self) {
        self.kill9();
    }

    /// Lines of the server log that mention a panic.
    pub fn panics_logged(&self) -> usize {
        std::fs::read_to_string(&self.spec.log)
            .map(|s| s.lines().filter(|l| l.contains("panicked")).count())
            .unwrap_or(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}
