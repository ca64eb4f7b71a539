#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""XDP programs on a link, as libxdp sees them: xdp_progs.py DEV [--main].

Prints the IDs of the programs that run on DEV's XDP hook, space-separated,
in run order: with libxdp's dispatcher its component programs, else the one
program attached; nothing when there is none. --main prints the program the
link holds ("dispatcher ID" or "program ID"). Uses the system libxdp, so it
reads the dispatcher's pins where flowgate and xdp-loader do (set
LIBXDP_BPFFS as they see it). Exit status 1 when libxdp fails.
"""
import ctypes
import errno
import socket
import sys

xdp = ctypes.CDLL("libxdp.so.1")
for fn, res in (("xdp_multiprog__get_from_ifindex", ctypes.c_void_p),
                ("xdp_multiprog__main_prog", ctypes.c_void_p),
                ("xdp_multiprog__next_prog", ctypes.c_void_p),
                ("xdp_multiprog__is_legacy", ctypes.c_bool),
                ("xdp_program__id", ctypes.c_uint32),
                ("libxdp_get_error", ctypes.c_long)):
    getattr(xdp, fn).restype = res
    getattr(xdp, fn).argtypes = [ctypes.c_void_p] * (
        2 if fn == "xdp_multiprog__next_prog" else 1)
xdp.xdp_multiprog__get_from_ifindex.argtypes = [ctypes.c_int]
xdp.xdp_multiprog__close.argtypes = [ctypes.c_void_p]


def main():
    mp = xdp.xdp_multiprog__get_from_ifindex(socket.if_nametoindex(sys.argv[1]))
    err = xdp.libxdp_get_error(mp)
    if err == -errno.ENOENT:
        return 0  # no program on the link
    if err:
        print(f"libxdp: {errno.errorcode.get(-err, err)}", file=sys.stderr)
        return 1
    legacy = xdp.xdp_multiprog__is_legacy(mp)
    main_prog = xdp.xdp_multiprog__main_prog(mp)
    if "--main" in sys.argv[2:]:
        kind = "program" if legacy else "dispatcher"
        print(f"{kind} {xdp.xdp_program__id(main_prog)}" if main_prog else "")
    elif legacy:
        print(xdp.xdp_program__id(main_prog) if main_prog else "")
    else:
        ids, p = [], xdp.xdp_multiprog__next_prog(None, mp)
        while p:
            ids.append(str(xdp.xdp_program__id(p)))
            p = xdp.xdp_multiprog__next_prog(p, mp)
        print(" ".join(ids))
    xdp.xdp_multiprog__close(mp)
    return 0


sys.exit(main())
