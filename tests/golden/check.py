#!/usr/bin/env python3
"""check.py - compare tcpstated's JSON Lines output with a hand-written expectation.

    check.py CASE.expect OUTPUT.jsonl     exit 0 if the events match, 1 if not (says why)
    check.py --normalize OUTPUT.jsonl     print OUTPUT with flow ids replaced by F1, F2, ...
                                          in order of appearance (the form of the snapshots)

The expectation grammar (tests/golden/README.md has the full story):

    EVENT BY CLIENT_STATE SERVER_STATE [key=value ...]   one event, in order
    ? EVENT BY ...                                       an event that may be absent
    {  ...  }                                            these events, in any order
    ...                                                  any number of events
    # comment

`*` in a positional field matches anything. key=value compares the JSON field
`key` written as text (true/false for booleans). `flow=LABEL` names the
connection: events with the same label must carry the same flow id and
different labels different ids; a line without flow= means flow=A.
Every event of the output must be matched by a line: the count matters.
"""

import json
import sys

POSITIONAL = ("event", "by", "client_state", "server_state")


class Spec:
    def __init__(self, lineno, text, optional):
        self.lineno = lineno
        self.text = text
        self.optional = optional
        words = text.split()
        if len(words) < 4:
            raise ValueError("line %d: need EVENT BY CLIENT_STATE SERVER_STATE" % lineno)
        self.fields = dict(zip(POSITIONAL, words[:4]))
        self.flow = "A"
        for w in words[4:]:
            if "=" not in w:
                raise ValueError("line %d: %r is not key=value" % (lineno, w))
            k, v = w.split("=", 1)
            if k == "flow":
                self.flow = v
            else:
                self.fields[k] = v

    def mismatch(self, ev):
        """The first field of ev that differs, as text; None when ev matches."""
        for k, want in self.fields.items():
            if want == "*":
                continue
            if k not in ev:
                return "%s: missing, want %s" % (k, want)
            got = text_of(ev[k])
            if got != want:
                return "%s: want %s, got %s" % (k, want, got)
        return None


def text_of(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def parse_expect(path):
    """A list of items: ('one', Spec), ('group', [Spec]), ('any', None)."""
    items = []
    group = None
    with open(path) as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            if line == "{":
                if group is not None:
                    raise ValueError("line %d: groups do not nest" % lineno)
                group = []
            elif line == "}":
                if group is None:
                    raise ValueError("line %d: } without {" % lineno)
                items.append(("group", group))
                group = None
            elif line == "...":
                if group is not None:
                    raise ValueError("line %d: ... inside a group" % lineno)
                items.append(("any", None))
            else:
                optional = line.startswith("?")
                spec = Spec(lineno, line.lstrip("?").strip(), optional)
                if group is not None:
                    group.append(spec)
                else:
                    items.append(("one", spec))
    if group is not None:
        raise ValueError("unclosed {")
    return items


def read_events(path):
    events = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                ev = json.loads(line)
            except ValueError as e:
                raise ValueError("output line %d is not JSON (%s): %s" % (n, e, line.strip()[:120]))
            if not isinstance(ev, dict) or "event" not in ev:
                raise ValueError("output line %d is not an event record: %s" % (n, line.strip()[:120]))
            events.append(ev)
    return events


class Matcher:
    """Backtracking match of the items against the events, binding flow labels."""

    def __init__(self, items, events):
        self.items = items
        self.events = events
        self.best = (-1, None)  # deepest event index reached, and why it failed there

    def note(self, j, why):
        if j > self.best[0]:
            self.best = (j, why)

    def bind(self, spec, ev, flows):
        """flows extended with spec's label for ev's flow id, or None if inconsistent."""
        fid = ev.get("flow")
        have = flows.get(spec.flow)
        if have is not None:
            return flows if have == fid else None
        if fid in flows.values():
            return None
        nf = dict(flows)
        nf[spec.flow] = fid
        return nf

    def try_spec(self, spec, j, flows):
        if j >= len(self.events):
            self.note(j, "want %r (line %d), output ended" % (spec.text, spec.lineno))
            return None
        ev = self.events[j]
        why = spec.mismatch(ev)
        if why is None:
            nf = self.bind(spec, ev, flows)
            if nf is not None:
                return nf
            why = "flow: %s is not the connection of flow=%s" % (ev.get("flow"), spec.flow)
        self.note(j, "event %d: want %r (line %d): %s" % (j + 1, spec.text, spec.lineno, why))
        return None

    def match(self, i, j, flows):
        if i == len(self.items):
            if j == len(self.events):
                return True
            self.note(j, "event %d and after are not expected" % (j + 1))
            return False
        kind, what = self.items[i]
        if kind == "any":
            for k in range(j, len(self.events) + 1):
                if self.match(i + 1, k, flows):
                    return True
            return False
        if kind == "one":
            nf = self.try_spec(what, j, flows)
            if nf is not None and self.match(i + 1, j + 1, nf):
                return True
            return what.optional and self.match(i + 1, j, flows)
        return self.match_group(what, i, j, flows)

    def match_group(self, specs, i, j, flows):
        if not specs:
            return self.match(i + 1, j, flows)
        for n, spec in enumerate(specs):
            nf = self.try_spec(spec, j, flows)
            rest = specs[:n] + specs[n + 1:]
            if nf is not None and self.match_group(rest, i, j + 1, nf):
                return True
        if all(s.optional for s in specs):
            return self.match(i + 1, j, flows)
        return False


def render(events):
    """The output in the expectation's own words, flow ids as F1, F2, ..."""
    names = {}
    lines = []
    keys = ("reason", "closed_by", "abnormal", "client_bytes", "server_bytes", "client_pkts",
        "server_pkts", "partial", "conn_state")
    for ev in events:
        fid = ev.get("flow")
        names.setdefault(fid, "F%d" % (len(names) + 1))
        words = [text_of(ev.get(k, "-")) for k in POSITIONAL]
        words += ["%s=%s" % (k, text_of(ev[k])) for k in keys if k in ev]
        words.append("flow=" + names[fid])
        lines.append(" ".join(words))
    return lines


def normalize(path):
    """The lines of path as written, only each flow id replaced by F1, F2, ..."""
    names = {}
    out = []
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            fid = json.loads(line).get("flow")
            names.setdefault(fid, "F%d" % (len(names) + 1))
            out.append(line.rstrip("\n").replace('"flow":%s' % json.dumps(fid),
                '"flow":"%s"' % names[fid], 1))
    return out


def main(argv):
    if len(argv) == 3 and argv[1] == "--normalize":
        try:
            read_events(argv[2])
            lines = normalize(argv[2])
        except (OSError, ValueError) as e:
            print("%s" % e, file=sys.stderr)
            return 1
        for line in lines:
            print(line)
        return 0
    if len(argv) != 3:
        print("usage: check.py CASE.expect OUTPUT.jsonl | check.py --normalize OUTPUT.jsonl",
            file=sys.stderr)
        return 2
    try:
        items = parse_expect(argv[1])
        events = read_events(argv[2])
    except (OSError, ValueError) as e:
        print("%s" % e)
        return 1
    m = Matcher(items, events)
    if m.match(0, 0, {}):
        return 0
    print(m.best[1])
    print("expected (%s):" % argv[1])
    with open(argv[1]) as f:
        for raw in f:
            line = raw.split("#", 1)[0].strip()
            if line:
                print("    " + line)
    print("got:")
    for line in render(events):
        print("    " + line)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
