/* codec.c - the table of content-format codecs and path-list dispatch. */
#include "lwm2m/codec.h"

#include <stdlib.h>
#include <string.h>

static const lwm2m_codec_t *const codecs[] = {
    &lwm2m_codec_text,     &lwm2m_codec_opaque,     &lwm2m_codec_cbor,
    &lwm2m_codec_tlv,      &lwm2m_codec_senml_json, &lwm2m_codec_senml_cbor,
    &lwm2m_codec_oma_json, &lwm2m_codec_lwm2m_cbor,
};

const lwm2m_codec_t *lwm2m_codec_find(uint16_t content_format)
{
    for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
        if (codecs[i]->content_format == content_format)
            return codecs[i];
    return NULL;
}

const lwm2m_codec_t *lwm2m_codec_find_by_name(const char *name)
{
    if (!name || !*name)
        return NULL;
    for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
        if (strcmp(codecs[i]->name, name) == 0)
            return codecs[i];
    char *end;
    unsigned long cf = strtoul(name, &end, 10);
    if (*end || cf > 65535)
        return NULL;
    return lwm2m_codec_find((uint16_t)cf);
}

lwm2m_type_t lwm2m_decode_type(const lwm2m_decode_opts_t *opts, const lwm2m_path_t *path)
{
    if (!opts)
        return LWM2M_TYPE_UNKNOWN;
    lwm2m_type_t t = lwm2m_model_type(opts->model, path);
    return t != LWM2M_TYPE_UNKNOWN ? t : opts->type_hint;
}
