//! `PUT` and `GET /api/self-diagnoses/{id}`: submitting a self-diagnosis one at a time.

use opora_domain::FormId;
use opora_domain::ItemId;
use opora_domain::api::ErrorCode;
use opora_domain::diagnosis::Submission;
use opora_domain::scoring::score;
use opora_server::MAX_BODY_BYTES;
use opora_tests::{SELF_DIAGNOSIS, TestApp, complete_submission, refusal};
use reqwest::{Method, StatusCode};

const BURAKOVO: &str = "Бураковская СОШ";

/// A change that spoils a valid submission.
type Edit = Box<dyn Fn(&mut Submission)>;

/// Teachers of Бураковская СОШ with a submitted self-diagnosis, as the department sees it.
async fn burakovo_completed(app: &TestApp) -> u32 {
    app.school_row("spassk.otdel", BURAKOVO).await.summary.completed
}

/// Checks nothing was stored under the submission's id and the school's count is unchanged.
async fn assert_not_stored(app: &TestApp, token: &str, s: &Submission) {
    assert!(!app.is_stored(s.id).await, "submission {} was stored", s.id);
    let (status, error) = app.get_submission(token, s.id).await.unwrap_err();
    assert_eq!((status, error.code), (StatusCode::NOT_FOUND, ErrorCode::NotFound));
    assert_eq!(burakovo_completed(app).await, 5, "the demo's five, unchanged");
}

#[tokio::test]
async fn a_teachers_complete_submission_is_stored_scored_and_readable() {
    let app = TestApp::spawn().await;
    let teacher = app.login_as("burakovo.t1").await;
    let form = app.form().await;
    let submission = complete_submission(&form, "math");

    let before = app.now_ms();
    let (status, stored) = app.put_submission(&teacher.token, &submission).await.expect("submitted");
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(stored.submission, submission);
    assert_eq!(stored.teacher, teacher.user.id);
    assert!((before..=app.now_ms()).contains(&stored.received_at_ms));

    assert_eq!(app.get_submission(&teacher.token, submission.id).await.expect("read back"), stored);

    // The server scored it with the shared scoring code, and that profile is what aggregates use.
    let municipality = teacher.user.municipality.as_ref().expect("a municipality").id;
    let latest = app.state.store.latest_profiles(municipality, &FormId::from(SELF_DIAGNOSIS)).await.unwrap();
    let mine: Vec<_> = latest.iter().filter(|l| l.teacher == teacher.user.id).collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].profile, score(&form, Some(&submission.subject), &submission.answers));
    assert_eq!(Some(mine[0].school), teacher.user.school.as_ref().map(|s| s.id));
    assert!(mine[0].profile.ignored.is_empty());
}

#[tokio::test]
async fn a_duplicate_submission_is_stored_once() {
    let app = TestApp::spawn().await;
    let token = app.token("burakovo.t1").await;
    let submission = complete_submission(&app.form().await, "russian");
    assert_eq!(burakovo_completed(&app).await, 5);

    let (first_status, first) = app.put_submission(&token, &submission).await.expect("first");
    let (second_status, second) = app.put_submission(&token, &submission).await.expect("retry");
    assert_eq!((first_status, second_status), (StatusCode::CREATED, StatusCode::OK));
    assert_eq!(second, first, "the retry answers with what was stored the first time");

    assert_eq!(burakovo_completed(&app).await, 6, "one more teacher, not two submissions");
    let pulled = app.pulled_submissions(&token).await;
    assert_eq!(pulled, vec![first], "exactly one record to pull");
}

