/* EL4/EL5 emulation (scripts/el/README.md): zig's pthread.h (modern glibc) redirects the
   robust-mutex calls pthread_mutexattr_setrobust_np, pthread_mutexattr_getrobust_np and
   pthread_mutex_consistent_np to their glibc 2.12 names. glibc 2.5 (EL5) exports the _np names
   themselves; glibc 2.3.4 (EL4) has neither, and its headers no EOWNERDEAD (include/el4/errno.h)
   so uWSGI does not call them there. Declare the _np names as glibc 2.5 did. */
#define pthread_mutexattr_setrobust_np el_zig_pthread_mutexattr_setrobust_np
#define pthread_mutexattr_getrobust_np el_zig_pthread_mutexattr_getrobust_np
#define pthread_mutex_consistent_np el_zig_pthread_mutex_consistent_np
#include_next <pthread.h>
#undef pthread_mutexattr_setrobust_np
#undef pthread_mutexattr_getrobust_np
#undef pthread_mutex_consistent_np
extern int pthread_mutexattr_setrobust_np (pthread_mutexattr_t *__attr, int __robustness);
extern int pthread_mutexattr_getrobust_np (const pthread_mutexattr_t *__attr, int *__robustness);
extern int pthread_mutex_consistent_np (pthread_mutex_t *__mutex);
