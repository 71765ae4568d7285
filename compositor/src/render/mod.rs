//! What each output shows, as render elements in front-to-back order. Backends call
//! [`output_elements`] and hand the list to their damage tracker or screenshot renderer.

pub mod cursor;
pub mod frame;
pub mod notice;
pub mod renderer;
pub mod screenshot;

use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::element::memory::{MemoryRenderBuffer, MemoryRenderBufferRenderElement};
use smithay::backend::renderer::element::solid::{SolidColorBuffer, SolidColorRenderElement};
use smithay::backend::renderer::element::surface::{render_elements_from_surface_tree, WaylandSurfaceRenderElement};
use smithay::backend::renderer::element::utils::CropRenderElement;
use smithay::backend::renderer::element::{render_elements, Kind};
use smithay::backend::renderer::{ImportAll, ImportMem};
use smithay::desktop::{layer_map_for_output, PopupManager};
use smithay::output::Output;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{Logical, Physical, Point, Rectangle, Scale, Size, Transform};
use smithay::wayland::shell::wlr_layer::Layer;

use self::cursor::CursorDraw;
pub use self::renderer::CanopyRenderer;
use crate::decorations::layout::{self, guard, FrameLayout};
use crate::decorations::popup::{LabelKey, LABEL_HEIGHT};
use crate::decorations::solid_frame::SolidFrameElement;
use crate::decorations::{self, TitleBarStyle, TitleKey};
use crate::state::Canopy;
use crate::wm::window::{FrameKind, WindowElement};

render_elements! {
    pub CanopyElement<R> where R: ImportAll + ImportMem;
    Surface = WaylandSurfaceRenderElement<R>,
    Cropped = CropRenderElement<WaylandSurfaceRenderElement<R>>,
    Solid = SolidColorRenderElement,
    Memory = MemoryRenderBufferRenderElement<R>,
    Frame = SolidFrameElement,
}

/// Whether the pointer is drawn: yes on screen; in screenshots only when asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CursorMode {
    Draw,
    Hide,
}

fn to_physical(p: Point<i32, Logical>, scale: f64) -> Point<i32, Physical> {
    p.to_f64().to_physical(scale).to_i32_round()
}

/// A surface tree with its origin at a physical point.
fn surface_tree<R>(
    renderer: &mut R,
    surface: &WlSurface,
    origin: Point<i32, Physical>,
    scale: f64,
) -> Vec<CanopyElement<R>>
where
    R: CanopyRenderer,
{
    render_elements_from_surface_tree(renderer, surface, origin, Scale::from(scale), 1.0, Kind::Unspecified)
}

/// A surface tree whose origin is at `origin` (physical), cut to `crop`: a VM's surfaces never
/// paint outside their window geometry, so they cannot cover their own frame or draw a fake one
/// beside it.
fn cropped_surface_tree<R>(
    renderer: &mut R,
    surface: &WlSurface,
    origin: Point<i32, Physical>,
    crop: Option<Rectangle<i32, Physical>>,
    scale: f64,
) -> Vec<CanopyElement<R>>
where
    R: CanopyRenderer,
{
    let Some(crop) = crop else { return Vec::new() };
    render_elements_from_surface_tree::<R, WaylandSurfaceRenderElement<R>>(
        renderer,
        surface,
        origin,
        Scale::from(scale),
        1.0,
        Kind::Unspecified,
    )
    .into_iter()
    .filter_map(|e| CropRenderElement::from_element(e, scale, crop))
    .map(CanopyElement::Cropped)
    .collect()
}

