/* ddf.c - placeholder for the OMA DDF XML loader. */
#include "lwm2m/model.h"
#include "lwm2m/ddf.h"

int lwm2m_ddf_load_dir(lwm2m_model_t *model, const char *dir, lwm2m_ddf_error_fn on_error,
                       void *ctx)
{
    (void)model, (void)dir, (void)on_error, (void)ctx;
    return 0;
}
