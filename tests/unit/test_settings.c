/* Settings: round trip, every malformed case refused with FILE:LINE:COLUMN
 * and the file left as it was, mode 0600, atomic replacement. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/lib/shell.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/secret.h"
#include "core/settings.h"
#include "core/url.h"
#include "core/util.h"

static char tmpdir[TEST_TMPDIR_MAX];

static char *path_in(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = xcalloc(1, 1 << 16);

	assert_non_null(f);
	(void)!fread(buf, 1, (1 << 16) - 1, f);
	fclose(f);
	return buf;
}

static void test_defaults_when_missing(void **state)
{
	struct settings s;
	struct err e = { 0 };
	char *p = path_in("missing.yaml");

	(void)state;
	assert_int_equal(settings_load(&s, p, &e), RV_OK);
	assert_int_equal(s.backup.revisions, 10);
	assert_int_equal(s.backup.compression, 2);
	assert_true(s.security.protected_);
	assert_false(s.security.enforced);
	assert_null(s.server.url);
	assert_int_equal(access(p, F_OK), -1); /* loading never creates it */
	settings_free(&s);
	free(p);
}

static void test_round_trip(void **state)
{
	struct settings s, t;
	struct err e = { 0 };
	char *p = path_in("rt/revault.yaml");
	struct stat st;

	(void)state;
	settings_init(&s);
	assert_int_equal(settings_set(&s, "server.url", "sftp://backup@[::1]:2222/srv/backups", &e), RV_OK);
	assert_int_equal(settings_set(&s, "server.username", "yes", &e), RV_OK);
	assert_int_equal(settings_set(&s, "server.auth", "publickey", &e), RV_OK);
	assert_int_equal(settings_set(&s, "server.identity", "/root/.ssh/id_ed25519", &e), RV_OK);
	assert_int_equal(settings_set(&s, "backup.revisions", "7", &e), RV_OK);
	assert_int_equal(settings_set(&s, "backup.device", "0755", &e), RV_OK);
	assert_int_equal(settings_set(&s, "security.enforced", "on", &e), RV_OK);
	assert_int_equal(settings_set(&s, "security.protected", "off", &e), RV_OK);
	assert_int_equal(settings_source_add(&s, "/etc/", &e), RV_OK);
	assert_int_equal(settings_source_add(&s, "/var/lib/app data", &e), RV_OK);
	assert_int_equal(settings_exclude_add(&s, "*.tmp", &e), RV_OK);
	settings_known_host_add(&s, "::1", 2222, "ssh-ed25519",
				"SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU", NULL);
	s.server.password = xstrdup("sealed:v1:AAAA");
	assert_int_equal(settings_save(&s, p, &e), RV_OK);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	assert_int_equal(settings_load(&t, p, &e), RV_OK);
	assert_string_equal(t.server.url, "sftp://backup@[::1]:2222/srv/backups");
	assert_string_equal(t.server.username, "yes"); /* a string, not a boolean */
	assert_int_equal(t.server.auth, AUTH_PUBLICKEY);
	assert_string_equal(t.backup.device, "0755"); /* a string, not octal */
	assert_int_equal(t.backup.revisions, 7);
	assert_true(t.security.enforced);
	assert_false(t.security.protected_);
	assert_int_equal(t.backup.nsources, 2);
	assert_string_equal(t.backup.sources[0], "/etc");
	assert_string_equal(t.backup.sources[1], "/var/lib/app data");
	assert_string_equal(t.backup.exclude[0], "*.tmp");
	assert_int_equal(t.nknown_hosts, 1);
	assert_string_equal(t.known_hosts[0].host, "::1");
	assert_int_equal(t.known_hosts[0].port, 2222);
	assert_string_equal(t.server.password, "sealed:v1:AAAA");
	settings_free(&s);
	settings_free(&t);
	free(p);
}

/* A hand-edited file: each source comes back in its one spelling; a
 * nested pair is kept as written (the backup refuses it, naming both). */
static void test_sources_normalised_on_load(void **state)
{
	struct settings s;
	struct err e = { 0 };
	char *p = path_in("sources.yaml");

	(void)state;
	write_file(p, "backup:\n  sources: [\"//etc/revault\", \"/srv//data/./x/..\", \"/var/\", \"/var/lib\"]\n");
	assert_int_equal(settings_load(&s, p, &e), RV_OK);
	assert_int_equal(s.backup.nsources, 4);
	assert_string_equal(s.backup.sources[0], "/etc/revault");
	assert_string_equal(s.backup.sources[1], "/srv/data");
	assert_string_equal(s.backup.sources[2], "/var");
	assert_string_equal(s.backup.sources[3], "/var/lib");
	settings_free(&s);
	free(p);
}

