/*
 * report.c - the daemon's own records: SUPPRESSED, STATS and ALERT, in JSON,
 * key=value, text, or as the one sentence that is the journal's MESSAGE. See
 * report.h. Rare, so every piece goes through the checked writer of put.h.
 *
 * A kind is a sentence (its message; the text line is the ts, a prefix and
 * the sentence) and its fields (JSON and key=value after ts and event): one
 * row of report_writers, and report_format() does the rest for every kind.
 */
#include <string.h>

#include "put.h"
#include "report.h"

const struct report_kind_info report_kinds[REPORT_NKINDS] = {
    [REPORT_SUPPRESSED] = {"SUPPRESSED", "361663c4e2bf4b5a877a6103976ce360", 4},
    [REPORT_STATS] = {"STATS", "12d06338519e41f784fd54c694c05704", 6},
    [REPORT_ALERT] = {"ALERT", "3d8791610821406bba42a5de68c6fcf9", 4},
};

/*
 * One JSON object or one key=value line: the same keys in the same order.
 * `n` counts the fields written so far, for the separators.
 */
struct rec {
	struct wbuf w;
	enum format f;
	int n;
};

/* A key made of two parts, such as "closed_" and a counter's name. */
static void
r_key2(struct rec *r, const char *key, const char *key2)
{
	if (r->f == FMT_JSON) {
		w_str(&r->w, r->n++ == 0 ? "{\"" : ",\"");
		w_str(&r->w, key);
		w_str(&r->w, key2);
		w_str(&r->w, "\":");
	} else {
		if (r->n++ > 0)
			w_char(&r->w, ' ');
		w_str(&r->w, key);
		w_str(&r->w, key2);
		w_char(&r->w, '=');
	}
}

static void
r_key(struct rec *r, const char *key)
{
	r_key2(r, key, "");
}

/* The quote around a string value: JSON has one, key=value none. */
static void
r_quote(struct rec *r)
{
	if (r->f == FMT_JSON)
		w_char(&r->w, '"');
}

/* A name from one of our tables: never needs escaping. */
static void
r_name(struct rec *r, const char *key, const char *val)
{
	r_key(r, key);
	r_quote(r);
	w_str(&r->w, val);
	r_quote(r);
}

static void
r_u64(struct rec *r, const char *key, uint64_t v)
{
	r_key(r, key);
	w_u64(&r->w, v);
}

static void
r_ts(struct rec *r, uint64_t ts_us)
{
	r_key(r, "ts");
	r_quote(r);
	w_ts(&r->w, ts_us);
	r_quote(r);
}

static size_t
r_end(struct rec *r)
{
	if (r->f == FMT_JSON)
		w_char(&r->w, '}');
	w_char(&r->w, '\n');
	return w_end(&r->w);
}

/* "suppressed 1532 events in 10 s (RST 1500, CLOSED 32)": also the journal's MESSAGE. */
static void
suppressed_sentence(struct wbuf *w, const struct report *rp)
{
	const struct suppressed *s = rp->u.suppressed;
	int t, n = 0;

	w_str(w, "suppressed ");
	w_u64(w, s->total);
	w_str(w, s->total == 1 ? " event in " : " events in ");
	w_u64(w, s->window_s);
	w_str(w, " s (");
	for (t = 0; t < TEV_NTYPES; t++) {
		if (s->by_type[t] == 0)
			continue;
		if (n++ > 0)
			w_str(w, ", ");
		w_str(w, event_type_name((enum event_type)t));
		w_char(w, ' ');
		w_u64(w, s->by_type[t]);
	}
	w_char(w, ')');
}

/* SUPPRESSED after ts and event. */
static void
suppressed_fields(struct rec *r, const struct report *rp)
{
	const struct suppressed *s = rp->u.suppressed;
	int t, n = 0;

	r_u64(r, "suppressed", s->total);
	r_u64(r, "window", s->window_s);
	r_key(r, "types");
	if (r->f == FMT_JSON)
		w_char(&r->w, '{');
	for (t = 0; t < TEV_NTYPES; t++) {
		if (s->by_type[t] == 0)
			continue;
		if (n++ > 0)
			w_char(&r->w, ',');
		r_quote(r);
		w_str(&r->w, event_type_name((enum event_type)t));
		w_str(&r->w, r->f == FMT_JSON ? "\":" : ":");
		w_u64(&r->w, s->by_type[t]);
	}
	if (r->f == FMT_JSON)
		w_char(&r->w, '}');
}

