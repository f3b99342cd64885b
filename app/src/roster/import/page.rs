//! 导入学生名册: download the template, choose a file, see every bad row,
//! then import the good ones. For school administrators and leaders.

use leptos::prelude::*;
use web_sys::FormData;

use super::ImportReport;
use super::server_fns::import_students;
use crate::auth::Me;
use crate::auth::pages::Authenticated;
use crate::layout::ErrorNotice;

#[component]
pub fn ImportPage() -> impl IntoView {
    view! { <Authenticated view=import_view/> }
}

fn import_view(me: Me) -> impl IntoView {
    if !me.roles.iter().any(|r| r.role.is_school_leader()) {
        return view! {
            <section class="card">
                <h1>"导入学生名册"</h1>
                <p>"只有学校管理员和校领导可以导入名册。"</p>
            </section>
        }
        .into_any();
    }
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let run = Action::new_local(|(data, commit): &(FormData, bool)| {
        let data = data.clone();
        let _ = data.set_with_str("mode", if *commit { "commit" } else { "preview" });
        async move { import_students(data.into()).await }
    });
    let submit = move |commit: bool| {
        if let Some(form) = form_ref.get()
            && let Ok(data) = FormData::new_with_form(&form)
        {
            run.dispatch_local((data, commit));
        }
    };
    view! {
        <h1>"导入学生名册"</h1>
        <section class="card">
            <p>
                "支持 .xlsx、.xls 和 .csv（UTF-8 或 GBK），也可以直接使用学籍系统导出的表格。按学籍号识别学生：再次导入会更新，不会重复添加。"
            </p>
            <p><a href="/api/v1/imports/students/template" download="学生名册导入模板.xlsx">"下载导入模板"</a></p>
            <form node_ref=form_ref class="form" on:submit=move |ev| {
                ev.prevent_default();
                submit(false);
            }>
                <label>
                    "选择文件"
                    <input type="file" name="file" required
                        accept=".xlsx,.xls,.csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv"/>
                </label>
                <button type="submit" class="primary" disabled=move || run.pending().get()>
                    {move || if run.pending().get() { "正在检查…" } else { "检查文件（预览）" }}
                </button>
            </form>
        </section>
        {move || run.value().get().map(|result| match result {
            Ok(report) => view! { <Report report on_commit=move || submit(true)/> }.into_any(),
            Err(error) => view! { <ErrorNotice error/> }.into_any(),
        })}
    }
    .into_any()
}

#[component]
fn Report(report: ImportReport, on_commit: impl Fn() + Send + Sync + 'static) -> impl IntoView {
    let bad_rows = report
        .errors
        .iter()
        .map(|e| e.row)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let importable = report.to_create + report.to_update;
    view! {
        <section class="card" data-testid="import-report">
            <h2>{if report.committed { "导入完成" } else { "预览结果" }}</h2>
            <ul class="figures">
                <li>{format!("共 {} 行数据", report.total_rows)}</li>
                <li>{format!("{} 名新学生{}", report.to_create, if report.committed { "已添加" } else { "将添加" })}</li>
                <li>{format!("{} 名学生{}", report.to_update, if report.committed { "已更新" } else { "将更新" })}</li>
                <li>{format!("{} 名学生无变化", report.unchanged)}</li>
                <li class:alert=bad_rows != 0>{format!("{bad_rows} 行有错误，将跳过")}</li>
            </ul>
            {(!report.new_classes.is_empty()).then(|| view! {
                <p class="hint">{format!("将新建班级：{}", report.new_classes.join("、"))}</p>
            })}
            {(!report.errors.is_empty()).then(|| view! {
                <table class="roster errors">
                    <thead><tr><th>"行"</th><th>"列"</th><th>"问题"</th></tr></thead>
                    <tbody>
                        {report.errors.iter().map(|e| view! {
                            <tr data-testid="import-error"><td>{e.row}</td><td>{e.column.clone()}</td><td>{e.message.clone()}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
            {(!report.committed && importable > 0).then(|| view! {
                <button class="primary" on:click=move |_| on_commit()>
                    {format!("确认导入（{importable} 名学生）")}
                </button>
            })}
        </section>
    }
}
