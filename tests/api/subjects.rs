//! Teachers' subjects (issue 11, «Must work» 7): the import's «Предмет» column, its storage on
//! both backends, and the coverage the department sees, counted as the programme defines it.

use opora_domain::api::{DepartmentAnalytics, TeacherAccount};
use opora_server::admin::{self, Table};
use opora_tests::{TestApp, send};
use reqwest::Method;

fn table(header: &[&str], rows: &[&[&str]]) -> Table {
    Table {
        header: header.iter().map(|s| (*s).to_owned()).collect(),
        rows: rows.iter().map(|r| r.iter().map(|s| (*s).to_owned()).collect()).collect(),
    }
}

const HEADER: [&str; 9] = ["Регион", "Муниципалитет", "Школа", "ШНОР", "ШФНСУ", "ФИО", "Логин", "Роль", "Предмет"];
const REGION: &str = "Челябинская область";
const CHESMA: &str = "Чесменский муниципальный район";
const KALINOVKA: &str = "МБОУ «Калиновская СОШ»";

async fn analytics(app: &TestApp, login: &str) -> DepartmentAnalytics {
    let token = app.token(login).await;
    send(app.request(Method::GET, "/api/department/analytics", Some(&token))).await.expect("the analytics").1
}

#[tokio::test]
async fn imported_subjects_decide_who_counts_in_the_programmes_coverage() {
    let app = TestApp::spawn().await;
    // The demo's Чесма: three ШНОР schools of six teachers of the six subjects, two of each
    // have passed; Чесменская СОШ (outside the programme) is not counted at all.
    let before = analytics(&app, "chesma.otdel").await.completion;
    assert_eq!(
        (before.completed, before.teachers, before.all_teachers, before.unstated),
        (6, 18, 18, 0),
        "the issue's «6 of 18»"
    );

    // The department adds four teachers to Калиновская: physics («Физика»), two outside the six,
    // one with no subject stated.
    let rows: [&[&str]; 4] = [
        &[REGION, CHESMA, KALINOVKA, "", "", "Фёдорова Вера", "kalinovka.fedorova", "учитель", "физика"],
        &[REGION, CHESMA, KALINOVKA, "", "", "Хохлова Ирина", "", "учитель", "Химия"],
        &[REGION, CHESMA, KALINOVKA, "", "", "Ершова Елена", "", "Учитель", "  история "],
        &[REGION, CHESMA, KALINOVKA, "", "", "Носова Нина", "kalinovka.nosova", "учитель", ""],
    ];
    let report = admin::import(app.state.store.as_ref(), &table(&HEADER, &rows), false, app.now_ms())
        .await
        .unwrap()
        .expect("no row errors");
    assert_eq!(report.accounts.len(), 4);

    // The programme's figure: the physics teacher joins the denominator, the chemistry and history
    // teachers only all staff, and the one without a subject is named next to the figure.
    let after = analytics(&app, "chesma.otdel").await.completion;
    assert_eq!((after.completed, after.teachers, after.all_teachers, after.unstated), (6, 19, 22, 1));
    assert_eq!(after.unstated_ru().as_deref(), Some("предмет не указан у 1 учителя"));

    // The principal's list shows each one's subject.
    let token = app.token("kalinovka.director").await;
    let (_, teachers): (_, Vec<TeacherAccount>) =
        send(app.request(Method::GET, "/api/school/teachers", Some(&token))).await.unwrap();
    let subject = |name: &str| teachers.iter().find(|t| t.full_name == name).unwrap().subject.clone();
    assert_eq!(subject("Фёдорова Вера").as_deref(), Some("Физика"));
    assert_eq!(subject("Хохлова Ирина").as_deref(), Some("Химия"));
    assert_eq!(subject("Ершова Елена").as_deref(), Some("история"));
    assert_eq!(subject("Носова Нина"), None);

    // A re-import naming her by login sets her subject and creates no second account; a row
    // with someone else's name under a taken login is still refused.
    let again: [&[&str]; 1] =
        [&[REGION, CHESMA, KALINOVKA, "", "", "Носова Нина", "kalinovka.nosova", "учитель", "Начальная школа"]];
    let report = admin::import(app.state.store.as_ref(), &table(&HEADER, &again), false, app.now_ms())
        .await
        .unwrap()
        .expect("no row errors");
    assert_eq!((report.accounts.len(), report.subjects_updated), (0, 1));
    let after = analytics(&app, "chesma.otdel").await.completion;
    assert_eq!((after.teachers, after.all_teachers, after.unstated), (20, 22, 0));
    let stranger: [&[&str]; 1] =
        [&[REGION, CHESMA, KALINOVKA, "", "", "Другая Нина", "kalinovka.nosova", "учитель", "физика"]];
    let errors = admin::import(app.state.store.as_ref(), &table(&HEADER, &stranger), false, app.now_ms())
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(errors, ["Строка 2: логин «kalinovka.nosova» уже занят"]);

    // Per year: in each Чесма school of the demo one teacher passed a year ago, the other this
    // year. Every target year (2020 to 2025) and every year with a submission is judged: years
    // before the first submission say «нет данных», the others fall short of their targets.
    let view = analytics(&app, "chesma.otdel").await;
    let this_year = view.completion.year;
    let years: Vec<(i32, &str)> = view.coverage_by_year.iter().map(|c| (c.year, c.verdict_ru())).collect();
    let mut expected_years: Vec<i32> = (2020..=2025).chain(this_year - 1..=this_year).collect();
    expected_years.sort_unstable();
    expected_years.dedup();
    let expected: Vec<(i32, &str)> =
        expected_years.into_iter().map(|y| (y, if y < this_year - 1 { "нет данных" } else { "нет" })).collect();
    assert_eq!(years, expected);
    let counted = |year: i32| view.coverage_by_year.iter().find(|c| c.year == year).map(|c| c.completed);
    assert_eq!((counted(this_year - 1), counted(this_year)), (Some(3), Some(6)), "coverage grows as teachers pass");
    let last = view.coverage_by_year.last().unwrap();
    assert_eq!((last.completed, last.teachers, last.target.map(|t| t.percent)), (6, 20, Some(100)));
}

