/* cmd_settings: show, set and unset, sources, excludes and the stored password. */
#include "cli/cli.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/keystore.h"
#include "core/paths.h"
#include "core/secret.h"
#include "core/sources.h"
#include "core/util.h"

static int exec_show(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	char *keypath;
	struct master_key k;
	struct err ke = { 0 };
	char id[2 * KEY_ID_LEN + 1];

	(void)argc;
	(void)argv;
	(void)e;
	keypath = paths_beside(ctx->settings_path, PATHS_MASTER_KEY);
	fprintf(ctx->out, "%-28s %s\n", "settings", ctx->settings_path);
	settings_print(&ctx->settings, ctx->out);
	if (!keystore_exists(keypath)) {
		fprintf(ctx->out, "%-28s %s\n", "master_key", "(none: run `revault key generate`)");
	} else if (keystore_load(keypath, &k, &ke) != RV_OK) {
		fprintf(ctx->out, "%-28s unusable: %s\n", "master_key", ke.msg);
	} else {
		keystore_id_hex(k.id, id);
		keystore_clear(&k);
		fprintf(ctx->out, "%-28s %s\n", "master_key.id", id);
	}
	free(keypath);
	return RV_OK;
}

#define KEYS_HELP_COL 28

/* The keys of the settings table: those set takes, then the ones with
 * commands of their own (their help names the command). */
static void print_keys(FILE *f)
{
	char name[64];
	const char *help;
	bool settable;

	for (int pass = 0; pass < 2; pass++) {
		fputs(pass == 0 ? "Keys:\n" : "Set by commands of their own, not by set:\n", f);
		for (size_t i = 0; settings_key_at(i, name, sizeof(name), &help, &settable); i++)
			if (settable == (pass == 0))
				cli_print_item(f, name, KEYS_HELP_COL, help);
	}
	fputs("An empty value is refused; revault unset KEY clears a key that may be absent.\n", f);
}

static int exec_set(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	int rc;

	if (argc != 2) {
		err_set(e, RV_USAGE, "usage: revault set KEY VALUE (keys: see `revault set --help`)");
		if (argc == 0)
			print_keys(stderr);
		return RV_USAGE;
	}
	if ((rc = settings_set(&ctx->settings, argv[0], argv[1], e)) != RV_OK)
		return rc;
	return cli_save(ctx, e);
}

static int exec_unset(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	int rc;

	(void)argc;
	if ((rc = settings_unset(&ctx->settings, argv[0], e)) != RV_OK)
		return rc;
	return cli_save(ctx, e);
}

static int exec_source_add(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	int rc;

	(void)argc;
	if ((rc = settings_source_add(&ctx->settings, argv[0], e)) != RV_OK)
		return rc;
	if ((rc = cli_save(ctx, e)) == RV_OK) {
		char note[PATH_MAX + 512];

		/* The one just added, in its one spelling: the list's last. */
		if (sources_symlink_note(ctx->settings.backup.sources[ctx->settings.backup.nsources - 1], note,
					 sizeof(note)))
			fprintf(stderr, "revault: warning: %s\n", note);
	}
	return rc;
}

static int exec_source_remove(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	int rc;

	(void)argc;
	if ((rc = settings_source_remove(&ctx->settings, argv[0], e)) != RV_OK)
		return rc;
	return cli_save(ctx, e);
}

static int exec_exclude_add(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	int rc;

	(void)argc;
	if ((rc = settings_exclude_add(&ctx->settings, argv[0], e)) != RV_OK)
		return rc;
	return cli_save(ctx, e);
}

static int exec_exclude_remove(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	int rc;

	(void)argc;
	if ((rc = settings_exclude_remove(&ctx->settings, argv[0], e)) != RV_OK)
		return rc;
	return cli_save(ctx, e);
}

/* The password and the key passphrase share one command: --identity picks
 * which secret is meant. */
static char **secret_field(struct cli_ctx *ctx, bool identity, const char **label)
{
	*label = identity ? "server.identity_passphrase" : "server.password";
	return identity ? &ctx->settings.server.identity_passphrase : &ctx->settings.server.password;
}

static int exec_password_set(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	bool identity = cli_flag(ctx, "--identity");
	const char *fdarg = cli_opt_value(ctx, "--fd"), *label;
	char *plain, *sealed, **field;
	int fd = -1, rc;

	(void)argc;
	(void)argv;
	if (fdarg != NULL && (rc = cli_parse_fd(fdarg, &fd, e)) != RV_OK)
		return rc;
	field = secret_field(ctx, identity, &label);
	plain = cli_read_secret(identity ? "Key passphrase: " : "Server password: ", fd, true, e);
	if (plain == NULL)
		return e->code;
	sealed = secret_seal(ctx->settings_path, label, plain, e);
	wipe_free_str(plain);
	if (sealed == NULL)
		return e->code;
	free(*field);
	*field = sealed;
	if ((rc = cli_save(ctx, e)) == RV_OK)
		fprintf(ctx->out, "%s stored, sealed under secret.key\n", label);
	return rc;
}

static int exec_password_clear(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	const char *label;
	char **field;

	(void)argc;
	(void)argv;
	field = secret_field(ctx, cli_flag(ctx, "--identity"), &label);
	free(*field);
	*field = NULL;
	return cli_save(ctx, e);
}

const struct cli_cmd cli_settings_cmds[] = {
	{ .name = "show", .usage = NULL, .help = "all settings, secrets masked",
	  .needs_settings = true, .args = { .min = 0, .max = 0 }, .exec = exec_show },
	/* set checks its own count: its usage error lists the keys. */
	{ .name = "set", .usage = "KEY VALUE", .help = "change a setting (revault set --help lists the keys)",
	  .needs_settings = true, .args = { .min = 0, .max = CLI_ARGS_ANY }, .exec = exec_set,
	  .more_help = print_keys },
	{ .name = "unset", .usage = "KEY", .help = "clear a setting that may be absent (user name, device, ...)",
	  .needs_settings = true, .args = { .min = 1, .max = 1 }, .exec = exec_unset },
	{ .name = "source add", .usage = "PATH", .help = "back up this file or directory",
	  .needs_settings = true, .args = { .min = 1, .max = 1 }, .exec = exec_source_add },
	{ .name = "source remove", .usage = "PATH", .help = "stop backing up PATH",
	  .needs_settings = true, .args = { .min = 1, .max = 1 }, .exec = exec_source_remove },
	{ .name = "exclude add", .usage = "PATTERN", .help = "leave out paths matching a glob pattern",
	  .needs_settings = true, .args = { .min = 1, .max = 1 }, .exec = exec_exclude_add },
	{ .name = "exclude remove", .usage = "PATTERN", .help = "remove an exclude pattern",
	  .needs_settings = true, .args = { .min = 1, .max = 1 }, .exec = exec_exclude_remove },
	{ .name = "password set", .usage = "[--identity] [--fd N]",
	  .help = "store the server password (or key passphrase), read from the terminal or stdin",
	  .needs_settings = true, .args = { .min = 0, .max = 0, .opts = { { "--identity", false }, { "--fd", true } } },
	  .exec = exec_password_set },
	{ .name = "password clear", .usage = "[--identity]", .help = "forget the stored password or passphrase",
	  .needs_settings = true, .args = { .min = 0, .max = 0, .opts = { { "--identity", false } } }, .exec = exec_password_clear },
	{ .name = NULL },
};
