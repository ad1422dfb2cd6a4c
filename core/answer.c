/* answer: yes/no answers read the same everywhere. */
#include "core/answer.h"

#include <string.h>
#include <strings.h>

bool answer_yes(const char *line)
{
	size_t len;

	if (line == NULL)
		return false;
	line += strspn(line, " \t");
	len = strcspn(line, " \t\r\n");
	if (line[len + strspn(line + len, " \t\r\n")] != '\0')
		return false;
	return (len == 1 && strncasecmp(line, "y", 1) == 0) || (len == 3 && strncasecmp(line, "yes", 3) == 0);
}
