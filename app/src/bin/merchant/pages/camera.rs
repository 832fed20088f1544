//! The counter's camera scanner: the phone's rear camera through
//! getUserMedia, each frame decoded by the QR decoder (`app/scanner`, quircs
//! in a wasm module of its own) in a Web Worker that is fetched only when the
//! clerk opens the scanner. A member code ends the scan and goes to the
//! caller; anything else (a store's pay code, a product's QR) is named and
//! scanning goes on. A torch toggle shows where the camera offers one.
//!
//! A phone opens a camera only on HTTPS (or localhost): without it the page
//! says so and the clerk types the code or uses a scanner gun.
//!
//! The element `#scanner` carries `data-frames` (frames decoded) and
//! `data-decode-ms` (the last decode times, in ms): what the decoder costs on
//! the phone at hand, for support and for the end-to-end test's figures.

use leptos::prelude::*;
use shared::member_code::{NotACode, parse};
use tongka_app::components::sleep;
use tongka_app::i18n::{T, Txt, tr, use_i18n};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlVideoElement, MediaStream, MediaStreamTrack, Worker};

/// The widest frame handed to the decoder: 640 × 480 reads a code held
/// at arm's length and decodes in milliseconds.
const FRAME_WIDTH: u32 = 640;
/// Decode times kept for `data-decode-ms`.
const TIMES_KEPT: usize = 120;
/// How long "not a member code" stays up after that code was last seen.
const WRONG_SHOWN_MS: f64 = 2_000.0;
/// How long the scanner waits for its `<video>` to be drawn: up to
/// `VIDEO_WAITS` looks, `VIDEO_WAIT_MS` apart.
const VIDEO_WAITS: u32 = 40;
const VIDEO_WAIT_MS: i32 = 50;
/// A camera let go of a moment ago may still be busy (`NotReadableError`,
/// `AbortError`): the scanner asks again up to `CAMERA_TRIES` times,
/// `CAMERA_RETRY_MS` apart, before it says the camera failed.
const CAMERA_TRIES: u32 = 4;
const CAMERA_RETRY_MS: i32 = 400;

/// Why the camera is not scanning.
#[derive(Clone, Copy, PartialEq)]
enum Trouble {
    /// Not HTTPS (or no camera API at all).
    Insecure,
    /// The clerk or the browser refused the camera.
    Denied,
    /// No camera on this device.
    NoCamera,
    /// The camera is in use or failed to start.
    CameraFailed,
    /// The decoder could not be fetched (offline and not yet cached).
    DecoderFailed,
}

impl Trouble {
    fn text(self) -> Txt {
        match self {
            Trouble::Insecure => T::CameraNeedsHttps,
            Trouble::Denied => T::CameraDenied,
            Trouble::NoCamera => T::CameraMissing,
            Trouble::CameraFailed => T::CameraFailed,
            Trouble::DecoderFailed => T::CameraDecoderFailed,
        }
    }
}

/// Whether this page may ask for a camera at all.
fn camera_possible() -> bool {
    let window = gloo::utils::window();
    window.is_secure_context()
        && js_sys::Reflect::get(&window.navigator(), &"mediaDevices".into())
            .is_ok_and(|d| !d.is_undefined())
}

