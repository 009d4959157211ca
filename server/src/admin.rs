//! The administrator's command line: create a user, import organisations and users from a CSV or
//! XLSX table with Russian column headers, reset a password.
//!
//! A row naming an existing teacher by her login (same name and school) creates nothing: it sets
//! her subject from «Предмет» if that cell is filled. Any other existing login is taken.
//!
//! An import is all or nothing: every row is checked first and every problem is reported with its
//! row number; only a file without problems is written, in one transaction. Reading the table
//! ([`read_table`]) and planning the import ([`plan_import`]) do no I/O, so they are tested on
//! their own; [`import`] resolves names against the database and commits.

use crate::auth::{hash_password, new_activation_code, token_hash};
use crate::logins;
use crate::storage::{ImportBatch, NewAudit, NewCode, NewSchool, NewUser, Storage, StorageError};
use anyhow::{Context, bail};
use opora_domain::accounts::{
    ACTIVATION_TTL_MS, Organisation, TeacherSubject, check_new_password, format_code, login_from_name,
    login_prefix_candidates, login_prefix_of, read_full_name, read_login, read_organisation_name, read_subject,
};
use opora_domain::org::{MunicipalityRef, Role, SchoolFlags};
use opora_domain::sheets;
use opora_domain::text::{Lines, forbidden_char};
use opora_domain::{MunicipalityId, RegionId, SchoolId, UserId};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use uuid::Uuid;

/// The columns an import understands, by what Russian spreadsheets call them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Column {
    Region,
    Municipality,
    School,
    LowResults,
    Unfavourable,
    FullName,
    Login,
    Role,
    /// A teacher's subject, optional: the programme's coverage counts the teachers of six subjects.
    Subject,
}

impl Column {
    pub fn title(self) -> &'static str {
        match self {
            Column::Region => "Регион",
            Column::Municipality => "Муниципалитет",
            Column::School => "Школа",
            Column::LowResults => "ШНОР",
            Column::Unfavourable => "ШФНСУ",
            Column::FullName => "ФИО",
            Column::Login => "Логин",
            Column::Role => "Роль",
            Column::Subject => "Предмет",
        }
    }

    /// Recognises a header however it was typed: case, «ё», extra spaces and common synonyms.
    pub fn from_header(header: &str) -> Option<Column> {
        let h = header.trim().trim_start_matches('\u{feff}').to_lowercase().replace('ё', "е");
        let h = h.split_whitespace().collect::<Vec<_>>().join(" ");
        Some(match h.as_str() {
            "регион" | "субъект рф" | "субъект" => Column::Region,
            "муниципалитет" | "муниципальное образование" | "район" | "муниципальный район" | "мо" => {
                Column::Municipality
            }
            "школа" | "образовательная организация" | "оо" | "организация" => {
                Column::School
            }
            "шнор" | "шнро" | "шно" => Column::LowResults,
            "шфнсу" => Column::Unfavourable,
            "фио" | "ф.и.о." | "ф. и. о." | "фамилия имя отчество" | "фамилия, имя, отчество" => {
                Column::FullName
            }
            "логин" => Column::Login,
            "роль" | "должность" => Column::Role,
            "предмет" | "преподаваемый предмет" | "учебный предмет" => {
                Column::Subject
            }
            _ => return None,
        })
    }
}

/// Reads a role as written in a Russian table, or its English name.
pub fn parse_role(text: &str) -> Option<Role> {
    let t = text.trim().to_lowercase().replace('ё', "е");
    if let Some(role) = Role::parse(&t) {
        return Some(role);
    }
    Some(match t.as_str() {
        "учитель" | "педагог" | "преподаватель" => Role::Teacher,
        "директор" | "руководитель" | "руководитель школы" | "заместитель директора" | "завуч" => {
            Role::Principal
        }
        "специалист муниципалитета"
        | "муниципальный"
        | "муниципальный специалист"
        | "отдел образования"
        | "специалист отдела образования"
        | "моц" => Role::Municipal,
        "региональный" | "региональный специалист" | "регион" => Role::Regional,
        "администратор" | "админ" => Role::Admin,
        _ => return None,
    })
}

fn parse_flag(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "" | "нет" | "0" | "-" | "–" | "false" => Some(false),
        "да" | "1" | "+" | "true" | "x" | "х" => Some(true),
        _ => None,
    }
}

