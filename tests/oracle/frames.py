#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Frames for the oracle test: a seeded set of mutations of valid TCP,
UDP and ICMP frames over IPv4 and IPv6 (options, extension headers,
fragments, lengths, sources, TCP flags and offsets), as an Ethernet
capture from TX_MAC to RX_MAC. L4 checksums are right for the bytes sent
(a wrong one is out of scope), except where a mutation cuts the frame.

usage: frames.py RX_MAC TX_MAC SEED COUNT OUT.pcap
"""
import random
import logging
import struct
import sys

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import IP, TCP, UDP, ICMP, IPv6, ICMPv6EchoRequest, Raw, conf

conf.verb = 0
PORTS = (80, 53, 7, 9999)  # the receiver listens on these (TCP and UDP)
S4, D4 = "192.0.2.1", "198.51.100.2"
S6, D6 = "2001:db8::1", "2001:db8:1::2"


def frame(l3, rx, tx):
    et = b"\x08\x00" if l3[0] >> 4 == 4 else b"\x86\xdd"
    return rx + tx + et + l3


def csum(b):
    if len(b) % 2:
        b += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def l4_csum6(src, dst, nh, up):
    """The upper-layer checksum over an IPv6 pseudo-header."""
    off = {6: 16, 17: 6, 58: 2}[nh]
    up = bytearray(up)
    if len(up) < off + 2:
        return bytes(up)
    up[off:off + 2] = b"\x00\x00"
    ph = src + dst + struct.pack("!IxxxB", len(up), nh)
    c = csum(ph + bytes(up))
    up[off:off + 2] = struct.pack("!H", c or 0xffff)
    return bytes(up)


# ---- mutations --------------------------------------------------------------

def ip4_opts(rnd):
    """Option bytes, well-formed or not (length, pointer, type)."""
    out = b""
    for _ in range(rnd.randint(1, 3)):
        t = rnd.choice([1, 0, 7, 68, 131, 137, 148, 30, 130, 133])
        if t in (0, 1):
            out += bytes([t])
            continue
        ln = rnd.choice([rnd.randint(0, 12), 4, 7, 8, 11, 12])
        ptr = rnd.choice([rnd.randint(0, 16), 4, 5, 8, 9, 13])
        body = [t, ln, ptr, rnd.choice([0, 1, 3, 0xf0, 0xe1])]
        body += [rnd.randint(0, 255) for _ in range(max(0, ln - 4))]
        out += bytes(body[:max(ln, 2)] if rnd.random() < 0.9 else body[:1])
    out = out[:40]
    return out + b"\x00" * (-len(out) % 4)


def tlvs(rnd, hbh):
    """Option TLVs for a hop-by-hop or destination header."""
    out = b""
    for _ in range(rnd.randint(0, 4)):
        c = rnd.random()
        if c < 0.2:
            out += b"\x00" * rnd.randint(1, 9)  # Pad1 run
        elif c < 0.4:
            n = rnd.randint(0, 7)
            out += bytes([1, n]) + bytes(rnd.choice([0, 0, 0, 1]) for _ in range(n))
        elif c < 0.55 and hbh:
            out += bytes([5, rnd.choice([2, 2, 3, 1]), 0, 0])[:4]
        elif c < 0.7 and hbh:
            ln = rnd.choice([70000, 1000, 65536, 0x7fffffff])
            out += bytes([0xc2, rnd.choice([4, 4, 3])]) + struct.pack("!I", ln)
        else:
            t = rnd.choice([0x1e, 0x5e, 0x9e, 0xde, 0x3e])
            n = rnd.randint(0, 6)
            out += bytes([t, n]) + bytes(n)
    pad = -(len(out) + 2) % 8
    if rnd.random() < 0.85:
        out += b"\x00" if pad == 1 else (bytes([1, pad - 2]) + bytes(pad - 2) if pad else b"")
    elif rnd.random() < 0.5:
        out += bytes([0x1e, 9])  # runs past the header
        out += b"\x00" * (-(len(out) + 2) % 8)
    return out


def l4(rnd, v6):
    k = rnd.choice(["tcp", "udp", "icmp"])
    dport = rnd.choice(PORTS)
    data = bytes(rnd.randint(0, 255) for _ in range(rnd.choice([0, 4, 16, 40])))
    if k == "tcp":
        fl = rnd.choice(["S", "A", "PA", "FA", "R", "SA", "SF", "F", "", "FPU"])
        t = TCP(sport=rnd.randint(1024, 65535), dport=dport, flags=fl)
        if rnd.random() < 0.3:
            t.options = [("MSS", 1460), ("SAckOK", b""), ("NOP", None), ("WScale", 7)]
        if rnd.random() < 0.15:
            t.dataofs = rnd.randint(0, 15)
        if rnd.random() < 0.05:
            t.sport = 0
        return t / Raw(data)
    if k == "udp":
        u = UDP(sport=rnd.randint(1024, 65535), dport=dport)
        if rnd.random() < 0.3:
            u.len = rnd.choice([0, 7, 8, 8 + len(data) - 1, 8 + len(data) + 1,
                                8 + len(data) // 2])
        return u / Raw(data)
    if v6:
        return ICMPv6EchoRequest(id=1, seq=1, data=data)
    return ICMP(type=8) / Raw(data)


def mutate4(rnd):
    src = S4
    if rnd.random() < 0.15:
        src = rnd.choice(["0.1.2.3", "240.0.0.1", "255.1.2.3", "127.0.0.1",
                          "224.0.0.9", "255.255.255.255", "0.0.0.0"])
    ip = IP(src=src, dst=rnd.choice([D4, "203.0.113.7"]), ttl=64)
    if rnd.random() < 0.45:
        ip.options = ip4_opts(rnd)
    pl = l4(rnd, False)
    if rnd.random() < 0.2:
        ip.flags = rnd.choice(["MF", 0, "DF"])
        ip.frag = rnd.choice([0, 0, 1, 3, 100, 8189])
    p = ip / pl
    raw = bytearray(bytes(p))
    c = rnd.random()
    if c < 0.08:
        raw[2:4] = struct.pack("!H", max(0, len(raw) + rnd.choice([-9, -1, 1, 5])))
    elif c < 0.12:
        raw[0] = 0x40 | rnd.randint(0, 15)
    elif c < 0.15:
        raw[8] = 0
    if c < 0.15 or ip.options:
        raw[10:12] = b"\x00\x00"
        if rnd.random() < 0.97:
            s = sum(struct.unpack("!%dH" % ((raw[0] & 15) * 2), bytes(raw[:(raw[0] & 15) * 4]))) if len(raw) >= (raw[0] & 15) * 4 else 0
            while s >> 16:
                s = (s & 0xffff) + (s >> 16)
            raw[10:12] = struct.pack("!H", ~s & 0xffff)
    if rnd.random() < 0.05:
        raw = raw[:rnd.randint(1, len(raw))]
    return bytes(raw)


def mutate6(rnd):
    src = S6
    if rnd.random() < 0.1:
        src = rnd.choice(["::1", "ff02::1", "::", "fe80::1"])
    ip = IPv6(src=src, dst=rnd.choice([D6, "2001:db8:2::9"]), hlim=64)
    chain = []
    for _ in range(rnd.choice([0, 1, 1, 2, 3])):
        k = rnd.choice(["hbh", "dst", "rt", "frag"])
        if k == "hbh" and not chain:
            chain.append(("hbh", tlvs(rnd, True)))
        elif k in ("dst", "hbh"):
            chain.append(("dst", tlvs(rnd, False)))
        elif k == "rt":
            chain.append(("rt", rnd.choice([0, 2, 4, 3])))
        else:
            chain.append(("frag", rnd.choice([0, 0, 8, 1000]), rnd.choice([0, 1])))
    pl = l4(rnd, True)
    nh = {TCP: 6, UDP: 17}.get(type(pl), 58)
    body = l4_csum6(bytes(ip)[8:24], bytes(ip)[24:40], nh, bytes(pl))
    if rnd.random() < 0.1 and chain and chain[-1][0] == "frag":
        body = body[:rnd.randint(0, len(body))]
    # build the chain backwards, raw
    for h in reversed(chain):
        if h[0] in ("hbh", "dst"):
            opts = h[1]
            hdr = bytes([nh, (len(opts) + 2) // 8 - 1 if (len(opts) + 2) % 8 == 0 else max(0, (len(opts) + 2) // 8 - 1)]) + opts
            nh_new = 0 if h[0] == "hbh" else 60
        elif h[0] == "rt":
            hdr = bytes([nh, 2, h[1], 1, 0, 0, 0, 0]) + bytes(16)
            nh_new = 43
        else:
            fo = (h[1] & ~7) | h[2]
            hdr = bytes([nh, 0]) + struct.pack("!HI", fo, rnd.randint(1, 1 << 30))
            nh_new = 44
        body = hdr + body
        nh = nh_new
    plen = len(body)
    c = rnd.random()
    if c < 0.08:
        plen = max(0, plen + rnd.choice([-8, -1, 1, 3]))
    elif c < 0.14 and chain and chain[0][0] == "hbh":
        plen = 0
    hdr = bytes(ip)[:40]
    hdr = hdr[:4] + struct.pack("!HBB", plen, nh, 64) + hdr[8:40]
    raw = hdr + body
    # L4 checksum over the final bytes (scapy did it for the unchained L4)
    return raw


def main():
    rx = bytes.fromhex(sys.argv[1].replace(":", ""))
    tx = bytes.fromhex(sys.argv[2].replace(":", ""))
    seed, count, out = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    rnd = random.Random(seed)
    w = open(out, "wb")
    w.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(count):
        v6 = rnd.random() < 0.5
        try:
            l3 = mutate6(rnd) if v6 else mutate4(rnd)
        except Exception as e:
            print("# mutation %d: %s" % (i, e), file=sys.stderr)
            continue
        if not l3:
            continue
        f = frame(l3, rx, tx)
        w.write(struct.pack("<IIII", i, 0, len(f), len(f)) + f)
    w.close()


if __name__ == "__main__":
    main()
