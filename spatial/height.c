/* spatial/height.c: building height inference (see height.h). */
#include "spatial/height.h"

#include <math.h>

height_result height_infer(double height, double levels, double storey_m,
                           double default_m)
{
    height_result r;
    if (isfinite(height) && height > 0 && height <= HEIGHT_MAX_M) {
        r.height = height;
        r.rule = "height";
    } else if (isfinite(levels) && levels >= 1 && levels <= LEVELS_MAX) {
        r.height = levels * storey_m;
        r.rule = "levels";
    } else {
        r.height = default_m;
        r.rule = "default";
    }
    return r;
}

void height_apply(row *r, const mapping *m)
{
    int hc = row_col(r, "height"), lc = row_col(r, "levels");
    int mc = row_col(r, "min_height");
    double h = NAN, lv = NAN, mh;
    row_num(r, hc, &h);
    row_num(r, lc, &lv);
    const char *kind = row_text(r, row_col(r, "kind"));
    height_result res = height_infer(h, lv, mapping_storey_height(m),
                                     mapping_default_height(m, kind));
    row_set_real(r, "height", res.height);
    row_set_text(r, "height_rule", res.rule, -1);
    if (isfinite(lv) && (lv < 0 || lv > LEVELS_MAX))
        r->type[lc] = ROW_NULL;
    if (row_num(r, mc, &mh) && (mh < 0 || mh >= res.height))
        r->type[mc] = ROW_NULL;
}
