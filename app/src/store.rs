//! The app's data in browser storage (localStorage through gloo-storage).
//!
//! Each record lives under its own key, never in one big blob: a write touches one small value, a
//! corrupt entry spoils only itself, and nothing has to be rewritten whole. Keys are namespaced by
//! user (`opora.u.<user id>.…`), so several people on one shared school computer never see or
//! send each other's work. Reference data (forms) is shared by all users of the browser.
//!
//! | key                                  | value                                   |
//! |--------------------------------------|-----------------------------------------|
//! | `opora.device`                       | this browser's [`DeviceId`]             |
//! | `opora.next_seq`                     | the next change sequence number         |
//! | `opora.session`                      | the logged-in [`StoredSession`]         |
//! | `opora.form.<id>.<version>`          | a [`FormDefinition`]                    |
//! | `opora.u.<user>.cursor`              | the sync cursor                         |
//! | `opora.u.<user>.last_sync`           | when the last sync finished (ms)        |
//! | `opora.u.<user>.draft.<form id>`     | the self-diagnosis [`DraftRecord`]      |
//! | `opora.u.<user>.outbox.<seq>`        | a [`Change`] waiting for the server     |
//! | `opora.u.<user>.rejected.<seq>`      | a change the server refused, kept       |
//! | `opora.u.<user>.sd.<submission id>`  | a [`LocalSubmission`]                   |
//! | `opora.u.<user>.view.<name>`         | the last fetched server view            |
//! | `opora.u.<user>.name`                | the user's name, for «waiting for …»    |
//! | `opora.report_form.<id>.<version>`   | a [`ReportForm`] (principals' devices)  |
//! | `opora.u.<user>.report.<key>`        | the server's copy of a [`StoredReport`] |
//! | `opora.u.<user>.report_draft.<key>`  | a [`ReportDraft`]: what was typed here  |
//! | `opora.u.<user>.held_back.<key>`     | fields the server did not take, and why |
//! | `opora.corrupt.<original key>`       | an unreadable entry, set aside          |

use gloo_storage::{LocalStorage, Storage};
use opora_domain::api::{ApiError, LoginResponse};
use opora_domain::diagnosis::{Draft, Submission};
use opora_domain::form::FormDefinition;
use opora_domain::org::UserProfile;
use opora_domain::report::{FieldProblem, ReportEdit, ReportForm, ReportKey, StoredReport, hold_back_unfit};
use opora_domain::report_draft::{self, Rebased};
use opora_domain::sync::{Change, Cursor, Outbox};
use opora_domain::{DeviceId, FormId, SubmissionId, UserId};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

const PREFIX: &str = "opora.";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredSession {
    pub token: String,
    pub expires_at_ms: i64,
    pub user: UserProfile,
}

impl From<LoginResponse> for StoredSession {
    fn from(r: LoginResponse) -> Self {
        StoredSession { token: r.token, expires_at_ms: r.expires_at_ms, user: r.user }
    }
}

/// A self-diagnosis in progress, with the id its submission will carry. Choosing the id up front
/// means a draft that survives a crash right after submitting cannot become a second submission.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DraftRecord {
    pub submission_id: SubmissionId,
    pub draft: Draft,
}

/// A submission as this device knows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LocalSubmission {
    pub submission: Submission,
    /// The server has acknowledged it.
    #[serde(default)]
    pub synced: bool,
    /// The server refused it for good; the answers are still here.
    #[serde(default)]
    pub rejected: Option<ApiError>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RejectedChange {
    pub change: Change,
    pub error: ApiError,
}

/// Why a write failed.
#[derive(Clone, Debug, PartialEq)]
pub enum WriteError {
    /// The browser's storage quota is exhausted: nothing already stored is affected.
    Full,
    Other(String),
}

impl WriteError {
    pub fn message_ru(&self) -> String {
        match self {
            WriteError::Full => "Память браузера заполнена: новые ответы не сохраняются. Уже сохранённое не потеряно. \
                Отправьте данные при появлении сети или скачайте их файлом."
                .to_owned(),
            WriteError::Other(e) => format!("Не удалось сохранить данные в браузере: {e}"),
        }
    }
}

