// SPDX-License-Identifier: GPL-2.0
/*
 * Pinned state under the pin directory (default /sys/fs/bpf/flowgate): the
 * maps of the skeleton, shared by every attached program instance and read
 * by the CLI. Read-only commands open pins with bpf_obj_get() and never load
 * a program.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fg.h"
#include "fg_maps.h"
#include "kfeat.h"
#include "fg_parse.h"
#include "flowtab.h"
#include "flowgate_xdp.skel.h"

int fg_map_open(const char *name)
{
	char path[4096];
	int fd, err = fg_pin_path(path, sizeof(path), name);

	if (err)
		return err;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

int fg_map_own(const char *name, int type, __u32 ksz, __u32 vsz, __u32 max)
{
	char path[4096];
	int fd = fg_map_open(name), err;

	/* The counters of an exporter of another version (another layout):
	 * replaced, they are only counters. */
	if (fd >= 0 && type == BPF_MAP_TYPE_ARRAY &&
	    fg_map_value_size(fd) != vsz &&
	    !fg_pin_path(path, sizeof(path), name)) {
		close(fd);
		unlink(path);
		fd = -ENOENT;
	}
	if (fd >= 0 || fd != -ENOENT)
		return fd;
	fd = bpf_map_create(type, name, ksz, vsz, max, NULL);
	if (fd < 0)
		return -errno;
	err = fg_pin_path(path, sizeof(path), name);
	if (!err && bpf_obj_pin(fd, path))
		err = -errno;
	if (!err)
		chmod(path, 0600);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int fg_state_map_open(const char *name)
{
	int fd = fg_map_open(name);

	if (fd == -ENOENT)
		return fg_error(fd,
				"flowgate is not attached (no state under "
				"%s)",
				fg_pin_dir());
	if (fd < 0)
		return fg_error(fd, "cannot open state under %s: %s",
				fg_pin_dir(), fg_strerr(fd));
	return fd;
}

bool fg_state_exists(void)
{
	char path[4096];

	return !fg_pin_path(path, sizeof(path), FG_MAP_CONFIG) &&
	       !access(path, F_OK);
}

/* The capture's selection, the guard's settings and the rule set in force
 * are globals of the programs (data sections of their own,
 * bpf/lib/fg_capture.bpf.h, fg_maps.bpf.h, fg_rules.bpf.h) that every
 * instance shares: pinned under these names. */
static const char *shared_data_pin(const struct bpf_map *map)
{
	if (!strcmp(bpf_map__name(map), FG_CAP_CFG_SEC))
		return FG_MAP_CAP_CFG;
	if (!strcmp(bpf_map__name(map), FG_CONFIG_SEC))
		return FG_MAP_CONFIG;
	if (!strcmp(bpf_map__name(map), FG_RULE_CTL_SEC))
		return FG_MAP_RULE_CTL;
	return NULL;
}

/* Pinned by an older flowgate as plain one-entry arrays. */
static bool was_plain_array(const struct bpf_map *map)
{
	return !strcmp(bpf_map__name(map), FG_CONFIG_SEC) ||
	       !strcmp(bpf_map__name(map), FG_RULE_CTL_SEC);
}

static bool is_internal_map(const struct bpf_map *map)
{
	/* .rodata/.bss/.data belong to one program instance: never
	 * pinned */
	if (shared_data_pin(map))
		return false;
	return strchr(bpf_map__name(map), '.') != NULL;
}

int fg_map_info(const char *name, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);
	int fd = fg_map_open(name), err = 0;

	if (fd < 0)
		return fd;
	memset(info, 0, sizeof(*info));
	if (bpf_obj_get_info_by_fd(fd, info, &len))
		err = -errno;
	close(fd);
	return err;
}

/* max_entries of a pinned map, 0 when there is none. */
static __u32 pinned_max_entries(const char *name)
{
	struct bpf_map_info info;

	return fg_map_info(name, &info) ? 0 : info.max_entries;
}

int fg_map_get0(const char *name, void *val)
{
	int fd = fg_map_open(name), err = 0;
	__u32 key = 0;

	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, &key, val))
		err = -errno;
	close(fd);
	return err;
}

int fg_map_set0(const char *name, const void *val)
{
	int fd = fg_map_open(name), err = 0;
	__u32 key = 0;

	if (fd < 0)
		return fd;
	if (bpf_map_update_elem(fd, &key, val, BPF_ANY))
		err = -errno;
	close(fd);
	return err;
}

