// Text assertions: equals, contains, icontains, contains-any, contains-all, icontains-any,
// icontains-all, starts-with, regex. Comparisons are exact and byte for byte, as promptfoo's are
// (no trimming: a trailing newline is part of an output); the i- forms fold case with
// fold_case().

#include <llmops/eval/assertions/checks.hpp>

#include <fmt/format.h>

#include <llmops/eval/assertions/common.hpp>
#include <llmops/eval/assertions/regex.hpp>

namespace llmops::eval::detail {

namespace {

bool is_text_scalar(const nlohmann::json& value) {
    return (value.is_string() && !value.get<std::string>().empty()) || value.is_number();
}

// The strings of a list value: a list of strings and numbers, or promptfoo's comma-separated
// string.
std::vector<std::string> list_items(const nlohmann::json& value) {
    if (value.is_string())
        return comma_separated(value.get<std::string>());
    std::vector<std::string> items;
    for (const auto& item : value)
        items.push_back(value_text(item));
    return items;
}

// "'a', 'b', 'c'", at most 10 items.
std::string quote_list(const std::vector<std::string>& items) {
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
        if (i == 10) {
            out += fmt::format(" and {} more", items.size() - 10);
            break;
        }
        out += (i > 0 ? ", " : "") + quote(items[i], 60);
    }
    return out;
}

Verdict contains_check(std::string_view output, const std::string& needle, bool ignore_case) {
    const bool found = ignore_case ? fold_case(output).find(fold_case(needle)) != std::string::npos
                                   : output.find(needle) != std::string_view::npos;
    const char* suffix = ignore_case ? " (ignoring case)" : "";
    return verdict(found, fmt::format("output {} {}{}", found ? "contains" : "does not contain",
                                      quote(needle), suffix));
}

Verdict any_check(std::string_view output, const std::vector<std::string>& items,
                  bool ignore_case) {
    const std::string haystack = ignore_case ? fold_case(output) : std::string(output);
    for (const auto& item : items) {
        if (haystack.find(ignore_case ? fold_case(item) : item) != std::string::npos)
            return verdict(true, fmt::format("output contains {}{}", quote(item),
                                             ignore_case ? " (ignoring case)" : ""));
    }
    return verdict(false, fmt::format("output contains none of {}{}", quote_list(items),
                                      ignore_case ? " (ignoring case)" : ""));
}

Verdict all_check(std::string_view output, const std::vector<std::string>& items,
                  bool ignore_case) {
    const std::string haystack = ignore_case ? fold_case(output) : std::string(output);
    std::vector<std::string> missing;
    for (const auto& item : items) {
        if (haystack.find(ignore_case ? fold_case(item) : item) == std::string::npos)
            missing.push_back(item);
    }
    const char* suffix = ignore_case ? " (ignoring case)" : "";
    if (missing.empty())
        return verdict(true, fmt::format("output contains all of {}{}", quote_list(items), suffix));
    return verdict(false, fmt::format("output does not contain {}{}", quote_list(missing), suffix));
}

} // namespace

std::string needs_string_value(const AssertionSpec& spec) {
    return fmt::format("'{}' needs a string 'value'", written_type(spec));
}

Expected<void> validate_equals(AssertionSpec& spec, const std::filesystem::path&) {
    if (spec.value.is_null())
        return fail(ErrorCode::invalid_input, "'{}' needs a 'value'", written_type(spec));
    return {};
}

Expected<void> validate_substring(AssertionSpec& spec, const std::filesystem::path&) {
    if (!is_text_scalar(spec.value))
        return fail(ErrorCode::invalid_input, "{}", needs_string_value(spec));
    return {};
}

Expected<void> validate_substring_list(AssertionSpec& spec, const std::filesystem::path&) {
    bool valid = spec.value.is_string() && !comma_separated(spec.value.get<std::string>()).empty();
    if (spec.value.is_array() && !spec.value.empty()) {
        valid = true;
        for (const auto& item : spec.value)
            valid = valid && is_text_scalar(item);
    }
    if (!valid) {
        return fail(ErrorCode::invalid_input,
                    "'{}' needs a 'value': a list of strings or a comma-separated string",
                    written_type(spec));
    }
    return {};
}

Expected<void> validate_regex(AssertionSpec& spec, const std::filesystem::path&) {
    if (!spec.value.is_string() || spec.value.get<std::string>().empty())
        return fail(ErrorCode::invalid_input, "{}", needs_string_value(spec));
    const auto pattern = spec.value.get<std::string>();
    // A pattern with {{variables}} is only complete once rendered: it is compiled at run time.
    if (pattern.find("{{") != std::string::npos)
        return {};
    if (const auto& compiled = Regex::compile_cached(pattern); !compiled) {
        return fail(ErrorCode::invalid_input, "'{}' value {} is not a valid regular expression: {}",
                    written_type(spec), quote(pattern), compiled.error().message());
    }
    return {};
}

Verdict check_equals(const AssertionSpec&, const nlohmann::json& value,
                     const AssertionContext& context) {
    if (value.is_object() || value.is_array()) {
        // promptfoo compares a structured value with the output parsed as JSON.
        const auto parsed = nlohmann::json::parse(context.output, nullptr, false);
        const bool equal = !parsed.is_discarded() && parsed == value;
        if (equal)
            return verdict(true, "output is JSON equal to " + quote(dump_json(value)));
        return verdict(false, fmt::format("output {} is not JSON equal to {}",
                                          quote(context.output), quote(dump_json(value))));
    }
    const std::string expected = value_text(value);
    if (context.output == expected)
        return verdict(true, "output equals " + quote(expected));
    return verdict(
        false, fmt::format("output {} does not equal {}", quote(context.output), quote(expected)));
}

Verdict check_contains(const AssertionSpec&, const nlohmann::json& value,
                       const AssertionContext& context) {
    return contains_check(context.output, value_text(value), false);
}

Verdict check_icontains(const AssertionSpec&, const nlohmann::json& value,
                        const AssertionContext& context) {
    return contains_check(context.output, value_text(value), true);
}

Verdict check_contains_any(const AssertionSpec&, const nlohmann::json& value,
                           const AssertionContext& context) {
    return any_check(context.output, list_items(value), false);
}

Verdict check_contains_all(const AssertionSpec&, const nlohmann::json& value,
                           const AssertionContext& context) {
    return all_check(context.output, list_items(value), false);
}

Verdict check_icontains_any(const AssertionSpec&, const nlohmann::json& value,
                            const AssertionContext& context) {
    return any_check(context.output, list_items(value), true);
}

Verdict check_icontains_all(const AssertionSpec&, const nlohmann::json& value,
                            const AssertionContext& context) {
    return all_check(context.output, list_items(value), true);
}

Verdict check_starts_with(const AssertionSpec&, const nlohmann::json& value,
                          const AssertionContext& context) {
    const std::string prefix = value_text(value);
    if (context.output.starts_with(prefix))
        return verdict(true, "output starts with " + quote(prefix));
    return verdict(false, fmt::format("output {} does not start with {}", quote(context.output, 60),
                                      quote(prefix)));
}

Verdict check_regex(const AssertionSpec&, const nlohmann::json& value,
                    const AssertionContext& context) {
    const std::string pattern = value_text(value);
    const auto& regex = Regex::compile_cached(pattern);
    if (!regex) {
        return error_verdict(fmt::format("{} is not a valid regular expression: {}", quote(pattern),
                                         regex.error().message()));
    }
    const bool found = regex->search(context.output);
    return verdict(
        found, fmt::format("output {} {}", found ? "matches" : "does not match", quote(pattern)));
}

} // namespace llmops::eval::detail
