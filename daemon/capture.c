/*
 * capture.c - libpcap, live and offline: frames in, decoded segments out.
 *
 * Live capture is a non-blocking pcap handle whose selectable fd is one
 * libevent read event. Each wakeup reads at most CAPTURE_BATCH frames
 * CAPTURE_ROUNDS times, so that timers and signals never wait behind a flood.
 * When the handle fails (the interface went down or away) capture says so
 * once, closes it and retries on a timer with exponential backoff, the way
 * pflogd suspends rather than dies; it says so again when capture resumes.
 * Offline files run through the same per-frame path in a plain loop.
 */
#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <event2/event.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "log.h"

#define CAPTURE_BATCH 256      /* frames per pcap_dispatch() */
#define CAPTURE_ROUNDS 4       /* pcap_dispatch() calls per wakeup */
#define CAPTURE_TIMEOUT_MS 100 /* how long the kernel holds a partly filled block */
#define CAPTURE_RETRY_MIN_S 1
#define CAPTURE_RETRY_MAX_S 60
#define CAPTURE_DRAIN_ROUNDS 16
#define CAPTURE_FILE_BUFFER (1024 * 1024) /* stdio buffer for reading a file */

struct capture {
	struct event_base *base;
	struct capture_config cfg; /* what the handle is (or will be) opened with */
	pcap_t *p;                 /* NULL while down */
	int dlt;
	struct event *ev_read;
	struct event *ev_retry;
	struct event *ev_watch; /* checks the interface is still the one captured */
	struct event *ev_again; /* reads again when libpcap asks to be called back */
	unsigned ifindex;       /* of the interface captured; 0 for "any" */
	char expr[4096];        /* the filter expression in force */
	char path[4096];        /* offline: the file read */

	capture_segments_cb *cb;
	void *arg;
	capture_prepare_cb *prep; /* -r: run on the reader thread, see capture_file_prepare() */
	void *prep_arg;
	struct decode_stats *ds;
	struct decode_config dcfg; /* the tunnels decode opens, the ports it keeps: from cfg */
	struct segment batch[CAPTURE_BATCH]; /* decoded, not yet handed on */
	size_t nbatch;

	/* pcap_stats() counts in u_int and from zero on each handle. */
	struct capture_stats total; /* up to the last sample */
	unsigned last_recv, last_drop, last_ifdrop;

	unsigned retry_s; /* next retry delay */
	time_t down_since;
	int attempts;
};

static void capture_read_cb(evutil_socket_t fd, short what, void *arg);
static void capture_retry_cb(evutil_socket_t fd, short what, void *arg);
static void capture_watch_cb(evutil_socket_t fd, short what, void *arg);

#define CAPTURE_WATCH_S 1           /* how often the captured interface's presence is checked */
#define CAPTURE_AGAIN_MIN_US 100000 /* the soonest a read libpcap asks for is honoured */

/* Do a and b open the same encapsulations on the same ports? */
static int
capture_tunnels_same(const struct capture_tunnels *a, const struct capture_tunnels *b)
{
	int t;

	for (t = 0; t < TUN_NTYPES; t++)
		if (a->udp[t].n != b->udp[t].n ||
		    memcmp(a->udp[t].port, b->udp[t].port,
		           a->udp[t].n * sizeof(a->udp[t].port[0])) != 0)
			return 0;
	return a->gre == b->gre && a->ipip == b->ipip;
}

/* Would a handle opened with a differ from one opened with b? */
int
capture_config_same(const struct capture_config *a, const struct capture_config *b)
{
	return strcmp(a->interface, b->interface) == 0 && strcmp(a->filter, b->filter) == 0 &&
	       a->nports == b->nports &&
	       memcmp(a->ports, b->ports, a->nports * sizeof(a->ports[0])) == 0 &&
	       a->snaplen == b->snaplen && a->buffer_size_kb == b->buffer_size_kb &&
	       a->promiscuous == b->promiscuous && a->immediate == b->immediate &&
	       capture_tunnels_same(&a->tunnels, &b->tunnels);
}

/*
 * What decode is to open and keep, from the parameters: the tunnels of
 * capture.tunnels, and the ports (unless a filter of the user's replaces
 * them), which only decode can apply to what a tunnel carries.
 */
