//! `jiafang-soak load`: the end-of-semester hand-in. Many teachers' phones
//! sync a backlog of visits with photos at the same moment, straight to the
//! server on loopback (no faults); latency per request kind, errors,
//! throughput and the server's peak memory.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{Barrier, Semaphore};

use crate::client::{Api, BatchResults, ClientError, LocalVisit, backoff_ms, batch_body, batches};
use crate::media::{self, Blob};
use crate::server::{Scratch, Server, ServerSpec, free_port, fresh_database};

pub struct LoadOpts {
    pub clients: usize,
    pub visits: usize,
    pub photos: usize,
    pub postgres: bool,
    pub server_bin: PathBuf,
    /// Longest side of the photos (the phone scales to ≤ 1600 px).
    pub photo_px: u32,
    /// The whole timed phase must end within this.
    pub timeout: Duration,
    pub seed: u64,
}

#[derive(Deserialize)]
struct ClassOption {
    id: i32,
}

#[derive(Deserialize)]
struct InitialPassword {
    initial_password: String,
}

#[derive(Deserialize)]
struct Student {
    id: i32,
}

/// Latencies (ms) and failures per request kind, for one client.
#[derive(Default)]
struct Tally {
    latency: BTreeMap<&'static str, Vec<f64>>,
    errors: BTreeMap<String, u64>,
    bytes_up: u64,
    visits_confirmed: u64,
}

impl Tally {
    fn merge(&mut self, o: Tally) {
        for (k, v) in o.latency {
            self.latency.entry(k).or_default().extend(v);
        }
        for (k, n) in o.errors {
            *self.errors.entry(k).or_default() += n;
        }
        self.bytes_up += o.bytes_up;
        self.visits_confirmed += o.visits_confirmed;
    }

    fn error(&mut self, kind: &str, err: &ClientError) {
        let what = match err {
            ClientError::Network(m) => {
                format!("network/5xx: {}", m.chars().take(60).collect::<String>())
            }
            other => format!("{other:?}").chars().take(80).collect(),
        };
        *self.errors.entry(format!("{kind}: {what}")).or_default() += 1;
    }
}

struct Progress {
    done: AtomicUsize,
    step: usize,
}

/// A teacher account made for the test, logged in, with its students.
struct LoadTeacher {
    api: Api,
    students: Vec<i32>,
}

