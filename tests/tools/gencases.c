/*
 * gencases.c - write one small pcap per TCP edge case, for the golden tests.
 *
 *	gencases OUTDIR
 *
 * Each case is a short script (tests/tools/pcapw.h) named NN-short-name and
 * written to OUTDIR/NN-short-name.pcap. What a correct tracker must report
 * for it is in tests/golden/NN-short-name.expect, one line per event; the
 * comment above each case gives the reasoning, with the RFC 9293 section
 * 3.3.2 state diagram (Figure 5) and the segment processing rules of 3.10.7.
 * tests/golden/README.md explains how an observer on the wire maps segments
 * to the two endpoints' states (the "observer model") that every comment here
 * relies on; in short:
 *   - a sender's own transition happens when its segment is seen (SYN ->
 *     SYN_SENT, SYN+ACK -> SYN_RCVD, FIN -> FIN_WAIT_1 or LAST_ACK, RST ->
 *     CLOSED);
 *   - the receiver of a segment without SYN or FIN takes it when it is seen
 *     (an ACK of its FIN: FIN_WAIT_1 -> FIN_WAIT_2, CLOSING -> TIME_WAIT,
 *     LAST_ACK -> CLOSED);
 *   - a SYN+ACK is taken by the client when its own segment acknowledges it
 *     (ESTABLISHED); a FIN is taken by its receiver when the receiver shows
 *     it has it: its own segment acknowledges the FIN, or the FIN's sender
 *     sends something after it (segments of one direction arrive in order);
 *   - within one segment: the sender's catching up, its own transition, the
 *     receiver's, and CLOSED last.
 *
 * Every capture is deterministic: fixed addresses, ports, ISNs and clock.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pcapw.h"

/* 2024-06-21T08:00:00Z, the day of the study note's capture. */
#define T0_US 1718956800000000ULL
#define SEC 1000000ULL
#define MS 1000ULL

/* The common shapes (the handshake is pcapw.h's conn_handshake()): an exchange, the two closes. */
static void
talk(struct conn *c, uint32_t up, uint32_t down)
{
	c_data(c, up);
	s_ack(c);
	s_data(c, down);
	c_ack(c);
}

static void
close_client_first(struct conn *c)
{
	c_fin(c);
	s_ack(c);
	s_fin(c);
	c_ack(c);
}

static void
close_server_first(struct conn *c)
{
	s_fin(c);
	c_ack(c);
	c_fin(c);
	s_ack(c);
}

/* A connection 10.0.0.1:cport -> 10.0.0.2:sport with ISNs derived from the port. */
static void
conn4(struct conn *c, struct pcapw *w, uint16_t cport, uint16_t sport)
{
	conn_init(c, w, "10.0.0.1", cport, "10.0.0.2", sport, 1000000u * (cport % 1000),
	          3000000000u + 1000u * (cport % 1000));
}

/* A script picked up after the SYN (not captured): the client's next byte follows it. */
static void
conn_after_syn(struct conn *c)
{
	c->end[CONN_CLIENT].nxt = c->end[CONN_CLIENT].isn + 1;
	c->end[CONN_SERVER].rcv = c->end[CONN_CLIENT].nxt;
}

/* A script picked up mid-stream: each side so many bytes past its SYN, all acknowledged. */
static void
conn_midstream(struct conn *c, uint32_t cbytes, uint32_t sbytes)
{
	c->end[CONN_CLIENT].nxt = c->end[CONN_CLIENT].isn + 1 + cbytes;
	c->end[CONN_SERVER].rcv = c->end[CONN_CLIENT].nxt;
	c->end[CONN_SERVER].nxt = c->end[CONN_SERVER].isn + 1 + sbytes;
	c->end[CONN_CLIENT].rcv = c->end[CONN_SERVER].nxt;
}

/* The whole life of an ordinary connection: case 01 and the link-layer variants. */
static void
ordinary(struct conn *c)
{
	conn_handshake(c);
	talk(c, 100, 1000);
	close_client_first(c);
}

/*
 * 01: normal open, client closes first with four segments (RFC 9293 Figure
 * 5: ESTABLISHED -> FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT for the client,
 * ESTABLISHED -> CLOSE_WAIT -> LAST_ACK -> CLOSED for the server). SYN,
 * SYN_ACK, ESTABLISHED (client, on the SYN+ACK), ESTABLISHED (server, on the
 * third ACK); FIN client; the server's ACK of it shows CLOSE_WAIT and moves
 * the client to FIN_WAIT_2; FIN server (LAST_ACK); the client's last ACK puts
 * it in TIME_WAIT and the server in CLOSED; CLOSED reason=fin closed_by=client,
 * 100 bytes up, 1000 down, 6 and 5 segments, conn_state SF.
 */
static void
case_open_close_client_first(struct pcapw *w)
{
	struct conn c;

	conn4(&c, w, 40001, 80);
	ordinary(&c);
}

/*
 * 02: the mirror: the server closes first. Server FIN_WAIT_1 -> FIN_WAIT_2
 * -> TIME_WAIT, client CLOSE_WAIT -> LAST_ACK -> CLOSED; closed_by=server.
 */
static void
case_open_close_server_first(struct pcapw *w)
{
	struct conn c;

	conn4(&c, w, 40002, 80);
	conn_handshake(&c);
	talk(&c, 100, 1000);
	close_server_first(&c);
}

/*
 * 03: three-segment close: FIN, FIN+ACK, ACK. The server's FIN+ACK shows it
 * took the client's FIN (CLOSE_WAIT) and sends its own (LAST_ACK). The client
 * takes that segment with its last ACK: in FIN_WAIT_1 the ACK of its FIN and
 * the peer's FIN arrive together, so RFC 9293 3.10.7.4 moves it through
 * FIN_WAIT_2 within the one segment into TIME_WAIT: no FIN_WAIT_2 is
 * reported. Server LAST_ACK -> CLOSED on that ACK; CLOSED fin by client.
 */
static void
case_three_segment_close(struct pcapw *w)
{
	struct conn c;

	conn4(&c, w, 40003, 80);
	conn_handshake(&c);
	talk(&c, 100, 1000);
	c_fin(&c);
	s_fin(&c);
	c_ack(&c);
}

/*
 * 04: simultaneous close (RFC 9293 Figure 13): the FINs cross. The server's
 * FIN acknowledges only up to the client's FIN, not the FIN itself, so the
 * server sent it from ESTABLISHED: FIN_WAIT_1, not LAST_ACK; and it never was
 * in CLOSE_WAIT. Each side then takes the other's FIN while its own is not
 * yet acknowledged: CLOSING; each ACK of a FIN moves the FIN's sender from
 * CLOSING to TIME_WAIT. The client's ACK arrives at the server after the
 * client's FIN (one direction is in order), so the server goes CLOSING then
 * TIME_WAIT on it; the server's ACK moves the client to TIME_WAIT. Both end
 * in TIME_WAIT; CLOSED fin, closed_by=client (its FIN was first).
 */
