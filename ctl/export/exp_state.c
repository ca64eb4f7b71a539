// SPDX-License-Identifier: GPL-2.0
/*
 * The pinned mirror of the export shadow, fg_expstate: made, mapped, and
 * migrated from the layouts of earlier versions (export.h has the row
 * layout and why it is an mmapped array).
 *
 * A migration never leaves a moment without a complete mirror pinned: the
 * new array is filled and pinned under a name of its own, then renamed
 * over fg_expstate in one step. A crash before the rename leaves the old
 * mirror in force (and the half-made one is removed next time); after it,
 * the new one. Either way the next exporter neither repeats nor loses a
 * delta more than a crash without a migration would.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fg.h"
#include "export.h"

#define TMP_SUFFIX "_new" /* bpffs refuses names with a dot */

static int info_of(int fd, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(fd, info, &len) ? -errno : 0;
}

static bool is_rows(const struct bpf_map_info *i)
{
	return i->type == BPF_MAP_TYPE_ARRAY &&
	       i->value_size == sizeof(struct fg_exp_row) &&
	       (i->map_flags & BPF_F_MMAPABLE);
}

/* The layout before the array: shadows in a hash by flow key. */
static bool is_hash(const struct bpf_map_info *i)
{
	return i->type == BPF_MAP_TYPE_HASH &&
	       i->key_size == sizeof(struct fg_flow_key) &&
	       i->value_size == sizeof(struct fg_exp_shadow);
}

static size_t map_len(__u32 n)
{
	long pg = sysconf(_SC_PAGESIZE);

	return ((size_t)n * sizeof(struct fg_exp_row) + pg - 1) / pg * pg;
}

int fg_exp_state_map(int fd, bool write, struct fg_exp_row **rows, __u32 *n)
{
	struct bpf_map_info info;
	void *p;
	int err = info_of(fd, &info);

	if (err)
		return err;
	if (!is_rows(&info))
		return -EPROTO;
	p = mmap(NULL, map_len(info.max_entries),
		 PROT_READ | (write ? PROT_WRITE : 0), MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	*rows = p;
	*n = info.max_entries;
	return 0;
}

void fg_exp_state_unmap(struct fg_exp_row *rows, __u32 n)
{
	if (rows)
		munmap(rows, map_len(n));
}

/* A stable copy of row r, if it holds a shadow (a seqlock read: the
 * exporter may be writing it). */
static bool row_read(const struct fg_exp_row *r, struct fg_exp_row *out)
{
	__u32 s1, s2;
	int tries;

	for (tries = 0; tries < 100; tries++) {
		s1 = __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE);
		if (!s1)
			return false;
		memcpy(out, (const void *)r, sizeof(*out));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&r->seq, __ATOMIC_RELAXED);
		if (s1 == s2 && !(s1 & 1))
			return true;
	}
	return false;
}

struct fill {
	struct fg_exp_row *rows;
	__u32 n, next; /* rows, and the next one to fill */
	int err;
};

static void fill_row(struct fill *f, const struct fg_flow_key *k,
		     const struct fg_exp_shadow *v)
{
	if (f->next >= f->n) {
		f->err = -E2BIG;
		return;
	}
	f->rows[f->next].key = *k;
	f->rows[f->next].v = *v;
	f->rows[f->next].seq = 2;
	f->next++;
}

static void fill_hash_one(const void *key, const void *val, int ncpu, void *ctx)
{
	fill_row(ctx, key, val);
}

/* Copy every shadow of the old mirror fd (either layout) into f. */
static int fill_from(struct fill *f, int fd, const struct bpf_map_info *old)
{
	struct fg_exp_row *rows, r;
	__u32 n, i;
	int err;

	if (is_hash(old)) {
		err = fg_map_walk(fd, sizeof(struct fg_flow_key),
				  sizeof(struct fg_exp_shadow), false,
				  fill_hash_one, f);
		return err ?: f->err;
	}
	err = fg_exp_state_map(fd, false, &rows, &n);
	if (err)
		return err;
	for (i = 1; i < n && !f->err; i++)
		if (row_read(&rows[i], &r))
			fill_row(f, &r.key, &r.v);
	fg_exp_state_unmap(rows, n);
	return f->err;
}

