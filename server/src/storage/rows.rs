//! Decoding rows into domain types, written once for both backends. The two schemas give every
//! column the same name and type, so the code is the same; only the row type differs, which
//! `sqlx` does not let one function take without a bound per decoded type. Each backend's
//! `mod.rs` calls `row_decoders!(its row type)`.

/// Defines `parse`, `parse_opt`, `json`, `to_json`, `report_from`, `user_record`,
/// `submission_from`, `throttle_key`, `throttle_counter_from`, `form_key` and `campaign_from`
/// for one backend's row type.
macro_rules! row_decoders {
    ($row:ty) => {
        fn parse<T: FromStr>(row: &$row, column: &str) -> Result<T> {
            let text: String = row.try_get(column)?;
            text.parse().map_err(|_| StorageError::Corrupt(format!("{column} = {text:?}")))
        }

        fn parse_opt<T: FromStr>(row: &$row, column: &str) -> Result<Option<T>> {
            let text: Option<String> = row.try_get(column)?;
            text.map(|t| t.parse().map_err(|_| StorageError::Corrupt(format!("{column} = {t:?}")))).transpose()
        }

        fn json<T: serde::de::DeserializeOwned>(row: &$row, column: &str) -> Result<T> {
            let text: String = row.try_get(column)?;
            serde_json::from_str(&text).map_err(|e| StorageError::Corrupt(format!("{column}: {e}")))
        }

        fn to_json<T: serde::Serialize>(value: &T) -> String {
            serde_json::to_string(value).expect("domain types serialise")
        }

        fn report_from(row: &$row) -> Result<StoredReport> {
            Ok(StoredReport {
                key: ReportKey {
                    school: parse(row, "school_id")?,
                    form: FormId(row.try_get("form_id")?),
                    period: row.try_get("period")?,
                },
                form_version: row.try_get::<i64, _>("form_version")? as u32,
                revision: row.try_get::<i64, _>("revision")? as u32,
                fields: json(row, "fields")?,
                submitted_revision: row.try_get::<Option<i64>, _>("submitted_revision")?.map(|r| r as u32),
                conflicts: json(row, "conflicts")?,
                updated_at_ms: row.try_get("updated_at")?,
                updated_by: parse(row, "updated_by")?,
            })
        }

        fn user_record(row: &$row) -> Result<UserRecord> {
            let role: String = row.try_get("role")?;
            let role = Role::parse(&role).ok_or_else(|| StorageError::Corrupt(format!("role {role}")))?;
            let municipality = match parse_opt::<MunicipalityId>(row, "municipality_id")? {
                Some(id) => Some(MunicipalityRef {
                    id,
                    name: row.try_get("municipality_name")?,
                    region_id: parse(row, "region_id")?,
                }),
                None => None,
            };
            let school = match (parse_opt::<SchoolId>(row, "school_id")?, &municipality) {
                (Some(id), Some(m)) => Some(SchoolRef { id, name: row.try_get("school_name")?, municipality_id: m.id }),
                _ => None,
            };
            Ok(UserRecord {
                profile: UserProfile {
                    id: parse(row, "id")?,
                    login: row.try_get("login")?,
                    full_name: row.try_get("full_name")?,
                    role,
                    school,
                    municipality,
                    region: parse_opt(row, "user_region")?,
                },
                password_hash: row.try_get("password_hash")?,
                active: row.try_get("active")?,
            })
        }

        fn submission_from(row: &$row) -> Result<StoredSubmission> {
            Ok(StoredSubmission {
                submission: Submission {
                    id: parse(row, "id")?,
                    form: FormRef {
                        id: FormId(row.try_get("form_id")?),
                        version: row.try_get::<i64, _>("form_version")? as u32,
                    },
                    subject: opora_domain::SubjectCode(row.try_get("subject")?),
                    answers: json(row, "answers")?,
                    started_at_ms: row.try_get("started_at")?,
                    submitted_at_ms: row.try_get("submitted_at")?,
                },
                teacher: parse(row, "teacher_id")?,
                received_at_ms: row.try_get("received_at")?,
            })
        }

        /// A counter's key as stored: its SHA-256 in hex. Keys join a login and an address with NUL
        /// (which PostgreSQL's text cannot hold), and a hash bounds their size.
        fn throttle_key(key: &str) -> String {
            use sha2::Digest;
            sha2::Sha256::digest(key.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
        }

        fn throttle_counter_from(row: &$row) -> Result<ThrottleCounter> {
            Ok(ThrottleCounter {
                failures: row.try_get::<i64, _>("failures")? as u32,
                pending: row.try_get::<i64, _>("pending")? as u32,
                pending_at_ms: row.try_get("pending_at")?,
                window_start_ms: row.try_get("window_start")?,
                locked_until_ms: row.try_get("locked_until")?,
                locked_at_ms: row.try_get("locked_at")?,
                refused: row.try_get::<i64, _>("refused")? as u32,
                subject: row.try_get("subject")?,
                client: row.try_get("client")?,
            })
        }

        fn form_key(form: &FormRef) -> String {
            format!("{}@{}", form.id, form.version)
        }

        fn campaign_from(row: &$row) -> Result<Campaign> {
            Ok(Campaign {
                id: parse(row, "id")?,
                municipality: parse(row, "municipality_id")?,
                form: FormId(row.try_get("form_id")?),
                form_title: row.try_get("form_title")?,
                period: row.try_get("period")?,
                deadline: row.try_get("deadline")?,
                opened_at_ms: row.try_get("opened_at")?,
            })
        }
    };
}

pub(super) use row_decoders;
