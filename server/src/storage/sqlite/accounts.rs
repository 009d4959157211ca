//! Organisations and accounts: regions, municipalities, schools, users, activation codes, imports.

use super::*;

impl SqliteStorage {
    async fn is_empty(&self) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&self.reader).await?;
        Ok(n == 0)
    }

    async fn insert_region(&self, id: RegionId, name: &str) -> Result<()> {
        insert_region_row(&self.writer, id, name).await
    }

    async fn insert_municipality(&self, m: &MunicipalityRef) -> Result<()> {
        insert_municipality_row(&self.writer, m).await
    }

    async fn insert_school(&self, s: &NewSchool) -> Result<()> {
        insert_school_row(&self.writer, s).await
    }

    async fn insert_user(&self, u: &NewUser, now_ms: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        insert_user_row(&mut tx, u, now_ms).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn user_by_login(&self, login: &str) -> Result<Option<UserRecord>> {
        let row =
            sqlx::query(&format!("{USER_SELECT} WHERE u.login = ?")).bind(login).fetch_optional(&self.reader).await?;
        row.as_ref().map(user_record).transpose()
    }

    async fn user(&self, id: UserId) -> Result<Option<UserRecord>> {
        let row = sqlx::query(&format!("{USER_SELECT} WHERE u.id = ?"))
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(user_record).transpose()
    }

    async fn municipality(&self, id: MunicipalityId) -> Result<Option<MunicipalityRef>> {
        let row = sqlx::query("SELECT id, name, region_id FROM municipalities WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| {
            Ok(MunicipalityRef { id: parse(&r, "id")?, name: r.try_get("name")?, region_id: parse(&r, "region_id")? })
        })
        .transpose()
    }

    async fn schools_of(&self, municipality: MunicipalityId) -> Result<Vec<SchoolRef>> {
        let rows = sqlx::query("SELECT id, name, municipality_id FROM schools WHERE municipality_id = ? ORDER BY name")
            .bind(municipality.to_string())
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(SchoolRef {
                    id: parse(r, "id")?,
                    name: r.try_get("name")?,
                    municipality_id: parse(r, "municipality_id")?,
                })
            })
            .collect()
    }

    async fn teacher_counts(&self, municipality: MunicipalityId) -> Result<Vec<(SchoolId, u32)>> {
        let rows = sqlx::query(
            "SELECT s.id, COUNT(u.id) AS teachers
             FROM schools s LEFT JOIN users u ON u.school_id = s.id AND u.role = 'teacher'
                 -- A teacher who submitted stays counted when her account is switched off, as her
                 -- submission does: switching an account off and on must not move any figure.
                 AND (u.active = 1 OR EXISTS (SELECT 1 FROM self_diagnoses d WHERE d.teacher_id = u.id))
             WHERE s.municipality_id = ? GROUP BY s.id",
        )
        .bind(municipality.to_string())
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(|r| Ok((parse(r, "id")?, r.try_get::<i64, _>("teachers")? as u32))).collect()
    }

    async fn teacher_roll(&self, municipality: MunicipalityId) -> Result<Vec<RolledTeacher>> {
        let rows = sqlx::query(
            "SELECT u.id, u.school_id, u.subject
             FROM users u JOIN schools s ON s.id = u.school_id
             WHERE s.municipality_id = ? AND u.role = 'teacher'
                 -- The accounts `teacher_counts` counts: active, or switched off after submitting.
                 AND (u.active = 1 OR EXISTS (SELECT 1 FROM self_diagnoses d WHERE d.teacher_id = u.id))",
        )
        .bind(municipality.to_string())
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RolledTeacher {
                    id: parse(r, "id")?,
                    school: parse(r, "school_id")?,
                    subject: r.try_get::<Option<String>, _>("subject")?.map(|s| TeacherSubject::from_stored(&s)),
                })
            })
            .collect()
    }

    async fn school(&self, id: SchoolId) -> Result<Option<SchoolRef>> {
        let row = sqlx::query("SELECT id, name, municipality_id FROM schools WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| {
            Ok(SchoolRef {
                id: parse(&r, "id")?,
                name: r.try_get("name")?,
                municipality_id: parse(&r, "municipality_id")?,
            })
        })
        .transpose()
    }

    async fn municipalities_of(&self, region: RegionId) -> Result<Vec<MunicipalityRef>> {
        let rows = sqlx::query("SELECT id, name, region_id FROM municipalities WHERE region_id = ? ORDER BY name")
            .bind(region.to_string())
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(MunicipalityRef { id: parse(r, "id")?, name: r.try_get("name")?, region_id: parse(r, "region_id")? })
            })
            .collect()
    }

    async fn create_account(
        &self,
        session: Option<Session<'_>>,
        u: &NewUser,
        code: Option<&NewCode>,
        audit: &NewAudit,
        now_ms: i64,
    ) -> Result<()> {
        let mut tx = self.begin_write_under(session, now_ms).await?;
        insert_user_row(&mut tx, u, now_ms).await?;
        if let Some(code) = code {
            insert_code(&mut tx, code, now_ms).await?;
        }
        insert_audit(&mut tx, audit, now_ms).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn teachers_of(&self, school: SchoolId, form: &FormId) -> Result<Vec<TeacherAccount>> {
        let rows = sqlx::query(
            "SELECT u.id, u.login, u.full_name, u.subject, u.active, u.password_hash IS NOT NULL AS activated,
                    (SELECT MAX(d.submitted_at) FROM self_diagnoses d
                     WHERE d.teacher_id = u.id AND d.form_id = ?) AS last_submitted
             FROM users u WHERE u.school_id = ? AND u.role = 'teacher'
             ORDER BY u.full_name COLLATE NOCASE",
        )
        .bind(form.as_str())
        .bind(school.to_string())
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                let status = match (r.try_get::<bool, _>("active")?, r.try_get::<bool, _>("activated")?) {
                    (false, _) => AccountStatus::Disabled,
                    (true, false) => AccountStatus::AwaitingActivation,
                    (true, true) => AccountStatus::Active,
                };
                Ok(TeacherAccount {
                    id: parse(r, "id")?,
                    login: r.try_get("login")?,
                    full_name: r.try_get("full_name")?,
                    subject: r
                        .try_get::<Option<String>, _>("subject")?
                        .map(|s| TeacherSubject::from_stored(&s).title_ru().to_owned()),
                    status,
                    last_submitted_at_ms: r.try_get("last_submitted")?,
                    submitted: r.try_get::<Option<i64>, _>("last_submitted")?.is_some(),
                })
            })
            .collect()
    }

    async fn issue_code(
        &self,
        session: Option<Session<'_>>,
        code: &NewCode,
        audit: &NewAudit,
        now_ms: i64,
    ) -> Result<()> {
        let mut tx = self.begin_write_under(session, now_ms).await?;
        insert_code(&mut tx, code, now_ms).await?;
        insert_audit(&mut tx, audit, now_ms).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn code_owner(&self, code_hash: &str, now_ms: i64) -> Result<Option<UserId>> {
        let user: Option<String> =
            sqlx::query_scalar(LIVE_CODE_OWNER).bind(code_hash).bind(now_ms).fetch_optional(&self.reader).await?;
        user.map(|u| u.parse().map_err(|_| StorageError::Corrupt(format!("activation_codes.user_id {u}")))).transpose()
    }

    async fn activate(&self, code_hash: &str, password_hash: &str, now_ms: i64) -> Result<Option<UserId>> {
        let mut tx = self.begin_write().await?;
        let user: Option<String> =
            sqlx::query_scalar(LIVE_CODE_OWNER).bind(code_hash).bind(now_ms).fetch_optional(&mut *tx).await?;
        let Some(user) = user else { return Ok(None) };
        // A code used on an account that already had a password: whoever chose the new one may not
        // be the teacher (a principal issues codes), so her earlier answers are sealed from it.
        let had_password: bool = sqlx::query_scalar("SELECT password_hash IS NOT NULL FROM users WHERE id = ?")
            .bind(&user)
            .fetch_one(&mut *tx)
            .await?;
        if had_password {
            seal_answers(&mut tx, &user, now_ms).await?;
        }
        sqlx::query("UPDATE activation_codes SET used_at = ? WHERE code_hash = ?")
            .bind(now_ms)
            .bind(code_hash)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
            .bind(password_hash)
            .bind(&user)
            .execute(&mut *tx)
            .await?;
        // Whoever knew the old password is logged out everywhere.
        sqlx::query("DELETE FROM sessions WHERE user_id = ?").bind(&user).execute(&mut *tx).await?;
        let user_id: UserId =
            user.parse().map_err(|_| StorageError::Corrupt(format!("activation_codes.user_id {user}")))?;
        insert_audit(&mut tx, &NewAudit::new(Some(user_id), "account.activated", user_id), now_ms).await?;
        tx.commit().await?;
        Ok(Some(user_id))
    }

    async fn set_active(
        &self,
        session: Option<Session<'_>>,
        user: UserId,
        active: bool,
        audit: &NewAudit,
        now_ms: i64,
    ) -> Result<()> {
        let mut tx = self.begin_write_under(session, now_ms).await?;
        sqlx::query("UPDATE users SET active = ? WHERE id = ?")
            .bind(active)
            .bind(user.to_string())
            .execute(&mut *tx)
            .await?;
        if !active {
            sqlx::query("DELETE FROM sessions WHERE user_id = ?").bind(user.to_string()).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM activation_codes WHERE user_id = ? AND used_at IS NULL")
                .bind(user.to_string())
                .execute(&mut *tx)
                .await?;
        }
        insert_audit(&mut tx, audit, now_ms).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_password(&self, user: UserId, password_hash: &str, audit: &NewAudit, now_ms: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        // The administrator chose this password, not the teacher: her earlier answers are sealed.
        seal_answers(&mut tx, &user.to_string(), now_ms).await?;
        sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
            .bind(password_hash)
            .bind(user.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = ?").bind(user.to_string()).execute(&mut *tx).await?;
        insert_audit(&mut tx, audit, now_ms).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn school_flags(&self, municipality: MunicipalityId) -> Result<Vec<(SchoolRef, SchoolFlags)>> {
        let rows = sqlx::query(
            "SELECT id, name, municipality_id, low_results, unfavourable FROM schools WHERE municipality_id = ? ORDER BY name",
        )
        .bind(municipality.to_string())
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    SchoolRef {
                        id: parse(r, "id")?,
                        name: r.try_get("name")?,
                        municipality_id: parse(r, "municipality_id")?,
                    },
                    SchoolFlags {
                        low_results: r.try_get("low_results")?,
                        unfavourable_conditions: r.try_get("unfavourable")?,
                    },
                ))
            })
            .collect()
    }

    async fn membership_of(&self, municipality: MunicipalityId) -> Result<Vec<MembershipDecision>> {
        let rows = sqlx::query(
            "SELECT m.school_id, m.year, m.low_results, m.unfavourable, m.basis, m.basis_date
             FROM programme_membership m JOIN schools s ON s.id = m.school_id
             WHERE s.municipality_id = ? ORDER BY m.year, s.name",
        )
        .bind(municipality.to_string())
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(MembershipDecision {
                    school: parse(r, "school_id")?,
                    year: u16::try_from(r.try_get::<i32, _>("year")?).unwrap_or_default(),
                    flags: SchoolFlags {
                        low_results: r.try_get("low_results")?,
                        unfavourable_conditions: r.try_get("unfavourable")?,
                    },
                    basis: r.try_get("basis")?,
                    basis_date: r.try_get("basis_date")?,
                })
            })
            .collect()
    }

    async fn decide_membership(
        &self,
        session: Option<Session<'_>>,
        decisions: &[MembershipDecision],
        audit: &NewAudit,
        now_ms: i64,
    ) -> Result<()> {
        let mut tx = self.begin_write_under(session, now_ms).await?;
        for d in decisions {
            sqlx::query(
                "INSERT INTO programme_membership
                     (school_id, year, low_results, unfavourable, basis, basis_date, decided_by, decided_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (school_id, year) DO UPDATE SET low_results = excluded.low_results,
                     unfavourable = excluded.unfavourable, basis = excluded.basis,
                     basis_date = excluded.basis_date, decided_by = excluded.decided_by,
                     decided_at = excluded.decided_at",
            )
            .bind(d.school.to_string())
            .bind(i32::from(d.year))
            .bind(d.flags.low_results)
            .bind(d.flags.unfavourable_conditions)
            .bind(&d.basis)
            .bind(&d.basis_date)
            .bind(audit.actor.map(|a| a.to_string()))
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        }
        insert_audit(&mut tx, audit, now_ms).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn organisations(&self) -> Result<Organisations> {
        let regions = sqlx::query("SELECT id, name FROM regions").fetch_all(&self.reader).await?;
        let municipalities =
            sqlx::query("SELECT id, name, region_id FROM municipalities").fetch_all(&self.reader).await?;
        let schools = sqlx::query("SELECT id, name, municipality_id FROM schools").fetch_all(&self.reader).await?;
        Ok(Organisations {
            regions: regions.iter().map(|r| Ok((parse(r, "id")?, r.try_get("name")?))).collect::<Result<_>>()?,
            municipalities: municipalities
                .iter()
                .map(|r| {
                    Ok(MunicipalityRef {
                        id: parse(r, "id")?,
                        name: r.try_get("name")?,
                        region_id: parse(r, "region_id")?,
                    })
                })
                .collect::<Result<_>>()?,
            schools: schools
                .iter()
                .map(|r| {
                    Ok(SchoolRef {
                        id: parse(r, "id")?,
                        name: r.try_get("name")?,
                        municipality_id: parse(r, "municipality_id")?,
                    })
                })
                .collect::<Result<_>>()?,
        })
    }

    async fn login_prefix(&self, school: SchoolId) -> Result<Option<String>> {
        let prefix: Option<Option<String>> = sqlx::query_scalar("SELECT login_prefix FROM schools WHERE id = ?")
            .bind(school.to_string())
            .fetch_optional(&self.reader)
            .await?;
        Ok(prefix.flatten())
    }

    async fn claim_login_prefix(&self, school: SchoolId, prefix: &str) -> Result<bool> {
        let sql = format!(
            "UPDATE schools SET login_prefix = ?1 WHERE id = ?2 AND login_prefix IS NULL AND {}",
            "NOT EXISTS (SELECT 1 FROM schools WHERE login_prefix = ?1) \
             AND NOT EXISTS (SELECT 1 FROM users WHERE substr(login, 1, length(?1) + 1) = ?1 || '.' \
             AND (school_id IS NULL OR school_id <> ?2))"
        );
        match sqlx::query(&sql).bind(prefix).bind(school.to_string()).execute(&self.writer).await {
            Ok(done) => Ok(done.rows_affected() == 1),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    async fn login_prefix_free(&self, prefix: &str, school: Option<SchoolId>) -> Result<bool> {
        let sql = format!(
            "SELECT {}",
            "NOT EXISTS (SELECT 1 FROM schools WHERE login_prefix = ?1) \
             AND NOT EXISTS (SELECT 1 FROM users WHERE substr(login, 1, length(?1) + 1) = ?1 || '.' \
             AND (school_id IS NULL OR school_id <> ?2))"
        );
        let free: bool = sqlx::query_scalar(&sql)
            .bind(prefix)
            .bind(school.map(|s| s.to_string()).unwrap_or_default())
            .fetch_one(&self.reader)
            .await?;
        Ok(free)
    }

    async fn login_prefix_owner(&self, prefix: &str) -> Result<Option<SchoolId>> {
        let id: Option<String> = sqlx::query_scalar("SELECT id FROM schools WHERE login_prefix = ?")
            .bind(prefix)
            .fetch_optional(&self.reader)
            .await?;
        id.map(|id| id.parse().map_err(|_| StorageError::Corrupt(format!("school id {id}")))).transpose()
    }

    async fn import(&self, batch: &ImportBatch, now_ms: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for (id, name) in &batch.regions {
            insert_region_row(&mut *tx, *id, name).await?;
        }
        for m in &batch.municipalities {
            insert_municipality_row(&mut *tx, m).await?;
        }
        for s in &batch.schools {
            insert_school_row(&mut *tx, s).await?;
        }
        for (school, prefix) in &batch.login_prefixes {
            sqlx::query("UPDATE schools SET login_prefix = ? WHERE id = ? AND login_prefix IS NULL")
                .bind(prefix)
                .bind(school.to_string())
                .execute(&mut *tx)
                .await?;
        }
        for (u, code) in &batch.users {
            insert_user_row(&mut tx, u, now_ms).await?;
            insert_code(&mut tx, code, now_ms).await?;
        }
        // After the new accounts: a subject may be a new account's or an existing one's.
        for (user, subject) in &batch.subjects {
            sqlx::query("UPDATE users SET subject = ? WHERE id = ?")
                .bind(subject)
                .bind(user.to_string())
                .execute(&mut *tx)
                .await?;
        }
        if let Some(audit) = &batch.audit {
            insert_audit(&mut tx, audit, now_ms).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

#[async_trait]
impl AccountStore for SqliteStorage {
    async fn is_empty(&self) -> Result<bool> {
        SqliteStorage::is_empty(self).await.map_err(|e| e.during("is_empty"))
    }

    async fn insert_region(&self, id: RegionId, name: &str) -> Result<()> {
        SqliteStorage::insert_region(self, id, name).await.map_err(|e| e.during("insert_region"))
    }

    async fn insert_municipality(&self, m: &MunicipalityRef) -> Result<()> {
        SqliteStorage::insert_municipality(self, m).await.map_err(|e| e.during("insert_municipality"))
    }

    async fn insert_school(&self, s: &NewSchool) -> Result<()> {
        SqliteStorage::insert_school(self, s).await.map_err(|e| e.during("insert_school"))
    }

    async fn insert_user(&self, u: &NewUser, now_ms: i64) -> Result<()> {
        SqliteStorage::insert_user(self, u, now_ms).await.map_err(|e| e.during("insert_user"))
    }

    async fn user_by_login(&self, login: &str) -> Result<Option<UserRecord>> {
        SqliteStorage::user_by_login(self, login).await.map_err(|e| e.during("user_by_login"))
    }

    async fn user(&self, id: UserId) -> Result<Option<UserRecord>> {
        SqliteStorage::user(self, id).await.map_err(|e| e.during("user"))
    }

    async fn municipality(&self, id: MunicipalityId) -> Result<Option<MunicipalityRef>> {
        SqliteStorage::municipality(self, id).await.map_err(|e| e.during("municipality"))
    }

    async fn schools_of(&self, municipality: MunicipalityId) -> Result<Vec<SchoolRef>> {
        SqliteStorage::schools_of(self, municipality).await.map_err(|e| e.during("schools_of"))
    }

    async fn school(&self, id: SchoolId) -> Result<Option<SchoolRef>> {
        SqliteStorage::school(self, id).await.map_err(|e| e.during("school"))
    }

    async fn municipalities_of(&self, region: RegionId) -> Result<Vec<MunicipalityRef>> {
        SqliteStorage::municipalities_of(self, region).await.map_err(|e| e.during("municipalities_of"))
    }

    async fn teacher_counts(&self, municipality: MunicipalityId) -> Result<Vec<(SchoolId, u32)>> {
        SqliteStorage::teacher_counts(self, municipality).await.map_err(|e| e.during("teacher_counts"))
    }

    async fn teacher_roll(&self, municipality: MunicipalityId) -> Result<Vec<RolledTeacher>> {
        SqliteStorage::teacher_roll(self, municipality).await.map_err(|e| e.during("teacher_roll"))
    }

    async fn create_account(
        &self,
        session: Option<Session<'_>>,
        u: &NewUser,
        code: Option<&NewCode>,
        audit: &NewAudit,
        now_ms: i64,
    ) -> Result<()> {
        SqliteStorage::create_account(self, session, u, code, audit, now_ms)
            .await
            .map_err(|e| e.during("create_account"))
    }

    async fn teachers_of(&self, school: SchoolId, form: &FormId) -> Result<Vec<TeacherAccount>> {
        SqliteStorage::teachers_of(self, school, form).await.map_err(|e| e.during("teachers_of"))
    }

    async fn issue_code(
        &self,
        session: Option<Session<'_>>,
        code: &NewCode,
        audit: &NewAudit,
        now_ms: i64,
    ) -> Result<()> {
        SqliteStorage::issue_code(self, session, code, audit, now_ms).await.map_err(|e| e.during("issue_code"))
    }

    async fn code_owner(&self, code_hash: &str, now_ms: i64) -> Result<Option<UserId>> {
        SqliteStorage::code_owner(self, code_hash, now_ms).await.map_err(|e| e.during("code_owner"))
    }

    async fn activate(&self, code_hash: &str, password_hash: &str, now_ms: i64) -> Result<Option<UserId>> {
        SqliteStorage::activate(self, code_hash, password_hash, now_ms).await.map_err(|e| e.during("activate"))
    }

    async fn set_active(
        &self,
        session: Option<Session<'_>>,
        user: UserId,
        active: bool,
        audit: &NewAudit,
        now_ms: i64,
    ) -> Result<()> {
        SqliteStorage::set_active(self, session, user, active, audit, now_ms).await.map_err(|e| e.during("set_active"))
    }

    async fn set_password(&self, user: UserId, password_hash: &str, audit: &NewAudit, now_ms: i64) -> Result<()> {
        SqliteStorage::set_password(self, user, password_hash, audit, now_ms)
            .await
            .map_err(|e| e.during("set_password"))
    }

    async fn school_flags(&self, municipality: MunicipalityId) -> Result<Vec<(SchoolRef, SchoolFlags)>> {
        SqliteStorage::school_flags(self, municipality).await.map_err(|e| e.during("school_flags"))
    }

    async fn membership_of(&self, municipality: MunicipalityId) -> Result<Vec<MembershipDecision>> {
        SqliteStorage::membership_of(self, municipality).await.map_err(|e| e.during("membership_of"))
    }

    async fn decide_membership(
        &self,
        session: Option<Session<'_>>,
        decisions: &[MembershipDecision],
        audit: &NewAudit,
        now_ms: i64,
    ) -> Result<()> {
        SqliteStorage::decide_membership(self, session, decisions, audit, now_ms)
            .await
            .map_err(|e| e.during("decide_membership"))
    }

    async fn organisations(&self) -> Result<Organisations> {
        SqliteStorage::organisations(self).await.map_err(|e| e.during("organisations"))
    }

    async fn login_prefix(&self, school: SchoolId) -> Result<Option<String>> {
        SqliteStorage::login_prefix(self, school).await.map_err(|e| e.during("login_prefix"))
    }

    async fn claim_login_prefix(&self, school: SchoolId, prefix: &str) -> Result<bool> {
        SqliteStorage::claim_login_prefix(self, school, prefix).await.map_err(|e| e.during("claim_login_prefix"))
    }

    async fn login_prefix_free(&self, prefix: &str, school: Option<SchoolId>) -> Result<bool> {
        SqliteStorage::login_prefix_free(self, prefix, school).await.map_err(|e| e.during("login_prefix_free"))
    }

    async fn login_prefix_owner(&self, prefix: &str) -> Result<Option<SchoolId>> {
        SqliteStorage::login_prefix_owner(self, prefix).await.map_err(|e| e.during("login_prefix_owner"))
    }

    async fn import(&self, batch: &ImportBatch, now_ms: i64) -> Result<()> {
        SqliteStorage::import(self, batch, now_ms).await.map_err(|e| e.during("import"))
    }
}
