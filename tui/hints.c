/* hints: core's messages name what to do as command lines (`revault key
 * import`), because the command line and the console share them. On a
 * TUI screen the operator needs the screen and key instead, so every
 * message a screen shows passes through app_hint, which puts "Security ->
 * i Import key from a file" in place of each `revault ...` it knows.
 *
 * Mapping here rather than teaching core a second spelling: the hints are
 * spread over most of core (transport, the job, keystore, settings,
 * sources), all of which would need a front-end switch, while one table
 * in the TUI covers them all and leaves the command line's text as it is.
 * The key and its label are read from the screens' own tables, so a hint
 * cannot name a key the screen does not have. */
#include "tui/app.h"

#include <stdio.h>
#include <string.h>

#include "themes/theme.h"
#include "widgets/dialog.h"

struct hint {
	const char *command;          /* the start of the backquoted text */
	const struct screen *screen;
	const char *key;              /* a menu letter or key bar letter, or NULL */
	const char *field;            /* a form field instead of a key */
};

/* Longer commands first: the first whose words start the text wins. */
static const struct hint hints[] = {
	{ "revault password set --identity", &screen_server, NULL, "Key passphrase" },
	{ "revault password set", &screen_server, NULL, "Password" },
	{ "revault set server.url", &screen_server, NULL, "Server URL" },
	{ "revault set server.identity", &screen_server, NULL, "Identity file" },
	{ "revault set server.auth", &screen_server, NULL, "Login with" },
	{ "revault set security.protected", &screen_security, "p", NULL },
	{ "revault key generate", &screen_security, "g", NULL },
	{ "revault key import", &screen_security, "i", NULL },
	{ "revault key export", &screen_security, "x", NULL },
	{ "revault knownhost remove", &screen_hosts, "d", NULL },
	{ "revault knownhost add", &screen_hosts, "a", NULL },
	{ "revault authenticate", &screen_hosts, "t", NULL },
	{ "revault source remove", &screen_bsettings, "d", NULL },
	{ "revault source add", &screen_bsettings, "a", NULL },
	{ "revault exclude add", &screen_bsettings, "x", NULL },
	{ "revault show", &screen_bsettings, NULL, NULL },
	{ "revault backup", &screen_main, "b", NULL },
	{ "revault list", &screen_restore, "l", NULL },
};

/* "Security -> i Import key from a file", from the screen's tables. */
static void spell(const struct hint *h, char *out, size_t cap)
{
	const char *arrow = theme_is_ascii() ? "->" : "\xe2\x86\x92";
	const char *label = h->field;

	for (int i = 0; h->key != NULL && label == NULL && i < h->screen->menu_n; i++)
		if (h->screen->menu[i].hotkey == h->key[0])
			label = h->screen->menu[i].label;
	for (const struct keybind *b = h->screen->keys; h->key != NULL && label == NULL && !keybind_is_end(b); b++)
		if (b->letter != NULL && strcmp(b->letter, h->key) == 0)
			label = b->label;
	if (label == NULL)
		snprintf(out, cap, "%s", h->screen->name);
	else
		snprintf(out, cap, "%s %s %s%s%s", h->screen->name, arrow, h->key ? h->key : "", h->key ? " " : "",
			 label);
}

static const struct hint *find(const char *text, size_t len)
{
	for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++) {
		size_t n = strlen(hints[i].command);

		if (len >= n && strncmp(text, hints[i].command, n) == 0 && (len == n || text[n] == ' '))
			return &hints[i];
	}
	return NULL;
}

void app_hint(char *msg, size_t cap)
{
	char out[ERR_MSG_MAX * 2], where[128];
	size_t o = 0;
	const char *p = msg;

	while (*p != '\0' && o + 1 < sizeof(out)) {
		const char *end = p[0] == '`' ? strchr(p + 1, '`') : NULL;
		const struct hint *h = end != NULL ? find(p + 1, (size_t)(end - p - 1)) : NULL;

		if (h == NULL) {
			out[o++] = *p++;
			continue;
		}
		/* "run `revault backup`" becomes "Main menu -> b Backup now":
		 * a place to go, not a command to run. */
		if (o >= 4 && strncmp(out + o - 4, "run ", 4) == 0 && (o == 4 || out[o - 5] == ' ' || out[o - 5] == ':'))
			o -= 4;
		spell(h, where, sizeof(where));
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s", where);
		if (o >= sizeof(out))
			o = sizeof(out) - 1;
		p = end + 1;
	}
	out[o] = '\0';
	snprintf(msg, cap, "%s", out);
}

void app_message(const char *title, const char *msg, enum theme_role role)
{
	char text[ERR_MSG_MAX * 2];

	snprintf(text, sizeof(text), "%s", msg);
	app_hint(text, sizeof(text));
	dialog_message(title, text, role);
}
