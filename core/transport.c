/* transport: SFTP over libssh2 in blocking mode, every call bounded by the
 * session timeout. A cancel from another thread shuts the socket down, so
 * whatever libssh2 is waiting on returns at once; a flag tells that apart
 * from a network failure. Written for libssh2 1.10 (docs/ARCHITECTURE.md,
 * "Living with libssh2 1.10") and built so that a newer one's extra host
 * key types are used when present. */
#include "core/transport.h"

#include <errno.h>
#include <fcntl.h>
#include <libssh2.h>
#include <libssh2_sftp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/bwlimit.h"
#include "core/url.h"
#include "core/util.h"

/* Enough in flight to fill the channel (docs/ARCHITECTURE.md, "Living with
 * libssh2 1.10"): uploads keep twice the server's channel window
 * unacknowledged (so that the window, not revault, is the limit: RFC 4254
 * section 5.2), at least WRITE_WINDOW_MIN and at most WRITE_WINDOW_MAX
 * bytes, in a buffer of WRITE_BUF_WINDOWS windows; downloads ask for
 * READ_CHUNK at once, or read straight into a caller's buffer of
 * DIRECT_READ or more. */
#define WRITE_WINDOW_MIN (1024 * 1024)
/* On a slow link, no more in flight than the server acknowledges in
 * IN_FLIGHT_SECONDS (at least IN_FLIGHT_MIN bytes): what is in flight must
 * drain before a cancel or the end of an upload is answered, and at
 * 200 KB/s 4 MiB are 20 s. The rate is measured every RATE_INTERVAL. */
#define IN_FLIGHT_SECONDS 2.0
#define IN_FLIGHT_MIN (256 * 1024)
#define RATE_INTERVAL 0.5
#define WRITE_WINDOW_MAX (8 * 1024 * 1024)
#define WRITE_BUF_WINDOWS 4
#define READ_CHUNK (2 * 1024 * 1024)
#define DIRECT_READ (256 * 1024)
/* A round trip this long (seconds) or more makes a link where downloads
 * read through f->buf: libssh2 1.10 keeps four times what one read asks
 * for in flight (sftp.c, sftp_read), and a caller's buffer of 512 KiB is
 * 2 MiB per round trip, 35 MB/s at 60 ms. */
#define SLOW_READ_RTT 0.005
/* A folder listing is the one reply whose size the server alone decides:
 * one that answers readdir forever would grow memory without end while
 * every single call stays within server.timeout. Past these bounds (or
 * past server.timeout for the whole listing) it is refused. A revision's
 * name is short; longer names are skipped, not kept. The name buffer holds
 * the largest SFTP packet libssh2 accepts, so no name it parses is too
 * long for it. */
#define LIST_MAX_ENTRIES 100000
#define LIST_MAX_NAME 255
#define LIST_MAX_NAME_BYTES (64 * 1024 * 1024)
#define LIST_NAME_BUF (256 * 1024)
#define DIR_MODE 0700
#define FILE_MODE 0600
/* A blocked call looks this often (seconds) for a cancel, a closed SFTP
 * channel or its deadline. */
#define WAIT_SLICE 0.25
/* During local work a request goes out on the SFTP channel when it has
 * been idle this long (seconds): OpenSSH's ChannelTimeout counts whole
 * seconds from 1, and closes a channel that carried nothing that long. */
#define IDLE_REQUEST 0.5
/* An SFTP start that has not finished after this long (seconds) is
 * looked into over a second connection (sftp_probe). A healthy server
 * answers in three round trips. */
#define PROBE_AFTER 2.0
#define PROBE_READ 3.0
/* Bytes kept from the start of an upload and read back after its rename. */
#define HEAD_CHECK 1024
/* Closes left to finish with the next calls, at most (close_later). */
#define CLOSING_MAX 8
/* Bytes of channel window a request other than a write needs, at least. */
#define REQUEST_ROOM 4096
/* A read that ends before the listed size is taken up again where the
 * server stopped, this many times in a row without progress at most. */
#define READ_RESUMES 3
/* A read this small (bytes) keeps one request in flight in libssh2 1.10. */
#define READ_SERIAL 7500
/* Waits before connecting again (seconds): 1, 2, 4, ... at most this. */
#define BACKOFF_MAX 30
/* Uploads over several SFTP channels (lanes, below): at most this many,
 * each writing stripes of STRIPE bytes; they start once LANES_AFTER bytes
 * went out on one channel and the link is found bound by its window. */
#define LANES_MAX 4
/* libssh2 1.10 makes writes of at most this many bytes (sftp.h,
 * MAX_SFTP_OUTGOING_SIZE), each with a header of 25 bytes and the handle
 * (at most 256 bytes, draft-ietf-secsh-filexfer-02 section 6.2). */
#define SFTP_WRITE_CHUNK 30000
#define SFTP_WRITE_OVERHEAD (25 + 256)
/* The smallest request made to fill what is left of a window (bytes). */
#define SFTP_WRITE_MIN 1024
#define STRIPE (8 * 1024 * 1024)
#define LANES_AFTER (4 * 1024 * 1024)
#define LANES_MIN_RTT 0.002 /* seconds */

#if LIBSSH2_VERSION_NUM >= 0x010b00
#define RSA_METHODS "rsa-sha2-512,rsa-sha2-256,ssh-rsa"
#else
#define RSA_METHODS "ssh-rsa"
#endif

/* OpenSSH's order: ed25519, then ecdsa, then RSA and DSA. Names this
 * libssh2 does not know are left out (see supported()). */
static const char default_hostkey_methods[] =
	"ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521," RSA_METHODS ",ssh-dss";

/* AES-128 first: the channel's cipher is on the critical path of every
 * transfer, and 128-bit AES does 10 rounds to 256-bit's 14. No CBC modes.
 * (libssh2 1.10 has only the CTR ones; GCM is taken when a newer one is
 * present.) */
#define FLUSH_TIMEOUT_MIN 120 /* seconds */

static const char cipher_methods[] =
	"aes128-gcm@openssh.com,aes256-gcm@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr";

/* Why a call stopped waiting (call_wait), when libssh2 did not fail it. */
enum gave_up {
	GAVE_UP_NONE,
	GAVE_UP_CANCEL,  /* transport_interrupt */
	GAVE_UP_TIMEOUT, /* its bound passed */
	GAVE_UP_CLOSED,  /* the server closed the SFTP channel */
};

struct transport {
	char *host;
	unsigned port;
	char where[URL_HOSTPORT_MAX]; /* host and port for messages and hints */
	char *dir;
	char *user;
	enum auth_method auth;
	char *password;
	char *identity;
	char *passphrase;
	unsigned connect_timeout;
	unsigned timeout;
	char *hostkey_methods; /* restricted to the pinned types, or NULL */
	char *pinned_types;    /* for messages, or NULL */

	void (*warn)(void *arg, const char *msg);
	void *warn_arg;
	struct bwlimit *bwlimit; /* the caller's, or NULL */

	atomic_int fd;
	atomic_bool interrupted;
	const atomic_bool *cancel; /* the job's cancel, read between tries */
	bool dead; /* timed out or lost: no further call can succeed */
	LIBSSH2_SESSION *session;
	LIBSSH2_SFTP *sftp;
	bool have_hostkey;
	struct hostkey hk;

	/* Connecting again (server.retries): the key the job verified, which
	 * every later connection must offer; whether the last failed connect
	 * may go better on a later try; attempts made since the transfer last
	 * moved on, and reconnects that succeeded. */
	unsigned retries;
	bool trusted;
	struct hostkey trusted_hk;
	bool transient;
	unsigned retry_used;
	unsigned reconnects;

	/* The call in progress (see "calls" below). */
	enum gave_up gave_up; /* why the last call stopped waiting, if it did */
	unsigned call_seconds; /* its bound, for messages */
	double last_sent;      /* monotonic seconds of the last SFTP request */
	bool idle_pending;     /* an idle request is out and its answer not yet taken */
	bool fsync_refused;    /* warned once: the server refuses fsync@openssh.com */
	bool closed_idle;      /* the SFTP channel was found closed while it was idle */
	/* Handles being closed whose answer nobody waits for (close_later). */
	LIBSSH2_SFTP_HANDLE *closing[CLOSING_MAX];
	size_t nclosing;

	/* Several SFTP channels (lanes, below): server.channels; the shortest
	 * round trip a single request took (seconds, 0: none seen yet); the
	 * SFTP channels opened beside t->sftp ([0] is unused); the lane whose
	 * last call left a packet half sent (-1: none); bytes received. */
	unsigned channels;
	double rtt;
	LIBSSH2_SFTP *lane_sftp[LANES_MAX];
	int busy_lane;
	uint64_t rx;
};

/* One SFTP channel's part of a striped upload: a stripe of the file (at
 * base, len bytes, the first acked of them acknowledged, issued of them
 * handed to libssh2; buf holds those not acknowledged) written through
 * its own handle. */
struct lane {
	LIBSSH2_SFTP *sftp;
	LIBSSH2_SFTP_HANDLE *h; /* NULL: not open (yet, or again) */
	uint8_t *buf;           /* STRIPE bytes */
	uint64_t base;
	size_t len, acked, issued;
	size_t head; /* where in buf the first byte not acknowledged is */
	size_t window; /* bytes kept in flight at most: twice its channel's window */
	bool failed;   /* the server refused its channel or handle */
};

struct remote_file {
	struct transport *t;
	LIBSSH2_SFTP_HANDLE *h;
	char *path;
	bool writing;
	uint8_t *buf;
	size_t window;     /* writing: bytes kept in flight at most */
	size_t chan_window; /* writing: the window the server grants the channel */
	size_t start, end; /* unacknowledged (writing) or unread (reading) bytes */
	bool eof;
	uint64_t offset;    /* bytes acknowledged (writing) or handed out (reading) */
	uint64_t size;      /* reading: the size the listing gave, or REMOTE_SIZE_UNKNOWN */
	size_t read_cap;    /* reading: at most this much asked at once (0: no cap), after a short answer */
	uint64_t unflushed; /* bytes sent since the last fsync@openssh.com */
	bool no_fsync;      /* the server does not offer or refuses fsync@openssh.com */
	uint8_t head[HEAD_CHECK]; /* writing: the first bytes, to recognise the file after its rename */
	size_t head_len;
	uint64_t paced;     /* writing: bytes the bandwidth cap has let go out */
	/* writing: the rate the server acknowledges, bytes per second (0: not
	 * yet known), measured over intervals of RATE_INTERVAL from rate_at
	 * (monotonic seconds) and rate_from (f->offset then). */
	double rate, rate_at;
	uint64_t rate_from;
	/* writing: f->offset plus the length last passed to libssh2_sftp_write:
	 * the bytes libssh2 may have made into WRITE requests, some perhaps
	 * sent only in part (remote_abort). */
	uint64_t issued;
	uint64_t resumed_at; /* offset of the last reconnect: a loss past it is progress */
	_Atomic uint64_t *acked; /* writing: bytes acknowledged mirrored for another thread, or NULL */
	/* writing over several SFTP channels (lanes): the lanes (nlanes of
	 * them, NULL before), bytes acknowledged in all (f->offset is then the
	 * first byte not acknowledged), and bytes of the file handed over. */
	struct lane *lanes;
	unsigned nlanes;
	unsigned fill; /* the lane whose stripe the next bytes join */
	uint64_t done;
	uint64_t written;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc;

static void init_libssh2(void)
{
	init_rc = libssh2_init(0);
}

/* ---- names ---------------------------------------------------------- */

static const char *hostkey_type_name(int type)
{
	switch (type) {
	case LIBSSH2_HOSTKEY_TYPE_RSA:
		return "ssh-rsa";
	case LIBSSH2_HOSTKEY_TYPE_DSS:
		return "ssh-dss";
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
		return "ecdsa-sha2-nistp256";
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
		return "ecdsa-sha2-nistp384";
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
		return "ecdsa-sha2-nistp521";
	case LIBSSH2_HOSTKEY_TYPE_ED25519:
		return "ssh-ed25519";
	default:
		return "unknown";
	}
}

/* The host-key method names that negotiate a key of this type. */
static const char *type_methods(const char *type)
{
	if (strcmp(type, "ssh-rsa") == 0)
		return RSA_METHODS;
	if (strcmp(type, "ssh-dsa") == 0)
		return "ssh-dss";
	return type;
}

static bool same_host(const struct known_host *k, const char *host, unsigned port)
{
	return k->host != NULL && k->type != NULL && k->port == port && strcasecmp(k->host, host) == 0;
}

static void append(char **list, const char *item)
{
	char *old = *list;

	if (old != NULL && strstr(old, item) != NULL)
		return;
	*list = old == NULL ? xstrdup(item) : xasprintf("%s,%s", old, item);
	free(old);
}

/* The pinned types for host:port as a method preference list. */
static void restrict_methods(struct transport *t, const struct known_host *k, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!same_host(&k[i], t->host, t->port))
			continue;
		append(&t->hostkey_methods, type_methods(k[i].type));
		append(&t->pinned_types, k[i].type);
	}
}

static char *local_user(void)
{
	struct passwd *pw = getpwuid(geteuid());
	const char *u = getenv("USER");

	if (pw != NULL && pw->pw_name != NULL)
		return xstrdup(pw->pw_name);
	return xstrdup(u != NULL ? u : "root");
}

/* ---- lifetime ------------------------------------------------------- */

struct transport *transport_new(const struct transport_config *c)
{
	struct transport *t = xcalloc(1, sizeof(*t));

	pthread_once(&init_once, init_libssh2);
	t->host = xstrdup(c->url->host);
	t->port = c->url->port ? c->url->port : URL_DEFAULT_PORT;
	/* With the port always written: "[::1]:22" is read back by
	 * `revault knownhost`, where "::1:22" would be one address. */
	url_format_hostport(t->host, t->port, 0, t->where, sizeof(t->where));
	t->dir = xstrdup(c->url->dir != NULL ? c->url->dir : ".");
	if (c->username != NULL && c->username[0] != '\0')
		t->user = xstrdup(c->username);
	else if (c->url->user != NULL)
		t->user = xstrdup(c->url->user);
	else
		t->user = local_user();
	t->auth = c->auth;
	t->password = c->password != NULL ? xstrdup(c->password) : NULL;
	t->identity = c->identity != NULL ? xstrdup(c->identity) : NULL;
	t->passphrase = c->identity_passphrase != NULL ? xstrdup(c->identity_passphrase) : NULL;
	/* A password, a passphrase or a private key read by libssh2 must not
	 * end up in a core dump, with or without a master key loaded. */
	if (t->password != NULL || t->passphrase != NULL || t->auth == AUTH_PUBLICKEY)
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	t->connect_timeout = c->connect_timeout ? c->connect_timeout : 30;
	t->timeout = c->timeout ? c->timeout : 30;
	restrict_methods(t, c->known, c->known != NULL ? c->nknown : 0);
	t->warn = c->warn;
	t->warn_arg = c->warn_arg;
	t->bwlimit = c->bwlimit;
	t->retries = c->retries;
	t->cancel = c->cancel;
	t->channels = c->channels < 1 ? 1 : c->channels > LANES_MAX ? LANES_MAX : c->channels;
	t->busy_lane = -1;
	atomic_init(&t->fd, -1);
	atomic_init(&t->interrupted, false);
	return t;
}

static void closes_settle(struct transport *t);

static void close_session(struct transport *t)
{
	int fd;

	if (t->session != NULL) {
		/* The goodbyes below block, within a short bound. */
		libssh2_session_set_blocking(t->session, 1);
		libssh2_session_set_timeout(t->session, 5000);
	}
	if (t->sftp != NULL) {
		closes_settle(t);
		libssh2_sftp_shutdown(t->sftp);
		t->sftp = NULL;
	}
	if (t->session != NULL) {
		if (!atomic_load(&t->interrupted) && !t->dead)
			libssh2_session_disconnect(t->session, "done");
		/* The SFTP channels of striped uploads: libssh2 would free them
		 * with the session, but not the answers they still hold (sftp.c,
		 * libssh2_sftp_dtor), which the shutdown does. After the
		 * disconnect, their channel closes do not wait for the server. */
		for (size_t i = 0; i < LANES_MAX; i++)
			if (t->lane_sftp[i] != NULL)
				libssh2_sftp_shutdown(t->lane_sftp[i]);
		/* Frees the SFTP channels of striped uploads too. */
		libssh2_session_free(t->session);
		t->session = NULL;
	}
	memset(t->lane_sftp, 0, sizeof(t->lane_sftp));
	t->busy_lane = -1;
	fd = atomic_exchange(&t->fd, -1);
	if (fd >= 0)
		close(fd);
}

void transport_free(struct transport *t)
{
	if (t == NULL)
		return;
	close_session(t);
	free(t->host);
	free(t->dir);
	free(t->user);
	wipe_free_str(t->password);
	free(t->identity);
	wipe_free_str(t->passphrase);
	free(t->hostkey_methods);
	free(t->pinned_types);
	free(t);
}

void transport_interrupt(struct transport *t)
{
	int fd;

	atomic_store(&t->interrupted, true);
	fd = atomic_load(&t->fd);
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
}

/* ---- errors --------------------------------------------------------- */

static const char *last_error(const struct transport *t)
{
	char *msg = NULL;

	if (t->session == NULL)
		return "no session";
	libssh2_session_last_error(t->session, &msg, NULL, 0);
	return msg != NULL && msg[0] != '\0' ? msg : "unknown error";
}

