/* special_tlv.c - placeholder hooks, replaced by the real checks. */
#include <stdio.h>

#include "vectors.h"

int vec_tlv_raw(json_object *vector, json_object *inner, char *msg, size_t msglen)
{
    (void)vector, (void)inner;
    snprintf(msg, msglen, "not implemented");
    return -1;
}

int vec_tlv_value(json_object *vector, json_object *inner, char *msg, size_t msglen)
{
    (void)vector, (void)inner;
    snprintf(msg, msglen, "not implemented");
    return -1;
}
