//! Who may see which students. Computed once per request from the person's
//! roles and used by every query and every single-record check, so the REST
//! API and the server functions cannot drift apart.

use std::collections::BTreeSet;

use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::auth::Role;
use crate::db::entities::{school, student, user_role};
use crate::error::AppError;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Access {
    /// Schools led or administered (principal, vice principal, school admin):
    /// every student, read and write.
    pub led_schools: BTreeSet<i32>,
    /// Classes where the person is head teacher: the whole class, read and write.
    pub head_classes: BTreeSet<i32>,
    /// Classes where the person teaches a subject: the class, read.
    pub taught_classes: BTreeSet<i32>,
    /// Schools in an officer's town or county: read-only.
    pub overseen_schools: BTreeSet<i32>,
    /// Schools where the person is an assigned reviewer (家访审核员): the
    /// students read-only (to open the records they spot-check), no contacts.
    pub reviewed_schools: BTreeSet<i32>,
    /// Schools where the person works (any leader or teacher role): whose
    /// colleagues they may pick as co-visitors, where they may upload photos.
    /// Grants no student access by itself.
    pub staff_schools: BTreeSet<i32>,
}

impl Access {
    pub async fn load(
        db: &impl ConnectionTrait,
        roles: &[user_role::Model],
    ) -> Result<Self, AppError> {
        let mut access = Access::default();
        let mut towns = Vec::new();
        let mut counties = Vec::new();
        for row in roles {
            if Role::from_code(&row.role).is_some_and(|r| !r.is_officer()) {
                access.staff_schools.extend(row.school_id);
            }
            match Role::from_code(&row.role) {
                Some(r) if r.is_school_leader() => access.led_schools.extend(row.school_id),
                Some(Role::HeadTeacher) => access.head_classes.extend(row.class_id),
                Some(Role::SubjectTeacher) => access.taught_classes.extend(row.class_id),
                Some(Role::Reviewer) => access.reviewed_schools.extend(row.school_id),
                Some(Role::TownOfficer) => towns.extend(row.town_id),
                Some(Role::CountyOfficer) => counties.extend(row.county_id),
                _ => {}
            }
        }
        if !towns.is_empty() || !counties.is_empty() {
            let ids: Vec<i32> = school::Entity::find()
                .select_only()
                .column(school::Column::Id)
                .filter(
                    Condition::any()
                        .add(school::Column::TownId.is_in(towns))
                        .add(school::Column::CountyId.is_in(counties)),
                )
                .into_tuple()
                .all(db)
                .await?;
            access.overseen_schools.extend(ids);
        }
        Ok(access)
    }

    pub fn is_empty(&self) -> bool {
        self.led_schools.is_empty()
            && self.head_classes.is_empty()
            && self.taught_classes.is_empty()
            && self.overseen_schools.is_empty()
            && self.reviewed_schools.is_empty()
    }

    /// Schools whose visit records the person spot-checks (已审核 / 退回).
    pub fn reviews_school(&self, school_id: i32) -> bool {
        self.led_schools.contains(&school_id) || self.reviewed_schools.contains(&school_id)
    }

    pub fn can_read_student(&self, s: &student::Model) -> bool {
        self.led_schools.contains(&s.school_id)
            || self.head_classes.contains(&s.class_id)
            || self.taught_classes.contains(&s.class_id)
            || self.overseen_schools.contains(&s.school_id)
            || self.reviewed_schools.contains(&s.school_id)
    }

    /// Changing a student's record: school leadership and the head teacher.
    pub fn can_edit_student(&self, s: &student::Model) -> bool {
        self.led_schools.contains(&s.school_id) || self.head_classes.contains(&s.class_id)
    }

    /// Guardian phone numbers are for the staff who contact the family, not
    /// for officers looking at aggregates.
    pub fn can_see_contacts(&self, s: &student::Model) -> bool {
        self.led_schools.contains(&s.school_id)
            || self.head_classes.contains(&s.class_id)
            || self.taught_classes.contains(&s.class_id)
    }

    /// Recording a home visit (or a 拟家访 report): the staff who contact
    /// the family, i.e. the same people who see the contacts.
    pub fn can_visit_student(&self, s: &student::Model) -> bool {
        self.can_see_contacts(s)
    }

    /// The filter for student queries; `None` means the person may see no
    /// students at all (an empty `Condition::any()` would match every row).
    pub fn student_condition(&self) -> Option<Condition> {
        if self.is_empty() {
            return None;
        }
        let classes: Vec<i32> = self
            .head_classes
            .union(&self.taught_classes)
            .copied()
            .collect();
        let schools: Vec<i32> = self
            .led_schools
            .iter()
            .chain(&self.overseen_schools)
            .chain(&self.reviewed_schools)
            .copied()
            .collect();
        let mut cond = Condition::any();
        if !classes.is_empty() {
            cond = cond.add(student::Column::ClassId.is_in(classes));
        }
        if !schools.is_empty() {
            cond = cond.add(student::Column::SchoolId.is_in(schools));
        }
        Some(cond)
    }

    /// The school a leader's page is about: `requested` if `allowed`
    /// contains it, else (nothing requested) the first school they lead.
    pub fn choose_school(
        &self,
        requested: Option<i32>,
        allowed: impl Fn(i32) -> bool,
    ) -> Result<i32, AppError> {
        match requested {
            Some(id) if allowed(id) => Ok(id),
            Some(_) => Err(AppError::Forbidden),
            None => self.led_schools.first().copied().ok_or(AppError::Forbidden),
        }
    }

    /// Refuse with 403 unless the student is readable (404 is not used, so
    /// the answer is the same whether or not the id exists elsewhere).
    pub fn ensure_read_student(&self, s: &student::Model) -> Result<(), AppError> {
        if self.can_read_student(s) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn student(school_id: i32, class_id: i32) -> student::Model {
        let now = chrono::Utc::now();
        student::Model {
            id: 1,
            school_id,
            class_id,
            name: "测试".into(),
            gender: "female".into(),
            birth_date: None,
            student_no: "G1".into(),
            id_card: None,
            home_address: None,
            flag_left_behind: false,
            flag_orphan: false,
            flag_disabled: false,
            flag_low_income: false,
            flag_poverty: false,
            flag_single_parent: false,
            flag_other: None,
            status: "in_school".into(),
            status_since: now.date_naive(),
            home_teaching: false,
            home_teaching_since: None,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn subject_teacher_reads_only_taught_classes_and_edits_nothing() {
        let access = Access {
            taught_classes: [10].into(),
            ..Default::default()
        };
        assert!(access.can_read_student(&student(1, 10)));
        assert!(!access.can_read_student(&student(1, 11)));
        assert!(!access.can_edit_student(&student(1, 10)));
        assert!(access.can_see_contacts(&student(1, 10)));
    }

    #[test]
    fn officers_read_their_area_but_see_no_contacts() {
        let access = Access {
            overseen_schools: [1, 2].into(),
            ..Default::default()
        };
        assert!(access.can_read_student(&student(2, 99)));
        assert!(!access.can_read_student(&student(3, 99)));
        assert!(!access.can_edit_student(&student(2, 99)));
        assert!(!access.can_see_contacts(&student(2, 99)));
    }

    #[test]
    fn no_roles_means_no_condition() {
        assert!(Access::default().student_condition().is_none());
        assert!(
            Access {
                head_classes: [1].into(),
                ..Default::default()
            }
            .student_condition()
            .is_some()
        );
    }
}
