/*
 * out_rec.c - one record on its way to the sinks (struct out_rec, out.h):
 * each form made at most once, when the first sink asks for it, and what the
 * journal and syslog need to know of it. output.c makes them, the sinks read
 * them; neither calls the other for it.
 */
#include <string.h>

#include "out.h"

const char *
out_rec_form(struct out_rec *r, enum format f, size_t *len)
{
	if ((unsigned)f >= FMT_NFORMATS)
		return NULL;
	if (!r->have[f]) {
		r->len[f] = r->ev != NULL
		                ? format_event(f, r->ev, r->form[f], sizeof(r->form[f]))
		                : report_format(f, r->rep, r->form[f], sizeof(r->form[f]));
		r->have[f] = 1;
	}
	*len = r->len[f];
	return r->len[f] > 0 ? r->form[f] : NULL;
}

const char *
out_rec_message(struct out_rec *r, size_t *len)
{
	const char *text, *msg;
	size_t tlen;

	if (r->ev == NULL) {
		if (!r->have[REPORT_MESSAGE]) {
			r->len[REPORT_MESSAGE] =
			    report_format(REPORT_MESSAGE, r->rep, r->form[REPORT_MESSAGE],
			                  sizeof(r->form[REPORT_MESSAGE]));
			r->have[REPORT_MESSAGE] = 1;
		}
		*len = r->len[REPORT_MESSAGE];
		return *len > 0 ? r->form[REPORT_MESSAGE] : NULL;
	}
	if ((text = out_rec_form(r, FMT_TEXT, &tlen)) == NULL)
		return NULL;
	msg = strchr(text, ' '); /* past the timestamp */
	msg = msg != NULL ? msg + 1 : text;
	*len = strcspn(msg, "\n");
	return msg;
}

void
out_rec_init(struct out_rec *r, const struct event *ev, const struct report *rep)
{
	memset(r->have, 0, sizeof(r->have));
	r->ev = ev;
	r->rep = rep;
	if (ev != NULL) {
		r->id = (unsigned)ev->type < TEV_NTYPES ? event_types[ev->type].message_id : NULL;
		r->priority = event_priority(ev);
	} else {
		r->id = report_kinds[rep->kind].message_id;
		r->priority = report_priority(rep);
	}
}
