//! Storage behind one trait per aggregate, two backends implementing all of them.
//!
//! Handlers and services see only [`Storage`], the sum of the aggregate traits ([`AccountStore`],
//! [`SessionStore`], [`FormStore`], [`DiagnosisStore`], [`ReportStore`], [`CampaignStore`],
//! [`ChangeStore`], [`AuditStore`]). [`open`] picks the backend by the URL's scheme: SQLite
//! ([`sqlite::SqliteStorage`], the embedded default) or PostgreSQL ([`postgres::PgStorage`],
//! several server processes on one database). Each backend is a folder with one file per
//! aggregate and its own append-only migrations. Errors narrow here to [`StorageError`], labelled
//! with the operation that failed: callers never see sqlx types.

pub mod postgres;
mod rows;

/// Whom a change-log entry goes down to in pulls (`change_log.owner_user_id`, `owner_school_id`,
/// `audience`): everyone, one account, one school's principals, or every principal.
#[derive(Clone, Copy, Debug)]
enum Readers {
    Everyone,
    Account(UserId),
    School(SchoolId),
    Principals,
}

impl Readers {
    fn owner_user(self) -> Option<String> {
        if let Readers::Account(id) = self { Some(id.to_string()) } else { None }
    }
    fn owner_school(self) -> Option<String> {
        if let Readers::School(id) = self { Some(id.to_string()) } else { None }
    }
    fn audience(self) -> Option<&'static str> {
        matches!(self, Readers::Principals).then_some("principal")
    }
}
pub mod sqlite;

use async_trait::async_trait;
use opora_domain::accounts::TeacherSubject;
use opora_domain::api::{AuditEntry, TeacherAccount};
use opora_domain::campaign::Campaign;
use opora_domain::coverage::RolledTeacher;
use opora_domain::diagnosis::StoredSubmission;
use opora_domain::form::FormDefinition;
use opora_domain::membership::MembershipDecision;
use opora_domain::merge::Fields;
use opora_domain::org::{MunicipalityRef, Role, SchoolFlags, SchoolRef, UserProfile};
use opora_domain::report::{AppliedEdit, ReportEdit, ReportForm, ReportKey, StoredReport};
use opora_domain::scoring::Profile;
use opora_domain::sync::{Cursor, Outcome, Pulled};
use opora_domain::{CampaignId, DeviceId, FormId, FormRef, MunicipalityId, RegionId, SchoolId, UserId};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A unique key is taken, e.g. a login: the caller's mistake, not ours.
    #[error("already exists: {0}")]
    AlreadyExists(String),
    /// The database cannot serve the operation now, though nothing is wrong with it or the
    /// request ([`unavailable`]): no pool connection free within the acquire timeout, PostgreSQL
    /// stopped, restarting or refusing connections, a connection lost, SQLite's write lock held
    /// by another process beyond the busy timeout. Answered 503 with `Retry-After`, never a hang
    /// and never a 500: the client sends again and nothing it was acknowledged is lost.
    #[error("{op}: database busy or unavailable: {source}")]
    Busy {
        op: &'static str,
        #[source]
        source: sqlx::Error,
    },
    /// The session a write was made under ended before the write could commit (an activation
    /// or a password reset ended it, the account was switched off, it expired): nothing was
    /// written. Answered 401 `session_expired`, as if the session had ended before the request.
    #[error("the session ended before the write committed")]
    SessionEnded,
    /// A database failure, with the storage operation it happened in.
    #[error("{op}: {source}")]
    Failed {
        op: &'static str,
        #[source]
        source: sqlx::Error,
    },
}

impl StorageError {
    pub fn failed(op: &'static str, source: sqlx::Error) -> Self {
        StorageError::Database(source).during(op)
    }

    /// Labels a database failure with the operation it happened in. Errors callers match on
    /// (`AlreadyExists`) and those already labelled stay as they are.
    pub fn during(self, op: &'static str) -> Self {
        match self {
            StorageError::Database(source) if unavailable(&source) => StorageError::Busy { op, source },
            StorageError::Database(source) => StorageError::Failed { op, source },
            other => other,
        }
    }

    /// Whether the database is only busy or briefly away (the client should come back shortly).
    pub fn is_busy(&self) -> bool {
        match self {
            StorageError::Busy { .. } => true,
            StorageError::Database(e) | StorageError::Failed { source: e, .. } => unavailable(e),
            _ => false,
        }
    }
}