static void
case_simultaneous_close(struct pcapw *w)
{
	struct conn c;
	uint32_t cfin;

	conn4(&c, w, 40004, 80);
	conn_handshake(&c);
	talk(&c, 100, 1000);
	cfin = c.end[CONN_CLIENT].nxt;
	c_fin(&c);
	conn_send_ack(&c, CONN_SERVER, TH_FIN | TH_ACK, 0, cfin);
	c_ack(&c);
	s_ack(&c);
}

/*
 * 05: simultaneous open (RFC 9293 Figure 7): both send a bare SYN, each
 * answers the other's SYN with SYN+ACK, each SYN+ACK completes the other.
 * The client is the first SYN's sender. The server's bare SYN means it made
 * an active open: SYN_SENT (from LISTEN, RFC 9293 3.10.2 SEND in LISTEN, or
 * from CLOSED). The client's SYN+ACK shows it took the server's SYN:
 * SYN_SENT -> SYN_RCVD. The server's SYN+ACK shows the same for it:
 * SYN_RCVD; it also acknowledges the client's SYN, so the client (in
 * SYN_RCVD) enters ESTABLISHED; the client's SYN+ACK and ACK then put the
 * server in ESTABLISHED. Both: SYN_SENT -> SYN_RCVD -> ESTABLISHED. Whether
 * the server's SYN and SYN+ACK are reported as SYN/SYN_ACK or STATE is a
 * naming choice the expectation leaves open. Closed normally by the client.
 */
static void
case_simultaneous_open(struct pcapw *w)
{
	struct conn c;
	uint32_t ci, si;

	conn4(&c, w, 40005, 80);
	ci = c.end[CONN_CLIENT].isn;
	si = c.end[CONN_SERVER].isn;
	c_syn(&c);
	conn_send_ack(&c, CONN_SERVER, TH_SYN, 0, 0);
	conn_raw(&c, CONN_CLIENT, ci, si + 1, TH_SYN | TH_ACK, 0);
	conn_raw(&c, CONN_SERVER, si, ci + 1, TH_SYN | TH_ACK, 0);
	c_ack(&c);
	s_ack(&c);
	talk(&c, 100, 1000);
	close_client_first(&c);
}

/*
 * 06: half-close with data still flowing the other way: the client shuts
 * down its side (FIN_WAIT_1, then FIN_WAIT_2 on the server's ACK) while the
 * server in CLOSE_WAIT still sends 3 x 1000 bytes (RFC 9293 3.10.7.4:
 * FIN_WAIT_2 still takes data). No event for the data; then the server's FIN
 * and the client's ACK close it as in case 01. server_bytes=3000.
 */
static void
case_half_close_data(struct pcapw *w)
{
	struct conn c;
	int i;

	conn4(&c, w, 40006, 80);
	conn_handshake(&c);
	c_data(&c, 100);
	s_ack(&c);
	c_fin(&c);
	s_ack(&c);
	for (i = 0; i < 3; i++) {
		s_data(&c, 1000);
		c_ack(&c);
	}
	s_fin(&c);
	c_ack(&c);
}

/*
 * 07: the FIN rides on the last 200 bytes of data. The bytes count (300
 * from the client) and the FIN sits at seq+len, so the server's ACK of
 * seq+len+1 acknowledges it: events as in case 01.
 */
static void
case_fin_with_data(struct pcapw *w)
{
	struct conn c;

	conn4(&c, w, 40007, 80);
	conn_handshake(&c);
	c_data(&c, 100);
	s_ack(&c);
	conn_send(&c, CONN_CLIENT, TH_FIN | TH_PSH | TH_ACK, 200);
	s_ack(&c);
	s_fin(&c);
	c_ack(&c);
}

/*
 * 08: the SYN is sent again after 1 s with the same ISN (the SYN+ACK was
 * slow): a retransmission, one SYN event, one connection; it counts as a
 * segment sent (client_pkts=7).
 */
static void
case_syn_retransmit(struct pcapw *w)
{
	struct conn c;

	conn4(&c, w, 40008, 80);
	c_syn(&c);
	conn_wait(&c, 1 * SEC);
	conn_raw(&c, CONN_CLIENT, c.end[CONN_CLIENT].isn, 0, TH_SYN, 0);
	s_synack(&c);
	c_ack(&c);
	talk(&c, 100, 1000);
	close_client_first(&c);
}

/*
 * 09: the client's ACK of the SYN+ACK was lost before the capture point, the
 * server sends its SYN+ACK again 1 s later, and the client ACKs again. One
 * SYN_ACK event; the client is ESTABLISHED from the first SYN+ACK, the server
 * from the ACK that follows the retransmission.
 */
static void
case_synack_retransmit(struct pcapw *w)
{
	struct conn c;

	conn4(&c, w, 40009, 80);
	c_syn(&c);
	s_synack(&c);
	conn_wait(&c, 1 * SEC);
	conn_raw(&c, CONN_SERVER, c.end[CONN_SERVER].isn, c.end[CONN_CLIENT].isn + 1,
	         TH_SYN | TH_ACK, 0);
	c_ack(&c);
	talk(&c, 100, 1000);
	close_client_first(&c);
}

/*
 * 10: the client's FIN is sent again 300 ms later (not yet acknowledged):
 * one FIN event, no state change on the copy; closes as case 01 with
 * client_pkts=7.
 */
static void
case_fin_retransmit(struct pcapw *w)
{
	struct conn c;
	uint32_t fin;

	conn4(&c, w, 40010, 80);
	conn_handshake(&c);
	talk(&c, 100, 1000);
	fin = c.end[CONN_CLIENT].nxt;
	c_fin(&c);
	conn_wait(&c, 300 * MS);
	conn_raw(&c, CONN_CLIENT, fin, c.end[CONN_CLIENT].rcv, TH_FIN | TH_ACK, 0);
	s_ack(&c);
	s_fin(&c);
	c_ack(&c);
}

/*
 * 11: refused: the SYN is answered by RST+ACK acknowledging it (seq 0, as
 * Linux sends for a closed port). RFC 9293 3.10.7.3: in SYN_SENT a RST whose
 * ACK acknowledges the SYN is acceptable, the connection is reset: client
 * SYN_SENT -> CLOSED. RST event by the server; CLOSED reason=refused,
 * closed_by=server, conn_state REJ, history Sr.
 */
static void
case_refused(struct pcapw *w)
{
	struct conn c;

	conn4(&c, w, 40011, 80);
	c_syn(&c);
	conn_raw(&c, CONN_SERVER, 0, c.end[CONN_CLIENT].isn + 1, TH_RST | TH_ACK, 0);
}

/*
 * 12: the SYN is never answered: Linux's retransmissions at 1, 3, 7 and 15 s
 * (same ISN, no events), then silence. The tracker's clock is packet time, so
 * a later packet must show that the time passed: 60 s after the last SYN a
 * SYN of an unrelated connection (flow B) arrives. By then the handshake has
 * been incomplete for longer than the syn timeout (30 s): CLOSED
 * reason=syn_timeout for A, 5 segments, conn_state S0, before B's SYN. At the
 * end of the file B is still in SYN_SENT: CLOSED reason=shutdown.
 */
