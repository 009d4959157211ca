//! School reports through `POST /api/sync`: principals' edits merged field by field, revisions
//! kept, refusals recorded, and nobody but the school's principal writing or pulling them.

use opora_domain::api::ErrorCode;
use opora_domain::merge::Fields;
use opora_domain::report::{ReportEdit, ReportKey, StoredReport};
use opora_domain::sync::{Ack, Change, Cursor, Outcome, Pulled, PushedChange};
use opora_domain::{DeviceId, FormId};
use opora_server::storage::ChangeKey;
use opora_tests::{TestApp, new_device, sync_request};

const CARD: &str = "indicator-card";
/// A period the demo data has no report for.
const PERIOD: &str = "2019-2020";

fn save(seq: u64, edit: &ReportEdit) -> PushedChange {
    PushedChange { seq, change: Change::save_report(edit.clone()) }
}

fn reports_in(pulled: &[Pulled]) -> Vec<&StoredReport> {
    pulled.iter().filter_map(|p| if let Pulled::Report { report } = p { Some(report) } else { None }).collect()
}

fn outcome_code(acks: &[Ack]) -> Option<ErrorCode> {
    match &acks.first().expect("one ack").outcome {
        Outcome::Rejected { error } => Some(error.code),
        Outcome::Applied | Outcome::AppliedExcept { .. } => None,
    }
}

struct Principal {
    token: String,
    /// Бураковская СОШ's demo card for 2018-2019, filled from seed 000.
    demo: StoredReport,
}

impl Principal {
    async fn of_burakovo(app: &TestApp) -> Principal {
        let login = app.login_as("burakovo.director").await;
        let pulled = app.pull_all(&login.token, new_device()).await;
        let demo = reports_in(&pulled)
            .into_iter()
            .find(|r| r.key.form.as_str() == CARD && r.key.period == "2018-2019")
            .cloned()
            .expect("the demo indicator card");
        Principal { token: login.token, demo }
    }

    fn edit(&self, base_revision: u32, fields: Fields, submit: bool) -> ReportEdit {
        ReportEdit {
            key: ReportKey { school: self.demo.key.school, form: FormId::from(CARD), period: PERIOD.to_owned() },
            form_version: self.demo.form_version,
            base_revision,
            fields,
            submit,
            at_ms: opora_server::system_now_ms(),
            confirmed: Vec::new(),
        }
    }

    async fn push(&self, app: &TestApp, device: DeviceId, seq: u64, edit: &ReportEdit) -> Option<ErrorCode> {
        let res = app.sync(&self.token, &sync_request(device, vec![save(seq, edit)], Cursor(0))).await.expect("sync");
        outcome_code(&res.acks)
    }

    async fn stored(&self, app: &TestApp) -> Option<StoredReport> {
        let key = self.edit(0, Fields::new(), false).key;
        app.state.store.report(&key).await.expect("reading a report")
    }
}

fn with(fields: &Fields, changes: &[(&str, &str)]) -> Fields {
    let mut f = fields.clone();
    for (k, v) in changes {
        f.insert((*k).to_owned(), (*v).to_owned());
    }
    f
}

#[tokio::test]
async fn a_principal_pulls_the_report_forms_and_only_her_schools_reports() {
    let app = TestApp::spawn().await;
    let principal = app.login_as("burakovo.director").await;
    let pulled = app.pull_all(&principal.token, new_device()).await;
    let forms: Vec<&str> = pulled
        .iter()
        .filter_map(|p| if let Pulled::ReportForm { form } = p { Some(form.id.as_str()) } else { None })
        .collect();
    for form in ["indicator-card", "assessment-results", "monitoring", "identification-checklist"] {
        assert!(forms.contains(&form), "{form} in {forms:?}");
    }
    let school = principal.user.school.as_ref().expect("a principal's school").id;
    let reports = reports_in(&pulled);
    assert!(!reports.is_empty(), "the demo card of Бураковская СОШ");
    assert!(reports.iter().all(|r| r.key.school == school), "only her school's reports");
    // The card as the seed gives it: c1 current result 0 %.
    let card = reports.iter().find(|r| r.key.form.as_str() == CARD).unwrap();
    assert_eq!(card.submitted_revision, Some(card.revision), "demo cards are submitted");

    let teacher = app.token("burakovo.t1").await;
    let pulled = app.pull_all(&teacher, new_device()).await;
    assert!(
        !pulled.iter().any(|p| matches!(p, Pulled::Report { .. } | Pulled::ReportForm { .. })),
        "a teacher pulls no school reports"
    );
}

