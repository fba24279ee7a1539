/*
 * output.c - the set of outputs: journal, syslog, the log file and standard
 * output. It decides which output gets which event (event masks), how many
 * (rate limits, with one summary record per window that exceeded its limit),
 * formats each event at most once per format, and keeps the counters. The
 * sinks in out_*.c do the writing.
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

struct rate {
	uint32_t limit; /* records per window; 0 = unlimited */
	uint32_t interval_s;
	int open;
	uint64_t start_us;
	uint32_t count;
	struct suppressed sup; /* what this window left out */
};

struct sink {
	int on;
	uint32_t mask;
	enum format format;
	struct rate rate;
	struct output_stats st;
};

struct outputs {
	struct sink *sink; /* NSINKS; a pointer so that outputs_stats() may refresh it */
	struct out_journal *journal;
	struct out_syslog *syslog;
	int started; /* outputs_start() was called: new senders start at once */
	struct out_file *file;
	struct out_file *out; /* standard output */
	uint64_t now_us;
	/* The current event's records, each format made at most once. */
	int have[FMT_NFORMATS];
	size_t len[FMT_NFORMATS];
	char rec[FMT_NFORMATS][OUT_RECORD_MAX];
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
sink_configure(struct sink *s, const struct out_config *oc, int on)
{
	s->on = on;
	s->mask = oc->event_mask;
	s->format = oc->format;
	s->rate.limit = oc->rate_limit;
	s->rate.interval_s = oc->rate_interval_s > 0 ? oc->rate_interval_s : 1;
}

/* This event in format f, or NULL if it cannot be formatted. */
static const char *
outputs_record(struct outputs *o, const struct event *ev, enum format f, size_t *len)
{
	if ((unsigned)f >= FMT_NFORMATS)
		return NULL;
	if (!o->have[f]) {
		o->len[f] = format_event(f, ev, o->rec[f], sizeof(o->rec[f]));
		o->have[f] = 1;
	}
	*len = o->len[f];
	return o->len[f] > 0 ? o->rec[f] : NULL;
}

static void
outputs_deliver(struct outputs *o, int k, const struct event *ev)
{
	struct sink *s = &o->sink[k];
	const char *rec, *text;
	size_t len, tlen;

	if (k == OUT_JOURNAL) {
		rec = outputs_record(o, ev, FMT_KV, &len);
		text = outputs_record(o, ev, FMT_TEXT, &tlen);
	} else {
		rec = outputs_record(o, ev, s->format, &len);
		text = rec;
	}
	if (rec == NULL || text == NULL) {
		s->st.dropped++; /* an event no format can show (a bad address family) */
		return;
	}
	switch (k) {
	case OUT_JOURNAL:
		out_journal_event(o->journal, ev, rec, text);
		break;
	case OUT_SYSLOG:
		out_syslog_record(o->syslog, event_priority(ev), rec, len);
		break;
	case OUT_FILE:
		out_file_record(o->file, rec, len);
		break;
	case SINK_STDOUT:
		out_file_record(o->out, rec, len);
		break;
	}
}

/*
 * A report to the sinks that are on (only to sink `only`, if not -1), past
 * masks and rate limits. Each form is made once: json, kv and text for the
 * outputs of that format, the message for the journal's MESSAGE. A form that
 * could not be made (0) is a drop for the outputs that needed it.
 */
static void
outputs_report_to(struct outputs *o, const struct report *r, int only)
{
	char form[FMT_NFORMATS + 1][OUT_REPORT_MAX];
	size_t len[FMT_NFORMATS + 1];
	int f, k, priority = report_priority(r);
	struct sink *s;

	for (f = 0; f <= REPORT_MESSAGE; f++)
		len[f] = report_format(f, r, form[f], sizeof(form[f]));
	for (k = 0; k < NSINKS; k++) {
		s = &o->sink[k];
		if (!s->on || (only >= 0 && k != only))
			continue;
		if (k == OUT_JOURNAL) {
			if (len[FMT_KV] == 0 || len[REPORT_MESSAGE] == 0)
				s->st.dropped++;
			else
				out_journal_record(o->journal, report_kinds[r->kind].message_id, priority,
				    form[REPORT_MESSAGE], len[REPORT_MESSAGE], form[FMT_KV]);
			continue;
		}
		f = s->format == FMT_JSON || s->format == FMT_KV ? (int)s->format : FMT_TEXT;
		if (len[f] == 0) {
			s->st.dropped++;
			continue;
		}
		if (k == OUT_SYSLOG)
			out_syslog_record(o->syslog, priority, form[f], len[f]);
		else
			out_file_record(k == OUT_FILE ? o->file : o->out, form[f], len[f]);
	}
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
		if (!o->sink[k].on)
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
	if (o->journal != NULL)
		out_journal_close(o->journal, &o->sink[OUT_JOURNAL].st);
	if (o->syslog != NULL)
		out_syslog_close(o->syslog, &o->sink[OUT_SYSLOG].st);
	if (o->file != NULL)
		out_file_close(o->file);
	if (o->out != NULL)
		out_file_close(o->out);
	free(o->sink);
	free(o);
}

struct outputs *
outputs_open(const struct config *cfg, int stdout_fmt, char *err, size_t errlen)
{
	const struct out_config *oc;
	struct outputs *o;
	char why[4300];
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
	for (k = 0; k < OUT_NKINDS; k++)
		sink_configure(&o->sink[k], &cfg->out[k], 0);

	oc = &cfg->out[OUT_JOURNAL];
	if (oc->enabled) {
		if ((o->journal = out_journal_open(err, errlen)) == NULL)
			goto fail;
		o->sink[OUT_JOURNAL].on = 1;
	}
	oc = &cfg->out[OUT_SYSLOG];
	if (oc->enabled) {
		if ((o->syslog = out_syslog_open(oc, err, errlen)) == NULL)
			goto fail;
		o->sink[OUT_SYSLOG].on = 1;
	}
	oc = &cfg->out[OUT_FILE];
	if (oc->enabled) {
		if ((o->file = out_file_open(oc, &o->sink[OUT_FILE].st, why, sizeof(why))) ==
		    NULL) {
			snprintf(err, errlen, "file output: %s", why);
			goto fail;
		}
		o->sink[OUT_FILE].on = 1;
	}
	if (stdout_fmt >= 0) {
		if ((o->out = out_file_stdout(&o->sink[SINK_STDOUT].st)) == NULL) {
			snprintf(err, errlen, "standard output: out of memory");
			goto fail;
		}
		o->sink[SINK_STDOUT].on = 1;
		o->sink[SINK_STDOUT].mask = TEV_MASK_ALL;
		o->sink[SINK_STDOUT].format = (enum format)stdout_fmt;
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

	memset(o->have, 0, sizeof(o->have));
	if (ev->ts_us > o->now_us)
		o->now_us = ev->ts_us;
	outputs_roll(o, 0);
	for (k = 0; k < NSINKS; k++) {
		s = &o->sink[k];
		if (!s->on)
			continue;
		if ((unsigned)ev->type >= TEV_NTYPES || !(s->mask & TEV_BIT(ev->type))) {
			s->st.filtered++;
			continue;
		}
		if (!rate_admit(&s->rate, o->now_us, ev->type)) {
			s->st.suppressed++;
			continue;
		}
		outputs_deliver(o, k, ev);
	}
}

void
outputs_tick(struct outputs *o, uint64_t now_us)
{
	if (now_us > o->now_us)
		o->now_us = now_us;
	outputs_roll(o, 0);
	if (o->journal != NULL)
		out_journal_tick(o->journal, &o->sink[OUT_JOURNAL].st);
	if (o->syslog != NULL)
		out_syslog_tick(o->syslog, &o->sink[OUT_SYSLOG].st);
	if (o->file != NULL)
		out_file_tick(o->file, now_us);
	if (o->out != NULL)
		out_file_tick(o->out, now_us);
}

void
outputs_flush(struct outputs *o)
{
	if (o->file != NULL)
		out_file_flush(o->file);
	if (o->out != NULL)
		out_file_flush(o->out);
}

void
outputs_reopen(struct outputs *o)
{
	if (o->file != NULL)
		out_file_reopen(o->file);
	if (o->out != NULL)
		out_file_flush(o->out);
}

int
outputs_start(struct outputs *o, char *err, size_t errlen)
{
	if (o->journal != NULL && out_journal_start(o->journal, err, errlen) == -1)
		return -1;
	if (o->syslog != NULL && out_syslog_start(o->syslog, err, errlen) == -1)
		return -1;
	o->started = 1;
	return 0;
}

/*
 * Everything that can fail is done first (open a newly enabled journal or
 * syslog sender, open a new log file path); only when all worked is anything
 * changed, so a failed reconfiguration leaves the outputs as they were.
 */
int
outputs_reconfigure(struct outputs *o, const struct config *cfg, char *err, size_t errlen)
{
	const struct out_config *jc = &cfg->out[OUT_JOURNAL], *sc = &cfg->out[OUT_SYSLOG];
	const struct out_config *fc = &cfg->out[OUT_FILE];
	struct out_journal *nj = NULL;
	struct out_syslog *ns = NULL;
	struct out_file *nf = NULL;
	char why[4300];

	if (jc->enabled && o->journal == NULL && (nj = out_journal_open(err, errlen)) == NULL)
		goto fail;
	if (sc->enabled && o->syslog == NULL && (ns = out_syslog_open(sc, err, errlen)) == NULL)
		goto fail;
	if (o->started && ((nj != NULL && out_journal_start(nj, err, errlen) == -1) ||
	                   (ns != NULL && out_syslog_start(ns, err, errlen) == -1)))
		goto fail;
	if (fc->enabled && (o->file == NULL || strcmp(out_file_path(o->file), fc->path) != 0)) {
		nf = out_file_open(fc, &o->sink[OUT_FILE].st, why, sizeof(why));
		if (nf == NULL) {
			if (o->file != NULL)
				snprintf(err, errlen, "file output: %s; still writing %s", why,
				         out_file_path(o->file));
			else
				snprintf(err, errlen, "file output: %s", why);
			goto fail;
		}
	}

	if (!jc->enabled && o->journal != NULL) {
		out_journal_close(o->journal, &o->sink[OUT_JOURNAL].st);
		o->journal = NULL;
	}
	if (nj != NULL)
		o->journal = nj;
	if (!sc->enabled && o->syslog != NULL) {
		out_syslog_close(o->syslog, &o->sink[OUT_SYSLOG].st);
		o->syslog = NULL;
	}
	if (ns != NULL)
		o->syslog = ns;
	if (o->syslog != NULL)
		out_syslog_configure(o->syslog, sc);
	if ((!fc->enabled || nf != NULL) && o->file != NULL) {
		out_file_close(o->file); /* flushes into the old path */
		o->file = NULL;
	}
	if (nf != NULL) {
		log_info("file output: now writing %s", out_file_path(nf));
		o->file = nf;
	}
	if (o->file != NULL) {
		if (fc->format != o->sink[OUT_FILE].format)
			out_file_flush(
			    o->file); /* no line of the old format after one of the new */
		out_file_configure(o->file, fc);
	}
	sink_configure(&o->sink[OUT_JOURNAL], jc, o->journal != NULL);
	sink_configure(&o->sink[OUT_SYSLOG], sc, o->syslog != NULL);
	sink_configure(&o->sink[OUT_FILE], fc, o->file != NULL);
	return 0;

fail:
	if (nj != NULL)
		out_journal_close(nj, &o->sink[OUT_JOURNAL].st);
	if (ns != NULL)
		out_syslog_close(ns, &o->sink[OUT_SYSLOG].st);
	return -1;
}

/* k may also be OUT_NKINDS: standard output (-o). */
const struct output_stats *
outputs_stats(const struct outputs *o, enum out_kind k)
{
	if ((unsigned)k > OUT_NKINDS)
		return NULL;
	if (k == OUT_JOURNAL && o->journal != NULL)
		out_journal_stats(o->journal, &o->sink[OUT_JOURNAL].st);
	if (k == OUT_SYSLOG && o->syslog != NULL)
		out_syslog_stats(o->syslog, &o->sink[OUT_SYSLOG].st);
	return &o->sink[k].st;
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
