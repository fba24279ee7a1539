/*
 * metrics.h - the counters as a Prometheus textfile, for node_exporter's
 * textfile collector (or anything that reads the exposition format).
 *
 * metrics_render() writes the exposition text of an insight into a buffer;
 * metrics_write() puts it at a path atomically: a temporary file in the same
 * directory (path + ".tmp", which the collector ignores: it reads *.prom),
 * mode 0644 so that the collector's own user can read it, then rename(2).
 * A reader sees the old file or the new one, never half of one.
 *
 * Metrics (no per-client labels; port is a server port with a row of its
 * own, or "other"; see lib/stats.h):
 *   tcpstated_build_info{version}                          gauge, 1
 *   tcpstated_start_time_seconds                           gauge
 *   tcpstated_capture_packets_total                        counter
 *   tcpstated_capture_dropped_packets_total{where}         counter: kernel, interface
 *   tcpstated_connections_tracked, tcpstated_connections_max   gauges
 *   tcpstated_connection_attempts_total                    counter (client SYNs)
 *   tcpstated_connections_opened_total{port}               counter (handshakes completed)
 *   tcpstated_connections_closed_total{port,reason}        counter
 *   tcpstated_handshake_seconds{port}                      histogram, SYN to its ACK
 *   tcpstated_endpoints{port,state}                        gauge, endpoints in each state now
 *   tcpstated_events_total{type}                           counter, what the tracker reported
 *   tcpstated_output_records_total{output}                 counter, written
 *   tcpstated_output_dropped_total{output}                 counter
 *   tcpstated_events_suppressed_total{output}              counter, over a rate limit
 *   tcpstated_alert_firing{alert}                          gauge, 0 or 1
 *   tcpstated_alerts_fired_total{alert}                    counter
 */
#ifndef TCPSTATED_METRICS_H
#define TCPSTATED_METRICS_H

#include <stddef.h>

#include "insight.h"

struct evbuffer;

void metrics_render(const struct insight *in, struct evbuffer *out);

/*
 * Write the contents of buf (which is drained) to path atomically. Returns -1
 * with a one-line reason in err (the temporary file is removed).
 */
int metrics_write(const char *path, struct evbuffer *buf, char *err, size_t errlen);

#endif