static void
case_syn_timeout(struct pcapw *w)
{
	struct conn a, b;
	uint64_t backoff;

	conn4(&a, w, 40012, 80);
	c_syn(&a);
	for (backoff = 1; backoff <= 8; backoff *= 2) {
		conn_wait(&a, backoff * SEC);
		conn_raw(&a, CONN_CLIENT, a.end[CONN_CLIENT].isn, 0, TH_SYN, 0);
	}
	conn_wait(&a, 60 * SEC);
	conn4(&b, w, 40112, 80);
	c_syn(&b);
}

/*
 * 13: the originator sends a SYN and then its own RST (an aborted connect):
 * the RST carries the sequence number right after the SYN, exactly what the
 * server would expect. Client SYN_SENT -> CLOSED; RST by client; CLOSED
 * reason=rst (not refused: nobody answered the SYN), closed_by=client,
 * conn_state RSTOS0.
 */
static void
case_syn_then_own_rst(struct pcapw *w)
{
	struct conn c;

	conn4(&c, w, 40013, 80);
	c_syn(&c);
	conn_wait(&c, 200 * MS);
	conn_raw(&c, CONN_CLIENT, c.end[CONN_CLIENT].nxt, 0, TH_RST, 0);
}

/*
 * 14: the client aborts an established connection: RST+ACK with exactly the
 * sequence number the server expects (RFC 9293 3.10.7.4, RFC 5961 3.2: an
 * exact RST resets). Both CLOSED; CLOSED reason=rst closed_by=client, RSTO.
 */
static void
case_rst_established_client(struct pcapw *w)
{
	struct conn c;

	conn4(&c, w, 40014, 80);
	conn_handshake(&c);
	talk(&c, 100, 1000);
	c_rst(&c);
}

/* 15: the same from the server: closed_by=server, RSTR. */
static void
case_rst_established_server(struct pcapw *w)
{
	struct conn c;

	conn4(&c, w, 40015, 80);
	conn_handshake(&c);
	talk(&c, 100, 1000);
	s_rst(&c);
}

/*
 * 16: a RST "from the server" whose sequence number is 0x70000000 past what
 * the client expects: far outside any window (RFC 9293 3.10.7.4: an
 * unacceptable RST is dropped). Counted and ignored: no RST event, the
 * connection goes on (50 more bytes) and closes normally, CLOSED fin.
 */
static void
case_rst_out_of_window(struct pcapw *w)
{
	struct conn c;

	conn4(&c, w, 40016, 80);
	conn_handshake(&c);
	talk(&c, 100, 1000);
	conn_raw(&c, CONN_SERVER, c.end[CONN_SERVER].nxt + 0x70000000u, c.end[CONN_SERVER].rcv,
	         TH_RST | TH_ACK, 0);
	conn_wait(&c, 10 * MS);
	c_data(&c, 50);
	s_ack(&c);
	close_client_first(&c);
}

/*
 * 17: RST while the server is in SYN_RCVD: the client answers the SYN+ACK
 * with a bare RST at ISN+1 (a SYN scan of an open port). The client never
 * shows that it took the SYN+ACK (RFC 9293 3.10.7.3: a stack that took it
 * answers with an ACK and enters ESTABLISHED; a scanner's raw socket
 * answers with a RST instead): it is never reported ESTABLISHED, nor is
 * the server, whose SYN+ACK was never acknowledged. The RST is acceptable
 * (its sequence number is the one the server expects) and closes both.
 * CLOSED reason=rst closed_by=client; Zeek calls it RSTO (its responder
 * counts as established from the SYN+ACK).
 */
static void
case_rst_syn_rcvd(struct pcapw *w)
{
	struct conn c;

	conn4(&c, w, 40017, 80);
	c_syn(&c);
	s_synack(&c);
	conn_raw(&c, CONN_CLIENT, c.end[CONN_CLIENT].nxt, 0, TH_RST, 0);
}

/*
 * 18: RST while the client is in FIN_WAIT_1: the server aborts, and its
 * RST+ACK acknowledges only up to the client's FIN, so the server had not
 * received the FIN: it never was in CLOSE_WAIT (reporting CLOSE_WAIT here
 * would contradict its own ACK field). Server ESTABLISHED -> CLOSED, client
 * FIN_WAIT_1 -> CLOSED. CLOSED reason=rst closed_by=server (the RST's
 * sender), RSTR.
 */
static void
case_rst_fin_wait_1(struct pcapw *w)
{
	struct conn c;
	uint32_t fin;

	conn4(&c, w, 40018, 80);
	conn_handshake(&c);
	talk(&c, 100, 1000);
	fin = c.end[CONN_CLIENT].nxt;
	c_fin(&c);
	conn_raw(&c, CONN_SERVER, c.end[CONN_SERVER].nxt, fin, TH_RST | TH_ACK, 0);
}

/*
 * 19: RST from the client in FIN_WAIT_2 (it gave up on the half-closed
 * connection): exact sequence number FIN+1. Client FIN_WAIT_2 -> CLOSED,
 * server CLOSE_WAIT -> CLOSED; CLOSED reason=rst closed_by=client, RSTO.
 */
static void
case_rst_fin_wait_2(struct pcapw *w)
{
	struct conn c;

	conn4(&c, w, 40019, 80);
	conn_handshake(&c);
	talk(&c, 100, 1000);
	c_fin(&c);
	s_ack(&c);
	c_rst(&c);
}

/*
 * 20: RST from the server in CLOSE_WAIT (its application closed with unread
 * data). Server CLOSE_WAIT -> CLOSED, client FIN_WAIT_2 -> CLOSED; CLOSED
 * reason=rst closed_by=server: the RST, not the client's earlier FIN, ended
 * the connection. RSTR.
 */
static void
case_rst_close_wait(struct pcapw *w)
{
	struct conn c;

	conn4(&c, w, 40020, 80);
	conn_handshake(&c);
	talk(&c, 100, 1000);
	c_fin(&c);
	s_ack(&c);
	s_rst(&c);
}

/*
 * 21: RST while the server is in LAST_ACK: the client half-closed, the
 * server took 70 s to send its FIN, and by then the client's socket was gone
 * (Linux drops an orphaned FIN_WAIT_2 after 60 s): the FIN is answered by a
 * bare RST at the client's FIN+1, exactly what the server expects. The
 * client never acknowledged the server's FIN, so it never was in TIME_WAIT.
 * Server LAST_ACK -> CLOSED; CLOSED reason=rst closed_by=client.
 */
static void
case_rst_last_ack(struct pcapw *w)
{
	struct conn c;

	conn4(&c, w, 40021, 80);
	conn_handshake(&c);
	talk(&c, 100, 1000);
	c_fin(&c);
	s_ack(&c);
	conn_wait(&c, 70 * SEC);
	s_fin(&c);
	conn_raw(&c, CONN_CLIENT, c.end[CONN_CLIENT].nxt, 0, TH_RST, 0);
}

