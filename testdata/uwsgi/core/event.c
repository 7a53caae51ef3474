/* Shaped like uWSGI's core/event.c: the event loop's file monitor.
 * Written for cdefang's tests; not uWSGI's code. */
#include "../uwsgi.h"

extern struct uwsgi_shared *ushared;

#ifdef UWSGI_EVENT_USE_EPOLL
#include <sys/epoll.h>

int event_queue_init() {
	return epoll_create(256);
}
#endif

#ifdef UWSGI_EVENT_FILEMONITOR_USE_INOTIFY


#ifdef OBSOLETE_LINUX_KERNEL
int event_queue_add_file_monitor(int eq, char *filename, int *id) {
	return -1;
}
struct uwsgi_fmon *event_queue_ack_file_monitor(int eq, int id) {
	return NULL;
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

struct uwsgi_fmon *event_queue_ack_file_monitor(int eq, int id) {
	struct inotify_event ie;
	ssize_t rlen = read(id, &ie, sizeof(struct inotify_event));
	if (rlen < 0) {
		uwsgi_error("read()");
	}
	return NULL;
}

#endif
#endif
