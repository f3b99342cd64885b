//! Roster import over real HTTP: a generated 3,000-row workbook with 20 bad
//! rows, idempotent re-import, GBK CSV, and who may import at all.

mod common;

use std::collections::BTreeMap;

use app::db::entities::student;
use common::{Backend, TestDb, TestServer, login_with};
use reqwest::StatusCode;
use rust_xlsxwriter::Workbook;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::Value;

const HEADER: [&str; 14] = [
    "姓名*",
    "性别",
    "出生日期",
    "全国学籍号",
    "年级",
    "班级",
    "监护人姓名",
    "与学生关系",
    "联系电话",
    "家庭住址",
    "身份证号",
    "留守",
    "低保",
    "单亲",
];

fn good_row(i: usize) -> Vec<String> {
    let grade = ["三年级", "五年级", "6"][i % 3];
    vec![
        format!("测试学生{i}"),
        if i.is_multiple_of(2) { "男" } else { "女" }.into(),
        format!("2015-{:02}-{:02}", i % 12 + 1, i % 28 + 1),
        format!("G4416229{:010}", i),
        grade.into(),
        format!("{}班", (i / 3) % 3 + 1),
        format!("家长{i}"),
        "母亲".into(),
        format!("139{:08}", i),
        format!("老隆镇测试村{}号", i),
        String::new(),
        if i.is_multiple_of(5) { "是" } else { "否" }.into(),
        String::new(),
        "否".into(),
    ]
}

/// 3,000 data rows; returns the file and, for each bad row, the column the
/// preview must blame.
fn workbook_with_bad_rows(other_school_no: &str) -> (Vec<u8>, BTreeMap<usize, &'static str>) {
    let mut rows: Vec<Vec<String>> = (0..3000).map(good_row).collect();
    let mut expected = BTreeMap::new();
    let mut spoil = |index: usize, column: usize, value: String, blamed: &'static str| {
        rows[index][column] = value;
        expected.insert(index + 2, blamed); // +1 for the header, +1 for 1-based rows
    };
    spoil(101, 0, String::new(), "姓名");
    spoil(202, 1, "未知".into(), "性别");
    spoil(303, 2, "2016-13-45".into(), "出生日期");
    spoil(404, 2, "1990-01-01".into(), "出生日期");
    spoil(505, 3, String::new(), "学籍号");
    spoil(606, 3, "G12".into(), "学籍号");
    spoil(707, 3, "G44162290000000010".into(), "学籍号"); // same as row 12
    spoil(808, 4, "十年级".into(), "年级");
    spoil(909, 5, "甲班".into(), "班级");
    spoil(1010, 8, "12345".into(), "联系电话");
    spoil(1111, 11, "也许".into(), "留守");
    spoil(1212, 10, "123".into(), "身份证号");
    spoil(1313, 0, "长".repeat(40), "姓名");
    spoil(1414, 3, other_school_no.to_owned(), "学籍号");
    spoil(1515, 1, String::new(), "性别");
    spoil(1616, 9, "址".repeat(250), "家庭住址");
    spoil(1717, 7, "关".repeat(20), "与学生关系");
    spoil(1818, 4, String::new(), "年级");
    spoil(1919, 5, String::new(), "班级");
    spoil(2020, 3, "G学籍123456789".into(), "学籍号");

    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (col, header) in HEADER.iter().enumerate() {
        sheet.write_string(0, col as u16, *header).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (col, value) in row.iter().enumerate() {
            if !value.is_empty() {
                sheet.write_string(r as u32 + 1, col as u16, value).unwrap();
            }
        }
    }
    (book.save_to_buffer().unwrap(), expected)
}

