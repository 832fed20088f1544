//! Widgets both apps use: top bar, loading / error / empty states, form
//! fields that validate as you type, toasts.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use shared::api::Endpoint;
use shared::dto::{EntryKind, HistoryItem, Page};
use shared::validate::Reason;
use std::pin::Pin;

use crate::api::{ApiResult, Failure};
use crate::i18n::{T, Txt, field_error, tr, use_i18n};
use crate::session::Session;

/// Client-side navigation that works from anywhere, including async tasks
/// and callbacks that run outside the component tree (where the router's
/// context cannot be looked up). Provided once under the router.
#[derive(Clone, Copy)]
pub struct Nav(Callback<(String, bool)>);

impl Nav {
    /// Captures the router's navigate function; call inside `<Router>`.
    pub fn provide() -> Nav {
        let navigate = use_navigate();
        let nav = Nav(Callback::new(move |(to, replace): (String, bool)| {
            navigate(
                &to,
                leptos_router::NavigateOptions {
                    replace,
                    ..Default::default()
                },
            );
        }));
        provide_context(nav);
        nav
    }

    /// Goes to `to`, adding a history entry.
    pub fn push(self, to: &str) {
        self.0.run((to.to_string(), false));
    }

    /// Goes to `to`, replacing the current history entry.
    pub fn replace(self, to: &str) {
        self.0.run((to.to_string(), true));
    }
}

/// The navigation context.
pub fn use_nav() -> Nav {
    expect_context::<Nav>()
}

/// The app's root from the address bar: `/m/{brand}` or `/biz/{brand}`.
pub fn app_root() -> String {
    let path = gloo::utils::window()
        .location()
        .pathname()
        .unwrap_or_default();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).take(2).collect();
    format!("/{}", segments.join("/"))
}

/// The page this tab entered the app on (set once, at start).
static ENTRY: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Remembers the page the app started on; call first thing in `main`.
pub fn remember_entry() {
    let _ = ENTRY.set(here());
}

/// Where the visitor is now: path and query.
fn here() -> String {
    let location = gloo::utils::window().location();
    format!(
        "{}{}",
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default()
    )
}

/// The login page at `login_path`, carrying the way back to where the
/// visitor is (a pay page with its one-off code, say).
pub fn login_with_return(login_path: &str) -> String {
    let here = here();
    if here.starts_with(login_path) {
        // Already on its way to the login page: keep the way back it has.
        return here;
    }
    let root = app_root();
    let worth_returning = here.trim_end_matches('/') != root
        && shared::validate::safe_return_path(&here, &root).is_some();
    if worth_returning {
        format!("{login_path}?next={}", crate::api::encode(&here))
    } else {
        login_path.to_string()
    }
}

/// After login: the `?next=` the login page was given, if it is a path
/// inside this app, else `home` (never another site).
pub fn return_target(home: &str) -> String {
    let search = gloo::utils::window()
        .location()
        .search()
        .unwrap_or_default();
    search
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix("next="))
        .and_then(|v| js_sys::decode_uri_component(v).ok())
        .and_then(|v| v.as_string())
        .and_then(|next| shared::validate::safe_return_path(&next, &app_root()))
        .unwrap_or_else(|| home.to_string())
}

/// What to do when the server says the session is gone.
#[derive(Clone, Copy)]
pub struct AuthGate {
    /// The app's session.
    pub session: Session,
    /// Where the login page is.
    pub login_path: StoredValue<String>,
    /// Navigation.
    pub nav: Nav,
    /// Set when the server ended the session, so the login page can say so.
    pub expired: RwSignal<bool>,
}

impl AuthGate {
    /// A gate for `session` whose login page is at `login_path`.
    pub fn provide(session: Session, login_path: String, nav: Nav) -> AuthGate {
        let gate = AuthGate {
            session,
            login_path: StoredValue::new(login_path),
            nav,
            expired: RwSignal::new(false),
        };
        provide_context(gate);
        gate
    }

    /// Forgets the token and goes to the login page, which says why and
    /// brings the visitor back here afterwards.
    pub fn expire(&self) {
        self.expired.set(true);
        self.session.clear();
        self.nav
            .replace(&login_with_return(&self.login_path.get_value()));
    }
}

/// "Your session has ended" on a login page, when it has.
#[component]
pub fn SessionEndedNotice() -> impl IntoView {
    let gate = use_context::<AuthGate>();
    move || {
        gate.filter(|g| g.expired.get())
            .map(|_| view! { <div class="notice" role="status">{tr(T::SessionEnded)}</div> })
    }
}

/// The top bar of a page, with a back arrow unless it is a tab root. On the
/// page the app was entered on (a page opened by scanning a QR code, say)
/// there is nothing in the app to go back to: the arrow goes home instead.
#[component]
pub fn TopBar(#[prop(into)] title: Signal<String>, #[prop(optional)] back: bool) -> impl IntoView {
    let back_label = tr(T::Back);
    let nav = use_context::<Nav>();
    view! {
        <header class="topbar">
            {back.then(|| view! {
                <button class="topbar-back" id="topbar-back" aria-label=back_label on:click=move |_| {
                    // On the page the app was entered on, "back" would leave
                    // the app (to a blank tab, or the scanner): go home.
                    let entry_page = ENTRY.get().is_none_or(|entry| *entry == here());
                    match (entry_page, nav) {
                        (true, Some(nav)) => nav.replace(&app_root()),
                        _ => {
                            let _ = gloo::utils::window().history().map(|h| h.back());
                        }
                    }
                }>"‹"</button>
            })}
            <h1 class="topbar-title">{move || title.get()}</h1>
        </header>
    }
}

