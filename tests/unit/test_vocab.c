/*
 * test_vocab.c - every row of the vocabulary tables (lib/event.c: states,
 * event types, close reasons; the alert kinds and counters they give) is
 * documented: tcpstated(8) names every state, event type, close reason,
 * STATS key and metrics label, tcpstated.conf(5) every event type and alert
 * kind a config may name, and systemd/tcpstated.catalog has exactly the
 * MESSAGE_IDs the journal output sends (event_types[], report_kinds[]). A row added without its
 * documentation fails here. Run from the top of the tree (tests/run.sh does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/alert.h"
#include "../../lib/event.h"
#include "../../lib/report.h"
#include "../../lib/stats.h"
#include "../testhelp.h"

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)n + 1)) == NULL) {
		printf("FAIL read %s\n", path);
		exit(1);
	}
	buf[fread(buf, 1, (size_t)n, f)] = '\0';
	fclose(f);
	return buf;
}

static int
word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* Does text hold prefix+word as a whole word (not inside a longer name)? */
static int
has_word(const char *text, const char *prefix, const char *word)
{
	char w[128];
	const char *p;
	size_t n;

	snprintf(w, sizeof w, "%s%s", prefix, word);
	n = strlen(w);
	for (p = strstr(text, w); p != NULL; p = strstr(p + 1, w))
		if ((p == text || !word_char(p[-1])) && !word_char(p[n]))
			return 1;
	return 0;
}

/* A failure names the missing word and the file that should hold it. */
#define CHECK_DOC(text, file, prefix, word)                                                        \
	do {                                                                                       \
		if (!has_word((text), (prefix), (word))) {                                         \
			printf("FAIL %s: %s names no \"%s%s\"\n", th_name, (file), (prefix),       \
			       (word));                                                            \
			th_case_failed = 1;                                                        \
		}                                                                                  \
	} while (0)

#define MAN8 "man/tcpstated.8"
#define MAN5 "man/tcpstated.conf.5"
#define CATALOG "systemd/tcpstated.catalog"

/* The MESSAGE_IDs the daemon sends: its event types' and its reports'. */
static size_t
message_ids(const char **ids, size_t cap)
{
	size_t n = 0;
	int t;

	for (t = 0; t < TEV_NTYPES && n < cap; t++)
		if (event_types[t].message_id != NULL)
			ids[n++] = event_types[t].message_id;
	for (t = 0; t < REPORT_NKINDS && n < cap; t++)
		ids[n++] = report_kinds[t].message_id;
	return n;
}

int
main(void)
{
	char *man8 = slurp(MAN8), *man5 = slurp(MAN5), *catalog = slurp(CATALOG);
	const char *ids[TEV_NTYPES + REPORT_NKINDS], *p;
	struct alert_kind k;
	size_t nids, i;
	int t, r, side;

	TEST_BEGIN("vocab_states_documented");
	for (t = 0; t < ST_NSTATES; t++) {
		CHECK_DOC(man8, MAN8, "", tcp_states[t].name);
		if (tcp_states[t].key != NULL)
			CHECK_DOC(man8, MAN8, "", tcp_states[t].key); /* STATS key, metrics label */
	}
	TEST_END();

	TEST_BEGIN("vocab_event_types_documented");
	for (t = 0; t < TEV_NTYPES; t++) {
		if (event_types[t].internal)
			continue;
		CHECK_DOC(man8, MAN8, "", event_types[t].name);
		CHECK_DOC(man5, MAN5, "", event_types[t].name); /* the events lists */
		CHECK(event_types[t].message_id != NULL);
	}
	TEST_END();

	TEST_BEGIN("vocab_close_reasons_documented");
	for (r = CR_FIN; r < CR_NREASONS; r++) {
		CHECK_DOC(man8, MAN8, "", close_reasons[r].name);
		for (side = 0; side < stats_close_sides((enum close_reason)r); side++) {
			CHECK_DOC(man8, MAN8, "", stats_close_name((enum close_reason)r, side));
			CHECK_DOC(man8, MAN8, "closed_",
			          stats_close_name((enum close_reason)r, side));
		}
	}
	TEST_END();

	TEST_BEGIN("vocab_alert_kinds_documented");
	for (i = 0; alert_kind_nth(i, &k) == 0; i++)
		CHECK_DOC(man5, MAN5, "", alert_kind_name(k));
	CHECK(i > 1);
	TEST_END();

	/* Both ways: every id sent has its entry, and every entry is an id sent. */
	TEST_BEGIN("vocab_catalog_ids");
	nids = message_ids(ids, sizeof ids / sizeof ids[0]);
	for (i = 0; i < nids; i++)
		CHECK_DOC(catalog, CATALOG, "-- ", ids[i]);
	for (p = strstr(catalog, "\n-- "); p != NULL; p = strstr(p + 1, "\n-- ")) {
		for (i = 0; i < nids; i++)
			if (strncmp(p + 4, ids[i], 32) == 0 && !word_char(p[4 + 32]))
				break;
		if (i == nids) {
			printf("FAIL %s: %s has an entry for %.32s, which nothing sends\n", th_name,
			       CATALOG, p + 4);
			th_case_failed = 1;
		}
	}
	TEST_END();

	/* The check itself: a name that is nowhere is caught. */
	TEST_BEGIN("vocab_check_catches_missing_words");
	CHECK(!has_word(man8, "", "no_such_reason"));
	CHECK(!has_word("rst_clients", "", "rst_client"));
	CHECK(has_word(".Cm rst_client ,", "", "rst_client"));
	TEST_END();

	free(man8);
	free(man5);
	free(catalog);
	TEST_EXIT();
}
