/* test_model.c - the object model container and the built-in table generated from the OMA
 * registry (lwm2m/model/model.c, lwm2m/model/builtin_objects.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lwm2m/error.h"
#include "lwm2m/model.h"

/* Every builtin object and resource is sorted, unique and has non-NULL strings. */
static void test_builtin_table_shape(void **state)
{
    (void)state;
    assert_true(lwm2m_builtin_object_count >= 60);
    for (size_t i = 0; i < lwm2m_builtin_object_count; i++) {
        const lwm2m_object_def_t *o = lwm2m_builtin_objects[i];
        assert_non_null(o);
        if (i > 0)
            assert_true(lwm2m_builtin_objects[i - 1]->id < o->id);
        assert_non_null(o->name);
        assert_non_null(o->version);
        assert_non_null(o->urn);
        assert_true(o->resource_count > 0);
        for (size_t r = 0; r < o->resource_count; r++) {
            const lwm2m_resource_def_t *res = &o->resources[r];
            if (r > 0)
                assert_true(o->resources[r - 1].id < res->id);
            assert_non_null(res->name);
            assert_non_null(res->units);
            assert_non_null(res->range);
            assert_true(res->type != LWM2M_TYPE_UNKNOWN);
            if (res->operations & LWM2M_OP_EXECUTE)
                assert_int_equal(res->type, LWM2M_TYPE_NONE);
        }
    }
}

static void test_builtin_objects_present(void **state)
{
    (void)state;
    static const uint16_t required[] = {0,    1,    2,    3,    4,    5,    6,    7,
                                        9,    21,   23,   24,   25,   26,   3200, 3201,
                                        3202, 3203, 3300, 3303, 3304, 3311, 3350, 3411};
    lwm2m_model_t *m = lwm2m_model_new_builtin();
    assert_non_null(m);
    assert_int_equal(lwm2m_model_count(m), lwm2m_builtin_object_count);
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        const lwm2m_object_def_t *o = lwm2m_model_object(m, required[i]);
        assert_non_null(o);
        assert_int_equal(o->id, required[i]);
    }
    /* Not in the registry (3307, 3309), or outside the chosen set. */
    assert_null(lwm2m_model_object(m, 3307));
    assert_null(lwm2m_model_object(m, 3309));
    assert_null(lwm2m_model_object(m, 8));
    assert_null(lwm2m_model_object(m, 3351));
    assert_null(lwm2m_model_object(m, 65535));
    lwm2m_model_free(m);
}

static void test_device_object(void **state)
{
    (void)state;
    lwm2m_model_t *m = lwm2m_model_new_builtin();
    const lwm2m_object_def_t *o = lwm2m_model_object(m, 3);
    assert_non_null(o);
    assert_string_equal(o->name, "Device");
    assert_string_equal(o->version, "1.2");
    assert_string_equal(o->urn, "urn:oma:lwm2m:oma:3:1.2");
    assert_false(o->multiple);
    assert_true(o->mandatory);

    const lwm2m_resource_def_t *r = lwm2m_model_resource(m, 3, 0);
    assert_non_null(r);
    assert_string_equal(r->name, "Manufacturer");
    assert_int_equal(r->type, LWM2M_TYPE_STRING);
    assert_int_equal(r->operations, LWM2M_OP_READ);
    assert_false(r->multiple);
    assert_false(r->mandatory);

    r = lwm2m_model_resource(m, 3, 4);
    assert_non_null(r);
    assert_string_equal(r->name, "Reboot");
    assert_int_equal(r->operations, LWM2M_OP_EXECUTE);
    assert_int_equal(r->type, LWM2M_TYPE_NONE);
    assert_true(r->mandatory);

    r = lwm2m_model_resource(m, 3, 11);
    assert_non_null(r);
    assert_string_equal(r->name, "Error Code");
    assert_int_equal(r->type, LWM2M_TYPE_INTEGER);
    assert_true(r->multiple);
    assert_true(r->mandatory);
    assert_string_equal(r->range, "0..32");

    r = lwm2m_model_resource(m, 3, 9);
    assert_string_equal(r->units, "/100");
    r = lwm2m_model_resource(m, 3, 13);
    assert_int_equal(r->type, LWM2M_TYPE_TIME);
    assert_int_equal(r->operations, LWM2M_OP_READ | LWM2M_OP_WRITE);
    r = lwm2m_model_resource(m, 3, 22);
    assert_int_equal(r->type, LWM2M_TYPE_OBJLNK);
    lwm2m_model_free(m);
}

