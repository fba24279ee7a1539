/*
 * output.c - the set of outputs: journal, syslog, the log file and standard
 * output, each a sink (out.h) behind one const struct sink_ops. It decides
 * which output gets which event (event masks), how many (rate limits, with
 * one summary record per window that exceeded its limit), makes each form of
 * a record at most once, and keeps the counters. The sinks in out_*.c do the
 * writing; everything here is a loop over them.
 *
 * Rate-limit windows run on one clock: the later of the newest event
 * timestamp and the newest outputs_tick() time. A window opens with the first
 * record after the previous one closed and closes rate_interval_s later, at
 * the next event or tick past its end; if anything was suppressed in it, that
 * output then gets one SUPPRESSED record stamped with the window's end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "out.h"

/* Standard output is the sink after the configured kinds. */
#define SINK_STDOUT OUT_NKINDS
#define NSINKS (OUT_NKINDS + 1)
#define TEV_MASK_ALL (TEV_BIT(TEV_NTYPES) - 1)

/* Every sink, in the order of enum out_kind (its config), then standard output (-o). */
static const struct sink_ops *const outputs_sinks[NSINKS] = {
    [OUT_JOURNAL] = &out_journal_ops,
    [OUT_SYSLOG] = &out_syslog_ops,
    [OUT_FILE] = &out_file_ops,
    [SINK_STDOUT] = &out_stdout_ops,
};

struct rate {
	uint32_t limit; /* records per window; 0 = unlimited */
	uint32_t interval_s;
	int open;
	uint64_t start_us;
	uint32_t count;
	struct suppressed sup; /* what this window left out */
};

struct sink {
	const struct sink_ops *ops;
	void *s; /* what ops->open returned; NULL: off */
	uint32_t mask;
	enum format format;
	struct rate rate;
	struct output_stats st;
};

struct outputs {
	struct sink *sink; /* NSINKS; a pointer so that outputs_stats() may refresh it */
	int started;       /* outputs_start() was called: new senders start at once */
	int replay;        /* as outputs_start() was told */
	uint64_t now_us;
	struct out_rec rec; /* the current event */
};

/* Close the window if now is past its end; 1 and *s when it suppressed something. */
static int
rate_roll(struct rate *r, uint64_t now_us, struct suppressed *s)
{
	uint64_t end;

	if (!r->open)
		return 0;
	end = r->start_us + (uint64_t)r->interval_s * 1000000;
	if (now_us < end)
		return 0;
	r->open = 0;
	if (r->sup.total == 0)
		return 0;
	*s = r->sup;
	s->ts_us = end;
	s->window_s = r->interval_s;
	memset(&r->sup, 0, sizeof(r->sup));
	return 1;
}

/* May one more record go out? Counts it as suppressed when not. */
static int
rate_admit(struct rate *r, uint64_t now_us, enum event_type t)
{
	if (r->limit == 0)
		return 1;
	if (!r->open) {
		r->open = 1;
		r->start_us = now_us;
		r->count = 0;
	}
	if (r->count < r->limit) {
		r->count++;
		return 1;
	}
	r->sup.total++;
	if ((unsigned)t < TEV_NTYPES)
		r->sup.by_type[t]++;
	return 0;
}

/* Masks, limits and format of one configured output; the window in progress is kept. */
static void
sink_configure(struct sink *s, const struct out_config *oc)
{
	s->mask = oc->event_mask;
	s->format = oc->format;
	s->rate.limit = oc->rate_limit;
	s->rate.interval_s = oc->rate_interval_s > 0 ? oc->rate_interval_s : 1;
}

/* To one sink; a form it needs that cannot be made (a bad address family) is a drop. */
static void
sink_deliver(struct sink *s, struct out_rec *r)
{
	if (s->ops->record(s->s, s->format, r) == -1)
		s->st.dropped++;
}

/* A report to sink `only`, or to every sink that is on (-1), past masks and rate limits. */
static void
outputs_report_to(struct outputs *o, const struct report *rep, int only)
{
	struct out_rec r;
	int k;

	out_rec_init(&r, NULL, rep);
	for (k = 0; k < NSINKS; k++)
		if (o->sink[k].s != NULL && (only < 0 || k == only))
			sink_deliver(&o->sink[k], &r);
}

