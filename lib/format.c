/*
 * format.c - struct event to bytes: JSON Lines, one readable text line, and
 * key=value for syslog bodies. The daemon's own records (SUPPRESSED, STATS,
 * ALERT) are report.c's; both write with put.h's writers.
 *
 * This runs for every event on every output, so it formats numbers, times and
 * addresses by hand: no printf, no locale, no allocation, no clock. Every
 * function writes into a caller buffer, NUL-terminates it, and returns the
 * length without the NUL; when the result and its NUL do not fit it returns 0
 * and the buffer holds no partial record (buf[0] is NUL when cap > 0).
 *
 * Event records are written by the unchecked put_* functions. Every piece of
 * an event has a fixed bound (names are cut at NAME_LEN_MAX, strings at their
 * array size), so a record never needs more than FORMAT_EVENT_MAX bytes: the
 * size is checked once per record, not once per piece.
 *
 * key=value values never need quoting: they are numbers, addresses and names
 * from fixed tables. A value that would be empty (history, conn_state before
 * anything was seen) is left out entirely instead of written as key="".
 */
#include <string.h>

#include "decode.h"
#include "format.h"
#include "put.h"

/* tcpdump's flag letters, in tcpdump's order: "S." is a SYN+ACK; at most 8 bytes. */
static char *
put_tcpflags(char *p, uint8_t flags)
{
	static const struct {
		uint8_t bit;
		char c;
	} letters[] = {
	    {TH_FIN, 'F'}, {TH_SYN, 'S'}, {TH_RST, 'R'}, {TH_PSH, 'P'},
	    {TH_ACK, '.'}, {TH_URG, 'U'}, {TH_ECE, 'E'}, {TH_CWR, 'W'},
	};
	size_t i;

	if (flags == 0)
		return PUT_LIT(p, "none");
	for (i = 0; i < sizeof(letters) / sizeof(letters[0]); i++) {
		if (flags & letters[i].bit)
			*p++ = letters[i].c;
	}
	return p;
}

/*
 * The separator and key before a value: "," "\"key\":" in JSON, " key=" in
 * key=value, one literal each. PUT_KEYQ also opens a JSON string value.
 * The first field, ts, has its own opening.
 */
#define PUT_KEY(p, json, key) ((json) ? PUT_LIT(p, ",\"" key "\":") : PUT_LIT(p, " " key "="))
#define PUT_KEYQ(p, json, key) ((json) ? PUT_LIT(p, ",\"" key "\":\"") : PUT_LIT(p, " " key "="))

/* Close a JSON string value; key=value values are bare. */
static inline char *
put_endq(char *p, int json)
{
	if (json)
		*p++ = '"';
	return p;
}

static inline char *
put_bool(char *p, int v)
{
	return v ? PUT_LIT(p, "true") : PUT_LIT(p, "false");
}

/*
 * A short string from the tracker (conn_state, history) of n bytes: JSON
 * escapes it; key=value filters it and leaves the key out when it is empty.
 * The key comes already written in both forms, as literals.
 */
#define PUT_TEXT(p, json, key, s, n)                                                               \
	((json)    ? put_endq(put_json_bytes(PUT_LIT(p, ",\"" key "\":\""), (s), (n)), 1)          \
	 : (n) > 0 ? put_kv_safe(PUT_LIT(p, " " key "="), (s), (n))                                \
	           : (p))

/*
 * The counters of CLOSED and UPDATE, duration to partial; a CLOSED record's
 * lifetime (to the close decision) stands beside its duration (to the last
 * packet). The live view's CLOSED of a connection it only remembers has no
 * reason and no close decision on record, so no lifetime.
 */
static inline __attribute__((always_inline)) char *
put_rec_counts(char *p, const struct event *ev, int json, int closed)
{
	p = put_secs(PUT_KEY(p, json, "duration"), ev->duration_us, 6);
	if (closed)
		p = put_secs(PUT_KEY(p, json, "lifetime"), ev->lifetime_us, 6);
	p = put_u64(PUT_KEY(p, json, "client_bytes"), ev->client.bytes);
	p = put_u64(PUT_KEY(p, json, "server_bytes"), ev->server.bytes);
	p = put_u64(PUT_KEY(p, json, "client_pkts"), ev->client.pkts);
	p = put_u64(PUT_KEY(p, json, "server_pkts"), ev->server.pkts);
	/* Only when the capture missed some: a complete capture's records stay as they were. */
	if (ev->client.missed != 0 || ev->server.missed != 0) {
		p = put_u64(PUT_KEY(p, json, "client_missed_bytes"), ev->client.missed);
		p = put_u64(PUT_KEY(p, json, "server_missed_bytes"), ev->server.missed);
	}
	return put_bool(PUT_KEY(p, json, "partial"), ev->partial);
}

