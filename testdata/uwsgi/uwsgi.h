/* Shaped like uWSGI's uwsgi.h. Written for cdefang's tests; not uWSGI's code. */
#ifndef UWSGI_H
#define UWSGI_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#ifdef __linux__
#include <sched.h>
#ifndef CLONE_NEWUSER
#define CLONE_NEWUSER 0x10000000
#endif
#endif

struct uwsgi_server {
	int unshare;
	int unshare2;
	int reloads;
	char *chroot;
	char *cgroup;
};

#endif
