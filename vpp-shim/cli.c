/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vppctl commands. They parse words into values and hand them to the Rust
 * core, which validates them: a refused value changes nothing and comes
 * back as an error message.
 */
#include "dhcp6_server_shim.h"
#include <vnet/ip/ip6.h>
#include <vnet/ip/format.h>

#define DHCP6_SERVER_ERROR_LEN 256

static void dhcp6_server_cli_line (void *ctx, const char *line);

static clib_error_t *
dhcp6_server_cli_status (int status, const char *error)
{
  if (status == DHCP6_SERVER_STATUS_OK)
    return 0;
  return clib_error_return (0, "%s", error);
}

/* Reads "yes|no|on|off" after a keyword already matched. */
static bool
unformat_dhcp6_server_bool (unformat_input_t *input, bool *value)
{
  if (unformat (input, "yes") || unformat (input, "on"))
    *value = true;
  else if (unformat (input, "no") || unformat (input, "off"))
    *value = false;
  else
    return false;
  return true;
}

static clib_error_t *
dhcp6_server_enable_command_fn (vlib_main_t *vm, unformat_input_t *input, vlib_cli_command_t *cmd)
{
  vnet_main_t *vnm = vnet_get_main ();
  unformat_input_t _line, *line = &_line;
  Dhcp6ServerInterfaceSettings settings = { .accept_multicast = true, .accept_unicast = true };
  u32 sw_if_index = ~0;
  ip6_address_t addr;
  char error[DHCP6_SERVER_ERROR_LEN] = "";
  clib_error_t *err = 0;
  bool enable = cmd->function_arg;

  if (!unformat_user (input, unformat_line_input, line))
    return clib_error_return (0, "interface name expected");

  while (unformat_check_input (line) != UNFORMAT_END_OF_INPUT)
    {
      if (sw_if_index == ~0 && unformat (line, "%U", unformat_vnet_sw_interface, vnm, &sw_if_index))
	;
      else if (enable && unformat (line, "reply-from %U", unformat_ip6_address, &addr))
	clib_memcpy (settings.reply_from, addr.as_u8, 16);
      else if (enable && unformat (line, "link-address %U", unformat_ip6_address, &addr))
	clib_memcpy (settings.link_address, addr.as_u8, 16);
      else if (enable && unformat (line, "accept-multicast"))
	{
	  if (!unformat_dhcp6_server_bool (line, &settings.accept_multicast))
	    {
	      err = clib_error_return (0, "accept-multicast takes yes or no");
	      goto done;
	    }
	}
      else if (enable && unformat (line, "accept-unicast"))
	{
	  if (!unformat_dhcp6_server_bool (line, &settings.accept_unicast))
	    {
	      err = clib_error_return (0, "accept-unicast takes yes or no");
	      goto done;
	    }
	}
      else
	{
	  err = clib_error_return (0, "unknown input `%U'", format_unformat_error, line);
	  goto done;
	}
    }
  if (sw_if_index == ~0)
    {
      err = clib_error_return (0, "interface name expected");
      goto done;
    }
  err = dhcp6_server_cli_status (
    dhcp6_server_interface_set (sw_if_index, enable, &settings, error, sizeof (error)), error);
done:
  unformat_free (line);
  return err;
}

VLIB_CLI_COMMAND (dhcp6_server_enable_command, static) = {
  .path = "dhcp6-server enable",
  .short_help = "dhcp6-server enable <interface> [reply-from <ip6>] [link-address <ip6>] "
		"[accept-multicast yes|no] [accept-unicast yes|no]",
  .function = dhcp6_server_enable_command_fn,
  .function_arg = 1,
};

VLIB_CLI_COMMAND (dhcp6_server_disable_command, static) = {
  .path = "dhcp6-server disable",
  .short_help = "dhcp6-server disable <interface>",
  .function = dhcp6_server_enable_command_fn,
  .function_arg = 0,
};

static clib_error_t *
dhcp6_server_duid_command_fn (vlib_main_t *vm, unformat_input_t *input, vlib_cli_command_t *cmd)
{
  char error[DHCP6_SERVER_ERROR_LEN] = "";
  u8 *text = 0;
  int rv;

  if (!unformat (input, "%s", &text) || unformat_check_input (input) != UNFORMAT_END_OF_INPUT)
    {
      vec_free (text);
      return clib_error_return (0, "usage: dhcp6-server duid <hex octets>|auto");
    }
  vec_add1 (text, 0);
  rv = dhcp6_server_set_duid_text ((char *) text, error, sizeof (error));
  vec_free (text);
  return dhcp6_server_cli_status (rv, error);
}

VLIB_CLI_COMMAND (dhcp6_server_duid_command, static) = {
  .path = "dhcp6-server duid",
  .short_help = "dhcp6-server duid <hex octets, e.g. 00:02:00:00:ab:11:01:02>|auto",
  .function = dhcp6_server_duid_command_fn,
};

