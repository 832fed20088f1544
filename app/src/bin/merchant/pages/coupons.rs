//! Coupons (优惠券) for staff: HQ's templates with their figures (given
//! out, used, expired, what they cost), the template form, and issuing a
//! coupon to a member within the day's quota.

use super::catalogue::{StorePicker, count_rule, name_rule, yuan};
use crate::shell::{require_login, use_ctx};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use shared::api::{
    CreateCouponTemplate, IssueCouponToMember, ListCouponTemplates, ListServiceItems, ListStores,
    MemberMoneyByPhone, MyCouponQuota, UpdateCouponTemplate,
};
use shared::dto::{
    CouponIssued, CouponKind, CouponQuota, CouponTemplate, CouponTemplateInput, IssueCoupon,
    MemberMoney, PhoneQuery, Role, ServiceItem, StoreView,
};
use shared::money::Fen;
use shared::validate;
use tongka_app::api::{self, ApiResult, Failure};
use tongka_app::components::{
    EmptyState, Field, FieldState, FormError, TopBar, loaded, use_toast, yuan_rule,
};
use tongka_app::coupons::{stores_text, template_rule_text, validity_text};
use tongka_app::i18n::{Lang, T, Txt, tr, use_i18n};

/// A template's rule, stores and validity, as one block of lines.
fn terms_lines(
    t: &CouponTemplateInput,
    items: &[ServiceItem],
    stores: &[StoreView],
    l: Lang,
) -> (String, String) {
    let item = t
        .item_id
        .and_then(|id| items.iter().find(|i| i.id == id))
        .map(|i| i.name.as_str())
        .unwrap_or_default();
    let names: Vec<String> = t
        .store_ids
        .iter()
        .filter_map(|id| stores.iter().find(|s| s.id == *id).map(|s| s.name.clone()))
        .collect();
    let validity = validity_text(
        t.valid_from.as_deref(),
        t.valid_until.as_deref(),
        t.valid_days,
        l,
    );
    (
        template_rule_text(t, item, l),
        format!("{validity} · {}", stores_text(t.all_stores, &names, l)),
    )
}

/// The templates, with the service items and stores their rules name.
async fn with_names(
    token: Option<String>,
) -> ApiResult<(Vec<CouponTemplate>, Vec<ServiceItem>, Vec<StoreView>)> {
    let list = api::fetch::<ListCouponTemplates>(&(), token.clone()).await?;
    let items = api::fetch::<ListServiceItems>(&(), token.clone()).await?;
    let stores = api::fetch::<ListStores>(&(), token).await?;
    Ok((list, items, stores))
}

