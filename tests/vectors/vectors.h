/* vectors.h - the vector runner's hooks for vectors whose "expected" is not a node list.
 * Each hook gets the whole vector object and its "expected" object's inner value for the shape
 * (e.g. the array under "tlv"), returns 0 when the vector passes and -1 when it fails, writing
 * the reason into msg. */
#ifndef LMG_TESTS_VECTORS_H
#define LMG_TESTS_VECTORS_H

#include <json-c/json.h>
#include <stddef.h>

typedef int (*vec_special_fn)(json_object *vector, json_object *inner, char *msg, size_t msglen);

/* Payload of a vector: bytes_hex decoded, or text. Returns a malloc'd buffer (NUL-terminated)
 * and its length in *len, or NULL when the vector has neither. */
unsigned char *vec_payload(json_object *vector, size_t *len);
/* A string member or NULL. */
const char *vec_string(json_object *obj, const char *key);
/* "decode", "encode" or "both". */
const char *vec_direction(json_object *vector);

int vec_tlv_raw(json_object *vector, json_object *inner, char *msg, size_t msglen);
int vec_tlv_value(json_object *vector, json_object *inner, char *msg, size_t msglen);
int vec_senml_raw(json_object *vector, json_object *inner, char *msg, size_t msglen);
int vec_senml_paths(json_object *vector, json_object *inner, char *msg, size_t msglen);
int vec_oma_json_raw(json_object *vector, json_object *inner, char *msg, size_t msglen);
int vec_oma_json_paths(json_object *vector, json_object *inner, char *msg, size_t msglen);
int vec_links(json_object *vector, json_object *inner, char *msg, size_t msglen);
int vec_attributes(json_object *vector, json_object *inner, char *msg, size_t msglen);
int vec_execute_args(json_object *vector, json_object *inner, char *msg, size_t msglen);
int vec_profile_ids(json_object *vector, json_object *inner, char *msg, size_t msglen);
int vec_request(json_object *vector, json_object *inner, char *msg, size_t msglen);
int vec_mqtt(json_object *vector, json_object *inner, char *msg, size_t msglen);
int vec_coap(json_object *vector, json_object *inner, char *msg, size_t msglen);

#endif
