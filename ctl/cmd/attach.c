// SPDX-License-Identifier: GPL-2.0
/*
 * attach, detach, status. Programs are attached through libxdp so that
 * flowgate shares an interface with other XDP programs through libxdp's
 * dispatcher. Where the kernel refuses the dispatcher (freplace), libxdp
 * falls back to attaching fg_xdp alone; both paths end in the same state.
 * Egress is always counted by fg_tc_out on the clsact egress hook; with
 * `hook tc`, ingress is fg_tc_in on clsact ingress instead of fg_xdp.
 * What attach did is recorded in the pinned fg_ifaces map, which is what
 * status and detach read.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include "fg.h"
#include "fg_maps.h"
#include "kfeat.h"
#include "cmds.h"
#include "rules.h"
#include "cfgfile.h"
#include "cap.h"
#include "fg_flowtab.h"
#include "flowgate_xdp.skel.h"
#include "flowgate_tc.skel.h"

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

/* How libxdp attached our program: as a component of its dispatcher
 * (other XDP programs may share the interface), or alone. */
static const char *xdp_attach_kind(int ifindex)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	const char *kind;

	if (libxdp_get_error(mp))
		return "none";
	kind = xdp_multiprog__is_legacy(mp) ? "single program"
					    : "libxdp dispatcher";
	xdp_multiprog__close(mp);
	return kind;
}

static int iface_lookup(int fd, __u32 ifindex, struct fg_iface *ifc)
{
	return bpf_map_lookup_elem(fd, &ifindex, ifc) ? -errno : 0;
}

static const char *hook_name(__u32 hook)
{
	return hook == FG_HOOK_TC ? "tc" : "xdp";
}

static void print_attach(const struct fg_iface *ifc, bool already)
{
	out_begin();
	out_str("dev", ifc->ifname);
	out_u64("ifindex", ifc->ifindex);
	out_str("hook", hook_name(ifc->hook));
	if (ifc->hook == FG_HOOK_XDP)
		out_str("mode", mode_name(ifc->mode));
	out_u64("prog_id", ifc->prog_id);
	out_u64("egress_prog_id", ifc->out_prog_id);
	out_u64("max_flows", fg_pinned_max_flows());
	out_u64("capture_ring", fg_pinned_cap_ring());
	out_u64("drop_flow_rate", ifc->drop_rate);
	out_bool("already_attached", already);
	out_end();
}

/* ID of our cls_bpf filter on one side of clsact, 0 if absent. */
static __u32 tc_prog_id(int ifindex, enum bpf_tc_attach_point where)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = where);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FG_TC_HANDLE,
			    .priority = FG_TC_PRIO);

	return bpf_tc_query(&hook, &opts) ? 0 : opts.prog_id;
}

static bool iface_running(const struct fg_iface *ifc)
{
	__u32 in = ifc->hook == FG_HOOK_TC
			   ? tc_prog_id(ifc->ifindex, BPF_TC_INGRESS)
			   : live_prog_id(ifc->ifindex, ifc->prog_id);

	return in == ifc->prog_id &&
	       tc_prog_id(ifc->ifindex, BPF_TC_EGRESS) == ifc->out_prog_id;
}

/* Put prog_fd on one side of clsact, creating the qdisc if needed. */
static int tc_attach(int ifindex, enum bpf_tc_attach_point where, int prog_fd,
		     __u32 *prog_id, __u32 *flags)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = where);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FG_TC_HANDLE,
			    .priority = FG_TC_PRIO, .prog_fd = prog_fd);
	int err = bpf_tc_hook_create(&hook);

	if (!err)
		*flags |= FG_IFACE_OWN_QDISC;
	else if (err != -EEXIST)
		return err;
	err = bpf_tc_attach(&hook, &opts);
	if (!err)
		*prog_id = opts.prog_id;
	return err;
}

static void tc_detach(int ifindex, enum bpf_tc_attach_point where)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = where);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FG_TC_HANDLE,
			    .priority = FG_TC_PRIO);

	bpf_tc_detach(&hook, &opts);
}

/* Does one side of ifindex's clsact carry any filter (anyone's: any
 * kind, priority or handle)? 1 yes, 0 no, -errno when the kernel could
 * not say. A filter dump names each priority's classifier first, and a
 * classifier exists only while it holds a filter. */
