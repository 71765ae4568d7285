//! What each output shows, as render elements in front-to-back order. Backends call
//! [`output_elements`] and hand the list to their damage tracker or screenshot renderer.

use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::element::memory::{MemoryRenderBuffer, MemoryRenderBufferRenderElement};
use smithay::backend::renderer::element::solid::{SolidColorBuffer, SolidColorRenderElement};
use smithay::backend::renderer::element::surface::{render_elements_from_surface_tree, WaylandSurfaceRenderElement};
use smithay::backend::renderer::element::utils::CropRenderElement;
use smithay::backend::renderer::element::{render_elements, Kind};
use smithay::backend::renderer::{ImportAll, ImportMem, Renderer, Texture};
use smithay::desktop::{layer_map_for_output, PopupManager};
use smithay::input::pointer::CursorImageStatus;
use smithay::output::Output;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{Logical, Physical, Point, Rectangle, Scale, Size, Transform};
use smithay::wayland::shell::wlr_layer::Layer;

use crate::decorations::{self, TitleBarStyle, TitleKey};
use crate::shell::window::{FrameKind, WindowElement};
use crate::state::Canopy;

render_elements! {
    pub CanopyElement<R> where R: ImportAll + ImportMem;
    Surface = WaylandSurfaceRenderElement<R>,
    Cropped = CropRenderElement<WaylandSurfaceRenderElement<R>>,
    Solid = SolidColorRenderElement,
    Memory = MemoryRenderBufferRenderElement<R>,
}

/// Whether the pointer is drawn: yes on screen, no in screenshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CursorMode {
    Draw,
    Hide,
}

fn to_physical(p: Point<i32, Logical>, scale: f64) -> Point<i32, Physical> {
    p.to_f64().to_physical(scale).to_i32_round()
}

fn surface_tree<R>(renderer: &mut R, surface: &WlSurface, loc: Point<i32, Logical>, scale: f64) -> Vec<CanopyElement<R>>
where
    R: Renderer + ImportAll + ImportMem,
    R::TextureId: Clone + Texture + Send + 'static,
{
    render_elements_from_surface_tree(
        renderer,
        surface,
        to_physical(loc, scale),
        Scale::from(scale),
        1.0,
        Kind::Unspecified,
    )
}

