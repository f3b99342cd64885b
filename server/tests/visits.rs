//! The visit sync protocol: idempotent PUTs to client-made UUIDs, edits on
//! top of a known revision with the history kept, who may record what, and
//! 拟家访 reports acknowledged by the school and linked by the visit.

mod common;

use app::db::entities::{semester, visit, visit_revision};
use common::images::{jpeg, sha256_hex};
use common::{Backend, TestDb, TestServer, client_for, demo_student, demo_user_id};
use reqwest::{Client, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

/// Now on a phone in China (a minute ago, so it is never "in the future").
fn just_now() -> String {
    (chrono::Utc::now() - chrono::Duration::minutes(1))
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .to_rfc3339()
}

/// A complete in-person visit without signature (the parent was away).
fn visit_body(student_id: i32) -> Value {
    json!({
        "student_id": student_id,
        "visited_at": just_now(),
        "mode": "home",
        "reason": "routine",
        "met_person": "王奶奶",
        "met_relation": "祖母",
        "family_situation": "父母在外务工，由祖母照看",
        "summary": "学习习惯良好，按时完成作业",
        "no_signature_reason": "祖母不识字",
    })
}

async fn put(srv: &TestServer, client: &Client, path: &str, body: &Value) -> (StatusCode, Value) {
    let res = client
        .put(srv.url(path))
        .json(body)
        .send()
        .await
        .expect("put");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn get(srv: &TestServer, client: &Client, path: &str) -> (StatusCode, Value) {
    let res = client.get(srv.url(path)).send().await.expect("get");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn visit_count(url: &str, id: Uuid) -> u64 {
    let db = app::db::connect(url).await.unwrap();
    visit::Entity::find()
        .filter(visit::Column::Id.eq(id))
        .count(&db)
        .await
        .unwrap()
}

fn ids_in(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn the_same_visit_sent_twice_is_one_visit(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let teacher = client_for(&srv, "teacher").await;
    let student = demo_student(&db.url, "第一小学", "四年级(1)班").await;
    let id = Uuid::new_v4();
    let path = format!("/api/v1/visits/{id}");
    let body = visit_body(student);

    let (status, first) = put(&srv, &teacher, &path, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["id"], id.to_string());
    assert_eq!(first["revision"], 1);
    assert_eq!(first["flagged"], true, "in person without signature");
    let (status, again) = put(&srv, &teacher, &path, &body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again, first, "a replay gets the very same answer");
    assert_eq!(visit_count(&db.url, id).await, 1);

    let (status, mine) = get(&srv, &teacher, "/api/v1/visits").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids_in(&mine), [id.to_string()]);
    let (status, one) = get(&srv, &teacher, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["summary"], "学习习惯良好，按时完成作业");
    assert_eq!(one["visitor"]["name"], "张伟");
    assert_eq!(one["class_name"], "四年级(1)班");
    assert_eq!(one["mode"], "home");
    srv.stop().await;
}

async fn a_retry_racing_the_original_is_one_visit(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let teacher = client_for(&srv, "teacher").await;
    let student = demo_student(&db.url, "第一小学", "四年级(2)班").await;
    let body = visit_body(student);

    // First sends at once (a retry racing the original): one creates,
    // the others find it and get the same answer.
    let id = Uuid::new_v4();
    let path = format!("/api/v1/visits/{id}");
    let (a, b, c, d) = tokio::join!(
        put(&srv, &teacher, &path, &body),
        put(&srv, &teacher, &path, &body),
        put(&srv, &teacher, &path, &body),
        put(&srv, &teacher, &path, &body)
    );
    let mut statuses = [a.0, b.0, c.0, d.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::CREATED
        ],
        "{} {} {} {}",
        a.1,
        b.1,
        c.1,
        d.1
    );
    assert!([&b.1, &c.1, &d.1].iter().all(|other| **other == a.1));
    assert_eq!(visit_count(&db.url, id).await, 1);

    // Sent, then sent again twice at once (the answer was lost).
    let id = Uuid::new_v4();
    let path = format!("/api/v1/visits/{id}");
    let (status, first) = put(&srv, &teacher, &path, &body).await;
    assert_eq!(status, StatusCode::CREATED);
    let (a, b) = tokio::join!(
        put(&srv, &teacher, &path, &body),
        put(&srv, &teacher, &path, &body)
    );
    assert_eq!((a.0, b.0), (StatusCode::OK, StatusCode::OK));
    assert_eq!((&a.1, &b.1), (&first, &first));
    assert_eq!(visit_count(&db.url, id).await, 1);
    srv.stop().await;
}

async fn edits_need_the_current_revision_and_keep_history(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let teacher = client_for(&srv, "teacher").await;
    let student = demo_student(&db.url, "第一小学", "四年级(1)班").await;
    let id = Uuid::new_v4();
    let path = format!("/api/v1/visits/{id}");
    let body = visit_body(student);
    assert_eq!(
        put(&srv, &teacher, &path, &body).await.0,
        StatusCode::CREATED
    );

    // A different body without saying what it edits: a conflict.
    let mut edited = body.clone();
    edited["summary"] = json!("补充：家长希望多布置阅读作业");
    let (status, err) = put(&srv, &teacher, &path, &edited).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(err["error"], "conflict");
    assert!(err["message"].as_str().unwrap().contains("第 1 版"));

    // On top of revision 1: saved as revision 2.
    edited["base_revision"] = json!(1);
    let (status, saved) = put(&srv, &teacher, &path, &edited).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["revision"], 2);
    // Replaying the edit is harmless; another edit on the stale base is not.
    let (status, again) = put(&srv, &teacher, &path, &edited).await;
    assert_eq!((status, &again), (StatusCode::OK, &saved));
    let mut stale = edited.clone();
    stale["follow_up"] = json!("下周再访");
    assert_eq!(
        put(&srv, &teacher, &path, &stale).await.0,
        StatusCode::CONFLICT
    );

    let (_, view) = get(&srv, &teacher, &path).await;
    assert_eq!(view["revision"], 2);
    assert_eq!(view["summary"], "补充：家长希望多布置阅读作业");
    assert_eq!(visit_count(&db.url, id).await, 1);

    // Both revisions are kept, the first with its original text.
    let conn = app::db::connect(&db.url).await.unwrap();
    let revisions = visit_revision::Entity::find()
        .filter(visit_revision::Column::VisitId.eq(id))
        .order_by_asc(visit_revision::Column::Revision)
        .all(&conn)
        .await
        .unwrap();
    assert_eq!(revisions.len(), 2);
    let first: Value = serde_json::from_str(&revisions[0].body).unwrap();
    assert_eq!(first["summary"], "学习习惯良好，按时完成作业");
    assert_ne!(revisions[0].body_hash, revisions[1].body_hash);

    // Both saves are in the audit log, without what was said.
    let principal = client_for(&srv, "principal").await;
    let (_, log) = get(&srv, &principal, "/api/v1/audit").await;
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entity_id"] == id.to_string())
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"visit.create") && actions.contains(&"visit.update"),
        "{actions:?}"
    );
    assert!(!log.to_string().contains("阅读作业"));
    srv.stop().await;
}

