//! Roll call, leave and the absence ladder through the API, over a real
//! calendar: a holiday and a weekend inside the absence, leave that
//! excuses, a return that stops the ladder, a visit that closes the visit
//! steps, replays that change nothing, and who may do what.

mod common;

use std::collections::BTreeSet;

use app::db::entities::{
    audit_log, ladder_task, notification, semester, student, student_status_history, user_role,
};
use chrono::{Datelike, Duration, NaiveDate, Weekday};
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

async fn roll(
    srv: &TestServer,
    client: &Client,
    class_id: i32,
    day: NaiveDate,
    absent: &[i32],
) -> (StatusCode, Value) {
    let marks: Vec<Value> = absent.iter().map(|id| json!({"student_id": id})).collect();
    send(
        client
            .put(srv.url(&format!("/api/v1/roll-calls/{class_id}/{day}")))
            .json(&json!({ "absent": marks })),
    )
    .await
}

fn today() -> NaiveDate {
    app::semesters::service::today()
}

/// The latest Thursday with its following Friday a week later still in
/// the past: Thu, (Fri holiday, Sat, Sun), Mon, Tue, Wed, Thu, Fri.
fn thursday_window() -> NaiveDate {
    let mut d = today() - Duration::days(8);
    while d.weekday() != Weekday::Thu {
        d -= Duration::days(1);
    }
    d
}

/// The demo semester made to start 60 days ago, so the window is inside it.
async fn semester_covering_the_window(db: &DatabaseConnection) {
    let s = semester::Entity::find().one(db).await.unwrap().unwrap();
    let mut s = s.into_active_model();
    s.start_date = Set(today() - Duration::days(60));
    s.update(db).await.unwrap();
}

async fn class_students(db: &DatabaseConnection, class_id: i32) -> Vec<i32> {
    student::Entity::find()
        .filter(student::Column::ClassId.eq(class_id))
        .order_by_asc(student::Column::Id)
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect()
}

/// (kind, assignee, due, status) of a student's tasks.
async fn tasks_of(
    db: &DatabaseConnection,
    student_id: i32,
) -> Vec<(String, i32, NaiveDate, String)> {
    ladder_task::Entity::find()
        .filter(ladder_task::Column::StudentId.eq(student_id))
        .order_by_asc(ladder_task::Column::LadderDay)
        .order_by_asc(ladder_task::Column::AssigneeId)
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.kind, t.assignee_id, t.due_date, t.status))
        .collect()
}

async fn people(
    db: &DatabaseConnection,
    role: &str,
    class_id: Option<i32>,
    school_id: Option<i32>,
) -> BTreeSet<i32> {
    let mut q = user_role::Entity::find().filter(user_role::Column::Role.eq(role));
    if let Some(c) = class_id {
        q = q.filter(user_role::Column::ClassId.eq(c));
    }
    if let Some(s) = school_id {
        q = q.filter(user_role::Column::SchoolId.eq(s));
    }
    q.all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.user_id)
        .collect()
}

