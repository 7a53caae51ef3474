/* What "calls unshare" must and must not mean. Each block has the rule's condition. */
int unshare(int);

void uwsgi_as_root(void) {
#if defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)
	if (uwsgi.unshare) uwsgi_log("member, not a call\n");
#endif
#if defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)
	uwsgi_log("unshare()");
#endif
#if defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)
	/* unshare( */ uwsgi_log("comment\n");
#endif
#if defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)
	uwsgi_build_unshare(uwsgi.unshare_str, &uwsgi.unshare);
#endif
#if defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)
	int unshare(int);
#endif
#if defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)
	int (*f)(int) = unshare;
#endif
#if defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)
	if (unshare(m)) exit(1);
#endif
#if defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)
	(void) unshare(m);
#endif
#if defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)
	ret = unshare /* split */
		(m);
#endif
}
