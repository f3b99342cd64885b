//! County-scale figures for the quota features (not a timed test): a
//! generated county of 200 schools, 5,000 teachers, 80,000 students and
//! 500,000 visits, on SQLite and, when `JIAFANG_TEST_PG_URL` is set (see
//! `scripts/with-postgres.sh`), on a fresh PostgreSQL database too.
//!
//!   scripts/with-postgres.sh cargo bench -p server --bench county
//!
//! Prints p50/p95/max of the teacher's quota lookup and of the principal's
//! and county's dashboards, each with the p50 of a bare indexed count run
//! in the same process as a baseline, and ✔/✘ against the goals; also how
//! SQLite plans the visit tallies and how long they alone take.
//!
//! `JIAFANG_BENCH_SQLITE=path` keeps the SQLite file, and
//! `JIAFANG_BENCH_KEEP_PG=1` the PostgreSQL database, for a closer look.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use app::auth::Role;
use app::auth::current_user::CurrentUser;
use app::db::entities::{
    class, county, grade, quota_rule, school, semester, student, town, user, user_role, visit,
    visit_co_visitor,
};
use app::quotas::QuotaRules;
use app::quotas::dashboard::{area_dashboard, school_dashboard};
use app::quotas::service::quota_for;
use app::quotas::tallies::{Scope, rebuild, tallies, tallies_from_visits, visit_tally_queries};
use chrono::{Datelike, Days, NaiveDate, TimeZone, Utc};
use migrations::{Migrator, MigratorTrait};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use sea_orm::sea_query::{Asterisk, Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QuerySelect, QueryTrait, Set, Statement, TransactionTrait,
};
use sha2::{Digest, Sha256};

const TOWNS: usize = 10;
const SCHOOLS: usize = 200;
const GRADES_PER_SCHOOL: usize = 3;
const CLASSES_PER_GRADE: usize = 3;
const CLASSES_PER_SCHOOL: usize = GRADES_PER_SCHOOL * CLASSES_PER_GRADE;
const CLASSES: usize = SCHOOLS * CLASSES_PER_SCHOOL;
const STUDENTS: usize = 80_000;
/// Per school: principal, vice principal, 9 head teachers, 14 subject teachers.
const STAFF_PER_SCHOOL: usize = 25;
const HEADS_FROM: usize = 2;
const SUBJECT_FROM: usize = HEADS_FROM + CLASSES_PER_SCHOOL;
const TEACHERS: usize = SCHOOLS * STAFF_PER_SCHOOL;
const VISITS: usize = 500_000;

/// Samples per operation; the county dashboard is the slow one.
const QUOTA_SAMPLES: usize = 200;
const SCHOOL_SAMPLES: usize = 50;
const AREA_SAMPLES: usize = 20;

const QUOTA_GOAL: Duration = Duration::from_millis(20);
const DASHBOARD_GOAL: Duration = Duration::from_millis(200);

/// Rows per multi-row INSERT: the widest table (visits, 29 columns) stays
/// under SQLite's 32,766 bound parameters.
const CHUNK: usize = 1_000;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "郑", "梁", "谢", "宋", "唐", "邓", "曾", "彭", "萧", "蔡", "潘",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明",
    "超", "秀英", "华", "慧", "建国", "红梅", "志强", "晓东", "海燕", "子涵", "梓萱", "浩然",
    "宇轩", "欣怡",
];
const SUBJECTS: &[&str] = &[
    "语文",
    "数学",
    "英语",
    "科学",
    "道德与法治",
    "体育",
    "音乐",
    "美术",
];

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> BenchResult<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

