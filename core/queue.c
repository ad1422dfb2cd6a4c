/* queue: mutex + two condition variables over two linked lists. */
#include "core/queue.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "core/util.h"

struct queue {
	pthread_mutex_t lock;
	pthread_cond_t has_free, has_full;
	struct qbuf *free_list;
	struct qbuf *full_head, *full_tail;
	struct qbuf *all;
	size_t nbufs;
	bool closed, aborted;
};

struct queue *queue_new(size_t nbufs, size_t bufsize)
{
	struct queue *q = xcalloc(1, sizeof(*q));

	pthread_condattr_t ca;

	pthread_mutex_init(&q->lock, NULL);
	/* Timed waits count on the monotonic clock: a clock step does not
	 * stretch or cut them. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->has_free, &ca);
	pthread_cond_init(&q->has_full, &ca);
	pthread_condattr_destroy(&ca);
	q->all = xcalloc(nbufs, sizeof(struct qbuf));
	q->nbufs = nbufs;
	for (size_t i = 0; i < nbufs; i++) {
		q->all[i].data = xmalloc(bufsize);
		q->all[i].cap = bufsize;
		q->all[i].next = q->free_list;
		q->free_list = &q->all[i];
	}
	return q;
}

void queue_free(struct queue *q)
{
	if (q == NULL)
		return;
	for (size_t i = 0; i < q->nbufs; i++)
		free(q->all[i].data);
	free(q->all);
	pthread_cond_destroy(&q->has_free);
	pthread_cond_destroy(&q->has_full);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

/* The monotonic time `seconds` from now. */
static struct timespec deadline_in(double seconds)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)seconds;
	ts.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* Waits on cv for at most `seconds` (forever when negative); false once
 * that time has passed. */
static bool wait_on(pthread_cond_t *cv, pthread_mutex_t *lock, const struct timespec *until)
{
	if (until == NULL) {
		pthread_cond_wait(cv, lock);
		return true;
	}
	return pthread_cond_timedwait(cv, lock, until) == 0;
}

struct qbuf *queue_get_free_wait(struct queue *q, double seconds, bool *timed_out)
{
	struct timespec until = deadline_in(seconds > 0 ? seconds : 0);
	struct qbuf *b = NULL;
	bool in_time = true;

	pthread_mutex_lock(&q->lock);
	while (q->free_list == NULL && !q->aborted && in_time)
		in_time = wait_on(&q->has_free, &q->lock, seconds < 0 ? NULL : &until);
	if (!q->aborted && q->free_list != NULL) {
		b = q->free_list;
		q->free_list = b->next;
		b->len = 0;
		b->next = NULL;
	}
	if (timed_out != NULL)
		*timed_out = b == NULL && !q->aborted;
	pthread_mutex_unlock(&q->lock);
	return b;
}

struct qbuf *queue_get_free(struct queue *q)
{
	return queue_get_free_wait(q, -1, NULL);
}

void queue_push(struct queue *q, struct qbuf *b)
{
	pthread_mutex_lock(&q->lock);
	b->next = NULL;
	if (q->full_tail != NULL)
		q->full_tail->next = b;
	else
		q->full_head = b;
	q->full_tail = b;
	pthread_cond_signal(&q->has_full);
	pthread_mutex_unlock(&q->lock);
}

void queue_close(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = true;
	pthread_cond_broadcast(&q->has_full);
	pthread_mutex_unlock(&q->lock);
}

struct qbuf *queue_pop_wait(struct queue *q, double seconds, bool *timed_out)
{
	struct timespec until = deadline_in(seconds > 0 ? seconds : 0);
	struct qbuf *b = NULL;
	bool in_time = true;

	pthread_mutex_lock(&q->lock);
	while (q->full_head == NULL && !q->closed && !q->aborted && in_time)
		in_time = wait_on(&q->has_full, &q->lock, seconds < 0 ? NULL : &until);
	if (!q->aborted && q->full_head != NULL) {
		b = q->full_head;
		q->full_head = b->next;
		if (q->full_head == NULL)
			q->full_tail = NULL;
	}
	if (timed_out != NULL)
		*timed_out = b == NULL && !q->aborted && !q->closed;
	pthread_mutex_unlock(&q->lock);
	return b;
}

struct qbuf *queue_pop(struct queue *q)
{
	return queue_pop_wait(q, -1, NULL);
}

bool queue_ready(struct queue *q)
{
	bool ready;

	pthread_mutex_lock(&q->lock);
	ready = q->full_head != NULL || q->closed || q->aborted;
	pthread_mutex_unlock(&q->lock);
	return ready;
}

void queue_release(struct queue *q, struct qbuf *b)
{
	pthread_mutex_lock(&q->lock);
	b->len = 0;
	b->next = q->free_list;
	q->free_list = b;
	pthread_cond_signal(&q->has_free);
	pthread_mutex_unlock(&q->lock);
}

void queue_abort(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->aborted = true;
	pthread_cond_broadcast(&q->has_free);
	pthread_cond_broadcast(&q->has_full);
	pthread_mutex_unlock(&q->lock);
}

bool queue_aborted(struct queue *q)
{
	bool a;

	pthread_mutex_lock(&q->lock);
	a = q->aborted;
	pthread_mutex_unlock(&q->lock);
	return a;
}