fn raw() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Reads a record. An entry that cannot be read is moved aside under `opora.corrupt.…` and
/// reported through [`take_corrupt_reports`], so one bad value never breaks the app.
pub fn get<T: DeserializeOwned>(key: &str) -> Option<T> {
    let storage = raw()?;
    let text = storage.get_item(key).ok().flatten()?;
    match serde_json::from_str(&text) {
        Ok(value) => Some(value),
        Err(_) => {
            let _ = storage.set_item(&format!("{PREFIX}corrupt.{key}"), &text);
            let _ = storage.remove_item(key);
            CORRUPT.with(|c| c.borrow_mut().push(key.to_owned()));
            ON_CORRUPT.with(|hook| {
                if let Some(hook) = hook.borrow().as_ref() {
                    hook();
                }
            });
            None
        }
    }
}

thread_local! {
    static CORRUPT: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
    static ON_CORRUPT: std::cell::RefCell<Option<Box<dyn Fn()>>> = const { std::cell::RefCell::new(None) };
}

/// Called whenever an entry is set aside, so the user hears of it at once and not only at the
/// next refresh (a page that reads its data once may otherwise never trigger one).
pub fn on_corrupt(hook: impl Fn() + 'static) {
    ON_CORRUPT.with(|h| *h.borrow_mut() = Some(Box::new(hook)));
}

/// Keys found unreadable since the last call.
pub fn take_corrupt_reports() -> Vec<String> {
    CORRUPT.with(|c| std::mem::take(&mut *c.borrow_mut()))
}

/// The stored text of a key, unparsed.
pub fn raw_text(key: &str) -> Option<String> {
    raw()?.get_item(key).ok().flatten()
}

pub fn set<T: Serialize>(key: &str, value: &T) -> Result<(), WriteError> {
    LocalStorage::set(key, value).map_err(|e| {
        let text = e.to_string();
        if text.contains("QuotaExceeded") || text.contains("quota") {
            WriteError::Full
        } else {
            WriteError::Other(text)
        }
    })
}

pub fn remove(key: &str) {
    LocalStorage::delete(key);
}

/// Every key starting with `prefix`.
pub fn keys_with(prefix: &str) -> Vec<String> {
    let Some(storage) = raw() else { return Vec::new() };
    let n = storage.length().unwrap_or(0);
    (0..n).filter_map(|i| storage.key(i).ok().flatten()).filter(|k| k.starts_with(prefix)).collect()
}

fn user_key(user: UserId, rest: &str) -> String {
    format!("{PREFIX}u.{user}.{rest}")
}

// --- Device and session -------------------------------------------------------------------

pub fn device_id() -> DeviceId {
    let key = format!("{PREFIX}device");
    if let Some(id) = get::<DeviceId>(&key) {
        return id;
    }
    let id = DeviceId(crate::util::new_uuid());
    let _ = set(&key, &id);
    id
}

pub fn session() -> Option<StoredSession> {
    get(&format!("{PREFIX}session"))
}

pub fn set_session(session: &StoredSession) -> Result<(), WriteError> {
    set(&format!("{PREFIX}session"), session)
}

pub fn clear_session() {
    remove(&format!("{PREFIX}session"));
}

// --- Forms ---------------------------------------------------------------------------------

pub fn put_form(form: &FormDefinition) -> Result<(), WriteError> {
    set(&format!("{PREFIX}form.{}.{}", form.id, form.version), form)
}

pub fn form(id: &FormId, version: u32) -> Option<FormDefinition> {
    get(&format!("{PREFIX}form.{id}.{version}"))
}

/// The newest version of a form this browser has.
pub fn latest_form(id: &FormId) -> Option<FormDefinition> {
    let prefix = format!("{PREFIX}form.{id}.");
    keys_with(&prefix).iter().filter_map(|k| k[prefix.len()..].parse::<u32>().ok()).max().and_then(|v| form(id, v))
}

// --- Drafts and submissions ----------------------------------------------------------------

pub fn draft(user: UserId, form: &FormId) -> Option<DraftRecord> {
    get(&user_key(user, &format!("draft.{form}")))
}

pub fn put_draft(user: UserId, form: &FormId, draft: &DraftRecord) -> Result<(), WriteError> {
    set(&user_key(user, &format!("draft.{form}")), draft)
}

pub fn remove_draft(user: UserId, form: &FormId) {
    remove(&user_key(user, &format!("draft.{form}")));
}

