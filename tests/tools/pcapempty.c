/*
 * pcapempty.c - the benchmark's limit: libpcap reading a capture file with a
 * callback that does nothing but count.
 *
 *   pcapempty [-x] FILE
 *
 * With -x it reads with pcap_next_ex() instead of pcap_loop(), the way
 * tcpstated -r does, to show what the reading style alone costs. Prints one
 * line: packets, seconds spent in the read loop, packets per second and
 * nanoseconds per packet.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The empty callback: the count keeps the loop from being optimised away. */
static void
pcapempty_cb(u_char *arg, const struct pcap_pkthdr *h, const u_char *bytes)
{
	(*(unsigned long long *)(void *)arg)++;
}

static double
pcapempty_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *bytes;
	unsigned long long n = 0;
	double t0, secs;
	pcap_t *p;
	int ch, next_ex = 0, rc;

	while ((ch = getopt(argc, argv, "x")) != -1) {
		switch (ch) {
		case 'x':
			next_ex = 1;
			break;
		default:
			fprintf(stderr, "usage: pcapempty [-x] FILE\n");
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "usage: pcapempty [-x] FILE\n");
		return 2;
	}
	if ((p = pcap_open_offline(argv[optind], errbuf)) == NULL) {
		fprintf(stderr, "pcapempty: %s\n", errbuf);
		return 1;
	}
	t0 = pcapempty_now();
	if (next_ex) {
		while ((rc = pcap_next_ex(p, &h, &bytes)) == 1)
			n++;
		rc = rc == PCAP_ERROR_BREAK ? 0 : -1;
	} else
		rc = pcap_loop(p, -1, pcapempty_cb, (u_char *)&n);
	secs = pcapempty_now() - t0;
	if (rc < 0) {
		fprintf(stderr, "pcapempty: %s: %s\n", argv[optind], pcap_geterr(p));
		pcap_close(p);
		return 1;
	}
	pcap_close(p);
	printf("packets %llu seconds %.6f pps %.0f ns_per_packet %.2f\n", n, secs,
	    secs > 0 ? (double)n / secs : 0.0, n > 0 ? secs * 1e9 / (double)n : 0.0);
	return 0;
}
