//! 家访记录表: the form a teacher fills at the family's door, offline.
//!
//! The server renders only an empty frame; the browser opens the record
//! from the phone (`?draft=<uuid>`) or starts a new one (`?student=<id>`,
//! `?plan=<uuid>` preselect), so this page works from the service worker's
//! copy with no network. Every change is saved to the phone at once.

use std::collections::HashSet;

use leptos::prelude::*;

use crate::auth::Me;
use crate::auth::pages::Authenticated;
use crate::roster::StudentSummary;
use crate::sync::sync_status;
use crate::visits::list::for_staff;
use crate::visits::local::{LocalState, LocalVisit, VisitForm};
use crate::visits::model::{FieldError, PersonRef, VisitMode, VisitReason, VisitView};
use crate::visits::signature::SignaturePad;

#[component]
pub fn VisitFormPage() -> impl IntoView {
    view! { <Authenticated view=|me| for_staff(me, |me| view! { <VisitEditor me/> })/> }
}

/// Everything the form needs, loaded in the browser.
#[derive(Clone, Default)]
struct Loaded {
    roster: Vec<StudentSummary>,
    colleagues: Vec<PersonRef>,
    history: Vec<VisitView>,
    local: Vec<LocalVisit>,
}

// `submit` is Copy on the server but not in the browser, where it holds the
// router's `navigate`; the view clones it for both.
#[allow(clippy::clone_on_copy)]
#[component]
fn VisitEditor(me: Me) -> impl IntoView {
    let _ = &me;
    let status = sync_status();
    #[cfg(not(feature = "hydrate"))]
    let _ = status;
    #[cfg(feature = "hydrate")]
    let navigate = leptos_router::hooks::use_navigate();
    let record = RwSignal::new(None::<LocalVisit>);
    let loaded = RwSignal::new(Loaded::default());
    // Worked out once per roster, not on every keystroke of the form.
    let same_name = Memo::new(move |_| loaded.with(|l| crate::roster::namesakes(&l.roster)));
    let problem = RwSignal::new(None::<String>);
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let busy = RwSignal::new(None::<&'static str>);
    let show_pad = RwSignal::new(false);
    // sha256 → object URL of photos and the signature kept on the phone.
    let previews = RwSignal::new(Vec::<(String, String)>::new());

    #[cfg(feature = "hydrate")]
    browser::open(status, record, loaded, problem, previews);

    // Saves the record to the phone after every change.
    let change = move |edit: Box<dyn FnOnce(&mut LocalVisit)>| {
        record.update(|r| {
            if let Some(r) = r {
                edit(r);
                #[cfg(feature = "hydrate")]
                r.edited(crate::sync::engine::now_ms());
            }
        });
        #[cfg(feature = "hydrate")]
        browser::persist(status, record, problem);
    };
    let change: Change = StoredValue::new(std::sync::Arc::new(change));
    let edit_form = move |f: fn(&mut VisitForm, String)| {
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            change.get_value()(Box::new(move |r: &mut LocalVisit| f(&mut r.form, value)));
        }
    };
    let text = move |get: fn(&VisitForm) -> String| {
        move || record.with(|r| r.as_ref().map(|r| get(&r.form)).unwrap_or_default())
    };
    let field_error = move |field: &'static str| move || field_error_view(errors, field);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(current) = record.get_untracked() else {
            return;
        };
        let found = current.check(chrono::Utc::now());
        if !found.is_empty() {
            errors.set(found);
            return;
        }
        errors.set(Vec::new());
        #[cfg(feature = "hydrate")]
        browser::submit(status, current, problem, navigate.clone());
    };

    let student_chosen =
        move || record.with(|r| r.as_ref().and_then(|r| r.form.student_id).is_some());

    view! {
        <h1>"家访记录表"</h1>
        {move || problem.get().map(|p| view! { <p class="error" role="alert">{p}</p> })}
        <Show when=move || record.with(Option::is_some) fallback=|| view! { <p class="loading">"正在打开…"</p> }>
            <form class="card form visit-form" on:submit=submit.clone() novalidate data-testid="visit-form">
                <p class="record-state" data-testid="record-state">
                    {move || record.with(|r| r.as_ref().map(|r| r.state.label()).unwrap_or_default())}
                    " · 已自动保存在手机上"
                </p>
                <fieldset>
                    <legend>"学生"</legend>
                    <Show when=student_chosen fallback=move || view! {
                        <StudentPicker loaded same_name on_pick=Callback::new(move |s: StudentSummary| {
                            change.get_value()(Box::new(move |r: &mut LocalVisit| {
                                r.form.student_id = Some(s.id);
                                r.form.student_name = s.name.clone();
                                r.form.class_name = s.class_name.clone();
                            }));
                        })/>
                    }>
                        <p class="chosen" data-testid="chosen-student">
                            <strong>{text(|f| f.student_name.clone())}</strong>
                            " " {text(|f| f.class_name.clone())}
                            {move || chosen_hint(record, loaded, same_name).map(|h| view! { <span class="muted">" " {h}</span> })}
                            <button type="button" class="link" on:click=move |_| {
                                change.get_value()(Box::new(|r: &mut LocalVisit| r.form.student_id = None));
                            }>"更换"</button>
                        </p>
                        <PreviousVisits record loaded/>
                    </Show>
                    {field_error("student_id")}
                </fieldset>

                <label>"家访时间"
                    <input type="datetime-local" name="visited_at" required
                        prop:value=text(|f| f.visited_at.clone())
                        on:change=edit_form(|f, v| f.visited_at = v)/>
                </label>
                {field_error("visited_at")}

                <fieldset class="choices">
                    <legend>"家访方式"</legend>
                    {VisitMode::ALL.into_iter().map(|mode| view! {
                        <label class="choice">
                            <input type="radio" name="mode" value=mode.code()
                                prop:checked=move || record.with(|r| r.as_ref().is_some_and(|r| r.form.mode == mode.code()))
                                on:change=move |_| change.get_value()(Box::new(move |r: &mut LocalVisit| r.form.mode = mode.code().into()))/>
                            {mode.label()}
                        </label>
                    }).collect_view()}
                </fieldset>

                <label>"家访原因"
                    <select name="reason" prop:value=text(|f| f.reason.clone()) on:change=edit_form(|f, v| f.reason = v)>
                        {VisitReason::ALL.into_iter().map(|r| view! { <option value=r.code()>{r.label()}</option> }).collect_view()}
                    </select>
                </label>
                // 送教上门: the session's length (the summary holds what was taught).
                <Show when=move || record.with(|r| r.as_ref().is_some_and(|r| r.form.reason == VisitReason::HomeTeaching.code()))>
                    <label>"送教时长（分钟）"
                        <input type="number" name="duration_minutes" inputmode="numeric" min="10" max="480" step="5"
                            prop:value=text(|f| f.duration_minutes.clone())
                            on:input=edit_form(|f, v| f.duration_minutes = v)/>
                    </label>
                    {field_error("duration_minutes")}
                </Show>

                <CoVisitors record loaded change/>
                {field_error("co_visitor_ids")}

                <div class="two">
                    <label>"接待人"
                        <input type="text" name="met_person" maxlength="100" placeholder="如：王秀英"
                            prop:value=text(|f| f.met_person.clone()) on:input=edit_form(|f, v| f.met_person = v)/>
                    </label>
                    <label>"与学生关系"
                        <input type="text" name="met_relation" maxlength="100" placeholder="如：母亲、祖父"
                            prop:value=text(|f| f.met_relation.clone()) on:input=edit_form(|f, v| f.met_relation = v)/>
                    </label>
                </div>

                <LongText label="家庭情况" name="family_situation" rows=3 placeholder="家庭成员、经济状况、监护情况等"
                    get=|f| f.family_situation.clone() set=|f, v| f.family_situation = v record errors change/>
                <LongText label="学生在家表现" name="home_behaviour" rows=3
                    get=|f| f.home_behaviour.clone() set=|f, v| f.home_behaviour = v record errors change/>
                <LongText label="向家长反馈的在校表现" name="school_performance" rows=3
                    get=|f| f.school_performance.clone() set=|f, v| f.school_performance = v record errors change/>
                <LongText label="谈话要点 / 送教内容（必填）" name="summary" rows=4 required=true
                    get=|f| f.summary.clone() set=|f, v| f.summary = v record errors change/>
                <LongText label="家长意见和要求" name="parent_opinion" rows=2
                    get=|f| f.parent_opinion.clone() set=|f, v| f.parent_opinion = v record errors change/>
                <LongText label="后续措施" name="follow_up" rows=2
                    get=|f| f.follow_up.clone() set=|f, v| f.follow_up = v record errors change/>

                <Photos record previews busy problem change/>
                {field_error("photos")}

                <fieldset>
                    <legend>"家长签名"</legend>
                    {move || {
                        let sig = record.with(|r| r.as_ref().and_then(|r| r.signature.clone()));
                        let url = sig.and_then(|s| previews.with(|p| p.iter().find(|(k, _)| *k == s.sha256).map(|(_, u)| u.clone())));
                        match url {
                            Some(url) => view! { <img class="signature-preview" src=url alt="家长签名" data-testid="signature-preview"/> }.into_any(),
                            None => view! { <p class="hint">"尚未签名"</p> }.into_any(),
                        }
                    }}
                    <button type="button" class="secondary" data-testid="open-signature"
                        on:click=move |_| show_pad.set(true)>"请家长签名"</button>
                    <label class="choice">
                        <input type="checkbox" name="no_signature"
                            prop:checked=move || record.with(|r| r.as_ref().is_some_and(|r| r.form.no_signature))
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                change.get_value()(Box::new(move |r: &mut LocalVisit| r.form.no_signature = on));
                            }/>
                        "家长拒绝或无法签名"
                    </label>
                    <Show when=move || record.with(|r| r.as_ref().is_some_and(|r| r.form.no_signature))>
                        <label>"未签名原因（记录将标记待学校关注）"
                            <input type="text" name="no_signature_reason" maxlength="100"
                                prop:value=text(|f| f.no_signature_reason.clone())
                                on:input=edit_form(|f, v| f.no_signature_reason = v)/>
                        </label>
                    </Show>
                    {field_error("signature")}
                    {field_error("no_signature_reason")}
                </fieldset>

                {move || (!errors.with(Vec::is_empty)).then(|| view! {
                    <p class="error" role="alert" data-testid="form-errors">
                        {errors.with(|e| e.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join("；"))}
                    </p>
                })}
                {move || busy.get().map(|b| view! { <p class="loading">{b}</p> })}
                <button type="submit" class="primary" data-testid="save-visit" disabled=move || busy.get().is_some()>
                    "保存，有网络时自动同步"
                </button>
                <DiscardDraft record/>
            </form>
            <Show when=move || show_pad.get()>
                <SignaturePad
                    initial=record.with_untracked(|r| r.as_ref().map(|r| r.strokes.clone()).unwrap_or_default())
                    on_cancel=Callback::new(move |_| show_pad.set(false))
                    on_done=Callback::new(move |strokes| {
                        show_pad.set(false);
                        #[cfg(feature = "hydrate")]
                        browser::keep_signature(status, record, previews, problem, strokes);
                        #[cfg(not(feature = "hydrate"))]
                        let _ = strokes;
                    })/>
            </Show>
        </Show>
    }
}