/*
 * 22: a RST after the FIN exchange completed: the client, in TIME_WAIT,
 * sends a RST 500 ms after the close. The connection was already reported
 * CLOSED (fin); the RST is post-close noise: the close stays graceful, no
 * second CLOSED. Whether the RST itself is reported is left open.
 */
static void
case_rst_in_time_wait(struct pcapw *w)
{
	struct conn c;

	conn4(&c, w, 40022, 80);
	ordinary(&c);
	conn_wait(&c, 500 * MS);
	conn_raw(&c, CONN_CLIENT, c.end[CONN_CLIENT].nxt, 0, TH_RST, 0);
}

/*
 * 23: a RST after TIME_WAIT is over: the server closed first (it holds
 * TIME_WAIT), and 90 s later (time_wait is 60 s) it sends a RST on the
 * 4-tuple. Nothing is tracked any more: a stray segment, no event.
 */
static void
case_rst_after_time_wait(struct pcapw *w)
{
	struct conn c;

	conn4(&c, w, 40023, 80);
	conn_handshake(&c);
	talk(&c, 100, 1000);
	close_server_first(&c);
	conn_wait(&c, 90 * SEC);
	conn_raw(&c, CONN_SERVER, c.end[CONN_SERVER].nxt, 0, TH_RST, 0);
}

/*
 * 24: FIN, then a RST from the same side (SO_LINGER 0 after shutdown()):
 * RST+ACK at FIN+1. The server receives the FIN before the RST (one
 * direction is in order), so it was in CLOSE_WAIT for a moment; the RST then
 * closes both. CLOSED reason=rst closed_by=client, RSTO.
 */
static void
case_fin_then_rst(struct pcapw *w)
{
	struct conn c;

	conn4(&c, w, 40024, 80);
	conn_handshake(&c);
	talk(&c, 100, 1000);
	c_fin(&c);
	c_rst(&c);
}

/*
 * 25: a new SYN on a 4-tuple whose server is in TIME_WAIT (the server
 * closed first), 2 s later, with an ISN above everything the old connection
 * used (RFC 9293 3.6.1, RFC 6191: acceptable). The old connection was
 * already reported CLOSED (fin); the new one is a new flow (new id) with its
 * own complete life, closed by the client.
 */
static void
case_time_wait_reuse(struct pcapw *w)
{
	struct conn a, b;
	uint32_t isn;

	conn4(&a, w, 40025, 80);
	conn_handshake(&a);
	talk(&a, 100, 1000);
	close_server_first(&a);
	conn_wait(&a, 2 * SEC);
	isn = a.end[CONN_CLIENT].nxt + 100000;
	conn_init(&b, w, "10.0.0.1", 40025, "10.0.0.2", 80, isn, 4000000000u);
	conn_handshake(&b);
	talk(&b, 200, 2000);
	close_client_first(&b);
}

/*
 * 26: a new SYN with an unrelated ISN on an ESTABLISHED 4-tuple (the client
 * rebooted and reused the port). RFC 9293 3.10.7.4 / RFC 5961 4: the server
 * does not reset on it but sends a challenge ACK (its old seq and ack); the
 * client, for which that ACK acknowledges nothing it sent, answers with a RST
 * whose seq is the ACK's ack number (3.10.7.3), exactly what the server
 * expects: the old connection is reset by the client (RST, CLOSED rst). The
 * client's SYN, sent again 1 s later, then opens a new connection (new flow
 * id, its own complete life). The SYN alone did not end the old connection,
 * so its reason is rst, not reused.
 */
static void
case_established_new_syn(struct pcapw *w)
{
	struct conn a, b;
	uint32_t isn = 2222222222u;

	conn4(&a, w, 40026, 80);
	conn_handshake(&a);
	talk(&a, 100, 1000);
	conn_wait(&a, 5 * SEC);
	conn_raw(&a, CONN_CLIENT, isn, 0, TH_SYN, 0);
	conn_raw(&a, CONN_SERVER, a.end[CONN_SERVER].nxt, a.end[CONN_SERVER].rcv, TH_ACK, 0);
	conn_raw(&a, CONN_CLIENT, a.end[CONN_SERVER].rcv, 0, TH_RST, 0);
	conn_wait(&a, 1 * SEC);
	conn_init(&b, w, "10.0.0.1", 40026, "10.0.0.2", 80, isn, 4100000000u);
	conn_handshake(&b);
	talk(&b, 50, 500);
	close_client_first(&b);
}

/*
 * 27: keepalives over a long idle period: after the exchange, three Linux
 * keepalives 7200 s apart (seq = next-1, no data; the second one with the
 * 1 garbage byte other stacks send), each ACKed by the server. The idle
 * timeout (7440 s) is longer than the keepalive interval, so the connection
 * survives 6 hours: one connection, no state change, the keepalive byte is
 * old sequence space (not counted). Then 50 and 500 more bytes and a normal
 * close: client_bytes=150, server_bytes=1500.
 */
static void
case_keepalive(struct pcapw *w)
{
	struct conn c;
	int i;

	conn4(&c, w, 40027, 80);
	conn_handshake(&c);
	talk(&c, 100, 1000);
	for (i = 0; i < 3; i++) {
		conn_wait(&c, 7200 * SEC);
		conn_raw(&c, CONN_CLIENT, c.end[CONN_CLIENT].nxt - 1, c.end[CONN_CLIENT].rcv,
		         TH_ACK, i == 1 ? 1 : 0);
		s_ack(&c);
	}
	talk(&c, 50, 500);
	close_client_first(&c);
}

/*
 * 28: zero-window probes: the server's receive buffer is full (it ACKs
 * 1000 bytes with window 0) and the client probes with one new byte at its
 * next sequence number, backing off from 200 ms to 120 s, for about 7
 * minutes; every probe is answered with window 0 and the byte not accepted.
 * Then the window opens and the client sends 500 bytes, the first of them
 * the probed byte. No state change; bytes by sequence space are exact:
 * client 1500, server 100.
 */
static void
case_zero_window(struct pcapw *w)
{
	struct conn c;
	uint64_t gap = 200 * MS;
	int i;

	conn4(&c, w, 40028, 80);
	conn_handshake(&c);
	c_data(&c, 1000);
	c.end[CONN_SERVER].win = 0;
	s_ack(&c);
	for (i = 0; i < 12; i++) {
		conn_wait(&c, gap);
		gap = gap * 2 > 120 * SEC ? 120 * SEC : gap * 2;
		conn_raw(&c, CONN_CLIENT, c.end[CONN_CLIENT].nxt, c.end[CONN_CLIENT].rcv, TH_ACK,
		         1);
		s_ack(&c);
	}
	c.end[CONN_SERVER].win = 502;
	s_ack(&c);
	c_data(&c, 500);
	s_ack(&c);
	s_data(&c, 100);
	c_ack(&c);
	close_client_first(&c);
}

/*
 * 29: every frame captured twice, 3 us apart (a capture on a bridge and its
 * port, or "any"): the events, bytes and segment counts are those of case 01,
 * nothing doubled.
 */
