//! Rules for accounts that both the app and the server apply: what a new password must be, how an
//! activation code is written and read back, how a login is derived from a person's name, and
//! what subject a teacher teaches (the programme counts the teachers of six subjects).
//!
//! Rural teachers often have no e-mail: a principal creates the account and hands over a one-time
//! activation code on paper; the teacher types it on a phone and chooses her password.

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
    if prefix.is_empty() { latin } else { format!("{prefix}.{latin}") }
}

/// Whether a login is acceptable: lowercase Latin letters, digits, dots, dashes and underscores.
pub fn valid_login(login: &str) -> bool {
    (3..=64).contains(&login.len())
        && login.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_'))
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
}
