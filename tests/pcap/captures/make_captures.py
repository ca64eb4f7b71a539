#!/usr/bin/python3
"""Writes the small crafted captures of tests/pcap (committed; rerun only to
change them): one link type or one failure each. Frames are built with
scapy, files are written by hand so that every header byte is chosen here.
Addresses are documentation ranges only."""
import os
import struct

from scapy.all import (IP, TCP, UDP, Ether, IPv6, IPv6ExtHdrDestOpt, PadN,
                       Raw, raw)

HERE = os.path.dirname(os.path.abspath(__file__))
SRC4, DST4 = "192.0.2.1", "198.51.100.1"
SRC6, DST6 = "2001:db8::1", "2001:db8::2"

LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_IEEE802_11 = 105
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276


def pcap(name, linktype, records, tail=b"", nsec=False, times=None,
         snaplen=65535):
    """records: (data, wire_len or None); tail: raw bytes appended;
    times: (seconds, fraction) per record, the fraction in ns with nsec
    (nanosecond magic) and in us without; default one packet a second."""
    magic = 0xA1B23C4D if nsec else 0xA1B2C3D4
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(struct.pack("<IHHiIII", magic, 2, 4, 0, 0, snaplen,
                            linktype))
        for i, (data, wire) in enumerate(records):
            sec, frac = times[i] if times else (1700000000 + i, 0)
            f.write(struct.pack("<IIII", sec, frac, len(data),
                                len(data) if wire is None else wire))
            f.write(data)
        f.write(tail)


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def block(btype, body):
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def pcapng(name, idbs, records):
    """idbs: (linktype, tsresol or None); records: (interface, ns since
    the epoch, data, wire_len or None), written as enhanced packet blocks
    in the interface's resolution (10^-tsresol s, default 10^-6)."""
    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out = [shb]
    for lt, res in idbs:
        opts = b""
        if res is not None:
            opts = struct.pack("<HH", 9, 1) + pad4(bytes([res]))
            opts += struct.pack("<HH", 0, 0)
        out.append(block(1, struct.pack("<HHI", lt, 0, 65535) + opts))
    for ifc, ns, data, wire in records:
        res = idbs[ifc][1]
        ts = ns // 10 ** (9 - (6 if res is None else res))
        body = struct.pack("<IIIII", ifc, ts >> 32, ts & 0xFFFFFFFF,
                           len(data), len(data) if wire is None else wire)
        out.append(block(6, body + pad4(data)))
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(b"".join(out))


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
    # LINKTYPE_IPV4: always IPv4, whatever the version nibble says.
    pcap("ipv4.pcap", LINKTYPE_IPV4, [
        (syn4(), None),
        (b"\x60" + syn4()[1:], None),  # version 6 on an IPv4 link
    ])
    # Nanosecond pcap: the fractions are kept to the nanosecond (flow
    # times .999 ms, not rounded up), and a packet stamped before the one
    # in front of it (merged captures) does not move the clock back.
    t0 = 1700000000
    pcap("nsec.pcap", LINKTYPE_ETHERNET, [
        (raw(eth / IP(src=SRC4, dst=DST4) / UDP(sport=4000, dport=53)),
         None)] * 4, nsec=True,
        times=[(t0, 999999), (t0, 999999999), (t0 + 1, 1), (t0, 500)])
    # pcapng, microsecond (default) and nanosecond interfaces; and one
    # with two link types, which libpcap refuses at the second packet.
    ns0 = t0 * 10 ** 9
    syn = raw(eth / IP(src=SRC4, dst=DST4) / TCP(sport=40000, dport=80,
                                                   flags="S"))
    ack = raw(Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01") /
              IP(src=DST4, dst=SRC4) / TCP(sport=80, dport=40000,
                                           flags="SA"))
    pcapng("us.pcapng", [(LINKTYPE_ETHERNET, None)], [
        (0, ns0 + 1000, syn, None),
        (0, ns0 + 2000, ack, None),
        (0, ns0 + 1500000, raw(eth / IP(syn4("SF"))), None),
    ])
    pcapng("ns.pcapng", [(LINKTYPE_ETHERNET, 9)], [
        (0, ns0 + 1, syn, None),
        (0, ns0 + 999999, ack, None),
        (0, ns0 + 1000000, raw(eth / IPv6(syn6())), None),
    ])
    pcapng("two-links.pcapng", [(LINKTYPE_ETHERNET, None),
                                (LINKTYPE_RAW, None)], [
        (0, ns0, syn, None),
        (1, ns0 + 1000, syn4(), None),
    ])
    # Snaplen 64: lengths are the packets' own, not the capture's. A
    # 1500-byte TCP segment (octets 1500), an ARP frame cut to 20 bytes
    # (octets: its 60 bytes), a UDP length that disagrees with the IP header (udp-len:
    # both headers were captured), an IPv6 packet whose extension chain
    # runs past the cut (passes: the rest was not seen, not missing).
    big_tcp = raw(eth / IP(src=SRC4, dst=DST4) / TCP(sport=40000, dport=80,
                                                       flags="A") /
                  Raw(b"x" * 1460))
    arp = raw(Ether(src="02:00:00:00:00:01", dst="ff:ff:ff:ff:ff:ff",
                    type=0x0806) / Raw(b"\0\1\x08\0\6\4\0\1" +
                                       b"\0" * 38))
    bad_udp = bytearray(raw(eth / IP(src=SRC4, dst=DST4) /
                            UDP(sport=4000, dport=53) / Raw(b"x" * 200)))
    bad_udp[38:40] = struct.pack(">H", 300)  # UDP length 300, beyond 208
    ext6 = raw(eth / IPv6(src=SRC6, dst=DST6) /
               IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0" * 60)]) /
               UDP(sport=4000, dport=53) / Raw(b"x" * 100))
    cut = [(f[:64], len(f)) for f in (big_tcp, bytes(bad_udp), ext6)]
    cut.insert(1, (arp[:20], len(arp)))
    pcap("snaplen.pcap", LINKTYPE_ETHERNET, cut, snaplen=64)
    # Failures.
    pcap("wifi.pcap", LINKTYPE_IEEE802_11, [(b"\x08\x00" + b"\0" * 22, None)])
    pcap("truncated.pcap", LINKTYPE_ETHERNET, [(full, None)],
         tail=struct.pack("<IIII", 1700000001, 0, 60, 60) + full[:20])
    with open(os.path.join(HERE, "not-a-capture.pcap"), "w") as f:
        f.write("this is not a capture file\n")
    timeouts()


