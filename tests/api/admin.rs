//! The administrator's import and account commands against a real database: a good file is
//! written whole and its people can activate; a file with bad rows writes nothing.

use opora_domain::api::{ActivateRequest, LoginResponse};
use opora_domain::org::Role;
use opora_server::admin::{self, Table};
use opora_tests::{TestApp, send};
use reqwest::Method;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");

async fn activate(app: &TestApp, code: &str, password: &str) -> LoginResponse {
    let body = ActivateRequest { code: code.to_owned(), password: password.to_owned() };
    send(app.request(Method::POST, "/api/auth/activate", None).json(&body)).await.expect("activated").1
}

async fn counts(app: &TestApp) -> (usize, usize, usize) {
    let orgs = app.state.store.organisations().await.unwrap();
    let logins = app.state.store.audit_log(None, 1000).await.unwrap().len();
    (orgs.municipalities.len(), orgs.schools.len(), logins)
}

#[tokio::test]
async fn a_windows_1251_csv_imports_whole_and_its_teachers_activate() {
    let app = TestApp::spawn().await;
    let text = "Регион;Муниципалитет;Школа;ШНОР;ШФНСУ;ФИО;Логин;Роль\r\n\
                Республика Алтай;МО «Чойский район»;МОУ «Чойская СОШ»;да;;Иванова Мария Петровна;;учитель\r\n\
                Республика Алтай;Улаганский район;МОУ «Улаганская СОШ»;;да;;;\r\n\
                Республика Алтай;Улаганский район;МОУ «Улаганская СОШ»;;;Тадыев Эркин;ulagan.director;директор\r\n";
    let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(text);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("люди.csv");
    std::fs::write(&path, &bytes).unwrap();

    let table = admin::read_table(&path).unwrap();
    let report =
        admin::import(app.state.store.as_ref(), &table, false, app.now_ms()).await.unwrap().expect("no row errors");
    assert_eq!((report.regions, report.municipalities, report.schools), (0, 1, 1), "existing ones matched by name");
    assert_eq!(report.accounts.len(), 2);
    let teacher = &report.accounts[0];
    assert_eq!(teacher.login, "choyskaya.ivanova", "derived from the school's name and the surname");

    // The teacher lands in the existing demo school and can activate with her code.
    let session = activate(&app, &teacher.code, "горный-алтай-2027").await;
    assert_eq!(session.user.role, Role::Teacher);
    assert_eq!(session.user.school.unwrap().name, "МОУ «Чойская СОШ»");
    let principal = app.state.store.user_by_login("ulagan.director").await.unwrap().unwrap();
    assert_eq!(principal.profile.school.unwrap().name, "МОУ «Улаганская СОШ»");

    // The codes file opens in Russian Excel: BOM, semicolons.
    let csv = admin::codes_csv(&report.accounts, admin::format_date);
    assert!(csv.starts_with("\u{feff}Школа;ФИО;Логин;Код активации;Действует до"));
    assert!(csv.contains(&teacher.code));
    let log = app.state.store.audit_log(None, 10).await.unwrap();
    assert!(log.iter().any(|e| e.action == "import" && e.detail.contains("учётных записей: 2")));
}

#[tokio::test]
async fn an_xlsx_file_imports_organisations_and_people() {
    let app = TestApp::spawn().await;
    let table = admin::read_table(std::path::Path::new(&format!("{FIXTURES}/import.xlsx"))).unwrap();
    assert_eq!(table.header[5], "ФИО");
    let report =
        admin::import(app.state.store.as_ref(), &table, false, app.now_ms()).await.unwrap().expect("no row errors");
    assert_eq!((report.regions, report.municipalities, report.schools, report.accounts.len()), (1, 1, 1, 3));
    let orgs = app.state.store.organisations().await.unwrap();
    let school = orgs.schools.iter().find(|s| s.name == "МБОУ «Кардымовская СОШ»").expect("the school");
    let department = app.state.store.user_by_login("kardymovo.otdel").await.unwrap().unwrap();
    assert_eq!(department.profile.role, Role::Municipal);
    assert_eq!(department.profile.municipality.unwrap().id, school.municipality_id);
    let session = activate(&app, &report.accounts[1].code, "смоленск-2027").await;
    assert_eq!(session.user.login, "kardymovo.director");
}