void
outputs_report(struct outputs *o, const struct report *r)
{
	outputs_report_to(o, r, -1);
}

/* Close every window that ended by now, emitting the summaries. */
static void
outputs_roll(struct outputs *o, int force)
{
	struct suppressed sup;
	struct rate *r;
	int k;

	for (k = 0; k < NSINKS; k++) {
		if (o->sink[k].s == NULL)
			continue;
		r = &o->sink[k].rate;
		if (force && r->open && r->sup.total > 0 &&
		    o->now_us < r->start_us + (uint64_t)r->interval_s * 1000000) {
			/* Closing early (shutdown): the window ends now. */
			r->interval_s = (uint32_t)((o->now_us - r->start_us + 999999) / 1000000);
			if (r->interval_s == 0)
				r->interval_s = 1;
		}
		if (rate_roll(r, force ? UINT64_MAX : o->now_us, &sup))
			outputs_report_to(o, REPORT_SUPPRESSED_OF(&sup), k);
	}
}

static void
outputs_free(struct outputs *o)
{
	struct sink *s;
	int k;

	for (k = 0; k < NSINKS; k++) {
		s = &o->sink[k];
		if (s->s != NULL)
			s->ops->close(s->s, &s->st);
	}
	free(o->sink);
	free(o);
}

struct outputs *
outputs_open(const struct config *cfg, int stdout_fmt, char *err, size_t errlen)
{
	struct outputs *o;
	struct sink *s;
	int k;

	if (stdout_fmt >= FMT_NFORMATS) {
		snprintf(err, errlen, "standard output: unknown format %d", stdout_fmt);
		return NULL;
	}
	if ((o = calloc(1, sizeof(*o))) == NULL ||
	    (o->sink = calloc(NSINKS, sizeof(*o->sink))) == NULL) {
		free(o);
		snprintf(err, errlen, "outputs: out of memory");
		return NULL;
	}
	for (k = 0; k < NSINKS; k++)
		o->sink[k].ops = outputs_sinks[k];
	for (k = 0; k < OUT_NKINDS; k++) {
		s = &o->sink[k];
		sink_configure(s, &cfg->out[k]);
		if (cfg->out[k].enabled &&
		    (s->s = s->ops->open(&cfg->out[k], &s->st, err, errlen)) == NULL)
			goto fail;
	}
	if (stdout_fmt >= 0) {
		s = &o->sink[SINK_STDOUT];
		if ((s->s = s->ops->open(NULL, &s->st, err, errlen)) == NULL)
			goto fail;
		s->mask = TEV_MASK_ALL;
		s->format = (enum format)stdout_fmt;
	}
	return o;

fail:
	outputs_free(o);
	return NULL;
}

void
outputs_event(struct outputs *o, const struct event *ev)
{
	struct sink *s;
	int k;

	out_rec_init(&o->rec, ev, NULL);
	if (ev->ts_us > o->now_us)
		o->now_us = ev->ts_us;
	outputs_roll(o, 0);
	for (k = 0; k < NSINKS; k++) {
		s = &o->sink[k];
		if (s->s == NULL)
			continue;
		if ((unsigned)ev->type >= TEV_NTYPES || !(s->mask & TEV_BIT(ev->type))) {
			s->st.filtered++;
			continue;
		}
		if (!rate_admit(&s->rate, o->now_us, ev->type)) {
			s->st.suppressed++;
			continue;
		}
		sink_deliver(s, &o->rec);
	}
}

void
outputs_tick(struct outputs *o, uint64_t now_us)
{
	struct sink *s;
	int k;

	if (now_us > o->now_us)
		o->now_us = now_us;
	outputs_roll(o, 0);
	for (k = 0; k < NSINKS; k++) {
		s = &o->sink[k];
		if (s->s != NULL)
			s->ops->tick(s->s, now_us, &s->st);
	}
}

