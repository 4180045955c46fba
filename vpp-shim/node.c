/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Graph nodes "dhcp6-server" (DHCPv6 from ip6-udp-lookup, UDP 547) and
 * "dhcp4-server" (DHCPv4 from ip4-udp-lookup, UDP 67, and the broadcasts
 * that "dhcp4-server-detect" picks off ip4-unicast): each hands its
 * packets, in place, to the Rust core. A reply is written over the request
 * in the same buffer and leaves by interface-output on the receiving
 * interface, or to a relay by ip6-lookup / ip4-lookup; anything else is
 * dropped under a named counter.
 */
#include "dhcp6_server_shim.h"
#include <vnet/ethernet/ethernet.h>
#include <vnet/feature/feature.h>
#include <vnet/ip/ip4_packet.h>
#include <vnet/ip/ip6.h>
#include <vnet/udp/udp_local.h>
#include <vnet/udp/udp_packet.h>

typedef enum
{
  DHCP6_SERVER_NEXT_DROP,
  DHCP6_SERVER_NEXT_INTERFACE_OUTPUT,
  DHCP6_SERVER_NEXT_IP6_LOOKUP,
  DHCP6_SERVER_NEXT_IP4_LOOKUP,
  DHCP6_SERVER_N_NEXT,
} dhcp6_server_next_t;

typedef struct
{
  u32 sw_if_index;
  u32 counter;
  Dhcp6ServerPacketSummary summary;
} dhcp6_server_trace_t;

/* Filled from the Rust counter table before the node is registered. */
static vlib_error_desc_t dhcp6_server_error_counters[DHCP6_SERVER_N_COUNTERS];

static void __clib_constructor
dhcp6_server_fill_error_counters (void)
{
  for (u32 i = 0; i < DHCP6_SERVER_N_COUNTERS; i++)
    {
      dhcp6_server_error_counters[i].name = (char *) dhcp6_server_counter_name (i);
      dhcp6_server_error_counters[i].desc = (char *) dhcp6_server_counter_description (i);
      dhcp6_server_error_counters[i].severity = dhcp6_server_counter_severity (i);
    }
}

static u8 *
format_dhcp6_server_trace (u8 *s, va_list *args)
{
  CLIB_UNUSED (vlib_main_t * vm) = va_arg (*args, vlib_main_t *);
  CLIB_UNUSED (vlib_node_t * node) = va_arg (*args, vlib_node_t *);
  dhcp6_server_trace_t *t = va_arg (*args, dhcp6_server_trace_t *);
  char text[256];

  dhcp6_server_trace_text (&t->summary, t->counter, format_get_indent (s) + 2, text, sizeof (text));
  return format (s, "%s server: %U %s", t->summary.dhcpv4 ? "DHCPv4" : "DHCPv6",
		 format_vnet_sw_if_index_name, vnet_get_main (), t->sw_if_index, text);
}

/* Fills in the packet's descriptor for Rust. A buffer we cannot hand over
 * gets a NULL frame and its counter here; Rust leaves it alone. */
static_always_inline void
dhcp6_server_describe (vlib_main_t *vm, vlib_buffer_t *b, Dhcp6ServerPacket *p,
		       Dhcp6ServerInterfaceFacts *facts, bool is_ip4)
{
  i16 l2 = vnet_buffer (b)->l2_hdr_offset;

  p->rx_sw_if_index = vnet_buffer (b)->sw_if_index[VLIB_RX];
  p->dhcpv4 = is_ip4;
  p->facts = facts;
  p->frame = 0;
  if (PREDICT_FALSE (b->flags & VLIB_BUFFER_NEXT_PRESENT))
    {
      p->counter = DHCP6_SERVER_COUNTER_CHAINED_BUFFER;
      return;
    }
  if (PREDICT_FALSE ((b->flags & (VNET_BUFFER_F_L2_HDR_OFFSET_VALID |
				  VNET_BUFFER_F_L3_HDR_OFFSET_VALID)) !=
		     (VNET_BUFFER_F_L2_HDR_OFFSET_VALID | VNET_BUFFER_F_L3_HDR_OFFSET_VALID)))
    {
      p->counter = DHCP6_SERVER_COUNTER_NOT_IPV6_UDP;
      return;
    }
  p->frame = b->data + l2;
  p->frame_len = b->current_data + b->current_length - l2;
  p->capacity = vlib_buffer_get_default_data_size (vm) - l2;
  p->l3_offset = vnet_buffer (b)->l3_hdr_offset - l2;
  if (is_ip4)
    {
      /* After the IPv4 header and its options: the node is reached both
       * from ip4-udp-lookup (at the payload) and from the detect feature
       * (at the IPv4 header). Rust checks the header itself. */
      u8 ihl = b->data[vnet_buffer (b)->l3_hdr_offset] & 0x0f;
      p->l4_offset = p->l3_offset + 4 * ihl;
      return;
    }
  /* ip6-udp-lookup leaves current_data at the DHCPv6 header. */
  p->l4_offset = b->current_data - (i16) sizeof (udp_header_t) - l2;
}

