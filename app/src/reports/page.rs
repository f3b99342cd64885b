//! 报表 (`/reports`): the monthly 辍学学生情况统计表. School leaders see
//! their school's figures and list, download the Excel file, and upload
//! the signed and stamped scan by the 25th; town and county officers see
//! every school of their area, who has submitted, and the rates against
//! the targets. `?school_id=` opens one school (officers, read-only),
//! `?month=YYYY-MM` another month.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::auth::Me;
use crate::auth::pages::Authenticated;
use crate::layout::{ErrorNotice, Loading};
use crate::remote::remote_json;
use crate::reports::{AreaMonthReport, SchoolMonthReport, StageRow, school_query};

#[component]
pub fn ReportsPage() -> impl IntoView {
    view! { <Authenticated view=reports/> }
}

/// This month in Beijing time, `YYYY-MM`.
fn this_month() -> String {
    crate::visits::model::china_time(chrono::Utc::now())
        .format("%Y-%m")
        .to_string()
}

fn reports(me: Me) -> impl IntoView {
    let leader = me.roles.iter().any(|r| r.role.is_school_leader());
    let officer = me.roles.iter().any(|r| r.role.is_officer());
    let query = use_query_map();
    let (asked_month, school_id) = query.with_untracked(|q| {
        (
            q.get("month").filter(|m| !m.is_empty()),
            q.get("school_id").and_then(|id| id.parse::<i32>().ok()),
        )
    });
    let month = RwSignal::new(asked_month.unwrap_or_else(this_month));
    // Officers open one school with `?school_id=`; leaders see their own.
    let school_view = if officer { school_id.is_some() } else { leader };
    let content = if school_view {
        view! { <SchoolView month school_id/> }.into_any()
    } else if officer {
        view! { <AreaView month/> }.into_any()
    } else {
        view! {
            <section class="card" data-testid="reports-no-access">
                <h1>"辍学学生情况月报"</h1>
                <p>"月报由校长、副校长和学校管理员填报，乡镇、县教育管理人员查看。"</p>
            </section>
        }
        .into_any()
    };
    let back = (officer && school_id.is_some()).then(|| {
        view! {
            <p class="admin-links">
                <a href=move || format!("/reports?month={}", month.get()) data-testid="back-to-area">"← 辖区各校报送情况"</a>
            </p>
        }
    });
    view! {
        {back}
        <MonthPicker month/>
        {content}
    }
}

#[component]
fn MonthPicker(month: RwSignal<String>) -> impl IntoView {
    view! {
        <form class="report-month" on:submit=|ev| ev.prevent_default()>
            <label>
                "统计月份"
                <input type="month" name="month" data-testid="report-month" max=this_month()
                    prop:value=move || month.get()
                    on:change=move |ev| {
                        let value = event_target_value(&ev);
                        if value.len() == 7 {
                            month.set(value);
                        }
                    }/>
            </label>
        </form>
    }
}

#[component]
fn SchoolView(month: RwSignal<String>, school_id: Option<i32>) -> impl IntoView {
    let data = remote_json::<SchoolMonthReport>(move || {
        let school = school_id
            .map(|id| format!("&school_id={id}"))
            .unwrap_or_default();
        format!("/api/v1/reports/monthly?month={}{school}", month.get())
    });
    view! {
        {move || match data.value.get() {
            None => view! { <Loading/> }.into_any(),
            Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
            Some(Ok(r)) => view! { <SchoolSheet r on_uploaded=move || data.refetch()/> }.into_any(),
        }}
    }
}

