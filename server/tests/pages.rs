//! Every page the server renders arrives whole and without a panic, even
//! when many are rendered at once (a render moves between worker threads
//! at each await). A page holding a browser-only value (a `File` in a
//! local StoredValue) used to panic when that value was dropped on another
//! thread, cutting the page short after a 200 status.

mod common;

use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{Backend, TestDb, TestServer, client_for};
use reqwest::StatusCode;

/// Copies of each page requested at once.
const AT_ONCE: usize = 12;

/// A page takes well under a second; a busy CI machine gets a lot more.
const PAGE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// Panics in the server's tasks: the server runs in this test process, and
/// a panic in a server task only shows as a cut connection.
static PANICS: AtomicUsize = AtomicUsize::new(0);

fn count_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // A failed assertion runs on a test's own thread (named after
            // the test, `sqlite::…`); it is not a server panic, and must not
            // fail the other backend's test as well.
            let on_test_thread = std::thread::current()
                .name()
                .is_some_and(|name| name.contains("::"));
            if !on_test_thread {
                PANICS.fetch_add(1, Ordering::SeqCst);
            }
            previous(info);
        }));
    });
}

async fn every_page_renders_whole_under_concurrency(backend: Backend) {
    count_panics();
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    let pages: Vec<String> = leptos_axum::generate_route_list(app::App)
        .iter()
        .map(|r| r.path().to_owned())
        .filter(|p| !p.contains(['{', ':', '*']))
        .collect();
    assert!(pages.contains(&"/staff".to_owned()), "{pages:?}");
    let mut rendered = 0;
    for user in ["admin", "principal", "teacher", "county"] {
        let client = client_for(&srv, user).await;
        for page in &pages {
            let fetches: Vec<_> = (0..AT_ONCE)
                .map(|_| {
                    let (client, url) = (client.clone(), srv.url(page));
                    tokio::spawn(async move {
                        // A page that never finishes fails here, with its
                        // name, instead of hanging the test run.
                        let res = client.get(url).timeout(PAGE_TIMEOUT).send().await?;
                        let status = res.status();
                        Ok::<_, reqwest::Error>((status, res.text().await?))
                    })
                })
                .collect();
            for fetch in fetches {
                let (status, body) = fetch.await.expect("fetch task").unwrap_or_else(|e| {
                    panic!("{user} {page}: the page was cut off or stuck: {e}")
                });
                // Redirects (a page for other roles) are followed to a page.
                // A page whose data the user may not see is a 200 page that
                // says so, however quickly its data call is refused.
                assert_eq!(status, StatusCode::OK, "{user} {page}");
                if (user, page.as_str()) == ("teacher", "/audit") {
                    assert!(body.contains("没有权限访问该内容"), "{body}");
                }
                rendered += 1;
            }
        }
    }
    assert_eq!(
        PANICS.load(Ordering::SeqCst),
        0,
        "the server panicked while rendering"
    );
    println!(
        "{rendered} pages rendered whole ({} routes, 4 users)",
        pages.len()
    );
    srv.stop().await;
}

on_both_backends!(every_page_renders_whole_under_concurrency);