void
outputs_flush(struct outputs *o)
{
	struct sink *s;
	int k;

	for (k = 0; k < NSINKS; k++) {
		s = &o->sink[k];
		if (s->s != NULL && s->ops->flush != NULL)
			s->ops->flush(s->s);
	}
}

void
outputs_reopen(struct outputs *o)
{
	struct sink *s;
	int k;

	for (k = 0; k < NSINKS; k++) {
		s = &o->sink[k];
		if (s->s != NULL && s->ops->reopen != NULL)
			s->ops->reopen(s->s);
	}
}

int
outputs_start(struct outputs *o, int replay, char *err, size_t errlen)
{
	struct sink *s;
	int k;

	for (k = 0; k < NSINKS; k++) {
		s = &o->sink[k];
		if (s->s != NULL && s->ops->start != NULL &&
		    s->ops->start(s->s, replay, err, errlen) == -1)
			return -1;
	}
	o->started = 1;
	o->replay = replay;
	return 0;
}

/*
 * Everything that can fail is done first (open a newly enabled output, or one
 * that cannot take its new settings, such as a log file with a new path, and
 * start its sender); only when all worked is anything changed, so a failed
 * reconfiguration leaves the outputs as they were.
 */
int
outputs_reconfigure(struct outputs *o, const struct config *cfg, char *err, size_t errlen)
{
	const struct out_config *oc;
	void *fresh[OUT_NKINDS] = {NULL};
	struct sink *s;
	size_t len;
	int k;

	for (k = 0; k < OUT_NKINDS; k++) {
		s = &o->sink[k];
		oc = &cfg->out[k];
		if (!oc->enabled ||
		    (s->s != NULL && (s->ops->takes == NULL || s->ops->takes(s->s, oc))))
			continue;
		if ((fresh[k] = s->ops->open(oc, &s->st, err, errlen)) == NULL) {
			if (s->s != NULL && s->ops->path != NULL) {
				len = strlen(err);
				snprintf(err + len, errlen - len, "; still writing %s",
				         s->ops->path(s->s));
			}
			goto fail;
		}
		if (o->started && s->ops->start != NULL &&
		    s->ops->start(fresh[k], o->replay, err, errlen) == -1)
			goto fail;
	}

	for (k = 0; k < OUT_NKINDS; k++) {
		s = &o->sink[k];
		oc = &cfg->out[k];
		if ((!oc->enabled || fresh[k] != NULL) && s->s != NULL) {
			s->ops->close(s->s, &s->st); /* a file flushes into its old path */
			s->s = NULL;
		}
		if (fresh[k] != NULL) {
			s->s = fresh[k];
			if (s->ops->path != NULL)
				log_info("%s output: now writing %s", s->ops->name,
				         s->ops->path(s->s));
		}
		if (s->s != NULL && s->ops->configure != NULL) {
			if (oc->format != s->format && s->ops->flush != NULL)
				s->ops->flush(
				    s->s); /* no line of the old format after one of the new */
			s->ops->configure(s->s, oc);
		}
		sink_configure(s, oc);
	}
	return 0;

fail:
	for (k = 0; k < OUT_NKINDS; k++)
		if (fresh[k] != NULL)
			o->sink[k].ops->close(fresh[k], &o->sink[k].st);
	return -1;
}

/* k may also be OUT_NKINDS: standard output (-o). */
const struct output_stats *
outputs_stats(const struct outputs *o, enum out_kind k)
{
	struct sink *s;

	if ((unsigned)k > OUT_NKINDS)
		return NULL;
	s = &o->sink[k];
	if (s->s != NULL && s->ops->stats != NULL)
		s->ops->stats(s->s, &s->st);
	return &s->st;
}

/* "journal", "syslog", "file", "stdout": the name of sink k (OUT_NKINDS: standard output). */
const char *
outputs_name(int k)
{
	return k >= 0 && k < NSINKS ? outputs_sinks[k]->name : "?";
}

/* Summaries of windows still open, everything buffered written, every sink closed. */
void
outputs_close(struct outputs *o)
{
	if (o == NULL)
		return;
	outputs_roll(o, 1);
	outputs_flush(o);
	outputs_free(o);
}
