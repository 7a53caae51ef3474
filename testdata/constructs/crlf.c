/* CRLF line endings, tabs, trailing spaces and no final newline. */
void uwsgi_as_root(void) {
	int x = 1;   
#if defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)
	if (unshare(x)) {	
		exit(1);
	}
#endif
	x++;  	
}