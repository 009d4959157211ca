//! The authorisation matrix: every role, in its own scope and in a foreign one, against every
//! endpoint that needs a login. Allowed calls must succeed; every other one must be refused with
//! 401, 403 or 404 and an error body that carries nothing but the error, never a 500 and never
//! data. Which actor may do what is written out below as a table, so a change in the rules shows
//! up here as a one-line diff.

use opora_domain::api::{NewCampaign, NewTeacher, PrivacySettings, SetActive};
use opora_domain::campaign::Campaign;
use opora_domain::{MunicipalityId, RegionId};
use opora_tests::{TestApp, complete_submission, new_device, refusal, sync_request};
use reqwest::{Method, StatusCode};
use std::collections::HashMap;

/// The actors, by demo login. "Own" scope is Бураковская СОШ in the Спасский район of Татарстан.
const ACTORS: [(&str, &str); 10] = [
    ("anonymous", ""),
    ("teacher", "burakovo.t2"),
    ("teacher_elsewhere", "kalinovka.t1"),
    ("principal", "burakovo.director"),
    ("principal_same_municipality", "antonovka.director"),
    ("municipal", "spassk.otdel"),
    ("municipal_elsewhere", "chesma.otdel"),
    ("regional", "tatarstan.region"),
    ("regional_elsewhere", "chelyabinsk.region"),
    ("admin", "admin"),
];

struct Call {
    name: &'static str,
    method: Method,
    path: String,
    body: Option<serde_json::Value>,
    /// Actors allowed; everyone else must be refused.
    allowed: &'static [&'static str],
}