#[tokio::test]
async fn a_malformed_body_is_refused_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let token = app.token("burakovo.t1").await;
    let submission = complete_submission(&app.form().await, "math");
    let valid = serde_json::to_value(&submission).unwrap();
    let with = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut v = valid.clone();
        edit(&mut v);
        v.to_string()
    };
    let first_item = submission.answers.keys().next().unwrap().to_string();
    let cases: Vec<(&str, String, &str)> = vec![
        ("truncated JSON", valid.to_string()[..40].to_owned(), "application/json"),
        ("not JSON", "answers: all of them".to_owned(), "application/json"),
        ("an empty body", String::new(), "application/json"),
        ("an array", "[]".to_owned(), "application/json"),
        ("a string answer", with(&|v| v["answers"][&first_item] = "three".into()), "application/json"),
        ("a negative answer", with(&|v| v["answers"][&first_item] = (-1).into()), "application/json"),
        ("an answer beyond a byte", with(&|v| v["answers"][&first_item] = 300.into()), "application/json"),
        ("a string version", with(&|v| v["form"]["version"] = "1".into()), "application/json"),
        ("a null subject", with(&|v| v["subject"] = serde_json::Value::Null), "application/json"),
        ("no answers", with(&|v| drop(v.as_object_mut().unwrap().remove("answers"))), "application/json"),
        ("no form", with(&|v| drop(v.as_object_mut().unwrap().remove("form"))), "application/json"),
        (
            "no submitted_at_ms",
            with(&|v| drop(v.as_object_mut().unwrap().remove("submitted_at_ms"))),
            "application/json",
        ),
        ("a body id that is no UUID", with(&|v| v["id"] = "submission-1".into()), "application/json"),
        ("valid JSON sent as text", valid.to_string(), "text/plain"),
        ("valid JSON without a content type", valid.to_string(), ""),
    ];
    let path = format!("/api/self-diagnoses/{}", submission.id);
    for (what, body, content_type) in cases {
        let res = app.send_raw(Method::PUT, &path, Some(&token), body, content_type).await;
        let (status, error) = refusal(res).await;
        assert_eq!((status, error.code), (StatusCode::BAD_REQUEST, ErrorCode::MalformedRequest), "{what}");
        assert!(error.detail.is_some(), "{what}: a detail says what was wrong");
    }
    assert_not_stored(&app, &token, &submission).await;

    // The same submission, well formed, is then accepted: nothing was half-stored.
    let (status, _) = app.put_submission(&token, &submission).await.expect("accepted");
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn an_oversized_body_is_refused_as_payload_too_large() {
    let app = TestApp::spawn().await;
    let token = app.token("burakovo.t1").await;
    let submission = complete_submission(&app.form().await, "math");
    let mut value = serde_json::to_value(&submission).unwrap();
    value["padding"] = "x".repeat(MAX_BODY_BYTES).into();
    let body = value.to_string();
    assert!(body.len() > MAX_BODY_BYTES);

    let path = format!("/api/self-diagnoses/{}", submission.id);
    let (status, error) = refusal(app.send_raw(Method::PUT, &path, Some(&token), body, "application/json").await).await;
    assert_eq!((status, error.code), (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge));
    assert_not_stored(&app, &token, &submission).await;

    // A body just within the limit is read (and here refused only as malformed).
    let within = format!("{{\"padding\":\"{}\"}}", "x".repeat(MAX_BODY_BYTES - 20));
    assert!(within.len() <= MAX_BODY_BYTES);
    let (status, error) =
        refusal(app.send_raw(Method::PUT, &path, Some(&token), within, "application/json").await).await;
    assert_eq!((status, error.code), (StatusCode::BAD_REQUEST, ErrorCode::MalformedRequest));
}

#[tokio::test]
async fn an_unknown_form_version_is_refused_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let token = app.token("burakovo.t1").await;
    let form = app.form().await;

    let mut future = complete_submission(&form, "math");
    future.form.version = 999;
    let (status, error) = app.put_submission(&token, &future).await.unwrap_err();
    assert_eq!((status, error.code), (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::UnknownFormVersion));
    assert_not_stored(&app, &token, &future).await;

    let mut other = complete_submission(&form, "math");
    other.form.id = FormId::from("another-form");
    let (status, error) = app.put_submission(&token, &other).await.unwrap_err();
    assert_eq!((status, error.code), (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::UnknownFormVersion));
    assert_not_stored(&app, &token, &other).await;
}

#[tokio::test]
async fn an_incomplete_or_invalid_submission_is_refused_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let token = app.token("burakovo.t1").await;
    let form = app.form().await;
    let subject = opora_domain::SubjectCode::from("math");
    let required = form.applicable_fields(Some(&subject)).find(|(_, f)| !f.optional).unwrap().1.id.clone();
    let of_another_subject = form
        .sections
        .iter()
        .flat_map(|s| &s.fields)
        .find(|f| f.variant.as_ref().is_some_and(|v| *v != subject))
        .expect("the form has subject-specific items")
        .id
        .clone();

    let edits: Vec<(&str, Edit)> = vec![
        (
            "a required item missing",
            Box::new(move |s| {
                s.answers.remove(&required);
            }),
        ),
        ("no answers at all", Box::new(|s| s.answers.clear())),
        ("a value beyond the scale", Box::new(|s| *s.answers.values_mut().next().unwrap() = 4)),
        (
            "an item of another subject",
            Box::new(move |s| {
                s.answers.insert(of_another_subject.clone(), 2);
            }),
        ),
        (
            "an item the form lacks",
            Box::new(|s| {
                s.answers.insert(ItemId::from("no.such.item"), 1);
            }),
        ),
        ("a subject the form lacks", Box::new(|s| s.subject = "chemistry".into())),
    ];
    for (what, edit) in edits {
        let mut submission = complete_submission(&form, "math");
        edit(&mut submission);
        let (status, error) = app.put_submission(&token, &submission).await.unwrap_err();
        assert_eq!((status, error.code), (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidSubmission), "{what}");
        assert!(error.detail.is_some(), "{what}: a detail names the problem");
        assert_not_stored(&app, &token, &submission).await;
    }
}

