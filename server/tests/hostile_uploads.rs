//! Hostile uploads on every endpoint that takes a file (photo/signature,
//! monthly report scan, roster import): decompression bombs with real
//! data, huge dimensions, truncated files, wrong types, polyglots, empty
//! bodies and a 100 MB body. Each gets a clear 4xx with the JSON error (or,
//! for a polyglot that is a real image, is stored without its payload), and the process — the server runs in it — stays within a
//! memory bound. `attachments.rs` has the plain cases (header-only PNG
//! bomb, declared/real type mismatch, 10 MB + 1).

mod common;

use std::time::{Duration, Instant};

use common::images::{contains, jpeg, sha256_hex};
use common::{Backend, TestDb, TestServer, client_for};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Peak resident memory of this process (the server runs in it), from
/// /proc/self/status; the figure is printed by each test.
const MAX_PEAK_RSS_MIB: u64 = 640;

fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM");
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("VmHWM in kB");
    kib / 1024
}

fn assert_memory_bounded(what: &str) {
    let peak = peak_rss_mib();
    println!("{what}: peak RSS of the test process (server included) {peak} MiB");
    assert!(
        peak <= MAX_PEAK_RSS_MIB,
        "{what}: peak RSS {peak} MiB over {MAX_PEAK_RSS_MIB} MiB"
    );
}

// ---- Files made on the spot -------------------------------------------

fn crc32(bytes: &[u8]) -> u32 {
    let mut table = [0u32; 256];
    for (i, slot) in table.iter_mut().enumerate() {
        let mut c = i as u32;
        for _ in 0..8 {
            c = if c & 1 == 1 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
        }
        *slot = c;
    }
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc = table[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8);
    }
    !crc
}

/// Bits of a DEFLATE stream, least significant first.
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u32, count: u32) {
        self.acc |= u64::from(value) << self.n;
        self.n += count;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// Huffman codes go most significant bit first.
    fn code(&mut self, code: u32, len: u32) {
        let reversed = code.reverse_bits() >> (32 - len);
        self.put(reversed, len);
    }

    fn literal(&mut self, byte: u8) {
        if byte <= 143 {
            self.code(0x30 + u32::from(byte), 8);
        } else {
            self.code(0x190 + u32::from(byte - 144), 9);
        }
    }
}

/// A raw DEFLATE stream of `n` copies of `byte`: one literal, then
/// back-references of 258 bytes at distance 1 (13 bits each), so the
/// stream is about 1/160 of what it inflates to.
fn deflate_repeated(byte: u8, n: u64) -> Vec<u8> {
    let mut bits = Bits {
        out: Vec::new(),
        acc: 0,
        n: 0,
    };
    bits.put(1, 1); // last block
    bits.put(1, 2); // fixed Huffman codes
    bits.literal(byte);
    let rest = n - 1;
    for _ in 0..rest / 258 {
        bits.code(0xC5, 8); // length 258 (symbol 285)
        bits.code(0, 5); // distance 1
    }
    for _ in 0..rest % 258 {
        bits.literal(byte);
    }
    bits.code(0, 7); // end of block
    bits.put(0, 7); // flush
    bits.out
}

/// The zlib wrapper PNG uses around `deflate_repeated`.
fn zlib_repeated(byte: u8, n: u64) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    out.extend(deflate_repeated(byte, n));
    let (n, b) = (u128::from(n), u128::from(byte));
    let a = (1 + n * b) % 65521;
    let s = (n + b * n * (n + 1) / 2) % 65521;
    out.extend(((s << 16 | a) as u32).to_be_bytes());
    out
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend(u32::try_from(data.len()).unwrap().to_be_bytes());
    let mut body = kind.to_vec();
    body.extend(data);
    out.extend(&body);
    out.extend(crc32(&body).to_be_bytes());
}

/// A valid all-black RGB PNG of `width` × `height` whose pixel data
/// really inflates to (3 × width + 1) × height bytes: a small file that
/// is a huge image.
fn png_real_bomb(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    let raw = (3 * u64::from(width) + 1) * u64::from(height);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(&mut out, b"IDAT", &zlib_repeated(0, raw));
    png_chunk(&mut out, b"IEND", &[]);
    out
}