static clib_error_t *
dhcp6_server_dns_servers_command_fn (vlib_main_t *vm, unformat_input_t *input,
				     vlib_cli_command_t *cmd)
{
  ip6_address_t servers[DHCP6_SERVER_MAX_DNS_SERVERS + 1];
  u32 n = 0;
  char error[DHCP6_SERVER_ERROR_LEN] = "";
  ip6_address_t addr;

  if (unformat_check_input (input) == UNFORMAT_END_OF_INPUT)
    return clib_error_return (0, "usage: dhcp6-server dns-servers <ip6> [<ip6> ...]|none");
  if (unformat (input, "none"))
    ;
  else
    while (unformat_check_input (input) != UNFORMAT_END_OF_INPUT)
      {
	if (!unformat (input, "%U", unformat_ip6_address, &addr))
	  return clib_error_return (0, "not an IPv6 address: `%U'", format_unformat_error, input);
	if (n > DHCP6_SERVER_MAX_DNS_SERVERS)
	  return clib_error_return (0, "at most %u DNS servers", DHCP6_SERVER_MAX_DNS_SERVERS);
	servers[n++] = addr;
      }
  if (unformat_check_input (input) != UNFORMAT_END_OF_INPUT)
    return clib_error_return (0, "unknown input `%U'", format_unformat_error, input);
  return dhcp6_server_cli_status (
    dhcp6_server_set_dns_servers ((const uint8_t (*)[16]) servers, n, error, sizeof (error)),
    error);
}

VLIB_CLI_COMMAND (dhcp6_server_dns_servers_command, static) = {
  .path = "dhcp6-server dns-servers",
  .short_help = "dhcp6-server dns-servers <ip6> [<ip6> ...]|none",
  .function = dhcp6_server_dns_servers_command_fn,
};

static clib_error_t *
dhcp6_server_domain_search_command_fn (vlib_main_t *vm, unformat_input_t *input,
				       vlib_cli_command_t *cmd)
{
  char error[DHCP6_SERVER_ERROR_LEN] = "";
  u8 *names = 0;
  int rv;

  if (unformat_check_input (input) == UNFORMAT_END_OF_INPUT)
    return clib_error_return (0, "usage: dhcp6-server domain-search <name> [<name> ...]|none");
  /* The rest of the line; the core splits it at spaces and commas. */
  unformat_user (input, unformat_line, &names);
  vec_add1 (names, 0);
  /* "none" alone clears the list. */
  if (!strcmp ((char *) names, "none"))
    names[0] = 0;
  rv = dhcp6_server_set_domain_search ((char *) names, error, sizeof (error));
  vec_free (names);
  return dhcp6_server_cli_status (rv, error);
}

VLIB_CLI_COMMAND (dhcp6_server_domain_search_command, static) = {
  .path = "dhcp6-server domain-search",
  .short_help = "dhcp6-server domain-search <name> [<name> ...]|none",
  .function = dhcp6_server_domain_search_command_fn,
};

static clib_error_t *
dhcp6_server_show_command_fn (vlib_main_t *vm, unformat_input_t *input, vlib_cli_command_t *cmd)
{
  vnet_main_t *vnm = vnet_get_main ();
  u8 duid[DHCP6_SERVER_MAX_DUID_LEN];
  bool configured = false;
  u32 derived_from = ~0, n_enabled = 0;
  ip6_address_t dns[DHCP6_SERVER_MAX_DNS_SERVERS];
  char domains[1024];
  size_t duid_len, n_dns;

  if (unformat_check_input (input) != UNFORMAT_END_OF_INPUT)
    return clib_error_return (0, "unknown input `%U'", format_unformat_error, input);
  for (u32 i = dhcp6_server_interface_next (0); i != DHCP6_SERVER_NO_INTERFACE;
       i = dhcp6_server_interface_next (i + 1))
    n_enabled++;
  duid_len = dhcp6_server_get_duid (duid, &configured, &derived_from);
  n_dns = dhcp6_server_get_dns_servers ((uint8_t (*)[16]) dns, ARRAY_LEN (dns));
  dhcp6_server_get_domain_search (domains, sizeof (domains));

  vlib_cli_output (vm, "DHCPv6 server: %u interface%s enabled", n_enabled,
		   n_enabled == 1 ? "" : "s");
  if (!duid_len)
    vlib_cli_output (vm, "  server DUID: none yet (derived when an interface is enabled)");
  else if (configured)
    vlib_cli_output (vm, "  server DUID: %U (configured)", format_hex_bytes_no_wrap, duid,
		     duid_len);
  else if (derived_from == DHCP6_SERVER_NO_INTERFACE)
    vlib_cli_output (vm, "  server DUID: %U (derived in an earlier run, kept in the lease file)",
		     format_hex_bytes_no_wrap, duid, duid_len);
  else
    vlib_cli_output (vm, "  server DUID: %U (DUID-LL of %U)", format_hex_bytes_no_wrap, duid,
		     duid_len, format_vnet_sw_if_index_name, vnm, derived_from);
  vlib_cli_output (vm, "  dns-servers:%s", n_dns ? "" : " none");
  for (size_t i = 0; i < clib_min (n_dns, ARRAY_LEN (dns)); i++)
    vlib_cli_output (vm, "    %U", format_ip6_address, &dns[i]);
  vlib_cli_output (vm, "  domain-search: %s", domains[0] ? domains : "none");
  dhcp6_server_show_lease_store (dhcp6_server_cli_line, vm);
  dhcp6_server_show_limits (dhcp6_server_cli_line, vm);
  vlib_cli_output (vm, "  lease events: %u subscriber%s, %llu dropped (subscribers too slow)",
		   vec_len (dhcp6_server_shim_main.event_client_indexes),
		   vec_len (dhcp6_server_shim_main.event_client_indexes) == 1 ? "" : "s",
		   (unsigned long long) dhcp6_server_events_dropped ());
  return 0;
}

