//! Photo and signature uploads: addressed by hash, checked, stored
//! upright without EXIF, idempotent, and only shown to those who may see them.

mod common;

use std::time::{Duration, Instant};

use common::images::{contains, jpeg, png_bomb, sha256_hex, signature_png, with_exif};
use common::{Backend, TestDb, TestServer, client_for};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

async fn upload(
    srv: &TestServer,
    client: &Client,
    sha: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let res = client
        .put(srv.url(&format!("/api/v1/attachments/{sha}")))
        .header("Content-Type", content_type)
        .body(bytes)
        .send()
        .await
        .expect("upload");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn photo_is_stored_upright_small_and_without_exif(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let teacher = client_for(&srv, "teacher").await;
    // A landscape sensor image the camera marks "rotate 90° clockwise".
    let original = with_exif(&jpeg(2400, 1200), 6);
    assert!(contains(&original, b"Exif\0\0"));
    let sha = sha256_hex(&original);

    let (status, saved) = upload(&srv, &teacher, &sha, "image/jpeg", original.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    assert_eq!(saved["sha256"], sha.as_str());
    assert_eq!(saved["content_type"], "image/jpeg");
    assert_eq!(
        (saved["width"].as_u64(), saved["height"].as_u64()),
        (Some(800), Some(1600))
    );

    let res = teacher
        .get(srv.url(&format!("/api/v1/attachments/{sha}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert_eq!(
        res.headers()["cache-control"],
        "private, max-age=31536000, immutable"
    );
    let stored = res.bytes().await.unwrap();
    assert_eq!(saved["bytes"].as_u64(), Some(stored.len() as u64));
    assert!(stored.starts_with(&[0xFF, 0xD8, 0xFF]));
    assert!(!contains(&stored, b"Exif"), "EXIF (with GPS) removed");
    let img = image::load_from_memory(&stored).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), (800, 1600));
    let (top, bottom) = (img.get_pixel(400, 100).0, img.get_pixel(400, 1500).0);
    assert!(
        top[0] > 150 && top[2] < 80,
        "left (red) half is now on top: {top:?}"
    );
    assert!(bottom[2] > 150 && bottom[0] < 80, "{bottom:?}");

    let thumb = teacher
        .get(srv.url(&format!("/api/v1/attachments/{sha}/thumb")))
        .send()
        .await
        .unwrap();
    assert_eq!(thumb.status(), StatusCode::OK);
    assert_eq!(thumb.headers()["content-type"], "image/jpeg");
    let thumb = image::load_from_memory(&thumb.bytes().await.unwrap()).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (160, 320));

    // Sending it again (a retry) is harmless and answered the same.
    let (status, again) = upload(&srv, &teacher, &sha, "image/jpeg", original).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again, saved);
    srv.stop().await;
}

async fn identical_uploads_at_once_store_one_attachment(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let teacher = client_for(&srv, "teacher").await;
    let photo = jpeg(640, 480);
    let sha = sha256_hex(&photo);
    let (a, b, c) = tokio::join!(
        upload(&srv, &teacher, &sha, "image/jpeg", photo.clone()),
        upload(&srv, &teacher, &sha, "image/jpeg", photo.clone()),
        upload(&srv, &teacher, &sha, "image/jpeg", photo.clone())
    );
    let mut statuses = [a.0, b.0, c.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::OK, StatusCode::CREATED],
        "{} {} {}",
        a.1,
        b.1,
        c.1
    );
    assert!(a.1 == b.1 && b.1 == c.1);
    srv.stop().await;
}