/*
 * JSON and key=value: the field order of format.h. Always inlined, so each
 * format gets its own copy with `json` a constant and no branch per key.
 */
static inline __attribute__((always_inline)) char *
put_record(char *p, const struct event *ev, int json)
{
	size_t n;

	p = json ? PUT_LIT(p, "{\"ts\":\"") : PUT_LIT(p, "ts=");
	p = put_endq(put_ts(p, ev->ts_us), json);
	p = put_endq(put_name(PUT_KEYQ(p, json, "event"), event_type_name(ev->type)), json);
	p = put_endq(put_flow(PUT_KEYQ(p, json, "flow"), ev->flow_id), json);
	p = put_endq(put_name(PUT_KEYQ(p, json, "by"), side_name(ev->by)), json);
	p = put_endq(put_ip(PUT_KEYQ(p, json, "client_ip"), ev->family, ev->client_ip), json);
	p = put_u64(PUT_KEY(p, json, "client_port"), ev->client_port);
	p = put_endq(put_ip(PUT_KEYQ(p, json, "server_ip"), ev->family, ev->server_ip), json);
	p = put_u64(PUT_KEY(p, json, "server_port"), ev->server_port);
	/* Only for a tunnelled connection: every other record stays as it was. */
	if (ev->tun.type != TUN_NONE) {
		p = put_endq(
		    put_name(PUT_KEYQ(p, json, "tunnel"), decode_tunnel_name(ev->tun.type)), json);
		p = put_endq(
		    put_ip(PUT_KEYQ(p, json, "tunnel_src_ip"), ev->tun.family, ev->tun.saddr),
		    json);
		p = put_endq(
		    put_ip(PUT_KEYQ(p, json, "tunnel_dst_ip"), ev->tun.family, ev->tun.daddr),
		    json);
		if (ev->tun.flags & TUNF_ID)
			p = put_u64(PUT_KEY(p, json, "tunnel_id"), ev->tun.id);
	}
	p = put_endq(put_name(PUT_KEYQ(p, json, "client_state"), tcp_state_name(ev->client_state)),
	             json);
	p = put_endq(put_name(PUT_KEYQ(p, json, "server_state"), tcp_state_name(ev->server_state)),
	             json);
	switch (ev->type) {
	case TEV_SYN:
	case TEV_SYN_ACK:
		if (ev->opt.present & OPT_MSS)
			p = put_u64(PUT_KEY(p, json, "mss"), ev->opt.mss);
		if (ev->opt.present & OPT_WSCALE)
			p = put_u64(PUT_KEY(p, json, "wscale"), ev->opt.wscale);
		if (ev->opt.present & OPT_SACK_OK)
			p = put_bool(PUT_KEY(p, json, "sack_ok"), 1);
		if (ev->opt.present & OPT_TS)
			p = put_bool(PUT_KEY(p, json, "tsopt"), 1);
		break;
	case TEV_CLOSED:
		p = put_endq(put_name(PUT_KEYQ(p, json, "reason"), close_reason_name(ev->reason)),
		             json);
		p = put_bool(PUT_KEY(p, json, "abnormal"), ev->abnormal);
		p = put_endq(put_name(PUT_KEYQ(p, json, "closed_by"), side_name(ev->closed_by)),
		             json);
		p = put_rec_counts(p, ev, json, ev->reason != CR_NONE);
		n = strnlen(ev->conn_state, sizeof(ev->conn_state));
		p = PUT_TEXT(p, json, "conn_state", ev->conn_state, n);
		n = strnlen(ev->history, sizeof(ev->history));
		p = PUT_TEXT(p, json, "history", ev->history, n);
		break;
	case TEV_UPDATE:
		p = put_rec_counts(p, ev, json, 0);
		break;
	case TEV_SEGMENT:
		p = put_endq(put_tcpflags(PUT_KEYQ(p, json, "flags"), ev->seg_flags), json);
		p = put_u64(PUT_KEY(p, json, "seq"), ev->seg_rel_seq);
		p = put_u64(PUT_KEY(p, json, "ack"), ev->seg_rel_ack);
		p = put_u64(PUT_KEY(p, json, "len"), ev->seg_len);
		break;
	default:
		break;
	}
	return json ? PUT_LIT(p, "}\n") : PUT_LIT(p, "\n");
}