/// 优惠券 (templates)
#[component]
pub fn CouponTemplatesPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let lang = use_i18n().0;
    let data = LocalResource::new(move || with_names(ctx.session.token.get()));
    let admin = move || ctx.role() == Some(Role::HqAdmin);
    let issuer = move || {
        matches!(
            ctx.role(),
            Some(Role::HqAdmin | Role::HqFinance | Role::StoreManager)
        )
    };
    view! {
        <TopBar title=Signal::derive(move || tr(T::Coupons)().to_string()) back=true/>
        <section class="page">
            <div class="cells">
                {move || admin().then(|| view! {
                    <A href=ctx.path("/coupon-templates/new") attr:class="cell cell-link" attr:id="new-coupon-template"><span class="cell-main">{tr(T::AddCouponTemplate)}</span></A>
                })}
                {move || issuer().then(|| view! {
                    <A href=ctx.path("/issue-coupon") attr:class="cell cell-link" attr:id="open-issue-coupon"><span class="cell-main">{tr(T::IssueCoupon)}</span></A>
                })}
            </div>
            {loaded(data, move |(list, items, stores): (Vec<CouponTemplate>, Vec<ServiceItem>, Vec<StoreView>)| {
                if list.is_empty() {
                    return view! { <EmptyState text=T::NoCouponTemplates/> }.into_any();
                }
                view! {
                    <div class="coupon-list" id="coupon-templates">
                        {list.into_iter().map(|t| {
                            let href = ctx.path(&format!("/coupon-templates/{}", t.id));
                            let (items, stores) = (items.clone(), stores.clone());
                            let (faded, tid) = (!t.terms.on_sale, t.id);
                            let body = move || {
                                let l = lang.get();
                                let (rule, where_) = terms_lines(&t.terms, &items, &stores, l);
                                let mut ways = Vec::new();
                                if !t.terms.on_sale {
                                    ways.push(T::OffSale.text(l));
                                } else {
                                    if t.terms.claimable { ways.push(T::CouponClaimable.text(l)); }
                                    if t.terms.issuable { ways.push(T::CouponIssuable.text(l)); }
                                }
                                let figures = T::CouponFigures
                                    .text(l)
                                    .replace("{issued}", &t.issued.to_string())
                                    .replace("{stock}", &t.terms.stock.to_string())
                                    .replace("{used}", &t.used.to_string())
                                    .replace("{expired}", &t.expired.to_string())
                                    .replace("{cost}", &t.cost.to_string());
                                view! {
                                    <p class="coupon-rule">{rule}</p>
                                    <p class="coupon-name">{t.terms.name.clone()}<span class="badge badge-muted">{ways.join(" · ")}</span></p>
                                    <p class="cell-desc">{where_}</p>
                                    <p class="cell-desc tabular" data-figures=t.id>{figures}</p>
                                }
                            };
                            view! {
                                <div class="coupon coupon-template" class:coupon-faded=faded data-template=tid>
                                    <div class="coupon-main">{body}</div>
                                    {move || admin().then(|| view! {
                                        <A href=href.clone() attr:class="btn btn-plain btn-small edit-template">{tr(T::Edit)}</A>
                                    })}
                                </div>
                            }
                        }).collect_view()}
                    </div>
                }.into_any()
            })}
        </section>
    }
}

/// 新增优惠券 / 编辑优惠券
#[component]
pub fn CouponTemplateEditPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let params = use_params_map();
    let data = LocalResource::new(move || {
        let token = ctx.session.token.get();
        let asked = params.read().get("id");
        // `/coupon-templates/new`, or one that must exist.
        let adding = asked.is_none();
        let id = asked.and_then(|i| i.parse::<i64>().ok());
        async move {
            let (list, items, stores) = with_names(token).await?;
            let editing = id.and_then(|id| list.into_iter().find(|t| t.id == id));
            ApiResult::Ok((adding, editing, items, stores))
        }
    });
    let title = move || match params.read().get("id").as_deref() {
        Some("new") | None => tr(T::AddCouponTemplate)().to_string(),
        Some(_) => tr(T::EditCouponTemplate)().to_string(),
    };
    view! {
        <TopBar title=Signal::derive(title) back=true/>
        <section class="page">
            {loaded(data, move |(adding, editing, items, stores): (bool, Option<CouponTemplate>, Vec<ServiceItem>, Vec<StoreView>)| {
                if !adding && editing.is_none() {
                    // A link to a template that is not this brand's (or no more).
                    return view! { <EmptyState text=T::NotFoundPage/> }.into_any();
                }
                view! { <TemplateForm editing=editing items=items stores=stores/> }.into_any()
            })}
        </section>
    }
}

/// An amount that may be left empty (none).
fn optional_yuan(v: &str) -> Result<String, &'static str> {
    match v.trim() {
        "" | "0" => Ok("0".into()),
        v => Fen::parse_yuan(v).map(|f| f.0.to_string()),
    }
}

/// A share off in percent (`10`, `12.5`) as basis points.
fn rate_rule(v: &str) -> Result<String, &'static str> {
    match Fen::parse_yuan(v) {
        Ok(f) if (1..=9_999).contains(&f.0) => Ok(f.0.to_string()),
        Err("required") => Err("required"),
        _ => Err("coupon_rate_range"),
    }
}

/// A day (`YYYY-MM-DD`), required.
fn day_rule(v: &str) -> Result<String, &'static str> {
    match v.trim() {
        "" => Err("required"),
        v if validate::parse_date(v).is_some() => Ok(v.to_string()),
        _ => Err("date_format"),
    }
}

/// A whole number, required.
fn required_count(v: &str) -> Result<String, &'static str> {
    match count_rule(v)? {
        n if n.is_empty() => Err("required"),
        n => Ok(n),
    }
}

