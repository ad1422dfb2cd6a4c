/* scr_hosts: the pinned server keys. Add pins a fingerprint obtained out
 * of band (host[:port], type, fingerprint as ssh-keygen -l or dropbearkey
 * -y prints it);
 * remove asks first; Authenticate connects and shows the key to trust. */
#include "tui/app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fingerprint.h"
#include "core/trust.h"
#include "core/url.h"
#include "core/util.h"
#include "widgets/dialog.h"
#include "widgets/frame.h"
#include "widgets/list.h"

enum { H_ADD = 1, H_REMOVE, H_AUTH, H_BACK };

static const struct keybind keys[] = {
	{ "F1", "?", "Help", 0, { 0 } },
	{ "F5", "a", "Add", H_ADD, { KEY_F(5), 'a', KEY_IC } },
	{ "F6", "t", "Authenticate", H_AUTH, { KEY_F(6), 't' } },
	{ "F8", "d", "Remove", H_REMOVE, { KEY_F(8), 'd', KEY_DC } },
	{ NULL, "Esc", "Back", H_BACK, { KEY_ESC } },
	{ "F10", "q", "Quit", 0, { 0 } },
	{ 0 },
};

static const struct list_column cols[] = {
	{ "Host", 20 }, { "Port", 6 }, { "Type", 20 }, { "Fingerprint", 0 },
};

struct hosts {
	struct list list;
	struct app *a;
};

static void cell(void *arg, int row, int col, char *buf, size_t cap)
{
	struct hosts *h = arg;
	const struct known_host *k = &h->a->settings.known_hosts[row];

	switch (col) {
	case 0:
		snprintf(buf, cap, "%s", k->host);
		break;
	case 1:
		snprintf(buf, cap, "%u", k->port);
		break;
	case 2:
		snprintf(buf, cap, "%s", k->type);
		break;
	default:
		snprintf(buf, cap, "%s", k->sha256 ? k->sha256 : k->md5 ? k->md5 : "");
		break;
	}
}

static void *hosts_enter(struct app *a, void *arg)
{
	struct hosts *h = xcalloc(1, sizeof(*h));

	(void)arg;
	h->a = a;
	h->list.cols = cols;
	h->list.ncols = 4;
	h->list.cell = cell;
	h->list.arg = h;
	h->list.empty = "No server keys trusted yet: t connects and shows the server's key, a pins one.";
	return h;
}

static bool check_hostport(void *arg, const char *v, char *msg, size_t cap)
{
	struct err e = { 0 };
	unsigned port;

	(void)arg;
	if (url_parse_hostport(v, NULL, &port, URL_DEFAULT_PORT, &e) == RV_OK)
		return true;
	snprintf(msg, cap, "%s", e.msg);
	return false;
}

static bool check_fingerprint(void *arg, const char *v, char *msg, size_t cap)
{
	char *sha256 = NULL, *md5 = NULL;
	struct err e = { 0 };
	int rc = fingerprint_parse(v, &sha256, &md5, &e);

	(void)arg;
	free(sha256);
	free(md5);
	if (rc != RV_OK)
		snprintf(msg, cap, "%s", e.msg);
	return rc == RV_OK;
}

/* Asks host, type and fingerprint one by one; a host or fingerprint that
 * does not read keeps its box open with the reason, and the type is
 * chosen from core's list. core/trust reads them again, pins and saves. */