static void
capture_decode_config(struct capture *c)
{
	const struct capture_tunnels *tun = &c->cfg.tunnels;
	size_t i;
	int t;

	memset(&c->dcfg, 0, sizeof(c->dcfg));
	for (t = 0; t < TUN_NTYPES; t++) {
		for (i = 0; i < tun->udp[t].n; i++)
			(void)decode_config_udp(&c->dcfg, tun->udp[t].port[i], (enum tunnel_type)t);
		if (tun->udp[t].n > 0)
			c->dcfg.open |= 1u << t;
	}
	if (tun->gre)
		c->dcfg.open |= 1u << TUN_GRE | 1u << TUN_ERSPAN;
	if (tun->ipip)
		c->dcfg.open |= 1u << TUN_IPIP;
	if (c->cfg.filter[0] != '\0')
		return;
	for (i = 0; i < c->cfg.nports && i < DECODE_MAX_PORTS; i++)
		c->dcfg.ports[i] = c->cfg.ports[i];
	c->dcfg.nports = (unsigned)i;
}

/*
 * " or udp port 4789 or ... or proto 47 ...": the outer packets of the
 * encapsulations decode opens. The kernel cannot see the TCP ports inside
 * them, so they all pass and decode applies the ports to the segment inside.
 */
static void
capture_tunnels_expr(const struct capture_tunnels *tun, char *buf, size_t cap)
{
	size_t i, len = 0;
	int t;

	buf[0] = '\0';
	for (t = 0; t < TUN_NTYPES; t++)
		for (i = 0; i < tun->udp[t].n && len < cap; i++)
			len += (size_t)snprintf(buf + len, cap - len, " or udp port %u",
			                        tun->udp[t].port[i]);
	if (tun->gre && len < cap)
		len += (size_t)snprintf(buf + len, cap - len, " or proto 47");
	if (tun->ipip && len < cap)
		snprintf(buf + len, cap - len, " or proto 4 or proto 41");
}

/* PBB and VN-Tag, which decode always opens. */
#define CAPTURE_L2_TUNNELS "ether proto 0x88e7 or ether proto 0x8926"

int
capture_filter_build(const struct capture_config *cfg, int dlt, char *buf, size_t cap)
{
	char tcp[2048], tun[512];
	size_t i, len;
	int n;

	if (cfg->filter[0] != '\0') {
		n = snprintf(buf, cap, "%s", cfg->filter);
		return n < 0 || (size_t)n >= cap ? -1 : 0;
	}
	capture_tunnels_expr(&cfg->tunnels, tun, sizeof(tun));
	if (cfg->nports == 0)
		snprintf(tcp, sizeof(tcp), "tcp%s", tun);
	else {
		len = (size_t)snprintf(tcp, sizeof(tcp), "(tcp and (");
		for (i = 0; i < cfg->nports; i++)
			len += (size_t)snprintf(tcp + len, sizeof(tcp) - len, "%sport %u",
			                        i > 0 ? " or " : "", cfg->ports[i]);
		snprintf(tcp + len, sizeof(tcp) - len, "))%s", tun);
	}
	/*
	 * pcap's `vlan` moves every later offset past one tag, so the tagged
	 * alternatives come after the untagged one and nest: untagged, one
	 * 802.1Q tag, or QinQ. Only Ethernet has tags in the frame; on `any`
	 * (Linux cooked) tagged traffic is seen untagged on its VLAN interface.
	 */
	if (dlt == DLT_EN10MB)
		n = snprintf(buf, cap, "(%s) or %s or (vlan and ((%s) or %s or (vlan and (%s))))",
		             tcp, CAPTURE_L2_TUNNELS, tcp, CAPTURE_L2_TUNNELS, tcp);
	else
		n = snprintf(buf, cap, "%s", tcp);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int
capture_filter_check(const char *expr, char *err, size_t errlen)
{
	struct bpf_program prog;
	pcap_t *p;

	p = pcap_open_dead(DLT_EN10MB, 262144);
	if (p == NULL) {
		snprintf(err, errlen, "cannot check the filter: out of memory");
		return -1;
	}
	if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) == -1) {
		snprintf(err, errlen, "%s", pcap_geterr(p));
		pcap_close(p);
		return -1;
	}
	pcap_freecode(&prog);
	pcap_close(p);
	return 0;
}