#[tokio::test]
async fn a_file_with_bad_rows_is_refused_whole_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let before = counts(&app).await;
    let rows: Vec<Vec<String>> = [
        ["Республика Алтай", "Новый район", "Новая СОШ", "Новикова Анна", "", "учитель"],
        ["Республика Алтай", "Новый район", "Новая СОШ", "Петров Пётр", "burakovo.t1", "учитель"],
        ["Республика Алтай", "Новый район", "", "Сидоров Иван", "", "директор"],
    ]
    .iter()
    .map(|r| r.iter().map(|s| (*s).to_owned()).collect())
    .collect();
    let table = Table {
        header: ["Регион", "Муниципалитет", "Школа", "ФИО", "Логин", "Роль"].map(str::to_owned).into(),
        rows,
    };

    let errors = admin::import(app.state.store.as_ref(), &table, false, app.now_ms()).await.unwrap().unwrap_err();
    assert!(errors.iter().any(|e| e.starts_with("Строка 4: для роли «Руководитель школы» нужна школа")), "{errors:?}");
    // The first pass stops at row problems; fix that row and the taken login is found.
    let mut fixed = table.clone();
    fixed.rows.pop();
    let errors = admin::import(app.state.store.as_ref(), &fixed, false, app.now_ms()).await.unwrap().unwrap_err();
    assert_eq!(errors, ["Строка 3: логин «burakovo.t1» уже занят"]);
    assert_eq!(counts(&app).await, before, "no organisation, account or audit line was written");
    assert!(app.state.store.user_by_login("choyskaya.novikova").await.unwrap().is_none());
}

#[tokio::test]
async fn a_password_reset_ends_every_session_and_a_new_code_works() {
    let app = TestApp::spawn().await;
    let session = app.login_as("burakovo.t1").await;
    let code = admin::reset_password(app.state.store.as_ref(), "Burakovo.T1", None, app.now_ms())
        .await
        .unwrap()
        .expect("a code");
    // A new code alone does not end sessions…
    app.me(&session.token).await.expect("still logged in");
    activate(&app, &code, "новый-пароль-2027").await;
    // …using it does.
    assert!(app.me(&session.token).await.is_err());
    let token = app.login("burakovo.t1", "новый-пароль-2027").await.unwrap().token;

    admin::reset_password(app.state.store.as_ref(), "burakovo.t1", Some("третий-пароль-2027".into()), app.now_ms())
        .await
        .unwrap();
    assert!(app.me(&token).await.is_err(), "a password set by the administrator ends sessions");
    app.login("burakovo.t1", "третий-пароль-2027").await.expect("the new password");
    let weak = admin::reset_password(app.state.store.as_ref(), "burakovo.t1", Some("123".into()), app.now_ms()).await;
    assert!(weak.unwrap_err().to_string().contains("короткий"));
}

#[tokio::test]
async fn create_user_resolves_organisations_by_name() {
    let app = TestApp::spawn().await;
    let store = app.state.store.as_ref();
    let now = app.now_ms();
    let code = admin::create_user_named(
        store,
        "choya.otdel2",
        "Иванов Иван",
        "отдел образования",
        None,
        Some("МО «Чойский район»"),
        None,
        None,
        now,
    )
    .await
    .unwrap();
    assert!(code.is_some(), "no password: an activation code");
    let user = store.user_by_login("choya.otdel2").await.unwrap().unwrap();
    assert_eq!(user.profile.municipality.unwrap().name, "МО «Чойский район»");
    let err =
        admin::create_user_named(store, "x.teacher", "Х", "учитель", Some("Нет такой школы"), None, None, None, now)
            .await
            .unwrap_err();
    assert!(err.to_string().contains("нет школы"));
    let err = admin::create_user_named(store, "choya.otdel2", "Дубль", "администратор", None, None, None, None, now)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("уже занят"));
}