static int tc_has_filters(int ifindex, __u32 minor)
{
	struct {
		struct nlmsghdr n;
		struct tcmsg t;
	} req = {
		.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg)),
		.n.nlmsg_type = RTM_GETTFILTER,
		.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		.n.nlmsg_seq = 1,
		.t.tcm_family = AF_UNSPEC,
		.t.tcm_ifindex = ifindex,
		.t.tcm_parent = TC_H_MAKE(TC_H_CLSACT, minor),
	};
	union {
		char b[16384];
		struct nlmsghdr align;
	} buf;
	int fd, n, found = 0, err = 0;
	struct nlmsghdr *h;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (send(fd, &req, req.n.nlmsg_len, 0) < 0)
		err = -errno;
	while (!err) {
		n = recv(fd, buf.b, sizeof(buf.b), 0);
		if (n < 0) {
			err = -errno;
			break;
		}
		for (h = &buf.align; NLMSG_OK(h, (unsigned int)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				goto out;
			if (h->nlmsg_type == NLMSG_ERROR) {
				err = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
				goto out;
			}
			if (h->nlmsg_type == RTM_NEWTFILTER)
				found = 1;
		}
	}
out:
	close(fd);
	return err ? err : found;
}

/* Remove the clsact qdisc once our filters are off, if it is ours (attach
 * created it; orphan: unknown, any) and carries no one else's filter.
 * Removing a qdisc removes every filter on it, so when the kernel cannot
 * say, it stays. Returns what became of it, for detach to say. */
static const char *tc_qdisc_release(int ifindex, __u32 flags, bool any)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

	if (!any && !(flags & FG_IFACE_OWN_QDISC))
		return "kept: it was there before attach";
	if (tc_has_filters(ifindex, TC_H_MIN_INGRESS) ||
	    tc_has_filters(ifindex, TC_H_MIN_EGRESS))
		return "kept: other filters on it";
	return bpf_tc_hook_destroy(&hook) ? "kept: cannot remove it"
					  : "removed";
}

/* Already attached? 1 = yes in this mode (nothing to do), 0 = no (or a
 * stale record, removed), -EBUSY = yes in another mode. */
/* Take our cls_bpf filters off, identified by program ID: a filter
 * someone else put in the slot since stays. */
static void tc_detach_ours(const struct fg_iface *ifc)
{
	if (ifc->hook == FG_HOOK_TC &&
	    tc_prog_id(ifc->ifindex, BPF_TC_INGRESS) == ifc->prog_id)
		tc_detach(ifc->ifindex, BPF_TC_INGRESS);
	if (tc_prog_id(ifc->ifindex, BPF_TC_EGRESS) == ifc->out_prog_id)
		tc_detach(ifc->ifindex, BPF_TC_EGRESS);
}

/* Our record says flowgate runs here, but it does not (all of it): take
 * off what is left of ours, and the record. */
static void clear_stale(int fd, const struct fg_iface *ifc)
{
	tc_detach_ours(ifc);
	bpf_map_delete_elem(fd, &ifc->ifindex);
}

/* A cls_bpf filter in our slot that no record of ours names belongs to
 * another flowgate (another pin directory): never replace it. */
static int check_tc_slot(int ifindex, enum bpf_tc_attach_point where,
			 const char *dev)
{
	__u32 id = tc_prog_id(ifindex, where);

	if (!id)
		return 0;
	return fg_error(-EBUSY,
			"%s %s already has a flowgate filter (prog "
			"id %u) not recorded under %s; detach it with "
			"the --bpffs that attached it, or 'tc filter "
			"del dev %s %s handle 0x%x prio %u bpf'",
			dev, where == BPF_TC_EGRESS ? "egress" : "ingress", id,
			fg_pin_dir(), dev,
			where == BPF_TC_EGRESS ? "egress" : "ingress",
			FG_TC_HANDLE, FG_TC_PRIO);
}

static int check_existing(__u32 ifindex, const struct fg_attach_args *a,
			  struct fg_iface *ifc)
{
	int fd = fg_map_open(FG_MAP_IFACES), ret = 0;

	if (fd < 0)
		return 0;
	if (!iface_lookup(fd, ifindex, ifc)) {
		if (!iface_running(ifc))
			clear_stale(fd, ifc);
		else if (ifc->hook == a->hook &&
			 (a->hook == FG_HOOK_TC || ifc->mode == a->mode) &&
			 (!a->drop_rate_set || ifc->drop_rate == a->drop_rate))
			ret = 1;
		else if (ifc->hook == a->hook &&
			 (a->hook == FG_HOOK_TC || ifc->mode == a->mode))
			ret = fg_error(-EBUSY,
				       "%s already has flowgate attached with "
				       "drop-flow-rate %u; detach it first",
				       ifc->ifname, ifc->drop_rate);
		else
			ret = fg_error(
				-EBUSY,
				"%s already has flowgate "
				"attached (hook %s%s%s); detach "
				"it first",
				ifc->ifname, hook_name(ifc->hook),
				ifc->hook == FG_HOOK_XDP ? ", mode " : "",
				ifc->hook == FG_HOOK_XDP ? mode_name(ifc->mode)
							 : "");
	}
	close(fd);
	return ret;
}