/// Front-to-back elements of `output`.
pub fn output_elements<R>(
    renderer: &mut R,
    canopy: &Canopy,
    output: &Output,
    cursor: CursorMode,
) -> Vec<CanopyElement<R>>
where
    R: CanopyRenderer,
{
    let Some(output_geo) = canopy.space.output_geometry(output) else {
        return Vec::new();
    };
    let scale = output.current_scale().fractional_scale();
    let output_px = output
        .current_mode()
        .map(|m| output.current_transform().transform_size(m.size))
        .unwrap_or_else(|| output_geo.size.to_f64().to_physical(scale).to_i32_round());
    let mut out: Vec<CanopyElement<R>> = Vec::new();
    // The idle chain's dim, over everything (the lock too).
    out.extend(canopy.idle.dim_element(scale).map(CanopyElement::Solid));

    if canopy.lock.is_locked() {
        // Only the compositor's arrow or the lock's own cursor: never a VM's.
        if cursor == CursorMode::Draw {
            let c = canopy.cursor_draw();
            out.extend(top_cursor_elements(renderer, &c, canopy.pointer_location(), output_geo, scale));
        }
        // The level keys act on the lock screen; their OSD shows over it.
        out.extend(crate::levels::osd::render_elements(renderer, canopy, output, output_geo, scale));
        // While locked, only the lock surface is shown; outputs without one stay opaque.
        if let Some(surface) = canopy.lock.surface_for(output) {
            out.extend(surface_tree(renderer, surface.wl_surface(), Point::from((0, 0)), scale));
        }
        out.push(CanopyElement::Solid(SolidColorRenderElement::from_buffer(
            &canopy.lock.backdrop_for(output, output_geo.size),
            (0, 0),
            scale,
            1.0,
            Kind::Unspecified,
        )));
        return out;
    }

    out.extend(crate::levels::osd::render_elements(renderer, canopy, output, output_geo, scale));
    out.extend(notice::render_elements(renderer, canopy, output, output_geo, scale));
    out.extend(crate::screenshot_region::render_elements(canopy, output, output_geo, scale));

    // Decided before the layer map is held: it looks at what is under the pointer.
    let cursor = match cursor {
        CursorMode::Draw => canopy.cursor_draw(),
        CursorMode::Hide => CursorDraw::Hidden,
    };
    let layers = layer_map_for_output(output);
    let layer_elems = |renderer: &mut R, layer: Layer, out: &mut Vec<CanopyElement<R>>| {
        for surface in layers.layers_on(layer).rev() {
            let Some(geo) = layers.layer_geometry(surface) else { continue };
            for (popup, offset) in PopupManager::popups_for_surface(surface.wl_surface()) {
                let loc = geo.loc + offset - popup.geometry().loc;
                out.extend(surface_tree(renderer, popup.wl_surface(), to_physical(loc, scale), scale));
            }
            out.extend(surface_tree(renderer, surface.wl_surface(), to_physical(geo.loc, scale), scale));
        }
    };

    layer_elems(renderer, Layer::Overlay, &mut out);

    // Windows in stacking order, without those wholly behind opaque ones. The top window, if
    // fullscreen, is above the top layer (panel), kept honest by its trust strip; a fullscreen
    // window under another (it lost focus) stays in its place in the stack.
    let windows = canopy.visible_windows(output_geo);
    let above_panel = usize::from(windows.first().is_some_and(|w| w.data.state.borrow().mode.is_fullscreen()));
    let draw = |renderer: &mut R, w: &WindowElement, out: &mut Vec<CanopyElement<R>>| {
        if let CursorDraw::InWindow { window, surface, hotspot, clip } = &cursor {
            if *window == w.id() {
                out.extend(vm_cursor_elements(renderer, canopy, surface, *hotspot, *clip, output_geo.loc, scale));
            }
        }
        out.extend(window_elements(renderer, canopy, w, output_geo.loc, output_px, scale));
    };
    for w in &windows[..above_panel] {
        draw(renderer, w, &mut out);
    }
    layer_elems(renderer, Layer::Top, &mut out);
    for w in &windows[above_panel..] {
        draw(renderer, w, &mut out);
    }
    layer_elems(renderer, Layer::Bottom, &mut out);
    layer_elems(renderer, Layer::Background, &mut out);
    // The compositor's arrow and local clients' cursors go above everything.
    let mut front = top_cursor_elements(renderer, &cursor, canopy.pointer_location(), output_geo, scale);
    front.extend(out);
    front
}

