/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Binary API handlers (dhcp6_server.api). The command messages all go to
 * the Rust command table, which reads the message and answers with a
 * status and a text; the typed reads (dumps, settings, lease events) are
 * filled in from the core here.
 */
#include "dhcp6_server_shim.h"
#include <vnet/ip/ip_types_api.h>
#include <vlibapi/api.h>
#include <vlibmemory/api.h>

#include <dhcp6_server/dhcp6_server.api_enum.h>
#include <dhcp6_server/dhcp6_server.api_types.h>

#define REPLY_MSG_ID_BASE dhcp6_server_shim_main.msg_id_base
#include <vlibapi/api_helper_macros.h>
#include <dhcp6_server_commands.h>

typedef struct
{
  vl_api_registration_t *reg;
  u32 context;
  u16 reply_id;
} dhcp6_server_api_call_t;

/* Every command's reply has the same fields (retval, message). */
static void
dhcp6_server_api_reply (void *ctx, int32_t retval, const uint8_t *text, size_t len)
{
  dhcp6_server_api_call_t *c = ctx;
  vl_api_dhcp6_server_enable_reply_t *rmp = vl_msg_api_alloc_zero (sizeof (*rmp) + len);

  rmp->_vl_msg_id = htons (c->reply_id + dhcp6_server_shim_main.msg_id_base);
  rmp->context = c->context;
  rmp->retval = htonl (retval);
  rmp->message.length = htonl (len);
  clib_memcpy (rmp->message.buf, text, len);
  vl_api_send_msg (c->reg, (u8 *) rmp);
}

