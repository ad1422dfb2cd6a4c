/* scr_server: the server form. Each field is checked as focus leaves it
 * (through settings_set, the same rules as `revault set`) with the error
 * shown under the field; F2 saves. The password is a masked field whose
 * text is sealed under secret.key, as `revault password set` does, and
 * wiped from the form at once. */
#include "tui/app.h"

#include <stdlib.h>
#include <string.h>

#include "core/secret.h"
#include "core/util.h"
#include "widgets/dialog.h"
#include "widgets/form.h"
#include "widgets/frame.h"

enum { F_URL, F_USER, F_AUTH, F_PASSWORD, F_IDENTITY, F_PASSPHRASE, F_COUNT };

static const char *const auth_choices[] = { "password", "publickey", "agent" };

static const char *const keys_of[F_COUNT] = {
	[F_URL] = "server.url", [F_USER] = "server.username", [F_AUTH] = "server.auth",
	[F_PASSWORD] = "server.password", [F_IDENTITY] = "server.identity",
	[F_PASSPHRASE] = "server.identity_passphrase",
};

static const char *const hints[F_COUNT] = {
	[F_URL] = "sftp://[user@]host[:port]/dir, e.g. sftp://backup.example.net/srv/backups",
	[F_USER] = "Login name on the server; empty: the one in the URL, else yours",
	[F_AUTH] = "Space or Left/Right: password, publickey (identity file) or agent",
	[F_PASSWORD] = "Typed text is shown as *; it is sealed under secret.key when saved",
	[F_IDENTITY] = "Private key file for publickey (absolute path), e.g. /root/.ssh/id_ed25519",
	[F_PASSPHRASE] = "Passphrase of the identity file, if it has one; sealed when saved",
};

enum { S_SAVE = 1, S_BACK };

/* No letter twins: letters go to the fields; Tab is the form's. */
static const struct keybind keys[] = {
	{ "F1", NULL, "Help", 0, { 0 } },
	{ "F2", "Esc2", "Save", S_SAVE, { KEY_F(2) } },
	{ NULL, "Tab", "Next field", 0, { 0 } },
	{ NULL, "Esc", "Back", S_BACK, { KEY_ESC } },
	{ "F10", NULL, "Quit", 0, { 0 } },
	{ 0 },
};

struct server {
	struct form_field f[F_COUNT];
	struct form form;
	bool changed;
};

static void load_fields(struct app *a, struct server *sv)
{
	const struct settings *s = &a->settings;

	form_set(&sv->f[F_URL], s->server.url);
	form_set(&sv->f[F_USER], s->server.username);
	form_set(&sv->f[F_AUTH], settings_auth_name(s->server.auth));
	form_set(&sv->f[F_IDENTITY], s->server.identity);
	form_wipe_field(&sv->f[F_PASSWORD]);
	form_wipe_field(&sv->f[F_PASSPHRASE]);
	sv->f[F_PASSWORD].placeholder = s->server.password ? "(stored; type to replace)" : "(none)";
	sv->f[F_PASSPHRASE].placeholder = s->server.identity_passphrase ? "(stored; type to replace)" : "(none)";
}

static void *server_enter(struct app *a, void *arg)
{
	static const char *const labels[F_COUNT] = {
		"Server URL", "User name", "Login with", "Password", "Identity file", "Key passphrase",
	};
	struct server *sv = xcalloc(1, sizeof(*sv));

	(void)arg;
	for (int i = 0; i < F_COUNT; i++) {
		sv->f[i].label = labels[i];
		sv->f[i].kind = i == F_PASSWORD || i == F_PASSPHRASE ? FIELD_SECRET : FIELD_TEXT;
	}
	sv->f[F_AUTH].kind = FIELD_CHOICE;
	sv->f[F_AUTH].choices = auth_choices;
	sv->f[F_AUTH].nchoices = 3;
	sv->form.fields = sv->f;
	sv->form.n = F_COUNT;
	load_fields(a, sv);
	return sv;
}

/* Checks one field into the settings; secrets are only checked at save.
 * An empty field is the form's way to clear a setting (see hints). */
static bool check_field(struct app *a, struct server *sv, int i)
{
	struct form_field *fl = &sv->f[i];
	const char *v = form_choice(fl);
	struct err e = { 0 };
	int rc;

	fl->error[0] = '\0';
	if (i == F_PASSWORD || i == F_PASSPHRASE)
		return true;
	rc = v[0] == '\0' ? settings_unset(&a->settings, keys_of[i], &e)
			  : settings_set(&a->settings, keys_of[i], v, &e);
	if (rc != RV_OK) {
		snprintf(fl->error, sizeof(fl->error), "%.*s", (int)sizeof(fl->error) - 1, e.msg);
		return false;
	}
	return true;
}

