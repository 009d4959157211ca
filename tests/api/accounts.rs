//! Accounts a principal manages: teachers created with one-time activation codes, codes that are
//! single-use and expire, disabled accounts, the principal's view of her school under the
//! municipality's privacy setting, the regional view, and the audit log.

use opora_domain::accounts::ACTIVATION_TTL_MS;
use opora_domain::aggregate::AreaStat;
use opora_domain::api::{
    AccountStatus, ActivateRequest, AuditEntry, ErrorCode, IssuedCode, LoginResponse, NewTeacher, PrivacySettings,
    RegionSelfDiagnosis, SchoolSelfDiagnosis, SetActive, TeacherAccount,
};
use opora_tests::{DEMO_PASSWORD, Refusal, TestApp, complete_submission, send};
use reqwest::{Method, StatusCode};

const NEW_PASSWORD: &str = "весна-2027-Бураки";

async fn create_teacher(
    app: &TestApp,
    principal: &str,
    full_name: &str,
    login: Option<&str>,
) -> Result<IssuedCode, Refusal> {
    let body = NewTeacher { full_name: full_name.to_owned(), login: login.map(str::to_owned) };
    send(app.request(Method::POST, "/api/school/teachers", Some(principal)).json(&body)).await.map(|(_, r)| r)
}

async fn activate(app: &TestApp, code: &str, password: &str) -> Result<LoginResponse, Refusal> {
    let body = ActivateRequest { code: code.to_owned(), password: password.to_owned() };
    send(app.request(Method::POST, "/api/auth/activate", None).json(&body)).await.map(|(_, r)| r)
}

async fn teachers(app: &TestApp, principal: &str) -> Vec<TeacherAccount> {
    send(app.request(Method::GET, "/api/school/teachers", Some(principal))).await.expect("the teacher list").1
}

async fn school_view(app: &TestApp, principal: &str) -> SchoolSelfDiagnosis {
    send(app.request(Method::GET, "/api/school/self-diagnosis", Some(principal))).await.expect("the school view").1
}

async fn audit(app: &TestApp) -> Vec<AuditEntry> {
    let admin = app.token("admin").await;
    send(app.request(Method::GET, "/api/admin/audit?limit=1000", Some(&admin))).await.expect("the audit log").1
}

#[tokio::test]
async fn a_principal_creates_a_teacher_who_activates_with_the_code_and_logs_in() {
    let app = TestApp::spawn().await;
    let principal = app.token("burakovo.director").await;
    let before = teachers(&app, &principal).await.len();

    let issued = create_teacher(&app, &principal, "  Щукина   Юлия Петровна ", None).await.expect("created");
    assert_eq!(issued.account.login, "burakovo.shchukina", "the school's prefix and the transliterated surname");
    assert_eq!(issued.account.full_name, "Щукина Юлия Петровна", "spaces tidied");
    assert_eq!(issued.account.status, AccountStatus::AwaitingActivation);
    let expected_expiry = app.now_ms() + ACTIVATION_TTL_MS;
    assert!((expected_expiry - 5_000..=expected_expiry).contains(&issued.expires_at_ms), "valid for 14 days");
    assert_eq!(issued.code.len(), 14, "printed as XXXX-XXXX-XXXX: {}", issued.code);
    let listed = teachers(&app, &principal).await;
    assert_eq!(listed.len(), before + 1);
    assert!(listed.iter().any(|t| t.id == issued.account.id && t.status == AccountStatus::AwaitingActivation));

    // No password yet: nothing logs in.
    let (status, error) = app.login("burakovo.shchukina", "").await.unwrap_err();
    assert_eq!((status, error.code), (StatusCode::UNAUTHORIZED, ErrorCode::InvalidCredentials));

    // Typed on a phone: lower case, spaces instead of dashes.
    let typed = issued.code.replace('-', " ").to_lowercase();
    let session = activate(&app, &typed, NEW_PASSWORD).await.expect("activated");
    assert_eq!(session.user.id, issued.account.id);
    assert!(!session.earlier_answers_sealed, "a first password seals nothing, and the app says nothing of it");
    assert_eq!(session.user.school.as_ref().map(|s| s.name.as_str()), Some("Бураковская СОШ"));
    assert_eq!(app.me(&session.token).await.expect("the new session works").login, "burakovo.shchukina");
    let listed = teachers(&app, &principal).await;
    assert_eq!(listed.iter().find(|t| t.id == issued.account.id).unwrap().status, AccountStatus::Active);

    // The code is spent; the password she chose is what logs her in from now on.
    let (status, error) = activate(&app, &issued.code, "другой-пароль-123").await.unwrap_err();
    assert_eq!((status, error.code), (StatusCode::UNAUTHORIZED, ErrorCode::InvalidActivationCode));
    app.login("burakovo.shchukina", NEW_PASSWORD).await.expect("her password works");
}