VLIB_CLI_COMMAND (dhcp6_server_show_command, static) = {
  .path = "show dhcp6-server",
  .short_help = "show dhcp6-server [interfaces]",
  .function = dhcp6_server_show_command_fn,
};

static clib_error_t *
dhcp6_server_show_interfaces_command_fn (vlib_main_t *vm, unformat_input_t *input,
					 vlib_cli_command_t *cmd)
{
  vnet_main_t *vnm = vnet_get_main ();
  Dhcp6ServerInterfaceSettings s;
  Dhcp6ServerInterfaceFacts facts;
  ip6_address_t reply_from, link_address;
  u32 only = ~0;

  if (unformat (input, "%U", unformat_vnet_sw_interface, vnm, &only))
    ;
  if (unformat_check_input (input) != UNFORMAT_END_OF_INPUT)
    return clib_error_return (0, "unknown input `%U'", format_unformat_error, input);

  for (u32 i = dhcp6_server_interface_next (0); i != DHCP6_SERVER_NO_INTERFACE;
       i = dhcp6_server_interface_next (i + 1))
    {
      if ((only != ~0 && i != only) || !dhcp6_server_interface_get (i, &s))
	continue;
      dhcp6_server_interface_facts (i, &facts);
      dhcp6_server_interface_effective (&s, &facts, &reply_from.as_u8, &link_address.as_u8);
      vlib_cli_output (vm, "%U (sw_if_index %u)", format_vnet_sw_if_index_name, vnm, i, i);
      vlib_cli_output (vm, "  reply-from %U (%s)", format_ip6_address, &reply_from,
		       ip6_address_is_zero ((ip6_address_t *) s.reply_from) ?
			 "default: interface link-local" :
			 "configured");
      vlib_cli_output (vm, "  link-address %U (%s)", format_ip6_address, &link_address,
		       ip6_address_is_zero ((ip6_address_t *) s.link_address) ?
			 "default: first global address" :
			 "configured");
      vlib_cli_output (vm, "  accept-multicast %s, accept-unicast %s",
		       s.accept_multicast ? "yes" : "no", s.accept_unicast ? "yes" : "no");
    }
  return 0;
}

VLIB_CLI_COMMAND (dhcp6_server_show_interfaces_command, static) = {
  .path = "show dhcp6-server interfaces",
  .short_help = "show dhcp6-server interfaces [<interface>]",
  .function = dhcp6_server_show_interfaces_command_fn,
};

/* Prints one line of a view produced by the Rust core. */
static void
dhcp6_server_cli_line (void *ctx, const char *line)
{
  vlib_cli_output ((vlib_main_t *) ctx, "%s", line);
}

static clib_error_t *
dhcp6_server_link_command_fn (vlib_main_t *vm, unformat_input_t *input, vlib_cli_command_t *cmd)
{
  unformat_input_t _line, *line = &_line;
  Dhcp6ServerLinkParameters params = {
    .preferred_lifetime = DHCP6_SERVER_UNSET,
    .valid_lifetime = DHCP6_SERVER_UNSET,
    .t1 = DHCP6_SERVER_UNSET,
    .t2 = DHCP6_SERVER_UNSET,
    .rapid_commit = DHCP6_SERVER_UNSET,
    .preference = DHCP6_SERVER_UNSET,
  };
  ip6_address_t prefix;
  u32 len = ~0;
  bool del = false, rapid;
  char error[DHCP6_SERVER_ERROR_LEN] = "";
  clib_error_t *err = 0;

  if (!unformat_user (input, unformat_line_input, line))
    return clib_error_return (0, "usage: %s", cmd->short_help);
  if (!unformat (line, "%U/%u", unformat_ip6_address, &prefix, &len) || len > 128)
    {
      err = clib_error_return (0, "link prefix expected, e.g. 2001:db8:1::/64");
      goto done;
    }
  while (unformat_check_input (line) != UNFORMAT_END_OF_INPUT)
    {
      if (unformat (line, "preferred-lifetime %u", &params.preferred_lifetime))
	;
      else if (unformat (line, "valid-lifetime %u", &params.valid_lifetime))
	;
      else if (unformat (line, "t1 %u", &params.t1))
	;
      else if (unformat (line, "t2 %u", &params.t2))
	;
      else if (unformat (line, "preference %u", &params.preference))
	;
      else if (unformat (line, "rapid-commit"))
	{
	  if (!unformat_dhcp6_server_bool (line, &rapid))
	    {
	      err = clib_error_return (0, "rapid-commit takes yes or no");
	      goto done;
	    }
	  params.rapid_commit = rapid;
	}
      else if (unformat (line, "del"))
	del = true;
      else
	{
	  err = clib_error_return (0, "unknown input `%U'", format_unformat_error, line);
	  goto done;
	}
    }
  err = dhcp6_server_cli_status (
    del ? dhcp6_server_link_remove (&prefix.as_u8, len, error, sizeof (error)) :
	  dhcp6_server_link_set (&prefix.as_u8, len, &params, error, sizeof (error)),
    error);
done:
  unformat_free (line);
  return err;
}

