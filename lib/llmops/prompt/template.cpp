#include <llmops/prompt/template.hpp>

#include <algorithm>
#include <cctype>
#include <exception>
#include <map>
#include <optional>

#include <fmt/ranges.h>
#include <kainjow/mustache.hpp>
#include <nlohmann/json.hpp>

#include <llmops/util/strings.hpp>

namespace llmops::prompt {

using nlohmann::json;
namespace mustache = kainjow::mustache;
using Data = mustache::data;

namespace {

// kainjow calls the same `get(name)` for variable tags and section tags, but only a variable tag
// may be reported missing (`{{#x}}{{x}}{{/x}}` with no `x` is fine). So before rendering, every
// variable tag's name gets this byte in front ({{x}} -> {{\x1fx}}); the context strips it and
// knows the lookup came from a variable tag. Inserting a byte inside a tag's name moves no tag
// boundary, because delimiters are found before the name and after it.
constexpr char k_variable_marker = '\x1f';

// The kinds of tag the scanner tells apart.
enum class TagKind { variable, partial, section_open, section_close, other };

// A tag found by `scan_tags`: its kind, its name, where the name starts in the template, where
// the tag starts (at its opening delimiter) and, for a section tag, how it reads with the
// delimiters in force and its name trimmed (`{{#items}}`), for messages.
struct Tag {
    TagKind kind;
    std::string name;
    size_t name_pos;
    size_t start;
    std::string shown;
};

bool is_space(char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0;
}

// The offsets of `s[begin, end)` without leading and trailing white space, as kainjow trims.
std::pair<size_t, size_t> trimmed(std::string_view s, size_t begin, size_t end) {
    while (begin < end && is_space(s[begin])) {
        ++begin;
    }
    while (end > begin && is_space(s[end - 1])) {
        --end;
    }
    return {begin, end};
}

// The current tag delimiters.
struct Delimiters {
    std::string begin = "{{";
    std::string end = "}}";
};

// Parses a set-delimiter tag's contents ("=<% %>=") exactly as kainjow does; nothing when
// kainjow would reject it.
std::optional<Delimiters> parse_set_delimiters(std::string_view contents) {
    if (contents.size() < 5 || contents.back() != '=') {
        return std::nullopt;
    }
    const auto [b, e] = trimmed(contents, 1, contents.size() - 1);
    const std::string_view inner = contents.substr(b, e - b);
    const size_t space = inner.find(' ');
    if (space == std::string_view::npos) {
        return std::nullopt;
    }
    const size_t next = inner.find_first_not_of(' ', space + 1);
    Delimiters d{std::string(inner.substr(0, space)), std::string(inner.substr(next))};
    for (const std::string* part : {&d.begin, &d.end}) {
        if (std::ranges::any_of(*part, [](char c) { return c == '=' || is_space(c); })) {
            return std::nullopt;
        }
    }
    return d;
}

// The tags of a template, and the first syntax error when there is one (the tags then stop
// there).
struct Scan {
    std::vector<Tag> tags;
    std::optional<TemplateError> error;
};

// The kind of a tag from its first character (after the opening delimiter and white space).
TagKind kind_of(char sigil) {
    switch (sigil) {
    case '#':
    case '^': return TagKind::section_open;
    case '/': return TagKind::section_close;
    case '>': return TagKind::partial;
    case '&': return TagKind::variable;
    case '!': return TagKind::other;
    default: return TagKind::variable;
    }
}

// Lists the tags of `tmpl`, mirroring kainjow's parser (delimiter changes, triple braces, how
// names are trimmed), so that the names and positions agree with what kainjow will see. Stops
// at an unclosed tag or a bad set-delimiter tag, as kainjow does; sections are checked by
// `check_sections`.
Scan scan_tags(std::string_view tmpl) {
    Scan scan;
    Delimiters delims;
    size_t pos = 0;
    while (true) {
        const size_t start = tmpl.find(delims.begin, pos);
        if (start == std::string_view::npos) {
            break;
        }
        size_t contents = start + delims.begin.size();
        const bool braces = delims.begin == "{{" && delims.end == "}}";
        const bool triple = braces && contents < tmpl.size() && tmpl[contents] == '{';
        const std::string_view close = triple ? std::string_view("}}}") : delims.end;
        contents += triple ? 1 : 0;
        const size_t close_pos = tmpl.find(close, contents);
        if (close_pos == std::string_view::npos) {
            scan.error = TemplateError{start, fmt::format("unclosed tag: '{}{}' has no '{}'",
                                                          delims.begin, triple ? "{" : "", close)};
            break;
        }
        pos = close_pos + close.size();
        auto [b, e] = trimmed(tmpl, contents, close_pos);
        if (b < e && tmpl[b] == '=') {
            auto changed = parse_set_delimiters(tmpl.substr(b, e - b));
            if (!changed) {
                scan.error = TemplateError{
                    start, fmt::format("invalid set-delimiter tag '{}' (expected two delimiters "
                                       "without '=' or spaces, as in '{}=<% %>={}')",
                                       tmpl.substr(start, pos - start), delims.begin, delims.end)};
                break;
            }
            delims = std::move(*changed);
            continue;
        }
        TagKind kind = TagKind::variable;
        if (!triple && b < e) {
            kind = kind_of(tmpl[b]);
            if (kind != TagKind::variable || tmpl[b] == '&') {
                const char sigil = tmpl[b];
                std::tie(b, e) = trimmed(tmpl, b + 1, e);
                if (kind == TagKind::section_open || kind == TagKind::section_close) {
                    // Sections with an empty name still open and close.
                    scan.tags.push_back(Tag{kind, std::string(tmpl.substr(b, e - b)), b, start,
                                            delims.begin + sigil +
                                                std::string(tmpl.substr(b, e - b)) + delims.end});
                    continue;
                }
            }
        }
        if (b < e) {
            scan.tags.push_back(Tag{kind, std::string(tmpl.substr(b, e - b)), b, start, {}});
        }
    }
    return scan;
}

// Checks that sections nest: each closing tag closes the innermost open section, by name.
std::optional<TemplateError> check_sections(const std::vector<Tag>& tags) {
    std::vector<const Tag*> open;
    for (const auto& tag : tags) {
        if (tag.kind == TagKind::section_open) {
            open.push_back(&tag);
        } else if (tag.kind == TagKind::section_close) {
            if (open.empty()) {
                return TemplateError{tag.start,
                                     fmt::format("'{}' closes no open section", tag.shown)};
            }
            if (open.back()->name != tag.name) {
                return TemplateError{tag.start, fmt::format("mismatched section: '{}' closes '{}'",
                                                            tag.shown, open.back()->shown)};
            }
            open.pop_back();
        }
    }
    if (!open.empty()) {
        return TemplateError{open.back()->start,
                             fmt::format("unclosed section '{}'", open.back()->shown)};
    }
    return std::nullopt;
}

// The names of the tags of `kind` in `tmpl`, unique, in order.
std::vector<std::string> tag_names(std::string_view tmpl, TagKind kind) {
    std::vector<std::string> names;
    for (auto& tag : scan_tags(tmpl).tags) {
        if (tag.kind == kind && (kind != TagKind::variable || tag.name != ".") &&
            std::ranges::find(names, tag.name) == names.end()) {
            names.push_back(std::move(tag.name));
        }
    }
    return names;
}

// Returns `tmpl` with `k_variable_marker` in front of every variable tag's name.
std::string mark_variables(std::string_view tmpl) {
    std::string out;
    out.reserve(tmpl.size() + 16);
    size_t copied = 0;
    for (const auto& tag : scan_tags(tmpl).tags) {
        if (tag.kind == TagKind::variable) {
            out.append(tmpl.substr(copied, tag.name_pos - copied));
            out.push_back(k_variable_marker);
            copied = tag.name_pos;
        }
    }
    out.append(tmpl.substr(copied));
    return out;
}

// Converts JSON to kainjow's data. null becomes an empty list: falsy in sections, empty text in
// variable tags, yet found by a lookup (so not missing). Numbers keep their JSON text.
Data to_data(const json& j) {
    switch (j.type()) {
    case json::value_t::object: {
        Data d(Data::type::object);
        for (const auto& [key, value] : j.items()) {
            d[key] = to_data(value);
        }
        return d;
    }
    case json::value_t::array: {
        mustache::list items;
        items.reserve(j.size());
        for (const auto& value : j) {
            items.push_back(to_data(value));
        }
        return Data(items);
    }
    case json::value_t::string: return Data(j.get_ref<const std::string&>());
    case json::value_t::boolean: return Data(j.get<bool>());
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return Data(j.dump());
    default: // null, and binary or discarded values, which parsed JSON never holds
        return Data(Data::type::list);
    }
}

using PartialMap = std::map<std::string, Data, std::less<>>;

// The context kainjow renders with: the usual context stack, plus partials from a map, plus a
// record of the variable tags that named nothing.
class TrackingContext final : public mustache::basic_context<std::string> {
public:
    TrackingContext(const Data& root, const PartialMap& partials)
        : m_stack(&root), m_partials(partials) {}

