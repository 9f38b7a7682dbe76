/* server/commands.h: the entry point of every citytwin subcommand.
 * Each returns the process exit status (0 ok, 1 failure, 2 usage error);
 * argv[0] is the subcommand's name. */
#ifndef SERVER_COMMANDS_H
#define SERVER_COMMANDS_H

#define CITYTWIN_VERSION "0.1.0"

/* one prototype per subcommand, beside its line in server/main.c */
int synth_main(int argc, char **argv);   /* synth/synth_cmd.c */
int import_main(int argc, char **argv);  /* spatial/import_cmd.c */
int tiles_main(int argc, char **argv);   /* tiles/tiles_cmd.c */
int basemap_main(int argc, char **argv); /* tiles/basemap_cli.c */
int serve_main(int argc, char **argv);   /* server/serve_cmd.c */
int simulate_main(int argc, char **argv); /* live/simulate_cmd.c */
int token_main(int argc, char **argv);    /* server/token_cmd.c */

#endif
