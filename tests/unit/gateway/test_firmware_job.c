/* test_firmware_job.c - the firmware job state machine: the normal paths of push and pull,
 * retries, failures with the device's Update Result, stale values from an earlier update,
 * timeouts and cancellation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "firmware_job.h"

static fw_machine_t started(bool execute, int retries)
{
    fw_machine_t m;
    fw_machine_init(&m, execute, retries);
    assert_int_equal(m.phase, FW_QUEUED);
    assert_int_equal(fw_machine_start(&m), FW_ACT_DELIVER);
    assert_int_equal(m.phase, FW_DELIVERING);
    fw_machine_sent(&m);
    return m;
}

static void test_push_success(void **state)
{
    (void)state;
    fw_machine_t m = started(true, 3);
    /* The device shows Downloaded before the Write's 2.04 arrives. */
    assert_int_equal(fw_machine_device(&m, 2, -1), FW_ACT_EXECUTE);
    assert_int_equal(m.phase, FW_DOWNLOADED);
    assert_int_equal(fw_machine_delivered(&m, FW_OK, 204), FW_ACT_NONE);
    assert_int_equal(m.phase, FW_DOWNLOADED);
    assert_int_equal(fw_machine_device(&m, 2, -1), FW_ACT_NONE); /* no second Execute */
    assert_int_equal(fw_machine_device(&m, 3, -1), FW_ACT_NONE);
    assert_int_equal(m.phase, FW_UPDATING);
    assert_int_equal(fw_machine_executed(&m, FW_OK, 204), FW_ACT_NONE);
    assert_int_equal(fw_machine_device(&m, 0, -1), FW_ACT_NONE);
    assert_int_equal(fw_machine_device(&m, -1, 1), FW_ACT_FINISH);
    assert_int_equal(m.phase, FW_SUCCESS);
    assert_int_equal(m.result, 1);
    assert_true(fw_phase_final(m.phase));
}

static void test_pull_without_execute(void **state)
{
    (void)state;
    fw_machine_t m = started(false, 0);
    assert_int_equal(fw_machine_delivered(&m, FW_OK, 204), FW_ACT_NONE);
    assert_int_equal(m.phase, FW_DOWNLOADING);
    assert_true(fw_phase_transfers(m.phase));
    assert_int_equal(fw_machine_device(&m, 1, 0), FW_ACT_NONE);
    assert_int_equal(fw_machine_device(&m, 2, -1), FW_ACT_FINISH);
    assert_int_equal(m.phase, FW_SUCCESS);
}

static void test_stale_values_ignored(void **state)
{
    (void)state;
    fw_machine_t m;
    fw_machine_init(&m, true, 1);
    assert_int_equal(fw_machine_device(&m, 2, 8), FW_ACT_NONE); /* queued: nothing */
    fw_machine_start(&m);
    /* Before the delivery goes out, the device still shows its previous update. */
    assert_int_equal(fw_machine_device(&m, 2, -1), FW_ACT_NONE);
    assert_int_equal(fw_machine_device(&m, -1, 8), FW_ACT_NONE);
    assert_int_equal(m.phase, FW_DELIVERING);
    fw_machine_sent(&m);
    /* Sent, not acknowledged: an old failure result does not end the job. */
    assert_int_equal(fw_machine_device(&m, -1, 8), FW_ACT_NONE);
    assert_int_equal(fw_machine_delivered(&m, FW_OK, 204), FW_ACT_NONE);
    assert_int_equal(fw_machine_device(&m, -1, 1), FW_ACT_NONE); /* success needs Updating */
}

static void test_failure_result(void **state)
{
    (void)state;
    fw_machine_t m = started(true, 0);
    fw_machine_delivered(&m, FW_OK, 204);
    assert_int_equal(fw_machine_device(&m, 2, -1), FW_ACT_EXECUTE);
    fw_machine_executed(&m, FW_OK, 204);
    assert_int_equal(fw_machine_device(&m, 2, -1), FW_ACT_NONE);
    assert_int_equal(fw_machine_device(&m, -1, 8), FW_ACT_FINISH);
    assert_int_equal(m.phase, FW_FAILURE);
    assert_int_equal(m.result, 8);
    assert_non_null(strstr(m.error, "Update Result 8"));
    /* During the download: e.g. 5, integrity check failure. */
    m = started(true, 0);
    fw_machine_delivered(&m, FW_OK, 204);
    assert_int_equal(fw_machine_device(&m, 0, 5), FW_ACT_FINISH);
    assert_int_equal(m.result, 5);
}

static void test_retries(void **state)
{
    (void)state;
    fw_machine_t m = started(true, 2);
    assert_int_equal(fw_machine_delivered(&m, FW_TRANSIENT, 0), FW_ACT_DELIVER);
    assert_false(m.sent);
    fw_machine_sent(&m);
    assert_int_equal(fw_machine_delivered(&m, FW_TRANSIENT, 0), FW_ACT_DELIVER);
    fw_machine_sent(&m);
    assert_int_equal(fw_machine_delivered(&m, FW_TRANSIENT, 0), FW_ACT_FINISH);
    assert_int_equal(m.phase, FW_FAILURE);
    assert_int_equal(m.retries, 2);
    assert_non_null(strstr(m.error, "retry"));
    /* An error code is not retried. */
    m = started(true, 5);
    assert_int_equal(fw_machine_delivered(&m, FW_REFUSED, 413), FW_ACT_FINISH);
    assert_non_null(strstr(m.error, "4.13"));
    /* Execute: a timeout is retried, a refusal ends the job. */
    m = started(true, 1);
    fw_machine_delivered(&m, FW_OK, 204);
    fw_machine_device(&m, 2, -1);
    assert_int_equal(fw_machine_executed(&m, FW_TRANSIENT, 0), FW_ACT_EXECUTE);
    assert_int_equal(fw_machine_executed(&m, FW_REFUSED, 405), FW_ACT_FINISH);
    assert_non_null(strstr(m.error, "4.05"));
}

static void test_timeout_and_cancel(void **state)
{
    (void)state;
    fw_machine_t m = started(true, 0);
    fw_machine_delivered(&m, FW_OK, 204);
    assert_int_equal(fw_machine_timeout(&m), FW_ACT_FINISH);
    assert_int_equal(m.phase, FW_FAILURE);
    assert_non_null(strstr(m.error, "downloading"));
    assert_int_equal(fw_machine_timeout(&m), FW_ACT_NONE);
    assert_int_equal(fw_machine_cancel(&m), FW_ACT_NONE);
    m = started(false, 0);
    assert_int_equal(fw_machine_cancel(&m), FW_ACT_FINISH);
    assert_int_equal(m.phase, FW_CANCELLED);
    assert_int_equal(fw_machine_device(&m, 2, -1), FW_ACT_NONE);
}

static void test_phase_names(void **state)
{
    (void)state;
    for (int p = FW_QUEUED; p <= FW_CANCELLED; p++) {
        fw_phase_t back;
        assert_int_equal(fw_phase_from_name(fw_phase_name((fw_phase_t)p), &back), 0);
        assert_int_equal(back, p);
    }
    fw_phase_t x;
    assert_int_equal(fw_phase_from_name("bogus", &x), -1);
    assert_string_equal(fw_phase_name((fw_phase_t)99), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_push_success),
        cmocka_unit_test(test_pull_without_execute),
        cmocka_unit_test(test_stale_values_ignored),
        cmocka_unit_test(test_failure_result),
        cmocka_unit_test(test_retries),
        cmocka_unit_test(test_timeout_and_cancel),
        cmocka_unit_test(test_phase_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
