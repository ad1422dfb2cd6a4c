/* cmd_status: `revault status [--max-age DURATION] [--json]`, for an admin
 * and for a monitoring check (Nagios/Icinga, systemd OnFailure=): the
 * first line says the health as a plugin's does ("OK: ..."), the exit
 * status says it to a script (docs/OPERATOR.md, "Monitoring"). */
#include "cli/cli.h"
#include "cli/status.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/lastrun.h"
#include "core/paths.h"
#include "core/units.h"
#include "core/util.h"

/* "3 min", "27 h": how long ago, in the unit an admin reads at a glance. */
static void age_text(int64_t seconds, char *buf, size_t cap)
{
	if (seconds < 0)
		seconds = 0;
	if (seconds < 120)
		snprintf(buf, cap, "%" PRId64 " s", seconds);
	else if (seconds < 2 * 3600)
		snprintf(buf, cap, "%" PRId64 " min", seconds / 60);
	else if (seconds < 2 * 86400)
		snprintf(buf, cap, "%" PRId64 " h", seconds / 3600);
	else
		snprintf(buf, cap, "%" PRId64 " days", seconds / 86400);
}

static void print_record(FILE *out, const char *label, const struct lastrun *r, bool found)
{
	char ended[32], bytes[UNITS_MAX];

	if (!found) {
		fprintf(out, "%-14s none\n", label);
		return;
	}
	lastrun_stamp(r->ended, ended, sizeof(ended));
	units_bytes(r->bytes, bytes, sizeof(bytes));
	fprintf(out, "%-14s %s, exit %d, ", label, ended, r->status);
	if (r->revision[0] != '\0')
		fprintf(out, "revision %s, %" PRIu64 " files, %s, %" PRIu64 " warning%s, took %" PRId64 " s\n",
			r->revision, r->files, bytes, r->warnings, r->warnings == 1 ? "" : "s", r->ended - r->started);
	else
		fprintf(out, "no revision stored, took %" PRId64 " s\n", r->ended - r->started);
	if (r->message[0] != '\0')
		fprintf(out, "%-14s %s\n", "", r->message);
}

static json_object *record_json(const struct lastrun *r, bool found, int64_t now)
{
	char started[32], ended[32];
	json_object *o;

	if (!found)
		return NULL; /* null */
	lastrun_stamp(r->started, started, sizeof(started));
	lastrun_stamp(r->ended, ended, sizeof(ended));
	o = json_object_new_object();
	json_object_object_add(o, "kind", json_object_new_string(r->kind));
	json_object_object_add(o, "started", json_object_new_string(started));
	json_object_object_add(o, "ended", json_object_new_string(ended));
	json_object_object_add(o, "age_seconds", json_object_new_int64(now - r->ended));
	json_object_object_add(o, "exit_status", json_object_new_int(r->status));
	json_object_object_add(o, "revision", r->revision[0] != '\0' ? json_object_new_string(r->revision) : NULL);
	json_object_object_add(o, "bytes", json_object_new_uint64(r->bytes));
	json_object_object_add(o, "wire_bytes", json_object_new_uint64(r->wire_bytes));
	json_object_object_add(o, "files", json_object_new_uint64(r->files));
	json_object_object_add(o, "warnings", json_object_new_uint64(r->warnings));
	json_object_object_add(o, "message", json_object_new_string(r->message));
	return o;
}

/* The first line: the health, as a monitoring plugin's first line. */
static void health_line(char *buf, size_t cap, enum lastrun_health h, const struct lastrun *a, int64_t now,
			int64_t max_age, const char *state_dir, const char *why)
{
	char ended[32], age[32], limit[32];

	lastrun_stamp(a->ended, ended, sizeof(ended));
	age_text(now - a->ended, age, sizeof(age));
	age_text(max_age, limit, sizeof(limit));
	switch (h) {
	case LASTRUN_OK:
		snprintf(buf, cap, "OK: the last backup, %s, ended %s (%s ago), complete (exit 0)", a->revision, ended, age);
		break;
	case LASTRUN_WARNINGS:
		snprintf(buf, cap, "OK: the last backup, %s, ended %s (%s ago), stored with %" PRIu64
			 " warning%s (exit 6): see the log for what was skipped", a->revision, ended, age, a->warnings,
			 a->warnings == 1 ? "" : "s");
		break;
	case LASTRUN_FAILED:
		snprintf(buf, cap, "FAILED: the last backup, ended %s (%s ago), failed with exit %d: %s", ended, age,
			 a->status, a->message);
		break;
	case LASTRUN_STALE:
		snprintf(buf, cap, "STALE: the last backup, %s, ended %s, %s ago: longer than --max-age (%s); "
			 "is the timer running? (revault schedule)", a->revision, ended, age, limit);
		break;
	case LASTRUN_NONE:
		snprintf(buf, cap, "NONE: no backup on record in %s: run `revault backup`", state_dir);
		break;
	case LASTRUN_UNREADABLE:
		snprintf(buf, cap, "UNKNOWN: %s", why);
		break;
	case LASTRUN_FUTURE:
		snprintf(buf, cap, "UNKNOWN: the last backup's record says it ended %s, in the future: is the clock "
			 "right? (the next backup writes a new record)", ended);
		break;
	}
}

