#!/usr/bin/env python3
"""cleanchk.py - checks of what tcpstated wrote, for tests/t_robust.sh.

  cleanchk.py jsonl FILE...        every line of every file is one whole JSON
                                   event record; prints how many
  cleanchk.py closed PORT FILE...  exit 0 if a CLOSED record from client port
                                   PORT is in the files
  cleanchk.py clean [-u] FILE      every line of FILE is free of control
                                   characters (C0, DEL; with -u also C1) and,
                                   with -u, valid UTF-8; prints the lines
  cleanchk.py notify FILE          the same for every assignment of every
                                   datagram notify.py logged
  cleanchk.py notify-listen SOCKET FILE
                                   be systemd's notification socket: log each
                                   datagram to FILE as one line of hex
"""
import json
import sys


def jsonl(paths):
    n = 0
    for path in paths:
        with open(path, "rb") as f:
            data = f.read()
        if data and not data.endswith(b"\n"):
            sys.exit("%s: the last line is not whole: %r" % (path, data[-60:]))
        for i, line in enumerate(data.split(b"\n")[:-1]):
            try:
                obj = json.loads(line)
            except ValueError as e:
                sys.exit("%s:%d: not JSON (%s): %r" % (path, i + 1, e, line[:100]))
            if not isinstance(obj, dict) or "event" not in obj or "ts" not in obj:
                sys.exit("%s:%d: not an event record: %r" % (path, i + 1, line[:100]))
            n += 1
    print(n)


def closed(port, paths):
    for path in paths:
        with open(path, "rb") as f:
            for line in f:
                try:
                    r = json.loads(line)
                except ValueError:
                    continue
                if r.get("event") == "CLOSED" and r.get("client_port") == port:
                    return 0
    return 1


def bad_bytes(line, utf8):
    """Why line (bytes, without its newline) is not clean, or None."""
    for i, b in enumerate(line):
        if b < 0x20 or b == 0x7F:
            return "raw control character 0x%02x at byte %d" % (b, i)
    if not utf8:
        return None
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as e:
        return "not UTF-8 (%s)" % e
    for i, c in enumerate(text):
        if 0x80 <= ord(c) < 0xA0:
            return "C1 control character U+%04X at character %d" % (ord(c), i)
    return None


def clean(path, utf8):
    with open(path, "rb") as f:
        data = f.read()
    if data and not data.endswith(b"\n"):
        sys.exit("%s: does not end with a newline: %r" % (path, data[-60:]))
    for i, line in enumerate(data.split(b"\n")[:-1]):
        why = bad_bytes(line, utf8)
        if why:
            sys.exit("%s:%d: %s: %r" % (path, i + 1, why, line[:120]))
    print(data.count(b"\n"))


def notify(path):
    n = 0
    for i, line in enumerate(open(path)):
        for a in bytes.fromhex(line.strip()).split(b"\n"):
            if not a:
                continue
            why = bad_bytes(a, True)
            if why:
                sys.exit("datagram %d: %s: %r" % (i + 1, why, a[:120]))
            n += 1
    print(n)


def notify_listen(sock_path, log_path):
    import socket
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(sock_path)
    with open(log_path, "a", buffering=1) as log:
        while True:
            log.write(s.recv(65536).hex() + "\n")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "jsonl":
        jsonl(args)
    elif cmd == "closed":
        sys.exit(closed(int(args[0]), args[1:]))
    elif cmd == "notify":
        notify(args[0])
    elif cmd == "notify-listen":
        notify_listen(args[0], args[1])
    elif cmd == "clean":
        utf8 = args[0] == "-u"
        clean(args[-1], utf8)
    else:
        sys.exit("unknown check " + cmd)


main()
