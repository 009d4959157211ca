//! One page per file; each reads the app context and storage, and talks to the server only
//! through `crate::api` and `crate::sync`.

pub mod department;
pub mod diagnosis;
pub mod home;
pub mod login;
pub mod result;

use leptos::prelude::*;
use leptos_router::components::A;

/// The form every teacher's self-diagnosis uses.
pub const SELF_DIAGNOSIS: &str = "self-diagnosis";

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <div class="card">
            <h1>"Страница не найдена"</h1>
            <A href="/">"На главную"</A>
        </div>
    }
}
