//! Staff accounts: creation with a one-time initial password and forced
//! change, roles checked against the school, resets, and who may do it.

mod common;

use app::db::entities::user;
use common::{Backend, TestDb, TestServer, login_with};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

async fn user_id(url: &str, username: &str) -> i32 {
    let db = app::db::connect(url).await.unwrap();
    user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(&db)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn admin_creates_an_account_that_must_change_its_password(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let class = common::demo_class_id(&db.url, "第一小学", "三年级(1)班").await;
    srv.login_ok("admin").await;
    let body = json!({"username": "Zhao.Li", "display_name": "赵丽", "roles": [{"role": "subject_teacher", "class_id": class, "subject": "科学"}]});
    let res = srv
        .client
        .post(srv.url("/api/v1/staff"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["username"], "zhao.li");
    let password = created["initial_password"].as_str().unwrap().to_owned();
    assert_eq!(password.len(), 10);

    let again = srv
        .client
        .post(srv.url("/api/v1/staff"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);

    let (_, staff) = srv.get_json("/api/v1/staff").await;
    let row = staff
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["username"] == "zhao.li")
        .expect("listed");
    assert_eq!(row["must_change_password"], true);
    assert_eq!(row["roles"][0]["label"], "科任教师");

    let teacher = srv.fresh_client();
    let me: Value = login_with(&teacher, &srv.url("/api/v1/session"), "zhao.li", &password)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["must_change_password"], true);
    let blocked = teacher
        .get(srv.url("/api/v1/students"))
        .send()
        .await
        .unwrap();
    assert_eq!(blocked.status(), StatusCode::FORBIDDEN);
    let changed = teacher
        .put(srv.url("/api/v1/me/password"))
        .json(&json!({"old_password": password, "new_password": "我的新密码abc"}))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);
    let list: Value = teacher
        .get(srv.url("/api/v1/students"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|s| s["class_id"] == class)
            && !list.as_array().unwrap().is_empty()
    );

    // The creation is in the audit log.
    let (_, log) = srv.get_json("/api/v1/audit").await;
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "create_account")
    );
    srv.stop().await;
}