async fn photos_and_signature_must_be_uploaded_first(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let teacher = client_for(&srv, "teacher").await;
    let student = demo_student(&db.url, "第一小学", "四年级(1)班").await;
    let photo = jpeg(64, 48);
    let uploaded = sha256_hex(&photo);
    let res = teacher
        .put(srv.url(&format!("/api/v1/attachments/{uploaded}")))
        .header("Content-Type", "image/jpeg")
        .body(photo)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let missing = "ab".repeat(32);
    let path = format!("/api/v1/visits/{}", Uuid::new_v4());

    let mut body = visit_body(student);
    body["photos"] = json!([uploaded, missing]);
    let (status, err) = put(&srv, &teacher, &path, &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["field"], "photos");
    let message = err["message"].as_str().unwrap();
    assert!(
        message.contains(&missing) && !message.contains(&uploaded),
        "{message}"
    );

    body["photos"] = json!([uploaded]);
    body["signature"] = json!(missing);
    body["no_signature_reason"] = Value::Null;
    let (status, err) = put(&srv, &teacher, &path, &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["field"], "signature");
    assert!(err["message"].as_str().unwrap().contains(&missing));

    body["signature"] = json!(uploaded);
    let (status, saved) = put(&srv, &teacher, &path, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    assert_eq!(saved["flagged"], false);
    let (_, view) = get(&srv, &teacher, &path).await;
    assert_eq!(view["photos"], json!([uploaded]));
    srv.stop().await;
}

async fn only_staff_of_the_student_record_visits(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let teacher = client_for(&srv, "teacher").await;
    let own = demo_student(&db.url, "第一小学", "四年级(1)班").await;
    let untaught = demo_student(&db.url, "第一小学", "三年级(1)班").await;
    let other_school = demo_student(&db.url, "中学", "七年级(1)班").await;
    let new_path = || format!("/api/v1/visits/{}", Uuid::new_v4());

    for student in [other_school, untaught, 999_999] {
        let (status, _) = put(&srv, &teacher, &new_path(), &visit_body(student)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "student {student}");
    }
    let county = client_for(&srv, "county").await;
    assert_eq!(
        put(&srv, &county, &new_path(), &visit_body(own)).await.0,
        StatusCode::FORBIDDEN
    );

    // Co-visitors: staff of the student's school, not the visitor.
    let mut body = visit_body(own);
    for (co, why) in [
        (demo_user_id(&db.url, "principal2").await, "another school"),
        (demo_user_id(&db.url, "county").await, "an officer"),
        (demo_user_id(&db.url, "teacher").await, "the visitor"),
    ] {
        body["co_visitor_ids"] = json!([co]);
        let (status, err) = put(&srv, &teacher, &new_path(), &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{why}");
        assert_eq!(err["field"], "co_visitor_ids", "{why}");
    }

    // Invalid forms are a 422 naming the field, in Chinese.
    let mut empty = visit_body(own);
    empty["summary"] = json!("  ");
    let (status, err) = put(&srv, &teacher, &new_path(), &empty).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        (err["field"].as_str(), err["message"].as_str()),
        (Some("summary"), Some("请填写谈话要点"))
    );
    let mut future = visit_body(own);
    future["visited_at"] = json!("2099-01-01T08:00:00+08:00");
    let (status, err) = put(&srv, &teacher, &new_path(), &future).await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("visited_at"))
    );

    // With a colleague: both see it as theirs; nobody else may change it.
    let head_id = demo_user_id(&db.url, "head").await;
    body["co_visitor_ids"] = json!([head_id]);
    let path = new_path();
    let (status, _) = put(&srv, &teacher, &path, &body).await;
    assert_eq!(status, StatusCode::CREATED);
    let head = client_for(&srv, "head").await;
    let (_, theirs) = get(&srv, &head, "/api/v1/visits").await;
    assert_eq!(ids_in(&theirs), [path.rsplit('/').next().unwrap()]);
    assert_eq!(
        theirs[0]["co_visitors"],
        json!([{"id": head_id, "name": "李红梅"}])
    );
    let principal = client_for(&srv, "principal").await;
    assert_eq!(
        put(&srv, &principal, &path, &body).await.0,
        StatusCode::FORBIDDEN
    );
    srv.stop().await;
}