#[tokio::test]
async fn every_role_reaches_exactly_what_its_scope_allows() {
    let app = TestApp::spawn().await;
    let form = app.form().await;
    let teacher_session = app.login_as("burakovo.t2").await;
    let burakovo_teacher = teacher_session.user.clone();
    let burakovo = burakovo_teacher.school.clone().unwrap();
    let spassk: MunicipalityId = burakovo.municipality_id;
    let tatarstan: RegionId = burakovo_teacher.region.unwrap();
    // A stored self-diagnosis of the own-scope teacher, by its id.
    let submission_id =
        app.pulled_submissions(&teacher_session.token).await.first().expect("a demo submission").submission.id;
    let teacher_id = burakovo_teacher.id;
    let school_id = burakovo.id;
    let new_campaign = NewCampaign {
        municipality: Some(spassk),
        form: "indicator-card".into(),
        period: "2025-2026".into(),
        deadline: "31.05.2026".into(),
    };
    let department = app.token("spassk.otdel").await;
    let (_, campaign): (_, Campaign) = opora_tests::send(
        app.request(Method::POST, "/api/department/campaigns", Some(&department)).json(&new_campaign),
    )
    .await
    .expect("the department opens a campaign");
    let campaign_id = campaign.id;

    let calls = vec![
        Call {
            name: "who am I",
            method: Method::GET,
            path: "/api/auth/me".into(),
            body: None,
            allowed: &[
                "teacher",
                "teacher_elsewhere",
                "principal",
                "principal_same_municipality",
                "municipal",
                "municipal_elsewhere",
                "regional",
                "regional_elsewhere",
                "admin",
            ],
        },
        Call {
            name: "a teacher's answers",
            method: Method::GET,
            path: format!("/api/self-diagnoses/{submission_id}"),
            body: None,
            allowed: &["teacher"],
        },
        Call {
            name: "submit a self-diagnosis",
            method: Method::PUT,
            path: "SUBMISSION".into(),
            body: None,
            allowed: &["teacher", "teacher_elsewhere"],
        },
        Call {
            name: "sync",
            method: Method::POST,
            path: "/api/sync".into(),
            body: Some(serde_json::to_value(sync_request(new_device(), vec![], Default::default())).unwrap()),
            allowed: &[
                "teacher",
                "teacher_elsewhere",
                "principal",
                "principal_same_municipality",
                "municipal",
                "municipal_elsewhere",
                "regional",
                "regional_elsewhere",
                "admin",
            ],
        },
        Call {
            name: "list the school's teachers",
            method: Method::GET,
            path: "/api/school/teachers".into(),
            body: None,
            allowed: &["principal", "principal_same_municipality"],
        },
        Call {
            name: "create a teacher",
            method: Method::POST,
            path: "/api/school/teachers".into(),
            body: Some(serde_json::to_value(NewTeacher { full_name: "Новикова Елена".into(), login: None }).unwrap()),
            allowed: &["principal", "principal_same_municipality"],
        },
        Call {
            name: "the school's login namespace",
            method: Method::GET,
            path: "/api/school/login-namespace".into(),
            body: None,
            allowed: &["principal", "principal_same_municipality"],
        },
        Call {
            name: "reissue a teacher's code",
            method: Method::POST,
            path: format!("/api/school/teachers/{teacher_id}/code"),
            body: None,
            allowed: &["principal"],
        },
        Call {
            name: "switch a teacher's account",
            method: Method::PUT,
            path: format!("/api/school/teachers/{teacher_id}/active"),
            body: Some(serde_json::to_value(SetActive { active: true }).unwrap()),
            allowed: &["principal"],
        },
        Call {
            name: "the school's results",
            method: Method::GET,
            path: "/api/school/self-diagnosis".into(),
            body: None,
            allowed: &["principal", "principal_same_municipality"],
        },
        Call {
            name: "the municipality's overview",
            method: Method::GET,
            path: format!("/api/department/self-diagnosis?municipality={spassk}"),
            body: None,
            allowed: &["municipal", "regional", "admin"],
        },
        Call {
            name: "the region's overview",
            method: Method::GET,
            path: format!("/api/department/region/self-diagnosis?region={tatarstan}"),
            body: None,
            allowed: &["regional", "admin"],
        },
        Call {
            name: "read the privacy setting",
            method: Method::GET,
            path: format!("/api/department/privacy?municipality={spassk}"),
            body: None,
            allowed: &["municipal", "regional", "admin"],
        },
        Call {
            name: "change the privacy setting",
            method: Method::PUT,
            path: "/api/department/privacy".into(),
            body: Some(
                serde_json::to_value(PrivacySettings { municipality: spassk, principals_see_individual: false })
                    .unwrap(),
            ),
            allowed: &["municipal", "admin"],
        },
        Call {
            name: "the municipality's campaigns",
            method: Method::GET,
            path: format!("/api/department/campaigns?municipality={spassk}"),
            body: None,
            allowed: &["municipal", "regional", "admin"],
        },
        Call {
            name: "open a campaign",
            method: Method::POST,
            path: "/api/department/campaigns".into(),
            body: Some(serde_json::to_value(&new_campaign).unwrap()),
            allowed: &["municipal", "admin"],
        },
        Call {
            name: "a campaign's reports",
            method: Method::GET,
            path: format!("/api/department/campaigns/{campaign_id}"),
            body: None,
            allowed: &["municipal", "regional", "admin"],
        },
        Call {
            name: "a school's sent revisions",
            method: Method::GET,
            path: format!("/api/department/campaigns/{campaign_id}/schools/{school_id}"),
            body: None,
            allowed: &["municipal", "regional", "admin"],
        },
        Call {
            name: "what the school owes",
            method: Method::GET,
            path: "/api/school/campaigns".into(),
            body: None,
            allowed: &["principal", "principal_same_municipality"],
        },
        Call {
            name: "the department's analytics",
            method: Method::GET,
            path: format!("/api/department/analytics?municipality={spassk}"),
            body: None,
            allowed: &["municipal", "regional", "admin"],
        },
        Call {
            name: "an analytics CSV",
            method: Method::GET,
            path: format!("/api/department/analytics/export.csv?municipality={spassk}&sheet=0"),
            body: None,
            allowed: &["municipal", "regional", "admin"],
        },
        Call {
            name: "the analytics workbook",
            method: Method::GET,
            path: format!("/api/department/analytics/export.xlsx?municipality={spassk}"),
            body: None,
            allowed: &["municipal", "regional", "admin"],
        },
        Call {
            name: "a year's programme membership",
            method: Method::GET,
            path: format!("/api/department/membership?municipality={spassk}&year=2025-2026"),
            body: None,
            allowed: &["municipal", "regional", "admin"],
        },
        Call {
            name: "decide a year's programme membership",
            method: Method::POST,
            path: "/api/department/membership".into(),
            body: Some(serde_json::json!({
                "municipality": spassk,
                "year": "2026-2027",
                "basis": "Приказ № 1",
                "basis_date": "30.08.2026",
                "schools": [[school_id, { "low_results": true, "unfavourable_conditions": false }]]
            })),
            allowed: &["municipal", "admin"],
        },
        Call {
            // A crash can come before a login: anyone may report one (throttled per client).
            name: "a crash report",
            method: Method::POST,
            path: "/api/client-errors".into(),
            body: Some(serde_json::json!({
                "message": "RuntimeError: unreachable", "location": "/", "bundle": "teacher", "user_agent": "test",
            })),
            allowed: &[
                "anonymous",
                "teacher",
                "teacher_elsewhere",
                "principal",
                "principal_same_municipality",
                "municipal",
                "municipal_elsewhere",
                "regional",
                "regional_elsewhere",
                "admin",
            ],
        },
        Call {
            name: "the audit log",
            method: Method::GET,
            path: "/api/admin/audit".into(),
            body: None,
            allowed: &["admin"],
        },
    ];

    let mut tokens = HashMap::new();
    for (actor, login) in ACTORS {
        if !login.is_empty() {
            tokens.insert(actor, app.token(login).await);
        }
    }
    // Personal data of the own-scope teacher that must never appear in a refusal.
    let secrets = [burakovo_teacher.full_name.clone(), burakovo_teacher.login.clone(), submission_id.to_string()];
    let mut failures = Vec::new();
    let mut checked = 0;
    for call in &calls {
        for (actor, _) in ACTORS {
            let token = tokens.get(actor).map(String::as_str);
            let mut path = call.path.clone();
            let mut body = call.body.clone();
            if path == "SUBMISSION" {
                let s = complete_submission(&form, "math");
                path = format!("/api/self-diagnoses/{}", s.id);
                body = Some(serde_json::to_value(&s).unwrap());
            }
            let mut rb = app.request(call.method.clone(), &path, token);
            if let Some(body) = body {
                rb = rb.json(&body);
            }
            let res = rb.send().await.expect("request sent");
            let status = res.status();
            let expected = call.allowed.contains(&actor);
            checked += 1;
            if expected {
                if !status.is_success() {
                    failures.push(format!("{actor} → {}: expected success, got {status}", call.name));
                }
                let text = res.text().await.unwrap();
                // Only teachers ever receive answers, and only their own (see the pull test below).
                if !actor.starts_with("teacher") && text.contains("\"answers\"") {
                    failures.push(format!("{actor} → {}: answers in the body", call.name));
                }
            } else {
                if !matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND) {
                    failures.push(format!("{actor} → {}: expected a refusal, got {status}", call.name));
                    continue;
                }
                let (_, error) = refusal(res).await;
                let text = serde_json::to_string(&error).unwrap();
                if let Some(secret) = secrets.iter().find(|s| text.contains(s.as_str())) {
                    failures.push(format!("{actor} → {}: the refusal leaks {secret}", call.name));
                }
            }
        }
    }
    assert_eq!(checked, calls.len() * ACTORS.len());
    assert!(failures.is_empty(), "{} of {checked} checks failed:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn a_pull_never_carries_another_users_submissions() {
    let app = TestApp::spawn().await;
    for (actor, login) in ACTORS.iter().skip(1) {
        let session = app.login_as(login).await;
        let pulled = app.pulled_submissions(&session.token).await;
        assert!(pulled.iter().all(|s| s.teacher == session.user.id), "{actor} pulled someone else's answers");
    }
}
