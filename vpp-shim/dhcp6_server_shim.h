/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The VPP side of the DHCPv6 server plugin: what only VPP's C macros and
 * data structures reach. Protocol logic lives in Rust (include/dhcp6_server.h).
 */
#ifndef DHCP6_SERVER_SHIM_H
#define DHCP6_SERVER_SHIM_H

#include <vlib/vlib.h>
#include <vnet/vnet.h>
#include <vnet/ip/ip6_packet.h>
#include <vlib/counter.h>
#include <dhcp6_server.h>

/* From vnet/ip/ip6_link.h, which vpp-dev 26.06 does not install; libvnet
 * exports these functions. */
extern int ip6_link_enable (u32 sw_if_index, const ip6_address_t *link_local_addr);
extern int ip6_link_disable (u32 sw_if_index);
extern const ip6_address_t *ip6_get_link_local_address (u32 sw_if_index);

typedef struct
{
  /* Binary API message id base. */
  u16 msg_id_base;
  /* Multicast FIB our ff02::1:2 entry is in, per enabled interface (~0 when
   * not enabled), and how many enabled interfaces share each table. */
  u32 *mfib_index_by_sw_if_index;
  u32 *n_enabled_by_mfib_index;
  /* Frame queues that hand packets to the lease engine's owner thread
   * (DHCPv6's node, DHCPv4's node). */
  u32 frame_queue_index;
  u32 frame_queue_index4;
  /* Added to vlib_time_now () gives wall-clock seconds. */
  f64 unix_time_offset;
  /* The same, set again each maintenance pass: wall times of records (the
   * lease clock keeps its own, so that it never goes back). */
  f64 wall_time_offset;
  /* FIB source of the delegated-prefix routes ("dhcp6-server"). */
  u32 fib_source;
  /* Stats segment, per interface: the slots of dhcp6_server_stat_name. */
  vlib_simple_counter_main_t stats[DHCP6_SERVER_N_STATS];
  /* The stats segment exists (main loop started): counters can grow. */
  bool stats_ready;
  /* Stats gauges (dhcp6_server_gauge_name) and their values. */
  u32 *gauges;
  u64 *gauge_values;
  u32 gauges_generation;
  bool gauges_ready;
  /* API clients subscribed to lease events, and the pid each gave. */
  u32 *event_client_indexes;
  u32 *event_pids;
  vlib_log_class_t log_class;
} dhcp6_server_shim_main_t;

extern dhcp6_server_shim_main_t dhcp6_server_shim_main;
extern vlib_node_registration_t dhcp6_server_node;
extern vlib_node_registration_t dhcp4_server_node;

#define dhcp6_server_log_err(...)                                                                  \
  vlib_log (VLIB_LOG_LEVEL_ERR, dhcp6_server_shim_main.log_class, __VA_ARGS__)
#define dhcp6_server_log_notice(...)                                                               \
  vlib_log (VLIB_LOG_LEVEL_NOTICE, dhcp6_server_shim_main.log_class, __VA_ARGS__)

/* The thread that owns the lease engine: the first worker, else main. */
static_always_inline u32
dhcp6_server_owner_thread (void)
{
  return vlib_num_workers () ? 1 : 0;
}

/* Wall-clock seconds, as lease times are kept, without a system call. */
static_always_inline u32
dhcp6_server_now (vlib_main_t *vm)
{
  return (u32) (vlib_time_now (vm) + dhcp6_server_shim_main.unix_time_offset);
}

/* What the packet path and the views need to know of an interface. */
void dhcp6_server_interface_facts (u32 sw_if_index, Dhcp6ServerInterfaceFacts *facts);

/* Enables (or updates) or disables service on an interface, VPP side and
 * Rust side together; on any error nothing is changed and `error` says why.
 * Main thread, barrier held. Returns a Dhcp6ServerStatus. */
int dhcp6_server_interface_set (u32 sw_if_index, bool enable,
				const Dhcp6ServerInterfaceSettings *settings, char *error,
				size_t error_len);

/* Enables or disables DHCPv4 service on an interface (the broadcast
 * detection feature and the Rust side together); Dhcp6ServerStatus. */
int dhcp4_server_interface_set (u32 sw_if_index, bool enable, char *error, size_t error_len);

/* VPP's router advertisement settings of an interface (router_adverts.c):
 * false when the interface sends no RAs or VPP refused. Main thread. */
bool dhcp6_server_ra_flags_get (u32 sw_if_index, Dhcp6ServerRaFlags *out);
bool dhcp6_server_ra_flags_set (u32 sw_if_index, const Dhcp6ServerRaFlags *flags);
bool dhcp6_server_ra_prefix_get (u32 sw_if_index, const uint8_t (*prefix)[16], uint8_t len,
				 Dhcp6ServerRaPrefix *out);
bool dhcp6_server_ra_prefix_set (u32 sw_if_index, const uint8_t (*prefix)[16], uint8_t len,
				 const Dhcp6ServerRaPrefix *info);

/* Looks at the prefix groups of VPP's DHCPv6 PD client now and then, for
 * the pools that follow them (prefix_groups.c). Maintenance process. */
void dhcp6_server_prefix_groups_poll (vlib_main_t *vm);

/* Makes room in the per-interface stats counters for `sw_if_index`
 * (main thread, barrier held). */
void dhcp6_server_stats_validate (u32 sw_if_index);

/* Sends the lease events waiting in the ring to the API subscribers. */
void dhcp6_server_send_lease_events (vlib_main_t *vm);


#endif /* DHCP6_SERVER_SHIM_H */