static void test_other_builtin_facts(void **state)
{
    (void)state;
    lwm2m_model_t *m = lwm2m_model_new_builtin();
    const lwm2m_resource_def_t *r = lwm2m_model_resource(m, 5, 0);
    assert_non_null(r);
    assert_string_equal(r->name, "Package");
    assert_int_equal(r->type, LWM2M_TYPE_OPAQUE);
    assert_int_equal(r->operations, LWM2M_OP_WRITE);

    /* The registry gives Sensor Value no unit (since IPSO 1.1 it is resource 5701). */
    r = lwm2m_model_resource(m, 3303, 5700);
    assert_non_null(r);
    assert_string_equal(r->name, "Sensor Value");
    assert_int_equal(r->type, LWM2M_TYPE_FLOAT);
    assert_int_equal(r->operations, LWM2M_OP_READ);
    assert_string_equal(r->units, "");
    r = lwm2m_model_resource(m, 3303, 6050);
    assert_string_equal(r->units, "s");
    assert_string_equal(r->range, "0..1");
    r = lwm2m_model_resource(m, 3411, 3);
    assert_string_equal(r->name, "Battery voltage");
    assert_string_equal(r->units, "V");
    assert_string_equal(lwm2m_model_object(m, 3303)->name, "Temperature");
    assert_true(lwm2m_model_object(m, 3303)->multiple);

    /* Security resources have no operations (bootstrap-only). */
    r = lwm2m_model_resource(m, 0, 0);
    assert_int_equal(r->operations, 0);
    r = lwm2m_model_resource(m, 1, 1);
    assert_string_equal(r->units, "s");
    r = lwm2m_model_resource(m, 0, 13);
    assert_int_equal(r->type, LWM2M_TYPE_UNSIGNED);
    lwm2m_model_free(m);
}

static void test_lookups(void **state)
{
    (void)state;
    lwm2m_model_t *m = lwm2m_model_new_builtin();
    assert_null(lwm2m_model_resource(m, 3, 23));
    assert_null(lwm2m_model_resource(m, 3, 65535));
    assert_null(lwm2m_model_resource(m, 4242, 0));
    assert_null(lwm2m_model_object(NULL, 3));
    assert_null(lwm2m_model_resource(NULL, 3, 0));
    assert_int_equal(lwm2m_model_count(NULL), 0);
    /* First and last resources of an object are found (binary search bounds). */
    const lwm2m_object_def_t *o = lwm2m_model_object(m, 3);
    assert_ptr_equal(lwm2m_model_resource(m, 3, o->resources[0].id), &o->resources[0]);
    assert_ptr_equal(lwm2m_model_resource(m, 3, o->resources[o->resource_count - 1].id),
                     &o->resources[o->resource_count - 1]);
    /* First and last objects. */
    assert_ptr_equal(lwm2m_model_object(m, lwm2m_builtin_objects[0]->id), lwm2m_builtin_objects[0]);
    const lwm2m_object_def_t *last = lwm2m_builtin_objects[lwm2m_builtin_object_count - 1];
    assert_ptr_equal(lwm2m_model_object(m, last->id), last);
    lwm2m_model_free(m);
}

