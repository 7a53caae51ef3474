/* resolve under FOO undefined, BAR=2 and OBSOLETE_LINUX_KERNEL defined. */
#ifdef FOO
int foo = 1;
#else
int foo = 0;
#endif

#if BAR == 2 && defined(__linux__)
int bar_linux = 1;
#elif BAR > 2
int bar_big = 1;
#endif

#if defined(FOO) && defined(X)
int never = 1;
#elif defined(Y)
int y = 1;
#else
int other = 1;
#endif

#ifndef OBSOLETE_LINUX_KERNEL
#include <sys/inotify.h>
#ifdef NESTED
int nested = 1;
#endif
#endif

#if defined(Z) || BAR == 2
int always = 1;
#endif

#if defined(__linux__)
int untouched = 1;
#endif