async fn run() -> BenchResult<()> {
    println!(
        "county benchmark: {SCHOOLS} schools, {TEACHERS} teachers, {STUDENTS} students, \
         {VISITS} visits"
    );
    let dir = tempfile::tempdir()?;
    // JIAFANG_BENCH_SQLITE=path keeps the generated county, e.g. for
    // `sqlite3 path 'EXPLAIN QUERY PLAN …'`.
    let sqlite_path = match std::env::var("JIAFANG_BENCH_SQLITE") {
        Ok(path) if !path.is_empty() => {
            for end in ["", "-wal", "-shm"] {
                std::fs::remove_file(format!("{path}{end}")).ok();
            }
            std::path::PathBuf::from(path)
        }
        _ => dir.path().join("county.sqlite"),
    };
    let sqlite_url = format!("sqlite://{}?mode=rwc", sqlite_path.display());
    let mut digests = Vec::new();
    digests.push(bench_backend("SQLite", &sqlite_url).await?);

    match std::env::var("JIAFANG_TEST_PG_URL") {
        Ok(base) if !base.is_empty() => {
            let (url, name) = fresh_pg_database(&base).await?;
            let digest = bench_backend("PostgreSQL", &url).await;
            // JIAFANG_BENCH_KEEP_PG=1 keeps the database, e.g. for EXPLAIN.
            if std::env::var("JIAFANG_BENCH_KEEP_PG").is_ok_and(|v| v == "1") {
                println!("kept {url}");
            } else {
                drop_pg_database(&base, &name).await?;
            }
            digests.push(digest?);
        }
        _ => println!(
            "\nPostgreSQL skipped: JIAFANG_TEST_PG_URL is not set \
             (run through scripts/with-postgres.sh)"
        ),
    }
    if digests.len() == 2 {
        // Same data, same answers: a cheap check that both backends agree.
        println!(
            "\nresults identical on both backends: {}",
            if digests[0] == digests[1] {
                "yes ✔"
            } else {
                "NO ✘"
            }
        );
    }
    Ok(())
}

/// A new database in the cluster, as `server/tests/common` makes them.
async fn fresh_pg_database(base: &str) -> BenchResult<(String, String)> {
    let name = format!("jf_bench_{}", uuid::Uuid::new_v4().simple());
    let admin = sea_orm::Database::connect(base).await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await?;
    admin.close().await?;
    let (prefix, _) = base
        .rsplit_once('/')
        .ok_or("JIAFANG_TEST_PG_URL must end with /<database>")?;
    Ok((format!("{prefix}/{name}"), name))
}

async fn drop_pg_database(base: &str, name: &str) -> BenchResult<()> {
    let admin = sea_orm::Database::connect(base).await?;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
        .await?;
    admin.close().await?;
    Ok(())
}

