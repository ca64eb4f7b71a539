#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The pinned export state as an older flowgate left it (a test's fixture).

expstate_old.py PIN_DIR   replace PIN_DIR/fg_expstate, the mmapped array of
                          rows (ctl/export/export.h, struct fg_exp_row),
                          with the layout of versions before it: a hash of
                          shadows (32 octets) by flow key (52 octets), the
                          same shadows. Prints {"shadows": n, "packets": p}.
expstate_old.py info PIN_DIR
                          {"type": t, "flags": f, "entries": n} of it.

Plain bpf(2) through ctypes: no BTF, no libbpf in the tests' Python.
"""
import ctypes
import json
import mmap
import os
import struct
import sys

NR_BPF = {"x86_64": 321, "aarch64": 280}[os.uname().machine]
MAP_CREATE, MAP_UPDATE, OBJ_PIN, OBJ_GET, INFO = 0, 2, 6, 7, 15
HASH, ARRAY = 1, 2
KEY, SHADOW, ROW = 52, 32, 88

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, 128)
    r = libc.syscall(NR_BPF, cmd, buf, 128)
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, "bpf(%d): %s" % (cmd, os.strerror(e)))
    return r, buf


def obj_get(path):
    p = ctypes.create_string_buffer(path.encode())
    return bpf(OBJ_GET, struct.pack("=QII", ctypes.addressof(p), 0, 0))[0]


def info(fd):
    out = ctypes.create_string_buffer(80)
    bpf(INFO, struct.pack("=IIQ", fd, 80, ctypes.addressof(out)))
    t, _id, ks, vs, n, flags = struct.unpack("=6I", out.raw[:24])
    return {"type": t, "key_size": ks, "value_size": vs, "entries": n,
            "flags": flags}


def rows(fd, n):
    pg = mmap.PAGESIZE
    m = mmap.mmap(fd, (n * ROW + pg - 1) // pg * pg, mmap.MAP_SHARED,
                  mmap.PROT_READ)
    for i in range(1, n):
        r = m[i * ROW:(i + 1) * ROW]
        seq, = struct.unpack("=I", r[KEY:KEY + 4])
        if seq and not seq & 1:
            yield r[:KEY], r[KEY + 4:]
    m.close()


def to_hash(pin_dir):
    path = os.path.join(pin_dir, "fg_expstate")
    fd = obj_get(path)
    i = info(fd)
    assert i["type"] == ARRAY and i["value_size"] == ROW, i
    saved = list(rows(fd, i["entries"]))
    os.close(fd)
    name = b"fg_expstate".ljust(16, b"\0")
    attr = struct.pack("=7I16s", HASH, KEY, SHADOW, i["entries"], 0, 0, 0,
                       name)
    hfd, _ = bpf(MAP_CREATE, attr)
    packets = 0
    for k, v in saved:
        kb = ctypes.create_string_buffer(k, KEY)
        vb = ctypes.create_string_buffer(v, SHADOW)
        bpf(MAP_UPDATE, struct.pack("=IIQQQ", hfd, 0, ctypes.addressof(kb),
                                    ctypes.addressof(vb), 0))
        packets += struct.unpack("=Q", v[:8])[0]
    tmp = path + "_old"  # bpffs refuses names with a dot
    p = ctypes.create_string_buffer(tmp.encode())
    bpf(OBJ_PIN, struct.pack("=QII", ctypes.addressof(p), hfd, 0))
    os.rename(tmp, path)
    os.close(hfd)
    return {"shadows": len(saved), "packets": packets}


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "info":
        fd = obj_get(os.path.join(sys.argv[2], "fg_expstate"))
        i = info(fd)
        os.close(fd)
        print(json.dumps({k: i[k] for k in ("type", "flags", "entries")}))
    elif len(sys.argv) == 2:
        print(json.dumps(to_hash(sys.argv[1])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
