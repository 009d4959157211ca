//! Aggregation of teachers' self-diagnoses for people who may only see groups: per school, per
//! subject, per municipality, per region — and the disclosure control that keeps every one of
//! those figures from being combined into one teacher's result (ARCHITECTURE.md, «Disclosure
//! control»).
//!
//! A group smaller than the configured minimum `k` is suppressed («недостаточно данных»): an
//! average over two teachers of a small rural school would tell the department what each of them
//! answered. Suppressing small groups is not enough on its own: two published groups that differ
//! by one teacher (another filter, a reading before and after her submission, before and after
//! her account was switched off) give her result by subtraction. So every published figure is a
//! sum over whole *atoms* of one partition ([`release`]), each atom's published state moves only
//! in steps of at least `k` teachers, and [`summarise_atoms`] takes an atom's area into a figure
//! only when at least `k` of its members have a score there.

use crate::scoring::{AreaScore, Level, Profile};
use crate::{AreaId, MunicipalityId, SchoolId, SubjectCode, UserId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

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

/// One self-diagnosis as the server received it: what the release rule replays.
#[derive(Clone, Copy, Debug)]
pub struct Received<'a> {
    /// The server's order of receipt (a sequence it assigns), never the device's clock: a device
    /// can lie about its clock, and two devices' clocks disagree.
    pub receipt: i64,
    pub teacher: UserId,
    /// The school stored with the submission: where she worked when she submitted, whatever her
    /// account says today.
    pub school: SchoolId,
    pub municipality: MunicipalityId,
    /// Scored at receipt; its subject is the cell's subject.
    pub profile: &'a Profile,
}

/// An atom of the partition: every figure about teachers is a sum over whole atoms.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AtomKey {
    /// The teachers of one subject in one school, once at least `k` distinct teachers have
    /// submitted there.
    Cell { school: SchoolId, subject: Option<SubjectCode> },
    /// A municipality's smaller cells of one subject, together.
    Pool { municipality: MunicipalityId, subject: Option<SubjectCode> },
}

/// An atom as last released: its members' profiles as they were at that release.
#[derive(Clone, Debug, PartialEq)]
pub struct Atom<'a> {
    pub key: AtomKey,
    pub municipality: MunicipalityId,
    /// The schools its members submitted at: one for a cell, any number for a pool.
    pub schools: BTreeSet<SchoolId>,
    pub members: Vec<&'a Profile>,
}

impl Atom<'_> {
    pub fn subject(&self) -> Option<&SubjectCode> {
        match &self.key {
            AtomKey::Cell { subject, .. } | AtomKey::Pool { subject, .. } => subject.as_ref(),
        }
    }

    fn is_pool(&self) -> bool {
        matches!(self.key, AtomKey::Pool { .. })
    }
}

/// What may be published about a region's teachers: the released atoms, and who has submitted.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Released<'a> {
    /// Non-empty atoms, in key order.
    pub atoms: Vec<Atom<'a>>,
    /// Teachers whose latest submission names each school. Coverage, not scores: it moves with
    /// every submission, which tells no more than a principal's list of who has submitted.
    pub submitted: HashMap<SchoolId, u32>,
}

impl<'a> Released<'a> {
    /// A school's own figure: its cells, never a pool (a pool holds other schools' teachers).
    pub fn of_school(&self, school: SchoolId) -> Vec<&Atom<'a>> {
        self.atoms.iter().filter(|a| !a.is_pool() && a.schools.contains(&school)).collect()
    }

    /// Every school's own atoms (as [`Released::of_school`] gives them, in key order), found once
    /// for a table of many schools instead of a pass over all atoms per school.
    pub fn cells_by_school(&self) -> HashMap<SchoolId, Vec<&Atom<'a>>> {
        let mut cells: HashMap<SchoolId, Vec<&Atom<'a>>> = HashMap::new();
        for atom in self.atoms.iter().filter(|a| !a.is_pool()) {
            for school in &atom.schools {
                cells.entry(*school).or_default().push(atom);
            }
        }
        cells
    }

    /// A figure over a set of schools (a filter of the department's view): the cells of those
    /// schools, and each pool whose schools are all in the set. A pool reaching outside the set
    /// is left out whole: taking part of it would let two filters differ by less than an atom.
    pub fn within(&self, schools: &HashSet<SchoolId>) -> Vec<&Atom<'a>> {
        self.atoms.iter().filter(|a| a.schools.iter().all(|s| schools.contains(s))).collect()
    }

    /// Every atom of a municipality, pools included.
    pub fn of_municipality(&self, municipality: MunicipalityId) -> Vec<&Atom<'a>> {
        self.atoms.iter().filter(|a| a.municipality == municipality).collect()
    }

    /// Where `atom` (one of [`Released::atoms`], as the other methods hand them out) stands in
    /// `atoms`.
    fn index_of(&self, atom: &Atom<'a>) -> Option<usize> {
        let offset = (atom as *const Atom<'a> as usize).checked_sub(self.atoms.as_ptr() as usize)?;
        let index = offset / std::mem::size_of::<Atom<'a>>().max(1);
        self.atoms.get(index).filter(|a| std::ptr::eq(*a, atom)).map(|_| index)
    }

    /// Every atom's [`AreaBlock`] of each of `areas` (a form's sections, in order), worked out
    /// once: a view sums the same atom into a school's row, its subject's row and the topics.
    pub fn area_blocks<'r>(&'r self, areas: &'r [AreaId], k: u32) -> AreaBlocks<'r, 'a> {
        let blocks = self
            .atoms
            .iter()
            .map(|atom| areas.iter().enumerate().map(|(index, area)| area_block_at(atom, index, area, k)).collect())
            .collect();
        AreaBlocks { released: self, areas, k, blocks }
    }

    /// Teachers whose latest submission names one of these schools.
    pub fn submitted_at<'s>(&self, schools: impl IntoIterator<Item = &'s SchoolId>) -> u32 {
        schools.into_iter().map(|s| self.submitted.get(s).copied().unwrap_or(0)).sum()
    }
}

