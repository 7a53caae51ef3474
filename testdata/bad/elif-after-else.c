#ifdef UWSGI_SSL
int a;
#else
int b;
#elif defined(X)
int c;
#endif