/// A small real JPEG whose frame header (SOF0) claims `width` × `height`.
fn jpeg_claiming(width: u16, height: u16) -> Vec<u8> {
    let mut bytes = jpeg(64, 48);
    let sof = bytes
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("baseline JPEG has SOF0");
    // FF C0, length (2), precision (1), height (2), width (2).
    bytes[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    bytes[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    bytes
}

/// A minimal zip with one deflated entry: `size` bytes of spaces.
fn zip_bomb(name: &str, size: u64) -> Vec<u8> {
    let data = deflate_repeated(b' ', size);
    let size32 = u32::try_from(size).unwrap();
    let mut out = Vec::new();
    let local = |out: &mut Vec<u8>| {
        out.extend(0x0403_4B50u32.to_le_bytes());
        out.extend(20u16.to_le_bytes()); // version needed
        out.extend(0u16.to_le_bytes()); // flags
        out.extend(8u16.to_le_bytes()); // deflate
        out.extend([0, 0, 0, 0]); // time, date
        out.extend(0u32.to_le_bytes()); // crc (never checked: refused before)
        out.extend(u32::try_from(data.len()).unwrap().to_le_bytes());
        out.extend(size32.to_le_bytes());
        out.extend(u16::try_from(name.len()).unwrap().to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out.extend(name.as_bytes());
    };
    local(&mut out);
    out.extend(&data);
    let central_at = out.len();
    out.extend(0x0201_4B50u32.to_le_bytes());
    out.extend(20u16.to_le_bytes()); // made by
    out.extend(20u16.to_le_bytes()); // needed
    out.extend(0u16.to_le_bytes());
    out.extend(8u16.to_le_bytes());
    out.extend([0, 0, 0, 0]);
    out.extend(0u32.to_le_bytes());
    out.extend(u32::try_from(data.len()).unwrap().to_le_bytes());
    out.extend(size32.to_le_bytes());
    out.extend(u16::try_from(name.len()).unwrap().to_le_bytes());
    out.extend([0; 12]); // extra, comment, disk, attributes
    out.extend(0u32.to_le_bytes()); // local header offset
    out.extend(name.as_bytes());
    let central_len = out.len() - central_at;
    out.extend(0x0605_4B50u32.to_le_bytes());
    out.extend([0, 0, 0, 0]);
    out.extend(1u16.to_le_bytes());
    out.extend(1u16.to_le_bytes());
    out.extend(u32::try_from(central_len).unwrap().to_le_bytes());
    out.extend(u32::try_from(central_at).unwrap().to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

// ---- Requests -----------------------------------------------------------

async fn put_attachment(
    srv: &TestServer,
    client: &Client,
    content_type: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let sha = sha256_hex(&bytes);
    let res = client
        .put(srv.url(&format!("/api/v1/attachments/{sha}")))
        .header("Content-Type", content_type)
        .body(bytes)
        .send()
        .await
        .expect("upload");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn assert_json_error(status: StatusCode, body: &Value, expected: StatusCode, what: &str) {
    assert_eq!(status, expected, "{what}: {body}");
    assert!(
        body["error"].is_string() && body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{what}: a JSON error with a message: {body}"
    );
}

/// The session cookie of a fresh login, for requests written by hand.
async fn session_cookie(srv: &TestServer, username: &str) -> String {
    let res = common::login_with(
        &common::new_client(),
        &srv.url("/api/v1/session"),
        username,
        "demo-password",
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

/// Send a `len`-byte body of zeros, streamed in 64 KiB pieces (the test
/// never holds it in memory), with the response read at the same time:
/// the server may answer and hang up long before the body is through.
async fn send_huge(
    srv: &TestServer,
    method: &str,
    path: &str,
    cookie: &str,
    content_type: &str,
    len: u64,
) -> (StatusCode, Value) {
    let addr = srv.base.trim_start_matches("http://").to_owned();
    let stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nContent-Type: {content_type}\r\nContent-Length: {len}\r\n\r\n"
    );
    let sending = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await?;
        let piece = vec![0u8; 64 * 1024];
        let mut sent = 0u64;
        while sent < len {
            let n = piece.len().min(usize::try_from(len - sent).unwrap());
            writer.write_all(&piece[..n]).await?;
            sent += n as u64;
        }
        writer.flush().await?;
        Ok::<u64, std::io::Error>(sent)
    });
    let mut response = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    let read = tokio::time::timeout(Duration::from_secs(120), async {
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => response.extend_from_slice(&buf[..n]),
            }
            if let Some(value) = parse_response(&response) {
                return Some(value);
            }
        }
        parse_response(&response)
    })
    .await
    .expect("an answer within 2 minutes");
    sending.abort();
    read.unwrap_or_else(|| panic!("no HTTP response: {:?}", String::from_utf8_lossy(&response)))
}

/// Status and JSON body of a complete HTTP/1.1 response (Content-Length or
/// chunked), or `None` while more is needed.
fn parse_response(bytes: &[u8]) -> Option<(StatusCode, Value)> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&bytes[..end])
        .ok()?
        .to_ascii_lowercase();
    let status: u16 = head.split_whitespace().nth(1)?.parse().ok()?;
    let body = &bytes[end + 4..];
    let body = if head.contains("transfer-encoding: chunked") {
        let mut out = Vec::new();
        let mut rest = body;
        loop {
            let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
            let size =
                usize::from_str_radix(std::str::from_utf8(&rest[..line_end]).ok()?.trim(), 16)
                    .ok()?;
            if size == 0 {
                break out;
            }
            let chunk = rest.get(line_end + 2..line_end + 2 + size)?;
            out.extend_from_slice(chunk);
            rest = rest.get(line_end + 4 + size..)?;
        }
    } else {
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        body.get(..len)?.to_vec()
    };
    if head.contains("content-encoding") {
        panic!("unexpected compressed response: {head}");
    }
    Some((
        StatusCode::from_u16(status).ok()?,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    ))
}

const HUNDRED_MB: u64 = 100 * 1024 * 1024;

// ---- Tests --------------------------------------------------------------

async fn hostile_photos_and_signatures(srv: &TestServer) {
    let teacher = client_for(srv, "teacher").await;

    // PNG decompression bomb with real pixel data: 1.2 MB that inflates to
    // 192 MB (8000 × 8000). Refused from the header; nothing is inflated.
    let bomb = png_real_bomb(8000, 8000);
    assert!(bomb.len() < 2 * 1024 * 1024, "{} bytes", bomb.len());
    let started = Instant::now();
    let (status, body) = put_attachment(srv, &teacher, "image/png", bomb).await;
    assert_json_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "PNG bomb");
    assert!(body["message"].as_str().unwrap().contains("像素"), "{body}");
    assert!(started.elapsed() < Duration::from_secs(10));

    // JPEG bomb: a 2 KB file whose frame header claims 65,000 × 65,000.
    let (status, body) =
        put_attachment(srv, &teacher, "image/jpeg", jpeg_claiming(65_000, 65_000)).await;
    assert_json_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "JPEG bomb");
    assert!(body["message"].as_str().unwrap().contains("像素"), "{body}");
    // Huge on one side only (1 × 65,000 is few pixels but a long edge).
    let (status, body) =
        put_attachment(srv, &teacher, "image/jpeg", jpeg_claiming(65_000, 1)).await;
    assert!(
        status == StatusCode::CREATED || status == StatusCode::UNPROCESSABLE_ENTITY,
        "1 × 65,000 JPEG: {status} {body}"
    );
    // Within the pixel limit (6000 × 6000) but with 64 × 48 pixels of
    // data: the JPEG decoder fills the missing part in grey, so this is
    // stored as a 1600 px image — bounded work, nothing of the file kept.
    let (status, body) =
        put_attachment(srv, &teacher, "image/jpeg", jpeg_claiming(6000, 6000)).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "JPEG with missing data: {body}"
    );
    assert_eq!(
        (body["width"].as_u64(), body["height"].as_u64()),
        (Some(1600), Some(1600))
    );

    // Truncated files, cut within the headers or within the pixel data:
    // refused (the JPEG decoder would pad the missing rows in grey).
    let photo = jpeg(640, 480);
    for keep in [3, 100, 300] {
        let (status, body) =
            put_attachment(srv, &teacher, "image/jpeg", photo[..keep].to_vec()).await;
        assert_json_error(
            status,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("JPEG cut at {keep}"),
        );
    }
    let (status, body) = put_attachment(
        srv,
        &teacher,
        "image/jpeg",
        photo[..photo.len() / 2].to_vec(),
    )
    .await;
    assert_json_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "JPEG cut in half",
    );
    assert!(
        body["message"].as_str().unwrap().contains("不完整"),
        "{body}"
    );
    let signature = common::images::signature_png();
    for keep in [8, 30, signature.len() / 2, signature.len() - 12] {
        let (status, body) =
            put_attachment(srv, &teacher, "image/png", signature[..keep].to_vec()).await;
        assert_json_error(
            status,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("PNG cut at {keep}"),
        );
    }

    // Zero bytes, whatever the declared type.
    for declared in ["image/jpeg", "image/png", ""] {
        let (status, body) = put_attachment(srv, &teacher, declared, Vec::new()).await;
        assert_json_error(
            status,
            &body,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &format!("empty {declared:?}"),
        );
    }

    // Wrong content types: a web page, a script, an SVG (script inside).
    let html = b"<!doctype html><script>alert(1)</script>".to_vec();
    for declared in [
        "text/html",
        "image/svg+xml",
        "application/javascript",
        "image/jpeg",
    ] {
        let (status, body) = put_attachment(srv, &teacher, declared, html.clone()).await;
        assert_json_error(status, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE, declared);
    }

    // Polyglots: a real JPEG with a zip (and a page) appended, a JPEG with
    // a script in a comment segment. They are images, so they are taken,
    // but what is stored and served is the image data only.
    let mut jpeg_zip = jpeg(320, 240);
    jpeg_zip.extend(zip_bomb("evil.html", 1000));
    jpeg_zip.extend(b"<html><script>alert(1)</script></html>");
    let mut jpeg_comment = jpeg(320, 240);
    let comment = b"<script>alert(document.cookie)</script>";
    let mut segment = vec![0xFF, 0xFE];
    segment.extend(u16::try_from(comment.len() + 2).unwrap().to_be_bytes());
    segment.extend(comment);
    jpeg_comment.splice(2..2, segment);
    for (what, polyglot) in [
        ("JPEG+ZIP+HTML", jpeg_zip),
        ("JPEG with a script comment", jpeg_comment),
    ] {
        let sha = sha256_hex(&polyglot);
        let (status, body) = put_attachment(srv, &teacher, "image/jpeg", polyglot).await;
        assert_eq!(status, StatusCode::CREATED, "{what}: {body}");
        let stored = teacher
            .get(srv.url(&format!("/api/v1/attachments/{sha}")))
            .send()
            .await
            .unwrap();
        assert_eq!(stored.headers()["content-type"], "image/jpeg");
        assert_eq!(stored.headers()["x-content-type-options"], "nosniff");
        assert_eq!(
            stored.headers()["content-security-policy"],
            "default-src 'none'; sandbox"
        );
        let stored = stored.bytes().await.unwrap();
        assert!(!contains(&stored, b"PK\x03\x04"), "{what}: zip gone");
        assert!(!contains(&stored, b"<script"), "{what}: script gone");
        assert!(!contains(&stored, b"<html"), "{what}: page gone");
    }
}