def timeouts():
    """timeouts.pcap: flows over 31 s of capture time, for replay's export
    with active-timeout 2 idle-timeout 1 (test_replay.sh says what each
    flow must give): A a packet every 0.5 s for 10 s (active-timeout
    records), B two packets then silence (idle), C ended by FIN (end
    detected), D and E one packet each (idle), then 20 s with no packet
    and F alone at the end (forced at the end of the capture)."""
    t0 = 1700000000
    eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")

    def udp(n, sport, dport):
        return raw(eth / IP(src="192.0.2.%d" % n, dst="198.51.100.%d" % n,
                            ttl=64, id=0) / UDP(sport=sport, dport=dport) /
                   Raw(b"x" * 8))

    def tcp(n, flags):
        return raw(eth / IP(src="192.0.2.%d" % n, dst="198.51.100.%d" % n,
                            ttl=64, id=0) /
                   TCP(sport=1000 * n, dport=80, flags=flags, seq=1,
                       window=1024))

    pkts = [(ms, udp(1, 1000, 53)) for ms in range(0, 10000, 500)]
    pkts += [(200, tcp(2, "S")), (400, tcp(2, "A")),
             (3100, tcp(3, "S")), (3300, tcp(3, "FA")),
             (6500, udp(4, 4000, 123)), (9900, udp(5, 5000, 514)),
             (30250, udp(6, 6000, 53))]
    pkts.sort(key=lambda p: p[0])
    pcap("timeouts.pcap", LINKTYPE_ETHERNET, [(d, None) for _, d in pkts],
         times=[(t0 + ms // 1000, ms % 1000 * 1000) for ms, _ in pkts])


if __name__ == "__main__":
    main()
