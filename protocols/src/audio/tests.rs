use std::io::Cursor;

use serde_json::json;

use super::*;
use crate::lifecycle::{decode, encode, read_frame, Hello, Response};

fn parse<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, crate::lifecycle::FrameError> {
    decode(v.to_string().as_bytes())
}

fn state() -> AudioState {
    AudioState {
        outputs: vec![Device { id: 40, name: "Speakers".into(), volume: 0.5, muted: false }],
        inputs: vec![Device { id: 41, name: "Microphone".into(), volume: 1.0, muted: true }],
        default_output: Some(40),
        default_input: Some(41),
        streams: vec![Stream {
            id: 57,
            app: "Chromium".into(),
            vm: Some("chromium-vm".into()),
            direction: Direction::Playback,
            volume: 0.8,
            muted: false,
        }],
        max_volume: 1.0,
        step: 0.05,
    }
}

#[test]
fn requests_have_a_stable_wire_form() {
    let step = Request::StepVolume { target: Target::Output, steps: 1 };
    assert_eq!(serde_json::to_value(&step).unwrap(), json!({"type": "step_volume", "target": "output", "steps": 1}));
    let mute = Request::SetMute { target: Target::Stream(57), mute: Mute::Toggle };
    assert_eq!(
        serde_json::to_value(&mute).unwrap(),
        json!({"type": "set_mute", "target": {"stream": 57}, "mute": "toggle"})
    );
    let back: Request = parse(json!({"type": "set_volume", "target": {"device": 40}, "volume": 0.25})).unwrap();
    assert_eq!(back, Request::SetVolume { target: Target::Device(40), volume: 0.25 });
}

#[test]
fn every_message_round_trips() {
    let requests = vec![
        Request::State,
        Request::Watch,
        Request::SetVolume { target: Target::Input, volume: 0.3 },
        Request::StepVolume { target: Target::Output, steps: -2 },
        Request::SetMute { target: Target::Input, mute: Mute::On },
        Request::SetDefault { device: 41 },
    ];
    for req in requests {
        let back: Request = read_frame(&mut Cursor::new(encode(&req).unwrap())).unwrap();
        assert_eq!(back, req);
    }
    let replies: Vec<Response<Reply>> = vec![
        Response::Ok(Reply::State { state: state() }),
        Response::Ok(Reply::Watching { state: AudioState::default() }),
        Response::Ok(Reply::Level { level: Level { volume: 0.55, muted: false } }),
        Response::Ok(Reply::Done),
        Response::Error(crate::lifecycle::Error::Busy { reason: "too many requests".into() }),
    ];
    for r in replies {
        let back: Response<Reply> = read_frame(&mut Cursor::new(encode(&r).unwrap())).unwrap();
        assert_eq!(back, r);
    }
    for ev in [Event::State { state: state() }, Event::Unavailable { reason: "PipeWire is gone".into() }] {
        let back: Event = read_frame(&mut Cursor::new(encode(&ev).unwrap())).unwrap();
        assert_eq!(back, ev);
    }
}

#[test]
fn nothing_but_the_typed_requests_is_accepted() {
    for bad in [
        json!({"type": "set_volume", "target": "output", "volume": 0.5, "command": "wpctl set-volume 1 5"}),
        json!({"type": "run", "argv": ["wpctl", "status"]}),
        json!({"type": "set_volume", "target": {"node": "alsa_output.pci"}, "volume": 0.5}),
        json!({"type": "set_volume", "target": "output", "volume": "loud"}),
        json!({"type": "set_mute", "target": "output", "mute": "maybe"}),
        json!({"type": "dbus", "method": "org.freedesktop.login1.Manager.PowerOff"}),
    ] {
        assert!(parse::<Request>(bad.clone()).is_err(), "{bad}");
    }
}

#[test]
fn the_hello_names_the_audio_protocol() {
    let hello = Hello::speaking::<Request>("canopy-panel");
    assert_eq!(hello.protocol, "canopy-audio");
    assert!(hello.check_for::<Request>().is_ok());
    // A lifecycle server refuses an audio client, and the other way round.
    assert!(hello.check().is_err());
    assert!(Hello::new("canopy-ctl").check_for::<Request>().is_err());
}

#[test]
fn what_the_audio_vm_says_is_checked_against_the_limits() {
    assert_eq!(state().excess(), None);
    assert!(state().clamp_levels().is_empty());
    let mut many = state();
    many.streams = (0..=MAX_STREAMS as u32).map(|i| Stream { id: i, ..state().streams[0].clone() }).collect();
    assert!(many.excess().unwrap().contains("streams"));
    let mut devices = state();
    devices.outputs = (0..=MAX_DEVICES as u32).map(|i| Device { id: i, ..state().outputs[0].clone() }).collect();
    assert!(devices.excess().unwrap().contains("output devices"));
    let mut long = state();
    long.streams[0].vm = Some("v".repeat(MAX_NAME + 1));
    assert!(long.excess().unwrap().contains("VM name"));
}

#[test]
fn numbers_out_of_range_are_clamped_and_named() {
    let mut odd = state();
    odd.outputs[0].volume = 7.3;
    odd.streams[0].volume = -0.1;
    odd.inputs[0].volume = f32::INFINITY;
    odd.step = 0.0;
    let notes = odd.clamp_levels();
    assert_eq!(notes.len(), 4, "{notes:?}");
    assert!(notes[0].contains("volume step of 0"), "{notes:?}");
    assert!(notes[1].contains("volume of 7.3 shown as 1"), "{notes:?}");
    assert_eq!((odd.outputs[0].volume, odd.inputs[0].volume, odd.streams[0].volume), (1.0, 1.0, 0.0));
    assert_eq!(odd.step, 0.01);
    assert_eq!(odd.excess(), None, "clamped, the state is shown");
    let mut max = state();
    max.max_volume = 40.0;
    max.outputs[0].volume = 1.4;
    assert_eq!(max.clamp_levels().len(), 1, "1.4 is within the largest volume once that is 1.5");
    assert_eq!(max.max_volume, MAX_VOLUME);
    // A number too large for f32 arrives as infinity, and is clamped too.
    let mut huge: Level = parse(json!({"volume": 1e300, "muted": false})).unwrap();
    assert_eq!(huge.clamp_levels().len(), 1);
    assert_eq!(huge.volume, MAX_VOLUME);
    let mut reply = Reply::Level { level: Level { volume: 2.0, muted: false } };
    assert_eq!(reply.clamp_levels().len(), 1);
    assert_eq!(reply, Reply::Level { level: Level { volume: MAX_VOLUME, muted: false } });
}

#[test]
fn levels_of_targets() {
    let s = state();
    assert_eq!(s.level(Target::Output), Some(Level { volume: 0.5, muted: false }));
    assert_eq!(s.level(Target::Input), Some(Level { volume: 1.0, muted: true }));
    assert_eq!(s.level(Target::Stream(57)), Some(Level { volume: 0.8, muted: false }));
    assert_eq!(s.level(Target::Device(41)), s.level(Target::Input));
    assert_eq!(s.level(Target::Stream(1)), None);
    assert_eq!(AudioState::default().level(Target::Output), None);
}
