//! Status changes with dated history, allowed transitions, class moves, and
//! who may make them.

mod common;

use app::db::entities::student;
use common::{Backend, TestDb, TestServer, login_with};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

/// An 在校 student of `class_name` in school A.
async fn student_in(url: &str, class_name: &str) -> i32 {
    let db = app::db::connect(url).await.unwrap();
    let class_id = common::demo_class_id(url, "第一小学", class_name).await;
    student::Entity::find()
        .filter(student::Column::ClassId.eq(class_id))
        .filter(student::Column::Status.eq("in_school"))
        .order_by_asc(student::Column::Id)
        .one(&db)
        .await
        .unwrap()
        .unwrap()
        .id
}

fn today() -> String {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive()
        .to_string()
}

async fn head_teacher_records_a_suspected_dropout_with_history(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let id = student_in(&db.url, "三年级(1)班").await;
    srv.login_ok("head").await;
    let url = srv.url(&format!("/api/v1/students/{id}/status"));
    let res = srv
        .client
        .post(&url)
        .json(&json!({"to": "suspected_dropout", "effective_date": today(), "note": "连续缺勤 3 天，电话无人接听"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let detail: Value = res.json().await.unwrap();
    assert_eq!(detail["summary"]["status"], "suspected_dropout");
    let last = detail["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (last["from"].as_str(), last["to"].as_str()),
        (Some("in_school"), Some("suspected_dropout"))
    );
    assert_eq!(last["note"], "连续缺勤 3 天，电话无人接听");

    // Forbidden transitions and bad input are clear 422s and change nothing.
    for (body, field) in [
        (
            json!({"to": "returned", "effective_date": today(), "note": "x"}),
            "to",
        ),
        (
            json!({"to": "dropout", "effective_date": "2099-01-01", "note": "x"}),
            "effective_date",
        ),
        (
            json!({"to": "dropout", "effective_date": today(), "note": "  "}),
            "note",
        ),
    ] {
        let res = srv.client.post(&url).json(&body).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(res.json::<Value>().await.unwrap()["field"], field);
    }
    let (_, after) = srv.get_json(&format!("/api/v1/students/{id}")).await;
    assert_eq!(after["summary"]["status"], "suspected_dropout");
    assert_eq!(after["history"].as_array().unwrap().len(), 2);
    srv.stop().await;
}

async fn only_editors_change_status(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let taught = student_in(&db.url, "三年级(2)班").await; // head teaches 数学 here, is not head teacher
    let body = json!({"to": "on_leave", "effective_date": today(), "note": "病假"});
    for (user, id, expected) in [
        ("head", taught, StatusCode::FORBIDDEN),
        (
            "teacher",
            student_in(&db.url, "四年级(1)班").await,
            StatusCode::FORBIDDEN,
        ),
        ("county", taught, StatusCode::FORBIDDEN),
        ("principal2", taught, StatusCode::FORBIDDEN),
        ("principal", taught, StatusCode::OK),
    ] {
        let client = srv.fresh_client();
        login_with(&client, &srv.url("/api/v1/session"), user, "demo-password").await;
        let res = client
            .post(srv.url(&format!("/api/v1/students/{id}/status")))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), expected, "{user}");
    }
    srv.stop().await;
}

async fn leaders_move_students_within_their_school(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let id = student_in(&db.url, "三年级(1)班").await;
    let target = common::demo_class_id(&db.url, "第一小学", "三年级(2)班").await;
    let foreign = common::demo_class_id(&db.url, "中学", "七年级(1)班").await;
    let url = srv.url(&format!("/api/v1/students/{id}/class"));

    let head = srv.fresh_client();
    login_with(&head, &srv.url("/api/v1/session"), "head", "demo-password").await;
    assert_eq!(
        head.post(&url)
            .json(&json!({"class_id": target}))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );

    srv.login_ok("admin").await;
    let res = srv
        .client
        .post(&url)
        .json(&json!({"class_id": foreign}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = srv
        .client
        .post(&url)
        .json(&json!({"class_id": target}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.json::<Value>().await.unwrap()["summary"]["class_name"],
        "三年级(2)班"
    );
    let (_, log) = srv.get_json("/api/v1/audit").await;
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "move_class")
    );
    srv.stop().await;
}

on_both_backends!(
    head_teacher_records_a_suspected_dropout_with_history,
    only_editors_change_status,
    leaders_move_students_within_their_school,
);
