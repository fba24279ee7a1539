/*
 * insightgen.c - write the capture of tests/t_insight.sh: a known mix of
 * connections for the counters, the alert rules and the UPDATE records.
 *
 *	insightgen FILE
 *
 * Server 10.0.0.2; every handshake takes 2 ms (SYN, SYN-ACK 1 ms later, ACK
 * 1 ms after that). Times are seconds after T0 (2023-11-14T22:13:20Z):
 *
 *   0    L: 10.0.0.1:50000 -> :80, a long connection: 100 bytes, then 10
 *        bytes from the client at 30, 60 ... 180 (each ACKed), closed
 *        cleanly (client first) at 200
 *   1    10 connections to :80 from 10.0.0.3, clean close, client first
 *   3    3 connections to :80 from 10.0.0.3 reset by the server
 *   4    2 connections to :80 from 10.0.0.3 reset by the client
 *   10   25 SYNs to :5432 refused (RST+ACK): 12 from 10.0.0.7, then 8 from
 *        10.0.0.8, then 5 from 10.0.0.9, all within 50 ms
 *   30   2 SYNs to :9999 from 10.0.0.6, never answered
 *   195  H: 10.0.0.4 -> :80, handshake, the client closes its half, the
 *        server only ACKs (open at the end of the file); and a connection
 *        to :443 from 10.0.0.5 picked up in the middle (no handshake)
 *   200  L closes; the file ends 10 ms later
 *
 * Every frame is 1 ms after the one before unless a time above says later.
 */
#include <stdio.h>
#include <stdlib.h>

#include "pcapw.h"

#define SEC 1000000ULL
#define T0_US (1700000000ULL * SEC)

static void
at(struct pcapw *w, double s)
{
	uint64_t t = T0_US + (uint64_t)(s * 1e6);

	if (t > w->now_us)
		w->now_us = t;
}

static void
close_client_first(struct conn *c)
{
	c_fin(c);
	s_fin(c);
	c_ack(c);
}

int
main(int argc, char **argv)
{
	struct pcapw w;
	struct conn L, c, H, M;
	uint16_t port = 40000;
	int i, s;

	if (argc != 2) {
		fprintf(stderr, "usage: insightgen FILE\n");
		return 2;
	}
	if (pcapw_open(&w, argv[1], PCAPW_LINK_ETHERNET, 0, T0_US) == -1) {
		perror(argv[1]);
		return 1;
	}

	conn_init(&L, &w, "10.0.0.1", 50000, "10.0.0.2", 80, 1000, 9000);
	conn_handshake(&L);
	c_data(&L, 100);
	s_ack(&L);

	at(&w, 1);
	for (i = 0; i < 10; i++) {
		conn_init(&c, &w, "10.0.0.3", port, "10.0.0.2", 80, 2000u * port, 7000u * port);
		port++;
		conn_handshake(&c);
		c_data(&c, 10);
		s_data(&c, 20);
		c_ack(&c);
		close_client_first(&c);
	}
	at(&w, 3);
	for (i = 0; i < 3; i++) {
		conn_init(&c, &w, "10.0.0.3", port, "10.0.0.2", 80, 2000u * port, 7000u * port);
		port++;
		conn_handshake(&c);
		c_data(&c, 5);
		s_rst(&c);
	}
	at(&w, 4);
	for (i = 0; i < 2; i++) {
		conn_init(&c, &w, "10.0.0.3", port, "10.0.0.2", 80, 2000u * port, 7000u * port);
		port++;
		conn_handshake(&c);
		c_data(&c, 5);
		s_ack(&c);
		c_rst(&c);
	}

	at(&w, 10);
	for (i = 0; i < 25; i++) {
		const char *who = i < 12 ? "10.0.0.7" : i < 20 ? "10.0.0.8" : "10.0.0.9";

		conn_init(&c, &w, who, port, "10.0.0.2", 5432, 3000u * port, 0);
		port++;
		c_syn(&c);
		s_rst(&c); /* RST+ACK of the SYN: refused */
	}

	at(&w, 30);
	for (i = 0; i < 2; i++) {
		conn_init(&c, &w, "10.0.0.6", port, "10.0.0.2", 9999, 4000u * port, 0);
		port++;
		c_syn(&c);
	}

	for (s = 30; s <= 180; s += 30) {
		at(&w, s + 0.5);
		c_data(&L, 10);
		s_ack(&L);
	}

	at(&w, 195);
	conn_init(&H, &w, "10.0.0.4", 51000, "10.0.0.2", 80, 5000, 6000);
	conn_handshake(&H);
	c_fin(&H);
	s_ack(&H);
	conn_init(&M, &w, "10.0.0.5", 45000, "10.0.0.2", 443, 77000, 88000);
	c_data(&M, 10);
	s_ack(&M);

	at(&w, 200);
	close_client_first(&L);
	at(&w, 200.01);
	s_ack(&M);
	if (pcapw_close(&w) == -1) {
		perror(argv[1]);
		return 1;
	}
	return 0;
}
