/* Shaped like uWSGI's core/master.c: no rule touches this file.
 * Written for cdefang's tests; not uWSGI's code. */
#include "../uwsgi.h"

extern struct uwsgi_server uwsgi;

int uwsgi_master_check_mercy() {
#if defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)
	/* same condition as the unshare blocks, but another file and no unshare() */
	if (uwsgi.cgroup) {
		uwsgi_log("cgroup: %s\n", uwsgi.cgroup);
	}
#endif
	return 0;
}