/// Generate, measure, print; returns a digest of the dashboards' answers.
async fn bench_backend(label: &str, url: &str) -> BenchResult<String> {
    println!("\n== {label} ==");
    let db = app::db::connect(url).await?;
    Migrator::up(&db, None).await?;
    let started = Instant::now();
    let county = generate(&db).await?;
    println!(
        "generated in {:.1} s: {} towns, {SCHOOLS} schools, {CLASSES} classes, {STUDENTS} \
         students, {} users, {} roles, {VISITS} visits ({} with a co-visitor, {} returned)",
        started.elapsed().as_secs_f64(),
        TOWNS,
        TEACHERS + 1,
        county.roles,
        county.co_visits,
        county.returned,
    );
    // The visits went in by bulk INSERTs, not through the app's save path
    // that keeps the monthly tallies: count them once, as an operator
    // would after loading visits (`jiafang rebuild-tallies`).
    let t = Instant::now();
    let kept = rebuild(&db).await?;
    println!(
        "monthly visit tallies rebuilt in {:.1} s: {kept} rows",
        t.elapsed().as_secs_f64()
    );
    if db.get_database_backend() == DbBackend::Postgres {
        // What autovacuum does soon after a bulk load anyway (the
        // visibility map lets PostgreSQL answer counts from an index).
        let t = Instant::now();
        db.execute_unprepared("VACUUM ANALYZE").await?;
        println!("VACUUM ANALYZE in {:.1} s", t.elapsed().as_secs_f64());
    }

    let mut rng = StdRng::seed_from_u64(7);
    let teachers: Vec<i32> = (0..QUOTA_SAMPLES)
        .map(|_| rng.gen_range(1..=TEACHERS as i32))
        .collect();
    let schools: Vec<usize> = (0..SCHOOL_SAMPLES)
        .map(|_| rng.gen_range(0..SCHOOLS))
        .collect();
    let mut users: HashMap<i32, CurrentUser> = HashMap::new();
    for id in teachers
        .iter()
        .copied()
        .chain(schools.iter().map(|s| principal_id(*s)))
        .chain([county.officer_id])
    {
        if let std::collections::hash_map::Entry::Vacant(e) = users.entry(id) {
            e.insert(CurrentUser::load(&db, id).await?);
        }
    }
    let officer = &users[&county.officer_id];

    // Warm-up: the first dashboard freezes every class size for the semester.
    let t = Instant::now();
    let area = area_dashboard(&db, officer).await?;
    println!(
        "warm-up county dashboard (freezes {CLASSES} class sizes) in {:.0} ms: {} schools, \
         {} teachers, required {}, completed {} ({}%), {} behind, {} visits this week",
        ms(t.elapsed()),
        area.schools.len(),
        area.teachers,
        area.required,
        area.completed,
        area.completion_percent,
        area.teachers_behind,
        area.visits_this_week,
    );
    if db.get_database_backend() == DbBackend::Sqlite {
        print_sqlite_plans(&db, &county.semester).await?;
    }
    let sample = school_dashboard(&db, &users[&principal_id(schools[0])], None, None).await?;
    let quota = quota_for(&db, &users[&teachers[0]], None).await?;
    let mut digest = Sha256::new();
    digest.update(serde_json::to_vec(&area)?);
    digest.update(serde_json::to_vec(&sample)?);

    println!(
        "{:<26} {:>4} {:>9} {:>9} {:>9} {:>14} {:>9}   goal",
        "operation", "n", "p50", "p95", "max", "baseline p50", "p50/base"
    );

    // Teacher's quota lookup against a bare indexed count of their visits.
    let mut times = Vec::new();
    for id in &teachers {
        let t = Instant::now();
        let q = quota_for(&db, &users[id], None).await?;
        times.push(t.elapsed());
        digest.update(q.counted.to_le_bytes());
    }
    let mut base = Vec::new();
    for id in &teachers {
        let t = Instant::now();
        count_by_visitor(&db, *id).await?;
        base.push(t.elapsed());
    }
    report("teacher quota lookup", times, base, Some(QUOTA_GOAL));

    let sem = county.semester;
    let mut times = Vec::new();
    for s in &schools {
        let t = Instant::now();
        let d = school_dashboard(&db, &users[&principal_id(*s)], None, None).await?;
        times.push(t.elapsed());
        digest.update(d.completed.to_le_bytes());
    }
    let mut base = Vec::new();
    for s in &schools {
        let t = Instant::now();
        count_in_schools(&db, &[school_id(*s)], &sem).await?;
        base.push(t.elapsed());
    }
    report("principal dashboard", times, base, Some(DASHBOARD_GOAL));

    let all: Vec<i32> = (0..SCHOOLS).map(school_id).collect();
    let mut times = Vec::new();
    for _ in 0..AREA_SAMPLES {
        let t = Instant::now();
        let d = area_dashboard(&db, officer).await?;
        times.push(t.elapsed());
        digest.update(d.completed.to_le_bytes());
    }
    let mut base = Vec::new();
    for _ in 0..AREA_SAMPLES {
        let t = Instant::now();
        count_in_schools(&db, &all, &sem).await?;
        base.push(t.elapsed());
    }
    report(
        "county dashboard",
        times,
        base.clone(),
        Some(DASHBOARD_GOAL),
    );
    // The two grouped queries the county dashboard spends most time in.
    let mut times = Vec::new();
    for _ in 0..AREA_SAMPLES {
        let t = Instant::now();
        tallies(&db, Scope::Schools(&all), &sem).await?;
        times.push(t.elapsed());
    }
    report("  of which visit tallies", times, base.clone(), None);
    // The same tallies grouped from the visits themselves, as the
    // dashboards did before the monthly tallies were kept.
    let mut times = Vec::new();
    for _ in 0..AREA_SAMPLES {
        let t = Instant::now();
        tallies_from_visits(&db, &Scope::Schools(&all), sem.start_date, sem.end_date).await?;
        times.push(t.elapsed());
    }
    report("  (tallies from visits)", times, base, None);
    let mut kept = tallies(&db, Scope::Schools(&all), &sem).await?;
    let mut counted =
        tallies_from_visits(&db, &Scope::Schools(&all), sem.start_date, sem.end_date).await?;
    let key = |t: &app::quotas::tallies::PersonTally| {
        (
            t.user_id,
            t.school_id,
            t.tally.mode.code(),
            t.tally.as_co_visitor,
            t.tally.returned,
        )
    };
    kept.sort_by_key(key);
    counted.sort_by_key(key);
    println!(
        "kept tallies equal the visits counted afresh: {}",
        if kept == counted { "yes ✔" } else { "NO ✘" }
    );
    println!(
        "baselines: quota = SELECT count(*) FROM visits WHERE visitor_id = ?; dashboards = \
         count(*) of the semester's visits of the school / of all {SCHOOLS} schools"
    );
    println!(
        "sample quota: required {}, counted {}, returned {}",
        quota.required, quota.counted, quota.returned
    );

    db.close().await?;
    Ok(hex::encode(digest.finalize()))
}