/// Applies an edit to the record and saves it to the phone.
type Change = StoredValue<std::sync::Arc<dyn Fn(Box<dyn FnOnce(&mut LocalVisit)>) + Send + Sync>>;

/// The message for `field` from the last check, if any.
fn field_error_view(
    errors: RwSignal<Vec<FieldError>>,
    field: &'static str,
) -> Option<impl IntoView> {
    errors.with(|e| {
        e.iter()
            .find(|e| e.field == field)
            .map(|e| view! { <p class="field-error" role="alert">{e.message.clone()}</p> })
    })
}

/// One of the form's long answers, with its error under it.
#[component]
fn LongText(
    label: &'static str,
    name: &'static str,
    rows: u8,
    #[prop(optional)] placeholder: &'static str,
    #[prop(optional)] required: bool,
    get: fn(&VisitForm) -> String,
    set: fn(&mut VisitForm, String),
    record: RwSignal<Option<LocalVisit>>,
    errors: RwSignal<Vec<FieldError>>,
    change: Change,
) -> impl IntoView {
    view! {
        <label>{label}
            <textarea name=name rows=rows.to_string() placeholder=placeholder required=required
                prop:value=move || record.with(|r| r.as_ref().map(|r| get(&r.form)).unwrap_or_default())
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    change.get_value()(Box::new(move |r: &mut LocalVisit| set(&mut r.form, value)));
                }></textarea>
        </label>
        {move || field_error_view(errors, name)}
    }
}

