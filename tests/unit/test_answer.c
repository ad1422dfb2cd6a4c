/* The one rule for yes/no answers (core/answer.h) that the text
 * interface, the command line and the console share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/answer.h"

static void test_yes(void **state)
{
	static const char *const yes[] = { "y", "Y", "yes", "YES", "Yes", " yes ", "y\n", "yes\r\n", "\tY" };

	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(answer_yes(yes[i]));
}

static void test_no(void **state)
{
	static const char *const no[] = { "", "\n", "n", "no", "N", "ye", "yess", "yes please", "y y", "oui",
					  "yes!", "1", "true" };

	(void)state;
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(answer_yes(no[i]));
	assert_false(answer_yes(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yes),
		cmocka_unit_test(test_no),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
