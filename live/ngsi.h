/* live/ngsi.h: FIWARE NGSI-LD Smart Data Models in, observation items out.
 * An entityOperations/upsert body is an array of entities in normalized
 * form ({"type": "Property", "value": ...}, relationships with "object") or
 * keyValues form (plain values). Supported types and attributes:
 *   OffStreetParking   availableSpotNumber -> free, totalSpotNumber -> total
 *                      (occupancy with totalSpotNumber when no free count)
 *   TrafficFlowObserved averageVehicleSpeed -> speed_kmh, intensity ->
 *                      flow_vph (per hour over dateObservedFrom..To when
 *                      given), occupancy; the segment is refRoadSegment
 *   WaterObserved      height -> level_m, flow -> flow_m3s, precipitation ->
 *                      rain_mm (precipitation is not in WaterObserved: taken
 *                      from WeatherObserved's name)
 *   WeatherObserved    temperature, precipitation -> rain_mm_h, windSpeed
 *   Alert              severity (informational/low -> blue, medium ->
 *                      yellow, high -> orange, critical -> red), category,
 *                      subCategory, description, validTo
 * Ids: "urn:ngsi-ld:<Type>:<our id>" -> our id (any urn prefix is cut at
 * the last ':' after the type). Time: dateObserved, else observedAt. */
#ifndef LIVE_NGSI_H
#define LIVE_NGSI_H

#include <jansson.h>

#include "core/ct_error.h"

typedef struct live_ngsi_out {
    json_t *items;      /* observation items (observe.h) */
    int *origin;        /* items[k] came from entity origin[k] */
    json_t *alerts;     /* [{index, id, title, entity, level, time, valid_to}] */
    json_t *rejected;   /* [{index, entity, code, reason}] */
} live_ngsi_out;

int live_ngsi_convert(const json_t *body, live_ngsi_out *out, ct_err *err);
void live_ngsi_free(live_ngsi_out *out);

/* Our id from an NGSI-LD id of the given type ("urn:ngsi-ld:T:x" -> "x"). */
const char *live_ngsi_local_id(const char *urn, const char *type);

#endif
