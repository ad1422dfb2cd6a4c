/* cmd_knownhost: host keys pinned from a fingerprint obtained out of band. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "core/fingerprint.h"
#include "core/trust.h"
#include "core/url.h"

static int exec_add(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	struct trust_pinned pin;
	int rc;

	(void)argc;
	rc = trust_pin(&ctx->settings, ctx->settings_path, argv[0], argv[1], argv[2], &pin, e);
	if (rc != RV_OK)
		return rc;
	fprintf(ctx->out, "pinned %s key %s for %s\n", pin.type, pin.fingerprint, pin.where);
	if (pin.note != NULL)
		cli_warn(ctx, pin.note);
	return RV_OK;
}

static int exec_list(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	const struct settings *s = &ctx->settings;

	(void)argc;
	(void)argv;
	(void)e;
	if (s->nknown_hosts == 0) {
		fprintf(ctx->out, "no known hosts: run `revault authenticate` or "
			"`revault knownhost add HOST[:PORT] TYPE FINGERPRINT`\n");
		return RV_OK;
	}
	fprintf(ctx->out, "%-24s %5s  %-19s  %-20s  %s\n", "HOST", "PORT", "TYPE", "ADDED", "FINGERPRINT");
	for (size_t i = 0; i < s->nknown_hosts; i++) {
		const struct known_host *k = &s->known_hosts[i];

		fprintf(ctx->out, "%-24s %5u  %-19s  %-20s  %s\n", k->host, k->port, k->type,
			k->added ? k->added : "-", k->sha256 ? k->sha256 : k->md5);
		if (k->sha256 != NULL && k->md5 != NULL)
			fprintf(ctx->out, "%-24s %5s  %-19s  %-20s  %s\n", "", "", "", "", k->md5);
	}
	return RV_OK;
}

static int exec_remove(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	const char *type = NULL;
	char *host, where[URL_HOSTPORT_MAX];
	unsigned port;
	size_t n;
	int rc;

	if ((rc = url_parse_hostport(argv[0], &host, &port, URL_DEFAULT_PORT, e)) != RV_OK)
		return rc;
	if (argc == 2 && (type = fingerprint_type(argv[1], e)) == NULL) {
		free(host);
		return e->code;
	}
	n = settings_known_host_remove(&ctx->settings, host, port, type);
	url_format_hostport(host, port, 0, where, sizeof(where));
	if (n == 0) {
		rc = err_set(e, RV_USAGE, "no %s key is pinned for %s (see `revault knownhost list`)",
			     type ? type : "host", where);
	} else if ((rc = cli_save(ctx, e)) == RV_OK) {
		fprintf(ctx->out, "removed %zu key%s for %s\n", n, n == 1 ? "" : "s", where);
	}
	free(host);
	return rc;
}

const struct cli_cmd cli_knownhost_cmds[] = {
	{ .name = "knownhost add", .usage = "HOST[:PORT] TYPE FINGERPRINT",
	  .help = "pin a server's host key (fingerprint as SHA256:... or aa:bb:...)",
	  .needs_settings = true, .args = { .min = 3, .max = 3 }, .exec = exec_add },
	{ .name = "knownhost list", .usage = "", .help = "the pinned host keys",
	  .needs_settings = true, .args = { .min = 0, .max = 0 }, .exec = exec_list },
	{ .name = "knownhost remove", .usage = "HOST[:PORT] [TYPE]", .help = "forget a host's keys",
	  .needs_settings = true, .args = { .min = 1, .max = 2 }, .exec = exec_remove },
	{ .name = NULL },
};
