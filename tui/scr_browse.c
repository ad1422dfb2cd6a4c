/* scr_browse: what one revision holds, as a tree. Entering reads the
 * revision (a JOB_LS job: every chunk verified before its entries show,
 * with progress, and Esc or c cancels); folders fold and unfold, each entry
 * shows its size and date, / finds by name. Space marks files and folders;
 * r restores the marked ones, in place or under a directory, through the
 * job screen and its usual confirmation (core restores exactly those
 * paths: tarball_extract_opts.paths). The tree is held whole, unlike
 * `revault ls`, which streams. */
#include "tui/app.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/units.h"
#include "core/util.h"
#include "themes/theme.h"
#include "widgets/dialog.h"
#include "widgets/frame.h"
#include "widgets/list.h"

enum { B_MARK = 1, B_OPEN, B_CLOSE, B_FIND, B_NEXT, B_RESTORE, B_CANCEL, B_BACK };

static const struct keybind keys[] = {
	{ "F1", "?", "Help", 0, { 0 } },
	{ NULL, "Space", "Mark", B_MARK, { ' ' } },
	{ NULL, "Enter", "Fold", B_OPEN, { '\n', '\r', KEY_ENTER } },
	{ NULL, NULL, NULL, B_OPEN, { KEY_RIGHT, '+' } },
	{ NULL, NULL, NULL, B_CLOSE, { KEY_LEFT, '-' } },
	{ "F3", "/", "Find", B_FIND, { KEY_F(3), '/' } },
	{ NULL, "n", "Next", B_NEXT, { 'n' } },
	{ "F5", "r", "Restore", B_RESTORE, { KEY_F(5), 'r' } },
	{ "F8", "c", "Cancel", B_CANCEL, { KEY_F(8), 'c' } },
	{ NULL, "Esc", "Back", B_BACK, { KEY_ESC } },
	{ "F10", "q", "Quit", 0, { 0 } },
	{ 0 },
};

/* What the key bar shows (the table above binds, and help lists it all):
 * 80 columns hold one state's keys, not every key. */
static const struct keybind reading_bar[] = {
	{ "F1", "?", "Help", 0, { 0 } },
	{ NULL, "Space", "Mark", B_MARK, { 0 } },
	{ NULL, "Enter", "Fold", B_OPEN, { 0 } },
	{ "F3", "/", "Find", B_FIND, { 0 } },
	{ "F8", "c", "Cancel", B_CANCEL, { 0 } },
	{ NULL, "Esc", "Back", B_BACK, { 0 } },
	{ "F10", "q", "Quit", 0, { 0 } },
	{ 0 },
};

static const struct keybind done_bar[] = {
	{ "F1", "?", "Help", 0, { 0 } },
	{ NULL, "Space", "Mark", B_MARK, { 0 } },
	{ NULL, "Enter", "Fold", B_OPEN, { 0 } },
	{ "F3", "/", "Find", B_FIND, { 0 } },
	{ "F5", "r", "Restore", B_RESTORE, { 0 } },
	{ NULL, "Esc", "Back", B_BACK, { 0 } },
	{ "F10", "q", "Quit", 0, { 0 } },
	{ 0 },
};

static const struct list_column cols[] = {
	{ "", 4 }, { "Name", 47 }, { "Size", 10 }, { "Modified", 0 },
};

/* One entry of the revision. Children hang off their folder in archive
 * order (first_child, next), so the tree reads the same whatever order the
 * archive walked in. */
struct node {
	/* Its last component as stored, or a source's whole path: the path
	 * is built from the folders above when needed (path_of), and the
	 * name escaped when drawn, so an entry holds one short string. */
	char *name;
	int parent, first_child, last_child, next;
	int depth;
	char type;         /* as ls -l: 'd', '-', 'l', 'h', ... */
	uint64_t size;
	int64_t mtime;
	bool open, marked;
};

