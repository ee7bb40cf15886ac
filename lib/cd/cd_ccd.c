/* SPDX-License-Identifier: MIT */
#include "cd/cd_disc.h"