#[tokio::test]
async fn a_report_is_saved_then_submitted_and_each_step_is_a_revision() {
    let app = TestApp::spawn().await;
    let p = Principal::of_burakovo(&app).await;
    let device = new_device();
    let half: Fields = p.demo.fields.iter().take(5).map(|(k, v)| (k.clone(), v.clone())).collect();

    assert_eq!(p.push(&app, device, 0, &p.edit(0, half.clone(), false)).await, None);
    let stored = p.stored(&app).await.expect("saved");
    assert_eq!((stored.revision, stored.submitted_revision), (1, None), "a draft, not sent");
    assert_eq!(stored.fields, half);

    // Asking to submit a half-filled report saves it but does not send it.
    assert_eq!(p.push(&app, device, 1, &p.edit(1, half.clone(), true)).await, None);
    let stored = p.stored(&app).await.unwrap();
    assert_eq!((stored.revision, stored.submitted_revision), (2, None), "problems keep it a draft");

    assert_eq!(p.push(&app, device, 2, &p.edit(2, p.demo.fields.clone(), true)).await, None);
    let stored = p.stored(&app).await.unwrap();
    assert_eq!((stored.revision, stored.submitted_revision), (3, Some(3)));

    // An amendment after submission is a new revision; the submitted one stays until re-sent.
    let amended = with(&p.demo.fields, &[("c1.current", "5 %")]);
    assert_eq!(p.push(&app, device, 3, &p.edit(3, amended.clone(), false)).await, None);
    let stored = p.stored(&app).await.unwrap();
    assert_eq!((stored.revision, stored.submitted_revision), (4, Some(3)));
    let history = app.state.store.report_revisions(&stored.key).await.unwrap();
    assert_eq!(
        history.iter().map(|r| (r.revision, r.submitted)).collect::<Vec<_>>(),
        vec![(1, false), (2, false), (3, true), (4, false)]
    );
    assert_eq!(history[2].fields, p.demo.fields, "the submitted revision is kept as sent");
    assert_eq!(history[3].fields["c1.current"], "5 %");
}

#[tokio::test]
async fn a_replayed_edit_is_applied_once() {
    let app = TestApp::spawn().await;
    let p = Principal::of_burakovo(&app).await;
    let device = new_device();
    let edit = p.edit(0, p.demo.fields.clone(), true);
    for _ in 0..3 {
        assert_eq!(p.push(&app, device, 9, &edit).await, None);
    }
    let stored = p.stored(&app).await.unwrap();
    assert_eq!(stored.revision, 1, "one revision however often the response was lost");
    assert_eq!(app.state.store.report_revisions(&stored.key).await.unwrap().len(), 1);
    let recorded = app.state.store.previous_change(ChangeKey { device, seq: 9 }).await.unwrap();
    assert_eq!(recorded.map(|r| r.outcome), Some(Outcome::Applied));
}

/// An edit that took the place of the device's queued edits `replaces` in its outbox.
fn replacing(seq: u64, edit: &ReportEdit, replaces: &[u64]) -> PushedChange {
    PushedChange { seq, change: Change::SaveReport { edit: edit.clone(), replaces: replaces.to_vec() } }
}

/// What a late copy could change: the report and how many revisions it has.
async fn report_state(app: &TestApp, p: &Principal) -> (Option<StoredReport>, usize) {
    let stored = p.stored(app).await;
    let revisions = match &stored {
        Some(r) => app.state.store.report_revisions(&r.key).await.unwrap().len(),
        None => 0,
    };
    (stored, revisions)
}