/// The 学籍号 hint of the chosen student, if a classmate has the same name.
fn chosen_hint(
    record: RwSignal<Option<LocalVisit>>,
    loaded: RwSignal<Loaded>,
    same_name: Memo<HashSet<i32>>,
) -> Option<String> {
    let id = record.with(|r| r.as_ref().and_then(|r| r.form.student_id))?;
    if !same_name.with(|ids| ids.contains(&id)) {
        return None;
    }
    loaded.with(|l| {
        l.roster
            .iter()
            .find(|s| s.id == id)
            .map(StudentSummary::number_hint)
    })
}

#[component]
fn StudentPicker(
    loaded: RwSignal<Loaded>,
    same_name: Memo<HashSet<i32>>,
    on_pick: Callback<StudentSummary>,
) -> impl IntoView {
    let (query, set_query) = signal(String::new());
    let matches = move || {
        let q = query.get();
        let q = q.trim().to_owned();
        let same_name = same_name.get();
        loaded.with(|l| {
            l.roster
                .iter()
                .filter(|s| q.is_empty() || s.name.contains(&q) || s.class_name.contains(&q))
                .take(30)
                .map(|s| {
                    let done = l.history.iter().filter(|v| v.student_id == s.id).count()
                        + l.local
                            .iter()
                            .filter(|v| {
                                v.form.student_id == Some(s.id) && v.state != LocalState::Synced
                            })
                            .count();
                    let hint = same_name.contains(&s.id).then(|| s.number_hint());
                    (s.clone(), done, hint)
                })
                .collect::<Vec<_>>()
        })
    };
    view! {
        <input type="search" class="search" placeholder="输入姓名查找学生" aria-label="查找学生"
            data-testid="student-search" on:input=move |ev| set_query.set(event_target_value(&ev))/>
        <ul class="pick-list">
            {move || matches().into_iter().map(|(s, done, hint)| {
                let pick = s.clone();
                view! {
                    <li>
                        <button type="button" class="pick" data-testid="pick-student"
                            on:click=move |_| on_pick.run(pick.clone())>
                            <strong>{s.name.clone()}</strong>
                            <span class="muted">{s.class_name.clone()}</span>
                            {hint.map(|h| view! { <span class="muted" data-testid="number-hint">{h}</span> })}
                            {s.special_groups.iter().map(|g| view! { <span class="tag">{g.label()}</span> }).collect_view()}
                            <span class="muted">{if done == 0 { "本学期未家访".to_owned() } else { format!("已家访 {done} 次") }}</span>
                        </button>
                    </li>
                }
            }).collect_view()}
        </ul>
        {move || loaded.with(|l| l.roster.is_empty()).then(|| view! {
            <p class="hint">"手机上还没有学生名册：请在有网络时打开一次本页。"</p>
        })}
    }
}