/// A teacher's current submission and the atom it is routed to.
#[cfg(test)]
struct Live {
    /// Index into the receipt-ordered submissions.
    at: usize,
    route: AtomKey,
}

/// Hashes the replay's numbers, ids and subject codes: the default SipHash guards a map against
/// keys chosen to collide, which numbers handed out in order, ids the server generated and
/// subjects checked against the form are not, and it cost most of the replay's time. The coverage
/// (`coverage.rs`) hashes ids with it too.
#[derive(Default)]
pub(crate) struct NumberHasher(u64);

impl std::hash::Hasher for NumberHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, n: u64) {
        // Folded 128-bit product: every bit of the input reaches the low bits the table indexes by.
        let product = u128::from(self.0 ^ n) * 0x9e37_79b9_7f4a_7c15;
        self.0 = (product as u64) ^ ((product >> 64) as u64);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn write_u128(&mut self, n: u128) {
        self.write_u64((n as u64) ^ ((n >> 64) as u64));
    }
}

pub(crate) type NumberMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<NumberHasher>>;
type NumberSet<K> = HashSet<K, std::hash::BuildHasherDefault<NumberHasher>>;

/// The replay's state of one teacher; teachers, cells and atoms are numbered in order of first
/// appearance so that the replay hashes small integers, never ids and subject strings.
#[derive(Default)]
struct TeacherState {
    /// Her latest submission: its index in receipt order, the atom it is routed to, its cell.
    live: Option<(usize, usize, usize)>,
    /// The atom publishing her now.
    published_in: Option<usize>,
    /// The atoms she is pending in (a handful at most).
    pending_in: Vec<usize>,
}

struct AtomState {
    key: AtomKey,
    /// Who was published at the last release, with which submission.
    published: NumberMap<usize, usize>,
    /// Who may have changed since, each with whether she counts as a change right now.
    pending: NumberMap<usize, bool>,
    /// How many of `pending` count as a change: kept up to date as teachers move, so checking an
    /// atom costs nothing however many teachers wait in it (a large pool).
    changes: usize,
}

struct CellState {
    atom: usize,
    pool: usize,
    /// Distinct teachers who ever submitted here.
    submitters: NumberSet<usize>,
    own: bool,
    /// Teachers whose latest submission is here.
    live: NumberSet<usize>,
}

#[derive(Default)]
struct Replay<'a> {
    teacher_ids: NumberMap<UserId, usize>,
    teachers: Vec<TeacherState>,
    cell_ids: NumberMap<(SchoolId, Option<&'a SubjectCode>), usize>,
    cells: Vec<CellState>,
    atom_ids: NumberMap<AtomKey, usize>,
    atoms: Vec<AtomState>,
}

impl<'a> Replay<'a> {
    fn atom(&mut self, key: AtomKey) -> usize {
        let next = self.atoms.len();
        *self.atom_ids.entry(key).or_insert_with_key(|key| {
            self.atoms.push(AtomState {
                key: key.clone(),
                published: NumberMap::default(),
                pending: NumberMap::default(),
                changes: 0,
            });
            next
        })
    }

    fn cell(&mut self, r: &Received<'a>, k: usize) -> usize {
        let subject = r.profile.subject.as_ref();
        if let Some(id) = self.cell_ids.get(&(r.school, subject)) {
            return *id;
        }
        let atom = self.atom(AtomKey::Cell { school: r.school, subject: subject.cloned() });
        let pool = self.atom(AtomKey::Pool { municipality: r.municipality, subject: subject.cloned() });
        let id = self.cells.len();
        self.cells.push(CellState {
            atom,
            pool,
            // Sized for the k submitters that make the cell an atom: growing there, set by set
            // over thousands of cells, was a sixth of the replay.
            submitters: NumberSet::with_capacity_and_hasher(k, Default::default()),
            own: false,
            live: NumberSet::with_capacity_and_hasher(k, Default::default()),
        });
        self.cell_ids.insert((r.school, subject), id);
        id
    }