pub fn submission(user: UserId, id: SubmissionId) -> Option<LocalSubmission> {
    get(&user_key(user, &format!("sd.{id}")))
}

pub fn put_submission(user: UserId, s: &LocalSubmission) -> Result<(), WriteError> {
    set(&user_key(user, &format!("sd.{}", s.submission.id)), s)
}

/// The user's submissions on this device, newest first.
pub fn submissions(user: UserId) -> Vec<LocalSubmission> {
    let mut all: Vec<LocalSubmission> = keys_with(&user_key(user, "sd.")).iter().filter_map(|k| get(k)).collect();
    all.sort_by_key(|s| std::cmp::Reverse(s.submission.submitted_at_ms));
    all
}

// --- Outbox and sync state -----------------------------------------------------------------

/// The user's outbox as the pure [`Outbox`] the sync planning works on.
pub fn outbox(user: UserId) -> Outbox {
    let prefix = user_key(user, "outbox.");
    let entries = keys_with(&prefix)
        .iter()
        .filter_map(|k| Some((k[prefix.len()..].parse::<u64>().ok()?, get::<Change>(k)?)))
        .collect();
    Outbox { entries, next_seq: get(&format!("{PREFIX}next_seq")).unwrap_or(0) }
}

pub fn outbox_len(user: UserId) -> usize {
    keys_with(&user_key(user, "outbox.")).len()
}

/// Queues a change. The sequence counter is per device (shared by its users), so every
/// (device, seq) key the server sees is unique.
pub fn enqueue(user: UserId, change: Change) -> Result<u64, WriteError> {
    let mut outbox = outbox(user);
    let seq = outbox.push(change.clone());
    // Counter first: if the page dies between the two writes, a sequence number is skipped,
    // which is harmless; the reverse order could reuse one.
    set(&format!("{PREFIX}next_seq"), &outbox.next_seq)?;
    set(&user_key(user, &format!("outbox.{seq}")), &change)?;
    Ok(seq)
}

pub fn remove_from_outbox(user: UserId, seq: u64) {
    remove(&user_key(user, &format!("outbox.{seq}")));
}

pub fn put_rejected(user: UserId, seq: u64, rejected: &RejectedChange) -> Result<(), WriteError> {
    set(&user_key(user, &format!("rejected.{seq}")), rejected)
}

pub fn cursor(user: UserId) -> Cursor {
    get(&user_key(user, "cursor")).unwrap_or_default()
}

pub fn set_cursor(user: UserId, cursor: Cursor) -> Result<(), WriteError> {
    set(&user_key(user, "cursor"), &cursor)
}

pub fn last_sync(user: UserId) -> Option<i64> {
    get(&user_key(user, "last_sync"))
}

pub fn set_last_sync(user: UserId, at_ms: i64) -> Result<(), WriteError> {
    set(&user_key(user, "last_sync"), &at_ms)
}

// --- Cached views --------------------------------------------------------------------------

pub fn view<T: DeserializeOwned>(user: UserId, name: &str) -> Option<T> {
    get(&user_key(user, &format!("view.{name}")))
}

pub fn put_view<T: Serialize>(user: UserId, name: &str, value: &T) -> Result<(), WriteError> {
    set(&user_key(user, &format!("view.{name}")), value)
}

/// Stores a view's JSON exactly as the server sent it.
pub fn put_view_text(user: UserId, name: &str, json: &str) -> Result<(), WriteError> {
    let Some(storage) = raw() else { return Err(WriteError::Other("no localStorage".to_owned())) };
    storage.set_item(&user_key(user, &format!("view.{name}")), json).map_err(|e| {
        let text = format!("{e:?}");
        if text.contains("QuotaExceeded") || text.contains("quota") {
            WriteError::Full
        } else {
            WriteError::Other(text)
        }
    })
}

// --- Who has unsent work ---------------------------------------------------------------------

/// Kept at login so the login page can say whose unsent work waits on this device.
pub fn remember_name(user: UserId, full_name: &str) {
    let _ = set(&user_key(user, "name"), &full_name);
}

