/* ddf.c - the OMA DDF XML loader: expat events -> lwm2m_object_def_t, added to a model. */
#include "lwm2m/ddf.h"

#include <dirent.h>
#include <errno.h>
#include <expat.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bounds on what one document can make us allocate. The OMA registry's largest file is
 * ~250 KiB, its largest object has 177 resources and its longest kept text is 76 bytes. */
#define DDF_DOCUMENT_MAX (4u * 1024u * 1024u)
#define DDF_OBJECTS_MAX 64
#define DDF_RESOURCES_MAX 1024
#define DDF_TEXT_MAX 1024
#define DDF_DIR_FILES_MAX 16384

/* Expat's namespace separator: names arrive as "URI SEP local" when namespaced. A space can't
 * appear in a namespace URI. */
#define DDF_NS_SEPARATOR ' '

typedef enum ddf_scope {
    DDF_SCOPE_DOCUMENT,  /* before the root element */
    DDF_SCOPE_ROOT,      /* inside <LWM2M> */
    DDF_SCOPE_OBJECT,    /* inside <Object> */
    DDF_SCOPE_RESOURCES, /* inside <Object><Resources> */
    DDF_SCOPE_ITEM,      /* inside <Resources><Item> */
    DDF_SCOPE_FIELD,     /* inside an element whose text we keep */
    DDF_SCOPE_END,       /* after the root element */
} ddf_scope_t;

typedef enum ddf_field {
    DDF_OBJECT_NAME,
    DDF_OBJECT_ID,
    DDF_OBJECT_URN,
    DDF_OBJECT_LWM2M_VERSION,
    DDF_OBJECT_VERSION,
    DDF_OBJECT_MULTIPLE,
    DDF_OBJECT_MANDATORY,
    DDF_ITEM_NAME,
    DDF_ITEM_OPERATIONS,
    DDF_ITEM_MULTIPLE,
    DDF_ITEM_MANDATORY,
    DDF_ITEM_TYPE,
    DDF_ITEM_RANGE,
    DDF_ITEM_UNITS,
} ddf_field_t;

static const struct {
    ddf_scope_t scope;
    const char *element;
    ddf_field_t field;
} ddf_fields[] = {
    {DDF_SCOPE_OBJECT, "Name", DDF_OBJECT_NAME},
    {DDF_SCOPE_OBJECT, "ObjectID", DDF_OBJECT_ID},
    {DDF_SCOPE_OBJECT, "ObjectURN", DDF_OBJECT_URN},
    {DDF_SCOPE_OBJECT, "LWM2MVersion", DDF_OBJECT_LWM2M_VERSION},
    {DDF_SCOPE_OBJECT, "ObjectVersion", DDF_OBJECT_VERSION},
    {DDF_SCOPE_OBJECT, "MultipleInstances", DDF_OBJECT_MULTIPLE},
    {DDF_SCOPE_OBJECT, "Mandatory", DDF_OBJECT_MANDATORY},
    {DDF_SCOPE_ITEM, "Name", DDF_ITEM_NAME},
    {DDF_SCOPE_ITEM, "Operations", DDF_ITEM_OPERATIONS},
    {DDF_SCOPE_ITEM, "MultipleInstances", DDF_ITEM_MULTIPLE},
    {DDF_SCOPE_ITEM, "Mandatory", DDF_ITEM_MANDATORY},
    {DDF_SCOPE_ITEM, "Type", DDF_ITEM_TYPE},
    {DDF_SCOPE_ITEM, "RangeEnumeration", DDF_ITEM_RANGE},
    {DDF_SCOPE_ITEM, "Units", DDF_ITEM_UNITS},
};

typedef struct ddf_parser {
    XML_Parser xml;
    lwm2m_error_t *err;
    int rc; /* first error; once set, every handler returns at once */
    ddf_scope_t scope;
    unsigned skip_depth; /* > 0 inside an element we ignore, with everything below it */

    ddf_field_t field;
    const char *field_element;
    unsigned long field_line;
    char text[DDF_TEXT_MAX + 1];
    size_t text_len;

    lwm2m_object_def_t *object; /* under construction; resources live in the fields below */
    lwm2m_resource_def_t *resources;
    size_t resource_count, resource_capacity;
    unsigned long object_line;
    bool has_object_id;
    unsigned object_seen, item_seen; /* bit per ddf_field_t, to refuse repeated elements */

    lwm2m_object_def_t *done[DDF_OBJECTS_MAX]; /* complete, added to the model at the end */
    size_t done_count;
} ddf_parser_t;

