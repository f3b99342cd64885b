//! 一生一案, 劝返 records, 送教上门 and the special-group ledger through the
//! API, over a real server and database: the steps of the ladder they
//! close, the states they refuse, who may read and write, and the audit.

mod common;

use app::db::entities::{audit_log, ladder_task, notification, student};
use chrono::{Duration, NaiveDate};
use common::{Backend, TestDb, TestServer, client_for, demo_class_id, demo_user_id};
use reqwest::{Client, StatusCode};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::{Value, json};

async fn send(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let res = req.send().await.expect("request");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn today() -> NaiveDate {
    app::semesters::service::today()
}

async fn class_students(db: &DatabaseConnection, class_id: i32) -> Vec<student::Model> {
    student::Entity::find()
        .filter(student::Column::ClassId.eq(class_id))
        .order_by_asc(student::Column::Id)
        .all(db)
        .await
        .unwrap()
}

/// An open ladder step, as the ladder leaves it on day 3 / day 5.
async fn open_step(db: &DatabaseConnection, s: &student::Model, kind: &str, assignee: i32) -> i32 {
    ladder_task::ActiveModel {
        school_id: Set(s.school_id),
        student_id: Set(s.id),
        absence_start: Set(today()),
        kind: Set(kind.into()),
        assignee_id: Set(assignee),
        ladder_day: Set(3),
        due_date: Set(today()),
        status: Set("open".into()),
        closed_note: Set(String::new()),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap()
    .id
}

async fn step_status(db: &DatabaseConnection, id: i32) -> String {
    ladder_task::Entity::find_by_id(id)
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .status
}

async fn change_status(srv: &TestServer, client: &Client, id: i32, to: &str) {
    let (status, body) = send(
        client
            .post(srv.url(&format!("/api/v1/students/{id}/status")))
            .json(&json!({ "to": to, "effective_date": today(), "note": "测试状态变更" })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{to}: {body}");
}

/// A minute ago in Beijing time (a visit may not lie in the future).
fn just_now() -> chrono::DateTime<chrono::FixedOffset> {
    let china = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    (chrono::Utc::now() - Duration::minutes(1)).with_timezone(&china)
}

async fn record_visit(
    srv: &TestServer,
    client: &Client,
    student_id: i32,
    reason: &str,
    extra: Value,
) -> (StatusCode, Value, uuid::Uuid) {
    let id = uuid::Uuid::new_v4();
    let mut body = json!({
        "student_id": student_id, "visited_at": just_now().to_rfc3339(),
        "mode": "home", "reason": reason, "summary": "与家长面谈，讲明义务教育法",
        "no_signature_reason": "家长外出，祖母不识字",
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (status, saved) = send(
        client
            .put(srv.url(&format!("/api/v1/visits/{id}")))
            .json(&body),
    )
    .await;
    (status, saved, id)
}

async fn a_case_from_plan_to_closing(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let conn = app::db::connect(&db.url).await.unwrap();
    let class_id = demo_class_id(&db.url, "第一小学", "三年级(1)班").await;
    let students = class_students(&conn, class_id).await;
    let (a, other) = (&students[0], &students[1]);
    let head = client_for(&srv, "head").await;
    let teacher = client_for(&srv, "teacher").await;
    let county = client_for(&srv, "county").await;
    let head_id = demo_user_id(&db.url, "head").await;
    let principal_id = demo_user_id(&db.url, "principal").await;
    let case_url = srv.url(&format!("/api/v1/students/{}/case", a.id));
    let plan = json!({
        "opened_on": today(), "reason": "厌学，在家帮忙农活",
        "plan": "班主任每周入户；学校落实营养餐和住宿补助；村委协助劝返",
        "responsible": "王校长、李老师",
    });

    // A student in school has no case.
    let (status, err) = send(head.put(&case_url).json(&plan)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert!(
        err["message"].as_str().unwrap().contains("疑似辍学"),
        "{err}"
    );

    change_status(&srv, &head, a.id, "suspected_dropout").await;
    let plan_step = open_step(&conn, a, "control_plan", principal_id).await;
    let record_step = open_step(&conn, a, "persuasion_record", head_id).await;

    // Every part of the plan is required, with the field named.
    let (status, err) = send(head.put(&case_url).json(&json!({
        "opened_on": today(), "reason": "厌学", "plan": "  ", "responsible": "王校长",
    })))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["field"], "plan", "{err}");
    assert_eq!(step_status(&conn, plan_step).await, "open");

    // The plan opens the case and closes the principal's day-3 step.
    let (status, file) = send(head.put(&case_url).json(&plan)).await;
    assert_eq!(status, StatusCode::OK, "{file}");
    assert_eq!(file["cases"].as_array().unwrap().len(), 1);
    assert_eq!(file["cases"][0]["responsible"], "王校长、李老师");
    assert!(file["cases"][0]["closed_on"].is_null());
    assert_eq!(step_status(&conn, plan_step).await, "done");
    // Saving again updates the same case.
    let (status, file) = send(head.put(&case_url).json(&plan)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(file["cases"].as_array().unwrap().len(), 1);

    // A 劝返 record may link only this student's visit.
    let (status, _, foreign_visit) =
        record_visit(&srv, &head, other.id, "absence", json!({})).await;
    assert!(status.is_success());
    let records_url = srv.url(&format!("/api/v1/students/{}/persuasion-records", a.id));
    let attempt = |visit: uuid::Uuid| {
        json!({
            "day": today(), "persons": "班主任李老师、村委张主任", "method": "joint",
            "result": "家长同意下周一送孩子返校", "outcome": "agreed", "visit_id": visit,
        })
    };
    let (status, err) = send(head.post(&records_url).json(&attempt(foreign_visit))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["field"], "visit_id", "{err}");
    let (status, _, visit) = record_visit(&srv, &head, a.id, "persuade_return", json!({})).await;
    assert!(status.is_success());
    let (status, file) = send(head.post(&records_url).json(&attempt(visit))).await;
    assert_eq!(status, StatusCode::OK, "{file}");
    let record = &file["cases"][0]["records"][0];
    assert_eq!(record["outcome"], "agreed");
    assert_eq!(record["visit"]["id"], visit.to_string());
    assert_eq!(record["recorded_by"], "李红梅", "{record}");
    assert_eq!(step_status(&conn, record_step).await, "done");
    let future = json!({
        "day": today() + Duration::days(1), "persons": "李老师", "method": "phone",
        "result": "x", "outcome": "refused",
    });
    let (status, err) = send(head.post(&records_url).json(&future)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["field"], "day");

    // Officers read the file (it is reported to them); they do not write it.
    // A teacher of another class sees nothing.
    let (status, file) = send(county.get(&case_url)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(file["can_plan"], false);
    assert_eq!(file["can_record"], false);
    assert_eq!(
        send(county.put(&case_url).json(&plan)).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(county.post(&records_url).json(&attempt(visit)))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(send(teacher.get(&case_url)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        send(teacher.post(&records_url).json(&attempt(visit)))
            .await
            .0,
        StatusCode::FORBIDDEN
    );

    // Closing needs the student back first, then evidence.
    let close_url = srv.url(&format!("/api/v1/students/{}/case/close", a.id));
    let close = json!({ "closed_on": today(), "note": "已复学，安排每周跟踪家访" });
    let (status, err) = send(head.post(&close_url).json(&close)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(err["message"].as_str().unwrap().contains("复学"), "{err}");
    change_status(&srv, &head, a.id, "in_school").await;
    let (status, err) = send(
        head.post(&close_url)
            .json(&json!({ "closed_on": today(), "note": "" })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["field"], "note");
    let (status, file) = send(head.post(&close_url).json(&close)).await;
    assert_eq!(status, StatusCode::OK, "{file}");
    assert_eq!(file["cases"][0]["closed_on"], today().to_string());
    // Closed is closed: no second close, no new case for a student in school.
    assert_eq!(
        send(head.post(&close_url).json(&close)).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        send(head.put(&case_url).json(&plan)).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    for action in [
        "open_case",
        "update_case",
        "add_persuasion_record",
        "close_case",
    ] {
        let n = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq(action))
            .filter(audit_log::Column::EntityId.eq(a.id.to_string()))
            .count(&conn)
            .await
            .unwrap();
        assert!(n >= 1, "{action} audited");
    }
}

async fn home_teaching_and_special_groups(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let conn = app::db::connect(&db.url).await.unwrap();
    let class_id = demo_class_id(&db.url, "第一小学", "三年级(1)班").await;
    let students = class_students(&conn, class_id).await;
    let (b, c) = (&students[2], &students[3]);
    let head = client_for(&srv, "head").await;
    let teacher = client_for(&srv, "teacher").await;
    let county = client_for(&srv, "county").await;
    let enrol = |id: i32| srv.url(&format!("/api/v1/students/{id}/home-teaching"));

    assert_eq!(
        send(teacher.put(enrol(b.id)).json(&json!({ "enabled": true })))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (status, body) = send(head.put(enrol(b.id)).json(&json!({ "enabled": true }))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, list) = send(head.get(srv.url("/api/v1/home-teaching"))).await;
    let rows = list["students"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{list}");
    assert_eq!(rows[0]["student_id"], b.id);
    assert_eq!(rows[0]["sessions_this_semester"], 0);
    assert_eq!(
        rows[0]["next_due"],
        (today() + Duration::days(7)).to_string()
    );
    assert_eq!(rows[0]["overdue"], false);

    // A session is a visit with reason 送教上门 and its length.
    let (status, err, _) = record_visit(&srv, &head, b.id, "home_teaching", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["field"], "duration_minutes", "{err}");
    let (status, err, _) = record_visit(
        &srv,
        &head,
        b.id,
        "routine",
        json!({ "duration_minutes": 60 }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    let (status, saved, session) = record_visit(
        &srv,
        &head,
        b.id,
        "home_teaching",
        json!({ "duration_minutes": 90, "summary": "语文：识字 20 个；康复训练" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    let (_, list) = send(head.get(srv.url("/api/v1/home-teaching"))).await;
    let row = &list["students"][0];
    assert_eq!(row["sessions_this_semester"], 1);
    assert_eq!(row["minutes_this_semester"], 90);
    assert_eq!(row["last_session"], just_now().date_naive().to_string());
    assert_eq!(row["recent"][0]["visit_id"], session.to_string());
    assert_eq!(row["recent"][0]["content"], "语文：识字 20 个；康复训练");

    // C has been on the list for ten days without a session: overdue, first.
    send(head.put(enrol(c.id)).json(&json!({ "enabled": true }))).await;
    let mut row = student::Entity::find_by_id(c.id)
        .one(&conn)
        .await
        .unwrap()
        .unwrap()
        .into_active_model();
    row.home_teaching_since = Set(Some(today() - Duration::days(10)));
    row.update(&conn).await.unwrap();
    let (_, list) = send(head.get(srv.url("/api/v1/home-teaching"))).await;
    assert_eq!(list["students"][0]["student_id"], c.id, "{list}");
    assert_eq!(list["students"][0]["overdue"], true);
    let sent = app::home_teaching::service::remind_overdue(&conn, today())
        .await
        .unwrap();
    assert!(sent >= 2, "head teacher and school leaders told");
    assert_eq!(
        app::home_teaching::service::remind_overdue(&conn, today())
            .await
            .unwrap(),
        0
    );
    let told = notification::Entity::find()
        .filter(notification::Column::UserId.eq(demo_user_id(&db.url, "head").await))
        .filter(notification::Column::Kind.eq("home_teaching_overdue"))
        .count(&conn)
        .await
        .unwrap();
    assert_eq!(told, 1);

    // The county sets the cadence, within "at least weekly".
    let (_, rules) = send(county.get(srv.url("/api/v1/ladder-rules"))).await;
    assert_eq!(rules["home_teaching_every_days"], 7);
    let mut faster = rules.clone();
    faster["home_teaching_every_days"] = json!(9);
    let (status, err) = send(county.put(srv.url("/api/v1/ladder-rules")).json(&faster)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["field"], "home_teaching_every_days");
    faster["home_teaching_every_days"] = json!(3);
    assert_eq!(
        send(county.put(srv.url("/api/v1/ladder-rules")).json(&faster))
            .await
            .0,
        StatusCode::OK
    );
    let (_, list) = send(head.get(srv.url("/api/v1/home-teaching"))).await;
    let b_row = list["students"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["student_id"] == b.id)
        .unwrap()
        .clone();
    assert_eq!(b_row["next_due"], (today() + Duration::days(3)).to_string());
    // Taking a student off the list.
    send(head.put(enrol(c.id)).json(&json!({ "enabled": false }))).await;
    let (_, list) = send(head.get(srv.url("/api/v1/home-teaching"))).await;
    assert_eq!(list["students"].as_array().unwrap().len(), 1);

    // The special-group ledger: a visit moves its student to "visited".
    let (status, ledger) = send(head.get(srv.url("/api/v1/ledgers/special-groups"))).await;
    assert_eq!(status, StatusCode::OK);
    let rows = ledger["students"].as_array().unwrap();
    assert!(
        !rows.is_empty(),
        "the demo class has special-group students"
    );
    let target = rows
        .iter()
        .find(|r| r["visits_this_semester"] == 0)
        .expect("someone unvisited")["student_id"]
        .as_i64()
        .unwrap() as i32;
    let visited_before: u64 = ledger["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["visited"].as_u64().unwrap())
        .sum();
    let (status, _, _) = record_visit(&srv, &head, target, "special_care", json!({})).await;
    assert!(status.is_success());
    let (_, ledger) = send(head.get(srv.url("/api/v1/ledgers/special-groups"))).await;
    let row = ledger["students"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["student_id"] == target)
        .unwrap()
        .clone();
    assert_eq!(row["visits_this_semester"], 1);
    let visited_after: u64 = ledger["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["visited"].as_u64().unwrap())
        .sum();
    assert!(visited_after > visited_before);
    // Only the head teacher's own students (her roster) appear.
    let (_, roster) = send(head.get(srv.url("/api/v1/students"))).await;
    let own: Vec<&Value> = roster
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["id"])
        .collect();
    for r in ledger["students"].as_array().unwrap() {
        assert!(own.contains(&&r["student_id"]), "{r}");
    }
    let (_, county_view) = send(county.get(srv.url("/api/v1/ledgers/special-groups"))).await;
    assert!(
        county_view["students"].as_array().unwrap().len()
            > ledger["students"].as_array().unwrap().len(),
        "the county sees every school of the county"
    );
}

#[tokio::test]
async fn a_case_from_plan_to_closing_sqlite() {
    a_case_from_plan_to_closing(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_case_from_plan_to_closing_postgres() {
    a_case_from_plan_to_closing(Backend::Postgres).await;
}

#[tokio::test]
async fn home_teaching_and_special_groups_sqlite() {
    home_teaching_and_special_groups(Backend::Sqlite).await;
}

#[tokio::test]
async fn home_teaching_and_special_groups_postgres() {
    home_teaching_and_special_groups(Backend::Postgres).await;
}
