//! Issue 10, part B: a teacher's answers and scores are hers alone. Each test plays one route by
//! which testers recovered a named teacher's exact scores or answers, against the real server, and
//! checks that the arithmetic no longer gives them (ARCHITECTURE.md, «Disclosure control»).
//!
//! The rule every check below comes down to: two published figures about teachers differ by no
//! teacher at all or by at least the minimum group (`k`, 5), never by one.

use opora_domain::aggregate::{AreaStat, GroupSummary};
use opora_domain::api::{
    ActivateRequest, DepartmentAnalytics, IssuedCode, LoginResponse, NewTeacher, SchoolSelfDiagnosis, SetActive,
    TeacherAccount,
};
use opora_domain::form::FormDefinition;
use opora_domain::scoring::{Profile, score};
use opora_domain::{SubjectCode, SubmissionId};
use opora_tests::{TestApp, complete_submission_with, send};
use reqwest::{Method, StatusCode};

const KALINOVKA: &str = "МБОУ «Калиновская СОШ»";

/// The subject of every submission here: no demo teacher of Чесменский район teaches it, so the
/// tests decide every geography cell and pool.
const GEOGRAPHY: &str = "geography";

/// Submits a geography self-diagnosis as `token`'s teacher; returns its id and her profile.
async fn submit_as(
    app: &TestApp,
    token: &str,
    form: &FormDefinition,
    value: impl Fn(usize, usize) -> u8,
) -> (SubmissionId, Profile) {
    let submission = complete_submission_with(form, GEOGRAPHY, value);
    app.put_submission(token, &submission).await.expect("the submission is stored");
    let profile = score(form, Some(&SubjectCode::from(GEOGRAPHY)), &submission.answers);
    (submission.id, profile)
}

async fn submit(app: &TestApp, login: &str, form: &FormDefinition, value: impl Fn(usize, usize) -> u8) -> Profile {
    let token = app.token(login).await;
    submit_as(app, &token, form, value).await.1
}

/// A new teacher of Калиновская СОШ, created by its principal, activated: her session.
async fn new_teacher_at_kalinovka(app: &TestApp, full_name: &str) -> (IssuedCode, LoginResponse) {
    let principal = app.token("kalinovka.director").await;
    let body = NewTeacher { full_name: full_name.into(), login: None };
    let issued: IssuedCode =
        send(app.request(Method::POST, "/api/school/teachers", Some(&principal)).json(&body)).await.unwrap().1;
    let session = activate(app, &issued.code, "новая-учительница-2027").await;
    (issued, session)
}

/// Five geography teachers at Калиновская СОШ (a ШНОР school of Чесменский район): the four
/// demo teachers who have not submitted yet and a new one.
async fn five_geography_teachers_at_kalinovka(app: &TestApp, form: &FormDefinition) {
    for (i, login) in ["kalinovka.t1", "kalinovka.t4", "kalinovka.t5", "kalinovka.t6"].into_iter().enumerate() {
        submit(app, login, form, move |item, len| ((item + i) % len) as u8).await;
    }
    let (_, fifth) = new_teacher_at_kalinovka(app, "Смирнова Ольга Ивановна").await;
    submit_as(app, &fifth.token, form, |item, len| ((item + 4) % len) as u8).await;
}

async fn analytics(app: &TestApp, query: &str) -> DepartmentAnalytics {
    let token = app.token("chesma.otdel").await;
    send(app.request(Method::GET, &format!("/api/department/analytics{query}"), Some(&token)))
        .await
        .expect("the analytics")
        .1
}

async fn school_view(app: &TestApp, principal: &str) -> SchoolSelfDiagnosis {
    send(app.request(Method::GET, "/api/school/self-diagnosis", Some(principal))).await.expect("the school view").1
}

async fn teachers(app: &TestApp, principal: &str) -> Vec<TeacherAccount> {
    send(app.request(Method::GET, "/api/school/teachers", Some(principal))).await.expect("the teacher list").1
}

async fn activate(app: &TestApp, code: &str, password: &str) -> LoginResponse {
    let body = ActivateRequest { code: code.to_owned(), password: password.to_owned() };
    send(app.request(Method::POST, "/api/auth/activate", None).json(&body)).await.expect("activated").1
}

