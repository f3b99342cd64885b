//! `jiafang backup` while the server runs and visits keep arriving, then
//! `jiafang restore` into a fresh place and a server started on it: the
//! visit and its photo are there.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use app::config::Config;
use common::images::{jpeg, sha256_hex};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use server::backup;
use tokio::net::TcpListener;

/// A server with its own database file and photo store (the shared test
/// config puts every test's photos in one folder).
struct Running {
    base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    handle: tokio::task::JoinHandle<()>,
}

fn config_in(dir: &Path) -> Config {
    let mut config = common::config_for(&format!(
        "sqlite://{}?mode=rwc",
        dir.join("db").join("jiafang.sqlite").display()
    ));
    config.storage_dir = dir.join("photos");
    config
}

async fn start(config: Config) -> Running {
    let state = server::build_state(config).await.expect("server state");
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        server::run(state, listener, async {
            let _ = rx.await;
        })
        .await
        .expect("server run");
    });
    Running { base, stop, handle }
}

impl Running {
    async fn stop(self) {
        let _ = self.stop.send(());
        self.handle.await.unwrap();
    }
}

async fn login(base: &str, username: &str) -> Client {
    let client = common::new_client();
    let res = common::login_with(
        &client,
        &format!("{base}/api/v1/session"),
        username,
        "demo-password",
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    client
}

async fn save_visit(
    client: &Client,
    base: &str,
    student: i32,
    photos: &[&str],
) -> (String, StatusCode) {
    let id = uuid::Uuid::new_v4().to_string();
    let visited_at = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .to_rfc3339();
    let res = client
        .put(format!("{base}/api/v1/visits/{id}"))
        .json(&json!({
            "student_id": student, "visited_at": visited_at, "mode": "phone",
            "reason": "routine", "summary": "了解学生在家学习情况", "photos": photos,
        }))
        .send()
        .await
        .unwrap();
    (id, res.status())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_while_serving_then_restore_elsewhere() {
    let original_dir = tempfile::tempdir().unwrap();
    let config = config_in(original_dir.path());
    let srv = start(config.clone()).await;
    let teacher = login(&srv.base, "teacher").await;

    let photo = jpeg(640, 480);
    let sha = sha256_hex(&photo);
    let res = teacher
        .put(format!("{}/api/v1/attachments/{sha}", srv.base))
        .header("Content-Type", "image/jpeg")
        .body(photo)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let stored_photo = teacher
        .get(format!("{}/api/v1/attachments/{sha}", srv.base))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let student = common::demo_student(&config.database_url, "第一小学", "四年级(1)班").await;
    let (visit_id, status) = save_visit(&teacher, &srv.base, student, &[&sha]).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, before) = get_json(&teacher, &format!("{}/api/v1/visits/{visit_id}", srv.base)).await;

    // Visits keep arriving while the backup is taken.
    let writing = Arc::new(AtomicBool::new(true));
    let written = Arc::new(AtomicUsize::new(0));
    let writer = tokio::spawn({
        let (writing, written, teacher, base) = (
            writing.clone(),
            written.clone(),
            teacher.clone(),
            srv.base.clone(),
        );
        async move {
            while writing.load(Ordering::SeqCst) {
                let (_, status) = save_visit(&teacher, &base, student, &[]).await;
                assert_eq!(status, StatusCode::CREATED);
                written.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    while written.load(Ordering::SeqCst) < 3 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let backup_dir = tempfile::tempdir().unwrap();
    let manifest = backup::backup(&config, backup_dir.path())
        .await
        .expect("backup while serving");
    writing.store(false, Ordering::SeqCst);
    writer.await.unwrap();
    println!(
        "backup: {:?}; {} visits written meanwhile",
        manifest.counts,
        written.load(Ordering::SeqCst)
    );
    assert!(manifest.schema_version.starts_with('m'), "{manifest:?}");
    assert!(manifest.counts.visits >= 4, "the visits saved before it");
    // The photo and its thumbnail: two files.
    assert_eq!(manifest.counts.attachments, 1);
    assert_eq!(manifest.counts.photo_files, 2);
    let on_disk: backup::Manifest =
        serde_json::from_slice(&std::fs::read(backup_dir.path().join(backup::MANIFEST)).unwrap())
            .unwrap();
    assert_eq!(on_disk, manifest);

    // A backup never lands on top of another.
    let again = backup::backup(&config, backup_dir.path())
        .await
        .unwrap_err();
    assert!(again.to_string().contains("not empty"), "{again}");
    srv.stop().await;

    // Restore into a fresh place (the manifest's counts are checked by
    // `restore` itself), then serve from it.
    let restored_dir = tempfile::tempdir().unwrap();
    let restored = config_in(restored_dir.path());
    let back = backup::restore(&restored, backup_dir.path(), false)
        .await
        .expect("restore into an empty place");
    assert_eq!(back, manifest);
    // Now the place has data: only --force replaces it.
    let refused = backup::restore(&restored, backup_dir.path(), false)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("--force"), "{refused}");

    let srv = start(restored.clone()).await;
    let teacher = login(&srv.base, "teacher").await;
    let (status, after) =
        get_json(&teacher, &format!("{}/api/v1/visits/{visit_id}", srv.base)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(after, before);
    let res = teacher
        .get(format!("{}/api/v1/attachments/{sha}", srv.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap(), stored_photo);
    let res = teacher
        .get(format!("{}/api/v1/attachments/{sha}/thumb", srv.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // Work done after the restore is lost by a forced restore of the same
    // backup: it puts back exactly what was saved.
    let (later, status) = save_visit(&teacher, &srv.base, student, &[]).await;
    assert_eq!(status, StatusCode::CREATED);
    srv.stop().await;
    backup::restore(&restored, backup_dir.path(), true)
        .await
        .expect("forced restore");
    let srv = start(restored).await;
    let teacher = login(&srv.base, "teacher").await;
    let (status, _) = get_json(&teacher, &format!("{}/api/v1/visits/{later}", srv.base)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get_json(&teacher, &format!("{}/api/v1/visits/{visit_id}", srv.base)).await;
    assert_eq!(status, StatusCode::OK);
    srv.stop().await;
}

#[tokio::test]
async fn postgres_is_pointed_to_pg_dump() {
    let config = common::config_for("postgres://jiafang@127.0.0.1:1/jiafang");
    let dir = tempfile::tempdir().unwrap();
    let err = backup::backup(&config, dir.path()).await.unwrap_err();
    assert!(err.to_string().contains("pg_dump"), "{err}");
    let err = backup::restore(&config, dir.path(), false)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("pg_restore"), "{err}");
    assert!(is_empty(dir.path()), "nothing written");
}

#[tokio::test]
async fn restore_needs_a_finished_backup() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(dir.path());
    // A folder without a manifest (an interrupted backup, a wrong path).
    let empty = tempfile::tempdir().unwrap();
    let err = backup::restore(&config, empty.path(), true)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("manifest.json"), "{err}");
    assert!(!dir.path().join("db").join("jiafang.sqlite").exists());
}

fn is_empty(dir: &Path) -> bool {
    std::fs::read_dir(dir).unwrap().next().is_none()
}

async fn get_json(client: &Client, url: &str) -> (StatusCode, Value) {
    let res = client.get(url).send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}