/* The flow table's geometry is fixed while an interface is attached.
 * Without one, another max-flows replaces the table, once it is empty:
 * its flows are not thrown away unexported behind the operator's back.
 * An old layout's table (fg_flows) is replaced under the same terms. */
static int resolve_flowtab(const struct fg_attach_args *a,
			   struct fg_ft_info *ft)
{
	__u64 live = 0;
	int err = fg_ft_old_check(); /* printed */

	if (err)
		return err;
	err = fg_ft_info_read(ft);
	if (!err && a->max_flows && a->max_flows != ft->max_flows) {
		if (fg_any_iface())
			return fg_error(-EBUSY,
					"the flow table holds max-flows %u; "
					"detach every interface to resize it",
					ft->max_flows);
		err = fg_ft_live(&live);
		if (err && err != -ENOENT)
			return fg_error(err, "cannot read the flow table: %s",
					fg_strerr(err));
		if (live)
			return fg_error(
				-EBUSY,
				"the flow table (max-flows %u) still holds "
				"flows; export them, or 'flowgate flow "
				"flush', to resize it",
				ft->max_flows);
		err = fg_ft_unpin();
		if (err)
			return fg_error(err, "cannot remove the flow table: %s",
					fg_strerr(err));
		err = -ENOENT;
	}
	/* -EPROTO, another release's table: ensure says so */
	if (err && err != -ENOENT && err != -EPROTO)
		return fg_error(err, "cannot read %s under %s: %s",
				FG_MAP_FTINFO, fg_pin_dir(), fg_strerr(err));
	return fg_ft_info_ensure(a->max_flows, ft);
}

/* The capture ring's size, fixed while an interface is attached, as the
 * flow table's. */