async fn post_file(srv: &TestServer, path: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    let res = srv
        .client
        .post(srv.url(path))
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn school_b_student_no(url: &str) -> String {
    let db = app::db::connect(url).await.unwrap();
    let b = common::demo_school(url, "中学").await;
    student::Entity::find()
        .filter(student::Column::SchoolId.eq(b.id))
        .one(&db)
        .await
        .unwrap()
        .unwrap()
        .student_no
}

async fn three_thousand_rows_with_twenty_bad_ones(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let (file, expected) = workbook_with_bad_rows(&school_b_student_no(&db.url).await);
    srv.login_ok("admin").await;

    let (status, preview) = post_file(&srv, "/api/v1/imports/students/preview", file.clone()).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["total_rows"], 3000);
    let blamed: BTreeMap<usize, String> = preview["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap() as usize,
                e["column"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        preview["errors"].as_array().unwrap().len(),
        20,
        "one reason per bad row: {}",
        preview["errors"]
    );
    assert_eq!(
        blamed,
        expected
            .iter()
            .map(|(r, c)| (*r, c.to_string()))
            .collect::<BTreeMap<_, _>>()
    );
    assert!(
        preview["errors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| !e["message"].as_str().unwrap().is_empty())
    );
    assert_eq!(preview["to_create"], 2980);
    assert_eq!(preview["committed"], false);
    let new_classes: Vec<&str> = preview["new_classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(
        new_classes.contains(&"五年级(1)班") && new_classes.contains(&"六年级(3)班"),
        "{new_classes:?}"
    );

    let conn = app::db::connect(&db.url).await.unwrap();
    let before = student::Entity::find().count(&conn).await.unwrap();
    let (status, done) = post_file(&srv, "/api/v1/imports/students/commit", file.clone()).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["committed"], true);
    assert_eq!(done["to_create"], 2980);
    assert_eq!(
        student::Entity::find().count(&conn).await.unwrap(),
        before + 2980
    );
    let other = school_b_student_no(&db.url).await;
    let untouched = student::Entity::find()
        .filter(student::Column::StudentNo.eq(other))
        .one(&conn)
        .await
        .unwrap()
        .unwrap();
    assert!(
        !untouched.name.starts_with("测试学生"),
        "the other school's student was not overwritten"
    );

    // The same file again changes nothing.
    let (status, again) = post_file(&srv, "/api/v1/imports/students/commit", file).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (again["to_create"].as_u64(), again["to_update"].as_u64()),
        (Some(0), Some(0)),
        "{again}"
    );
    assert_eq!(again["unchanged"], 2980);
    assert_eq!(
        student::Entity::find().count(&conn).await.unwrap(),
        before + 2980
    );

    // The change is in the audit log, readable by the principal.
    let principal = srv.fresh_client();
    login_with(
        &principal,
        &srv.url("/api/v1/session"),
        "principal",
        "demo-password",
    )
    .await;
    let log: Value = principal
        .get(srv.url("/api/v1/audit"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "import_students" && e["actor"] == "陈静"),
        "{log}"
    );
    srv.stop().await;
}

async fn an_updated_row_updates_the_student(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    srv.login_ok("admin").await;
    let csv = |class: &str| {
        format!("姓名,性别,学籍号,年级,班级\n王小花,女,G441622201601010001,四年级,{class}\n")
            .into_bytes()
    };
    assert_eq!(
        post_file(&srv, "/api/v1/imports/students/commit", csv("1班"))
            .await
            .1["to_create"],
        1
    );
    let (_, moved) = post_file(&srv, "/api/v1/imports/students/commit", csv("2班")).await;
    assert_eq!(
        (moved["to_create"].as_u64(), moved["to_update"].as_u64()),
        (Some(0), Some(1))
    );
    let conn = app::db::connect(&db.url).await.unwrap();
    let s = student::Entity::find()
        .filter(student::Column::StudentNo.eq("G441622201601010001"))
        .one(&conn)
        .await
        .unwrap()
        .unwrap();
    let class = app::db::entities::class::Entity::find_by_id(s.class_id)
        .one(&conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(class.name, "四年级(2)班");
    srv.stop().await;
}

async fn gbk_csv_keeps_chinese_names(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    srv.login_ok("admin").await;
    let text = "学生姓名,性别,出生年月,学籍号,年级,班级,监护人,联系电话,是否留守儿童\r\n\
                欧阳晓燕,女,2016/5/4,G441622201605040777,三年级,（1）班,欧阳德福,13800138000,是\r\n\
                钟振华,男,2016年7月9日,G441622201607090778,3,1,钟建国,0762-6812345,否\r\n";
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable);
    let (status, done) = post_file(&srv, "/api/v1/imports/students/commit", gbk.into_owned()).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["to_create"], 2, "{done}");

    let (_, list) = srv.get_json("/api/v1/students").await;
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert!(
        names.contains(&"欧阳晓燕") && names.contains(&"钟振华"),
        "names decoded from GBK"
    );
    let imported = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "欧阳晓燕")
        .unwrap();
    assert_eq!(imported["class_name"], "三年级(1)班");
    assert!(
        imported["special_groups"]
            .as_array()
            .unwrap()
            .contains(&Value::from("left_behind"))
    );
    srv.stop().await;
}

