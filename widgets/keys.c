/* keys: tables and the key bar. */
#include "widgets/keys.h"

#include <stdbool.h>
#include <string.h>

#include "themes/theme.h"

/* How long after Esc a digit still counts as an F-key twin. */
#define ESC_DIGIT_MS 300

static int read_timeout = -1;

int keymap_lookup(const struct keymap *m, int key)
{
	for (; m != NULL && (m->key != 0 || m->action != 0); m++)
		if (m->key == key)
			return m->action;
	return 0;
}

void keys_init(void)
{
	static const struct {
		const char *seq;
		int key;
	} vt[] = {
		{ "\033[1~", KEY_HOME }, { "\033[4~", KEY_END }, { "\033[7~", KEY_HOME }, { "\033[8~", KEY_END },
		{ "\033[H", KEY_HOME },  { "\033[F", KEY_END },  { "\033OH", KEY_HOME },  { "\033OF", KEY_END },
	};

	/* key_defined() is 0 for a sequence bound to nothing, so a key the
	 * terminfo entry names (vt220's kfnd is ESC [ 1 ~) keeps its code. */
	for (size_t i = 0; i < sizeof(vt) / sizeof(vt[0]); i++)
		if (key_defined(vt[i].seq) == 0)
			define_key(vt[i].seq, vt[i].key);
}

void keys_timeout(WINDOW *w, int ms)
{
	read_timeout = ms;
	wtimeout(w, ms);
}

int keys_get_timeout(void)
{
	return read_timeout;
}

int keys_get(WINDOW *w)
{
	int ch = wgetch(w), next;

	if (ch != KEY_ESC)
		return ch;
	wtimeout(w, ESC_DIGIT_MS);
	next = wgetch(w);
	wtimeout(w, read_timeout);
	if (next >= '1' && next <= '9')
		return KEY_F(next - '0');
	if (next == '0')
		return KEY_F(10);
	if (next != ERR)
		ungetch(next);
	return KEY_ESC;
}

bool keybind_is_end(const struct keybind *b)
{
	return b->label == NULL && b->action == 0;
}

const char *keybind_name(const struct keybind *b, char *buf, size_t cap)
{
	if (b->fkey && b->letter)
		snprintf(buf, cap, "%s/%s", b->fkey, b->letter);
	else
		snprintf(buf, cap, "%s", b->fkey ? b->fkey : b->letter ? b->letter : "");
	return buf;
}

int keybind_lookup(const struct keybind *t, int key)
{
	for (; t != NULL && !keybind_is_end(t); t++)
		for (int i = 0; i < KEYBIND_CODES && t->codes[i] != 0; i++)
			if (t->codes[i] == key)
				return t->action;
	return 0;
}

void keybar_draw(WINDOW *w, const struct keybind *items)
{
	int y = getmaxy(w) - 1, maxx = getmaxx(w), x = 0;

	wmove(w, y, 0);
	wattrset(w, theme_attr(ROLE_KEYLABEL));
	for (int i = 0; i < maxx; i++)
		waddch(w, ' ');
	for (; items != NULL && !keybind_is_end(items); items++) {
		char key[24];
		int need;

		if (items->label == NULL)
			continue;
		keybind_name(items, key, sizeof(key));
		need = (int)(strlen(key) + strlen(items->label)) + 2;
		if (x + need > maxx)
			break;
		wattrset(w, theme_attr(ROLE_KEY));
		mvwaddstr(w, y, x, key);
		wattrset(w, theme_attr(ROLE_KEYLABEL));
		waddch(w, ' ');
		waddstr(w, items->label);
		x += need;
	}
	wattrset(w, theme_attr(ROLE_NORMAL));
}

void keys_wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}
