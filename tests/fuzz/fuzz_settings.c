/* The settings loader on arbitrary files: it must refuse or accept, never
 * crash, leak or read out of bounds, and what it accepts must save and load
 * back to the same settings. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/settings.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[] = "/tmp/revault-fuzz-settings-XXXXXX";
	static char *in, *out;
	struct settings s, back;
	struct err e = { 0 };
	FILE *f;

	if (in == NULL) {
		if (mkdtemp(dir) == NULL)
			abort();
		in = xasprintf("%s/in.yaml", dir);
		out = xasprintf("%s/out.yaml", dir);
	}
	f = fopen(in, "w");
	fwrite(data, 1, size, f);
	fclose(f);
	if (settings_load(&s, in, &e) == RV_OK) {
		if (settings_save(&s, out, &e) != RV_OK)
			abort();
		if (settings_load(&back, out, &e) != RV_OK) {
			fprintf(stderr, "saved settings do not load back: %s\n", e.msg);
			abort();
		}
		if (back.backup.revisions != s.backup.revisions || back.nknown_hosts != s.nknown_hosts ||
		    back.backup.nsources != s.backup.nsources)
			abort();
		settings_free(&back);
	}
	settings_free(&s);
	return 0;
}