/// 扫码 button, the camera view while open, and why it cannot open.
#[component]
pub fn CameraScanner(#[prop(into)] on_code: Callback<String>) -> impl IntoView {
    let lang = use_i18n().0;
    let possible = camera_possible();
    let open = RwSignal::new(false);
    // Each opening is one run; closing or leaving the page ends it.
    let run = RwSignal::new(0u32);
    let status = RwSignal::new(None::<Txt>);
    let trouble = RwSignal::new((!possible).then_some(Trouble::Insecure));
    let torch = RwSignal::new(None::<bool>);
    let track = StoredValue::new_local(None::<MediaStreamTrack>);
    let frames = RwSignal::new(0usize);
    let times = RwSignal::new(Vec::<f64>::new());
    let video = NodeRef::<leptos::html::Video>::new();
    let close = move || {
        open.set(false);
        run.update(|r| *r += 1);
        torch.set(None);
        status.set(None);
        track.set_value(None);
        release(None);
    };
    let start = move || {
        if !possible {
            return;
        }
        trouble.set(None);
        status.set(Some(T::CameraStarting));
        frames.set(0);
        times.set(Vec::new());
        open.set(true);
        run.update(|r| *r += 1);
        let me = run.get_untracked();
        leptos::task::spawn_local(async move {
            // The <video> is in the page once `open` has rendered: on a busy
            // phone that may take more than one turn of the event loop.
            let mut el = None;
            for _ in 0..VIDEO_WAITS {
                sleep(VIDEO_WAIT_MS).await;
                if run.try_get_untracked() != Some(me) {
                    return;
                }
                el = video.get_untracked();
                if el.is_some() {
                    break;
                }
            }
            let Some(el) = el else {
                close();
                trouble.set(Some(Trouble::CameraFailed));
                return;
            };
            let el: HtmlVideoElement = el;
            // Leaving the page takes the <video> out of it: whatever the run
            // is waiting on then, the camera and the worker go at once.
            let token = HELD.with_borrow_mut(|h| {
                h.release();
                h.token += 1;
                h.token
            });
            let watched = el.clone();
            leptos::task::spawn_local(async move {
                loop {
                    // A run already closed is not this watch's to end: the
                    // clerk may have opened the next one meanwhile (its own
                    // <video>), and ending that would leave it starting for
                    // ever.
                    if run.try_get_untracked() != Some(me) {
                        return;
                    }
                    if !watched.is_connected() {
                        run.try_update(|r| {
                            if *r == me {
                                *r += 1;
                            }
                        });
                        release(Some(token));
                        return;
                    }
                    sleep(250).await;
                }
            });
            let this = Run {
                me,
                run,
                status,
                torch,
                track,
                frames,
                times,
            };
            let outcome = this.scan(&el).await;
            // A run closed or left meanwhile was let go of then; its outcome
            // is nobody's now.
            if run.try_get_untracked() != Some(me) {
                return;
            }
            close();
            match outcome {
                Ok(code) => on_code.run(code),
                Err(t) => trouble.set(Some(t)),
            }
        });
    };
    on_cleanup(move || {
        // Leaving the page ends the run and lets go of the camera and the
        // worker at once.
        run.try_update(|r| *r += 1);
        release(None);
    });
    let toggle_torch = move |_| {
        let Some(on) = torch.get_untracked() else {
            return;
        };
        let Some(t) = track.get_value() else { return };
        leptos::task::spawn_local(async move {
            if set_torch(&t, !on).await {
                torch.try_set(Some(!on));
            }
        });
    };
    let times_attr = move || {
        times.with(|t| {
            t.iter()
                .map(|ms| format!("{ms:.1}"))
                .collect::<Vec<_>>()
                .join(",")
        })
    };
    view! {
        <div class="scanner" id="scanner" data-frames=move || frames.get().to_string() data-decode-ms=times_attr>
        {move || trouble.get().map(|t| view! {
            <p class="notice notice-warn camera-trouble" id="camera-trouble" role="alert">{tr(t.text())}</p>
        })}
        {possible.then(|| view! {
            <Show when=move || !open.get()>
                <div class="form-actions">
                    <button type="button" class="btn btn-default" id="camera-open" on:click=move |_| start()>
                        {tr(T::CameraOpen)}
                    </button>
                </div>
            </Show>
        })}
        <Show when=move || open.get()>
            <div class="camera" id="camera">
                <video node_ref=video class="camera-video" id="camera-video" autoplay=true muted=true
                    playsinline=true aria-label=move || T::CameraOpen.text(lang.get())></video>
                <div class="camera-frame" aria-hidden="true"></div>
                <p class="camera-status" id="camera-status" role="status">
                    {move || status.get().map(|s| tr(s)())}
                </p>
                <div class="camera-actions">
                    {move || torch.get().map(|on| view! {
                        <button type="button" class="btn btn-default btn-small" id="camera-torch"
                            aria-pressed=on.to_string() on:click=toggle_torch>
                            {if on { tr(T::TorchOff) } else { tr(T::TorchOn) }}
                        </button>
                    })}
                    <button type="button" class="btn btn-default btn-small" id="camera-close" on:click=move |_| close()>
                        {tr(T::CameraClose)}
                    </button>
                </div>
            </div>
        </Show>
        </div>
    }
}

