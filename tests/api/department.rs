//! `GET /api/department/self-diagnosis`: what a municipal department sees of teachers'
//! self-diagnoses (aggregates only, small groups suppressed) and who may see it.

use opora_domain::aggregate::{AreaStat, DEFAULT_MIN_GROUP};
use opora_domain::api::{ErrorCode, SelfDiagnosisOverview};
use opora_domain::{AreaId, FormId, SchoolId};
use opora_tests::{SELF_DIAGNOSIS, TestApp, complete_submission, school};
use reqwest::StatusCode;

const SPASSK_SCHOOLS: [&str; 6] = [
    "Антоновская СОШ",
    "Болгарская кадетская школа",
    "Бураковская СОШ",
    "Кимовская СОШ",
    "Кузнецкихинская ООШ",
    "Полянская СОШ",
];

async fn overview(app: &TestApp, login: &str) -> SelfDiagnosisOverview {
    let token = app.token(login).await;
    app.department_overview(&token).await.unwrap_or_else(|e| panic!("{login}: {e:?}"))
}

fn respondents(stat: &AreaStat) -> Option<u32> {
    match stat {
        AreaStat::Shown { respondents, .. } => Some(*respondents),
        AreaStat::Suppressed => None,
    }
}

/// Checks a school's shown figures against the latest profiles the server stored for its
/// teachers (all of one subject here: a school's figure is its (school, subject) cells).
async fn assert_means_match_the_stored_profiles(app: &TestApp, o: &SelfDiagnosisOverview, school_id: SchoolId) {
    let latest = app.state.store.latest_profiles(o.municipality.id, &FormId::from(SELF_DIAGNOSIS)).await.unwrap();
    let profiles: Vec<_> = latest.iter().filter(|l| l.school == school_id).map(|l| &l.profile).collect();
    let row = o.schools.iter().find(|r| r.school.id == school_id).unwrap();
    for aggregate in &row.summary.areas {
        let AreaStat::Shown { respondents, mean_percent, deficit_share } = aggregate.stat else {
            panic!("{} is suppressed", aggregate.area)
        };
        let scores: Vec<_> = profiles.iter().filter_map(|p| p.area(&aggregate.area)).collect();
        assert_eq!(respondents as usize, scores.len());
        let mean = scores.iter().map(|a| a.percent().unwrap()).sum::<f64>() / scores.len() as f64;
        let deficits = scores.iter().filter(|a| a.level == Some(opora_domain::scoring::Level::Deficit)).count();
        assert!((mean_percent - mean).abs() < 1e-9, "{}: {mean_percent} vs {mean}", aggregate.area);
        assert!((deficit_share - deficits as f64 / scores.len() as f64).abs() < 1e-9, "{}", aggregate.area);
    }
}

#[tokio::test]
async fn the_department_sees_every_school_of_its_municipality_in_aggregate() {
    let app = TestApp::spawn().await;
    let o = overview(&app, "spassk.otdel").await;
    let form = app.form().await;

    assert_eq!(o.municipality.name, "Спасский муниципальный район");
    assert_eq!(o.form, form.form_ref());
    assert_eq!(o.min_group, DEFAULT_MIN_GROUP);
    let area_ids: Vec<AreaId> = form.sections.iter().map(|s| s.id.clone()).collect();
    assert_eq!(o.areas.iter().map(|a| a.id.clone()).collect::<Vec<_>>(), area_ids, "the form's areas, in order");
    let mut names: Vec<&str> = o.schools.iter().map(|r| r.school.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, SPASSK_SCHOOLS);

    for row in &o.schools {
        assert_eq!(row.school.municipality_id, o.municipality.id);
        assert_eq!((row.summary.teachers, row.summary.completed), (6, 5), "{}", row.school.name);
        let columns: Vec<AreaId> = row.summary.areas.iter().map(|a| a.area.clone()).collect();
        assert_eq!(columns, area_ids, "{}: columns line up", row.school.name);
    }
    let burakovo = school(&o, "Бураковская СОШ");
    for area in &burakovo.summary.areas {
        assert_eq!(respondents(&area.stat), Some(5), "{}: five teachers reach the minimum group", area.area);
    }
    assert_means_match_the_stored_profiles(&app, &o, burakovo.school.id).await;
    assert_eq!((o.total.teachers, o.total.completed), (36, 30));
    assert!(o.total.areas.iter().all(|a| respondents(&a.stat) == Some(30)));
}

