/* The function header is written twice under #if/#else: the block is still inside it. */
#ifdef UWSGI_AS_ROOT_WITH_ARGS
void uwsgi_as_root(int argc, char **argv) {
#else
void uwsgi_as_root(void) {
#endif
	uwsgi_log("as root\n");
#if defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)
	if (unshare(uwsgi.unshare)) exit(1);
#endif
}

void uwsgi_not_root(void) {
#if defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)
	if (unshare(uwsgi.unshare)) exit(1);
#endif
}
