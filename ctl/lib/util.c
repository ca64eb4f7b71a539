// SPDX-License-Identifier: GPL-2.0
/* Errors, privileges and bpffs handling for the CLI. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include "fg.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static int verror(int err, const char *fmt, va_list ap)
{
	fputs("Error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	return err;
}

int fg_error(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(err, fmt, ap);
	va_end(ap);
	return err;
}

int fg_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(-FG_EUSAGE, fmt, ap);
	va_end(ap);
	return -FG_EUSAGE;
}

const char *fg_strerr(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case EPERM:
	case EACCES:
		return "operation not permitted: CAP_BPF/CAP_SYS_ADMIN and "
		       "CAP_NET_ADMIN are needed, and bpf() must not be locked "
		       "down (kernel lockdown, or a seccomp/LSM policy)";
	case ENOENT:
		return "not found";
	default:
		return strerror(err);
	}
}

/* Effective capability set of this process, straight from capget(2) so that
 * no libcap is needed. */
static int caps_effective(__u64 *eff)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	*eff = (__u64)data[1].effective << 32 | data[0].effective;
	return 0;
}

int fg_check_caps(unsigned int need)
{
	__u64 eff = 0;
	int err = caps_effective(&eff);

	if (err)
		return 0; /* cannot tell: let the kernel decide */
	if ((need & FG_NEED_BPF) && !(eff & (1ULL << CAP_BPF)) &&
	    !(eff & (1ULL << CAP_SYS_ADMIN)))
		return fg_error(-EPERM, "missing capability CAP_BPF (or "
					"CAP_SYS_ADMIN): run as root");
	if ((need & FG_NEED_NET_ADMIN) && !(eff & (1ULL << CAP_NET_ADMIN)))
		return fg_error(-EPERM, "missing capability CAP_NET_ADMIN: "
					"run as root");
	return 0;
}

const char *fg_pin_dir(void)
{
	const char *env = getenv("FLOWGATE_BPFFS");

	if (fg_opts.bpffs && *fg_opts.bpffs)
		return fg_opts.bpffs;
	if (env && *env)
		return env;
	return FG_PIN_DEFAULT;
}

int fg_pin_path(char *buf, size_t len, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", fg_pin_dir(), name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == BPF_FS_MAGIC;
}

/* The deepest existing ancestor of path (path itself if it exists). */
static void existing_ancestor(const char *path, char *out, size_t len)
{
	char *slash;

	snprintf(out, len, "%s", path);
	while (access(out, F_OK)) {
		slash = strrchr(out, '/');
		if (!slash || slash == out) {
			snprintf(out, len, "/");
			return;
		}
		*slash = '\0';
	}
}

/* The root of the bpffs mount holding path (an existing directory). */
static void bpffs_root(const char *path, char *out, size_t len)
{
	struct stat st, up;
	char parent[4096], *slash;

	snprintf(out, len, "%s", path);
	if (stat(out, &st))
		return;
	for (;;) {
		snprintf(parent, sizeof(parent), "%s", out);
		slash = strrchr(parent, '/');
		if (!slash || slash == parent)
			return;
		*slash = '\0';
		if (stat(parent, &up) || up.st_dev != st.st_dev)
			return;
		snprintf(out, len, "%s", parent);
	}
}

/*
 * libxdp pins the dispatcher's links under its bpffs (/sys/fs/bpf/xdp): the
 * programs stay in the dispatcher only while those pins exist, and every
 * later libxdp call finds them there. Where /sys/fs/bpf is no bpffs (not
 * mounted, or `ip netns exec` remounted /sys), libxdp would mount one that
 * may die with this process's mount namespace: use the bpffs that holds
 * our pins instead, when our pin directory lies below its root.
 */
void fg_libxdp_follow_pins(void)
{
	char anc[4096], root[4096];

	if (getenv("LIBXDP_BPFFS") || is_bpffs("/sys/fs/bpf"))
		return;
	existing_ancestor(fg_pin_dir(), anc, sizeof(anc));
	if (!is_bpffs(anc))
		return;
	bpffs_root(anc, root, sizeof(root));
	if (strcmp(root, fg_pin_dir()))
		setenv("LIBXDP_BPFFS", root, 1);
}

