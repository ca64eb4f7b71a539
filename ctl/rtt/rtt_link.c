// SPDX-License-Identifier: GPL-2.0
/*
 * `flowgate rtt enable [cgroup PATH]` and `flowgate rtt disable`: the
 * sock_ops program fg_rtt on a cgroup v2, through a bpf_link pinned with
 * its maps under <pin dir>/rtt/, so that it outlives the CLI. The link is
 * a multi-attachment: other programs on the cgroup stay as they are.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fg.h"
#include "kfeat.h"
#include "flowgate_rtt.skel.h"

/* The root of the unified hierarchy: the first cgroup2 mount. */
static int cgroup2_root(char *buf, size_t len)
{
	FILE *f = setmntent("/proc/self/mounts", "r");
	struct mntent *m;
	int err = -ENOENT;

	if (!f)
		return -errno;
	while ((m = getmntent(f)))
		if (!strcmp(m->mnt_type, "cgroup2")) {
			snprintf(buf, len, "%s", m->mnt_dir);
			err = 0;
			break;
		}
	endmntent(f);
	return err;
}

/* The cgroup's ID is its kernfs file handle (what bpf_link_info says). */
static int cgroup_id(const char *path, __u64 *id)
{
	struct {
		struct file_handle fh;
		__u64 id;
	} h = {.fh.handle_bytes = sizeof(__u64)};
	int mnt;

	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mnt, 0))
		return -errno;
	memcpy(id, h.fh.f_handle, sizeof(*id));
	return 0;
}

/* Open PATH as a cgroup v2 directory, or say why it is not one. */
static int cgroup_open(const char *path, __u64 *id)
{
	struct statfs st;
	int fd, err;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fg_error(-errno, "cannot open cgroup '%s': %s", path,
				strerror(errno));
	if (fstatfs(fd, &st) || st.f_type != CGROUP2_SUPER_MAGIC) {
		close(fd);
		return fg_error(-EINVAL, "'%s' is not a cgroup v2 directory",
				path);
	}
	err = cgroup_id(path, id);
	if (err) {
		close(fd);
		return fg_error(err, "cannot read the ID of cgroup '%s': %s",
				path, strerror(-err));
	}
	return fd;
}

/* The pinned link and what it is attached to; -ENOENT without one. */
static int link_info(struct bpf_link_info *info)
{
	__u32 len = sizeof(*info);
	int fd = fg_rtt_map_open(FG_PIN_RTT_LINK), err = 0;

	memset(info, 0, sizeof(*info));
	if (fd < 0)
		return fd;
	if (bpf_obj_get_info_by_fd(fd, info, &len))
		err = -errno;
	close(fd);
	return err;
}

__u32 fg_rtt_prog_id(void)
{
	struct bpf_link_info info;

	return link_info(&info) ? 0 : info.prog_id;
}

/* A cgroup that was removed: its link says cgroup ID 0 once the kernel has
 * released it, and until then the path is gone or names a new cgroup. */
static bool cgroup_gone(const char *path, __u64 link_cgroup_id)
{
	__u64 id = 0;

	return !link_cgroup_id || cgroup_id(path, &id) || id != link_cgroup_id;
}

bool fg_rtt_attached(const struct fg_rtt_info *info)
{
	struct bpf_link_info li;

	return !link_info(&li) &&
	       !cgroup_gone(info->cgroup, li.cgroup.cgroup_id);
}

/* Remove the RTT pins and their directory, then the pin directory if
 * nothing else is left in it. */
static int rtt_pins_remove(void)
{
	char dir[4096], path[4096 + 256];
	struct dirent *de;
	int err = fg_rtt_pin_path(dir, sizeof(dir), NULL);
	DIR *d;

	if (err)
		return err;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) && !err)
			err = -errno;
	}
	closedir(d);
	if (rmdir(dir) && !err)
		err = -errno;
	/* fails, as it should, while flowgate is attached */
	rmdir(fg_pin_dir());
	return err;
}

