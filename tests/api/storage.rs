//! The storage operations themselves, on whichever backend the suite runs against
//! (`OPORA_TEST_BACKEND`): what both backends must agree on beyond what the HTTP tests reach.

use opora_server::storage::ThrottleCounter;
use opora_tests::TestApp;

fn counter(failures: u32, window_start_ms: i64) -> ThrottleCounter {
    ThrottleCounter {
        failures,
        pending: 0,
        window_start_ms,
        locked_until_ms: None,
        locked_at_ms: 0,
        refused: 0,
        subject: "anna".into(),
        client: "203.0.113.7".into(),
    }
}

#[tokio::test]
async fn throttle_counters_are_stored_updated_deleted_and_swept() {
    let app = TestApp::spawn().await;
    let store = &app.state.store;
    let keys = ["login\u{0}anna".to_owned(), "client\u{0}203.0.113.7".to_owned()];
    store
        .update_throttle(&keys, &mut |rows| {
            assert_eq!(rows, [None, None], "nothing stored yet");
            rows[0] = Some(counter(1, 1_000));
            rows[1] = Some(counter(5, 2_000));
        })
        .await
        .unwrap();
    store
        .update_throttle(&keys, &mut |rows| {
            assert_eq!(rows, [Some(counter(1, 1_000)), Some(counter(5, 2_000))]);
            rows[0] = None;
            if let Some(c) = &mut rows[1] {
                c.refused = 3;
            }
        })
        .await
        .unwrap();
    let window = 15 * 60 * 1000;
    assert!(store.sweep_throttle(2_000 + window - 1, window).await.unwrap().is_empty(), "still within its window");
    let swept = store.sweep_throttle(2_000 + window, window).await.unwrap();
    assert_eq!(swept, [ThrottleCounter { refused: 3, ..counter(5, 2_000) }]);
    store.update_throttle(&keys, &mut |rows| assert_eq!(rows, [None, None], "deleted and swept")).await.unwrap();
}
