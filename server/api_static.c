/* server/api_static.c: the three folders served as files: the page (--web)
 * at /, 3D tiles (--tiles) at /tiles/, the base map (--basemap) at
 * /basemap/. Documents revalidate every time (ETag makes that cheap);
 * binary tiles and images are cached briefly, since a rebuild rewrites
 * them in place under the same names. */
#include "server/api.h"

#include <string.h>

static const http_static_opts WEB = {"no-cache", "no-cache", 1};
static const http_static_opts TILES = {"no-cache", "public, max-age=300", 0};
static const http_static_opts BASEMAP = {"public, max-age=300",
                                         "public, max-age=3600", 0};

/* The dashboard's modes have short addresses (/leader) besides their files. */
static const char *const PAGE_ALIASES[][2] = {
    {"leader", "leader.html"},
    {"rescue", "rescue.html"},
};

int api_web(http_req *r)
{
    const char *rest = r->rest;
    for (size_t i = 0; i < sizeof PAGE_ALIASES / sizeof PAGE_ALIASES[0]; i++)
        if (rest && strcmp(rest, PAGE_ALIASES[i][0]) == 0)
            rest = PAGE_ALIASES[i][1];
    return http_static_serve(r, r->conf->web, rest, &WEB);
}

int api_tiles(http_req *r)
{
    return http_static_serve(r, r->conf->tiles, r->rest, &TILES);
}

int api_basemap(http_req *r)
{
    return http_static_serve(r, r->conf->basemap, r->rest, &BASEMAP);
}