/// Demo teachers of Бураковская СОШ submit (again) as teachers of Russian, the school's subject.
async fn resubmit(app: &TestApp, logins: &[&str]) {
    let form = app.form().await;
    for login in logins {
        let token = app.token(login).await;
        app.put_submission(&token, &complete_submission(&form, "russian")).await.expect("stored");
    }
}

#[tokio::test]
async fn a_new_submission_counts_in_coverage_at_once_and_in_the_figures_with_four_more() {
    let app = TestApp::spawn().await;
    let teacher = app.token("burakovo.t1").await;
    let (status, _) = app.put_submission(&teacher, &complete_submission(&app.form().await, "russian")).await.unwrap();
    assert_eq!(status, StatusCode::CREATED);

    let o = overview(&app, "spassk.otdel").await;
    let burakovo = school(&o, "Бураковская СОШ");
    assert_eq!((burakovo.summary.teachers, burakovo.summary.completed), (6, 6));
    // The figures are the school's cell as last released: one new submission does not move them,
    // or the difference would be hers (ARCHITECTURE.md, «Disclosure control»).
    assert!(burakovo.summary.areas.iter().all(|a| respondents(&a.stat) == Some(5)));
    assert_eq!(school(&o, "Антоновская СОШ").summary.completed, 5, "other schools unchanged");
    assert_eq!(o.total.completed, 31);

    // Four colleagues submit again: five changes since the release, so the cell is released anew.
    resubmit(&app, &["burakovo.t2", "burakovo.t3", "burakovo.t4", "burakovo.t5"]).await;
    let o = overview(&app, "spassk.otdel").await;
    let burakovo = school(&o, "Бураковская СОШ");
    assert!(burakovo.summary.areas.iter().all(|a| respondents(&a.stat) == Some(6)));
    assert_means_match_the_stored_profiles(&app, &o, burakovo.school.id).await;
}

#[tokio::test]
async fn only_a_teachers_latest_submission_counts() {
    let app = TestApp::spawn().await;
    let teacher = app.login_as("burakovo.t2").await;
    let form = app.form().await;
    // All «не владею»: every area of her new self-diagnosis is a deficit.
    let submission = opora_tests::complete_submission_with(&form, "russian", |_, _| 0);
    app.put_submission(&teacher.token, &submission).await.expect("stored");
    // With four colleagues submitting again, the cell is released with everyone's latest.
    resubmit(&app, &["burakovo.t3", "burakovo.t4", "burakovo.t5", "burakovo.t6"]).await;

    let o = overview(&app, "spassk.otdel").await;
    let burakovo = school(&o, "Бураковская СОШ");
    assert_eq!(burakovo.summary.completed, 5, "they had all completed one before");
    assert!(burakovo.summary.areas.iter().all(|a| respondents(&a.stat) == Some(5)));
    let latest = app.state.store.latest_profiles(o.municipality.id, &FormId::from(SELF_DIAGNOSIS)).await.unwrap();
    let hers: Vec<_> = latest.iter().filter(|l| l.teacher == teacher.user.id).collect();
    assert_eq!(hers.len(), 1);
    assert!(hers[0].profile.areas.iter().all(|a| a.points == 0), "the new one, not the demo one");
    assert_means_match_the_stored_profiles(&app, &o, burakovo.school.id).await;
}

#[tokio::test]
async fn small_groups_are_suppressed_for_the_department() {
    let app = TestApp::spawn().await;
    let o = overview(&app, "chesma.otdel").await;
    assert_eq!(o.municipality.name, "Чесменский муниципальный район");
    assert_eq!(o.schools.len(), 4);
    for name in ["МБОУ «Калиновская СОШ»", "МБОУ «Углицкая СОШ»", "МБОУ «Цвиллингская СОШ»"]
    {
        let row = school(&o, name);
        assert_eq!((row.summary.teachers, row.summary.completed), (6, 2), "{name}");
    }
    let chesma = school(&o, "МБОУ «Чесменская СОШ им. Волошина М.В.»");
    assert_eq!((chesma.summary.teachers, chesma.summary.completed), (8, 0));
    for row in &o.schools {
        assert_eq!(row.summary.areas.len(), o.areas.len());
        assert!(
            row.summary.areas.iter().all(|a| a.stat == AreaStat::Suppressed),
            "{}: fewer than {} respondents must not be shown",
            row.school.name,
            o.min_group
        );
    }
    // The municipality as a whole: six teachers of Russian in three schools, pooled. The pool was
    // released when the fifth had submitted; the sixth waits for four more changes.
    assert_eq!((o.total.teachers, o.total.completed), (26, 6));
    assert!(o.total.areas.iter().all(|a| respondents(&a.stat) == Some(5)));
}