/// One set of limits for every way an account or organisation comes in: the principal's form
/// (API), the import and `admin create-user` refuse the same over-long, empty and hidden-character
/// values with the same words (the import adds «Строка N: »). Where the JSON layer finds a hidden
/// character first, it names the field by its JSON key instead of its Russian title, with the
/// same sentence after it.
#[tokio::test]
async fn every_way_in_refuses_the_same_values_with_the_same_words() {
    use opora_domain::accounts::{Organisation, read_full_name, read_login, read_organisation_name, read_subject};
    use opora_domain::api::{ErrorCode, IssuedCode, NewTeacher};
    use reqwest::StatusCode;

    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Field {
        FullName,
        Login,
        Subject,
        Region,
        Municipality,
        School,
    }
    let long_name = "Я".repeat(300);
    let long_subject = "х".repeat(5000);
    let long_login = "a".repeat(65);
    let long_org = "Ш".repeat(201);
    let cases: Vec<(Field, &str)> = vec![
        (Field::FullName, &long_name),
        (Field::FullName, "Ив"),
        (Field::FullName, ""),
        (Field::FullName, "   "),
        (Field::FullName, "Иванова\nМария"),
        (Field::FullName, "Иванова\tМария"),
        (Field::FullName, "Ива\u{202E}нова Мария"),
        (Field::FullName, "Ива\u{7}нова Мария"),
        (Field::FullName, "Ива\u{2028}нова Мария"),
        (Field::Login, &long_login),
        (Field::Login, "ab"),
        (Field::Login, "Bad Login"),
        (Field::Login, "иванова"),
        (Field::Login, "burakovo.x\u{202E}y"),
        (Field::Login, "burakovo.x\ny"),
        (Field::Subject, &long_subject),
        (Field::Subject, "хим\u{7}ия"),
        (Field::Subject, "хим\nия"),
        (Field::Region, &long_org),
        (Field::Region, "Р"),
        (Field::Municipality, &long_org),
        (Field::Municipality, "Район\u{202E}"),
        (Field::School, &long_org),
        (Field::School, "Школа\tм"),
    ];
    let app = TestApp::spawn().await;
    let store = app.state.store.as_ref();
    let principal = app.token("burakovo.director").await;
    let same = |got: &str, expected: &str, what: &str| {
        let sentence = |m: &str| m.split_once(": ").map(|(_, rest)| rest.to_owned()).unwrap_or_default();
        assert!(got == expected || sentence(got) == sentence(expected), "{what}: «{got}», expected «{expected}»");
    };
    for (field, value) in cases {
        let what = format!("{field:?} {value:?}");
        let expected = match field {
            Field::FullName => read_full_name(value).unwrap_err(),
            Field::Login => read_login(value).unwrap_err(),
            Field::Subject => read_subject(value).unwrap_err(),
            Field::Region => read_organisation_name(Organisation::Region, value).unwrap_err(),
            Field::Municipality => read_organisation_name(Organisation::Municipality, value).unwrap_err(),
            Field::School => read_organisation_name(Organisation::School, value).unwrap_err(),
        };
        // The principal's form: a name and a login.
        if matches!(field, Field::FullName | Field::Login) {
            let body = match field {
                Field::FullName => NewTeacher { full_name: value.to_owned(), login: None },
                _ => NewTeacher { full_name: "Петрова Анна".into(), login: Some(value.to_owned()) },
            };
            let refused =
                send::<IssuedCode>(app.request(Method::POST, "/api/school/teachers", Some(&principal)).json(&body))
                    .await
                    .unwrap_err();
            assert_eq!(
                (refused.0, refused.1.code),
                (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidInput),
                "{what}"
            );
            same(&refused.1.detail.unwrap_or_default(), &expected, &format!("API {what}"));
            // `admin create-user`: a name and a login.
            let (login, name) = match field {
                Field::FullName => ("burakovo.cli", value),
                _ => (value, "Петрова Анна"),
            };
            let err = admin::create_user_named(
                store,
                login,
                name,
                "учитель",
                Some("Бураковская СОШ"),
                None,
                None,
                None,
                app.now_ms(),
            )
            .await
            .unwrap_err();
            same(&err.to_string(), &expected, &format!("CLI {what}"));
        }
        // The import: every field.
        let mut row: Vec<String> = [
            "Республика Татарстан",
            "Спасский муниципальный район",
            "Бураковская СОШ",
            "Петрова Анна",
            "",
            "учитель",
            "химия",
        ]
        .map(str::to_owned)
        .to_vec();
        let column = match field {
            Field::Region => 0,
            Field::Municipality => 1,
            Field::School => 2,
            Field::FullName => 3,
            Field::Login => 4,
            Field::Subject => 6,
        };
        row[column] = value.to_owned();
        let table = Table {
            header: ["Регион", "Муниципалитет", "Школа", "ФИО", "Логин", "Роль", "Предмет"].map(str::to_owned).to_vec(),
            rows: vec![row],
        };
        let errors = admin::import(store, &table, true, app.now_ms()).await.unwrap().unwrap_err();
        let expected_line = format!("Строка 2: {expected}");
        assert!(errors.contains(&expected_line), "import {what}: {errors:?}, expected «{expected_line}»");
    }
    // Nothing of it was written.
    assert!(store.user_by_login("burakovo.cli").await.unwrap().is_none());
}