/* A number and the words after it. */
static void
w_count(struct wbuf *w, uint64_t n, const char *words)
{
	w_u64(w, n);
	w_str(w, words);
}

/* "1234 packets (0 dropped by the kernel, 0 by the interface); ..." */
static void
stats_sentence(struct wbuf *w, const struct report *rp)
{
	const struct stats_record *r = rp->u.stats;
	uint64_t closed = stats_closed(r->closed, 0);

	w_count(w, r->packets, " packets (");
	w_count(w, r->kernel_drops, " dropped by the kernel, ");
	w_count(w, r->interface_drops, " by the interface); ");
	w_count(w, r->connections, " connections tracked; ");
	w_count(w, r->opened, " opened, ");
	w_count(w, closed, " closed (");
	w_count(w, stats_closed(r->closed, 1), " abnormal); ");
	w_count(w, r->endpoints[ST_CLOSE_WAIT], " CLOSE_WAIT, ");
	w_count(w, r->endpoints[ST_TIME_WAIT], " TIME_WAIT; ");
	w_count(w, r->output_dropped, " output drops, ");
	w_count(w, r->suppressed, " suppressed; ");
	w_u64(w, r->alerts_firing);
	w_str(w, r->alerts_firing == 1 ? " alert firing" : " alerts firing");
}

/* STATS after ts and event. */
static void
stats_fields(struct rec *r, const struct report *rp)
{
	const struct stats_record *sr = rp->u.stats;
	int c, side;

	r_u64(r, "uptime", sr->uptime_s);
	r_u64(r, "packets", sr->packets);
	r_u64(r, "kernel_drops", sr->kernel_drops);
	r_u64(r, "interface_drops", sr->interface_drops);
	r_u64(r, "connections", sr->connections);
	r_u64(r, "attempts", sr->attempts);
	r_u64(r, "opened", sr->opened);
	r_u64(r, "closed", stats_closed(sr->closed, 0));
	for (c = CR_FIN; c < CR_NREASONS; c++)
		for (side = 0; side < stats_close_sides((enum close_reason)c); side++) {
			r_key2(r, "closed_", stats_close_name((enum close_reason)c, side));
			w_u64(&r->w, sr->closed[c][side]);
		}
	r_u64(r, "handshakes", sr->handshakes);
	r_key(r, "handshake_avg");
	w_secs(&r->w, sr->handshakes > 0 ? sr->handshake_sum_us / sr->handshakes : 0, 6);
	r_u64(r, "clock_steps", sr->clock_steps);
	for (c = 0; c < ST_NSTATES; c++)
		if (tcp_states[c].key != NULL)
			r_u64(r, tcp_states[c].key, sr->endpoints[c]);
	r_u64(r, "events", sr->events);
	r_u64(r, "output_dropped", sr->output_dropped);
	r_u64(r, "suppressed", sr->suppressed);
	r_u64(r, "hash_overflows", sr->hash_overflows);
	r_u64(r, "alerts_firing", sr->alerts_firing);
}

/* The rule's name, kept to the characters a key=value value may hold. */
static void
w_alert_name(struct wbuf *w, const char *name)
{
	char t[ALERT_NAME_MAX + 1];

	w_mem(w, t, (size_t)(put_kv_safe(t, name, strnlen(name, sizeof(t))) - t));
}

/* "alert pg-refused firing: 25 refused connections to port 5432 in 60 s ..." */
static void
alert_sentence(struct wbuf *w, const struct report *rp)
{
	const struct alert_report *a = rp->u.alert;
	const struct alert_rule *rule = a->rule;
	size_t i;

	w_str(w, "alert ");
	w_alert_name(w, rule->name);
	w_str(w, a->firing ? " firing: " : " recovered: ");
	w_u64(w, a->count);
	w_char(w, ' ');
	if (rule->kind.reason == CR_NONE)
		w_str(w, "abnormal closes");
	else if ((unsigned)rule->kind.reason < CR_NREASONS &&
	         close_reasons[rule->kind.reason].alert)
		w_str(w, close_reasons[rule->kind.reason].alert);
	else
		w_char(w, '?');
	if (rule->kind.side != SIDE_NONE) {
		w_str(w, " by the ");
		w_str(w, side_name(rule->kind.side));
	}
	if (rule->port != 0) {
		w_str(w, " to port ");
		w_u64(w, rule->port);
	} else
		w_str(w, " to any port");
	w_str(w, " in ");
	w_u64(w, rule->window_s);
	w_str(w, " s (");
	if (a->firing) {
		w_str(w, "threshold ");
		w_u64(w, rule->threshold);
		w_char(w, ')');
		for (i = 0; i < a->npeers; i++) {
			w_str(w, i == 0 ? "; top peers " : ", ");
			w_ip(w, a->peer[i].family, a->peer[i].ip);
			w_str(w, " (");
			w_u64(w, a->peer[i].count);
			w_char(w, ')');
		}
	} else {
		w_str(w, "recovery level ");
		w_u64(w, rule->recover);
		w_str(w, ", after ");
		w_u64(w, a->held_us / 1000000);
		w_str(w, " s)");
	}
}

