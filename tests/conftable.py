#!/usr/bin/env python3
"""conftable.py TABLE CONF MAN - hold the commented example config and the
config man page to the key table of daemon/conf.c.

TABLE is the output of build/tools/conftable (name, default, range, doc;
tab-separated). CONF must set every key of the table but the alert rules'
members, each to its default, and nothing else; wherever the comment just
above a key says "Default: X", X must be that default. MAN (mdoc) must have
an ".It Cm NAME" item for every key. Prints one line per problem and exits
1 if there is any.
"""
import re
import sys


def squeeze(s):
    return re.sub(r"\s+", "", s)


def parse_conf(path):
    """Every key the file sets: dotted name -> (value text, comment above)."""
    keys, groups, comment, pending = {}, [], [], None
    for raw in open(path, encoding="utf-8"):
        line = raw.strip()
        if pending is not None:
            name, value, above = pending
            value += " " + line
            if value.rstrip().endswith(";"):
                keys[name] = (value.rstrip()[:-1].strip(), above)
                pending = None
            else:
                pending = (name, value, above)
            continue
        if line.startswith("#"):
            comment.append(line.lstrip("#").strip())
            continue
        if line == "":
            comment = []
            continue
        m = re.match(r"^(\w+)\s*[:=]\s*\{$", line)
        if m:
            groups.append(m.group(1))
            comment = []
            continue
        if re.match(r"^\};?$", line):
            groups.pop()
            comment = []
            continue
        m = re.match(r"^(\w+)\s*[:=]\s*(.*)$", line)
        if not m:
            raise SystemExit(f"{path}: cannot read the line {line!r}")
        name = ".".join(groups + [m.group(1)])
        pending = (name, m.group(2), " ".join(comment))
        if m.group(2).rstrip().endswith(";"):
            keys[name] = (m.group(2).rstrip()[:-1].strip(), " ".join(comment))
            pending = None
        comment = []
    return keys


def main():
    table_path, conf_path, man_path = sys.argv[1:4]
    table = {}
    for line in open(table_path, encoding="utf-8"):
        name, default, _range, _doc = line.rstrip("\n").split("\t")
        table[name] = default
    conf = parse_conf(conf_path)
    man = set(re.findall(r"^\.It Cm (\w+)", open(man_path, encoding="utf-8").read(), re.M))
    problems = []
    for name, default in table.items():
        if name.split(".")[-1] not in man:
            problems.append(f"{man_path}: no .It Cm {name.split('.')[-1]} for {name}")
        if name.startswith("alerts."):
            continue
        if name not in conf:
            problems.append(f"{conf_path}: does not show {name}")
            continue
        value, above = conf[name]
        if squeeze(value) != squeeze(default):
            problems.append(f"{conf_path}: {name} = {value}, the default is {default}")
        for stated in re.findall(r"Default: (.*?)(?:\.\s|\.$| \(|$)", above):
            if squeeze(stated) != squeeze(default):
                problems.append(f"{conf_path}: {name}: the comment says the default is "
                                f"{stated}, the table {default}")
    for name in conf:
        if name not in table:
            problems.append(f"{conf_path}: {name} is not a key")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