#[tokio::test]
async fn the_minimum_group_follows_the_setting() {
    let app = TestApp::spawn_with(|s| s.min_group = 7).await;
    let o = overview(&app, "spassk.otdel").await;
    assert_eq!(o.min_group, 7);
    let burakovo = school(&o, "Бураковская СОШ");
    assert_eq!(burakovo.summary.completed, 5);
    assert!(burakovo.summary.areas.iter().all(|a| a.stat == AreaStat::Suppressed));
}

#[tokio::test]
async fn the_overview_names_no_teacher() {
    let app = TestApp::spawn().await;
    let teacher = app.login_as("burakovo.t2").await;
    let token = app.token("spassk.otdel").await;
    let body = app.get_raw("/api/department/self-diagnosis", Some(&token)).await.text().await.unwrap();
    assert!(body.contains("Бураковская СОШ"));
    for secret in [teacher.user.id.to_string(), teacher.user.login.clone(), teacher.user.full_name.clone()] {
        assert!(!body.contains(&secret), "the overview reveals {secret}");
    }
    assert!(!body.contains("answers"), "no answers in the overview");
}

#[tokio::test]
async fn teachers_and_principals_may_not_see_the_department_overview() {
    let app = TestApp::spawn().await;
    for login in ["burakovo.t1", "burakovo.t2", "burakovo.director", "kalinovka.t1"] {
        let token = app.token(login).await;
        let (status, error) = app.department_overview(&token).await.unwrap_err();
        assert_eq!((status, error.code), (StatusCode::FORBIDDEN, ErrorCode::Forbidden), "{login}");
    }
}

#[tokio::test]
async fn a_department_sees_only_its_own_municipality() {
    let app = TestApp::spawn().await;
    let chesma = app.login_as("chesma.otdel").await.user.municipality.unwrap();
    let token = app.token("spassk.otdel").await;
    let (status, error) = app.department_overview_of(&token, Some(chesma.id)).await.unwrap_err();
    assert_eq!((status, error.code), (StatusCode::FORBIDDEN, ErrorCode::Forbidden), "another municipality");
    let o = app.department_overview(&token).await.expect("its own overview");
    assert_eq!(o.municipality.name, "Спасский муниципальный район");
}

#[tokio::test]
async fn regional_and_admin_users_choose_a_municipality_within_their_reach() {
    let app = TestApp::spawn().await;
    let spassk = app.login_as("spassk.otdel").await.user.municipality.unwrap();
    let chesma = app.login_as("chesma.otdel").await.user.municipality.unwrap();

    let regional = app.token("tatarstan.region").await;
    let o = app.department_overview_of(&regional, Some(spassk.id)).await.expect("a municipality of her region");
    assert_eq!(o.municipality, spassk);
    let (status, error) = app.department_overview_of(&regional, Some(chesma.id)).await.unwrap_err();
    assert_eq!((status, error.code), (StatusCode::FORBIDDEN, ErrorCode::Forbidden), "another region");
    let (status, error) = app.department_overview(&regional).await.unwrap_err();
    assert_eq!((status, error.code), (StatusCode::NOT_FOUND, ErrorCode::NotFound), "no municipality chosen");

    let admin = app.token("admin").await;
    let o = app.department_overview_of(&admin, Some(chesma.id)).await.expect("any municipality");
    assert_eq!(o.municipality, chesma);
    let unknown = opora_domain::MunicipalityId(uuid::Uuid::new_v4());
    let (status, error) = app.department_overview_of(&admin, Some(unknown)).await.unwrap_err();
    assert_eq!((status, error.code), (StatusCode::NOT_FOUND, ErrorCode::NotFound));
}

#[tokio::test]
async fn a_malformed_municipality_in_the_query_is_a_json_error() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let res = app.get_raw("/api/department/self-diagnosis?municipality=chesma", Some(&admin)).await;
    let (status, error) = opora_tests::refusal(res).await;
    assert_eq!((status, error.code), (StatusCode::BAD_REQUEST, ErrorCode::MalformedRequest));
}
