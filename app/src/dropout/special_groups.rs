//! 特殊群体台账: the special-group students (留守、孤儿、残疾、低保、脱贫、
//! 单亲…) with how many of them have been visited this semester, per
//! category and per student (seed 002: these families are "控辍工作的重点").

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::roster::SpecialGroup;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GroupCoverage {
    pub group: SpecialGroup,
    pub students: u32,
    /// Visited at least once this semester.
    pub visited: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SpecialStudent {
    pub student_id: i32,
    pub name: String,
    pub class_name: String,
    pub groups: Vec<SpecialGroup>,
    pub visits_this_semester: u32,
    pub last_visit: Option<NaiveDate>,
}

/// `GET /api/v1/ledgers/special-groups`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SpecialGroupLedger {
    pub groups: Vec<GroupCoverage>,
    /// Not yet visited this semester first, then by name.
    pub students: Vec<SpecialStudent>,
}

#[cfg(feature = "ssr")]
pub use service::ledger;

#[cfg(feature = "ssr")]
mod service {
    use std::collections::HashMap;

    use chrono::NaiveDate;
    use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

    use super::{SpecialGroupLedger, SpecialStudent};
    use crate::auth::current_user::CurrentUser;
    use crate::db::entities::{school, student, visit};
    use crate::error::AppError;
    use crate::roster::StudentStatus;
    use crate::roster::service::special_groups;
    use crate::semesters::service::semesters_on;
    use crate::visits::lookup::Students;

    /// The caller's special-group students (on the roll) and their visits in
    /// their school's current semester.
    pub async fn ledger(
        db: &DatabaseConnection,
        current: &CurrentUser,
        today: NaiveDate,
    ) -> Result<SpecialGroupLedger, AppError> {
        let Some(visible) = current.access.student_condition() else {
            return Ok(SpecialGroupLedger {
                groups: vec![],
                students: vec![],
            });
        };
        let students: Vec<student::Model> = student::Entity::find()
            .filter(visible)
            .all(db)
            .await?
            .into_iter()
            .filter(|s| !special_groups(s).is_empty())
            .filter(|s| StudentStatus::from_code(&s.status).is_some_and(|st| st.is_on_roll()))
            .collect();
        let schools = school::Entity::find()
            .filter(school::Column::Id.is_in(students.iter().map(|s| s.school_id)))
            .all(db)
            .await?;
        let semesters = semesters_on(db, &schools, today).await?;
        let earliest = semesters
            .values()
            .map(|s| s.start_date)
            .min()
            .unwrap_or(today);
        let visits = visit::Entity::find()
            .filter(visit::Column::StudentId.is_in(students.iter().map(|s| s.id)))
            .filter(visit::Column::VisitDate.gte(earliest))
            .all(db)
            .await?;
        let mut seen: HashMap<i32, (u32, Option<NaiveDate>)> = HashMap::new();
        let school_of: HashMap<i32, i32> = students.iter().map(|s| (s.id, s.school_id)).collect();
        for v in &visits {
            let Some(semester) = school_of.get(&v.student_id).and_then(|s| semesters.get(s)) else {
                continue;
            };
            if (semester.start_date..=semester.end_date).contains(&v.visit_date) {
                let entry = seen.entry(v.student_id).or_default();
                entry.0 += 1;
                entry.1 = entry.1.max(Some(v.visit_date));
            }
        }
        let labels = Students::load(db, students.iter().map(|s| s.id)).await?;
        let mut rows: Vec<SpecialStudent> = students
            .iter()
            .map(|s| {
                let (count, last) = seen.get(&s.id).copied().unwrap_or_default();
                let (name, class_name) = labels.labels(s.id);
                SpecialStudent {
                    student_id: s.id,
                    name,
                    class_name,
                    groups: special_groups(s),
                    visits_this_semester: count,
                    last_visit: last,
                }
            })
            .collect();
        rows.sort_by(|a, b| {
            (a.visits_this_semester > 0, &a.class_name, &a.name).cmp(&(
                b.visits_this_semester > 0,
                &b.class_name,
                &b.name,
            ))
        });
        Ok(SpecialGroupLedger {
            groups: super::coverage(&rows),
            students: rows,
        })
    }
}

/// Students and visited students per category, in the categories' order.
pub fn coverage(students: &[SpecialStudent]) -> Vec<GroupCoverage> {
    let mut groups: Vec<GroupCoverage> = Vec::new();
    for s in students {
        for g in &s.groups {
            let i = match groups.iter().position(|c| c.group == *g) {
                Some(i) => i,
                None => {
                    groups.push(GroupCoverage {
                        group: *g,
                        students: 0,
                        visited: 0,
                    });
                    groups.len() - 1
                }
            };
            groups[i].students += 1;
            groups[i].visited += u32::from(s.visits_this_semester > 0);
        }
    }
    groups.sort_by_key(|c| c.group as u8);
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn student(groups: Vec<SpecialGroup>, visits: u32) -> SpecialStudent {
        SpecialStudent {
            student_id: 1,
            name: "甲".into(),
            class_name: "一(1)班".into(),
            groups,
            visits_this_semester: visits,
            last_visit: None,
        }
    }

    #[test]
    fn a_student_counts_in_each_of_their_groups() {
        use SpecialGroup::*;
        let rows = [
            student(vec![LeftBehind, Poverty], 2),
            student(vec![LeftBehind], 0),
            student(vec![Orphan], 1),
        ];
        let c = coverage(&rows);
        let find = |g| {
            c.iter()
                .find(|x| x.group == g)
                .map(|x| (x.students, x.visited))
        };
        assert_eq!(find(LeftBehind), Some((2, 1)));
        assert_eq!(find(Poverty), Some((1, 1)));
        assert_eq!(find(Orphan), Some((1, 1)));
        assert_eq!(find(Disabled), None);
        assert_eq!(
            c.first().map(|x| x.group),
            Some(LeftBehind),
            "category order"
        );
    }
}
