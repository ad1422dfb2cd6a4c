/* console_parse: the appliance console's command language. A grammar is a
 * tree of keyword and argument nodes (tables, not code); a line is split
 * into words, walked down the tree with unique-prefix matching, and either
 * yields a command with its arguments or an error that points at a column.
 * The same walk answers `?` and Tab. No terminal and no job code here. */
#ifndef REVAULT_CLI_CONSOLE_PARSE_H
#define REVAULT_CLI_CONSOLE_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

#define CONSOLE_WORDS_MAX 64
#define CONSOLE_SLOTS 24
#define CONSOLE_MSG_MAX 320

enum console_kind {
	CN_KEYWORD,
	CN_ARG,
};

/* A node. Sibling nodes are an array ended by an entry whose word is NULL. */
struct console_node {
	const char *word;  /* the keyword, or the argument's name for `?` ("URL") */
	const char *alias; /* another accepted spelling, never offered */
	const char *help;
	enum console_kind kind;
	int slot;          /* > 0: the argument's value (or the keyword) is kept there */
	bool secret;       /* the value is a secret: masked when echoed, never in history */
	/* Arguments: checks the value; RV_USAGE with e saying what was expected. */
	int (*check)(const char *value, struct err *e);
	const char *const *choices; /* an argument's vocabulary, for `?` and Tab; NULL-ended */
	int cmd;           /* > 0: a command may end at this node */
	const struct console_node *next;
};

struct console_words {
	size_t n;
	char *text[CONSOLE_WORDS_MAX];
	size_t col[CONSOLE_WORDS_MAX]; /* where each word starts in the line */
	size_t end;                    /* length of the line without trailing blanks */
	bool partial;                  /* the line ends inside its last word */
};

enum console_fault {
	CF_NONE,
	CF_INVALID,
	CF_AMBIGUOUS,
	CF_INCOMPLETE,
};

struct console_error {
	enum console_fault fault;
	size_t col; /* the column the caret points at */
	char msg[CONSOLE_MSG_MAX];
};

struct console_cmd {
	int cmd;                          /* 0: an empty line */
	const char *slot[CONSOLE_SLOTS];  /* point into the words */
	bool secret;                      /* a secret value was on the line */
	bool secret_word[CONSOLE_WORDS_MAX]; /* word i is that value */
};

/* Splits a line into blank-separated words; "double quotes" keep blanks in
 * a word. RV_USAGE (an unterminated quote, too many words) with ce set.
 * The words are copies: console_words_free() wipes them. */
int console_split(const char *line, struct console_words *w, struct console_error *ce);
void console_words_free(struct console_words *w);

/* Walks all the words down tree. RV_OK with out filled (out->cmd 0 for no
 * words), else RV_USAGE with ce pointing at the offending word. */
int console_parse(const struct console_node *tree, const struct console_words *w,
		  struct console_cmd *out, struct console_error *ce);

struct console_choice {
	const char *word; /* a keyword, an argument's name or value, or "<cr>" */
	const char *help;
	bool keyword;     /* Tab may complete it */
};

/* What can follow the words (the last one being a prefix when w->partial).
 * Returns the number of choices (at most cap), or -1 with ce set when the
 * words before do not parse. */
int console_next(const struct console_node *tree, const struct console_words *w,
		 struct console_choice *out, size_t cap, struct console_error *ce);

/* Completes the line's last word: writes the text to append into buf (""
 * when nothing is certain) and returns the number of candidates (1: the
 * word is complete and a blank may follow). */
int console_complete(const struct console_node *tree, const struct console_words *w, char *buf,
		     size_t cap);

/* Which words of a line are secrets, for its echo (mask[i] for word i).
 * A line that parses marks exactly the words its parse put in a secret
 * argument, however its keywords were abbreviated or cased (`p`, `PASSW`).
 * A line that does not parse cannot say which word is what, so every word
 * after one that could abbreviate a keyword a secret follows (any prefix
 * of "password", one letter included) is marked. */
void console_secret_words(const struct console_node *tree, const struct console_words *w, bool *mask);

/* True when console_secret_words marks any word. Such lines stay out of
 * history. */
bool console_has_secret(const struct console_node *tree, const struct console_words *w);

#endif
