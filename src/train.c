/* placeholder until the engine lands: lets the rest of the tree link. */
#include <stdlib.h>
#include <string.h>
#include "train.h"
const char *sw_run_status_name(sw_run_status s) { static const char *n[] = {"done", "diverged", "failed"}; return (unsigned)s < SW_RUN_STATUS_COUNT ? n[s] : "unknown"; }
int sw_train_run(const sw_config *cfg, const sw_train_hooks *hooks, sw_run_result *r) { (void)cfg; (void)hooks; memset(r, 0, sizeof *r); r->status = SW_RUN_FAILED; strcpy(r->error, "engine not built yet"); return SW_EINVAL; }
void sw_run_result_free(sw_run_result *r) { if (r) memset(r, 0, sizeof *r); }