struct browse {
	struct app_job job;
	char revision[80];
	char device[128];
	/* nodes: appended by the job's archive thread, read by the screen. */
	pthread_mutex_t lock;
	struct node *v;
	int n, cap;
	int first_top, last_top;
	int last;          /* the entry appended last: the next one's parent is near it */
	bool stale;        /* rows need rebuilding */
	/* screen only */
	int *rows;         /* visible nodes, top to bottom */
	int nrows, rows_cap;
	struct list list;
	bool done;         /* read to the end and verified */
	char error[ERR_MSG_MAX];
	char find[128];
	double last_draw;
};

/* Is node i the folder whose path is the first len bytes of path? Its
 * name ends the path, its folder's name comes before, up to a source. */
static bool is_folder(const struct browse *b, int i, const char *path, size_t len)
{
	if (b->v[i].type != 'd')
		return false;
	for (; b->v[i].parent >= 0; i = b->v[i].parent) {
		size_t nl = strlen(b->v[i].name);

		if (len <= nl || path[len - nl - 1] != '/' || memcmp(path + len - nl, b->v[i].name, nl) != 0)
			return false;
		len -= nl + 1;
	}
	return strlen(b->v[i].name) == len && memcmp(b->v[i].name, path, len) == 0;
}

/* Node i's absolute path, allocated. */
static char *path_of(const struct browse *b, int i)
{
	size_t len = 0, at;
	char *path;

	for (int k = i; k >= 0; k = b->v[k].parent)
		len += strlen(b->v[k].name) + (b->v[k].parent >= 0);
	path = xmalloc(len + 1);
	path[len] = '\0';
	at = len;
	for (int k = i; k >= 0; k = b->v[k].parent) {
		size_t nl = strlen(b->v[k].name);

		at -= nl;
		memcpy(path + at, b->v[k].name, nl);
		if (b->v[k].parent >= 0)
			path[--at] = '/';
	}
	return path;
}

/* The entry's folder: the last entry or one of its folders in a
 * depth-first archive, else the newest folder of that name; -1 for a top
 * (a source). The archive rules put every folder before what it holds. */
static int find_parent(struct browse *b, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t len = slash != NULL ? (size_t)(slash - path) : 0;

	for (int i = b->last; i >= 0; i = b->v[i].parent)
		if (is_folder(b, i, path, len))
			return i;
	for (int i = b->n - 1; i >= 0; i--)
		if (is_folder(b, i, path, len))
			return i;
	return -1;
}

/* JOB_LS's entry callback, on core's archive thread. */
static void on_entry(void *arg, const struct tarball_entry *en)
{
	struct browse *b = arg;
	const char *slash = strrchr(en->path, '/');
	struct node *nd;
	int i;

	pthread_mutex_lock(&b->lock);
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 256;
		b->v = xrealloc(b->v, (size_t)b->cap * sizeof(*b->v));
	}
	i = b->n;
	nd = &b->v[i];
	memset(nd, 0, sizeof(*nd));
	nd->parent = find_parent(b, en->path);
	nd->first_child = nd->last_child = nd->next = -1;
	nd->type = en->type;
	nd->size = en->size;
	nd->mtime = en->mtime;
	if (nd->parent < 0) {
		/* A source: shown whole, open. */
		nd->name = xstrdup(en->path);
		nd->open = true;
		if (b->last_top >= 0)
			b->v[b->last_top].next = i;
		else
			b->first_top = i;
		b->last_top = i;
	} else {
		struct node *p = &b->v[nd->parent];

		nd->name = xstrdup(slash != NULL ? slash + 1 : en->path);
		nd->depth = p->depth + 1;
		if (p->last_child >= 0)
			b->v[p->last_child].next = i;
		else
			p->first_child = i;
		p->last_child = i;
	}
	b->n++;
	b->last = i;
	b->stale = true;
	pthread_mutex_unlock(&b->lock);
}

/* The node after i in the visible order: its first child when open, else
 * the next sibling of it or of its nearest ancestor that has one. */