/// The import keeps schools' login namespaces apart: two new schools named alike get different
/// prefixes (their teachers' derived logins cannot meet), and a login in a school's namespace is
/// refused to anyone outside that school.
#[tokio::test]
async fn the_import_keeps_each_schools_logins_in_its_own_namespace() {
    let app = TestApp::spawn().await;
    let store = app.state.store.as_ref();
    // Бураковская СОШ takes its namespace when its principal first needs it.
    let principal = app.token("burakovo.director").await;
    send::<serde_json::Value>(app.request(Method::GET, "/api/school/login-namespace", Some(&principal))).await.unwrap();
    let table = |rows: &[[&str; 6]]| Table {
        header: ["Регион", "Муниципалитет", "Школа", "ФИО", "Логин", "Роль"].map(str::to_owned).to_vec(),
        rows: rows.iter().map(|r| r.map(str::to_owned).to_vec()).collect(),
    };
    let region = "Республика Татарстан";
    let municipality = "Спасский муниципальный район";
    let refused = admin::import(
        store,
        &table(&[[region, municipality, "", "Иванова Ирина", "burakovo.metodist", "отдел образования"]]),
        true,
        app.now_ms(),
    )
    .await
    .unwrap()
    .unwrap_err();
    assert!(
        refused[0].starts_with("Строка 2: логин «burakovo.metodist»") && refused[0].contains("Бураковская СОШ"),
        "{refused:?}"
    );
    let report = admin::import(
        store,
        &table(&[
            [region, municipality, "Новая СОШ № 1", "Смирнова Анна", "", "учитель"],
            [region, municipality, "Новая СОШ № 2", "Смирнова Анна", "", "учитель"],
            [region, municipality, "Бураковская СОШ", "Смирнова Вера", "", "учитель"],
        ]),
        false,
        app.now_ms(),
    )
    .await
    .unwrap()
    .expect("no row errors");
    let logins: Vec<&str> = report.accounts.iter().map(|a| a.login.as_str()).collect();
    // Namesakes told apart by the number in their names, each in a namespace of its own.
    assert_eq!(logins, ["novaya1.smirnova", "novaya2.smirnova", "burakovo.smirnova"]);
}
