/* server/commands.h: the entry point of every citytwin subcommand.
 * Each returns the process exit status (0 ok, 1 failure, 2 usage error);
 * argv[0] is the subcommand's name. */
#ifndef SERVER_COMMANDS_H
#define SERVER_COMMANDS_H

#define CITYTWIN_VERSION "0.1.0"

/* one prototype per subcommand, beside its line in server/main.c */

#endif
