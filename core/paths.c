/* paths: locating the settings file and the secrets beside it. */
#include "core/paths.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"

char *paths_settings(const char *override, struct err *e)
{
	const char *env = getenv("REVAULT_CONFIG");
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");

	if (override != NULL && *override != '\0')
		return xstrdup(override);
	if (env != NULL && *env != '\0')
		return xstrdup(env);
	if (geteuid() == 0)
		return xstrdup("/etc/revault/revault.yaml");
	if (xdg != NULL && xdg[0] == '/')
		return xasprintf("%s/revault/revault.yaml", xdg);
	if (home != NULL && home[0] == '/')
		return xasprintf("%s/.config/revault/revault.yaml", home);
	err_set(e, RV_USAGE, "cannot tell where the settings live: set HOME, or pass -c FILE");
	return NULL;
}

char *paths_beside(const char *settings_path, const char *name)
{
	const char *slash = strrchr(settings_path, '/');

	if (slash == NULL)
		return xstrdup(name);
	return xasprintf("%.*s/%s", (int)(slash - settings_path), settings_path, name);
}

int paths_ensure_dir(const char *settings_path, struct err *e)
{
	const char *slash = strrchr(settings_path, '/');
	char *dir;
	int rc = RV_OK;

	if (slash == NULL || slash == settings_path)
		return RV_OK;
	dir = xstrndup(settings_path, (size_t)(slash - settings_path));
	/* Create each missing component; only the last one is ours to make private. */
	for (char *p = dir + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;

		*p = '\0';
		if (mkdir(dir, saved == '\0' ? 0700 : 0755) != 0 && errno != EEXIST) {
			rc = err_set(e, RV_FAIL, "cannot create %s: %s", dir, strerror(errno));
			break;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	free(dir);
	return rc;
}

void paths_sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash == NULL ? xstrdup(".") : slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

int paths_write_new(const char *path, const void *data, size_t len, struct err *e)
{
	char *tmp = xasprintf("%s.tmp-XXXXXX", path);
	mode_t old = umask(077);
	int fd = mkstemp(tmp);
	int rc = RV_OK;

	umask(old);
	if (fd < 0) {
		rc = err_set(e, RV_FAIL, "cannot create a file beside %s: %s", path, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0600) != 0 || write(fd, data, len) != (ssize_t)len || fsync(fd) != 0) {
		rc = err_set(e, RV_FAIL, "cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (link(tmp, path) != 0) {
		if (errno == EEXIST)
			rc = err_set(e, RV_USAGE, "%s already exists: nothing was written", path);
		else
			rc = err_set(e, RV_FAIL, "cannot create %s: %s", path, strerror(errno));
	}
	unlink(tmp);
	if (rc == RV_OK)
		paths_sync_dir(path);
out:
	free(tmp);
	return rc;
}

char *paths_state_dir(struct err *e)
{
	const char *env = getenv("REVAULT_STATE_DIR");
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");

	if (env != NULL && env[0] == '/')
		return xstrdup(env);
	if (geteuid() == 0)
		return xstrdup("/var/lib/revault");
	if (xdg != NULL && xdg[0] == '/')
		return xasprintf("%s/revault", xdg);
	if (home != NULL && home[0] == '/')
		return xasprintf("%s/.local/state/revault", home);
	err_set(e, RV_USAGE, "cannot tell where revault keeps its state: set HOME or REVAULT_STATE_DIR");
	return NULL;
}

char *paths_state_file(const char *name, struct err *e)
{
	char *dir = paths_state_dir(e), *file;

	if (dir == NULL)
		return NULL;
	/* paths_ensure_dir makes the folder holding its argument. */
	file = xasprintf("%s/%s", dir, name);
	free(dir);
	if (paths_ensure_dir(file, e) != RV_OK) {
		free(file);
		return NULL;
	}
	return file;
}