/// Every user of this browser with changes in the outbox: (user, name, count).
pub fn pending_by_user() -> Vec<(UserId, String, usize)> {
    let prefix = format!("{PREFIX}u.");
    let mut counts: Vec<(UserId, usize)> = Vec::new();
    for key in keys_with(&prefix) {
        let Some((user, rest)) = key[prefix.len()..].split_once('.') else { continue };
        if !rest.starts_with("outbox.") {
            continue;
        }
        let Ok(user) = user.parse::<UserId>() else { continue };
        match counts.iter_mut().find(|(u, _)| *u == user) {
            Some((_, n)) => *n += 1,
            None => counts.push((user, 1)),
        }
    }
    counts
        .into_iter()
        .map(|(user, n)| {
            (user, get::<String>(&user_key(user, "name")).unwrap_or_else(|| "другой пользователь".to_owned()), n)
        })
        .collect()
}

// --- School reports --------------------------------------------------------------------------

pub use opora_domain::report_draft::ReportDraft;

pub fn put_report_form(form: &ReportForm) -> Result<(), WriteError> {
    set(&format!("{PREFIX}report_form.{}.{}", form.id, form.version), form)
}

/// The newest version of every report form this browser has.
pub fn report_forms() -> Vec<ReportForm> {
    let prefix = format!("{PREFIX}report_form.");
    let mut newest: Vec<ReportForm> = Vec::new();
    for form in keys_with(&prefix).iter().filter_map(|k| get::<ReportForm>(k)) {
        match newest.iter_mut().find(|f| f.id == form.id) {
            Some(f) if f.version < form.version => *f = form,
            Some(_) => {}
            None => newest.push(form),
        }
    }
    newest.sort_by(|a, b| a.title.cmp(&b.title));
    newest
}

pub fn report_form(id: &opora_domain::FormId, version: u32) -> Option<ReportForm> {
    get(&format!("{PREFIX}report_form.{id}.{version}"))
}

pub fn server_report(user: UserId, key: &ReportKey) -> Option<StoredReport> {
    get(&user_key(user, &format!("report.{}", key.id())))
}

/// Every report of the user's school this device has, as the server last sent them.
pub fn server_reports(user: UserId) -> Vec<StoredReport> {
    keys_with(&user_key(user, "report.")).iter().filter_map(|k| get(k)).collect()
}

pub fn report_draft(user: UserId, key: &ReportKey) -> Option<ReportDraft> {
    get(&user_key(user, &format!("report_draft.{}", key.id())))
}

pub fn put_report_draft(user: UserId, draft: &ReportDraft) -> Result<(), WriteError> {
    set(&user_key(user, &format!("report_draft.{}", draft.key.id())), draft)
}

/// Keeps the server's copy of a report and moves this device's draft onto it
/// ([`report_draft::rebase`]): fields the device did not change take the server's value; fields
/// it changed keep what was typed here until the server has them. A draft left with no changes
/// of its own is removed. The server's copy is written first: a page killed in between moves the
/// draft when the same revision is pulled again.
pub fn keep_server_report(user: UserId, report: &StoredReport) -> Result<(), WriteError> {
    set(&user_key(user, &format!("report.{}", report.key.id())), report)?;
    let Some(draft) = report_draft(user, &report.key) else { return Ok(()) };
    match report_draft::rebase(&draft, report) {
        Rebased::Unchanged => Ok(()),
        Rebased::Moved(draft) => put_report_draft(user, &draft),
        Rebased::NoChanges => {
            remove(&user_key(user, &format!("report_draft.{}", report.key.id())));
            Ok(())
        }
    }
}

/// Queues a report edit, replacing queued edits of the same report that are not submissions
/// ([`report_draft::queue_edit`]): an edit carries every field, so the newest one contains what
/// the older ones did, and names them for the server.
pub fn enqueue_report(user: UserId, edit: ReportEdit) -> Result<u64, WriteError> {
    let queueing = report_draft::queue_edit(&outbox(user).entries, edit);
    // Queued first, then the replaced ones removed: a full storage never loses both.
    let seq = enqueue(user, queueing.change)?;
    for replaced in queueing.remove {
        remove_from_outbox(user, replaced);
    }
    Ok(seq)
}

// --- What the server refused or held back ------------------------------------------------------

/// Every change the server refused for good, by sequence number.
pub fn rejected_changes(user: UserId) -> Vec<(u64, RejectedChange)> {
    let prefix = user_key(user, "rejected.");
    keys_with(&prefix).iter().filter_map(|k| Some((k[prefix.len()..].parse().ok()?, get(k)?))).collect()
}

