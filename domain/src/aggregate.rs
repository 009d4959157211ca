//! Aggregation of teachers' self-diagnoses for people who may only see groups: per school, per
//! municipality.
//!
//! A group smaller than the configured minimum is suppressed («недостаточно данных»): an average
//! over two teachers of a small rural school would tell the department what each of them answered.

use crate::AreaId;
use crate::scoring::{Level, Profile};
use serde::{Deserialize, Serialize};

/// The default smallest group whose aggregate may be shown.
pub const DEFAULT_MIN_GROUP: u32 = 5;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AreaStat {
    /// Fewer respondents than the minimum group: no figure is given.
    Suppressed,
    Shown {
        respondents: u32,
        /// Mean of the respondents' area scores, in percent of the maximum.
        mean_percent: f64,
        /// Share of respondents (0–1) for whom the area is a deficit.
        deficit_share: f64,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AreaAggregate {
    pub area: AreaId,
    pub stat: AreaStat,
}

/// What a group of teachers (a school, a municipality) looks like from outside.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupSummary {
    /// Teachers with an account in the group.
    pub teachers: u32,
    /// Teachers with at least one submitted self-diagnosis.
    pub completed: u32,
    pub areas: Vec<AreaAggregate>,
}

impl GroupSummary {
    /// Completed share 0–1, `None` for a group without teachers.
    pub fn completed_share(&self) -> Option<f64> {
        (self.teachers > 0).then(|| f64::from(self.completed) / f64::from(self.teachers))
    }
}

/// Summarises the latest profile of each teacher of a group. `areas` fixes the order (the form's
/// sections), so every school's row lines up in the same columns.
pub fn summarise(areas: &[AreaId], teachers: u32, latest_profiles: &[&Profile], min_group: u32) -> GroupSummary {
    let areas = areas
        .iter()
        .map(|area| {
            let scored: Vec<(f64, bool)> = latest_profiles
                .iter()
                .filter_map(|p| p.area(area))
                .filter_map(|a| Some((a.percent()?, a.level? == Level::Deficit)))
                .collect();
            let respondents = scored.len() as u32;
            let stat = if respondents == 0 || respondents < min_group.max(1) {
                AreaStat::Suppressed
            } else {
                let n = f64::from(respondents);
                AreaStat::Shown {
                    respondents,
                    mean_percent: scored.iter().map(|(p, _)| p).sum::<f64>() / n,
                    deficit_share: scored.iter().filter(|(_, d)| *d).count() as f64 / n,
                }
            };
            AreaAggregate { area: area.clone(), stat }
        })
        .collect();
    GroupSummary { teachers, completed: latest_profiles.len() as u32, areas }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ItemId;
    use crate::diagnosis::Answers;
    use crate::form::tests_support::small_form;
    use crate::scoring::score;

    fn profile(pairs: &[(&str, u8)]) -> Profile {
        let answers: Answers = pairs.iter().map(|(k, v)| (ItemId::from(*k), *v)).collect();
        score(&small_form(), Some(&"math".into()), &answers)
    }

    fn area_ids() -> Vec<AreaId> {
        vec!["a".into(), "b".into(), "s".into()]
    }

    #[test]
    fn a_group_at_the_minimum_shows_hand_computed_means() {
        // Area a per teacher: 0/6, 3/6, 6/6, 6/6 → 0, 50, 100, 100 → mean 62.5 %, one deficit in four.
        let ps = [
            profile(&[("a1", 0), ("a2", 0), ("m1", 3)]),
            profile(&[("a1", 3), ("a2", 0), ("m1", 3)]),
            profile(&[("a1", 3), ("a2", 3), ("m1", 3)]),
            profile(&[("a1", 3), ("a2", 3), ("m1", 0)]),
        ];
        let refs: Vec<&Profile> = ps.iter().collect();
        let s = summarise(&area_ids(), 7, &refs, 4);
        assert_eq!((s.teachers, s.completed), (7, 4));
        assert_eq!(s.areas[0].stat, AreaStat::Shown { respondents: 4, mean_percent: 62.5, deficit_share: 0.25 });
        // Nobody answered optional b: no data is suppressed, not zero.
        assert_eq!(s.areas[1].stat, AreaStat::Suppressed);
        // s: 100, 100, 100, 0 → 75 %, one deficit.
        assert_eq!(s.areas[2].stat, AreaStat::Shown { respondents: 4, mean_percent: 75.0, deficit_share: 0.25 });
        assert_eq!(s.completed_share(), Some(4.0 / 7.0));
    }

    #[test]
    fn a_group_below_the_minimum_is_suppressed_but_still_counted() {
        let ps = [profile(&[("a1", 3), ("a2", 3), ("m1", 3)])];
        let refs: Vec<&Profile> = ps.iter().collect();
        let s = summarise(&area_ids(), 3, &refs, DEFAULT_MIN_GROUP);
        assert_eq!((s.teachers, s.completed), (3, 1));
        assert!(s.areas.iter().all(|a| a.stat == AreaStat::Suppressed));
    }

    #[test]
    fn an_empty_group_has_no_share_and_no_figures() {
        let s = summarise(&area_ids(), 0, &[], 1);
        assert_eq!(s.completed_share(), None);
        assert!(s.areas.iter().all(|a| a.stat == AreaStat::Suppressed));
    }
}
