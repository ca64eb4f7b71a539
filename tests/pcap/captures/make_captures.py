#!/usr/bin/python3
"""Writes the small crafted captures of tests/pcap (committed; rerun only to
change them): one link type or one failure each. Frames are built with
scapy, files are written by hand so that every header byte is chosen here.
Addresses are documentation ranges only."""
import os
import struct

from scapy.all import IP, TCP, UDP, Ether, IPv6, Raw, raw

HERE = os.path.dirname(os.path.abspath(__file__))
SRC4, DST4 = "192.0.2.1", "198.51.100.1"
SRC6, DST6 = "2001:db8::1", "2001:db8::2"

LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_IEEE802_11 = 105
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276


def pcap(name, linktype, records, tail=b""):
    """records: (data, wire_len or None); tail: raw bytes appended."""
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535,
                            linktype))
        for i, (data, wire) in enumerate(records):
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(data),
                                len(data) if wire is None else wire))
            f.write(data)
        f.write(tail)


def syn4(flags="S"):
    return raw(IP(src=SRC4, dst=DST4) / TCP(sport=40000, dport=80,
                                           flags=flags))


def syn6(flags="S"):
    return raw(IPv6(src=SRC6, dst=DST6) / TCP(sport=40000, dport=80,
                                             flags=flags))


def sll(proto, payload):
    # packet type, ARPHRD_ETHER, address length, address (8), protocol
    return struct.pack(">HHH8sH", 0, 1, 6, b"\x02\0\0\0\0\x01", proto) + \
        payload


def sll2(proto, payload):
    # protocol, reserved, ifindex, ARPHRD_ETHER, packet type, addr len, addr
    return struct.pack(">HHIHBB8s", proto, 0, 2, 1, 0, 6,
                       b"\x02\0\0\0\0\x01") + payload


def vlan_tag(vid, inner_proto):
    return struct.pack(">HH", vid, inner_proto)


def main():
    # Cooked captures: valid SYN (pass), SYN+FIN (tcp-flags), SYN+FIN behind
    # an 802.1Q tag (protocol 0x8100 passed through), IPv6 valid SYN.
    for name, lt, wrap in (("sll.pcap", LINKTYPE_LINUX_SLL, sll),
                           ("sll2.pcap", LINKTYPE_LINUX_SLL2, sll2)):
        pcap(name, lt, [
            (wrap(0x0800, syn4()), None),
            (wrap(0x0800, syn4("SF")), None),
            (wrap(0x8100, vlan_tag(42, 0x0800) + syn4("SF")), None),
            (wrap(0x86DD, syn6()), None),
        ])
    # Raw IP (LINKTYPE_RAW): the version nibble picks the EtherType.
    pcap("raw.pcap", LINKTYPE_RAW, [
        (syn4(), None),
        (syn4("SF"), None),
        (syn6(), None),
        (syn6("SF"), None),
        (b"\x50" + syn4()[1:], None),  # version 5: ip4-version
    ])
    pcap("ipv6.pcap", LINKTYPE_IPV6, [(syn6("SF"), None), (syn6(), None)])
    # Ethernet frames the test run cannot take as they are: empty and
    # 5-byte frames (eth-trunc, judged on the host), a 5-byte cut of a
    # 60-byte frame (pass: the header was not captured), a frame cut by
    # the snaplen inside its TCP header (pass, judged by wire length) and
    # a 4000-byte frame (skipped as too-big).
    eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    full = raw(eth / IP(src=SRC4, dst=DST4) / UDP(sport=4000, dport=53) /
               Raw(b"x" * 18))
    big = raw(eth / IP(src=SRC4, dst=DST4) / UDP(sport=4000, dport=53) /
              Raw(b"x" * (4000 - 42)))
    tcp = raw(eth / IP(src=SRC4, dst=DST4) / TCP(sport=40000, dport=80,
                                                   flags="S"))
    pcap("edge.pcap", LINKTYPE_ETHERNET, [
        (b"", None),
        (full[:5], None),
        (full[:5], len(full)),
        (tcp[:40], len(tcp)),
        (big, None),
        (full, None),
    ])
    # Failures.
    pcap("wifi.pcap", LINKTYPE_IEEE802_11, [(b"\x08\x00" + b"\0" * 22, None)])
    pcap("truncated.pcap", LINKTYPE_ETHERNET, [(full, None)],
         tail=struct.pack("<IIII", 1700000001, 0, 60, 60) + full[:20])
    with open(os.path.join(HERE, "not-a-capture.pcap"), "w") as f:
        f.write("this is not a capture file\n")


if __name__ == "__main__":
    main()
