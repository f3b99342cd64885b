//! Ingest figures (not a timed test): how fast the real server takes in
//! what the phones sync, each against a baseline measured in the same run.
//!
//!   scripts/with-postgres.sh cargo bench -p server --bench ingest
//!
//! - Visits: a few phones (logged-in clients) send N visits through the sync
//!   protocol to a real server on loopback, as the sync engine does: in its
//!   batches (`POST /api/v1/visits/batch`), one after the other per phone
//!   (and, for comparison, one `PUT /api/v1/visits/{uuid}` each). Baseline: the very
//!   rows the server stored (visits, revisions, co-visitors, audit entries),
//!   inserted into a second freshly migrated and seeded database in batched
//!   transactions. On SQLite, and on PostgreSQL when `JIAFANG_TEST_PG_URL`
//!   is set (see `scripts/with-postgres.sh`). Goal: ratio ≥ 0.5.
//! - Photos: `PUT /api/v1/attachments/{sha256}` of 1600 px JPEGs of a phone's
//!   size (~300 KB) vs. writing the same bytes to files on the same disk with
//!   fsync; also where the server's time goes (decode, keeping the phone's
//!   JPEG minus its metadata, thumbnail; and what re-encoding would cost).
//!   Goal: ratio ≥ 0.5.
//!
//! Prints, never fails on a number (it fails on a wrong answer, e.g. a 5xx).
//! `JIAFANG_BENCH_VISITS`, `JIAFANG_BENCH_PHOTOS` and `JIAFANG_BENCH_CLIENTS`
//! change the sizes (defaults 10,000, 40 and 4).

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use app::attachments::jpeg_metadata::without_metadata;
use app::attachments::process::{JPEG_QUALITY, process};
use app::attachments::{THUMB_EDGE, fit_within};
use app::db::entities::{audit_log, student, visit, visit_co_visitor, visit_revision};
use app::visits::{BatchCost, VisitInput, sync_batches};
use chrono::{Days, TimeZone};
use common::{Backend, TestDb, config_for, demo_user_id, login_with, new_client};
use image::codecs::jpeg::JpegEncoder;
use image::{ImageFormat, RgbImage};
use migrations::{Migrator, MigratorTrait};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::{Client, StatusCode};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, NotSet, QueryFilter, QueryOrder,
    TransactionTrait,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use uuid::Uuid;

/// Visits per baseline transaction (a phone's outbox after a week offline
/// is a few dozen; a bulk import would use about this).
const BATCH: usize = 100;
/// Photos as a phone sends them: the client resizes to this long edge and
/// re-encodes; ~300 KB is what a camera picture comes to (the Playwright
/// bench measured 225 KB for a 12 MP shot).
const PHOTO_EDGE: (u32, u32) = (1600, 1200);
const PHOTO_TARGET_BYTES: usize = 300 * 1024;
const GOAL: f64 = 0.5;

type BenchResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

fn main() -> BenchResult<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