async fn signatures_stay_png(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let head = client_for(&srv, "head").await;
    let png = signature_png();
    let sha = sha256_hex(&png);
    let (status, saved) = upload(&srv, &head, &sha, "image/png", png).await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    assert_eq!(saved["content_type"], "image/png");
    let res = head
        .get(srv.url(&format!("/api/v1/attachments/{sha}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "image/png");
    assert!(res.bytes().await.unwrap().starts_with(b"\x89PNG"));
    srv.stop().await;
}

async fn bad_uploads_are_refused_with_clear_errors(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let teacher = client_for(&srv, "teacher").await;
    let photo = jpeg(64, 48);
    let sha = sha256_hex(&photo);

    // The body must hash to the address.
    let (status, body) = upload(&srv, &teacher, &"0".repeat(64), "image/jpeg", photo.clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "hash_mismatch");
    assert!(body["message"].as_str().unwrap().contains("SHA-256"));
    // The address must be a lowercase SHA-256.
    let (status, _) = upload(
        &srv,
        &teacher,
        &sha.to_uppercase(),
        "image/jpeg",
        photo.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = upload(&srv, &teacher, "photo.jpg", "image/jpeg", photo.clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Only JPEG and PNG, and the content must be what is declared.
    for declared in ["image/gif", "application/octet-stream", "image/png"] {
        let (status, body) = upload(&srv, &teacher, &sha, declared, photo.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{declared}: {body}"
        );
        assert_eq!(body["error"], "unsupported_media_type");
    }
    let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec();
    let (status, _) = upload(&srv, &teacher, &sha256_hex(&gif), "image/jpeg", gif).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // 50,000 × 50,000 pixels in a few dozen bytes: refused from the header,
    // without allocating the 7.5 GB image.
    let bomb = png_bomb(50_000, 50_000);
    assert!(bomb.len() < 200);
    let started = Instant::now();
    let (status, body) = upload(&srv, &teacher, &sha256_hex(&bomb), "image/png", bomb).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["message"].as_str().unwrap().contains("像素"), "{body}");
    assert!(started.elapsed() < Duration::from_secs(5));

    // Over 10 MB: 413 with the usual JSON error.
    let big = vec![0u8; app::attachments::MAX_ATTACHMENT_BYTES + 1];
    let (status, body) = upload(&srv, &teacher, &sha256_hex(&big), "image/jpeg", big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["error"], "too_large");

    // Officers only read; nobody anonymous uploads.
    let county = client_for(&srv, "county").await;
    let (status, _) = upload(&srv, &county, &sha, "image/jpeg", photo.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = upload(&srv, &srv.fresh_client(), &sha, "image/jpeg", photo).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    srv.stop().await;
}

async fn attachments_are_shown_to_the_uploader_and_readers_of_the_visit(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let teacher = client_for(&srv, "teacher").await;
    let photo = jpeg(300, 200);
    let sha = sha256_hex(&photo);
    let (status, _) = upload(&srv, &teacher, &sha, "image/jpeg", photo).await;
    assert_eq!(status, StatusCode::CREATED);
    let url = srv.url(&format!("/api/v1/attachments/{sha}"));
    let status_for = |client: Client| {
        let url = url.clone();
        async move { client.get(&url).send().await.unwrap().status() }
    };

    assert_eq!(status_for(teacher.clone()).await, StatusCode::OK);
    for user in ["principal", "principal2", "head"] {
        let client = client_for(&srv, user).await;
        assert_eq!(status_for(client).await, StatusCode::FORBIDDEN, "{user}");
    }
    let missing = srv.url(&format!("/api/v1/attachments/{}", "0".repeat(64)));
    assert_eq!(
        teacher.get(&missing).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );

    // Once a visit to a 四年级(1)班 pupil shows it, those who may read
    // that pupil see it too; another school's principal still does not.
    let student = common::demo_student(&db.url, "第一小学", "四年级(1)班").await;
    let visited_at = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .to_rfc3339();
    let res = teacher
        .put(srv.url(&format!("/api/v1/visits/{}", uuid::Uuid::new_v4())))
        .json(&json!({
            "student_id": student, "visited_at": visited_at, "mode": "phone",
            "reason": "routine", "summary": "电话沟通学习情况", "photos": [sha],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    for (user, expected) in [
        ("principal", StatusCode::OK),
        ("county", StatusCode::OK),
        ("head", StatusCode::FORBIDDEN),
        ("principal2", StatusCode::FORBIDDEN),
    ] {
        let client = client_for(&srv, user).await;
        assert_eq!(status_for(client).await, expected, "{user}");
    }
    srv.stop().await;
}

on_both_backends!(
    photo_is_stored_upright_small_and_without_exif,
    identical_uploads_at_once_store_one_attachment,
    signatures_stay_png,
    bad_uploads_are_refused_with_clear_errors,
    attachments_are_shown_to_the_uploader_and_readers_of_the_visit,
);