static int add(struct app *a)
{
	const char *types[16];
	char hp[300] = "", fp[200] = "";
	struct trust_pinned pin;
	struct err e = { 0 };
	int ntypes = 0, t = 0;

	while (ntypes < 16 && (types[ntypes] = fingerprint_type_at((size_t)ntypes)) != NULL)
		ntypes++;
	if (!dialog_input_checked("Add a server key", "Host, or host:port (port 22 when left out; IPv6 as [::1]:2222):",
				  hp, sizeof(hp), false, check_hostport, NULL))
		return SCR_REDRAW;
	if (!dialog_choose("Add a server key", "Type of the server's host key (ssh-keygen -l shows it in brackets):",
			   types, ntypes, &t))
		return SCR_REDRAW;
	if (!dialog_input_checked("Add a server key",
				  "Fingerprint as `ssh-keygen -l -f KEY.pub` or `dropbearkey -y -f KEY` prints it "
				  "(SHA256:... or MD5 aa:bb:...):",
				  fp, sizeof(fp), false, check_fingerprint, NULL))
		return SCR_REDRAW;
	switch (trust_pin(&a->settings, a->settings_path, hp, types[t], fp, &pin, &e)) {
	case RV_OK:
		break;
	case RV_USAGE:
		app_message("Add a server key", e.msg, ROLE_ERROR);
		return SCR_REDRAW;
	default:
		app_status(a, ROLE_ERROR, "Not saved: %s", e.msg);
		return SCR_REDRAW;
	}
	app_status(a, pin.note != NULL ? ROLE_WARNING : ROLE_OK, "Pinned %s %s", pin.type, pin.where);
	if (pin.note != NULL)
		dialog_message("Pinned, with a warning", pin.note, ROLE_WARNING);
	return SCR_REDRAW;
}

static int remove_sel(struct app *a, struct hosts *h)
{
	const struct known_host *k;
	char q[512], host[256], type[64];
	unsigned port;

	if (a->settings.nknown_hosts == 0)
		return SCR_HANDLED;
	k = &a->settings.known_hosts[h->list.sel];
	snprintf(host, sizeof(host), "%s", k->host);
	snprintf(type, sizeof(type), "%s", k->type);
	port = k->port;
	snprintf(q, sizeof(q), "Stop trusting the %s key of %s port %u? The next connection will ask again.", type,
		 host, port);
	if (!dialog_confirm("Remove server key", q, ROLE_WARNING))
		return SCR_REDRAW;
	if (app_reload(a) != RV_OK)
		return SCR_REDRAW;
	settings_known_host_remove(&a->settings, host, port, type);
	if (app_save(a) == RV_OK)
		app_status(a, ROLE_OK, "Removed %s %s", type, url_format_hostport(host, port, 0, q, sizeof(q)));
	return SCR_REDRAW;
}

static int hosts_key(struct app *a, void *st, int ch)
{
	static const struct job_request auth = { .kind = JOB_AUTHENTICATE };
	struct hosts *h = st;

	h->list.nrows = (int)a->settings.nknown_hosts;
	switch (keybind_lookup(keys, ch)) {
	case H_ADD:
		return add(a);
	case H_REMOVE:
		return remove_sel(a, h);
	case H_AUTH:
		if (a->settings.server.url == NULL) {
			app_status(a, ROLE_ERROR, "Set the server URL first (Server form)");
			return SCR_REDRAW;
		}
		app_push(a, &screen_job, (void *)&auth);
		return SCR_REDRAW;
	case H_BACK:
		return SCR_POP;
	default:
		return list_key(&h->list, ch, 10) ? SCR_REDRAW : SCR_IGNORED;
	}
}

static void hosts_draw(struct app *a, void *st)
{
	struct hosts *h = st;

	h->list.nrows = (int)a->settings.nknown_hosts;
	frame_text(stdscr, 2, 2, 76, "Server keys trusted by this machine", ROLE_TITLE, 0);
	list_draw(stdscr, &h->list, 4, 1, 14, 78);
	if (h->list.nrows > 0) {
		const struct known_host *k = &a->settings.known_hosts[h->list.sel];
		char buf[160];

		snprintf(buf, sizeof(buf), "Selected: %s port %u, %s, added %s", k->host, k->port, k->type,
			 k->added ? k->added : "?");
		frame_text(stdscr, 19, 2, 76, buf, ROLE_NORMAL, 0);
		frame_text(stdscr, 20, 2, 76, k->sha256 ? k->sha256 : "", ROLE_NORMAL, 0);
		frame_text(stdscr, 21, 2, 76, k->md5 ? k->md5 : "", ROLE_NORMAL, 0);
	}
}

static void hosts_leave(struct app *a, void *st)
{
	(void)a;
	free(st);
}

const struct screen screen_hosts = {
	.title = "revault: known hosts",
	.name = "Known hosts",
	.enter = hosts_enter,
	.draw = hosts_draw,
	.key = hosts_key,
	.leave = hosts_leave,
	.keys = keys,
};