async fn run() -> BenchResult<()> {
    // Enough that the batched phase runs over a second: at 2,000 it took
    // 0.26 s, much of it opening connections.
    let visits = setting("JIAFANG_BENCH_VISITS", 10_000);
    let photos = setting("JIAFANG_BENCH_PHOTOS", 40);
    let clients = setting("JIAFANG_BENCH_CLIENTS", 4);
    println!(
        "ingest benchmark: {visits} visits and {photos} photos from {clients} concurrent clients, \
         {} CPU cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("\n== visits, SQLite ==");
    bench_visits(Backend::Sqlite, visits, clients).await?;
    if std::env::var("JIAFANG_TEST_PG_URL").is_ok_and(|v| !v.is_empty()) {
        println!("\n== visits, PostgreSQL ==");
        bench_visits(Backend::Postgres, visits, clients).await?;
    } else {
        println!(
            "\nPostgreSQL skipped: JIAFANG_TEST_PG_URL is not set \
             (run through scripts/with-postgres.sh)"
        );
    }
    println!("\n== photos (SQLite) ==");
    bench_photos(photos, clients).await?;
    Ok(())
}

/// A real server on a loopback port over `db_url`, storing files in
/// `storage`, as `server/tests/common` starts it.
struct Server {
    base: String,
    shutdown: oneshot::Sender<()>,
    handle: tokio::task::JoinHandle<()>,
}

impl Server {
    async fn start(db_url: &str, storage: &Path) -> BenchResult<Server> {
        let mut config = config_for(db_url);
        config.storage_dir = storage.to_path_buf();
        let state = server::build_state(config)
            .await
            .map_err(|e| e.to_string())?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let (shutdown, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            server::run(state, listener, async {
                let _ = rx.await;
            })
            .await
            .expect("server run");
        });
        Ok(Server {
            base,
            shutdown,
            handle,
        })
    }

    async fn client(&self, username: &str) -> BenchResult<Client> {
        let client = new_client();
        let url = format!("{}/api/v1/session", self.base);
        let res = login_with(&client, &url, username, "demo-password").await;
        if res.status() != StatusCode::OK {
            return Err(format!("login as {username}: {}", res.status()).into());
        }
        Ok(client)
    }

    async fn stop(self) {
        let _ = self.shutdown.send(());
        let _ = self.handle.await;
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Nearest-rank percentile.
fn percentile(sorted: &[Duration], p: usize) -> Duration {
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted[rank - 1]
}

fn verdict(ratio: f64) -> &'static str {
    if ratio >= GOAL { "✔" } else { "✘" }
}

// ---------------------------------------------------------------- visits

/// One phone's outbox: (visit id, body), sent in order.
type Outbox = Vec<(Uuid, Value)>;

const SUMMARIES: &[&str] = &[
    "了解了学生在家的学习和生活情况，家长配合学校工作",
    "学生近期上课注意力不集中，与家长商量减少手机使用时间",
    "学生学习习惯良好，按时完成作业，鼓励继续保持",
    "家长反映孩子放学后帮忙干农活，作业时间不足，约定每天固定学习一小时",
];
const FAMILIES: &[&str] = &[
    "父母在外务工，由祖父母照顾",
    "单亲家庭，母亲在镇上打工",
    "低保户，家中有两个孩子在读",
    "父母在家务农，家庭和睦",
];

/// The demo accounts the phones belong to, each with the students it may
/// visit and a colleague who sometimes comes along.
async fn outboxes(
    server: &Server,
    db_url: &str,
    clients: usize,
    visits: usize,
) -> BenchResult<Vec<(Client, Outbox)>> {
    let accounts = [("teacher", "head"), ("head", "teacher")];
    let (_, start, _) = server::demo::current_semester(app::semesters::service::today());
    let days_so_far = (app::semesters::service::today() - start).num_days().max(1) as u64;
    let mut rng = StdRng::seed_from_u64(8);
    let mut out = Vec::new();
    for phone in 0..clients {
        let (user, colleague) = accounts[phone % accounts.len()];
        let client = server.client(user).await?;
        // What the phone caches before going out: its student list.
        let students: Vec<Value> = client
            .get(format!("{}/api/v1/students", server.base))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let ids: Vec<i64> = students.iter().filter_map(|s| s["id"].as_i64()).collect();
        if ids.is_empty() {
            return Err(format!("{user} sees no students").into());
        }
        let colleague_id = demo_user_id(db_url, colleague).await;
        let count = visits / clients + usize::from(phone < visits % clients);
        let mut outbox = Vec::with_capacity(count);
        for _ in 0..count {
            // Some day of the semester so far, in the afternoon, Beijing time.
            let day = start + Days::new(rng.gen_range(0..days_so_far));
            let at = chrono_tz::Asia::Shanghai
                .from_local_datetime(
                    &day.and_hms_opt(rng.gen_range(13..18), rng.gen_range(0..60), 0)
                        .ok_or("time")?,
                )
                .single()
                .ok_or("Shanghai has no DST")?;
            let co: Vec<i32> = if rng.gen_bool(0.2) {
                vec![colleague_id]
            } else {
                vec![]
            };
            let body = json!({
                "student_id": ids[rng.gen_range(0..ids.len())],
                "visited_at": at.to_rfc3339(),
                "mode": if rng.gen_bool(0.8) { "home" } else { "phone" },
                "reason": "routine",
                "co_visitor_ids": co,
                "met_person": "王奶奶",
                "met_relation": "祖母",
                "family_situation": FAMILIES[rng.gen_range(0..FAMILIES.len())],
                "home_behaviour": "在家能按时完成作业，周末帮家里干活",
                "school_performance": "上课认真，成绩中等，数学有进步",
                "summary": SUMMARIES[rng.gen_range(0..SUMMARIES.len())],
                "parent_opinion": "希望老师多关心孩子的学习",
                "follow_up": "下月电话回访",
                "no_signature_reason": "家长不识字",
            });
            outbox.push((Uuid::new_v4(), body));
        }
        out.push((client, outbox));
    }
    Ok(out)
}

/// How a phone sends its outbox.
#[derive(Clone, Copy)]
enum Sending {
    /// `PUT /api/v1/visits/{uuid}`, one visit after the other.
    OnePutEach,
    /// `POST /api/v1/visits/batch`, in the batches the app makes
    /// (`app::visits::sync_batches`: up to 100 visits).
    AppBatches,
}

/// Sends a phone's outbox, one request after the other; the time of each.
async fn sync_phone(
    base: String,
    client: Client,
    outbox: Outbox,
    sending: Sending,
) -> BenchResult<Vec<Duration>> {
    let mut times = Vec::with_capacity(outbox.len());
    match sending {
        Sending::OnePutEach => {
            for (id, body) in outbox {
                let t = Instant::now();
                let res = client
                    .put(format!("{base}/api/v1/visits/{id}"))
                    .json(&body)
                    .send()
                    .await?;
                let status = res.status();
                let answer = res.bytes().await?;
                times.push(t.elapsed());
                if status != StatusCode::CREATED {
                    return Err(format!(
                        "PUT visit {id}: {status} {}",
                        String::from_utf8_lossy(&answer)
                    )
                    .into());
                }
            }
        }
        Sending::AppBatches => {
            let inputs = outbox
                .iter()
                .map(|(_, body)| serde_json::from_value::<VisitInput>(body.clone()))
                .collect::<Result<Vec<_>, _>>()?;
            let costs: Vec<BatchCost> = inputs.iter().map(BatchCost::of).collect();
            let mut sent = 0;
            for sizes in sync_batches(&costs, |c| *c) {
                let group = &outbox[sent..sent + sizes.len()];
                sent += sizes.len();
                let batch = json!({
                    "visits": group
                        .iter()
                        .map(|(id, body)| json!({"id": id, "visit": body}))
                        .collect::<Vec<_>>(),
                });
                let t = Instant::now();
                let res = client
                    .post(format!("{base}/api/v1/visits/batch"))
                    .json(&batch)
                    .send()
                    .await?;
                let status = res.status();
                let answer: Value = res.json().await?;
                times.push(t.elapsed());
                let created = answer["results"].as_array().is_some_and(|r| {
                    r.len() == group.len() && r.iter().all(|r| r["status"] == 201)
                });
                if status != StatusCode::OK || !created {
                    return Err(format!("POST visit batch: {status} {answer}").into());
                }
            }
        }
    }
    Ok(times)
}

/// Everything the server stored for the visits, to insert again.
struct Stored {
    visits: Vec<visit::Model>,
    revisions: Vec<visit_revision::Model>,
    co_visitors: Vec<visit_co_visitor::Model>,
    audit: Vec<audit_log::Model>,
}

async fn stored_rows(db: &DatabaseConnection) -> BenchResult<Stored> {
    Ok(Stored {
        visits: visit::Entity::find()
            .order_by_asc(visit::Column::CreatedAt)
            .all(db)
            .await?,
        revisions: visit_revision::Entity::find().all(db).await?,
        co_visitors: visit_co_visitor::Entity::find().all(db).await?,
        audit: audit_log::Entity::find()
            .filter(audit_log::Column::Entity.eq("visit"))
            .all(db)
            .await?,
    })
}

/// The demo roster, to check both databases got the same ids.
async fn roster_digest(db: &DatabaseConnection) -> BenchResult<String> {
    let mut digest = Sha256::new();
    for s in student::Entity::find()
        .order_by_asc(student::Column::Id)
        .all(db)
        .await?
    {
        digest.update(format!("{} {} {}\n", s.id, s.name, s.class_id));
    }
    Ok(hex::encode(digest.finalize()))
}

/// The baseline: the same rows, `batch` visits per transaction, straight
/// into the database.
async fn insert_batched(
    db: &DatabaseConnection,
    rows: Stored,
    batch: usize,
) -> BenchResult<Duration> {
    use std::collections::HashMap;
    let mut revisions: HashMap<Uuid, Vec<visit_revision::Model>> = HashMap::new();
    for r in rows.revisions {
        revisions.entry(r.visit_id).or_default().push(r);
    }
    let mut co: HashMap<Uuid, Vec<visit_co_visitor::Model>> = HashMap::new();
    for c in rows.co_visitors {
        co.entry(c.visit_id).or_default().push(c);
    }
    let mut audit: HashMap<String, Vec<audit_log::Model>> = HashMap::new();
    for a in rows.audit {
        audit
            .entry(a.entity_id.clone().unwrap_or_default())
            .or_default()
            .push(a);
    }
    // Batches prepared before the clock starts: only the database is timed.
    let batches: Vec<_> = rows
        .visits
        .chunks(batch)
        .map(|chunk| {
            let ids: Vec<Uuid> = chunk.iter().map(|v| v.id).collect();
            let visits: Vec<visit::ActiveModel> = chunk
                .iter()
                .cloned()
                .map(IntoActiveModel::into_active_model)
                .collect();
            let revs: Vec<visit_revision::ActiveModel> = ids
                .iter()
                .flat_map(|id| revisions.get(id).cloned().unwrap_or_default())
                .map(IntoActiveModel::into_active_model)
                .collect();
            let cos: Vec<visit_co_visitor::ActiveModel> = ids
                .iter()
                .flat_map(|id| co.get(id).cloned().unwrap_or_default())
                .map(IntoActiveModel::into_active_model)
                .collect();
            let audits: Vec<audit_log::ActiveModel> = ids
                .iter()
                .flat_map(|id| audit.get(&id.to_string()).cloned().unwrap_or_default())
                .map(|a| {
                    let mut a = a.into_active_model();
                    a.id = NotSet;
                    a
                })
                .collect();
            (visits, revs, cos, audits)
        })
        .collect();
    let started = Instant::now();
    for (visits, revs, cos, audits) in batches {
        let txn = db.begin().await?;
        visit::Entity::insert_many(visits)
            .exec_without_returning(&txn)
            .await?;
        visit_revision::Entity::insert_many(revs)
            .exec_without_returning(&txn)
            .await?;
        if !cos.is_empty() {
            visit_co_visitor::Entity::insert_many(cos)
                .exec_without_returning(&txn)
                .await?;
        }
        audit_log::Entity::insert_many(audits)
            .exec_without_returning(&txn)
            .await?;
        txn.commit().await?;
    }
    Ok(started.elapsed())
}

/// The phones send their outboxes to a fresh server; visits per second.
async fn serve_visits(
    backend: Backend,
    visits: usize,
    clients: usize,
    sending: Sending,
) -> BenchResult<(f64, TestDb)> {
    let storage = tempfile::tempdir()?;
    let server_db = TestDb::new(backend).await;
    let server = Server::start(&server_db.url, storage.path()).await?;
    let phones = outboxes(&server, &server_db.url, clients, visits).await?;

    let started = Instant::now();
    let tasks: Vec<_> = phones
        .into_iter()
        .map(|(client, outbox)| {
            tokio::spawn(sync_phone(server.base.clone(), client, outbox, sending))
        })
        .collect();
    let mut times = Vec::with_capacity(visits);
    for task in tasks {
        times.extend(task.await??);
    }
    let elapsed = started.elapsed();
    server.stop().await;
    times.sort();
    let rate = visits as f64 / elapsed.as_secs_f64();
    let how = match sending {
        Sending::OnePutEach => "one PUT per visit".to_owned(),
        Sending::AppBatches => format!(
            "batches as the app makes them, up to {}",
            app::visits::SYNC_BATCH_VISITS
        ),
    };
    println!(
        "server ({how}): {visits} visits from {clients} phones in {:.2} s = {rate:.0} visits/s \
         (each request p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms)",
        elapsed.as_secs_f64(),
        ms(percentile(&times, 50)),
        ms(percentile(&times, 95)),
        ms(times[times.len() - 1]),
    );
    Ok((rate, server_db))
}

async fn bench_visits(backend: Backend, visits: usize, clients: usize) -> BenchResult<()> {
    serve_visits(backend, visits, clients, Sending::OnePutEach).await?;
    let (server_rate, server_db) =
        serve_visits(backend, visits, clients, Sending::AppBatches).await?;

    let db = app::db::connect(&server_db.url).await?;
    let roster = roster_digest(&db).await?;
    let rows = stored_rows(&db).await?;
    db.close().await?;
    if rows.visits.len() != visits || rows.revisions.len() != visits {
        return Err(format!(
            "the server stored {} visits and {} revisions, not {visits}",
            rows.visits.len(),
            rows.revisions.len()
        )
        .into());
    }
    let (co, audit) = (rows.co_visitors.len(), rows.audit.len());
    println!(
        "baseline: the same {visits} visits + {visits} revisions + {co} co-visitors + {audit} \
         audit rows into a second database, migrated and seeded the same way"
    );
    let batched = baseline(backend, &roster, rows, BATCH).await?;
    let base_rate = visits as f64 / batched.as_secs_f64();
    println!(
        "  in transactions of {BATCH} visits: {:.2} s = {base_rate:.0} visits/s",
        batched.as_secs_f64()
    );
    // What committing each visit on its own costs (as a single PUT must).
    let rows = stored_rows(&app::db::connect(&server_db.url).await?).await?;
    let single = baseline(backend, &roster, rows, 1).await?;
    println!(
        "  (for comparison, one transaction per visit: {:.2} s = {:.0} visits/s)",
        single.as_secs_f64(),
        visits as f64 / single.as_secs_f64()
    );
    let ratio = server_rate / base_rate;
    println!(
        "ratio server / batched baseline: {ratio:.3} (goal ≥ {GOAL} {})",
        verdict(ratio)
    );
    Ok(())
}

/// Inserts `rows` into a fresh database seeded like the server's (same
/// ids, checked on the roster), `batch` visits per transaction.
async fn baseline(
    backend: Backend,
    roster: &str,
    rows: Stored,
    batch: usize,
) -> BenchResult<Duration> {
    let base_db = TestDb::new(backend).await;
    let db = app::db::connect(&base_db.url).await?;
    Migrator::up(&db, None).await?;
    server::demo::seed(&db).await?;
    if roster_digest(&db).await? != roster {
        return Err("the two seeded databases differ".into());
    }
    let took = insert_batched(&db, rows, batch).await?;
    db.close().await?;
    Ok(took)
}

// ---------------------------------------------------------------- photos

/// Cheap lattice noise in 0..1 (smoothly interpolated between cells).
fn value_noise(seed: u64, x: f32, y: f32) -> f32 {
    fn hash(seed: u64, x: i64, y: i64) -> f32 {
        let mut h = seed ^ (x as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        h ^= (y as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
        h ^= h >> 29;
        h = h.wrapping_mul(0x1656_67B1_9E37_79F9);
        h ^= h >> 32;
        (h & 0xFFFF) as f32 / 65535.0
    }
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let (sx, sy) = (fx * fx * (3.0 - 2.0 * fx), fy * fy * (3.0 - 2.0 * fy));
    let (xi, yi) = (x0 as i64, y0 as i64);
    let top = hash(seed, xi, yi) * (1.0 - sx) + hash(seed, xi + 1, yi) * sx;
    let bottom = hash(seed, xi, yi + 1) * (1.0 - sx) + hash(seed, xi + 1, yi + 1) * sx;
    top * (1.0 - sy) + bottom * sy
}

/// A photo-like picture: broad shapes and colour casts, texture at several
/// scales and sensor noise, so it compresses like a camera shot (a flat
/// test pattern would be a tenth of the size and decode differently).
/// `grain` sets the fine detail, and so the file size.
fn photo_pixels(seed: u64, grain: f32) -> RgbImage {
    let (w, h) = PHOTO_EDGE;
    let mut rng = StdRng::seed_from_u64(seed);
    let tint: [f32; 3] = [
        rng.gen_range(0.7..1.2),
        rng.gen_range(0.7..1.2),
        rng.gen_range(0.7..1.2),
    ];
    RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32, y as f32);
        let broad = value_noise(seed, fx / 300.0, fy / 300.0);
        let mid = value_noise(seed + 1, fx / 40.0, fy / 40.0);
        let fine = value_noise(seed + 2, fx / 6.0, fy / 6.0);
        let light = 0.35 + 0.5 * broad + 0.15 * (fy / h as f32);
        let base = 255.0 * (light * 0.75 + mid * 0.2 + fine * grain * 0.05);
        let mut px = [0u8; 3];
        for (c, out) in px.iter_mut().enumerate() {
            let hue = value_noise(seed + 3 + c as u64, fx / 150.0, fy / 150.0);
            let noise = rng.gen_range(-1.0..1.0) * grain * 6.0;
            *out = (base * tint[c] * (0.8 + 0.4 * hue) + noise).clamp(0.0, 255.0) as u8;
        }
        image::Rgb(px)
    })
}

