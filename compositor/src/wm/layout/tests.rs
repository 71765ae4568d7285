//! Window management without a Wayland connection: a desk of outputs and test windows whose
//! clients take every size they are configured to, driven through [`Layout`]'s decisions.

use super::*;

pub(super) fn r(x: i32, y: i32, w: i32, h: i32) -> Rect {
    Rect::new((x, y).into(), (w, h).into())
}

pub(super) fn screen(name: &str, geometry: Rect, panel: i32) -> Screen {
    let mut usable = geometry;
    usable.loc.y += panel;
    usable.size.h -= panel;
    Screen { name: name.into(), geometry, usable }
}

/// LEFT 1280x800 and RIGHT 1024x768 beside it, each with a 32-pixel panel on top.
fn two_outputs() -> Layout {
    Layout::new(vec![screen("LEFT", r(0, 0, 1280, 800), 32), screen("RIGHT", r(1280, 0, 1024, 768), 32)])
}

fn size(w: i32, h: i32) -> Extent {
    Extent::from((w, h))
}

fn frame(l: &Layout, id: u64) -> Rect {
    l.slot(id).expect("the window").frame
}

fn moves(actions: &[Action], id: u64) -> Vec<Pos> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Move { id: i, to } if *i == id => Some(*to),
            _ => None,
        })
        .collect()
}