async fn the_ladder_follows_school_days(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let conn = app::db::connect(&db.url).await.unwrap();
    semester_covering_the_window(&conn).await;
    let class_id = demo_class_id(&db.url, "第一小学", "三年级(1)班").await;
    let ids = class_students(&conn, class_id).await;
    let (a, b, c) = (ids[0], ids[1], ids[2]);
    let head = client_for(&srv, "head").await;
    let county = client_for(&srv, "county").await;
    let head_id = demo_user_id(&db.url, "head").await;
    let principal_id = demo_user_id(&db.url, "principal").await;
    let town_id = demo_user_id(&db.url, "town").await;
    let county_id = demo_user_id(&db.url, "county").await;
    let school_id = student::Entity::find_by_id(a)
        .one(&conn)
        .await
        .unwrap()
        .unwrap()
        .school_id;
    // The class gets a subject teacher (the demo's teaches other classes).
    user_role::ActiveModel {
        user_id: Set(demo_user_id(&db.url, "teacher").await),
        role: Set("subject_teacher".into()),
        school_id: Set(Some(school_id)),
        class_id: Set(Some(class_id)),
        subject: Set(Some("英语".into())),
        ..Default::default()
    }
    .insert(&conn)
    .await
    .unwrap();

    let thu = thursday_window();
    let fri = thu + Duration::days(1);
    let (mon, tue, wed) = (
        thu + Duration::days(4),
        thu + Duration::days(5),
        thu + Duration::days(6),
    );
    let (thu2, fri2) = (thu + Duration::days(7), thu + Duration::days(8));
    // The county gives the Friday off.
    let (status, _) = send(county.put(srv.url("/api/v1/calendar-days")).json(&json!({
        "day": fri, "kind": "holiday", "name": "测试假日"
    })))
    .await;
    assert_eq!(status, StatusCode::OK);

    // B has approved leave Thursday to Monday: absent, but no ladder.
    let (status, leave) = send(head.post(srv.url("/api/v1/leave")).json(&json!({
        "student_id": b, "kind": "sick", "start_date": thu, "end_date": mon, "reason": "发烧，家长电话请假"
    })))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{leave}");
    assert_eq!(
        leave["status"], "approved",
        "the head teacher approves as she records"
    );

    // Day 1 (Thursday): A, B, C absent → contact visits for the head teacher.
    let (status, view) = roll(&srv, &head, class_id, thu, &[a, b, c]).await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    assert_eq!(view["on_leave"], json!([b]));
    assert_eq!(
        tasks_of(&conn, a).await,
        vec![("contact_visit".into(), head_id, thu, "open".into())]
    );
    assert!(
        tasks_of(&conn, b).await.is_empty(),
        "leave is not an absence"
    );
    // A replay (the phone did not hear the answer) changes nothing.
    let (status, _) = roll(&srv, &head, class_id, thu, &[a, b, c]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ladder_task::Entity::find().count(&conn).await.unwrap(), 2);

    // The holiday Friday and the weekend cannot be roll-called and do not count.
    let (status, err) = roll(&srv, &head, class_id, fri, &[a]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert!(
        err["message"].as_str().unwrap().contains("不是上课日"),
        "{err}"
    );

    // Day 2 (Monday): joint visit for the head and the subject teachers.
    roll(&srv, &head, class_id, mon, &[a, b, c]).await;
    let joint: BTreeSet<i32> = tasks_of(&conn, a)
        .await
        .into_iter()
        .filter(|t| t.0 == "joint_visit")
        .map(|t| {
            assert_eq!(t.2, mon, "due the same school day");
            t.1
        })
        .collect();
    let mut expected = people(&conn, "subject_teacher", Some(class_id), None).await;
    expected.extend(people(&conn, "head_teacher", Some(class_id), None).await);
    assert_eq!(joint, expected);
    assert!(joint.len() >= 2, "head and at least one subject teacher");
    assert!(tasks_of(&conn, b).await.is_empty());

    // Day 3 (Tuesday): C is back → C's ladder stops; A is suspected, the
    // principal must make a plan by Wednesday.
    roll(&srv, &head, class_id, tue, &[a]).await;
    assert!(
        tasks_of(&conn, c).await.iter().all(|t| t.3 == "cancelled"),
        "{:?}",
        tasks_of(&conn, c).await
    );
    let plan: Vec<_> = tasks_of(&conn, a)
        .await
        .into_iter()
        .filter(|t| t.0 == "control_plan")
        .collect();
    assert_eq!(
        plan,
        vec![("control_plan".into(), principal_id, wed, "open".into())]
    );
    let sa = student::Entity::find_by_id(a)
        .one(&conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sa.status, "suspected_dropout");
    assert_eq!(sa.status_since, tue);
    let history = student_status_history::Entity::find()
        .filter(student_status_history::Column::StudentId.eq(a))
        .filter(student_status_history::Column::ToStatus.eq("suspected_dropout"))
        .one(&conn)
        .await
        .unwrap()
        .expect("dated history");
    assert_eq!(history.effective_date, tue);

    // Day 4 (Wednesday): nothing new. Day 5 (Thursday): the 劝返 record,
    // and the town and county are told, once.
    roll(&srv, &head, class_id, wed, &[a]).await;
    let before = ladder_task::Entity::find().count(&conn).await.unwrap();
    roll(&srv, &head, class_id, thu2, &[a]).await;
    roll(&srv, &head, class_id, thu2, &[a]).await;
    assert_eq!(
        ladder_task::Entity::find().count(&conn).await.unwrap(),
        before + 1
    );
    let record: Vec<_> = tasks_of(&conn, a)
        .await
        .into_iter()
        .filter(|t| t.0 == "persuasion_record")
        .collect();
    assert_eq!(record.len(), 1);
    assert_eq!(record[0].1, head_id);
    for officer in [town_id, county_id] {
        let told = notification::Entity::find()
            .filter(notification::Column::UserId.eq(officer))
            .filter(notification::Column::Kind.eq("suspected_dropout"))
            .count(&conn)
            .await
            .unwrap();
        assert_eq!(told, 1, "officer {officer} told once");
    }

    // The head teacher's list on the phone.
    let (status, list) = send(head.get(srv.url("/api/v1/absence-tasks"))).await;
    assert_eq!(status, StatusCode::OK);
    let mine = list["mine"].as_array().unwrap();
    assert!(
        mine.iter()
            .any(|t| t["kind"] == "contact_visit" && t["student_id"] == a && t["overdue"] == true),
        "{list}"
    );

    // A joint visit (head + a subject teacher) for reason 缺勤 closes the
    // contact visit and every joint-visit task of the absence.
    let subject = *expected.iter().find(|id| **id != head_id).unwrap();
    let visit_id = uuid::Uuid::new_v4();
    let at = format!("{thu2}T16:00:00+08:00");
    let (status, saved) = send(head.put(srv.url(&format!("/api/v1/visits/{visit_id}"))).json(&json!({
        "student_id": a, "visited_at": at, "mode": "home", "reason": "absence",
        "co_visitor_ids": [subject],
        "met_person": "王奶奶", "met_relation": "祖母", "summary": "孩子在家帮忙干农活，已说服下周一返校",
        "no_signature_reason": "祖母不识字",
    })))
    .await;
    assert!(status.is_success(), "{saved}");
    let after_visit = tasks_of(&conn, a).await;
    assert!(
        after_visit
            .iter()
            .filter(|t| t.0 == "contact_visit" || t.0 == "joint_visit")
            .all(|t| t.3 == "done"),
        "{after_visit:?}"
    );
    assert!(
        after_visit
            .iter()
            .any(|t| t.0 == "persuasion_record" && t.3 == "open")
    );

    // Overdue steps are told to the principal once, however often the job runs.
    let sent = app::dropout::tasks::escalate_overdue(&conn, today())
        .await
        .unwrap();
    assert!(sent > 0);
    assert_eq!(
        app::dropout::tasks::escalate_overdue(&conn, today())
            .await
            .unwrap(),
        0
    );
    let overdue = notification::Entity::find()
        .filter(notification::Column::UserId.eq(principal_id))
        .filter(notification::Column::Kind.eq("task_overdue"))
        .count(&conn)
        .await
        .unwrap();
    assert!(overdue >= 1);

    // Friday: A is back. The rest of the ladder is withdrawn and A leaves
    // the suspected-dropout ledger.
    roll(&srv, &head, class_id, fri2, &[]).await;
    assert!(tasks_of(&conn, a).await.iter().all(|t| t.3 != "open"));
    let sa = student::Entity::find_by_id(a)
        .one(&conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sa.status, "in_school");

    // Correcting an old roll is audit-logged.
    roll(&srv, &head, class_id, wed, &[a, c]).await;
    let corrections = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("roll_call.correct"))
        .count(&conn)
        .await
        .unwrap();
    assert_eq!(corrections, 1);
    srv.stop().await;
}