pub async fn run(opts: LoadOpts) -> Result<bool, String> {
    let began = Instant::now();
    let label = if opts.postgres {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let scratch = Scratch::new("load");
    let database_url = fresh_database(&scratch.dir, opts.postgres)?;
    let mut server = Server::new(ServerSpec {
        bin: opts.server_bin.clone(),
        database_url,
        storage_dir: scratch.dir.join("storage"),
        port: free_port(),
        log: scratch.dir.join("server.log"),
    });
    println!(
        "load: {} clients × {} visits × {} photos ({} px), {label}, server {}",
        opts.clients,
        opts.visits,
        opts.photos,
        opts.photo_px,
        opts.server_bin.display()
    );
    server.seed_and_start().await?;
    let base = format!("http://{}", server.addr());

    let setup = Instant::now();
    let teachers = make_teachers(&base, opts.clients).await?;
    println!(
        "set-up: {} teacher accounts created, first login and password change done in {:.1} s",
        teachers.len(),
        setup.elapsed().as_secs_f64()
    );

    // Photos as phones send them: a few real JPEGs, each sent under its own
    // hash (a JPEG comment with the client, visit and photo number).
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let (w, h) = (opts.photo_px, opts.photo_px * 3 / 4);
    let bases: Arc<Vec<Blob>> = Arc::new((0..8).map(|_| media::photo(&mut rng, w, h)).collect());
    let signatures: Vec<Vec<Blob>> = (0..opts.clients)
        .map(|_| {
            (0..opts.visits)
                .map(|_| media::signature(&mut rng))
                .collect()
        })
        .collect();
    let photo_bytes = bases.iter().map(|b| b.bytes.len()).sum::<usize>() / bases.len();
    println!(
        "photos ≈ {} KB each, signatures ≈ {} KB",
        photo_bytes / 1024,
        signatures[0][0].bytes.len() / 1024
    );

    let barrier = Arc::new(Barrier::new(opts.clients + 1));
    // Prints every tenth of the hand-in, so a long run shows it is alive.
    let progress = Arc::new(Progress {
        done: AtomicUsize::new(0),
        step: (opts.clients * opts.visits / 10).max(1),
    });
    let mut tasks = Vec::new();
    for (i, (teacher, sigs)) in teachers.into_iter().zip(signatures).enumerate() {
        let barrier = barrier.clone();
        let bases = bases.clone();
        let photos = opts.photos;
        let seed = opts.seed.wrapping_add(i as u64 + 1);
        let progress = progress.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            hand_in(i, teacher, sigs, &bases, photos, seed, &progress).await
        }));
    }
    barrier.wait().await;
    let timed = Instant::now();
    let joined = tokio::time::timeout(opts.timeout, async {
        let mut total = Tally::default();
        for t in tasks {
            if let Ok(tally) = t.await {
                total.merge(tally);
            }
        }
        total
    })
    .await;
    let elapsed = timed.elapsed();
    let peak_kib = server.peak_rss_kib();
    let Ok(total) = joined else {
        println!(
            "RESULT: FAIL (not done within {} s)",
            opts.timeout.as_secs()
        );
        return Ok(false);
    };

    // Every visit is on the server once.
    let expected = (opts.clients * opts.visits) as u64;
    let panics = server.panics_logged();
    server.stop();

    println!();
    println!("== load figures ({label}) ==");
    println!(
        "clients {} × visits {} × photos {} + signature = {} visits, {} uploads",
        opts.clients,
        opts.visits,
        opts.photos,
        expected,
        expected * (opts.photos as u64 + 1)
    );
    println!(
        "{:<22} {:>8} {:>10} {:>10} {:>10}",
        "request", "count", "p50 ms", "p99 ms", "max ms"
    );
    let mut requests = 0usize;
    for (kind, lat) in &total.latency {
        let mut v = lat.clone();
        v.sort_by(f64::total_cmp);
        requests += v.len();
        println!(
            "{kind:<22} {:>8} {:>10.1} {:>10.1} {:>10.1}",
            v.len(),
            percentile(&v, 50.0),
            percentile(&v, 99.0),
            v.last().copied().unwrap_or(0.0)
        );
    }
    let errors: u64 = total.errors.values().sum();
    println!("errors                 {errors} (goal 0)");
    for (k, n) in &total.errors {
        println!("    {k} × {n}");
    }
    let secs = elapsed.as_secs_f64();
    println!(
        "visits confirmed       {} of {expected}",
        total.visits_confirmed
    );
    println!(
        "throughput             {:.1} visits/s, {:.1} requests/s, {:.1} MB/s uploaded",
        total.visits_confirmed as f64 / secs,
        requests as f64 / secs,
        total.bytes_up as f64 / secs / 1e6
    );
    match peak_kib {
        Some(k) => println!(
            "server peak RSS        {:.0} MiB (VmHWM)",
            k as f64 / 1024.0
        ),
        None => println!("server peak RSS        unknown"),
    }
    println!("server panics logged   {panics}");
    println!(
        "hand-in wall time      {secs:.1} s (whole run {:.1} s)",
        began.elapsed().as_secs_f64()
    );
    let passed = total.visits_confirmed == expected && panics == 0;
    println!("RESULT: {}", if passed { "PASS" } else { "FAIL" });
    if passed {
        scratch.remove();
    } else {
        println!("kept for a look: {}", scratch.dir.display());
    }
    Ok(passed)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    // Nearest rank.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Accounts through the admin API (`POST /api/v1/staff` as the demo school
/// administrator): subject teachers spread over the school's classes, each
/// logged in once and past the compulsory password change.
async fn make_teachers(base: &str, n: usize) -> Result<Vec<LoadTeacher>, String> {
    let admin = Api::new(base);
    admin
        .login("admin", "demo-password")
        .await
        .map_err(|e| format!("admin login: {e:?}"))?;
    let classes: Vec<ClassOption> = admin
        .get_json("/api/v1/classes")
        .await
        .map_err(|e| format!("classes: {e:?}"))?;
    if classes.is_empty() {
        return Err("the demo school has no classes".into());
    }
    // One at a time: set-up is not what is measured, and concurrent
    // account writes on SQLite still fail with "database is locked" in
    // the server binary this was written against.
    let gate = Arc::new(Semaphore::new(1));
    let mut tasks = Vec::new();
    for i in 0..n {
        let admin = admin.clone();
        let class_id = classes[i % classes.len()].id;
        let gate = gate.clone();
        let base = base.to_owned();
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.expect("semaphore");
            let username = format!("load{i:04}");
            let created: InitialPassword = admin
                .post_json(
                    "/api/v1/staff",
                    &json!({
                        "username": username,
                        "display_name": format!("压测教师{i}"),
                        "roles": [{ "role": "subject_teacher", "class_id": class_id, "subject": "语文" }],
                    }),
                )
                .await
                .map_err(|e| format!("creating {username}: {e:?}"))?;
            let api = Api::new(&base);
            api.login(&username, &created.initial_password)
                .await
                .map_err(|e| format!("{username} first login: {e:?}"))?;
            let new_password = format!("load-password-{i}");
            api.put_no_content(
                "/api/v1/me/password",
                &json!({ "old_password": created.initial_password, "new_password": new_password }),
            )
            .await
            .map_err(|e| format!("{username} password change: {e:?}"))?;
            // The change ends other sessions; log in as the phone would.
            api.login(&username, &new_password)
                .await
                .map_err(|e| format!("{username} login: {e:?}"))?;
            let students: Vec<Student> = api
                .get_json("/api/v1/students")
                .await
                .map_err(|e| format!("{username} students: {e:?}"))?;
            if students.is_empty() {
                return Err(format!("{username} sees no students"));
            }
            Ok(LoadTeacher {
                api,
                students: students.into_iter().map(|s| s.id).collect(),
            })
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.map_err(|e| e.to_string())??);
    }
    Ok(out)
}