static bool seal_field(struct app *a, struct server *sv, int i, char **dest)
{
	struct form_field *fl = &sv->f[i];
	struct err e = { 0 };
	char *sealed;

	if (fl->len == 0)
		return true;
	sealed = secret_seal(a->settings_path, keys_of[i], fl->buf, &e);
	form_wipe_field(fl);
	if (sealed == NULL) {
		snprintf(fl->error, sizeof(fl->error), "%.*s", (int)sizeof(fl->error) - 1, e.msg);
		return false;
	}
	free(*dest);
	*dest = sealed;
	return true;
}

static int save(struct app *a, struct server *sv)
{
	bool ok = true;
	struct err e = { 0 };

	/* The form's fields go over the file as it is now: the other
	 * sections keep what another revault wrote meanwhile. */
	if (app_fresh(a, &e) != RV_OK) {
		app_status(a, ROLE_ERROR, "Not saved: %s", e.msg);
		return SCR_REDRAW;
	}
	for (int i = 0; i < F_COUNT; i++)
		ok = check_field(a, sv, i) && ok;
	if (!ok) {
		app_status(a, ROLE_ERROR, "Not saved: fix the fields marked in red");
		return SCR_REDRAW;
	}
	ok = seal_field(a, sv, F_PASSWORD, &a->settings.server.password) &&
	     seal_field(a, sv, F_PASSPHRASE, &a->settings.server.identity_passphrase);
	if (!ok) {
		app_status(a, ROLE_ERROR, "Not saved: the password could not be sealed");
		return SCR_REDRAW;
	}
	if (app_save(a) == RV_OK) {
		sv->changed = false;
		load_fields(a, sv);
	}
	return SCR_REDRAW;
}

static int back(struct app *a, struct server *sv)
{
	bool typed = sv->f[F_PASSWORD].len || sv->f[F_PASSPHRASE].len;

	if ((sv->changed || typed) &&
	    !dialog_confirm("Unsaved changes", "Leave the server form without saving?", ROLE_WARNING))
		return SCR_REDRAW;
	if (sv->changed)
		app_reload(a);
	app_status(a, ROLE_NORMAL, "%s", sv->changed || typed ? "Changes dropped" : "");
	return SCR_POP;
}

static int server_key(struct app *a, void *st, int ch)
{
	struct server *sv = st;
	int left, r;

	switch (keybind_lookup(keys, ch)) {
	case S_SAVE:
		return save(a, sv);
	case S_BACK:
		return back(a, sv);
	default:
		break;
	}
	r = form_key(&sv->form, ch, &left);
	if (r == FORM_IGNORED)
		return SCR_IGNORED;
	if (sv->f[left].edited)
		sv->changed = true;
	if (r == FORM_LEFT || r == FORM_SUBMIT) {
		if (sv->f[left].edited || sv->f[left].error[0])
			check_field(a, sv, left);
		if (r == FORM_SUBMIT)
			return save(a, sv);
	}
	return SCR_REDRAW;
}

static void server_draw(struct app *a, void *st)
{
	struct server *sv = st;
	const struct form_field *fl = &sv->f[sv->form.focus];
	char hint[300];

	(void)a;
	frame_text(stdscr, 2, 2, 76, "Where backups go and how to log in", ROLE_TITLE, 0);
	form_draw(stdscr, &sv->form, 4, 2, 16, 60);
	/* A focused field shows no placeholder (the cursor sits there): an
	 * empty secret field says here whether one is stored, as it does
	 * unfocused, so a save shows its effect at once. */
	if (fl->kind == FIELD_SECRET && fl->len == 0 && fl->placeholder != NULL)
		snprintf(hint, sizeof(hint), "%s %s. %s", fl->label, fl->placeholder, hints[sv->form.focus]);
	else
		snprintf(hint, sizeof(hint), "%s", hints[sv->form.focus]);
	frame_wrap(stdscr, 17, 2, 76, 2, hint, ROLE_DIM);
	frame_wrap(stdscr, 19, 2, 76, 2,
		   "F2 (or Esc then 2) saves; Enter on the last field saves too. "
		   "The first connection shows the server's key to confirm.", ROLE_DIM);
	form_cursor(stdscr, &sv->form);
}

static void server_leave(struct app *a, void *st)
{
	struct server *sv = st;

	(void)a;
	form_wipe(&sv->form);
	free(sv);
}

const struct screen screen_server = {
	.title = "revault: server",
	.name = "Server",
	.enter = server_enter,
	.draw = server_draw,
	.key = server_key,
	.leave = server_leave,
	.keys = keys,
};
