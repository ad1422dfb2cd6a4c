/* The console's parser on its real grammar: words and columns, unique
 * prefixes and aliases, ambiguity, where the caret points, argument
 * checks, `?` choices, Tab completion and what stays out of history. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/console_grammar.h"
#include "cli/console_parse.h"

struct parsed {
	struct console_words w;
	struct console_cmd cmd;
	struct console_error ce;
	int rc;
};

/* Parses line in a mode; the words stay alive for the slots. */
static void parse(struct parsed *p, bool config, const char *line)
{
	memset(p, 0, sizeof(*p));
	assert_int_equal(console_split(line, &p->w, &p->ce), RV_OK);
	p->rc = console_parse(console_tree(config), &p->w, &p->cmd, &p->ce);
}

static void expect_cmd(bool config, const char *line, int cmd)
{
	struct parsed p;

	parse(&p, config, line);
	if (p.rc != RV_OK)
		fail_msg("\"%s\": %s", line, p.ce.msg);
	assert_int_equal(p.cmd.cmd, cmd);
	console_words_free(&p.w);
}

/* The line is refused with the caret at col. */
static void expect_fault(bool config, const char *line, enum console_fault f, size_t col)
{
	struct parsed p;

	parse(&p, config, line);
	if (p.rc == RV_OK)
		fail_msg("\"%s\" was accepted", line);
	assert_int_equal(p.ce.fault, f);
	if (p.ce.col != col)
		fail_msg("\"%s\": caret at %zu, expected %zu (%s)", line, p.ce.col, col, p.ce.msg);
	assert_true(strlen(p.ce.msg) > 0);
	console_words_free(&p.w);
}

static void test_split(void **state)
{
	struct console_words w;
	struct console_error ce;

	(void)state;
	assert_int_equal(console_split("  backup   server \"a b\" x  ", &w, &ce), RV_OK);
	assert_int_equal(w.n, 4);
	assert_string_equal(w.text[0], "backup");
	assert_int_equal(w.col[0], 2);
	assert_int_equal(w.col[1], 11);
	assert_string_equal(w.text[2], "a b");
	assert_int_equal(w.col[2], 18);
	assert_int_equal(w.col[3], 24);
	assert_false(w.partial);
	console_words_free(&w);

	assert_int_equal(console_split("sh", &w, &ce), RV_OK);
	assert_true(w.partial);
	console_words_free(&w);
	assert_int_equal(console_split("", &w, &ce), RV_OK);
	assert_int_equal(w.n, 0);

	assert_int_equal(console_split("backup server password \"open", &w, &ce), RV_USAGE);
	assert_int_equal(ce.col, 23);
	assert_int_equal(w.n, 0);
}

static void test_prefixes(void **state)
{
	(void)state;
	expect_cmd(false, "config t", C_CONFIGURE);
	expect_cmd(false, "conf t", C_CONFIGURE);
	expect_cmd(false, "configure terminal", C_CONFIGURE);
	expect_cmd(false, "CONFIGURE Terminal", C_CONFIGURE);
	expect_cmd(false, "sh sec ssh kn", C_SHOW_KNOWNHOST);
	expect_cmd(false, "show security ssh knowhost", C_SHOW_KNOWNHOST);
	expect_cmd(false, "sh run", C_SHOW_RUNNING);
	expect_cmd(false, "show backup", C_SHOW_BACKUP);
	expect_cmd(false, "backup", C_BACKUP);
	expect_cmd(false, "restore 20261124T101500Z", C_RESTORE);
	expect_cmd(false, "exit", C_EXIT);
	expect_cmd(true, "end", C_END);
	expect_cmd(true, "exit", C_EXIT);
	expect_cmd(true, "backup security key generate", C_KEYGEN);
	expect_cmd(true, "b sec k g", C_KEYGEN);
	expect_cmd(true, "backup security protected", C_PROTECTED_ON);
	expect_cmd(true, "no backup security protected", C_PROTECTED_OFF);
	expect_cmd(true, "backup security enforced", C_ENFORCED_ON);
	expect_cmd(true, "no backup security enforced", C_ENFORCED_OFF);
	expect_cmd(true, "backup server authenticate", C_AUTHENTICATE);
	expect_cmd(true, "no security ssh knownhost server.example.com", C_KNOWNHOST_DEL);
	expect_cmd(true, "show running-config", C_SHOW_RUNNING);
}

