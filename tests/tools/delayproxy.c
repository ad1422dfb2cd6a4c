/* delayproxy: a TCP proxy that behaves like a WAN link, for the WAN
 * benchmark (tests/bench/wan) on a kernel without netem. Every byte is
 * delayed by D ms in each direction and each direction is capped at R
 * bytes per second, as a link of that propagation delay and rate would:
 *
 *   delayproxy --target HOST:PORT --port-file FILE [--listen ADDR:PORT]
 *              [--delay MS] [--rate BYTES_PER_S] [--queue BYTES]
 *              [--log FILE] [--trace FILE] [--max-seconds S]
 *
 * Bytes read from one side are stamped on arrival and queued. With a rate,
 * a virtual clock serialises them: a chunk of n bytes leaves the link at
 * max(clock, arrival) + n / R and the clock moves there; it is released
 * to the other side D ms after that (D ms after arrival without a rate).
 * So delay alone costs no throughput: the queue holds what is "on the
 * wire". A direction stops reading when --queue bytes (default 64 MiB,
 * far above any bandwidth-delay product measured here) wait in it, and
 * TCP's own flow control then holds the sender, as a full router would.
 *
 * Round trips are counted per direction: a burst is a read in one
 * direction that follows a read in the other (the first read of a
 * connection is a burst too); a wait is a burst that came after the
 * direction had been idle for at least D ms, i.e. one whose sender waited
 * for the other side. Client-to-server waits are the round trips an
 * operation cost. When a connection ends its counts are one line of the
 * log ("up" is client to server; "broken" instead of "closed" after a
 * reset, "open at exit:" for one still open when the proxy stops):
 *
 *   delayproxy: conn N: closed up=BYTES down=BYTES up_bursts=B down_bursts=B up_waits=W down_waits=W
 *
 * With --trace, every burst is a line there when it ends:
 *
 *   N up|down BYTES wait|- MS
 *
 * (connection, direction, its bytes, whether it was a wait, its start in
 * ms since the connection opened), so that the round trips of one part
 * of an operation, e.g. those after its last large write, can be counted.
 * The port it listens on is written to --port-file (atomically) once it
 * accepts. It exits 0 on SIGTERM or SIGINT, or after --max-seconds
 * (default 3600), logging the connections still open first; 2 on bad
 * arguments, 1 on a failure to start. One thread, epoll; a timerfd wakes
 * it when the next chunk is due. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define CHUNK_BYTES (32 * 1024)
#define NS_PER_S 1000000000ull
/* Socket buffers asked for with SO_*BUFFORCE when the proxy may (root):
 * without them the kernel's autotuning decides, which is enough on
 * loopback, where the legs to client and server have no delay. */
#define SOCKET_BUFFER_BYTES (8 * 1024 * 1024)

struct chunk {
	struct chunk *next;
	uint64_t due_ns;
	size_t len, off;
	unsigned char data[];
};

struct conn;

/* One direction of a connection: bytes read from `from`, queued, written to `to`. */
struct dir {
	struct conn *conn;
	int from, to;
	struct chunk *head, *tail;
	size_t queued;
	uint64_t clock_ns;       /* virtual clock of the rate limit */
	uint64_t last_read_ns;
	uint64_t bytes, bursts, waits;
	bool eof, shut, blocked; /* read EOF; shut down towards `to`; `to` is full */
};

/* The epoll data of a descriptor: which connection, which side. */
struct end {
	struct conn *conn;
	int fd;
	uint32_t events;         /* what epoll watches; 0: not registered */
};

struct conn {
	unsigned id;
	struct end client, server;
	struct dir up, down;
	struct dir *last;        /* the direction read last */
	uint64_t opened_ns;
	uint64_t burst_bytes, burst_start_ns; /* the burst in progress (--trace) */
	bool burst_wait;
	bool broken;
	struct conn *next;
};

static struct {
	uint64_t delay_ns;
	uint64_t rate;           /* bytes per second, 0: unlimited */
	size_t queue_max;
	struct addrinfo *target;
	FILE *log, *trace;
	int epoll, timer, listen, signals;
	struct conn *conns;
	unsigned next_id;
	struct end listen_end, timer_end, signal_end;
} px;

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("delayproxy: ", px.log);
	vfprintf(px.log, fmt, ap);
	fputc('\n', px.log);
	fflush(px.log);
	va_end(ap);
}

static _Noreturn void usage(const char *why)
{
	fprintf(stderr, "delayproxy: %s\n"
	        "usage: delayproxy --target HOST:PORT --port-file FILE [--listen ADDR:PORT]\n"
	        "                  [--delay MS] [--rate BYTES_PER_S] [--queue BYTES]\n"
	        "                  [--log FILE] [--trace FILE] [--max-seconds S]\n", why);
	exit(2);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static uint64_t parse_u64(const char *s, const char *what)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-') {
		char msg[160];
		snprintf(msg, sizeof msg, "%s wants a whole number, not \"%s\"", what, s);
		usage(msg);
	}
	return v;
}

