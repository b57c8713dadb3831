// JSON assertions: is-json and contains-json, each optionally against a JSON Schema.
//
// Debian 12 ships no JSON Schema validator for nlohmann::json (valijson would pull about 100 MB
// of dependencies), so this file validates the common subset of draft 2020-12 itself: type,
// properties, required, additionalProperties, items (one schema), enum, const, minimum, maximum,
// exclusiveMinimum, exclusiveMaximum, multipleOf, minLength, maxLength, pattern, minItems,
// maxItems, uniqueItems, minProperties, maxProperties, anyOf, oneOf, allOf, not, and local $ref
// ("#/$defs/x") with $defs/definitions; annotations ($schema, $id, $comment, title,
// description, default, examples, deprecated, readOnly, writeOnly) are accepted and ignored.
// Every other keyword (format, patternProperties, if/then/else, nullable, ...) is refused when
// the suite is read, so a schema never silently checks less than its author thinks.

#include <llmops/eval/assertions/checks.hpp>

#include <cmath>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include <llmops/eval/assertions/common.hpp>
#include <llmops/eval/assertions/regex.hpp>
#include <llmops/util/files.hpp>
#include <llmops/util/json.hpp>
#include <llmops/util/nesting.hpp>
#include <llmops/util/strings.hpp>
#include <llmops/util/yaml.hpp>

namespace llmops::eval::detail {

namespace {

using json = nlohmann::json;

// ---- checking a schema (when the suite is read) -------------------------------------------

const std::set<std::string, std::less<>>& annotation_keywords() {
    static const std::set<std::string, std::less<>> keywords{
        "$schema", "$id",      "$comment",   "title",    "description",
        "default", "examples", "deprecated", "readOnly", "writeOnly"};
    return keywords;
}

const std::set<std::string, std::less<>>& type_names() {
    static const std::set<std::string, std::less<>> names{"object",  "array",   "string", "number",
                                                          "integer", "boolean", "null"};
    return names;
}

bool is_count(const json& v) {
    return (v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0)) ||
           (v.is_number_float() && v.get<double>() >= 0 &&
            std::floor(v.get<double>()) == v.get<double>());
}

class SchemaChecker {
public:
    explicit SchemaChecker(const json& root) : m_root(root) {}

    Expected<void> check(const json& schema, const std::string& at, int depth = 0) {
        if (depth > 64)
            return fail(ErrorCode::invalid_input, "the schema is nested too deeply");
        if (schema.is_boolean())
            return {};
        if (!schema.is_object())
            return fail(ErrorCode::invalid_input, "the schema at '{}' is not a map or true/false",
                        at);
        for (const auto& [key, value] : schema.items()) {
            LLMOPS_TRY(check_keyword(key, value, at, depth));
        }
        return {};
    }

private:
    Expected<void> bad(const std::string& key, const std::string& at, std::string_view what) {
        return fail(ErrorCode::invalid_input, "'{}' at '{}' must be {}", key, at, what);
    }

    Expected<void> check_map_of_schemas(const std::string& key, const json& value,
                                        const std::string& at, int depth) {
        if (!value.is_object())
            return bad(key, at, "a map of schemas");
        for (const auto& [name, sub] : value.items()) {
            LLMOPS_TRY(check(sub, at + "/" + key + "/" + name, depth + 1));
        }
        return {};
    }

    Expected<void> check_list_of_schemas(const std::string& key, const json& value,
                                         const std::string& at, int depth) {
        if (!value.is_array() || value.empty())
            return bad(key, at, "a non-empty list of schemas");
        for (size_t i = 0; i < value.size(); ++i) {
            if (auto checked = check(value[i], fmt::format("{}/{}/{}", at, key, i), depth + 1);
                !checked)
                return checked;
        }
        return {};
    }

    Expected<void> check_type(const json& value, const std::string& at) {
        const auto known = [](const json& t) {
            return t.is_string() && type_names().contains(t.get<std::string>());
        };
        bool ok = known(value);
        if (value.is_array() && !value.empty()) {
            ok = true;
            for (const auto& t : value)
                ok = ok && known(t);
        }
        if (!ok) {
            return bad("type", at,
                       "one of object, array, string, number, integer, boolean, null "
                       "(or a list of them)");
        }
        return {};
    }

