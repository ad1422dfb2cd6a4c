/* console_grammar: the keyword trees. Shared levels are written once as
 * macros; an argument node carries the same check `revault set` and
 * `revault knownhost add` make, so a bad value is refused at its word,
 * before anything changes. */
#include "cli/console_grammar.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/fingerprint.h"
#include "core/schedule.h"
#include "core/settings.h"
#include "core/url.h"
#include "core/util.h"

/* ---- argument checks ---- */

static int check_revisions(const char *v, struct err *e)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno != 0 || n < 1 || n > 1000)
		return err_set(e, RV_USAGE, "the number of revisions is a whole number from 1 to 1000, not \"%s\"", v);
	return RV_OK;
}

/* The check `revault set KEY` makes, on a value typed in the console. */
static int check_setting(const char *key, const char *v, struct err *e)
{
	struct settings tmp;
	int rc;

	settings_init(&tmp);
	rc = settings_set(&tmp, key, v, e);
	settings_free(&tmp);
	return rc;
}

static int check_url(const char *v, struct err *e)
{
	return check_setting("server.url", v, e);
}

static int check_bandwidth(const char *v, struct err *e)
{
	return check_setting("backup.bandwidth", v, e);
}

/* The same check `revault set server.retries` makes. */
static int check_retries(const char *v, struct err *e)
{
	struct settings tmp;
	int rc;

	settings_init(&tmp);
	rc = settings_set(&tmp, "server.retries", v, e);
	settings_free(&tmp);
	return rc;
}

/* The same check `revault set server.channels` makes. */
static int check_channels(const char *v, struct err *e)
{
	struct settings tmp;
	int rc;

	settings_init(&tmp);
	rc = settings_set(&tmp, "server.channels", v, e);
	settings_free(&tmp);
	return rc;
}

