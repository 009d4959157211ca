//! The way out when browser storage fails: everything not yet on the server, as a file the user
//! can keep, send by e-mail or hand to an administrator. Also the storage estimate and the request
//! that the browser not evict Opora's data.

use crate::ctx::Ctx;
use crate::fmt;
use crate::store;
use crate::task::spawn_for_app;
use crate::util::now_ms;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StorageInfo {
    pub usage_bytes: f64,
    pub quota_bytes: f64,
    pub persisted: bool,
}

/// Asks the browser to keep Opora's storage even when space runs low, and reads the estimate.
pub fn check_storage(ctx: Ctx) {
    let Some(manager) = web_sys::window().map(|w| w.navigator().storage()) else { return };
    spawn_for_app(async move {
        let persisted = match manager.persist() {
            Ok(p) => JsFuture::from(p).await.ok().and_then(|v| v.as_bool()).unwrap_or(false),
            Err(_) => false,
        };
        let Ok(estimate) = manager.estimate() else { return };
        let Ok(estimate) = JsFuture::from(estimate).await else { return };
        let estimate: web_sys::StorageEstimate = estimate.unchecked_into();
        ctx.storage.set(Some(StorageInfo {
            usage_bytes: estimate.get_usage().unwrap_or(0.0),
            quota_bytes: estimate.get_quota().unwrap_or(0.0),
            persisted,
        }));
    });
}

/// Everything of this user not yet on the server: drafts, the outbox, refused changes,
/// unacknowledged submissions and entries set aside as corrupt, each under its storage key, plus
/// what is on screen but could not be stored.
fn unsynced(ctx: Ctx) -> serde_json::Value {
    let mut entries = serde_json::Map::new();
    if let Some(session) = ctx.session.get_untracked() {
        let mine = format!("opora.u.{}.", session.user.id);
        for key in store::keys_with(&mine).into_iter().chain(store::keys_with("opora.corrupt.")) {
            let unsent = ["draft.", "outbox.", "rejected.", "sd."]
                .iter()
                .any(|kind| key.strip_prefix(&mine).is_some_and(|rest| rest.starts_with(kind)));
            let wanted = unsent || key.starts_with("opora.corrupt.");
            let Some(text) = store::raw_text(&key).filter(|_| wanted) else { continue };
            // Acknowledged submissions are safe on the server: leave them out.
            if key.contains(".sd.") && serde_json::from_str::<store::LocalSubmission>(&text).is_ok_and(|s| s.synced) {
                continue;
            }
            let value = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
            entries.insert(key, value);
        }
    }
    if let Some(draft) = ctx.unsaved.get_untracked() {
        entries.insert("unsaved-on-screen".to_owned(), draft);
    }
    serde_json::json!({
        "app": "Опора",
        "what": "Неотправленные данные",
        "exported_at": fmt::datetime(now_ms()),
        "user": ctx.session.get_untracked().map(|s| s.user.login),
        "entries": entries,
    })
}

/// Offers the unsynced data as a JSON file download.
pub fn download_unsynced(ctx: Ctx) {
    let text = serde_json::to_string_pretty(&unsynced(ctx)).unwrap_or_default();
    save_file("opora-neotpravlennye-dannye.json", "application/json", text.as_bytes());
}

/// Offers `bytes` to the user as a file to save.
pub fn save_file(name: &str, content_type: &str, bytes: &[u8]) {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(content_type);
    let Ok(blob) = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    let Ok(anchor) = document().create_element("a") else { return };
    let anchor: web_sys::HtmlAnchorElement = anchor.unchecked_into();
    anchor.set_href(&url);
    anchor.set_download(name);
    anchor.click();
    let _ = web_sys::Url::revoke_object_url(&url);
}