VLIB_CLI_COMMAND (dhcp6_server_link_command, static) = {
  .path = "dhcp6-server link",
  .short_help = "dhcp6-server link <prefix>/<len> [preferred-lifetime <s>] [valid-lifetime <s>] "
		"[t1 <s>] [t2 <s>] [rapid-commit yes|no] [preference <0-255>] [del]",
  .function = dhcp6_server_link_command_fn,
};

static clib_error_t *
dhcp6_server_pool_command_fn (vlib_main_t *vm, unformat_input_t *input, vlib_cli_command_t *cmd)
{
  unformat_input_t _line, *line = &_line;
  Dhcp6ServerPool pool = { 0 };
  ip6_address_t link, a, b;
  u32 link_len = ~0, plen = ~0, dlen = ~0;
  bool del = false;
  char error[DHCP6_SERVER_ERROR_LEN] = "";
  clib_error_t *err = 0;

  if (!unformat_user (input, unformat_line_input, line))
    return clib_error_return (0, "usage: %s", cmd->short_help);
  if (!unformat (line, "%U/%u", unformat_ip6_address, &link, &link_len) || link_len > 128)
    {
      err = clib_error_return (0, "link prefix expected, e.g. 2001:db8:1::/64");
      goto done;
    }
  if (unformat (line, "addresses %U - %U", unformat_ip6_address, &a, unformat_ip6_address, &b))
    {
      clib_memcpy (pool.first, a.as_u8, 16);
      clib_memcpy (pool.last, b.as_u8, 16);
    }
  else if (unformat (line, "prefixes %U/%u delegated-length %u", unformat_ip6_address, &a, &plen,
		     &dlen) &&
	   plen <= 128 && dlen <= 128)
    {
      pool.is_prefix_pool = true;
      clib_memcpy (pool.prefix, a.as_u8, 16);
      pool.prefix_len = plen;
      pool.delegated_len = dlen;
    }
  else
    {
      err = clib_error_return (0, "usage: %s", cmd->short_help);
      goto done;
    }
  if (unformat (line, "del"))
    del = true;
  if (unformat_check_input (line) != UNFORMAT_END_OF_INPUT)
    {
      err = clib_error_return (0, "unknown input `%U'", format_unformat_error, line);
      goto done;
    }
  err = dhcp6_server_cli_status (dhcp6_server_pool_add_del (&link.as_u8, link_len, &pool, !del,
							   error, sizeof (error)),
				 error);
done:
  unformat_free (line);
  return err;
}

VLIB_CLI_COMMAND (dhcp6_server_pool_command, static) = {
  .path = "dhcp6-server pool",
  .short_help = "dhcp6-server pool <link-prefix>/<len> {addresses <first> - <last> | "
		"prefixes <prefix>/<len> delegated-length <len>} [del]",
  .function = dhcp6_server_pool_command_fn,
};

static clib_error_t *
dhcp6_server_hold_command_fn (vlib_main_t *vm, unformat_input_t *input, vlib_cli_command_t *cmd)
{
  i64 offer = -1, decline = -1;
  u64 v;
  char error[DHCP6_SERVER_ERROR_LEN] = "";

  if (unformat_check_input (input) == UNFORMAT_END_OF_INPUT)
    return clib_error_return (0, "usage: dhcp6-server hold [offer <seconds>] [decline <seconds>]");
  while (unformat_check_input (input) != UNFORMAT_END_OF_INPUT)
    {
      if (unformat (input, "offer %lu", &v))
	offer = clib_min (v, (u64) 1 << 40);
      else if (unformat (input, "decline %lu", &v))
	decline = clib_min (v, (u64) 1 << 40);
      else
	return clib_error_return (0, "unknown input `%U'", format_unformat_error, input);
    }
  return dhcp6_server_cli_status (dhcp6_server_set_holds (offer, decline, error, sizeof (error)),
				  error);
}

VLIB_CLI_COMMAND (dhcp6_server_hold_command, static) = {
  .path = "dhcp6-server hold",
  .short_help = "dhcp6-server hold [offer <seconds>] [decline <seconds>]",
  .function = dhcp6_server_hold_command_fn,
};