/// The pointer drawn above everything: the compositor's shape or a local client's image.
fn top_cursor_elements<R>(
    renderer: &mut R,
    cursor: &CursorDraw,
    pointer: Point<f64, Logical>,
    output_geo: Rectangle<i32, Logical>,
    scale: f64,
) -> Vec<CanopyElement<R>>
where
    R: CanopyRenderer,
{
    if !output_geo.to_f64().contains(pointer) {
        return Vec::new();
    }
    let pos = (pointer - output_geo.loc.to_f64()).to_i32_round();
    match cursor {
        CursorDraw::Hidden | CursorDraw::InWindow { .. } => Vec::new(),
        CursorDraw::OnTop { surface, hotspot } => {
            surface_tree(renderer, surface, to_physical(pos - *hotspot, scale), scale)
        }
        CursorDraw::Shape(icon) => {
            let (buffer, hotspot) = cursor::shape_cursor(*icon);
            MemoryRenderBufferRenderElement::from_buffer(
                renderer,
                to_physical(pos - hotspot, scale).to_f64(),
                &buffer,
                None,
                None,
                None,
                Kind::Cursor,
            )
            .map(|e| vec![CanopyElement::Memory(e)])
            .unwrap_or_default()
        }
    }
}

/// A VM's cursor image, cut to the surface of its own that the pointer is over.
fn vm_cursor_elements<R>(
    renderer: &mut R,
    canopy: &Canopy,
    surface: &WlSurface,
    hotspot: Point<i32, Logical>,
    clip: Rectangle<i32, Logical>,
    output_loc: Point<i32, Logical>,
    scale: f64,
) -> Vec<CanopyElement<R>>
where
    R: CanopyRenderer,
{
    let pos = canopy.pointer_location().to_i32_round() - output_loc;
    cropped_surface_tree(
        renderer,
        surface,
        to_physical(pos - hotspot, scale),
        Some(physical(Rectangle::new(clip.loc - output_loc, clip.size), scale)),
        scale,
    )
}

/// A logical rectangle in physical pixels, its edges rounded as the renderer rounds them.
fn physical(r: Rectangle<i32, Logical>, scale: f64) -> Rectangle<i32, Physical> {
    let p0 = to_physical(r.loc, scale);
    let p1 = to_physical(r.loc + r.size.to_point(), scale);
    Rectangle::new(p0, (p1 - p0).to_size())
}

