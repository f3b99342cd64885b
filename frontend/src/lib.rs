#![recursion_limit = "256"]
//! Browser entry point. cargo-leptos builds this crate to wasm and calls
//! `hydrate()` from the generated JS; everything else lives in `app`.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
