/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Enabling and disabling DHCPv6 service on an interface, VPP side: IPv6 on
 * the link, ff02::1:2 delivered locally, UDP 547 to our node. The settings
 * themselves are validated and kept by the Rust core.
 */
#include "dhcp6_server_shim.h"
#include <vnet/ethernet/ethernet.h>
#include <vnet/ip/ip6.h>
#include <vnet/mfib/mfib_table.h>
#include <vnet/fib/fib_table.h>
#include <vnet/fib/ip6_fib.h>
#include <vlib/stats/stats.h>
#include <vnet/udp/udp_local.h>
#include <vnet/api_errno.h>

dhcp6_server_shim_main_t dhcp6_server_shim_main;

static const mfib_prefix_t all_dhcp_servers = {
  .fp_len = 128,
  .fp_proto = FIB_PROTOCOL_IP6,
  .fp_grp_addr.ip6.as_u8 = { 0xff, 0x02, [13] = 0x01, [15] = 0x02 },
};

static bool
dhcp6_server_interface_mac (u32 sw_if_index, u8 mac[6])
{
  vnet_main_t *vnm = vnet_get_main ();
  vnet_sw_interface_t *sup = vnet_get_sup_sw_interface (vnm, sw_if_index);
  ethernet_interface_t *ei;

  if (!sup)
    return false;
  ei = ethernet_get_interface (&ethernet_main, sup->hw_if_index);
  if (!ei)
    return false;
  clib_memcpy (mac, ei->address.mac.bytes, 6);
  return true;
}

void
dhcp6_server_interface_facts (u32 sw_if_index, Dhcp6ServerInterfaceFacts *facts)
{
  const ip6_address_t *ll;
  const ip6_address_t *global;

  clib_memset (facts, 0, sizeof (*facts));
  facts->has_mac = dhcp6_server_interface_mac (sw_if_index, facts->mac);
  ll = ip6_get_link_local_address (sw_if_index);
  if (ll)
    clib_memcpy (facts->link_local, ll->as_u8, 16);
  global = ip6_interface_first_address (&ip6_main, sw_if_index);
  if (global)
    clib_memcpy (facts->first_global, global->as_u8, 16);
  facts->fib_index = ip6_fib_table_get_index_for_sw_if_index (sw_if_index);
  ip_interface_address_t *ia = 0;
  ip4_address_t *ip4 = ip4_interface_first_address (&ip4_main, sw_if_index, &ia);
  if (ip4 && ia)
    {
      clib_memcpy (facts->ip4_address, ip4->as_u8, 4);
      facts->ip4_prefix_len = ia->address_length;
    }
}

/* Delivers ff02::1:2 to us in the interface's multicast table; one entry
 * per table, shared by the enabled interfaces in it. */
static void
dhcp6_server_mfib_acquire (u32 sw_if_index)
{
  dhcp6_server_shim_main_t *sm = &dhcp6_server_shim_main;
  u32 mfib_index = ip6_main.mfib_index_by_sw_if_index[sw_if_index];
  const fib_route_path_t path_for_us = {
    .frp_proto = DPO_PROTO_IP6,
    .frp_sw_if_index = ~0,
    .frp_fib_index = ~0,
    .frp_weight = 1,
    .frp_flags = FIB_ROUTE_PATH_LOCAL,
    .frp_mitf_flags = MFIB_ITF_FLAG_FORWARD,
  };

  vec_validate_init_empty (sm->mfib_index_by_sw_if_index, sw_if_index, ~0);
  vec_validate (sm->n_enabled_by_mfib_index, mfib_index);
  sm->mfib_index_by_sw_if_index[sw_if_index] = mfib_index;
  if (sm->n_enabled_by_mfib_index[mfib_index]++ == 0)
    {
      mfib_table_entry_path_update (mfib_index, &all_dhcp_servers, MFIB_SOURCE_PLUGIN_LOW,
				    MFIB_ENTRY_FLAG_NONE, &path_for_us);
      /* Accept from any interface of the table: packets from interfaces
       * without service then reach the node and are counted there. */
      mfib_table_entry_update (mfib_index, &all_dhcp_servers, MFIB_SOURCE_PLUGIN_LOW,
			       MFIB_RPF_ID_NONE, MFIB_ENTRY_FLAG_ACCEPT_ALL_ITF);
      mfib_table_lock (mfib_index, FIB_PROTOCOL_IP6, MFIB_SOURCE_PLUGIN_LOW);
    }
}