static int next_visible(const struct browse *b, int i)
{
	if (b->v[i].open && b->v[i].first_child >= 0)
		return b->v[i].first_child;
	for (; i >= 0; i = b->v[i].parent)
		if (b->v[i].next >= 0)
			return b->v[i].next;
	return -1;
}

/* Rebuilds the visible rows, keeping the selection on the same node. Call
 * with the lock held. */
static void rebuild(struct browse *b)
{
	int sel = b->list.sel >= 0 && b->list.sel < b->nrows ? b->rows[b->list.sel] : -1;

	b->nrows = 0;
	for (int i = b->n > 0 ? b->first_top : -1; i >= 0; i = next_visible(b, i)) {
		if (b->nrows == b->rows_cap) {
			b->rows_cap = b->rows_cap ? b->rows_cap * 2 : 256;
			b->rows = xrealloc(b->rows, (size_t)b->rows_cap * sizeof(*b->rows));
		}
		if (i == sel)
			b->list.sel = b->nrows;
		b->rows[b->nrows++] = i;
	}
	b->list.nrows = b->nrows;
	if (b->list.sel >= b->nrows)
		b->list.sel = b->nrows - 1;
	if (b->list.sel < 0 && b->nrows > 0)
		b->list.sel = 0;
	b->stale = false;
}

/* A folder marked above the node: it comes back with that folder. */
static bool marked_above(const struct browse *b, int i)
{
	for (i = b->v[i].parent; i >= 0; i = b->v[i].parent)
		if (b->v[i].marked)
			return true;
	return false;
}

static void cell(void *arg, int row, int col, char *buf, size_t cap)
{
	struct browse *b = arg;
	const struct node *nd = &b->v[b->rows[row]];
	struct tm tm;
	time_t t;

	switch (col) {
	case 0:
		snprintf(buf, cap, "%s", nd->marked ? "[x]" : marked_above(b, b->rows[row]) ? "(x)" : "[ ]");
		break;
	case 1: {
		int indent = nd->depth < 12 ? nd->depth * 2 : 24;
		const char *fold = nd->type != 'd' ? "  " : nd->first_child < 0 ? "  " : nd->open ? "- " : "+ ";
		char *shown = util_escape_name(nd->name);

		snprintf(buf, cap, "%*s%s%s%s%s", indent, "", fold, shown, nd->type == 'd' ? "/" : "",
			 nd->type == 'l' ? " (symlink)" : nd->type == 'h' ? " (hard link)" : "");
		free(shown);
		break;
	}
	case 2:
		if (nd->type == '-')
			units_bytes(nd->size, buf, cap);
		else
			snprintf(buf, cap, "%s", nd->type == 'd' ? "" : "-");
		break;
	default:
		t = (time_t)nd->mtime;
		if (localtime_r(&t, &tm) == NULL || strftime(buf, cap, "%Y-%m-%d %H:%M", &tm) == 0)
			snprintf(buf, cap, "?");
		break;
	}
}

static void *browse_enter(struct app *a, void *arg)
{
	const struct job_request *req = arg;
	struct browse *b = xcalloc(1, sizeof(*b));
	struct job_params p;

	pthread_mutex_init(&b->lock, NULL);
	b->first_top = b->last_top = b->last = -1;
	snprintf(b->revision, sizeof(b->revision), "%s", req->revision);
	snprintf(b->device, sizeof(b->device), "%s", req->device != NULL ? req->device : "");
	b->list.cols = cols;
	b->list.ncols = 4;
	b->list.cell = cell;
	b->list.arg = b;
	b->list.empty = "Nothing read yet.";
	app_job_params(a, &p);
	p.revision = b->revision;
	p.device = b->device[0] ? b->device : NULL;
	p.entry = on_entry;
	p.entry_arg = b;
	app_job_start(&b->job, JOB_LS, &p);
	app_status(a, ROLE_NORMAL, "Reading revision %s...", b->revision);
	return b;
}