/// Whether a database failure means "not now" rather than "wrong": the one list of them, for
/// both backends. The pool found no connection in time or was closed (shutting down); the
/// connection failed at the socket (refused while PostgreSQL is stopped, reset by its shutdown);
/// SQLite's connection thread died; PostgreSQL said so (class 08, connection exception;
/// `57P01` admin_shutdown, `57P02` crash_shutdown, `57P03` cannot_connect_now while it starts,
/// `53300` too_many_connections); SQLite's lock stayed taken beyond the busy timeout
/// (SQLITE_BUSY, SQLITE_LOCKED and their extended codes).
pub fn unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                let code = pg.code();
                code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
            } else if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                // The extended result code; its low byte is the primary code.
                let code = db.code().and_then(|c| c.parse::<i32>().ok()).unwrap_or_default();
                matches!(code & 0xff, 5 | 6)
            } else {
                false
            }
        }
        _ => false,
    }
}

pub type Result<T> = std::result::Result<T, StorageError>;

/// Opens the backend the URL's scheme names, applying its pending migrations: `sqlite:` (the
/// embedded default) or `postgres:`/`postgresql:`.
pub async fn open(url: &str, pool: postgres::PoolSettings) -> anyhow::Result<std::sync::Arc<dyn Storage>> {
    let scheme = url.split(':').next().unwrap_or_default();
    Ok(match scheme {
        "sqlite" => std::sync::Arc::new(sqlite::SqliteStorage::open(url).await?),
        "postgres" | "postgresql" => std::sync::Arc::new(postgres::PgStorage::open(url, pool).await?),
        other => anyhow::bail!("unsupported database URL scheme {other:?}: sqlite:// or postgres://"),
    })
}

/// A user as stored, with the secret the profile does not carry.
#[derive(Clone, Debug)]
pub struct UserRecord {
    pub profile: UserProfile,
    pub password_hash: Option<String>,
    /// A disabled account cannot log in.
    pub active: bool,
}

/// An activation code to store: only its hash.
#[derive(Clone, Debug)]
pub struct NewCode {
    pub user: UserId,
    pub code_hash: String,
    /// `None`: the administrator's command line.
    pub issued_by: Option<UserId>,
    pub expires_at_ms: i64,
}

/// Everything an import creates, written in one transaction.
#[derive(Clone, Debug, Default)]
pub struct ImportBatch {
    pub regions: Vec<(RegionId, String)>,
    pub municipalities: Vec<MunicipalityRef>,
    pub schools: Vec<NewSchool>,
    /// Each new account with its first activation code.
    pub users: Vec<(NewUser, NewCode)>,
    /// Teachers' subjects to set (`TeacherSubject::stored`), new accounts' and existing ones'.
    pub subjects: Vec<(UserId, String)>,
    /// Login prefixes for existing schools that had none, set where they still have none (checked
    /// free with [`AccountStore::login_prefix_free`]).
    pub login_prefixes: Vec<(SchoolId, String)>,
    pub audit: Option<NewAudit>,
}

/// Every organisation, for matching an import's names.
#[derive(Clone, Debug, Default)]
pub struct Organisations {
    pub regions: Vec<(RegionId, String)>,
    pub municipalities: Vec<MunicipalityRef>,
    pub schools: Vec<SchoolRef>,
}

/// An audit log line to append. Never a password, a token, a code or an answer.
#[derive(Clone, Debug)]
pub struct NewAudit {
    pub actor: Option<UserId>,
    pub action: &'static str,
    pub subject: Option<String>,
    pub detail: String,
}

impl NewAudit {
    pub fn new(actor: Option<UserId>, action: &'static str, subject: impl ToString) -> Self {
        NewAudit { actor, action, subject: Some(subject.to_string()), detail: String::new() }
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }
}

#[derive(Clone, Debug)]
pub struct NewUser {
    pub id: UserId,
    pub login: String,
    pub full_name: String,
    pub role: Role,
    pub school_id: Option<SchoolId>,
    pub municipality_id: Option<MunicipalityId>,
    pub region_id: Option<RegionId>,
    pub password_hash: Option<String>,
}

#[derive(Clone, Debug)]
pub struct NewSchool {
    pub id: SchoolId,
    pub municipality_id: MunicipalityId,
    pub name: String,
    pub flags: SchoolFlags,
    /// The school's login namespace (`opora_domain::accounts`); `None`: chosen later.
    pub login_prefix: Option<String>,
}

