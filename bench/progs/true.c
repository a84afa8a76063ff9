/* SPDX-License-Identifier: Apache-2.0 */
/* Does nothing: measures whole-command startup + teardown. */
int main(void)
{
	return 0;
}
