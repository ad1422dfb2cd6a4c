/* util_escape_name: names from a backup written for one line, as GNU
 * tar's "escape" quoting writes them: nothing that could forge a line or
 * drive a terminal gets through, valid UTF-8 stays readable, and distinct
 * names stay distinct. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/util.h"

static void expect(const char *in, const char *want)
{
	char *got = util_escape_name(in);

	assert_string_equal(got, want);
	free(got);
}

static void test_plain_and_utf8(void **state)
{
	(void)state;
	expect("/etc/hosts", "/etc/hosts");
	expect("", "");
	expect("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91");
}

static void test_controls(void **state)
{
	(void)state;
	expect("a\nb", "a\\nb");
	expect("a\tb\rc", "a\\tb\\rc");
	expect("back\\slash", "back\\\\slash");
	expect("\033[31mred", "\\033[31mred");
	expect("del\x7f", "del\\177");
	/* The escaped form of one name is not another name's. */
	expect("a\\nb", "a\\\\nb");
}

static void test_not_utf8(void **state)
{
	(void)state;
	expect("caf\xe9", "caf\\351");                  /* Latin-1 */
	expect("\xc2\x9b" "1m", "\\302\\2331m");         /* C1 CSI as UTF-8 */
	expect("\xc0\xaf", "\\300\\257");                /* overlong "/" */
	expect("\xed\xa0\x80", "\\355\\240\\200");       /* a surrogate */
	expect("\xf4\x90\x80\x80", "\\364\\220\\200\\200"); /* past U+10FFFF */
	expect("\xe2\x82", "\\342\\202");                /* cut short */
}

static void test_format_characters(void **state)
{
	(void)state;
	/* Right-to-left override: "evil\u202Efdp.exe" shows as "evilexe.pdf". */
	expect("evil\xe2\x80\xae" "fdp.exe", "evil\\342\\200\\256fdp.exe");
	expect("a\xe2\x81\xa6" "b", "a\\342\\201\\246b");   /* LEFT-TO-RIGHT ISOLATE */
	expect("a\xe2\x80\x8b" "b", "a\\342\\200\\213b");   /* ZERO WIDTH SPACE */
	expect("a\xe2\x80\xa8" "b", "a\\342\\200\\250b");   /* LINE SEPARATOR */
	expect("\xef\xbb\xbf" "a", "\\357\\273\\277a");     /* BOM */
	expect("a\xc2\xad" "b", "a\\302\\255b");             /* SOFT HYPHEN */
	/* Their neighbours print. */
	expect("a\xe2\x80\x90" "b", "a\xe2\x80\x90" "b");      /* HYPHEN */
	expect("a\xe2\x80\xaf" "b", "a\xe2\x80\xaf" "b");      /* NARROW NO-BREAK SPACE */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_utf8),
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_not_utf8),
		cmocka_unit_test(test_format_characters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
