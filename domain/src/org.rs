//! Organisations and people: region → municipality → school, and who a user is.

use crate::{MunicipalityId, RegionId, SchoolId, UserId};
use serde::{Deserialize, Serialize};

/// What a user may do. Authorisation is decided on the server from the stored role, never from
/// what a client claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Teacher,
    Principal,
    /// A specialist of the municipal education department (отдел образования / МОЦ).
    Municipal,
    Regional,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Teacher => "teacher",
            Role::Principal => "principal",
            Role::Municipal => "municipal",
            Role::Regional => "regional",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "teacher" => Role::Teacher,
            "principal" => Role::Principal,
            "municipal" => Role::Municipal,
            "regional" => Role::Regional,
            "admin" => Role::Admin,
            _ => return None,
        })
    }

    pub fn title_ru(self) -> &'static str {
        match self {
            Role::Teacher => "Учитель",
            Role::Principal => "Руководитель школы",
            Role::Municipal => "Отдел образования",
            Role::Regional => "Региональный специалист",
            Role::Admin => "Администратор",
        }
    }
}

/// The programme groups a school may be flagged in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchoolFlags {
    /// ШНОР: школа с низкими образовательными результатами.
    #[serde(default)]
    pub low_results: bool,
    /// ШФНСУ: школа, функционирующая в неблагоприятных социальных условиях.
    #[serde(default)]
    pub unfavourable_conditions: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SchoolRef {
    pub id: SchoolId,
    pub name: String,
    pub municipality_id: MunicipalityId,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MunicipalityRef {
    pub id: MunicipalityId,
    pub name: String,
    pub region_id: RegionId,
}

/// Who is logged in: what the app shows in its header and uses to pick pages. Stored in the
/// browser so the app can start offline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserProfile {
    pub id: UserId,
    pub login: String,
    pub full_name: String,
    pub role: Role,
    #[serde(default)]
    pub school: Option<SchoolRef>,
    #[serde(default)]
    pub municipality: Option<MunicipalityRef>,
    /// The region a regional specialist works for; for everyone else their municipality's.
    #[serde(default)]
    pub region: Option<RegionId>,
}
