/* keep and replace-condition. */
void uwsgi_setup(void) {
#ifdef UWSGI_SSL
	uwsgi_ssl_init();
#else
	uwsgi_log("no ssl\n");
#endif

#ifndef UWSGI_PCRE
	uwsgi_log("no pcre\n");
#endif
}
