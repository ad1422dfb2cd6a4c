/* hooks: running an admin's command around a backup. The job's worker
 * thread calls hooks_run and waits; the hook's output is read through two
 * pipes and its end seen through a pidfd, all in one poll, so the
 * deadline holds whatever the hook does with its output. */
#include "core/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "core/util.h"

extern char **environ;

/* A line longer than this is logged in pieces. */
#define LINE_MAX_LOG 512
/* How often a running hook looks at the cancel flag, in milliseconds. */
#define CANCEL_POLL_MS 250

int hooks_check_file(const char *settings_path, struct err *e)
{
	struct stat sb;

	if (lstat(settings_path, &sb) != 0)
		return err_set(e, RV_USAGE, "hooks are refused: cannot check the settings file %s: %s", settings_path,
			       strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return err_set(e, RV_USAGE, "hooks are refused: the settings file %s is not a regular file (a symlink?)",
			       settings_path);
	if (sb.st_uid != geteuid() && sb.st_uid != 0)
		return err_set(e, RV_USAGE, "hooks are refused: the settings file %s belongs to uid %u, not to you or root: "
			       "chown it", settings_path, (unsigned)sb.st_uid);
	if ((sb.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return err_set(e, RV_USAGE, "hooks are refused: the settings file %s can be written by %s: run `chmod 600 %s`",
			       settings_path, (sb.st_mode & S_IWOTH) != 0 ? "anyone" : "its group", settings_path);
	return RV_OK;
}

/* revault's environment without the names the hook gets from vars, then
 * vars. Allocated array of allocated strings, NULL-ended. */
static char **hook_environ(const struct hook_run *h)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n] != NULL)
		n++;
	env = xcalloc(n + h->nvars + 1, sizeof(*env));
	for (size_t i = 0; i < n; i++) {
		bool replaced = false;

		for (size_t v = 0; v < h->nvars && !replaced; v++) {
			size_t len = strlen(h->vars[v].name);

			replaced = strncmp(environ[i], h->vars[v].name, len) == 0 && environ[i][len] == '=';
		}
		if (!replaced)
			env[k++] = xstrdup(environ[i]);
	}
	for (size_t v = 0; v < h->nvars; v++)
		env[k++] = xasprintf("%s=%s", h->vars[v].name, h->vars[v].value != NULL ? h->vars[v].value : "");
	return env;
}

static void free_environ(char **env)
{
	for (size_t i = 0; env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

/* What one of the hook's two outputs has read but not yet logged. */
struct stream {
	int fd;
	bool is_err;
	char buf[LINE_MAX_LOG + 1];
	size_t len;
	bool continued; /* buf holds the rest of a line cut at LINE_MAX_LOG */
};

struct runner {
	const struct hook_run *h;
	char last_err[LINE_MAX_LOG * 3 + 1]; /* the start of the last line on stderr, as UTF-8 */
};

/* Logs buf[0..len) as one line, valid UTF-8 (a hook may print Latin-1);
 * the rest of buf (a character cut at the limit) starts the next. A
 * line's start is what says what went wrong (pg_dump: error: ...), so a
 * long one's continuation does not replace it as the last stderr line. */
static void emit(struct runner *r, struct stream *s, size_t len, bool whole)
{
	char line[LINE_MAX_LOG * 3 + 1], msg[LINE_MAX_LOG * 3 + 64];
	char rest[LINE_MAX_LOG + 1];
	size_t nrest = s->len - len;

	memcpy(rest, s->buf + len, nrest);
	s->buf[len] = '\0';
	for (char *c = s->buf; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 && *c != '\t')
			*c = ' ';
	util_utf8_copy(line, sizeof(line), s->buf);
	if (len > 0 && s->is_err && !s->continued)
		snprintf(r->last_err, sizeof(r->last_err), "%s", line);
	if (len > 0 && r->h->log != NULL) {
		snprintf(msg, sizeof(msg), "%s: %s", r->h->name, line);
		r->h->log(r->h->log_arg, LOG_INFO, msg);
	}
	memcpy(s->buf, rest, nrest);
	s->len = nrest;
	s->continued = !whole;
}

static void emit_line(struct runner *r, struct stream *s)
{
	emit(r, s, s->len, true);
}

/* buf is full: log it up to the last whole UTF-8 character. */
static void emit_part(struct runner *r, struct stream *s)
{
	emit(r, s, util_utf8_cut(s->buf, s->len), false);
}

/* Reads what is there; false at the end of the stream (or an error). */
static bool drain(struct runner *r, struct stream *s)
{
	char chunk[4096];
	ssize_t n;

	while ((n = read(s->fd, chunk, sizeof(chunk))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (chunk[i] == '\n') {
				emit_line(r, s);
				continue;
			}
			s->buf[s->len++] = chunk[i];
			if (s->len == LINE_MAX_LOG)
				emit_part(r, s);
		}
	}
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		emit_line(r, s);
		return false;
	}
	return true;
}

static pid_t spawn(const struct hook_run *h, int out[2], int errp[2], struct err *e)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, deflt;
	char **env = hook_environ(h);
	char *argv[] = { "sh", "-c", (char *)h->command, NULL };
	pid_t pid = -1;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, errp[1], STDERR_FILENO);
	/* Nothing of revault's: not the lock (a hook that leaves a daemon
	 * behind must not keep the next backup out), not the connection. */
	posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigemptyset(&deflt);
	sigaddset(&deflt, SIGPIPE);
	sigaddset(&deflt, SIGINT);
	sigaddset(&deflt, SIGTERM);
	sigaddset(&deflt, SIGHUP);
	sigaddset(&deflt, SIGCHLD);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &deflt);
	/* Its own process group: the timeout ends all it started. */
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(&pid, "/bin/sh", &fa, &at, argv, env);
	if (rc != 0) {
		err_set(e, RV_FAIL, "%s could not be started (/bin/sh): %s", h->name, strerror(rc));
		pid = -1;
	}
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	free_environ(env);
	return pid;
}

