//! The monthly 辍学学生情况统计表 through the API: figures worked out from a
//! known status history (JSON and the Excel file read back), the area
//! summary and its totals, who may see and submit what, the signed scan
//! (happy path, wrong or empty files, too large, replacing), and the
//! reminders around the 25th.

mod common;

use std::io::Cursor;

use app::db::entities::{
    dropout_case, monthly_report, notification, persuasion_record, student, student_status_history,
};
use app::reports::Month;
use calamine::{Data, DataType, Range, Reader, Xlsx};
use chrono::{Days, NaiveDate};
use common::{Backend, TestDb, TestServer, client_for, demo_class_id, demo_school, demo_user_id};
use reqwest::{Client, StatusCode};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::Value;

async fn send(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let res = req.send().await.expect("request");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn get(srv: &TestServer, client: &Client, path: &str) -> (StatusCode, Value) {
    send(client.get(srv.url(path))).await
}

async fn get_bytes(srv: &TestServer, client: &Client, path: &str) -> (StatusCode, String, Vec<u8>) {
    let res = client.get(srv.url(path)).send().await.expect("request");
    let status = res.status();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, content_type, res.bytes().await.unwrap().to_vec())
}

async fn put_scan(
    srv: &TestServer,
    client: &Client,
    query: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    send(
        client
            .put(srv.url(&format!("/api/v1/reports/monthly/scan{query}")))
            .header("Content-Type", content_type)
            .body(body),
    )
    .await
}

fn book(bytes: Vec<u8>) -> Xlsx<Cursor<Vec<u8>>> {
    calamine::open_workbook_from_rs(Cursor::new(bytes)).expect("a workbook")
}

fn text(sheet: &Range<Data>, row: u32, col: u32) -> String {
    sheet
        .get_value((row, col))
        .map(|v| v.to_string())
        .unwrap_or_default()
}

fn number(sheet: &Range<Data>, row: u32, col: u32) -> f64 {
    sheet
        .get_value((row, col))
        .and_then(|v| v.as_f64())
        .unwrap_or_else(|| panic!("a number at ({row}, {col})"))
}

/// The month before this one (Beijing time): complete, and its report
/// overdue unless submitted.
fn last_month() -> Month {
    let today = app::semesters::service::today();
    Month::of(Month::of(today).first_day() - Days::new(1))
}

/// `day` of `month`; 0 and below count back into the months before.
fn day(month: Month, day: i64) -> NaiveDate {
    let first = month.first_day();
    if day >= 1 {
        first + Days::new((day - 1) as u64)
    } else {
        first - Days::new((1 - day) as u64)
    }
}

/// The demo registers everyone at the start of the semester; move that to
/// long ago so that any past month has the whole roll.
async fn register_everyone_long_ago(conn: &DatabaseConnection) {
    student_status_history::Entity::update_many()
        .col_expr(
            student_status_history::Column::EffectiveDate,
            Expr::value(NaiveDate::from_ymd_opt(2020, 9, 1).unwrap()),
        )
        .filter(student_status_history::Column::FromStatus.is_null())
        .exec(conn)
        .await
        .unwrap();
}

/// Students of a demo class whose status is 在校, by id.
async fn in_school(conn: &DatabaseConnection, class_id: i32) -> Vec<student::Model> {
    student::Entity::find()
        .filter(student::Column::ClassId.eq(class_id))
        .filter(student::Column::Status.eq("in_school"))
        .order_by_asc(student::Column::Id)
        .all(conn)
        .await
        .unwrap()
}

/// Record status changes (as the ledger would) and set the student's
/// current status to the last one.
async fn history(
    conn: &DatabaseConnection,
    s: &student::Model,
    changes: &[(NaiveDate, &str, &str)],
) {
    let mut from = s.status.clone();
    for (date, to, note) in changes {
        student_status_history::ActiveModel {
            student_id: Set(s.id),
            from_status: Set(Some(from.clone())),
            to_status: Set((*to).to_owned()),
            effective_date: Set(*date),
            note: Set(Some((*note).to_owned())),
            changed_by: Set(None),
            changed_at: Set(chrono::Utc::now()),
            ..Default::default()
        }
        .insert(conn)
        .await
        .unwrap();
        from = (*to).to_owned();
    }
    let (date, to, _) = changes.last().unwrap();
    let mut row = s.clone().into_active_model();
    row.status = Set((*to).to_owned());
    row.status_since = Set(*date);
    row.update(conn).await.unwrap();
}