/// Per area: how many respondents separate two readings of the same figure, and what one teacher's
/// score would be if they were one (n₁·mean₁ − n₂·mean₂).
fn differences(before: &GroupSummary, after: &GroupSummary) -> Vec<(u32, f64)> {
    before
        .areas
        .iter()
        .zip(&after.areas)
        .filter_map(|(b, a)| match (&b.stat, &a.stat) {
            (
                AreaStat::Shown { respondents: nb, mean_percent: mb, .. },
                AreaStat::Shown { respondents: na, mean_percent: ma, .. },
            ) => Some((nb.abs_diff(*na), (f64::from(*na) * ma - f64::from(*nb) * mb).abs())),
            _ => None,
        })
        .collect()
}

/// The rule: no reading differs from another by fewer than `k` teachers, unless by none.
fn assert_no_single_teacher_between(before: &GroupSummary, after: &GroupSummary, k: u32, what: &str) {
    let differences = differences(before, after);
    assert!(!differences.is_empty(), "{what}: nothing shown in both readings, the check would be empty");
    for (n, _) in &differences {
        assert!(*n == 0 || *n >= k, "{what}: the readings differ by {n} respondents: {differences:?}");
    }
}

fn area_percents(profile: &Profile) -> Vec<f64> {
    profile.areas.iter().filter_map(|a| a.percent()).collect()
}

#[tokio::test]
async fn route_6_two_school_filters_do_not_differ_by_one_teacher() {
    let app = TestApp::spawn().await;
    let form = app.form().await;
    five_geography_teachers_at_kalinovka(&app, &form).await;
    // The one geography teacher of Чесменская СОШ, a school in neither group, every answer lowest,
    // and four more in two other ШНОР schools: with hers, enough for a pool.
    let her = submit(&app, "chesma.t1", &form, |_, _| 0).await;
    for login in ["uglitsky.t1", "uglitsky.t4", "uglitsky.t5", "tsvilling.t1"] {
        submit(&app, login, &form, |item, len| (item % len) as u8).await;
    }

    let all = analytics(&app, "").await;
    let low = analytics(&app, "?group=low_results").await;
    let geography = |a: &DepartmentAnalytics| {
        a.deficits_by_subject.iter().find(|s| s.subject == "География").expect("География").summary.clone()
    };
    let (geography_all, geography_low) = (geography(&all), geography(&low));
    assert_no_single_teacher_between(&geography_all, &geography_low, all.min_group, "География, all vs ШНОР");
    // All schools: Калиновская's five, and the pool of the other four schools' five. ШНОР only:
    // the pool reaches Чесменская СОШ, so it is left out whole.
    assert_eq!((geography_all.completed, geography_low.completed), (10, 5));
    let hers = area_percents(&her);
    for (n, recovered) in differences(&geography_all, &geography_low) {
        assert!(n != 1 || hers.iter().all(|h| (h - recovered).abs() > 1e-6), "her score: {recovered}");
    }
    // Topics: counts of teachers who need a topic, the same rule.
    for topic in &all.topics {
        let other = low.topics.iter().find(|t| t.area == topic.area && t.topic == topic.topic);
        if let (Some(a), Some(Some(l))) = (topic.teachers, other.map(|t| t.teachers)) {
            let n = a.abs_diff(l);
            assert!(n == 0 || n >= all.min_group, "{}: {a} vs {l}", topic.topic);
        }
    }
    // And per school: Чесменская СОШ's one teacher is no figure of her school.
    let chesma = all.deficits.iter().find(|r| r.school.name.starts_with("МБОУ «Чесменская")).expect("Чесменская СОШ");
    assert!(chesma.summary.areas.iter().all(|a| a.stat == AreaStat::Suppressed));
}

#[tokio::test]
async fn route_7_a_reading_before_and_after_one_submission_does_not_give_it() {
    let app = TestApp::spawn().await;
    let form = app.form().await;
    five_geography_teachers_at_kalinovka(&app, &form).await;
    let principal = app.token("kalinovka.director").await;
    let school_before = school_view(&app, &principal).await;
    let row_before = app.school_row("chesma.otdel", KALINOVKA).await;

    // A new teacher joins, activates her account and submits, every answer highest.
    let (issued, session) = new_teacher_at_kalinovka(&app, "Новикова Вера Андреевна").await;
    let (_, her) = submit_as(&app, &session.token, &form, |_, len| (len - 1) as u8).await;

    let school_after = school_view(&app, &principal).await;
    let row_after = app.school_row("chesma.otdel", KALINOVKA).await;
    let k = school_before.min_group;
    assert_no_single_teacher_between(&school_before.summary, &school_after.summary, k, "the principal's view");
    assert_no_single_teacher_between(&row_before.summary, &row_after.summary, k, "the department's row");
    let hers = area_percents(&her);
    for (n, recovered) in differences(&school_before.summary, &school_after.summary) {
        assert!(n != 1 || hers.iter().all(|h| (h - recovered).abs() > 1e-6), "her score: {recovered}");
    }
    assert_eq!(school_after.summary.completed, school_before.summary.completed + 1, "coverage still counts her");
    // Nor does the teacher list say who submitted when: only whether.
    let listed = teachers(&app, &principal).await;
    assert!(listed.iter().all(|t| t.last_submitted_at_ms.is_none()), "{listed:?}");
    assert!(listed.iter().find(|t| t.id == issued.account.id).is_some_and(|t| t.submitted));
}

