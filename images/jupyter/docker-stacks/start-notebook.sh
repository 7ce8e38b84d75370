#!/bin/bash
# as in the Jupyter docker-stacks: the shell name of start-notebook.py
exec start-notebook.py "$@"
