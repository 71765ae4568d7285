//! canopy-text with the fonts scripts/debian-packages.txt installs: every script shaped with a
//! font that has it, in the right order, cut at the right end, drawn; titles that cannot move
//! their prefix; caret moves that follow the screen; and no crash or blank without fonts.

use canopy_text::samples::{hostile_titles, long_rtl, SCRIPTS};
use canopy_text::{Clip, FontDatabase, Fonts, TextField, Weight};
use canopy_themes::{Rgba, Theme};
use tiny_skia::Pixmap;

fn fonts() -> Fonts {
    let f = Fonts::new(&Theme::default().font);
    assert!(f.missing().is_empty(), "fonts missing: {:?} (install scripts/debian-packages.txt)", f.missing());
    f
}

/// How many device pixels `text` lights when drawn at 26 px.
fn lit(fonts: &Fonts, text: &str) -> usize {
    let line = fonts.line(text, Weight::Regular, 26.0);
    let mut pm = Pixmap::new(line.width.ceil() as u32 + 8, 40).unwrap();
    let white = Rgba::rgb(255, 255, 255);
    fonts.draw(&mut pm.as_mut(), &line, Weight::Regular, 26.0, 4.0, 30.0, white, Clip::new(0, 0, 9999, 99));
    pm.data().chunks_exact(4).filter(|p| p[3] > 0).count()
}

#[test]
fn every_script_has_a_font() {
    let f = fonts();
    let long = long_rtl();
    for (name, text) in SCRIPTS.iter().copied().chain([("long rtl", long.as_str())]) {
        let line = f.line(text, Weight::Bold, 20.0);
        let missing: Vec<&str> =
            line.glyphs().iter().filter(|g| g.glyph_id == 0).map(|g| &text[g.start..g.end]).collect();
        assert!(missing.is_empty(), "{name}: no font for {missing:?}");
        assert!(lit(&f, text) > 50, "{name} draws nothing");
    }
}

#[test]
fn arabic_letters_join_and_read_right_to_left() {
    let f = fonts();
    let word = f.line("بيت", Weight::Regular, 20.0);
    assert!(word.rtl);
    // Joined forms: the same letter alone has another glyph than at the start of a word.
    let alone = f.line("ب", Weight::Regular, 20.0).glyphs()[0].glyph_id;
    let first = word.glyphs().iter().find(|g| g.start == 0).unwrap();
    assert_ne!(first.glyph_id, alone, "ب takes its initial form in بيت");
    assert!(word.glyphs().iter().all(|g| g.x <= first.x), "the first letter is on the right");
    // Hebrew too, and a Latin word inside it keeps its own order.
    let he = f.line("שלום abc עולם", Weight::Regular, 20.0);
    let x = |at: usize| he.glyphs().iter().find(|g| g.start == at).unwrap().x;
    assert!(x(0) > x("שלום ".len()), "שלום is right of abc");
    assert!(x("שלום ".len()) < x("שלום a".len()), "abc reads left to right");
}

#[test]
fn emoji_come_from_the_colour_font() {
    let f = fonts();
    let line = f.line("🔒", Weight::Regular, 26.0);
    let mut pm = Pixmap::new(40, 40).unwrap();
    // Drawn "white": a colour glyph keeps its own colours.
    let white = Rgba::rgb(255, 255, 255);
    f.draw(&mut pm.as_mut(), &line, Weight::Regular, 26.0, 4.0, 30.0, white, Clip::new(0, 0, 40, 40));
    let coloured = pm.data().chunks_exact(4).filter(|p| p[3] > 200 && (p[0] != p[1] || p[1] != p[2])).count();
    assert!(coloured > 50, "{coloured} coloured pixels");
}

