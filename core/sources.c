/* sources: one spelling per path, and the rules between sources. Paths are
 * compared by name only: following symlinks here would make the answer
 * depend on the machine the settings are read on, and the archive layer
 * already excludes revault's own files by identity (docs/ARCHITECTURE.md, "Files on the machine"). */
#include "core/sources.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"

char *sources_normalise(const char *in, struct err *e)
{
	char *joined = NULL, *out;
	size_t o = 0;

	if (in == NULL || in[0] == '\0') {
		err_set(e, RV_USAGE, "a source path cannot be empty");
		return NULL;
	}
	if (in[0] != '/') {
		char *cwd = getcwd(NULL, 0);

		if (cwd == NULL) {
			err_set(e, RV_USAGE, "cannot tell the current directory (%s): give \"%s\" as an absolute path",
				strerror(errno), in);
			return NULL;
		}
		joined = xasprintf("%s/%s", cwd, in);
		free(cwd);
		in = joined;
	}
	/* Each kept component adds its own length plus one slash, and at
	 * least one slash was dropped before it: the result never outgrows in. */
	out = xmalloc(strlen(in) + 2);
	for (const char *p = in; *p != '\0';) {
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n == 0)
			break;
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--; /* and the slash before the dropped component */
		} else if (!(n == 1 && p[0] == '.')) {
			out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	free(joined);
	return out;
}

bool sources_contains(const char *a, const char *b)
{
	size_t n = strlen(a);

	if (strcmp(a, "/") == 0)
		return true;
	return strncmp(a, b, n) == 0 && (b[n] == '\0' || b[n] == '/');
}

/* The state folder against one source; RV_USAGE when they overlap. */
static int check_state(const char *src, const char *state, struct err *e)
{
	if (state == NULL)
		return RV_OK;
	if (sources_contains(src, state))
		return err_set(e, RV_USAGE,
			       "the source %s holds revault's state folder %s (its lock and restore journal), "
			       "which no backup may hold: remove %s (`revault source remove %s`) and add the "
			       "folders you need beside the state folder instead",
			       src, state, src, src);
	if (sources_contains(state, src))
		return err_set(e, RV_USAGE,
			       "the source %s lies inside revault's state folder %s, which no backup may hold: "
			       "remove %s (`revault source remove %s`)",
			       src, state, src, src);
	return RV_OK;
}

/* Two different sources: RV_USAGE when one holds the other. */
static int check_pair(const char *a, const char *b, struct err *e)
{
	const char *outer = a, *inner = b;

	if (strcmp(a, b) == 0)
		return err_set(e, RV_USAGE, "the source %s is listed twice: remove one (`revault source remove %s`)",
			       a, a);
	if (sources_contains(b, a)) {
		outer = b;
		inner = a;
	} else if (!sources_contains(a, b)) {
		return RV_OK;
	}
	return err_set(e, RV_USAGE,
		       "the source %s lies inside the source %s, which already backs it up; one source may not "
		       "hold another: remove %s (`revault source remove %s`)",
		       inner, outer, inner, inner);
}

/* Where a normalised path lies on disk: its parent with symlinks resolved
 * (the path itself is not followed: a symlink source is the link), so that
 * /a/link/x and /a/real/x are one place. The path as it is when its
 * parent does not exist. Allocated. */
static char *physical(char *path)
{
	char *head, *real, *out;
	size_t cut;

	if (strcmp(path, "/") == 0)
		return path;
	/* The longest existing ancestor, resolved; the rest as written. */
	head = xstrdup(path);
	for (;;) {
		char *slash = strrchr(head, '/');

		if (slash == NULL || slash == head) {
			free(head);
			return path;
		}
		*slash = '\0';
		if ((real = realpath(head, NULL)) != NULL)
			break;
	}
	cut = strlen(head);
	out = xasprintf("%s%s", strcmp(real, "/") == 0 ? "" : real, path + cut);
	free(real);
	free(head);
	free(path);
	return out;
}

