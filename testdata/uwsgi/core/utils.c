/* Shaped like uWSGI's core/utils.c: privilege dropping with Linux namespaces.
 * Written for cdefang's tests; not uWSGI's code. */
#include "../uwsgi.h"

extern struct uwsgi_server uwsgi;

/* builds the unshare( mask from a string -- not a call to unshare() */
int uwsgi_build_unshare(char *what, int *mask) {
	char *list = uwsgi_str(what);
	*mask = 0;
	free(list);
	return 0;
}

void uwsgi_as_root() {

	int in_jail = 0;

	if (getuid() > 0)
		goto nonroot;

#if defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)
	if (uwsgi.unshare && !uwsgi.reloads) {

		if (unshare(uwsgi.unshare)) {
			uwsgi_error("unshare()");
			exit(1);
		}
		else {
			uwsgi_log("[linux-namespace] applied unshare() mask: %d\n", uwsgi.unshare);
		}

#ifdef CLONE_NEWUSER
		if (uwsgi.unshare & CLONE_NEWUSER) {
			if (setuid(0)) {
				uwsgi_error("uwsgi_as_root()/setuid(0)");
				exit(1);
			}
		}
#endif
		in_jail = 1;
	}
#endif

#if defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)
	/* the mask is only logged here: no call to unshare( in this block */
	if (uwsgi.unshare) {
		uwsgi_log("namespace mask %d (see \"unshare()\")\n", uwsgi.unshare);
	}
#endif

	if (uwsgi.chroot && !uwsgi.reloads) {
		if (chroot(uwsgi.chroot)) {
			uwsgi_error("chroot()");
			exit(1);
		}
		in_jail = 1;
	}

#if defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)
	if (uwsgi.unshare2 && !uwsgi.reloads) {

		if (unshare(uwsgi.unshare2)) {
			uwsgi_error("unshare()");
			exit(1);
		}
		else {
			uwsgi_log("[linux-namespace] applied unshare() mask: %d\n", uwsgi.unshare2);
		}
		in_jail = 1;
	}
#endif

	if (in_jail) {
		uwsgi_log("jailed\n");
	}

nonroot:
	return;
}

/* unshare() outside uwsgi_as_root: not the rule's business */
int uwsgi_emperor_jail(int flags) {
#if defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)
	if (unshare(flags)) {
		return -1;
	}
#endif
	return 0;
}
