/* EL4/EL5 emulation (scripts/el/README.md): glibc 2.3.4 and 2.5 have one scanf family, with no
   __isoc99_sscanf and friends (glibc 2.7). zig's features.h (modern glibc) redirects sscanf,
   fscanf and scanf to the __isoc99_ names unless the file is gnu89 with _GNU_SOURCE; its own
   patch for glibc < 2.7 tests __GLIBC__ before defining it, so it never applies. Files of
   uWSGI without _GNU_SOURCE (1.4.x) would then need symbols the box lacks. */
#include_next <features.h>
#undef __GLIBC_USE_DEPRECATED_SCANF
#define __GLIBC_USE_DEPRECATED_SCANF 1
