#!/usr/bin/python3
"""Send a known set of packets for test_flows.sh and print what was sent.

flow_send.py IFACE SRC_MAC DST_MAC SRC4 DST4 SRC6 DST6 SET
prints {"packets": K, "octets": IP-layer bytes, "flows": M}. Sets:
  mix    IPv4 UDP over 150 flows, IPv6 UDP over 50, VLAN 42 IPv4 over 10,
         fragmented UDP (3 datagrams in 3 fragments), TCP over 5 flows
  udp400 400 IPv4 UDP packets over 40 flows
  frag   one UDP datagram 5555 -> 6666 in 3 fragments
  synfin 20 TCP SYN+FIN (dropped by the guard)
"""
import json
import sys

from scapy.all import IP, UDP, TCP, Dot1Q, Ether, IPv6, conf, fragment, sendp

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
    "synfin": lambda: [IP(src=s4, dst=d4) / TCP(sport=41000, dport=80,
                                                flags="SF")] * 20,
}
pkts = sets[which]()
frames, octets = [], 0
for p in pkts:
    if isinstance(p, tuple):
        p = p[1]
        frames.append(eth / Dot1Q(vlan=42) / p)
    else:
        frames.append(eth / p)
    octets += len(p)
sendp(frames, iface=iface)
print(json.dumps({"packets": len(frames), "octets": octets}))
