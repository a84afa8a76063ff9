/* SPDX-License-Identifier: Apache-2.0 */
/* NULL dereference: must die of SIGSEGV (exit status 139). */
#include <stdio.h>

int main(void)
{
	volatile int *p = (volatile int *)0;
	printf("segv: about to fault\n");
	fflush(stdout);
	*p = 42;
	printf("segv: survived (wrong)\n");
	return 0;
}
