/* The transport alone: uploads and downloads SIZE MiB of random bytes
 * through transport_create/remote_write and transport_open/remote_read,
 * and prints MB/s. tests/bench/transport runs it beside OpenSSH's sftp.
 *
 *   bench_transport sftp://127.0.0.1:PORT/DIR USER IDENTITY [MiB] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "core/transport.h"
#include "core/util.h"

#define PIECE (256 * 1024)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int die(const struct err *e)
{
	fprintf(stderr, "bench_transport: %s\n", e->msg);
	return 1;
}

int main(int argc, char **argv)
{
	struct sftp_url u;
	struct err e = { 0 };
	struct transport *t;
	struct remote_file *f;
	uint8_t *piece;
	size_t total, done;
	char *path;
	double t0, up, down;
	long n;

	if (argc < 4) {
		fprintf(stderr, "usage: bench_transport URL USER IDENTITY [MiB]\n");
		return 2;
	}
	total = (argc > 4 ? strtoul(argv[4], NULL, 10) : 512) << 20;
	if (url_parse(argv[1], &u, &e) != RV_OK)
		return die(&e);
	struct transport_config c = {
		.url = &u, .username = argv[2], .auth = AUTH_PUBLICKEY, .identity = argv[3],
		.connect_timeout = 10, .timeout = 60,
	};
	t = transport_new(&c);
	if (transport_connect(t, &e) != RV_OK || transport_auth(t, &e) != RV_OK ||
	    transport_sftp(t, &e) != RV_OK)
		return die(&e);
	piece = xmalloc(PIECE);
	RAND_bytes(piece, PIECE);
	path = xasprintf("%s/bench-transport.bin", u.dir);
	transport_unlink(t, path, &e);
	err_clear(&e);

	t0 = now();
	if ((f = transport_create(t, path, &e)) == NULL)
		return die(&e);
	for (done = 0; done < total; done += PIECE)
		if (remote_write(f, piece, PIECE, &e) != RV_OK)
			return die(&e);
	if (remote_commit(f, &e) != RV_OK)
		return die(&e);
	up = (double)total / (now() - t0) / 1e6;

	t0 = now();
	if ((f = transport_open(t, path, &e)) == NULL)
		return die(&e);
	done = 0;
	while ((n = remote_read(f, piece, PIECE, &e)) > 0)
		done += (size_t)n;
	if (n < 0)
		return die(&e);
	remote_close(f);
	down = (double)done / (now() - t0) / 1e6;
	transport_unlink(t, path, &e);
	printf("revault transport: upload %.0f MB/s, download %.0f MB/s\n", up, down);
	transport_free(t);
	url_free(&u);
	free(path);
	free(piece);
	return done == total ? 0 : 1;
}
