/* settings: the YAML settings file. The loader walks libyaml's document
 * tree against a table of known keys so that every problem is reported with
 * the line and column where it is; the saver emits every string
 * double-quoted (so "yes", "0755" and "" come back as strings) and replaces
 * the file atomically. */
#include "core/settings.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>

#include "core/bwlimit.h"
#include "core/fingerprint.h"
#include "core/paths.h"
#include "core/exclude.h"
#include "core/schedule.h"
#include "core/sources.h"
#include "core/url.h"
#include "core/util.h"

#define SETTINGS_MAX_BYTES (4 << 20) /* a settings file is small; refuse anything absurd */
#define LIST_MAX 10000

static const char *const auth_names[] = {
	[AUTH_PASSWORD] = "password",
	[AUTH_PUBLICKEY] = "publickey",
	[AUTH_AGENT] = "agent",
};

static const char *const theme_names[] = { "default", "monochrome", "high-contrast" };

const char *settings_auth_name(enum auth_method m)
{
	return (size_t)m < ARRAY_LEN(auth_names) ? auth_names[m] : "?";
}

void settings_init(struct settings *s)
{
	memset(s, 0, sizeof(*s));
	s->server.auth = AUTH_PASSWORD;
	s->server.connect_timeout = 30;
	s->server.retries = 3;
	s->server.channels = 3;
	s->server.timeout = 30;
	s->backup.revisions = 10;
	s->backup.compression = 2; /* measured: docs/PERFORMANCE.md, "Compression level" */
	s->security.protected_ = true;
	s->security.enforced = false;
	s->hooks.timeout = 600; /* docs/OPERATOR.md, "Hooks" */
	s->ui.theme = xstrdup("default");
	s->backup.bandwidth = xstrdup("off");
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void known_host_free(struct known_host *k)
{
	free(k->host);
	free(k->type);
	free(k->sha256);
	free(k->md5);
	free(k->added);
}

void settings_free(struct settings *s)
{
	free(s->server.url);
	free(s->server.username);
	free(s->server.password);
	free(s->server.identity);
	free(s->server.identity_passphrase);
	free_list(s->backup.sources, s->backup.nsources);
	free_list(s->backup.exclude, s->backup.nexclude);
	free(s->backup.device);
	free(s->backup.schedule);
	free(s->backup.bandwidth);
	for (size_t i = 0; i < s->nknown_hosts; i++)
		known_host_free(&s->known_hosts[i]);
	free(s->known_hosts);
	free(s->ui.theme);
	free(s->hooks.before_backup);
	free(s->hooks.after_backup);
	memset(s, 0, sizeof(*s));
}

/* ---- value parsing shared by the loader and `set` ---- */

static int parse_uint(const char *v, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	unsigned long n;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < lo || n > hi)
		return -1;
	*out = (unsigned)n;
	return 0;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "on", "true", "yes", "1" };
	static const char *const no[] = { "off", "false", "no", "0" };

	for (size_t i = 0; i < ARRAY_LEN(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return *out = true, 0;
		if (strcasecmp(v, no[i]) == 0)
			return *out = false, 0;
	}
	return -1;
}