    fn teacher(&mut self, id: UserId) -> usize {
        let next = self.teachers.len();
        *self.teacher_ids.entry(id).or_insert_with(|| {
            self.teachers.push(TeacherState::default());
            next
        })
    }

    /// Whether a pending teacher is a change of the atom: submitted again (here or elsewhere)
    /// since its release, or entered it while no other atom publishes her. Moved by a cell
    /// leaving the pool with the same submission: not a change.
    fn counts(&self, teacher: usize, atom: usize) -> bool {
        let t = &self.teachers[teacher];
        let Some((at, route, _)) = t.live else { return false };
        match self.atoms[atom].published.get(&teacher) {
            Some(published_at) => at != *published_at,
            None => route == atom && t.published_in.is_none(),
        }
    }

    fn add_pending(&mut self, atom: usize, teacher: usize) {
        if self.atoms[atom].pending.contains_key(&teacher) {
            return;
        }
        let counts = self.counts(teacher, atom);
        let a = &mut self.atoms[atom];
        a.pending.insert(teacher, counts);
        a.changes += usize::from(counts);
        self.teachers[teacher].pending_in.push(atom);
    }

    /// After her submission, route or publication changed: whether she counts as a change of each
    /// atom she waits in.
    fn refresh(&mut self, teacher: usize) {
        for i in 0..self.teachers[teacher].pending_in.len() {
            let atom = self.teachers[teacher].pending_in[i];
            let now = self.counts(teacher, atom);
            let a = &mut self.atoms[atom];
            let was = a.pending.insert(teacher, now).unwrap_or(false);
            a.changes = a.changes + usize::from(now) - usize::from(was);
        }
    }

    fn receive(&mut self, i: usize, r: &Received<'a>, k: usize) {
        let cell = self.cell(r, k);
        let teacher = self.teacher(r.teacher);
        let c = &mut self.cells[cell];
        c.submitters.insert(teacher);
        let newly_own = c.submitters.len() >= k && !c.own;
        c.own |= newly_own;
        let (cell_atom, pool) = (c.atom, c.pool);
        let route = if c.own { cell_atom } else { pool };
        let mut dirty: Vec<usize> = Vec::new();
        let previous = self.teachers[teacher].live.replace((i, route, cell));
        self.refresh(teacher);
        if let Some((_, previous_route, previous_cell)) = previous {
            self.cells[previous_cell].live.remove(&teacher);
            self.add_pending(previous_route, teacher);
            dirty.push(previous_route);
        }
        self.cells[cell].live.insert(teacher);
        self.add_pending(route, teacher);
        dirty.push(route);
        if newly_own {
            // The cell's teachers still in the pool move to the cell with the submission they have.
            let moving: Vec<usize> = self.cells[cell]
                .live
                .iter()
                .copied()
                .filter(|t| self.teachers[*t].live.is_some_and(|(_, route, _)| route == pool))
                .collect();
            for t in moving {
                if let Some(live) = &mut self.teachers[t].live {
                    live.1 = cell_atom;
                }
                self.refresh(t);
                self.add_pending(pool, t);
                self.add_pending(cell_atom, t);
            }
            dirty.push(pool);
        }
        dirty.sort_unstable();
        dirty.dedup();
        // Releasing one atom may free teachers another atom was waiting for: settle until quiet,
        // smallest key first. Each release publishes or unpublishes at least one stale teacher, so
        // this ends.
        while let Some(atom) = self.pop_first(&mut dirty) {
            if self.atoms[atom].changes < k {
                continue;
            }
            let candidates: Vec<usize> = self.atoms[atom].pending.drain().map(|(t, _)| t).collect();
            for t in &candidates {
                self.teachers[*t].pending_in.retain(|a| *a != atom);
            }
            let mut waiting = Vec::new();
            for t in candidates {
                let Some((at, route, _)) = self.teachers[t].live else { continue };
                let published_here = self.atoms[atom].published.contains_key(&t);
                match published_here {
                    true if route == atom => {
                        self.atoms[atom].published.insert(t, at);
                    }
                    true => {
                        self.atoms[atom].published.remove(&t);
                        self.teachers[t].published_in = None;
                        self.refresh(t);
                        // Wherever she is routed now may have been waiting for her.
                        if !dirty.contains(&route) {
                            dirty.push(route);
                        }
                    }
                    false if route == atom && self.teachers[t].published_in.is_none() => {
                        self.atoms[atom].published.insert(t, at);
                        self.teachers[t].published_in = Some(atom);
                        self.refresh(t);
                    }
                    false if route == atom => waiting.push(t),
                    // Came and went between two releases: never published here.
                    false => {}
                }
            }
            self.atoms[atom].changes = 0;
            for t in waiting {
                self.add_pending(atom, t);
            }
        }
    }