    Expected<void> check_ref(const json& value, const std::string& at) {
        if (!value.is_string())
            return bad("$ref", at, "a string");
        const auto ref = value.get<std::string>();
        if (!ref.starts_with("#"))
            return fail(ErrorCode::invalid_input,
                        "'$ref' at '{}' points outside the schema ('{}'): only local references "
                        "('#/$defs/name') are supported",
                        at, ref);
        try {
            const auto& target = m_root.at(json::json_pointer(ref.substr(1)));
            if (!target.is_object() && !target.is_boolean())
                return fail(ErrorCode::invalid_input, "'$ref' at '{}' ('{}') is not a schema", at,
                            ref);
        } catch (const json::exception&) {
            return fail(ErrorCode::invalid_input, "'$ref' at '{}' ('{}') points to nothing", at,
                        ref);
        }
        return {};
    }

    Expected<void> check_keyword(const std::string& key, const json& value, const std::string& at,
                                 int depth) {
        if (annotation_keywords().contains(key))
            return {};
        if (key == "type")
            return check_type(value, at);
        if (key == "properties" || key == "$defs" || key == "definitions")
            return check_map_of_schemas(key, value, at, depth);
        if (key == "additionalProperties" || key == "not")
            return check(value, at + "/" + key, depth + 1);
        if (key == "items") {
            if (value.is_array()) {
                return fail(ErrorCode::invalid_input,
                            "'items' at '{}' is a list (tuple validation), which is not supported",
                            at);
            }
            return check(value, at + "/items", depth + 1);
        }
        if (key == "anyOf" || key == "oneOf" || key == "allOf")
            return check_list_of_schemas(key, value, at, depth);
        if (key == "required") {
            bool ok = value.is_array();
            for (const auto& name : value)
                ok = ok && name.is_string();
            return ok ? Expected<void>{} : bad(key, at, "a list of strings");
        }
        if (key == "enum")
            return value.is_array() ? Expected<void>{} : bad(key, at, "a list");
        if (key == "const")
            return {};
        if (key == "minimum" || key == "maximum" || key == "exclusiveMinimum" ||
            key == "exclusiveMaximum")
            return value.is_number() ? Expected<void>{} : bad(key, at, "a number");
        if (key == "multipleOf") {
            return value.is_number() && value.get<double>() > 0 ? Expected<void>{}
                                                                : bad(key, at, "a number above 0");
        }
        if (key == "minLength" || key == "maxLength" || key == "minItems" || key == "maxItems" ||
            key == "minProperties" || key == "maxProperties")
            return is_count(value) ? Expected<void>{}
                                   : bad(key, at, "a whole number of at least 0");
        if (key == "uniqueItems")
            return value.is_boolean() ? Expected<void>{} : bad(key, at, "true or false");
        if (key == "pattern") {
            if (!value.is_string())
                return bad(key, at, "a string");
            if (auto regex = Regex::compile(value.get<std::string>()); !regex) {
                return fail(ErrorCode::invalid_input,
                            "'pattern' at '{}' is not a valid regular expression: {}", at,
                            regex.error().message());
            }
            return {};
        }
        if (key == "$ref")
            return check_ref(value, at);
        return fail(ErrorCode::invalid_input, "keyword '{}' at '{}' is not supported", key, at);
    }

    const json& m_root;
};

// ---- validating an instance (when the assertion runs) -------------------------------------

class InstanceValidator {
public:
    explicit InstanceValidator(const json& root) : m_root(root) {}

    // The first way `instance` breaks `schema`, as "at '/path': must ...", or nothing.
    std::optional<std::string> validate(const json& instance, const json& schema,
                                        const std::string& path, int depth = 0) {
        if (depth > 256)
            return at(path, "cannot be checked: the schema refers to itself without end");
        if (schema.is_boolean())
            return schema.get<bool>()
                       ? std::nullopt
                       : std::optional<std::string>(at(path, "must not exist (schema false)"));
        if (auto ref = schema.find("$ref"); ref != schema.end()) {
            const auto& target = m_root.at(json::json_pointer(ref->get<std::string>().substr(1)));
            if (auto error = validate(instance, target, path, depth + 1))
                return error;
        }
        if (auto error = validate_type(instance, schema, path))
            return error;
        if (auto error = validate_values(instance, schema, path))
            return error;
        if (instance.is_number())
            if (auto error = validate_number(instance.get<double>(), schema, path))
                return error;
        if (instance.is_string())
            if (auto error = validate_string(instance.get<std::string>(), schema, path))
                return error;
        if (instance.is_array())
            if (auto error = validate_array(instance, schema, path, depth))
                return error;
        if (instance.is_object())
            if (auto error = validate_object(instance, schema, path, depth))
                return error;
        return validate_combinators(instance, schema, path, depth);
    }

private:
    static std::string at(const std::string& path, std::string_view message) {
        return fmt::format("at '{}': {}", path.empty() ? "/" : path, message);
    }

