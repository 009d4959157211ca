//! Teachers' self-diagnoses: committing, reading back, and what aggregates are released from.

use super::*;

impl SqliteStorage {
    async fn commit_submission(
        &self,
        session: Option<Session<'_>>,
        key: Option<ChangeKey>,
        new: &NewSubmission,
        now_ms: i64,
    ) -> Result<Committed> {
        let mut tx = self.begin_write_under(session, now_ms).await?;
        if let Some(key) = key
            && let Some(previous) = previous_outcome(&mut tx, key, new.stored.teacher).await?
        {
            return Ok(Committed::Replayed(previous));
        }
        let s = &new.stored.submission;
        let owner: Option<String> = sqlx::query_scalar("SELECT teacher_id FROM self_diagnoses WHERE id = ?")
            .bind(s.id.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        let committed = match owner {
            Some(owner) if owner == new.stored.teacher.to_string() => Committed::AlreadyStored,
            Some(_) => Committed::IdTaken,
            None => {
                sqlx::query(
                    "INSERT INTO self_diagnoses (id, teacher_id, school_id, form_id, form_version, subject, answers,
                        profile, started_at, submitted_at, received_at, receipt_seq)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                             (SELECT COALESCE(MAX(receipt_seq), 0) + 1 FROM self_diagnoses))",
                )
                .bind(s.id.to_string())
                .bind(new.stored.teacher.to_string())
                .bind(new.school_id.map(|id| id.to_string()))
                .bind(s.form.id.as_str())
                .bind(i64::from(s.form.version))
                .bind(s.subject.as_str())
                .bind(to_json(&s.answers))
                .bind(to_json(&new.profile))
                .bind(s.started_at_ms)
                .bind(s.submitted_at_ms)
                .bind(new.stored.received_at_ms)
                .execute(&mut *tx)
                .await?;
                log_change(&mut tx, "self_diagnosis", &s.id.to_string(), Readers::Account(new.stored.teacher), now_ms)
                    .await?;
                let audit = NewAudit::new(Some(new.stored.teacher), "self_diagnosis.submitted", s.id)
                    .detail(format!("{}@{}", s.form.id, s.form.version));
                insert_audit(&mut tx, &audit, now_ms).await?;
                Committed::Inserted
            }
        };
        if let Some(key) = key {
            let outcome = match committed {
                Committed::IdTaken => Outcome::Rejected { error: ApiError::new(ErrorCode::Conflict) },
                _ => Outcome::Applied,
            };
            insert_applied(&mut tx, key.alone(), new.stored.teacher, &outcome, now_ms).await?;
        }
        tx.commit().await?;
        Ok(committed)
    }

    async fn submission(&self, id: SubmissionId) -> Result<Option<StoredSubmission>> {
        let row = sqlx::query("SELECT * FROM self_diagnoses WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(submission_from).transpose()
    }

    async fn latest_profiles(&self, municipality: MunicipalityId, form: &FormId) -> Result<Vec<LatestProfile>> {
        let rows = sqlx::query(
            "SELECT teacher_id, school_id, submitted_at, profile FROM (
                SELECT d.teacher_id, d.school_id, d.submitted_at, d.profile,
                       ROW_NUMBER() OVER (PARTITION BY d.teacher_id ORDER BY d.receipt_seq DESC) AS rn
                FROM self_diagnoses d
                JOIN schools s ON s.id = d.school_id
                -- Her latest is the one the server received last: the phone's clock is
                -- information, not order.
                -- A teacher whose account is switched off (she left) no longer counts.
                JOIN users u ON u.id = d.teacher_id AND u.active = 1
                WHERE s.municipality_id = ? AND d.form_id = ?)
             WHERE rn = 1",
        )
        .bind(municipality.to_string())
        .bind(form.as_str())
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(LatestProfile {
                    teacher: parse(r, "teacher_id")?,
                    school: parse(r, "school_id")?,
                    submitted_at_ms: r.try_get("submitted_at")?,
                    profile: json(r, "profile")?,
                })
            })
            .collect()
    }

    async fn received_submissions(&self, region: RegionId, form: &FormId) -> Result<Vec<ReceivedSubmission>> {
        let rows = sqlx::query(
            "SELECT d.receipt_seq, d.received_at, d.teacher_id, d.school_id, s.municipality_id, d.profile
             FROM self_diagnoses d
             JOIN schools s ON s.id = d.school_id
             JOIN municipalities m ON m.id = s.municipality_id
             WHERE m.region_id = ? AND d.form_id = ?
             ORDER BY d.receipt_seq",
        )
        .bind(region.to_string())
        .bind(form.as_str())
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ReceivedSubmission {
                    receipt: r.try_get("receipt_seq")?,
                    received_at_ms: r.try_get("received_at")?,
                    teacher: parse(r, "teacher_id")?,
                    school: parse(r, "school_id")?,
                    municipality: parse(r, "municipality_id")?,
                    profile: json(r, "profile")?,
                })
            })
            .collect()
    }

    async fn readable_submission(&self, id: SubmissionId, reader: UserId) -> Result<Option<StoredSubmission>> {
        let row = sqlx::query(&format!("{READABLE_SUBMISSION} WHERE d.id = ? AND d.teacher_id = ?"))
            .bind(id.to_string())
            .bind(reader.to_string())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(submission_from).transpose()
    }
}

#[async_trait]
impl DiagnosisStore for SqliteStorage {
    async fn commit_submission(
        &self,
        session: Option<Session<'_>>,
        key: Option<ChangeKey>,
        new: &NewSubmission,
        now_ms: i64,
    ) -> Result<Committed> {
        SqliteStorage::commit_submission(self, session, key, new, now_ms)
            .await
            .map_err(|e| e.during("commit_submission"))
    }

    async fn submission(&self, id: opora_domain::SubmissionId) -> Result<Option<StoredSubmission>> {
        SqliteStorage::submission(self, id).await.map_err(|e| e.during("submission"))
    }

    async fn latest_profiles(&self, municipality: MunicipalityId, form: &FormId) -> Result<Vec<LatestProfile>> {
        SqliteStorage::latest_profiles(self, municipality, form).await.map_err(|e| e.during("latest_profiles"))
    }

    async fn received_submissions(&self, region: RegionId, form: &FormId) -> Result<Vec<ReceivedSubmission>> {
        SqliteStorage::received_submissions(self, region, form).await.map_err(|e| e.during("received_submissions"))
    }

    async fn readable_submission(
        &self,
        id: opora_domain::SubmissionId,
        reader: UserId,
    ) -> Result<Option<StoredSubmission>> {
        SqliteStorage::readable_submission(self, id, reader).await.map_err(|e| e.during("readable_submission"))
    }
}
