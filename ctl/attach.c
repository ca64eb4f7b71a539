// SPDX-License-Identifier: GPL-2.0
/*
 * attach, detach, status. Programs are attached through libxdp so that
 * flowgate shares an interface with other XDP programs through libxdp's
 * dispatcher. Where the kernel refuses the dispatcher (freplace), libxdp
 * falls back to attaching fg_xdp alone; both paths end in the same state.
 * What attach did is recorded in the pinned fg_ifaces map, which is what
 * status and detach read.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include "fg.h"
#include "flowgate_xdp.skel.h"

#define FG_PROG_NAME "fg_xdp"

static const char *mode_name(__u32 mode)
{
	return mode == FG_MODE_SKB ? "skb" : "native";
}

/* ID of the flowgate program running on ifindex, 0 if none. With the
 * dispatcher it is one of the components; without, the main program. */
static __u32 live_prog_id(int ifindex, __u32 want_id)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p;
	__u32 id = 0;

	if (libxdp_get_error(mp))
		return 0;
	for (p = xdp_multiprog__next_prog(NULL, mp); p;
	     p = xdp_multiprog__next_prog(p, mp))
		if (xdp_program__id(p) == want_id)
			id = want_id;
	p = xdp_multiprog__main_prog(mp);
	if (!id && p && xdp_program__id(p) == want_id)
		id = want_id;
	xdp_multiprog__close(mp);
	return id;
}

static int iface_lookup(int fd, __u32 ifindex, struct fg_iface *ifc)
{
	return bpf_map_lookup_elem(fd, &ifindex, ifc) ? -errno : 0;
}

static void print_attach(const struct fg_iface *ifc, bool already)
{
	out_begin();
	out_str("dev", ifc->ifname);
	out_u64("ifindex", ifc->ifindex);
	out_str("mode", mode_name(ifc->mode));
	out_u64("prog_id", ifc->prog_id);
	out_bool("already_attached", already);
	out_end();
}

/* Already attached? 1 = yes in this mode (nothing to do), 0 = no (or a
 * stale record, removed), -EBUSY = yes in another mode. */
static int check_existing(__u32 ifindex, __u32 mode, struct fg_iface *ifc)
{
	int fd = fg_map_open("fg_ifaces"), ret = 0;

	if (fd < 0)
		return 0;
	if (!iface_lookup(fd, ifindex, ifc)) {
		if (!live_prog_id(ifindex, ifc->prog_id))
			bpf_map_delete_elem(fd, &ifindex); /* stale */
		else if (ifc->mode == mode)
			ret = 1;
		else
			ret = fg_error(-EBUSY, "%s already has flowgate "
					       "attached in %s mode; detach "
					       "it first",
				       ifc->ifname, mode_name(ifc->mode));
	}
	close(fd);
	return ret;
}

/* Name the XDP program already on ifindex, for the error message when
 * libxdp cannot add ours next to it. */
static void describe_occupant(int ifindex, char *msg, size_t len)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p = NULL;

	if (!libxdp_get_error(mp))
		p = xdp_multiprog__main_prog(mp);
	if (p && !strcmp(xdp_program__name(p), FG_PROG_NAME))
		snprintf(msg, len,
			 "a flowgate program (id %u) not recorded under %s is "
			 "attached (another --bpffs, or its pins were "
			 "removed); detach it with that --bpffs or "
			 "'ip link set dev DEV xdp off'",
			 xdp_program__id(p), fg_pin_dir());
	else if (p)
		snprintf(msg, len,
			 "XDP program '%s' (id %u) is attached and this kernel "
			 "cannot run libxdp's dispatcher to share the "
			 "interface",
			 xdp_program__name(p), xdp_program__id(p));
	else
		snprintf(msg, len, "another XDP program is attached");
	if (!libxdp_get_error(mp))
		xdp_multiprog__close(mp);
}

