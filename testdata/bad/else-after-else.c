#ifdef UWSGI_SSL
int a;
#else
int b;
#else
int c;
#endif
