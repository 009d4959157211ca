//! Reporting campaigns: the department opens a period for a report form with a deadline, sees
//! which schools sent it, what they sent and every amendment; principals see what is owed.

use opora_domain::api::{CampaignReports, DepartmentCampaigns, ErrorCode, NewCampaign, ReportHistory, SchoolCampaigns};
use opora_domain::campaign::{Campaign, ReportState, Standing};
use opora_domain::merge::Fields;
use opora_domain::report::{ReportEdit, ReportKey, StoredReport};
use opora_domain::sync::{Change, Cursor, Outcome, Pulled, PushedChange};
use opora_domain::{DeviceId, FormId};
use opora_tests::{TestApp, new_device, send, sync_request};
use reqwest::{Method, StatusCode};

async fn open(
    app: &TestApp,
    token: &str,
    form: &str,
    period: &str,
    deadline: &str,
) -> Result<Campaign, opora_tests::Refusal> {
    let req =
        NewCampaign { municipality: None, form: FormId::from(form), period: period.into(), deadline: deadline.into() };
    send(app.request(Method::POST, "/api/department/campaigns", Some(token)).json(&req)).await.map(|(_, c)| c)
}

async fn get<T: serde::de::DeserializeOwned>(
    app: &TestApp,
    token: &str,
    path: &str,
) -> Result<T, opora_tests::Refusal> {
    send(app.request(Method::GET, path, Some(token))).await.map(|(_, v)| v)
}

/// Бураковская's principal: her token and her school's demo indicator card (2018-2019).
async fn burakovo_principal(app: &TestApp) -> (String, StoredReport) {
    let login = app.login_as("burakovo.director").await;
    let pulled = app.pull_all(&login.token, new_device()).await;
    let card = pulled
        .into_iter()
        .find_map(|p| match p {
            Pulled::Report { report } if report.key.form.as_str() == "indicator-card" => Some(report),
            _ => None,
        })
        .expect("the demo card");
    (login.token, card)
}

#[allow(clippy::too_many_arguments)] // a test helper that spells out one edit
async fn save(
    app: &TestApp,
    token: &str,
    device: DeviceId,
    seq: u64,
    key: &ReportKey,
    base: u32,
    fields: &Fields,
    submit: bool,
) {
    let edit = ReportEdit {
        key: key.clone(),
        form_version: 1,
        base_revision: base,
        fields: fields.clone(),
        submit,
        at_ms: opora_server::system_now_ms(),
        confirmed: vec![],
    };
    let push = vec![PushedChange { seq, change: Change::save_report(edit) }];
    let res = app.sync(token, &sync_request(device, push, Cursor(0))).await.expect("sync");
    assert_eq!(res.acks[0].outcome, Outcome::Applied);
}

#[tokio::test]
async fn the_department_sees_who_sent_what_and_every_amendment() {
    let app = TestApp::spawn().await;
    let department = app.token("spassk.otdel").await;
    // The demo cards of 2018-2019 are all in: 6 of 6 schools.
    let old = open(&app, &department, "indicator-card", "2018-2019", "2019-06-01").await.expect("opened");
    // A new period whose deadline has passed: every school overdue until it sends.
    let new = open(&app, &department, "indicator-card", "2019-2020", "31.05.2020").await.expect("opened");
    assert_eq!(new.deadline, "2020-05-31", "the Russian date is stored as a date");
    assert_eq!(new.form_title, "Карта показателей школы с целевыми значениями");

    let list: DepartmentCampaigns = get(&app, &department, "/api/department/campaigns").await.unwrap();
    let completeness = |id| list.campaigns.iter().find(|c| c.campaign.id == id).unwrap().completeness;
    assert_eq!(
        (completeness(old.id).expected, completeness(old.id).submitted, completeness(old.id).overdue),
        (6, 6, 0)
    );
    assert_eq!(
        (completeness(new.id).expected, completeness(new.id).submitted, completeness(new.id).overdue),
        (6, 0, 6)
    );
    assert!(list.forms.iter().any(|f| f.id.as_str() == "assessment-results"), "forms to open campaigns for");

    // Бураковская saves a draft: the department still sees nothing from it.
    let (principal, card) = burakovo_principal(&app).await;
    let key = ReportKey { period: "2019-2020".into(), ..card.key.clone() };
    let device = new_device();
    save(&app, &principal, device, 0, &key, 0, &card.fields, false).await;
    let reports: CampaignReports =
        get(&app, &department, &format!("/api/department/campaigns/{}", new.id)).await.unwrap();
    let row = reports.schools.iter().find(|r| r.school.name == "Бураковская СОШ").unwrap();
    assert_eq!((row.state, row.standing, row.sent.is_none()), (ReportState::Draft, Standing::Overdue, true));

    // Sent; then amended (not yet sent): the department works with the sent revision.
    save(&app, &principal, device, 1, &key, 1, &card.fields, true).await;
    let mut amended = card.fields.clone();
    amended.insert("c1.current".into(), "5 %".into());
    save(&app, &principal, device, 2, &key, 2, &amended, false).await;
    let reports: CampaignReports =
        get(&app, &department, &format!("/api/department/campaigns/{}", new.id)).await.unwrap();
    let row = reports.schools.iter().find(|r| r.school.name == "Бураковская СОШ").unwrap();
    assert_eq!((row.state, row.standing), (ReportState::Amended, Standing::Done));
    let sent = row.sent.as_ref().expect("the sent revision");
    assert_eq!((sent.revision, &sent.fields), (2, &card.fields), "not the unsent amendment");
    assert_eq!(sent.by, "Семёнова Любовь Сергеевна", "the sender, by name");
    assert!(
        reports.schools.iter().filter(|r| r.school.name != "Бураковская СОШ").all(|r| r.standing == Standing::Overdue)
    );

    // The amendment is sent: the latest is shown, and the history keeps both.
    save(&app, &principal, device, 3, &key, 3, &amended, true).await;
    let reports: CampaignReports =
        get(&app, &department, &format!("/api/department/campaigns/{}", new.id)).await.unwrap();
    let row = reports.schools.iter().find(|r| r.school.name == "Бураковская СОШ").unwrap();
    assert_eq!((row.state, row.sent_count), (ReportState::Submitted, 2));
    assert_eq!(row.sent.as_ref().unwrap().fields["c1.current"], "5 %");
    let history: ReportHistory =
        get(&app, &department, &format!("/api/department/campaigns/{}/schools/{}", new.id, key.school)).await.unwrap();
    let revisions: Vec<(u32, &str)> =
        history.revisions.iter().map(|r| (r.revision, r.fields["c1.current"].as_str())).collect();
    assert_eq!(
        revisions,
        vec![(2, card.fields["c1.current"].as_str()), (4, "5 %")],
        "sent revisions only, oldest first"
    );
    // The demo's 2018-2019 card is kept in its first version: its history shows that version's
    // fields, «Результат прошлого года» among them, not the newest card's.
    let old_history: ReportHistory =
        get(&app, &department, &format!("/api/department/campaigns/{}/schools/{}", old.id, key.school)).await.unwrap();
    assert_eq!(old_history.form.version, 1);
    assert!(old_history.form.field(&opora_domain::ItemId::from("c3.previous")).is_some());
    assert_eq!(old_history.revisions.last().unwrap().fields["c3.previous"], "69");

    let list: DepartmentCampaigns = get(&app, &department, "/api/department/campaigns").await.unwrap();
    let c = list.campaigns.iter().find(|c| c.campaign.id == new.id).unwrap().completeness;
    assert_eq!((c.submitted, c.overdue), (1, 5));
}