/* "192.0.2.1:80" or "[2001:db8::1]:80". */
static char *
put_endpoint(char *p, uint8_t family, const uint8_t *addr, uint16_t port)
{
	if (family == 6)
		*p++ = '[';
	p = put_ip(p, family, addr);
	if (family == 6)
		*p++ = ']';
	*p++ = ':';
	return put_u64(p, port);
}

/* "ESTABLISHED" or, when the event moved it, "SYN_RCVD->ESTABLISHED". */
static char *
put_state_change(char *p, enum tcp_state was, enum tcp_state now)
{
	if (was != now)
		p = PUT_LIT(put_name(p, tcp_state_name(was)), "->");
	return put_name(p, tcp_state_name(now));
}

/* "3B/6p": one side's counters. */
static char *
put_counts(char *p, const struct endpoint_counts *c)
{
	p = PUT_LIT(put_u64(p, c->bytes), "B/");
	p = put_u64(p, c->pkts);
	*p++ = 'p';
	return p;
}

/* "duration=34.2s client 3B/6p server 492B/5p"; a CLOSED adds "lifetime=6m02s" after it. */
static char *
put_text_counts(char *p, const struct event *ev)
{
	p = put_age(PUT_LIT(p, "duration="), ev->duration_us);
	if (ev->type == TEV_CLOSED && ev->reason != CR_NONE)
		p = put_age(PUT_LIT(p, " lifetime="), ev->lifetime_us);
	p = PUT_LIT(p, " client ");
	p = PUT_LIT(put_counts(p, &ev->client), " server ");
	return put_counts(p, &ev->server);
}

/*
 * "  mss=1460 wscale=7 sack_ok tsopt": the options present, each after a
 * space, and one more space before the first.
 */
static char *
put_text_opts(char *p, const struct tcpopts *opt)
{
	if (opt->present & (OPT_MSS | OPT_WSCALE | OPT_SACK_OK | OPT_TS))
		*p++ = ' ';
	if (opt->present & OPT_MSS)
		p = put_u64(PUT_LIT(p, " mss="), opt->mss);
	if (opt->present & OPT_WSCALE)
		p = put_u64(PUT_LIT(p, " wscale="), opt->wscale);
	if (opt->present & OPT_SACK_OK)
		p = PUT_LIT(p, " sack_ok");
	if (opt->present & OPT_TS)
		p = PUT_LIT(p, " tsopt");
	return p;
}

/* " via vxlan 203.0.113.1-203.0.113.2 id=5001": the tunnel, outer pair as first seen. */
static char *
put_text_tunnel(char *p, const struct tunnel *tun)
{
	p = put_name(PUT_LIT(p, " via "), decode_tunnel_name(tun->type));
	p = put_ip(PUT_LIT(p, " "), tun->family, tun->saddr);
	p = put_ip(PUT_LIT(p, "-"), tun->family, tun->daddr);
	if (tun->flags & TUNF_ID)
		p = put_u64(PUT_LIT(p, " id="), tun->id);
	return p;
}

/* Spaces up to `to`, for the text line's columns. */
static inline char *
put_pad(char *p, const char *to)
{
	while (p < to)
		*p++ = ' ';
	return p;
}

/*
 * The line for people, read like tcpdump: time, flow, event, then the client
 * always on the left, with an arrow showing who acted ('>' client, '<' server,
 * '-' neither: a timeout), then what changed.
 */