    static bool has_type(const json& instance, const std::string& type) {
        if (type == "object")
            return instance.is_object();
        if (type == "array")
            return instance.is_array();
        if (type == "string")
            return instance.is_string();
        if (type == "number")
            return instance.is_number();
        if (type == "integer")
            return instance.is_number_integer() ||
                   (instance.is_number_float() &&
                    std::floor(instance.get<double>()) == instance.get<double>());
        if (type == "boolean")
            return instance.is_boolean();
        return instance.is_null();
    }

    std::optional<std::string> validate_type(const json& instance, const json& schema,
                                             const std::string& path) {
        auto type = schema.find("type");
        if (type == schema.end())
            return std::nullopt;
        std::vector<std::string> names;
        if (type->is_string())
            names.push_back(type->get<std::string>());
        else
            for (const auto& t : *type)
                names.push_back(t.get<std::string>());
        for (const auto& name : names)
            if (has_type(instance, name))
                return std::nullopt;
        return at(path, "must be " + util::join(names, " or "));
    }

    std::optional<std::string> validate_values(const json& instance, const json& schema,
                                               const std::string& path) {
        if (auto allowed = schema.find("enum"); allowed != schema.end()) {
            bool found = false;
            for (const auto& v : *allowed)
                found = found || v == instance;
            if (!found)
                return at(path,
                          "must be equal to one of the allowed values " + dump_json(*allowed));
        }
        if (auto constant = schema.find("const"); constant != schema.end() && *constant != instance)
            return at(path, "must be equal to " + dump_json(*constant));
        return std::nullopt;
    }

    std::optional<std::string> validate_number(double x, const json& schema,
                                               const std::string& path) {
        const auto limit = [&](const char* key) -> std::optional<double> {
            auto it = schema.find(key);
            return it == schema.end() ? std::nullopt : std::optional<double>(it->get<double>());
        };
        if (auto m = limit("minimum"); m && x < *m)
            return at(path, "must be >= " + format_number(*m));
        if (auto m = limit("maximum"); m && x > *m)
            return at(path, "must be <= " + format_number(*m));
        if (auto m = limit("exclusiveMinimum"); m && x <= *m)
            return at(path, "must be > " + format_number(*m));
        if (auto m = limit("exclusiveMaximum"); m && x >= *m)
            return at(path, "must be < " + format_number(*m));
        if (auto m = limit("multipleOf")) {
            const double quotient = x / *m;
            if (std::fabs(quotient - std::round(quotient)) > 1e-9)
                return at(path, "must be a multiple of " + format_number(*m));
        }
        return std::nullopt;
    }

    std::optional<std::string> validate_string(const std::string& s, const json& schema,
                                               const std::string& path) {
        const size_t length = decode_utf8(s).size(); // JSON Schema counts code points
        if (auto m = schema.find("minLength"); m != schema.end() && length < m->get<double>())
            return at(path, fmt::format("must not have fewer than {} characters", value_text(*m)));
        if (auto m = schema.find("maxLength"); m != schema.end() && length > m->get<double>())
            return at(path, fmt::format("must not have more than {} characters", value_text(*m)));
        if (auto p = schema.find("pattern"); p != schema.end()) {
            const auto& pattern = p->get_ref<const std::string&>();
            auto cached = m_patterns.find(pattern);
            if (cached == m_patterns.end()) {
                auto compiled = Regex::compile(pattern); // checked when the suite was read
                if (!compiled)
                    return at(path, "cannot be checked: invalid pattern " + quote(pattern));
                cached = m_patterns.emplace(pattern, std::move(*compiled)).first;
            }
            if (!cached->second.search(s))
                return at(path, "must match pattern " + quote(pattern));
        }
        return std::nullopt;
    }