char *sources_resolved(const char *dir, struct err *e)
{
	char *n = sources_normalise(dir, e), *real;

	if (n == NULL)
		return NULL;
	real = realpath(n, NULL);
	if (real == NULL)
		return physical(n);
	free(n);
	return real;
}

/* Normalised copies of paths where they lie on disk, or NULL with e set. */
static char **normalise_all(char *const *paths, size_t n, struct err *e)
{
	char **v = xcalloc(n + 1, sizeof(*v));

	for (size_t i = 0; i < n; i++) {
		if ((v[i] = sources_normalise(paths[i], e)) != NULL)
			v[i] = physical(v[i]);
		if (v[i] == NULL) {
			for (size_t k = 0; k < i; k++)
				free(v[k]);
			free(v);
			return NULL;
		}
	}
	return v;
}

static void free_all(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int sources_check(char *const *sources, size_t n, const char *state_dir, struct err *e)
{
	char **v = normalise_all(sources, n, e), *state = NULL;
	int rc = RV_OK;

	if (v == NULL)
		return e->code;
	if (state_dir != NULL && (state = sources_resolved(state_dir, e)) == NULL) {
		free_all(v, n);
		return e->code;
	}
	for (size_t i = 0; i < n && rc == RV_OK; i++) {
		rc = check_state(v[i], state, e);
		for (size_t j = i + 1; j < n && rc == RV_OK; j++)
			rc = check_pair(v[i], v[j], e);
	}
	free(state);
	free_all(v, n);
	return rc;
}

int sources_check_add(char *const *sources, size_t n, const char *candidate, const char *state_dir,
		      struct err *e)
{
	char **v = normalise_all(sources, n, e), *state = NULL, *where = physical(xstrdup(candidate));
	int rc = RV_OK;

	if (v == NULL) {
		free(where);
		return e->code;
	}
	if (state_dir != NULL && (state = sources_resolved(state_dir, e)) == NULL) {
		free_all(v, n);
		free(where);
		return e->code;
	}
	/* Compared where they lie: a symlink in a parent is no other place. */
	candidate = where;
	for (size_t i = 0; i < n && rc == RV_OK; i++) {
		if (strcmp(v[i], candidate) == 0)
			rc = err_set(e, RV_USAGE, "%s is already a source", candidate);
		else if (sources_contains(v[i], candidate))
			rc = err_set(e, RV_USAGE,
				     "cannot add %s: it lies inside the source %s, which already backs it up "
				     "(one source may not hold another)",
				     candidate, v[i]);
		else if (sources_contains(candidate, v[i]))
			rc = err_set(e, RV_USAGE,
				     "cannot add %s: it holds the source %s (one source may not hold another); "
				     "remove %s first (`revault source remove %s`)",
				     candidate, v[i], v[i], v[i]);
	}
	if (rc == RV_OK && state != NULL) {
		if (sources_contains(candidate, state))
			rc = err_set(e, RV_USAGE,
				     "cannot add %s: it holds revault's state folder %s (its lock and restore "
				     "journal), which no backup may hold; add the folders you need beside it instead",
				     candidate, state);
		else if (sources_contains(state, candidate))
			rc = err_set(e, RV_USAGE,
				     "cannot add %s: it lies inside revault's state folder %s, which no backup may hold",
				     candidate, state);
	}
	free(state);
	free_all(v, n);
	free(where);
	return rc;
}

char *sources_physical(const char *path, struct err *e)
{
	char *n = sources_normalise(path, e);

	return n != NULL ? physical(n) : NULL;
}

bool sources_symlink_note(const char *source, char *msg, size_t cap)
{
	char target[4096];
	ssize_t n;
	struct stat st;

	if (lstat(source, &st) != 0 || !S_ISLNK(st.st_mode))
		return false;
	n = readlink(source, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	snprintf(msg, cap,
		 "%s is a symlink to %s: only the link is backed up, not what it points to; to back up the files, add the folder it points to as a source",
		 source, target);
	return true;
}