#[tokio::test]
async fn an_activation_code_expires_and_a_reissued_code_replaces_the_old_one() {
    let app = TestApp::spawn().await;
    let principal = app.token("burakovo.director").await;
    let first = create_teacher(&app, &principal, "Иванова Мария", None).await.unwrap();
    app.advance_clock(ACTIVATION_TTL_MS);
    let (_, error) = activate(&app, &first.code, NEW_PASSWORD).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidActivationCode, "expired");

    let principal = app.token("burakovo.director").await;
    let path = format!("/api/school/teachers/{}/code", first.account.id);
    let second: IssuedCode = send(app.request(Method::POST, &path, Some(&principal))).await.unwrap().1;
    let third: IssuedCode = send(app.request(Method::POST, &path, Some(&principal))).await.unwrap().1;
    assert_ne!(second.code, third.code);
    let (_, error) = activate(&app, &second.code, NEW_PASSWORD).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidActivationCode, "a reissued code makes the previous one worthless");
    activate(&app, &third.code, NEW_PASSWORD).await.expect("the newest code works");
}

#[tokio::test]
async fn a_weak_password_is_refused_without_spending_the_code() {
    let app = TestApp::spawn().await;
    let principal = app.token("burakovo.director").await;
    let issued = create_teacher(&app, &principal, "Петрова Анна", Some("burakovo.petrova")).await.unwrap();
    for weak in ["1234567", "burakovo.petrova", "аааааааааа"] {
        let (status, error) = activate(&app, &issued.code, weak).await.unwrap_err();
        assert_eq!((status, error.code), (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::WeakPassword), "{weak}");
        assert!(error.detail.is_some_and(|d| !d.is_empty()), "the reason is given in words");
    }
    activate(&app, &issued.code, NEW_PASSWORD).await.expect("the code still works");
}

#[tokio::test]
async fn nonsense_and_unknown_codes_are_refused_and_repeated_guessing_is_throttled() {
    let app = TestApp::spawn_with(|s| s.login_attempts = 2).await;
    for code in ["", "ABCD", "ABCD-EFGH-JKMN", "0000-0000-0000"] {
        let (status, error) = activate(&app, code, NEW_PASSWORD).await.unwrap_err();
        assert_eq!((status, error.code), (StatusCode::UNAUTHORIZED, ErrorCode::InvalidActivationCode), "{code:?}");
    }
    // Ten times the login limit, counted over all activation attempts.
    let mut throttled = false;
    for _ in 0..30 {
        if let Err((StatusCode::TOO_MANY_REQUESTS, e)) = activate(&app, "ABCD-EFGH-JKMN", NEW_PASSWORD).await {
            assert_eq!(e.code, ErrorCode::RateLimited);
            throttled = true;
            break;
        }
    }
    assert!(throttled, "guessing codes is throttled");
}

#[tokio::test]
async fn logins_are_unique_and_derived_logins_get_a_number() {
    let app = TestApp::spawn().await;
    let principal = app.token("burakovo.director").await;
    let a = create_teacher(&app, &principal, "Смирнова Ольга", None).await.unwrap();
    let b = create_teacher(&app, &principal, "Смирнова Ирина", None).await.unwrap();
    assert_eq!((a.account.login.as_str(), b.account.login.as_str()), ("burakovo.smirnova", "burakovo.smirnova2"));
    let (status, error) =
        create_teacher(&app, &principal, "Смирнова Вера", Some("burakovo.smirnova")).await.unwrap_err();
    assert_eq!((status, error.code), (StatusCode::CONFLICT, ErrorCode::LoginTaken), "a chosen login must be free");
    for (name, login) in [("Смирнова Вера", Some("Bad Login")), ("", None), ("  ", None)] {
        let (status, error) = create_teacher(&app, &principal, name, login).await.unwrap_err();
        assert_eq!(
            (status, error.code),
            (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidInput),
            "{name:?} {login:?}"
        );
        assert!(error.detail.is_some(), "the field at fault is named");
    }
}

#[tokio::test]
async fn a_disabled_teacher_is_logged_out_cannot_log_in_and_her_submission_still_counts() {
    let app = TestApp::spawn().await;
    let principal = app.token("burakovo.director").await;
    let teacher = app.login_as("burakovo.t2").await;
    let before = school_view(&app, &principal).await.summary;
    let path = format!("/api/school/teachers/{}/active", teacher.user.id);

    let off: TeacherAccount =
        send(app.request(Method::PUT, &path, Some(&principal)).json(&SetActive { active: false })).await.unwrap().1;
    assert_eq!(off.status, AccountStatus::Disabled);
    let (status, _) = app.me(&teacher.token).await.unwrap_err();
    assert_eq!(status, StatusCode::UNAUTHORIZED, "her session ended");
    let (_, error) = app.login("burakovo.t2", DEMO_PASSWORD).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidCredentials, "a disabled account reads like a wrong password");
    // What she submitted while at the school still counts, and so does she: switching an account
    // off and on must move no figure, or the difference would be her result (issue 10, route 8).
    assert_eq!(school_view(&app, &principal).await.summary, before);

    let on: TeacherAccount =
        send(app.request(Method::PUT, &path, Some(&principal)).json(&SetActive { active: true })).await.unwrap().1;
    assert_eq!(on.status, AccountStatus::Active);
    app.login("burakovo.t2", DEMO_PASSWORD).await.expect("switched back on");
    assert_eq!(school_view(&app, &principal).await.summary, before);
}

