/* tiles/gltf_meta.h: EXT_structural_metadata for a tile (internal to the
 * glTF writer): the schema, and the property table whose columns are
 * appended as bufferViews to the GLB's binary chunk. */
#ifndef TILES_GLTF_META_H
#define TILES_GLTF_META_H

#include <jansson.h>

#include "tiles/gltf.h"

/* Append f's columns to bin (each bufferView 8-byte aligned) and their
 * bufferViews to views; returns the EXT_structural_metadata object, or
 * NULL when out of memory. */
json_t *gltf_meta_build(const ftable *f, gbuf *bin, json_t *views);

/* A bufferView {buffer 0, byteOffset, byteLength}, appended to views;
 * returns its index or -1. */
int gltf_add_view(json_t *views, size_t offset, size_t length);

#endif
