/* Colour on real terminal types: each case opens a curses screen of its
 * own (output to /dev/null) for a terminal type from the system's terminfo
 * (ncurses-base), applies a theme and reads back the pairs the roles got.
 * One screen at a time: ncurses frees every window on delscreen, so the
 * screens are never nested. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "themes/theme.h"
#include "widgets/menu.h"

static SCREEN *scr;
static FILE *term_out, *term_in;

/* Opens a screen for TERM type term and applies the theme, NO_COLOR set
 * to no_color (NULL: unset). */
static void open_screen(const char *term, const char *theme, bool mono, const char *no_color)
{
	term_out = fopen("/dev/null", "w");
	term_in = fopen("/dev/null", "r");
	assert_non_null(term_out);
	assert_non_null(term_in);
	scr = newterm(term, term_out, term_in);
	assert_non_null(scr);
	set_term(scr);
	if (no_color != NULL)
		setenv("NO_COLOR", no_color, 1);
	else
		unsetenv("NO_COLOR");
	theme_apply(theme, mono, true);
}

static int close_screen(void **state)
{
	(void)state;
	if (scr != NULL) {
		endwin();
		delscreen(scr);
		scr = NULL;
	}
	if (term_out != NULL)
		fclose(term_out);
	if (term_in != NULL)
		fclose(term_in);
	term_out = term_in = NULL;
	unsetenv("NO_COLOR");
	return 0;
}

static void role_colours(enum theme_role r, short *fg, short *bg)
{
	*fg = *bg = -2;
	assert_int_equal(pair_content((short)PAIR_NUMBER(theme_attr(r)), fg, bg), OK);
}

/* Every role drawn without a colour pair. */
static void assert_no_colour(void)
{
	assert_true(theme_is_mono());
	for (int r = 0; r < ROLE_COUNT; r++)
		assert_int_equal(PAIR_NUMBER(theme_attr((enum theme_role)r)), 0);
}

/* COLORS is 0 until start_color(): it must be read after it. */
static void test_default_theme_in_colour(void **state)
{
	short fg, bg;

	(void)state;
	open_screen("xterm-256color", "default", false, NULL);
	assert_false(theme_is_mono());
	assert_string_equal(theme_current(), "default");
	role_colours(ROLE_ERROR, &fg, &bg);
	assert_int_equal(fg, COLOR_RED);
	role_colours(ROLE_WARNING, &fg, &bg);
	assert_int_equal(fg, COLOR_YELLOW);
	role_colours(ROLE_TITLE, &fg, &bg);
	assert_int_equal(fg, COLOR_WHITE);
	assert_int_equal(bg, COLOR_BLUE);
	assert_true((theme_attr(ROLE_ERROR) & A_BOLD) != 0);
}

static void test_high_contrast_in_colour(void **state)
{
	short fg, bg;

	(void)state;
	open_screen("xterm", "high-contrast", false, NULL);
	assert_false(theme_is_mono());
	role_colours(ROLE_ERROR, &fg, &bg);
	assert_int_equal(fg, COLOR_WHITE);
	assert_int_equal(bg, COLOR_RED);
}

/* An empty NO_COLOR is as if it were unset (no-color.org). */
static void test_empty_no_color_keeps_colour(void **state)
{
	(void)state;
	open_screen("xterm-256color", "default", false, "");
	assert_false(theme_is_mono());
}

static void test_no_color_is_mono(void **state)
{
	(void)state;
	open_screen("xterm-256color", "default", false, "1");
	assert_no_colour();
}

static void test_mono_option_is_mono(void **state)
{
	(void)state;
	open_screen("xterm-256color", "high-contrast", true, NULL);
	assert_no_colour();
}

static void test_monochrome_theme_is_mono(void **state)
{
	(void)state;
	open_screen("xterm-256color", "monochrome", false, NULL);
	assert_no_colour();
}

static void test_vt220_is_mono(void **state)
{
	(void)state;
	open_screen("vt220", "default", false, NULL);
	assert_no_colour();
	assert_string_equal(theme_current(), "monochrome");
}

/* Every scheme reads on a light terminal as on a dark one: a role drawn
 * on the terminal's own background is never white or black on it. */
static void test_readable_on_any_background(void **state)
{
	(void)state;
	for (int i = 0; theme_name_at(i) != NULL; i++) {
		const struct theme *t = theme_find(theme_name_at(i));

		for (int r = 0; r < ROLE_COUNT; r++) {
			const struct theme_style *st = &t->role[r];

			if (st->bg != -1)
				continue;
			if (st->fg == COLOR_WHITE || st->fg == COLOR_BLACK)
				fail_msg("%s: role %d is %s on the terminal's background", t->name, r,
					 st->fg == COLOR_WHITE ? "white" : "black");
		}
	}
}

/* A menu's hotkey letter keeps the key role's colour pair: chgat takes
 * the pair apart from the attributes. */
static void test_menu_hotkey_colour(void **state)
{
	static const struct menu_item items[] = { { "Backup", 'b', NULL }, { "Quit", 'q', NULL } };
	struct menu m = { .items = items, .n = 2 };
	chtype c;

	(void)state;
	open_screen("xterm-256color", "default", false, NULL);
	assert_false(theme_is_mono());
	menu_draw(stdscr, &m, 0, 0, 20);
	c = mvwinch(stdscr, 1, 1);
	assert_int_equal((int)(c & A_CHARTEXT), 'Q');
	assert_int_not_equal(PAIR_NUMBER(c), 0);
	assert_int_equal(PAIR_NUMBER(c), PAIR_NUMBER(theme_attr(ROLE_KEY)));
	assert_true((c & A_BOLD) != 0);
	menu_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_default_theme_in_colour, close_screen),
		cmocka_unit_test_teardown(test_high_contrast_in_colour, close_screen),
		cmocka_unit_test_teardown(test_empty_no_color_keeps_colour, close_screen),
		cmocka_unit_test_teardown(test_no_color_is_mono, close_screen),
		cmocka_unit_test_teardown(test_mono_option_is_mono, close_screen),
		cmocka_unit_test_teardown(test_monochrome_theme_is_mono, close_screen),
		cmocka_unit_test_teardown(test_vt220_is_mono, close_screen),
		cmocka_unit_test_teardown(test_menu_hotkey_colour, close_screen),
		cmocka_unit_test(test_readable_on_any_background),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
