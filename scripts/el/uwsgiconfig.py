"""Run a uWSGI release's uwsgiconfig.py as if on the target's kernel (scripts/el-build.sh).

uwsgiconfig.py reads os.uname() at import: a kernel release of 2.6.9 or older defines
OBSOLETE_LINUX_KERNEL, and the release also picks the timer subsystem (timerfd from 2.6.25).
EL4 runs 2.6.9, EL5 2.6.18: the build answers with the target's release, as the real box would.
    EL_KERNEL=2.6.18-8.el5 python3 scripts/el/uwsgiconfig.py --build PROFILE   (in the tree)
"""
import os
import runpy
import sys

real = os.uname()
os.uname = lambda: os.uname_result(
    (real.sysname, real.nodename, os.environ["EL_KERNEL"], real.version, real.machine))
sys.argv = ["uwsgiconfig.py"] + sys.argv[1:]
sys.path.insert(0, os.getcwd())
runpy.run_path("uwsgiconfig.py", run_name="__main__")
