/* Transport against a real OpenSSH sshd on 127.0.0.1 (tests/servers/sshd.sh):
 * host key fingerprints as ssh-keygen prints them, pinned-key verdicts and
 * the restriction of the negotiated key type, key authentication, streaming
 * upload and download, exclusive create, non-overwriting rename, listing,
 * mkdirs, and the network failures (refused, silent server, not SSH,
 * cancel from another thread). Skipped (77) when sshd cannot run here
 * (tests/lib/skip.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/lib/shell.h"
#include "tests/lib/skip.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/transport.h"
#include "core/util.h"

struct server {
	char dir[512];
	unsigned port;
	char user[128];
	char key[512];
	char root[512];
	char ed25519_sha256[128], ed25519_md5[128];
	char ecdsa_sha256[128], ecdsa_md5[128];
	char rsa_sha256[128];
	bool up;
	char why[512]; /* why it did not start */
};

static char tmp[TEST_TMPDIR_MAX];
static char sshd_sh[1024];
static struct server srv, rsa_srv;

static void env_value(const char *line, const char *name, char *out, size_t cap)
{
	size_t n = strlen(name);

	if (strncmp(line, name, n) == 0 && line[n] == '=') {
		snprintf(out, cap, "%.*s", (int)cap - 1, line + n + 1);
		out[strcspn(out, "\n")] = '\0';
	}
}

/* Starts an sshd in tmp/NAME; returns sshd.sh's status (77: cannot run
 * here), with what it said in s->why. */
static int server_start(struct server *s, const char *name, const char *opts)
{
	char path[600], line[1024], port[32] = "";
	FILE *f;
	int rc;

	snprintf(s->dir, sizeof(s->dir), "%s/%s", tmp, name);
	rc = sh_status("bash '%s' start '%s' %s 2>'%s.err'", sshd_sh, s->dir, opts, s->dir);
	if (rc != 0) {
		snprintf(path, sizeof(path), "%s.err", s->dir);
		f = fopen(path, "r");
		if (f == NULL || fgets(s->why, sizeof(s->why), f) == NULL)
			snprintf(s->why, sizeof(s->why), "sshd.sh start exited %d", rc);
		s->why[strcspn(s->why, "\n")] = '\0';
		if (f != NULL)
			fclose(f);
		return rc;
	}
	snprintf(path, sizeof(path), "%s/env", s->dir);
	f = fopen(path, "r");
	if (f == NULL)
		return 1;
	while (fgets(line, sizeof(line), f) != NULL) {
		env_value(line, "SSHD_PORT", port, sizeof(port));
		env_value(line, "SSHD_USER", s->user, sizeof(s->user));
		env_value(line, "SSHD_KEY", s->key, sizeof(s->key));
		env_value(line, "SSHD_ROOT", s->root, sizeof(s->root));
		env_value(line, "SSHD_HOSTKEY_ED25519_SHA256", s->ed25519_sha256, sizeof(s->ed25519_sha256));
		env_value(line, "SSHD_HOSTKEY_ED25519_MD5", s->ed25519_md5, sizeof(s->ed25519_md5));
		env_value(line, "SSHD_HOSTKEY_ECDSA_SHA256", s->ecdsa_sha256, sizeof(s->ecdsa_sha256));
		env_value(line, "SSHD_HOSTKEY_ECDSA_MD5", s->ecdsa_md5, sizeof(s->ecdsa_md5));
		env_value(line, "SSHD_HOSTKEY_RSA_SHA256", s->rsa_sha256, sizeof(s->rsa_sha256));
	}
	fclose(f);
	s->port = (unsigned)atoi(port);
	s->up = s->port != 0;
	return s->up ? 0 : 1;
}

static void server_stop(struct server *s)
{
	if (s->up)
		sh_status("bash '%s' stop '%s'", sshd_sh, s->dir);
	s->up = false;
}

/* ---- helpers -------------------------------------------------------- */

/* REVAULT_TEST_VERBOSE=1 shows the messages an operator would read. */
static const char *shown(const char *msg)
{
	if (getenv("REVAULT_TEST_VERBOSE") != NULL)
		fprintf(stderr, "    message: %s\n", msg);
	return msg;
}

struct conn {
	struct sftp_url url;
	struct transport_config cfg;
	struct transport *t;
	struct err e;
};

static void conn_init(struct conn *c, const char *host, unsigned port, const char *dir)
{
	memset(c, 0, sizeof(*c));
	c->url.host = xstrdup(host);
	c->url.port = port;
	c->url.dir = xstrdup(dir);
	c->cfg.url = &c->url;
	c->cfg.username = srv.user;
	c->cfg.auth = AUTH_PUBLICKEY;
	c->cfg.identity = srv.key;
	c->cfg.connect_timeout = 5;
	c->cfg.timeout = 10;
}

