int a;
#if defined(__linux__)
int b;
