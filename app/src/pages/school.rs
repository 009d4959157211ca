//! The principal's page: her school's teacher accounts (create, hand out activation codes, switch
//! off) and the school's self-diagnosis results as the municipality's privacy setting allows.
//! Both lists are kept, dated, for offline reading; changing accounts needs the network, because
//! the server issues the codes.

use super::{CachedView, Freshness, cached_view};
use crate::api;
use crate::ctx::use_ctx;
use crate::fmt;
use crate::pages::department::{share, stat_cell};
use crate::table::{Cell, DataTable, Row, Table};
use crate::task::Scope;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::A;
use opora_domain::UserId;
use opora_domain::accounts::login_from_name;
use opora_domain::api::{AccountStatus, IssuedCode, LoginNamespace, NewTeacher, SchoolSelfDiagnosis, TeacherAccount};

#[component]
pub fn SchoolHome(user: UserId) -> impl IntoView {
    let ctx = use_ctx();
    let school = move || ctx.session.with(|s| s.as_ref().and_then(|s| s.user.school.as_ref().map(|s| s.name.clone())));
    let (teachers, refresh_teachers) =
        cached_view::<Vec<TeacherAccount>>(user, "school-teachers", "/api/school/teachers".to_owned());
    let (results, refresh_results) =
        cached_view::<SchoolSelfDiagnosis>(user, "school-self-diagnosis", "/api/school/self-diagnosis".to_owned());
    // What her teachers' logins start with, kept for offline like the lists.
    let (namespace, _) =
        cached_view::<LoginNamespace>(user, "school-login-namespace", "/api/school/login-namespace".to_owned());
    // The code just issued, shown until the principal closes it: it is never shown again.
    let issued = RwSignal::new(None::<IssuedCode>);
    view! {
        <div class="card">
            <h1>{move || school().unwrap_or_default()}</h1>
            <p class="muted">"Кабинет руководителя школы."</p>
            <div class="actions"><A href="/reports" attr:class="btn primary">"Отчёты школы"</A></div>
        </div>
        {move || issued.get().map(|code| view! { <CodeSlip code on_close=Callback::new(move |()| issued.set(None))/> })}
        <Teachers teachers issued refresh=refresh_teachers/>
        <NewTeacherForm issued namespace refresh=Callback::new(move |()| { refresh_teachers.run(()); refresh_results.run(()); })/>
        <Results results refresh=refresh_results/>
    }
}

/// The printable slip a principal hands to a teacher: login, code, until when, what to do.
#[component]
fn CodeSlip(code: IssuedCode, on_close: Callback<()>) -> impl IntoView {
    let origin = window().location().origin().unwrap_or_default();
    // A code for an account that already had a password replaces a forgotten one.
    let reset = code.account.status != AccountStatus::AwaitingActivation;
    view! {
        <div class="card slip" data-testid="code-slip">
            <h2>{if reset { "Новый код вместо забытого пароля" } else { "Данные для первого входа" }}</h2>
            <p>{code.account.full_name.clone()}</p>
            <p>"Адрес: " <strong>{origin}</strong></p>
            <p>"Логин: " <strong data-testid="slip-login">{code.account.login.clone()}</strong></p>
            <p>"Код активации: " <strong class="code" data-testid="slip-code">{code.code.clone()}</strong></p>
            <p>{format!("Код действует один раз, до {}.", fmt::datetime(code.expires_at_ms))}</p>
            <p class="muted">"На странице входа выберите «Первый вход: у меня есть код активации», введите код и \
                придумайте пароль. Код больше не будет показан: распечатайте или перепишите его."</p>
            {reset.then(|| view! {
                <p data-testid="slip-sealed">{crate::pages::activate::EARLIER_ANSWERS}</p>
            })}
            <div class="actions no-print">
                <button class="btn" on:click=move |_| { let _ = window().print(); }>"Распечатать"</button>
                <button class="btn" on:click=move |_| on_close.run(())>"Закрыть"</button>
            </div>
        </div>
    }
}

