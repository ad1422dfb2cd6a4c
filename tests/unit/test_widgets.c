/* The widgets and themes on a curses screen of their own (vt100, output to
 * /dev/null), read back from the window: masked entry, form focus and
 * validation events, dialog defaults, key tables, list columns, what the
 * progress bar draws, and the theme decisions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "themes/theme.h"
#include "widgets/dialog.h"
#include "widgets/form.h"
#include "widgets/frame.h"
#include "widgets/keys.h"
#include "widgets/list.h"
#include "widgets/menu.h"
#include "widgets/progress.h"

static SCREEN *scr;
static FILE *term_out, *term_in;

static int setup(void **state)
{
	(void)state;
	term_out = fopen("/dev/null", "w");
	term_in = fopen("/dev/null", "r");
	scr = newterm("vt100", term_out, term_in);
	if (scr == NULL)
		return -1;
	set_term(scr);
	keypad(stdscr, TRUE);
	theme_apply("default", false, true);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	endwin();
	delscreen(scr);
	fclose(term_out);
	fclose(term_in);
	return 0;
}

/* Row y of stdscr as text. */
static const char *row(int y)
{
	static char buf[256];

	mvwinnstr(stdscr, y, 0, buf, COLS);
	return buf;
}

static bool screen_has(const char *s)
{
	for (int y = 0; y < LINES; y++)
		if (strstr(row(y), s) != NULL)
			return true;
	return false;
}

/* Queues keys so the first argument is read first (ungetch is a stack). */
static void feed(const int *keys, int n)
{
	for (int i = n - 1; i >= 0; i--)
		ungetch(keys[i]);
}

static void feed_str(const char *s, int last)
{
	int keys[64], n = 0;

	while (*s && n < 63)
		keys[n++] = (unsigned char)*s++;
	if (last)
		keys[n++] = last;
	feed(keys, n);
}

static void test_keymap(void **state)
{
	static const struct keymap m[] = { { 'a', 1 }, { KEY_F(2), 2 }, { 0, 0 } };

	(void)state;
	assert_int_equal(keymap_lookup(m, 'a'), 1);
	assert_int_equal(keymap_lookup(m, KEY_F(2)), 2);
	assert_int_equal(keymap_lookup(m, 'b'), 0);
}

static void test_esc_digit_is_fkey(void **state)
{
	int keys[] = { KEY_ESC, '2', KEY_ESC, '0', 'x' };

	(void)state;
	keys_timeout(stdscr, 0);
	feed(keys, 5);
	assert_int_equal(keys_get(stdscr), KEY_F(2));
	assert_int_equal(keys_get(stdscr), KEY_F(10));
	assert_int_equal(keys_get(stdscr), 'x');
}

static struct form_field fields[3];
static struct form form = { .fields = fields, .n = 3 };
static const char *const choices[] = { "password", "publickey", "agent" };

static void form_reset(void)
{
	form_wipe(&form);
	memset(fields, 0, sizeof(fields));
	fields[0] = (struct form_field){ .label = "URL", .kind = FIELD_TEXT };
	fields[1] = (struct form_field){ .label = "Auth", .kind = FIELD_CHOICE, .choices = choices, .nchoices = 3 };
	fields[2] = (struct form_field){ .label = "Password", .kind = FIELD_SECRET };
	form.focus = 0;
}

static void type(const char *s)
{
	int left;

	for (; *s; s++)
		assert_int_equal(form_key(&form, (unsigned char)*s, &left), FORM_HANDLED);
}

static void test_form_focus_and_edit(void **state)
{
	int left = -1;

	(void)state;
	form_reset();
	type("sftp://h/x");
	assert_string_equal(fields[0].buf, "sftp://h/x");
	assert_true(fields[0].edited);
	form_key(&form, KEY_BACKSPACE, &left);
	form_key(&form, KEY_LEFT, &left);
	type("Y");
	assert_string_equal(fields[0].buf, "sftp://hY/");
	assert_int_equal(form_key(&form, '\t', &left), FORM_LEFT);
	assert_int_equal(left, 0);
	assert_int_equal(form.focus, 1);
	form_key(&form, ' ', &left);
	assert_string_equal(form_choice(&fields[1]), "publickey");
	form_key(&form, KEY_LEFT, &left);
	form_key(&form, KEY_LEFT, &left);
	assert_string_equal(form_choice(&fields[1]), "agent");
	assert_int_equal(form_key(&form, KEY_BTAB, &left), FORM_LEFT);
	assert_int_equal(form.focus, 0);
	assert_int_equal(left, 1);
	form_key(&form, KEY_UP, &left);
	assert_int_equal(form.focus, 2);
	assert_int_equal(form_key(&form, '\n', &left), FORM_SUBMIT);
	assert_int_equal(form_key(&form, KEY_F(2), &left), FORM_IGNORED);
}

