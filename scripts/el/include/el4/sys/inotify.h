/* EL4 emulation (scripts/el/README.md): glibc 2.3.4 has no <sys/inotify.h> (glibc 2.4 added it
   with inotify_init and friends); on the real box this #include is a missing file. */
#error "EL4 emulation: missing header sys/inotify.h (glibc 2.3.4 has none)"