/* The error of a call that transport_interrupt cut short (a cancel). */
static int interrupted_error(const struct transport *t, struct err *e)
{
	return err_set(e, RV_FAIL, "cancelled: the connection to %s was closed", t->where);
}

/* A failed session-level call: cancel, timeout or a lost connection. */
/* After a timeout or a lost connection the session is finished: later
 * calls (cleanup included) fail at once instead of each waiting out the
 * timeout again on a server that no longer answers. */
static void mark_dead(struct transport *t)
{
	int fd = atomic_load(&t->fd);

	t->dead = true;
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
}

/* How the server says the program behind a channel ended: " (exit status
 * N)", " (killed by signal NAME)", or "" when it said nothing (RFC 4254,
 * 6.10). Returns the exit status, or -1 for a signal or nothing. */
static int exit_note(LIBSSH2_CHANNEL *ch, char *buf, size_t len)
{
	char *sig = NULL;
	size_t sig_len = 0;
	int st;

	buf[0] = '\0';
	if (ch == NULL)
		return -1;
	if (libssh2_channel_get_exit_signal(ch, &sig, &sig_len, NULL, NULL, NULL, NULL) == 0 &&
	    sig != NULL && sig_len > 0) {
		snprintf(buf, len, " (killed by signal %.*s)", (int)(sig_len < 16 ? sig_len : 16), sig);
		for (char *c = buf; *c != '\0'; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
				*c = '?';
		free(sig); /* libssh2's default allocator */
		return -1;
	}
	free(sig);
	st = libssh2_channel_get_exit_status(ch);
	if (st != 0)
		snprintf(buf, len, " (exit status %d)", st);
	return st != 0 ? st : -1;
}

static int session_error(struct transport *t, struct err *e, const char *what)
{
	int rc = t->session != NULL ? libssh2_session_last_errno(t->session) : 0;

	if (atomic_load(&t->interrupted) || t->gave_up == GAVE_UP_CANCEL)
		return interrupted_error(t, e);
	if (t->gave_up == GAVE_UP_CLOSED) {
		char note[48];

		exit_note(t->sftp != NULL ? libssh2_sftp_get_channel(t->sftp) : NULL, note, sizeof(note));
		if (t->closed_idle)
			return err_set(e, RV_FAIL, "%s: %s closed the SFTP channel%s while it was idle; "
				       "if the server limits idle channels (OpenSSH's ChannelTimeout), "
				       "give it 2 s or more", what, t->where, note);
		return err_set(e, RV_FAIL, "%s: %s closed the SFTP channel%s; try again, and if it "
			       "repeats see the server's log", what, t->where, note);
	}
	if (t->gave_up == GAVE_UP_TIMEOUT || rc == LIBSSH2_ERROR_TIMEOUT) {
		mark_dead(t);
		return err_set(e, RV_FAIL, "%s: %s did not answer within %u s (server.timeout)", what,
			       t->where, t->gave_up == GAVE_UP_TIMEOUT ? t->call_seconds : t->timeout);
	}
	if (t->dead)
		return err_set(e, RV_FAIL, "%s: the connection to %s is lost; try again", what,
			       t->where);
	if (rc == LIBSSH2_ERROR_SOCKET_RECV || rc == LIBSSH2_ERROR_SOCKET_SEND ||
	    rc == LIBSSH2_ERROR_SOCKET_DISCONNECT || rc == LIBSSH2_ERROR_CHANNEL_CLOSED ||
	    rc == LIBSSH2_ERROR_BAD_SOCKET || rc == LIBSSH2_ERROR_SOCKET_TIMEOUT) {
		mark_dead(t);
		return err_set(e, RV_FAIL, "%s: lost the connection to %s (%s); try again", what,
			       t->where, last_error(t));
	}
	return err_set(e, RV_FAIL, "%s on %s: %s", what, t->where, last_error(t));
}

static const char *sftp_status_text(unsigned long st)
{
	switch (st) {
	case LIBSSH2_FX_EOF:
		return "unexpected end of file";
	case LIBSSH2_FX_NO_SUCH_FILE:
	case LIBSSH2_FX_NO_SUCH_PATH:
		return "no such file or directory";
	case LIBSSH2_FX_PERMISSION_DENIED:
		return "permission denied: check the rights of server.username there";
	case LIBSSH2_FX_FAILURE:
		return "the server reported a failure (disk full, or the name exists already?)";
	case LIBSSH2_FX_OP_UNSUPPORTED:
		return "the server does not support this operation";
	case LIBSSH2_FX_FILE_ALREADY_EXISTS:
		return "it exists already";
	case LIBSSH2_FX_WRITE_PROTECT:
		return "the file system is read-only";
	case LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM:
		return "the server's disk is full: free space there";
	case LIBSSH2_FX_QUOTA_EXCEEDED:
		return "the quota is exceeded on the server: free space there";
	case LIBSSH2_FX_DIR_NOT_EMPTY:
		return "the directory is not empty";
	case LIBSSH2_FX_NOT_A_DIRECTORY:
		return "a part of the path is not a directory";
	case LIBSSH2_FX_INVALID_FILENAME:
		return "the name is invalid on the server";
	default:
		return NULL;
	}
}

/* The SFTP status of the last failed call, or 0 when it was not an SFTP one. */
static unsigned long sftp_status(const struct transport *t)
{
	if (t->session == NULL || t->sftp == NULL || t->gave_up != GAVE_UP_NONE)
		return 0;
	if (libssh2_session_last_errno(t->session) != LIBSSH2_ERROR_SFTP_PROTOCOL)
		return 0;
	return libssh2_sftp_last_error(t->sftp);
}

static int sftp_error(struct transport *t, struct err *e, const char *what, const char *path)
{
	unsigned long st = sftp_status(t);
	const char *text = sftp_status_text(st);

	if (atomic_load(&t->interrupted))
		return interrupted_error(t, e);
	if (st == LIBSSH2_FX_FAILURE && (strcmp(what, "write") == 0 || strcmp(what, "flush") == 0 ||
					 strcmp(what, "close") == 0))
		return err_set(e, RV_FAIL, "cannot %s %s on %s: the server could not store the data; is "
			       "its disk full?", what, path, t->host);
	if (st != 0 && text != NULL)
		return err_set(e, RV_FAIL, "cannot %s %s on %s: %s", what, path, t->host, text);
	if (st != 0)
		return err_set(e, RV_FAIL, "cannot %s %s on %s: SFTP status %lu", what, path, t->host, st);
	{
		char buf[ERR_MSG_MAX / 2];

		snprintf(buf, sizeof(buf), "cannot %s %.200s", what, path);
		return session_error(t, e, buf);
	}
}

/* ---- calls ---------------------------------------------------------- */

/* Once connected and authenticated the session is non-blocking, and every
 * libssh2 call runs in a loop of its own:
 *
 *	struct call c = call_begin(t, seconds);
 *	while ((rc = libssh2_...(...)) == LIBSSH2_ERROR_EAGAIN && call_wait(&c))
 *		;
 *
 * which is what libssh2's blocking mode does (call again with the same
 * arguments until it finishes), except that the wait looks every
 * WAIT_SLICE for a cancel, for the server closing the SFTP channel (a
 * blocking call would wait out its whole bound for an answer that cannot
 * come) and for the call's own deadline. When call_wait gives up, the
 * call is abandoned half done: the session is finished (mark_dead), and
 * t->gave_up tells session_error what to say. */
struct call {
	struct transport *t;
	double start;    /* monotonic seconds */
	double deadline; /* monotonic seconds */
	double wake;     /* call_wait returns by then (0: no such time) */
	bool pause;      /* until wake, the socket is not watched: the cap holds the call */
};

static struct call call_begin(struct transport *t, unsigned seconds)
{
	t->gave_up = GAVE_UP_NONE;
	t->call_seconds = seconds;
	t->last_sent = mono_now();
	return (struct call){ .t = t, .start = t->last_sent, .deadline = t->last_sent + seconds };
}

/* A pointer-returning call failed only because it would block. */
static bool would_block(const struct transport *t)
{
	return libssh2_session_last_errno(t->session) == LIBSSH2_ERROR_EAGAIN;
}

/* The server has closed the SFTP channel (sent its EOF) and nothing it
 * sent before is left to read. */
/* Also when answers are still queued but the SFTP server has ended with an
 * exit status other than 0 or a signal: libssh2_channel_eof hides the end
 * while data is left to read, and an upload waiting for window (its
 * answers unread behind the writes it still has to send) would wait out
 * its whole bound for a window the ended server never grants. */
static bool sftp_closed(const struct transport *t)
{
	LIBSSH2_CHANNEL *ch = t->sftp != NULL ? libssh2_sftp_get_channel(t->sftp) : NULL;
	char *sig = NULL;

	if (ch == NULL)
		return false;
	if (libssh2_channel_eof(ch) == 1 || libssh2_channel_get_exit_status(ch) != 0)
		return true;
	if (libssh2_channel_get_exit_signal(ch, &sig, NULL, NULL, NULL, NULL, NULL) == 0 && sig != NULL) {
		free(sig); /* libssh2's default allocator, as in exit_note */
		return true;
	}
	free(sig);
	return false;
}

static bool give_up(struct transport *t, enum gave_up why)
{
	t->gave_up = why;
	if (why != GAVE_UP_CANCEL)
		mark_dead(t);
	return false;
}

/* Waits until the socket can move what libssh2 waits on. True: call
 * again. False: give up (t->gave_up says why). */
static bool call_wait(struct call *c)
{
	struct transport *t = c->t;

	for (;;) {
		int dir = libssh2_session_block_directions(t->session), r;
		struct pollfd p = { .fd = atomic_load(&t->fd), .events = 0 };
		double left = c->deadline - mono_now();

		if (atomic_load(&t->interrupted))
			return give_up(t, GAVE_UP_CANCEL);
		if (sftp_closed(t))
			return give_up(t, GAVE_UP_CLOSED);
		if (left <= 0 || p.fd < 0)
			return give_up(t, GAVE_UP_TIMEOUT);
		if (c->wake > 0 && mono_now() >= c->wake) {
			c->wake = 0;
			return true;
		}
		if (dir & LIBSSH2_SESSION_BLOCK_INBOUND)
			p.events |= POLLIN;
		if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
			p.events |= POLLOUT;
		if (p.events == 0)
			p.events = POLLIN;
		if (c->wake > 0 && c->wake - mono_now() < left)
			left = c->wake > mono_now() ? c->wake - mono_now() : 0;
		if (c->pause)
			p.fd = -1;
		r = poll(&p, 1, (int)((left < WAIT_SLICE ? left : WAIT_SLICE) * 1000) + 1);
		if (r > 0)
			return true;
		if (r < 0 && errno != EINTR)
			return give_up(t, GAVE_UP_TIMEOUT);
	}
}

static void idle_settle(struct transport *t);

/* Closes a handle, bounded like any call. libssh2 frees the handle once
 * the close ends, well or not; a close that cannot end (a session cut,
 * timed out or cancelled) is made to fail by shutting the socket down, so
 * that it ends and frees the handle all the same. */
static void close_handle(struct transport *t, LIBSSH2_SFTP_HANDLE *h)
{
	struct call c;
	int rc;

	if (h == NULL)
		return;
	c = call_begin(t, t->timeout);
	while ((rc = libssh2_sftp_close_handle(h)) == LIBSSH2_ERROR_EAGAIN && !t->dead &&
	       !atomic_load(&t->interrupted) && call_wait(&c))
		;
	if (rc != LIBSSH2_ERROR_EAGAIN)
		return;
	mark_dead(t);
	for (int i = 0; i < 8 && rc == LIBSSH2_ERROR_EAGAIN; i++)
		rc = libssh2_sftp_close_handle(h);
}

/* Closes a handle whose content is no longer needed (a listing read to
 * its end, a file read) without waiting for the answer: the close goes out
 * now, its answer is taken by closes_advance at the start of a later call
 * (it has come by then, ahead of that call's own answer), or by
 * closes_settle before the session ends. Never for a file being written:
 * its close is part of the upload's outcome (remote_commit). */
static void close_later(struct transport *t, LIBSSH2_SFTP_HANDLE *h)
{
	if (h == NULL)
		return;
	if (t->dead || atomic_load(&t->interrupted) || t->nclosing == CLOSING_MAX) {
		close_handle(t, h);
		return;
	}
	if (libssh2_sftp_close_handle(h) == LIBSSH2_ERROR_EAGAIN)
		t->closing[t->nclosing++] = h;
}

/* Takes the answers of closes that have come, without waiting. Only
 * between calls: a close that ends resets libssh2 1.10's read state
 * (sftp_close_handle), which a read in progress depends on. */
static void closes_advance(struct transport *t)
{
	size_t kept = 0;

	for (size_t i = 0; i < t->nclosing; i++)
		if (libssh2_sftp_close_handle(t->closing[i]) == LIBSSH2_ERROR_EAGAIN)
			t->closing[kept++] = t->closing[i];
	t->nclosing = kept;
}

/* Waits for every close still out (libssh2 frees a handle only when its
 * close ends, and the SFTP shutdown does not). */
static void closes_settle(struct transport *t)
{
	while (t->nclosing > 0)
		close_handle(t, t->closing[--t->nclosing]);
}

/* Room in the SFTP channel's window for a request other than a write.
 * libssh2 1.10 sends a request only in part when the window the server
 * granted (RFC 4254 section 5.2) is nearly used up, as an upload leaves
 * it, and then garbles it (sftp_fsync and sftp_symlink send it again
 * whole) or fails (sftp_close_handle). So before such requests, the
 * server's window adjustments are taken in (a read of 0 bytes processes
 * what came without taking any SFTP data) until REQUEST_ROOM bytes fit.
 * False when the wait gave up (t->gave_up says why). */
static bool channel_room_for(struct transport *t, LIBSSH2_CHANNEL *ch, size_t bytes, struct call *c)
{
	char none;

	while (libssh2_channel_window_write(ch) < bytes) {
		ssize_t r = libssh2_channel_read_ex(ch, 0, &none, 0);

		if (r < 0 && r != LIBSSH2_ERROR_EAGAIN)
			return give_up(t, GAVE_UP_CLOSED);
		if (libssh2_channel_window_write(ch) >= bytes)
			break;
		if (!call_wait(c))
			return false;
	}
	return true;
}

static bool channel_room(struct transport *t, LIBSSH2_CHANNEL *ch, struct call *c)
{
	return channel_room_for(t, ch, REQUEST_ROOM, c);
}

static bool window_room(struct transport *t, struct call *c)
{
	return channel_room(t, libssh2_sftp_get_channel(t->sftp), c);
}

/* After a call returned EAGAIN: true when its request has gone out whole,
 * so that libssh2 waits only for the answer and another request may follow
 * it on the channel. A request still in the socket's way (OUTBOUND) or held
 * by a channel window of 0 (RFC 4254 section 5.2) is not out. */
static bool request_out(const struct transport *t)
{
	return !(libssh2_session_block_directions(t->session) & LIBSSH2_SESSION_BLOCK_OUTBOUND) &&
	       libssh2_channel_window_write(libssh2_sftp_get_channel(t->sftp)) > 0;
}

/* One request of a pipeline: call() makes the libssh2 call (returns its
 * result, LIBSSH2_ERROR_EAGAIN while it is not finished); rc and status
 * (the SFTP status when it failed with one, else 0) are its outcome. */
struct request {
	int (*call)(struct request *r);
	void *arg;
	const char *path;
	LIBSSH2_SFTP_ATTRIBUTES *attrs;
	int rc;
	unsigned long status;
	bool out, done;
};

/* Sends requests one behind the other without waiting for each answer,
 * then takes the answers: n requests in about one round trip instead of
 * n. A request is first made once every one before it is out (request_out),
 * so that they reach the server in order, which answers them in order
 * (SFTP servers handle one channel's requests one at a time: OpenSSH's
 * sftp-server, ProFTPD's mod_sftp). Each call keeps its own state in
 * libssh2 1.10 (fsync, close, stat, rename and open each have their own),
 * so no two requests of one pipeline may be of the same kind. False when
 * the wait gave up (t->gave_up says why); the requests not done then have
 * rc LIBSSH2_ERROR_EAGAIN. */
static bool pipeline(struct transport *t, unsigned seconds, struct request *r, size_t n)
{
	struct call c = call_begin(t, seconds);

	for (size_t i = 0; i < n; i++) {
		r[i].rc = LIBSSH2_ERROR_EAGAIN;
		r[i].status = 0;
		r[i].out = r[i].done = false;
	}
	if (!window_room(t, &c))
		return false;
	for (size_t i = 0; i < n; i++) {
		r[i].rc = LIBSSH2_ERROR_EAGAIN;
		r[i].status = 0;
		r[i].out = r[i].done = false;
	}
	for (;;) {
		bool all_done = true, all_out = true;

		for (size_t i = 0; i < n; i++) {
			if (r[i].done)
				continue;
			if (!r[i].out && !all_out) {
				all_done = false;
				continue;
			}
			r[i].rc = r[i].call(&r[i]);
			if (r[i].rc != LIBSSH2_ERROR_EAGAIN) {
				r[i].done = r[i].out = true;
				r[i].status = r[i].rc < 0 ? sftp_status(t) : 0;
				continue;
			}
			all_done = false;
			r[i].out = r[i].out || request_out(t);
			all_out = all_out && r[i].out;
		}
		if (all_done)
			return true;
		if (!call_wait(&c))
			return false;
	}
}

static int need(struct transport *t, bool sftp, struct err *e)
{
	if (atomic_load(&t->interrupted))
		return interrupted_error(t, e);
	if (t->dead)
		return err_set(e, RV_FAIL, "the connection to %s is lost; try again", t->where);
	if (t->session == NULL || (sftp && t->sftp == NULL))
		return err_set(e, RV_FAIL, "internal error: not connected to %s", t->where);
	closes_advance(t);
	idle_settle(t);
	if (sftp && t->gave_up == GAVE_UP_NONE) {
		struct call c = call_begin(t, t->timeout);

		window_room(t, &c);
	}
	if (t->gave_up != GAVE_UP_NONE) {
		t->closed_idle = t->gave_up == GAVE_UP_CLOSED;
		return session_error(t, e, "while revault worked locally");
	}
	return RV_OK;
}

/* ---- connect -------------------------------------------------------- */

static void tune_socket(int fd)
{
	int on = 1, idle = 60, intvl = 15, cnt = 4;

	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

/* Waits for a non-blocking connect in short slices, so a cancel is seen.
 * Returns 0, an errno, or ETIMEDOUT / ECANCELED. */
static int wait_connected(struct transport *t, int fd, double deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		double left = deadline - mono_now();
		int r, soerr = 0;
		socklen_t sl = sizeof(soerr);

		if (atomic_load(&t->interrupted))
			return ECANCELED;
		if (left <= 0)
			return ETIMEDOUT;
		r = poll(&p, 1, left > 0.1 ? 100 : (int)(left * 1000) + 1);
		if (r < 0 && errno != EINTR)
			return errno;
		if (r <= 0)
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			return errno;
		return soerr;
	}
}

static int tcp_connect(struct transport *t, struct err *e)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_ADDRCONFIG };
	struct addrinfo *res = NULL;
	char port[16];
	double deadline = mono_now() + t->connect_timeout;
	int rc, last = 0, fd = -1;

	snprintf(port, sizeof(port), "%u", t->port);
	rc = getaddrinfo(t->host, port, &hints, &res);
	if (rc == EAI_ADDRFAMILY || rc == EAI_NONAME || rc == EAI_NODATA) {
		hints.ai_flags = 0; /* a literal of a family with no configured address */
		rc = getaddrinfo(t->host, port, &hints, &res);
	}
	if (rc != 0)
		return err_set(e, RV_FAIL, "cannot resolve %s: %s; check server.url and the DNS settings",
			       t->host, rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0) {
			last = errno;
			continue;
		}
		atomic_store(&t->fd, fd);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			last = 0;
		else if (errno == EINPROGRESS)
			last = wait_connected(t, fd, deadline);
		else
			last = errno;
		if (last == 0)
			break;
		atomic_store(&t->fd, -1);
		close(fd);
		fd = -1;
		if (last == ETIMEDOUT || last == ECANCELED)
			break;
	}
	freeaddrinfo(res);
	if (fd >= 0) {
		tune_socket(fd);
		return RV_OK;
	}
	if (last == ECANCELED || atomic_load(&t->interrupted))
		return interrupted_error(t, e);
	/* What may go better a moment later (server.retries): a server
	 * starting or restarting, a network that is back. */
	t->transient = last == ETIMEDOUT || last == ECONNREFUSED || last == ENETUNREACH ||
		       last == EHOSTUNREACH || last == ECONNRESET;
	if (last == ETIMEDOUT)
		return err_set(e, RV_FAIL, "timed out connecting to %s after %u s: check the address, "
			       "the port and any firewall (server.connect_timeout)", t->where,
			       t->connect_timeout);
	if (last == ECONNREFUSED)
		return err_set(e, RV_FAIL, "cannot connect to %s: connection refused: nothing listens on "
			       "port %u there; check the port in server.url and that the SSH server runs",
			       t->where, t->port);
	return err_set(e, RV_FAIL, "cannot connect to %s: %s", t->where, strerror(last));
}