/* ALERT after ts and event. */
static void
alert_fields(struct rec *r, const struct report *rp)
{
	const struct alert_report *a = rp->u.alert;
	size_t i;

	r_key(r, "alert");
	r_quote(r);
	w_alert_name(&r->w, a->rule->name);
	r_quote(r);
	r_name(r, "state", a->firing ? "firing" : "recovered");
	r_name(r, "kind", alert_kind_name(a->rule->kind));
	if (a->rule->port != 0)
		r_u64(r, "port", a->rule->port);
	r_u64(r, "count", a->count);
	r_u64(r, "threshold", a->rule->threshold);
	r_u64(r, "window", a->rule->window_s);
	if (a->firing && (r->f == FMT_JSON || a->npeers > 0)) {
		r_key(r, "peers");
		if (r->f == FMT_JSON)
			w_char(&r->w, '{');
		for (i = 0; i < a->npeers; i++) {
			if (i > 0)
				w_char(&r->w, ',');
			r_quote(r);
			w_ip(&r->w, a->peer[i].family, a->peer[i].ip);
			if (r->f == FMT_JSON) {
				w_str(&r->w, "\":");
				w_u64(&r->w, a->peer[i].count);
			} else {
				w_char(&r->w, '(');
				w_u64(&r->w, a->peer[i].count);
				w_char(&r->w, ')');
			}
		}
		if (r->f == FMT_JSON)
			w_char(&r->w, '}');
	} else if (!a->firing) {
		r_key(r, "duration");
		w_secs(&r->w, a->held_us, 6);
	}
}

/* How each kind is written; report_format() frames it. */
static const struct {
	const char *text_prefix; /* after the ts in the text line */
	void (*sentence)(struct wbuf *w, const struct report *r);
	void (*fields)(struct rec *r, const struct report *rp);
} report_writers[REPORT_NKINDS] = {
    [REPORT_SUPPRESSED] = {"", suppressed_sentence, suppressed_fields},
    [REPORT_STATS] = {"stats: ", stats_sentence, stats_fields},
    [REPORT_ALERT] = {"", alert_sentence, alert_fields},
};

static uint64_t
report_ts(const struct report *r)
{
	switch (r->kind) {
	case REPORT_SUPPRESSED:
		return r->u.suppressed->ts_us;
	case REPORT_STATS:
		return r->u.stats->ts_us;
	case REPORT_ALERT:
		return r->u.alert->ts_us;
	default:
		return 0;
	}
}

/*
 * In text the ts, the prefix and the sentence; in JSON and key=value the ts
 * and event fields, then the kind's own. An unknown format or kind writes
 * nothing (returns 0).
 */
size_t
report_format(int f, const struct report *r, char *buf, size_t cap)
{
	struct rec rec;

	w_init(&rec.w, buf, cap);
	rec.f = (enum format)f;
	rec.n = 0;
	if ((unsigned)r->kind >= REPORT_NKINDS)
		return w_end(&rec.w);
	switch (f) {
	case REPORT_MESSAGE:
		report_writers[r->kind].sentence(&rec.w, r);
		return w_end(&rec.w);
	case FMT_TEXT:
		w_ts(&rec.w, report_ts(r));
		w_char(&rec.w, ' ');
		w_str(&rec.w, report_writers[r->kind].text_prefix);
		report_writers[r->kind].sentence(&rec.w, r);
		w_char(&rec.w, '\n');
		return w_end(&rec.w);
	case FMT_JSON:
	case FMT_KV:
		r_ts(&rec, report_ts(r));
		r_name(&rec, "event", report_kinds[r->kind].event);
		report_writers[r->kind].fields(&rec, r);
		return r_end(&rec);
	default:
		return w_end(&rec.w);
	}
}

int
report_priority(const struct report *r)
{
	if ((unsigned)r->kind >= REPORT_NKINDS)
		return 6;
	if (r->kind == REPORT_ALERT && !r->u.alert->firing)
		return report_kinds[r->kind].priority + 1; /* recovered: notice */
	return report_kinds[r->kind].priority;
}
