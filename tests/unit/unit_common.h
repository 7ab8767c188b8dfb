/* unit_common.h - helpers the cmocka unit tests share. Include after <cmocka.h>. */
#ifndef LMG_UNIT_COMMON_H
#define LMG_UNIT_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Hex digits (spaces between bytes allowed) into out; returns the byte count. */
static inline size_t unhex(const char *hex, uint8_t *out)
{
    size_t n = 0;
    for (; *hex; hex++) {
        unsigned v;
        if (*hex == ' ')
            continue;
        assert_int_equal(sscanf(hex++, "%2x", &v), 1);
        assert_true(*hex != '\0');
        out[n++] = (uint8_t)v;
    }
    return n;
}

#endif
