/* settings: the whole configuration model of revault, loaded from and saved
 * to one YAML file. Loading is strict (unknown keys, wrong types, duplicate
 * keys and out-of-range values are refused with FILE:LINE:COLUMN) and saving
 * is atomic, so a file that could not be fully read is never overwritten. */
#ifndef REVAULT_CORE_SETTINGS_H
#define REVAULT_CORE_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/err.h"

enum auth_method {
	AUTH_PASSWORD,
	AUTH_PUBLICKEY,
	AUTH_AGENT,
};

struct known_host {
	char *host;   /* as written in the URL, without brackets for IPv6 */
	unsigned port;
	char *type;   /* canonical: ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa, ssh-dss ... */
	char *sha256; /* "SHA256:base64-without-padding", or NULL when only MD5 was pinned */
	char *md5;    /* "MD5:aa:bb:...", or NULL */
	char *added;  /* UTC, ISO 8601 */
};

struct settings {
	struct {
		char *url;            /* sftp://[user@]host[:port]/dir, or NULL */
		char *username;       /* NULL: the user in the URL, else the local user */
		enum auth_method auth;
		char *password;       /* sealed form ("sealed:v1:..."), never clear text */
		char *identity;       /* private key file */
		char *identity_passphrase; /* sealed form */
		unsigned connect_timeout; /* seconds */
		unsigned timeout;         /* seconds, per call */
		unsigned retries;         /* connecting again after a loss, 0-10; 0: never */
		unsigned channels;        /* SFTP channels an upload may use, 1-4 (core/transport.h) */
	} server;
	struct {
		unsigned revisions;   /* 1..1000 */
		char **sources;       /* absolute, normalised (core/sources.h) */
		size_t nsources;
		char **exclude;       /* glob patterns */
		size_t nexclude;
		unsigned compression; /* zstd level 1..19 */
		char *device;         /* NULL: the host name */
		char *schedule;       /* canonical (core/schedule.h), NULL: off */
		char *bandwidth;      /* the cap, as core/bwlimit.h reads it: "off", "2M", "08:00,512k 18:00,off" */
	} backup;
	struct {
		bool protected_;
		bool enforced;
	} security;
	struct known_host *known_hosts;
	size_t nknown_hosts;
	struct {
		char *before_backup;  /* sh -c command line, or NULL */
		char *after_backup;   /* sh -c command line, or NULL */
		unsigned timeout;     /* seconds each may run, 1..86400 */
	} hooks;
	struct {
		char *theme;          /* default, monochrome, high-contrast */
		bool ascii;
		bool slow_link;
	} ui;
};

void settings_init(struct settings *s);   /* defaults */
void settings_free(struct settings *s);

/* Loads path into s. A missing file gives the defaults and RV_OK. Any other
 * problem gives RV_USAGE with "FILE:LINE:COLUMN: what is wrong". */
int settings_load(struct settings *s, const char *path, struct err *e);
/* Writes s atomically (temp file in the same directory, fsync, rename,
 * fsync the directory), mode 0600. Creates the directory (0700) if needed. */
int settings_save(const struct settings *s, const char *path, struct err *e);

/* The i-th key of the settings ("section.name", or "section" for a
 * record list), its help, and whether `revault set` takes it (the others
 * have commands of their own, which their help names); false past the
 * last one. */
bool settings_key_at(size_t i, char *name, size_t cap, const char **help, bool *settable);

/* Validates and sets one key; RV_USAGE with a message on bad input. An
 * empty value is refused, never taken as "the default". */
int settings_set(struct settings *s, const char *key, const char *value, struct err *e);
/* Clears a key whose absence has a meaning (server.url, server.username,
 * server.identity, backup.device: not set, the URL's user, no key file,
 * the host name); RV_USAGE for a key that always holds a value. */
int settings_unset(struct settings *s, const char *key, struct err *e);
/* Prints every setting, secrets masked, as "key: value" lines. */
void settings_print(const struct settings *s, FILE *out);
/* The settings as the console's configuration commands, secrets shown as
 * mask, then as "! key value" comments those set only with `revault set`,
 * `source add` or `exclude add`. */
void settings_print_console(const struct settings *s, FILE *out, const char *mask);
/* A known host's fingerprint as the appliance wrote it: SHA256:..., else
 * the MD5 one bare (aa:bb:...). */
const char *settings_known_host_fingerprint(const struct known_host *k);

/* Sources are kept normalised (core/sources.h): a relative path is taken
 * from the current directory. Adding refuses (RV_USAGE, one line naming
 * both paths) a source already listed in any spelling, one inside or
 * holding another source, and one holding or inside the state folder.
 * Removing accepts any spelling of a listed source. */
int settings_source_add(struct settings *s, const char *path, struct err *e);
int settings_source_remove(struct settings *s, const char *path, struct err *e);
int settings_exclude_add(struct settings *s, const char *pattern, struct err *e);
int settings_exclude_remove(struct settings *s, const char *pattern, struct err *e);

/* Known hosts. Adding replaces an entry with the same host, port and type;
 * an empty fingerprint (NULL or "") is not put on record. */
void settings_known_host_add(struct settings *s, const char *host, unsigned port,
			     const char *type, const char *sha256, const char *md5);
/* Removes entries for host:port (all types when type is NULL); returns the count. */
size_t settings_known_host_remove(struct settings *s, const char *host, unsigned port,
				  const char *type);

const char *settings_auth_name(enum auth_method m);

#endif