    /// Takes the dirty atom with the smallest key (the order the plain replay settles in).
    fn pop_first(&self, dirty: &mut Vec<usize>) -> Option<usize> {
        let (index, _) = dirty.iter().enumerate().min_by(|a, b| self.atoms[*a.1].key.cmp(&self.atoms[*b.1].key))?;
        Some(dirty.swap_remove(index))
    }
}

/// Replays a region's submissions in the server's order of receipt and returns each atom as last
/// released. Deterministic and stateless: the same submissions give the same atoms, so nothing
/// but the submissions themselves (with their receipt order) has to be stored.
///
/// - A teacher counts with her latest submission (by receipt), in the cell of that submission's
///   school and subject.
/// - A cell becomes an atom of its own once `k` distinct teachers have submitted in it (it never
///   goes back); until then its teachers belong to the pool of their municipality and subject.
/// - An atom is released (its published members and profiles replaced by the current ones) only
///   when at least `k` distinct teachers have changed in it since its last release: entered it,
///   submitted again in it, or left it by submitting elsewhere. The first release needs `k`.
/// - A teacher is published in at most one atom at a time: she enters an atom's release only once
///   the atom that published her before has released without her. A cell leaving the pool moves
///   its teachers without a new submission; that move is not counted as a change of the pool (it
///   would let the pool release with fewer than `k` real changes and hand the rest to the cell).
pub fn release<'a>(received: &[Received<'a>], k: u32) -> Released<'a> {
    let k = k.max(1) as usize;
    let mut order: Vec<&Received<'a>> = received.iter().collect();
    order.sort_by_key(|r| r.receipt);
    // Sized for every submission being a new teacher: rehashing as they grew showed in profiles.
    let mut replay = Replay {
        teacher_ids: NumberMap::with_capacity_and_hasher(order.len(), Default::default()),
        teachers: Vec::with_capacity(order.len()),
        ..Replay::default()
    };
    for (i, r) in order.iter().enumerate() {
        replay.receive(i, r, k);
    }
    let mut ids: Vec<UserId> = vec![UserId(uuid::Uuid::nil()); replay.teachers.len()];
    for (id, index) in &replay.teacher_ids {
        ids[*index] = *id;
    }
    let published = replay
        .atoms
        .into_iter()
        .map(|a| (a.key, a.published.into_iter().map(|(t, at)| (ids[t], at)).collect()))
        .collect();
    released_atoms(&order, published, replay.teachers.iter().filter_map(|t| t.live.map(|(at, _, _)| at)))
}

/// The published atoms (members as the indexes of their submissions in `order`) as figures'
/// inputs, and each school's count of teachers with a live submission.
#[cfg(test)]
fn released<'a>(
    order: &[&Received<'a>],
    published: HashMap<AtomKey, BTreeMap<UserId, usize>>,
    live: &HashMap<UserId, Live>,
) -> Released<'a> {
    released_atoms(order, published, live.values().map(|l| l.at))
}

/// The published atoms as figures' inputs (members in the order of their ids), and each school's
/// count of teachers with a live submission (`live`: the indexes in `order` of those submissions).
fn released_atoms<'a>(
    order: &[&Received<'a>],
    published: HashMap<AtomKey, BTreeMap<UserId, usize>>,
    live: impl Iterator<Item = usize>,
) -> Released<'a> {
    let municipality_of: NumberMap<SchoolId, MunicipalityId> =
        order.iter().map(|r| (r.school, r.municipality)).collect();
    let mut atoms: Vec<Atom<'a>> = published
        .into_iter()
        .filter(|(_, members)| !members.is_empty())
        .map(|(key, members)| {
            let municipality = match &key {
                AtomKey::Pool { municipality, .. } => *municipality,
                AtomKey::Cell { school, .. } => municipality_of[school],
            };
            let received: Vec<&Received<'a>> = members.values().map(|at| order[*at]).collect();
            Atom {
                key,
                municipality,
                schools: received.iter().map(|r| r.school).collect(),
                members: received.iter().map(|r| r.profile).collect(),
            }
        })
        .collect();
    atoms.sort_by(|a, b| a.key.cmp(&b.key));
    let mut submitted: HashMap<SchoolId, u32> = HashMap::new();
    for at in live {
        *submitted.entry(order[at].school).or_default() += 1;
    }
    Released { atoms, submitted }
}

/// One atom's figures for one area, or `None` when fewer than `k` of its members have a score
/// there (an optional area answered by one teacher would otherwise be her answer).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AreaBlock {
    pub respondents: u32,
    pub percent_sum: f64,
    pub deficits: u32,
    /// Members for whom the area is not a strength: its topics are in their development plan.
    pub needing: u32,
}

pub fn area_block(atom: &Atom<'_>, area: &AreaId, k: u32) -> Option<AreaBlock> {
    area_block_at(atom, usize::MAX, area, k)
}

