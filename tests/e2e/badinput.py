#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Bad inputs for flowgate, generated from the valid grammar, and run.

Every case is a command line (and the files it names) that must fail: its
exit code is given (2 usage, 1 failure), stderr must hold exactly one
"Error:" line, that line must match a pattern naming the cause, and the
pinned state (status, rule list, config), the files of the work directory
and the pin directory must be byte-for-byte what they were.

Cases are made by mutating valid rule lines, config files, collector URLs
and command lines: one bad value, a missing value, a repeated or unknown
keyword at a time, in every context that takes the grammar (command line,
rule file, daemon config file, replay's config). The table grows with the
grammar.

Usage: badinput.py list                     the cases, one per line
       badinput.py run NS DIR PCAP          run them in namespace NS with
                                            work directory DIR; prints
                                            "ok|not ok <TAB> name <TAB> why"
"""
import hashlib
import os
import re
import subprocess
import sys

FLOWGATE = os.environ.get("FLOWGATE", "flowgate")

# ---- the valid grammar, and bad values per kind of value --------------------

VALID_RULE = [("src", "198.51.100.0/24"), ("dst", "203.0.113.0/24"),
              ("proto", "tcp"), ("sport", "1000-2000"), ("dport", "80"),
              ("prio", "200"), ("action", "drop"), ("comment", "ok")]

BAD_VALUES = {
    "prefix": [("300.1.1.1", "bad address"),
               ("198.51.100.0/33", "bad prefix length"),
               ("198.51.100.1/24", "host bits set"),
               ("::ffff:198.51.100.1", "IPv4-mapped"),
               ("fe80::1%lo", "zone index"),
               ("2001:db8::/129", "bad prefix length"),
               ("198.51.100.0/", "bad prefix length"),
               ("abc", "bad address"),
               ("1.2.3", "bad address")],
    "port": [("0-", "sport|dport"), ("65536", "sport|dport"),
             ("-1", "sport|dport"), ("10-5", "sport|dport"),
             ("abc", "sport|dport"), ("80-70000", "sport|dport")],
    "proto": [("nosuch", "proto"), ("256", "proto"), ("-1", "proto")],
    "prio": [("70000", "prio"), ("abc", "prio"), ("-5", "prio")],
    "action": [("reject", "action"), ("DROP", "action")],
    "comment": [("x" * 300, "comment longer"),
                ("a\x01b", "control character")],
}
KIND = {"src": "prefix", "dst": "prefix", "proto": "proto", "sport": "port",
        "dport": "port", "prio": "prio", "action": "action",
        "comment": "comment"}


def quote(v):
    return '"%s"' % v if (" " in v or not v) else v


def rule_mutations():
    """(name, words, pattern): one defect each in an otherwise valid rule."""
    base = dict(VALID_RULE)
    for kw, kind in KIND.items():
        for bad, pat in BAD_VALUES[kind]:
            if kw in ("sport", "dport") and "tcp" != base["proto"]:
                continue
            words = []
            for k, v in VALID_RULE:
                words += [k, bad if k == kw else v]
            yield "%s %r" % (kw, bad[:20]), words, pat
    # structure: a keyword without its value, twice, unknown, no action
    for kw in ("src", "dport", "prio", "comment"):
        words = [w for k, v in VALID_RULE if k != kw for w in (k, v)] + [kw]
        yield "%s without a value" % kw, words, "%s needs a value" % kw
    for kw in ("src", "proto", "action"):
        words = [w for k, v in VALID_RULE for w in (k, v)] + [kw, base[kw]]
        yield "%s twice" % kw, words, "%s given twice" % kw
    yield "unknown keyword", ["bogus", "1", "action", "drop"], \
        "unknown keyword 'bogus'"
    yield "no action", ["src", "198.51.100.0/24"], "needs an action"
    yield "ports without tcp/udp", ["proto", "icmp", "dport", "80",
                                    "action", "drop"], "port"
    yield "src and dst of two families", ["src", "198.51.100.0/24", "dst",
                                          "2001:db8::/32", "action",
                                          "drop"], "famil|IPv"


# ---- config files -------------------------------------------------------------

VALID_CONF = ["profile default", "check ttl-zero drop", "sampling 1",
              "drop-flows on", "[export]",
              "collector udp://192.0.2.10:4739", "active-timeout 60",
              "idle-timeout 15", "template-refresh 300", "domain 1",
              "mtu 1500", "[rules]", "src 198.51.100.0/24 action drop"]

BAD_URLS = [("udp://127.0.0.1:99999", "bad port"),
            ("udp://127.0.0.1:0", "bad port"),
            ("udp://127.0.0.1:abc", "bad port"),
            ("udp://127.0.0.1:", "bad port"),
            ("udp://127.0.0.1:-1", "bad port"),
            ("udp://256.1.1.1", "bad IPv4 address"),
            ("udp://10.1", "bad IPv4 address"),
            ("udp://1.2.3.4.5", "bad IPv4 address"),
            ("udp://", "bad host"),
            ("tcp://[2001:db8::1", "no '\\]'"),
            ("tcp://[zz::1]:4739", "bad IPv6"),
            ("tcp://[2001:db8::1]x", "text after"),
            ("ftp://192.0.2.1", "udp://HOST"),
            ("udp:/192.0.2.1", "udp://HOST"),
            ("udp://-host", "bad host"),
            ("udp://a b", "bad host|one value")]

BAD_SETTINGS = [("profile paranoid", "profile"),
                ("check nosuch drop", "nosuch"),
                ("check ttl-zero maybe", "maybe"),
                ("sampling 0", "sampling"),
                ("sampling abc", "sampling"),
                ("sampling 2147483648", "sampling"),
                ("drop-flows maybe", "drop-flows"),
                ("bogus 1", "bogus"),
                ("profile", "needs a value"),
                ("profile default strict", "one value"),
                ("[nosuch]", "nosuch"),
                ("[export] x", "text after")]

BAD_EXPORT = [("active-timeout 0", "active-timeout"),
              ("active-timeout 86401", "active-timeout"),
              ("idle-timeout abc", "idle-timeout"),
              ("template-refresh -1", "template-refresh"),
              ("domain x", "domain"),
              ("mtu 10", "mtu"),
              ("mtu 70000", "mtu"),
              ("bogus 1", "bogus")]


def conf_with(top=None, export=None, rules=None, extra=None):
    lines = VALID_CONF[:4]
    if top:
        lines = lines + [top]
    lines += VALID_CONF[4:11] + ([export] if export else [])
    lines += VALID_CONF[11:] + ([rules] if rules else [])
    if extra:
        lines = extra(lines)
    return "\n".join(lines) + "\n", lines


def line_of(lines, text):
    return lines.index(text) + 1


# ---- the table ------------------------------------------------------------------

def cases(d, pcap):
    """(name, argv, rc, pattern, files): files written before the run."""
    out = []

    def add(name, argv, rc, pat, files=None):
        out.append((name, argv, rc, pat, files or {}))

    # rules: the command line, a rule file, the daemon's [rules]
    for name, words, pat in rule_mutations():
        add("rule add: " + name, ["rule", "add"] + words, 2, pat)
        line = " ".join(quote(w) for w in words)
        f = d + "/bad.rules"
        add("rule load: " + name, ["rule", "load", f], 1,
            "bad.rules:2: .*(%s)" % pat,
            {f: "src 192.0.2.0/24 action count\n" + line + "\n"})
        text, lines = conf_with(rules=line)
        f = d + "/bad.conf"
        add("daemon check [rules]: " + name, ["daemon", "check", f], 1,
            "bad.conf:%d: .*(%s)" % (len(lines), pat), {f: text})
    # collector URLs: export, replay, daemon check, replay's config file
    for url, pat in BAD_URLS:
        add("export collector " + url, ["export", "collector", url], 2,
            "collector '.*': .*(%s)" % pat)
        add("replay collector " + url, ["replay", pcap, "collector", url],
            2, "collector '.*': .*(%s)" % pat)
        if " " in url:
            continue
        text, lines = conf_with(export="collector " + url)
        f = d + "/bad.conf"
        add("daemon check collector " + url, ["daemon", "check", f], 1,
            "bad.conf:%d: collector .*(%s)" % (
                line_of(lines, "collector " + url), pat), {f: text})
    # settings of the config file: daemon check, replay config, export
    for setting, pat in BAD_SETTINGS:
        text, lines = conf_with(top=setting)
        n = line_of(lines, setting)
        f = d + "/bad.conf"
        add("daemon check: " + setting, ["daemon", "check", f], 1,
            "bad.conf:%d: .*(%s)" % (n, pat), {f: text})
        add("replay config: " + setting, ["replay", pcap, "config", f], 1,
            "bad.conf:%d: .*(%s)" % (n, pat), {f: text})
    for setting, pat in BAD_EXPORT:
        text, lines = conf_with(export=setting)
        n = line_of(lines, setting)
        f = d + "/bad.conf"
        add("daemon check [export]: " + setting, ["daemon", "check", f], 1,
            "bad.conf:%d: .*(%s)" % (n, pat), {f: text})
        add("export config: " + setting, ["export", "config", f], 1,
            "bad.conf:%d: .*(%s)" % (n, pat), {f: text})
    # structure of the config file
    f = d + "/bad.conf"
    for name, extra, pat in [
            ("a setting twice", lambda l: l[:4] + ["sampling 2"] + l[4:],
             "twice|more than once|once"),
            ("[rules] not last", lambda l: l[:4] + ["[rules]", "[export]"],
             "last"),
            ("a section twice", lambda l: l + ["[export]"],
             "twice|more than once|once|last"),
            ("a check twice", lambda l: l[:4] + ["check ttl-zero count"] +
             l[4:], "twice|more than once|once"),
            ("NUL byte", lambda l: l[:2] + ["sampling\x001"] + l[2:], "NUL"),
            ("a line too long", lambda l: l[:2] + ["#" + "x" * 5000] + l[2:],
             "longer than")]:
        text, _ = conf_with(extra=extra)
        add("daemon check: " + name, ["daemon", "check", f], 1, pat,
            {f: text})
    # files that are not what they should be
    for verb in (["rule", "load"], ["daemon", "check"]):
        v = " ".join(verb)
        add(v + " of a directory", verb + [d], 1, "Is a directory")
        add(v + " of a missing file", verb + [d + "/missing"], 1,
            "missing: (not found|No such file)")
    add("rule load of an empty file", ["rule", "load", d + "/empty"], 1,
        "has no rule", {d + "/empty": ""})
    add("rule load of /dev/null", ["rule", "load", "/dev/null"], 1,
        "has no rule")
    add("rule load of comments only", ["rule", "load", d + "/c.rules"], 1,
        "has no rule", {d + "/c.rules": "# nothing\n\n   # here\n"})
    add("rule load: a NUL byte", ["rule", "load", d + "/nul.rules"], 1,
        "nul.rules:1: NUL byte", {d + "/nul.rules": "src 192.0.2.1\0\n"})
    add("rule load: duplicate rules", ["rule", "load", d + "/dup.rules"], 1,
        "dup.rules:3: line 3 has the same match and prio as line 1",
        {d + "/dup.rules": "src 192.0.2.1 action drop\n\n"
         "src 192.0.2.1 action pass\n"})
    add("rule load: 17 rules without an address",
        ["rule", "load", d + "/glob.rules"], 1,
        "glob.rules:17: .*line 17 is one too many",
        {d + "/glob.rules": "".join("proto udp dport %d action count\n" % i
                                    for i in range(1, 18))})
    add("rule load: two files", ["rule", "load", d + "/a", d + "/b"], 2,
        "usage: flowgate rule load FILE")
    for target, pat in [(d, "is a directory"),
                        (d + "/node", "not a regular file"),
                        (d + "/fifo", "not a regular file"),
                        (d + "/nodir/x.rules", "No such file"),
                        (d + "/dangling", "symbolic link to nothing")]:
        add("rule save " + os.path.basename(target),
            ["rule", "save", target], 1, pat)
    add("rule save on a full file system", ["rule", "save",
                                            d + "/full/r.rules"], 1,
        "No space left on device")
    # replay inputs
    add("replay of a missing capture", ["replay", d + "/missing.pcap"], 1,
        "missing.pcap: No such file")
    add("replay of a directory", ["replay", d], 1, "Is a directory")
    add("replay of a text file", ["replay", d + "/text.pcap"], 1,
        "text.pcap", {d + "/text.pcap": "not a capture\n"})
    head = b"\xd4\xc3\xb2\xa1" + bytes(56)
    if os.path.exists(pcap):
        with open(pcap, "rb") as p:
            head = p.read(60)
    add("replay of a truncated capture header", ["replay", d + "/t.pcap"],
        1, "t.pcap", {d + "/t.pcap": head[:20]})
    add("replay into a full disk", ["replay", pcap, "ipfix", "/dev/full"],
        1, "No space left on device|not sent")
    add("replay into a directory", ["replay", pcap, "ipfix", d], 1,
        "Is a directory")
    for kw, v, pat in [("max-flows", "0", "max-flows"),
                       ("max-flows", "abc", "max-flows"),
                       ("active-timeout", "0", "active-timeout"),
                       ("idle-timeout", "x", "idle-timeout"),
                       ("bogus", "1", "unexpected argument 'bogus'")]:
        add("replay %s %s" % (kw, v), ["replay", pcap, kw, v], 2, pat)
    add("replay idle above active", ["replay", pcap, "active-timeout", "5",
                                     "idle-timeout", "10", "ipfix",
                                     d + "/never.ipfix"], 2,
        "idle-timeout.*above")
    # command lines of every object
    for argv, rc, pat in [
            (["bogus"], 2, "unknown object 'bogus'"),
            (["rule"], 2, "rule needs a verb"),
            (["rule", "bogus"], 2, "unknown verb 'bogus' for rule"),
            (["rule", "del"], 2, "one rule ID"),
            (["rule", "del", "0"], 2, "one rule ID"),
            (["rule", "del", "abc"], 2, "one rule ID"),
            (["rule", "del", "500"], 1, "no rule with ID 500"),
            (["rule", "list", "x"], 2, "usage: flowgate rule list$"),
            (["rule", "flush", "x"], 2, "usage: flowgate rule flush$"),
            (["rule", "save"], 2, "usage: flowgate rule save FILE"),
            (["attach"], 2, "usage: flowgate attach DEV"),
            (["attach", "nosuch0"], 1, "no such device 'nosuch0'"),
            (["attach", "lo", "mode", "x"], 2, "unknown mode 'x'"),
            (["attach", "lo", "hook", "x"], 2, "unknown hook 'x'"),
            (["attach", "lo", "max-flows", "0"], 2, "max-flows"),
            (["attach", "lo", "max-flows", "abc"], 2, "max-flows"),
            (["attach", "lo", "max-flows", "16777217"], 2,
             "max-flows must be a number from 16 to 16777216"),
            # the table is pinned and in use: its geometry is fixed
            (["attach", "lo", "max-flows", "64"], 1,
             "max-flows 65536; detach every interface to resize it"),
            (["attach", "lo", "mode"], 2, "mode needs a value"),
            (["attach", "lo", "bogus", "1"], 2, "unknown argument 'bogus'"),
            (["detach"], 2, "usage: flowgate detach DEV"),
            (["detach", "lo"], 1, "not attached to lo"),
            (["detach", "nosuch0"], 1, "not attached to nosuch0"),
            (["detach", "a", "b"], 2, "usage: flowgate detach DEV"),
            (["purge"], 1, "detach every interface"),
            (["purge", "x"], 2, "usage: flowgate purge$"),
            (["status", "x"], 2, "usage: flowgate status$"),
            (["stats", "dev"], 2, "usage"),
            (["stats", "dev", "nosuch0"], 1, "no such device 'nosuch0'"),
            (["stats", "dev", "lo"], 1, "not attached to lo"),
            (["stats", "bogus", "x"], 2, "usage"),
            (["config"], 2, "config needs a verb"),
            (["config", "bogus"], 2, "unknown verb 'bogus' for config"),
            (["config", "show", "x"], 2, "usage: flowgate config show$"),
            (["config", "set", "check", "nosuch", "drop"], 2,
             "unknown check 'nosuch'"),
            (["config", "set", "check", "ttl-zero", "maybe"], 2,
             "unknown action 'maybe'"),
            (["config", "set", "profile", "paranoid"], 2,
             "unknown profile 'paranoid'"),
            (["config", "set", "sampling", "0"], 2, "sampling"),
            (["config", "set", "sampling", "abc"], 2, "sampling"),
            (["config", "set", "drop-flows", "maybe"], 2, "drop-flows"),
            (["config", "set", "check", "ttl-zero"], 2, "usage"),
            (["config", "set"], 2, "usage"),
            (["flow"], 2, "flow needs a verb"),
            (["flow", "bogus"], 2, "unknown verb 'bogus' for flow"),
            (["flow", "dump", "port", "70000"], 2, "bad port '70000'"),
            (["flow", "dump", "proto", "nosuch"], 2, "unknown protocol"),
            (["flow", "dump", "addr", "1.2.3"], 2, "bad address '1.2.3'"),
            (["flow", "dump", "dev", "nosuch0"], 1, "no such device"),
            (["flow", "dump", "bogus", "1"], 2, "unknown filter 'bogus'"),
            (["flow", "dump", "port"], 2, "port needs a value"),
            (["flow", "flush", "port", "x"], 2, "bad port 'x'"),
            (["flow", "top", "interval", "0"], 2, "bad interval '0'"),
            (["flow", "top", "count", "x"], 2, "bad count 'x'"),
            (["flow", "top", "sort", "x"], 2, "sort takes"),
            (["rtt", "addr", "1.2.3"], 2, "bad address '1.2.3'"),
            (["rtt", "port", "x"], 2, "port"),
            (["rtt", "bogus"], 2, "unknown argument 'bogus' to rtt"),
            (["rtt"], 1, "rtt is not enabled"),
            (["export", "bogus", "1"], 2, "unknown export option 'bogus'"),
            (["export", "mtu", "10"], 2, "mtu '10'"),
            (["export", "interval", "10"], 2, "interval '10'"),
            (["export", "spool", "1"], 2, "spool"),
            (["export", "spool", "1t"], 2, "spool"),
            (["export", "domain", "x"], 2, "domain"),
            (["export", "tcp-flags-octets", "3"], 2, "tcp-flags-octets"),
            (["export", "sampling-announce", "x"], 2, "sampling-announce"),
            (["export", "rtt", "maybe"], 2, "rtt"),
            (["export", "active-timeout", "0"], 2, "active-timeout"),
            (["export", "file"], 2, "file needs a value"),
            (["export", "config", d + "/missing.conf"], 1, "missing.conf"),
            (["export", "config", d], 1, "Is a directory"),
            (["daemon"], 2, "daemon needs a verb"),
            (["daemon", "bogus", "x"], 2, "unknown verb 'bogus' for daemon"),
            (["daemon", "config"], 2, "usage: flowgate daemon config FILE"),
            (["replay"], 2, "usage: flowgate replay PCAP"),
            (["--bpffs"], 2, "--bpffs needs a directory")]:
        add(" ".join(argv)[:60], argv, rc, pat)
    return out


# ---- the runner -----------------------------------------------------------------

def fg(ns, argv, timeout=30):
    """Exit code, stdout, stderr; a command that does not end in time (a
    daemon started by input it should have refused) is killed: -1."""
    try:
        p = subprocess.run(["ip", "netns", "exec", ns, FLOWGATE] + argv,
                           capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        err = e.stderr.decode(errors="replace") if e.stderr else ""
        return -1, b"", err
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def tree(path):
    """Every file under path: name, type, mode, owner and sha256."""
    out = []
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for n in sorted(dirs + files):
            f = os.path.join(root, n)
            st = os.lstat(f)
            h = ""
            if os.path.isfile(f) and not os.path.islink(f) and \
                    not f.startswith(path + "/full/"):
                with open(f, "rb") as fh:
                    h = hashlib.sha256(fh.read()).hexdigest()
            elif os.path.islink(f):
                h = os.readlink(f)
            out.append((f, st.st_mode, st.st_uid, st.st_gid, h))
    return out


def snapshot(ns, d):
    s = {}
    for argv in (["-j", "status"], ["-j", "rule", "list"],
                 ["-j", "config", "show"]):
        s[" ".join(argv)] = fg(ns, argv)[1]
    s["files"] = tree(d)
    pins = os.environ.get("FLOWGATE_BPFFS")
    s["pins"] = sorted(os.listdir(pins)) if pins and os.path.isdir(pins) \
        else None
    return s


def run(ns, d, pcap):
    before = snapshot(ns, d)
    for name, argv, rc, pat, files in cases(d, pcap):
        for f, text in files.items():
            with open(f, "wb") as fh:
                fh.write(text if isinstance(text, bytes) else
                         text.encode("latin-1"))
        base = snapshot(ns, d) if files else before
        got, _, err = fg(ns, argv, 15)
        errs = [l for l in err.splitlines() if l.startswith("Error:")]
        why = []
        if got == -1:
            why.append("still running after 15 s (killed), want exit %d"
                       % rc)
        elif got != rc:
            why.append("exit %d, want %d" % (got, rc))
        if len(errs) != 1:
            why.append("%d Error: lines" % len(errs))
        elif not re.search(pat, errs[0]):
            why.append("'%s' does not match /%s/" % (errs[0][:200], pat))
        after = snapshot(ns, d)
        for k in after:
            if after[k] != base[k]:
                why.append("%s changed" % k)
        for f in files:
            os.unlink(f)
        print("%s\t%s\t%s" % ("not ok" if why else "ok",
                              name.replace("\t", " ").replace("\n", " "),
                              "; ".join(why)), flush=True)


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "list":
        for c in cases("DIR", "PCAP"):
            print(c[0])
        return
    if len(sys.argv) != 5 or sys.argv[1] != "run":
        sys.exit(__doc__)
    run(sys.argv[2], sys.argv[3], sys.argv[4])


if __name__ == "__main__":
    main()
