/*
 * tracker.c - per-endpoint TCP state machines over the flow table.
 *
 * Each captured segment is taken as sent by one endpoint and received by the
 * other, and both endpoints move through the RFC 9293 state diagram
 * (section 3.3.2) accordingly: the sender by what it sends, the receiver by
 * what it receives. The tracker owns every flow and reports what matters
 * through the emit callback; see tracker.h for the contract.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtab.h"
#include "tracker.h"

#define USEC 1000000ULL
#define DUP_WINDOW_US 1000      /* a same-signature segment this close is the same packet twice */
#define SEQ_JUMP_MAX (1u << 30) /* a larger forward step in one segment is garbage, not data */
#define WINDOW_SLACK 65535      /* bytes of tolerance around a window, for unseen traffic */
#define ADVANCE_TICK_SHIFT 14   /* expiry runs every 2^14 us (~16 ms) of packet time */
#define UPDATE_CATCHUP 16       /* missed update intervals made up after a jump of time */
#define TRACKER_TUNNELS 4096    /* slots of the tunnel table: a power of 2 */
#define TRACKER_TUNNELS_MAX (TRACKER_TUNNELS / 4 * 3) /* tunnels named at once */

/*
 * A tunnel the records name. A flow keeps only its overlay (in its hash),
 * so the tunnels themselves are here, once each, for as long as a flow of
 * theirs is in the table: open addressing on the overlay, linear probing.
 */
struct tracker_tunnel {
	uint32_t overlay;  /* flowtab_overlay(); 0: the slot is empty */
	uint32_t refs;     /* flows of it in the table (FL_TUNNEL) */
	struct tunnel tun; /* as the first segment of its first flow carried it */
};

struct tracker {
	struct tracker_config cfg;
	struct flowtab ft;
	tracker_emit_cb *cb;
	void *arg;
	struct tracker_stats st;
	uint64_t now; /* latest time seen, microseconds */
	uint64_t next_id;
	uint64_t id_nonce; /* see tracker_flow_id() */
	uint64_t timeout_us[FC_NCLASSES];
	uint64_t update_us; /* update interval; 0 = no TEV_UPDATE */
	uint32_t ntunnels;  /* tunnels named: at most TRACKER_TUNNELS_MAX */
	struct tracker_tunnel tunnels[TRACKER_TUNNELS];
};

/*
 * Time, one rule everywhere: a flow's time never goes backwards (a segment
 * stamped before its flow's last one is taken at that last time, and
 * counted in clock_steps), a difference that would be negative is 0, and a
 * deadline saturates instead of wrapping. Times are capped at
 * SEGMENT_TS_MAX_US, so that no sum of a time and a timeout comes near 2^64.
 */
static inline uint64_t
ts_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static inline uint64_t
ts_since(uint64_t later, uint64_t earlier)
{
	return later > earlier ? later - earlier : 0;
}

/* Modular sequence comparison (RFC 9293 3.4): a - b as a signed distance. */
static inline int32_t
seq_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

void
tracker_config_default(struct tracker_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->max_flows = TRACKER_MAX_FLOWS_DEFAULT;
	cfg->timeout_syn_s = TRACKER_TIMEOUT_SYN_S;
	cfg->timeout_established_s = TRACKER_TIMEOUT_ESTABLISHED_S;
	cfg->timeout_closing_s = TRACKER_TIMEOUT_CLOSING_S;
	cfg->timeout_half_closed_s = TRACKER_TIMEOUT_HALF_CLOSED_S;
	cfg->timeout_time_wait_s = TRACKER_TIMEOUT_TIME_WAIT_S;
	cfg->event_mask = TEV_MASK_DEFAULT;
}

static void
tracker_apply_timeouts(struct tracker *t)
{
	t->timeout_us[FC_LINGER] = TRACKER_LINGER_S * USEC;
	t->timeout_us[FC_DONE] = t->cfg.timeout_time_wait_s * USEC;
	t->timeout_us[FC_SYN] = t->cfg.timeout_syn_s * USEC;
	t->timeout_us[FC_CLOSING] = t->cfg.timeout_closing_s * USEC;
	t->timeout_us[FC_HALF_CLOSED] = t->cfg.timeout_half_closed_s * USEC;
	t->timeout_us[FC_ESTABLISHED] = t->cfg.timeout_established_s * USEC;
	t->update_us = t->cfg.update_interval_s * USEC;
}

