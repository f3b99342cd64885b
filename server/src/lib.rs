//! The 家访通 server: builds the state, the router and serves it.
// The Leptos view types of the larger pages nest deeply.
#![recursion_limit = "256"]

pub mod backup;
pub mod demo;
mod precompressed;
mod security;
mod service_worker;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use app::attachments::storage::{BlobStore, LocalDirStore, S3Store};
use app::auth::session_store::DbSessionStore;
use app::config::Config;
use app::state::AppState;
use app::{App, shell};
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::get;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use migrations::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::session_store::ExpiredDeletion;
use tower_sessions::{Expiry, SessionManagerLayer};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub const SESSION_COOKIE: &str = "jiafang_session";
/// A teacher may be out of signal for weeks; the session lasts 30 days
/// after the last request.
const SESSION_IDLE_DAYS: i64 = 30;

pub fn init_tracing(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Connect, migrate, seed demo data if asked, and build the shared state.
pub async fn build_state(config: Config) -> Result<AppState, BoxError> {
    let db = app::db::connect(&config.database_url).await?;
    Migrator::up(&db, None).await?;
    if config.demo {
        demo::seed(&db).await?;
    }
    let leptos_options = LeptosOptions::builder()
        .output_name("jiafang")
        .site_root(config.site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .site_addr(config.bind)
        .build();
    let storage: Arc<dyn BlobStore> = match &config.s3 {
        Some(s3) => Arc::new(
            S3Store::new(s3).map_err(|e| format!("cannot use the S3 bucket {}: {e}", s3.bucket))?,
        ),
        None => Arc::new(LocalDirStore::new(&config.storage_dir).map_err(|e| {
            format!(
                "cannot create the storage directory {}: {e}",
                config.storage_dir.display()
            )
        })?),
    };
    Ok(AppState {
        db,
        config: Arc::new(config),
        leptos_options,
        storage,
    })
}

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let sessions = SessionManagerLayer::new(DbSessionStore::new(state.db.clone()))
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.secure_cookie)
        .with_path("/")
        // Saved only when changed: CurrentUser::from_session marks it
        // changed once an hour so the idle expiry still moves.
        .with_expiry(Expiry::OnInactivity(time::Duration::days(
            SESSION_IDLE_DAYS,
        )));
    let sw = service_worker::ServiceWorker::load(&state.config.site_root);

    Router::new()
        .route("/healthz", get(healthz))
        .route("/sw.js", get(move || std::future::ready(sw.response())))
        .nest("/api/v1", app::api::router())
        .leptos_routes_with_context(&state, routes, || {}, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::reject_cross_origin,
        ))
        .layer(security::trace_layer())
        .layer(tower_http::compression::CompressionLayer::new())
        // The precompressed client files (`precompressed`) come back from
        // Leptos' file handler already encoded, so the compression layer
        // does not mark them; a shared cache must still keep brotli and
        // gzip apart.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::VARY,
            HeaderValue::from_static("accept-encoding"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .with_state(state)
}

async fn healthz() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

/// Serve on an already-bound listener until `shutdown` resolves.
pub async fn run(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), BoxError> {
    let cleanup = tokio::spawn(cleanup_loop(state.db.clone()));
    let reminders = tokio::spawn(reminder_loop(state.db.clone()));
    let app = router(state);
    let result = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    cleanup.abort();
    reminders.abort();
    result.map_err(Into::into)
}

pub async fn serve(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), BoxError> {
    let bind = config.bind;
    precompressed::remove_stale(&config.site_root);
    let state = build_state(config).await?;
    let listener = TcpListener::bind(bind).await?;
    tracing::info!(address = %bind, "家访通 listening on http://{bind}");
    run(state, listener, shutdown).await?;
    tracing::info!("家访通 stopped");
    Ok(())
}

/// Periodically forget expired sessions and old login failures. Harmless
/// when several instances do it at once.
async fn cleanup_loop(db: DatabaseConnection) {
    let store = DbSessionStore::new(db.clone());
    let mut interval = tokio::time::interval(Duration::from_secs(3600));
    loop {
        interval.tick().await;
        if let Err(err) = store.delete_expired().await {
            tracing::warn!(error = %err, "deleting expired sessions failed");
        }
        if let Err(err) = app::auth::rate_limit::prune(&db).await {
            tracing::warn!(error = %err, "pruning login failures failed");
        }
    }
}

/// Every ten minutes: tell people about overdue absence tasks and monthly
/// reports due. Each notice is sent once (the database decides), so
/// several instances may run this side by side.
async fn reminder_loop(db: DatabaseConnection) {
    let mut interval = tokio::time::interval(Duration::from_secs(600));
    loop {
        interval.tick().await;
        let today = app::semesters::service::today();
        if let Err(err) = app::dropout::tasks::escalate_overdue(&db, today).await {
            tracing::warn!(error = %err, "escalating overdue absence tasks failed");
        }
        if let Err(err) = app::reports::service::send_reminders(&db, today).await {
            tracing::warn!(error = %err, "monthly report reminders failed");
        }
        if let Err(err) = app::home_teaching::service::remind_overdue(&db, today).await {
            tracing::warn!(error = %err, "home-teaching reminders failed");
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM, letting requests in flight finish.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested, finishing requests in flight");
}

pub async fn migrate_command(config: &Config, command: &str) -> Result<(), BoxError> {
    let db = app::db::connect(&config.database_url).await?;
    match command {
        "up" => Migrator::up(&db, None).await?,
        "down" => Migrator::down(&db, None).await?,
        "fresh" => Migrator::fresh(&db).await?,
        "status" => {
            for migration in Migrator::get_migration_with_status(&db).await? {
                println!("{}\t{}", migration.name(), migration.status());
            }
        }
        other => {
            return Err(
                format!("unknown migrate command `{other}` (up, down, status, fresh)").into(),
            );
        }
    }
    Ok(())
}

pub async fn seed_demo_command(config: &Config) -> Result<(), BoxError> {
    let db = app::db::connect(&config.database_url).await?;
    Migrator::up(&db, None).await?;
    demo::seed(&db).await?;
    Ok(())
}

/// `jiafang seed-demo-visits`: past visits for the demo county (for trying
/// the dashboards; `make run` does it).
/// `jiafang rebuild-tallies`: count the monthly visit tallies the quota
/// figures read again from the visits (after visits were loaded by hand).
pub async fn rebuild_tallies_command(config: &Config) -> Result<(), BoxError> {
    let db = app::db::connect(&config.database_url).await?;
    Migrator::up(&db, None).await?;
    let txn = app::db::begin_write(&db).await?;
    let rows = app::quotas::tallies::rebuild(&txn).await?;
    txn.commit().await?;
    println!("rebuilt {rows} visit tally rows");
    Ok(())
}

pub async fn seed_demo_visits_command(config: &Config) -> Result<(), BoxError> {
    let db = app::db::connect(&config.database_url).await?;
    Migrator::up(&db, None).await?;
    demo::seed(&db).await?;
    let n = demo::seed_visits(&db).await?;
    println!("recorded {n} demo visits");
    Ok(())
}
