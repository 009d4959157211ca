//! Periods where they enter, and a database made before periods: the first versions of the
//! report forms carried years in field ids (`vpr.math.5.2019.fail`); their stored reports stay
//! as they are, readable, and are read as reports per academic year by the analytics.

use opora_domain::api::{DepartmentAnalytics, ErrorCode};
use opora_domain::report::ReportKey;
use opora_domain::sync::{Change, Cursor, Outcome, PushedChange};
use opora_tests::{DEMO_FILE, FORMS_DIR, TestApp, send};
use reqwest::Method;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(from, to).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
}

/// The form files and demo reports as they were before periods: every v1 form, no v2, and seed
/// 002's assessment tables as one 2019 report per school with both years in the field ids.
fn before_periods(dir: &Path) -> (PathBuf, PathBuf) {
    let forms = Path::new(FORMS_DIR);
    let old_forms = dir.join("forms");
    copy(&forms.join("self-diagnosis.v1.json"), &old_forms.join("self-diagnosis.v1.json"));
    copy(&forms.join("analytics/programme.json"), &old_forms.join("analytics/programme.json"));
    for entry in std::fs::read_dir(forms.join("reports")).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().ends_with(".v1.json") {
            copy(&path, &old_forms.join("reports").join(path.file_name().unwrap()));
        }
    }
    let demo = Path::new(DEMO_FILE).parent().unwrap();
    let old_demo = dir.join("demo");
    for file in
        ["organisations.json", "indicator-cards.json", "monitoring.json", "identification.json", "roadmaps.json"]
    {
        copy(&demo.join(file), &old_demo.join(file));
    }
    #[derive(serde::Deserialize)]
    struct ByPeriod {
        periods: BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>>,
    }
    let text = std::fs::read_to_string(demo.join("assessment-results.json")).unwrap();
    let mut cards: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (period, schools) in serde_json::from_str::<ByPeriod>(&text).unwrap().periods {
        let year = &period[5..]; // «2018-2019» held the 2019 column
        for (school, fields) in schools {
            for (id, value) in fields {
                let (procedure, what) = id.rsplit_once('.').unwrap();
                cards.entry(school.clone()).or_default().insert(format!("{procedure}.{year}.{what}"), value);
            }
        }
    }
    let old =
        serde_json::json!({ "form": { "id": "assessment-results", "version": 1 }, "period": "2019", "cards": cards });
    std::fs::write(old_demo.join("assessment-results.json"), old.to_string()).unwrap();
    (old_forms, old_demo.join("organisations.json"))
}

#[tokio::test]
async fn a_database_from_before_periods_keeps_every_report_readable() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}/opora.db", dir.path().display());
    let (old_forms, old_demo) = before_periods(dir.path());

    // Today's server, today's forms: the demo's reports stored through the principal's path.
    let (db, forms, demo) = (database.clone(), old_forms.clone(), old_demo.clone());
    let before = TestApp::spawn_with(move |s| {
        s.database_url = db;
        s.forms_dir = forms;
        s.demo_file = demo;
    })
    .await;
    let store = &before.state.store;
    let mut stored = Vec::new();
    for m in store.organisations().await.unwrap().municipalities {
        for form in store.latest_report_forms().await.unwrap() {
            assert_eq!(form.version, 1, "only the first versions exist before periods");
            for r in store.sent_reports(m.id, &form.id).await.unwrap() {
                stored.push((
                    ReportKey { school: r.school, form: form.id.clone(), period: r.period },
                    r.form_version,
                    r.fields,
                ));
            }
        }
    }
    assert_eq!(stored.len(), 6 + 5 + 6 + 2 + 1, "cards, assessment tables, monitoring, checklists, a roadmap");
    before.stop().await;

    // The new server on the same database: every report reads back exactly as stored.
    let db = database.clone();
    let after = TestApp::spawn_with(move |s| {
        s.database_url = db;
        s.forms_dir = PathBuf::from(FORMS_DIR);
    })
    .await;
    for (key, version, fields) in &stored {
        let report = after.state.store.report(key).await.unwrap().unwrap_or_else(|| panic!("{key:?} is gone"));
        assert_eq!((&report.form_version, &report.fields), (version, fields), "{key:?}");
    }
    let latest = after.state.store.latest_report_forms().await.unwrap();
    assert!(latest.iter().all(|f| f.version >= 2 && f.period_kind.is_some()), "the new versions are published");

    // The analytics read the old tables as two academic years: the federal rule finds 2018 and
    // 2019 as before, and ОГЭ 2019 is judged against 2018 for the programme's target.
    let token = after.token("choya.otdel").await;
    let (_, a): (_, DepartmentAnalytics) =
        send(after.request(Method::GET, "/api/department/analytics?to=2018-2019", Some(&token))).await.unwrap();
    assert_eq!(a.periods, ["2018-2019", "2017-2018"]);
    let choya = &a.identification.iter().find(|s| s.school.name == "МОУ «Чойская СОШ»").unwrap().flags;
    assert!(
        choya.iter().any(|f| f.explanation == "ВПР, математика, 5 класс: 2018 год — 45 %, 2019 год — 57 %"),
        "{choya:?}"
    );
    let oge = a.programme_dynamics.iter().find(|d| d.procedure == "oge.math" && d.year == 2019).unwrap();
    assert_eq!((oge.period.as_str(), oge.low_schools), ("2018-2019", 5));
    assert!(oge.schools > 0);
    // The principal's old report is still hers to open and amend, in its own version.
    let principal = after.login_as("choya.director").await;
    let school = principal.user.school.as_ref().unwrap().id;
    let key = ReportKey { school, form: "assessment-results".into(), period: "2019".into() };
    let old = after.state.store.report(&key).await.unwrap().unwrap();
    let mut fields = old.fields.clone();
    fields.insert("oge.math.2019.fail".into(), "12".into());
    let edit = opora_domain::report::ReportEdit {
        key,
        form_version: 1,
        base_revision: old.revision,
        fields,
        submit: true,
        at_ms: opora_server::system_now_ms(),
        confirmed: vec![],
    };
    let push = vec![PushedChange { seq: 0, change: Change::save_report(edit) }];
    let res =
        after.sync(&principal.token, &opora_tests::sync_request(opora_tests::new_device(), push, Cursor(0))).await;
    assert_eq!(res.unwrap().acks[0].outcome, Outcome::Applied);
    after.stop().await;
}