/* backup bandwidth: a day table is one quoted word; a bad rate is refused
 * at its word with the check `revault set` makes. */
static void test_bandwidth(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, true, "backup bandwidth \"08:00,512k 18:00,off\"");
	assert_int_equal(p.rc, RV_OK);
	assert_int_equal(p.cmd.cmd, C_BANDWIDTH);
	assert_string_equal(p.cmd.slot[S_RATE], "08:00,512k 18:00,off");
	console_words_free(&p.w);
	parse(&p, true, "b b 16Mbit");
	assert_int_equal(p.rc, RV_OK);
	assert_string_equal(p.cmd.slot[S_RATE], "16Mbit");
	console_words_free(&p.w);
	parse(&p, true, "backup bandwidth 5x");
	assert_int_equal(p.rc, RV_USAGE);
	assert_non_null(strstr(p.ce.msg, "08:00,512k 18:00,off"));
	console_words_free(&p.w);
}

static void test_server(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, true, "backup server url sftp://branch/vmbackups username admin password mainserver");
	assert_int_equal(p.rc, RV_OK);
	assert_int_equal(p.cmd.cmd, C_SERVER);
	assert_string_equal(p.cmd.slot[S_URL], "sftp://branch/vmbackups");
	assert_string_equal(p.cmd.slot[S_USER], "admin");
	assert_string_equal(p.cmd.slot[S_PASSWORD], "mainserver");
	assert_true(p.cmd.secret);
	console_words_free(&p.w);

	parse(&p, true, "backup server username admin");
	assert_int_equal(p.rc, RV_OK);
	assert_null(p.cmd.slot[S_URL]);
	assert_string_equal(p.cmd.slot[S_USER], "admin");
	assert_false(p.cmd.secret);
	console_words_free(&p.w);

	/* password alone: the console asks for it on a terminal */
	parse(&p, true, "backup server password");
	assert_int_equal(p.rc, RV_OK);
	assert_non_null(p.cmd.slot[S_PASSWORD_KW]);
	assert_null(p.cmd.slot[S_PASSWORD]);
	console_words_free(&p.w);

	expect_cmd(true, "backup server url sftp://h/d password x", C_SERVER);
	/* the parts come in their order only */
	expect_fault(true, "backup server username admin url sftp://h/d", CF_INVALID, 29);
	expect_fault(true, "backup server url ftp://branch/vmbackups", CF_INVALID, 18);
	expect_fault(true, "backup server url sftp://u:pw@branch/d", CF_INVALID, 18);
	expect_fault(true, "backup server url sftp://h/d password x extra", CF_INVALID, 40);
}

static void test_faults(void **state)
{
	(void)state;
	/* unknown word: the caret sits under it */
	expect_fault(true, "backup revisons 5", CF_INVALID, 7);
	expect_fault(true, "backup revisions 0", CF_INVALID, 17);
	expect_fault(true, "backup revisions abc", CF_INVALID, 17);
	expect_fault(true, "backup revisions 1001", CF_INVALID, 17);
	expect_fault(true, "backup revisions 5 6", CF_INVALID, 19);
	expect_fault(true, "   frobnicate", CF_INVALID, 3);
	/* ambiguous: server or security */
	expect_fault(true, "backup se url x", CF_AMBIGUOUS, 7);
	/* incomplete: the caret after the line */
	expect_fault(true, "backup server", CF_INCOMPLETE, 14);
	expect_fault(false, "conf", CF_INCOMPLETE, 5);
	/* configuration commands are not exec commands */
	expect_fault(false, "backup revisions 5", CF_INVALID, 7);
	expect_fault(true, "restore latest", CF_INVALID, 0);

	expect_cmd(true, "backup revisions 5", C_REVISIONS);
	expect_cmd(true, "backup revisions 1000", C_REVISIONS);
}

