/* fuzz_link.c - link-format parser: anything it accepts must write, re-parse to the same links
 * and write to the same text again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/link.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_same(const lwm2m_links_t *a, const lwm2m_links_t *b)
{
    if (a->count != b->count)
        abort();
    for (size_t i = 0; i < a->count; i++) {
        const lwm2m_link_t *x = &a->items[i], *y = &b->items[i];
        if (strcmp(x->uri, y->uri) != 0 || x->attr_count != y->attr_count)
            abort();
        for (size_t k = 0; k < x->attr_count; k++) {
            const lwm2m_link_attr_t *p = &x->attrs[k], *q = &y->attrs[k];
            if (strcmp(p->name, q->name) != 0 || (p->value == NULL) != (q->value == NULL) ||
                (p->value && strcmp(p->value, q->value) != 0) || (p->quoted && !q->quoted))
                abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lwm2m_links_t first = {0}, second = {0};
    lwm2m_buf_t out1 = {0}, out2 = {0};
    lwm2m_error_t err;
    int rc = lwm2m_link_parse((const char *)data, size, &first, &err);
    if (rc < 0) {
        if ((rc != LWM2M_ERR_BAD_REQUEST && rc != LWM2M_ERR_TOO_LARGE) || err.offset > size ||
            first.count != 0)
            abort();
        return 0;
    }
    if (lwm2m_link_write(&first, &out1, &err) < 0)
        abort();
    if (lwm2m_link_parse(out1.data ? (const char *)out1.data : "", out1.len, &second, &err) < 0)
        abort();
    check_same(&first, &second);
    if (lwm2m_link_write(&second, &out2, &err) < 0 || out1.len != out2.len ||
        (out1.len && memcmp(out1.data, out2.data, out1.len) != 0))
        abort();
    lwm2m_links_clear(&first);
    lwm2m_links_clear(&second);
    lwm2m_buf_free(&out1);
    lwm2m_buf_free(&out2);
    return 0;
}
