//! The principal's pages: her school's teacher accounts and its self-diagnosis results.
//!
//! Every handler starts from the principal's own school as stored on the server; a teacher id in
//! the path that is not a teacher of that school is answered 404, the same as an id that does not
//! exist, so ids of other schools reveal nothing.
//!
//! Unless the municipality lets principals see individual results, nothing here tells a principal
//! more about one teacher than whether she has submitted: not when (it would name whose submission
//! moved the school's figures), and the school's figures are released atoms like the department's
//! (ARCHITECTURE.md, «Disclosure control»).

use crate::AppState;
use crate::auth::{CurrentUser, new_activation_code, token_hash};
use crate::error::{AppError, AppResult, Json, Path};
use crate::http::department::{SELF_DIAGNOSIS_FORM, area_titles, received_in, released};
use crate::logins;
use crate::storage::{NewAudit, NewCode, NewUser, StorageError};
use axum::extract::State;
use axum::http::StatusCode;
use opora_domain::accounts::{
    ACTIVATION_TTL_MS, format_code, login_from_name, login_of_school_rule, read_full_name, read_login_of_school,
};
use opora_domain::aggregate::summarise_atoms;
use opora_domain::api::{
    ErrorCode, IssuedCode, LoginNamespace, NewTeacher, SchoolSelfDiagnosis, SetActive, TeacherAccount, TeacherResult,
};
use opora_domain::org::{Role, SchoolRef};
use opora_domain::{FormId, UserId};

/// The school a principal manages; everyone else is refused.
fn own_school(user: &CurrentUser) -> AppResult<SchoolRef> {
    match (&user.profile.role, &user.profile.school) {
        (Role::Principal, Some(school)) => Ok(school.clone()),
        _ => Err(AppError::code(ErrorCode::Forbidden)),
    }
}

/// The school's teachers as its principal may see them: when each submitted only where the
/// municipality allows individual results, otherwise only whether.
async fn teachers_seen(state: &AppState, school: &SchoolRef) -> AppResult<Vec<TeacherAccount>> {
    let mut teachers = state.store.teachers_of(school.id, &FormId::from(SELF_DIAGNOSIS_FORM)).await?;
    if !state.store.principals_see_individual(school.municipality_id).await? {
        for teacher in &mut teachers {
            teacher.last_submitted_at_ms = None;
        }
    }
    Ok(teachers)
}

pub async fn list_teachers(State(state): State<AppState>, user: CurrentUser) -> AppResult<Json<Vec<TeacherAccount>>> {
    let school = own_school(&user)?;
    Ok(Json(teachers_seen(&state, &school).await?))
}

/// The school's login namespace, chosen on first use: what the teacher form shows before the
/// login field, and the only logins the principal may choose.
async fn school_prefix(state: &AppState, user: &CurrentUser, school: &SchoolRef) -> AppResult<String> {
    Ok(logins::prefix_of_school(state.store.as_ref(), school.id, &school.name, Some(&user.profile.login)).await?)
}

/// The rule for the logins of the principal's teachers: the prefix they start with.
pub async fn login_namespace(State(state): State<AppState>, user: CurrentUser) -> AppResult<Json<LoginNamespace>> {
    let school = own_school(&user)?;
    let prefix = school_prefix(&state, &user, &school).await?;
    Ok(Json(LoginNamespace { rule: login_of_school_rule(&prefix), prefix }))
}