static void test_knownhost(void **state)
{
	const char *fp = "a5:3a:12:6d:e9:48:a3:34:be:8f:ee:50:30:e5:e6:c3";
	char line[256];
	struct parsed p;

	(void)state;
	snprintf(line, sizeof(line), "security ssh knownhost server.example.com ssh-rsa %s", fp);
	parse(&p, true, line);
	assert_int_equal(p.rc, RV_OK);
	assert_int_equal(p.cmd.cmd, C_KNOWNHOST_ADD);
	assert_string_equal(p.cmd.slot[S_HOST], "server.example.com");
	assert_string_equal(p.cmd.slot[S_TYPE], "ssh-rsa");
	assert_string_equal(p.cmd.slot[S_FINGERPRINT], fp);
	console_words_free(&p.w);

	snprintf(line, sizeof(line), "sec ssh knowhost h:2222 ssh-dsa MD5:%s", fp);
	expect_cmd(true, line, C_KNOWNHOST_ADD);
	expect_cmd(true, "security ssh knownhost [::1]:2222 ssh-ed25519 SHA256:"
			 "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU", C_KNOWNHOST_ADD);
	/* bad type, bad fingerprint, bad host: caret at the word */
	snprintf(line, sizeof(line), "security ssh knownhost h ssh-foo %s", fp);
	expect_fault(true, line, CF_INVALID, 25);
	expect_fault(true, "security ssh knownhost h ssh-rsa a5:3a:12", CF_INVALID, 33);
	expect_fault(true, "security ssh knownhost h ssh-rsa SHA256:nope", CF_INVALID, 33);
	snprintf(line, sizeof(line), "security ssh knownhost a/b ssh-rsa %s", fp);
	expect_fault(true, line, CF_INVALID, 23);
	expect_fault(true, "security ssh knownhost h:99999 ssh-rsa x", CF_INVALID, 23);
	expect_fault(true, "security ssh knownhost h ssh-rsa", CF_INCOMPLETE, 33);
}

/* The words of ? after line, joined by blanks. */
static void choices(bool config, const char *line, char *out, size_t cap)
{
	struct console_words w;
	struct console_error ce;
	struct console_choice c[32];
	int n;

	out[0] = '\0';
	assert_int_equal(console_split(line, &w, &ce), RV_OK);
	n = console_next(console_tree(config), &w, c, 32, &ce);
	assert_true(n >= 0);
	for (int i = 0; i < n; i++) {
		strncat(out, c[i].word, cap - strlen(out) - 1);
		if (i + 1 < n)
			strncat(out, " ", cap - strlen(out) - 1);
	}
	console_words_free(&w);
}

static void test_help(void **state)
{
	char buf[512];
	struct console_words w;
	struct console_error ce;
	struct console_choice c[8];

	(void)state;
	choices(false, "", buf, sizeof(buf));
	assert_string_equal(buf, "backup configure exit restore show");
	choices(false, "sh", buf, sizeof(buf));
	assert_string_equal(buf, "show");
	choices(false, "show ", buf, sizeof(buf));
	assert_string_equal(buf, "backup running-config security");
	choices(true, "backup server url sftp://h/d ", buf, sizeof(buf));
	assert_string_equal(buf, "username password <cr>");
	choices(true, "backup revisions ", buf, sizeof(buf));
	assert_string_equal(buf, "NUMBER");
	choices(true, "security ssh knownhost h ecdsa", buf, sizeof(buf));
	assert_string_equal(buf, "ecdsa-sha2-nistp256 ecdsa-sha2-nistp384 ecdsa-sha2-nistp521");
	choices(true, "b", buf, sizeof(buf));
	assert_string_equal(buf, "backup");

	/* words that do not parse: the caret for ? too */
	assert_int_equal(console_split("backup bogus ", &w, &ce), RV_OK);
	assert_int_equal(console_next(console_tree(true), &w, c, 8, &ce), -1);
	assert_int_equal(ce.col, 7);
	console_words_free(&w);
}

static void complete(bool config, const char *line, const char *append, int candidates)
{
	struct console_words w;
	struct console_error ce;
	char buf[128];

	assert_int_equal(console_split(line, &w, &ce), RV_OK);
	assert_int_equal(console_complete(console_tree(config), &w, buf, sizeof(buf)), candidates);
	assert_string_equal(buf, append);
	console_words_free(&w);
}

static void test_complete(void **state)
{
	(void)state;
	complete(false, "conf", "igure", 1);
	complete(false, "configure t", "erminal", 1);
	complete(false, "sh sec ssh kno", "wnhost", 1);
	complete(false, "sh sec ssh knowh", "ost", 1);
	complete(false, "show r", "unning-config", 1);
	complete(true, "backup se", "", 2);
	complete(true, "no ", "", 2);
	complete(true, "backup security key ", "generate", 1);
	complete(true, "security ssh knownhost h ssh-e", "d25519", 1);
	complete(true, "backup revisions ", "", 0); /* a number: nothing certain */
	complete(false, "zz", "", 0);
}

