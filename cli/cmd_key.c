/* cmd_key: the master key — generate, show, and carry it to another
 * machine as a passphrase-wrapped file or on paper. */
#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/keystore.h"
#include "core/paths.h"
#include "core/util.h"

#define PASSPHRASE_MIN 8

static char *key_path(struct cli_ctx *ctx)
{
	return paths_beside(ctx->settings_path, PATHS_MASTER_KEY);
}

static void print_id(struct cli_ctx *ctx, const char *what, const struct master_key *k)
{
	char id[2 * KEY_ID_LEN + 1];

	keystore_id_hex(k->id, id);
	fprintf(ctx->out, "%s, key id %s\n", what, id);
}

static int exec_generate(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	struct master_key k;
	char *path;
	int rc;

	(void)argc;
	(void)argv;
	if ((rc = paths_ensure_dir(ctx->settings_path, e)) != RV_OK)
		return rc;
	path = key_path(ctx);
	rc = keystore_generate(path, cli_flag(ctx, "--force"), &k, e);
	if (rc == RV_OK) {
		print_id(ctx, "master key generated", &k);
		fprintf(ctx->out, "keep a copy away from this machine: `revault key export FILE` or "
			"`revault key export --paper`\n");
	}
	keystore_clear(&k);
	free(path);
	return rc;
}

static int exec_show(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	struct master_key k;
	struct stat st;
	char *path;
	int rc;

	(void)argc;
	(void)argv;
	path = key_path(ctx);
	rc = keystore_load(path, &k, e);
	if (rc == RV_OK) {
		char id[2 * KEY_ID_LEN + 1], when[32] = "?";

		keystore_id_hex(k.id, id);
		keystore_clear(&k);
		if (stat(path, &st) == 0) {
			struct tm tm;

			gmtime_r(&st.st_mtime, &tm);
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		}
		fprintf(ctx->out, "%-8s %s\n%-8s %s\n%-8s %s\n", "key id", id, "file", path, "written", when);
	}
	free(path);
	return rc;
}

static char *read_passphrase(const char *fdarg, bool confirm, struct err *e)
{
	int fd = -1;
	char *p;

	if (fdarg != NULL && cli_parse_fd(fdarg, &fd, e) != RV_OK)
		return NULL;
	p = cli_read_secret("Passphrase: ", fd, confirm, e);
	if (p != NULL && confirm && strlen(p) < PASSPHRASE_MIN) {
		wipe_free_str(p);
		err_set(e, RV_USAGE, "the passphrase is too short: use at least %d characters", PASSPHRASE_MIN);
		return NULL;
	}
	return p;
}

static int exec_export(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	bool paper = cli_flag(ctx, "--paper");
	const char *fdarg = cli_opt_value(ctx, "--passphrase-fd");
	struct master_key k;
	char *path, *pass;
	int rc;

	/* The count the spec cannot say: FILE, or nothing with --paper. */
	if (paper ? argc != 0 : argc != 1)
		return cli_usage(ctx->cmd, e);
	path = key_path(ctx);
	rc = keystore_load(path, &k, e);
	free(path);
	if (rc != RV_OK)
		return rc;
	if (paper) {
		char *text = keystore_paper(&k);

		fputs(text, ctx->out);
		fputs("# type it back with `revault key import --paper`\n", ctx->out);
		wipe_free_str(text);
		keystore_clear(&k);
		return RV_OK;
	}
	pass = read_passphrase(fdarg, true, e);
	if (pass == NULL) {
		keystore_clear(&k);
		return e->code;
	}
	rc = keystore_export(&k, argv[0], pass, e);
	wipe_free_str(pass);
	if (rc == RV_OK)
		print_id(ctx, "master key exported", &k);
	keystore_clear(&k);
	return rc;
}

/* Reads the whole paper form from a file, or stdin. */
static char *read_paper(const char *file, struct err *e)
{
	FILE *f = stdin;
	char *text = xcalloc(1, 4096);
	size_t n;

	if (file != NULL && (f = fopen(file, "re")) == NULL) {
		free(text);
		err_set(e, RV_USAGE, "cannot read %s: %s", file, strerror(errno));
		return NULL;
	}
	if (file == NULL && isatty(STDIN_FILENO))
		fputs("Type the four lines of the paper key, then an empty line or Ctrl-D:\n", stderr);
	n = 0;
	while (n < 4095 && fgets(text + n, (int)(4096 - n), f) != NULL) {
		if (file == NULL && isatty(STDIN_FILENO) && text[n] == '\n')
			break;
		n += strlen(text + n);
	}
	if (f != stdin)
		fclose(f);
	return text;
}

static int exec_import(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	bool paper = cli_flag(ctx, "--paper"), force = cli_flag(ctx, "--force");
	const char *fdarg = cli_opt_value(ctx, "--passphrase-fd");
	struct master_key k;
	char *path, *secret;
	int rc;

	/* The count the spec cannot say: FILE, or FILE optional with --paper. */
	if (!paper && argc != 1)
		return cli_usage(ctx->cmd, e);
	path = key_path(ctx);
	if (keystore_exists(path) && !force) {
		rc = err_set(e, RV_USAGE, "a master key already exists at %s: use --force to replace it "
			     "(the old key is kept beside it)", path);
		goto out;
	}
	if (paper) {
		secret = read_paper(argc == 1 ? argv[0] : NULL, e);
		rc = secret ? keystore_from_paper(secret, &k, e) : e->code;
	} else {
		secret = read_passphrase(fdarg, false, e);
		rc = secret ? keystore_unwrap(argv[0], secret, &k, e) : e->code;
	}
	wipe_free_str(secret);
	if (rc == RV_OK && (rc = paths_ensure_dir(ctx->settings_path, e)) == RV_OK)
		rc = keystore_install(path, &k, force, e);
	if (rc == RV_OK)
		print_id(ctx, "master key installed", &k);
	keystore_clear(&k);
out:
	free(path);
	return rc;
}

const struct cli_cmd cli_key_cmds[] = {
	{ .name = "key generate", .usage = "[--force]",
	  .help = "make a new master key (--force keeps the old one beside it)",
	  .needs_settings = true, .args = { .min = 0, .max = 0, .opts = { { "--force", false } } }, .exec = exec_generate },
	{ .name = "key show", .usage = "", .help = "the master key's id and file",
	  .needs_settings = true, .args = { .min = 0, .max = 0 }, .exec = exec_show },
	{ .name = "key export", .usage = "FILE [--passphrase-fd N] | --paper",
	  .help = "write the key wrapped under a passphrase, or print it for paper",
	  .needs_settings = true,
	  .args = { .min = 0, .max = 1, .opts = { { "--paper", false }, { "--passphrase-fd", true } } }, .exec = exec_export },
	{ .name = "key import", .usage = "FILE [--passphrase-fd N] [--force] | --paper [FILE] [--force]",
	  .help = "install a key exported on another machine",
	  .needs_settings = true,
	  .args = { .min = 0, .max = 1, .opts = { { "--paper", false }, { "--force", false }, { "--passphrase-fd", true } } },
	  .exec = exec_import },
	{ .name = NULL },
};
