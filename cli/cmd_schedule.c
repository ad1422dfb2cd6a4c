/* cmd_schedule: `revault schedule` shows when backups run by themselves;
 * with words, changes it (core/schedule.h installs the timer or cron entry). */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

#include "core/schedule.h"
#include "core/settings.h"

/* The setting and what is installed can part (a unit removed by hand, the
 * package removed and put back, settings restored from a backup): said on
 * stderr, with the command that brings them together. */
static void say_mismatch(const char *root, const char *setting)
{
	char installed[SCHEDULE_TEXT_MAX + 32];
	bool any = schedule_installed_as(root, installed, sizeof(installed));

	if (!any && strcmp(setting, "off") != 0)
		fprintf(stderr, "revault: warning: backup.schedule is %s, but nothing is installed to run it: run "
			"`revault schedule %s`\n", setting, setting);
	else if (any && strcmp(setting, "off") == 0)
		fprintf(stderr, "revault: warning: backup.schedule is off, but a schedule (%s) is installed: run "
			"`revault schedule off` to remove it\n", installed);
	else if (any && strcmp(installed, setting) != 0)
		fprintf(stderr, "revault: warning: backup.schedule is %s, but the installed one is %s: run "
			"`revault schedule %s`\n", setting, installed, setting);
}

static int exec_schedule(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	struct schedule s;
	char said[SCHEDULE_SAID_MAX], text[SCHEDULE_TEXT_MAX];
	const char *root;
	int rc, lock;

	if (argc == 0) {
		if ((root = schedule_root(e)) == NULL)
			return e->code;
		schedule_of(&ctx->settings, &s);
		schedule_format(&s, text, sizeof(text));
		schedule_installed(root, said, sizeof(said));
		fprintf(ctx->out, "%-28s %s\n%-28s %s\n", "backup.schedule", text, "installed", said);
		say_mismatch(root, text);
		return RV_OK;
	}
	if ((rc = schedule_parse_words((size_t)argc, argv, &s, e)) != RV_OK)
		return rc;
	if ((lock = schedule_lock(e)) < 0)
		return e->code;
	/* Under the lock, the settings as the run before this one left them. */
	settings_free(&ctx->settings);
	if ((rc = settings_load(&ctx->settings, ctx->settings_path, e)) == RV_OK &&
	    (rc = schedule_set(&ctx->settings, &s, ctx->settings_path, said, sizeof(said), e)) == RV_OK)
		rc = cli_save(ctx, e);
	schedule_unlock(lock);
	if (rc != RV_OK)
		return rc;
	fprintf(ctx->out, "%s\n", said);
	return RV_OK;
}

static void more_help(FILE *f)
{
	cli_print_wrapped(f, 0, 0,
			  "Times are the machine's local time. With systemd running, revault writes and enables "
			  "revault-backup.timer and .service in /etc/systemd/system; otherwise /etc/cron.d/revault. "
			  "off removes what revault wrote, and only that. Needs root.");
}

const struct cli_cmd cli_schedule_cmds[] = {
	{ .name = "schedule", .usage = "[daily HH:MM [random MINUTES] | weekly DAY HH:MM | hourly | off]",
	  .help = "back up by itself on a schedule (systemd timer or cron); alone, show it",
	  .needs_settings = true, .args = { .min = 0, .max = 4 }, .exec = exec_schedule, .more_help = more_help },
	{ .name = NULL },
};