/* "what: link type EN10MB (1) is not supported", naming it when pcap can. */
static void
capture_link_error(const char *what, int dlt, char *err, size_t errlen)
{
	const char *name = pcap_datalink_val_to_name(dlt);

	if (name != NULL)
		snprintf(err, errlen, "%s: link type %s (%d) is not supported", what, name, dlt);
	else
		snprintf(err, errlen, "%s: link type %d is not supported", what, dlt);
}

/* Compile expr for handle p and install it. */
static int
capture_setfilter(pcap_t *p, const char *expr, char *err, size_t errlen)
{
	struct bpf_program prog;

	if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) == -1) {
		snprintf(err, errlen, "bad filter \"%s\": %s", expr, pcap_geterr(p));
		return -1;
	}
	if (pcap_setfilter(p, &prog) == -1) {
		snprintf(err, errlen, "cannot set filter \"%s\": %s", expr, pcap_geterr(p));
		pcap_freecode(&prog);
		return -1;
	}
	pcap_freecode(&prog);
	return 0;
}

/* Hand on what has been decoded: the tracker takes segments in batches (see tracker_segments()). */
static void
capture_flush(struct capture *c)
{
	if (c->nbatch == 0)
		return;
	c->cb(c->batch, c->nbatch, c->arg);
	c->nbatch = 0;
}

/*
 * A frame's time in microseconds; a crafted file may carry a negative time
 * (the epoch) or one past the year 9999 (pcapng allows 2^64 us: that year's
 * last microsecond).
 */
