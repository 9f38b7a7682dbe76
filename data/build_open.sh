#!/usr/bin/env bash
# data/build_open.sh: dev-time tool (never run by make) that converts the real
# Luoyang layers collected in /work/shared/data/luoyang (see its SOURCES.md)
# into ONE compact GeoPackage, data/luoyang/luoyang_open.gpkg, whose layer
# names and columns follow the store schema (spatial/layers.h), so the
# importer's `native` mapping reads it directly.
#   usage: data/build_open.sh [SRC_DIR] [OUT.gpkg]
# The DataV/GCJ-02 files are deliberately NOT used (licence unclear).
set -euo pipefail
SRC=${1:-/work/shared/data/luoyang}
OUT=${2:-$(dirname "$0")/luoyang/luoyang_open.gpkg}
export OGR_CURRENT_DATE=2025-11-01T00:00:00Z   # fixed GPKG timestamps
rm -f "$OUT"
mkdir -p "$(dirname "$OUT")"
common=(-f GPKG -dialect SQLite -a_srs EPSG:4326 -lco GEOMETRY_NAME=geom
        -lco FID=fid -lco SPATIAL_INDEX=YES)

# English names of the 14 county-level units (pinyin, official style).
name_en="CASE district_adcode
  WHEN 410302 THEN 'Laocheng District' WHEN 410303 THEN 'Xigong District'
  WHEN 410304 THEN 'Chanhe Hui District' WHEN 410305 THEN 'Jianxi District'
  WHEN 410307 THEN 'Yanshi District' WHEN 410308 THEN 'Mengjin District'
  WHEN 410311 THEN 'Luolong District' WHEN 410323 THEN 'Xin''an County'
  WHEN 410324 THEN 'Luanchuan County' WHEN 410325 THEN 'Song County'
  WHEN 410326 THEN 'Ruyang County' WHEN 410327 THEN 'Yiyang County'
  WHEN 410328 THEN 'Luoning County' WHEN 410329 THEN 'Yichuan County' END"

# districts: the 14 districts/counties first, then the prefecture polygon
# (last, so that "first district containing a point" finds a district).
ogr2ogr "${common[@]}" -nln districts -nlt MULTIPOLYGON "$OUT" \
  "$SRC/admin/luoyang_districts_tianditu.geojson" -sql "
  SELECT 'district:' || district_adcode AS id, district_name AS name,
         $name_en AS name_en,
         CASE WHEN district_name LIKE '%县' THEN 'county' ELSE 'district' END
           AS kind, 'tianditu' AS source,
         CAST(district_adcode AS TEXT) AS code, 'district' AS level,
         'district:' || city_adcode AS parent, lon AS label_lon,
         lat AS label_lat, ST_Multi(geometry) AS geom
  FROM luoyang_districts_tianditu ORDER BY district_adcode"

ogr2ogr "${common[@]}" -append -nln districts -nlt MULTIPOLYGON "$OUT" \
  "$SRC/admin/luoyang_prefecture_tianditu.geojson" -sql "
  SELECT 'district:' || city_adcode AS id, city_name AS name,
         'Luoyang' AS name_en, 'prefecture' AS kind, 'tianditu' AS source,
         CAST(city_adcode AS TEXT) AS code, 'prefecture' AS level,
         'province:' || province_adcode AS parent, lon AS label_lon,
         lat AS label_lat, ST_Multi(geometry) AS geom
  FROM luoyang_prefecture_tianditu"
# stations: OSM railway and metro stations (metro names are absent upstream).
ogr2ogr "${common[@]}" -update -nln stations -nlt POINT "$OUT" \
  "$SRC/luoyang_osm_infra.gpkg" -sql "
  SELECT printf('stn-%03d', fid) AS id, name,
         CASE name WHEN '洛阳' THEN 'Luoyang' WHEN '洛阳龙门' THEN 'Luoyang Longmen'
           WHEN '洛阳北' THEN 'Luoyang North' WHEN '洛阳东' THEN 'Luoyang East'
           WHEN '洛阳西' THEN 'Luoyang West' WHEN '关林' THEN 'Guanlin'
           WHEN '白马寺' THEN 'Baimasi' WHEN '偃师' THEN 'Yanshi'
           WHEN '孟津' THEN 'Mengjin' WHEN '新安县' THEN 'Xin''an County'
           WHEN '汝阳' THEN 'Ruyang' WHEN '王庄' THEN 'Wangzhuang'
           WHEN '留庄' THEN 'Liuzhuang' WHEN '白合' THEN 'Baihe'
           WHEN '磁涧' THEN 'Cijian' WHEN '铁门' THEN 'Tiemen'
           WHEN '首阳山' THEN 'Shouyangshan' END AS name_en,
         CASE station WHEN 'subway' THEN 'subway' ELSE 'train' END AS kind,
         'osm' AS source, geom
  FROM railway_stations ORDER BY fid"

# facilities: power substations and plants (polygons).
ogr2ogr "${common[@]}" -update -nln facilities -nlt MULTIPOLYGON "$OUT" \
  "$SRC/luoyang_osm_infra.gpkg" -sql "
  SELECT printf('fac-%03d', fid) AS id, name, NULL AS name_en,
         power AS kind, 'osm' AS source, voltage, output, MAX_kv AS max_kv,
         ST_Multi(geom) AS geom
  FROM power_facilities ORDER BY fid"

# transport_lines: Luoyang Beijiao airport and two airstrips.
ogr2ogr "${common[@]}" -update -nln transport_lines -nlt MULTILINESTRING \
  "$OUT" "$SRC/luoyang_osm_infra.gpkg" -sql "
  SELECT printf('aero-%03d', fid) AS id, NULL AS name, NULL AS name_en,
         aeroway AS kind, 'osm' AS source, ref, ST_Multi(geom) AS geom
  FROM aeroways ORDER BY fid"

# water_lines: GSHHG / WDB II river centre lines (names inferred upstream).
ogr2ogr "${common[@]}" -update -nln water_lines -nlt MULTILINESTRING "$OUT" \
  "$SRC/luoyang_rivers_gshhg_wdb2.geojson" -sql "
  SELECT printf('river-%03d', rowid + 1) AS id,
         CASE WHEN likely_name LIKE '黄河%' THEN '黄河'
              WHEN likely_name LIKE '洛河%' THEN '洛河' END AS name,
         CASE WHEN likely_name LIKE '黄河%' THEN 'Yellow River'
              WHEN likely_name LIKE '洛河%' THEN 'Luo River' END AS name_en,
         'river' AS kind, 'gshhg' AS source, wdb_level, wdb_class,
         likely_name, ST_Multi(geometry) AS geom
  FROM luoyang_rivers_gshhg_wdb2"

# Compact: drop free pages.
ogrinfo -q "$OUT" -sql "VACUUM" >/dev/null
ls -l "$OUT"