struct tracker *
tracker_new(const struct tracker_config *cfg, tracker_emit_cb *cb, void *arg, char *errbuf,
            size_t errlen)
{
	struct tracker *t;

	if (cfg->max_flows == 0) {
		snprintf(errbuf, errlen, "max_flows must be at least 1");
		return NULL;
	}
	if ((t = calloc(1, sizeof *t)) == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	t->cfg = *cfg;
	t->cb = cb;
	t->arg = arg;
	tracker_apply_timeouts(t);
	t->id_nonce = cfg->id_seed;
	if (flowtab_init(&t->ft, cfg->max_flows, &cfg->hash_key) == -1) {
		snprintf(errbuf, errlen, "cannot allocate a table of %u flows", cfg->max_flows);
		free(t);
		return NULL;
	}
	return t;
}

void
tracker_free(struct tracker *t)
{
	if (t == NULL)
		return;
	flowtab_free(&t->ft);
	free(t);
}

int
tracker_reconfigure(struct tracker *t, const struct tracker_config *cfg)
{
	int kept = cfg->max_flows != t->cfg.max_flows || cfg->id_seed != t->cfg.id_seed ||
	           memcmp(&cfg->hash_key, &t->cfg.hash_key, sizeof cfg->hash_key) != 0;
	uint32_t idx;

	t->cfg.timeout_syn_s = cfg->timeout_syn_s;
	t->cfg.timeout_established_s = cfg->timeout_established_s;
	t->cfg.timeout_closing_s = cfg->timeout_closing_s;
	t->cfg.timeout_half_closed_s = cfg->timeout_half_closed_s;
	t->cfg.timeout_time_wait_s = cfg->timeout_time_wait_s;
	t->cfg.event_mask = cfg->event_mask;
	if (cfg->update_interval_s != t->cfg.update_interval_s) {
		/* Every deadline alike keeps the update list ordered. */
		t->cfg.update_interval_s = cfg->update_interval_s;
		for (idx = t->ft.upd_head; idx != FLOW_NONE; idx = t->ft.flows[idx].unext)
			t->ft.flows[idx].upd_ts =
			    ts_add(t->now, (uint64_t)cfg->update_interval_s * USEC);
	}
	tracker_apply_timeouts(t);
	return kept ? -1 : 0;
}

const struct tracker_stats *
tracker_stats(const struct tracker *t)
{
	return &t->st;
}

size_t
tracker_memory(const struct tracker *t)
{
	return sizeof *t + flowtab_memory(&t->ft);
}

/*
 * A flow id: a bijective mix of a counter and the nonce, so ids are unique
 * and look unrelated in order. They are printed, so they owe nothing to the
 * table's hash key. With id_seed 0 the nonce is a hash (under a fixed,
 * public key) of the segment that opens the first flow: its time, endpoints,
 * sequence numbers and flags.
 */
static uint64_t
tracker_flow_id(struct tracker *t, const struct segment *seg)
{
	static const struct siphash_key nonce_key = {0x7463707374617465ULL, 0x666c6f772d696473ULL};
	uint8_t m[52];
	uint64_t z;

	if (t->next_id == 0 && t->cfg.id_seed == 0) {
		memcpy(m, &seg->ts_us, 8);
		memcpy(m + 8, seg->saddr, 16);
		memcpy(m + 24, seg->daddr, 16);
		memcpy(m + 40, &seg->sport, 2);
		memcpy(m + 42, &seg->dport, 2);
		memcpy(m + 44, &seg->seq, 4);
		memcpy(m + 48, &seg->ack, 4);
		t->id_nonce = siphash(&nonce_key, 2, 4, m, sizeof m) ^ seg->flags;
	}
	z = ++t->next_id + t->id_nonce * 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
tracker_config_shard(struct tracker_config *cfg, unsigned shard, unsigned nshards)
{
	uint64_t inv = 0x9e3779b97f4a7c15ULL; /* the multiplier's inverse mod 2^64, by Newton */
	int i;

	for (i = 0; i < 5; i++)
		inv *= 2 - 0x9e3779b97f4a7c15ULL * inv;
	cfg->max_flows /= nshards;
	/* The nonce moves shard's mix input up by shard * 2^56: a range of its own. */
	cfg->id_seed += (uint64_t)shard * ((1ULL << 56) * inv);
}

static void
ep_set_state(struct tracker *t, struct endpoint *ep, enum tcp_state s)
{
	t->st.open_by_state[ep->state]--;
	t->st.open_by_state[s]++;
	ep->state = (uint8_t)s;
}

/*
 * Application bytes an endpoint sent, by sequence space (retransmissions
 * count once): how far its highest sequence number is past its ISN and
 * SYN, plus 4 GB for each time that distance wrapped.
 */
static uint64_t
ep_bytes(const struct endpoint *e)
{
	if (!(e->flags & EP_SEQ))
		return 0;
	return ((uint64_t)e->wraps << 32) + (uint32_t)(e->hi - e->isn - 1);
}

/* Of those bytes, the ones the capture did not show: passed by a later segment or an ACK. */
static uint64_t
ep_missed(const struct endpoint *e)
{
	return ((uint64_t)e->missed_wraps << 32) + e->missed;
}

/* ---- Zeek-compatible summaries ---------------------------------------- */

static void
hist_add(struct flow *f, int side, char upper)
{
	if (f->hlen >= sizeof f->history - 1)
		return;
	f->history[f->hlen++] = side == SIDE_CLIENT ? upper : (char)(upper + ('a' - 'A'));
	f->history[f->hlen] = '\0';
}

/* Zeek's logarithmic letters: recorded at the 1st, 10th, 100th ... occurrence. */
static void
hist_scaled(struct flow *f, int side, char upper, uint16_t *count)
{
	uint16_t n;

	if (*count == UINT16_MAX)
		return;
	n = ++*count;
	if (n == 1 || n == 10 || n == 100 || n == 1000 || n == 10000)
		hist_add(f, side, upper);
}

/* Zeek's RSTOS0 test: history matches ^\^?S[^HAFGIQ]*R. */
static int
hist_rstos0(const char *h)
{
	if (*h == '^')
		h++;
	if (*h++ != 'S')
		return 0;
	for (; *h != '\0'; h++) {
		if (*h == 'R')
			return 1;
		if (strchr("HAFGIQ", *h) != NULL)
			return 0;
	}
	return 0;
}

/*
 * Zeek's conn_state (scripts/base/protocols/conn/main.zeek), derived from
 * what each side was seen to send, so that existing tooling reads our
 * CLOSED records as it reads conn.log.
 */
static const char *
tracker_conn_state(const struct flow *f)
{
	const struct endpoint *o = &f->ep[SIDE_CLIENT], *r = &f->ep[SIDE_SERVER];
	int o_active = (o->flags & (EP_SYN | EP_SYNACK)) != 0;
	int r_active = (r->flags & (EP_SYN | EP_SYNACK)) != 0;
	int o_syn_sent =
	    (o->flags & EP_SYN) && !(r->flags & EP_SYNACK) && !(o->flags & (EP_FIN | EP_RST));

	if (r->flags & EP_RST) {
		if (o_syn_sent || ((o->flags & EP_RST) && ep_bytes(o) == 0 && ep_bytes(r) == 0))
			return "REJ";
		return o_active ? "RSTR" : "RSTRH";
	}
	if (o->flags & EP_RST) {
		if (!r_active)
			return hist_rstos0(f->history) ? "RSTOS0" : "OTH";
		return "RSTO";
	}
	if ((o->flags & EP_FIN) && (r->flags & EP_FIN))
		return "SF";
	if (o->flags & EP_FIN)
		return r_active ? "S2" : "SH";
	if (r->flags & EP_FIN)
		return o_active ? "S3" : "SHR";
	if (o_syn_sent && !r_active)
		return "S0";
	/* Picked up at the SYN-ACK: the client's ACK of it shows the SYN it answered. */
	if ((o_active || (r->flags & EP_SYNACK && o->state == ST_ESTABLISHED)) && r_active)
		return "S1";
	return "OTH";
}

/* ---- the tunnel table ---------------------------------------------------- */

/* The slot of overlay in the tunnel table, or the empty slot where it would go. */
static uint32_t
tunnel_slot(const struct tracker *t, uint32_t overlay)
{
	uint32_t i = flowtab_rehash(overlay) & (TRACKER_TUNNELS - 1);

	while (t->tunnels[i].overlay != 0 && t->tunnels[i].overlay != overlay)
		i = (i + 1) & (TRACKER_TUNNELS - 1);
	return i;
}

/* The overlay a flow of FL_TUNNEL is filed under: what its hash adds to its endpoints'. */
static uint32_t
tunnel_of_flow(const struct tracker *t, const struct flow *f)
{
	return f->hash ^ flowtab_hash(&t->ft, f->ip[0], f->port[0], f->ip[1], f->port[1]);
}

/*
 * A new flow f in overlay, carried by tun: count it for its tunnel, naming
 * the tunnel if it is new and there is room (else its records do without).
 */
static void
tunnel_ref(struct tracker *t, struct flow *f, uint32_t overlay, const struct tunnel *tun)
{
	struct tracker_tunnel *e = &t->tunnels[tunnel_slot(t, overlay)];

	if (e->overlay == 0) {
		if (t->ntunnels >= TRACKER_TUNNELS_MAX)
			return;
		e->overlay = overlay;
		e->refs = 0;
		e->tun = *tun;
		t->ntunnels++;
	}
	e->refs++;
	f->flags |= FL_TUNNEL;
}

/*
 * Flow f leaves the table: its tunnel's last flow takes the tunnel out,
 * and the entries after it move back where a lookup would stop short of
 * them (deletion from linear probing without tombstones).
 */
static void
tunnel_unref(struct tracker *t, const struct flow *f)
{
	const uint32_t m = TRACKER_TUNNELS - 1;
	uint32_t i = tunnel_slot(t, tunnel_of_flow(t, f)), j, home;

	if (t->tunnels[i].overlay == 0 || --t->tunnels[i].refs > 0)
		return;
	t->tunnels[i].overlay = 0;
	t->ntunnels--;
	for (j = (i + 1) & m; t->tunnels[j].overlay != 0; j = (j + 1) & m) {
		home = flowtab_rehash(t->tunnels[j].overlay) & m;
		/* j may move to i unless its home lies cyclically in (i, j] */
		if (((j - home) & m) >= ((j - i) & m)) {
			t->tunnels[i] = t->tunnels[j];
			t->tunnels[j].overlay = 0;
			i = j;
		}
	}
}

/* ---- events ------------------------------------------------------------ */

static void
tracker_fill(const struct tracker *t, const struct flow *f, struct event *ev, uint64_t ts)
{
	const struct tracker_tunnel *e;

	memset(ev, 0, sizeof *ev);
	if (f->flags & FL_TUNNEL) {
		e = &t->tunnels[tunnel_slot(t, tunnel_of_flow(t, f))];
		ev->tun = e->tun;
	}
	ev->ts_us = ts;
	ev->flow_id = f->id;
	ev->family = f->family;
	memcpy(ev->client_ip, f->ip[SIDE_CLIENT], 16);
	memcpy(ev->server_ip, f->ip[SIDE_SERVER], 16);
	ev->client_port = f->port[SIDE_CLIENT];
	ev->server_port = f->port[SIDE_SERVER];
	ev->client_state = ev->client_state_was = f->ep[SIDE_CLIENT].state;
	ev->server_state = ev->server_state_was = f->ep[SIDE_SERVER].state;
	ev->partial = (f->flags & FL_PARTIAL) != 0;
	ev->closed_by = f->closed_by;
	ev->duration_us = ts_since(f->last_ts, f->first_ts);
	ev->start_us = f->first_ts;
	ev->client.bytes = ep_bytes(&f->ep[SIDE_CLIENT]);
	ev->client.pkts = f->pkts[SIDE_CLIENT];
	ev->client.missed = ep_missed(&f->ep[SIDE_CLIENT]);
	ev->server.bytes = ep_bytes(&f->ep[SIDE_SERVER]);
	ev->server.pkts = f->pkts[SIDE_SERVER];
	ev->server.missed = ep_missed(&f->ep[SIDE_SERVER]);
}

static void
tracker_emit(struct tracker *t, struct event *ev)
{
	t->st.events[ev->type]++;
	if (t->cfg.event_mask & TEV_BIT(ev->type))
		t->cb(ev, t->arg);
}

/* End a connection for the application: the one CLOSED record. */
static void
tracker_closed(struct tracker *t, struct flow *f, enum close_reason reason, int by, uint64_t ts)
{
	struct event ev;

	f->flags |= FL_CLOSED;
	flowtab_upd_unlink(&t->ft, (uint32_t)(f - t->ft.flows)); /* no UPDATE after CLOSED */
	t->st.closed[reason]++;
	tracker_fill(t, f, &ev, ts);
	ev.type = TEV_CLOSED;
	ev.by = (enum side)by;
	ev.reason = reason;
	ev.abnormal = close_reasons[reason].abnormal;
	ev.lifetime_us = ts_since(ts, f->first_ts);
	strncpy(ev.conn_state, tracker_conn_state(f), sizeof ev.conn_state - 1);
	memcpy(ev.history, f->history, sizeof f->history);
	tracker_emit(t, &ev);
}

/* ---- flow life --------------------------------------------------------- */

static void
tracker_remove(struct tracker *t, uint32_t idx)
{
	struct flow *f = &t->ft.flows[idx];

	t->st.open_by_state[f->ep[0].state]--;
	t->st.open_by_state[f->ep[1].state]--;
	if (f->flags & FL_TUNNEL)
		tunnel_unref(t, f);
	flowtab_remove(&t->ft, idx);
	t->st.flows_active--;
}

/*
 * Make room by dropping the least valuable flow: one already reported
 * closed, else a handshake that never completed, else the stalest close,
 * else the stalest half-closed connection, else the stalest established one.
 */
static int
tracker_evict(struct tracker *t, uint64_t ts)
{
	int c;
	uint32_t idx;

	for (c = 0; c < FC_NCLASSES; c++) {
		if ((idx = flowtab_oldest(&t->ft, c)) == FLOW_NONE)
			continue;
		if (c != FC_DONE && c != FC_LINGER) {
			t->st.flows_evicted++;
			tracker_closed(t, &t->ft.flows[idx], CR_EVICTED, SIDE_NONE, ts);
		}
		tracker_remove(t, idx);
		return 0;
	}
	return -1;
}

/* The flow key's overlay of a segment: 0 when it came through no tunnel. */
static inline uint32_t
tracker_overlay(const struct tracker *t, const struct segment *seg)
{
	return seg->tun.type == TUN_NONE ? 0 : flowtab_overlay(&t->ft, &seg->tun);
}

/*
 * The hash a segment's flow is filed and found under: its endpoints' and
 * its overlay's. The flow stores it, and flowtab_match() compares it along
 * with the endpoints: with the endpoints equal, equal hashes mean equal
 * overlays, so the overlay is part of the key without a field of its own.
 */
static inline uint32_t
tracker_hash(const struct tracker *t, const struct segment *seg)
{
	return flowtab_hash(&t->ft, seg->saddr, seg->sport, seg->daddr, seg->dport) ^
	       tracker_overlay(t, seg);
}

static uint32_t
tracker_create(struct tracker *t, const struct segment *seg, uint32_t hash, int sender_is_client)
{
	uint32_t idx;
	struct flow *f;
	const uint8_t *ca = sender_is_client ? seg->saddr : seg->daddr;
	const uint8_t *sa = sender_is_client ? seg->daddr : seg->saddr;
	uint16_t cp = sender_is_client ? seg->sport : seg->dport;
	uint16_t sp = sender_is_client ? seg->dport : seg->sport;

	idx = flowtab_insert(&t->ft, hash, seg->family, ca, cp, sa, sp, FC_SYN);
	if (idx == FLOW_NONE) {
		if (tracker_evict(t, seg->ts_us) == -1)
			return FLOW_NONE;
		idx = flowtab_insert(&t->ft, hash, seg->family, ca, cp, sa, sp, FC_SYN);
	}
	t->st.hash_overflows = t->ft.overflows + t->ft.refused;
	if (idx == FLOW_NONE)
		return FLOW_NONE; /* the index refused it: flowtab.h */
	f = &t->ft.flows[idx];
	f->id = tracker_flow_id(t, seg);
	f->first_ts = f->last_ts = f->touch_ts = seg->ts_us;
	f->queued = (uint32_t)(seg->ts_us >> 10);
	f->closed_by = SIDE_NONE;
	if (seg->tun.type != TUN_NONE)
		tunnel_ref(t, f, tracker_overlay(t, seg), &seg->tun);
	/*
	 * Due one interval from now; t->now (not the segment's own time, which
	 * may lag it) so that no deadline in the list is later: see tracker_advance.
	 */
	flowtab_upd_append(&t->ft, idx,
	                   ts_add(t->now > seg->ts_us ? t->now : seg->ts_us, t->update_us));
	t->st.open_by_state[ST_CLOSED] += 2;
	t->st.flows_created++;
	t->st.flows_active++;
	if (!sender_is_client) {
		f->flags |= FL_FLIPPED;
		hist_add(f, SIDE_CLIENT, '^');
	}
	return idx;
}

/* Which side of a connection picked up without its SYN is the server. */
static int
tracker_guess_sender_is_client(const struct segment *seg)
{
	int s_low = seg->sport < 1024, d_low = seg->dport < 1024;

	if (s_low != d_low)
		return d_low;
	return seg->sport > seg->dport || (seg->sport == seg->dport);
}

/* Remember what an endpoint's sequence space starts at. */
static void
ep_init_seq(struct endpoint *ep, uint32_t isn)
{
	ep->isn = isn;
	ep->hi = isn + 1;
	ep->wraps = 0;
	ep->flags |= EP_SEQ;
}

/* The next sequence number an endpoint would use: past its data and its FIN. */
static uint32_t
ep_next(const struct endpoint *e)
{
	if ((e->flags & EP_FIN) && seq_diff(e->fin_seq + 1, e->hi) > 0)
		return e->fin_seq + 1;
	return e->hi;
}

/*
 * Move an endpoint's highest sequence number forward to `to` (ahead of hi,
 * by at most SEQ_JUMP_MAX), the data seen starting at `seen`: what lies
 * between hi and `seen` was sent but not captured, and is counted missed.
 */
static void
ep_advance(struct endpoint *e, uint32_t to, uint32_t seen)
{
	int32_t gap = seq_diff(seen, e->hi);

	if (gap > 0) {
		if (e->missed + (uint32_t)gap < e->missed)
			e->missed_wraps++;
		e->missed += (uint32_t)gap;
	}
	if (to - e->isn - 1 < e->hi - e->isn - 1)
		e->wraps++; /* past another 4 GB */
	e->hi = to;
}

/*
 * RST acceptance (RFC 9293 3.10.7.x, RFC 5961 3): a reset counts only if its
 * sequence number is where the receiver expects the sender, or within the
 * receiver's window. A reset answering a SYN (nothing seen from its sender
 * yet) must acknowledge that SYN. Without any sequence knowledge (picked up
 * mid-stream from one side) the reset is taken as is.
 */
static int
tracker_rst_ok(const struct flow *f, int s, const struct segment *seg)
{
	const struct endpoint *snd = &f->ep[s], *rcv = &f->ep[!s];
	uint32_t nxt;
	int32_t d;

	if (!(snd->flags & EP_SEQ)) {
		if ((rcv->flags & EP_SYN) && rcv->state == ST_SYN_SENT)
			return (seg->flags & TH_ACK) && seg->ack == rcv->isn + 1;
		if (rcv->flags & EP_ACKED)
			return seg->seq == rcv->ack_hi;
		return 1;
	}
	nxt = ep_next(snd);
	if (seg->seq == nxt || seg->seq == snd->isn)
		return 1;
	if (rcv->flags & EP_ACKED) {
		d = seq_diff(seg->seq, rcv->ack_hi);
		return d >= 0 && (uint32_t)d <= (rcv->win_max ? rcv->win_max : 1);
	}
	return 0;
}

/* What tells two captures of one segment apart from two segments. */
static uint32_t
tracker_dup_sig(const struct segment *seg)
{
	return seg->seq * 0x9e3779b1u ^ seg->ack * 0x85ebca6bu ^
	       (seg->len << 8 | seg->flags) * 0xc2b2ae35u ^ seg->win ^
	       seg->opt.ts_val * 0x27d4eb2fu;
}

/*
 * Is a segment plausibly part of this connection? Its sequence number must be
 * within a window of where its sender is (behind: a retransmission; ahead:
 * data the capture missed), and its acknowledgment within a window of what
 * the receiver sent. Generous on purpose: a passive observer that misses
 * packets must not reject the connection's own segments.
 */
static int
tracker_in_window(const struct flow *f, int s, const struct segment *seg)
{
	const struct endpoint *snd = &f->ep[s], *rcv = &f->ep[!s];
	int64_t w = WINDOW_SLACK;
	int32_t d;

	if (rcv->win_max > w)
		w = rcv->win_max;
	if (snd->win_max > w)
		w = snd->win_max;
	w += WINDOW_SLACK;
	if (snd->flags & EP_SEQ) {
		d = seq_diff(seg->seq, snd->hi);
		if (d < -w || d > w)
			return 0;
	}
	/*
	 * A receiver never seen sending (one-sided capture) has no sequence
	 * space to check. An ACK ahead of what the receiver was seen to send is
	 * evidence of what the capture missed once the segment's own sequence
	 * number placed it in this connection, up to SEQ_JUMP_MAX.
	 */
	if ((seg->flags & TH_ACK) && (rcv->flags & EP_SEQ) && f->pkts[!s] > 0) {
		d = seq_diff(seg->ack, ep_next(rcv));
		if (d < -w || d > ((snd->flags & EP_SEQ) ? (int64_t)SEQ_JUMP_MAX : w))
			return 0;
	}
	return 1;
}

/* The class a live flow's deadline follows, from its endpoints. */
static enum flow_class
tracker_class(const struct flow *f)
{
	if (f->flags & FL_CLOSED)
		return (f->ep[0].flags | f->ep[1].flags) & EP_RST ? FC_LINGER : FC_DONE;
	if ((f->ep[0].flags | f->ep[1].flags) & EP_FIN) {
		/* One FIN, acknowledged: the other side may stay open for as long as it likes. */
		if ((f->ep[0].state == ST_FIN_WAIT_2 && !(f->ep[1].flags & EP_FIN)) ||
		    (f->ep[1].state == ST_FIN_WAIT_2 && !(f->ep[0].flags & EP_FIN)))
			return FC_HALF_CLOSED;
		return FC_CLOSING;
	}
	if (f->ep[0].state == ST_ESTABLISHED && f->ep[1].state == ST_ESTABLISHED)
		return FC_ESTABLISHED;
	return FC_SYN;
}

static void
tracker_segment_event(struct tracker *t, const struct flow *f, int s, const struct segment *seg,
                      uint64_t ts)
{
	struct event ev;
	const struct endpoint *snd = &f->ep[s], *rcv = &f->ep[!s];

	tracker_fill(t, f, &ev, ts);
	ev.type = TEV_SEGMENT;
	ev.by = (enum side)s;
	ev.seg_flags = seg->flags;
	ev.seg_len = seg->len;
	ev.seg_rel_seq = snd->flags & EP_SEQ ? seg->seq - snd->isn : seg->seq;
	ev.seg_rel_ack = rcv->flags & EP_SEQ ? seg->ack - rcv->isn : seg->ack;
	tracker_emit(t, &ev);
}

static void tracker_start(struct tracker *t, const struct segment *seg, uint32_t hash);

/*
 * The transitions one segment causes, in the order they happen, so that each
 * record carries the states right after its own transition.
 */
#define STEP_SILENT (-1) /* applied without a record (LISTEN is assumed, not seen) */
#define STEP_AUTO (-2)   /* ESTABLISHED, TIME_WAIT or STATE, by the new state */

struct steps {
	int n;
	struct {
		int8_t side;
		int8_t type;
		uint8_t state;
	} s[8];
};

static void
step(struct tracker *t, struct flow *f, struct steps *st, int side, enum tcp_state to, int type)
{
	if (f->ep[side].state == to && type == STEP_AUTO)
		return;
	ep_set_state(t, &f->ep[side], to);
	if (st->n < (int)(sizeof st->s / sizeof st->s[0])) {
		st->s[st->n].side = (int8_t)side;
		st->s[st->n].type = (int8_t)type;
		st->s[st->n].state = (uint8_t)to;
		st->n++;
	}
}

/* Emit the records of a segment's transitions, replaying the states as they went. */
static void
steps_emit(struct tracker *t, const struct flow *f, const struct steps *st, const uint8_t was[2],
           uint64_t ts, const struct tcpopts *opt)
{
	struct event ev;
	uint8_t view[2] = {was[0], was[1]};
	int i, type;

	for (i = 0; i < st->n; i++) {
		uint8_t before[2] = {view[0], view[1]};

		view[st->s[i].side] = st->s[i].state;
		if (st->s[i].type == TEV_RST)
			view[!st->s[i].side] = ST_CLOSED; /* one record closes both */
		if ((type = st->s[i].type) == STEP_SILENT)
			continue;
		if (type == STEP_AUTO)
			type = st->s[i].state == ST_ESTABLISHED ? TEV_ESTABLISHED
			       : st->s[i].state == ST_TIME_WAIT ? TEV_TIME_WAIT
			                                        : TEV_STATE;
		t->st.events[type]++;
		if (!(t->cfg.event_mask & TEV_BIT(type)))
			continue;
		tracker_fill(t, f, &ev, ts);
		ev.type = (enum event_type)type;
		ev.by = (enum side)st->s[i].side;
		ev.client_state_was = before[SIDE_CLIENT];
		ev.server_state_was = before[SIDE_SERVER];
		ev.client_state = view[SIDE_CLIENT];
		ev.server_state = view[SIDE_SERVER];
		if (type == TEV_SYN || type == TEV_SYN_ACK)
			ev.opt = *opt;
		t->cb(&ev, t->arg);
	}
}

/*
 * Endpoint e shows it received its peer's FIN (RFC 9293 3.10.7.4, eighth
 * step). If the FIN segment also acknowledged e's own FIN, FIN_WAIT_2 is
 * passed within that segment.
 */
static void
take_fin(struct tracker *t, struct flow *f, struct steps *st, int e)
{
	struct endpoint *me = &f->ep[e], *peer = &f->ep[!e];

	if (!(peer->flags & EP_FIN) || (me->flags & EP_FIN_TAKEN))
		return;
	me->flags |= EP_FIN_TAKEN;
	switch (me->state) {
	case ST_FIN_WAIT_1:
		if ((peer->flags & EP_FIN_ACK) && seq_diff(peer->fin_ack, me->fin_seq + 1) >= 0)
			step(t, f, st, e, ST_TIME_WAIT, STEP_AUTO);
		else
			step(t, f, st, e, ST_CLOSING, STEP_AUTO);
		break;
	case ST_FIN_WAIT_2:
		step(t, f, st, e, ST_TIME_WAIT, STEP_AUTO);
		break;
	case ST_CLOSING:
	case ST_TIME_WAIT:
	case ST_CLOSE_WAIT:
	case ST_LAST_ACK:
		break;
	default:
		step(t, f, st, e, ST_CLOSE_WAIT, STEP_AUTO);
		break;
	}
}

/* Endpoint e takes an acknowledgment (of its SYN or its FIN) when it is seen. */
static void
take_ack(struct tracker *t, struct flow *f, struct steps *st, int e, uint32_t ack)
{
	struct endpoint *me = &f->ep[e];

	if (!(me->flags & EP_SEQ))
		return;
	if (me->state == ST_SYN_RCVD && seq_diff(ack, me->isn + 1) >= 0)
		step(t, f, st, e, ST_ESTABLISHED, STEP_AUTO);
	if ((me->flags & EP_FIN) && seq_diff(ack, me->fin_seq + 1) >= 0) {
		if (me->state == ST_FIN_WAIT_1)
			step(t, f, st, e, ST_FIN_WAIT_2, STEP_AUTO);
		else if (me->state == ST_CLOSING)
			step(t, f, st, e, ST_TIME_WAIT, STEP_AUTO);
		else if (me->state == ST_LAST_ACK)
			step(t, f, st, e, ST_CLOSED, STEP_AUTO);
	}
}

/* Does ack acknowledge the SYN of endpoint e (and no more than e sent)? */
static int
acks_syn(const struct endpoint *e, uint32_t ack)
{
	return !(e->flags & EP_SEQ) ||
	       (seq_diff(ack, e->isn + 1) >= 0 && seq_diff(ack, e->hi) <= 0);
}

/*
 * What one segment does to its flow, carried through the steps below: the
 * sender's and receiver's endpoints, the states before the segment, the
 * transitions it causes so far, and whether it refreshes the flow's deadline.
 */
struct pass {
	struct flow *f;
	struct endpoint *snd, *rcv;
	const struct segment *seg;
	uint64_t ts; /* the segment's time for its flow: never before the flow's last */
	uint32_t idx;
	int s;     /* the sender's side */
	int touch; /* the segment belongs to the connection: its deadline moves */
	uint8_t was[2];
	struct steps st;
};

/* What a step leaves to the driver. */
enum verdict {
	V_CONTINUE, /* go on to the next step */
	V_DONE,     /* the segment has done all it does */
	V_REUSE     /* a new connection takes over the 4-tuple */
};

/* Counters and Zeek's history letters: they describe what was seen, valid or not. */
static void
tracker_note(struct tracker *t, struct pass *c)
{
	struct flow *f = c->f;
	struct endpoint *snd = c->snd;
	const struct segment *seg = c->seg;
	uint8_t fl = seg->flags;
	int s = c->s;

	f->pkts[s]++;
	snd->dup_sig = tracker_dup_sig(seg);
	if (seg->ts_us < f->last_ts)
		t->st.clock_steps++; /* the clock stepped back: taken at the flow's last time */
	else
		f->last_ts = seg->ts_us;
	c->ts = f->last_ts;
	if (s == SIDE_SERVER)
		f->flags |= FL_LAST_SERVER;
	else
		f->flags &= ~FL_LAST_SERVER;

	if (fl & TH_RST) {
		if (!(snd->flags & EP_HIST_R) || snd->last_rst != seg->seq)
			hist_add(f, s, 'R');
		snd->flags |= EP_HIST_R;
		snd->last_rst = seg->seq;
	} else if (fl & TH_SYN) {
		if (!(snd->flags & EP_HIST_S) || snd->isn != seg->seq)
			hist_add(f, s, fl & TH_ACK ? 'H' : 'S');
		snd->flags |= EP_HIST_S;
	} else if (fl & TH_FIN) {
		if (!(snd->flags & EP_FIN) || snd->fin_seq != seg->seq + seg->len)
			hist_add(f, s, 'F');
	} else if (seg->len > 0) {
		if (!(snd->flags & EP_HIST_D))
			hist_add(f, s, 'D');
		snd->flags |= EP_HIST_D;
	} else if (fl & TH_ACK) {
		if (!(snd->flags & EP_HIST_A))
			hist_add(f, s, 'A');
		snd->flags |= EP_HIST_A;
	}
	if (seg->win == 0 && !(fl & (TH_RST | TH_SYN)) && !(c->rcv->flags & EP_FIN))
		hist_scaled(f, s, 'W', &snd->zwin);
}

/* RST: validated, then both endpoints are CLOSED (RFC 9293 3.10.7.4 second check). */
static enum verdict
tracker_rst(struct tracker *t, struct pass *c)
{
	struct flow *f = c->f;
	struct endpoint *snd = c->snd, *rcv = c->rcv;
	const struct segment *seg = c->seg;
	int s = c->s;
	enum close_reason reason;

	if (!tracker_rst_ok(f, s, seg)) {
		t->st.rst_out_of_window++;
		c->touch = 0;
		return V_DONE;
	}
	/* Zeek ignores a RST once both sides sent FIN: keep conn_state SF for it. */
	if (!((snd->flags & EP_FIN) && (rcv->flags & EP_FIN)))
		snd->flags |= EP_RST;
	reason = s == SIDE_SERVER && !(snd->flags & (EP_SYN | EP_SYNACK)) &&
	                 c->was[SIDE_CLIENT] == ST_SYN_SENT
	             ? CR_REFUSED
	             : CR_RST;
	f->closed_by = (uint8_t)s;
	if ((snd->flags & EP_FIN) && seq_diff(seg->seq, snd->fin_seq + 1) >= 0)
		take_fin(t, f, &c->st, !s); /* in order: the FIN arrived before this RST */
	step(t, f, &c->st, s, ST_CLOSED, TEV_RST);
	ep_set_state(t, rcv, ST_CLOSED);
	if (c->st.n > 0)
		steps_emit(t, f, &c->st, c->was, c->ts, &seg->opt);
	tracker_closed(t, f, reason, s, c->ts);
	return V_DONE;
}

/* A SYN without ACK: the active open and its retransmissions (RFC 9293 3.5, 3.10.7.2). */
static enum verdict
tracker_syn(struct tracker *t, struct pass *c)
{
	struct flow *f = c->f;
	struct endpoint *snd = c->snd, *rcv = c->rcv;
	const struct segment *seg = c->seg;
	int s = c->s;

	if (snd->flags & EP_SYN) {
		if (seg->seq == snd->isn) {
			t->st.retransmits++; /* the same SYN again */
			c->touch = 0;
			return V_DONE;
		}
		/* Not yet answered (or a simultaneous open): abandoned for a new handshake. */
		if ((f->ep[0].state == ST_SYN_SENT && !(f->ep[1].flags & EP_SYNACK)) ||
		    f->ep[0].state == ST_SYN_RCVD || f->ep[1].state == ST_SYN_SENT)
			return V_REUSE;
		t->st.syn_ignored++;
		return V_DONE;
	}
	if (s == SIDE_CLIENT && snd->state == ST_CLOSED) {
		/* The active open (RFC 9293 3.5); a server is assumed listening. */
		ep_init_seq(snd, seg->seq);
		snd->flags |= EP_SYN;
		step(t, f, &c->st, !s, ST_LISTEN, STEP_SILENT);
		step(t, f, &c->st, s, ST_SYN_SENT, TEV_SYN);
	} else if (s == SIDE_SERVER && rcv->state == ST_SYN_SENT &&
	           (snd->state == ST_LISTEN || snd->state == ST_CLOSED)) {
		/* Simultaneous open (figure 7): the server opens actively too. */
		ep_init_seq(snd, seg->seq);
		snd->flags |= EP_SYN;
		step(t, f, &c->st, s, ST_SYN_SENT, TEV_SYN);
	} else if (s == SIDE_CLIENT && (f->flags & FL_PARTIAL) && seg->seq == snd->isn) {
		/* The SYN arrives after its SYN-ACK (reordered capture). */
		snd->flags |= EP_SYN;
		f->flags &= ~FL_PARTIAL;
		return V_DONE;
	} else if ((f->flags & FL_PARTIAL) && !(rcv->flags & (EP_SYN | EP_SYNACK))) {
		return V_REUSE; /* a picked-up connection is replaced */
	} else {
		/* RFC 5961 4: a SYN on a synchronized connection is challenged. */
		t->st.syn_ignored++;
		return V_DONE;
	}
	return V_CONTINUE;
}

/* A SYN-ACK: the passive open's answer (RFC 9293 3.5, 3.10.7.3 SYN-SENT). */
static enum verdict
tracker_synack(struct tracker *t, struct pass *c)
{
	struct flow *f = c->f;
	struct endpoint *snd = c->snd, *rcv = c->rcv;
	const struct segment *seg = c->seg;
	int s = c->s;

	if (snd->flags & EP_SYNACK) {
		if (seg->seq == snd->isn)
			t->st.retransmits++;
		else
			/* Another ISN: ignored, counters kept. */
			t->st.syn_ignored++;
		c->touch = 0;
		return V_DONE;
	}
	if (!acks_syn(rcv, seg->ack)) {
		t->st.syn_ignored++; /* does not answer the SYN */
		return V_DONE;
	}
	if (s == SIDE_SERVER && (snd->state == ST_LISTEN || snd->state == ST_CLOSED)) {
		ep_init_seq(snd, seg->seq);
		snd->flags |= EP_SYNACK;
		if (!(rcv->flags & EP_SEQ)) {
			ep_init_seq(rcv, seg->ack - 1);
			f->flags |= FL_PARTIAL;
		}
		step(t, f, &c->st, s, ST_SYN_RCVD, TEV_SYN_ACK);
	} else if (snd->state == ST_SYN_SENT && (rcv->flags & EP_SYN)) {
		/* Simultaneous open: the SYN+ACK shows the peer's SYN arrived. */
		snd->flags |= EP_SYNACK;
		step(t, f, &c->st, s, ST_SYN_RCVD, s == SIDE_SERVER ? TEV_SYN_ACK : STEP_AUTO);
		if (rcv->state == ST_SYN_RCVD)
			step(t, f, &c->st, !s, ST_ESTABLISHED, STEP_AUTO);
	} else {
		t->st.syn_ignored++;
		return V_DONE;
	}
	return V_CONTINUE;
}

/* What a SYN or SYN-ACK announces: the window scale (RFC 7323 2.2). */
static void
tracker_syn_options(struct pass *c)
{
	struct endpoint *snd = c->snd;

	if (c->seg->opt.present & OPT_WSCALE) {
		snd->flags |= EP_WSCALE;
		snd->wscale = c->seg->opt.wscale > 14 ? 14 : c->seg->opt.wscale;
	}
	if ((snd->flags & EP_WSCALE) && (c->rcv->flags & EP_WSCALE))
		c->f->flags |= FL_WSCALE_OK;
}

/*
 * Window checks of a segment without SYN (RFC 9293 3.10.7.4 first check):
 * a segment far outside the sender's sequence space, or acknowledging what
 * the receiver never sent, is not part of this connection (stale, forged or
 * corrupt): counted, ignored. Then the largest window the sender offered.
 */
static enum verdict
tracker_window(struct tracker *t, struct pass *c)
{
	struct flow *f = c->f;
	struct endpoint *snd = c->snd, *rcv = c->rcv;
	const struct segment *seg = c->seg;
	uint32_t w;

	if (!tracker_in_window(f, c->s, seg)) {
		t->st.out_of_window++;
		c->touch = 0;
		return V_DONE;
	}

	/* A client ACK while the SYN-ACK was never seen: one-sided capture. */
	if ((seg->flags & TH_ACK) && c->s == SIDE_CLIENT && snd->state == ST_SYN_SENT &&
	    rcv->state == ST_LISTEN && seg->ack != 0) {
		ep_init_seq(rcv, seg->ack - 1);
		f->flags |= FL_INFERRED | FL_PARTIAL;
		step(t, f, &c->st, c->s, ST_ESTABLISHED, STEP_AUTO);
		ep_set_state(t, rcv, ST_SYN_RCVD);
	}

	/* Window: scaled only once both SYNs agreed to scale (RFC 7323 2.2). */
	w = (uint32_t)seg->win << (f->flags & FL_WSCALE_OK ? snd->wscale : 0);
	if (w > snd->win_max)
		snd->win_max = w;
	return V_CONTINUE;
}

/*
 * What the sender's ACK shows it received (RFC 9293 3.10.7.4 fifth check):
 * its highest acknowledgment; the peer's SYN-ACK, which makes a client
 * ESTABLISHED when the capture shows it and not before (3.10.7.3: a
 * scanner answers the SYN-ACK with a RST instead); data the peer sent that
 * the capture missed; and the peer's FIN.
 */
static void
tracker_ack(struct tracker *t, struct pass *c)
{
	struct endpoint *snd = c->snd, *rcv = c->rcv;
	const struct segment *seg = c->seg;
	int32_t d;

	if (!(seg->flags & TH_ACK))
		return;
	if (!(snd->flags & EP_ACKED) || seq_diff(seg->ack, snd->ack_hi) > 0) {
		snd->ack_hi = seg->ack;
		snd->flags |= EP_ACKED;
	}
	if (snd->state == ST_SYN_SENT && (rcv->flags & EP_SYNACK) && !(seg->flags & TH_SYN) &&
	    seq_diff(seg->ack, rcv->isn + 1) >= 0)
		step(t, c->f, &c->st, c->s, ST_ESTABLISHED, STEP_AUTO);
	/* The FIN's own sequence number is not data: an ACK past it proves nothing more. */
	if ((rcv->flags & EP_SEQ) && !(rcv->flags & EP_FIN) &&
	    (d = seq_diff(seg->ack, rcv->hi)) > 0 && (uint32_t)d <= SEQ_JUMP_MAX)
		ep_advance(rcv, seg->ack, seg->ack);
	if ((rcv->flags & EP_FIN) && seq_diff(seg->ack, rcv->fin_seq + 1) >= 0)
		take_fin(t, c->f, &c->st, c->s);
}

/*
 * Data (RFC 9293 3.10.7.4 seventh check): bytes by sequence space, so a
 * retransmission counts once, and a segment that starts past what its
 * sender was seen to send shows the gap was sent too (counted missed).
 * Returns where the segment's data ends.
 */
static uint32_t
tracker_data(struct tracker *t, struct pass *c)
{
	struct endpoint *snd = c->snd;
	const struct segment *seg = c->seg;
	uint32_t dstart = seg->seq + ((seg->flags & TH_SYN) ? 1 : 0);
	uint32_t dend = dstart + seg->len;
	int32_t d;

	if (!(snd->flags & EP_SEQ) && snd->state != ST_LISTEN)
		ep_init_seq(snd, seg->seq - 1); /* picked up mid-stream (Zeek: seq - 1) */
	if (!(snd->flags & EP_SEQ))
		return dend;
	if (seg->len > 0)
		snd->flags |= EP_DATA;
	/* Past its FIN, a segment without data sits on the FIN's sequence number, not on data. */
	d = seg->len == 0 && (snd->flags & EP_FIN) ? 0 : seq_diff(dend, snd->hi);
	if (d > 0 && (uint32_t)d <= SEQ_JUMP_MAX) {
		ep_advance(snd, dend, dstart);
	} else if (d <= 0 && seg->len > 0 && !(seg->len == 1 && dend == snd->hi)) {
		/* Old data again; a 1-byte keepalive at hi - 1 is not. */
		t->st.retransmits++;
		hist_scaled(c->f, c->s, 'T', &snd->retx);
	}
	return dend;
}

/*
 * The sender's own FIN (RFC 9293 3.10.4 CLOSE; 3.10.7.4 eighth check), or
 * data past an earlier FIN, which shows that FIN arrived.
 */
static void
tracker_fin(struct tracker *t, struct pass *c, uint32_t dend)
{
	struct flow *f = c->f;
	struct endpoint *snd = c->snd;
	const struct segment *seg = c->seg;
	int s = c->s;

	if (seg->flags & TH_FIN) {
		if (!(snd->flags & EP_FIN)) {
			snd->flags |= EP_FIN;
			snd->fin_seq = dend;
			if (seg->flags & TH_ACK) {
				snd->flags |= EP_FIN_ACK;
				snd->fin_ack = seg->ack;
			}
			if (f->closed_by == SIDE_NONE)
				f->closed_by = (uint8_t)s;
			step(t, f, &c->st, s,
			     snd->state == ST_CLOSE_WAIT ? ST_LAST_ACK : ST_FIN_WAIT_1, TEV_FIN);
		} else if (dend == snd->fin_seq) {
			t->st.retransmits++;
		}
	} else if ((snd->flags & EP_FIN) && seq_diff(seg->seq, snd->fin_seq + 1) >= 0) {
		/* The sender went on past its FIN: in order, so the FIN arrived first. */
		take_fin(t, f, &c->st, !s);
	}
}

/*
 * The receiver's side of the segment: what it acknowledges (a FIN segment's
 * ACK waits with its FIN), the records of every transition, and the end once
 * neither side waits for anything (RFC 9293 3.10.7.4 fifth check, 3.6).
 */
static void
tracker_receive(struct tracker *t, struct pass *c)
{
	struct flow *f = c->f;
	const struct segment *seg = c->seg;

	if ((seg->flags & TH_ACK) && !(seg->flags & TH_FIN))
		take_ack(t, f, &c->st, !c->s, seg->ack);
	if (c->st.n > 0)
		steps_emit(t, f, &c->st, c->was, c->ts, &seg->opt);
	if ((f->ep[0].flags & EP_FIN) && (f->ep[1].flags & EP_FIN) &&
	    (f->ep[0].state == ST_TIME_WAIT || f->ep[0].state == ST_CLOSED) &&
	    (f->ep[1].state == ST_TIME_WAIT || f->ep[1].state == ST_CLOSED))
		tracker_closed(t, f, CR_FIN, c->s, c->ts);
}

/* A new SYN with a new ISN: the old attempt is over, a new one begins (RFC 9293 3.5). */
static void
tracker_reuse(struct tracker *t, const struct pass *c)
{
	const struct segment *seg = c->seg;

	if (!(c->f->flags & FL_CLOSED))
		tracker_closed(t, c->f, CR_REUSED, c->s, c->ts);
	tracker_remove(t, c->idx);
	tracker_start(t, seg, tracker_hash(t, seg));
}

/* After the segment: its record for the ladder view, and the flow's deadline. */
static void
tracker_finish(struct tracker *t, const struct pass *c)
{
	if (t->cfg.event_mask & TEV_BIT(TEV_SEGMENT))
		tracker_segment_event(t, c->f, c->s, c->seg, c->ts);
	if (c->touch) {
		c->f->touch_ts = c->ts;
		flowtab_touch(&t->ft, c->idx, tracker_class(c->f));
	} else if (c->f->cls != tracker_class(c->f)) {
		flowtab_touch(&t->ft, c->idx, tracker_class(c->f));
	}
}

/*
 * A segment for an existing flow idx, sent by side s. What the sender shows
 * it received comes first, then its own transition, then the receiver's
 * (see tests/golden/README.md for the observer model).
 */
static void
tracker_process(struct tracker *t, uint32_t idx, int s, const struct segment *seg)
{
	struct pass c;
	enum verdict v;
	uint8_t fl = seg->flags;

	c.f = &t->ft.flows[idx];
	c.snd = &c.f->ep[s];
	c.rcv = &c.f->ep[!s];
	c.seg = seg;
	c.idx = idx;
	c.s = s;
	c.touch = 1;
	c.was[0] = c.f->ep[0].state;
	c.was[1] = c.f->ep[1].state;
	c.st.n = 0;

	tracker_note(t, &c);
	if (fl & TH_RST)
		v = tracker_rst(t, &c);
	else if (fl & TH_SYN)
		v = fl & TH_ACK ? tracker_synack(t, &c) : tracker_syn(t, &c);
	else
		v = tracker_window(t, &c);
	if (v == V_REUSE) {
		tracker_reuse(t, &c);
		return;
	}
	if (v == V_CONTINUE) {
		if (fl & TH_SYN)
			tracker_syn_options(&c);
		tracker_ack(t, &c);
		tracker_fin(t, &c, tracker_data(t, &c));
		tracker_receive(t, &c);
	}
	tracker_finish(t, &c);
}

/* The first segment of a 4-tuple the table does not hold. */
static void
tracker_start(struct tracker *t, const struct segment *seg, uint32_t hash)
{
	uint32_t idx;
	struct flow *f;
	int client;

	if (seg->flags & TH_RST) {
		t->st.stray++; /* a reset of nothing we know */
		return;
	}
	if ((seg->flags & (TH_SYN | TH_ACK)) == TH_SYN) {
		if ((idx = tracker_create(t, seg, hash, 1)) == FLOW_NONE)
			return;
		tracker_process(t, idx, SIDE_CLIENT, seg);
		return;
	}
	if ((seg->flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK)) {
		/* The SYN was missed: the SYN-ACK's receiver is the client. */
		if ((idx = tracker_create(t, seg, hash, 0)) == FLOW_NONE)
			return;
		f = &t->ft.flows[idx];
		f->flags |= FL_PARTIAL;
		ep_init_seq(&f->ep[SIDE_CLIENT], seg->ack - 1);
		ep_set_state(t, &f->ep[SIDE_CLIENT], ST_SYN_SENT);
		tracker_process(t, idx, SIDE_SERVER, seg);
		return;
	}
	/*
	 * Mid-stream, or at the close (a FIN closes a connection that existed):
	 * both sides taken as established, roles guessed by port.
	 */
	client = tracker_guess_sender_is_client(seg);
	if ((idx = tracker_create(t, seg, hash, client)) == FLOW_NONE)
		return;
	f = &t->ft.flows[idx];
	f->flags |= FL_PARTIAL;
	ep_set_state(t, &f->ep[SIDE_CLIENT], ST_ESTABLISHED);
	ep_set_state(t, &f->ep[SIDE_SERVER], ST_ESTABLISHED);
	tracker_process(t, idx, client ? SIDE_CLIENT : SIDE_SERVER, seg);
}

/* Expire one flow whose deadline passed. */
static void
tracker_expire_one(struct tracker *t, uint32_t idx, uint64_t deadline)
{
	struct flow *f = &t->ft.flows[idx];
	enum close_reason reason;

	switch (f->cls) {
	case FC_LINGER:
	case FC_DONE:
		tracker_remove(t, idx);
		return;
	case FC_SYN:
		reason = CR_SYN_TIMEOUT;
		break;
	case FC_CLOSING:
		reason = CR_CLOSING_TIMEOUT; /* a FIN never acknowledged */
		break;
	case FC_HALF_CLOSED:
		reason = CR_HALF_CLOSED_TIMEOUT; /* the other side never closed */
		break;
	default:
		reason = CR_IDLE_TIMEOUT;
		break;
	}
	tracker_closed(t, f, reason, SIDE_NONE, deadline);
	/* Remembered a while longer, so late retransmissions do not start new flows. */
	f->touch_ts = deadline;
	flowtab_touch(&t->ft, idx, FC_DONE);
}

/* Expire, class by class, every flow whose deadline is at or before until_us. */
static void
tracker_expire(struct tracker *t, uint64_t until_us)
{
	int c;
	uint32_t idx;

	for (c = 0; c < FC_NCLASSES; c++) {
		while ((idx = flowtab_oldest(&t->ft, c)) != FLOW_NONE) {
			uint64_t deadline = ts_add(t->ft.flows[idx].touch_ts, t->timeout_us[c]);

			if (deadline > until_us)
				break;
			tracker_expire_one(t, idx, deadline);
		}
	}
}

/* The interim record of an open connection, due at `due`: counters and age so far. */
static void
tracker_update(struct tracker *t, uint32_t idx, uint64_t due)
{
	const struct flow *f = &t->ft.flows[idx];
	struct event ev;

	tracker_fill(t, f, &ev, due);
	ev.type = TEV_UPDATE;
	ev.by = SIDE_NONE;
	ev.duration_us = due > f->first_ts ? due - f->first_ts : 0;
	tracker_emit(t, &ev);
}

/*
 * The update list stays ordered by deadline without ever being sorted: every
 * deadline is set to at most now + interval (a new flow: t->now + interval;
 * an update: its due time + interval, or now + interval), so a flow appended
 * at the tail is due no earlier than any other. Updates missed in a jump of
 * time are made up, each at its due time, up to UPDATE_CATCHUP intervals;
 * after a longer gap, a pass moves every flow it updates (once) to now +
 * interval: the same latest deadline for all keeps the order and bounds the
 * work, whatever the gap.
 */
void
tracker_advance(struct tracker *t, uint64_t now_us)
{
	uint32_t idx;
	uint64_t due;
	int gap = -1;

	if (now_us > SEGMENT_TS_MAX_US)
		now_us = SEGMENT_TS_MAX_US;
	if (now_us > t->now)
		t->now = now_us;
	while (t->update_us > 0 && (idx = t->ft.upd_head) != FLOW_NONE &&
	       (due = t->ft.flows[idx].upd_ts) <= t->now) {
		tracker_expire(t, due); /* what ended before the update is due ends first */
		if (t->ft.upd_head != idx)
			continue; /* it expired itself */
		/* The first due is the most overdue: it decides for the pass. */
		if (gap == -1)
			gap = (t->now - due) / t->update_us >= UPDATE_CATCHUP;
		tracker_update(t, idx, due);
		flowtab_upd_append(&t->ft, idx, ts_add(gap ? t->now : due, t->update_us));
	}
	tracker_expire(t, t->now);
}

/* Same packet captured twice: same direction, same signature, within DUP_WINDOW_US. */
static int
tracker_duplicate(const struct flow *f, int s, const struct segment *seg)
{
	int last = f->flags & FL_LAST_SERVER ? SIDE_SERVER : SIDE_CLIENT;

	/* The signature (three multiplies) last: most segments fail a cheaper test. */
	return last == s && f->pkts[s] > 0 && ts_since(seg->ts_us, f->last_ts) <= DUP_WINDOW_US &&
	       f->ep[s].dup_sig == tracker_dup_sig(seg);
}

/*
 * A segment of a connection already reported CLOSED and only remembered:
 * counted in its sender's packets and otherwise absorbed. A retransmitted
 * FIN restarts 2MSL; an acceptable RST that reaches an endpoint in
 * TIME_WAIT ends it (RFC 9293 3.10.7.4; Linux with tcp_rfc1337 = 0), and
 * the flow is then remembered only as long as what trails any reset.
 */
static void
tracker_after_close(struct tracker *t, uint32_t idx, int s, const struct segment *seg)
{
	struct flow *f = &t->ft.flows[idx];
	uint64_t ts = seg->ts_us > f->touch_ts ? seg->ts_us : f->touch_ts;

	f->pkts[s]++;
	t->st.after_close++;
	if ((seg->flags & TH_RST) && f->ep[!s].state == ST_TIME_WAIT && tracker_rst_ok(f, s, seg)) {
		ep_set_state(t, &f->ep[!s], ST_CLOSED);
		f->touch_ts = ts;
		flowtab_touch(&t->ft, idx, FC_LINGER);
	} else if ((seg->flags & (TH_FIN | TH_SYN)) && f->cls == FC_DONE) {
		f->touch_ts = ts;
		flowtab_touch(&t->ft, idx, FC_DONE);
	}
}

/* A segment whose hash is known; hint: flowtab_lookup_hinted()'s, or FLOW_NONE. */
static void
tracker_segment_hashed(struct tracker *t, const struct segment *seg, uint32_t hash, uint32_t hint)
{
	uint32_t idx;
	int s;
	uint8_t fl = seg->flags;
	struct flow *f;
	struct segment capped;

	t->st.segments++;
	if (seg->ts_us > SEGMENT_TS_MAX_US) {
		capped = *seg;
		capped.ts_us = SEGMENT_TS_MAX_US;
		seg = &capped;
	}
	/*
	 * Expiry runs once per tick of packet time, not per segment (timeouts
	 * are seconds; walking the list heads every segment showed in the
	 * profile). A segment for a flow already past its own deadline still
	 * finds it expired: see below.
	 */
	if (seg->ts_us >> ADVANCE_TICK_SHIFT != t->now >> ADVANCE_TICK_SHIFT)
		tracker_advance(t, seg->ts_us);
	else if (seg->ts_us > t->now)
		t->now = seg->ts_us;

	/* Combinations no stack sends (RFC 9293 3.1; conntrack's tcp_valid_flags). */
	if ((fl & (TH_SYN | TH_FIN)) == (TH_SYN | TH_FIN) ||
	    (fl & (TH_SYN | TH_RST)) == (TH_SYN | TH_RST) ||
	    (fl & (TH_SYN | TH_FIN | TH_RST | TH_ACK)) == 0 ||
	    (fl & (TH_FIN | TH_ACK | TH_RST)) == TH_FIN) {
		t->st.bad_flags++;
		idx = flowtab_lookup(&t->ft, hash, seg->family, seg->saddr, seg->sport, seg->daddr,
		                     seg->dport, &s);
		if (idx != FLOW_NONE) {
			f = &t->ft.flows[idx];
			f->pkts[s]++;
			if (!(f->ep[s].flags & EP_HIST_Q))
				hist_add(f, s, 'Q');
			f->ep[s].flags |= EP_HIST_Q;
		}
		return;
	}

	idx = flowtab_lookup_hinted(&t->ft, hint, hash, seg->family, seg->saddr, seg->sport,
	                            seg->daddr, seg->dport, &s);
	if (idx != FLOW_NONE &&
	    ts_add(t->ft.flows[idx].touch_ts, t->timeout_us[t->ft.flows[idx].cls]) <= seg->ts_us) {
		/* Its time is up: expire it (and whatever else is due), then look again. */
		tracker_advance(t, seg->ts_us);
		idx = flowtab_lookup(&t->ft, hash, seg->family, seg->saddr, seg->sport, seg->daddr,
		                     seg->dport, &s);
	}
	if (idx == FLOW_NONE) {
		tracker_start(t, seg, hash);
		return;
	}
	f = &t->ft.flows[idx];
	if (tracker_duplicate(f, s, seg)) {
		t->st.duplicates++;
		return;
	}
	if (f->flags & FL_CLOSED) {
		/* Remembered after the close: absorb what trails it, unless a new SYN. */
		if ((fl & (TH_SYN | TH_ACK)) == TH_SYN &&
		    !(s == SIDE_CLIENT && (f->ep[s].flags & EP_SYN) && seg->seq == f->ep[s].isn)) {
			tracker_remove(t, idx);
			tracker_start(t, seg, hash);
			return;
		}
		tracker_after_close(t, idx, s, seg);
		return;
	}
	tracker_process(t, idx, s, seg);
}

void
tracker_segment(struct tracker *t, const struct segment *seg)
{
	tracker_segment_hashed(t, seg, tracker_hash(t, seg), FLOW_NONE);
}

/*
 * Segment i + TRACKER_AHEAD is hashed and has its buckets fetched, segment
 * i + TRACKER_AHEAD / 2 its flow (the buckets having arrived meanwhile),
 * while segment i is tracked: the lookups' memory latency overlaps the work
 * in between. The flow found ahead is the lookup's first guess (a hint: the
 * segments in between may have changed the table). A second flow with the
 * same tag (one bucket slot in thousands) is not fetched ahead: looking for
 * it cost every segment more than the rare miss it saves.
 */
#define TRACKER_AHEAD 16 /* a power of two */

static inline __attribute__((always_inline)) void
tracker_run(struct tracker *t, const struct segment *segs, size_t n, int prehashed)
{
	uint32_t hash[TRACKER_AHEAD], hint[TRACKER_AHEAD];
	size_t i, j;

	for (i = 0; i < n + TRACKER_AHEAD; i++) {
		/* In this order: segment i's hash takes the slot i - TRACKER_AHEAD leaves. */
		j = i - TRACKER_AHEAD;
		if (i >= TRACKER_AHEAD)
			tracker_segment_hashed(t, &segs[j], hash[j % TRACKER_AHEAD],
			                       hint[j % TRACKER_AHEAD]);
		j = i - TRACKER_AHEAD / 2;
		if (i >= TRACKER_AHEAD / 2 && j < n)
			hint[j % TRACKER_AHEAD] =
			    flowtab_prefetch_flow(&t->ft, hash[j % TRACKER_AHEAD]);
		if (i < n) {
			hash[i % TRACKER_AHEAD] =
			    prehashed ? segs[i].hash : tracker_hash(t, &segs[i]);
			flowtab_prefetch_bucket(&t->ft, hash[i % TRACKER_AHEAD]);
		}
	}
}

void
tracker_segments(struct tracker *t, const struct segment *segs, size_t n)
{
	tracker_run(t, segs, n, 0);
}

void
tracker_prehash(const struct tracker *t, struct segment *segs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		segs[i].hash = tracker_hash(t, &segs[i]);
}

void
tracker_segments_prehashed(struct tracker *t, const struct segment *segs, size_t n)
{
	tracker_run(t, segs, n, 1);
}

void
tracker_flush(struct tracker *t, uint64_t now_us, enum close_reason reason)
{
	static const enum flow_class order[] = {FC_SYN,         FC_CLOSING, FC_HALF_CLOSED,
	                                        FC_ESTABLISHED, FC_DONE,    FC_LINGER};
	uint32_t idx;
	size_t i;

	if (now_us > SEGMENT_TS_MAX_US)
		now_us = SEGMENT_TS_MAX_US;
	if (now_us > t->now)
		t->now = now_us;
	for (i = 0; i < sizeof order / sizeof order[0]; i++) {
		while ((idx = flowtab_oldest(&t->ft, order[i])) != FLOW_NONE) {
			if (order[i] != FC_DONE && order[i] != FC_LINGER)
				tracker_closed(t, &t->ft.flows[idx], reason, SIDE_NONE, t->now);
			tracker_remove(t, idx);
		}
	}
}

void
tracker_foreach(const struct tracker *t, uint64_t now_us, tracker_visit_cb *cb, void *arg)
{
	uint32_t i;
	struct event ev;

	for (i = 0; i < t->ft.capacity; i++) {
		const struct flow *f = &t->ft.flows[i];

		if (f->cls == FC_FREE)
			continue;
		tracker_fill(t, f, &ev, now_us);
		ev.by = SIDE_NONE;
		if (f->flags & FL_CLOSED) {
			ev.type = TEV_CLOSED;
			strncpy(ev.conn_state, tracker_conn_state(f), sizeof ev.conn_state - 1);
			memcpy(ev.history, f->history, sizeof f->history);
		} else {
			ev.type = TEV_UPDATE;
			ev.duration_us = now_us > f->first_ts ? now_us - f->first_ts : 0;
		}
		if (cb(&ev, arg) != 0)
			break;
	}
}