/// Any path the app does not know: says so and leads to the brand's home
/// (`/m/{brand}` or `/biz/{brand}` from the path). A trailing slash is
/// dropped first, so `/m/demo/` works.
#[component]
pub fn NotFound() -> impl IntoView {
    let path = gloo::utils::window()
        .location()
        .pathname()
        .unwrap_or_default();
    if path.len() > 1 && path.ends_with('/') {
        let _ = gloo::utils::window()
            .location()
            .replace(path.trim_end_matches('/'));
    }
    let home = app_root();
    view! {
        <div class="app">
            <div class="state state-empty" id="not-found">
                <p>{tr(T::NotFoundPage)}</p>
                <a class="btn btn-primary btn-small" id="go-home" href=home>{tr(T::GoHome)}</a>
            </div>
        </div>
    }
}

/// A spinner with text.
#[component]
pub fn Loading() -> impl IntoView {
    view! { <div class="state state-loading" role="status"><span class="spinner"></span>{tr(T::Loading)}</div> }
}

/// An empty list.
#[component]
pub fn EmptyState(#[prop(optional)] text: Option<Txt>) -> impl IntoView {
    let text = tr(text.unwrap_or(T::Empty));
    view! { <div class="state state-empty">{text}</div> }
}

/// A failed load, with a retry button.
#[component]
pub fn ErrorState(failure: Failure, #[prop(into)] on_retry: Callback<()>) -> impl IntoView {
    let lang = use_i18n().0;
    let gate = use_context::<AuthGate>().filter(|_| failure.is_unauthenticated());
    if let Some(gate) = gate {
        request_animation_frame(move || gate.expire());
    }
    // Not allowed, or not there: trying again changes nothing; lead home.
    let dead_end = matches!(&failure, Failure::Api(e)
        if matches!(e.code, shared::ErrorCode::Forbidden | shared::ErrorCode::NotFound));
    let text = move || failure.text(lang.get());
    view! {
        <div class="state state-error" role="alert">
            <p class="state-error-text">{text}</p>
            {if dead_end {
                view! { <a class="btn btn-primary btn-small" id="go-home" href=app_root()>{tr(T::GoHome)}</a> }.into_any()
            } else {
                view! { <button class="btn btn-default btn-small" on:click=move |_| on_retry.run(())>{tr(T::Retry)}</button> }.into_any()
            }}
        </div>
    }
}

/// Renders a resource: loading, error with retry, or `render(value)`.
pub fn loaded<V, R>(res: LocalResource<ApiResult<V>>, render: R) -> impl IntoView
where
    V: Clone + 'static,
    R: Fn(V) -> AnyView + Send + Sync + 'static,
{
    move || match res.get() {
        None => view! { <Loading/> }.into_any(),
        Some(Ok(v)) => render(v),
        Some(Err(f)) => {
            view! { <ErrorState failure=f on_retry=move |_| res.refetch()/> }.into_any()
        }
    }
}

/// The server's invalid-field error about `field`, shown at the field
/// rather than above the button; with `param`, only the error whose
/// parameter has that value (`("side", "inviter")`, `("index", "2")`).
#[component]
pub fn ServerFieldError(
    error: RwSignal<Option<Failure>>,
    field: &'static str,
    #[prop(optional)] param: Option<(&'static str, String)>,
) -> impl IntoView {
    let lang = use_i18n().0;
    let names = move |f: &Failure| {
        f.field() == Some(field)
            && param.as_ref().is_none_or(|(k, v)| match f {
                Failure::Api(e) => e.params.get(*k) == Some(v),
                Failure::Network => false,
            })
    };
    move || {
        error.get().filter(|f| names(f)).map(|f| {
            view! { <p class="field-error" role="alert">{f.text(lang.get())}</p> }
        })
    }
}

/// An inline error banner for a form; hidden when empty. A session the
/// server ended is not shown as an error: it goes to the login page (which
/// says so, and comes back here).
#[component]
pub fn FormError(error: RwSignal<Option<Failure>>) -> impl IntoView {
    let lang = use_i18n().0;
    let gate = use_context::<AuthGate>();
    Effect::new(move |_| {
        let ended = error.with(|e| e.as_ref().is_some_and(Failure::is_unauthenticated));
        if let (true, Some(gate)) = (ended, gate) {
            error.set(None);
            gate.expire();
        }
    });
    move || {
        error.get().map(|f| {
            view! { <div class="form-error" role="alert">{f.text(lang.get())}</div> }
        })
    }
}

/// One input's state: value, whether to show its error, its rule.
#[derive(Clone, Copy)]
pub struct FieldState {
    /// What is typed.
    pub value: RwSignal<String>,
    /// Set on first input or on submit; errors show only then.
    pub touched: RwSignal<bool>,
    field: &'static str,
    rule: fn(&str) -> Result<String, Reason>,
}

