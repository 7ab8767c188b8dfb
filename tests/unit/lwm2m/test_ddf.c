/* test_ddf.c - the OMA DDF XML loader (lwm2m/model/ddf.c): every file of the OMA registry,
 * agreement with the built-in table, and malformed documents. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lwm2m/ddf.h"
#include "lwm2m/error.h"
#include "lwm2m/model.h"

#define REGISTRY_DIR LMG_SHARED_DIR "/lwm2m-registry"

/* Registry files that are not object definitions, so the loader refuses them, and the words
 * its error must contain (so an allow-listed file can't fail for some other reason). */
static const struct {
    const char *file;
    const char *reason;
} not_object_definitions[] = {
    /* The registry's index of objects and their versions (<DDFList>). */
    {"DDF.xml", "root element is <DDFList>, not <LWM2M>"},
    /* Reusable resource definitions: <Object ObjectType="CommonResources">, no ObjectID. */
    {"Common.xml", "ObjectType \"CommonResources\", not \"MODefinition\""},
    /* Additional SenML units (<units>). */
    {"LWM2M_senml_units.xml", "root element is <units>, not <LWM2M>"},
    /* The XML Schemas DDF files follow (<xs:schema>). */
    {"LWM2M.xsd", "root element is <schema>, not <LWM2M>"},
    {"LWM2M-v1_1.xsd", "root element is <schema>, not <LWM2M>"},
};
#define NOT_OBJECT_COUNT (sizeof(not_object_definitions) / sizeof(not_object_definitions[0]))

static const char *expected_failure(const char *file)
{
    for (size_t i = 0; i < NOT_OBJECT_COUNT; i++)
        if (strcmp(not_object_definitions[i].file, file) == 0)
            return not_object_definitions[i].reason;
    return NULL;
}

static DIR *open_registry(void)
{
    DIR *d = opendir(REGISTRY_DIR);
    if (!d)
        fail_msg("the OMA registry is missing: %s can't be opened. This test needs the DDF "
                 "files of /work/shared (dev and CI machines).",
                 REGISTRY_DIR);
    return d;
}

static int load(lwm2m_model_t *m, const char *xml, lwm2m_error_t *err)
{
    memset(err, 0, sizeof(*err));
    return lwm2m_ddf_load_buffer(m, xml, strlen(xml), err);
}

/* Every file in the registry loads, except the listed non-object files, which fail for the
 * listed reason. */
static void test_registry_every_file(void **state)
{
    (void)state;
    DIR *d = open_registry();
    lwm2m_model_t *m = lwm2m_model_new();
    size_t files = 0, loaded = 0, refused = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        lwm2m_error_t err = {0};
        snprintf(path, sizeof(path), "%s/%s", REGISTRY_DIR, e->d_name);
        files++;
        int rc = lwm2m_ddf_load_file(m, path, &err);
        const char *reason = expected_failure(e->d_name);
        if (rc == 0 && reason)
            fail_msg("%s loaded but is allow-listed as failing (%s): update the list", e->d_name,
                     reason);
        if (rc != 0 && !reason)
            fail_msg("%s: %s (rc %d)", e->d_name, err.message, rc);
        if (rc != 0 && !strstr(err.message, reason))
            fail_msg("%s failed with \"%s\", expected \"%s\"", e->d_name, err.message, reason);
        if (rc == 0)
            loaded++;
        else
            refused++;
    }
    closedir(d);
    print_message("registry: %zu files, %zu loaded, %zu not object definitions, %zu objects\n",
                  files, loaded, refused, lwm2m_model_count(m));
    assert_int_equal(refused, NOT_OBJECT_COUNT);
    assert_true(loaded >= 300);
    assert_int_equal(lwm2m_model_count(m), loaded); /* one object per file, ids unique */
    lwm2m_model_free(m);
}

static void count_error(void *ctx, const char *path, const lwm2m_error_t *err)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (!expected_failure(base))
        fail_msg("%s: %s", path, err->message);
    (*(size_t *)ctx)++;
}

