/* EL4 emulation (scripts/el/README.md): EOWNERDEAD and ENOTRECOVERABLE came with robust futexes
   in kernel 2.6.17; EL4's 2.6.9 kernel headers do not define them. uWSGI tests EOWNERDEAD to use
   robust mutexes (pthread_mutexattr_setrobust_np, which glibc 2.3.4 lacks). */
#include_next <errno.h>
#undef EOWNERDEAD
#undef ENOTRECOVERABLE