#[component]
fn TemplateForm(
    editing: Option<CouponTemplate>,
    items: Vec<ServiceItem>,
    stores: Vec<StoreView>,
) -> impl IntoView {
    let ctx = use_ctx();
    let toast = use_toast();
    let lang = use_i18n().0;
    let id = editing.as_ref().map(|e| e.id);
    // Once any is given out the rule stays as it was: shown, not edited.
    let locked = editing.as_ref().is_some_and(|e| e.issued > 0);
    let old = StoredValue::new(editing.as_ref().map(|e| e.terms.clone()));
    let t = editing.as_ref().map(|e| e.terms.clone());
    let fen = |f: fn(&CouponTemplateInput) -> Fen| {
        t.as_ref()
            .map(f)
            .filter(|v| v.is_positive())
            .map(yuan)
            .unwrap_or_default()
    };
    let name = FieldState::new("name", t.as_ref().map_or("", |t| &t.name), name_rule);
    let off = FieldState::new("off", &fen(|t| t.off), yuan_rule);
    let rate = FieldState::new(
        "rate_bp",
        &t.as_ref()
            .filter(|t| t.rate_bp > 0)
            .map(|t| yuan(Fen(i64::from(t.rate_bp))))
            .unwrap_or_default(),
        rate_rule,
    );
    let cap = FieldState::new("cap", &fen(|t| t.cap), yuan_rule);
    let min_spend = FieldState::new("min_spend", &fen(|t| t.min_spend), optional_yuan);
    let from = FieldState::new(
        "valid_from",
        t.as_ref()
            .and_then(|t| t.valid_from.as_deref())
            .unwrap_or_default(),
        day_rule,
    );
    let until = FieldState::new(
        "valid_until",
        t.as_ref()
            .and_then(|t| t.valid_until.as_deref())
            .unwrap_or_default(),
        day_rule,
    );
    let count = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
    let days = FieldState::new(
        "valid_days",
        &count(t.as_ref().map_or(Some(30), |t| t.valid_days)),
        required_count,
    );
    let stock = FieldState::new("stock", &count(t.as_ref().map(|t| t.stock)), required_count);
    let per_member = FieldState::new(
        "per_member",
        &count(Some(t.as_ref().map_or(1, |t| t.per_member))),
        required_count,
    );
    let kind = RwSignal::new(t.as_ref().map_or(CouponKind::Cash, |t| t.kind));
    let item = RwSignal::new(
        t.as_ref()
            .and_then(|t| t.item_id)
            .or_else(|| items.first().map(|i| i.id)),
    );
    let fixed_dates = RwSignal::new(t.as_ref().is_some_and(|t| t.valid_from.is_some()));
    let all = RwSignal::new(t.as_ref().is_none_or(|t| t.all_stores));
    let chosen = RwSignal::new(t.as_ref().map(|t| t.store_ids.clone()).unwrap_or_default());
    let claimable = RwSignal::new(t.as_ref().is_none_or(|t| t.claimable));
    let issuable = RwSignal::new(t.as_ref().is_none_or(|t| t.issuable));
    let on_sale = RwSignal::new(t.as_ref().is_none_or(|t| t.on_sale));
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    // The rule as typed (every field of the kind chosen checked), or as it
    // was when it may no longer change.
    let rule = move || -> Option<CouponTemplateInput> {
        if locked {
            return old.get_value();
        }
        let k = kind.get_untracked();
        let num = |f: FieldState| f.checked().and_then(|v| v.parse::<i64>().ok());
        let (off, rate_bp, cap, item_id) = match k {
            CouponKind::Cash => (Fen(num(off)?), 0, Fen::ZERO, None),
            CouponKind::Percent => {
                let r = u32::try_from(num(rate)?).ok()?;
                (Fen::ZERO, r, Fen(num(cap)?), None)
            }
            CouponKind::Item => (Fen::ZERO, 0, Fen::ZERO, Some(item.get_untracked()?)),
        };
        let min = Fen(num(min_spend)?);
        let (valid_from, valid_until, valid_days) = if fixed_dates.get_untracked() {
            let (f, u) = (from.checked(), until.checked());
            (Some(f?), Some(u?), None)
        } else {
            (None, None, Some(num(days)?))
        };
        Some(CouponTemplateInput {
            name: String::new(),
            kind: k,
            off,
            rate_bp,
            cap,
            item_id,
            min_spend: min,
            valid_from,
            valid_until,
            valid_days,
            stock: 0,
            per_member: 0,
            all_stores: all.get_untracked(),
            store_ids: chosen.get_untracked(),
            claimable: false,
            issuable: false,
            on_sale: false,
        })
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let (n, s, p, r) = (
            name.checked(),
            stock.checked(),
            per_member.checked(),
            rule(),
        );
        let (Some(n), Some(s), Some(p), Some(r)) = (n, s, p, r) else {
            return;
        };
        let body = CouponTemplateInput {
            name: n,
            stock: s.parse().unwrap_or(0),
            per_member: p.parse().unwrap_or(0),
            claimable: claimable.get_untracked(),
            issuable: issuable.get_untracked(),
            on_sale: on_sale.get_untracked(),
            ..r
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let r = match id {
                Some(id) => api::send::<UpdateCouponTemplate>(&id, &body, ctx.token()).await,
                None => api::send::<CreateCouponTemplate>(&(), &body, ctx.token()).await,
            };
            busy.set(false);
            match r {
                Ok(_) => {
                    toast.show(T::Saved.text(lang.get_untracked()).to_string());
                    ctx.nav.replace(&ctx.path("/coupon-templates"));
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };
    let seg = move |on: Signal<bool>, label: Txt, set: Callback<()>, id: &'static str| {
        view! {
            <button type="button" class="seg" id=id class:seg-active=move || on.get()
                aria-pressed=move || on.get().to_string() on:click=move |_| set.run(())>{tr(label)}</button>
        }
    };
    let kind_seg = move |k: CouponKind, label: Txt, id: &'static str| {
        seg(
            Signal::derive(move || kind.get() == k),
            label,
            Callback::new(move |_| kind.set(k)),
            id,
        )
    };
    let check = move |label: Txt, on: RwSignal<bool>, id: &'static str| {
        view! {
            <label class="cell">
                <span class="cell-label">{tr(label)}</span>
                <input type="checkbox" id=id prop:checked=move || on.get()
                    on:change=move |ev| on.set(event_target_checked(&ev))/>
            </label>
        }
    };
    let fixed_view = {
        let (items, stores) = (items.clone(), stores.clone());
        move || {
            old.get_value().map(|t| {
                let (rule, where_) = terms_lines(&t, &items, &stores, lang.get());
                view! {
                    <div class="notice" id="coupon-rule-fixed">{tr(T::CouponRuleFixed)}</div>
                    <div class="cell"><span class="cell-main"><span class="cell-title">{rule}</span><span class="cell-desc">{where_}</span></span></div>
                }
            })
        }
    };
    let rule_fields = move || {
        let items = items.clone();
        let stores = stores.clone();
        view! {
            <div class="segments">
                {kind_seg(CouponKind::Cash, T::CouponKindCash, "kind-cash")}
                {kind_seg(CouponKind::Percent, T::CouponKindPercent, "kind-percent")}
                {kind_seg(CouponKind::Item, T::CouponKindItem, "kind-item")}
            </div>
            {move || match kind.get() {
                CouponKind::Cash => view! {
                    <Field label=T::CouponOffLabel state=off id="coupon-off" inputmode="decimal"/>
                }.into_any(),
                CouponKind::Percent => view! {
                    <Field label=T::CouponRateLabel state=rate id="coupon-rate" inputmode="decimal" placeholder=T::CouponRateHint/>
                    <Field label=T::CouponCapLabel state=cap id="coupon-cap" inputmode="decimal"/>
                }.into_any(),
                CouponKind::Item if items.is_empty() => view! {
                    <p class="notice notice-warn" id="coupon-no-items" role="alert">{tr(T::CouponNeedsItems)}</p>
                }.into_any(),
                CouponKind::Item => {
                    let items = items.clone();
                    view! {
                        <label class="cell">
                            <span class="cell-label">{tr(T::CouponItemLabel)}</span>
                            <select class="cell-input" id="coupon-item" on:change=move |ev| item.set(event_target_value(&ev).parse().ok())>
                                {items.into_iter().map(|i| {
                                    let iid = i.id;
                                    view! { <option value=iid.to_string() prop:selected=move || item.get() == Some(iid)>{i.name}</option> }
                                }).collect_view()}
                            </select>
                        </label>
                    }.into_any()
                }
            }}
            <Field label=T::CouponMinSpendLabel state=min_spend id="coupon-min-spend" inputmode="decimal" placeholder=T::CouponMinSpendHint/>
            <div class="segments">
                {seg(Signal::derive(move || !fixed_dates.get()), T::CouponByDays, Callback::new(move |_| fixed_dates.set(false)), "validity-days")}
                {seg(Signal::derive(move || fixed_dates.get()), T::CouponByDates, Callback::new(move |_| fixed_dates.set(true)), "validity-dates")}
            </div>
            {move || if fixed_dates.get() {
                view! {
                    <Field label=T::CouponFirstDay state=from id="coupon-from" input_type="date"/>
                    <Field label=T::CouponLastDay state=until id="coupon-until" input_type="date"/>
                }.into_any()
            } else {
                view! { <Field label=T::CouponDaysLabel state=days id="coupon-days" inputmode="numeric"/> }.into_any()
            }}
            <StorePicker label=T::HonouredAt everywhere=all chosen=chosen stores=stores id="coupon"/>
        }
    };
    view! {
        <form class="cells" id="coupon-template-form" novalidate=true on:submit=submit>
            <Field label=T::CouponNameLabel state=name id="coupon-name" maxlength=40/>
            {if locked { fixed_view.into_any() } else { rule_fields.into_any() }}
            <Field label=T::FieldStock state=stock id="coupon-stock" inputmode="numeric"/>
            <Field label=T::CouponPerMemberLabel state=per_member id="coupon-per-member" inputmode="numeric"/>
            {check(T::CouponClaimable, claimable, "coupon-claimable")}
            {check(T::CouponIssuable, issuable, "coupon-issuable")}
            {check(T::OnSale, on_sale, "coupon-on-sale")}
            <FormError error=error/>
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" id="save-coupon-template" disabled=move || busy.get()>{tr(T::Save)}</button>
            </div>
        </form>
    }
}