impl FieldState {
    /// A field named `field` (catalogue name) checked by `rule`.
    pub fn new(
        field: &'static str,
        initial: &str,
        rule: fn(&str) -> Result<String, Reason>,
    ) -> FieldState {
        FieldState {
            value: RwSignal::new(initial.to_string()),
            touched: RwSignal::new(false),
            field,
            rule,
        }
    }

    /// The cleaned value, marking the field touched so its error shows.
    pub fn checked(&self) -> Option<String> {
        self.touched.set(true);
        (self.rule)(&self.value.get_untracked()).ok()
    }

    /// The cleaned value as typed now (tracked), without marking the
    /// field touched: for previews that follow the form.
    pub fn valid(&self) -> Option<String> {
        (self.rule)(&self.value.get()).ok()
    }

    /// The error text to show now, if any.
    pub fn error(&self, lang: shared::Lang) -> Option<String> {
        if !self.touched.get() {
            return None;
        }
        (self.rule)(&self.value.get())
            .err()
            .map(|reason| field_error(self.field, reason, lang))
    }
}

/// A labelled input bound to a [`FieldState`], with its error below.
#[component]
pub fn Field(
    label: Txt,
    state: FieldState,
    #[prop(optional)] placeholder: Option<Txt>,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(optional, into)] id: String,
    #[prop(optional)] inputmode: &'static str,
    #[prop(optional)] maxlength: Option<u32>,
    #[prop(optional)] autocomplete: &'static str,
) -> impl IntoView {
    let lang = use_i18n().0;
    let placeholder = move || placeholder.map(|p| p.text(lang.get())).unwrap_or_default();
    let error = move || state.error(lang.get());
    view! {
        <label class="cell field" class:field-invalid=move || error().is_some()>
            <span class="cell-label">{tr(label)}</span>
            <input
                class="cell-input"
                id=id.clone()
                name=id
                type=input_type
                inputmode=inputmode
                maxlength=maxlength
                autocomplete=autocomplete
                placeholder=placeholder
                prop:value=move || state.value.get()
                on:input=move |ev| {
                    state.value.set(event_target_value(&ev));
                }
                on:blur=move |_| {
                    if !state.value.get_untracked().is_empty() {
                        state.touched.set(true);
                    }
                }
            />
        </label>
        {move || error().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
    }
}

/// A short message that fades after two seconds.
#[derive(Clone, Copy)]
pub struct Toast(pub RwSignal<Option<String>>);

impl Toast {
    /// Provides the toast context; render [`ToastHost`] once at the root.
    pub fn provide() -> Toast {
        let t = Toast(RwSignal::new(None));
        provide_context(t);
        t
    }

    /// Shows `text`.
    pub fn show(self, text: String) {
        self.0.set(Some(text.clone()));
        set_timeout(
            move || {
                if self.0.get_untracked().as_deref() == Some(text.as_str()) {
                    self.0.set(None);
                }
            },
            std::time::Duration::from_millis(2000),
        );
    }
}

/// Shows the current toast.
#[component]
pub fn ToastHost() -> impl IntoView {
    let toast = use_context::<Toast>().unwrap_or_else(Toast::provide);
    move || {
        toast
            .0
            .get()
            .map(|t| view! { <div class="toast" role="status">{t}</div> })
    }
}

/// The toast context.
pub fn use_toast() -> Toast {
    use_context::<Toast>().unwrap_or_else(Toast::provide)
}

/// What a confirmation asks before a destructive or money-moving action.
#[derive(Clone)]
pub struct Ask {
    /// What will happen, in the reader's words ("退款 ¥12.00 到会员储值…").
    pub text: String,
    /// The action's own words on the button ("确认退款").
    pub action: String,
    /// Destructive (red) rather than money-moving (the brand's colour).
    pub danger: bool,
    /// What runs on yes.
    pub yes: Callback<()>,
}

/// The one confirmation every screen uses: a modal saying what will happen,
/// with Cancel and the action. Provided once at the root with
/// [`ConfirmHost`]; a page calls [`Confirm::ask`].
#[derive(Clone, Copy)]
pub struct Confirm(RwSignal<Option<Ask>>);

impl Confirm {
    /// Provides the context; render [`ConfirmHost`] once at the root.
    pub fn provide() -> Confirm {
        let c = Confirm(RwSignal::new(None));
        provide_context(c);
        c
    }

    /// Asks `text`; runs `yes` only if the person presses `action`.
    pub fn ask(
        self,
        text: impl Into<String>,
        action: impl Into<String>,
        danger: bool,
        yes: impl Fn() + Send + Sync + 'static,
    ) {
        self.0.set(Some(Ask {
            text: text.into(),
            action: action.into(),
            danger,
            yes: Callback::new(move |()| yes()),
        }));
    }

    /// Whether a question is open.
    pub fn is_open(self) -> bool {
        self.0.with(Option::is_some)
    }
}

/// The confirmation context.
pub fn use_confirm() -> Confirm {
    use_context::<Confirm>().unwrap_or_else(Confirm::provide)
}

/// Shows the open confirmation, if any. Cancel has the focus (a stray Enter
/// does nothing harmful); Escape and a tap outside cancel.
#[component]
pub fn ConfirmHost() -> impl IntoView {
    let confirm = use_confirm();
    let cancel_ref = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if confirm.is_open() {
            request_animation_frame(move || {
                if let Some(b) = cancel_ref.get_untracked() {
                    let _ = b.focus();
                }
            });
        }
    });
    // A question belongs to its page: leaving it with the back button (the
    // mask keeps every link out of reach) takes the question away, so "yes"
    // never runs for a page that is gone.
    let leaving = window_event_listener(leptos::ev::popstate, move |_| confirm.0.set(None));
    on_cleanup(move || leaving.remove());
    let no = move || confirm.0.set(None);
    move || {
        confirm.0.get().map(|ask| {
            let yes = ask.yes;
            let class = if ask.danger { "dialog-btn dialog-btn-warn" } else { "dialog-btn dialog-btn-primary" };
            view! {
                <div class="dialog-mask" id="confirm-mask"
                    on:click=move |ev| {
                        let on_mask = ev.target().zip(ev.current_target()).is_some_and(|(t, c)| t == c);
                        if on_mask { no() }
                    }
                    on:keydown=move |ev| if ev.key() == "Escape" { no() }>
                    <div class="dialog" id="confirm-dialog" role="alertdialog" aria-modal="true"
                        aria-labelledby="confirm-text">
                        <p class="dialog-text" id="confirm-text">{ask.text}</p>
                        <div class="dialog-actions">
                            <button type="button" class="dialog-btn" id="confirm-cancel" node_ref=cancel_ref
                                on:click=move |_| no()>{tr(T::Cancel)}</button>
                            <button type="button" class=class id="confirm-ok"
                                on:click=move |_| { confirm.0.set(None); yes.run(()) }>{ask.action}</button>
                        </div>
                    </div>
                </div>
            }
        })
    }
}

