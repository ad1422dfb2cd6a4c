/* exclude: matching backup.exclude patterns (see exclude.h). */
#include "core/exclude.h"

#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

/* The next component of *p (slashes skipped) as a pointer and length;
 * false at the end. */
static bool next_part(const char **p, const char **part, size_t *len)
{
	while (**p == '/')
		(*p)++;
	if (**p == '\0')
		return false;
	*part = *p;
	*len = strcspn(*p, "/");
	*p += *len;
	return true;
}

static bool part_match(const char *pat, size_t plen, const char *name, size_t nlen)
{
	char *p = xstrndup(pat, plen), *n = xstrndup(name, nlen);
	bool ok = fnmatch(p, n, 0) == 0;

	free(p);
	free(n);
	return ok;
}

/* Component by component; "**" takes any number of components. */
static bool match_parts(const char *pat, const char *path)
{
	const char *pp, *np;
	size_t pl, nl;
	const char *prest = pat, *nrest = path;

	if (!next_part(&prest, &pp, &pl))
		return !next_part(&nrest, &np, &nl);
	if (pl == 2 && pp[0] == '*' && pp[1] == '*') {
		/* Zero components, or one more and try again. */
		for (const char *rest = path;;) {
			if (match_parts(prest, rest))
				return true;
			if (!next_part(&rest, &np, &nl))
				return false;
		}
	}
	if (!next_part(&nrest, &np, &nl) || !part_match(pp, pl, np, nl))
		return false;
	return match_parts(prest, nrest);
}

/* The pattern without its trailing slashes, allocated; *dir_only when it
 * had any. */
static char *strip_trailing(const char *pattern, bool *dir_only)
{
	size_t len = strlen(pattern);

	*dir_only = false;
	while (len > 1 && pattern[len - 1] == '/') {
		len--;
		*dir_only = true;
	}
	return xstrndup(pattern, len);
}

bool exclude_match(const char *pattern, const char *abs, const char *source, bool is_dir)
{
	bool dir_only, ok = false;
	char *pat = strip_trailing(pattern, &dir_only);
	const char *base = strrchr(abs, '/');

	if (dir_only && !is_dir) {
		free(pat);
		return false;
	}
	if (strchr(pat, '/') == NULL) {
		/* A name at any depth, dotfiles included (no FNM_PERIOD). */
		ok = strcmp(pat, "**") == 0 || fnmatch(pat, base != NULL ? base + 1 : abs, 0) == 0;
	} else if (pat[0] == '/') {
		ok = match_parts(pat, abs);
	} else {
		size_t sl = strcmp(source, "/") == 0 ? 0 : strlen(source);

		/* Anchored at the source's root: compared with what lies under it. */
		if (strncmp(abs, source, sl) == 0 && abs[sl] == '/')
			ok = match_parts(pat, abs + sl + 1);
	}
	free(pat);
	return ok;
}

/* Could an absolute pattern match anything at or under source? */
static bool reaches(const char *pat, const char *source)
{
	const char *pp, *sp;
	size_t pl, sl;

	for (;;) {
		if (!next_part(&source, &sp, &sl))
			return true; /* the pattern goes on beneath the source */
		if (!next_part(&pat, &pp, &pl))
			return false; /* it stops above the source */
		if (pl == 2 && pp[0] == '*' && pp[1] == '*')
			return true;
		if (!part_match(pp, pl, sp, sl))
			return false;
	}
}

int exclude_check(const char *pattern, char *const *sources, size_t nsources, struct err *e)
{
	bool dir_only, found = false;
	char *pat = strip_trailing(pattern, &dir_only);
	const char *p = pat, *part;
	size_t len;
	int rc = RV_OK;

	if (pat[0] == '\0' || strcmp(pat, "/") == 0) {
		free(pat);
		return err_set(e, RV_USAGE, "an exclude pattern needs a name or a path: \"%s\" would never match", pattern);
	}
	if (strstr(pat + (pat[0] == '/'), "//") != NULL) {
		rc = err_set(e, RV_USAGE, "\"%s\" can never match: paths are compared with single slashes", pattern);
		goto out;
	}
	while (next_part(&p, &part, &len)) {
		if ((len == 1 && part[0] == '.') || (len == 2 && part[0] == '.' && part[1] == '.')) {
			rc = err_set(e, RV_USAGE, "\"%s\" can never match: paths are compared without \".\" or \"..\"; write the path as it is",
				     pattern);
			goto out;
		}
		if (len > NAME_MAX) {
			rc = err_set(e, RV_USAGE, "\"%s\" can never match: a name is at most 255 bytes", pattern);
			goto out;
		}
	}
	for (size_t i = 0; i < nsources && rc == RV_OK; i++)
		if (exclude_match(pattern, sources[i], sources[i], true))
			rc = err_set(e, RV_USAGE, "\"%s\" would leave out the whole source %s: remove the source instead (`revault source remove %s`)",
				     pattern, sources[i], sources[i]);
	if (rc != RV_OK)
		goto out;
	if (pat[0] == '/' && nsources > 0) {
		for (size_t i = 0; i < nsources && !found; i++)
			found = reaches(pat, sources[i]);
		if (!found)
			rc = err_set(e, RV_USAGE, "\"%s\" can never match: it lies outside every source (`revault show` lists them); a pattern without a leading / is matched under each source",
				     pattern);
	}
out:
	free(pat);
	return rc;
}
