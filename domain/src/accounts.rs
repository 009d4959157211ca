//! Rules for accounts that both the app and the server apply: what a new password must be, how an
//! activation code is written and read back, how a login is derived from a person's name, and
//! what subject a teacher teaches (the programme counts the teachers of six subjects).
//!
//! Rural teachers often have no e-mail: a principal creates the account and hands over a one-time
//! activation code on paper; the teacher types it on a phone and chooses her password.

use crate::text::{Lines, forbidden_char};
use std::ops::RangeInclusive;

/// Activation codes are valid this long after they are issued.
pub const ACTIVATION_TTL_MS: i64 = 14 * 24 * 60 * 60 * 1000;

/// Characters of an activation code: no 0/O, 1/I/L, so a code copied from paper reads back right.
pub const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// 12 characters of a 31-letter alphabet: about 59 bits, far beyond guessing even unthrottled.
pub const CODE_LENGTH: usize = 12;

pub const MIN_PASSWORD_CHARS: usize = 8;

/// Why a new password is refused, in words for the user.
pub fn check_new_password(login: &str, password: &str) -> Result<(), &'static str> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err("Пароль слишком короткий: нужно не меньше 8 символов.");
    }
    if chars > 200 {
        return Err("Пароль слишком длинный: не больше 200 символов.");
    }
    if password.trim().to_lowercase() == login.trim().to_lowercase() {
        return Err("Пароль не должен совпадать с логином.");
    }
    if password.chars().all(|c| c == password.chars().next().unwrap_or(' ')) {
        return Err("Пароль из одного повторяющегося символа слишком простой.");
    }
    Ok(())
}

/// Formats raw code characters as `ABCD-EFGH-JKMN` for printing.
pub fn format_code(raw: &str) -> String {
    raw.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-")
}

/// Reads back a code as typed: case, spaces and dashes do not matter, and Cyrillic letters that
/// look like Latin ones (a phone keyboard left in Russian) count as those. `None` if it cannot be
/// a code at all.
pub fn normalise_code(typed: &str) -> Option<String> {
    let mut out = String::with_capacity(CODE_LENGTH);
    for c in typed.chars() {
        if c.is_whitespace() || matches!(c, '-' | '–' | '—' | '_') {
            continue;
        }
        let c = cyrillic_lookalike(c).unwrap_or(c).to_ascii_uppercase();
        if !(c.is_ascii() && CODE_ALPHABET.contains(&(c as u8))) {
            return None;
        }
        out.push(c);
    }
    (out.len() == CODE_LENGTH).then_some(out)
}

fn cyrillic_lookalike(c: char) -> Option<char> {
    Some(match c.to_lowercase().next()? {
        'а' => 'A',
        'в' => 'B',
        'е' => 'E',
        'к' => 'K',
        'м' => 'M',
        'н' => 'H',
        'р' => 'P',
        'с' => 'C',
        'т' => 'T',
        'у' => 'Y',
        'х' => 'X',
        'з' => '3',
        _ => return None,
    })
}

/// A login from a person's surname, in Latin letters (ГОСТ 7.79-2000 system B, simplified), with
/// the school's prefix: `buraki.ivanova`. The caller appends a number if it is taken.
pub fn login_from_name(prefix: &str, full_name: &str) -> String {
    let surname = full_name.split_whitespace().next().unwrap_or("");
    let mut latin = String::new();
    for c in surname.chars().flat_map(char::to_lowercase) {
        let t = match c {
            'а' => "a",
            'б' => "b",
            'в' => "v",
            'г' => "g",
            'д' => "d",
            'е' | 'ё' | 'э' => "e",
            'ж' => "zh",
            'з' => "z",
            'и' => "i",
            'й' => "y",
            'к' => "k",
            'л' => "l",
            'м' => "m",
            'н' => "n",
            'о' => "o",
            'п' => "p",
            'р' => "r",
            'с' => "s",
            'т' => "t",
            'у' => "u",
            'ф' => "f",
            'х' => "kh",
            'ц' => "ts",
            'ч' => "ch",
            'ш' => "sh",
            'щ' => "shch",
            'ы' => "y",
            'ю' => "yu",
            'я' => "ya",
            'ъ' | 'ь' => "",
            c if c.is_ascii_alphanumeric() => {
                latin.push(c);
                continue;
            }
            _ => "",
        };
        latin.push_str(t);
    }
    if latin.is_empty() {
        latin.push_str("teacher");
    }
    // A long surname would make a login longer than any login may be.
    latin.truncate(DERIVED_SURNAME_CHARS);
    if prefix.is_empty() { latin } else { format!("{prefix}.{latin}") }
}