/// A button that switches between 中文 and English.
#[component]
pub fn LangSwitch() -> impl IntoView {
    let i = use_i18n();
    view! {
        <button class="cell cell-link" id="lang-switch" on:click=move |_| {
            let next = if i.0.get_untracked() == shared::Lang::Zh { shared::Lang::En } else { shared::Lang::Zh };
            i.set(next);
        }>
            <span class="cell-label">{tr(T::Language)}</span>
            <span class="cell-value">{tr(T::SwitchLang)}</span>
        </button>
    }
}

/// The zone the brand keeps its days in, until the brand's answer says
/// (every brand so far is in China).
const DEFAULT_ZONE: &str = "Asia/Shanghai";

thread_local! {
    /// The brand's zone and a formatter for it (made once per zone).
    static ZONE: std::cell::RefCell<Option<(String, js_sys::Intl::DateTimeFormat)>> =
        const { std::cell::RefCell::new(None) };
}

/// Shows times in `zone` (the brand's IANA time zone) from now on.
pub fn set_time_zone(zone: &str) {
    ZONE.with(|z| {
        let same = z.borrow().as_ref().is_some_and(|(name, _)| name == zone);
        if !same {
            *z.borrow_mut() = Some((zone.to_string(), zone_format(zone)));
        }
    });
}

/// `YYYY-MM-DD HH:mm` parts in `zone`, by the browser's own time-zone data.
fn zone_format(zone: &str) -> js_sys::Intl::DateTimeFormat {
    use wasm_bindgen::{JsCast, JsValue};
    let options = js_sys::Object::new();
    for (k, v) in [
        ("timeZone", zone),
        ("year", "numeric"),
        ("month", "2-digit"),
        ("day", "2-digit"),
        ("hour", "2-digit"),
        ("minute", "2-digit"),
        ("hourCycle", "h23"),
    ] {
        let _ = js_sys::Reflect::set(&options, &JsValue::from_str(k), &JsValue::from_str(v));
    }
    let locales = js_sys::Array::of1(&JsValue::from_str("en-CA"));
    // A zone this browser does not know throws: fall back to the default
    // rather than stop the app.
    let made = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("Intl"))
        .and_then(|intl| js_sys::Reflect::get(&intl, &JsValue::from_str("DateTimeFormat")))
        .and_then(|ctor| ctor.dyn_into::<js_sys::Function>())
        .and_then(|ctor| js_sys::Reflect::construct(&ctor, &js_sys::Array::of2(&locales, &options)))
        .and_then(|f| f.dyn_into::<js_sys::Intl::DateTimeFormat>());
    match made {
        Ok(f) => f,
        Err(_) if zone != DEFAULT_ZONE => zone_format(DEFAULT_ZONE),
        Err(_) => js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new()),
    }
}

/// A date-time for display in the brand's time zone:
/// `2026-11-22T08:00:00Z` → `2026-11-22 16:00` (Asia/Shanghai), whatever
/// zone the phone is set to.
pub fn local_time(rfc3339: &str) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(rfc3339));
    if d.get_time().is_nan() {
        return rfc3339.to_string();
    }
    ZONE.with(|z| {
        if z.borrow().is_none() {
            *z.borrow_mut() = Some((DEFAULT_ZONE.to_string(), zone_format(DEFAULT_ZONE)));
        }
        let z = z.borrow();
        let Some((_, format)) = z.as_ref() else {
            return rfc3339.to_string();
        };
        let (mut y, mut mo, mut da, mut h, mut mi) = (
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        );
        for p in format.format_to_parts(&d).iter() {
            let get = |k: &str| {
                js_sys::Reflect::get(&p, &wasm_bindgen::JsValue::from_str(k))
                    .ok()
                    .and_then(|v| v.as_string())
                    .unwrap_or_default()
            };
            let value = get("value");
            match get("type").as_str() {
                "year" => y = value,
                "month" => mo = value,
                "day" => da = value,
                "hour" => h = value,
                "minute" => mi = value,
                _ => {}
            }
        }
        format!("{y}-{mo}-{da} {h}:{mi}")
    })
}

