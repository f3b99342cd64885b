//! The access matrix (issue 8). Every REST route of `/api/v1` (read from
//! the OpenAPI document at run time) and every Leptos server function is
//! called by every role against a target in the caller's own class, another
//! class of the school, another school of the county and a school of another
//! county. Each call must be allowed or refused exactly as the table says,
//! and no answer (allowed or refused, JSON or Excel) may name a student, a
//! record, a school or a teacher outside the caller's scope.
//!
//! Then the session checks `auth.rs` does not make: a planted session id is
//! replaced at login, a logged-out cookie can change nothing, every
//! state-changing route refuses a cross-site request (and same-origin ones
//! pass: the principal's matrix calls carry same-origin headers), the login
//! lock holds across the REST and server-function paths and ignores forged
//! `X-Forwarded-For`, and a password changed through the server function
//! ends the account's other sessions.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Cursor;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use app::auth::Role;
use app::db::entities::{
    class, county, grade, leave_request, school, semester, session, student, town, user, user_role,
};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use common::images::{jpeg, sha256_hex};
use common::{Backend, TestDb, TestServer, login_with, new_client};
use reqwest::{Client, Method, StatusCode};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::{Value, json};
use uuid::Uuid;

// ---------------------------------------------------------------- actors

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Actor {
    Anonymous,
    /// Logged in, but must change the initial password first.
    PendingPassword,
    SubjectTeacher,
    HeadTeacher,
    /// 家访审核员 of school A and nothing else: reads the school's students
    /// and visit records to spot-check them, never the families' contacts.
    Reviewer,
    VicePrincipal,
    Principal,
    SchoolAdmin,
    TownOfficer,
    CountyOfficer,
}

const ACTORS: [Actor; 10] = [
    Actor::Anonymous,
    Actor::PendingPassword,
    Actor::SubjectTeacher,
    Actor::HeadTeacher,
    Actor::Reviewer,
    Actor::VicePrincipal,
    Actor::Principal,
    Actor::SchoolAdmin,
    Actor::TownOfficer,
    Actor::CountyOfficer,
];

impl Actor {
    /// Everyone works at (or oversees) school A of county 1; the teachers
    /// teach class A1.
    fn username(self) -> Option<&'static str> {
        match self {
            Actor::Anonymous => None,
            Actor::PendingPassword => Some("wuhai"),
            Actor::SubjectTeacher => Some("mx_subject"),
            Actor::HeadTeacher => Some("mx_head"),
            Actor::Reviewer => Some("mx_reviewer"),
            Actor::VicePrincipal => Some("mx_vice"),
            Actor::Principal => Some("principal"),
            Actor::SchoolAdmin => Some("admin"),
            Actor::TownOfficer => Some("town"),
            Actor::CountyOfficer => Some("county"),
        }
    }
    fn teacher(self) -> bool {
        matches!(self, Actor::SubjectTeacher | Actor::HeadTeacher)
    }
    fn leader(self) -> bool {
        matches!(
            self,
            Actor::VicePrincipal | Actor::Principal | Actor::SchoolAdmin
        )
    }
    fn keeper(self) -> bool {
        matches!(self, Actor::Principal | Actor::SchoolAdmin)
    }
    fn officer(self) -> bool {
        matches!(self, Actor::TownOfficer | Actor::CountyOfficer)
    }
    fn staff(self) -> bool {
        self.teacher() || self.leader()
    }
    /// Holds a role at school A (its staff and its reviewer).
    fn works_at(self) -> bool {
        self.staff() || self == Actor::Reviewer
    }
    /// Logged in with a password of their own.
    fn user(self) -> bool {
        self.staff() || self.officer() || self == Actor::Reviewer
    }
    /// Spot-checks school A's visit records: its leaders and its reviewer.
    fn reviews(self) -> bool {
        self.leader() || self == Actor::Reviewer
    }
}

/// Where the target is, seen from every actor (all of them sit in school A
/// of county 1; the teachers in class A1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Scope {
    /// Class A1 / school A / county 1.
    Own,
    /// Class A2 of school A.
    OtherClass,
    /// Class B1 of school B (same county and town).
    OtherSchool,
    /// Class C1 of school C in county 2.
    OtherCounty,
}

const ALL_SCOPES: [Scope; 4] = [
    Scope::Own,
    Scope::OtherClass,
    Scope::OtherSchool,
    Scope::OtherCounty,
];

/// What a route's target is, and so which scopes it is checked in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// No target (the caller's own things, or the caller's whole area).
    Nothing,
    /// A student, class or record of a class.
    Class,
    /// A school (its id in the query, or one of its staff or semesters).
    School,
    /// A county's semester.
    County,
}

impl Target {
    fn scopes(self) -> &'static [Scope] {
        match self {
            Target::Nothing => &[Scope::Own],
            Target::Class => &ALL_SCOPES,
            Target::School => &[Scope::Own, Scope::OtherSchool, Scope::OtherCounty],
            Target::County => &[Scope::Own, Scope::OtherCounty],
        }
    }
}

/// Who may: one function per rule of the app (see `auth::access`).
mod rule {
    use super::Actor::{self, *};
    use super::Scope::{self, *};

    pub fn anyone(_: Actor, _: Scope) -> bool {
        true
    }
    pub fn nobody(_: Actor, _: Scope) -> bool {
        false
    }
    pub fn any_user(a: Actor, _: Scope) -> bool {
        a.user()
    }
    /// Who am I, change password: also before the forced password change.
    pub fn user_or_pending(a: Actor, _: Scope) -> bool {
        a.user() || a == PendingPassword
    }
    /// `Access::staff_schools`: any role at a school (a reviewer too).
    pub fn staff(a: Actor, _: Scope) -> bool {
        a.works_at()
    }
    pub fn leaders(a: Actor, _: Scope) -> bool {
        a.leader()
    }
    pub fn leaders_and_officers(a: Actor, _: Scope) -> bool {
        a.leader() || a.officer()
    }
    pub fn officers(a: Actor, _: Scope) -> bool {
        a.officer()
    }
    pub fn county_officer(a: Actor, _: Scope) -> bool {
        a == CountyOfficer
    }
    /// `Access::can_read_student`.
    pub fn read_student(a: Actor, s: Scope) -> bool {
        match s {
            Own => a.staff() || a.officer() || a == Reviewer,
            OtherClass => a.leader() || a.officer() || a == Reviewer,
            OtherSchool => a.officer(),
            OtherCounty => false,
        }
    }
    /// `Access::can_see_contacts` / `can_visit_student`: no officers.
    pub fn contact_student(a: Actor, s: Scope) -> bool {
        match s {
            Own => a.staff(),
            OtherClass => a.leader(),
            _ => false,
        }
    }
    /// `Access::can_edit_student`: head teacher and school leaders.
    pub fn edit_student(a: Actor, s: Scope) -> bool {
        match s {
            Own => a == HeadTeacher || a.leader(),
            OtherClass => a.leader(),
            _ => false,
        }
    }
    /// A leader of the school of a class's record.
    pub fn lead_class_school(a: Actor, s: Scope) -> bool {
        matches!(s, Own | OtherClass) && a.leader()
    }
    pub fn lead_school(a: Actor, s: Scope) -> bool {
        s == Own && a.leader()
    }
    /// `Access::reviews_school`: leaders and the assigned reviewer.
    pub fn review_school(a: Actor, s: Scope) -> bool {
        s == Own && a.reviews()
    }
    /// `Access::reviews_school` for the school of a class's record.
    pub fn review_class_school(a: Actor, s: Scope) -> bool {
        matches!(s, Own | OtherClass) && a.reviews()
    }
    /// `CurrentUser::keeps_school`: principal or school admin.
    pub fn keep_school(a: Actor, s: Scope) -> bool {
        s == Own && a.keeper()
    }
    pub fn lead_or_oversee_school(a: Actor, s: Scope) -> bool {
        match s {
            Own => a.leader() || a.officer(),
            OtherSchool => a.officer(),
            _ => false,
        }
    }
    pub fn work_at_or_oversee_school(a: Actor, s: Scope) -> bool {
        match s {
            Own => a.works_at() || a.officer(),
            OtherSchool => a.officer(),
            _ => false,
        }
    }
    /// The county officer of the target's county (county 1 only).
    pub fn county_officer_of(a: Actor, s: Scope) -> bool {
        a == CountyOfficer && s != OtherCounty
    }
}

// ---------------------------------------------------------------- requests