async fn visits_are_listed_by_semester_and_student(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let teacher = client_for(&srv, "teacher").await;
    let student = demo_student(&db.url, "第一小学", "四年级(1)班").await;
    let id = Uuid::new_v4();
    let (status, saved) = put(
        &srv,
        &teacher,
        &format!("/api/v1/visits/{id}"),
        &visit_body(student),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    // Dated today: counted in the demo semester, which contains today.
    let conn = app::db::connect(&db.url).await.unwrap();
    let demo_semester = semester::Entity::find().one(&conn).await.unwrap().unwrap();
    assert_eq!(saved["semester_id"], demo_semester.id);

    let by_id = format!("?semester={}", demo_semester.id);
    for query in ["", "?semester=current", "?semester=all", by_id.as_str()] {
        let (status, list) = get(&srv, &teacher, &format!("/api/v1/visits{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert_eq!(ids_in(&list), [id.to_string()], "{query}");
    }
    let (_, none) = get(
        &srv,
        &teacher,
        &format!("/api/v1/visits?semester={}", demo_semester.id + 1),
    )
    .await;
    assert_eq!(ids_in(&none), Vec::<String>::new());
    let (status, err) = get(&srv, &teacher, "/api/v1/visits?semester=last").await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("semester"))
    );

    // A student's visits: for whoever may read the student.
    let by_student = format!("/api/v1/visits?student_id={student}");
    for (user, expected) in [
        ("principal", StatusCode::OK),
        ("county", StatusCode::OK),
        ("principal2", StatusCode::FORBIDDEN),
        ("head", StatusCode::FORBIDDEN),
    ] {
        let client = client_for(&srv, user).await;
        let (status, list) = get(&srv, &client, &by_student).await;
        assert_eq!(status, expected, "{user}");
        if status == StatusCode::OK {
            assert_eq!(ids_in(&list), [id.to_string()], "{user}");
        }
        let (status, _) = get(&srv, &client, &format!("/api/v1/visits/{id}")).await;
        assert_eq!(status, expected, "{user} reading one visit");
    }
    let (status, _) = get(
        &srv,
        &teacher,
        &format!("/api/v1/visits/{}", Uuid::new_v4()),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    srv.stop().await;
}

async fn colleagues_are_the_staff_of_ones_school(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let teacher = client_for(&srv, "teacher").await;
    let (status, list) = get(&srv, &teacher, "/api/v1/colleagues").await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for expected in ["王建国", "李红梅", "陈静", "吴海"] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    for absent in ["张伟", "黄志明", "刘志强", "何晓东"] {
        assert!(!names.contains(&absent), "{absent} not in {names:?}");
    }
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    srv.stop().await;
}

async fn plans_are_acknowledged_by_leaders_and_linked_by_the_visit(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let teacher = client_for(&srv, "teacher").await;
    let student = demo_student(&db.url, "第一小学", "四年级(2)班").await;
    let plan_id = Uuid::new_v4();
    let plan_path = format!("/api/v1/visit-plans/{plan_id}");
    let mut plan = json!({
        "student_id": student, "reason": "absence",
        "planned_at": "2026-11-25T16:00:00+08:00", "note": "连续两天未到校",
    });

    let (status, created) = put(&srv, &teacher, &plan_path, &plan).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["teacher"]["name"], "张伟");
    assert_eq!(created["acknowledged_by"], Value::Null);
    let (status, again) = put(&srv, &teacher, &plan_path, &plan).await;
    assert_eq!((status, &again), (StatusCode::OK, &created));
    // Not yet acknowledged: a changed plan is an update.
    plan["note"] = json!("连续三天未到校，电话无人接听");
    let (status, updated) = put(&srv, &teacher, &plan_path, &plan).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(updated["note"], "连续三天未到校，电话无人接听");

    let ack = format!("{plan_path}/acknowledge");
    for user in ["teacher", "head", "principal2"] {
        let client = client_for(&srv, user).await;
        let status = client.post(srv.url(&ack)).send().await.unwrap().status();
        assert_eq!(status, StatusCode::FORBIDDEN, "{user}");
    }
    let principal = client_for(&srv, "principal").await;
    let (_, listed) = get(&srv, &principal, "/api/v1/visit-plans?open=true").await;
    assert_eq!(ids_in(&listed), [plan_id.to_string()]);
    let res = principal.post(srv.url(&ack)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let acked: Value = res.json().await.unwrap();
    assert_eq!(acked["acknowledged_by"]["name"], "王建国");
    let res = principal.post(srv.url(&ack)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        acked,
        "acknowledging twice changes nothing"
    );

    // Acknowledged plans no longer change.
    plan["note"] = json!("改期");
    assert_eq!(
        put(&srv, &teacher, &plan_path, &plan).await.0,
        StatusCode::CONFLICT
    );

    // A visit answers only a plan about the same student.
    let other = demo_student(&db.url, "第一小学", "四年级(1)班").await;
    let mut wrong = visit_body(other);
    wrong["plan_id"] = json!(plan_id);
    let (status, err) = put(
        &srv,
        &teacher,
        &format!("/api/v1/visits/{}", Uuid::new_v4()),
        &wrong,
    )
    .await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("plan_id"))
    );

    let visit_id = Uuid::new_v4();
    let mut body = visit_body(student);
    body["reason"] = json!("absence");
    body["plan_id"] = json!(plan_id);
    let (status, _) = put(&srv, &teacher, &format!("/api/v1/visits/{visit_id}"), &body).await;
    assert_eq!(status, StatusCode::CREATED);
    for client in [&principal, &teacher] {
        let (_, plans) = get(&srv, client, "/api/v1/visit-plans").await;
        assert_eq!(plans[0]["id"], plan_id.to_string());
        assert_eq!(plans[0]["visit_id"], visit_id.to_string());
        let (_, open) = get(&srv, client, "/api/v1/visit-plans?open=true").await;
        assert_eq!(ids_in(&open), Vec::<String>::new());
    }
    // Another school's principal sees none of it.
    let principal2 = client_for(&srv, "principal2").await;
    let (_, plans) = get(&srv, &principal2, "/api/v1/visit-plans").await;
    assert_eq!(ids_in(&plans), Vec::<String>::new());

    let (_, log) = get(&srv, &principal, "/api/v1/audit").await;
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"visit_plan.create") && actions.contains(&"visit_plan.acknowledge"));
    srv.stop().await;
}

