/* entry_checks: what an entry box asks of a path or a name before it
 * closes, so that a value the job would refuse later keeps the box open
 * with the reason instead (dialog_input_checked). */
#include "tui/app.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/settings.h"
#include "core/tarball.h"
#include "core/util.h"

bool app_check_absolute(void *arg, const char *v, char *err, size_t cap)
{
	(void)arg;
	if (v[0] == '\0' || v[0] == '/')
		return true;
	snprintf(err, cap, "\"%s\" is a relative path: type an absolute path, one that starts with /", v);
	return false;
}

/* The nearest existing ancestor of the absolute path dir must be a
 * directory for the restore to make dir under it (core/extract.c makes
 * the missing part 0700). */
static bool can_be_made(const char *dir, char *err, size_t cap)
{
	char *cur = xstrdup(dir);
	struct stat sb;
	bool ok = true;

	for (;;) {
		char *slash = strrchr(cur, '/');

		if (slash == NULL)
			break;
		*slash = '\0';
		if (cur[0] == '\0')
			break;
		if (stat(cur, &sb) == 0) {
			if (!S_ISDIR(sb.st_mode)) {
				snprintf(err, cap, "%s is not a directory, so %s cannot be made: name another directory",
					 cur, dir);
				ok = false;
			}
			break;
		}
		if (errno != ENOENT) {
			snprintf(err, cap, "cannot use %s: %s: name another directory", cur, strerror(errno));
			ok = false;
			break;
		}
	}
	free(cur);
	return ok;
}

bool app_check_restore_dir(void *arg, const char *v, char *err, size_t cap)
{
	struct err e = { 0 };

	if (v[0] == '\0')
		return true; /* in place, after its own question */
	if (!app_check_absolute(arg, v, err, cap))
		return false;
	if (!can_be_made(v, err, cap))
		return false;
	if (tarball_check_to(v, &e) != RV_OK) {
		snprintf(err, cap, "%s", e.msg);
		return false;
	}
	return true;
}

bool app_check_device(void *arg, const char *v, char *err, size_t cap)
{
	struct settings s;
	struct err e = { 0 };
	bool ok;

	(void)arg;
	if (v[0] == '\0')
		return true; /* this machine's */
	settings_init(&s);
	ok = settings_set(&s, "backup.device", v, &e) == RV_OK;
	settings_free(&s);
	if (!ok)
		snprintf(err, cap, "%s", e.msg);
	return ok;
}