static bool valid_device(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > 64 || v[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = v[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

/* ---- the key table: one entry per setting ----
 *
 * Everything that reads, writes or shows the settings walks this table: the
 * loader, the YAML writer (in table order), `revault set`/`unset`, `revault
 * show` and the console's running configuration. Adding a key is one row. */

enum kind {
	K_STR, K_URL, K_UINT, K_BOOL, K_AUTH, K_THEME, K_DEVICE, K_PATH,
	K_SEALED, /* a secret: shown masked, never its value */
	K_LIST,   /* a list of strings (count at count_off) */
	K_PATHS,  /* a list of absolute paths, kept normalised */
	K_HOSTS,  /* a whole section of known host records (name NULL) */
	K_SCHEDULE, /* when backups run (core/schedule.h), kept in its canonical words */
	K_CMD,    /* a shell command line: one line, no control characters */
	K_RATE,   /* a bandwidth cap (core/bwlimit.h), kept in one spelling */
};

struct keydef {
	const char *section, *name;
	enum kind kind;
	size_t off, count_off;
	unsigned lo, hi;
	bool settable; /* by `revault set` (sealed values go through `password set`) */
	const char *help;
	/* Showing it. */
	const char *unit;   /* after a number in `revault show` */
	const char *absent; /* what no value reads as; NULL: `revault show` prints no line */
	/* Its line in the console's running configuration, which lists the
	 * configuration commands first, then as "! key value" comments the keys
	 * set only with `revault set`; 0: not shown. Rows with the same number
	 * share a line. */
	unsigned line;
	const char *command; /* the console command that sets it; NULL: a comment */
	const char *word;    /* its word on a shared line ("url", "passphrase") */
};

#define OFF(f) offsetof(struct settings, f)
#define NOT_SET "(not set)"

static const struct keydef keydefs[] = {
	{ "server", "url", K_URL, OFF(server.url), 0, 0, 0, true, "sftp://[user@]host[:port]/dir",
	  .absent = NOT_SET, .line = 1, .command = "backup server", .word = "url" },
	{ "server", "username", K_STR, OFF(server.username), 0, 0, 0, true, "login name on the server",
	  .absent = NOT_SET, .line = 1, .command = "backup server", .word = "username" },
	{ "server", "auth", K_AUTH, OFF(server.auth), 0, 0, 0, true, "password, publickey or agent",
	  .line = 11 },
	{ "server", "password", K_SEALED, OFF(server.password), 0, 0, 0, false, "set with `revault password set`",
	  .absent = NOT_SET, .line = 1, .command = "backup server", .word = "password" },
	{ "server", "identity", K_PATH, OFF(server.identity), 0, 0, 0, true, "private key file for publickey",
	  .absent = NOT_SET, .line = 12 },
	{ "server", "identity_passphrase", K_SEALED, OFF(server.identity_passphrase), 0, 0, 0, false,
	  "set with `revault password set --identity`", .absent = NOT_SET, .line = 12, .word = "passphrase" },
	{ "server", "connect_timeout", K_UINT, OFF(server.connect_timeout), 0, 1, 3600, true, "seconds, 1-3600",
	  .unit = " s" },
	{ "server", "timeout", K_UINT, OFF(server.timeout), 0, 1, 3600, true, "seconds per operation, 1-3600",
	  .unit = " s" },
	{ "server", "retries", K_UINT, OFF(server.retries), 0, 0, 10, true,
	  "connect again after a loss, 0-10 (0: never)", .line = 17, .command = "backup server retries" },
	{ "server", "channels", K_UINT, OFF(server.channels), 0, 1, 4, true,
	  "SFTP channels an upload may use on a slow link, 1-4", .line = 18,
	  .command = "backup server channels" },
	{ "backup", "revisions", K_UINT, OFF(backup.revisions), 0, 1, 1000, true, "revisions kept, 1-1000",
	  .line = 2, .command = "backup revisions" },
	{ "backup", "compression", K_UINT, OFF(backup.compression), 0, 1, 19, true, "zstd level, 1-19",
	  .line = 14 },
	{ "backup", "device", K_DEVICE, OFF(backup.device), 0, 0, 0, true,
	  "folder name on the server (default: host name)", .absent = "(host name)", .line = 13 },
	{ "backup", "bandwidth", K_RATE, OFF(backup.bandwidth), 0, 0, 0, true,
	  "off, 512k, 2M, 16Mbit or \"08:00,512k 18:00,off\"", .line = 10, .command = "backup bandwidth" },
	{ "backup", "sources", K_PATHS, OFF(backup.sources), OFF(backup.nsources), 0, 0, false,
	  "`revault source add`", .absent = NOT_SET, .line = 15 },
	{ "backup", "exclude", K_LIST, OFF(backup.exclude), OFF(backup.nexclude), 0, 0, false,
	  "`revault exclude add`", .line = 16 },
	{ "backup", "schedule", K_SCHEDULE, OFF(backup.schedule), 0, 0, 0, false,
	  "`revault schedule`", .absent = "off", .line = 6, .command = "backup schedule" },
	{ "security", "protected", K_BOOL, OFF(security.protected_), 0, 0, 0, true,
	  "on: encrypt and sign every backup", .line = 3, .command = "backup security protected" },
	{ "security", "enforced", K_BOOL, OFF(security.enforced), 0, 0, 0, true,
	  "on: restore only protected, untampered backups", .line = 4, .command = "backup security enforced" },
	{ "known_hosts", NULL, K_HOSTS, OFF(known_hosts), OFF(nknown_hosts), 0, 0, false,
	  "`revault knownhost add`", .line = 5, .command = "security ssh knownhost" },
	{ "hooks", "before_backup", K_CMD, OFF(hooks.before_backup), 0, 0, 0, true,
	  "shell command run before each backup; failing stops it", .absent = NOT_SET, .line = 7,
	  .command = "backup hooks before-backup" },
	{ "hooks", "after_backup", K_CMD, OFF(hooks.after_backup), 0, 0, 0, true,
	  "shell command run after each backup, with REVAULT_STATUS etc.", .absent = NOT_SET, .line = 8,
	  .command = "backup hooks after-backup" },
	{ "hooks", "timeout", K_UINT, OFF(hooks.timeout), 0, 1, 86400, true, "seconds a hook may run, 1-86400",
	  .line = 9, .command = "backup hooks timeout" },
	{ "ui", "theme", K_THEME, OFF(ui.theme), 0, 0, 0, true, "default, monochrome or high-contrast",
	  .absent = NOT_SET },
	{ "ui", "ascii", K_BOOL, OFF(ui.ascii), 0, 0, 0, true, "on: draw lines with + - |", .line = 0 },
	{ "ui", "slow_link", K_BOOL, OFF(ui.slow_link), 0, 0, 0, true, "on: redraw progress once a second", .line = 0 },
};

/* Lists and records are changed by their own commands, never by `set`. */
static bool scalar_key(const struct keydef *d)
{
	return d->kind != K_LIST && d->kind != K_PATHS && d->kind != K_HOSTS;
}

/* Every key of the table in order, for help texts: settable ones are
 * those `revault set` takes. */
bool settings_key_at(size_t i, char *name, size_t cap, const char **help, bool *settable)
{
	if (i >= ARRAY_LEN(keydefs))
		return false;
	if (keydefs[i].name != NULL)
		snprintf(name, cap, "%s.%s", keydefs[i].section, keydefs[i].name);
	else
		snprintf(name, cap, "%s", keydefs[i].section);
	*help = keydefs[i].help;
	*settable = keydefs[i].settable;
	return true;
}

static const struct keydef *keydef_find(const char *section, const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(keydefs); i++)
		if (keydefs[i].name != NULL && strcmp(keydefs[i].section, section) == 0 &&
		    strcmp(keydefs[i].name, name) == 0)
			return &keydefs[i];
	return NULL;
}

/* A cap in one spelling: blanks between the entries of a table single,
 * none around it, "off" in lower case. */
static char *rate_spelling(const char *v)
{
	char *out = xmalloc(strlen(v) + 1), *o = out;

	for (v += strspn(v, " \t"); *v != '\0';) {
		size_t n = strcspn(v, " \t");

		if (o != out)
			*o++ = ' ';
		const char *rate = memchr(v, ',', n);

		rate = rate != NULL ? rate + 1 : v;
		memcpy(o, v, n);
		if (v + n - rate == 3 && strncasecmp(rate, "off", 3) == 0)
			memcpy(o + (rate - v), "off", 3);
		o += n;
		v += n;
		v += strspn(v, " \t");
	}
	*o = '\0';
	return out;
}

/* Checks value against d and stores it. On error writes what was expected
 * into why (no location: the caller adds it). */
static int keydef_store(struct settings *s, const struct keydef *d, const char *v, char *why, size_t whylen)
{
	char *base = (char *)s + d->off;
	char **str = (char **)(void *)base;
	struct err e = { 0 };

	switch (d->kind) {
	case K_URL: {
		struct sftp_url u;

		if (*v != '\0' && url_parse(v, &u, &e) != RV_OK) {
			snprintf(why, whylen, "%.*s", (int)whylen - 1, e.msg);
			return -1;
		}
		if (*v != '\0')
			url_free(&u);
		break;
	}
	case K_UINT:
		if (parse_uint(v, d->lo, d->hi, (unsigned *)(void *)base) != 0) {
			snprintf(why, whylen, "%s.%s must be a whole number from %u to %u, not \"%s\"",
				 d->section, d->name, d->lo, d->hi, v);
			return -1;
		}
		return 0;
	case K_BOOL:
		if (parse_bool(v, (bool *)(void *)base) != 0) {
			snprintf(why, whylen, "%s.%s must be on or off, not \"%s\"", d->section, d->name, v);
			return -1;
		}
		return 0;
	case K_AUTH:
		for (size_t i = 0; i < ARRAY_LEN(auth_names); i++)
			if (strcmp(v, auth_names[i]) == 0)
				return *(enum auth_method *)(void *)base = (enum auth_method)i, 0;
		snprintf(why, whylen, "server.auth must be password, publickey or agent, not \"%s\"", v);
		return -1;
	case K_THEME:
		for (size_t i = 0; i < ARRAY_LEN(theme_names); i++)
			if (strcmp(v, theme_names[i]) == 0)
				goto store;
		snprintf(why, whylen, "ui.theme must be default, monochrome or high-contrast, not \"%s\"", v);
		return -1;
	case K_DEVICE:
		if (*v != '\0' && !valid_device(v)) {
			snprintf(why, whylen,
				 "backup.device must be 1-64 letters, digits, '-', '_' or '.', not starting with '.': \"%s\"", v);
			return -1;
		}
		break;
	case K_PATH:
		if (*v != '\0' && v[0] != '/') {
			snprintf(why, whylen, "%s.%s must be an absolute path, not \"%s\"", d->section, d->name, v);
			return -1;
		}
		break;
	case K_SEALED:
		if (*v != '\0' && !str_has_prefix(v, "sealed:v1:")) {
			snprintf(why, whylen,
				 "%s.%s holds a value that is not sealed: remove the line and use `revault password set`",
				 d->section, d->name);
			return -1;
		}
		break;
	case K_SCHEDULE: {
		struct schedule sc;
		char text[SCHEDULE_TEXT_MAX];

		if (*v == '\0')
			break;
		if (schedule_parse(v, &sc, &e) != RV_OK) {
			snprintf(why, whylen, "backup.schedule: %.*s", (int)whylen - 20, e.msg);
			return -1;
		}
		schedule_format(&sc, text, sizeof(text));
		free(*str);
		*str = sc.kind != SCHEDULE_OFF ? xstrdup(text) : NULL;
		return 0;
	}
	case K_RATE: {
		struct bwlimit_table t;
		char *one;

		if (bwlimit_parse(v, &t, &e) != RV_OK) {
			snprintf(why, whylen, "%.*s", (int)whylen - 1, e.msg);
			return -1;
		}
		one = rate_spelling(v);
		free(*str);
		*str = one;
		return 0;
	}
	case K_STR:
		break;
	case K_CMD:
		for (const char *c = v; *c != '\0'; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f) {
				snprintf(why, whylen, "%s.%s must be one line without control characters: put a longer "
					 "script in a file and run that", d->section, d->name);
				return -1;
			}
		/* Blanks alone run nothing and would look like a hook that is set. */
		if (v[0] != '\0' && v[strspn(v, " ")] == '\0') {
			snprintf(why, whylen, "%s.%s needs a command, not blanks; `revault unset %s.%s` clears it",
				 d->section, d->name, d->section, d->name);
			return -1;
		}
		break;
	case K_LIST:
	case K_PATHS:
	case K_HOSTS:
		snprintf(why, whylen, "%s.%s is not a single value", d->section, d->name);
		return -1;
	}
store:
	free(*str);
	*str = *v != '\0' ? xstrdup(v) : NULL;
	return 0;
}

/* ---- loading ---- */

struct loader {
	const char *path;
	yaml_document_t doc;
	struct settings *s;
	struct err *e;
};

static int fail_at(struct loader *l, yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_at(struct loader *l, yaml_node_t *n, const char *fmt, ...)
{
	char what[ERR_MSG_MAX / 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return err_set(l->e, RV_USAGE, "%s:%zu:%zu: %s", l->path, n->start_mark.line + 1,
		       n->start_mark.column + 1, what);
}

static const char *scalar(yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* A plain ~, null or empty scalar means "not set". */
static bool is_null(yaml_node_t *n)
{
	const char *v = scalar(n);

	return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (*v == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0);
}

/* Rejects a key that appears twice in one mapping. */
static int check_duplicates(struct loader *l, yaml_node_t *map)
{
	yaml_node_pair_t *a, *b;

	for (a = map->data.mapping.pairs.start; a < map->data.mapping.pairs.top; a++) {
		yaml_node_t *ka = yaml_document_get_node(&l->doc, a->key);

		if (ka->type != YAML_SCALAR_NODE)
			return fail_at(l, ka, "a key must be a plain name");
		for (b = map->data.mapping.pairs.start; b < a; b++) {
			yaml_node_t *kb = yaml_document_get_node(&l->doc, b->key);

			if (kb->type == YAML_SCALAR_NODE && strcmp(scalar(ka), scalar(kb)) == 0)
				return fail_at(l, ka, "duplicate key \"%s\" (first at line %zu)", scalar(ka),
					       kb->start_mark.line + 1);
		}
	}
	return RV_OK;
}

/* A list of strings; with paths, each must be absolute and is kept in its
 * one spelling (a hand-edited `//etc/revault/` is /etc/revault), so that
 * every later comparison between sources is a comparison of names. */
static int load_list(struct loader *l, yaml_node_t *n, const char *name, char ***out, size_t *count,
		     bool paths)
{
	if (n->type == YAML_SCALAR_NODE && is_null(n))
		return RV_OK;
	if (n->type != YAML_SEQUENCE_NODE)
		return fail_at(l, n, "%s must be a list of strings", name);
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *v = yaml_document_get_node(&l->doc, *it);

		if (v->type != YAML_SCALAR_NODE || scalar(v)[0] == '\0')
			return fail_at(l, v, "each entry of %s must be a non-empty string", name);
		if (paths && scalar(v)[0] != '/')
			return fail_at(l, v, "%s entries must be absolute paths, not \"%s\"", name, scalar(v));
		if (*count >= LIST_MAX)
			return fail_at(l, v, "%s has more than %d entries", name, LIST_MAX);
		*out = xrealloc(*out, (*count + 1) * sizeof(**out));
		(*out)[(*count)++] = paths ? sources_normalise(scalar(v), l->e) : xstrdup(scalar(v));
	}
	return RV_OK;
}

static int load_known_host(struct loader *l, yaml_node_t *n)
{
	struct known_host k = { 0 };
	char **fields[] = { &k.host, &k.type, &k.sha256, &k.md5, &k.added };
	static const char *const names[] = { "host", "type", "sha256", "md5", "added" };
	bool have_port = false;
	int rc;

	if (n->type != YAML_MAPPING_NODE)
		return fail_at(l, n, "each known host must be a mapping with host, port, type and sha256 or md5");
	if ((rc = check_duplicates(l, n)) != RV_OK)
		return rc;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = yaml_document_get_node(&l->doc, p->key);
		yaml_node_t *vn = yaml_document_get_node(&l->doc, p->value);
		const char *key = scalar(kn);
		size_t i;

		if (vn->type != YAML_SCALAR_NODE) {
			rc = fail_at(l, vn, "known host field %s must be a single value", key);
			goto bad;
		}
		if (strcmp(key, "port") == 0) {
			if (parse_uint(scalar(vn), 1, 65535, &k.port) != 0) {
				rc = fail_at(l, vn, "port must be a number from 1 to 65535, not \"%s\"", scalar(vn));
				goto bad;
			}
			have_port = true;
			continue;
		}
		for (i = 0; i < ARRAY_LEN(names); i++)
			if (strcmp(key, names[i]) == 0)
				break;
		if (i == ARRAY_LEN(names)) {
			rc = fail_at(l, kn, "unknown known host field \"%s\" (expected host, port, type, sha256, md5, added)", key);
			goto bad;
		}
		if (!is_null(vn))
			*fields[i] = xstrdup(scalar(vn));
	}
	if (k.host == NULL || k.type == NULL || !have_port || (k.sha256 == NULL && k.md5 == NULL)) {
		rc = fail_at(l, n, "a known host needs host, port, type and sha256 or md5");
		goto bad;
	}
	{
		struct err fe = { 0 };
		const char *canon = fingerprint_type(k.type, &fe);
		char *sha = NULL, *md5 = NULL;

		if (canon == NULL) {
			rc = fail_at(l, n, "%s", fe.msg);
			goto bad;
		}
		free(k.type);
		k.type = xstrdup(canon);
		if (k.sha256 != NULL) {
			if (fingerprint_parse(k.sha256, &sha, &md5, &fe) != RV_OK || sha == NULL) {
				free(md5);
				rc = fail_at(l, n, "sha256 of %s is not a SHA256 fingerprint", k.host);
				goto bad;
			}
			free(k.sha256);
			k.sha256 = sha;
		}
		if (k.md5 != NULL) {
			sha = md5 = NULL;
			if (fingerprint_parse(k.md5, &sha, &md5, &fe) != RV_OK || md5 == NULL) {
				free(sha);
				rc = fail_at(l, n, "md5 of %s is not an MD5 fingerprint", k.host);
				goto bad;
			}
			free(k.md5);
			k.md5 = md5;
		}
	}
	l->s->known_hosts = xrealloc(l->s->known_hosts, (l->s->nknown_hosts + 1) * sizeof(k));
	l->s->known_hosts[l->s->nknown_hosts++] = k;
	return RV_OK;
bad:
	known_host_free(&k);
	return rc;
}

static int load_section(struct loader *l, const char *section, yaml_node_t *map)
{
	int rc;

	if (map->type == YAML_SCALAR_NODE && is_null(map))
		return RV_OK;
	if (map->type != YAML_MAPPING_NODE)
		return fail_at(l, map, "%s must be a mapping of settings", section);
	if ((rc = check_duplicates(l, map)) != RV_OK)
		return rc;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = yaml_document_get_node(&l->doc, p->key);
		yaml_node_t *vn = yaml_document_get_node(&l->doc, p->value);
		const char *key = scalar(kn);
		const struct keydef *d;
		char why[ERR_MSG_MAX / 2];

		if ((d = keydef_find(section, key)) == NULL) {
			rc = fail_at(l, kn, "unknown setting \"%s.%s\"", section, key);
		} else if (d->kind == K_LIST || d->kind == K_PATHS) {
			char name[64];

			snprintf(name, sizeof(name), "%s.%s", section, key);
			rc = load_list(l, vn, name, (char ***)(void *)((char *)l->s + d->off),
				       (size_t *)(void *)((char *)l->s + d->count_off), d->kind == K_PATHS);
		} else if (vn->type != YAML_SCALAR_NODE) {
			rc = fail_at(l, vn, "%s.%s must be a single value", section, key);
		} else if (is_null(vn) && (d->kind == K_UINT || d->kind == K_BOOL || d->kind == K_AUTH)) {
			rc = fail_at(l, vn, "%s.%s needs a value (%s)", section, key, d->help);
		} else if (keydef_store(l->s, d, is_null(vn) ? "" : scalar(vn), why, sizeof(why)) != 0) {
			rc = fail_at(l, vn, "%s", why);
		}
		if (rc != RV_OK)
			return rc;
	}
	return RV_OK;
}

static int load_root(struct loader *l, yaml_node_t *root)
{
	int rc;

	if (root == NULL)
		return RV_OK; /* an empty file: defaults */
	if (root->type == YAML_SCALAR_NODE && is_null(root))
		return RV_OK;
	if (root->type != YAML_MAPPING_NODE)
		return fail_at(l, root, "the settings must be a mapping (server:, backup:, security:, known_hosts:, ui:)");
	/* What is kept must be saved again as it was read: text the save
	 * refuses (util_utf8_valid: an invisible or direction-changing
	 * character, which YAML's escapes such as \L can write) is refused
	 * here, where it is. */
	for (yaml_node_t *n = l->doc.nodes.start; n < l->doc.nodes.top; n++)
		if (n->type == YAML_SCALAR_NODE && !util_utf8_valid((const char *)n->data.scalar.value))
			return fail_at(l, n, "this text holds an invisible or direction-changing character "
				       "(such as U+2028 or U+202E), which the settings do not keep: remove it");
	if ((rc = check_duplicates(l, root)) != RV_OK)
		return rc;
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = yaml_document_get_node(&l->doc, p->key);
		yaml_node_t *vn = yaml_document_get_node(&l->doc, p->value);
		const char *key = scalar(kn);
		const struct keydef *d = NULL;

		for (size_t i = 0; i < ARRAY_LEN(keydefs) && d == NULL; i++)
			if (strcmp(key, keydefs[i].section) == 0)
				d = &keydefs[i];
		if (d == NULL)
			return fail_at(l, kn, "unknown section \"%s\" (expected server, backup, security, known_hosts, ui)", key);
		if (d->kind == K_HOSTS) {
			if (vn->type == YAML_SCALAR_NODE && is_null(vn))
				continue;
			if (vn->type != YAML_SEQUENCE_NODE)
				return fail_at(l, vn, "known_hosts must be a list");
			for (yaml_node_item_t *it = vn->data.sequence.items.start; it < vn->data.sequence.items.top; it++)
				if ((rc = load_known_host(l, yaml_document_get_node(&l->doc, *it))) != RV_OK)
					return rc;
			continue;
		}
		if ((rc = load_section(l, key, vn)) != RV_OK)
			return rc;
	}
	return RV_OK;
}

int settings_load(struct settings *s, const char *path, struct err *e)
{
	struct loader l = { .path = path, .s = s, .e = e };
	yaml_parser_t parser;
	struct stat st;
	FILE *f;
	int rc;

	settings_init(s);
	f = fopen(path, "rb");
	if (f == NULL) {
		if (errno == ENOENT)
			return RV_OK;
		return err_set(e, RV_USAGE, "cannot read settings %s: %s", path, strerror(errno));
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return err_set(e, RV_USAGE, "settings %s is not a regular file", path);
	}
	if (st.st_size > SETTINGS_MAX_BYTES) {
		fclose(f);
		return err_set(e, RV_USAGE, "settings %s is larger than %d MiB: not a revault settings file",
			       path, SETTINGS_MAX_BYTES >> 20);
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &l.doc)) {
		rc = err_set(e, RV_USAGE, "%s:%zu:%zu: %s%s%s (fix that line; indent with spaces, not tabs)", path,
			     parser.problem_mark.line + 1, parser.problem_mark.column + 1,
			     parser.problem ? parser.problem : "malformed YAML", parser.context ? " " : "",
			     parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		fclose(f);
		settings_free(s);
		settings_init(s);
		return rc;
	}
	rc = load_root(&l, yaml_document_get_root_node(&l.doc));
	if (rc == RV_OK) {
		/* A second document would be silently ignored: refuse it instead. */
		yaml_document_t extra;

		if (yaml_parser_load(&parser, &extra)) {
			yaml_node_t *r = yaml_document_get_root_node(&extra);

			if (r != NULL)
				rc = err_set(e, RV_USAGE, "%s:%zu:%zu: only one YAML document is allowed", path,
					     r->start_mark.line + 1, r->start_mark.column + 1);
			yaml_document_delete(&extra);
		} else {
			rc = err_set(e, RV_USAGE, "%s:%zu:%zu: %s", path, parser.problem_mark.line + 1,
				     parser.problem_mark.column + 1, parser.problem ? parser.problem : "malformed YAML");
		}
	}
	yaml_document_delete(&l.doc);
	yaml_parser_delete(&parser);
	fclose(f);
	if (rc != RV_OK) {
		settings_free(s);
		settings_init(s);
	}
	return rc;
}

/* ---- saving ---- */

struct emitter {
	yaml_emitter_t em;
	bool ok;
};

static void emit(struct emitter *m, yaml_event_t *ev)
{
	if (m->ok && !yaml_emitter_emit(&m->em, ev))
		m->ok = false;
}

static void emit_scalar(struct emitter *m, const char *v, bool quoted)
{
	yaml_event_t ev;

	/* libyaml's emitter never returns on text that is not UTF-8; what
	 * is stored was checked (text_ok), this is the backstop. */
	if (!util_utf8_valid(v)) {
		m->ok = false;
		return;
	}
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)v, (int)strlen(v), !quoted, quoted,
				     quoted ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_PLAIN_SCALAR_STYLE);
	emit(m, &ev);
}

