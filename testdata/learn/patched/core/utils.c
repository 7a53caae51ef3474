/* Shaped like uWSGI's core/utils.c: dropping privileges, Linux namespaces.
 * Written for cdefang's tests (cdefang learn); not uWSGI's code. */
#include "../uwsgi.h"

extern struct uwsgi_server uwsgi;

void uwsgi_as_root() {

	int in_jail = 0;

	if (getuid() > 0)
		goto nonroot;


#if defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)
	/* the same condition, no namespace to enter: the patch leaves it alone */
	if (uwsgi.unshare && uwsgi.reloads) {
		uwsgi_log("namespace mask %d kept from the first start\n", uwsgi.unshare);
		in_jail = 1;
	}
#endif

	if (uwsgi.chroot && !uwsgi.reloads) {
		if (chroot(uwsgi.chroot)) {
			uwsgi_error("chroot()");
			exit(1);
		}
		in_jail = 1;
	}


	if (in_jail) {
		struct uwsgi_string_list *usl = NULL;
		uwsgi_foreach(usl, uwsgi.exec_as_root) {
			uwsgi_log("running \"%s\" (as root)...\n", usl->value);
		}
	}

	if (setuid(uwsgi.uid)) {
		uwsgi_error("setuid()");
		exit(1);
	}

nonroot:
	return;
}

/* unshare() outside uwsgi_as_root: the patch leaves it alone */
int uwsgi_emperor_jail(int flags) {
#if defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)
	if (unshare(flags)) {
		return -1;
	}
#endif
	return 0;
}
