/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The prefix groups of VPP's DHCPv6 PD client, for the pools that follow
 * them. VPP 26.06 keeps the delegated prefixes in a table private to its
 * dhcp plugin; `show ip6 prefixes` is the one place it gives them out, so
 * its output is captured here and read by the Rust core (src/prefix_groups.rs).
 */
#include "dhcp6_server_shim.h"
#include <vlib/unix/plugin.h>

/* Maintenance passes (0.2 s apart) between two looks at the groups. */
#define PREFIX_GROUPS_EVERY 5

static void
append_output (uword arg, u8 *buffer, uword buffer_bytes)
{
  u8 **listing = (u8 **) arg;
  vec_add (*listing, buffer, buffer_bytes);
}

/* Called from the maintenance process, each pass. */
void
dhcp6_server_prefix_groups_poll (vlib_main_t *vm)
{
  static u32 pass;
  char log[1024];
  u8 *listing = 0;

  if (++pass % PREFIX_GROUPS_EVERY || !dhcp6_server_prefix_groups_wanted ())
    return;
  /* Without VPP's dhcp plugin loaded there are no groups (and no such
   * command); it exports nothing else to ask. */
  if (vlib_get_plugin_symbol ("dhcp_plugin.so", "vlib_plugin_registration"))
    {
      unformat_input_t input;
      unformat_init_string (&input, "show ip6 prefixes", strlen ("show ip6 prefixes"));
      vlib_cli_input (vm, &input, append_output, (uword) &listing);
      unformat_free (&input);
    }
  vlib_worker_thread_barrier_sync (vm);
  bool changed = dhcp6_server_prefix_groups_update ((const char *) listing, vec_len (listing), log,
						    sizeof (log));
  vlib_worker_thread_barrier_release (vm);
  vec_free (listing);
  if (!changed)
    return;
  for (char *line = strtok (log, "\n"); line; line = strtok (0, "\n"))
    dhcp6_server_log_notice ("%s", line);
}
