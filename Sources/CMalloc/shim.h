/* glibc's malloc tuning (mallopt and its M_* parameters): Glibc's Swift module does not export <malloc.h>. */
#include <malloc.h>
