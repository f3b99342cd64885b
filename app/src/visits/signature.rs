//! The parent's signature: a full-screen pad drawn with a finger, stylus or
//! mouse (pointer events). Strokes are kept as points relative to the pad,
//! so turning the phone or reloading redraws them exactly; the canvas is
//! sized in device pixels so lines stay crisp. The saved file is a small
//! PNG rendered from the strokes.

use leptos::prelude::*;

use crate::visits::local::Stroke;

/// Fewer points than this is a tap, not a signature.
pub const MIN_SIGNATURE_POINTS: usize = 8;
/// The pad (and the saved image) is twice as wide as it is high.
pub const PAD_ASPECT: f32 = 2.0;
/// Size of the saved PNG; stays well under 30 KB.
pub const SIGNATURE_PNG_WIDTH: u32 = 600;

pub fn point_count(strokes: &[Stroke]) -> usize {
    strokes.iter().map(Vec::len).sum()
}

#[component]
pub fn SignaturePad(
    initial: Vec<Stroke>,
    on_done: Callback<Vec<Stroke>>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let strokes = RwSignal::new(initial);
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let drawing = StoredValue::new(false);
    let (error, set_error) = signal(None::<&'static str>);

    #[cfg(feature = "hydrate")]
    {
        Effect::new(move |_| {
            let strokes = strokes.get();
            if let Some(canvas) = canvas.get() {
                draw::redraw(&canvas, &strokes);
            }
        });
        let resize = window_event_listener(leptos::ev::resize, move |_| {
            if let Some(canvas) = canvas.get_untracked() {
                strokes.with_untracked(|s| draw::redraw(&canvas, s));
            }
        });
        on_cleanup(move || resize.remove());
    }

    let point = move |ev: &leptos::ev::PointerEvent| -> Option<[f32; 2]> {
        let canvas = canvas.get_untracked()?;
        let rect = canvas.get_bounding_client_rect();
        if rect.width() <= 0.0 || rect.height() <= 0.0 {
            return None;
        }
        let x = ((f64::from(ev.client_x()) - rect.left()) / rect.width()).clamp(0.0, 1.0);
        let y = ((f64::from(ev.client_y()) - rect.top()) / rect.height()).clamp(0.0, 1.0);
        Some([x as f32, y as f32])
    };
    let on_down = move |ev: leptos::ev::PointerEvent| {
        ev.prevent_default();
        if let Some(canvas) = canvas.get_untracked() {
            let _ = canvas.set_pointer_capture(ev.pointer_id());
        }
        if let Some(p) = point(&ev) {
            drawing.set_value(true);
            set_error.set(None);
            strokes.update(|s| s.push(vec![p]));
        }
    };
    let on_move = move |ev: leptos::ev::PointerEvent| {
        if !drawing.get_value() {
            return;
        }
        ev.prevent_default();
        if let Some(p) = point(&ev) {
            strokes.update(|s| {
                if let Some(last) = s.last_mut() {
                    last.push(p);
                }
            });
        }
    };
    let on_up = move |_: leptos::ev::PointerEvent| drawing.set_value(false);
    let done = move |_| {
        let current = strokes.get_untracked();
        if point_count(&current) < MIN_SIGNATURE_POINTS {
            set_error.set(Some("签名不能为空，请家长在框内签名"));
        } else {
            on_done.run(current);
        }
    };

    view! {
        <div class="sigpad" role="dialog" aria-label="家长签名" data-testid="signature-pad">
            <p class="sigpad-title">"请家长在框内签名"</p>
            <canvas node_ref=canvas class="sigpad-canvas" data-testid="signature-canvas"
                on:pointerdown=on_down on:pointermove=on_move on:pointerup=on_up
                on:pointercancel=on_up on:pointerleave=on_up></canvas>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <div class="sigpad-actions">
                <button type="button" class="secondary" on:click=move |_| on_cancel.run(())>"取消"</button>
                <button type="button" class="secondary" on:click=move |_| strokes.update(|s| { s.pop(); })>"撤销"</button>
                <button type="button" class="secondary" on:click=move |_| strokes.set(Vec::new())>"清除"</button>
                <button type="button" class="primary" on:click=done data-testid="signature-done">"完成"</button>
            </div>
        </div>
    }
}

/// Drawing strokes on canvases (browser only).
#[cfg(feature = "hydrate")]
pub mod draw {
    use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

    use super::{PAD_ASPECT, SIGNATURE_PNG_WIDTH};
    use crate::error::AppError;
    use crate::visits::local::Stroke;
    use crate::visits::photos::{canvas_png_now, context_2d, new_canvas};

    fn paint(
        context: &CanvasRenderingContext2d,
        strokes: &[Stroke],
        width: f64,
        height: f64,
        line: f64,
    ) {
        context.clear_rect(0.0, 0.0, width, height);
        context.set_stroke_style_str("#111");
        context.set_line_width(line);
        context.set_line_cap("round");
        context.set_line_join("round");
        for stroke in strokes {
            let Some(first) = stroke.first() else {
                continue;
            };
            context.begin_path();
            context.move_to(f64::from(first[0]) * width, f64::from(first[1]) * height);
            if stroke.len() == 1 {
                // A dot.
                context.line_to(
                    f64::from(first[0]) * width + 0.1,
                    f64::from(first[1]) * height,
                );
            }
            for p in &stroke[1..] {
                context.line_to(f64::from(p[0]) * width, f64::from(p[1]) * height);
            }
            context.stroke();
        }
    }

    /// Sizes the canvas to its box in device pixels and draws the strokes.
    pub fn redraw(canvas: &HtmlCanvasElement, strokes: &[Stroke]) {
        let ratio = web_sys::window()
            .map(|w| w.device_pixel_ratio())
            .unwrap_or(1.0)
            .max(1.0);
        let rect = canvas.get_bounding_client_rect();
        let (css_w, css_h) = (rect.width(), rect.height());
        if css_w <= 0.0 || css_h <= 0.0 {
            return;
        }
        let (w, h) = (
            (css_w * ratio).round() as u32,
            (css_h * ratio).round() as u32,
        );
        if canvas.width() != w || canvas.height() != h {
            canvas.set_width(w);
            canvas.set_height(h);
        }
        if let Ok(context) = context_2d(canvas) {
            paint(&context, strokes, f64::from(w), f64::from(h), 2.5 * ratio);
        }
    }

    /// The signature as a PNG (transparent background, black ink).
    pub fn to_png(strokes: &[Stroke]) -> Result<web_sys::Blob, AppError> {
        let width = SIGNATURE_PNG_WIDTH;
        let height = (width as f32 / PAD_ASPECT) as u32;
        let canvas = new_canvas(width, height)?;
        let context = context_2d(&canvas)?;
        paint(&context, strokes, f64::from(width), f64::from(height), 4.0);
        canvas_png_now(&canvas)
    }
}