/* Acts on what Rust decided for one packet: counters, next node, trace. */
static_always_inline void
dhcp6_server_finish_one (vlib_main_t *vm, vlib_node_runtime_t *node, vlib_buffer_t *b,
			 Dhcp6ServerPacket *p, u16 *next, u32 *n_replies, bool is_ip4)
{
  dhcp6_server_shim_main_t *sm = &dhcp6_server_shim_main;
  u32 sw_if_index = p->rx_sw_if_index;
  u32 counter = p->counter;
  i16 l2 = vnet_buffer (b)->l2_hdr_offset;
  i16 l3 = vnet_buffer (b)->l3_hdr_offset;

  /* Stats segment, per interface (counters validated when interfaces are
   * created, so every sw_if_index has its slot). */
  for (u32 i = 0; i < DHCP6_SERVER_STATS_PER_PACKET; i++)
    if (p->stats[i] != DHCP6_SERVER_NO_STAT)
      vlib_increment_simple_counter (&sm->stats[p->stats[i]], vm->thread_index, sw_if_index, 1);

  if (counter == DHCP6_SERVER_COUNTER_REPLY_SENT && !p->reply.routed)
    {
      /* To the client: the whole frame back out of the interface. */
      b->current_data = l2;
      b->current_length = p->reply.length;
      vnet_buffer (b)->sw_if_index[VLIB_TX] = sw_if_index;
      vnet_buffer_offload_flags_clear (b, vnet_buffer (b)->oflags);
      next[0] = DHCP6_SERVER_NEXT_INTERFACE_OUTPUT;
      (*n_replies)++;
    }
  else if (counter == DHCP6_SERVER_COUNTER_REPLY_SENT)
    {
      /* To a relay: an IP packet routed in the receiving table. */
      b->current_data = l3;
      b->current_length = p->reply.length - (l3 - l2);
      vnet_buffer (b)->sw_if_index[VLIB_TX] = ~0;
      b->flags |= VNET_BUFFER_F_LOCALLY_ORIGINATED;
      vnet_buffer_offload_flags_clear (b, vnet_buffer (b)->oflags);
      next[0] = is_ip4 ? DHCP6_SERVER_NEXT_IP4_LOOKUP : DHCP6_SERVER_NEXT_IP6_LOOKUP;
      (*n_replies)++;
    }
  else
    {
      b->error = node->errors[counter];
      next[0] = DHCP6_SERVER_NEXT_DROP;
    }

  if (PREDICT_FALSE ((node->flags & VLIB_NODE_FLAG_TRACE) && (b->flags & VLIB_BUFFER_IS_TRACED)))
    {
      dhcp6_server_trace_t *t = vlib_add_trace (vm, node, b, sizeof (*t));
      t->sw_if_index = sw_if_index;
      t->counter = counter;
      t->summary = p->summary;
    }
}