static clib_error_t *
dhcp6_server_limits_command_fn (vlib_main_t *vm, unformat_input_t *input,
				vlib_cli_command_t *cmd)
{
  /* -1: leave as is. Read as u64 so that out-of-range values reach Rust's
   * checks instead of wrapping here. */
  Dhcp6ServerLimits l = { -1, -1, -1, -1, -1, -1 };
  u64 v;
  char error[DHCP6_SERVER_ERROR_LEN] = "";

  while (unformat_check_input (input) != UNFORMAT_END_OF_INPUT)
    {
      if (unformat (input, "interface-rate %lu", &v))
	l.interface_rate = clib_min (v, (u64) 1 << 40);
      else if (unformat (input, "interface-burst %lu", &v))
	l.interface_burst = clib_min (v, (u64) 1 << 40);
      else if (unformat (input, "client-rate %lu", &v))
	l.client_rate = clib_min (v, (u64) 1 << 40);
      else if (unformat (input, "client-burst %lu", &v))
	l.client_burst = clib_min (v, (u64) 1 << 40);
      else if (unformat (input, "client-leases %lu", &v))
	l.client_leases = clib_min (v, (u64) 1 << 40);
      else if (unformat (input, "interface-leases %lu", &v))
	l.interface_leases = clib_min (v, (u64) 1 << 40);
      else if (unformat (input, "interface-rate off"))
	l.interface_rate = 0;
      else if (unformat (input, "client-rate off"))
	l.client_rate = 0;
      else if (unformat (input, "client-leases off"))
	l.client_leases = 0;
      else if (unformat (input, "interface-leases off"))
	l.interface_leases = 0;
      else
	return clib_error_return (0, "unknown input `%U'", format_unformat_error, input);
    }
  return dhcp6_server_cli_status (dhcp6_server_set_limits (&l, error, sizeof (error)), error);
}

/*?
 * Flood protection. Token buckets per receiving interface and per client
 * (DUID): messages over them are dropped and counted
 * (interface_rate_limited, client_rate_limited). Caps on the leases one
 * client, or the clients of one interface, may hold: past them a client
 * gets NoAddrsAvail / NoPrefixAvail. 0 or off: no limit.
 ?*/
VLIB_CLI_COMMAND (dhcp6_server_limits_command, static) = {
  .path = "dhcp6-server limits",
  .short_help = "dhcp6-server limits [interface-rate <msgs/s>|off] [interface-burst <n>] "
		"[client-rate <msgs/s>|off] [client-burst <n>] [client-leases <n>|off] "
		"[interface-leases <n>|off]",
  .function = dhcp6_server_limits_command_fn,
};

static clib_error_t *
dhcp6_server_show_links_command_fn (vlib_main_t *vm, unformat_input_t *input,
				    vlib_cli_command_t *cmd)
{
  dhcp6_server_show_links (dhcp6_server_cli_line, vm);
  return 0;
}

VLIB_CLI_COMMAND (dhcp6_server_show_links_command, static) = {
  .path = "show dhcp6-server links",
  .short_help = "show dhcp6-server links",
  .function = dhcp6_server_show_links_command_fn,
};

static clib_error_t *
dhcp6_server_show_leases_command_fn (vlib_main_t *vm, unformat_input_t *input,
				     vlib_cli_command_t *cmd)
{
  vnet_main_t *vnm = vnet_get_main ();
  u8 *duid = 0;
  u32 sw_if_index = DHCP6_SERVER_NO_INTERFACE;
  bool all = false;

  while (unformat_check_input (input) != UNFORMAT_END_OF_INPUT)
    {
      if (!duid && unformat (input, "duid %s", &duid))
	vec_add1 (duid, 0);
      else if (unformat (input, "all"))
	all = true;
      else if (unformat (input, "interface %U", unformat_vnet_sw_interface, vnm, &sw_if_index))
	;
      else
	{
	  vec_free (duid);
	  return clib_error_return (0, "unknown input `%U'", format_unformat_error, input);
	}
    }
  dhcp6_server_show_leases (dhcp6_server_now (vm), (char *) duid, sw_if_index, all,
			    dhcp6_server_cli_line, vm);
  vec_free (duid);
  return 0;
}

VLIB_CLI_COMMAND (dhcp6_server_show_leases_command, static) = {
  .path = "show dhcp6-server leases",
  .short_help = "show dhcp6-server leases [all] [interface <interface>] [duid <hex>]",
  .function = dhcp6_server_show_leases_command_fn,
};

static clib_error_t *
dhcp6_server_lease_delete_command_fn (vlib_main_t *vm, unformat_input_t *input,
				      vlib_cli_command_t *cmd)
{
  ip6_address_t addr;
  char error[DHCP6_SERVER_ERROR_LEN] = "";

  if (!unformat (input, "%U", unformat_ip6_address, &addr) ||
      unformat_check_input (input) != UNFORMAT_END_OF_INPUT)
    return clib_error_return (0, "usage: %s", cmd->short_help);
  return dhcp6_server_cli_status (
    dhcp6_server_lease_delete (&addr.as_u8, error, sizeof (error)), error);
}

VLIB_CLI_COMMAND (dhcp6_server_lease_delete_command, static) = {
  .path = "dhcp6-server lease delete",
  .short_help = "dhcp6-server lease delete <address or delegated prefix>",
  .function = dhcp6_server_lease_delete_command_fn,
};

static clib_error_t *
dhcp6_server_clear_leases_command_fn (vlib_main_t *vm, unformat_input_t *input,
				      vlib_cli_command_t *cmd)
{
  vlib_cli_output (vm, "%u leases deleted", (u32) dhcp6_server_leases_clear ());
  return 0;
}

VLIB_CLI_COMMAND (dhcp6_server_clear_leases_command, static) = {
  .path = "clear dhcp6-server leases",
  .short_help = "clear dhcp6-server leases",
  .function = dhcp6_server_clear_leases_command_fn,
};