#[tokio::test]
async fn a_late_copy_of_an_edit_a_newer_one_replaced_changes_nothing() {
    // She types, leaves the field (edit 1), the send is lost; she types again and sends the
    // report: the new edit 2 replaced edit 1 in the outbox and names it. Then the lost request
    // turns up late. Left to be merged then, edit 1 would put back the value typed over since.
    let app = TestApp::spawn().await;
    let p = Principal::of_burakovo(&app).await;
    let device = new_device();
    let first = p.edit(0, with(&p.demo.fields, &[("c1.current", "3 %")]), false);
    let second = p.edit(0, with(&p.demo.fields, &[("c1.current", "5 %")]), true);
    let res = app.sync(&p.token, &sync_request(device, vec![replacing(2, &second, &[1])], Cursor(0))).await.unwrap();
    assert_eq!(res.acks, vec![Ack { seq: 2, outcome: Outcome::Applied }]);
    let before = report_state(&app, &p).await;
    let stored = before.0.clone().expect("saved");
    assert_eq!((stored.fields["c1.current"].as_str(), stored.submitted_revision), ("5 %", Some(1)));

    // The late copy, twice, and once more together with the newer edit (a retry of both).
    for push in [vec![save(1, &first)], vec![save(1, &first)], vec![save(1, &first), replacing(2, &second, &[1])]] {
        let res = app.sync(&p.token, &sync_request(device, push, Cursor(0))).await.unwrap();
        assert!(res.acks.iter().all(|a| a.outcome == Outcome::Applied), "answered from the record: {:?}", res.acks);
        assert_eq!(report_state(&app, &p).await, before, "a late copy changed the report");
    }
    let recorded = app.state.store.previous_change(ChangeKey { device, seq: 1 }).await.unwrap().expect("recorded");
    assert_eq!((recorded.outcome, recorded.replaced_by), (Outcome::Applied, Some(2)));
    let own = app.state.store.previous_change(ChangeKey { device, seq: 2 }).await.unwrap().expect("recorded");
    assert_eq!(own.replaced_by, None);
}

#[tokio::test]
async fn every_edit_in_a_chain_of_replacements_is_answered_by_the_last() {
    // Offline, edit 1 was replaced by 3 (another report's edit 2 in between), 3 by 5; copies of
    // 1 and 3 were sent in requests that were lost, and arrive after 5.
    let app = TestApp::spawn().await;
    let p = Principal::of_burakovo(&app).await;
    let device = new_device();
    let typed = |v: &str| p.edit(0, with(&p.demo.fields, &[("c1.current", v)]), false);
    let mut other_report = typed("9 %");
    other_report.key.period = "2020-2021".to_owned();
    let push = vec![save(2, &other_report), replacing(5, &typed("5 %"), &[1, 3])];
    let res = app.sync(&p.token, &sync_request(device, push, Cursor(0))).await.unwrap();
    assert!(res.acks.iter().all(|a| a.outcome == Outcome::Applied), "{:?}", res.acks);
    let before = report_state(&app, &p).await;
    let late = vec![save(1, &typed("1 %")), save(3, &typed("3 %"))];
    let res = app.sync(&p.token, &sync_request(device, late, Cursor(0))).await.unwrap();
    assert_eq!(res.acks, vec![Ack { seq: 1, outcome: Outcome::Applied }, Ack { seq: 3, outcome: Outcome::Applied }]);
    assert_eq!(report_state(&app, &p).await, before);
    assert_eq!(before.0.unwrap().fields["c1.current"], "5 %");
}

#[tokio::test]
async fn an_edit_applied_before_the_one_that_replaced_it_keeps_its_own_record() {
    // The page died between queueing the new edit and removing the one it replaces: both were
    // sent, in order. The older is applied on its own; the newer merges over it.
    let app = TestApp::spawn().await;
    let p = Principal::of_burakovo(&app).await;
    let device = new_device();
    let first = p.edit(0, with(&p.demo.fields, &[("c1.current", "3 %")]), false);
    let second = p.edit(0, with(&p.demo.fields, &[("c1.current", "5 %")]), false);
    let push = vec![save(1, &first), replacing(2, &second, &[1])];
    let res = app.sync(&p.token, &sync_request(device, push, Cursor(0))).await.unwrap();
    assert!(res.acks.iter().all(|a| a.outcome == Outcome::Applied), "{:?}", res.acks);
    let (stored, revisions) = report_state(&app, &p).await;
    let stored = stored.unwrap();
    assert_eq!((stored.fields["c1.current"].as_str(), revisions), ("5 %", 2));
    assert!(stored.conflicts.is_empty(), "a device never conflicts with itself: {:?}", stored.conflicts);
    let recorded = app.state.store.previous_change(ChangeKey { device, seq: 1 }).await.unwrap().unwrap();
    assert_eq!(recorded.replaced_by, None, "applied itself: its own record stands");
}

