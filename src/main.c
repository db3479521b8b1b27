/* main.c: placeholder until the command line lands. */
#include <stdio.h>
#include <sysexits.h>

#include "log.h"

int	main(int, char **);

int
main(int argc, char **argv)
{
	(void)argc;
	log_init("minimta", LOG_DEST_STDERR);
	log_user("%s: not implemented yet", argv[0]);
	return EX_SOFTWARE;
}