static void conn_free(struct conn *c)
{
	transport_free(c->t);
	url_free(&c->url);
}

static struct known_host pin(const char *host, unsigned port, const char *type, const char *sha256,
			     const char *md5)
{
	return (struct known_host){ .host = (char *)host, .port = port, .type = (char *)type,
				    .sha256 = (char *)sha256, .md5 = (char *)md5 };
}

/* Connected, host key accepted, authenticated, SFTP open on srv.root. */
static void conn_ready(struct conn *c)
{
	struct known_host k = pin("127.0.0.1", srv.port, "ssh-ed25519", srv.ed25519_sha256, NULL);

	conn_init(c, "127.0.0.1", srv.port, srv.root);
	c->t = transport_new(&c->cfg);
	assert_int_equal(transport_connect(c->t, &c->e), RV_OK);
	assert_int_equal(transport_check_hostkey(c->t, &k, 1, &c->e), HOSTKEY_MATCH);
	assert_int_equal(transport_auth(c->t, &c->e), RV_OK);
	assert_int_equal(transport_sftp(c->t, &c->e), RV_OK);
}

/* A TCP socket on 127.0.0.1 that listens (and never accepts unless told). */
static int listener(unsigned *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static char *srv_path(const char *name)
{
	return xasprintf("%s/%s", srv.root, name);
}

static uint8_t *random_bytes(size_t n)
{
	uint8_t *b = xmalloc(n);
	FILE *f = fopen("/dev/urandom", "r");

	assert_non_null(f);
	assert_int_equal(fread(b, 1, n, f), n);
	fclose(f);
	return b;
}

/* Uploads data as revault does: to a temporary, committed under path. */
static void put_file(struct transport *t, const char *path, const void *data, size_t n)
{
	struct err e = { 0 };
	char *part = xasprintf("%s.tmp-test", path);
	struct remote_file *f = transport_create(t, part, &e);
	bool renamed;

	assert_non_null(f);
	assert_int_equal(remote_write(f, data, n, &e), RV_OK);
	assert_int_equal(remote_commit(f, path, &renamed, &e), RV_OK);
	assert_true(renamed);
	free(part);
}

/* ---- host keys ------------------------------------------------------ */

static void test_hostkey_fingerprint(void **state)
{
	struct conn c;
	const struct hostkey *hk;

	(void)state;
	conn_init(&c, "127.0.0.1", srv.port, srv.root);
	c.t = transport_new(&c.cfg);
	assert_null(transport_hostkey(c.t));
	assert_int_equal(transport_connect(c.t, &c.e), RV_OK);
	hk = transport_hostkey(c.t);
	assert_non_null(hk);
	/* Nothing pinned: ed25519 is preferred, as OpenSSH does. */
	assert_string_equal(hk->type, "ssh-ed25519");
	assert_string_equal(hk->sha256, srv.ed25519_sha256);
	assert_string_equal(hk->md5, srv.ed25519_md5);
	conn_free(&c);
}

static void test_hostkey_verdicts(void **state)
{
	struct conn c;
	struct err e = { 0 };
	struct known_host k[2];

	(void)state;
	conn_init(&c, "127.0.0.1", srv.port, srv.root);
	c.t = transport_new(&c.cfg);
	assert_int_equal(transport_connect(c.t, &c.e), RV_OK);

	assert_int_equal(transport_check_hostkey(c.t, NULL, 0, &e), HOSTKEY_UNKNOWN);
	assert_int_equal(e.code, RV_HOSTKEY);
	assert_non_null(strstr(shown(e.msg), "revault authenticate"));
	assert_non_null(strstr(shown(e.msg), "revault knownhost add"));

	/* Same key on another port or host is not this server's. */
	err_clear(&e);
	k[0] = pin("127.0.0.1", srv.port + 1, "ssh-ed25519", srv.ed25519_sha256, NULL);
	k[1] = pin("localhost", srv.port, "ssh-ed25519", srv.ed25519_sha256, NULL);
	assert_int_equal(transport_check_hostkey(c.t, k, 2, &e), HOSTKEY_UNKNOWN);

	err_clear(&e);
	k[0] = pin("127.0.0.1", srv.port, "ssh-ed25519", srv.ed25519_sha256, NULL);
	assert_int_equal(transport_check_hostkey(c.t, k, 1, &e), HOSTKEY_MATCH);
	assert_int_equal(e.code, RV_OK);

	k[0] = pin("127.0.0.1", srv.port, "ssh-ed25519", NULL, srv.ed25519_md5);
	assert_int_equal(transport_check_hostkey(c.t, k, 1, &e), HOSTKEY_MATCH);

	/* Same type, another key: the ecdsa fingerprint stands in for it. */
	k[0] = pin("127.0.0.1", srv.port, "ssh-ed25519", srv.ecdsa_sha256, NULL);
	assert_int_equal(transport_check_hostkey(c.t, k, 1, &e), HOSTKEY_CHANGED);
	assert_int_equal(e.code, RV_HOSTKEY);
	assert_non_null(strstr(shown(e.msg), "WARNING"));
	assert_non_null(strstr(shown(e.msg), srv.ecdsa_sha256));
	assert_non_null(strstr(shown(e.msg), srv.ed25519_sha256));
	assert_non_null(strstr(shown(e.msg), "revault knownhost remove 127.0.0.1:"));

	err_clear(&e);
	k[0] = pin("127.0.0.1", srv.port, "ssh-ed25519", NULL, srv.ecdsa_md5);
	assert_int_equal(transport_check_hostkey(c.t, k, 1, &e), HOSTKEY_CHANGED);

	/* A pinned key of another type is a changed key, never a new one. */
	err_clear(&e);
	k[0] = pin("127.0.0.1", srv.port, "ecdsa-sha2-nistp256", srv.ecdsa_sha256, NULL);
	assert_int_equal(transport_check_hostkey(c.t, k, 1, &e), HOSTKEY_CHANGED);
	assert_non_null(strstr(shown(e.msg), "ecdsa-sha2-nistp256"));

	/* Two pins, one of them right. */
	err_clear(&e);
	k[1] = pin("127.0.0.1", srv.port, "ssh-ed25519", srv.ed25519_sha256, NULL);
	assert_int_equal(transport_check_hostkey(c.t, k, 2, &e), HOSTKEY_MATCH);
	conn_free(&c);
}

static void test_pinned_type_restricts_negotiation(void **state)
{
	struct conn c;
	struct known_host k = pin("127.0.0.1", 0, "ecdsa-sha2-nistp256", srv.ecdsa_sha256, NULL);
	struct err e = { 0 };

	(void)state;
	k.port = srv.port;
	conn_init(&c, "127.0.0.1", srv.port, srv.root);
	c.cfg.known = &k;
	c.cfg.nknown = 1;
	c.t = transport_new(&c.cfg);
	assert_int_equal(transport_connect(c.t, &c.e), RV_OK);
	assert_string_equal(transport_hostkey(c.t)->type, "ecdsa-sha2-nistp256");
	assert_string_equal(transport_hostkey(c.t)->sha256, srv.ecdsa_sha256);
	assert_int_equal(transport_check_hostkey(c.t, &k, 1, &e), HOSTKEY_MATCH);
	conn_free(&c);

	/* A type the server lacks: the handshake fails as a host key error. */
	k.type = "ssh-dss";
	conn_init(&c, "127.0.0.1", srv.port, srv.root);
	c.cfg.known = &k;
	c.cfg.nknown = 1;
	c.t = transport_new(&c.cfg);
	assert_int_equal(transport_connect(c.t, &c.e), RV_HOSTKEY);
	assert_non_null(strstr(shown(c.e.msg), "ssh-dss"));
	assert_null(transport_hostkey(c.t));
	conn_free(&c);
}

static void test_rsa_only_server(void **state)
{
	struct conn c;
	struct known_host k;

	(void)state;
	if (!rsa_srv.up)
		SKIP_TEST(rsa_srv.why);
	conn_init(&c, "127.0.0.1", rsa_srv.port, rsa_srv.root);
	c.t = transport_new(&c.cfg);
	assert_int_equal(transport_connect(c.t, &c.e), RV_HOSTKEY);
	assert_non_null(strstr(shown(c.e.msg), "RSA"));
	assert_non_null(strstr(shown(c.e.msg), "ed25519"));
	conn_free(&c);

	k = pin("127.0.0.1", rsa_srv.port, "ssh-rsa", rsa_srv.rsa_sha256, NULL);
	conn_init(&c, "127.0.0.1", rsa_srv.port, rsa_srv.root);
	c.cfg.known = &k;
	c.cfg.nknown = 1;
	c.t = transport_new(&c.cfg);
	assert_int_equal(transport_connect(c.t, &c.e), RV_HOSTKEY);
	assert_non_null(strstr(shown(c.e.msg), "ssh-rsa"));
	assert_non_null(strstr(shown(c.e.msg), "ed25519"));
	conn_free(&c);
}

/* ---- authentication ------------------------------------------------- */

static void test_auth(void **state)
{
	struct conn c;
	char other[600];

	(void)state;
	conn_ready(&c);
	conn_free(&c);

	snprintf(other, sizeof(other), "%s/other_ed25519", tmp);
	assert_int_equal(sh_status("ssh-keygen -q -t ed25519 -N '' -f '%s' </dev/null >/dev/null", other), 0);
	conn_init(&c, "127.0.0.1", srv.port, srv.root);
	c.cfg.identity = other;
	c.t = transport_new(&c.cfg);
	assert_int_equal(transport_connect(c.t, &c.e), RV_OK);
	assert_int_equal(transport_auth(c.t, &c.e), RV_AUTH);
	assert_non_null(strstr(shown(c.e.msg), "refused"));
	assert_non_null(strstr(shown(c.e.msg), srv.user));
	conn_free(&c);

	/* The test server takes keys only. */
	conn_init(&c, "127.0.0.1", srv.port, srv.root);
	c.cfg.auth = AUTH_PASSWORD;
	c.cfg.password = "not-the-password";
	c.t = transport_new(&c.cfg);
	assert_int_equal(transport_connect(c.t, &c.e), RV_OK);
	assert_int_equal(transport_auth(c.t, &c.e), RV_AUTH);
	assert_non_null(strstr(shown(c.e.msg), "password"));
	conn_free(&c);

	/* Encrypted key with the right and the wrong passphrase. */
	assert_int_equal(sh_status("cp '%s' '%s.enc' && ssh-keygen -q -p -N 'pass phrase' -f '%s.enc' >/dev/null",
			    srv.key, other, other), 0);
	snprintf(other + strlen(other), sizeof(other) - strlen(other), ".enc");
	conn_init(&c, "127.0.0.1", srv.port, srv.root);
	c.cfg.identity = other;
	c.cfg.identity_passphrase = "pass phrase";
	c.t = transport_new(&c.cfg);
	assert_int_equal(transport_connect(c.t, &c.e), RV_OK);
	assert_int_equal(transport_auth(c.t, &c.e), RV_OK);
	conn_free(&c);

	conn_init(&c, "127.0.0.1", srv.port, srv.root);
	c.cfg.identity = other;
	c.cfg.identity_passphrase = "wrong";
	c.t = transport_new(&c.cfg);
	assert_int_equal(transport_connect(c.t, &c.e), RV_OK);
	assert_int_equal(transport_auth(c.t, &c.e), RV_AUTH);
	assert_non_null(strstr(shown(c.e.msg), "passphrase"));
	conn_free(&c);
}

static void test_auth_rsa_user_key(void **state)
{
	struct conn c;
	char key[600];

	(void)state;
	snprintf(key, sizeof(key), "%s/user_rsa", tmp);
	assert_int_equal(sh_status("ssh-keygen -q -t rsa -b 2048 -N '' -f '%s' </dev/null >/dev/null && "
			    "cat '%s.pub' >>'%s/authorized_keys'", key, key, srv.dir), 0);
	conn_init(&c, "127.0.0.1", srv.port, srv.root);
	c.cfg.identity = key;
	c.t = transport_new(&c.cfg);
	assert_int_equal(transport_connect(c.t, &c.e), RV_OK);
	if (transport_auth(c.t, &c.e) == RV_OK) {
		/* A libssh2 with rsa-sha2 (1.11+) gets in: nothing to explain. */
		conn_free(&c);
		return;
	}
	assert_int_equal(c.e.code, RV_AUTH);
	assert_non_null(strstr(shown(c.e.msg), "RSA"));
	assert_non_null(strstr(shown(c.e.msg), "ed25519"));
	conn_free(&c);
}

/* A private ssh-agent holding the server's user key, then none. */
static void test_auth_agent(void **state)
{
	struct conn c;
	char sock[600], pidline[64] = "", *cmd;
	const char *saved = getenv("SSH_AUTH_SOCK");
	FILE *p;

	(void)state;
	snprintf(sock, sizeof(sock), "%s/agent.sock", tmp);
	cmd = xasprintf("ssh-agent -a '%s' -s | sed -n 's/^SSH_AGENT_PID=\\([0-9]*\\).*/\\1/p'", sock);
	p = popen(cmd, "r");
	free(cmd);
	assert_non_null(p);
	assert_non_null(fgets(pidline, sizeof(pidline), p));
	pclose(p);
	assert_true(atoi(pidline) > 0);
	setenv("SSH_AUTH_SOCK", sock, 1);

	conn_init(&c, "127.0.0.1", srv.port, srv.root);
	c.cfg.auth = AUTH_AGENT;
	c.t = transport_new(&c.cfg);
	assert_int_equal(transport_connect(c.t, &c.e), RV_OK);
	assert_int_equal(transport_auth(c.t, &c.e), RV_AUTH);
	assert_non_null(strstr(shown(c.e.msg), "ssh-add"));
	conn_free(&c);

	assert_int_equal(sh_status("SSH_AUTH_SOCK='%s' ssh-add -q '%s' 2>/dev/null", sock, srv.key), 0);
	conn_init(&c, "127.0.0.1", srv.port, srv.root);
	c.cfg.auth = AUTH_AGENT;
	c.t = transport_new(&c.cfg);
	assert_int_equal(transport_connect(c.t, &c.e), RV_OK);
	assert_int_equal(transport_auth(c.t, &c.e), RV_OK);
	assert_int_equal(transport_sftp(c.t, &c.e), RV_OK);
	conn_free(&c);

	sh_status("kill %d", atoi(pidline));
	if (saved != NULL)
		setenv("SSH_AUTH_SOCK", saved, 1);
	else
		unsetenv("SSH_AUTH_SOCK");
}

static void test_sftp_directory_checks(void **state)
{
	struct conn c;
	char *file = srv_path("plainfile");

	(void)state;
	assert_int_equal(sh_status("touch '%s'", file), 0);
	conn_ready(&c);
	transport_free(c.t);
	free(c.url.dir);
	c.url.dir = srv_path("missing");
	c.t = transport_new(&c.cfg);
	assert_int_equal(transport_connect(c.t, &c.e), RV_OK);
	assert_int_equal(transport_auth(c.t, &c.e), RV_OK);
	assert_int_equal(transport_sftp(c.t, &c.e), RV_FAIL);
	assert_non_null(strstr(shown(c.e.msg), "does not exist"));
	assert_non_null(strstr(shown(c.e.msg), c.url.dir));

	transport_free(c.t);
	free(c.url.dir);
	c.url.dir = xstrdup(file);
	c.t = transport_new(&c.cfg);
	err_clear(&c.e);
	assert_int_equal(transport_connect(c.t, &c.e), RV_OK);
	assert_int_equal(transport_auth(c.t, &c.e), RV_OK);
	assert_int_equal(transport_sftp(c.t, &c.e), RV_FAIL);
	assert_non_null(strstr(shown(c.e.msg), "not a directory"));

	/* Relative to the login directory (sftp://host/~/dir): the message
	 * names the directory as the server resolves it. */
	transport_free(c.t);
	free(c.url.dir);
	c.url.dir = xstrdup("revault-no-such-dir");
	c.t = transport_new(&c.cfg);
	err_clear(&c.e);
	assert_int_equal(transport_connect(c.t, &c.e), RV_OK);
	assert_int_equal(transport_auth(c.t, &c.e), RV_OK);
	assert_int_equal(transport_sftp(c.t, &c.e), RV_FAIL);
	assert_non_null(strstr(shown(c.e.msg), "/revault-no-such-dir does not exist"));
	conn_free(&c);
	free(file);
}

/* ---- files ---------------------------------------------------------- */

static void test_upload_download(void **state)
{
	const size_t size = 5 * 1000 * 1000 + 17;
	struct conn c;
	uint8_t *data = random_bytes(size), *back = xmalloc(size + 1);
	char *path = srv_path("big.bin"), *part = srv_path("big.bin.tmp-test");
	struct remote_file *f;
	bool renamed;
	struct stat st;
	size_t off = 0, piece = 1;
	long n;

	(void)state;
	conn_ready(&c);
	f = transport_create(c.t, part, &c.e);
	assert_non_null(f);
	/* Pieces of odd and growing sizes cross the window boundaries. */
	while (off < size) {
		size_t len = piece < size - off ? piece : size - off;

		assert_int_equal(remote_write(f, data + off, len, &c.e), RV_OK);
		off += len;
		piece = piece * 3 + 7;
		if (piece > 3 * 1024 * 1024)
			piece = 4093;
	}
	transport_idle(c.t);
	assert_int_equal(remote_commit(f, path, &renamed, &c.e), RV_OK);
	assert_int_not_equal(access(part, F_OK), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, size);
	assert_int_equal(st.st_mode & 0777, 0600);

	f = transport_open(c.t, path, size, &c.e);
	assert_non_null(f);
	off = 0;
	piece = 1;
	while ((n = remote_read(f, back + off, size + 1 - off < piece ? size + 1 - off : piece, &c.e)) > 0) {
		off += (size_t)n;
		piece = piece * 5 + 3;
		if (piece > 4 * 1024 * 1024)
			piece = 65536;
	}
	assert_int_equal(n, 0);
	assert_int_equal(off, size);
	assert_memory_equal(back, data, size);
	remote_close(f);

	f = transport_open(c.t, path, REMOTE_SIZE_UNKNOWN, &c.e);
	assert_non_null(f);
	n = remote_read(f, back, size, &c.e);
	assert_true(n > 0);
	remote_close(f);
	conn_free(&c);
	free(data);
	free(back);
	free(path);
	free(part);
}

static void test_create_exclusive_and_abort(void **state)
{
	struct conn c;
	char *path = srv_path("excl.bin"), *gone = srv_path("missing/x.bin");
	struct remote_file *f;
	struct err e = { 0 };

	(void)state;
	conn_ready(&c);
	put_file(c.t, path, "first", 5);
	f = transport_create(c.t, path, &e);
	assert_null(f);
	assert_int_equal(e.code, RV_FAIL);
	assert_non_null(strstr(shown(e.msg), "exists already"));
	assert_int_equal(sh_status("[ \"$(cat '%s')\" = first ]", path), 0);

	err_clear(&e);
	assert_null(transport_open(c.t, gone, REMOTE_SIZE_UNKNOWN, &e));
	assert_non_null(strstr(shown(e.msg), "no such file"));
	assert_non_null(strstr(shown(e.msg), gone));

	/* Abort leaves what was written for the caller to unlink. */
	assert_int_equal(transport_unlink(c.t, path, &c.e), RV_OK);
	f = transport_create(c.t, path, &c.e);
	assert_non_null(f);
	assert_int_equal(remote_write(f, "partial", 7, &c.e), RV_OK);
	remote_abort(f);
	assert_int_equal(transport_unlink(c.t, path, &c.e), RV_OK);
	assert_int_not_equal(access(path, F_OK), 0);
	err_clear(&e);
	assert_int_equal(transport_unlink(c.t, path, &e), RV_FAIL);
	assert_non_null(strstr(shown(e.msg), path));
	conn_free(&c);
	free(path);
	free(gone);
}

static void test_rename_never_overwrites(void **state)
{
	struct conn c;
	char *a = srv_path("ren-a"), *b = srv_path("ren-b"), *d = srv_path("ren-c");
	struct err e = { 0 };

	(void)state;
	conn_ready(&c);
	put_file(c.t, a, "aaa", 3);
	put_file(c.t, b, "bbb", 3);
	assert_int_equal(transport_rename(c.t, a, b, &e), RV_FAIL);
	assert_non_null(strstr(shown(e.msg), "exists already"));
	assert_int_equal(sh_status("[ \"$(cat '%s')\" = bbb ] && [ \"$(cat '%s')\" = aaa ]", b, a), 0);
	assert_int_equal(transport_rename(c.t, a, d, &c.e), RV_OK);
	assert_int_equal(sh_status("[ \"$(cat '%s')\" = aaa ] && [ ! -e '%s' ]", d, a), 0);
	conn_free(&c);
	free(a);
	free(b);
	free(d);
}

/* A 1 MiB tmpfs as the server's disk (root only; skipped otherwise). */
static void test_disk_full(void **state)
{
	const size_t size = 3 << 20;
	struct conn c;
	char *small = srv_path("small"), *path = srv_path("small/full.bin");
	uint8_t *data = random_bytes(size);
	struct remote_file *f;
	struct err e = { 0 };
	int rc;

	*state = small;
	if (geteuid() != 0 ||
	    sh_status("mkdir -p '%s' && mount -t tmpfs -o size=1m,mode=0755 revault-test '%s' 2>/dev/null", small,
		      small) != 0) {
		free(path);
		free(data);
		SKIP_TEST(geteuid() != 0 ? "the full server disk needs root (mount)"
					 : "cannot mount a tmpfs for the server's disk here");
	}
	conn_ready(&c);
	f = transport_create(c.t, path, &c.e);
	assert_non_null(f);
	rc = remote_write(f, data, size, &e);
	if (rc == RV_OK) {
		char *final = srv_path("small/full.final");
		bool renamed;

		rc = remote_commit(f, final, &renamed, &e);
		free(final);
	} else {
		remote_abort(f);
	}
	assert_int_equal(rc, RV_FAIL);
	assert_non_null(strstr(shown(e.msg), "disk full"));
	assert_non_null(strstr(e.msg, path));
	/* The session is still usable. */
	assert_int_equal(transport_unlink(c.t, path, &c.e), RV_OK);
	conn_free(&c);
	free(path);
	free(data);
}

static int unmount_small(void **state)
{
	if (*state != NULL) {
		sh_status("umount -l '%s' 2>/dev/null", (char *)*state);
		free(*state);
	}
	return 0;
}

static int by_name(const void *x, const void *y)
{
	return strcmp(((const struct remote_entry *)x)->name, ((const struct remote_entry *)y)->name);
}

static void test_list_and_mkdirs(void **state)
{
	struct conn c;
	char *dir = srv_path("tree/one/two"), *file, *top = srv_path("tree");
	struct remote_entry *v;
	size_t n;
	struct err e = { 0 };
	struct stat st;

	(void)state;
	conn_ready(&c);
	assert_int_equal(transport_mkdirs(c.t, dir, &c.e), RV_OK);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(transport_mkdirs(c.t, dir, &c.e), RV_OK);
	file = xasprintf("%s/f.txt", top);
	put_file(c.t, file, "hello world", 11);

	assert_int_equal(transport_list(c.t, top, &v, &n, &c.e), RV_OK);
	assert_int_equal(n, 2);
	qsort(v, n, sizeof(*v), by_name);
	assert_string_equal(v[0].name, "f.txt");
	assert_int_equal(v[0].size, 11);
	assert_false(v[0].is_dir);
	assert_true(v[0].mtime > 1000000000);
	assert_string_equal(v[1].name, "one");
	assert_true(v[1].is_dir);
	remote_entries_free(v, n);

	/* A file in the way. */
	free(dir);
	dir = xasprintf("%s/sub", file);
	assert_int_equal(transport_mkdirs(c.t, dir, &e), RV_FAIL);
	assert_non_null(strstr(shown(e.msg), file));

	err_clear(&e);
	assert_int_equal(transport_list(c.t, dir, &v, &n, &e), RV_FAIL);
	assert_null(v);
	assert_int_equal(n, 0);
	conn_free(&c);
	free(dir);
	free(file);
	free(top);
}

/* ---- network failures ----------------------------------------------- */

static void test_refused_and_unresolvable(void **state)
{
	struct conn c;
	unsigned port;
	int fd = listener(&port);
	char want[128];

	(void)state;
	close(fd);
	conn_init(&c, "127.0.0.1", port, "/");
	c.t = transport_new(&c.cfg);
	assert_int_equal(transport_connect(c.t, &c.e), RV_FAIL);
	snprintf(want, sizeof(want), "cannot connect to 127.0.0.1:%u: connection refused: nothing listens on port %u",
		 port, port);
	assert_non_null(strstr(shown(c.e.msg), want));
	conn_free(&c);

	/* An IPv6 literal, where the host has IPv6 (sshd listens on 127.0.0.1 only). */
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (fd >= 0) {
		struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };

		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
			close(fd);
			fd = -1;
			conn_init(&c, "::1", srv.port, "/");
			c.t = transport_new(&c.cfg);
			assert_int_equal(transport_connect(c.t, &c.e), RV_FAIL);
			snprintf(want, sizeof(want), "cannot connect to [::1]:%u: connection refused: nothing "
				 "listens on port %u", srv.port, srv.port);
			assert_non_null(strstr(shown(c.e.msg), want));
			conn_free(&c);
		}
		if (fd >= 0)
			close(fd);
	}

	conn_init(&c, "no-such-host.invalid", 22, "/");
	c.t = transport_new(&c.cfg);
	assert_int_equal(transport_connect(c.t, &c.e), RV_FAIL);
	assert_non_null(strstr(shown(c.e.msg), "cannot resolve no-such-host.invalid"));
	conn_free(&c);
}