static void test_model_type(void **state)
{
    (void)state;
    lwm2m_model_t *m = lwm2m_model_new_builtin();
    lwm2m_path_t p = lwm2m_path_make(3, 3303, 0, 5700, 0);
    assert_int_equal(lwm2m_model_type(m, &p), LWM2M_TYPE_FLOAT);
    p = lwm2m_path_make(4, 3, 0, 11, 2);
    assert_int_equal(lwm2m_model_type(m, &p), LWM2M_TYPE_INTEGER);
    p = lwm2m_path_make(3, 3, 7, 4, 0); /* any instance */
    assert_int_equal(lwm2m_model_type(m, &p), LWM2M_TYPE_NONE);
    p = lwm2m_path_make(2, 3, 0, 0, 0);
    assert_int_equal(lwm2m_model_type(m, &p), LWM2M_TYPE_UNKNOWN);
    p = lwm2m_path_make(3, 4242, 0, 0, 0);
    assert_int_equal(lwm2m_model_type(m, &p), LWM2M_TYPE_UNKNOWN);
    p = lwm2m_path_make(3, 3, 0, 999, 0);
    assert_int_equal(lwm2m_model_type(m, &p), LWM2M_TYPE_UNKNOWN);
    assert_int_equal(lwm2m_model_type(m, NULL), LWM2M_TYPE_UNKNOWN);
    assert_int_equal(lwm2m_model_type(NULL, &p), LWM2M_TYPE_UNKNOWN);
    lwm2m_model_free(m);
}

static void test_is_multiple(void **state)
{
    (void)state;
    lwm2m_model_t *m = lwm2m_model_new_builtin();
    assert_int_equal(lwm2m_model_is_multiple(m, 3, 11), 1);
    assert_int_equal(lwm2m_model_is_multiple(m, 3, 0), 0);
    assert_int_equal(lwm2m_model_is_multiple(m, 3, 999), LWM2M_ERR_NOT_FOUND);
    assert_int_equal(lwm2m_model_is_multiple(m, 4242, 0), LWM2M_ERR_NOT_FOUND);
    assert_int_equal(lwm2m_model_is_multiple(NULL, 3, 0), LWM2M_ERR_NOT_FOUND);
    lwm2m_model_free(m);
}

/* A heap object with one resource, as the DDF loader builds them. */
static lwm2m_object_def_t *make_object(uint16_t id, const char *name, lwm2m_type_t type)
{
    lwm2m_object_def_t *o = calloc(1, sizeof(*o));
    lwm2m_resource_def_t *r = calloc(1, sizeof(*r));
    assert_non_null(o);
    assert_non_null(r);
    *r = (lwm2m_resource_def_t){.id = 0,
                                .name = strdup("Only"),
                                .type = type,
                                .operations = LWM2M_OP_READ,
                                .units = strdup(""),
                                .range = strdup("")};
    *o = (lwm2m_object_def_t){.id = id,
                              .name = strdup(name),
                              .version = strdup("1.0"),
                              .urn = strdup(""),
                              .resources = r,
                              .resource_count = 1};
    return o;
}

static const lwm2m_resource_def_t static_resources[] = {
    {0, "Static", LWM2M_TYPE_BOOLEAN, LWM2M_OP_READ, true, false, "", ""},
};
static const lwm2m_object_def_t static_device = {
    .id = 3,
    .name = "My Device",
    .version = "9.9",
    .urn = "",
    .resources = static_resources,
    .resource_count = 1,
};

