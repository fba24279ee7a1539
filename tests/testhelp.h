/*
 * testhelp.h - the in-repo unit test harness.
 *
 * A test program prints one line per check: "PASS name" or "FAIL name: why".
 * tests/run.sh counts those lines across every test program and script.
 * A program that dies before printing its FAILs still fails: run.sh counts a
 * non-zero exit as one failure.
 */
#ifndef TCPSTATED_TESTHELP_H
#define TCPSTATED_TESTHELP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int th_failed;
static int th_passed;
static const char *th_name = "";
static int th_case_failed;

/* Start a named check; every CHECK until the next TEST_END belongs to it. */
#define TEST_BEGIN(name) do { th_name = (name); th_case_failed = 0; } while (0)
#define TEST_END() do {                                                  \
		if (th_case_failed) th_failed++;                         \
		else { th_passed++; printf("PASS %s\n", th_name); }      \
	} while (0)

#define CHECK(cond) do {                                                 \
		if (!(cond)) {                                           \
			printf("FAIL %s: %s:%d: %s\n", th_name, __FILE__, \
			    __LINE__, #cond);                             \
			th_case_failed = 1;                               \
		}                                                        \
	} while (0)

#define CHECK_EQ_U(a, b) do {                                            \
		unsigned long long th_a = (a), th_b = (b);               \
		if (th_a != th_b) {                                      \
			printf("FAIL %s: %s:%d: %s == %llu, want %llu\n",   \
			    th_name, __FILE__, __LINE__, #a, th_a, th_b);   \
			th_case_failed = 1;                               \
		}                                                        \
	} while (0)

#define CHECK_EQ_S(a, b) do {                                            \
		const char *th_a = (a), *th_b = (b);                     \
		if (strcmp(th_a, th_b) != 0) {                           \
			printf("FAIL %s: %s:%d: %s == \"%s\", want \"%s\"\n", \
			    th_name, __FILE__, __LINE__, #a, th_a, th_b);   \
			th_case_failed = 1;                               \
		}                                                        \
	} while (0)

/* End of main(): exit status says whether anything failed. */
#define TEST_EXIT() return th_failed ? 1 : 0

#endif