static int resolve_cap_ring(const struct fg_attach_args *a, __u32 *n)
{
	__u32 pinned = fg_pinned_cap_ring();
	char path[4096];

	if (pinned && a->cap_ring && a->cap_ring != pinned) {
		if (fg_any_iface())
			return fg_error(-EBUSY,
					"the capture ring has %u bytes; detach "
					"every interface to resize it",
					pinned);
		if (!fg_pin_path(path, sizeof(path), FG_MAP_CAP_RING))
			unlink(path);
		pinned = 0;
	}
	*n = pinned ? pinned : a->cap_ring ? a->cap_ring : FG_CAP_RING_DEFAULT;
	return 0;
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
			 "XDP program '%s' (id %u) holds the interface alone "
			 "(attached without libxdp's dispatcher, or this "
			 "kernel refuses the dispatcher); detach it first",
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
	fg_vlog_begin();
	err = xdp_program__attach(
		prog, ifindex,
		mode == FG_MODE_SKB ? XDP_MODE_SKB : XDP_MODE_NATIVE, 0);
	snprintf(msg, sizeof(msg), "cannot attach to %s", dev);
	if (err && fg_vlog_report(msg)) {
		/* the verifier's word, printed */
	} else if (err) {
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
	fg_vlog_end();
	xdp_program__close(prog);
	return err;
}

/* Each attach seeds the fragment slots' hash (bpf/lib/fg_flow.bpf.h),
 * the same for its XDP and TC objects; without entropy the slots are
 * merely predictable. */
static __u32 frag_seed(void)
{
	static __u32 seed;
	static bool drawn;

	if (!drawn &&
	    getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = (__u32)time(NULL) ^ (__u32)getpid();
	drawn = true;
	return seed;
}

/* Load the TC object on the shared pins, counting into the interface's
 * slot. Both its programs load; the hook decides which get attached. */
static int tc_load(struct flowgate_tc **out, const struct fg_ft_info *ft,
		   const struct fg_iface *ifc, __u32 ring)
{
	struct flowgate_tc *skel = flowgate_tc__open();
	int err;

	if (!skel)
		return fg_error(-errno, "cannot open the TC object");
	skel->rodata->fg_frag_seed = frag_seed();
	skel->rodata->fg_slot = ifc->slot;
	FG_FT_RODATA(skel, ft);
	FG_FT_DROP_RODATA(skel, ifc->drop_rate);
	err = bpf_map__set_max_entries(skel->maps.fg_cap_ring, ring);
	if (!err)
		err = fg_obj_pin_maps(skel->obj, ft);
	if (!err) {
		fg_vlog_begin();
		err = flowgate_tc__load(skel);
		if (err && !fg_vlog_report("cannot load the TC programs"))
			fg_error(err,
				 "cannot load the TC programs (%s); if "
				 "pins under %s come from another "
				 "flowgate version, detach every "
				 "interface first",
				 fg_strerr(err), fg_pin_dir());
		fg_vlog_end();
	}
	if (err) {
		flowgate_tc__destroy(skel);
		return err;
	}
	*out = skel;
	return 0;
}

static int attach_xdp(struct fg_iface *ifc, const struct fg_ft_info *ft,
		      __u32 ring, const char *dev)
{
	struct flowgate_xdp *skel = flowgate_xdp__open();
	int err;

	if (!skel)
		return fg_error(-errno, "cannot open the XDP object");
	skel->rodata->fg_frag_seed = frag_seed();
	skel->rodata->fg_slot = ifc->slot;
	skel->rodata->fg_cap_loadable = fg_kfeat_has(FG_KF_XDP_LOAD_BYTES);
	FG_FT_RODATA(skel, ft);
	FG_FT_DROP_RODATA(skel, ifc->drop_rate);
	/* Opened with pins set but not loaded: libxdp loads it (as an
	 * freplace component with the dispatcher, as XDP without), and
	 * libbpf then reuses the pinned maps. */
	err = bpf_map__set_max_entries(skel->maps.fg_cap_ring, ring);
	if (!err)
		err = fg_obj_pin_maps(skel->obj, ft);
	if (!err)
		err = attach_prog(skel, ifc->ifindex, ifc->mode, dev,
				  &ifc->prog_id);
	flowgate_xdp__destroy(skel);
	return err;
}

/*
 * The interface's slot in fg_ifstats: the lowest one no record holds (stale
 * records were cleared by check_existing). Slot 0 is the catch-all of
 * programs loaded without a slot. Called under attach_lock().
 */
static int alloc_slot(__u32 *slot)
{
	bool used[FG_NSLOTS] = {[FG_SLOT_OTHER] = true};
	int fd = fg_map_open(FG_MAP_IFACES);
	struct fg_iface ifc;
	__u32 key, next, s;
	int err;

	for (err = fd < 0 ? -1 : bpf_map_get_next_key(fd, NULL, &key); !err;
	     err = bpf_map_get_next_key(fd, &key, &next), key = next)
		if (!iface_lookup(fd, key, &ifc) && ifc.slot < FG_NSLOTS)
			used[ifc.slot] = true;
	if (fd >= 0)
		close(fd);
	for (s = 1; s < FG_NSLOTS; s++) {
		if (!used[s]) {
			*slot = s;
			return 0;
		}
	}
	return fg_error(-ENOSPC,
			"all %u interface slots are in use; detach "
			"an interface first",
			FG_MAX_IFACES);
}

/* Two attaches must not take the same slot: hold the rules' flock on the
 * pin directory (made here if needed) from the check to the record. */
static int attach_lock(void)
{
	int fd;

	if (mkdir(fg_pin_dir(), 0700) && errno != EEXIST)
		return fg_error(-errno, "cannot create %s: %s", fg_pin_dir(),
				strerror(errno));
	fd = fg_rule_lock(true);
	if (fd < 0)
		return fg_error(fd, "cannot lock %s: %s", fg_pin_dir(),
				fg_strerr(fd));
	return fd;
}

static int record_iface(struct flowgate_tc *tc, const struct fg_iface *ifc)
{
	int fd = bpf_map__fd(tc->maps.fg_ifaces);

	if (bpf_map_update_elem(fd, &ifc->ifindex, ifc, BPF_ANY))
		return fg_error(-errno, "cannot record the attachment: %s",
				strerror(errno));
	return 0;
}

/* Everything attach does once the interface is known to be free, under
 * the lock: slot, TC object (egress, and ingress with hook tc), XDP, the
 * record. Undoes what it did when a step fails. */
static int attach_locked(const struct fg_attach_args *a, int ifindex)
{
	struct flowgate_tc *tc = NULL;
	struct fg_iface ifc = {};
	bool out_done = false, in_done = false;
	struct fg_ft_info ft;
	__u32 ring = 0;
	int err;

	err = check_tc_slot(ifindex, BPF_TC_EGRESS, a->dev);
	if (!err && a->hook == FG_HOOK_TC)
		err = check_tc_slot(ifindex, BPF_TC_INGRESS, a->dev);
	if (!err)
		err = resolve_flowtab(a, &ft);
	if (!err)
		err = resolve_cap_ring(a, &ring);
	if (!err)
		err = alloc_slot(&ifc.slot);
	if (err)
		return err;

	ifc.ifindex = ifindex;
	ifc.mode = a->mode;
	ifc.hook = a->hook;
	ifc.attach_time = (__u64)time(NULL);
	snprintf(ifc.ifname, sizeof(ifc.ifname), "%s", a->dev);
	ifc.drop_rate = a->drop_rate_set ? a->drop_rate : FG_DROP_RATE_DEFAULT;
	err = tc_load(&tc, &ft, &ifc, ring);
	if (err)
		goto out;
	/* A slot starts from zero, whatever a crash left in it. */
	err = fg_ifstats_zero(bpf_map__fd(tc->maps.fg_ifstats), ifc.slot);
	if (!err)
		err = fg_ovfrate_zero(bpf_map__fd(tc->maps.fg_ovfrate),
				      ifc.slot);
	if (err) {
		fg_error(err, "cannot reset the counters of slot %u: %s",
			 ifc.slot, fg_strerr(err));
		goto out;
	}
	err = tc_attach(ifindex, BPF_TC_EGRESS,
			bpf_program__fd(tc->progs.fg_tc_out), &ifc.out_prog_id,
			&ifc.flags);
	if (err) {
		fg_error(err, "cannot attach to %s egress: %s", a->dev,
			 fg_strerr(err));
		goto out;
	}
	out_done = true;
	if (a->hook == FG_HOOK_TC) {
		err = tc_attach(ifindex, BPF_TC_INGRESS,
				bpf_program__fd(tc->progs.fg_tc_in),
				&ifc.prog_id, &ifc.flags);
		if (err)
			fg_error(err, "cannot attach to %s ingress: %s", a->dev,
				 fg_strerr(err));
		in_done = !err;
	} else {
		err = attach_xdp(&ifc, &ft, ring, a->dev);
	}
	if (!err)
		err = record_iface(tc, &ifc);
	if (!err) {
		fg_obj_chmod_pins(tc->obj);
		print_attach(&ifc, false);
	}
out:
	if (err && in_done)
		tc_detach(ifindex, BPF_TC_INGRESS);
	if (err && out_done) {
		tc_detach(ifindex, BPF_TC_EGRESS);
		tc_qdisc_release(ifindex, ifc.flags, false);
	}
	flowgate_tc__destroy(tc);
	return err;
}

static int do_attach(int argc, char **argv)
{
	struct fg_attach_args a;
	struct fg_iface ifc = {};
	int ifindex, lock, err;
	bool created;

	err = fg_args_attach(argc, argv, &a);
	if (err)
		return err;
	err = fg_check_caps(FG_NEED_BPF | FG_NEED_NET_ADMIN);
	if (err)
		return err;
	ifindex = if_nametoindex(a.dev);
	if (!ifindex)
		return fg_error(-ENODEV, "no such device '%s'", a.dev);
	fg_libs_init();
	err = fg_kfeat_check_attach(a.hook == FG_HOOK_TC ? FG_KF_HOOK_TC
							 : FG_KF_HOOK_XDP);
	if (!err)
		err = fg_ensure_bpffs();
	if (err)
		return err;
	created = !fg_state_exists();
	lock = attach_lock();
	if (lock < 0)
		return lock;
	err = check_existing(ifindex, &a, &ifc);
	if (err == 1)
		print_attach(&ifc, true);
	else if (!err)
		err = attach_locked(&a, ifindex);
	if (err < 0 && created)
		fg_state_remove(); /* a failed attach leaves no state behind */
	fg_rule_unlock(lock);
	return err < 0 ? err : 0;
}

/* Take a program off ifindex: find the flowgate component by ID (with the
 * dispatcher) or the main program (without). */
static int detach_xdp(int ifindex, const struct fg_iface *ifc)
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

/* An interface's counters go with it (its slot is zeroed for the next
 * one); its flows stay until exported. */
static void forget_counters(__u32 slot)
{
	int fd = fg_map_open(FG_MAP_IFSTATS);

	if (fd >= 0) {
		fg_ifstats_zero(fd, slot);
		close(fd);
	}
	fd = fg_map_open(FG_MAP_OVFRATE);
	if (fd >= 0) {
		fg_ovfrate_zero(fd, slot);
		close(fd);
	}
}

/* The device is gone, and its programs with it: forget its record and
 * counters. True when there was one. */
static bool forget_vanished(int fd, const char *dev)
{
	struct fg_iface ifc;
	__u32 key, next;
	int err;

	for (err = bpf_map_get_next_key(fd, NULL, &key); !err;
	     err = bpf_map_get_next_key(fd, &key, &next), key = next) {
		if (iface_lookup(fd, key, &ifc) || strcmp(ifc.ifname, dev))
			continue;
		forget_counters(ifc.slot);
		bpf_map_delete_elem(fd, &key);
		return true;
	}
	return false;
}

/* ---- flowgate programs the kernel has, whatever the pins say ---------- */

/* What runs on one interface under flowgate's names: fg_xdp (alone or in
 * libxdp's dispatcher), fg_tc_in/fg_tc_out in our clsact slot. */
struct live {
	__u32 xdp_id, in_id, out_id;
};

static bool prog_named(__u32 id, const char *name)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = id ? bpf_prog_get_fd_by_id(id) : -1;
	bool same;

	if (fd < 0)
		return false;
	same = !bpf_obj_get_info_by_fd(fd, &info, &len) &&
	       !strcmp(info.name, name);
	close(fd);
	return same;
}

static void live_progs(int ifindex, struct live *l)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p;
	__u32 id;

	memset(l, 0, sizeof(*l));
	if (!libxdp_get_error(mp)) {
		for (p = xdp_multiprog__next_prog(NULL, mp); p;
		     p = xdp_multiprog__next_prog(p, mp))
			if (!strcmp(xdp_program__name(p), FG_PROG_NAME))
				l->xdp_id = xdp_program__id(p);
		p = xdp_multiprog__main_prog(mp);
		if (!l->xdp_id && p &&
		    !strcmp(xdp_program__name(p), FG_PROG_NAME))
			l->xdp_id = xdp_program__id(p);
		xdp_multiprog__close(mp);
	}
	id = tc_prog_id(ifindex, BPF_TC_INGRESS);
	l->in_id = prog_named(id, "fg_tc_in") ? id : 0;
	id = tc_prog_id(ifindex, BPF_TC_EGRESS);
	l->out_id = prog_named(id, "fg_tc_out") ? id : 0;
}