/// [`area_block`] for the area that is usually the `index`th of a profile (profiles list their
/// areas in the form's order): looked up there first, by name only when it is not.
pub fn area_block_at(atom: &Atom<'_>, index: usize, area: &AreaId, k: u32) -> Option<AreaBlock> {
    let mut block = AreaBlock::default();
    for score in atom.members.iter().filter_map(|p| area_at(p, index, area)) {
        let (Some(percent), Some(level)) = (score.percent(), score.level) else { continue };
        block.respondents += 1;
        block.percent_sum += percent;
        block.deficits += u32::from(level == Level::Deficit);
        block.needing += u32::from(level != Level::Strength);
    }
    (block.respondents >= k.max(1)).then_some(block)
}

fn area_at<'p>(profile: &'p Profile, index: usize, area: &AreaId) -> Option<&'p AreaScore> {
    match profile.areas.get(index) {
        Some(score) if &score.area == area => Some(score),
        _ => profile.area(area),
    }
}

/// The released atoms' [`AreaBlock`]s, area by area ([`Released::area_blocks`]).
pub struct AreaBlocks<'r, 'a> {
    released: &'r Released<'a>,
    areas: &'r [AreaId],
    k: u32,
    blocks: Vec<Vec<Option<AreaBlock>>>,
}

impl<'a> AreaBlocks<'_, 'a> {
    /// An atom's block of the `index`th area: [`area_block_at`] for that area.
    pub fn block(&self, atom: &Atom<'a>, index: usize) -> Option<AreaBlock> {
        *self.released.index_of(atom).and_then(|i| self.blocks[i].get(index))?
    }

    /// [`summarise_atoms`] over the areas the blocks were worked out for.
    pub fn summarise(&self, areas: &[AreaId], teachers: u32, completed: u32, atoms: &[&Atom<'a>]) -> GroupSummary {
        // Atoms of another release, or other areas, are worked out as they come.
        if areas != self.areas || atoms.iter().any(|a| self.released.index_of(a).is_none()) {
            return summarise_atoms(areas, teachers, completed, atoms, self.k);
        }
        let of = |atom: &Atom<'a>, index: usize| self.block(atom, index);
        summarise_by(areas, teachers, completed, atoms, of)
    }
}

/// A group's figures as the sum of whole atoms. `teachers` and `completed` are counts of accounts
/// and of teachers who submitted, which say nothing about anyone's answers.
pub fn summarise_atoms(areas: &[AreaId], teachers: u32, completed: u32, atoms: &[&Atom<'_>], k: u32) -> GroupSummary {
    summarise_by(areas, teachers, completed, atoms, |atom, index| area_block_at(atom, index, &areas[index], k))
}

/// [`summarise_atoms`] with each atom's block of the `index`th area from `block`.
fn summarise_by<'x, 'a: 'x>(
    areas: &[AreaId],
    teachers: u32,
    completed: u32,
    atoms: &[&'x Atom<'a>],
    block: impl Fn(&'x Atom<'a>, usize) -> Option<AreaBlock>,
) -> GroupSummary {
    let areas = areas
        .iter()
        .enumerate()
        .map(|(index, area)| {
            let total =
                atoms.iter().filter_map(|atom| block(atom, index)).fold(AreaBlock::default(), |s, b| AreaBlock {
                    respondents: s.respondents + b.respondents,
                    percent_sum: s.percent_sum + b.percent_sum,
                    deficits: s.deficits + b.deficits,
                    needing: s.needing + b.needing,
                });
            let stat = if total.respondents == 0 {
                AreaStat::Suppressed
            } else {
                let n = f64::from(total.respondents);
                AreaStat::Shown {
                    respondents: total.respondents,
                    mean_percent: total.percent_sum / n,
                    deficit_share: f64::from(total.deficits) / n,
                }
            };
            AreaAggregate { area: area.clone(), stat }
        })
        .collect();
    GroupSummary { teachers, completed, areas }
}