/// 发券: look the member up by phone, pick a coupon HQ lets staff issue,
/// issue it within today's quota.
#[component]
pub fn IssueCouponPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let lang = use_i18n().0;
    let data = LocalResource::new(move || {
        let token = ctx.session.token.get();
        async move {
            let list = api::fetch::<ListCouponTemplates>(&(), token.clone()).await?;
            let quota = api::fetch::<MyCouponQuota>(&(), token).await?;
            let issuable: Vec<CouponTemplate> = list
                .into_iter()
                .filter(|t| t.terms.issuable && t.terms.on_sale)
                .collect();
            ApiResult::Ok((issuable, quota))
        }
    });
    let phone = FieldState::new("member_phone", "", validate::phone);
    let found = RwSignal::new(None::<MemberMoney>);
    let picked = RwSignal::new(None::<i64>);
    let done = RwSignal::new(None::<CouponIssued>);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    // One key per intended issue: a retry after a network error reuses it.
    let key = RwSignal::new(api::new_key());
    Effect::new(move |_| {
        found.track();
        picked.track();
        key.set(api::new_key());
    });
    // The member shown is the one the coupon goes to: a changed phone
    // number puts them away until it is looked up.
    Effect::new(move |first: Option<()>| {
        phone.value.track();
        if first.is_some() {
            found.set(None);
        }
    });
    let look_up = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        done.set(None);
        found.set(None);
        let Some(p) = phone.checked() else { return };
        let asked = phone.value.get_untracked();
        busy.set(true);
        leptos::task::spawn_local(async move {
            let r = api::fetch_q::<MemberMoneyByPhone>(&(), &PhoneQuery { phone: p }, ctx.token())
                .await;
            if busy.try_set(false).is_some() {
                return;
            }
            // Another number typed meanwhile: this member is not the one the
            // coupon would go to.
            if phone.value.get_untracked() != asked {
                return;
            }
            match r {
                Ok(m) => found.set(Some(m)),
                Err(f) => error.set(Some(f)),
            }
        });
    };
    let issue = move |_| {
        error.set(None);
        let (Some(template_id), Some(p)) = (picked.get_untracked(), phone.checked()) else {
            return;
        };
        busy.set(true);
        let k = key.get_untracked();
        leptos::task::spawn_local(async move {
            let body = IssueCoupon {
                member_phone: p,
                template_id,
            };
            let r = api::send_once::<IssueCouponToMember>(&(), &body, ctx.token(), &k).await;
            busy.set(false);
            match r {
                Ok(given) => {
                    found.set(None);
                    phone.value.set(String::new());
                    phone.touched.set(false);
                    done.set(Some(given));
                    data.refetch();
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };
    view! {
        <TopBar title=Signal::derive(move || tr(T::IssueCoupon)().to_string()) back=true/>
        <section class="page">
            {loaded(data, move |(list, quota): (Vec<CouponTemplate>, CouponQuota)| {
                if picked.get_untracked().is_none_or(|p| !list.iter().any(|t| t.id == p)) {
                    picked.set(list.first().map(|t| t.id));
                }
                let left = quota.left;
                view! {
                    <div class="notice" class:notice-warn=left == 0 id="quota-left">
                        {move || T::CouponQuotaLeft.text(lang.get()).replace("{left}", &left.to_string()).replace("{quota}", &quota.quota.to_string())}
                    </div>
                    {move || done.get().map(|d| view! {
                        <div class="notice notice-ok" id="coupon-issued" role="status">
                            {T::CouponIssuedTo.text(lang.get()).replace("{phone}", &d.phone_masked).replace("{name}", &d.coupon.rule.name)}
                        </div>
                    })}
                    {if list.is_empty() {
                        view! { <EmptyState text=T::NoIssuableCoupons/> }.into_any()
                    } else {
                        let list = list.clone();
                        view! {
                            <form class="cells" id="issue-lookup" novalidate=true on:submit=look_up>
                                <Field label=T::MemberPhone state=phone id="issue-phone" inputmode="numeric" maxlength=11 placeholder=T::PhonePlaceholder/>
                                <div class="form-actions">
                                    <button type="submit" class="btn btn-default" id="issue-find" disabled=move || busy.get()>{tr(T::LookUp)}</button>
                                </div>
                            </form>
                            {move || found.get().map(|m| {
                                let list = list.clone();
                                view! {
                                    <div class="cells" id="issue-member">
                                        <div class="cell">
                                            <span class="cell-main"><span class="cell-title">{m.phone_masked.clone()}</span><span class="cell-desc">{m.name.clone()}</span></span>
                                        </div>
                                        <label class="cell">
                                            <span class="cell-label">{tr(T::CouponToUse)}</span>
                                            <select class="cell-input" id="issue-template" on:change=move |ev| picked.set(event_target_value(&ev).parse().ok())>
                                                {list.into_iter().map(|t| {
                                                    let tid = t.id;
                                                    let left = t.terms.stock - t.issued;
                                                    let label = format!("{} · {}", t.terms.name, T::CouponLeft.text(lang.get_untracked()).replace("{n}", &left.to_string()));
                                                    view! { <option value=tid.to_string() prop:selected=move || picked.get() == Some(tid)>{label}</option> }
                                                }).collect_view()}
                                            </select>
                                        </label>
                                    </div>
                                    <div class="form-actions">
                                        <button type="button" class="btn btn-primary" id="issue-submit" disabled=move || busy.get() || left == 0 on:click=issue>{tr(T::IssueCoupon)}</button>
                                    </div>
                                }
                            })}
                        }.into_any()
                    }}
                }.into_any()
            })}
            <FormError error=error/>
        </section>
    }
}

tongka_app::split_page!(coupon_templates => CouponTemplatesPage);
tongka_app::split_page!(coupon_template_edit => CouponTemplateEditPage);
tongka_app::split_page!(issue_coupon => IssueCouponPage);
