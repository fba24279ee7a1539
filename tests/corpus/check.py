#!/usr/bin/env python3
"""Conformance of tcpstated's conn_state with Zeek's verdicts on the shared corpus.

For every pcap in SHARED/corpus/pcaps with Zeek conn_state verdicts in
SHARED/corpus/expected, run `tcpstated -r PCAP -o json`, take the CLOSED
records, match them to Zeek's records by unordered 4-tuple (in order, where a
4-tuple repeats), and compare conn_state.

Every disagreement must be listed, with its explanation, in
tests/corpus/disagreements.txt; an unlisted one is a regression. Agreement
must stay at or above the threshold. Prints PASS/FAIL lines (tests/run.sh).

Usage: check.py TCPSTATED SHARED_DIR [--write]   (--write prints the table of
current disagreements, for a human to review and explain)
"""
import json
import os
import subprocess
import sys

THRESHOLD = 0.95
# Where Zeek verdicts come in configuration variants, the one matching a
# tracker that does not validate checksums and uses default timers.
VARIANTS = {"checksums ignored for 192.168.0.0/16", "default max_timer_expires"}
HERE = os.path.dirname(os.path.abspath(__file__))


def key(a, ap, b, bp):
    return tuple(sorted([(a, int(ap)), (b, int(bp))]))


def norm_ip(ip):
    import ipaddress
    return str(ipaddress.ip_address(ip))


def expected_records(shared):
    out = {}
    d = os.path.join(shared, "corpus", "expected")
    for name in sorted(os.listdir(d)):
        pcap = name[: -len(".jsonl")]
        for line in open(os.path.join(d, name)):
            r = json.loads(line)
            if r.get("verdict_tool") != "zeek" or "conn_state" not in r:
                continue
            if "variant" in r and r["variant"] not in VARIANTS:
                continue
            if r.get("orig_h") is None or r.get("orig_p") is None:
                continue
            k = key(norm_ip(r["orig_h"]), r["orig_p"], norm_ip(r["resp_h"]), r["resp_p"])
            recs = out.setdefault(pcap, {}).setdefault(k, [])
            # Two tests of one trace report the same connection under one uid.
            if r.get("uid") and any(o.get("uid") == r["uid"] for o in recs):
                continue
            recs.append(r)
    for pcap in out:
        for k in out[pcap]:
            out[pcap][k].sort(key=lambda r: r.get("log_row", 0))
    return out


def ours(tcpstated, path):
    p = subprocess.run([tcpstated, "-r", path, "-o", "json"], capture_output=True, text=True,
                       timeout=120)
    recs = {}
    for line in p.stdout.splitlines():
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if r.get("event") != "CLOSED":
            continue
        k = key(norm_ip(r["client_ip"]), r["client_port"], norm_ip(r["server_ip"]), r["server_port"])
        recs.setdefault(k, []).append(r)
    return p.returncode, p.stderr.strip(), recs


def load_splits():
    """4-tuples where Zeek's records are pieces of one connection (see zeek-splits.txt)."""
    splits = set()
    for line in open(os.path.join(HERE, "zeek-splits.txt")):
        line = line.strip()
        if line and not line.startswith("#"):
            f = line.split("|")
            splits.add((f[0], f[1]))
    return splits


def load_listed():
    listed = {}
    path = os.path.join(HERE, "disagreements.txt")
    for line in open(path):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        f = line.split("|")
        listed[(f[0], f[1], f[2])] = f[3:]
    return listed


def main():
    tcpstated, shared = sys.argv[1], sys.argv[2]
    write = "--write" in sys.argv
    exp = expected_records(shared)
    listed = load_listed() if not write else {}
    splits = load_splits()
    total = agree = 0
    rows = []
    for pcap in sorted(exp):
        path = os.path.join(shared, "corpus", "pcaps", pcap)
        rc, err, got = ours(tcpstated, path)
        for k, zrecs in sorted(exp[pcap].items()):
            mine = got.get(k, [])
            tk = "%s:%d-%s:%d" % (k[0][0], k[0][1], k[1][0], k[1][1])
            if (pcap, tk) in splits:
                # One connection that Zeek's timers cut in pieces: its verdict is the last piece's.
                zrecs = zrecs[-1:]
            for i, z in enumerate(zrecs):
                total += 1
                m = mine[i]["conn_state"] if i < len(mine) else "-"
                tup = "%s#%d" % (tk, i)
                if m == z["conn_state"]:
                    agree += 1
                else:
                    rows.append((pcap, tup, z["conn_state"], m, rc, err))
    ratio = agree / total if total else 0
    print("corpus: %d connections with a Zeek conn_state, %d agree" % (total, agree))
    if write:
        for r in rows:
            print("%s|%s|%s|%s|" % (r[0], r[1], r[2], r[3]))
        print("agreement %d/%d = %.1f%%" % (agree, total, 100 * ratio), file=sys.stderr)
        return 0
    print("PASS corpus agreement %d/%d = %.1f%%" % (agree, total, 100 * ratio)
          if ratio >= THRESHOLD else
          "FAIL corpus agreement: %d/%d = %.1f%% is below %.0f%%" % (agree, total, 100 * ratio, 100 * THRESHOLD))
    bad = 0
    for pcap, tup, z, m, rc, err in rows:
        ent = listed.get((pcap, tup, z))
        if ent is None or ent[0] != m:
            bad += 1
            print("FAIL corpus %s %s: Zeek %s, tcpstated %s, not an explained disagreement%s"
                  % (pcap, tup, z, m, (" (exit %d: %s)" % (rc, err)) if rc else ""))
    if bad == 0:
        print("PASS corpus every disagreement is listed and explained (%d)" % len(rows))
    gone = set(listed) - {(r[0], r[1], r[2]) for r in rows}
    for g in sorted(gone):
        print("PASS corpus %s %s now agrees with Zeek (remove it from disagreements.txt)" % (g[0], g[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
