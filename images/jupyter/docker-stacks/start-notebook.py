#!/usr/bin/env python3
# The jupyter/*-notebook stand-in's start-notebook.py, as the Jupyter
# docker-stacks': `jupyter $DOCKER_STACKS_JUPYTER_CMD` (default lab) with
# $NOTEBOOK_ARGS (split as a shell would) and this script's arguments.
# RESTARTABLE and JupyterHub's start-singleuser are not honoured.
import os
import shlex
import sys

command = ["jupyter", os.environ.get("DOCKER_STACKS_JUPYTER_CMD", "lab")]
if "NOTEBOOK_ARGS" in os.environ:
    command += shlex.split(os.environ["NOTEBOOK_ARGS"])
command += sys.argv[1:]
print("Executing: " + " ".join(command), flush=True)
os.execvp(command[0], command)