static inline uint64_t
capture_ts(const struct pcap_pkthdr *h)
{
	if (h->ts.tv_sec < 0)
		return 0;
	if ((uint64_t)h->ts.tv_sec > SEGMENT_TS_MAX_US / 1000000u)
		return SEGMENT_TS_MAX_US;
	return (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
}

/* A decoded segment from frame (h, bytes) into *seg; 0 if not TCP or not decodable. */
static int
capture_decode(struct capture *c, const struct pcap_pkthdr *h, const u_char *bytes,
               struct segment *seg)
{
	if (decode_packet(c->dlt, bytes, h->caplen, &c->dcfg, seg, c->ds) != DECODE_OK)
		return 0;
	seg->ts_us = capture_ts(h);
	return 1;
}

/* One frame from libpcap: decode it, stamp it, add it to the batch. */
static void
capture_frame(struct capture *c, const struct pcap_pkthdr *h, const u_char *bytes)
{
	if (capture_decode(c, h, bytes, &c->batch[c->nbatch]) && ++c->nbatch == CAPTURE_BATCH)
		capture_flush(c);
}

static void
capture_frame_cb(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct capture *c = (struct capture *)(void *)user;

	capture_frame(c, h, bytes);
}

/*
 * Open, configure and activate a live handle for cfg. On success *dltp and
 * expr hold the link type and the filter installed.
 */
static pcap_t *
capture_activate(const struct capture_config *cfg, int *dltp, char *expr, size_t exprlen, char *err,
                 size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	const char *why, *status;
	pcap_t *p;
	int rc, dlt;

	p = pcap_create(cfg->interface, ebuf);
	if (p == NULL) {
		snprintf(err, errlen, "capture on %s: %s", cfg->interface, ebuf);
		return NULL;
	}
	if (pcap_set_snaplen(p, (int)cfg->snaplen) != 0 ||
	    pcap_set_buffer_size(p, (int)(cfg->buffer_size_kb > 2097151
	                                      ? 2147483647
	                                      : cfg->buffer_size_kb * 1024)) != 0 ||
	    pcap_set_promisc(p, cfg->promiscuous) != 0 ||
	    pcap_set_immediate_mode(p, cfg->immediate) != 0 ||
	    pcap_set_timeout(p, CAPTURE_TIMEOUT_MS) != 0) {
		snprintf(err, errlen, "capture on %s: cannot set options", cfg->interface);
		pcap_close(p);
		return NULL;
	}
	rc = pcap_activate(p);
	if (rc < 0) {
		/* pcap_geterr() often says more than the status, sometimes the same. */
		why = pcap_geterr(p);
		status = pcap_statustostr(rc);
		if (*why == '\0')
			why = status;
		if (rc == PCAP_ERROR || strcmp(why, status) == 0)
			snprintf(err, errlen, "capture on %s: %s", cfg->interface, why);
		else
			snprintf(err, errlen, "capture on %s: %s (%s)", cfg->interface, status,
			         why);
		if (rc == PCAP_ERROR_PERM_DENIED)
			snprintf(err + strlen(err), errlen - strlen(err),
			         "; capturing needs root or CAP_NET_RAW");
		pcap_close(p);
		return NULL;
	}
	if (rc > 0)
		log_warnx("capture on %s: %s%s%s", cfg->interface, pcap_statustostr(rc),
		          *pcap_geterr(p) != '\0' ? ": " : "", pcap_geterr(p));
	dlt = pcap_datalink(p);
	if (!decode_link_supported(dlt)) {
		capture_link_error(cfg->interface, dlt, err, errlen);
		pcap_close(p);
		return NULL;
	}
	if (capture_filter_build(cfg, dlt, expr, exprlen) == -1) {
		snprintf(err, errlen, "capture on %s: filter too long", cfg->interface);
		pcap_close(p);
		return NULL;
	}
	if (capture_setfilter(p, expr, err, errlen) == -1) {
		pcap_close(p);
		return NULL;
	}
	if (pcap_setnonblock(p, 1, ebuf) == -1) {
		snprintf(err, errlen, "capture on %s: %s", cfg->interface, ebuf);
		pcap_close(p);
		return NULL;
	}
	if (pcap_get_selectable_fd(p) == -1) {
		snprintf(err, errlen, "capture on %s: no selectable descriptor", cfg->interface);
		pcap_close(p);
		return NULL;
	}
	*dltp = dlt;
	return p;
}

/* Fold the handle's u_int counters into the 64-bit totals (they wrap). */
static void
capture_sample(struct capture *c)
{
	struct pcap_stat ps;

	if (c->p == NULL || pcap_stats(c->p, &ps) == -1)
		return;
	c->total.received += (unsigned)(ps.ps_recv - c->last_recv);
	c->total.dropped += (unsigned)(ps.ps_drop - c->last_drop);
	c->total.ifdropped += (unsigned)(ps.ps_ifdrop - c->last_ifdrop);
	c->last_recv = ps.ps_recv;
	c->last_drop = ps.ps_drop;
	c->last_ifdrop = ps.ps_ifdrop;
}

/* Make p (just activated) the handle in force, reading from the event loop. */
static int
capture_attach(struct capture *c, pcap_t *p, int dlt, char *err, size_t errlen)
{
	struct event *ev;

	ev =
	    event_new(c->base, pcap_get_selectable_fd(p), EV_READ | EV_PERSIST, capture_read_cb, c);
	if (ev == NULL || event_add(ev, NULL) == -1) {
		snprintf(err, errlen, "capture on %s: cannot add the read event", c->cfg.interface);
		if (ev != NULL)
			event_free(ev);
		return -1;
	}
	c->p = p;
	c->dlt = dlt;
	c->ev_read = ev;
	c->ifindex = strcmp(c->cfg.interface, "any") == 0 ? 0 : if_nametoindex(c->cfg.interface);
	c->last_recv = c->last_drop = c->last_ifdrop = 0;
	return 0;
}

static void
capture_detach(struct capture *c)
{
	if (c->p == NULL)
		return;
	capture_sample(c);
	if (c->ev_read != NULL)
		event_free(c->ev_read);
	c->ev_read = NULL;
	if (c->ev_again != NULL)
		event_del(c->ev_again);
	pcap_close(c->p);
	c->p = NULL;
}

static void
capture_schedule_retry(struct capture *c)
{
	struct timeval tv = {(time_t)c->retry_s, 0};

	event_add(c->ev_retry, &tv);
}

/* The handle failed while running: say so once, close it, retry later. */
static void
capture_fail(struct capture *c, const char *why)
{
	log_warnx("capture on %s failed: %s; retrying in %u s", c->cfg.interface, why, c->retry_s);
	capture_detach(c);
	c->down_since = time(NULL);
	c->attempts = 0;
	capture_schedule_retry(c);
}

static void
capture_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct capture *c = arg;
	char err[512], expr[sizeof(c->expr)];
	pcap_t *p;
	int dlt;

	c->attempts++;
	p = capture_activate(&c->cfg, &dlt, expr, sizeof(expr), err, sizeof(err));
	if (p == NULL || capture_attach(c, p, dlt, err, sizeof(err)) == -1) {
		if (p != NULL)
			pcap_close(p);
		if (c->retry_s < CAPTURE_RETRY_MAX_S)
			c->retry_s = c->retry_s * 2 > CAPTURE_RETRY_MAX_S ? CAPTURE_RETRY_MAX_S
			                                                  : c->retry_s * 2;
		log_debug("%s; retrying in %u s", err, c->retry_s);
		capture_schedule_retry(c);
		return;
	}
	memcpy(c->expr, expr, sizeof(c->expr));
	log_info("capture on %s resumed after %ld s (%d attempts)", c->cfg.interface,
	         (long)(time(NULL) - c->down_since), c->attempts);
	/*
	 * The delay is not reset here: an interface that comes up and fails at
	 * once keeps backing off. It resets when frames flow again.
	 */
}

