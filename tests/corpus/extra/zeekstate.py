#!/usr/bin/env python3
"""Zeek-style conn_state of every TCP connection in a capture, read from tshark.

A tool for writing tests/corpus/extra/expected.txt, independent of tcpstated:
it reads the segments' flags with tshark, follows each endpoint through Zeek's
endpoint states (INACTIVE, SYN_SENT, SYN_ACK_SENT, PARTIAL, ESTABLISHED,
CLOSED on its FIN, RESET on its RST) and applies the rules of conn_state() in
Zeek's base/protocols/conn/main.zeek. The originator is the sender of the
first SYN, else the receiver of the first SYN-ACK, else the sender of the
first segment. Its output is a draft: every line is checked by hand against
the capture before it goes into expected.txt. Not run by the tests (tshark is
not a build dependency).

Usage: zeekstate.py PCAP...   (prints lines in expected.txt's format, the last
field a segment count to be replaced by the lifecycle read by hand)
"""
import subprocess
import sys

FIELDS = ["frame.number", "ip.src", "ipv6.src", "tcp.srcport", "ip.dst", "ipv6.dst",
          "tcp.dstport", "tcp.flags.syn", "tcp.flags.ack", "tcp.flags.fin",
          "tcp.flags.reset", "tcp.len"]


def segments(path):
    cmd = ["tshark", "-r", path, "-Y", "tcp", "-T", "fields", "-E", "separator=\t"]
    for f in FIELDS:
        cmd += ["-e", f]
    # A capture cut short (a damaged file) still gives the segments before the cut.
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    for line in out.splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        # The innermost address wins where tshark lists several (tunnels).
        src = (v["ipv6.src"] or v["ip.src"]).split(",")[-1]
        dst = (v["ipv6.dst"] or v["ip.dst"]).split(",")[-1]
        yield ((src, int(v["tcp.srcport"].split(",")[-1])),
               (dst, int(v["tcp.dstport"].split(",")[-1])),
               {k: v[k] == "1" for k in ("tcp.flags.syn", "tcp.flags.ack", "tcp.flags.fin",
                                          "tcp.flags.reset")},
               int(v["tcp.len"].split(",")[-1] or 0))


def verdict(os_, rs, hist, osize, rsize):
    """conn_state() of Zeek's base/protocols/conn/main.zeek, for TCP."""
    o_inactive = os_ in ("INACTIVE", "PARTIAL")
    r_inactive = rs in ("INACTIVE", "PARTIAL")
    if rs == "RESET":
        if os_ in ("SYN_SENT", "SYN_ACK_SENT") or (os_ == "RESET" and osize == 0 and rsize == 0):
            return "REJ"
        return "RSTRH" if o_inactive else "RSTR"
    if os_ == "RESET":
        if r_inactive:
            import re
            return "RSTOS0" if re.fullmatch(r"\^?S[^HAFGIQ]*R.*", hist) else "OTH"
        return "RSTO"
    if rs == "CLOSED" and os_ == "CLOSED":
        return "SF"
    if os_ == "CLOSED":
        return "SH" if r_inactive else "S2"
    if rs == "CLOSED":
        return "SHR" if o_inactive else "S3"
    if os_ == "SYN_SENT" and rs == "INACTIVE":
        return "S0"
    if os_ == "ESTABLISHED" and rs == "ESTABLISHED":
        return "S1"
    return "OTH"


def conns(path):
    segs = list(segments(path))
    order, by = [], {}
    for s, d, fl, n in segs:
        k = tuple(sorted([s, d]))
        if k not in by:
            order.append(k)
            by[k] = []
        by[k].append((s, d, fl, n))
    for k in order:
        ss = by[k]
        orig = None
        for s, d, fl, n in ss:
            if fl["tcp.flags.syn"] and not fl["tcp.flags.ack"]:
                orig = s
                break
        if orig is None:
            for s, d, fl, n in ss:
                if fl["tcp.flags.syn"]:
                    orig = d
                    break
        if orig is None:
            orig = ss[0][0]
        st = {"o": "INACTIVE", "r": "INACTIVE"}
        size = {"o": 0, "r": 0}
        hist = ""
        for s, d, fl, n in ss:
            me, peer = ("o", "r") if s == orig else ("r", "o")
            def mark(c):
                nonlocal hist
                c = c if me == "o" else c.lower()
                if c not in hist:
                    hist += c
            size[me] += n
            if fl["tcp.flags.reset"]:
                st[me] = "RESET"
                mark("R")
                continue
            if fl["tcp.flags.syn"]:
                if fl["tcp.flags.ack"]:
                    mark("H")
                    if st[me] in ("INACTIVE", "SYN_SENT"):
                        st[me] = "SYN_ACK_SENT"
                else:
                    mark("S")
                    if st[me] == "INACTIVE":
                        st[me] = "SYN_SENT"
            elif st[me] == "INACTIVE":
                st[me] = "PARTIAL"
            if fl["tcp.flags.ack"] and not fl["tcp.flags.syn"]:
                if st[me] == "SYN_SENT" and st[peer] == "SYN_ACK_SENT":
                    st[me] = st[peer] = "ESTABLISHED"
                elif st[me] == "SYN_ACK_SENT" and st[peer] == "ESTABLISHED":
                    st[me] = "ESTABLISHED"
            if n:
                mark("D")
            elif fl["tcp.flags.ack"] and not fl["tcp.flags.syn"] and not fl["tcp.flags.fin"]:
                mark("A")
            if fl["tcp.flags.fin"]:
                mark("F")
                if st[me] != "RESET":
                    st[me] = "CLOSED"
        resp = k[1] if k[0] == orig else k[0]
        yield orig, resp, verdict(st["o"], st["r"], hist, size["o"], size["r"]), hist, len(ss)


def main():
    for path in sys.argv[1:]:
        for o, r, cs, hist, n in conns(path):
            print("%s|%s|%d|%s|%d|%s|%s|%d segments" % (path.rsplit("/", 1)[-1], o[0], o[1],
                                                        r[0], r[1], cs, hist, n))


if __name__ == "__main__":
    main()