/* resolve "HOST:PORT" (the last colon separates the port). */
static struct addrinfo *resolve(const char *spec, bool passive)
{
	char host[256];
	const char *colon = strrchr(spec, ':');
	if (!colon || (size_t)(colon - spec) >= sizeof host)
		usage("an address is HOST:PORT");
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = passive ? AI_PASSIVE : 0 };
	struct addrinfo *ai = NULL;
	int rc = getaddrinfo(host, colon + 1, &hints, &ai);
	if (rc) {
		fprintf(stderr, "delayproxy: %s: %s\n", spec, gai_strerror(rc));
		exit(2);
	}
	return ai;
}

static void tune_socket(int fd)
{
	int one = 1, size = SOCKET_BUFFER_BYTES;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	/* Refused unless CAP_NET_ADMIN: autotuning then stays in charge. */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
}

static void watch(struct end *e, uint32_t events, int op)
{
	struct epoll_event ev = { .events = events, .data.ptr = e };
	if (epoll_ctl(px.epoll, op, e->fd, &ev) && op != EPOLL_CTL_DEL)
		logf_("epoll_ctl: %s", strerror(errno));
}

/* The events a side waits for: readable while its outgoing direction has
 * room, writable while its incoming direction has due bytes it refused.
 * A side that waits for nothing leaves epoll, which would otherwise
 * report a hang-up on it again and again. */
static void rearm(struct end *e, struct dir *out, struct dir *in)
{
	uint32_t ev = 0;
	if (!out->eof && out->queued < px.queue_max)
		ev |= EPOLLIN;
	if (in->blocked)
		ev |= EPOLLOUT;
	if (ev == e->events)
		return;
	watch(e, ev, !e->events ? EPOLL_CTL_ADD : ev ? EPOLL_CTL_MOD : EPOLL_CTL_DEL);
	e->events = ev;
}

static void dir_init(struct dir *d, struct conn *c, int from, int to)
{
	*d = (struct dir){ .conn = c, .from = from, .to = to };
}

static void accept_all(void)
{
	for (;;) {
		int cfd = accept4(px.listen, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				logf_("accept: %s", strerror(errno));
			return;
		}
		/* The target is near (loopback in the benchmark): a blocking
		 * connect keeps the loop simple. */
		int sfd = -1;
		for (struct addrinfo *a = px.target; a && sfd < 0; a = a->ai_next) {
			sfd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
			if (sfd >= 0 && connect(sfd, a->ai_addr, a->ai_addrlen)) {
				close(sfd);
				sfd = -1;
			}
		}
		unsigned id = ++px.next_id;
		if (sfd < 0) {
			logf_("conn %u: cannot connect to the target: %s", id, strerror(errno));
			close(cfd);
			continue;
		}
		fcntl(sfd, F_SETFL, fcntl(sfd, F_GETFL) | O_NONBLOCK);
		tune_socket(cfd);
		tune_socket(sfd);
		struct conn *c = calloc(1, sizeof *c);
		if (!c)
			abort();
		c->id = id;
		c->opened_ns = now_ns();
		c->client = (struct end){ c, cfd, EPOLLIN };
		c->server = (struct end){ c, sfd, EPOLLIN };
		dir_init(&c->up, c, cfd, sfd);
		dir_init(&c->down, c, sfd, cfd);
		c->next = px.conns;
		px.conns = c;
		watch(&c->client, EPOLLIN, EPOLL_CTL_ADD);
		watch(&c->server, EPOLLIN, EPOLL_CTL_ADD);
		logf_("conn %u: open", id);
	}
}

static void trace_burst(const struct conn *c)
{
	if (!px.trace || !c->last)
		return;
	fprintf(px.trace, "%u %s %" PRIu64 " %s %" PRIu64 "\n", c->id, c->last == &c->up ? "up" : "down",
	        c->burst_bytes, c->burst_wait ? "wait" : "-", (c->burst_start_ns - c->opened_ns) / 1000000);
	fflush(px.trace);
}

static void note_burst(struct dir *d, uint64_t now, size_t n)
{
	struct conn *c = d->conn;
	if (c->last != d) {
		trace_burst(c);
		d->bursts++;
		c->burst_wait = d->last_read_ns == 0 || now - d->last_read_ns >= px.delay_ns;
		if (c->burst_wait)
			d->waits++;
		c->burst_bytes = 0;
		c->burst_start_ns = now;
	}
	c->burst_bytes += n;
	c->last = d;
	d->last_read_ns = now;
}

