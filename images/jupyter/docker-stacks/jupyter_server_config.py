# /etc/jupyter/jupyter_server_config.py of the jupyter/*-notebook stand-in,
# as the Jupyter docker-stacks set it: listen on every interface, no
# browser; NB_UMASK as the subprocesses' umask.
import os

c = get_config()  # noqa: F821
c.ServerApp.ip = ""
c.ServerApp.open_browser = False
c.FileContentsManager.delete_to_trash = False
if "NB_UMASK" in os.environ:
    os.umask(int(os.environ["NB_UMASK"], 8))
