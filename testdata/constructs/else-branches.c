/* #else branches, selected by the condition they are taken under. */
#ifdef HAVE_EPOLL
#include <sys/epoll.h>
#else
#include <poll.h>
#endif

#ifndef HAVE_ACCEPT4
static int accept4_fallback(int fd) { return accept(fd, 0, 0); }
#else /* HAVE_ACCEPT4 */
#define accept4_fallback(fd) accept4(fd, 0, 0, SOCK_CLOEXEC)
#endif

int event_queue_init(void) {
#if defined(__linux__)
	return epoll_create(256);
#elif defined(__FreeBSD__) || defined(__APPLE__)
	return kqueue();
#else
	return poll_queue();
#endif
}
