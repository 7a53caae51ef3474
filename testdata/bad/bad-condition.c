#if defined(__linux__) && 
 int b;
#endif
