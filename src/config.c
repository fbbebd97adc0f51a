/* placeholder: the config schema implementation lands here */
#include "config.h"
typedef int sw_placeholder_config;
