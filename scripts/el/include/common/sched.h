/* EL4/EL5 emulation (scripts/el/README.md): of the namespace flags, kernel 2.6.9 (EL4) and
   2.6.18 (EL5) headers, and glibc 2.3.4/2.5, have CLONE_NEWNS only. CLONE_NEWUTS and
   CLONE_NEWIPC came with kernel 2.6.19, CLONE_NEWUSER and CLONE_NEWPID with 2.6.23-24,
   CLONE_NEWNET with 2.6.24, CLONE_NEWCGROUP and CLONE_NEWTIME later: uWSGI tests them. */
#include_next <sched.h>
#undef CLONE_NEWUTS
#undef CLONE_NEWIPC
#undef CLONE_NEWUSER
#undef CLONE_NEWPID
#undef CLONE_NEWNET
#undef CLONE_NEWCGROUP
#undef CLONE_NEWTIME