/* Programs of flowgate on ifindex that no record under the pin directory
 * accounts for (attached from a pin directory that is gone, such as the
 * throw-away bpffs of `ip netns exec`). False when there are none. */
static bool orphan_progs(int ifaces_fd, int ifindex, struct live *l)
{
	struct fg_iface ifc;

	live_progs(ifindex, l);
	if (ifaces_fd >= 0 && !iface_lookup(ifaces_fd, ifindex, &ifc)) {
		if (l->xdp_id == ifc.prog_id)
			l->xdp_id = 0;
		if (l->in_id == ifc.prog_id)
			l->in_id = 0;
		if (l->out_id == ifc.out_prog_id)
			l->out_id = 0;
	}
	return l->xdp_id || l->in_id || l->out_id;
}

static void print_orphans(int ifaces_fd)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	struct live l;

	out_arr_open("orphans");
	for (i = ifs; i && i->if_index; i++) {
		if (!orphan_progs(ifaces_fd, i->if_index, &l))
			continue;
		out_obj_open(NULL);
		out_str("dev", i->if_name);
		out_u64("ifindex", i->if_index);
		if (l.xdp_id)
			out_u64("xdp_prog_id", l.xdp_id);
		if (l.in_id)
			out_u64("tc_ingress_prog_id", l.in_id);
		if (l.out_id)
			out_u64("tc_egress_prog_id", l.out_id);
		out_str("remove", "flowgate detach DEV");
		out_obj_close();
	}
	out_arr_close();
	if (ifs)
		if_freenameindex(ifs);
}