fn configures(actions: &[Action]) -> Vec<(Option<Extent>, States)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Configure { frame, states, .. } => Some((*frame, states.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn new_windows_open_centred_on_the_pointers_output_and_cascade() {
    let mut l = two_outputs();
    l.pointer_on = Some("LEFT".into());
    for id in 1..=3 {
        l.map(id, size(408, 334), false);
    }
    let at: Vec<Pos> = (1..=3).map(|id| frame(&l, id).loc).collect();
    assert_eq!(at, vec![(436, 249).into(), (468, 281).into(), (500, 313).into()]);
    // On the right output when the pointer is there, centred in its usable zone.
    l.pointer_on = Some("RIGHT".into());
    l.map(4, size(400, 300), false);
    assert_eq!(frame(&l, 4), r(1280 + 312, 32 + 218, 400, 300));
    assert_eq!(l.output_of(4), Some("RIGHT"));
}

#[test]
fn a_vm_window_larger_than_its_output_opens_bounded_inside_it() {
    let mut l = two_outputs();
    let actions = l.map(1, size(3000, 2000), true);
    assert!(actions.contains(&Action::Fit { id: 1, output: "LEFT".into() }), "{actions:?}");
    assert_eq!(frame(&l, 1), r(0, 32, 1280, 768));
    // A local program's window is its own to size; it is still placed at the usable corner.
    l.map(2, size(3000, 2000), false);
    assert_eq!(frame(&l, 2), r(0, 32, 3000, 2000));
}

#[test]
fn maximise_and_restore_across_outputs() {
    let mut l = two_outputs();
    l.pointer_on = Some("RIGHT".into());
    l.map(1, size(400, 300), true);
    let floating = frame(&l, 1);
    let actions = l.maximise(1);
    assert_eq!(configures(&actions), vec![(Some(size(1024, 736)), States::Maximised)]);
    assert_eq!(frame(&l, 1), r(1280, 32, 1024, 736));
    assert_eq!(l.maximise(1), vec![], "maximising twice does nothing");
    // Its output goes: it is maximised on the one left, and restores inside it.
    let actions = l.set_screens(vec![screen("LEFT", r(0, 0, 1280, 800), 32)], true);
    assert!(configures(&actions).contains(&(Some(size(1280, 768)), States::Maximised)), "{actions:?}");
    assert_eq!(frame(&l, 1), r(0, 32, 1280, 768));
    let actions = l.unmaximise(1);
    assert_eq!(configures(&actions), vec![(Some(floating.size), States::Floating)]);
    let back = frame(&l, 1);
    assert_eq!(back.size, floating.size);
    assert!(r(0, 32, 1280, 768).contains_rect(back), "restored inside the remaining output: {back:?}");
    // On an output that stays, it returns to exactly where it was.
    let _ = l.moved(1, (100, 100).into());
    l.maximise(1);
    l.unmaximise(1);
    assert_eq!(frame(&l, 1), r(100, 100, 400, 300));
}

#[test]
fn removing_an_output_moves_its_windows_wholly_onto_one_that_stays() {
    let mut l = two_outputs();
    l.pointer_on = Some("LEFT".into());
    l.map(1, size(400, 300), false);
    let stays = frame(&l, 1);
    l.pointer_on = Some("RIGHT".into());
    l.map(2, size(400, 300), true);
    l.map(3, size(1000, 700), true);
    // Dragged half off the right edge of everything.
    let _ = l.moved(2, (2100, 600).into());
    l.set_screens(vec![screen("LEFT", r(0, 0, 1280, 800), 32)], true);
    assert_eq!(frame(&l, 1), stays, "a window on the output that stays keeps its place");
    for id in [2, 3] {
        assert_eq!(l.output_of(id), Some("LEFT"));
        assert!(r(0, 32, 1280, 768).contains_rect(frame(&l, id)), "window {id}: {:?}", frame(&l, id));
    }
    // They are placed as new windows there: centred, cascaded past the window already there.
    assert_eq!((frame(&l, 2).loc, frame(&l, 3).loc), ((472, 298).into(), (140, 66).into()));
}

#[test]
fn outputs_that_move_take_their_windows_along() {
    let mut l = two_outputs();
    l.pointer_on = Some("RIGHT".into());
    l.map(1, size(400, 300), false);
    let at = frame(&l, 1).loc;
    // A new output is put left of both; the right one is now at x = 1280 + 800.
    let new = vec![
        screen("NEW", r(0, 0, 800, 600), 0),
        screen("LEFT", r(800, 0, 1280, 800), 32),
        screen("RIGHT", r(2080, 0, 1024, 768), 32),
    ];
    let actions = l.set_screens(new, false);
    assert_eq!(moves(&actions, 1), vec![at + Pos::from((800, 0))]);
    assert_eq!(l.output_of(1), Some("RIGHT"));
}

#[test]
fn fullscreen_follows_the_policy_and_returns_to_what_it_left() {
    let mut l = two_outputs();
    l.map(1, size(400, 300), true);
    l.map(2, size(400, 300), false);
    let (vm_frame, local_frame) = (frame(&l, 1), frame(&l, 2));
    // A VM window covers its output and the user is told which VM owns the screen.
    let actions = l.fullscreen(1, None);
    assert!(actions.contains(&Action::FullscreenNotice { id: 1, output: "LEFT".into() }), "{actions:?}");
    assert_eq!(frame(&l, 1), r(0, 0, 1280, 800));
    // A local program's window goes fullscreen where it asks, with no notice.
    let actions = l.fullscreen(2, Some("RIGHT"));
    assert!(!actions.iter().any(|a| matches!(a, Action::FullscreenNotice { .. })));
    assert_eq!(frame(&l, 2), r(1280, 0, 1024, 768));
    assert_eq!(configures(&actions), vec![(Some(size(1024, 768)), States::Fullscreen { output: "RIGHT".into() })]);
    l.unfullscreen(1);
    l.unfullscreen(2);
    assert_eq!((frame(&l, 1), frame(&l, 2)), (vm_frame, local_frame));
    // Maximised, then fullscreen, then out: maximised again, and then the first frame.
    l.maximise(1);
    l.fullscreen(1, None);
    let actions = l.unfullscreen(1);
    assert_eq!(configures(&actions), vec![(Some(size(1280, 768)), States::Maximised)]);
    l.unmaximise(1);
    assert_eq!(frame(&l, 1), vm_frame);
    // With `fullscreen = "maximize"` a VM's window is maximised instead; a local one is not.
    l.vm_fullscreen_maximises = true;
    let actions = l.fullscreen(1, None);
    assert_eq!(configures(&actions), vec![(Some(size(1280, 768)), States::Maximised)]);
    assert!(l.slot(1).unwrap().mode.is_maximised());
    l.fullscreen(2, None);
    assert!(l.slot(2).unwrap().mode.is_fullscreen());
}

#[test]
fn a_maximised_window_shrinks_when_the_panel_appears() {
    let mut l = Layout::new(vec![screen("LEFT", r(0, 0, 1280, 800), 0)]);
    l.map(1, size(400, 300), false);
    l.map(2, size(1280, 800), true);
    l.map(3, size(300, 200), false);
    l.maximise(1);
    let floating = frame(&l, 3);
    assert_eq!(frame(&l, 1), r(0, 0, 1280, 800));
    let actions = l.set_usable("LEFT", r(0, 40, 1280, 760));
    assert_eq!(configures(&actions), vec![(Some(size(1280, 760)), States::Maximised)]);
    assert_eq!(frame(&l, 1), r(0, 40, 1280, 760));
    // The VM window as large as the output is bounded by what is left.
    assert!(actions.contains(&Action::Fit { id: 2, output: "LEFT".into() }));
    assert_eq!(frame(&l, 2).size, size(1280, 760));
    // A floating window is left where it is.
    assert_eq!(frame(&l, 3), floating);
    assert!(moves(&actions, 3).is_empty());
    // The panel goes: the maximised window grows back.
    l.set_usable("LEFT", r(0, 0, 1280, 800));
    assert_eq!(frame(&l, 1), r(0, 0, 1280, 800));
}

#[test]
fn minimised_windows_come_back_where_they_were() {
    let mut l = two_outputs();
    l.map(1, size(400, 300), false);
    l.map(2, size(400, 300), false);
    let at = frame(&l, 1);
    assert_eq!(l.minimise(1), vec![Action::Hide { id: 1 }, Action::Changed { id: 1 }]);
    assert_eq!(l.slot(1).unwrap().shown, Shown::Minimised { at: Some(at.loc) });
    assert!(l.minimise(1).is_empty(), "minimising twice does nothing");
    let actions = l.unminimise(1);
    assert_eq!(moves(&actions, 1), vec![at.loc]);
    assert_eq!(l.slots().last().map(|s| s.id), Some(1), "restored on top");
    // Minimised on an output that goes: placed as a new window when restored.
    l.pointer_on = Some("RIGHT".into());
    l.map(3, size(400, 300), false);
    l.minimise(3);
    l.set_screens(vec![screen("LEFT", r(0, 0, 1280, 800), 32)], true);
    assert_eq!(l.slot(3).unwrap().shown, Shown::Minimised { at: None });
    l.unminimise(3);
    assert_eq!(l.output_of(3), Some("LEFT"));
    assert!(r(0, 32, 1280, 768).contains_rect(frame(&l, 3)));
}

#[test]
fn windows_asking_to_open_maximised_or_fullscreen_learn_their_size_first() {
    let mut l = two_outputs();
    l.pointer_on = Some("RIGHT".into());
    let full = States::Fullscreen { output: "RIGHT".into() };
    assert_eq!(l.opening_size(true, false, true), Some((full.clone(), size(1024, 768))));
    assert_eq!(l.opening_size(false, true, false), Some((States::Maximised, size(1024, 736))));
    assert_eq!(l.opening_size(true, false, false), None);
    // A VM's fullscreen opens maximised when the config says so; a local program's does not.
    l.vm_fullscreen_maximises = true;
    assert_eq!(l.opening_size(true, false, true), Some((States::Maximised, size(1024, 736))));
    assert_eq!(l.opening_size(false, false, true), Some((full, size(1024, 768))));
}

#[test]
fn a_vm_window_larger_than_its_bound_is_configured_down_in_that_direction_only() {
    assert_eq!(shrunk_to(size(800, 600), size(1024, 768)), None);
    assert_eq!(shrunk_to(size(1024, 768), size(1024, 768)), None);
    assert_eq!(shrunk_to(size(3000, 600), size(1024, 768)), Some(size(1024, 600)));
    assert_eq!(shrunk_to(size(3000, 2000), size(1024, 768)), Some(size(1024, 768)));
}

#[test]
fn a_window_shrunk_off_every_output_comes_back_onto_the_nearest() {
    let mut l = two_outputs();
    l.title_height = 30;
    l.pointer_on = Some("LEFT".into());
    l.map(1, size(1000, 600), false);
    // Dragged by the far right of its title bar to the left output's left edge: 40 px show.
    assert!(l.moved(1, (-960, 200).into()).is_empty(), "its title bar is still on LEFT");
    // Its client shrinks it: the frame keeps its top-left, and would be on no output.
    let actions = l.resized(1, size(400, 300));
    assert_eq!(moves(&actions, 1), vec![Pos::from((0, 200))]);
    assert_eq!(frame(&l, 1), r(0, 200, 400, 300));
    // A shrink that leaves some of the title bar on an output moves nothing.
    let _ = l.moved(1, (-380, 200).into());
    assert!(l.resized(1, size(390, 290)).is_empty());
    // Held far along its title bar, the pointer on LEFT: dragging alone never takes it off.
    assert!(l.moved(1, (-385, 500).into()).is_empty());
}
