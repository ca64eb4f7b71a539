#!/usr/bin/python3
"""Builds a large Ethernet pcap for bench/replay.sh from the shared captures
(never committed: written to /tmp by default).

    bench/big_pcap.py OUT PACKETS [PCAP...]
    env VARIANTS=K: only K different rewrites, round k using k % K (fewer
    flows: the rounds repeat each other's); default: every round its own

The Ethernet captures given (pcapng ones must be converted first, see
replay.sh; other link types are left out) are read and written round after round until PACKETS frames were
written. Round k rewrites the source address of untagged IPv4 and IPv6
packets (IPv4: second octet XOR k, header checksum recomputed; IPv6: fourth
byte XOR k), so that every round adds its own flows instead of repeating
the first round's. Timestamps are rewritten to one packet every 10 us from
2024-01-01, so the capture's clock moves forward steadily: a 3M-packet
capture spans 30 s, within every default timeout of flowgate and softflowd
(no timeout splits in the bench)."""
import os
import struct
import sys

T0 = 1704067200
STEP_NS = 10000


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        end = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        end = ">"
    else:
        raise SystemExit(f"{path}: not a pcap file (convert pcapng first)")
    if struct.unpack(end + "I", data[20:24])[0] != 1:
        print(f"{path}: not Ethernet, left out", file=sys.stderr)
        return []
    off, frames = 24, []
    while off + 16 <= len(data):
        _, _, cap, wire = struct.unpack(end + "IIII", data[off:off + 16])
        frames.append((data[off + 16:off + 16 + cap], wire))
        off += 16 + cap
    return frames


def ip4_csum(hdr):
    s = 0
    for i in range(0, len(hdr), 2):
        s += hdr[i] << 8 | hdr[i + 1]
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def mutate(frame, k):
    if k == 0 or len(frame) < 34:
        return frame
    b = bytearray(frame)
    et = b[12] << 8 | b[13]
    if et == 0x0800 and b[14] >> 4 == 4:
        ihl = (b[14] & 15) * 4
        if ihl < 20 or len(b) < 14 + ihl:
            return frame
        b[27] ^= k & 0xFF
        b[24:26] = b"\0\0"
        b[24:26] = struct.pack(">H", ip4_csum(b[14:14 + ihl]))
    elif et == 0x86DD and len(b) >= 54:
        b[25] ^= k & 0xFF
    return bytes(b)


def main():
    out, total, srcs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    frames = [fr for p in srcs for fr in read_pcap(p)]
    if not frames:
        raise SystemExit("no frames")
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, 1))
        n = k = 0
        variants = int(os.environ.get("VARIANTS", "0"))
        while n < total:
            for data, wire in frames:
                if n == total:
                    break
                t = T0 * 10**9 + n * STEP_NS
                d = mutate(data, k % variants if variants else k)
                f.write(struct.pack("<IIII", t // 10**9, t % 10**9, len(d),
                                    wire))
                f.write(d)
                n += 1
            k += 1
    print(f"{out}: {total} packets, {k} rounds of {len(frames)}")


if __name__ == "__main__":
    main()
