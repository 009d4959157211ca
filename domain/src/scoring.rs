//! Scoring a self-diagnosis: points per competency area as a share of the maximum, and the level
//! each area falls into by the form's thresholds.
//!
//! Everything is integer arithmetic until display, so a score exactly on a threshold lands on the
//! same side in the browser and on the server.

use crate::diagnosis::Answers;
use crate::form::{FormDefinition, Recommendation, ScoringRules, applies};
use crate::{AreaId, FormRef, ItemId, SubjectCode};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Deficit,
    Growth,
    Strength,
}

impl Level {
    pub fn title_ru(self) -> &'static str {
        match self {
            Level::Deficit => "Дефицит",
            Level::Growth => "Зона роста",
            Level::Strength => "Сильная сторона",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AreaScore {
    pub area: AreaId,
    pub points: u32,
    pub max_points: u32,
    /// How many of the area's applicable items were answered.
    pub answered: u32,
    /// `None` when nothing in the area was answered: no data is not a deficit.
    pub level: Option<Level>,
}

impl AreaScore {
    /// The score as a percentage of the maximum, for display and averaging.
    pub fn percent(&self) -> Option<f64> {
        (self.max_points > 0).then(|| f64::from(self.points) * 100.0 / f64::from(self.max_points))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub form: FormRef,
    pub subject: Option<SubjectCode>,
    /// One entry per section of the form, in the form's order.
    pub areas: Vec<AreaScore>,
    /// Answers that were not counted: unknown items (say, from a draft of an older version), items
    /// of another subject, or values beyond the scale.
    pub ignored: Vec<ItemId>,
}

impl Profile {
    pub fn area(&self, id: &AreaId) -> Option<&AreaScore> {
        self.areas.iter().find(|a| &a.area == id)
    }
}

/// The level of `points` out of `max_points` under `rules`, by exact integer comparison.
pub fn level(rules: &ScoringRules, points: u32, max_points: u32) -> Option<Level> {
    if max_points == 0 {
        return None;
    }
    let scaled = u64::from(points) * 100;
    let max = u64::from(max_points);
    Some(if scaled < u64::from(rules.deficit_below_percent) * max {
        Level::Deficit
    } else if scaled >= u64::from(rules.strength_from_percent) * max {
        Level::Strength
    } else {
        Level::Growth
    })
}

/// Scores `answers` of a teacher of `subject` against `form`. Never fails: what cannot be counted is
/// listed in [`Profile::ignored`], and an unanswered optional item simply does not count.
pub fn score(form: &FormDefinition, subject: Option<&SubjectCode>, answers: &Answers) -> Profile {
    let default_rules = ScoringRules { deficit_below_percent: 50, strength_from_percent: 80 };
    let rules = form.scoring.as_ref().unwrap_or(&default_rules);
    let areas = form
        .sections
        .iter()
        .map(|section| {
            let (mut points, mut max_points, mut answered) = (0u32, 0u32, 0u32);
            for field in section.fields.iter().filter(|f| applies(f, subject)) {
                let scale_max = form.scale_of(field).len().saturating_sub(1) as u32;
                match answers.get(&field.id).map(|&v| u32::from(v)) {
                    Some(v) if v <= scale_max => {
                        points += v;
                        max_points += scale_max;
                        answered += 1;
                    }
                    // A required item left blank counts as zero: the teacher did not claim it.
                    // Submissions never get here (they must be complete), only partial drafts.
                    _ if !field.optional => max_points += scale_max,
                    _ => {}
                }
            }
            let level = if answered == 0 { None } else { level(rules, points, max_points) };
            AreaScore { area: section.id.clone(), points, max_points, answered, level }
        })
        .collect();
    let ignored = answers
        .iter()
        .filter(|(item, value)| match form.field(item) {
            None => true,
            Some(f) => !applies(f, subject) || usize::from(**value) >= form.scale_of(f).len(),
        })
        .map(|(item, _)| item.clone())
        .collect();
    Profile { form: form.form_ref(), subject: subject.cloned(), areas, ignored }
}

/// One line of a development plan: an area to work on and the topics the form recommends for it.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanEntry<'a> {
    pub area: &'a AreaId,
    pub title: &'a str,
    pub level: Level,
    pub percent: f64,
    pub topics: Vec<&'a Recommendation>,
}

/// The development plan of a profile: deficits first, then zones of growth, weakest first within
/// each. Strengths need no plan.
pub fn development_plan<'a>(form: &'a FormDefinition, profile: &'a Profile) -> Vec<PlanEntry<'a>> {
    let mut plan: Vec<PlanEntry<'a>> = profile
        .areas
        .iter()
        .filter_map(|a| {
            let level = a.level.filter(|l| *l != Level::Strength)?;
            let section = form.section(&a.area)?;
            Some(PlanEntry {
                area: &a.area,
                title: &section.title,
                level,
                percent: a.percent()?,
                topics: section.recommendations_for(profile.subject.as_ref()).collect(),
            })
        })
        .collect();
    plan.sort_by(|a, b| a.level.cmp(&b.level).then(a.percent.total_cmp(&b.percent)));
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::tests_support::small_form;

    fn answers(pairs: &[(&str, u8)]) -> Answers {
        pairs.iter().map(|(k, v)| (ItemId::from(*k), *v)).collect()
    }

    fn area<'a>(p: &'a Profile, id: &str) -> &'a AreaScore {
        p.area(&id.into()).unwrap()
    }

