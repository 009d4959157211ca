//! Identifiers as newtypes, parsed once at the edge so a school id can never be passed where a
//! user id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map($name)
            }
        }
    };
}

uuid_id!(
    /// A person with an account.
    UserId
);
uuid_id!(
    /// A school (образовательная организация, ОО).
    SchoolId
);
uuid_id!(
    /// A municipality (муниципальный район / округ).
    MunicipalityId
);
uuid_id!(
    /// A region (субъект РФ).
    RegionId
);
uuid_id!(
    /// One submitted self-diagnosis. Chosen by the client when the teacher submits, so a retried
    /// upload names the same submission and can never create a second one.
    SubmissionId
);
uuid_id!(
    /// One browser profile on one device. Together with a per-device sequence number it is the
    /// idempotency key of every change the device sends.
    DeviceId
);

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.to_owned())
            }
        }

        // Maps keyed by the id can be looked up by a `&str` without allocating an id.
        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}

string_id!(
    /// A form (questionnaire or report) across its versions, e.g. `self-diagnosis`.
    FormId
);
string_id!(
    /// A competency area inside a form, e.g. `assessment`.
    AreaId
);
string_id!(
    /// A question inside a form. Stable across versions when its meaning is unchanged.
    ItemId
);
string_id!(
    /// A school subject a teacher teaches, e.g. `math`.
    SubjectCode
);

/// A form and one of its versions: what a submission is scored against.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FormRef {
    pub id: FormId,
    pub version: u32,
}

impl fmt::Display for FormRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} v{}", self.id, self.version)
    }
}
uuid_id!(
    /// A reporting campaign: one form, one period, one municipality, one deadline.
    CampaignId
);
