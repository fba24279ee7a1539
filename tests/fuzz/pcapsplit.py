#!/usr/bin/env python3
"""pcapsplit.py - turn capture files into seed inputs for fuzz_frames.

Reads classic pcap (either byte order, micro- or nanosecond) and pcapng
(SHB, IDB with if_tsresol, EPB, SPB, OPB) with the standard library only, and
writes chunks of consecutive frames in fuzz_frames' input format (see the
comment at the top of tests/fuzz/fuzz_frames.c):

    link index, knobs, first time (8 bytes), then per frame
    a time-step byte, a 2-byte caplen and the frame cut at SNAP bytes.

usage: pcapsplit.py OUTDIR FILE...
"""
import os
import struct
import sys

SNAP = 160  # the daemon's default snaplen: headers, not payload
CHUNK = 32  # frames per seed: enough for a connection's life
MAX_CHUNKS = 4  # seeds per file (the first, the last and two between)
KNOBS = (0x17, 0x48, 0x2B, 0x56)  # see fuzz_frames.c: flows, timeouts, views

# pcap link type -> index in fuzz_frames.c's fz_links[]
LINKS = {1: 0, 113: 1, 276: 2, 0: 3, 108: 4, 101: 5, 12: 6, 14: 7, 228: 8, 229: 9}


def read_pcap(data):
    """Yield (linktype, ts_us, frame) from a classic pcap."""
    magic = data[:4]
    table = {
        b"\xd4\xc3\xb2\xa1": ("<", 1), b"\xa1\xb2\xc3\xd4": (">", 1),
        b"\x4d\x3c\xb2\xa1": ("<", 1000), b"\xa1\xb2\x3c\x4d": (">", 1000),
    }
    end, div = table[magic]
    link = struct.unpack(end + "I", data[20:24])[0] & 0x0FFFFFFF
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack(end + "IIII", data[off:off + 16])
        off += 16
        yield link, sec * 1000000 + frac // div, data[off:off + incl]
        off += incl


def read_pcapng(data):
    """Yield (linktype, ts_us, frame) from a pcapng, per-interface link types."""
    off, end, ifaces = 0, "<", []
    while off + 12 <= len(data):
        btype = struct.unpack(end + "I", data[off:off + 4])[0]
        if btype == 0x0A0D0D0A:
            end = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            ifaces = []
        blen = struct.unpack(end + "I", data[off + 4:off + 8])[0]
        if blen < 12 or off + blen > len(data):
            break
        body = data[off + 8:off + blen - 4]
        btype = struct.unpack(end + "I", data[off:off + 4])[0]
        if btype == 1:  # IDB
            link = struct.unpack(end + "H", body[0:2])[0]
            units = 1000000
            o = 8
            while o + 4 <= len(body):
                code, olen = struct.unpack(end + "HH", body[o:o + 4])
                if code == 0:
                    break
                if code == 9 and olen >= 1:  # if_tsresol
                    r = body[o + 4]
                    units = 2 ** (r & 0x7F) if r & 0x80 else 10 ** r
                o += 4 + (olen + 3) // 4 * 4
            ifaces.append((link, units))
        elif btype in (6, 2):  # EPB, OPB
            if btype == 6:
                ifid, hi, lo, incl, _orig = struct.unpack(end + "IIIII", body[:20])
            else:
                ifid, _drops, hi, lo, incl, _orig = struct.unpack(end + "HHIIII", body[:20])
            if ifid < len(ifaces):
                link, units = ifaces[ifid]
                yield link, ((hi << 32) | lo) * 1000000 // units, body[20:20 + incl]
        elif btype == 3 and ifaces:  # SPB
            incl = struct.unpack(end + "I", body[:4])[0]
            yield ifaces[0][0], 0, body[4:4 + min(incl, len(body) - 4)]
        off += blen


def step_byte(delta):
    """The time-step byte closest to delta microseconds (fuzz_frames.c)."""
    if delta < 0:
        return 0xF0 | min(15, (-delta) >> 16)
    for e in range(15):
        m = delta >> (2 * e)
        if m <= 15:
            return (e << 4) | m
    return 0xEF


def seed(link, knobs, frames):
    out = bytearray([LINKS[link], knobs]) + struct.pack(">Q", frames[0][0])
    prev = frames[0][0]
    for ts, frame in frames:
        frame = frame[:SNAP]
        out += bytes([step_byte(ts - prev)]) + struct.pack(">H", len(frame)) + frame
        prev = ts
    return bytes(out)


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    n = 0
    for path in sys.argv[2:]:
        with open(path, "rb") as f:
            data = f.read()
        try:
            reader = read_pcapng if data[:4] == b"\x0a\x0d\x0d\x0a" else read_pcap
            pkts = list(reader(data))
        except (KeyError, struct.error, IndexError):
            continue
        if not pkts:
            continue
        link = pkts[0][0]
        if link not in LINKS:
            continue
        pkts = [(ts, fr) for lt, ts, fr in pkts if lt == link]
        chunks = [pkts[i:i + CHUNK] for i in range(0, len(pkts), CHUNK)]
        if len(chunks) > MAX_CHUNKS:
            pick = [round(i * (len(chunks) - 1) / (MAX_CHUNKS - 1)) for i in range(MAX_CHUNKS)]
            chunks = [chunks[i] for i in sorted(set(pick))]
        base = os.path.basename(path).rsplit(".", 1)[0]
        for i, chunk in enumerate(chunks):
            knobs = [KNOBS[i % len(KNOBS)]] + ([0x00] if i == 0 else [])
            for k in knobs:
                with open(os.path.join(outdir, "%s-%d-%02x" % (base, i, k)), "wb") as f:
                    f.write(seed(link, k, chunk))
                n += 1
    print("%d frame seeds in %s" % (n, outdir))


if __name__ == "__main__":
    main()
