/* Latin-1 bytes: café, naïve. */
void uwsgi_as_root(void) {
	char *s = "ÿþ";
#if defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)
	unshare(0); /* été */
#endif
	uwsgi_log("%s\n", s);
}
