#!/usr/bin/python3
"""Send a known set of packets for test_flows.sh and print what was sent.

flow_send.py IFACE SRC_MAC DST_MAC SRC4 DST4 SRC6 DST6 SET [EXPECT]
prints {"packets": K, "octets": IP-layer bytes, "flows": M}. With EXPECT,
also writes there what each IP flow must show, computed from the very
frames sent (tests/interop): a JSON list of {ver, proto, src, dst, sport,
dport, vlan, packets, octets, tcp_flags, first_ms, first_hi_ms, last_lo_ms,
last_ms}: the wall clock just before and just after the send of the flow's
first frame (first_ms, first_hi_ms) and of its last (last_lo_ms, last_ms).
Sets:
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
  flagsor TCP flags OR-ed over a flow: IPv4 S,A,PA,PA,PA,FA (0x1b),
         IPv4 S+ECE+CWR,A,RA (0xd6), IPv6 S,A (0x12), VLAN 42 PA (0x18)
  slow   an IPv4 and an IPv6 UDP flow of 8 packets each, 0.3 s apart
         (2.1 s: longer than a 1 s active timeout)
FLOW_INTER=S in the environment spaces the frames S seconds apart.
"""
import os
import json
import sys
import time

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
    "flagsor": lambda: (
        [IP(src=s4, dst=d4) / TCP(sport=42000, dport=443, flags=f) /
         (b"t" * (0 if f in ("S", "A") else 100))
         for f in ("S", "A", "PA", "PA", "PA", "FA")] +
        [IP(src=s4, dst=d4) / TCP(sport=42001, dport=443, flags=f)
         for f in ("SEC", "A", "RA")] +
        [IPv6(src=s6, dst=d6) / TCP(sport=42002, dport=22, flags=f)
         for f in ("S", "A")] +
        [("vlan", IP(src=s4, dst=d4) / TCP(sport=42003, dport=80,
                                           flags="PA") / (b"w" * 40))
         for _ in range(4)]),
    # A float in a set is a pause of that many seconds.
    "slow": lambda: [x for i in range(8) for x in ([0.3] if i else []) + [
        IP(src=s4, dst=d4) / UDP(sport=43000, dport=7) / (b"s" * 64),
        IPv6(src=s6, dst=d6) / UDP(sport=43001, dport=7) / (b"s" * 64)]],
}


def flow_of(p, vlan, lent):
    """Flow key of one IP packet as flowgate keys it; later fragments
    borrow the ports of their first fragment."""
    if p.version == 6:
        ip = IPv6(bytes(p))
        key = [6, ip.nh, ip.src, ip.dst]
    else:
        ip = IP(bytes(p))
        key = [4, ip.proto, ip.src, ip.dst]
    frag = (key[2], key[3], key[1], ip.id) if key[0] == 4 else None
    flags = 0
    if key[0] == 4 and ip.frag:
        ports = lent[frag]
    else:
        l4 = ip.payload
        ports = (l4.sport, l4.dport)
        if key[0] == 4 and ip.flags.MF:
            lent[frag] = ports
        if TCP in ip:
            flags = int(ip[TCP].flags)
    return tuple(key) + ports + (vlan,), flags


def expectation(pkts, times):
    flows, lent = {}, {}
    for (p, vlan), (t0, t1) in zip(pkts, times):
        if p is None:
            continue  # not IP
        key, flags = flow_of(p, vlan, lent)
        f = flows.setdefault(key, {
            "ver": key[0], "proto": key[1], "src": key[2], "dst": key[3],
            "sport": key[4], "dport": key[5], "vlan": key[6],
            "packets": 0, "octets": 0, "tcp_flags": 0, "first_ms": t0,
            "first_hi_ms": t1})
        f["packets"] += 1
        f["octets"] += len(p)
        f["tcp_flags"] |= flags
        f["last_lo_ms"] = t0
        f["last_ms"] = t1
    return list(flows.values())


def send_timed(frames, inter, path):
    """One socket, each frame timed: the flows' first and last times."""
    sock, times = conf.L2socket(iface=iface), []
    for f in frames:
        if isinstance(f, float):
            time.sleep(f)
            continue
        t0 = time.time()
        sock.send(f)
        times.append((int(t0 * 1000), int(time.time() * 1000) + 1))
        if inter:
            time.sleep(inter)
    sock.close()
    with open(path, "w") as out:
        json.dump(expectation(sent, times), out)


def send_bursts(frames, inter):
    burst = []
    for f in frames + [0.0]:
        if isinstance(f, float):
            if burst:
                sendp(burst, iface=iface, inter=inter)
            time.sleep(f)
            burst = []
        else:
            burst.append(f)


pkts = sets[which]()
frames, octets, sent = [], 0, []  # sent: (IP packet or None, VLAN)
for p in pkts:
    if isinstance(p, float):
        frames.append(p)
        continue
    if isinstance(p, tuple) and p[0] == "l2":
        frames.append(Ether(src=smac, dst=dmac, type=0x88cc) / p[1])
        octets += len(frames[-1])  # non-IP: frame octets
        sent.append((None, 0))
        continue
    if isinstance(p, tuple):
        p = p[1]
        frames.append(eth / Dot1Q(vlan=42) / p)
        sent.append((p, 42))
    else:
        frames.append(eth / p)
        sent.append((p, 0))
    octets += len(p)
inter = float(os.environ.get("FLOW_INTER", 0))
if len(sys.argv) > 9:
    send_timed(frames, inter, sys.argv[9])
else:
    send_bursts(frames, inter)
print(json.dumps({"packets": len(sent), "octets": octets}))