    // small_form: scale 0..=3; thresholds deficit < 50 %, strength ≥ 80 %.
    // Area "a": a1, a2 (required). Area "b": b1 (optional). Area "s": m1 (math only), r1 (russian only).

    #[test]
    fn a_hand_computed_profile() {
        let p = score(&small_form(), Some(&"math".into()), &answers(&[("a1", 3), ("a2", 1), ("b1", 3), ("m1", 1)]));
        // a: (3 + 1) / 6 = 66.7 % → growth
        assert_eq!((area(&p, "a").points, area(&p, "a").max_points), (4, 6));
        assert_eq!(area(&p, "a").level, Some(Level::Growth));
        // b: 3 / 3 = 100 % → strength
        assert_eq!(area(&p, "b").level, Some(Level::Strength));
        // s: only m1 applies to a math teacher: 1 / 3 = 33.3 % → deficit
        assert_eq!((area(&p, "s").points, area(&p, "s").max_points), (1, 3));
        assert_eq!(area(&p, "s").level, Some(Level::Deficit));
        assert!(p.ignored.is_empty());
    }

    #[test]
    fn all_zeros_is_a_deficit_everywhere_answered() {
        let p = score(&small_form(), Some(&"math".into()), &answers(&[("a1", 0), ("a2", 0), ("b1", 0), ("m1", 0)]));
        for a in &p.areas {
            assert_eq!((a.points, a.level), (0, Some(Level::Deficit)), "{}", a.area);
            assert_eq!(a.percent(), Some(0.0));
        }
    }

    #[test]
    fn all_max_is_a_strength_everywhere() {
        let p = score(&small_form(), Some(&"russian".into()), &answers(&[("a1", 3), ("a2", 3), ("b1", 3), ("r1", 3)]));
        for a in &p.areas {
            assert_eq!(a.level, Some(Level::Strength), "{}", a.area);
            assert_eq!(a.percent(), Some(100.0));
        }
    }

    #[test]
    fn a_skipped_optional_item_counts_neither_way() {
        let p = score(&small_form(), Some(&"math".into()), &answers(&[("a1", 3), ("a2", 3), ("m1", 3)]));
        let b = area(&p, "b");
        assert_eq!((b.points, b.max_points, b.answered, b.level), (0, 0, 0, None));
        assert_eq!(b.percent(), None);
        assert_eq!(area(&p, "a").level, Some(Level::Strength));
    }

    #[test]
    fn an_unknown_item_from_an_old_draft_is_ignored_and_reported() {
        let p = score(
            &small_form(),
            Some(&"math".into()),
            &answers(&[("a1", 2), ("a2", 2), ("m1", 2), ("retired-item", 3)]),
        );
        assert_eq!(p.ignored, vec![ItemId::from("retired-item")]);
        // 4 / 6 = 66.7 %: the retired item added nothing.
        assert_eq!((area(&p, "a").points, area(&p, "a").max_points), (4, 6));
    }

    #[test]
    fn answers_of_another_subject_and_out_of_scale_values_are_ignored() {
        let p = score(&small_form(), Some(&"math".into()), &answers(&[("a1", 9), ("a2", 2), ("r1", 3), ("m1", 2)]));
        assert_eq!(p.ignored, vec![ItemId::from("a1"), ItemId::from("r1")]);
        // a1 is required and has no valid answer: it counts as zero of three.
        assert_eq!((area(&p, "a").points, area(&p, "a").max_points), (2, 6));
    }

    #[test]
    fn a_score_exactly_on_a_threshold_takes_the_upper_level() {
        let rules = ScoringRules { deficit_below_percent: 50, strength_from_percent: 80 };
        assert_eq!(level(&rules, 3, 6), Some(Level::Growth)); // exactly 50 %
        assert_eq!(level(&rules, 29, 60), Some(Level::Deficit)); // 48.3 %
        assert_eq!(level(&rules, 4, 5), Some(Level::Strength)); // exactly 80 %
        assert_eq!(level(&rules, 47, 60), Some(Level::Growth)); // 78.3 %
        assert_eq!(level(&rules, 0, 0), None);
    }

    #[test]
    fn the_plan_lists_deficits_first_with_subject_specific_topics() {
        let form = small_form();
        let p = score(&form, Some(&"math".into()), &answers(&[("a1", 2), ("a2", 2), ("b1", 0), ("m1", 0)]));
        let plan = development_plan(&form, &p);
        let areas: Vec<_> = plan.iter().map(|e| (e.area.as_str(), e.level)).collect();
        // s (0 %) and b (0 %) are deficits, a (66.7 %) is growth.
        assert_eq!(areas, [("b", Level::Deficit), ("s", Level::Deficit), ("a", Level::Growth)]);
        let s_topics: Vec<_> = plan[1].topics.iter().map(|r| r.title.as_str()).collect();
        assert_eq!(s_topics, ["Общая тема", "Тема по математике"]);
    }
}