async fn hostile_scans_and_roster_files(srv: &TestServer) {
    let principal = client_for(srv, "principal").await;
    let month = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m");
    let scan_path = format!("/api/v1/reports/monthly/scan?month={month}");

    // Monthly report scan: a page, a zip and an SVG declared as one of the
    // accepted types; a PDF-looking start in front of a page is a PDF (it
    // is only ever served back as application/pdf, with nosniff).
    for (declared, bytes) in [
        (
            "application/pdf",
            b"<html><script>alert(1)</script>".to_vec(),
        ),
        ("image/png", zip_bomb("a.xml", 1000)),
        (
            "image/jpeg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>".to_vec(),
        ),
        ("text/html", b"%PDF-1.4 <script>alert(1)</script>".to_vec()),
    ] {
        let res = principal
            .put(srv.url(&scan_path))
            .header("Content-Type", declared)
            .body(bytes)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert_json_error(
            status,
            &body,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &format!("scan as {declared}"),
        );
    }
    // Roster import: a zip bomb dressed as .xlsx (300 MB of spaces in
    // 2 MB), an empty file, a truncated workbook.
    for path in [
        "/api/v1/imports/students/preview",
        "/api/v1/imports/students/commit",
    ] {
        let bomb = zip_bomb("xl/worksheets/sheet1.xml", 300 * 1024 * 1024);
        assert!(bomb.len() < 3 * 1024 * 1024, "{} bytes", bomb.len());
        let mut xlsx = rust_xlsxwriter::Workbook::new();
        xlsx.add_worksheet().write_string(0, 0, "姓名").unwrap();
        let xlsx = xlsx.save_to_buffer().unwrap();
        for (what, bytes) in [
            ("zip bomb", bomb),
            ("empty file", Vec::new()),
            ("truncated .xlsx", xlsx[..xlsx.len() / 2].to_vec()),
        ] {
            let res = principal
                .post(srv.url(path))
                .body(bytes)
                .send()
                .await
                .unwrap();
            let status = res.status();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            assert_json_error(
                status,
                &body,
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("{path}: {what}"),
            );
        }
    }
    // Nothing was submitted by any of it.
    let res = principal
        .get(srv.url(&format!("/api/v1/reports/monthly?month={month}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["submitted"], false, "{report}");
}

/// 100 MB on each upload endpoint: a 413 (the roster import says 422, as
/// for any file over its 5 MB) with the JSON error, and the body is never
/// held: the process's peak memory grows by far less than 100 MB.
async fn hundred_megabyte_bodies(srv: &TestServer) {
    let teacher = session_cookie(srv, "teacher").await;
    let principal = session_cookie(srv, "principal").await;
    let month = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m");
    let photo = format!("/api/v1/attachments/{}", "a".repeat(64));
    let scan = format!("/api/v1/reports/monthly/scan?month={month}");
    let before = peak_rss_mib();
    for (method, path, cookie, content_type, expected) in [
        (
            "PUT",
            photo.as_str(),
            &teacher,
            "image/jpeg",
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            "PUT",
            scan.as_str(),
            &principal,
            "application/pdf",
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            "POST",
            "/api/v1/imports/students/preview",
            &principal,
            "application/octet-stream",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "POST",
            "/api/v1/imports/students/commit",
            &principal,
            "application/octet-stream",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let (status, body) = send_huge(srv, method, path, cookie, content_type, HUNDRED_MB).await;
        assert_json_error(status, &body, expected, &format!("100 MB to {path}"));
        assert!(body["message"].as_str().unwrap().contains("MB"), "{body}");
    }
    let grown = peak_rss_mib().saturating_sub(before);
    println!("4 × 100 MB bodies: peak RSS grew by {grown} MiB (from {before} MiB)");
    assert!(
        grown < 48,
        "peak RSS grew by {grown} MiB: a body was held in memory"
    );
}

// Uploads are checked before anything reaches the database: SQLite only.
// One test, so nothing else runs in the process while memory is measured.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_uploads_get_clear_errors_in_bounded_memory() {
    let db = TestDb::new(Backend::Sqlite).await;
    let srv = TestServer::start(&db).await;
    hundred_megabyte_bodies(&srv).await;
    hostile_scans_and_roster_files(&srv).await;
    hostile_photos_and_signatures(&srv).await;
    srv.stop().await;
    assert_memory_bounded("all hostile uploads");
}
