/* Shaped like uWSGI's core/event.c: the file monitor of the event loop.
 * Written for cdefang's tests (cdefang learn); not uWSGI's code. */
#include "../uwsgi.h"

#ifdef __linux__
#include <sys/epoll.h>

int event_queue_init() {
	return epoll_create(256);
}

int event_queue_add_file_monitor(int eq, char *filename, int *id) {
	return -1;
}

struct uwsgi_fmon *event_queue_ack_file_monitor(int eq, int id) {
	return NULL;
}

#endif
