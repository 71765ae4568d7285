//! The audio control protocol against the real sound server: `canopy-audiod` in front of
//! PipeWire and WirePlumber (null sinks and a test-tone microphone in a private runtime dir),
//! driven through the GUI VM's client. What each request does is checked with WirePlumber's own
//! `wpctl`, as a user at a terminal would see it.

use canopy_common::transport::Address;
use canopy_levels::audio::AudioClient;
use canopy_protocols::audio::{AudioState, Direction, Event, Mute, Target};
use canopy_protocols::lifecycle::Error;
use canopy_tests::sound::Sound;

fn connect(sound: &Sound) -> AudioClient {
    let addr = Address::Unix(sound.audiod_socket());
    let mut last = None;
    // The socket exists once audiod listens; the graph may take a moment more to arrive.
    for _ in 0..200 {
        match AudioClient::connect(&addr, "levels-test").and_then(|mut c| c.state().map(|_| c)) {
            Ok(c) => return c,
            Err(e) => last = Some(e),
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("canopy-audiod never answered with a state: {last:?}\n{}", sound.audiod_log());
}

fn device(state: &AudioState, name: &str) -> u32 {
    state.outputs.iter().chain(&state.inputs).find(|d| d.name == name).unwrap_or_else(|| panic!("{name}: {state:?}")).id
}

fn refusal(e: canopy_lifecycle::client::ClientError) -> Error {
    e.lifecycle_error().cloned().unwrap_or_else(|| panic!("not a typed refusal: {e}"))
}

#[test]
fn volume_mute_microphone_and_default_device_change_as_wpctl_shows() {
    let sound = Sound::start("");
    let mut c = connect(&sound);
    let state = c.state().unwrap();
    let names: Vec<&str> = state.outputs.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["Test speakers", "Test headphones"]);
    let (speakers, headphones, mic) =
        (device(&state, "Test speakers"), device(&state, "Test headphones"), device(&state, "Test microphone"));
    assert_eq!((state.default_output, state.default_input), (Some(speakers), Some(mic)));

    // A slider, then the keys: each answer is the level WirePlumber then reports.
    assert_eq!(c.set_volume(Target::Output, 0.5).unwrap().volume, 0.5);
    assert_eq!(sound.volume_of(speakers), (0.5, false));
    assert_eq!(c.step_volume(Target::Output, 1).unwrap().volume, 0.55);
    assert!(sound.status_line("Test speakers").unwrap().ends_with("[vol: 0.55]"), "{:?}", sound.status_line("Test"));
    assert_eq!(c.step_volume(Target::Output, -2).unwrap().volume, 0.45);
    assert_eq!(sound.volume_of(speakers), (0.45, false));

    // Mute; a raise unmutes, as on any laptop.
    assert!(c.set_mute(Target::Output, Mute::Toggle).unwrap().muted);
    assert!(sound.status_line("Test speakers").unwrap().ends_with("[vol: 0.45 MUTED]"));
    let level = c.step_volume(Target::Output, 1).unwrap();
    assert_eq!((level.volume, level.muted), (0.5, false));
    assert_eq!(sound.volume_of(speakers), (0.5, false));

    // The microphone mute.
    assert!(c.set_mute(Target::Input, Mute::On).unwrap().muted);
    assert!(sound.volume_of(mic).1);
    assert!(c.state().unwrap().input().unwrap().muted);
    assert!(!c.set_mute(Target::Input, Mute::Toggle).unwrap().muted);
    assert!(!sound.volume_of(mic).1);

    // Steps never go past the configured largest volume (1.0) or below silence.
    c.set_volume(Target::Output, 0.95).unwrap();
    assert_eq!(c.step_volume(Target::Output, 10).unwrap().volume, 1.0);
    assert_eq!(c.step_volume(Target::Output, -10).unwrap().volume, 0.5);
    assert_eq!(c.set_volume(Target::Output, 0.0).unwrap().volume, 0.0);
    assert_eq!(c.step_volume(Target::Output, -1).unwrap().volume, 0.0);
    c.set_volume(Target::Output, 0.4).unwrap();

    // The default output moves to the headphones; the keys follow it.
    c.set_default(headphones).unwrap();
    assert!(sound.status_line("Test headphones").unwrap().starts_with('*'), "{}", sound.wpctl(&["status"]));
    assert_eq!(c.state().unwrap().default_output, Some(headphones));
    assert_eq!(c.step_volume(Target::Output, -1).unwrap().volume, 0.95);
    assert_eq!(sound.volume_of(headphones), (0.95, false));
    assert_eq!(sound.volume_of(speakers), (0.4, false));

    // Out-of-range and unknown requests are refused with a reason and change nothing.
    for (what, e) in [
        ("over the largest", refusal(c.set_volume(Target::Output, 1.2).unwrap_err())),
        ("negative", refusal(c.set_volume(Target::Output, -0.1).unwrap_err())),
        ("not a number", refusal(c.set_volume(Target::Output, f32::NAN).unwrap_err())),
        ("too many steps", refusal(c.step_volume(Target::Output, 11).unwrap_err())),
        ("a device as a stream", refusal(c.set_volume(Target::Stream(speakers), 0.2).unwrap_err())),
        ("no such device", refusal(c.set_default(9999).unwrap_err())),
        ("a stream that is not there", refusal(c.set_mute(Target::Stream(9999), Mute::On).unwrap_err())),
    ] {
        assert!(matches!(e, Error::BadRequest { .. }), "{what}: {e}");
    }
    assert_eq!(sound.volume_of(headphones), (0.95, false));
    assert_eq!(sound.volume_of(speakers), (0.4, false));

    // A flood is answered busy after the burst and changes nothing; the rate then comes back.
    let mut busy = 0;
    for _ in 0..80 {
        match c.state() {
            Ok(_) => {}
            Err(e) if matches!(e.lifecycle_error(), Some(Error::Busy { .. })) => busy += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(busy >= 30, "{busy} of 80 requests were busy (burst 40, 20 a second)");
    sound.wait_until("the rate to allow a request again", || c.state().is_ok());
    assert!(sound.audiod_log().contains("requests over the rate were refused"));
}

#[test]
fn streams_are_listed_with_their_vm_and_the_sound_server_going_away_is_reported() {
    // Every process here runs as this user: the rule names the stream's VM by the uid PipeWire
    // recorded for its connection.
    let uid = rustix::process::getuid().as_raw();
    let mut sound = Sound::start(&format!("[[stream_vms]]\nvm = \"music-vm\"\nuid = {uid}\n"));
    let c = connect(&sound);
    let mut control = connect(&sound);
    let (state, mut events) = c.watch().unwrap();
    assert!(state.streams.is_empty(), "{:?}", state.streams);

    sound.play();
    let stream = loop {
        match events.next_event().unwrap() {
            Event::State { state } if !state.streams.is_empty() => break state.streams[0].clone(),
            _ => {}
        }
    };
    assert_eq!(
        (stream.app.as_str(), stream.vm.as_deref(), stream.direction),
        ("pw-play", Some("music-vm"), Direction::Playback)
    );
    assert!(sound.status_line("pw-play").is_some(), "{}", sound.wpctl(&["status"]));

    // Its own volume and mute, as WirePlumber reports them.
    assert_eq!(control.set_volume(Target::Stream(stream.id), 0.3).unwrap().volume, 0.3);
    assert_eq!(sound.volume_of(stream.id), (0.3, false));
    assert!(control.set_mute(Target::Stream(stream.id), Mute::On).unwrap().muted);
    assert_eq!(sound.volume_of(stream.id), (0.3, true));

    sound.stop_players();
    loop {
        if let Event::State { state } = events.next_event().unwrap() {
            if state.streams.is_empty() {
                break;
            }
        }
    }

    // The sound server crashes: watchers are told, requests get a reason, and both recover.
    sound.stop_pipewire();
    loop {
        if let Event::Unavailable { reason } = events.next_event().unwrap() {
            assert!(reason.contains("PipeWire is not reachable"), "{reason}");
            break;
        }
    }
    let e = control.step_volume(Target::Output, 1).unwrap_err();
    assert!(matches!(e.lifecycle_error(), Some(Error::ActionFailed { .. })), "{e}");
    sound.start_pipewire();
    loop {
        if let Event::State { state } = events.next_event().unwrap() {
            if state.output().is_some() {
                break;
            }
        }
    }
    assert!(control.step_volume(Target::Output, -1).is_ok());
}
