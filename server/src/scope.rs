//! Who may see which part of the organisation tree: the one place the department's, the
//! analytics' and the campaigns' handlers ask. A municipal specialist sees her municipality, a
//! regional specialist her region and its municipalities, an administrator anything; teachers
//! and principals nothing here (their own school's data has its own handlers).

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use opora_domain::api::ErrorCode;
use opora_domain::org::Role;
use opora_domain::{MunicipalityId, RegionId};

/// Which municipality this user may see: a municipal specialist her own, a regional one any of
/// her region's, an administrator any. Teachers and principals none.
pub async fn visible_municipality(
    state: &AppState,
    user: &CurrentUser,
    wanted: Option<MunicipalityId>,
) -> AppResult<MunicipalityId> {
    let own = user.profile.municipality.as_ref().map(|m| m.id);
    match user.profile.role {
        Role::Municipal => {
            let own = own.ok_or_else(|| AppError::code(ErrorCode::Forbidden))?;
            match wanted {
                Some(other) if other != own => Err(AppError::code(ErrorCode::Forbidden)),
                _ => Ok(own),
            }
        }
        Role::Admin => {
            let id = wanted.or(own).ok_or_else(|| AppError::code(ErrorCode::NotFound))?;
            state.store.municipality(id).await?.ok_or_else(|| AppError::code(ErrorCode::NotFound))?;
            Ok(id)
        }
        Role::Regional => {
            let wanted = wanted.ok_or_else(|| AppError::code(ErrorCode::NotFound))?;
            let m = state.store.municipality(wanted).await?.ok_or_else(|| AppError::code(ErrorCode::Forbidden))?;
            if Some(m.region_id) != own_region(user) {
                return Err(AppError::code(ErrorCode::Forbidden));
            }
            Ok(wanted)
        }
        Role::Teacher | Role::Principal => Err(AppError::code(ErrorCode::Forbidden)),
    }
}

fn own_region(user: &CurrentUser) -> Option<RegionId> {
    user.profile.region
}

/// Which region this user may see as a whole: a regional specialist her own (asking for another
/// is refused), an administrator the one asked for or her own. Everyone else none.
pub fn visible_region(user: &CurrentUser, wanted: Option<RegionId>) -> AppResult<RegionId> {
    match user.profile.role {
        Role::Regional => {
            let own = own_region(user).ok_or_else(|| AppError::code(ErrorCode::Forbidden))?;
            match wanted {
                Some(other) if other != own => Err(AppError::code(ErrorCode::Forbidden)),
                _ => Ok(own),
            }
        }
        Role::Admin => wanted.or_else(|| own_region(user)).ok_or_else(|| AppError::code(ErrorCode::NotFound)),
        Role::Teacher | Role::Principal | Role::Municipal => Err(AppError::code(ErrorCode::Forbidden)),
    }
}
