//! What the server refuses, and what it must not let one bad piece hold back: text that does not
//! fit a report field, sync requests that reuse a sequence number, impossible device times,
//! periods that are not periods, and control or bidirectional characters anywhere in a body.

use opora_domain::api::{DepartmentAnalytics, ErrorCode};
use opora_domain::merge::Fields;
use opora_domain::report::{ReportEdit, ReportKey, StoredReport};
use opora_domain::sync::{Change, Cursor, Outcome, Pulled, PushedChange};
use opora_domain::{FormId, SchoolId};
use opora_tests::{TestApp, complete_submission, new_device, pushed, send, sync_request};
use reqwest::{Method, StatusCode};

struct Principal {
    token: String,
    school: SchoolId,
    reports: Vec<StoredReport>,
}

impl Principal {
    async fn of_burakovo(app: &TestApp) -> Principal {
        let login = app.login_as("burakovo.director").await;
        let reports = app
            .pull_all(&login.token, new_device())
            .await
            .into_iter()
            .filter_map(|p| if let Pulled::Report { report } = p { Some(report) } else { None })
            .collect();
        Principal { token: login.token, school: login.user.school.expect("a principal's school").id, reports }
    }

    fn report(&self, form: &str) -> &StoredReport {
        self.reports.iter().find(|r| r.key.form.as_str() == form).expect("a demo report of the form")
    }

    fn edit(&self, form: &str, period: &str, base_revision: u32, fields: Fields, submit: bool) -> ReportEdit {
        ReportEdit {
            key: ReportKey { school: self.school, form: FormId::from(form), period: period.to_owned() },
            form_version: 1,
            base_revision,
            fields,
            submit,
            at_ms: opora_server::system_now_ms(),
            confirmed: Vec::new(),
        }
    }

    async fn push(&self, app: &TestApp, changes: Vec<ReportEdit>) -> Vec<Outcome> {
        let push = changes
            .into_iter()
            .enumerate()
            .map(|(seq, edit)| PushedChange { seq: seq as u64, change: Change::save_report(edit) })
            .collect();
        let res = app.sync(&self.token, &sync_request(new_device(), push, Cursor(0))).await.expect("sync");
        res.acks.into_iter().map(|a| a.outcome).collect()
    }
}

fn refused_code(outcome: &Outcome) -> Option<ErrorCode> {
    match outcome {
        Outcome::Rejected { error } => Some(error.code),
        Outcome::Applied | Outcome::AppliedExcept { .. } => None,
    }
}

const CARD: &str = "indicator-card";
/// A text field of the indicator card the form limits to 500 characters.
const PARTNERSHIP_TEXT: &str = "c9.current";

#[tokio::test]
async fn a_field_too_long_for_its_form_is_held_back_and_the_rest_of_the_report_is_saved() {
    let app = TestApp::spawn().await;
    let p = Principal::of_burakovo(&app).await;
    let card = p.report(CARD).clone();
    let limit = app.state.store.report_form(&card.key.form, card.form_version).await.unwrap().unwrap();
    let field = limit.field(&PARTNERSHIP_TEXT.into()).expect("the partnership text field");
    assert_eq!(field.max_chars(), 500, "the form's own limit");

    let mut fields = card.fields.clone();
    fields.insert(PARTNERSHIP_TEXT.into(), "д".repeat(5001));
    fields.insert("c1.current".into(), "7%".into());
    let outcomes = p.push(&app, vec![p.edit(CARD, &card.key.period, card.revision, fields.clone(), false)]).await;
    match &outcomes[0] {
        Outcome::AppliedExcept { held_back } => {
            assert_eq!(held_back.len(), 1, "{held_back:?}");
            assert_eq!(held_back[0].field.as_str(), PARTNERSHIP_TEXT);
            assert!(held_back[0].message.contains("Не больше 500 символов, сейчас 5001"), "{}", held_back[0].message);
        }
        other => panic!("expected the edit applied except the long field, got {other:?}"),
    }
    let stored = app.state.store.report(&card.key).await.unwrap().unwrap();
    assert_eq!(stored.fields["c1.current"], "7%", "the other field reached the server");
    assert_eq!(stored.fields.get(PARTNERSHIP_TEXT), card.fields.get(PARTNERSHIP_TEXT), "the long text was not stored");

    // The next edit still carries the long text (the device keeps what was typed), and a field
    // typed afterwards still arrives.
    fields.insert("c2.current".into(), "58".into());
    let outcomes = p.push(&app, vec![p.edit(CARD, &card.key.period, stored.revision, fields.clone(), false)]).await;
    assert!(matches!(&outcomes[0], Outcome::AppliedExcept { held_back } if held_back.len() == 1), "{outcomes:?}");
    let stored = app.state.store.report(&card.key).await.unwrap().unwrap();
    assert_eq!(stored.fields["c2.current"], "58");

    // Shortened to the limit, it is stored, and the outcome is a plain «applied».
    fields.insert(PARTNERSHIP_TEXT.into(), "д".repeat(500));
    let outcomes = p.push(&app, vec![p.edit(CARD, &card.key.period, stored.revision, fields, false)]).await;
    assert_eq!(outcomes, vec![Outcome::Applied]);
    let stored = app.state.store.report(&card.key).await.unwrap().unwrap();
    assert_eq!(stored.fields[PARTNERSHIP_TEXT].chars().count(), 500);
}

