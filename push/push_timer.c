/* push/push_timer.c: the push thread's timers (pace, sweep, a client's
 * rate-limited changes). Under libev they are libev timers: lws 4.1's
 * libev glue arms its one timer when it fires or after I/O and cannot move
 * an armed timer earlier, so an lws timer scheduled before the armed time
 * waited for it (the 25 ms pace timer waited up to a second). Under lws's
 * poll() loop they are lws timers. Service thread only. */
#include "push/push_server.h"

#include <stddef.h>

static void from_sul(lws_sorted_usec_list_t *sul)
{
    push_timer *t = (push_timer *)((char *)sul - offsetof(push_timer, sul));
    t->fn(t);
}

static void from_ev(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    push_timer *t = (push_timer *)((char *)w - offsetof(push_timer, ev));
    t->fn(t);
}

void push_timer_in(push_timer *t, int64_t us, void (*fn)(push_timer *))
{
    t->fn = fn;
    if (P.loop) {
        /* stopping an idle (zeroed) watcher is a no-op; an inactive one
         * may be set up again */
        ev_timer_stop(P.loop, &t->ev);
        /* the loop's time is from before this callback, which may have
         * been long (a pass over every client): read the clock */
        ev_now_update(P.loop);
        ev_timer_init(&t->ev, from_ev, (double)us / 1e6, 0.);
        ev_timer_start(P.loop, &t->ev);
    } else {
        lws_sul_schedule(P.ctx, 0, &t->sul, from_sul, us);
    }
}

/* Before the loop or the lws context goes away. */
void push_timer_cancel(push_timer *t)
{
    if (P.loop)
        ev_timer_stop(P.loop, &t->ev);
    else
        lws_sul_cancel(&t->sul);   /* unlinks it; no-op when idle */
}