#define _(index, name, NAME)                                                                       \
  static void vl_api_##name##_t_handler (vl_api_##name##_t *mp)                                    \
  {                                                                                                \
    dhcp6_server_api_call_t c = { vl_api_client_index_to_registration (mp->client_index),          \
				  mp->context, VL_API_##NAME##_REPLY };                            \
    if (c.reg)                                                                                     \
      dhcp6_server_api_command (index, (u8 *) mp, vl_msg_api_get_msg_length (mp),                  \
				dhcp6_server_now (vlib_get_main ()), dhcp6_server_api_reply, &c);  \
  }
DHCP6_SERVER_API_COMMANDS (_)
#undef _

static void
dhcp6_server_send_interface_details (vl_api_registration_t *reg, u32 context, u32 sw_if_index)
{
  vl_api_dhcp6_server_interface_details_t *rmp;
  Dhcp6ServerInterfaceSettings s;
  Dhcp6ServerInterfaceFacts facts;

  if (!dhcp6_server_interface_get (sw_if_index, &s))
    return;
  dhcp6_server_interface_facts (sw_if_index, &facts);
  rmp = vl_msg_api_alloc_zero (sizeof (*rmp));
  rmp->_vl_msg_id =
    htons (VL_API_DHCP6_SERVER_INTERFACE_DETAILS + dhcp6_server_shim_main.msg_id_base);
  rmp->context = context;
  rmp->sw_if_index = htonl (sw_if_index);
  clib_memcpy (rmp->reply_from, s.reply_from, 16);
  clib_memcpy (rmp->link_address, s.link_address, 16);
  rmp->accept_multicast = s.accept_multicast;
  rmp->accept_unicast = s.accept_unicast;
  clib_memcpy (rmp->server_unicast, s.server_unicast, 16);
  strncpy ((char *) rmp->ra, dhcp6_server_ra_mode_name (s.ra), sizeof (rmp->ra) - 1);
  dhcp6_server_interface_effective (&s, &facts, (uint8_t (*)[16]) rmp->effective_reply_from,
				    (uint8_t (*)[16]) rmp->effective_link_address);
  vl_api_send_msg (reg, (u8 *) rmp);
}

static void
vl_api_dhcp6_server_interface_dump_t_handler (vl_api_dhcp6_server_interface_dump_t *mp)
{
  vl_api_registration_t *reg = vl_api_client_index_to_registration (mp->client_index);
  u32 sw_if_index = ntohl (mp->sw_if_index);

  if (!reg)
    return;
  if (sw_if_index != ~0)
    {
      dhcp6_server_send_interface_details (reg, mp->context, sw_if_index);
      return;
    }
  for (u32 i = dhcp6_server_interface_next (0); i != DHCP6_SERVER_NO_INTERFACE;
       i = dhcp6_server_interface_next (i + 1))
    dhcp6_server_send_interface_details (reg, mp->context, i);
}

static void
vl_api_dhcp6_server_get_config_t_handler (vl_api_dhcp6_server_get_config_t *mp)
{
  vl_api_dhcp6_server_get_config_reply_t *rmp;
  int rv = 0;

  REPLY_MACRO2_ZERO (VL_API_DHCP6_SERVER_GET_CONFIG_REPLY, ({
		       bool configured = false;
		       u32 derived_from = ~0;
		       size_t n;

		       rmp->duid_len = dhcp6_server_get_duid (rmp->duid, &configured,
							      &derived_from);
		       rmp->duid_configured = configured;
		       rmp->duid_derived_from = htonl (derived_from);
		       n = dhcp6_server_get_dns_servers ((uint8_t (*)[16]) rmp->dns_servers,
							 ARRAY_LEN (rmp->dns_servers));
		       rmp->n_dns_servers = clib_min (n, ARRAY_LEN (rmp->dns_servers));
		       dhcp6_server_get_domain_search ((char *) rmp->domain_search,
						       sizeof (rmp->domain_search));
		     }));
}

typedef struct
{
  vl_api_registration_t *reg;
  u32 context;
} dhcp6_server_lease_dump_ctx_t;

static void
dhcp6_server_send_lease_details (void *ctx, const Dhcp6ServerLease *l)
{
  dhcp6_server_lease_dump_ctx_t *c = ctx;
  vl_api_dhcp6_server_lease_details_t *rmp = vl_msg_api_alloc_zero (sizeof (*rmp));

  rmp->_vl_msg_id = htons (VL_API_DHCP6_SERVER_LEASE_DETAILS + dhcp6_server_shim_main.msg_id_base);
  rmp->context = c->context;
  clib_memcpy (rmp->prefix.address, l->resource, 16);
  rmp->prefix.len = l->prefix_len;
  rmp->is_delegated_prefix = l->is_prefix;
  rmp->state = l->state;
  rmp->iaid = htonl (l->iaid);
  rmp->duid_len = l->duid_len;
  clib_memcpy (rmp->duid, l->duid, sizeof (rmp->duid));
  rmp->preferred_lifetime_left = htonl (l->preferred_left);
  rmp->valid_lifetime_left = htonl (l->valid_left);
  rmp->sw_if_index = htonl (l->sw_if_index);
  rmp->routed = l->routed;
  clib_memcpy (rmp->next_hop, l->next_hop, 16);
  vl_api_send_msg (c->reg, (u8 *) rmp);
}

static void
vl_api_dhcp6_server_lease_dump_t_handler (vl_api_dhcp6_server_lease_dump_t *mp)
{
  dhcp6_server_lease_dump_ctx_t ctx = {
    .reg = vl_api_client_index_to_registration (mp->client_index),
    .context = mp->context,
  };

  if (!ctx.reg)
    return;
  dhcp6_server_leases_walk (dhcp6_server_now (vlib_get_main ()), ntohl (mp->sw_if_index), mp->duid,
			    clib_min (mp->duid_len, sizeof (mp->duid)),
			    dhcp6_server_send_lease_details, &ctx);
}

static void
vl_api_want_dhcp6_server_lease_events_t_handler (vl_api_want_dhcp6_server_lease_events_t *mp)
{
  dhcp6_server_shim_main_t *sm = &dhcp6_server_shim_main;
  vl_api_want_dhcp6_server_lease_events_reply_t *rmp;
  int rv = 0;
  u32 i = vec_search (sm->event_client_indexes, mp->client_index);

  if (mp->enable_disable && i == ~0)
    {
      vec_add1 (sm->event_client_indexes, mp->client_index);
      vec_add1 (sm->event_pids, ntohl (mp->pid));
    }
  else if (!mp->enable_disable && i != ~0)
    {
      vec_del1 (sm->event_client_indexes, i);
      vec_del1 (sm->event_pids, i);
    }
  else
    rv = VNET_API_ERROR_INVALID_REGISTRATION;
  dhcp6_server_events_want (vec_len (sm->event_client_indexes));
  REPLY_MACRO (VL_API_WANT_DHCP6_SERVER_LEASE_EVENTS_REPLY);
}

static void
dhcp6_server_send_lease_event (void *ctx, const Dhcp6ServerLeaseEvent *e)
{
  dhcp6_server_shim_main_t *sm = &dhcp6_server_shim_main;
  u64 dropped = dhcp6_server_events_dropped ();

  for (u32 i = 0; i < vec_len (sm->event_client_indexes);)
    {
      vl_api_registration_t *reg = vl_api_client_index_to_registration (sm->event_client_indexes[i]);
      if (!reg)
	{
	  /* The client went away without unsubscribing. */
	  vec_del1 (sm->event_client_indexes, i);
	  vec_del1 (sm->event_pids, i);
	  dhcp6_server_events_want (vec_len (sm->event_client_indexes));
	  continue;
	}
      vl_api_dhcp6_server_lease_event_t *mp = vl_msg_api_alloc_zero (sizeof (*mp));
      mp->_vl_msg_id = htons (VL_API_DHCP6_SERVER_LEASE_EVENT + sm->msg_id_base);
      mp->client_index = sm->event_client_indexes[i];
      mp->pid = htonl (sm->event_pids[i]);
      mp->kind = e->kind;
      clib_memcpy (mp->prefix.address, e->resource, 16);
      mp->prefix.len = e->prefix_len;
      mp->is_delegated_prefix = e->is_prefix;
      mp->iaid = htonl (e->iaid);
      mp->duid_len = e->duid_len;
      clib_memcpy (mp->duid, e->duid, sizeof (mp->duid));
      mp->valid_lifetime_left = htonl (e->valid_left);
      mp->sw_if_index = htonl (e->sw_if_index);
      mp->dropped = clib_host_to_net_u64 (dropped);
      vl_api_send_msg (reg, (u8 *) mp);
      i++;
    }
}

void
dhcp6_server_send_lease_events (vlib_main_t *vm)
{
  dhcp6_server_events_drain (dhcp6_server_now (vm), dhcp6_server_send_lease_event, 0);
}

/* API definitions */
#include <vnet/format_fns.h>
#include <dhcp6_server/dhcp6_server.api.c>

static clib_error_t *
dhcp6_server_api_init (vlib_main_t *vm)
{
  dhcp6_server_shim_main.msg_id_base = setup_message_id_table ();
  return 0;
}

VLIB_INIT_FUNCTION (dhcp6_server_api_init);
