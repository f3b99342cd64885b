//! The fault proxy: a loopback HTTP/1.1 relay between the client and the
//! server that, by seeded random choice, drops requests, cuts connections
//! in the middle of the request body or of the response, delays requests,
//! delivers them twice, and holds some back to deliver them after later
//! ones (reordering).
//!
//! It reads each request whole (`Content-Length` bodies: what the client
//! sends) and asks the server to close the connection after answering, so
//! a response is simply everything up to EOF. One request per client
//! connection: the relay answers with `Connection: close` too.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Chance of each fault per request (the rest pass untouched).
#[derive(Clone, Copy, Debug)]
pub struct FaultRates {
    pub drop: f64,
    pub cut_request: f64,
    pub cut_response: f64,
    pub delay: f64,
    pub duplicate: f64,
    pub reorder: f64,
}

impl FaultRates {
    pub const SOAK: FaultRates = FaultRates {
        drop: 0.04,
        cut_request: 0.04,
        cut_response: 0.05,
        delay: 0.06,
        duplicate: 0.05,
        reorder: 0.04,
    };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    /// Closed at once; the server never sees it.
    Drop,
    /// The server gets the headers and part of the body, then the connection dies.
    CutRequest,
    /// The server handles it; the client gets part of the answer.
    CutResponse,
    /// Held 50–1500 ms, then relayed normally.
    Delay,
    /// Relayed, and a second copy is delivered 0–300 ms later.
    Duplicate,
    /// The client's connection dies; the request reaches the server
    /// 0.2–2.5 s later, after the client's retry and later requests.
    Reorder,
}

impl Fault {
    pub const ALL: [Fault; 6] = [
        Fault::Drop,
        Fault::CutRequest,
        Fault::CutResponse,
        Fault::Delay,
        Fault::Duplicate,
        Fault::Reorder,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Fault::Drop => "dropped",
            Fault::CutRequest => "cut mid-request",
            Fault::CutResponse => "cut mid-response",
            Fault::Delay => "delayed",
            Fault::Duplicate => "duplicated",
            Fault::Reorder => "reordered (delivered late)",
        }
    }
}

/// What went through the proxy.
#[derive(Default, Debug, Clone)]
pub struct ProxyStats {
    /// Requests from the client, by kind (`PUT attachment`, `PUT visit`, …).
    pub requests: BTreeMap<String, u64>,
    pub faults: BTreeMap<Fault, u64>,
    /// Requests that found no server (it was being killed or restarted).
    pub server_down: u64,
    /// Copies the proxy itself sent (duplicates, late deliveries).
    pub extra_deliveries: u64,
    /// Server answers by status, by kind (every delivery, including copies).
    pub statuses: BTreeMap<(String, u16), u64>,
}

struct Shared {
    upstream: SocketAddr,
    rates: FaultRates,
    rng: Mutex<StdRng>,
    faults_on: AtomicBool,
    stats: Mutex<ProxyStats>,
    /// Writes (PUTs, visit batches) the server is working on right now (the
    /// killer aims for these).
    writes_in_flight: AtomicUsize,
    /// Copies still to be delivered (late or duplicate).
    background: AtomicUsize,
}

#[derive(Clone)]
pub struct Proxy {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
}

struct Request {
    /// Method, path and headers, rewritten to `Connection: close`.
    head: Vec<u8>,
    body: Vec<u8>,
    kind: String,
    is_write: bool,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr, rates: FaultRates, seed: u64) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding the proxy");
        let addr = listener.local_addr().expect("proxy address");
        let shared = Arc::new(Shared {
            upstream,
            rates,
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            faults_on: AtomicBool::new(true),
            stats: Mutex::new(ProxyStats::default()),
            writes_in_flight: AtomicUsize::new(0),
            background: AtomicUsize::new(0),
        });
        let accept_shared = shared.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(handle(accept_shared.clone(), stream));
            }
        });
        Proxy { addr, shared }
    }

    pub fn set_faults(&self, on: bool) {
        self.shared.faults_on.store(on, Ordering::SeqCst);
    }

    pub fn stats(&self) -> ProxyStats {
        self.shared.stats.lock().unwrap().clone()
    }

    pub fn writes_in_flight(&self) -> usize {
        self.shared.writes_in_flight.load(Ordering::SeqCst)
    }

    /// Waits until every held-back or duplicate copy has been delivered.
    pub async fn wait_idle(&self) {
        while self.shared.background.load(Ordering::SeqCst) > 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Reads one whole request; `None` if the client went away or sent
/// something this relay does not handle.
async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::with_capacity(8192);
    let mut chunk = [0u8; 16384];
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head_text = std::str::from_utf8(&buf[..head_end]).ok()?;
    let mut lines = head_text.split("\r\n");
    let request_line = lines.next()?.to_owned();
    let mut length = 0usize;
    let mut head = format!("{request_line}\r\n");
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':')?;
        let name_lc = name.trim().to_ascii_lowercase();
        match name_lc.as_str() {
            "content-length" => length = value.trim().parse().ok()?,
            "transfer-encoding" => return None,
            "connection" | "keep-alive" => continue,
            _ => {}
        }
        head.push_str(line);
        head.push_str("\r\n");
    }
    head.push_str("Connection: close\r\n\r\n");
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    let mut parts = request_line.split(' ');
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let kind = kind_of(&method, &path);
    let is_write = method == "PUT" || kind == "POST visit batch";
    Some(Request {
        head: head.into_bytes(),
        body,
        kind,
        is_write,
    })
}