async fn only_the_class_staff_take_the_roll(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let conn = app::db::connect(&db.url).await.unwrap();
    semester_covering_the_window(&conn).await;
    let class_id = demo_class_id(&db.url, "第一小学", "三年级(1)班").await;
    let other_school_class = demo_class_id(&db.url, "中学", "七年级(1)班").await;
    let ids = class_students(&conn, class_id).await;
    let mut day = today();
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day -= Duration::days(1);
    }
    let teacher = client_for(&srv, "teacher").await;
    let principal = client_for(&srv, "principal").await;
    let principal2 = client_for(&srv, "principal2").await;
    let head = client_for(&srv, "head").await;

    let (status, _) = roll(&srv, &teacher, class_id, day, &[ids[0]]).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a subject teacher of another class"
    );
    let (status, _) = roll(&srv, &principal2, class_id, day, &[ids[0]]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another school's principal");
    let (status, _) = roll(&srv, &head, other_school_class, day, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, v) = roll(&srv, &principal, class_id, day, &[ids[0]]).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");

    // Bad input: a stranger, a duplicate, the future, not a date.
    let stranger = class_students(&conn, other_school_class).await[0];
    let (status, err) = roll(&srv, &head, class_id, day, &[stranger]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    let (status, _) = roll(&srv, &head, class_id, day, &[ids[0], ids[0]]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = roll(&srv, &head, class_id, today() + Duration::days(1), &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, err) = send(
        head.put(srv.url(&format!("/api/v1/roll-calls/{class_id}/yesterday")))
            .json(&json!({"absent": []})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    let (status, err) = send(
        head.post(srv.url("/api/v1/leave"))
            .json(&json!({"student_id": ids[1], "kind": "sick", "start_date": day, "end_date": day - Duration::days(3), "reason": "x"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    // A subject teacher's leave waits for the head teacher.
    let taught = demo_class_id(&db.url, "第一小学", "四年级(1)班").await;
    let pupil = class_students(&conn, taught).await[0];
    let (status, leave) = send(
        teacher
            .post(srv.url("/api/v1/leave"))
            .json(&json!({"student_id": pupil, "kind": "personal", "start_date": day, "end_date": day, "reason": "家中有事"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{leave}");
    assert_eq!(leave["status"], "pending");
    let id = leave["id"].as_i64().unwrap();
    let (status, _) = send(
        teacher
            .post(srv.url(&format!("/api/v1/leave/{id}/decision")))
            .json(&json!({"approve": true})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, done) = send(
        principal
            .post(srv.url(&format!("/api/v1/leave/{id}/decision")))
            .json(&json!({"approve": true})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "approved");
    let (status, _) = send(
        principal
            .post(srv.url(&format!("/api/v1/leave/{id}/decision")))
            .json(&json!({"approve": false})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // The photo of the note (假条) is uploaded first; the school's staff see
    // it, another school does not.
    let photo = common::images::jpeg(640, 480);
    let sha = common::images::sha256_hex(&photo);
    let note = json!({"student_id": ids[1], "kind": "sick", "start_date": day, "end_date": day,
        "reason": "发烧", "note_photo": sha});
    let (status, err) = send(head.post(srv.url("/api/v1/leave")).json(&note)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["field"], "note_photo");
    let (status, _) = send(
        head.put(srv.url(&format!("/api/v1/attachments/{sha}")))
            .header("content-type", "image/jpeg")
            .body(photo),
    )
    .await;
    assert!(status.is_success());
    let (status, leave) = send(head.post(srv.url("/api/v1/leave")).json(&note)).await;
    assert_eq!(status, StatusCode::CREATED, "{leave}");
    assert_eq!(leave["note_photo"], sha.as_str());
    let photo_url = srv.url(&format!("/api/v1/attachments/{sha}"));
    assert_eq!(
        principal.get(&photo_url).send().await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        principal2.get(&photo_url).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    // Only county officers set the ladder, within the policy.
    let county = client_for(&srv, "county").await;
    let (status, _) =
        send(principal.put(srv.url("/api/v1/ladder-rules")).json(
            &json!({"contact_day":1,"joint_visit_day":2,"suspected_day":3,"persuasion_day":5}),
        ))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, err) =
        send(county.put(srv.url("/api/v1/ladder-rules")).json(
            &json!({"contact_day":1,"joint_visit_day":2,"suspected_day":4,"persuasion_day":6}),
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    let (status, rules) =
        send(county.put(srv.url("/api/v1/ladder-rules")).json(
            &json!({"contact_day":1,"joint_visit_day":2,"suspected_day":3,"persuasion_day":4}),
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{rules}");
    let (_, rules) = send(head.get(srv.url("/api/v1/ladder-rules"))).await;
    assert_eq!(rules["persuasion_day"], 4);
    srv.stop().await;
}

on_both_backends!(
    the_ladder_follows_school_days,
    only_the_class_staff_take_the_roll,
);
