/* tiles/gltf.h: our glTF 2.0 binary (.glb) writer for tile contents.
 * One mesh, one primitive (triangles) with POSITION, NORMAL and
 * _FEATURE_ID_0; EXT_mesh_features points the feature ids at property
 * table 0 of EXT_structural_metadata (the tile's ftable); one light grey
 * metallic-roughness material. GLTF_MESHOPT quantizes (KHR_mesh_quantization:
 * uint16 positions dequantized by the node's translation and uniform scale,
 * int8 normals) and compresses the vertex and index streams with
 * EXT_meshopt_compression (libmeshoptimizer), declaring the uncompressed
 * layout in a "fallback" buffer without data. JSON goes through jansson. */
#ifndef TILES_GLTF_H
#define TILES_GLTF_H

#include <stddef.h>

#include "core/ct_error.h"
#include "tiles/features.h"
#include "tiles/mesh.h"

typedef enum gltf_compress { GLTF_PLAIN = 0, GLTF_MESHOPT = 1 } gltf_compress;

/* A growable byte buffer (the GLB is built in memory, hashed, written). */
typedef struct gbuf {
    unsigned char *p;
    size_t len, cap;
} gbuf;

void gbuf_free(gbuf *b);
/* Append n bytes (src NULL: zeros); 0 or CT_ENOMEM. */
int gbuf_put(gbuf *b, const void *src, size_t n);
/* Pad with byte v to a multiple of align. */
int gbuf_align(gbuf *b, size_t align, unsigned char v);

/* Serialise mesh m (m->nv > 0) with feature table f into out (reset). */
int gltf_write_glb(const tmesh *m, const ftable *f, gltf_compress c, gbuf *out,
                   ct_err *err);

#endif
