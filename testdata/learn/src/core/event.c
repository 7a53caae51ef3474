/* Shaped like uWSGI's core/event.c: the file monitor of the event loop.
 * Written for cdefang's tests (cdefang learn); not uWSGI's code. */
#include "../uwsgi.h"

#ifdef __linux__
#include <sys/epoll.h>

int event_queue_init() {
	return epoll_create(256);
}

#ifdef OBSOLETE_LINUX_KERNEL
int event_queue_add_file_monitor(int eq, char *filename, int *id) {
	return -1;
}
#else
#include <sys/inotify.h>

int event_queue_add_file_monitor(int eq, char *filename, int *id) {
	int ifd = inotify_init();
	if (ifd < 0) {
		uwsgi_error("inotify_init()");
		return -1;
	}
	*id = inotify_add_watch(ifd, filename, IN_ATTRIB | IN_MODIFY);
	return ifd;
}
#endif

#ifndef OBSOLETE_LINUX_KERNEL
struct uwsgi_fmon *event_queue_ack_file_monitor(int eq, int id) {
	struct inotify_event ie;
	if (read(id, &ie, sizeof(struct inotify_event)) < 0) {
		uwsgi_error("read()");
	}
	return NULL;
}
#else
struct uwsgi_fmon *event_queue_ack_file_monitor(int eq, int id) {
	return NULL;
}
#endif

#endif
