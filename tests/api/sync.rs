//! `POST /api/sync`: pushing the outbox under idempotency keys and pulling what changed.

use opora_domain::api::ErrorCode;
use opora_domain::sync::{Ack, Cursor, Outcome, PROTOCOL_VERSION, Pulled, SyncRequest};
use opora_server::MAX_BODY_BYTES;
use opora_server::storage::ChangeKey;
use opora_tests::{TestApp, complete_submission, new_device, pushed, refusal, sync_request};
use reqwest::StatusCode;
use std::io::Write;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

async fn post_gzipped(app: &TestApp, token: &str, body: Vec<u8>) -> reqwest::Response {
    app.request(reqwest::Method::POST, "/api/sync", Some(token))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(reqwest::header::CONTENT_ENCODING, "gzip")
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn burakovo_completed(app: &TestApp) -> u32 {
    app.school_row("spassk.otdel", "Бураковская СОШ").await.summary.completed
}

fn rejected_code(ack: &Ack) -> Option<ErrorCode> {
    match &ack.outcome {
        Outcome::Rejected { error } => Some(error.code),
        Outcome::Applied | Outcome::AppliedExcept { .. } => None,
    }
}

#[tokio::test]
async fn a_first_sync_pulls_the_form_and_the_users_own_profile() {
    let app = TestApp::spawn().await;
    let teacher = app.login_as("burakovo.t1").await;
    let res = app.sync(&teacher.token, &sync_request(new_device(), vec![], Cursor(0))).await.expect("sync");

    assert!(res.acks.is_empty());
    assert!(!res.more);
    assert!(res.cursor > Cursor(0));
    let form = app.form().await;
    let forms: Vec<_> = res
        .pulled
        .iter()
        .filter_map(|p| match p {
            Pulled::Form { form } => Some(form),
            _ => None,
        })
        .collect();
    assert_eq!(forms, vec![&form], "the self-diagnosis form, once");
    let profiles: Vec<_> = res
        .pulled
        .iter()
        .filter_map(|p| match p {
            Pulled::Profile { user } => Some(user),
            _ => None,
        })
        .collect();
    assert_eq!(profiles, vec![&teacher.user], "her own profile and nobody else's");
    assert!(
        !res.pulled.iter().any(|p| matches!(p, Pulled::SelfDiagnosis { .. })),
        "t1 has not submitted anything yet, and others' submissions are not hers"
    );

    // From the returned cursor there is nothing new.
    let again = app.sync(&teacher.token, &sync_request(new_device(), vec![], res.cursor)).await.expect("sync");
    assert!(again.pulled.is_empty());
    assert!(!again.more);
    assert_eq!(again.cursor, res.cursor);
}

#[tokio::test]
async fn a_teacher_pulls_her_own_submissions_from_other_devices() {
    let app = TestApp::spawn().await;
    let teacher = app.login_as("burakovo.t3").await;
    let demo = app.pulled_submissions(&teacher.token).await;
    assert_eq!(demo.len(), 1, "t3 has one demo submission");
    assert_eq!(demo[0].teacher, teacher.user.id);

    let phone = new_device();
    let start = app.sync(&teacher.token, &sync_request(phone, vec![], Cursor(0))).await.unwrap().cursor;
    let submission = complete_submission(&app.form().await, "physics");
    let laptop = new_device();
    let res = app.sync(&teacher.token, &sync_request(laptop, vec![pushed(0, &submission)], Cursor(0))).await.unwrap();
    assert_eq!(res.acks, vec![Ack { seq: 0, outcome: Outcome::Applied }]);

    let res = app.sync(&teacher.token, &sync_request(phone, vec![], start)).await.unwrap();
    match res.pulled.as_slice() {
        [Pulled::SelfDiagnosis { stored }] => {
            assert_eq!(stored.submission, submission);
            assert_eq!(stored.teacher, teacher.user.id);
        }
        other => panic!("expected just the new submission, got {other:?}"),
    }
}

#[tokio::test]
async fn a_teacher_never_pulls_another_teachers_submissions() {
    let app = TestApp::spawn().await;
    let t1 = app.token("burakovo.t1").await;
    let t3 = app.login_as("burakovo.t3").await;
    let t3_cursor = app.sync(&t3.token, &sync_request(new_device(), vec![], Cursor(0))).await.unwrap().cursor;

    let submission = complete_submission(&app.form().await, "math");
    let res = app.sync(&t1, &sync_request(new_device(), vec![pushed(0, &submission)], Cursor(0))).await.unwrap();
    assert_eq!(res.acks, vec![Ack { seq: 0, outcome: Outcome::Applied }]);

    let everything = app.pull_all(&t3.token, new_device()).await;
    for record in &everything {
        match record {
            Pulled::SelfDiagnosis { stored } => {
                assert_eq!(stored.teacher, t3.user.id, "only her own submissions");
                assert_ne!(stored.submission.id, submission.id);
            }
            Pulled::Profile { user } => assert_eq!(user, &t3.user, "only her own profile"),
            Pulled::Form { .. } => {}
            Pulled::ReportForm { .. } | Pulled::Report { .. } => {
                panic!("a teacher pulls no school reports: {record:?}")
            }
        }
    }
    // Her cursor moves past t1's record without showing it.
    let res = app.sync(&t3.token, &sync_request(new_device(), vec![], t3_cursor)).await.unwrap();
    assert!(res.pulled.is_empty(), "{:?}", res.pulled);
    assert!(res.cursor > t3_cursor);
}

#[tokio::test]
async fn a_pushed_submission_is_applied_once_however_often_it_is_sent() {
    let app = TestApp::spawn().await;
    let token = app.token("burakovo.t1").await;
    let submission = complete_submission(&app.form().await, "geography");
    let device = new_device();
    assert_eq!(burakovo_completed(&app).await, 5);

    // The response was lost: the device sends the same change again.
    for attempt in 0..2 {
        let res = app.sync(&token, &sync_request(device, vec![pushed(7, &submission)], Cursor(0))).await.unwrap();
        assert_eq!(res.acks, vec![Ack { seq: 7, outcome: Outcome::Applied }], "attempt {attempt}");
        // The outcome was committed under the change's idempotency key.
        let recorded = app.state.store.previous_change(ChangeKey { device, seq: 7 }).await.unwrap().expect("recorded");
        assert_eq!(recorded.outcome, Outcome::Applied);
    }
    // The outbox was rebuilt and the change got a new sequence number; another device sends it too.
    let res = app.sync(&token, &sync_request(device, vec![pushed(8, &submission)], Cursor(0))).await.unwrap();
    assert_eq!(res.acks, vec![Ack { seq: 8, outcome: Outcome::Applied }]);
    let res = app.sync(&token, &sync_request(new_device(), vec![pushed(0, &submission)], Cursor(0))).await.unwrap();
    assert_eq!(res.acks, vec![Ack { seq: 0, outcome: Outcome::Applied }]);
    // And the REST endpoint finds it already there.
    let (status, _) = app.put_submission(&token, &submission).await.unwrap();
    assert_eq!(status, StatusCode::OK);

    assert_eq!(burakovo_completed(&app).await, 6, "one more teacher, one record");
    let pulled = app.pulled_submissions(&token).await;
    assert_eq!(pulled.len(), 1, "exactly one record to pull: {pulled:?}");
    assert_eq!(pulled[0].submission, submission);
}

#[tokio::test]
async fn a_late_copy_of_an_acknowledged_push_after_later_ones_changes_nothing() {
    // Her first request's response was lost; the retry was acknowledged, later changes followed,
    // and then the first request itself arrives late. Her latest submission must stay the latest
    // (the server's order of receipt decides it) and the answer is the recorded one.
    let app = TestApp::spawn().await;
    let token = app.token("burakovo.t1").await;
    let form = app.form().await;
    let (first, second) = (complete_submission(&form, "math"), complete_submission(&form, "russian"));
    let device = new_device();
    let early = sync_request(device, vec![pushed(0, &first)], Cursor(0));
    assert_eq!(app.sync(&token, &early).await.unwrap().acks, vec![Ack { seq: 0, outcome: Outcome::Applied }]);
    let res = app.sync(&token, &sync_request(device, vec![pushed(1, &second)], Cursor(0))).await.unwrap();
    assert_eq!(res.acks, vec![Ack { seq: 1, outcome: Outcome::Applied }]);
    let before = app.pulled_submissions(&token).await;
    assert_eq!(before.iter().map(|s| s.submission.id).collect::<Vec<_>>(), [first.id, second.id]);

    let late = app.sync(&token, &early).await.unwrap();
    assert_eq!(late.acks, vec![Ack { seq: 0, outcome: Outcome::Applied }], "the recorded outcome");
    assert_eq!(app.pulled_submissions(&token).await, before, "nothing stored again, nothing reordered");
    assert_eq!(burakovo_completed(&app).await, 6);
}

#[tokio::test]
async fn a_batch_is_applied_in_order_and_a_refusal_does_not_block_the_rest() {
    let app = TestApp::spawn().await;
    let token = app.token("burakovo.t1").await;
    let form = app.form().await;
    let good = complete_submission(&form, "math");
    let mut incomplete = complete_submission(&form, "math");
    incomplete.answers.clear();
    let later = complete_submission(&form, "math");
    let push = vec![pushed(0, &good), pushed(1, &incomplete), pushed(2, &later)];
    let res = app.sync(&token, &sync_request(new_device(), push, Cursor(0))).await.unwrap();

    assert_eq!(res.acks.iter().map(|a| a.seq).collect::<Vec<_>>(), vec![0, 1, 2]);
    assert_eq!(
        res.acks.iter().map(rejected_code).collect::<Vec<_>>(),
        vec![None, Some(ErrorCode::InvalidSubmission), None]
    );
    assert!(app.is_stored(good.id).await && app.is_stored(later.id).await);
    assert!(!app.is_stored(incomplete.id).await);
    // The pushing device already has what it pushed: the response does not send it back down.
    let ids = |pulled: &[Pulled]| -> Vec<_> {
        pulled
            .iter()
            .filter_map(|p| match p {
                Pulled::SelfDiagnosis { stored } => Some(stored.submission.id),
                _ => None,
            })
            .collect()
    };
    assert_eq!(ids(&res.pulled), vec![]);
    // Her other device pulls both, in order.
    let other = app.sync(&token, &sync_request(new_device(), vec![], Cursor(0))).await.unwrap();
    assert_eq!(ids(&other.pulled), vec![good.id, later.id]);
}

#[tokio::test]
async fn an_unknown_form_version_is_rejected_for_good_and_replayed_as_rejected() {
    let app = TestApp::spawn().await;
    let token = app.token("burakovo.t1").await;
    let form = app.form().await;
    let mut submission = complete_submission(&form, "math");
    submission.form.version = 999;
    let device = new_device();

    let first = app.sync(&token, &sync_request(device, vec![pushed(3, &submission)], Cursor(0))).await.unwrap();
    let [ack] = first.acks.as_slice() else { panic!("one ack: {:?}", first.acks) };
    assert_eq!(ack.seq, 3);
    assert_eq!(rejected_code(ack), Some(ErrorCode::UnknownFormVersion));
    assert!(!app.is_stored(submission.id).await);

    let replay = app.sync(&token, &sync_request(device, vec![pushed(3, &submission)], Cursor(0))).await.unwrap();
    assert_eq!(replay.acks, first.acks, "the recorded outcome, word for word");
    assert!(!app.is_stored(submission.id).await);
    assert_eq!(burakovo_completed(&app).await, 5);

    // Even once version 999 is published, a replay of that change is answered from the record:
    // the device has already shown the rejection to the teacher.
    let mut v999 = form.clone();
    v999.version = 999;
    app.state.store.store_form(&v999, app.now_ms()).await.unwrap();
    let replay = app.sync(&token, &sync_request(device, vec![pushed(3, &submission)], Cursor(0))).await.unwrap();
    assert_eq!(replay.acks, first.acks);
    assert!(!app.is_stored(submission.id).await);
    // Sent again as a new change, it is applied.
    let res = app.sync(&token, &sync_request(device, vec![pushed(4, &submission)], Cursor(0))).await.unwrap();
    assert_eq!(res.acks, vec![Ack { seq: 4, outcome: Outcome::Applied }]);
    assert!(app.is_stored(submission.id).await);
}

#[tokio::test]
async fn a_change_key_of_another_account_is_neither_replayed_nor_reused() {
    let app = TestApp::spawn().await;
    let t1 = app.token("burakovo.t1").await;
    let t3 = app.token("burakovo.t3").await;
    let form = app.form().await;
    let device = new_device();
    let hers = complete_submission(&form, "math");
    let res = app.sync(&t1, &sync_request(device, vec![pushed(0, &hers)], Cursor(0))).await.unwrap();
    assert_eq!(res.acks, vec![Ack { seq: 0, outcome: Outcome::Applied }]);

    let theirs = complete_submission(&form, "math");
    let res = app.sync(&t3, &sync_request(device, vec![pushed(0, &theirs)], Cursor(0))).await.unwrap();
    assert_eq!(res.acks.iter().map(rejected_code).collect::<Vec<_>>(), vec![Some(ErrorCode::Conflict)]);
    assert!(!app.is_stored(theirs.id).await);
}

#[tokio::test]
async fn a_submission_pushed_by_a_non_teacher_is_rejected() {
    let app = TestApp::spawn().await;
    let token = app.token("burakovo.director").await;
    let submission = complete_submission(&app.form().await, "math");
    let res = app.sync(&token, &sync_request(new_device(), vec![pushed(0, &submission)], Cursor(0))).await.unwrap();
    assert_eq!(res.acks.iter().map(rejected_code).collect::<Vec<_>>(), vec![Some(ErrorCode::Forbidden)]);
    assert!(!app.is_stored(submission.id).await);
}

#[tokio::test]
async fn pull_pages_return_every_record_exactly_once() {
    let app = TestApp::spawn().await;
    let token = app.token("burakovo.t3").await;
    let form = app.form().await;
    // Records of other users interleave with hers in the change log.
    let t4 = app.token("burakovo.t4").await;
    for (seq, who) in [(0, &token), (1, &t4), (2, &token), (3, &t4)] {
        let s = complete_submission(&form, "math");
        let res = app.sync(who, &sync_request(new_device(), vec![pushed(seq, &s)], Cursor(0))).await.unwrap();
        assert_eq!(res.acks[0].outcome, Outcome::Applied);
    }

    let device = new_device();
    let everything = app.sync(&token, &sync_request(device, vec![], Cursor(0))).await.unwrap();
    assert!(!everything.more);
    // The form, her profile, her demo submission and her two new ones.
    assert_eq!(everything.pulled.len(), 5, "{:?}", everything.pulled);

    let mut cursor = Cursor(0);
    let mut paged = Vec::new();
    let mut pages = 0;
    loop {
        let req = SyncRequest { pull_limit: 1, ..sync_request(device, vec![], cursor) };
        let res = app.sync(&token, &req).await.unwrap();
        pages += 1;
        assert!(res.pulled.len() <= 1, "page {pages} holds {} records", res.pulled.len());
        assert!(res.cursor >= cursor, "the cursor never moves back");
        if pages == 1 {
            assert!(res.more, "more than one record waits");
        }
        paged.extend(res.pulled);
        cursor = res.cursor;
        if !res.more {
            break;
        }
        assert!(pages < 100, "paging never ends");
    }
    assert_eq!(paged, everything.pulled, "every record exactly once, in order");
    assert_eq!(cursor, everything.cursor);

    let after = app.sync(&token, &SyncRequest { pull_limit: 1, ..sync_request(device, vec![], cursor) }).await.unwrap();
    assert!(after.pulled.is_empty() && !after.more);
}

#[tokio::test]
async fn a_pull_limit_of_zero_still_makes_progress() {
    let app = TestApp::spawn().await;
    let token = app.token("burakovo.t1").await;
    let req = SyncRequest { pull_limit: 0, ..sync_request(new_device(), vec![], Cursor(0)) };
    let res = app.sync(&token, &req).await.unwrap();
    assert_eq!(res.pulled.len(), 1);
    assert!(res.more);
    assert!(res.cursor > Cursor(0));
}

#[tokio::test]
async fn an_unsupported_protocol_is_refused_before_anything_is_applied() {
    let app = TestApp::spawn().await;
    let token = app.token("burakovo.t1").await;
    let submission = complete_submission(&app.form().await, "math");
    for protocol in [0, PROTOCOL_VERSION + 1] {
        let req = SyncRequest { protocol, ..sync_request(new_device(), vec![pushed(0, &submission)], Cursor(0)) };
        let (status, error) = app.sync(&token, &req).await.unwrap_err();
        assert_eq!((status, error.code), (StatusCode::BAD_REQUEST, ErrorCode::UnsupportedProtocol), "{protocol}");
    }
    assert!(!app.is_stored(submission.id).await);
}

#[tokio::test]
async fn a_malformed_sync_request_is_refused_and_nothing_is_applied() {
    let app = TestApp::spawn().await;
    let token = app.token("burakovo.t1").await;
    let submission = complete_submission(&app.form().await, "math");
    let valid = serde_json::to_value(sync_request(new_device(), vec![pushed(0, &submission)], Cursor(0))).unwrap();
    let with = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut v = valid.clone();
        edit(&mut v);
        v.to_string()
    };
    let cases = [
        ("truncated JSON", valid.to_string()[..30].to_owned()),
        ("no device", with(&|v| drop(v.as_object_mut().unwrap().remove("device")))),
        ("no protocol", with(&|v| drop(v.as_object_mut().unwrap().remove("protocol")))),
        ("a device that is no UUID", with(&|v| v["device"] = "phone".into())),
        ("a negative cursor", with(&|v| v["cursor"] = (-1).into())),
        ("a change of an unknown type", with(&|v| v["push"][0]["change"]["type"] = "delete_everything".into())),
        ("a change without a seq", with(&|v| drop(v["push"][0].as_object_mut().unwrap().remove("seq")))),
        ("push as an object", with(&|v| v["push"] = serde_json::json!({}))),
    ];
    for (what, body) in cases {
        let (status, error) = refusal(app.post_raw("/api/sync", Some(&token), body, "application/json").await).await;
        assert_eq!((status, error.code), (StatusCode::BAD_REQUEST, ErrorCode::MalformedRequest), "{what}");
    }
    assert!(!app.is_stored(submission.id).await);
    assert_eq!(burakovo_completed(&app).await, 5);
}

