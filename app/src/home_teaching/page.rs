//! 送教上门 (`/home-teaching`): each home-taught student with the sessions
//! of this semester and when the next is due (overdue in red), and a button
//! that opens the visit form with reason 送教上门 (offline, photos and the
//! guardian's signature like every visit record).

use leptos::prelude::*;

use super::{HomeTeachingList, TaughtStudent};
use crate::auth::pages::Authenticated;
use crate::layout::{ErrorNotice, Loading};
use crate::remote::remote_json;

#[component]
pub fn HomeTeachingPage() -> impl IntoView {
    view! { <Authenticated view=|_| view! { <Students/> }/> }
}

#[component]
fn Students() -> impl IntoView {
    let data = remote_json::<HomeTeachingList>(|| "/api/v1/home-teaching".to_owned());
    view! {
        <h1>"送教上门"</h1>
        <p class="muted">"因身体原因无法到校的学生，按“一人一案”定期送教，每周不少于 1 次。每次送教记一份家访记录（原因选“送教上门”），填写送教内容和时长，拍照并请监护人签名。"</p>
        {move || match data.value.get() {
            None => view! { <Loading/> }.into_any(),
            Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
            Some(Ok(list)) if list.students.is_empty() => view! {
                <p class="muted" data-testid="home-teaching-empty">"暂无送教上门学生。班主任或学校领导可在学生页面将学生列入送教名单。"</p>
            }.into_any(),
            Some(Ok(list)) => view! {
                <ul class="task-list" data-testid="home-teaching-list">
                    {list.students.into_iter().map(|t| view! { <Row t/> }).collect_view()}
                </ul>
            }.into_any(),
        }}
    }
}

#[component]
fn Row(t: TaughtStudent) -> impl IntoView {
    let due = if t.overdue {
        format!("已逾期，应于 {} 前送教", t.next_due.format("%-m月%-d日"))
    } else {
        format!("下次送教：{} 前", t.next_due.format("%-m月%-d日"))
    };
    view! {
        <li class:overdue=t.overdue data-testid="home-taught-student">
            <div class="task-head">
                <strong><a href=format!("/students/{}", t.student_id)>{t.name.clone()}</a></strong>
                <span class="muted">{t.class_name.clone()}</span>
            </div>
            <div class="task-when" class:alert=t.overdue>{due}</div>
            <div class="muted">
                {format!("本学期送教 {} 次，共 {} 分钟", t.sessions_this_semester, t.minutes_this_semester)}
                {t.last_session.map(|d| format!("；上次 {}", d.format("%-m月%-d日")))}
            </div>
            <a class="button-link" href=format!("/visits/new?student={}&reason=home_teaching", t.student_id)>"记录送教"</a>
            {(!t.recent.is_empty()).then(|| view! {
                <details>
                    <summary>"最近送教"</summary>
                    <ul class="plain">
                        {t.recent.iter().map(|s| view! {
                            <li>
                                <a href=format!("/visits/view?id={}", s.visit_id)>{s.date.to_string()}</a>
                                {format!(" {} {}：{}", s.teacher, s.minutes.map(|m| format!("{m} 分钟")).unwrap_or_default(), s.content)}
                                {format!("（照片 {} 张{}）", s.photos, if s.signed { "，监护人已签名" } else { "" })}
                            </li>
                        }).collect_view()}
                    </ul>
                </details>
            })}
        </li>
    }
}
