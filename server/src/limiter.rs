//! Throttling password guessing: after N failed logins for an account within a window, further
//! attempts are refused until the window passes.

use std::collections::HashMap;
use std::sync::Mutex;

const WINDOW_MS: i64 = 15 * 60 * 1000;

pub struct LoginLimiter {
    max_failures: u32,
    failures: Mutex<HashMap<String, (u32, i64)>>,
}

impl LoginLimiter {
    pub fn new(max_failures: u32) -> Self {
        LoginLimiter { max_failures, failures: Mutex::new(HashMap::new()) }
    }

    pub fn allowed(&self, login: &str, now_ms: i64) -> bool {
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        match failures.get(login) {
            Some(&(count, since)) => count < self.max_failures || now_ms - since >= WINDOW_MS,
            None => true,
        }
    }

    pub fn failed(&self, login: &str, now_ms: i64) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        // Forget stale entries now and then, so the map cannot grow without bound.
        if failures.len() > 10_000 {
            failures.retain(|_, (_, since)| now_ms - *since < WINDOW_MS);
        }
        let entry = failures.entry(login.to_owned()).or_insert((0, now_ms));
        if now_ms - entry.1 >= WINDOW_MS {
            *entry = (0, now_ms);
        }
        entry.0 += 1;
    }

    pub fn succeeded(&self, login: &str) {
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).remove(login);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_locked_after_the_limit_until_the_window_passes() {
        let l = LoginLimiter::new(3);
        for _ in 0..3 {
            assert!(l.allowed("a", 0));
            l.failed("a", 0);
        }
        assert!(!l.allowed("a", 1000));
        assert!(l.allowed("b", 1000), "other accounts are unaffected");
        assert!(l.allowed("a", WINDOW_MS));
    }

    #[test]
    fn a_success_clears_the_count() {
        let l = LoginLimiter::new(2);
        l.failed("a", 0);
        l.succeeded("a");
        l.failed("a", 0);
        assert!(l.allowed("a", 0));
    }
}
