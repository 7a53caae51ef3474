int a;
#endif
int b;