async fn roles_are_checked_against_the_school(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let other_class = common::demo_class_id(&db.url, "中学", "七年级(1)班").await;
    let own_class = common::demo_class_id(&db.url, "第一小学", "四年级(1)班").await;
    srv.login_ok("admin").await;
    let cases = [
        json!([{"role": "county_officer"}]),
        json!([{"role": "head_teacher", "class_id": other_class}]),
        json!([{"role": "head_teacher"}]),
        json!([{"role": "subject_teacher", "class_id": own_class}]),
        json!([]),
    ];
    for (i, roles) in cases.into_iter().enumerate() {
        let body = json!({"username": format!("bad{i}"), "display_name": "某某", "roles": roles});
        let res = srv
            .client
            .post(srv.url("/api/v1/staff"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "case {i}");
    }
    let teacher = user_id(&db.url, "teacher").await;
    let res = srv
        .client
        .put(srv.url(&format!("/api/v1/staff/{teacher}/roles")))
        .json(&json!({"roles": [{"role": "head_teacher", "class_id": own_class}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let member: Value = res.json().await.unwrap();
    assert_eq!(member["roles"].as_array().unwrap().len(), 1);
    assert_eq!(member["roles"][0]["label"], "班主任");
    srv.stop().await;
}

async fn reset_gives_a_new_initial_password_and_ends_sessions(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let teacher_client = srv.fresh_client();
    login_with(
        &teacher_client,
        &srv.url("/api/v1/session"),
        "teacher",
        "demo-password",
    )
    .await;
    srv.login_ok("admin").await;
    let id = user_id(&db.url, "teacher").await;
    let res = srv
        .client
        .post(srv.url(&format!("/api/v1/staff/{id}/password-reset")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let reset: Value = res.json().await.unwrap();
    let fresh = reset["initial_password"].as_str().unwrap();
    assert_eq!(
        teacher_client
            .get(srv.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        srv.fresh_client()
            .post(srv.url("/api/v1/session"))
            .json(&json!({"username": "teacher", "password": "demo-password"}))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let me: Value = login_with(
        &srv.fresh_client(),
        &srv.url("/api/v1/session"),
        "teacher",
        fresh,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(me["must_change_password"], true);
    srv.stop().await;
}

async fn only_administrators_of_the_school_manage_staff(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let body =
        json!({"username": "x1", "display_name": "某某", "roles": [{"role": "school_admin"}]});
    for user in ["teacher", "head", "county", "town"] {
        let client = srv.fresh_client();
        login_with(&client, &srv.url("/api/v1/session"), user, "demo-password").await;
        assert_eq!(
            client
                .get(srv.url("/api/v1/staff"))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::FORBIDDEN,
            "{user}"
        );
        assert_eq!(
            client
                .post(srv.url("/api/v1/staff"))
                .json(&body)
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::FORBIDDEN,
            "{user}"
        );
    }
    // The admin of school A cannot touch school B's people or school.
    srv.login_ok("admin").await;
    let other = user_id(&db.url, "principal2").await;
    let reset = srv
        .client
        .post(srv.url(&format!("/api/v1/staff/{other}/password-reset")))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), StatusCode::FORBIDDEN);
    let roles = srv
        .client
        .put(srv.url(&format!("/api/v1/staff/{other}/roles")))
        .json(&json!({"roles": [{"role": "school_admin"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(roles.status(), StatusCode::FORBIDDEN);
    let b = common::demo_school(&db.url, "中学").await;
    let res = srv
        .client
        .get(srv.url(&format!("/api/v1/staff?school_id={}", b.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (status, staff) = srv.get_json("/api/v1/staff").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        staff
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["username"] != "principal2"),
        "only own school's staff"
    );
    // Nor the principal's account: resetting its password would hand the
    // admin the principal's rights; nor may the admin appoint a principal.
    let principal = user_id(&db.url, "principal").await;
    let teacher = user_id(&db.url, "teacher").await;
    let reset = srv
        .client
        .post(srv.url(&format!("/api/v1/staff/{principal}/password-reset")))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), StatusCode::FORBIDDEN);
    let promote = srv
        .client
        .put(srv.url(&format!("/api/v1/staff/{teacher}/roles")))
        .json(&json!({"roles": [{"role": "principal"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(promote.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let principal_client = srv.fresh_client();
    login_with(
        &principal_client,
        &srv.url("/api/v1/session"),
        "principal",
        "demo-password",
    )
    .await;
    let own = principal_client
        .get(srv.url("/api/v1/staff"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        own.status(),
        StatusCode::OK,
        "the principal still manages staff"
    );
    srv.stop().await;
}

/// 批量导入教师: a CSV with good and bad rows; the preview explains each
/// bad row, the commit creates the accounts (passwords once) and updates
/// roles, and importing the same file again changes nothing.
async fn teachers_from_a_file(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let csv = "姓名,手机号,角色,班级,学科\n\
        新教师甲,13700000001,班主任、科任教师,三年级（1）班,语文\n\
        新教师乙,13700000002,科任教师,三年级(1)班、四年级(1)班,数学\n\
        新教师丙,,班主任,三年级(1)班,\n\
        新教师丁,13700000004,校工,,\n\
        新教师戊,13700000005,班主任,九年级(9)班,\n\
        新教师己,13700000001,科任教师,三年级(1)班,英语\n\
        新教师庚,13700000007,校长,,\n\
        王建国,principal,科任教师,三年级(1)班,语文\n\
        张伟,teacher,科任教师,三年级(1)班,音乐\n";
    let post = |client: &reqwest::Client, step: &str| {
        client
            .post(srv.url(&format!("/api/v1/imports/teachers/{step}")))
            .header("content-type", "application/octet-stream")
            .body(csv.as_bytes().to_vec())
    };
    let teacher = common::client_for(&srv, "teacher").await;
    assert_eq!(
        post(&teacher, "preview").send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );

    let admin = common::client_for(&srv, "admin").await;
    let res = post(&admin, "preview").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let preview: Value = res.json().await.unwrap();
    let bad: Vec<u64> = preview["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["row"].as_u64().unwrap())
        .collect();
    assert_eq!(bad, [4, 5, 6, 7, 8, 9], "{preview}");
    let message = |row: u64| {
        preview["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["row"] == row)
            .unwrap()["message"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(message(5).contains("校工"));
    assert!(message(6).contains("班级不存在"));
    assert!(message(7).contains("重复"));
    assert!(message(8).contains("校长"));
    assert!(message(9).contains("校长"));
    assert_eq!(
        (preview["to_create"].as_u64(), preview["to_update"].as_u64()),
        (Some(2), Some(1)),
        "{preview}"
    );
    assert_eq!(preview["committed"], false);

    let committed: Value = post(&admin, "commit")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(committed["committed"], true);
    let created = committed["created"].as_array().unwrap();
    assert_eq!(created.len(), 2, "{committed}");
    let password = created
        .iter()
        .find(|c| c["username"] == "13700000002")
        .unwrap()["initial_password"]
        .as_str()
        .unwrap()
        .to_owned();
    let newcomer = srv.fresh_client();
    let res = login_with(
        &newcomer,
        &srv.url("/api/v1/session"),
        "13700000002",
        &password,
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (status, me) = {
        let r = newcomer.get(srv.url("/api/v1/me")).send().await.unwrap();
        (r.status(), r.json::<Value>().await.unwrap())
    };
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["must_change_password"], true);
    assert_eq!(
        me["roles"].as_array().unwrap().len(),
        2,
        "two classes taught"
    );

    let again: Value = post(&admin, "commit")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            again["to_create"].as_u64(),
            again["to_update"].as_u64(),
            again["unchanged"].as_u64()
        ),
        (Some(0), Some(0), Some(3)),
        "{again}"
    );
    assert!(again["created"].as_array().unwrap().is_empty());
    srv.stop().await;
}

on_both_backends!(
    teachers_from_a_file,
    admin_creates_an_account_that_must_change_its_password,
    roles_are_checked_against_the_school,
    reset_gives_a_new_initial_password_and_ends_sessions,
    only_administrators_of_the_school_manage_staff,
);