/// Today's date in the brand's time zone, `YYYY-MM-DD` (the latest day a
/// date field may pick).
pub fn local_date_today() -> String {
    let now = js_sys::Date::new_0()
        .to_iso_string()
        .as_string()
        .unwrap_or_default();
    local_time(&now)
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// A whole number in `lo..=hi`, or `reason`.
pub fn int_in(value: &str, lo: i64, hi: i64, reason: Reason) -> Result<String, Reason> {
    match value.trim().parse::<i64>() {
        Ok(n) if (lo..=hi).contains(&n) => Ok(n.to_string()),
        _ => Err(reason),
    }
}

/// An amount as typed in a yuan field (`12.30`), for a form's first value.
pub fn yuan_text(f: shared::money::Fen) -> String {
    format!("{}.{:02}", f.0 / 100, f.0 % 100)
}

/// The QR of `text` as SVG markup, at least `size` px square with its quiet
/// zone (empty if the text cannot be encoded).
pub fn qr_svg(text: &str, size: u32) -> String {
    match qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M) {
        Ok(qr) => qr
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(size, size)
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    }
}

/// The rule for a yuan amount typed by a person: returns the fen as text.
pub fn yuan_rule(value: &str) -> Result<String, Reason> {
    let fen = shared::money::Fen::parse_yuan(value)?;
    if fen.is_positive() {
        Ok(fen.0.to_string())
    } else {
        Err("amount_positive")
    }
}

/// Waits `ms` milliseconds without blocking the page.
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = gloo::utils::window()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Says `text` aloud with the browser's speech synthesis (zh-CN voice).
pub fn speak(text: &str) {
    let Ok(utterance) = web_sys::SpeechSynthesisUtterance::new_with_text(text) else {
        return;
    };
    utterance.set_lang("zh-CN");
    if let Ok(synth) = gloo::utils::window().speech_synthesis() {
        synth.speak(&utterance);
    }
}

/// A record's id from the page's URL, as a path parameter: what is not a
/// number fails as the server fails such a path (not found), without asking.
pub fn path_id(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>().map_err(|_| {
        Failure::Api(shared::ApiError::new(
            shared::ErrorCode::NotFound,
            Default::default(),
            crate::i18n::current(),
        ))
    })
}

/// One page's call, to await.
type PageCall<T> = Pin<Box<dyn Future<Output = ApiResult<Page<T>>>>>;

/// Reads one page of a list: the cursor and the token in, the call out.
type PageFetch<T> = dyn Fn(Option<i64>, Option<String>) -> PageCall<T> + Send + Sync;

/// An endpoint that answers a page of `T` and takes no body: what a
/// [`Pager`] reads.
pub trait PagedEndpoint<T>:
    Endpoint<Body = (), Response = Page<T>, Path: Sized + 'static, Query: 'static> + 'static
{
}

impl<T, E> PagedEndpoint<T> for E where
    E: Endpoint<Body = (), Response = Page<T>, Path: Sized + 'static, Query: 'static> + 'static
{
}

/// A keyset-paged list: the items loaded so far, the next cursor, and the
/// loading / error state. Pages render [`Pager::is_empty`], the items, and
/// [`PagerFooter`].
pub struct Pager<T: Send + Sync + 'static> {
    /// The items loaded so far, in server order.
    pub items: RwSignal<Vec<T>>,
    cursor: RwSignal<Option<i64>>,
    loading: RwSignal<bool>,
    /// Whether the first page has arrived (or failed).
    pub loaded_once: RwSignal<bool>,
    error: RwSignal<Option<Failure>>,
    fetch: StoredValue<Box<PageFetch<T>>>,
    token: StoredValue<Box<dyn Fn() -> Option<String> + Send + Sync>>,
    /// Counts loads: only the latest one's answer is shown (a slow page of
    /// the filter before must not land over the one chosen since).
    latest: StoredValue<u64>,
}

impl<T: Send + Sync + 'static> Clone for Pager<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for Pager<T> {}

