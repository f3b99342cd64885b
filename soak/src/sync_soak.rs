//! `jiafang-soak sync`: randomized sync sessions through the fault proxy,
//! with the server killed (`kill -9`) and restarted in the middle of
//! syncs; then a check, through the API and the storage directory, that
//! the server holds exactly what the phones were told it holds.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::client::{Api, Device, LocalState, LocalVisit, backoff_ms};
use crate::media;
use crate::proxy::{Fault, FaultRates, Proxy};
use crate::server::{Scratch, Server, ServerSpec, free_port, fresh_database};

/// Demo staff who record visits (server/src/demo.rs), password `demo-password`.
const TEACHERS: [&str; 4] = ["head", "teacher", "principal", "principal2"];
const DEMO_PASSWORD: &str = "demo-password";

pub struct SyncOpts {
    pub sessions: usize,
    pub seed: u64,
    pub server_bin: PathBuf,
    pub postgres: bool,
    /// Phones syncing at the same time.
    pub workers: usize,
    /// The app's retry waits (2 s … 5 min) are divided by this.
    pub time_scale: u64,
    /// Sync passes a session gets before the phone is put away.
    pub passes_per_session: u32,
}

/// The fields of a server `VisitView` the check compares.
#[derive(Deserialize, Debug, Clone)]
struct ServerVisit {
    id: Uuid,
    revision: i32,
    student_id: i32,
    summary: String,
    photos: Vec<String>,
    signature: Option<String>,
}

#[derive(Deserialize)]
struct Student {
    id: i32,
}

/// Figures of the kill-and-restart side.
#[derive(Default)]
struct Kills {
    kills: u64,
    /// Kills that hit while the server was handling a PUT.
    mid_write: u64,
}