static void
case_duplicated(struct pcapw *w)
{
	struct conn c;

	w->dup_us = 3;
	conn4(&c, w, 40029, 80);
	ordinary(&c);
}

/*
 * 30: sequence numbers wrap: the client's ISN is 0xfffff000 and its second
 * 4000-byte segment crosses 2^32 (and is retransmitted once); the server's
 * ISN is 0xffffffff, so its data starts at 0. Modular arithmetic keeps the
 * states and the counts exact: client 12000 bytes, server 2000.
 */
static void
case_seq_wrap(struct pcapw *w)
{
	struct conn c;
	uint32_t seq2;

	conn_init(&c, w, "10.0.0.1", 40030, "10.0.0.2", 80, 0xfffff000u, 0xffffffffu);
	conn_handshake(&c);
	c_data(&c, 4000);
	s_ack(&c);
	seq2 = c.end[CONN_CLIENT].nxt;
	c_data(&c, 4000);
	conn_wait(&c, 200 * MS);
	conn_raw(&c, CONN_CLIENT, seq2, c.end[CONN_CLIENT].rcv, TH_PSH | TH_ACK, 4000);
	s_ack(&c);
	c_data(&c, 4000);
	s_ack(&c);
	s_data(&c, 1000);
	c_ack(&c);
	s_data(&c, 1000);
	c_ack(&c);
	close_client_first(&c);
}

/*
 * 31: capture starts in the middle: no handshake, and the first segment is
 * the server's (port 443 -> 51000) data. The client is the ephemeral-port
 * side, 10.0.0.1:51000, whatever sent first; both are taken as ESTABLISHED
 * and the flow is marked partial. The bytes count from the first sequence
 * number seen: server 1000 + 700, client 300. Whether the pickup itself is
 * reported (ESTABLISHED records) is left open. Closed by the client:
 * CLOSED fin partial=true, conn_state SF (Zeek's SF covers midstream too).
 */
static void
case_midstream(struct pcapw *w)
{
	struct conn c;

	conn_init(&c, w, "10.0.0.1", 51000, "10.0.0.2", 443, 500000000u, 600000000u);
	conn_midstream(&c, 5000, 80000);
	s_data(&c, 1000);
	c_ack(&c);
	c_data(&c, 300);
	s_ack(&c);
	s_data(&c, 700);
	c_ack(&c);
	close_client_first(&c);
}

/*
 * 32: the first segment is the SYN+ACK (the SYN was not captured). Its
 * sender is the server even though its port (33000) looks ephemeral and the
 * client's (1025) does not: the SYN+ACK decides, not a port heuristic.
 * SYN_ACK by the server, both ESTABLISHED as usual, no SYN event; the flow is
 * partial (the handshake was not all seen). Closed by the client.
 */
static void
case_synack_first(struct pcapw *w)
{
	struct conn c;

	conn_init(&c, w, "10.0.0.1", 1025, "10.0.0.2", 33000, 700000000u, 800000000u);
	conn_after_syn(&c);
	s_synack(&c);
	c_ack(&c);
	talk(&c, 100, 1000);
	close_client_first(&c);
}

/*
 * 33: the last ACK is never seen: after the server's FIN nothing more comes
 * from the client. The client never shows that it took the FIN (no ACK of
 * it), so it is last known in FIN_WAIT_2; the server stays in LAST_ACK
 * (RFC 9293 Figure 5) until the closing timeout (240 s) ends it, shown by a
 * SYN of an unrelated flow B 300 s later: CLOSED reason=closing_timeout,
 * abnormal. B ends at the end of the file (shutdown).
 */
static void
case_last_ack_lost(struct pcapw *w)
{
	struct conn a, b;

	conn4(&a, w, 40033, 80);
	conn_handshake(&a);
	talk(&a, 100, 1000);
	c_fin(&a);
	s_ack(&a);
	s_fin(&a);
	conn_wait(&a, 300 * SEC);
	conn4(&b, w, 40133, 80);
	c_syn(&b);
}

/*
 * 34: a long half-close: the client sent its FIN, the server keeps sending
 * 1000 bytes every 120 s for 2.5 hours (longer than the 7440 s idle timeout
 * and far longer than the 240 s closing timeout, but never idle for either),
 * each ACKed by the client. The connection stays FIN_WAIT_2 / CLOSE_WAIT as
 * long as data flows, then closes normally: CLOSED fin, server_bytes=75000.
 */
static void
case_long_half_close(struct pcapw *w)
{
	struct conn c;
	int i;

	conn4(&c, w, 40034, 80);
	conn_handshake(&c);
	c_data(&c, 100);
	s_ack(&c);
	c_fin(&c);
	s_ack(&c);
	for (i = 0; i < 75; i++) {
		conn_wait(&c, 120 * SEC);
		s_data(&c, 1000);
		c_ack(&c);
	}
	s_fin(&c);
	c_ack(&c);
}

/*
 * 35: invalid flag combinations inside an established connection (SYN+FIN,
 * SYN+RST, no flags at all) and, on another 4-tuple, SYN+FIN and a null
 * segment with no connection at all. RFC 9293 has no transition for them:
 * they are counted and ignored; no flow for the second tuple; the first
 * closes exactly as case 01.
 */
static void
case_bad_flags(struct pcapw *w)
{
	struct conn c, x;
	uint32_t seq, ack;

	conn4(&c, w, 40035, 80);
	conn_handshake(&c);
	talk(&c, 100, 1000);
	seq = c.end[CONN_CLIENT].nxt;
	ack = c.end[CONN_CLIENT].rcv;
	conn_raw(&c, CONN_CLIENT, seq, ack, TH_SYN | TH_FIN, 0);
	conn_raw(&c, CONN_CLIENT, seq, ack, TH_SYN | TH_RST, 0);
	conn_raw(&c, CONN_CLIENT, seq, ack, 0, 0);
	close_client_first(&c);
	conn_init(&x, w, "10.0.0.3", 40135, "10.0.0.2", 80, 123456789u, 0);
	conn_raw(&x, CONN_CLIENT, 123456789u, 0, TH_SYN | TH_FIN, 0);
	conn_raw(&x, CONN_CLIENT, 123456789u, 0, 0, 0);
}

/*
 * 36: a RST carrying 40 bytes of diagnostic text, at the exact sequence
 * number: accepted (RST, CLOSED rst closed_by=server, RSTR); the payload is
 * not stream data (RFC 9293 3.5.3, RFC 1122 4.2.2.12): server_bytes=1000.
 */
static void
case_rst_with_payload(struct pcapw *w)
{
	struct conn c;

	conn4(&c, w, 40036, 80);
	conn_handshake(&c);
	talk(&c, 100, 1000);
	conn_send(&c, CONN_SERVER, TH_RST | TH_ACK, 40);
}

/*
 * 37: the SYN carries 100 bytes (TCP Fast Open, RFC 7413) and the SYN+ACK
 * acknowledges them (ISN+101). The data counts (client 150 with the 50
 * later); the handshake and the close are as usual.
 */