#[tokio::test]
async fn principals_see_their_municipalitys_campaigns_only() {
    let app = TestApp::spawn().await;
    let spassk = app.token("spassk.otdel").await;
    let chesma = app.token("chesma.otdel").await;
    let ours = open(&app, &spassk, "monitoring", "2025-2026", "2026-01-20").await.unwrap();
    let theirs = open(&app, &chesma, "monitoring", "2025-2026", "2026-01-25").await.unwrap();

    let principal = app.token("burakovo.director").await;
    let owed: SchoolCampaigns = get(&app, &principal, "/api/school/campaigns").await.unwrap();
    assert_eq!(owed.campaigns.iter().map(|c| c.id).collect::<Vec<_>>(), vec![ours.id]);

    // Another municipality's campaign is not found, not just forbidden.
    let err =
        get::<CampaignReports>(&app, &spassk, &format!("/api/department/campaigns/{}", theirs.id)).await.unwrap_err();
    assert_eq!((err.0, err.1.code), (StatusCode::NOT_FOUND, ErrorCode::NotFound));
    let teacher = app.token("burakovo.t1").await;
    let err = get::<SchoolCampaigns>(&app, &teacher, "/api/school/campaigns").await.unwrap_err();
    assert_eq!(err.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn reopening_moves_the_deadline_of_the_same_campaign() {
    let app = TestApp::spawn().await;
    let department = app.token("spassk.otdel").await;
    let first = open(&app, &department, "assessment-results", "2018-2019", "2019-09-01").await.unwrap();
    let again = open(&app, &department, "assessment-results", "2018-2019", "15.09.2019").await.unwrap();
    assert_eq!(again.id, first.id);
    assert_eq!(again.deadline, "2019-09-15");
    let list: DepartmentCampaigns = get(&app, &department, "/api/department/campaigns").await.unwrap();
    assert_eq!(list.campaigns.len(), 1);
}

#[tokio::test]
async fn a_campaign_that_cannot_be_opened_is_explained() {
    let app = TestApp::spawn().await;
    let department = app.token("spassk.otdel").await;
    for (form, period, deadline, says) in [
        ("no-such-form", "2025", "2026-01-20", "формы"),
        ("monitoring", "2025/2026", "2026-01-20", "Период"),
        ("monitoring", "", "2026-01-20", "Период"),
        ("monitoring", "2025-2026", "31.02.2026", "дата"),
        ("monitoring", "2025-2026", "скоро", "дата"),
        // The monitoring form is reported per academic year: a calendar year is not its period.
        ("monitoring", "2025", "2026-01-20", "учебный год («2025-2026»)"),
        ("roadmap", "2025-2026", "2026-01-20", "квартал («2025-Q1»)"),
    ] {
        let (status, error) = open(&app, &department, form, period, deadline).await.unwrap_err();
        assert_eq!(
            (status, error.code),
            (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidInput),
            "{form} {period} {deadline}"
        );
        assert!(error.message.contains(says) || error.detail.as_deref().unwrap_or("").contains(says), "{error:?}");
    }
    let list: DepartmentCampaigns = get(&app, &department, "/api/department/campaigns").await.unwrap();
    assert!(list.campaigns.is_empty(), "nothing half-opened");
}