static void print_enabled(const struct fg_rtt_info *info, __u32 prog_id,
			  __u32 link_id, bool already)
{
	out_begin();
	out_bool("enabled", true);
	out_str("cgroup", info->cgroup);
	out_u64("cgroup_id", info->cgroup_id);
	out_u64("prog_id", prog_id);
	out_u64("link_id", link_id);
	out_str("sample_mode", fg_kfeat_rtt_mode());
	out_bool("already_enabled", already);
	out_end();
}

/* Detach the pinned link (if any) and remove the pins. */
static int clear_old(void)
{
	int fd = fg_rtt_map_open(FG_PIN_RTT_LINK), err;

	if (fd >= 0) {
		bpf_link_detach(fd); /* a defunct link has nothing to detach */
		close(fd);
	}
	err = rtt_pins_remove();
	return err ? fg_error(err, "cannot clear old RTT pins: %s",
			      fg_strerr(err))
		   : 0;
}

/*
 * A link pinned already: attached to this cgroup is success (idempotent),
 * to another one is an error. A link whose cgroup was removed is defunct:
 * it is cleared and enable goes on, as it does over the leftovers of a
 * failed enable (pins without a link). Returns 1 when already enabled
 * here, 0 to go on, or -errno.
 */
static int check_existing(const struct fg_rtt_info *want)
{
	struct fg_rtt_info cur = {};
	struct bpf_link_info li;
	__u32 zero = 0;
	int err = link_info(&li), fd;

	if (err == -ENOENT)
		return clear_old();
	if (err)
		return fg_error(err, "cannot read the RTT link: %s",
				fg_strerr(err));
	fd = fg_rtt_map_open(FG_MAP_RTT_INFO);
	if (fd >= 0) {
		bpf_map_lookup_elem(fd, &zero, &cur);
		close(fd);
	}
	cur.cgroup[sizeof(cur.cgroup) - 1] = '\0';
	if (cgroup_gone(cur.cgroup, li.cgroup.cgroup_id))
		return clear_old();
	if (li.cgroup.cgroup_id != want->cgroup_id)
		return fg_error(-EBUSY,
				"rtt is already enabled on cgroup '%s' "
				"(ID %llu): flowgate rtt disable first",
				cur.cgroup,
				(unsigned long long)li.cgroup.cgroup_id);
	print_enabled(&cur, li.prog_id, li.id, true);
	return 1;
}

static int pin_setup(struct flowgate_rtt *skel)
{
	char path[4096];
	struct bpf_map *map;
	int err;

	err = fg_ensure_bpffs();
	if (err)
		return err;
	if (fg_rtt_pin_path(path, sizeof(path), NULL))
		return -ENAMETOOLONG;
	if ((mkdir(fg_pin_dir(), 0700) && errno != EEXIST) ||
	    (mkdir(path, 0700) && errno != EEXIST))
		return fg_error(-errno, "cannot create %s: %s", path,
				strerror(errno));
	bpf_object__for_each_map(map, skel->obj)
	{
		if (strchr(bpf_map__name(map), '.'))
			continue; /* .rodata, .bss: this instance's own */
		err = fg_rtt_pin_path(path, sizeof(path), bpf_map__name(map));
		if (!err)
			err = bpf_map__set_pin_path(map, path);
		if (err)
			return fg_error(err, "cannot set up pins: %s",
					fg_strerr(err));
	}
	return 0;
}

static int load_and_link(struct flowgate_rtt *skel, int cg_fd,
			 struct fg_rtt_info *info, __u32 *link_id)
{
	struct bpf_link_info li;
	__u32 len = sizeof(li), zero = 0;
	char path[4096];
	int err;

