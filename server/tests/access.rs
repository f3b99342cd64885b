//! Who sees which students, through the REST API and the server functions.

mod common;

use std::collections::BTreeSet;

use app::db::entities::{class, school, student};
use common::{Backend, TestDb, TestServer};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

struct Demo {
    /// class name → (class id, student ids)
    classes: Vec<(String, i32, Vec<i32>)>,
    school_a: i32,
    school_b: i32,
}

impl Demo {
    async fn load(url: &str) -> Demo {
        let db = app::db::connect(url).await.unwrap();
        let schools = school::Entity::find().all(&db).await.unwrap();
        let school_a = schools
            .iter()
            .find(|s| s.name.contains("第一小学"))
            .unwrap()
            .id;
        let school_b = schools.iter().find(|s| s.name.contains("中学")).unwrap().id;
        let mut classes = Vec::new();
        for c in class::Entity::find().all(&db).await.unwrap() {
            let ids = student::Entity::find()
                .filter(student::Column::ClassId.eq(c.id))
                .all(&db)
                .await
                .unwrap()
                .into_iter()
                .map(|s| s.id)
                .collect();
            let key = format!(
                "{}{}",
                if c.school_id == school_a { "A:" } else { "B:" },
                c.name
            );
            classes.push((key, c.id, ids));
        }
        Demo {
            classes,
            school_a,
            school_b,
        }
    }

    fn class(&self, key: &str) -> (i32, &[i32]) {
        let (_, id, students) = self
            .classes
            .iter()
            .find(|(k, _, _)| k == key)
            .unwrap_or_else(|| panic!("{key}"));
        (*id, students)
    }

    fn ids_of(&self, keys: &[&str]) -> BTreeSet<i64> {
        keys.iter()
            .flat_map(|k| self.class(k).1.iter().map(|id| i64::from(*id)))
            .collect()
    }
}

fn ids(list: &Value) -> BTreeSet<i64> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect()
}

async fn teachers_see_exactly_their_classes(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let demo = Demo::load(&db.url).await;

    srv.login_ok("teacher").await;
    let (status, list) = srv.get_json("/api/v1/students").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&list), demo.ids_of(&["A:四年级(1)班", "A:四年级(2)班"]));
    let (status, list) = srv.server_fn("list_my_students", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        ids(&list),
        demo.ids_of(&["A:四年级(1)班", "A:四年级(2)班"]),
        "server function agrees"
    );

    let own = demo.class("A:四年级(1)班").1[0];
    let (status, detail) = srv.get_json(&format!("/api/v1/students/{own}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        detail["guardians"][0]["phone"].is_string(),
        "teachers of the class see the guardian phone"
    );

    for (key, what) in [
        (
            "A:三年级(1)班",
            "a class of the same school they do not teach",
        ),
        ("B:七年级(1)班", "another school"),
    ] {
        let other = demo.class(key).1[0];
        let (status, body) = srv.get_json(&format!("/api/v1/students/{other}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{what}");
        assert_eq!(body["error"], "forbidden");
        assert!(
            body.get("summary").is_none(),
            "no data leaks with the refusal"
        );
    }
    let (status, _) = srv.get_json("/api/v1/students/999999").await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "unknown ids look the same as other people's"
    );
    srv.stop().await;
}

async fn head_teacher_sees_own_class_and_taught_class(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let demo = Demo::load(&db.url).await;
    srv.login_ok("head").await;
    let (_, list) = srv.get_json("/api/v1/students").await;
    assert_eq!(ids(&list), demo.ids_of(&["A:三年级(1)班", "A:三年级(2)班"]));
    srv.stop().await;
}

async fn leaders_see_their_school_only(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let demo = Demo::load(&db.url).await;
    let school_a_classes = [
        "A:三年级(1)班",
        "A:三年级(2)班",
        "A:四年级(1)班",
        "A:四年级(2)班",
    ];

    for user in ["principal", "admin"] {
        let client = srv.fresh_client();
        common::login_with(&client, &srv.url("/api/v1/session"), user, "demo-password").await;
        let list: Value = client
            .get(srv.url("/api/v1/students"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(ids(&list), demo.ids_of(&school_a_classes), "{user}");
        assert!(
            list.as_array()
                .unwrap()
                .iter()
                .all(|s| s["school_id"] == demo.school_a)
        );
    }

    srv.login_ok("principal2").await;
    let (_, list) = srv.get_json("/api/v1/students").await;
    assert_eq!(ids(&list), demo.ids_of(&["B:七年级(1)班", "B:七年级(2)班"]));
    let a_student = demo.class("A:三年级(1)班").1[0];
    assert_eq!(
        srv.get_json(&format!("/api/v1/students/{a_student}"))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert!(demo.school_b != demo.school_a);
    srv.stop().await;
}

async fn officers_read_their_area_without_contacts(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let demo = Demo::load(&db.url).await;
    let all: Vec<&str> = demo.classes.iter().map(|(k, _, _)| k.as_str()).collect();
    for user in ["county", "town"] {
        let client = srv.fresh_client();
        common::login_with(&client, &srv.url("/api/v1/session"), user, "demo-password").await;
        let list: Value = client
            .get(srv.url("/api/v1/students"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(ids(&list), demo.ids_of(&all), "{user} sees the whole area");
        assert!(
            list.as_array()
                .unwrap()
                .iter()
                .all(|s| s.get("student_no").is_none()
                    && s["student_no_tail"].as_str().unwrap().len() == 4),
            "the roster holds no whole 学籍号"
        );
        let one = demo.class("B:七年级(2)班").1[0];
        let detail: Value = client
            .get(srv.url(&format!("/api/v1/students/{one}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(
            detail["guardians"]
                .as_array()
                .unwrap()
                .iter()
                .all(|g| g["phone"].is_null()),
            "no phones: {detail}"
        );
        assert!(detail["home_address"].is_null());
        assert!(
            detail["student_no"].as_str().unwrap().contains('*'),
            "学籍号 masked for officers"
        );
        // The summary (also each row of the roster) carries only the end
        // the mask shows, to tell namesakes apart.
        let tail = detail["summary"]["student_no_tail"].as_str().unwrap();
        assert_eq!(tail.chars().count(), 4, "{detail}");
        assert!(detail["student_no"].as_str().unwrap().ends_with(tail));
        assert!(detail["summary"].get("student_no").is_none(), "{detail}");
    }
    srv.stop().await;
}

async fn anonymous_callers_get_nothing(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let (status, body) = srv.get_json("/api/v1/students").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "unauthenticated");
    let (status, body) = srv.server_fn("list_my_students", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "unauthenticated");
    srv.stop().await;
}

on_both_backends!(
    teachers_see_exactly_their_classes,
    head_teacher_sees_own_class_and_taught_class,
    leaders_see_their_school_only,
    officers_read_their_area_without_contacts,
    anonymous_callers_get_nothing,
);