static void emit_key(struct emitter *m, const char *k)
{
	emit_scalar(m, k, false);
}

static void emit_str(struct emitter *m, const char *k, const char *v)
{
	emit_key(m, k);
	if (v == NULL)
		emit_scalar(m, "~", false);
	else
		emit_scalar(m, v, true);
}

static void emit_uint(struct emitter *m, const char *k, unsigned v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", v);
	emit_key(m, k);
	emit_scalar(m, buf, false);
}

static void emit_bool(struct emitter *m, const char *k, bool v)
{
	emit_key(m, k);
	emit_scalar(m, v ? "on" : "off", false);
}

static void map_start(struct emitter *m)
{
	yaml_event_t ev;

	yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
	emit(m, &ev);
}

static void map_end(struct emitter *m)
{
	yaml_event_t ev;

	yaml_mapping_end_event_initialize(&ev);
	emit(m, &ev);
}

static void emit_list(struct emitter *m, const char *k, char **v, size_t n)
{
	yaml_event_t ev;

	emit_key(m, k);
	yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
	emit(m, &ev);
	for (size_t i = 0; i < n; i++)
		emit_scalar(m, v[i], true);
	yaml_sequence_end_event_initialize(&ev);
	emit(m, &ev);
}

static int write_handler(void *data, unsigned char *buf, size_t size)
{
	return fwrite(buf, 1, size, data) == size;
}

