#!/bin/sh
# cgroup v2: dockerd in a container must not sit in the root of its cgroup
# namespace, whose controllers it enables for its containers; move every
# process into a child group first (what docker:dind's "dind" script does,
# https://github.com/moby/moby/blob/master/hack/dind)
set -e
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
	mkdir -p /sys/fs/cgroup/init
	xargs -rn1 < /sys/fs/cgroup/cgroup.procs > /sys/fs/cgroup/init/cgroup.procs || :
	sed -e 's/ / +/g' -e 's/^/+/' < /sys/fs/cgroup/cgroup.controllers > /sys/fs/cgroup/cgroup.subtree_control || :
fi
exec dockerd --host=unix:///var/run/docker.sock --host=tcp://0.0.0.0:2375 --tls=false "$@"
