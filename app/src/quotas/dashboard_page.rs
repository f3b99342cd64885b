//! 全校家访进度 (`/dashboard`) for principals, and 各校家访完成情况
//! (`/dashboard/area`) for town and county officers, who drill down into a
//! school. Both export to Excel.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::auth::pages::Authenticated;
use crate::layout::{ErrorNotice, Loading};
use crate::quotas::{AreaDashboard, SchoolDashboard, UnvisitedStudent, WeekCount};
use crate::remote::remote_json;

#[component]
pub fn SchoolDashboardPage() -> impl IntoView {
    view! { <Authenticated view=|_me| view! { <SchoolView/> }/> }
}

#[component]
pub fn AreaDashboardPage() -> impl IntoView {
    view! { <Authenticated view=|_me| view! { <AreaView/> }/> }
}

/// `?school_id=` for officers drilling down; leaders see their own school.
fn school_query() -> impl Fn() -> String + Clone + Send + Sync + 'static {
    let query = use_query_map();
    move || {
        query
            .read()
            .get("school_id")
            .and_then(|id| id.parse::<i32>().ok())
            .map(|id| format!("?school_id={id}"))
            .unwrap_or_default()
    }
}

#[component]
fn SchoolView() -> impl IntoView {
    let query = school_query();
    let url = query.clone();
    let data = remote_json::<SchoolDashboard>(move || format!("/api/v1/dashboard/school{}", url()));
    view! {
        {move || match data.value.get() {
            None => view! { <Loading/> }.into_any(),
            Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
            Some(Ok(d)) => {
                let export = format!("/api/v1/dashboard/school/export{}", query());
                view! { <SchoolSheet d export/> }.into_any()
            }
        }}
    }
}