/// Creates a teacher's account and its first activation code, shown once in the answer. The
/// name and login are read by the same functions as the import and `admin create-user` read
/// them; a chosen login must be in the school's namespace, so a taken one is always a login of
/// this school, and anything else is refused alike whether it exists or not.
pub async fn create_teacher(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(req): Json<NewTeacher>,
) -> AppResult<(StatusCode, Json<IssuedCode>)> {
    let school = own_school(&user)?;
    let invalid = |refusal: String| AppError::detail(ErrorCode::InvalidInput, refusal);
    let full_name = read_full_name(&req.full_name).map_err(invalid)?;
    let prefix = school_prefix(&state, &user, &school).await?;
    let chosen = match req.login.as_deref().filter(|l| !l.trim().is_empty()) {
        Some(typed) => Some(read_login_of_school(&prefix, typed).map_err(invalid)?),
        None => None,
    };
    let base = chosen.clone().unwrap_or_else(|| login_from_name(&prefix, &full_name));
    let now = state.now_ms();
    let id = UserId(uuid::Uuid::new_v4());
    let raw_code = new_activation_code();
    let code = NewCode {
        user: id,
        code_hash: token_hash(&raw_code),
        issued_by: Some(user.profile.id),
        expires_at_ms: now + ACTIVATION_TTL_MS,
    };
    // A chosen login must be free; a derived one gets the first free number: ivanova, ivanova2…
    let attempts = if chosen.is_some() { 1 } else { 50 };
    let mut login = base.clone();
    for n in 1..=attempts {
        if n > 1 {
            login = format!("{base}{n}");
        }
        let new = NewUser {
            id,
            login: login.clone(),
            full_name: full_name.clone(),
            role: Role::Teacher,
            school_id: Some(school.id),
            municipality_id: None,
            region_id: None,
            password_hash: None,
        };
        let audit = NewAudit::new(Some(user.profile.id), "account.created", id).detail(format!("учитель, {login}"));
        match state.store.create_account(Some(user.session()), &new, Some(&code), &audit, now).await {
            Ok(()) => {
                let account = TeacherAccount {
                    id,
                    login,
                    full_name,
                    subject: None,
                    status: opora_domain::api::AccountStatus::AwaitingActivation,
                    last_submitted_at_ms: None,
                    submitted: false,
                };
                let issued = IssuedCode { account, code: format_code(&raw_code), expires_at_ms: code.expires_at_ms };
                return Ok((StatusCode::CREATED, Json(issued)));
            }
            Err(StorageError::AlreadyExists(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::code(ErrorCode::LoginTaken))
}

/// The school's teacher with this id, or 404.
async fn own_teacher(state: &AppState, user: &CurrentUser, id: &str) -> AppResult<TeacherAccount> {
    let school = own_school(user)?;
    let id: UserId = id.parse().map_err(|_| AppError::code(ErrorCode::NotFound))?;
    let teachers = teachers_seen(state, &school).await?;
    teachers.into_iter().find(|t| t.id == id).ok_or_else(|| AppError::code(ErrorCode::NotFound))
}

/// A new activation code for a teacher who lost hers or forgot her password. The old code stops
/// working; her password keeps working until she uses the new code. Using it on an account that
/// was already active seals her earlier submissions from the account (the storage's `activate`):
/// the principal holds the code and may use it herself.
pub async fn issue_code(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Json<IssuedCode>> {
    let teacher = own_teacher(&state, &user, &id).await?;
    if teacher.status == opora_domain::api::AccountStatus::Disabled {
        return Err(AppError::detail(ErrorCode::InvalidInput, "Учётная запись отключена: сначала включите её."));
    }
    let now = state.now_ms();
    let raw_code = new_activation_code();
    let code = NewCode {
        user: teacher.id,
        code_hash: token_hash(&raw_code),
        issued_by: Some(user.profile.id),
        expires_at_ms: now + ACTIVATION_TTL_MS,
    };
    let audit = NewAudit::new(Some(user.profile.id), "account.code_issued", teacher.id);
    state.store.issue_code(Some(user.session()), &code, &audit, now).await?;
    Ok(Json(IssuedCode { account: teacher, code: format_code(&raw_code), expires_at_ms: code.expires_at_ms }))
}

/// Switches a teacher's account off (she left the school: sessions end) or back on. What she
/// submitted keeps counting either way: membership of the aggregates comes from the submissions,
/// so switching an account off and on again moves no figure.
pub async fn set_active(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Json(req): Json<SetActive>,
) -> AppResult<Json<TeacherAccount>> {
    let teacher = own_teacher(&state, &user, &id).await?;
    let action = if req.active { "account.enabled" } else { "account.disabled" };
    let audit = NewAudit::new(Some(user.profile.id), action, teacher.id);
    state.store.set_active(Some(user.session()), teacher.id, req.active, &audit, state.now_ms()).await?;
    Ok(Json(own_teacher(&state, &user, &id).await?))
}

/// The school's self-diagnosis results: the aggregate, suppressed below the minimum group like the
/// department's, and each teacher's result only where the municipality allows principals to see
/// them.
pub async fn self_diagnosis(State(state): State<AppState>, user: CurrentUser) -> AppResult<Json<SchoolSelfDiagnosis>> {
    let school = own_school(&user)?;
    let form_id = FormId::from(SELF_DIAGNOSIS_FORM);
    let form = state.store.latest_form(&form_id).await?.ok_or_else(|| AppError::code(ErrorCode::NotFound))?;
    let teachers = state.store.teachers_of(school.id, &form_id).await?;
    // Counted like the department counts them: a teacher who submitted stays counted when her
    // account is switched off.
    let counted =
        teachers.iter().filter(|t| t.status != opora_domain::api::AccountStatus::Disabled || t.submitted).count()
            as u32;
    let (areas, titles) = area_titles(&form);
    let municipality =
        state.store.municipality(school.municipality_id).await?.ok_or_else(|| AppError::code(ErrorCode::NotFound))?;
    let received = received_in(&state, municipality.region_id, &form_id).await?;
    let released = released(&state, &received);
    let completed = released.submitted_at([&school.id]);
    let summary = summarise_atoms(&areas, counted, completed, &released.of_school(school.id), state.settings.min_group);
    let individual = if state.store.principals_see_individual(school.municipality_id).await? {
        let latest: Vec<_> = state
            .store
            .latest_profiles(school.municipality_id, &form_id)
            .await?
            .into_iter()
            .filter(|l| l.school == school.id)
            .collect();
        Some(
            latest
                .iter()
                .map(|l| TeacherResult {
                    teacher: l.teacher,
                    full_name: teachers
                        .iter()
                        .find(|t| t.id == l.teacher)
                        .map_or_else(String::new, |t| t.full_name.clone()),
                    submitted_at_ms: l.submitted_at_ms,
                    profile: l.profile.clone(),
                })
                .collect(),
        )
    } else {
        None
    };
    Ok(Json(SchoolSelfDiagnosis {
        school,
        form: form.form_ref(),
        areas: titles,
        min_group: state.settings.min_group,
        summary,
        individual,
        generated_at_ms: state.now_ms(),
    }))
}
