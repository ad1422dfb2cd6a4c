/* menu: selection moves and hotkeys come from a table. */
#include "widgets/menu.h"

#include <ctype.h>

#include "themes/theme.h"
#include "widgets/frame.h"
#include "widgets/keys.h"

enum { M_UP = 1, M_DOWN, M_HOME, M_END, M_CHOOSE };

static const struct keymap menu_keys[] = {
	{ KEY_UP, M_UP }, { KEY_DOWN, M_DOWN },
	{ KEY_HOME, M_HOME }, { KEY_END, M_END }, { KEY_PPAGE, M_HOME }, { KEY_NPAGE, M_END },
	{ '\n', M_CHOOSE }, { '\r', M_CHOOSE }, { KEY_ENTER, M_CHOOSE }, { KEY_RIGHT, M_CHOOSE },
	{ 0, 0 },
};

void menu_draw(WINDOW *w, const struct menu *m, int y, int x, int width)
{
	char line[128];

	for (int i = 0; i < m->n; i++) {
		enum theme_role role = i == m->sel ? ROLE_SELECTED : ROLE_NORMAL;

		snprintf(line, sizeof(line), " %c  %s", m->items[i].hotkey ? toupper(m->items[i].hotkey) : ' ',
			 m->items[i].label);
		frame_text(w, y + i, x, width, line, role, 1);
		/* chgat takes the colour pair apart from the attributes: a pair
		 * left in attr would be replaced by the pair argument. */
		if (i != m->sel && m->items[i].hotkey) {
			attr_t key = theme_attr(ROLE_KEY);

			mvwchgat(w, y + i, x + 1, 1, key & ~A_COLOR, (short)PAIR_NUMBER(key), NULL);
		}
	}
}

int menu_key(struct menu *m, int ch, int *used)
{
	int act = keymap_lookup(menu_keys, ch);

	*used = 1;
	switch (act) {
	case M_UP:
		m->sel = m->sel > 0 ? m->sel - 1 : m->n - 1;
		return -1;
	case M_DOWN:
		m->sel = m->sel + 1 < m->n ? m->sel + 1 : 0;
		return -1;
	case M_HOME:
		m->sel = 0;
		return -1;
	case M_END:
		m->sel = m->n - 1;
		return -1;
	case M_CHOOSE:
		return m->sel;
	default:
		break;
	}
	for (int i = 0; ch > 0 && ch < 256 && i < m->n; i++)
		if (m->items[i].hotkey && m->items[i].hotkey == tolower(ch)) {
			m->sel = i;
			return i;
		}
	*used = 0;
	return -1;
}