#[tokio::test]
async fn a_report_for_a_period_of_the_wrong_kind_or_no_period_is_refused() {
    let app = TestApp::spawn().await;
    let principal = app.login_as("burakovo.director").await;
    let school = principal.user.school.as_ref().unwrap().id;
    let edit = |period: &str| opora_domain::report::ReportEdit {
        key: ReportKey { school, form: "indicator-card".into(), period: period.into() },
        form_version: 2,
        base_revision: 0,
        fields: [("c1.current".to_owned(), "5".to_owned())].into(),
        submit: false,
        at_ms: opora_server::system_now_ms(),
        confirmed: vec![],
    };
    // The card of version 2 is for academic years: «2026», a quarter or a made-up year are refused.
    let push: Vec<PushedChange> = ["2026", "2025-2026-Q1", "2026-2028", "9999-10000", "2026-2027"]
        .iter()
        .enumerate()
        .map(|(i, p)| PushedChange { seq: i as u64, change: Change::save_report(edit(p)) })
        .collect();
    let res = app.sync(&principal.token, &opora_tests::sync_request(opora_tests::new_device(), push, Cursor(0))).await;
    let outcomes: Vec<Outcome> = res.unwrap().acks.into_iter().map(|a| a.outcome).collect();
    assert!(outcomes[..4].iter().all(|o| matches!(o, Outcome::Rejected { .. })), "{outcomes:?}");
    assert_eq!(outcomes[4], Outcome::Applied, "an academic year is accepted");
    // The department's period parameters are checked the same way.
    let token = app.token("spassk.otdel").await;
    let refused =
        send::<DepartmentAnalytics>(app.request(Method::GET, "/api/department/analytics?to=2026", Some(&token)))
            .await
            .unwrap_err();
    assert_eq!(refused.1.code, ErrorCode::InvalidInput);
    let detail = refused.1.detail.unwrap_or_default();
    assert!(detail.contains("учебный год («2025-2026»)"), "{detail}");
}

/// The identification checklist and the roadmaps follow the academic year shown, as the dynamics
/// do: the demo's Полянская answered three criteria in 2024-2025 and one in 2025-2026, Антоновская
/// sent a checklist and a roadmap for 2024-2025 only.
#[tokio::test]
async fn the_checklist_and_the_roadmaps_follow_the_year_shown() {
    let app = TestApp::spawn().await;
    let token = app.token("spassk.otdel").await;
    let view = |query: &'static str| {
        let request = app.request(Method::GET, &format!("/api/department/analytics{query}"), Some(&token));
        async move { send::<DepartmentAnalytics>(request).await.unwrap().1 }
    };
    let checklist = |a: &DepartmentAnalytics, name: &str| {
        let s = a.identification.iter().find(|s| s.school.name == name).unwrap();
        let flag = s.flags.iter().find(|f| f.rule.contains("критериев из перечня")).map(|f| f.explanation.clone());
        (s.checklist_period.clone(), flag)
    };
    let roadmap = |a: &DepartmentAnalytics, name: &str| {
        let r = a.roadmaps.iter().find(|r| r.school.name == name).unwrap();
        (r.period.clone(), r.no_report, r.summary.done)
    };

    let earlier = view("?from=2023-2024&to=2024-2025").await;
    let (period, flag) = checklist(&earlier, "Полянская СОШ");
    assert_eq!(period.as_deref(), Some("2024-2025"));
    assert!(flag.is_some_and(|f| f.starts_with("Отмечено 3 из 6")), "flagged by its 2024-2025 answers");
    assert_eq!(checklist(&earlier, "Антоновская СОШ").0.as_deref(), Some("2024-2025"));
    assert_eq!(roadmap(&earlier, "Антоновская СОШ"), ("2025-Q2".into(), false, 4));
    assert_eq!(roadmap(&earlier, "Бураковская СОШ").0, "2025-Q2");
    assert_eq!(roadmap(&earlier, "Болгарская кадетская школа"), ("2024-2025".into(), true, 0), "«нет отчёта»");

    // The default view is 2025-2026: the same schools read that year's reports or none.
    let latest = view("").await;
    assert_eq!(latest.membership_year.as_deref(), Some("2025-2026"));
    assert_eq!(checklist(&latest, "Полянская СОШ"), (Some("2025-2026".into()), None), "one criterion: no flag");
    assert_eq!(checklist(&latest, "Антоновская СОШ"), (None, None), "no 2024-2025 checklist standing in");
    assert!(checklist(&latest, "Кимовская СОШ").1.is_some_and(|f| f.starts_with("Отмечено 4 из 6")));
    assert_eq!(roadmap(&latest, "Антоновская СОШ"), ("2025-2026".into(), true, 0), "no 2024-2025 plan standing in");
    assert_eq!(roadmap(&latest, "Бураковская СОШ").0, "2026-Q2");
    assert_eq!(latest.roadmaps.len(), latest.identification.len(), "every school shown has a line");
}

