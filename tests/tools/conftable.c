/*
 * conftable.c - the config key table of daemon/conf.c, for t_conf_table.sh.
 *
 *   conftable           one line per key: name, default, range, documentation
 *                       (tab-separated), in the table's order
 *   conftable FILE      load FILE on top of the defaults and say whether
 *                       every value it sets is the default (exit 0) or not
 *                       (exit 1), or print its errors (exit 2)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemon/conf.h"

static void
conftable_print(const char *name, const char *def, const char *range, const char *doc, void *arg)
{
	printf("%s\t%s\t%s\t%s\n", name, def, range, doc);
}

int
main(int argc, char **argv)
{
	static struct config def, c;
	static char err[16384];

	if (argc == 1) {
		conf_keys(conftable_print, NULL);
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: conftable [FILE]\n");
		return 2;
	}
	conf_defaults(&def);
	conf_defaults(&c);
	if (conf_load(argv[1], &c, err, sizeof(err)) == -1) {
		fputs(err, stderr);
		return 2;
	}
	memcpy(c.path, def.path, sizeof(c.path));
	if (memcmp(&c, &def, sizeof(c)) != 0) {
		printf("%s: sets a value that is not the default\n", argv[1]);
		return 1;
	}
	printf("%s: every value is the default\n", argv[1]);
	return 0;
}
