//! The department's views as tables: the same rows on the screen, in the XLSX workbook (one sheet
//! per view) and in CSV that Russian Excel opens as it is (UTF-8 with BOM, `;`, decimal comma).
//! Numbers stay numbers; only a suppressed group becomes text («недостаточно данных»).

use crate::aggregate::AreaStat;
use crate::api::DepartmentAnalytics;
use crate::report::format_number;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Value {
    Empty,
    Text(String),
    Number(f64),
    /// A share, 0–1: on screen «88,9 %», in the workbook a number with a percent format.
    Share(f64),
}

impl Value {
    fn share(n: Option<f64>) -> Value {
        n.map_or(Value::Empty, Value::Share)
    }

    fn yes(b: bool) -> Value {
        Value::Text(if b { "да" } else { "нет" }.to_owned())
    }

    /// As a Russian reader writes it: «0,379».
    pub fn display(&self) -> String {
        match self {
            Value::Empty => String::new(),
            Value::Text(t) => t.clone(),
            Value::Number(n) => format_number((n * 1000.0).round() / 1000.0),
            Value::Share(n) => crate::report::share_ru(*n),
        }
    }
}

/// What a school that sent no report for the period shown reads, in every sheet.
const NO_REPORT: &str = "нет отчёта";

/// A figure the school wrote «–» for: the indicator does not apply to it (an ООШ has no 11th
/// grade). Not «нет данных», which says nobody reported it.
pub const NOT_APPLICABLE: &str = "не применимо";

/// A group with no teachers at all: nothing is hidden, there is nobody to count.
pub const NO_TEACHERS: &str = "нет учителей";

/// A school whose teachers have not passed the self-diagnosis yet: nothing is hidden either.
pub const NOBODY_PASSED: &str = "никто не прошёл";

/// The words a blank cell carries in every sheet: the screen shows them greyed, the exports as
/// they are.
pub const BLANK_WORDS: [&str; 4] = [NO_REPORT, NOT_APPLICABLE, NO_TEACHERS, NOBODY_PASSED];

