//! Opora's browser app: Leptos, client-side rendered, compiled to WebAssembly.
//!
//! - `api`: every HTTP call; `store`: browser storage, one key per record, namespaced by user;
//!   `sync`: the sync engine around the shared crate's pure protocol; `ctx`: app-wide signals.
//! - `pages`: one page per route; `widgets`: the header, status line and banners.
//!
//! The app works offline: everything it shows comes from browser storage, which sync fills and
//! drains. Scoring runs here with the same code the server uses (`opora_domain`).

// The teacher's bundle leaves out the office pages, and with them the callers of some API and
// storage functions; the office bundle (the whole app) is where unused code is reported.
#![cfg_attr(not(feature = "office"), allow(dead_code))]

mod api;
mod backup;
mod ctx;
mod fmt;
mod pages;
mod store;
mod sync;
mod table;
mod task;
mod util;
mod widgets;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;
use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
extern "C" {
    /// The boot code's crash notice (`LOADER` in xtask): tells the user plainly, with a reload
    /// button, and reports the message to the server's log. Plain DOM, no app state.
    #[wasm_bindgen(js_namespace = window, js_name = oporaCrash, catch)]
    fn crash_notice(message: &str) -> Result<(), wasm_bindgen::JsValue>;
}

#[wasm_bindgen(start)]
pub fn start() {
    // Under `panic = "abort"` the app stops where it panicked, its state half-updated: the user
    // is told to reload (what she typed is in storage already) and the server's log hears of it.
    std::panic::set_hook(Box::new(|info| {
        let _ = crash_notice(&info.to_string());
    }));
    // The static "loading" placeholder of index.html goes once the app takes over.
    if let Some(boot) = document().get_element_by_id("boot") {
        boot.remove();
    }
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    let ctx = ctx::Ctx::new();
    provide_context(ctx);
    // Reported after the read that found it (often during a render), not inside it.
    store::on_corrupt(move || crate::task::spawn_for_app(async move { ctx.refresh() }));
    sync::start(ctx);
    backup::check_storage(ctx);
    view! {
        <Router>
            <widgets::TopBar/>
            <widgets::StatusBar/>
            <main>
                <Routes fallback=|| view! { <pages::NotFound/> }>
                    <Route path=path!("/") view=pages::home::Home/>
                    <Route path=path!("/login") view=pages::login::Login/>
                    <Route path=path!("/activate") view=pages::activate::Activate/>
                    <Route path=path!("/self-diagnosis") view=pages::diagnosis::Diagnosis/>
                    <Route path=path!("/self-diagnosis/:id") view=pages::result::Result/>
                    <Route path=path!("/department") view=pages::office::Department/>
                    <Route path=path!("/department/analytics") view=pages::office::Analytics/>
                    <Route path=path!("/department/campaigns/:id") view=pages::office::CampaignPage/>
                    <Route path=path!("/department/campaigns/:id/:school") view=pages::office::SentReportPage/>
                    <Route path=path!("/reports") view=pages::office::Reports/>
                    <Route path=path!("/reports/:form/:period") view=pages::office::Report/>
                </Routes>
            </main>
        </Router>
    }
}
