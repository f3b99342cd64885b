//! 班级管理: leaders add, rename and remove classes of their own school;
//! a class with pupils, teachers or roll calls cannot be removed; every
//! change is in the audit log; teachers and other schools are refused.

mod common;

use common::{Backend, TestDb, TestServer, client_for};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn overview(srv: &TestServer) -> Vec<Value> {
    let (status, list) = srv.get_json("/api/v1/classes/overview").await;
    assert_eq!(status, StatusCode::OK);
    list.as_array().unwrap().clone()
}

fn named<'a>(list: &'a [Value], name: &str) -> Option<&'a Value> {
    list.iter().find(|c| c["name"] == name)
}

async fn admin_adds_renames_and_removes_a_class(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    srv.login_ok("admin").await;

    // The demo class lists its pupils and head teacher and cannot go.
    let before = overview(&srv).await;
    let demo = named(&before, "三年级(1)班").expect("demo class listed");
    assert_eq!(demo["grade_name"], "三年级");
    assert!(demo["students_on_roll"].as_u64().unwrap() > 0);
    assert!(!demo["head_teachers"].as_array().unwrap().is_empty());
    assert_eq!(demo["removable"], false);

    // A bare number becomes the usual name.
    let res = srv
        .client
        .post(srv.url("/api/v1/classes"))
        .json(&json!({"grade_level": 4, "name": "９"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let made: Value = res.json().await.unwrap();
    assert_eq!(made["name"], "四年级(9)班");
    assert_eq!(made["grade_level"], 4);
    assert_eq!(made["students_on_roll"], 0);
    assert_eq!(made["removable"], true);
    let id = made["id"].as_i64().unwrap();

    // The same name in the same grade is refused, in Chinese, naming the field.
    let twice = srv
        .client
        .post(srv.url("/api/v1/classes"))
        .json(&json!({"grade_level": 4, "name": "四年级(9)班"}))
        .send()
        .await
        .unwrap();
    assert_eq!(twice.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let err: Value = twice.json().await.unwrap();
    assert_eq!(err["field"], "name");
    assert!(err["message"].as_str().unwrap().contains("四年级(9)班"));

    for bad in [
        json!({"grade_level": 0, "name": "1"}),
        json!({"grade_level": 3, "name": "  "}),
        json!({"grade_level": 3, "name": "班".repeat(21)}),
    ] {
        let res = srv
            .client
            .post(srv.url("/api/v1/classes"))
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let malformed = srv
        .client
        .post(srv.url("/api/v1/classes"))
        .header("Content-Type", "application/json")
        .body("{\"grade_level\": \"三\"")
        .send()
        .await
        .unwrap();
    assert!(malformed.status().is_client_error());

    // Move it to another grade under a new name; renaming onto the demo
    // class's name is refused.
    let renamed = srv
        .client
        .put(srv.url(&format!("/api/v1/classes/{id}")))
        .json(&json!({"grade_level": 5, "name": "实验班"}))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), StatusCode::OK);
    let renamed: Value = renamed.json().await.unwrap();
    assert_eq!(renamed["grade_name"], "五年级");
    assert_eq!(renamed["name"], "实验班");
    let clash = srv
        .client
        .put(srv.url(&format!("/api/v1/classes/{id}")))
        .json(&json!({"grade_level": 3, "name": "1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(clash.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The new class is offered when teachers are assigned.
    let (_, options) = srv.get_json("/api/v1/classes").await;
    assert!(
        options
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "实验班")
    );

    // A class with pupils cannot be removed; the message says why.
    let demo_id = demo["id"].as_i64().unwrap();
    let refused = srv
        .client
        .delete(srv.url(&format!("/api/v1/classes/{demo_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let err: Value = refused.json().await.unwrap();
    assert!(err["message"].as_str().unwrap().contains("学生"), "{err}");
    assert!(named(&overview(&srv).await, "三年级(1)班").is_some());

    let removed = srv
        .client
        .delete(srv.url(&format!("/api/v1/classes/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert!(named(&overview(&srv).await, "实验班").is_none());
    // Gone means gone: a second delete is refused like any unknown id.
    let again = srv
        .client
        .delete(srv.url(&format!("/api/v1/classes/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::FORBIDDEN);

    // All three changes are in the principal's audit log.
    let principal = client_for(&srv, "principal").await;
    let audit: Value = principal
        .get(srv.url("/api/v1/audit"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entity"] == "class")
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(actions, ["class.delete", "class.update", "class.create"]);
    let newest = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "class.delete")
        .unwrap();
    assert_eq!(newest["school"], "龙川县老隆镇第一小学");

    // Filters: by action, by Beijing day, and paging by id.
    let read = |query: String| {
        let principal = principal.clone();
        let url = srv.url(&format!("/api/v1/audit?{query}"));
        async move {
            let res = principal.get(url).send().await.unwrap();
            (res.status(), res.json::<Value>().await.unwrap())
        }
    };
    let (status, created) = read("action=class.create".into()).await;
    assert_eq!(status, StatusCode::OK);
    let created = created.as_array().unwrap();
    assert!(!created.is_empty());
    assert!(created.iter().all(|e| e["action"] == "class.create"));
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let (_, same_day) = read(format!("action=class.delete&from={today}&to={today}")).await;
    assert_eq!(same_day.as_array().unwrap().len(), 1);
    let (_, long_ago) = read("to=2000-01-01".into()).await;
    assert!(long_ago.as_array().unwrap().is_empty());
    let (status, backwards) = read(format!("from={today}&to=2000-01-01")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backwards}");
    let (_, older) = read(format!("before_id={}", newest["id"])).await;
    assert!(
        older
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["id"].as_i64() < newest["id"].as_i64())
    );
    assert!(
        !older
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "class.delete")
    );
}

async fn a_class_with_a_teacher_cannot_be_removed(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    srv.login_ok("admin").await;
    let made: Value = srv
        .client
        .post(srv.url("/api/v1/classes"))
        .json(&json!({"grade_level": 2, "name": "8"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = made["id"].as_i64().unwrap();
    let created = srv
        .client
        .post(srv.url("/api/v1/staff"))
        .json(&json!({"username": "new.head", "display_name": "新班主任",
            "roles": [{"role": "head_teacher", "class_id": id}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let row = overview(&srv).await;
    let row = named(&row, "二年级(8)班").unwrap();
    assert_eq!(row["head_teachers"], json!(["新班主任"]));
    assert_eq!(row["removable"], false);
    let refused = srv
        .client
        .delete(srv.url(&format!("/api/v1/classes/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let err: Value = refused.json().await.unwrap();
    assert!(err["message"].as_str().unwrap().contains("教师"), "{err}");
}

async fn teachers_and_other_schools_are_refused(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let other_school = common::demo_school(&db.url, "中学").await.id;
    let other_class = common::demo_class_id(&db.url, "中学", "七年级(1)班").await;
    let own_class = common::demo_class_id(&db.url, "第一小学", "三年级(1)班").await;

    let teacher = client_for(&srv, "teacher").await;
    let overview = teacher
        .get(srv.url("/api/v1/classes/overview"))
        .send()
        .await
        .unwrap();
    assert_eq!(overview.status(), StatusCode::FORBIDDEN);
    let create = teacher
        .post(srv.url("/api/v1/classes"))
        .json(&json!({"grade_level": 3, "name": "7"}))
        .send()
        .await
        .unwrap();
    assert_eq!(create.status(), StatusCode::FORBIDDEN);
    let rename = teacher
        .put(srv.url(&format!("/api/v1/classes/{own_class}")))
        .json(&json!({"grade_level": 3, "name": "改名"}))
        .send()
        .await
        .unwrap();
    assert_eq!(rename.status(), StatusCode::FORBIDDEN);

    // School A's admin, against school B.
    let admin = client_for(&srv, "admin").await;
    let create = admin
        .post(srv.url(&format!("/api/v1/classes?school_id={other_school}")))
        .json(&json!({"grade_level": 7, "name": "9"}))
        .send()
        .await
        .unwrap();
    assert_eq!(create.status(), StatusCode::FORBIDDEN);
    let rename = admin
        .put(srv.url(&format!("/api/v1/classes/{other_class}")))
        .json(&json!({"grade_level": 7, "name": "改名"}))
        .send()
        .await
        .unwrap();
    assert_eq!(rename.status(), StatusCode::FORBIDDEN);
    let delete = admin
        .delete(srv.url(&format!("/api/v1/classes/{other_class}")))
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), StatusCode::FORBIDDEN);
    let (_, b) = {
        let principal2 = client_for(&srv, "principal2").await;
        let res = principal2
            .get(srv.url("/api/v1/classes/overview"))
            .send()
            .await
            .unwrap();
        (res.status(), res.json::<Value>().await.unwrap())
    };
    assert!(named(b.as_array().unwrap(), "七年级(1)班").is_some());
    assert!(named(b.as_array().unwrap(), "改名").is_none());
}

on_both_backends!(
    admin_adds_renames_and_removes_a_class,
    a_class_with_a_teacher_cannot_be_removed,
    teachers_and_other_schools_are_refused,
);
