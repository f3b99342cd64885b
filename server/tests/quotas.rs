//! Semester quotas through the API: what a synced visit adds, the semester
//! boundary in China's time, review (退回 does not count until amended),
//! rule edits that leave past semesters alone, dashboards and their scope,
//! and the Excel export read back.

mod common;

use std::io::Cursor;

use app::db::entities::{semester, student};
use calamine::{Reader, Xlsx};
use common::{Backend, TestDb, TestServer, client_for, demo_school, demo_student, demo_user_id};
use reqwest::{Client, StatusCode};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{Value, json};
use uuid::Uuid;

fn visit_at(student_id: i32, at: &str, mode: &str) -> Value {
    json!({
        "student_id": student_id,
        "visited_at": at,
        "mode": mode,
        "reason": "routine",
        "met_person": "王奶奶",
        "met_relation": "祖母",
        "summary": "学习习惯良好，按时完成作业",
        "no_signature_reason": "祖母不识字",
    })
}

fn just_now() -> String {
    (chrono::Utc::now() - chrono::Duration::minutes(1))
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .to_rfc3339()
}

async fn send(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let res = req.send().await.expect("request");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn get(srv: &TestServer, client: &Client, path: &str) -> (StatusCode, Value) {
    send(client.get(srv.url(path))).await
}

async fn put_visit(srv: &TestServer, client: &Client, id: Uuid, body: &Value) -> StatusCode {
    let (status, answer) = send(
        client
            .put(srv.url(&format!("/api/v1/visits/{id}")))
            .json(body),
    )
    .await;
    assert!(status.is_success(), "{status} {answer}");
    status
}

/// (required, counted, remaining) of `client`'s quota.
async fn quota(srv: &TestServer, client: &Client, query: &str) -> (u64, u64, u64) {
    let (status, q) = get(srv, client, &format!("/api/v1/quota{query}")).await;
    assert_eq!(status, StatusCode::OK, "{q}");
    let n = |k: &str| q[k].as_u64().unwrap_or_else(|| panic!("{k} in {q}"));
    (n("required"), n("counted"), n("remaining"))
}

/// Adds the spring semester before the demo's autumn one (county-wide).
async fn past_semester(db_url: &str) -> i32 {
    let db = app::db::connect(db_url).await.unwrap();
    let school = demo_school(db_url, "第一小学").await;
    let date = |m, d| chrono::NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    semester::ActiveModel {
        county_id: Set(school.county_id),
        school_id: Set(None),
        name: Set("2026年春季学期".into()),
        start_date: Set(date(2, 1)),
        end_date: Set(date(8, 31)),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap()
    .id
}

async fn a_synced_visit_counts_once_for_each_visitor(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let teacher = client_for(&srv, "teacher").await;
    let head = client_for(&srv, "head").await;
    let principal = client_for(&srv, "principal").await;

    // Subject teacher: 15. Head teacher of 三年级(1)班 and subject teacher
    // elsewhere: the larger of half the class and 15.
    assert_eq!(quota(&srv, &teacher, "").await, (15, 0, 15));
    let head_class = common::demo_class_id(&db.url, "第一小学", "三年级(1)班").await;
    let conn = app::db::connect(&db.url).await.unwrap();
    let class_size = student::Entity::find()
        .filter(student::Column::ClassId.eq(head_class))
        .count(&conn)
        .await
        .unwrap();
    let head_required = class_size.div_ceil(2).max(15);
    assert_eq!(
        quota(&srv, &head, "").await,
        (head_required, 0, head_required)
    );
    let (_, q) = get(&srv, &head, "/api/v1/quota").await;
    assert_eq!(q["by_role"].as_array().unwrap().len(), 2, "{q}");
    assert_eq!(q["semester"]["name"], "2026年秋季学期");

    // A joint visit: the filer and the co-visitor both gain exactly one.
    let head_id = demo_user_id(&db.url, "head").await;
    let student = demo_student(&db.url, "第一小学", "四年级(1)班").await;
    let mut body = visit_at(student, &just_now(), "home");
    body["co_visitor_ids"] = json!([head_id]);
    let id = Uuid::new_v4();
    assert_eq!(
        put_visit(&srv, &teacher, id, &body).await,
        StatusCode::CREATED
    );
    assert_eq!(quota(&srv, &teacher, "").await, (15, 1, 14));
    assert_eq!(
        quota(&srv, &head, "").await,
        (head_required, 1, head_required - 1)
    );
    assert_eq!(quota(&srv, &principal, "").await, (40, 0, 40));

    // Sent again (a lost answer): nothing changes.
    assert_eq!(put_visit(&srv, &teacher, id, &body).await, StatusCode::OK);
    assert_eq!(quota(&srv, &teacher, "").await, (15, 1, 14));
    assert_eq!(
        quota(&srv, &head, "").await,
        (head_required, 1, head_required - 1)
    );

    // Two siblings in one trip are two records: two 人次.
    let sibling = demo_student(&db.url, "第一小学", "四年级(2)班").await;
    put_visit(
        &srv,
        &teacher,
        Uuid::new_v4(),
        &visit_at(sibling, &just_now(), "home"),
    )
    .await;
    assert_eq!(quota(&srv, &teacher, "").await.1, 2);

    // The class size was frozen at its first use: a transfer out of the
    // class later does not change the head teacher's quota.
    let leaving = demo_student(&db.url, "第一小学", "三年级(1)班").await;
    let target = common::demo_class_id(&db.url, "第一小学", "三年级(2)班").await;
    let (status, _) = send(
        principal
            .post(srv.url(&format!("/api/v1/students/{leaving}/class")))
            .json(&json!({"class_id": target})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(quota(&srv, &head, "").await.0, head_required);

    // Officers have no visiting quota.
    let county = client_for(&srv, "county").await;
    assert_eq!(
        get(&srv, &county, "/api/v1/quota").await.0,
        StatusCode::FORBIDDEN
    );
    srv.stop().await;
}

async fn semester_edges_and_returned_visits(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let past = past_semester(&db.url).await;
    let teacher = client_for(&srv, "teacher").await;
    let principal = client_for(&srv, "principal").await;
    let student = demo_student(&db.url, "第一小学", "四年级(1)班").await;

    // 23:30 on the last day in China (15:30 UTC) belongs to that semester;
    // ten past midnight is the next one.
    put_visit(
        &srv,
        &teacher,
        Uuid::new_v4(),
        &visit_at(student, "2026-08-31T23:30:00+08:00", "home"),
    )
    .await;
    put_visit(
        &srv,
        &teacher,
        Uuid::new_v4(),
        &visit_at(student, "2026-08-31T16:10:00Z", "home"),
    )
    .await;
    assert_eq!(
        quota(&srv, &teacher, &format!("?semester={past}")).await.1,
        1
    );
    assert_eq!(quota(&srv, &teacher, "").await.1, 1);

    // Returned by review: not counted until amended.
    let id = Uuid::new_v4();
    let body = visit_at(student, &just_now(), "home");
    put_visit(&srv, &teacher, id, &body).await;
    assert_eq!(quota(&srv, &teacher, "").await.1, 2);
    let review = srv.url(&format!("/api/v1/visits/{id}/review"));
    let (status, err) = send(
        principal
            .post(&review)
            .json(&json!({"decision": "returned", "note": " ", "revision": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["field"], "note");
    let (status, _) = send(
        teacher
            .post(&review)
            .json(&json!({"decision": "approved", "revision": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "teachers do not review");
    let (status, v) = send(
        principal
            .post(&review)
            .json(&json!({"decision": "returned", "note": "缺少家访照片", "revision": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["review_status"], "returned");
    let (_, q) = get(&srv, &teacher, "/api/v1/quota").await;
    assert_eq!(
        (q["counted"].as_u64(), q["returned"].as_u64()),
        (Some(1), Some(1)),
        "{q}"
    );
    let (_, mine) = get(&srv, &teacher, &format!("/api/v1/visits/{id}")).await;
    assert_eq!(mine["review_note"], "缺少家访照片");

    // The teacher amends it: a new revision, back to 待审核, counted again.
    let mut amended = body.clone();
    amended["summary"] = json!("补充：已与家长约定每周电话沟通");
    amended["base_revision"] = json!(1);
    put_visit(&srv, &teacher, id, &amended).await;
    let (_, q) = get(&srv, &teacher, "/api/v1/quota").await;
    assert_eq!(
        (q["counted"].as_u64(), q["returned"].as_u64()),
        (Some(2), Some(0)),
        "{q}"
    );
    let (_, mine) = get(&srv, &teacher, &format!("/api/v1/visits/{id}")).await;
    assert_eq!(mine["review_status"], "pending");

    // A decision on the revision the reviewer no longer sees is refused.
    let (status, _) = send(
        principal
            .post(&review)
            .json(&json!({"decision": "approved", "revision": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, v) = send(
        principal
            .post(&review)
            .json(&json!({"decision": "approved", "revision": 2})),
    )
    .await;
    assert_eq!(
        (status, v["review_status"].as_str()),
        (StatusCode::OK, Some("approved"))
    );

    // The review list, a random sample, and who may see it.
    let (status, list) = get(&srv, &principal, "/api/v1/reviews?status=approved").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (_, sample) = get(&srv, &principal, "/api/v1/reviews?status=all&sample=1").await;
    assert_eq!(sample.as_array().unwrap().len(), 1);
    assert_eq!(
        get(&srv, &teacher, "/api/v1/reviews").await.0,
        StatusCode::FORBIDDEN
    );
    let other = client_for(&srv, "principal2").await;
    let (status, _) = send(
        other
            .post(&review)
            .json(&json!({"decision": "returned", "note": "x", "revision": 2})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another school's principal");
    let (_, audit) = get(&srv, &principal, "/api/v1/audit").await;
    assert!(audit.to_string().contains("visit.review"), "audit-logged");

    // The principal assigns a head teacher as 家访审核员: she then lists and
    // opens the school's records; without the role she cannot.
    let head = client_for(&srv, "head").await;
    assert_eq!(
        get(&srv, &head, "/api/v1/reviews").await.0,
        StatusCode::FORBIDDEN
    );
    let (_, staff) = get(&srv, &principal, "/api/v1/staff").await;
    let member = staff
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["username"] == "head")
        .unwrap()
        .clone();
    let roles: Vec<Value> = member["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| json!({"role": r["role"], "class_id": r["class_id"], "subject": r["subject"]}))
        .collect();
    let set_roles = |roles: Vec<Value>| {
        principal
            .put(srv.url(&format!("/api/v1/staff/{}/roles", member["id"])))
            .json(&json!({ "roles": roles }))
    };
    let mut with_review = roles.clone();
    with_review.push(json!({"role": "reviewer"}));
    let (status, body) = send(set_roles(with_review)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, list) = get(&srv, &head, "/api/v1/reviews?status=all").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|v| v["id"] == id.to_string())
    );
    assert_eq!(
        get(&srv, &head, &format!("/api/v1/visits/{id}")).await.0,
        StatusCode::OK,
        "the reviewer opens a record of another class"
    );
    let (status, body) = send(set_roles(roles)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        get(&srv, &head, "/api/v1/reviews").await.0,
        StatusCode::FORBIDDEN
    );
    srv.stop().await;
}

async fn rule_edits_change_only_their_semester(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let past = past_semester(&db.url).await;
    let teacher = client_for(&srv, "teacher").await;
    let county = client_for(&srv, "county").await;
    let admin = client_for(&srv, "admin").await;
    let school = demo_school(&db.url, "第一小学").await;
    let student = demo_student(&db.url, "第一小学", "四年级(1)班").await;
    put_visit(
        &srv,
        &teacher,
        Uuid::new_v4(),
        &visit_at(student, "2026-06-01T10:00:00+08:00", "phone"),
    )
    .await;
    put_visit(
        &srv,
        &teacher,
        Uuid::new_v4(),
        &visit_at(student, &just_now(), "phone"),
    )
    .await;
    assert_eq!(
        quota(&srv, &teacher, &format!("?semester={past}")).await,
        (15, 1, 14)
    );

    let rules_url = srv.url("/api/v1/quota-rules");
    let change =
        |scope: &str, rules: Value| json!({"school_id": school.id, "scope": scope, "rules": rules});
    let stricter = json!({"subject_teacher": 20, "count_phone": false});
    assert_eq!(
        send(
            teacher
                .put(&rules_url)
                .json(&change("county", stricter.clone()))
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(
            admin
                .put(&rules_url)
                .json(&change("county", stricter.clone()))
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    let (status, view) = send(county.put(&rules_url).json(&change("county", stricter))).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    // This semester: 20 required and phone visits no longer count.
    assert_eq!(quota(&srv, &teacher, "").await, (20, 0, 20));
    // The past semester keeps its rules and figures.
    assert_eq!(
        quota(&srv, &teacher, &format!("?semester={past}")).await,
        (15, 1, 14)
    );
    let mut past_change = change("county", json!({"subject_teacher": 30}));
    past_change["semester_id"] = json!(past);
    assert_eq!(
        send(county.put(&rules_url).json(&past_change)).await.0,
        StatusCode::CONFLICT
    );

    // A school may be stricter than the county, never looser.
    let (status, err) = send(admin.put(&rules_url).json(&change(
        "school",
        json!({"subject_teacher": 10, "count_phone": false}),
    )))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("不能低于县级要求"),
        "{err}"
    );
    let (status, err) = send(
        admin
            .put(&rules_url)
            .json(&change("school", json!({"subject_teacher": 25}))),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "phone visits were switched off by the county: {err}"
    );
    let (status, view) = send(admin.put(&rules_url).json(&change(
        "school",
        json!({"subject_teacher": 25, "count_phone": false}),
    )))
    .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["effective"]["subject_teacher"], 25);
    assert_eq!(quota(&srv, &teacher, "").await.0, 25);
    let (status, view) = send(admin.put(&rules_url).json(&change("school", Value::Null))).await;
    assert_eq!(
        (status, view["school_override"].clone()),
        (StatusCode::OK, Value::Null)
    );
    assert_eq!(quota(&srv, &teacher, "").await.0, 20);
    let (status, view) = get(
        &srv,
        &teacher,
        &format!("/api/v1/quota-rules?school_id={}", school.id),
    )
    .await;
    assert_eq!(
        (status, view["can_edit_school"].as_bool()),
        (StatusCode::OK, Some(false))
    );
    srv.stop().await;
}

async fn dashboards_show_each_leader_their_own_area(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let teacher = client_for(&srv, "teacher").await;
    let principal = client_for(&srv, "principal").await;
    let school = demo_school(&db.url, "第一小学").await;
    let other_school = demo_school(&db.url, "中学").await;
    let student = demo_student(&db.url, "第一小学", "四年级(1)班").await;
    put_visit(
        &srv,
        &teacher,
        Uuid::new_v4(),
        &visit_at(student, &just_now(), "home"),
    )
    .await;

    let (status, d) = get(&srv, &principal, "/api/v1/dashboard/school").await;
    assert_eq!(status, StatusCode::OK, "{d}");
    let zhang = d["teachers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "张伟")
        .expect("the teacher is listed");
    assert_eq!(
        (zhang["required"].as_u64(), zhang["counted"].as_u64()),
        (Some(15), Some(1))
    );
    assert_eq!(d["visits_this_week"], 1);
    let weekly: u64 = d["weeks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["visits"].as_u64().unwrap())
        .sum();
    assert_eq!(weekly, 1);
    assert_eq!(
        d["unvisited_total"].as_u64().unwrap() + 1,
        d["students"].as_u64().unwrap()
    );
    assert!(
        !d["unvisited"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == student)
    );
    let first = &d["unvisited"][0];
    let last = &d["unvisited"][d["unvisited"].as_array().unwrap().len() - 1];
    assert!(
        first["concerns"].as_array().unwrap().len() >= last["concerns"].as_array().unwrap().len()
    );

    // Who may see which dashboard.
    assert_eq!(
        get(&srv, &teacher, "/api/v1/dashboard/school").await.0,
        StatusCode::FORBIDDEN
    );
    let other = client_for(&srv, "principal2").await;
    let (status, _) = get(
        &srv,
        &other,
        &format!("/api/v1/dashboard/school?school_id={}", school.id),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        get(&srv, &principal, "/api/v1/dashboard/area").await.0,
        StatusCode::FORBIDDEN
    );
    let county = client_for(&srv, "county").await;
    let (status, area) = get(&srv, &county, "/api/v1/dashboard/area").await;
    assert_eq!(status, StatusCode::OK, "{area}");
    let rows = area["schools"].as_array().unwrap();
    assert!(
        rows.iter()
            .any(|s| s["school_id"] == school.id && s["completed"] == 1)
    );
    assert!(rows.iter().any(|s| s["school_id"] == other_school.id));
    let (status, drill) = get(
        &srv,
        &county,
        &format!("/api/v1/dashboard/school?school_id={}", school.id),
    )
    .await;
    assert_eq!(
        (status, drill["school_name"].clone()),
        (StatusCode::OK, json!(school.name))
    );

    // The Excel export, read back.
    let res = principal
        .get(srv.url("/api/v1/dashboard/school/export"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename*=UTF-8''")
    );
    let bytes = res.bytes().await.unwrap();
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let sheet = book.worksheet_range("教师进度").unwrap();
    let row = sheet
        .rows()
        .find(|r| r.first().is_some_and(|c| *c == "张伟"))
        .expect("the teacher's row");
    assert_eq!(row[2].to_string(), "15");
    assert_eq!(row[3].to_string(), "1");
    assert!(book.worksheet_range("未家访学生").is_ok());
    let res = county
        .get(srv.url("/api/v1/dashboard/area/export"))
        .send()
        .await
        .unwrap();
    let bytes = res.bytes().await.unwrap();
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let sheet = book.worksheet_range("各校家访完成情况").unwrap();
    assert_eq!(
        sheet.rows().count(),
        rows.len() + 2,
        "header, schools, total"
    );
    srv.stop().await;
}

async fn semesters_are_set_by_the_county_and_by_schools(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let past = past_semester(&db.url).await;
    let county = client_for(&srv, "county").await;
    let admin = client_for(&srv, "admin").await;
    let teacher = client_for(&srv, "teacher").await;
    let other = client_for(&srv, "principal2").await;
    let school = demo_school(&db.url, "第一小学").await;
    let url = srv.url("/api/v1/semesters");
    let spring = json!({"name": "2027年春季学期", "start": "2027-02-20", "end": "2027-07-10"});

    assert_eq!(
        send(teacher.post(&url).json(&spring)).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(admin.post(&url).json(&spring)).await.0,
        StatusCode::FORBIDDEN,
        "county-wide is the county's"
    );
    let (status, created) = send(county.post(&url).json(&spring)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["scope"], "全县");
    let (status, err) = send(
        county
            .post(&url)
            .json(&json!({"name": "重叠", "start": "2027-01-20", "end": "2027-03-01"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(err["message"].as_str().unwrap().contains("重叠"), "{err}");
    let (status, err) = send(
        county
            .post(&url)
            .json(&json!({"name": "太短", "start": "2027-08-01", "end": "2027-08-05"})),
    )
    .await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("end"))
    );

    // A school's own dates may overlap the county's (they take precedence).
    let own = json!({"name": "2027年春季学期", "start": "2027-02-15", "end": "2027-07-05", "school_id": school.id});
    let (status, created) = send(admin.post(&url).json(&own)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["scope"], json!(school.name));
    let own_id = created["id"].as_i64().unwrap();
    let (_, mine) = get(&srv, &teacher, "/api/v1/semesters").await;
    assert!(mine.as_array().unwrap().iter().any(|s| s["id"] == own_id));
    let (_, theirs) = get(&srv, &other, "/api/v1/semesters").await;
    assert!(
        !theirs.as_array().unwrap().iter().any(|s| s["id"] == own_id),
        "another school's dates are not listed"
    );
    assert_eq!(
        send(
            other
                .put(srv.url(&format!("/api/v1/semesters/{own_id}")))
                .json(&own)
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );

    // Corrections: allowed while it runs, refused once it has ended.
    let (status, fixed) = send(admin.put(srv.url(&format!("/api/v1/semesters/{own_id}"))).json(&json!({"name": "2027年春季学期（本校）", "start": "2027-02-16", "end": "2027-07-05"}))).await;
    assert_eq!(
        (status, fixed["start"].as_str()),
        (StatusCode::OK, Some("2027-02-16"))
    );
    let (status, _) = send(
        county
            .put(srv.url(&format!("/api/v1/semesters/{past}")))
            .json(&json!({"name": "x", "start": "2026-02-01", "end": "2026-08-30"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, audit) = get(&srv, &county, "/api/v1/audit").await;
    assert!(audit.to_string().contains("semester.create"));
    srv.stop().await;
}

async fn demo_visits_fill_the_dashboards_once(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let conn = app::db::connect(&db.url).await.unwrap();
    let recorded = server::demo::seed_visits(&conn).await.unwrap();
    assert!(recorded > 20, "{recorded}");
    assert_eq!(
        server::demo::seed_visits(&conn).await.unwrap(),
        0,
        "only once"
    );
    let principal = client_for(&srv, "principal").await;
    let (status, d) = get(&srv, &principal, "/api/v1/dashboard/school").await;
    assert_eq!(status, StatusCode::OK);
    assert!(d["completed"].as_u64().unwrap() > 0, "{d}");
    srv.stop().await;
}

/// Among students nobody has visited, frequent absentees (absent on 3
/// school days this semester, not in a row) come before the special groups.
async fn frequent_absentees_lead_the_unvisited(backend: Backend) {
    use chrono::{Datelike, Duration, Weekday};
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let conn = app::db::connect(&db.url).await.unwrap();
    let class_id = common::demo_class_id(&db.url, "第一小学", "三年级(1)班").await;
    let plain = student::Entity::find()
        .filter(student::Column::ClassId.eq(class_id))
        .all(&conn)
        .await
        .unwrap()
        .into_iter()
        .find(|s| app::roster::service::special_groups(s).is_empty())
        .expect("a pupil outside the special groups");
    let head = client_for(&srv, "head").await;
    let principal = client_for(&srv, "principal").await;
    // The last five weekdays before today: absent, present, absent, present, absent.
    let mut days = Vec::new();
    let mut d = app::semesters::service::today() - Duration::days(1);
    while days.len() < 5 {
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            days.push(d);
        }
        d -= Duration::days(1);
    }
    days.reverse();
    for (i, day) in days.iter().enumerate() {
        let absent: Vec<Value> = if i % 2 == 0 {
            vec![json!({ "student_id": plain.id })]
        } else {
            vec![]
        };
        let (status, body) = send(
            head.put(srv.url(&format!("/api/v1/roll-calls/{class_id}/{day}")))
                .json(&json!({ "absent": absent })),
        )
        .await;
        assert!(status.is_success(), "{day}: {body}");
    }
    let (status, d) = get(&srv, &principal, "/api/v1/dashboard/school").await;
    assert_eq!(status, StatusCode::OK);
    // Only students out of school (the demo has some) come before.
    let list = d["unvisited"].as_array().unwrap();
    let at = list
        .iter()
        .position(|u| u["id"] == plain.id)
        .expect("listed among the first");
    assert_eq!(list[at]["concerns"], json!(["本学期缺勤 3 天"]));
    for before in &list[..at] {
        let first = before["concerns"][0].as_str().unwrap_or_default();
        assert!(["疑似辍学", "辍学", "劝返中"].contains(&first), "{before}");
    }
}

/// The monthly tallies the quota figures read are kept by every write:
/// new visits over several months, edits that move a visit's date, mode
/// and co-visitors, returns and approvals, and concurrent saves sharing a
/// co-visitor. After all of it they equal the visits counted afresh, for
/// whole and partial months, and a rebuild from scratch changes nothing.
async fn kept_tallies_always_equal_the_visits(backend: Backend) {
    use app::quotas::tallies::{PersonTally, Scope, rebuild, tallies_between, tallies_from_visits};
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let teacher = client_for(&srv, "teacher").await;
    let head = client_for(&srv, "head").await;
    let principal = client_for(&srv, "principal").await;
    let school = demo_school(&db.url, "第一小学").await.id;
    let (teacher_id, head_id, principal_id) = (
        demo_user_id(&db.url, "teacher").await,
        demo_user_id(&db.url, "head").await,
        demo_user_id(&db.url, "principal").await,
    );
    let teacher_pupil = demo_student(&db.url, "第一小学", "四年级(1)班").await;
    let head_pupil = demo_student(&db.url, "第一小学", "三年级(1)班").await;
    let mut rng = StdRng::seed_from_u64(11);
    let first = chrono::NaiveDate::from_ymd_opt(2026, 8, 20).unwrap();
    let days = (app::semesters::service::today() - first).num_days();
    let random_body = |rng: &mut StdRng, filer: i32, pupil: i32| {
        let date = first + chrono::Days::new(rng.gen_range(0..days) as u64);
        let mode = ["home", "phone", "school"][rng.gen_range(0..3)];
        let mut body = visit_at(
            pupil,
            &format!("{date}T{:02}:30:00+08:00", rng.gen_range(8..24)),
            mode,
        );
        let co: Vec<i32> = [teacher_id, head_id, principal_id]
            .into_iter()
            .filter(|id| *id != filer && rng.gen_bool(0.4))
            .collect();
        body["co_visitor_ids"] = json!(co);
        body
    };

    // (id, filer's client, body, revision)
    let mut visits: Vec<(Uuid, &Client, Value, i64)> = Vec::new();
    for i in 0..16 {
        let (client, filer, pupil) = if i % 3 == 0 {
            (&head, head_id, head_pupil)
        } else {
            (&teacher, teacher_id, teacher_pupil)
        };
        let id = Uuid::new_v4();
        let body = random_body(&mut rng, filer, pupil);
        put_visit(&srv, client, id, &body).await;
        visits.push((id, client, body, 1));
    }
    for _ in 0..30 {
        let at = rng.gen_range(0..visits.len());
        let (id, client, body, revision) = &mut visits[at];
        if rng.gen_bool(0.5) {
            // An edit: new date, mode and co-visitors on top of this revision.
            let filer = if std::ptr::eq(*client, &head) {
                head_id
            } else {
                teacher_id
            };
            let mut edited =
                random_body(&mut rng, filer, body["student_id"].as_i64().unwrap() as i32);
            edited["base_revision"] = json!(*revision);
            put_visit(&srv, client, *id, &edited).await;
            *body = edited;
            *revision += 1;
        } else {
            let decision = if rng.gen_bool(0.5) {
                "returned"
            } else {
                "approved"
            };
            let (status, answer) = send(
                principal
                    .post(srv.url(&format!("/api/v1/visits/{id}/review")))
                    .json(&json!({"decision": decision, "note": "请补充", "revision": *revision})),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{answer}");
        }
    }
    // Concurrent saves whose credits share rows (the principal co-visits
    // all of them, this month).
    let today = app::semesters::service::today();
    let mut saves = tokio::task::JoinSet::new();
    for i in 0..8 {
        let (client, pupil) = if i % 2 == 0 {
            (head.clone(), head_pupil)
        } else {
            (teacher.clone(), teacher_pupil)
        };
        let mut body = visit_at(pupil, &just_now(), ["home", "phone"][i % 2]);
        body["co_visitor_ids"] = json!([principal_id]);
        let url = srv.url(&format!("/api/v1/visits/{}", Uuid::new_v4()));
        saves.spawn(async move { client.put(url).json(&body).send().await.map(|r| r.status()) });
    }
    while let Some(done) = saves.join_next().await {
        let status = done.unwrap().expect("request");
        assert_eq!(status, StatusCode::CREATED);
    }

    let conn = app::db::connect(&db.url).await.unwrap();
    let key = |t: &PersonTally| {
        (
            t.user_id,
            t.school_id,
            t.tally.mode.code(),
            t.tally.as_co_visitor,
            t.tally.returned,
        )
    };
    let date = |m, d| chrono::NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    let ranges = [
        (date(8, 1), today),
        (date(9, 1), date(12, 31)),
        (date(8, 28), date(11, 15)),
        (date(10, 10), date(10, 20)),
        (today, today),
    ];
    for (start, end) in ranges {
        let mut kept = tallies_between(&conn, Scope::Schools(&[school]), start, end)
            .await
            .unwrap();
        let mut fresh = tallies_from_visits(&conn, &Scope::Schools(&[school]), start, end)
            .await
            .unwrap();
        kept.sort_by_key(key);
        fresh.sort_by_key(key);
        assert_eq!(kept, fresh, "school, {start} to {end}");
        for person in [teacher_id, head_id, principal_id] {
            let mut kept = tallies_between(&conn, Scope::Person(person), start, end)
                .await
                .unwrap();
            let mut fresh = tallies_from_visits(&conn, &Scope::Person(person), start, end)
                .await
                .unwrap();
            kept.sort_by_key(key);
            fresh.sort_by_key(key);
            assert_eq!(kept, fresh, "user {person}, {start} to {end}");
        }
    }
    let concurrent = tallies_between(&conn, Scope::Person(principal_id), today, today)
        .await
        .unwrap();
    assert!(
        concurrent.iter().map(|t| t.tally.visits).sum::<u32>() >= 8,
        "the eight concurrent co-visits: {concurrent:?}"
    );

    // Migrations run with the server stopped, as `jiafang serve` does them.
    srv.stop().await;
    // Rows whose counters all went back to 0 stay; a rebuild has none.
    let kept_rows = || async {
        use app::db::entities::visit_tally;
        use sea_orm::QueryOrder;
        let rows = visit_tally::Entity::find()
            .order_by_asc(visit_tally::Column::SchoolId)
            .order_by_asc(visit_tally::Column::UserId)
            .order_by_asc(visit_tally::Column::Month)
            .all(&conn)
            .await
            .unwrap();
        rows.into_iter()
            .filter(|r| {
                let zero = visit_tally::Model {
                    school_id: r.school_id,
                    user_id: r.user_id,
                    month: r.month,
                    ..Default::default()
                };
                *r != zero
            })
            .collect::<Vec<_>>()
    };
    let before = kept_rows().await;
    assert!(before.len() > 10, "{before:?}");
    rebuild(&conn).await.unwrap();
    assert_eq!(kept_rows().await, before, "a rebuild finds the same counts");
    // So does the migration that made the table, on a database that
    // already had these visits.
    use migrations::MigratorTrait;
    migrations::Migrator::down(&conn, Some(1)).await.unwrap();
    migrations::Migrator::up(&conn, None).await.unwrap();
    assert_eq!(kept_rows().await, before, "the migration's backfill");
}

on_both_backends!(
    kept_tallies_always_equal_the_visits,
    frequent_absentees_lead_the_unvisited,
    demo_visits_fill_the_dashboards_once,
    semesters_are_set_by_the_county_and_by_schools,
    a_synced_visit_counts_once_for_each_visitor,
    semester_edges_and_returned_visits,
    rule_edits_change_only_their_semester,
    dashboards_show_each_leader_their_own_area,
);
