// Which environment variables hold secrets, so that a job script or a
// request written where others may read it (Slurm's stored job scripts, an
// S3 bucket) names them without their values, and the process that runs
// the step takes the values from its own environment.
#pragma once

#include <string_view>

namespace mlpipe {

// A name with SECRET, TOKEN, PASSWORD, PASSWD or CREDENTIAL in it (any
// case), one ending in _KEY, or AWS_ACCESS_KEY_ID.
bool IsSecretVariable(std::string_view name);

}  // namespace mlpipe