static void emit_known_hosts(struct emitter *m, const struct settings *s)
{
	yaml_event_t ev;

	yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
	emit(m, &ev);
	for (size_t i = 0; i < s->nknown_hosts; i++) {
		const struct known_host *k = &s->known_hosts[i];

		map_start(m);
		emit_str(m, "host", k->host);
		emit_uint(m, "port", k->port);
		emit_str(m, "type", k->type);
		emit_str(m, "sha256", k->sha256);
		emit_str(m, "md5", k->md5);
		emit_str(m, "added", k->added);
		map_end(m);
	}
	yaml_sequence_end_event_initialize(&ev);
	emit(m, &ev);
}

static void emit_keydef(struct emitter *m, const struct settings *s, const struct keydef *d)
{
	const char *base = (const char *)s + d->off;

	switch (d->kind) {
	case K_UINT:
		emit_uint(m, d->name, *(const unsigned *)(const void *)base);
		break;
	case K_BOOL:
		emit_bool(m, d->name, *(const bool *)(const void *)base);
		break;
	case K_AUTH:
		emit_str(m, d->name, settings_auth_name(*(const enum auth_method *)(const void *)base));
		break;
	case K_LIST:
	case K_PATHS:
		emit_list(m, d->name, *(char **const *)(const void *)base,
			  *(const size_t *)(const void *)((const char *)s + d->count_off));
		break;
	case K_HOSTS:
		emit_known_hosts(m, s);
		break;
	case K_STR:
	case K_CMD:
	case K_URL:
	case K_THEME:
	case K_DEVICE:
	case K_PATH:
	case K_SEALED:
	case K_SCHEDULE:
	case K_RATE:
		emit_str(m, d->name, *(char *const *)(const void *)base);
		break;
	}
}