impl<T> Pager<T>
where
    T: serde::de::DeserializeOwned + Clone + Send + Sync + 'static,
{
    /// A pager reading endpoint `E` with the path parameter and query
    /// `args(after)` and the token `token()`; loads page one.
    pub fn new<E>(
        args: impl Fn(Option<i64>) -> (E::Path, E::Query) + Send + Sync + 'static,
        token: impl Fn() -> Option<String> + Send + Sync + 'static,
    ) -> Pager<T>
    where
        E: PagedEndpoint<T>,
    {
        Pager::try_new::<E>(move |after| Ok(args(after)), token)
    }

    /// [`Pager::new`] where making the arguments may fail (a path parameter
    /// from the URL): the failure shows as the list's error.
    pub fn try_new<E>(
        args: impl Fn(Option<i64>) -> ApiResult<(E::Path, E::Query)> + Send + Sync + 'static,
        token: impl Fn() -> Option<String> + Send + Sync + 'static,
    ) -> Pager<T>
    where
        E: PagedEndpoint<T>,
    {
        let fetch: Box<PageFetch<T>> = Box::new(move |after, token| {
            let args = args(after);
            Box::pin(async move {
                let (path, query) = args?;
                crate::api::fetch_q::<E>(&path, &query, token).await
            })
        });
        let pager = Pager {
            items: RwSignal::new(Vec::new()),
            cursor: RwSignal::new(None),
            loading: RwSignal::new(false),
            loaded_once: RwSignal::new(false),
            error: RwSignal::new(None),
            fetch: StoredValue::new(fetch),
            token: StoredValue::new(Box::new(token)),
            latest: StoredValue::new(0),
        };
        pager.load(false);
        pager
    }

    /// Loads the next page (`more`) or starts again from the first.
    pub fn load(self, more: bool) {
        let after = if more {
            self.cursor.get_untracked()
        } else {
            None
        };
        let token = self.token.with_value(|t| t());
        let request = self.fetch.with_value(|f| f(after, token));
        self.loading.set(true);
        self.error.set(None);
        self.latest.update_value(|n| *n += 1);
        let me = self.latest.get_value();
        leptos::task::spawn_local(async move {
            let result = request.await;
            if self.latest.try_get_value() != Some(me) {
                return;
            }
            self.loading.set(false);
            self.loaded_once.set(true);
            match result {
                Ok(page) => {
                    if more {
                        self.items.update(|v| v.extend(page.items));
                    } else {
                        self.items.set(page.items);
                    }
                    self.cursor.set(page.next_cursor);
                }
                Err(f) => self.error.set(Some(f)),
            }
        });
    }

    /// Loaded, nothing there, nothing wrong: show the empty state.
    pub fn is_empty(self) -> bool {
        self.items.with(Vec::is_empty)
            && self.loaded_once.get()
            && !self.loading.get()
            && self.error.get().is_none()
    }
}

/// A paged list: the empty state, or a box (`id`; a `<nav>` when `nav`, for
/// rows that are links) of the rows `row` draws; then the pager's footer.
#[component]
pub fn PagedCells<I, R, V>(
    pager: Pager<I>,
    id: &'static str,
    row: R,
    /// The box's class ("cells" unless given).
    #[prop(optional)]
    class: Option<&'static str>,
    /// A `<nav>` instead of a `<div>`.
    #[prop(optional)]
    nav: bool,
    /// "No more" under the last page.
    #[prop(optional)]
    show_end: bool,
    /// What the empty state says (a generic "nothing here" unless given).
    #[prop(optional)]
    empty: Option<Txt>,
) -> impl IntoView
where
    I: serde::de::DeserializeOwned + Clone + Send + Sync + 'static,
    R: Fn(I) -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let row = StoredValue::new(row);
    let class = class.unwrap_or("cells");
    let rows = move || {
        pager
            .items
            .get()
            .into_iter()
            .map(|i| row.with_value(|r| r(i)))
            .collect_view()
    };
    view! {
        {move || {
            if pager.is_empty() {
                match empty {
                    Some(text) => view! { <EmptyState text=text/> }.into_any(),
                    None => view! { <EmptyState/> }.into_any(),
                }
            } else if nav {
                view! { <nav class=class id=id>{rows()}</nav> }.into_any()
            } else {
                view! { <div class=class id=id>{rows()}</div> }.into_any()
            }
        }}
        <PagerFooter pager=pager show_end=show_end/>
    }
}