/// What the run under way holds that must be let go of. Kept outside the
/// reactive arena: a page's values may be gone before its clean-up runs.
#[derive(Default)]
struct Held {
    /// Which run holds them.
    token: u64,
    stream: Option<MediaStream>,
    worker: Option<Worker>,
}

thread_local! {
    /// The camera and the decoder of the scanner under way (a page has one).
    static HELD: std::cell::RefCell<Held> = std::cell::RefCell::new(Held::default());
}

/// Lets go of the camera and the worker held by run `token` (`None`:
/// whichever run holds them).
fn release(token: Option<u64>) {
    HELD.with_borrow_mut(|h| {
        if token.is_none_or(|t| t == h.token) {
            h.release();
        }
    });
}

impl Held {
    /// Stops the camera and the worker. A wait on the worker's answer is
    /// woken (with nothing), so the run's loop ends too.
    fn release(&mut self) {
        if let Some(stream) = self.stream.take() {
            stop(&stream);
        }
        if let Some(worker) = self.worker.take() {
            if let Some(waiting) = worker.onmessage() {
                let _ = waiting.call1(&JsValue::NULL, &JsValue::UNDEFINED);
            }
            worker.terminate();
        }
    }
}

fn stop(stream: &MediaStream) {
    for t in stream.get_tracks().iter() {
        if let Ok(t) = t.dyn_into::<MediaStreamTrack>() {
            t.stop();
        }
    }
}

/// One opening of the scanner and what it shows.
#[derive(Clone, Copy)]
struct Run {
    me: u32,
    run: RwSignal<u32>,
    status: RwSignal<Option<Txt>>,
    torch: RwSignal<Option<bool>>,
    track: StoredValue<Option<MediaStreamTrack>, LocalStorage>,
    frames: RwSignal<usize>,
    times: RwSignal<Vec<f64>>,
}

impl Run {
    /// Whether this run is still the one under way (not closed, not left).
    fn current(&self) -> bool {
        self.run.try_get_untracked() == Some(self.me)
    }

    /// The camera on, frames to the worker until one is a member code (its
    /// text) or something fails. What it opens is held for `close` to let
    /// go of; after every wait it looks whether it was closed meanwhile.
    async fn scan(self, video: &HtmlVideoElement) -> Result<String, Trouble> {
        let mut tries = 1;
        let stream = loop {
            match open_camera().await {
                Err(Busy) if tries < CAMERA_TRIES && self.current() => {
                    tries += 1;
                    sleep(CAMERA_RETRY_MS).await;
                    // Closed or left meanwhile: the camera is not asked
                    // for again (it would come on, and compete with the
                    // next run's).
                    if !self.current() {
                        return Err(Trouble::CameraFailed);
                    }
                }
                Err(Busy) => return Err(Trouble::CameraFailed),
                Err(Refused(t)) => return Err(t),
                Ok(stream) => break stream,
            }
        };
        if !self.current() {
            // Closed while the browser asked for the camera.
            stop(&stream);
            return Err(Trouble::CameraFailed);
        }
        // `Clone::clone`, not `stream.clone()`: web-sys binds the latter to
        // JavaScript's MediaStream.clone(), a second live capture that kept
        // the camera on after the first was stopped.
        HELD.with_borrow_mut(|h| h.stream = Some(Clone::clone(&stream)));
        let first: Option<MediaStreamTrack> = stream.get_video_tracks().get(0).dyn_into().ok();
        if let Some(t) = &first {
            // (The handle, not MediaStreamTrack.clone().)
            self.track.set_value(Some(Clone::clone(t)));
            if offers_torch(t) {
                self.torch.set(Some(false));
            }
        }
        video.set_src_object(Some(&stream));
        // `autoplay` starts it too; this is for browsers that wait.
        let _ = video.play();
        let worker = new_worker()?;
        HELD.with_borrow_mut(|h| h.worker = Some(worker.clone()));
        let ready = next_message(&worker)
            .await
            .is_some_and(|m| field(&m, "ready").is_truthy());
        if !self.current() {
            return Err(Trouble::CameraFailed);
        }
        if !ready {
            return Err(Trouble::DecoderFailed);
        }
        self.frames_loop(video, &worker).await
    }
}