static void read_done(struct app *a, struct browse *b)
{
	struct err e = { 0 };
	int rc = job_result(b->job.job, &e);

	if (rc == RV_OK) {
		b->done = true;
		app_status(a, ROLE_OK, "Revision %s read and verified: %d entries", b->revision, b->n);
		return;
	}
	if (job_verdict(b->job.job) == JOB_VERDICT_CANCELLED)
		snprintf(b->error, sizeof(b->error), "Reading was cancelled: the tree is incomplete and unverified.");
	else if (rc == RV_INTEGRITY)
		snprintf(b->error, sizeof(b->error), "This revision did not verify, so the entries shown may not be "
			 "what was backed up and none can be restored: %.800s", e.msg);
	else
		snprintf(b->error, sizeof(b->error), "%s", e.msg);
	app_hint(b->error, sizeof(b->error));
	app_status(a, ROLE_ERROR, "Nothing can be restored from this reading");
}

static int browse_tick(struct app *a, void *st)
{
	struct browse *b = st;
	bool asked;
	enum job_state s;

	if (!b->job.running)
		return SCR_IGNORED;
	s = app_job_step(a, &b->job, &asked);
	if (job_finished(s)) {
		read_done(a, b);
		return SCR_REDRAW;
	}
	/* Progress and the growing tree, at the app's redraw rate. */
	if (asked || (mono_now() - b->last_draw) * 1000 >= app_redraw_ms(a)) {
		b->last_draw = mono_now();
		return SCR_REDRAW;
	}
	return SCR_IGNORED;
}

static bool browse_busy(struct app *a, void *st)
{
	(void)a;
	return ((struct browse *)st)->job.running;
}

/* Moves the selection to node i, unfolding its folders. */
static void select_node(struct browse *b, int i)
{
	for (int p = b->v[i].parent; p >= 0; p = b->v[p].parent)
		b->v[p].open = true;
	rebuild(b);
	for (int r = 0; r < b->nrows; r++)
		if (b->rows[r] == i)
			b->list.sel = r;
}

/* The next node after the selected one (wrapping) whose name holds
 * b->find, ignoring case. */
static bool find_next(struct browse *b)
{
	int from = b->nrows > 0 && b->list.sel >= 0 ? b->rows[b->list.sel] : -1;

	if (b->find[0] == '\0' || b->n == 0)
		return false;
	for (int k = 1; k <= b->n; k++) {
		int i = (from + k) % b->n;
		const char *slash = strrchr(b->v[i].name, '/');

		if (strcasestr(slash != NULL ? slash + 1 : b->v[i].name, b->find) != NULL) {
			select_node(b, i);
			return true;
		}
	}
	return false;
}

/* The marked paths, or the selected one when none is marked; a path under
 * a marked folder comes with it and is left out. Allocated, each path
 * too: free_paths. */
static size_t chosen_paths(const struct browse *b, const char ***out)
{
	size_t n = 0;

	*out = xcalloc((size_t)b->n + 1, sizeof(char *));
	for (int i = 0; i < b->n; i++)
		if (b->v[i].marked && !marked_above(b, i))
			(*out)[n++] = path_of(b, i);
	if (n == 0 && b->nrows > 0 && b->list.sel >= 0)
		(*out)[n++] = path_of(b, b->rows[b->list.sel]);
	return n;
}

static void free_paths(const char **paths)
{
	for (size_t i = 0; paths[i] != NULL; i++)
		free((char *)paths[i]);
	free(paths);
}