/*
 * bpffs is not mounted at boot on every system. If the pin directory is not
 * on bpffs, mount it: at /sys/fs/bpf when the directory lies below it (the
 * usual place, which libxdp also expects), else on the directory itself.
 */
/* True when this process runs in a mount namespace its parent is not in:
 * one made for this command alone, as `ip netns exec` makes (it also
 * remounts /sys, so /sys/fs/bpf there is empty). A bpffs mounted in it
 * goes away with the command, and the pins with it. */
static bool private_mount_ns(void)
{
	char self[64], parent[64], path[64];
	ssize_t a, b;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)getppid());
	a = readlink("/proc/self/ns/mnt", self, sizeof(self) - 1);
	b = readlink(path, parent, sizeof(parent) - 1);
	if (a <= 0 || b <= 0)
		return false; /* cannot tell: the parent is not ours to see */
	return a != b || memcmp(self, parent, a);
}

int fg_ensure_bpffs(void)
{
	const char *dir = fg_pin_dir();
	const char *where = "/sys/fs/bpf";
	char anc[4096];

	existing_ancestor(dir, anc, sizeof(anc));
	if (is_bpffs(anc))
		return 0;
	if (private_mount_ns())
		return fg_error(-EXDEV,
				"%s is not on a bpffs, and one mounted now "
				"would vanish with this command (its mount "
				"namespace is its own, as under 'ip netns "
				"exec'), leaving programs nobody can see: "
				"mount a bpffs outside /sys in the host "
				"namespace (mount -t bpf bpf /run/flowgate/NS) "
				"and give it with --bpffs, or use 'nsenter "
				"--net=/run/netns/NS'",
				dir);
	if (strncmp(dir, "/sys/fs/bpf/", 12)) {
		where = dir;
		if (mkdir(dir, 0700) && errno != EEXIST)
			return fg_error(-errno, "cannot create %s: %s", dir,
					strerror(errno));
	}
	if (mount("bpf", where, "bpf", 0, "mode=0700"))
		return fg_error(-errno, "cannot mount bpffs on %s: %s", where,
				strerror(errno));
	fg_libxdp_follow_pins();
	return 0;
}

/* Rule and config files are read whole; this bounds what a typo in a path
 * (a disk image, a log) can make us read. */
#define FG_FILE_MAX (64u << 20)