pub async fn run(opts: SyncOpts) -> Result<bool, String> {
    let began = Instant::now();
    let scratch = Scratch::new("sync");
    let database_url = fresh_database(&scratch.dir, opts.postgres)?;
    let storage = scratch.dir.join("storage");
    let mut server = Server::new(ServerSpec {
        bin: opts.server_bin.clone(),
        database_url,
        storage_dir: storage.clone(),
        port: free_port(),
        log: scratch.dir.join("server.log"),
    });
    println!(
        "sync soak: {} sessions, seed {}, {} phones at a time, {} database, server {}",
        opts.sessions,
        opts.seed,
        opts.workers,
        if opts.postgres {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        opts.server_bin.display()
    );
    println!(
        "scratch directory (server log, storage): {}",
        scratch.dir.display()
    );
    server.seed_and_start().await?;
    let direct = format!("http://{}", server.addr());
    let upstream = server.addr().parse().expect("server address");

    // What each teacher may visit, and the visits already there (none
    // expected after seed-demo; excluded from the comparison anyway).
    let mut students: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    let mut before: BTreeSet<Uuid> = BTreeSet::new();
    for t in TEACHERS {
        let api = Api::new(&direct);
        api.login(t, DEMO_PASSWORD)
            .await
            .map_err(|e| format!("{t} login: {e:?}"))?;
        let list: Vec<Student> = api
            .get_json("/api/v1/students")
            .await
            .map_err(|e| format!("{t} students: {e:?}"))?;
        if list.is_empty() {
            return Err(format!("demo teacher {t} sees no students"));
        }
        students.insert(t, list.into_iter().map(|s| s.id).collect());
        let visits: Vec<ServerVisit> = api
            .get_json("/api/v1/visits?semester=all")
            .await
            .map_err(|e| format!("{t} visits: {e:?}"))?;
        before.extend(visits.iter().map(|v| v.id));
    }

    let proxy = Proxy::start(upstream, FaultRates::SOAK, opts.seed).await;
    let via_proxy = format!("http://{}", proxy.addr);
    let server = Arc::new(Mutex::new(server));
    let next_session = Arc::new(AtomicUsize::new(0));
    let done_sessions = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicBool::new(false));

    let killer = tokio::spawn(kill_loop(
        server.clone(),
        proxy.clone(),
        done_sessions.clone(),
        finished.clone(),
        opts.sessions,
        opts.seed,
    ));

    let mut workers = Vec::new();
    for w in 0..opts.workers {
        let mut devices: Vec<Device> = TEACHERS
            .iter()
            .map(|t| Device::new(format!("{t}@phone{w}"), t, DEMO_PASSWORD, &via_proxy))
            .collect();
        let students = students.clone();
        let next = next_session.clone();
        let done = done_sessions.clone();
        let (sessions, time_scale, passes) =
            (opts.sessions, opts.time_scale, opts.passes_per_session);
        let seed = opts
            .seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(w as u64 + 1);
        workers.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(seed);
            let mut made = SessionTally::default();
            while next.fetch_add(1, Ordering::SeqCst) < sessions {
                let d = rng.gen_range(0..devices.len());
                let device = &mut devices[d];
                let list = &students[device.username.as_str()];
                session(device, list, &mut rng, &mut made, time_scale, passes).await;
                let n = done.fetch_add(1, Ordering::SeqCst) + 1;
                if n.is_multiple_of(100) {
                    println!("  … {n} sessions done");
                }
            }
            (devices, made)
        }));
    }
    let mut devices = Vec::new();
    let mut made = SessionTally::default();
    for w in workers {
        let (d, m) = w.await.map_err(|e| format!("worker: {e}"))?;
        devices.extend(d);
        made.add(&m);
    }
    finished.store(true, Ordering::SeqCst);
    let kills = killer.await.map_err(|e| format!("killer: {e}"))??;
    let sessions_wall = began.elapsed();

    // The phones find a good network at last: no more faults, and every
    // record still on a phone is sent (立即同步 also retries failed ones).
    proxy.set_faults(false);
    proxy.wait_idle().await;
    let unsynced_before_drain: usize = devices.iter().map(Device::unsynced).sum();
    let mut drain_passes = 0u32;
    for device in &mut devices {
        device.forget_cookies();
        let _ = device.login(10, opts.time_scale).await;
        for attempt in 1..=20 {
            if device.unsynced() == 0 {
                break;
            }
            drain_passes += 1;
            let outcome = device.pass(true).await;
            if outcome.unauthenticated {
                device.login(10, opts.time_scale).await;
            } else if let Some(a) = outcome.retry_attempts {
                tokio::time::sleep(Duration::from_millis(backoff_ms(a.min(attempt)) / 10)).await;
            }
        }
    }
    proxy.wait_idle().await;

    let check = verify(&direct, &devices, &before, &storage).await?;
    // A kill -9 in the middle of an atomic write leaves its `.tmp-` file.
    // The server deletes such files at start-up once they are an hour old
    // (younger ones may belong to another instance's write under way), so
    // age them and restart once more: none may be left after that.
    let mut server = server.lock().await;
    let temp_paths: Vec<PathBuf> = walk(&storage)
        .into_iter()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(".tmp-"))
        })
        .collect();
    let two_hours_ago = std::time::SystemTime::now() - Duration::from_secs(7200);
    for path in &temp_paths {
        std::fs::File::options()
            .write(true)
            .open(path)
            .and_then(|f| f.set_modified(two_hours_ago))
            .map_err(|e| format!("ageing {}: {e}", path.display()))?;
    }
    server.kill9();
    server.start().await?;
    let temp_after_restart = walk(&storage)
        .iter()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(".tmp-"))
        })
        .count();
    let panics = server.panics_logged();
    let proxy_stats = proxy.stats();

    // ---- figures ----
    println!();
    println!(
        "== sync soak figures ({}) ==",
        if opts.postgres {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    println!("sessions                 {}", opts.sessions);
    println!(
        "visits made / edits      {} / {} ({} photos, {} signatures)",
        made.visits, made.edits, made.photos, made.visits
    );
    let requests: u64 = proxy_stats.requests.values().sum();
    println!("requests through proxy   {requests}");
    for (kind, n) in &proxy_stats.requests {
        println!("    {kind:<24} {n}");
    }
    let faults: u64 = proxy_stats.faults.values().sum();
    println!("faults injected          {faults}");
    for f in Fault::ALL {
        println!(
            "    {:<28} {}",
            f.label(),
            proxy_stats.faults.get(&f).copied().unwrap_or(0)
        );
    }
    println!("extra copies delivered   {}", proxy_stats.extra_deliveries);
    println!(
        "kill -9 of the server    {} ({} while a write was in flight); restarts took {}",
        kills.kills,
        kills.mid_write,
        describe_starts(&server.start_times)
    );
    println!("requests finding no server {}", proxy_stats.server_down);
    let mut server_errors = 0u64;
    println!("server answers by status (all deliveries):");
    for ((kind, status), n) in &proxy_stats.statuses {
        if *status >= 300 {
            println!("    {kind:<24} {status} × {n}");
        }
        if *status >= 500 {
            server_errors += n;
        }
    }
    let ok: u64 = proxy_stats
        .statuses
        .iter()
        .filter(|((_, s), _)| *s < 300)
        .map(|(_, n)| n)
        .sum();
    println!("    (2xx × {ok})");
    let mut client_errors: BTreeMap<String, u64> = BTreeMap::new();
    let mut refusals = Vec::new();
    let (mut passes, mut logins) = (0, 0);
    for d in &devices {
        passes += d.stats.passes;
        logins += d.stats.logins;
        for (k, n) in &d.stats.errors {
            *client_errors.entry(k.clone()).or_default() += n;
        }
        refusals.extend(d.stats.refusals.iter().cloned());
    }
    println!("client passes / logins   {passes} / {logins}");
    println!("client-side failures     {client_errors:?}");
    println!(
        "left on phones after the sessions {unsynced_before_drain}; final sync passes {drain_passes}; still unsynced {}",
        check.unconfirmed
    );
    println!(
        "visits on the server     {} (client confirmed {})",
        check.server_visits, check.client_visits
    );
    println!("lost                     {}", check.lost);
    println!("duplicated               {}", check.duplicated);
    println!("content/revision differs {}", check.mismatched);
    println!(
        "attachments referenced   {} (missing file, thumbnail or API answer: {})",
        check.referenced, check.missing
    );
    println!(
        "orphaned attachments     {} (stored files no visit refers to; exactly 0 expected: every visit made is \
         eventually confirmed and edits keep their photos, so any orphan is an upload the server kept without \
         its visit)",
        check.orphaned
    );
    println!(
        "temp files left by kills {} (a kill -9 during an atomic write leaves its .tmp file); \
         after ageing them 2 h and a restart: {temp_after_restart} (0 expected)",
        check.temp_files
    );
    println!("server 5xx answers       {server_errors}");
    println!("server panics logged     {panics}");
    println!(
        "sessions wall time       {:.1} s",
        sessions_wall.as_secs_f64()
    );
    println!(
        "total wall time          {:.1} s",
        began.elapsed().as_secs_f64()
    );
    for r in refusals.iter().take(10) {
        println!("refused: {r}");
    }
    for p in check.problems.iter().take(20) {
        println!("problem: {p}");
    }

    let passed = check.lost == 0
        && check.duplicated == 0
        && check.mismatched == 0
        && check.missing == 0
        && check.unconfirmed == 0
        && check.orphaned == 0
        && temp_after_restart == 0
        && server_errors == 0
        && panics == 0;
    println!("RESULT: {}", if passed { "PASS" } else { "FAIL" });
    drop(server);
    if passed {
        scratch.remove();
    } else {
        println!("kept for a look: {}", scratch.dir.display());
    }
    Ok(passed)
}

fn describe_starts(times: &[Duration]) -> String {
    if times.is_empty() {
        return "-".into();
    }
    let ms: Vec<u128> = times.iter().map(Duration::as_millis).collect();
    let avg = ms.iter().sum::<u128>() / ms.len() as u128;
    format!(
        "{avg} ms on average (max {} ms)",
        ms.iter().max().unwrap_or(&0)
    )
}

#[derive(Default)]
struct SessionTally {
    visits: u64,
    edits: u64,
    photos: u64,
}

impl SessionTally {
    fn add(&mut self, o: &SessionTally) {
        self.visits += o.visits;
        self.edits += o.edits;
        self.photos += o.photos;
    }
}

/// One session: the teacher records 1–3 visits (0–2 photos and a
/// signature each; sometimes also edits a confirmed one), opens the app
/// (logs in) and lets it sync for a few passes; whatever is left stays on
/// the phone for a later session.
async fn session(
    device: &mut Device,
    students: &[i32],
    rng: &mut StdRng,
    made: &mut SessionTally,
    time_scale: u64,
    passes: u32,
) {
    for _ in 0..rng.gen_range(1..=3) {
        let n_photos = rng.gen_range(0..=2);
        let photos: Vec<media::Blob> = (0..n_photos)
            .map(|_| {
                let w = rng.gen_range(24..=80) * 16;
                media::photo(rng, w, w * 3 / 4)
            })
            .collect();
        let signature = media::signature(rng);
        let student = students[rng.gen_range(0..students.len())];
        let clock = device.tick();
        let summary = format!(
            "soak {}-{} 谈话要点：学习态度端正，与家长沟通了作息安排",
            device.name,
            device.visits.len() + 1
        );
        let minutes_ago = rng.gen_range(0..600);
        device.visits.push(LocalVisit::new(
            student,
            summary,
            photos,
            signature,
            minutes_ago,
            clock,
        ));
        made.visits += 1;
        made.photos += n_photos as u64;
    }
    if rng.gen_bool(0.15) {
        let synced: Vec<usize> = (0..device.visits.len())
            .filter(|&i| device.visits[i].state == LocalState::Synced)
            .collect();
        if !synced.is_empty() {
            device.edit(synced[rng.gen_range(0..synced.len())]);
            made.edits += 1;
        }
    }
    device.forget_cookies();
    if !device.login(6, time_scale).await {
        return;
    }
    for _ in 0..passes {
        let outcome = device.pass(false).await;
        if outcome.unauthenticated {
            if !device.login(6, time_scale).await {
                return;
            }
            continue;
        }
        match outcome.retry_attempts {
            Some(attempts) => {
                tokio::time::sleep(Duration::from_millis(backoff_ms(attempts) / time_scale)).await
            }
            None => return,
        }
    }
}

/// `kill -9`s the server every 10–40 sessions, at a moment it is handling
/// a PUT (an upload or a visit), and starts it again on the same port.
async fn kill_loop(
    server: Arc<Mutex<Server>>,
    proxy: Proxy,
    done: Arc<AtomicUsize>,
    finished: Arc<AtomicBool>,
    sessions: usize,
    seed: u64,
) -> Result<Kills, String> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x6b69_6c6c);
    let mut kills = Kills::default();
    // The first kill early enough that even a short run has one.
    let mut next = rng
        .gen_range(sessions.min(30) / 6..=sessions.min(30) / 2)
        .max(1);
    loop {
        while done.load(Ordering::SeqCst) < next {
            if finished.load(Ordering::SeqCst) {
                return Ok(kills);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Aim at a request in progress (give up aiming after 3 s).
        let aim = Instant::now();
        while proxy.writes_in_flight() == 0 && aim.elapsed() < Duration::from_secs(3) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // A little jitter so the kill lands at different points of the
        // server's work (reading the body, processing, the DB commit).
        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..30))).await;
        let mut s = server.lock().await;
        if proxy.writes_in_flight() > 0 {
            kills.mid_write += 1;
        }
        s.kill9();
        kills.kills += 1;
        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..500))).await;
        s.start().await?;
        drop(s);
        next = done.load(Ordering::SeqCst) + rng.gen_range(10..=40);
    }
}