static void test_registry_load_dir(void **state)
{
    (void)state;
    closedir(open_registry());
    lwm2m_model_t *m = lwm2m_model_new_builtin();
    size_t errors = 0;
    int n = lwm2m_ddf_load_dir(m, REGISTRY_DIR, count_error, &errors);
    assert_true(n >= 300);
    assert_int_equal(errors, NOT_OBJECT_COUNT - 2);    /* the two .xsd are not *.xml */
    assert_int_equal(lwm2m_model_count(m), (size_t)n); /* builtin ids all replaced */
    lwm2m_model_free(m);
}

static void assert_same_object(const lwm2m_object_def_t *a, const lwm2m_object_def_t *b)
{
    assert_int_equal(a->id, b->id);
    assert_string_equal(a->name, b->name);
    assert_string_equal(a->version, b->version);
    assert_string_equal(a->urn, b->urn);
    assert_int_equal(a->multiple, b->multiple);
    assert_int_equal(a->mandatory, b->mandatory);
    assert_int_equal(a->resource_count, b->resource_count);
    for (size_t i = 0; i < a->resource_count; i++) {
        const lwm2m_resource_def_t *ra = &a->resources[i], *rb = &b->resources[i];
        assert_int_equal(ra->id, rb->id);
        assert_string_equal(ra->name, rb->name);
        assert_int_equal(ra->type, rb->type);
        assert_int_equal(ra->operations, rb->operations);
        assert_int_equal(ra->multiple, rb->multiple);
        assert_int_equal(ra->mandatory, rb->mandatory);
        assert_string_equal(ra->units, rb->units);
        assert_string_equal(ra->range, rb->range);
    }
}

/* The loader and the generator read the registry the same way: each built-in object equals
 * what the loader makes of its file. */
static void test_registry_matches_builtin(void **state)
{
    (void)state;
    closedir(open_registry());
    lwm2m_model_t *m = lwm2m_model_new();
    for (size_t i = 0; i < lwm2m_builtin_object_count; i++) {
        const lwm2m_object_def_t *builtin = lwm2m_builtin_objects[i];
        char path[4096];
        lwm2m_error_t err = {0};
        snprintf(path, sizeof(path), "%s/%u.xml", REGISTRY_DIR, builtin->id);
        if (lwm2m_ddf_load_file(m, path, &err) != 0)
            fail_msg("%s: %s", path, err.message);
        assert_same_object(lwm2m_model_object(m, builtin->id), builtin);
    }
    /* The facts the codecs rely on most, spelled out: types of /3/0/x. */
    lwm2m_model_t *builtin = lwm2m_model_new_builtin();
    for (uint16_t r = 0; r <= 22; r++) {
        lwm2m_path_t p = lwm2m_path_make(3, 3, 0, r, 0);
        assert_int_not_equal(lwm2m_model_type(builtin, &p), LWM2M_TYPE_UNKNOWN);
        assert_int_equal(lwm2m_model_type(m, &p), lwm2m_model_type(builtin, &p));
    }
    lwm2m_model_free(builtin);
    assert_int_equal(lwm2m_model_resource(m, 3, 4)->type, LWM2M_TYPE_NONE);
    assert_int_equal(lwm2m_model_resource(m, 3, 4)->operations, LWM2M_OP_EXECUTE);
    assert_int_equal(lwm2m_model_resource(m, 5, 0)->type, LWM2M_TYPE_OPAQUE);
    assert_int_equal(lwm2m_model_is_multiple(m, 3, 11), 1);
    lwm2m_model_free(m);
}