static void test_empty_string_stays_string(void **state)
{
	struct settings s;
	struct err e = { 0 };
	char *p = path_in("empty.yaml");

	(void)state;
	write_file(p, "backup:\n  sources: [\"/etc\", \"yes\"]\n");
	/* a relative "yes" is refused as a source: it must be absolute */
	assert_int_equal(settings_load(&s, p, &e), RV_USAGE);
	assert_non_null(strstr(e.msg, ":2:"));
	settings_free(&s);
	free(p);
}

struct bad_case {
	const char *text;
	const char *where; /* expected ":LINE:COLUMN:" */
	const char *what;
};

static const struct bad_case bad_cases[] = {
	{ "server:\n  url: [unclosed\n", ":3:1:", "" },                         /* bad YAML */
	{ "server:\n  ur1: \"sftp://h/d\"\n", ":2:3:", "unknown setting" },     /* unknown key */
	{ "servers:\n  url: x\n", ":1:1:", "unknown section" },
	{ "backup:\n  revisions: seven\n", ":2:14:", "whole number" },          /* wrong type */
	{ "backup:\n  revisions: [1]\n", ":2:14:", "single value" },
	{ "backup:\n  revisions: 0\n", ":2:14:", "1 to 1000" },                 /* out of range */
	{ "backup:\n  revisions: 1001\n", ":2:14:", "1 to 1000" },
	{ "backup:\n  revisions: 5\n  revisions: 6\n", ":3:3:", "duplicate key" }, /* duplicate */
	{ "server:\n  url: \"a\"\nserver:\n  url: \"b\"\n", ":3:1:", "duplicate key" },
	{ "security:\n  protected: maybe\n", ":2:14:", "on or off" },
	{ "server:\n  url: \"http://h/d\"\n", ":2:8:", "sftp://" },
	{ "server:\n  url: \"sftp://h:70000/d\"\n", ":2:8:", "port" },
	{ "server:\n  auth: kerberos\n", ":2:9:", "password, publickey or agent" },
	{ "server:\n  password: hunter2\n", ":2:13:", "not sealed" },
	{ "known_hosts:\n  - host: h\n    port: 22\n    type: ssh-foo\n    sha256: \"SHA256:x\"\n", ":2:5:", "" },
	{ "known_hosts:\n  - host: h\n    type: ssh-ed25519\n", ":2:5:", "needs host, port" },
	{ "- a\n- b\n", ":1:1:", "mapping" },
	{ "server: {}\n---\nserver: {}\n", ":3:1:", "one YAML document" },
	{ "server:\n  timeout: -1\n", ":2:12:", "whole number" },
};

static void test_malformed_refused_and_untouched(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad_cases); i++) {
		struct settings s;
		struct err e = { 0 };
		char *p = path_in("bad.yaml"), *before, *after, *expect;

		write_file(p, bad_cases[i].text);
		before = read_file(p);
		assert_int_equal(settings_load(&s, p, &e), RV_USAGE);
		expect = xasprintf("%s%s", p, bad_cases[i].where);
		if (strncmp(e.msg, expect, strlen(expect)) != 0)
			fail_msg("case %zu: got \"%s\", want prefix \"%s\"", i, e.msg, expect);
		if (strstr(e.msg, bad_cases[i].what) == NULL)
			fail_msg("case %zu: \"%s\" does not say \"%s\"", i, e.msg, bad_cases[i].what);
		/* the failed load left defaults, and nothing wrote the file */
		assert_int_equal(s.backup.revisions, 10);
		after = read_file(p);
		assert_string_equal(before, after);
		settings_free(&s);
		free(before);
		free(after);
		free(expect);
		free(p);
	}
}

static void test_set_validation(void **state)
{
	struct settings s;
	struct err e = { 0 };
	static const char *const bad[][2] = {
		{ "backup.revisions", "0" },    { "backup.revisions", "1001" }, { "backup.revisions", "-3" },
		{ "backup.revisions", "" },     { "security.protected", "yes please" },
		{ "server.url", "sftp://" },    { "server.url", "sftp://host" },
		{ "server.url", "sftp://host:0/d" }, { "server.url", "sftp://[::1/d" },
		{ "server.url", "sftp://u:pw@host/d" }, { "server.password", "x" },
		{ "no.such", "x" },             { "server.identity", "relative/key" },
		{ "backup.device", "../up" },   { "ui.theme", "neon" },
	};

	(void)state;
	settings_init(&s);
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		err_clear(&e);
		if (settings_set(&s, bad[i][0], bad[i][1], &e) != RV_USAGE)
			fail_msg("set %s \"%s\" was accepted", bad[i][0], bad[i][1]);
		assert_true(e.msg[0] != '\0');
	}
	assert_int_equal(s.backup.revisions, 10);
	assert_int_equal(settings_set(&s, "backup.revisions", "1000", &e), RV_OK);
	assert_int_equal(settings_set(&s, "backup.revisions", "1", &e), RV_OK);
	settings_free(&s);
}

