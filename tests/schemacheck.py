#!/usr/bin/env python3
"""schemacheck.py - hold JSON Lines records to man/tcpstated-records.schema.json.

  schemacheck.py SCHEMA NAME [--expect DEF,...] FILE...
      validate every line of every FILE against the schema (formats checked);
      print PASS schema_NAME or FAIL schema_NAME with the first bad lines.
      --expect: each of these record definitions ($defs) must match at least
      one line, so that a test cannot pass by never seeing a record type.
  schemacheck.py SCHEMA NAME --vocab VOCAB.json
      the schema's enums against the code's tables (tests/tools/vocabdump).
"""
import json
import sys

import jsonschema


def check(name, ok, why=''):
    print('PASS schema_%s' % name if ok else 'FAIL schema_%s: %s' % (name, why))


def records(schema, name, expect, files):
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    top = cls(schema, format_checker=cls.FORMAT_CHECKER)
    defs = {d: cls(dict(schema, oneOf=[{'$ref': '#/$defs/' + d}]), format_checker=cls.FORMAT_CHECKER)
            for d in expect}
    seen = dict.fromkeys(expect, 0)
    bad, n = [], 0
    for path in files:
        with open(path, encoding='utf-8') as f:
            for i, line in enumerate(f, 1):
                n += 1
                try:
                    rec = json.loads(line)
                except ValueError as e:
                    bad.append('%s:%d: not JSON: %s' % (path, i, e))
                    continue
                errs = list(top.iter_errors(rec))
                if errs:
                    best = jsonschema.exceptions.best_match(errs)
                    bad.append('%s:%d: %s (%s)' % (path, i, best.message[:200], line[:160].strip()))
                    continue
                for d, v in defs.items():
                    if v.is_valid(rec):
                        seen[d] += 1
    check(name + '_valid', n > 0 and not bad, '%d of %d lines: %s' % (len(bad), n, ' | '.join(bad[:3])))
    missing = [d for d, c in seen.items() if c == 0]
    if expect:
        check(name + '_every_type_seen', not missing, 'never seen: %s' % ', '.join(missing))


def enums(schema, name, vocab):
    d = schema['$defs']
    pairs = [('event_type', 'events'), ('tcp_state', 'states'), ('close_reason', 'reasons'),
             ('side', 'sides'), ('alert_kind', 'alert_kinds')]
    for defname, key in pairs:
        check('%s_enum_%s' % (name, defname), d[defname]['enum'] == vocab[key],
              'schema %s, code %s' % (d[defname]['enum'], vocab[key]))
    have = set(d['STATS']['properties'])
    closed = {k for k in have if k.startswith('closed_')}
    want = {'closed_' + k for k in vocab['closed_keys']}
    states = set(vocab['state_keys'])
    check(name + '_stats_keys', closed == want and states <= have,
          'closed_* %s, states missing %s' % (sorted(closed ^ want), sorted(states - have)))
    # every record type an output or the daemon writes has its definition, and no other
    rec_events = set()
    for ref in schema['oneOf']:
        props = d[ref['$ref'].rsplit('/', 1)[1]]['properties']
        rec_events.add(props['event']['const'])
    names = set(vocab['events']) | set(vocab['reports'])
    check(name + '_record_types', rec_events == names,
          'schema %s, code %s' % (sorted(rec_events), sorted(names)))


def main(argv):
    schema = json.load(open(argv[1]))
    name = argv[2]
    args = argv[3:]
    if args[:1] == ['--vocab']:
        enums(schema, name, json.load(open(args[1])))
        return
    expect = []
    if args[:1] == ['--expect']:
        expect = [e for e in args[1].split(',') if e]
        args = args[2:]
    records(schema, name, expect, args)


main(sys.argv)
