//! 班级管理: leaders add, rename and remove classes of their own school;
//! a class with pupils, teachers or roll calls cannot be removed; every
//! change is in the audit log (which filters by action and day); teachers
//! and other schools are refused.

mod common;

use common::{Backend, TestDb, TestServer, client_for};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

/// One request as `client`, with an optional JSON body: status and JSON answer.
async fn call(
    srv: &TestServer,
    client: &Client,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = client.request(method, srv.url(path));
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn overview(srv: &TestServer, client: &Client) -> Vec<Value> {
    let (status, list) = call(srv, client, Method::GET, "/api/v1/classes/overview", None).await;
    assert_eq!(status, StatusCode::OK);
    list.as_array().unwrap().clone()
}

fn named<'a>(list: &'a [Value], name: &str) -> Option<&'a Value> {
    list.iter().find(|c| c["name"] == name)
}

fn class_url(id: &Value) -> String {
    format!("/api/v1/classes/{id}")
}

async fn admin_adds_renames_and_removes_a_class(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let admin = client_for(&srv, "admin").await;

    // The demo class lists its pupils and head teacher and cannot go.
    let before = overview(&srv, &admin).await;
    let demo = named(&before, "三年级(1)班").expect("demo class listed");
    assert_eq!(demo["grade_name"], "三年级");
    assert!(demo["students_on_roll"].as_u64().unwrap() > 0);
    assert!(!demo["head_teachers"].as_array().unwrap().is_empty());
    assert_eq!(demo["removable"], false);

    // A bare number (full-width too) becomes the usual name.
    let create = |body: Value| call(&srv, &admin, Method::POST, "/api/v1/classes", Some(body));
    let (status, made) = create(json!({"grade_level": 4, "name": "９"})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(made["name"], "四年级(9)班");
    assert_eq!(made["grade_level"], 4);
    assert_eq!(made["students_on_roll"], 0);
    assert_eq!(made["removable"], true);
    let url = class_url(&made["id"]);

    // The same name in the same grade is refused, in Chinese, naming the field.
    let (status, err) = create(json!({"grade_level": 4, "name": "四年级(9)班"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["field"], "name");
    assert!(err["message"].as_str().unwrap().contains("四年级(9)班"));
    for bad in [
        json!({"grade_level": 0, "name": "1"}),
        json!({"grade_level": 3, "name": "  "}),
        json!({"grade_level": 3, "name": "班".repeat(21)}),
        json!({"grade_level": "三", "name": "1"}),
        json!({"name": "1"}),
    ] {
        let (status, err) = create(bad.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {err}");
        assert!(err["message"].is_string(), "{err}");
    }

    // Move it to another grade under a new name; renaming onto the demo
    // class's name is refused.
    let rename = |body: Value| call(&srv, &admin, Method::PUT, &url, Some(body));
    let (status, renamed) = rename(json!({"grade_level": 5, "name": "实验班"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(renamed["grade_name"], "五年级");
    assert_eq!(renamed["name"], "实验班");
    let (status, _) = rename(json!({"grade_level": 3, "name": "1"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // The new class is offered when teachers are assigned.
    let (_, options) = call(&srv, &admin, Method::GET, "/api/v1/classes", None).await;
    let options = options.as_array().unwrap();
    assert!(options.iter().any(|c| c["name"] == "实验班"));

    // A class with pupils cannot be removed; the message says why.
    let demo_url = class_url(&demo["id"]);
    let (status, err) = call(&srv, &admin, Method::DELETE, &demo_url, None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(err["message"].as_str().unwrap().contains("学生"), "{err}");
    assert!(named(&overview(&srv, &admin).await, "三年级(1)班").is_some());

    let (status, _) = call(&srv, &admin, Method::DELETE, &url, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(named(&overview(&srv, &admin).await, "实验班").is_none());
    // Gone means gone: a second delete is refused like any unknown id.
    let (status, _) = call(&srv, &admin, Method::DELETE, &url, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // All three changes are in the principal's audit log, with the school.
    let principal = client_for(&srv, "principal").await;
    let read = |query: String| {
        let path = format!("/api/v1/audit?{query}");
        let principal = principal.clone();
        let srv = &srv;
        async move { call(srv, &principal, Method::GET, &path, None).await }
    };
    let (_, audit) = read(String::new()).await;
    let audit = audit.as_array().unwrap().clone();
    let class_entries: Vec<&Value> = audit.iter().filter(|e| e["entity"] == "class").collect();
    let actions: Vec<&str> = class_entries
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(actions, ["class.delete", "class.update", "class.create"]);
    let deleted = class_entries[0];
    assert_eq!(deleted["school"], "龙川县老隆镇第一小学");

    // Filters: by action, by Beijing day, and paging by id.
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
    let (_, older) = read(format!("before_id={}", deleted["id"])).await;
    let older = older.as_array().unwrap();
    assert!(
        older
            .iter()
            .all(|e| e["id"].as_i64() < deleted["id"].as_i64())
    );
    assert!(!older.iter().any(|e| e["action"] == "class.delete"));
}

async fn a_class_with_a_teacher_cannot_be_removed(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let admin = client_for(&srv, "admin").await;
    let (_, made) = call(
        &srv,
        &admin,
        Method::POST,
        "/api/v1/classes",
        Some(json!({"grade_level": 2, "name": "8"})),
    )
    .await;
    let (status, _) = call(
        &srv,
        &admin,
        Method::POST,
        "/api/v1/staff",
        Some(json!({"username": "new.head", "display_name": "新班主任",
            "roles": [{"role": "head_teacher", "class_id": made["id"]}]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let list = overview(&srv, &admin).await;
    let row = named(&list, "二年级(8)班").unwrap();
    assert_eq!(row["head_teachers"], json!(["新班主任"]));
    assert_eq!(row["removable"], false);
    let url = class_url(&made["id"]);
    let (status, err) = call(&srv, &admin, Method::DELETE, &url, None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(err["message"].as_str().unwrap().contains("教师"), "{err}");
}

async fn teachers_and_other_schools_are_refused(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let other_school = common::demo_school(&db.url, "中学").await.id;
    let other_class = json!(common::demo_class_id(&db.url, "中学", "七年级(1)班").await);
    let own_class = json!(common::demo_class_id(&db.url, "第一小学", "三年级(1)班").await);
    let rename = json!({"grade_level": 3, "name": "改名"});

    let teacher = client_for(&srv, "teacher").await;
    let admin = client_for(&srv, "admin").await;
    let refused = [
        (
            &teacher,
            Method::GET,
            "/api/v1/classes/overview".to_owned(),
            None,
        ),
        (
            &teacher,
            Method::POST,
            "/api/v1/classes".to_owned(),
            Some(json!({"grade_level": 3, "name": "7"})),
        ),
        (
            &teacher,
            Method::PUT,
            class_url(&own_class),
            Some(rename.clone()),
        ),
        (&teacher, Method::DELETE, class_url(&own_class), None),
        // School A's admin, against school B.
        (
            &admin,
            Method::GET,
            format!("/api/v1/classes/overview?school_id={other_school}"),
            None,
        ),
        (
            &admin,
            Method::POST,
            format!("/api/v1/classes?school_id={other_school}"),
            Some(json!({"grade_level": 7, "name": "9"})),
        ),
        (
            &admin,
            Method::PUT,
            class_url(&other_class),
            Some(rename.clone()),
        ),
        (&admin, Method::DELETE, class_url(&other_class), None),
    ];
    for (client, method, path, body) in refused {
        let what = format!("{method} {path}");
        let (status, err) = call(&srv, client, method, &path, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{what}: {err}");
        assert_eq!(err["error"], "forbidden", "{what}");
    }

    // School B's classes are as they were.
    let principal2 = client_for(&srv, "principal2").await;
    let b = overview(&srv, &principal2).await;
    assert!(named(&b, "七年级(1)班").is_some());
    assert!(named(&b, "改名").is_none());
}

on_both_backends!(
    admin_adds_renames_and_removes_a_class,
    a_class_with_a_teacher_cannot_be_removed,
    teachers_and_other_schools_are_refused,
);