#[tokio::test]
async fn an_optional_item_may_be_left_unanswered() {
    let app = TestApp::spawn().await;
    let token = app.token("burakovo.t1").await;
    let form = app.form().await;
    let mut submission = complete_submission(&form, "primary");
    let optional: Vec<ItemId> = form
        .applicable_fields(Some(&submission.subject))
        .filter(|(_, f)| f.optional)
        .map(|(_, f)| f.id.clone())
        .collect();
    assert!(!optional.is_empty(), "the form has optional items");
    for item in &optional {
        submission.answers.remove(item);
    }
    let (status, _) = app.put_submission(&token, &submission).await.expect("accepted");
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn the_id_in_the_path_must_be_the_submissions_id() {
    let app = TestApp::spawn().await;
    let token = app.token("burakovo.t1").await;
    let submission = complete_submission(&app.form().await, "math");
    let other = uuid::Uuid::new_v4().to_string();
    for path_id in [other.as_str(), "not-a-uuid"] {
        let (status, error) = app.put_submission_at(&token, path_id, &submission).await.unwrap_err();
        assert_eq!((status, error.code), (StatusCode::BAD_REQUEST, ErrorCode::MalformedRequest), "{path_id}");
    }
    assert_not_stored(&app, &token, &submission).await;
}

#[tokio::test]
async fn only_teachers_submit_self_diagnoses() {
    let app = TestApp::spawn().await;
    let form = app.form().await;
    for login in ["burakovo.director", "spassk.otdel", "admin"] {
        let token = app.token(login).await;
        let submission = complete_submission(&form, "math");
        let (status, error) = app.put_submission(&token, &submission).await.unwrap_err();
        assert_eq!((status, error.code), (StatusCode::FORBIDDEN, ErrorCode::Forbidden), "{login}");
        assert!(!app.is_stored(submission.id).await, "{login}");
    }
}

#[tokio::test]
async fn a_submission_id_taken_by_another_teacher_is_a_conflict() {
    let app = TestApp::spawn().await;
    let first = app.login_as("burakovo.t1").await;
    let second = app.token("burakovo.t3").await;
    let submission = complete_submission(&app.form().await, "math");
    app.put_submission(&first.token, &submission).await.expect("stored");

    let (status, error) = app.put_submission(&second, &submission).await.unwrap_err();
    assert_eq!((status, error.code), (StatusCode::CONFLICT, ErrorCode::Conflict));
    let stored = app.state.store.submission(submission.id).await.unwrap().expect("still stored");
    assert_eq!(stored.teacher, first.user.id, "still the first teacher's");
}

#[tokio::test]
async fn a_teacher_cannot_read_another_teachers_submission() {
    let app = TestApp::spawn().await;
    let author = app.token("burakovo.t1").await;
    let submission = complete_submission(&app.form().await, "math");
    app.put_submission(&author, &submission).await.expect("stored");

    // Not 403: an id must not reveal that a record exists.
    for login in ["burakovo.t3", "burakovo.director", "spassk.otdel", "kalinovka.t1"] {
        let token = app.token(login).await;
        let (status, error) = app.get_submission(&token, submission.id).await.unwrap_err();
        assert_eq!((status, error.code), (StatusCode::NOT_FOUND, ErrorCode::NotFound), "{login}");
    }
    let (status, error) =
        app.get_submission(&author, opora_domain::SubmissionId(uuid::Uuid::new_v4())).await.unwrap_err();
    assert_eq!((status, error.code), (StatusCode::NOT_FOUND, ErrorCode::NotFound), "an unknown id");
    let (status, error) = app.get_submission_at(&author, "not-a-uuid").await.unwrap_err();
    assert_eq!((status, error.code), (StatusCode::NOT_FOUND, ErrorCode::NotFound), "not an id at all");
}

#[tokio::test]
async fn submitting_needs_a_session() {
    let app = TestApp::spawn().await;
    let submission = complete_submission(&app.form().await, "math");
    let body = serde_json::to_vec(&submission).unwrap();
    let path = format!("/api/self-diagnoses/{}", submission.id);
    let (status, error) = refusal(app.send_raw(Method::PUT, &path, None, body, "application/json").await).await;
    assert_eq!((status, error.code), (StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated));
    assert!(!app.is_stored(submission.id).await);
}

#[tokio::test]
async fn an_undecodable_id_in_the_path_is_a_json_error() {
    let app = TestApp::spawn().await;
    let token = app.token("burakovo.t1").await;
    let submission = complete_submission(&app.form().await, "math");
    let body = serde_json::to_vec(&submission).unwrap();
    let res = app.send_raw(Method::PUT, "/api/self-diagnoses/%FF", Some(&token), body, "application/json").await;
    let (status, error) = refusal(res).await;
    assert_eq!((status, error.code), (StatusCode::BAD_REQUEST, ErrorCode::MalformedRequest));
    let (status, error) = app.get_submission_at(&token, "%FF").await.unwrap_err();
    assert_eq!((status, error.code), (StatusCode::BAD_REQUEST, ErrorCode::MalformedRequest));
    assert!(!app.is_stored(submission.id).await);
}