	fg_vlog_begin();
	err = flowgate_rtt__load(skel);
	if (err)
		fg_vlog_fail(err, "cannot load the RTT program");
	fg_vlog_end();
	if (err)
		return err;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.fg_rtt_info), &zero,
				info, BPF_ANY))
		return fg_error(-errno, "cannot record the cgroup: %s",
				strerror(errno));
	skel->links.fg_rtt =
		bpf_program__attach_cgroup(skel->progs.fg_rtt, cg_fd);
	if (!skel->links.fg_rtt) {
		err = -errno;
		return fg_error(err, "cannot attach to cgroup '%s': %s",
				info->cgroup, fg_strerr(err));
	}
	err = fg_rtt_pin_path(path, sizeof(path), FG_PIN_RTT_LINK);
	if (!err)
		err = bpf_link__pin(skel->links.fg_rtt, path);
	if (err)
		return fg_error(err, "cannot pin the RTT link: %s",
				fg_strerr(err));
	chmod(path, 0600);
	if (!bpf_obj_get_info_by_fd(bpf_link__fd(skel->links.fg_rtt), &li,
				    &len))
		*link_id = li.id;
	return 0;
}

int fg_rtt_enable(const char *cgroup)
{
	struct flowgate_rtt *skel = NULL;
	struct fg_rtt_info info = {.enable_time = (__u64)time(NULL)};
	char root[PATH_MAX];
	__u32 link_id = 0;
	struct bpf_map *map;
	int cg_fd, err;

	err = fg_check_caps(FG_NEED_BPF | FG_NEED_NET_ADMIN);
	if (err)
		return err;
	fg_libs_init();
	err = fg_kfeat_check_rtt();
	if (err)
		return err;
	if (!cgroup && cgroup2_root(root, sizeof(root)))
		return fg_error(-ENOENT, "no cgroup v2 hierarchy is mounted: "
					 "give one with 'cgroup PATH'");
	if (!cgroup)
		cgroup = root;
	if (strlen(cgroup) >= sizeof(info.cgroup))
		return fg_usage("cgroup path too long (at most %zu bytes)",
				sizeof(info.cgroup) - 1);
	snprintf(info.cgroup, sizeof(info.cgroup), "%s", cgroup);
	cg_fd = cgroup_open(cgroup, &info.cgroup_id);
	if (cg_fd < 0)
		return cg_fd;
	err = check_existing(&info);
	if (err) {
		close(cg_fd);
		return err < 0 ? err : 0;
	}
	skel = flowgate_rtt__open();
	err = skel ? pin_setup(skel) : -errno;
	/* Test only: samples as kernels before 6.10 give them. */
	if (skel)
		skel->rodata->fg_rtt_coarse = fg_kfeat_faked(FG_KF_RTT_ARGS);
	if (!skel)
		fg_error(err, "cannot open the RTT object: %s", fg_strerr(err));
	if (!err)
		err = load_and_link(skel, cg_fd, &info, &link_id);
	if (!err) {
		bpf_object__for_each_map(map,
					 skel->obj) if (bpf_map__pin_path(map))
			chmod(bpf_map__pin_path(map), 0600);
		print_enabled(&info, fg_rtt_prog_id(), link_id, false);
	}
	/* The pinned link holds the attachment; our references go. */
	flowgate_rtt__destroy(skel);
	close(cg_fd);
	if (err)
		rtt_pins_remove(); /* a failed enable leaves nothing */
	return err;
}

int fg_rtt_disable(void)
{
	char dir[4096];
	int fd, err;

	err = fg_check_caps(FG_NEED_BPF | FG_NEED_NET_ADMIN);
	if (err)
		return err;
	err = fg_rtt_pin_path(dir, sizeof(dir), NULL);
	if (!err && access(dir, F_OK))
		return fg_error(-ENOENT,
				"rtt is not enabled (no state under "
				"%s)",
				dir);
	fd = fg_rtt_map_open(FG_PIN_RTT_LINK);
	/* Detach now, whoever else holds the link open; a defunct link
	 * (its cgroup removed) has nothing left to detach. */
	if (fd >= 0 && bpf_link_detach(fd) && errno != ENOLINK) {
		err = -errno;
		close(fd);
		return fg_error(err, "cannot detach the RTT program: %s",
				fg_strerr(err));
	}
	if (fd >= 0)
		close(fd);
	err = rtt_pins_remove();
	if (err)
		return fg_error(err, "cannot remove the RTT pins under %s: %s",
				dir, fg_strerr(err));
	out_begin();
	out_bool("enabled", false);
	out_bool("detached", fd >= 0);
	out_end();
	return 0;
}