static clib_error_t *
dhcp6_server_option_command_fn (vlib_main_t *vm, unformat_input_t *input, vlib_cli_command_t *cmd)
{
  ip6_address_t prefix;
  u32 len = ~0;
  u8 *name = 0, *rest = 0;
  char error[DHCP6_SERVER_ERROR_LEN] = "";
  bool for_link;
  int rv;

  if (!unformat (input, "%s", &name))
    return clib_error_return (0, "usage: %s", cmd->short_help);
  for_link = unformat (input, "link %U/%u", unformat_ip6_address, &prefix, &len) && len <= 128;
  /* The rest of the line is the value; the core parses it. */
  unformat_user (input, unformat_line, &rest);
  vec_add1 (name, 0);
  vec_add1 (rest, 0);
  rv = dhcp6_server_option_set (for_link ? &prefix.as_u8 : NULL, for_link ? len : 0, (char *) name,
				(char *) rest, error, sizeof (error));
  vec_free (name);
  vec_free (rest);
  return dhcp6_server_cli_status (rv, error);
}

VLIB_CLI_COMMAND (dhcp6_server_option_command, static) = {
  .path = "dhcp6-server option",
  .short_help = "dhcp6-server option {dns-servers|domain-search|sntp-servers|ntp-servers|"
		"information-refresh-time|sol-max-rt|inf-max-rt} [link <prefix>/<len>] <value ...>|none",
  .function = dhcp6_server_option_command_fn,
};

static clib_error_t *
dhcp6_server_reservation_command_fn (vlib_main_t *vm, unformat_input_t *input,
				     vlib_cli_command_t *cmd)
{
  u8 *id = 0, *address = 0, *prefix = 0;
  char error[DHCP6_SERVER_ERROR_LEN] = "";
  bool add;
  clib_error_t *err = 0;

  if (unformat (input, "add %s", &id))
    add = true;
  else if (unformat (input, "del %s", &id))
    add = false;
  else
    return clib_error_return (0, "usage: %s", cmd->short_help);
  while (unformat_check_input (input) != UNFORMAT_END_OF_INPUT)
    {
      if (add && !address && unformat (input, "address %s", &address))
	;
      else if (add && !prefix && unformat (input, "prefix %s", &prefix))
	;
      else
	{
	  err = clib_error_return (0, "unknown input `%U'", format_unformat_error, input);
	  goto done;
	}
    }
  vec_add1 (id, 0);
  vec_add1 (address, 0);
  vec_add1 (prefix, 0);
  err = dhcp6_server_cli_status (
    add ? dhcp6_server_reservation_add ((char *) id, (char *) address, (char *) prefix, error,
					sizeof (error)) :
	  dhcp6_server_reservation_del ((char *) id, error, sizeof (error)),
    error);
done:
  vec_free (id);
  vec_free (address);
  vec_free (prefix);
  return err;
}

VLIB_CLI_COMMAND (dhcp6_server_reservation_command, static) = {
  .path = "dhcp6-server reservation",
  .short_help = "dhcp6-server reservation {add <id> [address <ip6>] [prefix <ip6>/<len>] | del <id>} "
		"(id: duid:<hex>, interface-id[-str]:, remote-id[-str]:<enterprise>:, "
		"subscriber-id[-str]:, linklayer-id[-str]:<type>:)",
  .function = dhcp6_server_reservation_command_fn,
};

static clib_error_t *
dhcp6_server_reservations_load_command_fn (vlib_main_t *vm, unformat_input_t *input,
					   vlib_cli_command_t *cmd)
{
  u8 *path = 0;
  char error[DHCP6_SERVER_ERROR_LEN] = "";
  u32 n = 0;
  int rv;

  if (unformat (input, "load %s", &path))
    vec_add1 (path, 0);
  else if (!unformat (input, "reload"))
    return clib_error_return (0, "usage: %s", cmd->short_help);
  rv = dhcp6_server_reservations_load ((char *) path, &n, error, sizeof (error));
  vec_free (path);
  if (rv == DHCP6_SERVER_STATUS_OK)
    vlib_cli_output (vm, "%u reservations loaded", n);
  return dhcp6_server_cli_status (rv, error);
}

VLIB_CLI_COMMAND (dhcp6_server_reservations_load_command, static) = {
  .path = "dhcp6-server reservations",
  .short_help = "dhcp6-server reservations {load <csv file> | reload}",
  .function = dhcp6_server_reservations_load_command_fn,
};

static clib_error_t *
dhcp6_server_show_reservations_command_fn (vlib_main_t *vm, unformat_input_t *input,
					   vlib_cli_command_t *cmd)
{
  dhcp6_server_show_reservations (dhcp6_server_cli_line, vm);
  return 0;
}

VLIB_CLI_COMMAND (dhcp6_server_show_reservations_command, static) = {
  .path = "show dhcp6-server reservations",
  .short_help = "show dhcp6-server reservations",
  .function = dhcp6_server_show_reservations_command_fn,
};

