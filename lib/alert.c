/*
 * alert.c - alert rules: a per-second ring of counts per rule, a firing flag
 * with hysteresis, and the top peers from a ring of recent samples. See
 * alert.h for the contract.
 */
#include <stdlib.h>
#include <string.h>

#include "alert.h"

#define USEC 1000000ULL

struct alert_sample {
	uint64_t ts_s;
	uint8_t family;
	uint8_t ip[16];
};

struct alert_state {
	struct alert_rule rule;
	uint32_t *bucket;            /* rule.window_s counts, one per second: [sec % window] */
	struct alert_sample *sample; /* ALERT_SAMPLE, a ring */
	uint32_t sample_next;
	uint32_t sample_n;
	int started;     /* head_s is valid */
	uint64_t head_s; /* the newest second the buckets cover */
	uint64_t sum;    /* the count in the window */
	int firing;
	uint64_t fired_at_us;
	uint64_t fired; /* how many times it fired */
};

struct alerts {
	struct alert_state *st;
	size_t n;
	alert_emit_cb *cb;
	void *arg;
	uint64_t now_us; /* the latest time seen */
};

/* Is k a kind there is? */
static int
alert_kind_valid(struct alert_kind k)
{
	const struct close_reason_info *ri;

	if (k.reason == CR_NONE)
		return k.side == SIDE_NONE;
	if ((unsigned)k.reason >= CR_NREASONS || (unsigned)k.side > SIDE_NONE)
		return 0;
	ri = &close_reasons[k.reason];
	return ri->alert != NULL && (k.side == SIDE_NONE || ri->by_side[k.side] != NULL);
}

const char *
alert_kind_name(struct alert_kind k)
{
	if (!alert_kind_valid(k))
		return "?";
	if (k.reason == CR_NONE)
		return "abnormal";
	return k.side == SIDE_NONE ? close_reasons[k.reason].name
	                           : close_reasons[k.reason].by_side[k.side];
}

int
alert_kind_nth(size_t i, struct alert_kind *k)
{
	static const enum side sides[] = {SIDE_NONE, SIDE_CLIENT, SIDE_SERVER};
	size_t n = 0, j;
	int r;

	for (r = CR_NONE + 1; r < CR_NREASONS; r++)
		for (j = 0; j < sizeof(sides) / sizeof(sides[0]); j++) {
			k->reason = (enum close_reason)r;
			k->side = sides[j];
			if (alert_kind_valid(*k) && n++ == i)
				return 0;
		}
	k->reason = CR_NONE;
	k->side = SIDE_NONE;
	return n == i ? 0 : -1;
}

int
alert_kind_from_name(const char *name, struct alert_kind *k)
{
	size_t i;

	if (name == NULL)
		return -1;
	for (i = 0; alert_kind_nth(i, k) == 0; i++)
		if (strcmp(name, alert_kind_name(*k)) == 0)
			return 0;
	return -1;
}

int
alert_rule_matches(const struct alert_rule *r, const struct event *ev)
{
	if (ev->type != TEV_CLOSED || (r->port != 0 && ev->server_port != r->port))
		return 0;
	if (r->kind.reason == CR_NONE)
		return (unsigned)ev->reason < CR_NREASONS &&
		       close_reasons[ev->reason].alert_abnormal;
	return ev->reason == r->kind.reason &&
	       (r->kind.side == SIDE_NONE || ev->closed_by == r->kind.side);
}

static int
alert_rule_valid(const struct alert_rule *r)
{
	return r->window_s >= 1 && r->window_s <= ALERT_WINDOW_MAX && r->recover <= r->threshold &&
	       alert_kind_valid(r->kind);
}

static void
alert_state_free(struct alert_state *s)
{
	free(s->bucket);
	free(s->sample);
	s->bucket = NULL;
	s->sample = NULL;
}

static int
alert_state_init(struct alert_state *s, const struct alert_rule *r)
{
	memset(s, 0, sizeof *s);
	s->rule = *r;
	s->bucket = calloc(r->window_s, sizeof *s->bucket);
	s->sample = calloc(ALERT_SAMPLE, sizeof *s->sample);
	if (s->bucket == NULL || s->sample == NULL) {
		alert_state_free(s);
		return -1;
	}
	return 0;
}