#[tokio::test]
async fn a_late_copy_of_an_edit_replaced_by_a_refused_one_gets_the_refusal() {
    // The newer edit was refused whole (here its form version is unknown): the device shows the
    // refusal with everything typed. The replaced edit's late copy must not slip in meanwhile.
    let app = TestApp::spawn().await;
    let p = Principal::of_burakovo(&app).await;
    let device = new_device();
    let first = p.edit(0, with(&p.demo.fields, &[("c1.current", "3 %")]), false);
    let mut second = p.edit(0, with(&p.demo.fields, &[("c1.current", "5 %")]), false);
    second.form_version = 999;
    let res = app.sync(&p.token, &sync_request(device, vec![replacing(2, &second, &[1])], Cursor(0))).await.unwrap();
    assert_eq!(outcome_code(&res.acks), Some(ErrorCode::UnknownFormVersion));
    let res = app.sync(&p.token, &sync_request(device, vec![save(1, &first)], Cursor(0))).await.unwrap();
    assert_eq!(outcome_code(&res.acks), Some(ErrorCode::UnknownFormVersion), "answered from the record");
    assert_eq!(report_state(&app, &p).await, (None, 0), "nothing stored");
}

#[tokio::test]
async fn an_edit_may_replace_only_earlier_changes() {
    let app = TestApp::spawn().await;
    let p = Principal::of_burakovo(&app).await;
    let device = new_device();
    let edit = p.edit(0, p.demo.fields.clone(), false);
    for replaces in [&[4][..], &[1, 7]] {
        let push = vec![save(1, &edit), replacing(4, &edit, replaces)];
        let (status, error) = app.sync(&p.token, &sync_request(device, push, Cursor(0))).await.unwrap_err();
        assert_eq!((status.as_u16(), error.code), (422, ErrorCode::InvalidInput), "{replaces:?}");
    }
    assert_eq!(report_state(&app, &p).await, (None, 0), "the request was refused whole");
    assert!(app.state.store.previous_change(ChangeKey { device, seq: 1 }).await.unwrap().is_none());
}

#[tokio::test]
async fn edits_of_different_fields_on_two_devices_both_survive() {
    let app = TestApp::spawn().await;
    let p = Principal::of_burakovo(&app).await;
    let (office, home) = (new_device(), new_device());
    assert_eq!(p.push(&app, office, 0, &p.edit(0, p.demo.fields.clone(), false)).await, None);

    // Both devices start from revision 1; each changes one field.
    let office_edit = p.edit(1, with(&p.demo.fields, &[("c1.current", "3 %")]), false);
    let home_edit = p.edit(1, with(&p.demo.fields, &[("c8.current", "40 %")]), false);
    assert_eq!(p.push(&app, office, 1, &office_edit).await, None);
    assert_eq!(p.push(&app, home, 0, &home_edit).await, None);

    let stored = p.stored(&app).await.unwrap();
    assert_eq!(stored.fields["c1.current"], "3 %", "the office's change");
    assert_eq!(stored.fields["c8.current"], "40 %", "the home change");
    assert!(stored.conflicts.is_empty(), "{:?}", stored.conflicts);
    assert_eq!(stored.revision, 3);

    // The first device pulls the merged report.
    let pulled = app.pull_all(&p.token, office).await;
    let merged = reports_in(&pulled).into_iter().find(|r| r.key == stored.key).expect("pulled");
    assert_eq!(merged, &stored);
}

#[tokio::test]
async fn the_same_field_changed_differently_is_kept_for_resolution_then_resolved() {
    let app = TestApp::spawn().await;
    let p = Principal::of_burakovo(&app).await;
    let (office, home) = (new_device(), new_device());
    assert_eq!(p.push(&app, office, 0, &p.edit(0, p.demo.fields.clone(), false)).await, None);
    assert_eq!(p.push(&app, office, 1, &p.edit(1, with(&p.demo.fields, &[("c1.current", "3 %")]), false)).await, None);
    assert_eq!(p.push(&app, home, 0, &p.edit(1, with(&p.demo.fields, &[("c1.current", "4 %")]), false)).await, None);

    let stored = p.stored(&app).await.unwrap();
    let [conflict] = stored.conflicts.as_slice() else { panic!("one conflict: {:?}", stored.conflicts) };
    assert_eq!(conflict.field, "c1.current");
    let mut both = [conflict.kept.clone().unwrap(), conflict.lost.clone().unwrap()];
    both.sort();
    assert_eq!(both, ["3 %".to_owned(), "4 %".to_owned()], "neither value is lost");
    assert_eq!(stored.fields["c1.current"], conflict.kept.clone().unwrap());

    // She confirms the kept value on the latest copy: the conflict is resolved, the value stays.
    let kept = conflict.kept.clone().unwrap();
    let mut confirm = p.edit(stored.revision, stored.fields.clone(), false);
    confirm.confirmed = vec!["c1.current".to_owned()];
    assert_eq!(p.push(&app, home, 1, &confirm).await, None);
    let stored = p.stored(&app).await.unwrap();
    assert!(stored.conflicts.is_empty(), "{:?}", stored.conflicts);
    assert_eq!(stored.fields["c1.current"], kept);
}