    void push(const Data* data) override { m_stack.push(data); }
    void pop() override { m_stack.pop(); }

    const Data* get(const std::string& name) const override {
        if (name.empty() || name.front() != k_variable_marker) {
            return m_stack.get(name); // a section: a missing name is just falsy
        }
        const std::string plain = name.substr(1);
        const Data* found = m_stack.get(plain);
        if (found == nullptr) {
            if (std::ranges::find(m_missing, plain) == m_missing.end()) {
                m_missing.push_back(plain);
            }
            return nullptr;
        }
        // kainjow renders booleans as nothing; a prompt wants to see the value.
        if (found->is_bool()) {
            return found->is_true() ? &m_true : &m_false;
        }
        return found;
    }

    const Data* get_partial(const std::string& name) const override {
        const auto it = m_partials.find(name);
        return it == m_partials.end() ? nullptr : &it->second;
    }

    // The names of variable tags that named nothing, unique, in order of first use.
    const std::vector<std::string>& missing() const { return m_missing; }

private:
    mustache::context<std::string> m_stack;
    const PartialMap& m_partials;
    const Data m_true{"true"};
    const Data m_false{"false"};
    mutable std::vector<std::string> m_missing; // kainjow's get() is const
};

// Loads every partial reachable from a template, depth first, each ref once, failing on cycles.
class PartialResolver {
public:
    PartialResolver(const PartialLoader& load, std::string_view origin)
        : m_load(load), m_origin(origin) {}