static void test_silent_server_times_out(void **state)
{
	struct conn c;
	unsigned port;
	int fd = listener(&port);
	double t0;

	(void)state;
	conn_init(&c, "127.0.0.1", port, "/");
	c.cfg.connect_timeout = 2;
	c.cfg.timeout = 2;
	c.t = transport_new(&c.cfg);
	t0 = mono_now();
	assert_int_equal(transport_connect(c.t, &c.e), RV_FAIL);
	assert_true(mono_now() - t0 < 4.0);
	assert_true(mono_now() - t0 > 1.5);
	assert_non_null(strstr(shown(c.e.msg), "timed out"));
	conn_free(&c);
	close(fd);
}

struct later {
	struct transport *t;
	int fd;
};

static void *interrupt_later(void *arg)
{
	struct later *l = arg;

	usleep(300 * 1000);
	transport_interrupt(l->t);
	return NULL;
}

static void test_interrupt_unblocks(void **state)
{
	struct conn c;
	unsigned port;
	int fd = listener(&port);
	struct later l;
	pthread_t th;
	double t0;

	(void)state;
	conn_init(&c, "127.0.0.1", port, "/");
	c.cfg.timeout = 60;
	c.t = transport_new(&c.cfg);
	l.t = c.t;
	assert_int_equal(pthread_create(&th, NULL, interrupt_later, &l), 0);
	t0 = mono_now();
	assert_int_equal(transport_connect(c.t, &c.e), RV_FAIL);
	assert_true(mono_now() - t0 < 3.0);
	assert_non_null(strstr(shown(c.e.msg), "cancelled"));
	pthread_join(th, NULL);
	conn_free(&c);
	close(fd);

	/* In the middle of a download from the real server. */
	{
		const size_t size = 8 << 20;
		uint8_t *data = random_bytes(size);
		char *path = srv_path("cancel.bin");
		struct remote_file *f;
		long n = 1;
		int reads = 0;

		conn_ready(&c);
		put_file(c.t, path, data, size);
		f = transport_open(c.t, path, size, &c.e);
		assert_non_null(f);
		l.t = c.t;
		assert_int_equal(pthread_create(&th, NULL, interrupt_later, &l), 0);
		t0 = mono_now();
		while (n > 0 && mono_now() - t0 < 10) {
			n = remote_read(f, data, 4096, &c.e);
			if (n > 0 && ++reads % 64 == 0)
				usleep(20 * 1000); /* slow reader, so the cancel lands mid-file */
		}
		assert_int_equal(n, -1);
		assert_true(mono_now() - t0 < 5.0);
		pthread_join(th, NULL);
		remote_close(f);
		assert_null(transport_create(c.t, path, &c.e));
		conn_free(&c);
		free(path);
		free(data);
	}
}