/// A surface tree cut to `clip`: a VM's surfaces never paint outside their window geometry,
/// so they cannot cover their own frame or draw a fake one beside it.
fn clipped_surface_tree<R>(
    renderer: &mut R,
    surface: &WlSurface,
    loc: Point<i32, Logical>,
    clip: Rectangle<i32, Logical>,
    scale: f64,
) -> Vec<CanopyElement<R>>
where
    R: Renderer + ImportAll + ImportMem,
    R::TextureId: Clone + Texture + Send + 'static,
{
    let p0 = to_physical(clip.loc, scale);
    let p1 = to_physical(clip.loc + clip.size.to_point(), scale);
    let crop = Rectangle::new(p0, (p1 - p0).to_size());
    render_elements_from_surface_tree::<R, WaylandSurfaceRenderElement<R>>(
        renderer,
        surface,
        to_physical(loc, scale),
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
    R: Renderer + ImportAll + ImportMem,
    R::TextureId: Clone + Texture + Send + 'static,
{
    let Some(output_geo) = canopy.space.output_geometry(output) else {
        return Vec::new();
    };
    let scale = output.current_scale().fractional_scale();
    let mut out: Vec<CanopyElement<R>> = Vec::new();

    if cursor == CursorMode::Draw {
        out.extend(cursor_elements(renderer, canopy, output_geo, scale));
    }

    if canopy.lock.is_locked() {
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

    out.extend(crate::notice::render_elements(renderer, canopy, output, output_geo, scale));

    let layers = layer_map_for_output(output);
    let layer_elems = |renderer: &mut R, layer: Layer, out: &mut Vec<CanopyElement<R>>| {
        for surface in layers.layers_on(layer).rev() {
            let Some(geo) = layers.layer_geometry(surface) else { continue };
            for (popup, offset) in PopupManager::popups_for_surface(surface.wl_surface()) {
                let loc = geo.loc + offset - popup.geometry().loc;
                out.extend(surface_tree(renderer, popup.wl_surface(), loc, scale));
            }
            out.extend(surface_tree(renderer, surface.wl_surface(), geo.loc, scale));
        }
    };

    layer_elems(renderer, Layer::Overlay, &mut out);

    // A fullscreen window is above the top layer (panel), kept honest by its trust strip.
    let windows: Vec<&WindowElement> = canopy.space.elements_for_output(output).rev().collect();
    let (fullscreen, others): (Vec<&WindowElement>, Vec<&WindowElement>) =
        windows.into_iter().partition(|w| w.data.state.borrow().fullscreen);
    for w in &fullscreen {
        out.extend(window_elements(renderer, canopy, w, output_geo.loc, scale));
    }
    layer_elems(renderer, Layer::Top, &mut out);
    for w in &others {
        out.extend(window_elements(renderer, canopy, w, output_geo.loc, scale));
    }
    layer_elems(renderer, Layer::Bottom, &mut out);
    layer_elems(renderer, Layer::Background, &mut out);
    out
}

fn cursor_elements<R>(
    renderer: &mut R,
    canopy: &Canopy,
    output_geo: Rectangle<i32, Logical>,
    scale: f64,
) -> Vec<CanopyElement<R>>
where
    R: Renderer + ImportAll + ImportMem,
    R::TextureId: Clone + Texture + Send + 'static,
{
    let pointer = canopy.pointer_location();
    if !output_geo.to_f64().contains(pointer) {
        return Vec::new();
    }
    let pos = (pointer - output_geo.loc.to_f64()).to_i32_round();
    match &canopy.cursor_status {
        CursorImageStatus::Hidden => Vec::new(),
        CursorImageStatus::Surface(surface) => {
            let hotspot = smithay::wayland::compositor::with_states(surface, |states| {
                states
                    .data_map
                    .get::<smithay::input::pointer::CursorImageSurfaceData>()
                    .map(|d| d.lock().unwrap().hotspot)
                    .unwrap_or_default()
            });
            surface_tree(renderer, surface, pos - hotspot, scale)
        }
        CursorImageStatus::Named(_) => {
            let buffer = crate::cursor::default_cursor();
            MemoryRenderBufferRenderElement::from_buffer(
                renderer,
                to_physical(pos, scale).to_f64(),
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

/// A window's popups (with their trust frames), its surfaces and its decorations.
pub fn window_elements<R>(
    renderer: &mut R,
    canopy: &Canopy,
    w: &WindowElement,
    output_loc: Point<i32, Logical>,
    scale: f64,
) -> Vec<CanopyElement<R>>
where
    R: Renderer + ImportAll + ImportMem,
    R::TextureId: Clone + Texture + Send + 'static,
{
    let theme = &canopy.config.theme;
    let Some(frame_loc) = canopy.space.element_location(w) else {
        return Vec::new();
    };
    let frame_loc = frame_loc - output_loc;
    let insets = w.insets(theme);
    let client = w.client_geometry();
    let surface_origin = frame_loc + insets.offset() - client.loc;
    let colours = crate::trust::colours(&canopy.config, w.vm());
    let focused = canopy.is_focused(w);
    let frame_colour = if focused { colours.focused } else { colours.unfocused };
    let mut out = Vec::new();
    let mut cache = w.data.cache.borrow_mut();

    // Popups first (front), each in a thin frame of the VM's colour when the window is a VM's.
    let mut live_popups = Vec::new();
    for (popup, offset) in PopupManager::popups_for_surface(w.wl_surface()) {
        let popup_geo = crate::shell::popups::popup_geometry(&popup);
        let loc = surface_origin + client.loc + offset - popup_geo.loc;
        let rect = Rectangle::new(surface_origin + client.loc + offset, popup_geo.size);
        if w.is_sandboxed() {
            out.extend(clipped_surface_tree(renderer, popup.wl_surface(), loc, rect, scale));
        } else {
            out.extend(surface_tree(renderer, popup.wl_surface(), loc, scale));
        }
        if w.is_sandboxed() {
            let f = theme.decoration.popup_frame as i32;
            let surface = popup.wl_surface().clone();
            let idx = match cache.popup_frames.iter().position(|(s, _)| *s == surface) {
                Some(i) => i,
                None => {
                    cache.popup_frames.push((surface.clone(), Default::default()));
                    cache.popup_frames.len() - 1
                }
            };
            live_popups.push(surface);
            let buffers = &mut cache.popup_frames[idx].1;
            out.extend(ring(buffers, rect, f, f, frame_colour, scale));
        }
    }
    cache.popup_frames.retain(|(s, _)| live_popups.contains(s));

    if w.is_sandboxed() {
        let clip = Rectangle::new(surface_origin + client.loc, client.size);
        out.extend(clipped_surface_tree(renderer, w.wl_surface(), surface_origin, clip, scale));
    } else {
        out.extend(surface_tree(renderer, w.wl_surface(), surface_origin, scale));
    }

    let kind = w.frame_kind();
    if kind == FrameKind::None {
        return out;
    }
    let frame = Rectangle::new(frame_loc, insets.grow(client.size));
    if kind == FrameKind::Full {
        // The title bar is one image: colour, text and buttons.
        let title_w = frame.size.w - insets.left - insets.right;
        let int_scale = scale.ceil() as i32;
        let (raw_title, _) = w.title_and_app_id();
        let st = w.data.state.borrow();
        let key = TitleKey {
            title: decorations::decorated_title(w.vm(), &raw_title),
            width: title_w,
            height: insets.title,
            scale: int_scale,
            focused,
            hover: st.hover.and_then(|h| match h {
                decorations::DecorationHit::Button(b) => Some(b),
                _ => None,
            }),
            maximized: st.maximized,
            bg: frame_colour,
            fg: if focused { colours.text_focused } else { colours.text_unfocused },
        };
        drop(st);
        if cache.title.as_ref().map(|(k, _)| k != &key).unwrap_or(true) {
            let style = TitleBarStyle {
                bg: key.bg,
                fg: key.fg,
                font_size: theme.font.size,
                hover: key.hover,
                maximized: key.maximized,
            };
            let pixmap =
                decorations::draw_title_bar(&canopy.fonts, &key.title, key.width, key.height, int_scale, &style);
            let buffer = MemoryRenderBuffer::from_slice(
                pixmap.data(),
                Fourcc::Abgr8888,
                (pixmap.width() as i32, pixmap.height() as i32),
                int_scale,
                Transform::Normal,
                (key.bg.a == 255)
                    .then(|| vec![Rectangle::from_size((pixmap.width() as i32, pixmap.height() as i32).into())]),
            );
            cache.title = Some((key.clone(), buffer));
        }
        let (_, buffer) = cache.title.as_ref().expect("just drawn");
        let title_loc = frame.loc + Point::from((insets.left, insets.top - insets.title));
        if let Ok(e) = MemoryRenderBufferRenderElement::from_buffer(
            renderer,
            to_physical(title_loc, scale).to_f64(),
            buffer,
            None,
            None,
            Some(Size::from((key.width, key.height))),
            Kind::Unspecified,
        ) {
            out.push(CanopyElement::Memory(e));
        }
    }
    let inner = Rectangle::new(frame.loc + insets.offset(), client.size);
    let top = insets.top - insets.title;
    out.extend(frame_ring(&mut cache.borders, frame, inner, top, frame_colour, scale));
    out
}

/// Four solid pieces around `inner` inside `outer` (top piece `top` high, others per side).
fn frame_ring<R>(
    buffers: &mut [SolidColorBuffer; 4],
    outer: Rectangle<i32, Logical>,
    inner: Rectangle<i32, Logical>,
    top: i32,
    colour: canopy_themes::Rgba,
    scale: f64,
) -> Vec<CanopyElement<R>>
where
    R: Renderer + ImportAll + ImportMem,
    R::TextureId: Clone + Texture + Send + 'static,
{
    let c = colour.premultiplied_f32();
    let left = inner.loc.x - outer.loc.x;
    let right = outer.loc.x + outer.size.w - (inner.loc.x + inner.size.w);
    let bottom = outer.loc.y + outer.size.h - (inner.loc.y + inner.size.h);
    let pieces = [
        Rectangle::new(outer.loc, Size::from((outer.size.w, top))),
        Rectangle::new(Point::from((outer.loc.x, outer.loc.y + top)), Size::from((left, outer.size.h - top))),
        Rectangle::new(
            Point::from((inner.loc.x + inner.size.w, outer.loc.y + top)),
            Size::from((right, outer.size.h - top)),
        ),
        Rectangle::new(Point::from((inner.loc.x, inner.loc.y + inner.size.h)), Size::from((inner.size.w, bottom))),
    ];
    let mut out = Vec::new();
    for (buffer, rect) in buffers.iter_mut().zip(pieces) {
        if rect.size.w <= 0 || rect.size.h <= 0 {
            continue;
        }
        // Sizes in physical pixels are taken from the rounded edges, so pieces meet exactly.
        let p0 = to_physical(rect.loc, scale);
        let p1 = to_physical(rect.loc + rect.size.to_point(), scale);
        let logical = Size::from(((p1.x - p0.x), (p1.y - p0.y)));
        buffer.update(logical, c);
        out.push(CanopyElement::Solid(SolidColorRenderElement::from_buffer(buffer, p0, 1.0, 1.0, Kind::Unspecified)));
    }
    out
}

/// A frame of width `f` around `rect` (outside it).
fn ring<R>(
    buffers: &mut [SolidColorBuffer; 4],
    rect: Rectangle<i32, Logical>,
    f: i32,
    top: i32,
    colour: canopy_themes::Rgba,
    scale: f64,
) -> Vec<CanopyElement<R>>
where
    R: Renderer + ImportAll + ImportMem,
    R::TextureId: Clone + Texture + Send + 'static,
{
    let outer =
        Rectangle::new(rect.loc - Point::from((f, top)), Size::from((rect.size.w + 2 * f, rect.size.h + f + top)));
    frame_ring(buffers, outer, rect, top, colour, scale)
}
