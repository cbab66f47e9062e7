/* hello: compiled by entrypoint.sh when the container starts. */
#include <stdio.h>

int main(int argc, char **argv)
{
	printf("hello from a program compiled at run time, %d argument(s)\n", argc - 1);
	for (int i = 1; i < argc; i++)
		printf("%s\n", argv[i]);
	return 0;
}