/// One phone's backlog sent in one sync pass, in the app's order: groups
/// of ten visits, per visit its photos and signature, then the group's
/// records in one batch; transient failures are retried after the app's
/// waits (2 s, 4 s …), counted as errors.
async fn hand_in(
    client: usize,
    teacher: LoadTeacher,
    signatures: Vec<Blob>,
    bases: &[Blob],
    photos: usize,
    seed: u64,
    progress: &Progress,
) -> Tally {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut tally = Tally::default();
    let api = &teacher.api;
    let visits: Vec<LocalVisit> = signatures
        .into_iter()
        .enumerate()
        .map(|(v, signature)| {
            let student = teacher.students[rng.gen_range(0..teacher.students.len())];
            let pics: Vec<Blob> = (0..photos)
                .map(|p| {
                    media::retagged(
                        &bases[rng.gen_range(0..bases.len())],
                        &format!("load {client}-{v}-{p}"),
                    )
                })
                .collect();
            LocalVisit::new(
                student,
                format!("load {client}-{v} 期末家访汇总：学习习惯良好"),
                pics,
                signature,
                rng.gen_range(0..60 * 24 * 20),
                v as u64,
            )
        })
        .collect();
    for group in batches(&visits, |v| v.photos.len() + 1) {
        for visit in group {
            let files: Vec<(&'static str, Blob)> = visit
                .photos
                .iter()
                .map(|p| ("PUT attachment (photo)", p.blob.clone()))
                .chain(std::iter::once((
                    "PUT attachment (sig)",
                    visit.signature.blob.clone(),
                )))
                .collect();
            for (kind, blob) in files {
                let path = format!("/api/v1/attachments/{}", blob.sha256);
                let sent = with_retries(&mut tally, kind, || api.put_blob(&path, &blob)).await;
                if sent.is_none() {
                    return tally;
                }
                tally.bytes_up += blob.bytes.len() as u64;
            }
        }
        let body = batch_body(group);
        let Some(answers) = with_retries(&mut tally, "POST visit batch", || {
            api.post_json::<BatchResults>("/api/v1/visits/batch", &body)
        })
        .await
        else {
            return tally;
        };
        for visit in group {
            if let Err(err) = answers.answer_for(visit.id) {
                tally.error("visit in batch", &err);
                return tally;
            }
            tally.visits_confirmed += 1;
            let n = progress.done.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_multiple_of(progress.step) {
                println!("  … {n} visits confirmed");
            }
        }
    }
    // The pass ends by refreshing the phone's offline copies.
    for (kind, url) in [
        ("GET students", "/api/v1/students"),
        ("GET colleagues", "/api/v1/colleagues"),
        ("GET visits", "/api/v1/visits?semester=current"),
        ("GET quota", "/api/v1/quota"),
        ("GET absence-tasks", "/api/v1/absence-tasks"),
    ] {
        with_retries(&mut tally, kind, || api.get_json::<Value>(url)).await;
    }
    tally
}

/// Times each try; retries transient failures up to 5 times. The call's
/// answer, or `None` if it was refused or still failed after six tries.
async fn with_retries<T, F, Fut>(tally: &mut Tally, kind: &'static str, mut call: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ClientError>>,
{
    for attempt in 1..=6 {
        let t = Instant::now();
        let result = call().await;
        tally
            .latency
            .entry(kind)
            .or_default()
            .push(t.elapsed().as_secs_f64() * 1000.0);
        match result {
            Ok(answer) => return Some(answer),
            Err(err) => {
                tally.error(kind, &err);
                if !err.is_transient() || attempt == 6 {
                    return None;
                }
                tokio::time::sleep(Duration::from_millis(backoff_ms(attempt))).await;
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
    }
}
