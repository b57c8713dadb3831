#include <llmops/eval/transform.hpp>

#include <llmops/eval/assertion.hpp>
#include <llmops/eval/assertions/checks.hpp>
#include <llmops/eval/node_worker.hpp>
#include <llmops/util/strings.hpp>

namespace llmops::eval {

using nlohmann::json;

Expected<void> validate_transform(const json& value, std::string_view where,
                                  const std::filesystem::path& base_dir) {
    if (!value.is_string() || util::trim(value.get<std::string>()).empty()) {
        return fail(ErrorCode::invalid_input,
                    "{}: 'transform' must be JavaScript code or 'file://transform.js'", where);
    }
    if (auto node = require_node(k_transform_node_missing); !node) {
        return fail(node.error(), "{}", where);
    }
    if (auto file = detail::check_js_file(value, "transform", base_dir); !file) {
        return fail(file.error(), "{}", where);
    }
    return {};
}

Expected<TransformedOutput> run_transform(const std::string& code, const json& arguments,
                                          const AssertionContext& context) {
    json request = {{"op", "transform"},
                    {"output", std::string(context.output)},
                    {"output_json", context.output_json},
                    {"context", arguments}};
    detail::add_script(request, json(code), context.base_dir);
    auto result = LLMOPS_TRY(detail::run_in_node(request, context));
    const auto text = result.find("text");
    if (text == result.end() || !text->is_string()) {
        return fail(ErrorCode::io, "node answered nonsense to a transform");
    }
    return TransformedOutput{text->get<std::string>(), result.value("json", false)};
}

} // namespace llmops::eval
