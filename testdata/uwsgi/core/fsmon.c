/* Shaped like uWSGI's core/fsmon.c: filesystem monitors.
 * Written for cdefang's tests; not uWSGI's code. */
#include "../uwsgi.h"

extern struct uwsgi_server uwsgi;

#ifdef UWSGI_EVENT_FILEMONITOR_USE_INOTIFY
#ifndef OBSOLETE_LINUX_KERNEL
#include <sys/inotify.h>
#endif
#endif

static int fsmon_add(struct uwsgi_fsmon *fs) {
#ifdef UWSGI_EVENT_FILEMONITOR_USE_INOTIFY
#ifndef OBSOLETE_LINUX_KERNEL
	static int inotify_fd = -1;
	if (inotify_fd == -1) {
		inotify_fd = inotify_init();
		if (inotify_fd < 0) {
			uwsgi_error("fsmon_add()/inotify_init()");
			return -1;
		}
	}
	int wd = inotify_add_watch(inotify_fd, fs->path, IN_ATTRIB | IN_MODIFY);
	fs->fd = inotify_fd;
	fs->id = wd;
	return 0;
#endif
#endif
	uwsgi_log("[uwsgi-fsmon] filesystem monitoring is not supported here\n");
	return -1;
}

int uwsgi_fsmon_event(int interesting_fd) {
	return fsmon_add(NULL);
}
