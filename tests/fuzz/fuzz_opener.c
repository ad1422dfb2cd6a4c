/* libFuzzer entry: arbitrary bytes into the header parser and the opener
 * under a fixed master key, whole and in two pieces. Any input must be
 * refused or accepted without a memory error or a leak, and a refusal must
 * stick and carry a status. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/container.h"
#include "core/keystore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_sink(void *arg, const uint8_t *buf, size_t len, struct err *e)
{
	size_t *n = arg;

	(void)buf;
	(void)e;
	*n += len;
	return 0;
}

static void run(const struct master_key *k, const uint8_t *data, size_t size, size_t cut)
{
	struct err e = { 0 };
	size_t got = 0;
	struct opener *o = opener_new(k, count_sink, &got);
	int rc = opener_write(o, data, cut, &e);

	if (rc == RV_OK)
		rc = opener_write(o, data + cut, size - cut, &e);
	if (rc == RV_OK)
		rc = opener_finish(o, &e);
	/* A failure is sticky, and sets a status when it is about integrity. */
	if (rc != RV_OK && opener_write(o, data, size > 0 ? 1 : 0, &e) != rc)
		__builtin_trap();
	if (rc == RV_INTEGRITY && opener_status(o) == CONTAINER_OK)
		__builtin_trap();
	opener_free(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct master_key k;
	static int ready;
	struct container_header h;
	size_t hl;

	if (!ready) {
		memset(k.key, 0x42, sizeof(k.key));
		keystore_key_id(k.key, k.id);
		ready = 1;
	}
	/* The header parser alone, on every prefix length the input gives. */
	if (container_header_parse(data, size, &h, &hl) == CONTAINER_OK && hl > size)
		__builtin_trap();
	run(&k, data, size, size);
	run(&k, data, size, size / 2);
	return 0;
}
