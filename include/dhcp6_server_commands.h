/* Generated from the command table (src/commands/table.rs) by
 * `UPDATE_HEADER=1 cargo test --test header`: do not edit. */
#ifndef DHCP6_SERVER_COMMANDS_H
#define DHCP6_SERVER_COMMANDS_H

/* _(index in the table, API message, its enum name) */
#define DHCP6_SERVER_API_COMMANDS(_) \
  _ (0, dhcp6_server_enable, DHCP6_SERVER_ENABLE) \
  _ (1, dhcp6_server_disable, DHCP6_SERVER_DISABLE) \
  _ (2, dhcp6_server_duid, DHCP6_SERVER_DUID) \
  _ (3, dhcp6_server_link, DHCP6_SERVER_LINK) \
  _ (4, dhcp6_server_pool, DHCP6_SERVER_POOL) \
  _ (5, dhcp6_server_hold, DHCP6_SERVER_HOLD) \
  _ (6, dhcp6_server_limits, DHCP6_SERVER_LIMITS) \
  _ (7, dhcp6_server_option, DHCP6_SERVER_OPTION) \
  _ (8, dhcp6_server_reservation_add, DHCP6_SERVER_RESERVATION_ADD) \
  _ (9, dhcp6_server_reservation_del, DHCP6_SERVER_RESERVATION_DEL) \
  _ (10, dhcp6_server_reservations_load, DHCP6_SERVER_RESERVATIONS_LOAD) \
  _ (11, dhcp6_server_reservations_reload, DHCP6_SERVER_RESERVATIONS_RELOAD) \
  _ (12, dhcp6_server_lease_delete, DHCP6_SERVER_LEASE_DELETE) \
  _ (13, dhcp6_server_clear_leases, DHCP6_SERVER_CLEAR_LEASES) \
  _ (14, dhcp6_server_lease_file, DHCP6_SERVER_LEASE_FILE) \
  _ (15, dhcp6_server_leases_export, DHCP6_SERVER_LEASES_EXPORT) \
  _ (16, dhcp6_server_leases_import, DHCP6_SERVER_LEASES_IMPORT) \
  _ (17, dhcp6_server_show, DHCP6_SERVER_SHOW) \
  _ (18, dhcp6_server_show_interfaces, DHCP6_SERVER_SHOW_INTERFACES) \
  _ (19, dhcp6_server_show_links, DHCP6_SERVER_SHOW_LINKS) \
  _ (20, dhcp6_server_show_leases, DHCP6_SERVER_SHOW_LEASES) \
  _ (21, dhcp6_server_show_reservations, DHCP6_SERVER_SHOW_RESERVATIONS) \
  _ (22, dhcp6_server_option_code, DHCP6_SERVER_OPTION_CODE) \
  _ (23, dhcp6_server_dhcp4_enable, DHCP6_SERVER_DHCP4_ENABLE) \
  _ (24, dhcp6_server_dhcp4_disable, DHCP6_SERVER_DHCP4_DISABLE) \
  _ (25, dhcp6_server_dhcp4_link, DHCP6_SERVER_DHCP4_LINK) \
  _ (26, dhcp6_server_dhcp4_pool, DHCP6_SERVER_DHCP4_POOL) \
  _ (27, dhcp6_server_dhcp4_option, DHCP6_SERVER_DHCP4_OPTION) \
  _ (28, dhcp6_server_dhcp4_option_code, DHCP6_SERVER_DHCP4_OPTION_CODE) \
  _ (29, dhcp6_server_dhcp4_reservation_add, DHCP6_SERVER_DHCP4_RESERVATION_ADD) \
  _ (30, dhcp6_server_dhcp4_reservation_del, DHCP6_SERVER_DHCP4_RESERVATION_DEL) \
  _ (31, dhcp6_server_dhcp4_reservations_load, DHCP6_SERVER_DHCP4_RESERVATIONS_LOAD) \
  _ (32, dhcp6_server_dhcp4_reservations_reload, DHCP6_SERVER_DHCP4_RESERVATIONS_RELOAD) \
  _ (33, dhcp6_server_show_dhcp4, DHCP6_SERVER_SHOW_DHCP4) \
  _ (34, dhcp6_server_show_dhcp4_leases, DHCP6_SERVER_SHOW_DHCP4_LEASES) \
  _ (35, dhcp6_server_show_dhcp4_reservations, DHCP6_SERVER_SHOW_DHCP4_RESERVATIONS) \
  _ (36, dhcp6_server_dhcp4_leases_export, DHCP6_SERVER_DHCP4_LEASES_EXPORT) \
  _ (37, dhcp6_server_dhcp4_leases_import, DHCP6_SERVER_DHCP4_LEASES_IMPORT) \
  _ (38, dhcp6_server_clear_dhcp4_leases, DHCP6_SERVER_CLEAR_DHCP4_LEASES) \
  _ (39, dhcp6_server_looking_glass, DHCP6_SERVER_LOOKING_GLASS) \
  _ (40, dhcp6_server_show_looking_glass, DHCP6_SERVER_SHOW_LOOKING_GLASS)

#endif /* DHCP6_SERVER_COMMANDS_H */