#[tokio::test]
async fn an_oversized_sync_request_is_refused_as_payload_too_large() {
    let app = TestApp::spawn().await;
    let token = app.token("burakovo.t1").await;
    let submission = complete_submission(&app.form().await, "math");
    let mut value = serde_json::to_value(sync_request(new_device(), vec![pushed(0, &submission)], Cursor(0))).unwrap();
    value["padding"] = "x".repeat(MAX_BODY_BYTES).into();
    let (status, error) =
        refusal(app.post_raw("/api/sync", Some(&token), value.to_string(), "application/json").await).await;
    assert_eq!((status, error.code), (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge));
    assert!(!app.is_stored(submission.id).await);
}

#[tokio::test]
async fn a_gzipped_sync_request_is_accepted() {
    let app = TestApp::spawn().await;
    let token = app.token("burakovo.t1").await;
    let submission = complete_submission(&app.form().await, "math");
    let req = sync_request(new_device(), vec![pushed(0, &submission)], Cursor(0));
    let res = post_gzipped(&app, &token, gzip(&serde_json::to_vec(&req).unwrap())).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res: opora_domain::sync::SyncResponse = res.json().await.unwrap();
    assert_eq!(res.acks, vec![Ack { seq: 0, outcome: Outcome::Applied }]);
    assert!(app.is_stored(submission.id).await);
}