static void *speak_http(void *arg)
{
	struct later *l = arg;
	static const char reply[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
	int c = accept(l->fd, NULL, NULL);

	if (c >= 0) {
		ssize_t w = write(c, reply, sizeof(reply) - 1);

		(void)w;
		usleep(200 * 1000);
		close(c);
	}
	return NULL;
}

static void test_not_an_ssh_server(void **state)
{
	struct conn c;
	unsigned port;
	struct later l;
	pthread_t th;
	char want[128];

	(void)state;
	l.fd = listener(&port);
	assert_int_equal(pthread_create(&th, NULL, speak_http, &l), 0);
	conn_init(&c, "127.0.0.1", port, "/");
	c.t = transport_new(&c.cfg);
	assert_int_equal(transport_connect(c.t, &c.e), RV_FAIL);
	snprintf(want, sizeof(want), "127.0.0.1:%u is not an SSH server", port);
	assert_non_null(strstr(shown(c.e.msg), want));
	pthread_join(th, NULL);
	conn_free(&c);
	close(l.fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostkey_fingerprint),
		cmocka_unit_test(test_hostkey_verdicts),
		cmocka_unit_test(test_pinned_type_restricts_negotiation),
		cmocka_unit_test(test_rsa_only_server),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_auth_rsa_user_key),
		cmocka_unit_test(test_auth_agent),
		cmocka_unit_test(test_sftp_directory_checks),
		cmocka_unit_test(test_upload_download),
		cmocka_unit_test(test_create_exclusive_and_abort),
		cmocka_unit_test(test_rename_never_overwrites),
		cmocka_unit_test(test_list_and_mkdirs),
		cmocka_unit_test_teardown(test_disk_full, unmount_small),
		cmocka_unit_test(test_refused_and_unresolvable),
		cmocka_unit_test(test_silent_server_times_out),
		cmocka_unit_test(test_interrupt_unblocks),
		cmocka_unit_test(test_not_an_ssh_server),
	};
	const char *src = getenv("REVAULT_SOURCE_DIR");
	int rc;

	if (src != NULL)
		snprintf(sshd_sh, sizeof(sshd_sh), "%s/tests/servers/sshd.sh", src);
	else
		snprintf(sshd_sh, sizeof(sshd_sh), "servers/sshd.sh");
	if (access(sshd_sh, R_OK) != 0)
		return skip_exit("tests/servers/sshd.sh is not found (REVAULT_SOURCE_DIR is not set: run through ctest)");
	if (test_tmpdir(tmp, "revault-transport") != 0) {
		perror("mkdtemp");
		return 1;
	}
	rc = server_start(&srv, "main", "");
	if (rc != 0) {
		sh_status("rm -rf '%s'", tmp);
		if (rc == 77)
			return skip_exit(srv.why);
		fprintf(stderr, "FAIL: sshd.sh start: %s\n", srv.why);
		return 1;
	}
	if (server_start(&rsa_srv, "rsa", "--rsa-only") != 0)
		fprintf(stderr, "note: the RSA-only sshd did not start: %s\n", rsa_srv.why);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	server_stop(&rsa_srv);
	server_stop(&srv);
	sh_status("rm -rf '%s'", tmp);
	return rc;
}
