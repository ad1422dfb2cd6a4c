/* queue: a bounded queue of byte buffers between the archive thread and the
 * SFTP thread. A fixed pool of buffers circulates between a free list and a
 * full list, so memory stays constant whatever the size of the backup. */
#ifndef REVAULT_CORE_QUEUE_H
#define REVAULT_CORE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct qbuf {
	uint8_t *data;
	size_t len;
	size_t cap;
	struct qbuf *next;
};

struct queue;

struct queue *queue_new(size_t nbufs, size_t bufsize);
void queue_free(struct queue *q);

/* Producer: take an empty buffer (blocks while all are in use), fill it,
 * push it. NULL when the queue was aborted. */
struct qbuf *queue_get_free(struct queue *q);
/* Producer: as queue_get_free, waiting at most `seconds`; *timed_out says
 * when it returned NULL for that reason only. */
struct qbuf *queue_get_free_wait(struct queue *q, double seconds, bool *timed_out);
void queue_push(struct queue *q, struct qbuf *b);
/* Producer: no more buffers will come. */
void queue_close(struct queue *q);

/* Consumer: the next full buffer (blocks), NULL at the end or on abort;
 * queue_aborted() tells which. Hand the buffer back with queue_release. */
struct qbuf *queue_pop(struct queue *q);
/* Consumer: as queue_pop, waiting at most `seconds`; *timed_out says when
 * it returned NULL for that reason only. */
struct qbuf *queue_pop_wait(struct queue *q, double seconds, bool *timed_out);
/* Consumer: whether queue_pop would return at once. */
bool queue_ready(struct queue *q);
void queue_release(struct queue *q, struct qbuf *b);

/* Either side: stop, waking everyone. */
void queue_abort(struct queue *q);
bool queue_aborted(struct queue *q);

#endif