#[tokio::test]
async fn route_8_switching_a_teacher_off_and_on_changes_no_figure() {
    let app = TestApp::spawn().await;
    let form = app.form().await;
    five_geography_teachers_at_kalinovka(&app, &form).await;
    let principal = app.token("kalinovka.director").await;
    let before = school_view(&app, &principal).await;
    let row_before = app.school_row("chesma.otdel", KALINOVKA).await;
    let t4 = teachers(&app, &principal).await.into_iter().find(|t| t.login == "kalinovka.t4").expect("t4");

    let set_active = |active: bool| {
        let path = format!("/api/school/teachers/{}/active", t4.id);
        app.request(Method::PUT, &path, Some(&principal)).json(&SetActive { active })
    };
    send::<TeacherAccount>(set_active(false)).await.expect("switched off");
    let off = school_view(&app, &principal).await;
    let row_off = app.school_row("chesma.otdel", KALINOVKA).await;
    assert_no_single_teacher_between(&before.summary, &off.summary, before.min_group, "after switching her off");
    assert_eq!(off.summary.areas, before.summary.areas, "membership is the submissions', not the accounts'");
    assert_eq!(row_off.summary, row_before.summary);
    send::<TeacherAccount>(set_active(true)).await.expect("switched on");
    assert_eq!(school_view(&app, &principal).await.summary, before.summary);
}

#[tokio::test]
async fn route_9_a_new_activation_code_does_not_open_her_earlier_answers() {
    let app = TestApp::spawn().await;
    let form = app.form().await;
    let teacher = app.token("kalinovka.t1").await;
    let (id, _) = submit_as(&app, &teacher, &form, |_, _| 1).await;
    assert!(app.get_submission(&teacher, id).await.is_ok(), "she reads her own");
    let principal = app.token("kalinovka.director").await;
    let completed_before = school_view(&app, &principal).await.summary.completed;

    // The principal issues a code to the active account and uses it herself.
    let t1 = teachers(&app, &principal).await.into_iter().find(|t| t.login == "kalinovka.t1").expect("t1");
    let issued: IssuedCode =
        send(app.request(Method::POST, &format!("/api/school/teachers/{}/code", t1.id), Some(&principal)))
            .await
            .expect("a new code")
            .1;
    let taken = activate(&app, &issued.code, "пароль-директора-1").await;
    let (status, _) = app.get_submission(&taken.token, id).await.expect_err("sealed by the reset");
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(app.pulled_submissions(&taken.token).await.iter().all(|s| s.submission.id != id), "nor pulled");
    // What she submits after the reset is hers to read; the earlier one still counts in aggregates.
    let (later, _) = submit_as(&app, &taken.token, &form, |_, _| 2).await;
    assert!(app.get_submission(&taken.token, later).await.is_ok());
    assert!(app.is_stored(id).await);
    assert_eq!(school_view(&app, &principal).await.summary.completed, completed_before);
}

#[tokio::test]
async fn route_9_the_administrators_new_password_seals_earlier_answers_too() {
    let app = TestApp::spawn().await;
    let form = app.form().await;
    let teacher = app.token("kalinovka.t1").await;
    let (id, _) = submit_as(&app, &teacher, &form, |_, _| 1).await;
    let password = "пароль-администратора-1";
    opora_server::admin::reset_password(app.state.store.as_ref(), "kalinovka.t1", Some(password.into()), app.now_ms())
        .await
        .expect("reset");
    let session = app.login("kalinovka.t1", password).await.expect("the new password works");
    let (status, _) = app.get_submission(&session.token, id).await.expect_err("sealed by the reset");
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(app.pulled_submissions(&session.token).await.iter().all(|s| s.submission.id != id));
    // Submitting the same submission again does not hand its stored answers back either.
    let again = complete_submission_with(&form, GEOGRAPHY, |_, _| 3);
    let again = opora_domain::diagnosis::Submission { id, ..again };
    let (status, _) = app.put_submission(&session.token, &again).await.expect_err("no stored answers returned");
    assert_eq!(status, StatusCode::NOT_FOUND);
}