#[component]
fn SchoolSheet(
    r: SchoolMonthReport,
    on_uploaded: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let upload_url = format!(
        "/api/v1/reports/monthly/scan{}",
        school_query(&r.month, r.school_id)
    );
    view! {
        <div class="title-row">
            <h1>{r.school_name.clone()} " 辍学学生情况统计表"</h1>
            <a class="button-link secondary" href=r.export_url.clone() download data-testid="export-report">"下载统计表(Excel)"</a>
        </div>
        <p class="muted">{r.month_label.clone()} " · 统计截至 " {r.as_of.to_string()} " · 每月 25 日前报送"</p>
        <SubmissionStatus r=r.clone()/>
        <section class="card">
            <h2>"统计表"</h2>
            <StageTable rows=r.stages.iter().cloned().chain(std::iter::once(r.total.clone())).collect() testid="report-stats"/>
            <p class="hint">"在籍学生数不含转出、休学、销号学生；月末辍学含劝返中；辍学率 = 月末辍学 ÷ 在籍学生数。控制目标：小学 0.5%，初中 1.2%。"</p>
        </section>
        <section class="card" data-testid="report-list">
            <h2>"辍学学生名单（" {r.students.len()} " 人）"</h2>
            {if r.students.is_empty() {
                view! { <p class="muted">"本月没有疑似辍学、辍学、劝返中或复学的学生。"</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="data">
                            <thead><tr>
                                <th>"序号"</th><th>"姓名"</th><th>"性别"</th><th>"学籍号"</th><th>"年级班级"</th>
                                <th>"当前状态"</th><th>"状态起始日期"</th><th>"说明"</th><th>"劝返次数"</th>
                                <th>"最近劝返日期"</th><th>"最近劝返结果"</th>
                            </tr></thead>
                            <tbody>
                                {r.students.iter().map(|s| view! {
                                    <tr data-testid="report-student">
                                        <td>{s.seq}</td>
                                        <td><a href=format!("/students/{}", s.student_id)>{s.name.clone()}</a></td>
                                        <td>{s.gender.clone()}</td>
                                        <td>{s.student_no.clone()}</td>
                                        <td>{s.class_name.clone()}</td>
                                        <td><span class="tag">{s.status_label.clone()}</span></td>
                                        <td>{s.status_since.to_string()}</td>
                                        <td class="wrap">{s.note.clone()}</td>
                                        <td>{s.persuasions}</td>
                                        <td>{s.last_persuasion_day.map(|d| d.to_string()).unwrap_or_default()}</td>
                                        <td class="wrap">{s.last_persuasion_result.clone().unwrap_or_default()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
        {r.can_submit.then(|| view! {
            <ScanUpload url=upload_url replacing=r.submitted on_done=on_uploaded/>
        })}
    }
}

#[component]
fn SubmissionStatus(r: SchoolMonthReport) -> impl IntoView {
    match r.submission {
        Some(s) => view! {
            <section class="card report-status submitted" data-testid="report-status" data-state="submitted">
                <strong>"已报送"</strong>
                " " {s.submitted_at_label.clone()}
                {(!s.submitted_by.is_empty()).then(|| format!("（{}）", s.submitted_by))}
                " " <a href=s.scan_url.clone() target="_blank" data-testid="scan-link">"查看扫描件"</a>
            </section>
        }
        .into_any(),
        None => {
            let state = if r.overdue { "overdue" } else { "pending" };
            view! {
                <section class=format!("card report-status {state}") data-testid="report-status" data-state=state>
                    <strong>"未报送"</strong>
                    " 截止 " {r.due_date.to_string()}
                    {r.overdue.then(|| view! { " " <span class="overdue" data-testid="report-overdue">"已逾期"</span> })}
                </section>
            }
            .into_any()
        }
    }
}

fn rate_text(r: &StageRow) -> String {
    format!("{:.2}%", r.dropout_rate)
}

#[component]
fn StageTable(rows: Vec<StageRow>, testid: &'static str) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="data report-stats" data-testid=testid>
                <thead><tr>
                    <th>"学段"</th><th>"在籍"</th><th>"本月新增疑似辍学"</th><th>"本月新增辍学"</th>
                    <th>"本月劝返复学"</th><th>"月末疑似辍学"</th><th>"月末辍学"</th>
                    <th>"辍学率"</th><th>"控制目标"</th><th>"是否达标"</th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|r| {
                        let over = r.meets_target == Some(false);
                        view! {
                            <tr class:total=r.stage.is_none() class:over-target=over data-stage=r.stage.map_or("total", |s| match s {
                                crate::reports::Stage::Primary => "primary",
                                crate::reports::Stage::Junior => "junior",
                            })>
                                <td>{r.label.clone()}</td>
                                <td>{r.enrolled}</td>
                                <td>{r.new_suspected}</td>
                                <td>{r.new_dropouts}</td>
                                <td>{r.returned}</td>
                                <td>{r.suspected_at_end}</td>
                                <td>{r.dropouts_at_end}</td>
                                <td class:over-target=over>{rate_text(&r)}</td>
                                <td>{r.target.map(|t| format!("{t}%")).unwrap_or_default()}</td>
                                <td class:over-target=over>{match r.meets_target {
                                    Some(true) => "达标",
                                    Some(false) => "超标",
                                    None => "",
                                }}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn ScanUpload(
    url: String,
    replacing: bool,
    on_done: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    let busy = RwSignal::new(false);
    // Ok: what was done; Err: why not.
    let message = RwSignal::new(None::<Result<String, String>>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        upload(input, &url, busy, message, on_done);
        #[cfg(not(feature = "hydrate"))]
        let _ = (&url, on_done);
    };
    view! {
        <form class="card form report-upload" data-testid="scan-upload" on:submit=submit>
            <h2>{if replacing { "重新上传扫描件（替换已报送的）" } else { "上传签章扫描件" }}</h2>
            <p class="hint">"下载统计表，打印后由校长签名并加盖公章，扫描或拍照后上传（PDF、JPEG 或 PNG，不超过 10 MB）。可编辑的 Excel 文件由系统留存。"</p>
            <label>
                "扫描件"
                <input type="file" name="scan" accept=".pdf,image/*" required node_ref=input data-testid="scan-file"/>
            </label>
            {move || message.get().map(|m| match m {
                Ok(text) => view! { <p class="ok" role="status" data-testid="scan-result">{text}</p> }.into_any(),
                Err(text) => view! { <p class="error" role="alert" data-testid="scan-result">{text}</p> }.into_any(),
            })}
            <button type="submit" class="primary" data-testid="scan-submit" disabled=move || busy.get()>
                {move || if busy.get() { "正在上传…" } else { "上传并报送" }}
            </button>
        </form>
    }
}

/// Sends the chosen file as the raw body of `PUT url`.
#[cfg(feature = "hydrate")]
fn upload(
    input: NodeRef<leptos::html::Input>,
    url: &str,
    busy: RwSignal<bool>,
    message: RwSignal<Option<Result<String, String>>>,
    on_done: impl Fn() + Copy + 'static,
) {
    let Some(el) = input.get_untracked() else {
        return;
    };
    let Some(file) = el.files().and_then(|f| f.get(0)) else {
        message.set(Some(Err("请先选择扫描件".into())));
        return;
    };
    let kind = file.type_();
    if !matches!(
        kind.as_str(),
        "application/pdf" | "image/jpeg" | "image/png"
    ) {
        message.set(Some(Err("扫描件只接受 PDF、JPEG 或 PNG 文件".into())));
        return;
    }
    if file.size() > crate::reports::MAX_SCAN_BYTES as f64 {
        message.set(Some(Err("扫描件过大（上限 10 MB）".into())));
        return;
    }
    if file.size() == 0.0 {
        message.set(Some(Err("所选文件是空的，请重新选择".into())));
        return;
    }
    busy.set(true);
    message.set(None);
    let url = url.to_owned();
    leptos::task::spawn_local(async move {
        let result = crate::sync::http::put_blob(&url, &file, &kind).await;
        busy.set(false);
        match result {
            Ok(()) => {
                el.set_value("");
                message.set(Some(Ok("已上传，报送完成".into())));
                on_done();
            }
            Err(e) => message.set(Some(Err(e.to_string()))),
        }
    });
}

#[component]
fn AreaView(month: RwSignal<String>) -> impl IntoView {
    let data = remote_json::<AreaMonthReport>(move || {
        format!("/api/v1/reports/area?month={}", month.get())
    });
    view! {
        {move || match data.value.get() {
            None => view! { <Loading/> }.into_any(),
            Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
            Some(Ok(r)) => view! { <AreaSheet r/> }.into_any(),
        }}
    }
}

#[component]
fn AreaSheet(r: AreaMonthReport) -> impl IntoView {
    let month = r.month.clone();
    let area_rows: Vec<StageRow> = r
        .stages
        .iter()
        .cloned()
        .chain(std::iter::once(r.total.clone()))
        .collect();
    view! {
        <div class="title-row">
            <h1>{r.area_name.clone()} " 辍学学生情况月报"</h1>
            <a class="button-link secondary" href=r.export_url.clone() download data-testid="export-area-report">"下载汇总表"</a>
        </div>
        <p class="muted">{r.month_label.clone()} " · 统计截至 " {r.as_of.to_string()} " · 报送截止 " {r.due_date.to_string()}</p>
        <section class="card stats" data-testid="area-report-summary">
            <div><strong>{r.submitted_count} " / " {r.schools.len()}</strong><span>"已报送学校"</span></div>
            <div class:over-target=r.overdue_count != 0><strong>{r.overdue_count}</strong><span>"逾期未报送"</span></div>
            {r.stages.iter().map(|s| view! {
                <div class:over-target=s.meets_target == Some(false)>
                    <strong>{rate_text(s)}</strong>
                    <span>{format!("{}辍学率（目标 {}%）", s.label, s.target.unwrap_or_default())}</span>
                </div>
            }).collect_view()}
        </section>
        <section class="card">
            <h2>"各校报送与辍学率"</h2>
            <p class="muted">"点学校名查看该校统计表和名单；超过控制目标的辍学率标红。"</p>
            <div class="table-wrap">
                <table class="data" data-testid="area-schools">
                    <thead><tr>
                        <th>"学校"</th><th>"报送情况"</th><th>"学段辍学率（目标）"</th>
                        <th>"在籍"</th><th>"月末辍学"</th><th>"扫描件"</th>
                    </tr></thead>
                    <tbody>
                        {r.schools.iter().map(|s| {
                            let state = if s.submitted { "submitted" } else if s.overdue { "overdue" } else { "pending" };
                            view! {
                                <tr data-testid="area-school" data-school-id=s.school_id data-state=state>
                                    <td>
                                        <a href=format!("/reports{}", school_query(&month, s.school_id))>{s.school_name.clone()}</a>
                                        <div class="muted">{s.town_name.clone()}</div>
                                    </td>
                                    <td class=format!("report-state {state}")>{match &s.submission {
                                        Some(x) => format!("已报送 {}", x.submitted_at_label),
                                        None if s.overdue => "已逾期".to_owned(),
                                        None => "未报送".to_owned(),
                                    }}</td>
                                    <td>
                                        {s.stages.iter().map(|st| view! {
                                            <div class:over-target=st.meets_target == Some(false)>
                                                {format!("{} {}（{}%）", st.label, rate_text(st), st.target.unwrap_or_default())}
                                            </div>
                                        }).collect_view()}
                                    </td>
                                    <td>{s.total.enrolled}</td>
                                    <td>{s.total.dropouts_at_end}</td>
                                    <td>{s.submission.as_ref().map(|x| view! {
                                        <a href=x.scan_url.clone() target="_blank" data-testid="area-scan-link">"查看"</a>
                                    })}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
        <section class="card">
            <h2>"辖区合计"</h2>
            <StageTable rows=area_rows testid="area-totals"/>
        </section>
    }
}
