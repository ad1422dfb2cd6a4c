/* console_parse: splitting a line into words and walking them down a
 * grammar tree. Keywords match case-insensitively on a unique prefix (an
 * exact match wins over longer keywords); anything else must be an
 * argument that its node's check accepts. */
#include "cli/console_parse.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"

static void fault(struct console_error *ce, enum console_fault f, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void fault(struct console_error *ce, enum console_fault f, size_t col, const char *fmt, ...)
{
	va_list ap;

	ce->fault = f;
	ce->col = col;
	va_start(ap, fmt);
	vsnprintf(ce->msg, sizeof(ce->msg), fmt, ap);
	va_end(ap);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int console_split(const char *line, struct console_words *w, struct console_error *ce)
{
	size_t i = 0, len = strlen(line);

	memset(w, 0, sizeof(*w));
	memset(ce, 0, sizeof(*ce));
	while (len > 0 && is_blank(line[len - 1]))
		len--;
	w->end = len;
	while (i < len) {
		size_t start, stop;
		bool quoted;

		while (i < len && is_blank(line[i]))
			i++;
		if (i >= len)
			break;
		if (w->n == CONSOLE_WORDS_MAX) {
			fault(ce, CF_INVALID, i, "Invalid input detected at '^' marker: too many words (at most %d).", CONSOLE_WORDS_MAX);
			console_words_free(w);
			return RV_USAGE;
		}
		quoted = line[i] == '"';
		start = quoted ? i + 1 : i;
		stop = start;
		if (quoted) {
			while (stop < len && line[stop] != '"')
				stop++;
			if (stop >= len) {
				fault(ce, CF_INVALID, i, "Invalid input detected at '^' marker: the quote opened here is not closed.");
				console_words_free(w);
				return RV_USAGE;
			}
			i = stop + 1;
		} else {
			while (stop < len && !is_blank(line[stop]))
				stop++;
			i = stop;
		}
		w->col[w->n] = quoted ? start - 1 : start;
		w->text[w->n++] = xstrndup(line + start, stop - start);
	}
	/* The raw line (not the trimmed one) tells whether the cursor sits
	 * right after a word. */
	w->partial = w->n > 0 && strlen(line) == len && line[len - 1] != '"';
	return RV_OK;
}

void console_words_free(struct console_words *w)
{
	for (size_t i = 0; i < w->n; i++)
		wipe_free_str(w->text[i]);
	w->n = 0;
}

static bool word_matches(const char *word, const struct console_node *n)
{
	size_t len = strlen(word);

	if (len == 0)
		return true;
	if (strncasecmp(word, n->word, len) == 0)
		return true;
	return n->alias != NULL && strncasecmp(word, n->alias, len) == 0;
}

static bool word_exact(const char *word, const struct console_node *n)
{
	return strcasecmp(word, n->word) == 0 || (n->alias != NULL && strcasecmp(word, n->alias) == 0);
}

/* The keyword among level that word names, or NULL; *many counts the
 * candidates when the prefix is shared. */
static const struct console_node *match_keyword(const struct console_node *level, const char *word, int *many)
{
	const struct console_node *found = NULL;

	*many = 0;
	for (const struct console_node *n = level; n->word != NULL; n++) {
		if (n->kind != CN_KEYWORD || !word_matches(word, n))
			continue;
		if (word_exact(word, n)) {
			*many = 1;
			return n;
		}
		found = n;
		(*many)++;
	}
	return *many == 1 ? found : NULL;
}

static const struct console_node *find_arg(const struct console_node *level)
{
	for (const struct console_node *n = level; n != NULL && n->word != NULL; n++)
		if (n->kind == CN_ARG)
			return n;
	return NULL;
}

/* "a, b or c": the keywords and argument names of a level, for messages. */
static void list_level(const struct console_node *level, char *buf, size_t cap)
{
	size_t count = 0, k = 0, used = 0;

	buf[0] = '\0';
	for (const struct console_node *n = level; n->word != NULL; n++)
		count++;
	for (const struct console_node *n = level; n->word != NULL; n++, k++) {
		const char *sep = k == 0 ? "" : k + 1 == count ? " or " : ", ";
		int r = snprintf(buf + used, cap - used, "%s%s", sep, n->word);

		if (r < 0 || (size_t)r >= cap - used)
			return;
		used += (size_t)r;
	}
}

static void ambiguous(const struct console_node *level, const char *word, size_t col, struct console_error *ce)
{
	struct console_node same[CONSOLE_WORDS_MAX];
	char names[200];
	size_t n = 0;

	for (const struct console_node *c = level; c->word != NULL && n + 1 < ARRAY_LEN(same); c++)
		if (c->kind == CN_KEYWORD && word_matches(word, c))
			same[n++] = *c;
	same[n].word = NULL;
	list_level(same, names, sizeof(names));
	fault(ce, CF_AMBIGUOUS, col, "Ambiguous command at '^' marker: \"%.40s\" may be %s.", word, names);
}

/* Walks words [0, count) from tree. On success *level is where the next
 * word would be looked up and *last the node of the last word (NULL when
 * count is 0). */
static int walk(const struct console_node *tree, const struct console_words *w, size_t count,
		const struct console_node **level, const struct console_node **last, struct console_cmd *out,
		struct console_error *ce)
{
	const struct console_node *lv = tree, *node = NULL;

	for (size_t i = 0; i < count; i++) {
		const char *word = w->text[i];
		int many = 0;

		if (lv == NULL) {
			fault(ce, CF_INVALID, w->col[i], "Invalid input detected at '^' marker: nothing follows \"%s\".",
			      node->word);
			return RV_USAGE;
		}
		node = word[0] != '\0' ? match_keyword(lv, word, &many) : NULL;
		if (node == NULL && many > 1) {
			ambiguous(lv, word, w->col[i], ce);
			return RV_USAGE;
		}
		if (node == NULL) {
			struct err e = { 0 };
			char names[200];

			node = find_arg(lv);
			if (node == NULL) {
				list_level(lv, names, sizeof(names));
				fault(ce, CF_INVALID, w->col[i], "Invalid input detected at '^' marker: expected %s.", names);
				return RV_USAGE;
			}
			if (node->check != NULL && node->check(word, &e) != RV_OK) {
				size_t mlen = strlen(e.msg);

				if (mlen > 0 && e.msg[mlen - 1] == '.')
					e.msg[mlen - 1] = '\0';
				fault(ce, CF_INVALID, w->col[i], "Invalid input detected at '^' marker: %s.", e.msg);
				return RV_USAGE;
			}
			if (node->secret && out != NULL)
				out->secret = out->secret_word[i] = true;
		}
		if (node->slot > 0 && node->slot < CONSOLE_SLOTS && out != NULL)
			out->slot[node->slot] = node->kind == CN_ARG ? word : node->word;
		lv = node->next;
	}
	*level = lv;
	*last = node;
	return RV_OK;
}

int console_parse(const struct console_node *tree, const struct console_words *w, struct console_cmd *out,
		  struct console_error *ce)
{
	const struct console_node *level, *last;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(ce, 0, sizeof(*ce));
	if ((rc = walk(tree, w, w->n, &level, &last, out, ce)) != RV_OK)
		return rc;
	if (last == NULL)
		return RV_OK;
	if (last->cmd <= 0) {
		char names[200];

		list_level(level, names, sizeof(names));
		fault(ce, CF_INCOMPLETE, w->end + 1, "Incomplete command: %s must follow.", names);
		return RV_USAGE;
	}
	out->cmd = last->cmd;
	return RV_OK;
}

static void add_choice(struct console_choice *out, size_t cap, int *n, const char *word, const char *help,
		       bool keyword)
{
	if ((size_t)*n >= cap)
		return;
	out[*n].word = word;
	out[*n].help = help;
	out[*n].keyword = keyword;
	(*n)++;
}

int console_next(const struct console_node *tree, const struct console_words *w, struct console_choice *out,
		 size_t cap, struct console_error *ce)
{
	const struct console_node *level, *last;
	const char *prefix = w->partial ? w->text[w->n - 1] : "";
	size_t plen = strlen(prefix);
	int n = 0;

	memset(ce, 0, sizeof(*ce));
	if (walk(tree, w, w->partial ? w->n - 1 : w->n, &level, &last, NULL, ce) != RV_OK)
		return -1;
	for (const struct console_node *c = level; c != NULL && c->word != NULL; c++) {
		if (c->kind == CN_KEYWORD) {
			if (strncasecmp(prefix, c->word, plen) == 0)
				add_choice(out, cap, &n, c->word, c->help, true);
			else if (c->alias != NULL && strncasecmp(prefix, c->alias, plen) == 0)
				add_choice(out, cap, &n, c->alias, c->help, true);
		} else if (c->choices != NULL) {
			for (const char *const *v = c->choices; *v != NULL; v++)
				if (strncmp(prefix, *v, plen) == 0)
					add_choice(out, cap, &n, *v, c->help, true);
		} else {
			add_choice(out, cap, &n, c->word, c->help, false);
		}
	}
	if (!w->partial && last != NULL && last->cmd > 0)
		add_choice(out, cap, &n, "<cr>", "run the command", false);
	return n;
}

int console_complete(const struct console_node *tree, const struct console_words *w, char *buf, size_t cap)
{
	struct console_choice c[64];
	struct console_error ce;
	size_t plen = w->partial ? strlen(w->text[w->n - 1]) : 0, common = 0;
	const char *first = NULL;
	int n, keywords = 0;

	buf[0] = '\0';
	n = console_next(tree, w, c, ARRAY_LEN(c), &ce);
	for (int i = 0; i < n; i++) {
		if (!c[i].keyword) {
			if (strcmp(c[i].word, "<cr>") != 0)
				return 0; /* free text may follow: nothing is certain */
			continue;
		}
		if (first == NULL) {
			first = c[i].word;
			common = strlen(first);
		} else {
			size_t k = 0;

			while (k < common && c[i].word[k] != '\0' && tolower((unsigned char)c[i].word[k]) ==
								      tolower((unsigned char)first[k]))
				k++;
			common = k;
		}
		keywords++;
	}
	if (first != NULL && common > plen && common - plen < cap) {
		memcpy(buf, first + plen, common - plen);
		buf[common - plen] = '\0';
	}
	return keywords;
}

/* A keyword anywhere in tree that a secret argument follows, which word
 * could abbreviate: the grammar takes one letter when it is unique at its
 * level, so any non-empty prefix counts. */
static bool secret_keyword(const struct console_node *tree, const char *word, int depth)
{
	if (tree == NULL || depth > 16)
		return false;
	for (const struct console_node *n = tree; n->word != NULL; n++) {
		const struct console_node *a = find_arg(n->next);

		if (n->kind == CN_KEYWORD && a != NULL && a->secret && word[0] != '\0' && word_matches(word, n))
			return true;
		if (secret_keyword(n->next, word, depth + 1))
			return true;
	}
	return false;
}

/* A URL with a password in it (sftp://user:secret@host/dir): refused as
 * a URL, yet the password must not reach the log either. */
static bool url_with_password(const char *word)
{
	const char *start = strstr(word, "://"), *at, *colon;

	if (start == NULL)
		return false;
	start += 3;
	at = strchr(start, '@');
	colon = strchr(start, ':');
	return at != NULL && colon != NULL && colon < at && memchr(start, '/', (size_t)(at - start)) == NULL;
}

void console_secret_words(const struct console_node *tree, const struct console_words *w, bool *mask)
{
	struct console_cmd cmd;
	struct console_error ce;
	bool after = false, parsed = console_parse(tree, w, &cmd, &ce) == RV_OK;

	for (size_t i = 0; i < w->n; i++) {
		if (parsed) {
			mask[i] = cmd.secret_word[i];
		} else {
			mask[i] = after;
			if (!after && secret_keyword(tree, w->text[i], 0))
				after = true;
		}
		if (url_with_password(w->text[i]))
			mask[i] = true;
	}
}

bool console_has_secret(const struct console_node *tree, const struct console_words *w)
{
	bool mask[CONSOLE_WORDS_MAX];

	console_secret_words(tree, w, mask);
	for (size_t i = 0; i < w->n; i++)
		if (mask[i])
			return true;
	return false;
}
