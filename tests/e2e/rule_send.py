#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Send frames for test_rules.sh and print what was sent as JSON.

rule_send.py IFACE SRC_MAC DST_MAC SRC4 DST4 SRC6 DST6 SET [ARGS]
Sets:
  udp4 DPORT N      N IPv4 UDP packets to DPORT (sport 40000)
  udp6 DPORT N      the same over IPv6
  arp N             N ARP requests (sender SRC4)
  ns N              N IPv6 neighbour solicitations from SRC6
  stream N SECONDS  N IPv4 UDP packets alternating dport 7000 and 7001,
                    paced evenly over SECONDS, through a raw socket
prints {"packets": K, "octets": IP bytes, "by_dport": {port: count}}.
"""
import json
import socket
import sys
import time

from scapy.all import (ARP, IP, UDP, Ether, ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr,
                       IPv6, conf, sendp)

conf.verb = 0
iface, smac, dmac, s4, d4, s6, d6, which = sys.argv[1:9]
args = sys.argv[9:]
eth = Ether(src=smac, dst=dmac)


def udp(ip, dport, n):
    return [eth / ip / UDP(sport=40000, dport=dport) / (b"r" * 18)] * n


def stream(n, secs):
    """Prebuilt frames through AF_PACKET, in bursts on a fixed schedule."""
    frames = [bytes(eth / IP(src=s4, dst=d4) / UDP(sport=40000, dport=p) /
                    (b"s" * 18)) for p in (7000, 7001)]
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((iface, 0))
    burst, start, sent = 50, time.monotonic(), 0
    while sent < n:
        for _ in range(min(burst, n - sent)):
            sock.send(frames[sent % 2])
            sent += 1
        due = start + secs * sent / n
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    print(json.dumps({"packets": n, "octets": (len(frames[0]) - 14) * n,
                      "by_dport": {"7000": (n + 1) // 2, "7001": n // 2}}))


if which == "stream":
    stream(int(args[0]), float(args[1]))
    sys.exit(0)
if which == "udp4":
    frames = udp(IP(src=s4, dst=d4), int(args[0]), int(args[1]))
elif which == "udp6":
    frames = udp(IPv6(src=s6, dst=d6), int(args[0]), int(args[1]))
elif which == "arp":
    frames = [Ether(src=smac, dst="ff:ff:ff:ff:ff:ff") /
              ARP(op=1, hwsrc=smac, psrc=s4, pdst=d4)] * int(args[0])
elif which == "ns":
    frames = [eth / IPv6(src=s6, dst=d6, hlim=255) / ICMPv6ND_NS(tgt=d6) /
              ICMPv6NDOptSrcLLAddr(lladdr=smac)] * int(args[0])
else:
    sys.exit("unknown set " + which)
sendp(frames, iface=iface)
print(json.dumps({"packets": len(frames),
                  "octets": sum(len(f) - 14 for f in frames)}))
