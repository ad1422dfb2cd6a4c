/* Host and port as the operator types them (url_parse_hostport), written
 * back (url_format_hostport), and the host part of the server URL: a table
 * of accepted and refused texts, every accepted one read back from both
 * written forms, and the user of a URL ending at its last '@'. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/url.h"

struct hp_case {
	const char *text;
	const char *host; /* NULL: refused */
	unsigned port;
	const char *why;  /* refused: a part of the message */
};

static const struct hp_case cases[] = {
	/* names and IPv4 addresses */
	{ "files.example.com", "files.example.com", 22, NULL },
	{ "files.example.com:2222", "files.example.com", 2222, NULL },
	{ "h:22", "h", 22, NULL },
	{ "h:1", "h", 1, NULL },
	{ "h:65535", "h", 65535, NULL },
	{ "h:00022", "h", 22, NULL },
	{ "backup_host-1.example", "backup_host-1.example", 22, NULL },
	{ "10.0.0.1", "10.0.0.1", 22, NULL },
	{ "10.0.0.1:2200", "10.0.0.1", 2200, NULL },
	{ "[files.example.com]:2222", "files.example.com", 2222, NULL }, /* OpenSSH's known_hosts form */
	/* IPv6: in brackets with or without a port, or bare without one */
	{ "::1", "::1", 22, NULL },
	{ "[::1]", "::1", 22, NULL },
	{ "[::1]:2222", "::1", 2222, NULL },
	{ "[::1]:22", "::1", 22, NULL },
	{ "fe80::1", "fe80::1", 22, NULL },
	{ "[fe80::1]:2200", "fe80::1", 2200, NULL },
	{ "2001:db8::42:22", "2001:db8::42:22", 22, NULL }, /* bare: all of it is the address */
	{ "::ffff:192.0.2.1", "::ffff:192.0.2.1", 22, NULL },
	{ "[2001:DB8::1]:65535", "2001:DB8::1", 65535, NULL },
	/* refused */
	{ "", NULL, 0, "no host is given" },
	{ "host:", NULL, 0, "the port after ':' is empty" },
	{ ":22", NULL, 0, "the host before ':' is empty" },
	{ ":", NULL, 0, "the host before ':' is empty" },
	{ "[::1", NULL, 0, "'[' has no closing ']'" },
	{ "[::1]x", NULL, 0, "\"x\" after ']'" },
	{ "[::1]:", NULL, 0, "the port after ':' is empty" },
	{ "[::1]:0", NULL, 0, "from 1 to 65535, not \"0\"" },
	{ "[]", NULL, 0, "no address between" },
	{ "[]:22", NULL, 0, "no address between" },
	{ "h:0", NULL, 0, "from 1 to 65535, not \"0\"" },
	{ "h:65536", NULL, 0, "from 1 to 65535, not \"65536\"" },
	{ "h:99999999999999999999", NULL, 0, "from 1 to 65535" },
	{ "h:22x", NULL, 0, "not \"22x\"" },
	{ "h:-1", NULL, 0, "not \"-1\"" },
	{ "h:+22", NULL, 0, "not \"+22\"" },
	{ "h: 22", NULL, 0, "not \" 22\"" },
	{ "fe80::1%eth0", NULL, 0, "zone index (\"%eth0\") is not supported" },
	{ "[fe80::1%eth0]:22", NULL, 0, "zone index" },
	{ "h:22:33", NULL, 0, "\"h:22:33\" is not an IPv6 address" },
	{ ":::", NULL, 0, "is not an IPv6 address" },
	{ "[1:2]:22", NULL, 0, "\"1:2\" is not an IPv6 address" },
	{ "admin@host", NULL, 0, "leave out \"admin@\"" },
	{ "host name", NULL, 0, "is not a host name or address" },
	{ "-h", NULL, 0, "is not a host name or address" },
	{ ".h:22", NULL, 0, "is not a host name or address" },
	{ "h/x", NULL, 0, "is not a host name or address" },
};

static void test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct hp_case *c = &cases[i];
		struct err e = { 0 };
		char *host = (char *)"unset";
		unsigned port = 0;
		int rc = url_parse_hostport(c->text, &host, &port, URL_DEFAULT_PORT, &e);

		if (c->host != NULL) {
			if (rc != RV_OK)
				fail_msg("\"%s\" refused: %s", c->text, e.msg);
			assert_string_equal(host, c->host);
			assert_int_equal(port, c->port);
			free(host);
			/* Checking alone agrees. */
			assert_int_equal(url_parse_hostport(c->text, NULL, &port, URL_DEFAULT_PORT, &e), RV_OK);
			continue;
		}
		if (rc != RV_USAGE)
			fail_msg("\"%s\" accepted as \"%s\" port %u", c->text, rc == RV_OK ? host : "?", port);
		assert_null(host);
		if (strstr(e.msg, c->why) == NULL)
			fail_msg("\"%s\": message lacks \"%s\": %s", c->text, c->why, e.msg);
		/* One line that quotes the text and gives the expected forms. */
		assert_null(strchr(e.msg, '\n'));
		assert_non_null(strstr(e.msg, "expected HOST, HOST:PORT, [IPv6-ADDRESS]:PORT"));
		assert_int_equal(strncmp(e.msg, "\"", 1), 0);
		assert_int_equal(url_parse_hostport(c->text, NULL, &port, URL_DEFAULT_PORT, &e), RV_USAGE);
	}
}