pub fn remove_rejected(user: UserId, seq: u64) {
    remove(&user_key(user, &format!("rejected.{seq}")));
}

/// The fields of a report the server held back from its last accepted edit (they did not fit the
/// form as the server reads it).
pub fn report_held_back(user: UserId, key: &ReportKey) -> Vec<FieldProblem> {
    get(&user_key(user, &format!("held_back.{}", key.id()))).unwrap_or_default()
}

/// The server accepted edit `seq` of this report: keeps what it held back (none clears it) and
/// forgets refusals of earlier edits of the same report, which this one carried again.
pub fn report_accepted(
    user: UserId,
    key: &ReportKey,
    seq: u64,
    held_back: &[FieldProblem],
    base_revision: u32,
    sent: &opora_domain::merge::Fields,
) -> Result<(), WriteError> {
    // The draft's base first: what the server now has from this device.
    if let Some(moved) =
        report_draft(user, key).and_then(|d| report_draft::acknowledged(&d, base_revision, sent, held_back))
    {
        put_report_draft(user, &moved)?;
    }
    let stored_key = user_key(user, &format!("held_back.{}", key.id()));
    if held_back.is_empty() {
        remove(&stored_key);
    } else {
        set(&stored_key, &held_back)?;
    }
    for (older, rejected) in rejected_changes(user) {
        if let Change::SaveReport { edit, .. } = &rejected.change
            && older < seq
            && &edit.key == key
        {
            remove_rejected(user, older);
        }
    }
    Ok(())
}

/// What is wrong with one report on this device: fields that do not fit the form and stay here
/// until corrected, fields the server held back, and the server's refusals of whole edits.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReportTrouble {
    pub unfit_here: Vec<FieldProblem>,
    pub held_back: Vec<FieldProblem>,
    pub refused: Vec<ApiError>,
}

impl ReportTrouble {
    pub fn is_empty(&self) -> bool {
        self.unfit_here.is_empty() && self.held_back.is_empty() && self.refused.is_empty()
    }
}

pub fn report_trouble(user: UserId, key: &ReportKey) -> ReportTrouble {
    let unfit_here = report_draft(user, key)
        .and_then(|d| Some((report_form(&d.key.form, d.form_version)?, d)))
        .map(|(form, d)| hold_back_unfit(&form, &d.fields, &d.base_fields).1)
        .unwrap_or_default();
    let refused = rejected_changes(user)
        .into_iter()
        .filter_map(|(_, r)| match r.change {
            Change::SaveReport { edit, .. } if &edit.key == key => Some(r.error),
            _ => None,
        })
        .collect();
    ReportTrouble { unfit_here, held_back: report_held_back(user, key), refused }
}

/// How many things the user must look at because they did not reach the server: refused
/// self-diagnoses and every report with a refused edit or a field held back, here or there.
/// The status line never says «Всё отправлено» while this is not zero.
pub fn refused_count(user: UserId) -> usize {
    let mut reports: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    let mut others = 0;
    for (_, rejected) in rejected_changes(user) {
        match rejected.change {
            Change::SaveReport { edit, .. } => {
                reports.insert(edit.key.id());
            }
            Change::SubmitSelfDiagnosis { .. } => others += 1,
        }
    }
    let held = user_key(user, "held_back.");
    reports.extend(keys_with(&held).into_iter().map(|k| k[held.len()..].to_owned()));
    let drafts = user_key(user, "report_draft.");
    for key in keys_with(&drafts) {
        let Some(draft) = get::<ReportDraft>(&key) else { continue };
        let Some(form) = report_form(&draft.key.form, draft.form_version) else { continue };
        if !hold_back_unfit(&form, &draft.fields, &draft.base_fields).1.is_empty() {
            reports.insert(draft.key.id());
        }
    }
    reports.len() + others
}

/// Forgets a refused self-diagnosis and its refusal, once it has been queued again as a new one.
pub fn forget_refused_submission(user: UserId, id: SubmissionId) {
    for (seq, rejected) in rejected_changes(user) {
        if matches!(&rejected.change, Change::SubmitSelfDiagnosis { submission } if submission.id == id) {
            remove_rejected(user, seq);
        }
    }
    remove(&user_key(user, &format!("sd.{id}")));
}
