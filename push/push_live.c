/* push/push_live.c: the bridge from the live core's stream to the push
 * module. The lead connects them with one line:
 *     live_stream_subscribe(stream, push_on_live_change, NULL);
 * The stream lends the fields for the call, so they are copied here; the
 * call only enqueues (quick, never blocks on clients, never publishes). */
#include "push/push_live.h"

#include "push/push.h"

void push_on_live_change(void *ctx, const live_change *c)
{
    (void)ctx;
    if (c && c->topic && c->entity && c->fields)
        push_publish(c->topic, c->entity, json_deep_copy(c->fields));
}