#[tokio::test]
async fn a_subject_on_a_directors_row_refuses_the_whole_file() {
    let app = TestApp::spawn().await;
    let before = app.state.store.organisations().await.unwrap().schools.len();
    let rows: [&[&str]; 2] = [
        &[REGION, CHESMA, "Новая школа", "да", "", "Лаптева Ольга", "", "учитель", "математика"],
        &[REGION, CHESMA, "Новая школа", "да", "", "Лаптев Олег", "novaya.director", "директор", "физика"],
    ];
    let errors = admin::import(app.state.store.as_ref(), &table(&HEADER, &rows), false, app.now_ms())
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(
        errors,
        ["Строка 3: предмет указывается только для учителя, а в строке роль «Руководитель школы» (столбец «Предмет»)"]
    );
    assert_eq!(app.state.store.organisations().await.unwrap().schools.len(), before, "no school written");
    assert!(app.state.store.user_by_login("novaya.director").await.unwrap().is_none());
}

/// Every migration of `backend` before the one that added `users.subject`, in a folder of its own.
fn migrations_before_subjects(backend: &str, dir: &std::path::Path) -> std::path::PathBuf {
    let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../server/migrations").join(backend);
    let to = dir.join(backend);
    std::fs::create_dir_all(&to).unwrap();
    for entry in std::fs::read_dir(&from).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.as_str() < "20261130200000" {
            std::fs::copy(&path, to.join(&name)).unwrap();
        }
    }
    to
}

/// An old database's organisations and one teacher, written as the schema before subjects had them.
const OLD_ROWS: [&str; 4] = [
    "INSERT INTO regions (id, name) VALUES ('00000000-0000-0000-0000-000000000001', 'Старый регион')",
    "INSERT INTO municipalities (id, region_id, name) VALUES ('00000000-0000-0000-0000-000000000002', '00000000-0000-0000-0000-000000000001', 'Старый район')",
    "INSERT INTO schools (id, municipality_id, name, low_results) VALUES ('00000000-0000-0000-0000-000000000003', '00000000-0000-0000-0000-000000000002', 'Старая СОШ', TRUE)",
    "INSERT INTO users (id, login, full_name, role, school_id, created_at) VALUES ('00000000-0000-0000-0000-000000000004', 'old.teacher', 'Старова Анна', 'teacher', '00000000-0000-0000-0000-000000000003', 0)",
];

