/* cmd_knownhost: host keys pinned from a fingerprint obtained out of band. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "core/fingerprint.h"
#include "core/util.h"

/* HOST, HOST:PORT, [V6], [V6]:PORT or a bare IPv6 address. */
static int parse_host_port(const char *in, char **host, unsigned *port, struct err *e)
{
	const char *colon = NULL;
	char *end;
	unsigned long p = 22;

	if (in[0] == '[') {
		const char *close = strchr(in, ']');

		if (close == NULL || close == in + 1 || (close[1] != '\0' && close[1] != ':'))
			goto bad;
		*host = xstrndup(in + 1, (size_t)(close - in - 1));
		if (close[1] == ':')
			colon = close + 1;
	} else {
		colon = strchr(in, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			colon = NULL; /* a bare IPv6 address */
		*host = colon ? xstrndup(in, (size_t)(colon - in)) : xstrdup(in);
		if (**host == '\0') {
			free(*host);
			goto bad;
		}
	}
	if (colon != NULL) {
		p = strtoul(colon + 1, &end, 10);
		if (colon[1] == '\0' || *end != '\0' || p < 1 || p > 65535) {
			free(*host);
			goto bad;
		}
	}
	*port = (unsigned)p;
	return RV_OK;
bad:
	*host = NULL;
	return err_set(e, RV_USAGE, "\"%s\" is not HOST or HOST:PORT (IPv6 as [ADDR]:PORT)", in);
}

static int exec_add(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	char *host, *sha = NULL, *md5 = NULL;
	const char *type;
	unsigned port;
	int rc;

	if (argc != 3)
		return cli_usage(ctx->cmd, e);
	if ((rc = parse_host_port(argv[0], &host, &port, e)) != RV_OK)
		return rc;
	type = fingerprint_type(argv[1], e);
	if (type == NULL || fingerprint_parse(argv[2], &sha, &md5, e) != RV_OK) {
		free(host);
		return e->code;
	}
	settings_known_host_add(&ctx->settings, host, port, type, sha, md5);
	rc = cli_save(ctx, e);
	if (rc == RV_OK)
		fprintf(ctx->out, "pinned %s key %s for %s port %u\n", type, sha ? sha : md5, host, port);
	free(host);
	free(sha);
	free(md5);
	return rc;
}

static int exec_list(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	const struct settings *s = &ctx->settings;

	(void)argv;
	if (argc != 0)
		return cli_usage(ctx->cmd, e);
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
	char *host;
	unsigned port;
	size_t n;
	int rc;

	if (argc != 1 && argc != 2)
		return cli_usage(ctx->cmd, e);
	if ((rc = parse_host_port(argv[0], &host, &port, e)) != RV_OK)
		return rc;
	if (argc == 2 && (type = fingerprint_type(argv[1], e)) == NULL) {
		free(host);
		return e->code;
	}
	n = settings_known_host_remove(&ctx->settings, host, port, type);
	if (n == 0) {
		rc = err_set(e, RV_USAGE, "no %s key is pinned for %s port %u (see `revault knownhost list`)",
			     type ? type : "host", host, port);
	} else if ((rc = cli_save(ctx, e)) == RV_OK) {
		fprintf(ctx->out, "removed %zu key%s for %s port %u\n", n, n == 1 ? "" : "s", host, port);
	}
	free(host);
	return rc;
}

const struct cli_cmd cli_knownhost_cmds[] = {
	{ .name = "knownhost add", .usage = "HOST[:PORT] TYPE FINGERPRINT",
	  .help = "pin a server's host key (fingerprint as SHA256:... or aa:bb:...)",
	  .needs_settings = true, .exec = exec_add },
	{ .name = "knownhost list", .usage = "", .help = "the pinned host keys",
	  .needs_settings = true, .exec = exec_list },
	{ .name = "knownhost remove", .usage = "HOST[:PORT] [TYPE]", .help = "forget a host's keys",
	  .needs_settings = true, .exec = exec_remove },
	{ .name = NULL },
};
