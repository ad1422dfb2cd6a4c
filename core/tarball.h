/* tarball: the archive inside a backup. A pax tar (zstd-compressed) of the
 * configured sources, stored relative to "/", led by a manifest entry that
 * names the sources. Extraction goes into staging directories beside each
 * target and is swapped into place only after everything was read and
 * verified. */
#ifndef REVAULT_CORE_TARBALL_H
#define REVAULT_CORE_TARBALL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/err.h"

#define TARBALL_MANIFEST ".revault-manifest"

/* Receives compressed archive bytes. Non-zero stops with e set. */
typedef int (*tarball_out)(void *arg, const void *buf, size_t len, struct err *e);
/* Supplies compressed archive bytes: returns the count, 0 at the end, -1 with e set. */
typedef ssize_t (*tarball_in)(void *arg, const void **buf, struct err *e);

struct tarball_progress {
	_Atomic uint64_t bytes;       /* file data bytes archived or extracted */
	_Atomic uint64_t files;
	_Atomic uint64_t skipped;     /* entries left out: unreadable, vanished, sockets */
	_Atomic uint64_t changed;     /* files that changed while they were read */
	char current[256];            /* last file name, for display (racy by design) */
};

/* A file by identity: the same file whatever path, symlink or bind mount
 * reaches it. */
struct tarball_file_id {
	dev_t dev;
	ino_t ino;
};

struct tarball_create_opts {
	char *const *sources;
	size_t nsources;
	char *const *exclude;
	size_t nexclude;
	/* Never archived, nor descended into: the machine's secrets and the
	 * state folder (docs/ARCHITECTURE.md, "Files on the machine"), matched by device and inode. */
	const struct tarball_file_id *never;
	size_t nnever;
	unsigned level;            /* zstd level */
	atomic_bool *cancel;
	struct tarball_progress *progress;
	/* Called for each unreadable file: the backup goes on without it. */
	void (*warn)(void *arg, const char *msg);
	void *warn_arg;
	/* Called every 64 entries walked (left out or not), from the walking
	 * thread: the job sets it for tarball_scan, on its connection's
	 * thread, to keep the connection busy. May be NULL. */
	void (*tick)(void *arg);
	void *tick_arg;
};

/* Counts files and bytes so progress can show a percentage. */
int tarball_scan(const struct tarball_create_opts *o, uint64_t *files, uint64_t *bytes, struct err *e);
int tarball_create(const struct tarball_create_opts *o, tarball_out out, void *arg, struct err *e);

struct tarball_stage;

struct tarball_protect {
	const char *path;  /* resolved, absolute */
	const char *what;  /* for the refusal: "revault's state folder" */
};

/* One entry of a revision as `revault ls` and the browse screen show it,
 * valid only during the call that passes it. */
struct tarball_entry {
	const char *path;       /* absolute, as stored: "/etc/hosts" (raw bytes; escape to show) */
	char type;              /* as ls -l and tar -tv: '-' file, 'd', 'l' symlink, 'h' hard
				 * link, 'c', 'b', 'p' */
	const char *mode_text;  /* "drwxr-xr-x" (archive_entry_strmode), "+" after it with ACLs */
	const char *uname, *gname; /* owner names, NULL when the archive has none */
	int64_t uid, gid;
	uint64_t size;          /* bytes of file data (0 for all but regular files) */
	int64_t mtime;          /* seconds since the epoch, UTC */
	const char *link;       /* symlink target as stored, or a hard link's absolute
				 * path; NULL otherwise */
};

struct tarball_extract_opts {
	const char *to_dir;        /* NULL: in place; else under this directory (checked
				    * with tarball_check_to, created 0700 when missing) */
	const char *journal;       /* where the swap is recorded while it runs: in the
				    * state folder, never inside a target */
	bool verify_only;          /* read and check everything, write nothing */
	/* In place: the sources this machine backs up. Only the revision's
	 * sources among them are replaced; the others are named in a warning
	 * and left alone. NULL: every source of the revision (--to DIR,
	 * --all-sources). */
	char *const *sources;
	size_t nsources;
	/* Files (absolute paths) that are never in a backup but live inside a
	 * target: the machine's secrets. Each is carried into the staged tree
	 * before the swap, so the swap never drops it. */
	char *const *keep;
	size_t nkeep;
	/* Places a restore never replaces, writes into or over (where they lie
	 * on disk): the state folder always; under --to DIR also this
	 * machine's sources and the settings folder, which only an in-place
	 * restore replaces (with its confirmation and its keys kept). */
	const struct tarball_protect *protect;
	size_t nprotect;
	/* Only these paths (absolute, in one spelling: sources_normalise) and
	 * what lies under them are restored, or listed; each replaces just
	 * itself in place, exactly as a source does. A path that is not in
	 * the revision is RV_USAGE naming it, and nothing changes: one
	 * outside the revision's sources as soon as the manifest is read,
	 * one inside them once the whole archive was read and verified. A
	 * path inside another given path is covered by it. NULL: everything. */
	char *const *paths;
	size_t npaths;
	/* With verify_only: called for each entry once it passed the archive
	 * rules (under paths when given), on the thread that reads, in
	 * archive order, nothing kept: `ls` streams. The manifest is not an
	 * entry. The bytes already read are verified, the rest not yet. */
	void (*entry)(void *arg, const struct tarball_entry *en);
	void *entry_arg;
	atomic_bool *cancel;
	struct tarball_progress *progress;
	void (*warn)(void *arg, const char *msg);
	void *warn_arg;
};

/* Checks a --to DIR before anything is read: an existing DIR must be a real
 * directory (not a symlink), owned by the caller or root and not writable
 * by others. RV_USAGE with the reason, else RV_OK. */
int tarball_check_to(const char *dir, struct err *e);

/* Reads the whole archive and checks every entry against the archive rules
 * of docs/FORMAT.md (an entry outside its source, through a symlink, a
 * duplicate, a bad hard link, a damaged header: RV_INTEGRITY naming the
 * entry). In restore mode extracts into staging directories beside the
 * targets, every path resolved beneath the stage's descriptor (core/fsat),
 * and returns them in *stage; nothing is in place yet. On failure the
 * staging directories (and a --to DIR it made) are already removed and the
 * machine is as it was. */
int tarball_extract(const struct tarball_extract_opts *o, tarball_in in, void *arg,
		    struct tarball_stage **stage, struct err *e);
/* The targets a stage would replace, for a confirmation question. */
size_t tarball_stage_targets(const struct tarball_stage *st, const char ***targets);
/* Swaps the staged trees into place: the stage is synced (syncfs), each
 * target is renamed aside, the staged tree renamed in, and only when all
 * succeeded are the old trees removed (an old tree that cannot be removed
 * is a warning with the command that removes it). On failure everything
 * swapped so far is put back. */
int tarball_commit(struct tarball_stage *st, struct err *e);
/* Removes the staging directories (restore abandoned). */
void tarball_discard(struct tarball_stage *st);
/* Finishes a swap that a killed run left half done, from its journal: every
 * target ends up restored (the staged trees were verified before the swap
 * began) and the old trees are removed. Returns RV_OK with *recovered set
 * when there was something to do; no journal is not an error. warn (may be
 * NULL) hears of leftovers that could not be removed. */
int tarball_recover(const char *journal, bool *recovered, void (*warn)(void *arg, const char *msg),
		    void *warn_arg, struct err *e);

#endif