/// Whether a login is acceptable: lowercase Latin letters, digits, dots, dashes and underscores.
pub fn valid_login(login: &str) -> bool {
    LOGIN_CHARS.contains(&login.len())
        && login.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_'))
}

// The limits of what an account or an organisation is made of. Every way in (the principal's
// form through the API, the administrator's import and `admin create-user`) reads its fields with
// the functions below, so the same text is taken or refused, with the same words, whichever way
// it comes.

/// A person's full name, in characters.
pub const FULL_NAME_CHARS: RangeInclusive<usize> = 3..=200;
/// A login, in characters (ASCII only).
pub const LOGIN_CHARS: RangeInclusive<usize> = 3..=64;
/// A teacher's subject as typed, in characters.
pub const SUBJECT_MAX_CHARS: usize = 100;
/// A region's, municipality's or school's name, in characters.
pub const ORGANISATION_NAME_CHARS: RangeInclusive<usize> = 2..=200;
/// How much of the surname a derived login keeps: room for the school's prefix and a number.
const DERIVED_SURNAME_CHARS: usize = 30;

/// What a one-line field holds: nothing hidden (controls, direction overrides, line breaks or
/// tabs: a name prints on one line everywhere), spaces tidied.
fn one_line(field: &str, typed: &str) -> Result<String, String> {
    // Spaces, tabs and line breaks around a value are forgiven (a cell copied with its line end).
    if let Some(found) = forbidden_char(typed.trim(), Lines::One) {
        return Err(format!("{field}: {}", found.message_ru()));
    }
    Ok(typed.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// A length refusal that shows no more than the start of a long text.
fn length_refusal(field: &str, range: &RangeInclusive<usize>, chars: usize) -> String {
    format!("{field}: от {} до {} символов, а здесь {chars}.", range.start(), range.end())
}

/// A person's full name as typed: one line, spaces tidied, 3 to 200 characters.
pub fn read_full_name(typed: &str) -> Result<String, String> {
    let name = one_line("ФИО", typed)?;
    match name.chars().count() {
        0 => Err("ФИО: не указано. Напишите фамилию, имя и отчество.".to_owned()),
        n if !FULL_NAME_CHARS.contains(&n) => Err(length_refusal("ФИО", &FULL_NAME_CHARS, n)),
        _ => Ok(name),
    }
}

/// A login as typed: surrounding spaces and case forgiven, then 3 to 64 lowercase Latin letters,
/// digits, dots, dashes and underscores.
pub fn read_login(typed: &str) -> Result<String, String> {
    let login = one_line("Логин", typed)?.to_lowercase();
    if valid_login(&login) {
        return Ok(login);
    }
    let shown: String = login.chars().take(40).collect();
    let more = if login.chars().count() > 40 { "…" } else { "" };
    Err(format!(
        "Логин «{shown}{more}»: от {} до {} знаков — латинские буквы, цифры, точка, дефис, подчёркивание.",
        LOGIN_CHARS.start(),
        LOGIN_CHARS.end()
    ))
}

/// A teacher's subject as typed: one line, at most 100 characters; `None` for an empty cell.
pub fn read_subject(typed: &str) -> Result<Option<TeacherSubject>, String> {
    let text = one_line("Предмет", typed)?;
    let n = text.chars().count();
    if n > SUBJECT_MAX_CHARS {
        return Err(format!("Предмет: не больше {SUBJECT_MAX_CHARS} символов, а здесь {n}."));
    }
    Ok(TeacherSubject::parse(&text))
}

/// The organisations an account belongs to, by what their names are called in refusals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Organisation {
    Region,
    Municipality,
    School,
}

impl Organisation {
    pub fn title_ru(self) -> &'static str {
        match self {
            Organisation::Region => "Регион",
            Organisation::Municipality => "Муниципалитет",
            Organisation::School => "Школа",
        }
    }
}

/// An organisation's name as typed: one line, spaces tidied, 2 to 200 characters.
pub fn read_organisation_name(kind: Organisation, typed: &str) -> Result<String, String> {
    let name = one_line(kind.title_ru(), typed)?;
    match name.chars().count() {
        0 => Err(format!("{}: не указано название.", kind.title_ru())),
        n if !ORGANISATION_NAME_CHARS.contains(&n) => Err(length_refusal(kind.title_ru(), &ORGANISATION_NAME_CHARS, n)),
        _ => Ok(name),
    }
}

// Logins of a school live in its own namespace: «burakovo.» and nothing else starts with it. A
// school's prefix is stored with it, unique, and taken only while no account outside the school
// has a login in that namespace; afterwards no way in gives such a login to anyone outside it.
// So whatever login a principal may choose or be given, any collision she meets is with an
// account of her own school; logins outside her namespace are refused alike, taken or free.

