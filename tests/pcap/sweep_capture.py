#!/usr/bin/python3
"""Writes the capture of test_sweep_index.sh (deterministic, seeded):
about 80 s of IPv4/IPv6 UDP and TCP flows shaped to meet every case of the
exporter's index (ctl/export/exp_index.c, ctl/export/export.c):

- short flows starting all along the capture (flows the index has not seen
  when they become due: the whole-table reads);
- long flows, a packet every 0.5-2 s (active timeouts, deltas);
- gappy flows whose silences straddle the idle timeouts of the test
  (a flow due by its idle timeout that got a packet since: looked up and
  kept; or expired, then the same key again as a new flow);
- TCP flows closed with FIN (end detected);
- a burst of 3,000 one-packet flows at one instant (many due at once: a
  whole read instead of lookups).

    sweep_capture.py OUT
"""
import random
import struct
import sys

T0 = 1704067200


def csum(b):
    s = sum(b[i] << 8 | b[i + 1] for i in range(0, len(b), 2))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(f, flags):
    """Ethernet + IP + UDP/TCP, no payload checksum (not checked)."""
    v6, src, dst, sport, dport, tcp = f
    l4 = (struct.pack(">HHIIBBHHH", sport, dport, 1, 0, 0x50, flags,
                      8192, 0, 0) if tcp else
          struct.pack(">HHHH", sport, dport, 8 + 16, 0) + bytes(16))
    proto = 6 if tcp else 17
    if v6:
        ip = struct.pack(">IHBB", 6 << 28, len(l4), proto, 64)
        ip += bytes.fromhex("20010db8") + bytes(10) + struct.pack(">H", src)
        ip += bytes.fromhex("20010db8") + bytes(10) + struct.pack(">H", dst)
        eth = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x86\xdd"
    else:
        ip = bytearray(struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(l4),
                                   0, 0, 64, proto, 0,
                                   bytes([198, 51, 100, src & 0xFF]),
                                   bytes([203, 0, 113, dst & 0xFF])))
        ip[10:12] = struct.pack(">H", csum(ip))
        ip = bytes(ip)
        eth = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00"
    return eth + ip + l4


def main():
    rnd = random.Random(20240101)
    pkts = []  # (time, flow, tcp flags)
    n = 0

    def flow(tcp=False, v6=None):
        nonlocal n
        n += 1
        v6 = rnd.random() < 0.2 if v6 is None else v6
        return (v6, n % 250 + 1, n // 250 + 1, 1024 + n, 53 if not tcp
                else 443, tcp)

    for _ in range(300):  # short
        f, t = flow(), rnd.uniform(0, 75)
        for _ in range(rnd.randint(1, 5)):
            pkts.append((t, f, 0))
            t += rnd.uniform(0, 0.3)
    for _ in range(100):  # long
        f, t = flow(), rnd.uniform(0, 20)
        end = t + rnd.uniform(30, 60)
        while t < end:
            pkts.append((t, f, 0))
            t += rnd.uniform(0.5, 2)
    for _ in range(100):  # gappy, around the idle timeouts 2, 4, 5, 7
        f, t = flow(), rnd.uniform(0, 30)
        for _ in range(rnd.randint(3, 10)):
            pkts.append((t, f, 0))
            t += rnd.choice((1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5)) + \
                rnd.uniform(0, 0.4)
    for _ in range(50):  # TCP, FIN at the end
        f, t = flow(tcp=True), rnd.uniform(0, 70)
        pkts.append((t, f, 0x02))
        for _ in range(rnd.randint(1, 6)):
            t += rnd.uniform(0.1, 1.5)
            pkts.append((t, f, 0x10))
        pkts.append((t + 0.1, f, 0x11))
    for _ in range(3000):  # burst
        pkts.append((40.0 + rnd.uniform(0, 0.01), flow(v6=False), 0))
    pkts.sort(key=lambda p: p[0])
    with open(sys.argv[1], "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 1))
        for t, f, flags in pkts:
            b = frame(f, flags)
            ns = int(t * 1e9)
            out.write(struct.pack("<IIII", T0 + ns // 10**9, ns % 10**9,
                                  len(b), len(b)))
            out.write(b)


if __name__ == "__main__":
    main()