static int handshake_error(struct transport *t, struct err *e)
{
	int rc = libssh2_session_last_errno(t->session);
	const char *banner = libssh2_session_banner_get(t->session);

	if (atomic_load(&t->interrupted))
		return interrupted_error(t, e);
	t->transient = true;
	if (rc == LIBSSH2_ERROR_TIMEOUT)
		return err_set(e, RV_FAIL, "timed out connecting to %s: no SSH answer within %u s "
			       "(server.timeout); is it an SSH server?", t->where, t->timeout);
	/* OpenSSH past MaxStartups (sshd_config(5)) accepts and closes at
	 * once, before its version line (RFC 4253 section 4.2). */
	if ((rc == LIBSSH2_ERROR_SOCKET_DISCONNECT || rc == LIBSSH2_ERROR_SOCKET_RECV) &&
	    (banner == NULL || banner[0] == '\0'))
		return err_set(e, RV_FAIL, "cannot connect to %s: it closed the connection before its "
			       "banner: busy (MaxStartups?); if it stays busy, raise MaxStartups in its "
			       "sshd_config", t->where);
	t->transient = false;
	if (rc == LIBSSH2_ERROR_KEX_FAILURE || rc == LIBSSH2_ERROR_METHOD_NOT_SUPPORTED ||
	    rc == LIBSSH2_ERROR_KEY_EXCHANGE_FAILURE) {
		if (t->pinned_types != NULL && strstr(t->pinned_types, "ssh-rsa") != NULL)
			return err_set(e, RV_HOSTKEY, "%s: the pinned host key type is ssh-rsa, which "
				       "libssh2 %s verifies only with SHA-1 signatures, and the server "
				       "refuses those (OpenSSH 8.8 and later): pin the server's ed25519 or "
				       "ecdsa key instead (on the server: ssh-keygen -l -f "
				       "/etc/ssh/ssh_host_ed25519_key.pub; Dropbear: dropbearkey -y -f "
				       "/etc/dropbear/dropbear_ed25519_host_key), or allow HostKeyAlgorithms "
				       "+ssh-rsa there", t->where, LIBSSH2_VERSION);
		if (t->pinned_types != NULL)
			return err_set(e, RV_HOSTKEY, "%s does not offer a host key of the pinned type "
				       "(%s): if its key changed, remove the old one with `revault knownhost "
				       "remove %s` and authenticate again", t->where,
				       t->pinned_types, t->where);
		/* With the default list, what a stock OpenSSH can lack is a key
		 * type other than RSA: the server has only an RSA key. */
		return err_set(e, RV_HOSTKEY, "cannot agree on a host key with %s: it seems to have "
			       "only an RSA key, and libssh2 %s verifies RSA only with SHA-1 (ssh-rsa), "
			       "which OpenSSH 8.8 and later refuse: give the server an ed25519 or ecdsa "
			       "host key and pin that one, or allow HostKeyAlgorithms +ssh-rsa there",
			       t->where, LIBSSH2_VERSION);
	}
	return err_set(e, RV_FAIL, "%s is not an SSH server (%s): check the port in server.url",
		       t->where, last_error(t));
}

static void read_hostkey(struct transport *t)
{
	size_t len = 0;
	int type = LIBSSH2_HOSTKEY_TYPE_UNKNOWN;
	const char *h;
	unsigned char b64[64];
	char *o;
	int n;

	memset(&t->hk, 0, sizeof(t->hk));
	if (libssh2_session_hostkey(t->session, &len, &type) == NULL)
		return;
	snprintf(t->hk.type, sizeof(t->hk.type), "%s", hostkey_type_name(type));
	h = libssh2_hostkey_hash(t->session, LIBSSH2_HOSTKEY_HASH_SHA256);
	if (h != NULL) {
		n = EVP_EncodeBlock(b64, (const unsigned char *)h, 32);
		while (n > 0 && b64[n - 1] == '=')
			n--;
		snprintf(t->hk.sha256, sizeof(t->hk.sha256), "SHA256:%.*s", n, (const char *)b64);
	}
	h = libssh2_hostkey_hash(t->session, LIBSSH2_HOSTKEY_HASH_MD5);
	if (h != NULL) {
		o = t->hk.md5 + snprintf(t->hk.md5, sizeof(t->hk.md5), "MD5:");
		for (int i = 0; i < 16; i++)
			o += snprintf(o, 4, i ? ":%02x" : "%02x", (unsigned char)h[i]);
	}
	t->have_hostkey = true;
}

/* The names in `want` this libssh2 knows, in want's order, or NULL. Only
 * known names may reach libssh2_session_method_pref: 1.10 drops unknown
 * ones with an overlapping memcpy. */
static char *supported(LIBSSH2_SESSION *s, int method, const char *want)
{
	const char **algs = NULL;
	char *w = xstrdup(want), *save = NULL, *out = NULL;
	int n = libssh2_session_supported_algs(s, method, &algs);

	for (char *name = strtok_r(w, ",", &save); name != NULL; name = strtok_r(NULL, ",", &save)) {
		for (int i = 0; i < n; i++) {
			if (strcmp(algs[i], name) == 0) {
				append(&out, name);
				break;
			}
		}
	}
	if (n > 0)
		libssh2_free(s, algs);
	free(w);
	return out;
}

/* Sets a method preference from the known names in want; false when none is. */
static bool prefer(LIBSSH2_SESSION *s, int method, const char *want)
{
	char *list = supported(s, method, want);
	bool ok = list != NULL && libssh2_session_method_pref(s, method, list) == 0;

	free(list);
	return ok;
}

/* libssh2's own recv (misc.c, _libssh2_recv), counting what comes in:
 * a striped upload (lanes_pump) waits on the socket only after a pass
 * over its channels that read nothing, since what one channel's call
 * reads may be another's answer. */