/*
 * Build states for rules into a fresh array, taking over those of old whose
 * rule is the same but for threshold and recovery level. old is only changed
 * (the states taken over are marked so) when everything succeeded.
 */
static struct alert_state *
alerts_build(const struct alert_rule *rules, size_t n, struct alert_state *old, size_t nold)
{
	struct alert_state *st;
	size_t from[ALERT_MAX_RULES], i, j;
	uint8_t taken[ALERT_MAX_RULES] = {0};

	if (n > ALERT_MAX_RULES || nold > ALERT_MAX_RULES)
		return NULL;
	for (i = 0; i < n; i++) {
		if (!alert_rule_valid(&rules[i]))
			return NULL;
		for (j = 0; j < nold; j++) {
			const struct alert_rule *o = &old[j].rule;

			if (!taken[j] && strcmp(o->name, rules[i].name) == 0 &&
			    o->kind.reason == rules[i].kind.reason &&
			    o->kind.side == rules[i].kind.side && o->port == rules[i].port &&
			    o->window_s == rules[i].window_s)
				break;
		}
		if (j < nold)
			taken[j] = 1;
		from[i] = j; /* nold: a new state */
	}
	if ((st = calloc(n > 0 ? n : 1, sizeof *st)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (from[i] < nold)
			continue;
		if (alert_state_init(&st[i], &rules[i]) == -1) {
			for (j = 0; j < i; j++)
				alert_state_free(&st[j]);
			free(st);
			return NULL;
		}
	}
	for (i = 0; i < n; i++) {
		if (from[i] == nold)
			continue;
		st[i] = old[from[i]];
		st[i].rule = rules[i];
		old[from[i]].bucket = NULL; /* taken over */
		old[from[i]].sample = NULL;
	}
	return st;
}

struct alerts *
alerts_new(const struct alert_rule *rules, size_t n, alert_emit_cb *cb, void *arg)
{
	struct alerts *a;

	if ((a = calloc(1, sizeof *a)) == NULL)
		return NULL;
	if ((a->st = alerts_build(rules, n, NULL, 0)) == NULL) {
		free(a);
		return NULL;
	}
	a->n = n;
	a->cb = cb;
	a->arg = arg;
	return a;
}

void
alerts_free(struct alerts *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->n; i++)
		alert_state_free(&a->st[i]);
	free(a->st);
	free(a);
}

/*
 * The clients of the samples still in the window, counted, most frequent
 * first (ties: the lower address first, so that a replay reports the same).
 */
static size_t
alert_top_peers(const struct alert_state *s, struct alert_peer *top)
{
	struct alert_peer uniq[ALERT_SAMPLE];
	size_t nu = 0, i, j, best, k;
	const struct alert_sample *e;

	for (i = 0; i < s->sample_n; i++) {
		e = &s->sample[i];
		if (e->ts_s + s->rule.window_s <= s->head_s)
			continue; /* left the window */
		for (j = 0; j < nu; j++)
			if (uniq[j].family == e->family && memcmp(uniq[j].ip, e->ip, 16) == 0)
				break;
		if (j == nu) {
			uniq[nu].family = e->family;
			memcpy(uniq[nu].ip, e->ip, 16);
			uniq[nu].count = 0;
			nu++;
		}
		uniq[j].count++;
	}
	for (k = 0; k < ALERT_TOP_PEERS && k < nu; k++) {
		best = k;
		for (j = k + 1; j < nu; j++) {
			int c = uniq[j].count > uniq[best].count   ? 1
			        : uniq[j].count < uniq[best].count ? -1
			        : uniq[j].family != uniq[best].family
			            ? (uniq[j].family < uniq[best].family ? 1 : -1)
			            : -memcmp(uniq[j].ip, uniq[best].ip, 16);

			if (c > 0)
				best = j;
		}
		if (best != k) {
			struct alert_peer tmp = uniq[k];

			uniq[k] = uniq[best];
			uniq[best] = tmp;
		}
		top[k] = uniq[k];
	}
	return k;
}

static void
alert_fire(struct alerts *a, struct alert_state *s, uint64_t ts_us)
{
	struct alert_report r;

	memset(&r, 0, sizeof r);
	s->firing = 1;
	s->fired++;
	s->fired_at_us = ts_us;
	r.ts_us = ts_us;
	r.rule = &s->rule;
	r.firing = 1;
	r.count = s->sum;
	r.npeers = alert_top_peers(s, r.peer);
	a->cb(&r, a->arg);
}