#[tokio::test]
async fn a_principal_sees_individual_results_only_when_the_municipality_allows_it() {
    let app = TestApp::spawn().await;
    let principal = app.token("burakovo.director").await;
    let view = school_view(&app, &principal).await;
    assert_eq!(view.school.name, "Бураковская СОШ");
    assert_eq!((view.summary.teachers, view.summary.completed), (6, 5));
    assert!(view.summary.areas.iter().all(|a| matches!(a.stat, AreaStat::Shown { respondents: 5, .. })));
    assert!(view.individual.is_none(), "aggregates only by default");

    // A principal cannot change the setting; the municipality's department can.
    let allow = |m| PrivacySettings { municipality: m, principals_see_individual: true };
    let spassk = view.school.municipality_id;
    let (status, _) = send::<PrivacySettings>(
        app.request(Method::PUT, "/api/department/privacy", Some(&principal)).json(&allow(spassk)),
    )
    .await
    .unwrap_err();
    assert_eq!(status, StatusCode::FORBIDDEN);
    let department = app.token("spassk.otdel").await;
    send::<PrivacySettings>(
        app.request(Method::PUT, "/api/department/privacy", Some(&department)).json(&allow(spassk)),
    )
    .await
    .expect("the department decides");

    let view = school_view(&app, &principal).await;
    let individual = view.individual.expect("now shown");
    assert_eq!(individual.len(), 5);
    assert!(individual.iter().all(|r| !r.full_name.is_empty()));
    // Another municipality's principals are unaffected.
    let other = app.token("kalinovka.director").await;
    assert!(school_view(&app, &other).await.individual.is_none());
}

#[tokio::test]
async fn a_small_school_is_suppressed_for_its_principal_too() {
    let app = TestApp::spawn().await;
    let principal = app.token("kalinovka.director").await;
    let view = school_view(&app, &principal).await;
    assert_eq!(view.summary.completed, 2);
    assert!(view.summary.areas.iter().all(|a| a.stat == AreaStat::Suppressed), "2 teachers would be identifiable");
}

#[tokio::test]
async fn the_regional_view_has_one_aggregate_per_municipality_of_the_region() {
    let app = TestApp::spawn().await;
    let token = app.token("tatarstan.region").await;
    let view: RegionSelfDiagnosis =
        send(app.request(Method::GET, "/api/department/region/self-diagnosis", Some(&token))).await.unwrap().1;
    let names: Vec<&str> = view.municipalities.iter().map(|m| m.municipality.name.as_str()).collect();
    assert_eq!(names, ["Спасский муниципальный район"]);
    assert_eq!((view.total.teachers, view.total.completed), (36, 30));

    let token = app.token("altai.region").await;
    let view: RegionSelfDiagnosis =
        send(app.request(Method::GET, "/api/department/region/self-diagnosis", Some(&token))).await.unwrap().1;
    assert_eq!(view.total.completed, 0);
    assert!(view.total.areas.iter().all(|a| a.stat == AreaStat::Suppressed), "nobody has answered yet");
}

#[tokio::test]
async fn the_audit_log_records_logins_account_changes_and_submissions_without_secrets() {
    let app = TestApp::spawn().await;
    let _ = app.login("burakovo.t1", "неверный пароль").await.unwrap_err();
    let principal = app.login_as("burakovo.director").await;
    let issued = create_teacher(&app, &principal.token, "Орлова Наталья", None).await.unwrap();
    let teacher = activate(&app, &issued.code, NEW_PASSWORD).await.unwrap();
    let submission = complete_submission(&app.form().await, "math");
    app.put_submission(&teacher.token, &submission).await.unwrap();
    app.logout(&teacher.token).await.unwrap();

    let log = audit(&app).await;
    let has =
        |action: &str, subject: &str| log.iter().any(|e| e.action == action && e.subject.as_deref() == Some(subject));
    assert!(has("login.refused", "burakovo.t1"));
    assert!(has("login", &principal.user.id.to_string()));
    assert!(has("account.created", &issued.account.id.to_string()));
    assert!(has("account.activated", &issued.account.id.to_string()));
    assert!(has("self_diagnosis.submitted", &submission.id.to_string()));
    assert!(has("logout", &issued.account.id.to_string()));
    let created = log.iter().find(|e| e.action == "account.created").unwrap();
    assert_eq!(created.actor, Some(principal.user.id), "who did it");

    let text = serde_json::to_string(&log).unwrap();
    let raw_code = issued.code.replace('-', "");
    for secret in
        [NEW_PASSWORD, "неверный пароль", DEMO_PASSWORD, &issued.code, &raw_code, &teacher.token, &principal.token]
    {
        assert!(!text.contains(secret), "the audit log holds a secret: {secret}");
    }
    for answer_key in submission.answers.keys() {
        assert!(!text.contains(answer_key.as_str()), "the audit log holds an answer: {answer_key}");
    }
}

