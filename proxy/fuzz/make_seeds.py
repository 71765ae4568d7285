#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets: well-formed streams a guest sends after the
preamble of canopy_proxy::gui::fuzzing (hello, registry 2 with its GLOBALS). gui_restore seeds
start with one byte: the share (of 255) of the stream fed before the compositor dies."""
import os
import struct

corpus = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


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


def window():
    return (
        wl(
            bind(1, "wl_compositor", 6, 3),
            bind(2, "wl_shm", 1, 4),
            bind(5, "xdg_wm_base", 5, 5),
            msg(3, 0, 6),
            msg(5, 2, 7, 6),
            msg(7, 1, 8),
            msg(8, 2, "seed window"),
            msg(8, 3, "seed.app"),
            msg(7, 3, 0, 0, 32, 32),
            msg(6, 6),
            msg(7, 4, 1),
        )
        + pool(1, 16384)
        + wl(msg(4, 0, 9, 16384))
        + pool_data(1, [(0, 64)], bytes(range(64)))
        + wl(
            msg(9, 0, 10, 0, 32, 32, 128, 0),
            msg(9, 1),
            msg(6, 1, 10, 0, 0),
            msg(6, 9, 0, 0, 32, 32),
            msg(6, 3, 11),
            msg(6, 6),
        )
    )


restore_seeds = {
    "window": bytes([128]) + window(),
    "window_all_away": bytes([0]) + window(),
    "subsurface_region": bytes([200])
    + wl(
        bind(1, "wl_compositor", 6, 3),
        bind(8, "wl_subcompositor", 1, 4),
        msg(3, 0, 5),
        msg(3, 0, 6),
        msg(4, 1, 7, 6, 5),
        msg(7, 1, 3, 4),
        msg(7, 3, 5),
        msg(3, 1, 8),
        msg(8, 1, 0, 0, 10, 10),
        msg(5, 5, 8),
        msg(8, 0),
        msg(6, 6),
        msg(5, 6),
    ),
    "seat_popup": bytes([220])
    + wl(
        bind(3, "wl_seat", 7, 3),
        msg(3, 1, 4),
        msg(3, 0, 5),
        bind(1, "wl_compositor", 6, 6),
        bind(5, "xdg_wm_base", 5, 7),
        msg(6, 0, 8),
        msg(7, 2, 9, 8),
        msg(9, 1, 10),
        msg(8, 6),
        msg(7, 1, 11),
        msg(11, 1, 10, 10),
        msg(11, 2, 0, 0, 1, 1),
        msg(6, 0, 12),
        msg(7, 2, 13, 12),
        msg(13, 2, 14, 9, 11),
        msg(12, 6),
    ),
    "data": bytes([100])
    + wl(
        bind(4, "wl_data_device_manager", 3, 3),
        bind(3, "wl_seat", 7, 4),
        msg(3, 1, 5, 4),
        msg(3, 0, 6),
        msg(6, 0, "text/plain"),
        msg(5, 1, 6, 0),
        msg(1, 0, 7),
    ),
    "viewport": bytes([60])
    + wl(
        bind(1, "wl_compositor", 6, 3),
        bind(6, "wp_viewporter", 1, 4),
        msg(3, 0, 5),
        msg(4, 1, 6, 5),
        msg(6, 2, 100, 100),
        msg(5, 6),
    ),
}

for target, corpus_seeds in [("gui_decoder", seeds), ("gui_restore", restore_seeds)]:
    here = os.path.join(corpus, target)
    os.makedirs(here, exist_ok=True)
    for name, data in corpus_seeds.items():
        with open(os.path.join(here, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(corpus_seeds)} seeds to {here}")
