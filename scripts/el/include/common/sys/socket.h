/* EL4/EL5 emulation (scripts/el/README.md): glibc 2.3.4 and 2.5 have no SOCK_NONBLOCK or
   SOCK_CLOEXEC (glibc 2.9). uWSGI tests SOCK_NONBLOCK to call accept4() (glibc 2.10): without
   the macros it calls accept() and fcntl(), as it does on the real box. */
#include_next <sys/socket.h>
#undef SOCK_NONBLOCK
#undef SOCK_CLOEXEC
