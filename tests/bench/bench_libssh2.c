/* libssh2 alone, without revault's transport: the smallest sliding-window
 * upload libssh2 1.10 allows (each libssh2_sftp_write gets the next WINDOW
 * bytes from the current offset; libssh2 skips what it already sent and
 * returns when the oldest request is acknowledged). No fsync. It shows
 * what the library itself reaches on this machine, so that
 * tests/bench/transport can tell the library's cost from the transport's.
 *
 *   bench_libssh2 PORT USER IDENTITY SHA256-FINGERPRINT REMOTE-PATH [MiB] [WINDOW-KiB]
 *
 * Connects to 127.0.0.1:PORT and refuses a host key other than the given
 * ed25519 key's SHA256 fingerprint (as ssh-keygen -l prints it). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libssh2.h>
#include <libssh2_sftp.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/util.h"

static int fail(const char *what, LIBSSH2_SESSION *s)
{
	char *msg = NULL;

	if (s != NULL)
		libssh2_session_last_error(s, &msg, NULL, 0);
	fprintf(stderr, "bench_libssh2: %s%s%s\n", what, msg ? ": " : "", msg ? msg : "");
	return 1;
}

/* The server's key against "SHA256:base64", compared without padding. */
static int hostkey_matches(LIBSSH2_SESSION *s, const char *want)
{
	const unsigned char *h = (const unsigned char *)libssh2_hostkey_hash(s, LIBSSH2_HOSTKEY_HASH_SHA256);
	unsigned char b64[48];
	int n;

	if (h == NULL || strncmp(want, "SHA256:", 7) != 0)
		return 0;
	n = EVP_EncodeBlock(b64, h, 32);
	while (n > 0 && b64[n - 1] == '=')
		n--;
	return strlen(want + 7) == (size_t)n && memcmp(want + 7, b64, (size_t)n) == 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	LIBSSH2_SESSION *s;
	LIBSSH2_SFTP *sftp;
	LIBSSH2_SFTP_HANDLE *h;
	size_t total, window, off = 0;
	char *data;
	double t0;
	int fd, on = 1;

	if (argc < 6) {
		fprintf(stderr, "usage: bench_libssh2 PORT USER IDENTITY SHA256-FINGERPRINT PATH [MiB] [WINDOW-KiB]\n");
		return 2;
	}
	total = (argc > 6 ? strtoul(argv[6], NULL, 10) : 512) << 20;
	window = (argc > 7 ? strtoul(argv[7], NULL, 10) : 1024) << 10;
	if (total == 0 || window == 0)
		return fail("size and window must be positive", NULL);
	a.sin_port = htons((uint16_t)strtoul(argv[1], NULL, 10));
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (libssh2_init(0) != 0)
		return fail("libssh2_init", NULL);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		return fail("cannot connect to 127.0.0.1", NULL);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)); /* as core/transport.c */
	s = libssh2_session_init();
	if (s == NULL)
		return fail("libssh2_session_init", NULL);
	/* The fingerprint given is the ed25519 key's; the cipher is the one
	 * core/transport.c prefers on libssh2 1.10. */
	libssh2_session_method_pref(s, LIBSSH2_METHOD_HOSTKEY, "ssh-ed25519");
	libssh2_session_method_pref(s, LIBSSH2_METHOD_CRYPT_CS, "aes128-ctr");
	libssh2_session_method_pref(s, LIBSSH2_METHOD_CRYPT_SC, "aes128-ctr");
	if (libssh2_session_handshake(s, fd) != 0)
		return fail("handshake", s);
	if (!hostkey_matches(s, argv[4]))
		return fail("the server's host key is not the one given", NULL);
	if (libssh2_userauth_publickey_fromfile(s, argv[2], NULL, argv[3], NULL) != 0)
		return fail("authentication", s);
	sftp = libssh2_sftp_init(s);
	if (sftp == NULL)
		return fail("sftp", s);
	h = libssh2_sftp_open(sftp, argv[5], LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC, 0600);
	if (h == NULL)
		return fail("open", s);
	data = malloc(total);
	if (data == NULL)
		return fail("out of memory", NULL);
	RAND_bytes((unsigned char *)data, (int)(total < 1 << 20 ? total : 1 << 20));
	for (size_t i = 1 << 20; i < total; i += 1 << 20)
		memcpy(data + i, data, total - i < 1 << 20 ? total - i : 1 << 20);

	t0 = mono_now();
	while (off < total) {
		ssize_t n = libssh2_sftp_write(h, data + off, total - off < window ? total - off : window);

		if (n < 0)
			return fail("write", s);
		off += (size_t)n;
	}
	printf("libssh2 %s upload %.0f MB/s (window %zu KiB, %s + %s)\n", LIBSSH2_VERSION,
	       (double)total / (mono_now() - t0) / 1e6, window >> 10,
	       libssh2_session_methods(s, LIBSSH2_METHOD_CRYPT_CS),
	       libssh2_session_methods(s, LIBSSH2_METHOD_MAC_CS));
	libssh2_sftp_close(h);
	libssh2_sftp_unlink(sftp, argv[5]);
	libssh2_sftp_shutdown(sftp);
	libssh2_session_disconnect(s, "done");
	libssh2_session_free(s);
	close(fd);
	free(data);
	libssh2_exit();
	return 0;
}
