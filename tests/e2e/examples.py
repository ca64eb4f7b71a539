#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Every example of README.md and doc/flowgate.8, run.

Examples are the fenced blocks of README.md and the .nf/.fi blocks of the
man page: command lines starting with "flowgate " (not the grammar lines
of a synopsis, which hold [ ] or |), and config files (a block whose
first line is "# flowgate daemon configuration"), checked with `flowgate
daemon check`. A command runs as written, its trailing "# comment" and
"&" aside, with the README's paths under the source tree; it must exit 0
(a daemon example, `&`, must still run after 2 s).

Usage: examples.py list          the examples
       examples.py run NS DIR    run them in namespace NS (DIR: files);
                                 prints "ok|not ok <TAB> name <TAB> why"
Not run, and listed as skipped: examples that need what a test must not
touch (rtt enable on the root cgroup) or a file nobody has (big.pcap).
"""
import os
import re
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
FLOWGATE = os.environ.get("FLOWGATE", ROOT + "/build/flowgate")
SKIP = {"rtt enable": "attaches to the host's root cgroup",
        "rtt show": "needs rtt enable",
        "big.pcap": "an example capture nobody has"}


def readme_blocks():
    text = open(ROOT + "/README.md").read()
    return re.findall(r"^```[a-z]*\n(.*?)^```", text, re.S | re.M)


def unroff(line):
    return line.replace("\\-", "-").replace("\\(dq", '"').replace("\\e", "\\")


def man_blocks():
    out, cur = [], None
    for line in open(ROOT + "/doc/flowgate.8"):
        if line.startswith(".nf"):
            cur = []
        elif line.startswith(".fi") and cur is not None:
            out.append("".join(cur))
            cur = None
        elif cur is not None and not line.startswith("."):
            cur.append(unroff(line))
    return out


def examples():
    """(source, kind, text): kind "cmd" or "conf"."""
    for src, blocks in (("README", readme_blocks()),
                        ("flowgate.8", man_blocks())):
        for b in blocks:
            if "OBJECT" in b:
                continue  # the usage block, the synopsis
            if b.startswith("# flowgate daemon configuration"):
                yield src, "conf", b
                continue
            for line in b.splitlines():
                if not line.startswith("flowgate "):
                    continue
                cmd = re.sub(r"\s+#\s.*$", "", line).strip()
                if re.match(r"flowgate \S+:", cmd):
                    continue  # a log line
                if re.search(r"[\[\]|]|\b(DEV|FILE|ID|N)\b", cmd):
                    continue  # a grammar line
                yield src, "cmd", cmd


def run_cmd(ns, d, cmd):
    bg = cmd.endswith("&")
    cmd = cmd.rstrip("&").strip()
    argv = shlex.split(cmd)[1:]
    argv = [ROOT + "/" + a if a.startswith("tests/") else a for a in argv]
    full = ["ip", "netns", "exec", ns, FLOWGATE] + argv
    if bg:
        p = subprocess.Popen(full, cwd=d, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        try:
            rc = p.wait(timeout=2)
            return "exited %d: %s" % (rc, p.stderr.read().decode()[-200:])
        except subprocess.TimeoutExpired:
            p.terminate()
            p.wait()
            return None
    p = subprocess.run(full, cwd=d, capture_output=True, timeout=60)
    if p.returncode:
        return "exit %d: %s" % (p.returncode,
                                p.stderr.decode(errors="replace")[-300:])
    return None


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "list":
        for src, kind, text in examples():
            print(src, kind, text.splitlines()[0])
        return
    if len(sys.argv) != 4 or sys.argv[1] != "run":
        sys.exit(__doc__)
    ns, d = sys.argv[2], sys.argv[3]
    n = 0
    last = None
    for src, kind, text in examples():
        if src != last:
            # each document's examples from a clean state, as a reader
            # starts
            for argv in (["detach", "eth1"], ["purge"]):
                subprocess.run(["ip", "netns", "exec", ns, FLOWGATE] + argv,
                               capture_output=True)
            last = src
        n += 1
        if kind == "conf":
            f = "%s/example%d.conf" % (d, n)
            with open(f, "w") as fh:
                fh.write(text)
            name = "%s: the daemon config example passes daemon check" % src
            why = run_cmd(ns, d, "flowgate daemon check " + f)
        else:
            name = "%s: %s" % (src, text)
            skip = [v for k, v in SKIP.items() if k in text]
            if skip:
                print("ok\t%s # SKIP %s\t" % (name, skip[0]), flush=True)
                continue
            why = run_cmd(ns, d, text)
        print("%s\t%s\t%s" % ("not ok" if why else "ok", name, why or ""),
              flush=True)


if __name__ == "__main__":
    main()
