//! Programme membership by academic year: the department records who was ШНОР / ШФНСУ in which
//! year and by which order, every analytics view follows the year shown, and the rules propose
//! next year's list with their reasons.

use opora_domain::api::{DepartmentAnalytics, ErrorCode};
use opora_domain::membership::{Change, MembershipView};
use opora_domain::org::SchoolFlags;
use opora_tests::{TestApp, send};
use reqwest::{Method, StatusCode};

const LOW: SchoolFlags = SchoolFlags { low_results: true, unfavourable_conditions: false };
const BOTH: SchoolFlags = SchoolFlags { low_results: true, unfavourable_conditions: true };
const NONE: SchoolFlags = SchoolFlags { low_results: false, unfavourable_conditions: false };

async fn membership(app: &TestApp, token: &str, year: &str) -> Result<MembershipView, opora_tests::Refusal> {
    send(app.request(Method::GET, &format!("/api/department/membership?year={year}"), Some(token)))
        .await
        .map(|(_, v)| v)
}

async fn decide(app: &TestApp, token: &str, body: serde_json::Value) -> Result<MembershipView, opora_tests::Refusal> {
    send(app.request(Method::POST, "/api/department/membership", Some(token)).json(&body)).await.map(|(_, v)| v)
}

async fn analytics(app: &TestApp, token: &str, query: &str) -> DepartmentAnalytics {
    send(app.request(Method::GET, &format!("/api/department/analytics{query}"), Some(token))).await.unwrap().1
}

#[tokio::test]
async fn every_view_uses_the_membership_of_the_year_shown() {
    let app = TestApp::spawn().await;
    // Чесменский район has no decisions in the demo.
    let token = app.token("chesma.otdel").await;
    let before = membership(&app, &token, "2024-2025").await.unwrap();
    assert!(!before.decided, "nothing recorded yet: today's flags");
    let ids: Vec<_> = before.schools.iter().map(|r| r.school.id).collect();
    assert_eq!(ids.len(), 4);
    // 2024-2025: all four ШНОР (приказ № 12); 2025-2026: two stay, one in both groups, one leaves.
    let all_low: Vec<_> = ids.iter().map(|id| (*id, LOW)).collect();
    decide(
        &app,
        &token,
        serde_json::json!({ "year": "2024-2025", "basis": "Приказ № 12", "basis_date": "30.08.2024", "schools": all_low }),
    )
    .await
    .unwrap();
    let next: Vec<_> = ids.iter().enumerate().map(|(i, id)| (*id, [LOW, LOW, BOTH, NONE][i])).collect();
    let view = decide(
        &app,
        &token,
        serde_json::json!({ "year": "2025-2026", "basis": "Приказ № 98", "basis_date": "2025-08-29", "schools": next }),
    )
    .await
    .unwrap();
    assert!(view.decided);
    assert_eq!(view.years, [("2024-2025".to_owned(), 4), ("2025-2026".to_owned(), 3)]);
    let row = &view.schools.iter().find(|r| r.school.id == ids[3]).unwrap();
    assert_eq!((row.flags, row.change, row.basis.as_deref()), (NONE, Some(Change::Left), Some("Приказ № 98")));
    assert_eq!(row.basis_date.as_deref(), Some("2025-08-29"));
    assert_eq!(view.schools.iter().find(|r| r.school.id == ids[2]).unwrap().change, Some(Change::Moved));

    // The analytics follow the year: ШНОР are four in 2024-2025 and three in 2025-2026.
    let low = |a: &DepartmentAnalytics| (a.identification.len(), a.groups.formula_ru(), a.membership_year.clone());
    let then = analytics(&app, &token, "?group=low_results&to=2024-2025").await;
    assert_eq!(low(&then), (4, "4 = 4 + 0 + 0 (ШНОР + ШФНСУ + обе группы)".into(), Some("2024-2025".into())));
    let now = analytics(&app, &token, "?group=low_results&to=2025-2026").await;
    assert_eq!(low(&now), (3, "3 = 2 + 0 + 1 (ШНОР + ШФНСУ + обе группы)".into(), Some("2025-2026".into())));
    assert!(now.membership_decided);
    // A year nobody decided reads today's flags (the demo's three ШНОР).
    let undecided = analytics(&app, &token, "?group=low_results&to=2019-2020").await;
    assert_eq!((undecided.identification.len(), undecided.membership_decided), (3, false));
}