/// Teachers in whole atoms of at least `k` members: the `n` a subject's row shows.
pub fn members(atoms: &[&Atom<'_>], k: u32) -> u32 {
    atoms.iter().map(|a| a.members.len() as u32).filter(|n| *n >= k.max(1)).sum()
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

    // The release rule. Ids are small numbers; every teacher's profile is her own allocation, so a
    // published profile is recognised by its address.
    mod disclosure {
        use super::*;
        use crate::{MunicipalityId, SchoolId, UserId};
        use uuid::Uuid;

        const K: u32 = 5;

        fn school(n: u128) -> SchoolId {
            SchoolId(Uuid::from_u128(n))
        }

        fn teacher(n: u128) -> UserId {
            UserId(Uuid::from_u128(1000 + n))
        }

        fn municipality() -> MunicipalityId {
            MunicipalityId(Uuid::from_u128(77))
        }

        /// A profile of `subject` whose area a is `level` of 3 on both items.
        fn scored(subject: &str, level: u8) -> Profile {
            let m = if subject == "math" { "m1" } else { "r1" };
            let answers: Answers =
                [("a1", level), ("a2", level), (m, level)].iter().map(|(k, v)| (ItemId::from(*k), *v)).collect();
            score(&small_form(), Some(&subject.into()), &answers)
        }

        /// (teacher, school, profile) in receipt order.
        fn received(list: &[(u128, u128, Profile)]) -> Vec<Received<'_>> {
            list.iter()
                .enumerate()
                .map(|(i, (t, s, p))| Received {
                    receipt: i as i64 + 1,
                    teacher: teacher(*t),
                    school: school(*s),
                    municipality: municipality(),
                    profile: p,
                })
                .collect()
        }

        fn n(atoms: &[&Atom<'_>]) -> u32 {
            atoms.iter().map(|a| a.members.len() as u32).sum()
        }

        #[test]
        fn a_cell_is_published_only_once_k_teachers_have_submitted_and_then_moves_in_steps_of_k() {
            let list: Vec<(u128, u128, Profile)> = (1..=5).map(|t| (t, 1, scored("math", 2))).collect();
            let all = received(&list);
            assert!(release(&all[..4], K).atoms.is_empty(), "four teachers: nothing at all");
            let released = release(&all, K);
            assert_eq!(n(&released.of_school(school(1))), 5);
            assert_eq!(released.submitted[&school(1)], 5);

            // A sixth teacher, then the first one again: the published cell does not move, so two
            // readings around a submission differ by nothing.
            let mut more = list.clone();
            more.push((6, 1, scored("math", 0)));
            more.push((1, 1, scored("math", 3)));
            let released = release(&received(&more), K);
            assert_eq!(n(&released.of_school(school(1))), 5);
            let shown = summarise_atoms(&["a".into()], 6, 6, &released.of_school(school(1)), K);
            let AreaStat::Shown { respondents, mean_percent, deficit_share } = shown.areas[0].stat else {
                panic!("{shown:?}")
            };
            assert_eq!((respondents, deficit_share), (5, 0.0), "the five of the first release, at 4 of 6 points");
            assert!((mean_percent - 200.0 / 3.0).abs() < 1e-9);
            assert_eq!(shown.completed, 6, "coverage moves with every submission; scores do not");
            // Three more changes (teachers 7, 8 and 2 again) make five since the release: all at once.
            more.extend([(7, 1, scored("math", 0)), (8, 1, scored("math", 0)), (2, 1, scored("math", 0))]);
            let released = release(&received(&more), K);
            assert_eq!(n(&released.of_school(school(1))), 8);
        }

        #[test]
        fn an_atoms_blocks_worked_out_once_sum_as_the_atoms_themselves() {
            // Cells of their own, a pool, two subjects, levels of every kind.
            let mut list: Vec<(u128, u128, Profile)> = (1..=6).map(|t| (t, 1, scored("math", (t % 4) as u8))).collect();
            list.extend((7..=9).map(|t| (t, 2, scored("russian", (t % 3) as u8))));
            list.extend((10..=12).map(|t| (t, 3, scored("russian", 3))));
            let released = release(&received(&list), K);
            let areas = area_ids();
            let blocks = released.area_blocks(&areas, K);
            assert!(released.atoms.len() >= 2);
            for atom in &released.atoms {
                for (index, area) in areas.iter().enumerate() {
                    assert_eq!(blocks.block(atom, index), area_block_at(atom, index, area, K), "{:?} {area}", atom.key);
                }
            }
            let everyone: HashSet<SchoolId> = (1..=3).map(school).collect();
            for atoms in [released.of_school(school(1)), released.within(&everyone), Vec::new()] {
                assert_eq!(blocks.summarise(&areas, 9, 7, &atoms), summarise_atoms(&areas, 9, 7, &atoms, K));
            }
            assert!(
                blocks
                    .summarise(&areas, 9, 7, &released.within(&everyone))
                    .areas
                    .iter()
                    .any(|a| a.stat != AreaStat::Suppressed)
            );
            // Other areas than the blocks': worked out as they come.
            let fewer: Vec<AreaId> = vec!["s".into()];
            let atoms = released.within(&everyone);
            assert_eq!(blocks.summarise(&fewer, 1, 1, &atoms), summarise_atoms(&fewer, 1, 1, &atoms, K));
        }

        #[test]
        fn small_cells_are_pooled_and_a_pool_enters_only_figures_holding_all_its_schools() {
            // Two, two and one mathematics teachers in three schools: no school of its own.
            let list: Vec<(u128, u128, Profile)> =
                [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3)].iter().map(|(t, s)| (*t, *s, scored("math", 1))).collect();
            let released = release(&received(&list), K);
            assert!((1..=3).all(|s| released.of_school(school(s)).is_empty()));
            let all: HashSet<SchoolId> = (1..=3).map(school).collect();
            let two: HashSet<SchoolId> = (1..=2).map(school).collect();
            assert_eq!(n(&released.within(&all)), 5);
            assert!(released.within(&two).is_empty(), "the pool reaches school 3: left out whole");
            assert_eq!(n(&released.of_municipality(municipality())), 5);
        }

        #[test]
        fn two_filters_differ_by_whole_atoms_only() {
            // Issue 10, route 6: five mathematics teachers in school 1 (a ШНОР school), one in school
            // 2 (neither group). The group=all and group=low_results figures used to differ by her.
            let mut list: Vec<(u128, u128, Profile)> = (1..=5).map(|t| (t, 1, scored("math", 1))).collect();
            list.push((6, 2, scored("math", 3)));
            let released = release(&received(&list), K);
            let all: HashSet<SchoolId> = [school(1), school(2)].into();
            let low: HashSet<SchoolId> = [school(1)].into();
            let area = ["a".into()];
            let (a, l) = (
                summarise_atoms(&area, 0, 0, &released.within(&all), K),
                summarise_atoms(&area, 0, 0, &released.within(&low), K),
            );
            assert_eq!(a.areas, l.areas, "her cell of one is in no published figure");
        }

        #[test]
        fn a_cell_leaving_the_pool_waits_until_the_pool_has_released_without_it() {
            // Teachers 1–4 in school 1 and teacher 5 in school 2: the pool is released with all five.
            let mut list: Vec<(u128, u128, Profile)> =
                [(1, 1), (2, 1), (3, 1), (4, 1), (5, 2)].iter().map(|(t, s)| (*t, *s, scored("math", 1))).collect();
            let pool = |r: &Released<'_>| n(&r.of_municipality(municipality())) - n(&r.of_school(school(1)));
            assert_eq!(pool(&release(&received(&list), K)), 5);
            // A fifth teacher in school 1 makes it a cell of its own. Its four teachers are still
            // published in the pool: moving them now would make pool and cell differ by teacher 10.
            list.push((10, 1, scored("math", 3)));
            let released = release(&received(&list), K);
            assert!(released.of_school(school(1)).is_empty());
            assert_eq!(n(&released.of_municipality(municipality())), 5, "nothing published moved");
            // Five real changes in the pool (new teachers in schools 3 and 4) release it; the cell
            // is released at the same moment with all five of its teachers.
            list.extend((20..25).map(|t| (t, 3 + t % 2, scored("math", 2))));
            let released = release(&received(&list), K);
            assert_eq!(n(&released.of_school(school(1))), 5);
            assert_eq!(pool(&released), 6, "teacher 5 and the five new ones");
        }

        /// The first, plain version of the replay: every check recomputes an atom from all its
        /// published and routed teachers. `release` keeps only who may have changed; on any history
        /// the two must agree.
        fn reference_release<'a>(received: &[Received<'a>], k: u32) -> Released<'a> {
            let k = k.max(1) as usize;
            let mut order: Vec<&Received<'a>> = received.iter().collect();
            order.sort_by_key(|r| r.receipt);
            let cell_of = |r: &Received<'_>| (r.school, r.profile.subject.clone());
            let pool_of =
                |r: &Received<'_>| AtomKey::Pool { municipality: r.municipality, subject: r.profile.subject.clone() };

            let mut submitters: HashMap<(SchoolId, Option<SubjectCode>), HashSet<UserId>> = HashMap::new();
            let mut own_cells: HashSet<(SchoolId, Option<SubjectCode>)> = HashSet::new();
            let mut live: HashMap<UserId, Live> = HashMap::new();
            // Who is routed to each atom now, and who each atom published at its last release.
            let mut routed: HashMap<AtomKey, BTreeSet<UserId>> = HashMap::new();
            let mut published: HashMap<AtomKey, BTreeMap<UserId, usize>> = HashMap::new();
            let mut published_in: HashMap<UserId, AtomKey> = HashMap::new();

            for (i, r) in order.iter().enumerate() {
                let cell = cell_of(r);
                let cell_key = AtomKey::Cell { school: cell.0, subject: cell.1.clone() };
                let seen = submitters.entry(cell.clone()).or_default();
                seen.insert(r.teacher);
                let newly_own = seen.len() >= k && own_cells.insert(cell.clone());
                let route = if own_cells.contains(&cell) { cell_key.clone() } else { pool_of(r) };
                let mut dirty: BTreeSet<AtomKey> = BTreeSet::new();
                if let Some(previous) = live.insert(r.teacher, Live { at: i, route: route.clone() }) {
                    if let Some(members) = routed.get_mut(&previous.route) {
                        members.remove(&r.teacher);
                    }
                    dirty.insert(previous.route);
                }
                routed.entry(route.clone()).or_default().insert(r.teacher);
                dirty.insert(route);
                if newly_own {
                    // The cell's teachers still in the pool move to the cell with the submission they have.
                    let pool = pool_of(r);
                    let moving: Vec<UserId> = routed
                        .get(&pool)
                        .map(|members| {
                            members
                                .iter()
                                .filter(|t| live.get(t).is_some_and(|l| cell_of(order[l.at]) == cell))
                                .copied()
                                .collect()
                        })
                        .unwrap_or_default();
                    for teacher in moving {
                        if let Some(members) = routed.get_mut(&pool) {
                            members.remove(&teacher);
                        }
                        routed.entry(cell_key.clone()).or_default().insert(teacher);
                        if let Some(l) = live.get_mut(&teacher) {
                            l.route = cell_key.clone();
                        }
                    }
                    dirty.insert(pool);
                }
                // Releasing one atom may free teachers another atom was waiting for: settle until quiet.
                // Each release publishes or unpublishes at least one stale teacher, so this ends.
                while let Some(atom) = dirty.pop_first() {
                    let empty = BTreeMap::new();
                    let before = published.get(&atom).unwrap_or(&empty);
                    let members = routed.get(&atom).cloned().unwrap_or_default();
                    let mut changes = 0;
                    for (teacher, at) in before {
                        let Some(l) = live.get(teacher) else { continue };
                        // Submitted again (here or elsewhere) since the release: a change. Moved by the
                        // cell leaving the pool, same submission: not counted, but applied at release.
                        if l.at != *at {
                            changes += 1;
                        }
                    }
                    let eligible = |t: &UserId| before.contains_key(t) || !published_in.contains_key(t);
                    changes += members.iter().filter(|t| !before.contains_key(*t) && eligible(t)).count();
                    if changes < k {
                        continue;
                    }
                    let after: BTreeMap<UserId, usize> =
                        members.iter().filter(|t| eligible(t)).filter_map(|t| Some((*t, live.get(t)?.at))).collect();
                    for teacher in before.keys().filter(|t| !after.contains_key(*t)) {
                        published_in.remove(teacher);
                        // Wherever she is routed now may have been waiting for her.
                        if let Some(l) = live.get(teacher) {
                            dirty.insert(l.route.clone());
                        }
                    }
                    for teacher in after.keys() {
                        published_in.insert(*teacher, atom.clone());
                    }
                    published.insert(atom, after);
                }
            }

            released(&order, published, &live)
        }

        #[test]
        fn the_incremental_replay_agrees_with_the_plain_one() {
            let mut rng: u64 = 0x2545_f491_4f6c_dd1d;
            let mut next = move |n: u64| {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                rng % n
            };
            for _ in 0..40 {
                let list: Vec<(u128, u128, Profile)> = (0..150)
                    .map(|_| {
                        let subject = ["math", "russian"][next(2) as usize];
                        (u128::from(next(30)), u128::from(next(5)), scored(subject, next(4) as u8))
                    })
                    .collect();
                let all = received(&list);
                for k in [1, 2, 5] {
                    assert_eq!(release(&all, k), reference_release(&all, k), "k = {k}");
                }
            }
        }

        #[test]
        fn every_atom_moves_by_zero_or_at_least_k_teachers_and_holds_each_teacher_once() {
            // Random histories: teachers submit, submit again, change subject or school.
            let mut rng: u64 = 0x9e37_79b9_7f4a_7c15;
            let mut next = move |n: u64| {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                rng % n
            };
            for _ in 0..20 {
                let list: Vec<(u128, u128, Profile)> = (0..120)
                    .map(|_| {
                        let subject = if next(3) == 0 { "russian" } else { "math" };
                        (u128::from(next(25)), u128::from(next(4)), scored(subject, next(4) as u8))
                    })
                    .collect();
                let all = received(&list);
                let owner: HashMap<*const Profile, UserId> =
                    all.iter().map(|r| (r.profile as *const Profile, r.teacher)).collect();
                let state = |released: &Released<'_>| -> HashMap<AtomKey, HashSet<(UserId, *const Profile)>> {
                    released
                        .atoms
                        .iter()
                        .map(|a| {
                            let members =
                                a.members.iter().map(|p| (owner[&(*p as *const Profile)], *p as *const Profile));
                            (a.key.clone(), members.collect())
                        })
                        .collect()
                };
                let mut before = state(&release(&[], K));
                for end in 1..=all.len() {
                    let released = release(&all[..end], K);
                    let after = state(&released);
                    let keys: HashSet<&AtomKey> = before.keys().chain(after.keys()).collect();
                    for key in keys {
                        let empty = HashSet::new();
                        let (old, new) = (before.get(key).unwrap_or(&empty), after.get(key).unwrap_or(&empty));
                        let changed: HashSet<UserId> = old.symmetric_difference(new).map(|(t, _)| *t).collect();
                        assert!(
                            changed.is_empty() || changed.len() >= K as usize,
                            "{key:?} moved by {}",
                            changed.len()
                        );
                    }
                    let mut seen = HashSet::new();
                    for (t, _) in after.values().flatten() {
                        assert!(seen.insert(*t), "a teacher published twice");
                    }
                    before = after;
                }
            }
        }
    }
}
