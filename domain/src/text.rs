//! What text the system accepts at all, wherever it comes from (a JSON body, an imported table,
//! a report cell): no control characters, which print as nothing or break a line where none was
//! typed, and no bidirectional overrides, which make «фамилия» display as something else than it
//! is (the «Trojan Source» trick) and hide text in exports.
//!
//! Line breaks and tabs are text in a multi-line field (a report's comment, a plan's measure);
//! a name, a login or a period is one line.

use serde::{Deserialize, Serialize};

/// Whether a string may hold line breaks and tabs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lines {
    One,
    Many,
}

/// A character no text may contain, and where it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForbiddenChar {
    /// Position counted in characters from 1, as a person counts.
    pub position: usize,
    pub ch: char,
}

impl ForbiddenChar {
    /// «символ U+202E (управление направлением текста) на 5-м месте».
    pub fn message_ru(&self) -> String {
        let kind = if is_bidi_control(self.ch) {
            "управление направлением текста"
        } else if matches!(self.ch, '\n' | '\r' | '\t' | '\u{2028}' | '\u{2029}') {
            "перенос строки или табуляция"
        } else {
            "управляющий символ"
        };
        format!(
            "Недопустимый символ U+{:04X} ({kind}) на {}-м месте. Удалите его и введите текст заново.",
            self.ch as u32, self.position
        )
    }
}

/// The bidirectional formatting characters of Unicode (UAX #9): embeddings, overrides, isolates
/// and the implicit marks.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether `c` is refused in text of the given kind.
pub fn is_forbidden(c: char, lines: Lines) -> bool {
    match c {
        '\n' | '\r' | '\t' => lines == Lines::One,
        // The line and paragraph separators: line breaks that most programs do not show as such.
        '\u{2028}' | '\u{2029}' => true,
        c if c.is_control() => true,
        c => is_bidi_control(c),
    }
}

/// The first character of `text` that no text may contain.
pub fn forbidden_char(text: &str, lines: Lines) -> Option<ForbiddenChar> {
    text.chars().enumerate().find(|(_, c)| is_forbidden(*c, lines)).map(|(i, ch)| ForbiddenChar { position: i + 1, ch })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_russian_text_passes() {
        for text in
            ["Иванова Мария Петровна", "МБОУ «Бураковская СОШ» № 2", "63 балла (в 2017-2018г – 69)", "5,5 %", ""]
        {
            assert_eq!(forbidden_char(text, Lines::One), None, "{text}");
        }
        assert_eq!(forbidden_char("строка 1\nстрока 2\tконец\r\n", Lines::Many), None);
    }

    #[test]
    fn control_and_direction_characters_are_found_where_they_are() {
        type Case<'a> = (&'a str, Lines, Option<(usize, char)>);
        let cases: &[Case] = &[
            ("ab\u{0}c", Lines::Many, Some((3, '\u{0}'))),
            ("\u{7}", Lines::Many, Some((1, '\u{7}'))),
            ("x\u{7f}", Lines::Many, Some((2, '\u{7f}'))),
            ("x\u{85}", Lines::Many, Some((2, '\u{85}'))),
            ("фамилия\u{202E}йиц", Lines::Many, Some((8, '\u{202E}'))),
            ("\u{2066}x", Lines::Many, Some((1, '\u{2066}'))),
            ("a\u{200F}", Lines::Many, Some((2, '\u{200F}'))),
            ("a\u{061C}", Lines::Many, Some((2, '\u{061C}'))),
            ("a\u{2028}b", Lines::Many, Some((2, '\u{2028}'))),
            ("одна\nстрока", Lines::One, Some((5, '\n'))),
            ("tab\there", Lines::One, Some((4, '\t'))),
            ("one\ntwo", Lines::Many, None),
        ];
        for (text, lines, expected) in cases {
            let found = forbidden_char(text, *lines).map(|f| (f.position, f.ch));
            assert_eq!(found, *expected, "{text:?} as {lines:?}");
        }
    }

    #[test]
    fn the_message_names_the_character_and_its_place() {
        let f = forbidden_char("ab\u{202E}", Lines::One).unwrap();
        assert_eq!(
            f.message_ru(),
            "Недопустимый символ U+202E (управление направлением текста) на 3-м месте. Удалите его и введите текст заново."
        );
    }
}
