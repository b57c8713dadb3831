// A suite's cases, walked one at a time: drafts finished into cases (defaults, list variables
// expanded, ids and positions), dataset files read again on every walk, and CaseSource.

#include <llmops/eval/suite_detail.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include <llmops/eval/judge/judge.hpp>

#include <llmops/util/hash.hpp>
#include <llmops/util/json.hpp>
#include <llmops/util/strings.hpp>

namespace llmops::eval {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// A variable's value in a case id: one line, at most 40 characters.
std::string id_value(const json& v) {
    std::string text = v.is_string() ? v.get<std::string>() : v.dump();
    std::replace_if(
        text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    if (text.size() > 40) {
        size_t cut = 37;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
            --cut; // never split a UTF-8 sequence
        }
        text = text.substr(0, cut) + "...";
    }
    return text;
}

// One combination of a case's list variables.
struct Combination {
    json vars;
    std::string suffix; // "[language=French, tone=formal]", empty without expansion
};

constexpr size_t k_max_expansion = 10000;

// promptfoo's generateVarCombinations: a variable holding a list whose first item is a string
// gives one case per item; other lists (of maps, of numbers) are passed whole.
Expected<std::vector<Combination>> expand(json vars, bool disabled, std::string_view where) {
    std::vector<Combination> combos;
    combos.push_back({std::move(vars), ""});
    if (disabled) {
        return combos;
    }
    std::vector<std::string> expanded;
    for (const auto& [name, value] : combos.front().vars.items()) {
        if (value.is_array() && !value.empty() && value.front().is_string()) {
            expanded.push_back(name);
        }
    }
    for (const auto& name : expanded) {
        const json list = combos.front().vars[name]; // every combination holds it still whole
        if (combos.size() * list.size() > k_max_expansion) {
            return fail(ErrorCode::invalid_input,
                        "{}: the list variables expand to more than {} cases (set "
                        "'options.disableVarExpansion: true' to pass lists whole)",
                        where, k_max_expansion);
        }
        std::vector<Combination> next;
        for (const auto& c : combos) {
            for (const auto& item : list) {
                Combination n = c;
                n.vars[name] = item;
                next.push_back(std::move(n));
            }
        }
        combos = std::move(next);
    }
    if (combos.size() > 1) {
        for (auto& c : combos) {
            std::vector<std::string> parts;
            for (const auto& name : expanded) {
                parts.push_back(name + "=" + id_value(c.vars[name]));
            }
            c.suffix = "[" + util::join(parts, ", ") + "]";
        }
    }
    return combos;
}

// What identifies an assertion in a content id: everything parsed from its entry but where
// it was written.
json assertion_identity(const AssertionSpec& a) {
    json children = json::array();
    for (const auto& child : a.children) {
        children.push_back(assertion_identity(child));
    }
    return {{"type", a.type},     {"negate", a.negate},
            {"value", a.value},   {"threshold", a.threshold ? json(*a.threshold) : json()},
            {"weight", a.weight}, {"metric", a.metric},
            {"config", a.config}, {"children", std::move(children)}};
}

// The first 12 hex digits of the SHA-256 of the case's own variables (`own`: the names the case
// itself sets, in order; values read from `vars`) as a canonical JSON object, followed, when
// `asserts` is given, by its assertions.
std::string content_digest(const json& vars, const std::vector<std::string>& own,
                           const std::vector<AssertionSpec>* asserts) {
    util::Sha256 hash;
    hash.update("{");
    for (size_t i = 0; i < own.size(); ++i) {
        hash.update(i == 0 ? "" : ",");
        hash.update(util::canonical_json(own[i]));
        hash.update(":");
        hash.update(util::canonical_json(vars[own[i]]));
    }
    hash.update("}");
    if (asserts != nullptr) {
        json list = json::array();
        for (const auto& a : *asserts) {
            list.push_back(assertion_identity(a));
        }
        hash.update(util::canonical_json(list));
    }
    return hash.hex_digest().substr(0, 12);
}

// promptfoo drops one trailing newline from each string variable before it renders a prompt
// (a YAML `|` block ends with one), and its assertions see the variables so trimmed. The case
// id is computed before, from the variables as written.
void drop_trailing_newline(json& vars) {
    for (auto& [name, value] : vars.items()) {
        if (value.is_string() && value.get_ref<const std::string&>().ends_with('\n')) {
            value.get_ref<std::string&>().pop_back();
        }
    }
}

// A variable's value as JavaScript's String() writes it into another variable: strings, numbers
// and booleans; nullopt for others (left unresolved).
std::optional<std::string> js_text(const json& v) {
    if (v.is_string()) {
        return v.get<std::string>();
    }
    if (v.is_boolean() || v.is_number_integer() || v.is_number_unsigned()) {
        return v.dump();
    }
    if (v.is_number_float() && std::isfinite(v.get<double>()) &&
        v.get<double>() == std::floor(v.get<double>()) && std::abs(v.get<double>()) < 1e15) {
        return std::to_string(static_cast<long long>(v.get<double>()));
    }
    return v.is_number_float() ? std::optional<std::string>(v.dump()) : std::nullopt;
}

// The first `{{ name }}` in `text` (JavaScript's /\{\{\s*(\w+)\s*\}\}/): its position, length
// and name. A scan, not std::regex, whose recursion a long value could overflow.
struct Placeholder {
    size_t at = 0, size = 0;
    std::string name;
};
std::optional<Placeholder> first_placeholder(const std::string& text) {
    const auto is_word = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    };
    const auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    for (size_t open = text.find("{{"); open != std::string::npos;
         open = text.find("{{", open + 1)) {
        size_t i = open + 2;
        while (i < text.size() && is_space(text[i])) {
            ++i;
        }
        const size_t name_start = i;
        while (i < text.size() && is_word(text[i])) {
            ++i;
        }
        const size_t name_end = i;
        while (i < text.size() && is_space(text[i])) {
            ++i;
        }
        if (name_end > name_start && text.compare(i, 2, "}}") == 0) {
            return Placeholder{open, i + 2 - open, text.substr(name_start, name_end - name_start)};
        }
    }
    return std::nullopt;
}