#[test]
fn ellipsis_at_the_logical_end() {
    let f = fonts();
    let text = "one two three four five six";
    let ltr = f.fit(text, Weight::Regular, 20.0, 120.0);
    assert!(ltr.ellipsized && ltr.width <= 120.0);
    let first = ltr.glyphs().iter().find(|g| g.start == 0).unwrap();
    assert!(first.x < 1.0, "left to right keeps its start on the left");
    let ellipsis = ltr.glyphs().iter().find(|g| g.start == g.end).expect("an ellipsis");
    assert!(ltr.glyphs().iter().all(|g| g.x <= ellipsis.x), "the ellipsis ends a left-to-right line on the right");
    assert!(text[..ellipsis.start].ends_with(|c: char| !c.is_whitespace()), "no space before the ellipsis");

    let text = long_rtl();
    let rtl = f.fit(&text, Weight::Regular, 20.0, 300.0);
    assert!(rtl.ellipsized && rtl.rtl && rtl.width <= 300.0, "{} {}", rtl.width, rtl.ellipsized);
    let first = rtl.glyphs().iter().find(|g| g.start == 0).unwrap();
    assert!((first.x + first.w - rtl.width).abs() < 1.0, "right to left keeps its start on the right");
    let ellipsis = rtl.glyphs().iter().find(|g| g.start == g.end).expect("an ellipsis");
    assert!(rtl.glyphs().iter().all(|g| g.x >= ellipsis.x), "the ellipsis ends a right-to-left line on the left");
    assert!(text[..ellipsis.start].ends_with(|c: char| !c.is_whitespace()), "no space before the ellipsis");
}

#[test]
fn each_text_is_shaped_once() {
    let f = fonts();
    let before = f.shaped();
    for _ in 0..3 {
        f.line("[work-vm] report", Weight::Bold, 13.0);
        f.fit("[work-vm] report", Weight::Bold, 13.0, 40.0);
        f.line("[work-vm] report", Weight::Bold, 26.0);
    }
    assert_eq!(f.shaped() - before, 1, "one text and weight: shaped once, laid out per size and width");
}

/// A title bar strip `width` pixels wide with `title` after the prefix of `vm`.
fn title_strip(f: &Fonts, vm: &str, title: &str, width: u32) -> Pixmap {
    let mut pm = Pixmap::new(width, 26).unwrap();
    pm.fill(tiny_skia::Color::from_rgba8(0x2f, 0x6f, 0xd0, 255));
    let t = f.title(Some(vm), title, Weight::Bold, 13.0, width as f32 - 16.0);
    let (a, d) = f.metrics(Weight::Bold, 13.0);
    let baseline = ((26.0 - (a + d)) / 2.0 + a).round();
    f.draw_title(&mut pm.as_mut(), &t, 8.0, baseline, Rgba::rgb(255, 255, 255), Clip::new(0, 0, width as i32, 26));
    pm
}

/// Columns `x0..x1` of every row.
fn columns(pm: &Pixmap, x0: u32, x1: u32) -> Vec<u8> {
    let w = pm.width() as usize;
    (0..pm.height() as usize)
        .flat_map(|y| pm.data()[(y * w + x0 as usize) * 4..(y * w + x1 as usize) * 4].to_vec())
        .collect()
}

#[test]
fn no_title_moves_or_changes_the_prefix() {
    let f = fonts();
    let prefix = f.title(Some("bank-vm"), "", Weight::Bold, 13.0, 400.0);
    let end = (8.0 + prefix.split).round() as u32;
    let reference = columns(&title_strip(&f, "bank-vm", "", 400), 0, end);
    assert!(reference.chunks_exact(4).any(|p| p[0] == 255 && p[1] == 255), "the prefix is drawn");
    let mut titles = hostile_titles();
    titles.extend(SCRIPTS.iter().map(|(_, t)| t.to_string()));
    titles.push(long_rtl());
    for title in &titles {
        for width in [400, 160, 120] {
            let strip = title_strip(&f, "bank-vm", title, width);
            assert_eq!(columns(&strip, 0, end), reference, "title {title:?} at {width} px changed the prefix");
        }
    }
}