__u32 fg_pinned_cap_ring(void)
{
	return pinned_max_entries(FG_MAP_CAP_RING);
}

/* The pin directory, on a bpffs, made if missing. */
static int pin_dir_make(void)
{
	int err = fg_ensure_bpffs();

	if (err)
		return err;
	if (mkdir(fg_pin_dir(), 0700) && errno != EEXIST)
		return fg_error(-errno, "cannot create %s: %s", fg_pin_dir(),
				strerror(errno));
	return 0;
}

/* ---- the flow table's geometry (fg_ftinfo) ---- */

int fg_ft_info_read(struct fg_ft_info *info)
{
	int fd = fg_map_open(FG_MAP_FTINFO), err = 0;
	__u32 key = 0;

	if (fd < 0)
		return fd;
	/* another release's record may be larger: never read it into ours */
	if (fg_map_value_size(fd) != sizeof(*info))
		err = -EPROTO;
	else if (bpf_map_lookup_elem(fd, &key, info))
		err = -errno;
	else if (info->version != FG_FT_VERSION)
		err = -EPROTO;
	close(fd);
	return err;
}

int fg_ft_open_pinned(struct fg_ft *t)
{
	struct fg_ft_info info;
	int fd, err;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	err = fg_ft_info_read(&info);
	if (err)
		return err;
	fd = fg_map_open(FG_MAP_FLOWTAB);
	if (fd < 0)
		return fd;
	err = fg_ft_open_fd(t, fd, &info);
	if (err) {
		close(fd);
		return err;
	}
	t->fd = fd;
	return 0;
}

static bool pinned(const char *name)
{
	char path[4096];

	return !fg_pin_path(path, sizeof(path), name) && !access(path, F_OK);
}

/* Make fg_ftinfo: written, frozen (no syscall changes it), then pinned,
 * so that a reader never finds a half-made one. */
static int ft_info_make(const struct fg_ft_info *info)
{
	char path[4096];
	__u32 key = 0;
	int fd, err = 0;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, FG_MAP_FTINFO, sizeof(key),
			    sizeof(*info), 1, NULL);
	if (fd < 0)
		return -errno;
	if (bpf_map_update_elem(fd, &key, info, BPF_ANY) || bpf_map_freeze(fd))
		err = -errno;
	if (!err)
		err = fg_pin_path(path, sizeof(path), FG_MAP_FTINFO);
	if (!err && bpf_obj_pin(fd, path))
		err = -errno;
	if (!err)
		chmod(path, 0600);
	close(fd);
	return err;
}

int fg_ft_info_ensure(__u32 max_flows, struct fg_ft_info *info)
{
	int err = fg_ft_info_read(info);

	if (err == -EPROTO)
		return fg_error(err,
				"the flow table under %s is another flowgate "
				"release's (%s); detach every interface and "
				"'flowgate purge'",
				fg_pin_dir(), FG_MAP_FTINFO);
	if (err != -ENOENT)
		return err ? fg_error(err, "cannot read %s under %s: %s",
				      FG_MAP_FTINFO, fg_pin_dir(),
				      fg_strerr(err))
			   : 0;
	/* Its seed is lost with it: the table's flows cannot be found by
	 * key any more. */
	if (pinned(FG_MAP_FLOWTAB))
		return fg_error(-EPROTO,
				"the flow table under %s has no %s beside it; "
				"detach every interface and 'flowgate purge'",
				fg_pin_dir(), FG_MAP_FTINFO);
	err = pin_dir_make();
	if (err)
		return err;
	err = fg_ft_info_new(info,
			     max_flows ? max_flows : FG_DEFAULT_MAX_FLOWS);
	if (!err)
		err = ft_info_make(info);
	if (err)
		return fg_error(err, "cannot make the flow table's %s: %s",
				FG_MAP_FTINFO, fg_strerr(err));
	return 0;
}

int fg_ft_unpin(void)
{
	const char *names[] = {FG_MAP_FLOWTAB, FG_MAP_FTINFO};
	char path[4096];
	size_t i;
	int err = 0;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!fg_pin_path(path, sizeof(path), names[i]) &&
		    unlink(path) && errno != ENOENT && !err)
			err = -errno;
	return err;
}