fn encode_jpeg(img: &RgbImage, quality: u8) -> BenchResult<Vec<u8>> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality).encode_image(img)?;
    Ok(out)
}

/// `count` different photos of about `PHOTO_TARGET_BYTES`, encoded at the
/// quality a phone's browser uses (~0.85).
fn make_photos(count: usize) -> BenchResult<Vec<Vec<u8>>> {
    // Find the grain that gives the target size on the first photo.
    let (mut lo, mut hi) = (0.0f32, 4.0f32);
    for _ in 0..8 {
        let mid = (lo + hi) / 2.0;
        let size = encode_jpeg(&photo_pixels(1, mid), 85)?.len();
        if size < PHOTO_TARGET_BYTES {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let grain = (lo + hi) / 2.0;
    (0..count)
        .map(|i| {
            let img = photo_pixels(i as u64 + 1, grain);
            // Every other photo held upright, as phones send them.
            let img = if i % 2 == 1 {
                image::imageops::rotate90(&img)
            } else {
                img
            };
            encode_jpeg(&img, 85)
        })
        .collect()
}

/// Time of the server's image steps for one photo, done the way
/// `app::attachments::process` does them: decode, keep the JPEG minus its
/// metadata, thumbnail (resize + encode); and, for comparison, re-encoding
/// at the stored quality (what a photo that cannot be kept costs instead).
fn image_steps(bytes: &[u8]) -> BenchResult<[Duration; 4]> {
    let t = Instant::now();
    let img = image::load_from_memory_with_format(bytes, ImageFormat::Jpeg)?;
    let decode = t.elapsed();
    let t = Instant::now();
    without_metadata(bytes).ok_or("a phone's JPEG could not be kept")?;
    let keep = t.elapsed();
    let t = Instant::now();
    let (tw, th) = fit_within(img.width(), img.height(), THUMB_EDGE);
    encode_jpeg(&img.thumbnail_exact(tw, th).to_rgb8(), JPEG_QUALITY)?;
    let thumb = t.elapsed();
    let t = Instant::now();
    encode_jpeg(&img.to_rgb8(), JPEG_QUALITY)?;
    Ok([decode, keep, thumb, t.elapsed()])
}

/// Uploads `photos` split over `clients` phones (one after the other per
/// phone); the wall time.
async fn upload_all(server: &Server, photos: &[Vec<u8>], clients: usize) -> BenchResult<Duration> {
    let mut phones = Vec::new();
    for _ in 0..clients {
        phones.push(server.client("teacher").await?);
    }
    let started = Instant::now();
    let tasks: Vec<_> = phones
        .into_iter()
        .enumerate()
        .map(|(phone, client)| {
            let mine: Vec<Vec<u8>> = photos
                .iter()
                .skip(phone)
                .step_by(clients)
                .cloned()
                .collect();
            let base = server.base.clone();
            tokio::spawn(async move {
                for bytes in mine {
                    let sha = hex::encode(Sha256::digest(&bytes));
                    let res = client
                        .put(format!("{base}/api/v1/attachments/{sha}"))
                        .header("Content-Type", "image/jpeg")
                        .body(bytes)
                        .send()
                        .await?;
                    let status = res.status();
                    let answer = res.text().await?;
                    if status != StatusCode::CREATED {
                        return Err(format!("PUT photo {sha}: {status} {answer}").into());
                    }
                }
                BenchResult::Ok(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    Ok(started.elapsed())
}

/// The baseline: the same bytes to new files in `dir`, each flushed to disk
/// (`fsync`), by `writers` threads at once.
async fn write_all(dir: &Path, photos: &[Vec<u8>], writers: usize) -> BenchResult<Duration> {
    let started = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let mine: Vec<(PathBuf, Vec<u8>)> = photos
                .iter()
                .enumerate()
                .skip(w)
                .step_by(writers)
                .map(|(i, b)| (dir.join(format!("{i}.jpg")), b.clone()))
                .collect();
            tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                for (path, bytes) in mine {
                    let mut file = std::fs::File::create(path)?;
                    file.write_all(&bytes)?;
                    file.sync_all()?;
                }
                Ok(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    Ok(started.elapsed())
}

async fn bench_photos(count: usize, clients: usize) -> BenchResult<()> {
    let t = Instant::now();
    let photos = tokio::task::spawn_blocking(move || make_photos(count)).await??;
    let total: usize = photos.iter().map(Vec::len).sum();
    let mb = total as f64 / 1e6;
    println!(
        "{count} photos {}×{} px, {:.0} KB each on average (made in {:.1} s)",
        PHOTO_EDGE.0,
        PHOTO_EDGE.1,
        total as f64 / count as f64 / 1024.0,
        t.elapsed().as_secs_f64()
    );

    // Where one upload's time goes, measured alone on one thread.
    let sample = photos.clone();
    let (steps, whole) = tokio::task::spawn_blocking(move || -> BenchResult<_> {
        let mut steps = [Duration::ZERO; 4];
        let mut whole = Duration::ZERO;
        for bytes in &sample {
            for (sum, d) in steps.iter_mut().zip(image_steps(bytes)?) {
                *sum += d;
            }
            let t = Instant::now();
            let out = process(bytes, "image/jpeg").map_err(|e| e.to_string())?;
            whole += t.elapsed();
            // The stored photo must still be the full picture, as sent.
            let stored = image::load_from_memory(&out.image)?;
            if stored.width().max(stored.height()) != PHOTO_EDGE.0 {
                return Err("the stored photo lost its size".into());
            }
            if out.image.len() != bytes.len() {
                return Err("the phone's JPEG was re-encoded, not kept".into());
            }
        }
        Ok((steps, whole))
    })
    .await??;

    // One phone, then several at once, each on a fresh server.
    let mut uploads = Vec::new();
    for n in [1, clients] {
        let storage = tempfile::tempdir_in(std::env::temp_dir())?;
        let db = TestDb::new(Backend::Sqlite).await;
        let server = Server::start(&db.url, storage.path()).await?;
        let took = upload_all(&server, &photos, n).await?;
        server.stop().await;
        let disk = tempfile::tempdir_in(std::env::temp_dir())?;
        let base = write_all(disk.path(), &photos, n).await?;
        uploads.push((n, took, base));
    }

    let per = |d: Duration| ms(d) / count as f64;
    let single = per(uploads[0].1);
    let [decode, keep, thumb, encode] = steps.map(per);
    println!(
        "per photo, one phone: upload {single:.1} ms; image work alone (one thread) {:.1} ms \
         (app's process()): decode {decode:.1} ms ({:.0} %), keep minus metadata {keep:.2} ms, \
         thumbnail {thumb:.1} ms ({:.0} %), the rest (HTTP, SHA-256, files, database) {:.0} %; \
         re-encoding instead would add {encode:.1} ms",
        per(whole),
        100.0 * decode / single,
        100.0 * thumb / single,
        (100.0 * (1.0 - (decode + keep + thumb) / single)).max(0.0),
    );
    for (n, took, base) in uploads {
        let up = mb / took.as_secs_f64();
        let disk = mb / base.as_secs_f64();
        let ratio = up / disk;
        println!(
            "{n} phone(s): upload {up:.1} MB/s ({:.1} photos/s) vs write + fsync {disk:.1} MB/s \
             ({:.1} ms per file): ratio {ratio:.3} (goal ≥ {GOAL} {})",
            count as f64 / took.as_secs_f64(),
            ms(base) * n as f64 / count as f64,
            verdict(ratio)
        );
    }
    Ok(())
}