/// A principal learns nothing about accounts outside her school from the logins she chooses:
/// they must be in her school's namespace, so any login she can collide with is one of her own
/// school's; every login outside it, taken or free, is refused with the same answer. Derived
/// logins stay in the namespace too, so their numbering says nothing about other schools.
#[tokio::test]
async fn probing_a_login_outside_her_school_answers_the_same_whether_it_exists_or_not() {
    use opora_domain::api::LoginNamespace;
    let app = TestApp::spawn().await;
    for (principal_login, prefix) in [("burakovo.director", "burakovo"), ("chesma.director", "chesmenskaya")] {
        let principal = app.token(principal_login).await;
        let namespace: LoginNamespace =
            send(app.request(Method::GET, "/api/school/login-namespace", Some(&principal))).await.unwrap().1;
        // Чесменская СОШ's key is its municipality's too («chesma.otdel»): that namespace is not
        // the school's alone, so the school gets another.
        assert_eq!(namespace.prefix, prefix, "{principal_login}");
        let outside_answer = |login: &'static str| {
            let app = &app;
            let principal = principal.clone();
            async move {
                let (status, error) = create_teacher(app, &principal, "Петрова Анна", Some(login)).await.unwrap_err();
                (status, error.code, error.detail)
            }
        };
        let nobody = outside_answer("spassk.nobody-here").await;
        assert_eq!((nobody.0, nobody.1), (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidInput));
        assert_eq!(nobody.2.as_deref(), Some(namespace.rule.as_str()), "the rule in words");
        for existing in
            ["spassk.otdel", "chesma.otdel", "admin", "antonovka.director", "antonovka.t1", "tatarstan.region"]
        {
            assert!(app.state.store.user_by_login(existing).await.unwrap().is_some(), "{existing} exists");
            assert_eq!(outside_answer(existing).await, nobody, "{existing} answers like a login nobody has");
        }
        for free in ["nobody", "antonovka.nobody", "chesma.nobody"] {
            assert_eq!(outside_answer(free).await, nobody, "{free}");
        }
        // Inside her namespace a taken login is one of her own school's.
        let own = format!("{prefix}.petrova");
        create_teacher(&app, &principal, "Петрова Анна", Some(&own)).await.unwrap();
        let (status, error) = create_teacher(&app, &principal, "Петрова Анна", Some(&own)).await.unwrap_err();
        assert_eq!((status, error.code), (StatusCode::CONFLICT, ErrorCode::LoginTaken));
        // A surname that is another account's login part elsewhere («chesma.otdel») gets no number.
        let derived = create_teacher(&app, &principal, "Отдел Иван", None).await.unwrap();
        assert_eq!(derived.account.login, format!("{prefix}.otdel"));
    }
    // The administrator cannot put an account of anyone else into a school's namespace either.
    let err = opora_server::admin::create_user_named(
        app.state.store.as_ref(),
        "burakovo.metodist",
        "Иванова Ирина",
        "отдел образования",
        None,
        Some("Спасский муниципальный район"),
        None,
        None,
        app.now_ms(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("только для школы «Бураковская СОШ»"), "{err}");
}

#[tokio::test]
async fn a_code_that_replaces_a_password_says_the_earlier_answers_are_sealed() {
    let app = TestApp::spawn().await;
    let principal = app.token("burakovo.director").await;
    let teacher = app.login_as("burakovo.t1").await;
    assert!(!teacher.earlier_answers_sealed, "a login says nothing of it");
    let issued: IssuedCode =
        send(app.request(Method::POST, &format!("/api/school/teachers/{}/code", teacher.user.id), Some(&principal)))
            .await
            .expect("a new code")
            .1;
    assert_eq!(issued.account.status, AccountStatus::Active, "the slip knows the code replaces a password");
    let session = activate(&app, &issued.code, NEW_PASSWORD).await.expect("activated");
    assert!(session.earlier_answers_sealed, "she is told her earlier answers are sealed");
    assert!(!app.login("burakovo.t1", NEW_PASSWORD).await.expect("her new password").earlier_answers_sealed);
}