// Variables that name other variables (`sentence: "tweet about {{topic}}"`), resolved as
// promptfoo's resolveVariables does before it renders: up to five passes, each replacing the
// first `{{ name }}` of each string variable when `name` is a variable.
void resolve_variable_references(json& vars) {
    for (int pass = 0; pass < 5; ++pass) {
        bool changed = false;
        for (auto& [name, value] : vars.items()) {
            if (!value.is_string()) {
                continue;
            }
            std::string& text = value.get_ref<std::string&>();
            const auto p = first_placeholder(text);
            if (!p || !vars.contains(p->name)) {
                continue;
            }
            if (const auto replacement = js_text(vars[p->name])) {
                text.replace(p->at, p->size, *replacement);
                changed = true;
            }
        }
        if (!changed) {
            return;
        }
    }
}

} // namespace

namespace detail {

std::pair<int64_t*, bool> DigestMap::emplace(uint64_t key, int64_t value) {
    if (key == 0) {
        const bool inserted = !m_zero;
        if (inserted) {
            m_zero = value;
        }
        return {&*m_zero, inserted};
    }
    if (4 * (m_size + 1) > 3 * m_keys.size()) { // at most 3/4 full: short probes, less memory
        grow();
    }
    const size_t mask = m_keys.size() - 1;
    // Fibonacci hashing spreads keys that are not random (std::hash of a short id) too.
    for (size_t i = (key * 0x9E3779B97F4A7C15ULL) >> 20 & mask;; i = (i + 1) & mask) {
        if (m_keys[i] == key) {
            return {&m_values[i], false};
        }
        if (m_keys[i] == 0) {
            m_keys[i] = key;
            m_values[i] = value;
            ++m_size;
            return {&m_values[i], true};
        }
    }
}

void DigestMap::grow() {
    std::vector<uint64_t> keys = std::move(m_keys);
    std::vector<int64_t> values = std::move(m_values);
    m_keys.assign(std::max<size_t>(64, keys.size() * 2), 0);
    m_values.assign(m_keys.size(), 0);
    m_size = 0;
    for (size_t i = 0; i < keys.size(); ++i) {
        if (keys[i] != 0) {
            emplace(keys[i], values[i]);
        }
    }
}

namespace {

// A content digest (12 hex digits) as a number: what the maps of content ids hold.
uint64_t digest_number(std::string_view digest) {
    uint64_t n = 0;
    std::from_chars(digest.data(), digest.data() + digest.size(), n, 16);
    return n;
}

// The flag of m_content_ids's values: the first case's id is the digest of its variables.
constexpr int64_t k_id_by_vars = int64_t{1} << 62;

} // namespace

std::string CaseFinalizer::content_id(const json& vars, const std::vector<std::string>& own,
                                      const std::vector<AssertionSpec>& asserts) {
    std::string by_vars = content_digest(vars, own, nullptr);
    std::string full = content_digest(vars, own, &asserts);
    auto [seen, first] = m_content_ids.emplace(digest_number(full), 1);
    if (!first) {
        // The same variables and assertions as a case before, so the same digest of the
        // variables: the first one's id is one of this case's two digests.
        const int64_t flag = *seen & k_id_by_vars;
        const int64_t cases = (*seen & ~k_id_by_vars) + 1;
        *seen = cases | flag;
        return fmt::format("{}#{}", flag != 0 ? by_vars : full, cases);
    }
    // The same variables as a case before, other assertions: the digest of both tells them apart.
    if (m_var_digests.emplace(digest_number(by_vars), 0).second) {
        *seen |= k_id_by_vars;
        return by_vars;
    }
    return full;
}

Expected<void> CaseFinalizer::check_unique(const TestCase& c, int64_t ordinal) {
    const auto duplicate = [&](const std::string& also) {
        return fail(ErrorCode::invalid_input,
                    "{}: duplicate case id '{}' (also {}); give each case its own 'id'", c.where,
                    c.id, also);
    };
    if (m_recall) {
        const auto [first, inserted] =
            m_seen_hashes.emplace(std::hash<std::string>{}(c.id), ordinal);
        if (inserted) {
            return {};
        }
        auto earlier = m_recall(*first);
        if (!earlier || earlier->first == c.id) {
            return duplicate(earlier ? earlier->second : fmt::format("case {}", *first + 1));
        }
        // Another id with the same hash: this one is remembered by its id and where.
    }
    if (const auto [it, inserted] = m_seen.emplace(c.id, c.where); !inserted) {
        return duplicate(it->second);
    }
    return {};
}

Expected<void> CaseFinalizer::add(CaseDraft draft, std::deque<TestCase>& out) {
    const CaseDraft& defaults = m_defaults;
    json vars = defaults.test.vars;
    std::vector<std::string> own; // the variables the case sets itself (sorted, as json keeps them)
    for (auto& [name, value] : draft.test.vars.items()) {
        own.push_back(name);
        vars[name] = std::move(value);
    }
    const bool no_expansion =
        draft.disable_var_expansion.value_or(defaults.disable_var_expansion.value_or(false));
    auto combos = LLMOPS_TRY(expand(std::move(vars), no_expansion, draft.test.where));
    const std::string& base = draft.test.id.empty() ? draft.test.description : draft.test.id;
    for (auto& combo : combos) {
        TestCase c;
        c.description = draft.test.description;
        c.vars = std::move(combo.vars);
        if (!draft.disable_default_asserts) {
            c.asserts = defaults.test.asserts;
        }
        c.asserts.insert(c.asserts.end(), draft.test.asserts.begin(), draft.test.asserts.end());
        if (!defaults.rubric_prompt.empty()) { // defaultTest.options.rubricPrompt
            judge::apply_rubric_prompt(c.asserts, defaults.rubric_prompt);
        }
        c.threshold = draft.test.threshold ? draft.test.threshold : defaults.test.threshold;
        c.transform = draft.transform.value_or(defaults.transform.value_or(""));
        c.metadata = defaults.test.metadata;
        for (const auto& [key, value] : draft.test.metadata.items()) {
            c.metadata[key] = value;
        }
        c.where = draft.test.where;
        c.only_prompts = draft.test.only_prompts;
        c.only_providers = draft.test.only_providers;
        c.position = m_count;
        if (base.empty()) {
            c.id = content_id(c.vars, own, draft.test.asserts);
        } else {
            c.id = combo.suffix.empty() ? base : base + " " + combo.suffix;
        }
        drop_trailing_newline(c.vars);
        resolve_variable_references(c.vars);
        const int64_t ordinal = m_ordinal++;
        if (m_check_duplicates) {
            LLMOPS_TRY(check_unique(c, ordinal));
        }
        ++m_count;
        out.push_back(std::move(c));
    }
    return {};
}

Expected<std::vector<TestCase>> finalize_cases(const std::vector<CaseDraft>& drafts,
                                               const CaseDraft& defaults) {
    CaseFinalizer finalizer(defaults, true);
    std::deque<TestCase> cases;
    for (const auto& draft : drafts) {
        LLMOPS_TRY(finalizer.add(draft, cases));
    }
    return std::vector<TestCase>(std::make_move_iterator(cases.begin()),
                                 std::make_move_iterator(cases.end()));
}
Expected<const TestCase*> CaseWalk::next() {
    if (!m_plan.held.empty() || (m_plan.segments.empty() && m_plan.count == 0)) {
        if (m_held >= m_plan.held.size()) {
            return nullptr;
        }
        return &m_plan.held[m_held++];
    }
    while (m_pending.empty()) {
        if (m_segment >= m_plan.segments.size()) {
            return nullptr;
        }
        const CasePlan::Segment& segment = m_plan.segments[m_segment];
        if (!segment.file.empty()) {
            LLMOPS_TRY(read_file_case(segment));
        } else if (m_draft < segment.drafts.size()) {
            auto added = m_finalizer.add(segment.drafts[m_draft++], m_pending);
            LLMOPS_TRY(collected(added));
        } else {
            ++m_segment;
            m_draft = 0;
        }
    }
    m_current = std::move(m_pending.front());
    m_pending.pop_front();
    return &m_current;
}

Expected<void> CaseWalk::collected(const Expected<void>& result) {
    if (result || m_problems == nullptr) {
        return result;
    }
    m_problems->add(result.error());
    return {};
}

void CaseWalk::end_file() {
    m_reader.reset();
    ++m_segment;
}

// Reads the next case of the dataset file of `segment` (the current one) into m_pending, or
// moves to the next segment at its end. A collecting walk notes a case's problem and goes on
// with the next case; a file that cannot be read on is left.
Expected<void> CaseWalk::read_file_case(const CasePlan::Segment& segment) {
    if (!m_reader) {
        if (auto opened = open_file(segment); !opened) {
            LLMOPS_TRY(collected(opened));
            ++m_segment;
            return {};
        }
    }
    RawCase raw;
    auto more = m_reader->next(raw);
    if (!more || !*more) {
        if (!more) {
            LLMOPS_TRY(collected(std::unexpected(more.error())));
        } else if (m_raw_count == 0) {
            LLMOPS_TRY(collected(
                fail(ErrorCode::invalid_input, "{}: the dataset is empty", segment.file.string())));
        }
        end_file();
        return {};
    }
    ++m_raw_count;
    auto draft = parse_case(raw, m_plan.base_dir, CaseKind::test);
    raw = {}; // parsed: a huge field is held once, in the draft
    if (!draft) {
        return collected(std::unexpected(draft.error()));
    }
    return collected(m_finalizer.add(std::move(*draft), m_pending));
}

std::optional<std::pair<std::string, std::string>> CaseWalk::recall(int64_t ordinal) const {
    // Without the duplicate check, the walk makes every case this one made, refused duplicates
    // included, in the same order; the cases whose problems this one noted are skipped alike.
    CaseWalk again(m_plan, nullptr);
    Problems ignored;
    again.collect(ignored);
    for (int64_t n = 0;; ++n) {
        auto next = again.next();
        if (!next || *next == nullptr) {
            return std::nullopt;
        }
        if (n == ordinal) {
            return std::pair{(*next)->id, (*next)->where};
        }
    }
}

Expected<void> CaseWalk::open_file(const CasePlan::Segment& segment) {
    std::string hash;
    auto reader = LLMOPS_TRY(open_dataset(segment.file, &hash));
    if (m_validating) {
        m_validating->segments[m_segment].file_hash = hash;
    } else if (hash != segment.file_hash) {
        return fail(ErrorCode::conflict, "{}: the file changed since the suite was loaded",
                    segment.file.string());
    }
    m_reader = std::move(reader);
    m_raw_count = 0;
    return {};
}

} // namespace detail