static void
case_syn_with_data(struct pcapw *w)
{
	struct conn c;

	conn4(&c, w, 40037, 80);
	conn_send(&c, CONN_CLIENT, TH_SYN, 100);
	s_synack(&c);
	c_ack(&c);
	talk(&c, 50, 1000);
	close_client_first(&c);
}

/*
 * 38: a lone RST and, on another 4-tuple, a lone FIN+ACK. A RST cannot
 * start a connection: a stray segment, counted, no events. A FIN closes a
 * connection that existed before the capture: it is picked up mid-stream
 * (as 31), its FIN reported, and it ends with the capture (shutdown).
 */
static void
case_lone_rst_fin(struct pcapw *w)
{
	struct conn a, b;

	conn4(&a, w, 40038, 80);
	conn_raw(&a, CONN_CLIENT, 12345678u, 0, TH_RST, 0);
	conn_wait(&a, 1 * SEC);
	conn4(&b, w, 40138, 80);
	conn_raw(&b, CONN_SERVER, 87654321u, 11223344u, TH_FIN | TH_ACK, 0);
}

/* 39: case 01 over IPv6 (MSS 1440); addresses printed as RFC 5952 text. */
static void
case_ipv6(struct pcapw *w)
{
	struct conn c;

	conn_init(&c, w, "2001:db8::1", 40039, "2001:db8::2", 443, 39000000u, 3039000000u);
	ordinary(&c);
}

/* 40: case 01 inside 802.1Q VLAN 100. */
static void
case_vlan(struct pcapw *w)
{
	struct conn c;

	conn4(&c, w, 40040, 80);
	c.vlan = 100;
	ordinary(&c);
}

/* 41: case 01 inside 802.1ad service VLAN 200, customer VLAN 100 (QinQ). */
static void
case_qinq(struct pcapw *w)
{
	struct conn c;

	conn4(&c, w, 40041, 80);
	c.vlan_outer = 200;
	c.vlan = 100;
	ordinary(&c);
}

/*
 * 42: the study note's exchange, segment for segment, over IPv6: 3 bytes
 * up, 492 down, the server closes first. Its FIN is answered first by an ACK
 * of the data only (ack 493, not 494): the client had not yet received the
 * FIN, and takes it only with its own FIN+ACK (CLOSE_WAIT, then LAST_ACK at
 * once). The server takes that FIN+ACK with its last ACK: in FIN_WAIT_1 the
 * ACK of its FIN and the client's FIN arrive together, so it goes to
 * TIME_WAIT (RFC 9293 3.10.7.4); the client goes LAST_ACK -> CLOSED.
 * CLOSED fin, closed_by=server, 3/492 bytes, 5/5 segments.
 */
static void
case_seed_ipv6(struct pcapw *w)
{
	struct conn c;
	const uint64_t t = 1718956681141569ULL; /* 2024-06-21T07:58:01.141569Z */

	conn_init(&c, w, "2001:db8:42::108", 45714, "2001:db8:42::109", 8000, 1068669254u,
	          3335247323u);
	w->now_us = t;
	c_syn(&c);
	w->now_us = t + 113;
	s_synack(&c);
	w->now_us = t + 1682;
	c_ack(&c);
	w->now_us = t + 34177399;
	c_data(&c, 3);
	w->now_us = t + 34177485;
	s_ack(&c);
	w->now_us = t + 34178537;
	s_data(&c, 492);
	w->now_us = t + 34178766;
	s_fin(&c);
	w->now_us = t + 34180197;
	conn_raw(&c, CONN_CLIENT, c.end[CONN_CLIENT].nxt, c.end[CONN_SERVER].nxt - 1, TH_ACK, 0);
	w->now_us = t + 34180580;
	c_fin(&c);
	w->now_us = t + 34180639;
	s_ack(&c);
}

/* 43-46: case 01 over the other link types tcpstated decodes. */
static void
case_linktype_raw(struct pcapw *w)
{
	struct conn c;

	conn4(&c, w, 40043, 80);
	ordinary(&c);
}

static void
case_linktype_sll(struct pcapw *w)
{
	struct conn c;

	conn4(&c, w, 40044, 80);
	ordinary(&c);
}

static void
case_linktype_sll2(struct pcapw *w)
{
	struct conn c;

	conn_init(&c, w, "2001:db8::1", 40045, "2001:db8::2", 443, 45000000u, 3045000000u);
	ordinary(&c);
}

static void
case_linktype_null(struct pcapw *w)
{
	struct conn c;

	conn_init(&c, w, "2001:db8::1", 40046, "2001:db8::2", 443, 46000000u, 3046000000u);
	ordinary(&c);
}

/*
 * 47: an unanswered SYN with Linux's whole retry schedule (1, 3, 7, 15, 31
 * and 63 s after the first, tcp_syn_retries = 6), longer than the 30 s syn
 * timeout. It is one connection attempt: one SYN event and one CLOSED
 * syn_timeout, not a new attempt (a second SYN and CLOSED pair) for the
 * retransmissions after 30 s (Zeek's #863, semantics ref. case 7). An
 * unrelated SYN 120 s after the last retry shows the time passed.
 */
static void
case_syn_timeout_linux_retries(struct pcapw *w)
{
	struct conn a, b;
	uint64_t backoff;

	conn4(&a, w, 40047, 80);
	c_syn(&a);
	for (backoff = 1; backoff <= 32; backoff *= 2) {
		conn_wait(&a, backoff * SEC);
		conn_raw(&a, CONN_CLIENT, a.end[CONN_CLIENT].isn, 0, TH_SYN, 0);
	}
	conn_wait(&a, 120 * SEC);
	conn4(&b, w, 40147, 80);
	c_syn(&b);
}

/*
 * 48: a bulk transfer captured with most segments missing (a lossy mirror):
 * after 1000 bytes, each round the capture misses 99,999,000 bytes of the
 * client's data and sees the server's cumulative ACK of them, then 1000
 * bytes more and their ACK; 54 rounds, 5.4 GB. An ACK beyond what was seen
 * is evidence that the data was sent (RFC 9293 3.10.7.4 fifth check says
 * the receiver had it), not an error: the client's byte count follows the
 * sequence space across every gap, 1000 + 54 * 100,000,000 = 5,400,001,000,
 * of which 55,000 were seen. Then the ordinary close of 01 is seen whole:
 * fin, SF, whatever was missed before. Counts: client SYN, ACK, data, ACK,
 * 54 data, FIN, ACK = 60; server SYN+ACK, ACK, data, 108 ACKs, ACK, FIN = 113.
 */
static void
case_gap_bulk(struct pcapw *w)
{
	struct conn c;
	int i;

	conn4(&c, w, 40048, 80);
	conn_handshake(&c);
	c_data(&c, 1000);
	s_ack(&c);
	s_data(&c, 500);
	c_ack(&c);
	for (i = 0; i < 54; i++) {
		c.end[CONN_CLIENT].nxt += 99999000u;
		c.end[CONN_SERVER].rcv = c.end[CONN_CLIENT].nxt;
		s_ack(&c);
		c_data(&c, 1000);
		s_ack(&c);
	}
	close_client_first(&c);
}

