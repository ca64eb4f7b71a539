#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A small, strict IPFIX (RFC 7011) decoder and collector for the tests.

Independent of the C encoder: it checks what collectors check (version,
lengths, no empty Sets, templates before data, sequence numbers counting
data records per session and domain, export time never going backwards)
and turns every data record into a dict keyed by IE name.

  ipfix.py sink udp|tcp PORT DIR     collect: DIR/session-N.bin per session
  ipfix.py decode FILE...            JSON lines: one per data record
"""
import json
import os
import socket
import struct
import sys
import threading

NAMES = {
    1: "octets", 2: "packets", 4: "proto", 6: "tcp_flags", 7: "sport",
    8: "src4", 10: "in_if", 11: "dport", 12: "dst4", 14: "out_if",
    27: "src6", 28: "dst6", 32: "icmp4", 34: "sampling_interval",
    52: "ttl_min", 53: "ttl_max", 58: "vlan", 61: "direction",
    89: "fwd_status", 134: "dropped_octets_total",
    135: "dropped_packets_total", 136: "end_reason", 139: "icmp6",
    144: "exporting_process", 149: "domain", 152: "start_ms",
    153: "end_ms", 166: "not_sent_flows", 167: "not_sent_packets",
    168: "not_sent_octets", 245: "vlan_inner", 256: "eth_type",
    305: "sampling_packet_interval", 306: "sampling_packet_space",
    323: "observation_ms", 82: "if_name",
}
PEN_NAMES = {1: "fg_reason", 2: "fg_rule", 10: "fg_rtt_min_us",
             11: "fg_rtt_max_us", 12: "fg_rtt_mean_us", 13: "fg_rtt_samples"}


class IpfixError(Exception):
    pass


def _name(ie, pen):
    if pen:
        return PEN_NAMES.get(ie, "e%d.%d" % (pen, ie))
    return NAMES.get(ie, "ie%d" % ie)


def _value(ie, pen, raw):
    if not pen and ie in (8, 12):
        return socket.inet_ntop(socket.AF_INET, raw)
    if not pen and ie in (27, 28):
        return socket.inet_ntop(socket.AF_INET6, raw)
    return int.from_bytes(raw, "big")


class Session:
    """One transport session: templates and sequence state per domain."""

    def __init__(self, name, restarts=False):
        self.name = name
        self.restarts = restarts
        self.templates = {}  # (domain, tid) -> (fields, scope)
        self.seq = {}  # domain -> next expected sequence number
        self.export_time = 0
        self.records = []
        self.messages = 0

    def message(self, buf):
        if len(buf) < 16:
            raise IpfixError("%s: short message" % self.name)
        ver, length, etime, seq, dom = struct.unpack("!HHIII", buf[:16])
        if ver != 10 or length != len(buf):
            raise IpfixError("%s: bad header v%d len %d/%d" %
                             (self.name, ver, length, len(buf)))
        want = self.seq.get(dom)
        if self.restarts and seq == 0 and len(buf) > 20 and \
                buf[16:18] in (b"\x00\x02", b"\x00\x03"):
            want = None  # a file: the next exporter run appends a session
            self.export_time = etime
        if want is not None and seq != want:
            raise IpfixError("%s: sequence %d, expected %d" %
                             (self.name, seq, want))
        if etime < self.export_time:
            raise IpfixError("%s: export time went back" % self.name)
        self.export_time = etime
        self.messages += 1
        n = self._sets(buf, dom, etime)
        self.seq[dom] = (seq + n) & 0xffffffff

    def _sets(self, buf, dom, etime):
        off, n = 16, 0
        while off < len(buf):
            if len(buf) - off < 4:
                raise IpfixError("%s: stray octets" % self.name)
            sid, slen = struct.unpack("!HH", buf[off:off + 4])
            if slen <= 4 or off + slen > len(buf):
                raise IpfixError("%s: bad or empty set %d len %d" %
                                 (self.name, sid, slen))
            body = buf[off + 4:off + slen]
            if sid in (2, 3):
                self._templates(body, dom, sid == 3)
            elif sid >= 256:
                n += self._data(body, dom, sid, etime)
            else:
                raise IpfixError("%s: set id %d" % (self.name, sid))
            off += slen
        return n

    def _templates(self, body, dom, options):
        off = 0
        while len(body) - off >= 4:
            tid, cnt = struct.unpack("!HH", body[off:off + 4])
            off += 4
            scope = 0
            if options:
                scope, = struct.unpack("!H", body[off:off + 2])
                off += 2
            fields = []
            for _ in range(cnt):
                ie, flen = struct.unpack("!HH", body[off:off + 4])
                off += 4
                pen = 0
                if ie & 0x8000:
                    pen, = struct.unpack("!I", body[off:off + 4])
                    off += 4
                    ie &= 0x7fff
                fields.append((ie, flen, pen))
            self.templates[(dom, tid)] = (fields, scope)

    def _data(self, body, dom, tid, etime):
        t = self.templates.get((dom, tid))
        if t is None:
            raise IpfixError("%s: data set %d before its template" %
                             (self.name, tid))
        fields, scope = t
        # The shortest record (variable-length fields empty): what is left
        # after the last record is padding only if it is shorter than that.
        minlen = sum(1 if f[1] == 65535 else f[1] for f in fields)
        off, n = 0, 0
        while len(body) - off >= minlen:
            rec = {"_tid": tid, "_domain": dom, "_export": etime,
                   "_session": self.name,
                   "_kind": "options" if scope else "flow"}
            for ie, flen, pen in fields:
                k = _name(ie, pen)
                if flen == 65535:  # RFC 7011 7: variable length
                    flen, off = body[off], off + 1
                    if flen == 255:
                        flen, = struct.unpack("!H", body[off:off + 2])
                        off += 2
                    raw = body[off:off + flen]
                    if len(raw) != flen:
                        raise IpfixError("%s: variable-length field "
                                         "past the set" % self.name)
                    v = raw.decode("utf-8")
                else:
                    v = _value(ie, pen, body[off:off + flen])
                if k in rec:  # repeated IE (observation_ms first/last)
                    k += "_2"
                rec[k] = v
                off += flen
            self.records.append(rec)
            n += 1
        if any(body[off:]):
            raise IpfixError("%s: non-zero padding" % self.name)
        return n


def decode_stream(data, name):
    # IPFIX files (RFC 5655) hold one session per exporter run, appended.
    s = Session(name, restarts=name.endswith(".ipfix"))
    off = 0
    while off < len(data):
        if len(data) - off < 4:
            raise IpfixError("%s: truncated stream" % name)
        length, = struct.unpack("!H", data[off + 2:off + 4])
        if length < 16:
            raise IpfixError("%s: bad message length" % name)
        s.message(data[off:off + length])
        off += length
    return s


def decode_files(paths):
    out = []
    for p in paths:
        with open(p, "rb") as f:
            out.append(decode_stream(f.read(), os.path.basename(p)))
    return out


# ---- sink -------------------------------------------------------------------

def sink_udp(port, d):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind(("127.0.0.1", port))
    files = {}
    base = 0
    while os.path.exists(os.path.join(d, "session-%d.bin" % base)):
        base += 1
    while True:
        buf, peer = s.recvfrom(65535)
        if peer not in files:  # a new source port is a new session
            files[peer] = open(os.path.join(
                d, "session-%d.bin" % (base + len(files))), "ab",
                buffering=0)
        files[peer].write(buf)


def sink_tcp(port, d):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(8)
    n = 0
    while os.path.exists(os.path.join(d, "session-%d.bin" % n)):
        n += 1
    while True:
        c, _ = s.accept()
        f = open(os.path.join(d, "session-%d.bin" % n), "ab", buffering=0)
        n += 1
        threading.Thread(target=_tcp_conn, args=(c, f), daemon=True).start()


def _tcp_conn(c, f):
    while True:
        b = c.recv(65536)
        if not b:
            break
        f.write(b)
    f.close()


def main(argv):
    if len(argv) == 5 and argv[1] == "sink":
        os.makedirs(argv[4], exist_ok=True)
        (sink_udp if argv[2] == "udp" else sink_tcp)(int(argv[3]), argv[4])
    elif len(argv) >= 3 and argv[1] == "decode":
        try:
            sessions = decode_files(argv[2:])
        except IpfixError as e:
            print("Error: %s" % e, file=sys.stderr)
            return 1
        for s in sessions:
            for r in s.records:
                print(json.dumps(r, sort_keys=True))
        return 0
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