async fn post_batch(
    srv: &TestServer,
    client: &Client,
    visits: &[(Uuid, &Value)],
) -> (StatusCode, Value) {
    let body = json!({
        "visits": visits.iter().map(|(id, v)| json!({"id": id, "visit": v})).collect::<Vec<_>>(),
    });
    let res = client
        .post(srv.url("/api/v1/visits/batch"))
        .json(&body)
        .send()
        .await
        .expect("post batch");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The tallies as kept, then as counted again from the visits.
async fn assert_tallies_match_visits(url: &str) {
    use app::db::entities::visit_tally;
    let db = app::db::connect(url).await.unwrap();
    let rows = |db: sea_orm::DatabaseConnection| async move {
        visit_tally::Entity::find()
            .order_by_asc(visit_tally::Column::SchoolId)
            .order_by_asc(visit_tally::Column::UserId)
            .order_by_asc(visit_tally::Column::Month)
            .all(&db)
            .await
            .unwrap()
            .into_iter()
            // A row counted down to nothing is the same as no row.
            .filter(|r| {
                *r != visit_tally::Model {
                    school_id: r.school_id,
                    user_id: r.user_id,
                    month: r.month,
                    ..Default::default()
                }
            })
            .collect::<Vec<_>>()
    };
    let kept = rows(db.clone()).await;
    app::quotas::tallies::rebuild(&db).await.unwrap();
    let counted = rows(db).await;
    assert_eq!(kept, counted, "the kept tallies match the visits");
}

async fn a_batch_is_decided_visit_by_visit(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let teacher = client_for(&srv, "teacher").await;
    let own = demo_student(&db.url, "第一小学", "四年级(1)班").await;
    let other_school = demo_student(&db.url, "中学", "七年级(1)班").await;

    // One already synced on its own, its answer lost.
    let synced = Uuid::new_v4();
    let synced_body = visit_body(own);
    let (status, first_answer) = put(
        &srv,
        &teacher,
        &format!("/api/v1/visits/{synced}"),
        &synced_body,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let mut changed = synced_body.clone();
    changed["summary"] = json!("改过的谈话要点，但没有说明在哪一版上改的");
    let mut missing_photo = visit_body(own);
    missing_photo["photos"] = json!(["cd".repeat(32)]);
    let (new, other, missing, conflict) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4(), synced);
    let new_body = visit_body(own);
    let other_body = visit_body(other_school);
    let batch = [
        (new, &new_body),
        (synced, &synced_body),
        (other, &other_body),
        (missing, &missing_photo),
        (conflict, &changed),
    ];
    let (status, answer) = post_batch(&srv, &teacher, &batch).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let results = answer["results"].as_array().expect("results");
    let got: Vec<(String, u64)> = results
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (new.to_string(), 201),
            (synced.to_string(), 200),
            (other.to_string(), 403),
            (missing.to_string(), 422),
            (conflict.to_string(), 409),
        ]
    );
    assert_eq!(results[0]["saved"]["revision"], 1);
    assert_eq!(
        results[1]["saved"], first_answer,
        "a replay: the first answer"
    );
    assert_eq!(results[2]["error"]["error"], "forbidden");
    assert_eq!(results[3]["error"]["field"], "photos");
    assert!(
        results[4]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("第 1 版")
    );
    for (id, count) in [(new, 1), (synced, 1), (other, 0), (missing, 0)] {
        assert_eq!(visit_count(&db.url, id).await, count, "{id}");
    }

    // The whole batch again (its answer was lost): the same decisions,
    // the new visit now a replay, nothing stored twice.
    let (status, again) = post_batch(&srv, &teacher, &batch).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["results"][0]["status"], 200);
    assert_eq!(again["results"][0]["saved"], results[0]["saved"]);
    for i in 1..5 {
        assert_eq!(again["results"][i], results[i], "result {i}");
    }
    assert_eq!(visit_count(&db.url, new).await, 1);
    assert_tallies_match_visits(&db.url).await;
    srv.stop().await;
}