int fg_ft_live(__u64 *live)
{
	struct fg_ft t;
	struct fg_ft_fill f;
	int err = fg_ft_open_pinned(&t);

	*live = 0;
	if (err)
		return err;
	err = fg_ft_fill(&t, &f);
	fg_ft_close(&t);
	if (!err)
		*live = f.live;
	return err;
}

bool fg_any_iface(void)
{
	int fd = fg_map_open(FG_MAP_IFACES);
	__u32 key;
	bool any;

	if (fd < 0)
		return false;
	any = !bpf_map_get_next_key(fd, NULL, &key);
	close(fd);
	return any;
}

/*
 * The per-CPU hash of releases before fg_flowtab: programs attached with
 * it keep counting into it, and its flows were not exported yet, so it
 * is only ever removed empty and unused (flow dump and flush still read
 * it). Nothing else of the pinned state changed layout with it.
 */
int fg_ft_old_check(void)
{
	int fd = fg_map_open(FG_MAP_FLOWS_OLD);
	char path[4096];
	__u8 key[64];
	bool any;

	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fg_error(fd, "cannot open %s under %s: %s",
				FG_MAP_FLOWS_OLD, fg_pin_dir(), fg_strerr(fd));
	any = !bpf_map_get_next_key(fd, NULL, key);
	close(fd);
	if (fg_any_iface())
		return fg_error(-EBUSY,
				"the flow table is the old layout (%s) and "
				"interfaces count into it; 'flowgate detach' "
				"every interface, stop its exporter (SIGTERM "
				"sends what it has not sent), 'flowgate flow "
				"flush', then attach",
				FG_MAP_FLOWS_OLD);
	if (any)
		return fg_error(-EBUSY,
				"the flow table of the old layout (%s) still "
				"holds flows; stop its exporter (SIGTERM sends "
				"what it has not sent), 'flowgate flow flush', "
				"then attach",
				FG_MAP_FLOWS_OLD);
	if (!fg_pin_path(path, sizeof(path), FG_MAP_FLOWS_OLD) &&
	    unlink(path) && errno != ENOENT)
		return fg_error(-errno, "cannot remove the old %s: %s",
				FG_MAP_FLOWS_OLD, strerror(errno));
	return 0;
}

int fg_obj_pin_maps(struct bpf_object *obj, const struct fg_ft_info *ft)
{
	struct bpf_map *map;
	char path[4096];
	int err;

	err = pin_dir_make();
	if (err)
		return err;
	bpf_object__for_each_map(map, obj)
	{
		if (is_internal_map(map))
			continue;
		if (ft && !strcmp(bpf_map__name(map), FG_MAP_FLOWTAB))
			bpf_map__set_max_entries(map, ft->nreg * ft->nb);
		/* the ring's size is the pinned one's, if there is one */
		if (!strcmp(bpf_map__name(map), FG_MAP_CAP_RING) &&
		    fg_pinned_cap_ring())
			bpf_map__set_max_entries(map, fg_pinned_cap_ring());
		/* Not mmapable: a plain one-entry array, as an older
		 * flowgate pinned these, which libbpf then reuses (only a
		 * pin of the same flags is reused), and the other way round. */
		err = 0;
		if (was_plain_array(map))
			err = bpf_map__set_map_flags(
				map, bpf_map__map_flags(map) & ~BPF_F_MMAPABLE);
		if (!err)
			err = fg_pin_path(path, sizeof(path),
					  shared_data_pin(map)
						  ?: bpf_map__name(map));
		if (!err)
			err = bpf_map__set_pin_path(map, path);
		if (err)
			return fg_error(err, "cannot set up pins under %s: %s",
					fg_pin_dir(), fg_strerr(err));
	}
	return 0;
}

void fg_obj_chmod_pins(struct bpf_object *obj)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj)
	{
		if (!is_internal_map(map) && bpf_map__pin_path(map))
			chmod(bpf_map__pin_path(map), 0600);
	}
}

__u32 fg_pinned_max_flows(void)
{
	struct fg_ft_info info;

	return fg_ft_info_read(&info) ? 0 : info.max_flows;
}

