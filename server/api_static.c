/* server/api_static.c: the three folders served as files: the page (--web)
 * at /, 3D tiles (--tiles) at /tiles/, the base map (--basemap) at
 * /basemap/. Documents revalidate every time (ETag makes that cheap);
 * binary tiles and images are cached briefly, since a rebuild rewrites
 * them in place under the same names. */
#include "server/api.h"

static const http_static_opts WEB = {"no-cache", "no-cache", 1};
static const http_static_opts TILES = {"no-cache", "public, max-age=300", 0};
static const http_static_opts BASEMAP = {"public, max-age=300",
                                         "public, max-age=3600", 0};

int api_web(http_req *r)
{
    return http_static_serve(r, r->conf->web, r->rest, &WEB);
}

int api_tiles(http_req *r)
{
    return http_static_serve(r, r->conf->tiles, r->rest, &TILES);
}

int api_basemap(http_req *r)
{
    return http_static_serve(r, r->conf->basemap, r->rest, &BASEMAP);
}
