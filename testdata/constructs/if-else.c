/* #if A ... #else B #endif with the #if branch dropped: B alone stays. */
void uwsgi_jail(void) {
#if defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)
	if (unshare(CLONE_NEWNS)) {
		uwsgi_error("unshare()");
	}
#else
	uwsgi_log("no namespaces\n");
#endif
	uwsgi_log("done\n");
}
