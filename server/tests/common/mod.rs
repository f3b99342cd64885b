//! Test support: a real server on a loopback port over a real database,
//! a SQLite file in a temp dir or a fresh database in the throwaway
//! PostgreSQL cluster that `scripts/with-postgres.sh` starts.
#![allow(dead_code)]

pub mod images;

use std::collections::HashMap;

use app::config::Config;
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database for one test; dropping it removes the SQLite file's folder.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("test.sqlite").display()
                );
                TestDb {
                    url,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let base = pg_base_url();
                let name = format!("jf_{}", uuid::Uuid::new_v4().simple());
                let admin = sea_orm::Database::connect(&base)
                    .await
                    .expect("connect to the test cluster");
                sea_orm::ConnectionTrait::execute_unprepared(
                    &admin,
                    &format!("CREATE DATABASE {name}"),
                )
                .await
                .expect("create test database");
                admin.close().await.ok();
                let url = match base.rsplit_once('/') {
                    Some((prefix, _)) => format!("{prefix}/{name}"),
                    None => panic!("JIAFANG_TEST_PG_URL must end with /<database>"),
                };
                TestDb { url, _dir: None }
            }
        }
    }
}

/// PostgreSQL is part of the suite, not optional: without the cluster the
/// tests fail, unless a developer explicitly opts out for a quick run.
fn pg_base_url() -> String {
    match std::env::var("JIAFANG_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "JIAFANG_TEST_PG_URL is not set: run the tests with `make test` (scripts/with-postgres.sh starts a \
             throwaway PostgreSQL cluster)"
        ),
    }
}

pub fn config_for(db_url: &str) -> Config {
    let mut vars: HashMap<&str, String> = HashMap::new();
    vars.insert("JIAFANG_DATABASE_URL", db_url.to_owned());
    vars.insert("JIAFANG_BIND", "127.0.0.1:0".into());
    vars.insert("JIAFANG_DEMO", "1".into());
    vars.insert(
        "JIAFANG_SITE_ROOT",
        std::env::temp_dir()
            .join("jiafang-no-site")
            .display()
            .to_string(),
    );
    vars.insert(
        "JIAFANG_STORAGE_DIR",
        std::env::temp_dir()
            .join("jiafang-test-photos")
            .display()
            .to_string(),
    );
    Config::from_lookup(|k| vars.get(k).cloned()).expect("test config")
}

pub struct TestServer {
    pub base: String,
    pub client: Client,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Start a server on `db` (migrated and seeded with the demo data).
    pub async fn start(db: &TestDb) -> TestServer {
        Self::start_with_client(db, new_client()).await
    }

    /// Start with an existing client (its cookie jar), e.g. after a restart.
    pub async fn start_with_client(db: &TestDb, client: Client) -> TestServer {
        Self::start_with_config(config_for(&db.url), client).await
    }

    /// Start with a configuration of the test's own (another photo store…).
    pub async fn start_with_config(config: Config, client: Client) -> TestServer {
        let state = server::build_state(config).await.expect("server state");
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            server::run(state, listener, async {
                let _ = rx.await;
            })
            .await
            .expect("server run");
        });
        TestServer {
            base,
            client,
            shutdown: Some(tx),
            handle: Some(handle),
        }
    }

    pub async fn stop(mut self) -> Client {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.handle.take() {
            handle.await.expect("server task");
        }
        self.client.clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A second, independent browser-like client.
    pub fn fresh_client(&self) -> Client {
        new_client()
    }

    pub async fn login(&self, username: &str, password: &str) -> Response {
        login_with(
            &self.client,
            &self.url("/api/v1/session"),
            username,
            password,
        )
        .await
    }

    pub async fn login_ok(&self, username: &str) -> Value {
        let res = self.login(username, "demo-password").await;
        assert_eq!(res.status(), StatusCode::OK, "login as {username}");
        res.json().await.unwrap()
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn get_json(&self, path: &str) -> (StatusCode, Value) {
        let res = self.get(path).await;
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Call a Leptos server function the way the browser's form posts do.
    pub async fn server_fn(&self, name: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let res = self
            .client
            .post(self.url(&format!("/api/{name}")))
            .header("Accept", "application/json")
            .form(form)
            .send()
            .await
            .expect("server fn request");
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

pub fn new_client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
}

pub async fn login_with(client: &Client, url: &str, username: &str, password: &str) -> Response {
    client
        .post(url)
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("login request")
}

/// Generate `sqlite` and `postgres` variants of an async test taking a `Backend`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() { super::$name($crate::common::Backend::Sqlite).await }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() { super::$name($crate::common::Backend::Postgres).await }
            )*
        }
    };
}

/// The demo school whose name contains `part` (第一小学 = school A, 中学 = school B).
pub async fn demo_school(db_url: &str, part: &str) -> app::db::entities::school::Model {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let db = app::db::connect(db_url).await.expect("connect");
    app::db::entities::school::Entity::find()
        .filter(app::db::entities::school::Column::Name.contains(part))
        .one(&db)
        .await
        .expect("query")
        .unwrap_or_else(|| panic!("no demo school named like {part}"))
}

/// Id of the class `class_name` in the demo school whose name contains `school_part`.
pub async fn demo_class_id(db_url: &str, school_part: &str, class_name: &str) -> i32 {
    use app::db::entities::class;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let school = demo_school(db_url, school_part).await;
    let db = app::db::connect(db_url).await.expect("connect");
    class::Entity::find()
        .filter(class::Column::SchoolId.eq(school.id))
        .filter(class::Column::Name.eq(class_name))
        .one(&db)
        .await
        .expect("query")
        .unwrap_or_else(|| panic!("no class {class_name} in {school_part}"))
        .id
}

/// The first student (by id) of `class_name` in the demo school whose name contains `school_part`.
pub async fn demo_student(db_url: &str, school_part: &str, class_name: &str) -> i32 {
    use app::db::entities::student;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let class_id = demo_class_id(db_url, school_part, class_name).await;
    let db = app::db::connect(db_url).await.expect("connect");
    student::Entity::find()
        .filter(student::Column::ClassId.eq(class_id))
        .order_by_asc(student::Column::Id)
        .one(&db)
        .await
        .expect("query")
        .unwrap_or_else(|| panic!("no student in {class_name}"))
        .id
}

/// Id of the demo account `username`.
pub async fn demo_user_id(db_url: &str, username: &str) -> i32 {
    use app::db::entities::user;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let db = app::db::connect(db_url).await.expect("connect");
    user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(&db)
        .await
        .expect("query")
        .unwrap_or_else(|| panic!("no user {username}"))
        .id
}

/// A client logged in as the demo account `username`.
pub async fn client_for(srv: &TestServer, username: &str) -> Client {
    let client = srv.fresh_client();
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