static void
dhcp6_server_mfib_release (u32 sw_if_index)
{
  dhcp6_server_shim_main_t *sm = &dhcp6_server_shim_main;
  u32 mfib_index;

  if (sw_if_index >= vec_len (sm->mfib_index_by_sw_if_index))
    return;
  mfib_index = sm->mfib_index_by_sw_if_index[sw_if_index];
  if (mfib_index == ~0)
    return;
  sm->mfib_index_by_sw_if_index[sw_if_index] = ~0;
  if (--sm->n_enabled_by_mfib_index[mfib_index] == 0)
    {
      mfib_table_entry_delete (mfib_index, &all_dhcp_servers, MFIB_SOURCE_PLUGIN_LOW);
      mfib_table_unlock (mfib_index, FIB_PROTOCOL_IP6, MFIB_SOURCE_PLUGIN_LOW);
    }
}

int
dhcp6_server_interface_set (u32 sw_if_index, bool enable,
			    const Dhcp6ServerInterfaceSettings *settings, char *error,
			    size_t error_len)
{
  vnet_main_t *vnm = vnet_get_main ();
  Dhcp6ServerInterfaceSettings current;
  u8 mac[6];
  bool was_enabled;
  int rv;

  if (!vnet_sw_interface_is_valid (vnm, sw_if_index))
    {
      snprintf (error, error_len, "no interface with index %u", sw_if_index);
      return DHCP6_SERVER_STATUS_INVALID_VALUE;
    }
  was_enabled = dhcp6_server_interface_get (sw_if_index, &current);

  if (!enable)
    {
      rv = dhcp6_server_interface_disable (sw_if_index, error, error_len);
      if (rv != DHCP6_SERVER_STATUS_OK)
	return rv;
      dhcp6_server_mfib_release (sw_if_index);
      ip6_link_disable (sw_if_index);
      return rv;
    }

  bool has_mac = dhcp6_server_interface_mac (sw_if_index, mac);
  rv = dhcp6_server_interface_check (sw_if_index, settings, has_mac ? mac : 0, error, error_len);
  if (rv != DHCP6_SERVER_STATUS_OK)
    return rv;

  if (!was_enabled)
    {
      /* ip6_link_enable is reference counted: we hold one until disable.
       * It says VALUE_EXIST, with the reference taken, when IPv6 was on. */
      int ip6_rv = ip6_link_enable (sw_if_index, NULL);
      if (ip6_rv && ip6_rv != VNET_API_ERROR_VALUE_EXIST)
	{
	  snprintf (error, error_len, "VPP could not enable IPv6 on the interface");
	  return DHCP6_SERVER_STATUS_INVALID_VALUE;
	}
      dhcp6_server_mfib_acquire (sw_if_index);
      /* Also reclaims the port should another plugin have taken it. */
      udp_register_dst_port (vlib_get_main (), UDP_DST_PORT_dhcpv6_to_server,
			     dhcp6_server_node.index, 0 /* is_ip4 */);
    }

  rv = dhcp6_server_interface_enable (sw_if_index, settings, has_mac ? mac : 0, error, error_len);
  if (rv != DHCP6_SERVER_STATUS_OK && !was_enabled)
    {
      dhcp6_server_mfib_release (sw_if_index);
      ip6_link_disable (sw_if_index);
    }
  return rv;
}

int
dhcp4_server_interface_set (u32 sw_if_index, bool enable, char *error, size_t error_len)
{
  vnet_main_t *vnm = vnet_get_main ();
  u8 mac[6];

  if (!vnet_sw_interface_is_valid (vnm, sw_if_index))
    {
      snprintf (error, error_len, "no interface with index %u", sw_if_index);
      return DHCP6_SERVER_STATUS_INVALID_VALUE;
    }
  if (enable && !dhcp6_server_interface_mac (sw_if_index, mac))
    {
      snprintf (error, error_len, "not an Ethernet interface");
      return DHCP6_SERVER_STATUS_INVALID_VALUE;
    }
  bool was_enabled = dhcp6_server_interface4_enabled (sw_if_index);
  int rv = dhcp6_server_interface4_apply (sw_if_index, enable, error, error_len);
  if (rv == DHCP6_SERVER_STATUS_OK && enable != was_enabled)
    vnet_feature_enable_disable ("ip4-unicast", "dhcp4-server-detect", sw_if_index, enable, 0, 0);
  return rv;
}

