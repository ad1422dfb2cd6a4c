/* rv_seal: seals a compressed archive into a revault container, for tests
 * that need correctly signed backups holding archives revault itself would
 * never write (tests/integration/restore_hostile.sh).
 *
 *   rv_seal KEYFILE DEVICE REVISION <plain.tar.zst >out.revault
 *
 * KEYFILE is a master.key (loaded with the same checks as the product's);
 * the container's header names DEVICE and REVISION and the current time.
 * Exit 0 when sealed, 1 on a failure, 2 on a usage error, each with one
 * line on stderr. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/container.h"
#include "core/err.h"
#include "core/keystore.h"

static int out_sink(void *arg, const uint8_t *buf, size_t len, struct err *e)
{
	(void)arg;
	if (fwrite(buf, 1, len, stdout) != len)
		return err_set(e, RV_FAIL, "cannot write the container to stdout");
	return 0;
}

int main(int argc, char **argv)
{
	static unsigned char buf[64 * 1024];
	struct container_header h = { 0 };
	struct master_key key;
	struct err e = { 0 };
	struct sealer *s;
	size_t n;

	if (argc != 4) {
		fputs("usage: rv_seal KEYFILE DEVICE REVISION <plain.tar.zst >out.revault\n", stderr);
		return 2;
	}
	if (strlen(argv[2]) > CONTAINER_DEVICE_MAX || strlen(argv[3]) > CONTAINER_REVISION_MAX) {
		fputs("rv_seal: device or revision too long for a container header\n", stderr);
		return 2;
	}
	if (isatty(STDOUT_FILENO)) {
		fputs("rv_seal: stdout is a terminal: redirect it to a file\n", stderr);
		return 2;
	}
	if (keystore_load(argv[1], &key, &e) != RV_OK) {
		fprintf(stderr, "rv_seal: %s\n", e.msg);
		return e.code == RV_USAGE ? 2 : 1;
	}
	snprintf(h.device, sizeof(h.device), "%s", argv[2]);
	snprintf(h.revision, sizeof(h.revision), "%s", argv[3]);
	snprintf(h.tool_version, sizeof(h.tool_version), "rv_seal");
	h.created = (int64_t)time(NULL);
	s = sealer_new(&key, &h, out_sink, NULL, &e);
	keystore_clear(&key);
	if (s == NULL) {
		fprintf(stderr, "rv_seal: %s\n", e.msg);
		return e.code == RV_USAGE ? 2 : 1;
	}
	while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0) {
		if (sealer_write(s, buf, n, &e) != RV_OK)
			break;
	}
	if (e.code == RV_OK && ferror(stdin))
		err_set(&e, RV_FAIL, "cannot read the archive from stdin");
	if (e.code == RV_OK)
		sealer_finish(s, &e);
	sealer_free(s);
	if (e.code == RV_OK && fflush(stdout) != 0)
		err_set(&e, RV_FAIL, "cannot write the container to stdout");
	if (e.code != RV_OK) {
		fprintf(stderr, "rv_seal: %s\n", e.msg);
		return 1;
	}
	return 0;
}
