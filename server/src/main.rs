//! `jiafang`: the 家访通 server.
//!
//! ```text
//! jiafang [serve]                       run the web server (migrates first)
//! jiafang migrate up|down|status|fresh  manage the database schema
//! jiafang seed-demo                     load the demo county (idempotent)
//! jiafang seed-demo-visits              …and past visits for it (once)
//! jiafang rebuild-tallies              count the quota tallies again from the visits
//! jiafang backup DIR                    copy the SQLite database and photos (online)
//! jiafang restore DIR [--force]         put such a copy back (server stopped)
//! ```
//! Configuration comes from the environment (see `app::config::Config`).

use std::process::ExitCode;

use app::config::Config;

fn main() -> ExitCode {
    limit_malloc_arenas();
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(run()),
        Err(err) => {
            eprintln!("cannot start the async runtime: {err}");
            ExitCode::FAILURE
        }
    }
}

/// glibc gives threads that contend for malloc arenas of their own (up to
/// 8 per core) and keeps their freed memory. With tokio's workers and the
/// blocking threads that decode photos, that nearly doubled the server's
/// peak memory under the 200-phone load: 727 MiB, against 398 MiB with two
/// arenas at the same throughput (docs/measurements.md, session 11).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    // SAFETY: mallopt only changes an allocator setting; called before the
    // runtime starts any thread. An explicit MALLOC_ARENA_MAX still wins.
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}

async fn run() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("配置错误 / configuration error: {err}");
            return ExitCode::from(2);
        }
    };
    server::init_tracing(config.log_json);
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        [] | ["serve"] => server::serve(config, server::shutdown_signal()).await,
        ["migrate", command] => server::migrate_command(&config, command).await,
        ["seed-demo"] => server::seed_demo_command(&config).await,
        ["seed-demo-visits"] => server::seed_demo_visits_command(&config).await,
        ["rebuild-tallies"] => server::rebuild_tallies_command(&config).await,
        ["backup", dir] => server::backup::backup_command(&config, dir).await,
        ["restore", dir] => server::backup::restore_command(&config, dir, false).await,
        ["restore", dir, "--force"] => server::backup::restore_command(&config, dir, true).await,
        _ => {
            eprintln!(
                "usage: jiafang [serve] | migrate up|down|status|fresh | seed-demo | seed-demo-visits \
                 | rebuild-tallies | backup DIR | restore DIR [--force]"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "jiafang failed");
            ExitCode::FAILURE
        }
    }
}
