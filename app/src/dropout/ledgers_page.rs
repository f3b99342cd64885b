//! 台账 (`/ledgers`): the three ledgers of the policy (在校生台账, 疑似辍学
//! 台账, 辍学台账) and the special-group ledger, from the students the
//! person may see. A status is changed on the student's page, where every
//! change is dated, explained and kept (allowed moves only).

use leptos::prelude::*;

use crate::auth::Me;
use crate::auth::pages::Authenticated;
use crate::layout::{ErrorNotice, Loading};
use crate::remote::remote_json;
use crate::roster::{StudentStatus, StudentSummary};

use super::special_groups::SpecialGroupLedger;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ledger {
    InSchool,
    Suspected,
    Dropout,
    Special,
    Closed,
}

impl Ledger {
    const ALL: [Ledger; 5] = [
        Ledger::InSchool,
        Ledger::Suspected,
        Ledger::Dropout,
        Ledger::Special,
        Ledger::Closed,
    ];

    fn label(self) -> &'static str {
        match self {
            Ledger::InSchool => "在校生台账",
            Ledger::Suspected => "疑似辍学台账",
            Ledger::Dropout => "辍学台账",
            Ledger::Special => "特殊群体台账",
            Ledger::Closed => "转出、休学、销号",
        }
    }

    fn holds(self, s: &StudentSummary) -> bool {
        use StudentStatus::*;
        match self {
            Ledger::InSchool => matches!(s.status, InSchool | OnLeave | Returned),
            Ledger::Suspected => s.status == SuspectedDropout,
            // 劝返中 students are still dropouts until they are back.
            Ledger::Dropout => matches!(s.status, Dropout | Persuading),
            Ledger::Special => !s.special_groups.is_empty(),
            Ledger::Closed => matches!(s.status, TransferredOut | Suspended | Closed),
        }
    }
}

#[component]
pub fn LedgersPage() -> impl IntoView {
    view! { <Authenticated view=ledgers/> }
}

fn ledgers(_me: Me) -> impl IntoView {
    let data = remote_json::<Vec<StudentSummary>>(|| "/api/v1/students".to_owned());
    let chosen = RwSignal::new(Ledger::Suspected);
    view! {
        <h1>"控辍保学台账"</h1>
        <p class="muted">"连续 3 个上课日无故缺勤的学生由系统自动列入疑似辍学台账；状态变更（辍学、劝返中、复学、转出、休学、销号）在学生页面登记，须注明日期和依据，全部留痕。"</p>
        {move || match data.value.get() {
            None => view! { <Loading/> }.into_any(),
            Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
            Some(Ok(list)) => {
                let counts: Vec<(Ledger, usize)> = Ledger::ALL
                    .into_iter()
                    .map(|l| (l, list.iter().filter(|s| l.holds(s)).count()))
                    .collect();
                view! {
                    <nav class="segmented" data-testid="ledger-tabs">
                        {counts.into_iter().map(|(l, n)| view! {
                            <button type="button" class:active=move || chosen.get() == l
                                on:click=move |_| chosen.set(l)>
                                {format!("{} {n}", l.label())}
                            </button>
                        }).collect_view()}
                    </nav>
                    {move || {
                        let l = chosen.get();
                        if l == Ledger::Special {
                            return view! { <SpecialLedger/> }.into_any();
                        }
                        let rows: Vec<StudentSummary> = list.iter().filter(|s| l.holds(s)).cloned().collect();
                        if rows.is_empty() {
                            return view! { <p class="muted">"无"</p> }.into_any();
                        }
                        view! {
                            <div class="table-wrap">
                                <table class="data" data-testid="ledger-table">
                                    <thead><tr><th>"姓名"</th><th>"班级"</th><th>"状态"</th><th>"特殊群体"</th>
                                        {matches!(l, Ledger::Suspected | Ledger::Dropout).then(|| view! { <th>"一生一案"</th> })}</tr></thead>
                                    <tbody>
                                        {rows.into_iter().map(|s| view! {
                                            <tr>
                                                <td><a href=format!("/students/{}", s.id)>{s.name.clone()}</a></td>
                                                <td>{s.class_name.clone()}</td>
                                                <td class:alert=s.status != StudentStatus::InSchool>{s.status.label()}</td>
                                                <td>{s.special_groups.iter().map(|g| g.label()).collect::<Vec<_>>().join("、")}</td>
                                                {matches!(l, Ledger::Suspected | Ledger::Dropout).then(|| view! {
                                                    <td><a href=format!("/students/{}/case", s.id)>"方案与劝返记录"</a></td>
                                                })}
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any()
                    }}
                }.into_any()
            }
        }}
    }
}

/// The special-group ledger with this semester's visit coverage, not yet
/// visited first.
#[component]
fn SpecialLedger() -> impl IntoView {
    let data = remote_json::<SpecialGroupLedger>(|| "/api/v1/ledgers/special-groups".to_owned());
    move || {
        match data.value.get() {
        None => view! { <Loading/> }.into_any(),
        Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
        Some(Ok(ledger)) => view! {
            <section class="card stats" data-testid="special-coverage">
                {ledger.groups.iter().map(|g| view! {
                    <div class:alert={g.visited < g.students}>
                        <strong>{format!("{} / {}", g.visited, g.students)}</strong>
                        <span>{format!("{} 本学期已家访", g.group.label())}</span>
                    </div>
                }).collect_view()}
            </section>
            <div class="table-wrap">
                <table class="data" data-testid="ledger-table">
                    <thead><tr><th>"姓名"</th><th>"班级"</th><th>"类别"</th><th>"本学期家访"</th><th>"最近家访"</th></tr></thead>
                    <tbody>
                        {ledger.students.into_iter().map(|s| view! {
                            <tr>
                                <td><a href=format!("/students/{}", s.student_id)>{s.name.clone()}</a></td>
                                <td>{s.class_name.clone()}</td>
                                <td>{s.groups.iter().map(|g| g.label()).collect::<Vec<_>>().join("、")}</td>
                                <td class:alert={s.visits_this_semester == 0}>{if s.visits_this_semester == 0 { "未家访".to_owned() } else { format!("{} 次", s.visits_this_semester) }}</td>
                                <td>{s.last_visit.map(|d| d.to_string()).unwrap_or_default()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        }.into_any(),
    }
    }
}