#[component]
fn PreviousVisits(record: RwSignal<Option<LocalVisit>>, loaded: RwSignal<Loaded>) -> impl IntoView {
    let rows = move || {
        let student = record.with(|r| r.as_ref().and_then(|r| r.form.student_id));
        let id = record.with(|r| r.as_ref().map(|r| r.id));
        loaded.with(|l| {
            l.history
                .iter()
                .filter(|v| Some(v.student_id) == student && Some(v.id) != id)
                .map(|v| {
                    format!(
                        "{} {} {}",
                        v.visited_at.format("%Y-%m-%d"),
                        v.mode.label(),
                        v.reason.label()
                    )
                })
                .collect::<Vec<_>>()
        })
    };
    view! {
        {move || {
            let rows = rows();
            (!rows.is_empty()).then(|| view! {
                <details class="previous">
                    <summary>{format!("以往家访 {} 次", rows.len())}</summary>
                    <ul>{rows.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}</ul>
                </details>
            })
        }}
    }
}

#[component]
fn CoVisitors(
    record: RwSignal<Option<LocalVisit>>,
    loaded: RwSignal<Loaded>,
    change: Change,
) -> impl IntoView {
    let chosen = move || {
        record.with(|r| {
            r.as_ref()
                .map(|r| r.form.co_visitor_ids.clone())
                .unwrap_or_default()
        })
    };
    view! {
        <details class="co-visitors">
            <summary>{move || {
                let ids = chosen();
                let names: Vec<String> = loaded.with(|l| l.colleagues.iter().filter(|c| ids.contains(&c.id)).map(|c| c.name.clone()).collect());
                if names.is_empty() { "同行人员：无".to_owned() } else { format!("同行人员：{}", names.join("、")) }
            }}</summary>
            {move || loaded.with(|l| l.colleagues.clone()).into_iter().map(|c| {
                let id = c.id;
                view! {
                    <label class="choice">
                        <input type="checkbox" prop:checked=move || chosen().contains(&id)
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                change.get_value()(Box::new(move |r: &mut LocalVisit| {
                                    r.form.co_visitor_ids.retain(|x| *x != id);
                                    if on { r.form.co_visitor_ids.push(id); }
                                }));
                            }/>
                        {c.name.clone()}
                    </label>
                }
            }).collect_view()}
        </details>
    }
}

