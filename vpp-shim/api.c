/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Binary API handlers (dhcp6_server.api). Like the CLI they only translate
 * messages into calls on the Rust core; a refused value changes nothing and
 * comes back as a VNET_API_ERROR_* retval.
 */
#include "dhcp6_server_shim.h"
#include <vnet/ip/ip_types_api.h>
#include <vlibapi/api.h>
#include <vlibmemory/api.h>

#include <dhcp6_server/dhcp6_server.api_enum.h>
#include <dhcp6_server/dhcp6_server.api_types.h>

#define REPLY_MSG_ID_BASE dhcp6_server_shim_main.msg_id_base
#include <vlibapi/api_helper_macros.h>

static void
vl_api_dhcp6_server_enable_disable_t_handler (vl_api_dhcp6_server_enable_disable_t *mp)
{
  vl_api_dhcp6_server_enable_disable_reply_t *rmp;
  Dhcp6ServerInterfaceSettings settings = {
    .accept_multicast = !!mp->accept_multicast,
    .accept_unicast = !!mp->accept_unicast,
  };
  char error[256] = "";
  int rv;

  clib_memcpy (settings.reply_from, mp->reply_from, 16);
  clib_memcpy (settings.link_address, mp->link_address, 16);
  rv = dhcp6_server_interface_set (ntohl (mp->sw_if_index), !!mp->enable, &settings, error,
				   sizeof (error));
  if (rv != DHCP6_SERVER_STATUS_OK)
    dhcp6_server_log_notice ("API enable_disable refused: %s", error);
  rv = dhcp6_server_status_to_api_error (rv);
  REPLY_MACRO (VL_API_DHCP6_SERVER_ENABLE_DISABLE_REPLY);
}

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
vl_api_dhcp6_server_set_duid_t_handler (vl_api_dhcp6_server_set_duid_t *mp)
{
  vl_api_dhcp6_server_set_duid_reply_t *rmp;
  char error[256] = "";
  int rv;

  if (mp->duid_len > sizeof (mp->duid))
    rv = VNET_API_ERROR_INVALID_VALUE;
  else
    rv = dhcp6_server_status_to_api_error (
      dhcp6_server_set_duid (mp->duid, mp->duid_len, error, sizeof (error)));
  REPLY_MACRO (VL_API_DHCP6_SERVER_SET_DUID_REPLY);
}

static void
vl_api_dhcp6_server_set_limits_t_handler (vl_api_dhcp6_server_set_limits_t *mp)
{
  vl_api_dhcp6_server_set_limits_reply_t *rmp;
  char error[256] = "";
  Dhcp6ServerLimits l = {
    .interface_rate = (i32) clib_net_to_host_u32 (mp->interface_rate),
    .interface_burst = (i32) clib_net_to_host_u32 (mp->interface_burst),
    .client_rate = (i32) clib_net_to_host_u32 (mp->client_rate),
    .client_burst = (i32) clib_net_to_host_u32 (mp->client_burst),
    .client_leases = (i32) clib_net_to_host_u32 (mp->client_leases),
    .interface_leases = (i32) clib_net_to_host_u32 (mp->interface_leases),
  };
  int rv = dhcp6_server_status_to_api_error (
    dhcp6_server_set_limits (&l, error, sizeof (error)));
  REPLY_MACRO (VL_API_DHCP6_SERVER_SET_LIMITS_REPLY);
}