/* The sections in table order, each a mapping of its keys in table order. */
static void emit_settings(struct emitter *m, const struct settings *s)
{
	const char *section = NULL;
	bool in_map = false;
	yaml_event_t ev;

	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	emit(m, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	emit(m, &ev);
	map_start(m);
	for (size_t i = 0; i < ARRAY_LEN(keydefs); i++) {
		const struct keydef *d = &keydefs[i];

		if (section == NULL || strcmp(section, d->section) != 0) {
			if (in_map)
				map_end(m);
			section = d->section;
			emit_key(m, section);
			in_map = d->name != NULL;
			if (in_map)
				map_start(m);
		}
		emit_keydef(m, s, d);
	}
	if (in_map)
		map_end(m);
	map_end(m);
	yaml_document_end_event_initialize(&ev, 1);
	emit(m, &ev);
	yaml_stream_end_event_initialize(&ev);
	emit(m, &ev);
}

int settings_save(const struct settings *s, const char *path, struct err *e)
{
	struct emitter m = { .ok = true };
	char *tmp = NULL;
	mode_t old_umask;
	FILE *f = NULL;
	int fd = -1, rc = RV_OK;

	if ((rc = paths_ensure_dir(path, e)) != RV_OK)
		return rc;
	tmp = xasprintf("%s.tmp-XXXXXX", path);
	old_umask = umask(077);
	fd = mkstemp(tmp);
	umask(old_umask);
	if (fd < 0) {
		rc = err_set(e, RV_FAIL, "cannot write settings next to %s: %s", path, strerror(errno));
		free(tmp);
		return rc;
	}
	fchmod(fd, 0600);
	f = fdopen(fd, "wb");
	if (f == NULL) {
		close(fd);
		rc = err_set(e, RV_FAIL, "cannot write %s: %s", tmp, strerror(errno));
		goto fail;
	}
	fputs("# revault settings. Edit with `revault set` or the text interface;\n"
	      "# secrets are sealed under secret.key and never stored in clear.\n", f);
	yaml_emitter_initialize(&m.em);
	yaml_emitter_set_output(&m.em, write_handler, f);
	yaml_emitter_set_unicode(&m.em, 1);
	yaml_emitter_set_width(&m.em, -1);
	emit_settings(&m, s);
	yaml_emitter_delete(&m.em);
	if (!m.ok || fflush(f) != 0 || fsync(fileno(f)) != 0) {
		rc = err_set(e, RV_FAIL, "cannot write %s: %s", tmp, m.ok ? strerror(errno) : "YAML emitter failed");
		goto fail;
	}
	if (fclose(f) != 0) {
		f = NULL;
		rc = err_set(e, RV_FAIL, "cannot write %s: %s", tmp, strerror(errno));
		goto fail;
	}
	f = NULL;
	if (rename(tmp, path) != 0) {
		rc = err_set(e, RV_FAIL, "cannot replace %s: %s", path, strerror(errno));
		goto fail;
	}
	/* The rename is durable only once the directory is. */
	paths_sync_dir(path);
	free(tmp);
	return RV_OK;
fail:
	if (f != NULL)
		fclose(f);
	unlink(tmp);
	free(tmp);
	return rc;
}

/* ---- edits ---- */

/* The entry of a key `revault set` may change, or NULL with e set. */
static const struct keydef *settable_keydef(const char *key, struct err *e)
{
	const char *dot = strchr(key, '.');
	char section[32];
	const struct keydef *d = NULL;

	if (dot != NULL && (size_t)(dot - key) < sizeof(section)) {
		memcpy(section, key, (size_t)(dot - key));
		section[dot - key] = '\0';
		d = keydef_find(section, dot + 1);
	}
	if (d == NULL || !scalar_key(d)) {
		err_set(e, RV_USAGE, "unknown setting \"%s\": `revault set --help` lists them", key);
		return NULL;
	}
	if (!d->settable) {
		err_set(e, RV_USAGE, "%s is not set this way: %s", key, d->help);
		return NULL;
	}
	return d;
}

/* Keys whose absence means something (no URL yet, the URL's user, the
 * host name as device); the others always hold a value. */
static bool clearable(const struct keydef *d)
{
	return d->kind == K_STR || d->kind == K_URL || d->kind == K_PATH || d->kind == K_DEVICE || d->kind == K_CMD;
}

/* The settings file is YAML, UTF-8 text (YAML 1.2, 5.2): a value that is
 * not (a file name in Latin-1) is refused before it is stored. */
static int text_ok(const char *what, const char *v, const char *fix, struct err *e)
{
	char *shown;

	if (util_utf8_valid(v))
		return RV_OK;
	shown = util_escape_name(v);
	err_set(e, RV_USAGE, "%s \"%s\" is not UTF-8 text, which the settings file holds: %s", what, shown, fix);
	free(shown);
	return RV_USAGE;
}

int settings_set(struct settings *s, const char *key, const char *value, struct err *e)
{
	const struct keydef *d = settable_keydef(key, e);
	char why[ERR_MSG_MAX / 2];

	if (d == NULL)
		return e->code;
	/* An empty value is a mistake (an unset shell variable, a stray ""),
	 * not a wish for the default: clearing is asked for by name. */
	if (text_ok(key, value, "write it in UTF-8", e) != RV_OK)
		return e->code;
	if (*value == '\0')
		return clearable(d) ? err_set(e, RV_USAGE, "%s needs a value (%s); `revault unset %s` clears it",
					      key, d->help, key)
				    : err_set(e, RV_USAGE, "%s needs a value: %s", key, d->help);
	if (keydef_store(s, d, value, why, sizeof(why)) != 0)
		return err_set(e, RV_USAGE, "%s", why);
	return RV_OK;
}

int settings_unset(struct settings *s, const char *key, struct err *e)
{
	const struct keydef *d = settable_keydef(key, e);
	char **str;

	if (d == NULL)
		return e->code;
	if (!clearable(d))
		return err_set(e, RV_USAGE, "%s always has a value: set another one (%s)", key, d->help);
	str = (char **)(void *)((char *)s + d->off);
	free(*str);
	*str = NULL;
	return RV_OK;
}

/* A scalar's value as shown (secrets masked, numbers with their unit), or
 * NULL when it is not set. */
static const char *shown_value(const struct settings *s, const struct keydef *d, const char *mask,
			       char *buf, size_t cap)
{
	const char *base = (const char *)s + d->off;

	switch (d->kind) {
	case K_UINT:
		snprintf(buf, cap, "%u%s", *(const unsigned *)(const void *)base, d->unit != NULL ? d->unit : "");
		return buf;
	case K_BOOL:
		return *(const bool *)(const void *)base ? "on" : "off";
	case K_AUTH:
		return settings_auth_name(*(const enum auth_method *)(const void *)base);
	case K_SEALED:
		return *(char *const *)(const void *)base != NULL ? mask : NULL;
	case K_LIST:
	case K_PATHS:
	case K_HOSTS:
		return NULL;
	case K_STR:
	case K_CMD:
	case K_URL:
	case K_THEME:
	case K_DEVICE:
	case K_PATH:
	case K_SCHEDULE:
	case K_RATE:
		break;
	}
	return *(char *const *)(const void *)base;
}

static char *const *list_items(const struct settings *s, const struct keydef *d, size_t *n)
{
	*n = *(const size_t *)(const void *)((const char *)s + d->count_off);
	return *(char **const *)(const void *)((const char *)s + d->off);
}

static void print_value(FILE *out, const struct keydef *d, const char *v)
{
	char key[64];

	snprintf(key, sizeof(key), "%s.%s", d->section, d->name);
	fprintf(out, "%-28s %s\n", key, v);
}

void settings_print(const struct settings *s, FILE *out)
{
	char buf[32];

	for (size_t i = 0; i < ARRAY_LEN(keydefs); i++) {
		const struct keydef *d = &keydefs[i];
		const char *v;
		char *const *items;
		size_t n;

		switch (d->kind) {
		case K_HOSTS:
			continue; /* records come after the keys */
		case K_LIST:
		case K_PATHS:
			items = list_items(s, d, &n);
			if (n == 0 && d->absent != NULL)
				print_value(out, d, d->absent);
			for (size_t j = 0; j < n; j++)
				print_value(out, d, items[j]);
			continue;
		default:
			v = shown_value(s, d, "******** (sealed)", buf, sizeof(buf));
			if (v != NULL || d->absent != NULL)
				print_value(out, d, v != NULL ? v : d->absent);
		}
	}
	for (size_t i = 0; i < s->nknown_hosts; i++) {
		const struct known_host *k = &s->known_hosts[i];

		fprintf(out, "%-28s %s:%u %s %s\n", "known_host", k->host, k->port, k->type,
			k->sha256 != NULL ? k->sha256 : k->md5);
	}
}

const char *settings_known_host_fingerprint(const struct known_host *k)
{
	if (k->sha256 != NULL)
		return k->sha256;
	return k->md5 != NULL && str_has_prefix(k->md5, "MD5:") ? k->md5 + 4 : k->md5 ? k->md5 : "-";
}

/* One line of the running configuration: the rows numbered line. A command
 * line lists each row's word and value ("backup server url U username N"),
 * and is left out when none is set; a comment line is "! key value" for the
 * first row, a later row adding "(word value)", one line per list entry. */
/* v as one word of the console's grammar (cli/console_parse.c): in double
 * quotes when it is empty or holds a blank, so that the line reads back
 * to the same value. Returns v, or a quoted copy in *heap (freed by the
 * caller). */
static const char *console_word(const char *v, char **heap)
{
	if (v[0] != '\0' && strpbrk(v, " \t") == NULL)
		return v;
	*heap = xasprintf("\"%s\"", v);
	return *heap;
}

static void print_console_line(const struct settings *s, FILE *out, unsigned line, const char *mask)
{
	const struct keydef *first = NULL;
	bool started = false;
	char buf[32], *heap = NULL;

	for (size_t i = 0; i < ARRAY_LEN(keydefs); i++) {
		const struct keydef *d = &keydefs[i];
		char *const *items;
		const char *v;
		size_t n;

		if (d->line != line)
			continue;
		if (first == NULL)
			first = d;
		switch (d->kind) {
		case K_HOSTS:
			for (size_t j = 0; j < s->nknown_hosts; j++) {
				const struct known_host *k = &s->known_hosts[j];
				char host[URL_HOSTPORT_MAX];

				url_format_hostport(k->host, k->port, URL_DEFAULT_PORT, host, sizeof(host));
				fprintf(out, "%s %s %s %s\n", d->command, host, k->type, settings_known_host_fingerprint(k));
			}
			continue;
		case K_LIST:
		case K_PATHS:
			items = list_items(s, d, &n);
			for (size_t j = 0; j < n; j++)
				fprintf(out, "! %s.%s %s\n", d->section, d->name, items[j]);
			continue;
		case K_BOOL:
			if (d->command != NULL) {
				fprintf(out, "%s%s\n", *(const bool *)(const void *)((const char *)s + d->off) ? "" : "no ",
					d->command);
				continue;
			}
			break;
		default:
			break;
		}
		v = shown_value(s, d, mask, buf, sizeof(buf));
		/* Left out when not set, unless no value has a meaning of its own. */
		if (v == NULL && d->absent != NULL && strcmp(d->absent, NOT_SET) != 0)
			v = d->absent;
		if (v == NULL)
			continue;
		if (d->command != NULL && d->word != NULL)
			fprintf(out, "%s %s %s", started ? "" : d->command, d->word, console_word(v, &heap));
		else if (d->command != NULL && d->kind == K_SCHEDULE)
			fprintf(out, "%s %s", d->command, v); /* its words are the command's words */
		else if (d->command != NULL)
			fprintf(out, "%s %s", d->command, console_word(v, &heap));
		else if (started)
			fprintf(out, " (%s %s)", d->word, v);
		else if (d == first)
			fprintf(out, "! %s.%s %s", d->section, d->name, v);
		else
			continue; /* an addition to a line that is left out */
		free(heap);
		heap = NULL;
		started = true;
	}
	if (started)
		fputc('\n', out);
}

void settings_print_console(const struct settings *s, FILE *out, const char *mask)
{
	unsigned last = 0;
	bool comments = false;

	for (size_t i = 0; i < ARRAY_LEN(keydefs); i++)
		last = keydefs[i].line > last ? keydefs[i].line : last;
	/* The command lines first, then the comments, each in line order (a
	 * command added later has a higher number than the comments). */
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned line = 1; line <= last; line++) {
			const struct keydef *d = NULL;

			for (size_t i = 0; i < ARRAY_LEN(keydefs) && d == NULL; i++)
				if (keydefs[i].line == line)
					d = &keydefs[i];
			if (d == NULL || (d->command == NULL) != (pass == 1))
				continue;
			if (d->command == NULL && !comments) {
				fputs("!\n! set with revault set / source add / exclude add:\n", out);
				comments = true;
			}
			print_console_line(s, out, line, mask);
		}
	}
}