#[component]
fn Photos(
    record: RwSignal<Option<LocalVisit>>,
    previews: RwSignal<Vec<(String, String)>>,
    busy: RwSignal<Option<&'static str>>,
    problem: RwSignal<Option<String>>,
    change: Change,
) -> impl IntoView {
    let status = sync_status();
    let on_files = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        browser::add_photos(status, ev, record, previews, busy, problem);
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, busy, problem, status);
    };
    let photos = move || record.with(|r| r.as_ref().map(|r| r.photos.clone()).unwrap_or_default());
    view! {
        <fieldset>
            <legend>{move || format!("照片（{} 张）", photos().len())}</legend>
            <div class="thumbs" data-testid="photo-thumbs">
                {move || photos().into_iter().map(|p| {
                    let sha = p.sha256.clone();
                    let url = previews.with(|list| list.iter().find(|(k, _)| *k == p.sha256).map(|(_, u)| u.clone()));
                    view! {
                        <figure class="thumb" data-testid="photo-thumb">
                            {match url {
                                Some(url) => view! { <img src=url alt="家访照片"/> }.into_any(),
                                None => view! { <span class="muted">"已上传"</span> }.into_any(),
                            }}
                            <button type="button" class="remove" aria-label="删除照片" on:click=move |_| {
                                let sha = sha.clone();
                                change.get_value()(Box::new(move |r: &mut LocalVisit| r.photos.retain(|p| p.sha256 != sha)));
                            }>"×"</button>
                        </figure>
                    }
                }).collect_view()}
            </div>
            <div class="photo-buttons">
                <label class="button-link">"拍照"
                    <input type="file" accept="image/*" capture="environment" class="visually-hidden"
                        data-testid="photo-camera" on:change=on_files/>
                </label>
                <label class="button-link secondary">"从相册选择"
                    <input type="file" accept="image/*" multiple class="visually-hidden"
                        data-testid="photo-gallery" on:change=on_files/>
                </label>
            </div>
        </fieldset>
    }
}

#[component]
fn DiscardDraft(record: RwSignal<Option<LocalVisit>>) -> impl IntoView {
    let status = sync_status();
    #[cfg(feature = "hydrate")]
    let navigate = leptos_router::hooks::use_navigate();
    let is_draft = move || {
        record.with(|r| {
            r.as_ref()
                .is_some_and(|r| r.state == LocalState::Draft && r.server_revision.is_none())
        })
    };
    view! {
        <Show when=is_draft>
            <button type="button" class="link danger" on:click={
                #[cfg(feature = "hydrate")]
                let navigate = navigate.clone();
                move |_| {
                    #[cfg(feature = "hydrate")]
                    browser::discard(status, record, navigate.clone());
                    #[cfg(not(feature = "hydrate"))]
                    let _ = status;
                }
            }>"删除此草稿"</button>
        </Show>
    }
}