#[tokio::test]
async fn the_rules_propose_next_years_list_with_their_reasons() {
    let app = TestApp::spawn().await;
    let token = app.token("spassk.otdel").await;
    // The demo's 2025-2026 list, decided by order; the proposal is for 2026-2027.
    let view = membership(&app, &token, "2025-2026").await.unwrap();
    assert!(view.decided);
    assert_eq!(view.next_year, "2026-2027");
    assert_eq!(view.years.iter().map(|(_, n)| *n).collect::<Vec<_>>(), [6, 6, 5], "Полянская left in 2025-2026");
    let polyana = view.schools.iter().find(|r| r.school.name == "Полянская СОШ").unwrap();
    assert_eq!((polyana.change, polyana.basis.as_deref()), (Some(Change::Left), Some("Приказ № 301")));
    // Its 2025-2026 checklist flags Кимовская (four «да»; the 2019 one had five and is not read
    // for this year); the proposal says why.
    let kimovka = view.proposals.iter().find(|p| p.school.name == "Кимовская СОШ").unwrap();
    assert!(kimovka.proposed.low_results);
    assert!(kimovka.reasons.iter().any(|r| r.contains("Отмечено 4 из 6")), "{:?}", kimovka.reasons);
    // Every school: proposed ШНОР exactly when the rules find something in its results, ШФНСУ
    // when it was or its cluster monitoring shows unfavourable conditions, and a ШНОР school the
    // rules no longer flag is proposed to leave, with that as its reason.
    for p in &view.proposals {
        let social = p.reasons.iter().any(|r| r.starts_with("Неблагоприятные социальные условия"));
        assert_eq!(p.proposed.unfavourable_conditions, p.now.unfavourable_conditions || social, "{}", p.school.name);
        if p.now.low_results && !p.proposed.low_results {
            assert_eq!(p.change, if p.now.unfavourable_conditions { Some(Change::Moved) } else { Some(Change::Left) });
            assert!(p.reasons.iter().any(|r| r.contains("эффективный режим")), "{}", p.school.name);
        }
        let on_results =
            p.reasons.iter().any(|r| !r.contains("эффективный режим") && !r.starts_with("Неблагоприятные социальные"));
        assert_eq!(p.proposed.low_results, on_results, "{}", p.school.name);
    }
}

#[tokio::test]
async fn a_decision_needs_a_year_an_order_and_the_departments_own_schools() {
    let app = TestApp::spawn().await;
    let token = app.token("spassk.otdel").await;
    let school = membership(&app, &token, "2026-2027").await.unwrap().schools[0].school.id;
    let elsewhere = membership(&app, &app.token("chesma.otdel").await, "2026-2027").await.unwrap().schools[0].school.id;
    let body = |year: &str, basis: &str, date: &str, id| serde_json::json!({ "year": year, "basis": basis, "basis_date": date, "schools": [[id, LOW]] });
    for (year, basis, date) in [
        ("2025", "Приказ № 1", "30.08.2025"),
        ("2025-2027", "Приказ № 1", "30.08.2025"),
        ("2025-2026", " ", "30.08.2025"),
        ("2025-2026", "Приказ № 1", "вчера"),
    ] {
        let refused = decide(&app, &token, body(year, basis, date, school)).await.unwrap_err();
        assert_eq!(
            (refused.0, refused.1.code),
            (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidInput),
            "{year} {basis} {date}"
        );
    }
    let foreign = decide(&app, &token, body("2026-2027", "Приказ № 1", "30.08.2025", elsewhere)).await.unwrap_err();
    assert_eq!(foreign.1.code, ErrorCode::NotFound, "another municipality's school");
    assert!(!membership(&app, &token, "2026-2027").await.unwrap().decided, "nothing was written");
    let bad_year = membership(&app, &token, "9999-10000").await.unwrap_err();
    assert_eq!(bad_year.1.code, ErrorCode::InvalidInput);
}