int cli_status_print(FILE *out, int64_t max_age, bool json, enum lastrun_health *health, struct err *e)
{
	struct lastrun attempt, success;
	bool have_attempt = false, have_success = false, running = false;
	struct err re = { 0 };
	int64_t now = (int64_t)time(NULL);
	char line[2048], *state_dir = paths_state_dir(NULL);
	enum lastrun_health h;
	int rc;

	if (lastrun_read_last(&attempt, &have_attempt, &running, &re) != RV_OK ||
	    lastrun_read(LASTRUN_SUCCESS, &success, &have_success, &re) != RV_OK)
		h = LASTRUN_UNREADABLE;
	else
		h = lastrun_health(&attempt, have_attempt, now, max_age);
	health_line(line, sizeof(line), h, &attempt, now, max_age, state_dir != NULL ? state_dir : "the state folder",
		    re.msg);
	rc = lastrun_exit_status(h);
	if (health != NULL)
		*health = h;
	if (json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "health", json_object_new_string(lastrun_health_name(h)));
		json_object_object_add(o, "exit_status", json_object_new_int(rc));
		json_object_object_add(o, "summary", json_object_new_string(line));
		json_object_object_add(o, "max_age_seconds", max_age > 0 ? json_object_new_int64(max_age) : NULL);
		json_object_object_add(o, "backup_running", json_object_new_boolean(running));
		json_object_object_add(o, "last_attempt", record_json(&attempt, have_attempt, now));
		json_object_object_add(o, "last_success", record_json(&success, have_success, now));
		fprintf(out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
										 JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		fprintf(out, "%s\n", line);
		if (h != LASTRUN_UNREADABLE) {
			print_record(out, "last attempt:", &attempt, have_attempt);
			print_record(out, "last success:", &success, have_success);
		}
		if (running)
			fprintf(out, "%-14s a backup is under way\n", "now:");
	}
	/* The one line on stderr every failure has (cron and systemd keep it). */
	if (h == LASTRUN_UNREADABLE)
		err_set(e, RV_FAIL, "%s", re.msg);
	else if (rc != RV_OK)
		err_set(e, rc, "%s", line);
	free(state_dir);
	return rc;
}

static int exec_status(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	const char *age = cli_opt_value(ctx, "--max-age");
	int64_t max_age = 0;

	(void)argc;
	(void)argv;
	if (age != NULL && lastrun_parse_age(age, &max_age, e) != RV_OK)
		return e->code;
	return cli_status_print(ctx->out, max_age, cli_flag(ctx, "--json"), NULL, e);
}

static void status_help(FILE *f)
{
	fputs("Exit status:\n", f);
	cli_print_item(f, "0", 6, "the last backup stored a revision, complete or with warnings (exit 6; the "
		       "first line says which), and is not older than --max-age");
	cli_print_item(f, "1", 6, "the last backup failed, none is on record, it is older than --max-age, or "
		       "its record cannot be read");
	cli_print_item(f, "2", 6, "usage: --max-age takes 26h, 90m, 2d, 1w or seconds");
	fputc('\n', f);
	cli_print_wrapped(f, 0, 0, "The first line starts with OK, FAILED, STALE, NONE or UNKNOWN, as a "
			  "monitoring plugin's does; --json prints the same as one JSON object.");
}

const struct cli_cmd cli_status_cmds[] = {
	{ .name = "status", .usage = "[--max-age DURATION] [--json]",
	  .help = "when the last backup ran and how it ended; exit 0 only when it succeeded (for monitoring)",
	  .args = { .min = 0, .max = 0, .opts = { { "--max-age", true }, { "--json", false } } }, .exec = exec_status,
	  .more_help = status_help },
	{ .name = NULL },
};