static void
capture_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct capture *c = arg;
	const struct timeval *again;
	struct timeval tv;
	int round, n;

	if (c->p == NULL)
		return; /* a callback timer that outlived a failure */
	for (round = 0; round < CAPTURE_ROUNDS; round++) {
		n = pcap_dispatch(c->p, CAPTURE_BATCH, capture_frame_cb, (u_char *)c);
		capture_flush(c);
		if (n < 0) {
			capture_fail(c, n == PCAP_ERROR ? pcap_geterr(c->p) : pcap_statustostr(n));
			return;
		}
		if (n > 0)
			c->retry_s = CAPTURE_RETRY_MIN_S;
		if (n < CAPTURE_BATCH)
			break;
	}
	/*
	 * libpcap's contract for selectable handles (pcap_get_required_select_timeout(3PCAP)):
	 * when it wants to be read again without the descriptor becoming ready
	 * (an interface gone down, which may be about to disappear), call it back,
	 * but no more often than every 100 ms: a downed interface must not make
	 * the loop spin.
	 */
	if ((again = pcap_get_required_select_timeout(c->p)) != NULL) {
		tv = *again;
		if (tv.tv_sec == 0 && tv.tv_usec < CAPTURE_AGAIN_MIN_US)
			tv.tv_usec = CAPTURE_AGAIN_MIN_US;
		event_add(c->ev_again, &tv);
	}
}

/* The timers and the struct; the handle is detached (or was never attached). */
static void
capture_free(struct capture *c)
{
	if (c->ev_retry != NULL)
		event_free(c->ev_retry);
	if (c->ev_watch != NULL)
		event_free(c->ev_watch);
	if (c->ev_again != NULL)
		event_free(c->ev_again);
	free(c);
}

/* A struct capture for cfg feeding cb, with no handle yet; NULL (and why in err) without memory. */
static struct capture *
capture_new(const struct capture_config *cfg, capture_segments_cb *cb, void *arg,
            struct decode_stats *ds, char *err, size_t errlen)
{
	struct capture *c;

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->cb = cb;
	c->arg = arg;
	c->ds = ds;
	c->cfg = *cfg;
	capture_decode_config(c);
	return c;
}

struct capture *
capture_open(struct event_base *base, const struct capture_config *cfg, capture_segments_cb *cb,
             void *arg, struct decode_stats *ds, char *err, size_t errlen)
{
	struct capture *c;
	pcap_t *p;
	int dlt;

	if ((c = capture_new(cfg, cb, arg, ds, err, errlen)) == NULL)
		return NULL;
	c->base = base;
	c->retry_s = CAPTURE_RETRY_MIN_S;
	c->ev_retry = evtimer_new(base, capture_retry_cb, c);
	c->ev_watch = event_new(base, -1, EV_PERSIST, capture_watch_cb, c);
	c->ev_again = evtimer_new(base, capture_read_cb, c);
	if (c->ev_retry == NULL || c->ev_watch == NULL || c->ev_again == NULL ||
	    event_add(c->ev_watch, &(struct timeval){CAPTURE_WATCH_S, 0}) == -1) {
		snprintf(err, errlen, "cannot create the capture timers");
		capture_free(c);
		return NULL;
	}
	p = capture_activate(&c->cfg, &dlt, c->expr, sizeof(c->expr), err, errlen);
	if (p == NULL || capture_attach(c, p, dlt, err, errlen) == -1) {
		if (p != NULL)
			pcap_close(p);
		capture_free(c);
		return NULL;
	}
	return c;
}