/*
 * 49: picked up at the SYN+ACK (the SYN was before the capture), the
 * client's ACK and an exchange, and still open when the capture ends. As
 * in 32 the SYN+ACK names the roles; the connection is established and not
 * terminated: Zeek's S1, as the same start closed by FINs is SF (case 32).
 */
static void
case_synack_first_open(struct pcapw *w)
{
	struct conn c;

	conn_init(&c, w, "10.0.0.1", 40049, "10.0.0.2", 80, 490000000u, 491000000u);
	conn_after_syn(&c);
	s_synack(&c);
	c_ack(&c);
	talk(&c, 100, 1000);
}

/*
 * 50: picked up at the close: the first segment seen is the server's
 * FIN+ACK (443 -> 51050). A FIN is a close of a connection that existed:
 * both endpoints are taken as ESTABLISHED (partial, as in 31), the FIN is
 * counted in history and packets, and the rest of the close is followed as
 * in 02: the client's ACK shows it took the FIN, its FIN, the server's last
 * ACK. CLOSED fin by the server, SF. Counts: 2 each way, no bytes.
 */
static void
case_fin_first(struct pcapw *w)
{
	struct conn c;

	conn_init(&c, w, "10.0.0.1", 51050, "10.0.0.2", 443, 500000000u, 600000000u);
	conn_midstream(&c, 5000, 80000);
	close_server_first(&c);
}

/*
 * 51: a half-closed connection whose other side never closes: the client's
 * FIN is acknowledged (client FIN_WAIT_2, server CLOSE_WAIT) and then
 * nothing more comes. A kernel never times out CLOSE_WAIT (the application
 * must close), and Linux keeps an orphaned FIN_WAIT_2 only tcp_fin_timeout,
 * but one owned by an application as long as it likes: the connection is
 * kept like an established one (timeouts.half_closed, as long as
 * established by default: 7440 s here), not ended by the 240 s closing
 * timeout, which is for FINs not yet acknowledged. Flow B (a SYN 300 s
 * later) shows A still open after the closing timeout; B itself times out
 * (syn_timeout); flow C 7800 s after A's last segment shows A ended by
 * half_closed_timeout, with its states as they were. C ends at the end.
 */
static void
case_half_closed_expiry(struct pcapw *w)
{
	struct conn a, b, c;

	conn4(&a, w, 40052, 80);
	conn_handshake(&a);
	c_data(&a, 100);
	s_ack(&a);
	c_fin(&a);
	s_ack(&a);
	conn_wait(&a, 300 * SEC);
	conn4(&b, w, 40152, 80);
	c_syn(&b);
	conn_wait(&b, 7500 * SEC);
	conn4(&c, w, 40252, 80);
	c_syn(&c);
}

/*
 * 52-62: case 01 inside each encapsulation decode opens, the tunnel's outer
 * pair (IPv4, or IPv6 for a few) going back the other way for the server's
 * segments (pcapw.h's struct pcapw_tunnel). Inside, 10.0.0.1:cport ->
 * 10.0.0.2:80, or IPv6 where the tunnel carries only that. The expectation
 * is case 01's: a tunnel changes where a connection is read, not what it is.
 */
static void
tunnelled(struct pcapw *w, int kind, int outer6, uint32_t id, uint16_t cport, const char *cip6)
{
	struct pcapw_tunnel t;
	struct conn c;

	if (pcapw_tunnel_init(&t, kind, outer6 ? "2001:db8:ff::1" : "203.0.113.1",
	                      outer6 ? "2001:db8:ff::2" : "203.0.113.2", id) == -1) {
		w->err = -1;
		return;
	}
	if (cip6 != NULL)
		conn_init(&c, w, cip6, cport, "2001:db8::2", 80, 1000000u * (cport % 1000),
		          3000000000u + 1000u * (cport % 1000));
	else
		conn4(&c, w, cport, 80);
	c.tun = &t;
	c.vlan = kind == PCAPW_TUN_PBB ? 30 : 0;
	ordinary(&c);
}

static void
case_tunnel_vxlan(struct pcapw *w)
{
	tunnelled(w, PCAPW_TUN_VXLAN, 0, 5001, 40048, NULL);
}

static void
case_tunnel_geneve(struct pcapw *w)
{
	tunnelled(w, PCAPW_TUN_GENEVE, 1, 77, 40049, NULL);
}

static void
case_tunnel_gre(struct pcapw *w)
{
	tunnelled(w, PCAPW_TUN_GRE, 0, 0, 40050, NULL);
}

static void
case_tunnel_gre_key(struct pcapw *w)
{
	tunnelled(w, PCAPW_TUN_GRE_KEY, 0, 42, 40051, NULL);
}

static void
case_tunnel_erspan2(struct pcapw *w)
{
	tunnelled(w, PCAPW_TUN_ERSPAN2, 0, 100, 40052, NULL);
}

static void
case_tunnel_erspan3(struct pcapw *w)
{
	tunnelled(w, PCAPW_TUN_ERSPAN3, 1, 200, 40053, NULL);
}

static void
case_tunnel_6in4(struct pcapw *w)
{
	tunnelled(w, PCAPW_TUN_IPIP, 0, 0, 40054, "2001:db8::1");
}

static void
case_tunnel_teredo(struct pcapw *w)
{
	tunnelled(w, PCAPW_TUN_TEREDO, 0, 0, 40055, "2001:0:cb00:7101::1");
}

static void
case_tunnel_gtpu(struct pcapw *w)
{
	tunnelled(w, PCAPW_TUN_GTPU, 1, 0x1000, 40056, NULL);
}

static void
case_tunnel_pbb(struct pcapw *w)
{
	tunnelled(w, PCAPW_TUN_PBB, 0, 0x12345, 40057, NULL);
}

static void
case_tunnel_vntag(struct pcapw *w)
{
	tunnelled(w, PCAPW_TUN_VNTAG, 0, 5, 40058, NULL);
}

/*
 * 63: the same inner 4-tuple with the same ISNs in two VXLAN overlays (VNI
 * 100 and 200, between the same VTEPs), interleaved: two connections.
 */
static void
case_tunnel_two_vnis(struct pcapw *w)
{
	struct pcapw_tunnel t[2];
	struct conn c[2];
	int i;

	for (i = 0; i < 2; i++) {
		if (pcapw_tunnel_init(&t[i], PCAPW_TUN_VXLAN, "203.0.113.1", "203.0.113.2",
		                      100u * (uint32_t)(i + 1)) == -1) {
			w->err = -1;
			return;
		}
		conn4(&c[i], w, 40059, 80);
		c[i].tun = &t[i];
	}
	for (i = 0; i < 2; i++)
		conn_handshake(&c[i]);
	for (i = 0; i < 2; i++)
		talk(&c[i], 100, 1000);
	for (i = 0; i < 2; i++)
		close_client_first(&c[i]);
}

