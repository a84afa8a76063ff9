/* SPDX-License-Identifier: Apache-2.0 */
/* abort(): raise(SIGABRT) with the default action, exit status 134. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	printf("abort: calling abort\n");
	fflush(stdout);
	abort();
}
