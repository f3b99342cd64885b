//! The home page: who is logged in, their roles, the way into each area.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::auth::Me;
use crate::auth::pages::{Authenticated, LogoutButton};
use crate::layout::{AREAS, Icon};

#[component]
pub fn HomePage() -> impl IntoView {
    view! { <Authenticated view=home/> }
}

fn home(me: Me) -> impl IntoView {
    let place = me
        .school
        .as_ref()
        .map(|s| s.name.clone())
        .or(me.area.clone())
        .unwrap_or_default();
    view! {
        <section class="card welcome">
            <h1><span data-testid="user-name">{me.display_name.clone()}</span>"，您好"</h1>
            <p class="place" data-testid="user-school">{place}</p>
            <ul class="roles" data-testid="user-roles">
                {me
                    .roles
                    .iter()
                    .map(|r| {
                        view! {
                            <li>
                                <span class="role">{r.label.clone()}</span>
                                <span class="scope">{r.scope.clone()}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
        <section class="grid">
            {AREAS
                .into_iter()
                .map(|(href, label, icon)| {
                    view! {
                        <A href=href attr:class="tile">
                            <Icon path=icon/>
                            <span>{label}</span>
                            <small>{area_blurb(href)}</small>
                        </A>
                    }
                })
                .collect_view()}
        </section>
        {me.roles.iter().any(|r| r.role.is_school_leader()).then(|| view! {
            <section class="card admin-links">
                <h2>"学校管理"</h2>
                <a href="/dashboard">"全校家访进度"</a>
                <a href="/absences">"缺勤跟进任务"</a>
                <a href="/attendance">"点名与请假"</a>
                <a href="/home-teaching">"送教上门"</a>
                <a href="/reviews">"家访记录抽查"</a>
                <a href="/quota-rules">"家访计数规则"</a>
                <a href="/semesters">"学期设置"</a>
                <a href="/staff">"教师账号"</a>
                <a href="/classes">"班级管理"</a>
                <a href="/students/import">"导入学生名册"</a>
                <a href="/audit">"审计日志"</a>
            </section>
        })}
        {me.roles.iter().any(|r| r.role.is_officer()).then(|| view! {
            <section class="card admin-links">
                <h2>"辖区管理"</h2>
                <a href="/dashboard/area">"各校家访完成情况"</a>
                <a href="/reports">"辍学学生情况月报与辍学率"</a>
                <a href="/home-teaching">"送教上门"</a>
                <a href="/semesters">"学期设置"</a>
                <a href="/audit">"审计日志"</a>
            </section>
        })}
        <section class="account">
            <a href="/change-password">"修改密码"</a>
            <LogoutButton/>
        </section>
    }
}

fn area_blurb(href: &str) -> &'static str {
    match href {
        "/visits" => "家访记录表、照片、家长签名",
        "/tasks" => "本学期家访任务与进度",
        "/students" => "我的学生名册",
        "/ledgers" => "在校、疑似辍学、辍学台账",
        "/reports" => "辍学学生情况月报",
        _ => "",
    }
}