    std::optional<std::string> validate_array(const json& array, const json& schema,
                                              const std::string& path, int depth) {
        if (auto m = schema.find("minItems"); m != schema.end() && array.size() < m->get<double>())
            return at(path, fmt::format("must not have fewer than {} items", value_text(*m)));
        if (auto m = schema.find("maxItems"); m != schema.end() && array.size() > m->get<double>())
            return at(path, fmt::format("must not have more than {} items", value_text(*m)));
        if (auto u = schema.find("uniqueItems"); u != schema.end() && u->get<bool>()) {
            for (size_t i = 0; i < array.size(); ++i)
                for (size_t j = i + 1; j < array.size(); ++j)
                    if (array[i] == array[j])
                        return at(path, fmt::format("must not have duplicate items (items {} "
                                                    "and {} are equal)",
                                                    i, j));
        }
        if (auto items = schema.find("items"); items != schema.end()) {
            for (size_t i = 0; i < array.size(); ++i)
                if (auto error =
                        validate(array[i], *items, fmt::format("{}/{}", path, i), depth + 1))
                    return error;
        }
        return std::nullopt;
    }

    std::optional<std::string> validate_object(const json& object, const json& schema,
                                               const std::string& path, int depth) {
        if (auto m = schema.find("minProperties");
            m != schema.end() && object.size() < m->get<double>())
            return at(path, fmt::format("must not have fewer than {} properties", value_text(*m)));
        if (auto m = schema.find("maxProperties");
            m != schema.end() && object.size() > m->get<double>())
            return at(path, fmt::format("must not have more than {} properties", value_text(*m)));
        if (auto required = schema.find("required"); required != schema.end()) {
            for (const auto& name : *required)
                if (!object.contains(name.get<std::string>()))
                    return at(path,
                              "must have required property " + quote(name.get<std::string>()));
        }
        const auto properties = schema.find("properties");
        const auto additional = schema.find("additionalProperties");
        for (const auto& [name, value] : object.items()) {
            const std::string child = path + "/" + name;
            if (properties != schema.end() && properties->contains(name)) {
                if (auto error = validate(value, (*properties)[name], child, depth + 1))
                    return error;
            } else if (additional != schema.end()) {
                if (additional->is_boolean() && !additional->get<bool>())
                    return at(path, "must not have additional property " + quote(name));
                if (auto error = validate(value, *additional, child, depth + 1))
                    return error;
            }
        }
        return std::nullopt;
    }

    std::optional<std::string> validate_combinators(const json& instance, const json& schema,
                                                    const std::string& path, int depth) {
        if (auto all = schema.find("allOf"); all != schema.end()) {
            for (const auto& sub : *all)
                if (auto error = validate(instance, sub, path, depth + 1))
                    return error;
        }
        if (auto any = schema.find("anyOf"); any != schema.end()) {
            bool matched = false;
            for (const auto& sub : *any)
                matched = matched || !validate(instance, sub, path, depth + 1);
            if (!matched)
                return at(path, "must match a schema in anyOf");
        }
        if (auto one = schema.find("oneOf"); one != schema.end()) {
            size_t matches = 0;
            for (const auto& sub : *one)
                matches += validate(instance, sub, path, depth + 1) ? 0 : 1;
            if (matches != 1)
                return at(path, fmt::format("must match exactly one schema in oneOf (matches {})",
                                            matches));
        }
        if (auto negated = schema.find("not");
            negated != schema.end() && !validate(instance, *negated, path, depth + 1))
            return at(path, "must not be valid against the schema in 'not'");
        return std::nullopt;
    }