static bool secret(const char *line)
{
	struct console_words w;
	struct console_error ce;
	bool r;

	assert_int_equal(console_split(line, &w, &ce), RV_OK);
	r = console_has_secret(console_tree(true), &w);
	console_words_free(&w);
	return r;
}

static void test_secret(void **state)
{
	(void)state;
	assert_true(secret("backup server url sftp://h/d username admin password mainserver"));
	assert_true(secret("backup server pass hunter2"));
	/* even when the line does not parse, a password stays out of history */
	assert_true(secret("backup server url ftp://bad password hunter2"));
	assert_false(secret("backup server url sftp://h/d username admin"));
	assert_false(secret("backup server password"));
	assert_false(secret("show running-config"));
}

/* The line with each word console_secret_words marks replaced by "*". */
static void masked(const char *line, char *out, size_t cap)
{
	struct console_words w;
	struct console_error ce;
	bool mask[CONSOLE_WORDS_MAX];
	size_t used = 0;

	assert_int_equal(console_split(line, &w, &ce), RV_OK);
	console_secret_words(console_tree(true), &w, mask);
	out[0] = '\0';
	for (size_t i = 0; i < w.n; i++)
		used += (size_t)snprintf(out + used, cap - used, "%s%s", i > 0 ? " " : "", mask[i] ? "*" : w.text[i]);
	console_words_free(&w);
}

/* The echo masks by what the parse says is secret, whatever abbreviation
 * or case named the keyword; a line that does not parse masks every word
 * after any prefix of "password". */
static void test_secret_words(void **state)
{
	static const struct {
		const char *line, *echo;
	} cases[] = {
		{ "backup server p hunter2", "backup server p *" },
		{ "backup server pa hunter2", "backup server pa *" },
		{ "backup server passw hunter2", "backup server passw *" },
		{ "backup server password hunter2", "backup server password *" },
		{ "backup server PASSWORD hunter2", "backup server PASSWORD *" },
		{ "backup server P hunter2", "backup server P *" },
		{ "b s p hunter2", "b s p *" }, /* "s" is ambiguous (server, security): an error */
		{ "b ser p hunter2", "b ser p *" },
		{ "BACKUP SERVER Pass \"two words\"", "BACKUP SERVER Pass *" },
		{ "backup server url sftp://h/d username admin p hunter2", "backup server url sftp://h/d username admin p *" },
		{ "backup server url sftp://h/d u admin passw hunter2", "backup server url sftp://h/d u admin passw *" },
		/* parsed: a user name that looks like a prefix of password is not a secret */
		{ "backup server username p", "backup server username p" },
		{ "backup server username p password hunter2", "backup server username p password *" },
		{ "backup server username pass p hunter2", "backup server username pass p *" },
		{ "backup server password", "backup server password" },
		{ "show running-config", "show running-config" },
		{ "backup revisions 5", "backup revisions 5" },
		/* not parsed: everything after a possible "password" */
		{ "backup server p hunter2 extra", "backup server p * *" },
		{ "backup server password hunter2 username admin", "backup server password * * *" },
		{ "backup server url ftp://bad p hunter2", "backup server url ftp://bad p *" },
		{ "backup server url ftp://bad PA hunter2", "backup server url ftp://bad PA *" },
		{ "backup server username admin url x p hunter2", "backup server username admin url x p *" },
		{ "backup server url ftp://bad password", "backup server url ftp://bad password" },
		{ "frobnicate p hunter2", "frobnicate p *" },
	};
	char got[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		masked(cases[i].line, got, sizeof(got));
		if (strcmp(got, cases[i].echo) != 0)
			fail_msg("\"%s\" echoed as \"%s\", expected \"%s\"", cases[i].line, got, cases[i].echo);
	}
	/* and such lines stay out of history */
	assert_true(secret("backup server p hunter2"));
	assert_true(secret("backup server p hunter2 extra"));
	assert_true(secret("backup server url ftp://bad p hunter2"));
	assert_false(secret("backup server username p"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),      cmocka_unit_test(test_prefixes), cmocka_unit_test(test_server),
		cmocka_unit_test(test_bandwidth),
		cmocka_unit_test(test_faults),     cmocka_unit_test(test_knownhost),
		cmocka_unit_test(test_help),       cmocka_unit_test(test_complete), cmocka_unit_test(test_secret),
		cmocka_unit_test(test_secret_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