enum Body {
    Empty,
    Json(Value),
    Form(Vec<(&'static str, String)>),
    Raw(&'static str, Vec<u8>),
    /// A server function's multipart form: text fields and a file.
    Multipart(Vec<(&'static str, String)>, Vec<u8>),
}

struct Req {
    method: Method,
    path: String,
    body: Body,
}

fn get(path: impl Into<String>) -> Req {
    Req {
        method: Method::GET,
        path: path.into(),
        body: Body::Empty,
    }
}

fn with(method: Method, path: impl Into<String>, body: Body) -> Req {
    Req {
        method,
        path: path.into(),
        body,
    }
}

fn json_req(method: Method, path: impl Into<String>, body: Value) -> Req {
    with(method, path, Body::Json(body))
}

fn server_fn(name: &str, form: Vec<(&'static str, String)>) -> Req {
    with(Method::POST, format!("/api/{name}"), Body::Form(form))
}

fn success(s: StatusCode) -> bool {
    s.is_success()
}

/// Server functions answer a redirect when they call `leptos_axum::redirect`.
fn success_or_redirect(s: StatusCode) -> bool {
    s.is_success() || s.is_redirection()
}

/// The caller got past the access check to the old-password check: the
/// cells send a wrong old password on purpose (see `change_password`).
fn wrong_old_password(s: StatusCode) -> bool {
    s == StatusCode::UNPROCESSABLE_ENTITY
}

/// The caller got past the access check to a deliberate validation error.
fn invalid_after_access(s: StatusCode) -> bool {
    s == StatusCode::UNPROCESSABLE_ENTITY
}

/// The caller got past the access check to a refusal of the change itself
/// (removing a class that still has pupils).
fn conflict_after_access(s: StatusCode) -> bool {
    s == StatusCode::CONFLICT
}

/// Closing a case the student has not left: refused after the access check
/// (`case_service::close_case` checks access first).
fn success_or_invalid(s: StatusCode) -> bool {
    s.is_success() || s == StatusCode::UNPROCESSABLE_ENTITY
}

type Build = fn(&World, Actor, Scope, bool) -> Req;

/// One row of the table: a route (as the OpenAPI document or the server
/// function registry names it), who may call it on which target, and how
/// to call it. The `bool` given to `build` is whether the call is expected
/// to be allowed (allowed writes use up fresh records).
struct Case {
    route: &'static str,
    what: &'static str,
    target: Target,
    allow: fn(Actor, Scope) -> bool,
    reached: fn(StatusCode) -> bool,
    /// Logs in or out: called with a session of its own.
    own_session: bool,
    /// Turns a 200 answer into the answer the matrix judges (a batch's
    /// per-visit status and body).
    answer: fn(StatusCode, Vec<u8>) -> (StatusCode, Vec<u8>),
    build: Build,
}

fn case(
    route: &'static str,
    what: &'static str,
    target: Target,
    allow: fn(Actor, Scope) -> bool,
    build: Build,
) -> Case {
    let reached = if route.starts_with("POST /api/") && !route.starts_with("POST /api/v1/") {
        success_or_redirect
    } else {
        success
    };
    Case {
        route,
        what,
        target,
        allow,
        reached,
        own_session: false,
        answer: |status, bytes| (status, bytes),
        build,
    }
}

impl Case {
    fn reached(mut self, f: fn(StatusCode) -> bool) -> Case {
        self.reached = f;
        self
    }
    fn own_session(mut self) -> Case {
        self.own_session = true;
        self
    }
    /// A batch answers 200 with one result per visit: judge the first.
    fn first_of_batch(mut self) -> Case {
        self.answer = |status, bytes| {
            let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            let first = &body["results"][0];
            match first["status"].as_u64().and_then(|s| u16::try_from(s).ok()) {
                Some(item) if status == StatusCode::OK => (
                    StatusCode::from_u16(item).unwrap_or(status),
                    serde_json::to_vec(first.get("error").unwrap_or(first)).unwrap_or_default(),
                ),
                _ => (status, bytes),
            }
        };
        self
    }
}

fn visit_body(student_id: i32, summary: &str) -> Value {
    let at = (Utc::now() - Duration::minutes(5)).with_timezone(&chrono_tz::Asia::Shanghai);
    json!({
        "student_id": student_id,
        "visited_at": at.to_rfc3339(),
        "mode": "phone",
        "reason": "routine",
        "met_person": "王奶奶",
        "met_relation": "祖母",
        "family_situation": "父母在外务工",
        "summary": summary,
        "photos": [],
    })
}

fn plan_body(w: &World, student_id: i32, note: &str) -> Value {
    json!({
        "student_id": student_id,
        "reason": "routine",
        "planned_at": format!("{}T16:00:00+08:00", w.today + Duration::days(1)),
        "note": note,
    })
}

/// The whole table. Every REST route and server function must appear.
fn table() -> Vec<Case> {
    use Target::*;
    vec![
        // ---- sessions and the own account
        case("POST /api/v1/session", "log in (the actor's own account)", Nothing, rule::anyone, |_, a, _, _| {
            json_req(Method::POST, "/api/v1/session", json!({"username": a.username().unwrap_or("principal"), "password": "demo-password"}))
        }).own_session(),
        case("DELETE /api/v1/session", "log out", Nothing, rule::anyone, |_, _, _, _| {
            with(Method::DELETE, "/api/v1/session", Body::Empty)
        }).own_session(),
        case("GET /api/v1/me", "who am I", Nothing, rule::user_or_pending, |_, _, _, _| get("/api/v1/me")),
        case("PUT /api/v1/me/password", "change own password (wrong old password)", Nothing, rule::user_or_pending, |_, _, _, _| {
            json_req(Method::PUT, "/api/v1/me/password", json!({"old_password": "not-the-password", "new_password": "矩阵测试新密码2026"}))
        }).reached(wrong_old_password),
        // ---- roster
        case("GET /api/v1/students", "own roster (leak scan)", Nothing, rule::any_user, |_, _, _, _| get("/api/v1/students")),
        case("GET /api/v1/students/{id}", "a student", Class, rule::read_student, |w, _, s, _| {
            get(format!("/api/v1/students/{}", w.place(s).student))
        }),
        case("POST /api/v1/students/{id}/status", "change a student's status", Class, rule::edit_student, |w, _, s, ok| {
            let id = w.take("status", s, ok);
            json_req(Method::POST, format!("/api/v1/students/{id}/status"), json!({"to": "on_leave", "effective_date": w.today, "note": "矩阵测试"}))
        }),
        case("POST /api/v1/students/{id}/class", "move a student to the school's other class", Class, rule::lead_class_school, |w, _, s, ok| {
            let id = w.take("move", s, ok);
            json_req(Method::POST, format!("/api/v1/students/{id}/class"), json!({"class_id": w.place(s).move_to}))
        }),
        case("POST /api/v1/students", "add a student to a class", Class, rule::lead_class_school, |w, _, s, _| {
            let n = w.next();
            json_req(Method::POST, "/api/v1/students", json!({
                "name": format!("矩阵新生{n}"), "gender": "male", "student_no": format!("MXNEW{n:010}"),
                "class_id": w.place(s).class_id, "guardian_name": "家长", "guardian_relation": "父亲",
            }))
        }),
        // The 学籍号 does not match: refused with 422 after the access check,
        // so the record stays as it is.
        case("PUT /api/v1/students/{id}", "edit a student's record (学籍号 mismatch: 422)", Class, rule::lead_class_school, |w, _, s, _| {
            json_req(Method::PUT, format!("/api/v1/students/{}", w.place(s).student), json!({
                "name": "改名", "gender": "male", "student_no": "MXNOTTHEONE0001", "class_id": w.place(s).class_id,
            }))
        }).reached(invalid_after_access),
        case("POST /api/v1/imports/students/preview", "import preview for a school", School, rule::lead_school, |w, _, s, _| {
            with(Method::POST, format!("/api/v1/imports/students/preview?school_id={}", w.school(s)), Body::Raw("application/octet-stream", w.template.clone()))
        }),
        case("POST /api/v1/imports/students/commit", "import into a school", School, rule::lead_school, |w, _, s, _| {
            with(Method::POST, format!("/api/v1/imports/students/commit?school_id={}", w.school(s)), Body::Raw("application/octet-stream", w.template.clone()))
        }),
        case("POST /api/v1/imports/teachers/preview", "teacher import preview for a school", School, rule::lead_school, |w, _, s, _| {
            let n = w.next();
            with(Method::POST, format!("/api/v1/imports/teachers/preview?school_id={}", w.school(s)),
                Body::Raw("application/octet-stream", format!("姓名,用户名,角色\n矩阵教师{n},mxt{n},家访审核员\n").into_bytes()))
        }),
        case("POST /api/v1/imports/teachers/commit", "teacher import into a school", School, rule::lead_school, |w, _, s, _| {
            let n = w.next();
            with(Method::POST, format!("/api/v1/imports/teachers/commit?school_id={}", w.school(s)),
                Body::Raw("application/octet-stream", format!("姓名,用户名,角色\n矩阵教师{n},mxt{n},家访审核员\n").into_bytes()))
        }),
        case("GET /api/v1/imports/students/template", "import template", Nothing, rule::leaders, |_, _, _, _| get("/api/v1/imports/students/template")),
        // ---- staff
        case("GET /api/v1/staff", "a school's staff", School, rule::lead_school, |w, _, s, _| get(format!("/api/v1/staff?school_id={}", w.school(s)))),
        case("GET /api/v1/classes", "a school's classes", School, rule::lead_school, |w, _, s, _| get(format!("/api/v1/classes?school_id={}", w.school(s)))),
        // ---- classes
        case("GET /api/v1/classes/overview", "a school's classes with pupils and teachers", School, rule::lead_school, |w, _, s, _| {
            get(format!("/api/v1/classes/overview?school_id={}", w.school(s)))
        }),
        case("POST /api/v1/classes", "add a class to a school", School, rule::lead_school, |w, _, s, _| {
            let n = w.next();
            json_req(Method::POST, format!("/api/v1/classes?school_id={}", w.school(s)), json!({"grade_level": 6, "name": format!("矩阵{n}班")}))
        }),
        case("PUT /api/v1/classes/{id}", "rename a class (blank name: 422)", Class, rule::lead_class_school, |w, _, s, _| {
            json_req(Method::PUT, format!("/api/v1/classes/{}", w.place(s).class_id), json!({"grade_level": 3, "name": " "}))
        }).reached(invalid_after_access),
        case("DELETE /api/v1/classes/{id}", "remove a class that has pupils (409)", Class, rule::lead_class_school, |w, _, s, _| {
            with(Method::DELETE, format!("/api/v1/classes/{}", w.place(s).class_id), Body::Empty)
        }).reached(conflict_after_access),
        case("POST /api/v1/staff", "create an account in a school", School, rule::lead_school, |w, _, s, _| {
            let n = w.next();
            json_req(Method::POST, format!("/api/v1/staff?school_id={}", w.school(s)), json!({
                "username": format!("mx_new{n}"), "display_name": format!("新教师{n}"),
                "roles": [{"role": "subject_teacher", "class_id": w.staff_target(s).1, "subject": "音乐"}],
            }))
        }),
        case("PUT /api/v1/staff/{id}/roles", "set the roles of a school's teacher", School, rule::lead_school, |w, _, s, _| {
            let (id, class_id) = w.staff_target(s);
            json_req(Method::PUT, format!("/api/v1/staff/{id}/roles"), json!({"roles": [{"role": "subject_teacher", "class_id": class_id, "subject": "科学"}]}))
        }),
        case("POST /api/v1/staff/{id}/password-reset", "reset a school's teacher's password", School, rule::lead_school, |w, _, s, _| {
            with(Method::POST, format!("/api/v1/staff/{}/password-reset", w.staff_target(s).0), Body::Empty)
        }),
        case("GET /api/v1/colleagues", "co-visitor picker (leak scan)", Nothing, rule::any_user, |_, _, _, _| get("/api/v1/colleagues")),
        case("GET /api/v1/audit", "audit log (leak scan)", Nothing, rule::leaders_and_officers, |_, _, _, _| get("/api/v1/audit")),
        // ---- attachments
        case("PUT /api/v1/attachments/{sha256}", "upload a photo", Nothing, rule::staff, |_, _, _, _| {
            let bytes = jpeg(40, 30);
            with(Method::PUT, format!("/api/v1/attachments/{}", sha256_hex(&bytes)), Body::Raw("image/jpeg", bytes))
        }),
        case("GET /api/v1/attachments/{sha256}", "the photo of a visit", Class, rule::read_student, |w, _, s, _| {
            get(format!("/api/v1/attachments/{}", w.place(s).photo))
        }),
        case("GET /api/v1/attachments/{sha256}/thumb", "the thumbnail of a visit's photo", Class, rule::read_student, |w, _, s, _| {
            get(format!("/api/v1/attachments/{}/thumb", w.place(s).photo))
        }),
        // ---- visits, plans, reviews
        case("PUT /api/v1/visits/{id}", "record a new visit to a student", Class, rule::contact_student, |w, _, s, _| {
            json_req(Method::PUT, format!("/api/v1/visits/{}", Uuid::new_v4()), visit_body(w.place(s).student, "矩阵测试家访"))
        }),
        case("POST /api/v1/visits/batch", "record a new visit to a student in a batch", Class, rule::contact_student, |w, _, s, _| {
            json_req(Method::POST, "/api/v1/visits/batch", json!({"visits": [
                {"id": Uuid::new_v4(), "visit": visit_body(w.place(s).student, "矩阵测试批量家访")},
            ]}))
        }).first_of_batch(),
        case("POST /api/v1/visits/batch", "overwrite someone else's visit in a batch", Class, rule::nobody, |w, _, s, _| {
            let mut body = visit_body(w.place(s).student, "批量改写他人的记录");
            body["base_revision"] = json!(1);
            json_req(Method::POST, "/api/v1/visits/batch", json!({"visits": [{"id": w.place(s).visit, "visit": body}]}))
        }).first_of_batch(),
        case("PUT /api/v1/visits/{id}", "overwrite someone else's visit", Class, rule::nobody, |w, _, s, _| {
            let mut body = visit_body(w.place(s).student, "改写他人的记录");
            body["base_revision"] = json!(1);
            json_req(Method::PUT, format!("/api/v1/visits/{}", w.place(s).visit), body)
        }),
        case("GET /api/v1/visits", "own visits (leak scan)", Nothing, rule::any_user, |_, _, _, _| get("/api/v1/visits?semester=all")),
        case("GET /api/v1/visits", "a student's visits", Class, rule::read_student, |w, _, s, _| {
            get(format!("/api/v1/visits?semester=all&student_id={}", w.place(s).student))
        }),
        case("GET /api/v1/visits/{id}", "a visit", Class, rule::read_student, |w, _, s, _| get(format!("/api/v1/visits/{}", w.place(s).visit))),
        case("POST /api/v1/visits/{id}/review", "approve a visit", Class, rule::review_class_school, |w, _, s, _| {
            json_req(Method::POST, format!("/api/v1/visits/{}/review", w.place(s).visit), json!({"decision": "approved", "revision": 1}))
        }),
        case("GET /api/v1/reviews", "a school's visits for review", School, rule::review_school, |w, _, s, _| get(format!("/api/v1/reviews?school_id={}", w.school(s)))),
        case("PUT /api/v1/visit-plans/{id}", "report a new plan for a student", Class, rule::contact_student, |w, _, s, _| {
            json_req(Method::PUT, format!("/api/v1/visit-plans/{}", Uuid::new_v4()), plan_body(w, w.place(s).student, "矩阵测试报备"))
        }),
        case("PUT /api/v1/visit-plans/{id}", "change someone else's plan", Class, rule::nobody, |w, _, s, _| {
            json_req(Method::PUT, format!("/api/v1/visit-plans/{}", w.place(s).plan), plan_body(w, w.place(s).student, "改写他人的报备"))
        }),
        case("GET /api/v1/visit-plans", "plans (leak scan)", Nothing, rule::any_user, |_, _, _, _| get("/api/v1/visit-plans")),
        case("POST /api/v1/visit-plans/{id}/acknowledge", "acknowledge a plan", Class, rule::lead_class_school, |w, _, s, _| {
            with(Method::POST, format!("/api/v1/visit-plans/{}/acknowledge", w.place(s).plan), Body::Empty)
        }),
        // ---- quotas, dashboards, semesters
        case("GET /api/v1/quota", "own quota", Nothing, rule::staff, |_, _, _, _| get("/api/v1/quota")),
        case("GET /api/v1/quota-rules", "a school's counting rules", School, rule::work_at_or_oversee_school, |w, _, s, _| {
            get(format!("/api/v1/quota-rules?school_id={}", w.school(s)))
        }),
        case("PUT /api/v1/quota-rules", "drop a school's own rules", School, rule::keep_school, |w, _, s, _| {
            json_req(Method::PUT, "/api/v1/quota-rules", json!({"school_id": w.school(s), "scope": "school", "rules": null}))
        }),
        case("PUT /api/v1/quota-rules", "set the county rules of a school's county", School, rule::county_officer_of, |w, _, s, _| {
            json_req(Method::PUT, "/api/v1/quota-rules", json!({"school_id": w.school(s), "scope": "county", "rules": w.county_rules.clone()}))
        }),
        case("GET /api/v1/dashboard/school", "a school's dashboard", School, rule::lead_or_oversee_school, |w, _, s, _| {
            get(format!("/api/v1/dashboard/school?school_id={}", w.school(s)))
        }),
        case("GET /api/v1/dashboard/school/export", "a school's dashboard as Excel", School, rule::lead_or_oversee_school, |w, _, s, _| {
            get(format!("/api/v1/dashboard/school/export?school_id={}", w.school(s)))
        }),
        case("GET /api/v1/dashboard/area", "area dashboard (leak scan)", Nothing, rule::officers, |_, _, _, _| get("/api/v1/dashboard/area")),
        case("GET /api/v1/dashboard/area/export", "area dashboard as Excel (leak scan)", Nothing, rule::officers, |_, _, _, _| get("/api/v1/dashboard/area/export")),
        case("GET /api/v1/semesters", "semesters (leak scan)", Nothing, rule::any_user, |_, _, _, _| get("/api/v1/semesters")),
        case("POST /api/v1/semesters", "create a school's own semester", School, rule::keep_school, |w, _, s, _| {
            let (name, start, end) = w.new_semester();
            json_req(Method::POST, "/api/v1/semesters", json!({"name": name, "start": start, "end": end, "school_id": w.school(s)}))
        }),
        case("POST /api/v1/semesters", "create a county semester", Nothing, rule::county_officer, |w, _, _, _| {
            let (name, start, end) = w.new_semester();
            json_req(Method::POST, "/api/v1/semesters", json!({"name": name, "start": start, "end": end}))
        }),
        case("PUT /api/v1/semesters/{id}", "correct a school's own semester", School, rule::keep_school, |w, _, s, _| {
            let (id, body) = &w.school_semesters[&s];
            json_req(Method::PUT, format!("/api/v1/semesters/{id}"), body.clone())
        }),
        case("PUT /api/v1/semesters/{id}", "correct a county's semester", County, rule::county_officer_of, |w, _, s, _| {
            let (id, body) = &w.county_semesters[&s];
            json_req(Method::PUT, format!("/api/v1/semesters/{id}"), body.clone())
        }),
        // ---- attendance
        case("GET /api/v1/roll-calls/{class_id}/{day}", "a class's roll", Class, rule::contact_student, |w, _, s, _| {
            get(format!("/api/v1/roll-calls/{}/{}", w.place(s).class_id, w.roll_day))
        }),
        case("PUT /api/v1/roll-calls/{class_id}/{day}", "take a class's roll", Class, rule::edit_student, |w, _, s, _| {
            json_req(Method::PUT, format!("/api/v1/roll-calls/{}/{}", w.place(s).class_id, w.roll_day), json!({"absent": []}))
        }),
        case("GET /api/v1/leave", "leave (leak scan)", Nothing, rule::any_user, |_, _, _, _| get("/api/v1/leave")),
        case("POST /api/v1/leave", "record a student's leave", Class, rule::contact_student, |w, _, s, _| {
            let day = w.today + Duration::days(40);
            json_req(Method::POST, "/api/v1/leave", json!({"student_id": w.place(s).student, "kind": "personal", "start_date": day, "end_date": day, "reason": "矩阵测试请假"}))
        }),
        case("POST /api/v1/leave/{id}/decision", "approve a student's pending leave", Class, rule::edit_student, |w, _, s, ok| {
            let id = w.take("leave", s, ok);
            json_req(Method::POST, format!("/api/v1/leave/{id}/decision"), json!({"approve": true}))
        }),
        case("GET /api/v1/calendar-days", "calendar (leak scan)", Nothing, rule::any_user, |_, _, _, _| get("/api/v1/calendar-days")),
        case("PUT /api/v1/calendar-days", "set a school's holiday", School, rule::keep_school, |w, _, s, _| {
            json_req(Method::PUT, "/api/v1/calendar-days", json!({"day": w.today + Duration::days(400), "kind": "holiday", "name": "矩阵假日", "school_id": w.school(s)}))
        }),
        case("PUT /api/v1/calendar-days", "set a county holiday", Nothing, rule::county_officer, |w, _, _, _| {
            json_req(Method::PUT, "/api/v1/calendar-days", json!({"day": w.today + Duration::days(401), "kind": "holiday", "name": "矩阵假日"}))
        }),
        // ---- dropout
        case("GET /api/v1/absence-tasks", "absence tasks (leak scan)", Nothing, rule::any_user, |_, _, _, _| get("/api/v1/absence-tasks")),
        case("GET /api/v1/ladder-rules", "the county's ladder", Nothing, rule::any_user, |_, _, _, _| get("/api/v1/ladder-rules")),
        case("PUT /api/v1/ladder-rules", "set the county's ladder", Nothing, rule::county_officer, |w, _, _, _| {
            json_req(Method::PUT, "/api/v1/ladder-rules", w.ladder.clone())
        }),
        case("GET /api/v1/students/{id}/case", "a dropout's case file", Class, rule::read_student, |w, _, s, _| {
            get(format!("/api/v1/students/{}/case", w.place(s).dropout))
        }),
        case("PUT /api/v1/students/{id}/case", "open or update a dropout's case", Class, rule::edit_student, |w, _, s, _| {
            json_req(Method::PUT, format!("/api/v1/students/{}/case", w.place(s).dropout), case_body(w))
        }),
        case("POST /api/v1/students/{id}/case/close", "close a dropout's case (still out: 422)", Class, rule::edit_student, |w, _, s, _| {
            json_req(Method::POST, format!("/api/v1/students/{}/case/close", w.place(s).dropout), json!({"closed_on": w.today, "note": "矩阵测试"}))
        }).reached(success_or_invalid),
        case("POST /api/v1/students/{id}/persuasion-records", "record a 劝返 attempt", Class, rule::contact_student, |w, _, s, _| {
            json_req(Method::POST, format!("/api/v1/students/{}/persuasion-records", w.place(s).dropout), persuasion_body(w))
        }),
        case("GET /api/v1/ledgers/special-groups", "special-group ledger (leak scan)", Nothing, rule::any_user, |_, _, _, _| get("/api/v1/ledgers/special-groups")),
        // ---- 送教上门
        case("GET /api/v1/home-teaching", "home-teaching list (leak scan)", Nothing, rule::any_user, |_, _, _, _| get("/api/v1/home-teaching")),
        case("PUT /api/v1/students/{id}/home-teaching", "put a student on home teaching", Class, rule::edit_student, |w, _, s, _| {
            json_req(Method::PUT, format!("/api/v1/students/{}/home-teaching", w.place(s).student), json!({"enabled": true}))
        }),
        // ---- reports
        case("GET /api/v1/reports/monthly", "a school's monthly report", School, rule::lead_or_oversee_school, |w, _, s, _| {
            get(format!("/api/v1/reports/monthly?school_id={}&month={}", w.school(s), w.month))
        }),
        case("GET /api/v1/reports/monthly/export", "a school's monthly report as Excel", School, rule::lead_or_oversee_school, |w, _, s, _| {
            get(format!("/api/v1/reports/monthly/export?school_id={}&month={}", w.school(s), w.month))
        }),
        case("GET /api/v1/reports/monthly/scan", "a school's signed scan", School, rule::lead_or_oversee_school, |w, _, s, _| {
            get(format!("/api/v1/reports/monthly/scan?school_id={}&month={}", w.school(s), w.month))
        }),
        case("PUT /api/v1/reports/monthly/scan", "submit a school's signed scan", School, rule::lead_school, |w, _, s, _| {
            with(Method::PUT, format!("/api/v1/reports/monthly/scan?school_id={}&month={}", w.school(s), w.month), Body::Raw("application/pdf", b"%PDF-1.4\n%matrix\n".to_vec()))
        }),
        case("GET /api/v1/reports/area", "area report (leak scan)", Nothing, rule::officers, |w, _, _, _| get(format!("/api/v1/reports/area?month={}", w.month))),
        case("GET /api/v1/reports/area/export", "area report as Excel (leak scan)", Nothing, rule::officers, |w, _, _, _| get(format!("/api/v1/reports/area/export?month={}", w.month))),
        // ---- notifications
        case("GET /api/v1/notifications", "own notifications", Nothing, rule::any_user, |_, _, _, _| get("/api/v1/notifications")),
        case("POST /api/v1/notifications/read", "mark own notifications read", Nothing, rule::any_user, |_, _, _, _| {
            json_req(Method::POST, "/api/v1/notifications/read", json!({"ids": []}))
        }),
        // ---- Leptos server functions (POST /api/<name>, form-encoded)
        case("POST /api/get_me", "who am I (null when logged out)", Nothing, rule::anyone, |_, _, _, _| server_fn("get_me", vec![])),
        case("POST /api/login", "log in (the actor's own account)", Nothing, rule::anyone, |_, a, _, _| {
            server_fn("login", vec![("username", a.username().unwrap_or("principal").into()), ("password", "demo-password".into())])
        }).own_session(),
        case("POST /api/logout", "log out", Nothing, rule::anyone, |_, _, _, _| server_fn("logout", vec![])).own_session(),
        case("POST /api/change_password", "change own password (wrong old password)", Nothing, rule::user_or_pending, |_, _, _, _| {
            server_fn("change_password", vec![("old_password", "not-the-password".into()), ("new_password", "矩阵测试新密码2026".into()), ("confirm_password", "矩阵测试新密码2026".into())])
        }).reached(wrong_old_password),
        case("POST /api/audit_entries", "audit log (leak scan)", Nothing, rule::leaders_and_officers, |_, _, _, _| server_fn("audit_entries", vec![])),
        case("POST /api/import_students", "import preview for the own school", Nothing, rule::leaders, |w, _, _, _| {
            with(Method::POST, "/api/import_students", Body::Multipart(vec![("mode", "preview".into())], w.template.clone()))
        }),
        case("POST /api/list_my_students", "own roster (leak scan)", Nothing, rule::any_user, |_, _, _, _| server_fn("list_my_students", vec![])),
        case("POST /api/load_student", "a student", Class, rule::read_student, |w, _, s, _| {
            server_fn("load_student", vec![("id", w.place(s).student.to_string())])
        }),
        case("POST /api/change_student_status", "change a student's status", Class, rule::edit_student, |w, _, s, ok| {
            let id = w.take("status", s, ok);
            server_fn("change_student_status", vec![("id", id.to_string()), ("to", "on_leave".into()), ("effective_date", w.today.to_string()), ("note", "矩阵测试".into())])
        }),
        case("POST /api/staff_overview", "own school's staff", Nothing, rule::leaders, |_, _, _, _| server_fn("staff_overview", vec![])),
        case("POST /api/create_staff", "create an account in the own school", Nothing, rule::leaders, |w, _, _, _| {
            let n = w.next();
            server_fn("create_staff", vec![("username", format!("mx_fn{n}")), ("display_name", format!("新教师{n}")), ("role", "subject_teacher".into()), ("class_id", w.place(Scope::OtherClass).class_id.to_string()), ("subject", "音乐".into())])
        }),
        case("POST /api/reset_staff_password", "reset a school's teacher's password", School, rule::lead_school, |w, _, s, _| {
            server_fn("reset_staff_password", vec![("user_id", w.staff_target(s).0.to_string())])
        }),
    ]
}

fn case_body(w: &World) -> Value {
    json!({"opened_on": w.today, "reason": "连续缺勤五天", "plan": "班主任与校领导入户劝返", "responsible": "班主任"})
}

fn persuasion_body(w: &World) -> Value {
    json!({"day": w.today, "persons": "班主任", "method": "home", "result": "家长表示考虑", "outcome": "undecided", "visit_id": null})
}

// ---------------------------------------------------------------- the fixture

/// The records of one scope's class.
struct Place {
    class_id: i32,
    /// The school's other class (for moving students).
    move_to: i32,
    /// In school, never changed by the matrix.
    student: i32,
    /// Suspected dropout.
    dropout: i32,
    visit: Uuid,
    plan: Uuid,
    photo: String,
}

struct World {
    today: NaiveDate,
    roll_day: NaiveDate,
    month: String,
    places: HashMap<Scope, Place>,
    schools: HashMap<Scope, i32>,
    /// A teacher of the school (user id, class id).
    staff: HashMap<Scope, (i32, i32)>,
    school_semesters: HashMap<Scope, (i32, Value)>,
    county_semesters: HashMap<Scope, (i32, Value)>,
    /// Fresh records for allowed writes, by kind and scope; refused calls
    /// use the scope's shared one (the `shared` map).
    pools: Mutex<HashMap<(&'static str, Scope), Vec<i32>>>,
    shared: HashMap<(&'static str, Scope), i32>,
    counter: AtomicUsize,
    template: Vec<u8>,
    ladder: Value,
    county_rules: Value,
    /// Per actor: texts that must never appear in an answer to them, and
    /// the students whose ids they may see.
    markers: HashMap<Actor, Vec<String>>,
    readable: HashMap<Actor, BTreeSet<i64>>,
}

impl World {
    fn place(&self, s: Scope) -> &Place {
        &self.places[&s]
    }
    fn school(&self, s: Scope) -> i32 {
        self.schools[&s]
    }
    fn staff_target(&self, s: Scope) -> (i32, i32) {
        self.staff[&s]
    }
    fn next(&self) -> usize {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }
    fn take(&self, kind: &'static str, s: Scope, fresh: bool) -> i32 {
        if !fresh {
            return self.shared[&(kind, s)];
        }
        self.pools
            .lock()
            .unwrap()
            .get_mut(&(kind, s))
            .and_then(Vec::pop)
            .unwrap_or_else(|| panic!("no fresh {kind} record left for {s:?}"))
    }
    /// A far-future semester no other cell overlaps.
    fn new_semester(&self) -> (String, NaiveDate, NaiveDate) {
        let n = self.next() as i64;
        let start = NaiveDate::from_ymd_opt(2041, 1, 1).unwrap() + Duration::days(n * 150);
        (format!("矩阵学期{n}"), start, start + Duration::days(100))
    }
}

struct Demo {
    county: i32,
    a: school::Model,
    b: school::Model,
}

async fn demo(db: &DatabaseConnection) -> Demo {
    let schools = school::Entity::find().all(db).await.unwrap();
    let a = schools
        .iter()
        .find(|s| s.name.contains("第一小学"))
        .unwrap()
        .clone();
    let b = schools
        .iter()
        .find(|s| s.name.contains("老隆镇中学"))
        .unwrap()
        .clone();
    Demo {
        county: a.county_id,
        a,
        b,
    }
}

async fn class_id(db: &DatabaseConnection, school_id: i32, name: &str) -> i32 {
    class::Entity::find()
        .filter(class::Column::SchoolId.eq(school_id))
        .filter(class::Column::Name.eq(name))
        .one(db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("class {name}"))
        .id
}

/// A role with its school and class.
type RoleAt = (Role, Option<i32>, Option<i32>);

async fn add_user(
    db: &DatabaseConnection,
    username: &str,
    display_name: &str,
    roles: &[RoleAt],
) -> i32 {
    let hash = user::Entity::find()
        .filter(user::Column::Username.eq("principal"))
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .password_hash;
    let now = Utc::now();
    let u = user::ActiveModel {
        username: Set(username.into()),
        display_name: Set(display_name.into()),
        password_hash: Set(hash),
        must_change_password: Set(false),
        is_active: Set(true),
        phone: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    for (role, school_id, class_id) in roles {
        user_role::ActiveModel {
            user_id: Set(u.id),
            role: Set(role.code().into()),
            school_id: Set(*school_id),
            class_id: Set(*class_id),
            subject: Set(class_id.map(|_| "数学".to_owned())),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
    }
    u.id
}

async fn logged_in(srv: &TestServer, username: &str) -> Client {
    let client = new_client();
    let res = login_with(
        &client,
        &srv.url("/api/v1/session"),
        username,
        "demo-password",
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK, "login as {username}");
    client
}

async fn send_ok(srv: &TestServer, client: &Client, r: Req) -> Value {
    let what = format!("{} {}", r.method, r.path);
    let (status, _, bytes) = send(srv, client, r, &[]).await;
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    assert!(status.is_success(), "fixture: {what} → {status} {body}");
    body
}

/// Students of a class with a given status, by id.
async fn students_of(db: &DatabaseConnection, class_id: i32) -> Vec<student::Model> {
    student::Entity::find()
        .filter(student::Column::ClassId.eq(class_id))
        .filter(student::Column::Status.eq("in_school"))
        .order_by_asc(student::Column::Id)
        .all(db)
        .await
        .unwrap()
}

async fn build_world(srv: &TestServer, db_url: &str) -> World {
    let db = app::db::connect(db_url).await.unwrap();
    let d = demo(&db).await;
    let today = app::semesters::service::today();

    // County 2 with school C and its two classes, and the county's semester.
    let county2 = county::ActiveModel {
        name: Set("和平县".into()),
        code: Set(Some("441624".into())),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
    let town2 = town::ActiveModel {
        county_id: Set(county2.id),
        name: Set("阳明镇".into()),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
    let c = school::ActiveModel {
        county_id: Set(county2.id),
        town_id: Set(town2.id),
        name: Set("和平县阳明镇中心小学".into()),
        stage: Set("primary".into()),
        code: Set(Some("441624101".into())),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
    let g = grade::ActiveModel {
        school_id: Set(c.id),
        name: Set("五年级".into()),
        level: Set(5),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
    let mut c_classes = Vec::new();
    for name in ["五年级(1)班", "五年级(2)班"] {
        c_classes.push(
            class::ActiveModel {
                school_id: Set(c.id),
                grade_id: Set(g.id),
                name: Set(name.into()),
                ..Default::default()
            }
            .insert(&db)
            .await
            .unwrap()
            .id,
        );
    }
    let sem1 = semester::Entity::find()
        .filter(semester::Column::CountyId.eq(d.county))
        .filter(semester::Column::SchoolId.is_null())
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let sem2 = semester::ActiveModel {
        county_id: Set(county2.id),
        school_id: Set(None),
        name: Set(sem1.name.clone()),
        start_date: Set(sem1.start_date),
        end_date: Set(sem1.end_date),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
    // School C's pupils: copies of school A's (all columns, whatever they are).
    let a_class = class_id(&db, d.a.id, "三年级(1)班").await;
    for (i, src) in students_of(&db, a_class)
        .await
        .into_iter()
        .take(16)
        .enumerate()
    {
        let mut row: student::ActiveModel = src.into();
        row = sea_orm::ActiveModelTrait::reset_all(row);
        row.id = NotSet;
        row.school_id = Set(c.id);
        row.class_id = Set(c_classes[i % 2]);
        row.student_no = Set(format!("G441624{i:08}"));
        row.insert(&db).await.unwrap();
    }

    let a1 = class_id(&db, d.a.id, "四年级(1)班").await;
    let a2 = class_id(&db, d.a.id, "四年级(2)班").await;
    let b1 = class_id(&db, d.b.id, "七年级(1)班").await;
    let b2 = class_id(&db, d.b.id, "七年级(2)班").await;
    let (c1, c2) = (c_classes[0], c_classes[1]);

    // The actors that are not demo accounts, then the owners of each
    // scope's records and a teacher per school for the staff routes.
    use Role::*;
    add_user(
        &db,
        "mx_subject",
        "科任甲老师",
        &[(SubjectTeacher, Some(d.a.id), Some(a1))],
    )
    .await;
    add_user(
        &db,
        "mx_head",
        "班主任甲老师",
        &[(HeadTeacher, Some(d.a.id), Some(a1))],
    )
    .await;
    add_user(
        &db,
        "mx_reviewer",
        "审核员甲老师",
        &[(Reviewer, Some(d.a.id), None)],
    )
    .await;
    add_user(
        &db,
        "mx_vice",
        "副校长甲",
        &[(VicePrincipal, Some(d.a.id), None)],
    )
    .await;
    let owners = [
        (Scope::Own, "mx_own_a1", "一小丙老师", d.a.id, a1),
        (Scope::OtherClass, "mx_own_a2", "一小丁老师", d.a.id, a2),
        (Scope::OtherSchool, "mx_own_b1", "中学戊老师", d.b.id, b1),
        (Scope::OtherCounty, "mx_own_c1", "和平己老师", c.id, c1),
    ];
    for (_, username, name, school_id, class_id) in owners {
        add_user(
            &db,
            username,
            name,
            &[(HeadTeacher, Some(school_id), Some(class_id))],
        )
        .await;
    }
    add_user(
        &db,
        "mx_principal_c",
        "和平庚校长",
        &[(Principal, Some(c.id), None)],
    )
    .await;
    let mut staff = HashMap::new();
    for (scope, username, name, school_id, class_id) in [
        (Scope::Own, "mx_staff_a", "一小辛老师", d.a.id, a2),
        (Scope::OtherSchool, "mx_staff_b", "中学壬老师", d.b.id, b2),
        (Scope::OtherCounty, "mx_staff_c", "和平癸老师", c.id, c2),
    ] {
        let id = add_user(
            &db,
            username,
            name,
            &[(SubjectTeacher, Some(school_id), Some(class_id))],
        )
        .await;
        staff.insert(scope, (id, class_id));
    }

    // Every student's name made unique ("…123号"), so a leak scan for a
    // name cannot match a namesake in scope.
    let table = sea_orm::EntityName::table_name(&student::Entity);
    db.execute_unprepared(&format!(
        "UPDATE {table} SET name = name || CAST(id AS TEXT) || '号'"
    ))
    .await
    .unwrap();

    // Each scope's records, made through the API by the class's head teacher.
    let mut places = HashMap::new();
    let mut pools: HashMap<(&'static str, Scope), Vec<i32>> = HashMap::new();
    let mut shared = HashMap::new();
    let mut moving = BTreeSet::new();
    for (i, (scope, username, _, _, class_id)) in owners.into_iter().enumerate() {
        let tag = scope_tag(scope);
        let owner = logged_in(srv, username).await;
        let mut pupils = students_of(&db, class_id).await.into_iter().map(|s| s.id);
        let student_id = pupils.next().unwrap();
        let dropout = pupils.next().unwrap();
        let photo = jpeg(64 + i as u32, 48);
        let sha = sha256_hex(&photo);
        send_ok(
            srv,
            &owner,
            with(
                Method::PUT,
                format!("/api/v1/attachments/{sha}"),
                Body::Raw("image/jpeg", photo),
            ),
        )
        .await;
        let visit = Uuid::new_v4();
        let mut body = visit_body(student_id, &format!("标记家访{tag}"));
        body["photos"] = json!([sha]);
        send_ok(
            srv,
            &owner,
            json_req(Method::PUT, format!("/api/v1/visits/{visit}"), body),
        )
        .await;
        let plan = Uuid::new_v4();
        let body = json!({
            "student_id": student_id, "reason": "routine",
            "planned_at": format!("{}T16:00:00+08:00", today + Duration::days(2)),
            "note": format!("标记报备{tag}"),
        });
        send_ok(
            srv,
            &owner,
            json_req(Method::PUT, format!("/api/v1/visit-plans/{plan}"), body),
        )
        .await;
        let day = today + Duration::days(20);
        send_ok(
            srv,
            &owner,
            json_req(
                Method::POST,
                "/api/v1/leave",
                json!({
                    "student_id": student_id, "kind": "sick", "start_date": day, "end_date": day,
                    "reason": format!("标记请假{tag}"),
                }),
            ),
        )
        .await;

        // The dropout: marked by the fixture, with a case opened by the owner.
        let mut row: student::ActiveModel = student::Entity::find_by_id(dropout)
            .one(&db)
            .await
            .unwrap()
            .unwrap()
            .into();
        row.status = Set("suspected_dropout".into());
        row.update(&db).await.unwrap();
        send_ok(srv, &owner, json_req(Method::PUT, format!("/api/v1/students/{dropout}/case"), json!({
            "opened_on": today, "reason": format!("标记一生一案{tag}"), "plan": "入户劝返", "responsible": "班主任",
        }))).await;

        // Pending leaves to decide: one shared by the refused calls, and
        // fresh ones for the allowed calls; pupils to change and move.
        let owner_id = user::Entity::find()
            .filter(user::Column::Username.eq(username))
            .one(&db)
            .await
            .unwrap()
            .unwrap()
            .id;
        let school_id = schools_of(&d, c.id)[&scope];
        let mut leaves = Vec::new();
        for _ in 0..6 {
            leaves.push(pending_leave(&db, school_id, student_id, owner_id, today, &tag).await);
        }
        shared.insert(("leave", scope), leaves.pop().unwrap());
        pools.insert(("leave", scope), leaves);
        shared.insert(("status", scope), student_id);
        shared.insert(("move", scope), student_id);
        pools.insert(("status", scope), pupils.by_ref().take(12).collect());
        let movers: Vec<i32> = pupils.by_ref().take(4).collect();
        moving.extend(movers.iter().copied());
        pools.insert(("move", scope), movers);
        places.insert(
            scope,
            Place {
                class_id,
                move_to: match scope {
                    Scope::Own => a2,
                    Scope::OtherClass => a1,
                    Scope::OtherSchool => b2,
                    Scope::OtherCounty => c2,
                },
                student: student_id,
                dropout,
                visit,
                plan,
                photo: sha,
            },
        );
    }

    // The signed scans of this month and a school semester per school.
    let month = format!("{:04}-{:02}", today.year(), today.month());
    let mut school_semesters = HashMap::new();
    for (scope, keeper) in [
        (Scope::Own, "principal"),
        (Scope::OtherSchool, "principal2"),
        (Scope::OtherCounty, "mx_principal_c"),
    ] {
        let client = logged_in(srv, keeper).await;
        send_ok(
            srv,
            &client,
            with(
                Method::PUT,
                format!("/api/v1/reports/monthly/scan?month={month}"),
                Body::Raw("application/pdf", b"%PDF-1.4\n%fixture\n".to_vec()),
            ),
        )
        .await;
        let body = json!({"name": "2039年春季学期", "start": "2039-02-01", "end": "2039-06-30"});
        let mut create = body.clone();
        create["school_id"] = json!(schools_of(&d, c.id)[&scope]);
        let made = send_ok(
            srv,
            &client,
            json_req(Method::POST, "/api/v1/semesters", create),
        )
        .await;
        school_semesters.insert(scope, (made["id"].as_i64().unwrap() as i32, body));
    }
    let county_semesters = [(Scope::Own, &sem1), (Scope::OtherCounty, &sem2)]
        .into_iter()
        .map(|(scope, s)| {
            (
                scope,
                (
                    s.id,
                    json!({"name": s.name, "start": s.start_date, "end": s.end_date}),
                ),
            )
        })
        .collect();

    let principal = logged_in(srv, "principal").await;
    // The import file: the template's header row only (its example row
    // would add a pupil the leak scan does not know about).
    let (_, _, template) = send(
        srv,
        &principal,
        get("/api/v1/imports/students/template"),
        &[],
    )
    .await;
    let template = {
        use calamine::Reader;
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(Cursor::new(template)).unwrap();
        let sheet = book.worksheet_range("学生名册").unwrap();
        let header: Vec<String> = sheet
            .rows()
            .next()
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect();
        format!("{}\n", header.join(",")).into_bytes()
    };
    let rules = send_ok(
        srv,
        &principal,
        get(format!("/api/v1/quota-rules?school_id={}", d.a.id)),
    )
    .await;
    let ladder = send_ok(srv, &principal, get("/api/v1/ladder-rules")).await;

    // The latest weekday: a school day of both counties' semesters.
    let mut roll_day = today;
    while roll_day.weekday().number_from_monday() > 5 {
        roll_day -= Duration::days(1);
    }

    let (markers, readable) = leak_markers(&db, &d, &c, &moving).await;
    World {
        today,
        roll_day,
        month,
        places,
        schools: schools_of(&d, c.id),
        staff,
        school_semesters,
        county_semesters,
        pools: Mutex::new(pools),
        shared,
        counter: AtomicUsize::new(0),
        template,
        ladder,
        county_rules: rules["county"].clone(),
        markers,
        readable,
    }
}

fn scope_tag(s: Scope) -> String {
    match s {
        Scope::Own => "A1",
        Scope::OtherClass => "A2",
        Scope::OtherSchool => "B1",
        Scope::OtherCounty => "C1",
    }
    .to_owned()
}

fn schools_of(d: &Demo, c: i32) -> HashMap<Scope, i32> {
    HashMap::from([
        (Scope::Own, d.a.id),
        (Scope::OtherClass, d.a.id),
        (Scope::OtherSchool, d.b.id),
        (Scope::OtherCounty, c),
    ])
}

async fn pending_leave(
    db: &DatabaseConnection,
    school_id: i32,
    student_id: i32,
    requested_by: i32,
    today: NaiveDate,
    tag: &str,
) -> i32 {
    let day = today + Duration::days(30);
    leave_request::ActiveModel {
        school_id: Set(school_id),
        student_id: Set(student_id),
        kind: Set("personal".into()),
        start_date: Set(day),
        end_date: Set(day),
        reason: Set(format!("标记请假{tag}")),
        note_photo: Set(None),
        status: Set("pending".into()),
        requested_by: Set(requested_by),
        decided_by: Set(None),
        decided_at: Set(None),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap()
    .id
}

/// What each actor must never be shown: the names of students they may not
/// read, the marked records of those classes, and the names of schools,
/// places and teachers outside their schools or area.
async fn leak_markers(
    db: &DatabaseConnection,
    d: &Demo,
    c: &school::Model,
    moving: &BTreeSet<i32>,
) -> (HashMap<Actor, Vec<String>>, HashMap<Actor, BTreeSet<i64>>) {
    let classes = class::Entity::find().all(db).await.unwrap();
    let class_school: HashMap<i32, i32> = classes.iter().map(|c| (c.id, c.school_id)).collect();
    let a1 = class_id(db, d.a.id, "四年级(1)班").await;
    let a2 = class_id(db, d.a.id, "四年级(2)班").await;
    let b1 = class_id(db, d.b.id, "七年级(1)班").await;
    let c1 = class_id(db, c.id, "五年级(1)班").await;
    let tagged = [(a1, "A1"), (a2, "A2"), (b1, "B1"), (c1, "C1")];
    let students = student::Entity::find().all(db).await.unwrap();
    let school_things: [(i32, &[&str]); 3] = [
        (
            d.a.id,
            &[
                "龙川县老隆镇第一小学",
                "一小丙老师",
                "一小丁老师",
                "一小辛老师",
            ],
        ),
        (d.b.id, &["龙川县老隆镇中学", "中学戊老师", "中学壬老师"]),
        (
            c.id,
            &["和平县", "阳明镇", "和平己老师", "和平庚校长", "和平癸老师"],
        ),
    ];
    let mut markers = HashMap::new();
    let mut readable = HashMap::new();
    for actor in ACTORS {
        let schools: BTreeSet<i32> = if actor.officer() {
            [d.a.id, d.b.id].into()
        } else if actor == Actor::Anonymous {
            BTreeSet::new()
        } else {
            [d.a.id].into()
        };
        let reads_class = |class_id: i32| {
            if actor.teacher() {
                class_id == a1
            } else if actor.leader() || actor == Actor::Reviewer {
                class_school[&class_id] == d.a.id
            } else if actor.officer() {
                schools.contains(&class_school[&class_id])
            } else {
                false
            }
        };
        let mut out = Vec::new();
        let mut ids = BTreeSet::new();
        for s in &students {
            // Moved pupils change class during the run; they are neither.
            if moving.contains(&s.id) || reads_class(s.class_id) {
                ids.insert(i64::from(s.id));
            } else {
                out.push(s.name.clone());
            }
        }
        for (class_id, tag) in tagged {
            if !reads_class(class_id) {
                for kind in ["标记家访", "标记报备", "标记请假", "标记一生一案"] {
                    out.push(format!("{kind}{tag}"));
                }
            }
        }
        for (school_id, names) in school_things {
            if !schools.contains(&school_id) {
                out.extend(names.iter().map(|n| n.to_string()));
            }
        }
        markers.insert(actor, out);
        readable.insert(actor, ids);
    }
    (markers, readable)
}

// ---------------------------------------------------------------- calling

async fn send(
    srv: &TestServer,
    client: &Client,
    r: Req,
    headers: &[(&str, &str)],
) -> (StatusCode, String, Vec<u8>) {
    let mut b = client
        .request(r.method, srv.url(&r.path))
        .header("accept", "application/json");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b = match r.body {
        Body::Empty => b,
        Body::Json(v) => b.json(&v),
        Body::Form(f) => b.form(&f),
        Body::Raw(ct, bytes) => b.header("content-type", ct).body(bytes),
        Body::Multipart(fields, file) => {
            let mut form = reqwest::multipart::Form::new();
            for (k, v) in fields {
                form = form.text(k, v);
            }
            form = form.part(
                "file",
                reqwest::multipart::Part::bytes(file).file_name("students.csv"),
            );
            b.multipart(form)
        }
    };
    let res = b.send().await.expect("request");
    let status = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (status, ct, res.bytes().await.expect("body").to_vec())
}

/// The readable text of an answer: JSON as is, every cell of a workbook.
fn answer_text(ct: &str, bytes: &[u8]) -> Option<String> {
    if ct.contains("spreadsheetml") {
        use calamine::Reader;
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("workbook");
        let mut text = String::new();
        for name in book.sheet_names() {
            text.push_str(&name);
            let range = book.worksheet_range(&name).expect("sheet");
            for row in range.rows() {
                for cell in row {
                    text.push('\t');
                    text.push_str(&cell.to_string());
                }
            }
        }
        Some(text)
    } else if ct.starts_with("image/") || ct.starts_with("application/pdf") {
        None
    } else {
        Some(String::from_utf8_lossy(bytes).into_owned())
    }
}

/// Every `student_id` in a JSON answer.
fn student_ids(v: &Value, out: &mut Vec<i64>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "student_id"
                    && let Some(id) = v.as_i64()
                {
                    out.push(id);
                }
                student_ids(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| student_ids(v, out)),
        _ => {}
    }
}

/// Leaks in one answer to `actor`, described.
fn leaks(w: &World, actor: Actor, ct: &str, bytes: &[u8]) -> Vec<String> {
    let Some(text) = answer_text(ct, bytes) else {
        return Vec::new();
    };
    let mut found: Vec<String> = w.markers[&actor]
        .iter()
        .filter(|m| text.contains(m.as_str()))
        .map(|m| format!("names {m}"))
        .collect();
    if let Ok(v) = serde_json::from_str::<Value>(&text) {
        let mut ids = Vec::new();
        student_ids(&v, &mut ids);
        found.extend(
            ids.into_iter()
                .filter(|id| !w.readable[&actor].contains(id))
                .map(|id| format!("student_id {id}")),
        );
    }
    found
}

struct Tally {
    cells: usize,
    allowed: usize,
    denied: usize,
    scanned: usize,
    failures: Vec<String>,
    per_route: BTreeMap<&'static str, usize>,
}

/// The refusal each kind of caller gets.
fn refusal(actor: Actor) -> (StatusCode, &'static str) {
    match actor {
        Actor::Anonymous => (StatusCode::UNAUTHORIZED, "unauthenticated"),
        Actor::PendingPassword => (StatusCode::FORBIDDEN, "password_change_required"),
        _ => (StatusCode::FORBIDDEN, "forbidden"),
    }
}

async fn client_as(srv: &TestServer, actor: Actor) -> Client {
    match actor.username() {
        Some(name) => logged_in(srv, name).await,
        None => new_client(),
    }
}

/// The REST routes the server documents, as "METHOD /api/v1/…".
async fn documented_routes(srv: &TestServer) -> BTreeSet<String> {
    let (status, doc) = srv.get_json("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().unwrap().keys() {
            if ["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                out.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    out
}

/// Paths given to `.route(…)` in the app's source: a route the router
/// serves but the OpenAPI document forgets would escape the matrix.
fn routed_paths() -> BTreeSet<String> {
    fn walk(dir: &std::path::Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for (i, _) in text.match_indices(".route(") {
                    let rest = text[i + 7..].trim_start();
                    if let Some(rest) = rest.strip_prefix('"')
                        && let Some(end) = rest.find('"')
                    {
                        out.insert(format!("/api/v1{}", &rest[..end]));
                    }
                }
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../app/src"),
        &mut out,
    );
    out
}

async fn access_matrix(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let started = std::time::Instant::now();
    let w = build_world(&srv, &db.url).await;
    let fixture_time = started.elapsed();
    let cases = table();

    // Every route and server function is in the table, and the other way round.
    let mut routes = documented_routes(&srv).await;
    let documented: BTreeSet<String> = routes
        .iter()
        .map(|r| r.split_once(' ').unwrap().1.to_owned())
        .collect();
    let undocumented: Vec<String> = routed_paths()
        .into_iter()
        .filter(|p| p != "/api/v1/openapi.json" && !documented.contains(p))
        .collect();
    assert!(
        undocumented.is_empty(),
        "routes served but missing from the OpenAPI document (so from the matrix): {undocumented:?}"
    );
    routes.extend(
        leptos::server_fn::axum::server_fn_paths().map(|(path, method)| format!("{method} {path}")),
    );
    let classified: BTreeSet<String> = cases.iter().map(|c| c.route.to_owned()).collect();
    let unclassified: Vec<&String> = routes.difference(&classified).collect();
    assert!(
        unclassified.is_empty(),
        "routes missing from the access matrix (add a row to `table()` with the rule the code applies): {unclassified:?}"
    );
    let stale: Vec<&String> = classified.difference(&routes).collect();
    assert!(
        stale.is_empty(),
        "table rows for routes that no longer exist: {stale:?}"
    );

    let mut tally = Tally {
        cells: 0,
        allowed: 0,
        denied: 0,
        scanned: 0,
        failures: Vec::new(),
        per_route: BTreeMap::new(),
    };
    let same_origin = [
        ("origin", srv.base.as_str()),
        ("sec-fetch-site", "same-origin"),
    ];
    for actor in ACTORS {
        let client = client_as(&srv, actor).await;
        // The principal's calls look like the browser's own: same-origin
        // state changes must pass the CSRF check.
        let headers: &[(&str, &str)] = if actor == Actor::Principal {
            &same_origin
        } else {
            &[]
        };
        for c in &cases {
            for &scope in c.target.scopes() {
                let expected = (c.allow)(actor, scope);
                let r = (c.build)(&w, actor, scope, expected);
                let call = format!(
                    "{actor:?} {} {} [{}] on {scope:?}",
                    r.method, r.path, c.what
                );
                let own = if c.own_session {
                    Some(client_as(&srv, actor).await)
                } else {
                    None
                };
                let (status, ct, bytes) =
                    send(&srv, own.as_ref().unwrap_or(&client), r, headers).await;
                let (status, bytes) = (c.answer)(status, bytes);
                tally.cells += 1;
                *tally.per_route.entry(c.route).or_default() += 1;
                if expected {
                    tally.allowed += 1;
                    if !(c.reached)(status) {
                        tally.failures.push(format!(
                            "{call}: expected allowed, got {status} {}",
                            String::from_utf8_lossy(&bytes)
                                .chars()
                                .take(200)
                                .collect::<String>()
                        ));
                    }
                } else {
                    tally.denied += 1;
                    let (want, code) = refusal(actor);
                    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                    if status != want || body["error"] != code {
                        tally.failures.push(format!(
                            "{call}: expected {want} {code}, got {status} {}",
                            String::from_utf8_lossy(&bytes)
                                .chars()
                                .take(200)
                                .collect::<String>()
                        ));
                    }
                }
                tally.scanned += 1;
                // An anonymous caller's login cell logs in as the principal.
                let viewer = if c.own_session && actor == Actor::Anonymous && expected {
                    Actor::Principal
                } else {
                    actor
                };
                for leak in leaks(&w, viewer, &ct, &bytes) {
                    tally.failures.push(format!("{call}: LEAK {leak}"));
                }
            }
        }
    }

    // CSRF: every state-changing call the principal is allowed to make is
    // refused when the browser says it comes from another site.
    let principal = client_as(&srv, Actor::Principal).await;
    let mut csrf = 0;
    for c in cases.iter().filter(|c| !c.route.starts_with("GET ")) {
        for cross in [
            [
                ("origin", "http://evil.example"),
                ("sec-fetch-site", "cross-site"),
            ],
            [("origin", "null"), ("sec-fetch-site", "same-site")],
            [
                ("origin", "http://127.0.0.1.evil.example"),
                ("x-note", "no fetch metadata"),
            ],
        ] {
            let r = (c.build)(&w, Actor::Principal, Scope::Own, false);
            let call = format!(
                "cross-site {} {} [{}] ({})",
                r.method, r.path, c.what, cross[0].1
            );
            let (status, _, bytes) = send(&srv, &principal, r, &cross).await;
            let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            csrf += 1;
            if status != StatusCode::FORBIDDEN || body["error"] != "cross_origin" {
                tally.failures.push(format!(
                    "{call}: expected 403 cross_origin, got {status} {body}"
                ));
            }
        }
    }
    // Nothing a refused cross-site call asked for happened.
    let conn = app::db::connect(&db.url).await.unwrap();
    let untouched = student::Entity::find_by_id(w.place(Scope::Own).student)
        .one(&conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        untouched.status, "in_school",
        "a cross-site status change was applied"
    );

    println!(
        "access matrix ({backend:?}): {} routes and server functions, {} cells ({} allowed, {} denied) \
         for {} roles × up to 4 scopes, {} answers scanned for leaks, {} cross-site calls refused; \
         fixture {:.1} s, whole run {:.1} s",
        tally.per_route.len(),
        tally.cells,
        tally.allowed,
        tally.denied,
        ACTORS.len(),
        tally.scanned,
        csrf,
        fixture_time.as_secs_f64(),
        started.elapsed().as_secs_f64(),
    );
    assert!(
        tally.failures.is_empty(),
        "{} of {} cells wrong:\n{}",
        tally.failures.len(),
        tally.cells,
        tally.failures.join("\n")
    );
    srv.stop().await;
}

// ---------------------------------------------------------------- sessions

fn cookie_of(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("jiafang_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

/// A request carrying exactly `cookie` (no cookie store).
async fn with_cookie(
    srv: &TestServer,
    method: Method,
    path: &str,
    cookie: &str,
) -> reqwest::Response {
    Client::new()
        .request(method, srv.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

async fn me_with(srv: &TestServer, cookie: &str) -> (StatusCode, Value) {
    let res = with_cookie(srv, Method::GET, "/api/v1/me", cookie).await;
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Session fixation: a session id the attacker knows (their own live
/// session, or one they made up) and planted in the victim's browser is
/// replaced when the victim logs in, through the REST API and through the
/// login form's server function, and the planted id gives nothing.
async fn planted_session_ids_are_replaced_at_login(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let attacker = login_with(
        &Client::new(),
        &srv.url("/api/v1/session"),
        "teacher",
        "demo-password",
    )
    .await;
    let attackers_own = cookie_of(&attacker).expect("cookie");
    let made_up = "jiafang_session=AAAAAAAAAAAAAAAAAAAAAA".to_owned();
    for planted in [attackers_own, made_up] {
        for via_server_fn in [false, true] {
            let req = if via_server_fn {
                Client::new()
                    .post(srv.url("/api/login"))
                    .form(&[("username", "principal"), ("password", "demo-password")])
            } else {
                Client::new()
                    .post(srv.url("/api/v1/session"))
                    .json(&json!({"username": "principal", "password": "demo-password"}))
            };
            let res = req.header("cookie", &planted).send().await.unwrap();
            assert!(
                res.status().is_success() || res.status().is_redirection(),
                "{}",
                res.status()
            );
            let issued = cookie_of(&res).expect("a session cookie is set at login");
            assert_ne!(
                issued, planted,
                "the planted id was kept (server fn: {via_server_fn})"
            );
            assert_eq!(me_with(&srv, &issued).await.1["username"], "principal");
            let (status, me) = me_with(&srv, &planted).await;
            assert!(
                me["username"] != "principal",
                "the planted id {planted} got the victim's session ({status})"
            );
        }
    }
    srv.stop().await;
}

/// Logging out (REST or server function) ends the session on the server:
/// the old cookie, replayed, is refused for reads, for state changes and by
/// the server functions, and its row is gone.
async fn a_logged_out_cookie_is_refused_everywhere(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let class = common::demo_class_id(&db.url, "第一小学", "三年级(1)班").await;
    let conn = app::db::connect(&db.url).await.unwrap();
    for via_server_fn in [false, true] {
        let res = login_with(
            &Client::new(),
            &srv.url("/api/v1/session"),
            "head",
            "demo-password",
        )
        .await;
        let cookie = cookie_of(&res).unwrap();
        let id = cookie.trim_start_matches("jiafang_session=").to_owned();
        assert_eq!(
            session::Entity::find_by_id(id.clone())
                .count(&conn)
                .await
                .unwrap(),
            1
        );
        let out = if via_server_fn {
            Client::new()
                .post(srv.url("/api/logout"))
                .header("cookie", &cookie)
                .form(&[("x", "")])
                .send()
                .await
                .unwrap()
        } else {
            with_cookie(&srv, Method::DELETE, "/api/v1/session", &cookie).await
        };
        assert!(
            out.status().is_success() || out.status().is_redirection(),
            "{}",
            out.status()
        );
        assert_eq!(
            session::Entity::find_by_id(id).count(&conn).await.unwrap(),
            0,
            "the session row is deleted (server fn: {via_server_fn})"
        );
        assert_eq!(me_with(&srv, &cookie).await.0, StatusCode::UNAUTHORIZED);
        let write = Client::new()
            .put(srv.url(&format!(
                "/api/v1/roll-calls/{class}/{}",
                app::semesters::service::today()
            )))
            .header("cookie", &cookie)
            .json(&json!({"absent": []}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            write.status(),
            StatusCode::UNAUTHORIZED,
            "a state change with the old cookie"
        );
        let fn_me: Value = Client::new()
            .post(srv.url("/api/get_me"))
            .header("cookie", &cookie)
            .header("accept", "application/json")
            .form(&[("x", "")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(fn_me, Value::Null, "server functions see nobody");
        let fn_list = Client::new()
            .post(srv.url("/api/list_my_students"))
            .header("cookie", &cookie)
            .header("accept", "application/json")
            .form(&[("x", "")])
            .send()
            .await
            .unwrap();
        assert_eq!(fn_list.status(), StatusCode::UNAUTHORIZED);
    }
    srv.stop().await;
}

/// The per-account lock counts failures from the login form's server
/// function and from old-password guesses, refuses the right password
/// during the lock on both paths, and the per-address limit cannot be
/// dodged by sending a different `X-Forwarded-For` each time (the proxy
/// header is only trusted with `JIAFANG_TRUST_PROXY`).
async fn the_login_lock_spans_every_path(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let fn_login = |client: &Client, user: &str, pass: &str| {
        client
            .post(srv.url("/api/login"))
            .header("accept", "application/json")
            .form(&[("username", user.to_owned()), ("password", pass.to_owned())])
            .send()
    };
    let client = new_client();
    for _ in 0..5 {
        let res = fn_login(&client, "head", "guess").await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let rest = srv.login("head", "demo-password").await;
    assert_eq!(
        rest.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "REST login during a lock earned through the form"
    );
    let form = fn_login(&client, "head", "demo-password").await.unwrap();
    assert_eq!(
        form.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the form during the lock"
    );
    let body: Value = form.json().await.unwrap();
    assert_eq!(body["error"], "rate_limited", "{body}");

    // Guessing the old password of a stolen session locks the account too.
    let thief = common::client_for(&srv, "teacher").await;
    for _ in 0..5 {
        let res = thief
            .put(srv.url("/api/v1/me/password"))
            .json(&json!({"old_password": "guess", "new_password": "新的密码abc2026"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let res = thief
        .put(srv.url("/api/v1/me/password"))
        .json(&json!({"old_password": "demo-password", "new_password": "新的密码abc2026"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the right old password during the lock"
    );
    assert_eq!(
        srv.login("teacher", "demo-password").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    // Spraying from one address behind made-up proxy headers.
    let spray = new_client();
    let mut limited = None;
    for i in 0..40 {
        let res = spray
            .post(srv.url("/api/v1/session"))
            .header(
                "x-forwarded-for",
                format!("10.9.{}.{}", i / 200, i % 200 + 1),
            )
            .json(&json!({"username": format!("spray{i}"), "password": "x"}))
            .send()
            .await
            .unwrap();
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(i);
            break;
        }
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    // Ten failures above came from this address already.
    let expected = app::auth::rate_limit::MAX_FAILURES_PER_IP as usize - 10;
    assert_eq!(
        limited,
        Some(expected),
        "forged X-Forwarded-For must not dodge the per-address limit"
    );
    srv.stop().await;
}

/// Changing the password through the page's server function ends the
/// account's other sessions (as the REST route does, see auth.rs) and keeps
/// the one that changed it.
async fn a_password_changed_on_the_page_ends_other_sessions(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let other = common::client_for(&srv, "admin").await;
    let this = common::client_for(&srv, "admin").await;
    let res = this
        .post(srv.url("/api/change_password"))
        .header("accept", "application/json")
        .form(&[
            ("old_password", "demo-password"),
            ("new_password", "矩阵新密码2026x"),
            ("confirm_password", "矩阵新密码2026x"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.status()
    );
    let me = |c: &Client| c.get(srv.url("/api/v1/me")).send();
    assert_eq!(
        me(&this).await.unwrap().status(),
        StatusCode::OK,
        "own session stays"
    );
    assert_eq!(
        me(&other).await.unwrap().status(),
        StatusCode::UNAUTHORIZED,
        "the other device is logged out"
    );
    srv.stop().await;
}

on_both_backends!(
    access_matrix,
    planted_session_ids_are_replaced_at_login,
    a_logged_out_cookie_is_refused_everywhere,
    the_login_lock_spans_every_path,
    a_password_changed_on_the_page_ends_other_sessions,
);