// ---- CaseSource ---------------------------------------------------------------------------------

CaseSource::CaseSource() : m_plan(std::make_shared<detail::CasePlan>()) {}

const TestCase& CaseSource::defaults() const {
    return m_plan->defaults.test;
}

CaseSource::CaseSource(std::vector<TestCase> cases) {
    auto plan = std::make_shared<detail::CasePlan>();
    for (size_t i = 0; i < cases.size(); ++i) {
        cases[i].position = static_cast<int64_t>(i);
    }
    plan->count = static_cast<int64_t>(cases.size());
    plan->held = std::move(cases);
    m_plan = std::move(plan);
}

CaseSource::CaseSource(std::shared_ptr<const detail::CasePlan> plan) : m_plan(std::move(plan)) {}
CaseSource::~CaseSource() = default;
CaseSource::CaseSource(const CaseSource&) = default;
CaseSource& CaseSource::operator=(const CaseSource&) = default;
CaseSource::CaseSource(CaseSource&&) noexcept = default;
CaseSource& CaseSource::operator=(CaseSource&&) noexcept = default;

int64_t CaseSource::size() const {
    return m_plan->count;
}

std::optional<bool> CaseSource::vars_use_nunjucks() const {
    return m_plan->vars_nunjucks;
}

std::vector<std::filesystem::path> CaseSource::files() const {
    std::vector<std::filesystem::path> out;
    for (const auto& segment : m_plan->segments) {
        if (!segment.file.empty()) {
            out.push_back(segment.file);
        }
    }
    return out;
}

CaseSource::Cursor::Cursor() = default;
CaseSource::Cursor::Cursor(Cursor&&) noexcept = default;
CaseSource::Cursor& CaseSource::Cursor::operator=(Cursor&&) noexcept = default;
CaseSource::Cursor::~Cursor() = default;

Expected<const TestCase*> CaseSource::Cursor::next() {
    return m_walk->next();
}

CaseSource::Cursor CaseSource::cursor() const {
    Cursor c;
    c.m_walk = std::make_unique<detail::CaseWalk>(*m_plan, nullptr);
    return c;
}

Expected<void> CaseSource::for_each(const std::function<bool(const TestCase&)>& visit) const {
    auto c = cursor();
    for (;;) {
        auto next = LLMOPS_TRY(c.next());
        if (next == nullptr || !visit(*next)) {
            return {};
        }
    }
}

Expected<std::vector<TestCase>> CaseSource::to_vector() const {
    std::vector<TestCase> out;
    LLMOPS_TRY(for_each([&](const TestCase& c) {
        out.push_back(c);
        return true;
    }));
    return out;
}

} // namespace llmops::eval