/*
 * The kernel reports a vanished interface on the capture socket, but not
 * always in a way that wakes a non-blocking reader (seen as a capture that
 * silently stopped after the interface was deleted), and a socket bound to
 * an interface that was deleted and re-created under the same name captures
 * nothing ever after. So once a second the name is looked up again: gone or
 * replaced (a new index) is a capture failure, retried like any other.
 */
static const char *
capture_lost(const struct capture *c)
{
	unsigned idx;

	if (c->p == NULL || c->ifindex == 0)
		return NULL;
	idx = if_nametoindex(c->cfg.interface);
	if (idx == 0)
		return "the interface disappeared";
	return idx != c->ifindex ? "the interface was replaced" : NULL;
}

static void
capture_watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct capture *c = arg;
	const char *why = capture_lost(c);

	if (why != NULL)
		capture_fail(c, why);
}

int
capture_reconfigure(struct capture *c, const struct capture_config *cfg, char *err, size_t errlen)
{
	char expr[sizeof(c->expr)];
	pcap_t *p;
	int dlt;

	if (capture_config_same(cfg, &c->cfg))
		return 0;
	if (c->p == NULL) {
		/* Down and retrying: the next attempt uses the new settings. */
		c->cfg = *cfg;
		capture_decode_config(c);
		return 1;
	}
	p = capture_activate(cfg, &dlt, expr, sizeof(expr), err, errlen);
	if (p == NULL)
		return -1;
	capture_detach(c);
	c->cfg = *cfg;
	capture_decode_config(c);
	if (capture_attach(c, p, dlt, err, errlen) == -1) {
		pcap_close(p);
		c->down_since = time(NULL);
		c->attempts = 0;
		capture_schedule_retry(c);
		return -1;
	}
	memcpy(c->expr, expr, sizeof(c->expr));
	return 1;
}

void
capture_drain(struct capture *c)
{
	int round, n;

	if (c->p == NULL)
		return;
	for (round = 0; round < CAPTURE_DRAIN_ROUNDS; round++) {
		n = pcap_dispatch(c->p, CAPTURE_BATCH, capture_frame_cb, (u_char *)c);
		capture_flush(c);
		if (n < CAPTURE_BATCH)
			break;
	}
}

struct capture *
capture_open_fanout(const struct capture_config *cfg, unsigned group, capture_segments_cb *cb,
                    void *arg, struct decode_stats *ds, char *err, size_t errlen)
{
	/*
	 * The kernel's flow hash (skb_get_hash()) orders the two addresses and
	 * ports before hashing, so both directions of a TCP connection land on
	 * the same socket; DEFRAG makes a fragmented datagram whole first, so
	 * that its fragments do not spread.
	 */
	int fanout = (int)((group & 0xffff) |
	                   ((unsigned)(PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) << 16));
	struct capture *c;
	pcap_t *p;
	int dlt;

	if ((c = capture_new(cfg, cb, arg, ds, err, errlen)) == NULL)
		return NULL;
	p = capture_activate(&c->cfg, &dlt, c->expr, sizeof(c->expr), err, errlen);
	if (p == NULL) {
		free(c);
		return NULL;
	}
	/* libpcap has no call for it: the option goes on its socket, bound by pcap_activate(). */
	if (setsockopt(pcap_fileno(p), SOL_PACKET, PACKET_FANOUT, &fanout, sizeof(fanout)) == -1) {
		snprintf(err, errlen, "capture on %s: cannot join fanout group %u: %s",
		         cfg->interface, group, strerror(errno));
		pcap_close(p);
		free(c);
		return NULL;
	}
	c->p = p;
	c->dlt = dlt;
	c->ifindex = if_nametoindex(cfg->interface);
	return c;
}

int
capture_fd(const struct capture *c)
{
	return c->p != NULL ? pcap_get_selectable_fd(c->p) : -1;
}

int
capture_read(struct capture *c, char *err, size_t errlen)
{
	int round, n, total = 0;

	if (c->p == NULL)
		return 0;
	for (round = 0; round < CAPTURE_ROUNDS; round++) {
		n = pcap_dispatch(c->p, CAPTURE_BATCH, capture_frame_cb, (u_char *)c);
		capture_flush(c);
		if (n < 0) {
			snprintf(err, errlen, "capture on %s failed: %s", c->cfg.interface,
			         n == PCAP_ERROR ? pcap_geterr(c->p) : pcap_statustostr(n));
			capture_detach(c);
			return -1;
		}
		total += n;
		if (n < CAPTURE_BATCH)
			break;
	}
	return total;
}

