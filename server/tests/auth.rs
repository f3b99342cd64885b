//! Accounts and sessions over real HTTP: login, wrong password, rate limit,
//! restart, logout, forced password change, CSRF, and structured errors.

mod common;

use common::{Backend, TestDb, TestServer, login_with, new_client};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn login_shows_name_school_and_roles(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let me = srv.login_ok("head").await;
    assert_eq!(me["display_name"], "李红梅");
    assert_eq!(me["school"]["name"], "龙川县老隆镇第一小学");
    let labels: Vec<&str> = me["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["label"].as_str().unwrap())
        .collect();
    assert!(
        labels.contains(&"班主任") && labels.contains(&"科任教师"),
        "{labels:?}"
    );

    let (status, again) = srv.get_json("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["username"], "head");
    srv.stop().await;
}

async fn wrong_password_and_unknown_user_are_401(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    for (user, pass) in [("head", "wrong-password"), ("nobody", "demo-password")] {
        let res = srv.login(user, pass).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], "bad_credentials");
        assert_eq!(body["message"], "用户名或密码错误");
    }
    let (status, body) = srv.get_json("/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "unauthenticated");
    srv.stop().await;
}

async fn repeated_failures_are_rate_limited(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    for _ in 0..5 {
        assert_eq!(
            srv.login("teacher", "guess").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // Now even the right password is refused for a while, in Chinese.
    let res = srv.login("teacher", "demo-password").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().get("retry-after").is_some());
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "rate_limited");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("登录尝试过于频繁"),
        "{body}"
    );
    // Other accounts are unaffected by one account's lock.
    srv.login_ok("head").await;

    // Per address: many usernames from one address are stopped too.
    let client = new_client();
    let url = srv.url("/api/v1/session");
    let mut limited = false;
    for i in 0..40 {
        let res = login_with(&client, &url, &format!("spray{i}"), "x").await;
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    assert!(limited, "per-address limit must trigger within 40 attempts");
    srv.stop().await;
}

async fn session_survives_restart_and_logout_ends_it(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let res = srv.login("principal", "demo-password").await;
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("jiafang_session="))
        .expect("session cookie set");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    let cookie_pair = cookie.split(';').next().unwrap().to_owned();

    // A new server process on the same database still knows the session.
    let client = srv.stop().await;
    let srv = TestServer::start_with_client(&db, client).await;
    let (status, me) = srv.get_json("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK, "session must survive a restart");
    assert_eq!(me["username"], "principal");

    let res = srv
        .client
        .delete(srv.url("/api/v1/session"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(srv.get_json("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    // Replaying the old cookie does not bring the session back.
    let replay = new_client()
        .get(srv.url("/api/v1/me"))
        .header("cookie", cookie_pair)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    srv.stop().await;
}

/// The stored session is rewritten (its idle expiry moved) at most once an
/// hour, not on every request: a write per request was most of a sync's
/// cost on SQLite.
async fn the_session_expiry_moves_hourly_not_per_request(backend: Backend) {
    use app::db::entities::session;
    use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    srv.login_ok("teacher").await;
    let conn = app::db::connect(&db.url).await.unwrap();
    let stored = || async {
        let rows = session::Entity::find().all(&conn).await.unwrap();
        assert_eq!(rows.len(), 1, "one session");
        rows.into_iter().next().unwrap()
    };
    let at_login = stored().await;
    // A second later, a rewrite would show as a later expiry.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    for _ in 0..3 {
        assert_eq!(srv.get_json("/api/v1/quota").await.0, StatusCode::OK);
    }
    assert_eq!(
        stored().await,
        at_login,
        "requests within the hour write nothing"
    );

    // As if the last move were two hours ago and the expiry a day nearer.
    let mut data: Value = serde_json::from_str(&at_login.data).unwrap();
    let two_hours_ago = chrono::Utc::now().timestamp() - 7200;
    data["touched_at"] = json!(two_hours_ago);
    let mut row = at_login.clone().into_active_model();
    row.data = Set(data.to_string());
    row.expires_at = Set(at_login.expires_at - 86_400);
    row.update(&conn).await.unwrap();

    assert_eq!(srv.get_json("/api/v1/quota").await.0, StatusCode::OK);
    let moved = stored().await;
    assert!(
        moved.expires_at >= at_login.expires_at,
        "the expiry moved again"
    );
    let touched: Value = serde_json::from_str(&moved.data).unwrap();
    assert!(touched["touched_at"].as_i64().unwrap() > two_hours_ago);
    srv.stop().await;
}

async fn login_issues_a_fresh_session_id(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let first = session_cookie(&srv.login("head", "demo-password").await);
    let second = session_cookie(&srv.login("head", "demo-password").await);
    assert_ne!(
        first, second,
        "every login gets a new session id (no fixation)"
    );
    srv.stop().await;
}

fn session_cookie(res: &reqwest::Response) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("jiafang_session="))
        .and_then(|v| v.split(';').next())
        .expect("session cookie")
        .to_owned()
}

async fn forced_password_change_blocks_until_done(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    // `wuhai` is an admin-created account that has never set a password.
    let me = srv.login_ok("wuhai").await;
    assert_eq!(me["must_change_password"], true);
    let (status, body) = srv.get_json("/api/v1/students").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "password_change_required");

    let change = |old: &str, new: &str| {
        srv.client
            .put(srv.url("/api/v1/me/password"))
            .json(&json!({"old_password": old, "new_password": new}))
            .send()
    };
    let weak = change("demo-password", "123").await.unwrap();
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(weak.json::<Value>().await.unwrap()["field"], "new_password");
    let wrong_old = change("not-it", "春风十里abcd1").await.unwrap();
    assert_eq!(wrong_old.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let ok = change("demo-password", "春风十里abcd1").await.unwrap();
    assert_eq!(ok.status(), StatusCode::NO_CONTENT, "{:?}", ok.text().await);

    let (status, _) = srv.get_json("/api/v1/students").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        srv.login("wuhai", "demo-password").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        srv.login("wuhai", "春风十里abcd1").await.status(),
        StatusCode::OK
    );
    srv.stop().await;
}

async fn password_change_ends_other_sessions(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let other = srv.fresh_client();
    assert_eq!(
        login_with(
            &other,
            &srv.url("/api/v1/session"),
            "admin",
            "demo-password"
        )
        .await
        .status(),
        StatusCode::OK
    );
    srv.login_ok("admin").await;
    let res = srv
        .client
        .put(srv.url("/api/v1/me/password"))
        .json(&json!({"old_password": "demo-password", "new_password": "新的密码2026"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        srv.get_json("/api/v1/me").await.0,
        StatusCode::OK,
        "own session stays"
    );
    let other_me = other.get(srv.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(
        other_me.status(),
        StatusCode::UNAUTHORIZED,
        "the other device is logged out"
    );
    srv.stop().await;
}

async fn cross_site_posts_are_refused(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    srv.login_ok("principal").await;
    for (name, value) in [
        ("origin", "http://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let res = srv
            .client
            .post(srv.url("/api/logout"))
            .header(name, value)
            .form(&[("x", "")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{name}: {value}");
        assert_eq!(res.json::<Value>().await.unwrap()["error"], "cross_origin");
    }
    assert_eq!(
        srv.get_json("/api/v1/me").await.0,
        StatusCode::OK,
        "still logged in"
    );
    let same = srv
        .client
        .post(srv.url("/api/logout"))
        .header("origin", srv.base.clone())
        .form(&[("x", "")])
        .send()
        .await
        .unwrap();
    assert!(
        same.status().is_success() || same.status().is_redirection(),
        "{}",
        same.status()
    );
    assert_eq!(srv.get_json("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    srv.stop().await;
}

async fn server_functions_log_in_and_report_errors_in_chinese(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let (status, body) = srv
        .server_fn("login", &[("username", "head"), ("password", "nope")])
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "bad_credentials", "{body}");
    let (status, body) = srv.server_fn("get_me", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, Value::Null, "nobody logged in");
    let (status, _) = srv
        .server_fn(
            "login",
            &[("username", "head"), ("password", "demo-password")],
        )
        .await;
    assert!(status.is_success() || status.is_redirection(), "{status}");
    let (status, body) = srv.server_fn("get_me", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["display_name"], "李红梅");
    srv.stop().await;
}

async fn bad_input_gets_structured_4xx(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let url = srv.url("/api/v1/session");
    let cases = [
        srv.client
            .post(&url)
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap(),
        srv.client
            .post(&url)
            .body("username=a")
            .send()
            .await
            .unwrap(),
        srv.client
            .post(&url)
            .json(&json!({"username": 5}))
            .send()
            .await
            .unwrap(),
        srv.client
            .post(&url)
            .json(&json!({"username": "", "password": ""}))
            .send()
            .await
            .unwrap(),
    ];
    for res in cases {
        assert!(res.status().is_client_error(), "{}", res.status());
        let body: Value = res.json().await.unwrap();
        assert!(
            body["error"].is_string() && body["message"].is_string(),
            "{body}"
        );
    }
    let huge = "x".repeat(100_000);
    let res = srv.login("head", &huge).await;
    assert!(res.status().is_client_error(), "{}", res.status());

    srv.login_ok("head").await;
    let (status, body) = srv.get_json("/api/v1/students/not-a-number").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"], "invalid");
    let (status, body) = srv.get_json("/api/v1/no-such-thing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "not_found");
    let res = srv
        .client
        .patch(srv.url("/api/v1/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    srv.stop().await;
}

async fn health_and_openapi(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let (status, body) = srv.get_json("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"status": "ok"}));
    let (status, doc) = srv.get_json("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    for path in [
        "/api/v1/session",
        "/api/v1/me",
        "/api/v1/me/password",
        "/api/v1/students",
        "/api/v1/students/{id}",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
    srv.stop().await;
}

on_both_backends!(
    login_shows_name_school_and_roles,
    wrong_password_and_unknown_user_are_401,
    repeated_failures_are_rate_limited,
    session_survives_restart_and_logout_ends_it,
    login_issues_a_fresh_session_id,
    the_session_expiry_moves_hourly_not_per_request,
    forced_password_change_blocks_until_done,
    password_change_ends_other_sessions,
    cross_site_posts_are_refused,
    server_functions_log_in_and_report_errors_in_chinese,
    bad_input_gets_structured_4xx,
    health_and_openapi,
);