static int attach_prog(struct flowgate_xdp *skel, int ifindex, __u32 mode,
		       const char *dev, __u32 *prog_id)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, opts, .obj = skel->obj,
			    .prog_name = FG_PROG_NAME);
	struct xdp_program *prog = xdp_program__create(&opts);
	char msg[256];
	int err;

	err = libxdp_get_error(prog);
	if (err)
		return fg_error(err, "cannot prepare %s for libxdp: %s",
				FG_PROG_NAME, fg_strerr(err));
	err = xdp_program__attach(prog, ifindex,
				  mode == FG_MODE_SKB ? XDP_MODE_SKB :
							XDP_MODE_NATIVE,
				  0);
	if (err) {
		libxdp_strerror(err, msg, sizeof(msg));
		if (err == -EEXIST || err == -EBUSY)
			describe_occupant(ifindex, msg, sizeof(msg));
		else if (err == -EOPNOTSUPP && mode == FG_MODE_NATIVE)
			snprintf(msg, sizeof(msg),
				 "driver has no native XDP; try 'mode skb'");
		else if (err == -EPERM)
			snprintf(msg, sizeof(msg), "%s", fg_strerr(err));
		fg_error(err, "cannot attach to %s: %s", dev, msg);
	} else {
		*prog_id = xdp_program__id(prog);
	}
	xdp_program__close(prog);
	return err;
}

int do_attach(int argc, char **argv)
{
	struct flowgate_xdp *skel = NULL;
	struct fg_iface ifc = {};
	const char *dev = NULL;
	bool created;
	__u32 mode = FG_MODE_NATIVE, prog_id = 0;
	int ifindex, err, fd;

	err = fg_args_attach(argc, argv, &dev, &mode);
	if (err)
		return err;
	err = fg_check_caps(FG_NEED_BPF | FG_NEED_NET_ADMIN);
	if (err)
		return err;
	ifindex = if_nametoindex(dev);
	if (!ifindex)
		return fg_error(-ENODEV, "no such device '%s'", dev);
	fg_libs_init();
	err = fg_ensure_bpffs();
	if (err)
		return err;

	err = check_existing(ifindex, mode, &ifc);
	if (err < 0)
		return err;
	if (err == 1) {
		print_attach(&ifc, true);
		return 0;
	}

	created = !fg_state_exists();
	/* Opened with pins set but not loaded: libxdp loads it (as an
	 * freplace component with the dispatcher, as XDP without), and libbpf
	 * then reuses the pinned maps. */
	skel = flowgate_xdp__open();
	if (!skel)
		return fg_error(-errno, "cannot open the BPF object");
	err = fg_skel_pin_maps(skel);
	if (!err)
		err = attach_prog(skel, ifindex, mode, dev, &prog_id);
	if (err)
		goto out;

	fg_skel_chmod_pins(skel);
	ifc = (struct fg_iface){ .ifindex = ifindex, .mode = mode,
				 .prog_id = prog_id, .hook = FG_HOOK_XDP,
				 .attach_time = (__u64)time(NULL) };
	snprintf(ifc.ifname, sizeof(ifc.ifname), "%s", dev);
	fd = bpf_map__fd(skel->maps.fg_ifaces);
	if (bpf_map_update_elem(fd, &ifindex, &ifc, BPF_ANY)) {
		err = fg_error(-errno, "cannot record the attachment: %s",
			       strerror(errno));
		goto out;
	}
	print_attach(&ifc, false);
out:
	flowgate_xdp__destroy(skel);
	if (err && created)
		fg_state_remove(); /* a failed attach leaves no state behind */
	return err;
}

/* Take a program off ifindex: find the flowgate component by ID (with the
 * dispatcher) or the main program (without). */