async fn bad_files_get_clear_errors(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    srv.login_ok("admin").await;
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (Vec::new(), "空"),
        (b"PK\x03\x04not really a zip".to_vec(), "Excel"),
        (b"name,gender\nx,y\n".to_vec(), "缺少必需的列"),
        (vec![0u8; 64], "不支持"),
        (vec![b'a'; 6 * 1024 * 1024], "过大"),
    ];
    for (bytes, expected) in cases {
        let (status, body) = post_file(&srv, "/api/v1/imports/students/preview", bytes).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(
            body["message"].as_str().unwrap_or("").contains(expected),
            "{expected}: {body}"
        );
    }
    srv.stop().await;
}

async fn only_school_administrators_may_import(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let csv = b"\xE5\xA7\x93\xE5\x90\x8D,x\n".to_vec();
    for user in ["teacher", "head", "county"] {
        let client = srv.fresh_client();
        login_with(&client, &srv.url("/api/v1/session"), user, "demo-password").await;
        for path in [
            "/api/v1/imports/students/preview",
            "/api/v1/imports/students/commit",
        ] {
            let res = client
                .post(srv.url(path))
                .body(csv.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{user} {path}");
        }
        let res = client
            .get(srv.url("/api/v1/imports/students/template"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{user} template");
    }
    for user in ["teacher", "head"] {
        let client = srv.fresh_client();
        login_with(&client, &srv.url("/api/v1/session"), user, "demo-password").await;
        let res = client.get(srv.url("/api/v1/audit")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{user} audit log");
    }

    // The admin of school A cannot import into school B.
    srv.login_ok("admin").await;
    let b = common::demo_school(&db.url, "中学").await;
    let res = srv
        .client
        .post(srv.url(&format!(
            "/api/v1/imports/students/commit?school_id={}",
            b.id
        )))
        .body("姓名,性别,学籍号,年级,班级\n甲,男,G441622201601010099,七年级,1班\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Nor take over school B's students through a file of its own.
    let other = school_b_student_no(&db.url).await;
    let (status, report) = post_file(
        &srv,
        "/api/v1/imports/students/commit",
        format!("姓名,性别,学籍号,年级,班级\n冒名,男,{other},三年级,1班\n").into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["errors"][0]["column"], "学籍号");
    assert_eq!(report["to_update"], 0);

    let template = srv.get("/api/v1/imports/students/template").await;
    assert_eq!(template.status(), StatusCode::OK);
    let bytes = template.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK"), "an .xlsx file");
    srv.stop().await;
}

async fn the_admin_page_server_function_previews_and_commits(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    srv.login_ok("admin").await;
    let csv = "姓名,性别,学籍号,年级,班级\n周小雨,女,G441622201603030303,四年级,1班\n错行,男,G1,四年级,1班\n";
    let call = |mode: &'static str| {
        let form = reqwest::multipart::Form::new().text("mode", mode).part(
            "file",
            reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("名册.csv"),
        );
        srv.client
            .post(srv.url("/api/import_students"))
            .multipart(form)
            .send()
    };
    let preview: Value = call("preview").await.unwrap().json().await.unwrap();
    assert_eq!(
        (
            preview["to_create"].as_u64(),
            preview["committed"].as_bool()
        ),
        (Some(1), Some(false)),
        "{preview}"
    );
    assert_eq!(preview["errors"][0]["row"], 3);
    let done: Value = call("commit").await.unwrap().json().await.unwrap();
    assert_eq!(
        (done["to_create"].as_u64(), done["committed"].as_bool()),
        (Some(1), Some(true)),
        "{done}"
    );

    let teacher = srv.fresh_client();
    login_with(
        &teacher,
        &srv.url("/api/v1/session"),
        "teacher",
        "demo-password",
    )
    .await;
    let form = reqwest::multipart::Form::new().text("mode", "commit");
    let res = teacher
        .post(srv.url("/api/import_students"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    srv.stop().await;
}

/// One student from the admin's form: the import's checks with the field
/// named, a conflict for a 学籍号 already on the roll, edits that keep what
/// is not sent, and only the school's leaders.
async fn a_student_from_the_form(backend: Backend) {
    use serde_json::json;
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let class_a = common::demo_class_id(&db.url, "第一小学", "三年级(1)班").await;
    let class_b = common::demo_class_id(&db.url, "中学", "七年级(1)班").await;
    let admin = common::client_for(&srv, "admin").await;
    let head = common::client_for(&srv, "head").await;
    let send = |req: reqwest::RequestBuilder| async move {
        let res = req.send().await.unwrap();
        let status = res.status();
        (status, res.json::<Value>().await.unwrap_or(Value::Null))
    };
    let form = json!({
        "name": "赵小雨", "gender": "female", "birth_date": "2017-03-08",
        "student_no": "G440000201703080011", "class_id": class_a,
        "guardian_name": "赵大山", "guardian_relation": "父亲", "guardian_phone": "13800138000",
        "home_address": "龙川县老隆镇某村 3 号", "id_card": "440000201703080011",
        "left_behind": true,
    });
    let with = |k: &str, v: Value| {
        let mut f = form.clone();
        f[k] = v;
        f
    };
    for (field, bad) in [
        ("gender", Value::Null),
        ("guardian_phone", json!("12345")),
        ("student_no", json!("12")),
        ("name", json!("")),
    ] {
        let (status, err) = send(
            admin
                .post(srv.url("/api/v1/students"))
                .json(&with(field, bad)),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {err}");
        assert_eq!(err["field"], field, "{err}");
    }
    let (status, _) = send(
        admin
            .post(srv.url("/api/v1/students"))
            .json(&with("class_id", json!(class_b))),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another school's class");
    let (status, _) = send(head.post(srv.url("/api/v1/students")).json(&form)).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "head teachers do not add students"
    );

    let (status, saved) = send(admin.post(srv.url("/api/v1/students")).json(&form)).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let id = saved["summary"]["id"].as_i64().unwrap();
    assert_eq!(saved["summary"]["class_id"], class_a);
    assert_eq!(saved["summary"]["special_groups"], json!(["left_behind"]));
    assert_eq!(saved["guardians"][0]["phone"], "13800138000");
    let (status, err) = send(admin.post(srv.url("/api/v1/students")).json(&form)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");

    // Edit: a new phone; the identity-card number is left empty and kept.
    let edit = srv.url(&format!("/api/v1/students/{id}"));
    let mut changed = with("guardian_phone", json!("13900139000"));
    changed["id_card"] = json!("");
    let (status, saved) = send(admin.put(&edit).json(&changed)).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["guardians"][0]["phone"], "13900139000");
    let conn = app::db::connect(&db.url).await.unwrap();
    let row = student::Entity::find_by_id(id as i32)
        .one(&conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.id_card.as_deref(), Some("440000201703080011"));
    let (status, err) = send(
        admin
            .put(&edit)
            .json(&with("student_no", json!("G440000201703080099"))),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["field"], "student_no");
    assert_eq!(
        send(head.put(&edit).json(&form)).await.0,
        StatusCode::FORBIDDEN
    );
    srv.stop().await;
}

on_both_backends!(
    a_student_from_the_form,
    the_admin_page_server_function_previews_and_commits,
    three_thousand_rows_with_twenty_bad_ones,
    an_updated_row_updates_the_student,
    gbk_csv_keeps_chinese_names,
    bad_files_get_clear_errors,
    only_school_administrators_may_import,
);