#[component]
fn SchoolSheet(d: SchoolDashboard, export: String) -> impl IntoView {
    view! {
        <div class="title-row">
            <h1>{d.school_name.clone()} " 家访进度"</h1>
            <a class="button-link secondary" href=export download data-testid="export-school">"导出 Excel"</a>
        </div>
        <p class="muted">{d.semester.name.clone()} " · " {d.semester.start.to_string()} " 至 " {d.semester.end.to_string()}</p>
        <section class="card stats" data-testid="school-summary">
            <div><strong>{format!("{}%", d.completion_percent)}</strong><span>"完成率"</span></div>
            <div><strong>{d.completed} " / " {d.required}</strong><span>"已完成 / 应完成人次"</span></div>
            <div><strong>{d.teachers_behind}</strong><span>"进度落后教师"</span></div>
            <div><strong>{d.visits_this_week}</strong><span>"本周家访"</span></div>
        </section>
        <DropoutRates of=RatesOf::School(d.school_id)/>
        <section class="card">
            <h2>"教师进度"</h2>
            <div class="table-wrap">
                <table class="data" data-testid="teacher-progress">
                    <thead><tr>
                        <th>"姓名"</th><th>"角色"</th><th>"应完成"</th><th>"已完成"</th>
                        <th>"剩余"</th><th>"每周需"</th><th>"进度"</th>
                    </tr></thead>
                    <tbody>
                        {d.teachers.iter().map(|t| view! {
                            <tr class=format!("pace-row pace-{}", t.status.code()) data-status=t.status.code()>
                                <td>{t.name.clone()}</td>
                                <td>{t.roles.clone()}</td>
                                <td>{t.required}</td>
                                <td>{t.counted}</td>
                                <td>{t.remaining}</td>
                                <td>{t.pace_per_week}</td>
                                <td><span class=format!("pace pace-{}", t.status.code())>{t.status.label()}</span></td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
        <section class="card">
            <h2>"每周家访人次"</h2>
            <WeekChart weeks=d.weeks.clone()/>
        </section>
        <section class="card" data-testid="unvisited">
            <h2>"本学期尚未家访的学生（" {d.unvisited_total} " / " {d.students} "）"</h2>
            <p class="muted">"特殊群体和疑似辍学、辍学、劝返中的学生排在前面。"</p>
            // A phone screen shows the first ones; the rest fold away.
            <ul class="plain-list">{d.unvisited.iter().take(FIRST_SHOWN).map(unvisited_row).collect_view()}</ul>
            {(d.unvisited.len() > FIRST_SHOWN).then(|| view! {
                <details>
                    <summary>{format!("展开其余 {} 名", d.unvisited.len() - FIRST_SHOWN)}</summary>
                    <ul class="plain-list">{d.unvisited.iter().skip(FIRST_SHOWN).map(unvisited_row).collect_view()}</ul>
                </details>
            })}
            {(d.unvisited_total as usize > d.unvisited.len()).then(|| view! {
                <p class="muted">{format!("另有 {} 名未列出，请导出 Excel 查看。", d.unvisited_total as usize - d.unvisited.len())}</p>
            })}
        </section>
    }
}

/// Unvisited students listed before the fold.
const FIRST_SHOWN: usize = 20;

fn unvisited_row(s: &UnvisitedStudent) -> impl IntoView + use<> {
    view! {
        <li>
            <a href=format!("/students/{}", s.id)>{s.name.clone()}</a>
            " " <span class="muted">{s.class_name.clone()}</span>
            {s.concerns.iter().map(|c| view! { <span class="tag">{c.clone()}</span> }).collect_view()}
        </li>
    }
}

/// A bar per week (SVG: no chart library, prints and scales on any phone).
#[component]
fn WeekChart(weeks: Vec<WeekCount>) -> impl IntoView {
    let max = weeks.iter().map(|w| w.visits).max().unwrap_or(0).max(1);
    let bar = 24.0;
    let gap = 6.0;
    let height = 120.0;
    let width = (bar + gap) * weeks.len().max(1) as f64;
    view! {
        <svg class="week-chart" viewBox=format!("0 0 {width} {}", height + 18.0) role="img"
            aria-label="每周家访人次" data-testid="week-chart">
            {weeks.iter().enumerate().map(|(i, w)| {
                let h = f64::from(w.visits) / f64::from(max) * height;
                let x = i as f64 * (bar + gap);
                view! {
                    <g>
                        <title>{format!("{} 起一周：{} 人次", w.week_start, w.visits)}</title>
                        <rect x=x y=height - h width=bar height=h></rect>
                        <text x=x + bar / 2.0 y=height + 14.0 text-anchor="middle">{w.week_start.format("%-m/%-d").to_string()}</text>
                    </g>
                }
            }).collect_view()}
        </svg>
    }
}

#[component]
fn AreaView() -> impl IntoView {
    let data = remote_json::<AreaDashboard>(|| "/api/v1/dashboard/area".to_owned());
    view! {
        {move || match data.value.get() {
            None => view! { <Loading/> }.into_any(),
            Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
            Some(Ok(d)) => view! { <AreaSheet d/> }.into_any(),
        }}
    }
}

#[component]
fn AreaSheet(d: AreaDashboard) -> impl IntoView {
    view! {
        <div class="title-row">
            <h1>{d.area_name.clone()} " 各校家访完成情况"</h1>
            <a class="button-link secondary" href="/api/v1/dashboard/area/export" download data-testid="export-area">"导出 Excel"</a>
        </div>
        {d.schools.first().map(|s| view! {
            <p class="admin-links">
                <a href=format!("/quota-rules?school_id={}", s.school_id)>"家访计数规则"</a>
                <a href="/semesters">"学期设置"</a>
            </p>
        })}
        <section class="card stats" data-testid="area-summary">
            <div><strong>{format!("{}%", d.completion_percent)}</strong><span>"完成率"</span></div>
            <div><strong>{d.completed} " / " {d.required}</strong><span>"已完成 / 应完成人次"</span></div>
            <div><strong>{d.teachers_behind} " / " {d.teachers}</strong><span>"进度落后教师"</span></div>
            <div><strong>{d.visits_this_week}</strong><span>"本周家访"</span></div>
        </section>
        <DropoutRates of=RatesOf::Area/>
        <section class="card">
            <p class="muted">"完成率最低的学校排在前面；点学校名查看该校教师进度。"</p>
            <div class="table-wrap">
                <table class="data" data-testid="school-progress">
                    <thead><tr>
                        <th>"学校"</th><th>"乡镇"</th><th>"完成率"</th><th>"已完成/应完成"</th>
                        <th>"落后教师"</th><th>"本周家访"</th>
                    </tr></thead>
                    <tbody>
                        {d.schools.iter().map(|s| view! {
                            <tr>
                                <td><a href=format!("/dashboard?school_id={}", s.school_id)>{s.school_name.clone()}</a></td>
                                <td>{s.town_name.clone()}</td>
                                <td>{format!("{}%", s.completion_percent)}</td>
                                <td>{s.completed} " / " {s.required}</td>
                                <td>{s.teachers_behind} " / " {s.teachers}</td>
                                <td>{s.visits_this_week}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// Whose dropout figures a dashboard shows.
#[derive(Clone, Copy)]
enum RatesOf {
    /// The school's own monthly report (its leaders, or an officer
    /// drilling down).
    School(i32),
    /// Every school of the officer's town or county.
    Area,
}

/// This month's dropout rates against the targets (小学 ≤ 0.5 %, 初中 ≤
/// 1.2 %) and where the monthly report stands: the school's own on the
/// school dashboard (the area report is for officers only), the whole
/// area's on the area dashboard.
#[component]
fn DropoutRates(of: RatesOf) -> impl IntoView {
    match of {
        RatesOf::School(school_id) => {
            let data = remote_json::<crate::reports::SchoolMonthReport>(move || {
                format!("/api/v1/reports/monthly?school_id={school_id}")
            });
            (move || match data.value.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
                Some(Ok(r)) => {
                    let state = match (r.submitted, r.overdue) {
                        (true, _) => "已报送",
                        (false, true) => "逾期未报",
                        (false, false) => "未报送",
                    };
                    let due = format!("本月月报（{} 截止）", r.due_date.format("%-m月%-d日"));
                    let href = format!("/reports{}", crate::reports::school_query(&r.month, r.school_id));
                    view! {
                        <RatesCard month_label=r.month_label stages=r.stages href link="查看本校月报">
                            <div class:alert=r.overdue><strong>{state}</strong><span>{due}</span></div>
                        </RatesCard>
                    }
                    .into_any()
                }
            })
            .into_any()
        }
        RatesOf::Area => {
            let data = remote_json::<crate::reports::AreaMonthReport>(|| {
                "/api/v1/reports/area".to_owned()
            });
            (move || match data.value.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
                Some(Ok(r)) => {
                    let filed = format!("{} / {}", r.submitted_count, r.schools.len());
                    let overdue = format!("逾期未报（{} 截止）", r.due_date.format("%-m月%-d日"));
                    view! {
                        <RatesCard month_label=r.month_label stages=r.stages href="/reports".to_owned() link="查看月报与各校辍学情况">
                            <div><strong>{filed}</strong><span>"已报月报学校"</span></div>
                            <div class:alert={r.overdue_count > 0}><strong>{r.overdue_count}</strong><span>{overdue}</span></div>
                        </RatesCard>
                    }
                    .into_any()
                }
            })
            .into_any()
        }
    }
}

/// The dropout card: the rate of each stage, then `children` (where the
/// monthly report stands), then a link to the reports.
#[component]
fn RatesCard(
    month_label: String,
    stages: Vec<crate::reports::StageRow>,
    href: String,
    link: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <section class="card" data-testid="dropout-rates">
            <h2>{format!("{month_label} 辍学率")}</h2>
            <div class="stats">
                {stage_rates(&stages)}
                {children()}
            </div>
            <a href=href>{link}</a>
        </section>
    }
}

/// One figure per stage the school or area has students in.
fn stage_rates(stages: &[crate::reports::StageRow]) -> impl IntoView + use<> {
    stages
        .iter()
        .filter(|s| s.enrolled > 0)
        .map(|s| {
            let ok = s.meets_target.unwrap_or(true);
            let target = s.target.map(|t| t.to_string()).unwrap_or_default();
            view! {
                <div class:alert=!ok>
                    <strong>{format!("{:.2}%", s.dropout_rate)}</strong>
                    <span>{format!("{}（目标 ≤ {}%）{}", s.label, target, if ok { "" } else { " 超标" })}</span>
                </div>
            }
        })
        .collect_view()
}