#[component]
fn Teachers(
    teachers: CachedView<Vec<TeacherAccount>>,
    issued: RwSignal<Option<IssuedCode>>,
    refresh: Callback<()>,
) -> impl IntoView {
    let ctx = use_ctx();
    let scope = Scope::here();
    let action_error = RwSignal::new(None::<String>);
    let new_code = move |teacher: UserId| {
        let Some(session) = ctx.session.get_untracked() else { return };
        scope.spawn(async move {
            match api::issue_code(&session.token, teacher).await {
                Ok(code) => {
                    issued.set(Some(code));
                    action_error.set(None);
                }
                Err(failure) => {
                    ctx.note_failure(&failure);
                    action_error.set(Some(failure.message_ru()));
                }
            }
        });
    };
    let switch = move |teacher: TeacherAccount| {
        let Some(session) = ctx.session.get_untracked() else { return };
        let turning_on = teacher.status == AccountStatus::Disabled;
        if !turning_on {
            let question = format!(
                "Отключить учётную запись «{}»? Учитель не сможет входить, её результаты перестанут учитываться в сводных. \
                 Включить снова можно в любой момент.",
                teacher.full_name
            );
            if !window().confirm_with_message(&question).unwrap_or(false) {
                return;
            }
        }
        scope.spawn(async move {
            match api::set_active(&session.token, teacher.id, turning_on).await {
                Ok(_) => {
                    action_error.set(None);
                    refresh.run(());
                }
                Err(failure) => {
                    ctx.note_failure(&failure);
                    action_error.set(Some(failure.message_ru()));
                }
            }
        });
    };
    let on_action = Callback::new(move |(action, id): (String, String)| {
        let Ok(id) = id.parse::<UserId>() else { return };
        let Some(teacher) = teachers.data.with_untracked(|list| list.as_ref()?.iter().find(|t| t.id == id).cloned())
        else {
            return;
        };
        match action.as_str() {
            "code" => new_code(id),
            "on" | "off" => switch(teacher),
            _ => {}
        }
    });
    view! {
        <div class="card">
            <h2>"Учителя"</h2>
            <Freshness generated_at=Signal::derive(move || None) loading=teachers.loading error=teachers.error refresh/>
            {move || action_error.get().map(|e| view! { <p class="error-text" role="alert">{e}</p> })}
            {move || teachers.data.get().map(|list| {
                if list.is_empty() {
                    return view! { <p class="muted">"Учётных записей учителей пока нет."</p> }.into_any();
                }
                let rows = list.iter().map(|t| {
                    let status_class = match t.status {
                        AccountStatus::Active => "status-active",
                        AccountStatus::AwaitingActivation => "status-pending",
                        AccountStatus::Disabled => "status-disabled",
                    };
                    // The time only where the department allows individual results; otherwise whether.
                    let done = match (t.last_submitted_at_ms, t.submitted) {
                        (Some(at), _) => fmt::datetime(at),
                        (None, true) => "пройдена".to_owned(),
                        (None, false) => "не пройдена".to_owned(),
                    };
                    let mut actions = Cell::default().class("row-actions");
                    if t.status != AccountStatus::Disabled {
                        actions = actions.button("Новый код", "code", t.id.to_string());
                    }
                    actions = match t.status {
                        AccountStatus::Disabled => actions.button("Включить", "on", t.id.to_string()),
                        _ => actions.button("Отключить", "off", t.id.to_string()),
                    };
                    Row::new(t.login.clone(), vec![
                        Cell::text(t.full_name.clone()),
                        // What the programme's coverage counts her by (set by the department's import).
                        match &t.subject {
                            Some(subject) => Cell::text(subject.clone()),
                            None => Cell::text("не указан").class("blank"),
                        },
                        Cell::text(t.login.clone()),
                        Cell::text(t.status.title_ru()).class(status_class),
                        Cell::text(done),
                        actions,
                    ])
                }).collect();
                let table = Table {
                    head: ["ФИО", "Предмет", "Логин", "Учётная запись", "Самодиагностика", "Действия"].map(str::to_owned).into(),
                    rows,
                    foot: None,
                    testid: Some("teachers"),
                };
                view! { <DataTable table on_action/> }.into_any()
            })}
        </div>
    }
}

