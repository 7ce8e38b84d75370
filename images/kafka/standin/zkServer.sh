#!/bin/bash
# zkServer.sh of the ZooKeeper stand-ins: `status` (what course healthchecks
# call) asks the running server with `srvr` and prints its mode, exit 0 when it
# serves; `start-foreground` runs the image's server command. Other ZooKeeper
# zkServer.sh commands (start, stop, restart, upgrade, print-cmd) are not here.
case ${1:-} in
status)
	port=$(cat /opt/kafka/config/zookeeper-healthcheck.port 2>/dev/null || echo 2181)
	out=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1; printf srvr >&3; cat <&3' _ "$port" 2>/dev/null)
	mode=$(sed -n 's/^Mode: //p' <<<"$out")
	echo "Client port found: $port. Client address: localhost. Client SSL: false."
	if [ -n "$mode" ]; then echo "Mode: $mode"; exit 0; fi
	echo "Error contacting service. It is probably not running."
	exit 1
	;;
start-foreground) exec /opt/bitnami/scripts/zookeeper/run.sh ;;
*) echo "Usage: $0 {status|start-foreground} (labctl stand-in)" >&2; exit 2 ;;
esac