/* detach of an interface without a record: take flowgate's programs off
 * by name. 1 when there were some. */
static int detach_orphan(int ifindex, const char *dev)
{
	struct fg_iface ifc = {.ifindex = ifindex};
	const char *clsact = NULL;
	struct live l;
	int err = 0;

	if (!orphan_progs(-1, ifindex, &l))
		return 0;
	if (l.xdp_id) {
		ifc.prog_id = l.xdp_id;
		err = detach_xdp(ifindex, &ifc);
	}
	if (!err && l.in_id)
		tc_detach(ifindex, BPF_TC_INGRESS);
	if (!err && l.out_id)
		tc_detach(ifindex, BPF_TC_EGRESS);
	if (!err && (l.in_id || l.out_id))
		clsact = tc_qdisc_release(ifindex, 0, true);
	if (err)
		return fg_error(err, "cannot detach from %s: %s", dev,
				fg_strerr(err));
	out_begin();
	out_str("dev", dev);
	out_bool("detached", true);
	out_bool("orphan", true);
	if (clsact)
		out_str("clsact", clsact);
	out_end();
	return 1;
}

static int do_detach(int argc, char **argv)
{
	const char *clsact;
	struct fg_iface ifc;
	__u32 ifindex;
	int fd, err;

	if (argc != 1)
		return fg_cmd_usage(&fg_cmd_detach, NULL);
	err = fg_check_caps(FG_NEED_BPF | FG_NEED_NET_ADMIN);
	if (err)
		return err;
	fg_libs_init();
	fd = fg_map_open(FG_MAP_IFACES);
	ifindex = if_nametoindex(argv[0]);
	if (ifindex && (fd < 0 || iface_lookup(fd, ifindex, &ifc))) {
		err = detach_orphan(ifindex, argv[0]);
		if (err) {
			if (fd >= 0)
				close(fd);
			return err < 0 ? err : 0;
		}
	}
	if (fd < 0)
		return fg_error(-ENOENT, "flowgate is not attached to %s",
				argv[0]);
	if (!ifindex && forget_vanished(fd, argv[0])) {
		close(fd);
		out_begin();
		out_str("dev", argv[0]);
		out_bool("detached", true);
		out_bool("device_gone", true);
		out_end();
		return 0;
	}
	if (!ifindex || iface_lookup(fd, ifindex, &ifc) ||
	    strcmp(ifc.ifname, argv[0])) {
		close(fd);
		return fg_error(-ENOENT, "flowgate is not attached to %s",
				argv[0]);
	}
	err = ifc.hook == FG_HOOK_TC ? 0 : detach_xdp(ifindex, &ifc);
	if (err) {
		close(fd);
		return fg_error(err, "cannot detach from %s: %s", argv[0],
				fg_strerr(err));
	}
	tc_detach_ours(&ifc);
	clsact = tc_qdisc_release(ifindex, ifc.flags, false);
	/* Zeroed before the slot is freed: an attach that takes it next
	 * finds it clean (and zeroes it again). */
	forget_counters(ifc.slot);
	bpf_map_delete_elem(fd, &ifindex);
	close(fd);
	/* Rules, profile, checks and sampling stay pinned for the next
	 * attach: only `purge` removes them. */
	out_begin();
	out_str("dev", argv[0]);
	out_bool("detached", true);
	out_str("clsact", clsact);
	out_end();
	return 0;
}

