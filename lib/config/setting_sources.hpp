#pragma once
// Where each setting's value came from (include/tessera/settings.hpp): the
// layer that resolves a setting notes its source here; `tessera info` and
// effective_settings() read it. In the lowest layer, so that all can note.
#include <string>
#include <string_view>

namespace tessera::config {

void note_source(std::string_view setting, std::string source);
/// The source noted for `setting`, or `otherwise`.
std::string source_of(std::string_view setting, std::string_view otherwise);

/// A positive whole number from Slurm's variable `name`, or 0 when unset or not one.
unsigned long long slurm_number(const char* name);

}  // namespace tessera::config