#[component]
fn NewTeacherForm(
    issued: RwSignal<Option<IssuedCode>>,
    namespace: CachedView<LoginNamespace>,
    refresh: Callback<()>,
) -> impl IntoView {
    let ctx = use_ctx();
    let scope = Scope::here();
    let full_name = RwSignal::new(String::new());
    // The part of the login after the school's prefix; empty: the server derives it from the
    // surname (the suggestion shown). What she typed stays on a refusal.
    let login = RwSignal::new(String::new());
    let prefix = move || namespace.data.with(|n| n.as_ref().map(|n| n.prefix.clone()));
    let suggestion = move || {
        let prefix = prefix().unwrap_or_default();
        let derived = login_from_name(&prefix, &full_name.get());
        derived.strip_prefix(&format!("{prefix}.")).unwrap_or(&derived).to_owned()
    };
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let Some(session) = ctx.session.get_untracked() else { return };
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let typed = login.get_untracked().trim().to_owned();
        let chosen = match namespace.data.with_untracked(|n| n.as_ref().map(|n| n.prefix.clone())) {
            // Typed with the prefix too: it is written once.
            Some(prefix) if !typed.is_empty() => {
                let own = format!("{prefix}.");
                Some(format!("{own}{}", typed.strip_prefix(own.as_str()).unwrap_or(&typed)))
            }
            _ => None,
        };
        let teacher = NewTeacher { full_name: full_name.get_untracked(), login: chosen };
        scope.spawn(async move {
            match api::create_teacher(&session.token, &teacher).await {
                Ok(code) => {
                    issued.set(Some(code));
                    full_name.set(String::new());
                    login.set(String::new());
                    refresh.run(());
                }
                Err(failure) => {
                    ctx.note_failure(&failure);
                    error.set(Some(match failure {
                        api::Failure::Unreachable => {
                            "Нет связи с сервером. Учётную запись можно создать, когда связь появится: код выдаёт сервер.".to_owned()
                        }
                        api::Failure::Api(e) => e.detail.unwrap_or(e.message),
                    }));
                }
            }
            busy.set(false);
        });
    };
    view! {
        <div class="card">
            <h2>"Добавить учителя"</h2>
            <form on:submit=submit>
                <label class="field">
                    "Фамилия, имя, отчество"
                    <input type="text" name="full-name" autocomplete="off" required
                        prop:value=move || full_name.get() on:input=move |ev| full_name.set(event_target_value(&ev))/>
                </label>
                {move || prefix().map(|prefix| view! {
                    <label class="field">
                        "Логин (необязательно: без него составим из фамилии)"
                        <span class="login-with-prefix">
                            <span class="login-prefix" data-testid="login-prefix">{format!("{prefix}.")}</span>
                            <input type="text" name="login" autocomplete="off" autocapitalize="none" spellcheck="false"
                                placeholder=suggestion
                                prop:value=move || login.get() on:input=move |ev| login.set(event_target_value(&ev))/>
                        </span>
                    </label>
                    <p class="muted">{namespace.data.with(|n| n.as_ref().map(|n| n.rule.clone()))}</p>
                })}
                {move || error.get().map(|e| view! { <p class="error-text" role="alert">{e}</p> })}
                <div class="actions">
                    <button class="btn primary" type="submit" disabled=move || busy.get()>
                        {move || if busy.get() { "Создаём…" } else { "Создать учётную запись и код" }}
                    </button>
                </div>
            </form>
        </div>
    }
}

#[component]
fn Results(results: CachedView<SchoolSelfDiagnosis>, refresh: Callback<()>) -> impl IntoView {
    let generated = Signal::derive(move || results.data.with(|d| d.as_ref().map(|d| d.generated_at_ms)));
    view! {
        <div class="card">
            <h2>"Самодиагностика педагогов школы"</h2>
            <Freshness generated_at=generated loading=results.loading error=results.error refresh/>
            {move || results.data.get().map(|r| {
                let s = &r.summary;
                view! {
                    <p data-testid="school-completed">{format!("Прошли: {} из {} ({})", s.completed, s.teachers, share(s))}</p>
                    <p class="muted">{format!(
                        "Средний балл по области в процентах от максимума. Если прошли меньше {} педагогов, показатели скрыты.",
                        r.min_group
                    )}</p>
                    <DataTable table=Table {
                        head: vec!["Область".to_owned(), "Средний балл".to_owned()],
                        rows: r.areas.iter().zip(&s.areas).map(|(title, a)| {
                            Row::new(title.id.to_string(), vec![Cell::text(title.title.clone()), stat_cell(&a.stat, r.min_group)])
                        }).collect(),
                        foot: None,
                        testid: Some("school-areas"),
                    }/>
                    {match r.individual.clone() {
                        None => view! {
                            <p class="muted" data-testid="individual-hidden">
                                "Результаты отдельных педагогов отделом образования не открыты: видны только сводные."
                            </p>
                        }.into_any(),
                        Some(list) => {
                            let mut head = vec!["Педагог".to_owned()];
                            head.extend(r.areas.iter().map(|a| a.title.clone()));
                            let rows = list.iter().map(|t| {
                                let mut cells = vec![Cell::text(t.full_name.clone())];
                                cells.extend(r.areas.iter().map(|a| {
                                    Cell::text(t.profile.area(&a.id).and_then(|x| x.percent()).map_or_else(|| fmt::NO_DATA.to_owned(), fmt::percent))
                                }));
                                Row::new(t.teacher.to_string(), cells)
                            }).collect();
                            view! {
                                <h3>"По педагогам"</h3>
                                <DataTable table=Table { head, rows, foot: None, testid: Some("individual") }/>
                            }.into_any()
                        }
                    }}
                }
            })}
        </div>
    }
}