static char *
put_text(char *p, const struct event *ev)
{
	const char *col;
	size_t n;

	p = put_ts(p, ev->ts_us);
	*p++ = ' ';
	col = p;
	p = put_pad(put_flow(p, ev->flow_id), col + FLOW_LEN_MAX);
	*p++ = ' ';
	col = p;
	p = put_pad(put_name(p, event_type_name(ev->type)), col + 11); /* "ESTABLISHED" */
	*p++ = ' ';
	p = put_endpoint(p, ev->family, ev->client_ip, ev->client_port);
	if (ev->by == SIDE_CLIENT)
		p = PUT_LIT(p, " > ");
	else if (ev->by == SIDE_SERVER)
		p = PUT_LIT(p, " < ");
	else
		p = PUT_LIT(p, " - ");
	p = put_endpoint(p, ev->family, ev->server_ip, ev->server_port);
	if (ev->tun.type != TUN_NONE)
		p = put_text_tunnel(p, &ev->tun);
	p = PUT_LIT(p, "  ");
	switch (ev->type) {
	case TEV_CLOSED:
		p = put_name(PUT_LIT(p, "reason="), close_reason_name(ev->reason));
		p = put_name(PUT_LIT(p, " closed_by="), side_name(ev->closed_by));
		*p++ = ' ';
		p = put_text_counts(p, ev);
		n = strnlen(ev->conn_state, sizeof(ev->conn_state));
		if (n > 0) {
			*p++ = ' ';
			p = put_json_bytes(p, ev->conn_state, n);
		}
		n = strnlen(ev->history, sizeof(ev->history));
		if (n > 0) {
			*p++ = ' ';
			p = put_json_bytes(p, ev->history, n);
		}
		break;
	case TEV_SEGMENT:
		*p++ = '[';
		p = PUT_LIT(put_tcpflags(p, ev->seg_flags), "] seq ");
		p = PUT_LIT(put_u64(p, ev->seg_rel_seq), " ack ");
		p = PUT_LIT(put_u64(p, ev->seg_rel_ack), " len ");
		p = PUT_LIT(put_u64(p, ev->seg_len), "  ");
		/* FALLTHROUGH */
	default:
		p = put_state_change(PUT_LIT(p, "client "), ev->client_state_was, ev->client_state);
		p = put_state_change(PUT_LIT(p, "  server "), ev->server_state_was,
		                     ev->server_state);
		if (ev->type == TEV_SYN || ev->type == TEV_SYN_ACK)
			p = put_text_opts(p, &ev->opt);
		if (ev->type == TEV_UPDATE)
			p = put_text_counts(PUT_LIT(p, "  "), ev);
		break;
	}
	if (ev->partial)
		p = PUT_LIT(p, " partial");
	*p++ = '\n';
	return p;
}

/*
 * Every piece of a record has a fixed bound, so the whole of it fits
 * FORMAT_EVENT_MAX bytes: written straight into a buffer that big, or into
 * one on the stack and copied when it fits the caller's. Either way the
 * bytes are the same, and a record too long for buf is refused whole.
 */
size_t
format_event(enum format f, const struct event *ev, char *buf, size_t cap)
{
	char tmp[FORMAT_EVENT_MAX];
	char *out = cap >= sizeof(tmp) ? buf : tmp;
	size_t len;

	if (!ip_family_ok(ev->family))
		goto refuse; /* not an address we know how to print */
	switch (f) {
	case FMT_JSON:
		len = (size_t)(put_record(out, ev, 1) - out);
		break;
	case FMT_KV:
		len = (size_t)(put_record(out, ev, 0) - out);
		break;
	case FMT_TEXT:
		len = (size_t)(put_text(out, ev) - out);
		break;
	default:
		goto refuse;
	}
	if (len >= cap)
		goto refuse;
	if (out != buf)
		memcpy(buf, out, len);
	buf[len] = '\0';
	return len;
refuse:
	if (cap > 0)
		buf[0] = '\0';
	return 0;
}

size_t
format_ts(uint64_t ts_us, char *buf, size_t cap)
{
	struct wbuf w;

	w_init(&w, buf, cap);
	w_ts(&w, ts_us);
	return w_end(&w);
}

size_t
format_flow_id(uint64_t id, char *buf, size_t cap)
{
	struct wbuf w;

	w_init(&w, buf, cap);
	w_flow(&w, id);
	return w_end(&w);
}

size_t
format_ip(uint8_t family, const uint8_t *addr, char *buf, size_t cap)
{
	struct wbuf w;

	w_init(&w, buf, cap);
	w_ip(&w, family, addr);
	return w_end(&w);
}

size_t
format_age(uint64_t us, char *buf, size_t cap)
{
	char t[AGE_LEN_MAX];
	struct wbuf w;

	w_init(&w, buf, cap);
	w_mem(&w, t, (size_t)(put_age(t, us) - t));
	return w_end(&w);
}

size_t
format_json_escape(const char *s, char *buf, size_t cap)
{
	struct wbuf w;

	w_init(&w, buf, cap);
	w_json_bytes(&w, s, strlen(s));
	return w_end(&w);
}

static const char *const format_names[FMT_NFORMATS] = {
    [FMT_JSON] = "json",
    [FMT_TEXT] = "text",
    [FMT_KV] = "kv",
};

int
format_from_name(const char *name)
{
	int f;

	if (name == NULL)
		return -1;
	for (f = 0; f < FMT_NFORMATS; f++) {
		if (strcmp(name, format_names[f]) == 0)
			return f;
	}
	return -1;
}

const char *
format_name(enum format f)
{
	if ((unsigned)f >= FMT_NFORMATS)
		return "?";
	return format_names[f];
}
