/* transport: SFTP over libssh2. Connect, check the server's host key against
 * the pinned ones before anything about the user is sent, authenticate, and
 * move files with enough data in flight to keep the channel busy. Calls are
 * blocking and bounded by the session timeout; transport_interrupt() from
 * another thread makes a blocked call return at once. */
#ifndef REVAULT_CORE_TRANSPORT_H
#define REVAULT_CORE_TRANSPORT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/settings.h"
#include "core/url.h"

struct hostkey {
	char type[40];    /* ssh-ed25519, ecdsa-sha2-nistp256, ... */
	char sha256[64];  /* "SHA256:" + unpadded base64, as ssh-keygen -l prints */
	char md5[64];     /* "MD5:aa:bb:..." */
};

enum hostkey_verdict {
	HOSTKEY_MATCH,
	HOSTKEY_UNKNOWN, /* nothing pinned for host:port */
	HOSTKEY_CHANGED, /* pinned, and the server's key differs or is of another type */
};

struct transport_config {
	const struct sftp_url *url;
	const char *username;            /* NULL: url->user, else the local user */
	enum auth_method auth;
	const char *password;            /* clear text, owned by the caller */
	const char *identity;            /* private key file */
	const char *identity_passphrase; /* clear text or NULL */
	unsigned connect_timeout;        /* seconds */
	unsigned timeout;                /* seconds per call */
	const struct known_host *known;  /* to restrict host key types before the handshake */
	size_t nknown;
	/* Told once per session what the job should warn about and goes on
	 * without (a server that refuses fsync@openssh.com). May be NULL. */
	void (*warn)(void *arg, const char *msg);
	void *warn_arg;
	/* The bandwidth cap (core/bwlimit.h) every write and read asks before
	 * its bytes go on the wire; owned by the caller, NULL: none. */
	struct bwlimit *bwlimit;
	/* server.retries: how often a connection is tried again (0: never).
	 * A connect that fails in a way that may pass (refused, timed out, or
	 * closed before the server's banner: OpenSSH's MaxStartups) is tried
	 * again after 1, 2, 4, ... s (at most 30 s); so is a connection lost
	 * during an upload (remote_write, remote_commit before its rename) or
	 * a download (remote_read), which then continues where it stood on a
	 * new connection that must offer the very host key the first one did
	 * (else RV_HOSTKEY, the usual changed-key error, at once). The count
	 * starts again once the transfer has moved on. Each try is told to
	 * warn. */
	unsigned retries;
	/* server.channels: how many SFTP channels of the session an upload
	 * may write over at most (1-4; 0 is taken as 1). More than one are
	 * opened only once the upload is found bound by one channel's window
	 * (RFC 4254 section 5.2: what the server acknowledges per round trip
	 * reaches half of it) and no bandwidth cap is set; the rest of the
	 * file then goes in stripes of 8 MiB, one channel each, into the same
	 * temporary (docs/ARCHITECTURE.md, "Several SFTP channels"). */
	unsigned channels;
	/* The caller's cancel (may be NULL), read from the transfer's thread
	 * while it waits between two tries of server.retries: set, the wait
	 * and the tries end at once with a "cancelled" error. */
	const atomic_bool *cancel;
};

struct transport;

struct transport *transport_new(const struct transport_config *c);
void transport_free(struct transport *t);
/* From any thread: makes a blocked call fail promptly (cancel). */
void transport_interrupt(struct transport *t);

/* TCP connect and SSH handshake; the host key is then available. Tried
 * again within server.retries (see struct transport_config). RV_FAIL says
 * which failure it was: "connection refused: nothing listens on port N",
 * "closed the connection before its banner: busy (MaxStartups?)", "timed
 * out", with the number of tries when there were several. */
int transport_connect(struct transport *t, struct err *e);
/* How many times a lost connection was made again and its transfer went
 * on (server.retries). */
unsigned transport_reconnects(const struct transport *t);
const struct hostkey *transport_hostkey(const struct transport *t);
/* Compares the server's key with the pinned ones, in constant time. On
 * CHANGED, e holds an OpenSSH-style warning with expected and offered
 * fingerprints (code RV_HOSTKEY); on UNKNOWN, a message saying to run
 * `revault authenticate` or pin the key. */
enum hostkey_verdict transport_check_hostkey(const struct transport *t, const struct known_host *k,
					     size_t n, struct err *e);
/* Only after the host key was accepted. RV_AUTH when refused. */
int transport_auth(struct transport *t, struct err *e);
/* Opens the SFTP subsystem and checks the URL's directory exists. From
 * here on every call is bounded by server.timeout (fsync and the close
 * after it by 4 × that, at least 120 s), returns at once on a cancel, and
 * says so at once when the server closes the SFTP channel (with its exit
 * status when it sent one). An SFTP start that fails or is still silent
 * after 2 s is looked into over a second connection (same host key, same
 * login), which tells a missing sftp-server (the channel closed at once,
 * exit status 127 from Dropbear) and a login script printing text from a
 * slow server. */
int transport_sftp(struct transport *t, struct err *e);
/* For long local work between calls (the scan, compressing): when the
 * SFTP channel has carried nothing for 0.5 s, sends a request on it
 * without waiting for the answer, so that a server that closes idle
 * channels (OpenSSH's ChannelTimeout, whole seconds) keeps it open. Cheap
 * to call often; from the thread that makes the other calls. */