static_always_inline uword
dhcp_server_inline (vlib_main_t *vm, vlib_node_runtime_t *node, vlib_frame_t *frame, bool is_ip4)
{
  u32 *from = vlib_frame_vector_args (frame);
  u32 n_left = frame->n_vectors;
  vlib_buffer_t *bufs[VLIB_FRAME_SIZE];
  u16 nexts[VLIB_BUFFER_ENQUEUE_MIN_SIZE (VLIB_FRAME_SIZE)];
  Dhcp6ServerPacket packets[VLIB_FRAME_SIZE];
  /* Interface facts change rarely and frames are mostly one interface: one
   * set of facts per interface met in the frame. */
  Dhcp6ServerInterfaceFacts facts[8];
  u32 facts_sw_if_index[8];
  u32 n_facts = 0;
  u32 n_replies = 0;
  u32 owner = dhcp6_server_owner_thread ();

  if (PREDICT_FALSE (vm->thread_index != owner))
    {
      /* The lease engine has one owner thread: hand the frame over. */
      u16 threads[VLIB_FRAME_SIZE];
      u32 n_enqueued;

      for (u32 i = 0; i < n_left; i++)
	threads[i] = owner;
      n_enqueued = vlib_buffer_enqueue_to_thread (
	vm, node,
	is_ip4 ? dhcp6_server_shim_main.frame_queue_index4 : dhcp6_server_shim_main.frame_queue_index,
	from, threads, n_left, 1);
      if (n_enqueued < n_left)
	vlib_node_increment_counter (vm, node->node_index, DHCP6_SERVER_COUNTER_HANDOFF_CONGESTION,
				     n_left - n_enqueued);
      return frame->n_vectors;
    }

  vlib_get_buffers (vm, from, bufs, n_left);
  for (u32 i = 0; i < n_left; i++)
    {
      Dhcp6ServerPacket *p = &packets[i];
      u32 sw_if_index = vnet_buffer (bufs[i])->sw_if_index[VLIB_RX];
      u32 f = 0;

      while (f < n_facts && facts_sw_if_index[f] != sw_if_index)
	f++;
      if (f == n_facts)
	{
	  /* More interfaces than slots in one frame: reuse the last one. */
	  f = n_facts < ARRAY_LEN (facts) ? n_facts++ : ARRAY_LEN (facts) - 1;
	  dhcp6_server_interface_facts (sw_if_index, &facts[f]);
	  facts_sw_if_index[f] = sw_if_index;
	}
      dhcp6_server_describe (vm, bufs[i], p, &facts[f], is_ip4);
    }
  dhcp6_server_handle_packets (packets, n_left, vlib_time_now (vm) + dhcp6_server_shim_main.wall_time_offset,
			       (u64) (vlib_time_now (vm) * 1e3));
  for (u32 i = 0; i < n_left; i++)
    dhcp6_server_finish_one (vm, node, bufs[i], &packets[i], &nexts[i], &n_replies, is_ip4);

  vlib_buffer_enqueue_to_next (vm, node, from, nexts, frame->n_vectors);
  vlib_node_increment_counter (vm, node->node_index, DHCP6_SERVER_COUNTER_REPLY_SENT, n_replies);
  return frame->n_vectors;
}

static uword
dhcp6_server_node_fn (vlib_main_t *vm, vlib_node_runtime_t *node, vlib_frame_t *frame)
{
  return dhcp_server_inline (vm, node, frame, false /* is_ip4 */);
}

static uword
dhcp4_server_node_fn (vlib_main_t *vm, vlib_node_runtime_t *node, vlib_frame_t *frame)
{
  return dhcp_server_inline (vm, node, frame, true /* is_ip4 */);
}

VLIB_REGISTER_NODE (dhcp6_server_node) = {
  .function = dhcp6_server_node_fn,
  .name = "dhcp6-server",
  .vector_size = sizeof (u32),
  .format_trace = format_dhcp6_server_trace,
  .type = VLIB_NODE_TYPE_INTERNAL,
  .n_errors = DHCP6_SERVER_N_COUNTERS,
  .error_counters = dhcp6_server_error_counters,
  .n_next_nodes = DHCP6_SERVER_N_NEXT,
  .next_nodes = {
    [DHCP6_SERVER_NEXT_DROP] = "error-drop",
    [DHCP6_SERVER_NEXT_INTERFACE_OUTPUT] = "interface-output",
    [DHCP6_SERVER_NEXT_IP6_LOOKUP] = "ip6-lookup",
    [DHCP6_SERVER_NEXT_IP4_LOOKUP] = "ip4-lookup",
  },
};