static void
alert_recover(struct alerts *a, struct alert_state *s, uint64_t ts_us)
{
	struct alert_report r;

	memset(&r, 0, sizeof r);
	s->firing = 0;
	r.ts_us = ts_us;
	r.rule = &s->rule;
	r.firing = 0;
	r.count = s->sum;
	r.held_us = ts_us > s->fired_at_us ? ts_us - s->fired_at_us : 0;
	a->cb(&r, a->arg);
}

/*
 * Move a rule's window to end at second now_s: each second that enters it
 * empties the bucket of the second that leaves. A firing rule recovers at
 * the start of the first second its count is down to the recovery level.
 */
static void
alert_roll(struct alerts *a, struct alert_state *s, uint64_t now_s)
{
	uint64_t sec, end;
	uint32_t *b;

	if (!s->started) {
		s->started = 1;
		s->head_s = now_s;
		return;
	}
	if (now_s <= s->head_s)
		return;
	/* After window seconds every bucket has been emptied: later ones change nothing. */
	end = now_s - s->head_s > s->rule.window_s ? s->head_s + s->rule.window_s : now_s;
	for (sec = s->head_s + 1; sec <= end; sec++) {
		b = &s->bucket[sec % s->rule.window_s];
		s->sum -= *b;
		*b = 0;
		if (s->firing && s->sum <= s->rule.recover)
			alert_recover(a, s, sec * USEC);
	}
	s->head_s = now_s;
}

void
alerts_advance(struct alerts *a, uint64_t now_us)
{
	size_t i;

	if (now_us > a->now_us)
		a->now_us = now_us;
	for (i = 0; i < a->n; i++)
		alert_roll(a, &a->st[i], a->now_us / USEC);
}

void
alerts_event(struct alerts *a, const struct event *ev)
{
	struct alert_state *s;
	struct alert_sample *e;
	uint64_t ts_s = ev->ts_us / USEC;
	size_t i;

	if (ev->type != TEV_CLOSED)
		return;
	alerts_advance(a, ev->ts_us);
	for (i = 0; i < a->n; i++) {
		s = &a->st[i];
		if (!alert_rule_matches(&s->rule, ev))
			continue;
		/* A timeout is stamped with its deadline, which may lie behind: still counted if in
		 * the window. */
		if (ts_s + s->rule.window_s <= s->head_s)
			continue;
		s->bucket[ts_s % s->rule.window_s]++;
		s->sum++;
		e = &s->sample[s->sample_next];
		e->ts_s = ts_s;
		e->family = ev->family;
		memcpy(e->ip, ev->client_ip, 16);
		s->sample_next = (s->sample_next + 1) % ALERT_SAMPLE;
		if (s->sample_n < ALERT_SAMPLE)
			s->sample_n++;
		if (!s->firing && s->sum > s->rule.threshold)
			alert_fire(a, s, a->now_us);
	}
}

int
alerts_reconfigure(struct alerts *a, const struct alert_rule *rules, size_t n)
{
	struct alert_state *st, *s;
	size_t i;

	if ((st = alerts_build(rules, n, a->st, a->n)) == NULL)
		return -1;
	for (i = 0; i < a->n; i++)
		alert_state_free(&a->st[i]); /* those not taken over */
	free(a->st);
	a->st = st;
	a->n = n;
	/* A kept rule with a new threshold or recovery level takes its state from the count now. */
	for (i = 0; i < n; i++) {
		s = &st[i];
		if (s->firing && s->sum <= s->rule.recover)
			alert_recover(a, s, a->now_us);
		else if (!s->firing && s->started && s->sum > s->rule.threshold)
			alert_fire(a, s, a->now_us);
	}
	return 0;
}

size_t
alerts_count(const struct alerts *a)
{
	return a->n;
}

const struct alert_rule *
alerts_rule(const struct alerts *a, size_t i)
{
	return i < a->n ? &a->st[i].rule : NULL;
}

int
alerts_firing(const struct alerts *a, size_t i)
{
	return i < a->n && a->st[i].firing;
}

uint64_t
alerts_fired(const struct alerts *a, size_t i)
{
	return i < a->n ? a->st[i].fired : 0;
}

uint64_t
alerts_window_count(const struct alerts *a, size_t i)
{
	return i < a->n ? a->st[i].sum : 0;
}