/// `PUT attachment`, `PUT visit`, `POST session`, `GET visits`… (no ids).
pub fn kind_of(method: &str, path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    let noun = path
        .trim_start_matches("/api/v1/")
        .split('/')
        .next()
        .unwrap_or("");
    let noun = match noun {
        "attachments" if method == "PUT" => "attachment",
        "visits" if method == "PUT" => "visit",
        "visits" if method == "POST" && path.ends_with("/batch") => "visit batch",
        other => other,
    };
    format!("{method} {noun}")
}

async fn handle(shared: Arc<Shared>, mut client: TcpStream) {
    let _ = client.set_nodelay(true);
    let Ok(Some(req)) =
        tokio::time::timeout(Duration::from_secs(60), read_request(&mut client)).await
    else {
        return;
    };
    *shared
        .stats
        .lock()
        .unwrap()
        .requests
        .entry(req.kind.clone())
        .or_default() += 1;
    let fault = if shared.faults_on.load(Ordering::SeqCst) {
        pick_fault(&shared)
    } else {
        None
    };
    if let Some(f) = fault {
        *shared.stats.lock().unwrap().faults.entry(f).or_default() += 1;
    }
    let req = Arc::new(req);
    match fault {
        Some(Fault::Drop) => {}
        Some(Fault::CutRequest) => {
            let cut = {
                let mut rng = shared.rng.lock().unwrap();
                if req.body.is_empty() {
                    rng.gen_range(1..req.head.len())
                } else {
                    req.head.len() + rng.gen_range(0..req.body.len())
                }
            };
            if let Ok(mut up) = TcpStream::connect(shared.upstream).await {
                let mut bytes = req.head.clone();
                bytes.extend_from_slice(&req.body);
                let _ = up.write_all(&bytes[..cut]).await;
                // Give the server a moment to start reading, then vanish.
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        Some(Fault::CutResponse) => {
            if let Some(resp) = deliver(&shared, &req).await
                && resp.len() > 1
            {
                let cut = shared.rng.lock().unwrap().gen_range(1..resp.len());
                let _ = client.write_all(&resp[..cut]).await;
            }
        }
        Some(Fault::Reorder) => {
            let wait = shared.rng.lock().unwrap().gen_range(200..2500);
            background(&shared, &req, wait);
        }
        Some(Fault::Delay) | Some(Fault::Duplicate) | None => {
            if fault == Some(Fault::Delay) {
                let wait = shared.rng.lock().unwrap().gen_range(50..1500);
                tokio::time::sleep(Duration::from_millis(wait)).await;
            }
            if fault == Some(Fault::Duplicate) {
                let wait = shared.rng.lock().unwrap().gen_range(0..300);
                background(&shared, &req, wait);
            }
            if let Some(resp) = deliver(&shared, &req).await {
                let _ = client.write_all(&resp).await;
            }
        }
    }
    let _ = client.shutdown().await;
}

fn pick_fault(shared: &Shared) -> Option<Fault> {
    let r = shared.rates;
    let mut x: f64 = shared.rng.lock().unwrap().r#gen();
    for (fault, p) in [
        (Fault::Drop, r.drop),
        (Fault::CutRequest, r.cut_request),
        (Fault::CutResponse, r.cut_response),
        (Fault::Delay, r.delay),
        (Fault::Duplicate, r.duplicate),
        (Fault::Reorder, r.reorder),
    ] {
        if x < p {
            return Some(fault);
        }
        x -= p;
    }
    None
}

/// Delivers a copy of `req` after `wait_ms`, answer thrown away.
fn background(shared: &Arc<Shared>, req: &Arc<Request>, wait_ms: u64) {
    shared.background.fetch_add(1, Ordering::SeqCst);
    let shared = shared.clone();
    let req = req.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(wait_ms)).await;
        deliver(&shared, &req).await;
        shared.stats.lock().unwrap().extra_deliveries += 1;
        shared.background.fetch_sub(1, Ordering::SeqCst);
    });
}

/// Sends `req` to the server and reads its whole answer; `None` if the
/// server is down or the connection failed.
async fn deliver(shared: &Shared, req: &Request) -> Option<Vec<u8>> {
    let Ok(mut up) = TcpStream::connect(shared.upstream).await else {
        shared.stats.lock().unwrap().server_down += 1;
        return None;
    };
    let _ = up.set_nodelay(true);
    if req.is_write {
        shared.writes_in_flight.fetch_add(1, Ordering::SeqCst);
    }
    let exchange = async {
        up.write_all(&req.head).await?;
        up.write_all(&req.body).await?;
        let mut resp = Vec::new();
        up.read_to_end(&mut resp).await?;
        Ok::<_, std::io::Error>(resp)
    };
    let result = tokio::time::timeout(Duration::from_secs(120), exchange).await;
    if req.is_write {
        shared.writes_in_flight.fetch_sub(1, Ordering::SeqCst);
    }
    let resp = result.ok()?.ok().filter(|r| !r.is_empty())?;
    let status = std::str::from_utf8(resp.get(9..12)?)
        .ok()?
        .parse::<u16>()
        .ok()?;
    *shared
        .stats
        .lock()
        .unwrap()
        .statuses
        .entry((req.kind.clone(), status))
        .or_default() += 1;
    Some(resp)
}

#[cfg(test)]
mod tests {
    use super::kind_of;

    #[test]
    fn kinds_have_no_ids() {
        assert_eq!(kind_of("PUT", "/api/v1/attachments/abc"), "PUT attachment");
        assert_eq!(kind_of("PUT", "/api/v1/visits/1-2"), "PUT visit");
        assert_eq!(kind_of("POST", "/api/v1/visits/batch"), "POST visit batch");
        assert_eq!(
            kind_of("GET", "/api/v1/visits?semester=current"),
            "GET visits"
        );
        assert_eq!(kind_of("POST", "/api/v1/session"), "POST session");
    }
}
