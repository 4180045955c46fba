/* SPDX-License-Identifier: Apache-2.0 */
/*
 * VPP's router advertisement settings of an interface (ip6-nd), read and
 * written for the Rust core, which decides what they should say and keeps
 * what was there before.
 *
 * vpp-dev does not install vnet/ip6-nd/ip6_ra.h, so the part of its
 * per-interface state read here is described below, in the order VPP 26.06
 * lays it out; ra_view () checks it against the interface it is asked for
 * and refuses when they disagree (another VPP version), rather than guess.
 */
#include "dhcp6_server_shim.h"
#include <vnet/ip/ip6_packet.h>
#include <vppinfra/mhash.h>
#include <vppinfra/pool.h>

/* One advertised prefix (ip6_radv_prefix_t), whole: it is a pool element. */
typedef struct
{
  ip6_address_t prefix;
  u8 prefix_len;
  int on_link;
  int autonomous;
  u32 valid_lifetime;
  u32 preferred_lifetime;
  f64 valid_lifetime_expires;
  f64 preferred_lifetime_expires;
  int enabled;
  int deprecated;
  int decrement_lifetime;
} ra_prefix_view_t;

/* The leading part of an interface's RA state (ip6_ra_t). */
typedef struct
{
  u8 curr_hop_limit;
  int managed;
  int other;
  u16 router_lifetime;
  u32 reachable_time;
  u32 retransmit_time;
  u32 link_mtu;
  u32 sw_if_index;
  int send_radv;
  int cease_radv;
  int send_unicast;
  int link_layer_address;
  int prefix_option;
  int failed_device_check;
  int ref_count;
  ra_prefix_view_t *prefixes;
  mhash_t prefix_index_by_address;
} ra_view_t;

extern void *ip6_ra_get_itf (u32 sw_if_index);
extern int ip6_ra_config (vlib_main_t *vm, u32 sw_if_index, u8 suppress, u8 managed, u8 other,
			  u8 ll_option, u8 send_unicast, u8 cease, u8 use_lifetime, u32 lifetime,
			  u32 initial_count, u32 initial_interval, u32 max_interval,
			  u32 min_interval, u8 is_no);
extern int ip6_ra_prefix (vlib_main_t *vm, u32 sw_if_index, ip6_address_t *prefix_addr,
			  u8 prefix_len, u8 use_default, u32 val_lifetime, u32 pref_lifetime,
			  u8 no_advertise, u8 off_link, u8 no_autoconfig, u8 no_onlink, u8 is_no);

static ra_view_t *
ra_view (u32 sw_if_index)
{
  static bool told;
  ra_view_t *ra = ip6_ra_get_itf (sw_if_index);

  if (ra && ra->sw_if_index != sw_if_index)
    {
      if (!told)
	clib_warning ("dhcp6-server: VPP's RA state is not laid out as in VPP 26.06: "
		      "router advertisements are left alone");
      told = true;
      return 0;
    }
  return ra;
}

bool
dhcp6_server_ra_flags_get (u32 sw_if_index, Dhcp6ServerRaFlags *out)
{
  ra_view_t *ra = ra_view (sw_if_index);

  if (!ra)
    return false;
  out->send = ra->send_radv != 0;
  out->managed = ra->managed != 0;
  out->other = ra->other != 0;
  return true;
}

bool
dhcp6_server_ra_flags_set (u32 sw_if_index, const Dhcp6ServerRaFlags *flags)
{
  ra_view_t *ra = ra_view (sw_if_index);

  if (!ra)
    return false;
  ra->managed = flags->managed;
  ra->other = flags->other;
  /* Changing nothing else, this turns RAs on and restarts the initial
   * advertisements, so hosts hear the flags now; then on or off as asked. */
  int rv = ip6_ra_config (vlib_get_main (), sw_if_index, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  ra->send_radv = flags->send;
  return rv == 0;
}

bool
dhcp6_server_ra_prefix_get (u32 sw_if_index, const uint8_t (*prefix)[16], uint8_t len,
			    Dhcp6ServerRaPrefix *out)
{
  ra_view_t *ra = ra_view (sw_if_index);
  ip6_address_t key;
  uword *p;

  if (!ra)
    return false;
  clib_memcpy (&key, prefix, sizeof (key));
  p = mhash_get (&ra->prefix_index_by_address, &key);
  if (!p || pool_is_free_index (ra->prefixes, p[0]))
    return false;
  ra_prefix_view_t *pr = pool_elt_at_index (ra->prefixes, p[0]);
  if (pr->prefix_len != len)
    return false;
  out->on_link = pr->on_link != 0;
  out->autonomous = pr->autonomous != 0;
  out->valid_lifetime = pr->valid_lifetime;
  out->preferred_lifetime = pr->preferred_lifetime;
  return true;
}

bool
dhcp6_server_ra_prefix_set (u32 sw_if_index, const uint8_t (*prefix)[16], uint8_t len,
			    const Dhcp6ServerRaPrefix *info)
{
  vlib_main_t *vm = vlib_get_main ();
  ip6_address_t addr;

  if (!ra_view (sw_if_index))
    return false;
  clib_memcpy (&addr, prefix, sizeof (addr));
  if (!info)
    return ip6_ra_prefix (vm, sw_if_index, &addr, len, 0, 0, 0, 0, 0, 0, 0, 1 /* is_no */) == 0;
  return ip6_ra_prefix (vm, sw_if_index, &addr, len, 0 /* use_default */, info->valid_lifetime,
			info->preferred_lifetime, 0 /* no_advertise */, 0 /* off_link */,
			!info->autonomous, !info->on_link, 0 /* is_no */) == 0;
}