/// Under a paged list: loading, the error with a retry, "load more", or
/// (with `show_end`) "no more".
#[component]
pub fn PagerFooter<I>(pager: Pager<I>, #[prop(optional)] show_end: bool) -> impl IntoView
where
    I: serde::de::DeserializeOwned + Clone + Send + Sync + 'static,
{
    move || {
        if pager.loading.get() {
            view! { <Loading/> }.into_any()
        } else if let Some(f) = pager.error.get() {
            let more = pager.cursor.get_untracked().is_some();
            view! { <ErrorState failure=f on_retry=move |_| pager.load(more)/> }.into_any()
        } else if pager.cursor.get().is_some() {
            view! {
                <div class="form-actions">
                    <button class="btn btn-default" id="load-more" on:click=move |_| pager.load(true)>{tr(T::LoadMore)}</button>
                </div>
            }
            .into_any()
        } else if show_end && !pager.items.with(Vec::is_empty) {
            view! { <p class="state">{tr(T::NoMore)}</p> }.into_any()
        } else {
            ().into_any()
        }
    }
}

/// What a history row calls a movement of money.
pub fn entry_kind_text(kind: EntryKind) -> Txt {
    match kind {
        EntryKind::TopUp => T::KindTopup,
        EntryKind::Refund => T::KindRefund,
        EntryKind::Close => T::KindClose,
        EntryKind::Release => T::KindRelease,
        EntryKind::RefundResolved => T::KindRefundResolved,
        EntryKind::CardSale => T::KindCardSale,
        EntryKind::CardRefund => T::KindCardRefund,
        EntryKind::CardUse | EntryKind::CardRelease => T::KindCardUse,
        EntryKind::CardUseUndo | EntryKind::WriteOffUndo => T::KindWriteOffUndo,
        EntryKind::CardExpiry => T::KindCardExpiry,
        EntryKind::CardExtension => T::KindCardExtension,
        EntryKind::CouponIssued => T::KindCouponIssued,
        EntryKind::CouponItemUse => T::KindCouponItemUse,
        EntryKind::PointsExpiry => T::KindPointsExpiry,
        EntryKind::SignIn => T::KindSignIn,
        EntryKind::InviteReward => T::KindInviteReward,
        EntryKind::Adjustment => T::KindAdjustment,
        _ => T::KindPayment,
    }
}

/// A count signed: "+3", "-2".
fn signed(n: i64) -> String {
    if n > 0 {
        format!("+{n}")
    } else {
        n.to_string()
    }
}

/// A history row's contents (the member's 明细 and HQ's member page): what
/// (the card or coupon it concerns) and where, when; each thing that moved
/// signed and coloured with what was left after it: stored value, points,
/// a card's uses, and points owed.
#[component]
pub fn HistoryRowBody(h: HistoryItem) -> impl IntoView {
    let lang = use_i18n().0;
    let class = |n: i64| {
        if n >= 0 {
            "amount amount-in"
        } else {
            "amount amount-out"
        }
    };
    let title = move || {
        let lang = lang.get();
        let place = match (&h.store_name, h.kind) {
            (Some(s), _) => Some(s.clone()),
            (None, EntryKind::TopUp) => Some(T::OnlineTopUp.text(lang).to_string()),
            (None, _) => None,
        };
        let mut t = entry_kind_text(h.kind).text(lang).to_string();
        for part in [h.subject.clone(), place].into_iter().flatten() {
            t.push_str(" · ");
            t.push_str(&part);
        }
        t
    };
    let money = h.balance_after.map(|after| {
        let amount = if h.amount.0 > 0 {
            format!("+{}", h.amount)
        } else {
            h.amount.to_string()
        };
        view! {
            <span class=class(h.amount.0) data-unit="money">{amount}</span>
            <span class="cell-desc tabular">{tr(T::BalanceAfter)}" "{after.to_string()}</span>
        }
    });
    // A count that moved, signed, and what it left.
    let count = move |c: shared::dto::CountMove, moved: Txt, left: Txt, unit: &'static str| {
        let text = move || moved.text(lang.get()).replace("{n}", &signed(c.delta));
        let left = move || left.text(lang.get()).replace("{n}", &c.after.to_string());
        view! {
            <span class=class(c.delta) data-unit=unit>{text}</span>
            <span class="cell-desc tabular">{left}</span>
        }
    };
    let points = h
        .points
        .map(|p| count(p, T::HistoryPoints, T::HistoryPointsLeft, "points"));
    let uses = h
        .uses
        .map(|u| count(u, T::HistoryUses, T::HistoryUsesLeft, "uses"));
    let owed = (h.points_owed != 0).then(|| {
        let (said, n) = if h.points_owed > 0 {
            (T::HistoryPointsOwed, h.points_owed)
        } else {
            (T::HistoryPointsRepaid, -h.points_owed)
        };
        let text = move || said.text(lang.get()).replace("{n}", &n.to_string());
        view! { <span class="cell-desc tabular" data-unit="owed">{text}</span> }
    });
    view! {
        <span class="cell-main">
            <span class="cell-title">{title}</span>
            <span class="cell-desc tabular">{local_time(&h.at)}</span>
        </span>
        <span class="history-amounts">{money}{points}{uses}{owed}</span>
    }
}

/// Whether a history entry has a detail page (its money's split).
pub fn has_detail(kind: EntryKind) -> bool {
    matches!(
        kind,
        EntryKind::TopUp
            | EntryKind::Payment
            | EntryKind::Refund
            | EntryKind::Close
            | EntryKind::Hold
            | EntryKind::Release
            | EntryKind::CardSale
            | EntryKind::CardRefund
    )
}

/// Where a top-up's money went, principal and bonus apart, and the balance
/// after it (the member's top-up result and the counter's receipt).
#[component]
pub fn CreditedParts(
    principal: shared::money::Fen,
    bonus: shared::money::Fen,
    balance_after: Option<shared::money::Fen>,
) -> impl IntoView {
    let line = |label: Txt, value: String, part: &'static str| {
        view! {
            <div class="cell">
                <span class="cell-main">{tr(label)}</span>
                <span class="cell-value tabular" data-part=part>{value}</span>
            </div>
        }
    };
    view! {
        <div class="cells receipt-parts" id="credited-parts">
            {line(T::PartPrincipal, format!("+{principal}"), "principal")}
            {bonus.is_positive().then(|| line(T::PartBonus, format!("+{bonus}"), "bonus"))}
            {balance_after.map(|b| line(T::BalanceAfter, b.to_string(), "balance-after"))}
        </div>
    }
}