static const char good_doc[] = "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                               "<!-- a comment -->\n"
                               "<LWM2M xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
                               "  xsi:noNamespaceSchemaLocation=\"LWM2M.xsd\">\n"
                               "  <Object ObjectType=\"MODefinition\">\n"
                               "    <Name> Test &amp; <![CDATA[Check <1>]]>\n</Name>\n"
                               "    <Description1>ignored <b>markup</b></Description1>\n"
                               "    <ObjectID>\n  40000 </ObjectID>\n"
                               "    <ObjectURN>urn:oma:lwm2m:x:40000</ObjectURN>\n"
                               "    <MultipleInstances>Multiple</MultipleInstances>\n"
                               "    <Mandatory>Optional</Mandatory>\n"
                               "    <Resources>\n"
                               "      <Item ID=\" 7 \"><Name>Seven</Name><Operations>RW"
                               "</Operations><MultipleInstances>Multiple</MultipleInstances>"
                               "<Mandatory>Mandatory</Mandatory><Type>Unsigned Integer</Type>"
                               "<RangeEnumeration>0..9</RangeEnumeration><Units>&#176;C"
                               "</Units></Item>\n"
                               "      <Item ID=\"2\"><Name>Run</Name><Operations>E</Operations>"
                               "<Type></Type></Item>\n"
                               "    </Resources>\n"
                               "  </Object>\n"
                               "</LWM2M>\n";

static void test_good_document(void **state)
{
    (void)state;
    lwm2m_model_t *m = lwm2m_model_new();
    lwm2m_error_t err;
    if (load(m, good_doc, &err) != 0)
        fail_msg("%s", err.message);
    const lwm2m_object_def_t *o = lwm2m_model_object(m, 40000);
    assert_non_null(o);
    assert_string_equal(o->name, "Test & Check <1>");
    assert_string_equal(o->version, "1.0"); /* default */
    assert_string_equal(o->urn, "urn:oma:lwm2m:x:40000");
    assert_true(o->multiple);
    assert_false(o->mandatory);
    assert_int_equal(o->resource_count, 2);
    assert_int_equal(o->resources[0].id, 2); /* sorted */
    assert_int_equal(o->resources[0].type, LWM2M_TYPE_NONE);
    assert_int_equal(o->resources[0].operations, LWM2M_OP_EXECUTE);
    assert_string_equal(o->resources[0].units, "");
    const lwm2m_resource_def_t *r = lwm2m_model_resource(m, 40000, 7);
    assert_string_equal(r->name, "Seven");
    assert_int_equal(r->type, LWM2M_TYPE_UNSIGNED);
    assert_int_equal(r->operations, LWM2M_OP_READ | LWM2M_OP_WRITE);
    assert_true(r->multiple);
    assert_true(r->mandatory);
    assert_string_equal(r->range, "0..9");
    assert_string_equal(r->units, "\xC2\xB0"
                                  "C");
    lwm2m_model_free(m);
}

static void test_namespaced_and_multi_object(void **state)
{
    (void)state;
    static const char doc[] =
        "<x:LWM2M xmlns:x=\"urn:example\" xmlns=\"urn:example\">"
        "<x:Object><ObjectID>40001</ObjectID><ObjectVersion>1.1</ObjectVersion></x:Object>"
        "<Object><ObjectID>40002</ObjectID><Resources/></Object></x:LWM2M>";
    lwm2m_model_t *m = lwm2m_model_new();
    lwm2m_error_t err;
    if (load(m, doc, &err) != 0)
        fail_msg("%s", err.message);
    assert_int_equal(lwm2m_model_count(m), 2);
    assert_string_equal(lwm2m_model_object(m, 40001)->version, "1.1");
    assert_int_equal(lwm2m_model_object(m, 40002)->resource_count, 0);
    lwm2m_model_free(m);
}

/* Each bad document is refused with -400 and a message naming the line and the reason, and
 * leaves the model as it was. */