/// A window's popups (with their trust frames), its surfaces and its decorations. A VM's content
/// is cut to its window geometry, drawn over opaque black (unless its config allows
/// translucency) and kept a frame's width from the edges of this output.
pub fn window_elements<R>(
    renderer: &mut R,
    canopy: &Canopy,
    w: &WindowElement,
    output_loc: Point<i32, Logical>,
    output_px: Size<i32, Physical>,
    scale: f64,
) -> Vec<CanopyElement<R>>
where
    R: CanopyRenderer,
{
    let theme = &canopy.config.theme;
    let Some(frame_loc) = canopy.location(w) else {
        return Vec::new();
    };
    let shown = w.layout(frame_loc - output_loc, theme);
    let insets = w.insets(theme);
    let client = w.client_geometry();
    let fullscreen = w.data.state.borrow().mode.is_fullscreen();
    // The frame goes around the area inside the decorations; the content sits in it (centred
    // when a fullscreen client is smaller than its output).
    let layout = FrameLayout::new(shown.inner, &insets, scale);
    let colours = crate::trust::colours(&canopy.config, w.vm());
    let focused = canopy.is_focused(w);
    let frame_colour = if focused { colours.focused } else { colours.unfocused };
    let text_colour = if focused { colours.text_focused } else { colours.text_unfocused };
    // A VM's content is drawn over opaque black inside its frame, so it cannot be a
    // transparent pane over another window (unless its config says it may).
    let opaque = w.vm().is_some_and(|vm| canopy.config.opaque(vm));
    let mut out = Vec::new();
    let mut cache = w.data.cache.borrow_mut();
    let mut strips = Vec::new();

    // Popups first (front). A VM's are cut to their geometry, drawn opaque, and framed in its
    // colour as wide as a window border, with a tab naming the VM above their top-left corner.
    let mut live_popups = Vec::new();
    let (ring, _) = crate::decorations::popup_margins(theme);
    for (popup, offset) in PopupManager::popups_for_surface(w.wl_surface()) {
        let popup_geo = crate::wm::popups::popup_geometry(&popup);
        let rect = Rectangle::new(shown.surface_origin + client.loc + offset, popup_geo.size);
        let f = if w.is_sandboxed() { ring } else { 0 };
        let ring_insets = crate::decorations::Insets { left: f, top: f, right: f, bottom: f, title: 0 };
        let popup_layout = FrameLayout::new(rect, &ring_insets, scale);
        let origin = popup_layout.surface_origin(popup_geo.loc, scale);
        let Some(vm) = w.vm() else {
            out.extend(surface_tree(renderer, popup.wl_surface(), origin, scale));
            continue;
        };
        let (crop, popup_strips) = guard(popup_layout.hole, popup_layout.outer, output_px, layout::scaled(f, scale));
        strips.extend(popup_strips);
        let surface = popup.wl_surface().clone();
        let idx = match cache.popup_frames.iter().position(|(s, _)| *s == surface) {
            Some(i) => i,
            None => {
                cache.popup_frames.push((surface.clone(), Default::default()));
                cache.popup_frames.len() - 1
            }
        };
        live_popups.push(surface);
        let frame = &mut cache.popup_frames[idx].1;
        let key = LabelKey { vm: vm.to_string(), scale: scale.ceil() as i32, bg: frame_colour, fg: text_colour };
        let (label, label_w) = frame.label(&canopy.fonts, key);
        let label_loc = popup_layout.outer.loc - Point::from((0, layout::scaled(LABEL_HEIGHT, scale)));
        if let Ok(e) = MemoryRenderBufferRenderElement::from_buffer(
            renderer,
            label_loc.to_f64(),
            &label,
            None,
            None,
            Some(Size::from((label_w, LABEL_HEIGHT))),
            Kind::Unspecified,
        ) {
            out.push(CanopyElement::Memory(e));
        }
        out.extend(cropped_surface_tree(renderer, popup.wl_surface(), origin, crop, scale));
        let hole = opaque.then_some(popup_layout.hole);
        out.extend(
            frame
                .frame
                .element(popup_layout.outer, &frame_fills(&popup_layout, frame_colour, false, hole))
                .map(CanopyElement::Frame),
        );
    }
    cache.popup_frames.retain(|(s, _)| live_popups.contains(s));

    let origin =
        if fullscreen { to_physical(shown.surface_origin, scale) } else { layout.surface_origin(client.loc, scale) };
    if w.is_sandboxed() {
        let band = layout::scaled(insets.left.min(insets.right).min(insets.bottom), scale);
        let (crop, window_strips) = guard(layout.hole, layout.outer, output_px, band);
        strips.extend(window_strips);
        // In front of everything of the window's: nothing of it shows in the band.
        let front = strip_elements(&mut cache.strips, &strips, frame_colour);
        out.splice(0..0, front);
        // Cut to the window geometry as shown (centred content of a fullscreen window too).
        let crop = crop.and_then(|c| c.intersection(physical(shown.content, scale)));
        out.extend(cropped_surface_tree(renderer, w.wl_surface(), origin, crop, scale));
    } else {
        out.extend(surface_tree(renderer, w.wl_surface(), origin, scale));
    }
    // Behind the content: black, where a VM may not be see-through, and around a fullscreen
    // window smaller than its output.
    let hole = (opaque || fullscreen).then_some(layout.hole);
    let kind = w.frame_kind();
    if kind == FrameKind::Full {
        // The title bar is one image: colour, text and buttons.
        let title_w = client.size.w;
        let int_scale = scale.ceil() as i32;
        let st = w.data.state.borrow();
        let key = TitleKey {
            vm: w.vm().map(str::to_string),
            title: w.shown_title(),
            width: title_w,
            height: insets.title,
            scale: int_scale,
            focused,
            hover: st.hover.and_then(|h| match h {
                decorations::DecorationHit::Button(b) => Some(b),
                _ => None,
            }),
            maximized: st.mode.is_maximised(),
            bg: frame_colour,
            fg: text_colour,
        };
        drop(st);
        let at = cache.titles.iter().position(|(k, _)| k.scale == key.scale);
        if at.is_none_or(|i| cache.titles[i].0 != key) {
            let style = TitleBarStyle {
                bg: key.bg,
                fg: key.fg,
                font_size: theme.font.size,
                hover: key.hover,
                maximized: key.maximized,
            };
            let (fonts, vm) = (&canopy.fonts, key.vm.as_deref());
            let pixmap = decorations::draw_title_bar(fonts, vm, &key.title, key.width, key.height, int_scale, &style);
            let buffer = MemoryRenderBuffer::from_slice(
                pixmap.data(),
                Fourcc::Abgr8888,
                (pixmap.width() as i32, pixmap.height() as i32),
                int_scale,
                Transform::Normal,
                (key.bg.a == 255)
                    .then(|| vec![Rectangle::from_size((pixmap.width() as i32, pixmap.height() as i32).into())]),
            );
            match at {
                Some(i) => cache.titles[i] = (key.clone(), buffer),
                None => cache.titles.push((key.clone(), buffer)),
            }
        }
        let (_, buffer) = cache.titles.iter().find(|(k, _)| k.scale == key.scale).expect("just drawn");
        if let Ok(e) = MemoryRenderBufferRenderElement::from_buffer(
            renderer,
            layout.title.loc.to_f64(),
            buffer,
            None,
            None,
            Some(Size::from((key.width, key.height))),
            Kind::Unspecified,
        ) {
            out.push(CanopyElement::Memory(e));
        }
    }
    // The frame, the title bar's place and the backdrop as one element behind the rest.
    let fills = if kind == FrameKind::None {
        hole.map(|h| vec![(h, BLACK)]).unwrap_or_default()
    } else {
        frame_fills(&layout, frame_colour, kind == FrameKind::Full, hole)
    };
    out.extend(cache.frame.element(layout.outer, &fills).map(CanopyElement::Frame));
    out
}