/* Reads what `from` has, up to the queue's limit, and stamps it. */
static void pump_in(struct dir *d, uint64_t now)
{
	while (!d->eof && d->queued < px.queue_max) {
		struct chunk *k = malloc(sizeof *k + CHUNK_BYTES);
		if (!k)
			abort();
		ssize_t n = read(d->from, k->data, CHUNK_BYTES);
		if (n <= 0) {
			free(k);
			if (n == 0)
				d->eof = true;
			else if (errno != EAGAIN && errno != EINTR)
				d->conn->broken = true;
			if (n == 0 || errno != EINTR)
				return;
			continue;
		}
		note_burst(d, now, (size_t)n);
		uint64_t leave = now;
		if (px.rate) {
			uint64_t start = d->clock_ns > now ? d->clock_ns : now;
			d->clock_ns = start + (uint64_t)n * NS_PER_S / px.rate;
			leave = d->clock_ns;
		}
		k->next = NULL;
		k->due_ns = leave + px.delay_ns;
		k->len = (size_t)n;
		k->off = 0;
		if (d->tail)
			d->tail->next = k;
		else
			d->head = k;
		d->tail = k;
		d->queued += (size_t)n;
		d->bytes += (uint64_t)n;
	}
}

/* Writes every chunk that is due, until `to` refuses more. */
static void pump_out(struct dir *d, uint64_t now)
{
	d->blocked = false;
	while (d->head && d->head->due_ns <= now) {
		struct chunk *k = d->head;
		ssize_t n = write(d->to, k->data + k->off, k->len - k->off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				d->blocked = true;
			else
				d->conn->broken = true;
			return;
		}
		k->off += (size_t)n;
		if (k->off < k->len)
			continue;
		d->head = k->next;
		if (!d->head)
			d->tail = NULL;
		d->queued -= k->len;
		free(k);
	}
	if (d->eof && !d->head && !d->shut) {
		shutdown(d->to, SHUT_WR);
		d->shut = true;
	}
}

static void free_queue(struct dir *d)
{
	while (d->head) {
		struct chunk *k = d->head;
		d->head = k->next;
		free(k);
	}
}

static void conn_log(const struct conn *c, const char *how)
{
	logf_("conn %u: %s up=%" PRIu64 " down=%" PRIu64 " up_bursts=%" PRIu64
	      " down_bursts=%" PRIu64 " up_waits=%" PRIu64 " down_waits=%" PRIu64,
	      c->id, how, c->up.bytes, c->down.bytes, c->up.bursts, c->down.bursts,
	      c->up.waits, c->down.waits);
}

static void conn_close(struct conn *c, const char *how)
{
	trace_burst(c);
	conn_log(c, how);
	close(c->client.fd);
	close(c->server.fd);
	free_queue(&c->up);
	free_queue(&c->down);
	free(c);
}

/* Moves due bytes, closes finished connections, and returns the earliest
 * time a queued chunk falls due (UINT64_MAX: none). */
static uint64_t service(uint64_t now)
{
	uint64_t next = UINT64_MAX;
	for (struct conn **p = &px.conns; *p;) {
		struct conn *c = *p;
		pump_out(&c->up, now);
		pump_out(&c->down, now);
		if (c->broken || (c->up.shut && c->down.shut)) {
			*p = c->next;
			conn_close(c, c->broken ? "broken" : "closed");
			continue;
		}
		rearm(&c->client, &c->up, &c->down);
		rearm(&c->server, &c->down, &c->up);
		struct dir *ds[] = { &c->up, &c->down };
		for (size_t i = 0; i < 2; i++)
			if (ds[i]->head && !ds[i]->blocked && ds[i]->head->due_ns < next)
				next = ds[i]->head->due_ns;
		p = &c->next;
	}
	return next;
}

static void arm_timer(uint64_t at)
{
	struct itimerspec its = { 0 };
	if (at != UINT64_MAX) {
		its.it_value.tv_sec = (time_t)(at / NS_PER_S);
		its.it_value.tv_nsec = (long)(at % NS_PER_S);
		if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
			its.it_value.tv_nsec = 1;
	}
	timerfd_settime(px.timer, TFD_TIMER_ABSTIME, &its, NULL);
}