static void restore_marked(struct app *a, struct browse *b)
{
	struct job_request req = { .kind = JOB_RESTORE, .revision = b->revision };
	char dir[512] = "", q[700];
	const char **paths;
	size_t n;

	if (!b->done) {
		app_status(a, ROLE_WARNING, b->job.running ? "Still reading: restore once the whole revision verified"
							   : "Nothing can be restored from this reading");
		return;
	}
	n = chosen_paths(b, &paths);
	if (n == 0) {
		free_paths(paths);
		app_status(a, ROLE_WARNING, "Nothing to restore: mark files or folders with Space");
		return;
	}
	snprintf(q, sizeof(q), "Restore %zu marked path%s into this directory (an absolute path):", n,
		 n == 1 ? "" : "s");
	if (!dialog_input_checked("Restore", q, dir, sizeof(dir), false, app_check_restore_dir, NULL)) {
		free_paths(paths);
		app_status(a, ROLE_NORMAL, "Restore cancelled: nothing was changed");
		return;
	}
	/* As in the revision picker: an empty answer is a slip as often as
	 * a choice, so in place is taken only after its own question, which
	 * defaults to No. */
	if (dir[0] == '\0') {
		snprintf(q, sizeof(q),
			 "No directory was given. Restore the %zu marked path%s in place instead, replacing "
			 "%s on this machine?", n, n == 1 ? "" : "s", n == 1 ? "it" : "them");
		if (!dialog_confirm("Restore in place", q, ROLE_WARNING)) {
			free_paths(paths);
			app_status(a, ROLE_NORMAL, "Restore cancelled: no directory given, nothing was changed");
			return;
		}
	} else {
		snprintf(q, sizeof(q), "Restore %zu path%s of revision %s into %s?", n,
			 n == 1 ? "" : "s", b->revision, dir);
		if (!dialog_confirm("Restore", q, ROLE_NORMAL)) {
			free_paths(paths);
			app_status(a, ROLE_NORMAL, "Restore cancelled: nothing was changed");
			return;
		}
		req.to_dir = dir;
	}
	req.device = b->device[0] ? b->device : NULL;
	req.paths = paths;
	req.npaths = n;
	app_push(a, &screen_job, &req);
	free_paths(paths);
}

static int browse_key(struct app *a, void *st, int ch)
{
	struct browse *b = st;
	int action = keybind_lookup(keys, ch), rc = SCR_REDRAW;
	struct node *nd;

	pthread_mutex_lock(&b->lock);
	if (b->stale)
		rebuild(b);
	nd = b->nrows > 0 && b->list.sel >= 0 ? &b->v[b->rows[b->list.sel]] : NULL;
	switch (action) {
	case B_MARK:
		if (nd != NULL) {
			nd->marked = !nd->marked;
			list_key(&b->list, KEY_DOWN, 10);
		}
		break;
	case B_OPEN:
		if (nd != NULL && nd->type == 'd') {
			nd->open = ch == KEY_RIGHT || ch == '+' ? true : !nd->open;
			rebuild(b);
		}
		break;
	case B_CLOSE:
		if (nd != NULL && nd->type == 'd' && nd->open) {
			nd->open = false;
			rebuild(b);
		} else if (nd != NULL && nd->parent >= 0) {
			select_node(b, nd->parent);
		}
		break;
	case B_FIND:
		pthread_mutex_unlock(&b->lock);
		if (!dialog_input("Find", "Find an entry whose name holds:", b->find, sizeof(b->find), false))
			return SCR_REDRAW;
		pthread_mutex_lock(&b->lock);
		/* FALLTHROUGH */
	case B_NEXT:
		if (b->find[0] == '\0')
			app_status(a, ROLE_WARNING, "Nothing to find: / asks for a name");
		else if (!find_next(b))
			app_status(a, ROLE_WARNING, "No name holds \"%s\"", b->find);
		else
			app_status(a, ROLE_NORMAL, "Found \"%s\"; n finds the next", b->find);
		break;
	case B_RESTORE:
		pthread_mutex_unlock(&b->lock);
		restore_marked(a, b);
		return SCR_REDRAW;
	case B_CANCEL:
		if (b->job.running)
			job_cancel(b->job.job);
		break;
	case B_BACK:
		rc = SCR_POP;
		break;
	default:
		rc = list_key(&b->list, ch, 14) ? SCR_REDRAW : SCR_IGNORED;
		break;
	}
	pthread_mutex_unlock(&b->lock);
	return rc;
}