/// Opaque black, premultiplied.
const BLACK: [f32; 4] = [0.0, 0.0, 0.0, 1.0];

/// What a frame element fills: the frame's pieces in its colour, the title bar's place too when
/// `title` (only under an opaque colour, where the title image in front hides it whole), and the
/// hole in black when given.
fn frame_fills(
    layout: &FrameLayout,
    colour: canopy_themes::Rgba,
    title: bool,
    hole: Option<Rectangle<i32, Physical>>,
) -> Vec<(Rectangle<i32, Physical>, [f32; 4])> {
    let c = colour.premultiplied_f32();
    let mut fills: Vec<_> = layout.pieces.iter().map(|r| (*r, c)).collect();
    if title && colour.a == 255 {
        fills.push((layout.title, c));
    }
    fills.extend(hole.map(|h| (h, BLACK)));
    fills
}

/// Solid rectangles in physical pixels, each drawn with its own buffer from `buffers` (kept
/// per window, so damage tracking sees stable ids); empty ones are skipped.
fn solid_rects<'a, R>(
    buffers: impl IntoIterator<Item = &'a mut SolidColorBuffer>,
    rects: &[Rectangle<i32, Physical>],
    colour: canopy_themes::Rgba,
) -> Vec<CanopyElement<R>>
where
    R: CanopyRenderer,
{
    let c = colour.premultiplied_f32();
    let mut out = Vec::new();
    for (buffer, rect) in buffers.into_iter().zip(rects) {
        if rect.is_empty() {
            continue;
        }
        // Drawn at scale 1: the buffer's size is the rectangle's size in physical pixels.
        buffer.update(Size::from((rect.size.w, rect.size.h)), c);
        out.push(CanopyElement::Solid(SolidColorRenderElement::from_buffer(
            buffer,
            rect.loc,
            1.0,
            1.0,
            Kind::Unspecified,
        )));
    }
    out
}

/// The frame-coloured strips along output edges that a VM window crosses.
fn strip_elements<R>(
    buffers: &mut Vec<SolidColorBuffer>,
    strips: &[Rectangle<i32, Physical>],
    colour: canopy_themes::Rgba,
) -> Vec<CanopyElement<R>>
where
    R: CanopyRenderer,
{
    if buffers.len() < strips.len() {
        buffers.resize_with(strips.len(), SolidColorBuffer::default);
    }
    solid_rects(buffers.iter_mut(), strips, colour)
}
