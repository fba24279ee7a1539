/*
 * stats.h - counters of connections per server port and in total, fed by
 * the tracker's events: handshakes completed, closes by reason, the handshake
 * time histogram; and, at export time, the endpoints in each state now.
 *
 * A struct stats is a value of fixed size: no allocation, no clock, no
 * per-event work beyond a few additions. Its rows are bounded: at most
 * STATS_MAX_PORTS server ports get a row of their own, and everything else
 * is counted in the row STATS_OTHER, so no traffic can make the table grow.
 * A port gets its row when it is pinned (the daemon pins the capture's ports
 * and the alert rules' ports) or the first time a server on it is seen
 * answering a SYN (a SYN-ACK, or a completed handshake), while rows are
 * left; a port scan therefore takes none. A row, once given, is kept, so
 * every counter only ever grows. Rows plus STATS_OTHER add up to the total.
 */
#ifndef TCPSTATED_STATS_H
#define TCPSTATED_STATS_H

#include <stdint.h>

#include "event.h"
#include "tracker.h"

#define STATS_MAX_PORTS 64
#define STATS_OTHER STATS_MAX_PORTS /* the row of every port without one */
#define STATS_ROWS (STATS_MAX_PORTS + 1)
#define STATS_HS_BUCKETS 14 /* upper bounds of the handshake histogram */

/*
 * Closes are counted by reason, and a reason split by side (close_reasons[]
 * .by_side: rst) also by who closed: closed[reason][SIDE_CLIENT] holds every
 * other reason's count. Reports list the counters in this order:
 *	for (r = CR_FIN; r < CR_NREASONS; r++)
 *		for (side = 0; side < stats_close_sides(r); side++)
 *			stats_close_name(r, side), closed[r][side]
 */
#define STATS_CLOSE_SIDES 2

/* Upper bounds of the handshake buckets in microseconds: 0.5 ms ... 10 s (then +Inf). */
extern const uint64_t stats_hs_bounds_us[STATS_HS_BUCKETS];

struct stats_row {
	uint64_t opened; /* handshakes completed (both ESTABLISHED) */
	uint64_t closed[CR_NREASONS][STATS_CLOSE_SIDES]; /* CLOSED records, by reason (and side) */
	uint64_t
	    hs[STATS_HS_BUCKETS + 1]; /* handshakes per bucket (not cumulative); last: slower */
	uint64_t hs_count;            /* handshakes timed: SYN to the ACK that completes it */
	uint64_t hs_sum_us;
};

struct stats {
	struct stats_row total;
	struct stats_row row[STATS_ROWS]; /* [STATS_OTHER]: every port without a row */
	uint16_t port[STATS_MAX_PORTS];   /* the port of row i, for i < nrows */
	uint32_t nrows;
	uint64_t attempts;     /* client SYNs (first transmissions), in total only */
	uint8_t row_of[65536]; /* row index + 1 of a port; 0 = none */
};

/* How many counters reason r has: 2 when split by side, 1, or 0 for none (CR_NONE). */
int stats_close_sides(enum close_reason r);

/* "fin", "rst_client", ... "shutdown": counter [r][side]'s name, the metrics' reason label. */
const char *stats_close_name(enum close_reason r, int side);

/* The closes of a row, all of them or only the abnormal ones. */
uint64_t stats_closed(const uint64_t closed[CR_NREASONS][STATS_CLOSE_SIDES], int abnormal_only);

/* Empty counters, no rows. */
void stats_init(struct stats *s);

/* Give port a row of its own now (if it has none). Returns its row, or -1 when all are taken. */
int stats_pin(struct stats *s, uint16_t port);

/* The row a port's connections are counted in: its own, or STATS_OTHER. */
int stats_row_of(const struct stats *s, uint16_t port);

/* Count one event of the tracker. Only SYN, SYN_ACK, ESTABLISHED and CLOSED count. */
void stats_event(struct stats *s, const struct event *ev);

/*
 * The endpoints in each state now, per row and in total, from a walk over the
 * tracker's table (cost: one visit per tracked flow). Endpoints of a
 * connection still open count in the state they are in; of one already
 * reported CLOSED only a TIME_WAIT endpoint counts (it really is in TIME_WAIT
 * still), and nothing in state CLOSED counts.
 */
struct stats_endpoints {
	uint32_t row[STATS_ROWS][ST_NSTATES];
	uint32_t total[ST_NSTATES];
};
void stats_endpoints(const struct stats *s, const struct tracker *t, uint64_t now_us,
                     struct stats_endpoints *ep);

/* The same, adding t's endpoints to ep's counts: for a table split in shards. */
void stats_endpoints_add(const struct stats *s, const struct tracker *t, uint64_t now_us,
                         struct stats_endpoints *ep);

#endif
