/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vppctl commands and the startup.conf section, both from the Rust command
 * table (src/commands): every command is registered here with one
 * trampoline that hands the words typed after its path to the core.
 */
#include "dhcp6_server_shim.h"

static void
dhcp6_server_cli_line (void *ctx, const char *line)
{
  vlib_cli_output ((vlib_main_t *) ctx, "%s", line);
}

static clib_error_t *
dhcp6_server_cli (vlib_main_t *vm, unformat_input_t *input, vlib_cli_command_t *cmd)
{
  char error[1024] = "";
  u8 *words = 0;
  uword at = input->index;
  int rv;

  unformat_user (input, unformat_line, &words);
  rv = dhcp6_server_command_run (cmd->function_arg, words, vec_len (words), dhcp6_server_now (vm),
				 dhcp6_server_cli_line, vm, error, sizeof (error));
  vec_free (words);
  if (rv == DHCP6_SERVER_STATUS_OK)
    return 0;
  input->index = at; /* VPP offers a refused sub-command's words to its parent */
  return clib_error_return (0, "%s", error);
}

static clib_error_t *
dhcp6_server_cli_init (vlib_main_t *vm)
{
  for (u32 i = 0; i < dhcp6_server_command_count (); i++)
    {
      vlib_cli_command_t cmd = {
	.path = (char *) dhcp6_server_command_path (i),
	.short_help = (char *) dhcp6_server_command_usage (i),
	.long_help = (char *) dhcp6_server_command_help (i),
	.function = dhcp6_server_cli,
	.function_arg = i,
      };
      clib_error_t *err = vlib_cli_register (vm, &cmd);
      if (err)
	return err;
    }
  return 0;
}

VLIB_INIT_FUNCTION (dhcp6_server_cli_init) = {
  .runs_after = VLIB_INITS ("vlib_cli_init"),
};

/* startup.conf's `dhcp6-server { ... }` and `dhcp4-server { ... }`: the
 * section's text, to the core. */
static clib_error_t *
dhcp_server_config (unformat_input_t *input, u8 ip_version)
{
  char error[1024] = "";
  u8 *text = input->buffer + input->index;
  u32 len = vec_len (input->buffer) - input->index;
  int rv = dhcp6_server_startup_config (ip_version, text, len, (u32) unix_time_now (), error,
					sizeof (error));

  input->index = vec_len (input->buffer);
  return rv == DHCP6_SERVER_STATUS_OK ? 0 : clib_error_return (0, "%s", error);
}

static clib_error_t *
dhcp6_server_config (vlib_main_t *vm, unformat_input_t *input)
{
  return dhcp_server_config (input, 6);
}

static clib_error_t *
dhcp4_server_config (vlib_main_t *vm, unformat_input_t *input)
{
  return dhcp_server_config (input, 4);
}

VLIB_CONFIG_FUNCTION (dhcp6_server_config, "dhcp6-server");
VLIB_CONFIG_FUNCTION (dhcp4_server_config, "dhcp4-server");
