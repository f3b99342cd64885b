//! Demo data: one county, one town, two schools with full classes, a
//! current semester and the documented demo accounts. Only loaded when demo
//! mode is on; idempotent (a second run finds the county and does nothing).

use chrono::{Datelike, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, Set, TransactionTrait,
};

use app::auth::Role;
use app::auth::password::hash_password;
use app::db::entities::{
    class, county, grade, guardian, school, semester, student, student_status_history, town, user,
    user_role,
};
use app::roster::StudentStatus;

pub const DEMO_PASSWORD: &str = "demo-password";
const COUNTY_CODE: &str = "441622";

type SeedResult<T> = Result<T, sea_orm::DbErr>;

/// The two demo schools: name, stage, and classes (grade level, grade
/// name, class name, head teacher, class size). Sizes 40–50, some odd.
struct SchoolPlan {
    name: &'static str,
    stage: &'static str,
    classes: &'static [(i32, &'static str, &'static str, usize)],
}

const SCHOOLS: [SchoolPlan; 2] = [
    SchoolPlan {
        name: "龙川县老隆镇第一小学",
        stage: "primary",
        classes: &[
            (3, "三年级", "三年级(1)班", 45),
            (3, "三年级", "三年级(2)班", 44),
            (4, "四年级", "四年级(1)班", 47),
            (4, "四年级", "四年级(2)班", 42),
        ],
    },
    SchoolPlan {
        name: "龙川县老隆镇中学",
        stage: "junior",
        classes: &[
            (7, "七年级", "七年级(1)班", 49),
            (7, "七年级", "七年级(2)班", 46),
        ],
    },
];

/// Documented accounts (README) and the other staff of the schools.
/// (username, display name, must change password)
const ACCOUNTS: [(&str, &str); 7] = [
    ("principal", "王建国"),
    ("head", "李红梅"),
    ("teacher", "张伟"),
    ("admin", "陈静"),
    ("county", "刘志强"),
    ("town", "何晓东"),
    ("principal2", "黄志明"),
];

