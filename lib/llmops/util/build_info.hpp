#pragma once
// Facts about this build, generated at build time (cmake/build_info.cmake).

namespace llmops::util {

// The llmops version, e.g. "0.1.0".
const char* version();

// The short git commit the binary was built from, "-dirty" when the tree had changes, or
// "unknown" outside a git checkout.
const char* git_commit();

} // namespace llmops::util