async fn batches_have_limits_and_officers_may_not_send_them(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let teacher = client_for(&srv, "teacher").await;
    let own = demo_student(&db.url, "第一小学", "四年级(1)班").await;
    let body = visit_body(own);
    let (status, err) = post_batch(&srv, &teacher, &[]).await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("visits"))
    );
    let max = app::visits::MAX_BATCH_VISITS;
    let ids: Vec<Uuid> = (0..=max).map(|_| Uuid::new_v4()).collect();
    let too_many: Vec<(Uuid, &Value)> = ids.iter().map(|id| (*id, &body)).collect();
    let (status, err) = post_batch(&srv, &teacher, &too_many).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        err["message"].as_str().unwrap().contains(&max.to_string()),
        "{err}"
    );
    assert_eq!(visit_count(&db.url, ids[0]).await, 0);
    let (status, answer) = post_batch(&srv, &teacher, &too_many[..max]).await;
    assert_eq!(status, StatusCode::OK);
    let results = answer["results"].as_array().unwrap();
    assert_eq!(results.len(), max);
    assert!(results.iter().all(|r| r["status"] == 201), "{answer}");
    assert_eq!(visit_count(&db.url, ids[max - 1]).await, 1);
    assert_tallies_match_visits(&db.url).await;

    // Over the JSON body limit: a clear 413, nothing stored.
    let mut huge = visit_body(own);
    huge["summary"] = json!("家".repeat(800_000));
    let big = Uuid::new_v4();
    let (status, err) = post_batch(&srv, &teacher, &[(big, &huge)]).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("too_large")),
        "{err}"
    );
    assert!(err["message"].as_str().unwrap().contains("2 MB"), "{err}");
    assert_eq!(visit_count(&db.url, big).await, 0);

    let county = client_for(&srv, "county").await;
    let (status, err) = post_batch(&srv, &county, &[(Uuid::new_v4(), &body)]).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let anonymous = srv.fresh_client();
    let (status, _) = post_batch(&srv, &anonymous, &[(Uuid::new_v4(), &body)]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    srv.stop().await;
}