async fn students_in_school(conn: &DatabaseConnection, school_id: i32) -> u64 {
    student::Entity::find()
        .filter(student::Column::SchoolId.eq(school_id))
        .count(conn)
        .await
        .unwrap()
}

async fn monthly_report_counts_from_the_history(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let conn = app::db::connect(&db.url).await.unwrap();
    register_everyone_long_ago(&conn).await;
    let school = demo_school(&db.url, "第一小学").await;
    let class_id = demo_class_id(&db.url, "第一小学", "三年级(1)班").await;
    let m = last_month();
    let pupils = in_school(&conn, class_id).await;
    let [a, b, c, d, e] = [0, 1, 2, 3, 4].map(|i| pupils[i].clone());
    // a: suspected then dropped out within the month.
    history(
        &conn,
        &a,
        &[
            (day(m, 8), "suspected_dropout", "连续缺勤 3 天"),
            (day(m, 20), "dropout", "随父母外出务工"),
        ],
    )
    .await;
    // b: persuaded before the month, came back in it.
    history(
        &conn,
        &b,
        &[
            (day(m, -20), "suspected_dropout", "连续缺勤"),
            (day(m, -10), "persuading", "劝返中"),
            (day(m, 12), "returned", "已返校复学"),
        ],
    )
    .await;
    // c: transferred out: off the roll.
    history(&conn, &c, &[(day(m, 5), "transferred_out", "转学至深圳")]).await;
    // d: suspected at the month's end.
    history(
        &conn,
        &d,
        &[(day(m, 28), "suspected_dropout", "连续缺勤 3 天")],
    )
    .await;
    // e: being persuaded all month, with two attempts in it.
    history(
        &conn,
        &e,
        &[
            (day(m, -30), "suspected_dropout", "连续缺勤"),
            (day(m, -25), "dropout", "在家务农"),
            (day(m, -5), "persuading", "启动劝返"),
        ],
    )
    .await;
    let principal_id = demo_user_id(&db.url, "principal").await;
    let case = dropout_case::ActiveModel {
        school_id: Set(school.id),
        student_id: Set(e.id),
        opened_on: Set(day(m, -25)),
        reason: Set("厌学".into()),
        plan: Set("班主任每周家访".into()),
        responsible: Set("李红梅".into()),
        status: Set("open".into()),
        closed_on: Set(None),
        close_note: Set(String::new()),
        created_by: Set(principal_id),
        updated_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&conn)
    .await
    .unwrap();
    for (when, outcome, result) in [
        (day(m, 3), "refused", "家长坚持让孩子外出"),
        (day(m, 15), "undecided", "家长答应考虑"),
        (m.next().first_day(), "agreed", "下月的劝返不算在本月"),
    ] {
        persuasion_record::ActiveModel {
            case_id: Set(case.id),
            school_id: Set(school.id),
            student_id: Set(e.id),
            day: Set(when),
            persons: Set("班主任、村干部".into()),
            method: Set("home".into()),
            result: Set(result.into()),
            outcome: Set(outcome.into()),
            visit_id: Set(None),
            recorded_by: Set(principal_id),
            created_at: Set(chrono::Utc::now()),
            ..Default::default()
        }
        .insert(&conn)
        .await
        .unwrap();
    }

    let principal = client_for(&srv, "principal").await;
    let (status, r) = get(
        &srv,
        &principal,
        &format!("/api/v1/reports/monthly?month={m}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let enrolled = students_in_school(&conn, school.id).await - 1;
    let rate = (2.0 * 10_000.0 / enrolled as f64).round() / 100.0;
    let stages = r["stages"].as_array().unwrap();
    assert_eq!(stages.len(), 1, "a primary school: one stage, {r}");
    let primary = &stages[0];
    assert_eq!(primary["stage"], "primary");
    assert_eq!(primary["label"], "小学");
    let figures = |row: &Value| {
        [
            "enrolled",
            "new_suspected",
            "new_dropouts",
            "returned",
            "suspected_at_end",
            "dropouts_at_end",
        ]
        .map(|k| row[k].as_u64().unwrap())
    };
    assert_eq!(figures(primary), [enrolled, 2, 1, 1, 1, 2], "{primary}");
    assert_eq!(primary["dropout_rate"].as_f64().unwrap(), rate);
    assert_eq!(primary["target"].as_f64().unwrap(), 0.5);
    assert_eq!(primary["meets_target"], enrolled >= 400);
    assert_eq!(figures(&r["total"]), figures(primary));
    assert_eq!(r["total"]["label"], "合计");
    assert_eq!(r["month"], m.code());
    assert_eq!(r["due_date"], m.due_date().to_string());
    assert_eq!(
        (r["submitted"].as_bool(), r["overdue"].as_bool()),
        (Some(false), Some(true))
    );
    assert_eq!(r["can_submit"], true);

    let listed: Vec<i64> = r["students"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["student_id"].as_i64().unwrap())
        .collect();
    let mut expected: Vec<i64> = [&a, &b, &d, &e].iter().map(|s| i64::from(s.id)).collect();
    expected.sort_by_key(|id| {
        pupils
            .iter()
            .find(|p| i64::from(p.id) == *id)
            .unwrap()
            .name
            .clone()
    });
    assert_eq!(listed, expected, "a, b, d and e, by name; not c");
    let row_e = r["students"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["student_id"] == e.id)
        .unwrap();
    assert_eq!(row_e["status"], "persuading");
    assert_eq!(row_e["status_label"], "劝返中");
    assert_eq!(row_e["status_since"], day(m, -5).to_string());
    assert_eq!(row_e["note"], "启动劝返");
    assert_eq!(row_e["persuasions"], 2);
    assert_eq!(row_e["last_persuasion_day"], day(m, 15).to_string());
    assert_eq!(row_e["last_persuasion_result"], "暂未答复：家长答应考虑");
    assert_eq!(row_e["class_name"], "三年级(1)班");

    // The workbook says the same.
    let res = principal
        .get(srv.url(&format!("/api/v1/reports/monthly/export?month={m}")))
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
    let mut xlsx = book(res.bytes().await.unwrap().to_vec());
    let sheet = xlsx.worksheet_range("辍学学生情况统计表").unwrap();
    let title = text(&sheet, 0, 0);
    assert!(
        title.contains("龙川县") && title.contains("辍学学生情况统计表"),
        "{title}"
    );
    let subtitle = text(&sheet, 1, 0);
    assert!(
        subtitle.contains(&school.name) && subtitle.contains(&m.label()),
        "{subtitle}"
    );
    let header: Vec<String> = (0..10).map(|c| text(&sheet, 2, c)).collect();
    assert_eq!(
        header,
        [
            "学段",
            "在籍学生数",
            "本月新增疑似辍学",
            "本月新增辍学",
            "本月劝返复学",
            "月末疑似辍学",
            "月末辍学",
            "辍学率(%)",
            "控制目标(%)",
            "是否达标"
        ]
    );
    assert_eq!(text(&sheet, 3, 0), "小学");
    let counts: Vec<f64> = (1..=6).map(|c| number(&sheet, 3, c)).collect();
    assert_eq!(counts, [enrolled as f64, 2.0, 1.0, 1.0, 1.0, 2.0]);
    assert_eq!(number(&sheet, 3, 7), rate);
    assert_eq!(number(&sheet, 3, 8), 0.5);
    assert_eq!(
        text(&sheet, 3, 9),
        if enrolled >= 400 { "是" } else { "否" }
    );
    assert_eq!(text(&sheet, 4, 0), "合计");
    assert_eq!(number(&sheet, 4, 1), enrolled as f64);
    assert_eq!(number(&sheet, 4, 6), 2.0);
    assert!(
        sheet
            .rows()
            .any(|row| row.iter().any(|c| c.to_string().contains("校长签名")
                && c.to_string().contains("学校盖章")
                && c.to_string().contains("填报日期"))),
        "the signature line"
    );
    let list = xlsx.worksheet_range("辍学学生名单").unwrap();
    assert_eq!(text(&list, 2, 0), "序号");
    assert_eq!(text(&list, 2, 10), "最近劝返结果");
    let names: Vec<String> = (3..7).map(|r| text(&list, r, 1)).collect();
    let expected_names: Vec<String> = expected
        .iter()
        .map(|id| {
            pupils
                .iter()
                .find(|p| i64::from(p.id) == *id)
                .unwrap()
                .name
                .clone()
        })
        .collect();
    assert_eq!(names, expected_names);
    let e_row = (3..7).find(|r| text(&list, *r, 3) == e.student_no).unwrap();
    assert_eq!(text(&list, e_row, 5), "劝返中");
    assert_eq!(number(&list, e_row, 8), 2.0);
    assert_eq!(text(&list, e_row, 10), "暂未答复：家长答应考虑");
    srv.stop().await;
}

async fn area_report_adds_up_the_schools(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let conn = app::db::connect(&db.url).await.unwrap();
    register_everyone_long_ago(&conn).await;
    let m = last_month();
    let s1 = demo_school(&db.url, "第一小学").await;
    let s2 = demo_school(&db.url, "中学").await;
    let primary = in_school(
        &conn,
        demo_class_id(&db.url, "第一小学", "四年级(2)班").await,
    )
    .await;
    history(
        &conn,
        &primary[0],
        &[
            (day(m, 2), "suspected_dropout", "缺勤"),
            (day(m, 9), "dropout", "辍学"),
        ],
    )
    .await;
    let junior = in_school(&conn, demo_class_id(&db.url, "中学", "七年级(1)班").await).await;
    for p in &junior[..2] {
        history(
            &conn,
            p,
            &[
                (day(m, 3), "suspected_dropout", "缺勤"),
                (day(m, 6), "dropout", "外出打工"),
            ],
        )
        .await;
    }
    history(
        &conn,
        &junior[2],
        &[(day(m, 7), "suspected_dropout", "缺勤")],
    )
    .await;
    let n1 = students_in_school(&conn, s1.id).await;
    let n2 = students_in_school(&conn, s2.id).await;

    for who in ["county", "town"] {
        let officer = client_for(&srv, who).await;
        let (status, r) = get(&srv, &officer, &format!("/api/v1/reports/area?month={m}")).await;
        assert_eq!(status, StatusCode::OK, "{who}: {r}");
        let schools = r["schools"].as_array().unwrap();
        assert_eq!(schools.len(), 2, "{r}");
        let row = |id: i32| schools.iter().find(|s| s["school_id"] == id).unwrap();
        assert_eq!(row(s1.id)["stages"][0]["stage"], "primary");
        assert_eq!(row(s1.id)["total"]["dropouts_at_end"], 1);
        assert_eq!(row(s2.id)["stages"][0]["stage"], "junior");
        assert_eq!(row(s2.id)["stages"][0]["target"].as_f64(), Some(1.2));
        assert_eq!(row(s2.id)["total"]["dropouts_at_end"], 2);
        assert_eq!(row(s2.id)["total"]["suspected_at_end"], 1);
        assert_eq!(row(s2.id)["total"]["new_suspected"], 3);
        for s in schools {
            assert_eq!(
                (s["submitted"].as_bool(), s["overdue"].as_bool()),
                (Some(false), Some(true))
            );
        }
        assert_eq!(
            (r["submitted_count"].as_u64(), r["overdue_count"].as_u64()),
            (Some(0), Some(2))
        );
        let stages = r["stages"].as_array().unwrap();
        assert_eq!(
            stages
                .iter()
                .map(|s| s["label"].as_str().unwrap())
                .collect::<Vec<_>>(),
            ["小学", "初中"]
        );
        assert_eq!(stages[0]["enrolled"].as_u64(), Some(n1));
        assert_eq!(stages[1]["enrolled"].as_u64(), Some(n2));
        assert_eq!(r["total"]["enrolled"].as_u64(), Some(n1 + n2));
        assert_eq!(r["total"]["dropouts_at_end"], 3);
        assert_eq!(r["total"]["new_dropouts"], 3);
        let rate = (2.0 * 10_000.0 / n2 as f64).round() / 100.0;
        assert_eq!(stages[1]["dropout_rate"].as_f64(), Some(rate));
        assert_eq!(stages[1]["meets_target"], 2 * 1000 <= n2 * 12);

        let (status, content_type, bytes) = get_bytes(
            &srv,
            &officer,
            &format!("/api/v1/reports/area/export?month={m}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(content_type.contains("spreadsheetml"), "{content_type}");
        let mut xlsx = book(bytes);
        let sheet = xlsx.worksheet_range("各校辍学学生情况").unwrap();
        assert_eq!(text(&sheet, 2, 0), "学校");
        assert_eq!(text(&sheet, 2, 2), "学段");
        assert_eq!(text(&sheet, 2, 12), "报送情况");
        let school_rows: Vec<u32> = (3..20).filter(|r| text(&sheet, *r, 0) == s2.name).collect();
        assert_eq!(school_rows.len(), 1, "one line for a one-stage school");
        assert_eq!(number(&sheet, school_rows[0], 3), n2 as f64);
        assert_eq!(number(&sheet, school_rows[0], 8), 2.0);
        assert_eq!(text(&sheet, school_rows[0], 12), "逾期未报送");
        let area = r["area_name"].as_str().unwrap();
        let totals: Vec<u32> = (3..20)
            .filter(|r| text(&sheet, *r, 0) == format!("{area}合计"))
            .collect();
        assert_eq!(totals.len(), 3, "小学, 初中, 合计");
        assert_eq!(text(&sheet, totals[2], 2), "合计");
        assert_eq!(number(&sheet, totals[2], 3), (n1 + n2) as f64);
        assert_eq!(number(&sheet, totals[2], 8), 3.0);
        assert_eq!(number(&sheet, totals[1], 3), n2 as f64);
        assert_eq!(number(&sheet, totals[1], 9), rate);
    }
    srv.stop().await;
}

async fn each_person_sees_their_own_school_or_area(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let s1 = demo_school(&db.url, "第一小学").await.id;
    let s2 = demo_school(&db.url, "中学").await.id;
    let m = last_month();
    let monthly = |school: i32| format!("/api/v1/reports/monthly?month={m}&school_id={school}");

    for who in ["teacher", "head"] {
        let c = client_for(&srv, who).await;
        for path in [
            format!("/api/v1/reports/monthly?month={m}"),
            monthly(s1),
            format!("/api/v1/reports/monthly/export?month={m}"),
            format!("/api/v1/reports/area?month={m}"),
            format!("/api/v1/reports/area/export?month={m}"),
            format!("/api/v1/reports/monthly/scan?month={m}&school_id={s1}"),
        ] {
            assert_eq!(
                get(&srv, &c, &path).await.0,
                StatusCode::FORBIDDEN,
                "{who} {path}"
            );
        }
        let (status, _) = put_scan(
            &srv,
            &c,
            &format!("?school_id={s1}"),
            "application/pdf",
            b"%PDF-1.4".to_vec(),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }

    let principal = client_for(&srv, "principal").await;
    let (status, own) = get(
        &srv,
        &principal,
        &format!("/api/v1/reports/monthly?month={m}"),
    )
    .await;
    assert_eq!(
        (status, own["school_id"].as_i64()),
        (StatusCode::OK, Some(i64::from(s1)))
    );
    assert_eq!(
        get(&srv, &principal, &monthly(s2)).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(&srv, &principal, &format!("/api/v1/reports/area?month={m}"))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let principal2 = client_for(&srv, "principal2").await;
    assert_eq!(
        get(&srv, &principal2, &monthly(s1)).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, theirs) = get(&srv, &principal2, &monthly(s2)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(theirs["stages"][0]["label"], "初中");
    let (status, _) = put_scan(
        &srv,
        &principal2,
        &format!("?school_id={s1}"),
        "application/pdf",
        b"%PDF-1.4".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    for who in ["county", "town"] {
        let officer = client_for(&srv, who).await;
        for school in [s1, s2] {
            let (status, r) = get(&srv, &officer, &monthly(school)).await;
            assert_eq!(status, StatusCode::OK, "{who} {school}: {r}");
            assert_eq!(r["can_submit"], false);
        }
        let (status, r) = get(&srv, &officer, &format!("/api/v1/reports/area?month={m}")).await;
        assert_eq!(
            (status, r["schools"].as_array().map(Vec::len)),
            (StatusCode::OK, Some(2))
        );
        // Read-only: no submitting for a school.
        let (status, _) = put_scan(
            &srv,
            &officer,
            &format!("?school_id={s1}"),
            "application/pdf",
            b"%PDF-1.4".to_vec(),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }

    // Months that are not YYYY-MM, or have not begun: 422 in Chinese.
    let next = Month::of(app::semesters::service::today()).next().code();
    for bad in ["2026-13", "abc", "2026-1", "2026-11-01", next.as_str()] {
        for path in [
            format!("/api/v1/reports/monthly?month={bad}"),
            format!("/api/v1/reports/monthly/export?month={bad}"),
        ] {
            let (status, body) = get(&srv, &principal, &path).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
            assert_eq!(body["error"], "invalid");
            assert!(body["message"].as_str().unwrap().contains('月'), "{body}");
        }
        let county = client_for(&srv, "county").await;
        assert_eq!(
            get(&srv, &county, &format!("/api/v1/reports/area?month={bad}"))
                .await
                .0,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    let (status, body) = get(&srv, &principal, "/api/v1/reports/monthly?school_id=x").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let (_, doc) = get(&srv, &principal, "/api/v1/openapi.json").await;
    for path in [
        "/api/v1/reports/monthly",
        "/api/v1/reports/monthly/export",
        "/api/v1/reports/monthly/scan",
        "/api/v1/reports/area",
        "/api/v1/reports/area/export",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
    assert!(doc["paths"]["/api/v1/reports/monthly/scan"]["put"].is_object());
    assert!(doc["components"]["schemas"]["SchoolMonthReport"].is_object());

    // The page renders on the server (the figures arrive in the browser).
    for client in [&principal, &client_for(&srv, "county").await] {
        let res = client.get(srv.url("/reports")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let html = res.text().await.unwrap();
        assert!(html.contains("data-testid=\"report-month\""), "{html}");
    }
    srv.stop().await;
}

fn pdf() -> Vec<u8> {
    let mut bytes = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n".to_vec();
    bytes.extend(std::iter::repeat_n(b'x', 2048));
    bytes.extend(b"\n%%EOF\n");
    bytes
}

async fn the_signed_scan_is_submitted_and_can_be_replaced(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let s1 = demo_school(&db.url, "第一小学").await.id;
    let m = Month::of(app::semesters::service::today());
    let query = format!("?month={m}&school_id={s1}");
    let principal = client_for(&srv, "principal").await;
    let (_, before) = get(&srv, &principal, &format!("/api/v1/reports/monthly{query}")).await;
    assert_eq!(before["submitted"], false);
    assert_eq!(
        get(
            &srv,
            &principal,
            &format!("/api/v1/reports/monthly/scan{query}")
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );

    // Refused: wrong bytes for the type, an unsupported type, empty, too large.
    let jpeg = common::images::jpeg(64, 48);
    let (status, body) = put_scan(&srv, &principal, &query, "application/pdf", jpeg.clone()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    assert!(body["message"].as_str().unwrap().contains("PDF"), "{body}");
    let (status, body) = put_scan(&srv, &principal, &query, "image/png", jpeg.clone()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    let (status, body) = put_scan(&srv, &principal, &query, "text/plain", b"hello".to_vec()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    assert!(body["message"].as_str().unwrap().contains("PDF"), "{body}");
    let (status, body) = put_scan(&srv, &principal, &query, "application/pdf", Vec::new()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["message"].as_str().unwrap().contains("空"), "{body}");
    let mut huge = pdf();
    huge.resize(10 * 1024 * 1024 + 1, b' ');
    let (status, body) = put_scan(&srv, &principal, &query, "application/pdf", huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("10 MB"),
        "{body}"
    );
    let (_, still) = get(&srv, &principal, &format!("/api/v1/reports/monthly{query}")).await;
    assert_eq!(
        still["submitted"], false,
        "nothing stored by refused uploads"
    );

    // Submitted.
    let (status, saved) = put_scan(&srv, &principal, &query, "application/pdf", pdf()).await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    assert_eq!(saved["scan_type"], "application/pdf");
    assert_eq!(saved["submitted_by"], "王建国");
    let (_, r) = get(&srv, &principal, &format!("/api/v1/reports/monthly{query}")).await;
    assert_eq!(
        (r["submitted"].as_bool(), r["overdue"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(
        r["submission"]["scan_url"],
        format!("/api/v1/reports/monthly/scan{query}")
    );
    let (status, content_type, bytes) = get_bytes(
        &srv,
        &principal,
        &format!("/api/v1/reports/monthly/scan{query}"),
    )
    .await;
    assert_eq!(
        (status, content_type.as_str()),
        (StatusCode::OK, "application/pdf")
    );
    assert_eq!(bytes, pdf());
    let county = client_for(&srv, "county").await;
    let (status, _, bytes) = get_bytes(
        &srv,
        &county,
        &format!("/api/v1/reports/monthly/scan{query}"),
    )
    .await;
    assert_eq!((status, bytes == pdf()), (StatusCode::OK, true));
    let (_, area) = get(&srv, &county, &format!("/api/v1/reports/area?month={m}")).await;
    let row = area["schools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["school_id"] == s1)
        .unwrap()
        .clone();
    assert_eq!(row["submitted"], true);
    assert!(row["submitted_at"].is_string(), "{row}");
    assert_eq!(area["submitted_count"], 1);
    let principal2 = client_for(&srv, "principal2").await;
    assert_eq!(
        get(
            &srv,
            &principal2,
            &format!("/api/v1/reports/monthly/scan{query}")
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );

    // Replaced by the school admin with a photo of the stamped sheet.
    let admin = client_for(&srv, "admin").await;
    let png = common::images::signature_png();
    let (status, saved) = put_scan(&srv, &admin, &query, "image/png", png.clone()).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(
        (saved["scan_type"].as_str(), saved["submitted_by"].as_str()),
        (Some("image/png"), Some("陈静"))
    );
    let (status, content_type, bytes) = get_bytes(
        &srv,
        &principal,
        &format!("/api/v1/reports/monthly/scan{query}"),
    )
    .await;
    assert_eq!(
        (status, content_type.as_str()),
        (StatusCode::OK, "image/png")
    );
    assert_eq!(bytes, png);
    // A later refused upload leaves the submission alone.
    let (status, _) = put_scan(&srv, &admin, &query, "image/jpeg", png.clone()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (_, _, bytes) = get_bytes(
        &srv,
        &principal,
        &format!("/api/v1/reports/monthly/scan{query}"),
    )
    .await;
    assert_eq!(bytes, png);
    let (_, audit) = get(&srv, &principal, "/api/v1/audit").await;
    let audit = audit.to_string();
    assert!(
        audit.contains("report.submit") && audit.contains("report.replace"),
        "{audit}"
    );
    let conn = app::db::connect(&db.url).await.unwrap();
    assert_eq!(
        monthly_report::Entity::find().count(&conn).await.unwrap(),
        1
    );

    // A late report for an earlier month is still accepted.
    let late = format!("?month={}&school_id={s1}", last_month());
    let (status, _) = put_scan(&srv, &principal, &late, "image/jpeg", jpeg).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, r) = get(&srv, &principal, &format!("/api/v1/reports/monthly{late}")).await;
    assert_eq!(
        (r["submitted"].as_bool(), r["overdue"].as_bool()),
        (Some(true), Some(false))
    );
    srv.stop().await;
}

/// Notifications of `username` whose dedupe key is `key`.
async fn notices(conn: &DatabaseConnection, db_url: &str, username: &str, key: &str) -> u64 {
    let user_id = demo_user_id(db_url, username).await;
    notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::DedupeKey.eq(key))
        .count(conn)
        .await
        .unwrap()
}

async fn reminders_before_and_after_the_25th(backend: Backend) {
    use app::reports::service::send_reminders;
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let conn = app::db::connect(&db.url).await.unwrap();
    let s1 = demo_school(&db.url, "第一小学").await.id;
    let s2 = demo_school(&db.url, "中学").await.id;
    let date = |d| NaiveDate::from_ymd_opt(2030, 3, d).unwrap();
    let key = |school: i32, what: &str| format!("report:{school}:2030-03:{what}");

    assert_eq!(send_reminders(&conn, date(1)).await.unwrap(), 0);
    assert_eq!(
        send_reminders(&conn, date(19)).await.unwrap(),
        0,
        "not before the 20th"
    );
    let sent = send_reminders(&conn, date(20)).await.unwrap();
    for (who, school) in [("principal", s1), ("admin", s1), ("principal2", s2)] {
        assert_eq!(
            notices(&conn, &db.url, who, &key(school, "due")).await,
            1,
            "{who}"
        );
    }
    for who in ["teacher", "head", "county", "town"] {
        let user_id = demo_user_id(&db.url, who).await;
        let theirs = notification::Entity::find()
            .filter(notification::Column::UserId.eq(user_id))
            .filter(notification::Column::Kind.eq("report_due"))
            .count(&conn)
            .await
            .unwrap();
        assert_eq!(theirs, 0, "{who} is not reminded before the 25th");
    }
    let due_total = notification::Entity::find()
        .filter(notification::Column::DedupeKey.like("report:%:2030-03:due"))
        .count(&conn)
        .await
        .unwrap();
    assert_eq!(sent, due_total);
    let first = notification::Entity::find()
        .filter(notification::Column::DedupeKey.eq(key(s1, "due")))
        .one(&conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (first.kind.as_str(), first.link.as_str()),
        ("report_due", "/reports")
    );
    assert!(first.title.contains("25"), "{}", first.title);
    assert_eq!(
        send_reminders(&conn, date(20)).await.unwrap(),
        0,
        "sent once"
    );
    assert_eq!(
        send_reminders(&conn, date(25)).await.unwrap(),
        0,
        "sent once"
    );

    // The 中学 submits; the 第一小学 is late.
    monthly_report::ActiveModel {
        school_id: Set(s2),
        month: Set("2030-03".into()),
        scan_key: Set(format!("{}.jpg", "ab".repeat(32))),
        scan_type: Set("application/pdf".into()),
        submitted_by: Set(demo_user_id(&db.url, "principal2").await),
        submitted_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&conn)
    .await
    .unwrap();
    let sent = send_reminders(&conn, date(26)).await.unwrap();
    for who in ["principal", "admin", "county"] {
        assert_eq!(
            notices(&conn, &db.url, who, &key(s1, "overdue")).await,
            1,
            "{who}"
        );
    }
    assert_eq!(
        notices(&conn, &db.url, "principal2", &key(s2, "overdue")).await,
        0
    );
    assert_eq!(
        notices(&conn, &db.url, "county", &key(s2, "overdue")).await,
        0
    );
    assert_eq!(
        notices(&conn, &db.url, "town", &key(s1, "overdue")).await,
        0
    );
    let overdue_total = notification::Entity::find()
        .filter(notification::Column::DedupeKey.like("report:%:2030-03:overdue"))
        .count(&conn)
        .await
        .unwrap();
    assert_eq!(sent, overdue_total);
    assert_eq!(
        send_reminders(&conn, date(27)).await.unwrap(),
        0,
        "overdue once"
    );

    // Once everyone has submitted, nothing more (another month starts afresh).
    monthly_report::ActiveModel {
        school_id: Set(s1),
        month: Set("2030-04".into()),
        scan_key: Set(format!("{}.jpg", "cd".repeat(32))),
        scan_type: Set("application/pdf".into()),
        submitted_by: Set(demo_user_id(&db.url, "principal").await),
        submitted_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&conn)
    .await
    .unwrap();
    assert!(
        send_reminders(&conn, NaiveDate::from_ymd_opt(2030, 4, 21).unwrap())
            .await
            .unwrap()
            > 0
    );
    assert_eq!(
        notices(
            &conn,
            &db.url,
            "principal",
            &format!("report:{s1}:2030-04:due")
        )
        .await,
        0,
        "submitted: not reminded"
    );
    assert_eq!(
        notices(
            &conn,
            &db.url,
            "principal2",
            &format!("report:{s2}:2030-04:due")
        )
        .await,
        1
    );
    srv.stop().await;
}

on_both_backends!(
    monthly_report_counts_from_the_history,
    area_report_adds_up_the_schools,
    each_person_sees_their_own_school_or_area,
    the_signed_scan_is_submitted_and_can_be_replaced,
    reminders_before_and_after_the_25th,
);
