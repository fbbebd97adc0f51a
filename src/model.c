/* placeholder: replaced by the engine work in progress */
#include "common.h"
typedef int sw_placeholder_model;