#[derive(Default)]
struct Check {
    client_visits: usize,
    server_visits: usize,
    unconfirmed: usize,
    lost: usize,
    duplicated: usize,
    mismatched: usize,
    referenced: usize,
    missing: usize,
    orphaned: usize,
    temp_files: usize,
    problems: Vec<String>,
}

/// Compares the server with the phones, straight to the server (no proxy).
async fn verify(
    direct: &str,
    devices: &[Device],
    before: &BTreeSet<Uuid>,
    storage: &Path,
) -> Result<Check, String> {
    let mut check = Check::default();
    let mut all_referenced: BTreeSet<String> = BTreeSet::new();
    let mut run_referenced: BTreeMap<String, &'static str> = BTreeMap::new();
    let mut apis: BTreeMap<&str, Api> = BTreeMap::new();
    for t in TEACHERS {
        let api = Api::new(direct);
        api.login(t, DEMO_PASSWORD)
            .await
            .map_err(|e| format!("{t} login for the check: {e:?}"))?;
        let on_server: Vec<ServerVisit> = api
            .get_json("/api/v1/visits?semester=all")
            .await
            .map_err(|e| format!("{t} visits for the check: {e:?}"))?;
        for v in &on_server {
            all_referenced.extend(v.photos.iter().cloned());
            all_referenced.extend(v.signature.iter().cloned());
        }
        let mut server_by_id: BTreeMap<Uuid, &ServerVisit> = BTreeMap::new();
        let mut by_tag: BTreeMap<&str, usize> = BTreeMap::new();
        for v in on_server.iter().filter(|v| !before.contains(&v.id)) {
            server_by_id.insert(v.id, v);
            *by_tag.entry(tag_of(&v.summary)).or_default() += 1;
            for p in &v.photos {
                run_referenced.insert(p.clone(), "jpg");
            }
            if let Some(s) = &v.signature {
                run_referenced.insert(s.clone(), "png");
            }
        }
        check.server_visits += server_by_id.len();
        check.duplicated += by_tag.values().map(|n| n - 1).sum::<usize>();
        let mine: Vec<&LocalVisit> = devices
            .iter()
            .filter(|d| d.username == t)
            .flat_map(|d| d.visits.iter())
            .collect();
        let client_ids: BTreeSet<Uuid> = mine.iter().map(|v| v.id).collect();
        for id in server_by_id.keys().filter(|id| !client_ids.contains(id)) {
            check.duplicated += 1;
            check
                .problems
                .push(format!("{t}: server visit {id} no phone made"));
        }
        for v in mine {
            if v.state != LocalState::Synced {
                check.unconfirmed += 1;
                check.problems.push(format!(
                    "{t}: visit {} never confirmed: {:?}",
                    v.id, v.error
                ));
                continue;
            }
            check.client_visits += 1;
            let Some(s) = server_by_id.get(&v.id) else {
                check.lost += 1;
                check.problems.push(format!(
                    "{t}: confirmed visit {} is not on the server",
                    v.id
                ));
                continue;
            };
            let photos: Vec<String> = v.photos.iter().map(|p| p.blob.sha256.clone()).collect();
            let same = s.student_id == v.student_id
                && s.summary == v.summary
                && s.photos == photos
                && s.signature.as_deref() == Some(v.signature.blob.sha256.as_str())
                && Some(s.revision) == v.server_revision
                && s.revision == 1 + v.edits;
            if !same {
                check.mismatched += 1;
                check.problems.push(format!(
                    "{t}: visit {} differs: server rev {} {:?}, phone rev {:?} (+{} edits) {:?}",
                    v.id, s.revision, s.summary, v.server_revision, v.edits, v.summary
                ));
            }
        }
        apis.insert(t, api);
    }

    // Every file a visit shows is stored with its thumbnail and served.
    check.referenced = run_referenced.len();
    let any_api = apis.values().next().expect("teachers");
    for (sha, ext) in &run_referenced {
        let dir = storage.join(&sha[..2]);
        let image = dir.join(format!("{sha}.{ext}"));
        let thumb = dir.join(format!("{sha}.thumb.jpg"));
        let mut ok = image.is_file() && thumb.is_file();
        // The uploader may not be this teacher: ask each until one may see it.
        let mut served = false;
        for api in apis.values() {
            if let Ok((status, body)) = api.get_raw(&format!("/api/v1/attachments/{sha}")).await
                && status.is_success()
                && !body.is_empty()
            {
                served = true;
                break;
            }
        }
        ok &= served;
        if !ok {
            check.missing += 1;
            check.problems.push(format!(
                "attachment {sha}: file {}, thumbnail {}, served {served}",
                image.is_file(),
                thumb.is_file()
            ));
        }
    }

    // Files nobody refers to, and temp files a kill left behind.
    for entry in walk(storage) {
        let name = entry
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if name.starts_with(".tmp-") {
            check.temp_files += 1;
            continue;
        }
        let Some(sha) = name.get(..64) else { continue };
        if name.ends_with(".thumb.jpg") || name.ends_with(".pdf") {
            continue;
        }
        if !all_referenced.contains(sha) {
            check.orphaned += 1;
            let (status, _) = any_api
                .get_raw(&format!("/api/v1/attachments/{sha}"))
                .await
                .unwrap_or((reqwest::StatusCode::IM_A_TEAPOT, Vec::new()));
            check.problems.push(format!(
                "orphaned file {name} (GET as {}: {status})",
                TEACHERS[0]
            ));
        }
    }
    Ok(check)
}

/// `soak head@phone0-3 谈话…（第 1 次修改）` → `head@phone0-3`.
fn tag_of(summary: &str) -> &str {
    summary.split(' ').nth(1).unwrap_or(summary)
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::tag_of;

    #[test]
    fn tag_is_the_device_and_number() {
        assert_eq!(
            tag_of("soak head@phone0-3 谈话要点（第 1 次修改）"),
            "head@phone0-3"
        );
    }
}