pub async fn seed(db: &DatabaseConnection) -> SeedResult<()> {
    let txn = db.begin().await?;
    if county::Entity::find()
        .filter(county::Column::Code.eq(COUNTY_CODE))
        .one(&txn)
        .await?
        .is_some()
    {
        tracing::info!("demo data already present");
        return txn.commit().await;
    }
    // One hash for all demo accounts: hashing is deliberately slow.
    let hash = hash_password(DEMO_PASSWORD).map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?;
    let mut rng = StdRng::seed_from_u64(20261123);
    let today = Utc::now().date_naive();

    let county = county::ActiveModel {
        name: Set("龙川县".into()),
        code: Set(Some(COUNTY_CODE.into())),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let town = town::ActiveModel {
        county_id: Set(county.id),
        name: Set("老隆镇".into()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let (name, start, end) = current_semester(today);
    semester::ActiveModel {
        county_id: Set(county.id),
        school_id: Set(None),
        name: Set(name),
        start_date: Set(start),
        end_date: Set(end),
        ..Default::default()
    }
    .insert(&txn)
    .await?;

    let mut users = std::collections::HashMap::new();
    for (username, display_name) in ACCOUNTS {
        let u = insert_user(&txn, username, display_name, &hash, false).await?;
        users.insert(username, u.id);
    }

    let mut student_no = 0u32;
    let mut school_ids = Vec::new();
    for (school_index, plan) in SCHOOLS.iter().enumerate() {
        let school = school::ActiveModel {
            county_id: Set(county.id),
            town_id: Set(town.id),
            name: Set(plan.name.into()),
            stage: Set(plan.stage.into()),
            code: Set(Some(format!("44162210{school_index}"))),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        school_ids.push(school.id);
        let mut grades = std::collections::HashMap::new();
        for (class_index, (level, grade_name, class_name, size)) in plan.classes.iter().enumerate()
        {
            let grade_id = match grades.get(level) {
                Some(id) => *id,
                None => {
                    let g = grade::ActiveModel {
                        school_id: Set(school.id),
                        name: Set((*grade_name).into()),
                        level: Set(*level),
                        ..Default::default()
                    }
                    .insert(&txn)
                    .await?;
                    grades.insert(*level, g.id);
                    g.id
                }
            };
            let class = class::ActiveModel {
                school_id: Set(school.id),
                grade_id: Set(grade_id),
                name: Set((*class_name).into()),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            assign_class_staff(
                &txn,
                &users,
                &hash,
                school_index,
                class_index,
                school.id,
                class.id,
                &mut rng,
            )
            .await?;
            for _ in 0..*size {
                student_no += 1;
                insert_student(
                    &txn, &mut rng, school.id, class.id, *level, student_no, start,
                )
                .await?;
            }
        }
    }

    let (a, b) = (school_ids[0], school_ids[1]);
    for (username, role, school) in [
        ("principal", Role::Principal, a),
        ("admin", Role::SchoolAdmin, a),
        ("principal2", Role::Principal, b),
    ] {
        insert_role(&txn, users[username], role, Some(school), None, None).await?;
    }
    user_role::ActiveModel {
        user_id: Set(users["county"]),
        role: Set(Role::CountyOfficer.code().into()),
        county_id: Set(Some(county.id)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    user_role::ActiveModel {
        user_id: Set(users["town"]),
        role: Set(Role::TownOfficer.code().into()),
        county_id: Set(Some(county.id)),
        town_id: Set(Some(town.id)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let vice = insert_user(&txn, "wuhai", "吴海", &hash, true).await?;
    insert_role(&txn, vice.id, Role::VicePrincipal, Some(a), None, None).await?;

    txn.commit().await?;
    tracing::info!(students = student_no, "demo data loaded");
    Ok(())
}

/// The semester containing `today`: autumn runs from 1 September to the
/// end of January, spring from 1 February to the end of August.
pub fn current_semester(today: NaiveDate) -> (String, NaiveDate, NaiveDate) {
    let year = today.year();
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or(today);
    match today.month() {
        9..=12 => (
            format!("{year}年秋季学期"),
            date(year, 9, 1),
            date(year + 1, 1, 31),
        ),
        1 => (
            format!("{}年秋季学期", year - 1),
            date(year - 1, 9, 1),
            date(year, 1, 31),
        ),
        _ => (
            format!("{year}年春季学期"),
            date(year, 2, 1),
            date(year, 8, 31),
        ),
    }
}

async fn insert_user(
    txn: &DatabaseTransaction,
    username: &str,
    display_name: &str,
    hash: &str,
    must_change_password: bool,
) -> SeedResult<user::Model> {
    let now = Utc::now();
    user::ActiveModel {
        username: Set(username.into()),
        display_name: Set(display_name.into()),
        password_hash: Set(hash.into()),
        must_change_password: Set(must_change_password),
        is_active: Set(true),
        phone: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await
}

async fn insert_role(
    txn: &DatabaseTransaction,
    user_id: i32,
    role: Role,
    school_id: Option<i32>,
    class_id: Option<i32>,
    subject: Option<&str>,
) -> SeedResult<()> {
    user_role::ActiveModel {
        user_id: Set(user_id),
        role: Set(role.code().into()),
        school_id: Set(school_id),
        class_id: Set(class_id),
        subject: Set(subject.map(Into::into)),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// Head teacher and subject teachers of one class. The documented accounts
/// sit in the first school: `head` leads 三年级(1)班 and teaches 数学 in
/// 三年级(2)班; `teacher` teaches 英语 in both 四年级 classes.
#[allow(clippy::too_many_arguments)]
async fn assign_class_staff(
    txn: &DatabaseTransaction,
    users: &std::collections::HashMap<&str, i32>,
    hash: &str,
    school_index: usize,
    class_index: usize,
    school_id: i32,
    class_id: i32,
    rng: &mut StdRng,
) -> SeedResult<()> {
    let head_id = if school_index == 0 && class_index == 0 {
        users["head"]
    } else {
        let name = format!("{}{}", pick(rng, SURNAMES), pick(rng, TEACHER_GIVEN));
        insert_user(
            txn,
            &format!("t{school_index}{class_index}"),
            &name,
            hash,
            true,
        )
        .await?
        .id
    };
    insert_role(
        txn,
        head_id,
        Role::HeadTeacher,
        Some(school_id),
        Some(class_id),
        Some("语文"),
    )
    .await?;
    if school_index == 0 && class_index == 1 {
        insert_role(
            txn,
            users["head"],
            Role::SubjectTeacher,
            Some(school_id),
            Some(class_id),
            Some("数学"),
        )
        .await?;
    }
    if school_index == 0 && class_index >= 2 {
        insert_role(
            txn,
            users["teacher"],
            Role::SubjectTeacher,
            Some(school_id),
            Some(class_id),
            Some("英语"),
        )
        .await?;
    }
    Ok(())
}

async fn insert_student(
    txn: &DatabaseTransaction,
    rng: &mut StdRng,
    school_id: i32,
    class_id: i32,
    grade_level: i32,
    seq: u32,
    semester_start: NaiveDate,
) -> SeedResult<()> {
    let now = Utc::now();
    let female = rng.gen_bool(0.48);
    let surname = pick(rng, SURNAMES);
    let given = if female {
        pick(rng, GIVEN_F)
    } else {
        pick(rng, GIVEN_M)
    };
    // Age on 1 September is grade + 5 (a 三年级 pupil was born 8 years earlier).
    let birth_year = semester_start.year() - 5 - grade_level - i32::from(rng.gen_bool(0.15));
    let birth = NaiveDate::from_ymd_opt(birth_year, rng.gen_range(1..=12), rng.gen_range(1..=28))
        .unwrap_or(semester_start);
    let left_behind = rng.gen_bool(0.22);
    let single_parent = !left_behind && rng.gen_bool(0.08);
    let orphan = seq.is_multiple_of(97);
    let poverty = rng.gen_bool(0.06);
    let status = if seq.is_multiple_of(83) {
        StudentStatus::SuspectedDropout
    } else if seq.is_multiple_of(61) {
        StudentStatus::OnLeave
    } else {
        StudentStatus::InSchool
    };
    let village = pick(rng, VILLAGES);
    let row = student::ActiveModel {
        school_id: Set(school_id),
        class_id: Set(class_id),
        name: Set(format!("{surname}{given}")),
        gender: Set(if female { "female" } else { "male" }.into()),
        birth_date: Set(Some(birth)),
        student_no: Set(format!(
            "G{COUNTY_CODE}{}{:04}",
            birth.format("%Y%m%d"),
            seq
        )),
        id_card: Set(seq.is_multiple_of(5).then(|| {
            format!(
                "{COUNTY_CODE}{}{:03}{}",
                birth.format("%Y%m%d"),
                seq % 1000,
                seq % 10
            )
        })),
        home_address: Set(Some(format!(
            "广东省河源市龙川县老隆镇{village}{}组{}号",
            rng.gen_range(1..=9),
            rng.gen_range(1..=80)
        ))),
        flag_left_behind: Set(left_behind),
        flag_orphan: Set(orphan),
        flag_disabled: Set(seq.is_multiple_of(71)),
        flag_low_income: Set(rng.gen_bool(0.05)),
        flag_poverty: Set(poverty),
        flag_single_parent: Set(single_parent),
        flag_other: Set(None),
        status: Set(status.code().into()),
        status_since: Set(semester_start),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;

    student_status_history::ActiveModel {
        student_id: Set(row.id),
        from_status: Set(None),
        to_status: Set(StudentStatus::InSchool.code().into()),
        effective_date: Set(semester_start),
        note: Set(Some("学期初在校生名册".into())),
        changed_by: Set(None),
        changed_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    if status != StudentStatus::InSchool {
        student_status_history::ActiveModel {
            student_id: Set(row.id),
            from_status: Set(Some(StudentStatus::InSchool.code().into())),
            to_status: Set(status.code().into()),
            effective_date: Set(now.date_naive()),
            note: Set(Some(
                if status == StudentStatus::OnLeave {
                    "病假（家长电话请假）"
                } else {
                    "连续缺勤 3 天"
                }
                .into(),
            )),
            changed_by: Set(None),
            changed_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }

    let guardians: Vec<(String, &str)> = if orphan {
        vec![(
            format!("{}{}", pick(rng, SURNAMES), pick(rng, GIVEN_F)),
            "其他监护人",
        )]
    } else if left_behind {
        vec![
            (
                format!("{surname}{}", pick(rng, ELDER_GIVEN)),
                if rng.gen_bool(0.5) {
                    "祖父"
                } else {
                    "祖母"
                },
            ),
            (format!("{surname}{}", pick(rng, GIVEN_M)), "父亲"),
        ]
    } else if single_parent {
        vec![(
            format!("{}{}", pick(rng, SURNAMES), pick(rng, GIVEN_F)),
            "母亲",
        )]
    } else {
        vec![
            (format!("{surname}{}", pick(rng, GIVEN_M)), "父亲"),
            (
                format!("{}{}", pick(rng, SURNAMES), pick(rng, GIVEN_F)),
                "母亲",
            ),
        ]
    };
    for (index, (name, relation)) in guardians.into_iter().enumerate() {
        guardian::ActiveModel {
            student_id: Set(row.id),
            name: Set(name),
            relation: Set(relation.into()),
            phone: Set(Some(format!(
                "1{}{:09}",
                pick(rng, &["38", "39", "58", "59", "87", "35"]),
                rng.gen_range(0..1_000_000_000u32)
            ))),
            is_primary: Set(index == 0),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

fn pick<'a>(rng: &mut StdRng, items: &[&'a str]) -> &'a str {
    items[rng.gen_range(0..items.len())]
}

const SURNAMES: &[&str] = &[
    "李", "王", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "高", "郑", "梁", "谢", "宋", "唐", "许", "邓", "冯", "韩", "曾", "彭", "叶",
    "钟", "骆", "廖",
];
const GIVEN_M: &[&str] = &[
    "子轩", "浩然", "宇航", "俊杰", "梓豪", "家乐", "明轩", "志强", "嘉豪", "文博", "皓宇", "晨阳",
    "天佑", "一鸣", "俊熙", "泽宇", "睿", "涛", "鑫", "杰",
];
const GIVEN_F: &[&str] = &[
    "欣怡", "梓涵", "诗琪", "雨桐", "佳怡", "可馨", "晓雯", "思琪", "紫萱", "雅婷", "婉清", "梦瑶",
    "心怡", "慧敏", "静", "丽", "芳", "婷", "秀英", "春梅",
];
const ELDER_GIVEN: &[&str] = &[
    "德福", "桂英", "秀兰", "国华", "玉珍", "建华", "淑珍", "永庆",
];
const TEACHER_GIVEN: &[&str] = &[
    "丽华", "志明", "晓燕", "国强", "海燕", "建平", "春燕", "伟东",
];
const VILLAGES: &[&str] = &[
    "水贝村",
    "新城村",
    "大塘村",
    "莲塘村",
    "上坪村",
    "下营村",
    "车田村",
    "黄岭村",
];

/// A semester's worth of past visits by the demo schools' staff, so the
/// task page and dashboards of `make run` have figures to show: some
/// teachers ahead, some behind. Recorded through the same path as the
/// phones' uploads. Only when the demo county has no visits yet; the
/// tests start without any. Returns how many were recorded.
pub async fn seed_visits(db: &DatabaseConnection) -> Result<usize, app::error::AppError> {
    use app::auth::current_user::CurrentUser;
    use app::db::entities::visit;
    use app::visits::{VisitInput, VisitMode, VisitReason};
    use chrono::{Duration, TimeZone};
    use sea_orm::{PaginatorTrait, QueryOrder};

    let Some(county) = county::Entity::find()
        .filter(county::Column::Code.eq(COUNTY_CODE))
        .one(db)
        .await?
    else {
        return Err(app::error::AppError::not_found(
            "演示数据（请先运行 seed-demo）",
        ));
    };
    let schools: Vec<i32> = school::Entity::find()
        .filter(school::Column::CountyId.eq(county.id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    if visit::Entity::find()
        .filter(visit::Column::SchoolId.is_in(schools.clone()))
        .count(db)
        .await?
        > 0
    {
        return Ok(0);
    }
    let today = app::semesters::service::today();
    let (_, start, _) = current_semester(today);
    let days = (today - start).num_days();
    if days < 1 {
        return Ok(0);
    }
    let mut staff: Vec<i32> = user_role::Entity::find()
        .filter(user_role::Column::SchoolId.is_in(schools))
        .order_by_asc(user_role::Column::UserId)
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.user_id)
        .collect();
    staff.dedup();
    let mut rng = StdRng::seed_from_u64(20261124);
    let china = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let mut recorded = 0;
    for user_id in staff {
        let current = CurrentUser::load(db, user_id).await?;
        let Some(condition) = current.access.student_condition() else {
            continue;
        };
        let students: Vec<i32> = student::Entity::find()
            .filter(condition)
            .all(db)
            .await?
            .into_iter()
            .map(|s| s.id)
            .collect();
        if students.is_empty() {
            continue;
        }
        // Between none and a good pace for the weeks gone so far.
        let visits = rng.gen_range(0..=(days / 4).clamp(1, 30));
        for _ in 0..visits {
            let day = start + Duration::days(rng.gen_range(0..days));
            let at = china
                .from_local_datetime(
                    &day.and_hms_opt(rng.gen_range(15..20), rng.gen_range(0..60), 0)
                        .unwrap_or_default(),
                )
                .single()
                .unwrap_or_else(|| {
                    china.from_utc_datetime(&day.and_hms_opt(8, 0, 0).unwrap_or_default())
                });
            let mode = match rng.gen_range(0..20) {
                0..=9 => VisitMode::Home,
                10..=16 => VisitMode::Phone,
                _ => VisitMode::School,
            };
            let (met_person, met_relation) = [
                ("王秀英", "母亲"),
                ("李国强", "父亲"),
                ("张桂兰", "祖母"),
                ("陈德福", "祖父"),
            ][rng.gen_range(0..4)];
            let input = VisitInput {
                student_id: students[rng.gen_range(0..students.len())],
                visited_at: at,
                mode,
                reason: if rng.gen_bool(0.85) {
                    VisitReason::Routine
                } else {
                    VisitReason::SpecialCare
                },
                co_visitor_ids: Vec::new(),
                met_person: met_person.into(),
                met_relation: met_relation.into(),
                family_situation: pick(&mut rng, FAMILIES).into(),
                home_behaviour: pick(&mut rng, AT_HOME).into(),
                school_performance: pick(&mut rng, AT_SCHOOL).into(),
                summary: pick(&mut rng, SUMMARIES).into(),
                parent_opinion: "希望老师多关心孩子".into(),
                follow_up: "下月电话回访".into(),
                photos: Vec::new(),
                signature: None,
                no_signature_reason: mode
                    .expects_signature()
                    .then(|| "演示数据：签名见纸质记录表".to_owned()),
                plan_id: None,
                duration_minutes: None,
                base_revision: None,
            };
            app::visits::service::put_visit(db, &current, sea_orm::prelude::Uuid::new_v4(), input)
                .await?;
            recorded += 1;
        }
    }
    recorded += seed_home_teaching(db, start, today).await?;
    tracing::info!(visits = recorded, "demo visits recorded");
    Ok(recorded)
}

/// 送教上门 for the demo: the head teacher's last pupil is taught at home,
/// with a session a week and a half ago and one three days ago.
async fn seed_home_teaching(
    db: &DatabaseConnection,
    start: NaiveDate,
    today: NaiveDate,
) -> Result<usize, app::error::AppError> {
    use app::auth::current_user::CurrentUser;
    use app::visits::{VisitInput, VisitMode, VisitReason};
    use chrono::{Duration, TimeZone};
    use sea_orm::QueryOrder;

    let Some(head) = user::Entity::find()
        .filter(user::Column::Username.eq("head"))
        .one(db)
        .await?
    else {
        return Ok(0);
    };
    let current = CurrentUser::load(db, head.id).await?;
    let Some(class_id) = current.access.head_classes.first().copied() else {
        return Ok(0);
    };
    let Some(pupil) = student::Entity::find()
        .filter(student::Column::ClassId.eq(class_id))
        .order_by_desc(student::Column::Id)
        .one(db)
        .await?
    else {
        return Ok(0);
    };
    app::home_teaching::service::enrol(
        db,
        &current,
        pupil.id,
        app::home_teaching::Enrolment { enabled: true },
        start,
    )
    .await?;
    let china = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let mut recorded = 0;
    for (days_ago, content) in [
        (10, "语文：认读生字 15 个；康复训练：手部精细动作"),
        (3, "数学：10 以内加减法；与家长交流居家训练方法"),
    ] {
        let day = today - Duration::days(days_ago);
        if day < start {
            continue;
        }
        let at = china.from_utc_datetime(&day.and_hms_opt(7, 0, 0).unwrap_or_default());
        let input = VisitInput {
            student_id: pupil.id,
            visited_at: at,
            mode: VisitMode::Home,
            reason: VisitReason::HomeTeaching,
            co_visitor_ids: Vec::new(),
            met_person: "王秀英".into(),
            met_relation: "母亲".into(),
            family_situation: "孩子行动不便，母亲在家照料".into(),
            home_behaviour: "情绪稳定，愿意学习".into(),
            school_performance: String::new(),
            summary: content.into(),
            parent_opinion: "希望继续每周送教".into(),
            follow_up: "下周同一时间送教".into(),
            photos: Vec::new(),
            signature: None,
            no_signature_reason: Some("演示数据：签名见纸质记录卡".into()),
            plan_id: None,
            duration_minutes: Some(90),
            base_revision: None,
        };
        app::visits::service::put_visit(db, &current, sea_orm::prelude::Uuid::new_v4(), input)
            .await?;
        recorded += 1;
    }
    Ok(recorded)
}

const FAMILIES: &[&str] = &[
    "父母在外务工，由祖辈照看",
    "家庭和睦，父母重视学习",
    "单亲家庭，母亲务农",
    "家中有两个孩子在读",
];
const AT_HOME: &[&str] = &[
    "能按时完成作业",
    "回家后看电视较多",
    "会帮家里做家务",
    "晚上作息规律",
];
const AT_SCHOOL: &[&str] = &[
    "上课认真，成绩稳定",
    "数学有进步",
    "课堂上较少发言",
    "与同学相处融洽",
];
const SUMMARIES: &[&str] = &[
    "与家长沟通了学生近期的学习情况，约定每周联系一次。",
    "提醒家长关注孩子的作业和睡眠时间。",
    "了解家庭困难，告知资助政策的申请办法。",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_semester_always_contains_today() {
        for month in 1..=12 {
            for day in [1, 15, 28] {
                let today = NaiveDate::from_ymd_opt(2026, month, day).unwrap();
                let (name, start, end) = current_semester(today);
                assert!(
                    start <= today && today <= end,
                    "{name} {start}..{end} must contain {today}"
                );
            }
        }
        assert_eq!(
            current_semester(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()).0,
            "2026年秋季学期"
        );
    }
}