/// A number, a share, or why there is none: «не применимо» where the school wrote «–».
fn figure(value: Option<f64>, share: bool, not_applicable: bool) -> Value {
    match value {
        Some(v) if share => Value::Share(v),
        Some(v) => Value::Number(v),
        None if not_applicable => NOT_APPLICABLE.into(),
        None => Value::Empty,
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(s)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sheet {
    /// The sheet's tab: at most 31 characters, as Excel requires.
    pub name: String,
    pub title: String,
    pub head: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    /// From this column on, numbers are shares (0–1) to show as a heat map.
    #[serde(default)]
    pub heat_from: Option<usize>,
}

pub const SUPPRESSED: &str = "недостаточно данных";

/// The heat-map step of a deficit share, 0 (few teachers need help) to 3 (half or more): the
/// screen and the workbook colour the same cells the same way.
pub fn heat_level(share: f64) -> usize {
    match share {
        x if x >= 0.5 => 3,
        x if x >= 0.3 => 2,
        x if x >= 0.15 => 1,
        _ => 0,
    }
}

/// The heat map's colours, step by step, as `RRGGBB`.
pub const HEAT_COLOURS: [u32; 4] = [0xF3F7FB, 0xFDE9C8, 0xF9C58D, 0xF08A6A];

fn head(cols: &[&str]) -> Vec<String> {
    cols.iter().map(|c| (*c).to_owned()).collect()
}

pub fn indicators(a: &DepartmentAnalytics) -> Sheet {
    Sheet {
        name: "Показатели".into(),
        title: format!(
            "Показатели мониторинга школ{} ({})",
            a.monitoring_period.as_deref().map(|p| format!(" за {p}")).unwrap_or_default(),
            a.group.title_ru()
        ),
        head: head(&[
            "Показатель",
            "Школ с данными",
            "Среднее",
            "Медиана",
            "Минимум",
            "Максимум",
            "Есть в школах",
            "Редкие значения",
        ]),
        rows: a
            .indicators
            .iter()
            .map(|s| {
                // Shares as percentages, as seed 004's «Доля …» means them; an indicator every
                // school with a report wrote «–» for reads «не применимо», not «нет данных».
                let na = s.schools == 0 && s.not_applicable > 0;
                let shown = |v: Option<f64>| figure(v, s.share, na);
                vec![
                    s.label.as_str().into(),
                    Value::Number(f64::from(s.schools)),
                    if s.rare { Value::Empty } else { shown(s.mean) },
                    if s.rare { Value::Empty } else { shown(s.median) },
                    shown(s.min),
                    shown(s.max),
                    Value::Number(f64::from(s.present_in)),
                    s.rare_ru().map_or(Value::Empty, Value::Text),
                ]
            })
            .collect(),
        heat_from: None,
    }
}

pub fn programme_dynamics(a: &DepartmentAnalytics) -> Sheet {
    Sheet {
        name: "Цели программы".into(),
        title: format!(
            "Доля ШНОР с положительной динамикой результатов против целевых показателей программы, по годам ({})",
            a.group.title_ru()
        ),
        head: head(&[
            "Процедура",
            "Год",
            "Учебный год",
            "ШНОР в этом году",
            "Школ с результатами двух лет",
            "С положительной динамикой",
            "Доля",
            "Цель",
            "Цель достигнута",
        ]),
        rows: a
            .programme_dynamics
            .iter()
            .map(|d| {
                vec![
                    d.title.as_str().into(),
                    Value::Number(f64::from(d.year)),
                    d.period.as_str().into(),
                    Value::Number(f64::from(d.low_schools)),
                    Value::Number(f64::from(d.schools)),
                    Value::Number(f64::from(d.improved)),
                    Value::share(d.share()),
                    d.target_percent.map_or_else(|| "не установлена".into(), |t| Value::Share(f64::from(t) / 100.0)),
                    d.verdict_ru().into(),
                ]
            })
            .collect(),
        heat_from: None,
    }
}

pub fn dynamics(a: &DepartmentAnalytics) -> Sheet {
    let mut rows = Vec::new();
    for school in &a.dynamics {
        // A school without a card for the period says so, never shows an older card.
        if school.no_report {
            let mut row: Vec<Value> = vec![school.school.name.as_str().into(), NO_REPORT.into()];
            row.resize(7, Value::Empty);
            rows.push(row);
        }
        for d in &school.rows {
            rows.push(vec![
                school.school.name.as_str().into(),
                d.title.as_str().into(),
                figure(d.previous, false, d.previous_not_applicable),
                figure(d.current, false, d.current_not_applicable),
                d.target.clone().map_or(Value::Empty, Value::Text),
                d.target_met.map_or(Value::Empty, Value::yes),
                match d.improved {
                    Some(true) => "улучшение".into(),
                    Some(false) => "ухудшение".into(),
                    None if d.previous.is_some() && d.current.is_some() => "без изменений".into(),
                    None => Value::Empty,
                },
            ]);
        }
    }
    Sheet {
        name: "Динамика".into(),
        title: format!(
            "Динамика и целевые значения{}{}",
            a.card_period.as_deref().map(|p| format!(" за {p}")).unwrap_or_default(),
            a.compare_from.as_deref().map(|p| format!(" против {p}")).unwrap_or_default()
        ),
        head: vec![
            "Школа".into(),
            "Критерий".into(),
            a.compare_from.clone().unwrap_or_else(|| "Прошлый год".into()),
            a.card_period.clone().unwrap_or_else(|| "Текущий".into()),
            "Ожидаемый".into(),
            "Цель достигнута".into(),
            "Динамика".into(),
        ],
        rows,
        heat_from: None,
    }
}

pub fn dynamics_summary(a: &DepartmentAnalytics) -> Sheet {
    Sheet {
        name: "Динамика по критериям".into(),
        title: "Школы с положительной динамикой и достигшие цели, по критериям".into(),
        head: head(&["Критерий", "Школ с данными", "Улучшили", "Ухудшили", "Достигли цели"]),
        rows: a
            .dynamics_summary
            .iter()
            .map(|s| {
                vec![
                    s.title.as_str().into(),
                    Value::Number(f64::from(s.schools)),
                    Value::Number(f64::from(s.improved)),
                    Value::Number(f64::from(s.declined)),
                    Value::Number(f64::from(s.target_met)),
                ]
            })
            .collect(),
        heat_from: None,
    }
}

/// Which periods the identification reads, in words: the checklist of the academic year shown,
/// the assessment results of the later compared period and the one before (the federal rule looks
/// at two years).
fn identification_periods(a: &DepartmentAnalytics) -> String {
    let Some(year) = &a.membership_year else { return String::new() };
    let results = a.card_period.as_deref().and_then(|to| {
        let before = crate::period::Period::parse(to).ok()?.previous()?;
        Some(format!(", результаты оценочных процедур — {before} и {to}"))
    });
    format!(" (перечень критериев — за {year}{})", results.unwrap_or_default())
}

pub fn identification(a: &DepartmentAnalytics) -> Sheet {
    let mut rows = Vec::new();
    for s in &a.identification {
        // Which checklist the flags read: a period of the year shown, or none sent for it.
        let checklist: Value = s.checklist_period.as_deref().unwrap_or(NO_REPORT).into();
        let listed = |row: &mut Vec<Value>| {
            row.push(Value::yes(s.listed.low_results));
            row.push(Value::yes(s.listed.unfavourable_conditions));
            row.push(checklist.clone());
        };
        if s.flags.is_empty() {
            let mut row = vec![s.school.name.as_str().into()];
            listed(&mut row);
            row.extend([Value::Empty, Value::Empty]);
            rows.push(row);
        }
        for f in &s.flags {
            let mut row = vec![s.school.name.as_str().into()];
            listed(&mut row);
            row.extend([f.rule.as_str().into(), f.explanation.as_str().into()]);
            rows.push(row);
        }
    }
    Sheet {
        name: "Выявление".into(),
        title: format!(
            "Признаки низких результатов по правилам{}; группы: {}",
            identification_periods(a),
            a.groups.formula_ru()
        ),
        head: head(&["Школа", "В перечне ШНОР", "В перечне ШФНСУ", "Перечень критериев", "Правило", "Обоснование"]),
        rows,
        heat_from: None,
    }
}

pub fn deficits(a: &DepartmentAnalytics) -> Sheet {
    let mut cols = vec!["Школа".to_owned(), "Педагогов".to_owned(), "Прошли самодиагностику".to_owned()];
    cols.extend(a.areas.iter().map(|t| format!("{}: доля с дефицитом", t.title)));
    Sheet {
        name: "Дефициты".into(),
        title: format!("Профессиональные дефициты педагогов по школам (группы меньше {} не показываются)", a.min_group),
        head: cols,
        rows: a
            .deficits
            .iter()
            .map(|r| {
                let mut row = vec![
                    r.school.name.as_str().into(),
                    Value::Number(f64::from(r.summary.teachers)),
                    Value::Number(f64::from(r.summary.completed)),
                ];
                // Nobody to count is said as such; only a group of some teachers is hidden.
                let nobody = match (r.summary.teachers, r.summary.completed) {
                    (0, 0) => Some(NO_TEACHERS),
                    (_, 0) => Some(NOBODY_PASSED),
                    _ => None,
                };
                row.extend(r.summary.areas.iter().map(|area| match (&area.stat, nobody) {
                    (AreaStat::Suppressed, Some(words)) => words.into(),
                    (AreaStat::Suppressed, None) => SUPPRESSED.into(),
                    (AreaStat::Shown { deficit_share, .. }, _) => Value::Share(*deficit_share),
                }));
                row
            })
            .collect(),
        heat_from: Some(3),
    }
}

pub fn deficits_by_subject(a: &DepartmentAnalytics) -> Sheet {
    let mut cols = vec!["Предмет".to_owned(), "Прошли самодиагностику".to_owned()];
    cols.extend(a.areas.iter().map(|t| format!("{}: доля с дефицитом", t.title)));
    Sheet {
        name: "Дефициты по предметам".into(),
        title: format!(
            "Профессиональные дефициты педагогов по предметам (группы меньше {} не показываются)",
            a.min_group
        ),
        head: cols,
        rows: a
            .deficits_by_subject
            .iter()
            .map(|r| {
                let mut row = vec![r.subject.as_str().into(), Value::Number(f64::from(r.summary.completed))];
                row.extend(r.summary.areas.iter().map(|area| match area.stat {
                    // Nobody in the schools shown answered this subject's questionnaire.
                    AreaStat::Suppressed if r.nobody_answered => NO_TEACHERS.into(),
                    AreaStat::Suppressed => SUPPRESSED.into(),
                    AreaStat::Shown { deficit_share, .. } => Value::Share(deficit_share),
                }));
                row
            })
            .collect(),
        heat_from: Some(2),
    }
}

pub fn topics(a: &DepartmentAnalytics) -> Sheet {
    Sheet {
        name: "Темы повышения квалификации".into(),
        title: "Темы профессионального развития по числу педагогов, которым они нужны".into(),
        head: head(&["Направление", "Тема", "Педагогов"]),
        rows: a
            .topics
            .iter()
            .map(|t| {
                vec![
                    t.area.as_str().into(),
                    t.topic.as_str().into(),
                    t.teachers.map_or_else(|| SUPPRESSED.into(), |n| Value::Number(f64::from(n))),
                ]
            })
            .collect(),
        heat_from: None,
    }
}

/// Per campaign and school: done, due or overdue; then per campaign its totals.
pub fn campaigns(a: &DepartmentAnalytics) -> Sheet {
    let mut cols = vec!["Школа".to_owned()];
    cols.extend(a.campaigns.iter().map(|c| {
        format!(
            "{} — {} (срок {})",
            c.campaign.form_title,
            crate::period::ru(&c.campaign.period),
            crate::campaign::date_ru(&c.campaign.deadline)
        )
    }));
    if a.campaigns.is_empty() {
        return Sheet {
            name: "Сбор отчётов".into(),
            title: "Сбор отчётов: сборы ещё не открыты".into(),
            head: cols,
            rows: Vec::new(),
            heat_from: None,
        };
    }
    let mut rows: Vec<Vec<Value>> = a
        .deficits
        .iter()
        .enumerate()
        .map(|(i, school)| {
            let mut row = vec![school.school.name.as_str().into()];
            row.extend(a.campaigns.iter().map(|c| c.schools.get(i).map_or(Value::Empty, |s| s.title_ru().into())));
            row
        })
        .collect();
    for (label, pick) in [
        ("Сдали", (|c: &crate::campaign::Completeness| c.submitted) as fn(&crate::campaign::Completeness) -> u32),
        ("Просрочено", |c| c.overdue),
        ("Ожидается всего", |c| c.expected),
    ] {
        let mut row = vec![label.into()];
        row.extend(a.campaigns.iter().map(|c| Value::Number(f64::from(pick(&c.completeness)))));
        rows.push(row);
    }
    Sheet {
        name: "Сбор отчётов".into(),
        title: "Сбор отчётов: кто сдал, кто ещё нет, кто просрочил".into(),
        head: cols,
        rows,
        heat_from: None,
    }
}

pub fn completion(a: &DepartmentAnalytics) -> Sheet {
    let c = &a.completion;
    // The programme's figure first (the six subjects' teachers of its schools of the year shown),
    // all staff of those schools second; teachers nobody gave a subject to are named in the title.
    let all_share = (c.all_teachers > 0).then(|| f64::from(c.all_completed) / f64::from(c.all_teachers));
    let mut rows = vec![
        vec![
            format!(
                "{}: учителя шести предметов в школах программы{} ({})",
                a.scope.name,
                c.membership_year.as_deref().map(|y| format!(" {y}")).unwrap_or_default(),
                a.group.title_ru()
            )
            .into(),
            Value::Number(f64::from(c.teachers)),
            Value::Number(f64::from(c.completed)),
            Value::share(c.share()),
            c.target.map_or(Value::Empty, |t| Value::Share(f64::from(t.percent) / 100.0)),
            c.meets_target().map_or(Value::Empty, Value::yes),
        ],
        vec![
            format!(
                "{}: все педагоги школ программы{} ({})",
                a.scope.name,
                c.membership_year.as_deref().map(|y| format!(" {y}")).unwrap_or_default(),
                a.group.title_ru()
            )
            .into(),
            Value::Number(f64::from(c.all_teachers)),
            Value::Number(f64::from(c.all_completed)),
            Value::share(all_share),
            Value::Empty,
            Value::Empty,
        ],
    ];
    // The target checked for every calendar year with a target or a submission (seed 002,
    // Раздел IV), each with its own year's membership; a year with nothing received by its end
    // says «нет данных» rather than a zero.
    rows.extend(a.coverage_by_year.iter().map(|c| {
        vec![
            format!(
                "{} год: учителя шести предметов в школах программы{}",
                c.year,
                c.membership_year.as_deref().map(|y| format!(" {y}")).unwrap_or_default()
            )
            .into(),
            Value::Number(f64::from(c.teachers)),
            if c.no_data { Value::Empty } else { Value::Number(f64::from(c.completed)) },
            Value::share(c.share()),
            c.target.map_or(Value::Empty, |t| Value::Share(f64::from(t.percent) / 100.0)),
            Value::Text(c.verdict_ru().to_owned()),
        ]
    }));
    rows.extend(a.deficits.iter().map(|r| {
        vec![
            r.school.name.as_str().into(),
            Value::Number(f64::from(r.summary.teachers)),
            Value::Number(f64::from(r.summary.completed)),
            Value::share(r.summary.completed_share()),
            Value::Empty,
            Value::Empty,
        ]
    }));
    // What the headline's teachers' subjects leave open, as rows too: a CSV has no title.
    let notes = [
        ("Предмет не указан: не учтены среди учителей шести предметов", c.unstated),
        ("Предмет в анкете не совпадает с учётной записью: учтён предмет анкеты", c.subject_differs),
    ];
    rows.extend(notes.into_iter().filter(|(_, n)| *n > 0).map(|(label, n)| {
        vec![label.into(), Value::Number(f64::from(n)), Value::Empty, Value::Empty, Value::Empty, Value::Empty]
    }));
    Sheet {
        name: "Охват самодиагностикой".into(),
        title: format!(
            "Педагоги, прошедшие самодиагностику, {} год{}",
            c.year,
            c.target
                .map(|t| format!(" (цель программы на {} год — не менее {} %)", t.year, t.percent))
                .unwrap_or_default()
        ) + &c
            .unstated_ru()
            .map(|n| format!("; {n}: они не учтены среди учителей шести предметов"))
            .unwrap_or_default()
            + &c.subject_differs_ru().map(|n| format!("; {n}")).unwrap_or_default(),
        head: head(&["Муниципалитет / школа", "Педагогов", "Прошли", "Доля", "Цель", "Цель достигнута"]),
        rows,
        heat_from: None,
    }
}

pub fn roadmaps(a: &DepartmentAnalytics) -> Sheet {
    Sheet {
        name: "Дорожные карты".into(),
        title: format!(
            "Исполнение планов мероприятий (дорожных карт){}",
            a.membership_year
                .as_deref()
                .map(|y| format!(" за {y} учебный год: последний квартал с отчётом"))
                .unwrap_or_default()
        ),
        head: head(&["Школа", "Квартал", "Выполнено", "Выполняется", "Просрочено", "Не начато"]),
        rows: a
            .roadmaps
            .iter()
            .map(|r| {
                if r.no_report {
                    return vec![
                        r.school.name.as_str().into(),
                        format!("{NO_REPORT} за {}", crate::period::ru(&r.period)).into(),
                        Value::Empty,
                        Value::Empty,
                        Value::Empty,
                        Value::Empty,
                    ];
                }
                vec![
                    r.school.name.as_str().into(),
                    crate::period::ru(&r.period).into(),
                    Value::Number(f64::from(r.summary.done)),
                    Value::Number(f64::from(r.summary.in_progress)),
                    Value::Number(f64::from(r.summary.overdue)),
                    Value::Number(f64::from(r.summary.not_started)),
                ]
            })
            .collect(),
        heat_from: None,
    }
}

pub fn clusters(a: &DepartmentAnalytics) -> Sheet {
    Sheet {
        name: "Кластеры".into(),
        title: format!(
            "Группы школ со сходными показателями мониторинга и кластерного мониторинга{}",
            a.monitoring_period.as_deref().map(|p| format!(" за {p}")).unwrap_or_default()
        ),
        head: head(&["Группа", "Школ", "Школы", "Чем отличается"]),
        rows: a
            .clusters
            .iter()
            .enumerate()
            .map(|(i, c)| {
                vec![
                    format!("Группа {}", i + 1).into(),
                    Value::Number(c.schools.len() as f64),
                    c.schools.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ").into(),
                    if c.distinguished_by.is_empty() {
                        "близка к средним значениям".into()
                    } else {
                        c.distinguished_by.join("; ").into()
                    },
                ]
            })
            .collect(),
        heat_from: None,
    }
}

/// Seed 003's cluster monitoring (5.4), field by field across the schools shown.
pub fn cluster_monitoring(a: &DepartmentAnalytics) -> Sheet {
    Sheet {
        name: "Кластерный мониторинг".into(),
        title: format!(
            "Кластерный мониторинг: организация, педагоги, обучающиеся{}",
            a.monitoring_period.as_deref().map(|p| format!(" за {p}")).unwrap_or_default()
        ),
        head: head(&["Показатель", "Школ с данными", "Среднее", "Медиана", "Минимум", "Максимум"]),
        rows: a
            .cluster_indicators
            .iter()
            .map(|s| {
                vec![
                    s.label.as_str().into(),
                    Value::Number(f64::from(s.schools)),
                    figure(s.mean, s.share, s.schools == 0 && s.not_applicable > 0),
                    figure(s.median, s.share, s.schools == 0 && s.not_applicable > 0),
                    figure(s.min, s.share, s.schools == 0 && s.not_applicable > 0),
                    figure(s.max, s.share, s.schools == 0 && s.not_applicable > 0),
                ]
            })
            .collect(),
        heat_from: None,
    }
}

/// Every view, one sheet each, in the order of the department's page.
pub fn all(a: &DepartmentAnalytics) -> Vec<Sheet> {
    vec![
        completion(a),
        campaigns(a),
        indicators(a),
        dynamics_summary(a),
        programme_dynamics(a),
        dynamics(a),
        identification(a),
        roadmaps(a),
        deficits(a),
        deficits_by_subject(a),
        topics(a),
        clusters(a),
        cluster_monitoring(a),
    ]
}

/// A sheet as CSV for Russian Excel: UTF-8 with a BOM, `;` between cells, decimal comma, CRLF.
/// Every text cell goes through [`csv_text`], every number through [`csv_number`].
pub fn csv_ru(sheet: &Sheet) -> String {
    let mut out = String::from("\u{feff}");
    out.push_str(&csv_line(sheet.head.iter().map(|h| csv_text(h))));
    for row in &sheet.rows {
        out.push_str(&csv_line(row.iter().map(|v| match v {
            Value::Empty => String::new(),
            Value::Text(t) => csv_text(t),
            // A share stays a fraction in CSV: a number Excel can compute with.
            Value::Number(n) | Value::Share(n) => csv_number(*n),
        })));
    }
    out
}

/// The separator of every CSV Opora writes: Russian Excel's list separator.
pub const CSV_SEPARATOR: char = ';';

/// One line of CSV from cells already made safe by [`csv_text`] or [`csv_number`], ending in CRLF.
pub fn csv_line(cells: impl IntoIterator<Item = String>) -> String {
    let mut line = cells.into_iter().collect::<Vec<_>>().join(";");
    line.push_str("\r\n");
    line
}

/// A text cell of a CSV file, safe to open in Excel or LibreOffice (OWASP's CSV-injection advice):
///
/// - a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return would be run as a formula
///   (a school name from an import, a report period, anything a user typed): it gets a leading `'`
///   and is shown as the text it is;
/// - a cell containing the separator, a double quote or a line break is put in double quotes, its
///   quotes doubled.
///
/// Text that merely looks like a negative number («-3,5» typed into a report) is neutralised too:
/// it reaches the file as text. Numbers the program computed are written by [`csv_number`].
pub fn csv_text(text: &str) -> String {
    let neutralised;
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        neutralised = format!("'{text}");
        neutralised.as_str()
    } else {
        text
    };
    if text.contains([CSV_SEPARATOR, '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// A number the program computed, as Russian Excel reads a number: decimal comma, six decimals
/// at most, a minus sign where negative («-3,5»). That minus is data, not a formula: the cell is
/// nothing but a number, so it stays a number (OWASP: the program's own numeric cells may stay as
/// they are). A value that is not a finite number is written as neutralised text.
pub fn csv_number(n: f64) -> String {
    if n.is_finite() { format_number(n) } else { csv_text(&format_number(n)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_is_what_russian_excel_opens() {
        let sheet = Sheet {
            name: "t".into(),
            title: "t".into(),
            head: vec!["Показатель".into(), "Среднее".into()],
            rows: vec![
                vec!["Доля на «4» и «5»".into(), Value::Number(0.379)],
                vec!["Школа; «Чоя»".into(), Value::Number(1.0)],
                vec![SUPPRESSED.into(), Value::Empty],
            ],
            heat_from: None,
        };
        let csv = csv_ru(&sheet);
        assert!(csv.starts_with('\u{feff}'), "a BOM, or Excel reads it as Windows-1251");
        assert_eq!(
            csv.trim_start_matches('\u{feff}'),
            "Показатель;Среднее\r\nДоля на «4» и «5»;0,379\r\n\"Школа; «Чоя»\";1\r\nнедостаточно данных;\r\n"
        );
    }

    #[test]
    fn csv_text_cells_cannot_become_formulas() {
        for (text, written) in [
            ("Чойская СОШ", "Чойская СОШ"),
            ("=HYPERLINK(\"http://x\";\"1\")", "\"'=HYPERLINK(\"\"http://x\"\";\"\"1\"\")\""),
            ("=1+1", "'=1+1"),
            ("+7 999", "'+7 999"),
            ("-3,5", "'-3,5"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tcmd", "'\tcmd"),
            ("\r=1", "\"'\r=1\""),
            ("2019-Q3", "2019-Q3"),
            ("a = b", "a = b"),
            ("Школа; «Чоя»", "\"Школа; «Чоя»\""),
            ("Иванова, Петрова", "Иванова, Петрова"),
            ("строка\nещё", "\"строка\nещё\""),
            ("МОУ \"СОШ\"", "\"МОУ \"\"СОШ\"\"\""),
            ("", ""),
        ] {
            assert_eq!(csv_text(text), written, "{text:?}");
        }
    }

    #[test]
    fn csv_numbers_stay_numbers() {
        for (n, written) in [
            (0.379, "0,379"),
            (-3.5, "-3,5"),
            (12.0, "12"),
            (-0.25, "-0,25"),
            (f64::NEG_INFINITY, "'-inf"),
            (f64::NAN, "NaN"),
        ] {
            assert_eq!(csv_number(n), written, "{n}");
        }
    }

    #[test]
    fn every_csv_cell_of_a_sheet_is_neutralised() {
        let sheet = Sheet {
            name: "t".into(),
            title: "t".into(),
            head: vec!["=Школа".into(), "Изменение".into()],
            rows: vec![vec!["@школа".into(), Value::Number(-3.5)], vec!["-3,5".into(), Value::Empty]],
            heat_from: None,
        };
        assert_eq!(csv_ru(&sheet).trim_start_matches('\u{feff}'), "'=Школа;Изменение\r\n'@школа;-3,5\r\n'-3,5;\r\n");
    }

    #[test]
    fn numbers_display_as_russians_write_them() {
        assert_eq!(Value::Number(0.37912).display(), "0,379");
        assert_eq!(Value::Number(12.0).display(), "12");
        assert_eq!(Value::Empty.display(), "");
        assert_eq!(Value::Share(0.8889).display(), "88,9 %");
        assert_eq!(Value::Share(1.0).display(), "100 %");
    }
}
