/*
 * alert.h - alert rules over the tracker's CLOSED records: "more than
 * threshold connections to port P ended with kind K within window seconds".
 *
 * The alerts own, per rule, a ring of one counter per second of the window
 * and a ring of the last ALERT_SAMPLE matching events' client addresses
 * (for the top peers), both allocated once by alerts_new(); after that
 * nothing is allocated. Time is the events' own (packet time) and what
 * alerts_advance() is told, never a clock, so a replayed capture gives the
 * same alerts every time.
 *
 * A rule fires once when its count goes over the threshold (an ALERT report
 * with state firing, the count, the window and the top peers), then stays
 * quiet while the count stays above the recovery level; when the count falls
 * to that level or below, it reports once more (state recovered) and is armed
 * again. The count covers the whole seconds [now - window + 1, now] of the
 * events' time stamps.
 */
#ifndef TCPSTATED_ALERT_H
#define TCPSTATED_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

#define ALERT_MAX_RULES 32
#define ALERT_NAME_MAX 63 /* characters of a rule name: [A-Za-z0-9_.-] */
#define ALERT_WINDOW_MAX 3600
#define ALERT_TOP_PEERS 5
#define ALERT_SAMPLE 256 /* the top peers are counted among the last this many events */

/*
 * What a rule counts: CLOSED records of one reason, from either side
 * (SIDE_NONE) or, for a reason split by side, from one; or, with reason
 * CR_NONE, every close close_reasons[] counts as alert_abnormal. The kinds
 * there are follow from that table: "abnormal", and each reason with an
 * .alert phrase under its name and, split, its names by side.
 */
struct alert_kind {
	enum close_reason reason;
	enum side side;
};

struct alert_rule {
	char name[ALERT_NAME_MAX + 1];
	struct alert_kind kind;
	uint16_t port;      /* server port; 0 = every port */
	uint32_t threshold; /* fires when the count is more than this */
	uint32_t window_s;  /* 1..ALERT_WINDOW_MAX */
	uint32_t recover;   /* recovered when the count is at most this (<= threshold) */
};

struct alert_peer {
	uint8_t family; /* 4 or 6 */
	uint8_t ip[16];
	uint32_t count;
};

/* One ALERT record: a rule that fired or recovered. */
struct alert_report {
	uint64_t ts_us;
	const struct alert_rule *rule;
	int firing;       /* 1: fired; 0: recovered */
	uint64_t count;   /* in the window at ts_us */
	uint64_t held_us; /* recovered: how long it had been firing */
	size_t npeers;    /* firing: the most frequent clients, most frequent first */
	struct alert_peer peer[ALERT_TOP_PEERS];
};

typedef void alert_emit_cb(const struct alert_report *r, void *arg);

struct alerts;

/* "rst_server" and back (0, or -1 when unknown). */
const char *alert_kind_name(struct alert_kind k);
int alert_kind_from_name(const char *name, struct alert_kind *k);

/* The i-th kind there is, in the order the man page lists them; -1 past the last. */
int alert_kind_nth(size_t i, struct alert_kind *k);

/* Does a CLOSED event count for kind k (and port)? */
int alert_rule_matches(const struct alert_rule *r, const struct event *ev);

/*
 * Rules (copied) and where reports go. Returns NULL when a rule is invalid
 * (window 0 or too long, recover above threshold) or memory cannot be had.
 * n may be 0.
 */
struct alerts *alerts_new(const struct alert_rule *rules, size_t n, alert_emit_cb *cb, void *arg);
void alerts_free(struct alerts *a);

/*
 * Replace the rules (a reload). A rule with the same name, kind, port and
 * window as before keeps its counts and its firing state; every other rule
 * starts afresh, quiet. Returns -1 (nothing changed) when a rule is invalid
 * or memory cannot be had.
 */
int alerts_reconfigure(struct alerts *a, const struct alert_rule *rules, size_t n);

/* Count an event (only CLOSED records can match); it also advances time to its ts. */
void alerts_event(struct alerts *a, const struct event *ev);

/* Time passes (packet or wall time): counts leave the window, rules may recover. */
void alerts_advance(struct alerts *a, uint64_t now_us);

/* For the metrics: the rules, whether each fires now, how often it fired. */
size_t alerts_count(const struct alerts *a);
const struct alert_rule *alerts_rule(const struct alerts *a, size_t i);
int alerts_firing(const struct alerts *a, size_t i);
uint64_t alerts_fired(const struct alerts *a, size_t i);
uint64_t alerts_window_count(const struct alerts *a, size_t i);

#endif
