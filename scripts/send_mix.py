#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Send a known mix of valid and malformed frames with scapy.

Every frame carries what the guard must say about it under the default
profile: the check that drops it (or None) and the checks that fire on it
(`hits`, counted in `matched` whatever the action). Each malformed frame
trips exactly one check, so the expectation under any profile or per-check
setting follows from the check's action alone (see tests/e2e/fg_expect.py).

    send_mix.py --iface IF --src-mac M --dst-mac M --set mix [--repeat N]

prints the frames it sent as JSON, one object per frame:
    {"name": ..., "len": frame bytes, "drop": check or null, "hits": [..]}
--list prints the same without sending. Run it with /usr/bin/python3 (the
system python has scapy) inside the sender's network namespace.
"""
import argparse
import json
import sys
import time


def valid_frames(a, E):
    """(name, frame) pairs that every check lets through untouched."""
    from scapy.all import (ARP, ICMP, IP, TCP, UDP, Dot1Q, Ether, ICMPv6EchoRequest,
                           ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr, IPOption_NOP,
                           IPv6, Raw)
    v4 = IP(src=a.src4, dst=a.dst4)
    v6 = IPv6(src=a.src6, dst=a.dst6)
    pl = Raw(b"flowgate-e2e")
    sn = "ff02::1:ff" + "%02x:%02x%02x" % tuple(
        __import__("ipaddress").IPv6Address(a.dst6).packed[13:])
    return [
        ("ipv4 tcp syn", E() / v4 / TCP(sport=40000, dport=80, flags="S")),
        ("ipv4 tcp ack+data", E() / v4 / TCP(sport=40000, dport=80,
                                             flags="PA") / pl),
        ("ipv4 tcp fin+ack", E() / v4 / TCP(sport=40000, dport=80,
                                            flags="FA")),
        ("ipv4 udp", E() / v4 / UDP(sport=40001, dport=9) / pl),
        ("ipv4 icmp echo", E() / v4 / ICMP(id=1, seq=1) / pl),
        ("ipv4 options", E() / IP(src=a.src4, dst=a.dst4,
                                  options=[IPOption_NOP()] * 4)
         / UDP(sport=40002, dport=9) / pl),
        ("ipv6 tcp syn", E() / v6 / TCP(sport=40000, dport=80, flags="S")),
        ("ipv6 udp", E() / v6 / UDP(sport=40001, dport=9) / pl),
        ("ipv6 icmp echo", E() / v6 / ICMPv6EchoRequest(id=1, seq=1)),
        ("arp request", Ether(src=a.src_mac, dst="ff:ff:ff:ff:ff:ff")
         / ARP(op=1, hwsrc=a.src_mac, psrc=a.src4, pdst=a.dst4)),
        ("ipv6 neighbour solicitation",
         Ether(src=a.src_mac, dst="33:33:ff" + a.dst6_mac_tail)
         / IPv6(src=a.src6, dst=sn, hlim=255)
         / ICMPv6ND_NS(tgt=a.dst6) / ICMPv6NDOptSrcLLAddr(lladdr=a.src_mac)),
        ("vlan 100 ipv4 udp", E() / Dot1Q(vlan=100) / v4
         / UDP(sport=40003, dport=9) / pl),
    ]


def bad_frames(a, E):
    """(name, frame, check) triples: each trips exactly one check."""
    from scapy.all import (ICMP, IP, TCP, UDP, ICMPv6EchoRequest, IPv6,
                           IPv6ExtHdrDestOpt, IPv6ExtHdrRouting, Raw)
    s4, d4, s6, d6 = a.src4, a.dst4, a.src6, a.dst6
    pl = Raw(b"flowgate-e2e")
    u = UDP(sport=40010, dport=9)
    chain = IPv6ExtHdrDestOpt()
    for _ in range(8):  # 9 headers: one more than the parser walks
        chain = chain / IPv6ExtHdrDestOpt()
    return [
        ("bad ipv4 checksum", E() / IP(src=s4, dst=d4, chksum=0x1234) / u / pl,
         "ip4-csum"),
        ("ipv4 ihl 4", E() / IP(src=s4, dst=d4, ihl=4) / u, "ip4-ihl"),
        ("ipv4 total length beyond frame",
         E() / IP(src=s4, dst=d4, len=400) / u / pl, "ip4-totlen"),
        ("tiny first fragment", E() / IP(src=s4, dst=d4, proto=6,
                                         flags="MF", frag=0)
         / Raw(b"\x9c\x40\x00\x50\x00\x00\x00\x00"), "tiny-frag"),
        ("tcp fragment at offset 8", E() / IP(src=s4, dst=d4, proto=6, frag=1)
         / Raw(b"\x00" * 20), "tiny-frag"),
        ("tcp syn+fin", E() / IP(src=s4, dst=d4)
         / TCP(sport=40020, dport=80, flags="SF"), "tcp-flags"),
        ("tcp null scan", E() / IP(src=s4, dst=d4)
         / TCP(sport=40021, dport=80, flags=0), "tcp-flags"),
        ("tcp xmas scan", E() / IP(src=s4, dst=d4)
         / TCP(sport=40022, dport=80, flags="FPU"), "tcp-flags"),
        ("ipv6 tcp syn+fin", E() / IPv6(src=s6, dst=d6)
         / TCP(sport=40023, dport=80, flags="SF"), "tcp-flags"),
        ("tcp data offset 4", E() / IP(src=s4, dst=d4)
         / TCP(sport=40024, dport=80, flags="S", dataofs=4), "tcp-doff"),
        ("tcp port 0", E() / IP(src=s4, dst=d4)
         / TCP(sport=40025, dport=0, flags="S"), "port-zero"),
        ("udp source port 0", E() / IP(src=s4, dst=d4)
         / UDP(sport=0, dport=9) / pl, "port-zero"),
        ("udp length mismatch", E() / IP(src=s4, dst=d4)
         / UDP(sport=40026, dport=9, len=50) / pl, "udp-len"),
        ("martian source 127.0.0.1", E() / IP(src="127.0.0.1", dst=d4) / u
         / pl, "martian-src"),
        ("ipv6 loopback source", E() / IPv6(src="::1", dst=d6) / u / pl,
         "martian-src"),
        ("land", E() / IP(src=d4, dst=d4)
         / TCP(sport=40027, dport=80, flags="S"), "land"),
        ("ipv6 payload length beyond frame", E() / IPv6(src=s6, dst=d6,
                                                        plen=300) / u / pl,
         "ip6-paylen"),
        ("ipv6 9 extension headers", E() / IPv6(src=s6, dst=d6) / chain / u
         / pl, "ip6-ext-chain"),
        # Counted, not dropped, by the default profile.
        ("ipv4 ttl 0", E() / IP(src=s4, dst=d4, ttl=0) / ICMP(id=2) / pl,
         "ttl-zero"),
        ("ipv6 hop limit 0", E() / IPv6(src=s6, dst=d6, hlim=0)
         / ICMPv6EchoRequest(id=2), "ttl-zero"),
        ("ipv6 routing header type 0", E() / IPv6(src=s6, dst=d6)
         / IPv6ExtHdrRouting(type=0, addresses=["2001:db8::3"], segleft=1)
         / u / pl, "ip6-rh0"),
    ]


# Checks the default profile counts rather than drops (fg_common.h).
DEFAULT_COUNT = {"ttl-zero", "ip6-rh0"}


def frames(a, which):
    from scapy.all import Ether

    def E():
        return Ether(src=a.src_mac, dst=a.dst_mac)

    out = []
    if which in ("valid", "mix"):
        out += [(n, f, None, []) for n, f in valid_frames(a, E)]
    if which in ("bad", "mix"):
        for n, f, r in bad_frames(a, E):
            out.append((n, f, None if r in DEFAULT_COUNT else r, [r]))
    if which == "synfin":
        out += [(n, f, r, [r]) for n, f, r in bad_frames(a, E)
                if n == "tcp syn+fin"]
    if not out:
        sys.exit("send_mix.py: unknown set '%s'" % which)
    return out


def add_frame_args(ap):
    """The addresses of the frames, for every sender of these sets."""
    ap.add_argument("--src-mac", default="02:00:00:00:00:01")
    ap.add_argument("--dst-mac", default="02:00:00:00:00:02")
    ap.add_argument("--src4", default="192.0.2.1")
    ap.add_argument("--dst4", default="192.0.2.2")
    ap.add_argument("--src6", default="2001:db8::1")
    ap.add_argument("--dst6", default="2001:db8::2")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--iface")
    add_frame_args(ap)
    ap.add_argument("--set", default="mix",
                    help="valid, bad, mix (both) or synfin")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--list", action="store_true",
                    help="print the frames, send nothing")
    a = ap.parse_args()
    import ipaddress
    b = ipaddress.IPv6Address(a.dst6).packed
    a.dst6_mac_tail = ":%02x:%02x:%02x" % (b[13], b[14], b[15])

    from scapy.all import conf, sendp
    conf.verb = 0
    fl = frames(a, a.set) * max(1, min(a.repeat, 10000))
    if not a.list:
        if not a.iface:
            sys.exit("send_mix.py: --iface is needed to send")
        raw = [f for _, f, _, _ in fl]
        # Batches of 64 with a breath in between: a veth with a native XDP
        # program queues frames on a 256-slot ring, and nothing may be lost.
        for i in range(0, len(raw), 64):
            sendp(raw[i:i + 64], iface=a.iface, verbose=0)
            time.sleep(0.01)
    json.dump([{"name": n, "len": len(bytes(f)), "drop": r, "hits": h}
               for n, f, r, h in fl], sys.stdout)
    print()


if __name__ == "__main__":
    main()
