//! Migrations apply, roll back completely, and re-apply, on SQLite and on
//! a real PostgreSQL.

mod common;

use common::{Backend, TestDb};
use migrations::{Migrator, MigratorTrait};
use sea_orm_migration::SchemaManager;

const TABLES: [&str; 20] = [
    "county",
    "town",
    "school",
    "grade",
    "class",
    "semester",
    "users",
    "user_role",
    "student",
    "guardian",
    "student_status_history",
    "session",
    "login_failure",
    "audit_log",
    "attachments",
    "visit_plans",
    "visits",
    "visit_photos",
    "visit_co_visitors",
    "visit_revisions",
];

async fn migrations_up_down_up(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = app::db::connect(&test_db.url).await.unwrap();

    Migrator::up(&db, None).await.unwrap();
    let manager = SchemaManager::new(&db);
    for table in TABLES {
        assert!(
            manager.has_table(table).await.unwrap(),
            "{table} exists after up"
        );
    }
    assert!(
        Migrator::get_pending_migrations(&db)
            .await
            .unwrap()
            .is_empty()
    );

    // The demo data goes in, so down must cope with real rows and foreign keys.
    server::demo::seed(&db).await.unwrap();

    Migrator::down(&db, None).await.unwrap();
    for table in TABLES {
        assert!(
            !manager.has_table(table).await.unwrap(),
            "{table} dropped after down"
        );
    }
    assert_eq!(
        Migrator::get_pending_migrations(&db).await.unwrap().len(),
        Migrator::migrations().len()
    );

    Migrator::up(&db, None).await.unwrap();
    for table in TABLES {
        assert!(
            manager.has_table(table).await.unwrap(),
            "{table} exists after re-up"
        );
    }
}

async fn demo_seed_is_idempotent(backend: Backend) {
    use sea_orm::{EntityTrait, PaginatorTrait};
    let test_db = TestDb::new(backend).await;
    let db = app::db::connect(&test_db.url).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    server::demo::seed(&db).await.unwrap();
    let students = app::db::entities::student::Entity::find()
        .count(&db)
        .await
        .unwrap();
    let users = app::db::entities::user::Entity::find()
        .count(&db)
        .await
        .unwrap();
    server::demo::seed(&db).await.unwrap();
    assert_eq!(
        app::db::entities::student::Entity::find()
            .count(&db)
            .await
            .unwrap(),
        students
    );
    assert_eq!(
        app::db::entities::user::Entity::find()
            .count(&db)
            .await
            .unwrap(),
        users
    );
    assert!(
        (40 * 6..=50 * 6).contains(&students),
        "six classes of 40–50 students, got {students}"
    );
}

on_both_backends!(migrations_up_down_up, demo_seed_is_idempotent);