/// A card of the second version, with its «Результат прошлого года», sent today and amended as
/// the same version: the server keeps it v2, and the department reads its column as the school's
/// card of the year before (Кузнецкихинская sent none for 2025-2026). The current version asks for
/// no such column and refuses one.
#[tokio::test]
async fn a_v2_cards_last_year_column_is_read_as_the_previous_years_card() {
    let app = TestApp::spawn().await;
    let principal = app.login_as("kuznechikha.director").await;
    let school = principal.user.school.as_ref().unwrap().id;
    let key = ReportKey { school, form: "indicator-card".into(), period: "2026-2027".into() };
    let years: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(DEMO_FILE).parent().unwrap().join("indicator-cards-years.json")).unwrap(),
    )
    .unwrap();
    let mut fields: BTreeMap<String, String> =
        serde_json::from_value(years["periods"]["2024-2025"]["kuznechikha"].clone()).unwrap();
    fields.insert("c7.current".into(), "6".into());
    fields.insert("c7.previous".into(), "4,5".into());
    let edit = |version: u32, base: u32, fields: &BTreeMap<String, String>| opora_domain::report::ReportEdit {
        key: key.clone(),
        form_version: version,
        base_revision: base,
        fields: fields.clone(),
        submit: true,
        at_ms: opora_server::system_now_ms(),
        confirmed: vec![],
    };
    let push = |edit: opora_domain::report::ReportEdit| {
        let request = opora_tests::sync_request(
            opora_tests::new_device(),
            vec![PushedChange { seq: 0, change: Change::save_report(edit) }],
            Cursor(0),
        );
        let app = &app;
        let token = principal.token.clone();
        async move { app.sync(&token, &request).await.unwrap().acks.remove(0).outcome }
    };
    // The current version (v3) has no «Результат прошлого года»: a value for it is refused.
    assert!(matches!(push(edit(3, 0, &fields)).await, Outcome::Rejected { .. }));
    assert_eq!(push(edit(2, 0, &fields)).await, Outcome::Applied);
    let token = app.token("spassk.otdel").await;
    let c7 = |a: &DepartmentAnalytics| {
        let d = a.dynamics.iter().find(|d| d.school.name == "Кузнецкихинская ООШ").unwrap();
        (d.no_report, d.rows.iter().find(|r| r.criterion == "c7").map(|r| (r.previous, r.current)))
    };
    let view = |query: &'static str| {
        let request = app.request(Method::GET, &format!("/api/department/analytics{query}"), Some(&token));
        async move { send::<DepartmentAnalytics>(request).await.unwrap().1 }
    };
    assert_eq!(c7(&view("?to=2026-2027").await), (false, Some((Some(4.5), Some(6.0)))));
    // 2025-2026 reads the column as its card, holding that one figure.
    assert_eq!(c7(&view("?to=2025-2026").await), (false, Some((Some(0.0), Some(4.5)))), "against its 2024-2025 card");

    // Amending it stays v2, and the corrected column is read.
    let stored = app.state.store.report(&key).await.unwrap().unwrap();
    assert_eq!(stored.form_version, 2);
    fields.insert("c7.previous".into(), "5".into());
    assert_eq!(push(edit(2, stored.revision, &fields)).await, Outcome::Applied);
    let amended = app.state.store.report(&key).await.unwrap().unwrap();
    assert_eq!((amended.form_version, amended.fields["c7.previous"].as_str()), (2, "5"));
    assert_eq!(c7(&view("?to=2026-2027").await), (false, Some((Some(5.0), Some(6.0)))));
}
