/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Graph node "dhcp6-server": receives DHCPv6 from ip6-udp-lookup (UDP 547)
 * and hands each packet, in place, to the Rust core. A reply is written over
 * the request in the same buffer and leaves by interface-output on the
 * receiving interface; anything else is dropped under a named counter.
 */
#include "dhcp6_server_shim.h"
#include <vnet/ethernet/ethernet.h>
#include <vnet/ip/ip6.h>
#include <vnet/udp/udp_packet.h>

typedef enum
{
  DHCP6_SERVER_NEXT_DROP,
  DHCP6_SERVER_NEXT_INTERFACE_OUTPUT,
  DHCP6_SERVER_NEXT_IP6_LOOKUP,
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
  const Dhcp6ServerPacketSummary *sum = &t->summary;
  u32 indent = format_get_indent (s);

  s = format (s, "DHCPv6 server: %U %s -> ", format_vnet_sw_if_index_name, vnet_get_main (),
	      t->sw_if_index,
	      sum->msg_type_in ? dhcp6_server_message_type_name (sum->msg_type_in) : "(none)");
  if (t->counter == DHCP6_SERVER_COUNTER_REPLY_SENT)
    s = format (s, "%s", dhcp6_server_message_type_name (sum->msg_type_out));
  else
    s = format (s, "dropped: %s", dhcp6_server_counter_description (t->counter));
  if (sum->client_duid_len)
    {
      u32 kept = clib_min (sum->client_duid_len, DHCP6_SERVER_TRACE_DUID_LEN);
      s = format (s, "\n%Uclient-duid %U%s", format_white_space, indent + 2, format_hex_bytes,
		  sum->client_duid, kept, sum->client_duid_len > kept ? "..." : "");
    }
  return s;
}

static_always_inline void
dhcp6_server_handle_one (vlib_main_t *vm, vlib_node_runtime_t *node, vlib_buffer_t *b,
			 u16 *next, u32 *cached_sw_if_index, Dhcp6ServerInterfaceFacts *facts,
			 u32 now, u32 *n_replies)
{
  u32 sw_if_index = vnet_buffer (b)->sw_if_index[VLIB_RX];
  Dhcp6ServerPacketSummary summary = { 0 };
  Dhcp6ServerReply reply = { 0 };
  u32 counter;
  i16 l2 = vnet_buffer (b)->l2_hdr_offset;
  i16 l3 = vnet_buffer (b)->l3_hdr_offset;

  if (PREDICT_FALSE (b->flags & VLIB_BUFFER_NEXT_PRESENT))
    counter = DHCP6_SERVER_COUNTER_CHAINED_BUFFER;
  else if (PREDICT_FALSE ((b->flags & (VNET_BUFFER_F_L2_HDR_OFFSET_VALID |
				       VNET_BUFFER_F_L3_HDR_OFFSET_VALID)) !=
			  (VNET_BUFFER_F_L2_HDR_OFFSET_VALID | VNET_BUFFER_F_L3_HDR_OFFSET_VALID)))
    counter = DHCP6_SERVER_COUNTER_NOT_IPV6_UDP;
  else
    {
      /* Interface facts change rarely and frames are mostly one interface. */
      if (sw_if_index != *cached_sw_if_index)
	{
	  dhcp6_server_interface_facts (sw_if_index, facts);
	  *cached_sw_if_index = sw_if_index;
	}
      Dhcp6ServerPacket packet = {
	.frame = b->data + l2,
	.frame_len = b->current_data + b->current_length - l2,
	.capacity = vlib_buffer_get_default_data_size (vm) - l2,
	.l3_offset = vnet_buffer (b)->l3_hdr_offset - l2,
	/* ip6-udp-lookup leaves current_data at the DHCPv6 header. */
	.l4_offset = b->current_data - (i16) sizeof (udp_header_t) - l2,
	.rx_sw_if_index = sw_if_index,
	.now = now,
      };
      counter = dhcp6_server_handle_packet (&packet, facts, &summary, &reply);
    }

  /* Stats segment, per interface (counters validated when interfaces are
   * created, so every sw_if_index has its slot). */
  {
    dhcp6_server_shim_main_t *sm = &dhcp6_server_shim_main;
    u32 thread = vm->thread_index;
    u32 in = summary.msg_type_in < DHCP6_SERVER_N_STAT_MSG_TYPES ? summary.msg_type_in : 0;
    vlib_increment_simple_counter (&sm->rx_by_type[in], thread, sw_if_index, 1);
    if (counter == DHCP6_SERVER_COUNTER_REPLY_SENT)
      vlib_increment_simple_counter (&sm->tx_by_type[summary.msg_type_out], thread, sw_if_index,
				     1);
    else
      vlib_increment_simple_counter (&sm->drops_by_reason[counter], thread, sw_if_index, 1);
  }

  if (counter == DHCP6_SERVER_COUNTER_REPLY_SENT && !reply.routed)
    {
      /* To the client: the whole frame back out of the interface. */
      b->current_data = l2;
      b->current_length = reply.length;
      vnet_buffer (b)->sw_if_index[VLIB_TX] = sw_if_index;
      vnet_buffer_offload_flags_clear (b, vnet_buffer (b)->oflags);
      next[0] = DHCP6_SERVER_NEXT_INTERFACE_OUTPUT;
      (*n_replies)++;
    }
  else if (counter == DHCP6_SERVER_COUNTER_REPLY_SENT)
    {
      /* To a relay: an IPv6 packet routed in the receiving table. */
      b->current_data = l3;
      b->current_length = reply.length - (l3 - l2);
      vnet_buffer (b)->sw_if_index[VLIB_TX] = ~0;
      b->flags |= VNET_BUFFER_F_LOCALLY_ORIGINATED;
      vnet_buffer_offload_flags_clear (b, vnet_buffer (b)->oflags);
      next[0] = DHCP6_SERVER_NEXT_IP6_LOOKUP;
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
      t->summary = summary;
    }
}

