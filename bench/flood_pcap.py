#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A flood capture for bench/cost.sh -f: N frames from N distinct sources
(198.18.0.0/15, RFC 2544's benchmarking block), alternately UDP to port 0
(port-zero, a policy drop, the issue's flood) and UDP with a bad IPv4 header
checksum (ip4-csum, a malformed drop), 60 bytes each.

    flood_pcap.py OUT.pcap [N]
"""
import sys

from scapy.all import IP, UDP, Ether, Raw, wrpcap


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    frames = []
    for i in range(n):
        # 198.18.0.0/15 holds 131,072 sources
        src = "198.%d.%d.%d" % (18 + i // 65536 % 2, i // 256 % 256, i % 256)
        eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
        if i % 2 == 0:
            ip = IP(src=src, dst="192.0.2.2")
            l4 = UDP(sport=40000, dport=0)
        else:
            ip = IP(src=src, dst="192.0.2.2", chksum=0x1234)
            l4 = UDP(sport=40000, dport=9)
        frames.append(eth / ip / l4 / Raw(b"x" * 18))
    wrpcap(out, frames)


if __name__ == "__main__":
    main()
