/* special_link.c - placeholder hooks, replaced by the real checks. */
#include <stdio.h>

#include "vectors.h"

int vec_links(json_object *vector, json_object *inner, char *msg, size_t msglen)
{
    (void)vector, (void)inner;
    snprintf(msg, msglen, "not implemented");
    return -1;
}

int vec_attributes(json_object *vector, json_object *inner, char *msg, size_t msglen)
{
    (void)vector, (void)inner;
    snprintf(msg, msglen, "not implemented");
    return -1;
}

int vec_execute_args(json_object *vector, json_object *inner, char *msg, size_t msglen)
{
    (void)vector, (void)inner;
    snprintf(msg, msglen, "not implemented");
    return -1;
}

int vec_profile_ids(json_object *vector, json_object *inner, char *msg, size_t msglen)
{
    (void)vector, (void)inner;
    snprintf(msg, msglen, "not implemented");
    return -1;
}

int vec_request(json_object *vector, json_object *inner, char *msg, size_t msglen)
{
    (void)vector, (void)inner;
    snprintf(msg, msglen, "not implemented");
    return -1;
}