static void write_port_file(const char *path, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char host[NI_MAXHOST], port[NI_MAXSERV], tmp[PATH_MAX];
	if (getsockname(fd, (struct sockaddr *)&ss, &len) ||
	    getnameinfo((struct sockaddr *)&ss, len, host, sizeof host, port, sizeof port,
	                NI_NUMERICHOST | NI_NUMERICSERV)) {
		fprintf(stderr, "delayproxy: cannot read the listening port: %s\n", strerror(errno));
		exit(1);
	}
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f || fprintf(f, "%s\n", port) < 0 || fclose(f) || rename(tmp, path)) {
		fprintf(stderr, "delayproxy: cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static int open_listener(const char *spec)
{
	struct addrinfo *ai = resolve(spec, true);
	int fd = -1;
	for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
		int one = 1;
		if (fd >= 0 && (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
		                bind(fd, a->ai_addr, a->ai_addrlen) || listen(fd, 64))) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ai);
	if (fd < 0) {
		fprintf(stderr, "delayproxy: cannot listen on %s: %s\n", spec, strerror(errno));
		exit(1);
	}
	return fd;
}

int main(int argc, char **argv)
{
	const char *target = NULL, *port_file = NULL, *listen_on = "127.0.0.1:0", *log_path = NULL;
	const char *trace_path = NULL;
	uint64_t max_seconds = 3600;
	px.queue_max = 64u << 20;
	px.log = stderr;
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(o, "-h") || !strcmp(o, "--help"))
			usage("a TCP proxy with the delay and rate of a WAN link");
		if (!v)
			usage("every option takes a value");
		i++;
		if (!strcmp(o, "--target"))
			target = v;
		else if (!strcmp(o, "--port-file"))
			port_file = v;
		else if (!strcmp(o, "--listen"))
			listen_on = v;
		else if (!strcmp(o, "--delay"))
			px.delay_ns = parse_u64(v, "--delay (ms)") * 1000000ull;
		else if (!strcmp(o, "--rate"))
			px.rate = parse_u64(v, "--rate (bytes per second, 0 for none)");
		else if (!strcmp(o, "--queue"))
			px.queue_max = (size_t)parse_u64(v, "--queue (bytes)");
		else if (!strcmp(o, "--log"))
			log_path = v;
		else if (!strcmp(o, "--trace"))
			trace_path = v;
		else if (!strcmp(o, "--max-seconds"))
			max_seconds = parse_u64(v, "--max-seconds");
		else
			usage("unknown option");
	}
	if (!target || !port_file)
		usage("--target and --port-file are needed");
	if (px.queue_max < CHUNK_BYTES)
		usage("--queue must be at least 32768 bytes");
	if (log_path && !(px.log = fopen(log_path, "a"))) {
		fprintf(stderr, "delayproxy: cannot open %s: %s\n", log_path, strerror(errno));
		return 1;
	}
	if (trace_path && !(px.trace = fopen(trace_path, "a"))) {
		fprintf(stderr, "delayproxy: cannot open %s: %s\n", trace_path, strerror(errno));
		return 1;
	}
	px.target = resolve(target, false);
	signal(SIGPIPE, SIG_IGN);

	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGALRM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	px.signals = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	px.timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	px.epoll = epoll_create1(EPOLL_CLOEXEC);
	px.listen = open_listener(listen_on);
	if (px.signals < 0 || px.timer < 0 || px.epoll < 0) {
		fprintf(stderr, "delayproxy: cannot set up: %s\n", strerror(errno));
		return 1;
	}
	px.listen_end = (struct end){ NULL, px.listen, EPOLLIN };
	px.timer_end = (struct end){ NULL, px.timer, EPOLLIN };
	px.signal_end = (struct end){ NULL, px.signals, EPOLLIN };
	watch(&px.listen_end, EPOLLIN, EPOLL_CTL_ADD);
	watch(&px.timer_end, EPOLLIN, EPOLL_CTL_ADD);
	watch(&px.signal_end, EPOLLIN, EPOLL_CTL_ADD);
	alarm(max_seconds > UINT_MAX ? UINT_MAX : (unsigned)max_seconds);
	write_port_file(port_file, px.listen);
	logf_("listening on %s, target %s, delay %" PRIu64 " ms, rate %" PRIu64 " B/s",
	      listen_on, target, px.delay_ns / 1000000, px.rate);

	bool running = true;
	while (running) {
		struct epoll_event evs[64];
		int n = epoll_wait(px.epoll, evs, 64, -1);
		if (n < 0 && errno != EINTR) {
			logf_("epoll_wait: %s", strerror(errno));
			return 1;
		}
		uint64_t now = now_ns();
		for (int i = 0; i < n; i++) {
			struct end *e = evs[i].data.ptr;
			if (e == &px.listen_end) {
				accept_all();
			} else if (e == &px.timer_end) {
				uint64_t ticks;
				if (read(px.timer, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
					logf_("timerfd: %s", strerror(errno));
			} else if (e == &px.signal_end) {
				running = false;
			} else if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
				struct conn *c = e->conn;
				pump_in(e == &c->client ? &c->up : &c->down, now);
			}
		}
		arm_timer(service(now_ns()));
	}
	while (px.conns) {
		struct conn *c = px.conns;
		px.conns = c->next;
		conn_close(c, "open at exit:");
	}
	logf_("exiting");
	freeaddrinfo(px.target);
	return 0;
}
