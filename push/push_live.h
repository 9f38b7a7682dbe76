/* push/push_live.h: a live_stream subscriber that forwards every change to
 * push_publish() (see push/push_live.c). */
#ifndef PUSH_LIVE_H
#define PUSH_LIVE_H

#include "live/stream.h"

/* live_stream_fn: copy the change's fields and publish them. */
void push_on_live_change(void *ctx, const live_change *c);

#endif
