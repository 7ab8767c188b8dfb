/* nodejson.h - node lists <-> JSON in the node format of the codec CLI and the test vectors:
 * [{"path": "/3/0/0", "type": "string", "value": "...", "time": 1.5, "prefix": "d01"}]. */
#ifndef LWM2M_NODEJSON_H
#define LWM2M_NODEJSON_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "lwm2m/value.h"

/* Appends the nodes of a JSON array to `out`. Returns 0, or a negative code with a message in
 * errbuf naming the node index. Integers beyond 2^53 may be given as decimal strings; opaque
 * is hex; objlnk "o:i"; NaN/Infinity as strings. */
int nodejson_parse(json_object *array, lwm2m_nodes_t *out, char *errbuf, size_t errlen);
/* A new JSON value for one value (caller owns it). */
json_object *nodejson_value(const lwm2m_value_t *value);
/* A new JSON array for a node list (caller owns it). */
json_object *nodejson_from_nodes(const lwm2m_node_t *nodes, size_t count);
/* Exact value equality (floats bitwise-equal or both NaN; bytes compared). */
bool nodejson_value_equal(const lwm2m_value_t *a, const lwm2m_value_t *b);

/* Hex helpers: returns the number of bytes written, or -1 on bad hex / too small. */
long nodejson_hex_decode(const char *hex, size_t hexlen, unsigned char *out, size_t outlen);
void nodejson_hex_encode(const unsigned char *data, size_t len, char *out); /* 2*len+1 bytes */

#endif
