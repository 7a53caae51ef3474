/* A loop macro lang-c has not been told about: uwsgi_each(x, list) { ... } */
void uwsgi_as_root(void) {
	uwsgi_each(usl, uwsgi.jail) {
		uwsgi_log("%s\n", usl->value);
	}
#if defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)
	if (unshare(uwsgi.unshare)) exit(1);
#endif
}
