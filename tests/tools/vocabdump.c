/*
 * vocabdump.c - the vocabulary tables of lib/event.c (and what the reports
 * make of them) as one JSON object, for the tests that hold the record
 * schema and the man pages to the code (t_schema.sh):
 *
 *   {"events":[...], "internal_events":[...], "reports":[...], "states":[...],
 *    "state_keys":[...], "reasons":[...], "sides":[...], "closed_keys":[...],
 *    "alert_kinds":[...]}
 *
 * "events" are the records an output may write, "internal_events" the ones
 * no output writes (the ladder view's own); "reasons" leaves out "none",
 * which no CLOSED record of an output carries.
 */
#include <stdio.h>

#include "alert.h"
#include "event.h"
#include "report.h"
#include "stats.h"

/* One key and its list of names, each a JSON string (the names are plain ASCII). */
static void
list_begin(const char *key, int first)
{
	printf("%s\"%s\":[", first ? "{" : "],", key);
}

static void
list_item(const char *name, int *n)
{
	printf("%s\"%s\"", (*n)++ > 0 ? "," : "", name);
}

int
main(void)
{
	struct alert_kind k;
	size_t i;
	int t, side, n;

	list_begin("events", 1);
	for (t = 0, n = 0; t < TEV_NTYPES; t++)
		if (!event_types[t].internal)
			list_item(event_types[t].name, &n);
	list_begin("internal_events", 0);
	for (t = 0, n = 0; t < TEV_NTYPES; t++)
		if (event_types[t].internal)
			list_item(event_types[t].name, &n);
	list_begin("reports", 0);
	for (t = 0, n = 0; t < REPORT_NKINDS; t++)
		list_item(report_kinds[t].event, &n);
	list_begin("states", 0);
	for (t = 0, n = 0; t < ST_NSTATES; t++)
		list_item(tcp_states[t].name, &n);
	list_begin("state_keys", 0);
	for (t = 0, n = 0; t < ST_NSTATES; t++)
		if (tcp_states[t].key != NULL)
			list_item(tcp_states[t].key, &n);
	list_begin("reasons", 0);
	for (t = CR_NONE + 1, n = 0; t < CR_NREASONS; t++)
		list_item(close_reasons[t].name, &n);
	list_begin("sides", 0);
	n = 0;
	list_item(side_name(SIDE_CLIENT), &n);
	list_item(side_name(SIDE_SERVER), &n);
	list_item(side_name(SIDE_NONE), &n);
	list_begin("closed_keys", 0);
	for (t = CR_FIN, n = 0; t < CR_NREASONS; t++)
		for (side = 0; side < stats_close_sides((enum close_reason)t); side++)
			list_item(stats_close_name((enum close_reason)t, side), &n);
	list_begin("alert_kinds", 0);
	for (i = 0, n = 0; alert_kind_nth(i, &k) == 0; i++)
		list_item(alert_kind_name(k), &n);
	printf("]}\n");
	return 0;
}
