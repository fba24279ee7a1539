/*
 * test_vocab.c - every row of the vocabulary tables (lib/event.c: states,
 * event types, close reasons; the alert kinds and counters they give) is
 * documented: tcpstated-records(7) names every state, event type and close
 * reason, tcpstated(8) every STATS key and metrics label, tcpstated.conf(5)
 * every event type and alert kind a config may name, and
 * systemd/tcpstated.catalog has exactly the MESSAGE_IDs the journal output
 * sends (event_types[], report_kinds[]). A row added without its
 * documentation fails here, and so does a count the pages give in words
 * ("the nine event types") that the tables no longer have. Run from the top
 * of the tree (tests/run.sh does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/alert.h"
#include "../../lib/event.h"
#include "../../lib/flowtab.h"
#include "../../lib/format.h"
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
#define MAN7 "man/tcpstated-records.7"
#define MAN5 "man/tcpstated.conf.5"
#define CATALOG "systemd/tcpstated.catalog"

/*
 * The counts the pages state: a number ("nine", "14") followed, within
 * three words, by one of these nouns, must be the size of its table.
 */
struct count_noun {
	const char *noun;
	int n;
};

static const char *const count_words[] = {
    "",         "",        "two",     "three",     "four",     "five",     "six",
    "seven",    "eight",   "nine",    "ten",       "eleven",   "twelve",   "thirteen",
    "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
};

/*
 * The value of a count word ("two" to "twenty": "one of these reasons" is no
 * table's size) or of a decimal number of n bytes; -1 when it is neither.
 */
static int
count_value(const char *w, size_t n)
{
	size_t i;
	int v = 0;

	for (i = 2; i < sizeof count_words / sizeof count_words[0]; i++)
		if (strlen(count_words[i]) == n && strncasecmp(w, count_words[i], n) == 0)
			return (int)i;
	for (i = 0; i < n; i++) {
		if (w[i] < '0' || w[i] > '9' || i >= 4)
			return -1;
		v = v * 10 + (w[i] - '0');
	}
	return v;
}

/* The next word at or after p: its start (NULL at the end of text) and its length. */
static const char *
next_word(const char *p, size_t *len)
{
	const char *w;

	while (*p != '\0' && !word_char(*p))
		p++;
	if (*p == '\0')
		return NULL;
	for (w = p; word_char(*p); p++)
		;
	*len = (size_t)(p - w);
	return w;
}

/*
 * Every count of a noun in text against its table: prints a FAIL naming the
 * words for each wrong one and returns how many it checked.
 */
static int
check_counts(const char *text, const char *file, const struct count_noun *nouns, size_t nn)
{
	const char *w, *after;
	size_t len, alen, j;
	int checked = 0, v, k;

	for (w = next_word(text, &len); w != NULL; w = next_word(w + len, &len)) {
		if ((v = count_value(w, len)) < 0)
			continue;
		after = w + len;
		for (k = 0; k < 3 && (after = next_word(after, &alen)) != NULL;
		     k++, after += alen) {
			for (j = 0; j < nn; j++)
				if (alen == strlen(nouns[j].noun) &&
				    strncmp(after, nouns[j].noun, alen) == 0)
					break;
			if (j == nn)
				continue;
			checked++;
			if (v != nouns[j].n) {
				printf("FAIL %s: %s says \"%.*s ... %s\": the code has %d\n",
				       th_name, file, (int)len, w, nouns[j].noun, nouns[j].n);
				th_case_failed = 1;
			}
			break;
		}
	}
	return checked;
}

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
	char *man8 = slurp(MAN8), *man7 = slurp(MAN7), *man5 = slurp(MAN5),
	     *catalog = slurp(CATALOG);
	struct count_noun nouns[] = {
	    {"types", 0},                 /* event types an output may get */
	    {"states", ST_NSTATES},       /* RFC 9293's, CLOSED included */
	    {"reasons", CR_NREASONS - 1}, /* close reasons: none is not one */
	    {"kinds", 0},                 /* alert kinds */
	    {"forms", FMT_NFORMATS},      /* json, text, kv */
	};
	char kept[64];
	const char *ids[TEV_NTYPES + REPORT_NKINDS], *p;
	struct alert_kind k;
	size_t nids, i;
	int t, r, side;

	for (t = 0; t < TEV_NTYPES; t++)
		nouns[0].n += !event_types[t].internal;
	for (i = 0; alert_kind_nth(i, &k) == 0; i++)
		nouns[3].n++;

	TEST_BEGIN("vocab_states_documented");
	for (t = 0; t < ST_NSTATES; t++) {
		CHECK_DOC(man7, MAN7, "", tcp_states[t].name);
		if (tcp_states[t].key != NULL)
			CHECK_DOC(man8, MAN8, "", tcp_states[t].key); /* STATS key, metrics label */
	}
	TEST_END();

	TEST_BEGIN("vocab_event_types_documented");
	for (t = 0; t < TEV_NTYPES; t++) {
		if (event_types[t].internal)
			continue;
		CHECK_DOC(man7, MAN7, "", event_types[t].name);
		CHECK_DOC(man5, MAN5, "", event_types[t].name); /* the events lists */
		CHECK(event_types[t].message_id != NULL);
	}
	TEST_END();

	TEST_BEGIN("vocab_close_reasons_documented");
	for (r = CR_FIN; r < CR_NREASONS; r++) {
		CHECK_DOC(man7, MAN7, "", close_reasons[r].name);
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

	/* Every count in words against the tables; each page states some. */
	TEST_BEGIN("vocab_counts_in_words");
	CHECK(check_counts(man8, MAN8, nouns, sizeof nouns / sizeof nouns[0]) > 0);
	CHECK(check_counts(man7, MAN7, nouns, sizeof nouns / sizeof nouns[0]) > 0);
	CHECK(check_counts(man5, MAN5, nouns, sizeof nouns / sizeof nouns[0]) > 0);
	/* The history letters a CLOSED record keeps, as the record reference says. */
	snprintf(kept, sizeof kept, "first %d letters",
	         (int)sizeof(((struct flow *)0)->history) - 1);
	CHECK_DOC(man7, MAN7, "", kept);
	TEST_END();

	/* The count check itself: a wrong count is caught, a right one and other nouns are not. */
	TEST_BEGIN("vocab_count_check_catches_wrong_counts");
	{
		int failed = th_case_failed;

		th_case_failed = 0;
		printf("(expected:) ");
		check_counts("says eight event types", "x", nouns, 1);
		CHECK(th_case_failed == 1);
		th_case_failed = 0;
		CHECK(check_counts("all nine types; two candidate buckets", "x", nouns, 1) == 1);
		CHECK(th_case_failed == 0);
		th_case_failed = failed;
	}
	TEST_END();

	/* The check itself: a name that is nowhere is caught. */
	TEST_BEGIN("vocab_check_catches_missing_words");
	CHECK(!has_word(man8, "", "no_such_reason"));
	CHECK(!has_word("rst_clients", "", "rst_client"));
	CHECK(has_word(".Cm rst_client ,", "", "rst_client"));
	TEST_END();

	free(man8);
	free(man7);
	free(man5);
	free(catalog);
	TEST_EXIT();
}
