/* Shaped like uWSGI's uwsgi.h. Written for cdefang's tests; not uWSGI's code. */
#ifndef UWSGI_H
#define UWSGI_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#ifdef __linux__
#include <sched.h>
#endif

struct uwsgi_string_list {
	char *value;
	struct uwsgi_string_list *next;
};

struct uwsgi_server {
	int unshare;
	int unshare2;
	int reloads;
	int uid;
	char *chroot;
	struct uwsgi_string_list *exec_as_root;
};

#define uwsgi_foreach(x, y) for (x = y; x; x = x->next)

#endif