/* purge: remove the pinned state (rules, config, flows, counters) once no
 * interface uses it. RTT pins have their own `rtt disable`. */
static int do_purge(int argc, char **argv)
{
	__u32 key;
	int fd, lock, err;

	if (argc)
		return fg_cmd_usage(&fg_cmd_purge, NULL);
	err = fg_check_caps(FG_NEED_BPF);
	if (err)
		return err;
	if (!fg_state_exists()) {
		out_begin();
		out_str("pin_dir", fg_pin_dir());
		out_bool("purged", false);
		out_end();
		return 0;
	}
	lock = attach_lock();
	if (lock < 0)
		return lock;
	fd = fg_map_open(FG_MAP_IFACES);
	err = fd >= 0 && !bpf_map_get_next_key(fd, NULL, &key);
	if (fd >= 0)
		close(fd);
	if (err) {
		fg_rule_unlock(lock);
		return fg_error(-EBUSY,
				"flowgate is still attached (see 'flowgate "
				"status'): detach every interface first");
	}
	err = fg_state_remove();
	fg_rule_unlock(lock);
	if (err)
		return fg_error(err, "cannot remove %s: %s", fg_pin_dir(),
				strerror(-err));
	out_begin();
	out_str("pin_dir", fg_pin_dir());
	out_bool("purged", true);
	out_end();
	return 0;
}

/* The config daemon of this state, if one has run: which file, and what
 * was changed by hand since it applied it (drift). */
static void print_cfg_daemon(void)
{
	struct fg_daemon_rec r;
	bool running;

	if (fg_daemon_rec_read(&r, &running))
		return;
	out_obj_open("config_daemon");
	out_u64("pid", r.pid);
	out_bool("running", running);
	out_str("file", r.file);
	out_time_ms("started_ms", r.started_ms);
	out_str("drift", r.drift[0] ? r.drift : "none");
	out_time_ms("drift_since_ms", r.drift_ms);
	out_obj_close();
}

/* Which flow table is pinned, and its geometry (not its seed: a sender
 * who knew it could aim a flood at one bucket). */
static void print_flowtab(void)
{
	struct bpf_map_info old;
	struct fg_ft_info ft;

	out_obj_open("flow_table");
	if (!fg_ft_info_read(&ft)) {
		out_str("layout", FG_MAP_FLOWTAB);
		out_u64("max_flows", ft.max_flows);
		out_u64("regions", ft.nreg);
		out_u64("region_buckets", ft.nb);
		out_u64("slots", (__u64)ft.nreg * ft.nb * FG_FT_SLOTS);
	} else if (!fg_map_info(FG_MAP_FLOWS_OLD, &old)) {
		/* attach replaces it once it is empty and unused */
		out_str("layout", FG_MAP_FLOWS_OLD " (old layout)");
		out_u64("max_flows", old.max_entries);
	} else {
		out_str("layout", "none");
	}
	out_obj_close();
}

