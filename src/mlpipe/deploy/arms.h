// The two arms of a rollout inside a deployment's config: the variant that
// follows the model's `champion` alias (named "champion" when the controller
// adds it) and the variant "candidate" pinned to the candidate's version.
// Moving traffic is rewriting their weights; other variants keep theirs.
// In a shadow phase the candidate is the deployment's shadow (named
// "candidate" too): it gets a copy of every request and answers none.
#pragma once

#include <cstdint>
#include <string>

#include "mlpipe/serving/deployment.h"

namespace mlpipe::deploy {

inline constexpr const char* kChampionArm = "champion";
inline constexpr const char* kCandidateArm = "candidate";

// A deployment serving MODEL@champion alone.
serving::DeploymentConfig DefaultDeployment(const std::string& name, const std::string& model);

// The name of the variant that follows MODEL@champion; "" if none.
std::string ChampionArm(const serving::DeploymentConfig& config);

// Sets the candidate arm to MODEL:vVERSION with `percent` of the two arms'
// traffic and the champion arm to the rest (adding either arm when
// missing). With version 0 the candidate arm is removed. Either way a
// candidate shadow (SetShadowArm) is removed.
void SetArms(serving::DeploymentConfig* config, int64_t candidate_version, double percent);

// The shadow phase: the candidate MODEL:vVERSION becomes the shadow (taking
// the place of any other shadow), the candidate arm is removed and the
// champion arm gets all the arms' traffic (added when missing).
void SetShadowArm(serving::DeploymentConfig* config, int64_t candidate_version);

}  // namespace mlpipe::deploy