static void test_secret_masked_and_wiped(void **state)
{
	int left;

	(void)state;
	form_reset();
	form.focus = 2;
	type("hunter2");
	werase(stdscr);
	form_draw(stdscr, &form, 1, 0, 10, 40);
	assert_true(screen_has("*******"));
	assert_false(screen_has("hunter2"));
	strcpy(fields[0].error, "bad url");
	werase(stdscr);
	form_draw(stdscr, &form, 1, 0, 10, 40);
	assert_true(screen_has("bad url"));
	form_wipe(&form);
	for (size_t i = 0; i < sizeof(fields[2].buf); i++)
		assert_int_equal(fields[2].buf[i], 0);
	assert_int_equal(fields[2].len, 0);
	(void)left;
}

/* A pre-filled text field is selected on entry: a character replaces it,
 * Backspace clears it, a cursor key keeps it for editing. */
static void test_form_selection_on_entry(void **state)
{
	int left;

	(void)state;
	form_reset();
	form_set(&fields[0], "10");
	type("3");
	assert_string_equal(fields[0].buf, "3");
	assert_true(fields[0].edited);
	form_key(&form, '\t', &left);
	form_key(&form, KEY_BTAB, &left);
	form_key(&form, KEY_END, &left);
	type("4");
	assert_string_equal(fields[0].buf, "34");
	form_key(&form, '\t', &left);
	form_key(&form, KEY_BTAB, &left);
	form_key(&form, KEY_BACKSPACE, &left);
	assert_string_equal(fields[0].buf, "");
	form_wipe(&form);
}

/* A value the check refuses keeps the box open, with the error under the
 * field and the text as typed; the next Enter asks again. */
static bool check_range(void *arg, const char *v, char *err, size_t cap)
{
	int *calls = arg;

	(*calls)++;
	if (atoi(v) >= 1 && atoi(v) <= 1000)
		return true;
	snprintf(err, cap, "from 1 to 1000, not \"%s\"", v);
	return false;
}

static void test_input_checked_keeps_refused(void **state)
{
	int keys[] = { '5', '0', '0', '0', '\n', KEY_BACKSPACE, '\n' };
	char buf[32] = "10";
	int calls = 0;

	(void)state;
	keys_timeout(stdscr, -1);
	feed(keys, 7);
	assert_true(dialog_input_checked("Revisions", "Revisions kept:", buf, sizeof(buf), false, check_range,
					 &calls));
	assert_int_equal(calls, 2);
	assert_string_equal(buf, "500");
}

static void test_choose_from_list(void **state)
{
	static const char *const types[] = { "ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa" };
	int keys[] = { KEY_DOWN, KEY_DOWN, '\n' }, i = 0;

	(void)state;
	keys_timeout(stdscr, -1);
	feed(keys, 3);
	assert_true(dialog_choose("Key type", "Type:", types, 3, &i));
	assert_int_equal(i, 2);
	feed_str("", KEY_ESC);
	i = 1;
	assert_false(dialog_choose("Key type", "Type:", types, 3, &i));
	assert_int_equal(i, 1);
}

static void test_confirm_defaults_to_no(void **state)
{
	int tab_enter[] = { '\t', '\n' }, right_enter[] = { KEY_RIGHT, '\n' };

	(void)state;
	keys_timeout(stdscr, -1);
	feed_str("", '\n');
	assert_false(dialog_confirm("Replace", "Replace it?", ROLE_WARNING));
	feed_str("", KEY_ESC);
	assert_false(dialog_confirm("Replace", "Replace it?", ROLE_WARNING));
	feed_str("y", 0);
	assert_true(dialog_confirm("Replace", "Replace it?", ROLE_WARNING));
	/* Enter is No whatever key came before it, as the text says. */
	feed(tab_enter, 2);
	assert_false(dialog_confirm("Replace", "Replace it?", ROLE_WARNING));
	feed(right_enter, 2);
	assert_false(dialog_confirm("Replace", "Replace it?", ROLE_WARNING));
}

static void test_input_masked(void **state)
{
	char buf[32] = "old";

	(void)state;
	feed_str("s3cret", '\n');
	assert_true(dialog_input("Passphrase", "Passphrase:", buf, sizeof(buf), true));
	assert_string_equal(buf, "s3cret");
	assert_false(screen_has("s3cret"));
	feed_str("abc", KEY_ESC);
	strcpy(buf, "keep");
	assert_false(dialog_input("Name", "Name:", buf, sizeof(buf), false));
	assert_string_equal(buf, "keep");
}

static void cell(void *arg, int r, int c, char *buf, size_t cap)
{
	(void)arg;
	snprintf(buf, cap, "r%dc%d", r, c);
}

