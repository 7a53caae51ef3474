/* Shaped like uWSGI 2.0's core/emperor.c. Written for cdefang's tests; not uWSGI's code. */
#include "../uwsgi.h"

extern struct uwsgi_server uwsgi;

void emperor_loop(void) {
	int has_children = 0;

#ifdef __linux__
#ifdef PR_SET_PDEATHSIG
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0)) {
		uwsgi_error("prctl()");
	}
#endif
#ifdef CLONE_NEWUSER
	if (uwsgi.emperor_clone & CLONE_NEWUSER) {
		if (setuid(0)) {
			uwsgi_error("setuid()");
		}
	}
#endif
	prctl(PR_SET_NAME, "uWSGI Emperor", 0, 0, 0);
#endif

	uwsgi_log("*** starting uWSGI Emperor ***\n");
	for (;;) {
		if (!has_children)
			uwsgi_log("no vassals\n");
		has_children = emperor_check();
	}
}

void uwsgi_emperor_start(void) {
	uwsgi.emperor_pid = fork();
	if (uwsgi.emperor_pid < 0) {
		uwsgi_error("pid = fork()");
		exit(1);
	}
	else if (uwsgi.emperor_pid == 0) {
#ifdef __linux__
#ifdef PR_SET_PDEATHSIG
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0)) {
			uwsgi_error("prctl()");
		}
#endif
#endif
		emperor_loop();
		// never here
		exit(1);
	}
}
