//! The client bundle is compressed once at build time (`cargo leptos build
//! --release --precompress` writes `.br` and `.gz` next to each file) and
//! Leptos' file handler sends those to browsers that accept them: brotli at
//! its highest quality is about a fifth smaller than what on-the-fly
//! compression manages, and costs no CPU per request.
//!
//! A later build without `--precompress` (a debug build, `cargo leptos
//! watch`) rewrites the files but leaves the old `.br`/`.gz` behind, and a
//! browser would get yesterday's wasm with today's page: hydration fails.
//! So at start-up any compressed copy older than its file is removed.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

const SUFFIXES: [&str; 2] = [".br", ".gz"];

/// Remove every `X.br` / `X.gz` under `site_root` that is older than `X`
/// or whose `X` is gone; returns the paths removed.
pub fn remove_stale(site_root: &Path) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let mut dirs = vec![site_root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            // Not `Path::is_dir`: that follows symlinks, and a link loop
            // would keep this walk going for ever.
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                dirs.push(path);
            } else if is_stale(&path) {
                match std::fs::remove_file(&path) {
                    Ok(()) => removed.push(path),
                    Err(err) => tracing::error!(
                        path = %path.display(), error = %err,
                        "a stale precompressed file could not be removed; browsers may get an old client"
                    ),
                }
            }
        }
    }
    if !removed.is_empty() {
        tracing::warn!(
            count = removed.len(),
            "removed precompressed files older than the client build; \
             build with `make build` to compress it again"
        );
    }
    removed
}

fn is_stale(compressed: &Path) -> bool {
    let name = compressed.to_string_lossy();
    let Some(original) = SUFFIXES.iter().find_map(|suffix| name.strip_suffix(suffix)) else {
        return false;
    };
    match (modified(Path::new(original)), modified(compressed)) {
        (Some(original), Some(compressed)) => compressed < original,
        // The file it was made from is gone: nothing should be sent for it.
        (None, _) => true,
        (Some(_), None) => false,
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::{File, FileTimes};
    use std::time::Duration;

    fn write_at(path: &Path, age_secs: u64) {
        std::fs::write(path, b"x").unwrap();
        let at = SystemTime::now() - Duration::from_secs(age_secs);
        File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_times(FileTimes::new().set_modified(at))
            .unwrap();
    }

    #[test]
    fn only_copies_older_than_their_file_or_without_one_are_removed() {
        let site = tempfile::tempdir().unwrap();
        let pkg = site.path().join("pkg");
        std::fs::create_dir(&pkg).unwrap();
        // Fresh: compressed after the build.
        write_at(&pkg.join("jiafang.css"), 60);
        write_at(&pkg.join("jiafang.css.br"), 30);
        write_at(&pkg.join("jiafang.css.gz"), 30);
        // Stale: the wasm was rebuilt after it was compressed.
        write_at(&pkg.join("jiafang.wasm"), 10);
        write_at(&pkg.join("jiafang.wasm.br"), 60);
        write_at(&pkg.join("jiafang.wasm.gz"), 60);
        // Orphaned: its file is gone.
        write_at(&site.path().join("old.js.br"), 60);
        // Not a compressed copy at all.
        write_at(&site.path().join("favicon.ico"), 600);

        let mut removed = remove_stale(site.path());
        removed.sort();
        assert_eq!(
            removed,
            [
                site.path().join("old.js.br"),
                pkg.join("jiafang.wasm.br"),
                pkg.join("jiafang.wasm.gz"),
            ]
        );
        for kept in [
            "jiafang.css",
            "jiafang.css.br",
            "jiafang.css.gz",
            "jiafang.wasm",
        ] {
            assert!(pkg.join(kept).exists(), "{kept}");
        }
        assert!(site.path().join("favicon.ico").exists());
        assert!(remove_stale(site.path()).is_empty(), "nothing left to do");
    }
}