/* Records the first error (with the current line) and stops expat. Returns the code. */
static int ddf_fail(ddf_parser_t *p, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int ddf_fail(ddf_parser_t *p, int code, const char *fmt, ...)
{
    if (p->rc)
        return p->rc;
    char detail[LWM2M_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    p->rc = lwm2m_error_set(p->err, code, (size_t)XML_GetCurrentByteIndex(p->xml), "line %lu: %s",
                            (unsigned long)XML_GetCurrentLineNumber(p->xml), detail);
    XML_StopParser(p->xml, XML_FALSE);
    return p->rc;
}

static const char *ddf_local_name(const XML_Char *name)
{
    const char *sep = strrchr(name, DDF_NS_SEPARATOR);
    return sep ? sep + 1 : name;
}

static const XML_Char *ddf_attribute(const XML_Char **attrs, const char *name)
{
    for (size_t i = 0; attrs[i]; i += 2)
        if (strcmp(ddf_local_name(attrs[i]), name) == 0)
            return attrs[i + 1];
    return NULL;
}

static bool ddf_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trims XML whitespace from the collected text in place; returns it NUL-terminated. */
static const char *ddf_trimmed_text(ddf_parser_t *p)
{
    size_t start = 0, end = p->text_len;
    while (start < end && ddf_is_space(p->text[start]))
        start++;
    while (end > start && ddf_is_space(p->text[end - 1]))
        end--;
    p->text[end] = '\0';
    return p->text + start;
}

/* Decimal 0..65535, surrounding XML whitespace allowed. */
static int ddf_parse_id(const char *text, uint16_t *ret)
{
    size_t len = strlen(text);
    uint64_t v;
    while (len > 0 && ddf_is_space(text[len - 1]))
        len--;
    while (len > 0 && ddf_is_space(text[0]))
        text++, len--;
    if (lwm2m_parse_uint64(text, len, &v) < 0 || v > LWM2M_ID_MAX)
        return LWM2M_ERR_BAD_REQUEST;
    *ret = (uint16_t)v;
    return 0;
}

static int ddf_set_string(ddf_parser_t *p, const char **slot, const char *value)
{
    char *copy = strdup(value);
    if (!copy)
        return ddf_fail(p, LWM2M_ERR_INTERNAL, "out of memory");
    free((char *)*slot);
    *slot = copy;
    return 0;
}

/* "Multiple"/"Single" or "Mandatory"/"Optional"; an empty element means the second. */
static int ddf_set_flag(ddf_parser_t *p, bool *slot, const char *value, const char *yes,
                        const char *no)
{
    if (strcmp(value, yes) == 0)
        *slot = true;
    else if (strcmp(value, no) == 0 || value[0] == '\0')
        *slot = false;
    else
        return ddf_fail(p, LWM2M_ERR_BAD_REQUEST, "<%s> is \"%.40s\", expected %s or %s",
                        p->field_element, value, yes, no);
    return 0;
}

static int ddf_set_operations(ddf_parser_t *p, lwm2m_resource_def_t *r, const char *value)
{
    static const struct {
        const char *text;
        uint8_t operations;
    } table[] = {
        {"", 0},
        {"R", LWM2M_OP_READ},
        {"W", LWM2M_OP_WRITE},
        {"RW", LWM2M_OP_READ | LWM2M_OP_WRITE},
        {"E", LWM2M_OP_EXECUTE},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (strcmp(value, table[i].text) == 0) {
            r->operations = table[i].operations;
            return 0;
        }
    }
    return ddf_fail(p, LWM2M_ERR_BAD_REQUEST,
                    "resource %u: Operations \"%.40s\" is not R, W, RW, E or empty", r->id, value);
}

static int ddf_set_type(ddf_parser_t *p, lwm2m_resource_def_t *r, const char *value)
{
    lwm2m_type_t type = lwm2m_type_from_name(value);
    /* lwm2m_type_from_name also knows our own markers, which no DDF may use. */
    if (type == LWM2M_TYPE_UNKNOWN || type == LWM2M_TYPE_MULTIPLE || type == LWM2M_TYPE_INSTANCE)
        return ddf_fail(p, LWM2M_ERR_BAD_REQUEST, "resource %u: Type \"%.40s\" is not a DDF type",
                        r->id, value);
    r->type = type;
    return 0;
}

static int ddf_end_object_field(ddf_parser_t *p, const char *value)
{
    lwm2m_object_def_t *o = p->object;
    switch (p->field) {
    case DDF_OBJECT_NAME:
        return ddf_set_string(p, &o->name, value);
    case DDF_OBJECT_ID:
        if (ddf_parse_id(value, &o->id) < 0)
            return ddf_fail(p, LWM2M_ERR_BAD_REQUEST, "ObjectID \"%.40s\" is not 0..65535", value);
        p->has_object_id = true;
        return 0;
    case DDF_OBJECT_URN:
        return ddf_set_string(p, &o->urn, value);
    case DDF_OBJECT_VERSION:
        return ddf_set_string(p, &o->version, value[0] ? value : "1.0");
    case DDF_OBJECT_MULTIPLE:
        return ddf_set_flag(p, &o->multiple, value, "Multiple", "Single");
    case DDF_OBJECT_MANDATORY:
        return ddf_set_flag(p, &o->mandatory, value, "Mandatory", "Optional");
    default: /* LWM2MVersion: read, not kept */
        return 0;
    }
}

static int ddf_end_item_field(ddf_parser_t *p, const char *value)
{
    lwm2m_resource_def_t *r = &p->resources[p->resource_count - 1];
    switch (p->field) {
    case DDF_ITEM_NAME:
        return ddf_set_string(p, &r->name, value);
    case DDF_ITEM_OPERATIONS:
        return ddf_set_operations(p, r, value);
    case DDF_ITEM_MULTIPLE:
        return ddf_set_flag(p, &r->multiple, value, "Multiple", "Single");
    case DDF_ITEM_MANDATORY:
        return ddf_set_flag(p, &r->mandatory, value, "Mandatory", "Optional");
    case DDF_ITEM_TYPE:
        return ddf_set_type(p, r, value);
    case DDF_ITEM_RANGE:
        return ddf_set_string(p, &r->range, value);
    case DDF_ITEM_UNITS:
        return ddf_set_string(p, &r->units, value);
    default:
        return 0;
    }
}

/* Frees the object under construction (with its resources) and forgets it. */
static void ddf_discard_object(ddf_parser_t *p)
{
    if (p->object) {
        p->object->resources = p->resources;
        p->object->resource_count = p->resource_count;
        lwm2m_object_def_free(p->object);
    } else {
        free(p->resources);
    }
    p->object = NULL;
    p->resources = NULL;
    p->resource_count = p->resource_capacity = 0;
}

static void ddf_start_object(ddf_parser_t *p, const XML_Char **attrs)
{
    const char *type = ddf_attribute(attrs, "ObjectType");
    if (type && strcmp(type, "MODefinition") != 0) {
        ddf_fail(p, LWM2M_ERR_BAD_REQUEST,
                 "<Object> has ObjectType \"%.40s\", not \"MODefinition\": not an object "
                 "definition",
                 type);
        return;
    }
    if (p->done_count == DDF_OBJECTS_MAX) {
        ddf_fail(p, LWM2M_ERR_BAD_REQUEST, "more than %d objects in one document", DDF_OBJECTS_MAX);
        return;
    }
    p->object = calloc(1, sizeof(*p->object));
    if (!p->object) {
        ddf_fail(p, LWM2M_ERR_INTERNAL, "out of memory");
        return;
    }
    p->object_line = (unsigned long)XML_GetCurrentLineNumber(p->xml);
    p->has_object_id = false;
    p->object_seen = 0;
    p->scope = DDF_SCOPE_OBJECT;
}

static int ddf_compare_resources(const void *a, const void *b)
{
    const lwm2m_resource_def_t *ra = a, *rb = b;
    return (ra->id > rb->id) - (ra->id < rb->id);
}

/* Fills the defaults the header promises ("" units and range, version "1.0"). */
static int ddf_fill_defaults(ddf_parser_t *p, const char **slot, const char *value)
{
    return *slot ? 0 : ddf_set_string(p, slot, value);
}

static void ddf_end_object(ddf_parser_t *p)
{
    lwm2m_object_def_t *o = p->object;
    if (!p->has_object_id) {
        ddf_fail(p, LWM2M_ERR_BAD_REQUEST, "<Object> starting on line %lu has no ObjectID",
                 p->object_line);
        return;
    }
    for (size_t i = 0; i < p->done_count; i++) {
        if (p->done[i]->id == o->id) {
            ddf_fail(p, LWM2M_ERR_BAD_REQUEST, "ObjectID %u defined twice", o->id);
            return;
        }
    }
    if (ddf_fill_defaults(p, &o->name, "") < 0 || ddf_fill_defaults(p, &o->urn, "") < 0 ||
        ddf_fill_defaults(p, &o->version, "1.0") < 0)
        return;
    if (p->resource_count > 1)
        qsort(p->resources, p->resource_count, sizeof(p->resources[0]), ddf_compare_resources);
    o->resources = p->resources;
    o->resource_count = p->resource_count;
    p->done[p->done_count++] = o;
    p->object = NULL;
    p->resources = NULL;
    p->resource_count = p->resource_capacity = 0;
    p->scope = DDF_SCOPE_ROOT;
}

static void ddf_start_item(ddf_parser_t *p, const XML_Char **attrs)
{
    const char *id_text = ddf_attribute(attrs, "ID");
    uint16_t id;
    if (!id_text) {
        ddf_fail(p, LWM2M_ERR_BAD_REQUEST, "<Item> has no ID attribute");
        return;
    }
    if (ddf_parse_id(id_text, &id) < 0) {
        ddf_fail(p, LWM2M_ERR_BAD_REQUEST, "<Item> ID \"%.40s\" is not 0..65535", id_text);
        return;
    }
    for (size_t i = 0; i < p->resource_count; i++) {
        if (p->resources[i].id == id) {
            ddf_fail(p, LWM2M_ERR_BAD_REQUEST, "duplicate resource ID %u", id);
            return;
        }
    }
    if (p->resource_count == DDF_RESOURCES_MAX) {
        ddf_fail(p, LWM2M_ERR_BAD_REQUEST, "more than %d resources in one object",
                 DDF_RESOURCES_MAX);
        return;
    }
    if (p->resource_count == p->resource_capacity) {
        size_t cap = p->resource_capacity ? p->resource_capacity * 2 : 16;
        lwm2m_resource_def_t *r = realloc(p->resources, cap * sizeof(*r));
        if (!r) {
            ddf_fail(p, LWM2M_ERR_INTERNAL, "out of memory");
            return;
        }
        p->resources = r;
        p->resource_capacity = cap;
    }
    p->resources[p->resource_count++] = (lwm2m_resource_def_t){.id = id, .type = LWM2M_TYPE_NONE};
    p->item_seen = 0;
    p->scope = DDF_SCOPE_ITEM;
}

static void ddf_end_item(ddf_parser_t *p)
{
    lwm2m_resource_def_t *r = &p->resources[p->resource_count - 1];
    if (ddf_fill_defaults(p, &r->name, "") < 0 || ddf_fill_defaults(p, &r->units, "") < 0 ||
        ddf_fill_defaults(p, &r->range, "") < 0)
        return;
    p->scope = DDF_SCOPE_RESOURCES;
}

/* Starts collecting text if the element is a field of the current scope. Returns true when
 * it is one. */
static bool ddf_start_field(ddf_parser_t *p, const char *name)
{
    for (size_t i = 0; i < sizeof(ddf_fields) / sizeof(ddf_fields[0]); i++) {
        if (ddf_fields[i].scope != p->scope || strcmp(ddf_fields[i].element, name) != 0)
            continue;
        unsigned bit = 1u << ddf_fields[i].field;
        unsigned *seen = p->scope == DDF_SCOPE_OBJECT ? &p->object_seen : &p->item_seen;
        if (*seen & bit) {
            ddf_fail(p, LWM2M_ERR_BAD_REQUEST, "<%s> appears twice", name);
            return true;
        }
        *seen |= bit;
        p->field = ddf_fields[i].field;
        p->field_element = ddf_fields[i].element;
        p->field_line = (unsigned long)XML_GetCurrentLineNumber(p->xml);
        p->text_len = 0;
        p->scope = DDF_SCOPE_FIELD;
        return true;
    }
    return false;
}

static void XMLCALL ddf_on_start(void *user, const XML_Char *qname, const XML_Char **attrs)
{
    ddf_parser_t *p = user;
    const char *name = ddf_local_name(qname);
    if (p->rc)
        return;
    if (p->skip_depth > 0) {
        p->skip_depth++;
        return;
    }
    switch (p->scope) {
    case DDF_SCOPE_DOCUMENT:
        if (strcmp(name, "LWM2M") != 0)
            ddf_fail(p, LWM2M_ERR_BAD_REQUEST,
                     "root element is <%.40s>, not <LWM2M>: not an object definition", name);
        p->scope = DDF_SCOPE_ROOT;
        return;
    case DDF_SCOPE_ROOT:
        if (strcmp(name, "Object") == 0)
            ddf_start_object(p, attrs);
        else
            p->skip_depth = 1;
        return;
    case DDF_SCOPE_OBJECT:
        if (strcmp(name, "Resources") == 0)
            p->scope = DDF_SCOPE_RESOURCES;
        else if (!ddf_start_field(p, name))
            p->skip_depth = 1;
        return;
    case DDF_SCOPE_RESOURCES:
        if (strcmp(name, "Item") == 0)
            ddf_start_item(p, attrs);
        else
            p->skip_depth = 1;
        return;
    case DDF_SCOPE_ITEM:
        if (!ddf_start_field(p, name))
            p->skip_depth = 1;
        return;
    case DDF_SCOPE_FIELD:
        ddf_fail(p, LWM2M_ERR_BAD_REQUEST, "unexpected element <%.40s> inside <%s>", name,
                 p->field_element);
        return;
    case DDF_SCOPE_END:
        return; /* expat refuses a second root element itself */
    }
}

static void ddf_end_field(ddf_parser_t *p)
{
    bool in_item = p->field >= DDF_ITEM_NAME;
    const char *value = ddf_trimmed_text(p);
    p->scope = in_item ? DDF_SCOPE_ITEM : DDF_SCOPE_OBJECT;
    if (in_item)
        ddf_end_item_field(p, value);
    else
        ddf_end_object_field(p, value);
}

static void XMLCALL ddf_on_end(void *user, const XML_Char *qname)
{
    ddf_parser_t *p = user;
    (void)qname; /* expat checks that tags match */
    if (p->rc)
        return;
    if (p->skip_depth > 0) {
        p->skip_depth--;
        return;
    }
    switch (p->scope) {
    case DDF_SCOPE_FIELD:
        ddf_end_field(p);
        return;
    case DDF_SCOPE_ITEM:
        ddf_end_item(p);
        return;
    case DDF_SCOPE_RESOURCES:
        p->scope = DDF_SCOPE_OBJECT;
        return;
    case DDF_SCOPE_OBJECT:
        ddf_end_object(p);
        return;
    case DDF_SCOPE_ROOT:
        p->scope = DDF_SCOPE_END;
        return;
    case DDF_SCOPE_DOCUMENT:
    case DDF_SCOPE_END:
        return;
    }
}

static void XMLCALL ddf_on_text(void *user, const XML_Char *s, int len)
{
    ddf_parser_t *p = user;
    if (p->rc || p->skip_depth > 0 || p->scope != DDF_SCOPE_FIELD || len <= 0)
        return;
    if ((size_t)len > DDF_TEXT_MAX - p->text_len) {
        ddf_fail(p, LWM2M_ERR_BAD_REQUEST, "<%s> (line %lu) is longer than %d bytes",
                 p->field_element, p->field_line, DDF_TEXT_MAX);
        return;
    }
    memcpy(p->text + p->text_len, s, (size_t)len);
    p->text_len += (size_t)len;
}

/* DDF files have no use for a DTD; refusing it rules out entity expansion attacks. */
static void XMLCALL ddf_on_doctype(void *user, const XML_Char *name, const XML_Char *sysid,
                                   const XML_Char *pubid, int has_internal_subset)
{
    (void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
    ddf_fail(user, LWM2M_ERR_BAD_REQUEST, "DOCTYPE declarations are not accepted");
}

static void ddf_parser_release(ddf_parser_t *p)
{
    ddf_discard_object(p);
    for (size_t i = 0; i < p->done_count; i++)
        lwm2m_object_def_free(p->done[i]);
    p->done_count = 0;
    if (p->xml)
        XML_ParserFree(p->xml);
}

/* Parses the document into p->done. Returns 0 or the error code (p->err filled). */
static int ddf_parse(ddf_parser_t *p, const char *xml, size_t len)
{
    if (len > DDF_DOCUMENT_MAX)
        return lwm2m_error_set(p->err, LWM2M_ERR_BAD_REQUEST, 0,
                               "document is %zu bytes, more than the %u-byte limit", len,
                               DDF_DOCUMENT_MAX);
    p->xml = XML_ParserCreateNS(NULL, DDF_NS_SEPARATOR);
    if (!p->xml)
        return lwm2m_error_set(p->err, LWM2M_ERR_INTERNAL, 0, "out of memory");
    XML_SetUserData(p->xml, p);
    XML_SetElementHandler(p->xml, ddf_on_start, ddf_on_end);
    XML_SetCharacterDataHandler(p->xml, ddf_on_text);
    XML_SetStartDoctypeDeclHandler(p->xml, ddf_on_doctype);
    if (XML_Parse(p->xml, xml, (int)len, XML_TRUE) != XML_STATUS_OK && !p->rc) {
        enum XML_Error code = XML_GetErrorCode(p->xml);
        p->rc =
            lwm2m_error_set(p->err, LWM2M_ERR_BAD_REQUEST, (size_t)XML_GetCurrentByteIndex(p->xml),
                            "line %lu: XML: %s", (unsigned long)XML_GetCurrentLineNumber(p->xml),
                            XML_ErrorString(code));
    }
    if (p->rc)
        return p->rc;
    if (p->done_count == 0)
        return lwm2m_error_set(p->err, LWM2M_ERR_BAD_REQUEST, 0, "no <Object> in the document");
    return 0;
}

/* Loads one document; on success *ret_count is the number of objects added. */
static int ddf_load(lwm2m_model_t *model, const char *xml, size_t len, lwm2m_error_t *err,
                    size_t *ret_count)
{
    ddf_parser_t *p = calloc(1, sizeof(*p));
    if (!p)
        return lwm2m_error_set(err, LWM2M_ERR_INTERNAL, 0, "out of memory");
    p->err = err;
    int rc = model && xml ? ddf_parse(p, xml, len)
                          : lwm2m_error_set(err, LWM2M_ERR_INTERNAL, 0, "no model or input");
    size_t added = 0;
    for (size_t i = 0; rc == 0 && i < p->done_count; i++) {
        lwm2m_object_def_t *o = p->done[i];
        p->done[i] = NULL; /* the model owns it now, even on failure */
        if (lwm2m_model_add_owned(model, o) < 0)
            rc = lwm2m_error_set(err, LWM2M_ERR_INTERNAL, 0, "out of memory");
        else
            added++;
    }
    ddf_parser_release(p);
    free(p);
    if (rc == 0 && ret_count)
        *ret_count = added;
    return rc;
}

int lwm2m_ddf_load_buffer(lwm2m_model_t *model, const char *xml, size_t len, lwm2m_error_t *err)
{
    return ddf_load(model, xml, len, err, NULL);
}

/* Reads a regular file of at most DDF_DOCUMENT_MAX bytes into a malloc'd buffer. */
static int ddf_read_file(const char *path, char **ret_data, size_t *ret_len, lwm2m_error_t *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return lwm2m_error_set(err, LWM2M_ERR_NOT_FOUND, 0, "can't open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return lwm2m_error_set(err, LWM2M_ERR_NOT_FOUND, 0, "not a regular file");
    }
    if (st.st_size > (off_t)DDF_DOCUMENT_MAX) {
        close(fd);
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, 0,
                               "file is %lld bytes, more than the %u-byte limit",
                               (long long)st.st_size, DDF_DOCUMENT_MAX);
    }
    size_t cap = (size_t)st.st_size + 1, len = 0; /* +1 notices a file that grew */
    char *data = malloc(cap);
    if (!data) {
        close(fd);
        return lwm2m_error_set(err, LWM2M_ERR_INTERNAL, 0, "out of memory");
    }
    while (len < cap) {
        ssize_t n = read(fd, data + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            free(data);
            close(fd);
            return lwm2m_error_set(err, LWM2M_ERR_NOT_FOUND, 0, "can't read: %s", strerror(saved));
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    if (len == cap) {
        free(data);
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, 0, "file changed while being read");
    }
    *ret_data = data;
    *ret_len = len;
    return 0;
}

static int ddf_load_file_counted(lwm2m_model_t *model, const char *path, lwm2m_error_t *err,
                                 size_t *ret_count)
{
    char *data = NULL;
    size_t len = 0;
    int rc = ddf_read_file(path, &data, &len, err);
    if (rc < 0)
        return rc;
    rc = ddf_load(model, data, len, err, ret_count);
    free(data);
    return rc;
}

int lwm2m_ddf_load_file(lwm2m_model_t *model, const char *path, lwm2m_error_t *err)
{
    if (!path)
        return lwm2m_error_set(err, LWM2M_ERR_NOT_FOUND, 0, "no path");
    return ddf_load_file_counted(model, path, err, NULL);
}

static bool ddf_is_xml_name(const char *name)
{
    size_t len = strlen(name);
    return name[0] != '.' && len > 4 && strcasecmp(name + len - 4, ".xml") == 0;
}

static int ddf_compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void ddf_free_names(char **names, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

/* The sorted *.xml names in dir (at most DDF_DIR_FILES_MAX). -404 when it can't be opened. */
static int ddf_list_dir(const char *dir, char ***ret_names, size_t *ret_count, bool *ret_truncated)
{
    DIR *d = opendir(dir);
    if (!d)
        return LWM2M_ERR_NOT_FOUND;
    char **names = NULL;
    size_t count = 0, cap = 0;
    struct dirent *e;
    *ret_truncated = false;
    while ((e = readdir(d)) != NULL) {
        if (!ddf_is_xml_name(e->d_name))
            continue;
        if (count == DDF_DIR_FILES_MAX) {
            *ret_truncated = true;
            break;
        }
        if (count == cap) {
            size_t new_cap = cap ? cap * 2 : 64;
            char **n = realloc(names, new_cap * sizeof(*n));
            if (!n)
                goto fail;
            names = n;
            cap = new_cap;
        }
        if (!(names[count] = strdup(e->d_name)))
            goto fail;
        count++;
    }
    closedir(d);
    qsort(names, count, sizeof(*names), ddf_compare_names);
    *ret_names = names;
    *ret_count = count;
    return 0;
fail:
    closedir(d);
    ddf_free_names(names, count);
    return LWM2M_ERR_INTERNAL;
}

int lwm2m_ddf_load_dir(lwm2m_model_t *model, const char *dir, lwm2m_ddf_error_fn on_error,
                       void *ctx)
{
    char **names = NULL;
    size_t count = 0, loaded = 0;
    bool truncated = false;
    lwm2m_error_t err;
    if (!dir)
        return LWM2M_ERR_NOT_FOUND;
    int rc = ddf_list_dir(dir, &names, &count, &truncated);
    if (rc < 0)
        return rc;
    if (truncated && on_error) {
        lwm2m_error_set(&err, LWM2M_ERR_TOO_LARGE, 0,
                        "more than %d *.xml files; only the first %d read (unsorted)",
                        DDF_DIR_FILES_MAX, DDF_DIR_FILES_MAX);
        on_error(ctx, dir, &err);
    }
    for (size_t i = 0; i < count; i++) {
        char path[PATH_MAX];
        size_t objects = 0;
        memset(&err, 0, sizeof(err));
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= sizeof(path))
            lwm2m_error_set(&err, LWM2M_ERR_NOT_FOUND, 0, "path too long");
        else if (ddf_load_file_counted(model, path, &err, &objects) == 0)
            loaded += objects;
        if (err.code < 0 && on_error)
            on_error(ctx, path, &err);
    }
    ddf_free_names(names, count);
    return loaded > INT_MAX ? INT_MAX : (int)loaded;
}