#[derive(Clone, Copy, Debug)]
pub struct SessionRecord {
    pub user_id: UserId,
    pub expires_at_ms: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormStored {
    Inserted,
    AlreadyIdentical,
    /// A different definition is already stored under this id and version: versions are immutable.
    Conflicts,
}

/// A validated, scored submission ready to be committed.
#[derive(Clone, Debug)]
pub struct NewSubmission {
    pub stored: StoredSubmission,
    pub school_id: Option<SchoolId>,
    pub profile: Profile,
}

/// The session a write is made under, by its token's hash. The committing transaction checks,
/// under the backend's write lock, that the session is still live (it exists, has not expired,
/// its account is on) and writes nothing otherwise ([`StorageError::SessionEnded`]). Whatever
/// ends sessions (an activation, a password reset, switching an account off) does so under the
/// same lock, so a request that passed the session check before them cannot commit after them:
/// a submission is either received before an activation's seal or refused.
#[derive(Clone, Copy, Debug)]
pub struct Session<'a>(pub &'a str);

/// The idempotency key of a change pushed by a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChangeKey {
    pub device: DeviceId,
    pub seq: u64,
}

impl ChangeKey {
    /// This key, replacing no other.
    pub fn alone(self) -> PushedKeys<'static> {
        PushedKeys { key: self, replaces: &[] }
    }
}

/// The keys a pushed change is recorded under, in its own transaction: its own, and those of the
/// same device's earlier changes it took the place of in the outbox (a report edit's
/// `replaces`), which get its outcome unless already recorded, so a late copy of one is answered
/// from the record and changes nothing.
#[derive(Clone, Copy, Debug)]
pub struct PushedKeys<'a> {
    pub key: ChangeKey,
    pub replaces: &'a [u64],
}

/// What committing a submission did.
#[derive(Clone, Debug, PartialEq)]
pub enum Committed {
    /// Stored now.
    Inserted,
    /// The same submission was already stored (a retry): nothing changed.
    AlreadyStored,
    /// The idempotency key was used before; this is the outcome recorded then.
    Replayed(Outcome),
    /// The submission id belongs to another teacher.
    IdTaken,
}

#[derive(Clone, Debug)]
pub struct PreviousChange {
    pub user_id: UserId,
    pub outcome: Outcome,
    /// The key was recorded with the outcome of this later change of the device, which replaced
    /// it in the outbox; the change under this key was never applied itself.
    pub replaced_by: Option<u64>,
}

/// Who is pulling: decides which shared records reach them.
#[derive(Clone, Copy, Debug)]
pub struct PullScope {
    pub user: UserId,
    /// Principals pull their school's reports and the report forms.
    pub principal_of: Option<SchoolId>,
}

/// A report as its school last sent it.
#[derive(Clone, Debug, PartialEq)]
pub struct SentReport {
    pub school: SchoolId,
    pub period: String,
    pub form_version: u32,
    pub fields: Fields,
}

/// One revision of a report, for the history the department sees.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportRevision {
    pub revision: u32,
    pub fields: Fields,
    pub submitted: bool,
    pub at_ms: i64,
    pub by: UserId,
}

/// Decides what an edit stores, given the revision it started from and the current report.
pub type DecideEdit<'a> = &'a (dyn Fn(Option<&Fields>, Option<&StoredReport>) -> AppliedEdit + Send + Sync);

#[derive(Clone, Debug)]
pub struct PullPage {
    pub records: Vec<Pulled>,
    pub cursor: Cursor,
    pub more: bool,
}

/// One stored submission as the disclosure rule replays it (`opora_domain::aggregate::release`).
#[derive(Clone, Debug)]
pub struct ReceivedSubmission {
    /// The server's order of receipt.
    pub receipt: i64,
    /// When the server received it (its clock, not the device's): coverage counts by its year.
    pub received_at_ms: i64,
    pub teacher: UserId,
    pub school: SchoolId,
    pub municipality: MunicipalityId,
    pub profile: Profile,
}

impl ReceivedSubmission {
    pub fn as_received(&self) -> opora_domain::aggregate::Received<'_> {
        opora_domain::aggregate::Received {
            receipt: self.receipt,
            teacher: self.teacher,
            school: self.school,
            municipality: self.municipality,
            profile: &self.profile,
        }
    }
}

/// The latest submission of one teacher, for aggregation.
#[derive(Clone, Debug)]
pub struct LatestProfile {
    pub teacher: UserId,
    pub school: SchoolId,
    pub submitted_at_ms: i64,
    pub profile: Profile,
}