void transport_idle(struct transport *t);

struct remote_entry {
	char *name;
	uint64_t size;
	int64_t mtime;
	bool is_dir;
	bool is_other;     /* neither a file nor a folder: a FIFO, a device, a socket (a
			    * symlink shows as what it points to) */
};

/* Paths are absolute on the server. transport_mkdirs makes the folder
 * (one round trip when only its last component is missing), going up to
 * make missing parents only when the server says they are missing; a
 * folder that is there already is RV_OK (one round trip more). */
int transport_mkdirs(struct transport *t, const char *path, struct err *e);
/* The entries of dir, without . and .. and without names longer than 255
 * bytes (skipped); *out is allocated (remote_entries_free). A listing of
 * more than 100,000 entries or 64 MiB of names, or not done within
 * server.timeout as a whole, is refused: RV_FAIL with one line naming
 * dir, and the session ends (a server that does that is not asked again). */
int transport_list(struct transport *t, const char *dir, struct remote_entry **out, size_t *n,
		   struct err *e);
void remote_entries_free(struct remote_entry *v, size_t n);
int transport_unlink(struct transport *t, const char *path, struct err *e);
/* True when the last request failed only because its file or folder is
 * not there (SSH_FX_NO_SUCH_FILE or NO_SUCH_PATH, draft-ietf-secsh-filexfer-02
 * section 7) and the session is still good. */
bool transport_gone(const struct transport *t);
/* Never overwrites (SFTP v3): fails when `to` exists. */
int transport_rename(struct transport *t, const char *from, const char *to, struct err *e);

struct remote_file;

/* Streaming upload: create (exclusive, mode 0600), write, then commit.
 * remote_abort closes without committing; the caller unlinks. A lost
 * connection is made again (server.retries): the same file is opened for
 * writing again (no create, no truncate), must hold at least the bytes the
 * server acknowledged, and gets the unacknowledged rest, which is all the
 * upload keeps in memory. */
struct remote_file *transport_create(struct transport *t, const char *path, struct err *e);
int remote_write(struct remote_file *f, const void *buf, size_t len, struct err *e);
/* Bytes acknowledged since the last flush (0 when the server has no
 * fsync@openssh.com), and a flush of them now: lets a caller with nothing
 * to send have the server's disk write back early, so that the flush in
 * remote_commit waits for less. */
uint64_t remote_unflushed(const struct remote_file *f);
/* From now on, stores in *acked the bytes of the upload the server has
 * acknowledged (SSH_FXP_STATUS OK for each SSH_FXP_WRITE,
 * draft-ietf-secsh-filexfer-02 section 7) as each acknowledgement comes,
 * so another thread can show the upload's progress while remote_write
 * waits on the bandwidth cap or the window; *acked must outlive f. */
void remote_count_acked(struct remote_file *f, _Atomic uint64_t *acked);
/* A refused fsync@openssh.com (OP_UNSUPPORTED, PERMISSION_DENIED,
 * BAD_MESSAGE) is not asked again and, unless unsupported, warned about
 * once per session; a FAILURE (the server's disk: EIO, ENOSPC) is RV_FAIL. */
int remote_flush(struct remote_file *f, struct err *e);
/* The end of an upload, in this order: every byte written and
 * acknowledged, remote_flush, the close confirmed, the rename to
 * final_path (never overwriting: a look first, and a rename that fails
 * when the name exists; RV_FAIL "exists already"), and a read-back of
 * the first 1 KiB under final_path, which must be the bytes written (a
 * server whose rename overwrites can have let another upload of the same
 * name replace it). RV_OK only when all of them succeeded; f is freed
 * either way. *renamed tells whether the temporary is gone (renamed);
 * when it is not, the caller unlinks it. A connection lost before the
 * rename is sent is made again (server.retries) and the end goes on; one
 * lost during the rename is not (whether it happened is unknown): RV_FAIL,
 * and never an incomplete file under final_path. The read-back after an
 * answered rename may use a new connection. */
int remote_commit(struct remote_file *f, const char *final_path, bool *renamed, struct err *e);
void remote_abort(struct remote_file *f);

#define REMOTE_SIZE_UNKNOWN UINT64_MAX
/* Streaming download with large pipelined reads. size is the file's size
 * from transport_list (bytes), or REMOTE_SIZE_UNKNOWN: a server that stops
 * short of it (short READ answers, which libssh2 1.10 takes for the end)
 * is asked again from the first byte not yet read, and a file that still
 * ends early fails with RV_FAIL (a transport failure, never "damaged").
 * A lost connection is made again (server.retries) and the read goes on
 * at the first byte not yet handed out. remote_read returns the number of
 * bytes read, 0 at end of file, -1 on error (e set). */
struct remote_file *transport_open(struct transport *t, const char *path, uint64_t size,
				   struct err *e);
long remote_read(struct remote_file *f, void *buf, size_t len, struct err *e);
/* Reads the next len bytes (fewer at the end of the file) asking the
 * server for those only: libssh2 reads ahead four times what it is asked,
 * and remote_read asks for 2 MiB, so a revision's 1 KiB header read
 * through it cost 8 MiB. Short answers are resumed as in remote_read.
 * Returns the bytes read, or -1 (e set). */
long remote_read_head(struct remote_file *f, void *buf, size_t len, struct err *e);
void remote_close(struct remote_file *f);

#endif