static void test_replace_by_id(void **state)
{
    (void)state;
    lwm2m_model_t *m = lwm2m_model_new_builtin();
    size_t count = lwm2m_model_count(m);

    /* owned replaces builtin */
    assert_int_equal(lwm2m_model_add_owned(m, make_object(3, "Heap Device", LWM2M_TYPE_TIME)), 0);
    assert_int_equal(lwm2m_model_count(m), count);
    assert_string_equal(lwm2m_model_object(m, 3)->name, "Heap Device");
    lwm2m_path_t p = lwm2m_path_make(3, 3, 0, 0, 0);
    assert_int_equal(lwm2m_model_type(m, &p), LWM2M_TYPE_TIME);
    assert_null(lwm2m_model_resource(m, 3, 11));
    assert_int_equal(lwm2m_model_is_multiple(m, 3, 11), LWM2M_ERR_NOT_FOUND);

    /* owned replaces owned (the first is freed: ASan/LSan would tell) */
    assert_int_equal(lwm2m_model_add_owned(m, make_object(3, "Heap 2", LWM2M_TYPE_STRING)), 0);
    assert_string_equal(lwm2m_model_object(m, 3)->name, "Heap 2");

    /* re-adding the definition the model already owns keeps it alive */
    lwm2m_object_def_t *same = (lwm2m_object_def_t *)lwm2m_model_object(m, 3);
    assert_int_equal(lwm2m_model_add_owned(m, same), 0);
    assert_string_equal(lwm2m_model_object(m, 3)->name, "Heap 2");

    /* static replaces owned */
    assert_int_equal(lwm2m_model_add_static(m, &static_device), 0);
    assert_ptr_equal(lwm2m_model_object(m, 3), &static_device);
    assert_int_equal(lwm2m_model_is_multiple(m, 3, 0), 1);
    assert_int_equal(lwm2m_model_count(m), count);

    /* the other objects are untouched */
    assert_string_equal(lwm2m_model_resource(m, 5, 0)->name, "Package");
    lwm2m_model_free(m);
}

static void test_insert_order(void **state)
{
    (void)state;
    lwm2m_model_t *m = lwm2m_model_new();
    assert_non_null(m);
    assert_int_equal(lwm2m_model_count(m), 0);
    assert_null(lwm2m_model_object(m, 3));
    static const uint16_t ids[] = {500, 3, 65535, 0, 40000, 7, 4};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
        assert_int_equal(lwm2m_model_add_owned(m, make_object(ids[i], "x", LWM2M_TYPE_FLOAT)), 0);
    assert_int_equal(lwm2m_model_count(m), sizeof(ids) / sizeof(ids[0]));
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
        assert_int_equal(lwm2m_model_object(m, ids[i])->id, ids[i]);
    assert_null(lwm2m_model_object(m, 5));
    /* grow past the initial capacity */
    for (uint16_t id = 1000; id < 1200; id++)
        assert_int_equal(lwm2m_model_add_owned(m, make_object(id, "y", LWM2M_TYPE_OPAQUE)), 0);
    assert_int_equal(lwm2m_model_count(m), sizeof(ids) / sizeof(ids[0]) + 200);
    assert_int_equal(lwm2m_model_object(m, 1199)->id, 1199);
    assert_int_equal(lwm2m_model_object(m, 65535)->id, 65535);
    lwm2m_model_free(m);
}

static void test_null_arguments(void **state)
{
    (void)state;
    lwm2m_model_free(NULL);
    lwm2m_object_def_free(NULL);
    assert_true(lwm2m_model_add_static(NULL, &static_device) < 0);
    assert_true(lwm2m_model_add_owned(NULL, make_object(1, "freed", LWM2M_TYPE_STRING)) < 0);
    lwm2m_model_t *m = lwm2m_model_new();
    assert_true(lwm2m_model_add_static(m, NULL) < 0);
    assert_true(lwm2m_model_add_owned(m, NULL) < 0);
    assert_int_equal(lwm2m_model_count(m), 0);
    lwm2m_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_table_shape),
        cmocka_unit_test(test_builtin_objects_present),
        cmocka_unit_test(test_device_object),
        cmocka_unit_test(test_other_builtin_facts),
        cmocka_unit_test(test_lookups),
        cmocka_unit_test(test_model_type),
        cmocka_unit_test(test_is_multiple),
        cmocka_unit_test(test_replace_by_id),
        cmocka_unit_test(test_insert_order),
        cmocka_unit_test(test_null_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