static void
vl_api_dhcp6_server_set_options_t_handler (vl_api_dhcp6_server_set_options_t *mp)
{
  vl_api_dhcp6_server_set_options_reply_t *rmp;
  char error[256] = "";
  char domains[sizeof (mp->domain_search) + 1];
  int rv;

  /* The fixed-size string need not be NUL-terminated on the wire. */
  clib_memcpy (domains, mp->domain_search, sizeof (mp->domain_search));
  domains[sizeof (mp->domain_search)] = 0;

  if (mp->n_dns_servers > ARRAY_LEN (mp->dns_servers))
    rv = VNET_API_ERROR_INVALID_VALUE;
  else
    {
      rv = dhcp6_server_set_options ((const uint8_t (*)[16]) mp->dns_servers, mp->n_dns_servers,
				     domains, error, sizeof (error));
      if (rv != DHCP6_SERVER_STATUS_OK)
	dhcp6_server_log_notice ("API set_options refused: %s", error);
      rv = dhcp6_server_status_to_api_error (rv);
    }
  REPLY_MACRO (VL_API_DHCP6_SERVER_SET_OPTIONS_REPLY);
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

/* Copies a fixed-size API string into a NUL-terminated buffer. */
#define dhcp6_server_api_string(dst, src)                                                          \
  do                                                                                               \
    {                                                                                              \
      clib_memcpy ((dst), (src), clib_min (sizeof (dst) - 1, sizeof (src)));                        \
      (dst)[clib_min (sizeof (dst) - 1, sizeof (src))] = 0;                                        \
    }                                                                                              \
  while (0)

static void
vl_api_dhcp6_server_link_add_del_t_handler (vl_api_dhcp6_server_link_add_del_t *mp)
{
  vl_api_dhcp6_server_link_add_del_reply_t *rmp;
  Dhcp6ServerLinkParameters p = {
    .preferred_lifetime = ntohl (mp->preferred_lifetime),
    .valid_lifetime = ntohl (mp->valid_lifetime),
    .t1 = ntohl (mp->t1),
    .t2 = ntohl (mp->t2),
    .rapid_commit = ntohl (mp->rapid_commit),
    .preference = ntohl (mp->preference),
  };
  char error[256] = "";
  int rv = mp->is_add ?
	     dhcp6_server_link_set (&mp->prefix.address, mp->prefix.len, &p, error, sizeof (error)) :
	     dhcp6_server_link_remove (&mp->prefix.address, mp->prefix.len, error, sizeof (error));
  if (rv != DHCP6_SERVER_STATUS_OK)
    dhcp6_server_log_notice ("API link_add_del refused: %s", error);
  rv = dhcp6_server_status_to_api_error (rv);
  REPLY_MACRO (VL_API_DHCP6_SERVER_LINK_ADD_DEL_REPLY);
}

static void
vl_api_dhcp6_server_pool_add_del_t_handler (vl_api_dhcp6_server_pool_add_del_t *mp)
{
  vl_api_dhcp6_server_pool_add_del_reply_t *rmp;
  Dhcp6ServerPool pool = {
    .is_prefix_pool = !!mp->is_prefix_pool,
    .prefix_len = mp->prefix.len,
    .delegated_len = mp->delegated_length,
  };
  char error[256] = "";
  int rv;

  clib_memcpy (pool.first, mp->first, 16);
  clib_memcpy (pool.last, mp->last, 16);
  clib_memcpy (pool.prefix, mp->prefix.address, 16);
  rv = dhcp6_server_pool_add_del (&mp->link.address, mp->link.len, &pool, !!mp->is_add, error,
				  sizeof (error));
  if (rv != DHCP6_SERVER_STATUS_OK)
    dhcp6_server_log_notice ("API pool_add_del refused: %s", error);
  rv = dhcp6_server_status_to_api_error (rv);
  REPLY_MACRO (VL_API_DHCP6_SERVER_POOL_ADD_DEL_REPLY);
}

static void
vl_api_dhcp6_server_option_set_t_handler (vl_api_dhcp6_server_option_set_t *mp)
{
  vl_api_dhcp6_server_option_set_reply_t *rmp;
  char name[sizeof (mp->name) + 1], value[sizeof (mp->value) + 1], error[256] = "";
  int rv;

  dhcp6_server_api_string (name, mp->name);
  dhcp6_server_api_string (value, mp->value);
  rv = dhcp6_server_option_set (mp->link.len ? &mp->link.address : NULL, mp->link.len, name, value,
				error, sizeof (error));
  if (rv != DHCP6_SERVER_STATUS_OK)
    dhcp6_server_log_notice ("API option_set refused: %s", error);
  rv = dhcp6_server_status_to_api_error (rv);
  REPLY_MACRO (VL_API_DHCP6_SERVER_OPTION_SET_REPLY);
}

static void
vl_api_dhcp6_server_reservation_add_del_t_handler (vl_api_dhcp6_server_reservation_add_del_t *mp)
{
  vl_api_dhcp6_server_reservation_add_del_reply_t *rmp;
  char id[sizeof (mp->id) + 1], address[sizeof (mp->address) + 1], prefix[sizeof (mp->prefix) + 1];
  char error[256] = "";
  int rv;

  dhcp6_server_api_string (id, mp->id);
  dhcp6_server_api_string (address, mp->address);
  dhcp6_server_api_string (prefix, mp->prefix);
  rv = mp->is_add ? dhcp6_server_reservation_add (id, address, prefix, error, sizeof (error)) :
		    dhcp6_server_reservation_del (id, error, sizeof (error));
  if (rv != DHCP6_SERVER_STATUS_OK)
    dhcp6_server_log_notice ("API reservation_add_del refused: %s", error);
  rv = dhcp6_server_status_to_api_error (rv);
  REPLY_MACRO (VL_API_DHCP6_SERVER_RESERVATION_ADD_DEL_REPLY);
}

static void
vl_api_dhcp6_server_reservations_load_t_handler (vl_api_dhcp6_server_reservations_load_t *mp)
{
  vl_api_dhcp6_server_reservations_load_reply_t *rmp;
  char path[sizeof (mp->path) + 1], error[256] = "";
  u32 count = 0;
  int rv;

  dhcp6_server_api_string (path, mp->path);
  rv = dhcp6_server_reservations_load (path[0] ? path : NULL, &count, error, sizeof (error));
  if (rv != DHCP6_SERVER_STATUS_OK)
    dhcp6_server_log_notice ("API reservations_load refused: %s", error);
  rv = dhcp6_server_status_to_api_error (rv);
  REPLY_MACRO2 (VL_API_DHCP6_SERVER_RESERVATIONS_LOAD_REPLY, ({ rmp->count = htonl (count); }));
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
vl_api_dhcp6_server_lease_delete_t_handler (vl_api_dhcp6_server_lease_delete_t *mp)
{
  vl_api_dhcp6_server_lease_delete_reply_t *rmp;
  char error[256] = "";
  int rv = dhcp6_server_status_to_api_error (
    dhcp6_server_lease_delete (&mp->address, error, sizeof (error)));
  REPLY_MACRO (VL_API_DHCP6_SERVER_LEASE_DELETE_REPLY);
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
  dhcp6_server_events_want (vec_len (sm->event_client_indexes) > 0);
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
