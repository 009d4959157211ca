//! Schools' login namespaces (`opora_domain::accounts`): a school's prefix, chosen once while no
//! account outside the school has a login starting with it, and the refusal of such a login to
//! anyone outside the school, whichever way the account is made. Together they keep every login
//! a principal can meet inside her own school.

use crate::storage::{Result, Storage, StorageError};
use opora_domain::SchoolId;
use opora_domain::accounts::{login_prefix_candidates, login_prefix_of};
use std::collections::BTreeSet;

/// The first of the school's candidate prefixes that is free for it and not in `also_taken`
/// (prefixes an import has given to schools it has not written yet).
pub async fn free_prefix(
    store: &dyn Storage,
    school: Option<SchoolId>,
    principal_login: Option<&str>,
    school_name: &str,
    also_taken: &BTreeSet<String>,
) -> Result<String> {
    for candidate in login_prefix_candidates(principal_login, school_name) {
        if !also_taken.contains(&candidate) && store.login_prefix_free(&candidate, school).await? {
            return Ok(candidate);
        }
    }
    Err(StorageError::Corrupt(format!("no free login prefix for the school «{school_name}»")))
}

/// The school's prefix, chosen now if it has none (the principal's login's first, then its name's).
pub async fn prefix_of_school(
    store: &dyn Storage,
    school: SchoolId,
    school_name: &str,
    principal_login: Option<&str>,
) -> Result<String> {
    // Two principals of different schools may race for one prefix: the loser takes the next.
    for _ in 0..5 {
        if let Some(prefix) = store.login_prefix(school).await? {
            return Ok(prefix);
        }
        let candidate = free_prefix(store, Some(school), principal_login, school_name, &BTreeSet::new()).await?;
        if store.claim_login_prefix(school, &candidate).await? {
            return Ok(candidate);
        }
    }
    Err(StorageError::Corrupt(format!("could not choose a login prefix for the school «{school_name}»")))
}

/// Why `login` may not be given to an account of `school` (`None`: of no school): it is in
/// another school's namespace. `None` when it may.
pub async fn outside_namespace(store: &dyn Storage, login: &str, school: Option<SchoolId>) -> Result<Option<String>> {
    let Some(prefix) = login_prefix_of(login) else { return Ok(None) };
    match store.login_prefix_owner(prefix).await? {
        Some(owner) if Some(owner) != school => {
            let name = store.school(owner).await?.map(|s| s.name).unwrap_or_default();
            Ok(Some(format!(
                "логин «{login}»: логины, начинающиеся с «{prefix}.», — только для школы «{name}». Выберите другой."
            )))
        }
        _ => Ok(None),
    }
}