int
capture_check(struct capture *c, char *err, size_t errlen)
{
	const char *why = capture_lost(c);

	if (why == NULL)
		return 0;
	snprintf(err, errlen, "capture on %s failed: %s", c->cfg.interface, why);
	capture_detach(c);
	return -1;
}

void
capture_stats(struct capture *c, struct capture_stats *st)
{
	capture_sample(c);
	*st = c->total;
}

const char *
capture_filter(const struct capture *c)
{
	return c->expr;
}

int
capture_is_up(const struct capture *c)
{
	return c->p != NULL;
}

void
capture_close(struct capture *c)
{
	if (c == NULL)
		return;
	capture_detach(c);
	capture_free(c);
}

struct capture *
capture_open_file(const char *path, const struct capture_config *cfg, capture_segments_cb *cb,
                  void *arg, struct decode_stats *ds, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct capture *c;
	FILE *fp;
	pcap_t *p;
	int dlt;

	/*
	 * Our own stream, for a larger buffer than stdio's 4 KB: a capture is
	 * read front to back, and a read(2) per 4 KB showed in the profile.
	 */
	fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	setvbuf(fp, NULL, _IOFBF, CAPTURE_FILE_BUFFER);
	p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	if (p == NULL) {
		if (fp != stdin)
			fclose(fp);
		/* libpcap's messages mostly begin with the path already. */
		if (strncmp(ebuf, path, strlen(path)) == 0)
			snprintf(err, errlen, "%s", ebuf);
		else
			snprintf(err, errlen, "%s: %s", path, ebuf);
		return NULL;
	}
	dlt = pcap_datalink(p);
	if (!decode_link_supported(dlt)) {
		capture_link_error(path, dlt, err, errlen);
		pcap_close(p);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		pcap_close(p);
		return NULL;
	}
	c->cfg = *cfg;
	capture_decode_config(c);
	snprintf(c->cfg.interface, sizeof(c->cfg.interface), "file");
	if (cfg->filter[0] != '\0' || cfg->nports > 0) {
		if (capture_filter_build(cfg, dlt, c->expr, sizeof(c->expr)) == -1) {
			snprintf(err, errlen, "%s: filter too long", path);
			pcap_close(p);
			free(c);
			return NULL;
		}
		if (capture_setfilter(p, c->expr, ebuf, sizeof(ebuf)) == -1) {
			snprintf(err, errlen, "%s: %s", path, ebuf);
			pcap_close(p);
			free(c);
			return NULL;
		}
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->p = p;
	c->dlt = dlt;
	c->cb = cb;
	c->arg = arg;
	c->ds = ds;
	return c;
}

/*
 * Reading a file is two stages on two threads: a reader runs libpcap,
 * decodes into batches and prepares them (the tracker's hashes), the
 * caller's thread takes the batches in order and feeds them on. libpcap's
 * read and decode alone cost about as much per frame as tracking, so
 * overlapping them on a second core nearly doubles what -r gets through
 * (see make bench). The frames' order is kept; the reader only ever
 * touches c->p, c->ds, its own batches and what c->prep touches.
 */
#define CAPTURE_FILE_BATCH 1024 /* segments per hand-over */
#define CAPTURE_FILE_RING 8     /* batches in flight: 640 KB */
#define CAPTURE_FILE_STOPPED 2  /* the reader's result after capture_file_interrupt() */

/* Set from a signal handler (capture_file_interrupt()); read by the reader before each frame. */
static volatile sig_atomic_t capture_file_stop;

struct capture_reader {
	struct capture *c;
	pthread_mutex_t mu;
	pthread_cond_t cv;   /* a batch was filled, or taken, or the end reached */
	struct segment *seg; /* CAPTURE_FILE_RING batches */
	size_t count[CAPTURE_FILE_RING];
	unsigned head, n; /* oldest full batch; how many are full */
	int done;         /* the reader stopped: rc says why */
	int rc;           /* pcap_next_ex()'s last result */
	uint64_t last_ts;
};

static void *
capture_reader_main(void *arg)
{
	struct capture_reader *r = arg;
	struct pcap_pkthdr *h;
	const u_char *bytes;
	struct segment *batch;
	unsigned slot;
	size_t k;
	int rc = 1;

	while (rc == 1) {
		pthread_mutex_lock(&r->mu);
		while (r->n == CAPTURE_FILE_RING)
			pthread_cond_wait(&r->cv, &r->mu);
		slot = (r->head + r->n) % CAPTURE_FILE_RING;
		pthread_mutex_unlock(&r->mu);
		batch = &r->seg[(size_t)slot * CAPTURE_FILE_BATCH];
		for (k = 0; k < CAPTURE_FILE_BATCH && !capture_file_stop &&
		            (rc = pcap_next_ex(r->c->p, &h, &bytes)) == 1;) {
			/* The latest time of any frame, should the file not be in time order. */
			if (capture_ts(h) > r->last_ts)
				r->last_ts = capture_ts(h);
			if (capture_decode(r->c, h, bytes, &batch[k]))
				k++;
		}
		if (capture_file_stop && rc == 1)
			rc = CAPTURE_FILE_STOPPED;
		if (r->c->prep != NULL && k > 0)
			r->c->prep(batch, k, r->c->prep_arg);
		pthread_mutex_lock(&r->mu);
		r->count[slot] = k;
		r->n++;
		if (rc != 1) {
			r->done = 1;
			r->rc = rc;
		}
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
	}
	return NULL;
}

int
capture_run_file(struct capture *c, uint64_t *last_ts_us, char *err, size_t errlen)
{
	struct capture_reader r;
	pthread_t tid;
	unsigned slot;
	int e;

	*last_ts_us = 0;
	memset(&r, 0, sizeof(r));
	r.c = c;
	r.seg = calloc((size_t)CAPTURE_FILE_RING * CAPTURE_FILE_BATCH, sizeof(*r.seg));
	if (r.seg == NULL) {
		snprintf(err, errlen, "%s: out of memory", c->path);
		return -1;
	}
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cv, NULL);
	if ((e = pthread_create(&tid, NULL, capture_reader_main, &r)) != 0) {
		snprintf(err, errlen, "%s: cannot start the reader thread: %s", c->path,
		         strerror(e));
		free(r.seg);
		return -1;
	}
	pthread_mutex_lock(&r.mu);
	for (;;) {
		while (r.n == 0 && !r.done)
			pthread_cond_wait(&r.cv, &r.mu);
		if (r.n == 0)
			break;
		slot = r.head;
		pthread_mutex_unlock(&r.mu);
		if (r.count[slot] > 0)
			c->cb(&r.seg[(size_t)slot * CAPTURE_FILE_BATCH], r.count[slot], c->arg);
		pthread_mutex_lock(&r.mu);
		r.head = (r.head + 1) % CAPTURE_FILE_RING;
		r.n--;
		pthread_cond_broadcast(&r.cv);
	}
	pthread_mutex_unlock(&r.mu);
	pthread_join(tid, NULL);
	pthread_cond_destroy(&r.cv);
	pthread_mutex_destroy(&r.mu);
	free(r.seg);
	*last_ts_us = r.last_ts;
	if (r.rc == CAPTURE_FILE_STOPPED)
		return 1;
	if (r.rc != PCAP_ERROR_BREAK) {
		snprintf(err, errlen, "%s: %s", c->path, pcap_geterr(c->p));
		return -1;
	}
	return 0;
}

void
capture_file_interrupt(void)
{
	capture_file_stop = 1;
}

void
capture_file_prepare(struct capture *c, capture_prepare_cb *prep, void *arg)
{
	c->prep = prep;
	c->prep_arg = arg;
}

void
capture_file_progress(const struct capture *c, uint64_t *pos, uint64_t *size)
{
	struct stat sb;
	off_t off;
	int fd;

	*pos = *size = 0;
	if (c->p == NULL || pcap_file(c->p) == NULL)
		return;
	fd = fileno(pcap_file(c->p));
	/* The kernel's offset runs ahead of libpcap by the stream's buffer at most. */
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) || (off = lseek(fd, 0, SEEK_CUR)) == -1)
		return;
	*pos = (uint64_t)off;
	*size = (uint64_t)sb.st_size;
}