static clib_error_t *
dhcp6_server_lease_file_command_fn (vlib_main_t *vm, unformat_input_t *input,
				    vlib_cli_command_t *cmd)
{
  u8 *path = 0;
  /* -1: not given. Read as u64 so that out-of-range values reach Rust's
   * checks instead of wrapping here. */
  i64 capacity = -1, flush = -1;
  u64 v;
  char error[DHCP6_SERVER_ERROR_LEN] = "";
  int rv;

  while (unformat_check_input (input) != UNFORMAT_END_OF_INPUT)
    {
      if (!path && unformat (input, "path %v", &path))
	;
      else if (!path && unformat (input, "none"))
	path = format (0, "none");
      else if (unformat (input, "capacity %lu", &v))
	capacity = clib_min (v, (u64) 1 << 40);
      else if (unformat (input, "flush-interval %lu", &v))
	flush = clib_min (v, (u64) 1 << 40);
      else
	{
	  vec_free (path);
	  return clib_error_return (0, "unknown input `%U'", format_unformat_error, input);
	}
    }
  vec_add1 (path, 0);
  rv = dhcp6_server_lease_store_set (path[0] ? (char *) path : NULL, capacity, flush, error,
				     sizeof (error));
  vec_free (path);
  return dhcp6_server_cli_status (rv, error);
}

VLIB_CLI_COMMAND (dhcp6_server_lease_file_command, static) = {
  .path = "dhcp6-server lease-file",
  .short_help = "dhcp6-server lease-file [path <absolute path> | none] [capacity <leases>] "
		"[flush-interval <seconds>]",
  .function = dhcp6_server_lease_file_command_fn,
};

/* Whether a pending startup.conf interface item names an interface that
 * exists (a lookup in main-thread tables: no barrier needed). */
static bool
dhcp6_server_pending_interface_exists (u8 *words)
{
  unformat_input_t in;
  u32 sw_if_index = ~0;
  bool exists;

  unformat_init_vector (&in, vec_dup (words));
  exists = unformat (&in, "%U", unformat_vnet_sw_interface, vnet_get_main (), &sw_if_index);
  unformat_free (&in);
  return exists;
}

bool
dhcp6_server_pending_interfaces_ready (void)
{
  u8 **words;
  vec_foreach (words, dhcp6_server_shim_main.pending_interfaces)
    if (dhcp6_server_pending_interface_exists (*words))
      return true;
  return false;
}

void
dhcp6_server_apply_pending_interfaces (vlib_main_t *vm)
{
  dhcp6_server_shim_main_t *sm = &dhcp6_server_shim_main;

  for (u32 i = 0; i < vec_len (sm->pending_interfaces);)
    {
      u8 *words = sm->pending_interfaces[i];
      unformat_input_t in;
      clib_error_t *err;

      if (!dhcp6_server_pending_interface_exists (words))
	{
	  i++;
	  continue;
	}
      unformat_init_vector (&in, vec_dup (words));
      err = dhcp6_server_enable_command.function (vm, &in, &dhcp6_server_enable_command);
      unformat_free (&in);
      if (err)
	{
	  dhcp6_server_log_err ("startup.conf dhcp6-server { interface %v }: %U", words,
				format_clib_error, err);
	  clib_error_free (err);
	}
      else
	dhcp6_server_log_notice ("DHCPv6 service enabled on %v (startup.conf)", words);
      vec_free (words);
      vec_del1 (sm->pending_interfaces, i);
    }
}

/* Runs one startup.conf item through the CLI command that parses the same
 * words; an error names the item. Takes ownership of `words` (a vector
 * without NUL: items are read with %v). */
static clib_error_t *
dhcp6_server_config_item (vlib_main_t *vm, vlib_cli_command_t *cmd, u8 *words)
{
  unformat_input_t in;
  clib_error_t *err;

  unformat_init_vector (&in, vec_dup (words));
  err = cmd->function (vm, &in, cmd);
  unformat_free (&in);
  if (err)
    {
      clib_error_t *named = clib_error_return (0, "dhcp6-server { %s %v }: %U", cmd->path + 13, words,
					       format_clib_error, err);
      clib_error_free (err);
      err = named;
    }
  vec_free (words);
  return err;
}

/* The `dhcp6-server { ... }` section of startup.conf:
 *   duid <hex>
 *   link <prefix>/<len> [{ preferred-lifetime <s> valid-lifetime <s> t1 <s> t2 <s>
 *                          rapid-commit yes|no preference <n> }]
 *   pool <link-prefix>/<len> { addresses <first> - <last> | prefixes <p>/<l> delegated-length <n> }
 *   option <name> [link <prefix>/<len>] { <value ...> }
 *   hold { [offer <s>] [decline <s>] }
 *   limits { [interface-rate <n>] [interface-burst <n>] [client-rate <n>] ... }
 *   reservations <csv file>
 *   interface <name> [{ reply-from <ip6> link-address <ip6> accept-multicast yes|no ... }]
 * Interfaces are enabled later (CLI, API, or the startup-config exec file),
 * once they exist. */
