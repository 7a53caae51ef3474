/* An #elif chain where the first branch is dropped: the #elif becomes #if. */
int uwsgi_get_cores(void) {
#if defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)
	return unshare_cores();
#elif defined(__FreeBSD__) /* bsd */
	return bsd_cores();
#else
	return 1;
#endif
}

/* A middle #elif dropped, and an #else after it. */
int uwsgi_get_threads(void) {
#ifdef UWSGI_THREADING
	return threads();
#elif defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)
	return unshare_threads();
#else
	return 0;
#endif
}