#[tokio::test]
async fn a_value_cell_longer_than_any_value_is_held_back_too() {
    let app = TestApp::spawn().await;
    let p = Principal::of_burakovo(&app).await;
    let card = p.report(CARD).clone();
    let mut fields = card.fields.clone();
    fields.insert("c1.current".into(), "1".repeat(101));
    let outcomes = p.push(&app, vec![p.edit(CARD, &card.key.period, card.revision, fields, false)]).await;
    assert!(
        matches!(&outcomes[0], Outcome::AppliedExcept { held_back } if held_back[0].field.as_str() == "c1.current"),
        "{outcomes:?}"
    );
}

#[tokio::test]
async fn a_request_that_repeats_a_sequence_number_is_refused_whole_and_nothing_is_applied() {
    let app = TestApp::spawn().await;
    let token = app.token("burakovo.t1").await;
    let form = app.form().await;
    let (first, second) = (complete_submission(&form, "math"), complete_submission(&form, "math"));
    for seqs in [[3, 3], [5, 4]] {
        let req = sync_request(new_device(), vec![pushed(seqs[0], &first), pushed(seqs[1], &second)], Cursor(0));
        let (status, body) = app.sync(&token, &req).await.expect_err("refused");
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{seqs:?}");
        assert_eq!(body.code, ErrorCode::InvalidInput);
        assert!(body.detail.as_deref().unwrap_or_default().contains("strictly increase"), "{body:?}");
    }
    assert!(!app.is_stored(first.id).await && !app.is_stored(second.id).await, "nothing applied");
}

#[tokio::test]
async fn impossible_device_times_are_refused_and_what_counts_as_latest_is_the_order_of_receipt() {
    let app = TestApp::spawn().await;
    let token = app.token("burakovo.t1").await;
    let form = app.form().await;
    let device = new_device();
    for (seq, at) in [(0, i64::MIN), (1, 250_000_000_000_000_000), (2, -1), (3, app.now_ms() + 3 * 86_400_000)] {
        let mut s = complete_submission(&form, "math");
        s.submitted_at_ms = at;
        let res = app.sync(&token, &sync_request(device, vec![pushed(seq, &s)], Cursor(0))).await.unwrap();
        assert_eq!(refused_code(&res.acks[0].outcome), Some(ErrorCode::InvalidTime), "submitted at {at}");
        assert!(!app.is_stored(s.id).await);
        let mut s = complete_submission(&form, "math");
        s.started_at_ms = at;
        let (status, body) = app.put_submission_at(&token, &s.id.to_string(), &s).await.expect_err("refused");
        assert_eq!((status, body.code), (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidTime), "started at {at}");
    }

    // The phone's clock runs a day behind: its second submission is still her latest.
    let me = app.login_as("burakovo.t1").await.user;
    let all_low = opora_tests::complete_submission_with(&form, "math", |_, _| 0);
    let all_high = opora_tests::complete_submission_with(&form, "math", |_, n| (n - 1) as u8);
    let mut later_but_behind = all_low.clone();
    later_but_behind.submitted_at_ms = all_high.submitted_at_ms - 86_400_000;
    later_but_behind.started_at_ms = later_but_behind.submitted_at_ms - 60_000;
    for (seq, s) in [(10, &all_high), (11, &later_but_behind)] {
        let res = app.sync(&token, &sync_request(device, vec![pushed(seq, s)], Cursor(0))).await.unwrap();
        assert_eq!(res.acks[0].outcome, Outcome::Applied);
    }
    let municipality = me.school.as_ref().unwrap().municipality_id;
    let latest = app.state.store.latest_profiles(municipality, &form.id).await.unwrap();
    let mine = latest.iter().find(|l| l.teacher == me.id).expect("her latest profile");
    assert_eq!(mine.submitted_at_ms, later_but_behind.submitted_at_ms, "the one received last");
    assert!(mine.profile.areas.iter().all(|a| a.points == 0), "the all-low answers received last count");
}