/// A table as read from a file: the header row and the data rows, all text.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Reads a CSV as Russian Excel saves it: UTF-8 (with or without BOM) or Windows-1251, `;` or
/// `,` between fields.
pub fn read_csv(bytes: &[u8]) -> anyhow::Result<Table> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.trim_start_matches('\u{feff}').to_owned(),
        Err(_) => encoding_rs::WINDOWS_1251.decode(bytes).0.into_owned(),
    };
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.matches(';').count() >= first_line.matches(',').count() { b';' } else { b',' };
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(r) => r.context("reading the header row")?.iter().map(str::to_owned).collect(),
        None => bail!("файл пустой"),
    };
    let mut rows = Vec::new();
    for (i, r) in records.enumerate() {
        let r = r.with_context(|| format!("строка {}: не читается как CSV", i + 2))?;
        rows.push(r.iter().map(str::to_owned).collect());
    }
    Ok(Table { header, rows })
}

/// Reads the first sheet of an XLSX file.
pub fn read_xlsx(bytes: &[u8]) -> anyhow::Result<Table> {
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).context("не XLSX-файл")?;
    let range = book.worksheet_range_at(0).context("в книге нет листов")?.context("лист не читается")?;
    let mut rows = range.rows().map(|row| {
        row.iter()
            .map(|cell| match cell {
                // Whole numbers typed in Excel arrive as floats: «1», not «1.0».
                Data::Float(f) if f.fract() == 0.0 => format!("{f:.0}"),
                Data::Empty => String::new(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
    });
    let header = rows.next().context("лист пустой")?;
    Ok(Table { header, rows: rows.collect() })
}

/// Reads a table from a file by its extension.
pub fn read_table(path: &Path) -> anyhow::Result<Table> {
    let bytes = std::fs::read(path).with_context(|| format!("чтение {}", path.display()))?;
    match path.extension().and_then(|e| e.to_str()).map(str::to_lowercase).as_deref() {
        Some("csv") | Some("txt") => read_csv(&bytes),
        Some("xlsx") => read_xlsx(&bytes),
        _ => bail!("поддерживаются файлы .csv и .xlsx"),
    }
}

/// One checked row of an import.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedRow {
    /// The row's number as a spreadsheet shows it (the header is row 1).
    pub line: usize,
    pub region: String,
    pub municipality: String,
    pub school: String,
    pub flags: SchoolFlags,
    /// `None` for a row that only declares organisations.
    pub person: Option<PlannedPerson>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PlannedPerson {
    pub full_name: String,
    /// Empty: derived from the surname at import.
    pub login: String,
    pub role: Role,
    /// A teacher's subject; `None`: the cell is empty (not stated, or left as it is on re-import).
    pub subject: Option<TeacherSubject>,
}

/// The columns read by `opora_domain::accounts`' functions, which refuse hidden characters
/// themselves, in the same words as everywhere else.
const TEXT_FIELDS: [Column; 6] =
    [Column::Region, Column::Municipality, Column::School, Column::FullName, Column::Login, Column::Subject];

/// Checks every row; returns the rows or every problem, «Строка N: …».
pub fn plan_import(table: &Table) -> Result<Vec<PlannedRow>, Vec<String>> {
    let mut columns: BTreeMap<Column, usize> = BTreeMap::new();
    let mut errors = Vec::new();
    for (i, header) in table.header.iter().enumerate() {
        if header.trim().is_empty() {
            continue;
        }
        match Column::from_header(header) {
            Some(c) if columns.contains_key(&c) => errors.push(format!("Строка 1: столбец «{}» встречается дважды", c.title())),
            Some(c) => {
                columns.insert(c, i);
            }
            None => errors.push(format!(
                "Строка 1: неизвестный столбец «{}». Ожидаются: Регион, Муниципалитет, Школа, ШНОР, ШФНСУ, ФИО, Логин, Роль, Предмет",
                header.trim()
            )),
        }
    }
    for required in [Column::Region, Column::Municipality] {
        if !columns.contains_key(&required) {
            errors.push(format!("Строка 1: нет столбца «{}»", required.title()));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut planned = Vec::new();
    let mut logins = BTreeSet::new();
    for (i, row) in table.rows.iter().enumerate() {
        let line = i + 2;
        let cell =
            |c: Column| columns.get(&c).and_then(|&i| row.get(i)).map(|s| s.trim().to_owned()).unwrap_or_default();
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut problem = |what: String| errors.push(format!("Строка {line}: {what}"));
        // Names become what every page and export prints: one line, nothing hidden or reversed.
        // The columns that make an account or an organisation are read below by the same
        // functions as the API and `create-user` read them; the rest are checked here.
        for (index, text) in row.iter().enumerate() {
            if let Some(found) = forbidden_char(text.trim(), Lines::One)
                && !columns.iter().any(|(c, i)| *i == index && TEXT_FIELDS.contains(c))
            {
                problem(format!("столбец {}: {}", index + 1, found.message_ru()));
            }
        }
        let mut name_of = |column: Column, kind: Organisation| {
            let typed = cell(column);
            if typed.is_empty() {
                return String::new();
            }
            read_organisation_name(kind, &typed).unwrap_or_else(|refusal| {
                problem(refusal);
                typed
            })
        };
        let region = name_of(Column::Region, Organisation::Region);
        let municipality = name_of(Column::Municipality, Organisation::Municipality);
        let school = name_of(Column::School, Organisation::School);
        let mut problem = |what: String| errors.push(format!("Строка {line}: {what}"));
        if region.is_empty() {
            problem("не указан регион (столбец «Регион»)".to_owned());
        }
        if municipality.is_empty() && !matches!(parse_role(&cell(Column::Role)), Some(Role::Regional | Role::Admin)) {
            problem("не указан муниципалитет (столбец «Муниципалитет»)".to_owned());
        }
        let mut flags = SchoolFlags::default();
        for (column, flag) in
            [(Column::LowResults, &mut flags.low_results), (Column::Unfavourable, &mut flags.unfavourable_conditions)]
        {
            let text = cell(column);
            match parse_flag(&text) {
                Some(value) => *flag = value,
                None => problem(format!(
                    "непонятное значение «{text}» в столбце «{}»: нужно «да» или «нет»",
                    column.title()
                )),
            }
        }
        let typed_name = cell(Column::FullName);
        let person = if typed_name.is_empty() {
            if school.is_empty() && municipality.is_empty() {
                problem("пустая строка без школы и без ФИО".to_owned());
            }
            // A login, role or subject with nobody to give it to would be dropped without a word:
            // refused as an empty name is everywhere.
            if [Column::Login, Column::Role, Column::Subject].iter().any(|c| !cell(*c).is_empty())
                && let Err(refusal) = read_full_name(&typed_name)
            {
                problem(refusal);
            }
            None
        } else {
            let role_text = cell(Column::Role);
            let role = match parse_role(&role_text) {
                Some(role) => role,
                None => {
                    problem(format!(
                        "непонятная роль «{role_text}» (столбец «Роль»): учитель, директор, отдел образования, региональный специалист, администратор"
                    ));
                    Role::Teacher
                }
            };
            if matches!(role, Role::Teacher | Role::Principal) && school.is_empty() {
                problem(format!("для роли «{}» нужна школа (столбец «Школа»)", role.title_ru()));
            }
            let full_name = read_full_name(&typed_name).unwrap_or_else(|refusal| {
                problem(refusal);
                typed_name.clone()
            });
            let typed_login = cell(Column::Login);
            let login = if typed_login.is_empty() {
                String::new()
            } else {
                match read_login(&typed_login) {
                    Ok(login) if !logins.insert(login.clone()) => {
                        problem(format!("логин «{login}» уже встречается в файле выше"));
                        login
                    }
                    Ok(login) => login,
                    Err(refusal) => {
                        problem(refusal);
                        String::new()
                    }
                }
            };
            let subject = read_subject(&cell(Column::Subject)).unwrap_or_else(|refusal| {
                problem(refusal);
                None
            });
            if subject.is_some() && role != Role::Teacher {
                problem(format!(
                    "предмет указывается только для учителя, а в строке роль «{}» (столбец «Предмет»)",
                    role.title_ru()
                ));
            }
            Some(PlannedPerson { full_name, login, role, subject })
        };
        planned.push(PlannedRow { line, region, municipality, school, flags, person });
    }
    if errors.is_empty() { Ok(planned) } else { Err(errors) }
}

/// A login and its one-time activation code, to hand to the person.
#[derive(Clone, Debug, PartialEq)]
pub struct IssuedAccount {
    pub school: String,
    pub full_name: String,
    pub login: String,
    pub code: String,
    pub expires_at_ms: i64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportReport {
    pub regions: usize,
    pub municipalities: usize,
    pub schools: usize,
    pub accounts: Vec<IssuedAccount>,
    /// Existing teachers (named by login) whose subject the import set.
    pub subjects_updated: usize,
}

fn same(a: &str, b: &str) -> bool {
    a.trim().to_lowercase().replace('ё', "е") == b.trim().to_lowercase().replace('ё', "е")
}

/// Resolves the planned rows against what the database holds and commits them in one
/// transaction; with `dry_run` only checks. Returns every problem, by row, or what was created.
pub async fn import(
    store: &dyn Storage,
    table: &Table,
    dry_run: bool,
    now_ms: i64,
) -> anyhow::Result<Result<ImportReport, Vec<String>>> {
    let rows = match plan_import(table) {
        Ok(rows) => rows,
        Err(errors) => return Ok(Err(errors)),
    };
    let existing = store.organisations().await?;
    let mut batch = ImportBatch::default();
    let mut report = ImportReport::default();
    let mut errors = Vec::new();
    let mut taken: BTreeSet<String> = BTreeSet::new();
    // Schools' login namespaces: stored ones as met, and those this import chooses (for new
    // schools and for existing ones without one), which the database does not know yet.
    let mut prefixes: BTreeMap<SchoolId, String> = BTreeMap::new();
    let mut chosen_prefixes: BTreeMap<String, SchoolId> = BTreeMap::new();
    for row in &rows {
        let region_id = match existing.regions.iter().chain(&batch.regions).find(|(_, n)| same(n, &row.region)) {
            Some((id, _)) => *id,
            None => {
                let id = RegionId(Uuid::new_v4());
                batch.regions.push((id, row.region.clone()));
                id
            }
        };
        let municipality_id = if row.municipality.is_empty() {
            None
        } else {
            let found =
                existing.municipalities.iter().chain(&batch.municipalities).find(|m| same(&m.name, &row.municipality));
            Some(match found {
                Some(m) if m.region_id != region_id => {
                    errors.push(format!(
                        "Строка {}: муниципалитет «{}» уже есть в другом регионе",
                        row.line, row.municipality
                    ));
                    m.id
                }
                Some(m) => m.id,
                None => {
                    let m = MunicipalityRef {
                        id: MunicipalityId(Uuid::new_v4()),
                        name: row.municipality.clone(),
                        region_id,
                    };
                    batch.municipalities.push(m.clone());
                    m.id
                }
            })
        };
        let school_id = match (row.school.is_empty(), municipality_id) {
            (false, Some(municipality_id)) => {
                let found = existing
                    .schools
                    .iter()
                    .map(|s| (s.id, s.name.as_str(), s.municipality_id))
                    .chain(batch.schools.iter().map(|s| (s.id, s.name.as_str(), s.municipality_id)))
                    .find(|(_, n, m)| same(n, &row.school) && *m == municipality_id);
                Some(match found {
                    Some((id, _, _)) => id,
                    None => {
                        let id = SchoolId(Uuid::new_v4());
                        let taken_here = chosen_prefixes.keys().cloned().collect();
                        let prefix = logins::free_prefix(store, None, None, &row.school, &taken_here).await?;
                        chosen_prefixes.insert(prefix.clone(), id);
                        prefixes.insert(id, prefix.clone());
                        batch.schools.push(NewSchool {
                            id,
                            municipality_id,
                            name: row.school.clone(),
                            flags: row.flags,
                            login_prefix: Some(prefix),
                        });
                        id
                    }
                })
            }
            _ => None,
        };
        let Some(person) = &row.person else { continue };
        let school_id = if matches!(person.role, Role::Teacher | Role::Principal) { school_id } else { None };
        // Teachers' and principals' logins are derived in their school's namespace; anyone
        // else's from the municipality's (or region's) name, never in a school's.
        let derived_prefix = match school_id {
            Some(id) => match prefixes.get(&id) {
                Some(prefix) => prefix.clone(),
                None => {
                    let prefix = match store.login_prefix(id).await? {
                        Some(prefix) => prefix,
                        None => {
                            let taken_here = chosen_prefixes.keys().cloned().collect();
                            let prefix = logins::free_prefix(store, Some(id), None, &row.school, &taken_here).await?;
                            chosen_prefixes.insert(prefix.clone(), id);
                            batch.login_prefixes.push((id, prefix.clone()));
                            prefix
                        }
                    };
                    prefixes.insert(id, prefix.clone());
                    prefix
                }
            },
            None => {
                let name = if row.municipality.is_empty() { &row.region } else { &row.municipality };
                let mut found = String::new();
                for candidate in login_prefix_candidates(None, name) {
                    if !chosen_prefixes.contains_key(&candidate)
                        && store.login_prefix_owner(&candidate).await?.is_none()
                    {
                        found = candidate;
                        break;
                    }
                }
                found
            }
        };
        let login = if person.login.is_empty() {
            let base = login_from_name(&derived_prefix, &person.full_name);
            let mut n = 1;
            let mut login = base.clone();
            while taken.contains(&login) || store.user_by_login(&login).await?.is_some() {
                n += 1;
                login = format!("{base}{n}");
            }
            login
        } else {
            if let Some(existing) = store.user_by_login(&person.login).await? {
                // The same teacher again (her login, name and school): a re-import sets her
                // subject and creates nothing. Anyone else's login stays taken.
                let p = &existing.profile;
                let same_teacher = p.role == Role::Teacher
                    && person.role == Role::Teacher
                    && same(&p.full_name, &person.full_name)
                    && p.school.as_ref().map(|s| s.id) == school_id;
                if !same_teacher {
                    errors.push(format!("Строка {}: логин «{}» уже занят", row.line, person.login));
                } else if let Some(subject) = &person.subject {
                    batch.subjects.push((p.id, subject.stored().to_owned()));
                    report.subjects_updated += 1;
                }
                if same_teacher {
                    taken.insert(person.login.clone());
                    continue;
                }
            }
            person.login.clone()
        };
        // A login in a school's namespace is that school's alone.
        let foreign = match login_prefix_of(&login).and_then(|p| chosen_prefixes.get(p).map(|owner| (p, owner))) {
            Some((prefix, owner)) if Some(*owner) != school_id => Some(format!(
                "логин «{login}»: логины, начинающиеся с «{prefix}.», — только для школы этого файла, которой их отдаёт импорт. Выберите другой."
            )),
            Some(_) => None,
            None => logins::outside_namespace(store, &login, school_id).await?,
        };
        if let Some(refusal) = foreign {
            errors.push(format!("Строка {}: {refusal}", row.line));
        }
        taken.insert(login.clone());
        let id = UserId(Uuid::new_v4());
        if let Some(subject) = &person.subject {
            batch.subjects.push((id, subject.stored().to_owned()));
        }
        let raw = new_activation_code();
        let code = NewCode {
            user: id,
            code_hash: token_hash(&raw),
            issued_by: None,
            expires_at_ms: now_ms + ACTIVATION_TTL_MS,
        };
        batch.users.push((
            NewUser {
                id,
                login: login.clone(),
                full_name: person.full_name.clone(),
                role: person.role,
                school_id,
                municipality_id: if person.role == Role::Municipal { municipality_id } else { None },
                region_id: if person.role == Role::Regional { Some(region_id) } else { None },
                password_hash: None,
            },
            code,
        ));
        report.accounts.push(IssuedAccount {
            school: row.school.clone(),
            full_name: person.full_name.clone(),
            login,
            code: format_code(&raw),
            expires_at_ms: now_ms + ACTIVATION_TTL_MS,
        });
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    report.regions = batch.regions.len();
    report.municipalities = batch.municipalities.len();
    report.schools = batch.schools.len();
    if !dry_run {
        batch.audit = Some(NewAudit::new(None, "import", "command line").detail(format!(
            "регионов: {}, муниципалитетов: {}, школ: {}, учётных записей: {}, предметов у прежних учителей: {}",
            report.regions,
            report.municipalities,
            report.schools,
            report.accounts.len(),
            report.subjects_updated
        )));
        store.import(&batch, now_ms).await?;
    }
    Ok(Ok(report))
}

/// The codes of an import as a CSV Russian Excel opens: UTF-8 with BOM, `;` between fields.
/// Every cell goes through `sheets::csv_text`: a school's or teacher's name from the imported
/// table cannot become a formula.
pub fn codes_csv(accounts: &[IssuedAccount], format_time: impl Fn(i64) -> String) -> String {
    let mut out = String::from("\u{feff}Школа;ФИО;Логин;Код активации;Действует до\r\n");
    for a in accounts {
        let fields = [a.school.as_str(), &a.full_name, &a.login, &a.code, &format_time(a.expires_at_ms)];
        out.push_str(&sheets::csv_line(fields.iter().map(|f| sheets::csv_text(f))));
    }
    out
}

/// Creates one account. Without a password it gets an activation code, returned to print.
pub async fn create_user(
    store: &dyn Storage,
    new: NewUser,
    password: Option<String>,
    now_ms: i64,
) -> anyhow::Result<Option<String>> {
    // The same limits, in the same words, as the principal's form and the import.
    let mut new = new;
    new.login = read_login(&new.login).map_err(anyhow::Error::msg)?;
    new.full_name = read_full_name(&new.full_name).map_err(anyhow::Error::msg)?;
    if let Some(refusal) = logins::outside_namespace(store, &new.login, new.school_id).await? {
        bail!("{refusal}");
    }
    let code = match password {
        Some(password) => {
            check_new_password(&new.login, &password).map_err(anyhow::Error::msg)?;
            new.password_hash = Some(hash_password(&password)?);
            None
        }
        None => Some(new_activation_code()),
    };
    let stored_code = code.as_ref().map(|raw| NewCode {
        user: new.id,
        code_hash: token_hash(raw),
        issued_by: None,
        expires_at_ms: now_ms + ACTIVATION_TTL_MS,
    });
    let audit = NewAudit::new(None, "account.created", new.id).detail(format!("{}, {}", new.role.as_str(), new.login));
    match store.create_account(None, &new, stored_code.as_ref(), &audit, now_ms).await {
        Err(StorageError::AlreadyExists(login)) => bail!("логин «{login}» уже занят"),
        other => other?,
    }
    Ok(code.map(|raw| format_code(&raw)))
}

/// Creates one account named by its organisations' names, as typed on the command line.
#[allow(clippy::too_many_arguments)]
pub async fn create_user_named(
    store: &dyn Storage,
    login: &str,
    full_name: &str,
    role: &str,
    school: Option<&str>,
    municipality: Option<&str>,
    region: Option<&str>,
    password: Option<String>,
    now_ms: i64,
) -> anyhow::Result<Option<String>> {
    let role = parse_role(role).with_context(|| format!("непонятная роль «{role}»"))?;
    let orgs = store.organisations().await?;
    let find_school = || -> anyhow::Result<SchoolId> {
        let name = school.context("для учителя и директора нужна --school")?;
        let matches: Vec<_> = orgs.schools.iter().filter(|s| same(&s.name, name)).collect();
        match matches.as_slice() {
            [one] => Ok(one.id),
            [] => bail!("нет школы «{name}»"),
            _ => bail!("школ «{name}» несколько: уточните название"),
        }
    };
    let mut new = NewUser {
        id: UserId(Uuid::new_v4()),
        // Read as typed by `create_user`, like every other way in.
        login: login.to_owned(),
        full_name: full_name.to_owned(),
        role,
        school_id: None,
        municipality_id: None,
        region_id: None,
        password_hash: None,
    };
    match role {
        Role::Teacher | Role::Principal => new.school_id = Some(find_school()?),
        Role::Municipal => {
            let name = municipality.context("для отдела образования нужен --municipality")?;
            new.municipality_id = Some(
                orgs.municipalities
                    .iter()
                    .find(|m| same(&m.name, name))
                    .with_context(|| format!("нет муниципалитета «{name}»"))?
                    .id,
            );
        }
        Role::Regional => {
            let name = region.context("для регионального специалиста нужен --region")?;
            new.region_id = Some(
                orgs.regions.iter().find(|(_, n)| same(n, name)).with_context(|| format!("нет региона «{name}»"))?.0,
            );
        }
        Role::Admin => {}
    }
    create_user(store, new, password, now_ms).await
}

/// «09.12.2026» in UTC, for the codes file.
pub fn format_date(ms: i64) -> String {
    opora_domain::campaign::date_ru(&opora_domain::campaign::date_of(ms, 0))
}

/// Resets a password: sets the given one, or issues a new activation code (returned). Either way
/// the account's sessions end.
pub async fn reset_password(
    store: &dyn Storage,
    login: &str,
    password: Option<String>,
    now_ms: i64,
) -> anyhow::Result<Option<String>> {
    let user = store
        .user_by_login(&login.trim().to_lowercase())
        .await?
        .with_context(|| format!("нет пользователя «{login}»"))?;
    let id = user.profile.id;
    match password {
        Some(password) => {
            check_new_password(&user.profile.login, &password).map_err(anyhow::Error::msg)?;
            let hash = hash_password(&password)?;
            store.set_password(id, &hash, &NewAudit::new(None, "account.password_reset", id), now_ms).await?;
            Ok(None)
        }
        None => {
            let raw = new_activation_code();
            let code = NewCode {
                user: id,
                code_hash: token_hash(&raw),
                issued_by: None,
                expires_at_ms: now_ms + ACTIVATION_TTL_MS,
            };
            store.issue_code(None, &code, &NewAudit::new(None, "account.code_issued", id), now_ms).await?;
            Ok(Some(format_code(&raw)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(header: &[&str], rows: &[&[&str]]) -> Table {
        Table {
            header: header.iter().map(|s| (*s).to_owned()).collect(),
            rows: rows.iter().map(|r| r.iter().map(|s| (*s).to_owned()).collect()).collect(),
        }
    }

    #[test]
    fn headers_are_recognised_however_they_are_typed() {
        assert_eq!(Column::from_header("\u{feff}Регион"), Some(Column::Region));
        assert_eq!(Column::from_header("  Муниципальное   образование "), Some(Column::Municipality));
        assert_eq!(Column::from_header("ОО"), Some(Column::School));
        assert_eq!(Column::from_header("Ф.И.О."), Some(Column::FullName));
        assert_eq!(Column::from_header("шнор"), Some(Column::LowResults));
        assert_eq!(Column::from_header("Телефон"), None);
    }

    #[test]
    fn roles_are_read_in_russian_and_english() {
        assert_eq!(parse_role("Учитель"), Some(Role::Teacher));
        assert_eq!(parse_role("заместитель директора"), Some(Role::Principal));
        assert_eq!(parse_role("Отдел образования"), Some(Role::Municipal));
        assert_eq!(parse_role("regional"), Some(Role::Regional));
        assert_eq!(parse_role("повар"), None);
    }

    #[test]
    fn windows_1251_csv_with_semicolons_is_read() {
        let text = "Регион;Муниципалитет;Школа;ФИО;Роль\r\nРеспублика Алтай;Чойский район;МОУ «Чойская СОШ»;Иванова Мария;учитель\r\n";
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(text);
        let t = read_csv(&bytes).unwrap();
        assert_eq!(t.header[3], "ФИО");
        assert_eq!(t.rows[0][2], "МОУ «Чойская СОШ»");
        let with_bom = "\u{feff}Регион,Муниципалитет\nАлтай,Чойский район\n".to_owned();
        let t = read_csv(with_bom.as_bytes()).unwrap();
        assert_eq!((t.header[0].as_str(), t.rows[0][1].as_str()), ("Регион", "Чойский район"));
    }

    #[test]
    fn a_name_hiding_control_or_direction_characters_is_refused_with_its_row_and_column() {
        let t = table(
            &["Регион", "Муниципалитет", "Школа", "ФИО", "Роль"],
            &[
                &["Алтай", "Чойский район", "Чойская СОШ", "Иванова\u{202E}аксвон", "учитель"],
                &["Алтай", "Чойский район\u{0}", "Чойская СОШ", "Петрова Анна", "учитель"],
                &["Алтай", "Чойский район", "Чойская\nСОШ", "Сидорова Анна", "учитель"],
            ],
        );
        let errors = plan_import(&t).unwrap_err().join("\n");
        for expected in [
            "Строка 2: ФИО: Недопустимый символ U+202E",
            "Строка 3: Муниципалитет: Недопустимый символ U+0000",
            "Строка 4: Школа: Недопустимый символ U+000A",
        ] {
            assert!(errors.contains(expected), "missing «{expected}» in:\n{errors}");
        }
    }

    #[test]
    fn every_bad_row_is_reported_with_its_number() {
        let t = table(
            &["Регион", "Муниципалитет", "Школа", "ШНОР", "ФИО", "Логин", "Роль"],
            &[
                &["Алтай", "Чойский район", "Чойская СОШ", "да", "Иванова Мария", "", "учитель"],
                &["Алтай", "Чойский район", "", "", "Петров Пётр", "", "учитель"],
                &["Алтай", "Чойский район", "Чойская СОШ", "может", "Сидорова Анна", "", "повар"],
                &["", "Чойский район", "Чойская СОШ", "", "Кузнецова Ольга", "Bad Login", "учитель"],
                &["Алтай", "Чойский район", "Чойская СОШ", "", "Орлова Ирина", "choya.orlova", "учитель"],
                &["Алтай", "Чойский район", "Чойская СОШ", "", "Орлова Инна", "choya.orlova", "учитель"],
            ],
        );
        let errors = plan_import(&t).unwrap_err();
        let joined = errors.join("\n");
        for expected in [
            "Строка 3: для роли «Учитель» нужна школа",
            "Строка 4: непонятное значение «может» в столбце «ШНОР»",
            "Строка 4: непонятная роль «повар»",
            "Строка 5: не указан регион",
            "Строка 5: Логин «bad login»",
            "Строка 7: логин «choya.orlova» уже встречается в файле выше",
        ] {
            assert!(joined.contains(expected), "missing «{expected}» in:\n{joined}");
        }
        assert_eq!(errors.len(), 6, "{joined}");
    }

    #[test]
    fn a_subject_is_read_for_teachers_and_refused_on_other_rows() {
        let t = table(
            &["Регион", "Муниципалитет", "Школа", "ФИО", "Роль", "Предмет"],
            &[
                &["Алтай", "Чойский район", "Чойская СОШ", "Иванова Мария", "учитель", " Русский "],
                &["Алтай", "Чойский район", "Чойская СОШ", "Петрова Анна", "учитель", "История"],
                &["Алтай", "Чойский район", "Чойская СОШ", "Сидорова Анна", "учитель", ""],
            ],
        );
        let subjects: Vec<_> = plan_import(&t).unwrap().into_iter().map(|r| r.person.unwrap().subject).collect();
        assert_eq!(
            subjects,
            [Some(TeacherSubject::Programme("russian")), Some(TeacherSubject::Other("История".into())), None]
        );
        let mut with_director = t.clone();
        with_director.rows.push(
            ["Алтай", "Чойский район", "Чойская СОШ", "Орлов Олег", "директор", "физика"].map(str::to_owned).into(),
        );
        assert_eq!(
            plan_import(&with_director).unwrap_err(),
            [
                "Строка 5: предмет указывается только для учителя, а в строке роль «Руководитель школы» (столбец «Предмет»)"
            ]
        );
    }

    #[test]
    fn the_example_file_plans_with_its_subjects() {
        let table = read_csv(include_bytes!("../../data/import-example.csv")).unwrap();
        let rows = plan_import(&table).unwrap();
        let subjects: Vec<_> = rows.iter().filter_map(|r| r.person.as_ref()).map(|p| p.subject.clone()).collect();
        assert_eq!(
            subjects,
            [Some(TeacherSubject::Programme("math")), Some(TeacherSubject::Other("История".into())), None, None]
        );
    }

    #[test]
    fn unknown_and_missing_columns_are_reported() {
        let errors = plan_import(&table(&["Регион", "Телефон"], &[])).unwrap_err();
        assert!(errors.iter().any(|e| e.contains("неизвестный столбец «Телефон»")));
        assert!(errors.iter().any(|e| e.contains("нет столбца «Муниципалитет»")));
    }

    #[test]
    fn dates_are_written_the_russian_way() {
        assert_eq!(format_date(0), "01.01.1970");
        assert_eq!(format_date(1_796_774_826_794), "09.12.2026");
    }

    #[test]
    fn codes_are_written_for_russian_excel() {
        let csv = codes_csv(
            &[IssuedAccount {
                school: "МОУ «Чойская СОШ»".into(),
                full_name: "Иванова Мария".into(),
                login: "choyskaya.ivanova".into(),
                code: "ABCD-EFGH-JKMN".into(),
                expires_at_ms: 0,
            }],
            |_| "01.01.2027".to_owned(),
        );
        assert_eq!(
            csv,
            "\u{feff}Школа;ФИО;Логин;Код активации;Действует до\r\n\
             МОУ «Чойская СОШ»;Иванова Мария;choyskaya.ivanova;ABCD-EFGH-JKMN;01.01.2027\r\n"
        );
    }

    #[test]
    fn imported_names_in_the_codes_file_cannot_become_formulas() {
        let csv = codes_csv(
            &[IssuedAccount {
                school: "=HYPERLINK(\"http://evil\";\"Школа\")".into(),
                full_name: "@Иванова; Мария".into(),
                login: "choyskaya.ivanova".into(),
                code: "ABCD-EFGH-JKMN".into(),
                expires_at_ms: 0,
            }],
            |_| "01.01.2027".to_owned(),
        );
        assert!(
            csv.ends_with(
                "\r\n\"'=HYPERLINK(\"\"http://evil\"\";\"\"Школа\"\")\";\"'@Иванова; Мария\";\
                 choyskaya.ivanova;ABCD-EFGH-JKMN;01.01.2027\r\n"
            ),
            "{csv}"
        );
    }
}