static void
dhcp6_server_stats_init (void)
{
  for (u32 i = 0; i < DHCP6_SERVER_N_STATS; i++)
    dhcp6_server_shim_main.stats[i].name = dhcp6_server_shim_main.stats[i].stat_segment_name =
      (char *) dhcp6_server_stat_name (i);
}

void
dhcp6_server_stats_validate (u32 sw_if_index)
{
  for (u32 i = 0; i < DHCP6_SERVER_N_STATS; i++)
    if (dhcp6_server_shim_main.stats[i].name)
      {
	vlib_validate_simple_counter (&dhcp6_server_shim_main.stats[i], sw_if_index);
	vlib_zero_simple_counter (&dhcp6_server_shim_main.stats[i], sw_if_index);
      }
}

/* A deleted interface loses its service with it; a new one gets room in
 * the stats counters. */
static clib_error_t *
dhcp6_server_sw_interface_add_del (vnet_main_t *vnm, u32 sw_if_index, u32 is_add)
{
  char error[256];

  if (is_add && dhcp6_server_shim_main.stats_ready)
    dhcp6_server_stats_validate (sw_if_index);

  if (!is_add && dhcp6_server_interface_get (sw_if_index, &(Dhcp6ServerInterfaceSettings){ 0 }))
    {
      dhcp6_server_interface_disable (sw_if_index, error, sizeof (error));
      dhcp6_server_mfib_release (sw_if_index);
    }
  return 0;
}

VNET_SW_INTERFACE_ADD_DEL_FUNCTION (dhcp6_server_sw_interface_add_del);

/* The command handlers' view of VPP's interfaces (dhcp6_server_host_set). */
static u32
dhcp6_server_interface_by_name (const char *name)
{
  unformat_input_t in;
  u32 sw_if_index = DHCP6_SERVER_NO_INTERFACE;

  unformat_init_string (&in, (char *) name, strlen (name));
  if (!unformat_user (&in, unformat_vnet_sw_interface, vnet_get_main (), &sw_if_index) ||
      unformat_check_input (&in) != UNFORMAT_END_OF_INPUT)
    sw_if_index = DHCP6_SERVER_NO_INTERFACE;
  unformat_free (&in);
  return sw_if_index;
}

static void
dhcp6_server_interface_name (u32 sw_if_index, char *out, size_t len)
{
  vnet_main_t *vnm = vnet_get_main ();
  u8 *s;

  out[0] = 0;
  if (!vnet_sw_interface_is_valid (vnm, sw_if_index))
    return;
  s = format (0, "%U%c", format_vnet_sw_if_index_name, vnm, sw_if_index, 0);
  snprintf (out, len, "%s", (char *) s);
  vec_free (s);
}

static clib_error_t *
dhcp6_server_init (vlib_main_t *vm)
{
  static const Dhcp6ServerHost host = {
    .interface_by_name = dhcp6_server_interface_by_name,
    .interface_name = dhcp6_server_interface_name,
    .interface_facts = dhcp6_server_interface_facts,
    .interface_set = dhcp6_server_interface_set,
    .interface4_set = dhcp4_server_interface_set,
    .ra_flags_get = dhcp6_server_ra_flags_get,
    .ra_flags_set = dhcp6_server_ra_flags_set,
    .ra_prefix_get = dhcp6_server_ra_prefix_get,
    .ra_prefix_set = dhcp6_server_ra_prefix_set,
  };

  dhcp6_server_shim_main_t *sm = &dhcp6_server_shim_main;

  dhcp6_server_host_set (&host);
  sm->log_class = vlib_log_register_class ("dhcp6-server", 0);
  dhcp6_server_stats_init ();
  sm->fib_source = fib_source_allocate ("dhcp6-server", FIB_SOURCE_PRIORITY_LOW, FIB_SOURCE_BH_API);
  /* UDP 547 is ours from the start: messages to interfaces without service
   * are then counted (not_enabled) instead of answered by ICMP. */
  udp_register_dst_port (vm, UDP_DST_PORT_dhcpv6_to_server, dhcp6_server_node.index,
			 0 /* is_ip4 */);
  /* UDP 67 too, for unicast (relays, renewing clients); broadcasts come
   * by dhcp4-server-detect. VPP's DHCP client (68) is left alone. */
  udp_register_dst_port (vm, UDP_DST_PORT_dhcp_to_server, dhcp4_server_node.index,
			 1 /* is_ip4 */);
  return 0;
}

