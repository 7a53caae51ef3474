/* Shaped like uWSGI 2.0's uwsgi.h. Written for cdefang's tests; not uWSGI's code. */
#ifndef UWSGI_H
#define UWSGI_H

#include <stdio.h>
#include <signal.h>
#include <sys/ioctl.h>

#ifdef __linux__
#include <sys/prctl.h>
#include <sys/sendfile.h>
#elif defined(__GNU_kFreeBSD__)
#include <sys/sendfile.h>
#include <sys/event.h>
#elif defined(__sun__)
#include <sys/sendfile.h>
#include <sys/devpoll.h>
#else
#include <sys/event.h>
#endif

#undef _XOPEN_SOURCE
#ifdef __sun__
#undef __EXTENSIONS__
#endif
#ifdef _GNU_SOURCE
#undef _GNU_SOURCE
#endif

struct uwsgi_server {
	int emperor_pid;
	int emperor_clone;
	int has_emperor;
};

void uwsgi_error(const char *);
void uwsgi_log(const char *, ...);

#endif