/// One failed-attempt counter of the login and activation throttles (`crate::limiter`).
#[derive(Clone, Debug, PartialEq)]
pub struct ThrottleCounter {
    pub failures: u32,
    /// Attempts reserved and not yet recorded or released.
    pub pending: u32,
    /// When the latest of them was reserved: slots older than the limiter's lease are stale.
    pub pending_at_ms: i64,
    pub window_start_ms: i64,
    pub locked_until_ms: Option<i64>,
    pub locked_at_ms: i64,
    /// Attempts refused during the current lockout.
    pub refused: u32,
    pub subject: String,
    pub client: String,
}

/// Changes throttle counters: gets the stored counter of each key (`None`: absent) and leaves
/// what to store (`None`: delete).
pub type ThrottleUpdate<'a> = &'a mut (dyn FnMut(&mut [Option<ThrottleCounter>]) + Send);

/// Everything the server stores, one trait per aggregate; each backend implements all of them
/// (`sqlite/`, `postgres/`, one file per aggregate). Handlers hold an `Arc<dyn Storage>`.
pub trait Storage:
    AccountStore
    + SessionStore
    + FormStore
    + DiagnosisStore
    + ReportStore
    + CampaignStore
    + ChangeStore
    + AuditStore
    + 'static
{
}

impl<
    T: AccountStore
        + SessionStore
        + FormStore
        + DiagnosisStore
        + ReportStore
        + CampaignStore
        + ChangeStore
        + AuditStore
        + 'static,
> Storage for T
{
}

/// Organisations and accounts: regions, municipalities, schools, users, activation codes, imports.
#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn is_empty(&self) -> Result<bool>;

    async fn insert_region(&self, id: RegionId, name: &str) -> Result<()>;

    async fn insert_municipality(&self, m: &MunicipalityRef) -> Result<()>;

    async fn insert_school(&self, s: &NewSchool) -> Result<()>;

    async fn insert_user(&self, u: &NewUser, now_ms: i64) -> Result<()>;

    async fn user_by_login(&self, login: &str) -> Result<Option<UserRecord>>;

    async fn user(&self, id: UserId) -> Result<Option<UserRecord>>;

    async fn municipality(&self, id: MunicipalityId) -> Result<Option<MunicipalityRef>>;

    async fn schools_of(&self, municipality: MunicipalityId) -> Result<Vec<SchoolRef>>;

    async fn school(&self, id: SchoolId) -> Result<Option<SchoolRef>>;

    async fn municipalities_of(&self, region: RegionId) -> Result<Vec<MunicipalityRef>>;

    /// Teachers with an active account, per school of the municipality.
    async fn teacher_counts(&self, municipality: MunicipalityId) -> Result<Vec<(SchoolId, u32)>>;

    /// The teachers `teacher_counts` counts, each with her school and subject: what the
    /// programme's coverage is counted from (`opora_domain::coverage`).
    async fn teacher_roll(&self, municipality: MunicipalityId) -> Result<Vec<RolledTeacher>>;

    /// Creates an account, with its first activation code and an audit line, in one transaction.
    /// A taken login is [`StorageError::AlreadyExists`].
    async fn create_account(
        &self,
        session: Option<Session<'_>>,
        u: &NewUser,
        code: Option<&NewCode>,
        audit: &NewAudit,
        now_ms: i64,
    ) -> Result<()>;

    /// The school's teachers, with the time of each one's latest submission of `form`.
    async fn teachers_of(&self, school: SchoolId, form: &FormId) -> Result<Vec<TeacherAccount>>;

    /// Replaces any unused code of the user with this one.
    async fn issue_code(
        &self,
        session: Option<Session<'_>>,
        code: &NewCode,
        audit: &NewAudit,
        now_ms: i64,
    ) -> Result<()>;

    /// Whose account a live (unused, unexpired, account active) code opens.
    async fn code_owner(&self, code_hash: &str, now_ms: i64) -> Result<Option<UserId>>;

    /// Uses a code: sets the password, ends the user's other sessions, marks the code used. On an
    /// account that already had a password it also seals her earlier submissions from the account.
    /// `None` if the code is unknown, used, expired, or its account is disabled.
    async fn activate(&self, code_hash: &str, password_hash: &str, now_ms: i64) -> Result<Option<UserId>>;

    /// Switches an account off (ending its sessions) or on.
    async fn set_active(
        &self,
        session: Option<Session<'_>>,
        user: UserId,
        active: bool,
        audit: &NewAudit,
        now_ms: i64,
    ) -> Result<()>;

    /// Sets a password directly (the administrator's reset), ends the user's sessions and seals her
    /// earlier submissions from the account.
    async fn set_password(&self, user: UserId, password_hash: &str, audit: &NewAudit, now_ms: i64) -> Result<()>;

    /// A municipality's schools with their programme groups (ШНОР, ШФНСУ), by name.
    async fn school_flags(&self, municipality: MunicipalityId) -> Result<Vec<(SchoolRef, SchoolFlags)>>;

    /// Programme membership by academic year (issue 11): a municipality's decisions of every year.
    async fn membership_of(&self, municipality: MunicipalityId) -> Result<Vec<MembershipDecision>>;

    /// Records decisions (insert or replace on school and year) with their audit line in one
    /// transaction.
    async fn decide_membership(
        &self,
        session: Option<Session<'_>>,
        decisions: &[MembershipDecision],
        audit: &NewAudit,
        now_ms: i64,
    ) -> Result<()>;

    async fn organisations(&self) -> Result<Organisations>;

    /// A school's login prefix, if it has one.
    async fn login_prefix(&self, school: SchoolId) -> Result<Option<String>>;

    /// Gives the school `prefix` if it has none, no other school has it and no account outside
    /// the school has a login starting with `prefix.`, in one statement; whether it did.
    async fn claim_login_prefix(&self, school: SchoolId, prefix: &str) -> Result<bool>;

    /// Whether `prefix` could be `school`'s (or, for `None`, a new school's): no other school has
    /// it and no account outside the school has a login in its namespace.
    async fn login_prefix_free(&self, prefix: &str, school: Option<SchoolId>) -> Result<bool>;

    /// The school whose login namespace `prefix` is.
    async fn login_prefix_owner(&self, prefix: &str) -> Result<Option<SchoolId>>;

    /// Writes a whole import or nothing. A taken login is [`StorageError::AlreadyExists`].
    async fn import(&self, batch: &ImportBatch, now_ms: i64) -> Result<()>;
}

