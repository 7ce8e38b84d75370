/* Host ports on this machine: can one be bound, and if not, which process
 * holds it. For up's check, before anything is created, of the host ports
 * a lab publishes (Compose spec "ports": host_ip:published).
 *
 * Linux only: a holder is found through /proc/net/{tcp,tcp6,udp,udp6}
 * (the socket's inode) and /proc/<pid>/fd (which process has that
 * socket open); a process of another user is not visible there unless
 * labctl runs as root.
 */
#ifndef LAB_HOSTPORT_H
#define LAB_HOSTPORT_H

#include "err.h"

/* Try to bind ip:port here the way the engine's publishing will (the
 * socket is closed again at once): proto "tcp" (listening socket,
 * SO_REUSEADDR, so a port only in TIME_WAIT is free) or "udp". ip is an
 * IPv4 or IPv6 address, "0.0.0.0" or "::" for every address.
 * Returns 0 when it can be bound, or when ip is not an address of this
 * host (EADDRNOTAVAIL: not for this check to judge); LAB_EEXISTS when it
 * is taken, *holder then "process PID (COMMAND LINE)" (the program's name
 * without its directory, then its arguments, cut at 80 bytes; caller
 * frees) when /proc shows who, else NULL.
 * Errors: LAB_EINPUT when ip is not an address or proto not tcp/udp;
 * LAB_ERR when no socket can be made (errno text). */
int lab_hostport_check(char **holder, const char *ip, int port, const char *proto, struct lab_err *err);

#endif