static int do_status(int argc, char **argv)
{
	struct fg_config cfg;
	struct fg_iface ifc;
	__u32 key, next;
	int fd, err;

	if (argc)
		return fg_cmd_usage(&fg_cmd_status, NULL);
	err = fg_check_caps(FG_NEED_BPF);
	if (err)
		return err;
	fg_libs_init();
	fd = fg_map_open(FG_MAP_IFACES);
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
	out_u64("max_flows", fg_pinned_max_flows());
	print_flowtab();
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
		out_str("hook", hook_name(ifc.hook));
		if (ifc.hook == FG_HOOK_XDP) {
			out_str("mode", mode_name(ifc.mode));
			out_str("xdp_attach", xdp_attach_kind(ifc.ifindex));
		}
		out_u64("prog_id", ifc.prog_id);
		out_u64("egress_prog_id", ifc.out_prog_id);
		out_str("attached_since", since);
		out_bool("running", iface_running(&ifc));
		out_u64("drop_flow_rate", ifc.drop_rate);
		out_u64("drop_flows_per_window",
			fg_ft_drop_budget(ifc.drop_rate, fg_kernel_hz()));
		out_u64("drop_window_ms", fg_ft_drop_window_ms(fg_kernel_hz()));
		out_obj_close();
	}
	out_arr_close();
	print_orphans(fd);
	print_cfg_daemon();
	fg_kfeat_print("kernel");
	out_end();
	if (fd >= 0)
		close(fd);
	return 0;
}

/* attach DEV [mode native|skb] [hook xdp|tc] [max-flows N]
 * [capture-ring SIZE] [drop-flow-rate N] */
int fg_args_attach(int argc, char **argv, struct fg_attach_args *a)
{
	const char *kw, *val;
	int i;

	memset(a, 0, sizeof(*a));
	if (argc < 1)
		return fg_cmd_usage(&fg_cmd_attach, NULL);
	a->dev = argv[0];
	a->mode = FG_MODE_NATIVE;
	a->hook = FG_HOOK_XDP;
	for (i = 1; i < argc; i += 2) {
		kw = argv[i];
		val = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(kw, "mode") && strcmp(kw, "hook") &&
		    strcmp(kw, "max-flows") && strcmp(kw, "capture-ring") &&
		    strcmp(kw, "drop-flow-rate"))
			return fg_usage("unknown argument '%s' to attach", kw);
		if (!val)
			return fg_usage("%s needs a value", kw);
		if (!strcmp(kw, "capture-ring")) {
			if (fg_cap_parse_ring(kw, val, &a->cap_ring))
				return -FG_EUSAGE;
			continue;
		}
		if (!strcmp(kw, "drop-flow-rate")) {
			if (fg_parse_u32(val, 0, FG_DROP_RATE_MAX,
					 &a->drop_rate))
				return fg_usage("drop-flow-rate must be a "
						"number from 0 (no limit) to "
						"%u",
						FG_DROP_RATE_MAX);
			a->drop_rate_set = true;
			continue;
		}
		if (!strcmp(kw, "mode") && !strcmp(val, "native"))
			a->mode = FG_MODE_NATIVE;
		else if (!strcmp(kw, "mode") && !strcmp(val, "skb"))
			a->mode = FG_MODE_SKB;
		else if (!strcmp(kw, "mode"))
			return fg_usage("unknown mode '%s' (native or skb)",
					val);
		else if (!strcmp(kw, "hook") && !strcmp(val, "xdp"))
			a->hook = FG_HOOK_XDP;
		else if (!strcmp(kw, "hook") && !strcmp(val, "tc"))
			a->hook = FG_HOOK_TC;
		else if (!strcmp(kw, "hook"))
			return fg_usage("unknown hook '%s' (xdp or tc)", val);
		else if (fg_parse_u32(val, FG_MIN_FLOWS, FG_MAX_FLOWS,
				      &a->max_flows))
			return fg_usage("max-flows must be a number from %u "
					"to %u",
					FG_MIN_FLOWS, FG_MAX_FLOWS);
	}
	return 0;
}

static const struct fg_verb attach_verbs[] = {
	FG_VERB(NULL, do_attach,
		"DEV [mode native|skb] [hook xdp|tc] [max-flows N] "
		"[capture-ring SIZE] [drop-flow-rate N]",
		"guard DEV and count its flows (XDP ingress, TC egress)"),
	{},
};

static const struct fg_verb detach_verbs[] = {
	FG_VERB(NULL, do_detach, "DEV",
		"remove flowgate (or programs of it left without pins) from "
		"DEV; rules and settings stay"),
	{},
};

static const struct fg_verb status_verbs[] = {
	FG_VERB(NULL, do_status, NULL,
		"the attached interfaces: mode, program, since when, running"),
	{},
};

const struct fg_cmd fg_cmd_attach = {"attach", attach_verbs};
const struct fg_cmd fg_cmd_detach = {"detach", detach_verbs};
const struct fg_cmd fg_cmd_status = {"status", status_verbs};

static const struct fg_verb purge_verbs[] = {
	FG_VERB(NULL, do_purge, NULL,
		"remove every pin (rules, settings, flows) once nothing is "
		"attached"),
	{},
};

const struct fg_cmd fg_cmd_purge = {"purge", purge_verbs};