static const struct gencase {
	const char *name;
	uint32_t linktype;
	void (*fn)(struct pcapw *);
} cases[] = {
    {"01-open-close-client-first", PCAPW_LINK_ETHERNET, case_open_close_client_first},
    {"02-open-close-server-first", PCAPW_LINK_ETHERNET, case_open_close_server_first},
    {"03-three-segment-close", PCAPW_LINK_ETHERNET, case_three_segment_close},
    {"04-simultaneous-close", PCAPW_LINK_ETHERNET, case_simultaneous_close},
    {"05-simultaneous-open", PCAPW_LINK_ETHERNET, case_simultaneous_open},
    {"06-half-close-data", PCAPW_LINK_ETHERNET, case_half_close_data},
    {"07-fin-with-data", PCAPW_LINK_ETHERNET, case_fin_with_data},
    {"08-syn-retransmit", PCAPW_LINK_ETHERNET, case_syn_retransmit},
    {"09-synack-retransmit", PCAPW_LINK_ETHERNET, case_synack_retransmit},
    {"10-fin-retransmit", PCAPW_LINK_ETHERNET, case_fin_retransmit},
    {"11-refused", PCAPW_LINK_ETHERNET, case_refused},
    {"12-syn-timeout", PCAPW_LINK_ETHERNET, case_syn_timeout},
    {"13-syn-then-own-rst", PCAPW_LINK_ETHERNET, case_syn_then_own_rst},
    {"14-rst-established-client", PCAPW_LINK_ETHERNET, case_rst_established_client},
    {"15-rst-established-server", PCAPW_LINK_ETHERNET, case_rst_established_server},
    {"16-rst-out-of-window", PCAPW_LINK_ETHERNET, case_rst_out_of_window},
    {"17-rst-syn-rcvd", PCAPW_LINK_ETHERNET, case_rst_syn_rcvd},
    {"18-rst-fin-wait-1", PCAPW_LINK_ETHERNET, case_rst_fin_wait_1},
    {"19-rst-fin-wait-2", PCAPW_LINK_ETHERNET, case_rst_fin_wait_2},
    {"20-rst-close-wait", PCAPW_LINK_ETHERNET, case_rst_close_wait},
    {"21-rst-last-ack", PCAPW_LINK_ETHERNET, case_rst_last_ack},
    {"22-rst-in-time-wait", PCAPW_LINK_ETHERNET, case_rst_in_time_wait},
    {"23-rst-after-time-wait", PCAPW_LINK_ETHERNET, case_rst_after_time_wait},
    {"24-fin-then-rst", PCAPW_LINK_ETHERNET, case_fin_then_rst},
    {"25-time-wait-reuse", PCAPW_LINK_ETHERNET, case_time_wait_reuse},
    {"26-established-new-syn", PCAPW_LINK_ETHERNET, case_established_new_syn},
    {"27-keepalive", PCAPW_LINK_ETHERNET, case_keepalive},
    {"28-zero-window", PCAPW_LINK_ETHERNET, case_zero_window},
    {"29-duplicated", PCAPW_LINK_ETHERNET, case_duplicated},
    {"30-seq-wrap", PCAPW_LINK_ETHERNET, case_seq_wrap},
    {"31-midstream", PCAPW_LINK_ETHERNET, case_midstream},
    {"32-synack-first", PCAPW_LINK_ETHERNET, case_synack_first},
    {"33-last-ack-lost", PCAPW_LINK_ETHERNET, case_last_ack_lost},
    {"34-long-half-close", PCAPW_LINK_ETHERNET, case_long_half_close},
    {"35-bad-flags", PCAPW_LINK_ETHERNET, case_bad_flags},
    {"36-rst-with-payload", PCAPW_LINK_ETHERNET, case_rst_with_payload},
    {"37-syn-with-data", PCAPW_LINK_ETHERNET, case_syn_with_data},
    {"38-lone-rst-fin", PCAPW_LINK_ETHERNET, case_lone_rst_fin},
    {"39-ipv6", PCAPW_LINK_ETHERNET, case_ipv6},
    {"40-vlan", PCAPW_LINK_ETHERNET, case_vlan},
    {"41-qinq", PCAPW_LINK_ETHERNET, case_qinq},
    {"42-seed-ipv6", PCAPW_LINK_ETHERNET, case_seed_ipv6},
    {"43-linktype-raw", PCAPW_LINK_RAW, case_linktype_raw},
    {"44-linktype-sll", PCAPW_LINK_LINUX_SLL, case_linktype_sll},
    {"45-linktype-sll2", PCAPW_LINK_LINUX_SLL2, case_linktype_sll2},
    {"46-linktype-null", PCAPW_LINK_NULL, case_linktype_null},
    {"47-syn-timeout-linux-retries", PCAPW_LINK_ETHERNET, case_syn_timeout_linux_retries},
    {"48-gap-bulk", PCAPW_LINK_ETHERNET, case_gap_bulk},
    {"49-synack-first-open", PCAPW_LINK_ETHERNET, case_synack_first_open},
    {"50-fin-first", PCAPW_LINK_ETHERNET, case_fin_first},
    {"51-half-closed-expiry", PCAPW_LINK_ETHERNET, case_half_closed_expiry},
    {"52-tunnel-vxlan", PCAPW_LINK_ETHERNET, case_tunnel_vxlan},
    {"53-tunnel-geneve", PCAPW_LINK_ETHERNET, case_tunnel_geneve},
    {"54-tunnel-gre", PCAPW_LINK_ETHERNET, case_tunnel_gre},
    {"55-tunnel-gre-key", PCAPW_LINK_ETHERNET, case_tunnel_gre_key},
    {"56-tunnel-erspan2", PCAPW_LINK_ETHERNET, case_tunnel_erspan2},
    {"57-tunnel-erspan3", PCAPW_LINK_ETHERNET, case_tunnel_erspan3},
    {"58-tunnel-6in4", PCAPW_LINK_ETHERNET, case_tunnel_6in4},
    {"59-tunnel-teredo", PCAPW_LINK_ETHERNET, case_tunnel_teredo},
    {"60-tunnel-gtpu", PCAPW_LINK_ETHERNET, case_tunnel_gtpu},
    {"61-tunnel-pbb", PCAPW_LINK_ETHERNET, case_tunnel_pbb},
    {"62-tunnel-vntag", PCAPW_LINK_ETHERNET, case_tunnel_vntag},
    {"63-tunnel-two-vnis", PCAPW_LINK_ETHERNET, case_tunnel_two_vnis},
};

int
main(int argc, char **argv)
{
	struct pcapw w;
	char path[4096];
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: gencases OUTDIR\n");
		return 2;
	}
	if (mkdir(argv[1], 0755) == -1 && errno != EEXIST) {
		fprintf(stderr, "gencases: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(path, sizeof path, "%s/%s.pcap", argv[1], cases[i].name);
		pcapw_open(&w, path, cases[i].linktype, 65535, T0_US);
		if (w.err == 0)
			cases[i].fn(&w);
		if (pcapw_close(&w) == -1) {
			fprintf(stderr, "gencases: %s: %s\n", path,
			        errno != 0 ? strerror(errno) : "cannot build a frame");
			return 1;
		}
	}
	return 0;
}
