/* Directive spellings: indentation, space after '#', comments, continued lines. */
void uwsgi_as_root(void) {
  #  if defined __linux__ /* linux only */ && \
      !defined(OBSOLETE_LINUX_KERNEL)
	if (unshare(uwsgi.unshare)) exit(1);
  #  endif /* __linux__ */

	#if (defined(__linux__)) && (!defined OBSOLETE_LINUX_KERNEL)
	if (unshare(uwsgi.unshare2)) exit(1);
	#endif

#if !defined(OBSOLETE_LINUX_KERNEL) && defined(__linux__) // operands swapped
	(void) unshare(0);
#endif

#if defined(__linux__) || !defined(OBSOLETE_LINUX_KERNEL)
	unshare(1); /* || is another condition: not matched */
#endif
}