int fg_skel_load_pinned(struct flowgate_xdp **out)
{
	struct flowgate_xdp *skel;
	struct fg_ft_info ft;
	int err;

	skel = flowgate_xdp__open();
	if (!skel)
		return fg_error(-errno, "cannot open the BPF object: %s",
				strerror(errno));
	err = fg_kfeat_check_state();
	if (!err)
		err = fg_ft_old_check();
	if (!err)
		err = fg_ft_info_ensure(0, &ft);
	if (!err) {
		FG_FT_RODATA(skel, &ft);
		err = fg_obj_pin_maps(skel->obj, &ft);
	}
	if (err)
		goto fail;
	fg_vlog_begin();
	err = flowgate_xdp__load(skel);
	if (err && fg_vlog_report("cannot load the BPF programs")) {
		fg_vlog_end();
		goto fail;
	}
	fg_vlog_end();
	if (err) {
		fg_error(err,
			 "cannot load the BPF programs (%s); if pins under "
			 "%s come from another flowgate version, detach "
			 "every interface first",
			 fg_strerr(err), fg_pin_dir());
		goto fail;
	}
	fg_obj_chmod_pins(skel->obj);
	*out = skel;
	return 0;
fail:
	flowgate_xdp__destroy(skel);
	return err;
}

/* The pinned state, made now if missing (config set, rules and the daemon
 * before any attach), so that the first packet is already judged by what
 * they set. */
int fg_state_ensure(void)
{
	struct flowgate_xdp *skel;
	int err;

	if (fg_state_exists())
		return 0;
	fg_libs_init();
	err = fg_skel_load_pinned(&skel);
	if (err)
		return err;
	flowgate_xdp__destroy(skel);
	return 0;
}

int fg_state_remove(void)
{
	const char *dir = fg_pin_dir();
	struct dirent *de;
	char path[4096];
	DIR *d = opendir(dir);
	bool rtt = false;
	int err = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		/* `rtt enable` state has a life of its own: rtt disable */
		if (!strcmp(de->d_name, FG_RTT_PIN_SUBDIR)) {
			rtt = true;
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) && !err)
			err = -errno;
	}
	closedir(d);
	if (!rtt && rmdir(dir) && !err)
		err = -errno;
	return err;
}

int fg_config_read(struct fg_config *cfg)
{
	int err;

	memset(cfg, 0, sizeof(*cfg));
	err = fg_map_get0(FG_MAP_CONFIG, cfg);
	if (err == -ENOENT)
		return 0; /* no state: the default profile */
	return err;
}

int fg_config_write(const struct fg_config *cfg)
{
	return fg_map_set0(FG_MAP_CONFIG, cfg);
}

/* Both directions' entries of slot in a per-CPU array of vsz values
 * indexed by fg_slot_key. */
static int slot_zero(int map_fd, __u32 slot, size_t vsz)
{
	int ncpu = libbpf_num_possible_cpus(), err = 0;
	__u32 dir, key;
	void *v;

	if (ncpu < 0)
		return ncpu;
	v = calloc(ncpu, vsz);
	if (!v)
		return -ENOMEM;
	for (dir = FG_DIR_IN; dir <= FG_DIR_OUT && !err; dir++) {
		key = fg_slot_key(slot, dir);
		if (bpf_map_update_elem(map_fd, &key, v, BPF_ANY))
			err = -errno;
	}
	free(v);
	return err;
}

int fg_ifstats_zero(int map_fd, __u32 slot)
{
	return slot_zero(map_fd, slot, sizeof(struct fg_ifstats));
}

int fg_ovfrate_zero(int map_fd, __u32 slot)
{
	return slot_zero(map_fd, slot, sizeof(struct fg_ovf_rate));
}

int fg_ifstats_read(int map_fd, __u32 key, struct fg_ifstats *sum)
{
	return fg_map_lookup_sum(map_fd, &key, sum, sizeof(*sum));
}

int fg_iface_slot(int ifaces_fd, __u32 ifindex, __u32 *slot)
{
	struct fg_iface ifc;

	if (ifaces_fd < 0 || bpf_map_lookup_elem(ifaces_fd, &ifindex, &ifc))
		return -ENOENT;
	if (ifc.slot >= FG_NSLOTS)
		return -ERANGE;
	*slot = ifc.slot;
	return 0;
}

void fg_config_apply_profile(struct fg_config *cfg, __u32 profile)
{
	__u32 r;

	memset(cfg, 0, sizeof(*cfg));
	cfg->version = FG_CONFIG_VERSION;
	cfg->profile = profile;
	for (r = 1; r < FG_R_MAX; r++)
		cfg->act[r] = fg_profile_action(profile, r);
}

__u8 fg_config_action(const struct fg_config *cfg, __u32 r)
{
	return fg_action(cfg, r);
}