/* Threads exist by now: set up the handoff queue and the clock. */
static clib_error_t *
dhcp6_server_main_loop_enter (vlib_main_t *vm)
{
  dhcp6_server_shim_main_t *sm = &dhcp6_server_shim_main;

  char error[256] = "";
  i64 restored;

  sm->frame_queue_index = vlib_frame_queue_main_init (dhcp6_server_node.index, 0);
  sm->frame_queue_index4 = vlib_frame_queue_main_init (dhcp4_server_node.index, 0);
  /* Counter slots for every interface there is; later ones get theirs
   * when created. */
  u32 n_interfaces = pool_len (vnet_get_main ()->interface_main.sw_interfaces);
  for (u32 i = 0; i < clib_max (n_interfaces, 1); i++)
    dhcp6_server_stats_validate (i);
  sm->stats_ready = true;
  sm->unix_time_offset = unix_time_now () - vlib_time_now (vm);
  sm->wall_time_offset = sm->unix_time_offset;
  /* Leases of the previous run, before the first packet is served. */
  f64 started = vlib_time_now (vm);
  restored = dhcp6_server_lease_store_open (dhcp6_server_now (vm), error, sizeof (error));
  if (restored < 0)
    dhcp6_server_log_err ("%s", error);
  else
    dhcp6_server_log_notice ("%lld leases restored from the lease file in %.3f s", restored,
			     vlib_time_now (vm) - started);
  return 0;
}

VLIB_MAIN_LOOP_ENTER_FUNCTION (dhcp6_server_main_loop_enter);

/* At exit, with the workers held (none may write a lease after), the
 * lease file gets what its working copy in memory holds. */
static clib_error_t *
dhcp6_server_main_loop_exit (vlib_main_t *vm)
{
  char error[256] = "";

  vlib_worker_thread_barrier_sync (vm);
  if (!dhcp6_server_lease_store_close (error, sizeof (error)))
    dhcp6_server_log_err ("%s", error);
  return 0;
}

VLIB_MAIN_LOOP_EXIT_FUNCTION (dhcp6_server_main_loop_exit);

VLIB_INIT_FUNCTION (dhcp6_server_init) = {
  .runs_after = VLIB_INITS ("ip6_lookup_init", "udp_local_init"),
};

/* Routes (or stops routing) a delegated prefix as the lease engine says.
 * False when the next hop's interface or table does not exist (yet). */
static bool
dhcp6_server_apply_route (void *ctx, const Dhcp6ServerRouteOp *op)
{
  dhcp6_server_shim_main_t *sm = &dhcp6_server_shim_main;
  fib_prefix_t pfx = { .fp_proto = FIB_PROTOCOL_IP6, .fp_len = op->prefix_len };
  ip46_address_t next_hop = { 0 };
  bool recursive = op->sw_if_index == DHCP6_SERVER_NO_INTERFACE;
  u32 nh_sw_if_index = recursive ? ~0 : op->sw_if_index;
  u32 nh_fib_index = recursive ? op->fib_index : ~0;

  if ((!recursive && !vnet_sw_interface_is_valid (vnet_get_main (), op->sw_if_index)) ||
      pool_is_free_index (ip6_main.fibs, op->fib_index))
    return false;
  clib_memcpy (pfx.fp_addr.ip6.as_u8, op->prefix, 16);
  clib_memcpy (next_hop.ip6.as_u8, op->next_hop, 16);
  if (op->add)
    fib_table_entry_path_add (op->fib_index, &pfx, sm->fib_source, FIB_ENTRY_FLAG_NONE,
			      DPO_PROTO_IP6, &next_hop, nh_sw_if_index, nh_fib_index, 1, NULL,
			      FIB_ROUTE_PATH_FLAG_NONE);
  else
    fib_table_entry_path_remove (op->fib_index, &pfx, sm->fib_source, DPO_PROTO_IP6, &next_hop,
				 nh_sw_if_index, nh_fib_index, 1, FIB_ROUTE_PATH_FLAG_NONE);
  return true;
}