    const json& m_root;
    std::map<std::string, Regex> m_patterns;
};

// ---- finding JSON in text ----------------------------------------------------------------

// The JSON objects embedded in `text` (prose, code fences, several objects), as promptfoo's
// extractJsonObjects finds them: from each '{', the text up to its matching '}' (braces inside
// strings ignored) when it parses. Arrays are not looked for: "[1]" in prose would count.
std::vector<json> extract_json_objects(std::string_view text) {
    std::vector<json> objects;
    // Unbalanced braces make each start scan to the end; the budget keeps a pathological
    // output from taking quadratic time.
    size_t budget = 50'000'000;
    for (size_t start = 0; start < text.size(); ++start) {
        if (text[start] != '{')
            continue;
        int depth = 0;
        bool in_string = false;
        bool escaped = false;
        size_t end = std::string_view::npos;
        for (size_t i = start; i < text.size() && budget > 0; ++i, --budget) {
            const char c = text[i];
            if (in_string) {
                if (escaped)
                    escaped = false;
                else if (c == '\\')
                    escaped = true;
                else if (c == '"')
                    in_string = false;
            } else if (c == '"') {
                in_string = true;
            } else if (c == '{') {
                ++depth;
            } else if (c == '}' && --depth == 0) {
                end = i;
                break;
            }
        }
        if (budget == 0)
            break;
        if (end == std::string_view::npos)
            continue;
        auto parsed = util::parse_json_or_discarded(text.substr(start, end - start + 1));
        if (!parsed.is_discarded()) {
            objects.push_back(std::move(parsed));
            start = end;
        }
    }
    return objects;
}

bool has_schema(const json& value) {
    return !value.is_null();
}

Expected<json> load_schema_text(const AssertionSpec& spec, const std::string& text,
                                const std::filesystem::path& base_dir) {
    if (!text.starts_with("file://"))
        return util::parse_yaml(text, written_type(spec) + " value");
    const std::string relative = text.substr(7);
    const std::filesystem::path path = base_dir / relative;
    auto content = util::read_file(path);
    if (!content) {
        if (content.error().code() == ErrorCode::not_found)
            return fail(ErrorCode::invalid_input, "'{}' schema file '{}' does not exist",
                        written_type(spec), relative);
        return fail(content.error());
    }
    if (path.extension() == ".json") {
        auto parsed = util::parse_json(*content, relative);
        if (!parsed)
            return fail(parsed.error(), "'{}' schema file", written_type(spec));
        return parsed;
    }
    return util::parse_yaml(*content, relative);
}

} // namespace

Expected<void> validate_json_schema_value(AssertionSpec& spec,
                                          const std::filesystem::path& base_dir) {
    if (!has_schema(spec.value))
        return {};
    json schema = spec.value;
    if (spec.value.is_string()) {
        schema = LLMOPS_TRY(load_schema_text(spec, spec.value.get<std::string>(), base_dir));
    }
    if (!schema.is_object() && !schema.is_boolean()) {
        return fail(ErrorCode::invalid_input,
                    "'{}' value is not a valid JSON schema: a schema is a map or true/false",
                    written_type(spec));
    }
    if (auto checked = SchemaChecker(schema).check(schema, "#"); !checked) {
        return fail(ErrorCode::invalid_input, "'{}' value is not a valid JSON schema: {}",
                    written_type(spec), checked.error().message());
    }
    spec.value = std::move(schema); // the checker reads the schema itself, never a file
    return {};
}

Verdict check_is_json(const AssertionSpec&, const nlohmann::json& schema,
                      const AssertionContext& context) {
    // Refused before parsing: the value would overflow the stack once compared or dumped.
    if (const auto deep = util::find_deep_json(context.output)) {
        const auto [line, column] = util::line_and_column(context.output, *deep);
        return verdict(false, fmt::format("output is not usable JSON: {} (at line {}, column {})",
                                          util::nesting_message(), line, column));
    }
    json parsed;
    try {
        parsed = json::parse(context.output);
    } catch (const json::parse_error& e) {
        const auto [line, column] = util::line_and_column(
            context.output, std::min<size_t>(e.byte > 0 ? e.byte - 1 : 0, context.output.size()));
        return verdict(false, fmt::format("output is not valid JSON: syntax error at line {}, "
                                          "column {}",
                                          line, column));
    } catch (const json::exception&) {
        // nlohmann throws out_of_range, not parse_error, for a number beyond a double's range
        // ("[1e400]"): a model's answer must fail the assertion, not abort the run.
        return verdict(false, "output is not valid JSON: a number is out of range");
    }
    if (!has_schema(schema))
        return verdict(true, "output is valid JSON");
    if (auto error = InstanceValidator(schema).validate(parsed, schema, ""))
        return verdict(false, "output is JSON but does not match the schema: " + *error);
    return verdict(true, "output is valid JSON matching the schema");
}

Verdict check_contains_json(const AssertionSpec&, const nlohmann::json& schema,
                            const AssertionContext& context) {
    const auto objects = extract_json_objects(context.output);
    if (objects.empty())
        return verdict(false, "output contains no JSON object");
    if (!has_schema(schema))
        return verdict(true, "output contains JSON");
    InstanceValidator validator(schema);
    std::optional<std::string> first_error;
    for (const auto& object : objects) {
        auto error = validator.validate(object, schema, "");
        if (!error)
            return verdict(true, "output contains JSON matching the schema");
        if (!first_error)
            first_error = std::move(error);
    }
    return verdict(false,
                   "output contains JSON, but none that matches the schema: " + *first_error);
}

} // namespace llmops::eval::detail