/* The selected entry's whole path, escaped, on a row of its own: names
 * cut to fit the tree's column would otherwise look alike. A path wider
 * than the row keeps its end, where names differ. */
static void draw_selected(const struct browse *b, int y, int width)
{
	const char *ell = theme_is_ascii() ? "..." : "\xe2\x80\xa6";
	char *path, *line;
	const char *tail;
	size_t nchars = 0;

	if (b->list.sel < 0 || b->list.sel >= b->nrows)
		return;
	{
		char *raw = path_of(b, b->rows[b->list.sel]);

		path = util_escape_name(raw);
		free(raw);
	}
	for (const char *c = path; *c != '\0'; c++)
		nchars += ((unsigned char)*c & 0xc0) != 0x80;
	tail = path;
	if (nchars > (size_t)width) {
		/* Skip to the last width - 3 characters, on a character's start. */
		for (size_t skip = nchars - (size_t)width + 3; skip > 0 || ((unsigned char)*tail & 0xc0) == 0x80; tail++)
			if (((unsigned char)*tail & 0xc0) != 0x80)
				skip--;
	}
	line = xasprintf("%s%s", tail != path ? ell : "", tail);
	frame_text(stdscr, y, 2, width, line, ROLE_NORMAL, 1);
	free(line);
	free(path);
}

static void browse_draw(struct app *a, void *st)
{
	struct browse *b = st;
	char buf[300];
	int marked = 0;

	(void)a;
	pthread_mutex_lock(&b->lock);
	if (b->stale)
		rebuild(b);
	for (int i = 0; i < b->n; i++)
		marked += b->v[i].marked;
	snprintf(buf, sizeof(buf), "Revision %s%s%s", b->revision, b->device[0] ? " of " : "", b->device);
	frame_text(stdscr, 2, 2, 76, buf, ROLE_TITLE, 0);
	list_draw(stdscr, &b->list, 3, 1, 15, 78);
	draw_selected(b, 18, 76);
	if (b->job.running) {
		struct job_progress p;

		job_progress(b->job.job, &p);
		if (p.percent >= 0)
			snprintf(buf, sizeof(buf), "Reading and verifying: %d entries, %d%% of %s. c cancels.", b->n,
				 p.percent, p.total_text);
		else
			snprintf(buf, sizeof(buf), "Reading and verifying: %s... c cancels.", p.phase ? p.phase : "");
		frame_text(stdscr, 19, 2, 76, buf, ROLE_NORMAL, 1);
	} else if (b->error[0]) {
		frame_wrap(stdscr, 19, 2, 76, 3, b->error, ROLE_ERROR);
	} else {
		snprintf(buf, sizeof(buf), "%d entries, verified; %d marked. Space marks, r restores the marked.", b->n,
			 marked);
		frame_text(stdscr, 19, 2, 76, buf, ROLE_DIM, 1);
	}
	pthread_mutex_unlock(&b->lock);
}

static const struct keybind *browse_bar(struct app *a, void *st)
{
	(void)a;
	return ((struct browse *)st)->job.running ? reading_bar : done_bar;
}

static void browse_leave(struct app *a, void *st)
{
	struct browse *b = st;

	(void)a;
	/* The job's archive thread ends before the nodes go. */
	app_job_stop(&b->job);
	for (int i = 0; i < b->n; i++)
		free(b->v[i].name);
	free(b->v);
	free(b->rows);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

const struct screen screen_browse = {
	.title = "revault: browse a revision",
	.name = "Browse",
	.enter = browse_enter,
	.draw = browse_draw,
	.key = browse_key,
	.tick = browse_tick,
	.leave = browse_leave,
	.keys = keys,
	.bar = browse_bar,
	.busy = browse_busy,
};