int fg_grow(void *arr, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t want = *cap ? *cap * 2 : first;
	void **p = arr, *q;

	if (n < *cap)
		return 0;
	q = realloc(*p, want * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = want;
	return 0;
}

int fg_read_file(const char *path, char **buf, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	FILE *f = fopen(path, "rb");
	char *b = NULL, *nb;
	size_t got;
	int err = 0;

	struct stat st;

	if (!f)
		return -errno;
	/* fopen() opens a directory; reading it fails with EISDIR only on
	 * some file systems (EIO elsewhere): say what it is up front. */
	if (!fstat(fileno(f), &st) && S_ISDIR(st.st_mode)) {
		fclose(f);
		return -EISDIR;
	}
	do {
		if (n + 1 >= cap || !b) {
			cap = b ? cap * 2 : cap;
			nb = realloc(b, cap);
			if (!nb) {
				err = -ENOMEM;
				break;
			}
			b = nb;
		}
		got = fread(b + n, 1, cap - n - 1, f);
		n += got;
		if (n > FG_FILE_MAX)
			err = -EFBIG;
	} while (!err && got);
	if (!err && ferror(f))
		err = -EIO;
	fclose(f);
	if (err) {
		free(b);
		return err;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

int fg_read_file_say(const char *path, char **buf, size_t *len)
{
	int err = fg_read_file(path, buf, len);

	if (err)
		return fg_error(err, "cannot read %s: %s", path,
				err == -EFBIG ? "larger than 64 MiB"
				: err == -EACCES || err == -EPERM
					? strerror(-err)
					: fg_strerr(err));
	return 0;
}

int fg_perr(struct fg_perr *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int fg_perr_report(int err, const char *file, const struct fg_perr *e)
{
	if (file && e->line)
		return fg_error(err, "%s:%u: %s", file, e->line, e->msg);
	if (file)
		return fg_error(err, "%s: %s", file, e->msg);
	return fg_error(err, "%s", e->msg);
}

int fg_parse_file(const char *path, fg_parse_fn *parse, void *ctx)
{
	struct fg_perr e = {};
	size_t len;
	char *buf;
	int err;

	err = fg_read_file_say(path, &buf, &len);
	if (err)
		return err;
	err = parse(buf, len, ctx, &e);
	free(buf);
	return err ? fg_perr_report(err, path, &e) : 0;
}

/*
 * A plain BPF object shipped with flowgate (for other loaders, such as
 * xdp-loader): $FLOWGATE_BPF_OBJ names the XDP object (its folder holds
 * the others), else the folder the installation put them in, relative
 * to the binary (PREFIX/bin/flowgate -> PREFIX/lib/flowgate/), else the
 * binary's own folder (the build tree).
 */
int fg_bpf_obj_path(char *buf, size_t len, const char *name)
{
	const char *env = getenv("FLOWGATE_BPF_OBJ"), *slash;
	char exe[4096], real[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		slash = strrchr(env, '/');
		if (!strcmp(slash ? slash + 1 : env, name))
			snprintf(buf, len, "%s", env);
		else
			snprintf(buf, len, "%.*s%s",
				 slash ? (int)(slash - env + 1) : 0, env, name);
		return access(buf, R_OK) ? -errno : 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -ENOENT;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	exe[slash - exe] = '\0';
	snprintf(buf, len, "%s/../lib/flowgate/%s", exe, name);
	if (realpath(buf, real)) {
		snprintf(buf, len, "%s", real);
		return 0;
	}
	snprintf(buf, len, "%s/%s", exe, name);
	return access(buf, R_OK) ? -ENOENT : 0;
}

/* The object's .rodata map, writable until load. */
static char *rodata_of(struct bpf_object *obj, size_t *size)
{
	struct bpf_map *m;
	const char *mn;
	size_t n;

	bpf_object__for_each_map(m, obj)
	{
		mn = bpf_map__name(m);
		n = strlen(mn);
		if (bpf_map__is_internal(m) && n >= 7 &&
		    !strcmp(mn + n - 7, ".rodata"))
			return (char *)bpf_map__initial_value(m, size);
	}
	return NULL;
}

/* The rodata variable `name` of obj: its bytes (at most 8), or NULL. */
static char *rodata_var(struct bpf_object *obj, const char *name, size_t *vsize)
{
	struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec, *v;
	size_t size;
	char *data;
	int id, i;

	id = btf ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC)
		 : -1;
	if (id < 0)
		return NULL;
	sec = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vs++) {
		v = btf__type_by_id(btf, vs->type);
		if (strcmp(btf__name_by_offset(btf, v->name_off), name))
			continue;
		data = rodata_of(obj, &size);
		if (!data || vs->offset + vs->size > size ||
		    vs->size > sizeof(__u64))
			return NULL;
		*vsize = vs->size;
		return data + vs->offset;
	}
	return NULL;
}

int fg_obj_set_rodata(struct bpf_object *obj, const char *name, __u64 val)
{
	size_t n;
	char *p = rodata_var(obj, name, &n);

	if (!p)
		return -ENOENT;
	memset(p, 0, n);
	/* little endian: the value's low bytes */
	memcpy(p, &val, n);
	return 0;
}

int fg_obj_get_rodata(struct bpf_object *obj, const char *name, __u64 *val)
{
	size_t n;
	char *p = rodata_var(obj, name, &n);

	if (!p)
		return -ENOENT;
	*val = 0;
	memcpy(val, p, n);
	return 0;
}