/// Why the camera did not open.
enum NotOpened {
    /// In use or still being let go of: worth asking again.
    Busy,
    /// For good (refused, missing, insecure).
    Refused(Trouble),
}
use NotOpened::{Busy, Refused};

/// The rear camera, at about the decoder's frame size.
async fn open_camera() -> Result<MediaStream, NotOpened> {
    let devices = gloo::utils::window()
        .navigator()
        .media_devices()
        .map_err(|_| Refused(Trouble::Insecure))?;
    let video = js_sys::Object::new();
    let facing = js_sys::Object::new();
    let set = |o: &js_sys::Object, k: &str, v: JsValue| {
        let _ = js_sys::Reflect::set(o, &k.into(), &v);
    };
    set(&facing, "ideal", "environment".into());
    set(&video, "facingMode", facing.into());
    let ideal = |n: u32| {
        let o = js_sys::Object::new();
        set(&o, "ideal", n.into());
        JsValue::from(o)
    };
    set(&video, "width", ideal(FRAME_WIDTH));
    set(&video, "height", ideal(FRAME_WIDTH * 3 / 4));
    let constraints = web_sys::MediaStreamConstraints::new();
    constraints.set_video(&video);
    constraints.set_audio(&JsValue::FALSE);
    let promise = devices
        .get_user_media_with_constraints(&constraints)
        .map_err(|_| Refused(Trouble::CameraFailed))?;
    match JsFuture::from(promise).await {
        Ok(s) => s.dyn_into().map_err(|_| Refused(Trouble::CameraFailed)),
        Err(e) => {
            let name = js_sys::Reflect::get(&e, &"name".into())
                .ok()
                .and_then(|n| n.as_string())
                .unwrap_or_default();
            web_sys::console::warn_1(&format!("camera: {name}").into());
            Err(match name.as_str() {
                "NotAllowedError" | "SecurityError" => Refused(Trouble::Denied),
                "NotFoundError" | "OverconstrainedError" => Refused(Trouble::NoCamera),
                "NotReadableError" | "AbortError" => Busy,
                _ => Refused(Trouble::CameraFailed),
            })
        }
    }
}

/// Whether the camera has a torch (phones' rear cameras mostly do).
fn offers_torch(track: &MediaStreamTrack) -> bool {
    // getCapabilities() is not in web-sys's stable API: called by name.
    let Ok(get) = js_sys::Reflect::get(track, &"getCapabilities".into())
        .and_then(|f| f.dyn_into::<js_sys::Function>())
    else {
        return false;
    };
    get.call0(track)
        .and_then(|caps| js_sys::Reflect::get(&caps, &"torch".into()))
        .is_ok_and(|t| t.is_truthy())
}

/// Turns the torch on or off; whether the camera took it.
async fn set_torch(track: &MediaStreamTrack, on: bool) -> bool {
    let wanted = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&wanted, &"torch".into(), &on.into());
    let constraints = js_sys::Object::new();
    let _ = js_sys::Reflect::set(
        &constraints,
        &"advanced".into(),
        &js_sys::Array::of1(&wanted),
    );
    match track.apply_constraints_with_constraints(constraints.unchecked_ref()) {
        Ok(p) => JsFuture::from(p).await.is_ok(),
        Err(_) => false,
    }
}

/// The decoder's worker, started; it says `{ready}` once its wasm is in.
fn new_worker() -> Result<Worker, Trouble> {
    let url = gloo::utils::document()
        .query_selector("meta[name=tongka-scanner]")
        .ok()
        .flatten()
        .and_then(|m| m.get_attribute("content"))
        .ok_or(Trouble::DecoderFailed)?;
    let options = web_sys::WorkerOptions::new();
    options.set_type(web_sys::WorkerType::Module);
    Worker::new_with_options(&url, &options).map_err(|_| Trouble::DecoderFailed)
}

/// The worker's next message (its `data`), or `None` if it failed. Listens
/// from the moment it is called, before anything is posted.
fn next_message(worker: &Worker) -> impl Future<Output = Option<JsValue>> + use<> {
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        worker.set_onmessage(Some(&resolve));
        worker.set_onerror(Some(&reject));
    });
    let answer = JsFuture::from(promise);
    async move {
        let event = answer.await.ok()?;
        js_sys::Reflect::get(&event, &"data".into()).ok()
    }
}