static void test_url_parse(void **state)
{
	struct sftp_url u;
	struct err e = { 0 };

	(void)state;
	assert_int_equal(url_parse("sftp://branch/vmbackups", &u, &e), RV_OK);
	assert_null(u.user);
	assert_string_equal(u.host, "branch");
	assert_int_equal(u.port, 22);
	assert_string_equal(u.dir, "/vmbackups");
	url_free(&u);
	assert_int_equal(url_parse("sftp://admin@[::1]:2222/a%20b/", &u, &e), RV_OK);
	assert_string_equal(u.user, "admin");
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 2222);
	assert_string_equal(u.dir, "/a b");
	url_free(&u);
	assert_int_equal(url_parse("SFTP://10.0.0.1:22/~/backups", &u, &e), RV_OK);
	assert_string_equal(u.dir, "backups");
	url_free(&u);
	assert_int_equal(url_parse("sftp://h/%00", &u, &e), RV_USAGE);
}

/* Kills the calling process the moment it tries to rename anything: a
 * crash exactly between writing the temporary file and replacing the old. */
static void die_at_rename(void)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_rename, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_renameat, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_renameat2, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	};
	struct sock_fprog prog = { .len = ARRAY_LEN(filter), .filter = filter };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
		_exit(99);
}

static void test_atomic_replace(void **state)
{
	struct settings s, t;
	struct err e = { 0 };
	char *p = path_in("atomic.yaml"), *before, *after;
	pid_t pid;
	int status;

	(void)state;
	settings_init(&s);
	assert_int_equal(settings_set(&s, "backup.revisions", "3", &e), RV_OK);
	assert_int_equal(settings_save(&s, p, &e), RV_OK);
	before = read_file(p);
	pid = fork();
	if (pid == 0) {
		assert_int_equal(settings_set(&s, "backup.revisions", "9", &e), RV_OK);
		die_at_rename();
		settings_save(&s, p, &e);
		_exit(0); /* not reached: the rename kills us */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	after = read_file(p);
	assert_string_equal(before, after);
	assert_int_equal(settings_load(&t, p, &e), RV_OK);
	assert_int_equal(t.backup.revisions, 3);
	settings_free(&t);
	settings_free(&s);
	free(before);
	free(after);
	free(p);
}

static void test_secret_seal(void **state)
{
	struct err e = { 0 };
	char *p = path_in("sec/revault.yaml"), *sealed, *plain, *keyp;
	struct stat st;

	(void)state;
	sealed = secret_seal(p, "server.password", "correct horse", &e);
	assert_non_null(sealed);
	assert_null(strstr(sealed, "correct horse"));
	assert_true(secret_is_sealed(sealed));
	keyp = path_in("sec/secret.key");
	assert_int_equal(stat(keyp, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	plain = secret_open(p, "server.password", sealed, &e);
	assert_non_null(plain);
	assert_string_equal(plain, "correct horse");
	wipe_free_str(plain);
	/* bound to its label */
	assert_null(secret_open(p, "server.identity_passphrase", sealed, &e));
	/* a group-readable secret.key is refused */
	err_clear(&e);
	chmod(keyp, 0640);
	assert_null(secret_open(p, "server.password", sealed, &e));
	assert_non_null(strstr(e.msg, "0600"));
	chmod(keyp, 0600);
	free(sealed);
	free(keyp);
	free(p);
}

static int setup(void **state)
{
	(void)state;
	umask(022);
	return test_tmpdir(tmpdir, "revault-settings");
}

static int teardown(void **state)
{
	(void)state;
	test_tmpdir_remove(tmpdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_when_missing),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_empty_string_stays_string),
		cmocka_unit_test(test_sources_normalised_on_load),
		cmocka_unit_test(test_malformed_refused_and_untouched),
		cmocka_unit_test(test_set_validation),
		cmocka_unit_test(test_url_parse),
		cmocka_unit_test(test_atomic_replace),
		cmocka_unit_test(test_secret_seal),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