/// A list filter's choice: a labelled select with "all" first, then
/// `options` (value, text); `on_change` runs after the value changes.
#[component]
pub fn SelectFilter(
    label: Txt,
    id: &'static str,
    value: RwSignal<String>,
    /// What "no filter" reads as.
    all: Txt,
    #[prop(into)] options: Signal<Vec<(String, String)>>,
    #[prop(into)] on_change: Callback<()>,
) -> impl IntoView {
    view! {
        <label class="cell">
            <span class="cell-label">{tr(label)}</span>
            <select class="cell-input" id=id prop:value=move || value.get()
                on:change=move |ev| { value.set(event_target_value(&ev)); on_change.run(()); }>
                <option value="" prop:selected=move || value.with(String::is_empty)>{tr(all)}</option>
                // Each option says whether it is the one chosen: a value
                // set before the options arrive (from the URL) still shows.
                {move || options.get().into_iter().map(|(v, text)| {
                    let this = v.clone();
                    view! {
                        <option value=v prop:selected=move || value.with(|c| *c == this)>{text}</option>
                    }
                }).collect_view()}
            </select>
        </label>
    }
}

/// A list filter's dates: from and to (`#filter-from`, `#filter-to`);
/// `on_change` runs after either changes.
#[component]
pub fn DateRangeFilter(
    from: RwSignal<String>,
    to: RwSignal<String>,
    #[prop(into)] on_change: Callback<()>,
) -> impl IntoView {
    let date = move |label: Txt, id: &'static str, value: RwSignal<String>| {
        view! {
            <label class="cell">
                <span class="cell-label">{tr(label)}</span>
                <input class="cell-input" type="date" id=id prop:value=move || value.get()
                    on:change=move |ev| { value.set(event_target_value(&ev)); on_change.run(()); }/>
            </label>
        }
    };
    view! {
        {date(T::DateFrom, "filter-from", from)}
        {date(T::DateTo, "filter-to", to)}
    }
}

/// A card's face (卡面): its name on its theme colour or background image,
/// a few lines of what is on it, and a badge when it is not usable.
#[component]
pub fn CardFace(
    name: String,
    color: String,
    image: Option<String>,
    lines: Vec<String>,
    badge: Option<String>,
) -> impl IntoView {
    let shade = readable_under_white(&color);
    let style = match &image {
        Some(url) => format!(
            "background-color:{shade};background-image:linear-gradient(rgba(0,0,0,.35),rgba(0,0,0,.5)),url('{url}')"
        ),
        None => format!("background-color:{shade}"),
    };
    let closed = badge.is_some();
    view! {
        <div class="card-face" class:card-face-closed=closed style=style>
            <p class="card-face-name">{name}</p>
            {badge.map(|b| view! { <span class="card-face-badge">{b}</span> })}
            <div class="card-face-lines">
                {lines.into_iter().map(|l| view! { <p class="card-face-line tabular">{l}</p> }).collect_view()}
            </div>
        </div>
    }
}

/// What is left on a member's card, in lines for its face.
pub fn card_lines(c: &shared::dto::MemberCard, l: crate::i18n::Lang) -> Vec<String> {
    use shared::dto::CardKind;
    let mut lines = Vec::new();
    match c.kind {
        CardKind::Count => {
            lines.push(
                T::UsesLeft
                    .text(l)
                    .replace("{left}", &c.uses_left.unwrap_or(0).to_string())
                    .replace("{total}", &c.uses_total.unwrap_or(0).to_string()),
            );
            if let Some(end) = &c.ends_on {
                lines.push(T::ValidUntilLine.text(l).replace("{date}", end));
            }
        }
        CardKind::Period => {
            lines.push(
                T::DaysLeft
                    .text(l)
                    .replace("{n}", &c.days_left.unwrap_or(0).to_string()),
            );
            if let Some(limit) = c.per_day_limit {
                lines.push(
                    T::TodayUses
                        .text(l)
                        .replace("{used}", &c.today_uses.to_string())
                        .replace("{limit}", &limit.to_string()),
                );
            }
        }
    }
    lines
}

/// HQ's theme colour darkened just enough for white text on it to read
/// (WCAG contrast at least 4.5:1); a dark colour stays as it is.
pub fn readable_under_white(hex: &str) -> String {
    let h = hex.trim().trim_start_matches('#');
    let channel = |i: usize| u8::from_str_radix(h.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0);
    let rgb = [channel(0), channel(2), channel(4)];
    let linear = |c: f64| {
        let c = c / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let contrast = |c: [f64; 3]| {
        let l = 0.2126 * linear(c[0]) + 0.7152 * linear(c[1]) + 0.0722 * linear(c[2]);
        1.05 / (l + 0.05)
    };
    for step in 0..=20 {
        let keep = 1.0 - f64::from(step) * 0.05;
        let c = rgb.map(|v| (f64::from(v) * keep).round());
        if contrast(c) >= 4.6 {
            return format!("#{:02X}{:02X}{:02X}", c[0] as u8, c[1] as u8, c[2] as u8);
        }
    }
    "#000000".to_string()
}

/// A payment PIN as typed: any 6 digits (the server says if it is wrong).
pub fn payment_pin_rule(value: &str) -> Result<String, Reason> {
    shared::validate::sms_code(value).map_err(|r| if r == "code_format" { "pin_format" } else { r })
}