#[tokio::test]
async fn only_the_schools_principal_may_write_its_reports() {
    let app = TestApp::spawn().await;
    let p = Principal::of_burakovo(&app).await;
    let edit = p.edit(0, p.demo.fields.clone(), true);
    for login in ["burakovo.t1", "kalinovka.director", "spassk.otdel", "tatarstan.region", "admin"] {
        let token = app.token(login).await;
        let res = app.sync(&token, &sync_request(new_device(), vec![save(0, &edit)], Cursor(0))).await.expect("sync");
        assert_eq!(outcome_code(&res.acks), Some(ErrorCode::Forbidden), "{login}");
    }
    assert_eq!(p.stored(&app).await, None, "nothing was written");

    // Another school's principal does not pull Бураковская's reports either.
    let other = app.token("kalinovka.director").await;
    let pulled = app.pull_all(&other, new_device()).await;
    assert!(reports_in(&pulled).iter().all(|r| r.key.school != p.demo.key.school));
}

#[tokio::test]
async fn edits_the_form_cannot_hold_are_refused_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let p = Principal::of_burakovo(&app).await;
    let device = new_device();
    let unknown_field = p.edit(0, with(&p.demo.fields, &[("c99.current", "1")]), false);
    assert_eq!(p.push(&app, device, 0, &unknown_field).await, Some(ErrorCode::InvalidInput));
    let mut unknown_version = p.edit(0, p.demo.fields.clone(), false);
    unknown_version.form_version = 99;
    assert_eq!(p.push(&app, device, 1, &unknown_version).await, Some(ErrorCode::UnknownFormVersion));
    let mut bad_period = p.edit(0, p.demo.fields.clone(), false);
    bad_period.key.period = "2019/2020".to_owned();
    assert_eq!(p.push(&app, device, 2, &bad_period).await, Some(ErrorCode::InvalidInput));
    assert_eq!(p.stored(&app).await, None);
    // A refusal is for good: replayed, it is the same refusal.
    assert_eq!(p.push(&app, device, 0, &unknown_field).await, Some(ErrorCode::InvalidInput));
}

#[tokio::test]
async fn a_device_typing_on_while_its_edit_travels_does_not_conflict_with_itself() {
    let app = TestApp::spawn().await;
    let p = Principal::of_burakovo(&app).await;
    let (device, other) = (new_device(), new_device());
    // A new period's report. The device sends «-1», then, before it has pulled the result, «1»
    // and another field: both of its edits start from revision 0.
    let first = with(&p.demo.fields, &[("c1.count", "-1")]);
    assert_eq!(p.push(&app, device, 0, &p.edit(0, first.clone(), false)).await, None);
    // Meanwhile another device, which has revision 1, changes a different field.
    let seen = p.stored(&app).await.unwrap();
    assert_eq!(p.push(&app, other, 0, &p.edit(1, with(&seen.fields, &[("c8.current", "95 %")]), false)).await, None);
    let second = with(&first, &[("c1.count", "1"), ("c2.current", "58")]);
    assert_eq!(p.push(&app, device, 1, &p.edit(0, second.clone(), false)).await, None);
    let stored = p.stored(&app).await.unwrap();
    assert!(stored.conflicts.is_empty(), "its own earlier value is no one else's: {:?}", stored.conflicts);
    assert_eq!(
        (
            stored.fields["c1.count"].as_str(),
            stored.fields["c2.current"].as_str(),
            stored.fields["c8.current"].as_str()
        ),
        ("1", "58", "95 %"),
        "the device's latest values and the other device's change"
    );

    // A real concurrent change of the same field is still a conflict.
    let changed = with(&stored.fields, &[("c3.current", "B")]);
    assert_eq!(p.push(&app, other, 1, &p.edit(stored.revision, changed, false)).await, None);
    assert_eq!(p.push(&app, device, 2, &p.edit(0, with(&second, &[("c3.current", "A")]), false)).await, None);
    let stored = p.stored(&app).await.unwrap();
    assert_eq!(stored.conflicts.iter().map(|c| c.field.as_str()).collect::<Vec<_>>(), ["c3.current"]);
}