/* The stats segment's gauges: names and values from Rust, registered anew
 * when their set changes (pools added or removed). */
static void
dhcp6_server_update_gauges (void)
{
  dhcp6_server_shim_main_t *sm = &dhcp6_server_shim_main;
  u32 generation = dhcp6_server_gauges_generation (), *e, n;

  if (!sm->gauges_ready || generation != sm->gauges_generation)
    {
      vec_foreach (e, sm->gauges)
	vlib_stats_remove_entry (*e);
      vec_reset_length (sm->gauges);
      for (u32 i = 0; i < dhcp6_server_gauge_count (); i++)
	vec_add1 (sm->gauges, vlib_stats_add_gauge ("%s", dhcp6_server_gauge_name (i)));
      vec_validate (sm->gauge_values, vec_len (sm->gauges));
      sm->gauges_generation = generation;
      sm->gauges_ready = true;
    }
  n = dhcp6_server_gauge_values (sm->gauge_values, vec_len (sm->gauges));
  for (u32 i = 0; i < n; i++)
    vlib_stats_set_gauge (sm->gauges[i], sm->gauge_values[i]);
}

/* Main-thread work the workers hand over: FIB changes for delegated
 * prefixes and leases due to expire while no packet arrives. It takes the
 * barrier only when there is something to do. */
static uword
dhcp6_server_maintenance_fn (vlib_main_t *vm, vlib_node_runtime_t *rt, vlib_frame_t *f)
{
  char message[512];
  f64 pace = dhcp6_server_maintenance_pace ();
  f64 wait = pace, last_round = 0;

  while (1)
    {
      vlib_process_wait_for_event_or_clock (vm, wait);
      wait = pace;
      bool woken = vlib_process_get_events (vm, 0) != ~0;
      u32 now = dhcp6_server_now (vm);
      /* The round of upkeep at the usual pace (or when woken), not at
       * each of the quick passes the lease engine asks for below. */
      if (woken || vlib_time_now (vm) - last_round >= pace)
	{
	  last_round = vlib_time_now (vm);
	  /* VPP's clock drifts from the system's (seen: 5 ms within
	   * minutes); wall times (the looking glass's records) follow the
	   * system's. */
	  dhcp6_server_shim_main.wall_time_offset = unix_time_now () - vlib_time_now (vm);
	  dhcp6_server_update_gauges ();
	  dhcp6_server_send_lease_events (vm);
	  dhcp6_server_prefix_groups_poll (vm);
	  /* startup.conf interfaces, once they exist (created by the startup
	   * exec file, the CLI or the API). */
	  if (dhcp6_server_startup_ready (now))
	    {
	      vlib_worker_thread_barrier_sync (vm);
	      dhcp6_server_startup_run_ready (now);
	      vlib_worker_thread_barrier_release (vm);
	    }
	  /* What the lease file's own thread (space, write-back, path) has
	   * to say. */
	  while (dhcp6_server_lease_store_message (message, sizeof (message)))
	    dhcp6_server_log_err ("%s", message);
	}
      if (!dhcp6_server_maintenance_due (now))
	continue;
      vlib_worker_thread_barrier_sync (vm);
      wait = dhcp6_server_maintain (now, dhcp6_server_apply_route, 0);
      vlib_worker_thread_barrier_release (vm);
    }
  return 0;
}

VLIB_REGISTER_NODE (dhcp6_server_maintenance_node) = {
  .function = dhcp6_server_maintenance_fn,
  .type = VLIB_NODE_TYPE_PROCESS,
  .name = "dhcp6-server-maintenance",
  /* FIB updates want more than the default process stack. */
  .process_log2_n_stack_bytes = 18,
};