#[test]
fn caret_moves_follow_the_screen() {
    let f = fonts();
    // Right to left: Right moves towards the start of the text.
    let mut field = TextField::new();
    field.set("שלום");
    let line = f.line(field.text(), Weight::Regular, 16.0);
    assert!(line.caret_x(field.text().len()) < line.caret_x(0), "the end of Hebrew is on the left");
    field.step_visual(&line, true);
    assert_eq!(field.caret(), "שלו".len());
    field.step_visual(&line, false);
    field.step_visual(&line, false);
    assert_eq!(field.caret(), field.text().len(), "Left stops at the left end");
    // Mixed: each step moves the caret right on screen, and every position is reached.
    field.set("abc שלום 12");
    let line = f.line(field.text(), Weight::Regular, 16.0);
    let stops = canopy_text::edit::visual_stops(field.text(), &line);
    field.set_caret(stops[0].1);
    let mut seen = vec![field.caret()];
    for _ in 0..stops.len() + 2 {
        field.step_visual(&line, true);
        if seen.last() == Some(&field.caret()) {
            break;
        }
        seen.push(field.caret());
    }
    let xs: Vec<f32> = seen.iter().map(|o| line.caret_x(*o)).collect();
    assert!(xs.windows(2).all(|w| w[1] >= w[0]), "Right never moves left: {xs:?}");
    let mut got = seen.clone();
    got.sort();
    let all: Vec<usize> = canopy_text::line::boundaries(field.text()).collect();
    assert_eq!(got, all, "every caret position is reached once");
}

#[test]
fn a_missing_family_falls_back_and_no_font_draws_boxes() {
    let mut font = Theme::default().font;
    font.family = "No Such Family".into();
    font.fallback = vec!["Nor This".into(), "DejaVu Sans".into()];
    let f = Fonts::new(&font);
    assert_eq!(f.missing(), ["No Such Family", "Nor This"]);
    assert!(lit(&f, "still drawn") > 50);
    // Not one font: boxes, one per character, never nothing and never a crash.
    let none = Fonts::with_database(&Theme::default().font, FontDatabase::new());
    let boxes = lit(&none, "abc");
    assert!(boxes > 30, "{boxes}");
    assert!(lit(&none, "abc def") > boxes);
    assert!(none.fit("a long text that does not fit", Weight::Regular, 20.0, 50.0).width <= 50.0);
    // A character no installed font has (plane 16 private use): a box in its place.
    let tofu = f.line("\u{10fffd}", Weight::Regular, 26.0);
    assert_eq!(tofu.glyphs()[0].glyph_id, 0);
    assert!(lit(&f, "\u{10fffd}") > 20);
}

#[test]
fn hostile_and_random_text_never_panics() {
    let f = fonts();
    // A small deterministic generator over characters that stress shaping: marks, joiners,
    // controls, variation selectors, tags, every script above.
    let pool: Vec<char> = "a\u{301}\u{20dd}\u{93e}\u{94d}क्षب\u{651}\u{64b}ـلا\u{200d}\u{200c}\u{fe0f}👍🏽🇩\u{e0061}\u{2066}\u{202e}\u{feff}\u{ad}\t\n\u{2029}中ひ\u{10ffff}\u{e000}\u{1f3fb}\u{e0100}"
        .chars()
        .collect();
    let mut seed = 0x2545_f491_u32;
    for _ in 0..300 {
        let len = (seed % 40) as usize;
        let s: String = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                pool[seed as usize % pool.len()]
            })
            .collect();
        f.fit(&s, Weight::Bold, 13.0, 80.0);
        f.title(Some("vm"), &s, Weight::Regular, 13.0, 120.0);
        let mut field = TextField::new();
        field.set(&s);
        let line = f.line(&s, Weight::Regular, 16.0);
        for right in [true, false, true] {
            field.step_visual(&line, right);
        }
        field.backspace();
    }
}
