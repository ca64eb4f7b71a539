#!/usr/bin/python3
"""Send a known set of packets for test_flows.sh and print what was sent.

flow_send.py IFACE SRC_MAC DST_MAC SRC4 DST4 SRC6 DST6 SET
prints {"packets": K, "octets": IP-layer bytes, "flows": M}. Sets:
  mix    IPv4 UDP over 150 flows, IPv6 UDP over 50, VLAN 42 IPv4 over 10,
         fragmented UDP (3 datagrams in 3 fragments), TCP over 5 flows
  udp400 400 IPv4 UDP packets over 40 flows
  frag   one UDP datagram 5555 -> 6666 in 3 fragments
  synfin 20 TCP SYN+FIN (dropped by the guard)
  tcpflags one TCP flow: SYN, PSH+ACK, FIN+ACK (flags OR 0x1b)
  lldp   3 LLDP frames (EtherType 0x88cc, not IP)
  many   3000 IPv4 UDP packets over 3000 flows
  steady 800 IPv4 UDP packets over 8 flows (7000-7007 -> 7100), one every
         ~10 ms: a stream lasting several seconds
FLOW_INTER=S in the environment spaces the frames S seconds apart.
"""
import os
import json
import sys

from scapy.all import (IP, UDP, TCP, Dot1Q, Ether, IPv6, Raw, conf,
                       fragment, sendp)

conf.verb = 0
iface, smac, dmac, s4, d4, s6, d6, which = sys.argv[1:9]
eth = Ether(src=smac, dst=dmac)


def udp4(n, m, base=10000):
    return [IP(src=s4, dst=d4) / UDP(sport=base + i % m, dport=53) /
            (b"q" * 20) for i in range(n)]


def frags(sport, dport):
    dgram = IP(src=s4, dst=d4, id=4242) / UDP(sport=sport, dport=dport) / \
        (b"f" * 2800)
    return fragment(dgram, fragsize=1000)


sets = {
    "mix": lambda: (
        udp4(300, 150) +
        [IPv6(src=s6, dst=d6) / UDP(sport=20000 + i % 50, dport=53) /
         (b"6" * 30) for i in range(100)] +
        [("vlan", IP(src=s4, dst=d4) / UDP(sport=30000 + i % 10, dport=9) /
          (b"v" * 10)) for i in range(50)] +
        frags(5555, 6666) + frags(5556, 6666) + frags(5557, 6666) +
        [IP(src=s4, dst=d4) / TCP(sport=40000 + i % 5, dport=80,
                                  flags="A") for i in range(50)]),
    "udp400": lambda: udp4(400, 40),
    "frag": lambda: frags(5555, 6666),
    "tcpflags": lambda: [IP(src=s4, dst=d4) / TCP(sport=42000, dport=80,
                                                  flags=f)
                         for f in ("S", "PA", "FA")],
    "lldp": lambda: [("l2", Raw(b"\x02\x07\x04" + b"l" * 40))] * 3,
    "steady": lambda: [IP(src=s4, dst=d4) / UDP(sport=7000 + i % 8,
                                                 dport=7100) / (b"s" * 32)
                       for i in range(800)],
    "many": lambda: [IP(src=s4, dst=d4) / UDP(sport=1024 + i, dport=5353) /
                     b"m" for i in range(3000)],
    "synfin": lambda: [IP(src=s4, dst=d4) / TCP(sport=41000, dport=80,
                                                flags="SF")] * 20,
}
pkts = sets[which]()
frames, octets = [], 0
for p in pkts:
    if isinstance(p, tuple) and p[0] == "l2":
        frames.append(Ether(src=smac, dst=dmac, type=0x88cc) / p[1])
        octets += len(frames[-1])  # non-IP: frame octets
        continue
    if isinstance(p, tuple):
        p = p[1]
        frames.append(eth / Dot1Q(vlan=42) / p)
    else:
        frames.append(eth / p)
    octets += len(p)
sendp(frames, iface=iface, inter=float(os.environ.get("FLOW_INTER", 0)))
print(json.dumps({"packets": len(frames), "octets": octets}))