/* A name may be 253 bytes long, no more. */
static void test_long_name(void **state)
{
	char name[300], *host = NULL;
	struct err e = { 0 };
	unsigned port;

	(void)state;
	memset(name, 'a', 253);
	name[253] = '\0';
	assert_int_equal(url_parse_hostport(name, &host, &port, URL_DEFAULT_PORT, &e), RV_OK);
	assert_int_equal(strlen(host), 253);
	free(host);
	strcat(name, "a:22");
	assert_int_equal(url_parse_hostport(name, &host, &port, URL_DEFAULT_PORT, &e), RV_USAGE);
}

/* The default port is the caller's: a port-less text takes it. */
static void test_default_port(void **state)
{
	struct err e = { 0 };
	char *host;
	unsigned port;

	(void)state;
	assert_int_equal(url_parse_hostport("::1", &host, &port, 2222, &e), RV_OK);
	assert_int_equal(port, 2222);
	free(host);
	assert_int_equal(url_parse_hostport("h:22", &host, &port, 2222, &e), RV_OK);
	assert_int_equal(port, 22);
	free(host);
}

static void test_format(void **state)
{
	static const struct {
		const char *host;
		unsigned port, default_port;
		const char *text;
	} f[] = {
		{ "files.example.com", 22, URL_DEFAULT_PORT, "files.example.com" },
		{ "files.example.com", 2222, URL_DEFAULT_PORT, "files.example.com:2222" },
		{ "::1", 22, URL_DEFAULT_PORT, "::1" },
		{ "::1", 2222, URL_DEFAULT_PORT, "[::1]:2222" },
		{ "files.example.com", 22, 0, "files.example.com:22" },
		{ "::1", 22, 0, "[::1]:22" },
		{ "10.0.0.1", 22, 0, "10.0.0.1:22" },
	};
	char buf[URL_HOSTPORT_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		assert_string_equal(url_format_hostport(f[i].host, f[i].port, f[i].default_port, buf, sizeof(buf)),
				    f[i].text);
	/* Truncated, never overrun. */
	assert_string_equal(url_format_hostport("files.example.com", 2222, 0, buf, 6), "files");
}

/* Every accepted text, written in either form, reads back to the same host
 * and port. */
static void test_round_trip(void **state)
{
	static const unsigned defaults[] = { URL_DEFAULT_PORT, 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct hp_case *c = &cases[i];

		if (c->host == NULL)
			continue;
		for (size_t d = 0; d < 2; d++) {
			char buf[URL_HOSTPORT_MAX], *host = NULL;
			struct err e = { 0 };
			unsigned port = 0;

			url_format_hostport(c->host, c->port, defaults[d], buf, sizeof(buf));
			if (url_parse_hostport(buf, &host, &port, URL_DEFAULT_PORT, &e) != RV_OK)
				fail_msg("\"%s\" written as \"%s\" is refused: %s", c->text, buf, e.msg);
			assert_string_equal(host, c->host);
			assert_int_equal(port, c->port);
			free(host);
		}
	}
}

/* The URL's host part is read by the same rules, with IPv6 only in
 * brackets; its user ends at the last '@'. */
static void test_url_host(void **state)
{
	static const struct {
		const char *url, *user, *host;
		unsigned port;
		const char *why;
	} u[] = {
		{ "sftp://a@b@files.example.com/d", "a@b", "files.example.com", 22, NULL },
		{ "sftp://backup%40corp@[::1]:2222/d", "backup@corp", "::1", 2222, NULL },
		{ "sftp://me@corp@[fe80::1]/d", "me@corp", "fe80::1", 22, NULL },
		{ "sftp://h:2222/d", NULL, "h", 2222, NULL },
		{ "sftp://::1/d", NULL, NULL, 0, "an IPv6 address is written in brackets" },
		{ "sftp://[::1]x/d", NULL, NULL, 0, "\"x\" after ']'" },
		{ "sftp://[::1/d", NULL, NULL, 0, "no closing ']'" },
		{ "sftp://h:/d", NULL, NULL, 0, "the port after ':' is empty" },
		{ "sftp://:22/d", NULL, NULL, 0, "the host before ':' is empty" },
		{ "sftp://u@/d", NULL, NULL, 0, "no host is given" },
		{ "sftp:///d", NULL, NULL, 0, "no host is given" },
		{ "sftp://@h/d", NULL, NULL, 0, "empty user name" },
		{ "sftp://h:0/d", NULL, NULL, 0, "from 1 to 65535" },
		{ "sftp://h:65536/d", NULL, NULL, 0, "from 1 to 65535" },
		{ "sftp://[fe80::1%25eth0]/d", NULL, NULL, 0, "zone index" },
		{ "sftp://[files.example.com]/d", NULL, NULL, 0, "is not an IPv6 address" },
		{ "sftp://u:pw@h/d", NULL, NULL, 0, "must not hold a password" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		struct sftp_url url;
		struct err e = { 0 };
		int rc = url_parse(u[i].url, &url, &e);

		if (u[i].host == NULL) {
			if (rc != RV_USAGE)
				fail_msg("%s accepted", u[i].url);
			if (strstr(e.msg, u[i].why) == NULL)
				fail_msg("%s: message lacks \"%s\": %s", u[i].url, u[i].why, e.msg);
			assert_null(strchr(e.msg, '\n'));
			assert_null(url.host);
			continue;
		}
		if (rc != RV_OK)
			fail_msg("%s refused: %s", u[i].url, e.msg);
		if (u[i].user == NULL)
			assert_null(url.user);
		else
			assert_string_equal(url.user, u[i].user);
		assert_string_equal(url.host, u[i].host);
		assert_int_equal(url.port, u[i].port);
		url_free(&url);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table), cmocka_unit_test(test_long_name),
		cmocka_unit_test(test_default_port), cmocka_unit_test(test_format),
		cmocka_unit_test(test_round_trip), cmocka_unit_test(test_url_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
