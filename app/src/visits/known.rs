//! What deciding a batch of synced visits reads, loaded once for the whole
//! batch with a fixed number of queries however many visits it carries;
//! each visit's checks then run in memory.

use std::collections::{BTreeSet, HashMap, HashSet};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::auth::Role;
use crate::auth::current_user::CurrentUser;
use crate::db::entities::{attachment, student, user, user_role, visit, visit_plan};
use crate::error::AppError;
use crate::semesters::service::SchoolSemesters;
use crate::visits::VisitInput;

pub struct Known {
    /// The visits already stored under the batch's ids.
    pub visits: HashMap<Uuid, visit::Model>,
    pub semesters: SchoolSemesters,
    students: HashMap<i32, student::Model>,
    /// Co-visitors who are active staff (not officers): the schools where.
    staff_schools: HashMap<i32, BTreeSet<i32>>,
    /// Uploaded photos and signatures among those the batch names.
    attachments: HashSet<String>,
    plans: HashMap<Uuid, visit_plan::Model>,
}

impl Known {
    pub async fn load(
        db: &impl ConnectionTrait,
        batch: &[(Uuid, &VisitInput)],
    ) -> Result<Self, AppError> {
        let visits = visit::Entity::find()
            .filter(visit::Column::Id.is_in(batch.iter().map(|(id, _)| *id)))
            .all(db)
            .await?
            .into_iter()
            .map(|v| (v.id, v))
            .collect();
        let student_ids: BTreeSet<i32> = batch.iter().map(|(_, v)| v.student_id).collect();
        let students: HashMap<i32, student::Model> = student::Entity::find()
            .filter(student::Column::Id.is_in(student_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        let semesters = SchoolSemesters::load(db, students.values().map(|s| s.school_id)).await?;
        let co_visitors: BTreeSet<i32> = batch
            .iter()
            .flat_map(|(_, v)| v.co_visitor_ids.iter().copied())
            .collect();
        let files: BTreeSet<&str> = batch
            .iter()
            .flat_map(|(_, v)| {
                v.photos
                    .iter()
                    .map(String::as_str)
                    .chain(v.signature.as_deref())
            })
            .collect();
        let plan_ids: BTreeSet<Uuid> = batch.iter().filter_map(|(_, v)| v.plan_id).collect();
        Ok(Known {
            visits,
            semesters,
            students,
            staff_schools: staff_schools(db, co_visitors).await?,
            attachments: uploaded(db, files).await?,
            plans: if plan_ids.is_empty() {
                HashMap::new()
            } else {
                visit_plan::Entity::find()
                    .filter(visit_plan::Column::Id.is_in(plan_ids))
                    .all(db)
                    .await?
                    .into_iter()
                    .map(|p| (p.id, p))
                    .collect()
            },
        })
    }

    /// The student, if the caller may record a visit to them (unknown ids
    /// get the same answer as other people's students).
    pub fn visitable_student(
        &self,
        current: &CurrentUser,
        student_id: i32,
    ) -> Result<&student::Model, AppError> {
        self.students
            .get(&student_id)
            .filter(|s| current.access.can_visit_student(s))
            .ok_or(AppError::Forbidden)
    }

    /// Co-visitors are active staff of the student's school, not the visitor.
    pub fn check_co_visitors(
        &self,
        current: &CurrentUser,
        student: &student::Model,
        ids: &[i32],
    ) -> Result<(), AppError> {
        if ids.contains(&current.user.id) {
            return Err(AppError::invalid(
                "co_visitor_ids",
                "同行人员不能包括记录人本人",
            ));
        }
        let unknown: Vec<String> = ids
            .iter()
            .filter(|id| {
                !self
                    .staff_schools
                    .get(id)
                    .is_some_and(|schools| schools.contains(&student.school_id))
            })
            .map(ToString::to_string)
            .collect();
        if unknown.is_empty() {
            Ok(())
        } else {
            Err(AppError::invalid(
                "co_visitor_ids",
                format!(
                    "同行人员须为本校在职教职工（编号 {} 不是）",
                    unknown.join("、")
                ),
            ))
        }
    }

    /// Photos and the signature must have been uploaded first (the phone
    /// sends them before the visit); the message names what is missing.
    pub fn check_attachments(&self, input: &VisitInput) -> Result<(), AppError> {
        let missing: Vec<&str> = input
            .photos
            .iter()
            .map(String::as_str)
            .filter(|p| !self.attachments.contains(*p))
            .collect();
        if !missing.is_empty() {
            return Err(AppError::invalid(
                "photos",
                format!("以下照片尚未上传，请先上传：{}", missing.join("、")),
            ));
        }
        match input.signature.as_deref() {
            Some(sig) if !self.attachments.contains(sig) => Err(AppError::invalid(
                "signature",
                format!("家长签名尚未上传，请先上传：{sig}"),
            )),
            _ => Ok(()),
        }
    }

    /// A 拟家访 report this visit answers must be about the same student.
    pub fn check_plan(
        &self,
        student: &student::Model,
        plan_id: Option<Uuid>,
    ) -> Result<(), AppError> {
        let Some(plan_id) = plan_id else {
            return Ok(());
        };
        match self.plans.get(&plan_id) {
            Some(p) if p.student_id == student.id && p.school_id == student.school_id => Ok(()),
            _ => Err(AppError::invalid(
                "plan_id",
                "所选拟家访报告不存在或不是该学生的",
            )),
        }
    }
}

/// The schools where each of `ids` is active staff with a role that
/// records visits (officers only read).
async fn staff_schools(
    db: &impl ConnectionTrait,
    ids: BTreeSet<i32>,
) -> Result<HashMap<i32, BTreeSet<i32>>, AppError> {
    let mut schools: HashMap<i32, BTreeSet<i32>> = HashMap::new();
    if ids.is_empty() {
        return Ok(schools);
    }
    let active: Vec<i32> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Id.is_in(ids))
        .filter(user::Column::IsActive.eq(true))
        .into_tuple()
        .all(db)
        .await?;
    for role in user_role::Entity::find()
        .filter(user_role::Column::UserId.is_in(active))
        .all(db)
        .await?
    {
        if Role::from_code(&role.role).is_some_and(|r| !r.is_officer())
            && let Some(school_id) = role.school_id
        {
            schools.entry(role.user_id).or_default().insert(school_id);
        }
    }
    Ok(schools)
}

/// Which of `hashes` have been uploaded.
async fn uploaded(
    db: &impl ConnectionTrait,
    hashes: BTreeSet<&str>,
) -> Result<HashSet<String>, AppError> {
    if hashes.is_empty() {
        return Ok(HashSet::new());
    }
    Ok(attachment::Entity::find()
        .select_only()
        .column(attachment::Column::Sha256)
        .filter(attachment::Column::Sha256.is_in(hashes))
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}
