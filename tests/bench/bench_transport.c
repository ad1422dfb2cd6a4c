/* The transport alone: uploads and downloads SIZE MiB of random bytes
 * through transport_create/remote_write and transport_open/remote_read,
 * and prints MB/s. tests/bench/transport runs it beside OpenSSH's sftp.
 *
 * The upload's time includes remote_commit's fsync@openssh.com, which waits
 * for the server's disk; "writes" is the rate until then, for comparison
 * with an sftp put that does not flush.
 *
 *   bench_transport sftp://127.0.0.1:PORT/DIR USER IDENTITY [MiB] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/resource.h>

#include <openssl/rand.h>

#include "core/transport.h"
#include "core/util.h"

#define PIECE (512 * 1024) /* as the job's queue buffers */

/* CPU seconds this process has used, user + system. */
static double cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
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
	char *path, *tmp;
	bool renamed;
	double t0, tc, c0, up, writes, down, upcpu, downcpu;
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

	t0 = mono_now();
	c0 = cpu();
	tmp = xasprintf("%s.tmp-bench", path);
	if ((f = transport_create(t, tmp, &e)) == NULL)
		return die(&e);
	for (done = 0; done < total; done += PIECE)
		if (remote_write(f, piece, PIECE, &e) != RV_OK)
			return die(&e);
	tc = mono_now();
	writes = (double)total / (tc - t0) / 1e6;
	if (remote_commit(f, path, &renamed, &e) != RV_OK)
		return die(&e);
	tc = mono_now() - tc;
	up = (double)total / (mono_now() - t0) / 1e6;
	upcpu = (cpu() - c0) / (mono_now() - t0);

	t0 = mono_now();
	c0 = cpu();
	if ((f = transport_open(t, path, total, &e)) == NULL)
		return die(&e);
	done = 0;
	while ((n = remote_read(f, piece, PIECE, &e)) > 0)
		done += (size_t)n;
	if (n < 0)
		return die(&e);
	remote_close(f);
	down = (double)done / (mono_now() - t0) / 1e6;
	downcpu = (cpu() - c0) / (mono_now() - t0);
	transport_unlink(t, path, &e);
	printf("upload %.0f writes %.0f download %.0f flush_s %.2f cpu_up %.0f cpu_down %.0f\n",
	       up, writes, down, tc, upcpu * 100, downcpu * 100);
	transport_free(t);
	url_free(&u);
	free(path);
	free(tmp);
	free(piece);
	return done == total ? 0 : 1;
}
