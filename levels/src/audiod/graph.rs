//! The PipeWire graph as `pw-dump --monitor` reports it (arrays of objects: each one whole as it
//! is now, except metadata whose changed entries only come after the first dump, or
//! `{"id": N, "info": null}` once it is gone), and the [`AudioState`] it means:
//! sinks and sources with their volumes, the default ones (WirePlumber's `default` metadata),
//! and the streams with the VM each comes from.
//!
//! Volumes are on WirePlumber's cubic scale, as `wpctl` shows and sets them: the cube root of
//! the mean of the node's channel volumes, rounded to a thousandth. Whatever PipeWire holds
//! (a program may set its own stream to 300 %), what leaves here is within the protocol's range.

use std::collections::BTreeMap;

use canopy_protocols::audio::{AudioState, Device, Direction, Stream, MAX_DEVICES, MAX_NAME, MAX_STREAMS, MAX_VOLUME};
use canopy_protocols::text::{sanitise, Limit};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::config::StreamVm;

/// Names as they go on the wire: one sanitised line within the protocol's limit.
const NAME: Limit = Limit { chars: 64, bytes: MAX_NAME };

/// One object of `pw-dump`'s output.
#[derive(Debug, Clone, Deserialize)]
pub struct Object {
    pub id: u32,
    /// `PipeWire:Interface:Node` and so on; absent when the object is gone.
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub info: Option<Info>,
    /// A metadata object's own properties (its name).
    #[serde(default)]
    pub props: Option<Map<String, Value>>,
    #[serde(default)]
    pub metadata: Option<Vec<MetadataEntry>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Info {
    #[serde(default)]
    pub props: Map<String, Value>,
    #[serde(default)]
    pub params: Map<String, Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MetadataEntry {
    pub key: String,
    #[serde(default)]
    pub value: Value,
}

#[derive(Debug, Clone)]
enum Entry {
    Node {
        props: Map<String, Value>,
        params: Map<String, Value>,
    },
    Client {
        props: Map<String, Value>,
    },
    /// The `default` metadata: WirePlumber's default devices.
    Defaults(Vec<MetadataEntry>),
}

/// Entries of a metadata update into those held: each replaces the one with its key, and a
/// null value removes it.
fn merge(held: &mut Vec<MetadataEntry>, update: Vec<MetadataEntry>) {
    for e in update {
        held.retain(|h| h.key != e.key);
        if !e.value.is_null() {
            held.push(e);
        }
    }
}

/// The objects the daemon follows, by id.
#[derive(Debug, Default)]
pub struct Graph {
    objects: BTreeMap<u32, Entry>,
}

impl Graph {
    /// Take in one array of the monitor's output.
    pub fn apply(&mut self, objects: Vec<Object>) {
        for o in objects {
            let entry = match o.kind.rsplit(':').next() {
                Some("Node") => o.info.map(|i| Entry::Node { props: i.props, params: i.params }),
                Some("Client") => o.info.map(|i| Entry::Client { props: i.props }),
                Some("Metadata") => {
                    let named_default =
                        o.props.as_ref().and_then(|p| p.get("metadata.name")) == Some(&"default".into());
                    match self.objects.get_mut(&o.id) {
                        // After the first dump, a metadata object comes with its changed entries
                        // only (a new default output says nothing of the default input).
                        Some(Entry::Defaults(held)) => {
                            merge(held, o.metadata.unwrap_or_default());
                            continue;
                        }
                        _ if named_default => {
                            let mut held = Vec::new();
                            merge(&mut held, o.metadata.unwrap_or_default());
                            Some(Entry::Defaults(held))
                        }
                        _ => None,
                    }
                }
                _ => None,
            };
            match entry {
                Some(e) => {
                    self.objects.insert(o.id, e);
                }
                None => {
                    self.objects.remove(&o.id);
                }
            }
        }
    }

    pub fn clear(&mut self) {
        self.objects.clear();
    }

    /// What the graph means for the GUI VM.
    pub fn state(&self, rules: &[StreamVm], max_volume: f32, step: f32) -> AudioState {
        let mut s = AudioState { max_volume, step, ..AudioState::default() };
        let mut names = BTreeMap::new();
        for (&id, entry) in &self.objects {
            let Entry::Node { props, params } = entry else { continue };
            if props.get("stream.monitor").is_some_and(truthy) {
                continue;
            }
            let class = text(props, "media.class").unwrap_or_default();
            let (volume, muted) = level(params);
            match class.as_str() {
                "Audio/Sink" | "Audio/Source" | "Audio/Source/Virtual" => {
                    let name = ["node.description", "node.nick", "node.name"]
                        .iter()
                        .find_map(|k| text(props, k))
                        .unwrap_or_else(|| format!("device {id}"));
                    let d = Device { id, name: sanitise(&name, NAME), volume, muted };
                    if let Some(n) = text(props, "node.name") {
                        names.insert(n, id);
                    }
                    if class == "Audio/Sink" {
                        s.outputs.push(d);
                    } else {
                        s.inputs.push(d);
                    }
                }
                "Stream/Output/Audio" | "Stream/Input/Audio" => {
                    let app = ["application.name", "node.name"]
                        .iter()
                        .find_map(|k| text(props, k))
                        .unwrap_or_else(|| format!("stream {id}"));
                    let direction =
                        if class == "Stream/Output/Audio" { Direction::Playback } else { Direction::Capture };
                    let vm = self.vm_of(props, rules);
                    s.streams.push(Stream { id, app: sanitise(&app, NAME), vm, direction, volume, muted });
                }
                _ => {}
            }
        }
        let default = |key: &str| {
            self.objects.values().find_map(|e| match e {
                Entry::Defaults(entries) => entries
                    .iter()
                    .find(|m| m.key == key)
                    .and_then(|m| m.value.get("name").and_then(Value::as_str).map(str::to_string)),
                _ => None,
            })
        };
        // Only a real device of the right kind: WirePlumber may make a sink's monitor the default
        // source, which is no microphone (muting it would mute the speakers' capture).
        s.default_output = default("default.audio.sink")
            .and_then(|n| names.get(&n).copied())
            .filter(|id| s.outputs.iter().any(|d| d.id == *id));
        s.default_input = default("default.audio.source")
            .and_then(|n| names.get(&n).copied())
            .filter(|id| s.inputs.iter().any(|d| d.id == *id));
        for (what, list, max) in [("outputs", &mut s.outputs, MAX_DEVICES), ("inputs", &mut s.inputs, MAX_DEVICES)] {
            if list.len() > max {
                tracing::warn!("{} {what}; showing the first {max}", list.len());
                list.truncate(max);
            }
        }
        if s.streams.len() > MAX_STREAMS {
            tracing::warn!("{} streams; showing the first {MAX_STREAMS}", s.streams.len());
            s.streams.truncate(MAX_STREAMS);
        }
        s
    }

    /// The VM of a stream, by the first rule that its client's server-set identity matches.
    fn vm_of(&self, node: &Map<String, Value>, rules: &[StreamVm]) -> Option<String> {
        let client = node.get("client.id").and_then(number)?;
        let Some(Entry::Client { props }) = self.objects.get(&(client as u32)) else { return None };
        let uid = props.get("pipewire.sec.uid").and_then(number);
        let gid = props.get("pipewire.sec.gid").and_then(number);
        let label = text(props, "pipewire.sec.label");
        rules
            .iter()
            .find(|r| {
                r.uid.is_none_or(|u| uid == Some(u as u64))
                    && r.gid.is_none_or(|g| gid == Some(g as u64))
                    && r.label.as_ref().is_none_or(|l| label.as_ref() == Some(l))
            })
            .map(|r| r.vm.clone())
    }
}

/// A node's volume (cubic, within the protocol's range) and mute, from its `Props` parameter.
fn level(params: &Map<String, Value>) -> (f32, bool) {
    let Some(props) = params.get("Props").and_then(Value::as_array).and_then(|a| a.first()) else {
        return (1.0, false);
    };
    let muted = props.get("mute").and_then(Value::as_bool).unwrap_or(false);
    let channels: Vec<f64> = props
        .get("channelVolumes")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    let linear = if channels.is_empty() {
        props.get("volume").and_then(Value::as_f64).unwrap_or(1.0)
    } else {
        channels.iter().sum::<f64>() / channels.len() as f64
    };
    (cubic(linear), muted)
}

/// A linear volume on WirePlumber's cubic scale, rounded to a thousandth, within the protocol's
/// range (anything odd reads as silence rather than as a level no one set).
pub fn cubic(linear: f64) -> f32 {
    if !linear.is_finite() || linear <= 0.0 {
        return 0.0;
    }
    let v = (linear.cbrt() * 1000.0).round() / 1000.0;
    (v as f32).min(MAX_VOLUME)
}

fn text(props: &Map<String, Value>, key: &str) -> Option<String> {
    match props.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn number(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn truthy(v: &Value) -> bool {
    matches!(v, Value::Bool(true)) || v.as_str() == Some("true")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> Graph {
        let objects: Vec<Object> = serde_json::from_str(include_str!("testdata/pw-dump.json")).unwrap();
        let mut g = Graph::default();
        g.apply(objects);
        g
    }

    #[test]
    fn a_real_dump_reads_as_devices_defaults_and_streams() {
        let s = fixture().state(&[], 1.0, 0.05);
        let names: Vec<_> = s.outputs.iter().map(|d| (d.id, d.name.as_str(), d.volume)).collect();
        assert_eq!(names, [(30, "Test speakers", 0.3), (31, "Test headphones", 1.0)]);
        assert_eq!(s.inputs.len(), 1);
        assert_eq!((s.inputs[0].name.as_str(), s.inputs[0].muted), ("Test microphone", true));
        assert_eq!((s.default_output, s.default_input), (Some(30), Some(32)));
        assert_eq!(s.streams.len(), 1);
        let st = &s.streams[0];
        assert_eq!((st.id, st.app.as_str(), st.volume, st.direction), (51, "pw-play", 0.5, Direction::Playback));
        assert_eq!(st.vm, None, "no rule, no VM");
        assert_eq!(canopy_protocols::lifecycle::Bounded::excess(&s), None);
    }

    #[test]
    fn streams_take_the_vm_of_their_clients_server_set_identity() {
        let g = fixture();
        let rule = |uid| StreamVm { vm: "chromium-vm".into(), uid: Some(uid), gid: None, label: None };
        assert_eq!(g.state(&[rule(0)], 1.0, 0.05).streams[0].vm.as_deref(), Some("chromium-vm"));
        assert_eq!(g.state(&[rule(1001)], 1.0, 0.05).streams[0].vm, None);
        // What the program says of itself decides nothing.
        let mut g = fixture();
        g.apply(
            serde_json::from_value(serde_json::json!([{
                "id": 51, "type": "PipeWire:Interface:Node",
                "info": {"props": {"media.class": "Stream/Output/Audio", "application.name": "[chromium-vm] Chromium",
                                   "pipewire.sec.uid": 1001, "client.id": 50}, "params": {}}
            }]))
            .unwrap(),
        );
        let s = g.state(&[rule(1001)], 1.0, 0.05);
        assert_eq!(s.streams[0].vm, None);
        assert_eq!(s.streams[0].app, "[chromium-vm] Chromium");
    }

    #[test]
    fn removals_and_a_monitor_as_default_source() {
        let mut g = fixture();
        g.apply(serde_json::from_str(r#"[{"id": 51, "info": null}, {"id": 32, "info": null}]"#).unwrap());
        let s = g.state(&[], 1.0, 0.05);
        assert!(s.streams.is_empty());
        assert!(s.inputs.is_empty());
        assert_eq!(s.default_input, None);
        // WirePlumber names the speakers (their monitor) as the default source: no microphone.
        g.apply(
            serde_json::from_value(serde_json::json!([{
                "id": 36, "type": "PipeWire:Interface:Metadata", "props": {"metadata.name": "default"},
                "metadata": [{"subject": 0, "key": "default.audio.source", "value": {"name": "canopy-test-speakers"}}]
            }]))
            .unwrap(),
        );
        let s = g.state(&[], 1.0, 0.05);
        assert_eq!((s.default_output, s.default_input), (Some(30), None), "the update changed the source only");
        // As pw-dump sends them: a new default output alone keeps the input; null removes a key;
        // the metadata object gone takes the defaults with it.
        g.apply(serde_json::from_str(r#"[{"id": 32, "type": "PipeWire:Interface:Node", "info": {"props": {"media.class": "Audio/Source", "node.name": "mic"}}}]"#).unwrap());
        let update = |entries: serde_json::Value| {
            serde_json::from_value(
                serde_json::json!([{"id": 36, "type": "PipeWire:Interface:Metadata", "metadata": entries}]),
            )
            .unwrap()
        };
        g.apply(update(serde_json::json!([{"subject": 0, "key": "default.audio.source", "value": {"name": "mic"}}])));
        assert_eq!(
            (g.state(&[], 1.0, 0.05).default_output, g.state(&[], 1.0, 0.05).default_input),
            (Some(30), Some(32))
        );
        g.apply(update(serde_json::json!([{"subject": 0, "key": "default.audio.sink", "value": null}])));
        let s = g.state(&[], 1.0, 0.05);
        assert_eq!((s.default_output, s.default_input), (None, Some(32)));
        g.apply(serde_json::from_str(r#"[{"id": 36, "info": null}]"#).unwrap());
        assert_eq!(g.state(&[], 1.0, 0.05).default_input, None);
    }

    #[test]
    fn odd_values_stay_in_range_and_names_are_plain() {
        let mut g = Graph::default();
        g.apply(
            serde_json::from_value(serde_json::json!([
                {"id": 7, "type": "PipeWire:Interface:Node",
                 "info": {"props": {"media.class": "Audio/Sink", "node.description": "Loud\u{202e}\nspeakers"},
                          "params": {"Props": [{"channelVolumes": [27.0, 27.0], "mute": false}]}}},
                {"id": 8, "type": "PipeWire:Interface:Node",
                 "info": {"props": {"media.class": "Stream/Output/Audio", "application.name": "x".repeat(500)},
                          "params": {"Props": [{"channelVolumes": [-1.0], "mute": true}]}}},
                {"id": 9, "type": "PipeWire:Interface:Node",
                 "info": {"props": {"media.class": "Stream/Input/Audio", "stream.monitor": true}, "params": {}}}
            ]))
            .unwrap(),
        );
        let s = g.state(&[], 1.0, 0.05);
        assert_eq!(s.outputs[0].volume, MAX_VOLUME);
        assert_eq!(s.outputs[0].name, "Loud speakers");
        assert_eq!(s.streams.len(), 1, "peak-meter streams are not listed");
        assert_eq!((s.streams[0].volume, s.streams[0].muted), (0.0, true));
        assert!(s.streams[0].app.len() <= MAX_NAME);
        assert_eq!(canopy_protocols::lifecycle::Bounded::excess(&s), None);
    }

    #[test]
    fn many_devices_are_cut_to_the_limit() {
        let mut g = Graph::default();
        let nodes: Vec<Value> = (0..100)
            .map(|i| {
                serde_json::json!({"id": i, "type": "PipeWire:Interface:Node",
                    "info": {"props": {"media.class": "Stream/Output/Audio"}, "params": {}}})
            })
            .collect();
        g.apply(serde_json::from_value(Value::Array(nodes)).unwrap());
        assert_eq!(g.state(&[], 1.0, 0.05).streams.len(), MAX_STREAMS);
    }
}
