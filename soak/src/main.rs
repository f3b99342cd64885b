//! `jiafang-soak`: fault-injection sync soak and load test for 家访通.
//!
//! ```text
//! jiafang-soak sync --sessions N --seed S [--server-bin PATH] [--postgres]
//!                   [--workers W] [--time-scale K] [--passes P]
//! jiafang-soak load [--clients 200] [--visits 20] [--photos 2] [--server-bin PATH]
//!                   [--postgres] [--photo-px 1600] [--timeout-secs 1200] [--seed S]
//! ```
//!
//! Both start the real server binary (default `target/release/jiafang`) on
//! a fresh database (a temp SQLite file, or with `--postgres` a new database
//! in the cluster `JIAFANG_TEST_PG_URL` names, as `scripts/with-postgres.sh`
//! sets it) after `jiafang seed-demo`, on loopback only. Exit code 0 when
//! the run passed, 1 when it found a problem, 2 on bad arguments or a
//! harness failure.

mod client;
mod load;
mod media;
mod proxy;
mod server;
mod sync_soak;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage:
  jiafang-soak sync --sessions N --seed S [--server-bin PATH] [--postgres] [--workers W] [--time-scale K] [--passes P]
  jiafang-soak load [--clients N] [--visits N] [--photos N] [--server-bin PATH] [--postgres] [--photo-px PX] [--timeout-secs S] [--seed S]";

/// `--name value` pairs and bare `--flag`s.
struct Args {
    values: BTreeMap<String, String>,
    flags: Vec<String>,
}

impl Args {
    fn parse(raw: &[String]) -> Result<Args, String> {
        let mut values = BTreeMap::new();
        let mut flags = Vec::new();
        let mut i = 0;
        while i < raw.len() {
            let name = raw[i]
                .strip_prefix("--")
                .ok_or_else(|| format!("unexpected argument {:?}", raw[i]))?;
            if name == "postgres" {
                flags.push(name.to_owned());
                i += 1;
            } else {
                let value = raw
                    .get(i + 1)
                    .ok_or_else(|| format!("--{name} needs a value"))?;
                values.insert(name.to_owned(), value.clone());
                i += 2;
            }
        }
        Ok(Args { values, flags })
    }

    fn num<T: std::str::FromStr>(&mut self, name: &str, default: Option<T>) -> Result<T, String> {
        match self.values.remove(name) {
            Some(v) => v
                .parse()
                .map_err(|_| format!("--{name}: not a number: {v}")),
            None => default.ok_or_else(|| format!("--{name} is required")),
        }
    }

    fn server_bin(&mut self) -> PathBuf {
        self.values
            .remove("server-bin")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("target/release/jiafang"))
    }

    fn postgres(&self) -> bool {
        self.flags.iter().any(|f| f == "postgres")
    }

    fn finish(self) -> Result<(), String> {
        match self.values.keys().next() {
            Some(unknown) => Err(format!("unknown option --{unknown}")),
            None => Ok(()),
        }
    }
}

async fn run(raw: Vec<String>) -> Result<bool, String> {
    let (command, rest) = raw.split_first().ok_or("no command")?;
    let mut args = Args::parse(rest)?;
    let postgres = args.postgres();
    match command.as_str() {
        "sync" => {
            let opts = sync_soak::SyncOpts {
                sessions: args.num("sessions", None)?,
                seed: args.num("seed", None)?,
                server_bin: args.server_bin(),
                postgres,
                workers: args.num("workers", Some(4))?,
                time_scale: args.num("time-scale", Some(50))?,
                passes_per_session: args.num("passes", Some(6))?,
            };
            args.finish()?;
            if opts.workers == 0 || opts.time_scale == 0 {
                return Err("--workers and --time-scale must be at least 1".into());
            }
            sync_soak::run(opts).await
        }
        "load" => {
            let opts = load::LoadOpts {
                clients: args.num("clients", Some(200))?,
                visits: args.num("visits", Some(20))?,
                photos: args.num("photos", Some(2))?,
                server_bin: args.server_bin(),
                postgres,
                photo_px: args.num("photo-px", Some(1600))?,
                timeout: Duration::from_secs(args.num("timeout-secs", Some(1200))?),
                seed: args.num("seed", Some(1))?,
            };
            args.finish()?;
            if opts.photo_px < 16 {
                return Err("--photo-px must be at least 16".into());
            }
            load::run(opts).await
        }
        other => Err(format!("unknown command {other:?}")),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    match run(raw).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(message) => {
            eprintln!("jiafang-soak: {message}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
