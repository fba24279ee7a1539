/*
 * ladder.h - the `-o ladder` view: per connection, the sequence diagram of
 * every segment, printed as a whole when the connection is over.
 *
 * The ladder owns one buffer per open connection. It needs the tracker to
 * emit TEV_SEGMENT (add TEV_BIT(TEV_SEGMENT) to the event mask) and CLOSED.
 */
#ifndef TCPSTATED_LADDER_H
#define TCPSTATED_LADDER_H

#include <stdio.h>

#include "../lib/event.h"

struct ladder;

/* A ladder printing to out; NULL when memory cannot be had. */
struct ladder *ladder_new(FILE *out);

/* Feed every event the tracker emits, in order. */
void ladder_event(struct ladder *l, const struct event *ev);

/* Print a diagram whose CLOSED came last (nothing else will follow it now). */
void ladder_tick(struct ladder *l);

/* Print what is pending and every diagram still open (marked so), then free. */
void ladder_free(struct ladder *l);

#endif