/// The same record twice in one batch (saved, then edited, before the
/// phone heard back): decided one after the other, as two requests would
/// be.
async fn a_batch_may_carry_an_edit_behind_its_first_version(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let teacher = client_for(&srv, "teacher").await;
    let own = demo_student(&db.url, "第一小学", "四年级(1)班").await;
    let (id, other) = (Uuid::new_v4(), Uuid::new_v4());
    let first = visit_body(own);
    let mut edit = first.clone();
    edit["summary"] = json!("补充：家长同意每周检查作业");
    edit["base_revision"] = json!(1);
    let mut unbased = first.clone();
    unbased["summary"] = json!("另一台设备上的改动，没有说明在哪一版上改的");
    let second = visit_body(own);
    let batch = [
        (id, &first),
        (other, &second),
        (id, &edit),
        (id, &unbased),
        (id, &edit),
    ];
    let (status, answer) = post_batch(&srv, &teacher, &batch).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let got: Vec<(u64, Option<i64>)> = answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["status"].as_u64().unwrap(),
                r["saved"]["revision"].as_i64(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (201, Some(1)),
            (201, Some(1)),
            (200, Some(2)),
            (409, None),
            // The edit again: a replay of revision 2.
            (200, Some(2)),
        ]
    );
    let (status, stored) = get(&srv, &teacher, &format!("/api/v1/visits/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stored["summary"], "补充：家长同意每周检查作业");
    assert_eq!(visit_count(&db.url, id).await, 1);
    assert_tallies_match_visits(&db.url).await;
    srv.stop().await;
}

/// Two phones hand in at once, each visit made jointly with the other
/// teacher (the day-2 joint visit), so both batches move both teachers'
/// tallies; and the same batch twice at once (a retry racing the
/// original). Nothing is refused, stored twice or miscounted.
async fn concurrent_batches_neither_block_nor_double_count(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let teacher = client_for(&srv, "teacher").await;
    let head = client_for(&srv, "head").await;
    // `teacher` teaches 四年级, `head` leads 三年级(1)班.
    let teachers_student = demo_student(&db.url, "第一小学", "四年级(1)班").await;
    let heads_student = demo_student(&db.url, "第一小学", "三年级(1)班").await;
    let teacher_id = demo_user_id(&db.url, "teacher").await;
    let head_id = demo_user_id(&db.url, "head").await;
    let joint = |student: i32, co: i32, months_ago: i64| {
        let mut body = visit_body(student);
        let at = (chrono::Utc::now() - chrono::Duration::days(months_ago * 31 + 1))
            .with_timezone(&chrono_tz::Asia::Shanghai);
        body["visited_at"] = json!(at.to_rfc3339());
        body["co_visitor_ids"] = json!([co]);
        body
    };
    for round in 0..4 {
        // Each in a different month order, so the tally rows each batch
        // touches first differ.
        let teacher_bodies: Vec<Value> = (0..3)
            .map(|m| joint(teachers_student, head_id, m))
            .collect();
        let head_bodies: Vec<Value> = (0..3)
            .rev()
            .map(|m| joint(heads_student, teacher_id, m))
            .collect();
        let t: Vec<(Uuid, &Value)> = teacher_bodies.iter().map(|b| (Uuid::new_v4(), b)).collect();
        let h: Vec<(Uuid, &Value)> = head_bodies.iter().map(|b| (Uuid::new_v4(), b)).collect();
        let (a, b, c) = tokio::join!(
            post_batch(&srv, &teacher, &t),
            post_batch(&srv, &head, &h),
            post_batch(&srv, &teacher, &t),
        );
        for (who, (status, answer)) in [("teacher", &a), ("head", &b), ("teacher again", &c)] {
            assert_eq!(*status, StatusCode::OK, "round {round} {who}: {answer}");
        }
        for (i, (id, _)) in t.iter().enumerate() {
            let mut pair = [
                a.1["results"][i]["status"].as_u64(),
                c.1["results"][i]["status"].as_u64(),
            ];
            pair.sort();
            assert_eq!(
                pair,
                [Some(200), Some(201)],
                "round {round}: one creates, one replays"
            );
            assert_eq!(b.1["results"][i]["status"], 201);
            assert_eq!(visit_count(&db.url, *id).await, 1);
        }
    }
    assert_tallies_match_visits(&db.url).await;
    srv.stop().await;
}

async fn the_sync_protocol_is_documented(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let (status, doc) = srv.get_json("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    for (path, method) in [
        ("/api/v1/visits/{id}", "put"),
        ("/api/v1/visits/batch", "post"),
        ("/api/v1/visits/{id}", "get"),
        ("/api/v1/visits", "get"),
        ("/api/v1/visit-plans/{id}", "put"),
        ("/api/v1/visit-plans", "get"),
        ("/api/v1/visit-plans/{id}/acknowledge", "post"),
        ("/api/v1/attachments/{sha256}", "put"),
        ("/api/v1/attachments/{sha256}", "get"),
        ("/api/v1/attachments/{sha256}/thumb", "get"),
        ("/api/v1/colleagues", "get"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} documented"
        );
    }
    for schema in [
        "VisitInput",
        "VisitSaved",
        "VisitBatch",
        "BatchResults",
        "VisitView",
        "PlanInput",
        "PlanView",
        "AttachmentSaved",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
    srv.stop().await;
}

on_both_backends!(
    the_same_visit_sent_twice_is_one_visit,
    a_retry_racing_the_original_is_one_visit,
    edits_need_the_current_revision_and_keep_history,
    photos_and_signature_must_be_uploaded_first,
    only_staff_of_the_student_record_visits,
    visits_are_listed_by_semester_and_student,
    colleagues_are_the_staff_of_ones_school,
    plans_are_acknowledged_by_leaders_and_linked_by_the_visit,
    the_sync_protocol_is_documented,
    a_batch_is_decided_visit_by_visit,
    batches_have_limits_and_officers_may_not_send_them,
    a_batch_may_carry_an_edit_behind_its_first_version,
    concurrent_batches_neither_block_nor_double_count,
);
