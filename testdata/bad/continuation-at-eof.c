int a;
#define X 1 \