/* A string continued with backslashes down to the end of the file. */
static const char *usage = "uwsgi [options]\
#ifdef UWSGI_SSL\
  --https