/// The browser half of the form: IndexedDB, files, the sync engine.
#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use leptos::task::spawn_local;
    use uuid::Uuid;
    use wasm_bindgen::JsCast;

    use super::Loaded;
    use crate::sync::{SyncStatus, engine};
    use crate::visits::device;
    use crate::visits::local::{LocalBlob, LocalState, LocalVisit, Stroke, local_datetime_value};
    use crate::visits::model::MAX_PHOTOS;
    use crate::visits::photos::{hash_blob, object_url, prepare_photo, revoke};
    use crate::visits::signature::draw;

    /// Opens `?draft=` or starts a new record, once the account is known.
    pub fn open(
        status: SyncStatus,
        record: RwSignal<Option<LocalVisit>>,
        loaded: RwSignal<Loaded>,
        problem: RwSignal<Option<String>>,
        previews: RwSignal<Vec<(String, String)>>,
    ) {
        Effect::new(move |done: Option<bool>| {
            if done == Some(true) || status.user_id.get().is_none() {
                return done.unwrap_or(false);
            }
            spawn_local(async move {
                let draft = device::query_param("draft");
                let existing = match &draft {
                    Some(id) => device::load_visit(status, id).await.unwrap_or_else(|e| {
                        problem.set(Some(e.to_string()));
                        None
                    }),
                    None => None,
                };
                let visit = existing.unwrap_or_else(|| {
                    let now = engine::now_ms();
                    let offset = engine::offset_minutes();
                    let mut v = LocalVisit::new(Uuid::new_v4(), offset, now);
                    v.form.visited_at = local_datetime_value(chrono::Utc::now(), offset);
                    v.form.plan_id = device::query_param("plan").and_then(|p| p.parse().ok());
                    // From an absence task: 缺勤 or 劝返.
                    if let Some(reason) = device::query_param("reason")
                        .filter(|r| crate::visits::VisitReason::from_code(r).is_some())
                    {
                        v.form.reason = reason;
                    }
                    v
                });
                show_previews(status, &visit, previews).await;
                let preselect: Option<i32> =
                    device::query_param("student").and_then(|s| s.parse().ok());
                let roster = device::roster(status).await.unwrap_or_else(|e| {
                    problem.set(Some(e.to_string()));
                    Vec::new()
                });
                let mut visit = visit;
                if visit.form.student_id.is_none()
                    && let Some(s) = preselect.and_then(|id| roster.iter().find(|s| s.id == id))
                {
                    visit.form.student_id = Some(s.id);
                    visit.form.student_name = s.name.clone();
                    visit.form.class_name = s.class_name.clone();
                }
                loaded.set(Loaded {
                    roster,
                    colleagues: device::colleagues(status).await,
                    history: device::server_visits(status).await,
                    local: device::local_visits(status).await.unwrap_or_default(),
                });
                record.set(Some(visit));
            });
            true
        });
        on_cleanup(move || {
            previews.with_untracked(|p| p.iter().for_each(|(_, url)| revoke(url)));
        });
    }

    async fn show_previews(
        status: SyncStatus,
        visit: &LocalVisit,
        previews: RwSignal<Vec<(String, String)>>,
    ) {
        let Ok(store) = device::store(status).await else {
            return;
        };
        for blob in visit.photos.iter().chain(visit.signature.iter()) {
            let on_phone = match store.get_blob(&blob.sha256).await {
                Ok(Some(b)) => object_url(&b),
                _ => None,
            };
            // An amended record's files stay on the server (online only).
            let url = on_phone.or_else(|| {
                blob.uploaded
                    .then(|| format!("/api/v1/attachments/{}", blob.sha256))
            });
            if let Some(url) = url {
                previews.update(|p| p.push((blob.sha256.clone(), url)));
            }
        }
    }

    /// Writes the record to the phone; the first save also puts its id in
    /// the address, so a reload reopens it.
    pub fn persist(
        status: SyncStatus,
        record: RwSignal<Option<LocalVisit>>,
        problem: RwSignal<Option<String>>,
    ) {
        let Some(visit) = record.get_untracked() else {
            return;
        };
        spawn_local(async move {
            match device::save_visit(status, &visit).await {
                Ok(()) => {
                    if device::query_param("draft").as_deref()
                        != Some(visit.id.to_string().as_str())
                    {
                        device::replace_url(&format!("/visits/new?draft={}", visit.id));
                    }
                }
                Err(e) => problem.set(Some(format!("{e}（本次修改未能保存）"))),
            }
        });
    }

    pub fn submit(
        status: SyncStatus,
        mut visit: LocalVisit,
        problem: RwSignal<Option<String>>,
        navigate: impl Fn(&str, leptos_router::NavigateOptions) + 'static,
    ) {
        visit.state = LocalState::Pending;
        visit.error = None;
        visit.attempts = 0;
        visit.updated_at_ms = engine::now_ms();
        if visit.server_revision.is_some() && visit.base_revision.is_none() {
            visit.base_revision = visit.server_revision;
        }
        spawn_local(async move {
            match device::save_visit(status, &visit).await {
                Ok(()) => {
                    engine::request(status, false);
                    navigate("/visits", Default::default());
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    }

    pub fn add_photos(
        status: SyncStatus,
        ev: leptos::ev::Event,
        record: RwSignal<Option<LocalVisit>>,
        previews: RwSignal<Vec<(String, String)>>,
        busy: RwSignal<Option<&'static str>>,
        problem: RwSignal<Option<String>>,
    ) {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(files) = input.files() else { return };
        let files: Vec<web_sys::File> = (0..files.length()).filter_map(|i| files.get(i)).collect();
        input.set_value("");
        spawn_local(async move {
            busy.set(Some("正在处理照片…"));
            for file in files {
                if record.with_untracked(|r| r.as_ref().map_or(0, |r| r.photos.len())) >= MAX_PHOTOS
                {
                    problem.set(Some(format!("照片最多 {MAX_PHOTOS} 张")));
                    break;
                }
                let result = async {
                    let photo = prepare_photo(&file).await?;
                    device::store(status)
                        .await?
                        .put_blob(&photo.sha256, &photo.blob)
                        .await?;
                    Ok::<_, crate::error::AppError>(photo)
                }
                .await;
                match result {
                    Ok(photo) => {
                        if let Some(url) = object_url(&photo.blob) {
                            previews.update(|p| p.push((photo.sha256.clone(), url)));
                        }
                        record.update(|r| {
                            if let Some(r) = r
                                && !r.photos.iter().any(|p| p.sha256 == photo.sha256)
                            {
                                r.photos.push(LocalBlob {
                                    sha256: photo.sha256.clone(),
                                    content_type: "image/jpeg".into(),
                                    bytes: photo.bytes,
                                    uploaded: false,
                                });
                                r.edited(engine::now_ms());
                            }
                        });
                        persist(status, record, problem);
                    }
                    Err(e) => problem.set(Some(e.to_string())),
                }
            }
            busy.set(None);
        });
    }

    pub fn keep_signature(
        status: SyncStatus,
        record: RwSignal<Option<LocalVisit>>,
        previews: RwSignal<Vec<(String, String)>>,
        problem: RwSignal<Option<String>>,
        strokes: Vec<Stroke>,
    ) {
        spawn_local(async move {
            let result = async {
                let png = draw::to_png(&strokes)?;
                let (sha256, bytes) = hash_blob(&png).await?;
                device::store(status).await?.put_blob(&sha256, &png).await?;
                Ok::<_, crate::error::AppError>((png, sha256, bytes))
            }
            .await;
            match result {
                Ok((png, sha256, bytes)) => {
                    if let Some(url) = object_url(&png) {
                        previews.update(|p| p.push((sha256.clone(), url)));
                    }
                    record.update(|r| {
                        if let Some(r) = r {
                            r.strokes = strokes;
                            r.signature = Some(LocalBlob {
                                sha256,
                                content_type: "image/png".into(),
                                bytes,
                                uploaded: false,
                            });
                            r.form.no_signature = false;
                            r.edited(engine::now_ms());
                        }
                    });
                    persist(status, record, problem);
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    }

    pub fn discard(
        status: SyncStatus,
        record: RwSignal<Option<LocalVisit>>,
        navigate: impl Fn(&str, leptos_router::NavigateOptions) + 'static,
    ) {
        let Some(visit) = record.get_untracked() else {
            return;
        };
        let confirmed = web_sys::window()
            .and_then(|w| {
                w.confirm_with_message("确定删除这份草稿吗？删除后无法恢复。")
                    .ok()
            })
            .unwrap_or(false);
        if !confirmed {
            return;
        }
        spawn_local(async move {
            let _ = device::delete_draft(status, &visit).await;
            navigate("/visits", Default::default());
        });
    }
}