#[tokio::test]
async fn the_body_limit_applies_after_decompression() {
    let app = TestApp::spawn().await;
    let token = app.token("burakovo.t1").await;
    // A few kilobytes on the wire, twenty times the limit once inflated.
    let bomb = format!(r#"{{"protocol":1,"padding":"{}"}}"#, " ".repeat(20 * MAX_BODY_BYTES));
    let body = gzip(bomb.as_bytes());
    assert!(body.len() < MAX_BODY_BYTES / 10);
    let (status, error) = refusal(post_gzipped(&app, &token, body).await).await;
    assert_eq!((status, error.code), (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge));

    let (status, error) = refusal(post_gzipped(&app, &token, b"not gzip at all".to_vec()).await).await;
    assert_eq!((status, error.code), (StatusCode::BAD_REQUEST, ErrorCode::MalformedRequest));
}

#[tokio::test]
async fn too_many_changes_in_one_request_are_refused_and_none_applied() {
    let app = TestApp::spawn().await;
    let token = app.token("burakovo.t1").await;
    let submission = complete_submission(&app.form().await, "math");
    // `MAX_PUSH` in server/src/http/sync.rs is 500; the app's batches stay far below.
    let push: Vec<_> = (0..501).map(|seq| pushed(seq, &submission)).collect();
    let req = sync_request(new_device(), push, Cursor(0));
    assert!(serde_json::to_vec(&req).unwrap().len() < MAX_BODY_BYTES, "refused for the count, not the size");
    let (status, error) = app.sync(&token, &req).await.unwrap_err();
    assert_eq!((status, error.code), (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge));
    assert!(!app.is_stored(submission.id).await);

    let req = sync_request(new_device(), (0..500).map(|seq| pushed(seq, &submission)).collect(), Cursor(0));
    let res = app.sync(&token, &req).await.expect("500 is allowed");
    assert_eq!(res.acks.len(), 500);
    assert!(res.acks.iter().all(|a| a.outcome == Outcome::Applied));
    assert_eq!(app.pulled_submissions(&token).await.len(), 1);
}
