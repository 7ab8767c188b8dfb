/* fuzz_ddf.c - libFuzzer target for the OMA DDF XML loader (lwm2m_ddf_load_buffer). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "lwm2m/ddf.h"
#include "lwm2m/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a successful load promises: objects and resources sorted by id, no NULL strings. */
static void check_object(const lwm2m_object_def_t *o)
{
    if (!o->name || !o->version || !o->urn)
        abort();
    for (size_t i = 0; i < o->resource_count; i++) {
        const lwm2m_resource_def_t *r = &o->resources[i];
        if (!r->name || !r->units || !r->range || r->type == LWM2M_TYPE_UNKNOWN)
            abort();
        if (i > 0 && o->resources[i - 1].id >= r->id)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lwm2m_model_t *model = lwm2m_model_new();
    lwm2m_error_t err;
    if (!model)
        return 0;
    int rc = lwm2m_ddf_load_buffer(model, (const char *)data, size, &err);
    if (rc == 0 && lwm2m_model_count(model) == 0)
        abort();
    if (rc != 0 && (lwm2m_model_count(model) != 0 || err.code != rc))
        abort();
    for (uint32_t id = 0; rc == 0 && id <= 65535; id++) {
        const lwm2m_object_def_t *o = lwm2m_model_object(model, (uint16_t)id);
        if (o)
            check_object(o);
    }
    lwm2m_model_free(model);
    return 0;
}