static void test_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *xml;
        const char *message;
    } cases[] = {
        {"<LWM2M>\n<Object>\n<ObjectID>1</ObjectID>\n<Resources>\n<Item ID=\"1\">",
         "line 5: XML: "},
        {"<LWM2M>\n<Object>\n<Name>x</Name>\n</Object>\n</LWM2M>\n",
         "line 4: <Object> starting on line 2 has no ObjectID"},
        {"<LWM2M><Object><ObjectID>1</ObjectID><Resources>\n<Item ID=\"0\">\n"
         "<Type>Decimal</Type></Item></Resources></Object></LWM2M>",
         "line 3: resource 0: Type \"Decimal\" is not a DDF type"},
        {"<LWM2M><Object><ObjectID>1</ObjectID><Resources>\n<Item ID=\"0\"><Type>multiple</Type>"
         "</Item></Resources></Object></LWM2M>",
         "line 2: resource 0: Type \"multiple\""},
        {"<LWM2M><Object><ObjectID>1</ObjectID><Resources>\n<Item ID=\"4\"/>\n\n<Item ID=\"4\"/>"
         "</Resources></Object></LWM2M>",
         "line 4: duplicate resource ID 4"},
        {"<LWM2M><Object>\n<ObjectID>70000</ObjectID></Object></LWM2M>",
         "line 2: ObjectID \"70000\" is not 0..65535"},
        {"<LWM2M><Object><ObjectID>-1</ObjectID></Object></LWM2M>", "ObjectID \"-1\""},
        {"<LWM2M><Object><ObjectID>1</ObjectID><Resources><Item ID=\"x\"/></Resources></Object>"
         "</LWM2M>",
         "<Item> ID \"x\" is not 0..65535"},
        {"<LWM2M><Object><ObjectID>1</ObjectID><Resources><Item/></Resources></Object></LWM2M>",
         "<Item> has no ID attribute"},
        {"<LWM2M><Object><ObjectID>1</ObjectID><Resources><Item ID=\"1\"><Operations>RX"
         "</Operations></Item></Resources></Object></LWM2M>",
         "Operations \"RX\" is not R, W, RW, E or empty"},
        {"<LWM2M><Object><ObjectID>1</ObjectID><MultipleInstances>Many</MultipleInstances>"
         "</Object></LWM2M>",
         "<MultipleInstances> is \"Many\", expected Multiple or Single"},
        {"<LWM2M><Object><ObjectID>1</ObjectID><ObjectID>2</ObjectID></Object></LWM2M>",
         "<ObjectID> appears twice"},
        {"<LWM2M><Object><ObjectID>1<b/></ObjectID></Object></LWM2M>",
         "unexpected element <b> inside <ObjectID>"},
        {"<LWM2M><Object><ObjectID>1</ObjectID></Object><Object><ObjectID>1</ObjectID></Object>"
         "</LWM2M>",
         "ObjectID 1 defined twice"},
        {"<LWM2M></LWM2M>", "no <Object> in the document"},
        {"<DDFList><Item/></DDFList>", "line 1: root element is <DDFList>, not <LWM2M>"},
        {"", "line 1: XML: "},
        {"<LWM2M><Object><ObjectID>1</ObjectID></Object></LWM2M><LWM2M/>", "line 1: XML: "},
        {"<?xml version=\"1.0\"?>\n<!DOCTYPE l [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]>\n"
         "<LWM2M><Object><ObjectID>&b;</ObjectID></Object></LWM2M>",
         "line 2: DOCTYPE declarations are not accepted"},
        {"<LWM2M><Object><ObjectID>1</ObjectID><Name>&#0;</Name></Object></LWM2M>",
         "line 1: XML: "},
    };
    lwm2m_model_t *m = lwm2m_model_new_builtin();
    size_t count = lwm2m_model_count(m);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        lwm2m_error_t err;
        int rc = load(m, cases[i].xml, &err);
        if (rc != LWM2M_ERR_BAD_REQUEST || !strstr(err.message, cases[i].message))
            fail_msg("case %zu: rc %d, message \"%s\", expected \"%s\"", i, rc, err.message,
                     cases[i].message);
        assert_int_equal(err.code, LWM2M_ERR_BAD_REQUEST);
        assert_int_equal(lwm2m_model_count(m), count);
    }
    /* A bad second object leaves the first one out too. */
    lwm2m_error_t err;
    assert_int_equal(load(m,
                          "<LWM2M><Object><ObjectID>3</ObjectID></Object>"
                          "<Object><Name>no id</Name></Object></LWM2M>",
                          &err),
                     LWM2M_ERR_BAD_REQUEST);
    assert_string_equal(lwm2m_model_object(m, 3)->name, "Device");
    lwm2m_model_free(m);
}