fn field(value: &JsValue, name: &str) -> JsValue {
    js_sys::Reflect::get(value, &name.into()).unwrap_or(JsValue::UNDEFINED)
}

impl Run {
    /// Frames to the worker, one at a time, until one holds a member code.
    async fn frames_loop(
        self,
        video: &HtmlVideoElement,
        worker: &Worker,
    ) -> Result<String, Trouble> {
        let Run {
            status,
            frames,
            times,
            ..
        } = self;
        let canvas: web_sys::HtmlCanvasElement = gloo::utils::document()
            .create_element("canvas")
            .ok()
            .and_then(|c| c.dyn_into().ok())
            .ok_or(Trouble::CameraFailed)?;
        let options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&options, &"willReadFrequently".into(), &JsValue::TRUE);
        let ctx: web_sys::CanvasRenderingContext2d = canvas
            .get_context_with_context_options("2d", &options)
            .ok()
            .flatten()
            .and_then(|c| c.dyn_into().ok())
            .ok_or(Trouble::CameraFailed)?;
        let mut aiming = false;
        // When a code that is not a member's was last seen.
        let mut wrong_at = None::<f64>;
        while self.current() {
            let (vw, vh) = (video.video_width(), video.video_height());
            if video.ready_state() < 2 || vw == 0 || vh == 0 {
                sleep(50).await;
                continue;
            }
            if !aiming {
                status.set(Some(T::CameraAim));
                aiming = true;
            }
            let w = vw.min(FRAME_WIDTH);
            let h = (u64::from(vh) * u64::from(w) / u64::from(vw)) as u32;
            if canvas.width() != w || canvas.height() != h {
                canvas.set_width(w);
                canvas.set_height(h);
            }
            let _ = ctx.draw_image_with_html_video_element_and_dw_and_dh(
                video,
                0.0,
                0.0,
                f64::from(w),
                f64::from(h),
            );
            let Ok(image) = ctx.get_image_data(0.0, 0.0, f64::from(w), f64::from(h)) else {
                sleep(100).await;
                continue;
            };
            // The pixels go to the worker without a copy.
            let buffer = field(&field(&image, "data"), "buffer");
            let message = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&message, &"data".into(), &buffer);
            let _ = js_sys::Reflect::set(&message, &"width".into(), &w.into());
            let _ = js_sys::Reflect::set(&message, &"height".into(), &h.into());
            let reply = next_message_after(worker, &message, &buffer).await;
            if !self.current() {
                break;
            }
            let Some(reply) = reply else {
                return Err(Trouble::DecoderFailed);
            };
            if !field(&reply, "error").is_undefined() {
                return Err(Trouble::DecoderFailed);
            }
            if let Some(ms) = field(&reply, "ms").as_f64() {
                frames.try_update(|n| *n += 1);
                times.try_update(|t| {
                    if t.len() == TIMES_KEPT {
                        t.remove(0);
                    }
                    t.push(ms);
                });
            }
            let now = js_sys::Date::now();
            if let Some(text) = field(&reply, "text").as_string() {
                match parse(&text) {
                    Ok(_) => return Ok(text),
                    Err(NotACode::PayCode) => status.set(Some(T::CameraPayCode)),
                    Err(NotACode::Malformed) => status.set(Some(T::CameraNotACode)),
                }
                wrong_at = Some(now);
            } else if wrong_at.is_some_and(|t| now - t > WRONG_SHOWN_MS) {
                // The wrong code is out of sight: back to aiming.
                status.set(Some(T::CameraAim));
                wrong_at = None;
            }
            // About ten frames a second: quick to catch a code, easy on a
            // phone's battery.
            sleep(80).await;
        }
        Err(Trouble::CameraFailed)
    }
}

/// Posts a frame (handing its pixels over) and waits for the answer.
async fn next_message_after(
    worker: &Worker,
    message: &JsValue,
    buffer: &JsValue,
) -> Option<JsValue> {
    let answer = next_message(worker);
    worker
        .post_message_with_transfer(message, &js_sys::Array::of1(buffer))
        .ok()?;
    answer.await
}