/// How SQLite runs the tally queries (the dashboards' heavy part).
async fn print_sqlite_plans(db: &DatabaseConnection, sem: &semester::Model) -> BenchResult<()> {
    let all: Vec<i32> = (0..SCHOOLS).map(school_id).collect();
    let scopes = [
        ("county", Scope::Schools(&all)),
        ("school", Scope::Schools(&all[..1])),
        ("teacher", Scope::Person(staff_id(0, HEADS_FROM))),
    ];
    for (what, scope) in scopes {
        let (filed, joined) = visit_tally_queries(&scope, sem.start_date, sem.end_date);
        for (kind, stmt) in [
            ("filed", filed.build(DbBackend::Sqlite)),
            ("co-visits", joined.build(DbBackend::Sqlite)),
        ] {
            let explain = Statement::from_sql_and_values(
                DbBackend::Sqlite,
                format!("EXPLAIN QUERY PLAN {}", stmt.sql),
                stmt.values.map(|v| v.0).unwrap_or_default(),
            );
            let steps: Vec<String> = db
                .query_all_raw(explain)
                .await?
                .iter()
                .map(|row| row.try_get::<String>("", "detail"))
                .collect::<Result<_, _>>()?;
            println!("plan, {what} {kind}: {}", steps.join("; "));
        }
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[Duration], p: usize) -> Duration {
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted[rank - 1]
}

fn report(what: &str, mut times: Vec<Duration>, mut base: Vec<Duration>, goal: Option<Duration>) {
    times.sort();
    base.sort();
    let (p50, p95, max) = (
        percentile(&times, 50),
        percentile(&times, 95),
        times[times.len() - 1],
    );
    let b50 = percentile(&base, 50);
    let verdict = goal.map_or(String::new(), |goal| {
        let mark = if p95 <= goal { "✔" } else { "✘" };
        format!("p95 ≤ {} ms {mark}", goal.as_millis())
    });
    println!(
        "{what:<26} {:>4} {:>6.2} ms {:>6.2} ms {:>6.2} ms {:>11.3} ms {:>8.1}×   {verdict}",
        times.len(),
        ms(p50),
        ms(p95),
        ms(max),
        ms(b50),
        p50.as_secs_f64() / b50.as_secs_f64().max(1e-9),
    );
}

async fn count_by_visitor(db: &DatabaseConnection, visitor_id: i32) -> BenchResult<i64> {
    let n: Option<i64> = visit::Entity::find()
        .select_only()
        .column_as(Expr::from(Func::count(Expr::col(Asterisk))), "n")
        .filter(visit::Column::VisitorId.eq(visitor_id))
        .into_tuple()
        .one(db)
        .await?;
    Ok(n.unwrap_or(0))
}

async fn count_in_schools(
    db: &DatabaseConnection,
    schools: &[i32],
    sem: &semester::Model,
) -> BenchResult<i64> {
    let n: Option<i64> = visit::Entity::find()
        .select_only()
        .column_as(Expr::from(Func::count(Expr::col(Asterisk))), "n")
        .filter(visit::Column::SchoolId.is_in(schools.iter().copied()))
        .filter(visit::Column::VisitDate.gte(sem.start_date))
        .filter(visit::Column::VisitDate.lte(sem.end_date))
        .into_tuple()
        .one(db)
        .await?;
    Ok(n.unwrap_or(0))
}

// Ids are given explicitly so the generator needs no lookups.
fn school_id(s: usize) -> i32 {
    s as i32 + 1
}
fn class_id(s: usize, c: usize) -> i32 {
    (s * CLASSES_PER_SCHOOL + c) as i32 + 1
}
fn staff_id(s: usize, k: usize) -> i32 {
    (s * STAFF_PER_SCHOOL + k) as i32 + 1
}
fn principal_id(s: usize) -> i32 {
    staff_id(s, 0)
}

/// (user, role, school index, class, subject)
type RoleRow = (i32, Role, Option<usize>, Option<i32>, Option<&'static str>);

struct County {
    semester: semester::Model,
    officer_id: i32,
    roles: usize,
    co_visits: usize,
    returned: usize,
}

fn pick<'a>(rng: &mut StdRng, items: &[&'a str]) -> &'a str {
    items.choose(rng).copied().unwrap_or_default()
}