static void test_list_columns_and_scroll(void **state)
{
	static const struct list_column cols[] = { { "Name", 10 }, { "Size", 0 } };
	struct list l = { .cols = cols, .ncols = 2, .nrows = 50, .cell = cell };

	(void)state;
	werase(stdscr);
	list_draw(stdscr, &l, 0, 0, 6, 40);
	assert_non_null(strstr(row(0), "Name      Size"));
	assert_non_null(strstr(row(1), "r0c0      r0c1"));
	/* The header is one bar: the gap after a title and the rest of the
	 * row are drawn as titles too. */
	assert_int_equal(mvwinch(stdscr, 0, 6) & A_ATTRIBUTES, theme_attr(ROLE_TITLE));
	assert_int_equal(mvwinch(stdscr, 0, 30) & A_ATTRIBUTES, theme_attr(ROLE_TITLE));
	for (int i = 0; i < 7; i++)
		list_key(&l, KEY_DOWN, 5);
	assert_int_equal(l.sel, 7);
	werase(stdscr);
	list_draw(stdscr, &l, 0, 0, 6, 40);
	assert_non_null(strstr(row(5), "r7c0"));
	list_key(&l, KEY_END, 5);
	assert_int_equal(l.sel, 49);
	list_key(&l, KEY_DOWN, 5);
	assert_int_equal(l.sel, 49);
}

static void test_menu_hotkeys(void **state)
{
	static const struct menu_item items[] = { { "Backup", 'b', NULL }, { "Quit", 'q', NULL } };
	struct menu m = { .items = items, .n = 2 };
	int used;

	(void)state;
	assert_int_equal(menu_key(&m, 'Q', &used), 1);
	assert_int_equal(m.sel, 1);
	assert_int_equal(menu_key(&m, KEY_DOWN, &used), -1);
	assert_int_equal(m.sel, 0);
	assert_int_equal(menu_key(&m, '\r', &used), 0);
	assert_int_equal(menu_key(&m, 'z', &used), -1);
	assert_int_equal(used, 0);
	menu_free(&m);
}

/* The bar draws what it is given (core/meter and core/units compute and
 * write it: tests/unit/test_units.c). */
static void test_progress_draw(void **state)
{
	const struct progress_view half = {
		.percent = 50, .done = "488.3 KiB", .total = "976.6 KiB", .rate = "12.8 KiB/s",
		.eta = "00:38", .stalled = true,
	};
	const struct progress_view going = {
		.percent = 25, .done = "244.1 KiB", .total = "976.6 KiB", .rate = "244.1 KiB/s",
		.eta = "00:03", .stalled = false,
	};
	const struct progress_view unknown = { .percent = -1, .done = "1.5 MiB", .rate = "1.5 MiB/s", .eta = "--:--" };

	(void)state;
	werase(stdscr);
	progress_draw(stdscr, 0, 0, 76, &half, "Esc/c cancel");
	assert_true(screen_has(" 50%"));
	assert_true(screen_has("- stalled -"));
	assert_true(screen_has("Esc/c cancel"));
	werase(stdscr);
	progress_draw(stdscr, 0, 0, 76, &going, NULL);
	assert_true(screen_has(" 25%"));
	assert_true(screen_has("244.1 KiB of 976.6 KiB  244.1 KiB/s  ETA 00:03"));
	assert_false(screen_has("- stalled -"));
	werase(stdscr);
	progress_draw(stdscr, 0, 0, 76, &unknown, NULL);
	assert_true(screen_has("  ---"));
	assert_true(screen_has("1.5 MiB  1.5 MiB/s"));
	assert_false(screen_has("ETA"));
}

static void test_theme_choice(void **state)
{
	(void)state;
	assert_true(theme_want_mono(true, "default", NULL, true));
	assert_true(theme_want_mono(false, "default", "1", true));
	assert_false(theme_want_mono(false, "default", "", true));
	assert_true(theme_want_mono(false, "default", NULL, false));
	assert_true(theme_want_mono(false, "monochrome", NULL, true));
	assert_false(theme_want_mono(false, "high-contrast", NULL, true));
	assert_true(theme_want_ascii(false, "ANSI_X3.4-1968"));
	assert_false(theme_want_ascii(false, "UTF-8"));
	assert_true(theme_want_ascii(true, "UTF-8"));
	assert_non_null(theme_find("high-contrast"));
	assert_null(theme_find("neon"));
	theme_apply("default", false, true);
	assert_int_equal(theme_line(LINE_H), '-');
	assert_int_equal(theme_line(LINE_UL), '+');
}

static void test_too_small(void **state)
{
	(void)state;
	frame_too_small(stdscr, 80, 24);
	assert_true(screen_has("Terminal too small"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keymap),
		cmocka_unit_test(test_esc_digit_is_fkey),
		cmocka_unit_test(test_form_focus_and_edit),
		cmocka_unit_test(test_secret_masked_and_wiped),
		cmocka_unit_test(test_form_selection_on_entry),
		cmocka_unit_test(test_input_checked_keeps_refused),
		cmocka_unit_test(test_choose_from_list),
		cmocka_unit_test(test_confirm_defaults_to_no),
		cmocka_unit_test(test_input_masked),
		cmocka_unit_test(test_list_columns_and_scroll),
		cmocka_unit_test(test_menu_hotkeys),
		cmocka_unit_test(test_progress_draw),
		cmocka_unit_test(test_theme_choice),
		cmocka_unit_test(test_too_small),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