static clib_error_t *
dhcp6_server_config (vlib_main_t *vm, unformat_input_t *input)
{
  unformat_input_t sub;
  ip6_address_t prefix;
  u32 len;
  u8 *s = 0, *name = 0;
  clib_error_t *err = 0;

  while (!err && unformat_check_input (input) != UNFORMAT_END_OF_INPUT)
    {
      if (unformat (input, "duid %v", &s))
	err = dhcp6_server_config_item (vm, &dhcp6_server_duid_command, s);
      else if (unformat (input, "link %U/%u %U", unformat_ip6_address, &prefix, &len,
			 unformat_vlib_cli_sub_input, &sub))
	{
	  err = dhcp6_server_config_item (
	    vm, &dhcp6_server_link_command,
	    format (0, "%U/%u %v", format_ip6_address, &prefix, len, sub.buffer));
	  unformat_free (&sub);
	}
      else if (unformat (input, "link %U/%u", unformat_ip6_address, &prefix, &len))
	err = dhcp6_server_config_item (vm, &dhcp6_server_link_command,
					format (0, "%U/%u", format_ip6_address, &prefix, len));
      else if (unformat (input, "pool %U/%u %U", unformat_ip6_address, &prefix, &len,
			 unformat_vlib_cli_sub_input, &sub))
	{
	  err = dhcp6_server_config_item (
	    vm, &dhcp6_server_pool_command,
	    format (0, "%U/%u %v", format_ip6_address, &prefix, len, sub.buffer));
	  unformat_free (&sub);
	}
      else if (unformat (input, "option %v link %U/%u %U", &name, unformat_ip6_address, &prefix,
			 &len, unformat_vlib_cli_sub_input, &sub))
	{
	  err = dhcp6_server_config_item (vm, &dhcp6_server_option_command,
					  format (0, "%v link %U/%u %v", name, format_ip6_address,
						  &prefix, len, sub.buffer));
	  unformat_free (&sub);
	  vec_free (name);
	}
      else if (unformat (input, "option %v %U", &name, unformat_vlib_cli_sub_input, &sub))
	{
	  err = dhcp6_server_config_item (vm, &dhcp6_server_option_command,
					  format (0, "%v %v", name, sub.buffer));
	  unformat_free (&sub);
	  vec_free (name);
	}
      else if (unformat (input, "hold %U", unformat_vlib_cli_sub_input, &sub))
	{
	  err = dhcp6_server_config_item (vm, &dhcp6_server_hold_command, vec_dup (sub.buffer));
	  unformat_free (&sub);
	}
      else if (unformat (input, "limits %U", unformat_vlib_cli_sub_input, &sub))
	{
	  err = dhcp6_server_config_item (vm, &dhcp6_server_limits_command, vec_dup (sub.buffer));
	  unformat_free (&sub);
	}
      else if (unformat (input, "interface %v %U", &name, unformat_vlib_cli_sub_input, &sub))
	{
	  vec_add1 (dhcp6_server_shim_main.pending_interfaces, format (0, "%v %v", name, sub.buffer));
	  unformat_free (&sub);
	  vec_free (name);
	}
      else if (unformat (input, "interface %v", &name))
	{
	  vec_add1 (dhcp6_server_shim_main.pending_interfaces, name);
	  name = 0;
	}
      else if (unformat (input, "lease-file %U", unformat_vlib_cli_sub_input, &sub))
	{
	  err = dhcp6_server_config_item (vm, &dhcp6_server_lease_file_command, vec_dup (sub.buffer));
	  unformat_free (&sub);
	}
      else if (unformat (input, "reservations %v", &s))
	err = dhcp6_server_config_item (vm, &dhcp6_server_reservations_load_command,
					format (0, "load %v", s)),
	vec_free (s);
      else
	return clib_error_return (0, "dhcp6-server { ... }: unknown input `%U'",
				  format_unformat_error, input);
    }
  return err;
}

VLIB_CONFIG_FUNCTION (dhcp6_server_config, "dhcp6-server");

static clib_error_t *
dhcp6_server_leases_file_command_fn (vlib_main_t *vm, unformat_input_t *input,
				     vlib_cli_command_t *cmd)
{
  u8 *path = 0;
  char error[DHCP6_SERVER_ERROR_LEN] = "";
  u32 n = 0, refused = 0;
  int rv;

  if (unformat (input, "export %s", &path))
    {
      rv = dhcp6_server_leases_export ((char *) path, dhcp6_server_now (vm), &n, error,
				       sizeof (error));
      if (rv == DHCP6_SERVER_STATUS_OK)
	vlib_cli_output (vm, "%u leases exported", n);
    }
  else if (unformat (input, "import %s", &path))
    {
      rv = dhcp6_server_leases_import ((char *) path, dhcp6_server_now (vm), &n, &refused, error,
				       sizeof (error));
      if (rv == DHCP6_SERVER_STATUS_OK)
	vlib_cli_output (vm, "%u leases imported, %u refused (address held by another client)", n,
			 refused);
    }
  else
    return clib_error_return (0, "usage: %s", cmd->short_help);
  vec_free (path);
  return dhcp6_server_cli_status (rv, error);
}

VLIB_CLI_COMMAND (dhcp6_server_leases_file_command, static) = {
  .path = "dhcp6-server leases",
  .short_help = "dhcp6-server leases {export|import} <Kea memfile lease6 CSV file>",
  .function = dhcp6_server_leases_file_command_fn,
};