/// A school's login prefix, in characters: short enough to leave room for a surname.
pub const LOGIN_PREFIX_CHARS: RangeInclusive<usize> = 2..=20;

/// Whether `prefix` can be a school's login prefix: lowercase Latin letters, digits, dashes and
/// underscores, no dot (the dot ends it).
pub fn valid_login_prefix(prefix: &str) -> bool {
    LOGIN_PREFIX_CHARS.contains(&prefix.len())
        && prefix.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_'))
}

/// The namespace a login falls in: the part before its first dot, if that can be a prefix.
pub fn login_prefix_of(login: &str) -> Option<&str> {
    login.split_once('.').map(|(p, _)| p).filter(|p| valid_login_prefix(p))
}

/// The prefixes to try for a school, best first: its principal's login's (the school's logins
/// then read alike), the first word of its name transliterated, then that word numbered.
pub fn login_prefix_candidates(principal_login: Option<&str>, school_name: &str) -> Vec<String> {
    let word = school_name
        .split(|c: char| !c.is_alphanumeric())
        .find(|w| {
            w.chars().count() > 3 && !matches!(w.to_lowercase().as_str(), "моу" | "мбоу" | "мкоу" | "гбоу" | "маоу")
        })
        .unwrap_or("school");
    let mut base = login_from_name("", word);
    // Room for a number of up to six digits after it.
    base.truncate(*LOGIN_PREFIX_CHARS.end() - 6);
    if base.len() < *LOGIN_PREFIX_CHARS.start() {
        base = "school".to_owned();
    }
    // Many schools share a name but for their number («СОШ № 1» in every district): the number
    // in the name comes first, then plain numbering far enough for a region's namesakes.
    let number = school_name.split(|c: char| !c.is_ascii_digit()).find(|w| !w.is_empty() && w.len() <= 6);
    let mut out: Vec<String> = principal_login.and_then(login_prefix_of).map(str::to_owned).into_iter().collect();
    if let Some(number) = number {
        out.push(format!("{base}{number}"));
    }
    out.push(base.clone());
    out.extend((2..=MAX_NAMESAKES).map(|n| format!("{base}{n}")));
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|c| valid_login_prefix(c) && seen.insert(c.clone()));
    out
}

/// How many schools whose names give the same prefix can each get one of their own.
const MAX_NAMESAKES: usize = 9_999;

/// A login a principal chose for her teacher: a login at all ([`read_login`]), in her school's
/// namespace. Outside it the refusal is the same whether the login exists or not.
pub fn read_login_of_school(prefix: &str, typed: &str) -> Result<String, String> {
    let login = read_login(typed)?;
    match login.strip_prefix(prefix).and_then(|rest| rest.strip_prefix('.')) {
        Some(rest) if !rest.is_empty() => Ok(login),
        _ => Err(login_of_school_rule(prefix)),
    }
}

/// The rule a principal's form shows and a refused login is told.
pub fn login_of_school_rule(prefix: &str) -> String {
    format!("Логин учителя должен начинаться с «{prefix}.», например «{prefix}.ivanova».")
}

/// The six subjects whose teachers the programme counts (seed 002, Раздел IV: «учителей русского
/// языка, математики, физики, географии, обществознания, начальной школы»), by the codes of the
/// self-diagnosis form's variant options.
pub const PROGRAMME_SUBJECTS: [(&str, &str); 6] = [
    ("russian", "Русский язык"),
    ("math", "Математика"),
    ("physics", "Физика"),
    ("geography", "География"),
    ("social", "Обществознание"),
    ("primary", "Начальные классы"),
];

/// What a teacher's account says she teaches: one of the programme's six subjects (its code), or
/// something else, kept as the department typed it. Stored in `users.subject` as the code or the
/// text; no subject at all is `None` around it (not stated).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TeacherSubject {
    Programme(&'static str),
    Other(String),
}

impl TeacherSubject {
    /// Reads what a department typed in the «Предмет» column: case, «ё» and spaces do not matter;
    /// the six subjects by title, common short forms or code, anything else as another subject.
    /// `None` for an empty cell (not stated).
    pub fn parse(typed: &str) -> Option<TeacherSubject> {
        let text = typed.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() {
            return None;
        }
        let key = text.to_lowercase().replace('ё', "е");
        let code = match key.as_str() {
            "русский язык" | "русский" | "русский язык и литература" | "russian" => {
                "russian"
            }
            "математика" | "алгебра" | "алгебра и геометрия" | "math" => "math",
            "физика" | "physics" => "physics",
            "география" | "geography" => "geography",
            "обществознание" | "social" => "social",
            "начальные классы"
            | "начальная школа"
            | "учитель начальных классов"
            | "начальное общее образование"
            | "primary" => "primary",
            _ => return Some(TeacherSubject::Other(text)),
        };
        Some(TeacherSubject::Programme(code))
    }

