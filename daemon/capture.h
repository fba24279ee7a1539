/*
 * capture.h - libpcap, live and offline: frames in, decoded segments out.
 *
 * capture owns the pcap handle, its libevent read event, the retry timer
 * that reopens a capture after the interface went away, and the pcap_stats
 * totals across reopenings. Every frame is decoded here; each segment is
 * handed to the caller's callback, stamped with the capture time.
 */
#ifndef TCPSTATED_CAPTURE_H
#define TCPSTATED_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/decode.h"
#include "../lib/segment.h"

#define CAPTURE_MAX_PORTS 64
#define CAPTURE_MAX_WORKERS 256
#define CAPTURE_MAX_TUNNEL_PORTS 4 /* UDP ports per tunnel type */

/*
 * The encapsulations decode opens (the config file's capture.tunnels): the
 * UDP ports of each UDP kind, indexed by enum tunnel_type (no ports: that
 * type is off), and whether GRE (with the ERSPAN inside it) and IP in IP are.
 */
struct capture_tunnels {
	struct capture_udp_ports {
		uint16_t port[CAPTURE_MAX_TUNNEL_PORTS];
		size_t n;
	} udp[TUN_NTYPES];
	int gre;
	int ipip;
};
_Static_assert(4 * CAPTURE_MAX_TUNNEL_PORTS <= DECODE_MAX_UDP_PORTS,
               "decode must hold every port of the four UDP tunnel types");

/*
 * The capture settings (the config file's capture group, -i, -p and -F on
 * top). capture.c owns them: a handle is opened with exactly these, and a
 * change of any of them needs a new handle.
 */
struct capture_config {
	char interface[64];
	uint16_t ports[CAPTURE_MAX_PORTS];
	size_t nports;     /* 0 = every TCP port */
	char filter[1024]; /* raw pcap-filter(7) expression; overrides ports */
	uint32_t snaplen;
	uint32_t buffer_size_kb;
	int promiscuous;
	int immediate;
	uint32_t workers; /* capture threads (daemon/workers.c); 0 = one per online CPU */
	struct capture_tunnels tunnels;
};

struct event_base;

/* Would a handle opened with a differ from one opened with b? */
int capture_config_same(const struct capture_config *a, const struct capture_config *b);

/*
 * Decoded segments, in capture order, a batch at a time: at most one
 * pcap_dispatch() worth, and always every segment read so far before
 * control returns to the event loop.
 */
typedef void capture_segments_cb(const struct segment *segs, size_t n, void *arg);

/* Totals since the start, across reopenings (pcap_stats, widened to 64 bits). */
struct capture_stats {
	uint64_t received;  /* packets that passed the filter */
	uint64_t dropped;   /* no room in the kernel buffer */
	uint64_t ifdropped; /* dropped by the interface or driver */
};

struct capture;

/*
 * Open cfg's interface with cfg's filter and start reading it from base.
 * Decoded segments go to cb; every frame is counted in *ds. Returns NULL with
 * a one-line reason in err when the interface or the filter is unusable.
 */
struct capture *capture_open(struct event_base *base, const struct capture_config *cfg,
                             capture_segments_cb *cb, void *arg, struct decode_stats *ds, char *err,
                             size_t errlen);

/*
 * Apply new capture settings (SIGHUP). When the interface, filter or buffer
 * settings changed, a new handle is opened first and the old one is kept if
 * that fails (returns -1, reason in err). Returns 1 if reopened, 0 if nothing
 * needed to change.
 */
int capture_reconfigure(struct capture *c, const struct capture_config *cfg, char *err,
                        size_t errlen);

/*
 * Read what is already captured (at most a few thousand frames) without
 * waiting: at shutdown, so the last packets before the signal still count.
 */
void capture_drain(struct capture *c);

void capture_stats(struct capture *c, struct capture_stats *st);

/*
 * For capture.workers: open cfg's interface as one member of the kernel's
 * PACKET_FANOUT group `group` (flow hash), read by a worker thread of its
 * own through capture_read() instead of an event loop. A handle that fails
 * is not reopened. Returns NULL with a one-line reason in err.
 */
struct capture *capture_open_fanout(const struct capture_config *cfg, unsigned group,
                                    capture_segments_cb *cb, void *arg, struct decode_stats *ds,
                                    char *err, size_t errlen);

/* The descriptor to poll(2) for readiness; -1 when the handle is closed. */
int capture_fd(const struct capture *c);

/*
 * Read what is there without waiting (a few batches), feeding cb. Returns
 * the frames read, or -1 with the reason in err when the handle failed
 * (the interface went away): it is closed then.
 */
int capture_read(struct capture *c, char *err, size_t errlen);

/*
 * Is the interface still the one captured (not deleted, not re-created)?
 * The event loop's handle checks once a second by itself; a worker calls
 * this as often. -1 with the reason in err when not: the handle is closed.
 */
int capture_check(struct capture *c, char *err, size_t errlen);

/* The filter expression in force ("" when none), and whether capture runs now. */
const char *capture_filter(const struct capture *c);
int capture_is_up(const struct capture *c);

void capture_close(struct capture *c);

/*
 * The pcap-filter(7) expression for cfg on link type dlt: cfg's filter if set,
 * else TCP on cfg's ports (any port when none) that also matches 802.1Q and
 * QinQ tagged frames on Ethernet. Returns -1 if it does not fit in cap.
 */
int capture_filter_build(const struct capture_config *cfg, int dlt, char *buf, size_t cap);

/* Compile expr for Ethernet to check it; -1 with pcap's reason in err if bad. */
int capture_filter_check(const char *expr, char *err, size_t errlen);

/*
 * Open a pcap or pcapng file for capture_run_file() (cfg's filter applies when
 * cfg has one). Returns NULL with a one-line reason in err when the file
 * cannot be opened or has a link type decode does not know.
 */
struct capture *capture_open_file(const char *path, const struct capture_config *cfg,
                                  capture_segments_cb *cb, void *arg, struct decode_stats *ds,
                                  char *err, size_t errlen);

/*
 * Read the file to the end, feeding cb batch by batch in the file's order
 * (libpcap reads and decodes on a second thread meanwhile; cb runs on the
 * caller's). *last_ts_us receives
 * the latest frame time seen (0 if none). Returns 0 at a clean end of file,
 * 1 when capture_file_interrupt() stopped it first (everything read before
 * is fed), -1 with a one-line reason in err when the file is cut short or
 * unreadable (after feeding everything before the damage).
 */
int capture_run_file(struct capture *c, uint64_t *last_ts_us, char *err, size_t errlen);

/*
 * Make capture_run_file() stop before its next frame, as if the file ended
 * there; process-wide and for good (-r reads one file). Async-signal-safe:
 * for a SIGINT or SIGTERM handler.
 */
void capture_file_interrupt(void);

/*
 * Work on each decoded batch that needs no state of the caller's, done on
 * capture_run_file()'s reader thread before the batch goes to cb (the
 * tracker's keyed hashes: tracker_prehash()). It must touch nothing cb does.
 */
typedef void capture_prepare_cb(struct segment *segs, size_t n, void *arg);
void capture_file_prepare(struct capture *c, capture_prepare_cb *prep, void *arg);

/*
 * How far into its file an open capture_open_file() capture has read, and the
 * file's size: *size 0 when not known (a pipe). Safe while capture_run_file()
 * runs: it asks the kernel, not the reader's stream.
 */
void capture_file_progress(const struct capture *c, uint64_t *pos, uint64_t *size);

#endif
