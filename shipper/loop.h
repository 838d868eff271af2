/*
 * loop.h — the event loop: file descriptors, timers and signals.
 *
 * One thread does everything the way tmux does: epoll for descriptors
 * (inotify among them), a sorted list of timers, signalfd for signals.
 * Callbacks run to completion; nothing here needs a lock.
 */
#ifndef SHIPPER_LOOP_H
#define SHIPPER_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

struct loop;
struct loop_timer;

typedef void (*loop_fd_cb)(int fd, uint32_t events, void *arg);
typedef void (*loop_timer_cb)(void *arg);
typedef void (*loop_signal_cb)(int signo, void *arg);

struct loop *loop_new(struct err *e);
void	loop_free(struct loop *l);

/* events: EPOLLIN / EPOLLOUT. */
int	loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_cb cb,
	    void *arg, struct err *e);
/* Changes the events of a registered fd (e.g. EPOLLIN to EPOLLOUT). */
int	loop_mod_fd(struct loop *l, int fd, uint32_t events, struct err *e);
void	loop_del_fd(struct loop *l, int fd);

/* Fires after ms milliseconds, then every ms if repeat. */
struct loop_timer *loop_add_timer(struct loop *l, uint64_t ms, bool repeat,
	    loop_timer_cb cb, void *arg);
void	loop_del_timer(struct loop *l, struct loop_timer *t);
/* Runs the timer at the next turn of the loop. */
void	loop_timer_now(struct loop *l, struct loop_timer *t);

/* Blocks signo and delivers it through the loop. */
int	loop_add_signal(struct loop *l, int signo, loop_signal_cb cb, void *arg,
	    struct err *e);

/* Runs until loop_stop; returns 0, or -1 with e set. */
int	loop_run(struct loop *l, struct err *e);
void	loop_stop(struct loop *l);
/*
 * One turn: due timers, then waits at most timeout_ms (-1: until
 * something happens) for descriptors. For code that runs its own loop
 * around ours, as the backfill does between reads.
 */
int	loop_turn(struct loop *l, int timeout_ms, struct err *e);
bool	loop_stopping(const struct loop *l);

/* Monotonic clock, milliseconds. */
uint64_t loop_now_ms(void);

#endif