    // Loads `ref` and the partials it names, unless already loaded.
    Expected<void> resolve(const std::string& ref) {
        if (std::ranges::find(m_chain, ref) != m_chain.end()) {
            m_chain.push_back(ref);
            return fail(ErrorCode::invalid_input, "{}: partial cycle: {}", m_origin,
                        fmt::join(m_chain, " -> "));
        }
        if (m_texts.contains(ref)) {
            return {}; // loaded and resolved already: without a cycle, or we would have failed
        }
        if (!m_load) {
            return fail(ErrorCode::invalid_input, "{}: partial '{}': partials are not available",
                        m_origin, ref);
        }
        auto text = m_load(ref);
        if (!text) {
            return fail(text.error(), "{}: partial '{}'", m_origin, ref);
        }
        if (const auto error = find_template_error(*text)) {
            return fail(ErrorCode::invalid_input, "{}: partial '{}': {}", m_origin, ref,
                        where_in_template(*text, *error));
        }
        const auto& stored = m_texts.emplace(ref, std::move(*text)).first->second;
        m_chain.push_back(ref);
        for (const auto& child : partial_refs(stored)) {
            LLMOPS_TRY(resolve(child));
        }
        m_chain.pop_back();
        return {};
    }

    // The loaded partials, with variable tags marked, as kainjow data.
    PartialMap partials() const {
        PartialMap out;
        for (const auto& [ref, text] : m_texts) {
            out.emplace(ref, Data(mark_variables(text)));
        }
        return out;
    }

private:
    const PartialLoader& m_load;
    std::string_view m_origin;
    std::map<std::string, std::string, std::less<>> m_texts;
    std::vector<std::string> m_chain;
};

// Renders an already checked template with its partials and reports missing variables.
Expected<std::string> render_checked(std::string_view tmpl, const Data& root,
                                     const PartialMap& partials, const RenderOptions& options,
                                     std::string_view origin) {
    mustache::mustache engine(mark_variables(tmpl));
    engine.set_custom_escape([](const std::string& s) { return s; }); // prompts are not HTML
    TrackingContext context(root, partials);
    // kainjow's render(context) goes through an ostringstream and copies its text out: with a
    // huge variable that is three copies at once. Appending to the string itself is one.
    struct StringSink {
        std::string text;
        StringSink& operator<<(const std::string& part) {
            text += part;
            return *this;
        }
    } sink;
    engine.render(context, sink);
    std::string out = std::move(sink.text);
    // A backstop: find_template_error mirrors kainjow's parser (the fuzz target checks that they
    // agree), so this fires only if they drift apart.
    if (!engine.is_valid()) {
        return fail(ErrorCode::invalid_input, "{}: template error: {}", origin,
                    engine.error_message());
    }
    const auto& missing = context.missing();
    if (!missing.empty() && options.missing == MissingVariables::error) {
        std::vector<std::string> quoted;
        for (const auto& name : missing) {
            quoted.push_back("'" + name + "'");
        }
        return fail(ErrorCode::invalid_input, "{}: missing variable{} {}", origin,
                    missing.size() == 1 ? "" : "s", fmt::join(quoted, ", "));
    }
    return out;
}

} // namespace

Expected<std::string> render_template(std::string_view tmpl, const json& vars,
                                      const PartialLoader& load_partial,
                                      const RenderOptions& options, std::string_view origin) {
    if (!vars.is_object() && !vars.is_null()) {
        return fail(ErrorCode::invalid_input, "{}: variables must be a JSON object, not {}", origin,
                    vars.type_name());
    }
    // kainjow reports errors through is_valid(), but it allocates and uses std::function, so
    // anything it throws becomes an error here rather than escaping the library.
    try {
        if (const auto error = find_template_error(tmpl)) {
            return fail(ErrorCode::invalid_input, "{}: {}", origin,
                        where_in_template(tmpl, *error));
        }
        PartialResolver resolver(load_partial, origin);
        for (const auto& ref : partial_refs(tmpl)) {
            LLMOPS_TRY(resolver.resolve(ref));
        }
        const Data root = vars.is_null() ? Data(Data::type::object) : to_data(vars);
        return render_checked(tmpl, root, resolver.partials(), options, origin);
    } catch (const std::exception& e) {
        return fail(ErrorCode::internal, "{}: rendering failed: {}", origin, e.what());
    }
}

std::optional<TemplateError> find_template_error(std::string_view tmpl) {
    Scan scan = scan_tags(tmpl);
    if (scan.error) {
        return scan.error;
    }
    return check_sections(scan.tags);
}

std::string where_in_template(std::string_view tmpl, const TemplateError& error) {
    const auto [line, column] = util::line_and_column(tmpl, error.offset);
    return fmt::format("line {}, column {}: {}", line, column, error.message);
}

std::vector<std::string> variable_names(std::string_view tmpl) {
    return tag_names(tmpl, TagKind::variable);
}

std::vector<std::string> partial_refs(std::string_view tmpl) {
    return tag_names(tmpl, TagKind::partial);
}

} // namespace llmops::prompt
