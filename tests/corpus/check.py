#!/usr/bin/env python3
"""Conformance of tcpstated's conn_state with reference verdicts on real captures.

Two corpora of third-party captures:
- SHARED/corpus: pcaps with Zeek's own conn_state verdicts (expected/*.jsonl).
- tests/corpus/extra: pcaps shipped in Debian and npm packages, which come
  with no verdicts; extra/expected.txt holds reference verdicts read from the
  captures by hand (extra/MANIFEST.md), never from tcpstated's output.

For every capture, run `tcpstated -r PCAP -o json`, take the CLOSED records,
match them to the reference records by unordered 4-tuple (in order, where a
4-tuple repeats), and compare conn_state.

Every disagreement must be listed, with its explanation, in
tests/corpus/disagreements.txt; an unlisted one is a regression. Agreement on
each corpus must stay at or above its threshold. Prints PASS/FAIL lines
(tests/run.sh).

Usage: check.py TCPSTATED SHARED_DIR [--write]   (--write prints the table of
current disagreements, for a human to review and explain)
"""
import json
import os
import subprocess
import sys

THRESHOLD = 0.95
# The extra corpus holds situations the shared one lacks (tunnels not yet
# decoded among them), so its bar starts lower.
EXTRA_THRESHOLD = 0.90
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


def extra_records():
    """Reference verdicts of tests/corpus/extra, in expected.txt's order per 4-tuple."""
    out = {}
    for line in open(os.path.join(HERE, "extra", "expected.txt")):
        if not line.strip() or line.startswith("#"):
            continue
        pcap, oh, op, rh, rp, state = line.split("|")[:6]
        k = key(norm_ip(oh), op, norm_ip(rh), rp)
        out.setdefault(pcap, {}).setdefault(k, []).append({"conn_state": state})
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


def compare(tcpstated, pcaps, exp, splits):
    """Compare one corpus; returns (connections, agreements, disagreement rows)."""
    total = agree = 0
    rows = []
    for pcap in sorted(exp):
        rc, err, got = ours(tcpstated, os.path.join(pcaps, pcap))
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
    return total, agree, rows


def report(name, by, threshold, total, agree, rows, listed):
    """PASS/FAIL lines of one corpus: its agreement, then each unexplained disagreement."""
    ratio = agree / total if total else 0
    print("%s: %d connections with a %s conn_state, %d agree" % (name, total, by, agree))
    print("PASS %s agreement %d/%d = %.1f%%" % (name, agree, total, 100 * ratio)
          if ratio >= threshold else
          "FAIL %s agreement: %d/%d = %.1f%% is below %.0f%%"
          % (name, agree, total, 100 * ratio, 100 * threshold))
    bad = 0
    for pcap, tup, z, m, rc, err in rows:
        ent = listed.get((pcap, tup, z))
        if ent is None or ent[0] != m:
            bad += 1
            print("FAIL %s %s %s: %s %s, tcpstated %s, not an explained disagreement%s"
                  % (name, pcap, tup, by, z, m, (" (exit %d: %s)" % (rc, err)) if rc else ""))
    if bad == 0:
        print("PASS %s every disagreement is listed and explained (%d)" % (name, len(rows)))


def main():
    tcpstated, shared = sys.argv[1], sys.argv[2]
    write = "--write" in sys.argv
    listed = load_listed() if not write else {}
    corpora = []
    if os.path.isdir(os.path.join(shared, "corpus", "pcaps")):
        corpora.append(("corpus", "Zeek", THRESHOLD, os.path.join(shared, "corpus", "pcaps"),
                        expected_records(shared), load_splits()))
    else:
        print("FAIL corpus: no corpus at %s/corpus" % shared)
    corpora.append(("corpus extra", "reference", EXTRA_THRESHOLD,
                    os.path.join(HERE, "extra", "pcaps"), extra_records(), set()))
    seen = set()
    for name, by, threshold, pcaps, exp, splits in corpora:
        total, agree, rows = compare(tcpstated, pcaps, exp, splits)
        seen |= {(r[0], r[1], r[2]) for r in rows}
        if write:
            for r in rows:
                print("%s|%s|%s|%s|" % (r[0], r[1], r[2], r[3]))
            print("%s agreement %d/%d" % (name, agree, total), file=sys.stderr)
        else:
            report(name, by, threshold, total, agree, rows, listed)
    for g in sorted(set(listed) - seen):
        print("PASS corpus %s %s now agrees (remove it from disagreements.txt)" % (g[0], g[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