static int check_name(const char *v, struct err *e)
{
	for (const char *p = v; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return err_set(e, RV_USAGE, "a user name cannot hold control characters");
	if (v[0] == '\0')
		return err_set(e, RV_USAGE, "the user name is empty");
	return RV_OK;
}

static int check_secret(const char *v, struct err *e)
{
	if (v[0] == '\0')
		return err_set(e, RV_USAGE, "the password is empty");
	return RV_OK;
}

/* The same reading `revault knownhost add` makes (core/url.h). */
static int check_host(const char *v, struct err *e)
{
	unsigned port;

	return url_parse_hostport(v, NULL, &port, URL_DEFAULT_PORT, e);
}

static int check_type(const char *v, struct err *e)
{
	return fingerprint_type(v, e) != NULL ? RV_OK : RV_USAGE;
}

static int check_fingerprint(const char *v, struct err *e)
{
	char *sha = NULL, *md5 = NULL;
	int rc = fingerprint_parse(v, &sha, &md5, e);

	free(sha);
	free(md5);
	return rc;
}

static int check_revision(const char *v, struct err *e)
{
	if (v[0] == '\0' || v[0] == '.' || strchr(v, '/') != NULL)
		return err_set(e, RV_USAGE, "\"%s\" is not a revision: `show backup` lists them", v);
	return RV_OK;
}

/* The schedule's words, checked one at a time as `revault schedule`
 * checks them (core/schedule.h). */
static int check_sched(char *w0, char *w1, char *w2, char *w3, struct err *e)
{
	char *words[] = { w0, w1, w2, w3 };
	struct schedule s;

	return schedule_parse_words(w3 != NULL ? 4 : w2 != NULL ? 3 : 2, words, &s, e);
}

static int check_time(const char *v, struct err *e)
{
	return check_sched("daily", (char *)v, NULL, NULL, e);
}

static int check_day(const char *v, struct err *e)
{
	return check_sched("weekly", (char *)v, "00:00", NULL, e);
}

static int check_random(const char *v, struct err *e)
{
	return check_sched("daily", "00:00", "random", (char *)v, e);
}

static int check_hook(const char *v, struct err *e)
{
	return check_setting("hooks.before_backup", v, e);
}

static int check_hook_timeout(const char *v, struct err *e)
{
	return check_setting("hooks.timeout", v, e);
}

/* A path inside a revision: absolute, as `show backup revision` prints it. */
static int check_path(const char *v, struct err *e)
{
	if (v[0] != '/' || strcmp(v, "/") == 0)
		return err_set(e, RV_USAGE, "\"%s\" is not a path inside the revision: give an absolute path as "
			       "`show backup revision REVISION` prints it", v);
	return RV_OK;
}

/* ---- the grammar ---- */

static const char *const key_types[] = {
	"ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa", "ssh-dss",
	"ssh-dsa", NULL,
};

#define END_OF_LEVEL { .word = NULL }

/* A slot past the parser's table would be dropped without a word. */
_Static_assert(S_END <= CONSOLE_SLOTS, "raise CONSOLE_SLOTS in cli/console_parse.h");

static const struct console_node password_value[] = {
	{ .word = "PASSWORD", .kind = CN_ARG, .help = "the server password (leave out to be asked without echo)",
	  .slot = S_PASSWORD, .secret = true, .check = check_secret, .cmd = C_SERVER },
	END_OF_LEVEL,
};

#define PASSWORD_NODE                                                                                     \
	{ .word = "password", .kind = CN_KEYWORD, .help = "the password to log in with, sealed on this machine", \
	  .slot = S_PASSWORD_KW, .cmd = C_SERVER, .next = password_value }

static const struct console_node after_username[] = { PASSWORD_NODE, END_OF_LEVEL };

static const struct console_node username_value[] = {
	{ .word = "NAME", .kind = CN_ARG, .help = "the login name on the server", .slot = S_USER,
	  .check = check_name, .cmd = C_SERVER, .next = after_username },
	END_OF_LEVEL,
};

#define USERNAME_NODE                                                                              \
	{ .word = "username", .kind = CN_KEYWORD, .help = "the login name on the server", .next = username_value }

static const struct console_node after_url[] = { USERNAME_NODE, PASSWORD_NODE, END_OF_LEVEL };

static const struct console_node url_value[] = {
	{ .word = "URL", .kind = CN_ARG, .help = "sftp://[user@]host[:port]/dir", .slot = S_URL,
	  .check = check_url, .cmd = C_SERVER, .next = after_url },
	END_OF_LEVEL,
};

static const struct console_node retries_value[] = {
	{ .word = "NUMBER", .kind = CN_ARG, .help = "connect again up to this often after a loss, 0-10 (0: never)",
	  .slot = S_NUMBER, .check = check_retries, .cmd = C_RETRIES },
	END_OF_LEVEL,
};

static const struct console_node channels_value[] = {
	{ .word = "NUMBER", .kind = CN_ARG, .help = "SFTP channels an upload may use on a slow link, 1-4",
	  .slot = S_NUMBER, .check = check_channels, .cmd = C_CHANNELS },
	END_OF_LEVEL,
};

static const struct console_node backup_server[] = {
	{ .word = "url", .kind = CN_KEYWORD, .help = "where backups go: sftp://[user@]host[:port]/dir",
	  .next = url_value },
	USERNAME_NODE,
	PASSWORD_NODE,
	{ .word = "authenticate", .kind = CN_KEYWORD, .help = "connect, show the server's host key and trust it",
	  .cmd = C_AUTHENTICATE },
	{ .word = "retries", .kind = CN_KEYWORD, .help = "how often to connect again when a connection is lost",
	  .next = retries_value },
	{ .word = "channels", .kind = CN_KEYWORD, .help = "SFTP channels an upload may use on a slow link",
	  .next = channels_value },
	END_OF_LEVEL,
};

static const struct console_node revisions_value[] = {
	{ .word = "NUMBER", .kind = CN_ARG, .help = "revisions kept on the server, 1-1000", .slot = S_NUMBER,
	  .check = check_revisions, .cmd = C_REVISIONS },
	END_OF_LEVEL,
};

static const struct console_node bandwidth_value[] = {
	{ .word = "RATE", .kind = CN_ARG,
	  .help = "off, 512k, 2M, 16Mbit, or in quotes \"08:00,512k 18:00,off\"",
	  .slot = S_RATE, .check = check_bandwidth, .cmd = C_BANDWIDTH },
	END_OF_LEVEL,
};

static const struct console_node key_words[] = {
	{ .word = "generate", .kind = CN_KEYWORD, .help = "make the master key that encrypts and signs backups",
	  .cmd = C_KEYGEN },
	END_OF_LEVEL,
};

static const struct console_node backup_security[] = {
	{ .word = "key", .kind = CN_KEYWORD, .help = "the master key", .next = key_words },
	{ .word = "protected", .kind = CN_KEYWORD, .help = "encrypt and sign every backup", .cmd = C_PROTECTED_ON },
	{ .word = "enforced", .kind = CN_KEYWORD, .help = "restore only protected, untampered backups",
	  .cmd = C_ENFORCED_ON },
	END_OF_LEVEL,
};

static const struct console_node random_value[] = {
	{ .word = "MINUTES", .kind = CN_ARG, .help = "a random delay of up to this many minutes, 1-720",
	  .slot = S_SCHED_RANDOM, .check = check_random, .cmd = C_SCHEDULE },
	END_OF_LEVEL,
};

static const struct console_node after_daily_time[] = {
	{ .word = "random", .kind = CN_KEYWORD, .help = "spread the start over a random delay", .next = random_value },
	END_OF_LEVEL,
};

static const struct console_node daily_time[] = {
	{ .word = "HH:MM", .kind = CN_ARG, .help = "the time of day, 00:00-23:59", .slot = S_SCHED_TIME,
	  .check = check_time, .cmd = C_SCHEDULE, .next = after_daily_time },
	END_OF_LEVEL,
};

static const struct console_node weekly_time[] = {
	{ .word = "HH:MM", .kind = CN_ARG, .help = "the time of day, 00:00-23:59", .slot = S_SCHED_TIME,
	  .check = check_time, .cmd = C_SCHEDULE },
	END_OF_LEVEL,
};

static const struct console_node weekly_day[] = {
	{ .word = "DAY", .kind = CN_ARG, .help = "the day of the week", .slot = S_SCHED_DAY, .check = check_day,
	  .choices = schedule_day_names, .next = weekly_time },
	END_OF_LEVEL,
};

static const struct console_node schedule_words[] = {
	{ .word = "daily", .kind = CN_KEYWORD, .help = "every day at a time", .slot = S_SCHED_KIND,
	  .next = daily_time },
	{ .word = "weekly", .kind = CN_KEYWORD, .help = "once a week, on a day at a time", .slot = S_SCHED_KIND,
	  .next = weekly_day },
	{ .word = "hourly", .kind = CN_KEYWORD, .help = "at the start of every hour", .slot = S_SCHED_KIND,
	  .cmd = C_SCHEDULE },
	{ .word = "off", .kind = CN_KEYWORD, .help = "no scheduled backups", .slot = S_SCHED_KIND, .cmd = C_SCHEDULE },
	END_OF_LEVEL,
};

static const struct console_node hook_before_value[] = {
	{ .word = "COMMAND", .kind = CN_ARG, .help = "a shell command line, in double quotes when it holds blanks",
	  .slot = S_COMMAND, .check = check_hook, .cmd = C_HOOK_BEFORE },
	END_OF_LEVEL,
};

static const struct console_node hook_after_value[] = {
	{ .word = "COMMAND", .kind = CN_ARG, .help = "a shell command line, in double quotes when it holds blanks",
	  .slot = S_COMMAND, .check = check_hook, .cmd = C_HOOK_AFTER },
	END_OF_LEVEL,
};

static const struct console_node hook_timeout_value[] = {
	{ .word = "SECONDS", .kind = CN_ARG, .help = "how long a hook may run, 1-86400", .slot = S_SECONDS,
	  .check = check_hook_timeout, .cmd = C_HOOK_TIMEOUT },
	END_OF_LEVEL,
};

static const struct console_node backup_hooks[] = {
	{ .word = "before-backup", .kind = CN_KEYWORD, .help = "run before each backup; failing stops it",
	  .next = hook_before_value },
	{ .word = "after-backup", .kind = CN_KEYWORD, .help = "run after each backup, with its outcome",
	  .next = hook_after_value },
	{ .word = "timeout", .kind = CN_KEYWORD, .help = "how long a hook may run", .next = hook_timeout_value },
	END_OF_LEVEL,
};

static const struct console_node config_backup[] = {
	{ .word = "bandwidth", .kind = CN_KEYWORD, .help = "cap the transfer rate, at all times or by time of day",
	  .next = bandwidth_value },
	{ .word = "revisions", .kind = CN_KEYWORD, .help = "how many revisions the server keeps",
	  .next = revisions_value },
	{ .word = "server", .kind = CN_KEYWORD, .help = "the SFTP server", .next = backup_server },
	{ .word = "security", .kind = CN_KEYWORD, .help = "the master key, protected and enforced modes",
	  .next = backup_security },
	{ .word = "schedule", .kind = CN_KEYWORD, .help = "when backups run by themselves (systemd timer or cron)",
	  .next = schedule_words },
	{ .word = "hooks", .kind = CN_KEYWORD, .help = "commands run before and after each backup",
	  .next = backup_hooks },
	END_OF_LEVEL,
};

static const struct console_node fingerprint_value[] = {
	{ .word = "FINGERPRINT", .kind = CN_ARG, .help = "aa:bb:... (MD5), MD5:aa:bb:... or SHA256:base64",
	  .slot = S_FINGERPRINT, .check = check_fingerprint, .cmd = C_KNOWNHOST_ADD },
	END_OF_LEVEL,
};

static const struct console_node type_value[] = {
	{ .word = "TYPE", .kind = CN_ARG, .help = "the host key type", .slot = S_TYPE, .check = check_type,
	  .choices = key_types, .next = fingerprint_value },
	END_OF_LEVEL,
};

static const struct console_node host_value[] = {
	{ .word = "HOST", .kind = CN_ARG, .help = "the server: name, address, HOST:PORT or [IPv6]:PORT",
	  .slot = S_HOST, .check = check_host, .next = type_value },
	END_OF_LEVEL,
};

static const struct console_node ssh_add[] = {
	{ .word = "knownhost", .alias = "knowhost", .kind = CN_KEYWORD,
	  .help = "pin a server's host key fingerprint", .next = host_value },
	END_OF_LEVEL,
};

static const struct console_node security_add[] = {
	{ .word = "ssh", .kind = CN_KEYWORD, .help = "SSH host keys", .next = ssh_add },
	END_OF_LEVEL,
};

static const struct console_node host_only[] = {
	{ .word = "HOST", .kind = CN_ARG, .help = "the server, as pinned (HOST or HOST:PORT)", .slot = S_HOST,
	  .check = check_host, .cmd = C_KNOWNHOST_DEL },
	END_OF_LEVEL,
};

static const struct console_node ssh_del[] = {
	{ .word = "knownhost", .alias = "knowhost", .kind = CN_KEYWORD, .help = "forget a server's host keys",
	  .next = host_only },
	END_OF_LEVEL,
};

static const struct console_node security_del[] = {
	{ .word = "ssh", .kind = CN_KEYWORD, .help = "SSH host keys", .next = ssh_del },
	END_OF_LEVEL,
};

static const struct console_node no_backup_security[] = {
	{ .word = "protected", .kind = CN_KEYWORD, .help = "back up without encryption and signature",
	  .cmd = C_PROTECTED_OFF },
	{ .word = "enforced", .kind = CN_KEYWORD, .help = "also restore unprotected backups, after a confirmation",
	  .cmd = C_ENFORCED_OFF },
	END_OF_LEVEL,
};

static const struct console_node no_backup_hooks[] = {
	{ .word = "before-backup", .kind = CN_KEYWORD, .help = "run nothing before each backup",
	  .cmd = C_NO_HOOK_BEFORE },
	{ .word = "after-backup", .kind = CN_KEYWORD, .help = "run nothing after each backup", .cmd = C_NO_HOOK_AFTER },
	END_OF_LEVEL,
};

static const struct console_node no_backup[] = {
	{ .word = "security", .kind = CN_KEYWORD, .help = "protected and enforced modes", .next = no_backup_security },
	{ .word = "schedule", .kind = CN_KEYWORD, .help = "no scheduled backups", .cmd = C_SCHEDULE },
	{ .word = "hooks", .kind = CN_KEYWORD, .help = "commands run around each backup", .next = no_backup_hooks },
	END_OF_LEVEL,
};

static const struct console_node config_no[] = {
	{ .word = "backup", .kind = CN_KEYWORD, .help = "backup settings", .next = no_backup },
	{ .word = "security", .kind = CN_KEYWORD, .help = "pinned host keys", .next = security_del },
	END_OF_LEVEL,
};

static const struct console_node show_ssh[] = {
	{ .word = "knownhost", .alias = "knowhost", .kind = CN_KEYWORD, .help = "the pinned host keys",
	  .cmd = C_SHOW_KNOWNHOST },
	END_OF_LEVEL,
};

static const struct console_node show_security[] = {
	{ .word = "ssh", .kind = CN_KEYWORD, .help = "SSH host keys", .next = show_ssh },
	END_OF_LEVEL,
};

static const struct console_node show_revision_path[] = {
	{ .word = "PATH", .kind = CN_ARG, .help = "only this absolute path and what lies under it", .slot = S_PATH,
	  .check = check_path, .cmd = C_SHOW_REVISION },
	END_OF_LEVEL,
};

static const struct console_node show_revision_value[] = {
	{ .word = "REVISION", .kind = CN_ARG, .help = "a revision (`show backup` lists them) or latest",
	  .slot = S_REVISION, .check = check_revision, .cmd = C_SHOW_REVISION, .next = show_revision_path },
	END_OF_LEVEL,
};

static const struct console_node show_backup_words[] = {
	{ .word = "status", .kind = CN_KEYWORD, .help = "when the last backup ran and how it ended",
	  .cmd = C_SHOW_BACKUP_STATUS },
	{ .word = "revision", .kind = CN_KEYWORD, .help = "the files and folders a revision holds, checked as read",
	  .next = show_revision_value },
	END_OF_LEVEL,
};

static const struct console_node show_words[] = {
	{ .word = "backup", .kind = CN_KEYWORD, .help = "the revisions on the server", .cmd = C_SHOW_BACKUP,
	  .next = show_backup_words },
	{ .word = "running-config", .kind = CN_KEYWORD, .help = "the settings as commands, secrets masked",
	  .cmd = C_SHOW_RUNNING },
	{ .word = "security", .kind = CN_KEYWORD, .help = "security settings", .next = show_security },
	END_OF_LEVEL,
};

static const struct console_node config_tree[] = {
	{ .word = "backup", .kind = CN_KEYWORD, .help = "backup settings", .next = config_backup },
	{ .word = "security", .kind = CN_KEYWORD, .help = "pinned host keys", .next = security_add },
	{ .word = "no", .kind = CN_KEYWORD, .help = "undo a setting", .next = config_no },
	{ .word = "show", .kind = CN_KEYWORD, .help = "show settings and revisions", .next = show_words },
	{ .word = "end", .kind = CN_KEYWORD, .help = "leave configuration mode", .cmd = C_END },
	{ .word = "exit", .kind = CN_KEYWORD, .help = "leave configuration mode", .cmd = C_EXIT },
	END_OF_LEVEL,
};

static const struct console_node terminal_word[] = {
	{ .word = "terminal", .kind = CN_KEYWORD, .help = "configure from this terminal", .cmd = C_CONFIGURE },
	END_OF_LEVEL,
};

static const struct console_node restore_path_value[] = {
	{ .word = "ABSPATH", .kind = CN_ARG, .help = "the one file or folder to put back in place", .slot = S_PATH,
	  .check = check_path, .cmd = C_RESTORE },
	END_OF_LEVEL,
};

static const struct console_node restore_path[] = {
	{ .word = "path", .kind = CN_KEYWORD, .help = "only this file or folder, nothing else",
	  .next = restore_path_value },
	END_OF_LEVEL,
};

static const struct console_node revision_value[] = {
	{ .word = "REVISION", .kind = CN_ARG, .help = "a revision (`show backup` lists them) or latest",
	  .slot = S_REVISION, .check = check_revision, .cmd = C_RESTORE, .next = restore_path },
	END_OF_LEVEL,
};

static const struct console_node exec_tree[] = {
	{ .word = "backup", .kind = CN_KEYWORD, .help = "back up now", .cmd = C_BACKUP },
	{ .word = "configure", .kind = CN_KEYWORD, .help = "enter configuration mode", .next = terminal_word },
	{ .word = "exit", .kind = CN_KEYWORD, .help = "leave the console", .cmd = C_EXIT },
	{ .word = "restore", .kind = CN_KEYWORD, .help = "restore a revision in place", .next = revision_value },
	{ .word = "show", .kind = CN_KEYWORD, .help = "show settings and revisions", .next = show_words },
	END_OF_LEVEL,
};

const struct console_node *console_tree(bool config)
{
	return config ? config_tree : exec_tree;
}