static uword
dhcp6_server_node_fn (vlib_main_t *vm, vlib_node_runtime_t *node, vlib_frame_t *frame)
{
  u32 *from = vlib_frame_vector_args (frame);
  u32 n_left = frame->n_vectors;
  vlib_buffer_t *bufs[VLIB_FRAME_SIZE], **b = bufs;
  u16 nexts[VLIB_BUFFER_ENQUEUE_MIN_SIZE (VLIB_FRAME_SIZE)], *next = nexts;
  Dhcp6ServerInterfaceFacts facts;
  u32 cached_sw_if_index = ~0;
  u32 n_replies = 0;
  u32 owner = dhcp6_server_owner_thread ();
  u32 now;

  if (PREDICT_FALSE (vm->thread_index != owner))
    {
      /* The lease engine has one owner thread: hand the frame over. */
      u16 threads[VLIB_FRAME_SIZE];
      u32 n_enqueued;

      for (u32 i = 0; i < n_left; i++)
	threads[i] = owner;
      n_enqueued = vlib_buffer_enqueue_to_thread (
	vm, node, dhcp6_server_shim_main.frame_queue_index, from, threads, n_left, 1);
      if (n_enqueued < n_left)
	vlib_node_increment_counter (vm, node->node_index, DHCP6_SERVER_COUNTER_HANDOFF_CONGESTION,
				     n_left - n_enqueued);
      return frame->n_vectors;
    }

  now = dhcp6_server_now (vm);
  vlib_get_buffers (vm, from, bufs, n_left);
  while (n_left > 0)
    {
      dhcp6_server_handle_one (vm, node, b[0], next, &cached_sw_if_index, &facts, now,
			       &n_replies);
      b++;
      next++;
      n_left--;
    }
  vlib_buffer_enqueue_to_next (vm, node, from, nexts, frame->n_vectors);
  vlib_node_increment_counter (vm, node->node_index, DHCP6_SERVER_COUNTER_REPLY_SENT, n_replies);
  return frame->n_vectors;
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
  },
};