static ssize_t counting_recv(libssh2_socket_t fd, void *buf, size_t len, int flags, void **abstract)
{
	struct transport *t = *abstract;
	ssize_t r = recv(fd, buf, len, flags);

	if (r < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	t->rx += (uint64_t)r;
	return r;
}

static int connect_once(struct transport *t, struct err *e)
{
	int rc;

	t->transient = false;
	if (init_rc != 0)
		return err_set(e, RV_FAIL, "libssh2 could not initialise its crypto library");
	if (atomic_load(&t->interrupted))
		return interrupted_error(t, e);
	close_session(t);
	/* A new session: nothing of the last one's end is left. */
	t->dead = false;
	t->gave_up = GAVE_UP_NONE;
	t->idle_pending = false;
	t->closed_idle = false;
	t->have_hostkey = false;
	rc = tcp_connect(t, e);
	if (rc != RV_OK)
		return rc;
	t->session = libssh2_session_init_ex(NULL, NULL, NULL, t);
	if (t->session == NULL) {
		close_session(t);
		return err_set(e, RV_FAIL, "libssh2 could not create a session");
	}
	libssh2_session_callback_set(t->session, LIBSSH2_CALLBACK_RECV, (void *)counting_recv);
	libssh2_session_set_blocking(t->session, 1);
	libssh2_session_set_timeout(t->session, (long)t->timeout * 1000);
	/* A restricted list that libssh2 cannot use at all would silently leave
	 * its default in force: refuse instead. */
	if (t->hostkey_methods != NULL) {
		if (!prefer(t->session, LIBSSH2_METHOD_HOSTKEY, t->hostkey_methods)) {
			rc = err_set(e, RV_HOSTKEY, "the host key type pinned for %s (%s) is not supported "
				     "by libssh2 %s: pin the server's ed25519 or ecdsa key instead",
				     t->where, t->pinned_types, LIBSSH2_VERSION);
			close_session(t);
			return rc;
		}
	} else {
		prefer(t->session, LIBSSH2_METHOD_HOSTKEY, default_hostkey_methods);
	}
	prefer(t->session, LIBSSH2_METHOD_CRYPT_CS, cipher_methods);
	prefer(t->session, LIBSSH2_METHOD_CRYPT_SC, cipher_methods);
	if (libssh2_session_handshake(t->session, atomic_load(&t->fd)) != 0) {
		rc = handshake_error(t, e);
		close_session(t);
		return rc;
	}
	/* No libssh2 keepalive: 1.10 waits only until the next one is due
	 * and reports that as a timeout. During local work transport_idle
	 * keeps the SFTP channel itself busy. */
	read_hostkey(t);
	return RV_OK;
}

/* Waits `seconds` before connecting again; false on a cancel. */
static bool retry_cancelled(const struct transport *t)
{
	return atomic_load(&t->interrupted) || (t->cancel != NULL && atomic_load(t->cancel));
}

static bool backoff(struct transport *t, unsigned seconds)
{
	double until = mono_now() + seconds;

	while (mono_now() < until) {
		if (retry_cancelled(t))
			return false;
		poll(NULL, 0, 100);
	}
	return !retry_cancelled(t);
}

/* The wait before attempt n (from 1): 1, 2, 4, ... BACKOFF_MAX seconds. */
static unsigned backoff_seconds(unsigned n)
{
	unsigned s = 1;

	while (n-- > 1 && s < BACKOFF_MAX)
		s *= 2;
	return s < BACKOFF_MAX ? s : BACKOFF_MAX;
}

static void warnf(struct transport *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warnf(struct transport *t, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	if (t->warn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	t->warn(t->warn_arg, msg);
}

/* e's message for a warning that goes on to say what happens next:
 * without its own advice to try again. */
static const char *lost_text(struct err *e)
{
	static const char tail[] = "; try again";
	size_t n = strlen(e->msg), k = sizeof(tail) - 1;

	if (n > k && strcmp(e->msg + n - k, tail) == 0)
		e->msg[n - k] = '\0';
	return e->msg;
}

/* The last try's error, saying how many were made. */
static int gave_up_after(struct err *e, unsigned tries)
{
	char msg[ERR_MSG_MAX];

	snprintf(msg, sizeof(msg), "%s", e->msg);
	return err_reset(e, e->code, "%s (%u tries, server.retries)", msg, tries);
}

int transport_connect(struct transport *t, struct err *e)
{
	for (unsigned n = 1;; n++) {
		unsigned wait = backoff_seconds(n);

		if (connect_once(t, e) == RV_OK)
			return RV_OK;
		if (!t->transient || atomic_load(&t->interrupted))
			return e->code;
		if (n > t->retries)
			return n > 1 ? gave_up_after(e, n) : e->code;
		warnf(t, "%s; trying again in %u s (%u of %u, server.retries)", e->msg, wait, n,
		      t->retries);
		err_clear(e);
		if (!backoff(t, wait))
			return interrupted_error(t, e);
	}
}

const struct hostkey *transport_hostkey(const struct transport *t)
{
	return t->have_hostkey ? &t->hk : NULL;
}

/* ---- host key ------------------------------------------------------- */

static bool fp_equal(const char *a, const char *b)
{
	size_t la, lb;

	if (a == NULL || b == NULL)
		return false;
	la = strlen(a);
	lb = strlen(b);
	return la == lb && CRYPTO_memcmp(a, b, la) == 0;
}

static bool same_type(const char *pinned, const char *offered)
{
	return strcmp(type_methods(pinned), type_methods(offered)) == 0 ||
	       strcmp(pinned, offered) == 0;
}

enum hostkey_verdict transport_check_hostkey(const struct transport *t, const struct known_host *k,
					     size_t n, struct err *e)
{
	const struct known_host *expected = NULL;
	const struct hostkey *hk = transport_hostkey(t);

	if (hk == NULL) {
		err_set(e, RV_HOSTKEY, "internal error: no host key from %s yet", t->where);
		return HOSTKEY_CHANGED;
	}
	for (size_t i = 0; i < n; i++) {
		if (!same_host(&k[i], t->host, t->port))
			continue;
		if (!same_type(k[i].type, hk->type)) {
			if (expected == NULL)
				expected = &k[i];
			continue;
		}
		if (k[i].sha256 != NULL ? fp_equal(k[i].sha256, hk->sha256) : fp_equal(k[i].md5, hk->md5))
			return HOSTKEY_MATCH;
		expected = &k[i];
	}
	if (expected == NULL) {
		err_set(e, RV_HOSTKEY, "the host key of %s is not known (%s %s): run `revault "
			"authenticate` to check and accept it, or pin it with `revault knownhost add "
			"%s TYPE FINGERPRINT`", t->where, hk->type, hk->sha256, t->where);
		return HOSTKEY_UNKNOWN;
	}
	err_set(e, RV_HOSTKEY, "WARNING: the host key of %s has changed: someone may be "
		"intercepting the connection (or the server was reinstalled): expected %s %s, offered "
		"%s %s; if this is expected, remove the old key with `revault knownhost remove %s` "
		"and authenticate again", t->where, expected->type,
		expected->sha256 != NULL ? expected->sha256 : (expected->md5 != NULL ? expected->md5 : "?"),
		hk->type, expected->sha256 != NULL || expected->md5 == NULL ? hk->sha256 : hk->md5,
		t->where);
	return HOSTKEY_CHANGED;
}

/* ---- authentication ------------------------------------------------- */

static void kbd_answer(const char *name, int name_len, const char *instruction, int instruction_len,
		       int num_prompts, const LIBSSH2_USERAUTH_KBDINT_PROMPT *prompts,
		       LIBSSH2_USERAUTH_KBDINT_RESPONSE *responses, void **abstract)
{
	struct transport *t = *abstract;

	(void)name, (void)name_len, (void)instruction, (void)instruction_len, (void)prompts;
	for (int i = 0; i < num_prompts; i++) {
		/* libssh2 frees the answers with its default allocator, free(). */
		responses[i].text = strdup(t->password != NULL ? t->password : "");
		responses[i].length = responses[i].text != NULL ? (unsigned)strlen(responses[i].text) : 0;
	}
}

static bool offers(const char *methods, const char *m)
{
	size_t n = strlen(m);

	for (const char *p = methods; p != NULL && *p != '\0';) {
		const char *c = strchr(p, ',');
		size_t len = c != NULL ? (size_t)(c - p) : strlen(p);

		if (len == n && strncmp(p, m, n) == 0)
			return true;
		p = c != NULL ? c + 1 : NULL;
	}
	return false;
}

static int auth_password(struct transport *t, const char *methods, struct err *e)
{
	unsigned ulen = (unsigned)strlen(t->user);
	int rc;

	if (t->password == NULL)
		return err_set(e, RV_USAGE, "no password is set for %s@%s: set it with `revault password set`",
			       t->user, t->host);
	if (offers(methods, "password")) {
		rc = libssh2_userauth_password_ex(t->session, t->user, ulen, t->password,
						  (unsigned)strlen(t->password), NULL);
		if (rc == 0)
			return RV_OK;
		if (rc == LIBSSH2_ERROR_PASSWORD_EXPIRED)
			return err_set(e, RV_AUTH, "the password of %s@%s has expired: change it on the server "
				       "with ssh, then `revault password set`", t->user, t->host);
		if (rc != LIBSSH2_ERROR_AUTHENTICATION_FAILED)
			return session_error(t, e, "password authentication failed");
		if (!offers(methods, "keyboard-interactive"))
			return err_set(e, RV_AUTH, "server refused the password for %s@%s: check server.username "
				       "and set the password again with `revault password set`", t->user, t->host);
	}
	if (offers(methods, "keyboard-interactive")) {
		rc = libssh2_userauth_keyboard_interactive_ex(t->session, t->user, ulen, kbd_answer);
		if (rc == 0)
			return RV_OK;
		if (rc != LIBSSH2_ERROR_AUTHENTICATION_FAILED && rc != LIBSSH2_ERROR_METHOD_NONE)
			return session_error(t, e, "keyboard-interactive authentication failed");
		return err_set(e, RV_AUTH, "server refused the password for %s@%s: check server.username "
			       "and set the password again with `revault password set`", t->user, t->host);
	}
	return err_set(e, RV_AUTH, "%s does not accept passwords for %s (it offers: %s): use a key "
		       "(`revault set server.auth publickey`)", t->host, t->user, methods);
}

/* Whether the private key file holds an RSA key (PEM or OpenSSH format). */
static bool is_rsa_key(const char *path)
{
	static const char begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----";
	FILE *f = fopen(path, "re");
	char *text = NULL, *body, *end, *b64 = NULL;
	unsigned char *raw = NULL;
	size_t n, m = 0;
	bool rsa = false;

	if (f == NULL)
		return false;
	text = xcalloc(1, 65537);
	n = fread(text, 1, 65536, f);
	fclose(f);
	text[n] = '\0';
	if (strstr(text, "BEGIN RSA PRIVATE KEY") != NULL) {
		rsa = true;
		goto out;
	}
	body = strstr(text, begin);
	if (body == NULL || (end = strstr(body, "-----END")) == NULL)
		goto out;
	body += sizeof(begin) - 1;
	b64 = xmalloc((size_t)(end - body) + 1);
	for (const char *p = body; p < end; p++)
		if (*p != '\n' && *p != '\r' && *p != ' ')
			b64[m++] = *p;
	raw = xmalloc(m / 4 * 3 + 3);
	{
		int len = EVP_DecodeBlock(raw, (unsigned char *)b64, (int)m);
		static const char tag[] = "\0\0\0\7ssh-rsa";

		/* The public key part is in clear even when the key is encrypted. */
		rsa = len > 0 && memmem(raw, (size_t)len, tag, sizeof(tag) - 1) != NULL;
	}
out:
	wipe(text, n);
	free(text);
	if (b64 != NULL)
		wipe(b64, m);
	free(b64);
	if (raw != NULL)
		wipe(raw, m / 4 * 3 + 3);
	free(raw);
	return rsa;
}

static int auth_publickey(struct transport *t, const char *methods, struct err *e)
{
	int rc;

	if (t->identity == NULL)
		return err_set(e, RV_USAGE, "no identity file is set: set one with `revault set server.identity FILE`");
	if (access(t->identity, R_OK) != 0)
		return err_set(e, RV_USAGE, "cannot read the identity file %s: %s", t->identity, strerror(errno));
	if (!offers(methods, "publickey"))
		return err_set(e, RV_AUTH, "%s does not accept keys for %s (it offers: %s)", t->host, t->user,
			       methods);
	rc = libssh2_userauth_publickey_fromfile_ex(t->session, t->user, (unsigned)strlen(t->user), NULL,
						    t->identity, t->passphrase);
	if (rc == 0)
		return RV_OK;
	if (rc == LIBSSH2_ERROR_FILE && t->passphrase == NULL)
		return err_set(e, RV_AUTH, "cannot read the identity file %s without a passphrase: store its "
			       "passphrase with `revault password set --identity` (or is it a key format "
			       "libssh2 cannot read?)", t->identity);
	if (rc == LIBSSH2_ERROR_FILE)
		return err_set(e, RV_AUTH, "cannot use the identity file %s: wrong passphrase (store it again "
			       "with `revault password set --identity`), or a key format libssh2 cannot read",
			       t->identity);
	if (rc != LIBSSH2_ERROR_AUTHENTICATION_FAILED && rc != LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED)
		return session_error(t, e, "key authentication failed");
	if (is_rsa_key(t->identity))
		return err_set(e, RV_AUTH, "server refused the RSA key %s for %s@%s: libssh2 %s signs "
			       "with RSA only with SHA-1 (ssh-rsa), which OpenSSH 8.8 and later refuse "
			       "unless PubkeyAcceptedAlgorithms +ssh-rsa; use an ed25519 key "
			       "(ssh-keygen -t ed25519)", t->identity, t->user, t->host, LIBSSH2_VERSION);
	return err_set(e, RV_AUTH, "server refused the key %s for %s@%s: add its .pub to the user's "
		       "authorized_keys on the server", t->identity, t->user, t->host);
}

static int auth_agent(struct transport *t, const char *methods, struct err *e)
{
	LIBSSH2_AGENT *agent;
	struct libssh2_agent_publickey *id = NULL, *prev = NULL;
	int rc, tried = 0;

	if (!offers(methods, "publickey"))
		return err_set(e, RV_AUTH, "%s does not accept keys for %s (it offers: %s)", t->host, t->user,
			       methods);
	if (getenv("SSH_AUTH_SOCK") == NULL)
		return err_set(e, RV_AUTH, "no SSH agent is running (SSH_AUTH_SOCK is not set): start one "
			       "and add a key with ssh-add, or use server.auth publickey");
	agent = libssh2_agent_init(t->session);
	if (agent == NULL)
		return session_error(t, e, "cannot use the SSH agent");
	if (libssh2_agent_connect(agent) != 0) {
		rc = err_set(e, RV_AUTH, "cannot reach the SSH agent at %s", getenv("SSH_AUTH_SOCK"));
		goto out;
	}
	if (libssh2_agent_list_identities(agent) != 0) {
		rc = err_set(e, RV_AUTH, "the SSH agent did not list its keys: %s", last_error(t));
		goto out;
	}
	for (;;) {
		rc = libssh2_agent_get_identity(agent, &id, prev);
		if (rc != 0)
			break;
		tried++;
		if (libssh2_agent_userauth(agent, t->user, id) == 0) {
			rc = RV_OK;
			goto out;
		}
		if (atomic_load(&t->interrupted) || libssh2_session_last_errno(t->session) ==
		    LIBSSH2_ERROR_SOCKET_DISCONNECT) {
			rc = session_error(t, e, "agent authentication failed");
			goto out;
		}
		prev = id;
	}
	if (rc < 0)
		rc = err_set(e, RV_AUTH, "the SSH agent failed: %s", last_error(t));
	else if (tried == 0)
		rc = err_set(e, RV_AUTH, "the SSH agent holds no keys: add one with ssh-add");
	else
		rc = err_set(e, RV_AUTH, "server refused every key of the SSH agent for %s@%s (%d tried; an "
			     "RSA key signs only with SHA-1 with libssh2 %s, which OpenSSH 8.8 and later "
			     "refuse: use an ed25519 key)", t->user, t->host, tried, LIBSSH2_VERSION);
out:
	libssh2_agent_disconnect(agent);
	libssh2_agent_free(agent);
	return rc;
}

int transport_auth(struct transport *t, struct err *e)
{
	char *list;
	char methods[256];

	if (need(t, false, e) != RV_OK)
		return e->code;
	if (!t->have_hostkey)
		return err_set(e, RV_HOSTKEY, "internal error: authentication before the host key check");
	/* The caller checked this key: every later connection must offer it. */
	if (!t->trusted) {
		t->trusted = true;
		t->trusted_hk = t->hk;
	}
	/* This sends the user name: only now that the host key was checked. */
	list = libssh2_userauth_list(t->session, t->user, (unsigned)strlen(t->user));
	if (list == NULL) {
		if (libssh2_userauth_authenticated(t->session))
			return RV_OK;
		return session_error(t, e, "cannot start authentication");
	}
	snprintf(methods, sizeof(methods), "%s", list);
	switch (t->auth) {
	case AUTH_PASSWORD:
		return auth_password(t, methods, e);
	case AUTH_PUBLICKEY:
		return auth_publickey(t, methods, e);
	case AUTH_AGENT:
		return auth_agent(t, methods, e);
	}
	return err_set(e, RV_USAGE, "unknown server.auth method");
}

/* ---- idle ----------------------------------------------------------- */

/* An SFTP request whose answer nobody waits for: the channel's own traffic
 * while the job works locally. A realpath of ".", which every server
 * answers and which changes nothing. */
static int idle_request(struct transport *t)
{
	char buf[512];

	return libssh2_sftp_symlink_ex(t->sftp, ".", 1, buf, sizeof(buf), LIBSSH2_SFTP_REALPATH);
}

void transport_idle(struct transport *t)
{
	struct pollfd p = { .fd = -1, .events = POLLOUT };
	double now = mono_now();

	if (t->session == NULL || t->sftp == NULL || t->dead || atomic_load(&t->interrupted))
		return;
	if (!t->idle_pending) {
		if (now - t->last_sent < IDLE_REQUEST ||
		    libssh2_channel_window_write(libssh2_sftp_get_channel(t->sftp)) < REQUEST_ROOM)
			return;
		/* Only into a socket with room: a request libssh2 could send
		 * only in part would hold up the next call. */
		p.fd = atomic_load(&t->fd);
		if (p.fd < 0 || poll(&p, 1, 0) != 1 || !(p.revents & POLLOUT))
			return;
		t->last_sent = now;
	}
	/* Sends it, or takes its answer if it came; an error shows at the
	 * next real call, which finds the session in the same state. */
	t->idle_pending = idle_request(t) == LIBSSH2_ERROR_EAGAIN;
}

/* Takes the answer of an idle request still out, so that the calls that
 * follow start from a quiet channel. */
static void idle_settle(struct transport *t)
{
	struct call c;

	if (!t->idle_pending)
		return;
	c = call_begin(t, t->timeout);
	while (idle_request(t) == LIBSSH2_ERROR_EAGAIN && call_wait(&c))
		;
	t->idle_pending = false;
}

/* ---- SFTP ----------------------------------------------------------- */

/* Takes the time a single request took (seconds since c began) as a
 * measure of the round trip: the shortest one seen is kept. */
static void rtt_sample(struct transport *t, const struct call *c)
{
	double d = mono_now() - c->start;

	if (d > 0 && (t->rtt == 0 || d < t->rtt))
		t->rtt = d;
}

static int stat_path(struct transport *t, const char *path, LIBSSH2_SFTP_ATTRIBUTES *a)
{
	struct call c = call_begin(t, t->timeout);
	int rc;

	while ((rc = libssh2_sftp_stat_ex(t->sftp, path, (unsigned)strlen(path), LIBSSH2_SFTP_STAT,
					  a)) == LIBSSH2_ERROR_EAGAIN && call_wait(&c))
		;
	if (rc == 0)
		rtt_sample(t, &c);
	return rc;
}

/* The first line of text in buf, as printable ASCII (other bytes as '?'),
 * at most out_len - 1 bytes: it ends at a line's end or at the first
 * other control byte (where binary, such as an SFTP packet, begins). */
static void printable_line(const char *buf, size_t len, char *out, size_t out_len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < out_len; i++) {
		unsigned char ch = (unsigned char)buf[i];

		if (ch < 0x20 && ch != '\t')
			break;
		out[o++] = ch < 0x7f ? (char)ch : '?';
	}
	out[o] = '\0';
}

/* What the probe channel said: its first bytes of output and of errors. */
struct probe_out {
	char out[512], errs[512];
	size_t got, egot;
};

/* Reads both streams of ch until `want` bytes of output, the channel's
 * end (both streams drained, so that libssh2_channel_eof can say so), or
 * the deadline. */
static void probe_read(struct transport *p, LIBSSH2_CHANNEL *ch, struct probe_out *o, size_t want,
		       double deadline)
{
	char scratch[256];

	while (o->got < want && mono_now() < deadline && !atomic_load(&p->interrupted)) {
		ssize_t n = libssh2_channel_read(ch, o->out + o->got, sizeof(o->out) - o->got);
		ssize_t m = o->egot < sizeof(o->errs) - 1
				    ? libssh2_channel_read_stderr(ch, o->errs + o->egot, sizeof(o->errs) - 1 - o->egot)
				    : libssh2_channel_read_stderr(ch, scratch, sizeof(scratch));
		struct pollfd pf = { .fd = atomic_load(&p->fd), .events = POLLIN };

		if (n > 0)
			o->got += (size_t)n;
		if (m > 0 && o->egot < sizeof(o->errs) - 1)
			o->egot += (size_t)m;
		if (n > 0 || m > 0)
			continue;
		if (libssh2_channel_eof(ch) || (n != LIBSSH2_ERROR_EAGAIN && n != 0) ||
		    (m != LIBSSH2_ERROR_EAGAIN && m != 0))
			break;
		if (poll(&pf, 1, (int)(WAIT_SLICE * 1000)) < 0 && errno != EINTR)
			break;
	}
}

/* Puts s in double quotes, within len bytes. */
static void quote(char *s, size_t len)
{
	size_t n = strlen(s);

	if (n + 3 > len)
		n = len - 3;
	memmove(s + 1, s, n);
	s[0] = '"';
	s[n + 1] = '"';
	s[n + 2] = '\0';
}

/* Waits a moment for the channel's close: the exit status or signal comes
 * before it. */
static void probe_closed(struct transport *p, LIBSSH2_CHANNEL *ch)
{
	for (double until = mono_now() + 1.0; mono_now() < until;) {
		struct pollfd pf = { .fd = atomic_load(&p->fd), .events = POLLIN };

		if (libssh2_channel_wait_closed(ch) != LIBSSH2_ERROR_EAGAIN)
			break;
		if (poll(&pf, 1, (int)(WAIT_SLICE * 1000)) < 0 && errno != EINTR)
			break;
	}
}

/* A second connection's look at what the SFTP start on the first could not
 * tell (libssh2 1.10 keeps the channel of a start in progress to itself):
 * the same host key and login, then the sftp subsystem asked for by hand
 * and its first bytes read. RV_OK when the server answers there as an SFTP
 * server should (nothing found: a slow server); otherwise RV_FAIL with the
 * reason: a channel closed at once with its exit status and first line of
 * errors (a missing sftp-server), or text where the SFTP version should
 * be (a login script that prints). */
static int sftp_probe(struct transport *t, struct err *e)
{
	static const char init[] = { 0, 0, 0, 5, 1, 0, 0, 0, 3 }; /* SSH_FXP_INIT, version 3 */
	struct transport *p = xcalloc(1, sizeof(*p));
	LIBSSH2_CHANNEL *ch = NULL;
	struct err pe = { 0 };
	struct probe_out o = { .got = 0 };
	char line[100], eline[100], note[48], said[110] = "";
	int rc = RV_OK, status;

	p->host = xstrdup(t->host);
	p->port = t->port;
	memcpy(p->where, t->where, sizeof(p->where));
	p->dir = xstrdup(t->dir);
	p->user = xstrdup(t->user);
	p->auth = t->auth;
	p->password = t->password != NULL ? xstrdup(t->password) : NULL;
	p->identity = t->identity != NULL ? xstrdup(t->identity) : NULL;
	p->passphrase = t->passphrase != NULL ? xstrdup(t->passphrase) : NULL;
	p->connect_timeout = t->connect_timeout;
	p->timeout = t->timeout < PROBE_READ * 2 ? t->timeout : (unsigned)(PROBE_READ * 2);
	p->hostkey_methods = t->hostkey_methods != NULL ? xstrdup(t->hostkey_methods) : NULL;
	atomic_init(&p->fd, -1);
	atomic_init(&p->interrupted, false);
	/* Only to the host the first connection checked. */
	if (transport_connect(p, &pe) != RV_OK || strcmp(p->hk.sha256, t->hk.sha256) != 0 ||
	    transport_auth(p, &pe) != RV_OK)
		goto out;
	ch = libssh2_channel_open_session(p->session);
	if (ch == NULL || libssh2_channel_subsystem(ch, "sftp") != 0 ||
	    libssh2_channel_write(ch, init, sizeof(init)) != (ssize_t)sizeof(init))
		goto out;
	libssh2_session_set_blocking(p->session, 0);
	probe_read(p, ch, &o, 9, mono_now() + PROBE_READ);
	/* uint32 length, byte SSH_FXP_VERSION (2): an SFTP server. */
	if (o.got >= 5 && o.out[0] == 0 && o.out[1] == 0 && o.out[4] == 2)
		goto out;
	if (o.got > 0) {
		probe_read(p, ch, &o, sizeof(o.out), mono_now() + 0.5);
		printable_line(o.out, o.got, line, sizeof(line));
		if (line[0] == '\0')
			snprintf(line, sizeof(line), "an empty line");
		else
			quote(line, sizeof(line));
		/* Text, then the end: the account's shell itself (nologin). */
		if (libssh2_channel_eof(ch)) {
			probe_closed(p, ch);
			exit_note(ch, note, sizeof(note));
			rc = err_set(e, RV_FAIL, "cannot start SFTP on %s: the server printed %s and closed the "
				     "SFTP channel%s: the login shell of %s there ends the session (nologin?) "
				     "or a login script exits; check that account", t->where, line, note, t->user);
			goto out;
		}
		rc = err_set(e, RV_FAIL, "cannot start SFTP on %s: the server printed %s before its "
			     "SFTP server: a login script of %s there (~/.bashrc, ~/.profile) prints text; "
			     "make it print only in interactive shells", t->where, line, t->user);
		goto out;
	}
	if (!libssh2_channel_eof(ch))
		goto out; /* no answer yet: slow, not broken */
	probe_closed(p, ch);
	status = exit_note(ch, note, sizeof(note));
	printable_line(o.errs, o.egot, eline, sizeof(eline));
	if (eline[0] != '\0') {
		quote(eline, sizeof(eline));
		snprintf(said, sizeof(said), ", saying %s", eline);
	}
	if (status == 127)
		rc = err_set(e, RV_FAIL, "cannot start SFTP on %s: the server closed the SFTP channel at once%s%s: "
			     "its SFTP server program is missing; install it (Debian: openssh-sftp-server, "
			     "which Dropbear runs as /usr/lib/sftp-server) or fix the Subsystem line in "
			     "sshd_config", t->where, note, said);
	else
		rc = err_set(e, RV_FAIL, "cannot start SFTP on %s: the server closed the SFTP channel at once%s%s: "
			     "its SFTP server does not start; see the server's log (the sftp subsystem, a "
			     "ChrootDirectory's owner and modes, the account)", t->where, note, said);
out:
	if (ch != NULL)
		libssh2_channel_free(ch);
	transport_free(p);
	return rc;
}

/* libssh2_sftp_init as a bounded call. The start of a channel that the
 * server closes, or on which a login script prints, never completes or
 * fails with a meaningless length: after PROBE_AFTER, or on a failure,
 * sftp_probe says which. */
static int sftp_start(struct transport *t, struct err *e)
{
	struct call c = call_begin(t, t->timeout);
	double probe_at = mono_now() + PROBE_AFTER;
	bool probed = false;
	int rc;

	c.wake = probe_at;
	while ((t->sftp = libssh2_sftp_init(t->session)) == NULL && would_block(t)) {
		if (!probed && mono_now() >= probe_at) {
			probed = true;
			if (sftp_probe(t, e) != RV_OK) {
				mark_dead(t);
				return e->code;
			}
		}
		if (!call_wait(&c))
			break;
	}
	if (t->sftp != NULL)
		return RV_OK;
	rc = libssh2_session_last_errno(t->session);
	if (t->gave_up == GAVE_UP_NONE &&
	    (rc == LIBSSH2_ERROR_CHANNEL_FAILURE || rc == LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED ||
	     rc == LIBSSH2_ERROR_CHANNEL_CLOSED))
		return err_set(e, RV_FAIL, "%s does not offer SFTP (%s): enable the sftp subsystem "
			       "(OpenSSH: Subsystem in sshd_config; Dropbear: /usr/lib/sftp-server)",
			       t->where, last_error(t));
	if (t->gave_up != GAVE_UP_CANCEL && !probed && !atomic_load(&t->interrupted) &&
	    sftp_probe(t, e) != RV_OK) {
		mark_dead(t);
		return e->code;
	}
	return session_error(t, e, "cannot start SFTP");
}

int transport_sftp(struct transport *t, struct err *e)
{
	LIBSSH2_SFTP_ATTRIBUTES a;
	char real[4096];
	const char *shown = t->dir;

	if (need(t, false, e) != RV_OK)
		return e->code;
	if (t->sftp == NULL) {
		libssh2_session_set_blocking(t->session, 0);
		if (sftp_start(t, e) != RV_OK)
			return e->code;
		/* What the SFTP server writes to its stderr is not read: left
		 * queued, it would hide the channel's end (libssh2_channel_eof). */
		{
			struct call c = call_begin(t, t->timeout);

			while (libssh2_channel_handle_extended_data2(libssh2_sftp_get_channel(t->sftp),
								     LIBSSH2_CHANNEL_EXTENDED_DATA_IGNORE) ==
				       LIBSSH2_ERROR_EAGAIN &&
			       call_wait(&c))
				;
		}
	}
	if (t->dir[0] != '/') {
		struct call c = call_begin(t, t->timeout);
		int n;

		while ((n = libssh2_sftp_realpath(t->sftp, t->dir, real, sizeof(real) - 1)) ==
			       LIBSSH2_ERROR_EAGAIN &&
		       call_wait(&c))
			;
		if (n > 0) {
			real[n] = '\0';
			shown = real;
		}
	}
	if (stat_path(t, t->dir, &a) != 0) {
		unsigned long st = sftp_status(t);

		if (st == LIBSSH2_FX_NO_SUCH_FILE || st == LIBSSH2_FX_NO_SUCH_PATH)
			return err_set(e, RV_FAIL, "directory %s does not exist on %s: create it there, or fix "
				       "server.url", shown, t->host);
		return sftp_error(t, e, "open the directory", shown);
	}
	if ((a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) && !LIBSSH2_SFTP_S_ISDIR(a.permissions))
		return err_set(e, RV_FAIL, "%s on %s is not a directory: fix server.url", shown, t->host);
	return RV_OK;
}

static bool is_dir(struct transport *t, const char *path)
{
	LIBSSH2_SFTP_ATTRIBUTES a;

	return stat_path(t, path, &a) == 0 && (a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) &&
	       LIBSSH2_SFTP_S_ISDIR(a.permissions);
}

/* st is the status of the failed mkdir, taken before any other call. */
static int mkdir_error(struct transport *t, const char *path, unsigned long st, struct err *e)
{
	LIBSSH2_SFTP_ATTRIBUTES a;

	if (stat_path(t, path, &a) == 0)
		return err_set(e, RV_FAIL, "cannot create the directory %s on %s: a file of that name is "
			       "in the way", path, t->host);
	if (t->gave_up != GAVE_UP_NONE)
		return session_error(t, e, "cannot create the directory");
	return err_set(e, RV_FAIL, "cannot create the directory %s on %s: %s", path, t->host,
		       st == LIBSSH2_FX_FAILURE ? "the server refused (disk full, or no right to?)"
		       : sftp_status_text(st) != NULL ? sftp_status_text(st) : "failed");
}

/* mkdir of path, its missing parents first: one round trip when only the
 * last component is missing, as when a device's first backup makes its
 * folder. */
static int mkdir_up(struct transport *t, char *path, size_t len, unsigned depth, struct err *e)
{
	struct call c = call_begin(t, t->timeout);
	unsigned long st;
	int r;

	while ((r = libssh2_sftp_mkdir_ex(t->sftp, path, (unsigned)len, DIR_MODE)) == LIBSSH2_ERROR_EAGAIN &&
	       call_wait(&c))
		;
	if (r == 0)
		return RV_OK;
	st = sftp_status(t);
	if (atomic_load(&t->interrupted) || st == 0)
		return sftp_error(t, e, "create the directory", path);
	if ((st == LIBSSH2_FX_NO_SUCH_FILE || st == LIBSSH2_FX_NO_SUCH_PATH) && depth < 64) {
		char *slash = len > 1 ? memrchr(path, '/', len - 1) : NULL;

		if (slash != NULL && slash > path) {
			*slash = '\0';
			r = mkdir_up(t, path, (size_t)(slash - path), depth + 1, e);
			*slash = '/';
			if (r != RV_OK)
				return r;
			return mkdir_up(t, path, len, 64, e);
		}
	}
	/* OpenSSH answers a plain FAILURE for an existing name: look. */
	if (is_dir(t, path))
		return RV_OK;
	return mkdir_error(t, path, st, e);
}

int transport_mkdirs(struct transport *t, const char *path, struct err *e)
{
	char *p;
	int rc;

	if (need(t, true, e) != RV_OK)
		return e->code;
	p = xstrdup(path);
	rc = mkdir_up(t, p, strlen(p), 0, e);
	free(p);
	return rc;
}

void remote_entries_free(struct remote_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/* Refuses a listing past its bounds. Nothing more is asked of that
 * server: the session ends here, so closing the handle and the rest of the
 * job do not each wait on it again. */
static int list_refused(struct transport *t, struct err *e, const char *dir, const char *why)
{
	mark_dead(t);
	return err_set(e, RV_FAIL,
		       "the server's folder listing of %s on %s is too large or too slow (%s): "
		       "check that folder on the server",
		       dir, t->where, why);
}

int transport_list(struct transport *t, const char *dir, struct remote_entry **out, size_t *n,
		   struct err *e)
{
	LIBSSH2_SFTP_HANDLE *h;
	struct remote_entry *v = NULL;
	size_t count = 0, cap = 0, seen = 0, bytes = 0;
	/* One bound for the whole listing: each readdir waits only for what
	 * is left of it. */
	struct call c;
	char *name, why[96];
	int rc = RV_OK;

	*out = NULL;
	*n = 0;
	if (need(t, true, e) != RV_OK)
		return e->code;
	c = call_begin(t, t->timeout);
	while ((h = libssh2_sftp_open_ex(t->sftp, dir, (unsigned)strlen(dir), 0, 0,
					 LIBSSH2_SFTP_OPENDIR)) == NULL &&
	       would_block(t) && call_wait(&c))
		;
	if (h == NULL)
		return sftp_error(t, e, "list the directory", dir);
	name = xmalloc(LIST_NAME_BUF);
	for (;;) {
		LIBSSH2_SFTP_ATTRIBUTES a;
		int len;

		while ((len = libssh2_sftp_readdir_ex(h, name, LIST_NAME_BUF, NULL, 0, &a)) ==
			       LIBSSH2_ERROR_EAGAIN &&
		       call_wait(&c))
			;
		if (len == 0)
			break;
		if (len < 0 && len != LIBSSH2_ERROR_BUFFER_TOO_SMALL) {
			if (t->gave_up == GAVE_UP_TIMEOUT) {
				snprintf(why, sizeof(why), "not done within %u s, server.timeout", t->timeout);
				rc = list_refused(t, e, dir, why);
			} else {
				rc = sftp_error(t, e, "list the directory", dir);
			}
			break;
		}
		/* Every entry counts, kept or not: a server cannot make the
		 * loop endless with names that are all skipped. */
		bytes += len > 0 ? (size_t)len : LIST_NAME_BUF;
		if (++seen > LIST_MAX_ENTRIES) {
			snprintf(why, sizeof(why), "more than %d entries", LIST_MAX_ENTRIES);
			rc = list_refused(t, e, dir, why);
			break;
		}
		if (bytes > LIST_MAX_NAME_BYTES) {
			snprintf(why, sizeof(why), "more than %d MiB of names", LIST_MAX_NAME_BYTES >> 20);
			rc = list_refused(t, e, dir, why);
			break;
		}
		if (len < 0 || len > LIST_MAX_NAME)
			continue;
		name[len] = '\0';
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 32;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[count] = (struct remote_entry){
			.name = xstrdup(name),
			.size = (a.flags & LIBSSH2_SFTP_ATTR_SIZE) ? a.filesize : 0,
			.mtime = (a.flags & LIBSSH2_SFTP_ATTR_ACMODTIME) ? (int64_t)a.mtime : 0,
			.is_dir = (a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) && LIBSSH2_SFTP_S_ISDIR(a.permissions),
			.is_other = (a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) && !LIBSSH2_SFTP_S_ISDIR(a.permissions) &&
				    !LIBSSH2_SFTP_S_ISREG(a.permissions) && !LIBSSH2_SFTP_S_ISLNK(a.permissions),
		};
		count++;
	}
	free(name);
	if (rc == RV_OK)
		close_later(t, h);
	else
		close_handle(t, h);
	if (rc != RV_OK) {
		remote_entries_free(v, count);
		return rc;
	}
	*out = v;
	*n = count;
	return RV_OK;
}

int transport_unlink(struct transport *t, const char *path, struct err *e)
{
	struct call c;
	int rc;

	if (need(t, true, e) != RV_OK)
		return e->code;
	c = call_begin(t, t->timeout);
	while ((rc = libssh2_sftp_unlink_ex(t->sftp, path, (unsigned)strlen(path))) == LIBSSH2_ERROR_EAGAIN &&
	       call_wait(&c))
		;
	if (rc != 0)
		return sftp_error(t, e, "delete", path);
	return RV_OK;
}

bool transport_gone(const struct transport *t)
{
	unsigned long st = t->dead || t->sftp == NULL ? 0 : sftp_status(t);

	return st == LIBSSH2_FX_NO_SUCH_FILE || st == LIBSSH2_FX_NO_SUCH_PATH;
}

/* What a rename that ended with rc and SFTP status st means (a look at
 * the new name tells an existing file apart). */
static int rename_verdict(struct transport *t, const char *from, const char *to, int rc, unsigned long st,
			  struct err *e)
{
	LIBSSH2_SFTP_ATTRIBUTES a;

	if (rc == 0)
		return RV_OK;
	if (atomic_load(&t->interrupted) || st == 0)
		return sftp_error(t, e, "rename", from);
	if ((st == LIBSSH2_FX_FAILURE || st == LIBSSH2_FX_FILE_ALREADY_EXISTS) && stat_path(t, to, &a) == 0)
		return err_set(e, RV_FAIL, "cannot rename %s to %s on %s: %s exists already", from, to,
			       t->host, to);
	if (t->gave_up != GAVE_UP_NONE)
		return session_error(t, e, "cannot rename");
	if (st == LIBSSH2_FX_PERMISSION_DENIED || st == LIBSSH2_FX_OP_UNSUPPORTED)
		return err_set(e, RV_FAIL, "cannot rename %s to %s on %s: the server refuses renames "
			       "(%s); revault needs them to put a finished revision in place: allow "
			       "rename for server.username there", from, to, t->host,
			       st == LIBSSH2_FX_PERMISSION_DENIED ? "permission denied" : "unsupported");
	return err_set(e, RV_FAIL, "cannot rename %s to %s on %s: %s", from, to, t->host,
		       sftp_status_text(st) != NULL ? sftp_status_text(st) : "the server refused");
}

/* No OVERWRITE flag: SFTP v3 servers never overwrite anyway, and a newer
 * protocol must not either. (Some do all the same: remote_commit checks
 * what it finds under the new name.) */
static int rename_call(struct transport *t, const char *from, const char *to)
{
	return libssh2_sftp_rename_ex(t->sftp, from, (unsigned)strlen(from), to, (unsigned)strlen(to),
				      LIBSSH2_SFTP_RENAME_ATOMIC | LIBSSH2_SFTP_RENAME_NATIVE);
}

int transport_rename(struct transport *t, const char *from, const char *to, struct err *e)
{
	struct call c;
	int rc;

	if (need(t, true, e) != RV_OK)
		return e->code;
	c = call_begin(t, t->timeout);
	while ((rc = rename_call(t, from, to)) == LIBSSH2_ERROR_EAGAIN && call_wait(&c))
		;
	/* The rename's own status, taken before any look replaces it. */
	return rename_verdict(t, from, to, rc, rc != 0 ? sftp_status(t) : 0, e);
}

/* ---- files ---------------------------------------------------------- */

/* Bytes an upload keeps in flight: twice the window the server grants the
 * SFTP channel (OpenSSH: 2 MiB; ProFTPD: 4 MiB), within
 * [WRITE_WINDOW_MIN, WRITE_WINDOW_MAX]. OpenSSH confirms a session channel
 * with a window of 0 and opens it only once the subsystem runs, so the
 * window is read as it is now, before the upload, with nothing in flight:
 * not the one the channel was opened with. */
/* The window the server grants the SFTP channel (bytes): as it is now,
 * or as it was opened with, whichever is larger (see write_window). */
static size_t channel_window(LIBSSH2_SFTP *sftp)
{
	unsigned long initial = 0, now;

	now = libssh2_channel_window_write_ex(libssh2_sftp_get_channel(sftp), &initial);
	return now > initial ? now : initial;
}

static size_t write_window(LIBSSH2_SFTP *sftp)
{
	size_t initial = channel_window(sftp), w;

	w = initial > WRITE_WINDOW_MAX / 2 ? WRITE_WINDOW_MAX : 2 * (size_t)initial;
	return w < WRITE_WINDOW_MIN ? WRITE_WINDOW_MIN : w;
}

static struct remote_file *open_file(struct transport *t, const char *path, bool writing,
				     struct err *e)
{
	unsigned long flags = writing ? LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_EXCL
				      : LIBSSH2_FXF_READ;
	LIBSSH2_SFTP_HANDLE *h;
	struct remote_file *f;
	struct call c;

	if (need(t, true, e) != RV_OK)
		return NULL;
	c = call_begin(t, t->timeout);
	while ((h = libssh2_sftp_open_ex(t->sftp, path, (unsigned)strlen(path), flags,
					 writing ? FILE_MODE : 0, LIBSSH2_SFTP_OPENFILE)) == NULL &&
	       would_block(t) && call_wait(&c))
		;
	if (h == NULL) {
		unsigned long st = sftp_status(t);
		LIBSSH2_SFTP_ATTRIBUTES a;

		if (!writing || atomic_load(&t->interrupted) || st == 0) {
			sftp_error(t, e, writing ? "create" : "open", path);
		} else if ((st == LIBSSH2_FX_FAILURE || st == LIBSSH2_FX_FILE_ALREADY_EXISTS) &&
			   stat_path(t, path, &a) == 0) {
			err_set(e, RV_FAIL, "cannot create %s on %s: it exists already", path, t->host);
		} else if (st == LIBSSH2_FX_FAILURE || st == LIBSSH2_FX_WRITE_PROTECT) {
			/* OpenSSH says only FAILURE for EROFS and ENOSPC alike. */
			err_set(e, RV_FAIL, "cannot create %s on %s: the server refused to write there "
				"(is its folder read-only or its disk full?)", path, t->host);
		} else {
			const char *text = sftp_status_text(st);

			err_set(e, RV_FAIL, "cannot create %s on %s: %s", path, t->host,
				text ? text : "the server refused");
		}
		return NULL;
	}
	rtt_sample(t, &c);
	f = xcalloc(1, sizeof(*f));
	f->t = t;
	f->h = h;
	f->path = xstrdup(path);
	f->writing = writing;
	f->size = REMOTE_SIZE_UNKNOWN;
	/* Uploads: a window of unacknowledged bytes plus room to append.
	 * Downloads take theirs at the first small read (remote_read). */
	if (writing) {
		f->window = write_window(t->sftp);
		f->chan_window = channel_window(t->sftp);
		f->buf = xmalloc(WRITE_BUF_WINDOWS * f->window);
	}
	return f;
}

struct remote_file *transport_create(struct transport *t, const char *path, struct err *e)
{
	return open_file(t, path, true, e);
}

struct remote_file *transport_open(struct transport *t, const char *path, uint64_t size, struct err *e)
{
	struct remote_file *f = open_file(t, path, false, e);

	if (f != NULL)
		f->size = size;
	return f;
}

static void lanes_free(struct remote_file *f);

static void file_free(struct remote_file *f)
{
	if (f->lanes != NULL) {
		f->h = f->lanes[0].h;
		lanes_free(f);
	}
	/* The close of an upload needs room in the channel's window (see
	 * window_room). */
	if (f->writing && f->h != NULL && !f->t->dead && !atomic_load(&f->t->interrupted) &&
	    f->t->sftp != NULL) {
		struct call c = call_begin(f->t, f->t->timeout);

		window_room(f->t, &c);
	}
	if (f->writing || f->t->dead)
		close_handle(f->t, f->h);
	else
		close_later(f->t, f->h);
	free(f->buf);
	free(f->path);
	free(f);
}

/* ---- connecting again ---------------------------------------------- */

unsigned transport_reconnects(const struct transport *t)
{
	return t->reconnects;
}

/* After a failed transfer call: true when the session was lost in a way a
 * new connection may mend (cut, reset, silent past server.timeout, the
 * SFTP channel closed), not by a cancel or an answer of the server's. */
static bool may_reconnect(const struct transport *t)
{
	return t->dead && t->trusted && t->retries > 0 && !retry_cancelled(t) &&
	       t->gave_up != GAVE_UP_CANCEL && (t->bwlimit == NULL || !bwlimit_stopped(t->bwlimit));
}

/* The server of a new connection offers the very key the first one did,
 * or the usual changed-key error (RV_HOSTKEY): never retried. */
static int same_key(struct transport *t, struct err *e)
{
	struct known_host k = { .host = t->host, .port = t->port, .type = t->trusted_hk.type,
				.sha256 = t->trusted_hk.sha256 };

	/* One record for this very host:port: never HOSTKEY_UNKNOWN. */
	return transport_check_hostkey(t, &k, 1, e) == HOSTKEY_MATCH ? RV_OK : RV_HOSTKEY;
}

/* A new session after the one a transfer ran on was lost (e holds why),
 * within server.retries attempts since the transfer last moved on, each
 * after a wait of 1, 2, 4, ... s (cancellable): the same host key, the
 * same login, SFTP. `at` (bytes) is where the transfer goes on, for the
 * warnings (UINT64_MAX: not a transfer). A changed host key, a refused
 * login or a cancel end it at once; RV_OK with the session up again, else
 * e holds the last error. */
static int session_again(struct transport *t, uint64_t at, struct err *e)
{
	while (t->retry_used < t->retries) {
		unsigned n = ++t->retry_used, wait = backoff_seconds(n);
		char from[48] = "";

		if (at != UINT64_MAX)
			snprintf(from, sizeof(from), " to go on from byte %llu", (unsigned long long)at);
		warnf(t, "%s; connecting again in %u s (%u of %u, server.retries)%s", lost_text(e), wait, n,
		      t->retries, from);
		err_clear(e);
		if (!backoff(t, wait))
			return interrupted_error(t, e);
		if (connect_once(t, e) == RV_OK && same_key(t, e) == RV_OK && transport_auth(t, e) == RV_OK &&
		    transport_sftp(t, e) == RV_OK) {
			t->reconnects++;
			return RV_OK;
		}
		mark_dead(t);
		if (retry_cancelled(t)) {
			err_clear(e);
			return interrupted_error(t, e);
		}
		if (e->code == RV_HOSTKEY || e->code == RV_AUTH || e->code == RV_USAGE)
			return e->code;
	}
	return gave_up_after(e, t->retries + 1);
}

/* Opens the file of f again on a new session and puts it where the
 * transfer stood: a temporary being written is opened for writing only
 * (never created or truncated), must be at least as long as the bytes the
 * server acknowledged (shorter: it was changed, and nothing is resumed),
 * and takes the unacknowledged bytes still held in f->buf again from
 * f->offset; a file being read goes on at the first byte not handed out. */
static int reopen(struct remote_file *f, struct err *e)
{
	struct transport *t = f->t;
	unsigned long flags = f->writing ? LIBSSH2_FXF_WRITE : LIBSSH2_FXF_READ;
	LIBSSH2_SFTP_ATTRIBUTES a;
	struct call c = call_begin(t, t->timeout);
	int rc;

	while ((f->h = libssh2_sftp_open_ex(t->sftp, f->path, (unsigned)strlen(f->path), flags, 0,
					    LIBSSH2_SFTP_OPENFILE)) == NULL &&
	       would_block(t) && call_wait(&c))
		;
	if (f->h == NULL)
		return sftp_error(t, e, "open again", f->path);
	if (f->writing) {
		c = call_begin(t, t->timeout);
		while ((rc = libssh2_sftp_fstat_ex(f->h, &a, 0)) == LIBSSH2_ERROR_EAGAIN && call_wait(&c))
			;
		if (rc != 0)
			return sftp_error(t, e, "look at", f->path);
		if (!(a.flags & LIBSSH2_SFTP_ATTR_SIZE) || a.filesize < f->offset)
			return err_set(e, RV_FAIL, "cannot continue the upload of %s on %s: it holds %llu "
				       "bytes, fewer than the %llu the server had confirmed (changed on the "
				       "server?); run the backup again", f->path, t->host,
				       (unsigned long long)a.filesize, (unsigned long long)f->offset);
	}
	libssh2_sftp_seek64(f->h, f->offset);
	f->eof = false;
	return RV_OK;
}

/* After a transfer call on f failed with e: when the connection was lost
 * and server.retries allows, connects again and reopens f where it stood
 * (RV_OK: call again); otherwise e is left as it was, or says why the
 * new connection failed. */
static int file_again(struct remote_file *f, struct err *e)
{
	struct transport *t = f->t;

	if (!may_reconnect(t))
		return e->code;
	if (f->offset > f->resumed_at)
		t->retry_used = 0; /* it moved on since the last loss */
	do {
		close_handle(t, f->h); /* on the lost session: only frees it */
		f->h = NULL;
		if (session_again(t, f->offset, e) != RV_OK)
			return e->code;
	} while (reopen(f, e) != RV_OK && may_reconnect(t));
	if (e->code != RV_OK)
		return e->code;
	f->resumed_at = f->offset;
	f->issued = f->offset; /* nothing begun on the new handle */
	warnf(t, "connected to %s again: the %s of %.300s continues at byte %llu", t->where,
	      f->writing ? "upload" : "download", f->path, (unsigned long long)f->offset);
	return RV_OK;
}

/* How much of the len bytes at the front of what is pending libssh2 may
 * have: those already sent, and as many more as the bandwidth cap lets go
 * now. When it holds some back, c->wake is when it lets more go; when
 * nothing is in flight either, the call pauses until then. */
static size_t paced(struct remote_file *f, size_t len, struct call *c)
{
	struct bwlimit *b = f->t->bwlimit;

	if (b == NULL)
		return len;
	c->wake = 0;
	while (f->offset + len > f->paced && !bwlimit_stopped(b)) {
		size_t more = bwlimit_take(b, (size_t)(f->offset + len - f->paced), &c->wake);

		if (more == 0)
			break;
		f->paced += more;
		c->deadline = mono_now() + f->t->call_seconds; /* the server has not been slow */
	}
	c->pause = f->paced == f->offset;
	return (size_t)(f->paced - f->offset);
}

/* Bytes the upload may have in flight now: the window (twice the
 * server's), or on a link slower than that window allows, what the server
 * acknowledges in IN_FLIGHT_SECONDS. Until the rate is known, the 1 MiB of
 * WRITE_WINDOW_MIN. A window-bound link measures rate = window / RTT, so
 * for any round trip under IN_FLIGHT_SECONDS the window stays the limit. */
static uint64_t acked_bytes(const struct remote_file *f);

/* Measures the rate the server acknowledges (f->rate) every RATE_INTERVAL. */
static void rate_update(struct remote_file *f)
{
	double now = mono_now();
	uint64_t acked = acked_bytes(f);

	/* The first measure comes after four round trips (at least 0.1 s,
	 * at most RATE_INTERVAL): until then 1 MiB is in flight, and a link
	 * bound by the window should not wait long to be found so. */
	double interval = RATE_INTERVAL;

	if (f->rate == 0 && f->t->rtt > 0)
		interval = 4 * f->t->rtt < 0.1 ? 0.1 : 4 * f->t->rtt > RATE_INTERVAL ? RATE_INTERVAL : 4 * f->t->rtt;
	/* From the first acknowledgement on: the round trip before it
	 * carries none and would halve the first measure. */
	if (f->rate_at == 0) {
		if (acked == 0)
			return;
		f->rate_at = now;
		f->rate_from = acked;
	} else if (now - f->rate_at >= interval) {
		double r = (double)(acked - f->rate_from) / (now - f->rate_at);

		f->rate = f->rate > 0 ? (f->rate + r) / 2 : r;
		f->rate_at = now;
		f->rate_from = acked;
	}
}

static size_t in_flight(struct remote_file *f)
{
	double w;

	rate_update(f);
	w = f->rate > 0 ? f->rate * IN_FLIGHT_SECONDS : WRITE_WINDOW_MIN;
	if (w < IN_FLIGHT_MIN)
		w = IN_FLIGHT_MIN;
	return w < (double)f->window ? (size_t)w : f->window;
}

/* What a write passes to libssh2_sftp_write on SFTP channel sftp: the
 * bytes libssh2 has already made into requests (already), and of the want
 * bytes beyond them only as many whole requests as the channel's window
 * takes now. libssh2 1.10 sends a request only in part when the window
 * runs out in it, and drops the rest of its requests when a write fails
 * (sftp.c, sftp_write: "flush all pending packets"): the server would then
 * read whatever comes next on that channel, the close of an aborted upload
 * included, as the rest of that write, and never answer it. */
static size_t whole_chunks(LIBSSH2_SFTP *sftp, size_t already, size_t want)
{
	LIBSSH2_CHANNEL *ch = libssh2_sftp_get_channel(sftp);
	size_t per = SFTP_WRITE_CHUNK + SFTP_WRITE_OVERHEAD, room, n;

	if (want <= already)
		return already;
	room = libssh2_channel_window_write(ch);
	if (room < per) {
		/* Takes in the window adjustments that came (a read of 0 bytes
		 * takes no SFTP data), as window_room does. */
		char none;

		libssh2_channel_read_ex(ch, 0, &none, 0);
		room = libssh2_channel_window_write(ch);
	}
	/* Whole requests of 30,000 bytes, then one smaller request in what is
	 * left (Dropbear grants 24 KiB windows: less than one whole one). */
	n = room / per * SFTP_WRITE_CHUNK;
	if (room % per >= SFTP_WRITE_OVERHEAD + SFTP_WRITE_MIN)
		n += room % per - SFTP_WRITE_OVERHEAD;
	return already + (want - already < n ? want - already : n);
}

static int push_len(struct remote_file *f, size_t len, struct err *e);

static int push_once(struct remote_file *f, struct err *e)
{
	size_t win = in_flight(f);

	return push_len(f, f->end - f->start < win ? f->end - f->start : win, e);
}

/* One libssh2_sftp_write over len bytes at the front of what is pending
 * (push_once: the in_flight window). libssh2 has already sent part of it
 * and skips that part, so what we pass must start with the same bytes each
 * time: only acknowledged bytes are ever dropped. It sends what the window
 * newly covers and returns when the oldest request is acknowledged: one
 * packet out for each one confirmed. (Passing everything pending instead
 * sends in bursts of up to the whole buffer and measured 15 % slower,
 * tests/bench/transport.) */
static int push_len(struct remote_file *f, size_t len, struct err *e)
{
	struct call c = call_begin(f->t, f->t->timeout);
	ssize_t n;

	{
		size_t want = len;

		len = whole_chunks(f->t->sftp, (size_t)(f->issued - f->offset), want);
		/* Nothing in flight and no room for a request: wait for the
		 * server to grant more window. */
		if (len == 0 && want > 0) {
			if (!channel_room_for(f->t, libssh2_sftp_get_channel(f->t->sftp),
					      SFTP_WRITE_OVERHEAD + SFTP_WRITE_MIN, &c))
				return sftp_error(f->t, e, "write", f->path);
			len = whole_chunks(f->t->sftp, 0, want);
		}
	}
	if (f->offset + len > f->issued)
		f->issued = f->offset + len;

	if (atomic_load(&f->t->interrupted))
		return interrupted_error(f->t, e);
	while (((n = libssh2_sftp_write(f->h, (const char *)f->buf + f->start, paced(f, len, &c))) ==
			LIBSSH2_ERROR_EAGAIN ||
		(n == 0 && c.wake > 0)) &&
	       call_wait(&c))
		;
	if (n == 0 && f->t->bwlimit != NULL && bwlimit_stopped(f->t->bwlimit))
		return err_set(e, RV_FAIL, "cancelled while the bandwidth cap held back the upload to %s",
			       f->t->where);
	if (n < 0 && n != LIBSSH2_ERROR_EAGAIN)
		f->issued = f->offset; /* libssh2 dropped its requests (whole_chunks): none to drain */
	if (n < 0 || (n == 0 && f->t->gave_up != GAVE_UP_NONE))
		return sftp_error(f->t, e, "write", f->path);
	f->start += (size_t)n;
	f->offset += (uint64_t)n;
	f->unflushed += (uint64_t)n;
	if (f->acked != NULL)
		atomic_store(f->acked, f->offset);
	if (f->start == f->end)
		f->start = f->end = 0;
	return RV_OK;
}

/* push_once, on a new connection when the one it ran on is lost. */
static int push(struct remote_file *f, struct err *e)
{
	while (push_once(f, e) != RV_OK)
		if (file_again(f, e) != RV_OK)
			return e->code;
	return RV_OK;
}

static unsigned flush_timeout(const struct transport *t);
static int flush_error(struct transport *t, struct err *e, const char *what, const char *path);

/* ---- uploads over several SFTP channels ----------------------------- */

/* One SFTP channel moves at most the window the server grants it per
 * round trip (RFC 4254 section 5.2; OpenSSH: 2 MiB, 35 MB/s at 60 ms),
 * whatever the link could carry. Once an upload is found bound by that
 * window (window_bound), the rest of the file is written in stripes of
 * STRIPE bytes over up to server.channels SFTP channels of the same
 * session (lanes), each with its own handle on the same temporary, opened
 * for writing only, at its own offsets. libssh2 1.10 keeps one write
 * state per SFTP channel (sftp.c, sftp_write), so a channel writes one
 * stripe at a time and takes its next once the last was acknowledged.
 * Stripes go to lanes in the order of the file; the data held is each
 * lane's stripe (STRIPE bytes a lane). libssh2 refuses a new packet while
 * another is half sent (LIBSSH2_ERROR_BAD_USE), so once a call left one
 * half sent, only that lane is called until it has gone out
 * (t->busy_lane), and lanes_pump never returns before. */

/* The link is bound by one channel's window: server.channels allows more,
 * no bandwidth cap holds the upload (a capped link gains nothing), the
 * round trip is LANES_MIN_RTT or more (never on loopback or a LAN), the
 * rate is known, and what the server acknowledges in one round trip
 * reaches a quarter of the channel's window (OpenSSH adjusts the window
 * only once half of it is used, and a window-bound upload measured 0.47
 * of it per round trip through a 30 ms link). On a link slower than
 * window / round trip this never holds. */
static bool window_bound(const struct remote_file *f)
{
	const struct transport *t = f->t;

	return t->channels > 1 && t->bwlimit == NULL && f->offset >= LANES_AFTER && f->rate > 0 &&
	       t->rtt >= LANES_MIN_RTT && f->rate * t->rtt >= (double)f->chan_window / 4;
}

/* Bytes acknowledged in all. */
static uint64_t acked_bytes(const struct remote_file *f)
{
	return f->lanes != NULL ? f->done : f->offset;
}

/* The first byte of the file not yet acknowledged: where a new connection
 * must find the temporary at least as long. */
static void lanes_offset(struct remote_file *f)
{
	uint64_t low = f->written;

	for (unsigned i = 0; i < f->nlanes; i++) {
		struct lane *l = &f->lanes[i];

		if (l->acked < l->len && l->base + l->acked < low)
			low = l->base + l->acked;
	}
	f->offset = low;
	if (f->acked != NULL)
		atomic_store(f->acked, f->done);
}

/* A lane's error as sftp_error says it, with that lane's SFTP status. */
static int lane_error(struct remote_file *f, struct lane *l, struct err *e, const char *what)
{
	struct transport *t = f->t;
	LIBSSH2_SFTP *keep = t->sftp;
	int rc;

	t->sftp = l->sftp != NULL ? l->sftp : keep;
	rc = sftp_error(t, e, what, f->path);
	t->sftp = keep;
	return rc;
}

static void lane_busy(struct transport *t, int i)
{
	t->busy_lane = libssh2_session_block_directions(t->session) & LIBSSH2_SESSION_BLOCK_OUTBOUND ? i : -1;
}

/* One step of opening lane i: its SFTP channel (kept by the transport
 * for later uploads), then a handle on the temporary. RV_OK once open,
 * LIBSSH2_ERROR_EAGAIN while not yet; a server that refuses one more
 * channel or handle (OpenSSH's MaxSessions) leaves the lane out (failed)
 * with a warning, and the upload goes on over those it has. */
static int lane_open_step(struct remote_file *f, unsigned i)
{
	struct transport *t = f->t;
	struct lane *l = &f->lanes[i];

	if (l->sftp == NULL && t->lane_sftp[i] == NULL) {
		LIBSSH2_SFTP *s = libssh2_sftp_init(t->session);

		if (s == NULL && would_block(t)) {
			lane_busy(t, (int)i);
			return LIBSSH2_ERROR_EAGAIN;
		}
		t->busy_lane = -1;
		if (s == NULL)
			goto refused;
		/* What the SFTP server writes to its stderr is not read (see
		 * transport_sftp). */
		libssh2_channel_handle_extended_data2(libssh2_sftp_get_channel(s),
						      LIBSSH2_CHANNEL_EXTENDED_DATA_IGNORE);
		t->lane_sftp[i] = s;
	}
	l->sftp = i == 0 ? t->sftp : t->lane_sftp[i];
	l->h = libssh2_sftp_open_ex(l->sftp, f->path, (unsigned)strlen(f->path), LIBSSH2_FXF_WRITE, 0,
				    LIBSSH2_SFTP_OPENFILE);
	if (l->h == NULL && would_block(t)) {
		lane_busy(t, (int)i);
		return LIBSSH2_ERROR_EAGAIN;
	}
	t->busy_lane = -1;
	if (l->h == NULL)
		goto refused;
	l->window = write_window(l->sftp);
	libssh2_sftp_seek64(l->h, l->base + l->acked);
	return RV_OK;
refused:
	/* A server that refuses one more refuses the next too: one warning,
	 * and the lanes not open yet are left out with it. */
	{
		unsigned open = 0;

		for (unsigned k = 0; k < f->nlanes; k++) {
			if (k >= i && f->lanes[k].h == NULL)
				f->lanes[k].failed = true;
			open += f->lanes[k].h != NULL;
		}
		warnf(t, "%s did not open SFTP channel %u of %u (%s): this upload goes on over %u; "
		      "lower server.channels (OpenSSH: MaxSessions)", t->where, i + 1, t->channels, last_error(t),
		      open);
	}
	return RV_FAIL;
}

/* Bytes lane l may have in flight: its share of what the link
 * acknowledges in IN_FLIGHT_SECONDS, within its channel's window twice. */
static size_t lane_cap(struct remote_file *f, const struct lane *l)
{
	double w = f->rate > 0 ? f->rate * IN_FLIGHT_SECONDS : WRITE_WINDOW_MIN;
	unsigned n = 0;

	for (unsigned i = 0; i < f->nlanes; i++)
		n += f->lanes[i].h != NULL && !f->lanes[i].failed;
	w /= n > 0 ? n : 1;
	if (w < IN_FLIGHT_MIN)
		w = IN_FLIGHT_MIN;
	return w < (double)l->window ? (size_t)w : l->window;
}

/* What lanes_pump waits for. */
enum lanes_goal {
	LANES_PASS,   /* one pass over the lanes, without waiting */
	LANES_SPACE,  /* the lane being filled has room, or may hand over to a free one */
	LANES_ACKED,  /* every byte acknowledged */
	LANES_ISSUED, /* every request libssh2 has begun is answered (remote_abort) */
};

static bool lane_free(const struct lane *l)
{
	return l->h != NULL && !l->failed && l->acked == l->len;
}

/* A lane other than the one being filled that is open and has all of its
 * stripe acknowledged, the next after the filling one in order; -1: none. */
static int lane_other_free(const struct remote_file *f)
{
	for (unsigned i = 1; i < f->nlanes; i++) {
		unsigned j = (f->fill + i) % f->nlanes;

		if (lane_free(&f->lanes[j]))
			return (int)j;
	}
	return -1;
}

static bool lanes_reached(struct remote_file *f, enum lanes_goal g)
{
	switch (g) {
	case LANES_PASS:
		return true;
	case LANES_SPACE: {
		const struct lane *l = &f->lanes[f->fill];

		return l->head + (l->len - l->acked) < STRIPE || l->head >= STRIPE / 4 ||
		       (l->len >= STRIPE && lane_other_free(f) >= 0);
	}
	case LANES_ACKED:
		return f->done == f->written;
	case LANES_ISSUED:
		for (unsigned i = 0; i < f->nlanes; i++)
			if (f->lanes[i].h != NULL && f->lanes[i].acked < f->lanes[i].issued)
				return false;
		return true;
	}
	return true;
}

/* Moves every lane on until g is reached: hands each open lane what it
 * holds beyond its acknowledged bytes (up to lane_cap), takes the answers,
 * and opens the next lane not yet open. Waits on the socket only after a
 * pass that moved nothing and read nothing; bounded by server.timeout
 * without progress. On a lane's error, e says why. */
static int lanes_pump(struct remote_file *f, enum lanes_goal g, struct err *e)
{
	struct transport *t = f->t;
	struct call c = call_begin(t, t->timeout);

	for (;;) {
		uint64_t rx = t->rx;
		bool moved = false, opening = false;

		if (atomic_load(&t->interrupted))
			return interrupted_error(t, e);
		rate_update(f);
		for (unsigned i = 0; i < f->nlanes; i++) {
			struct lane *l = &f->lanes[i];
			size_t want;
			ssize_t n;

			if (t->busy_lane >= 0 && t->busy_lane != (int)i)
				continue;
			if (l->failed)
				continue;
			if (l->h == NULL) {
				/* One lane opens at a time: libssh2 keeps one
				 * SFTP start's state per session. Not for an abort,
				 * nor at the end unless it holds bytes. */
				if (opening || g == LANES_ISSUED || (g == LANES_ACKED && l->acked == l->len))
					continue;
				opening = true;
				if (lane_open_step(f, i) == LIBSSH2_ERROR_EAGAIN) {
					if (t->busy_lane >= 0)
						break;
					continue;
				}
				moved = true;
				if (l->h == NULL && l->acked < l->len)
					return err_set(e, RV_FAIL, "cannot continue the upload of %s on %s: the "
						       "server refused SFTP channel %u of %u; lower server.channels",
						       f->path, t->host, i + 1, t->channels);
				if (l->h == NULL)
					continue;
			}
			if (l->acked == l->len)
				continue;
			want = l->len - l->acked;
			if (g == LANES_ISSUED)
				want = l->issued - l->acked;
			else if (want > lane_cap(f, l))
				want = lane_cap(f, l);
			/* A call that left a packet half sent may have left whole
			 * requests unsent behind it, which will take window the
			 * room seen now does not know of: nothing new until they
			 * are out. */
			if (t->busy_lane == (int)i)
				want = l->issued - l->acked;
			want = whole_chunks(l->sftp, l->issued - l->acked, want);
			if (want == 0)
				continue;
			if (l->acked + want > l->issued)
				l->issued = l->acked + want;
			n = libssh2_sftp_write(l->h, (const char *)l->buf + l->head, want);
			if (n == LIBSSH2_ERROR_EAGAIN) {
				lane_busy(t, (int)i);
				if (t->busy_lane >= 0)
					break;
				continue;
			}
			t->busy_lane = -1;
			if (n < 0)
				l->issued = l->acked; /* libssh2 dropped its requests (whole_chunks) */
			if (n < 0 && g == LANES_ISSUED)
				continue; /* the others drain on */
			if (n < 0)
				return lane_error(f, l, e, "write");
			if (n > 0) {
				l->acked += (size_t)n;
				l->head = l->acked == l->len ? 0 : l->head + (size_t)n;
				f->done += (uint64_t)n;
				f->unflushed += (uint64_t)n;
				moved = true;
				c.deadline = mono_now() + t->timeout; /* the server is not slow */
			}
		}
		if (moved)
			lanes_offset(f);
		if (t->busy_lane < 0 && lanes_reached(f, g))
			return RV_OK;
		if (moved || t->rx != rx)
			continue;
		if (!call_wait(&c))
			return lane_error(f, &f->lanes[t->busy_lane >= 0 ? t->busy_lane : 0], e, "write");
	}
}

/* After the connection was lost under a striped upload (e says why): the
 * other lanes' handles freed, then file_again on lane 0 (a new connection,
 * lane 0 opened again where the first byte not acknowledged is); every
 * lane then sends again what it holds beyond its acknowledged bytes (the
 * others open again as they come). */
static int lanes_again(struct remote_file *f, struct err *e)
{
	struct transport *t = f->t;
	struct lane *l0 = &f->lanes[0];

	if (!may_reconnect(t))
		return e->code;
	for (unsigned i = 0; i < f->nlanes; i++) {
		if (i > 0)
			close_handle(t, f->lanes[i].h); /* on the lost session: only frees it */
		f->lanes[i].h = NULL;
		f->lanes[i].sftp = NULL;
		f->lanes[i].issued = f->lanes[i].acked;
	}
	if (file_again(f, e) != RV_OK)
		return e->code;
	l0->h = f->h;
	l0->sftp = t->sftp;
	l0->window = write_window(t->sftp);
	libssh2_sftp_seek64(l0->h, l0->base + l0->acked);
	return RV_OK;
}

/* lanes_pump, on a new connection when the one it ran on is lost. */
static int lanes_move(struct remote_file *f, enum lanes_goal g, struct err *e)
{
	while (lanes_pump(f, g, e) != RV_OK)
		if (lanes_again(f, e) != RV_OK)
			return e->code;
	return RV_OK;
}

/* Hands len bytes to the lanes. The lane being filled takes them into its
 * stripe as long as its buffer has room (its stripe grows: no seek, no
 * wait); once its stripe holds STRIPE bytes or more and another lane is
 * free, the next bytes begin a new stripe there. A buffer holds the bytes
 * of its stripe not yet acknowledged; it is compacted once a quarter of
 * it was acknowledged. */
static int lanes_write(struct remote_file *f, const uint8_t *p, size_t len, struct err *e)
{
	while (len > 0) {
		struct lane *l = &f->lanes[f->fill];
		size_t pending = l->len - l->acked, room, take;
		int j;

		if (l->len >= STRIPE && (j = lane_other_free(f)) >= 0) {
			f->fill = (unsigned)j;
			l = &f->lanes[j];
			if (l->buf == NULL)
				l->buf = xmalloc(STRIPE);
			l->base = f->written;
			l->len = l->acked = l->issued = l->head = 0;
			pending = 0;
			libssh2_sftp_seek64(l->h, l->base);
		}
		if (l->head + pending == STRIPE && l->head >= STRIPE / 4) {
			memmove(l->buf, l->buf + l->head, pending);
			l->head = 0;
		}
		room = STRIPE - (l->head + pending);
		if (room == 0) {
			if (lanes_move(f, LANES_SPACE, e) != RV_OK)
				return e->code;
			continue;
		}
		take = room < len ? room : len;
		memcpy(l->buf + l->head + pending, p, take);
		l->len += take;
		f->written += take;
		p += take;
		len -= take;
	}
	lanes_offset(f);
	return lanes_move(f, LANES_PASS, e);
}

/* Starts striping. What the one channel holds (f->buf[start, end), in
 * flight or not) becomes lane 0's stripe as it is: the same bytes at the
 * front, as libssh2 needs them (push_len), so nothing waits. Lanes 1 and
 * on open as the upload goes on (lanes_pump). */
static int lanes_begin(struct remote_file *f, struct err *e)
{
	struct transport *t = f->t;
	struct lane *l0;

	while (f->end - f->start > STRIPE)
		if (push(f, e) != RV_OK)
			return e->code;
	f->lanes = xcalloc(t->channels, sizeof(*f->lanes));
	f->nlanes = t->channels;
	f->fill = 0;
	l0 = &f->lanes[0];
	l0->sftp = t->sftp;
	l0->h = f->h;
	l0->buf = xmalloc(STRIPE);
	l0->base = f->offset;
	l0->len = f->end - f->start;
	l0->issued = (size_t)(f->issued - f->offset);
	l0->window = f->window;
	memcpy(l0->buf, f->buf + f->start, l0->len);
	f->done = f->offset;
	f->written = f->offset + l0->len;
	free(f->buf);
	f->buf = NULL;
	f->start = f->end = 0;
	return RV_OK;
}

/* Closes a lane's handle, bounded; with room in its channel's window
 * first (see whole_chunks, window_room). */
static void lane_close(struct remote_file *f, struct lane *l)
{
	struct transport *t = f->t;

	if (l->h != NULL && l->sftp != NULL && !t->dead && !atomic_load(&t->interrupted)) {
		struct call c = call_begin(t, t->timeout);

		channel_room(t, libssh2_sftp_get_channel(l->sftp), &c);
	}
	close_handle(t, l->h);
	l->h = NULL;
}

/* Sends the close of the handles of lanes 1 and on without waiting for
 * the answers (close_later: closes_advance and closes_settle take them),
 * each close sent whole before the next: the end of the upload on lane 0
 * does not wait for them. Their SFTP channels stay open until the session
 * ends (close_session). */
static void lanes_close_later(struct remote_file *f)
{
	struct transport *t = f->t;

	for (unsigned i = 1; i < f->nlanes; i++) {
		struct lane *l = &f->lanes[i];
		struct call c = call_begin(t, t->timeout);
		int r;

		if (l->h == NULL)
			continue;
		if (t->nclosing == CLOSING_MAX || !channel_room(t, libssh2_sftp_get_channel(l->sftp), &c)) {
			lane_close(f, l);
			continue;
		}
		while ((r = libssh2_sftp_close_handle(l->h)) == LIBSSH2_ERROR_EAGAIN &&
		       (libssh2_session_block_directions(t->session) & LIBSSH2_SESSION_BLOCK_OUTBOUND) &&
		       call_wait(&c))
			;
		if (r == LIBSSH2_ERROR_EAGAIN && t->gave_up == GAVE_UP_NONE)
			t->closing[t->nclosing++] = l->h;
		else if (r == LIBSSH2_ERROR_EAGAIN)
			close_handle(t, l->h);
		l->h = NULL; /* closed, or closing */
	}
	t->busy_lane = -1;
}

/* Back to one handle (f->h, lane 0's) once every lane's bytes are
 * acknowledged: the others closed, the stripes freed. */
static void lanes_free(struct remote_file *f)
{
	if (f->lanes == NULL)
		return;
	for (unsigned i = 1; i < f->nlanes; i++)
		lane_close(f, &f->lanes[i]);
	for (unsigned i = 0; i < f->nlanes; i++)
		free(f->lanes[i].buf);
	free(f->lanes);
	f->lanes = NULL;
	f->nlanes = 0;
	f->t->busy_lane = -1;
}

/* The end of a striped upload: every byte acknowledged (on a new
 * connection if need be), the other lanes' handles being closed; then the
 * file is finished as a one-channel upload is, on lane 0's handle. Every
 * byte acknowledged means every byte written into the temporary on the
 * server, so the fsync on lane 0's handle covers them all (fsync applies
 * to the file, POSIX; OpenSSH's sftp-server calls fsync(2)). */
static int lanes_finish(struct remote_file *f, struct err *e)
{
	int rc = lanes_move(f, LANES_ACKED, e);

	/* Failed: the lanes stay for remote_abort, which drains them. */
	if (rc != RV_OK)
		return rc;
	lanes_close_later(f);
	f->h = f->lanes[0].h;
	f->offset = f->written;
	lanes_free(f);
	return rc;
}

int remote_write(struct remote_file *f, const void *buf, size_t len, struct err *e)
{
	const uint8_t *p = buf;

	if (f->head_len < HEAD_CHECK) {
		size_t k = len < HEAD_CHECK - f->head_len ? len : HEAD_CHECK - f->head_len;

		memcpy(f->head + f->head_len, buf, k);
		f->head_len += k;
	}
	if (f->lanes != NULL)
		return lanes_write(f, p, len, e);
	while (len > 0) {
		size_t take;

		/* Full: move what is pending (the window in flight and at most
		 * one append beyond it) to the front, about a third of the data
		 * copied once more. */
		if (f->end == WRITE_BUF_WINDOWS * f->window && f->start > 0) {
			memmove(f->buf, f->buf + f->start, f->end - f->start);
			f->end -= f->start;
			f->start = 0;
		}
		take = WRITE_BUF_WINDOWS * f->window - f->end;
		if (take > len)
			take = len;
		memcpy(f->buf + f->end, p, take);
		f->end += take;
		p += take;
		len -= take;
		/* Return with at most what may be in flight pending: the caller's next bytes
		 * then go out as the oldest are acknowledged. */
		while (f->end - f->start > in_flight(f))
			if (push(f, e) != RV_OK)
				return e->code;
		if (len > 0 && window_bound(f)) {
			if (lanes_begin(f, e) != RV_OK)
				return e->code;
			return lanes_write(f, p, len, e);
		}
	}
	return RV_OK;
}

/* The bound for fsync@openssh.com and the close after it. */
static unsigned flush_timeout(const struct transport *t)
{
	return t->timeout * 4 > FLUSH_TIMEOUT_MIN ? t->timeout * 4 : FLUSH_TIMEOUT_MIN;
}

static int flush_error(struct transport *t, struct err *e, const char *what, const char *path)
{
	if (t->gave_up == GAVE_UP_TIMEOUT)
		return err_set(e, RV_FAIL, "cannot %s %s: %s did not confirm it within %u s; "
			       "is the server's disk overloaded?", what, path, t->where,
			       flush_timeout(t));
	return sftp_error(t, e, what, path);
}

void remote_count_acked(struct remote_file *f, _Atomic uint64_t *acked)
{
	f->acked = acked;
	atomic_store(acked, f->offset);
}

uint64_t remote_unflushed(const struct remote_file *f)
{
	/* Striped: the flush comes once every lane is done (remote_commit). */
	return f->no_fsync || f->lanes != NULL ? 0 : f->unflushed;
}

/* fsync@openssh.com with the longer bound: it waits for the server's disk
 * to write back what it cached, which on a busy disk takes longer than any
 * ordinary reply. Writes still in flight stay in flight: the server handles
 * requests in order, so the flush covers what was sent before it.
 *
 * A server that does not offer it (OP_UNSUPPORTED) or refuses it
 * (PERMISSION_DENIED, as OpenSSH's `internal-sftp -P fsync` does;
 * BAD_MESSAGE) is not asked again, with one warning per session: the
 * revision is then as safe as the server's own write-back makes it. A
 * FAILURE is the server's disk saying no (EIO, ENOSPC): the data may not
 * be stored, and the upload fails. */
/* What an fsync@openssh.com that ended with rc and status st means for
 * the upload (see remote_flush). */
static int fsync_verdict(struct remote_file *f, int rc, unsigned long st, struct err *e)
{
	struct transport *t = f->t;

	f->unflushed = 0;
	if (rc == 0)
		return RV_OK;
	switch (st) {
	case LIBSSH2_FX_OP_UNSUPPORTED:
	case LIBSSH2_FX_PERMISSION_DENIED:
	case LIBSSH2_FX_BAD_MESSAGE:
		f->no_fsync = true;
		if (st != LIBSSH2_FX_OP_UNSUPPORTED && !t->fsync_refused && t->warn != NULL) {
			char msg[ERR_MSG_MAX];

			snprintf(msg, sizeof(msg), "%s refuses fsync@openssh.com (%s): revisions are "
				 "stored without asking its disk to write them back first; allow fsync "
				 "for server.username there", t->where,
				 st == LIBSSH2_FX_PERMISSION_DENIED ? "permission denied" : "bad message");
			t->warn(t->warn_arg, msg);
		}
		t->fsync_refused = true;
		return RV_OK;
	default:
		return flush_error(t, e, "flush", f->path);
	}
}

int remote_flush(struct remote_file *f, struct err *e)
{
	struct transport *t = f->t;
	struct call c;
	int rc;

	if (f->no_fsync)
		return RV_OK;
	c = call_begin(t, flush_timeout(t));
	while ((rc = libssh2_sftp_fsync(f->h)) == LIBSSH2_ERROR_EAGAIN && call_wait(&c))
		;
	return fsync_verdict(f, rc, rc != 0 ? sftp_status(t) : 0, e);
}

/* Reads back the first bytes of what is now at path: true when they are
 * the ones f wrote (head, head_len). */
static bool is_ours(struct remote_file *r, const uint8_t *head, size_t head_len, struct err *e)
{
	uint8_t back[HEAD_CHECK];
	long n = remote_read_head(r, back, head_len, e);

	remote_close(r);
	return n == (long)head_len && memcmp(back, head, head_len) == 0;
}

static int call_fsync(struct request *r)
{
	return libssh2_sftp_fsync(r->arg);
}

static int call_close(struct request *r)
{
	return libssh2_sftp_close_handle(r->arg);
}

static int call_stat(struct request *r)
{
	return libssh2_sftp_stat_ex(r->arg, r->path, (unsigned)strlen(r->path), LIBSSH2_SFTP_STAT, r->attrs);
}

/* The end of an upload whose bytes are all acknowledged: fsync, close and
 * a look at the final name go out together (one round trip; the server
 * handles them in order, so the fsync covers every write and the close
 * comes after it). */
static int finish_upload(struct remote_file *f, const char *final_path, struct err *e)
{
	struct transport *t = f->t;
	LIBSSH2_SFTP_ATTRIBUTES a;
	struct request r[3] = {
		{ .call = call_fsync, .arg = f->h },
		{ .call = call_close, .arg = f->h },
		{ .call = call_stat, .arg = t->sftp, .path = final_path, .attrs = &a },
	};
	struct request *todo = f->no_fsync ? r + 1 : r;
	size_t n = f->no_fsync ? 2 : 3;
	bool finished = pipeline(t, flush_timeout(t), todo, n);
	int rc = RV_OK;

	/* The close ended, well or not: libssh2 freed the handle. */
	if (r[1].done)
		f->h = NULL;
	if (!finished)
		return flush_error(t, e, r[0].done || f->no_fsync ? "close" : "flush", f->path);
	if (!f->no_fsync)
		rc = fsync_verdict(f, r[0].rc, r[0].status, e);
	if (rc == RV_OK && r[1].rc != 0) {
		t->gave_up = GAVE_UP_NONE;
		rc = r[1].status != 0 ? err_set(e, RV_FAIL, "cannot close %s on %s: %s", f->path, t->host,
						sftp_status_text(r[1].status) != NULL
							? sftp_status_text(r[1].status)
							: "the server refused")
				      : flush_error(t, e, "close", f->path);
	}
	/* Never onto an existing name, also where the server's rename would
	 * replace it (the look and the rename are one round trip apart; the
	 * read-back in remote_commit covers that gap). */
	if (rc == RV_OK && r[2].rc == 0)
		rc = err_set(e, RV_FAIL, "cannot rename %s to %s on %s: %s exists already (another "
			     "backup of the same device?); run the backup again", f->path, final_path,
			     t->host, final_path);
	return rc;
}

int remote_commit(struct remote_file *f, const char *final_path, bool *renamed, struct err *e)
{
	struct transport *t = f->t;
	uint8_t head[HEAD_CHECK];
	size_t head_len = f->head_len;
	struct remote_file *back = NULL;
	int rc = RV_OK;

	*renamed = false;
	memcpy(head, f->head, head_len);
	/* Every byte acknowledged, then flushed and closed: only then is the
	 * file complete under its temporary name. */
	if (f->lanes != NULL)
		rc = lanes_finish(f, e);
	while (f->end > f->start && rc == RV_OK)
		rc = push(f, e);
	/* A loss before the rename is sent is taken up on a new connection
	 * (fsync, close and the look again); one during the rename is not:
	 * whether it happened is unknown, and the next backup clears a
	 * temporary left behind. */
	while (rc == RV_OK && finish_upload(f, final_path, e) != RV_OK)
		rc = file_again(f, e);
	if (rc == RV_OK)
		rc = transport_rename(t, f->path, final_path, e);
	/* The read-back's open waits for the rename's answer: sent together,
	 * the open would come right behind the rename and could not see
	 * another upload's rename that lands a moment later. */
	if (rc == RV_OK)
		back = transport_open(t, final_path, REMOTE_SIZE_UNKNOWN, e);
	/* The rename was answered: only the look at its result is lost, and
	 * it may be made over a new connection. */
	while (rc == RV_OK && back == NULL && may_reconnect(t)) {
		if (session_again(t, UINT64_MAX, e) != RV_OK)
			break;
		back = transport_open(t, final_path, REMOTE_SIZE_UNKNOWN, e);
	}
	/* Failed with the temporary still open: as an abort (the writes
	 * libssh2 began answered first, then the close). */
	if (f->h != NULL || f->lanes != NULL)
		remote_abort(f);
	else
		file_free(f);
	if (rc != RV_OK) {
		if (back != NULL)
			remote_close(back);
		return rc;
	}
	*renamed = true;
	/* A server whose rename replaces an existing file (SFTPGo, pkg/sftp)
	 * lets two uploads of the same name both succeed, one of them lost:
	 * what is under the name now must be what was written. */
	if (back == NULL || !is_ours(back, head, head_len, e)) {
		if (e->code != RV_OK && t->dead)
			return e->code;
		err_clear(e);
		return err_set(e, RV_FAIL, "%s on %s is not the file just stored: another upload of "
			       "the same name replaced it (the server's rename overwrites); run the "
			       "backup again", final_path, t->host);
	}
	return RV_OK;
}

/* An upload given up while the session still works (a cancel, a failure
 * of the job's own): the WRITE requests libssh2 has begun are sent and
 * answered first. With the channel window used up, one may have gone out
 * only in part, and a CLOSE sent after it would be read by the server as
 * the rest of its data: the channel would hang until server.timeout and
 * the temporary could not be removed. What is in flight drains in about
 * IN_FLIGHT_SECONDS (in_flight). */
void remote_abort(struct remote_file *f)
{
	struct err e = { 0 };

	if (f == NULL)
		return;
	if (f->lanes != NULL) {
		if (!f->t->dead && !atomic_load(&f->t->interrupted))
			lanes_pump(f, LANES_ISSUED, &e);
		lane_close(f, &f->lanes[0]);
		f->h = NULL;
		lanes_free(f);
		file_free(f);
		return;
	}
	if (f->writing && !f->t->dead && !atomic_load(&f->t->interrupted) && f->h != NULL)
		while (f->offset < f->issued && push_len(f, (size_t)(f->issued - f->offset), &e) == RV_OK)
			;
	file_free(f);
}

/* Starts reading again at f->offset: libssh2 drops its requests in flight
 * and what it holds (seeking away and back, so that a seek to where it
 * thinks it is still clears its end-of-file mark). */
static void read_resume(struct remote_file *f)
{
	libssh2_sftp_seek64(f->h, f->offset + 1);
	libssh2_sftp_seek64(f->h, f->offset);
	f->eof = false;
}

/* As many of len bytes as the bandwidth cap lets a read ask for, after
 * waiting for at least some (cancellable); 0 when the wait gave up.
 * libssh2 asks ahead four times a read, bytes the cap has not counted
 * yet: a read asks a quarter of the cap's piece at most, so that those
 * stay within one piece and what arrives at once within a second's worth. */
static size_t paced_read(struct transport *t, size_t len)
{
	struct call c = call_begin(t, t->timeout);
	size_t n, most;

	if (t->bwlimit == NULL || len == 0)
		return len;
	c.pause = true;
	while ((n = bwlimit_take(t->bwlimit, len, &c.wake)) == 0)
		if (bwlimit_stopped(t->bwlimit) || !call_wait(&c))
			return 0;
	most = bwlimit_piece(t->bwlimit) / 4 > 0 ? bwlimit_piece(t->bwlimit) / 4 : 1;
	if (n > most) {
		bwlimit_give_back(t->bwlimit, n - most);
		n = most;
	}
	return n;
}

/* A read of the server's file, resumed where it stopped: a server may
 * answer READ with fewer bytes than asked (the SFTP drafts allow it), and
 * libssh2 1.10's read-ahead then takes the short answer for the end of the
 * file, or fails with "Read Packet At Unexpected Offset". Up to the size
 * the listing gave, an end or such a failure is taken up again at the
 * first byte not yet handed out, READ_RESUMES times in a row at most
 * without progress; a file that still ends early is a transport failure,
 * never a damaged revision. */
static ssize_t read_some(struct remote_file *f, char *buf, size_t len, struct err *e)
{
	struct transport *t = f->t;

	if (f->read_cap != 0 && len > f->read_cap)
		len = f->read_cap;
	for (int stuck = 0;; stuck++) {
		size_t asked = paced_read(t, len);
		struct call c;
		ssize_t n;
		int lerr;

		if (atomic_load(&t->interrupted))
			return interrupted_error(t, e), -1;
		if (asked == 0 && len > 0 && bwlimit_stopped(t->bwlimit))
			return err_set(e, RV_FAIL, "cancelled while the bandwidth cap held back the download "
				       "from %s", t->where), -1;
		if (asked == 0 && len > 0)
			return sftp_error(t, e, "read", f->path), -1;
		c = call_begin(t, t->timeout);
		while ((n = libssh2_sftp_read(f->h, buf, asked)) == LIBSSH2_ERROR_EAGAIN && call_wait(&c))
			;
		if (t->bwlimit != NULL)
			bwlimit_give_back(t->bwlimit, n > 0 ? asked - (size_t)n : asked);
		if (n > 0)
			return n;
		lerr = libssh2_session_last_errno(t->session);
		if (f->size == REMOTE_SIZE_UNKNOWN || f->offset >= f->size ||
		    (n < 0 && (t->gave_up != GAVE_UP_NONE || lerr != LIBSSH2_ERROR_SFTP_PROTOCOL))) {
			if (n < 0) {
				sftp_error(t, e, "read", f->path);
				if (file_again(f, e) != RV_OK)
					return -1;
				stuck = -1; /* a new connection, not a server stopping short */
				continue;
			}
			return 0;
		}
		/* libssh2 drops the short answer it got when a later one in the
		 * same call fails (and, in 1.10, leaks it): from here on, reads
		 * small enough that libssh2 keeps one request in flight (it asks
		 * for four times the read, in requests of up to 30,000 bytes), so
		 * that a short answer is simply taken up by the next request. */
		if (stuck >= READ_RESUMES)
			return err_set(e, RV_FAIL, "cannot read %s on %s: the server stops sending at "
				       "byte %llu of %llu (%s); try again", f->path, t->host,
				       (unsigned long long)f->offset, (unsigned long long)f->size,
				       n < 0 ? last_error(t) : "end of file"), -1;
		if (len > READ_SERIAL)
			len = f->read_cap = READ_SERIAL;
		read_resume(f);
	}
}

long remote_read_head(struct remote_file *f, void *buf, size_t len, struct err *e)
{
	uint64_t size = f->size;
	size_t got = 0;

	if (size != REMOTE_SIZE_UNKNOWN && size - f->offset < len)
		len = (size_t)(size - f->offset);
	/* Resumed short answers stop at what was asked for. */
	f->size = f->offset + len;
	while (got < len) {
		ssize_t n = read_some(f, (char *)buf + got, len - got, e);

		if (n < 0) {
			f->size = size;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		f->offset += (uint64_t)n;
	}
	f->size = size;
	return (long)got;
}

long remote_read(struct remote_file *f, void *buf, size_t len, struct err *e)
{
	/* A large buffer is filled by libssh2 itself, which then asks for four
	 * times its size ahead: one copy less than through f->buf, whose big
	 * requests libssh2 pipelines into many reads in flight (8 MiB of them:
	 * what a link of a long round trip needs, SLOW_READ_RTT). */
	bool direct = len >= DIRECT_READ && f->t->rtt < SLOW_READ_RTT;
	ssize_t n;

	if (f->start == f->end) {
		if (f->eof || len == 0)
			return 0;
		if (!direct && f->buf == NULL)
			f->buf = xmalloc(READ_CHUNK);
		n = read_some(f, direct ? (char *)buf : (char *)f->buf, direct ? len : READ_CHUNK, e);
		if (n < 0)
			return -1;
		if (n == 0)
			f->eof = true;
		if (n == 0 || direct) {
			f->offset += (uint64_t)n;
			return (long)n;
		}
		f->start = 0;
		f->end = (size_t)n;
	}
	if (len > f->end - f->start)
		len = f->end - f->start;
	memcpy(buf, f->buf + f->start, len);
	f->start += len;
	f->offset += len;
	return (long)len;
}

void remote_close(struct remote_file *f)
{
	remote_abort(f);
}