static int list_add(char ***v, size_t *n, const char *item)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i], item) == 0)
			return 1;
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = xstrdup(item);
	return 0;
}

static int list_remove(char **v, size_t *n, const char *item)
{
	for (size_t i = 0; i < *n; i++) {
		if (strcmp(v[i], item) == 0) {
			free(v[i]);
			memmove(&v[i], &v[i + 1], (*n - i - 1) * sizeof(*v));
			(*n)--;
			return 0;
		}
	}
	return -1;
}

/* Nested sources and the state folder are refused here, the one way in
 * for the command line and the text interface alike. */
int settings_source_add(struct settings *s, const char *path, struct err *e)
{
	struct err se = { 0 };
	char *clean, *state;
	int rc;

	if (text_ok("the source", path, "rename it, or add a folder above it", e) != RV_OK)
		return e->code;
	clean = sources_normalise(path, e);
	if (clean == NULL)
		return e->code;
	/* Without a home there is no state folder to protect, and the job,
	 * which keeps its lock there, says so itself. */
	state = paths_state_dir(&se);
	rc = sources_check_add(s->backup.sources, s->backup.nsources, clean, state, e);
	if (rc == RV_OK)
		list_add(&s->backup.sources, &s->backup.nsources, clean);
	free(state);
	free(clean);
	return rc;
}

