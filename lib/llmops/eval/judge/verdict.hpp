#pragma once
// Reading a judge's verdict (SPEC §9): judges are asked for JSON ({"pass", "score", "reason"}),
// but models wrap it in prose, code fences or reasoning ("<think>...</think>"). The verdict is
// found robustly; a reply with no usable verdict is an error for that case, never a pass.

#include <optional>
#include <string>
#include <string_view>

#include <llmops/util/error.hpp>

namespace llmops::eval::judge {

struct Verdict {
    std::optional<bool> pass;    // "pass": true/false (also "yes"/"no", "pass"/"fail" strings)
    std::optional<double> score; // "score" as written (a number or a numeric string); the caller
                                 // knows the scale (0-1, 1-5, ...)
    std::string reason;          // "reason" (or "reasoning", "explanation"), may be empty
    std::string category; // "category"/"choice"/"answer" when the judge picks one (factuality's
                          // A-E, select-best's index), else empty
};

// Finds the verdict in `reply`: reasoning blocks (<think>, <thinking>, <reasoning>) are dropped;
// then JSON objects are tried from a ```json fence first, then every balanced {...} of the text
// from the last to the first; the first object holding "pass", "score" or "category" (or its
// synonyms) wins. Fails with `provider` and a message quoting at most 120 characters of the
// reply: "judge reply has no JSON verdict: 'I think it is fine'", "judge verdict: 'score' is not
// a number: 'high'".
Expected<Verdict> parse_verdict(std::string_view reply);

} // namespace llmops::eval::judge