static void test_too_large(void **state)
{
    (void)state;
    lwm2m_model_t *m = lwm2m_model_new();
    lwm2m_error_t err;
    /* Over the document cap: refused before parsing. */
    size_t big = 4u * 1024u * 1024u + 1u;
    char *doc = malloc(big + 1);
    assert_non_null(doc);
    memset(doc, ' ', big);
    memcpy(doc, "<LWM2M>", 7);
    doc[big] = '\0';
    assert_int_equal(lwm2m_ddf_load_buffer(m, doc, big, &err), LWM2M_ERR_BAD_REQUEST);
    assert_non_null(strstr(err.message, "limit"));

    /* A field longer than the text cap, on line 3. */
    const char *head = "<LWM2M><Object>\n<ObjectID>1</ObjectID>\n<Name>";
    size_t n = strlen(head);
    memcpy(doc, head, n);
    memset(doc + n, 'x', 5000);
    strcpy(doc + n + 5000, "</Name></Object></LWM2M>");
    assert_int_equal(load(m, doc, &err), LWM2M_ERR_BAD_REQUEST);
    if (!strstr(err.message, "line 3: <Name> (line 3) is longer than 1024 bytes"))
        fail_msg("%s", err.message);

    /* More resources than the cap. */
    n = (size_t)sprintf(doc, "<LWM2M><Object><ObjectID>1</ObjectID><Resources>");
    for (unsigned id = 0; id < 1100; id++)
        n += (size_t)sprintf(doc + n, "<Item ID=\"%u\"/>", id);
    strcpy(doc + n, "</Resources></Object></LWM2M>");
    assert_int_equal(load(m, doc, &err), LWM2M_ERR_BAD_REQUEST);
    assert_non_null(strstr(err.message, "more than 1024 resources"));
    assert_int_equal(lwm2m_model_count(m), 0);
    free(doc);
    lwm2m_model_free(m);
}

static void dir_error(void *ctx, const char *path, const lwm2m_error_t *err)
{
    (void)err;
    snprintf(ctx, 256, "%s", path);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_files_and_dirs(void **state)
{
    (void)state;
    lwm2m_model_t *m = lwm2m_model_new();
    lwm2m_error_t err;
    assert_int_equal(lwm2m_ddf_load_file(m, "/nonexistent/x.xml", &err), LWM2M_ERR_NOT_FOUND);
    assert_int_equal(lwm2m_ddf_load_dir(m, "/nonexistent", NULL, NULL), LWM2M_ERR_NOT_FOUND);

    char dir[] = "/tmp/test_ddf.XXXXXX";
    assert_non_null(mkdtemp(dir));
    write_file(dir, "a.xml", good_doc);
    write_file(dir, "b.xml", "<LWM2M><Object></Object></LWM2M>");
    write_file(dir, "c.txt", "not xml");
    char failed[256] = "";
    assert_int_equal(lwm2m_ddf_load_dir(m, dir, dir_error, failed), 1);
    assert_non_null(strstr(failed, "/b.xml"));
    assert_non_null(lwm2m_model_object(m, 40000));
    assert_int_equal(lwm2m_ddf_load_dir(m, dir, NULL, NULL), 1); /* reload replaces */
    assert_int_equal(lwm2m_model_count(m), 1);

    char path[512];
    snprintf(path, sizeof(path), "%s/b.xml", dir);
    assert_int_equal(lwm2m_ddf_load_file(m, path, &err), LWM2M_ERR_BAD_REQUEST);
    assert_non_null(strstr(err.message, "no ObjectID"));
    assert_int_equal(lwm2m_ddf_load_file(m, dir, &err), LWM2M_ERR_NOT_FOUND); /* a directory */
    static const char *const names[] = {"a.xml", "b.xml", "c.txt"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    lwm2m_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_every_file),
        cmocka_unit_test(test_registry_load_dir),
        cmocka_unit_test(test_registry_matches_builtin),
        cmocka_unit_test(test_good_document),
        cmocka_unit_test(test_namespaced_and_multi_object),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_files_and_dirs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