VLIB_REGISTER_NODE (dhcp4_server_node) = {
  .function = dhcp4_server_node_fn,
  .name = "dhcp4-server",
  .vector_size = sizeof (u32),
  .format_trace = format_dhcp6_server_trace,
  .type = VLIB_NODE_TYPE_INTERNAL,
  .n_errors = DHCP6_SERVER_N_COUNTERS,
  .error_counters = dhcp6_server_error_counters,
  .n_next_nodes = DHCP6_SERVER_N_NEXT,
  .next_nodes = {
    [DHCP6_SERVER_NEXT_DROP] = "error-drop",
    [DHCP6_SERVER_NEXT_INTERFACE_OUTPUT] = "interface-output",
    [DHCP6_SERVER_NEXT_IP6_LOOKUP] = "ip6-lookup",
    [DHCP6_SERVER_NEXT_IP4_LOOKUP] = "ip4-lookup",
  },
};

/* "dhcp4-server-detect", on ip4-unicast of interfaces with DHCPv4 service:
 * a client without an address broadcasts from 0.0.0.0 to 255.255.255.255,
 * which the FIB drops (and ip4-not-enabled before it, on an interface
 * without IPv4). As VPP's DHCP client does for port 68, pick those off
 * before that; everything else goes on along the arc. */
typedef enum
{
  DHCP4_DETECT_NEXT_SERVER,
  DHCP4_DETECT_N_NEXT,
} dhcp4_detect_next_t;

static uword
dhcp4_server_detect_fn (vlib_main_t *vm, vlib_node_runtime_t *node, vlib_frame_t *frame)
{
  u32 *from = vlib_frame_vector_args (frame);
  u32 n_left = frame->n_vectors;
  vlib_buffer_t *bufs[VLIB_FRAME_SIZE];
  u16 nexts[VLIB_BUFFER_ENQUEUE_MIN_SIZE (VLIB_FRAME_SIZE)];

  vlib_get_buffers (vm, from, bufs, n_left);
  for (u32 i = 0; i < n_left; i++)
    {
      vlib_buffer_t *b = bufs[i];
      ip4_header_t *ip = vlib_buffer_get_current (b);
      u32 next;

      vnet_feature_next (&next, b);
      if (b->current_length >= sizeof (*ip) + sizeof (udp_header_t) &&
	  ip->ip_version_and_header_length == 0x45 && ip->protocol == IP_PROTOCOL_UDP &&
	  ip->dst_address.as_u32 == 0xffffffff)
	{
	  udp_header_t *udp = (udp_header_t *) (ip + 1);
	  if (udp->dst_port == clib_host_to_net_u16 (UDP_DST_PORT_dhcp_to_server))
	    {
	      vnet_buffer (b)->l3_hdr_offset = b->current_data;
	      b->flags |= VNET_BUFFER_F_L3_HDR_OFFSET_VALID;
	      next = DHCP4_DETECT_NEXT_SERVER;
	    }
	}
      nexts[i] = next;
    }
  vlib_buffer_enqueue_to_next (vm, node, from, nexts, frame->n_vectors);
  return frame->n_vectors;
}

VLIB_REGISTER_NODE (dhcp4_server_detect_node) = {
  .function = dhcp4_server_detect_fn,
  .name = "dhcp4-server-detect",
  .vector_size = sizeof (u32),
  .type = VLIB_NODE_TYPE_INTERNAL,
  .n_next_nodes = DHCP4_DETECT_N_NEXT,
  .next_nodes = {
    [DHCP4_DETECT_NEXT_SERVER] = "dhcp4-server",
  },
};

VNET_FEATURE_INIT (dhcp4_server_detect_feature, static) = {
  .arc_name = "ip4-unicast",
  .node_name = "dhcp4-server-detect",
  .runs_before = VNET_FEATURES ("ip4-not-enabled"),
};