#[tokio::test]
async fn a_report_for_something_that_is_not_a_period_is_refused() {
    let app = TestApp::spawn().await;
    let p = Principal::of_burakovo(&app).await;
    let card = p.report(CARD).clone();
    for period in ["9999", "-2019-Q1", "2019-2021", "2019 ", "две тысячи", "", "2019-Q5"] {
        let outcomes = p.push(&app, vec![p.edit(CARD, period, 0, card.fields.clone(), false)]).await;
        assert_eq!(
            outcomes.iter().map(refused_code).collect::<Vec<_>>(),
            [Some(ErrorCode::InvalidInput)],
            "{period:?}"
        );
    }
    // A NUL or a direction override is refused with the whole request, before it is read at all.
    for period in ["2019\u{0}", "\u{202E}2019"] {
        let edit = p.edit(CARD, period, 0, card.fields.clone(), false);
        let push = vec![PushedChange { seq: 0, change: Change::save_report(edit) }];
        let (status, body) =
            app.sync(&p.token, &sync_request(new_device(), push, Cursor(0))).await.expect_err("refused");
        assert_eq!((status, body.code), (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidInput), "{period:?}");
        assert!(body.detail.unwrap().starts_with("push[0].change.edit.key.period: Недопустимый символ"));
    }
    let periods: Vec<String> = Principal::of_burakovo(&app).await.reports.into_iter().map(|r| r.key.period).collect();
    assert!(periods.iter().all(|period| opora_domain::period::normalise(period).as_ref() == Ok(period)), "{periods:?}");
}

#[tokio::test]
async fn control_and_direction_characters_are_refused_in_any_body_with_where_they_were() {
    let app = TestApp::spawn().await;
    let principal = app.token("burakovo.director").await;
    for name in ["Иванова\u{202E}аксвон", "Иванова\u{0}", "Ива\u{2066}нова"] {
        let res = app
            .request(Method::POST, "/api/school/teachers", Some(&principal))
            .json(&serde_json::json!({ "full_name": name }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
        let body: opora_domain::api::ApiError = res.json().await.unwrap();
        assert_eq!(body.code, ErrorCode::InvalidInput);
        assert!(
            body.detail.as_deref().unwrap_or_default().starts_with("full_name: Недопустимый символ U+"),
            "{body:?}"
        );
    }
    let department = app.token("spassk.otdel").await;
    let res = app
        .request(Method::POST, "/api/department/campaigns", Some(&department))
        .json(&serde_json::json!({ "form": "monitoring", "period": "9999", "deadline": "2026-12-20" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "a campaign for a period that is not one");
}

#[tokio::test]
async fn the_departments_default_period_is_never_one_a_school_typed_for_the_future() {
    let app = TestApp::spawn().await;
    let p = Principal::of_burakovo(&app).await;
    let monitoring = p.report("monitoring").clone();
    let outcomes = p.push(&app, vec![p.edit("monitoring", "2099", 0, monitoring.fields.clone(), true)]).await;
    assert_eq!(outcomes, vec![Outcome::Applied], "a valid period, if a strange one");
    let token = app.token("spassk.otdel").await;
    let (_, a): (_, DepartmentAnalytics) =
        send(app.request(Method::GET, "/api/department/analytics", Some(&token))).await.unwrap();
    assert_eq!(a.monitoring_period.as_deref(), Some("2025-2026"), "the latest begun, from the demo's years");
    assert!(!a.monitoring_periods.contains(&"2099".to_owned()), "{:?}", a.monitoring_periods);
}