/* A new array of want rows pinned at path: the fd, or -errno. old >= 0:
 * filled from that mirror first, then renamed over path. */
static int make_rows(const char *path, __u32 want, int old,
		     const struct bpf_map_info *oinfo)
{
	DECLARE_LIBBPF_OPTS(bpf_map_create_opts, o,
			    .map_flags = BPF_F_MMAPABLE);
	struct fill f = {.next = 1};
	char tmp[4096];
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), "%s%s", path, TMP_SUFFIX) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	unlink(tmp); /* a migration a crash interrupted */
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, FG_MAP_EXPSTATE, sizeof(__u32),
			    sizeof(struct fg_exp_row), want, &o);
	if (fd < 0)
		return -errno;
	err = old >= 0 ? fg_exp_state_map(fd, true, &f.rows, &f.n) : 0;
	if (!err && old >= 0) {
		err = fill_from(&f, old, oinfo);
		fg_exp_state_unmap(f.rows, f.n);
	}
	if (!err && bpf_obj_pin(fd, old >= 0 ? tmp : path))
		err = -errno;
	if (!err)
		chmod(old >= 0 ? tmp : path, 0600);
	if (!err && old >= 0 && rename(tmp, path)) {
		err = -errno;
		unlink(tmp);
	}
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int fg_exp_state_open(__u32 want)
{
	struct bpf_map_info info;
	char path[4096];
	int fd, nfd, err;

	err = fg_pin_path(path, sizeof(path), FG_MAP_EXPSTATE);
	if (err)
		return err;
	fd = fg_map_open(FG_MAP_EXPSTATE);
	if (fd == -ENOENT)
		fd = make_rows(path, want, -1, NULL);
	if (fd < 0)
		return fg_error(fd, "cannot keep the export state: %s",
				fg_strerr(fd));
	err = info_of(fd, &info);
	if (!err && is_rows(&info) && info.max_entries >= want)
		return fd;
	if (!err && !is_rows(&info) && !is_hash(&info))
		err = -EPROTO;
	if (err) {
		close(fd);
		return fg_error(err,
				"%s: not an export state this version knows "
				"(%s); remove it to start afresh (every flow "
				"is then exported whole again)",
				path, fg_strerr(err));
	}
	/* An older layout, or too few rows for the table now attached. */
	nfd = make_rows(path, want, fd, &info);
	close(fd);
	if (nfd < 0)
		return fg_error(nfd,
				"cannot move the export state %s to this "
				"version's layout: %s (it is kept as it was)",
				path, fg_strerr(nfd));
	snprintf(path, sizeof(path), "export: export state moved %s, %u rows",
		 is_hash(&info) ? "to the mmapped layout" : "to a larger array",
		 want);
	fg_logt(FG_LOG_INFO, "state_moved", path, "rows=%u\tfrom=%s", want,
		is_hash(&info) ? "hash" : "array");
	return nfd;
}

static int row_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct fg_exp_row *)a)->key,
		      &((const struct fg_exp_row *)b)->key,
		      sizeof(struct fg_flow_key));
}

int fg_exp_state_read(struct fg_exp_row **out, size_t *n)
{
	struct bpf_map_info info;
	struct fill f = {0};
	int fd = fg_map_open(FG_MAP_EXPSTATE), err;

	*out = NULL;
	*n = 0;
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	err = info_of(fd, &info);
	if (!err && !is_rows(&info) && !is_hash(&info))
		err = -EPROTO;
	if (!err) {
		f.n = info.max_entries;
		f.rows = malloc((size_t)f.n * sizeof(*f.rows));
		if (!f.rows)
			err = -ENOMEM;
	}
	if (!err)
		err = fill_from(&f, fd, &info);
	close(fd);
	if (err) {
		free(f.rows);
		return err;
	}
	qsort(f.rows, f.next, sizeof(*f.rows), row_cmp);
	*out = f.rows;
	*n = f.next;
	return 0;
}

const struct fg_exp_shadow *fg_exp_state_find(const struct fg_exp_row *rows,
					      size_t n,
					      const struct fg_flow_key *k)
{
	struct fg_exp_row want = {.key = *k};
	const struct fg_exp_row *r =
		bsearch(&want, rows, n, sizeof(*rows), row_cmp);

	return r ? &r->v : NULL;
}
