/* link.c - placeholder, replaced by the real link-format parser and writer. */
#include "lwm2m/link.h"

#include <string.h>

int lwm2m_link_parse(const char *text, size_t len, lwm2m_links_t *out, lwm2m_error_t *err)
{
    (void)text, (void)len, (void)out;
    return lwm2m_error_set(err, -501, 0, "not implemented");
}

int lwm2m_link_write(const lwm2m_links_t *links, lwm2m_buf_t *out, lwm2m_error_t *err)
{
    (void)links, (void)out;
    return lwm2m_error_set(err, -501, 0, "not implemented");
}

void lwm2m_links_clear(lwm2m_links_t *links)
{
    (void)links;
}

int lwm2m_links_add(lwm2m_links_t *links, const char *uri, lwm2m_link_t **ret_link)
{
    (void)links, (void)uri, (void)ret_link;
    return -501;
}

int lwm2m_link_add_attr(lwm2m_link_t *link, const char *name, const char *value, bool quoted)
{
    (void)link, (void)name, (void)value, (void)quoted;
    return -501;
}

const lwm2m_link_attr_t *lwm2m_link_find_attr(const lwm2m_link_t *link, const char *name)
{
    (void)link, (void)name;
    return NULL;
}