/// Sessions (only token hashes) and the throttles' counters: what several server processes must share.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Whether the throttles must keep their counters here (several processes on one database)
    /// rather than in each process's memory.
    fn shares_throttles(&self) -> bool {
        false
    }

    /// Runs `update` once on the counters of `keys` and stores the result, under a lock that
    /// keeps any other process from changing those counters in between.
    async fn update_throttle(&self, keys: &[String], update: ThrottleUpdate<'_>) -> Result<()>;

    /// Deletes counters with nothing left to remember at `now_ms` (window and lockout over, no
    /// attempt pending; or untouched for three windows, e.g. a slot a killed process never gave
    /// back) and returns them.
    async fn sweep_throttle(&self, now_ms: i64, window_ms: i64) -> Result<Vec<ThrottleCounter>>;

    /// Opens a session for an account that is on and, with `checked`, whose password is still
    /// that hash: the one the login just verified (or the activation just set). Checked in the
    /// same statement, serialised with resets (the write lock), so a login verified against a
    /// password a reset has since replaced opens nothing (`false`) instead of a session the
    /// reset did not end. `None`: the server's own sessions (tests).
    async fn create_session(
        &self,
        token_hash: &str,
        user: UserId,
        checked: Option<&str>,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> Result<bool>;

    async fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>>;

    async fn extend_session(&self, token_hash: &str, expires_at_ms: i64) -> Result<()>;

    async fn delete_session(&self, token_hash: &str) -> Result<()>;
}

/// Form definitions, self-diagnosis and report forms: a published version never changes.
#[async_trait]
pub trait FormStore: Send + Sync {
    async fn store_report_form(&self, form: &ReportForm, now_ms: i64) -> Result<FormStored>;

    async fn report_form(&self, id: &FormId, version: u32) -> Result<Option<ReportForm>>;

    /// The newest version of every report form.
    async fn latest_report_forms(&self) -> Result<Vec<ReportForm>>;

    async fn store_form(&self, form: &FormDefinition, now_ms: i64) -> Result<FormStored>;

    async fn form(&self, form: &FormRef) -> Result<Option<FormDefinition>>;

    async fn latest_form(&self, id: &FormId) -> Result<Option<FormDefinition>>;
}

/// Teachers' self-diagnoses: committing, reading back, and what aggregates are released from.
#[async_trait]
pub trait DiagnosisStore: Send + Sync {
    /// Commits a submission, and with a key the idempotency record, in one transaction, if the
    /// session it was made under is still live ([`Session`]; `None`: the server's own data).
    async fn commit_submission(
        &self,
        session: Option<Session<'_>>,
        key: Option<ChangeKey>,
        new: &NewSubmission,
        now_ms: i64,
    ) -> Result<Committed>;

    async fn submission(&self, id: opora_domain::SubmissionId) -> Result<Option<StoredSubmission>>;

    /// Each active teacher's latest submission (by receipt): the individual results a principal
    /// sees where her municipality allows it. Never for aggregates: see `received_submissions`.
    async fn latest_profiles(&self, municipality: MunicipalityId, form: &FormId) -> Result<Vec<LatestProfile>>;

    /// Every submission of `form` made at a school of the region, whatever the account's state
    /// today, in the server's order of receipt: what every aggregate is released from.
    async fn received_submissions(&self, region: RegionId, form: &FormId) -> Result<Vec<ReceivedSubmission>>;

    /// A submission as its author may read it: `None` for anyone else, and for submissions sealed
    /// by a reset of her account (a new activation code used, an administrator's new password).
    async fn readable_submission(
        &self,
        id: opora_domain::SubmissionId,
        reader: UserId,
    ) -> Result<Option<StoredSubmission>>;
}

/// School reports: current state, revisions, merges under an idempotency key.
#[async_trait]
pub trait ReportStore: Send + Sync {
    /// The latest sent revision of every report of `form` in the municipality, every period.
    async fn sent_reports(&self, municipality: MunicipalityId, form: &FormId) -> Result<Vec<SentReport>>;

    async fn report(&self, key: &ReportKey) -> Result<Option<StoredReport>>;

    /// Applies an edit under its idempotency key in one transaction: reads the current report and
    /// the edit's base revision, stores what `decide` returns as the next revision, and records
    /// the keys (`PushedKeys`) with the outcome. A key already recorded gets its recorded outcome.
    /// Only while the session it was made under is live ([`Session`]; `None`: the server's own
    /// data).
    async fn commit_report(
        &self,
        session: Option<Session<'_>>,
        change: Option<PushedKeys<'_>>,
        edit: &ReportEdit,
        author: UserId,
        decide: DecideEdit<'_>,
        now_ms: i64,
    ) -> Result<Outcome>;

    async fn report_revisions(&self, key: &ReportKey) -> Result<Vec<ReportRevision>>;

    /// Every report of `form` for `period` in the municipality, current state.
    async fn reports_of_municipality(
        &self,
        municipality: MunicipalityId,
        form: &FormId,
        period: &str,
    ) -> Result<Vec<StoredReport>>;
}

/// Reporting campaigns of a municipality.
#[async_trait]
pub trait CampaignStore: Send + Sync {
    /// Opens a campaign, or moves the deadline of the one already open for the same municipality,
    /// form and period; returns the stored campaign.
    async fn open_campaign(
        &self,
        session: Option<Session<'_>>,
        campaign: &Campaign,
        opened_by: UserId,
        audit: &NewAudit,
        now_ms: i64,
    ) -> Result<Campaign>;

    /// A municipality's campaigns, newest first.
    async fn campaigns_of(&self, municipality: MunicipalityId) -> Result<Vec<Campaign>>;

    async fn campaign(&self, id: CampaignId) -> Result<Option<Campaign>>;
}

/// The change log: idempotency records of pushed changes and pulls by cursor.
#[async_trait]
pub trait ChangeStore: Send + Sync {
    async fn previous_change(&self, key: ChangeKey) -> Result<Option<PreviousChange>>;

    /// Records a refused change under its keys (`PushedKeys`) so a replay gets the same answer,
    /// while the session it was pushed under is live ([`Session`]).
    async fn record_rejection(
        &self,
        session: Session<'_>,
        keys: PushedKeys<'_>,
        user: UserId,
        outcome: &Outcome,
        now_ms: i64,
    ) -> Result<Outcome>;

    async fn pull(&self, scope: PullScope, cursor: Cursor, limit: u32) -> Result<PullPage>;
}

/// The audit log and the municipality's privacy setting.
#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn audit(&self, entry: &NewAudit, now_ms: i64) -> Result<()>;

    /// Newest first, before `before_seq` when given.
    async fn audit_log(&self, before_seq: Option<i64>, limit: u32) -> Result<Vec<AuditEntry>>;

    async fn principals_see_individual(&self, municipality: MunicipalityId) -> Result<bool>;

    async fn set_principals_see_individual(
        &self,
        session: Option<Session<'_>>,
        municipality: MunicipalityId,
        allowed: bool,
        audit: &NewAudit,
        now_ms: i64,
    ) -> Result<()>;
}
