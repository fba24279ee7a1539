"""promcheck.py - read a Prometheus text exposition file strictly.

    import promcheck
    samples, problems = promcheck.parse(text)

samples maps (name, ((label, value), ...sorted)) to a float (or the string
'+Inf', '-Inf', 'NaN'); problems lists (line number, why) for everything
that is not a valid sample or # HELP / # TYPE comment of the text format
(https://prometheus.io/docs/instrumenting/exposition_formats/): a bad name,
label or value, a TYPE given twice or after its samples, a family split in
two, a counter not ending in _total, a duplicate sample, no final newline.
Run as a script on a file it prints the problems and exits 1 when there are
any. Used by t_insight.sh, t_control.sh and t_halfclose.sh.
"""
import re
import sys

NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r'^(%s)(?:\{((?:%s)(?:,%s)*)?\})? (-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|\+Inf|-Inf|NaN)$'
                    % (NAME, LABEL, LABEL))
PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
TYPES = ('counter', 'gauge', 'histogram', 'summary', 'untyped')


def parse(text):
    samples, problems, types, done = {}, [], {}, set()
    current = None
    if not text.endswith('\n'):
        problems.append((0, 'no newline at the end'))
    for n, line in enumerate(text.split('\n')[:-1], 1):
        if line.startswith('#'):
            parts = line.split(' ', 3)
            if len(parts) >= 3 and parts[1] in ('HELP', 'TYPE'):
                if not re.fullmatch(NAME, parts[2]):
                    problems.append((n, 'bad metric name: ' + line))
                if parts[1] == 'TYPE':
                    if len(parts) < 4 or parts[3] not in TYPES:
                        problems.append((n, 'bad type: ' + line))
                    elif parts[2] in types or parts[2] in done:
                        problems.append((n, 'TYPE again or after its samples: ' + line))
                    else:
                        types[parts[2]] = parts[3]
                if parts[2] != current:
                    if current is not None:
                        done.add(current)
                    current = parts[2]
            continue
        m = SAMPLE.match(line)
        if not m:
            problems.append((n, 'not a sample: ' + line))
            continue
        name = m.group(1)
        base = re.sub(r'_(bucket|sum|count)$', '', name)
        family = base if types.get(base) in ('histogram', 'summary') else name
        if family != current:
            if family in done:
                problems.append((n, 'family split in two: ' + line))
            if current is not None:
                done.add(current)
            current = family
        if types.get(family) == 'counter' and not name.endswith('_total'):
            problems.append((n, 'a counter without _total: ' + line))
        labels = tuple(sorted(PAIR.findall(m.group(2) or '')))
        if len({k for k, _ in labels}) != len(labels):
            problems.append((n, 'a label twice: ' + line))
        key = (name, labels)
        if key in samples:
            problems.append((n, 'duplicate sample: ' + line))
        v = m.group(3)
        samples[key] = float(v) if v not in ('+Inf', '-Inf', 'NaN') else v
    return samples, problems


def value(samples, name, **labels):
    """The sample of name with exactly these labels, or None."""
    return samples.get((name, tuple(sorted(labels.items()))))


if __name__ == '__main__':
    s, p = parse(open(sys.argv[1]).read())
    for n, why in p:
        print('%s:%d: %s' % (sys.argv[1], n, why))
    sys.exit(1 if p or not s else 0)