static int detach_prog(int ifindex, const struct fg_iface *ifc)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p, *found = NULL;
	enum xdp_attach_mode mode;
	int err;

	err = libxdp_get_error(mp);
	if (err)
		return err == -ENOENT ? 0 : err;
	for (p = xdp_multiprog__next_prog(NULL, mp); p && !found;
	     p = xdp_multiprog__next_prog(p, mp))
		if (xdp_program__id(p) == ifc->prog_id)
			found = p;
	p = xdp_multiprog__main_prog(mp);
	if (!found && p && xdp_program__id(p) == ifc->prog_id)
		found = p;
	mode = xdp_multiprog__attach_mode(mp);
	err = found ? xdp_program__detach(found, ifindex, mode, 0) : 0;
	xdp_multiprog__close(mp);
	return err;
}

int do_detach(int argc, char **argv)
{
	struct fg_iface ifc;
	__u32 ifindex, key, next;
	int fd, sfd, err;

	if (argc != 1)
		return fg_usage("detach takes one device: detach DEV");
	err = fg_check_caps(FG_NEED_BPF | FG_NEED_NET_ADMIN);
	if (err)
		return err;
	fg_libs_init();
	fd = fg_map_open("fg_ifaces");
	if (fd < 0)
		return fg_error(-ENOENT, "flowgate is not attached to %s",
				argv[0]);
	ifindex = if_nametoindex(argv[0]);
	if (!ifindex || iface_lookup(fd, ifindex, &ifc) ||
	    strcmp(ifc.ifname, argv[0])) {
		close(fd);
		return fg_error(-ENOENT, "flowgate is not attached to %s",
				argv[0]);
	}
	err = detach_prog(ifindex, &ifc);
	if (err) {
		close(fd);
		return fg_error(err, "cannot detach from %s: %s", argv[0],
				fg_strerr(err));
	}
	bpf_map_delete_elem(fd, &ifindex);
	sfd = fg_map_open("fg_ifstats");
	if (sfd >= 0) {
		bpf_map_delete_elem(sfd, &ifindex);
		close(sfd);
	}
	/* The last interface gone: remove all state, pins included. */
	err = bpf_map_get_next_key(fd, NULL, &key);
	close(fd);
	if (err && errno == ENOENT)
		fg_state_remove();
	(void)next;
	out_begin();
	out_str("dev", argv[0]);
	out_bool("detached", true);
	out_end();
	return 0;
}

int do_status(int argc, char **argv)
{
	struct fg_config cfg;
	struct fg_iface ifc;
	__u32 key, next;
	int fd, err;

	if (argc)
		return fg_usage("status takes no arguments");
	err = fg_check_caps(FG_NEED_BPF);
	if (err)
		return err;
	fg_libs_init();
	fd = fg_map_open("fg_ifaces");
	if (fd < 0 && fd != -ENOENT)
		return fg_error(fd, "cannot read state under %s: %s",
				fg_pin_dir(), fg_strerr(fd));
	err = fg_config_read(&cfg);
	if (err)
		return fg_error(err, "cannot read the config: %s",
				fg_strerr(err));
	out_begin();
	out_str("pin_dir", fg_pin_dir());
	out_bool("loaded", fd >= 0);
	out_str("profile", fg_profile_name(cfg.profile));
	out_arr_open("interfaces");
	for (err = fd < 0 ? -1 : bpf_map_get_next_key(fd, NULL, &key); !err;
	     err = bpf_map_get_next_key(fd, &key, &next), key = next) {
		char since[32];
		time_t t;

		if (iface_lookup(fd, key, &ifc))
			continue;
		t = (time_t)ifc.attach_time;
		strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ",
			 gmtime(&t));
		out_obj_open(NULL);
		out_str("dev", ifc.ifname);
		out_u64("ifindex", ifc.ifindex);
		out_str("hook", "xdp");
		out_str("mode", mode_name(ifc.mode));
		out_u64("prog_id", ifc.prog_id);
		out_str("attached_since", since);
		out_bool("running", live_prog_id(key, ifc.prog_id) != 0);
		out_obj_close();
	}
	out_arr_close();
	out_end();
	if (fd >= 0)
		close(fd);
	return 0;
}
