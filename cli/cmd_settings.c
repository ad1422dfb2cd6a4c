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

	(void)argv;
	if (argc != 0)
		return err_set(e, RV_USAGE, "usage: revault show");
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

static int exec_set(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	int rc;

	if (argc != 2) {
		char name[64];
		const char *help;

		err_set(e, RV_USAGE, "usage: revault set KEY VALUE (keys: see `revault set --help`)");
		if (argc == 0) {
			fputs("keys:\n", stderr);
			for (size_t i = 0; settings_key_at(i, name, sizeof(name), &help); i++)
				fprintf(stderr, "  %-24s %s\n", name, help);
		}
		return RV_USAGE;
	}
	if ((rc = settings_set(&ctx->settings, argv[0], argv[1], e)) != RV_OK)
		return rc;
	return cli_save(ctx, e);
}

static int exec_unset(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	int rc;

	if (argc != 1)
		return cli_usage(ctx->cmd, e);
	if ((rc = settings_unset(&ctx->settings, argv[0], e)) != RV_OK)
		return rc;
	return cli_save(ctx, e);
}

static int exec_source_add(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	int rc;

	if (argc != 1)
		return err_set(e, RV_USAGE, "usage: revault source add PATH");
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

	if (argc != 1)
		return err_set(e, RV_USAGE, "usage: revault source remove PATH");
	if ((rc = settings_source_remove(&ctx->settings, argv[0], e)) != RV_OK)
		return rc;
	return cli_save(ctx, e);
}

static int exec_exclude_add(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	int rc;

	if (argc != 1)
		return err_set(e, RV_USAGE, "usage: revault exclude add PATTERN");
	if ((rc = settings_exclude_add(&ctx->settings, argv[0], e)) != RV_OK)
		return rc;
	return cli_save(ctx, e);
}

static int exec_exclude_remove(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	int rc;

	if (argc != 1)
		return err_set(e, RV_USAGE, "usage: revault exclude remove PATTERN");
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
	bool identity = false;
	const char *fdarg = NULL, *label;
	struct cli_opt opts[] = {
		{ "--identity", &identity, NULL },
		{ "--fd", NULL, &fdarg },
		{ NULL, NULL, NULL },
	};
	char *plain, *sealed, **field;
	int fd = -1, rc;

	if ((rc = cli_parse_opts(ctx->cmd, &argc, argv, opts, e)) != RV_OK)
		return rc;
	if (argc != 0)
		return cli_usage(ctx->cmd, e);
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
	bool identity = false;
	const char *label;
	struct cli_opt opts[] = {
		{ "--identity", &identity, NULL },
		{ NULL, NULL, NULL },
	};
	char **field;
	int rc;

	if ((rc = cli_parse_opts(ctx->cmd, &argc, argv, opts, e)) != RV_OK)
		return rc;
	if (argc != 0)
		return cli_usage(ctx->cmd, e);
	field = secret_field(ctx, identity, &label);
	free(*field);
	*field = NULL;
	return cli_save(ctx, e);
}

const struct cli_cmd cli_settings_cmds[] = {
	{ .name = "show", .usage = "", .help = "all settings, secrets masked",
	  .needs_settings = true, .exec = exec_show },
	{ .name = "set", .usage = "KEY VALUE", .help = "change a setting (revault set --help lists the keys)",
	  .needs_settings = true, .exec = exec_set },
	{ .name = "unset", .usage = "KEY", .help = "clear a setting that may be absent (user name, device, ...)",
	  .needs_settings = true, .exec = exec_unset },
	{ .name = "source add", .usage = "PATH", .help = "back up this file or directory",
	  .needs_settings = true, .exec = exec_source_add },
	{ .name = "source remove", .usage = "PATH", .help = "stop backing up PATH",
	  .needs_settings = true, .exec = exec_source_remove },
	{ .name = "exclude add", .usage = "PATTERN", .help = "leave out paths matching a glob pattern",
	  .needs_settings = true, .exec = exec_exclude_add },
	{ .name = "exclude remove", .usage = "PATTERN", .help = "remove an exclude pattern",
	  .needs_settings = true, .exec = exec_exclude_remove },
	{ .name = "password set", .usage = "[--identity] [--fd N]",
	  .help = "store the server password (or key passphrase), read from the terminal or stdin",
	  .needs_settings = true, .exec = exec_password_set },
	{ .name = "password clear", .usage = "[--identity]", .help = "forget the stored password or passphrase",
	  .needs_settings = true, .exec = exec_password_clear },
	{ .name = NULL },
};
