// Unicode NFKC with case folding (utf8proc) and white space folded to single
// spaces: the form in which text is matched and fingerprinted.
#pragma once

#include <string>
#include <string_view>

namespace pushback::scoring {

// Invalid UTF-8 bytes are dropped; every run of white space (including line
// breaks and Unicode spaces) becomes one ASCII space; leading and trailing
// space is trimmed.
std::string fold_text(std::string_view text);

}  // namespace pushback::scoring