int hooks_run(const struct hook_run *h, struct err *e)
{
	struct runner r = { .h = h };
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, pidfd = -1, status = 0;
	struct stream s[2] = { { .fd = -1 }, { .fd = -1, .is_err = true } };
	double start = mono_now(), killed_at = 0;
	bool exited = false, timed_out = false, cancelled = false;
	pid_t pid;

	if (pipe2(out, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
		err_set(e, RV_FAIL, "%s could not be started: %s", h->name, strerror(errno));
		goto out;
	}
	pid = spawn(h, out, errp, e);
	if (pid < 0)
		goto out;
	close(out[1]);
	close(errp[1]);
	s[0].fd = out[0];
	s[1].fd = errp[0];
	out[0] = out[1] = errp[0] = errp[1] = -1;
	fcntl(s[0].fd, F_SETFL, O_NONBLOCK);
	fcntl(s[1].fd, F_SETFL, O_NONBLOCK);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	while (!exited) {
		struct pollfd p[3] = {
			{ .fd = s[0].fd, .events = POLLIN }, { .fd = s[1].fd, .events = POLLIN },
			{ .fd = pidfd, .events = POLLIN },
		};
		siginfo_t si = { 0 };
		double now = mono_now();

		if (!timed_out && (now - start >= h->timeout || (h->cancel != NULL && atomic_load(h->cancel)))) {
			timed_out = true;
			cancelled = now - start < h->timeout;
			killed_at = now;
			kill(-pid, SIGTERM);
		} else if (timed_out && killed_at > 0 && now - killed_at >= HOOKS_KILL_GRACE) {
			kill(-pid, SIGKILL);
			killed_at = 0;
		}
		poll(p, 3, pidfd >= 0 ? CANCEL_POLL_MS : 50);
		for (int i = 0; i < 2; i++)
			if (s[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0 && !drain(&r, &s[i])) {
				close(s[i].fd);
				s[i].fd = -1;
			}
		/* Seen without reaping: the zombie keeps its pid, and so its
		 * process group's id, from being reused while the rest of the
		 * group is ended below. */
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid)
			exited = true;
	}
	for (int i = 0; i < 2; i++)
		if (s[i].fd >= 0)
			drain(&r, &s[i]);
	kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (cancelled)
		err_set(e, RV_FAIL, "%s was stopped: the backup was cancelled", h->name);
	else if (timed_out)
		err_set(e, RV_FAIL, "%s did not finish within %u s and was stopped: make it faster, or raise hooks.timeout",
			h->name, h->timeout);
	else if (WIFSIGNALED(status))
		err_set(e, RV_FAIL, "%s was killed by SIG%s%s%s", h->name,
			sigabbrev_np(WTERMSIG(status)) != NULL ? sigabbrev_np(WTERMSIG(status)) : "?",
			r.last_err[0] != '\0' ? ": " : "", r.last_err);
	else if (WEXITSTATUS(status) != 0)
		err_set(e, RV_FAIL, "%s failed with exit status %d%s%s", h->name, WEXITSTATUS(status),
			r.last_err[0] != '\0' ? ": " : "", r.last_err);
out:
	for (int i = 0; i < 2; i++) {
		if (s[i].fd >= 0)
			close(s[i].fd);
	}
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	if (pidfd >= 0)
		close(pidfd);
	return e->code == RV_OK ? RV_OK : e->code;
}
