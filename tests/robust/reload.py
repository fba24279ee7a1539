#!/usr/bin/env python3
"""reload.py - drive a running tcpstated through many reloads and rotations.

  reload.py PID DIAG EVENTS N CONF CONF_1 [CONF_2 ...]

N times: CONF becomes the next of CONF_1, CONF_2 ... in turn (renamed into
place), SIGHUP, and wait for the daemon's "configuration reloaded" line in
DIAG (its standard error). Then N times, as logrotate does: EVENTS is renamed to
EVENTS.1, SIGUSR1, and wait for the daemon to say so and create EVENTS again.
Resident memory (VmRSS), open descriptors and threads are sampled after the
first 100 of each, half-way and at the end; one JSON line reports them, with the time
each loop took. Exit 1 (with the reason) if the daemon stops answering.
"""
import json
import os
import shutil
import signal
import sys
import time


class Diag:
    """The daemon's standard error, read as it grows."""

    def __init__(self, path):
        self.f = open(path, "rb")
        self.f.seek(0, os.SEEK_END)
        self.buf = b""

    def wait(self, needle, pid, timeout=10.0):
        end = time.monotonic() + timeout
        while True:
            self.buf += self.f.read()
            i = self.buf.find(needle)
            if i >= 0:
                self.buf = self.buf[i + len(needle):]
                return
            if time.monotonic() > end:
                sys.exit("no %r within %.0f s" % (needle.decode(), timeout))
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                sys.exit("the daemon is gone")
            time.sleep(0.0005)


def sample(pid):
    st = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            st[k] = v.split()
    return {"rss_kb": int(st["VmRSS"][0]), "fds": len(os.listdir("/proc/%d/fd" % pid)),
            "threads": int(st["Threads"][0])}


def main():
    pid, diag_path, events, n, conf = sys.argv[1:6]
    pid, n, confs = int(pid), int(n), sys.argv[6:]
    diag = Diag(diag_path)
    out = {}

    t0 = time.monotonic()
    for i in range(n):
        shutil.copyfile(confs[i % len(confs)], conf + ".new")
        os.replace(conf + ".new", conf)
        os.kill(pid, signal.SIGHUP)
        diag.wait(b"configuration reloaded", pid)
        if i == 99:
            out["hup_first"] = sample(pid)
        if i == n // 2 - 1:
            out["hup_mid"] = sample(pid)
        time.sleep(0.002)
    out["hup_last"] = sample(pid)
    out["hup_s"] = round(time.monotonic() - t0, 2)

    t0 = time.monotonic()
    for i in range(n):
        os.replace(events, events + ".1")
        os.kill(pid, signal.SIGUSR1)
        diag.wait(b"SIGUSR1: reopening", pid)
        end = time.monotonic() + 10
        while not os.path.exists(events):
            if time.monotonic() > end:
                sys.exit("SIGUSR1 %d: %s was not created again" % (i + 1, events))
            time.sleep(0.0005)
        if i == 99:
            out["usr1_first"] = sample(pid)
        if i == n // 2 - 1:
            out["usr1_mid"] = sample(pid)
        time.sleep(0.002)
    out["usr1_last"] = sample(pid)
    out["usr1_s"] = round(time.monotonic() - t0, 2)
    print(json.dumps(out, sort_keys=True))


main()
