//! Small browser helpers: ids, time, formatting.

use uuid::Uuid;

/// A random (v4) UUID from the browser's CSPRNG. `crypto.getRandomValues` works on plain-HTTP
/// school intranets too, where `crypto.randomUUID` is not available.
pub fn new_uuid() -> Uuid {
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        // Without a CSPRNG, fall back to time and Math.random: still unique enough for ids,
        // which are never secrets.
        let seed = (js_sys::Date::now() as u128) << 64 | (js_sys::Math::random() * 1e18) as u128;
        bytes = seed.to_le_bytes();
    }
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// Russian plural: `plural(n, "запись", "записи", "записей")`.
pub fn plural<'a>(n: usize, one: &'a str, few: &'a str, many: &'a str) -> &'a str {
    let (n10, n100) = (n % 10, n % 100);
    if n10 == 1 && n100 != 11 {
        one
    } else if (2..=4).contains(&n10) && !(12..=14).contains(&n100) {
        few
    } else {
        many
    }
}

/// Today on this device, `YYYY-MM-DD`, in its own time zone: what deadlines are judged against.
pub fn today() -> String {
    let offset_minutes = -(js_sys::Date::new_0().get_timezone_offset() as i32);
    opora_domain::campaign::date_of(now_ms(), offset_minutes)
}