    /// Reads the stored text back: a programme code, or another subject's text.
    pub fn from_stored(stored: &str) -> TeacherSubject {
        match PROGRAMME_SUBJECTS.iter().find(|(code, _)| *code == stored) {
            Some((code, _)) => TeacherSubject::Programme(code),
            None => TeacherSubject::Other(stored.to_owned()),
        }
    }

    /// What `users.subject` holds.
    pub fn stored(&self) -> &str {
        match self {
            TeacherSubject::Programme(code) => code,
            TeacherSubject::Other(text) => text,
        }
    }

    /// The subject as lists print it.
    pub fn title_ru(&self) -> &str {
        match self {
            TeacherSubject::Programme(code) => {
                PROGRAMME_SUBJECTS.iter().find(|(c, _)| c == code).map_or(code, |(_, title)| title)
            }
            TeacherSubject::Other(text) => text,
        }
    }

    pub fn is_programme(&self) -> bool {
        matches!(self, TeacherSubject::Programme(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_must_be_long_and_not_the_login() {
        assert!(check_new_password("ivanova", "короткий").is_ok());
        assert!(check_new_password("ivanova", "корот").is_err());
        assert!(check_new_password("ivanova", "IVANOVA1").is_ok());
        assert!(check_new_password("ivanova1", "IVANOVA1").is_err());
        assert!(check_new_password("x", "aaaaaaaaaa").is_err());
    }

    #[test]
    fn a_code_reads_back_however_it_was_typed() {
        let raw = "ABCDEFGH2345";
        assert_eq!(format_code(raw), "ABCD-EFGH-2345");
        assert_eq!(normalise_code("abcd efgh 2345").as_deref(), Some(raw));
        assert_eq!(normalise_code("ABCD-EFGH-2345").as_deref(), Some(raw));
        // Cyrillic А, В, С, Е, Н typed on a Russian keyboard.
        assert_eq!(normalise_code("АВСD-ЕFGН-2345").as_deref(), Some(raw));
        assert_eq!(normalise_code("ABCD-EFGH-234"), None);
        assert_eq!(normalise_code("ABCD-EFGH-23456"), None);
        assert_eq!(normalise_code("ABCD-EFGH-234!"), None);
        // O and I are not in the alphabet, so a code containing them cannot be valid.
        assert_eq!(normalise_code("OBCD-EFGH-2345"), None);
    }

    #[test]
    fn logins_are_transliterated_surnames_with_the_school_prefix() {
        assert_eq!(login_from_name("buraki", "Щукина Юлия Петровна"), "buraki.shchukina");
        assert_eq!(login_from_name("buraki", "Жуков-Ёлкин И. И."), "buraki.zhukovelkin");
        assert_eq!(login_from_name("", "Smith John"), "smith");
        assert_eq!(login_from_name("s", "   "), "s.teacher");
        assert!(valid_login(&login_from_name("buraki", "Щукина")));
        assert!(!valid_login("Bad Login"));
        assert!(!valid_login("ab"));
    }
    #[test]
    fn a_subject_is_read_however_a_department_typed_it() {
        let six = |code| Some(TeacherSubject::Programme(code));
        assert_eq!(TeacherSubject::parse("  Русский   язык "), six("russian"));
        assert_eq!(TeacherSubject::parse("РУССКИЙ"), six("russian"));
        assert_eq!(TeacherSubject::parse("математика"), six("math"));
        assert_eq!(TeacherSubject::parse("Физика"), six("physics"));
        assert_eq!(TeacherSubject::parse("география"), six("geography"));
        assert_eq!(TeacherSubject::parse("Обществознание"), six("social"));
        assert_eq!(TeacherSubject::parse("Начальные классы"), six("primary"));
        assert_eq!(TeacherSubject::parse("начальная школа"), six("primary"));
        assert_eq!(TeacherSubject::parse("Учитель начальных классов"), six("primary"));
        // Anything else is a subject outside the six, kept as typed (spaces tidied).
        assert_eq!(TeacherSubject::parse(" История  России"), Some(TeacherSubject::Other("История России".into())));
        assert_eq!(TeacherSubject::parse("Химия"), Some(TeacherSubject::Other("Химия".into())));
        assert_eq!(TeacherSubject::parse("   "), None);
        assert_eq!(TeacherSubject::parse(""), None);
    }

    #[test]
    fn a_stored_subject_reads_back_as_it_was_written() {
        for typed in ["Русский язык", "начальная школа", "Химия", "Ёлочное искусство"]
        {
            let subject = TeacherSubject::parse(typed).unwrap();
            assert_eq!(TeacherSubject::from_stored(subject.stored()), subject);
        }
        assert_eq!(TeacherSubject::parse("начальная школа").unwrap().title_ru(), "Начальные классы");
        assert_eq!(TeacherSubject::parse("химия").unwrap().title_ru(), "химия");
        assert!(!TeacherSubject::parse("химия").unwrap().is_programme());
    }

    #[test]
    fn the_six_subjects_are_the_self_diagnosis_forms_variants() {
        let form: serde_json::Value =
            serde_json::from_str(include_str!("../../data/forms/self-diagnosis.v1.json")).unwrap();
        let options: Vec<(String, String)> = form["variant"]["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| (o["code"].as_str().unwrap().to_owned(), o["title"].as_str().unwrap().to_owned()))
            .collect();
        let six: Vec<(String, String)> =
            PROGRAMME_SUBJECTS.iter().map(|(c, t)| ((*c).to_owned(), (*t).to_owned())).collect();
        assert_eq!(options, six);
    }

    #[test]
    fn a_principal_chooses_logins_only_in_her_schools_namespace() {
        assert_eq!(read_login_of_school("burakovo", " Burakovo.Ivanova "), Ok("burakovo.ivanova".into()));
        for outside in
            ["spassk.otdel", "burakovo", "burakovo.", "burakovo2.ivanova", "admin", "buraki.x", "burakovox.y"]
        {
            assert_eq!(read_login_of_school("burakovo", outside), Err(login_of_school_rule("burakovo")), "{outside}");
        }
        // A login that is no login at all says so first, as everywhere.
        assert_eq!(read_login_of_school("burakovo", "Bad Login"), Err(read_login("Bad Login").unwrap_err()));
        assert_eq!(login_prefix_of("burakovo.director"), Some("burakovo"));
        assert_eq!(login_prefix_of("admin"), None);
        assert_eq!(login_prefix_of(".x"), None);
        let candidates = login_prefix_candidates(Some("burakovo.director"), "МБОУ «Бураковская СОШ»");
        assert_eq!(&candidates[..3], ["burakovo", "burakovskaya", "burakovskaya2"]);
        assert!(candidates.iter().all(|c| valid_login_prefix(c)), "{candidates:?}");
        let numbered = login_prefix_candidates(None, "МОУ «Школа № 199»");
        assert_eq!(numbered[0], "shkola199", "the number in the name first: {:?}", &numbered[..3]);
        assert_eq!(numbered.iter().collect::<std::collections::BTreeSet<_>>().len(), numbered.len());
        assert!(numbered.len() > 5_000, "a region's namesakes each get a prefix");
        let long = login_prefix_candidates(None, "Верхнеуслонскаяшкола-интернатимени");
        assert!(long.iter().all(|c| valid_login_prefix(c)), "{long:?}");
        assert!(valid_login(&login_from_name(&long[5], &"Щ".repeat(200))), "a derived login is always a login");
    }

    #[test]
    fn every_way_in_reads_names_logins_and_subjects_by_one_set_of_limits() {
        assert_eq!(read_full_name("  Иванова   Мария  Петровна "), Ok("Иванова Мария Петровна".into()));
        assert!(read_full_name(&"Я".repeat(200)).is_ok());
        for bad in ["", "  ", "Ив", "Иванова\nМария", "Иванова\tМария", "Ива\u{202E}нова", "Ива\u{7}нова"]
        {
            assert!(read_full_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(read_full_name(&"Я".repeat(300)), Err("ФИО: от 3 до 200 символов, а здесь 300.".into()));
        assert_eq!(read_subject(&"х".repeat(5000)), Err("Предмет: не больше 100 символов, а здесь 5000.".into()));
        assert_eq!(read_subject(" химия "), Ok(Some(TeacherSubject::Other("химия".into()))));
        assert_eq!(read_subject(""), Ok(None));
        assert_eq!(read_login(" Burakovo.Petrova "), Ok("burakovo.petrova".into()));
        assert!(read_login(&"a".repeat(65)).unwrap_err().contains('…'), "a long login is shown cut");
        assert!(read_organisation_name(Organisation::School, &"Ш".repeat(201)).is_err());
        assert!(read_organisation_name(Organisation::School, "Бураковская СОШ").is_ok());
    }
}