#[tokio::test]
async fn a_database_from_before_subjects_keeps_its_accounts_with_no_subject_stated() {
    use std::str::FromStr;
    let dir = tempfile::tempdir().unwrap();
    let url = if opora_tests::postgres::backend_is_postgres() {
        let url = opora_tests::postgres::fresh_database_url().await;
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        let old = sqlx::migrate::Migrator::new(migrations_before_subjects("postgres", dir.path())).await.unwrap();
        old.run(&pool).await.unwrap();
        for row in OLD_ROWS {
            sqlx::query(row).execute(&pool).await.unwrap();
        }
        pool.close().await;
        url
    } else {
        let url = format!("sqlite://{}/old.db", dir.path().display());
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url).unwrap().create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        let old = sqlx::migrate::Migrator::new(migrations_before_subjects("sqlite", dir.path())).await.unwrap();
        old.run(&pool).await.unwrap();
        for row in OLD_ROWS {
            sqlx::query(row).execute(&pool).await.unwrap();
        }
        pool.close().await;
        url
    };

    // Today's server migrates it: the teacher is still there, with no subject stated.
    let db = url.clone();
    let app = TestApp::spawn_with(move |s| {
        s.database_url = db;
        s.demo = false;
    })
    .await;
    let store = app.state.store.as_ref();
    let teacher = store.user_by_login("old.teacher").await.unwrap().expect("the old account");
    let school = teacher.profile.school.as_ref().unwrap();
    let roll = store.teacher_roll(school.municipality_id).await.unwrap();
    assert_eq!((roll.len(), roll[0].subject.clone()), (1, None));

    // A re-import by her login states it.
    let rows: [&[&str]; 1] = [&[
        "Старый регион",
        "Старый район",
        "Старая СОШ",
        "да",
        "",
        "Старова Анна",
        "old.teacher",
        "учитель",
        "География",
    ]];
    let report = admin::import(store, &table(&HEADER, &rows), false, app.now_ms()).await.unwrap().expect("no errors");
    assert_eq!((report.accounts.len(), report.subjects_updated), (0, 1));
    let roll = store.teacher_roll(school.municipality_id).await.unwrap();
    assert_eq!(roll[0].subject, Some(opora_domain::accounts::TeacherSubject::Programme("geography")));
}

async fn spassk(app: &TestApp, query: &str) -> DepartmentAnalytics {
    let token = app.token("spassk.otdel").await;
    send(app.request(Method::GET, &format!("/api/department/analytics{query}"), Some(&token)))
        .await
        .expect("the analytics")
        .1
}

#[tokio::test]
async fn a_teacher_counts_by_the_questionnaire_she_answered_and_the_page_says_when_it_disagrees() {
    let app = TestApp::spawn().await;
    let before = spassk(&app, "").await.completion;
    assert_eq!(before.subject_differs, 0);

    // Бураковская's first teacher teaches history by her account; she answers the questionnaire
    // as a mathematics teacher.
    let form = app.form().await;
    let token = app.token("burakovo.t1").await;
    app.put_submission(&token, &opora_tests::complete_submission(&form, "math")).await.expect("stored");

    // Every figure moves together: the six subjects' teachers and who has passed among them, as
    // all staff and the school's row do; the page and the exports say the two sources disagree.
    let after = spassk(&app, "").await;
    let c = &after.completion;
    assert_eq!(
        (c.completed, c.teachers, c.all_completed, c.all_teachers, c.subject_differs),
        (before.completed + 1, before.teachers + 1, before.all_completed + 1, before.all_teachers, 1)
    );
    assert_eq!(
        c.subject_differs_ru().as_deref(),
        Some("у 1 учителя предмет в анкете не совпадает с учётной записью: учтён предмет анкеты")
    );
    let sheet = opora_domain::sheets::completion(&after);
    assert!(sheet.title.contains("у 1 учителя предмет в анкете не совпадает"), "{}", sheet.title);
    let admin_token = app.token("spassk.otdel").await;
    let csv = app
        .request(Method::GET, "/api/department/analytics/export.csv?sheet=0", Some(&admin_token))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains("Предмет в анкете не совпадает с учётной записью: учтён предмет анкеты;1;"),
        "the export says it too: {csv}"
    );

    // «к концу года» is one figure, its year's row, whichever academic year the page shows.
    let row = after.coverage_by_year.iter().find(|r| r.year == c.year).expect("this year has a submission");
    assert_eq!(row, c);
    for year in &after.periods {
        let shown = spassk(&app, &format!("?to={year}")).await;
        assert_eq!(&shown.completion, c, "the headline at {year}");
    }
}
