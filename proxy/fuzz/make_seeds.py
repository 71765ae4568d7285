#!/usr/bin/env python3
"""Writes the seed corpus of the gui_decoder fuzz target: well-formed streams a guest sends
after the preamble of canopy_proxy::gui::fuzzing (hello, registry 2 with its GLOBALS)."""
import os
import struct

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "gui_decoder")
os.makedirs(here, exist_ok=True)


def frame(kind, payload):
    return struct.pack("<IBxxx", len(payload), kind) + payload


def msg(obj, op, *args):
    body = b""
    for a in args:
        if isinstance(a, str):
            s = a.encode() + b"\0"
            body += struct.pack("<I", len(s)) + s + b"\0" * (-len(s) % 4)
        else:
            body += struct.pack("<i" if a < 0 else "<I", a)
    return struct.pack("<II", obj, ((8 + len(body)) << 16) | op) + body


def wl(*msgs):
    return frame(2, b"".join(msgs))


def bind(name, iface, version, new_id):
    return msg(2, 0, name, iface, version, new_id)


def pool(mem, size):
    return frame(3, struct.pack("<II", mem, size))


def pool_data(mem, spans, data):
    raw = sum(l for _, l in spans)
    head = struct.pack("<IIBxxxI", mem, len(spans), 0, raw)
    head += b"".join(struct.pack("<II", o, l) for o, l in spans)
    return frame(7, head + data)


seeds = {
    "surface": wl(bind(1, "wl_compositor", 6, 3), msg(3, 0, 4), msg(4, 6)),
    "shm_buffer": wl(bind(2, "wl_shm", 1, 3))
    + pool(1, 4096)
    + wl(msg(3, 0, 4, 4096), msg(4, 0, 5, 0, 16, 16, 64, 0))
    + pool_data(1, [(0, 8), (64, 4)], b"abcdefghijkl")
    + wl(msg(4, 2, 8192), msg(4, 1), msg(5, 0)),
    "attach_commit": wl(bind(1, "wl_compositor", 6, 3), bind(2, "wl_shm", 1, 4), msg(3, 0, 5))
    + pool(7, 65536)
    + wl(msg(4, 0, 6, 65536), msg(6, 0, 7, 0, 64, 64, 256, 1), msg(5, 1, 7, 0, 0), msg(5, 9, 0, 0, 64, 64))
    + pool_data(7, [(0, 256)], bytes(range(256)))
    + wl(msg(5, 6)),
    "seat": wl(bind(3, "wl_seat", 7, 3), msg(3, 1, 4), msg(3, 0, 5), msg(4, 0)),
    "pipe": frame(5, struct.pack("<I", 1)) + wl(bind(4, "wl_data_device_manager", 3, 3), msg(3, 0, 4)),
    "bad_bind": wl(bind(7, "zwlr_layer_shell_v1", 1, 3)),
    "region_frames": frame(4, b"") + frame(8, struct.pack("<I", 3) + b"data") + frame(9, struct.pack("<I", 3)),
}
for name, data in seeds.items():
    with open(os.path.join(here, name), "wb") as f:
        f.write(data)
print(f"wrote {len(seeds)} seeds to {here}")
