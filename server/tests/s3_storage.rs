//! Photos in an S3-compatible bucket (moto on loopback, started by
//! `scripts/with-s3.sh`): nothing lands on the instance's disk, and a
//! second instance with its own empty directory serves what the first
//! stored, which is what running several instances behind a load balancer
//! needs.

mod common;

use app::attachments::storage::{BlobStore, S3Store};
use app::config::S3Config;
use common::images::{jpeg, sha256_hex};
use common::{Backend, TestDb, TestServer, config_for, new_client};
use reqwest::StatusCode;
use std::path::{Path, PathBuf};

fn bucket(endpoint: Option<String>) -> S3Config {
    let endpoint = endpoint.unwrap_or_else(|| {
        std::env::var("JIAFANG_TEST_S3_ENDPOINT").expect(
            "JIAFANG_TEST_S3_ENDPOINT is not set: run the tests with `make test` \
             (scripts/with-s3.sh starts a throwaway S3-compatible server)",
        )
    });
    S3Config {
        bucket: std::env::var("JIAFANG_TEST_S3_BUCKET").unwrap_or_else(|_| "jiafang-test".into()),
        endpoint: Some(endpoint),
        region: "us-east-1".into(),
        access_key_id: "test".into(),
        secret_access_key: "test".into(),
        // Each test its own corner of the bucket.
        prefix: format!("t-{}/", uuid::Uuid::new_v4().simple()),
    }
}

fn empty_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("jf-s3-local-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn files_under(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        files_under(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

async fn start(db: &TestDb, s3: &S3Config, client: reqwest::Client) -> (TestServer, PathBuf) {
    let dir = empty_dir();
    let mut config = config_for(&db.url);
    config.storage_dir = dir.clone();
    config.s3 = Some(s3.clone());
    (TestServer::start_with_config(config, client).await, dir)
}

async fn photos_live_in_the_bucket_and_any_instance_serves_them(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s3 = bucket(None);
    let (a, dir_a) = start(&db, &s3, new_client()).await;
    a.login_ok("teacher").await;
    let photo = jpeg(800, 600);
    let sha = sha256_hex(&photo);
    let put = |srv: &TestServer| {
        srv.client
            .put(srv.url(&format!("/api/v1/attachments/{sha}")))
            .header("Content-Type", "image/jpeg")
            .body(photo.clone())
            .send()
    };
    assert_eq!(put(&a).await.unwrap().status(), StatusCode::CREATED);
    assert_eq!(files_under(&dir_a), 0, "nothing on the instance's own disk");

    // The stored photo and its thumbnail are objects in the bucket
    // (read with the bucket's own credentials, not through the app).
    let objects = S3Store::new(&s3).unwrap();
    let stored = objects
        .get(&format!("{sha}.jpg"))
        .await
        .unwrap()
        .expect("the photo is an object");
    assert_eq!(&stored[..2], &[0xFF, 0xD8], "a JPEG");
    assert!(
        objects
            .get(&format!("{sha}.thumb.jpg"))
            .await
            .unwrap()
            .is_some(),
        "the thumbnail is an object"
    );

    // Another instance, same database and bucket, its own empty directory:
    // the same session (sessions are in the database) gets the same bytes.
    let (b, dir_b) = start(&db, &s3, a.client.clone()).await;
    let served = b.get(&format!("/api/v1/attachments/{sha}")).await;
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.bytes().await.unwrap().to_vec(), stored);
    let thumb = b.get(&format!("/api/v1/attachments/{sha}/thumb")).await;
    assert_eq!(thumb.status(), StatusCode::OK);
    // A retry reaching the other instance is the harmless replay.
    assert_eq!(put(&b).await.unwrap().status(), StatusCode::OK);
    assert_eq!(files_under(&dir_b), 0);

    a.stop().await;
    b.stop().await;
    std::fs::remove_dir_all(dir_a).ok();
    std::fs::remove_dir_all(dir_b).ok();
}

/// The bucket is down: the upload fails with a server error the phone
/// retries later, no attachment row is left pointing at nothing, and the
/// same photo goes through once the bucket is back.
async fn an_unreachable_bucket_fails_the_upload_and_keeps_no_row(backend: Backend) {
    let db = TestDb::new(backend).await;
    let down = bucket(Some("http://127.0.0.1:9".into()));
    let (srv, dir) = start(&db, &down, new_client()).await;
    srv.login_ok("teacher").await;
    let photo = jpeg(320, 240);
    let sha = sha256_hex(&photo);
    let res = srv
        .client
        .put(srv.url(&format!("/api/v1/attachments/{sha}")))
        .header("Content-Type", "image/jpeg")
        .body(photo.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(body["error"].is_string(), "structured error: {body}");
    let client = srv.stop().await;
    std::fs::remove_dir_all(dir).ok();

    let (srv, dir) = start(&db, &bucket(None), client).await;
    let res = srv
        .client
        .put(srv.url(&format!("/api/v1/attachments/{sha}")))
        .header("Content-Type", "image/jpeg")
        .body(photo)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "stored now, not 'already there'"
    );
    srv.stop().await;
    std::fs::remove_dir_all(dir).ok();
}

on_both_backends!(
    photos_live_in_the_bucket_and_any_instance_serves_them,
    an_unreachable_bucket_fails_the_upload_and_keeps_no_row,
);
