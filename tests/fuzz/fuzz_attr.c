/* fuzz_attr.c - the query-side parsers on the same input: attributes (parse, validate at every
 * level, write, re-parse to the same set), query lists, request lines, Execute arguments
 * (parse, write, re-parse) and Profile IDs / registration parameters. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/attr.h"
#include "lwm2m/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_same_attrs(const lwm2m_attrs_t *a, const lwm2m_attrs_t *b)
{
    if (a->present != b->present || a->unset != b->unset)
        abort();
#define SAME(id, field)                                                                            \
    if ((a->present & LWM2M_ATTR_BIT(LWM2M_ATTR_##id)) && a->field != b->field)                    \
    abort()
    SAME(PMIN, pmin);
    SAME(PMAX, pmax);
    SAME(EPMIN, epmin);
    SAME(EPMAX, epmax);
    SAME(HQMAX, hqmax);
    SAME(LT, lt);
    SAME(GT, gt);
    SAME(ST, st);
    SAME(EDGE, edge);
    SAME(CON, con);
    SAME(DIM, dim);
#undef SAME
    if ((a->present & LWM2M_ATTR_BIT(LWM2M_ATTR_VER)) && strcmp(a->ver, b->ver) != 0)
        abort();
}

static void fuzz_attrs(const char *text, size_t size)
{
    static const lwm2m_type_t types[] = {LWM2M_TYPE_UNKNOWN, LWM2M_TYPE_INTEGER, LWM2M_TYPE_BOOLEAN,
                                         LWM2M_TYPE_STRING};
    lwm2m_attrs_t attrs, again;
    lwm2m_buf_t out = {0};
    if (lwm2m_attrs_parse(text, size, &attrs, NULL) < 0)
        return;
    for (uint8_t depth = 0; depth <= 4; depth++)
        for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++)
            (void)lwm2m_attrs_validate(&attrs, depth, types[t], NULL);
    if (lwm2m_attrs_write(&attrs, &out, NULL) < 0)
        abort();
    if (lwm2m_attrs_parse(out.data ? (const char *)out.data : "", out.len, &again, NULL) < 0)
        abort();
    check_same_attrs(&attrs, &again);
    lwm2m_buf_free(&out);
}

static void fuzz_exec_args(const char *text, size_t size)
{
    lwm2m_exec_args_t args, again;
    lwm2m_buf_t out = {0};
    if (lwm2m_exec_args_parse(text, size, &args, NULL) < 0)
        return;
    if (lwm2m_exec_args_write(&args, &out, NULL) < 0 || out.len != size ||
        (size && memcmp(out.data, text, size) != 0))
        abort(); /* the grammar has one spelling per argument list */
    if (lwm2m_exec_args_parse((const char *)out.data, out.len, &again, NULL) < 0 ||
        again.count != args.count)
        abort();
    lwm2m_buf_free(&out);
}

static void fuzz_queries(const char *text, size_t size)
{
    lwm2m_query_t q = {0};
    lwm2m_request_line_t line = {0};
    lwm2m_register_params_t params;
    lwm2m_profile_ids_t ids;
    lwm2m_attrs_t attrs;
    if (lwm2m_query_parse(text, size, &q, NULL) == 0) {
        (void)lwm2m_attrs_from_query(&q, &attrs, NULL);
        (void)lwm2m_register_params_parse(&q, true, &params, NULL);
    }
    lwm2m_query_clear(&q);
    if (size > 0 && lwm2m_query_add_segment(&q, text, size, NULL) == 0 && q.count != 1)
        abort();
    lwm2m_query_clear(&q);
    (void)lwm2m_request_line_parse(text, size, &line, NULL);
    lwm2m_request_line_clear(&line);
    (void)lwm2m_profile_ids_parse(text, size, &ids, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, so ASan catches any read past the input. */
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    fuzz_attrs(text, size);
    fuzz_exec_args(text, size);
    fuzz_queries(text, size);
    free(text);
    return 0;
}