int settings_source_remove(struct settings *s, const char *path, struct err *e)
{
	char *clean = sources_normalise(path, e);
	int rc = RV_OK;

	if (clean == NULL)
		return e->code;
	if (list_remove(s->backup.sources, &s->backup.nsources, clean) != 0)
		rc = err_set(e, RV_USAGE, "%s is not a source (`revault show` lists them)", path);
	free(clean);
	return rc;
}

int settings_exclude_add(struct settings *s, const char *pattern, struct err *e)
{
	if (text_ok("the pattern", pattern, "match the name with * in place of those bytes", e) != RV_OK)
		return e->code;
	if (exclude_check(pattern, s->backup.sources, s->backup.nsources, e) != RV_OK)
		return e->code;
	if (list_add(&s->backup.exclude, &s->backup.nexclude, pattern) != 0)
		return err_set(e, RV_USAGE, "\"%s\" is already excluded", pattern);
	return RV_OK;
}

int settings_exclude_remove(struct settings *s, const char *pattern, struct err *e)
{
	if (list_remove(s->backup.exclude, &s->backup.nexclude, pattern) != 0)
		return err_set(e, RV_USAGE, "\"%s\" is not an exclude pattern (`revault show` lists them)", pattern);
	return RV_OK;
}

void settings_known_host_add(struct settings *s, const char *host, unsigned port, const char *type,
			     const char *sha256, const char *md5)
{
	struct known_host k = { 0 };
	char added[32];
	time_t now = time(NULL);
	struct tm tm;

	settings_known_host_remove(s, host, port, type);
	gmtime_r(&now, &tm);
	strftime(added, sizeof(added), "%Y-%m-%dT%H:%M:%SZ", &tm);
	k.host = xstrdup(host);
	k.port = port;
	k.type = xstrdup(type);
	/* A fingerprint the SSH library could not compute arrives empty: it is
	 * not on record, rather than on record as "" (which no load accepts). */
	k.sha256 = sha256 != NULL && sha256[0] != '\0' ? xstrdup(sha256) : NULL;
	k.md5 = md5 != NULL && md5[0] != '\0' ? xstrdup(md5) : NULL;
	k.added = xstrdup(added);
	s->known_hosts = xrealloc(s->known_hosts, (s->nknown_hosts + 1) * sizeof(k));
	s->known_hosts[s->nknown_hosts++] = k;
}

size_t settings_known_host_remove(struct settings *s, const char *host, unsigned port, const char *type)
{
	size_t removed = 0, j = 0;

	for (size_t i = 0; i < s->nknown_hosts; i++) {
		struct known_host *k = &s->known_hosts[i];

		if (strcasecmp(k->host, host) == 0 && k->port == port &&
		    (type == NULL || strcmp(k->type, type) == 0)) {
			known_host_free(k);
			removed++;
			continue;
		}
		s->known_hosts[j++] = *k;
	}
	s->nknown_hosts = j;
	return removed;
}
