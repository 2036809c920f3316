/*
 * main.c: hookcli(1). Everything lives in libhookcli.a (hookcli.c and
 * friends) so that the tests link the same code.
 */
#include "config.h"

#include "hookcli.h"

int
main(int argc, char **argv)
{
	return hookcli_main(argc, argv);
}