fn name(rng: &mut StdRng) -> String {
    format!("{}{}", pick(rng, SURNAMES), pick(rng, GIVEN))
}

async fn insert_chunks<A>(
    db: &impl ConnectionTrait,
    rows: impl IntoIterator<Item = A>,
) -> BenchResult<()>
where
    A: ActiveModelTrait + Send,
{
    let mut chunk = Vec::with_capacity(CHUNK);
    for row in rows {
        chunk.push(row);
        if chunk.len() == CHUNK {
            A::Entity::insert_many(std::mem::take(&mut chunk))
                .exec_without_returning(db)
                .await?;
        }
    }
    if !chunk.is_empty() {
        A::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

async fn generate(db: &DatabaseConnection) -> BenchResult<County> {
    let mut rng = StdRng::seed_from_u64(20261123);
    let today = app::semesters::service::today();
    let now = Utc::now();
    let (sem_name, start, end) = server::demo::current_semester(today);

    let txn = db.begin().await?;
    county::ActiveModel {
        id: Set(1),
        name: Set("兴海县".into()),
        code: Set(Some("632324".into())),
    }
    .insert(&txn)
    .await?;
    insert_chunks(
        &txn,
        (0..TOWNS).map(|t| town::ActiveModel {
            id: Set(t as i32 + 1),
            county_id: Set(1),
            name: Set(format!("第{}镇", t + 1)),
        }),
    )
    .await?;
    let stage = |s: usize| match s % 4 {
        0 | 1 => ("primary", "小学", 4),
        2 => ("junior", "中学", 7),
        _ => ("nine_year", "九年一贯制学校", 5),
    };
    insert_chunks(
        &txn,
        (0..SCHOOLS).map(|s| {
            let (code, kind, _) = stage(s);
            school::ActiveModel {
                id: Set(school_id(s)),
                county_id: Set(1),
                town_id: Set((s % TOWNS) as i32 + 1),
                name: Set(format!(
                    "兴海县第{}镇第{}{kind}",
                    s % TOWNS + 1,
                    s / TOWNS + 1
                )),
                stage: Set(code.into()),
                code: Set(Some(format!("6323{:05}", s))),
            }
        }),
    )
    .await?;
    let grade_names = [
        "一年级",
        "二年级",
        "三年级",
        "四年级",
        "五年级",
        "六年级",
        "七年级",
        "八年级",
        "九年级",
    ];
    let grade_name = |s: usize, g: usize| {
        let level = stage(s).2 + g;
        (level as i32, grade_names[level - 1])
    };
    insert_chunks(
        &txn,
        (0..SCHOOLS).flat_map(|s| {
            (0..GRADES_PER_SCHOOL).map(move |g| {
                let (level, name) = grade_name(s, g);
                grade::ActiveModel {
                    id: Set((s * GRADES_PER_SCHOOL + g) as i32 + 1),
                    school_id: Set(school_id(s)),
                    name: Set(name.into()),
                    level: Set(level),
                }
            })
        }),
    )
    .await?;
    insert_chunks(
        &txn,
        (0..SCHOOLS).flat_map(|s| {
            (0..CLASSES_PER_SCHOOL).map(move |c| {
                let g = c / CLASSES_PER_GRADE;
                class::ActiveModel {
                    id: Set(class_id(s, c)),
                    school_id: Set(school_id(s)),
                    grade_id: Set((s * GRADES_PER_SCHOOL + g) as i32 + 1),
                    name: Set(format!(
                        "{}({})班",
                        grade_name(s, g).1,
                        c % CLASSES_PER_GRADE + 1
                    )),
                }
            })
        }),
    )
    .await?;
    let semester = semester::ActiveModel {
        id: Set(1),
        county_id: Set(1),
        school_id: Set(None),
        name: Set(sem_name),
        start_date: Set(start),
        end_date: Set(end),
    }
    .insert(&txn)
    .await?;
    // The county's rules, and stricter ones of every tenth school.
    let county_rules = serde_json::to_string(&QuotaRules::default())?;
    let strict = serde_json::to_string(&QuotaRules {
        subject_teacher: 20,
        ..QuotaRules::default()
    })?;
    insert_chunks(
        &txn,
        std::iter::once(None)
            .chain((0..SCHOOLS).step_by(10).map(Some))
            .enumerate()
            .map(|(i, s)| quota_rule::ActiveModel {
                id: Set(i as i32 + 1),
                county_id: Set(1),
                school_id: Set(s.map(school_id)),
                effective_from: Set(start),
                rules: Set(if s.is_some() {
                    strict.clone()
                } else {
                    county_rules.clone()
                }),
                updated_by: Set(None),
                updated_at: Set(now),
            }),
    )
    .await?;

    // Staff: users first, then their roles.
    let officer_id = TEACHERS as i32 + 1;
    let mut users = Vec::with_capacity(TEACHERS + 1);
    for s in 0..SCHOOLS {
        for k in 0..STAFF_PER_SCHOOL {
            users.push((staff_id(s, k), format!("t{s:03}{k:02}"), name(&mut rng)));
        }
    }
    users.push((officer_id, "county_officer".into(), name(&mut rng)));
    insert_chunks(
        &txn,
        users
            .into_iter()
            .map(|(id, username, display)| user::ActiveModel {
                id: Set(id),
                username: Set(username),
                display_name: Set(display),
                password_hash: Set("$argon2id$v=19$m=19456,t=2,p=1$bench$bench".into()),
                must_change_password: Set(false),
                is_active: Set(true),
                phone: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            }),
    )
    .await?;
    let mut roles: Vec<RoleRow> = Vec::new();
    for s in 0..SCHOOLS {
        roles.push((staff_id(s, 0), Role::Principal, Some(s), None, None));
        roles.push((staff_id(s, 1), Role::VicePrincipal, Some(s), None, None));
        // Leaders often teach a class too.
        for k in 0..2 {
            if rng.gen_bool(0.5) {
                let c = rng.gen_range(0..CLASSES_PER_SCHOOL);
                let subject = Some(pick(&mut rng, SUBJECTS));
                roles.push((
                    staff_id(s, k),
                    Role::SubjectTeacher,
                    Some(s),
                    Some(class_id(s, c)),
                    subject,
                ));
            }
        }
        for c in 0..CLASSES_PER_SCHOOL {
            let id = staff_id(s, HEADS_FROM + c);
            roles.push((
                id,
                Role::HeadTeacher,
                Some(s),
                Some(class_id(s, c)),
                Some("语文"),
            ));
            roles.push((
                id,
                Role::SubjectTeacher,
                Some(s),
                Some(class_id(s, c)),
                Some("语文"),
            ));
        }
        for k in SUBJECT_FROM..STAFF_PER_SCHOOL {
            let subject = pick(&mut rng, &SUBJECTS[1..]);
            let mut classes: Vec<usize> = (0..CLASSES_PER_SCHOOL).collect();
            classes.shuffle(&mut rng);
            for c in classes.into_iter().take(rng.gen_range(1..=4)) {
                roles.push((
                    staff_id(s, k),
                    Role::SubjectTeacher,
                    Some(s),
                    Some(class_id(s, c)),
                    Some(subject),
                ));
            }
        }
    }
    let role_count = roles.len() + 1;
    insert_chunks(
        &txn,
        roles
            .into_iter()
            .chain([(officer_id, Role::CountyOfficer, None, None, None)])
            .enumerate()
            .map(
                |(i, (user_id, role, s, class, subject))| user_role::ActiveModel {
                    id: Set(i as i32 + 1),
                    user_id: Set(user_id),
                    role: Set(role.code().into()),
                    county_id: Set((role == Role::CountyOfficer).then_some(1)),
                    town_id: Set(None),
                    school_id: Set(s.map(school_id)),
                    class_id: Set(class),
                    subject: Set(subject.map(Into::into)),
                },
            ),
    )
    .await?;

    // Students: round-robin over the classes, ~44 each; a few off the roll.
    let statuses = [
        ("in_school", 0.95),
        ("transferred_out", 0.015),
        ("suspended", 0.005),
        ("suspected_dropout", 0.01),
        ("persuading", 0.01),
        ("on_leave", 0.01),
    ];
    let mut students = Vec::with_capacity(STUDENTS);
    for i in 0..STUDENTS {
        let c = i % CLASSES;
        let (s, in_school) = (c / CLASSES_PER_SCHOOL, c % CLASSES_PER_SCHOOL);
        let mut roll = rng.gen_range(0.0..1.0);
        let status = statuses
            .iter()
            .find(|(_, p)| {
                roll -= p;
                roll < 0.0
            })
            .map_or("in_school", |(code, _)| *code);
        let birth_year = today.year() - 6 - (grade_name(s, in_school / CLASSES_PER_GRADE).0);
        students.push(student::ActiveModel {
            id: Set(i as i32 + 1),
            school_id: Set(school_id(s)),
            class_id: Set(class_id(s, in_school)),
            name: Set(name(&mut rng)),
            gender: Set(if rng.gen_bool(0.5) { "male" } else { "female" }.into()),
            birth_date: Set(NaiveDate::from_ymd_opt(
                birth_year,
                rng.gen_range(1..=12),
                rng.gen_range(1..=28),
            )),
            student_no: Set(format!("G632324{:011}", i + 1)),
            id_card: Set(None),
            home_address: Set(Some(format!(
                "第{}镇{}村{}号",
                s % TOWNS + 1,
                rng.gen_range(1..30),
                rng.gen_range(1..200)
            ))),
            flag_left_behind: Set(rng.gen_bool(0.15)),
            flag_orphan: Set(rng.gen_bool(0.005)),
            flag_disabled: Set(rng.gen_bool(0.01)),
            flag_low_income: Set(rng.gen_bool(0.05)),
            flag_poverty: Set(rng.gen_bool(0.05)),
            flag_single_parent: Set(rng.gen_bool(0.06)),
            flag_other: Set(None),
            home_teaching: Set(false),
            home_teaching_since: Set(None),
            status: Set(status.into()),
            status_since: Set(start),
            created_at: Set(now),
            updated_at: Set(now),
        });
    }
    insert_chunks(&txn, students).await?;
    txn.commit().await?;

    // Visits over the semester's days so far, in transactions of 100,000.
    let days = (today.min(end) - start).num_days().max(0) as u64 + 1;
    let modes = [("home", 0.55), ("phone", 0.35), ("school", 0.10)];
    let reasons = [
        "routine",
        "absence",
        "persuade_return",
        "special_care",
        "other",
    ];
    let body_hash = "ab".repeat(32);
    let (mut co_visits, mut returned) = (0, 0);
    for batch in 0..VISITS.div_ceil(100_000) {
        let txn = db.begin().await?;
        let n = (VISITS - batch * 100_000).min(100_000);
        let mut visits = Vec::with_capacity(CHUNK);
        let mut co = Vec::new();
        for _ in 0..n {
            let s = rng.gen_range(0..SCHOOLS);
            // Head teachers visit their own class more than the others do.
            let (k, class) = if rng.gen_bool(0.4) {
                let c = rng.gen_range(0..CLASSES_PER_SCHOOL);
                (HEADS_FROM + c, c)
            } else {
                (
                    rng.gen_range(0..STAFF_PER_SCHOOL),
                    rng.gen_range(0..CLASSES_PER_SCHOOL),
                )
            };
            let visitor = staff_id(s, k);
            // Students of class c of school s are those with i % CLASSES == index.
            let index = s * CLASSES_PER_SCHOOL + class;
            let per_class = (STUDENTS - index).div_ceil(CLASSES);
            let student = index + CLASSES * rng.gen_range(0..per_class) + 1;
            let date = start + Days::new(rng.gen_range(0..days));
            let at = chrono_tz::Asia::Shanghai
                .from_local_datetime(
                    &date
                        .and_hms_opt(rng.gen_range(8..21), rng.gen_range(0..60), 0)
                        .expect("valid time"),
                )
                .single()
                .expect("Shanghai has no DST")
                .with_timezone(&Utc);
            let mut roll = rng.gen_range(0.0..1.0);
            let mode = modes
                .iter()
                .find(|(_, p)| {
                    roll -= p;
                    roll < 0.0
                })
                .map_or("home", |(code, _)| *code);
            let review = match rng.gen_range(0..100) {
                0..2 => "returned",
                2..32 => "approved",
                _ => "pending",
            };
            returned += usize::from(review == "returned");
            let id = uuid::Builder::from_random_bytes(rng.r#gen()).into_uuid();
            if rng.gen_bool(0.2) {
                // A colleague of the same school, never the visitor.
                let other = (k + rng.gen_range(1..STAFF_PER_SCHOOL)) % STAFF_PER_SCHOOL;
                co.push(visit_co_visitor::ActiveModel {
                    visit_id: Set(id),
                    user_id: Set(staff_id(s, other)),
                });
            }
            visits.push(visit::ActiveModel {
                id: Set(id),
                school_id: Set(school_id(s)),
                student_id: Set(student as i32),
                visitor_id: Set(visitor),
                semester_id: Set(Some(semester.id)),
                visited_at: Set(at),
                visit_date: Set(date),
                mode: Set(mode.into()),
                reason: Set(reasons[rng.gen_range(0..reasons.len())].into()),
                met_person: Set("王奶奶".into()),
                met_relation: Set("祖母".into()),
                family_situation: Set("父母在外务工，由祖父母照顾".into()),
                home_behaviour: Set("在家能按时完成作业".into()),
                school_performance: Set("上课认真，成绩中等".into()),
                summary: Set("了解了学生在家的学习和生活情况".into()),
                parent_opinion: Set("希望老师多关心孩子".into()),
                follow_up: Set("下月电话回访".into()),
                signature: Set(None),
                no_signature_reason: Set(Some("家长不在家".into())),
                flagged: Set(false),
                plan_id: Set(None),
                duration_minutes: Set(None),
                revision: Set(1),
                body_hash: Set(body_hash.clone()),
                created_at: Set(at),
                updated_at: Set(at),
                review_status: Set(review.into()),
                review_note: Set((review == "returned").then(|| "请补充家长意见".into())),
                reviewed_by: Set((review != "pending").then(|| principal_id(s))),
                reviewed_at: Set((review != "pending").then_some(at)),
            });
            if visits.len() == CHUNK {
                insert_chunks(&txn, std::mem::take(&mut visits)).await?;
            }
        }
        insert_chunks(&txn, visits).await?;
        co_visits += co.len();
        insert_chunks(&txn, co).await?;
        txn.commit().await?;
    }

    if db.get_database_backend() == DbBackend::Postgres {
        // Explicit ids leave the serial sequences behind.
        for table in [
            "county",
            "town",
            "school",
            "grade",
            "class",
            "semester",
            "quota_rules",
            "users",
            "user_role",
            "student",
        ] {
            db.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 (SELECT max(id) FROM {table}))"
            ))
            .await?;
        }
    }
    Ok(County {
        semester,
        officer_id,
        roles: role_count,
        co_visits,
        returned,
    })
}
